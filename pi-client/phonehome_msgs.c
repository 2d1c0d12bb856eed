/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdarg.h>
#include <stdio.h>

#include "phonehome_msgs.h"

static int msg_silent, msg_show_error, msg_verbose_on;
static FILE *msg_out;

void msg_setup(int silent, int show_error, int verbose)
{
    msg_silent = silent;
    msg_show_error = show_error;
    msg_verbose_on = verbose;
}

void msg_output(FILE *out)
{
    msg_out = out;
}

int msg_verbose(void)
{
    return msg_verbose_on;
}

static void msg_line(const char *fmt, va_list ap)
{
    FILE *out = msg_out ? msg_out : stderr;

    fputs("phonehome: ", out);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    fflush(out);
}

void usagef(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_line(fmt, ap);
    va_end(ap);
}

/* Errors go to stderr unless -s: cron mails what a job prints. */
void errorf(const char *fmt, ...)
{
    va_list ap;

    if (msg_silent && !msg_show_error) {
        return;
    }
    va_start(ap, fmt);
    msg_line(fmt, ap);
    va_end(ap);
}

void notef(const char *fmt, ...)
{
    va_list ap;

    if (!msg_verbose_on) {
        return;
    }
    va_start(ap, fmt);
    msg_line(fmt, ap);
    va_end(ap);
}
