/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_mail.h
 * @brief Composing an alert mail: the seed's subject and body lines, then
 *        what we know, as an RFC 5322 message with CRLF line ends.
 *
 * One event makes the seed's mail ("Error : Raspberry Pi phone home");
 * several events of the same kind for the same recipients make a digest
 * ("Error : 37 devices (Raspberry Pi phone home)").  Every header value is
 * either configuration (checked at startup) or a checked device name, and
 * the Subject is RFC 2047-encoded when it is not plain ASCII, so nothing a
 * device sends can add a header or break a line.
 */

#ifndef PH_MAIL_H
#define PH_MAIL_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "ph_event.h"

/** The longest line of a composed mail, CRLF not counted (RFC 5321): a
 *  longer body line is broken, at a space where one is near. */
#define PH_MAIL_LINE_MAX    998

typedef struct ph_mail_t {
    const char               *from;
    const apr_array_header_t *to;           /* const char * */
    const char               *monitor;      /* PhoneHomeMonitorName */
    apr_time_t                now;
    int                       n;            /* events, all of one word */
    const ph_event_t * const *events;
    const char * const       *displays;     /* display name of each */
    const char               *msgid;        /* unique part of Message-ID */
    /* A part of a digest too big for one message (ph_mail_split), or a
     * summary naming only the first devices (channels): all 0 otherwise. */
    int                       total;        /* devices in the whole digest */
    int                       first;        /* index of events[0] in it */
    int                       part;         /* 1..parts */
    int                       parts;
    /* A notice that is not about events (n is 0): its title and text, for
     * the channels (ph_notify_text); NULL for events. */
    const char               *title;
    const char               *text;
} ph_mail_t;

/** The largest alert mail (headers and body, as sent): a digest bigger
 *  than this is split into parts (ph_mail_split), each under it. */
#define PH_MAIL_PART_MAX    (256 * 1024)

/** The Subject, unencoded (for logs and the outbox's own index). */
const char *ph_mail_subject(apr_pool_t *p, const ph_mail_t *m);

/** The whole message: headers, blank line, body; CRLF line ends. */
const char *ph_mail_compose(apr_pool_t *p, const ph_mail_t *m);

/**
 * A digest as the mails to send, each at most @a max bytes as composed
 * (ph_mail_compose): @a m itself when it fits, else parts of consecutive
 * devices, one line each ("Error : 20000 devices (monitor), part 2 of 9"),
 * every device in exactly one part (a single part too: parts is then 1,
 * and it is composed one line a device, without "part 1 of 1").  @a max
 * must leave room for the
 * header and one device line (PH_MAIL_PART_MAX does).
 * @return the number of parts, in *parts (ph_mail_t, sharing m's arrays)
 */
int ph_mail_split(apr_pool_t *p, const ph_mail_t *m, apr_size_t max,
                  ph_mail_t **parts);

/** The length in a part of device @a i of @a m (its line and separator). */
typedef apr_size_t ph_mail_len_fn(apr_pool_t *p, const ph_mail_t *m, int i);

/**
 * The one split of a digest's devices into parts (mail and webhook):
 * greedy, as many consecutive devices as fit in @a max bytes after a head
 * of at most @a head bytes, each device's length from @a len_of; every
 * part gets total, first, n, part and parts, and with @a msgids its own
 * Message-ID ("<msgid>.<part>").
 * @return the number of parts, in *parts (sharing m's arrays)
 */
int ph_mail_parts(apr_pool_t *p, const ph_mail_t *m, apr_size_t head,
                  apr_size_t max, ph_mail_len_fn *len_of, int msgids,
                  ph_mail_t **parts);

/** The Subject of the hour's notice of @a folded alert events of
 *  undeclared devices that were held back (PhoneHomeArmAfter's cap). */
const char *ph_mail_folded_subject(apr_pool_t *p, const char *monitor,
                                   unsigned int folded);

/** That notice, whole (@a m's from, to, monitor, now and msgid; no events);
 *  @a cap is the hourly cap. */
const char *ph_mail_folded(apr_pool_t *p, const ph_mail_t *m,
                           unsigned int folded, unsigned int cap);

/** A notice of @a text (LF-ended lines, no line starting with a dot
 *  alone) under @a subject: @a m's from, to, now and msgid; no events. */
const char *ph_mail_notice(apr_pool_t *p, const ph_mail_t *m,
                           const char *subject, const char *text);

/** A Subject header value, RFC 2047-encoded if it is not plain ASCII. */
const char *ph_mail_encode_header(apr_pool_t *p, const char *value);

/** The seed's "Additional info" for one event, without the label. */
const char *ph_mail_info(apr_pool_t *p, const ph_event_t *e);

/** The first line about one event: "<display> is now in state: Error",
 *  "<display> is flapping: 4 changes of state within 1 min", "<display>
 *  stopped flapping: up since <date>". */
const char *ph_mail_headline(apr_pool_t *p, const char *display,
                             const ph_event_t *e);

/** "1 h 2 min 5 s" */
const char *ph_mail_duration(apr_pool_t *p, apr_int64_t seconds);

#endif /* PH_MAIL_H */
