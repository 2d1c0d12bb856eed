/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_notify_digest.h
 * @brief A digest on a channel: the webhook's JSON document, and a digest
 *        bigger than a channel's message split into parts (webhook) or cut
 *        to one summary (the push kinds), every message under its size.
 */

#ifndef PH_NOTIFY_DIGEST_H
#define PH_NOTIFY_DIGEST_H

#include <apr.h>
#include <apr_pools.h>

#include "ph_mail.h"

/** The generic webhook's JSON document for @a m; @a id names the
 *  delivery (the same for every attempt). */
const char *ph_notify_json(apr_pool_t *p, const ph_mail_t *m,
                           const char *id);

/**
 * A digest @a m as what a channel of @a kind sends: for the webhook, @a m
 * itself when its document fits in @a max bytes, else parts of
 * consecutive devices, each document at most @a max; for the other kinds
 * one summary holding the first PH_NOTIFY_SUMMARY_KEEP devices and the
 * total.  Every message built from a part (ph_notify_request) is at most
 * @a max bytes.
 * @return the number of parts, in *parts (ph_mail_t, sharing m's arrays)
 */
int ph_notify_split(apr_pool_t *p, int kind, const ph_mail_t *m,
                    apr_size_t max, ph_mail_t **parts);

#endif /* PH_NOTIFY_DIGEST_H */
