/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_phonehome: devices "phone home" with a beat; the server knows at once
 * when one stops.  This file is the module record and its hooks, nothing
 * else: each hook calls the rooms in order (docs/design.md "Core and
 * glue").  The logic lives in the ph_*.c core, which knows nothing of
 * httpd.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_admin.h"
#include "mod_phonehome_beat.h"
#include "mod_phonehome_beatto.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_detect.h"
#include "mod_phonehome_directives.h"
#include "mod_phonehome_downtime.h"
#include "mod_phonehome_mail.h"
#include "mod_phonehome_notify.h"
#include "mod_phonehome_passive.h"
#include "mod_phonehome_retain.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_secure.h"
#include "mod_phonehome_status.h"

static int ph_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ph_runtime_pre_config(pconf);
}

/* Runs before "httpd -t" says Syntax OK, so that a config test catches
 * what is missing too. */
static int ph_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    int rc;

    (void)plog;
    (void)ptemp;
    if ((rc = ph_passive_check_config(ph_config_get(s), pconf, s)) != OK
        || (rc = ph_runtime_check(s)) != OK
        || (rc = ph_beatto_check(ptemp, s, ph_config_get(s))) != OK) {
        return rc;
    }
    return ph_config_check(s, ph_config_get(s));
}

static int ph_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    apr_status_t rv;
    int cold = 0, rc;

    (void)plog;
    /* The first pass only checks the configuration. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if ((rc = ph_runtime_create(pconf, ptemp, s, &cold)) != OK) {
        return rc;
    }
    /* A real start (not a graceful restart) after a crash or a power cut:
     * the snapshot may be fresher than slotmem's copy.  A restart starts
     * from the parent's copy of the old generation's table; without one
     * (the first restart into this module, a copy given up) from the
     * snapshot if it is fresher than what slotmem restored. */
    if (cold) {
        ph_snapshot_restore(s, ptemp, ph_runtime_conf()->max_devices, 0);
    }
    else if (!ph_retain_restore(s)) {
        ph_snapshot_restore(s, ptemp, ph_runtime_conf()->max_devices, 1);
    }
    if ((rc = ph_runtime_attach(pconf, s)) != OK) {
        return rc;
    }
    ph_retain_register(pconf, s);
    if ((rv = ph_detect_register(pconf, s)) != APR_SUCCESS
        || (rv = ph_mail_register(pconf, s)) != APR_SUCCESS
        || (rv = ph_notify_register(pconf, s)) != APR_SUCCESS
        || (rv = ph_beatto_register(pconf, s)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     PHLOGNO(00014) "cannot register with mod_watchdog");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ph_clean_stop_arm(s, pconf);
    ph_downtime_start(s, pconf, ptemp, cold);
    ph_runtime_log_ready(s);
    return OK;
}

static void ph_register_hooks(apr_pool_t *p)
{
    /* Our watchdogs must exist before mod_watchdog's post_config. */
    static const char *const before_watchdog[] = { "mod_watchdog.c", NULL };

    ap_hook_pre_config(ph_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(ph_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ph_post_config, NULL, before_watchdog,
                        APR_HOOK_MIDDLE);
    ap_hook_child_init(ph_runtime_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ph_beat_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ph_status_register_hooks(p);
    ph_admin_register_hooks(p);
    ph_passive_register_hooks(p);
}

AP_DECLARE_MODULE(phonehome) = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    ph_config_create,
    NULL,
    ph_config_cmds,
    ph_register_hooks,
    0
};
