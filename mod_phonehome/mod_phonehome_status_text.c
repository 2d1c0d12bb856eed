/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The status page's text formats: ?auto (mod_status's key: value lines),
 * ?json and ?metrics (Prometheus' text format).  Each streams: a walk
 * (mod_phonehome_status_view.h) renders a chunk of devices outside the
 * lock and flushes it.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_route.h"
#include "mod_phonehome_downtime.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_store.h"
#include "mod_phonehome_status_text.h"
#include "mod_phonehome_status_view.h"
#include "ph_flap.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

static const char *ph_num_or_null(apr_pool_t *p, int known, apr_int64_t n)
{
    return known ? apr_psprintf(p, "%" APR_INT64_T_FMT, n) : "null";
}

/* ------------------------------------------------------------------ */
/* ?json                                                               */

static void ph_json_device(request_rec *r, apr_pool_t *p,
                           const ph_device_t *d, apr_time_t now)
{
    int known_t = (d->flags & PH_DEV_HAS_CLIENT_T) != 0;

    ap_rprintf(r, "{\"name\":%s,\"display\":%s,\"state\":\"%s\","
               "\"last_seen\":%s,\"age\":%s,\"max_age\":%u,"
               "\"since\":%" APR_INT64_T_FMT ",\"beats\":%"
               APR_UINT64_T_FMT ",\"remote_ip\":%s,\"user_agent\":%s,"
               "\"client_time\":%s,\"skew\":%s,\"boot_id\":%s,"
               "\"uptime\":%s,\"paused_until\":%s,\"flapping\":%s}",
               ph_text_json(p, d->name),
               ph_text_json(p, ph_display_name(p, ph_runtime_conf(), d->name)),
               ph_state_name(d->state),
               ph_num_or_null(p, d->last_seen != 0, ph_sec(d->last_seen)),
               ph_num_or_null(p, d->last_seen != 0,
                              ph_sec(now - d->last_seen)),
               d->max_age, ph_sec(d->since), d->beats,
               ph_text_json(p, d->remote_ip),
               ph_text_json(p, d->user_agent),
               ph_num_or_null(p, known_t, d->client_time),
               ph_num_or_null(p, known_t, d->skew),
               d->boot_id[0] ? ph_text_json(p, d->boot_id) : "null",
               ph_num_or_null(p, (d->flags & PH_DEV_HAS_UPTIME) != 0,
                              d->uptime),
               ph_num_or_null(p, d->state == PH_STATE_PAUSED
                                 && d->paused_until != 0,
                              ph_sec(d->paused_until)),
               (d->flapping & PH_FLAP_ON) ? "true" : "false");
}

static void ph_json_each(ph_walk_t *w, const ph_device_t *d,
                         apr_int64_t index, apr_pool_t *p, void *baton)
{
    ap_rputs(w->emitted ? "," : "", w->r);
    ph_json_device(w->r, p, d, *(apr_time_t *)baton);
    (void)index;
}

/* The monitor's own recent downtimes, newest first: ?json's "downtimes",
 * there only when it had any. */
static void ph_json_downtimes(request_rec *r)
{
    apr_array_header_t *all = ph_downtime_recent(r->pool);
    int i;

    if (all->nelts == 0) {
        return;                 /* the document is as it was without any */
    }
    ap_rputs(",\"downtimes\":[", r);
    for (i = 0; i < all->nelts; i++) {
        const ph_downtime_t *d = &APR_ARRAY_IDX(all, all->nelts - 1 - i,
                                                ph_downtime_t);

        ap_rprintf(r, "%s{\"stopped\":%" APR_INT64_T_FMT ",\"back\":%"
                   APR_INT64_T_FMT ",\"seconds\":%" APR_INT64_T_FMT
                   ",\"clean\":%s,\"back_devices\":%u,\"silent\":%u,"
                   "\"waiting\":%u}", i ? "," : "", ph_sec(d->stopped),
                   ph_sec(d->back), ph_sec(d->back - d->stopped),
                   d->clean ? "true" : "false", d->nback, d->nsilent,
                   d->nwaiting);
    }
    ap_rputs("]", r);
}

static void ph_json_tail(request_rec *r, const ph_view_t *v)
{
    apr_pool_t *p = r->pool;
    apr_array_header_t *ev = ph_recent_events(r);
    ph_store_state_t st;
    int i;

    ph_store_state(&st);
    ap_rprintf(r, "],\"outbox\":{\"queued\":%u,\"dead\":%u,\"sent\":%"
               APR_UINT64_T_FMT ",\"last_error\":%s,\"last_error_time\":%s},"
               "\"state_dir\":{\"writable\":%s,\"error\":%s,"
               "\"failing_since\":%s,\"memory_held\":%u,"
               "\"memory_held_bytes\":%u,\"memory_bytes\":%u,"
               "\"memory_overflow\":%" APR_UINT64_T_FMT ","
               "\"write_failures\":%" APR_UINT64_T_FMT "},"
               "\"events\":[", v->queued, v->dead, v->sent,
               v->last_error[0] ? ph_text_json(p, v->last_error) : "null",
               ph_num_or_null(p, v->last_error_time != 0,
                              ph_sec(v->last_error_time)),
               st.writable ? "true" : "false",
               st.writable ? "null" : ph_text_json(p, ph_store_why(p, &st)),
               ph_num_or_null(p, !st.writable, ph_sec(st.since)), st.held,
               st.held_bytes, st.capacity, st.overflow, st.failures);
    for (i = 0; i < ev->nelts; i++) {
        ap_rvputs(r, i ? "," : "", APR_ARRAY_IDX(ev, i, char *), NULL);
    }
    /* Channels, when there are any: name, kind and counts; never a URL or
     * a token.  Without PhoneHomeNotify the document is as it was. */
    ap_rputs(v->nchan ? "],\"channels\":[" : "", r);
    for (i = 0; i < v->nchan; i++) {
        const ph_chan_stat_t *cs = &v->chan[i];

        ap_rprintf(r, "%s{\"name\":%s,\"kind\":\"%s\",\"queued\":%u,"
                   "\"dead\":%u,\"sent\":%" APR_UINT64_T_FMT ","
                   "\"last_error\":%s,\"last_error_time\":%s}",
                   i ? "," : "", ph_text_json(p, ph_view_chan(i)->name),
                   ph_notify_kind_name(ph_view_chan(i)->kind), cs->queued,
                   cs->dead, cs->sent,
                   cs->last_error[0] ? ph_text_json(p, cs->last_error)
                                     : "null",
                   ph_num_or_null(p, cs->last_error_time != 0,
                                  ph_sec(cs->last_error_time)));
    }
    /* PhoneHomeBeatTo targets, when there are any: the URL up to its host
     * (a ping URL's path is its secret). */
    ap_rputs(v->nbeat ? "],\"beat_to\":[" : "", r);
    for (i = 0; i < v->nbeat; i++) {
        const ph_beatto_stat_t *bs = &v->beat[i];

        ap_rprintf(r, "%s{\"target\":%s,\"device\":%s,\"every\":%u,"
                   "\"sent\":%" APR_UINT64_T_FMT ",\"held\":%"
                   APR_UINT64_T_FMT ",\"failures\":%u,\"last_success\":%s,"
                   "\"last_error\":%s,\"last_error_time\":%s}",
                   i ? "," : "", ph_text_json(p, ph_view_beat_target(p, i)),
                   ph_view_beat(i)->device
                       ? ph_text_json(p, ph_view_beat(i)->device) : "null",
                   ph_view_beat(i)->every, bs->sent, bs->held, bs->failures,
                   ph_num_or_null(p, bs->last_success != 0,
                                  ph_sec(bs->last_success)),
                   bs->last_error[0] ? ph_text_json(p, bs->last_error)
                                     : "null",
                   ph_num_or_null(p, bs->last_error_time != 0,
                                  ph_sec(bs->last_error_time)));
    }
    ap_rputs("]", r);
    ph_json_downtimes(r);
    ap_rputs("}\n", r);
}

int ph_render_json(request_rec *r, const ph_query_t *q)
{
    ph_view_t v;
    ph_walk_t w;

    ap_rprintf(r, "{\"server_time\":%" APR_INT64_T_FMT ",",
               ph_sec(apr_time_now()));
    ap_rflush(r);
    if (ph_view_take(r, q, &v) != APR_SUCCESS) {
        return OK;
    }
    ap_rprintf(r, "\"started\":%" APR_INT64_T_FMT ",\"devices\":[",
               ph_sec(v.started));
    ph_walk_init(&w, r, q, q->limit);
    ph_walk(&w, 0xf, ph_json_each, &v.now);
    ph_json_tail(r, &v);
    return OK;
}

/* ?json&device=NAME: the device with every fact and its recent events. */
int ph_render_json_device(request_rec *r, const ph_device_t *d)
{
    apr_pool_t *p = r->pool;
    apr_time_t now = apr_time_now();
    apr_array_header_t *ev = ph_recent_events(r);
    int i, first = 1;

    ap_rprintf(r, "{\"server_time\":%" APR_INT64_T_FMT ",\"device\":",
               ph_sec(now));
    ph_json_device(r, p, d, now);
    ap_rprintf(r, ",\"first_seen\":%s,\"rebooted\":%s,\"events\":[",
               ph_num_or_null(p, d->first_seen != 0, ph_sec(d->first_seen)),
               (d->flags & PH_DEV_REBOOTED) ? "true" : "false");
    for (i = 0; i < ev->nelts; i++) {
        const char *line = APR_ARRAY_IDX(ev, i, char *);
        const char *dev = ph_json_flat_get(p, line, "device");

        if (dev && !strcmp(dev, d->name)) {
            ap_rvputs(r, first ? "" : ",", line, NULL);
            first = 0;
        }
    }
    ap_rputs("]}\n", r);
    return OK;
}

/* ------------------------------------------------------------------ */
/* ?auto                                                               */

void ph_render_auto_summary(request_rec *r, const ph_view_t *v)
{
    ap_rprintf(r, "PhoneHomeDevices: %d\nPhoneHomeUp: %d\nPhoneHomeDown: %d\n"
               "PhoneHomeUnknown: %d\n", v->n, v->count[PH_STATE_UP],
               v->count[PH_STATE_DOWN], v->count[PH_STATE_UNKNOWN]);
}

static void ph_auto_each(ph_walk_t *w, const ph_device_t *d,
                         apr_int64_t i, apr_pool_t *p, void *baton)
{
    request_rec *r = w->r;
    apr_time_t now = *(apr_time_t *)baton;

    ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]Name: %s\n"
               "Device[%" APR_INT64_T_FMT "]Display: %s\n"
               "Device[%" APR_INT64_T_FMT "]State: %s\n", i, d->name, i,
               ph_text_oneline(p, ph_display_name(p, ph_runtime_conf(),
                                                  d->name)),
               i, ph_state_name(d->state));
    if (d->last_seen) {
        ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]LastSeen: %"
                   APR_INT64_T_FMT "\nDevice[%" APR_INT64_T_FMT "]Age: %"
                   APR_INT64_T_FMT "\nDevice[%" APR_INT64_T_FMT
                   "]FirstSeen: %" APR_INT64_T_FMT "\n",
                   i, ph_sec(d->last_seen), i, ph_sec(now - d->last_seen),
                   i, ph_sec(d->first_seen));
    }
    ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]MaxAge: %u\n"
               "Device[%" APR_INT64_T_FMT "]Since: %" APR_INT64_T_FMT "\n"
               "Device[%" APR_INT64_T_FMT "]Beats: %" APR_UINT64_T_FMT "\n",
               i, d->max_age, i, ph_sec(d->since), i, d->beats);
    if (d->state == PH_STATE_PAUSED && d->paused_until) {
        ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]PausedUntil: %"
                   APR_INT64_T_FMT "\n", i, ph_sec(d->paused_until));
    }
    if (ph_runtime_conf()->flap_any) {
        ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]Flapping: %d\n", i,
                   (d->flapping & PH_FLAP_ON) != 0);
    }
    if (d->remote_ip[0]) {
        ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]RemoteIP: %s\n", i,
                   ph_text_oneline(p, d->remote_ip));
    }
    if (d->user_agent[0]) {
        ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]UserAgent: %s\n", i,
                   ph_text_oneline(p, d->user_agent));
    }
    if (d->flags & PH_DEV_HAS_CLIENT_T) {
        ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]ClientTime: %"
                   APR_INT64_T_FMT "\nDevice[%" APR_INT64_T_FMT "]Skew: %"
                   APR_INT64_T_FMT "\n", i, d->client_time, i, d->skew);
    }
    if (d->boot_id[0]) {
        ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]BootId: %s\n", i,
                   ph_text_oneline(p, d->boot_id));
    }
    if (d->flags & PH_DEV_HAS_UPTIME) {
        ap_rprintf(r, "Device[%" APR_INT64_T_FMT "]Uptime: %" APR_INT64_T_FMT
                   "\n", i, d->uptime);
    }
}

int ph_render_auto(request_rec *r, const ph_query_t *q)
{
    apr_pool_t *p = r->pool;
    ph_view_t v;
    ph_store_state_t st;
    ph_walk_t w;
    int i;

    ap_rflush(r);                       /* the headers go now */
    if (ph_view_take(r, q, &v) != APR_SUCCESS) {
        return OK;
    }
    ph_render_auto_summary(r, &v);
    ap_rprintf(r, "PhoneHomeSlots: %u\nPhoneHomeOutboxQueued: %u\n"
               "PhoneHomeOutboxDead: %u\nPhoneHomeMailsSent: %"
               APR_UINT64_T_FMT "\nPhoneHomeTickUsec: %u\n"
               "PhoneHomeTickUsecMax: %u\nPhoneHomeLockUsecMax: %u\n"
               "ServerTime: %" APR_INT64_T_FMT "\n"
               "Started: %" APR_INT64_T_FMT "\n", v.nslots, v.queued,
               v.dead, v.sent, v.tick_usec, v.tick_usec_max,
               v.lock_usec_max, ph_sec(v.now), ph_sec(v.started));
    if (q->states || q->q) {
        ap_rprintf(r, "PhoneHomeMatched: %d\n", v.matched[0] + v.matched[1]
                   + v.matched[2] + v.matched[3]);
    }
    if (v.last_error[0]) {
        ap_rprintf(r, "PhoneHomeLastError: %s\nPhoneHomeLastErrorTime: %"
                   APR_INT64_T_FMT "\n", ph_text_oneline(p, v.last_error),
                   ph_sec(v.last_error_time));
    }
    ph_store_state(&st);
    ap_rprintf(r, "PhoneHomeStateDirWritable: %d\nPhoneHomeMemoryHeld: %u\n"
               "PhoneHomeMemoryHeldBytes: %u\nPhoneHomeMemoryOverflow: %"
               APR_UINT64_T_FMT "\n", st.writable, st.held, st.held_bytes,
               st.overflow);
    if (!st.writable) {
        ap_rprintf(r, "PhoneHomeStateDirError: %s\n"
                   "PhoneHomeStateDirFailingSince: %" APR_INT64_T_FMT "\n",
                   ph_text_oneline(p, ph_store_why(p, &st)),
                   ph_sec(st.since));
    }
    if (v.nchan) {
        ap_rprintf(r, "PhoneHomeChannels: %d\n", v.nchan);
    }
    for (i = 0; i < v.nchan; i++) {
        const ph_chan_stat_t *cs = &v.chan[i];

        ap_rprintf(r, "Channel[%d]Name: %s\nChannel[%d]Kind: %s\n"
                   "Channel[%d]Queued: %u\nChannel[%d]Dead: %u\n"
                   "Channel[%d]Sent: %" APR_UINT64_T_FMT "\n", i,
                   ph_view_chan(i)->name, i,
                   ph_notify_kind_name(ph_view_chan(i)->kind), i, cs->queued,
                   i, cs->dead, i, cs->sent);
        if (cs->last_error[0]) {
            ap_rprintf(r, "Channel[%d]LastError: %s\n"
                       "Channel[%d]LastErrorTime: %" APR_INT64_T_FMT "\n", i,
                       ph_text_oneline(p, cs->last_error), i,
                       ph_sec(cs->last_error_time));
        }
    }
    {
        apr_array_header_t *dts = ph_downtime_recent(p);

        /* The monitor's own recent downtimes, newest first. */
        if (dts->nelts) {
            ap_rprintf(r, "PhoneHomeDowntimes: %d\n", dts->nelts);
        }
        for (i = 0; i < dts->nelts; i++) {
            const ph_downtime_t *d = &APR_ARRAY_IDX(dts, dts->nelts - 1 - i,
                                                    ph_downtime_t);

            ap_rprintf(r, "Downtime[%d]Stopped: %" APR_INT64_T_FMT "\n"
                       "Downtime[%d]Back: %" APR_INT64_T_FMT "\n"
                       "Downtime[%d]Clean: %d\nDowntime[%d]Silent: %u\n"
                       "Downtime[%d]BackDevices: %u\n", i,
                       ph_sec(d->stopped), i, ph_sec(d->back), i, d->clean,
                       i, d->nsilent, i, d->nback);
        }
    }
    if (v.nbeat) {
        ap_rprintf(r, "PhoneHomeBeatTo: %d\n", v.nbeat);
    }
    for (i = 0; i < v.nbeat; i++) {
        const ph_beatto_stat_t *bs = &v.beat[i];

        ap_rprintf(r, "BeatTo[%d]Target: %s\nBeatTo[%d]Sent: %"
                   APR_UINT64_T_FMT "\nBeatTo[%d]Held: %" APR_UINT64_T_FMT
                   "\nBeatTo[%d]Failures: %u\n", i,
                   ph_view_beat_target(p, i), i, bs->sent, i, bs->held, i,
                   bs->failures);
        if (bs->last_success) {
            ap_rprintf(r, "BeatTo[%d]LastSuccess: %" APR_INT64_T_FMT "\n", i,
                       ph_sec(bs->last_success));
        }
        if (bs->last_error[0]) {
            ap_rprintf(r, "BeatTo[%d]LastError: %s\n"
                       "BeatTo[%d]LastErrorTime: %" APR_INT64_T_FMT "\n", i,
                       ph_text_oneline(p, bs->last_error), i,
                       ph_sec(bs->last_error_time));
        }
    }
    ph_walk_init(&w, r, q, q->limit);
    ph_walk(&w, 0xf, ph_auto_each, &v.now);
    return OK;
}

/* ------------------------------------------------------------------ */
/* ?metrics                                                            */

typedef struct {
    const char *family;
    int         kind;
    apr_time_t  now;
} ph_metric_walk_t;

enum {
    PH_M_UP, PH_M_STATE, PH_M_INFO, PH_M_BEATS, PH_M_MAX_AGE,
    PH_M_LAST_SEEN, PH_M_FIRST_SEEN, PH_M_SKEW, PH_M_UPTIME, PH_M_FLAPPING,
    PH_M_COUNT
};

static const struct {
    const char *name, *type, *help;
} ph_device_families[PH_M_COUNT] = {
    { "phonehome_device_up", "gauge",
      "1 if the device is up, 0 if it is down, unknown or paused." },
    { "phonehome_device_state", "gauge",
      "1 for the device's current state, 0 for the others." },
    { "phonehome_device_info", "gauge",
      "Always 1; the device's display name as a label." },
    { "phonehome_device_beats_total", "counter",
      "Beats accepted from the device." },
    { "phonehome_device_max_age_seconds", "gauge",
      "Seconds without a beat before the device is down." },
    { "phonehome_device_last_seen_timestamp_seconds", "gauge",
      "Server time of the last beat, epoch." },
    { "phonehome_device_first_seen_timestamp_seconds", "gauge",
      "Server time of the first beat, epoch." },
    { "phonehome_device_skew_seconds", "gauge",
      "Client clock minus server clock at the last beat." },
    { "phonehome_device_uptime_seconds", "gauge",
      "The device's uptime as it reported it." },
    { "phonehome_device_flapping", "gauge",
      "1 while the device is flapping (PhoneHomeFlapLimit), else 0." },
};

static void ph_metric_head(request_rec *r, const char *name,
                           const char *type, const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void ph_metrics_each(ph_walk_t *w, const ph_device_t *d,
                            apr_int64_t index, apr_pool_t *p, void *baton)
{
    ph_metric_walk_t *m = baton;
    request_rec *r = w->r;
    const char *dev = ph_text_prom_label(p, d->name);
    int s;

    (void)index;
    switch (m->kind) {
    case PH_M_UP:
        ap_rprintf(r, "%s{device=\"%s\"} %d\n", m->family, dev,
                   d->state == PH_STATE_UP);
        break;
    case PH_M_STATE:
        for (s = PH_STATE_UNKNOWN; s <= PH_STATE_PAUSED; s++) {
            ap_rprintf(r, "%s{device=\"%s\",state=\"%s\"} %d\n", m->family,
                       dev, ph_state_name(s), (d->state & 3) == s);
        }
        break;
    case PH_M_INFO:
        ap_rprintf(r, "%s{device=\"%s\",display=\"%s\"} 1\n", m->family, dev,
                   ph_text_prom_label(p, ph_display_name(p, ph_runtime_conf(),
                                                         d->name)));
        break;
    case PH_M_BEATS:
        ap_rprintf(r, "%s{device=\"%s\"} %" APR_UINT64_T_FMT "\n", m->family,
                   dev, d->beats);
        break;
    case PH_M_MAX_AGE:
        ap_rprintf(r, "%s{device=\"%s\"} %u\n", m->family, dev, d->max_age);
        break;
    case PH_M_LAST_SEEN:
    case PH_M_FIRST_SEEN: {
        apr_time_t t = m->kind == PH_M_LAST_SEEN ? d->last_seen
                                                 : d->first_seen;

        if (t) {
            ap_rprintf(r, "%s{device=\"%s\"} %" APR_INT64_T_FMT "\n",
                       m->family, dev, ph_sec(t));
        }
        break;
    }
    case PH_M_SKEW:
        if (d->flags & PH_DEV_HAS_CLIENT_T) {
            ap_rprintf(r, "%s{device=\"%s\"} %" APR_INT64_T_FMT "\n",
                       m->family, dev, d->skew);
        }
        break;
    case PH_M_FLAPPING:
        ap_rprintf(r, "%s{device=\"%s\"} %d\n", m->family, dev,
                   (d->flapping & PH_FLAP_ON) != 0);
        break;
    default:
        if (d->flags & PH_DEV_HAS_UPTIME) {
            ap_rprintf(r, "%s{device=\"%s\"} %" APR_INT64_T_FMT "\n",
                       m->family, dev, d->uptime);
        }
    }
}

static void ph_metrics_chan(request_rec *r, const ph_view_t *v,
                            const char *name, const char *type,
                            const char *help, int which)
{
    int i;

    if (v->nchan) {
        ph_metric_head(r, name, type, help);
    }
    for (i = 0; i < v->nchan; i++) {
        const ph_chan_stat_t *cs = &v->chan[i];

        ap_rprintf(r, "%s{channel=\"%s\",kind=\"%s\"} %" APR_UINT64_T_FMT
                   "\n", name, ph_text_prom_label(r->pool,
                                                  ph_view_chan(i)->name),
                   ph_notify_kind_name(ph_view_chan(i)->kind),
                   which == 0 ? (apr_uint64_t)cs->queued
                   : which == 1 ? (apr_uint64_t)cs->dead : cs->sent);
    }
}

/* One series per PhoneHomeBeatTo target: 0 sent, 1 held, 2 failures in
 * a row, 3 the last success (epoch seconds). */
static void ph_metrics_beat(request_rec *r, const ph_view_t *v,
                            const char *name, const char *type,
                            const char *help, int which)
{
    int i;

    if (v->nbeat) {
        ph_metric_head(r, name, type, help);
    }
    for (i = 0; i < v->nbeat; i++) {
        const ph_beatto_stat_t *bs = &v->beat[i];

        ap_rprintf(r, "%s{target=\"%s\"} %" APR_INT64_T_FMT "\n", name,
                   ph_text_prom_label(r->pool, ph_view_beat_target(r->pool,
                                                                   i)),
                   which == 0 ? (apr_int64_t)bs->sent
                   : which == 1 ? (apr_int64_t)bs->held
                   : which == 2 ? (apr_int64_t)bs->failures
                   : ph_sec(bs->last_success));
    }
}

int ph_render_metrics(request_rec *r, const ph_query_t *q)
{
    ph_view_t v;
    ph_store_state_t st;
    ph_metric_walk_t m;
    unsigned states = 0xf;
    int s, k, which = ph_runtime_conf()->metrics_devices;

    ap_rflush(r);                       /* the headers go now */
    if (ph_view_take(r, q, &v) != APR_SUCCESS) {
        return OK;
    }
    ph_metric_head(r, "phonehome_build_info", "gauge",
                   "Always 1; the module's version as a label.");
    ap_rputs("phonehome_build_info{version=\"" PH_VERSION "\"} 1\n", r);
    ph_metric_head(r, "phonehome_devices", "gauge",
                   "Devices in the table, by state.");
    for (s = PH_STATE_UNKNOWN; s <= PH_STATE_PAUSED; s++) {
        ap_rprintf(r, "phonehome_devices{state=\"%s\"} %d\n",
                   ph_state_name(s), v.count[s]);
    }
    ph_metric_head(r, "phonehome_device_slots", "gauge",
                   "Device slots in shared memory (PhoneHomeMaxDevices).");
    ap_rprintf(r, "phonehome_device_slots %u\n", v.nslots);
    ph_metric_head(r, "phonehome_beats_refused_full_total", "counter",
                   "Beats refused because the device table was full.");
    ap_rprintf(r, "phonehome_beats_refused_full_total %" APR_UINT64_T_FMT
               "\n", v.refused_full);
    ph_metric_head(r, "phonehome_outbox_queued", "gauge",
                   "Alerts waiting in the outbox.");
    ap_rprintf(r, "phonehome_outbox_queued %u\n", v.queued);
    ph_metric_head(r, "phonehome_outbox_dead", "gauge",
                   "Alerts the outbox gave up on.");
    ap_rprintf(r, "phonehome_outbox_dead %u\n", v.dead);
    ph_store_state(&st);
    ph_metric_head(r, "phonehome_state_dir_writable", "gauge",
                   "1 if the last write to PhoneHomeStateDir succeeded, 0 "
                   "if it failed (a full disk, an I/O error).");
    ap_rprintf(r, "phonehome_state_dir_writable %d\n", st.writable);
    ph_metric_head(r, "phonehome_outbox_memory_held", "gauge",
                   "Queue and outbox files the disk refused, held in memory "
                   "and delivered from there.");
    ap_rprintf(r, "phonehome_outbox_memory_held %u\n", st.held);
    ph_metric_head(r, "phonehome_outbox_memory_held_bytes", "gauge",
                   "Bytes of those files (of a fixed region).");
    ap_rprintf(r, "phonehome_outbox_memory_held_bytes %u\n", st.held_bytes);
    ph_metric_head(r, "phonehome_outbox_memory_overflow_total", "counter",
                   "Files the disk refused that did not fit in memory "
                   "either (they wait and are tried again).");
    ap_rprintf(r, "phonehome_outbox_memory_overflow_total %" APR_UINT64_T_FMT
               "\n", st.overflow);
    ph_metric_head(r, "phonehome_state_dir_write_failures_total", "counter",
                   "Writes to PhoneHomeStateDir that failed (each is "
                   "logged once a minute at most).");
    ap_rprintf(r, "phonehome_state_dir_write_failures_total %"
               APR_UINT64_T_FMT "\n", st.failures);
    ph_metric_head(r, "phonehome_mails_sent_total", "counter",
                   "Alert mails accepted by the SMTP server since httpd "
                   "started or restarted.");
    ap_rprintf(r, "phonehome_mails_sent_total %" APR_UINT64_T_FMT "\n",
               v.sent);
    ph_metrics_chan(r, &v, "phonehome_notify_queued", "gauge",
                    "Notifications waiting in the outbox, per channel.", 0);
    ph_metrics_chan(r, &v, "phonehome_notify_dead", "gauge",
                    "Notifications given up on, per channel.", 1);
    ph_metrics_beat(r, &v, "phonehome_beat_to_sent_total", "counter",
                    "Beats a PhoneHomeBeatTo target accepted since httpd "
                    "(re)started.", 0);
    ph_metrics_beat(r, &v, "phonehome_beat_to_held_total", "counter",
                    "Beats held back because this server was unhealthy.", 1);
    ph_metrics_beat(r, &v, "phonehome_beat_to_failures", "gauge",
                    "Beats to a PhoneHomeBeatTo target that failed in a "
                    "row.", 2);
    ph_metrics_beat(r, &v, "phonehome_beat_to_last_success_timestamp_seconds",
                    "gauge", "When a target last accepted a beat (0: "
                    "never).", 3);
    ph_metrics_chan(r, &v, "phonehome_notify_sent_total", "counter",
                    "Notifications a channel's service accepted since httpd "
                    "started or restarted.", 2);
    ph_metric_head(r, "phonehome_tick_seconds", "gauge",
                   "How long the last detection tick took.");
    ap_rprintf(r, "phonehome_tick_seconds %.6f\n", v.tick_usec / 1e6);
    ph_metric_head(r, "phonehome_start_time_seconds", "gauge",
                   "When httpd started (graceful restarts keep it), epoch.");
    ap_rprintf(r, "phonehome_start_time_seconds %" APR_INT64_T_FMT "\n",
               ph_sec(v.started));
    ap_rflush(r);

    /* Per device: one walk per family (the text format wants a family's
     * samples together), each a chunk at a time.  PhoneHomeMetricsDevices
     * keeps a big table's scrape small. */
    if (which == PH_METRICS_DEV_NONE) {
        return OK;
    }
    if (which == PH_METRICS_DEV_NOT_UP) {
        states &= ~(1u << PH_STATE_UP);
    }
    m.now = v.now;
    for (k = 0; k < PH_M_COUNT; k++) {
        ph_walk_t w;

        /* Only where flap damping is on somewhere. */
        if (k == PH_M_FLAPPING && !ph_runtime_conf()->flap_any) {
            continue;
        }

        ph_metric_head(r, ph_device_families[k].name,
                       ph_device_families[k].type,
                       ph_device_families[k].help);
        m.family = ph_device_families[k].name;
        m.kind = k;
        ph_walk_init(&w, r, q, q->limit);
        ph_walk(&w, states, ph_metrics_each, &m);
        apr_pool_destroy(w.chunk_pool);
        if (w.failed) {
            break;
        }
    }
    return OK;
}
