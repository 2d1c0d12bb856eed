/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>

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
        apr_uint64_t elapsed = (apr_uint64_t)(now - b->stamp);

        if (elapsed >= (apr_uint64_t)r->period) {
            milli = cap;                /* a whole period: full, whatever */
        }
        else {
            /* elapsed < period <= 86400 s and cap <= 10^9: the product
             * needs up to 67 bits, so split it (no overflow at any n). */
            apr_uint64_t per = (apr_uint64_t)r->period;

            gained = cap / per * elapsed
                     + (cap % per) * (elapsed >> 16) / per * 65536
                     + ((cap % per) * (elapsed >> 16) % per * 65536
                        + (cap % per) * (elapsed & 0xffff)) / per;
            milli = b->milli + gained;
            if (milli > cap) {
                milli = cap;
            }
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

void ph_rate_ip_key(char *buf, const char *ip, unsigned int v6_prefix)
{
    unsigned char a[16];
    unsigned int i;

    if (strchr(ip, ':') == NULL || inet_pton(AF_INET6, ip, a) != 1) {
        apr_cpystrn(buf, ip, PH_IP_MAX + 1);
        return;
    }
    if (v6_prefix > 128) {
        v6_prefix = 128;
    }
    for (i = 0; i < 16; i++) {
        unsigned int keep = v6_prefix > i * 8 ? v6_prefix - i * 8 : 0;

        if (keep < 8) {
            a[i] &= (unsigned char)(0xff00u >> keep);
        }
    }
    if (inet_ntop(AF_INET6, a, buf, PH_IP_MAX + 1) == NULL) {
        apr_cpystrn(buf, ip, PH_IP_MAX + 1);
    }
}

ph_bucket_state_t *ph_rate_ip_bucket(ph_rate_ip_t *table,
                                     const unsigned char *hash_key,
                                     const char *key, const ph_rate_t *r,
                                     apr_time_t now)
{
    apr_uint32_t home = ph_table_keyed_hash(hash_key, key) % PH_RATE_IPS;
    ph_rate_ip_t *spare = NULL;
    unsigned int i;

    for (i = 0; i < PH_RATE_IP_PROBES; i++) {
        ph_rate_ip_t *e = &table[(home + i) % PH_RATE_IPS];

        if (strcmp(e->ip, key) == 0) {
            return &e->bucket;
        }
        if (spare == NULL
            && (e->ip[0] == '\0' || e->bucket.stamp == 0
                || now < e->bucket.stamp
                || now - e->bucket.stamp >= r->period)) {
            spare = e;
        }
    }
    if (spare == NULL) {
        return NULL;
    }
    memset(spare, 0, sizeof(*spare));
    apr_cpystrn(spare->ip, key, sizeof(spare->ip));
    return &spare->bucket;
}
