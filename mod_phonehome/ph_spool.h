/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_spool.h
 * @brief Files that must survive a power cut: written to a temporary name,
 *        synced, renamed into place, and the directory synced, so that a
 *        reader finds either the old file or the whole new one.
 */

#ifndef PH_SPOOL_H
#define PH_SPOOL_H

#include <apr.h>
#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>

/** Write @a dir/@a name atomically and durably. */
apr_status_t ph_spool_write(apr_pool_t *p, const char *dir, const char *name,
                            const void *data, apr_size_t len);

/** Read a whole file of at most @a max bytes, NUL-terminated. */
apr_status_t ph_spool_read(apr_pool_t *p, const char *path, char **data,
                           apr_size_t *len, apr_size_t max);

/** The names in @a dir ending in @a suffix, sorted; temporary files and
 *  dot files are left out. */
apr_status_t ph_spool_list(apr_pool_t *p, const char *dir,
                           const char *suffix, apr_array_header_t **names);

/** Move @a name from one directory to another, durably. */
apr_status_t ph_spool_move(apr_pool_t *p, const char *from_dir,
                           const char *to_dir, const char *name);

/** Remove @a dir/@a name and sync the directory. */
apr_status_t ph_spool_remove(apr_pool_t *p, const char *dir,
                             const char *name);

#endif /* PH_SPOOL_H */
