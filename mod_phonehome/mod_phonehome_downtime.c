/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The monitor's own downtime.  The stamp is one fixed record rewritten in
 * place every few seconds (pwrite at offset 0, an fdatasync about once a
 * minute, never one a tick); the parent marks it "stopped" at a clean
 * stop.  At a cold start the parent reads it, before any child can write
 * it again: a gap longer than the shortest MaxAge owes one notice, sent
 * when the startup grace ends, naming the devices that were up at the
 * stop and are back, and those still silent, which go down without an
 * Error of their own (the notice is it; their Good comes as usual).
 * What the parent decided is retained across graceful restarts; what was
 * sent is in the history file, so a new detection child never sends it
 * twice.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_core.h"

#include "apr_strings.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_route.h"
#include "mod_phonehome_downtime.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_store.h"
#include "ph_downtime.h"
#include "ph_event.h"
#include "ph_fsm.h"
#include "ph_mail.h"
#include "ph_outbox.h"
#include "ph_spool.h"

APLOG_USE_MODULE(phonehome);

#define PH_DT_RETAINED      "mod_phonehome_downtime"
#define PH_DT_CHUNK         1024        /* slots per hold of the lock */
#define PH_DT_HISTORY_MAX   (64 * 1024)

/* Decided by the parent at a cold start; kept across graceful restarts. */
typedef struct {
    int          pending;               /* a notice is owed */
    ph_alive_t   last;                  /* the stamp found */
    apr_time_t   back;                  /* the cold start, wall */
} ph_dt_retained_t;

static ph_dt_retained_t *ph_dt;
static int ph_dt_done;                  /* in this process: sent, or seen */

/* The stamp's writer, per process. */
static int ph_alive_fd = -1;
static pid_t ph_alive_pid;
static apr_time_t ph_alive_last;
static unsigned int ph_alive_writes;
static int ph_alive_failed;

static apr_interval_time_t ph_shortest_max_age(const ph_server_conf_t *c)
{
    apr_uint32_t shortest = c->max_age;
    int i;

    for (i = 0; i < c->devices->nelts; i++) {
        const ph_devconf_t *dc = &APR_ARRAY_IDX(c->devices, i, ph_devconf_t);

        if (dc->max_age && dc->max_age < shortest) {
            shortest = dc->max_age;
        }
    }
    return apr_time_from_sec(shortest);
}

/* The parent (root) opens the stamp only as what the User can have made
 * it: a plain file, not a link of either kind. */
static int ph_alive_open(apr_pool_t *p, int flags)
{
    int fd = open(ph_dir(p, PH_ALIVE_FILE), flags | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;

    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
                    || st.st_nlink != 1)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* Rewrite the stamp of an existing file (the parent: never create one,
 * which would be root's). */
static void ph_alive_mark(apr_pool_t *p, apr_time_t at, int clean)
{
    char rec[PH_ALIVE_RECORD];
    int fd = ph_alive_open(p, O_WRONLY);

    if (fd < 0) {
        return;
    }
    ph_alive_format(rec, at, clean);
    if (pwrite(fd, rec, sizeof(rec), 0) == (ssize_t)sizeof(rec)) {
        (void)fdatasync(fd);
    }
    close(fd);
}

/* The stamp as the last run left it: NULL, or why there is none. */
static const char *ph_alive_read(apr_pool_t *p, ph_alive_t *a)
{
    char rec[PH_ALIVE_RECORD];
    int fd = ph_alive_open(p, O_RDONLY);
    ssize_t n;

    if (fd < 0) {
        return errno == ENOENT ? "" : "cannot be opened";
    }
    n = pread(fd, rec, sizeof(rec), 0);
    close(fd);
    return ph_alive_parse(rec, n > 0 ? (apr_size_t)n : 0, a);
}

typedef struct {
    server_rec *s;
    pid_t       parent;
} ph_dt_stop_t;

static apr_status_t ph_alive_stopped(void *baton)
{
    ph_dt_stop_t *st = baton;
    apr_pool_t *p;

    /* A restart clears pconf too; a child may destroy it at exit. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_EXITING
        || getpid() != st->parent
        || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    ph_alive_mark(p, apr_time_now(), 1);
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

void ph_downtime_start(server_rec *s, apr_pool_t *pconf, apr_pool_t *ptemp,
                       int cold)
{
    ph_server_conf_t *c = ph_runtime_conf();
    ph_table_t *t = ph_runtime_table();
    ph_dt_stop_t *st = apr_palloc(pconf, sizeof(*st));
    apr_interval_time_t gap = 0;
    const char *why;
    apr_uint32_t id, marked = 0;

    st->s = s;
    st->parent = getpid();
    apr_pool_cleanup_register(pconf, st, ph_alive_stopped,
                              apr_pool_cleanup_null);
    ph_dt_done = 0;
    ph_dt = ap_retained_data_get(PH_DT_RETAINED);
    if (ph_dt == NULL) {
        ph_dt = ap_retained_data_create(PH_DT_RETAINED, sizeof(*ph_dt));
        memset(ph_dt, 0, sizeof(*ph_dt));
    }
    if (!cold) {
        return;
    }
    memset(ph_dt, 0, sizeof(*ph_dt));
    ph_dt->back = t->hdr->started;
    if ((why = ph_alive_read(ptemp, &ph_dt->last)) == NULL) {
        gap = ph_downtime_gap(&ph_dt->last, ph_dt->back,
                              ph_shortest_max_age(c));
    }
    /* No child runs yet: the slots are the parent's alone. */
    for (id = 0; id < t->hdr->used; id++) {
        ph_device_t *d = ph_slot(NULL, id);

        d->flags &= ~PH_DEV_ACROSS;
        if (gap && d->name[0] != '\0' && d->state == PH_STATE_UP) {
            d->flags |= PH_DEV_ACROSS;
            marked++;
        }
    }
    if (gap) {
        ph_dt->pending = 1;
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     PHLOGNO(00165) "the monitor was not running for %"
                     APR_INT64_T_FMT " s (%s): a notice for it goes at the "
                     "end of the startup grace, about %u devices that were "
                     "up", (apr_int64_t)apr_time_sec(gap),
                     ph_dt->last.clean ? "stopped cleanly"
                                       : "a crash or a power cut", marked);
    }
    else if (why && why[0]) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     PHLOGNO(00167) "ignoring %s: %s; the monitor's "
                     "downtime before this start is not known",
                     ph_dir(ptemp, PH_ALIVE_FILE), why);
    }
    /* Fresh from the start: a crash within the first seconds is seen. */
    ph_alive_mark(ptemp, apr_time_now(), 0);
}

void ph_downtime_alive(server_rec *s)
{
    char rec[PH_ALIVE_RECORD];
    apr_time_t now = ph_mono_now();
    apr_pool_t *p;

    if (ph_alive_pid == getpid() && ph_alive_last
        && now - ph_alive_last < PH_ALIVE_EVERY) {
        return;
    }
    ph_alive_last = now;
    if (ph_alive_pid != getpid()) {
        ph_alive_pid = getpid();
        ph_alive_fd = -1;               /* the parent's, if any, stays its */
        ph_alive_writes = 0;
    }
    if (ph_alive_fd < 0 && apr_pool_create(&p, NULL) == APR_SUCCESS) {
        ph_alive_fd = open(ph_dir(p, PH_ALIVE_FILE), O_WRONLY | O_CREAT
                           | O_NOFOLLOW | O_CLOEXEC, 0600);
        apr_pool_destroy(p);
    }
    ph_alive_format(rec, apr_time_now(), 0);
    if (ph_alive_fd < 0
        || pwrite(ph_alive_fd, rec, sizeof(rec), 0) != (ssize_t)sizeof(rec)
        || (++ph_alive_writes % PH_ALIVE_SYNC_EVERY == 1
            && fdatasync(ph_alive_fd) != 0)) {
        if (!ph_alive_failed) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, APR_FROM_OS_ERROR(errno),
                         s, PHLOGNO(00168) "cannot write the monitor's "
                         "alive stamp %s/%s: its own downtime will not be "
                         "told", ph_runtime_conf()->state_dir, PH_ALIVE_FILE);
        }
        ph_alive_failed = 1;
        if (ph_alive_fd >= 0) {
            close(ph_alive_fd);
            ph_alive_fd = -1;
        }
        return;
    }
    ph_alive_failed = 0;
}

apr_time_t ph_downtime_hold(apr_time_t begin_mono)
{
    ph_table_hdr_t *h = ph_runtime_table()->hdr;
    apr_time_t grace_end;

    if (ph_dt == NULL || !ph_dt->pending || ph_dt_done) {
        return 0;
    }
    grace_end = h->started_mono
                + apr_time_from_sec(ph_runtime_conf()->startup_grace);
    return begin_mono <= grace_end ? grace_end : 0;
}

apr_array_header_t *ph_downtime_recent(apr_pool_t *p)
{
    char *buf;
    apr_size_t len;

    if (ph_spool_read(p, ph_dir(p, PH_DOWNTIMES_FILE), &buf, &len,
                      PH_DT_HISTORY_MAX) != APR_SUCCESS) {
        buf = NULL;
    }
    return ph_downtimes_read(p, buf);
}

/* The devices marked at the cold start, sorted; the marks cleared.  The
 * ids of those now down, in slot order, in @a down. */
static void ph_dt_sort(apr_pool_t *p, ph_notice_t *n,
                       apr_array_header_t *back, apr_array_header_t *silent,
                       apr_array_header_t *down)
{
    ph_server_conf_t *c = ph_runtime_conf();
    ph_table_t *t = ph_runtime_table();
    apr_time_t started_mono = t->hdr->started_mono;
    apr_uint32_t id = 0, used = t->hdr->used;
    int i;

    while (id < used) {
        apr_uint32_t end = used - id > PH_DT_CHUNK ? id + PH_DT_CHUNK : used;
        int from_back = back->nelts, from_silent = silent->nelts;

        if (ph_runtime_lock() != APR_SUCCESS) {
            return;
        }
        for (; id < end; id++) {
            ph_device_t *d = ph_slot(NULL, id);

            if (!(d->flags & PH_DEV_ACROSS)) {
                continue;
            }
            d->flags &= ~PH_DEV_ACROSS;
            if (d->last_mono >= started_mono && d->last_seen) {
                if (n->dt.nback++ < PH_NOTICE_NAMES) {
                    APR_ARRAY_PUSH(back, const char *) = apr_pstrdup(p,
                                                                 d->name);
                }
            }
            else if (d->state == PH_STATE_DOWN) {
                APR_ARRAY_PUSH(down, apr_uint32_t) = id;
                if (n->dt.nsilent++ < PH_NOTICE_NAMES) {
                    APR_ARRAY_PUSH(silent, const char *) = apr_pstrdup(p,
                                                                   d->name);
                }
            }
            else {
                n->dt.nwaiting++;
            }
        }
        ph_unlock();
        /* Display names outside the lock. */
        for (i = from_back; i < back->nelts; i++) {
            APR_ARRAY_IDX(back, i, const char *) = ph_display_name(p, c,
                APR_ARRAY_IDX(back, i, const char *));
        }
        for (i = from_silent; i < silent->nelts; i++) {
            APR_ARRAY_IDX(silent, i, const char *) = ph_display_name(p, c,
                APR_ARRAY_IDX(silent, i, const char *));
        }
    }
}

/* Whether the history already holds this start's downtime. */
static int ph_dt_told(apr_pool_t *p)
{
    apr_array_header_t *all = ph_downtime_recent(p);

    return all->nelts > 0
           && apr_time_sec(APR_ARRAY_IDX(all, all->nelts - 1,
                                         ph_downtime_t).back)
              == apr_time_sec(ph_dt->back);
}

/* Write the notice to the outbox: a mail to PhoneHomeMailTo, one
 * notification a channel. */
static apr_status_t ph_dt_queue(server_rec *s, apr_pool_t *p,
                                const ph_notice_t *n)
{
    ph_server_conf_t *c = ph_runtime_conf();
    const char *subject = ph_notice_subject(p, n);
    const char *text = ph_notice_text(p, n), *buf;
    apr_time_t now = apr_time_now();
    const char *name = apr_psprintf(p, "%" APR_TIME_T_FMT "-%" APR_PID_T_FMT
                                    "-downtime", now, getpid());
    ph_outbox_item_t item;
    apr_size_t len;
    apr_status_t rv;
    int i, held;

    if (c->mail_from && c->mail_to->nelts) {
        ph_mail_t m;

        memset(&m, 0, sizeof(m));
        m.from = c->mail_from;
        m.to = c->mail_to;
        m.monitor = c->monitor_name;
        m.now = now;
        m.msgid = name;
        memset(&item, 0, sizeof(item));
        item.created = now;
        item.subject = subject;
        item.rcpt = c->mail_to;
        item.message = ph_mail_notice(p, &m, subject, text);
        buf = ph_outbox_format(p, &item, &len);
        rv = ph_store_write(s, p, PH_STORE_OUTBOX,
                            apr_pstrcat(p, name, PH_OUTBOX_SUFFIX, NULL),
                            buf, len, &held);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    for (i = 0; i < c->channels->nelts; i++) {
        const ph_notify_chan_t *ch = &APR_ARRAY_IDX(c->channels, i,
                                                    ph_notify_chan_t);

        memset(&item, 0, sizeof(item));
        item.created = now;
        item.subject = subject;
        item.channel = ch->name;
        item.message = ph_notice_pack(p, subject, text);
        buf = ph_outbox_format(p, &item, &len);
        rv = ph_store_write(s, p, PH_STORE_OUTBOX,
                            apr_pstrcat(p, name, ".", ch->name,
                                        PH_NOTIFY_SUFFIX, NULL),
                            buf, len, &held);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                 PHLOGNO(00166) "queued the notice \"%s\" (%u back, %u "
                 "still silent, %u within their MaxAge) as %s, to "
                 "PhoneHomeMailTo and %d channels", subject, n->dt.nback,
                 n->dt.nsilent, n->dt.nwaiting, name, c->channels->nelts);
    return APR_SUCCESS;
}

apr_array_header_t *ph_downtime_fold(server_rec *s, apr_pool_t *p,
                                     apr_array_header_t *events,
                                     apr_array_header_t *ids,
                                     apr_time_t begin_mono)
{
    apr_array_header_t *back, *silent, *down, *folded;
    ph_notice_t n;
    apr_status_t rv;
    int i, j, k;

    if (ph_dt == NULL || !ph_dt->pending || ph_dt_done
        || ph_downtime_hold(begin_mono) != 0) {
        return NULL;
    }
    ph_dt_done = 1;
    if (ph_dt_told(p)) {
        return NULL;                    /* by an earlier detection child */
    }
    memset(&n, 0, sizeof(n));
    n.monitor = ph_runtime_conf()->monitor_name;
    n.dt.stopped = ph_dt->last.at;
    n.dt.back = ph_dt->back;
    n.dt.clean = ph_dt->last.clean;
    back = apr_array_make(p, 8, sizeof(const char *));
    silent = apr_array_make(p, 8, sizeof(const char *));
    down = apr_array_make(p, 8, sizeof(apr_uint32_t));
    ph_dt_sort(p, &n, back, silent, down);
    n.back = back;
    n.silent = silent;

    if ((rv = ph_dt_queue(s, p, &n)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     PHLOGNO(00169) "cannot write the notice of the "
                     "monitor's downtime to the outbox %s: the devices "
                     "still silent alert one by one instead",
                     ph_dir(p, PH_DIR_OUTBOX));
        return NULL;
    }
    {
        char *old = NULL;
        apr_size_t len;
        const char *text;

        if (ph_spool_read(p, ph_dir(p, PH_DOWNTIMES_FILE), &old, &len,
                          PH_DT_HISTORY_MAX) != APR_SUCCESS) {
            old = NULL;
        }
        text = ph_downtimes_add(p, old, &n.dt);
        ph_spool_write(p, ph_dir(p, NULL), PH_DOWNTIMES_FILE, text,
                       strlen(text));
    }
    ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                  ",\"event\":\"monitor_downtime\",\"stopped\":%"
                  APR_INT64_T_FMT ",\"back\":%" APR_INT64_T_FMT
                  ",\"clean\":%s,\"back_devices\":%u,\"silent\":%u,"
                  "\"waiting\":%u}", (apr_int64_t)apr_time_sec(apr_time_now()),
                  (apr_int64_t)apr_time_sec(n.dt.stopped),
                  (apr_int64_t)apr_time_sec(n.dt.back),
                  n.dt.clean ? "true" : "false", n.dt.nback, n.dt.nsilent,
                  n.dt.nwaiting));

    /* This tick's Errors of the devices now down: the notice is theirs.
     * Both lists are in slot order. */
    folded = apr_array_make(p, down->nelts + 1, sizeof(ph_event_t));
    for (i = j = k = 0; i < events->nelts; i++) {
        const ph_event_t *e = &APR_ARRAY_IDX(events, i, ph_event_t);
        apr_uint32_t id = APR_ARRAY_IDX(ids, i, apr_uint32_t);

        while (k < down->nelts && APR_ARRAY_IDX(down, k, apr_uint32_t) < id) {
            k++;
        }
        if (e->kind == PH_EV_DOWN && k < down->nelts
            && APR_ARRAY_IDX(down, k, apr_uint32_t) == id) {
            *(ph_event_t *)apr_array_push(folded) = *e;
            continue;
        }
        APR_ARRAY_IDX(events, j, ph_event_t) = *e;
        APR_ARRAY_IDX(ids, j, apr_uint32_t) = id;
        j++;
    }
    events->nelts = ids->nelts = j;
    return folded;
}
