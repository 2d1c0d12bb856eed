/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_downtime.h
 * @brief The monitor's own downtime (issue 15 item 5): the "alive" stamp in
 *        PhoneHomeStateDir (rewritten by the detection watchdog, marked
 *        "stopped" by the parent at a clean stop), the decision at a cold
 *        start, the one notice at the end of the startup grace (mail to
 *        PhoneHomeMailTo and every channel, written to the outbox), and the
 *        history the status page shows.  The logic is the core's
 *        (ph_downtime.h).  Level 3.5 of the glue: above runtime, below
 *        detect and the status page, which call it.
 */

#ifndef MOD_PHONEHOME_DOWNTIME_H
#define MOD_PHONEHOME_DOWNTIME_H

#include "httpd.h"
#include "apr_tables.h"

#include "ph_downtime.h"

/**
 * post_config, after ph_runtime_attach(): on a cold start, read the last
 * stamp and decide whether a notice is owed (the gap is longer than the
 * shortest MaxAge); then the devices that were up are marked
 * (PH_DEV_ACROSS).  Every generation: the clean-stop mark of the stamp.
 */
void ph_downtime_start(server_rec *s, apr_pool_t *pconf, apr_pool_t *ptemp,
                       int cold);

/** The detection watchdog's every tick: the stamp, every PH_ALIVE_EVERY. */
void ph_downtime_alive(server_rec *s);

/**
 * While a notice waits for the end of the startup grace: that end
 * (monotonic), which detection must not pass in a tick that began before
 * it, so that every device silent across the downtime goes down in one
 * tick.  0 when no notice waits.
 */
apr_time_t ph_downtime_hold(apr_time_t begin_mono);

/**
 * The first tick that began after the grace, when a notice is owed: the
 * devices marked are sorted into back / now down / still within MaxAge,
 * the notice is written to the outbox and the history, and the Error
 * events of this tick for the devices now down are taken out of
 * @a events (and @a ids): the notice is their alert.  Returns those
 * events (to be logged as transitions), or NULL when nothing was taken
 * (no notice owed, or it could not be written: then the Errors go as
 * usual).
 */
apr_array_header_t *ph_downtime_fold(server_rec *s, apr_pool_t *p,
                                     apr_array_header_t *events,
                                     apr_array_header_t *ids,
                                     apr_time_t begin_mono);

/** The recent downtimes (ph_downtime_t), oldest first, at most
 *  PH_DOWNTIMES_KEEP. */
apr_array_header_t *ph_downtime_recent(apr_pool_t *p);

#endif /* MOD_PHONEHOME_DOWNTIME_H */
