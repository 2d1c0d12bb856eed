/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_notify.c: channels: the PhoneHomeNotify line, requests, answers. */

#include <stdlib.h>

#include "test_util.h"

Suite *test_notify_suite(void);

/* ------------------------------------------------------------------ */
/* Channels (ph_notify)                                                */

/* A channel from one PhoneHomeNotify line, with secrets as the glue
 * would have read them; the reason it is refused, or NULL. */
static const char *notify_chan(ph_notify_chan_t *c, const char *line,
                               const char *token, const char *user)
{
    apr_array_header_t *words;
    const char *why;

    ck_assert_ptr_eq(ph_conf_words(pool, line, &words), NULL);
    if ((why = ph_notify_parse(pool, words, c)) != NULL) {
        return why;
    }
    if (c->token_file) {
        c->token = token;
    }
    if (c->user_file) {
        c->user = user;
    }
    if (c->url_file) {
        c->url = "https://hooks.example.com/services/T0/B0/XSECRET";
    }
    return ph_notify_check(pool, c);
}

static void notify_ok(ph_notify_chan_t *c, const char *line)
{
    const char *why = notify_chan(c, line, "tok-SECRET", "usr-SECRET");

    ck_assert_msg(why == NULL, "%s: refused: %s", line, S(why));
}

static void notify_refused(const char *line, const char *reason)
{
    ph_notify_chan_t c;
    const char *why = notify_chan(&c, line, "tok-SECRET", "usr-SECRET");

    ck_assert_msg(why != NULL, "%s should be refused", line);
    ck_assert_msg(strstr(why, reason) != NULL, "%s: '%s' lacks '%s'", line,
                  why, reason);
    ck_assert_msg(strstr(why, "SECRET") == NULL, "%s: shows a secret",
                  line);
}

START_TEST(conf_device_notify_option)
{
    ph_devconf_t dc;

    memset(&dc, 0, sizeof(dc));
    ck_assert_ptr_eq(ph_conf_device_option(pool, &dc, "Notify=phone,mail"),
                     NULL);
    ck_assert_int_eq(dc.notify->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(dc.notify, 0, const char *), "phone");
    ck_assert_str_eq(APR_ARRAY_IDX(dc.notify, 1, const char *), "mail");
    ck_assert_ptr_eq(ph_conf_device_option(pool, &dc, "notify=MAIL"), NULL);
    ck_assert_ptr_ne(ph_conf_device_option(pool, &dc, "Notify="), NULL);
    ck_assert_ptr_ne(ph_conf_device_option(pool, &dc, "Notify=,"), NULL);
    ck_assert_ptr_ne(strstr(ph_conf_device_option(pool, &dc,
                                                  "Notify=a,b/c"),
                            "Notify='b/c'"), NULL);
}
END_TEST

START_TEST(notify_kind_from_scheme_or_option)
{
    ph_notify_chan_t c;

    notify_ok(&c, "a ntfy://ntfy.sh/alerts");
    ck_assert_int_eq(c.kind, PH_NOTIFY_NTFY);
    ck_assert_str_eq(c.url, "https://ntfy.sh/alerts");
    ck_assert_str_eq(c.host, "ntfy.sh");
    notify_ok(&c, "a ntfy+http://10.0.0.2:8080/alerts");
    ck_assert_str_eq(c.url, "http://10.0.0.2:8080/alerts");
    ck_assert_str_eq(c.host, "10.0.0.2:8080");
    notify_ok(&c, "a http://127.0.0.1/x");
    ck_assert_int_eq(c.kind, PH_NOTIFY_WEBHOOK);
    ck_assert_uint_eq(c.timeout, 30);
    notify_ok(&c, "a http://127.0.0.1/x kind=ntfy timeout=5 tags=a,b "
              "priority=5");
    ck_assert_int_eq(c.kind, PH_NOTIFY_NTFY);
    ck_assert_uint_eq(c.timeout, 5);
    ck_assert_str_eq(c.tags, "a,b");
    ck_assert_int_eq(c.priority, 5);
    notify_ok(&c, "a https://chat.example.com/hooks/x kind=mattermost");
    ck_assert_int_eq(c.kind, PH_NOTIFY_SLACK);
    notify_ok(&c, "a telegram:// token-file=t chat=-100123");
    ck_assert_int_eq(c.kind, PH_NOTIFY_TELEGRAM);
    ck_assert_str_eq(c.url, "https://api.telegram.org");
    notify_ok(&c, "a pushover:// token-file=t user-file=u priority=-2");
    ck_assert_str_eq(c.url, "https://api.pushover.net/1/messages.json");
    notify_ok(&c, "a matrix://matrix.org token-file=t room=!abc:matrix.org");
    ck_assert_int_eq(c.kind, PH_NOTIFY_MATRIX);
    notify_ok(&c, "a gotify+http://gotify.lan token-file=t");
    ck_assert_int_eq(c.kind, PH_NOTIFY_GOTIFY);
    notify_ok(&c, "a @/etc/slack.url kind=slack");
    ck_assert_str_eq(c.url_file, "/etc/slack.url");
    ck_assert_int_eq(c.kind, PH_NOTIFY_SLACK);
    ck_assert_str_eq(ph_notify_kind_name(PH_NOTIFY_MATRIX), "matrix");
    ck_assert_ptr_eq(ph_notify_kind_name(PH_NOTIFY_KINDS), NULL);
    ck_assert_int_eq(ph_notify_kind_of("rocketchat"), PH_NOTIFY_SLACK);
    ck_assert_int_eq(ph_notify_kind_of("fax"), -1);
}
END_TEST

START_TEST(notify_bad_lines_are_refused)
{
    notify_refused("a", "needs a channel name and a URL");
    notify_refused("mail https://x.example/", "'mail' is the name");
    notify_refused("bad/name https://x.example/", "1-32 of");
    notify_refused("a ftp://x.example/", "the scheme is not");
    notify_refused("a fax://x.example/", "the scheme is not");
    notify_refused("a ntfy+gopher://x.example/", "the scheme is not");
    notify_refused("a x.example/path", "is not a URL");
    notify_refused("a https://", "with a host");
    notify_refused("a https://u:p@x.example/", "no user or password");
    notify_refused("a https://x.example/#frag", "no #fragment");
    notify_refused("a ntfy://x.example/ kind=slack", "kind=slack, but");
    notify_refused("a https://x.example/ kind=fax", "kind='fax'");
    notify_refused("a https://x.example/ colour=red", "unknown option");
    notify_refused("a https://x.example/ tags", "not an option=value");
    notify_refused("a https://x.example/ timeout=0", "timeout=");
    notify_refused("a https://x.example/ timeout=301", "timeout=");
    notify_refused("a https://x.example/ priority=3", "priority= is for");
    notify_refused("a ntfy://x.example/t priority=6", "takes 1 to 5");
    notify_refused("a pushover:// token-file=t user-file=u priority=2",
                   "takes -2 to 1");
    notify_refused("a https://x.example/ priority=abc", "priority=");
    notify_refused("a https://x.example/ tags=a;b", "tags=");
    notify_refused("a https://x.example/ tags=a", "tags= is for ntfy");
    notify_refused("a https://x.example/ chat=1", "chat= is for telegram");
    notify_refused("a https://x.example/ room=!a:b", "room= is for matrix");
    notify_refused("a https://x.example/ room=abc", "room='abc'");
    notify_refused("a https://x.example/ chat=a;b", "chat='a;b'");
    notify_refused("a gotify://x.example", "gotify needs token-file=");
    notify_refused("a pushover:// token-file=t", "pushover needs");
    notify_refused("a telegram:// chat=1", "telegram needs");
    notify_refused("a matrix://m.example token-file=t", "matrix needs");
    notify_refused("a https://x.example/ kind=slack token-file=t",
                   "the URL is the secret");
    notify_refused("a https://x.example/ user-file=u", "user-file= is for");
    notify_refused("a @", "needs the path");
}
END_TEST

START_TEST(notify_secret_is_the_first_line)
{
    const char *secret = NULL;

    ck_assert_ptr_eq(ph_notify_secret(pool, "abc123\nrest", 11, &secret),
                     NULL);
    ck_assert_str_eq(secret, "abc123");
    ck_assert_ptr_eq(ph_notify_secret(pool, "abc\r\n", 5, &secret), NULL);
    ck_assert_str_eq(secret, "abc");
    ck_assert_ptr_eq(ph_notify_secret(pool, "abc", 3, &secret), NULL);
    ck_assert_ptr_ne(ph_notify_secret(pool, "\nabc", 4, &secret), NULL);
    ck_assert_ptr_ne(ph_notify_secret(pool, "a b\n", 4, &secret), NULL);
    ck_assert_ptr_ne(ph_notify_secret(pool, "a\tb\n", 4, &secret), NULL);
    ck_assert_ptr_ne(ph_notify_secret(pool, "", 0, &secret), NULL);
}
END_TEST

/* One down event for the display name @a disp, as a channel sees it. */
static void notify_msg(ph_mail_t *m, ph_event_t *e, const ph_event_t **ev,
                       const char **disp, int kind)
{
    mail_event(e, kind, "kitchen-pi", T_MAIL);
    *ev = e;
    mail_init(m, 1, ev, disp, NULL);
    m->from = NULL;
}

static const char *req_header(const ph_notify_req_t *r, const char *name)
{
    apr_size_t n = strlen(name);
    int i;

    for (i = 0; i < r->headers->nelts; i++) {
        const char *h = APR_ARRAY_IDX(r->headers, i, const char *);

        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            return h + n + 2;
        }
    }
    return NULL;
}

START_TEST(notify_webhook_json)
{
    const char *disp[1] = { "K\xc3\xbc" "che <Pi> & \"1\"\\" };
    const ph_event_t *ev[1];
    ph_notify_chan_t c;
    ph_notify_req_t r;
    ph_event_t e;
    ph_mail_t m;

    notify_ok(&c, "hook http://127.0.0.1:9/hook token-file=t");
    notify_msg(&m, &e, ev, disp, PH_EV_DOWN);
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.method, "POST");
    ck_assert_str_eq(r.url, "http://127.0.0.1:9/hook");
    ck_assert_str_eq(req_header(&r, "Content-Type"), "application/json");
    ck_assert_str_eq(req_header(&r, "Authorization"), "Bearer tok-SECRET");
    ck_assert_uint_eq(r.len, strlen(r.body));
    ck_assert_str_eq(r.body,
        "{\"version\":1,\"id\":\"1360338901.42.7\",\"event\":\"down\","
        "\"state\":\"down\",\"word\":\"Error\",\"title\":\"Error : "
        "K\xc3\xbc" "che \\u003cPi\\u003e \\u0026 \\\"1\\\"\\\\\","
        "\"text\":\"K\xc3\xbc" "che \\u003cPi\\u003e \\u0026 \\\"1\\\"\\\\ "
        "is now in state: Error\\nFormer state was Good\\nAdditional info: "
        "Last call was 420 seconds ago\\nLast IP: 192.0.2.7\","
        "\"monitor\":\"Raspberry Pi phone home\",\"time\":1360338901,"
        "\"count\":1,\"total\":1,\"part\":1,\"parts\":1,"
        "\"devices\":[{\"device\":\"kitchen-pi\","
        "\"display\":\"K\xc3\xbc" "che \\u003cPi\\u003e \\u0026 "
        "\\\"1\\\"\\\\\",\"state\":\"down\",\"former\":\"up\","
        "\"time\":1360338901,\"last_seen\":1360338481,\"outage\":null,"
        "\"rebooted\":false,\"remote_ip\":\"192.0.2.7\","
        "\"boot_id\":\"abc-def\",\"uptime\":null,\"skew\":null,"
        "\"max_age\":300,\"info\":\"Last call was 420 seconds ago\"}]}");

    /* Up, with the outage. */
    notify_msg(&m, &e, ev, disp, PH_EV_UP);
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_ptr_ne(strstr(r.body, "\"event\":\"up\",\"state\":\"up\","
                            "\"word\":\"Good\""), NULL);
    ck_assert_ptr_ne(strstr(r.body, "\"former\":\"down\""), NULL);
    ck_assert_ptr_ne(strstr(r.body, "\"outage\":3700,"), NULL);
}
END_TEST

START_TEST(notify_ntfy_headers)
{
    const char *disp[1] = { "Kitchen Pi" };
    const char *utf[1] = { "K\xc3\xbc" "che" };
    const ph_event_t *ev[1];
    ph_notify_chan_t c;
    ph_notify_req_t r;
    ph_event_t e;
    ph_mail_t m;

    notify_ok(&c, "phone ntfy+http://127.0.0.1:9/alerts");
    notify_msg(&m, &e, ev, disp, PH_EV_DOWN);
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.method, "POST");
    ck_assert_str_eq(r.url, "http://127.0.0.1:9/alerts");
    ck_assert_str_eq(req_header(&r, "Title"), "Error : Kitchen Pi");
    ck_assert_str_eq(req_header(&r, "Priority"), "4");
    ck_assert_str_eq(req_header(&r, "Tags"), "warning");
    ck_assert_str_eq(req_header(&r, "Content-Type"),
                     "text/plain; charset=utf-8");
    ck_assert_ptr_eq(req_header(&r, "Authorization"), NULL);
    ck_assert_str_eq(r.body, "Kitchen Pi is now in state: Error\n"
                     "Former state was Good\n"
                     "Additional info: Last call was 420 seconds ago\n"
                     "Last IP: 192.0.2.7");

    notify_msg(&m, &e, ev, utf, PH_EV_UP);
    ph_notify_request(pool, &c, &m, &r);
    /* "Good : Küche" */
    ck_assert_str_eq(req_header(&r, "Title"),
                     "=?UTF-8?B?R29vZCA6IEvDvGNoZQ==?=");
    ck_assert_str_eq(req_header(&r, "Priority"), "3");
    ck_assert_str_eq(req_header(&r, "Tags"), "white_check_mark");

    notify_ok(&c, "phone ntfy://ntfy.sh/a token-file=t priority=5 tags=x,y");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(req_header(&r, "Priority"), "5");
    ck_assert_str_eq(req_header(&r, "Tags"), "x,y");
    ck_assert_str_eq(req_header(&r, "Authorization"), "Bearer tok-SECRET");
}
END_TEST

START_TEST(notify_other_kinds)
{
    const char *disp[1] = { "Kitchen <Pi> & Co" };
    const ph_event_t *ev[1];
    ph_notify_chan_t c;
    ph_notify_req_t r;
    ph_event_t e;
    ph_mail_t m;

    notify_msg(&m, &e, ev, disp, PH_EV_DOWN);

    notify_ok(&c, "g gotify+http://gotify.lan/ token-file=t");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.url, "http://gotify.lan/message");
    ck_assert_str_eq(req_header(&r, "X-Gotify-Key"), "tok-SECRET");
    ck_assert_ptr_ne(strstr(r.body, "\"priority\":8}"), NULL);
    ck_assert_ptr_ne(strstr(r.body, "{\"title\":\"Error : Kitchen "
                            "\\u003cPi\\u003e \\u0026 Co\",\"message\":"),
                     NULL);

    notify_ok(&c, "p pushover:// token-file=t user-file=u");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.url, "https://api.pushover.net/1/messages.json");
    ck_assert_str_eq(req_header(&r, "Content-Type"),
                     "application/x-www-form-urlencoded");
    ck_assert_ptr_ne(strstr(r.body, "token=tok-SECRET&user=usr-SECRET&"
                            "title=Error%20%3A%20Kitchen%20%3CPi%3E%20%26"
                            "%20Co&message=Kitchen%20"), NULL);
    ck_assert_ptr_ne(strstr(r.body, "&priority=1"), NULL);

    notify_ok(&c, "t telegram:// token-file=t chat=-100123");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.url,
                     "https://api.telegram.org/bottok-SECRET/sendMessage");
    ck_assert_str_eq(r.log_url,
                     "https://api.telegram.org/bot***/sendMessage");
    ck_assert_ptr_ne(strstr(r.body, "{\"chat_id\":\"-100123\",\"text\":"
                            "\"Error : Kitchen \\u003cPi\\u003e \\u0026 "
                            "Co\\nKitchen"), NULL);

    notify_ok(&c, "s @/etc/slack.url kind=slack");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.url,
                     "https://hooks.example.com/services/T0/B0/XSECRET");
    ck_assert_str_eq(r.log_url, "https://hooks.example.com/***");
    ck_assert_ptr_ne(strstr(r.body, "{\"text\":\"*Error : Kitchen "
                            "\\u0026lt;Pi\\u0026gt; \\u0026amp; Co*\\n"),
                     NULL);

    notify_ok(&c, "x matrix://matrix.example/ token-file=t "
              "room=!abc:matrix.example");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.method, "PUT");
    ck_assert_str_eq(r.url, "https://matrix.example/_matrix/client/v3/rooms/"
                     "%21abc%3Amatrix.example/send/m.room.message/"
                     "phonehome-1360338901.42.7");
    ck_assert_str_eq(req_header(&r, "Authorization"), "Bearer tok-SECRET");
    ck_assert_ptr_ne(strstr(r.body, "{\"msgtype\":\"m.text\",\"body\":"
                            "\"Error : Kitchen"), NULL);
}
END_TEST

START_TEST(notify_digest_text_is_cut)
{
    ph_event_t *e = apr_pcalloc(pool, sizeof(ph_event_t) * 200);
    const ph_event_t **ev = apr_pcalloc(pool, sizeof(ph_event_t *) * 200);
    const char **disp = apr_pcalloc(pool, sizeof(char *) * 200);
    const char *title, *text;
    ph_mail_t m;
    int i;

    for (i = 0; i < 200; i++) {
        mail_event(&e[i], PH_EV_DOWN, apr_psprintf(pool, "site-%d", i),
                   T_MAIL);
        ev[i] = &e[i];
        disp[i] = apr_psprintf(pool, "Site %d", i);
    }
    mail_init(&m, 3, ev, disp, NULL);
    text = ph_notify_text(pool, &m, &title);
    ck_assert_str_eq(title, "Error : 3 devices (Raspberry Pi phone home)");
    ck_assert_str_eq(text, "3 devices are now in state: Error\n"
                     "Site 0: Last call was 420 seconds ago\n"
                     "Site 1: Last call was 420 seconds ago\n"
                     "Site 2: Last call was 420 seconds ago");
    mail_init(&m, 200, ev, disp, NULL);
    text = ph_notify_text(pool, &m, &title);
    ck_assert_uint_le(strlen(text), 3500);
    ck_assert_ptr_ne(strstr(text, " more: see the status page, "
                                  "?state=down)"), NULL);
    /* The webhook's JSON lists every device, however many. */
    ck_assert_ptr_ne(strstr(ph_notify_json(pool, &m, "id"),
                            "\"device\":\"site-199\""), NULL);
}
END_TEST

/* A mass outage on every kind of channel: the webhook's document is split
 * into parts, each under PH_NOTIFY_JSON_MAX, every device in one; the
 * push kinds get one summary (the count, the first names, where the rest
 * is), a few KiB. */
START_TEST(notify_mass_outage_is_bounded)
{
    static const char *const lines[] = {
        "w http://127.0.0.1:9/hook token-file=t",
        "n ntfy+http://127.0.0.1:9/alerts",
        "g gotify+http://gotify.lan/ token-file=t",
        "p pushover:// token-file=t user-file=u",
        "t telegram:// token-file=t chat=-100123",
        "s @/etc/slack.url kind=slack",
        "x matrix://matrix.example/ token-file=t room=!abc:matrix.example",
        NULL
    };
    enum { N = 20000 };
    ph_event_t *e = apr_pcalloc(pool, sizeof(*e) * N);
    const ph_event_t **ev = apr_palloc(pool, sizeof(*ev) * N);
    const char **disp = apr_palloc(pool, sizeof(*disp) * N);
    char *seen = apr_pcalloc(pool, N);
    ph_notify_chan_t c;
    ph_notify_req_t r;
    ph_mail_t m, *parts;
    int i, k, n, l, named = 0;

    for (i = 0; i < N; i++) {
        mail_event(&e[i], PH_EV_DOWN, apr_psprintf(pool, "site-%05d", i),
                   T_MAIL);
        ev[i] = &e[i];
        disp[i] = apr_psprintf(pool, "Site %d", i);
    }
    mail_init(&m, N, ev, disp, NULL);
    m.msgid = "1795592886000000-42-7";
    ck_assert_uint_gt(strlen(ph_notify_json(pool, &m, "id")), 4 * 1024 * 1024);
    for (l = 0; lines[l]; l++) {
        notify_ok(&c, lines[l]);
        n = ph_notify_split(pool, c.kind, &m, PH_NOTIFY_JSON_MAX, &parts);
        if (c.kind != PH_NOTIFY_WEBHOOK) {
            ck_assert_int_eq(n, 1);
            ck_assert_int_eq(parts[0].n, PH_NOTIFY_SUMMARY_KEEP);
            ck_assert_int_eq(parts[0].total, N);
            ph_notify_request(pool, &c, &parts[0], &r);
            ck_assert_uint_le(r.len, 6 * PH_NOTIFY_TEXT_MAX + 1024);
            ck_assert_msg(strstr(r.body, "20000 devices") != NULL
                          || strstr(r.body, "20000%20devices") != NULL,
                          "%s: no count", lines[l]);
            ck_assert_msg(strstr(r.body, "Site 0:") != NULL
                          || strstr(r.body, "Site%200%3A") != NULL,
                          "%s: does not name the first device", lines[l]);
            ck_assert_msg(strstr(r.body, "state=down") != NULL
                          || strstr(r.body, "state%3Ddown") != NULL,
                          "%s: no pointer to the rest", lines[l]);
            continue;
        }
        ck_assert_int_gt(n, 1);
        for (k = 0; k < n; k++) {
            const char *at;

            ph_notify_request(pool, &c, &parts[k], &r);
            ck_assert_uint_le(r.len, PH_NOTIFY_JSON_MAX);
            ck_assert_ptr_nonnull(strstr(r.body, apr_psprintf(pool,
                "\"total\":20000,\"part\":%d,\"parts\":%d,", k + 1, n)));
            ck_assert_ptr_nonnull(strstr(r.body, apr_psprintf(pool,
                "Error : 20000 devices (Raspberry Pi phone home), part %d "
                "of %d", k + 1, n)));
            for (at = strstr(r.body, "\"device\":\"site-"); at;
                 at = strstr(at + 1, "\"device\":\"site-")) {
                int d = atoi(at + 15);

                ck_assert_int_eq(seen[d], 0);
                seen[d] = 1;
                named++;
            }
        }
        ck_assert_int_eq(named, N);
    }
    /* A digest that fits goes whole, as before. */
    mail_init(&m, 3, ev, disp, NULL);
    notify_ok(&c, lines[0]);
    ck_assert_int_eq(ph_notify_split(pool, c.kind, &m, PH_NOTIFY_JSON_MAX,
                                     &parts), 1);
    ck_assert_int_eq(parts[0].n, 3);
    ck_assert_int_eq(parts[0].parts, 0);
}
END_TEST

START_TEST(notify_classify_and_retry_after)
{
    apr_time_t now = SEC(1795592886);

    ck_assert_int_eq(ph_notify_classify(200), PH_NOTIFY_SENT);
    ck_assert_int_eq(ph_notify_classify(204), PH_NOTIFY_SENT);
    ck_assert_int_eq(ph_notify_classify(0), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(408), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(429), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(500), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(503), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(400), PH_NOTIFY_DEAD);
    ck_assert_int_eq(ph_notify_classify(401), PH_NOTIFY_DEAD);
    ck_assert_int_eq(ph_notify_classify(404), PH_NOTIFY_DEAD);
    ck_assert_int_eq(ph_notify_classify(301), PH_NOTIFY_DEAD);

    ck_assert(ph_notify_retry_after(" 120\r\n", now) == SEC(120));
    ck_assert(ph_notify_retry_after("0", now) == 0);
    ck_assert(ph_notify_retry_after("99999999999999999999", now)
              == SEC(86400));
    ck_assert(ph_notify_retry_after("12abc", now) == -1);
    ck_assert(ph_notify_retry_after("soon", now) == -1);
    ck_assert(ph_notify_retry_after("", now) == -1);
    /* 1795592886 is Wed, 25 Nov 2026 07:48:06 GMT. */
    ck_assert(ph_notify_retry_after(" Wed, 25 Nov 2026 07:49:06 GMT\r\n",
                                    now) == SEC(60));
    ck_assert(ph_notify_retry_after("Wed, 25 Nov 2026 07:00:00 GMT", now)
              == 0);
    ck_assert(ph_notify_retry_after("Wed, 25 Nov 2027 07:00:00 GMT", now)
              == SEC(86400));
}
END_TEST

START_TEST(notify_redact_hides_secrets)
{
    ph_notify_chan_t c;

    notify_ok(&c, "t telegram:// token-file=t chat=1");
    ck_assert_str_eq(ph_notify_redact(pool, &c, "GET /bottok-SECRET/x: "
                                      "tok-SECRET\nagain"),
                     "GET /bot***/x: ***?again");
    notify_ok(&c, "s @/etc/slack.url kind=slack");
    ck_assert_str_eq(ph_notify_redact(pool, &c, "404 for /services/T0/B0/"
                                      "XSECRET"), "404 for ***");
    ck_assert_str_eq(ph_notify_name_check("phone_1-a") ? "bad" : "ok",
                     "ok");
    ck_assert_ptr_ne(ph_notify_name_check(""), NULL);
    ck_assert_ptr_ne(ph_notify_name_check("MAIL"), NULL);
    ck_assert_ptr_ne(ph_notify_name_check(
        "a123456789012345678901234567890123"), NULL);
}
END_TEST

START_TEST(notify_outbox_channel_round_trip)
{
    ph_outbox_item_t item, back;
    const char *text, *why;
    apr_size_t len = 0;

    memset(&item, 0, sizeof(item));
    item.created = APR_INT64_C(1795592886000000);
    item.subject = "Error : Raspberry Pi phone home";
    item.channel = "phone";
    item.message = "ev1 1 2 1795592886000000 raspberrypi 0 0 300 0 0 0 0 0 "
                   "- -\n";
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_str_eq(text, "PHMAIL 1\n"
                     "created 1795592886000000\n"
                     "attempts 0\n"
                     "next 0\n"
                     "subject Error : Raspberry Pi phone home\n"
                     "channel phone\n"
                     "\n"
                     "ev1 1 2 1795592886000000 raspberrypi 0 0 300 0 0 0 0 "
                     "0 - -\n");
    why = ph_outbox_parse(pool, text, len, &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_str_eq(back.channel, "phone");
    ck_assert_int_eq(back.rcpt->nelts, 0);
    ck_assert_str_eq(back.message, item.message);

    assert_outbox_refused("PHMAIL 1\ncreated 1\nchannel a\nrcpt a@b\n\nx",
                          40, "channel and rcpt");
    assert_outbox_refused("PHMAIL 1\ncreated 1\nchannel a\nchannel b\n\nx",
                          41, "two channels");
    assert_outbox_refused("PHMAIL 1\ncreated 1\nchannel mail\n\nx", 34,
                          "channel mail");
}
END_TEST

Suite *test_notify_suite(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = ph_test_tcase(s, "notify");

    tcase_add_test(tc, conf_device_notify_option);
    tcase_add_test(tc, notify_kind_from_scheme_or_option);
    tcase_add_test(tc, notify_bad_lines_are_refused);
    tcase_add_test(tc, notify_secret_is_the_first_line);
    tcase_add_test(tc, notify_webhook_json);
    tcase_add_test(tc, notify_ntfy_headers);
    tcase_add_test(tc, notify_other_kinds);
    tcase_add_test(tc, notify_digest_text_is_cut);
    tcase_add_test(tc, notify_classify_and_retry_after);
    tcase_add_test(tc, notify_mass_outage_is_bounded);
    tcase_add_test(tc, notify_redact_hides_secrets);
    tcase_add_test(tc, notify_outbox_channel_round_trip);
    return s;
}
