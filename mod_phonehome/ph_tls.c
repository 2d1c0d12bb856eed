/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "ph_tls.h"
#include "ph_text.h"

#include <apr_strings.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

const char *ph_tls_problem(apr_pool_t *p, long code, const char *host,
                           const char *names, const char *not_after)
{
    const char *carries = names && *names
        ? apr_psprintf(p, " (it names %s)", names) : "";

    switch (code) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        return "the certificate is self-signed and not trusted (trust it "
               "with PhoneHomeSMTPCAFile)";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return "the certificate chain ends in a self-signed root that is "
               "not trusted (trust the root with PhoneHomeSMTPCAFile)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "the certificate's issuer is unknown: not in the system "
               "trust store nor in PhoneHomeSMTPCAFile";
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return not_after && *not_after
            ? apr_psprintf(p, "the certificate expired on %s", not_after)
            : "the certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return "the certificate is not valid yet (is this server's clock "
               "right?)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
        return apr_psprintf(p, "the certificate does not name %s%s", host,
                            carries);
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return apr_psprintf(p, "the certificate does not name the address "
                            "%s%s", host, carries);
    case X509_V_ERR_CERT_REVOKED:
        return "the certificate has been revoked";
    default:
        return apr_psprintf(p, "the certificate does not verify: %s (%ld)",
                            X509_verify_cert_error_string(code), code);
    }
}

const char *ph_tls_ca_file_check(apr_pool_t *p, const char *path)
{
    BIO *bio;
    X509 *cert;
    int n = 0;

    bio = BIO_new_file(path, "r");
    if (bio == NULL) {
        ERR_clear_error();
        return apr_psprintf(p, "'%s' cannot be read (%s)",
                            ph_text_oneline(p, path), strerror(errno));
    }
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        X509_free(cert);
        n++;
    }
    ERR_clear_error();                  /* the end of the file, or garbage */
    BIO_free(bio);
    return n ? NULL : apr_psprintf(p, "'%s' holds no PEM certificate",
                                   ph_text_oneline(p, path));
}

int ph_tls_host_is_ip(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, host, buf) == 1
           || inet_pton(AF_INET6, host, buf) == 1;
}
