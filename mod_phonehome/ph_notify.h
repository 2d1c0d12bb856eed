/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_notify.h
 * @brief Alert channels beyond mail: a generic JSON webhook, ntfy, Gotify,
 *        Pushover, Telegram, Slack-style incoming webhooks and Matrix.
 *
 * A channel is one PhoneHomeNotify line: a name, a URL and options.  This
 * file checks the line, and turns a transition (or a digest of several)
 * into the HTTP request the channel's service expects: method, URL,
 * headers and body.  Secrets (tokens, a secret URL) are read from files
 * by the glue at startup and kept in memory only: the outbox stores the
 * channel's name and the events, and the request is built again, with the
 * secret, for every attempt.  Nothing here does I/O.
 */

#ifndef PH_NOTIFY_H
#define PH_NOTIFY_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "ph_mail.h"

typedef enum {
    PH_NOTIFY_WEBHOOK = 0,          /* POST of our JSON document */
    PH_NOTIFY_NTFY,
    PH_NOTIFY_GOTIFY,
    PH_NOTIFY_PUSHOVER,
    PH_NOTIFY_TELEGRAM,
    PH_NOTIFY_SLACK,                /* also Mattermost, Rocket.Chat */
    PH_NOTIFY_MATRIX,
    PH_NOTIFY_KINDS
} ph_notify_kind_e;

#define PH_NOTIFY_NAME_MAX  32
#define PH_NOTIFY_URL_MAX   2048
#define PH_NOTIFY_SUFFIX    ".notify"   /* outbox files of a channel */
#define PH_NOTIFY_MAIL      "mail"      /* Notify= name for alert mail */

/* A digest on a channel.  The webhook's JSON document is at most
 * PH_NOTIFY_JSON_MAX bytes: a bigger digest is split into parts, every
 * device in one of them.  The other kinds (push services with a limit of a
 * few KiB) send one summary: the count, the first devices that fit
 * (PH_NOTIFY_TEXT_MAX, Pushover PH_NOTIFY_PUSHOVER_MAX) and where to see
 * the rest; its outbox file keeps the first PH_NOTIFY_SUMMARY_KEEP. */
#define PH_NOTIFY_JSON_MAX      (256 * 1024)
#define PH_NOTIFY_TEXT_MAX      3500    /* ntfy, Telegram: 4096 */
#define PH_NOTIFY_PUSHOVER_MAX  1000    /* Pushover: 1024 characters */
#define PH_NOTIFY_SUMMARY_KEEP  100

typedef struct ph_notify_chan_t {
    const char   *name;
    int           kind;             /* ph_notify_kind_e, or -1 from URL */
    const char   *url;              /* http(s) URL, after ph_notify_check */
    const char   *url_file;         /* "@file": the URL is a secret */
    const char   *host;             /* for logs and errors */
    const char   *token_file;       /* token-file= */
    const char   *token;            /* its first line, read at startup */
    const char   *user_file;        /* user-file= (Pushover user key) */
    const char   *user;
    const char   *chat;             /* chat= (Telegram chat_id) */
    const char   *room;             /* room= (Matrix room id) */
    const char   *tags;             /* tags= (ntfy), comma-separated */
    int           priority;         /* priority=, if has_priority */
    int           has_priority;
    apr_uint32_t  timeout;          /* timeout= seconds, default 30 */
} ph_notify_chan_t;

/** A built request.  @a headers are "Name: value" strings. */
typedef struct ph_notify_req_t {
    const char         *method;     /* "POST" or "PUT" */
    const char         *url;        /* may hold a secret (Telegram) */
    const char         *log_url;    /* the same without any secret */
    apr_array_header_t *headers;    /* const char * */
    const char         *body;
    apr_size_t          len;
} ph_notify_req_t;

typedef enum {
    PH_NOTIFY_SENT = 0,             /* 2xx */
    PH_NOTIFY_RETRY,                /* no answer, 408, 425, 429, 5xx */
    PH_NOTIFY_DEAD                  /* any other answer: never succeeds */
} ph_notify_result_e;

/** "webhook", "ntfy", ...; NULL for a bad kind. */
const char *ph_notify_kind_name(int kind);

/** The kind called @a name, or -1. */
int ph_notify_kind_of(const char *name);

/** Channel name rules: 1-32 of A-Z a-z 0-9 _ -, not "mail". */
const char *ph_notify_name_check(const char *name);

/**
 * A PhoneHomeNotify line, split into words: NAME URL [option=value...].
 * Options: kind=, token-file=, user-file=, chat=, room=, tags=,
 * priority=, timeout=.  The URL may be "@/path/file": the URL is then read
 * from that file (by the glue) and never shown.  Files are not read here.
 */
const char *ph_notify_parse(apr_pool_t *p,
                            const apr_array_header_t *words,
                            ph_notify_chan_t *c);

/**
 * After the glue has read the files (c->url, c->token, c->user set):
 * decide the kind from "kind=" or the URL's scheme ("ntfy://host/topic" is
 * https, "ntfy+http://host/topic" is http; "pushover://" and
 * "telegram://" alone mean the public services), check the URL, and check
 * that the kind has what it needs (Telegram a token and chat=, ...).
 */
const char *ph_notify_check(apr_pool_t *p, ph_notify_chan_t *c);

/** The first line of a secret file: 1-4096 printable ASCII characters
 *  without spaces. */
const char *ph_notify_secret(apr_pool_t *p, const char *buf, apr_size_t len,
                             const char **secret);

/** The plain-text message: a title line's worth in *title, the body. */
const char *ph_notify_text(apr_pool_t *p, const ph_mail_t *m,
                           const char **title);

/** The request for channel @a c.  @a m->msgid is the delivery's id. */
void ph_notify_request(apr_pool_t *p, const ph_notify_chan_t *c,
                       const ph_mail_t *m, ph_notify_req_t *req);

/** What an HTTP status means for the delivery; 0 is no answer at all. */
ph_notify_result_e ph_notify_classify(long status);

/** A Retry-After value (seconds or an HTTP date) as a wait from @a now;
 *  -1 if it is not one.  Never more than a day. */
apr_interval_time_t ph_notify_retry_after(const char *value, apr_time_t now);

/** @a text as one line with every secret of @a c replaced by "***". */
const char *ph_notify_redact(apr_pool_t *p, const ph_notify_chan_t *c,
                             const char *text);

/** @a url with everything after the host (an ntfy topic, a token in the
 *  path or the query) replaced by "...": what a log line may show. */
const char *ph_notify_url_redacted(apr_pool_t *p, const char *url);

#endif /* PH_NOTIFY_H */
