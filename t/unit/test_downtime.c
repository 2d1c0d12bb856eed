/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_downtime.c: the alive stamp, the gap decision, the
 * history and the notice. */

#include "test_util.h"
#include "ph_downtime.h"

Suite *test_downtime_suite(void);

START_TEST(alive_round_trip)
{
    char rec[PH_ALIVE_RECORD];
    apr_time_t t = apr_time_from_sec(1796184000) + 123456;
    ph_alive_t a;

    ph_alive_format(rec, t, 0);
    ck_assert_int_eq(rec[PH_ALIVE_RECORD - 1], '\n');
    ck_assert(memchr(rec, '\0', sizeof(rec)) == NULL);
    ck_assert_ptr_null(ph_alive_parse(rec, sizeof(rec), &a));
    ck_assert(a.at == t);
    ck_assert_int_eq(a.clean, 0);
    ph_alive_format(rec, t, 1);
    ck_assert_ptr_null(ph_alive_parse(rec, sizeof(rec), &a));
    ck_assert(a.at == t);
    ck_assert_int_eq(a.clean, 1);
    /* The record is fixed: an old longer one is overwritten whole. */
    ck_assert(strncmp(rec, "stopped ", 8) == 0);
}
END_TEST

START_TEST(alive_parse_refuses)
{
    char rec[PH_ALIVE_RECORD];
    ph_alive_t a;

    ph_alive_format(rec, apr_time_from_sec(1000), 0);
    ck_assert_ptr_nonnull(ph_alive_parse(rec, sizeof(rec) - 1, &a));
    ck_assert_ptr_nonnull(ph_alive_parse("", 0, &a));
    memcpy(rec, "dead ", 5);
    ck_assert_ptr_nonnull(ph_alive_parse(rec, sizeof(rec), &a));
    ph_alive_format(rec, apr_time_from_sec(1000), 0);
    rec[PH_ALIVE_RECORD - 1] = ' ';
    ck_assert_ptr_nonnull(ph_alive_parse(rec, sizeof(rec), &a));
    ph_alive_format(rec, apr_time_from_sec(1000), 0);
    rec[20] = 'x';
    ck_assert_ptr_nonnull(ph_alive_parse(rec, sizeof(rec), &a));
    memset(rec, ' ', sizeof(rec));
    memcpy(rec, "alive -5", 8);
    rec[PH_ALIVE_RECORD - 1] = '\n';
    ck_assert_ptr_nonnull(ph_alive_parse(rec, sizeof(rec), &a));
    memcpy(rec, "alive 99999999999999999999999", 29);
    ck_assert_ptr_nonnull(ph_alive_parse(rec, sizeof(rec), &a));
}
END_TEST

START_TEST(gap_only_beyond_the_shortest_max_age)
{
    ph_alive_t a = { apr_time_from_sec(1000000), 0 };
    apr_interval_time_t max = apr_time_from_sec(60);

    ck_assert(ph_downtime_gap(&a, a.at + apr_time_from_sec(30), max) == 0);
    ck_assert(ph_downtime_gap(&a, a.at + max, max) == 0);
    ck_assert(ph_downtime_gap(&a, a.at + max + 1, max) == max + 1);
    /* The clock stepped back while httpd was stopped: no gap. */
    ck_assert(ph_downtime_gap(&a, a.at - apr_time_from_sec(3600), max) == 0);
    /* A clean stop counts the same: the devices were not heard either. */
    a.clean = 1;
    ck_assert(ph_downtime_gap(&a, a.at + apr_time_from_sec(3600), max)
              == apr_time_from_sec(3600));
}
END_TEST

START_TEST(history_round_trip_and_bounded)
{
    ph_downtime_t d, got;
    const char *text = NULL;
    apr_array_header_t *all;
    int i;

    memset(&d, 0, sizeof(d));
    d.stopped = apr_time_from_sec(1796184000);
    d.back = d.stopped + apr_time_from_sec(600);
    d.clean = 1;
    d.nback = 3;
    d.nsilent = 1;
    d.nwaiting = 2;
    ck_assert_ptr_null(ph_downtime_parse(ph_downtime_format(pool, &d), &got));
    ck_assert(got.stopped == d.stopped && got.back == d.back);
    ck_assert(got.clean == 1 && got.nback == 3 && got.nsilent == 1
              && got.nwaiting == 2);
    for (i = 0; i < 3 * PH_DOWNTIMES_KEEP; i++) {
        d.back = d.stopped + apr_time_from_sec(i + 1);
        text = ph_downtimes_add(pool, text, &d);
    }
    all = ph_downtimes_read(pool, text);
    ck_assert_int_eq(all->nelts, PH_DOWNTIMES_KEEP);
    /* The newest kept, oldest first. */
    ck_assert(APR_ARRAY_IDX(all, PH_DOWNTIMES_KEEP - 1, ph_downtime_t).back
              == d.back);
    ck_assert(APR_ARRAY_IDX(all, 0, ph_downtime_t).back
              == d.back - apr_time_from_sec(PH_DOWNTIMES_KEEP - 1));
    /* Damaged lines are left out, not fatal. */
    all = ph_downtimes_read(pool, apr_pstrcat(pool, "garbage\nv1 1 2\n"
                                              "v1 5 4 0 0 0 0\n", text,
                                              NULL));
    ck_assert_int_eq(all->nelts, PH_DOWNTIMES_KEEP);
    ck_assert_ptr_nonnull(ph_downtime_parse("v1 1 2 3 4 5 6 7", &got));
    ck_assert_ptr_nonnull(ph_downtime_parse("v1 10 5 0 0 0 0", &got));
    ck_assert_ptr_nonnull(ph_downtime_parse("v1 1 5 2 0 0 0", &got));
    ck_assert_int_eq(ph_downtimes_read(pool, NULL)->nelts, 0);
}
END_TEST

START_TEST(notice_names_and_times)
{
    apr_array_header_t *back = apr_array_make(pool, 2, sizeof(char *));
    apr_array_header_t *silent = apr_array_make(pool, 1, sizeof(char *));
    ph_notice_t n;
    const char *text, *title, *t2;

    APR_ARRAY_PUSH(back, const char *) = "pi-1";
    APR_ARRAY_PUSH(back, const char *) = "pi-2";
    APR_ARRAY_PUSH(silent, const char *) = "quiet";
    memset(&n, 0, sizeof(n));
    n.monitor = "Raspberry Pi phone home";
    /* 2026-12-02 04:00:00 UTC, back 1 h 2 min 3 s later. */
    n.dt.stopped = apr_time_from_sec(1796184000);
    n.dt.back = n.dt.stopped + apr_time_from_sec(3723);
    n.dt.nback = 2;
    n.dt.nsilent = 1;
    n.back = back;
    n.silent = silent;
    ck_assert_str_eq(ph_notice_subject(pool, &n), "Monitor was down for "
                     "1 h 2 min (Raspberry Pi phone home)");
    text = ph_notice_text(pool, &n);
    ck_assert_ptr_nonnull(strstr(text, "Stopped: 2026-12-02 04:00:00 UTC "
                                 "(last sign of life: it crashed or lost "
                                 "power)\n"));
    ck_assert_ptr_nonnull(strstr(text, "Back: 2026-12-02 05:02:03 UTC\n"));
    ck_assert_ptr_nonnull(strstr(text, "Back since the start (2):\n"
                                 "  pi-1\n  pi-2\n"));
    ck_assert_ptr_nonnull(strstr(text, "Still silent, now down (1):\n"
                                 "  quiet\n"));
    ck_assert_ptr_null(strstr(text, "within their MaxAge"));
    n.dt.clean = 1;
    n.dt.nwaiting = 4;
    n.back = NULL;
    n.dt.nback = 0;
    text = ph_notice_text(pool, &n);
    ck_assert_ptr_nonnull(strstr(text, "(a clean stop)\n"));
    ck_assert_ptr_nonnull(strstr(text, "Back since the start (0): none\n"));
    ck_assert_ptr_nonnull(strstr(text, "within their MaxAge: 4"));
    /* A channel's message carries it whole. */
    ck_assert(ph_notice_unpack(pool, ph_notice_pack(pool, "T", text), &title,
                               &t2));
    ck_assert_str_eq(title, "T");
    ck_assert_str_eq(t2, text);
    ck_assert(!ph_notice_unpack(pool, "DOWN pi-1 ...\n", &title, &t2));
    ck_assert(!ph_notice_unpack(pool, "#notice", &title, &t2));
}
END_TEST

START_TEST(notice_is_bounded)
{
    apr_array_header_t *names = apr_array_make(pool, 100, sizeof(char *));
    ph_notice_t n;
    const char *text;
    int i;

    /* Names as long as names go (63), and display names longer still. */
    for (i = 0; i < PH_NOTICE_NAMES; i++) {
        APR_ARRAY_PUSH(names, const char *) = apr_psprintf(pool,
            "%s (%s)", repeat('n', 63), repeat('m', 130));
    }
    memset(&n, 0, sizeof(n));
    n.monitor = repeat('x', 200);
    n.dt.stopped = apr_time_from_sec(1000);
    n.dt.back = apr_time_from_sec(2000000);
    n.dt.nback = 500000;
    n.dt.nsilent = 500000;
    n.dt.nwaiting = 7;
    n.back = names;
    n.silent = names;
    text = ph_notice_text(pool, &n);
    ck_assert_uint_le(strlen(text), PH_NOTICE_MAX);
    ck_assert_ptr_nonnull(strstr(text, "and 499950 more (see the status "
                                 "page)"));
}
END_TEST

/* The longest line of a composed mail (CRLF not counted). */
static apr_size_t longest_line(const char *msg)
{
    apr_size_t most = 0;
    const char *at = msg, *eol;

    while ((eol = strstr(at, "\r\n")) != NULL) {
        if ((apr_size_t)(eol - at) > most) {
            most = (apr_size_t)(eol - at);
        }
        at = eol + 2;
    }
    return most;
}

/* SMTP allows 998 bytes a line: no mail of any kind composes a longer
 * one, whatever the names (a notice of 50 long display names on one line
 * went to dead/), and a long line breaks at a space or between whole
 * UTF-8 characters. */
START_TEST(mail_lines_fit_smtp)
{
    apr_array_header_t *names = apr_array_make(pool, 100, sizeof(char *));
    apr_array_header_t *to = apr_array_make(pool, 1, sizeof(char *));
    const char *long_disp = apr_psprintf(pool, "%s %s", repeat('d', 900),
                                         repeat('e', 900));
    const char *disp[3], *msg, *body, *utf8 = "";
    ph_event_t e[3];
    const ph_event_t *ev[3];
    ph_notice_t n;
    ph_mail_t m;
    int i;

    APR_ARRAY_PUSH(to, const char *) = "me@example.com";
    for (i = 0; i < PH_NOTICE_NAMES; i++) {
        APR_ARRAY_PUSH(names, const char *) = apr_psprintf(pool,
            "%s (%s)", repeat('n', 63), repeat('m', 130));
    }
    memset(&n, 0, sizeof(n));
    n.monitor = "Raspberry Pi phone home";
    n.dt.stopped = apr_time_from_sec(1000);
    n.dt.back = apr_time_from_sec(2000);
    n.dt.nback = n.dt.nsilent = PH_NOTICE_NAMES;
    n.back = n.silent = names;
    memset(&m, 0, sizeof(m));
    m.from = "pialert@example.com";
    m.to = to;
    m.monitor = n.monitor;
    m.now = apr_time_from_sec(2000);
    m.msgid = "1-2-downtime";
    msg = ph_mail_notice(pool, &m, ph_notice_subject(pool, &n),
                         ph_notice_text(pool, &n));
    ck_assert_uint_le(longest_line(msg), PH_MAIL_LINE_MAX);
    ck_assert_ptr_nonnull(strstr(msg, apr_psprintf(pool, "\r\n  %s (%s)\r\n",
                                                   repeat('n', 63),
                                                   repeat('m', 130))));

    /* Error, Good and a digest, with display names longer than a line. */
    for (i = 0; i < 3; i++) {
        mail_event(&e[i], i == 1 ? PH_EV_UP : PH_EV_DOWN,
                   apr_psprintf(pool, "pi-%d", i), apr_time_from_sec(2000));
        ev[i] = &e[i];
        disp[i] = long_disp;
    }
    mail_init(&m, 1, ev, disp, to);
    ck_assert_uint_le(longest_line(ph_mail_compose(pool, &m)),
                      PH_MAIL_LINE_MAX);
    mail_init(&m, 1, ev + 1, disp, to);
    ck_assert_uint_le(longest_line(ph_mail_compose(pool, &m)),
                      PH_MAIL_LINE_MAX);
    e[1].kind = PH_EV_DOWN;
    mail_init(&m, 3, ev, disp, to);
    msg = ph_mail_compose(pool, &m);
    ck_assert_uint_le(longest_line(msg), PH_MAIL_LINE_MAX);
    /* Broken at the space: both halves whole, the space dropped. */
    ck_assert_ptr_nonnull(strstr(msg, apr_psprintf(pool, "%s\r\n%s",
                                                   repeat('d', 900),
                                                   repeat('e', 900))));
    ck_assert_uint_le(longest_line(ph_mail_folded(pool, &m, 37, 10)),
                      PH_MAIL_LINE_MAX);

    /* A line of 3,000 bytes of two-byte characters and no space: broken
     * between characters, nothing lost. */
    for (i = 0; i < 1500; i++) {
        utf8 = apr_pstrcat(pool, utf8, "\xc3\xa9", NULL);
    }
    msg = ph_mail_notice(pool, &m, "T", utf8);
    ck_assert_uint_le(longest_line(msg), PH_MAIL_LINE_MAX);
    body = strstr(msg, "\r\n\r\n") + 4;
    {
        const char *at = body, *eol;
        apr_size_t total = 0;

        while ((eol = strstr(at, "\r\n")) != NULL) {
            ck_assert_int_eq(((eol - at) % 2), 0);
            ck_assert((unsigned char)at[0] == 0xc3);
            total += (apr_size_t)(eol - at);
            at = eol + 2;
        }
        ck_assert_uint_eq(total, 3000);
    }
}
END_TEST

START_TEST(notice_as_mail_and_channel_request)
{
    apr_array_header_t *to = apr_array_make(pool, 1, sizeof(char *));
    ph_notify_chan_t ch;
    ph_notify_req_t req;
    ph_mail_t m;
    const char *mail, *json, *title, *text;
    int i, found = 0;

    APR_ARRAY_PUSH(to, const char *) = "me@example.com";
    memset(&m, 0, sizeof(m));
    m.from = "pialert@example.com";
    m.to = to;
    m.monitor = "Raspberry Pi phone home";
    m.now = apr_time_from_sec(1796184000);
    m.msgid = "1-2-downtime";
    mail = ph_mail_notice(pool, &m, "Monitor was down for 5 s (x)",
                          "line one\nStopped: then\n");
    ck_assert_ptr_nonnull(strstr(mail, "\r\nSubject: Monitor was down for "
                                 "5 s (x)\r\n"));
    ck_assert_ptr_nonnull(strstr(mail, "\r\n\r\nline one\r\nStopped: "
                                 "then\r\n"));
    ck_assert_ptr_null(strstr(mail, "\n\n"));

    /* A channel gets the same title and text; the webhook a document of
     * its own kind, with no devices. */
    m.title = "Monitor was down for 5 s (x)";
    m.text = "line one\n";
    text = ph_notify_text(pool, &m, &title);
    ck_assert_str_eq(title, m.title);
    ck_assert_str_eq(text, m.text);
    json = ph_notify_json(pool, &m, "1-2-downtime");
    ck_assert_ptr_nonnull(strstr(json, "\"event\":\"monitor_downtime\""));
    ck_assert_ptr_nonnull(strstr(json, "\"count\":0,\"devices\":[]"));
    ck_assert_ptr_nonnull(strstr(json, "\"text\":\"line one\\n\""));
    memset(&ch, 0, sizeof(ch));
    ch.name = "phone";
    ch.kind = PH_NOTIFY_NTFY;
    ch.url = "https://ntfy.example/alerts";
    ch.host = "ntfy.example";
    ph_notify_request(pool, &ch, &m, &req);
    ck_assert_str_eq(req.body, "line one\n");
    for (i = 0; i < req.headers->nelts; i++) {
        found |= strcmp(APR_ARRAY_IDX(req.headers, i, const char *),
                        "Title: Monitor was down for 5 s (x)") == 0;
    }
    ck_assert(found);
}
END_TEST

Suite *test_downtime_suite(void)
{
    Suite *s = suite_create("downtime");
    TCase *tc = ph_test_tcase(s, "downtime");

    tcase_add_test(tc, alive_round_trip);
    tcase_add_test(tc, alive_parse_refuses);
    tcase_add_test(tc, gap_only_beyond_the_shortest_max_age);
    tcase_add_test(tc, history_round_trip_and_bounded);
    tcase_add_test(tc, notice_names_and_times);
    tcase_add_test(tc, notice_is_bounded);
    tcase_add_test(tc, notice_as_mail_and_channel_request);
    tcase_add_test(tc, mail_lines_fit_smtp);
    return s;
}
