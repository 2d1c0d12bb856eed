/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Watch the watcher (PhoneHomeBeatTo): this server beats to another
 * monitor, so that a dead server or a wedged module is noticed there.
 * Every tick, for each target whose beat is due (every= seconds on the
 * monotonic clock) and that has no transfer under way:
 *   - if this server is unhealthy, the beat is held back (counted, logged
 *     once when it starts and once when it ends): detection has not run
 *     for PH_BEATTO_TICK_STALE_SEC seconds, or an outbox file has failed
 *     PH_BEATTO_STUCK_ATTEMPTS attempts in a row (alerts are not getting
 *     out), or the outbox cannot be read;
 *   - else one GET starts on a libcurl multi handle, with a connect and a
 *     total timeout shorter than every= (ph_beatto_timeouts).
 * The transfers move on for a moment each tick; nothing here waits on a
 * server.  Counts live in shared memory (ph_beatto_stat_t) for the status
 * page, and carry the seq over when the watchdog moves to another child.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_watchdog.h"

#include "apr_file_io.h"
#include "apr_strings.h"

#include <curl/curl.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_beatto.h"
#include "mod_phonehome_jobs.h"
#include "mod_phonehome_runtime.h"
#include "ph_beatto.h"
#include "ph_lease.h"
#include "ph_name.h"
#include "ph_notify.h"
#include "ph_outbox.h"
#include "ph_spool.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

#define PH_WATCHDOG_BEATTO  "_phonehome_beatto_"
#define PH_BEATTO_TICK      apr_time_from_msec(250)
/* A holder that lives but stopped renewing keeps the job this long: a
 * transfer never waits (libcurl multi), so a few ticks is plenty. */
#define PH_BEATTO_WEDGED    apr_time_from_sec(5)
#define PH_BEATTO_WAIT_MS   200             /* curl_multi_poll per tick */
#define PH_BEATTO_SCAN_MAX  16              /* oldest outbox files looked at */
#define PH_BEATTO_ANSWER_MAX 200
#define PH_BEATTO_LOG_EVERY apr_time_from_sec(60)

typedef struct ph_bt_xfer_t {
    apr_pool_t  *pool;
    CURL        *easy;
    int          i;
    const char  *log_url;
    char         answer[PH_BEATTO_ANSWER_MAX + 1];
    apr_size_t   answer_len;
    char         error[CURL_ERROR_SIZE];
} ph_bt_xfer_t;

static apr_pool_t *ph_bt_pool;
static CURLM *ph_bt_multi;
static ph_bt_xfer_t **ph_bt_busy;           /* per target, or NULL */
static apr_time_t *ph_bt_logged;            /* per target: last PH00171 */
static int ph_bt_held;                      /* this process logged PH00173 */
static apr_time_t ph_bt_began;              /* this watchdog's start, mono */

static const ph_beatto_t *ph_bt(int i)
{
    return &APR_ARRAY_IDX(ph_runtime_conf()->beat_to, i, ph_beatto_t);
}

static size_t ph_bt_on_body(char *buf, size_t size, size_t n, void *arg)
{
    ph_bt_xfer_t *x = arg;
    size_t len = size * n, room = PH_BEATTO_ANSWER_MAX - x->answer_len;

    if (room > len) {
        room = len;
    }
    memcpy(x->answer + x->answer_len, buf, room);
    x->answer_len += room;
    x->answer[x->answer_len] = '\0';
    return len;
}

/* Why this server must not say it is well, or NULL. */
static const char *ph_bt_unhealthy(apr_pool_t *p, apr_time_t now)
{
    static const char *const suffix[] = { PH_OUTBOX_SUFFIX,
                                          PH_NOTIFY_SUFFIX };
    const char *odir = ph_dir(p, PH_DIR_OUTBOX);
    apr_time_t tick = 0;
    const char *why;
    int k, i;

    if (ph_runtime_lock() == APR_SUCCESS) {
        tick = ph_runtime_table()->hdr->last_tick_mono;
        ph_unlock();
    }
    /* Just (re)started: the first beat waits for the first tick (""). */
    if ((why = ph_beatto_detect_health(p, now, ph_bt_began, tick)) != NULL) {
        return why;
    }
    for (k = 0; k < 2; k++) {
        apr_array_header_t *files;

        if (ph_spool_list(p, odir, suffix[k], &files) != APR_SUCCESS) {
            return apr_psprintf(p, "cannot read %s", odir);
        }
        for (i = 0; i < files->nelts && i < PH_BEATTO_SCAN_MAX; i++) {
            const char *f = APR_ARRAY_IDX(files, i, const char *);
            ph_outbox_item_t item;
            apr_size_t len;
            char *buf;

            if (ph_spool_read(p, apr_pstrcat(p, odir, "/", f, NULL), &buf,
                              &len, PH_OUTBOX_MAX) == APR_SUCCESS
                && ph_outbox_parse(p, buf, len, &item) == NULL
                && ph_beatto_stuck(item.attempts)) {
                return apr_psprintf(p, "alert %s failed %u attempts in a row"
                                    " (%s)", f, item.attempts,
                                    item.error ? item.error : "no reason");
            }
        }
    }
    return NULL;
}

/* A beat held back: counted, and logged when holding starts. */
static void ph_bt_hold(server_rec *s, int i, const char *why)
{
    ph_beatto_stat_t *st = &ph_runtime_beatto_stats()[i];

    if (!ph_bt_held) {
        ph_bt_held = 1;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     PHLOGNO(00173) "PhoneHomeBeatTo: beats held back, so "
                     "that the monitors watching this one notice: %s", why);
    }
    if (ph_runtime_lock() == APR_SUCCESS) {
        st->held++;
        apr_snprintf(st->last_error, sizeof(st->last_error),
                     "held back: %s", why);
        st->last_error_time = apr_time_now();
        ph_unlock();
    }
}

/* The first line of a /proc file (whose size says 0), or NULL. */
static char *ph_bt_proc(apr_pool_t *p, const char *path)
{
    apr_file_t *f;
    apr_size_t len = 127;
    char *buf = apr_pcalloc(p, 128);

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS) {
        return NULL;
    }
    if (apr_file_read(f, buf, &len) != APR_SUCCESS) {
        len = 0;
    }
    apr_file_close(f);
    buf[len] = '\0';
    buf[strcspn(buf, " \t\r\n")] = '\0';
    return buf[0] ? buf : NULL;
}

/* The machine's boot id and uptime (seconds), as the Pi client sends. */
static void ph_bt_machine(apr_pool_t *p, const char **boot,
                          apr_int64_t *up)
{
    const char *u = ph_bt_proc(p, "/proc/uptime");

    *boot = ph_bt_proc(p, "/proc/sys/kernel/random/boot_id");
    *up = u ? apr_atoi64(u) : 0;
}

static void ph_bt_start(server_rec *s, int i)
{
    const ph_beatto_t *bt = ph_bt(i);
    ph_beatto_stat_t *st = &ph_runtime_beatto_stats()[i];
    apr_uint64_t seq = (apr_uint64_t)(apr_time_now() / 1000);
    long connect_ms, total_ms;
    const char *url, *boot;
    apr_int64_t up;
    ph_bt_xfer_t *x;
    apr_pool_t *xp;

    if (ph_runtime_lock() != APR_SUCCESS) {
        return;
    }
    /* seq only grows: the wall clock in ms, or one above the last. */
    if (seq <= st->seq) {
        seq = st->seq + 1;
    }
    st->seq = seq;
    ph_unlock();

    apr_pool_create(&xp, ph_bt_pool);
    x = apr_pcalloc(xp, sizeof(*x));
    x->pool = xp;
    x->i = i;
    ph_bt_machine(xp, &boot, &up);
    url = ph_beatto_url(xp, bt, apr_time_sec(apr_time_now()), boot, up, seq);
    x->log_url = ph_notify_url_redacted(xp, bt->url);
    if (url == NULL || (x->easy = curl_easy_init()) == NULL) {
        apr_pool_destroy(xp);
        return;
    }
    ph_beatto_timeouts(bt, &connect_ms, &total_ms);
    curl_easy_setopt(x->easy, CURLOPT_URL, url);
    curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "mod_phonehome/" PH_VERSION);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, ph_bt_on_body);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->error);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    if (curl_multi_add_handle(ph_bt_multi, x->easy) != CURLM_OK) {
        curl_easy_cleanup(x->easy);
        apr_pool_destroy(xp);
        return;
    }
    ph_bt_busy[i] = x;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 PHLOGNO(00170) "PhoneHomeBeatTo: beat %" APR_UINT64_T_FMT
                 " to %s", seq, x->log_url);
}

static void ph_bt_free(ph_bt_xfer_t *x)
{
    if (ph_bt_busy[x->i] == x) {
        ph_bt_busy[x->i] = NULL;
    }
    curl_multi_remove_handle(ph_bt_multi, x->easy);
    curl_easy_cleanup(x->easy);
    apr_pool_destroy(x->pool);
}

static void ph_bt_done(server_rec *s, ph_bt_xfer_t *x, CURLcode rc)
{
    ph_beatto_stat_t *st = &ph_runtime_beatto_stats()[x->i];
    apr_time_t mono = ph_mono_now();
    apr_uint64_t resync = 0;
    apr_uint32_t failures = 0;
    const char *why = NULL;
    long status = 0;

    if (rc == CURLE_OK) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    }
    if (rc != CURLE_OK) {
        why = x->error[0] ? x->error : curl_easy_strerror(rc);
    }
    else if (status < 200 || status > 299) {
        why = apr_psprintf(x->pool, "HTTP %ld%s%s", status,
                           x->answer_len ? ": " : "", x->answer);
        /* Another mod_phonehome that has a later seq: go on above it. */
        resync = status == 409 ? ph_beatto_stale_seq(x->answer) : 0;
    }
    if (why) {
        why = ph_text_oneline(x->pool, why);
    }
    if (ph_runtime_lock() == APR_SUCCESS) {
        failures = st->failures;
        if (why == NULL) {
            st->sent++;
            st->failures = 0;
            st->last_success = apr_time_now();
        }
        else {
            st->failures++;
            apr_cpystrn(st->last_error, why, sizeof(st->last_error));
            st->last_error_time = apr_time_now();
            if (resync > st->seq) {
                st->seq = resync;
            }
        }
        ph_unlock();
    }
    if (why == NULL && failures > 0) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     PHLOGNO(00172) "PhoneHomeBeatTo: beats to %s go "
                     "through again after %u failures", x->log_url,
                     failures);
        ph_bt_logged[x->i] = 0;
    }
    else if (why && (ph_bt_logged[x->i] == 0
                     || mono - ph_bt_logged[x->i] >= PH_BEATTO_LOG_EVERY)) {
        /* The first failure, then at most once a minute. */
        ph_bt_logged[x->i] = mono;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     PHLOGNO(00171) "PhoneHomeBeatTo: beat to %s failed "
                     "(%u in a row): %s", x->log_url, failures + 1, why);
    }
}

static void ph_bt_drive(server_rec *s)
{
    CURLMsg *msg;
    int running = 0, left;

    curl_multi_perform(ph_bt_multi, &running);
    if (running) {
        curl_multi_poll(ph_bt_multi, NULL, 0, PH_BEATTO_WAIT_MS, NULL);
        curl_multi_perform(ph_bt_multi, &running);
    }
    while ((msg = curl_multi_info_read(ph_bt_multi, &left)) != NULL) {
        char *priv = NULL;

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        if (priv) {
            ph_bt_done(s, (ph_bt_xfer_t *)priv, msg->data.result);
            ph_bt_free((ph_bt_xfer_t *)priv);
        }
    }
}

/* Start the beats that are due, or hold them back. */
static void ph_bt_tick(server_rec *s, apr_pool_t *p)
{
    ph_beatto_stat_t *stats = ph_runtime_beatto_stats();
    int n = ph_runtime_conf()->beat_to->nelts, i, checked = 0;
    apr_time_t now = ph_mono_now();
    const char *why = NULL;

    for (i = 0; i < n; i++) {
        apr_time_t every = apr_time_from_sec(ph_bt(i)->every), next;

        if (ph_bt_busy[i] || (next = stats[i].next_mono) > now) {
            continue;
        }
        if (!checked) {
            why = ph_bt_unhealthy(p, now);
            checked = 1;
            if (why && why[0] == '\0') {
                return;                 /* not yet: no tick so far */
            }
            if (why == NULL && ph_bt_held) {
                ph_bt_held = 0;
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                             PHLOGNO(00174) "PhoneHomeBeatTo: healthy "
                             "again; beats go out");
            }
        }
        /* The cadence holds; after a long pause it starts again now. */
        stats[i].next_mono = next && now - next < every ? next + every
                                                        : now + every;
        if (why) {
            ph_bt_hold(s, i, why);
        }
        else {
            ph_bt_start(s, i);
        }
    }
}

static void ph_bt_stop(void)
{
    int i;

    for (i = 0; ph_bt_busy && i < ph_runtime_conf()->beat_to->nelts; i++) {
        if (ph_bt_busy[i]) {
            ph_bt_free(ph_bt_busy[i]);
        }
    }
    if (ph_bt_multi) {
        curl_multi_cleanup(ph_bt_multi);
        ph_bt_multi = NULL;
    }
    if (ph_bt_pool) {
        apr_pool_destroy(ph_bt_pool);
        ph_bt_pool = NULL;
    }
    ph_bt_busy = NULL;
}

static apr_status_t ph_bt_callback(int state, void *data, apr_pool_t *pool)
{
    server_rec *s = data;
    apr_size_t n = (apr_size_t)ph_runtime_conf()->beat_to->nelts + 1;

    switch (state) {
    case AP_WATCHDOG_STATE_STARTING:
        if (apr_pool_create(&ph_bt_pool, NULL) != APR_SUCCESS) {
            ph_bt_pool = NULL;
            break;
        }
        ph_bt_busy = apr_pcalloc(ph_bt_pool, sizeof(*ph_bt_busy) * n);
        ph_bt_logged = apr_pcalloc(ph_bt_pool, sizeof(*ph_bt_logged) * n);
        ph_bt_held = 0;
        ph_bt_began = ph_mono_now();
        if ((ph_bt_multi = curl_multi_init()) == NULL) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         PHLOGNO(00175) "libcurl cannot make a multi "
                         "handle: PhoneHomeBeatTo sends nothing from this "
                         "process");
        }
        break;
    case AP_WATCHDOG_STATE_RUNNING:
        if (ph_bt_pool && ph_bt_multi) {
            ph_bt_tick(s, pool);
            ph_bt_drive(s);
        }
        break;
    case AP_WATCHDOG_STATE_STOPPING:
        ph_bt_stop();
        break;
    }
    return APR_SUCCESS;
}

int ph_beatto_check(apr_pool_t *p, server_rec *s, ph_server_conf_t *c)
{
    int i;

    for (i = 0; i < c->beat_to->nelts; i++) {
        ph_beatto_t *bt = &APR_ARRAY_IDX(c->beat_to, i, ph_beatto_t);
        const char *why;

        if (!bt->phonehome || bt->device) {
            continue;
        }
        bt->device = s->server_hostname ? s->server_hostname : "";
        if ((why = ph_name_check(bt->device)) != NULL) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         PHLOGNO(00176) "PhoneHomeBeatTo %s: the ServerName "
                         "'%s' is no device name (%s): give device=",
                         ph_notify_url_redacted(p, bt->url),
                         ph_text_oneline(p, bt->device), why);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

apr_status_t ph_beatto_register(apr_pool_t *pconf, server_rec *s)
{
    static int curl_ready;

    if (ph_runtime_conf()->beat_to->nelts == 0) {
        return APR_SUCCESS;
    }
    /* Once, in the parent, before any thread exists. */
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {
        curl_ready = 1;
    }
    return ph_watchdog_leased(pconf, s, PH_WATCHDOG_BEATTO, PH_LEASE_BEATTO,
                              "beat-to", PH_BEATTO_TICK, PH_BEATTO_WEDGED,
                              ph_bt_callback);
}
