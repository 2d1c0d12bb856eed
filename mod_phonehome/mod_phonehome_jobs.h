/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_jobs.h
 * @brief Jobs on leases (level 3.1 of the glue: above runtime): a
 *        watchdog in every child, the work done by the lease's holder.
 */

#ifndef MOD_PHONEHOME_JOBS_H
#define MOD_PHONEHOME_JOBS_H

#include "httpd.h"
#include "mod_watchdog.h"

#include "ph_lease.h"

/** How often every child's watchdog looks at a job's lease (mod_watchdog
 *  runs its callbacks no more often than every 100 ms anyway). */
#define PH_JOB_LOOK         apr_time_from_msec(100)

/**
 * Put @a callback (a mod_watchdog callback, @a s its data) on a lease:
 * every child runs a watchdog @a name that looks at lease @a role
 * (PH_LEASE_*); only the holder runs @a callback, STARTING when it takes
 * the lease, RUNNING every @a interval (by whichever child), STOPPING when
 * its process stops or it lost the lease.  @a wedged: how long a holder
 * that lives may go without renewing before another child takes over.
 * @a what names the job in the log (PH00160-PH00162).
 */
apr_status_t ph_watchdog_leased(apr_pool_t *pconf, server_rec *s,
                                const char *name, int role, const char *what,
                                apr_interval_time_t interval,
                                apr_interval_time_t wedged,
                                ap_watchdog_callback_fn_t *callback);

/** From inside a job, before each piece of work (a file to send): renew
 *  the lease; 0 if this process no longer holds it (stop at once). */
int ph_watchdog_keep(int role);

#endif /* MOD_PHONEHOME_JOBS_H */
