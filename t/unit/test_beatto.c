/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_beatto.c: PhoneHomeBeatTo's words, its timeouts, and
 * the URL of a beat, whose signature the beat handler's own check accepts. */

#include "test_util.h"
#include "ph_beatto.h"

Suite *test_beatto_suite(void);

static apr_array_header_t *words_of(const char *raw)
{
    apr_array_header_t *w;

    ck_assert_ptr_null(ph_conf_words(pool, raw, &w));
    return w;
}

START_TEST(beatto_parse)
{
    ph_beatto_t bt;

    ck_assert_ptr_null(ph_beatto_parse(pool, words_of("https://hc-ping.com/"
                                                      "abc"), &bt));
    ck_assert_uint_eq(bt.every, 60);
    ck_assert_int_eq(bt.phonehome, 0);
    ck_assert_ptr_null(ph_beatto_parse(pool, words_of("http://b/ph every=5 "
                       "key-file=a.key device=srv-a"), &bt));
    ck_assert_uint_eq(bt.every, 5);
    ck_assert_str_eq(bt.key_file, "a.key");
    ck_assert_str_eq(bt.device, "srv-a");
    ck_assert_int_eq(bt.phonehome, 1);
    ck_assert_ptr_nonnull(ph_beatto_parse(pool, words_of("ftp://b/"), &bt));
    ck_assert_ptr_nonnull(ph_beatto_parse(pool, words_of("http://"), &bt));
    ck_assert_ptr_nonnull(ph_beatto_parse(pool, words_of("http://b/#x"), &bt));
    ck_assert_ptr_nonnull(ph_beatto_parse(pool, words_of("http://b/ every=0"),
                                          &bt));
    ck_assert_ptr_nonnull(ph_beatto_parse(pool, words_of("http://b/ "
                                          "every=86401"), &bt));
    ck_assert_ptr_nonnull(ph_beatto_parse(pool, words_of("http://b/ "
                                          "device=.x"), &bt));
    ck_assert_ptr_nonnull(ph_beatto_parse(pool, words_of("http://b/ "
                                          "key-file="), &bt));
    ck_assert_ptr_nonnull(ph_beatto_parse(pool, words_of("http://b/ x=1"),
                                          &bt));
}
END_TEST

START_TEST(beatto_timeouts)
{
    ph_beatto_t bt;
    long c, t;

    memset(&bt, 0, sizeof(bt));
    bt.every = 1;
    ph_beatto_timeouts(&bt, &c, &t);
    ck_assert_int_eq(t, 750);
    ck_assert_int_eq(c, 750);
    bt.every = 60;
    ph_beatto_timeouts(&bt, &c, &t);
    ck_assert_int_eq(t, 10000);
    ck_assert_int_eq(c, 5000);
}
END_TEST

/* The URL a signed beat goes to parses as a beat whose signature the
 * server's check (ph_sig_verify) accepts under the key, and no other. */
START_TEST(beatto_url_signed)
{
    const char *key = "c0ffeec0ffeec0ffeec0ffeec0ffeec0", *url, *q;
    ph_beatto_t bt;
    ph_beat_t b;

    ck_assert_ptr_null(ph_beatto_parse(pool, words_of("http://b/ph?x=1 "
                                       "device=srv-a"), &bt));
    bt.key = key;
    bt.keylen = strlen(key);
    url = ph_beatto_url(pool, &bt, 1700000000,
                        "5e2f64b9-0961-492c-8f4c-f01abadc085b", 42, 7);
    ck_assert_ptr_nonnull(url);
    ck_assert_int_eq(strncmp(url, "http://b/ph?x=1&device=srv-a&t=1700000000"
                             "&boot=5e2f64b9-0961-492c-8f4c-f01abadc085b"
                             "&up=42&seq=7&sig=", 98), 0);
    q = strchr(url, '&') + 1;
    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, q, pool));
    ck_assert_int_eq(ph_sig_verify(pool, key, bt.keylen, "srv-a", &b), 1);
    ck_assert_int_eq(ph_sig_verify(pool, "d0ffeec0ffeec0ffeec0ffeec0ffeec0",
                                   bt.keylen, "srv-a", &b), 0);
    /* A boot id that is not the kernel's is left out, not sent raw. */
    url = ph_beatto_url(pool, &bt, 1, "x&sig=0", 1, 8);
    ck_assert_ptr_null(strstr(url, "boot="));
    /* A plain ping is the URL as written. */
    ck_assert_ptr_null(ph_beatto_parse(pool, words_of("http://k/api/push/T?"
                                       "status=up&msg=OK&ping="), &bt));
    ck_assert_str_eq(ph_beatto_url(pool, &bt, 1, NULL, 1, 1),
                     "http://k/api/push/T?status=up&msg=OK&ping=");
}
END_TEST

/* The health rule: a beat goes out only while detection ticked in the
 * last 10 s; before the first tick it waits up to 10 s; an alert that
 * failed 3 attempts in a row means alerts are stuck. */
START_TEST(beatto_health)
{
    apr_time_t s = apr_time_from_sec(1000);
    const char *why;

    ck_assert_str_eq(ph_beatto_detect_health(pool, s + 1, s, 0), "");
    ck_assert_str_eq(ph_beatto_detect_health(pool, s + apr_time_from_sec(10),
                                             s, 0), "");
    why = ph_beatto_detect_health(pool, s + apr_time_from_sec(11), s, 0);
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "detection has not run since the start");
    ck_assert_ptr_null(ph_beatto_detect_health(pool, s + apr_time_from_sec(30),
                                               s, s + apr_time_from_sec(21)));
    why = ph_beatto_detect_health(pool, s + apr_time_from_sec(30), s,
                                  s + apr_time_from_sec(19));
    ck_assert_str_eq(why, "detection last ran 11 s ago");
    ck_assert_int_eq(ph_beatto_stuck(0), 0);
    ck_assert_int_eq(ph_beatto_stuck(2), 0);
    ck_assert_int_eq(ph_beatto_stuck(3), 1);
}
END_TEST

START_TEST(beatto_stale_seq)
{
    ck_assert_uint_eq(ph_beatto_stale_seq("replayed or old beat: seq 5 is "
                                          "not above 1796184166036\n"),
                      1796184166036ULL);
    ck_assert_uint_eq(ph_beatto_stale_seq("forbidden"), 0);
    ck_assert_uint_eq(ph_beatto_stale_seq(NULL), 0);
}
END_TEST

Suite *test_beatto_suite(void)
{
    Suite *s = suite_create("beatto");
    TCase *tc = ph_test_tcase(s, "beatto");

    tcase_add_test(tc, beatto_parse);
    tcase_add_test(tc, beatto_timeouts);
    tcase_add_test(tc, beatto_url_signed);
    tcase_add_test(tc, beatto_health);
    tcase_add_test(tc, beatto_stale_seq);
    return s;
}
