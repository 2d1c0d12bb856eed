/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Detection: a watchdog of our own in every child, on a lease (one child
 * at a time, taken over within a moment when it dies), runs the state
 * machine over
 * every device about once a second, writes each tick's transitions to the
 * queue in PhoneHomeStateDir (synced) before anything else happens to them,
 * and writes a snapshot of the table every few seconds.  It runs in one
 * child, and that child can change at any time: everything it needs is in
 * shared memory or on disk.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "mod_watchdog.h"

#include "apr_strings.h"

#include <unistd.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_route.h"
#include "mod_phonehome_detect.h"
#include "mod_phonehome_downtime.h"
#include "mod_phonehome_jobs.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_store.h"
#include "ph_arm.h"
#include "ph_event.h"
#include "ph_flap.h"
#include "ph_fsm.h"
#include "ph_snapshot.h"
#include "ph_spool.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

#define PH_WATCHDOG_DETECT  "_phonehome_detect_"
#define PH_TICK             apr_time_from_msec(500)
/* A holder stuck that long (a disk that stalls) is taken over: two
 * detections at once report every transition once all the same (each
 * is taken under the lock). */
#define PH_DETECT_WEDGED    apr_time_from_sec(5)
/* Slots visited per hold of the table's lock: a beat never waits for a
 * whole scan of a large table, only for one chunk (about 30 us). */
#define PH_CHUNK            1024
/* The snapshot copies whole slots under the lock: 128 (48 KB) at a time. */
#define PH_SNAP_CHUNK       128

static apr_time_t ph_last_snapshot;
static apr_uint32_t ph_snap_changes, ph_snap_urgent;   /* as last written */
static unsigned long ph_queue_seq;

/* Note how long the watchdog held the lock, for ?auto; called with it. */
static void ph_note_hold(apr_time_t since)
{
    ph_table_hdr_t *h = ph_runtime_table()->hdr;
    apr_uint32_t held = (apr_uint32_t)(ph_mono_now() - since);

    if (held > h->lock_usec_max) {
        h->lock_usec_max = held;
    }
}

/* Copy the used slots under the lock, a chunk at a time; write them
 * outside it. */
static void ph_snapshot_write(server_rec *s, apr_pool_t *p, int always)
{
    ph_table_t *t = ph_runtime_table();
    ph_device_t *copy;
    apr_uint32_t used, id, changes, urgent;
    const char *buf;
    apr_size_t len;
    apr_status_t rv;

    /* 'used' never shrinks (a forgotten slot is cleared, and copied as
     * such), so read once it bounds the copy; each chunk is consistent
     * with the beats around it. */
    if (ph_runtime_lock() != APR_SUCCESS) {
        return;
    }
    used = t->hdr->used;
    changes = t->hdr->changes;
    urgent = t->hdr->urgent_changes;
    ph_unlock();
    if (!always && !ph_snapshot_due(ph_mono_now(), ph_last_snapshot,
                                    urgent != ph_snap_urgent,
                                    changes != ph_snap_changes)) {
        return;
    }
    copy = apr_palloc(p, sizeof(ph_device_t) * (used ? used : 1));
    /* Fault the new pages in now, not while holding the lock. */
    memset(copy, 0, sizeof(ph_device_t) * (used ? used : 1));
    for (id = 0; id < used; ) {
        apr_uint32_t end = used - id > PH_SNAP_CHUNK ? id + PH_SNAP_CHUNK
                                                     : used;
        apr_time_t held;

        if (ph_runtime_lock() != APR_SUCCESS) {
            return;
        }
        held = ph_mono_now();
        for (; id < end; id++) {
            copy[id] = *ph_slot(NULL, id);
        }
        ph_note_hold(held);
        ph_unlock();
    }

    buf = ph_snapshot_encode(p, copy, used, apr_time_now(), &len);
    rv = ph_spool_write(p, ph_dir(p, NULL), PH_SNAPSHOT_FILE, buf, len);
    ph_store_note(rv);
    if (rv != APR_SUCCESS) {
        apr_uint32_t more;

        if (ph_runtime_log_due(23, rv, &more)) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                         PHLOGNO(00023) "cannot write the snapshot %s/%s%s",
                         ph_dir(p, NULL), PH_SNAPSHOT_FILE,
                         ph_runtime_more(p, more));
        }
        ph_last_snapshot = ph_mono_now();   /* and again after a pause */
        return;
    }
    ph_last_snapshot = ph_mono_now();
    ph_snap_changes = changes;
    ph_snap_urgent = urgent;
}

static apr_status_t ph_snapshot_restore_in(server_rec *s, apr_pool_t *p,
                                           apr_uint32_t nslots, int restart)
{
    apr_time_t wall = apr_time_now(), mono = ph_mono_now();
    const char *path = ph_dir(p, PH_SNAPSHOT_FILE);
    ph_device_t *snap, *live;
    apr_uint32_t n, id;
    apr_time_t written;
    const char *why;
    apr_size_t len;
    char *buf;
    apr_status_t rv;

    rv = ph_spool_read(p, path, &buf, &len, (apr_size_t)nslots
                       * sizeof(ph_device_t) * 2 + 4096);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     PHLOGNO(00024) "cannot read the snapshot %s", path);
        return rv;
    }
    if ((why = ph_snapshot_decode(p, buf, len, &snap, &n, &written))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     PHLOGNO(00061) "ignoring the snapshot %s: %s", path, why);
        return APR_EGENERAL;
    }
    /* slotmem's own copy is written at a clean stop; after a crash or a
     * power cut it is older than the snapshot, or missing. */
    live = apr_palloc(p, sizeof(ph_device_t) * nslots);
    for (id = 0; id < nslots; id++) {
        live[id] = *ph_slot(NULL, id);
    }
    if (ph_snapshot_freshness(snap, n) <= ph_snapshot_freshness(live, nslots)) {
        return APR_SUCCESS;
    }
    if (n > nslots) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     PHLOGNO(00025) "the snapshot holds %u devices, "
                     "PhoneHomeMaxDevices only %u: the rest are dropped",
                     n, nslots);
        n = nslots;
    }
    for (id = 0; id < nslots; id++) {
        ph_device_t *d = ph_slot(NULL, id);

        if (id < n) {
            *d = snap[id];
            /* A cold start rebases every slot in ph_runtime_attach. */
            if (restart) {
                ph_fsm_rebase(d, wall, mono);
            }
        }
        else {
            memset(d, 0, sizeof(*d));
        }
    }
    if (restart) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     PHLOGNO(00177) "no copy of the table from the old "
                     "generation at this restart, and slotmem's is older "
                     "than the snapshot: restored %u device slots from "
                     "the snapshot %s", n, path);
        return APR_SUCCESS;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                 PHLOGNO(00026)
                 "restored %u device slots from the snapshot %s",
                 n, path);
    return APR_SUCCESS;
}

/* The restore reads the file, decodes it and copies the live table: up to
 * three times the table (4.6 MB of it stayed at 10,000 devices, 8.7 MB at
 * 20,000 slots: bench/RESULTS.md).  Not in ptemp: the parent's allocator
 * keeps what its pools free (no max_free), so that would stay in the
 * parent for its whole life, and in every child it forks.  A pool with an
 * allocator of its own gives it back to malloc, which unmaps blocks that
 * large. */
apr_status_t ph_snapshot_restore(server_rec *s, apr_pool_t *ptemp,
                                 apr_uint32_t nslots, int restart)
{
    apr_allocator_t *a;
    apr_pool_t *p;
    apr_status_t rv;

    if (apr_allocator_create(&a) != APR_SUCCESS) {
        return ph_snapshot_restore_in(s, ptemp, nslots, restart);
    }
    if ((rv = apr_pool_create_ex(&p, NULL, NULL, a)) != APR_SUCCESS) {
        apr_allocator_destroy(a);
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     PHLOGNO(00178) "no pool of its own for the snapshot: "
                     "it is read in the startup's temporary pool");
        return ph_snapshot_restore_in(s, ptemp, nslots, restart);
    }
    apr_allocator_owner_set(a, p);
    rv = ph_snapshot_restore_in(s, p, nslots, restart);
    apr_pool_destroy(p);                /* and the allocator with it */
    return rv;
}

static void ph_log_transition(server_rec *s, apr_pool_t *p,
                              const ph_event_t *e)
{
    const char *display = ph_display_name(p, ph_runtime_conf(), e->name);

    if (e->kind == PH_EV_DOWN) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     PHLOGNO(00020) "%s is down: %s", e->name, e->last_seen
                     ? apr_psprintf(p, "last beat %" APR_INT64_T_FMT
                                    " s ago", (apr_int64_t)apr_time_sec(
                                        e->time - e->last_seen))
                     : "never heard from");
    }
    else if (e->kind == PH_EV_FLAP) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     PHLOGNO(00240) "%s is flapping: %u changes of state "
                     "within %u s (now %s); no Error or Good for it until "
                     "it is stable for %u s", e->name, e->flaps,
                     e->flap_period, ph_state_name(e->state),
                     e->flap_period);
    }
    else if (e->kind == PH_EV_FLAP_END) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     PHLOGNO(00241) "%s stopped flapping: %s, stable for "
                     "%u s after %u changes of state", e->name,
                     ph_state_name(e->state), e->flap_period, e->flaps);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     PHLOGNO(00021) "%s is up%s%s", e->name,
                     e->kind == PH_EV_FIRST ? " (first beat)" : "",
                     e->rebooted ? " (new boot id: it restarted)" : "");
    }
    ph_events_log(s, p, ph_event_json(p, e, display));
}

/* Alert events of undeclared devices from index @a from on, beyond the
 * hour's cap, are dropped (and counted for the summary); each chunk's
 * batch counts as one event.  PhoneHomeArmAfter 0 is the first wave's
 * behaviour: no cap.  Called with the lock held. */
static void ph_cap_undeclared(apr_array_header_t *events,
                              apr_array_header_t *ids, int from,
                              const ph_server_conf_t *c, apr_time_t now)
{
    ph_arm_budget_t *b = &ph_runtime_table()->hdr->arm_budget;
    int i, j, any = 0;

    if (c->arm_after == 0) {
        return;
    }
    for (i = from; i < events->nelts && !any; i++) {
        any = !ph_arm_always(ph_slot(NULL, APR_ARRAY_IDX(ids, i,
                                                         apr_uint32_t)));
    }
    if (!any || ph_arm_budget_take(b, now, PH_ARM_UNDECLARED_PER_HOUR)) {
        return;
    }
    for (i = j = from; i < events->nelts; i++) {
        apr_uint32_t id = APR_ARRAY_IDX(ids, i, apr_uint32_t);

        if (ph_arm_always(ph_slot(NULL, id))) {
            APR_ARRAY_IDX(events, j, ph_event_t)
                = APR_ARRAY_IDX(events, i, ph_event_t);
            APR_ARRAY_IDX(ids, j, apr_uint32_t) = id;
            j++;
        }
    }
    b->folded += (apr_uint32_t)(events->nelts - j) - 1;  /* take counted one */
    events->nelts = ids->nelts = j;
}

static apr_int64_t ph_sec_of(apr_time_t t)
{
    return (apr_int64_t)apr_time_sec(t);
}

/* PhoneHomeForgetAfter: an undeclared device, not paused, silent that
 * long on the monotonic clock (rebased from its wall last_seen after a
 * cold start, as every deadline is). */
static int ph_forget_due(const ph_device_t *d, const ph_fsm_ctx_t *ctx,
                         apr_uint32_t forget_after)
{
    return forget_after && !(d->flags & PH_DEV_DECLARED)
           && d->state != PH_STATE_PAUSED && d->last_mono
           && ctx->now - d->last_mono > apr_time_from_sec(forget_after);
}

/* A device forgotten by PhoneHomeForgetAfter, noted under the lock and
 * logged after it. */
typedef struct {
    char        name[PH_NAME_MAX + 1];
    apr_int64_t silent;             /* seconds */
} ph_forgot_t;

/* PhoneHomeForgetAfter frees at most this many slots per hold of the lock
 * and per tick: a whole table that went silent at once is cleared over a
 * few seconds, and no beat waits long for it (bench/forget.sh). */
#define PH_FORGET_HOLD      256
#define PH_FORGET_TICK      4096

/* Error-log lines a tick writes for PhoneHomeForgetAfter; the rest are
 * counted in one more (events.log has a line for each). */
#define PH_FORGOT_LOGGED    10

/* Forget the @a n slots of @a ids that are still due (the scan read them
 * without the lock), noting each in @a forgot: nothing is formatted here.
 * Called with the lock held: at most a chunk. */
static void ph_forget_chunk(const apr_uint32_t *ids, apr_uint32_t n,
                            const ph_fsm_ctx_t *ctx,
                            apr_uint32_t forget_after,
                            apr_array_header_t *forgot)
{
    ph_table_t *t = ph_runtime_table();
    apr_uint32_t k;

    for (k = 0; k < n; k++) {
        ph_device_t *d = ph_slot(NULL, ids[k]);
        ph_forgot_t *f;

        if (d->name[0] == '\0' || !ph_forget_due(d, ctx, forget_after)) {
            continue;
        }
        f = apr_array_push(forgot);
        memcpy(f->name, d->name, sizeof(f->name));
        f->silent = ph_sec_of(ctx->now - d->last_mono);
        ph_table_remove(t, ids[k], ctx->wall);
        t->hdr->urgent_changes++;
    }
}

/* Log what ph_forget_chunk noted: PH00215 (PH00216 past the first few)
 * and an events.log line each, in one append. */
static void ph_forgot_log(server_rec *s, apr_pool_t *p,
                          const apr_array_header_t *forgot,
                          apr_uint32_t forget_after, apr_time_t wall)
{
    apr_array_header_t *lines;
    int i;

    if (forgot->nelts == 0) {
        return;
    }
    lines = apr_array_make(p, forgot->nelts, sizeof(const char *));
    for (i = 0; i < forgot->nelts; i++) {
        const ph_forgot_t *f = &APR_ARRAY_IDX(forgot, i, ph_forgot_t);

        if (i < PH_FORGOT_LOGGED) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         PHLOGNO(00215) "forgot undeclared device %s "
                         "(silent %" APR_INT64_T_FMT " s): "
                         "PhoneHomeForgetAfter %u", f->name, f->silent,
                         forget_after);
        }
        APR_ARRAY_PUSH(lines, const char *) = apr_psprintf(p,
            "{\"time\":%" APR_INT64_T_FMT ",\"event\":\"forget\","
            "\"device\":%s,\"by\":\"PhoneHomeForgetAfter\",\"silent\":%"
            APR_INT64_T_FMT "}", ph_sec_of(wall), ph_text_json(p, f->name),
            f->silent);
    }
    /* One append for the tick's lines, not an open and a write each. */
    ph_events_log(s, p, apr_array_pstrcat(p, lines, '\n'));
    if (forgot->nelts > PH_FORGOT_LOGGED) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     PHLOGNO(00216) "forgot %d more undeclared devices "
                     "in this tick (PhoneHomeForgetAfter %u; each is in "
                     "events.log)", forgot->nelts - PH_FORGOT_LOGGED,
                     forget_after);
    }
}

/* One tick: step every device; queue what changed. */
static void ph_detect(server_rec *s, apr_pool_t *p)
{
    ph_server_conf_t *c = ph_runtime_conf();
    ph_table_t *t = ph_runtime_table();
    apr_array_header_t *events = apr_array_make(p, 4, sizeof(ph_event_t));
    apr_array_header_t *ids = apr_array_make(p, 4, sizeof(apr_uint32_t));
    apr_uint32_t *due = apr_palloc(p, sizeof(*due) * PH_CHUNK);
    apr_uint32_t *forget = apr_palloc(p, sizeof(*forget) * PH_FORGET_HOLD);
    apr_array_header_t *notes = apr_array_make(p, 1, sizeof(const char *));
    apr_array_header_t *forgot = apr_array_make(p, 1, sizeof(ph_forgot_t));
    apr_time_t begin = apr_time_now(), begin_mono = ph_mono_now();
    apr_time_t hold = ph_downtime_hold(begin_mono);
    apr_array_header_t *folded;
    ph_fsm_ctx_t ctx;
    apr_uint32_t id, used, n, nf, k;
    int i;

    ctx.grace = apr_time_from_sec(c->startup_grace);
    ctx.notify_first = c->notify_first_beat;
    ctx.arm_after = c->arm_after;
    if (ph_runtime_lock() != APR_SUCCESS) {
        return;
    }
    ctx.started = t->hdr->started_mono;
    used = t->hdr->used;
    ph_unlock();

    /* The scan reads the slots without the lock: beats never wait for it.
     * Only a slot that looks due (ph_fsm_due) is stepped, under the lock,
     * a chunk's worth at a time; the step decides again on what it sees
     * there.  A slot read while a beat writes it can only look due when it
     * is not (the step then does nothing) or look not due for one tick. */
    for (id = 0; id < used; ) {
        apr_uint32_t end = used - id > PH_CHUNK ? id + PH_CHUNK : used;
        apr_time_t held;

        ctx.now = ph_mono_now();
        /* The grace's end, owed a downtime notice, falls in one tick. */
        if (hold && ctx.now > hold) {
            ctx.now = hold;
        }
        ctx.wall = apr_time_now();
        for (n = nf = 0; id < end; id++) {
            const ph_device_t *d = ph_slot(NULL, id);

            if (d->name[0] == '\0') {
                continue;
            }
            if (nf < PH_FORGET_HOLD
                && (apr_uint32_t)forgot->nelts + nf < PH_FORGET_TICK
                && ph_forget_due(d, &ctx, c->forget_after)) {
                forget[nf++] = id;
            }
            else if (ph_fsm_due(d, &ctx)) {
                due[n++] = id;
            }
        }
        if (n == 0 && nf == 0) {
            continue;
        }
        if (nf && forgot->nalloc < (int)PH_FORGET_TICK) {
            /* Room for the tick's forgets, its pages faulted in now: no
             * allocation while the lock is held. */
            forgot = apr_array_make(p, PH_FORGET_TICK, sizeof(ph_forgot_t));
            memset(forgot->elts, 0, PH_FORGET_TICK * sizeof(ph_forgot_t));
        }
        if (ph_runtime_lock() != APR_SUCCESS) {
            return;
        }
        held = ph_mono_now();
        ph_forget_chunk(forget, nf, &ctx, c->forget_after, forgot);
        i = events->nelts;
        for (k = 0; k < n; k++) {
            ph_device_t *d = ph_slot(NULL, due[k]);
            int former, paused;
            ph_event_e ev;

            if (d->name[0] == '\0') {
                continue;
            }
            paused = d->state == PH_STATE_PAUSED;
            ev = ph_fsm_step(d, &ctx, &former);
            if (paused && d->state != PH_STATE_PAUSED) {
                APR_ARRAY_PUSH(notes, const char *) = apr_psprintf(p,
                    "{\"time\":%" APR_INT64_T_FMT ",\"event\":\"pause_end\","
                    "\"device\":%s,\"state\":\"%s\"}", ph_sec_of(ctx.wall),
                    ph_text_json(p, d->name), ph_state_name(d->state));
            }
            if (ev != PH_EV_NONE) {
                ph_event_t *e = apr_array_push(events);

                ph_event_from_device(e, d, ev, former, ctx.wall);
                /* Shown on today's wall clock: ages stay true after a
                 * step. */
                if (e->last_seen) {
                    e->last_seen = ph_fsm_wall_of(&ctx, d->last_mono);
                }
                if (e->gap_start) {
                    e->gap_start = ph_fsm_wall_of(&ctx, d->gap_mono);
                }
                APR_ARRAY_PUSH(ids, apr_uint32_t) = due[k];
            }
        }
        if (events->nelts > i) {
            t->hdr->urgent_changes++;
        }
        ph_cap_undeclared(events, ids, i, c, ctx.now);
        ph_note_hold(held);
        ph_unlock();
    }
    ph_forgot_log(s, p, forgot, c->forget_after, begin);
    for (i = 0; i < notes->nelts; i++) {
        ph_events_log(s, p, APR_ARRAY_IDX(notes, i, const char *));
    }
    if (ph_runtime_lock() == APR_SUCCESS) {
        t->hdr->last_tick = begin;
        t->hdr->last_tick_mono = begin_mono;
        t->hdr->tick_usec = (apr_uint32_t)(ph_mono_now() - begin_mono);
        if (t->hdr->tick_usec > t->hdr->tick_usec_max) {
            t->hdr->tick_usec_max = t->hdr->tick_usec;
        }
        ph_unlock();
    }

    if ((folded = ph_downtime_fold(s, p, events, ids, begin_mono))) {
        for (i = 0; i < folded->nelts; i++) {
            ph_log_transition(s, p, &APR_ARRAY_IDX(folded, i, ph_event_t));
        }
    }
    if (events->nelts == 0) {
        return;
    }
    /* The transitions are on disk before anyone is told of them. */
    {
        apr_array_header_t *lines = apr_array_make(p, events->nelts + 1,
                                                   sizeof(const char *));
        const char *batch;
        apr_uint32_t more;
        apr_status_t rv;
        int held;

        /* One join, not one concatenation per event: a storm can hold
         * every device in the table. */
        for (i = 0; i < events->nelts; i++) {
            APR_ARRAY_PUSH(lines, const char *) = ph_event_format(p,
                &APR_ARRAY_IDX(events, i, ph_event_t));
        }
        APR_ARRAY_PUSH(lines, const char *) = "";
        batch = apr_array_pstrcat(p, lines, '\n');
        /* A full disk holds them in memory (the store room). */
        rv = ph_store_write(s, p, PH_STORE_QUEUE,
                            apr_psprintf(p, "%" APR_TIME_T_FMT "-%"
                                         APR_PID_T_FMT "-%lu.ev", begin_mono,
                                         getpid(), ++ph_queue_seq),
                            batch, strlen(batch), &held);
        if (rv != APR_SUCCESS) {
            /* Not lost: report them again next tick (logged once a
             * minute: the disk it complains about is full). */
            if (ph_runtime_log_due(22, rv, &more)) {
                ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                             PHLOGNO(00022) "cannot queue %d transitions in "
                             "%s; retrying%s", events->nelts,
                             ph_dir(p, PH_DIR_QUEUE),
                             ph_runtime_more(p, more));
            }
            if (ph_runtime_lock() == APR_SUCCESS) {
                for (i = 0; i < ids->nelts; i++) {
                    ph_device_t *d = ph_slot(NULL, APR_ARRAY_IDX(ids, i,
                                                                 apr_uint32_t));
                    const ph_event_t *e = &APR_ARRAY_IDX(events, i,
                                                         ph_event_t);

                    if (strcmp(d->name, e->name) == 0) {
                        d->reported = (apr_byte_t)e->former;
                        /* Counted again at the next step, sent once. */
                        ph_flap_undo(d, e->kind, e->former);
                    }
                }
                ph_unlock();
            }
            return;
        }
    }
    for (i = 0; i < events->nelts; i++) {
        ph_log_transition(s, p, &APR_ARRAY_IDX(events, i, ph_event_t));
    }
}

static apr_status_t ph_detect_callback(int state, void *data,
                                       apr_pool_t *pool)
{
    server_rec *s = data;

    switch (state) {
    case AP_WATCHDOG_STATE_STARTING:
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     PHLOGNO(00027)
                     "detection runs in process %" APR_PID_T_FMT,
                     getpid());
        break;
    case AP_WATCHDOG_STATE_RUNNING:
        ph_store_flush(s, pool);
        ph_downtime_alive(s);
        ph_detect(s, pool);
        ph_snapshot_write(s, pool, 0);
        break;
    case AP_WATCHDOG_STATE_STOPPING:
        /* Not after the lease was lost: the new holder writes it. */
        if (ph_watchdog_keep(PH_LEASE_DETECT)) {
            ph_snapshot_write(s, pool, 1);
        }
        break;
    }
    /* Anything but success would stop the callback for good. */
    return APR_SUCCESS;
}

apr_status_t ph_detect_register(apr_pool_t *pconf, server_rec *s)
{
    ph_last_snapshot = 0;
    return ph_watchdog_leased(pconf, s, PH_WATCHDOG_DETECT, PH_LEASE_DETECT,
                              "detection", PH_TICK, PH_DETECT_WEDGED,
                              ph_detect_callback);
}
