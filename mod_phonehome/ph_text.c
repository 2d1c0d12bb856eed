/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_text.h"

/* Length of the well-formed UTF-8 sequence at @a s (1-4), or 0.  Overlong
 * forms, surrogates and code points above U+10FFFF are not well-formed. */
static apr_size_t ph_utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80
            || (c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F)) {
            return 0;
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80
            || (s[3] & 0xC0) != 0x80
            || (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

void ph_text_sanitize(char *dst, apr_size_t size, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    apr_size_t o = 0;

    if (size == 0) {
        return;
    }
    while (*s) {
        apr_size_t n = ph_utf8_len(s);

        if (n == 1 && (*s < 0x20 || *s == 0x7F)) {
            n = 0;
        }
        if (n == 0) {
            if (o + 1 >= size) {
                break;
            }
            dst[o++] = '?';
            s++;
            continue;
        }
        if (o + n >= size) {
            break;
        }
        memcpy(dst + o, s, n);
        o += n;
        s += n;
    }
    dst[o] = '\0';
}

const char *ph_text_json(apr_pool_t *p, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    /* Worst case: every byte becomes \ufffd (6) plus the quotes. */
    char *out = apr_palloc(p, strlen(src) * 6 + 3);
    apr_size_t o = 0;

    out[o++] = '"';
    while (*s) {
        apr_size_t n = ph_utf8_len(s);

        if (n == 0) {
            memcpy(out + o, "\\ufffd", 6);
            o += 6;
            s++;
            continue;
        }
        if (n > 1) {
            memcpy(out + o, s, n);
            o += n;
            s += n;
            continue;
        }
        switch (*s) {
        case '"':
            out[o++] = '\\';
            out[o++] = '"';
            break;
        case '\\':
            out[o++] = '\\';
            out[o++] = '\\';
            break;
        case '\n':
            out[o++] = '\\';
            out[o++] = 'n';
            break;
        case '\r':
            out[o++] = '\\';
            out[o++] = 'r';
            break;
        case '\t':
            out[o++] = '\\';
            out[o++] = 't';
            break;
        default:
            if (*s < 0x20 || *s == 0x7F || *s == '<' || *s == '>'
                || *s == '&') {
                apr_snprintf(out + o, 7, "\\u%04x", *s);
                o += 6;
            }
            else {
                out[o++] = (char)*s;
            }
        }
        s++;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

const char *ph_text_html(apr_pool_t *p, const char *src)
{
    char *out = apr_palloc(p, strlen(src) * 6 + 1);
    apr_size_t o = 0;

    for (; *src; src++) {
        const char *rep;

        switch (*src) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            out[o++] = *src;
            continue;
        }
        memcpy(out + o, rep, strlen(rep));
        o += strlen(rep);
    }
    out[o] = '\0';
    return out;
}

const char *ph_text_prom_label(apr_pool_t *p, const char *src)
{
    char *out = apr_palloc(p, strlen(src) * 2 + 1);
    apr_size_t o = 0;

    for (; *src; src++) {
        if (*src == '\\' || *src == '"') {
            out[o++] = '\\';
            out[o++] = *src;
        }
        else if (*src == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        }
        else {
            out[o++] = *src;
        }
    }
    out[o] = '\0';
    return out;
}

const char *ph_text_oneline(apr_pool_t *p, const char *src)
{
    char *out = apr_pstrdup(p, src);
    char *c, *end = out;

    /* A reply's line ending (SMTP, HTTP) is not part of its text. */
    for (c = out; *c; c++) {
        if (*c != '\r' && *c != '\n') {
            end = c + 1;
        }
        if ((unsigned char)*c < 0x20 || *c == 0x7F) {
            *c = '?';
        }
    }
    *end = '\0';
    return out;
}

static int ph_hexval(char c)
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

char *ph_form_decode(const char *s, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i, o = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        }
        else if (s[i] == '%') {
            int hi, lo;

            if (i + 2 >= len) {
                return NULL;
            }
            hi = ph_hexval(s[i + 1]);
            lo = ph_hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        }
        else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}
