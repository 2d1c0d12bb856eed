/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_rate.h
 * @brief Rate limits as token buckets: at most n events in any @a period,
 *        refilled continuously.  A refused event costs nothing and waits
 *        for nothing (the caller answers 429 at once; never a tarpit).
 *
 * Two users: each device's beats (the bucket lives in its slot), and each
 * client address's new device names (a small table of buckets, so that
 * undeclared names cannot fill the device table).
 */

#ifndef PH_RATE_H
#define PH_RATE_H

#include <apr.h>
#include <apr_time.h>

#include "ph_device.h"

typedef struct ph_rate_t {
    apr_uint32_t        n;              /* 0: no limit */
    apr_interval_time_t period;
} ph_rate_t;

/**
 * Take one token from @a b at @a now.
 * @return 0 if taken, else how long until one is there (> 0)
 */
apr_interval_time_t ph_rate_take(ph_bucket_state_t *b, const ph_rate_t *r,
                                 apr_time_t now);

#define PH_RATE_IPS         4096        /* client addresses tracked */

typedef struct ph_rate_ip_t {
    char              ip[PH_IP_MAX + 1];
    ph_bucket_state_t bucket;
} ph_rate_ip_t;

/** The bucket for @a ip in a direct-mapped table of PH_RATE_IPS entries;
 *  an entry taken by another address starts over for this one. */
ph_bucket_state_t *ph_rate_ip_bucket(ph_rate_ip_t *table, const char *ip);

#endif /* PH_RATE_H */
