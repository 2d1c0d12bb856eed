/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_lease.h
 * @brief A lease in shared memory: which child runs one of the module's
 *        jobs (detection, mail, channels).  Every child runs a watchdog
 *        thread for each job; the one that holds the job's lease does the
 *        work and renews the lease's heartbeat (monotonic) every time it
 *        looks, about ten times a second.  Another child takes the lease
 *        over when the heartbeat is older than PH_LEASE_STALE and the
 *        holder is gone (no such process, a zombie, not a child of our
 *        parent), or is of an older httpd generation, or has not renewed
 *        for the job's wedged bound although it lives (stopped, hung).
 *        A holder that is merely slow (a long SMTP exchange) keeps it:
 *        the job is never done by two children at once, except by one
 *        that was wedged for longer than that bound (it checks its lease
 *        before each file and stops at the first look after it lost it).
 *
 * Nothing here locks: the caller holds the table's mutex, except for
 * ph_lease_idle(), a read without it.
 */

#ifndef PH_LEASE_H
#define PH_LEASE_H

#include <apr.h>
#include <apr_time.h>

#define PH_LEASE_DETECT     0
#define PH_LEASE_MAIL       1
#define PH_LEASE_NOTIFY     2
#define PH_LEASE_BEATTO     3     /* PhoneHomeBeatTo */
#define PH_LEASE_N          4

/* How old a heartbeat must be before anyone asks whether its holder
 * lives: three looks missed. */
#define PH_LEASE_STALE      apr_time_from_msec(300)

typedef struct ph_lease_t {
    apr_uint32_t pid;               /* the holder; 0: nobody */
    apr_uint32_t takes;             /* counted up at every take (never 0
                                     * once taken) */
    apr_int32_t  generation;        /* the holder's httpd generation */
    apr_uint32_t wedged_takes;      /* takes from a holder that lived */
    apr_time_t   beat;              /* monotonic: the holder's last look */
    apr_time_t   ran;               /* monotonic: when the job last ran */
} ph_lease_t;

/** Who is looking. */
typedef struct ph_lease_me_t {
    apr_uint32_t pid;
    apr_int32_t  generation;
    apr_uint32_t takes;             /* of the lease I hold; 0: none */
} ph_lease_me_t;

typedef enum {
    PH_LEASE_THEIRS = 0,            /* another child holds it */
    PH_LEASE_MINE,                  /* I hold it, renewed */
    PH_LEASE_TAKEN                  /* I have just taken it */
} ph_lease_e;

/** What the caller found out about the holder (ph_lease_holder()). */
typedef enum {
    PH_HOLDER_UNASKED = 0,          /* not asked: its heartbeat is fresh */
    PH_HOLDER_ALIVE,
    PH_HOLDER_GONE
} ph_holder_e;

/**
 * Without the lock: whether @a me may leave the lease alone (another
 * child holds it and its heartbeat is fresh).  A torn read only means
 * a look under the lock.
 */
int ph_lease_idle(const ph_lease_t *l, const ph_lease_me_t *me,
                  apr_time_t now);

/**
 * Without the lock: the pid whose life the caller must check before
 * ph_lease_look(), or 0 (nobody to ask about).
 */
apr_uint32_t ph_lease_ask(const ph_lease_t *l, const ph_lease_me_t *me,
                          apr_time_t now);

/**
 * Under the lock: renew, take or leave the lease.  @a asked_pid and
 * @a holder are what ph_lease_ask() named and what the caller found out
 * about it outside the lock (ignored if the lease has changed since).
 * @a wedged: how long a living holder may go without renewing.
 * @a me->takes is set to the lease's takes when it is mine, else 0.
 * @a from_live, if not NULL, is set when the take was from a living
 * holder (wedged) and left alone otherwise.
 */
ph_lease_e ph_lease_look(ph_lease_t *l, ph_lease_me_t *me, apr_time_t now,
                         apr_uint32_t asked_pid, ph_holder_e holder,
                         apr_interval_time_t wedged, int *from_live);

/**
 * Under the lock, by the holder in the middle of its job (before each
 * file it sends): renew the heartbeat if the lease is still mine.
 * @return 1 if it is, 0 if another child has taken it (stop now)
 */
int ph_lease_renew(ph_lease_t *l, const ph_lease_me_t *me, apr_time_t now);

/**
 * Under the lock, by the holder: whether its job is due (@a interval
 * since it last ran, by whichever child); if so it is marked run now.
 */
int ph_lease_due(ph_lease_t *l, apr_time_t now,
                 apr_interval_time_t interval);

#endif /* PH_LEASE_H */
