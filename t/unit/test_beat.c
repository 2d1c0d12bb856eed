/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_beat.c: a query string or form body into a beat; the device in the path. */

#include "test_util.h"

Suite *test_beat_suite(void);

/* Assert that @a args is refused with a non-empty one-line reason. */
static void assert_refused(const char *args, const char *what)
{
    ph_beat_t b;
    const char *why = parse1(&b, args);

    ck_assert_msg(why != NULL, "%s should be refused", what);
    ck_assert_msg(*why != '\0', "%s: the reason is empty", what);
    ck_assert_msg(strchr(why, '\n') == NULL && !has_control(why),
                  "%s: the reason is not one line: %s", what, why);
}

START_TEST(beat_bare_number_is_client_time)
{
    ph_beat_t b;
    const char *why = parse1(&b, "1359860402");

    ck_assert_msg(why == NULL, "the seed's bare number was refused: %s", why);
    ck_assert_uint_eq(b.seen, PH_BEAT_T);
    ck_assert(b.t == APR_INT64_C(1359860402));
}
END_TEST

START_TEST(beat_all_keys_are_parsed)
{
    ph_beat_t b;
    const char *why = parse1(&b, "t=5&boot=abc-def&up=123.45&seq=9");

    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen,
                      PH_BEAT_T | PH_BEAT_BOOT | PH_BEAT_UP | PH_BEAT_SEQ);
    ck_assert(b.t == 5);
    ck_assert_pstr_eq(b.boot, "abc-def");
    ck_assert_msg(b.up == 123, "up=123.45 should truncate to 123");
    ck_assert(b.seq == 9);
    ck_assert_ptr_null(b.device);
    ck_assert_ptr_null(b.sig);

    /* device and sig too; sig allows - _ + / = (here percent-encoded). */
    why = parse1(&b, "device=kitchen-pi&sig=AbC9-_%2B%2F%3D&up=7");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_DEVICE | PH_BEAT_SIG | PH_BEAT_UP);
    ck_assert_pstr_eq(b.device, "kitchen-pi");
    ck_assert_pstr_eq(b.sig, "AbC9-_+/=");
    ck_assert(b.up == 7);
}
END_TEST

START_TEST(beat_unknown_keys_are_ignored)
{
    ph_beat_t b;
    const char *why = parse1(&b, "foo=bar&t=1");

    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_T);
    ck_assert(b.t == 1);

    why = parse1(&b, "t=2&version=3.1&foo=&foo=again&hostname");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_T);
    ck_assert(b.t == 2);

    /* Keys are case-sensitive: T= is not t=. */
    why = parse1(&b, "T=abc");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, 0);
}
END_TEST

START_TEST(beat_empty_and_null_args_are_no_keys)
{
    ph_beat_t b;

    ck_assert_ptr_null(parse1(&b, NULL));
    ck_assert_uint_eq(b.seen, 0);
    ck_assert_ptr_null(parse1(&b, ""));
    ck_assert_uint_eq(b.seen, 0);
    ck_assert_ptr_null(parse1(&b, "&"));
    ck_assert_uint_eq(b.seen, 0);
    ck_assert_ptr_null(parse1(&b, "&&&"));
    ck_assert_uint_eq(b.seen, 0);
}
END_TEST

START_TEST(beat_empty_segments_are_skipped)
{
    ph_beat_t b;
    const char *why = parse1(&b, "t=1&&seq=2");

    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_T | PH_BEAT_SEQ);
    ck_assert(b.t == 1);
    ck_assert(b.seq == 2);

    why = parse1(&b, "&t=3&");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_T);
    ck_assert(b.t == 3);
}
END_TEST

START_TEST(beat_repeated_keys_are_refused)
{
    assert_refused("t=1&t=2", "t twice");
    assert_refused("t=1&t=1", "t twice, same value");
    assert_refused("1359860402&t=5", "bare number then t=");
    assert_refused("t=5&1359860402", "t= then bare number");
    assert_refused("1&2", "two bare numbers");
    assert_refused("device=a&device=b", "device twice");
    assert_refused("boot=a&boot=b", "boot twice");
    assert_refused("up=1&up=2", "up twice");
    assert_refused("seq=1&seq=2", "seq twice");
    assert_refused("sig=a&sig=b", "sig twice");
    assert_refused("%74=1&t=2", "t twice, once percent-encoded");
}
END_TEST

/* Query, then body, on the same beat: a key in both is a repetition. */
START_TEST(beat_query_then_body_refuses_key_in_both)
{
    ph_beat_t b;
    const char *why;

    memset(&b, 0, sizeof(b));
    why = ph_beat_parse(&b, "device=kitchen-pi&t=10", pool);
    ck_assert_msg(why == NULL, "query refused: %s", S(why));
    why = ph_beat_parse(&b, "seq=4&up=5", pool);
    ck_assert_msg(why == NULL, "body refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_DEVICE | PH_BEAT_T | PH_BEAT_SEQ
                      | PH_BEAT_UP);
    ck_assert_pstr_eq(b.device, "kitchen-pi");
    ck_assert(b.t == 10 && b.seq == 4 && b.up == 5);

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "t=1", pool));
    why = ph_beat_parse(&b, "t=2", pool);
    ck_assert_msg(why != NULL, "t in query and body should be refused");
    ck_assert_ptr_null(strchr(why, '\n'));

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "1359860402", pool));
    ck_assert_ptr_nonnull(ph_beat_parse(&b, "t=1359860402", pool));

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "device=a", pool));
    ck_assert_ptr_nonnull(ph_beat_parse(&b, "device=a", pool));
}
END_TEST

START_TEST(beat_malformed_values_are_refused)
{
    static const char *const bad[] = {
        "t=abc", "t=-1", "t=+5", "t=%2B5", "t=", "t= 5", "t=5 ", "t=5x",
        "t=0x10", "t=1.5", "t=12345678901234567890",
        "t=00000000000000000001", "t=253402300800", "t=99999999999999",
        "123abc",
        "up=1.2.3", "up=1.", "up=.5", "up=-1", "up=abc", "up=",
        "up=1.5e3", "up=3153600001", "up=1.1234567890",
        "seq=99999999999999999999", "seq=9223372036854775808", "seq=-1",
        "seq=", "seq=1a",
        "boot=", "boot=a%3Cb", "boot=<script>", "boot=abc_def",
        "boot=abc%20def", "device=", "sig=", "sig=a+b", "sig=a%20b",
        "sig=a<b", "sig=a%0Ab",
        NULL
    };
    apr_size_t i;

    for (i = 0; bad[i]; i++) {
        assert_refused(bad[i], bad[i]);
    }

    /* A 37-character boot id; 36 (a UUID) is the longest. */
    assert_refused(apr_pstrcat(pool, "boot=", repeat('a', 37), NULL),
                   "boot with 37 chars");
    /* A 129-character signature. */
    assert_refused(apr_pstrcat(pool, "sig=", repeat('A', PH_SIG_MAX + 1),
                               NULL), "sig with 129 chars");
    /* One bad value refuses the whole beat, whatever its place. */
    assert_refused("t=1&seq=2&boot=x&up=zz", "bad up at the end");
}
END_TEST

START_TEST(beat_boundary_values_are_accepted)
{
    ph_beat_t b;
    const char *why;
    const char *uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";

    why = parse1(&b, "t=0");
    ck_assert_msg(why == NULL, "t=0 refused: %s", S(why));
    ck_assert(b.t == 0 && (b.seen & PH_BEAT_T));

    why = parse1(&b, "t=253402300799");
    ck_assert_msg(why == NULL, "t=PH_T_MAX refused: %s", S(why));
    ck_assert(b.t == PH_T_MAX);

    why = parse1(&b, "seq=9223372036854775807");
    ck_assert_msg(why == NULL, "largest seq refused: %s", S(why));
    ck_assert(b.seq == APR_UINT64_C(9223372036854775807));

    why = parse1(&b, "up=3153600000.999999999");
    ck_assert_msg(why == NULL, "largest up refused: %s", S(why));
    ck_assert(b.up == PH_UP_MAX);

    ck_assert_uint_eq(strlen(uuid), PH_BOOT_MAX);
    why = parse1(&b, apr_pstrcat(pool, "boot=", uuid, NULL));
    ck_assert_msg(why == NULL, "a UUID boot id refused: %s", S(why));
    ck_assert_pstr_eq(b.boot, uuid);

    why = parse1(&b, apr_pstrcat(pool, "sig=", repeat('A', PH_SIG_MAX),
                                 NULL));
    ck_assert_msg(why == NULL, "a 128-char sig refused: %s", S(why));
    ck_assert_uint_eq(strlen(b.sig), PH_SIG_MAX);
}
END_TEST

START_TEST(beat_bad_percent_encoding_is_refused)
{
    assert_refused("t=%zz", "t=%zz");
    assert_refused("t=%1", "t=%1");
    assert_refused("t=1%", "trailing %");
    assert_refused("%", "a lone %");
    assert_refused("t=1&%", "a lone % after a good key");
    assert_refused("t=%G1", "t=%G1");
    assert_refused("device=a%00b", "encoded NUL in a value");
    assert_refused("t=%00", "t=%00");
    assert_refused("%00=1", "encoded NUL in a key");
    assert_refused("device=kitchen%2", "truncated escape");
}
END_TEST

START_TEST(beat_values_are_percent_decoded)
{
    ph_beat_t b;
    const char *why;

    why = parse1(&b, "device=kitchen%2Dpi");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_pstr_eq(b.device, "kitchen-pi");

    why = parse1(&b, "device=kitchen%2dpi");
    ck_assert_msg(why == NULL, "lower-case hex refused: %s", S(why));
    ck_assert_pstr_eq(b.device, "kitchen-pi");

    why = parse1(&b, "device=kitchen+pi");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_pstr_eq(b.device, "kitchen pi");

    why = parse1(&b, "t=%31%32");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert(b.t == 12);

    why = parse1(&b, "%74=7");
    ck_assert_msg(why == NULL, "an encoded key refused: %s", S(why));
    ck_assert(b.t == 7 && (b.seen & PH_BEAT_T));

    /* Decoding happens once: %2525 is "%25", not "%". */
    why = parse1(&b, "device=a%2525");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_pstr_eq(b.device, "a%25");
}
END_TEST

START_TEST(path_device_is_first_segment)
{
    ck_assert_pstr_eq(ph_beat_path_device("/kitchen-pi", pool), "kitchen-pi");
    ck_assert_pstr_eq(ph_beat_path_device("/kitchen-pi/", pool),
                      "kitchen-pi");
    ck_assert_pstr_eq(ph_beat_path_device("/a/b", pool), "a");
    ck_assert_pstr_eq(ph_beat_path_device("/a/b/c/", pool), "a");
    ck_assert_ptr_null(ph_beat_path_device("", pool));
    ck_assert_ptr_null(ph_beat_path_device("/", pool));
    ck_assert_ptr_null(ph_beat_path_device("//", pool));
    ck_assert_ptr_null(ph_beat_path_device(NULL, pool));
}
END_TEST

START_TEST(beat_device_precedence)
{
    ph_beat_t b;

    ck_assert_ptr_null(parse1(&b, "device=from-query"));

    /* The path beats device=. */
    ck_assert_pstr_eq(ph_beat_device(&b, "from-path"), "from-path");
    /* device= beats the default. */
    ck_assert_pstr_eq(ph_beat_device(&b, NULL), "from-query");

    /* Neither: the seed's default device. */
    ck_assert_ptr_null(parse1(&b, "t=1"));
    ck_assert_pstr_eq(ph_beat_device(&b, NULL), "raspberrypi");
    ck_assert_pstr_eq(ph_beat_device(&b, NULL), PH_DEFAULT_DEVICE);
    ck_assert_pstr_eq(ph_beat_device(&b, "from-path"), "from-path");
}
END_TEST

Suite *test_beat_suite(void)
{
    Suite *s = suite_create("beat");
    TCase *tc = ph_test_tcase(s, "beat");

    tcase_add_test(tc, beat_bare_number_is_client_time);
    tcase_add_test(tc, beat_all_keys_are_parsed);
    tcase_add_test(tc, beat_unknown_keys_are_ignored);
    tcase_add_test(tc, beat_empty_and_null_args_are_no_keys);
    tcase_add_test(tc, beat_empty_segments_are_skipped);
    tcase_add_test(tc, beat_repeated_keys_are_refused);
    tcase_add_test(tc, beat_query_then_body_refuses_key_in_both);
    tcase_add_test(tc, beat_malformed_values_are_refused);
    tcase_add_test(tc, beat_boundary_values_are_accepted);
    tcase_add_test(tc, beat_bad_percent_encoding_is_refused);
    tcase_add_test(tc, beat_values_are_percent_decoded);
    tcase_add_test(tc, path_device_is_first_segment);
    tcase_add_test(tc, beat_device_precedence);
    return s;
}
