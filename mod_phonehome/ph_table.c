/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_table.h"

apr_uint32_t ph_table_hash(const char *name)
{
    apr_uint32_t h = 2166136261u;

    for (; *name; name++) {
        h ^= (unsigned char)*name;
        h *= 16777619u;
    }
    return h;
}

apr_uint32_t ph_table_keyed_hash(const unsigned char *key, const char *name)
{
    apr_uint64_t h = ph_siphash(key, name, strlen(name));

    return (apr_uint32_t)(h ^ (h >> 32));
}

apr_uint32_t ph_table_nbuckets(apr_uint32_t nslots)
{
    apr_uint32_t n = 8;

    while (n < 2 * (apr_uint64_t)nslots) {
        n <<= 1;
    }
    return n;
}

apr_size_t ph_table_index_size(apr_uint32_t nslots)
{
    return APR_ALIGN_DEFAULT(sizeof(ph_table_hdr_t))
        + (apr_size_t)ph_table_nbuckets(nslots) * sizeof(ph_bucket_t)
        + APR_ALIGN_DEFAULT((apr_size_t)nslots * sizeof(apr_uint32_t));
}

void ph_table_attach(ph_table_t *t, void *index_mem)
{
    t->hdr = index_mem;
    t->buckets = (ph_bucket_t *)((char *)index_mem
                                 + APR_ALIGN_DEFAULT(sizeof(ph_table_hdr_t)));
    t->free = (apr_uint32_t *)(t->buckets + t->hdr->nbuckets);
}

static apr_uint32_t ph_hash_of(const ph_table_t *t, const char *name)
{
    return t->hash ? t->hash(name)
                   : ph_table_keyed_hash(t->hdr->hash_key, name);
}

/* The bucket that holds @a name, or the empty one where it would go, and
 * how many buckets that took.  No name sits further than max_probe from
 * its home, so a lookup stops there: NULL, not there and no room near. */
static ph_bucket_t *ph_table_probe(const ph_table_t *t, const char *name,
                                   apr_uint32_t h, apr_uint32_t limit,
                                   apr_uint32_t *probes)
{
    apr_uint32_t mask = t->hdr->nbuckets - 1;
    apr_uint32_t i = h & mask, n;

    for (n = 1; n <= limit; n++) {
        ph_bucket_t *b = &t->buckets[i];

        if (b->slot1 == 0) {
            break;
        }
        if (b->hash == h
            && strcmp(t->slot(t->baton, b->slot1 - 1)->name, name) == 0) {
            break;
        }
        i = (i + 1) & mask;     /* never loops forever: half stays empty */
    }
    *probes = n;
    return n <= limit ? &t->buckets[i] : NULL;
}

static apr_uint32_t ph_find_limit(const ph_table_t *t)
{
    return t->hdr->max_probe > PH_TABLE_PROBE_MAX ? t->hdr->max_probe
                                                  : PH_TABLE_PROBE_MAX;
}

static void ph_note_probe(ph_table_t *t, apr_uint32_t probes)
{
    if (probes > t->hdr->max_probe) {
        t->hdr->max_probe = probes;
    }
}

void ph_table_rebuild(ph_table_t *t, void *index_mem, apr_uint32_t nslots)
{
    apr_uint32_t id, probes;

    ph_table_attach(t, index_mem);
    t->hdr->magic = PH_TABLE_MAGIC;
    t->hdr->nslots = nslots;
    t->hdr->used = 0;
    t->hdr->nbuckets = ph_table_nbuckets(nslots);
    t->hdr->max_probe = 0;
    t->hdr->nfree = 0;
    t->free = (apr_uint32_t *)(t->buckets + t->hdr->nbuckets);
    memset(t->buckets, 0, (apr_size_t)t->hdr->nbuckets * sizeof(ph_bucket_t));

    for (id = 0; id < nslots; id++) {
        ph_device_t *d = t->slot(t->baton, id);
        ph_bucket_t *b;
        apr_uint32_t h;

        if (d->name[0] == '\0') {
            continue;
        }
        d->name[PH_NAME_MAX] = '\0';
        h = ph_hash_of(t, d->name);
        /* What is there already gets its bucket however far it is. */
        b = ph_table_probe(t, d->name, h, t->hdr->nbuckets, &probes);
        if (d->version != PH_DEVICE_VERSION || b->slot1 != 0) {
            /* Another layout, or a duplicate name: neither can be trusted. */
            memset(d, 0, sizeof(*d));
            continue;
        }
        b->hash = h;
        b->slot1 = id + 1;
        t->hdr->used = id + 1;
        ph_note_probe(t, probes);
    }
    /* The holes below 'used' are free, the lowest handed out first. */
    for (id = t->hdr->used; id-- > 0; ) {
        if (t->slot(t->baton, id)->name[0] == '\0') {
            t->free[t->hdr->nfree++] = id;
        }
    }
}

long ph_table_find(const ph_table_t *t, const char *name)
{
    apr_uint32_t probes;
    const ph_bucket_t *b = ph_table_probe(t, name, ph_hash_of(t, name),
                                          ph_find_limit(t), &probes);

    return b && b->slot1 ? (long)b->slot1 - 1 : -1;
}

apr_uint32_t ph_table_probes(const ph_table_t *t, const char *name)
{
    apr_uint32_t probes;

    ph_table_probe(t, name, ph_hash_of(t, name), ph_find_limit(t), &probes);
    return probes;
}

apr_status_t ph_table_add(ph_table_t *t, const char *name, apr_uint32_t *id)
{
    apr_uint32_t h = ph_hash_of(t, name), probes;
    ph_bucket_t *b = ph_table_probe(t, name, h, ph_find_limit(t), &probes);
    ph_device_t *d;

    if (b && b->slot1) {
        *id = b->slot1 - 1;
        return APR_EEXIST;
    }
    /* A freed slot first (the one freed last), then a new one. */
    if (t->hdr->nfree == 0 && t->hdr->used >= t->hdr->nslots) {
        return APR_ENOSPC;
    }
    if (b == NULL || probes > PH_TABLE_PROBE_MAX) {
        t->hdr->refused_probe++;
        return APR_EAGAIN;
    }
    *id = t->hdr->nfree ? t->free[--t->hdr->nfree] : t->hdr->used++;
    d = t->slot(t->baton, *id);
    memset(d, 0, sizeof(*d));
    apr_cpystrn(d->name, name, sizeof(d->name));
    d->version = PH_DEVICE_VERSION;
    d->state = PH_STATE_UNKNOWN;
    b->hash = h;
    b->slot1 = *id + 1;
    ph_note_probe(t, probes);
    return APR_SUCCESS;
}

apr_status_t ph_table_remove(ph_table_t *t, apr_uint32_t id, apr_time_t when)
{
    ph_device_t *d = t->slot(t->baton, id);
    apr_uint32_t mask = t->hdr->nbuckets - 1, probes, i, j, home;
    ph_bucket_t *b;

    if (id >= t->hdr->used || d->name[0] == '\0') {
        return APR_ENOENT;
    }
    b = ph_table_probe(t, d->name, ph_hash_of(t, d->name), t->hdr->nbuckets,
                       &probes);
    if (b && b->slot1 == id + 1) {
        /* Backward shift: each later bucket of the run moves into the hole
         * unless its home lies cyclically in (hole, it]; the run ends at
         * an empty bucket, and half of them are. */
        i = (apr_uint32_t)(b - t->buckets);
        for (j = (i + 1) & mask; t->buckets[j].slot1; j = (j + 1) & mask) {
            home = t->buckets[j].hash & mask;
            if (((j - home) & mask) >= ((j - i) & mask)) {
                t->buckets[i] = t->buckets[j];
                i = j;
            }
        }
        t->buckets[i].hash = 0;
        t->buckets[i].slot1 = 0;
    }
    memset(d, 0, sizeof(*d));
    d->since = when;
    t->free[t->hdr->nfree++] = id;
    t->hdr->forgotten++;
    return APR_SUCCESS;
}
