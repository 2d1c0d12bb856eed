/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>
#include <time.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "ph_mail.h"

/* Like date(1): "Fri Feb  8 10:55:01 EST 2013", in the server's zone. */
static const char *ph_mail_date1(apr_pool_t *p, apr_time_t t)
{
    time_t secs = (time_t)apr_time_sec(t);
    struct tm tm;
    char buf[64];

    localtime_r(&secs, &tm);
    strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Z %Y", &tm);
    return apr_pstrdup(p, buf);
}

/* RFC 5322: "Wed, 25 Nov 2026 07:48:09 +0000"; C locale names. */
static const char *ph_mail_date5322(apr_pool_t *p, apr_time_t t)
{
    static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
                                       "Fri", "Sat" };
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
                                       "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec" };
    time_t secs = (time_t)apr_time_sec(t);
    struct tm tm;
    long off;

    localtime_r(&secs, &tm);
    off = tm.tm_gmtoff / 60;
    return apr_psprintf(p, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
                        day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
                        tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
                        (off < 0 ? -off : off) % 60);
}

const char *ph_mail_duration(apr_pool_t *p, apr_int64_t s)
{
    if (s < 0) {
        s = 0;
    }
    if (s < 60) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT " s", s);
    }
    if (s < 3600) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT " min %" APR_INT64_T_FMT
                            " s", s / 60, s % 60);
    }
    if (s < 86400) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT " h %" APR_INT64_T_FMT
                            " min", s / 3600, (s % 3600) / 60);
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT " d %" APR_INT64_T_FMT " h",
                        s / 86400, (s % 86400) / 3600);
}

const char *ph_mail_encode_header(apr_pool_t *p, const char *value)
{
    const unsigned char *s;
    apr_array_header_t *words;
    apr_size_t len = strlen(value), at = 0;

    for (s = (const unsigned char *)value; *s; s++) {
        if (*s < 0x20 || *s > 0x7E) {
            break;
        }
    }
    if (*s == '\0' && len <= 900) {
        return value;
    }
    /* Encoded words of at most 39 bytes of text (52 of base64, 64 with
     * the wrapper, 73 after "Subject: ": RFC 2047 allows 76 a line),
     * split only between UTF-8 characters, folded. */
    words = apr_array_make(p, 4, sizeof(char *));
    while (at < len) {
        apr_size_t n = len - at > 39 ? 39 : len - at;
        char *b64;

        while (n > 1 && at + n < len
               && ((unsigned char)value[at + n] & 0xC0) == 0x80) {
            n--;
        }
        b64 = apr_palloc(p, apr_base64_encode_len((int)n));
        apr_base64_encode(b64, value + at, (int)n);
        APR_ARRAY_PUSH(words, char *) = apr_pstrcat(p, words->nelts ? "\r\n "
                                                    : "", "=?UTF-8?B?", b64,
                                                    "?=", NULL);
        at += n;
    }
    return apr_array_pstrcat(p, words, 0);
}

/* How much of a line of @a n bytes goes on one line of mail: all of it
 * when it fits in SMTP's 998, else up to the last space that fits, else
 * up to the last UTF-8 character boundary that fits. */
static apr_size_t ph_line_cut(const char *l, apr_size_t n)
{
    apr_size_t cut = PH_MAIL_LINE_MAX;

    if (n <= PH_MAIL_LINE_MAX) {
        return n;
    }
    while (cut > PH_MAIL_LINE_MAX / 2 && l[cut] != ' ') {
        cut--;
    }
    if (l[cut] != ' ') {
        cut = PH_MAIL_LINE_MAX;
        while (cut > 1 && ((unsigned char)l[cut] & 0xC0) == 0x80) {
            cut--;
        }
    }
    return cut;
}

/* Lines joined with CRLF, the last one ended too.  A line longer than
 * SMTP allows (RFC 5321 4.5.3.1.6: 998 bytes and CRLF) is broken into
 * several, so that no composed mail has a line a server must refuse or
 * cut; a space at a break is dropped. */
static const char *ph_join_crlf(apr_pool_t *p, const apr_array_header_t *lines)
{
    apr_size_t len = 0, at = 0;
    char *out;
    int i;

    for (i = 0; i < lines->nelts; i++) {
        apr_size_t n = strlen(APR_ARRAY_IDX(lines, i, const char *));

        len += n + 2 + 2 * (n / (PH_MAIL_LINE_MAX / 2));
    }
    out = apr_palloc(p, len + 1);
    for (i = 0; i < lines->nelts; i++) {
        const char *l = APR_ARRAY_IDX(lines, i, const char *);
        apr_size_t n = strlen(l);

        for (;;) {
            apr_size_t cut = ph_line_cut(l, n);

            memcpy(out + at, l, cut);
            memcpy(out + at + cut, "\r\n", 2);
            at += cut + 2;
            if (cut == n) {
                break;
            }
            l += cut;
            n -= cut;
            if (*l == ' ') {
                l++;
                n--;
            }
        }
    }
    out[at] = '\0';
    return out;
}

const char *ph_mail_subject(apr_pool_t *p, const ph_mail_t *m)
{
    const char *word = ph_event_word(m->events[0]->kind);

    if (m->parts > 1) {
        return apr_psprintf(p, "%s : %d devices (%s), part %d of %d", word,
                            m->total, m->monitor, m->part, m->parts);
    }
    if (m->n == 1 && m->total <= 1) {
        return apr_psprintf(p, "%s : %s", word, m->displays[0]);
    }
    return apr_psprintf(p, "%s : %d devices (%s)", word,
                        m->total > m->n ? m->total : m->n, m->monitor);
}

const char *ph_mail_info(apr_pool_t *p, const ph_event_t *e)
{
    apr_int64_t ago = (apr_int64_t)apr_time_sec(e->time - e->last_seen);

    switch (e->kind) {
    case PH_EV_DOWN:
        if (e->last_seen == 0) {
            return "No call since the server started";
        }
        return apr_psprintf(p, "Last call was %" APR_INT64_T_FMT
                            " seconds ago", ago);
    case PH_EV_UP:
        if (e->gap_start == 0) {
            /* Declared, reported down, and now heard from for the first
             * time: there is no earlier call to measure the outage from. */
            return "Service restored: the first call from this device";
        }
        return apr_psprintf(p, "Service restored after %s without a call%s",
                            ph_mail_duration(p, (apr_int64_t)apr_time_sec(
                                e->last_seen - e->gap_start)),
                            e->rebooted ? "; the device restarted (power "
                                          "loss?)" : "");
    case PH_EV_FLAP:
        return apr_psprintf(p, "Changed state %u times within %s (now %s); "
                            "no Error or Good is sent for it until it has "
                            "been stable for %s", e->flaps,
                            ph_mail_duration(p, e->flap_period),
                            ph_state_name(e->state),
                            ph_mail_duration(p, e->flap_period));
    case PH_EV_FLAP_END:
        return apr_psprintf(p, "Stable for %s after %u changes of state; "
                            "Error and Good are sent for it again",
                            ph_mail_duration(p, e->flap_period), e->flaps);
    default:
        return "First call from this device";
    }
}

const char *ph_mail_headline(apr_pool_t *p, const char *display,
                             const ph_event_t *e)
{
    if (e->kind == PH_EV_FLAP) {
        return apr_psprintf(p, "%s is flapping: %u changes of state within "
                            "%s", display, e->flaps,
                            ph_mail_duration(p, e->flap_period));
    }
    if (e->kind == PH_EV_FLAP_END) {
        return apr_psprintf(p, "%s stopped flapping: %s since %s", display,
                            ph_state_name(e->state),
                            ph_mail_date1(p, e->since));
    }
    return apr_psprintf(p, "%s is now in state: %s", display,
                        ph_event_word(e->kind));
}

/* What we know beyond the seed's lines, one fact a line. */
static void ph_mail_facts(apr_array_header_t *out, apr_pool_t *p,
                          const ph_event_t *e, const char *indent)
{
    char date[APR_RFC822_DATE_LEN];

#define PH_FACT(...) \
    (APR_ARRAY_PUSH(out, const char *) = apr_pstrcat(p, indent, \
        apr_psprintf(p, __VA_ARGS__), NULL))

    PH_FACT("Device: %s", e->name);
    if (e->last_seen) {
        apr_rfc822_date(date, e->last_seen);
        PH_FACT("Last call: %s (%s ago)", date, ph_mail_duration(p,
                (apr_int64_t)apr_time_sec(e->time - e->last_seen)));
    }
    else {
        PH_FACT("Last call: never");
    }
    if (e->remote_ip[0]) {
        PH_FACT("Last IP: %s", e->remote_ip);
    }
    if (e->kind == PH_EV_UP && e->gap_start) {
        PH_FACT("Outage: %s (from the last call before it to the first "
                "after it)", ph_mail_duration(p, (apr_int64_t)apr_time_sec(
                e->last_seen - e->gap_start)));
        PH_FACT("Reboot: %s", e->rebooted
                ? "yes, a new boot id: the device lost power or was restarted"
                : "no, same boot id (or none sent): the network was out");
    }
    if (e->boot_id[0]) {
        PH_FACT("Boot id: %s", e->boot_id);
    }
    if (e->has_uptime) {
        PH_FACT("Uptime: %s", ph_mail_duration(p, e->uptime));
    }
    if (e->has_skew) {
        PH_FACT("Clock skew: %+" APR_INT64_T_FMT " s (device minus server)",
                e->skew);
    }
    PH_FACT("MaxAge: %u s", e->max_age);
#undef PH_FACT
}

/* "a@x, b@y", folded so that no line grows past 78 characters. */
static const char *ph_mail_to(apr_pool_t *p, const apr_array_header_t *to)
{
    const char *out = "";
    apr_size_t col = 4;
    int i;

    for (i = 0; i < to->nelts; i++) {
        const char *a = APR_ARRAY_IDX(to, i, const char *);
        apr_size_t comma = i + 1 < to->nelts;   /* the one after it */

        if (i > 0) {
            if (col + 2 + strlen(a) + comma > 78) {
                out = apr_pstrcat(p, out, ",\r\n ", NULL);
                col = 1;
            }
            else {
                out = apr_pstrcat(p, out, ", ", NULL);
                col += 2;
            }
        }
        out = apr_pstrcat(p, out, a, NULL);
        col += strlen(a);
    }
    return out;
}

#define PH_LINE(s) (APR_ARRAY_PUSH(lines, const char *) = (s))

/* The header block and the blank line after it. */
static void ph_mail_head(apr_array_header_t *lines, apr_pool_t *p,
                         const ph_mail_t *m, const char *subject)
{
    const char *domain = strrchr(m->from, '@');

    PH_LINE(apr_pstrcat(p, "Date: ", ph_mail_date5322(p, m->now), NULL));
    PH_LINE(apr_psprintf(p, "Message-ID: <%s.phonehome@%s>", m->msgid,
                         domain ? domain + 1 : "localhost"));
    PH_LINE(apr_pstrcat(p, "From: ", m->from, NULL));
    PH_LINE(apr_pstrcat(p, "To: ", ph_mail_to(p, m->to), NULL));
    PH_LINE(apr_pstrcat(p, "Subject: ", ph_mail_encode_header(p, subject),
                        NULL));
    PH_LINE("MIME-Version: 1.0");
    PH_LINE("Content-Type: text/plain; charset=UTF-8");
    PH_LINE("Content-Transfer-Encoding: 8bit");
    PH_LINE("Auto-Submitted: auto-generated");
    PH_LINE("X-Mailer: mod_phonehome");
    PH_LINE("");
}

const char *ph_mail_folded_subject(apr_pool_t *p, const char *monitor,
                                   unsigned int folded)
{
    return apr_psprintf(p, "%s: %u alert%s of undeclared devices held back",
                        monitor, folded, folded == 1 ? "" : "s");
}

const char *ph_mail_folded(apr_pool_t *p, const ph_mail_t *m,
                           unsigned int folded, unsigned int cap)
{
    apr_array_header_t *lines = apr_array_make(p, 16, sizeof(const char *));

    ph_mail_head(lines, p, m, ph_mail_folded_subject(p, m->monitor, folded));
    PH_LINE(apr_psprintf(p, "%u alert%s of devices that are not declared "
                         "%s not sent in the last hour.", folded,
                         folded == 1 ? "" : "s", folded == 1 ? "was" : "were"));
    PH_LINE(apr_pstrcat(p, "Time: ", ph_mail_date1(p, m->now), NULL));
    PH_LINE("- sent from mod_phonehome");
    PH_LINE("");
    PH_LINE(apr_psprintf(p, "Devices that are not declared may alert at most "
                         "%u times an hour, so that whoever can reach the "
                         "beat Location cannot flood this mailbox with names "
                         "of their own.", cap));
    PH_LINE("Declared devices always alert: declare the devices you want to "
            "hear from with PhoneHomeDevice.");
    PH_LINE("Their states are on the status page.");
    return ph_join_crlf(p, lines);
}

/* A part's line for device @a i: its names and the seed's info, short. */
static const char *ph_mail_part_line(apr_pool_t *p, const ph_mail_t *m,
                                     int i)
{
    const ph_event_t *e = m->events[i];
    const char *who = strcmp(m->displays[i], e->name)
                      ? apr_pstrcat(p, m->displays[i], " (", e->name, ")",
                                    NULL)
                      : e->name;

    return apr_pstrcat(p, who, ": ", ph_mail_info(p, e),
                       e->remote_ip[0] ? "; last IP " : "", e->remote_ip,
                       NULL);
}

/* A part's head and first lines, before its device lines. */
static void ph_mail_part_intro(apr_array_header_t *lines, apr_pool_t *p,
                               const ph_mail_t *m)
{
    ph_mail_head(lines, p, m, ph_mail_subject(p, m));
    PH_LINE(apr_psprintf(p, "%s: %d devices are now in state: %s",
                         m->monitor, m->total,
                         ph_event_word(m->events[0]->kind)));
    if (m->parts > 1) {
        PH_LINE(apr_psprintf(p, "This is part %d of %d: devices %d to %d of "
                             "them, one a line (the status page lists them "
                             "all)", m->part, m->parts, m->first + 1,
                             m->first + m->n));
    }
    else {
        PH_LINE("They are listed one a line (the status page has more on "
                "each)");
    }
    PH_LINE(apr_pstrcat(p, "Time: ", ph_mail_date1(p, m->now), NULL));
    PH_LINE("- sent from mod_phonehome");
    PH_LINE("");
}

/* A device's line in a part, CRLF included. */
static apr_size_t ph_mail_part_len(apr_pool_t *p, const ph_mail_t *m, int i)
{
    return strlen(ph_mail_part_line(p, m, i)) + 2;
}

int ph_mail_split(apr_pool_t *p, const ph_mail_t *m, apr_size_t max,
                  ph_mail_t **parts)
{
    apr_array_header_t *lines = apr_array_make(p, 16, sizeof(const char *));
    apr_size_t head = 0;
    ph_mail_t probe;
    int i;

    /* A device's block in the whole form is well over 100 bytes (its
     * state, info, Device, Last call and MaxAge lines): more devices than
     * max / 100 never fit, and are never composed whole. */
    if (m->n <= 1 || ((apr_size_t)m->n <= max / 100
                      && strlen(ph_mail_compose(p, m)) <= max)) {
        *parts = apr_pmemdup(p, m, sizeof(*m));
        return 1;
    }
    /* The longest head a part can have: every number as wide as the
     * total; then one line per device, CRLF each. */
    probe = *m;
    probe.total = probe.part = probe.parts = m->n;
    probe.first = m->n - 1;
    probe.n = 1;
    probe.msgid = apr_psprintf(p, "%s.%d", m->msgid, m->n);
    ph_mail_part_intro(lines, p, &probe);
    for (i = 0; i < lines->nelts; i++) {
        head += strlen(APR_ARRAY_IDX(lines, i, const char *)) + 2;
    }
    return ph_mail_parts(p, m, head, max, ph_mail_part_len, 1, parts);
}

int ph_mail_parts(apr_pool_t *p, const ph_mail_t *m, apr_size_t head,
                  apr_size_t max, ph_mail_len_fn *len_of, int msgids,
                  ph_mail_t **parts)
{
    apr_size_t *len, used;
    ph_mail_t *out;
    apr_pool_t *tmp;
    int i, n, start;

    len = apr_palloc(p, sizeof(*len) * m->n);
    apr_pool_create(&tmp, p);
    for (i = 0; i < m->n; i++) {
        len[i] = len_of(tmp, m, i);
        if (i % 1024 == 1023) {
            apr_pool_clear(tmp);
        }
    }
    apr_pool_destroy(tmp);
    /* Greedy: as many devices as fit; the count is known at the end. */
    out = apr_pcalloc(p, sizeof(*out) * m->n);
    for (n = 0, start = 0; start < m->n; n++) {
        used = head + len[start];
        for (i = start + 1; i < m->n && used + len[i] <= max; i++) {
            used += len[i];
        }
        out[n] = *m;
        out[n].total = m->n;
        out[n].first = start;
        out[n].n = i - start;
        out[n].events = m->events + start;
        out[n].displays = m->displays + start;
        out[n].part = n + 1;
        if (msgids) {
            out[n].msgid = apr_psprintf(p, "%s.%d", m->msgid, n + 1);
        }
        start = i;
    }
    for (i = 0; i < n; i++) {
        out[i].parts = n;
    }
    *parts = out;
    return n;
}

const char *ph_mail_notice(apr_pool_t *p, const ph_mail_t *m,
                           const char *subject, const char *text)
{
    apr_array_header_t *lines = apr_array_make(p, 32, sizeof(const char *));
    char *buf = apr_pstrdup(p, text), *line, *last;

    ph_mail_head(lines, p, m, subject);
    for (line = apr_strtok(buf, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        PH_LINE(line);
    }
    return ph_join_crlf(p, lines);
}

const char *ph_mail_compose(apr_pool_t *p, const ph_mail_t *m)
{
    apr_array_header_t *lines = apr_array_make(p, 32, sizeof(const char *));
    const char *word = ph_event_word(m->events[0]->kind);
    int i;

    /* A split digest (ph_mail_split), even of one part: its whole form
     * did not fit, so one line a device. */
    if (m->parts >= 1) {
        ph_mail_part_intro(lines, p, m);
        for (i = 0; i < m->n; i++) {
            PH_LINE(ph_mail_part_line(p, m, i));
        }
        return ph_join_crlf(p, lines);
    }
    ph_mail_head(lines, p, m, ph_mail_subject(p, m));

    if (m->n == 1) {
        const ph_event_t *e = m->events[0];

        PH_LINE(ph_mail_headline(p, m->displays[0], e));
        PH_LINE(apr_pstrcat(p, "Time: ", ph_mail_date1(p, e->time), NULL));
        PH_LINE(ph_event_is_flap(e->kind)
                ? apr_pstrcat(p, "State now: ",
                              ph_state_mail_word(e->state), NULL)
                : apr_pstrcat(p, "Former state was ",
                              ph_state_mail_word(e->former), NULL));
        PH_LINE(apr_pstrcat(p, "Additional info: ", ph_mail_info(p, e),
                            NULL));
        PH_LINE("- sent from mod_phonehome");
        PH_LINE("");
        ph_mail_facts(lines, p, e, "");
    }
    else {
        PH_LINE(apr_psprintf(p, "%s: %d devices are now in state: %s",
                             m->monitor, m->n, word));
        PH_LINE(apr_pstrcat(p, "Time: ", ph_mail_date1(p, m->now), NULL));
        PH_LINE("- sent from mod_phonehome");
        for (i = 0; i < m->n; i++) {
            const ph_event_t *e = m->events[i];

            PH_LINE("");
            PH_LINE(ph_event_is_flap(e->kind)
                    ? ph_mail_headline(p, m->displays[i], e)
                    : apr_psprintf(p, "%s is now in state: %s (former state "
                                   "was %s)", m->displays[i], word,
                                   ph_state_mail_word(e->former)));
            PH_LINE(apr_pstrcat(p, "  Additional info: ", ph_mail_info(p, e),
                                NULL));
            ph_mail_facts(lines, p, e, "  ");
        }
    }
#undef PH_LINE
    return ph_join_crlf(p, lines);
}
