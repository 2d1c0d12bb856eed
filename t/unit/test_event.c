/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_event.c: a transition, its queue line and JSON. */

#include "test_util.h"

Suite *test_event_suite(void);

/* True when @a s is one JSON object: strings closed, escapes known, no
 * raw control characters, brackets balanced, nothing after the end. */
static int json_ish(const char *s)
{
    int depth = 0, in_str = 0;

    if (*s != '{') {
        return 0;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (in_str) {
            if (c < 0x20) {
                return 0;
            }
            if (c == '\\') {
                s++;
                if (*s == '\0' || strchr("\"\\/bfnrtu", *s) == NULL) {
                    return 0;
                }
            }
            else if (c == '"') {
                in_str = 0;
            }
        }
        else if (c == '"') {
            in_str = 1;
        }
        else if (c == '{' || c == '[') {
            depth++;
        }
        else if (c == '}' || c == ']') {
            if (--depth < 0 || (depth == 0 && s[1] != '\0')) {
                return 0;
            }
        }
        else if (c < 0x20) {
            return 0;
        }
    }
    return depth == 0 && !in_str;
}

START_TEST(event_from_device_copies_the_facts)
{
    ph_device_t d;
    ph_event_t e;

    dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
    dev_beat(&d, "t=990&boot=abc-def&up=42", SEC(1000));
    d.gap_start = SEC(700);
    d.flags |= PH_DEV_REBOOTED;

    memset(&e, 0xA5, sizeof(e));
    ph_event_from_device(&e, &d, PH_EV_UP, PH_STATE_DOWN, SEC(1001));
    ck_assert_int_eq(e.kind, PH_EV_UP);
    ck_assert_int_eq(e.former, PH_STATE_DOWN);
    ck_assert(e.time == SEC(1001));
    ck_assert_str_eq(e.name, "kitchen-pi");
    ck_assert(e.last_seen == SEC(1000));
    ck_assert(e.gap_start == SEC(700));
    ck_assert_uint_eq(e.max_age, 300);
    ck_assert_int_eq(e.rebooted, 1);
    ck_assert_int_eq(e.has_skew, 1);
    ck_assert(e.skew == -10);
    ck_assert_int_eq(e.has_uptime, 1);
    ck_assert(e.uptime == 42);
    ck_assert_str_eq(e.remote_ip, "192.0.2.7");
    ck_assert_str_eq(e.boot_id, "abc-def");

    /* Rebooted is news only when coming back up. */
    ph_event_from_device(&e, &d, PH_EV_DOWN, PH_STATE_UP, SEC(1400));
    ck_assert_int_eq(e.kind, PH_EV_DOWN);
    ck_assert_int_eq(e.former, PH_STATE_UP);
    ck_assert_int_eq(e.rebooted, 0);

    /* What the last beat did not say is unknown, not stale. */
    dev_beat(&d, "", SEC(1010));
    ph_event_from_device(&e, &d, PH_EV_DOWN, PH_STATE_UP, SEC(1400));
    ck_assert_int_eq(e.has_skew, 0);
    ck_assert(e.skew == 0);
    ck_assert_int_eq(e.has_uptime, 0);
    ck_assert(e.uptime == 0);
    ck_assert_str_eq(e.boot_id, "abc-def");
    ck_assert(e.last_seen == SEC(1010));
}
END_TEST

/* Format @a e, parse the line back, and compare every field. */
static void assert_event_round_trip(const ph_event_t *e, const char *what)
{
    ph_event_t back;
    const char *line = ph_event_format(pool, e);
    const char *why;

    ck_assert_msg(!has_control(line), "%s: not one line: %s", what, line);
    memset(&back, 0xA5, sizeof(back));
    why = ph_event_parse(&back, line);
    ck_assert_msg(why == NULL, "%s: '%s' refused: %s", what, line, S(why));
    ck_assert_msg(back.kind == e->kind && back.former == e->former,
                  "%s: kind/former", what);
    ck_assert_msg(back.time == e->time, "%s: time", what);
    ck_assert_msg(strcmp(back.name, e->name) == 0, "%s: name", what);
    ck_assert_msg(back.last_seen == e->last_seen, "%s: last_seen", what);
    ck_assert_msg(back.gap_start == e->gap_start, "%s: gap_start", what);
    ck_assert_msg(back.max_age == e->max_age, "%s: max_age", what);
    ck_assert_msg(back.rebooted == e->rebooted, "%s: rebooted", what);
    ck_assert_msg(back.has_skew == e->has_skew, "%s: has_skew", what);
    ck_assert_msg(back.skew == e->skew, "%s: skew %" APR_INT64_T_FMT
                  ", want %" APR_INT64_T_FMT, what, back.skew, e->skew);
    ck_assert_msg(back.has_uptime == e->has_uptime, "%s: has_uptime", what);
    ck_assert_msg(back.uptime == e->uptime, "%s: uptime", what);
    ck_assert_msg(strcmp(back.remote_ip, e->remote_ip) == 0,
                  "%s: remote_ip '%s', want '%s'", what, back.remote_ip,
                  e->remote_ip);
    ck_assert_msg(strcmp(back.boot_id, e->boot_id) == 0,
                  "%s: boot_id '%s', want '%s'", what, back.boot_id,
                  e->boot_id);
    /* And the line is stable. */
    ck_assert_str_eq(ph_event_format(pool, &back), line);
}

START_TEST(event_format_parse_round_trip)
{
    ph_event_t e;

    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_UP;
    e.former = PH_STATE_DOWN;
    e.time = SEC(1360338901) + 123456;
    apr_cpystrn(e.name, "kitchen-pi", sizeof(e.name));
    e.last_seen = SEC(1360338900) + 999999;
    e.gap_start = SEC(1360335200) + 1;
    e.max_age = 300;
    e.rebooted = 1;
    e.has_skew = 1;
    e.skew = -17;
    e.has_uptime = 1;
    e.uptime = 86400;
    apr_cpystrn(e.remote_ip, "192.0.2.7", sizeof(e.remote_ip));
    apr_cpystrn(e.boot_id, "0f8fad5b-d9cb-469f-a165-70867728950e",
                sizeof(e.boot_id));
    assert_event_round_trip(&e, "all fields, negative skew");

    /* Nothing known: no ip, no boot id, never seen. */
    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_DOWN;
    e.former = PH_STATE_UNKNOWN;
    e.time = SEC(1360338901);
    apr_cpystrn(e.name, "garage", sizeof(e.name));
    e.max_age = 60;
    assert_event_round_trip(&e, "no ip, no boot id");

    /* Longest name, IPv6 with a zone, positive skew, first event. */
    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_FIRST;
    e.former = PH_STATE_PAUSED;
    e.time = SEC(253402300799);
    apr_cpystrn(e.name, repeat('n', PH_NAME_MAX), sizeof(e.name));
    e.last_seen = e.time;
    e.max_age = PH_MAX_AGE_LIMIT;
    e.has_skew = 1;
    e.skew = APR_INT64_C(253402300799);
    e.has_uptime = 1;
    e.uptime = PH_UP_MAX;
    apr_cpystrn(e.remote_ip, "fe80::1%eth0", sizeof(e.remote_ip));
    apr_cpystrn(e.boot_id, "abc", sizeof(e.boot_id));
    assert_event_round_trip(&e, "long name, IPv6, positive skew");

    /* An ip but no boot id, and a boot id but no ip. */
    e.boot_id[0] = '\0';
    apr_cpystrn(e.remote_ip, "2001:db8::1", sizeof(e.remote_ip));
    assert_event_round_trip(&e, "no boot id");
    e.remote_ip[0] = '\0';
    apr_cpystrn(e.boot_id, "ABC-123", sizeof(e.boot_id));
    assert_event_round_trip(&e, "no ip");
}
END_TEST

/* A queue line with the given fields; the others are fixed and valid. */
static const char *ev_line(const char *kind, const char *former,
                           const char *name, const char *ip,
                           const char *boot)
{
    return apr_pstrcat(pool, "ev1 ", kind, " ", former, " 1360338901000000 ",
                       name, " 1360338481000000 0 300 0 1 -5 1 42 ", ip, " ",
                       boot, NULL);
}

START_TEST(event_parse_refuses_bad_lines)
{
    const char *good = ev_line("1", "1", "kitchen-pi", "192.0.2.7",
                               "abc-def");
    const char *bad[56];
    ph_event_t e;
    const char *why;
    apr_size_t i, n = 0;

    why = ph_event_parse(&e, good);
    ck_assert_msg(why == NULL, "the good line was refused: %s", S(why));
    ck_assert_str_eq(e.name, "kitchen-pi");
    ck_assert(e.skew == -5 && e.uptime == 42);

    /* Wrong tag. */
    bad[n++] = apr_pstrcat(pool, "ev2", good + 3, NULL);
    bad[n++] = apr_pstrcat(pool, "EV1", good + 3, NULL);
    bad[n++] = apr_pstrcat(pool, "xev1", good + 3, NULL);
    /* Missing fields. */
    bad[n++] = "";
    bad[n++] = "ev1";
    bad[n++] = "ev1 1 1 1360338901000000 kitchen-pi";
    bad[n++] = apr_pstrndup(pool, good, strlen(good) - strlen(" abc-def"));
    /* Trailing garbage. */
    bad[n++] = apr_pstrcat(pool, good, " x", NULL);
    bad[n++] = apr_pstrcat(pool, good, " ", NULL);
    bad[n++] = apr_pstrcat(pool, good, " -", NULL);
    bad[n++] = apr_pstrcat(pool, good, "\t", NULL);
    /* A bad device name. */
    bad[n++] = ev_line("1", "1", ".kitchen", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "1", "a<b", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "1", "caf\xc3\xa9", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "1", repeat('a', PH_NAME_MAX + 1), "192.0.2.7",
                       "abc-def");
    bad[n++] = ev_line("1", "1", "-", "192.0.2.7", "abc-def");
    /* Kind or former state out of range. */
    bad[n++] = ev_line("0", "1", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("4", "1", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("-1", "1", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("x", "1", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "4", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "-1", "kitchen-pi", "192.0.2.7", "abc-def");
    /* A boot id with bad characters, or too long. */
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7", "abc_def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7", "<script>");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7", "abc%def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7",
                       repeat('a', PH_BOOT_MAX + 1));
    /* An ip with a space, bad characters, or too long. */
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7 x", "abc-def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7 x", "-");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7<", "abc-def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "a/b", "abc-def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", repeat('1', PH_IP_MAX + 1),
                       "abc-def");
    /* Negative times. */
    bad[n++] = "ev1 1 1 -1 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi -1 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 -1 300 0 0 0 0 0 - -";
    /* Numbers that would wrap around, or are not plain decimals. */
    bad[n++] = "ev1 1 1 9223372036854775808 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 0 4294967296 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 0 -300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 0 300 0 0 "
               "-9223372036854775809 0 0 - -";
    bad[n++] = "ev1 4294967297 1 5 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 0 300 2 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 +5 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5x kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 - kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1  1 5 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    ck_assert(n <= NELTS(bad));

    /* The extremes that do fit parse exactly. */
    ck_assert_ptr_null(ph_event_parse(&e, "ev1 1 1 9223372036854775807 "
                                      "kitchen-pi 0 0 4294967295 1 1 "
                                      "-9223372036854775808 1 "
                                      "9223372036854775807 - -"));
    ck_assert(e.time == APR_INT64_MAX && e.max_age == 4294967295u);
    ck_assert(e.skew == APR_INT64_MIN && e.uptime == APR_INT64_MAX);

    /* The same fields, valid, to show the refusals are about the field. */
    ck_assert_ptr_null(ph_event_parse(&e, "ev1 1 1 5 kitchen-pi 0 0 300 0 0 "
                                      "0 0 0 - -"));
    ck_assert_str_eq(e.remote_ip, "");
    ck_assert_str_eq(e.boot_id, "");

    for (i = 0; i < n; i++) {
        why = ph_event_parse(&e, bad[i]);
        ck_assert_msg(why != NULL, "bad line #%u should be refused: '%s'",
                      (unsigned)i, bad[i]);
        ck_assert_msg(*why && !has_control(why), "reason #%u", (unsigned)i);
    }

    /* An ip with a space cannot round-trip, so it must not parse. */
    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_DOWN;
    apr_cpystrn(e.name, "kitchen-pi", sizeof(e.name));
    apr_cpystrn(e.remote_ip, "192.0.2.7 x", sizeof(e.remote_ip));
    apr_cpystrn(e.boot_id, "abc-def", sizeof(e.boot_id));
    ck_assert_ptr_nonnull(ph_event_parse(&e, ph_event_format(pool, &e)));
}
END_TEST

START_TEST(event_json_and_word)
{
    ph_event_t e;
    const char *j;

    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_DOWN;
    e.former = PH_STATE_UP;
    e.time = SEC(1360338901) + 500000;
    apr_cpystrn(e.name, "kitchen-pi", sizeof(e.name));
    e.last_seen = SEC(1360338481);
    apr_cpystrn(e.remote_ip, "192.0.2.7", sizeof(e.remote_ip));

    j = ph_event_json(pool, &e, "Kitchen \"Pi\" <1>\n\xc3\xbc");
    ck_assert_msg(json_ish(j), "not JSON: %s", j);
    ck_assert_ptr_nonnull(strstr(j, "\"time\":1360338901,"));
    ck_assert_ptr_nonnull(strstr(j, "\"event\":\"down\""));
    ck_assert_ptr_nonnull(strstr(j, "\"device\":\"kitchen-pi\""));
    ck_assert_ptr_nonnull(strstr(j, "\"display\":\"Kitchen \\\"Pi\\\" "
                                 "\\u003c1\\u003e\\n\xc3\xbc\""));
    ck_assert_ptr_nonnull(strstr(j, "\"state\":\"down\""));
    ck_assert_ptr_nonnull(strstr(j, "\"former\":\"up\""));
    ck_assert_ptr_nonnull(strstr(j, "\"last_seen\":1360338481"));
    ck_assert_ptr_nonnull(strstr(j, "\"remote_ip\":\"192.0.2.7\""));
    ck_assert_ptr_nonnull(strstr(j, "\"rebooted\":false"));

    e.kind = PH_EV_UP;
    e.former = PH_STATE_DOWN;
    e.rebooted = 1;
    j = ph_event_json(pool, &e, "Kitchen");
    ck_assert_msg(json_ish(j), "not JSON: %s", j);
    ck_assert_ptr_nonnull(strstr(j, "\"event\":\"up\""));
    ck_assert_ptr_nonnull(strstr(j, "\"state\":\"up\""));
    ck_assert_ptr_nonnull(strstr(j, "\"former\":\"down\""));
    ck_assert_ptr_nonnull(strstr(j, "\"rebooted\":true"));

    /* Never seen, no address. */
    e.kind = PH_EV_FIRST;
    e.former = PH_STATE_UNKNOWN;
    e.last_seen = 0;
    e.remote_ip[0] = '\0';
    j = ph_event_json(pool, &e, "");
    ck_assert_msg(json_ish(j), "not JSON: %s", j);
    ck_assert_ptr_nonnull(strstr(j, "\"event\":\"first\""));
    ck_assert_ptr_nonnull(strstr(j, "\"former\":\"unknown\""));
    ck_assert_ptr_nonnull(strstr(j, "\"last_seen\":null"));
    ck_assert_ptr_nonnull(strstr(j, "\"remote_ip\":\"\""));

    ck_assert_str_eq(ph_event_word(PH_EV_DOWN), "Error");
    ck_assert_str_eq(ph_event_word(PH_EV_UP), "Good");
    ck_assert_str_eq(ph_event_word(PH_EV_FIRST), "Good");
}
END_TEST

Suite *test_event_suite(void)
{
    Suite *s = suite_create("event");
    TCase *tc = ph_test_tcase(s, "event");

    tcase_add_test(tc, event_from_device_copies_the_facts);
    tcase_add_test(tc, event_format_parse_round_trip);
    tcase_add_test(tc, event_parse_refuses_bad_lines);
    tcase_add_test(tc, event_json_and_word);
    return s;
}
