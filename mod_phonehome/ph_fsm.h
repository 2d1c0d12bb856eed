/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_fsm.h
 * @brief The state machine: unknown, up, down, paused.
 *
 * Beats move a device up (ph_device_record_beat).  Time moves it down:
 * ph_fsm_step() is a pure function of the slot, the time and the
 * configuration, run by the watchdog for every device twice a second.
 * It also reports each change once: the slot remembers the state last
 * reported, so a change made by a beat between two ticks is reported by
 * the next tick, and a restored slot reports what it had not yet reported.
 */

#ifndef PH_FSM_H
#define PH_FSM_H

#include <apr.h>
#include <apr_time.h>

#include "ph_device.h"

typedef enum {
    PH_EV_NONE = 0,
    PH_EV_DOWN,                     /* "Error": up (or never heard) -> down */
    PH_EV_UP,                       /* "Good": down -> up */
    PH_EV_FIRST,                    /* unknown -> up, only when asked for */
    PH_EV_FLAP,                     /* "Flapping": instead of the change
                                     * that passed the flap limit */
    PH_EV_FLAP_END                  /* "Stable": a whole flap period
                                     * without a change (ph_flap.h) */
} ph_event_e;

/*
 * Two clocks.  Every deadline, the startup grace and every window is
 * measured on the monotonic clock (CLOCK_MONOTONIC: it never steps, and
 * every child of one boot shares it), so NTP, a VM resume or a clock fixed
 * by hand moves no deadline and raises no alarm.  CLOCK_MONOTONIC and not
 * CLOCK_BOOTTIME: while the server itself is suspended it hears nobody,
 * and that silence must not count against the devices (BOOTTIME would
 * raise an alarm for every device at resume).  The wall clock is for
 * display and for what must survive a reboot: the snapshot keeps wall
 * times, and a cold start rebases them (ph_fsm_rebase).
 */
typedef struct ph_fsm_ctx_t {
    apr_time_t          now;        /* monotonic */
    apr_time_t          wall;       /* the same instant on the wall clock */
    apr_time_t          started;    /* httpd's start, not a graceful
                                     * restart; monotonic */
    apr_interval_time_t grace;      /* PhoneHomeStartupGrace */
    int                 notify_first;
    apr_int64_t         arm_after;  /* PhoneHomeArmAfter s; < 0: 2 MaxAge */
} ph_fsm_ctx_t;

/**
 * When @a d goes down if no beat comes: its last beat plus its MaxAge, or
 * for a declared device never heard from, the end of the startup grace
 * plus its MaxAge; never before the end of the grace.  0 if it cannot go
 * down (already down, or unknown and not declared).
 */
apr_time_t ph_fsm_deadline(const ph_device_t *d, const ph_fsm_ctx_t *c);

/**
 * Whether ph_fsm_step() would change or report anything for @a d now: its
 * deadline has passed, or its state is not yet reported.  The scan asks
 * this without the lock and steps only the slots that answer yes.
 */
int ph_fsm_due(const ph_device_t *d, const ph_fsm_ctx_t *c);

/**
 * One step for one device: go down when the deadline has passed, then
 * report a change not yet reported.  A device that is not armed
 * (ph_arm.h) reports nothing: the change is only recorded.  With flap
 * damping (ph_flap.h) a change between up and down is counted: the one
 * that passes the limit reports PH_EV_FLAP, the next ones nothing, and a
 * whole period without a change PH_EV_FLAP_END (none while paused: the
 * flapping ends quietly).
 * @param former  set to the state reported before, for the mail
 * @return the event to report, PH_EV_NONE if none
 */
ph_event_e ph_fsm_step(ph_device_t *d, const ph_fsm_ctx_t *c, int *former);

/**
 * Pause @a d (the admin handler): no deadline and no alert until it is
 * resumed, or until @a until_mono (monotonic; 0: until resumed, and then
 * @a until_wall is ignored).  Pausing a paused device only moves its end.
 * Beats still record last_seen (ph_device_record_beat marks them).
 * @param wall  now, on the wall clock: the state's 'since'
 */
void ph_fsm_pause(ph_device_t *d, apr_time_t until_wall, apr_time_t until_mono,
                  apr_time_t wall);

/**
 * End @a d's pause (resume, or a timed pause's end in ph_fsm_step).  A
 * device that was down, had been reported down and stayed silent is down
 * again (nothing is reported: the Error went out before); any other gets
 * a whole MaxAge from @a mono: up if it was ever heard, else unknown.  So
 * a pause's end never raises an Error at once nor repeats one, and a
 * reported-down device that beat during the pause sends its Good.
 * @return 1 if it was paused
 */
int ph_fsm_resume(ph_device_t *d, apr_time_t mono, apr_time_t wall);

/**
 * The wall time of the monotonic instant @a mono, as the wall clock reads
 * now: what a message shows, consistent with its own date after a step.
 */
apr_time_t ph_fsm_wall_of(const ph_fsm_ctx_t *c, apr_time_t mono);

/**
 * After a cold start (perhaps a reboot: the old monotonic times mean
 * nothing), set @a d's monotonic times from its wall times, as seen at
 * @a wall_now / @a mono_now.  A gap that cannot be true (a wall time in
 * the future: the clock stepped back while httpd was stopped) counts as
 * no gap at all, so the device gets a whole MaxAge and no false alarm; a
 * gap that is too long is harmless, since the startup grace holds every
 * deadline.  A timed pause ends at its wall time (at once if that has
 * passed).  Rate buckets start full.
 */
void ph_fsm_rebase(ph_device_t *d, apr_time_t wall_now, apr_time_t mono_now);

#endif /* PH_FSM_H */
