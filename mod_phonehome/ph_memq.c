/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ph_memq.h"

#define PH_MEMQ_MAGIC   0x50484d51u     /* "PHMQ" */

/* A record: this header, the name and its NUL, the data and its NUL,
 * padded to 8 bytes.  Records lie end to end from the region's start;
 * dropping one moves the later ones down (the region is small). */
typedef struct {
    apr_uint32_t reclen;
    apr_uint32_t datalen;
    apr_uint64_t seq;
    apr_uint32_t dir;
    apr_uint32_t namelen;
} ph_memq_rec_t;

#define PH_ALIGN8(n)    (((n) + 7) & ~(apr_size_t)7)

static char *ph_memq_base(const ph_memq_t *q)
{
    return (char *)q + PH_ALIGN8(sizeof(*q));
}

static const char *ph_rec_name(const ph_memq_rec_t *r)
{
    return (const char *)(r + 1);
}

static const char *ph_rec_data(const ph_memq_rec_t *r)
{
    return ph_rec_name(r) + r->namelen + 1;
}

ph_memq_t *ph_memq_init(void *mem, apr_size_t size)
{
    ph_memq_t *q = mem;

    if (size < PH_ALIGN8(sizeof(*q)) + 1024) {
        return NULL;
    }
    memset(q, 0, sizeof(*q));
    q->magic = PH_MEMQ_MAGIC;
    q->size = (apr_uint32_t)(size - PH_ALIGN8(sizeof(*q)));
    return q;
}

ph_memq_t *ph_memq_attach(void *mem, apr_size_t size)
{
    ph_memq_t *q = mem;

    if (size < PH_ALIGN8(sizeof(*q)) || q->magic != PH_MEMQ_MAGIC
        || q->size != size - PH_ALIGN8(sizeof(*q)) || q->used > q->size) {
        return NULL;
    }
    return q;
}

/* The record of @a dir/@a name, or NULL. */
static ph_memq_rec_t *ph_memq_find(const ph_memq_t *q, int dir,
                                   const char *name)
{
    char *at = ph_memq_base(q), *end = at + q->used;
    apr_size_t n = strlen(name);

    while (at < end) {
        ph_memq_rec_t *r = (ph_memq_rec_t *)at;

        if (r->dir == (apr_uint32_t)dir && r->namelen == n
            && memcmp(ph_rec_name(r), name, n) == 0) {
            return r;
        }
        at += r->reclen;
    }
    return NULL;
}

static void ph_memq_remove(ph_memq_t *q, ph_memq_rec_t *r)
{
    char *at = (char *)r, *end = ph_memq_base(q) + q->used;
    apr_uint32_t len = r->reclen;

    memmove(at, at + len, (apr_size_t)(end - (at + len)));
    q->used -= len;
    q->count--;
}

apr_status_t ph_memq_put(ph_memq_t *q, int dir, const char *name,
                         const void *data, apr_size_t len)
{
    apr_size_t n = strlen(name), need;
    ph_memq_rec_t *r, *old;
    apr_size_t room;

    if (n == 0 || n > PH_MEMQ_NAME_MAX || dir < 0) {
        return APR_EINVAL;
    }
    need = PH_ALIGN8(sizeof(*r) + n + 1 + len + 1);
    old = ph_memq_find(q, dir, name);
    room = q->size - q->used + (old ? old->reclen : 0);
    if (need > room) {
        q->overflow++;
        return APR_ENOSPC;
    }
    if (old) {
        ph_memq_remove(q, old);
    }
    else {
        q->held_total++;
    }
    r = (ph_memq_rec_t *)(ph_memq_base(q) + q->used);
    memset(r, 0, need);
    r->reclen = (apr_uint32_t)need;
    r->datalen = (apr_uint32_t)len;
    r->seq = ++q->seq;
    r->dir = (apr_uint32_t)dir;
    r->namelen = (apr_uint32_t)n;
    memcpy((char *)(r + 1), name, n);
    memcpy((char *)(r + 1) + n + 1, data, len);
    q->used += (apr_uint32_t)need;
    q->count++;
    return APR_SUCCESS;
}

static void ph_memq_copy(const ph_memq_rec_t *r, apr_pool_t *p,
                         ph_memq_file_t *f)
{
    f->dir = (int)r->dir;
    f->name = apr_pstrmemdup(p, ph_rec_name(r), r->namelen);
    f->data = apr_pstrmemdup(p, ph_rec_data(r), r->datalen);
    f->len = r->datalen;
    f->seq = r->seq;
}

int ph_memq_get(const ph_memq_t *q, apr_pool_t *p, int dir,
                const char *name, ph_memq_file_t *f)
{
    const ph_memq_rec_t *r = ph_memq_find(q, dir, name);

    if (r == NULL) {
        return 0;
    }
    ph_memq_copy(r, p, f);
    return 1;
}

int ph_memq_drop(ph_memq_t *q, int dir, const char *name, apr_uint64_t seq)
{
    ph_memq_rec_t *r = ph_memq_find(q, dir, name);

    if (r == NULL || (seq && r->seq != seq)) {
        return 0;
    }
    ph_memq_remove(q, r);
    return 1;
}

static int ph_memq_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ph_memq_list(const ph_memq_t *q, apr_pool_t *p, int dir,
                  const char *suffix, apr_array_header_t *names)
{
    const char *at = ph_memq_base(q), *end = at + q->used;
    apr_size_t slen = strlen(suffix);
    int before = names->nelts, added = 0, i;

    for (; at < end; at += ((const ph_memq_rec_t *)at)->reclen) {
        const ph_memq_rec_t *r = (const ph_memq_rec_t *)at;
        const char *name = ph_rec_name(r);
        int dup = 0;

        if (r->dir != (apr_uint32_t)dir || r->namelen < slen
            || memcmp(name + r->namelen - slen, suffix, slen) != 0) {
            continue;
        }
        for (i = 0; i < before && !dup; i++) {
            dup = strcmp(APR_ARRAY_IDX(names, i, char *), name) == 0;
        }
        if (!dup) {
            APR_ARRAY_PUSH(names, char *) = apr_pstrmemdup(p, name,
                                                           r->namelen);
            added = 1;
        }
    }
    if (added) {
        qsort(names->elts, (apr_size_t)names->nelts, sizeof(char *),
              ph_memq_strcmp);
    }
}

apr_size_t ph_memq_bytes(const ph_memq_t *q, int dir, apr_uint32_t *n)
{
    const char *at = ph_memq_base(q), *end = at + q->used;
    apr_size_t bytes = 0;

    *n = 0;
    for (; at < end; at += ((const ph_memq_rec_t *)at)->reclen) {
        const ph_memq_rec_t *r = (const ph_memq_rec_t *)at;

        if (r->dir == (apr_uint32_t)dir) {
            bytes += r->reclen;
            (*n)++;
        }
    }
    return bytes;
}

apr_array_header_t *ph_memq_all(const ph_memq_t *q, apr_pool_t *p)
{
    apr_array_header_t *all = apr_array_make(p, (int)q->count + 1,
                                             sizeof(ph_memq_file_t));
    const char *at = ph_memq_base(q), *end = at + q->used;

    for (; at < end; at += ((const ph_memq_rec_t *)at)->reclen) {
        ph_memq_copy((const ph_memq_rec_t *)at, p, apr_array_push(all));
    }
    return all;
}

void ph_memq_note_write(ph_memq_t *q, apr_status_t rv, apr_time_t now)
{
    if (rv == APR_SUCCESS) {
        q->failing = 0;
        q->last_ok = now;
        return;
    }
    q->failures++;
    if (!q->failing) {
        q->failing = 1;
        q->failing_since = now;
    }
    q->last_err = (apr_int32_t)rv;
}

int ph_memq_log_due(ph_memq_t *q, apr_uint32_t tag, apr_status_t err,
                    apr_time_t now, apr_interval_time_t every,
                    apr_uint32_t *suppressed)
{
    ph_memq_cause_t *c = NULL, *oldest = &q->causes[0];
    int i;

    for (i = 0; i < PH_MEMQ_CAUSES && c == NULL; i++) {
        ph_memq_cause_t *k = &q->causes[i];

        if (k->tag == tag && k->err == (apr_int32_t)err) {
            c = k;
        }
        else if (k->logged < oldest->logged) {
            oldest = k;
        }
    }
    if (c == NULL) {
        /* A new cause takes the slot logged longest ago. */
        c = oldest;
        memset(c, 0, sizeof(*c));
        c->tag = tag;
        c->err = (apr_int32_t)err;
    }
    if (c->logged != 0 && now - c->logged < every) {
        c->suppressed++;
        return 0;
    }
    *suppressed = c->suppressed;
    c->suppressed = 0;
    c->logged = now ? now : 1;
    return 1;
}
