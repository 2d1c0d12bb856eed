/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_cert.h
 * @brief Identity from TLS client certificates: PhoneHomeDevice Cert=.
 *        Level 3 of the glue: it depends on the core only (and mod_ssl's
 *        variables through httpd).
 */

#ifndef MOD_PHONEHOME_CERT_H
#define MOD_PHONEHOME_CERT_H

#include "httpd.h"

#include "ph_conf.h"

/**
 * Whether the beat @a r for @a dc (which has Cert=) came with a client
 * certificate mod_ssl verified and whose subject CN is dc->cert_cn.
 * @return OK, or HTTP_FORBIDDEN with a one-line reason in @a why
 */
int ph_cert_check(request_rec *r, const ph_devconf_t *dc, const char **why);

#endif /* MOD_PHONEHOME_CERT_H */
