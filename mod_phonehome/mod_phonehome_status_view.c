/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * How the status page reads the table: the header and counts in one
 * short hold of the lock (ph_view_take), and walks that copy
 * PH_WALK_CHUNK slots under the lock, render them outside it and flush
 * them to the client, so a request costs the same memory at ten devices as
 * at a million, and a slow client never holds the table.  The renderers
 * are mod_phonehome_status_text.c (?auto, ?json, ?metrics) and
 * mod_phonehome_status_html.c; the routing is mod_phonehome_status.c.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"
#include "apr_file_io.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_status_view.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

#define PH_COUNT_CHUNK      4096    /* slots counted under one hold */
#define PH_RECENT_EVENTS    20
#define PH_RECENT_BYTES     16384

apr_array_header_t *ph_recent_events(request_rec *r)
{
    apr_array_header_t *out = apr_array_make(r->pool, PH_RECENT_EVENTS,
                                             sizeof(char *));
    const char *path = ph_dir(r->pool, PH_EVENTS_LOG);
    apr_off_t off = 0;
    apr_size_t len = PH_RECENT_BYTES;
    apr_finfo_t fi;
    apr_file_t *f;
    char *buf, *line, *last;
    int i, first;

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, r->pool) != APR_SUCCESS) {
        return out;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) == APR_SUCCESS
        && fi.size > PH_RECENT_BYTES) {
        off = fi.size - PH_RECENT_BYTES;
    }
    buf = apr_palloc(r->pool, PH_RECENT_BYTES + 1);
    if (apr_file_seek(f, APR_SET, &off) != APR_SUCCESS
        || apr_file_read_full(f, buf, len, &len) == APR_EGENERAL) {
        len = 0;
    }
    apr_file_close(f);
    buf[len] = '\0';
    for (line = apr_strtok(buf, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        apr_size_t n = strlen(line);

        if (line[0] == '{' && line[n - 1] == '}') {
            APR_ARRAY_PUSH(out, char *) = line;
        }
    }
    first = out->nelts > PH_RECENT_EVENTS ? out->nelts - PH_RECENT_EVENTS : 0;
    for (i = 0; i < out->nelts - first; i++) {
        APR_ARRAY_IDX(out, i, char *) = APR_ARRAY_IDX(out, i + first, char *);
    }
    out->nelts -= first;
    return out;
}

int ph_view_match(const ph_query_t *q, const ph_device_t *d)
{
    const ph_devconf_t *dc;

    if (q->states && !(q->states & (1u << (d->state & 3)))) {
        return 0;
    }
    if (!q->q || ph_view_contains(d->name, q->q)) {
        return 1;
    }
    dc = apr_hash_get(ph_runtime_conf()->device_index, d->name,
                      APR_HASH_KEY_STRING);
    if (dc && dc->display) {
        return ph_view_contains(dc->display, q->q);
    }
    return !strcmp(d->name, PH_DEFAULT_DEVICE)
           && ph_view_contains(ph_runtime_conf()->monitor_name, q->q);
}

apr_status_t ph_view_take(request_rec *r, const ph_query_t *q, ph_view_t *v)
{
    ph_table_t *t = ph_runtime_table();
    apr_uint32_t id, pos;
    apr_status_t rv;
    int i;

    memset(v, 0, sizeof(*v));
    v->now = apr_time_now();
    v->nchan = ph_runtime_conf()->channels->nelts;
    v->chan = apr_palloc(r->pool, sizeof(ph_chan_stat_t)
                                  * (apr_size_t)(v->nchan + 1));
    v->nbeat = ph_runtime_conf()->beat_to->nelts;
    v->beat = apr_palloc(r->pool, sizeof(ph_beatto_stat_t)
                                  * (apr_size_t)(v->nbeat + 1));
    if ((rv = ph_lock(r)) != APR_SUCCESS) {
        return rv;
    }
    v->used = t->hdr->used;
    v->started = t->hdr->started;
    v->nslots = t->hdr->nslots;
    v->refused_full = t->hdr->refused_full;
    v->queued = t->hdr->outbox_queued;
    v->dead = t->hdr->outbox_dead;
    v->sent = t->hdr->mails_sent;
    v->last_error_time = t->hdr->last_error_time;
    memcpy(v->last_error, t->hdr->last_error, sizeof(v->last_error));
    v->last_tick = t->hdr->last_tick;
    v->tick_usec = t->hdr->tick_usec;
    v->tick_usec_max = t->hdr->tick_usec_max;
    v->lock_usec_max = t->hdr->lock_usec_max;
    memcpy(v->chan, ph_runtime_chan_stats(),
           sizeof(ph_chan_stat_t) * (apr_size_t)v->nchan);
    memcpy(v->beat, ph_runtime_beatto_stats(),
           sizeof(ph_beatto_stat_t) * (apr_size_t)v->nbeat);
    ph_unlock();
    v->last_error[sizeof(v->last_error) - 1] = '\0';
    for (i = 0; i < v->nchan; i++) {
        v->chan[i].last_error[sizeof(v->chan[i].last_error) - 1] = '\0';
    }
    for (i = 0; i < v->nbeat; i++) {
        v->beat[i].last_error[sizeof(v->beat[i].last_error) - 1] = '\0';
    }
    for (pos = 0; pos < v->used; pos = id) {
        apr_uint32_t end = pos + PH_COUNT_CHUNK;

        if ((rv = ph_lock(r)) != APR_SUCCESS) {
            return rv;
        }
        if (end > t->hdr->used) {
            end = t->hdr->used;
        }
        for (id = pos; id < end; id++) {
            const ph_device_t *d = t->slot(t->baton, id);

            if (d->name[0]) {
                v->count[d->state & 3]++;
                if (d->state == PH_STATE_DOWN
                    && (!v->down_since || d->since < v->down_since)) {
                    v->down_since = d->since;
                }
                if (q && ph_view_match(q, d)) {
                    v->matched[d->state & 3]++;
                }
            }
        }
        ph_unlock();
        if (end == pos) {
            break;
        }
    }
    for (i = 0; i < 4; i++) {
        v->n += v->count[i];
    }
    return APR_SUCCESS;
}

void ph_walk_init(ph_walk_t *w, request_rec *r, const ph_query_t *q,
                  apr_int64_t limit)
{
    memset(w, 0, sizeof(*w));
    w->r = r;
    w->q = q;
    w->limit = limit;
    w->buf = apr_palloc(r->pool, sizeof(ph_device_t) * PH_WALK_CHUNK);
    apr_pool_create(&w->chunk_pool, r->pool);
}

void ph_walk(ph_walk_t *w, unsigned states, ph_walk_fn *fn, void *baton)
{
    ph_table_t *t = ph_runtime_table();
    apr_uint32_t pos = 0;

    while (!w->failed && (w->limit < 0 || w->emitted < w->limit)) {
        apr_uint32_t id, end;
        int n = 0, i;

        if (ph_lock(w->r) != APR_SUCCESS) {
            w->failed = 1;
            return;
        }
        end = t->hdr->used;
        /* At most PH_WALK_CHUNK copies and PH_COUNT_CHUNK slots looked at
         * per hold, so a pass that finds little does not hold the lock for
         * the whole table. */
        for (id = pos; id < end && n < PH_WALK_CHUNK
                       && id - pos < PH_COUNT_CHUNK; id++) {
            const ph_device_t *d = t->slot(t->baton, id);

            if (d->name[0] && (states & (1u << (d->state & 3)))
                && ph_view_match(w->q, d)) {
                w->buf[n++] = *d;
            }
        }
        ph_unlock();
        pos = id;
        for (i = 0; i < n; i++) {
            if (w->skipped < w->q->offset) {
                w->skipped++;
                continue;
            }
            if (w->limit >= 0 && w->emitted >= w->limit) {
                break;
            }
            fn(w, &w->buf[i], w->q->offset + w->emitted, w->chunk_pool,
               baton);
            w->emitted++;
        }
        apr_pool_clear(w->chunk_pool);
        if (n) {
            ap_rflush(w->r);
        }
        if (pos >= end) {
            return;
        }
    }
}

int ph_view_device(request_rec *r, const char *name, ph_device_t *out)
{
    ph_table_t *t = ph_runtime_table();
    long id;

    if (ph_lock(r) != APR_SUCCESS) {
        return 0;
    }
    id = ph_table_find(t, name);
    if (id >= 0) {
        *out = *t->slot(t->baton, (apr_uint32_t)id);
    }
    ph_unlock();
    return id >= 0 && out->name[0];
}

const ph_beatto_t *ph_view_beat(int i)
{
    return &APR_ARRAY_IDX(ph_runtime_conf()->beat_to, i, ph_beatto_t);
}

const char *ph_view_beat_target(apr_pool_t *p, int i)
{
    return ph_notify_url_redacted(p, ph_view_beat(i)->url);
}

const ph_notify_chan_t *ph_view_chan(int i)
{
    return &APR_ARRAY_IDX(ph_runtime_conf()->channels, i, ph_notify_chan_t);
}

int ph_status_refuse(request_rec *r, int status, const char *why)
{
    return ph_answer_line(r, status, why);
}
