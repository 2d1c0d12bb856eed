/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_admin.h
 * @brief The admin room: SetHandler phonehome-admin, a page listing the
 *        devices with pause, resume and forget forms (nonce-protected),
 *        and the script API POST <admin>/devices/NAME/ACTION.  Level 6 of
 *        the glue: it depends on the status renderers (the stylesheet),
 *        the status view, runtime, config, private and the core.
 */

#ifndef MOD_PHONEHOME_ADMIN_H
#define MOD_PHONEHOME_ADMIN_H

#include "httpd.h"

/** SetHandler phonehome-admin; DECLINED otherwise. */
int ph_admin_handler(request_rec *r);

/** Hook the handler, and the nonce's making into post_config. */
void ph_admin_register_hooks(apr_pool_t *p);

#endif /* MOD_PHONEHOME_ADMIN_H */
