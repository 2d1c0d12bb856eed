/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_wire.h
 * @brief What the server and the client must agree on, written once.
 *
 * Plain C without APR or httpd: the core (ph_sig.c, ph_beat.c) and the
 * client (pi-client/) both include it, so a constant of the beat protocol
 * cannot drift between the two.
 */

#ifndef PH_WIRE_H
#define PH_WIRE_H

#include <stddef.h>

/** The first line of every signed message; a new format gets a new tag. */
#define PH_SIG_TAG          "phonehome-v1"

/** The device a beat is for when it names none. */
#define PH_DEFAULT_DEVICE   "raspberrypi"

/** Key length limits, in characters of the key file's first line: 128
 *  bits as hex at least. */
#define PH_KEY_MIN          32
#define PH_KEY_MAX          1024

/**
 * The 409 answer to a signed beat whose seq is not above the last one
 * accepted: PH_WIRE_STALE_SEQ N PH_WIRE_STALE_ABOVE M, in plain text.
 * The client resyncs from exactly this line (phonehome_reply.c).
 */
#define PH_WIRE_STALE_SEQ    "replayed or old beat: seq "
#define PH_WIRE_STALE_ABOVE  " is not above "

/**
 * How far above its own clock in milliseconds a client lets a server's
 * 409 ("seq N is not above M") move its seq: one day.  A server that
 * claims more is not believed, so no answer can lock a client out.
 */
#define PH_SEQ_RESYNC_MARGIN_MS  86400000ULL

/**
 * Write the message a signature covers into @a buf:
 *     PH_SIG_TAG "\n" device "\n" seq "\n" t "\n" boot "\n" up
 * (each value exactly as sent, "" for one not sent).
 * @return the length of the whole message, as snprintf(); the message is
 *         complete when that is below @a size
 */
size_t ph_wire_message(char *buf, size_t size, const char *device,
                       const char *seq, const char *t, const char *boot,
                       const char *up);

/** Characters of a signature: lowercase hex of HMAC-SHA256. */
#define PH_WIRE_SIG_HEX     64

/**
 * Sign @a msg: lowercase hex HMAC-SHA256 under @a key into @a out.
 * @return 1, or 0 when libcrypto fails (then @a out is "")
 */
int ph_wire_sign(const char *key, size_t keylen, const char *msg,
                 char out[PH_WIRE_SIG_HEX + 1]);

/**
 * Find the key in the text of a key file: the first line without the
 * spaces and tabs around it, PH_KEY_MIN-PH_KEY_MAX printable characters
 * without spaces.
 * @return NULL with @a start and @a len set, or a reason that never
 *         contains the key
 */
const char *ph_wire_key_span(const char *text, size_t size, size_t *start,
                             size_t *len);

#endif /* PH_WIRE_H */
