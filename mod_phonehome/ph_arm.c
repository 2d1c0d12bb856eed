/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include "ph_arm.h"

#define PH_ARM_HOUR apr_time_from_sec(3600)

int ph_arm_always(const ph_device_t *d)
{
    return (d->flags & PH_DEV_DECLARED)
           || strcmp(d->name, PH_DEFAULT_DEVICE) == 0;
}

int ph_arm_update(ph_device_t *d, apr_interval_time_t arm_after)
{
    if (!(d->flags & PH_DEV_ARMED)
        && (arm_after <= 0 || ph_arm_always(d)
            || (d->state == PH_STATE_UP && d->last_mono >= d->since_mono
                && d->last_mono - d->since_mono >= arm_after))) {
        d->flags |= PH_DEV_ARMED;
    }
    return (d->flags & PH_DEV_ARMED) != 0;
}

apr_interval_time_t ph_arm_after(const ph_device_t *d, apr_int64_t conf)
{
    return conf >= 0 ? apr_time_from_sec(conf)
                     : apr_time_from_sec(2 * (apr_int64_t)d->max_age);
}

int ph_arm_budget_take(ph_arm_budget_t *b, apr_time_t now, apr_uint32_t cap)
{
    if (b->hour == 0 || now < b->hour) {
        b->hour = now;
        b->used = b->folded = 0;
    }
    if (b->used < cap) {
        b->used++;
        return 1;
    }
    b->folded++;
    return 0;
}

apr_uint32_t ph_arm_budget_summary(ph_arm_budget_t *b, apr_time_t now)
{
    apr_uint32_t folded;

    if (b->hour == 0 || now - b->hour < PH_ARM_HOUR) {
        return 0;
    }
    folded = b->folded;
    b->hour = now;
    b->used = b->folded = 0;
    return folded;
}
