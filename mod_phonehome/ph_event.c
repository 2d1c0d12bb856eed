/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdio.h>
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
}

const char *ph_event_word(int kind)
{
    return kind == PH_EV_DOWN ? "Error" : "Good";
}

/* Every text field is a token without spaces ('-' when empty): names,
 * addresses and boot ids were checked when they came in. */
const char *ph_event_format(apr_pool_t *p, const ph_event_t *e)
{
    return apr_psprintf(p, PH_EVENT_TAG " %d %d %" APR_TIME_T_FMT " %s %"
                        APR_TIME_T_FMT " %" APR_TIME_T_FMT " %u %d %d %"
                        APR_INT64_T_FMT " %d %" APR_INT64_T_FMT " %s %s",
                        e->kind, e->former, e->time, e->name, e->last_seen,
                        e->gap_start, e->max_age, e->rebooted, e->has_skew,
                        e->skew, e->has_uptime, e->uptime,
                        e->remote_ip[0] ? e->remote_ip : "-",
                        e->boot_id[0] ? e->boot_id : "-");
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

const char *ph_event_parse(ph_event_t *e, const char *line)
{
    char tag[8], name[PH_NAME_MAX + 2], ip[PH_IP_MAX + 2];
    char boot[PH_BOOT_MAX + 2];
    long long tm, ls, gs, skew, up;
    int kind, former, reb, hs, hu, n = 0;
    unsigned int max_age;

    memset(e, 0, sizeof(*e));
    if (sscanf(line, "%7s %d %d %lld %64s %lld %lld %u %d %d %lld %d %lld "
               "%48s %37s%n", tag, &kind, &former, &tm, name, &ls, &gs,
               &max_age, &reb, &hs, &skew, &hu, &up, ip, boot, &n) != 15
        || line[n] != '\0' || strcmp(tag, PH_EVENT_TAG) != 0) {
        return "not an event line";
    }
    if (kind < PH_EV_DOWN || kind > PH_EV_FIRST || former < PH_STATE_UNKNOWN
        || former > PH_STATE_PAUSED || ph_name_check(name) != NULL
        || strlen(ip) > PH_IP_MAX || strlen(boot) > PH_BOOT_MAX
        || !ph_token_chars(ip, ".:-%") || !ph_token_chars(boot, "-")
        || tm < 0 || ls < 0 || gs < 0) {
        return "an event field is out of range";
    }
    e->kind = kind;
    e->former = former;
    e->time = (apr_time_t)tm;
    apr_cpystrn(e->name, name, sizeof(e->name));
    e->last_seen = (apr_time_t)ls;
    e->gap_start = (apr_time_t)gs;
    e->max_age = max_age;
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
    return NULL;
}

const char *ph_event_json(apr_pool_t *p, const ph_event_t *e,
                          const char *display)
{
    static const char *const what[] = { "none", "down", "up", "first" };

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
