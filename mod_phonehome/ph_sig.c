/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ph_sig.h"

#define PH_SIG_TAG "phonehome-v1"

static const char *ph_or_empty(const ph_beat_t *b, unsigned int bit,
                               const char *raw)
{
    return (b->seen & bit) && raw ? raw : "";
}

const char *ph_sig_message(apr_pool_t *p, const char *device,
                           const ph_beat_t *b)
{
    return apr_pstrcat(p, PH_SIG_TAG "\n", device, "\n",
                       ph_or_empty(b, PH_BEAT_SEQ, b->seq_raw), "\n",
                       ph_or_empty(b, PH_BEAT_T, b->t_raw), "\n",
                       ph_or_empty(b, PH_BEAT_BOOT, b->boot), "\n",
                       ph_or_empty(b, PH_BEAT_UP, b->up_raw), NULL);
}

const char *ph_sig_compute(apr_pool_t *p, const char *key, apr_size_t keylen,
                           const char *msg)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char *out;

    if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
             strlen(msg), mac, &n) == NULL) {
        return NULL;
    }
    out = apr_palloc(p, n * 2 + 1);
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
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
    apr_size_t b = 0, e;

    while (b < len && (text[b] == ' ' || text[b] == '\t')) {
        b++;
    }
    e = b;
    while (e < len && text[e] != '\n' && text[e] != '\r') {
        e++;
    }
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) {
        e--;
    }
    if (e - b < PH_KEY_MIN || e - b > PH_KEY_MAX) {
        return "the key must be 32 to 1024 characters (128 bits as hex, "
               "at least) on the first line (make one with: openssl rand "
               "-hex 32)";
    }
    for (len = b; len < e; len++) {
        if (text[len] <= ' ' || text[len] >= 0x7F) {
            return "the key may only hold printable characters without "
                   "spaces";
        }
    }
    *key = apr_pstrmemdup(p, text + b, e - b);
    *keylen = e - b;
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
