/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ph_wire.h"
#include "phonehome_reply.h"

size_t reply_on_body(char *data, size_t size, size_t n, void *baton)
{
    reply_t *reply = baton;
    size_t len = size * n;
    size_t room = sizeof(reply->text) - 1 - reply->len;

    /* Keep the start, which has the reason; drop the rest. */
    if (len < room) {
        room = len;
    }
    memcpy(reply->text + reply->len, data, room);
    reply->len += room;
    reply->text[reply->len] = '\0';
    return len;
}

size_t reply_on_header(char *data, size_t size, size_t n, void *baton)
{
    reply_t *reply = baton;
    size_t len = size * n, i = 0, spaces = 0, out = 0;

    /* "HTTP/1.1 404 Not Found": the words after the code. */
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        while (i < len && spaces < 2) {
            if (data[i++] == ' ') {
                spaces++;
            }
        }
        while (i < len && data[i] != '\r' && data[i] != '\n'
               && out < sizeof(reply->status_reason) - 1) {
            reply->status_reason[out++] = data[i++];
        }
        reply->status_reason[out] = '\0';
    }
    return len;
}

static int is_plain_text(const char *ctype)
{
    return ctype && strncasecmp(ctype, "text/plain", 10) == 0;
}

void reply_reason(const reply_t *reply, const char *ctype, char *out,
                  size_t size)
{
    const char *src = reply->text;
    size_t i, n = 0;

    /* An HTML error page's first line says nothing; its status line does. */
    if (reply->len == 0 || src[strspn(src, " \t\r\n")] == '\0'
        || (ctype && !is_plain_text(ctype))) {
        src = reply->status_reason;
    }
    for (i = 0; src[i] && src[i] != '\r' && src[i] != '\n' && n + 4 < size;
         i++) {
        if (n >= REASON_MAX) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        out[n++] = (src[i] >= ' ' && src[i] < 0x7F) ? src[i] : '?';
    }
    out[n] = '\0';
}

/* A decimal number of at most 20 digits that fits: no sign, no space. */
static const char *parse_seq(const char *p, unsigned long long *out)
{
    char *end;

    if (*p < '0' || *p > '9') {
        return NULL;
    }
    errno = 0;
    *out = strtoull(p, &end, 10);
    return errno ? NULL : end;
}

int reply_last_seq(const reply_t *reply, const char *ctype,
                   unsigned long long sent, unsigned long long *last)
{
    static const char head[] = PH_WIRE_STALE_SEQ;
    static const char mid[] = PH_WIRE_STALE_ABOVE;
    const char *p = reply->text;
    unsigned long long n, m;

    if (!is_plain_text(ctype) || strncmp(p, head, sizeof(head) - 1) != 0) {
        return 0;
    }
    p = parse_seq(p + sizeof(head) - 1, &n);
    if (p == NULL || n != sent || strncmp(p, mid, sizeof(mid) - 1) != 0) {
        return 0;
    }
    p = parse_seq(p + sizeof(mid) - 1, &m);
    if (p == NULL || p[strspn(p, "\r\n")] != '\0' || m < sent) {
        return 0;
    }
    *last = m;
    return 1;
}
