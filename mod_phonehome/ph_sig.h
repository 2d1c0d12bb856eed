/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_sig.h
 * @brief Signed beats.
 *
 * sig = lowercase hex of HMAC-SHA256(key, message), where message is
 *
 *     "phonehome-v1\n" device "\n" seq "\n" t "\n" boot "\n" up
 *
 * with each value exactly as sent (after URL decoding), and "" for one that
 * is not sent.  seq is required and must be above the last seq accepted for
 * the device: that is the replay protection, and it needs no clock.  A
 * client that lost its counter learns the last one from the 409 answer.
 */

#ifndef PH_SIG_H
#define PH_SIG_H

#include <apr.h>
#include <apr_pools.h>

#include "ph_beat.h"
#include "ph_wire.h"

#define PH_SIG_HEX_LEN      PH_WIRE_SIG_HEX

/** The message a beat's signature covers. */
const char *ph_sig_message(apr_pool_t *p, const char *device,
                           const ph_beat_t *beat);

/** Lowercase hex HMAC-SHA256 of @a msg under @a key. */
const char *ph_sig_compute(apr_pool_t *p, const char *key, apr_size_t keylen,
                           const char *msg);

/** Whether @a beat carries a good signature for @a device under @a key
 *  (constant-time comparison). */
int ph_sig_verify(apr_pool_t *p, const char *key, apr_size_t keylen,
                  const char *device, const ph_beat_t *beat);

/**
 * Read a key from the text of a key file: its first line, surrounding
 * white space removed, 16-1024 printable characters without spaces.
 * @return NULL and the key, or a reason that never contains the key
 */
const char *ph_sig_key_parse(apr_pool_t *p, const char *text, apr_size_t len,
                             const char **key, apr_size_t *keylen);

/** A key's id: 64 bits of HMAC-SHA256 under it of a fixed label; never 0.
 *  Tells a changed key without keeping the key in the device table. */
apr_uint64_t ph_sig_key_id(const char *key, apr_size_t keylen);

#endif /* PH_SIG_H */
