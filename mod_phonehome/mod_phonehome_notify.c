/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Channels (PhoneHomeNotify): a third watchdog in every child, on a lease
 * like the other two, that never waits on a server.  Every tick it
 *   1. digests the queue into mails and notifications (ph_queue_digest);
 *   2. starts the notifications that are due, one a channel at a time
 *      and strictly in the order they were written, as libcurl transfers
 *      on one multi handle, each with its own timeouts;
 *   3. moves every transfer on for a moment and settles the finished
 *      ones with the outbox room's one settle step (ph_outbox_done): a 2xx
 *      removes the file; no answer, 408, 429 or 5xx is retried with
 *      backoff (or after Retry-After, when that is longer) until
 *      PhoneHomeRetryPeriod has passed; any other answer can never succeed
 *      (a bad token) and moves the file to dead/ at once.
 * So a hung or slow service delays only its own channel: not detection
 * (its own thread), not mail (its own thread), not the other channels.
 * Transfers in flight when the watchdog stops are dropped; their files
 * are untouched and sent again by the next process (at least once).
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_watchdog.h"

#include "apr_strings.h"

#include <curl/curl.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_route.h"
#include "mod_phonehome_notify.h"
#include "mod_phonehome_outbox.h"
#include "mod_phonehome_jobs.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_store.h"
#include "ph_downtime.h"
#include "ph_event.h"
#include "ph_mail.h"
#include "ph_notify.h"
#include "ph_spool.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

#define PH_WATCHDOG_NOTIFY  "_phonehome_notify_"
#define PH_NOTIFY_TICK      apr_time_from_msec(250)
/* This thread never waits on a server: stuck this long, it is taken over
 * (its transfers are dropped when it wakes). */
#define PH_NOTIFY_WEDGED    apr_time_from_sec(10)
#define PH_NOTIFY_WAIT_MS   200         /* curl_multi_poll per tick */
#define PH_NOTIFY_BACKOFF_CAP apr_time_from_sec(600)
#define PH_NOTIFY_CONNECT_MS 10000L
#define PH_NOTIFY_ANSWER_MAX 200        /* bytes of a reply kept for errors */

typedef struct ph_xfer_t {
    apr_pool_t          *pool;
    CURL                *easy;
    struct curl_slist   *headers;
    int                  chan;
    const char          *fname;
    ph_outbox_item_t     item;
    ph_notify_req_t      req;
    apr_interval_time_t  retry_after;   /* -1: none given */
    char                 answer[PH_NOTIFY_ANSWER_MAX + 1];
    apr_size_t           answer_len;
    char                 error[CURL_ERROR_SIZE];
} ph_xfer_t;

static volatile int ph_notify_stopping;
static apr_pool_t *ph_notify_pool;
static CURLM *ph_multi;
static ph_xfer_t **ph_busy;             /* per channel, or NULL */

static const ph_notify_chan_t *ph_chan(int i)
{
    return &APR_ARRAY_IDX(ph_runtime_conf()->channels, i, ph_notify_chan_t);
}

static size_t ph_on_header(char *buf, size_t size, size_t n, void *arg)
{
    ph_xfer_t *x = arg;
    size_t len = size * n;

    if (len > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
        char *v = apr_pstrmemdup(x->pool, buf + 12, len - 12);

        x->retry_after = ph_notify_retry_after(v, apr_time_now());
    }
    return len;
}

/* Keep the start of the reply: a service says there why it refused. */
static size_t ph_on_body(char *buf, size_t size, size_t n, void *arg)
{
    ph_xfer_t *x = arg;
    size_t len = size * n, room = PH_NOTIFY_ANSWER_MAX - x->answer_len;

    if (room > len) {
        room = len;
    }
    memcpy(x->answer + x->answer_len, buf, room);
    x->answer_len += room;
    x->answer[x->answer_len] = '\0';
    return len;
}

static void ph_xfer_free(ph_xfer_t *x)
{
    if (ph_busy[x->chan] == x) {
        ph_busy[x->chan] = NULL;
    }
    if (x->easy) {
        curl_multi_remove_handle(ph_multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->headers);
    apr_pool_destroy(x->pool);
}

/* The events of a notification file, as the message to send. */
static const char *ph_xfer_message(apr_pool_t *p, const ph_outbox_item_t *item,
                                   const char *id, ph_mail_t *m)
{
    apr_array_header_t *events = apr_array_make(p, 4, sizeof(ph_event_t *));
    apr_array_header_t *displays = apr_array_make(p, 4, sizeof(char *));
    char *buf = apr_pstrdup(p, item->message), *line, *last;

    memset(m, 0, sizeof(*m));
    m->monitor = ph_runtime_conf()->monitor_name;
    m->now = item->created;
    m->msgid = id;
    if (ph_notice_unpack(p, item->message, &m->title, &m->text)) {
        return NULL;                    /* the monitor's downtime notice */
    }
    for (line = apr_strtok(buf, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        ph_event_t *e = apr_palloc(p, sizeof(*e));
        const char *why = ph_event_parse(e, line);

        if (why) {
            return why;
        }
        APR_ARRAY_PUSH(events, const ph_event_t *) = e;
        APR_ARRAY_PUSH(displays, const char *) =
            ph_display_name(p, ph_runtime_conf(), e->name);
    }
    if (events->nelts == 0) {
        return "no events";
    }
    m->n = events->nelts;
    m->events = (const ph_event_t * const *)events->elts;
    m->displays = (const char * const *)displays->elts;
    m->total = item->total;
    m->part = item->part;
    m->parts = item->parts;
    return NULL;
}

/* Start the transfer for one file, if it is due; 1 if started, 2 if the
 * file can never be sent and went to dead/ (the channel's next may go). */
static int ph_xfer_start(server_rec *s, apr_pool_t *ptemp, const char *fname)
{
    const ph_notify_chan_t *chan;
    apr_pool_t *xp;
    ph_xfer_t *x;
    ph_mail_t m;
    const char *why, *id;
    int i, ci;

    apr_pool_create(&xp, ph_notify_pool);
    x = apr_pcalloc(xp, sizeof(*x));
    x->pool = xp;
    x->retry_after = -1;
    x->fname = apr_pstrdup(xp, fname);
    if ((i = ph_outbox_load(s, xp, fname, "notification", &x->item))
        != 0) {
        apr_pool_destroy(xp);
        return i > 0 ? 2 : 0;
    }
    if ((why = x->item.channel ? NULL : "not for a channel") != NULL) {
        ph_outbox_bury(s, ptemp, fname, "notification", why);
        apr_pool_destroy(xp);
        return 2;
    }
    if ((ci = ph_channel_find(ph_runtime_conf(), x->item.channel)) < 0) {
        ph_outbox_bury(s, ptemp, fname, "notification",
                       apr_psprintf(ptemp, "channel %s is no longer "
                                    "configured", x->item.channel));
        apr_pool_destroy(xp);
        return 2;
    }
    /* A wait longer than any Retry-After we honour: the clock stepped. */
    if (!ph_outbox_due(x->item.next, apr_time_now(),
                       apr_time_from_sec(86400) + PH_NOTIFY_BACKOFF_CAP)
        || ph_busy[ci]) {
        apr_pool_destroy(xp);
        return 0;
    }
    x->chan = ci;
    chan = ph_chan(ci);
    id = apr_pstrmemdup(xp, fname, strcspn(fname, "."));
    if ((why = ph_xfer_message(xp, &x->item, id, &m)) != NULL) {
        ph_outbox_bury(s, ptemp, fname, "notification", why);
        apr_pool_destroy(xp);
        return 2;
    }
    ph_notify_request(xp, chan, &m, &x->req);

    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        apr_pool_destroy(xp);
        return 0;
    }
    for (i = 0; i < x->req.headers->nelts; i++) {
        x->headers = curl_slist_append(x->headers,
                                       APR_ARRAY_IDX(x->req.headers, i,
                                                     const char *));
    }
    /* No "Expect: 100-continue" round trip before a larger body. */
    x->headers = curl_slist_append(x->headers, "Expect:");
    curl_easy_setopt(x->easy, CURLOPT_URL, x->req.url);
    curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, x->req.method);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->req.body);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)x->req.len);
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "mod_phonehome/" PH_VERSION);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
                     (long)chan->timeout * 1000L);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)chan->timeout * 1000L < PH_NOTIFY_CONNECT_MS
                     ? (long)chan->timeout * 1000L : PH_NOTIFY_CONNECT_MS);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, ph_on_header);
    curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, ph_on_body);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->error);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    if (curl_multi_add_handle(ph_multi, x->easy) != CURLM_OK) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
        curl_slist_free_all(x->headers);
        apr_pool_destroy(xp);
        return 0;
    }
    ph_busy[ci] = x;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 PHLOGNO(00059) "sending notification %s to channel %s: %s %s",
                 fname, chan->name, x->req.method,
                 ph_notify_url_redacted(x->pool, x->req.log_url));
    return 1;
}

/* A finished transfer: sent, retried later, or dead. */
static void ph_xfer_done(server_rec *s, ph_xfer_t *x, CURLcode rc)
{
    const ph_notify_chan_t *chan = ph_chan(x->chan);
    apr_pool_t *p = x->pool;
    ph_notify_result_e result;
    ph_outbox_fate_e fate;
    apr_time_t now = apr_time_now();
    const char *why = NULL;
    long status = 0;

    if (rc == CURLE_OK) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    }
    result = ph_notify_classify(status);
    if (result != PH_NOTIFY_SENT) {
        if (rc != CURLE_OK) {
            why = apr_psprintf(p, "%s: %s", chan->host, x->error[0]
                               ? x->error : curl_easy_strerror(rc));
        }
        else {
            why = apr_psprintf(p, "HTTP %ld from %s%s%s", status, chan->host,
                               x->answer_len ? ": " : "", x->answer);
        }
        why = ph_notify_redact(p, chan, why);
    }
    fate = ph_outbox_done(p, x->fname, &x->item, x->chan, why,
                          result == PH_NOTIFY_DEAD, now,
                          PH_NOTIFY_BACKOFF_CAP, x->retry_after);
    switch (fate) {
    case PH_OUTBOX_SENT:
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     PHLOGNO(00050)
                     "sent notification %s \"%s\" to channel %s "
                     "(%s, HTTP %ld)", x->fname, x->item.subject, chan->name,
                     ph_notify_kind_name(chan->kind), status);
        ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                      ",\"event\":\"notify_sent\",\"notify\":\"%s\","
                      "\"channel\":\"%s\",\"attempts\":%u,\"status\":%ld}",
                      (apr_int64_t)apr_time_sec(now), x->fname, chan->name,
                      x->item.attempts + 1, status));
        ph_outbox_stats(p, NULL);
        return;
    case PH_OUTBOX_REFUSED:
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     PHLOGNO(00052) "channel %s refused notification %s for "
                     "good (%s): check the channel's URL and token; it "
                     "stays in %s", chan->name, x->fname, why,
                     ph_dir(p, PH_DIR_DEAD));
        break;
    case PH_OUTBOX_EXPIRED:
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     PHLOGNO(00053) "gave up on notification %s for channel "
                     "%s after %u attempts (%s); it stays in %s",
                     x->fname, chan->name, x->item.attempts, why,
                     ph_dir(p, PH_DIR_DEAD));
        break;
    case PH_OUTBOX_RETRY:
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     PHLOGNO(00051) "notification %s for channel %s not sent "
                     "(attempt %u): %s; retrying in %" APR_TIME_T_FMT " s",
                     x->fname, chan->name, x->item.attempts, why,
                     apr_time_sec(x->item.next - now));
        ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                      ",\"event\":\"notify_failed\",\"notify\":\"%s\","
                      "\"channel\":\"%s\",\"attempts\":%u,\"status\":%ld,"
                      "\"retry_in\":%" APR_TIME_T_FMT ",\"error\":%s}",
                      (apr_int64_t)apr_time_sec(now), x->fname, chan->name,
                      x->item.attempts, status,
                      apr_time_sec(x->item.next - now),
                      ph_text_json(p, why)));
        break;
    }
    if (fate != PH_OUTBOX_RETRY) {
        ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                      ",\"event\":\"notify_dead\",\"notify\":\"%s\","
                      "\"channel\":\"%s\",\"attempts\":%u,\"status\":%ld,"
                      "\"error\":%s}", (apr_int64_t)apr_time_sec(now),
                      x->fname, chan->name, x->item.attempts, status,
                      ph_text_json(p, why)));
    }
    ph_outbox_stats(p, apr_psprintf(p, "%s: %s", x->fname, why));
}

/* Start what is due.  A channel's notifications go strictly in the order
 * they were written (the names sort so): only its oldest file is a
 * candidate, so a Good never overtakes the Error still being retried. */
static void ph_notify_scan(server_rec *s, apr_pool_t *p)
{
    int nchan = ph_runtime_conf()->channels->nelts;
    char *seen = apr_pcalloc(p, (apr_size_t)nchan + 1);
    apr_array_header_t *files;
    int i;

    if (ph_store_list(p, PH_STORE_OUTBOX, PH_NOTIFY_SUFFIX, &files)
        != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < files->nelts && !ph_notify_stopping; i++) {
        const char *fname = APR_ARRAY_IDX(files, i, char *);
        int chan = ph_outbox_channel(fname);

        if (chan >= 0) {
            if (seen[chan] || ph_busy[chan]) {
                seen[chan] = 1;
                continue;
            }
            seen[chan] = 1;
        }
        /* A file whose name names no channel is read, and moved to dead/
         * if its header names none either.  One that went to dead/ blocks
         * nothing: the channel's next file is a candidate at once.  Before
         * each start: still this process's lease (no two children send
         * one file at once). */
        if (!ph_watchdog_keep(PH_LEASE_NOTIFY)) {
            break;
        }
        if (ph_xfer_start(s, p, fname) == 2 && chan >= 0) {
            seen[chan] = 0;
        }
    }
}

/* Move the transfers on until one ends or @a until (monotonic) passes;
 * returns how many ended.  A big body (a digest's part) takes several
 * rounds of perform and poll: all in this tick, not one a tick. */
static int ph_notify_drive(server_rec *s, apr_time_t until)
{
    int nchan = ph_runtime_conf()->channels->nelts;
    int running = 0, left, done = 0, handles = 0, i;
    CURLMsg *msg;
    apr_time_t now;

    for (i = 0; i < nchan; i++) {
        handles += ph_busy[i] != NULL;
    }
    curl_multi_perform(ph_multi, &running);
    while (running > 0 && running == handles
           && (now = ph_mono_now()) < until) {
        curl_multi_poll(ph_multi, NULL, 0,
                        (int)apr_time_as_msec(until - now) + 1, NULL);
        curl_multi_perform(ph_multi, &running);
    }
    while ((msg = curl_multi_info_read(ph_multi, &left)) != NULL) {
        ph_xfer_t *x;
        char *priv = NULL;

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        x = (ph_xfer_t *)priv;
        if (x) {
            ph_xfer_done(s, x, msg->data.result);
            ph_xfer_free(x);
            done++;
        }
    }
    return done;
}

static void ph_notify_stop(void)
{
    int i;

    for (i = 0; ph_busy && i < ph_runtime_conf()->channels->nelts; i++) {
        if (ph_busy[i]) {
            ph_xfer_free(ph_busy[i]);
        }
    }
    if (ph_multi) {
        curl_multi_cleanup(ph_multi);
        ph_multi = NULL;
    }
    if (ph_notify_pool) {
        apr_pool_destroy(ph_notify_pool);
        ph_notify_pool = NULL;
    }
    ph_busy = NULL;
}

static apr_status_t ph_notify_callback(int state, void *data,
                                       apr_pool_t *pool)
{
    server_rec *s = data;
    int nchan = ph_runtime_conf()->channels->nelts;

    switch (state) {
    case AP_WATCHDOG_STATE_STARTING:
        ph_notify_stopping = 0;
        if (apr_pool_create(&ph_notify_pool, NULL) != APR_SUCCESS) {
            ph_notify_pool = NULL;
            break;
        }
        ph_busy = apr_pcalloc(ph_notify_pool, sizeof(ph_xfer_t *)
                                              * (apr_size_t)(nchan + 1));
        if (nchan && (ph_multi = curl_multi_init()) == NULL) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         PHLOGNO(00057) "libcurl cannot make a multi handle: "
                         "notifications are not sent by this process");
        }
        ph_outbox_stats(pool, NULL);
        break;
    case AP_WATCHDOG_STATE_RUNNING:
        if (ph_notify_stopping || ph_notify_pool == NULL) {
            break;
        }
        /* Every tick: a transition is mailed or sent a moment after the
         * digest window, and a channel's next file follows at once. */
        ph_queue_digest(s, pool);
        if (ph_multi) {
            /* A channel's next file starts as soon as the one before it
             * ends, within the tick: a digest's parts follow each other
             * at the speed of the service. */
            apr_time_t until = ph_mono_now()
                               + apr_time_from_msec(PH_NOTIFY_WAIT_MS);

            do {
                ph_notify_scan(s, pool);
            } while (ph_notify_drive(s, until) > 0 && !ph_notify_stopping
                     && ph_mono_now() < until);
        }
        break;
    case AP_WATCHDOG_STATE_STOPPING:
        /* Transfers in flight are dropped; their files wait for the next
         * process, untouched. */
        ph_notify_stopping = 1;
        ph_notify_stop();
        break;
    }
    return APR_SUCCESS;
}

apr_status_t ph_notify_register(apr_pool_t *pconf, server_rec *s)
{
    static int curl_ready;

    /* Once, in the parent, before any thread exists. */
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {
        curl_ready = 1;
    }
    return ph_watchdog_leased(pconf, s, PH_WATCHDOG_NOTIFY, PH_LEASE_NOTIFY,
                              "channels", PH_NOTIFY_TICK, PH_NOTIFY_WEDGED,
                              ph_notify_callback);
}
