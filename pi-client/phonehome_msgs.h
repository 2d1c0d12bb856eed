/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * phonehome's one way to print: every message is one line on stderr that
 * starts with "phonehome: ".  Three kinds, so that -s, -S and -v decide in
 * one place what is shown:
 *
 *   usagef   bad input (exit 2): always shown, -s or not
 *   errorf   a beat that failed: hidden by -s unless -S is given too
 *   notef    what -v tells: what is sent and answered
 */

#ifndef PHONEHOME_MSGS_H
#define PHONEHOME_MSGS_H

#include <stdio.h>

/** What the options say about messages; until called, errors show. */
void msg_setup(int silent, int show_error, int verbose);

/** Where messages go (stderr unless the unit tests say otherwise). */
void msg_output(FILE *out);

/** Whether -v is in force (for callers that prepare a costly note). */
int msg_verbose(void);

void usagef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* PHONEHOME_MSGS_H */
