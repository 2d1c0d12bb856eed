/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_outbox.c: outbox files, backoff, the settle decision. */

#include "test_util.h"

Suite *test_outbox_suite(void);

/* A message with CRLF line ends and a line of a single dot. */
#define OB_MESSAGE "Date: Fri, 08 Feb 2013 10:55:01 -0500\r\n" \
                   "Subject: Error : Raspberry Pi phone home\r\n" \
                   "\r\n" \
                   "line one\r\n" \
                   ".\r\n" \
                   "..two dots\r\n" \
                   "last line\r\n"

static void outbox_item(ph_outbox_item_t *item)
{
    memset(item, 0, sizeof(*item));
    item->created = APR_INT64_C(1795592886000000);
    item->next = APR_INT64_C(1795592901000000);
    item->attempts = 2;
    item->subject = "Error : Raspberry Pi phone home";
    item->error = "451 try again later";
    item->rcpt = rcpt_list(two_rcpt);
    item->message = OB_MESSAGE;
}

START_TEST(outbox_format_parse_round_trip)
{
    ph_outbox_item_t item, back;
    const char *text, *why;
    apr_size_t len = 0;

    outbox_item(&item);
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_str_eq(text, "PHMAIL 1\n"
                     "created 1795592886000000\n"
                     "attempts 2\n"
                     "next 1795592901000000\n"
                     "subject Error : Raspberry Pi phone home\n"
                     "error 451 try again later\n"
                     "rcpt me@example.com\n"
                     "rcpt 9085551234@vtext.com\n"
                     "\n" OB_MESSAGE);

    memset(&back, 0xA5, sizeof(back));
    why = ph_outbox_parse(pool, text, len, &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert(back.created == item.created);
    ck_assert(back.next == item.next);
    ck_assert_uint_eq(back.attempts, 2);
    ck_assert_pstr_eq(back.subject, item.subject);
    ck_assert_pstr_eq(back.error, item.error);
    ck_assert_int_eq(back.rcpt->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(back.rcpt, 0, const char *),
                     "me@example.com");
    ck_assert_str_eq(APR_ARRAY_IDX(back.rcpt, 1, const char *),
                     "9085551234@vtext.com");
    ck_assert_uint_eq(strlen(back.message), strlen(OB_MESSAGE));
    ck_assert_mem_eq(back.message, OB_MESSAGE, strlen(OB_MESSAGE));

    /* Only the first len bytes count. */
    why = ph_outbox_parse(pool, apr_pstrcat(pool, text, "JUNK", NULL), len,
                          &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_str_eq(back.message, OB_MESSAGE);

    /* No error yet, never tried, one recipient, an empty subject. */
    item.error = NULL;
    item.attempts = 0;
    item.next = 0;
    item.subject = "";
    item.rcpt = rcpt_list(two_rcpt + 1);
    item.message = "x\r\n";
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_ptr_null(strstr(text, "\nerror"));
    why = ph_outbox_parse(pool, text, len, &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_ptr_null(back.error);
    ck_assert_uint_eq(back.attempts, 0);
    ck_assert(back.next == 0);
    ck_assert_pstr_eq(back.subject, "");
    ck_assert_int_eq(back.rcpt->nelts, 1);
    ck_assert_str_eq(back.message, "x\r\n");

    /* Keys it does not know (a newer writer) are skipped. */
    text = "PHMAIL 1\ncreated 5\nfuture yes\nrcpt a@b\n\nm";
    why = ph_outbox_parse(pool, text, strlen(text), &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert(back.created == 5);
    ck_assert_str_eq(back.message, "m");
}
END_TEST

START_TEST(outbox_subject_and_error_are_one_line)
{
    ph_outbox_item_t item, back;
    const char *text;
    apr_size_t len;

    outbox_item(&item);
    item.subject = "Error : a\r\nrcpt evil@example.org";
    item.error = "550 no\nsuch\ruser";
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_ptr_nonnull(strstr(text, "\nsubject Error : a??rcpt "
                                 "evil@example.org\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nerror 550 no?such?user\n"));
    ck_assert_ptr_null(ph_outbox_parse(pool, text, len, &back));
    ck_assert_int_eq(back.rcpt->nelts, 2);
    ck_assert_str_eq(back.subject, "Error : a??rcpt evil@example.org");
    ck_assert_str_eq(back.error, "550 no?such?user");
    ck_assert_str_eq(back.message, OB_MESSAGE);
}
END_TEST

START_TEST(outbox_parse_refuses)
{
    static const char *const bad[] = {
        /* Wrong magic. */
        "PHMAIL 2\ncreated 5\nrcpt a@b\n\nm",
        "PHMAIL\ncreated 5\nrcpt a@b\n\nm",
        "phmail 1\ncreated 5\nrcpt a@b\n\nm",
        "XPHMAIL 1\ncreated 5\nrcpt a@b\n\nm",
        "PHMAIL 1",
        "PHMAIL 1\n",
        "",
        /* Missing created, no rcpt, a bad rcpt. */
        "PHMAIL 1\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt nobody\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt a@b\nrcpt a@b, c@d\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt <a@b>\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt a@b\r\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt \n\nm",
        /* No blank line, or nothing after it. */
        "PHMAIL 1\ncreated 5\nrcpt a@b\n",
        "PHMAIL 1\ncreated 5\nrcpt a@b",
        "PHMAIL 1\ncreated 5\nrcpt a@b\n\n",
        "PHMAIL 1\ncreated 5\nrcpt a@b\nDate: x",
        /* A line without a value. */
        "PHMAIL 1\ncreated\nrcpt a@b\n\nm",
        /* Bad numbers. */
        "PHMAIL 1\ncreated abc\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated -1\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated +1\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 12x\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated \nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 1.5\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 99999999999999999999\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nnext x\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nnext -5\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nnext 18446744073709551616\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nattempts x\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nattempts -1\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nattempts 1000001\nrcpt a@b\n\nm",
        NULL
    };
    ph_outbox_item_t item;
    const char *good = "PHMAIL 1\ncreated 5\nattempts 1000000\n"
                       "next 9223372036854775807\nrcpt a@b\n\nm";
    char *nul;
    apr_size_t i, len;

    ck_assert_ptr_null(ph_outbox_parse(pool, good, strlen(good), &item));
    ck_assert_uint_eq(item.attempts, 1000000);
    ck_assert(item.next == APR_INT64_C(9223372036854775807));
    for (i = 0; bad[i]; i++) {
        assert_outbox_refused(bad[i], strlen(bad[i]),
                              apr_psprintf(pool, "bad file #%u",
                                           (unsigned)i));
    }

    /* A NUL byte, in the header or in the message. */
    len = strlen(good);
    nul = apr_pstrdup(pool, good);
    nul[len - 1] = '\0';
    assert_outbox_refused(nul, len, "a NUL in the message");
    nul = apr_pstrdup(pool, good);
    nul[12] = '\0';
    assert_outbox_refused(nul, len, "a NUL in the header");
}
END_TEST

/* A channel's digest part keeps its place in the whole: "total N" and
 * "part P of N" lines, read back as they were written; bad ones refused. */
START_TEST(outbox_part_lines)
{
    ph_outbox_item_t item, back;
    const char *text, *why;
    apr_size_t len = 0;

    memset(&item, 0, sizeof(item));
    item.created = APR_INT64_C(1795592886000000);
    item.subject = "Error : 20000 devices (x), part 2 of 9";
    item.channel = "hook";
    item.message = "event line\n";
    item.total = 20000;
    item.part = 2;
    item.parts = 9;
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_ptr_nonnull(strstr(text, "\ntotal 20000\npart 2 of 9\n"));
    why = ph_outbox_parse(pool, text, len, &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_int_eq(back.total, 20000);
    ck_assert_int_eq(back.part, 2);
    ck_assert_int_eq(back.parts, 9);
    /* A whole message has neither line, and reads back as whole. */
    item.total = item.part = item.parts = 0;
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_ptr_null(strstr(text, "\ntotal "));
    ck_assert_ptr_null(strstr(text, "\npart "));
    ck_assert_ptr_null(ph_outbox_parse(pool, text, len, &back));
    ck_assert_int_eq(back.total + back.part + back.parts, 0);
    {
        static const char *const bad[] = {
            "part 3 of 2", "part 1 of 2x", "part 0 of 2", "total -1",
            "total x", NULL
        };
        int i;

        for (i = 0; bad[i]; i++) {
            text = apr_pstrcat(pool, "PHMAIL 1\ncreated 1\nchannel hook\n",
                               bad[i], "\n\nx\n", NULL);
            why = ph_outbox_parse(pool, text, strlen(text), &back);
            ck_assert_msg(why != NULL, "'%s' should be refused", bad[i]);
            ck_assert_msg(strstr(why, bad[i][0] == 'p' ? "bad 'part'"
                                                       : "bad 'total'"),
                          "'%s': %s", bad[i], why);
        }
    }
}
END_TEST

START_TEST(outbox_backoff)
{
    apr_interval_time_t cap = SEC(3600), prev = 0;
    unsigned int n;

    ck_assert(ph_outbox_backoff(1, cap) == SEC(5));
    ck_assert(ph_outbox_backoff(2, cap) == SEC(10));
    ck_assert(ph_outbox_backoff(3, cap) == SEC(20));
    ck_assert(ph_outbox_backoff(4, cap) == SEC(40));
    ck_assert(ph_outbox_backoff(10, cap) == SEC(2560));
    ck_assert(ph_outbox_backoff(11, cap) == cap);
    ck_assert(ph_outbox_backoff(1000, cap) == cap);
    ck_assert(ph_outbox_backoff(1000000, cap) == cap);
    ck_assert(ph_outbox_backoff(0xFFFFFFFFu, cap) == cap);
    /* The first retry comes soon; a small cap wins even then. */
    ck_assert(ph_outbox_backoff(1, cap) <= SEC(10));
    ck_assert(ph_outbox_backoff(1, SEC(3)) == SEC(3));
    ck_assert(ph_outbox_backoff(5, SEC(30)) == SEC(30));
    for (n = 1; n < 100; n++) {
        apr_interval_time_t w = ph_outbox_backoff(n, cap);

        ck_assert_msg(w >= prev && w <= cap, "backoff(%u) out of order", n);
        prev = w;
    }
}
END_TEST

/* An item as the sender read it: created at @a created, @a attempts
 * failed before. */
static void settle_item(ph_outbox_item_t *item, apr_time_t created,
                        unsigned int attempts)
{
    memset(item, 0, sizeof(*item));
    item->created = created;
    item->attempts = attempts;
    item->subject = "Error : Raspberry Pi phone home";
}

START_TEST(outbox_settle_sent_leaves_the_item)
{
    ph_outbox_item_t item;

    settle_item(&item, T_MAIL, 3);
    ck_assert_int_eq(ph_outbox_settle(&item, NULL, 0, T_MAIL + SEC(60),
                                      SEC(86400), SEC(600), -1),
                     PH_OUTBOX_SENT);
    /* The sender logs attempts + 1; the file is removed as it is. */
    ck_assert_uint_eq(item.attempts, 3);
    ck_assert_ptr_null(item.error);
    ck_assert(item.next == 0);
    /* "Sent" wins over everything else the caller may pass. */
    ck_assert_int_eq(ph_outbox_settle(&item, NULL, 1, T_MAIL + SEC(90000),
                                      SEC(86400), SEC(600), SEC(30)),
                     PH_OUTBOX_SENT);
}
END_TEST

START_TEST(outbox_settle_failure_backs_off)
{
    ph_outbox_item_t item;
    apr_time_t now = T_MAIL + SEC(60);

    settle_item(&item, T_MAIL, 0);
    ck_assert_int_eq(ph_outbox_settle(&item, "451 try again later", 0, now,
                                      SEC(86400), SEC(600), -1),
                     PH_OUTBOX_RETRY);
    ck_assert_uint_eq(item.attempts, 1);
    ck_assert_str_eq(item.error, "451 try again later");
    ck_assert(item.next == now + SEC(5));
    ck_assert_int_eq(ph_outbox_settle(&item, "timeout", 0, now, SEC(86400),
                                      SEC(600), -1), PH_OUTBOX_RETRY);
    ck_assert_uint_eq(item.attempts, 2);
    ck_assert_str_eq(item.error, "timeout");
    ck_assert(item.next == now + SEC(10));
    /* The cap bounds the wait. */
    item.attempts = 20;
    ck_assert_int_eq(ph_outbox_settle(&item, "timeout", 0, now, SEC(86400),
                                      SEC(600), -1), PH_OUTBOX_RETRY);
    ck_assert(item.next == now + SEC(600));
}
END_TEST

START_TEST(outbox_settle_retry_after_only_when_longer)
{
    ph_outbox_item_t item;
    apr_time_t now = T_MAIL + SEC(60);

    /* A service asking for longer than the backoff is obeyed... */
    settle_item(&item, T_MAIL, 0);
    ck_assert_int_eq(ph_outbox_settle(&item, "HTTP 429", 0, now, SEC(86400),
                                      SEC(600), SEC(120)), PH_OUTBOX_RETRY);
    ck_assert(item.next == now + SEC(120));
    /* ...and beyond the cap, which bounds only our own backoff. */
    settle_item(&item, T_MAIL, 0);
    ph_outbox_settle(&item, "HTTP 503", 0, now, SEC(86400), SEC(600),
                     SEC(3600));
    ck_assert(item.next == now + SEC(3600));
    /* A shorter one is not: the backoff of the 4th failure stands. */
    settle_item(&item, T_MAIL, 3);
    ph_outbox_settle(&item, "HTTP 503", 0, now, SEC(86400), SEC(600),
                     SEC(1));
    ck_assert(item.next == now + SEC(40));
}
END_TEST

START_TEST(outbox_settle_refused_and_expired)
{
    ph_outbox_item_t item;
    apr_time_t period = SEC(3 * 86400);

    /* A permanent refusal goes to dead/ at once, counted and explained. */
    settle_item(&item, T_MAIL, 0);
    ck_assert_int_eq(ph_outbox_settle(&item, "550 no such user", 1,
                                      T_MAIL + SEC(1), period, SEC(600), -1),
                     PH_OUTBOX_REFUSED);
    ck_assert_uint_eq(item.attempts, 1);
    ck_assert_str_eq(item.error, "550 no such user");
    /* A refusal wins over an expired period. */
    settle_item(&item, T_MAIL, 9);
    ck_assert_int_eq(ph_outbox_settle(&item, "HTTP 401", 1, T_MAIL + period,
                                      period, SEC(600), -1),
                     PH_OUTBOX_REFUSED);
    /* Retried until the period has passed: just before it, once more... */
    settle_item(&item, T_MAIL, 9);
    ck_assert_int_eq(ph_outbox_settle(&item, "timeout", 0,
                                      T_MAIL + period - 1, period, SEC(600),
                                      -1), PH_OUTBOX_RETRY);
    /* ...at it, no more. */
    settle_item(&item, T_MAIL, 9);
    ck_assert_int_eq(ph_outbox_settle(&item, "timeout", 0, T_MAIL + period,
                                      period, SEC(600), -1),
                     PH_OUTBOX_EXPIRED);
    ck_assert_uint_eq(item.attempts, 10);
    ck_assert_str_eq(item.error, "timeout");
}
END_TEST

START_TEST(outbox_file_channel_names)
{
    char name[PH_NOTIFY_NAME_MAX + 1], small[4];
    char *fname;

    ck_assert_int_eq(ph_outbox_file_channel("1795592886000000-42-7.ntfy"
                                            PH_NOTIFY_SUFFIX, name,
                                            sizeof(name)), 1);
    ck_assert_str_eq(name, "ntfy");
    ck_assert_int_eq(ph_outbox_file_channel("1-2-3.my_hook.notify", name,
                                            sizeof(name)), 1);
    ck_assert_str_eq(name, "my_hook");
    /* No channel part, or no dot at all: none. */
    ck_assert_int_eq(ph_outbox_file_channel("1-2-3.notify", name,
                                            sizeof(name)), 0);
    ck_assert_int_eq(ph_outbox_file_channel("1-2-3", name, sizeof(name)), 0);
    /* The longest channel name fits; one more character does not. */
    fname = apr_pstrcat(pool, "1-2-3.", repeat('c', PH_NOTIFY_NAME_MAX),
                        PH_NOTIFY_SUFFIX, NULL);
    ck_assert_int_eq(ph_outbox_file_channel(fname, name, sizeof(name)), 1);
    ck_assert_uint_eq(strlen(name), PH_NOTIFY_NAME_MAX);
    fname = apr_pstrcat(pool, "1-2-3.", repeat('c', PH_NOTIFY_NAME_MAX + 1),
                        PH_NOTIFY_SUFFIX, NULL);
    ck_assert_int_eq(ph_outbox_file_channel(fname, name, sizeof(name)), 0);
    ck_assert_int_eq(ph_outbox_file_channel("1.abcd.notify", small,
                                            sizeof(small)), 0);
    ck_assert_int_eq(ph_outbox_file_channel("1.abc.notify", small,
                                            sizeof(small)), 1);
    ck_assert_str_eq(small, "abc");
}
END_TEST

Suite *test_outbox_suite(void)
{
    Suite *s = suite_create("outbox");
    TCase *tc = ph_test_tcase(s, "outbox");

    tcase_add_test(tc, outbox_format_parse_round_trip);
    tcase_add_test(tc, outbox_subject_and_error_are_one_line);
    tcase_add_test(tc, outbox_parse_refuses);
    tcase_add_test(tc, outbox_backoff);
    tcase_add_test(tc, outbox_settle_sent_leaves_the_item);
    tcase_add_test(tc, outbox_settle_failure_backs_off);
    tcase_add_test(tc, outbox_settle_retry_after_only_when_longer);
    tcase_add_test(tc, outbox_settle_refused_and_expired);
    tcase_add_test(tc, outbox_file_channel_names);
    tcase_add_test(tc, outbox_part_lines);
    return s;
}
