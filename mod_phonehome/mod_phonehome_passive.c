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

#include "mod_phonehome.h"
#include "mod_phonehome_passive.h"
#include "ph_beat.h"
#include "ph_device.h"
#include "ph_name.h"
#include "ph_table.h"
#include "ph_text.h"

typedef struct ph_passive_t {
    const char           *name;         /* the device */
    const char           *expr_text;    /* as written, for messages */
    ap_expr_info_t       *expr;
    const char           *where;        /* file:line of the directive */
    volatile apr_uint32_t last_sec;     /* this process's last beat, s */
    volatile apr_uint32_t failed;       /* evaluation error logged */
} ph_passive_t;

const char *ph_passive_cmd(cmd_parms *cmd, void *d, const char *name,
                           const char *expr)
{
    ph_server_conf_t *c = ap_get_module_config(cmd->server->module_config,
                                               &phonehome_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY), *why;
    ph_passive_t *pr;

    (void)d;
    if (err) {
        return err;
    }
    if ((why = ph_name_check(name)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name,
                            ph_text_oneline(cmd->pool, name), why);
    }
    pr = apr_pcalloc(cmd->pool, sizeof(*pr));
    pr->name = name;
    pr->expr_text = expr;
    pr->expr = ap_expr_parse_cmd(cmd, expr, 0, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "%s %s: cannot parse the expression "
                            "'%s': %s", cmd->cmd->name, name,
                            ph_text_oneline(cmd->pool, expr), err);
    }
    pr->where = apr_psprintf(cmd->pool, "%s:%d",
                             cmd->directive->filename,
                             cmd->directive->line_num);
    if (c->passive == NULL) {
        c->passive = apr_array_make(cmd->pool, 2, sizeof(ph_passive_t *));
    }
    APR_ARRAY_PUSH(c->passive, ph_passive_t *) = pr;
    return NULL;
}

int ph_passive_check_config(ph_server_conf_t *c, apr_pool_t *pconf,
                            server_rec *s)
{
    int i;

    for (i = 0; c->passive && i < c->passive->nelts; i++) {
        ph_passive_t *pr = APR_ARRAY_IDX(c->passive, i, ph_passive_t *);
        ph_devconf_t *dc = apr_hash_get(c->device_index, pr->name,
                                        APR_HASH_KEY_STRING);

        if (dc && (dc->key || dc->cert_cn)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "PH00200: "
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
    found = ph_table_find(&ph_shared.table, pr->name);
    if (found >= 0) {
        d = ph_slot(NULL, (apr_uint32_t)found);
        ph_shared.table.hdr->changes++;
        if (d->state != PH_STATE_UP) {
            ph_shared.table.hdr->urgent_changes++;
        }
        ph_device_record_beat(d, &beat, r->request_time, ph_mono_now(),
                              r->useragent_ip,
                              apr_table_get(r->headers_in, "User-Agent"));
    }
    ph_unlock();
    if (found < 0) {
        /* Declared devices have slots from the start: not reached. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "PH00201: "
                      "PhoneHomePassive %s: the device has no slot",
                      pr->name);
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "PH00202: %s matched "
                  "PhoneHomePassive %s (%s): a beat", r->uri, pr->name,
                  pr->where);
}

static int ph_passive_log(request_rec *r)
{
    ph_server_conf_t *c = ph_shared.conf;
    apr_uint32_t sec;
    int i;

    if (c == NULL || c->passive == NULL || ph_shared.table.hdr == NULL
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
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "PH00203: "
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
