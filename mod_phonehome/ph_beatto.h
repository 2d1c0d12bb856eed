/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_beatto.h
 * @brief PhoneHomeBeatTo: the server's own beat to another monitor.
 *
 *     PhoneHomeBeatTo URL [every=seconds] [key-file=file] [device=name]
 *
 * Without key-file= and device= the beat is a plain GET of URL as
 * written (a healthchecks.io ping, an Uptime Kuma push URL with its
 * query).  With either, it is a mod_phonehome beat: device, t, boot, up
 * and seq are added to URL's query and, with key-file=, sig, signed as
 * the Pi client signs (ph_sig.h).  The glue decides when a beat may go
 * (only while detection and the outbox are healthy).
 */

#ifndef PH_BEATTO_H
#define PH_BEATTO_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>

#define PH_BEATTO_EVERY_DEFAULT 60
#define PH_BEATTO_EVERY_MIN     1
#define PH_BEATTO_EVERY_MAX     86400
#define PH_BEATTO_URL_MAX       2048
/* A transfer's whole time: three quarters of every=, at most 10 s; the
 * connect part at most 5 s.  A beat never overlaps the next one. */
#define PH_BEATTO_TOTAL_MS_MAX  10000L
#define PH_BEATTO_CONNECT_MS_MAX 5000L
/* The health rule: detection is wedged when its last tick is older than
 * this; the outbox is stuck when a file failed this many attempts in a
 * row (with the 5 s, 10 s backoff: a sender failing for 15 s or more). */
#define PH_BEATTO_TICK_STALE_SEC    10
#define PH_BEATTO_STUCK_ATTEMPTS    3

typedef struct ph_beatto_t {
    const char   *url;              /* as configured */
    apr_uint32_t  every;            /* seconds */
    const char   *key_file;         /* key-file=, or NULL: not signed */
    const char   *key;              /* read at startup, as root */
    apr_size_t    keylen;
    const char   *device;           /* device=, or NULL (see above) */
    int           phonehome;        /* adds the beat's fields */
} ph_beatto_t;

/**
 * Parse the words of one PhoneHomeBeatTo line (the URL first): an http://
 * or https:// URL with a host, every= in [PH_BEATTO_EVERY_MIN,
 * PH_BEATTO_EVERY_MAX], device= a valid device name, key-file= a file
 * (read by the glue).  Nothing else is accepted.
 * @return NULL, or a one-line reason
 */
const char *ph_beatto_parse(apr_pool_t *p, const apr_array_header_t *words,
                            ph_beatto_t *bt);

/**
 * Detection's half of the health rule, on the monotonic clock: @a now,
 * when the beat's watchdog started (@a started) and detection's last tick
 * (@a last_tick, 0: none yet).
 * @return NULL when healthy; "" when it is too early to say (no tick yet,
 *         within PH_BEATTO_TICK_STALE_SEC of that start: the beat waits);
 *         else why not, in one line
 */
const char *ph_beatto_detect_health(apr_pool_t *p, apr_time_t now,
                                    apr_time_t started, apr_time_t last_tick);

/** The outbox's half: whether a file that failed @a attempts times in a
 *  row means alerts are not getting out. */
int ph_beatto_stuck(unsigned int attempts);

/** The connect and total timeouts of a transfer, in milliseconds. */
void ph_beatto_timeouts(const ph_beatto_t *bt, long *connect_ms,
                        long *total_ms);

/**
 * The URL of one beat: @a bt's URL as written for a plain ping; for a
 * mod_phonehome beat, with device, t (@a t, epoch seconds), boot (@a boot,
 * left out when NULL or empty), up (@a up seconds) and seq (@a seq) added
 * to its query and, when @a bt has a key, sig.
 */
const char *ph_beatto_url(apr_pool_t *p, const ph_beatto_t *bt,
                          apr_int64_t t, const char *boot, apr_int64_t up,
                          apr_uint64_t seq);

/**
 * The seq a mod_phonehome server asks for in its 409 answer ("seq N is
 * not above M", ph_wire.h): M, or 0 when @a answer is not that line.
 */
apr_uint64_t ph_beatto_stale_seq(const char *answer);

#endif /* PH_BEATTO_H */
