/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* What the fuzz targets share: APR set up once, a pool per input, copies
 * of the input in memory of their own, and reference checks. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "fuzz.h"
#include "fuzz_alloc.h"

static apr_pool_t *ph_fuzz_root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&ph_fuzz_root, NULL) != APR_SUCCESS) {
        fprintf(stderr, "fuzz: cannot initialise APR\n");
        exit(1);
    }
    atexit(apr_terminate);
    return 0;
}

apr_pool_t *ph_fuzz_pool(void)
{
    apr_pool_t *p;

    if (ph_fuzz_root == NULL) {
        LLVMFuzzerInitialize(NULL, NULL);
    }
    if (apr_pool_create(&p, ph_fuzz_root) != APR_SUCCESS) {
        ph_fuzz_fail(__FILE__, __LINE__, "apr_pool_create");
    }
    return p;
}

static apr_status_t ph_fuzz_free(void *mem)
{
    free(mem);
    return APR_SUCCESS;
}

char *ph_fuzz_alloc(apr_pool_t *p, size_t size)
{
    char *mem = malloc(size ? size : 1);

    if (mem == NULL) {
        ph_fuzz_fail(__FILE__, __LINE__, "out of memory");
    }
    memset(mem, 0xA5, size ? size : 1);
    apr_pool_cleanup_register(p, mem, ph_fuzz_free, apr_pool_cleanup_null);
    return mem;
}

/* See fuzz_alloc.h: only the clang build calls it. */
void *ph_fuzz_palloc(apr_pool_t *p, apr_size_t size)
{
    return ph_fuzz_alloc(p, size);
}

char *ph_fuzz_cstr(apr_pool_t *p, const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *s = ph_fuzz_alloc(p, n + 1);

    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

char *ph_fuzz_copy(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char *s = ph_fuzz_alloc(p, size);

    if (size) {
        memcpy(s, data, size);
    }
    return s;
}

void ph_fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "fuzz: %s:%d: invariant broken: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

apr_size_t ph_fuzz_utf8_len(const char *str)
{
    /* For each lead byte, the range of the second byte; the others are
     * 80..BF (Unicode 15, table 3-7). */
    static const struct {
        unsigned char lo, hi, len, min2, max2;
    } form[] = {
        { 0x00, 0x7F, 1, 0, 0 },
        { 0xC2, 0xDF, 2, 0x80, 0xBF },
        { 0xE0, 0xE0, 3, 0xA0, 0xBF },
        { 0xE1, 0xEC, 3, 0x80, 0xBF },
        { 0xED, 0xED, 3, 0x80, 0x9F },
        { 0xEE, 0xEF, 3, 0x80, 0xBF },
        { 0xF0, 0xF0, 4, 0x90, 0xBF },
        { 0xF1, 0xF3, 4, 0x80, 0xBF },
        { 0xF4, 0xF4, 4, 0x80, 0x8F }
    };
    const unsigned char *s = (const unsigned char *)str;
    apr_size_t i, k;

    for (i = 0; i < sizeof(form) / sizeof(form[0]); i++) {
        if (s[0] < form[i].lo || s[0] > form[i].hi) {
            continue;
        }
        if (form[i].len == 1) {
            return 1;
        }
        if (s[1] < form[i].min2 || s[1] > form[i].max2) {
            return 0;
        }
        for (k = 2; k < form[i].len; k++) {
            if (s[k] < 0x80 || s[k] > 0xBF) {
                return 0;
            }
        }
        return form[i].len;
    }
    return 0;
}

int ph_fuzz_utf8_valid(const char *s)
{
    while (*s) {
        apr_size_t n = ph_fuzz_utf8_len(s);

        if (n == 0) {
            return 0;
        }
        s += n;
    }
    return 1;
}

int ph_fuzz_has_control(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7F) {
            return 1;
        }
    }
    return 0;
}

void ph_fuzz_check_reason(const char *why)
{
    PH_FUZZ_CHECK(why != NULL && *why != '\0');
    PH_FUZZ_CHECK(!ph_fuzz_has_control(why));
}

void ph_fuzz_beat_input(char *s, const char **path, const char **query,
                        const char **body)
{
    char *nl;

    *path = NULL;
    if (*s == '/') {
        *path = s;
        nl = strchr(s, '\n');
        if (nl == NULL) {
            *query = *body = NULL;
            return;
        }
        *nl = '\0';
        s = nl + 1;
    }
    *query = s;
    nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        *body = nl + 1;
    }
    else {
        *body = NULL;
    }
}
