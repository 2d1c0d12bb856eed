/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Two clocks (issue 15 item 1): deadlines, the startup grace and the
 * digest window on the monotonic clock; wall time for display and for what
 * survives a reboot.  A step of the wall clock, either way, of any size,
 * raises no alarm and delays none.
 */

#include <check.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "ph_beat.h"
#include "ph_device.h"
#include "ph_fsm.h"
#include "ph_outbox.h"

Suite *test_clock_suite(void);

#define SEC(n)      apr_time_from_sec(n)
#define WALL0       SEC(1360000000)     /* the wall clock at startup */
#define MONO0       SEC(5000)           /* the monotonic clock then */

static apr_pool_t *pool;

static void clock_setup(void)
{
    ck_assert_int_eq(apr_initialize(), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void clock_teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
    apr_terminate();
}

static void ctx_at(ph_fsm_ctx_t *c, apr_time_t mono, apr_time_t wall,
                   apr_interval_time_t grace)
{
    memset(c, 0, sizeof(*c));
    c->started = MONO0;
    c->grace = grace;
    c->now = mono;
    c->wall = wall;
}

static void beat_at(ph_device_t *d, apr_time_t wall, apr_time_t mono)
{
    ph_beat_t b;

    memset(&b, 0, sizeof(b));
    ph_device_record_beat(d, &b, wall, mono, "192.0.2.1", "test");
}

static void dev(ph_device_t *d, apr_uint32_t max_age, apr_uint16_t flags)
{
    memset(d, 0, sizeof(*d));
    apr_cpystrn(d->name, "kitchen-pi", sizeof(d->name));
    d->version = PH_DEVICE_VERSION;
    d->max_age = max_age;
    d->flags = flags;
}

/* Step at (mono, wall); the event. */
static ph_event_e step(ph_device_t *d, apr_time_t mono, apr_time_t wall,
                       apr_interval_time_t grace)
{
    ph_fsm_ctx_t c;
    int former;

    ctx_at(&c, mono, wall, grace);
    return ph_fsm_step(d, &c, &former);
}

/* A device beating every second while the wall clock steps by @a step
 * (either way) never goes down; once it stops, it goes down exactly
 * MaxAge after its last beat on the monotonic clock, not MaxAge + step. */
static void steady_then_silent(apr_interval_time_t wall_step,
                               apr_uint32_t max_age, int in_grace)
{
    apr_interval_time_t grace = in_grace ? SEC(60) : 0;
    apr_time_t mono = MONO0 + (in_grace ? SEC(5) : SEC(120));
    apr_time_t wall = WALL0 + (mono - MONO0);
    apr_time_t last, due;
    ph_device_t d;
    int i;

    dev(&d, max_age, PH_DEV_DECLARED);
    for (i = 0; i < 30; i++, mono += SEC(1), wall += SEC(1)) {
        if (i == 10) {
            wall += wall_step;
        }
        beat_at(&d, wall, mono);
        ck_assert_msg(step(&d, mono, wall, grace) == PH_EV_NONE
                      || i == 0, "beat %d: an event for a steady device "
                      "(step %" APR_TIME_T_FMT " s)", i,
                      apr_time_sec(wall_step));
        ck_assert_int_eq(d.state, PH_STATE_UP);
    }
    last = mono - SEC(1);
    /* MaxAge after the last beat, or the end of the grace if later. */
    due = last + SEC(max_age) > MONO0 + grace ? last + SEC(max_age)
                                              : MONO0 + grace;
    /* Silent from here on; a later tick in the step's direction again. */
    wall += wall_step;
    for (; mono <= due; mono += SEC(1), wall += SEC(1)) {
        ck_assert_msg(step(&d, mono, wall, grace) == PH_EV_NONE,
                      "down %" APR_TIME_T_FMT " s early (step %"
                      APR_TIME_T_FMT " s)", apr_time_sec(due - mono),
                      apr_time_sec(wall_step));
    }
    ck_assert_msg(step(&d, due + 1, wall, grace)
                  == PH_EV_DOWN, "not down MaxAge after the last beat "
                  "(step %" APR_TIME_T_FMT " s)", apr_time_sec(wall_step));
    /* The state's start is shown on the wall clock. */
    ck_assert(d.since == wall);
}

START_TEST(clock_wall_steps_raise_no_alarm_and_delay_none)
{
    static const apr_int64_t steps[] = { 600, -60, 86400, -86400, 1, -1 };
    unsigned int i;

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        steady_then_silent(SEC(steps[i]), 4, 0);
        steady_then_silent(SEC(steps[i]), 20, 0);
        steady_then_silent(SEC(steps[i]), 4, 1);    /* during the grace */
    }
}
END_TEST

/* The startup grace is monotonic too: a wall step neither ends it early
 * (false alarms for devices not heard yet) nor stretches it. */
START_TEST(clock_grace_ignores_the_wall_clock)
{
    ph_device_t d;
    ph_fsm_ctx_t c;

    dev(&d, 10, PH_DEV_DECLARED);       /* declared, never heard from */
    ctx_at(&c, MONO0 + SEC(30), WALL0 + SEC(86400), SEC(60));
    ck_assert(ph_fsm_deadline(&d, &c) == MONO0 + SEC(70));
    ck_assert_int_eq(step(&d, MONO0 + SEC(70), WALL0 + SEC(86400), SEC(60)),
                     PH_EV_NONE);
    ck_assert_int_eq(step(&d, MONO0 + SEC(70) + 1, WALL0 - SEC(3600),
                          SEC(60)), PH_EV_DOWN);
}
END_TEST

START_TEST(clock_wall_of_reads_today)
{
    ph_fsm_ctx_t c;

    ctx_at(&c, MONO0 + SEC(100), WALL0 + SEC(700), 0);  /* stepped +600 */
    ck_assert(ph_fsm_wall_of(&c, MONO0 + SEC(90)) == WALL0 + SEC(690));
    ck_assert(ph_fsm_wall_of(&c, c.now) == c.wall);
}
END_TEST

/* A cold start, perhaps after a reboot: monotonic times from wall times. */
START_TEST(clock_rebase_from_wall_times)
{
    apr_time_t wall_now = WALL0 + SEC(1000), mono_now = SEC(3);
    ph_device_t d;

    /* Heard 30 s ago, after an outage of 50 s. */
    dev(&d, 60, 0);
    d.state = d.reported = PH_STATE_UP;
    d.last_seen = wall_now - SEC(30);
    d.gap_start = d.last_seen - SEC(50);
    d.last_mono = SEC(123456789);       /* the old boot's clock */
    d.gap_mono = SEC(1);
    d.rate.stamp = SEC(123456789);
    d.rate.milli = 0;
    ph_fsm_rebase(&d, wall_now, mono_now);
    ck_assert(d.last_mono == mono_now - SEC(30));
    ck_assert(d.last_mono - d.gap_mono == SEC(50));
    ck_assert(d.rate.stamp == 0);       /* a full bucket */
    ck_assert(d.last_seen == wall_now - SEC(30));   /* display unchanged */

    /* Heard "in the future": the wall clock stepped back while httpd was
     * stopped.  No gap at all: a whole MaxAge from now, no false alarm. */
    dev(&d, 60, 0);
    d.state = d.reported = PH_STATE_UP;
    d.last_seen = wall_now + SEC(7200);
    ph_fsm_rebase(&d, wall_now, mono_now);
    ck_assert(d.last_mono == mono_now);
    {
        ph_fsm_ctx_t c;

        ctx_at(&c, mono_now, wall_now, 0);
        c.started = mono_now;
        ck_assert(ph_fsm_deadline(&d, &c) == mono_now + SEC(60));
    }

    /* Heard long ago (or the clock stepped forward while stopped): held
     * by the startup grace like any overdue device. */
    dev(&d, 60, 0);
    d.state = d.reported = PH_STATE_UP;
    d.last_seen = wall_now - SEC(86400 * 30);
    ph_fsm_rebase(&d, wall_now, mono_now);
    {
        ph_fsm_ctx_t c;

        ctx_at(&c, mono_now, wall_now, SEC(60));
        c.started = mono_now;
        ck_assert(ph_fsm_deadline(&d, &c) == mono_now + SEC(60));
    }

    /* Never heard from: nothing to rebase. */
    dev(&d, 60, PH_DEV_DECLARED);
    ph_fsm_rebase(&d, wall_now, mono_now);
    ck_assert(d.last_mono == 0 && d.gap_mono == 0);
}
END_TEST

static apr_array_header_t *names(const char *a, const char *b)
{
    apr_array_header_t *n = apr_array_make(pool, 2, sizeof(const char *));

    if (a) {
        APR_ARRAY_PUSH(n, const char *) = a;
    }
    if (b) {
        APR_ARRAY_PUSH(n, const char *) = b;
    }
    return n;
}

/* The digest window on the monotonic stamps of the queue files. */
START_TEST(clock_queue_due_on_monotonic_stamps)
{
    apr_time_t now = SEC(1000);
    const char *at995 = apr_psprintf(pool, "%" APR_TIME_T_FMT "-1-1.ev",
                                     SEC(995));
    const char *at990 = apr_psprintf(pool, "%" APR_TIME_T_FMT "-1-2.ev",
                                     SEC(990));
    const char *later = apr_psprintf(pool, "%" APR_TIME_T_FMT "-1-3.ev",
                                     SEC(2000));
    /* A file named by the wall clock (an older layout). */
    const char *wall = apr_psprintf(pool, "%" APR_TIME_T_FMT "-1-4.ev",
                                    WALL0);

    ck_assert(!ph_queue_due(names(NULL, NULL), now, SEC(10)));
    ck_assert(!ph_queue_due(names(at995, NULL), now, SEC(10)));
    ck_assert(ph_queue_due(names(at995, at990), now, SEC(10)));
    ck_assert(ph_queue_due(names(at990, NULL), now, SEC(10)));
    /* From another boot or another layout: at once, never held back. */
    ck_assert(ph_queue_due(names(later, NULL), now, SEC(10)));
    ck_assert(ph_queue_due(names(wall, at995), now, SEC(10)));
}
END_TEST

/* A retry's wall-clock wait: a step back never delays it. */
START_TEST(clock_outbox_retry_survives_a_step_back)
{
    apr_time_t now = WALL0;

    ck_assert(ph_outbox_due(0, now, SEC(600)));
    ck_assert(ph_outbox_due(now, now, SEC(600)));
    ck_assert(!ph_outbox_due(now + SEC(5), now, SEC(600)));
    ck_assert(!ph_outbox_due(now + SEC(600), now, SEC(600)));
    /* Waiting longer than any backoff: the clock went back. */
    ck_assert(ph_outbox_due(now + SEC(601), now, SEC(600)));
    ck_assert(ph_outbox_due(now + SEC(86400), now, SEC(600)));
}
END_TEST

Suite *test_clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("clock");

    tcase_add_checked_fixture(tc, clock_setup, clock_teardown);
    tcase_add_test(tc, clock_wall_steps_raise_no_alarm_and_delay_none);
    tcase_add_test(tc, clock_grace_ignores_the_wall_clock);
    tcase_add_test(tc, clock_wall_of_reads_today);
    tcase_add_test(tc, clock_rebase_from_wall_times);
    tcase_add_test(tc, clock_queue_due_on_monotonic_stamps);
    tcase_add_test(tc, clock_outbox_retry_survives_a_step_back);
    suite_add_tcase(s, tc);
    return s;
}
