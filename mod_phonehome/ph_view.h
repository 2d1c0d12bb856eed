/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_view.h
 * @brief The status page's pure parts: its query string, human times and
 *        the sentence for an events.log line.  No httpd here.
 */

#ifndef PH_VIEW_H
#define PH_VIEW_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "ph_device.h"

typedef enum {
    PH_FMT_HTML = 0,
    PH_FMT_AUTO,
    PH_FMT_JSON,
    PH_FMT_METRICS
} ph_fmt_e;

#define PH_VIEW_LIMIT_MAX   1000000     /* limit= and offset= at most */

/** What a status or board request asks for. */
typedef struct ph_query_t {
    int          fmt;               /* ph_fmt_e */
    int          refresh;           /* seconds, 0: none */
    unsigned     states;            /* bit (1 << ph_state_e); 0: every state */
    const char  *q;                 /* name or display contains; NULL: all */
    apr_int64_t  limit;             /* -1: not given */
    apr_int64_t  offset;
    const char  *device;            /* ?device=NAME, or NULL */
    const char  *badge;             /* ?badge=NAME, or NULL */
} ph_query_t;

/**
 * Parse a status query string (NULL or "" is the default page): `auto`,
 * `json`, `metrics` (also `metrics=<anything>`), `refresh[=N]`,
 * `state=a,b`, `q=`, `limit=`, `offset=`, `device=`, `badge=`, joined by
 * '&', values percent-decoded.  Unknown keys are ignored.
 * @return NULL, or one line saying what is wrong (a 400)
 */
const char *ph_query_parse(apr_pool_t *p, const char *args, ph_query_t *q);

/** Whether @a hay contains @a needle, ASCII case ignored. */
int ph_view_contains(const char *hay, const char *needle);

/**
 * A duration for people: "45 s", "3 min", "2 h 14 min", "3 d 4 h".
 * Negative is "0 s".
 */
const char *ph_human_duration(apr_pool_t *p, apr_int64_t seconds);

/** "just now", "3 min ago", "2 h 14 min ago"; "never" for @a then == 0. */
const char *ph_human_ago(apr_pool_t *p, apr_time_t now, apr_time_t then);

/** Server local time with the zone: "14:02 CET" today, else
 *  "2026-11-30 14:02 CET"; "-" for 0. */
const char *ph_human_time(apr_pool_t *p, apr_time_t now, apr_time_t t);

/**
 * The sentence for one events.log line (a flat JSON object), plain text,
 * e.g. "Kitchen Pi (kitchen-pi) went down at 14:02." or "An alert mail was
 * delivered at 14:03.".  A line that is not such an object gives NULL.
 * @param device if not NULL, set to the line's device name or NULL
 */
const char *ph_event_sentence(apr_pool_t *p, const char *line, apr_time_t now,
                              const char **device);

/**
 * One JSON value of key @a key in the flat object @a line: a string
 * decoded (NULL if not there), a number, true, false or null as its text.
 */
const char *ph_json_flat_get(apr_pool_t *p, const char *line,
                             const char *key);

#endif /* PH_VIEW_H */
