/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_outbox.h
 * @brief The outbox room: queue to outbox digests, the outbox's file
 *        names, its counts for the status page, and the one settle step
 *        after an attempt that both senders (mail, channels) use.  Level 4
 *        of the glue: it depends on runtime, config, private and the core;
 *        mod_phonehome_mail.c and mod_phonehome_notify.c, which know how
 *        to send and nothing else, depend on it.
 */

#ifndef MOD_PHONEHOME_OUTBOX_H
#define MOD_PHONEHOME_OUTBOX_H

#include "httpd.h"

#include "ph_outbox.h"

/** Queue to outbox: transitions older than the digest window become one
 *  mail per kind and recipient set and one notification per kind and
 *  channel, written (synced) before the queue files are removed. */
void ph_queue_digest(server_rec *s, apr_pool_t *p);

/** Count the queue, the outbox and dead/ for the status page, per channel
 *  too; @a error, if not NULL, becomes the last delivery error. */
void ph_outbox_stats(apr_pool_t *p, const char *error);

/** The channel number a notification's file name
 *  ("<id>.<channel>.notify") names, or -1. */
int ph_outbox_channel(const char *fname);

/** A file that is not a @a what ("mail", "notification") we can send:
 *  logged (PH00036) and moved to dead/. */
void ph_outbox_bury(server_rec *s, apr_pool_t *p, const char *fname,
                    const char *what, const char *why);

/**
 * Read and parse outbox file @a fname (a @a what: "mail", "notification")
 * into @a item, in @a p.  Returns 0 when it is read; -1 when it is gone
 * (another child sent or moved it) or cannot be opened for now (out of
 * file descriptors): try again later; 1 when it never can be sent: over
 * PH_OUTBOX_MAX, unreadable (PH00150) or not an outbox file (PH00036),
 * logged once and moved to dead/, so the files after it still go.
 */
int ph_outbox_load(server_rec *s, apr_pool_t *p, const char *fname,
                   const char *what, ph_outbox_item_t *item);

/**
 * The settle step after an attempt to send outbox file @a fname (@a item
 * as read from it).  @a why is NULL on success, else the one-line reason
 * (redacted); @a permanent when the server refused for good; @a chan the
 * channel number, or -1 for mail; @a cap and @a retry_after as for
 * ph_outbox_settle().  The file is removed (sent), rewritten for the next
 * attempt, or rewritten and moved to dead/; the mail or channel counts
 * follow.  Returns the fate, for the sender's own log lines.
 */
ph_outbox_fate_e ph_outbox_done(apr_pool_t *p, const char *fname,
                                ph_outbox_item_t *item, int chan,
                                const char *why, int permanent,
                                apr_time_t now, apr_interval_time_t cap,
                                apr_interval_time_t retry_after);

#endif /* MOD_PHONEHOME_OUTBOX_H */
