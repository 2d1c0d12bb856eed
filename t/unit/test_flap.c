/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_flap.c (flap damping) and of what it does to the state
 * machine, the queue line and the mail. */

#include "test_util.h"
#include "ph_flap.h"

Suite *test_flap_suite(void);

static void flap_ctx(ph_fsm_ctx_t *c)
{
    memset(c, 0, sizeof(*c));
    c->started = T_START;
}

static ph_event_e flap_step(ph_device_t *d, ph_fsm_ctx_t *c, apr_time_t now,
                            int *former)
{
    c->now = c->wall = now;
    return ph_fsm_step(d, c, former);
}

/* A declared device with MaxAge 1 and the flap limit @a n in @a period,
 * heard at @a t (up, reported up). */
static void flap_dev(ph_device_t *d, ph_fsm_ctx_t *c, apr_uint32_t n,
                     apr_uint32_t period, apr_time_t t)
{
    int former;

    dev_init(d, "kitchen-pi", 1, PH_DEV_DECLARED);
    ph_flap_configure(d, n, period);
    flap_ctx(c);
    dev_beat(d, "boot=aaaa", t);
    ck_assert_int_eq(flap_step(d, c, t, &former), PH_EV_NONE);
    ck_assert_uint_eq(d->reported, PH_STATE_UP);
}

/* Down (2 s after its last beat), then a beat and up; each step's event
 * in *down and *up.  Returns the time of the beat. */
static apr_time_t flap_cycle(ph_device_t *d, ph_fsm_ctx_t *c, apr_time_t t,
                             ph_event_e *down, ph_event_e *up)
{
    int former;

    *down = flap_step(d, c, t + SEC(2), &former);
    ck_assert_uint_eq(d->state, PH_STATE_DOWN);
    dev_beat(d, "boot=aaaa", t + SEC(3));
    *up = flap_step(d, c, t + SEC(3), &former);
    ck_assert_uint_eq(d->state, PH_STATE_UP);
    ck_assert_uint_eq(d->reported, PH_STATE_UP);
    return t + SEC(3);
}

/* One cycle told as ever: its Error and its Good. */
static apr_time_t flap_cycle_told(ph_device_t *d, ph_fsm_ctx_t *c,
                                  apr_time_t t)
{
    ph_event_e down, up;

    t = flap_cycle(d, c, t, &down, &up);
    ck_assert_int_eq(down, PH_EV_DOWN);
    ck_assert_int_eq(up, PH_EV_UP);
    return t;
}

START_TEST(flap_parse_checks_every_value)
{
    static const char *const bad[] = {
        "1/60", "1001/60", "3/0", "3/86401", "3", "3/", "/60", "a/b",
        "3/60s", "-3/60", "", "On"
    };
    apr_uint32_t n = 9, s = 9;
    apr_size_t i;
    const char *why;

    ck_assert_ptr_null(ph_flap_parse(pool, "3/60", NULL, &n, &s));
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(s, 60);
    ck_assert_ptr_null(ph_flap_parse(pool, "1000", "86400", &n, &s));
    ck_assert_uint_eq(n, 1000);
    ck_assert_uint_eq(s, 86400);
    ck_assert_ptr_null(ph_flap_parse(pool, "2/1", NULL, &n, &s));
    ck_assert_ptr_null(ph_flap_parse(pool, "off", NULL, &n, &s));
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(s, 0);
    for (i = 0; i < NELTS(bad); i++) {
        why = ph_flap_parse(pool, bad[i], NULL, &n, &s);
        ck_assert_msg(why != NULL, "'%s' accepted", bad[i]);
        ck_assert(!has_control(why));
    }
    ck_assert_ptr_nonnull(ph_flap_parse(pool, "1", "60", &n, &s));
    ck_assert_ptr_nonnull(ph_flap_parse(pool, "3", "0", &n, &s));
    ck_assert_ptr_nonnull(ph_flap_parse(pool, "Off", "60", &n, &s));
    why = ph_flap_parse(pool, "3", "90000", &n, &s);
    ck_assert_ptr_nonnull(strstr(why, "90000"));
}
END_TEST

START_TEST(flap_device_option)
{
    ph_devconf_t dc;

    memset(&dc, 0, sizeof(dc));
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "Flap=4/120"));
    ck_assert_int_eq(dc.flap_set, 1);
    ck_assert_uint_eq(dc.flap_limit, 4);
    ck_assert_uint_eq(dc.flap_period, 120);
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "Flap=Off"));
    ck_assert_int_eq(dc.flap_set, 1);
    ck_assert_uint_eq(dc.flap_limit, 0);
    ck_assert_ptr_nonnull(strstr(ph_conf_device_option(pool, &dc,
                                                       "Flap=1/60"),
                                 "Flap="));
}
END_TEST

/* Limit 3 in 60 s: three changes are told, the fourth says Flapping, the
 * rest nothing; a whole period without a change says Stable, with the
 * changes counted; then the next change is told again. */
START_TEST(flap_damps_and_ends)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    ph_event_e down, up;
    apr_time_t t = T_START + SEC(100), end;
    int former, i;

    flap_dev(&d, &c, 3, 60, t);
    t = flap_cycle_told(&d, &c, t);
    t = flap_cycle(&d, &c, t, &down, &up);
    ck_assert_int_eq(down, PH_EV_DOWN);
    ck_assert_int_eq(up, PH_EV_FLAP);
    ck_assert(d.flapping & PH_FLAP_ON);
    ck_assert(d.flapping & PH_FLAP_TOLD);
    ck_assert_uint_eq(d.flap_count, 4);
    for (i = 0; i < 5; i++) {
        t = flap_cycle(&d, &c, t, &down, &up);
        ck_assert_int_eq(down, PH_EV_NONE);
        ck_assert_int_eq(up, PH_EV_NONE);
    }
    ck_assert_uint_eq(d.flap_count, 14);
    /* Still flapping however long it goes on: the state machine runs. */
    for (i = 0; i < 30; i++) {
        t = flap_cycle(&d, &c, t, &down, &up);
        ck_assert_int_eq(down + up, PH_EV_NONE);
    }
    ck_assert(d.flapping & PH_FLAP_ON);

    /* Stable: beats every second for the period. */
    end = t + SEC(60);
    for (; t < end; t += SEC(1)) {
        dev_beat(&d, "boot=aaaa", t);
        c.now = t;
        ck_assert(!ph_fsm_due(&d, &c));
        ck_assert_int_eq(flap_step(&d, &c, t, &former), PH_EV_NONE);
    }
    dev_beat(&d, "boot=aaaa", t);
    c.now = t;
    ck_assert(ph_fsm_due(&d, &c));
    ck_assert_int_eq(flap_step(&d, &c, t, &former), PH_EV_FLAP_END);
    ck_assert(!(d.flapping & PH_FLAP_ON));
    ck_assert_uint_eq(d.flap_count, 74);
    c.now = t;
    ck_assert(!ph_fsm_due(&d, &c));
    ck_assert_int_eq(flap_step(&d, &c, t, &former), PH_EV_NONE);
    /* A new window: told as ever. */
    t = flap_cycle_told(&d, &c, t);
    ck_assert_uint_eq(d.flap_count, 2);
}
END_TEST

/* Changes further apart than the period never flap; Off never damps. */
START_TEST(flap_window_and_off)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t = T_START + SEC(100);
    int i, former;

    flap_dev(&d, &c, 2, 10, t);
    for (i = 0; i < 20; i++) {
        t = flap_cycle_told(&d, &c, t);
        /* up a while: 10 s after the window opened */
        dev_beat(&d, "boot=aaaa", t + SEC(4));
        ck_assert_int_eq(flap_step(&d, &c, t + SEC(4), &former), PH_EV_NONE);
        dev_beat(&d, "boot=aaaa", t + SEC(8));
        t += SEC(8);
    }
    ck_assert(!(d.flapping & PH_FLAP_ON));

    flap_dev(&d, &c, 0, 0, t);
    for (i = 0; i < 50; i++) {
        t = flap_cycle_told(&d, &c, t);
    }
    ck_assert_uint_eq(d.flapping, 0);
}
END_TEST

/* An event that could not be queued is stepped again: counted once, the
 * Flapping and the summary sent once. */
START_TEST(flap_undo_sends_again)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    ph_event_e down, up;
    apr_time_t t = T_START + SEC(100);
    int former;

    flap_dev(&d, &c, 3, 60, t);
    t = flap_cycle(&d, &c, t, &down, &up);
    /* The Error of the third change is lost: again, and still the third. */
    ck_assert_int_eq(flap_step(&d, &c, t + SEC(2), &former), PH_EV_DOWN);
    ck_assert_uint_eq(d.flap_count, 3);
    d.reported = (apr_byte_t)former;
    ph_flap_undo(&d, PH_EV_DOWN, former);
    ck_assert_uint_eq(d.flap_count, 2);
    ck_assert_int_eq(flap_step(&d, &c, t + SEC(2), &former), PH_EV_DOWN);
    ck_assert_uint_eq(d.flap_count, 3);
    ck_assert(!(d.flapping & PH_FLAP_ON));
    /* The fourth is the flap. */
    dev_beat(&d, "boot=aaaa", t + SEC(3));
    ck_assert_int_eq(flap_step(&d, &c, t + SEC(3), &former), PH_EV_FLAP);
}
END_TEST

START_TEST(flap_undo_of_the_flap_and_of_the_end)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    ph_event_e down, up;
    apr_time_t t = T_START + SEC(100);
    int former;

    flap_dev(&d, &c, 3, 60, t);
    t = flap_cycle(&d, &c, t, &down, &up);
    t = flap_cycle(&d, &c, t, &down, &up);
    ck_assert_int_eq(up, PH_EV_FLAP);
    d.reported = PH_STATE_DOWN;
    ph_flap_undo(&d, PH_EV_FLAP, PH_STATE_DOWN);
    ck_assert(!(d.flapping & PH_FLAP_ON));
    ck_assert_int_eq(flap_step(&d, &c, t, &former), PH_EV_FLAP);
    ck_assert_uint_eq(d.flap_count, 4);

    t += SEC(60);
    dev_beat(&d, "boot=aaaa", t);
    ck_assert_int_eq(flap_step(&d, &c, t, &former), PH_EV_FLAP_END);
    ph_flap_undo(&d, PH_EV_FLAP_END, former);
    ck_assert(d.flapping & PH_FLAP_ON);
    ck_assert_int_eq(flap_step(&d, &c, t, &former), PH_EV_FLAP_END);
    ck_assert_uint_eq(d.flap_count, 4);
}
END_TEST

/* Paused, a flapping ends quietly; Off ends it quietly too; a cold start
 * moves the window to the new clock. */
START_TEST(flap_pause_off_and_rebase)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    ph_event_e down, up;
    apr_time_t t = T_START + SEC(100);
    int former;

    flap_dev(&d, &c, 2, 30, t);
    t = flap_cycle(&d, &c, t, &down, &up);
    t = flap_cycle(&d, &c, t, &down, &up);
    ck_assert(d.flapping & PH_FLAP_ON);
    ph_fsm_pause(&d, 0, 0, t);
    c.now = t + SEC(30);
    ck_assert(ph_fsm_due(&d, &c));
    ck_assert_int_eq(flap_step(&d, &c, t + SEC(30), &former), PH_EV_NONE);
    ck_assert(!(d.flapping & PH_FLAP_ON));
    ck_assert_uint_eq(d.state, PH_STATE_PAUSED);
    ph_fsm_resume(&d, t + SEC(31), t + SEC(31));

    t += SEC(31);
    dev_beat(&d, "boot=aaaa", t);
    flap_step(&d, &c, t, &former);
    t = flap_cycle(&d, &c, t, &down, &up);
    t = flap_cycle(&d, &c, t, &down, &up);
    ck_assert(d.flapping & PH_FLAP_ON);
    ph_fsm_rebase(&d, t, SEC(5));
    ck_assert_uint_eq(d.flap_start, 5);
    ck_assert_uint_eq(d.flap_last, 5);
    ck_assert(d.flapping & PH_FLAP_ON);
    ph_flap_configure(&d, 0, 0);
    ck_assert_uint_eq(d.flapping, 0);
    ck_assert_uint_eq(d.flap_period, 0);
}
END_TEST

START_TEST(flap_event_lines)
{
    ph_device_t d;
    ph_event_t e, back;
    const char *line, *json;

    dev_init(&d, "kitchen-pi", 60, PH_DEV_DECLARED);
    dev_beat(&d, "boot=aaaa", T_MAIL);
    d.state = PH_STATE_DOWN;
    d.since = T_MAIL + SEC(5);
    d.flap_count = 7;
    d.flap_period = 120;
    ph_event_from_device(&e, &d, PH_EV_FLAP, PH_STATE_UP, T_MAIL + SEC(6));
    line = ph_event_format(pool, &e);
    ck_assert_msg(strncmp(line, "ev2 4 1 ", 8) == 0, "%s", line);
    ck_assert_ptr_null(ph_event_parse(&back, line));
    ck_assert_int_eq(back.kind, PH_EV_FLAP);
    ck_assert_int_eq(back.state, PH_STATE_DOWN);
    ck_assert_uint_eq(back.flaps, 7);
    ck_assert_uint_eq(back.flap_period, 120);
    ck_assert(back.since == T_MAIL + SEC(5));
    json = ph_event_json(pool, &e, "Kitchen");
    ck_assert_ptr_nonnull(strstr(json, "\"event\":\"flap\""));
    ck_assert_ptr_nonnull(strstr(json, "\"changes\":7"));
    e.kind = PH_EV_FLAP_END;
    ck_assert_ptr_nonnull(strstr(ph_event_json(pool, &e, "K"),
                                 "\"event\":\"flap_end\""));

    /* The others keep ev1, which an older module reads. */
    ph_event_from_device(&e, &d, PH_EV_DOWN, PH_STATE_UP, T_MAIL + SEC(6));
    line = ph_event_format(pool, &e);
    ck_assert_msg(strncmp(line, "ev1 1 1 ", 8) == 0, "%s", line);
    ck_assert_uint_eq(e.flaps, 0);
    /* A flap kind needs ev2, and ev2 a flap kind. */
    ck_assert_ptr_nonnull(ph_event_parse(&back, "ev1 4 1 5 kitchen-pi 0 0 "
                                         "300 0 0 0 0 0 - -"));
    ck_assert_ptr_nonnull(ph_event_parse(&back, "ev2 1 1 5 kitchen-pi 0 0 "
                                         "300 0 0 0 0 0 - - 2 3 60 0"));
    ck_assert_ptr_nonnull(ph_event_parse(&back, "ev2 4 1 5 kitchen-pi 0 0 "
                                         "300 0 0 0 0 0 - - 2 3 60"));
    ck_assert_ptr_nonnull(ph_event_parse(&back, "ev2 4 1 5 kitchen-pi 0 0 "
                                         "300 0 0 0 0 0 - - 9 3 60 0"));
    ck_assert_ptr_null(ph_event_parse(&back, "ev2 5 1 5 kitchen-pi 0 0 "
                                      "300 0 0 0 0 0 - - 1 3 60 0"));
}
END_TEST

START_TEST(flap_mail)
{
    ph_event_t e;
    const ph_event_t *ev[1] = { &e };
    const char *disp[1] = { "Kitchen Pi" };
    ph_mail_t m;
    const char *msg;

    mail_event(&e, PH_EV_FLAP, "kitchen-pi", T_MAIL);
    e.state = PH_STATE_DOWN;
    e.flaps = 4;
    e.flap_period = 60;
    e.since = T_MAIL - SEC(2);
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    ck_assert_str_eq(ph_mail_subject(pool, &m), "Flapping : Kitchen Pi");
    msg = ph_mail_compose(pool, &m);
    ck_assert_msg(strstr(msg, "\r\n\r\nKitchen Pi is flapping: 4 changes of "
                         "state within 1 min 0 s\r\n") != NULL, "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "\r\nState now: Error\r\n"));
    ck_assert_ptr_nonnull(strstr(msg, "no Error or Good is sent for it"));

    e.kind = PH_EV_FLAP_END;
    e.state = PH_STATE_UP;
    e.flaps = 12;
    ck_assert_str_eq(ph_mail_subject(pool, &m), "Stable : Kitchen Pi");
    msg = ph_mail_compose(pool, &m);
    ck_assert_msg(strstr(msg, "\r\n\r\nKitchen Pi stopped flapping: up since ")
                  != NULL, "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "after 12 changes of state"));
}
END_TEST

/* Channels: the title is the subject; a webhook says flap or flap_end
 * and the device's state. */
START_TEST(flap_channels)
{
    ph_event_t e;
    const ph_event_t *ev[1] = { &e };
    const char *disp[1] = { "Kitchen Pi" };
    const char *title, *text, *json;
    ph_mail_t m;

    mail_event(&e, PH_EV_FLAP, "kitchen-pi", T_MAIL);
    e.state = PH_STATE_DOWN;
    e.flaps = 4;
    e.flap_period = 60;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    text = ph_notify_text(pool, &m, &title);
    ck_assert_str_eq(title, "Flapping : Kitchen Pi");
    ck_assert_msg(strncmp(text, "Kitchen Pi is flapping: 4 changes", 33) == 0,
                  "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "\nState now: Error\n"));
    json = ph_notify_json(pool, &m, "id-1");
    ck_assert_ptr_nonnull(strstr(json, "\"event\":\"flap\",\"state\":"
                                       "\"down\",\"word\":\"Flapping\""));
    e.kind = PH_EV_FLAP_END;
    e.state = PH_STATE_UP;
    json = ph_notify_json(pool, &m, "id-2");
    ck_assert_msg(strstr(json, "\"event\":\"flap_end\",\"state\":\"up\","
                               "\"word\":\"Stable\"") != NULL, "%s", json);
}
END_TEST

Suite *test_flap_suite(void)
{
    Suite *s = suite_create("flap");
    TCase *tc = ph_test_tcase(s, "flap");

    tcase_add_test(tc, flap_parse_checks_every_value);
    tcase_add_test(tc, flap_device_option);
    tcase_add_test(tc, flap_damps_and_ends);
    tcase_add_test(tc, flap_window_and_off);
    tcase_add_test(tc, flap_undo_sends_again);
    tcase_add_test(tc, flap_undo_of_the_flap_and_of_the_end);
    tcase_add_test(tc, flap_pause_off_and_rebase);
    tcase_add_test(tc, flap_event_lines);
    tcase_add_test(tc, flap_mail);
    tcase_add_test(tc, flap_channels);
    return s;
}
