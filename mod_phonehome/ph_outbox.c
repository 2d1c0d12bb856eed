/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ph_conf.h"
#include "ph_notify.h"
#include "ph_outbox.h"
#include "ph_text.h"

#define PH_OUTBOX_MAGIC "PHMAIL 1"

const char *ph_outbox_format(apr_pool_t *p, const ph_outbox_item_t *item,
                             apr_size_t *len)
{
    const char *head;
    const char *out;
    int i;

    head = apr_psprintf(p, PH_OUTBOX_MAGIC "\ncreated %" APR_TIME_T_FMT
                        "\nattempts %u\nnext %" APR_TIME_T_FMT "\nsubject %s\n",
                        item->created, item->attempts, item->next,
                        ph_text_oneline(p, item->subject));
    if (item->error) {
        head = apr_pstrcat(p, head, "error ", ph_text_oneline(p, item->error),
                           "\n", NULL);
    }
    if (item->channel) {
        head = apr_pstrcat(p, head, "channel ", item->channel, "\n", NULL);
    }
    if (item->total > 0) {
        head = apr_psprintf(p, "%stotal %d\n", head, item->total);
    }
    if (item->parts > 1) {
        head = apr_psprintf(p, "%spart %d of %d\n", head, item->part,
                            item->parts);
    }
    for (i = 0; item->rcpt && i < item->rcpt->nelts; i++) {
        head = apr_pstrcat(p, head, "rcpt ",
                           APR_ARRAY_IDX(item->rcpt, i, const char *), "\n",
                           NULL);
    }
    out = apr_pstrcat(p, head, "\n", item->message, NULL);
    *len = strlen(out);
    return out;
}

static int ph_parse_time(const char *s, apr_time_t *t)
{
    char *end;
    long long v;

    if (*s < '0' || *s > '9') {
        return 0;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || v < 0 || errno == ERANGE) {
        return 0;
    }
    *t = (apr_time_t)v;
    return 1;
}

const char *ph_outbox_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                            ph_outbox_item_t *item)
{
    const char *at = buf, *end = buf + len;
    int have_created = 0;

    memset(item, 0, sizeof(*item));
    item->rcpt = apr_array_make(p, 2, sizeof(const char *));
    if (memchr(buf, '\0', len)) {
        return "contains a NUL byte";
    }
    if (len <= strlen(PH_OUTBOX_MAGIC) + 1
        || strncmp(buf, PH_OUTBOX_MAGIC "\n", strlen(PH_OUTBOX_MAGIC) + 1)) {
        return "not an outbox file";
    }
    at += strlen(PH_OUTBOX_MAGIC) + 1;
    for (;;) {
        const char *nl = memchr(at, '\n', (apr_size_t)(end - at));
        char *line, *val;

        if (nl == NULL) {
            return "ends before the message";
        }
        line = apr_pstrmemdup(p, at, (apr_size_t)(nl - at));
        at = nl + 1;
        if (line == NULL || *line == '\0') {
            break;
        }
        val = strchr(line, ' ');
        if (val == NULL) {
            return "a header line without a value";
        }
        *val++ = '\0';
        if (!strcmp(line, "created")) {
            if (!ph_parse_time(val, &item->created)) {
                return "bad 'created'";
            }
            have_created = 1;
        }
        else if (!strcmp(line, "next")) {
            if (!ph_parse_time(val, &item->next)) {
                return "bad 'next'";
            }
        }
        else if (!strcmp(line, "attempts")) {
            apr_uint32_t n;

            if (ph_conf_seconds(p, val, 0, 1000000, &n) != NULL) {
                return "bad 'attempts'";
            }
            item->attempts = n;
        }
        else if (!strcmp(line, "subject")) {
            item->subject = val;
        }
        else if (!strcmp(line, "error")) {
            item->error = val;
        }
        else if (!strcmp(line, "channel")) {
            if (item->channel || ph_notify_name_check(val) != NULL) {
                return "bad 'channel'";
            }
            item->channel = val;
        }
        else if (!strcmp(line, "total")) {
            apr_uint32_t n;

            if (ph_conf_seconds(p, val, 1, 100000000, &n) != NULL) {
                return "bad 'total'";
            }
            item->total = (int)n;
        }
        else if (!strcmp(line, "part")) {
            int a, b, end = 0;

            if (sscanf(val, "%d of %d%n", &a, &b, &end) != 2
                || val[end] != '\0' || a < 1 || b < 2 || a > b
                || b > 100000000) {
                return "bad 'part'";
            }
            item->part = a;
            item->parts = b;
        }
        else if (!strcmp(line, "rcpt")) {
            if (ph_conf_address(p, val) != NULL) {
                return "bad 'rcpt'";
            }
            APR_ARRAY_PUSH(item->rcpt, const char *) = val;
        }
        /* Unknown keys: a newer writer; ignore. */
    }
    if (!have_created || (item->rcpt->nelts == 0 && !item->channel)
        || at >= end) {
        return "incomplete";
    }
    if (item->rcpt->nelts && item->channel) {
        return "both recipients and a channel";
    }
    if (item->subject == NULL) {
        item->subject = "";
    }
    item->message = apr_pstrmemdup(p, at, (apr_size_t)(end - at));
    return NULL;
}

apr_interval_time_t ph_outbox_backoff(unsigned int attempts,
                                      apr_interval_time_t cap)
{
    apr_interval_time_t wait = apr_time_from_sec(5);

    while (attempts-- > 1 && wait < cap) {
        wait *= 2;
    }
    return wait < cap ? wait : cap;
}

int ph_queue_due(const apr_array_header_t *names, apr_time_t now,
                 apr_interval_time_t window)
{
    int i;

    for (i = 0; i < names->nelts; i++) {
        apr_time_t stamp = (apr_time_t)apr_atoi64(APR_ARRAY_IDX(names, i,
                                                                const char *));

        if (stamp > now || now - stamp >= window) {
            return 1;
        }
    }
    return 0;
}

int ph_outbox_due(apr_time_t next, apr_time_t now, apr_interval_time_t cap)
{
    return next <= now || next - now > cap;
}

ph_outbox_fate_e ph_outbox_settle(ph_outbox_item_t *item, const char *why,
                                  int permanent, apr_time_t now,
                                  apr_interval_time_t retry_period,
                                  apr_interval_time_t cap,
                                  apr_interval_time_t retry_after)
{
    apr_interval_time_t wait;

    if (why == NULL) {
        return PH_OUTBOX_SENT;
    }
    item->attempts++;
    item->error = why;
    wait = ph_outbox_backoff(item->attempts, cap);
    if (retry_after > wait) {
        wait = retry_after;             /* the service asked for longer */
    }
    item->next = now + wait;
    if (permanent) {
        return PH_OUTBOX_REFUSED;
    }
    if (now - item->created >= retry_period) {
        return PH_OUTBOX_EXPIRED;
    }
    return PH_OUTBOX_RETRY;
}

int ph_outbox_file_channel(const char *fname, char *name, apr_size_t size)
{
    const char *dot = strchr(fname, '.');
    const char *end = strrchr(fname, '.');
    apr_size_t n;

    if (dot == NULL || end == dot) {
        return 0;
    }
    n = (apr_size_t)(end - dot - 1);
    if (n + 1 > size) {
        return 0;
    }
    memcpy(name, dot + 1, n);
    name[n] = '\0';
    return 1;
}
