/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Jobs on leases: detection, the mail and channel senders and the beat to
 * other monitors each run on a watchdog in every child; the child holding
 * the job's lease in shared memory (core ph_lease.c) does the work, and a
 * live child takes over within a second when the holder dies.
 * mod_watchdog's singleton, used before, hands over in up to ten seconds.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "mod_watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_jobs.h"
#include "ph_lease.h"

APLOG_USE_MODULE(phonehome);


typedef struct ph_job_t {
    server_rec                *s;
    int                        role;        /* PH_LEASE_* */
    const char                *what;        /* for the log */
    apr_interval_time_t        interval;    /* the job's own tick */
    apr_interval_time_t        wedged;      /* a living holder's bound */
    ap_watchdog_callback_fn_t *callback;
    ph_lease_me_t              me;
    int                        started;     /* callback STARTING was run */
} ph_job_t;

/* This process's jobs (each child its own copy). */
static ph_job_t *ph_jobs[PH_LEASE_N];

/* Whether the process @a pid that held a lease is still there to finish
 * what it was doing: not gone, not a zombie, a child of our parent (else
 * its pid was reused).  Without /proc, only kill() can tell. */
static int ph_pid_alive(apr_uint32_t pid)
{
    char path[64], buf[512], *close_paren, state;
    unsigned long ppid;
    ssize_t n;
    int fd;

    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        return 0;
    }
    apr_snprintf(path, sizeof(path), "/proc/%lu/stat", (unsigned long)pid);
    if ((fd = open(path, O_RDONLY)) < 0) {
        return 1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return 1;
    }
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold anything, so the last ')'. */
    if ((close_paren = strrchr(buf, ')')) == NULL || close_paren[1] == '\0'
        || close_paren[2] == '\0') {
        return 1;
    }
    state = close_paren[2];
    if (state == 'Z' || state == 'X' || state == 'x') {
        return 0;
    }
    ppid = strtoul(close_paren + 3, NULL, 10);
    return ppid == (unsigned long)getppid();
}

static void ph_job_tick(ph_job_t *j, apr_pool_t *pool)
{
    ph_lease_t *l;
    ph_holder_e holder = PH_HOLDER_UNASKED;
    apr_uint32_t ask, from = 0;
    apr_time_t now = ph_mono_now(), age = 0;
    int due = 0, from_live = 0;
    ph_lease_e got;

    if (!ph_runtime_ready()) {
        return;
    }
    l = &ph_runtime_table()->hdr->leases[j->role];
    /* The common case costs no lock: another child holds it, fresh. */
    if (j->me.takes == 0 && ph_lease_idle(l, &j->me, now)) {
        return;
    }
    /* Whether a stale holder lives is asked outside the lock. */
    if ((ask = ph_lease_ask(l, &j->me, now)) != 0) {
        holder = ph_pid_alive(ask) ? PH_HOLDER_ALIVE : PH_HOLDER_GONE;
        /* Slow, not dead (a long SMTP exchange): no lock either, so that
         * a hundred prefork children do not queue on it meanwhile. */
        if (holder == PH_HOLDER_ALIVE && l->beat <= now
            && now - l->beat < j->wedged) {
            return;
        }
    }
    if (ph_runtime_lock() != APR_SUCCESS) {
        return;
    }
    now = ph_mono_now();
    from = l->pid;
    age = l->beat && l->beat <= now ? now - l->beat : 0;
    got = ph_lease_look(l, &j->me, now, ask, holder, j->wedged, &from_live);
    if (got != PH_LEASE_THEIRS) {
        due = ph_lease_due(l, now, j->interval);
    }
    ph_unlock();

    if (got == PH_LEASE_THEIRS) {
        if (j->started) {
            /* It was wedged past its bound and another child took over:
             * whatever it was doing is dropped, at once. */
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, j->s,
                         PHLOGNO(00162) "%s: process %" APR_PID_T_FMT
                         " lost its lease to process %lu and stops", j->what,
                         getpid(), (unsigned long)l->pid);
            j->started = 0;
            j->callback(AP_WATCHDOG_STATE_STOPPING, j->s, pool);
        }
        return;
    }
    if (got == PH_LEASE_TAKEN) {
        if (from_live) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, j->s,
                         PHLOGNO(00161) "%s: process %lu held it but has "
                         "not renewed its lease for %" APR_TIME_T_FMT
                         " ms though it lives (stopped or hung): process %"
                         APR_PID_T_FMT " takes over", j->what,
                         (unsigned long)from, apr_time_as_msec(age),
                         getpid());
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, j->s,
                         PHLOGNO(00160) "%s: process %" APR_PID_T_FMT
                         " takes the lease (held by %lu, renewed %"
                         APR_TIME_T_FMT " ms ago, %s)", j->what, getpid(),
                         (unsigned long)from, apr_time_as_msec(age),
                         from == 0 ? "nobody" : holder == PH_HOLDER_GONE
                         ? "gone" : "of an older generation");
        }
        if (j->started) {
            j->callback(AP_WATCHDOG_STATE_STOPPING, j->s, pool);
        }
        j->callback(AP_WATCHDOG_STATE_STARTING, j->s, pool);
        j->started = 1;
    }
    if (due) {
        j->callback(AP_WATCHDOG_STATE_RUNNING, j->s, pool);
    }
}

static apr_status_t ph_job_callback(int state, void *data, apr_pool_t *pool)
{
    ph_job_t *j = data;
    int gen = 0;

    switch (state) {
    case AP_WATCHDOG_STATE_STARTING:
        ap_mpm_query(AP_MPMQ_GENERATION, &gen);
        j->me.pid = (apr_uint32_t)getpid();
        j->me.generation = gen;
        j->me.takes = 0;
        j->started = 0;
        ph_jobs[j->role] = j;
        break;
    case AP_WATCHDOG_STATE_RUNNING:
        ph_job_tick(j, pool);
        break;
    case AP_WATCHDOG_STATE_STOPPING:
        /* Not given back: the lease passes when this process is gone
         * (a moment), so nothing it still finishes is done twice. */
        if (j->started) {
            j->started = 0;
            j->callback(AP_WATCHDOG_STATE_STOPPING, j->s, pool);
        }
        break;
    }
    return APR_SUCCESS;
}

int ph_watchdog_keep(int role)
{
    ph_job_t *j = role >= 0 && role < PH_LEASE_N ? ph_jobs[role] : NULL;
    int mine;

    if (j == NULL || !ph_runtime_ready()
        || ph_runtime_lock() != APR_SUCCESS) {
        return 0;
    }
    mine = ph_lease_renew(&ph_runtime_table()->hdr->leases[role], &j->me,
                          ph_mono_now());
    ph_unlock();
    return mine;
}

apr_status_t ph_watchdog_leased(apr_pool_t *pconf, server_rec *s,
                                const char *name, int role, const char *what,
                                apr_interval_time_t interval,
                                apr_interval_time_t wedged,
                                ap_watchdog_callback_fn_t *callback)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_callback;
    ph_job_t *j;
    ap_watchdog_t *w;
    apr_status_t rv;

    get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!get_instance || !register_callback) {
        return APR_ENOTIMPL;
    }
    j = apr_pcalloc(pconf, sizeof(*j));
    j->s = s;
    j->role = role;
    j->what = what;
    j->interval = interval;
    j->wedged = wedged;
    j->callback = callback;
    /* A child watchdog in every child (prefork has no parent ones); not
     * mod_watchdog's singleton, whose handover waits up to ten seconds. */
    rv = get_instance(&w, name, 0, 0, pconf);
    if (rv == APR_SUCCESS) {
        rv = register_callback(w, PH_JOB_LOOK, j, ph_job_callback);
    }
    return rv;
}

/* Keyed devices' seq floors at a start (see ph_device_seq_start): after
 * anything but a clean stop (@a lost) no beat signed before it passes. */
