/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_status_view.h
 * @brief The status room's reading side: how the status page and the
 *        board read the table (a walk that copies a chunk of slots under
 *        the lock at a time and streams what it renders), and the
 *        interface the outage history fills.  Level 4 of the glue: it
 *        depends on runtime, config, private and the core; the renderers
 *        (mod_phonehome_status_text.h, mod_phonehome_status_html.h) depend
 *        on it.
 */

#ifndef MOD_PHONEHOME_STATUS_VIEW_H
#define MOD_PHONEHOME_STATUS_VIEW_H

#include "httpd.h"
#include "apr_optional.h"

#include "mod_phonehome_runtime.h"
#include "ph_view.h"

/* Slots copied under one hold of the lock, and rendered (then flushed to
 * the client) before the next chunk is taken. */
#define PH_WALK_CHUNK       256

/* The table's header and counts, taken in one short hold of the lock. */
typedef struct ph_view_t {
    apr_time_t      now;
    apr_time_t      started;
    apr_uint32_t    nslots;
    apr_uint32_t    used;
    apr_uint64_t    refused_full;
    int             n;                  /* devices */
    int             count[4];           /* by ph_state_e */
    int             matched[4];         /* passing the query's filters */
    apr_time_t      down_since;         /* earliest since of a down device */
    apr_uint32_t    queued;
    apr_uint32_t    dead;
    apr_uint64_t    sent;
    apr_time_t      last_error_time;
    char            last_error[PH_LAST_ERROR_LEN];
    apr_time_t      last_tick;
    apr_uint32_t    tick_usec;
    apr_uint32_t    tick_usec_max;
    apr_uint32_t    lock_usec_max;
    int             nchan;
    ph_chan_stat_t *chan;               /* copies, one per PhoneHomeNotify */
    int             nbeat;
    ph_beatto_stat_t *beat;             /* copies, one per PhoneHomeBeatTo */
} ph_view_t;

typedef struct ph_walk_t ph_walk_t;

/** Called for each device a walk selects, outside the lock, with a pool
 *  cleared after every chunk and the device's position in the listing. */
typedef void ph_walk_fn(ph_walk_t *w, const ph_device_t *d,
                        apr_int64_t index, apr_pool_t *p, void *baton);

struct ph_walk_t {
    request_rec       *r;
    const ph_query_t  *q;
    ph_device_t       *buf;             /* PH_WALK_CHUNK copies */
    apr_pool_t        *chunk_pool;
    apr_int64_t        skipped;         /* of q->offset, across passes */
    apr_int64_t        emitted;         /* of limit, across passes */
    apr_int64_t        limit;           /* -1: all */
    int                failed;          /* the lock failed: stop */
};

/** Take the header, the channel counts and the per-state counts (all and
 *  matching @a q), a chunk of slots per hold of the lock. */
apr_status_t ph_view_take(request_rec *r, const ph_query_t *q, ph_view_t *v);

/** Start a walk honouring @a q's offset and @a limit (-1: all). */
void ph_walk_init(ph_walk_t *w, request_rec *r, const ph_query_t *q,
                  apr_int64_t limit);

/**
 * Walk the slots in slot order, calling @a fn for each device whose state
 * is in @a states (a mask) and that matches the query; each chunk is
 * copied under the lock, rendered outside it and flushed.  Several walks
 * with one ph_walk_t page across them (down first, then the rest).
 */
void ph_walk(ph_walk_t *w, unsigned states, ph_walk_fn *fn, void *baton);

/** Whether device @a d passes @a q's state and text filters. */
int ph_view_match(const ph_query_t *q, const ph_device_t *d);

/** Copy the device @a name under the lock; 0 if there is none. */
int ph_view_device(request_rec *r, const char *name, ph_device_t *out);

/** The last lines of events.log, newest last (at most 20). */
apr_array_header_t *ph_recent_events(request_rec *r);

/** PhoneHomeBeatTo number @a i's target as shown: its URL cut after the
 *  host (a ping URL's path is its secret). */
const char *ph_view_beat_target(apr_pool_t *p, int i);

/** PhoneHomeBeatTo number @a i's configuration. */
const ph_beatto_t *ph_view_beat(int i);

/** The notify channel number @a i's configuration. */
const ph_notify_chan_t *ph_view_chan(int i);

/* ------------------------------------------------------------------ */
/* The outage history (issue 17) fills this; until then there is none.  */

#define PH_HISTORY_24H      0           /* 24 bars of an hour */
#define PH_HISTORY_30D      1           /* 30 bars of a day */
#define PH_HISTORY_BARS_MAX 30

typedef struct ph_history_bar_t {
    int          nbars;                 /* 24 or 30; 0: no history yet */
    apr_time_t   start;                 /* the first bar's start */
    apr_int16_t  up_permille[PH_HISTORY_BARS_MAX];  /* -1: no data */
} ph_history_bar_t;

/**
 * The history's provider registers this optional function
 * (APR_REGISTER_OPTIONAL_FN(ph_history_bar)); the page draws whatever it
 * fills and "no history yet" while it is absent or returns 0.
 * @param window PH_HISTORY_24H or PH_HISTORY_30D
 * @return 1 if @a out holds bars
 */
APR_DECLARE_OPTIONAL_FN(int, ph_history_bar,
                        (const ph_device_t *d, int window, apr_time_t now,
                         ph_history_bar_t *out));

/** Start a one-line text answer (a 4xx), without the lock. */
int ph_status_refuse(request_rec *r, int status, const char *why);

/** Seconds of an APR time, for the renderers. */
static APR_INLINE apr_int64_t ph_sec(apr_time_t t)
{
    return (apr_int64_t)apr_time_sec(t);
}

#endif /* MOD_PHONEHOME_STATUS_VIEW_H */
