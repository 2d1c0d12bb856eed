/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_name.c: the device name rules. */

#include "test_util.h"

Suite *test_name_suite(void);

START_TEST(name_valid_names_are_accepted)
{
    const char *good[] = {
        "a", "Z", "7", "kitchen-pi", "raspberrypi", "0pi", "9-lives",
        "a.b_c-d", "pi.local", "under_score", "trailing-", "trailing.",
        "A1.b2_C3-d4", NULL
    };
    const char *why;
    char *max;
    apr_size_t i;

    for (i = 0; good[i]; i++) {
        why = ph_name_check(good[i]);
        ck_assert_msg(why == NULL, "'%s' should be a valid name, got: %s",
                      good[i], S(why));
    }

    /* Exactly 63 characters, using every kind of allowed character. */
    max = repeat('x', PH_NAME_MAX);
    ck_assert_uint_eq(strlen(max), 63);
    max[0] = '9';
    max[10] = '.';
    max[20] = '_';
    max[30] = '-';
    max[62] = 'Q';
    why = ph_name_check(max);
    ck_assert_msg(why == NULL, "a 63-character name should be valid: %s",
                  S(why));
}
END_TEST

START_TEST(name_empty_and_null_are_refused)
{
    ck_assert_ptr_nonnull(ph_name_check(""));
    ck_assert_ptr_nonnull(ph_name_check(NULL));
}
END_TEST

START_TEST(name_longer_than_63_is_refused)
{
    ck_assert_ptr_nonnull(ph_name_check(repeat('a', 64)));
    ck_assert_ptr_nonnull(ph_name_check(repeat('a', 65)));
    ck_assert_ptr_nonnull(ph_name_check(repeat('a', 4096)));
}
END_TEST

/* Each of these is refused, and the reason never echoes the name (it goes
 * into a 400 body and the log, where the name could be an attack). */
START_TEST(name_bad_names_are_refused_without_echo)
{
    const char *bad[] = {
        ".kitchen", "-kitchen", ".", "-", "..", "kitchen pi", " kitchen",
        "kitchen\rpi", "kitchen\npi", "kitchen\tpi", "kitchen<pi",
        "kitchen>pi", "kitchen/pi", "../etc", "kitchen%pi", "kitchen%2Dpi",
        "kitchen:pi", "kitchen\"pi", "kitchen'pi", "kitchen&pi",
        "kitchen\x7fpi", "kitchen\x01pi", "caf\xc3\xa9", "\xc3\xa9",
        "\xff", "k\xe2\x82\xac", NULL
    };
    const char *why;
    apr_size_t i;

    for (i = 0; bad[i]; i++) {
        why = ph_name_check(bad[i]);
        ck_assert_msg(why != NULL, "bad name #%u should be refused",
                      (unsigned)i);
        /* A one-character name ("." or "-") may well be in any sentence. */
        ck_assert_msg(strlen(bad[i]) < 2 || strstr(why, bad[i]) == NULL,
                      "reason for bad name #%u contains the name: %s",
                      (unsigned)i, why);
        ck_assert_msg(!has_control(why), "reason for #%u is not one line",
                      (unsigned)i);
    }
}
END_TEST

Suite *test_name_suite(void)
{
    Suite *s = suite_create("name");
    TCase *tc = ph_test_tcase(s, "name");

    tcase_add_test(tc, name_valid_names_are_accepted);
    tcase_add_test(tc, name_empty_and_null_are_refused);
    tcase_add_test(tc, name_longer_than_63_is_refused);
    tcase_add_test(tc, name_bad_names_are_refused_without_echo);
    return s;
}
