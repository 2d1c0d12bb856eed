/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_beat.h
 * @brief Parsing a beat: the query string or form body a device sends.
 *
 * Accepted: the seed's bare number (`?1359860402`, the client's clock) and
 * `key=value` pairs joined by '&': device, t, boot, up, seq, sig.  Unknown
 * keys are ignored; a known key given twice, or with a malformed value,
 * refuses the whole beat.
 */

#ifndef PH_BEAT_H
#define PH_BEAT_H

#include <apr.h>
#include <apr_pools.h>

#include "ph_device.h"

#define PH_SIG_MAX          128     /* longest signature accepted */
#define PH_T_MAX            APR_INT64_C(253402300799)  /* 9999-12-31 */
#define PH_UP_MAX           APR_INT64_C(3153600000)    /* 100 years */

/* ph_beat_t.seen */
#define PH_BEAT_DEVICE      0x01
#define PH_BEAT_T           0x02
#define PH_BEAT_BOOT        0x04
#define PH_BEAT_UP          0x08
#define PH_BEAT_SEQ         0x10
#define PH_BEAT_SIG         0x20

typedef struct ph_beat_t {
    unsigned int  seen;             /* PH_BEAT_* for each key present */
    const char   *device;           /* device= */
    apr_int64_t   t;                /* client clock, epoch seconds */
    const char   *boot;             /* boot id */
    apr_int64_t   up;               /* uptime, whole seconds */
    apr_uint64_t  seq;
    const char   *sig;              /* checked by the signature code */
    const char   *t_raw;            /* t, up and seq exactly as sent, */
    const char   *up_raw;           /* which is what a signature covers */
    const char   *seq_raw;
} ph_beat_t;

/**
 * Parse one query string or form body into @a beat.  May be called twice on
 * the same beat (query, then body): a key present in both is a repetition.
 * @param beat  the beat, zeroed by the caller before the first call
 * @param args  the raw, still percent-encoded text; NULL or "" is no keys
 * @param p     pool for decoded copies
 * @return NULL on success, else a one-line reason for a 400
 */
const char *ph_beat_parse(ph_beat_t *beat, const char *args, apr_pool_t *p);

/**
 * The device named by the path after the Location: its first segment.
 * @param rest  what follows the Location's path in the decoded URI
 *              ("/kitchen-pi", "/kitchen-pi/", "" or "/")
 * @return the segment, or NULL if there is none
 */
const char *ph_beat_path_device(const char *rest, apr_pool_t *p);

/**
 * Which device a beat is for: the path segment, else device=, else the
 * default device.  The result still needs ph_name_check().
 */
const char *ph_beat_device(const ph_beat_t *beat, const char *path_device);

#endif /* PH_BEAT_H */
