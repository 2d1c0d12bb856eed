/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Beats from existing traffic: PhoneHomePassive name expression.  Any
 * request the server handles that matches the ap_expr counts as a beat
 * for the device (a partner's webhook that still calls /api/ingest, a Pi
 * that already fetches a file every minute).  It is looked at in the
 * log_transaction hook, after the response has gone; a request that
 * matches no rule costs one expression evaluation per rule, and a rule
 * takes the table lock at most once a second in each process.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_expr.h"

#include "apr_atomic.h"
#include "apr_strings.h"

#include <string.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_passive.h"
#include "mod_phonehome_runtime.h"
#include "ph_beat.h"
#include "ph_device.h"
#include "ph_name.h"
#include "ph_table.h"
#include "ph_text.h"

int ph_passive_check_config(ph_server_conf_t *c, apr_pool_t *pconf,
                            server_rec *s)
{
    int i;

    for (i = 0; c->passive && i < c->passive->nelts; i++) {
        ph_passive_t *pr = APR_ARRAY_IDX(c->passive, i, ph_passive_t *);
        ph_devconf_t *dc = apr_hash_get(c->device_index, pr->name,
                                        APR_HASH_KEY_STRING);

        if (dc && (dc->key || dc->cert_cn)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, PHLOGNO(00200)
                         "PhoneHomePassive %s (%s): the device has %s, so "
                         "only a beat that proves who sent it may count for "
                         "it; a matching request does not", pr->name,
                         pr->where, dc->key ? "Key=" : "Cert=");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (dc == NULL) {
            /* Declared by this directive: its slot is reserved and it is
             * armed at once, like a PhoneHomeDevice without options. */
            dc = apr_array_push(c->devices);
            memset(dc, 0, sizeof(*dc));
            dc->name = apr_pstrdup(pconf, pr->name);
            apr_hash_set(c->device_index, dc->name, APR_HASH_KEY_STRING, dc);
        }
    }
    return OK;
}

/* A beat for the rule's device: what the beat handler records, with no
 * parameters (a request of the application carries none of ours). */
static void ph_passive_beat(request_rec *r, ph_passive_t *pr)
{
    ph_beat_t beat;
    ph_device_t *d;
    long found;

    memset(&beat, 0, sizeof(beat));
    if (ph_lock(r) != APR_SUCCESS) {
        return;
    }
    found = ph_table_find(ph_runtime_table(), pr->name);
    if (found >= 0) {
        d = ph_slot(NULL, (apr_uint32_t)found);
        ph_runtime_table()->hdr->changes++;
        if (d->state != PH_STATE_UP) {
            ph_runtime_table()->hdr->urgent_changes++;
        }
        ph_device_record_beat(d, &beat, r->request_time, ph_mono_now(),
                              r->useragent_ip,
                              apr_table_get(r->headers_in, "User-Agent"));
    }
    ph_unlock();
    if (found < 0) {
        /* Declared devices have slots from the start: not reached. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PHLOGNO(00201)
                      "PhoneHomePassive %s: the device has no slot",
                      pr->name);
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, PHLOGNO(00202) "%s matched "
                  "PhoneHomePassive %s (%s): a beat", r->uri, pr->name,
                  pr->where);
}

static int ph_passive_log(request_rec *r)
{
    ph_server_conf_t *c = ph_runtime_conf();
    apr_uint32_t sec;
    int i;

    if (!ph_runtime_ready() || c->passive == NULL
        || (r->handler && strcmp(r->handler, "phonehome") == 0)) {
        return DECLINED;
    }
    sec = (apr_uint32_t)apr_time_sec(r->request_time);
    for (i = 0; i < c->passive->nelts; i++) {
        ph_passive_t *pr = APR_ARRAY_IDX(c->passive, i, ph_passive_t *);
        const char *err = NULL;
        int match;

        if (apr_atomic_read32(&pr->last_sec) == sec) {
            continue;               /* this second's beat is recorded */
        }
        match = ap_expr_exec(r, pr->expr, &err);
        if (match < 0) {
            if (apr_atomic_cas32(&pr->failed, 1, 0) == 0) {
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, PHLOGNO(00203)
                              "PhoneHomePassive %s (%s): the expression "
                              "failed: %s (said once)", pr->name, pr->where,
                              err ? err : "no reason");
            }
            continue;
        }
        if (match && apr_atomic_xchg32(&pr->last_sec, sec) != sec) {
            ph_passive_beat(r, pr);
        }
    }
    return DECLINED;
}

void ph_passive_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_log_transaction(ph_passive_log, NULL, NULL, APR_HOOK_MIDDLE);
}
