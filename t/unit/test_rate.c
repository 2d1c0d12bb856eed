/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_rate.c: token buckets, per device and per client address. */

#include "test_util.h"

Suite *test_rate_suite(void);

/* ------------------------------------------------------------------ */
/* ph_rate: token buckets                                              */

START_TEST(rate_bucket_allows_n_then_says_when)
{
    ph_rate_t r = { 3, 0 };
    ph_bucket_state_t b;
    apr_time_t t0 = apr_time_from_sec(1000);

    r.period = apr_time_from_sec(60);
    memset(&b, 0, sizeof(b));
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    /* The fourth waits for one token: 60 s / 3. */
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), apr_time_from_sec(20));
    /* A refusal costs nothing: still 20 s, not more. */
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), apr_time_from_sec(20));
    ck_assert_int_eq(ph_rate_take(&b, &r, t0 + apr_time_from_sec(10)),
                     apr_time_from_sec(10));
    ck_assert_int_eq(ph_rate_take(&b, &r, t0 + apr_time_from_sec(20)), 0);
    ck_assert_int_gt(ph_rate_take(&b, &r, t0 + apr_time_from_sec(20)), 0);
    /* A long pause refills to n, not beyond. */
    t0 += apr_time_from_sec(3600);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_gt(ph_rate_take(&b, &r, t0), 0);
}
END_TEST

START_TEST(rate_steady_client_never_refused)
{
    ph_rate_t r = { 30, 0 };
    ph_bucket_state_t b;
    apr_time_t t = apr_time_from_sec(1000);
    int i;

    r.period = apr_time_from_sec(60);
    memset(&b, 0, sizeof(b));
    /* One beat a second, twice the rate: the 30 in the bucket plus 0.5 a
     * second refilled last 59 beats (30 - 0.5 i >= 1 up to i = 58)... */
    for (i = 0; i < 59; i++) {
        ck_assert_int_eq(ph_rate_take(&b, &r, t + apr_time_from_sec(i)), 0);
    }
    ck_assert_int_eq(ph_rate_take(&b, &r, t + apr_time_from_sec(59)),
                     apr_time_from_sec(1));
    /* ...while one every 2 s (30 a minute) always passes. */
    memset(&b, 0, sizeof(b));
    for (i = 0; i < 1800; i++) {
        ck_assert_int_eq(ph_rate_take(&b, &r, t + apr_time_from_sec(2 * i)),
                         0);
    }
}
END_TEST

START_TEST(rate_off_and_clock_going_back)
{
    ph_rate_t off = { 0, 0 }, r = { 1, 0 };
    ph_bucket_state_t b;
    apr_time_t t = apr_time_from_sec(1000);
    int i;

    memset(&b, 0, sizeof(b));
    for (i = 0; i < 100; i++) {
        ck_assert_int_eq(ph_rate_take(&b, &off, t), 0);
    }
    r.period = apr_time_from_sec(60);
    memset(&b, 0, sizeof(b));
    ck_assert_int_eq(ph_rate_take(&b, &r, t), 0);
    ck_assert_int_gt(ph_rate_take(&b, &r, t), 0);
    /* The server's clock stepped back: start over rather than lock out. */
    ck_assert_int_eq(ph_rate_take(&b, &r, t - apr_time_from_sec(5)), 0);
}
END_TEST

START_TEST(rate_ip_table)
{
    static const unsigned char key[16] = { 1 };
    ph_rate_ip_t *table = apr_pcalloc(pool, sizeof(ph_rate_ip_t)
                                            * PH_RATE_IPS);
    ph_rate_t r = { 20, 60 * APR_USEC_PER_SEC };
    ph_bucket_state_t *a, *b;

    a = ph_rate_ip_bucket(table, key, "192.0.2.1", &r, 1);
    a->milli = 1234;
    a->stamp = 1;
    ck_assert_ptr_eq(ph_rate_ip_bucket(table, key, "192.0.2.1", &r, 2), a);
    ck_assert_uint_eq(ph_rate_ip_bucket(table, key, "192.0.2.1", &r, 2)->milli,
                      1234);
    b = ph_rate_ip_bucket(table, key, "2001:db8::1", &r, 2);
    ck_assert_ptr_ne(b, a);
    ck_assert_uint_eq(a->milli, 1234);
}
END_TEST

Suite *test_rate_suite(void)
{
    Suite *s = suite_create("rate");
    TCase *tc = ph_test_tcase(s, "rate");

    tcase_add_test(tc, rate_bucket_allows_n_then_says_when);
    tcase_add_test(tc, rate_steady_client_never_refused);
    tcase_add_test(tc, rate_off_and_clock_going_back);
    tcase_add_test(tc, rate_ip_table);
    return s;
}
