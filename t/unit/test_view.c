/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* The status page's pure parts: query, human times, event sentences. */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_time.h>
#include "ph_view.h"

Suite *test_view_suite(void);

static apr_pool_t *vp;

static void view_setup(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    apr_initialize();
    apr_pool_create(&vp, NULL);
}

static void view_teardown(void)
{
    apr_pool_destroy(vp);
    apr_terminate();
}

START_TEST(query_defaults_and_formats)
{
    ph_query_t q;

    ck_assert_ptr_null(ph_query_parse(vp, NULL, &q));
    ck_assert_int_eq(q.fmt, PH_FMT_HTML);
    ck_assert_int_eq(q.limit, -1);
    ck_assert_int_eq(q.offset, 0);
    ck_assert_ptr_null(ph_query_parse(vp, "metrics=", &q));
    ck_assert_int_eq(q.fmt, PH_FMT_METRICS);
    ck_assert_ptr_null(ph_query_parse(vp, "metrics=whatever%20x", &q));
    ck_assert_int_eq(q.fmt, PH_FMT_METRICS);
    ck_assert_ptr_null(ph_query_parse(vp, "json&state=down,unknown&q=Kit+"
                                      "chen&limit=5&offset=10", &q));
    ck_assert_int_eq(q.fmt, PH_FMT_JSON);
    ck_assert_uint_eq(q.states, (1u << PH_STATE_DOWN)
                                | (1u << PH_STATE_UNKNOWN));
    ck_assert_str_eq(q.q, "Kit chen");
    ck_assert_int_eq(q.limit, 5);
    ck_assert_int_eq(q.offset, 10);
    ck_assert_ptr_null(ph_query_parse(vp, "refresh", &q));
    ck_assert_int_eq(q.refresh, 10);
    ck_assert_ptr_null(ph_query_parse(vp, "device=kitchen-pi&auto", &q));
    ck_assert_str_eq(q.device, "kitchen-pi");
    ck_assert_int_eq(q.fmt, PH_FMT_AUTO);
    ck_assert_ptr_null(ph_query_parse(vp, "unknown-key=1&badge=a.b", &q));
    ck_assert_str_eq(q.badge, "a.b");
    ck_assert_ptr_null(ph_query_parse(vp, "state=&q=", &q));     /* a form */
    ck_assert_uint_eq(q.states, 0);
    ck_assert_ptr_null(q.q);
}
END_TEST

START_TEST(query_refuses_bad_values)
{
    static const char *const bad[] = {
        "state=sideways", "state=,", "state=up,,x", "limit=-1", "limit=abc",
        "limit=1000001", "limit=99999999999999999999999", "offset=-5",
        "offset=", "refresh=0", "refresh=3601", "device=", "device=%0A",
        "device=-x", "badge=a%20b", "q=%zz", "q=a%00b",
        "q=01234567890123456789012345678901234567890123456789012345678901234",
        NULL
    };
    ph_query_t q;
    int i;

    for (i = 0; bad[i]; i++) {
        ck_assert_msg(ph_query_parse(vp, bad[i], &q) != NULL,
                      "accepted %s", bad[i]);
    }
}
END_TEST

START_TEST(human_durations)
{
    ck_assert_str_eq(ph_human_duration(vp, -3), "0 s");
    ck_assert_str_eq(ph_human_duration(vp, 45), "45 s");
    ck_assert_str_eq(ph_human_duration(vp, 180), "3 min");
    ck_assert_str_eq(ph_human_duration(vp, 2 * 3600 + 14 * 60 + 9),
                     "2 h 14 min");
    ck_assert_str_eq(ph_human_duration(vp, 7200), "2 h");
    ck_assert_str_eq(ph_human_duration(vp, 3 * 86400 + 4 * 3600 + 5),
                     "3 d 4 h");
    ck_assert_str_eq(ph_human_duration(vp, 86400), "1 d");
    ck_assert_str_eq(ph_human_ago(vp, apr_time_from_sec(1000), 0), "never");
    ck_assert_str_eq(ph_human_ago(vp, apr_time_from_sec(1000),
                                  apr_time_from_sec(998)), "just now");
    ck_assert_str_eq(ph_human_ago(vp, apr_time_from_sec(1000),
                                  apr_time_from_sec(820)), "3 min ago");
}
END_TEST

START_TEST(human_times_carry_the_zone)
{
    apr_time_t now = apr_time_from_sec(1795603824);     /* 2026-11-25 */

    ck_assert_str_eq(ph_human_time(vp, now, now - apr_time_from_sec(60)),
                     "10:49 UTC");
    ck_assert_str_eq(ph_human_time(vp, now,
                                   now - apr_time_from_sec(3 * 86400)),
                     "2026-11-22 10:50 UTC");
    ck_assert_str_eq(ph_human_time(vp, now, 0), "-");
}
END_TEST

START_TEST(json_flat_get)
{
    const char *l = "{\"time\":17,\"event\":\"down\",\"device\":\"a\\\"b\","
                    "\"display\":\"x\\u003cy\\u00e9\",\"rebooted\":false}";

    ck_assert_str_eq(ph_json_flat_get(vp, l, "time"), "17");
    ck_assert_str_eq(ph_json_flat_get(vp, l, "device"), "a\"b");
    ck_assert_str_eq(ph_json_flat_get(vp, l, "display"), "x<y\xc3\xa9");
    ck_assert_str_eq(ph_json_flat_get(vp, l, "rebooted"), "false");
    ck_assert_ptr_null(ph_json_flat_get(vp, l, "missing"));
    /* A key inside a value is not a key. */
    ck_assert_ptr_null(ph_json_flat_get(vp, "{\"a\":\"\\\"event\\\":1\"}",
                                        "event"));
    ck_assert_ptr_null(ph_json_flat_get(vp, "not json", "a"));
    ck_assert_ptr_null(ph_json_flat_get(vp, "{\"a\":\"unterminated", "a"));
}
END_TEST

START_TEST(event_sentences)
{
    apr_time_t now = apr_time_from_sec(1795603824);
    const char *dev;

    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"down\",\"device\":\"kitchen-pi\",\"display\":\"Kitchen Pi\","
        "\"state\":\"down\",\"former\":\"up\"}", now, &dev),
        "Kitchen Pi (kitchen-pi) went down at 10:42 UTC.");
    ck_assert_str_eq(dev, "kitchen-pi");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"up\",\"device\":\"k\",\"display\":\"k\",\"former\":\"down\","
        "\"rebooted\":true}", now, NULL),
        "k came back up at 10:42 UTC (it had restarted: power cut or "
        "reboot).");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"flap\",\"device\":\"k\",\"display\":\"k\",\"state\":\"up\","
        "\"since\":1795603319,\"changes\":4,\"period\":60}", now, NULL),
        "k started flapping at 10:42 UTC (4 changes of state within 60 s).");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"flap_end\",\"device\":\"k\",\"display\":\"k\",\"state\":"
        "\"down\",\"since\":1795603319,\"changes\":9,\"period\":60}", now,
        NULL), "k stopped flapping at 10:42 UTC: down, after 9 changes of "
        "state.");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"mail_queued\",\"mail\":\"m\",\"devices\":1}", now, &dev),
        "An alert mail about 1 device was queued at 10:42 UTC.");
    ck_assert_ptr_null(dev);
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"mail_failed\",\"attempts\":2,\"error\":\"421 busy\"}", now, NULL),
        "Delivering an alert mail failed at 10:42 UTC (attempt 2); it will "
        "be retried. The error: 421 busy");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"notify_sent\",\"channel\":\"phone\"}", now, NULL),
        "Channel phone delivered a notification at 10:42 UTC.");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"pause\",\"device\":\"k\",\"state\":\"paused\",\"paused_until\":null,"
        "\"by\":\"alice\",\"remote_ip\":\"::1\"}", now, NULL),
        "k was paused at 10:42 UTC by alice.");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"forget\",\"device\":\"k\",\"state\":\"forgotten\",\"by\":null}",
        now, NULL), "k was forgotten at 10:42 UTC.");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"forget\",\"device\":\"k\",\"by\":\"PhoneHomeForgetAfter\","
        "\"silent\":99}", now, NULL),
        "k was forgotten at 10:42 UTC by PhoneHomeForgetAfter.");
    ck_assert_str_eq(ph_event_sentence(vp, "{\"time\":1795603320,\"event\":"
        "\"pause_end\",\"device\":\"k\",\"state\":\"up\"}", now, NULL),
        "k came out of its pause at 10:42 UTC.");
    ck_assert_ptr_null(ph_event_sentence(vp, "{\"event\":\"down\"}", now,
                                         NULL));
    ck_assert_ptr_null(ph_event_sentence(vp, "garbage", now, NULL));
}
END_TEST

Suite *test_view_suite(void)
{
    Suite *s = suite_create("view");
    TCase *tc = tcase_create("view");

    tcase_add_checked_fixture(tc, view_setup, view_teardown);
    tcase_add_test(tc, query_defaults_and_formats);
    tcase_add_test(tc, query_refuses_bad_values);
    tcase_add_test(tc, human_durations);
    tcase_add_test(tc, human_times_carry_the_zone);
    tcase_add_test(tc, json_flat_get);
    tcase_add_test(tc, event_sentences);
    suite_add_tcase(s, tc);
    return s;
}
