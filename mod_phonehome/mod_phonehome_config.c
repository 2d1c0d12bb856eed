/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The configuration room: the defaults, the checks across directives at
 * check_config, and what the configuration decides for a device (its flap
 * limit; its display name, recipients and routes are the route room's).
 * The directives themselves are mod_phonehome_directives.c's.  Secret
 * files (Key=, token-file=, the SMTP password) are read as root through
 * mod_phonehome_secure.h.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "apr_file_io.h"
#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_secure.h"
#include "ph_flap.h"
#include "ph_name.h"
#include "ph_table.h"
#include "ph_text.h"
#include "ph_tls.h"

APLOG_USE_MODULE(phonehome);

#ifndef PH_STATE_DIR
#define PH_STATE_DIR "/var/lib/phonehome"
#endif

void *ph_config_create(apr_pool_t *p, server_rec *s)
{
    ph_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->max_age = 300;                   /* the seed's -m 300 */
    c->max_devices = 1024;
    c->auto_register = 1;
    c->devices = apr_array_make(p, 4, sizeof(ph_devconf_t));
    c->device_index = apr_hash_make(p);
    c->monitor_name = "Raspberry Pi phone home";
    c->mail_to = apr_array_make(p, 2, sizeof(const char *));
    c->smtp_host = "localhost";
    c->smtp_port = 25;
    c->smtp_starttls = PH_TLS_ON;
    c->state_dir = PH_STATE_DIR;
    c->digest_window = 10;
    c->retry_period = 3 * 86400;
    /* No honest client beats 30 times a minute; retries fit easily. */
    c->beat_rate.n = 30;
    c->beat_rate.period = apr_time_from_sec(60);
    c->arm_after = -1;                  /* twice each device's MaxAge */
    c->register_rate.n = 20;
    c->register_v6_prefix = PH_RATE_V6_PREFIX;
    c->register_rate.period = apr_time_from_sec(60);
    c->channels = apr_array_make(p, 2, sizeof(ph_notify_chan_t));
    c->beat_to = apr_array_make(p, 1, sizeof(ph_beatto_t));
    return c;
}

int ph_channel_find(const ph_server_conf_t *conf, const char *name)
{
    int i;

    for (i = 0; i < conf->channels->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(conf->channels, i,
                                 ph_notify_chan_t).name, name) == 0) {
            return i;
        }
    }
    return -1;
}


ph_server_conf_t *ph_config_get(server_rec *s)
{
    return ap_get_module_config(s->module_config, &phonehome_module);
}

int ph_config_check(server_rec *s, ph_server_conf_t *c)
{
    if (c->mail_from == NULL) {
        int i, any = c->mail_to->nelts > 0;

        for (i = 0; i < c->devices->nelts; i++) {
            any |= APR_ARRAY_IDX(c->devices, i, ph_devconf_t).mail_to != NULL;
        }
        if (any) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         PHLOGNO(00007)
                         "PhoneHomeMailTo or MailTo= is set but "
                         "PhoneHomeMailFrom is not: alerts could not be "
                         "mailed");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    {
        int i, j;

        for (i = 0; i < c->devices->nelts; i++) {
            ph_devconf_t *dc = &APR_ARRAY_IDX(c->devices, i, ph_devconf_t);

            for (j = 0; dc->notify && j < dc->notify->nelts; j++) {
                const char *n = APR_ARRAY_IDX(dc->notify, j, const char *);

                if (strcasecmp(n, PH_NOTIFY_MAIL) != 0
                    && ph_channel_find(c, n) < 0) {
                    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                                 PHLOGNO(00015)
                                 "PhoneHomeDevice %s: Notify=%s: "
                                 "no PhoneHomeNotify channel has that name",
                                 dc->name, n);
                    return HTTP_INTERNAL_SERVER_ERROR;
                }
            }
        }
    }
    if (c->smtp_user && c->smtp_starttls == PH_TLS_OFF) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     PHLOGNO(00100) "PhoneHomeSMTPAuth needs STARTTLS, but "
                     "PhoneHomeSMTPStartTLS is Off: the password would cross "
                     "the network in the clear (use On or Required)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((apr_uint32_t)c->devices->nelts > c->max_devices) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     PHLOGNO(00003)
                     "PhoneHomeMaxDevices %u is less than the %d "
                     "devices declared with PhoneHomeDevice",
                     c->max_devices, c->devices->nelts);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void ph_config_finish(ph_server_conf_t *c)
{
    int i;

    if (!c->startup_grace_set) {
        c->startup_grace = c->max_age;
    }
    c->flap_any = c->flap_limit != 0;
    for (i = 0; i < c->devices->nelts; i++) {
        const ph_devconf_t *dc = &APR_ARRAY_IDX(c->devices, i, ph_devconf_t);

        c->flap_any |= dc->flap_set && dc->flap_limit != 0;
    }
}

void ph_config_flap(const ph_server_conf_t *c, const ph_devconf_t *dc,
                    apr_uint32_t *limit, apr_uint32_t *period)
{
    if (dc && dc->flap_set) {
        *limit = dc->flap_limit;
        *period = dc->flap_period;
    }
    else {
        *limit = c->flap_limit;
        *period = c->flap_period;
    }
}

apr_status_t ph_config_read_secrets(server_rec *s, apr_pool_t *pconf,
                                    ph_server_conf_t *c)
{
    if (c->smtp_password_file == NULL) {
        return APR_SUCCESS;
    }
    return ph_secret_password_read(s, pconf, c->smtp_password_file,
                                   &c->smtp_password);
}
