/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * What the configuration decides for a device: the name it goes by in
 * mail and on the status page, its recipients and its routes (Notify=).
 * Level 2.5: it reads the configuration room's structures and nothing
 * else of the glue.
 */

#include "httpd.h"
#include "http_config.h"

#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_route.h"

const char *ph_display_name(apr_pool_t *p, const ph_server_conf_t *conf,
                            const char *device)
{
    const ph_devconf_t *dc = apr_hash_get(conf->device_index, device,
                                          APR_HASH_KEY_STRING);

    if (dc && dc->display) {
        return dc->display;
    }
    if (strcmp(device, PH_DEFAULT_DEVICE) == 0) {
        return conf->monitor_name;
    }
    return apr_psprintf(p, "%s (%s)", device, conf->monitor_name);
}

const apr_array_header_t *ph_recipients(const ph_server_conf_t *conf,
                                        const char *device)
{
    const ph_devconf_t *dc = apr_hash_get(conf->device_index, device,
                                          APR_HASH_KEY_STRING);

    return (dc && dc->mail_to) ? dc->mail_to : conf->mail_to;
}

/* Notify= names the routes; without it, a device goes everywhere. */
static int ph_routed(const ph_devconf_t *dc, const char *name)
{
    int i;

    for (i = 0; i < dc->notify->nelts; i++) {
        if (strcasecmp(APR_ARRAY_IDX(dc->notify, i, const char *),
                       name) == 0) {
            return 1;
        }
    }
    return 0;
}

int ph_route_mail(const ph_server_conf_t *conf, const char *device)
{
    const ph_devconf_t *dc = apr_hash_get(conf->device_index, device,
                                          APR_HASH_KEY_STRING);

    /* A device's own MailTo= always asks for mail. */
    return dc == NULL || dc->notify == NULL || dc->mail_to != NULL
           || ph_routed(dc, PH_NOTIFY_MAIL);
}

int ph_route_channel(const ph_server_conf_t *conf, const char *device,
                     int chan)
{
    const ph_devconf_t *dc = apr_hash_get(conf->device_index, device,
                                          APR_HASH_KEY_STRING);

    return dc == NULL || dc->notify == NULL
           || ph_routed(dc, APR_ARRAY_IDX(conf->channels, chan,
                                          ph_notify_chan_t).name);
}
