/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The seq: a counter that only grows, kept in the state file between runs
 * and never below the clock in milliseconds, so that a server which raised
 * a device's floor to its own clock at a restart is passed by the next
 * beat.  A 409 can move it up, but never beyond the clock plus
 * PH_SEQ_RESYNC_MARGIN_MS: no answer can lock the client out.
 */

#ifndef PHONEHOME_STATE_H
#define PHONEHOME_STATE_H

typedef struct {
    char               *path;       /* the state file */
    unsigned long long  last;       /* the highest seq used so far */
    int                 ignore_file; /* --reset-seq: until the next save */
    int                 warned;
} seq_state_t;

unsigned long long state_now_ms(void);

/** The next seq: above every one used before, at least the clock in ms. */
unsigned long long state_next(seq_state_t *st);

/**
 * Whether a server's claim that it has seq @a last may be believed at
 * clock @a now_ms; then the next seq is @a last + 1 and is saved.
 */
int state_resync(seq_state_t *st, unsigned long long last,
                 unsigned long long now_ms);

/** Whether @a last is a seq a resync may move to at @a now_ms. */
int state_resync_ok(unsigned long long last, unsigned long long now_ms);

#endif /* PHONEHOME_STATE_H */
