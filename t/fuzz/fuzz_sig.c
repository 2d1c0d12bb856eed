/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Fuzz target: signed beats and key files.
 *
 * The raw input is a key file for ph_sig_key_parse.  As a beat (the same
 * layout as fuzz_beat: [/path LF] query [LF body]) it is checked with
 * ph_sig_verify under a fixed key and under the key the input gave, if
 * any: the answer must be what the definition says, and a signature made
 * with ph_sig_compute over ph_sig_message must always verify, in either
 * case of hex, while a changed one, another device's or a short one never
 * does.
 */

#include <string.h>

#include <apr_strings.h>

#include "fuzz.h"
#include "ph_beat.h"
#include "ph_sig.h"

#define FUZZ_KEY "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffee"

static int is_lower_hex(const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return s[n] == '\0';
}

static void check_key_parse(apr_pool_t *p, const char *text, apr_size_t len,
                            const char **key, apr_size_t *keylen)
{
    const char *why, *again;
    apr_size_t i, againlen = 0, b = 0, e;

    *key = NULL;
    *keylen = 0;
    why = ph_sig_key_parse(p, text, len, key, keylen);
    if (why) {
        ph_fuzz_check_reason(why);
        *key = NULL;
        return;
    }
    PH_FUZZ_CHECK(*key != NULL);
    PH_FUZZ_CHECK(*keylen >= PH_KEY_MIN && *keylen <= PH_KEY_MAX);
    PH_FUZZ_CHECK(strlen(*key) == *keylen);
    for (i = 0; i < *keylen; i++) {
        PH_FUZZ_CHECK((*key)[i] > ' ' && (*key)[i] < 0x7F);
    }
    /* It is the first line with its blanks around it removed. */
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
    PH_FUZZ_CHECK(e - b == *keylen && memcmp(text + b, *key, *keylen) == 0);
    /* A key file holding just the key gives the same key. */
    PH_FUZZ_CHECK(ph_sig_key_parse(p, *key, *keylen, &again, &againlen)
                  == NULL);
    PH_FUZZ_CHECK(againlen == *keylen && strcmp(again, *key) == 0);
}

static int verify_with(apr_pool_t *p, const char *key, apr_size_t keylen,
                       const char *device, const ph_beat_t *b,
                       const char *sig)
{
    ph_beat_t copy = *b;

    copy.seen |= PH_BEAT_SIG;
    copy.sig = sig;
    return ph_sig_verify(p, key, keylen, device, &copy);
}

static void check_verify(apr_pool_t *p, const char *key, apr_size_t keylen,
                         const char *device, const ph_beat_t *b)
{
    const char *msg = ph_sig_message(p, device, b);
    const char *want = ph_sig_compute(p, key, keylen, msg);
    char *upper, *changed;
    int expect = 0, got;
    apr_size_t i;

    PH_FUZZ_CHECK(want != NULL && is_lower_hex(want, PH_SIG_HEX_LEN));
    /* The same message under the same key, the same signature. */
    PH_FUZZ_CHECK(strcmp(want, ph_sig_compute(p, key, keylen,
                                              apr_pstrdup(p, msg))) == 0);

    /* The signature the beat carries: good exactly when it is the HMAC,
     * A-F taken as a-f. */
    if ((b->seen & PH_BEAT_SIG) && strlen(b->sig) == PH_SIG_HEX_LEN) {
        expect = 1;
        for (i = 0; i < PH_SIG_HEX_LEN; i++) {
            char c = b->sig[i];

            if (c >= 'A' && c <= 'F') {
                c = (char)(c - 'A' + 'a');
            }
            if (c != want[i]) {
                expect = 0;
            }
        }
    }
    got = ph_sig_verify(p, key, keylen, device, b);
    PH_FUZZ_CHECK(got == expect);

    /* A signature made the way a client makes it always verifies. */
    PH_FUZZ_CHECK(verify_with(p, key, keylen, device, b, want) == 1);
    upper = apr_pstrdup(p, want);
    for (i = 0; upper[i]; i++) {
        if (upper[i] >= 'a' && upper[i] <= 'f') {
            upper[i] = (char)(upper[i] - 'a' + 'A');
        }
    }
    PH_FUZZ_CHECK(verify_with(p, key, keylen, device, b, upper) == 1);

    /* A changed one, a short one, or another device's never does. */
    changed = apr_pstrdup(p, want);
    changed[PH_SIG_HEX_LEN - 1] = changed[PH_SIG_HEX_LEN - 1] == '0'
                                  ? '1' : '0';
    PH_FUZZ_CHECK(verify_with(p, key, keylen, device, b, changed) == 0);
    PH_FUZZ_CHECK(verify_with(p, key, keylen, device, b,
                              apr_pstrndup(p, want, PH_SIG_HEX_LEN - 1))
                  == 0);
    PH_FUZZ_CHECK(verify_with(p, key, keylen, device, b,
                              apr_pstrcat(p, want, "0", NULL)) == 0);
    PH_FUZZ_CHECK(verify_with(p, key, keylen,
                              apr_pstrcat(p, device, "x", NULL), b, want)
                  == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = ph_fuzz_pool();
    const char *key, *rest, *query, *body, *device;
    apr_size_t keylen;
    ph_beat_t b;

    check_key_parse(p, ph_fuzz_copy(p, data, size), size, &key, &keylen);

    ph_fuzz_beat_input(ph_fuzz_cstr(p, data, size), &rest, &query, &body);
    memset(&b, 0, sizeof(b));
    if (ph_beat_parse(&b, query, p) == NULL
        && ph_beat_parse(&b, body, p) == NULL) {
        device = ph_beat_device(&b, ph_beat_path_device(rest, p));
        check_verify(p, FUZZ_KEY, strlen(FUZZ_KEY), device, &b);
        if (key) {
            check_verify(p, key, keylen, device, &b);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
