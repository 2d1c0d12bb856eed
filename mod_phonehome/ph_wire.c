/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ph_wire.h"

int ph_wire_sign(const char *key, size_t keylen, const char *msg,
                 char out[PH_WIRE_SIG_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;

    out[0] = '\0';
    if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
             strlen(msg), mac, &n) == NULL || n * 2 != PH_WIRE_SIG_HEX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[2 * n] = '\0';
    return 1;
}

size_t ph_wire_message(char *buf, size_t size, const char *device,
                       const char *seq, const char *t, const char *boot,
                       const char *up)
{
    int n = snprintf(buf, size, PH_SIG_TAG "\n%s\n%s\n%s\n%s\n%s", device,
                     seq ? seq : "", t ? t : "", boot ? boot : "",
                     up ? up : "");

    return n < 0 ? 0 : (size_t)n;
}

const char *ph_wire_key_span(const char *text, size_t size, size_t *start,
                             size_t *len)
{
    size_t b = 0, e, i;

    while (b < size && (text[b] == ' ' || text[b] == '\t')) {
        b++;
    }
    e = b;
    while (e < size && text[e] != '\n' && text[e] != '\r') {
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
    for (i = b; i < e; i++) {
        if (text[i] <= ' ' || text[i] >= 0x7F) {
            return "the key may only hold printable characters without "
                   "spaces";
        }
    }
    *start = b;
    *len = e - b;
    return NULL;
}
