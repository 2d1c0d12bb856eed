/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The store room: queue and outbox files on disk, or in shared memory
 * while the disk refuses them.  A full disk must not hold an alert back:
 * the file goes to the memory region (ph_memq.c) that every child maps,
 * the senders read it from there, and the detection tick writes it to
 * disk once the disk takes writes again.  The region has a fixed size
 * (PH_MEMQ_SIZE); what does not fit stays where it was (the device's
 * state, the queue) and is tried again: it waits, it is not lost.
 */

#include "httpd.h"
#include "http_log.h"

#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_store.h"
#include "ph_memq.h"
#include "ph_spool.h"
#include "ph_view.h"

APLOG_USE_MODULE(phonehome);

#define PH_PROBE ".probe"
/* A page of data: an empty file fits even on a full file system. */
#define PH_PROBE_LEN 4096

static const char *ph_store_sub(int dir)
{
    switch (dir) {
    case PH_STORE_QUEUE:
        return PH_DIR_QUEUE;
    case PH_STORE_OUTBOX:
        return PH_DIR_OUTBOX;
    default:
        return PH_DIR_DEAD;
    }
}

/* Note a write's result; returns 1 when it ended a failing spell. */
static int ph_store_noted(ph_memq_t *q, apr_status_t rv)
{
    int was = q->failing;

    ph_memq_note_write(q, rv, apr_time_now());
    return was && rv == APR_SUCCESS;
}

static void ph_store_recovered(server_rec *s, apr_pool_t *p,
                               apr_uint32_t count)
{
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                 PHLOGNO(00157) "%s takes writes again; %u files still "
                 "held in memory are being written to it", ph_dir(p, NULL),
                 count);
}

void ph_store_note(apr_status_t rv)
{
    ph_memq_t *q = ph_runtime_memq();

    if (q && ph_runtime_lock() == APR_SUCCESS) {
        ph_store_noted(q, rv);
        ph_unlock();
    }
}

apr_status_t ph_store_write(server_rec *s, apr_pool_t *p, int dir,
                            const char *name, const void *data,
                            apr_size_t len, int *held)
{
    ph_memq_t *q = ph_runtime_memq();
    apr_status_t rv, mrv = APR_ENOSPC;
    apr_uint32_t count = 0, used = 0, size = 0, more;
    int back = 0;

    *held = 0;
    rv = ph_spool_write(p, ph_dir(p, ph_store_sub(dir)), name, data, len);
    if (q == NULL || ph_runtime_lock() != APR_SUCCESS) {
        return rv;
    }
    back = ph_store_noted(q, rv);
    if (rv == APR_SUCCESS) {
        ph_memq_drop(q, dir, name, 0);  /* an older copy is outdated */
    }
    else {
        mrv = ph_memq_put(q, dir, name, data, len);
        *held = mrv == APR_SUCCESS;
    }
    count = q->count;
    used = q->used;
    size = q->size;
    ph_unlock();
    if (back) {
        ph_store_recovered(s, p, count);
    }
    if (rv == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if (*held) {
        if (ph_runtime_log_due(155, rv, &more)) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                         PHLOGNO(00155) "cannot write %s/%s: held in memory "
                         "and sent from there until the disk takes it "
                         "(%u files, %u of %u bytes held)%s",
                         ph_dir(p, ph_store_sub(dir)), name, count, used,
                         size, ph_runtime_more(p, more));
        }
        return APR_SUCCESS;
    }
    if (ph_runtime_log_due(156, rv, &more)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     PHLOGNO(00156) "cannot write %s/%s, and the memory for "
                     "files the disk refuses is full (%u files, %u of %u "
                     "bytes): it waits and is tried again%s",
                     ph_dir(p, ph_store_sub(dir)), name, count, used, size,
                     ph_runtime_more(p, more));
    }
    return rv;
}

apr_status_t ph_store_list(apr_pool_t *p, int dir, const char *suffix,
                           apr_array_header_t **names)
{
    ph_memq_t *q = ph_runtime_memq();
    apr_status_t rv = ph_spool_list(p, ph_dir(p, ph_store_sub(dir)), suffix,
                                    names);

    if (rv != APR_SUCCESS) {
        *names = apr_array_make(p, 4, sizeof(char *));
    }
    if (q && q->count && ph_runtime_lock() == APR_SUCCESS) {
        ph_memq_list(q, p, dir, suffix, *names);
        ph_unlock();
        return APR_SUCCESS;
    }
    return rv;
}

apr_status_t ph_store_read(apr_pool_t *p, int dir, const char *name,
                           char **data, apr_size_t *len, apr_size_t max)
{
    ph_memq_t *q = ph_runtime_memq();
    ph_memq_file_t f;
    int found = 0;

    if (q && q->count && ph_runtime_lock() == APR_SUCCESS) {
        found = ph_memq_get(q, p, dir, name, &f);
        ph_unlock();
    }
    if (found) {
        if (f.len > max) {
            return APR_EGENERAL;
        }
        *data = (char *)f.data;
        *len = f.len;
        return APR_SUCCESS;
    }
    return ph_spool_read(p, apr_pstrcat(p, ph_dir(p, ph_store_sub(dir)),
                                        "/", name, NULL), data, len, max);
}

void ph_store_remove(apr_pool_t *p, int dir, const char *name)
{
    ph_memq_t *q = ph_runtime_memq();

    if (q && q->count && ph_runtime_lock() == APR_SUCCESS) {
        ph_memq_drop(q, dir, name, 0);
        ph_unlock();
    }
    /* It may be on disk too (flushed meanwhile); ENOENT is fine. */
    ph_spool_remove(p, ph_dir(p, ph_store_sub(dir)), name);
}

void ph_store_move(server_rec *s, apr_pool_t *p, int from, int to,
                   const char *name)
{
    ph_memq_t *q = ph_runtime_memq();
    ph_memq_file_t f;
    int found = 0, held;

    if (q && q->count && ph_runtime_lock() == APR_SUCCESS) {
        found = ph_memq_get(q, p, from, name, &f);
        ph_unlock();
    }
    if (!found) {
        ph_spool_move(p, ph_dir(p, ph_store_sub(from)),
                      ph_dir(p, ph_store_sub(to)), name);
        return;
    }
    if (ph_store_write(s, p, to, name, f.data, f.len, &held)
        == APR_SUCCESS) {
        ph_store_remove(p, from, name);
    }
}

void ph_store_flush(server_rec *s, apr_pool_t *p)
{
    ph_memq_t *q = ph_runtime_memq();
    apr_array_header_t *all;
    apr_status_t rv = APR_SUCCESS;
    int i, back = 0, probe;

    if (q == NULL || (q->count == 0 && !q->failing)) {
        return;                         /* read without the lock: a hint */
    }
    if (ph_runtime_lock() != APR_SUCCESS) {
        return;
    }
    all = ph_memq_all(q, p);
    probe = all->nelts == 0;
    ph_unlock();

    /* Nothing held but the last write failed: try one small file, so the
     * status page says when the disk is back. */
    if (probe) {
        rv = ph_spool_write(p, ph_dir(p, NULL), PH_PROBE,
                            apr_pcalloc(p, PH_PROBE_LEN), PH_PROBE_LEN);
        if (rv == APR_SUCCESS) {
            ph_spool_remove(p, ph_dir(p, NULL), PH_PROBE);
        }
        ph_store_note(rv);
        return;
    }
    /* Oldest first; the first refusal ends the pass (one failing write a
     * tick, not one a file). */
    for (i = 0; i < all->nelts && rv == APR_SUCCESS; i++) {
        ph_memq_file_t *f = &APR_ARRAY_IDX(all, i, ph_memq_file_t);

        rv = f->dir == PH_EVENTS_HELD ? ph_events_append(p, f->data)
             : ph_spool_write(p, ph_dir(p, ph_store_sub(f->dir)), f->name,
                              f->data, f->len);
        if (ph_runtime_lock() != APR_SUCCESS) {
            return;
        }
        back |= ph_store_noted(q, rv);
        /* Only the copy written: a sender may have put a newer one.  One
         * that a sender removed meanwhile (sent) was just written again:
         * it is sent again, delivery being at least once. */
        if (rv == APR_SUCCESS && ph_memq_drop(q, f->dir, f->name, f->seq)) {
            q->written++;
        }
        ph_unlock();
    }
    if (back) {
        ph_store_recovered(s, p, (apr_uint32_t)all->nelts);
    }
}

void ph_store_state(ph_store_state_t *st)
{
    ph_memq_t *q = ph_runtime_memq();

    memset(st, 0, sizeof(*st));
    st->writable = 1;
    if (q == NULL || ph_runtime_lock() != APR_SUCCESS) {
        return;
    }
    st->writable = !q->failing;
    st->since = q->failing ? q->failing_since : 0;
    st->err = q->failing ? (apr_status_t)q->last_err : APR_SUCCESS;
    st->held = q->count;
    st->held_bytes = q->used;
    st->capacity = q->size;
    st->overflow = q->overflow;
    st->held_total = q->held_total;
    st->written = q->written;
    st->failures = q->failures;
    ph_unlock();
}

const char *ph_store_why(apr_pool_t *p, const ph_store_state_t *st)
{
    char buf[120];

    if (st->writable) {
        return "";
    }
    return apr_pstrdup(p, apr_strerror(st->err, buf, sizeof(buf)));
}

apr_array_header_t *ph_store_sentences(apr_pool_t *p, apr_time_t now)
{
    apr_array_header_t *lines = apr_array_make(p, 2, sizeof(char *));
    ph_store_state_t st;

    ph_store_state(&st);
    if (!st.writable) {
        APR_ARRAY_PUSH(lines, char *) = apr_psprintf(p,
            "The state directory %s does not take writes since %s (%s): "
            "%u alert file%s (%u of %u bytes) held in memory and delivered "
            "from there; they are written to disk when it takes writes "
            "again.", ph_dir(p, NULL), ph_human_time(p, now, st.since),
            ph_store_why(p, &st), st.held, st.held == 1 ? "" : "s",
            st.held_bytes, st.capacity);
    }
    else if (st.held) {
        APR_ARRAY_PUSH(lines, char *) = apr_psprintf(p,
            "The state directory takes writes again: %u alert file%s held "
            "in memory are being written to it.", st.held,
            st.held == 1 ? "" : "s");
    }
    if (st.overflow) {
        APR_ARRAY_PUSH(lines, char *) = apr_psprintf(p,
            "%" APR_UINT64_T_FMT " time%s a file the disk refused did not "
            "fit in memory either: it waited where it was and was tried "
            "again (see PH00156 in the error log).", st.overflow,
            st.overflow == 1 ? "" : "s");
    }
    return lines;
}
