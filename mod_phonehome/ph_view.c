/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "ph_name.h"
#include "ph_view.h"

#define PH_Q_MAX    64          /* longest q= */

/* Percent-decode @a s ('+' is a space); NULL on bad encoding or a control
 * character. */
static char *ph_unescape(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        int c = (unsigned char)*s;

        if (c == '+') {
            c = ' ';
        }
        else if (c == '%') {
            if (!apr_isxdigit(s[1]) || !apr_isxdigit(s[2])) {
                return NULL;
            }
            c = (apr_isdigit(s[1]) ? s[1] - '0' : (s[1] | 0x20) - 'a' + 10)
                * 16
                + (apr_isdigit(s[2]) ? s[2] - '0' : (s[2] | 0x20) - 'a' + 10);
            s += 2;
        }
        if (c < 0x20 || c == 0x7f) {
            return NULL;
        }
        *o++ = (char)c;
    }
    *o = '\0';
    return out;
}

static const char *ph_query_number(const char *v, const char *what,
                                   apr_int64_t min, apr_int64_t max,
                                   apr_int64_t *out)
{
    apr_int64_t n = 0;
    const char *s = v;

    if (!*s) {
        return what;
    }
    for (; *s; s++) {
        if (!apr_isdigit(*s) || n > max) {
            return what;
        }
        n = n * 10 + (*s - '0');
    }
    if (n < min || n > max) {
        return what;
    }
    *out = n;
    return NULL;
}

static const char *ph_query_states(char *v, unsigned *states)
{
    char *last, *w;

    *states = 0;
    for (w = apr_strtok(v, ",", &last); w; w = apr_strtok(NULL, ",", &last)) {
        int s;

        for (s = PH_STATE_UNKNOWN; s <= PH_STATE_PAUSED; s++) {
            if (!strcmp(w, ph_state_name(s))) {
                break;
            }
        }
        if (s > PH_STATE_PAUSED) {
            return "state must be a comma-separated list of down, up, "
                   "unknown, paused";
        }
        *states |= 1u << s;
    }
    return *states ? NULL : "state must be a comma-separated list of down, "
                            "up, unknown, paused";
}

const char *ph_query_parse(apr_pool_t *p, const char *args, ph_query_t *q)
{
    char *copy = apr_pstrdup(p, args ? args : ""), *last, *w;

    memset(q, 0, sizeof(*q));
    q->limit = -1;
    for (w = apr_strtok(copy, "&", &last); w;
         w = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(w, '='), *v = NULL;
        const char *why;

        if (eq) {
            *eq = '\0';
            if ((v = ph_unescape(p, eq + 1)) == NULL) {
                return apr_pstrcat(p, "bad percent-encoding in ", w, "=",
                                   NULL);
            }
        }
        if (!strcmp(w, "auto") || !strcmp(w, "json")) {
            q->fmt = w[0] == 'a' ? PH_FMT_AUTO : PH_FMT_JSON;
        }
        else if (!strcmp(w, "metrics")) {
            q->fmt = PH_FMT_METRICS;    /* whatever follows metrics= */
        }
        else if (!strcmp(w, "refresh")) {
            apr_int64_t n = 10;

            if (v && ph_query_number(v, "x", 1, 3600, &n)) {
                return "refresh must be 1-3600 seconds";
            }
            q->refresh = (int)n;
        }
        else if (!strcmp(w, "state")) {
            q->states = 0;              /* an empty state= is every state */
            if (v && *v && (why = ph_query_states(v, &q->states)) != NULL) {
                return why;
            }
        }
        else if (!strcmp(w, "q")) {
            if (v && strlen(v) > PH_Q_MAX) {
                return "q must be at most 64 characters";
            }
            q->q = (v && *v) ? v : NULL;
        }
        else if (!strcmp(w, "limit") || !strcmp(w, "offset")) {
            int lim = w[0] == 'l';

            if (ph_query_number(v ? v : "", "x", 0, PH_VIEW_LIMIT_MAX,
                                lim ? &q->limit : &q->offset)) {
                return lim ? "limit must be a number 0-1000000"
                           : "offset must be a number 0-1000000";
            }
        }
        else if (!strcmp(w, "device") || !strcmp(w, "badge")) {
            if (!v || (why = ph_name_check(v)) != NULL) {
                return apr_pstrcat(p, w, "= is not a device name: ",
                                   v ? why : "empty", NULL);
            }
            if (w[0] == 'd') {
                q->device = v;
            }
            else {
                q->badge = v;
            }
        }
    }
    return NULL;
}

int ph_view_contains(const char *hay, const char *needle)
{
    apr_size_t n = strlen(needle);

    if (n == 0) {
        return 1;
    }
    for (; *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *ph_human_duration(apr_pool_t *p, apr_int64_t s)
{
    if (s < 0) {
        s = 0;
    }
    if (s < 60) {
        return apr_psprintf(p, "%d s", (int)s);
    }
    if (s < 3600) {
        return apr_psprintf(p, "%d min", (int)(s / 60));
    }
    if (s < 86400) {
        return (s % 3600) / 60
            ? apr_psprintf(p, "%d h %d min", (int)(s / 3600),
                           (int)(s % 3600) / 60)
            : apr_psprintf(p, "%d h", (int)(s / 3600));
    }
    return (s % 86400) / 3600
        ? apr_psprintf(p, "%" APR_INT64_T_FMT " d %d h", s / 86400,
                       (int)(s % 86400) / 3600)
        : apr_psprintf(p, "%" APR_INT64_T_FMT " d", s / 86400);
}

const char *ph_human_ago(apr_pool_t *p, apr_time_t now, apr_time_t then)
{
    apr_int64_t s;

    if (then == 0) {
        return "never";
    }
    s = (apr_int64_t)apr_time_sec(now - then);
    if (s < 5) {
        return "just now";
    }
    return apr_pstrcat(p, ph_human_duration(p, s), " ago", NULL);
}

const char *ph_human_time(apr_pool_t *p, apr_time_t now, apr_time_t t)
{
    apr_time_exp_t xt, xn;
    char buf[64];
    apr_size_t len;

    if (t == 0) {
        return "-";
    }
    apr_time_exp_lt(&xt, t);
    apr_time_exp_lt(&xn, now);
    apr_strftime(buf, &len, sizeof(buf),
                 (xt.tm_year == xn.tm_year && xt.tm_yday == xn.tm_yday)
                 ? "%H:%M %Z" : "%Y-%m-%d %H:%M %Z", &xt);
    return apr_pstrmemdup(p, buf, len);
}

/* ------------------------------------------------------------------ */
/* A flat JSON object, as events.log holds them                        */

/* Skip one JSON string at @a s (on its opening quote); decode it into @a out
 * if not NULL.  Returns the character after it, or NULL. */
static const char *ph_json_string(const char *s, char *out)
{
    for (s++; *s && *s != '"'; s++) {
        int c = (unsigned char)*s;

        if (c == '\\') {
            s++;
            switch (*s) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                unsigned u = 0;
                int i;

                for (i = 1; i <= 4; i++) {
                    if (!apr_isxdigit(s[i])) {
                        return NULL;
                    }
                    u = u * 16 + (unsigned)(apr_isdigit(s[i]) ? s[i] - '0'
                                            : (s[i] | 0x20) - 'a' + 10);
                }
                s += 4;
                if (out) {
                    if (u < 0x80) {
                        *out++ = (char)u;
                    }
                    else if (u < 0x800) {
                        *out++ = (char)(0xc0 | (u >> 6));
                        *out++ = (char)(0x80 | (u & 0x3f));
                    }
                    else {
                        *out++ = (char)(0xe0 | (u >> 12));
                        *out++ = (char)(0x80 | ((u >> 6) & 0x3f));
                        *out++ = (char)(0x80 | (u & 0x3f));
                    }
                }
                continue;
            }
            case '\0': return NULL;
            default: c = (unsigned char)*s;
            }
        }
        if (out) {
            *out++ = (char)c;
        }
    }
    if (*s != '"') {
        return NULL;
    }
    if (out) {
        *out = '\0';
    }
    return s + 1;
}

const char *ph_json_flat_get(apr_pool_t *p, const char *line,
                             const char *key)
{
    const char *s = line;
    apr_size_t klen = strlen(key);

    if (!s || *s != '{') {
        return NULL;
    }
    s++;
    while (*s == '"') {
        const char *k = s + 1, *v, *e;
        int match;

        if ((s = ph_json_string(s, NULL)) == NULL || *s != ':') {
            return NULL;
        }
        match = (apr_size_t)(s - k - 1) == klen && !strncmp(k, key, klen);
        v = ++s;
        if (*s == '"') {
            if ((e = ph_json_string(s, NULL)) == NULL) {
                return NULL;
            }
            if (match) {
                char *out = apr_palloc(p, (apr_size_t)(e - s) * 3 + 1);

                ph_json_string(s, out);
                return out;
            }
            s = e;
        }
        else {
            while (*s && *s != ',' && *s != '}') {
                s++;
            }
            if (match) {
                return apr_pstrmemdup(p, v, (apr_size_t)(s - v));
            }
        }
        if (*s == ',') {
            s++;
        }
        else {
            break;
        }
    }
    return NULL;
}

const char *ph_event_sentence(apr_pool_t *p, const char *line, apr_time_t now,
                              const char **device)
{
    const char *ev = ph_json_flat_get(p, line, "event");
    const char *ts = ph_json_flat_get(p, line, "time");
    const char *dev = ph_json_flat_get(p, line, "device");
    const char *disp = ph_json_flat_get(p, line, "display");
    const char *err = ph_json_flat_get(p, line, "error");
    const char *n = ph_json_flat_get(p, line, "devices");
    const char *chan = ph_json_flat_get(p, line, "channel");
    const char *att = ph_json_flat_get(p, line, "attempts");
    const char *who, *at, *s;
    apr_int64_t t;

    if (device) {
        *device = dev;
    }
    if (!ev || !ts || (t = apr_atoi64(ts)) <= 0) {
        return NULL;
    }
    at = ph_human_time(p, now, apr_time_from_sec(t));
    who = dev ? ((disp && strcmp(disp, dev)) ? apr_psprintf(p, "%s (%s)", disp,
                                                             dev) : dev)
              : NULL;
    if (!strcmp(ev, "down") && who) {
        s = apr_psprintf(p, "%s went down at %s.", who, at);
    }
    else if (!strcmp(ev, "up") && who) {
        const char *former = ph_json_flat_get(p, line, "former");
        const char *reboot = ph_json_flat_get(p, line, "rebooted");

        s = apr_psprintf(p, "%s %s at %s%s.", who,
                         (former && !strcmp(former, "down")) ? "came back up"
                                                             : "is up",
                         at, (reboot && !strcmp(reboot, "true"))
                             ? " (it had restarted: power cut or reboot)"
                             : "");
    }
    else if (!strcmp(ev, "first") && who) {
        s = apr_psprintf(p, "%s was heard from for the first time at %s.",
                         who, at);
    }
    else if (!strcmp(ev, "mail_queued")) {
        s = apr_psprintf(p, "An alert mail about %s device%s was queued at "
                         "%s.", n ? n : "some", (n && !strcmp(n, "1"))
                         ? "" : "s", at);
    }
    else if (!strcmp(ev, "mail_sent")) {
        s = apr_psprintf(p, "An alert mail was delivered at %s.", at);
    }
    else if (!strcmp(ev, "mail_failed")) {
        s = apr_psprintf(p, "Delivering an alert mail failed at %s%s%s%s; "
                         "it will be retried.", at,
                         att ? " (attempt " : "", att ? att : "",
                         att ? ")" : "");
        if (err) {
            s = apr_pstrcat(p, s, " The error: ", err, NULL);
        }
    }
    else if (!strcmp(ev, "mail_dead")) {
        s = apr_psprintf(p, "An alert mail was given up on at %s.", at);
        if (err) {
            s = apr_pstrcat(p, s, " The error: ", err, NULL);
        }
    }
    else if (!strncmp(ev, "notify_", 7) && chan) {
        const char *what = ev + 7;

        s = !strcmp(what, "queued")
            ? apr_psprintf(p, "A notification about %s device%s was queued "
                           "for channel %s at %s.", n ? n : "some",
                           (n && !strcmp(n, "1")) ? "" : "s", chan, at)
            : !strcmp(what, "sent")
            ? apr_psprintf(p, "Channel %s delivered a notification at %s.",
                           chan, at)
            : !strcmp(what, "failed")
            ? apr_psprintf(p, "Channel %s failed to deliver a notification at "
                           "%s; it will be retried.", chan, at)
            : apr_psprintf(p, "Channel %s gave up on a notification at %s.",
                           chan, at);
        if (err) {
            s = apr_pstrcat(p, s, " The error: ", err, NULL);
        }
    }
    else if (who && (!strcmp(ev, "flap") || !strcmp(ev, "flap_end"))) {
        const char *st = ph_json_flat_get(p, line, "state");
        const char *ch = ph_json_flat_get(p, line, "changes");
        const char *per = ph_json_flat_get(p, line, "period");

        s = !strcmp(ev, "flap")
            ? apr_psprintf(p, "%s started flapping at %s (%s changes of "
                           "state within %s s).", who, at, ch ? ch : "?",
                           per ? per : "?")
            : apr_psprintf(p, "%s stopped flapping at %s: %s, after %s "
                           "changes of state.", who, at, st ? st : "?",
                           ch ? ch : "?");
    }
    else if (who && (!strcmp(ev, "pause") || !strcmp(ev, "resume")
                     || !strcmp(ev, "forget") || !strcmp(ev, "pause_end"))) {
        const char *by = ph_json_flat_get(p, line, "by");

        if (by && !strcmp(by, "null")) {
            by = NULL;
        }

        s = apr_psprintf(p, "%s %s at %s%s%s.", who,
                         !strcmp(ev, "pause") ? "was paused"
                         : !strcmp(ev, "resume") ? "was resumed"
                         : !strcmp(ev, "forget") ? "was forgotten"
                         : "came out of its pause", at, by ? " by " : "",
                         by ? by : "");
    }
    else {
        s = apr_psprintf(p, "%s%s%s at %s.", ev, who ? " for " : "",
                         who ? who : "", at);
    }
    return s;
}
