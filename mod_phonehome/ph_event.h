/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_event.h
 * @brief A transition, as detection hands it to the mailer: a copy of the
 *        facts at the moment it happened, in a one-line text form that is
 *        written to the queue before anything is sent.
 */

#ifndef PH_EVENT_H
#define PH_EVENT_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "ph_device.h"
#include "ph_fsm.h"

typedef struct ph_event_t {
    int          kind;              /* ph_event_e */
    int          former;            /* ph_state_e reported before */
    apr_time_t   time;              /* when it was detected */
    char         name[PH_NAME_MAX + 1];
    apr_time_t   last_seen;         /* 0: never */
    apr_time_t   gap_start;         /* for PH_EV_UP: the beat before the gap */
    apr_uint32_t max_age;
    int          rebooted;
    int          has_skew;
    apr_int64_t  skew;
    int          has_uptime;
    apr_int64_t  uptime;
    char         remote_ip[PH_IP_MAX + 1];
    char         boot_id[PH_BOOT_MAX + 1];
    /* The flap events' own (PH_EV_FLAP, PH_EV_FLAP_END; 0 for the
     * others): the queue line of a flap event is "ev2", the others keep
     * "ev1", which an older module reads. */
    int          state;             /* ph_state_e at the event */
    apr_uint32_t flaps;             /* changes counted */
    apr_uint32_t flap_period;       /* seconds */
    apr_time_t   since;             /* when the current state began */
} ph_event_t;

/** Copy the facts of @a d into an event. */
void ph_event_from_device(ph_event_t *e, const ph_device_t *d, int kind,
                          int former, apr_time_t now);

/** The queue's line for @a e, without a newline. */
const char *ph_event_format(apr_pool_t *p, const ph_event_t *e);

/** Parse a queue line; NULL on success, else why it is not one. */
const char *ph_event_parse(ph_event_t *e, const char *line);

/** One JSON object for the event log. */
const char *ph_event_json(apr_pool_t *p, const ph_event_t *e,
                          const char *display);

/** Whether @a kind is a flap event (PH_EV_FLAP, PH_EV_FLAP_END): its
 *  queue line is "ev2", it tells the device's state and its changes. */
int ph_event_is_flap(int kind);

/** "Error" for a down event, "Flapping" and "Stable" for the flap events,
 *  "Good" for the others. */
const char *ph_event_word(int kind);

#endif /* PH_EVENT_H */
