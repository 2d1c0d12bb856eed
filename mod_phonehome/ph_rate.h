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
#define PH_RATE_IP_PROBES   16          /* entries tried from an address's home */
#define PH_RATE_V6_PREFIX   64          /* IPv6 addresses count per /64 */

typedef struct ph_rate_ip_t {
    char              ip[PH_IP_MAX + 1];    /* the key; "" is a free entry */
    ph_bucket_state_t bucket;
} ph_rate_ip_t;

/**
 * The key a client address counts under: an IPv4 address as it is, an
 * IPv6 address as its first @a v6_prefix bits (the rest zero), so that
 * one site's /64 is one client.  Writes at most PH_IP_MAX + 1 bytes.
 */
void ph_rate_ip_key(char *buf, const char *ip, unsigned int v6_prefix);

/**
 * The bucket for @a key in a table of PH_RATE_IPS entries, hashed under
 * @a hash_key: its own entry, else a free entry or one idle for a whole
 * period (a full bucket: nothing is forgiven by reusing it) among the
 * PH_RATE_IP_PROBES from its home.  An entry in use is never taken over.
 * @return the bucket, or NULL when every candidate is in use: the caller
 *         refuses the new name (fails closed)
 */
ph_bucket_state_t *ph_rate_ip_bucket(ph_rate_ip_t *table,
                                     const unsigned char *hash_key,
                                     const char *key, const ph_rate_t *r,
                                     apr_time_t now);

#endif /* PH_RATE_H */
