/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file fuzz_alloc.h
 * @brief bench/fuzz.sh compiles the core and the targets with
 *        `-include t/fuzz/fuzz_alloc.h`: every apr_palloc() (and so
 *        apr_pcalloc()) in our own code gets a block of exactly the size
 *        asked for, freed with its pool, instead of a slice of the pool's
 *        memory.  AddressSanitizer cannot see a write past a slice, since
 *        the next slice is valid memory; past a block of its own it can.
 *        The block is filled with 0xA5, not zeros, as a pool's is not
 *        cleared either.  APR's own allocations stay as they are.
 */

#ifndef PH_FUZZ_ALLOC_H
#define PH_FUZZ_ALLOC_H

#include <apr_pools.h>

void *ph_fuzz_palloc(apr_pool_t *p, apr_size_t size);

#undef apr_palloc
#define apr_palloc(p, size) ph_fuzz_palloc((p), (size))

#endif /* PH_FUZZ_ALLOC_H */
