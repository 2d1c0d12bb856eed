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
#include <apr_pools.h>

#include "ph_device.h"

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
