/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stddef.h>
#include <string.h>

#include <apr_strings.h>

#include "ph_name.h"
#include "ph_snapshot.h"

#define PH_SNAPSHOT_MAGIC   "PHSNAP01"

/* Version 5, the layout before since_mono and the pause fields, is read
 * and converted: the new fields start at 0 (the cold start's rebase,
 * ph_fsm_rebase, fills since_mono from since; 0 pause fields: not
 * paused). */
#define PH_V5_VERSION       5
#define PH_V6_VERSION       6
#define PH_V7_VERSION       7
#define PH_V8_VERSION       8

void ph_snapshot_from_v5(ph_device_t *d, const ph_device_v5_t *o)
{
    memset(d, 0, sizeof(*d));
    /* name .. gap_mono are the same in both layouts. */
    memcpy(d, o, offsetof(ph_device_v5_t, client_time));
    d->client_time = o->client_time;
    d->skew = o->skew;
    d->uptime = o->uptime;
    d->seq = o->seq;
    d->key_id = o->key_id;
    d->beats = o->beats;
    d->rate = o->rate;
    d->max_age = o->max_age;
    d->flags = o->flags;
    d->state = o->state;
    d->reported = o->reported;
    d->version = d->name[0] ? PH_DEVICE_VERSION : 0;
}

void ph_snapshot_from_v6(ph_device_t *d, const ph_device_v6_t *o)
{
    apr_size_t tail = offsetof(ph_device_t, version) + 1;

    /* Version 6 (and 7, the same 440 bytes) is today's layout up to
     * `version`; what follows it is new and starts at 0. */
    memcpy(d, o, tail);
    memset((char *)d + tail, 0, sizeof(*d) - tail);
    d->version = d->name[0] ? PH_DEVICE_VERSION : 0;
}

void ph_snapshot_from_v8(ph_device_t *d, const char *rec)
{
    memcpy(d, rec, PH_V8_PREFIX);
    memset((char *)d + PH_V8_PREFIX, 0, sizeof(*d) - PH_V8_PREFIX);
    d->version = d->name[0] ? PH_DEVICE_VERSION : 0;
}

typedef struct {
    char         magic[8];
    apr_uint32_t version;           /* PH_DEVICE_VERSION */
    apr_uint32_t record_size;
    apr_uint32_t count;
    apr_uint32_t reserved;
    apr_int64_t  written;
    apr_uint64_t checksum;          /* FNV-1a 64 of the records */
} ph_snapshot_hdr_t;

static apr_uint64_t ph_fnv64(const void *data, apr_size_t len)
{
    const unsigned char *s = data;
    apr_uint64_t h = APR_UINT64_C(14695981039346656037);

    while (len--) {
        h ^= *s++;
        h *= APR_UINT64_C(1099511628211);
    }
    return h;
}

const char *ph_snapshot_encode(apr_pool_t *p, const ph_device_t *devs,
                               apr_uint32_t n, apr_time_t written,
                               apr_size_t *len)
{
    apr_size_t body = (apr_size_t)n * sizeof(ph_device_t);
    char *buf = apr_palloc(p, sizeof(ph_snapshot_hdr_t) + body);
    ph_snapshot_hdr_t h;

    memset(&h, 0, sizeof(h));
    memcpy(h.magic, PH_SNAPSHOT_MAGIC, sizeof(h.magic));
    h.version = PH_DEVICE_VERSION;
    h.record_size = (apr_uint32_t)sizeof(ph_device_t);
    h.count = n;
    h.written = written;
    h.checksum = ph_fnv64(devs, body);
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), devs, body);
    *len = sizeof(h) + body;
    return buf;
}

const char *ph_snapshot_decode(apr_pool_t *p, const char *buf,
                               apr_size_t len, ph_device_t **devs,
                               apr_uint32_t *n, apr_time_t *written)
{
    ph_snapshot_hdr_t h;
    apr_size_t body, size = sizeof(ph_device_t);
    apr_uint32_t i;
    int v5, v6, v8;

    if (len < sizeof(h)) {
        return "too short";
    }
    memcpy(&h, buf, sizeof(h));
    if (memcmp(h.magic, PH_SNAPSHOT_MAGIC, sizeof(h.magic)) != 0) {
        return "not a snapshot";
    }
    v5 = h.version == PH_V5_VERSION && h.record_size == sizeof(ph_device_v5_t);
    /* Version 7 is version 6's layout (440 bytes), its number bumped. */
    v6 = (h.version == PH_V6_VERSION || h.version == PH_V7_VERSION)
         && h.record_size == sizeof(ph_device_v6_t);
    v8 = h.version == PH_V8_VERSION && h.record_size == PH_V8_SIZE;
    if (!v5 && !v6 && !v8 && (h.version != PH_DEVICE_VERSION
                       || h.record_size != sizeof(ph_device_t))) {
        return "written by another version";
    }
    if (v5) {
        size = sizeof(ph_device_v5_t);
    }
    else if (v6) {
        size = sizeof(ph_device_v6_t);
    }
    else if (v8) {
        size = PH_V8_SIZE;
    }
    body = len - sizeof(h);
    if (body % size != 0 || body / size != h.count) {
        return "truncated";
    }
    if (ph_fnv64(buf + sizeof(h), body) != h.checksum) {
        return "checksum mismatch";
    }
    *devs = apr_pcalloc(p, h.count ? (apr_size_t)h.count * sizeof(ph_device_t)
                                   : 1);
    for (i = 0; i < h.count; i++) {
        ph_device_t *d = &(*devs)[i];
        const char *rec = buf + sizeof(h) + (apr_size_t)i * size;

        if (v5) {
            ph_device_v5_t o;

            memcpy(&o, rec, sizeof(o));
            ph_snapshot_from_v5(d, &o);
        }
        else if (v6) {
            ph_device_v6_t o;

            memcpy(&o, rec, sizeof(o));
            ph_snapshot_from_v6(d, &o);
        }
        else if (v8) {
            ph_snapshot_from_v8(d, rec);
        }
        else {
            memcpy(d, rec, size);
        }

        d->name[PH_NAME_MAX] = '\0';
        d->remote_ip[PH_IP_MAX] = '\0';
        d->user_agent[PH_UA_MAX] = '\0';
        d->boot_id[PH_BOOT_MAX] = '\0';
        if (d->name[0] && ph_name_check(d->name) != NULL) {
            return "a record has a bad device name";
        }
    }
    *n = h.count;
    *written = h.written;
    return NULL;
}

apr_time_t ph_snapshot_freshness(const ph_device_t *devs, apr_uint32_t n)
{
    apr_time_t t = 0;
    apr_uint32_t i;

    for (i = 0; i < n; i++) {
        /* A forgotten slot keeps the time of the forget. */
        if (devs[i].name[0] == '\0') {
            if (devs[i].since > t) {
                t = devs[i].since;
            }
            continue;
        }
        if (devs[i].last_seen > t) {
            t = devs[i].last_seen;
        }
        if (devs[i].since > t) {
            t = devs[i].since;
        }
    }
    return t;
}

int ph_snapshot_due(apr_time_t now, apr_time_t last, int urgent,
                    int routine)
{
    if (last == 0) {
        return 1;
    }
    if (urgent) {
        return now - last >= PH_SNAPSHOT_URGENT;
    }
    return routine && now - last >= PH_SNAPSHOT_ROUTINE;
}
