/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ph_wire.h"
#include "phonehome_msgs.h"
#include "phonehome_state.h"

unsigned long long state_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (unsigned long long)ts.tv_sec * 1000ULL
           + (unsigned long long)ts.tv_nsec / 1000000ULL;
}

/* The last seq saved, or 0 when there is none (the clock then leads). */
static unsigned long long state_load(const seq_state_t *st)
{
    char buf[32];
    unsigned long long v;
    char *end;
    FILE *f;

    if (st->ignore_file || (f = fopen(st->path, "r")) == NULL) {
        return 0;
    }
    if (fgets(buf, sizeof(buf), f) == NULL) {
        buf[0] = '\0';
    }
    fclose(f);
    errno = 0;
    v = strtoull(buf, &end, 10);
    return (errno || end == buf) ? 0 : v;
}

/*
 * Save seq with a temp file and a rename, so a reader sees the old or the
 * new number, never half of one.  No fsync: an SD card would wear for a
 * number the clock and the server's 409 answer can give back anyway.
 */
static void state_save(seq_state_t *st, unsigned long long seq)
{
    size_t size = strlen(st->path) + 32;
    char *tmp = malloc(size), text[32];
    int fd = -1, len, ok;

    len = snprintf(text, sizeof(text), "%llu\n", seq);
    if (tmp) {
        snprintf(tmp, size, "%s.%ld.tmp", st->path, (long)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    ok = fd >= 0 && write(fd, text, (size_t)len) == len;
    if (fd >= 0 && close(fd) != 0) {
        ok = 0;
    }
    if (ok && rename(tmp, st->path) != 0) {
        ok = 0;
    }
    if (ok) {
        st->ignore_file = 0;
    }
    else {
        if (!st->warned) {
            notef("cannot save seq to %s: %s (going on without it)",
                  st->path, strerror(errno));
        }
        st->warned = 1;
        if (fd >= 0) {
            unlink(tmp);
        }
    }
    free(tmp);
}

unsigned long long state_next(seq_state_t *st)
{
    unsigned long long seq = state_load(st), now = state_now_ms();

    if (seq < st->last) {
        seq = st->last;
    }
    seq++;
    if (seq < now) {
        seq = now;
    }
    st->last = seq;
    state_save(st, seq);
    return seq;
}

int state_resync_ok(unsigned long long last, unsigned long long now_ms)
{
    return last < now_ms + PH_SEQ_RESYNC_MARGIN_MS;
}

int state_resync(seq_state_t *st, unsigned long long last,
                 unsigned long long now_ms)
{
    if (!state_resync_ok(last, now_ms)) {
        return 0;
    }
    if (last >= st->last) {
        st->last = last;
    }
    return 1;
}
