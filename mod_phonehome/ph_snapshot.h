/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_snapshot.h
 * @brief The device table as a file: what restores counts, times and states
 *        after a crash or a power cut, when slotmem's own persisted copy is
 *        missing or older.  A header (magic, record layout, count, when it
 *        was written, a checksum) and the records, byte for byte.
 */

#ifndef PH_SNAPSHOT_H
#define PH_SNAPSHOT_H

#include <apr.h>
#include <stddef.h>

#include <apr_pools.h>

#include "ph_device.h"

/** A slot of layout version 5 (PH_DEVICE_VERSION 5, 408 bytes), which a
 *  snapshot of the previous release holds. */
typedef struct ph_device_v5_t {
    char         name[PH_NAME_MAX + 1];
    char         remote_ip[PH_IP_MAX + 1];
    char         user_agent[PH_UA_MAX + 1];
    char         boot_id[PH_BOOT_MAX + 1];
    apr_time_t   first_seen;
    apr_time_t   last_seen;
    apr_time_t   since;
    apr_time_t   gap_start;
    apr_time_t   last_mono;
    apr_time_t   gap_mono;
    apr_int64_t  client_time;
    apr_int64_t  skew;
    apr_int64_t  uptime;
    apr_uint64_t seq;
    apr_uint64_t key_id;
    apr_uint64_t beats;
    ph_bucket_state_t rate;
    apr_uint32_t max_age;
    apr_uint16_t flags;
    apr_byte_t   state;
    apr_byte_t   reported;
    apr_byte_t   version;
} ph_device_v5_t;

/** A version-5 slot @a o as a slot of today's layout in @a d. */
void ph_snapshot_from_v5(ph_device_t *d, const ph_device_v5_t *o);

/** A slot of layout version 6 or 7 (440 bytes; 7 only bumped the
 *  number): today's layout up to and including `version`; version 8
 *  appends the flap fields after it. */
typedef struct ph_device_v6_t {
    char         name[PH_NAME_MAX + 1];
    char         remote_ip[PH_IP_MAX + 1];
    char         user_agent[PH_UA_MAX + 1];
    char         boot_id[PH_BOOT_MAX + 1];
    apr_time_t   first_seen;
    apr_time_t   last_seen;
    apr_time_t   since;
    apr_time_t   gap_start;
    apr_time_t   last_mono;
    apr_time_t   gap_mono;
    apr_time_t   since_mono;
    apr_int64_t  client_time;
    apr_int64_t  skew;
    apr_int64_t  uptime;
    apr_uint64_t seq;
    apr_uint64_t key_id;
    apr_uint64_t beats;
    ph_bucket_state_t rate;
    apr_time_t   paused_until;
    apr_time_t   pause_mono;
    apr_time_t   fresh_mono;
    apr_uint32_t max_age;
    apr_uint16_t flags;
    apr_byte_t   state;
    apr_byte_t   reported;
    apr_byte_t   paused_from;
    apr_byte_t   version;
} ph_device_v6_t;

/** A version-6 or -7 slot @a o as a slot of today's layout in @a d: the
 *  fields added since start at 0. */
void ph_snapshot_from_v6(ph_device_t *d, const ph_device_v6_t *o);

/** Layout version 8 (456 bytes): today's layout up to and including
 *  `flapping`; version 9 appends the maintenance and reminder fields. */
#define PH_V8_SIZE          456
#define PH_V8_PREFIX        (offsetof(ph_device_t, flapping) + 1)

/** A version-8 record @a rec (PH_V8_SIZE bytes) as a slot of today's
 *  layout in @a d: the fields added since start at 0. */
void ph_snapshot_from_v8(ph_device_t *d, const char *rec);

#define PH_SNAPSHOT_FILE    "state.snapshot"

/** Encode @a n records; returns the buffer and its length. */
const char *ph_snapshot_encode(apr_pool_t *p, const ph_device_t *devs,
                               apr_uint32_t n, apr_time_t written,
                               apr_size_t *len);

/** Decode a snapshot into an aligned copy of its records.
 *  @return NULL on success, else why it cannot be used */
const char *ph_snapshot_decode(apr_pool_t *p, const char *buf,
                               apr_size_t len, ph_device_t **devs,
                               apr_uint32_t *n, apr_time_t *written);

/* A change that matters after a power cut (a new device, a state change)
 * is in a snapshot within URGENT; beat counts and times alone within
 * ROUTINE; an idle table is not written again at all. */
#define PH_SNAPSHOT_URGENT  apr_time_from_sec(5)
#define PH_SNAPSHOT_ROUTINE apr_time_from_sec(60)

/** Whether to write a snapshot at @a now, the last one written at @a last
 *  (0: none yet by this process), given whether a change that matters
 *  (@a urgent) or any change at all (@a routine) came since. */
int ph_snapshot_due(apr_time_t now, apr_time_t last, int urgent,
                    int routine);

/** How fresh a set of records is: its latest beat, state change or
 *  forget (a free slot's since, see ph_table_remove).  The
 *  fresher of slotmem's copy and the snapshot wins at startup. */
apr_time_t ph_snapshot_freshness(const ph_device_t *devs, apr_uint32_t n);

#endif /* PH_SNAPSHOT_H */
