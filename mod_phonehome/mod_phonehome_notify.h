/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_notify.h
 * @brief The channel sender (PhoneHomeNotify): libcurl multi transfers on a
 *        leased watchdog that never waits on a server; it also digests
 *        the queue into the outbox every tick.  Level 5 of the glue: it
 *        depends on outbox, runtime, config, private and the core.
 */

#ifndef MOD_PHONEHOME_NOTIFY_H
#define MOD_PHONEHOME_NOTIFY_H

#include "httpd.h"

/** At post_config: libcurl's global set-up (once, in the parent), then
 *  the channels' watchdog. */
apr_status_t ph_notify_register(apr_pool_t *pconf, server_rec *s);

#endif /* MOD_PHONEHOME_NOTIFY_H */
