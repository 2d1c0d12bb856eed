/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_tls.h
 * @brief Mail over STARTTLS, the parts that decide: what a certificate
 *        problem is called in the error log, the status page and
 *        events.log, and whether a PhoneHomeSMTPCAFile is usable.  The
 *        glue (mod_phonehome_mail.c) owns the OpenSSL context.
 */

#ifndef PH_TLS_H
#define PH_TLS_H

#include <apr.h>
#include <apr_pools.h>

/** One phrase saying why the SMTP server's certificate did not verify,
 *  from OpenSSL's verify result @a code (X509_V_ERR_*): "the certificate
 *  is self-signed", "... issuer is unknown", "... does not name HOST",
 *  "... expired", with what to do.  @a host is PhoneHomeSMTPServer's host;
 *  @a names (may be NULL) the names the certificate carries, comma
 *  separated; @a not_after (may be NULL) its end date as text. */
const char *ph_tls_problem(apr_pool_t *p, long code, const char *host,
                           const char *names, const char *not_after);

/** NULL if @a path is a file holding at least one PEM certificate, else
 *  why not ("... does not exist", "... holds no PEM certificate"). */
const char *ph_tls_ca_file_check(apr_pool_t *p, const char *path);

/** Whether @a host is an IPv4 or IPv6 address (then the certificate must
 *  carry it as an IP subjectAltName) rather than a DNS name. */
int ph_tls_host_is_ip(const char *host);

#endif /* PH_TLS_H */
