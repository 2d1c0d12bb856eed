/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_detect.h
 * @brief The detection room: the watchdog that steps every device's state
 *        machine, writes each tick's transitions to the queue before
 *        anything else happens to them, and writes the snapshot; and the
 *        snapshot's restore at a real start.  Level 4 of the glue: it
 *        depends on runtime, config, private and the core.
 */

#ifndef MOD_PHONEHOME_DETECT_H
#define MOD_PHONEHOME_DETECT_H

#include "httpd.h"

/** Put detection on a leased watchdog of its own (post_config). */
apr_status_t ph_detect_register(apr_pool_t *pconf, server_rec *s);

/**
 * At a real start, between ph_runtime_create() and ph_runtime_attach():
 * load StateDir's snapshot into the @a nslots slots if it is fresher
 * than slotmem's copy (after a crash or a power cut).  @a restart: a
 * restart that found no copy of the table in the parent
 * (ph_retain_restore): the slots it loads get their monotonic times from
 * their wall times now (PH00177 says it).
 */
apr_status_t ph_snapshot_restore(server_rec *s, apr_pool_t *p,
                                 apr_uint32_t nslots, int restart);

#endif /* MOD_PHONEHOME_DETECT_H */
