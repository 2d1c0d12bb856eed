/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Fuzz target: directive values.  The input is the raw argument text of a
 * directive.  ph_conf_words splits it, and the words quoted again split
 * the same; each word is tried as a PhoneHomeDevice option (Notify=
 * included); and the whole text is tried as an address, a host:port, a
 * display name, a number of seconds and a flag, each answer compared with
 * the rule written out again here.  The words are also tried as a PhoneHomeNotify line: a
 * channel that is accepted builds a request for a down and an up event
 * whose headers are single printable lines, whose log URL holds no
 * secret, and whose reasons never show one.
 */

#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "fuzz.h"
#include "ph_conf.h"
#include "ph_notify.h"

static int address_ok(const char *s)
{
    apr_size_t len = strlen(s);
    const char *at = strchr(s, '@');

    if (len == 0 || len > 254 || at == NULL || at == s || at[1] == '\0'
        || strchr(at + 1, '@') != NULL) {
        return 0;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= ' ' || c >= 0x7F || strchr("<>(),;:\"[]\\", c)) {
            return 0;
        }
    }
    return 1;
}

static int display_ok(const char *s)
{
    apr_size_t len = strlen(s);

    return len >= 1 && len <= 200 && ph_fuzz_utf8_valid(s)
           && !ph_fuzz_has_control(s);
}

static int seconds_ok(const char *s, apr_uint32_t min, apr_uint32_t max,
                      apr_uint32_t *out)
{
    apr_uint64_t v = 0;

    if (*s == '\0') {
        return 0;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
        if (v <= max) {
            v = v * 10 + (apr_uint64_t)(*s - '0');
        }
    }
    *out = (apr_uint32_t)v;
    return v >= min && v <= max;
}

static void check_seconds(apr_pool_t *p, const char *s, apr_uint32_t min,
                          apr_uint32_t max)
{
    apr_uint32_t got = 0xABCDu, want = 0;
    const char *why = ph_conf_seconds(p, s, min, max, &got);

    PH_FUZZ_CHECK((why == NULL) == seconds_ok(s, min, max, &want));
    if (why) {
        ph_fuzz_check_reason(why);
        PH_FUZZ_CHECK(got == 0xABCDu);
    }
    else {
        PH_FUZZ_CHECK(got == want);
    }
}

static void check_option(apr_pool_t *p, const char *opt)
{
    ph_devconf_t dc;
    const char *why;
    int i;

    memset(&dc, 0, sizeof(dc));
    why = ph_conf_device_option(p, &dc, opt);
    if (why) {
        ph_fuzz_check_reason(why);
        return;
    }
    if (strncasecmp(opt, "MaxAge=", 7) == 0) {
        PH_FUZZ_CHECK(dc.max_age >= 1 && dc.max_age <= PH_MAX_AGE_LIMIT);
    }
    else if (strncasecmp(opt, "Name=", 5) == 0) {
        PH_FUZZ_CHECK(dc.display && strcmp(dc.display, opt + 5) == 0);
        PH_FUZZ_CHECK(display_ok(dc.display));
    }
    else if (strncasecmp(opt, "MailTo=", 7) == 0) {
        PH_FUZZ_CHECK(dc.mail_to && dc.mail_to->nelts > 0);
        for (i = 0; i < dc.mail_to->nelts; i++) {
            PH_FUZZ_CHECK(address_ok(APR_ARRAY_IDX(dc.mail_to, i,
                                                   const char *)));
        }
    }
    else if (strncasecmp(opt, "Notify=", 7) == 0) {
        PH_FUZZ_CHECK(dc.notify && dc.notify->nelts > 0);
        for (i = 0; i < dc.notify->nelts; i++) {
            const char *n = APR_ARRAY_IDX(dc.notify, i, const char *);

            PH_FUZZ_CHECK(strcasecmp(n, "mail") == 0
                          || ph_notify_name_check(n) == NULL);
        }
    }
    else {
        PH_FUZZ_CHECK(strncasecmp(opt, "Key=", 4) == 0);
        PH_FUZZ_CHECK(dc.key_file && *dc.key_file
                      && strcmp(dc.key_file, opt + 4) == 0);
    }
}

/* The words quoted again: each in double quotes, '"' and '\' escaped. */
static const char *requote(apr_pool_t *p, const apr_array_header_t *w)
{
    apr_size_t len = 1;
    char *out, *o;
    int i;

    for (i = 0; i < w->nelts; i++) {
        len += 2 * strlen(APR_ARRAY_IDX(w, i, char *)) + 3;
    }
    o = out = apr_palloc(p, len);
    for (i = 0; i < w->nelts; i++) {
        const char *s = APR_ARRAY_IDX(w, i, char *);

        if (i) {
            *o++ = ' ';
        }
        *o++ = '"';
        for (; *s; s++) {
            if (*s == '"' || *s == '\\') {
                *o++ = '\\';
            }
            *o++ = *s;
        }
        *o++ = '"';
    }
    *o = '\0';
    return out;
}

static void check_words(apr_pool_t *p, const char *raw)
{
    apr_array_header_t *w = NULL, *again = NULL;
    const char *why = ph_conf_words(p, raw, &w);
    apr_size_t total = 0;
    int i;

    if (why) {
        ph_fuzz_check_reason(why);
        PH_FUZZ_CHECK(strchr(raw, '"') != NULL);
        return;
    }
    PH_FUZZ_CHECK(w != NULL);
    for (i = 0; i < w->nelts; i++) {
        const char *word = APR_ARRAY_IDX(w, i, char *);

        total += strlen(word) + 1;
        check_option(p, word);
        PH_FUZZ_CHECK((ph_conf_address(p, word) == NULL)
                      == address_ok(word));
    }
    PH_FUZZ_CHECK(total <= strlen(raw) + 1);

    why = ph_conf_words(p, requote(p, w), &again);
    PH_FUZZ_CHECK(why == NULL);
    PH_FUZZ_CHECK(again->nelts == w->nelts);
    for (i = 0; i < w->nelts; i++) {
        PH_FUZZ_CHECK(strcmp(APR_ARRAY_IDX(again, i, char *),
                             APR_ARRAY_IDX(w, i, char *)) == 0);
    }
}

static void check_hostport(apr_pool_t *p, const char *s)
{
    const char *host = "unset", *why;
    apr_port_t port = 7;

    why = ph_conf_hostport(p, s, 25, &host, &port);
    if (why) {
        ph_fuzz_check_reason(why);
        PH_FUZZ_CHECK(strcmp(host, "unset") == 0 && port == 7);
        return;
    }
    PH_FUZZ_CHECK(host != NULL && *host != '\0');
    PH_FUZZ_CHECK(!ph_fuzz_has_control(host) && strchr(host, ' ') == NULL);
    PH_FUZZ_CHECK(port != 0);
}

#define FUZZ_TOKEN  "tok-FUZZSECRET"
#define FUZZ_USER   "usr-FUZZSECRET"

static void check_notify(apr_pool_t *p, const char *s)
{
    static const int kinds[2] = { PH_EV_DOWN, PH_EV_UP };
    apr_array_header_t *words;
    ph_notify_chan_t c;
    const char *why;
    int mine, k, i;

    if (ph_conf_words(p, s, &words) != NULL) {
        return;
    }
    /* A secret may be shown only if the words themselves hold its text. */
    mine = strstr(apr_array_pstrcat(p, words, ' '), "FUZZSECRET") == NULL;
    why = ph_notify_parse(p, words, &c);
    if (why == NULL) {
        c.token = c.token_file ? FUZZ_TOKEN : NULL;
        c.user = c.user_file ? FUZZ_USER : NULL;
        if (c.url_file) {
            c.url = "https://hooks.example.com/FUZZSECRET";
        }
        why = ph_notify_check(p, &c);
    }
    if (why) {
        ph_fuzz_check_reason(why);
        PH_FUZZ_CHECK(!mine || strstr(why, "FUZZSECRET") == NULL);
        return;
    }
    PH_FUZZ_CHECK(ph_notify_kind_name(c.kind) != NULL);
    PH_FUZZ_CHECK(ph_notify_name_check(c.name) == NULL);
    PH_FUZZ_CHECK(strncmp(c.url, "http://", 7) == 0
                  || strncmp(c.url, "https://", 8) == 0);
    for (k = 0; k < 2; k++) {
        const char *disp[1] = { "K\xc3\xbc" "che <Pi> & \"1\"" };
        const ph_event_t *ev[1];
        ph_notify_req_t r;
        ph_event_t e;
        ph_mail_t m;

        memset(&e, 0, sizeof(e));
        e.kind = kinds[k];
        e.former = k ? PH_STATE_DOWN : PH_STATE_UP;
        e.time = apr_time_from_sec(1795592886);
        apr_cpystrn(e.name, "kitchen-pi", sizeof(e.name));
        ev[0] = &e;
        memset(&m, 0, sizeof(m));
        m.monitor = "Raspberry Pi phone home";
        m.now = e.time;
        m.n = 1;
        m.events = ev;
        m.displays = disp;
        m.msgid = "1-2-3";
        ph_notify_request(p, &c, &m, &r);
        PH_FUZZ_CHECK(r.body != NULL && r.len == strlen(r.body));
        PH_FUZZ_CHECK(!mine || strstr(r.log_url, "FUZZSECRET") == NULL);
        PH_FUZZ_CHECK(strpbrk(r.url, " \r\n") == NULL);
        for (i = 0; i < r.headers->nelts; i++) {
            const char *h = APR_ARRAY_IDX(r.headers, i, const char *);

            for (; *h; h++) {
                PH_FUZZ_CHECK((unsigned char)*h >= 0x20
                              && (unsigned char)*h < 0x7F);
            }
        }
        PH_FUZZ_CHECK(!mine || strstr(ph_notify_redact(p, &c, r.url),
                                      "FUZZSECRET") == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = ph_fuzz_pool();
    const char *s = ph_fuzz_cstr(p, data, size), *why;
    int flag = -1;

    check_words(p, s);
    check_option(p, s);
    check_notify(p, s);

    why = ph_conf_address(p, s);
    PH_FUZZ_CHECK((why == NULL) == address_ok(s));
    if (why) {
        ph_fuzz_check_reason(why);
    }
    why = ph_conf_display(p, s);
    PH_FUZZ_CHECK((why == NULL) == display_ok(s));
    if (why) {
        ph_fuzz_check_reason(why);
    }
    check_hostport(p, s);
    check_seconds(p, s, 1, PH_MAX_AGE_LIMIT);
    check_seconds(p, s, 0, 0xFFFFFFFFu);
    why = ph_conf_flag(p, s, &flag);
    PH_FUZZ_CHECK((why == NULL) == (strcasecmp(s, "On") == 0
                                    || strcasecmp(s, "Off") == 0));
    PH_FUZZ_CHECK(why != NULL || flag == (strcasecmp(s, "On") == 0));
    apr_pool_destroy(p);
    return 0;
}
