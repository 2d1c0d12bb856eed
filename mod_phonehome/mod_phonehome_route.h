/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_route.h
 * @brief What the configuration decides for a device: its display name,
 *        its recipients, its routes.  Level 2.5 of the glue: above the
 *        configuration room, below runtime.
 */

#ifndef MOD_PHONEHOME_ROUTE_H
#define MOD_PHONEHOME_ROUTE_H

#include "mod_phonehome_config.h"

/** How a device is named in mail and on the status page. */
const char *ph_display_name(apr_pool_t *p, const ph_server_conf_t *conf,
                            const char *device);

/** The recipients for a device: its MailTo=, else PhoneHomeMailTo. */
const apr_array_header_t *ph_recipients(const ph_server_conf_t *conf,
                                        const char *device);

/** Whether @a device's alerts go by mail (Notify= may leave mail out). */
int ph_route_mail(const ph_server_conf_t *conf, const char *device);

/** Whether @a device's alerts go to channel number @a chan. */
int ph_route_channel(const ph_server_conf_t *conf, const char *device,
                     int chan);

#endif /* MOD_PHONEHOME_ROUTE_H */
