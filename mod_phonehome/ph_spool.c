/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "ph_spool.h"

/* A rename is durable only once the directory itself is synced. */
static apr_status_t ph_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    apr_status_t rv = APR_SUCCESS;

    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if (fsync(fd) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
    }
    close(fd);
    return rv;
}

apr_status_t ph_spool_write(apr_pool_t *p, const char *dir, const char *name,
                            const void *data, apr_size_t len)
{
    const char *tmp = apr_pstrcat(p, dir, "/.tmp-", name, NULL);
    const char *final = apr_pstrcat(p, dir, "/", name, NULL);
    apr_file_t *f;
    apr_status_t rv;

    rv = apr_file_open(&f, tmp, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                       | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD,
                       p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_write_full(f, data, len, NULL);
    if (rv == APR_SUCCESS) {
        rv = apr_file_sync(f);
    }
    if (rv != APR_SUCCESS) {
        apr_file_close(f);
        apr_file_remove(tmp, p);
        return rv;
    }
    if ((rv = apr_file_close(f)) != APR_SUCCESS
        || (rv = apr_file_rename(tmp, final, p)) != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        return rv;
    }
    return ph_sync_dir(dir);
}

apr_status_t ph_spool_read(apr_pool_t *p, const char *path, char **data,
                           apr_size_t *len, apr_size_t max)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    char *buf;

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv == APR_SUCCESS && (fi.size < 0 || (apr_size_t)fi.size > max)) {
        rv = APR_EGENERAL;
    }
    if (rv == APR_SUCCESS) {
        buf = apr_palloc(p, (apr_size_t)fi.size + 1);
        *len = (apr_size_t)fi.size;
        rv = apr_file_read_full(f, buf, *len, len);
        if (rv == APR_EOF && *len == 0 && fi.size == 0) {
            rv = APR_SUCCESS;
        }
        buf[*len] = '\0';
        *data = buf;
    }
    apr_file_close(f);
    return rv;
}

static int ph_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

apr_status_t ph_spool_list(apr_pool_t *p, const char *dir,
                           const char *suffix, apr_array_header_t **names)
{
    apr_size_t slen = strlen(suffix);
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv;

    *names = apr_array_make(p, 8, sizeof(char *));
    if ((rv = apr_dir_open(&d, dir, p)) != APR_SUCCESS) {
        return rv;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        apr_size_t n = strlen(fi.name);

        if (fi.name[0] == '.' || n <= slen
            || strcmp(fi.name + n - slen, suffix) != 0) {
            continue;
        }
        APR_ARRAY_PUSH(*names, char *) = apr_pstrdup(p, fi.name);
    }
    apr_dir_close(d);
    qsort((*names)->elts, (apr_size_t)(*names)->nelts, sizeof(char *),
          ph_strcmp);
    return APR_SUCCESS;
}

apr_status_t ph_spool_move(apr_pool_t *p, const char *from_dir,
                           const char *to_dir, const char *name)
{
    apr_status_t rv;

    rv = apr_file_rename(apr_pstrcat(p, from_dir, "/", name, NULL),
                         apr_pstrcat(p, to_dir, "/", name, NULL), p);
    if (rv == APR_SUCCESS) {
        rv = ph_sync_dir(to_dir);
    }
    if (rv == APR_SUCCESS) {
        rv = ph_sync_dir(from_dir);
    }
    return rv;
}

apr_status_t ph_spool_remove(apr_pool_t *p, const char *dir,
                             const char *name)
{
    apr_status_t rv = apr_file_remove(apr_pstrcat(p, dir, "/", name, NULL),
                                      p);

    return rv == APR_SUCCESS ? ph_sync_dir(dir) : rv;
}
