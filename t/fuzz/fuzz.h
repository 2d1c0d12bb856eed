/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file fuzz.h
 * @brief What the fuzz targets in t/fuzz share.
 *
 * Each target is one file with LLVMFuzzerTestOneInput().  bench/fuzz.sh
 * links it with libFuzzer (clang); `make check` links it with replay.c,
 * which runs it over the inputs in t/fuzz/corpus/<target>/.  A broken
 * invariant calls abort(), which both treat as a crash.
 */

#ifndef PH_FUZZ_H
#define PH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <apr.h>
#include <apr_pools.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** A fresh pool for one input; destroy it at the end of the input. */
apr_pool_t *ph_fuzz_pool(void);

/** @a size bytes (at least one) of memory of their own, freed with @a p:
 *  AddressSanitizer sees a byte read or written past them. */
char *ph_fuzz_alloc(apr_pool_t *p, size_t size);

/** The input as a NUL-terminated string (a NUL inside ends it early), in
 *  memory of its own so that AddressSanitizer sees a read past its end;
 *  freed with @a p. */
char *ph_fuzz_cstr(apr_pool_t *p, const uint8_t *data, size_t size);

/** The input as it is, without a NUL: exactly @a size bytes of memory of
 *  its own (at least one), freed with @a p. */
char *ph_fuzz_copy(apr_pool_t *p, const uint8_t *data, size_t size);

/** Report a broken invariant and abort(). */
void ph_fuzz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

#define PH_FUZZ_CHECK(cond) \
    ((cond) ? (void)0 : ph_fuzz_fail(__FILE__, __LINE__, #cond))

/** Length of the well-formed UTF-8 character at @a s (1-4), or 0 when the
 *  byte starts none; a reference written from the Unicode table of
 *  well-formed byte sequences, independent of ph_text.c. */
apr_size_t ph_fuzz_utf8_len(const char *s);

/** Whether @a s is well-formed UTF-8. */
int ph_fuzz_utf8_valid(const char *s);

/** Whether @a s holds a C0 control character or DEL. */
int ph_fuzz_has_control(const char *s);

/** A reason from the core: a non-empty line of printable text. */
void ph_fuzz_check_reason(const char *why);

/**
 * Split a beat input: an optional first line starting with '/' is the
 * rest of the path after the Location; then the query string up to the
 * next newline, and the body after it (NULL when there is no newline).
 */
void ph_fuzz_beat_input(char *s, const char **path, const char **query,
                        const char **body);

#endif /* PH_FUZZ_H */
