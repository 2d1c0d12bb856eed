/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_memq.h
 * @brief Files held in memory while the state directory cannot take them.
 *
 * A fixed region (in shared memory, so every child sees it) holds whole
 * spool files, each named by its directory's number and its name: the
 * queue's transitions and the outbox's messages that a full or failing
 * disk refused.  The senders read them from here as from the directory;
 * they are written to disk as soon as it takes a write, and removed from
 * here then.  A file that does not fit is refused (and counted): its writer
 * keeps it where it was and tries again.  The region also keeps the
 * state directory's health (writable or not, since when, why) and the last
 * time each cause of a failure was logged, so that a full disk is logged
 * once a minute, not on every tick.
 *
 * The region has no lock of its own: callers hold the table's mutex.
 * Nothing here allocates from shared memory; results are copied to pools.
 */

#ifndef PH_MEMQ_H
#define PH_MEMQ_H

#include <apr.h>
#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/** Bytes of the region the module uses (independent of the device count). */
#define PH_MEMQ_SIZE        (256 * 1024)

/** Causes of a failure whose last log line is remembered. */
#define PH_MEMQ_CAUSES      8

/** Longest name a held file may have. */
#define PH_MEMQ_NAME_MAX    127

typedef struct ph_memq_cause_t {
    apr_uint32_t        tag;            /* the log tag's number: 22, 33... */
    apr_int32_t         err;            /* apr_status_t of the failure */
    apr_time_t          logged;         /* monotonic; 0: never */
    apr_uint32_t        suppressed;     /* failures since the last line */
    apr_uint32_t        pad;
} ph_memq_cause_t;

typedef struct ph_memq_t {
    apr_uint32_t        magic;
    apr_uint32_t        size;           /* bytes for records (after this) */
    apr_uint32_t        used;           /* bytes of records */
    apr_uint32_t        count;          /* records */
    apr_uint64_t        seq;            /* of the last record put */
    apr_uint64_t        held_total;     /* files ever held (since start) */
    apr_uint64_t        overflow;       /* files refused: the region was full */
    apr_uint64_t        written;        /* held files later written to disk */
    apr_uint64_t        failures;       /* writes that failed */
    /* The state directory's health, as the last write found it. */
    apr_uint32_t        failing;        /* 1: the last write failed */
    apr_int32_t         last_err;       /* its apr_status_t */
    apr_time_t          failing_since;  /* wall time of the first failure */
    apr_time_t          last_ok;        /* wall time of the last good write */
    ph_memq_cause_t     causes[PH_MEMQ_CAUSES];
} ph_memq_t;

/** A held file, copied out of the region. */
typedef struct ph_memq_file_t {
    int                 dir;
    const char         *name;
    const char         *data;           /* NUL-terminated */
    apr_size_t          len;
    apr_uint64_t        seq;            /* changes whenever it is put again */
} ph_memq_file_t;

/** Set up @a size bytes at @a mem (header included) as an empty region. */
ph_memq_t *ph_memq_init(void *mem, apr_size_t size);

/** The region at @a mem if it is one of @a size bytes, else NULL. */
ph_memq_t *ph_memq_attach(void *mem, apr_size_t size);

/**
 * Hold @a dir/@a name with @a len bytes of @a data, in place of any
 * earlier copy.
 * @return APR_SUCCESS; APR_ENOSPC when it does not fit (counted in
 *         overflow; an earlier copy stays); APR_EINVAL for a bad name
 */
apr_status_t ph_memq_put(ph_memq_t *q, int dir, const char *name,
                         const void *data, apr_size_t len);

/** Copy @a dir/@a name into @a f from @a p; 0 when it is not held. */
int ph_memq_get(const ph_memq_t *q, apr_pool_t *p, int dir,
                const char *name, ph_memq_file_t *f);

/** Drop @a dir/@a name; with @a seq non-zero only if it is still that
 *  copy.  Returns 1 if it was dropped. */
int ph_memq_drop(ph_memq_t *q, int dir, const char *name, apr_uint64_t seq);

/** Append to @a names (char *, from @a p) the names held for @a dir that
 *  end in @a suffix and are not in it already; the array is then sorted. */
void ph_memq_list(const ph_memq_t *q, apr_pool_t *p, int dir,
                  const char *suffix, apr_array_header_t *names);

/** Bytes of the records held for @a dir, and their number in *@a n. */
apr_size_t ph_memq_bytes(const ph_memq_t *q, int dir, apr_uint32_t *n);

/** Copies of every held file, oldest put first (ph_memq_file_t). */
apr_array_header_t *ph_memq_all(const ph_memq_t *q, apr_pool_t *p);

/** Note the result @a rv of a write at wall time @a now. */
void ph_memq_note_write(ph_memq_t *q, apr_status_t rv, apr_time_t now);

/**
 * Whether a failure @a err of the call site @a tag should be logged now
 * (monotonic @a now): once every @a every per cause.  *@a suppressed gets
 * the failures of that cause not logged since its last line.
 */
int ph_memq_log_due(ph_memq_t *q, apr_uint32_t tag, apr_status_t err,
                    apr_time_t now, apr_interval_time_t every,
                    apr_uint32_t *suppressed);

#endif /* PH_MEMQ_H */
