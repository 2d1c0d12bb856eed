/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "ph_lease.h"

static int ph_lease_mine(const ph_lease_t *l, const ph_lease_me_t *me)
{
    return me->takes != 0 && l->pid == me->pid && l->takes == me->takes;
}

int ph_lease_idle(const ph_lease_t *l, const ph_lease_me_t *me,
                  apr_time_t now)
{
    return l->pid != 0 && l->pid != me->pid && l->beat <= now
           && now - l->beat < PH_LEASE_STALE;
}

apr_uint32_t ph_lease_ask(const ph_lease_t *l, const ph_lease_me_t *me,
                          apr_time_t now)
{
    if (l->pid == 0 || l->pid == me->pid || ph_lease_idle(l, me, now)
        || l->generation != me->generation) {
        return 0;
    }
    return l->pid;
}

ph_lease_e ph_lease_look(ph_lease_t *l, ph_lease_me_t *me, apr_time_t now,
                         apr_uint32_t asked_pid, ph_holder_e holder,
                         apr_interval_time_t wedged, int *from_live)
{
    int live = 0;

    if (ph_lease_mine(l, me)) {
        l->beat = now;
        return PH_LEASE_MINE;
    }
    me->takes = 0;
    if (l->pid != 0 && l->pid != me->pid) {
        apr_interval_time_t age = now - l->beat;

        /* A child of an older generation never takes from a newer one. */
        if ((l->beat <= now && age < PH_LEASE_STALE)
            || l->generation > me->generation) {
            return PH_LEASE_THEIRS;
        }
        if (l->generation == me->generation) {
            /* Not asked about this holder (it changed since): ask first. */
            if (asked_pid != l->pid || holder == PH_HOLDER_UNASKED) {
                return PH_LEASE_THEIRS;
            }
            if (holder == PH_HOLDER_ALIVE) {
                /* Slow, stopped or hung: its own, up to the bound.  A
                 * heartbeat from the future (another boot) is not fresh. */
                if (l->beat <= now && age < wedged) {
                    return PH_LEASE_THEIRS;
                }
                live = 1;
            }
        }
    }
    l->pid = me->pid;
    l->generation = me->generation;
    if (++l->takes == 0) {
        l->takes = 1;
    }
    if (live) {
        l->wedged_takes++;
        if (from_live) {
            *from_live = 1;
        }
    }
    l->beat = now;
    me->takes = l->takes;
    return PH_LEASE_TAKEN;
}

int ph_lease_renew(ph_lease_t *l, const ph_lease_me_t *me, apr_time_t now)
{
    if (!ph_lease_mine(l, me)) {
        return 0;
    }
    l->beat = now;
    return 1;
}

int ph_lease_due(ph_lease_t *l, apr_time_t now, apr_interval_time_t interval)
{
    if (l->ran != 0 && l->ran <= now && now - l->ran < interval) {
        return 0;
    }
    l->ran = now;
    return 1;
}
