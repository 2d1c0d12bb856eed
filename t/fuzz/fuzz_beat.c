/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Fuzz target: a beat as the handler sees it.  The input is
 *
 *     [/path-after-location LF] query-string [LF form-body]
 *
 * parsed the way the handler does (query, then body, into one beat), the
 * device chosen and checked against the name rules, and the signed
 * message built.  The whole input also goes through every escaping
 * function in ph_text.c and through ph_mail_encode_header, each checked
 * against what its output promises.
 */

#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "fuzz.h"
#include "ph_beat.h"
#include "ph_mail.h"
#include "ph_name.h"
#include "ph_sig.h"
#include "ph_text.h"

/* ------------------------------------------------------------------ */
/* The beat                                                            */
/* ------------------------------------------------------------------ */

static int digits_only(const char *s, apr_size_t max)
{
    apr_size_t n = strlen(s);

    if (n == 0 || n > max) {
        return 0;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}

static int token_only(const char *s, apr_size_t max, const char *extra)
{
    apr_size_t n = strlen(s);

    if (n == 0 || n > max) {
        return 0;
    }
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || strchr(extra, *s))) {
            return 0;
        }
    }
    return 1;
}

/* What an accepted beat promises about each key it has. */
static void check_beat(const ph_beat_t *b)
{
    PH_FUZZ_CHECK((b->seen & ~0x3Fu) == 0);
    if (b->seen & PH_BEAT_DEVICE) {
        PH_FUZZ_CHECK(b->device != NULL && *b->device != '\0');
    }
    if (b->seen & PH_BEAT_T) {
        PH_FUZZ_CHECK(b->t >= 0 && b->t <= PH_T_MAX);
        PH_FUZZ_CHECK(b->t_raw != NULL && digits_only(b->t_raw, 19));
        PH_FUZZ_CHECK(apr_atoi64(b->t_raw) == b->t);
    }
    if (b->seen & PH_BEAT_BOOT) {
        PH_FUZZ_CHECK(b->boot != NULL
                      && token_only(b->boot, PH_BOOT_MAX, "-"));
    }
    if (b->seen & PH_BEAT_UP) {
        const char *dot;

        PH_FUZZ_CHECK(b->up >= 0 && b->up <= PH_UP_MAX);
        PH_FUZZ_CHECK(b->up_raw != NULL);
        dot = strchr(b->up_raw, '.');
        if (dot) {
            PH_FUZZ_CHECK(digits_only(dot + 1, 9));
            PH_FUZZ_CHECK(strchr(dot + 1, '.') == NULL);
        }
        PH_FUZZ_CHECK(apr_atoi64(b->up_raw) == b->up);
    }
    if (b->seen & PH_BEAT_SEQ) {
        PH_FUZZ_CHECK(b->seq <= APR_UINT64_C(9223372036854775807));
        PH_FUZZ_CHECK(b->seq_raw != NULL && digits_only(b->seq_raw, 19));
        PH_FUZZ_CHECK((apr_uint64_t)apr_atoi64(b->seq_raw) == b->seq);
    }
    if (b->seen & PH_BEAT_SIG) {
        PH_FUZZ_CHECK(b->sig != NULL
                      && token_only(b->sig, PH_SIG_MAX, "-_+/="));
    }
}

/* @a s percent-encoded, every byte but A-Z a-z 0-9 - _ . */
static const char *encode(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The beat written back as one canonical query parses to the same beat. */
static void check_reparse(apr_pool_t *p, const ph_beat_t *b)
{
    const char *q = "";
    ph_beat_t back;

    if (b->seen & PH_BEAT_DEVICE) {
        q = apr_pstrcat(p, q, "&device=", encode(p, b->device), NULL);
    }
    if (b->seen & PH_BEAT_T) {
        q = apr_pstrcat(p, q, "&t=", b->t_raw, NULL);
    }
    if (b->seen & PH_BEAT_BOOT) {
        q = apr_pstrcat(p, q, "&boot=", encode(p, b->boot), NULL);
    }
    if (b->seen & PH_BEAT_UP) {
        q = apr_pstrcat(p, q, "&up=", encode(p, b->up_raw), NULL);
    }
    if (b->seen & PH_BEAT_SEQ) {
        q = apr_pstrcat(p, q, "&seq=", b->seq_raw, NULL);
    }
    if (b->seen & PH_BEAT_SIG) {
        q = apr_pstrcat(p, q, "&sig=", encode(p, b->sig), NULL);
    }
    memset(&back, 0, sizeof(back));
    PH_FUZZ_CHECK(ph_beat_parse(&back, q, p) == NULL);
    PH_FUZZ_CHECK(back.seen == b->seen);
    PH_FUZZ_CHECK(!(b->seen & PH_BEAT_DEVICE) || same(back.device, b->device));
    PH_FUZZ_CHECK(!(b->seen & PH_BEAT_T) || (back.t == b->t
                                              && same(back.t_raw, b->t_raw)));
    PH_FUZZ_CHECK(!(b->seen & PH_BEAT_BOOT) || same(back.boot, b->boot));
    PH_FUZZ_CHECK(!(b->seen & PH_BEAT_UP) || (back.up == b->up
                                               && same(back.up_raw,
                                                       b->up_raw)));
    PH_FUZZ_CHECK(!(b->seen & PH_BEAT_SEQ)
                  || (back.seq == b->seq && same(back.seq_raw, b->seq_raw)));
    PH_FUZZ_CHECK(!(b->seen & PH_BEAT_SIG) || same(back.sig, b->sig));
}

/* The name rules, written out again: 1-63 of A-Z a-z 0-9 . _ -, not
 * starting with '.' or '-'. */
static int name_ok(const char *s)
{
    apr_size_t n = strlen(s), i;

    if (n < 1 || n > PH_NAME_MAX || s[0] == '.' || s[0] == '-') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_'
              || s[i] == '-')) {
            return 0;
        }
    }
    return 1;
}

static void check_device(apr_pool_t *p, const ph_beat_t *b, const char *rest)
{
    const char *path_dev = ph_beat_path_device(rest, p);
    const char *dev, *why, *msg, *want;

    if (path_dev) {
        PH_FUZZ_CHECK(*path_dev != '\0' && *path_dev != '/');
        PH_FUZZ_CHECK(strchr(path_dev, '/') == NULL);
        PH_FUZZ_CHECK(strstr(rest, path_dev) != NULL);
    }
    else {
        PH_FUZZ_CHECK(rest == NULL || strspn(rest, "/") == strlen(rest));
    }
    dev = ph_beat_device(b, path_dev);
    PH_FUZZ_CHECK(dev != NULL);
    PH_FUZZ_CHECK(dev == path_dev
                  || (!path_dev && (b->seen & PH_BEAT_DEVICE)
                      && dev == b->device)
                  || (!path_dev && !(b->seen & PH_BEAT_DEVICE)
                      && strcmp(dev, PH_DEFAULT_DEVICE) == 0));
    why = ph_name_check(dev);
    PH_FUZZ_CHECK((why == NULL) == name_ok(dev));
    if (why) {
        ph_fuzz_check_reason(why);
    }

    msg = ph_sig_message(p, dev, b);
    want = apr_pstrcat(p, "phonehome-v1\n", dev, "\n",
                       (b->seen & PH_BEAT_SEQ) ? b->seq_raw : "", "\n",
                       (b->seen & PH_BEAT_T) ? b->t_raw : "", "\n",
                       (b->seen & PH_BEAT_BOOT) ? b->boot : "", "\n",
                       (b->seen & PH_BEAT_UP) ? b->up_raw : "", NULL);
    PH_FUZZ_CHECK(strcmp(msg, want) == 0);
}

static void fuzz_beat(apr_pool_t *p, char *s)
{
    const char *rest, *query, *body, *why, *why1;
    ph_beat_t b, one;

    ph_fuzz_beat_input(s, &rest, &query, &body);

    memset(&b, 0, sizeof(b));
    why = ph_beat_parse(&b, query, p);
    if (why == NULL) {
        why = ph_beat_parse(&b, body, p);
    }

    /* Query then body is the same as one string joined by '&'. */
    memset(&one, 0, sizeof(one));
    why1 = ph_beat_parse(&one, query && body
                         ? apr_pstrcat(p, query, "&", body, NULL)
                         : query ? query : body, p);
    PH_FUZZ_CHECK(same(why, why1));

    if (why) {
        ph_fuzz_check_reason(why);
        return;
    }
    PH_FUZZ_CHECK(one.seen == b.seen);
    check_beat(&b);
    check_reparse(p, &b);
    check_device(p, &b, rest);
}

/* ------------------------------------------------------------------ */
/* Escaping                                                            */
/* ------------------------------------------------------------------ */

/* ph_text_sanitize into exactly @a size bytes (with a guard byte after
 * them): the result is a prefix of @a full, cut at a character, and as
 * long as it can be. */
static void check_sanitize_size(const char *src, const char *full,
                                apr_size_t size)
{
    char *dst = malloc(size + 1);
    apr_size_t n;

    PH_FUZZ_CHECK(dst != NULL);
    memset(dst, 'X', size + 1);
    ph_text_sanitize(dst, size, src);
    PH_FUZZ_CHECK(dst[size] == 'X');
    if (size == 0) {
        free(dst);
        return;
    }
    n = strlen(dst);
    PH_FUZZ_CHECK(n < size);
    PH_FUZZ_CHECK(strncmp(dst, full, n) == 0);
    PH_FUZZ_CHECK(full[n] == '\0' || n + ph_fuzz_utf8_len(full + n) >= size);
    free(dst);
}

static void check_sanitize(const char *s)
{
    static const apr_size_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 64,
                                        PH_UA_MAX + 1 };
    apr_size_t len = strlen(s), i;
    char *full = malloc(len + 1);

    PH_FUZZ_CHECK(full != NULL);
    ph_text_sanitize(full, len + 1, s);
    /* Room for everything: byte for byte, each bad byte a '?'. */
    PH_FUZZ_CHECK(strlen(full) == len);
    PH_FUZZ_CHECK(ph_fuzz_utf8_valid(full));
    PH_FUZZ_CHECK(!ph_fuzz_has_control(full));
    for (i = 0; i < len; ) {
        apr_size_t n = ph_fuzz_utf8_len(s + i);

        if (n == 0 || (n == 1 && ((unsigned char)s[i] < 0x20
                                  || s[i] == 0x7F))) {
            PH_FUZZ_CHECK(full[i] == '?');
            i++;
        }
        else {
            PH_FUZZ_CHECK(memcmp(full + i, s + i, n) == 0);
            i += n;
        }
    }
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        check_sanitize_size(s, full, sizes[i]);
    }
    free(full);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* What JSON should give back for @a s: itself, with U+FFFD for each byte
 * that starts no well-formed character. */
static const char *json_expect(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    while (*s) {
        apr_size_t n = ph_fuzz_utf8_len(s);

        if (n == 0) {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            s++;
        }
        else {
            memcpy(o, s, n);
            o += n;
            s += n;
        }
    }
    *o = '\0';
    return out;
}

/* Decode one JSON string literal that must be all of @a j; NULL if it is
 * not one, or not safe inside HTML. */
static const char *json_decode(apr_pool_t *p, const char *j)
{
    apr_size_t len = strlen(j);
    char *out = apr_palloc(p, len + 1), *o = out;
    const char *s;

    if (len < 2 || j[0] != '"' || j[len - 1] != '"') {
        return NULL;
    }
    for (s = j + 1; s < j + len - 1; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>'
            || c == '&') {
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        switch (*++s) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '/':
            *o++ = '/';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            int k, v = 0;

            for (k = 1; k <= 4; k++) {
                int h = s + k < j + len - 1 ? hexval(s[k]) : -1;

                if (h < 0) {
                    return NULL;
                }
                v = v * 16 + h;
            }
            s += 4;
            if (v >= 0xD800 && v <= 0xDFFF) {
                return NULL;            /* never written: no pairs */
            }
            if (v < 0x80) {
                if (v == 0) {
                    return NULL;
                }
                *o++ = (char)v;
            }
            else if (v < 0x800) {
                *o++ = (char)(0xC0 | (v >> 6));
                *o++ = (char)(0x80 | (v & 0x3F));
            }
            else {
                *o++ = (char)(0xE0 | (v >> 12));
                *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
                *o++ = (char)(0x80 | (v & 0x3F));
            }
            break;
        }
        default:
            return NULL;
        }
    }
    *o = '\0';
    return out;
}

static void check_json(apr_pool_t *p, const char *s)
{
    const char *j = ph_text_json(p, s);
    const char *back;

    PH_FUZZ_CHECK(!ph_fuzz_has_control(j));
    PH_FUZZ_CHECK(ph_fuzz_utf8_valid(j));
    PH_FUZZ_CHECK(strlen(j) <= strlen(s) * 6 + 2);
    back = json_decode(p, j);
    PH_FUZZ_CHECK(back != NULL);
    PH_FUZZ_CHECK(strcmp(back, json_expect(p, s)) == 0);
}

static void check_html(apr_pool_t *p, const char *s)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
        { "&quot;", '"' }, { "&#39;", '\'' }
    };
    const char *h = ph_text_html(p, s), *at;
    const char *src = s;

    PH_FUZZ_CHECK(strpbrk(h, "<>\"'") == NULL);
    for (at = h; *at; src++) {
        if (*at == '&') {
            apr_size_t i;

            for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
                if (strncmp(at, ents[i].ent, strlen(ents[i].ent)) == 0) {
                    break;
                }
            }
            PH_FUZZ_CHECK(i < sizeof(ents) / sizeof(ents[0]));
            PH_FUZZ_CHECK(*src == ents[i].c);
            at += strlen(ents[i].ent);
        }
        else {
            PH_FUZZ_CHECK(*src == *at);
            at++;
        }
    }
    PH_FUZZ_CHECK(*src == '\0');
}

static void check_prom(apr_pool_t *p, const char *s)
{
    const char *l = ph_text_prom_label(p, s), *at;
    const char *src = s;

    PH_FUZZ_CHECK(strchr(l, '\n') == NULL);
    for (at = l; *at; src++) {
        if (*at == '\\') {
            PH_FUZZ_CHECK(at[1] == '\\' || at[1] == '"' || at[1] == 'n');
            PH_FUZZ_CHECK(*src == (at[1] == 'n' ? '\n' : at[1]));
            at += 2;
        }
        else {
            PH_FUZZ_CHECK(*at != '"');
            PH_FUZZ_CHECK(*src == *at);
            at++;
        }
    }
    PH_FUZZ_CHECK(*src == '\0');
}

static void check_oneline(apr_pool_t *p, const char *s)
{
    const char *l = ph_text_oneline(p, s);
    apr_size_t i;

    PH_FUZZ_CHECK(strlen(l) == strlen(s));
    PH_FUZZ_CHECK(!ph_fuzz_has_control(l));
    for (i = 0; s[i]; i++) {
        PH_FUZZ_CHECK(l[i] == s[i] || l[i] == '?');
    }
}

/* A Subject value: as it is when it is short printable ASCII, else
 * encoded words of at most 39 bytes each, cut between characters where a
 * character allows it, folded with CRLF SP, that decode to the value. */
static void check_header(apr_pool_t *p, const char *s)
{
    const char *h = ph_mail_encode_header(p, s), *at = h;
    apr_size_t len = strlen(s), got = 0, prev = 0;
    int first = 1;

    if (h == s) {
        PH_FUZZ_CHECK(len <= 900);
        for (; *s; s++) {
            PH_FUZZ_CHECK(*s >= 0x20 && *s <= 0x7E);
        }
        return;
    }
    PH_FUZZ_CHECK(len > 0);
    while (*at) {
        const char *end;
        char *b64, *dec;
        int n;

        if (!first) {
            PH_FUZZ_CHECK(strncmp(at, "\r\n ", 3) == 0);
            at += 3;
        }
        first = 0;
        PH_FUZZ_CHECK(strncmp(at, "=?UTF-8?B?", 10) == 0);
        at += 10;
        end = strstr(at, "?=");
        PH_FUZZ_CHECK(end != NULL && end - at <= 52 && end > at);
        b64 = apr_pstrmemdup(p, at, (apr_size_t)(end - at));
        PH_FUZZ_CHECK(strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                             "opqrstuvwxyz0123456789+/=") == strlen(b64));
        dec = apr_palloc(p, (apr_size_t)apr_base64_decode_len(b64) + 1);
        n = apr_base64_decode(dec, b64);
        PH_FUZZ_CHECK(n > 0 && n <= 39);
        PH_FUZZ_CHECK(got + (apr_size_t)n <= len);
        PH_FUZZ_CHECK(memcmp(dec, s + got, (apr_size_t)n) == 0);
        /* A word starts inside a character only after a word of one
         * byte (a run of continuation bytes longer than a word). */
        if (got > 0 && ((unsigned char)s[got] & 0xC0) == 0x80) {
            PH_FUZZ_CHECK(prev == 1);
        }
        prev = (apr_size_t)n;
        got += (apr_size_t)n;
        at = end + 2;
    }
    PH_FUZZ_CHECK(got == len);
    for (at = h; *at; at++) {
        PH_FUZZ_CHECK((*at >= 0x20 && *at <= 0x7E)
                      || (at[0] == '\r' && at[1] == '\n' && at[2] == ' ')
                      || (at[0] == '\n' && at[-1] == '\r'));
    }
}

static void fuzz_text(apr_pool_t *p, const char *s)
{
    check_sanitize(s);
    check_json(p, s);
    check_html(p, s);
    check_prom(p, s);
    check_oneline(p, s);
    check_header(p, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = ph_fuzz_pool();

    fuzz_text(p, ph_fuzz_cstr(p, data, size));
    fuzz_beat(p, ph_fuzz_cstr(p, data, size));
    apr_pool_destroy(p);
    return 0;
}
