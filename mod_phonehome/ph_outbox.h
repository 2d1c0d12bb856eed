/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_outbox.h
 * @brief One outgoing alert as a file in the outbox: a short header of our
 *        own (recipients, attempts, when to try next, the last error), a
 *        blank line, then the message exactly as it will be sent.
 *
 *     PHMAIL 1
 *     created 1795592886000000
 *     attempts 2
 *     next 1795592901000000
 *     subject Error : Raspberry Pi phone home
 *     error 451 try again later
 *     rcpt me@example.com
 *     rcpt 9085551234@vtext.com
 *
 *     Date: ...
 *
 * A notification for a channel (PhoneHomeNotify) has "channel NAME"
 * instead of rcpt lines, and its message is the events it reports, one
 * queue line each (ph_event.h): the request is built from them, with the
 * channel's secrets, at every attempt, so no secret is ever written here.
 */

#ifndef PH_OUTBOX_H
#define PH_OUTBOX_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#define PH_OUTBOX_SUFFIX    ".mail"
#define PH_OUTBOX_MAX       (1024 * 1024)   /* largest outbox file read */
/* What we write is far smaller: a mail at most PH_MAIL_PART_MAX, a
 * channel's part at most PH_NOTIFY_JSON_MAX of JSON, its events as queue
 * lines (shorter).  A bigger file is not ours: to dead/, PH00150. */

typedef struct ph_outbox_item_t {
    apr_time_t          created;
    apr_time_t          next;           /* next attempt, 0 = at once */
    unsigned int        attempts;
    const char         *subject;        /* one line, for logs */
    const char         *error;          /* last error, one line, or NULL */
    apr_array_header_t *rcpt;           /* const char *; none for a channel */
    const char         *channel;        /* a channel's name, or NULL */
    const char         *message;        /* RFC 5322, CRLF */
    int                 total;          /* a channel's digest split or cut */
    int                 part;           /* short: "total N", "part P of N" */
    int                 parts;          /* 0 when whole */
} ph_outbox_item_t;

/** The file's text for @a item. */
const char *ph_outbox_format(apr_pool_t *p, const ph_outbox_item_t *item,
                             apr_size_t *len);

/** Parse an outbox file; NULL on success, else why it is not one. */
const char *ph_outbox_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                            ph_outbox_item_t *item);

/** How long to wait after the @a attempts-th failure: 5 s, doubling, at
 *  most @a cap. */
apr_interval_time_t ph_outbox_backoff(unsigned int attempts,
                                      apr_interval_time_t cap);

/**
 * Whether the queue's digest window has passed.  Queue files are named
 * "<monotonic usec>-<pid>-<n>.ev" (detection's clock), so a step of the
 * wall clock neither holds a digest back nor sends it early.  A stamp
 * after @a now is from another boot (or an older layout): due at once.
 * @param names  the queue's file names (const char *)
 */
int ph_queue_due(const apr_array_header_t *names, apr_time_t now,
                 apr_interval_time_t window);

/**
 * Whether an item waiting for @a next may be tried at @a now (wall
 * clocks, as the file keeps them): when it is due, or when its wait
 * reaches past @a cap from now, which no backoff asks for, so the clock
 * stepped back: a step never delays a retry.
 */
int ph_outbox_due(apr_time_t next, apr_time_t now, apr_interval_time_t cap);

/** What becomes of an outbox file after an attempt (ph_outbox_settle). */
typedef enum {
    PH_OUTBOX_SENT = 0,     /**< delivered: remove the file */
    PH_OUTBOX_RETRY,        /**< not yet: try again at item->next */
    PH_OUTBOX_REFUSED,      /**< refused for good: to dead/ at once */
    PH_OUTBOX_EXPIRED       /**< retried for the whole period: to dead/ */
} ph_outbox_fate_e;

/**
 * Decide an attempt's outcome, for mail and channels alike.  @a why is
 * NULL when the attempt succeeded, else the one-line reason; @a permanent
 * when the server refused for good.  On failure @a item is updated for the
 * file: one more attempt, the error, and the next attempt after the
 * backoff (at most @a cap) or @a retry_after when that is longer (-1:
 * none asked for).  A refusal wins over an expired @a retry_period
 * (counted from item->created, wall clocks as the file keeps them).
 */
ph_outbox_fate_e ph_outbox_settle(ph_outbox_item_t *item, const char *why,
                                  int permanent, apr_time_t now,
                                  apr_interval_time_t retry_period,
                                  apr_interval_time_t cap,
                                  apr_interval_time_t retry_after);

/**
 * The channel name in a notification's file name, "<id>.<channel>.notify"
 * (what lies between the first and the last dot), copied into @a name of
 * @a size bytes; 0 when the name has no such part or it does not fit.
 */
int ph_outbox_file_channel(const char *fname, char *name, apr_size_t size);

#endif /* PH_OUTBOX_H */
