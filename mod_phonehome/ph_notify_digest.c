/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * A digest on a channel: the webhook's JSON document, and a digest too big
 * for one message made into what a channel of each kind sends (parts for
 * the webhook, one summary for the push kinds).  Nothing here does I/O.
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_notify.h"
#include "ph_notify_digest.h"
#include "ph_text.h"

static const char *ph_num_or_null(apr_pool_t *p, int known, apr_int64_t v)
{
    return known ? apr_psprintf(p, "%" APR_INT64_T_FMT, v) : "null";
}

static const char *ph_event_name(int kind)
{
    return kind == PH_EV_DOWN ? "down" : kind == PH_EV_UP ? "up"
         : kind == PH_EV_FLAP ? "flap" : kind == PH_EV_FLAP_END ? "flap_end"
         : "first";
}

/* The state a message of @a e tells: a flap event's is the device's. */
static const char *ph_event_state(const ph_event_t *e)
{
    if (ph_event_is_flap(e->kind)) {
        return ph_state_name(e->state);
    }
    return e->kind == PH_EV_DOWN ? "down" : "up";
}

/* The webhook document's entry for device @a i, with its comma. */
static const char *ph_json_device(apr_pool_t *p, const ph_mail_t *m, int i)
{
    const ph_event_t *e = m->events[i];
    int outage = e->kind == PH_EV_UP && e->gap_start && e->last_seen;

    return apr_psprintf(p,
        "%s{\"device\":%s,\"display\":%s,\"state\":\"%s\","
        "\"former\":\"%s\",\"time\":%" APR_INT64_T_FMT ","
        "\"last_seen\":%s,\"outage\":%s,\"rebooted\":%s,"
        "\"remote_ip\":%s,\"boot_id\":%s,\"uptime\":%s,\"skew\":%s,"
        "\"max_age\":%u,\"info\":%s}",
        i ? "," : "", ph_text_json(p, e->name),
        ph_text_json(p, m->displays[i]),
        ph_event_state(e), ph_state_name(e->former),
        (apr_int64_t)apr_time_sec(e->time),
        ph_num_or_null(p, e->last_seen != 0,
                       (apr_int64_t)apr_time_sec(e->last_seen)),
        ph_num_or_null(p, outage, (apr_int64_t)apr_time_sec(
                           e->last_seen - e->gap_start)),
        e->rebooted ? "true" : "false",
        e->remote_ip[0] ? ph_text_json(p, e->remote_ip) : "null",
        e->boot_id[0] ? ph_text_json(p, e->boot_id) : "null",
        ph_num_or_null(p, e->has_uptime, e->uptime),
        ph_num_or_null(p, e->has_skew, e->skew),
        e->max_age, ph_text_json(p, ph_mail_info(p, e)));
}

const char *ph_notify_json(apr_pool_t *p, const ph_mail_t *m, const char *id)
{
    apr_array_header_t *devs = apr_array_make(p, m->n, sizeof(char *));
    const char *title, *text = ph_notify_text(p, m, &title);
    int i;

    if (m->n == 0) {
        /* A notice about the monitor itself (ph_downtime.h). */
        return apr_psprintf(p, "{\"version\":1,\"id\":%s,\"event\":"
                            "\"monitor_downtime\",\"title\":%s,\"text\":%s,"
                            "\"monitor\":%s,\"time\":%" APR_INT64_T_FMT ","
                            "\"count\":0,\"devices\":[]}",
                            ph_text_json(p, id), ph_text_json(p, title),
                            ph_text_json(p, text), ph_text_json(p, m->monitor),
                            (apr_int64_t)apr_time_sec(m->now));
    }
    for (i = 0; i < m->n; i++) {
        APR_ARRAY_PUSH(devs, const char *) = ph_json_device(p, m, i);
    }
    return apr_psprintf(p, "{\"version\":1,\"id\":%s,\"event\":\"%s\","
                        "\"state\":\"%s\",\"word\":\"%s\",\"title\":%s,"
                        "\"text\":%s,\"monitor\":%s,\"time\":%"
                        APR_INT64_T_FMT ",\"count\":%d,\"total\":%d,"
                        "\"part\":%d,\"parts\":%d,\"devices\":[%s]}",
                        ph_text_json(p, id),
                        ph_event_name(m->events[0]->kind),
                        ph_event_state(m->events[0]),
                        ph_event_word(m->events[0]->kind),
                        ph_text_json(p, title), ph_text_json(p, text),
                        ph_text_json(p, m->monitor),
                        (apr_int64_t)apr_time_sec(m->now), m->n,
                        m->total > m->n ? m->total : m->n,
                        m->parts > 1 ? m->part : 1,
                        m->parts > 1 ? m->parts : 1,
                        apr_array_pstrcat(p, devs, 0));
}

/* A device's entry in a document, counted with a comma (the digest's first
 * entry has none: a byte is added for it), wherever a part puts it. */
static apr_size_t ph_json_device_len(apr_pool_t *p, const ph_mail_t *m,
                                     int i)
{
    return strlen(ph_json_device(p, m, i)) + (i == 0);
}

int ph_notify_split(apr_pool_t *p, int kind, const ph_mail_t *m,
                    apr_size_t max, ph_mail_t **parts)
{
    const char *id = apr_psprintf(p, "%s.%d", m->msgid ? m->msgid : "",
                                  m->n);
    apr_size_t head;
    ph_mail_t probe, *out;

    out = apr_pmemdup(p, m, sizeof(*m));
    *parts = out;
    if (kind != PH_NOTIFY_WEBHOOK) {
        if (m->n > PH_NOTIFY_SUMMARY_KEEP) {
            out->total = m->n;
            out->n = PH_NOTIFY_SUMMARY_KEEP;
        }
        return 1;
    }
    /* A device's entry is well over 100 bytes: more devices than max /
     * 100 never fit, and are never put in one document. */
    if (m->n <= 1 || ((apr_size_t)m->n <= max / 100
                      && strlen(ph_notify_json(p, m, id)) <= max)) {
        return 1;
    }
    /* The longest head: numbers as wide as the total, and a text of the
     * most it may hold, every byte escaped as \u00XX; then the devices. */
    probe = *m;
    probe.total = probe.part = probe.parts = m->n;
    probe.n = 1;
    head = strlen(ph_notify_json(p, &probe, id))
           - strlen(ph_json_device(p, m, 0)) + 6 * PH_NOTIFY_TEXT_MAX;
    return ph_mail_parts(p, m, head, max, ph_json_device_len, 0, parts);
}

