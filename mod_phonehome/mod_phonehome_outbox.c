/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The outbox room: what both senders (mail, channels) share.
 *   1. ph_queue_digest() turns queued transitions older than
 *      PhoneHomeDigestWindow into mails, one per kind (Error, Good) and
 *      recipient set, and notifications, one per kind and channel, written
 *      to the outbox (synced) before the queue files are removed.  The
 *      channels' watchdog (mod_phonehome_notify.c) calls it, since that
 *      thread never blocks on a server.
 *   2. ph_outbox_done() is the one settle step after an attempt, mail or
 *      channel: the decision is the core's (ph_outbox_settle), the file is
 *      removed, rewritten for the next attempt, or moved to dead/, and the
 *      counts of the status page follow.
 *   3. ph_outbox_stats() counts the queue, the outbox and dead/.
 * Delivery is at least once: a crash between sending and removing the file
 * sends it again rather than losing it.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"

#include "apr_strings.h"

#include <unistd.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_route.h"
#include "mod_phonehome_outbox.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_store.h"
#include "ph_arm.h"
#include "ph_event.h"
#include "ph_mail.h"
#include "ph_notify.h"
#include "ph_notify_digest.h"
#include "ph_spool.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

static unsigned long ph_mail_seq;

int ph_outbox_channel(const char *fname)
{
    char name[PH_NOTIFY_NAME_MAX + 1];

    if (!ph_outbox_file_channel(fname, name, sizeof(name))) {
        return -1;
    }
    return ph_channel_find(ph_runtime_conf(), name);
}

/* Files in @a dir ending in .mail or .notify; channels counted in @a per. */
static int ph_count_dir(apr_pool_t *p, int dir, apr_uint32_t *per,
                        int nchan, int *ok)
{
    apr_array_header_t *mails, *notes;
    int i;

    if (ph_store_list(p, dir, PH_OUTBOX_SUFFIX, &mails)
        || ph_store_list(p, dir, PH_NOTIFY_SUFFIX, &notes)) {
        *ok = 0;
        return 0;
    }
    for (i = 0; i < notes->nelts; i++) {
        int chan = ph_outbox_channel(APR_ARRAY_IDX(notes, i, char *));

        if (chan >= 0 && chan < nchan) {
            per[chan]++;
        }
    }
    return mails->nelts + notes->nelts;
}

void ph_outbox_stats(apr_pool_t *p, const char *error)
{
    ph_chan_stat_t *cs = ph_runtime_chan_stats();
    ph_table_hdr_t *h = ph_runtime_table()->hdr;
    int nchan = ph_runtime_conf()->channels->nelts, ok = 1, i;
    apr_uint32_t *queued = apr_pcalloc(p, sizeof(apr_uint32_t) * (nchan + 1));
    apr_uint32_t *dead = apr_pcalloc(p, sizeof(apr_uint32_t) * (nchan + 1));
    apr_array_header_t *pending;
    int nqueued, ndead;

    nqueued = ph_count_dir(p, PH_STORE_OUTBOX, queued, nchan, &ok);
    ndead = ph_count_dir(p, PH_STORE_DEAD, dead, nchan, &ok);
    if (!ok || ph_store_list(p, PH_STORE_QUEUE, ".ev", &pending)) {
        return;
    }
    if (ph_runtime_lock() != APR_SUCCESS) {
        return;
    }
    h->outbox_queued = (apr_uint32_t)(nqueued + pending->nelts);
    h->outbox_dead = (apr_uint32_t)ndead;
    for (i = 0; i < nchan; i++) {
        cs[i].queued = queued[i];
        cs[i].dead = dead[i];
    }
    if (error) {
        apr_cpystrn(h->last_error, error, sizeof(h->last_error));
        h->last_error_time = apr_time_now();
    }
    ph_unlock();
}

/* Write @a fname into the outbox; logged when it cannot be. */
static apr_status_t ph_outbox_put(server_rec *s, apr_pool_t *p,
                                  const char *fname, const char *text,
                                  apr_size_t len)
{
    apr_uint32_t more;
    int held;
    apr_status_t rv = ph_store_write(s, p, PH_STORE_OUTBOX, fname, text, len,
                                     &held);

    if (rv != APR_SUCCESS && ph_runtime_log_due(33, rv, &more)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     PHLOGNO(00033) "cannot write to the outbox %s%s",
                     ph_dir(p, PH_DIR_OUTBOX), ph_runtime_more(p, more));
    }
    return rv;
}

/* A mail for @a to, as outbox file <name>.mail. */
static apr_status_t ph_outbox_put_mail(server_rec *s, apr_pool_t *p,
                                       const char *name, apr_time_t now,
                                       const char *subject,
                                       const apr_array_header_t *to,
                                       const char *message)
{
    ph_outbox_item_t item;
    const char *text;
    apr_size_t len;

    memset(&item, 0, sizeof(item));
    item.created = now;
    item.subject = subject;
    item.rcpt = (apr_array_header_t *)to;
    item.message = message;
    text = ph_outbox_format(p, &item, &len);
    return ph_outbox_put(s, p, apr_pstrcat(p, name, PH_OUTBOX_SUFFIX, NULL),
                         text, len);
}

void ph_outbox_bury(server_rec *s, apr_pool_t *p, const char *fname,
                    const char *what, const char *why)
{
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 PHLOGNO(00036)
                 "%s/%s is not a %s we can send (%s): moved to %s",
                 ph_dir(p, PH_DIR_OUTBOX), fname, what, why, PH_DIR_DEAD);
    ph_store_move(s, p, PH_STORE_OUTBOX, PH_STORE_DEAD, fname);
}

int ph_outbox_load(server_rec *s, apr_pool_t *p, const char *fname,
                   const char *what, ph_outbox_item_t *item)
{
    const char *odir = ph_dir(p, PH_DIR_OUTBOX), *why;
    char err[120];
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t len;
    char *buf;

    /* From memory when the disk refused it, else from the disk. */
    rv = ph_store_read(p, PH_STORE_OUTBOX, fname, &buf, &len, PH_OUTBOX_MAX);
    if (rv == APR_SUCCESS) {
        if ((why = ph_outbox_parse(p, buf, len, item)) != NULL) {
            ph_outbox_bury(s, p, fname, what, why);
            return 1;
        }
        return 0;
    }
    if (APR_STATUS_IS_ENOENT(rv) || APR_STATUS_IS_EMFILE(rv)
        || APR_STATUS_IS_ENFILE(rv) || APR_STATUS_IS_EINTR(rv)
        || rv == APR_ENOMEM) {
        return -1;
    }
    if (apr_stat(&fi, apr_pstrcat(p, odir, "/", fname, NULL), APR_FINFO_SIZE,
                 p) == APR_SUCCESS && fi.size > PH_OUTBOX_MAX) {
        why = apr_psprintf(p, "%" APR_OFF_T_FMT " bytes, over the limit of "
                           "%d", fi.size, PH_OUTBOX_MAX);
    }
    else {
        why = apr_strerror(rv, err, sizeof(err));
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 PHLOGNO(00150) "%s/%s cannot be read as a %s (%s): moved to "
                 "%s; the outbox goes on with the next", odir, fname, what,
                 ph_text_oneline(p, why), PH_DIR_DEAD);
    ph_store_move(s, p, PH_STORE_OUTBOX, PH_STORE_DEAD, fname);
    return 1;
}

ph_outbox_fate_e ph_outbox_done(apr_pool_t *p, const char *fname,
                                ph_outbox_item_t *item, int chan,
                                const char *why, int permanent,
                                apr_time_t now, apr_interval_time_t cap,
                                apr_interval_time_t retry_after)
{
    ph_chan_stat_t *cs = chan >= 0 ? &ph_runtime_chan_stats()[chan] : NULL;
    ph_outbox_fate_e fate;
    const char *text;
    apr_size_t len;
    int held;

    fate = ph_outbox_settle(item, why, permanent, now,
                            apr_time_from_sec(ph_runtime_conf()->retry_period),
                            cap, retry_after);
    if (fate == PH_OUTBOX_SENT) {
        ph_store_remove(p, PH_STORE_OUTBOX, fname);
    }
    else {
        text = ph_outbox_format(p, item, &len);
        ph_store_write(ap_server_conf, p, PH_STORE_OUTBOX, fname, text, len,
                       &held);
        if (fate != PH_OUTBOX_RETRY) {
            ph_store_move(ap_server_conf, p, PH_STORE_OUTBOX, PH_STORE_DEAD,
                          fname);
        }
    }
    if ((fate == PH_OUTBOX_SENT || cs) && ph_runtime_lock() == APR_SUCCESS) {
        if (cs == NULL) {
            ph_runtime_table()->hdr->mails_sent++;
        }
        else if (fate == PH_OUTBOX_SENT) {
            cs->sent++;
        }
        else {
            apr_cpystrn(cs->last_error, why, sizeof(cs->last_error));
            cs->last_error_time = apr_time_now();
        }
        ph_unlock();
    }
    return fate;
}

/* ------------------------------------------------------------------ */
/* 1. Queue to outbox                                                  */

typedef struct {
    const char         *key;            /* word and recipients or channel */
    int                 kind;
    const apr_array_header_t *to;       /* mail: the recipients */
    int                 chan;           /* else: the channel, or -1 */
    apr_array_header_t *events;         /* const ph_event_t * */
} ph_group_t;

static ph_group_t *ph_group(apr_pool_t *p, apr_hash_t *by_key,
                            apr_array_header_t *groups, const char *key,
                            int kind)
{
    ph_group_t *g = apr_hash_get(by_key, key, APR_HASH_KEY_STRING);

    if (g == NULL) {
        g = apr_pcalloc(p, sizeof(*g));
        g->key = key;
        g->kind = kind;
        g->chan = -1;
        g->events = apr_array_make(p, 4, sizeof(ph_event_t *));
        apr_hash_set(by_key, key, APR_HASH_KEY_STRING, g);
        APR_ARRAY_PUSH(groups, ph_group_t *) = g;
    }
    return g;
}

/* A part's outbox name: the digest's own, and its number when split. */
static const char *ph_part_name(apr_pool_t *p, const char *name,
                                const ph_mail_t *part)
{
    return part->parts > 1 ? apr_psprintf(p, "%s-%05d", name, part->part)
                           : name;
}

/* A channel's notification: the events themselves, one queue line each;
 * the request is built at every attempt (secrets stay in memory).  A
 * digest too big for the channel is split or cut by the core first
 * (ph_notify_split): one file per part, each far under PH_OUTBOX_MAX. */
static apr_status_t ph_notify_add(server_rec *s, apr_pool_t *p,
                                  ph_group_t *g, apr_time_t now,
                                  const char *name, const ph_mail_t *m)
{
    const ph_notify_chan_t *chan = &APR_ARRAY_IDX(ph_runtime_conf()->channels,
                                                  g->chan, ph_notify_chan_t);
    ph_mail_t *parts;
    int nparts, k, i;

    nparts = ph_notify_split(p, chan->kind, m, PH_NOTIFY_JSON_MAX, &parts);
    for (k = 0; k < nparts; k++) {
        const ph_mail_t *pm = &parts[k];
        apr_array_header_t *lines;
        ph_outbox_item_t item;
        const char *text, *fname;
        apr_size_t len;
        apr_status_t rv;
        apr_pool_t *pp;

        apr_pool_create(&pp, p);        /* one part's text at a time */
        lines = apr_array_make(pp, pm->n, sizeof(char *));
        for (i = 0; i < pm->n; i++) {
            APR_ARRAY_PUSH(lines, const char *) = apr_pstrcat(pp,
                ph_event_format(pp, pm->events[i]), "\n", NULL);
        }
        memset(&item, 0, sizeof(item));
        item.created = now;
        item.subject = ph_mail_subject(pp, pm);
        item.channel = chan->name;
        item.message = apr_array_pstrcat(pp, lines, 0);
        item.total = pm->total;
        item.part = pm->part;
        item.parts = pm->parts;
        text = ph_outbox_format(pp, &item, &len);
        fname = apr_pstrcat(pp, ph_part_name(pp, name, pm), ".", chan->name,
                            PH_NOTIFY_SUFFIX, NULL);
        if ((rv = ph_outbox_put(s, pp, fname, text, len)) == APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                         PHLOGNO(00058) "queued notification %s \"%s\" for "
                         "channel %s", fname, item.subject, chan->name);
            ph_events_log(s, pp, apr_psprintf(pp, "{\"time\":%"
                          APR_INT64_T_FMT ",\"event\":\"notify_queued\","
                          "\"notify\":\"%s\",\"channel\":\"%s\","
                          "\"devices\":%d}", (apr_int64_t)apr_time_sec(now),
                          fname, chan->name, pm->n));
        }
        apr_pool_destroy(pp);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t ph_outbox_add(server_rec *s, apr_pool_t *p,
                                  ph_group_t *g, apr_time_t now)
{
    ph_server_conf_t *c = ph_runtime_conf();
    const char **displays = apr_palloc(p, sizeof(char *) * g->events->nelts);
    ph_mail_t m, *parts;
    const char *subject, *name;
    apr_status_t rv;
    int i, nparts;

    for (i = 0; i < g->events->nelts; i++) {
        displays[i] = ph_display_name(p, c, APR_ARRAY_IDX(g->events, i,
                                                          const ph_event_t *)->name);
    }
    name = apr_psprintf(p, "%" APR_TIME_T_FMT "-%" APR_PID_T_FMT "-%lu",
                        now, getpid(), ++ph_mail_seq);
    memset(&m, 0, sizeof(m));
    m.from = c->mail_from;
    m.to = g->to;
    m.monitor = c->monitor_name;
    m.now = now;
    m.n = g->events->nelts;
    m.events = (const ph_event_t * const *)g->events->elts;
    m.displays = displays;
    m.msgid = name;
    if (g->chan >= 0) {
        return ph_notify_add(s, p, g, now, name, &m);
    }

    /* A digest bigger than PH_MAIL_PART_MAX goes as parts, each under it,
     * every device named in one of them (the core splits). */
    nparts = ph_mail_split(p, &m, PH_MAIL_PART_MAX, &parts);
    for (i = 0; i < nparts; i++) {
        ph_mail_t *pm = &parts[i];
        apr_pool_t *pp;
        const char *pname;

        apr_pool_create(&pp, p);        /* one part's text at a time */
        pname = ph_part_name(pp, name, pm);
        pm->msgid = pname;
        subject = ph_mail_subject(pp, pm);
        rv = ph_outbox_put_mail(s, pp, pname, now, subject, g->to,
                                ph_mail_compose(pp, pm));
        if (rv == APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                         PHLOGNO(00034) "queued mail %s \"%s\" to %s", pname,
                         subject, apr_array_pstrcat(pp, g->to, ','));
            ph_events_log(s, pp, apr_psprintf(pp, "{\"time\":%"
                          APR_INT64_T_FMT ",\"event\":\"mail_queued\","
                          "\"mail\":\"%s\",\"devices\":%d}",
                          (apr_int64_t)apr_time_sec(now), pname, pm->n));
        }
        apr_pool_destroy(pp);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

/* The hour's summary of alert events of undeclared devices held back by
 * the cap (ph_cap_undeclared in detect): in the error log, events.log and
 * one mail to PhoneHomeMailTo.  The hour is monotonic, like the cap's. */
static void ph_outbox_folded(server_rec *s, apr_pool_t *p)
{
    ph_server_conf_t *c = ph_runtime_conf();
    apr_time_t now = apr_time_now();
    apr_uint32_t folded;
    ph_mail_t m;
    const char *subject, *name;

    if (ph_runtime_lock() != APR_SUCCESS) {
        return;
    }
    folded = ph_arm_budget_summary(&ph_runtime_table()->hdr->arm_budget,
                                   ph_mono_now());
    ph_unlock();
    if (folded == 0) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                 PHLOGNO(00125)
                 "%u alert events of undeclared devices were not "
                 "sent in the last hour (more than %d); declare the devices "
                 "you want to hear from with PhoneHomeDevice", folded,
                 PH_ARM_UNDECLARED_PER_HOUR);
    ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_TIME_T_FMT
                                     ",\"event\":\"folded\",\"count\":%u}",
                                     apr_time_sec(now), folded));
    if (c->mail_from == NULL || c->mail_to->nelts == 0) {
        return;
    }
    name = apr_psprintf(p, "%" APR_TIME_T_FMT "-%" APR_PID_T_FMT "-%lu",
                        now, getpid(), ++ph_mail_seq);
    memset(&m, 0, sizeof(m));
    m.from = c->mail_from;
    m.to = c->mail_to;
    m.monitor = c->monitor_name;
    m.now = now;
    m.msgid = name;
    subject = ph_mail_folded_subject(p, c->monitor_name, folded);
    if (ph_outbox_put_mail(s, p, name, now, subject, c->mail_to,
                           ph_mail_folded(p, &m, folded,
                                          PH_ARM_UNDECLARED_PER_HOUR))
        == APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     PHLOGNO(00065) "queued mail %s \"%s\" to %s", name,
                     subject, apr_array_pstrcat(p, c->mail_to, ','));
    }
}

void ph_queue_digest(server_rec *s, apr_pool_t *p)
{
    ph_server_conf_t *c = ph_runtime_conf();
    const char *qdir = ph_dir(p, PH_DIR_QUEUE);
    apr_array_header_t *files, *groups;
    apr_time_t now = apr_time_now();
    apr_hash_t *by_key;
    int i, failed = 0;

    ph_outbox_folded(s, p);
    if (ph_store_list(p, PH_STORE_QUEUE, ".ev", &files) != APR_SUCCESS
        || files->nelts == 0) {
        return;
    }
    /* Names start with the detection time, monotonic. */
    if (!ph_queue_due(files, ph_mono_now(),
                      apr_time_from_sec(c->digest_window))) {
        return;
    }

    groups = apr_array_make(p, 2, sizeof(ph_group_t *));
    by_key = apr_hash_make(p);
    for (i = 0; i < files->nelts; i++) {
        const char *fname = APR_ARRAY_IDX(files, i, char *);
        char *buf, *line, *last;
        apr_size_t len;

        if (ph_store_read(p, PH_STORE_QUEUE, fname, &buf, &len,
                          64 * 1024 * 1024) != APR_SUCCESS) {
            continue;
        }
        for (line = apr_strtok(buf, "\n", &last); line;
             line = apr_strtok(NULL, "\n", &last)) {
            ph_event_t *e = apr_palloc(p, sizeof(*e));
            const apr_array_header_t *to;
            const char *why, *key;
            ph_group_t *g;
            int chan;

            if ((why = ph_event_parse(e, line)) != NULL) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                             PHLOGNO(00035)
                             "skipping a line of %s/%s: %s", qdir,
                             fname, why);
                continue;
            }
            /* Digests per channel exactly as for mail: one per kind. */
            for (chan = 0; chan < c->channels->nelts; chan++) {
                if (!ph_route_channel(c, e->name, chan)) {
                    continue;
                }
                g = ph_group(p, by_key, groups, apr_psprintf(p, "%s|#%d",
                             ph_event_word(e->kind), chan), e->kind);
                g->chan = chan;
                APR_ARRAY_PUSH(g->events, const ph_event_t *) = e;
            }
            to = ph_recipients(c, e->name);
            if (to == NULL || to->nelts == 0 || c->mail_from == NULL
                || !ph_route_mail(c, e->name)) {
                continue;               /* logged at detection; no mail */
            }
            key = apr_pstrcat(p, ph_event_word(e->kind), "|",
                              apr_array_pstrcat(p, to, ','), NULL);
            g = ph_group(p, by_key, groups, key, e->kind);
            g->to = to;
            APR_ARRAY_PUSH(g->events, const ph_event_t *) = e;
        }
    }
    for (i = 0; i < groups->nelts; i++) {
        if (ph_outbox_add(s, p, APR_ARRAY_IDX(groups, i, ph_group_t *),
                          now) != APR_SUCCESS) {
            failed = 1;
        }
    }
    if (failed) {
        return;                 /* keep the queue; try again next tick */
    }
    for (i = 0; i < files->nelts; i++) {
        ph_store_remove(p, PH_STORE_QUEUE, APR_ARRAY_IDX(files, i, char *));
    }
}
