/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_status.h
 * @brief The status room's entry: the handlers of the status page and the
 *        board, and the /server-status hook.  Level 6 of the glue: it
 *        depends on the renderers (status_text, status_html), the status
 *        view, runtime, private and the core.
 */

#ifndef MOD_PHONEHOME_STATUS_H
#define MOD_PHONEHOME_STATUS_H

#include "httpd.h"

/** SetHandler phonehome-status and phonehome-board; DECLINED otherwise. */
int ph_status_handler(request_rec *r);

/** Hook the handler, and the PhoneHome section into mod_status. */
void ph_status_register_hooks(apr_pool_t *p);

#endif /* MOD_PHONEHOME_STATUS_H */
