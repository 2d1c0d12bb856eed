/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_flap.h
 * @brief Flap damping (PhoneHomeFlapLimit n seconds, per device Flap=n/s).
 *
 * A device whose state changes (up to down, down to up) more than n times
 * in a window of the given seconds, the window opened by the first of
 * those changes, is flapping: that change sends one Flapping message
 * instead of its Error or Good, and the changes after it send nothing.
 * Once no change has come for the whole period, it has stopped flapping:
 * one message says its state and how many changes came.  The state
 * machine runs on all along; only what is told is damped.  Everything is
 * in the slot (ph_device_t.flap_*), in monotonic seconds: O(1) a device,
 * no history kept.
 */

#ifndef PH_FLAP_H
#define PH_FLAP_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "ph_device.h"

#define PH_FLAP_LIMIT_MIN   2
#define PH_FLAP_LIMIT_MAX   1000
#define PH_FLAP_PERIOD_MAX  86400u

/* ph_device_t.flapping */
#define PH_FLAP_WINDOW      0x01    /* a window of changes is open */
#define PH_FLAP_ON          0x02    /* flapping: no Error, no Good */
#define PH_FLAP_TOLD        0x04    /* its Flapping message was sent */

typedef enum {
    PH_FLAP_SEND = 0,               /* tell this change as ever */
    PH_FLAP_START,                  /* this change makes it flap */
    PH_FLAP_QUIET                   /* flapping: tell nothing */
} ph_flap_e;

/** Seconds on the monotonic clock, as the slot keeps them. */
apr_uint32_t ph_flap_sec(apr_time_t mono);

/**
 * Check "n seconds" (the directive) or, with @a secs NULL, "n/seconds"
 * (the device option): n from 2 to 1000, seconds from 1 to 86400, or Off
 * (@a limit and @a period 0).
 * @return NULL, or why not (the glue puts the directive's name before it)
 */
const char *ph_flap_parse(apr_pool_t *p, const char *n, const char *secs,
                          apr_uint32_t *limit, apr_uint32_t *period);

/** Set @a d's limit from the configuration (0, 0: off).  Turning it off
 *  ends a flapping quietly: what comes next is told as ever. */
void ph_flap_configure(ph_device_t *d, apr_uint32_t limit,
                       apr_uint32_t period);

/** Count one change of @a d's state (up to down, down to up) at @a now
 *  (ph_flap_sec) and say what to tell of it. */
ph_flap_e ph_flap_change(ph_device_t *d, apr_uint32_t now);

/** Whether @a d is flapping and has been stable (no change) for its
 *  whole period at @a now. */
int ph_flap_end_due(const ph_device_t *d, apr_uint32_t now);

/**
 * End @a d's flapping.  flap_count keeps the number of changes counted
 * (from the window's first to the last) for the message.
 * @return 1 if its Flapping message had been sent (so a summary is owed)
 */
int ph_flap_end(ph_device_t *d);

/**
 * Take back what counting an event of @a kind (ph_event_e, the state
 * @a former reported before) did to @a d, when the event could not be
 * queued and will be stepped again: the change is counted once, the
 * Flapping or the summary is sent once.
 */
void ph_flap_undo(ph_device_t *d, int kind, int former);

/** After a cold start: an open window and a flapping begin again at
 *  @a now (the old boot's monotonic seconds mean nothing). */
void ph_flap_rebase(ph_device_t *d, apr_uint32_t now);

#endif /* PH_FLAP_H */
