/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_passive.h
 * @brief PhoneHomePassive: requests of the application that count as
 *        beats for a device (the directive is parsed by the config room
 *        into ph_passive_t).  Level 4 of the glue, beside the beat
 *        handler: it depends on runtime, config, private and the core.
 */

#ifndef MOD_PHONEHOME_PASSIVE_H
#define MOD_PHONEHOME_PASSIVE_H

#include "httpd.h"
#include "http_config.h"

#include "mod_phonehome_config.h"

/** After the configuration is read: each rule's device is declared (a
 *  device not declared otherwise is declared by the rule); a device with
 *  Key= is refused (PH00200). */
int ph_passive_check_config(ph_server_conf_t *c, apr_pool_t *pconf,
                            server_rec *s);

void ph_passive_register_hooks(apr_pool_t *p);

#endif /* MOD_PHONEHOME_PASSIVE_H */
