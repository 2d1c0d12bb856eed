/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_arm.h
 * @brief Arming: who may make the server send an alert.  Anyone who can
 *        reach the beat Location can name a new device (AutoRegister On);
 *        its name is in the alert.  So an undeclared device can alert only
 *        once it has been heard for PhoneHomeArmAfter (default twice its
 *        MaxAge), and alert events of undeclared devices are capped per
 *        hour, the rest counted into one summary.  Declared devices and the
 *        default device are always armed.
 */

#ifndef PH_ARM_H
#define PH_ARM_H

#include <apr.h>
#include <apr_time.h>

#include "ph_device.h"

/* Alert events (a tick's batch counts once) of undeclared devices an
 * hour; the rest are folded into the hour's summary. */
#define PH_ARM_UNDECLARED_PER_HOUR 10

/** A declared device or the default device: always armed. */
int ph_arm_always(const ph_device_t *d);

/**
 * Arm @a d when it has been heard, without an outage, for @a arm_after
 * (its last beat at least that long after the start of its current up
 * state); once armed it stays armed.  Call before a step changes its
 * state.  @a arm_after 0: armed at its first beat.
 * @return whether @a d may alert
 */
int ph_arm_update(ph_device_t *d, apr_interval_time_t arm_after);

/** PhoneHomeArmAfter for @a d: @a conf seconds, or (@a conf < 0, unset)
 *  twice its MaxAge. */
apr_interval_time_t ph_arm_after(const ph_device_t *d, apr_int64_t conf);

typedef struct ph_arm_budget_t {
    apr_time_t   hour;              /* when the current hour began; 0: none */
    apr_uint32_t used;              /* alert events sent in it */
    apr_uint32_t folded;            /* alert events folded in it */
} ph_arm_budget_t;

/**
 * Take one alert event of undeclared devices at @a now.
 * @return 1 if it may go out, 0 if it is folded into the summary
 */
int ph_arm_budget_take(ph_arm_budget_t *b, apr_time_t now, apr_uint32_t cap);

/**
 * When the hour has ended: how many events were folded in it (0: none or
 * not yet), and a new hour begins.
 */
apr_uint32_t ph_arm_budget_summary(ph_arm_budget_t *b, apr_time_t now);

#endif /* PH_ARM_H */
