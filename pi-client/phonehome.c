/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * phonehome: tell a mod_phonehome server that this device is alive.
 *
 *   phonehome [options] URL [URL...]              one beat, then exit (cron)
 *   phonehome --interval S [options] URL [URL...] a beat every S seconds
 *
 * A beat is a GET of URL with device, t (our clock), boot (the boot id),
 * up (the uptime), seq (a counter that only grows) and, with --key-file,
 * sig (HMAC-SHA256 of those values under a key the server shares).  The
 * server decides with its own clock, so a wrong clock here is only
 * reported, never trusted.  The man page, phonehome(1), is the reference.
 *
 * The files, one concern each (as curl's tool): phonehome_opts.c (the
 * options), phonehome_cfg.c (the config file), phonehome_url.c (the URLs
 * and the device they name), phonehome_beat.c (building and sending a
 * beat), phonehome_reply.c (reading the answer), phonehome_state.c (the
 * seq), phonehome_msgs.c (every message); this file runs them: once for
 * cron, or as a daemon.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "phonehome_beat.h"
#include "phonehome_cfg.h"
#include "phonehome_msgs.h"
#include "phonehome_opts.h"

#define BACKOFF_FIRST       5.0     /* seconds, doubled while unreachable */
#define RETRY_WAIT_MAX      600.0   /* seconds, as curl's --retry */

static sigset_t stop_signals;

static double monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Wait @a seconds.  In daemon mode SIGTERM and SIGINT are blocked and
 * waited for here, so a signal that comes just before the wait is not
 * lost.  Returns 1 when one came.
 */
static int rest(const client_t *c, double seconds)
{
    double until = monotonic() + seconds, left;
    struct timespec ts;

    while ((left = until - monotonic()) > 0) {
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        if (!c->daemon) {
            nanosleep(&ts, NULL);
        }
        else if (sigtimedwait(&stop_signals, NULL, &ts) > 0) {
            return 1;
        }
    }
    return c->daemon && beat_stop_requested();
}

/*
 * One beat for cron, with --retry: waits of 1, 2, 4 ... 600 seconds, or
 * --retry-delay each; none begun after --retry-max-time.
 */
static int run_once(client_t *c)
{
    const settings_t *set = c->set;
    double wait = set->retry_delay > 0 ? set->retry_delay : 1;
    double start = monotonic();
    long tries;
    int status = beat_send(c);

    for (tries = 0; tries < set->retry && beat_worth_retrying(c, status);
         tries++) {
        if (set->retry_max_time > 0
            && monotonic() + wait - start > set->retry_max_time) {
            notef("no retry: --retry-max-time %g s would pass",
                  set->retry_max_time);
            break;
        }
        notef("retrying in %g s", wait);
        rest(c, wait);
        if (set->retry_delay == 0) {
            wait = wait * 2 < RETRY_WAIT_MAX ? wait * 2 : RETRY_WAIT_MAX;
        }
        status = beat_send(c);
    }
    return status;
}

/*
 * A beat every --interval seconds, a tenth more or less at random so that
 * many devices restarted by one power cut do not beat in step.  While the
 * server cannot be reached, try again after 5, 10, 20 ... seconds, never
 * longer than the interval.
 */
static int run_daemon(client_t *c)
{
    double interval = c->set->interval, backoff = 0, wait, start;
    int status;

    srandom((unsigned int)(time(NULL) ^ getpid()));
    for (;;) {
        start = monotonic();
        status = beat_send(c);
        if (beat_stop_requested()) {
            break;
        }
        if (status == EXIT_NETWORK) {
            backoff = backoff ? backoff * 2 : BACKOFF_FIRST;
            if (backoff > interval) {
                backoff = interval;
            }
            wait = backoff;
        }
        else {
            backoff = 0;
            wait = interval * (0.9 + 0.2 * ((double)random() / RAND_MAX));
        }
        if (rest(c, wait - (monotonic() - start))) {
            break;
        }
    }
    notef("stopping on a signal");
    return EXIT_OK;
}

static int run(settings_t *set, arg_t *args, int nargs, const char *config)
{
    client_t *c;
    struct stat sb;
    int i, status;

    /* The default config file is optional; one that exists must be good. */
    if (config == NULL && stat(DEFAULT_CONFIG, &sb) == 0) {
        config = DEFAULT_CONFIG;
    }
    if (config && !cfg_read(set, config)) {
        return EXIT_USAGE;
    }
    for (i = 0; i < nargs; i++) {
        char label[32];

        snprintf(label, sizeof(label), "--%s", args[i].opt->name);
        if (!opts_apply(set, args[i].opt, args[i].value, label, 1)) {
            return EXIT_USAGE;
        }
    }
    msg_setup(set->silent, set->show_error, set->verbose);

    if ((c = calloc(1, sizeof(*c))) == NULL) {
        return EXIT_NETWORK;
    }
    c->daemon = set->interval > 0;
    if (c->daemon) {
        /*
         * SIGTERM and SIGINT stay pending until a check: between beats
         * sigtimedwait() takes them at once, during a beat the progress
         * callback aborts it, and none can slip in between check and wait.
         */
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGTERM);
        sigaddset(&stop_signals, SIGINT);
        sigprocmask(SIG_BLOCK, &stop_signals, NULL);
    }
    status = beat_setup(c, set);
    if (status == EXIT_OK) {
        status = c->daemon ? run_daemon(c) : run_once(c);
    }
    beat_cleanup(c);
    free(c);
    return status;
}

int main(int argc, char **argv)
{
    settings_t set;
    const char *config = NULL;
    arg_t *args;
    int nargs = 0, status;

    settings_init(&set);
    args = calloc((size_t)argc + 1, sizeof(*args));
    if (args == NULL) {
        return EXIT_USAGE;
    }
    status = opts_scan(argc, argv, args, &nargs, &config);
    if (status >= 0) {
        free(args);
        return status;
    }
    /*
     * CURL_GLOBAL_NOTHING would save nothing: libcurl since 7.57 sets up
     * its TLS library either way (measured: the same resident size).
     */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        usagef("cannot initialise libcurl");
        free(args);
        return EXIT_NETWORK;
    }
    status = run(&set, args, nargs, config);
    curl_global_cleanup();
    settings_free(&set);
    free(args);
    return status;
}
