/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_admin.c: the admin handler's path and form. */

#include "test_util.h"
#include "ph_admin.h"

Suite *test_admin_suite(void);

#define NOW 1795593600

START_TEST(admin_path_page_and_actions)
{
    const char *dev, *why;
    int action, status;

    ck_assert_ptr_null(ph_admin_path(pool, "", &action, &dev, &status));
    ck_assert_int_eq(action, PH_ADMIN_PAGE);
    ck_assert_ptr_null(ph_admin_path(pool, "/", &action, &dev, &status));
    ck_assert_int_eq(action, PH_ADMIN_PAGE);
    ck_assert_ptr_null(ph_admin_path(pool, "/devices/kitchen-pi/pause",
                                     &action, &dev, &status));
    ck_assert_int_eq(action, PH_ADMIN_PAUSE);
    ck_assert_str_eq(dev, "kitchen-pi");
    ck_assert_ptr_null(ph_admin_path(pool, "/devices/a.b_c/resume",
                                     &action, &dev, &status));
    ck_assert_int_eq(action, PH_ADMIN_RESUME);
    ck_assert_ptr_null(ph_admin_path(pool, "/devices/x/forget",
                                     &action, &dev, &status));
    ck_assert_int_eq(action, PH_ADMIN_FORGET);

    why = ph_admin_path(pool, "/devices/x/delete", &action, &dev, &status);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(status, 404);
    why = ph_admin_path(pool, "/other", &action, &dev, &status);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(status, 404);
    why = ph_admin_path(pool, "/devices/x", &action, &dev, &status);
    ck_assert_int_eq(status, 404);
    why = ph_admin_path(pool, "/devices/x/pause/more", &action, &dev,
                        &status);
    ck_assert_int_eq(status, 404);
    why = ph_admin_path(pool, "/devices/.x/pause", &action, &dev, &status);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(status, 400);
    ck_assert(!has_control(why));
    why = ph_admin_path(pool, "/devices//pause", &action, &dev, &status);
    ck_assert_int_eq(status, 400);
    why = ph_admin_path(pool, apr_pstrcat(pool, "/devices/", repeat('a', 64),
                                          "/pause", NULL), &action, &dev,
                        &status);
    ck_assert_int_eq(status, 400);
}
END_TEST

START_TEST(admin_form_for_until_and_neither)
{
    ph_admin_form_t f;

    ck_assert_ptr_null(ph_admin_form(pool, "", PH_ADMIN_PAUSE, NOW, &f));
    ck_assert(f.until == 0 && f.nonce == NULL && !f.back);
    ck_assert_ptr_null(ph_admin_form(pool, "for=2", PH_ADMIN_PAUSE, NOW, &f));
    ck_assert(f.until == NOW + 2);
    ck_assert_ptr_null(ph_admin_form(pool, "for=31622400&x=y",
                                     PH_ADMIN_PAUSE, NOW, &f));
    ck_assert(f.until == NOW + PH_ADMIN_PAUSE_MAX);
    ck_assert_ptr_null(ph_admin_form(pool, "until=1795597200&nonce=ab%63d"
                                     "&back=1", PH_ADMIN_PAUSE, NOW, &f));
    ck_assert(f.until == 1795597200);
    ck_assert_str_eq(f.nonce, "abcd");
    ck_assert(f.back);
    ck_assert_ptr_null(ph_admin_form(pool, "for=&until=", PH_ADMIN_PAUSE,
                                     NOW, &f));
    ck_assert(f.until == 0);
    ck_assert_ptr_null(ph_admin_form(pool, "nonce=x", PH_ADMIN_FORGET, NOW,
                                     &f));
}
END_TEST

START_TEST(admin_form_refuses_bad_durations)
{
    static const char *const bad[] = {
        "for=0", "for=-5", "for=abc", "for=1.5", "for=31622401",
        "for=999999999999999", "for=2&until=1795597200", "for=%00",
        "for=%zz", "until=1795593600", "until=1", "until=-1",
        "until=soon", "until=1827216001", "until=99999999999999999999",
        "for= 5",
    };
    ph_admin_form_t f;
    apr_size_t i;

    for (i = 0; i < NELTS(bad); i++) {
        const char *why = ph_admin_form(pool, bad[i], PH_ADMIN_PAUSE, NOW,
                                        &f);

        ck_assert_msg(why != NULL, "'%s' accepted", bad[i]);
        ck_assert_msg(!strchr(why, '\n') && !has_control(why),
                      "'%s': not one line", bad[i]);
    }
    /* for= on another action is a mistake too. */
    ck_assert_ptr_nonnull(ph_admin_form(pool, "for=5", PH_ADMIN_RESUME, NOW,
                                        &f));
    ck_assert_ptr_nonnull(ph_admin_form(pool, "until=1795597200",
                                        PH_ADMIN_FORGET, NOW, &f));
}
END_TEST

START_TEST(admin_nonce_compare)
{
    const char *n = "0123456789abcdef0123456789abcdef";

    ck_assert(ph_admin_nonce_ok(n, "0123456789abcdef0123456789abcdef"));
    ck_assert(!ph_admin_nonce_ok(n, "0123456789abcdef0123456789abcdee"));
    ck_assert(!ph_admin_nonce_ok(n, "1123456789abcdef0123456789abcdef"));
    ck_assert(!ph_admin_nonce_ok(n, "0123456789abcdef0123456789abcde"));
    ck_assert(!ph_admin_nonce_ok(n, "0123456789abcdef0123456789abcdef0"));
    ck_assert(!ph_admin_nonce_ok(n, ""));
    ck_assert(!ph_admin_nonce_ok(n, NULL));
    ck_assert(!ph_admin_nonce_ok(NULL, n));
}
END_TEST

Suite *test_admin_suite(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = ph_test_tcase(s, "admin");

    tcase_add_test(tc, admin_path_page_and_actions);
    tcase_add_test(tc, admin_form_for_until_and_neither);
    tcase_add_test(tc, admin_form_refuses_bad_durations);
    tcase_add_test(tc, admin_nonce_compare);
    return s;
}
