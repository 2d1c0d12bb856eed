/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_beatto.h
 * @brief The server's own beat (PhoneHomeBeatTo): a fourth singleton
 *        watchdog that sends each target its beat every every= seconds as
 *        a libcurl multi transfer that never blocks, and only while this
 *        server is healthy: detection ran in the last
 *        PH_BEATTO_TICK_STALE_SEC seconds (monotonic clock) and no outbox
 *        file has failed PH_BEATTO_STUCK_ATTEMPTS attempts in a row.
 *        Level 5 of the glue: it depends on runtime, config, private and
 *        the core.
 */

#ifndef MOD_PHONEHOME_BEATTO_H
#define MOD_PHONEHOME_BEATTO_H

#include "httpd.h"

#include "mod_phonehome_config.h"
#include "ph_beatto.h"

/** At check_config: a signed beat without device= is for the device
 *  named as ServerName, which must be a valid name (PH00176).
 *  @return OK or HTTP_INTERNAL_SERVER_ERROR */
int ph_beatto_check(apr_pool_t *p, server_rec *s, ph_server_conf_t *c);

/** At post_config: the watchdog, when there is a PhoneHomeBeatTo. */
apr_status_t ph_beatto_register(apr_pool_t *pconf, server_rec *s);

#endif /* MOD_PHONEHOME_BEATTO_H */
