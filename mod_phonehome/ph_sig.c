/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <openssl/crypto.h>

#include "ph_sig.h"
#include "ph_wire.h"

static const char *ph_or_empty(const ph_beat_t *b, unsigned int bit,
                               const char *raw)
{
    return (b->seen & bit) && raw ? raw : "";
}

const char *ph_sig_message(apr_pool_t *p, const char *device,
                           const ph_beat_t *b)
{
    const char *seq = ph_or_empty(b, PH_BEAT_SEQ, b->seq_raw);
    const char *t = ph_or_empty(b, PH_BEAT_T, b->t_raw);
    const char *boot = ph_or_empty(b, PH_BEAT_BOOT, b->boot);
    const char *up = ph_or_empty(b, PH_BEAT_UP, b->up_raw);
    apr_size_t n = ph_wire_message(NULL, 0, device, seq, t, boot, up) + 1;
    char *msg = apr_palloc(p, n);

    ph_wire_message(msg, n, device, seq, t, boot, up);
    return msg;
}

const char *ph_sig_compute(apr_pool_t *p, const char *key, apr_size_t keylen,
                           const char *msg)
{
    char *out = apr_palloc(p, PH_WIRE_SIG_HEX + 1);

    return ph_wire_sign(key, keylen, msg, out) ? out : NULL;
}

int ph_sig_verify(apr_pool_t *p, const char *key, apr_size_t keylen,
                  const char *device, const ph_beat_t *beat)
{
    char given[PH_SIG_HEX_LEN + 1];
    const char *want;
    int i;

    if (!(beat->seen & PH_BEAT_SIG) || strlen(beat->sig) != PH_SIG_HEX_LEN) {
        return 0;
    }
    /* Hex from a client may be in upper case. */
    for (i = 0; i < PH_SIG_HEX_LEN; i++) {
        char c = beat->sig[i];

        given[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    given[PH_SIG_HEX_LEN] = '\0';
    want = ph_sig_compute(p, key, keylen, ph_sig_message(p, device, beat));
    return want != NULL && CRYPTO_memcmp(want, given, PH_SIG_HEX_LEN) == 0;
}

const char *ph_sig_key_parse(apr_pool_t *p, const char *text, apr_size_t len,
                             const char **key, apr_size_t *keylen)
{
    size_t b, n;
    const char *why = ph_wire_key_span(text, len, &b, &n);

    if (why) {
        return why;
    }
    *key = apr_pstrmemdup(p, text + b, n);
    *keylen = n;
    return NULL;
}

apr_uint64_t ph_sig_key_id(const char *key, apr_size_t keylen)
{
    static const char label[] = "phonehome key id";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    apr_uint64_t id = 0;
    int i;

    if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)label,
             sizeof(label) - 1, mac, &maclen) != NULL) {
        for (i = 0; i < 8; i++) {
            id = (id << 8) | mac[i];
        }
    }
    return id ? id : 1;
}
