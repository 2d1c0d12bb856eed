/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_sig.c: the signed message, HMAC-SHA256 verification, key files. */

#include "test_util.h"

Suite *test_sig_suite(void);

/* ------------------------------------------------------------------ */
/* ph_sig: vectors computed independently with Python's hmac module.   */

#define SIG_KEY "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffee"

START_TEST(sig_message_and_vector)
{
    ph_beat_t b;
    const char *msg;

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=100&t=1700000000&boot=5e2f64b9"
                                     "-0961-492c-8f4c-f01abadc085b&up=12345.67",
                                     pool));
    msg = ph_sig_message(pool, "signed-pi", &b);
    ck_assert_str_eq(msg, "phonehome-v1\nsigned-pi\n100\n1700000000\n"
                     "5e2f64b9-0961-492c-8f4c-f01abadc085b\n12345.67");
    ck_assert_str_eq(ph_sig_compute(pool, SIG_KEY, 48, msg),
                     "00c1e0c7af17924f6c2067f85d1c8d3e"
                     "2bd39790af3d2d388888398e78f08f2e");
}
END_TEST

START_TEST(sig_missing_fields_are_empty)
{
    ph_beat_t b;

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=7", pool));
    ck_assert_str_eq(ph_sig_message(pool, "raspberrypi", &b),
                     "phonehome-v1\nraspberrypi\n7\n\n\n");
    ck_assert_str_eq(ph_sig_compute(pool, SIG_KEY, 48,
                                    ph_sig_message(pool, "raspberrypi", &b)),
                     "4dc959978dc38a0cb3006910c9befedc"
                     "60ad66751149ebce44a8b57794f01e60");
}
END_TEST

START_TEST(sig_verify)
{
    ph_beat_t b;
    const char *args = "seq=7&sig=4DC959978DC38A0CB3006910C9BEFEDC"
                       "60AD66751149EBCE44A8B57794F01E60";

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, args, pool));
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "raspberrypi", &b), 1);
    /* Another device, another key, another value: refused. */
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "kitchen-pi", &b), 0);
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 47, "raspberrypi", &b), 0);
    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=8&sig=4dc959978dc38a0cb3006910"
                                     "c9befedc60ad66751149ebce44a8b57794f01e60",
                                     pool));
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "raspberrypi", &b), 0);
    /* No signature, or a short one. */
    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=7", pool));
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "raspberrypi", &b), 0);
    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=7&sig=4dc9", pool));
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "raspberrypi", &b), 0);
}
END_TEST

START_TEST(sig_key_parse)
{
    const char *key, *why;
    apr_size_t len;

    why = ph_sig_key_parse(pool, "  " SIG_KEY " \nsecond line\n",
                           strlen(SIG_KEY) + 16, &key, &len);
    ck_assert_ptr_null(why);
    ck_assert_str_eq(key, SIG_KEY);
    ck_assert_uint_eq(len, 48);
    why = ph_sig_key_parse(pool, "tooshort\n", 9, &key, &len);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_null(strstr(why, "tooshort"));
    ck_assert_ptr_nonnull(ph_sig_key_parse(pool, "", 0, &key, &len));
    ck_assert_ptr_nonnull(ph_sig_key_parse(pool,
        "0123456789abcdef 0123456789abcdef", 33, &key, &len));
    ck_assert_ptr_nonnull(ph_sig_key_parse(pool,
        "0123456789abcdef0123456789abcdef\x01", 33, &key, &len));
    ck_assert_ptr_null(ph_sig_key_parse(pool,
        "0123456789abcdef0123456789abcdef\r\n", 34, &key, &len));
    ck_assert_uint_eq(len, 32);
    /* 31 characters: under 128 bits as hex. */
    ck_assert_ptr_nonnull(ph_sig_key_parse(pool,
        "0123456789abcdef0123456789abcde\n", 32, &key, &len));
}
END_TEST

Suite *test_sig_suite(void)
{
    Suite *s = suite_create("sig");
    TCase *tc = ph_test_tcase(s, "sig");

    tcase_add_test(tc, sig_message_and_vector);
    tcase_add_test(tc, sig_missing_fields_are_empty);
    tcase_add_test(tc, sig_verify);
    tcase_add_test(tc, sig_key_parse);
    return s;
}
