/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_table.h
 * @brief The device table: fixed slots plus a name-to-slot hash index.
 *
 * The slots are handed out in order and never move, so a slot number is a
 * stable handle for as long as its device lives.  ph_table_remove() frees
 * one (forget): its bucket goes by backward-shift deletion, so the index
 * has no tombstones and every probe stays as short as it was, and the slot
 * goes on a free list that ph_table_add() takes from (the slot freed last
 * first) before it grows 'used'.  The index is an open-addressing table with linear probing,
 * at least twice as many buckets as slots, so a lookup costs O(1) at any
 * size.  The index is derived data: ph_table_rebuild() makes it again from
 * the slots, which is how a restored or resized table is brought back.
 *
 * Nothing here locks: the caller holds the table's mutex.
 */

#ifndef PH_TABLE_H
#define PH_TABLE_H

#include <apr.h>
#include <apr_errno.h>

#include "ph_arm.h"
#include "ph_device.h"
#include "ph_siphash.h"

#define PH_TABLE_MAGIC      0x50484958u     /* "PHIX" */
#define PH_MAX_DEVICES_LIMIT 1000000u
/* A new name whose probe would be longer is refused (fails closed): with
 * a keyed hash and half the buckets empty, no honest name comes near. */
#define PH_TABLE_PROBE_MAX  64u

/* The outbox's and each channel's last error, one line: room for a TLS
 * refusal that names the host, the problem and the directive. */
#define PH_LAST_ERROR_LEN   320

typedef struct ph_table_hdr_t {
    apr_uint32_t magic;
    apr_uint32_t nslots;            /* device slots */
    apr_uint32_t used;              /* slots 0..used-1 are taken */
    apr_uint32_t nbuckets;          /* a power of two, >= 2 * nslots */
    apr_time_t   started;           /* when httpd started (not restarted) */
    apr_time_t   started_mono;      /* the same, monotonic: the grace */
    apr_uint64_t refused_full;      /* beats refused because the table was full */
    /* Kept by the watchdogs for the status page. */
    apr_uint32_t outbox_queued;     /* mails waiting, transitions included */
    apr_uint32_t outbox_dead;
    apr_uint64_t mails_sent;
    apr_time_t   last_error_time;
    char         last_error[PH_LAST_ERROR_LEN];
    apr_time_t   last_tick;         /* when detection last ran */
    apr_uint32_t tick_usec;         /* how long the last tick took */
    apr_uint32_t tick_usec_max;
    apr_uint32_t lock_usec_max;     /* longest hold of the lock by a tick
                                     * or a snapshot */
    /* For the snapshot: counted up on every beat, and on every change that
     * must survive a power cut (new device, state change). */
    apr_uint32_t changes;
    apr_uint32_t urgent_changes;
    /* The index's hash key, random at every start (ph_table_rebuild's
     * caller sets it), and the longest probe any name needs. */
    unsigned char hash_key[PH_SIPHASH_KEY_LEN];
    apr_uint32_t max_probe;
    apr_uint32_t refused_probe;     /* new names refused: probe too long */
    apr_time_t   register_full_logged;  /* PH00128, at most once a minute */
    /* Alert events of undeclared devices this hour (ph_arm.h). */
    ph_arm_budget_t arm_budget;
    /* Freed slots below 'used' (ph_table_remove), on the free list that
     * follows the buckets; devices forgotten since httpd started. */
    apr_uint32_t nfree;
    apr_uint32_t pad_free;
    apr_uint64_t forgotten;
} ph_table_hdr_t;

typedef struct ph_bucket_t {
    apr_uint32_t hash;
    apr_uint32_t slot1;             /* slot number + 1; 0 is an empty bucket */
} ph_bucket_t;

typedef apr_uint32_t ph_hash_fn(const char *name);

typedef struct ph_table_t {
    ph_table_hdr_t *hdr;            /* followed by nbuckets buckets */
    ph_bucket_t    *buckets;
    apr_uint32_t   *free;           /* nslots entries, nfree in use */
    ph_device_t  *(*slot)(void *baton, apr_uint32_t id);
    void           *baton;
    ph_hash_fn     *hash;           /* NULL: SipHash under hdr->hash_key;
                                     * tests force collisions */
} ph_table_t;

/** Buckets for @a nslots slots. */
apr_uint32_t ph_table_nbuckets(apr_uint32_t nslots);

/** Bytes of index memory (header, buckets, free list) for @a nslots
 *  slots. */
apr_size_t ph_table_index_size(apr_uint32_t nslots);

/**
 * Attach to index memory of ph_table_index_size(nslots) bytes and rebuild
 * the index from the slots that are in use.  Slots whose record has another
 * layout version are cleared.
 */
void ph_table_rebuild(ph_table_t *t, void *index_mem, apr_uint32_t nslots);

/** Point @a t at index memory that ph_table_rebuild() has set up. */
void ph_table_attach(ph_table_t *t, void *index_mem);

/** The slot of @a name, or -1. */
long ph_table_find(const ph_table_t *t, const char *name);

/**
 * Give @a name a slot: a fresh record in state unknown.
 * @return APR_SUCCESS, APR_EEXIST (already there; *id is its slot),
 *         APR_ENOSPC (every slot is taken; nothing changed) or APR_EAGAIN
 *         (its probe would pass PH_TABLE_PROBE_MAX; nothing changed)
 */
apr_status_t ph_table_add(ph_table_t *t, const char *name, apr_uint32_t *id);

/**
 * Free slot @a id (forget): its bucket leaves the index by backward-shift
 * deletion (the buckets after it in its run move back when their home
 * allows), the record is cleared and the slot is put on the free list.
 * max_probe stays an upper bound: a deletion only shortens probes.
 * The free slot keeps @a when (wall) as its 'since', so that a snapshot
 * written after the forget is fresher (ph_snapshot_freshness) than a copy
 * of the table from before it, which would bring the device back.
 * @return APR_SUCCESS, or APR_ENOENT if the slot is free already
 */
apr_status_t ph_table_remove(ph_table_t *t, apr_uint32_t id, apr_time_t when);

/** FNV-1a 32 (the index's hash before it was keyed; tests use it). */
apr_uint32_t ph_table_hash(const char *name);

/** The keyed hash of @a name under @a key (SipHash-2-4, 32 bits). */
apr_uint32_t ph_table_keyed_hash(const unsigned char *key, const char *name);

/** Buckets a lookup of @a name examines (for tests: the cost is flat). */
apr_uint32_t ph_table_probes(const ph_table_t *t, const char *name);

#endif /* PH_TABLE_H */
