/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_beat.h"
#include "ph_text.h"

/* A decimal integer in [0, max], digits only: no sign, no spaces, no
 * leading '+', at most 19 digits so that it cannot overflow. */
static int ph_parse_uint(const char *s, apr_uint64_t max, apr_uint64_t *out)
{
    apr_uint64_t v = 0;
    int n = 0;

    for (; *s >= '0' && *s <= '9'; s++, n++) {
        if (n >= 19) {
            return 0;
        }
        v = v * 10 + (apr_uint64_t)(*s - '0');
    }
    if (n == 0 || *s != '\0' || v > max) {
        return 0;
    }
    *out = v;
    return 1;
}

/* /proc/uptime says "12345.67": whole seconds, fraction dropped. */
static int ph_parse_uptime(char *s, apr_int64_t *out)
{
    apr_uint64_t v;
    char *dot = strchr(s, '.');

    if (dot) {
        const char *f = dot + 1;

        if (*f == '\0' || strlen(f) > 9) {
            return 0;
        }
        for (; *f; f++) {
            if (*f < '0' || *f > '9') {
                return 0;
            }
        }
        *dot = '\0';
    }
    if (!ph_parse_uint(s, (apr_uint64_t)PH_UP_MAX, &v)) {
        return 0;
    }
    *out = (apr_int64_t)v;
    return 1;
}

static int ph_token_ok(const char *s, apr_size_t max, const char *extra)
{
    apr_size_t n = 0;

    for (; *s; s++, n++) {
        if (n >= max) {
            return 0;
        }
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || strchr(extra, *s))) {
            return 0;
        }
    }
    return n > 0;
}

static const char *ph_beat_key(ph_beat_t *b, const char *key, char *val,
                               apr_pool_t *p)
{
    apr_uint64_t u;

    if (*val == '\0' && (!strcmp(key, "device") || !strcmp(key, "t")
                         || !strcmp(key, "boot") || !strcmp(key, "up")
                         || !strcmp(key, "seq") || !strcmp(key, "sig"))) {
        return apr_psprintf(p, "parameter '%s' is empty", key);
    }
    if (strcmp(key, "device") == 0) {
        if (b->seen & PH_BEAT_DEVICE) {
            return "parameter 'device' is repeated";
        }
        b->seen |= PH_BEAT_DEVICE;
        b->device = val;            /* the name rules are checked later */
    }
    else if (strcmp(key, "t") == 0) {
        if (b->seen & PH_BEAT_T) {
            return "client time is given twice";
        }
        if (!ph_parse_uint(val, (apr_uint64_t)PH_T_MAX, &u)) {
            return "parameter 't' must be epoch seconds (0-253402300799)";
        }
        b->seen |= PH_BEAT_T;
        b->t = (apr_int64_t)u;
        b->t_raw = val;
    }
    else if (strcmp(key, "boot") == 0) {
        if (b->seen & PH_BEAT_BOOT) {
            return "parameter 'boot' is repeated";
        }
        if (!ph_token_ok(val, PH_BOOT_MAX, "-")) {
            return "parameter 'boot' must be a boot id (1-36 of A-Z a-z 0-9 -)";
        }
        b->seen |= PH_BEAT_BOOT;
        b->boot = val;
    }
    else if (strcmp(key, "up") == 0) {
        if (b->seen & PH_BEAT_UP) {
            return "parameter 'up' is repeated";
        }
        b->up_raw = apr_pstrdup(p, val);    /* parsing cuts the fraction */
        if (!ph_parse_uptime(val, &b->up)) {
            return "parameter 'up' must be an uptime in seconds";
        }
        b->seen |= PH_BEAT_UP;
    }
    else if (strcmp(key, "seq") == 0) {
        if (b->seen & PH_BEAT_SEQ) {
            return "parameter 'seq' is repeated";
        }
        if (!ph_parse_uint(val, APR_UINT64_C(9223372036854775807), &u)) {
            return "parameter 'seq' must be a non-negative integer";
        }
        b->seen |= PH_BEAT_SEQ;
        b->seq = u;
        b->seq_raw = val;
    }
    else if (strcmp(key, "sig") == 0) {
        if (b->seen & PH_BEAT_SIG) {
            return "parameter 'sig' is repeated";
        }
        if (!ph_token_ok(val, PH_SIG_MAX, "-_+/=")) {
            return "parameter 'sig' is malformed";
        }
        b->seen |= PH_BEAT_SIG;
        b->sig = val;
    }
    /* Unknown keys are ignored, so that newer clients work with us. */
    return NULL;
}

const char *ph_beat_parse(ph_beat_t *b, const char *args, apr_pool_t *p)
{
    const char *s = args;

    while (s && *s) {
        const char *end = strchr(s, '&');
        apr_size_t len = end ? (apr_size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        const char *why;

        if (len == 0) {
            s = end ? end + 1 : NULL;       /* "a=1&&b=2" */
            continue;
        }
        if (eq == NULL) {
            /* The seed's `?$(date +%s)`: a bare number is the client time. */
            char *word = ph_form_decode(s, len, p);

            if (word == NULL) {
                return "malformed percent-encoding";
            }
            if (*word >= '0' && *word <= '9') {
                why = ph_beat_key(b, "t", word, p);
                if (why) {
                    return why;
                }
            }
        }
        else {
            char *key = ph_form_decode(s, (apr_size_t)(eq - s), p);
            char *val = ph_form_decode(eq + 1, len - (apr_size_t)(eq - s) - 1,
                                       p);

            if (key == NULL || val == NULL) {
                return "malformed percent-encoding";
            }
            why = ph_beat_key(b, key, val, p);
            if (why) {
                return why;
            }
        }
        s = end ? end + 1 : NULL;
    }
    return NULL;
}

const char *ph_beat_path_device(const char *rest, apr_pool_t *p)
{
    const char *end;

    while (rest && *rest == '/') {
        rest++;
    }
    if (rest == NULL || *rest == '\0') {
        return NULL;
    }
    end = strchr(rest, '/');
    return end ? apr_pstrmemdup(p, rest, (apr_size_t)(end - rest)) : rest;
}

const char *ph_beat_device(const ph_beat_t *beat, const char *path_device)
{
    if (path_device) {
        return path_device;
    }
    if (beat->seen & PH_BEAT_DEVICE) {
        return beat->device;
    }
    return PH_DEFAULT_DEVICE;
}
