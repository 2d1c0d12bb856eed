/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The URLs and the device they name.  The server takes the device from the
 * first path segment after its beat Location, else from device= in the
 * query, else its default device.  The client cannot see the Location, so
 * it takes it to be the URL's first path segment (/raspberrypiPhoneHome in
 * every example), or --location PATH when it is longer.  What it signs is
 * then exactly the name the server checks.
 */

#ifndef PHONEHOME_URL_H
#define PHONEHOME_URL_H

#include <curl/curl.h>

#include "phonehome_opts.h"

typedef struct {
    const char *url;            /* as the user gave it */
    CURLU      *base;           /* parsed once */
    int         add_device;     /* the URL names none: send device= */
} target_t;

/**
 * The device named by a URL path (URL-decoded) after @a location (NULL:
 * the first segment).  Returns 1 with @a device (malloc'ed) or NULL when
 * the path names none, or 0 when the path is not under @a location.
 */
int url_path_device(const char *path, const char *location, char **device);

/** The value of device= in a query (decoded, malloc'ed), or NULL. */
char *url_query_device(const char *query);

/**
 * Check every URL (http or https, well formed) and settle the one device
 * they and --device name; a contradiction is a usage error.  Returns
 * EXIT_OK with @a targets, @a n and @a device (malloc'ed), or EXIT_USAGE
 * after a message naming the argument.
 */
int url_targets(const settings_t *set, target_t *targets, int *n,
                char **device);

void url_targets_free(target_t *targets, int n);

#endif /* PHONEHOME_URL_H */
