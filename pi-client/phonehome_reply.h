/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The server's answer: the start of its body and its status line (kept by
 * libcurl's callbacks), the one-line reason shown to the user, and the
 * last seq a 409 names.  No libcurl calls: unit-tested on its own.
 */

#ifndef PHONEHOME_REPLY_H
#define PHONEHOME_REPLY_H

#include <stddef.h>

#define REASON_MAX          200

typedef struct {
    char   text[512];           /* the start of the body */
    size_t len;
    char   status_reason[128];  /* from the status line, for empty bodies */
} reply_t;

/** libcurl's CURLOPT_WRITEFUNCTION, with a reply_t as its data. */
size_t reply_on_body(char *data, size_t size, size_t n, void *baton);

/** libcurl's CURLOPT_HEADERFUNCTION, with a reply_t as its data. */
size_t reply_on_header(char *data, size_t size, size_t n, void *baton);

/** The server's one-line reason, printable, cut at REASON_MAX. */
void reply_reason(const reply_t *reply, const char *ctype, char *out,
                  size_t size);

/**
 * The seq the server says it has, from a 409 answer to a beat with seq
 * @a sent: the body must be the server's own plain-text line,
 * "replayed or old beat: seq SENT is not above M", with M above SENT.
 * Returns 1 and M, or 0 for any other answer.
 */
int reply_last_seq(const reply_t *reply, const char *ctype,
                   unsigned long long sent, unsigned long long *last);

#endif /* PHONEHOME_REPLY_H */
