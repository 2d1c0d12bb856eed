/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_device.c: recording a beat into a slot. */

#include "test_util.h"

Suite *test_device_suite(void);

START_TEST(device_first_beat)
{
    ph_device_t d;
    ph_beat_t b;
    apr_time_t now = apr_time_from_sec(1000) + 250000;

    memset(&d, 0, sizeof(d));
    ck_assert_ptr_null(parse1(&b, "t=1000&boot=abc-def&up=42&seq=7"));
    ph_device_record_beat(&d, &b, now, now, "192.0.2.7", "curl/8.0");

    ck_assert(d.first_seen == now);
    ck_assert(d.last_seen == now);
    ck_assert(d.beats == 1);
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == now);
    ck_assert_str_eq(d.remote_ip, "192.0.2.7");
    ck_assert_str_eq(d.user_agent, "curl/8.0");
    ck_assert_str_eq(d.boot_id, "abc-def");
    ck_assert(d.uptime == 42 && d.seq == 7);
    ck_assert_uint_eq(d.flags, PH_DEV_HAS_CLIENT_T | PH_DEV_HAS_UPTIME
                      | PH_DEV_HAS_SEQ);
}
END_TEST

START_TEST(device_later_beat)
{
    ph_device_t d;
    ph_beat_t b;
    apr_time_t t1 = apr_time_from_sec(1000), t2 = apr_time_from_sec(1060);

    memset(&d, 0, sizeof(d));
    d.flags = PH_DEV_DECLARED;
    ck_assert_ptr_null(parse1(&b, "t=1000&boot=abc-def&up=42&seq=7"));
    ph_device_record_beat(&d, &b, t1, t1, "192.0.2.7", "a");

    /* No t, up or seq: each is unknown now; the boot id stays. */
    ck_assert_ptr_null(parse1(&b, ""));
    ph_device_record_beat(&d, &b, t2, t2, "192.0.2.8", "b");
    ck_assert(d.first_seen == t1);
    ck_assert(d.last_seen == t2);
    ck_assert(d.since == t1);
    ck_assert(d.beats == 2);
    ck_assert_str_eq(d.remote_ip, "192.0.2.8");
    ck_assert_str_eq(d.user_agent, "b");
    ck_assert_uint_eq(d.flags, PH_DEV_DECLARED);
    ck_assert_msg(!(d.flags & PH_DEV_HAS_CLIENT_T),
                  "a beat without t left the client time known");
    ck_assert_str_eq(d.boot_id, "abc-def");

    /* A new boot id replaces the old one. */
    ck_assert_ptr_null(parse1(&b, "boot=0123"));
    ph_device_record_beat(&d, &b, t2 + 1, t2 + 1, "192.0.2.8", "b");
    ck_assert_str_eq(d.boot_id, "0123");

    /* A beat while up changes neither the state nor since. */
    ph_device_record_beat(&d, &b, t2 + 2, t2 + 2, "192.0.2.8", "b");
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == t1);

    /* A beat ends down at once; the watchdog reports it (see fsm). */
    d.state = PH_STATE_DOWN;
    d.since = t2 + 3;
    ph_device_record_beat(&d, &b, t2 + 5, t2 + 5, "192.0.2.8", "b");
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == t2 + 5);
    ck_assert(d.gap_start == t2 + 2);
}
END_TEST

START_TEST(device_skew_is_client_minus_server)
{
    ph_device_t d;
    ph_beat_t b;

    memset(&d, 0, sizeof(d));
    ck_assert_ptr_null(parse1(&b, "t=990"));
    ph_device_record_beat(&d, &b, apr_time_from_sec(1000),
                          apr_time_from_sec(1000), "::1", NULL);
    ck_assert(d.client_time == 990);
    ck_assert_msg(d.skew == -10, "skew %" APR_INT64_T_FMT ", want -10",
                  d.skew);
    ck_assert(d.flags & PH_DEV_HAS_CLIENT_T);

    /* Server time counts in whole seconds; a client ahead is positive. */
    ck_assert_ptr_null(parse1(&b, "1005"));
    ph_device_record_beat(&d, &b, apr_time_from_sec(1000) + 999999,
                          apr_time_from_sec(1000) + 999999, "::1",
                          NULL);
    ck_assert_msg(d.skew == 5, "skew %" APR_INT64_T_FMT ", want 5", d.skew);
    ck_assert(d.client_time == 1005);
}
END_TEST

START_TEST(device_user_agent_is_sanitised_and_truncated)
{
    ph_device_t d;
    ph_beat_t b;
    char *ua = repeat('u', 500);

    memset(&d, 0, sizeof(d));
    ck_assert_ptr_null(parse1(&b, ""));
    ua[3] = '\r';
    ua[4] = '\n';
    ua[5] = '\x7f';
    ph_device_record_beat(&d, &b, apr_time_from_sec(1),
                          apr_time_from_sec(1), "192.0.2.1", ua);
    ck_assert_uint_eq(strlen(d.user_agent), PH_UA_MAX);
    ck_assert_msg(strncmp(d.user_agent, "uuu???uu", 8) == 0,
                  "control characters were not replaced");
    ck_assert(!has_control(d.user_agent));

    /* A NULL user agent is the empty string, not the previous one. */
    ph_device_record_beat(&d, &b, apr_time_from_sec(2),
                          apr_time_from_sec(2), "192.0.2.1", NULL);
    ck_assert_str_eq(d.user_agent, "");

    /* A multibyte character is not split by the cut. */
    ua = apr_pstrcat(pool, repeat('u', PH_UA_MAX - 1), "\xc3\xa9", NULL);
    ph_device_record_beat(&d, &b, apr_time_from_sec(3),
                          apr_time_from_sec(3), "192.0.2.1", ua);
    ck_assert_str_eq(d.user_agent, repeat('u', PH_UA_MAX - 1));

    /* An over-long address is cut, still terminated. */
    ph_device_record_beat(&d, &b, apr_time_from_sec(4),
                          apr_time_from_sec(4), repeat('1', 100),
                          "x");
    ck_assert_uint_eq(strlen(d.remote_ip), PH_IP_MAX);
}
END_TEST

Suite *test_device_suite(void)
{
    Suite *s = suite_create("device");
    TCase *tc = ph_test_tcase(s, "device");

    tcase_add_test(tc, device_first_beat);
    tcase_add_test(tc, device_later_beat);
    tcase_add_test(tc, device_skew_is_client_minus_server);
    tcase_add_test(tc, device_user_agent_is_sanitised_and_truncated);
    return s;
}
