/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Fuzz target: a queue line.  The input is given to ph_event_parse as a
 * string.  When it is taken, the fields are in range; ph_event_format and
 * a second parse give the same fields; that line formats to itself; and
 * the event log's JSON for it is one line of safe text.
 */

#include <string.h>

#include "fuzz.h"
#include "ph_event.h"
#include "ph_name.h"

static int token(const char *s, const char *extra)
{
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || strchr(extra, *s))) {
            return 0;
        }
    }
    return 1;
}

static void check_event(const ph_event_t *e)
{
    PH_FUZZ_CHECK(e->kind >= PH_EV_DOWN && e->kind <= PH_EV_FLAP_END);
    /* The flap events' own fields: only theirs, in range. */
    PH_FUZZ_CHECK(e->kind >= PH_EV_FLAP
                  || (e->state == 0 && e->flaps == 0 && e->flap_period == 0
                      && e->since == 0));
    PH_FUZZ_CHECK(e->state >= PH_STATE_UNKNOWN && e->state <= PH_STATE_PAUSED
                  && e->since >= 0);
    PH_FUZZ_CHECK(e->former >= PH_STATE_UNKNOWN
                  && e->former <= PH_STATE_PAUSED);
    PH_FUZZ_CHECK(e->time >= 0 && e->last_seen >= 0 && e->gap_start >= 0);
    PH_FUZZ_CHECK(ph_name_check(e->name) == NULL);
    PH_FUZZ_CHECK(e->rebooted == 0 || e->rebooted == 1);
    PH_FUZZ_CHECK(e->has_skew == 0 || e->has_skew == 1);
    PH_FUZZ_CHECK(e->has_uptime == 0 || e->has_uptime == 1);
    PH_FUZZ_CHECK(strlen(e->remote_ip) <= PH_IP_MAX
                  && token(e->remote_ip, ".:-%"));
    PH_FUZZ_CHECK(strlen(e->boot_id) <= PH_BOOT_MAX
                  && token(e->boot_id, "-"));
}

static void check_same(const ph_event_t *a, const ph_event_t *b)
{
    PH_FUZZ_CHECK(b->kind == a->kind && b->former == a->former);
    PH_FUZZ_CHECK(b->time == a->time);
    PH_FUZZ_CHECK(strcmp(b->name, a->name) == 0);
    PH_FUZZ_CHECK(b->last_seen == a->last_seen);
    PH_FUZZ_CHECK(b->gap_start == a->gap_start);
    PH_FUZZ_CHECK(b->max_age == a->max_age);
    PH_FUZZ_CHECK(b->rebooted == a->rebooted);
    PH_FUZZ_CHECK(b->has_skew == a->has_skew && b->skew == a->skew);
    PH_FUZZ_CHECK(b->has_uptime == a->has_uptime && b->uptime == a->uptime);
    PH_FUZZ_CHECK(strcmp(b->remote_ip, a->remote_ip) == 0);
    PH_FUZZ_CHECK(strcmp(b->boot_id, a->boot_id) == 0);
    PH_FUZZ_CHECK(b->state == a->state && b->flaps == a->flaps
                  && b->flap_period == a->flap_period
                  && b->since == a->since);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = ph_fuzz_pool();
    ph_event_t e, back;
    const char *why, *line, *json;

    why = ph_event_parse(&e, ph_fuzz_cstr(p, data, size));
    if (why) {
        ph_fuzz_check_reason(why);
        apr_pool_destroy(p);
        return 0;
    }
    check_event(&e);

    line = ph_event_format(p, &e);
    PH_FUZZ_CHECK(!ph_fuzz_has_control(line));
    why = ph_event_parse(&back, line);
    PH_FUZZ_CHECK(why == NULL);
    check_same(&e, &back);
    PH_FUZZ_CHECK(strcmp(ph_event_format(p, &back), line) == 0);

    json = ph_event_json(p, &e, e.name);
    PH_FUZZ_CHECK(json[0] == '{' && json[strlen(json) - 1] == '}');
    PH_FUZZ_CHECK(!ph_fuzz_has_control(json) && ph_fuzz_utf8_valid(json));
    PH_FUZZ_CHECK(strcmp(ph_event_word(e.kind),
                         e.kind == PH_EV_DOWN ? "Error"
                         : e.kind == PH_EV_FLAP ? "Flapping"
                         : e.kind == PH_EV_FLAP_END ? "Stable" : "Good") == 0);
    apr_pool_destroy(p);
    return 0;
}
