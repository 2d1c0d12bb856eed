/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_downtime.h
 * @brief The monitor's own downtime (issue 15 item 5): the "alive" stamp
 *        kept in PhoneHomeStateDir, the decision whether a cold start
 *        follows a gap worth telling, the one notice that tells it, and the
 *        short history of recent downtimes the status page shows.  Nothing
 *        here does I/O.
 *
 * The stamp is one fixed record, rewritten in place (pwrite at offset 0)
 * every few seconds by the detection watchdog, and marked "stopped" by
 * the parent at a clean stop.  It holds wall time: it must mean something
 * after a reboot.
 */

#ifndef PH_DOWNTIME_H
#define PH_DOWNTIME_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/** The stamp's size: always written whole, at offset 0. */
#define PH_ALIVE_RECORD     40

/** How often the watchdog rewrites the stamp (monotonic). */
#define PH_ALIVE_EVERY      apr_time_from_sec(5)

/** Every this many writes of the stamp, one fdatasync (about a minute):
 *  a power cut loses at most that much of it, and no write storms. */
#define PH_ALIVE_SYNC_EVERY 12

/** Downtimes kept in the history file and shown on the status page. */
#define PH_DOWNTIMES_KEEP   10

/** Names of each list the notice gives; the rest are counted. */
#define PH_NOTICE_NAMES     50

/** The first line of a channel's outbox message that is a notice, not
 *  events. */
#define PH_NOTICE_MARK      "#notice"

typedef struct ph_alive_t {
    apr_time_t  at;                 /* wall clock */
    int         clean;              /* 1: "stopped" (a clean stop) */
} ph_alive_t;

/** The record for @a at: "alive <usec>" or "stopped <usec>", padded with
 *  spaces, ended by a newline; exactly PH_ALIVE_RECORD bytes, no NUL. */
void ph_alive_format(char *out, apr_time_t at, int clean);

/** Parse a stamp (the file's first bytes); NULL or why it is not one. */
const char *ph_alive_parse(const char *buf, apr_size_t len, ph_alive_t *a);

/**
 * The monitor's gap at a cold start at @a now: from the last stamp to now,
 * if that is longer than @a shortest (the shortest MaxAge: then some device
 * may have gone silent unheard); else 0.  A stamp in the future (the clock
 * stepped back while httpd was stopped) is no gap.
 */
apr_interval_time_t ph_downtime_gap(const ph_alive_t *a, apr_time_t now,
                                    apr_interval_time_t shortest);

/** One downtime of the monitor, as the history keeps it. */
typedef struct ph_downtime_t {
    apr_time_t   stopped;           /* the last stamp (wall) */
    apr_time_t   back;              /* the cold start (wall) */
    int          clean;             /* a clean stop, or a crash/power cut */
    apr_uint32_t nback;             /* devices heard again in the grace */
    apr_uint32_t nsilent;           /* devices still silent: now down */
    apr_uint32_t nwaiting;          /* still silent, within their MaxAge */
} ph_downtime_t;

/** One history line (no newline): "v1 stopped back clean nback nsilent
 *  nwaiting", times in epoch seconds. */
const char *ph_downtime_format(apr_pool_t *p, const ph_downtime_t *d);

/** Parse one history line; NULL or why it is not one. */
const char *ph_downtime_parse(const char *line, ph_downtime_t *d);

/** The downtimes of a history file's text (NULL: none), oldest first, at
 *  most PH_DOWNTIMES_KEEP (the newest); lines that do not parse are
 *  left out. */
apr_array_header_t *ph_downtimes_read(apr_pool_t *p, const char *text);

/** The history file's new text: the newest PH_DOWNTIMES_KEEP - 1 of
 *  @a old and @a d; bounded whatever @a old holds. */
const char *ph_downtimes_add(apr_pool_t *p, const char *old,
                             const ph_downtime_t *d);

/** The notice's content. */
typedef struct ph_notice_t {
    const char               *monitor;  /* PhoneHomeMonitorName */
    ph_downtime_t             dt;
    const apr_array_header_t *back;     /* const char *: at most
                                         * PH_NOTICE_NAMES display names */
    const apr_array_header_t *silent;   /* the same, devices now down */
} ph_notice_t;

/** "Monitor was down for 1 h 2 min (Raspberry Pi phone home)" */
const char *ph_notice_subject(apr_pool_t *p, const ph_notice_t *n);

/** The body, LF-ended lines; bounded: counts and at most PH_NOTICE_NAMES
 *  names of each list (names are at most 63 bytes and the monitor's name
 *  is configuration), so it stays under PH_NOTICE_MAX. */
const char *ph_notice_text(apr_pool_t *p, const ph_notice_t *n);

/** An upper bound of ph_notice_text's length with display names of at most
 *  200 bytes and a monitor name of at most 200. */
#define PH_NOTICE_MAX       (3 * 1024 + 2 * PH_NOTICE_NAMES * 204)

/** A channel's outbox message for a notice. */
const char *ph_notice_pack(apr_pool_t *p, const char *title,
                           const char *text);

/** Whether @a message is a packed notice; then its title and text. */
int ph_notice_unpack(apr_pool_t *p, const char *message, const char **title,
                     const char **text);

#endif /* PH_DOWNTIME_H */
