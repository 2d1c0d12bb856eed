/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include "ph_arm.h"
#include "ph_flap.h"
#include "ph_fsm.h"

apr_time_t ph_fsm_deadline(const ph_device_t *d, const ph_fsm_ctx_t *c)
{
    apr_time_t grace_end = c->started + c->grace;
    apr_time_t deadline;

    /* A resume starts a whole MaxAge, however long the last beat is. */
    if (d->state == PH_STATE_UP) {
        deadline = (d->last_mono > d->fresh_mono ? d->last_mono
                                                 : d->fresh_mono)
                   + apr_time_from_sec(d->max_age);
    }
    else if (d->state == PH_STATE_UNKNOWN && (d->flags & PH_DEV_DECLARED)
             && d->last_seen == 0) {
        deadline = (grace_end > d->fresh_mono ? grace_end : d->fresh_mono)
                   + apr_time_from_sec(d->max_age);
    }
    else {
        return 0;
    }
    return deadline > grace_end ? deadline : grace_end;
}

int ph_fsm_due(const ph_device_t *d, const ph_fsm_ctx_t *c)
{
    apr_time_t deadline;

    if (ph_flap_end_due(d, ph_flap_sec(c->now))) {
        return 1;
    }
    if (d->state == PH_STATE_PAUSED) {
        return d->pause_mono && c->now >= d->pause_mono;
    }
    if (d->state != d->reported) {
        return 1;
    }
    deadline = ph_fsm_deadline(d, c);
    return deadline && c->now > deadline;
}

/* No change to report: the end of a flapping, if it is due. */
static ph_event_e ph_fsm_flap_end(ph_device_t *d, const ph_fsm_ctx_t *c)
{
    if (!ph_flap_end_due(d, ph_flap_sec(c->now))) {
        return PH_EV_NONE;
    }
    /* A paused device says nothing; one never told it flapped neither. */
    if (!ph_flap_end(d) || d->state == PH_STATE_PAUSED) {
        return PH_EV_NONE;
    }
    return PH_EV_FLAP_END;
}

ph_event_e ph_fsm_step(ph_device_t *d, const ph_fsm_ctx_t *c, int *former)
{
    apr_time_t deadline = ph_fsm_deadline(d, c);
    ph_event_e ev = PH_EV_NONE;
    int armed;

    *former = d->reported;
    if (d->state == PH_STATE_PAUSED) {
        if (!(d->pause_mono && c->now >= d->pause_mono)) {
            return ph_fsm_flap_end(d, c);
        }
        ph_fsm_resume(d, c->now, c->wall);
        deadline = ph_fsm_deadline(d, c);
    }
    if (!(deadline && c->now > deadline) && d->state == d->reported) {
        return ph_fsm_flap_end(d, c);
    }
    /* Before the state changes: how long it was heard counts. */
    armed = ph_arm_update(d, ph_arm_after(d, c->arm_after));
    if (deadline && c->now > deadline) {
        d->state = PH_STATE_DOWN;
        d->since = c->wall;
        d->since_mono = c->now;
    }
    *former = d->reported;
    if (d->state == d->reported) {
        return PH_EV_NONE;
    }
    if (d->state == PH_STATE_DOWN) {
        ev = PH_EV_DOWN;
    }
    else if (d->state == PH_STATE_UP) {
        ev = d->reported == PH_STATE_DOWN ? PH_EV_UP
           : c->notify_first ? PH_EV_FIRST : PH_EV_NONE;
    }
    d->reported = d->state;
    /* Between up and down, a change counts towards the flap limit. */
    if (ev == PH_EV_UP || (ev == PH_EV_DOWN && *former == PH_STATE_UP)) {
        switch (ph_flap_change(d, ph_flap_sec(c->now))) {
        case PH_FLAP_QUIET:
            return PH_EV_NONE;
        case PH_FLAP_START:
            if (!armed) {
                return PH_EV_NONE;
            }
            d->flapping |= PH_FLAP_TOLD;
            return PH_EV_FLAP;
        default:
            break;
        }
    }
    return armed ? ev : PH_EV_NONE;
}

apr_time_t ph_fsm_wall_of(const ph_fsm_ctx_t *c, apr_time_t mono)
{
    return c->wall - (c->now - mono);
}

/* The monotonic time of the wall time @a then; never after @a mono_now. */
static apr_time_t ph_rebase_one(apr_time_t then, apr_time_t wall_now,
                                apr_time_t mono_now)
{
    apr_time_t age = wall_now - then;

    return mono_now - (age > 0 ? age : 0);
}

void ph_fsm_pause(ph_device_t *d, apr_time_t until_wall, apr_time_t until_mono,
                  apr_time_t wall)
{
    if (d->state != PH_STATE_PAUSED) {
        d->paused_from = d->state;
        d->flags &= ~PH_DEV_PAUSE_BEAT;
        d->state = PH_STATE_PAUSED;
        d->since = wall;
    }
    d->paused_until = until_mono ? until_wall : 0;
    d->pause_mono = until_mono;
}

int ph_fsm_resume(ph_device_t *d, apr_time_t mono, apr_time_t wall)
{
    if (d->state != PH_STATE_PAUSED) {
        return 0;
    }
    /* Down and told so, and silent since: still down (no second Error;
     * its next beat sends Good).  Else it starts a whole MaxAge now: up
     * if it was ever heard (Good if it had been reported down and beat
     * during the pause), unknown if never. */
    if (!(d->flags & PH_DEV_PAUSE_BEAT) && d->paused_from == PH_STATE_DOWN
        && d->reported == PH_STATE_DOWN) {
        d->state = PH_STATE_DOWN;
    }
    else {
        d->state = d->last_seen ? PH_STATE_UP : PH_STATE_UNKNOWN;
    }
    d->since = wall;
    d->fresh_mono = mono;
    d->paused_until = d->pause_mono = 0;
    d->paused_from = 0;
    d->flags &= ~PH_DEV_PAUSE_BEAT;
    return 1;
}

void ph_fsm_rebase(ph_device_t *d, apr_time_t wall_now, apr_time_t mono_now)
{
    d->last_mono = d->last_seen ? ph_rebase_one(d->last_seen, wall_now,
                                                mono_now) : 0;
    d->since_mono = d->since ? ph_rebase_one(d->since, wall_now, mono_now)
                             : 0;
    d->gap_mono = 0;
    if (d->gap_start && d->last_seen) {
        apr_time_t gap = d->last_seen - d->gap_start;

        d->gap_mono = d->last_mono - (gap > 0 ? gap : 0);
    }
    /* A timed pause ends when its wall time says, at once if that passed
     * while httpd was stopped; the startup grace holds the deadlines. */
    d->pause_mono = 0;
    if (d->state == PH_STATE_PAUSED && d->paused_until) {
        apr_time_t left = d->paused_until - wall_now;

        d->pause_mono = mono_now + (left > 0 ? left : 0);
    }
    d->fresh_mono = 0;
    memset(&d->rate, 0, sizeof(d->rate));
    ph_flap_rebase(d, ph_flap_sec(mono_now));
}
