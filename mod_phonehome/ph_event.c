/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_event.h"
#include "ph_name.h"
#include "ph_text.h"

#define PH_EVENT_TAG "ev1"

void ph_event_from_device(ph_event_t *e, const ph_device_t *d, int kind,
                          int former, apr_time_t now)
{
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->former = former;
    e->time = now;
    apr_cpystrn(e->name, d->name, sizeof(e->name));
    e->last_seen = d->last_seen;
    e->gap_start = d->gap_start;
    e->max_age = d->max_age;
    e->rebooted = kind == PH_EV_UP && (d->flags & PH_DEV_REBOOTED);
    e->has_skew = (d->flags & PH_DEV_HAS_CLIENT_T) != 0;
    e->skew = e->has_skew ? d->skew : 0;
    e->has_uptime = (d->flags & PH_DEV_HAS_UPTIME) != 0;
    e->uptime = e->has_uptime ? d->uptime : 0;
    apr_cpystrn(e->remote_ip, d->remote_ip, sizeof(e->remote_ip));
    apr_cpystrn(e->boot_id, d->boot_id, sizeof(e->boot_id));
    if (ph_event_is_flap(kind)) {
        e->state = d->state;
        e->flaps = d->flap_count;
        e->flap_period = d->flap_period;
        e->since = d->since;
    }
}

const char *ph_event_word(int kind)
{
    return kind == PH_EV_DOWN ? "Error" : kind == PH_EV_FLAP ? "Flapping"
         : kind == PH_EV_FLAP_END ? "Stable" : "Good";
}

int ph_event_is_flap(int kind)
{
    return kind == PH_EV_FLAP || kind == PH_EV_FLAP_END;
}

/* Every text field is a token without spaces ('-' when empty): names,
 * addresses and boot ids were checked when they came in. */
const char *ph_event_format(apr_pool_t *p, const ph_event_t *e)
{
    const char *line;

    line = apr_psprintf(p, PH_EVENT_TAG " %d %d %" APR_TIME_T_FMT " %s %"
                        APR_TIME_T_FMT " %" APR_TIME_T_FMT " %u %d %d %"
                        APR_INT64_T_FMT " %d %" APR_INT64_T_FMT " %s %s",
                        e->kind, e->former, e->time, e->name, e->last_seen,
                        e->gap_start, e->max_age, e->rebooted, e->has_skew,
                        e->skew, e->has_uptime, e->uptime,
                        e->remote_ip[0] ? e->remote_ip : "-",
                        e->boot_id[0] ? e->boot_id : "-");

    if (!ph_event_is_flap(e->kind)) {
        return line;
    }
    /* "ev2": the same fields, then the flap event's own. */
    return apr_psprintf(p, "ev2%s %d %u %u %" APR_TIME_T_FMT, line + 3,
                        e->state, e->flaps, e->flap_period, e->since);
}

static int ph_token_chars(const char *s, const char *extra)
{
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || strchr(extra, *s))) {
            return 0;
        }
    }
    return 1;
}

/* The next space-separated token of *s, at most @a max bytes, copied to
 * @a out; the line must use single spaces.  0 when there is none. */
static int ph_event_token(const char **s, char *out, apr_size_t max)
{
    const char *b = *s, *e = b;

    while (*e && *e != ' ') {
        e++;
    }
    if (e == b || (apr_size_t)(e - b) > max) {
        return 0;
    }
    memcpy(out, b, e - b);
    out[e - b] = '\0';
    *s = *e ? e + 1 : e;
    return 1;
}

/* A decimal number in [min, max] with an optional '-': no spaces, no '+',
 * nothing after it, no wrap-around. */
static int ph_event_number(const char **s, apr_int64_t min, apr_int64_t max,
                           apr_int64_t *out)
{
    char tok[24];
    const char *c;
    int neg;
    apr_uint64_t v = 0, lim;

    if (!ph_event_token(s, tok, sizeof(tok) - 1)) {
        return 0;
    }
    c = tok;
    neg = *c == '-';
    c += neg;
    if (!*c) {
        return 0;
    }
    lim = neg ? (apr_uint64_t)APR_INT64_MAX + 1 : (apr_uint64_t)APR_INT64_MAX;
    for (; *c; c++) {
        if (*c < '0' || *c > '9' || v > (lim - (apr_uint64_t)(*c - '0')) / 10) {
            return 0;
        }
        v = v * 10 + (apr_uint64_t)(*c - '0');
    }
    *out = neg ? (v == (apr_uint64_t)APR_INT64_MAX + 1 ? APR_INT64_MIN
                  : -(apr_int64_t)v) : (apr_int64_t)v;
    return *out >= min && *out <= max;
}

const char *ph_event_parse(ph_event_t *e, const char *line)
{
    char tag[8], name[PH_NAME_MAX + 1], ip[PH_IP_MAX + 1];
    char boot[PH_BOOT_MAX + 1];
    apr_int64_t kind, former, tm, ls, gs, max_age, reb, hs, skew, hu, up;
    apr_int64_t st = 0, flaps = 0, period = 0, since = 0;
    const char *s = line;
    int v2;

    memset(e, 0, sizeof(*e));
    if (!ph_event_token(&s, tag, sizeof(tag) - 1)
        || (strcmp(tag, PH_EVENT_TAG) != 0 && strcmp(tag, "ev2") != 0)) {
        return "not an event line";
    }
    v2 = tag[2] == '2';
    if (!ph_event_number(&s, PH_EV_DOWN, v2 ? PH_EV_FLAP_END : PH_EV_FIRST,
                         &kind)
        || (v2 && !ph_event_is_flap((int)kind))
        || !ph_event_number(&s, PH_STATE_UNKNOWN, PH_STATE_PAUSED, &former)
        || !ph_event_number(&s, 0, APR_INT64_MAX, &tm)
        || !ph_event_token(&s, name, sizeof(name) - 1)
        || ph_name_check(name) != NULL
        || !ph_event_number(&s, 0, APR_INT64_MAX, &ls)
        || !ph_event_number(&s, 0, APR_INT64_MAX, &gs)
        || !ph_event_number(&s, 0, APR_UINT32_MAX, &max_age)
        || !ph_event_number(&s, 0, 1, &reb)
        || !ph_event_number(&s, 0, 1, &hs)
        || !ph_event_number(&s, APR_INT64_MIN, APR_INT64_MAX, &skew)
        || !ph_event_number(&s, 0, 1, &hu)
        || !ph_event_number(&s, APR_INT64_MIN, APR_INT64_MAX, &up)
        || !ph_event_token(&s, ip, sizeof(ip) - 1)
        || !ph_token_chars(ip, ".:-%")
        || !ph_event_token(&s, boot, sizeof(boot) - 1)
        || !ph_token_chars(boot, "-")
        || (v2 && (!ph_event_number(&s, PH_STATE_UNKNOWN, PH_STATE_PAUSED,
                                    &st)
                   || !ph_event_number(&s, 0, APR_UINT32_MAX, &flaps)
                   || !ph_event_number(&s, 0, APR_UINT32_MAX, &period)
                   || !ph_event_number(&s, 0, APR_INT64_MAX, &since)))
        || *s != '\0' || s[-1] == ' ') {
        return "an event field is out of range";
    }
    e->kind = (int)kind;
    e->former = (int)former;
    e->time = (apr_time_t)tm;
    apr_cpystrn(e->name, name, sizeof(e->name));
    e->last_seen = (apr_time_t)ls;
    e->gap_start = (apr_time_t)gs;
    e->max_age = (apr_uint32_t)max_age;
    e->rebooted = reb != 0;
    e->has_skew = hs != 0;
    e->skew = skew;
    e->has_uptime = hu != 0;
    e->uptime = up;
    if (strcmp(ip, "-") != 0) {
        apr_cpystrn(e->remote_ip, ip, sizeof(e->remote_ip));
    }
    if (strcmp(boot, "-") != 0) {
        apr_cpystrn(e->boot_id, boot, sizeof(e->boot_id));
    }
    e->state = (int)st;
    e->flaps = (apr_uint32_t)flaps;
    e->flap_period = (apr_uint32_t)period;
    e->since = (apr_time_t)since;
    return NULL;
}

const char *ph_event_json(apr_pool_t *p, const ph_event_t *e,
                          const char *display)
{
    static const char *const what[] = { "none", "down", "up", "first" };

    if (ph_event_is_flap(e->kind)) {
        return apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT ",\"event\":"
                            "\"%s\",\"device\":%s,\"display\":%s,"
                            "\"state\":\"%s\",\"since\":%" APR_INT64_T_FMT
                            ",\"changes\":%u,\"period\":%u}",
                            (apr_int64_t)apr_time_sec(e->time),
                            e->kind == PH_EV_FLAP ? "flap" : "flap_end",
                            ph_text_json(p, e->name),
                            ph_text_json(p, display),
                            ph_state_name(e->state),
                            (apr_int64_t)apr_time_sec(e->since), e->flaps,
                            e->flap_period);
    }
    return apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT ",\"event\":\"%s\","
                        "\"device\":%s,\"display\":%s,\"state\":\"%s\","
                        "\"former\":\"%s\",\"last_seen\":%s,"
                        "\"remote_ip\":%s,\"rebooted\":%s}",
                        (apr_int64_t)apr_time_sec(e->time), what[e->kind & 3],
                        ph_text_json(p, e->name), ph_text_json(p, display),
                        e->kind == PH_EV_DOWN ? "down" : "up",
                        ph_state_name(e->former),
                        e->last_seen ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)apr_time_sec(e->last_seen)) : "null",
                        ph_text_json(p, e->remote_ip),
                        e->rebooted ? "true" : "false");
}
