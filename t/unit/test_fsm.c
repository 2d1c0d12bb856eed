/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_fsm.c: the state machine. */

#include "test_util.h"

Suite *test_fsm_suite(void);

static void fsm_ctx(ph_fsm_ctx_t *c, apr_interval_time_t grace,
                    int notify_first)
{
    memset(c, 0, sizeof(*c));
    c->started = T_START;
    c->grace = grace;
    c->notify_first = notify_first;
}

/* One step at @a now: assert the event and, unless -1, the former state. */
static void assert_step(ph_device_t *d, ph_fsm_ctx_t *c, apr_time_t now,
                        ph_event_e want, int want_former, const char *what)
{
    int former = -1;
    ph_event_e ev;

    c->now = c->wall = now;
    ev = ph_fsm_step(d, c, &former);
    ck_assert_msg(ev == want, "%s: event %d, want %d", what, (int)ev,
                  (int)want);
    ck_assert_msg(want_former < 0 || former == want_former,
                  "%s: former %d, want %d", what, former, want_former);
    ck_assert_msg(d->reported == d->state,
                  "%s: state %d left unreported (reported %d)", what,
                  d->state, d->reported);
}

/* ph_fsm_due, asked without the lock, says yes exactly when a step would
 * change the slot or report something: over every state, reported state,
 * declared or not, beat or none, grace or none and times around the
 * deadline. */
START_TEST(fsm_due_exactly_when_a_step_does_something)
{
    static const apr_interval_time_t offsets[] = {
        -SEC(100), -SEC(60), -1, 0, 1, SEC(30), SEC(60), SEC(61), SEC(1000)
    };
    ph_device_t d, copy;
    ph_fsm_ctx_t c;
    int st, rep, decl, seen, grace, nf, former;
    apr_size_t o;
    unsigned int checked = 0;

    for (st = PH_STATE_UNKNOWN; st <= PH_STATE_DOWN; st++)
    for (rep = PH_STATE_UNKNOWN; rep <= PH_STATE_DOWN; rep++)
    for (decl = 0; decl <= 1; decl++)
    for (seen = 0; seen <= 1; seen++)
    for (grace = 0; grace <= 1; grace++)
    for (nf = 0; nf <= 1; nf++)
    for (o = 0; o < NELTS(offsets); o++) {
        int due;
        ph_event_e ev;

        dev_init(&d, "due-pi", 60, decl ? PH_DEV_DECLARED : 0);
        d.state = (apr_byte_t)st;
        d.reported = (apr_byte_t)rep;
        d.last_seen = d.last_mono = seen ? T_START + SEC(10) : 0;
        fsm_ctx(&c, grace ? SEC(30) : 0, nf);
        c.now = T_START + SEC(10) + SEC(60) + offsets[o];
        copy = d;
        due = ph_fsm_due(&d, &c);
        ev = ph_fsm_step(&copy, &c, &former);
        if (due) {
            ck_assert_msg(ev != PH_EV_NONE || memcmp(&d, &copy, sizeof(d)),
                          "due but nothing done: state %d reported %d", st,
                          rep);
        }
        else {
            ck_assert_msg(ev == PH_EV_NONE && !memcmp(&d, &copy, sizeof(d)),
                          "not due but the step acted: state %d reported %d "
                          "declared %d seen %d grace %d offset %u", st, rep,
                          decl, seen, grace, (unsigned)o);
        }
        checked++;
    }
    ck_assert_uint_eq(checked, 3 * 3 * 2 * 2 * 2 * 2 * NELTS(offsets));
}
END_TEST

START_TEST(fsm_up_goes_down_strictly_past_deadline)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(1000), deadline = t1 + SEC(300);

    dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
    fsm_ctx(&c, SEC(60), 0);
    dev_beat(&d, "boot=aaaa", t1);
    assert_step(&d, &c, t1, PH_EV_NONE, PH_STATE_UNKNOWN, "first beat");
    ck_assert_uint_eq(d.reported, PH_STATE_UP);
    ck_assert(ph_fsm_deadline(&d, &c) == deadline);

    /* last_seen + MaxAge is still in time. */
    assert_step(&d, &c, t1 + SEC(1), PH_EV_NONE, -1, "a second later");
    assert_step(&d, &c, deadline, PH_EV_NONE, -1, "at the deadline");
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == t1);

    /* One microsecond later it is not. */
    assert_step(&d, &c, deadline + 1, PH_EV_DOWN, PH_STATE_UP,
                "just past the deadline");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == deadline + 1);
    ck_assert(d.last_seen == t1);
    ck_assert(ph_fsm_deadline(&d, &c) == 0);

    /* Reported once. */
    assert_step(&d, &c, deadline + SEC(1), PH_EV_NONE, PH_STATE_DOWN,
                "the next tick");
    assert_step(&d, &c, deadline + SEC(3600), PH_EV_NONE, -1,
                "an hour later");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == deadline + 1);
}
END_TEST

START_TEST(fsm_startup_grace_holds_overdue_devices)
{
    ph_device_t d, late;
    ph_fsm_ctx_t c;
    apr_time_t grace_end = T_START + SEC(600);

    /* Restored from a snapshot: up, reported, last heard an hour ago. */
    dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
    d.state = d.reported = PH_STATE_UP;
    d.first_seen = d.last_seen = d.last_mono = T_START - SEC(3600);
    d.since = d.last_seen;
    fsm_ctx(&c, SEC(600), 0);

    ck_assert(ph_fsm_deadline(&d, &c) == grace_end);
    assert_step(&d, &c, T_START, PH_EV_NONE, -1, "at startup");
    assert_step(&d, &c, T_START + SEC(1), PH_EV_NONE, -1, "in the grace");
    assert_step(&d, &c, grace_end - 1, PH_EV_NONE, -1, "end of the grace");
    assert_step(&d, &c, grace_end, PH_EV_NONE, -1, "grace just over");
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    assert_step(&d, &c, grace_end + 1, PH_EV_DOWN, PH_STATE_UP,
                "right after the grace");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == grace_end + 1);

    /* A deadline past the grace is the device's own. */
    dev_init(&late, "garage", 300, 0);
    dev_beat(&late, "", T_START + SEC(500));
    ck_assert(ph_fsm_deadline(&late, &c) == T_START + SEC(800));
    assert_step(&late, &c, T_START + SEC(800), PH_EV_NONE, -1, "in time");
    assert_step(&late, &c, T_START + SEC(800) + 1, PH_EV_DOWN, PH_STATE_UP,
                "late");

    /* Without a grace, an overdue device goes down at once. */
    dev_init(&d, "attic", 300, 0);
    d.state = d.reported = PH_STATE_UP;
    d.last_seen = d.last_mono = d.since = T_START - SEC(3600);
    fsm_ctx(&c, 0, 0);
    ck_assert(ph_fsm_deadline(&d, &c) == T_START);
    assert_step(&d, &c, T_START + 1, PH_EV_DOWN, PH_STATE_UP, "no grace");
}
END_TEST

START_TEST(fsm_declared_device_never_heard_from)
{
    ph_device_t d, stray;
    ph_fsm_ctx_t c;
    apr_time_t deadline = T_START + SEC(60) + SEC(300);

    dev_init(&d, "garage", 300, PH_DEV_DECLARED);
    fsm_ctx(&c, SEC(60), 0);
    ck_assert(ph_fsm_deadline(&d, &c) == deadline);
    assert_step(&d, &c, T_START + SEC(1), PH_EV_NONE, -1, "at startup");
    assert_step(&d, &c, T_START + SEC(61), PH_EV_NONE, -1, "after grace");
    assert_step(&d, &c, deadline, PH_EV_NONE, -1, "at the deadline");
    ck_assert_uint_eq(d.state, PH_STATE_UNKNOWN);
    assert_step(&d, &c, deadline + 1, PH_EV_DOWN, PH_STATE_UNKNOWN,
                "past the deadline");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == deadline + 1);
    ck_assert(d.last_seen == 0);
    assert_step(&d, &c, deadline + SEC(1), PH_EV_NONE, -1, "next tick");

    /* A device nobody declared and that never called cannot go down. */
    dev_init(&stray, "stray", 300, 0);
    ck_assert(ph_fsm_deadline(&stray, &c) == 0);
    assert_step(&stray, &c, deadline + 1, PH_EV_NONE, -1, "undeclared");
    assert_step(&stray, &c, T_START + SEC(86400 * 365), PH_EV_NONE, -1,
                "a year later");
    ck_assert_uint_eq(stray.state, PH_STATE_UNKNOWN);
    ck_assert_uint_eq(stray.reported, PH_STATE_UNKNOWN);
}
END_TEST

START_TEST(fsm_beat_brings_a_down_device_back_up)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(100), t2, t3, t4, t5, t6, t7;

    dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
    fsm_ctx(&c, SEC(60), 0);
    dev_beat(&d, "boot=aaaa", t1);
    assert_step(&d, &c, t1, PH_EV_NONE, -1, "first beat");
    t2 = t1 + SEC(301);
    assert_step(&d, &c, t2, PH_EV_DOWN, PH_STATE_UP, "down");

    /* Same boot id: the network was out. */
    t3 = t2 + SEC(50);
    dev_beat(&d, "boot=aaaa", t3);
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == t3);
    ck_assert(d.last_seen == t3);
    ck_assert(d.gap_start == t1);
    ck_assert_msg(!(d.flags & PH_DEV_REBOOTED), "same boot id: no reboot");
    ck_assert(d.flags & PH_DEV_DECLARED);
    ck_assert_uint_eq(d.reported, PH_STATE_DOWN);
    ck_assert(ph_fsm_deadline(&d, &c) == t3 + SEC(300));
    assert_step(&d, &c, t3, PH_EV_UP, PH_STATE_DOWN, "back up");
    assert_step(&d, &c, t3 + SEC(1), PH_EV_NONE, PH_STATE_UP, "next tick");

    /* Another boot id: the device restarted. */
    t4 = t3 + SEC(301);
    assert_step(&d, &c, t4, PH_EV_DOWN, PH_STATE_UP, "down again");
    t5 = t4 + SEC(10);
    dev_beat(&d, "boot=bbbb", t5);
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.gap_start == t3);
    ck_assert_msg(d.flags & PH_DEV_REBOOTED, "new boot id: a reboot");
    ck_assert_str_eq(d.boot_id, "bbbb");
    assert_step(&d, &c, t5, PH_EV_UP, PH_STATE_DOWN, "back up, rebooted");

    /* A beat while up leaves the mark alone. */
    dev_beat(&d, "boot=bbbb", t5 + SEC(10));
    ck_assert(d.flags & PH_DEV_REBOOTED);
    ck_assert(d.since == t5);
    ck_assert(d.gap_start == t3);

    /* No boot id at all is no evidence of a restart; the old mark goes. */
    t6 = t5 + SEC(10) + SEC(301);
    assert_step(&d, &c, t6, PH_EV_DOWN, PH_STATE_UP, "down a third time");
    t7 = t6 + SEC(5);
    dev_beat(&d, "t=1", t7);
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.gap_start == t5 + SEC(10));
    ck_assert_msg(!(d.flags & PH_DEV_REBOOTED), "no boot id: no reboot");
    ck_assert_str_eq(d.boot_id, "bbbb");
    assert_step(&d, &c, t7, PH_EV_UP, PH_STATE_DOWN, "back up, no boot");
}
END_TEST

START_TEST(fsm_first_beat_reported_only_when_asked)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(5);
    int notify;

    for (notify = 0; notify <= 1; notify++) {
        dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
        fsm_ctx(&c, SEC(60), notify);
        ck_assert(ph_fsm_deadline(&d, &c) == T_START + SEC(360));
        dev_beat(&d, "", t1);
        ck_assert_uint_eq(d.state, PH_STATE_UP);
        ck_assert(d.since == t1);
        ck_assert(d.gap_start == 0);
        ck_assert_msg(!(d.flags & PH_DEV_REBOOTED), "a first beat rebooted");
        /* Up: its own deadline, which ends after the grace. */
        ck_assert(ph_fsm_deadline(&d, &c) == t1 + SEC(300));
        assert_step(&d, &c, t1, notify ? PH_EV_FIRST : PH_EV_NONE,
                    PH_STATE_UNKNOWN, notify ? "first, notify" : "first");
        ck_assert_uint_eq(d.reported, PH_STATE_UP);
        assert_step(&d, &c, t1 + SEC(1), PH_EV_NONE, PH_STATE_UP,
                    "next tick");
        assert_step(&d, &c, t1 + SEC(300), PH_EV_NONE, -1, "in time");
    }
}
END_TEST

/* A step that must report nothing and leave the device paused. */
static void assert_quiet(ph_device_t *d, ph_fsm_ctx_t *c, apr_time_t now,
                         const char *what)
{
    int former;

    c->now = c->wall = now;
    ck_assert_msg(ph_fsm_step(d, c, &former) == PH_EV_NONE, "%s", what);
}

/* Up, paused, silent far past its MaxAge: no Error while paused; at
 * resume a whole MaxAge before the Error. */
START_TEST(fsm_pause_holds_alerts_and_resume_gives_a_whole_max_age)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(100), resume = t1 + SEC(5000);

    dev_init(&d, "pi", 60, 0);
    fsm_ctx(&c, 0, 0);
    dev_beat(&d, "boot=aaaa", t1);
    assert_step(&d, &c, t1, PH_EV_NONE, -1, "first beat");
    ph_fsm_pause(&d, 0, 0, t1 + SEC(1));
    ck_assert_int_eq(d.state, PH_STATE_PAUSED);
    ck_assert_int_eq(d.paused_from, PH_STATE_UP);
    c.now = resume - SEC(1);
    ck_assert(!ph_fsm_due(&d, &c));
    assert_quiet(&d, &c, resume - SEC(1), "paused, silent");
    ck_assert_int_eq(d.state, PH_STATE_PAUSED);
    ck_assert_int_eq(ph_fsm_resume(&d, resume, resume), 1);
    ck_assert_int_eq(ph_fsm_resume(&d, resume, resume), 0);
    ck_assert_int_eq(d.state, PH_STATE_UP);
    assert_step(&d, &c, resume, PH_EV_NONE, -1, "the resume");
    assert_step(&d, &c, resume + SEC(60), PH_EV_NONE, -1, "MaxAge after");
    assert_step(&d, &c, resume + SEC(60) + 1, PH_EV_DOWN, PH_STATE_UP,
                "past a whole MaxAge after the resume");
}
END_TEST

/* A timed pause ends by itself at its monotonic deadline, with no Error
 * at the edge. */
START_TEST(fsm_timed_pause_ends_quietly)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(100), end = t1 + SEC(600);

    dev_init(&d, "pi", 60, 0);
    fsm_ctx(&c, 0, 0);
    dev_beat(&d, "", t1);
    assert_step(&d, &c, t1, PH_EV_NONE, -1, "first beat");
    ph_fsm_pause(&d, SEC(1999999999), end, t1);
    ck_assert(d.paused_until == SEC(1999999999));
    c.now = end - 1;
    ck_assert(!ph_fsm_due(&d, &c));
    c.now = end;
    ck_assert(ph_fsm_due(&d, &c));
    assert_step(&d, &c, end, PH_EV_NONE, -1, "the pause's end");
    ck_assert_int_eq(d.state, PH_STATE_UP);
    ck_assert(d.paused_until == 0 && d.pause_mono == 0);
    assert_step(&d, &c, end + SEC(60), PH_EV_NONE, -1, "within MaxAge");
    assert_step(&d, &c, end + SEC(61), PH_EV_DOWN, -1, "a MaxAge later");
}
END_TEST

/* Down and told so: paused and resumed in silence it is down again with
 * nothing reported (no second Error); its next beat sends Good.  One that
 * beat during the pause sends its Good at the resume, with the outage. */
START_TEST(fsm_pause_of_a_down_device_repeats_no_alert)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(100), t2 = t1 + SEC(200);

    dev_init(&d, "pi", 60, 0);
    fsm_ctx(&c, 0, 0);
    dev_beat(&d, "boot=aaaa", t1);
    assert_step(&d, &c, t1, PH_EV_NONE, -1, "first beat");
    assert_step(&d, &c, t1 + SEC(61), PH_EV_DOWN, -1, "down");
    ph_fsm_pause(&d, 0, 0, t2);
    assert_quiet(&d, &c, t2 + SEC(500), "paused");
    ph_fsm_resume(&d, t2 + SEC(1000), t2 + SEC(1000));
    ck_assert_int_eq(d.state, PH_STATE_DOWN);
    assert_step(&d, &c, t2 + SEC(1000), PH_EV_NONE, -1, "resumed, down");
    assert_step(&d, &c, t2 + SEC(9000), PH_EV_NONE, -1, "still down");
    dev_beat(&d, "boot=aaaa", t2 + SEC(9001));
    assert_step(&d, &c, t2 + SEC(9001), PH_EV_UP, PH_STATE_DOWN, "Good");

    /* Down, paused, heard during the pause (with a new boot id). */
    assert_step(&d, &c, t2 + SEC(9100), PH_EV_DOWN, -1, "down again");
    ph_fsm_pause(&d, 0, 0, t2 + SEC(9200));
    dev_beat(&d, "boot=bbbb", t2 + SEC(9300));
    ck_assert_int_eq(d.state, PH_STATE_PAUSED);
    ck_assert(d.last_seen == t2 + SEC(9300));
    ck_assert(d.gap_start == t2 + SEC(9001));
    ck_assert(d.flags & PH_DEV_REBOOTED);
    dev_beat(&d, "boot=bbbb", t2 + SEC(9310));
    ck_assert(d.gap_start == t2 + SEC(9001));
    assert_quiet(&d, &c, t2 + SEC(9400), "paused, beating");
    ph_fsm_resume(&d, t2 + SEC(9500), t2 + SEC(9500));
    assert_step(&d, &c, t2 + SEC(9500), PH_EV_UP, PH_STATE_DOWN,
                "Good at the resume");
}
END_TEST

/* Down but not yet reported when paused: the resume gives it a whole
 * MaxAge, never an Error at the edge. */
START_TEST(fsm_pause_before_the_error_went_out)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(100), r = t1 + SEC(1000);

    dev_init(&d, "pi", 60, 0);
    fsm_ctx(&c, 0, 0);
    dev_beat(&d, "", t1);
    assert_step(&d, &c, t1, PH_EV_NONE, -1, "first beat");
    d.state = PH_STATE_DOWN;        /* as a step would, unreported */
    ph_fsm_pause(&d, 0, 0, t1 + SEC(70));
    ph_fsm_resume(&d, r, r);
    ck_assert_int_eq(d.state, PH_STATE_UP);
    assert_step(&d, &c, r + SEC(60), PH_EV_NONE, -1, "within MaxAge");
    assert_step(&d, &c, r + SEC(61), PH_EV_DOWN, -1, "a MaxAge later");

    /* A declared device never heard, paused through its grace: unknown,
     * and a MaxAge from the resume. */
    dev_init(&d, "decl", 60, PH_DEV_DECLARED);
    fsm_ctx(&c, SEC(30), 0);
    ph_fsm_pause(&d, 0, 0, T_START);
    assert_quiet(&d, &c, T_START + SEC(500), "paused");
    ph_fsm_resume(&d, T_START + SEC(600), T_START + SEC(600));
    ck_assert_int_eq(d.state, PH_STATE_UNKNOWN);
    c.now = T_START + SEC(660);
    ck_assert(!ph_fsm_due(&d, &c));
    assert_step(&d, &c, T_START + SEC(661), PH_EV_DOWN, -1, "MaxAge later");
}
END_TEST

/* A cold start: a timed pause ends at its wall time, at once if that
 * passed while httpd was stopped; one until resumed stays. */
START_TEST(fsm_rebase_moves_a_pause_to_the_new_clock)
{
    ph_device_t d;
    apr_time_t wall = T_START + SEC(5000), mono = SEC(77);

    dev_init(&d, "pi", 60, 0);
    dev_beat(&d, "", T_START + SEC(4000));
    ph_fsm_pause(&d, wall + SEC(300), SEC(999999), T_START + SEC(4001));
    ph_fsm_rebase(&d, wall, mono);
    ck_assert(d.pause_mono == mono + SEC(300));
    ck_assert(d.fresh_mono == 0);
    ph_fsm_pause(&d, wall - SEC(300), SEC(999999), T_START + SEC(4001));
    ph_fsm_rebase(&d, wall, mono);
    ck_assert(d.pause_mono == mono);
    ph_fsm_pause(&d, 0, 0, T_START + SEC(4001));
    ph_fsm_rebase(&d, wall, mono);
    ck_assert(d.pause_mono == 0 && d.state == PH_STATE_PAUSED);
}
END_TEST

Suite *test_fsm_suite(void)
{
    Suite *s = suite_create("fsm");
    TCase *tc = ph_test_tcase(s, "fsm");

    tcase_add_test(tc, fsm_up_goes_down_strictly_past_deadline);
    tcase_add_test(tc, fsm_startup_grace_holds_overdue_devices);
    tcase_add_test(tc, fsm_declared_device_never_heard_from);
    tcase_add_test(tc, fsm_beat_brings_a_down_device_back_up);
    tcase_add_test(tc, fsm_first_beat_reported_only_when_asked);
    tcase_add_test(tc, fsm_due_exactly_when_a_step_does_something);
    tcase_add_test(tc, fsm_pause_holds_alerts_and_resume_gives_a_whole_max_age);
    tcase_add_test(tc, fsm_timed_pause_ends_quietly);
    tcase_add_test(tc, fsm_pause_of_a_down_device_repeats_no_alert);
    tcase_add_test(tc, fsm_pause_before_the_error_went_out);
    tcase_add_test(tc, fsm_rebase_moves_a_pause_to_the_new_clock);
    return s;
}
