/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_device.h
 * @brief One device's record, exactly as it lives in a shared memory slot.
 *
 * The record is plain old data: fixed-size, no pointers, so that every child
 * process can read it at its own mapping address and slotmem can persist it
 * to a file byte for byte.  Bump PH_DEVICE_VERSION when the layout changes.
 */

#ifndef PH_DEVICE_H
#define PH_DEVICE_H

#include <apr.h>
#include <apr_time.h>

#include "ph_wire.h"

#define PH_DEVICE_VERSION   9

#define PH_NAME_MAX         63      /* longest device name */
#define PH_IP_MAX           47      /* longest IPv6 text form + zone slack */
#define PH_UA_MAX           127     /* User-Agent is truncated to this */
#define PH_BOOT_MAX         36      /* a boot id is a UUID */

typedef enum {
    PH_STATE_UNKNOWN = 0,           /* never heard from */
    PH_STATE_UP      = 1,
    PH_STATE_DOWN    = 2,
    PH_STATE_PAUSED  = 3            /* no alerts: see ph_fsm_pause */
} ph_state_e;

/* ph_device_t.flags */
#define PH_DEV_DECLARED     0x01    /* named by a PhoneHomeDevice directive */
#define PH_DEV_HAS_CLIENT_T 0x02    /* client_time and skew are known */
#define PH_DEV_HAS_UPTIME   0x04
#define PH_DEV_HAS_SEQ      0x08
#define PH_DEV_REBOOTED     0x10    /* came back up with a new boot id */
#define PH_DEV_ARMED        0x20    /* may alert (see ph_arm.h) */
#define PH_DEV_PAUSE_BEAT   0x40    /* heard while paused */
#define PH_DEV_ACROSS       0x0100  /* up when the monitor stopped, not yet
                                     * told of (ph_downtime.h) */

/* A token bucket's state (see ph_rate.h), kept where its owner lives. */
typedef struct ph_bucket_state_t {
    apr_time_t   stamp;             /* last refill; 0: a full bucket */
    apr_uint32_t milli;             /* tokens x 1000 */
    apr_uint32_t pad;
} ph_bucket_state_t;

typedef struct ph_device_t {
    char         name[PH_NAME_MAX + 1];     /* "" marks a free slot */
    char         remote_ip[PH_IP_MAX + 1];
    char         user_agent[PH_UA_MAX + 1]; /* sanitised, see ph_text */
    char         boot_id[PH_BOOT_MAX + 1];
    apr_time_t   first_seen;        /* server time of the first beat, 0 if none */
    apr_time_t   last_seen;         /* server time of the last beat, 0 if none */
    apr_time_t   since;             /* when the current state began */
    apr_time_t   gap_start;         /* last beat before the one that ended
                                     * an outage, for "down for N s" */
    /* The same two instants on the monotonic clock (ph_fsm.h): deadlines
     * are measured on it, so a step of the wall clock moves none.  Valid
     * for one boot of the server; a cold start rebases them from the wall
     * times above (ph_fsm_rebase). */
    apr_time_t   last_mono;
    apr_time_t   gap_mono;
    apr_time_t   since_mono;        /* since, monotonic: ArmAfter counts on
                                     * it (new in version 6) */
    apr_int64_t  client_time;       /* the client's clock, epoch seconds */
    apr_int64_t  skew;              /* client_time - server time, seconds */
    apr_int64_t  uptime;            /* the client's uptime, seconds */
    apr_uint64_t seq;               /* the client's own counter; for a
                                     * keyed device, the floor to pass */
    apr_uint64_t key_id;            /* ph_sig_key_id() of the key the seq
                                     * belongs to; 0: none */
    apr_uint64_t beats;             /* beats accepted from this device */
    ph_bucket_state_t rate;         /* PhoneHomeRateLimit */
    /* A pause (ph_fsm_pause): when a timed one ends, on the wall clock
     * (display, JSON, the snapshot) and on the monotonic clock (the
     * deadline; rebased at a cold start); both 0 while it lasts until
     * resumed.  fresh_mono is the last resume: MaxAge counts from there
     * too, so a device is never down the moment a pause ends. */
    apr_time_t   paused_until;
    apr_time_t   pause_mono;
    apr_time_t   fresh_mono;
    apr_uint32_t max_age;           /* seconds; refreshed from config */
    apr_uint16_t flags;             /* PH_DEV_* */
    apr_byte_t   state;             /* ph_state_e */
    apr_byte_t   reported;          /* the state the watchdog last reported */
    apr_byte_t   paused_from;       /* the state a pause began in */
    apr_byte_t   version;           /* PH_DEVICE_VERSION */
    /* Version 7 and later: every field added to the layout goes after
     * `version`, so that the previous layout is this one's prefix and a
     * snapshot of it is read by copying and zeroing the rest
     * (ph_snapshot_from_v6).  Budget: the slot stays at most 484 bytes
     * (512 a device with the index, free list and address table). */
    /* Version 8: flap damping (ph_flap.h).  The limit is refreshed from
     * the configuration like max_age; the times are monotonic seconds
     * (ph_fsm_rebase moves them to a new boot's clock). */
    apr_uint32_t flap_start;        /* the window's first change */
    apr_uint32_t flap_last;         /* the last change */
    apr_uint32_t flap_period;       /* seconds; 0: no flap damping */
    apr_uint32_t flap_count;        /* changes in the window, or while
                                     * flapping */
    apr_uint16_t flap_limit;        /* more changes than this: flapping */
    apr_byte_t   flapping;          /* PH_FLAP_* */
    /* Version 9: maintenance windows and reminders.  remind_every is
     * refreshed from the configuration like max_age; remind_next is in
     * monotonic seconds like the flap times (ph_fsm_rebase moves it). */
    apr_byte_t   maint;             /* in a PhoneHomeMaintenance window at
                                     * the last tick: 1, else 0 */
    apr_uint32_t remind_every;      /* seconds; 0: no reminders */
    apr_uint32_t remind_next;       /* the next reminder is due; 0: none */
    apr_uint16_t remind_count;      /* reminders sent in this outage */
    apr_uint16_t spare9;            /* 0 */
    apr_uint32_t spare9b;           /* 0: the 8-byte alignment, named */
} ph_device_t;

/** Lower-case name of a state as used in every status format. */
const char *ph_state_name(int state);

/** The seed's word for a state in mail: "Good", "Error". */
const char *ph_state_mail_word(int state);

struct ph_beat_t;

/**
 * Record an accepted beat in a device's slot: times, counters, the facts
 * the beat carried.  A field the beat lacks is marked unknown rather than
 * left stale, except the boot id, which stays until a new one arrives.
 * A beat ends unknown and down at once (the status page shows it
 * immediately); the watchdog reports the change.  A down device that comes
 * back with another boot id lost power or was rebooted.
 * @param now         the server's receive time (wall clock, for display)
 * @param mono        the same instant on the monotonic clock: the only
 *                    clock that decides states
 * @param remote_ip   the client address as httpd sees it
 * @param user_agent  raw header value or NULL; sanitised and truncated here
 */
void ph_device_record_beat(ph_device_t *d, const struct ph_beat_t *b,
                           apr_time_t now, apr_time_t mono,
                           const char *remote_ip,
                           const char *user_agent);

/**
 * Where a keyed device's seq floor stands at a start: a signed beat is
 * accepted once, so a seq that may have been lost must not go back.
 * A new key (or a new slot, or a record of another layout, all of which
 * have no key id yet) starts at @a now_ms; so does a start after anything
 * but a clean stop (@a lost), when the floor is lower.  Honest clients
 * send a seq of at least their clock in milliseconds, so they pass at once.
 * @param key_id  this configuration's key id (ph_sig_key_id), never 0
 * @param now_ms  the start's wall clock, epoch milliseconds
 * @return 1 if the floor was raised or reset
 */
int ph_device_seq_start(ph_device_t *d, apr_uint64_t key_id,
                        apr_uint64_t now_ms, int lost);

#endif /* PH_DEVICE_H */
