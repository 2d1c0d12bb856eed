/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The outbox: a second singleton watchdog, so that a slow or dead SMTP
 * server never delays detection or beats.
 *   1. ph_queue_digest() turns queued transitions older than
 *      PhoneHomeDigestWindow into mails, one per kind (Error, Good) and
 *      recipient set, and notifications, one per kind and channel, written
 *      to the outbox (synced) before the queue files are removed.  The
 *      channels' watchdog (mod_phonehome_notify.c) calls it, since that
 *      thread never blocks on a server.
 *   2. Every quarter second this one sends each outbox mail that is due
 *      through libesmtp; a failure is
 *      retried with backoff until PhoneHomeRetryPeriod has passed, then the
 *      mail is moved to dead/ and stays there.
 * Delivery is at least once: a crash between sending and removing the file
 * sends a mail again rather than losing it.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_watchdog.h"

#include "apr_strings.h"

#include <unistd.h>

/* auth-client.h first: libesmtp.h declares its AUTH calls only after it. */
#include <auth-client.h>
#include <libesmtp.h>

#include "mod_phonehome.h"
#include "ph_event.h"
#include "ph_mail.h"
#include "ph_notify.h"
#include "ph_outbox.h"
#include "ph_spool.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

#define PH_WATCHDOG_MAIL    "_phonehome_mail_"
/* A quarter second: the queue is digested in another thread, so a mail
 * waits at most this long once it is in the outbox. */
#define PH_MAIL_TICK        apr_time_from_msec(250)
#define PH_BACKOFF_CAP      apr_time_from_sec(600)
#define PH_SMTP_TIMEOUT_MS  30000L

static volatile int ph_mail_stopping;
static unsigned long ph_mail_seq;

static const char *ph_dir(apr_pool_t *p, const char *sub)
{
    return apr_pstrcat(p, ph_shared.conf->state_dir, "/", sub, NULL);
}

/* The channel of a notification file, "<id>.<channel>.notify", or -1. */
static int ph_file_channel(const char *fname)
{
    const char *dot = strchr(fname, '.');
    const char *end = strrchr(fname, '.');
    char name[PH_NOTIFY_NAME_MAX + 1];

    if (dot == NULL || end == dot || (apr_size_t)(end - dot - 1)
                                     > PH_NOTIFY_NAME_MAX) {
        return -1;
    }
    apr_cpystrn(name, dot + 1, (apr_size_t)(end - dot));
    return ph_channel_find(ph_shared.conf, name);
}

/* Files in @a dir ending in .mail or .notify; channels counted in @a per. */
static int ph_count_dir(apr_pool_t *p, const char *dir, apr_uint32_t *per,
                        int nchan, int *ok)
{
    apr_array_header_t *mails, *notes;
    int i;

    if (ph_spool_list(p, dir, PH_OUTBOX_SUFFIX, &mails)
        || ph_spool_list(p, dir, PH_NOTIFY_SUFFIX, &notes)) {
        *ok = 0;
        return 0;
    }
    for (i = 0; i < notes->nelts; i++) {
        int chan = ph_file_channel(APR_ARRAY_IDX(notes, i, char *));

        if (chan >= 0 && chan < nchan) {
            per[chan]++;
        }
    }
    return mails->nelts + notes->nelts;
}

void ph_outbox_stats(apr_pool_t *p, const char *error)
{
    int nchan = ph_shared.conf->channels->nelts, ok = 1, i;
    apr_uint32_t *queued = apr_pcalloc(p, sizeof(apr_uint32_t) * (nchan + 1));
    apr_uint32_t *dead = apr_pcalloc(p, sizeof(apr_uint32_t) * (nchan + 1));
    apr_array_header_t *pending;
    int nqueued, ndead;

    nqueued = ph_count_dir(p, ph_dir(p, PH_DIR_OUTBOX), queued, nchan, &ok);
    ndead = ph_count_dir(p, ph_dir(p, PH_DIR_DEAD), dead, nchan, &ok);
    if (!ok || ph_spool_list(p, ph_dir(p, PH_DIR_QUEUE), ".ev", &pending)) {
        return;
    }
    if (apr_global_mutex_lock(ph_shared.mutex) != APR_SUCCESS) {
        return;
    }
    ph_shared.table.hdr->outbox_queued = (apr_uint32_t)(nqueued
                                                        + pending->nelts);
    ph_shared.table.hdr->outbox_dead = (apr_uint32_t)ndead;
    for (i = 0; i < nchan; i++) {
        ph_shared.chan_stats[i].queued = queued[i];
        ph_shared.chan_stats[i].dead = dead[i];
    }
    if (error) {
        apr_cpystrn(ph_shared.table.hdr->last_error, error,
                    sizeof(ph_shared.table.hdr->last_error));
        ph_shared.table.hdr->last_error_time = apr_time_now();
    }
    apr_global_mutex_unlock(ph_shared.mutex);
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

/* A channel's notification: the events themselves, one queue line each;
 * the request is built at every attempt (secrets stay in memory). */
static apr_status_t ph_notify_add(server_rec *s, apr_pool_t *p,
                                  ph_group_t *g, apr_time_t now,
                                  const char *name, const ph_mail_t *m)
{
    const ph_notify_chan_t *chan = &APR_ARRAY_IDX(ph_shared.conf->channels,
                                                  g->chan, ph_notify_chan_t);
    apr_array_header_t *lines = apr_array_make(p, g->events->nelts,
                                               sizeof(char *));
    ph_outbox_item_t item;
    const char *text, *fname;
    apr_size_t len;
    apr_status_t rv;
    int i;

    for (i = 0; i < g->events->nelts; i++) {
        APR_ARRAY_PUSH(lines, const char *) = apr_pstrcat(p,
            ph_event_format(p, APR_ARRAY_IDX(g->events, i,
                                             const ph_event_t *)), "\n",
            NULL);
    }
    memset(&item, 0, sizeof(item));
    item.created = now;
    item.subject = ph_mail_subject(p, m);
    item.channel = chan->name;
    item.message = apr_array_pstrcat(p, lines, 0);
    text = ph_outbox_format(p, &item, &len);
    fname = apr_pstrcat(p, name, ".", chan->name, PH_NOTIFY_SUFFIX, NULL);
    rv = ph_spool_write(p, ph_dir(p, PH_DIR_OUTBOX), fname, text, len);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "PH00033: cannot write to the outbox %s",
                     ph_dir(p, PH_DIR_OUTBOX));
        return rv;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "PH00058: queued notification %s \"%s\" for channel %s",
                 fname, item.subject, chan->name);
    ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                  ",\"event\":\"notify_queued\",\"notify\":\"%s\","
                  "\"channel\":\"%s\",\"devices\":%d}",
                  (apr_int64_t)apr_time_sec(now), fname, chan->name,
                  g->events->nelts));
    return APR_SUCCESS;
}

static apr_status_t ph_outbox_add(server_rec *s, apr_pool_t *p,
                                  ph_group_t *g, apr_time_t now)
{
    ph_server_conf_t *c = ph_shared.conf;
    const char **displays = apr_palloc(p, sizeof(char *) * g->events->nelts);
    ph_outbox_item_t item;
    ph_mail_t m;
    const char *text, *name;
    apr_size_t len;
    apr_status_t rv;
    int i;

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

    memset(&item, 0, sizeof(item));
    item.created = now;
    item.subject = ph_mail_subject(p, &m);
    item.rcpt = (apr_array_header_t *)g->to;
    item.message = ph_mail_compose(p, &m);
    text = ph_outbox_format(p, &item, &len);
    rv = ph_spool_write(p, ph_dir(p, PH_DIR_OUTBOX),
                        apr_pstrcat(p, name, PH_OUTBOX_SUFFIX, NULL), text,
                        len);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "PH00033: cannot write to the outbox %s",
                     ph_dir(p, PH_DIR_OUTBOX));
        return rv;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "PH00034: queued mail %s \"%s\" to %s", name,
                 item.subject, apr_array_pstrcat(p, g->to, ','));
    ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                  ",\"event\":\"mail_queued\",\"mail\":\"%s\","
                  "\"devices\":%d}", (apr_int64_t)apr_time_sec(now), name,
                  g->events->nelts));
    return APR_SUCCESS;
}

void ph_queue_digest(server_rec *s, apr_pool_t *p)
{
    ph_server_conf_t *c = ph_shared.conf;
    const char *qdir = ph_dir(p, PH_DIR_QUEUE);
    apr_array_header_t *files, *groups;
    apr_time_t now = apr_time_now();
    apr_hash_t *by_key;
    int i, failed = 0;

    if (ph_spool_list(p, qdir, ".ev", &files) != APR_SUCCESS
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

        if (ph_spool_read(p, apr_pstrcat(p, qdir, "/", fname, NULL), &buf,
                          &len, 64 * 1024 * 1024) != APR_SUCCESS) {
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
                             "PH00035: skipping a line of %s/%s: %s", qdir,
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
        ph_spool_remove(p, qdir, APR_ARRAY_IDX(files, i, char *));
    }
}

/* ------------------------------------------------------------------ */
/* 2. Sending                                                          */

static int ph_smtp_interact(auth_client_request_t request, char **result,
                            int fields, void *arg)
{
    ph_server_conf_t *c = arg;
    int i;

    for (i = 0; i < fields; i++) {
        if (request[i].flags & AUTH_USER) {
            result[i] = (char *)c->smtp_user;
        }
        else if (request[i].flags & AUTH_PASS) {
            result[i] = (char *)c->smtp_password;
        }
        else {
            result[i] = (char *)"";
        }
    }
    return 1;
}

/* Send one mail.  NULL on success, else a one-line reason; *permanent is
 * set when the server refused the mail for good (5xx). */
static const char *ph_smtp_send(apr_pool_t *p, const ph_outbox_item_t *item,
                                int *permanent)
{
    ph_server_conf_t *c = ph_shared.conf;
    static const int timeouts[] = { Timeout_GREETING, Timeout_ENVELOPE,
                                    Timeout_DATA, Timeout_TRANSFER,
                                    Timeout_DATA2 };
    smtp_session_t session;
    smtp_message_t message;
    auth_context_t auth = NULL;
    const smtp_status_t *st;
    const char *why = NULL;
    char err[128];
    unsigned int i;
    int n;

    *permanent = 0;
    session = smtp_create_session();
    if (session == NULL) {
        return "libesmtp cannot create a session";
    }
    message = smtp_add_message(session);
    smtp_set_server(session, apr_psprintf(p, "%s:%u", c->smtp_host,
                                          (unsigned)c->smtp_port));
    for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
        smtp_set_timeout(session, timeouts[i]
                         | Timeout_OVERRIDE_RFC2822_MINIMUM,
                         PH_SMTP_TIMEOUT_MS);
    }
    smtp_starttls_enable(session, c->smtp_starttls == PH_TLS_REQUIRED
                         ? Starttls_REQUIRED : c->smtp_starttls == PH_TLS_ON
                         ? Starttls_ENABLED : Starttls_DISABLED);
    if (c->smtp_user) {
        auth = auth_create_context();
        auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
        auth_set_interact_cb(auth, ph_smtp_interact, c);
        smtp_auth_set_context(session, auth);
    }
    smtp_set_reverse_path(message, c->mail_from);
    smtp_set_message_str(message, (void *)item->message);
    for (n = 0; n < item->rcpt->nelts; n++) {
        smtp_add_recipient(message, APR_ARRAY_IDX(item->rcpt, n,
                                                  const char *));
    }

    if (!smtp_start_session(session)) {
        why = apr_psprintf(p, "%s:%u: %s", c->smtp_host,
                           (unsigned)c->smtp_port,
                           smtp_strerror(smtp_errno(), err, sizeof(err)));
    }
    else {
        st = smtp_message_transfer_status(message);
        if (st == NULL || st->code == 0) {
            st = smtp_reverse_path_status(message);
        }
        if (st == NULL || st->code / 100 != 2) {
            int code = st ? st->code : 0;

            *permanent = code / 100 == 5;
            why = code ? apr_psprintf(p, "%d %s", code,
                                      st->text ? st->text : "")
                : c->smtp_starttls == PH_TLS_REQUIRED
                ? "no STARTTLS from the server (PhoneHomeSMTPStartTLS "
                  "Required): not sent in the clear"
                : apr_psprintf(p, "%s:%u: the session ended before the mail "
                               "was accepted", c->smtp_host,
                               (unsigned)c->smtp_port);
        }
    }
    smtp_destroy_session(session);
    if (auth) {
        auth_destroy_context(auth);
    }
    return why ? ph_text_oneline(p, why) : NULL;
}

static void ph_send_due(server_rec *s, apr_pool_t *p)
{
    ph_server_conf_t *c = ph_shared.conf;
    const char *odir = ph_dir(p, PH_DIR_OUTBOX);
    const char *last_error = NULL;
    apr_array_header_t *files;
    int i;

    if (ph_spool_list(p, odir, PH_OUTBOX_SUFFIX, &files) != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < files->nelts && !ph_mail_stopping; i++) {
        const char *fname = APR_ARRAY_IDX(files, i, char *);
        ph_outbox_item_t item;
        const char *why, *text;
        apr_time_t now = apr_time_now();
        apr_size_t len;
        char *buf;
        int permanent;

        if (ph_spool_read(p, apr_pstrcat(p, odir, "/", fname, NULL), &buf,
                          &len, PH_OUTBOX_MAX) != APR_SUCCESS) {
            continue;
        }
        if ((why = ph_outbox_parse(p, buf, len, &item)) != NULL) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         "PH00036: %s/%s is not a mail we can send (%s): "
                         "moved to %s", odir, fname, why, PH_DIR_DEAD);
            ph_spool_move(p, odir, ph_dir(p, PH_DIR_DEAD), fname);
            continue;
        }
        if (!ph_outbox_due(item.next, now, PH_BACKOFF_CAP)) {
            continue;
        }
        why = ph_smtp_send(p, &item, &permanent);
        now = apr_time_now();
        if (why == NULL) {
            ph_spool_remove(p, odir, fname);
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                         "PH00030: sent mail %s \"%s\" to %s", fname,
                         item.subject, apr_array_pstrcat(p, item.rcpt, ','));
            ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                          ",\"event\":\"mail_sent\",\"mail\":\"%s\","
                          "\"attempts\":%u}", (apr_int64_t)apr_time_sec(now),
                          fname, item.attempts + 1));
            if (apr_global_mutex_lock(ph_shared.mutex) == APR_SUCCESS) {
                ph_shared.table.hdr->mails_sent++;
                apr_global_mutex_unlock(ph_shared.mutex);
            }
            continue;
        }
        item.attempts++;
        item.error = why;
        item.next = now + ph_outbox_backoff(item.attempts, PH_BACKOFF_CAP);
        last_error = apr_psprintf(p, "%s: %s", fname, why);
        text = ph_outbox_format(p, &item, &len);
        if (permanent || now - item.created
                         >= apr_time_from_sec(c->retry_period)) {
            ph_spool_write(p, odir, fname, text, len);
            ph_spool_move(p, odir, ph_dir(p, PH_DIR_DEAD), fname);
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         "PH00032: gave up on mail %s \"%s\" after %u "
                         "attempts (%s); it stays in %s", fname,
                         item.subject, item.attempts, why,
                         ph_dir(p, PH_DIR_DEAD));
            ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                          ",\"event\":\"mail_dead\",\"mail\":\"%s\","
                          "\"attempts\":%u,\"error\":%s}",
                          (apr_int64_t)apr_time_sec(now), fname,
                          item.attempts, ph_text_json(p, why)));
        }
        else {
            ph_spool_write(p, odir, fname, text, len);
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "PH00031: mail %s not sent (attempt %u): %s; "
                         "retrying in %" APR_TIME_T_FMT " s", fname,
                         item.attempts, why, apr_time_sec(item.next - now));
            ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                          ",\"event\":\"mail_failed\",\"mail\":\"%s\","
                          "\"attempts\":%u,\"error\":%s}",
                          (apr_int64_t)apr_time_sec(now), fname,
                          item.attempts, ph_text_json(p, why)));
        }
    }
    ph_outbox_stats(p, last_error);
}

static apr_status_t ph_mail_callback(int state, void *data, apr_pool_t *pool)
{
    server_rec *s = data;

    switch (state) {
    case AP_WATCHDOG_STATE_STARTING:
        ph_mail_stopping = 0;
        auth_client_init();
        ph_outbox_stats(pool, NULL);
        break;
    case AP_WATCHDOG_STATE_RUNNING:
        if (!ph_mail_stopping) {
            /* The queue is digested by the channels' thread, which never
             * waits on a server: a slow SMTP server delays no channel. */
            ph_send_due(s, pool);
        }
        break;
    case AP_WATCHDOG_STATE_STOPPING:
        /* Only a flag: the mail in flight finishes, the rest waits. */
        ph_mail_stopping = 1;
        break;
    }
    return APR_SUCCESS;
}

apr_status_t ph_mail_register(apr_pool_t *pconf, server_rec *s)
{
    return ph_watchdog_singleton(pconf, s, PH_WATCHDOG_MAIL, PH_MAIL_TICK,
                                 ph_mail_callback);
}
