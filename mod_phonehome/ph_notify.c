/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_date.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "ph_conf.h"
#include "ph_notify.h"
#include "ph_notify_digest.h"
#include "ph_text.h"

#define PH_RETRY_AFTER_MAX      86400

static const char *const ph_kind_names[PH_NOTIFY_KINDS] = {
    "webhook", "ntfy", "gotify", "pushover", "telegram", "slack", "matrix"
};

const char *ph_notify_kind_name(int kind)
{
    return kind >= 0 && kind < PH_NOTIFY_KINDS ? ph_kind_names[kind] : NULL;
}

int ph_notify_kind_of(const char *name)
{
    int k;

    for (k = 0; k < PH_NOTIFY_KINDS; k++) {
        if (strcasecmp(name, ph_kind_names[k]) == 0) {
            return k;
        }
    }
    if (strcasecmp(name, "mattermost") == 0
        || strcasecmp(name, "rocketchat") == 0) {
        return PH_NOTIFY_SLACK;
    }
    return -1;
}

static int ph_chars(const char *s, const char *extra)
{
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || strchr(extra, *s))) {
            return 0;
        }
    }
    return 1;
}

const char *ph_notify_name_check(const char *name)
{
    if (*name == '\0' || strlen(name) > PH_NOTIFY_NAME_MAX
        || !ph_chars(name, "_-")) {
        return "a channel name is 1-32 of A-Z a-z 0-9 _ -";
    }
    if (strcasecmp(name, PH_NOTIFY_MAIL) == 0) {
        return "'mail' is the name of alert mail in Notify=";
    }
    return NULL;
}

const char *ph_notify_parse(apr_pool_t *p, const apr_array_header_t *words,
                            ph_notify_chan_t *c)
{
    const char *why;
    int i;

    memset(c, 0, sizeof(*c));
    c->kind = -1;
    c->timeout = 30;
    if (words->nelts < 2) {
        return "needs a channel name and a URL";
    }
    c->name = APR_ARRAY_IDX(words, 0, const char *);
    if ((why = ph_notify_name_check(c->name)) != NULL) {
        return apr_psprintf(p, "'%s': %s", ph_text_oneline(p, c->name), why);
    }
    c->url = APR_ARRAY_IDX(words, 1, const char *);
    if (c->url[0] == '@') {
        if (c->url[1] == '\0') {
            return "'@' needs the path of a file holding the URL";
        }
        c->url_file = c->url + 1;
        c->url = NULL;
    }
    for (i = 2; i < words->nelts; i++) {
        const char *opt = APR_ARRAY_IDX(words, i, const char *);
        const char *eq = strchr(opt, '=');
        const char *val = eq ? eq + 1 : NULL;
        apr_size_t klen = eq ? (apr_size_t)(eq - opt) : 0;

#define PH_OPT(k) (klen == sizeof(k) - 1 && strncasecmp(opt, k, klen) == 0)
        if (eq == NULL || *val == '\0') {
            return apr_psprintf(p, "'%s' is not an option=value",
                                ph_text_oneline(p, opt));
        }
        if (PH_OPT("kind")) {
            if ((c->kind = ph_notify_kind_of(val)) < 0) {
                return apr_psprintf(p, "kind='%s' is not one of webhook, "
                                    "ntfy, gotify, pushover, telegram, "
                                    "slack, mattermost, rocketchat, matrix",
                                    ph_text_oneline(p, val));
            }
        }
        else if (PH_OPT("token-file")) {
            c->token_file = val;
        }
        else if (PH_OPT("user-file")) {
            c->user_file = val;
        }
        else if (PH_OPT("chat")) {
            if (strlen(val) > 64 || !ph_chars(val, "_@-")) {
                return apr_psprintf(p, "chat='%s' is not a chat id or "
                                    "@channel", ph_text_oneline(p, val));
            }
            c->chat = val;
        }
        else if (PH_OPT("room")) {
            if ((val[0] != '!' && val[0] != '#') || strlen(val) > 255
                || !ph_chars(val + 1, "_.:=-")) {
                return apr_psprintf(p, "room='%s' is not a Matrix room id "
                                    "(!id:server) or alias (#name:server)",
                                    ph_text_oneline(p, val));
            }
            c->room = val;
        }
        else if (PH_OPT("tags")) {
            if (strlen(val) > 200 || !ph_chars(val, "_,+-")) {
                return apr_psprintf(p, "tags='%s' must be words of A-Z a-z "
                                    "0-9 _ + - separated by commas",
                                    ph_text_oneline(p, val));
            }
            c->tags = val;
        }
        else if (PH_OPT("priority")) {
            char *end;
            long v;

            errno = 0;
            v = strtol(val, &end, 10);
            if (*end != '\0' || errno || v < -2 || v > 10) {
                return apr_psprintf(p, "priority='%s' is not a whole number "
                                    "from -2 to 10", ph_text_oneline(p, val));
            }
            c->priority = (int)v;
            c->has_priority = 1;
        }
        else if (PH_OPT("timeout")) {
            if ((why = ph_conf_seconds(p, val, 1, 300, &c->timeout))
                != NULL) {
                return apr_pstrcat(p, "timeout=", why, NULL);
            }
        }
        else {
            return apr_psprintf(p, "unknown option '%s' (kind=, token-file=, "
                                "user-file=, chat=, room=, tags=, priority=, "
                                "timeout=)", ph_text_oneline(p,
                                apr_pstrmemdup(p, opt, klen)));
        }
#undef PH_OPT
    }
    return NULL;
}

const char *ph_notify_secret(apr_pool_t *p, const char *buf, apr_size_t len,
                             const char **secret)
{
    apr_size_t n = 0;

    while (n < len && buf[n] != '\n' && buf[n] != '\r') {
        if (buf[n] <= ' ' || buf[n] >= 0x7F) {
            return "the first line must be printable ASCII without spaces";
        }
        n++;
    }
    if (n == 0 || n > 4096) {
        return "the first line must hold 1-4096 characters";
    }
    *secret = apr_pstrmemdup(p, buf, n);
    return NULL;
}

/* Where "pushover://" and "telegram://" alone point. */
static const char *ph_default_url(int kind)
{
    switch (kind) {
    case PH_NOTIFY_PUSHOVER:
        return "https://api.pushover.net/1/messages.json";
    case PH_NOTIFY_TELEGRAM:
        return "https://api.telegram.org";
    }
    return NULL;
}

const char *ph_notify_check(apr_pool_t *p, ph_notify_chan_t *c)
{
    const char *url = c->url, *sep, *shown;
    apr_uri_t uri;
    int kind = -1, tls = 1;
    const char *s;

    /* A URL from a file is a secret: errors name the file instead. */
    shown = c->url_file ? apr_pstrcat(p, "the URL in ",
                                      ph_text_oneline(p, c->url_file), NULL)
                        : apr_psprintf(p, "'%s'", ph_text_oneline(p, url));
    if (url == NULL || *url == '\0' || strlen(url) > PH_NOTIFY_URL_MAX) {
        return apr_pstrcat(p, shown, " is not a URL", NULL);
    }
    for (s = url; *s; s++) {
        if (*s <= ' ' || *s >= 0x7F) {
            return apr_pstrcat(p, shown, ": a URL is printable ASCII "
                               "without spaces", NULL);
        }
    }
    if ((sep = strstr(url, "://")) == NULL) {
        return apr_pstrcat(p, shown, " is not a URL (scheme://host/...)",
                           NULL);
    }
    {
        char *scheme = apr_pstrmemdup(p, url, (apr_size_t)(sep - url));
        char *plus = strchr(scheme, '+');

        if (strcasecmp(scheme, "http") == 0) {
            tls = 0;
        }
        else if (strcasecmp(scheme, "https") != 0) {
            if (plus) {
                *plus++ = '\0';
                if (strcasecmp(plus, "http") == 0) {
                    tls = 0;
                }
                else if (strcasecmp(plus, "https") != 0) {
                    plus = NULL;
                    kind = -2;
                }
            }
            if (kind != -2) {
                kind = ph_notify_kind_of(scheme);
            }
            if (kind < 0) {
                return apr_pstrcat(p, shown, ": the scheme is not http, "
                                   "https, or a kind such as ntfy:// or "
                                   "ntfy+http://", NULL);
            }
            if (c->kind >= 0 && c->kind != kind) {
                return apr_psprintf(p, "kind=%s, but the URL's scheme says "
                                    "%s", ph_kind_names[c->kind],
                                    ph_kind_names[kind]);
            }
            url = apr_pstrcat(p, tls ? "https://" : "http://", sep + 3,
                              NULL);
            if (sep[3] == '\0' && ph_default_url(kind)) {
                url = ph_default_url(kind);
            }
        }
    }
    c->kind = kind >= 0 ? kind : c->kind >= 0 ? c->kind : PH_NOTIFY_WEBHOOK;
    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS || uri.hostname == NULL
        || *uri.hostname == '\0' || uri.scheme == NULL
        || (strcasecmp(uri.scheme, "http") && strcasecmp(uri.scheme,
                                                         "https"))) {
        return apr_pstrcat(p, shown, " is not an http or https URL with a "
                           "host", NULL);
    }
    if (uri.user || uri.password) {
        return apr_pstrcat(p, shown, ": no user or password in the URL; "
                           "use token-file=", NULL);
    }
    if (uri.fragment) {
        return apr_pstrcat(p, shown, ": no #fragment in the URL", NULL);
    }
    c->url = url;
    c->host = uri.port_str ? apr_pstrcat(p, uri.hostname, ":", uri.port_str,
                                         NULL)
                           : uri.hostname;

    switch (c->kind) {
    case PH_NOTIFY_GOTIFY:
        if (!c->token) {
            return "gotify needs token-file= (an application token)";
        }
        break;
    case PH_NOTIFY_PUSHOVER:
        if (!c->token || !c->user) {
            return "pushover needs token-file= (the application's API "
                   "token) and user-file= (the user or group key)";
        }
        break;
    case PH_NOTIFY_TELEGRAM:
        if (!c->token || !c->chat) {
            return "telegram needs token-file= (the bot token) and chat=";
        }
        break;
    case PH_NOTIFY_MATRIX:
        if (!c->token || !c->room) {
            return "matrix needs token-file= (an access token) and room=";
        }
        break;
    }
    if (c->chat && c->kind != PH_NOTIFY_TELEGRAM) {
        return "chat= is for telegram only";
    }
    if (c->room && c->kind != PH_NOTIFY_MATRIX) {
        return "room= is for matrix only";
    }
    if (c->user_file && c->kind != PH_NOTIFY_PUSHOVER) {
        return "user-file= is for pushover only";
    }
    if (c->tags && c->kind != PH_NOTIFY_NTFY) {
        return "tags= is for ntfy only";
    }
    if (c->token_file && c->kind == PH_NOTIFY_SLACK) {
        return "slack-style webhooks take no token: the URL is the secret "
               "(give it as @file)";
    }
    if (c->has_priority) {
        int lo, hi;

        switch (c->kind) {
        case PH_NOTIFY_NTFY:
            lo = 1, hi = 5;
            break;
        case PH_NOTIFY_GOTIFY:
            lo = 0, hi = 10;
            break;
        case PH_NOTIFY_PUSHOVER:
            lo = -2, hi = 1;
            break;
        default:
            return "priority= is for ntfy, gotify and pushover only";
        }
        if (c->priority < lo || c->priority > hi) {
            return apr_psprintf(p, "priority=%d: %s takes %d to %d",
                                c->priority, ph_kind_names[c->kind], lo, hi);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

/* The body of a plain-text message, at most @a max bytes, cut between
 * lines: a digest that would not fit says how many devices it left out. */
static const char *ph_notify_body(apr_pool_t *p, const ph_mail_t *m,
                                  apr_size_t max)
{
    const char *word = ph_event_word(m->events[0]->kind);
    int total = m->total > m->n ? m->total : m->n;
    const char *out, *rest;
    int i;

    if (m->n == 1 && total == 1) {
        const ph_event_t *e = m->events[0];

        out = apr_psprintf(p, "%s\n%s %s\nAdditional info: %s",
                           ph_mail_headline(p, m->displays[0], e),
                           ph_event_is_flap(e->kind)
                           ? "State now:" : "Former state was",
                           ph_state_mail_word(e->kind == PH_EV_FLAP
                                              || e->kind == PH_EV_FLAP_END
                                              ? e->state : e->former),
                           ph_mail_info(p, e));
        if (e->remote_ip[0]) {
            out = apr_pstrcat(p, out, "\nLast IP: ", e->remote_ip, NULL);
        }
        return out;
    }
    out = apr_psprintf(p, "%d devices are now in state: %s", total, word);
    if (m->parts > 1) {
        out = apr_psprintf(p, "%s (part %d of %d)", out, m->part, m->parts);
    }
    rest = m->parts > 1 ? "in the other parts and on the status page"
                        : "see the status page, ?state=";
    if (m->parts <= 1) {
        rest = apr_pstrcat(p, rest, m->events[0]->kind == PH_EV_DOWN
                           ? "down" : m->events[0]->kind == PH_EV_FLAP
                                      || m->events[0]->kind == PH_EV_FLAP_END
                           ? "down,up" : "up", NULL);
    }
    for (i = 0; i < m->n; i++) {
        const char *line = apr_psprintf(p, "\n%s: %s", m->displays[i],
                                        ph_mail_info(p, m->events[i]));

        if (strlen(out) + strlen(line) + 80 > max) {
            break;
        }
        out = apr_pstrcat(p, out, line, NULL);
    }
    if (i < total) {
        out = apr_psprintf(p, "%s\n(and %d more: %s)", out,
                           m->parts > 1 ? m->n - i : total - i, rest);
    }
    return out;
}

const char *ph_notify_text(apr_pool_t *p, const ph_mail_t *m,
                           const char **title)
{
    if (m->text) {
        *title = m->title;
        return m->text;
    }
    *title = ph_mail_subject(p, m);
    return ph_notify_body(p, m, PH_NOTIFY_TEXT_MAX);
}

/* Percent-encoding of everything but RFC 3986's unreserved characters. */
static const char *ph_pct(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
            *o++ = (char)ch;
        }
        else {
            *o++ = '%';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    *o = '\0';
    return out;
}

/* An HTTP header value from UTF-8 text: as is when it is ASCII, else one
 * RFC 2047 encoded word (ntfy decodes it), never folded. */
static const char *ph_header_text(apr_pool_t *p, const char *s)
{
    const unsigned char *u;
    char *b64;
    int n = (int)strlen(s);

    for (u = (const unsigned char *)s; *u; u++) {
        if (*u < 0x20 || *u > 0x7E) {
            break;
        }
    }
    if (*u == '\0') {
        return s;
    }
    b64 = apr_palloc(p, apr_base64_encode_len(n));
    apr_base64_encode(b64, s, n);
    return apr_pstrcat(p, "=?UTF-8?B?", b64, "?=", NULL);
}

/* Slack's mrkdwn: &, < and > are its markup and must be entities. */
static const char *ph_slack_escape(apr_pool_t *p, const char *s)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(char *));
    const char *start = s;

    for (; *s; s++) {
        const char *ent = *s == '&' ? "&amp;" : *s == '<' ? "&lt;"
                        : *s == '>' ? "&gt;" : NULL;

        if (ent) {
            APR_ARRAY_PUSH(parts, const char *) =
                apr_pstrmemdup(p, start, (apr_size_t)(s - start));
            APR_ARRAY_PUSH(parts, const char *) = ent;
            start = s + 1;
        }
    }
    APR_ARRAY_PUSH(parts, const char *) = start;
    return apr_array_pstrcat(p, parts, 0);
}

static const char *ph_strip_slash(apr_pool_t *p, const char *url)
{
    apr_size_t n = strlen(url);

    while (n > 0 && url[n - 1] == '/') {
        n--;
    }
    return apr_pstrmemdup(p, url, n);
}

#define PH_HEADER(req, ...) \
    (APR_ARRAY_PUSH((req)->headers, const char *) = apr_psprintf(p, \
                                                                 __VA_ARGS__))

void ph_notify_request(apr_pool_t *p, const ph_notify_chan_t *c,
                       const ph_mail_t *m, ph_notify_req_t *req)
{
    int down = m->n == 0 || m->events[0]->kind == PH_EV_DOWN
               || m->events[0]->kind == PH_EV_FLAP;
    const char *title, *text = ph_notify_text(p, m, &title);
    const char *both = apr_pstrcat(p, title, "\n", text, NULL);
    const char *base;

    memset(req, 0, sizeof(*req));
    req->method = "POST";
    req->url = c->url;
    /* A URL from a file is a secret as a whole: logs see only its host. */
    req->log_url = c->url_file ? apr_pstrcat(p, strncmp(c->url, "https", 5)
                                             ? "http://" : "https://",
                                             c->host, "/***", NULL)
                               : c->url;
    req->headers = apr_array_make(p, 6, sizeof(const char *));

    switch (c->kind) {
    case PH_NOTIFY_NTFY:
        PH_HEADER(req, "Content-Type: text/plain; charset=utf-8");
        PH_HEADER(req, "Title: %s", ph_header_text(p, title));
        PH_HEADER(req, "Priority: %d", c->has_priority ? c->priority
                                                       : down ? 4 : 3);
        PH_HEADER(req, "Tags: %s", c->tags ? c->tags : down
                                   ? "warning" : "white_check_mark");
        req->body = text;
        break;
    case PH_NOTIFY_GOTIFY:
        req->url = apr_pstrcat(p, ph_strip_slash(p, c->url), "/message",
                               NULL);
        req->log_url = c->url_file ? req->log_url : req->url;
        PH_HEADER(req, "Content-Type: application/json");
        PH_HEADER(req, "X-Gotify-Key: %s", c->token);
        req->body = apr_psprintf(p, "{\"title\":%s,\"message\":%s,"
                                 "\"priority\":%d}", ph_text_json(p, title),
                                 ph_text_json(p, text), c->has_priority
                                 ? c->priority : down ? 8 : 4);
        break;
    case PH_NOTIFY_PUSHOVER:
        PH_HEADER(req, "Content-Type: application/x-www-form-urlencoded");
        req->body = apr_psprintf(p, "token=%s&user=%s&title=%s&message=%s"
                                 "&priority=%d", ph_pct(p, c->token),
                                 ph_pct(p, c->user), ph_pct(p, title),
                                 ph_pct(p, ph_notify_body(p, m,
                                        PH_NOTIFY_PUSHOVER_MAX)),
                                 c->has_priority ? c->priority : down ? 1 : 0);
        break;
    case PH_NOTIFY_TELEGRAM:
        base = ph_strip_slash(p, c->url);
        req->url = apr_pstrcat(p, base, "/bot", c->token, "/sendMessage",
                               NULL);
        req->log_url = c->url_file ? req->log_url
                     : apr_pstrcat(p, base, "/bot***/sendMessage", NULL);
        PH_HEADER(req, "Content-Type: application/json");
        req->body = apr_psprintf(p, "{\"chat_id\":%s,\"text\":%s,"
                                 "\"disable_web_page_preview\":true}",
                                 ph_text_json(p, c->chat),
                                 ph_text_json(p, both));
        break;
    case PH_NOTIFY_SLACK:
        PH_HEADER(req, "Content-Type: application/json");
        req->body = apr_psprintf(p, "{\"text\":%s}", ph_text_json(p,
                                 apr_pstrcat(p, "*", ph_slack_escape(p, title),
                                             "*\n", ph_slack_escape(p, text),
                                             NULL)));
        break;
    case PH_NOTIFY_MATRIX:
        req->method = "PUT";
        req->url = apr_pstrcat(p, ph_strip_slash(p, c->url),
                               "/_matrix/client/v3/rooms/",
                               ph_pct(p, c->room), "/send/m.room.message/",
                               ph_pct(p, apr_pstrcat(p, "phonehome-",
                                                     m->msgid, NULL)), NULL);
        req->log_url = c->url_file ? req->log_url : req->url;
        PH_HEADER(req, "Content-Type: application/json");
        req->body = apr_psprintf(p, "{\"msgtype\":\"m.text\",\"body\":%s}",
                                 ph_text_json(p, both));
        break;
    default:
        PH_HEADER(req, "Content-Type: application/json");
        req->body = ph_notify_json(p, m, m->msgid);
    }
    if (c->token && (c->kind == PH_NOTIFY_WEBHOOK || c->kind == PH_NOTIFY_NTFY
                     || c->kind == PH_NOTIFY_MATRIX)) {
        PH_HEADER(req, "Authorization: Bearer %s", c->token);
    }
    req->len = strlen(req->body);
}

ph_notify_result_e ph_notify_classify(long status)
{
    if (status >= 200 && status <= 299) {
        return PH_NOTIFY_SENT;
    }
    if (status == 0 || status == 408 || status == 425 || status == 429
        || (status >= 500 && status <= 599)) {
        return PH_NOTIFY_RETRY;
    }
    return PH_NOTIFY_DEAD;
}

apr_interval_time_t ph_notify_retry_after(const char *value, apr_time_t now)
{
    const char *s = value;
    apr_time_t when;
    apr_int64_t secs = 0;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (*s >= '0' && *s <= '9') {
        for (; *s >= '0' && *s <= '9'; s++) {
            if (secs < PH_RETRY_AFTER_MAX) {
                secs = secs * 10 + (*s - '0');
            }
        }
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
            s++;
        }
        if (*s != '\0') {
            return -1;
        }
        return apr_time_from_sec(secs < PH_RETRY_AFTER_MAX
                                 ? secs : PH_RETRY_AFTER_MAX);
    }
    when = apr_date_parse_http(s);
    if (when == APR_DATE_BAD) {
        return -1;
    }
    if (when <= now) {
        return 0;
    }
    if (when - now > apr_time_from_sec(PH_RETRY_AFTER_MAX)) {
        return apr_time_from_sec(PH_RETRY_AFTER_MAX);
    }
    return when - now;
}

/* Every occurrence of @a secret in @a s replaced by "***". */
static const char *ph_replace(apr_pool_t *p, const char *s,
                              const char *secret)
{
    apr_array_header_t *parts;
    const char *at;
    apr_size_t n;

    if (secret == NULL || (n = strlen(secret)) == 0
        || strstr(s, secret) == NULL) {
        return s;
    }
    parts = apr_array_make(p, 4, sizeof(char *));
    while ((at = strstr(s, secret)) != NULL) {
        APR_ARRAY_PUSH(parts, const char *) =
            apr_pstrmemdup(p, s, (apr_size_t)(at - s));
        APR_ARRAY_PUSH(parts, const char *) = "***";
        s = at + n;
    }
    APR_ARRAY_PUSH(parts, const char *) = s;
    return apr_array_pstrcat(p, parts, 0);
}

const char *ph_notify_redact(apr_pool_t *p, const ph_notify_chan_t *c,
                             const char *text)
{
    text = ph_replace(p, text, c->token);
    text = ph_replace(p, text, c->user);
    if (c->url_file && c->url) {
        apr_uri_t uri;

        text = ph_replace(p, text, c->url);
        if (apr_uri_parse(p, c->url, &uri) == APR_SUCCESS && uri.path
            && strlen(uri.path) > 1) {
            text = ph_replace(p, text, uri.path);
        }
    }
    return ph_text_oneline(p, text);
}

const char *ph_notify_url_redacted(apr_pool_t *p, const char *url)
{
    const char *host = strstr(url, "://");
    apr_size_t end;

    host = host ? host + 3 : url;
    end = (apr_size_t)(host - url) + strcspn(host, "/?#");
    return url[end] ? apr_pstrcat(p, apr_pstrmemdup(p, url, end), "/...",
                                  NULL)
                    : url;
}
