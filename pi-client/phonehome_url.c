/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ph_wire.h"
#include "phonehome_msgs.h"
#include "phonehome_url.h"

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int url_path_device(const char *path, const char *location, char **device)
{
    size_t n;

    *device = NULL;
    if (location == NULL) {
        /* The first segment is the Location. */
        path += strspn(path, "/");
        path += strcspn(path, "/");
    }
    else {
        n = strlen(location);
        while (n > 1 && location[n - 1] == '/') {
            n--;
        }
        if (strncmp(path, location, n) != 0
            || (path[n] != '/' && path[n] != '\0')) {
            return 0;
        }
        path += n;
    }
    /* As the server does: slashes skipped, then up to the next one. */
    path += strspn(path, "/");
    n = strcspn(path, "/");
    if (n > 0) {
        *device = dup_n(path, n);
    }
    return 1;
}

char *url_query_device(const char *query)
{
    const char *p = query;
    char *found = NULL;

    while (p && *p) {
        size_t n = strcspn(p, "&");

        if (n > 7 && strncmp(p, "device=", 7) == 0) {
            int len = 0;
            char *v = curl_easy_unescape(NULL, p + 7, (int)(n - 7), &len);

            free(found);
            found = v ? dup_n(v, (size_t)len) : NULL;
            curl_free(v);
        }
        p += n;
        p += *p == '&';
    }
    return found;
}

/* The device one URL names, or NULL; 0 after a message. */
static int url_device(const settings_t *set, const char *url, CURLU *u,
                      char **device)
{
    char *path = NULL, *query = NULL, *q_dev = NULL, *p_dev = NULL;
    int ok;

    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    ok = url_path_device(path ? path : "/", set->location, &p_dev);
    if (!ok) {
        usagef("%s: the path is not under --location %s", url,
               set->location);
    }
    q_dev = query ? url_query_device(query) : NULL;
    if (ok && p_dev && q_dev && strcmp(p_dev, q_dev) != 0) {
        usagef("%s: the path names device %s, device= names %s", url, p_dev,
               q_dev);
        ok = 0;
    }
    curl_free(path);
    curl_free(query);
    if (!ok) {
        free(p_dev);
        free(q_dev);
        *device = NULL;
    }
    else if (p_dev) {
        free(q_dev);
        *device = p_dev;
    }
    else {
        *device = q_dev;
    }
    return ok;
}

int url_targets(const settings_t *set, target_t *targets, int *n,
                char **device)
{
    char *chosen = set->device ? strdup(set->device) : NULL;
    const char *chosen_by = set->device ? "--device" : NULL;
    int i;

    *n = 0;
    if (set->urls.n == 0) {
        usagef("no URL (see phonehome --help)");
        free(chosen);
        return EXIT_USAGE;
    }
    for (i = 0; i < set->urls.n; i++) {
        const char *url = set->urls.v[i];
        target_t *t = &targets[i];
        char *named = NULL;

        t->url = url;
        t->base = NULL;
        (*n)++;
        if (strncasecmp(url, "http://", 7) != 0
            && strncasecmp(url, "https://", 8) != 0) {
            usagef("%s: not an http:// or https:// URL", url);
            goto bad;
        }
        t->base = curl_url();
        if (t->base == NULL
            || curl_url_set(t->base, CURLUPART_URL, url, 0) != CURLUE_OK) {
            usagef("%s: not a valid URL", url);
            goto bad;
        }
        if (!url_device(set, url, t->base, &named)) {
            goto bad;
        }
        t->add_device = named == NULL;
        if (named && chosen && strcmp(named, chosen) != 0) {
            usagef("%s names device %s, but %s names %s", url, named,
                   chosen_by, chosen);
            free(named);
            goto bad;
        }
        if (named && chosen == NULL) {
            chosen = named;
            chosen_by = url;
        }
        else {
            free(named);
        }
    }
    *device = chosen ? chosen : strdup(PH_DEFAULT_DEVICE);
    /* The default device needs no device=: the server assumes it. */
    for (i = 0; i < *n; i++) {
        if (chosen == NULL) {
            targets[i].add_device = 0;
        }
    }
    return EXIT_OK;

bad:
    free(chosen);
    url_targets_free(targets, *n);
    *n = 0;
    return EXIT_USAGE;
}

void url_targets_free(target_t *targets, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        curl_url_cleanup(targets[i].base);
        targets[i].base = NULL;
    }
}
