/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * A device declared with Cert="CN" is who mod_ssl says it is: its beats
 * count only over TLS, with a client certificate mod_ssl verified
 * (SSL_CLIENT_VERIFY SUCCESS, so SSLVerifyClient and the CA are the
 * administrator's) whose subject CN is exactly the one declared.  With
 * Key= as well, both must hold.  httpd's own ap_ssl_var_lookup asks
 * whichever TLS module serves the connection.
 */

#include "httpd.h"
#include "http_ssl.h"

#include "apr_strings.h"

#include <string.h>

#include "mod_phonehome_cert.h"
#include "ph_text.h"

int ph_cert_check(request_rec *r, const ph_devconf_t *dc, const char **why)
{
    const char *verify, *cn;

    if (!ap_ssl_conn_is_ssl(r->connection)) {
        *why = apr_psprintf(r->pool, "device %s beats only over https, with "
                            "its client certificate", dc->name);
        return HTTP_FORBIDDEN;
    }
    verify = ap_ssl_var_lookup(r->pool, r->server, r->connection, r,
                               "SSL_CLIENT_VERIFY");
    if (verify == NULL || strcmp(verify, "SUCCESS") != 0) {
        *why = apr_psprintf(r->pool, "device %s needs a client certificate "
                            "the server verifies (%s)", dc->name,
                            verify && *verify ? ph_text_oneline(r->pool,
                                                                verify)
                                              : "none sent");
        return HTTP_FORBIDDEN;
    }
    cn = ap_ssl_var_lookup(r->pool, r->server, r->connection, r,
                           "SSL_CLIENT_S_DN_CN");
    if (cn == NULL || strcmp(cn, dc->cert_cn) != 0) {
        *why = apr_psprintf(r->pool, "the client certificate is not device "
                            "%s's (its subject CN is '%s')", dc->name,
                            cn ? ph_text_oneline(r->pool, cn) : "");
        return HTTP_FORBIDDEN;
    }
    return OK;
}
