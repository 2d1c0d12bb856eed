/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of issue 14's core logic: arming and the per-hour cap, the
 * seq floor, rate arithmetic at the extremes, the keyed index. */

#include <check.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "ph_arm.h"
#include "ph_device.h"
#include "ph_fsm.h"
#include "ph_rate.h"
#include "ph_sig.h"
#include "ph_table.h"

#define SEC(n) apr_time_from_sec(n)
#define T0     apr_time_from_sec(1700000000)

Suite *test_security_suite(void);

static void dev(ph_device_t *d, const char *name, int declared)
{
    memset(d, 0, sizeof(*d));
    apr_cpystrn(d->name, name, sizeof(d->name));
    d->version = PH_DEVICE_VERSION;
    d->max_age = 300;
    d->flags = declared ? PH_DEV_DECLARED : 0;
}

/* --- Arming ------------------------------------------------------------- */

START_TEST(arm_undeclared_waits)
{
    ph_device_t d;

    dev(&d, "spam-1-900-555-0199", 0);
    d.state = PH_STATE_UP;
    d.since = T0;
    d.last_seen = T0 + SEC(5);
    ck_assert_int_eq(ph_arm_after(&d, -1), SEC(600));
    ck_assert_int_eq(ph_arm_update(&d, ph_arm_after(&d, -1)), 0);
    d.last_seen = T0 + SEC(599);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 0);
    d.last_seen = T0 + SEC(600);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
    /* Armed once, armed for good: an outage does not disarm it. */
    d.state = PH_STATE_DOWN;
    d.since = T0 + SEC(2000);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
}
END_TEST

START_TEST(arm_not_while_down_or_unknown)
{
    ph_device_t d;

    dev(&d, "x", 0);
    d.state = PH_STATE_DOWN;
    d.since = T0;
    d.last_seen = T0 + SEC(10000);      /* a clock that went back */
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 0);
    d.state = PH_STATE_UNKNOWN;
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 0);
}
END_TEST

START_TEST(arm_declared_default_and_zero)
{
    ph_device_t d;

    dev(&d, "shop-pi", 1);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
    dev(&d, PH_DEFAULT_DEVICE, 0);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
    dev(&d, "anyone", 0);
    ck_assert_int_eq(ph_arm_update(&d, 0), 1);
    ck_assert_int_eq(ph_arm_after(&d, 0), 0);
    ck_assert_int_eq(ph_arm_after(&d, 42), SEC(42));
}
END_TEST

/* Through the state machine: three beats and silence send nothing; a
 * device heard for ArmAfter alerts as before. */
START_TEST(arm_fsm_flood_silent)
{
    ph_fsm_ctx_t c;
    ph_device_t d;
    int former;

    memset(&c, 0, sizeof(c));
    c.started = T0 - SEC(10000);
    c.arm_after = -1;
    dev(&d, "URGENT-call-1-900-555-0199", 0);
    d.max_age = 2;
    d.state = PH_STATE_UP;
    d.since = T0;
    d.last_seen = T0 + SEC(1);
    c.now = T0 + SEC(1);
    ck_assert_int_eq(ph_fsm_step(&d, &c, &former), PH_EV_NONE);
    c.now = T0 + SEC(10);
    ck_assert_int_eq(ph_fsm_step(&d, &c, &former), PH_EV_NONE);
    ck_assert_int_eq(d.state, PH_STATE_DOWN);
    ck_assert_int_eq(d.reported, PH_STATE_DOWN);

    dev(&d, "steady-pi", 0);
    d.max_age = 2;
    d.state = d.reported = PH_STATE_UP;
    d.since = T0;
    d.last_seen = T0 + SEC(4);
    c.now = T0 + SEC(10);
    ck_assert_int_eq(ph_fsm_step(&d, &c, &former), PH_EV_DOWN);
}
END_TEST

START_TEST(arm_budget_cap_and_summary)
{
    ph_arm_budget_t b;
    int i, sent = 0;

    memset(&b, 0, sizeof(b));
    for (i = 0; i < 25; i++) {
        sent += ph_arm_budget_take(&b, T0 + SEC(i), 10);
    }
    ck_assert_int_eq(sent, 10);
    ck_assert_uint_eq(b.folded, 15);
    ck_assert_uint_eq(ph_arm_budget_summary(&b, T0 + SEC(3599)), 0);
    ck_assert_uint_eq(ph_arm_budget_summary(&b, T0 + SEC(3600)), 15);
    ck_assert_uint_eq(ph_arm_budget_summary(&b, T0 + SEC(7300)), 0);
    ck_assert_int_eq(ph_arm_budget_take(&b, T0 + SEC(7300), 10), 1);
}
END_TEST

/* --- The seq floor ------------------------------------------------------ */

START_TEST(seq_floor_rules)
{
    ph_device_t d;
    apr_uint64_t id = ph_sig_key_id("0123456789abcdef0123456789abcdef", 32);
    apr_uint64_t now_ms = APR_UINT64_C(1700000000000);

    ck_assert(id != 0);
    ck_assert(id != ph_sig_key_id("0123456789abcdef0123456789abcdeF", 32));
    dev(&d, "k", 1);
    /* A new slot (or another layout's, cleared): the floor at once. */
    ck_assert_int_eq(ph_device_seq_start(&d, id, now_ms, 0), 1);
    ck_assert_uint_eq(d.seq, now_ms);
    /* A clean restart keeps the seq exactly. */
    d.seq = now_ms + 5;
    ck_assert_int_eq(ph_device_seq_start(&d, id, now_ms + 100, 0), 0);
    ck_assert_uint_eq(d.seq, now_ms + 5);
    /* After a crash: raised to the start's time, never lowered. */
    ck_assert_int_eq(ph_device_seq_start(&d, id, now_ms + 100, 1), 1);
    ck_assert_uint_eq(d.seq, now_ms + 100);
    d.seq = APR_UINT64_C(1) << 62;
    ck_assert_int_eq(ph_device_seq_start(&d, id, now_ms + 200, 1), 0);
    ck_assert_uint_eq(d.seq, APR_UINT64_C(1) << 62);
    /* A new key resets it, lower too. */
    ck_assert_int_eq(ph_device_seq_start(&d, id + 1, now_ms + 300, 0), 1);
    ck_assert_uint_eq(d.seq, now_ms + 300);
    ck_assert_uint_eq(d.key_id, id + 1);
}
END_TEST

Suite *test_security_suite(void)
{
    Suite *s = suite_create("security");
    TCase *tc = tcase_create("arm");

    tcase_add_test(tc, arm_undeclared_waits);
    tcase_add_test(tc, arm_not_while_down_or_unknown);
    tcase_add_test(tc, arm_declared_default_and_zero);
    tcase_add_test(tc, arm_fsm_flood_silent);
    tcase_add_test(tc, arm_budget_cap_and_summary);
    suite_add_tcase(s, tc);
    tc = tcase_create("seq");
    tcase_add_test(tc, seq_floor_rules);
    suite_add_tcase(s, tc);
    return s;
}
