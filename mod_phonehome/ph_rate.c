/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_rate.h"
#include "ph_table.h"

apr_interval_time_t ph_rate_take(ph_bucket_state_t *b, const ph_rate_t *r,
                                 apr_time_t now)
{
    apr_uint64_t cap, milli, gained;

    if (r->n == 0 || r->period <= 0) {
        return 0;
    }
    cap = (apr_uint64_t)r->n * 1000;
    if (b->stamp == 0 || now < b->stamp) {
        /* A new bucket, or the clock went back: start full. */
        milli = cap;
    }
    else {
        gained = (apr_uint64_t)(now - b->stamp) * cap
                 / (apr_uint64_t)r->period;
        milli = b->milli + gained;
        if (milli > cap) {
            milli = cap;
        }
    }
    b->stamp = now;
    if (milli >= 1000) {
        b->milli = (apr_uint32_t)(milli - 1000);
        return 0;
    }
    b->milli = (apr_uint32_t)milli;
    /* Time until the missing part of one token has been refilled. */
    return (apr_interval_time_t)(((1000 - milli) * (apr_uint64_t)r->period
                                  + cap - 1) / cap);
}

ph_bucket_state_t *ph_rate_ip_bucket(ph_rate_ip_t *table, const char *ip)
{
    ph_rate_ip_t *e = &table[ph_table_hash(ip) % PH_RATE_IPS];

    if (strcmp(e->ip, ip) != 0) {
        memset(e, 0, sizeof(*e));
        apr_cpystrn(e->ip, ip, sizeof(e->ip));
    }
    return &e->bucket;
}
