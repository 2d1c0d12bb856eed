/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Linked into the module, the unit tests and the fuzz replay only when
 * configure has --enable-sanitizers, together with the linker's
 * --wrap=apr_palloc and the others below (see Makefile.am).
 *
 * A pool hands out slices of one big block, so AddressSanitizer cannot
 * see a write a few bytes past a slice: the next slice is valid memory.
 * Here each pool allocation made by our own code is a malloc()ed block of
 * exactly its size, freed by a cleanup of its pool, so ASan sees a read or
 * write past its end, and a use after the pool is cleared or destroyed.
 *
 * --wrap only redirects calls made from the objects being linked: what
 * libapr allocates for itself (arrays, tables, hashes, the cleanup records
 * themselves) is still carved from the pool, unseen.  That is why the
 * string functions are wrapped as well, not just apr_palloc(): inside
 * libapr they call its own apr_palloc(), which --wrap does not reach.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

/* The linker's names: __real_X is the library's X, __wrap_X replaces
 * every call to X from our objects. */
char *__real_apr_pvsprintf(apr_pool_t *p, const char *fmt, va_list ap);
char *__real_apr_array_pstrcat(apr_pool_t *p, const apr_array_header_t *arr,
                               const char sep);

void *__wrap_apr_palloc(apr_pool_t *p, apr_size_t size);
void *__wrap_apr_pcalloc(apr_pool_t *p, apr_size_t size);
char *__wrap_apr_pstrdup(apr_pool_t *p, const char *s);
char *__wrap_apr_pstrndup(apr_pool_t *p, const char *s, apr_size_t n);
char *__wrap_apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n);
void *__wrap_apr_pmemdup(apr_pool_t *p, const void *m, apr_size_t n);
char *__wrap_apr_pstrcat(apr_pool_t *p, ...);
char *__wrap_apr_pvsprintf(apr_pool_t *p, const char *fmt, va_list ap);
char *__wrap_apr_psprintf(apr_pool_t *p, const char *fmt, ...);
char *__wrap_apr_array_pstrcat(apr_pool_t *p, const apr_array_header_t *arr,
                               const char sep);

static apr_status_t ph_san_free(void *mem)
{
    free(mem);
    return APR_SUCCESS;
}

/* A block of its own, freed with the pool, filled with 0xA5 as
 * t/fuzz/fuzz_alloc.h does: pool memory is not cleared, so nothing may
 * count on zeros.  Out of memory goes to the pool's abort function, as in
 * apr_palloc() (httpd's aborts). */
static void *ph_san_block(apr_pool_t *p, apr_size_t size)
{
    void *mem = malloc(size ? size : 1);

    if (mem == NULL) {
        apr_abortfunc_t abort_fn = apr_pool_abort_get(p);

        if (abort_fn != NULL) {
            abort_fn(APR_ENOMEM);
        }
        return NULL;
    }
    memset(mem, 0xA5, size ? size : 1);
    apr_pool_cleanup_register(p, mem, ph_san_free, apr_pool_cleanup_null);
    return mem;
}

static char *ph_san_strmemdup(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *d = ph_san_block(p, n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void *__wrap_apr_palloc(apr_pool_t *p, apr_size_t size)
{
    return ph_san_block(p, size);
}

/* apr_pcalloc() is a macro over apr_palloc() unless APR_POOL_DEBUG. */
void *__wrap_apr_pcalloc(apr_pool_t *p, apr_size_t size)
{
    void *mem = ph_san_block(p, size);

    if (mem != NULL) {
        memset(mem, 0, size);
    }
    return mem;
}

char *__wrap_apr_pstrdup(apr_pool_t *p, const char *s)
{
    return s ? ph_san_strmemdup(p, s, strlen(s)) : NULL;
}

char *__wrap_apr_pstrndup(apr_pool_t *p, const char *s, apr_size_t n)
{
    const char *end;

    if (s == NULL) {
        return NULL;
    }
    end = memchr(s, '\0', n);
    return ph_san_strmemdup(p, s, end ? (apr_size_t)(end - s) : n);
}

char *__wrap_apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n)
{
    return s ? ph_san_strmemdup(p, s, n) : NULL;
}

void *__wrap_apr_pmemdup(apr_pool_t *p, const void *m, apr_size_t n)
{
    void *d;

    if (m == NULL) {
        return NULL;
    }
    d = ph_san_block(p, n);
    if (d != NULL) {
        memcpy(d, m, n);
    }
    return d;
}

char *__wrap_apr_pstrcat(apr_pool_t *p, ...)
{
    va_list ap;
    const char *s;
    apr_size_t len = 0;
    char *d, *at;

    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        len += strlen(s);
    }
    va_end(ap);
    d = ph_san_block(p, len + 1);
    if (d == NULL) {
        return NULL;
    }
    at = d;
    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        apr_size_t n = strlen(s);

        memcpy(at, s, n);
        at += n;
    }
    va_end(ap);
    *at = '\0';
    return d;
}

/* APR's formatter (%pI, %pm, APR_TIME_T_FMT...) writes into the pool; the
 * result is then copied to a block of its own. */
char *__wrap_apr_pvsprintf(apr_pool_t *p, const char *fmt, va_list ap)
{
    char *s = __real_apr_pvsprintf(p, fmt, ap);

    return s ? ph_san_strmemdup(p, s, strlen(s)) : NULL;
}

char *__wrap_apr_psprintf(apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = __wrap_apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return s;
}

char *__wrap_apr_array_pstrcat(apr_pool_t *p, const apr_array_header_t *arr,
                               const char sep)
{
    char *s = __real_apr_array_pstrcat(p, arr, sep);

    return s ? ph_san_strmemdup(p, s, strlen(s)) : NULL;
}
