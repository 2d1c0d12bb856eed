/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_beat.h"
#include "ph_device.h"
#include "ph_text.h"

const char *ph_state_name(int state)
{
    switch (state) {
    case PH_STATE_UP:
        return "up";
    case PH_STATE_DOWN:
        return "down";
    case PH_STATE_PAUSED:
        return "paused";
    default:
        return "unknown";
    }
}

const char *ph_state_mail_word(int state)
{
    switch (state) {
    case PH_STATE_UP:
        return "Good";
    case PH_STATE_DOWN:
        return "Error";
    case PH_STATE_PAUSED:
        return "Paused";
    default:
        return "no state";
    }
}

void ph_device_record_beat(ph_device_t *d, const ph_beat_t *b, apr_time_t now,
                           apr_time_t mono, const char *remote_ip,
                           const char *user_agent)
{
    if (d->first_seen == 0) {
        d->first_seen = now;
    }
    /* Coming back: down, or paused while down and first heard now. */
    if (d->state == PH_STATE_DOWN
        || (d->state == PH_STATE_PAUSED && d->paused_from == PH_STATE_DOWN
            && !(d->flags & PH_DEV_PAUSE_BEAT))) {
        d->gap_start = d->last_seen;
        d->gap_mono = d->last_mono;
        d->flags &= ~PH_DEV_REBOOTED;
        if ((b->seen & PH_BEAT_BOOT) && d->boot_id[0]
            && strcmp(d->boot_id, b->boot) != 0) {
            d->flags |= PH_DEV_REBOOTED;
        }
    }
    d->last_seen = now;
    d->last_mono = mono;
    d->beats++;
    apr_cpystrn(d->remote_ip, remote_ip ? remote_ip : "", sizeof(d->remote_ip));
    ph_text_sanitize(d->user_agent, sizeof(d->user_agent),
                     user_agent ? user_agent : "");

    if (b->seen & PH_BEAT_T) {
        d->client_time = b->t;
        d->skew = b->t - (apr_int64_t)apr_time_sec(now);
        d->flags |= PH_DEV_HAS_CLIENT_T;
    }
    else {
        d->flags &= ~PH_DEV_HAS_CLIENT_T;
    }
    if (b->seen & PH_BEAT_BOOT) {
        apr_cpystrn(d->boot_id, b->boot, sizeof(d->boot_id));
    }
    if (b->seen & PH_BEAT_UP) {
        d->uptime = b->up;
        d->flags |= PH_DEV_HAS_UPTIME;
    }
    else {
        d->flags &= ~PH_DEV_HAS_UPTIME;
    }
    if (b->seen & PH_BEAT_SEQ) {
        d->seq = b->seq;
        d->flags |= PH_DEV_HAS_SEQ;
    }
    else {
        d->flags &= ~PH_DEV_HAS_SEQ;
    }
    if (d->state == PH_STATE_PAUSED) {
        d->flags |= PH_DEV_PAUSE_BEAT;
    }
    /* The watchdog reports the change, and owns every other transition. */
    if (d->state == PH_STATE_UNKNOWN || d->state == PH_STATE_DOWN) {
        d->state = PH_STATE_UP;
        d->since = now;
    }
}

int ph_device_seq_start(ph_device_t *d, apr_uint64_t key_id,
                        apr_uint64_t now_ms, int lost)
{
    if (d->key_id != key_id) {
        /* Nothing signed with this key was accepted before: start here,
         * lower than before if need be (the server-side reset). */
        d->key_id = key_id;
        d->seq = now_ms;
        return 1;
    }
    if (lost && d->seq < now_ms) {
        d->seq = now_ms;
        return 1;
    }
    return 0;
}
