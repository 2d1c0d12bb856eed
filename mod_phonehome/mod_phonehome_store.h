/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_store.h
 * @brief The store room: the queue's and the outbox's files, on disk or,
 *        while the state directory refuses writes (a full disk, an I/O
 *        error), held in shared memory (ph_memq.h) where every child's
 *        sender reads them, and written to disk as soon as it takes a
 *        write again (ph_store_flush, every detection tick).  Level 3.5 of
 *        the glue: it depends on the runtime room and below; detect and
 *        outbox (level 4) and the senders use it instead of ph_spool_*.
 */

#ifndef MOD_PHONEHOME_STORE_H
#define MOD_PHONEHOME_STORE_H

#include "httpd.h"

/** The directories of the state dir that the store holds files for. */
#define PH_STORE_QUEUE      0
#define PH_STORE_OUTBOX     1
#define PH_STORE_DEAD       2

/**
 * Write @a dir/@a name durably (ph_spool_write); when the disk refuses,
 * hold it in memory (logged once a minute, PH00155) and set *@a held.
 * @return APR_SUCCESS (on disk or held), else the disk's error: the
 *         memory was full too (PH00156) and the caller keeps what it has
 */
apr_status_t ph_store_write(server_rec *s, apr_pool_t *p, int dir,
                            const char *name, const void *data,
                            apr_size_t len, int *held);

/** The names in @a dir ending in @a suffix, on disk and held, sorted. */
apr_status_t ph_store_list(apr_pool_t *p, int dir, const char *suffix,
                           apr_array_header_t **names);

/** Read @a dir/@a name (held copy first), at most @a max bytes. */
apr_status_t ph_store_read(apr_pool_t *p, int dir, const char *name,
                           char **data, apr_size_t *len, apr_size_t max);

/** Remove @a dir/@a name, held and on disk. */
void ph_store_remove(apr_pool_t *p, int dir, const char *name);

/** Move @a name from @a from to @a to (a held file is written anew). */
void ph_store_move(server_rec *s, apr_pool_t *p, int from, int to,
                   const char *name);

/** Write what is held to disk, if it takes it; called every tick. */
void ph_store_flush(server_rec *s, apr_pool_t *p);

/** Tell the store how another write to the state directory went (the
 *  snapshot, events.log): the status page's health follows. */
void ph_store_note(apr_status_t rv);

/** The state directory's health and what is held, for the status page. */
typedef struct ph_store_state_t {
    int                 writable;
    apr_time_t          since;          /* not writable since (wall) */
    apr_status_t        err;            /* why, when not writable */
    apr_uint32_t        held;           /* files held in memory */
    apr_uint32_t        held_bytes;
    apr_uint32_t        capacity;       /* bytes of the memory region */
    apr_uint64_t        overflow;       /* files refused: memory full */
    apr_uint64_t        held_total;     /* files ever held */
    apr_uint64_t        written;        /* held files written to disk later */
    apr_uint64_t        failures;       /* writes that failed */
} ph_store_state_t;

/** Fill @a st (takes the table's lock). */
void ph_store_state(ph_store_state_t *st);

/** What the status page says of a state directory that is not writable,
 *  of held files and of overflows: plain-text sentences (none when all is
 *  well), times relative to @a now. */
apr_array_header_t *ph_store_sentences(apr_pool_t *p, apr_time_t now);

/** Why the state directory is not writable, one line ("" if it is). */
const char *ph_store_why(apr_pool_t *p, const ph_store_state_t *st);

#endif /* MOD_PHONEHOME_STORE_H */
