/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_conf.c: checking directive values. */

#include "test_util.h"

Suite *test_conf_suite(void);

START_TEST(conf_seconds_accepts_range)
{
    apr_uint32_t v = 0;

    ck_assert_ptr_null(ph_conf_seconds(pool, "300", 1, 3600, &v));
    ck_assert_uint_eq(v, 300);
    ck_assert_ptr_null(ph_conf_seconds(pool, "1", 1, 3600, &v));
    ck_assert_uint_eq(v, 1);
    ck_assert_ptr_null(ph_conf_seconds(pool, "3600", 1, 3600, &v));
    ck_assert_uint_eq(v, 3600);
    ck_assert_ptr_null(ph_conf_seconds(pool, "0", 0, 10, &v));
    ck_assert_uint_eq(v, 0);
    ck_assert_ptr_null(ph_conf_seconds(pool, "0300", 1, 3600, &v));
    ck_assert_uint_eq(v, 300);
    ck_assert_ptr_null(ph_conf_seconds(pool, "31536000", 1,
                                       PH_MAX_AGE_LIMIT, &v));
    ck_assert_uint_eq(v, PH_MAX_AGE_LIMIT);
}
END_TEST

START_TEST(conf_seconds_refuses_and_names_value)
{
    static const char *const bad[] = {
        "0", "abc", "", "-1", "1e3", "99999999999", "3601", " 5", "5 ",
        "+5", "1.5", "0x10", "18446744073709551617", NULL
    };
    apr_size_t i;

    for (i = 0; bad[i]; i++) {
        apr_uint32_t v = 12345;
        const char *why = ph_conf_seconds(pool, bad[i], 1, 3600, &v);

        ck_assert_msg(why != NULL, "'%s' should be refused", bad[i]);
        ck_assert_msg(strstr(why, apr_psprintf(pool, "'%s'", bad[i])) != NULL,
                      "message for '%s' does not name it: %s", bad[i], why);
        ck_assert_msg(v == 12345, "'%s' wrote the output", bad[i]);
    }

    /* A control character in the value is not copied into the message. */
    {
        apr_uint32_t v;
        const char *why = ph_conf_seconds(pool, "5\n6", 1, 3600, &v);

        ck_assert_ptr_nonnull(why);
        ck_assert_msg(!has_control(why), "message is not one line");
        ck_assert_ptr_nonnull(strstr(why, "5?6"));
    }
}
END_TEST

START_TEST(conf_flag)
{
    int on = -1;
    const char *why;

    ck_assert_ptr_null(ph_conf_flag(pool, "On", &on));
    ck_assert_int_eq(on, 1);
    ck_assert_ptr_null(ph_conf_flag(pool, "off", &on));
    ck_assert_int_eq(on, 0);
    ck_assert_ptr_null(ph_conf_flag(pool, "ON", &on));
    ck_assert_int_eq(on, 1);
    ck_assert_ptr_null(ph_conf_flag(pool, "OFF", &on));
    ck_assert_int_eq(on, 0);

    on = -1;
    why = ph_conf_flag(pool, "yes", &on);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "'yes'"));
    ck_assert_int_eq(on, -1);
    ck_assert_ptr_nonnull(ph_conf_flag(pool, "", &on));
    ck_assert_ptr_nonnull(ph_conf_flag(pool, "On ", &on));
    ck_assert_ptr_nonnull(ph_conf_flag(pool, "1", &on));
    ck_assert_int_eq(on, -1);
}
END_TEST

START_TEST(conf_address)
{
    static const char *const good[] = {
        "me@example.com", "9085551234@vtext.com", "a@b", "first.last@x.org",
        "ops+pi@example.com", NULL
    };
    static const char *const bad[] = {
        "example.com", "a@b@c", "a@", "@b", "@", "", "me @example.com",
        "me@example.com ", "me@exa\rmple.com", "me@example.com\n",
        "me@example.com\r\nBcc: x@y", "<me@example.com>", "me@example.com,",
        "a@x.com,b@y.org", "me@exa>mple.com", "me;x@example.com",
        "me:x@example.com", "\"me\"@example.com", "m\xc3\xa9@example.com",
        "me@ex\x7f" "ample.com", "me\t@example.com", NULL
    };
    apr_size_t i;

    for (i = 0; good[i]; i++) {
        const char *why = ph_conf_address(pool, good[i]);

        ck_assert_msg(why == NULL, "'%s' should be an address: %s", good[i],
                      S(why));
    }
    for (i = 0; bad[i]; i++) {
        const char *why = ph_conf_address(pool, bad[i]);

        ck_assert_msg(why != NULL, "bad address #%u should be refused",
                      (unsigned)i);
        ck_assert_msg(!has_control(why), "message #%u is not one line",
                      (unsigned)i);
    }
    ck_assert_ptr_nonnull(strstr(ph_conf_address(pool, "nobody"),
                                 "'nobody'"));
    /* Too long for an SMTP path. */
    ck_assert_ptr_nonnull(ph_conf_address(pool,
        apr_pstrcat(pool, repeat('a', 250), "@x.org", NULL)));
}
END_TEST

START_TEST(conf_hostport)
{
    static const char *const bad[] = {
        "", ":25", "host:99999", "host:0", "host:abc", "host:", "mail:25x",
        "a b", "mail.example.com\r\n", "host/x", "::1", "fe80::1",
        "1.2.3.4:25:25", "[zz]:25", "[1.2.3.4]:25", "[::1]x",
        "[fe80::1%eth0]:25", NULL
    };
    const char *host = NULL;
    apr_port_t port = 0;
    apr_size_t i;

    ck_assert_ptr_null(ph_conf_hostport(pool, "mail.example.com", 25, &host,
                                        &port));
    ck_assert_pstr_eq(host, "mail.example.com");
    ck_assert_uint_eq(port, 25);

    ck_assert_ptr_null(ph_conf_hostport(pool, "localhost:2525", 25, &host,
                                        &port));
    ck_assert_pstr_eq(host, "localhost");
    ck_assert_uint_eq(port, 2525);

    ck_assert_ptr_null(ph_conf_hostport(pool, "[::1]:25", 587, &host,
                                        &port));
    ck_assert_pstr_eq(host, "::1");
    ck_assert_uint_eq(port, 25);

    ck_assert_ptr_null(ph_conf_hostport(pool, "[::1]", 587, &host, &port));
    ck_assert_pstr_eq(host, "::1");
    ck_assert_uint_eq(port, 587);

    ck_assert_ptr_null(ph_conf_hostport(pool, "192.0.2.1:465", 25, &host,
                                        &port));
    ck_assert_pstr_eq(host, "192.0.2.1");
    ck_assert_uint_eq(port, 465);

    host = "unchanged";
    port = 1;
    for (i = 0; bad[i]; i++) {
        ck_assert_msg(ph_conf_hostport(pool, bad[i], 25, &host, &port)
                      != NULL, "bad host:port #%u should be refused",
                      (unsigned)i);
    }
    ck_assert_ptr_nonnull(strstr(ph_conf_hostport(pool, "host:abc", 25,
                                                  &host, &port),
                                 "'host:abc'"));
    ck_assert_str_eq(host, "unchanged");
    ck_assert_uint_eq(port, 1);
}
END_TEST

START_TEST(conf_display)
{
    ck_assert_ptr_null(ph_conf_display(pool, "Kitchen Pi"));
    ck_assert_ptr_null(ph_conf_display(pool, "K\xc3\xbc" "che \xe2\x82\xac"));
    ck_assert_ptr_null(ph_conf_display(pool, "x"));
    ck_assert_ptr_null(ph_conf_display(pool, repeat('a', 200)));

    ck_assert_ptr_nonnull(ph_conf_display(pool, ""));
    ck_assert_ptr_nonnull(ph_conf_display(pool, repeat('a', 201)));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen\nPi"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen\rPi"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen\tPi"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen\x7fPi"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen \xff"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "\xc0\xaf"));
    ck_assert_ptr_nonnull(strstr(ph_conf_display(pool, "a\nb"), "'a?b'"));
}
END_TEST

START_TEST(conf_device_option)
{
    ph_devconf_t dc;
    const char *why;

    memset(&dc, 0, sizeof(dc));
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "MaxAge=60"));
    ck_assert_uint_eq(dc.max_age, 60);
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "Name=Kitchen Pi"));
    ck_assert_pstr_eq(dc.display, "Kitchen Pi");
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc,
                                             "MailTo=a@x.com,b@y.org"));
    ck_assert_ptr_nonnull(dc.mail_to);
    ck_assert_int_eq(dc.mail_to->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(dc.mail_to, 0, const char *), "a@x.com");
    ck_assert_str_eq(APR_ARRAY_IDX(dc.mail_to, 1, const char *), "b@y.org");
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "Key=/etc/k"));
    ck_assert_pstr_eq(dc.key_file, "/etc/k");
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc,
                                             "Cert=vault pi.example.com"));
    ck_assert_pstr_eq(dc.cert_cn, "vault pi.example.com");
    why = ph_conf_device_option(pool, &dc, "Cert=");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "subject CN"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Cert=a\tb"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc,
        "Cert=12345678901234567890123456789012345678901234567890123456789012345"));
    ck_assert_pstr_eq(dc.cert_cn, "vault pi.example.com");   /* unchanged */
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc,
        "Cert=1234567890123456789012345678901234567890123456789012345678901234"));
    ck_assert_uint_eq(strlen(dc.cert_cn), 64);

    /* Option names are case-insensitive, like directives. */
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "maxage=90"));
    ck_assert_uint_eq(dc.max_age, 90);
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "MailTo=c@z.net"));
    ck_assert_int_eq(dc.mail_to->nelts, 1);

    why = ph_conf_device_option(pool, &dc, "Foo=1");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "Foo"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MaxAge"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Name"));

    why = ph_conf_device_option(pool, &dc, "MaxAge=0");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "'0'"));
    ck_assert_uint_eq(dc.max_age, 90);
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MaxAge=abc"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc,
                                                "MaxAge=31536001"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MaxAge="));

    why = ph_conf_device_option(pool, &dc, "MailTo=bad");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "'bad'"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc,
                                                "MailTo=a@x.com,bad"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MailTo="));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MailTo=,"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Name="));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Name=a\nb"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Key="));
}
END_TEST

START_TEST(conf_words)
{
    apr_array_header_t *w = NULL;
    const char *why;

    why = ph_conf_words(pool, "kitchen Name=\"Kitchen Pi\" MaxAge=60", &w);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_int_eq(w->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(w, 0, char *), "kitchen");
    ck_assert_str_eq(APR_ARRAY_IDX(w, 1, char *), "Name=Kitchen Pi");
    ck_assert_str_eq(APR_ARRAY_IDX(w, 2, char *), "MaxAge=60");

    why = ph_conf_words(pool, "  a\t b  ", &w);
    ck_assert_ptr_null(why);
    ck_assert_int_eq(w->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(w, 0, char *), "a");
    ck_assert_str_eq(APR_ARRAY_IDX(w, 1, char *), "b");

    ck_assert_ptr_null(ph_conf_words(pool, "", &w));
    ck_assert_int_eq(w->nelts, 0);
    ck_assert_ptr_null(ph_conf_words(pool, "   ", &w));
    ck_assert_int_eq(w->nelts, 0);

    /* A backslash quotes the next character inside quotes. */
    ck_assert_ptr_null(ph_conf_words(pool, "\"say \\\"hi\\\"\" x", &w));
    ck_assert_int_eq(w->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(w, 0, char *), "say \"hi\"");
    ck_assert_str_eq(APR_ARRAY_IDX(w, 1, char *), "x");

    why = ph_conf_words(pool, "kitchen Name=\"Kitchen Pi", &w);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(ph_conf_words(pool, "\"", &w));
    ck_assert_ptr_nonnull(ph_conf_words(pool, "a \"b\\\"", &w));
}
END_TEST

Suite *test_conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = ph_test_tcase(s, "conf");

    tcase_add_test(tc, conf_seconds_accepts_range);
    tcase_add_test(tc, conf_seconds_refuses_and_names_value);
    tcase_add_test(tc, conf_flag);
    tcase_add_test(tc, conf_address);
    tcase_add_test(tc, conf_hostport);
    tcase_add_test(tc, conf_display);
    tcase_add_test(tc, conf_device_option);
    tcase_add_test(tc, conf_words);
    return s;
}
