/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_mail.c: the alert mail: subject, headers, body, digests. */

#include <stdlib.h>

#include "test_util.h"

Suite *test_mail_suite(void);

/* Set TZ for this process; the old value, to hand back to restore_tz. */
static const char *set_tz(const char *tz)
{
    const char *old = getenv("TZ");

    old = old ? apr_pstrdup(pool, old) : NULL;
    setenv("TZ", tz, 1);
    tzset();
    return old;
}

static void restore_tz(const char *old)
{
    if (old) {
        setenv("TZ", old, 1);
    }
    else {
        unsetenv("TZ");
    }
    tzset();
}

/* Every LF is preceded by CR, and every CR followed by LF. */
static void assert_crlf_only(const char *msg)
{
    const char *c;

    for (c = msg; *c; c++) {
        ck_assert_msg(*c != '\n' || (c > msg && c[-1] == '\r'),
                      "a bare LF at offset %u", (unsigned)(c - msg));
        ck_assert_msg(*c != '\r' || c[1] == '\n',
                      "a bare CR at offset %u", (unsigned)(c - msg));
    }
}

/* Split a message at its first blank line: the header block (each line
 * with its CRLF) and the body. */
static void mail_split(const char *msg, const char **head, const char **body)
{
    const char *blank = strstr(msg, "\r\n\r\n");

    ck_assert_msg(blank != NULL, "no blank line after the headers");
    *head = apr_pstrndup(pool, msg, (apr_size_t)(blank - msg) + 2);
    *body = blank + 4;
}

/* The raw value of header @a name (folding kept); it must occur once. */
static const char *mail_header_raw(const char *head, const char *name)
{
    apr_size_t n = strlen(name);
    const char *at, *found = NULL, *end;
    int count = 0;

    for (at = head; *at; at = strstr(at, "\r\n") + 2) {
        if (strncmp(at, name, n) == 0 && at[n] == ':') {
            found = at;
            count++;
        }
    }
    ck_assert_msg(count == 1, "header %s occurs %d times", name, count);
    ck_assert_msg(found[n + 1] == ' ', "no space after %s:", name);
    found += n + 2;
    /* The field goes on while the next line starts with white space. */
    for (end = strstr(found, "\r\n"); end[2] == ' ' || end[2] == '\t';
         end = strstr(end + 2, "\r\n")) {
    }
    return apr_pstrndup(pool, found, (apr_size_t)(end - found));
}

/* A header value unfolded (RFC 5322 2.2.3: CRLF before WSP removed). */
static const char *unfold(const char *raw)
{
    char *out = apr_pstrdup(pool, raw), *w = out;
    const char *r;

    for (r = raw; *r; r++) {
        if (r[0] == '\r' && r[1] == '\n'
            && (r[2] == ' ' || r[2] == '\t')) {
            r++;
            continue;
        }
        *w++ = *r;
    }
    *w = '\0';
    return out;
}

static const char *mail_header(const char *head, const char *name)
{
    return unfold(mail_header_raw(head, name));
}

/* No header line is longer than @a max, and all of them are 7-bit. */
static void assert_header_lines(const char *head, apr_size_t max)
{
    const char *at, *eol;

    for (at = head; *at; at = eol + 2) {
        const char *c;

        eol = strstr(at, "\r\n");
        ck_assert_ptr_nonnull(eol);
        ck_assert_msg((apr_size_t)(eol - at) <= max,
                      "a header line of %u characters (at most %u): %s",
                      (unsigned)(eol - at), (unsigned)max,
                      apr_pstrndup(pool, at, (apr_size_t)(eol - at)));
        for (c = at; c < eol; c++) {
            ck_assert_msg((unsigned char)*c >= 0x20
                          && (unsigned char)*c < 0x7F,
                          "a raw byte 0x%02x in the headers",
                          (unsigned)(unsigned char)*c);
        }
    }
}

/* Each of @a lines is a whole line of @a body, in this order. */
static void assert_body_lines(const char *body, const char *const *lines)
{
    const char *text = apr_pstrcat(pool, "\r\n", body, NULL);
    const char *at = text;
    apr_size_t i;

    for (i = 0; lines[i]; i++) {
        const char *want = apr_pstrcat(pool, "\r\n", lines[i], "\r\n", NULL);
        const char *hit = strstr(at, want);

        ck_assert_msg(hit != NULL, "body line '%s' missing or out of order",
                      lines[i]);
        at = hit + strlen(want) - 2;
    }
}

/* True when @a s[0..n) is whole, well-formed UTF-8 sequences. */
static int utf8_whole(const unsigned char *s, apr_size_t n)
{
    apr_size_t i = 0, len, j;

    while (i < n) {
        len = s[i] < 0x80 ? 1 : (s[i] & 0xE0) == 0xC0 ? 2
            : (s[i] & 0xF0) == 0xE0 ? 3 : (s[i] & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > n) {
            return 0;
        }
        for (j = 1; j < len; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                return 0;
            }
        }
        i += len;
    }
    return 1;
}

/* Decode an unfolded value made only of B-encoded UTF-8 words, checking
 * that each is at most 75 characters and whole UTF-8; @a nwords is set. */
static const char *decode_words(const char *value, int *nwords)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                              "opqrstuvwxyz0123456789+/=";
    char *copy = apr_pstrdup(pool, value), *last, *word;
    const char *out = "";

    *nwords = 0;
    for (word = apr_strtok(copy, " ", &last); word;
         word = apr_strtok(NULL, " ", &last)) {
        apr_size_t len = strlen(word), clen;
        char *coded, *plain;
        int n;

        ck_assert_msg(len <= 75, "an encoded word of %u characters: %s",
                      (unsigned)len, word);
        ck_assert_msg(len > 12 && strncmp(word, "=?UTF-8?B?", 10) == 0
                      && strcmp(word + len - 2, "?=") == 0,
                      "not a B-encoded UTF-8 word: %s", word);
        coded = apr_pstrndup(pool, word + 10, len - 12);
        clen = strlen(coded);
        ck_assert_msg(clen % 4 == 0 && strspn(coded, b64) == clen,
                      "bad base64 in: %s", word);
        plain = apr_palloc(pool, apr_base64_decode_len(coded) + 1);
        n = apr_base64_decode(plain, coded);
        ck_assert_msg(n > 0 && utf8_whole((unsigned char *)plain,
                                          (apr_size_t)n),
                      "word %d splits a UTF-8 character: %s", *nwords, word);
        out = apr_pstrcat(pool, out, apr_pstrndup(pool, plain, (apr_size_t)n),
                          NULL);
        (*nwords)++;
    }
    return out;
}

/* The seed's date(1) form in the server's zone, for the Time: line. */
static const char *date1(apr_time_t t)
{
    time_t secs = (time_t)apr_time_sec(t);
    struct tm tm;
    char buf[64];

    localtime_r(&secs, &tm);
    strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Z %Y", &tm);
    return apr_pstrdup(pool, buf);
}

START_TEST(mail_single_down_event)
{
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Raspberry Pi phone home" };
    ph_mail_t m;
    const char *old_tz = set_tz("EST5EDT");
    const char *msg, *head, *body;
    const char *const lines[] = {
        "Raspberry Pi phone home is now in state: Error",
        "Time: Fri Feb  8 10:55:01 EST 2013",
        "Former state was Good",
        "Additional info: Last call was 420 seconds ago",
        "- sent from mod_phonehome",
        "",
        "Device: raspberrypi",
        "Last IP: 192.0.2.7",
        "Boot id: abc-def",
        NULL
    };

    mail_event(&e, PH_EV_DOWN, PH_DEFAULT_DEVICE, T_MAIL);
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    ck_assert_msg(strlen(msg) > 2 && strcmp(msg + strlen(msg) - 2, "\r\n")
                  == 0, "the last line is not ended");
    mail_split(msg, &head, &body);
    assert_header_lines(head, 78);

    ck_assert_str_eq(mail_header(head, "Date"),
                     "Fri, 08 Feb 2013 10:55:01 -0500");
    ck_assert_str_eq(mail_header(head, "Message-ID"),
                     "<1360338901.42.7.phonehome@example.com>");
    ck_assert_str_eq(mail_header(head, "From"), "pialert@example.com");
    ck_assert_str_eq(mail_header_raw(head, "To"),
                     "me@example.com, 9085551234@vtext.com");
    ck_assert_str_eq(mail_header_raw(head, "Subject"),
                     "Error : Raspberry Pi phone home");
    ck_assert_str_eq(mail_header(head, "MIME-Version"), "1.0");
    ck_assert_str_eq(mail_header(head, "Content-Type"),
                     "text/plain; charset=UTF-8");
    ck_assert_str_eq(mail_header(head, "Auto-Submitted"), "auto-generated");
    ck_assert_str_eq(ph_mail_subject(pool, &m),
                     "Error : Raspberry Pi phone home");

    /* The seed's lines first, then the facts. */
    ck_assert_msg(strncmp(body, lines[0], strlen(lines[0])) == 0,
                  "the body does not start with the seed's line");
    assert_body_lines(body, lines);
    ck_assert_ptr_null(strstr(body, "Reboot:"));
    restore_tz(old_tz);
}
END_TEST

/* A declared device that never called: no last call, no address. */
START_TEST(mail_down_never_heard_from)
{
    static const char *const lines[] = {
        "Garage Pi is now in state: Error",
        "Former state was no state",
        "Additional info: No call since the server started",
        "- sent from mod_phonehome",
        "Device: garage",
        "Last call: never",
        "MaxAge: 300 s",
        NULL
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Garage Pi" };
    ph_mail_t m;
    const char *msg, *head, *body;

    mail_event(&e, PH_EV_DOWN, "garage", T_MAIL);
    e.former = PH_STATE_UNKNOWN;
    e.last_seen = 0;
    e.gap_start = 0;
    e.remote_ip[0] = '\0';
    e.boot_id[0] = '\0';
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    ck_assert_str_eq(mail_header(head, "Subject"), "Error : Garage Pi");
    assert_body_lines(body, lines);
    ck_assert_ptr_null(strstr(body, "Last IP:"));
    ck_assert_ptr_null(strstr(body, "Boot id:"));
}
END_TEST

START_TEST(mail_date_has_a_numeric_zone)
{
    static const char *const zones[][2] = {
        { "UTC0", "Fri, 08 Feb 2013 15:55:01 +0000" },
        { "IST-5:30", "Fri, 08 Feb 2013 21:25:01 +0530" },
        { "NST3:30", "Fri, 08 Feb 2013 12:25:01 -0330" },
        { "JST-9", "Sat, 09 Feb 2013 00:55:01 +0900" }
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Pi" };
    ph_mail_t m;
    const char *head, *body, *old_tz = NULL;
    const char *time_line[2];
    apr_size_t i;

    mail_event(&e, PH_EV_DOWN, "kitchen-pi", T_MAIL);
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    for (i = 0; i < NELTS(zones); i++) {
        const char *prev = set_tz(zones[i][0]);

        if (i == 0) {
            old_tz = prev;
        }
        mail_split(ph_mail_compose(pool, &m), &head, &body);
        ck_assert_str_eq(mail_header(head, "Date"), zones[i][1]);
        time_line[0] = apr_pstrcat(pool, "Time: ", date1(T_MAIL), NULL);
        time_line[1] = NULL;
        assert_body_lines(body, time_line);
    }
    restore_tz(old_tz);
}
END_TEST

START_TEST(mail_single_up_event)
{
    static const char *const lines[] = {
        "Raspberry Pi phone home is now in state: Good",
        "Former state was Error",
        "Additional info: Service restored after 1 h 1 min without a call",
        "- sent from mod_phonehome",
        NULL
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Raspberry Pi phone home" };
    ph_mail_t m;
    const char *msg, *head, *body, *info;

    mail_event(&e, PH_EV_UP, PH_DEFAULT_DEVICE, T_MAIL);
    e.last_seen = T_MAIL - SEC(1);
    e.gap_start = e.last_seen - SEC(3700);
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    assert_header_lines(head, 78);
    ck_assert_str_eq(mail_header(head, "Subject"),
                     "Good : Raspberry Pi phone home");
    assert_body_lines(body, lines);
    ck_assert_ptr_nonnull(strstr(body, "\r\nReboot: no"));
    ck_assert_ptr_null(strstr(body, "restarted"));

    /* Rebooted: the restart is news. */
    e.rebooted = 1;
    mail_split(ph_mail_compose(pool, &m), &head, &body);
    info = strstr(body, "\r\nAdditional info: Service restored after ");
    ck_assert_ptr_nonnull(info);
    info = apr_pstrndup(pool, info + 2, (apr_size_t)(strstr(info + 2, "\r\n")
                                                     - (info + 2)));
    ck_assert_msg(strstr(info, "restarted") != NULL,
                  "the info line does not mention the restart: %s", info);
    ck_assert_ptr_nonnull(strstr(body, "\r\nReboot: yes"));
}
END_TEST

/* A declared device reported down before it ever called, then heard from:
 * no earlier call, so no outage length (not "20000 d"). */
START_TEST(mail_up_after_never_heard_from)
{
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Cabin Pi" };
    ph_mail_t m;
    const char *head, *body;

    mail_event(&e, PH_EV_UP, "cabin-pi", T_MAIL);
    e.last_seen = T_MAIL - SEC(1);
    e.gap_start = 0;
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    mail_split(ph_mail_compose(pool, &m), &head, &body);
    ck_assert_ptr_nonnull(strstr(body, "\r\nAdditional info: Service "
                                 "restored: the first call from this "
                                 "device\r\n"));
    ck_assert_ptr_null(strstr(body, "Outage:"));
    ck_assert_ptr_null(strstr(body, " d "));
}
END_TEST

START_TEST(mail_digest_of_three)
{
    static const char *const lines[] = {
        "Raspberry Pi phone home: 3 devices are now in state: Error",
        "- sent from mod_phonehome",
        "Kitchen Pi is now in state: Error (former state was Good)",
        "  Device: kitchen-pi",
        "Garage Pi is now in state: Error (former state was Good)",
        "  Device: garage-pi",
        "Attic Pi is now in state: Error (former state was Good)",
        "  Device: attic-pi",
        NULL
    };
    static const char *const names[] = { "kitchen-pi", "garage-pi",
                                         "attic-pi" };
    const char *disp[3] = { "Kitchen Pi", "Garage Pi", "Attic Pi" };
    ph_event_t e[3];
    const ph_event_t *ev[3];
    ph_mail_t m;
    const char *msg, *head, *body;
    int i;

    for (i = 0; i < 3; i++) {
        mail_event(&e[i], PH_EV_DOWN, names[i], T_MAIL - SEC(i));
        ev[i] = &e[i];
    }
    mail_init(&m, 3, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    assert_header_lines(head, 78);
    ck_assert_str_eq(mail_header(head, "Subject"),
                     "Error : 3 devices (Raspberry Pi phone home)");
    ck_assert_str_eq(ph_mail_subject(pool, &m),
                     "Error : 3 devices (Raspberry Pi phone home)");
    assert_body_lines(body, lines);
}
END_TEST

START_TEST(mail_utf8_subject_is_encoded)
{
    static const char *const lines[] = {
        "K\xc3\xbc" "che Pi is now in state: Error", NULL
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "K\xc3\xbc" "che Pi" };
    ph_mail_t m;
    const char *msg, *head, *body, *raw;
    int nwords;

    mail_event(&e, PH_EV_DOWN, "kitchen-pi", T_MAIL);
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    assert_header_lines(head, 78);
    raw = mail_header(head, "Subject");
    ck_assert_msg(strncmp(raw, "=?UTF-8?B?", 10) == 0, "not encoded: %s",
                  raw);
    ck_assert_str_eq(decode_words(raw, &nwords), "Error : K\xc3\xbc" "che Pi");
    ck_assert_int_eq(nwords, 1);
    ck_assert_str_eq(ph_mail_subject(pool, &m), "Error : K\xc3\xbc" "che Pi");
    /* The body is 8bit UTF-8, as declared. */
    assert_body_lines(body, lines);

    /* Plain ASCII is left alone. */
    ck_assert_str_eq(ph_mail_encode_header(pool, "Error : Kitchen"),
                     "Error : Kitchen");
}
END_TEST

START_TEST(mail_long_utf8_subject_is_split_and_folded)
{
    /* 1-, 2-, 3- and 4-byte characters, so the cuts land everywhere. */
    static const char *const pieces[] = {
        "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
        "K\xc3\xbc" "che ",
        "\xe2\x82\xac\xe2\x82\xac\xc3\xbc"
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1];
    ph_mail_t m;
    const char *head, *body, *raw, *at;
    apr_size_t k;
    int i, nwords;

    mail_event(&e, PH_EV_DOWN, "kitchen-pi", T_MAIL);
    ev[0] = &e;
    for (k = 0; k < NELTS(pieces); k++) {
        const char *d = "x";

        for (i = 0; i < 25; i++) {
            d = apr_pstrcat(pool, d, pieces[k], NULL);
        }
        disp[0] = d;
        mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
        mail_split(ph_mail_compose(pool, &m), &head, &body);
        /* RFC 2047 2: a line with an encoded word is at most 76 long. */
        assert_header_lines(head, 76);
        raw = mail_header_raw(head, "Subject");
        ck_assert_str_eq(decode_words(unfold(raw), &nwords),
                         apr_pstrcat(pool, "Error : ", d, NULL));
        ck_assert_msg(nwords >= 3, "%d encoded words for %u bytes", nwords,
                      (unsigned)strlen(d));
        /* Folded between the words, with CRLF and one space. */
        for (at = raw, i = 0; (at = strstr(at, "\r\n")) != NULL; at += 2) {
            ck_assert_msg(strncmp(at, "\r\n =?UTF-8?B?", 13) == 0,
                          "not folded as CRLF SP before a word");
            i++;
        }
        ck_assert_int_eq(i, nwords - 1);
    }

    /* Straight from the encoder too. */
    raw = ph_mail_encode_header(pool, repeat('\x7f', 100));
    ck_assert_str_eq(decode_words(unfold(raw), &nwords), repeat('\x7f', 100));
}
END_TEST

/* An address of exactly @a len characters, its local part of @a c. */
static const char *address_of(char c, apr_size_t len)
{
    return apr_pstrcat(pool, repeat(c, len - 12), "@example.com", NULL);
}

START_TEST(mail_to_is_folded)
{
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Pi" };
    ph_mail_t m;
    apr_array_header_t *to;
    const char *head, *body, *raw, *want, *at;
    int k, i;

    mail_event(&e, PH_EV_DOWN, "kitchen-pi", T_MAIL);
    ev[0] = &e;
    for (k = 0; k < 32; k++) {
        to = apr_array_make(pool, 12, sizeof(const char *));
        want = "";
        if (k == 0) {
            /* "To: " + 36 + ", " + 36 fills the line to 78 exactly. */
            APR_ARRAY_PUSH(to, const char *) = address_of('a', 36);
            APR_ARRAY_PUSH(to, const char *) = address_of('b', 36);
            APR_ARRAY_PUSH(to, const char *) = address_of('c', 20);
        }
        else {
            for (i = 0; i < 10; i++) {
                APR_ARRAY_PUSH(to, const char *)
                    = address_of((char)('a' + i), 13 + (i * 7 + k) % 30);
            }
        }
        for (i = 0; i < to->nelts; i++) {
            want = apr_pstrcat(pool, want, i ? ", " : "",
                               APR_ARRAY_IDX(to, i, const char *), NULL);
        }
        mail_init(&m, 1, ev, disp, to);
        mail_split(ph_mail_compose(pool, &m), &head, &body);
        assert_header_lines(head, 78);
        raw = mail_header_raw(head, "To");
        ck_assert_str_eq(unfold(raw), want);
        ck_assert_msg(strstr(raw, "\r\n") != NULL, "case %d not folded", k);
        for (at = raw; (at = strstr(at, "\r\n")) != NULL; at += 2) {
            ck_assert_msg(at > raw && at[-1] == ',' && at[2] == ' '
                          && at[3] != ' ', "case %d: folded mid-list", k);
        }
    }
}
END_TEST

START_TEST(mail_duration)
{
    ck_assert_str_eq(ph_mail_duration(pool, 0), "0 s");
    ck_assert_str_eq(ph_mail_duration(pool, 59), "59 s");
    ck_assert_str_eq(ph_mail_duration(pool, 60), "1 min 0 s");
    ck_assert_str_eq(ph_mail_duration(pool, 61), "1 min 1 s");
    ck_assert_str_eq(ph_mail_duration(pool, 3599), "59 min 59 s");
    ck_assert_str_eq(ph_mail_duration(pool, 3600), "1 h 0 min");
    ck_assert_str_eq(ph_mail_duration(pool, 3700), "1 h 1 min");
    ck_assert_str_eq(ph_mail_duration(pool, 86399), "23 h 59 min");
    ck_assert_str_eq(ph_mail_duration(pool, 86400), "1 d 0 h");
    ck_assert_str_eq(ph_mail_duration(pool, 90000), "1 d 1 h");
    ck_assert_str_eq(ph_mail_duration(pool, -5), "0 s");
}
END_TEST

/* The hour's notice of alert events of undeclared devices held back. */
START_TEST(mail_folded_notice)
{
    ph_mail_t m;
    const char *msg, *head, *body;

    mail_init(&m, 0, NULL, NULL, rcpt_list(two_rcpt));
    ck_assert_str_eq(ph_mail_folded_subject(pool, m.monitor, 1),
                     "Raspberry Pi phone home: 1 alert of undeclared devices "
                     "held back");
    msg = ph_mail_folded(pool, &m, 37, 10);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    ck_assert_str_eq(mail_header_raw(head, "Subject"),
                     "Raspberry Pi phone home: 37 alerts of undeclared "
                     "devices held back");
    ck_assert_ptr_nonnull(mail_header_raw(head, "To"));
    ck_assert_ptr_nonnull(mail_header_raw(head, "Message-ID"));
    ck_assert_ptr_nonnull(strstr(body, "37 alerts of devices that are not "
                                       "declared were not sent in the last "
                                       "hour."));
    ck_assert_ptr_nonnull(strstr(body, "at most 10 times an hour"));
    ck_assert_ptr_nonnull(strstr(body, "PhoneHomeDevice"));
}
END_TEST

/* A mass outage: 20,000 devices in one digest become parts, each under
 * PH_MAIL_PART_MAX as composed, every device named in exactly one, the
 * subject numbering them. */
START_TEST(mail_mass_outage_is_split)
{
    enum { N = 20000 };
    ph_event_t *e = apr_pcalloc(pool, sizeof(*e) * N);
    const ph_event_t **ev = apr_palloc(pool, sizeof(*ev) * N);
    const char **disp = apr_palloc(pool, sizeof(*disp) * N);
    char *seen = apr_pcalloc(pool, N);
    ph_mail_t m, *parts;
    int i, k, n, named = 0;

    for (i = 0; i < N; i++) {
        mail_event(&e[i], PH_EV_DOWN, apr_psprintf(pool, "site-%05d", i),
                   T_MAIL);
        ev[i] = &e[i];
        disp[i] = i % 2 ? apr_psprintf(pool, "Site %d", i) : e[i].name;
    }
    mail_init(&m, N, ev, disp, rcpt_list(two_rcpt));
    ck_assert_uint_gt(strlen(ph_mail_compose(pool, &m)), 4 * 1024 * 1024);
    n = ph_mail_split(pool, &m, PH_MAIL_PART_MAX, &parts);
    ck_assert_int_gt(n, 1);
    ck_assert_int_le(n, 12);
    for (k = 0; k < n; k++) {
        const char *msg = ph_mail_compose(pool, &parts[k]), *head, *body;
        const char *at;

        ck_assert_uint_le(strlen(msg), PH_MAIL_PART_MAX);
        assert_crlf_only(msg);
        mail_split(msg, &head, &body);
        ck_assert_str_eq(mail_header_raw(head, "Subject"),
                         apr_psprintf(pool, "Error : 20000 devices (Raspberry "
                                      "Pi phone home), part %d of %d",
                                      k + 1, n));
        ck_assert_ptr_nonnull(strstr(body, apr_psprintf(pool,
                              "This is part %d of %d: devices %d to %d",
                              k + 1, n, parts[k].first + 1,
                              parts[k].first + parts[k].n)));
        for (at = strstr(body, "site-"); at; at = strstr(at + 1, "site-")) {
            int d = atoi(at + 5);

            ck_assert_int_ge(d, parts[k].first);
            ck_assert_int_lt(d, parts[k].first + parts[k].n);
            if (!seen[d]) {
                seen[d] = 1;
                named++;
            }
        }
    }
    ck_assert_int_eq(named, N);
    /* Too big whole (589 kB: a second digest of t/massoutage.t), small
     * enough one a line to make one part: that one part, one a line,
     * not the whole form it was split from. */
    mail_init(&m, 2484, ev, disp, rcpt_list(two_rcpt));
    ck_assert_uint_gt(strlen(ph_mail_compose(pool, &m)), PH_MAIL_PART_MAX);
    ck_assert_int_eq(ph_mail_split(pool, &m, PH_MAIL_PART_MAX, &parts), 1);
    {
        const char *msg = ph_mail_compose(pool, &parts[0]), *head, *body;

        ck_assert_uint_le(strlen(msg), PH_MAIL_PART_MAX);
        mail_split(msg, &head, &body);
        ck_assert_str_eq(mail_header_raw(head, "Subject"),
                         "Error : 2484 devices (Raspberry Pi phone home)");
        ck_assert_ptr_null(strstr(body, "part 1 of 1"));
        ck_assert_ptr_nonnull(strstr(body, "\r\nSite 2483 (site-02483): Last call was "));
        ck_assert_ptr_null(strstr(body, "Additional info"));
    }
    /* A digest that fits is one mail, as before. */
    mail_init(&m, 3, ev, disp, rcpt_list(two_rcpt));
    ck_assert_int_eq(ph_mail_split(pool, &m, PH_MAIL_PART_MAX, &parts), 1);
    ck_assert_int_eq(parts[0].parts, 0);
    ck_assert_str_eq(ph_mail_compose(pool, &parts[0]),
                     ph_mail_compose(pool, &m));
    /* Any size that holds the head and one line: still every device. */
    mail_init(&m, 50, ev, disp, rcpt_list(two_rcpt));
    n = ph_mail_split(pool, &m, 2048, &parts);
    for (k = 0, named = 0; k < n; k++) {
        ck_assert_uint_le(strlen(ph_mail_compose(pool, &parts[k])), 2048);
        named += parts[k].n;
    }
    ck_assert_int_gt(n, 2);
    ck_assert_int_eq(named, 50);
}
END_TEST

Suite *test_mail_suite(void)
{
    Suite *s = suite_create("mail");
    TCase *tc = ph_test_tcase(s, "mail");

    tcase_add_test(tc, mail_single_down_event);
    tcase_add_test(tc, mail_down_never_heard_from);
    tcase_add_test(tc, mail_up_after_never_heard_from);
    tcase_add_test(tc, mail_date_has_a_numeric_zone);
    tcase_add_test(tc, mail_single_up_event);
    tcase_add_test(tc, mail_digest_of_three);
    tcase_add_test(tc, mail_utf8_subject_is_encoded);
    tcase_add_test(tc, mail_long_utf8_subject_is_split_and_folded);
    tcase_add_test(tc, mail_to_is_folded);
    tcase_add_test(tc, mail_duration);
    tcase_add_test(tc, mail_folded_notice);
    tcase_add_test(tc, mail_mass_outage_is_split);
    return s;
}
