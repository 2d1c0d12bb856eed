/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_runtime.h
 * @brief The runtime room: what lives while httpd runs.  The device table
 *        in shared memory (slotmem, the index, the per-address and
 *        per-channel counts) and its mutex, the paths in PhoneHomeStateDir
 *        (ph_dir() is the only place one is built), the events.log writer,
 *        the monotonic clock, and the jobs on leases: every child's watchdog
 *        looks, the lease's holder works (ph_lease.h).  The segment is a static of
 *        mod_phonehome_runtime.c, reached only through these accessors.
 *        Level 3 of the glue: it depends on the config and secure rooms,
 *        private and the core.
 */

#ifndef MOD_PHONEHOME_RUNTIME_H
#define MOD_PHONEHOME_RUNTIME_H

#include "httpd.h"
#include "mod_watchdog.h"

#include <time.h>

#include "mod_phonehome_config.h"
#include "ph_device.h"
#include "ph_lease.h"
#include "ph_memq.h"
#include "ph_rate.h"
#include "ph_table.h"

/** The clock every deadline is measured on (see ph_fsm.h): it never steps
 *  and all children of one boot share it. */
static APR_INLINE apr_time_t ph_mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC
           + (apr_time_t)(ts.tv_nsec / 1000);
}

/** A channel's counts for the status page, in shared memory (one per
 *  PhoneHomeNotify, in configuration order; reset by every restart). */
typedef struct ph_chan_stat_t {
    apr_uint32_t        queued;             /* in outbox/ */
    apr_uint32_t        dead;               /* in dead/ */
    apr_uint64_t        sent;               /* since httpd (re)started */
    apr_time_t          last_error_time;
    char                last_error[PH_LAST_ERROR_LEN]; /* redacted, one line */
} ph_chan_stat_t;

/** A PhoneHomeBeatTo target's counts, in shared memory (one per line, in
 *  configuration order; reset by every restart: seq then starts again
 *  from the wall clock in ms). */
typedef struct ph_beatto_stat_t {
    apr_uint64_t        sent;               /* beats the target accepted */
    apr_uint64_t        held;               /* beats held back: unhealthy */
    apr_uint64_t        seq;                /* last seq sent */
    apr_uint32_t        failures;           /* in a row */
    apr_uint32_t        pad;
    apr_time_t          last_success;       /* wall clock */
    apr_time_t          last_error_time;
    apr_time_t          next_mono;          /* when the next beat is due */
    char                last_error[PH_LAST_ERROR_LEN]; /* one line */
} ph_beatto_stat_t;

/* ------------------------------------------------------------------ */
/* Accessors (valid once post_config has run; inherited by the children) */

/** The main server's configuration, or NULL before post_config. */
ph_server_conf_t *ph_runtime_conf(void);

/** The device table (its header is hdr; lock it to read or write). */
ph_table_t *ph_runtime_table(void);

/** Whether the table is there to serve a request. */
int ph_runtime_ready(void);

/** PhoneHomeRegisterLimit's buckets per client address (PH_RATE_IPS). */
ph_rate_ip_t *ph_runtime_rate_ips(void);

/** One ph_chan_stat_t per PhoneHomeNotify channel. */
ph_chan_stat_t *ph_runtime_chan_stats(void);

/** One ph_beatto_stat_t per PhoneHomeBeatTo line. */
ph_beatto_stat_t *ph_runtime_beatto_stats(void);

/** The files the state directory refused, held in memory (ph_memq.h;
 *  lock the table to use it), and the directory's health. */
ph_memq_t *ph_runtime_memq(void);

/** Seconds between two log lines of one cause of a failing disk. */
#define PH_LOG_EVERY 60

/** Whether the failure @a rv at the call site PH<@a tag> is to be logged
 *  now: once every PH_LOG_EVERY seconds per cause, across children.
 *  *@a suppressed: the failures not logged since its last line. */
int ph_runtime_log_due(apr_uint32_t tag, apr_status_t rv,
                       apr_uint32_t *suppressed);

/** " (and N times more since the last such line)", or "" for 0. */
const char *ph_runtime_more(apr_pool_t *p, apr_uint32_t more);

/** The device in slot @a id (the table must be locked to write it). */
ph_device_t *ph_slot(void *baton, apr_uint32_t id);

/** Lock the table for a request; logged (PH00010) if it cannot be. */
apr_status_t ph_lock(request_rec *r);

/** Lock the table from a watchdog thread (a failure is not logged). */
apr_status_t ph_runtime_lock(void);

/** Lock the table if nobody holds it; APR_EBUSY if somebody does (the
 *  parent at a restart, which must not wait for a stopped child). */
apr_status_t ph_runtime_trylock(void);

/** Unlock what ph_lock() or ph_runtime_lock() locked. */
void ph_unlock(void);

/** The path of @a sub (PH_DIR_QUEUE, PH_EVENTS_LOG, ...) in
 *  PhoneHomeStateDir; @a sub NULL: the directory itself. */
const char *ph_dir(apr_pool_t *p, const char *sub);

/** The length of the <Location> path @a r was mapped by that its URI
 *  starts with (trailing slashes left out), or -1 for a LocationMatch, a
 *  wildcard or a URI outside it.  The section's path is in core's per-dir
 *  config, since SetHandler (a core directive) is all the section holds. */
long ph_location_prefix(request_rec *r);

/** Answer @a r with one plain-text line that nobody may cache (the beat
 *  handler's answers, the status page's refusals); returns OK. */
int ph_answer_line(request_rec *r, int status, const char *line);

/** Append one JSON line to StateDir/events.log (one write, O_APPEND).
 *  A line the disk refuses is held in memory (up to PH_EVENTS_HELD_MAX
 *  bytes of it, behind any held before) and appended later by the store
 *  room's flush; a line beyond that is lost and logged (PH00040). */
void ph_events_log(server_rec *s, apr_pool_t *p, const char *json);

/** The held-file directory number of events.log's held lines (beside the
 *  store's queue, outbox and dead), and the room they may take. */
#define PH_EVENTS_HELD      3
#define PH_EVENTS_HELD_MAX  (64 * 1024)

/** Append @a line (newline included) to events.log; the result. */
apr_status_t ph_events_append(apr_pool_t *p, const char *line);


/* ------------------------------------------------------------------ */
/* The lifecycle, called by mod_phonehome.c's hooks in this order        */

/** pre_config: register the mutex type (the Mutex directive's name). */
int ph_runtime_pre_config(apr_pool_t *pconf);

/** check_config: the modules the runtime needs (PH00001, PH00002). */
int ph_runtime_check(server_rec *s);

/**
 * post_config, first half: the segment for this generation, the state
 * directory made (as root) and the secrets read.  @a cold is set on a
 * real start (not a graceful restart): then the caller restores the
 * snapshot into the slots before ph_runtime_attach().
 * @return OK or HTTP_INTERNAL_SERVER_ERROR (logged)
 */
int ph_runtime_create(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                      int *cold);

/**
 * post_config, second half: monotonic times rebased after a cold start,
 * the index rebuilt under a new key, the slots brought in line with this
 * configuration, the seq floors of keyed devices, and the mutex.
 * @return OK or HTTP_INTERNAL_SERVER_ERROR (logged)
 */
int ph_runtime_attach(apr_pool_t *pconf, server_rec *s);

/** post_config, last: the debug line that the table is ready. */
void ph_runtime_log_ready(server_rec *s);

/** child_init: attach the mutex in the child. */
void ph_runtime_child_init(apr_pool_t *p, server_rec *s);

#endif /* MOD_PHONEHOME_RUNTIME_H */
