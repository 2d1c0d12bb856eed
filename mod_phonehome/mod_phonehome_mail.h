/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_mail.h
 * @brief The mail sender: SMTP with libesmtp (STARTTLS with a context of
 *        the module's own) on a leased watchdog of its own.  Level 5 of
 *        the glue: it depends on outbox, runtime, config, private and the
 *        core.
 */

#ifndef MOD_PHONEHOME_MAIL_H
#define MOD_PHONEHOME_MAIL_H

#include "httpd.h"

/** At post_config, as root: the STARTTLS context (a failure is logged and
 *  stops httpd), then the sender's watchdog. */
apr_status_t ph_mail_register(apr_pool_t *pconf, server_rec *s);

#endif /* MOD_PHONEHOME_MAIL_H */
