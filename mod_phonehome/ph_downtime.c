/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "ph_downtime.h"
#include "ph_mail.h"

void ph_alive_format(char *out, apr_time_t at, int clean)
{
    char buf[PH_ALIVE_RECORD + 1];
    int n;

    n = apr_snprintf(buf, sizeof(buf), "%s %" APR_TIME_T_FMT,
                     clean ? "stopped" : "alive", at);
    memset(buf + n, ' ', PH_ALIVE_RECORD - (apr_size_t)n);
    buf[PH_ALIVE_RECORD - 1] = '\n';
    memcpy(out, buf, PH_ALIVE_RECORD);
}

const char *ph_alive_parse(const char *buf, apr_size_t len, ph_alive_t *a)
{
    char rec[PH_ALIVE_RECORD + 1], *end;
    const char *num;
    apr_int64_t v;

    if (len < PH_ALIVE_RECORD) {
        return "too short";
    }
    memcpy(rec, buf, PH_ALIVE_RECORD);
    rec[PH_ALIVE_RECORD] = '\0';
    if (rec[PH_ALIVE_RECORD - 1] != '\n') {
        return "not a whole record";
    }
    if (strncmp(rec, "alive ", 6) == 0) {
        a->clean = 0;
        num = rec + 6;
    }
    else if (strncmp(rec, "stopped ", 8) == 0) {
        a->clean = 1;
        num = rec + 8;
    }
    else {
        return "neither alive nor stopped";
    }
    if (*num < '0' || *num > '9' || strspn(num, "0123456789") > 18) {
        return "no time";
    }
    v = apr_strtoi64(num, &end, 10);
    if (v <= 0 || (*end != ' ' && *end != '\n')) {
        return "a bad time";
    }
    while (*end == ' ') {
        end++;
    }
    if (*end != '\n') {
        return "trailing characters";
    }
    a->at = (apr_time_t)v;
    return NULL;
}

apr_interval_time_t ph_downtime_gap(const ph_alive_t *a, apr_time_t now,
                                    apr_interval_time_t shortest)
{
    apr_interval_time_t gap = now - a->at;

    return gap > shortest && gap > 0 ? gap : 0;
}

const char *ph_downtime_format(apr_pool_t *p, const ph_downtime_t *d)
{
    return apr_psprintf(p, "v1 %" APR_INT64_T_FMT " %" APR_INT64_T_FMT
                        " %d %u %u %u", (apr_int64_t)apr_time_sec(d->stopped),
                        (apr_int64_t)apr_time_sec(d->back), d->clean ? 1 : 0,
                        d->nback, d->nsilent, d->nwaiting);
}

const char *ph_downtime_parse(const char *line, ph_downtime_t *d)
{
    long long stopped, back;
    unsigned int nback, nsilent, nwaiting;
    int clean, used = 0;

    if (strncmp(line, "v1 ", 3) != 0) {
        return "not a v1 line";
    }
    if (sscanf(line + 3, "%lld %lld %d %u %u %u%n", &stopped, &back, &clean,
               &nback, &nsilent, &nwaiting, &used) != 6
        || line[3 + used] != '\0') {
        return "not six numbers";
    }
    if (stopped <= 0 || back < stopped || (clean != 0 && clean != 1)
        || stopped > APR_INT64_MAX / APR_USEC_PER_SEC
        || back > APR_INT64_MAX / APR_USEC_PER_SEC) {
        return "numbers out of range";
    }
    d->stopped = apr_time_from_sec(stopped);
    d->back = apr_time_from_sec(back);
    d->clean = clean;
    d->nback = nback;
    d->nsilent = nsilent;
    d->nwaiting = nwaiting;
    return NULL;
}

apr_array_header_t *ph_downtimes_read(apr_pool_t *p, const char *text)
{
    apr_array_header_t *all = apr_array_make(p, PH_DOWNTIMES_KEEP,
                                             sizeof(ph_downtime_t));
    apr_array_header_t *out;
    char *buf, *line, *last;
    int i, from;

    if (text == NULL) {
        return all;
    }
    buf = apr_pstrdup(p, text);
    for (line = apr_strtok(buf, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        ph_downtime_t d;

        if (ph_downtime_parse(line, &d) == NULL) {
            *(ph_downtime_t *)apr_array_push(all) = d;
        }
    }
    if (all->nelts <= PH_DOWNTIMES_KEEP) {
        return all;
    }
    out = apr_array_make(p, PH_DOWNTIMES_KEEP, sizeof(ph_downtime_t));
    from = all->nelts - PH_DOWNTIMES_KEEP;
    for (i = from; i < all->nelts; i++) {
        *(ph_downtime_t *)apr_array_push(out)
            = APR_ARRAY_IDX(all, i, ph_downtime_t);
    }
    return out;
}

const char *ph_downtimes_add(apr_pool_t *p, const char *old,
                             const ph_downtime_t *d)
{
    apr_array_header_t *all = ph_downtimes_read(p, old);
    apr_array_header_t *lines = apr_array_make(p, PH_DOWNTIMES_KEEP + 1,
                                               sizeof(const char *));
    int i;

    for (i = all->nelts >= PH_DOWNTIMES_KEEP
             ? all->nelts - PH_DOWNTIMES_KEEP + 1 : 0; i < all->nelts; i++) {
        APR_ARRAY_PUSH(lines, const char *)
            = ph_downtime_format(p, &APR_ARRAY_IDX(all, i, ph_downtime_t));
    }
    APR_ARRAY_PUSH(lines, const char *) = ph_downtime_format(p, d);
    APR_ARRAY_PUSH(lines, const char *) = "";
    return apr_array_pstrcat(p, lines, '\n');
}

/* "2026-12-02 04:01:02 UTC": one zone for every reader of the notice. */
static const char *ph_utc(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t tm;
    char buf[64];
    apr_size_t len;

    apr_time_exp_gmt(&tm, apr_time_from_sec(apr_time_sec(t)));
    apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return apr_pstrdup(p, buf);
}

static apr_int64_t ph_gap_sec(const ph_downtime_t *d)
{
    apr_int64_t s = (apr_int64_t)apr_time_sec(d->back - d->stopped);

    return s > 0 ? s : 0;
}

const char *ph_notice_subject(apr_pool_t *p, const ph_notice_t *n)
{
    return apr_psprintf(p, "Monitor was down for %s (%s)",
                        ph_mail_duration(p, ph_gap_sec(&n->dt)), n->monitor);
}

/* "Back (3):" and the names, one a line (a long list of long display
 * names on one line would pass SMTP's 998), then "and N more". */
static const char *ph_notice_list(apr_pool_t *p, const char *label,
                                  apr_uint32_t count,
                                  const apr_array_header_t *names)
{
    int shown = names ? names->nelts : 0;
    const char *out = apr_psprintf(p, "%s (%u)%s", label, count,
                                   count ? ":" : ": none");
    int i;

    for (i = 0; i < shown && i < PH_NOTICE_NAMES; i++) {
        out = apr_pstrcat(p, out, "\n  ",
                          APR_ARRAY_IDX(names, i, const char *), NULL);
    }
    if (count > (apr_uint32_t)i) {
        out = apr_psprintf(p, "%s%sand %u more (see the status page)", out,
                           i ? "\n  " : " ", count - (apr_uint32_t)i);
    }
    return out;
}

const char *ph_notice_text(apr_pool_t *p, const ph_notice_t *n)
{
    const ph_downtime_t *d = &n->dt;

    return apr_pstrcat(p,
        n->monitor, ": the monitor itself was not running for ",
        ph_mail_duration(p, ph_gap_sec(d)), ".\n",
        "Stopped: ", ph_utc(p, d->stopped), d->clean
            ? " (a clean stop)\n"
            : " (last sign of life: it crashed or lost power)\n",
        "Back: ", ph_utc(p, d->back), "\n",
        "While it was away no device could be heard, so no alert could be "
        "sent.\n",
        ph_notice_list(p, "Back since the start", d->nback, n->back), "\n",
        ph_notice_list(p, "Still silent, now down", d->nsilent, n->silent),
        "\n",
        d->nwaiting ? apr_psprintf(p, "Not heard yet but within their "
                                   "MaxAge: %u (they alert as usual if they "
                                   "stay silent)\n", d->nwaiting) : "",
        "Devices still silent get no Error of their own: this notice is it; "
        "each sends its Good when it is back.\n",
        "- sent from mod_phonehome\n", NULL);
}

const char *ph_notice_pack(apr_pool_t *p, const char *title, const char *text)
{
    return apr_pstrcat(p, PH_NOTICE_MARK "\n", title, "\n", text, NULL);
}

int ph_notice_unpack(apr_pool_t *p, const char *message, const char **title,
                     const char **text)
{
    const char *nl;

    if (strncmp(message, PH_NOTICE_MARK "\n", sizeof(PH_NOTICE_MARK)) != 0) {
        return 0;
    }
    message += sizeof(PH_NOTICE_MARK);
    if ((nl = strchr(message, '\n')) == NULL) {
        return 0;
    }
    *title = apr_pstrmemdup(p, message, (apr_size_t)(nl - message));
    *text = apr_pstrdup(p, nl + 1);
    return 1;
}
