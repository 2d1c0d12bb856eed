/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_siphash.h
 * @brief SipHash-2-4 (Aumasson and Bernstein), written from the paper: a
 *        keyed hash, so that whoever picks device names or client
 *        addresses cannot make them collide without the per-start key.
 */

#ifndef PH_SIPHASH_H
#define PH_SIPHASH_H

#include <apr.h>

#define PH_SIPHASH_KEY_LEN 16

/** SipHash-2-4 of @a len bytes at @a data under a 16-byte @a key. */
apr_uint64_t ph_siphash(const unsigned char key[PH_SIPHASH_KEY_LEN],
                        const void *data, apr_size_t len);

#endif /* PH_SIPHASH_H */
