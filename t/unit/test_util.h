/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * What the unit tests of the core share: the fixture (APR and a fresh
 * pool for every test), a TCase maker, and the helpers more than one
 * unit's tests use.  Each unit's tests are t/unit/test_<unit>.c, with
 * Suite *test_<unit>_suite(void); t/unit/test_core.c runs them all.
 */

#ifndef PH_TEST_UTIL_H
#define PH_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "ph_beat.h"
#include "ph_conf.h"
#include "ph_device.h"
#include "ph_event.h"
#include "ph_fsm.h"
#include "ph_rate.h"
#include "ph_sig.h"
#include "ph_mail.h"
#include "ph_name.h"
#include "ph_notify.h"
#include "ph_notify_digest.h"
#include "ph_outbox.h"
#include "ph_snapshot.h"
#include "ph_spool.h"
#include "ph_table.h"
#include "ph_text.h"

/* A printable stand-in for a string that may be NULL, for messages. */
#define S(x) ((x) ? (x) : "(null)")

#define NELTS(a) (sizeof(a) / sizeof((a)[0]))

#define SEC(s) apr_time_from_sec(s)

/* httpd's start in these tests; any time well after the epoch will do. */
#define T_START SEC(1360000000)

/* Fri Feb  8 15:55:01 UTC 2013 */
#define T_MAIL SEC(1360338901)

/* The pool of the running test (the fixture makes and destroys it). */
extern apr_pool_t *pool;

/** A TCase named @a name in @a s, with the fixture and a 30 s timeout. */
TCase *ph_test_tcase(Suite *s, const char *name);

/* A string of @a n copies of @a c, from the pool. */
char *repeat(char c, apr_size_t n);

/* True when @a s holds a control character (a reason must be one line). */
int has_control(const char *s);

/* Parse @a args into a zeroed beat; the reason, or NULL. */
const char *parse1(ph_beat_t *b, const char *args);

/* A zeroed slot holding @a name, as ph_table_add leaves it, plus the
 * configuration the watchdog refreshes. */
void dev_init(ph_device_t *d, const char *name, apr_uint32_t max_age,
              apr_uint16_t flags);

/* Record a beat with the query @a args at @a now. */
void dev_beat(ph_device_t *d, const char *args, apr_time_t now);

/* An event as the watchdog hands it over: @a kind of @a name at @a now,
 * last heard 420 s before, after a gap of 3700 s. */
void mail_event(ph_event_t *e, int kind, const char *name, apr_time_t now);

/* An array of the addresses in NULL-terminated @a a. */
apr_array_header_t *rcpt_list(const char *const *a);

/* Two recipients, NULL-terminated. */
extern const char *const two_rcpt[];

/* A mail of @a n events to @a to, as the mailer fills it in. */
void mail_init(ph_mail_t *m, int n, const ph_event_t *const *events,
               const char *const *displays, const apr_array_header_t *to);

/* Parse @a text (all of it), expecting a refusal. */
void assert_outbox_refused(const char *text, apr_size_t len,
                           const char *what);

#endif /* PH_TEST_UTIL_H */
