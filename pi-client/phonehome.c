/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * phonehome: send one beat to a mod_phonehome server and exit.
 *
 *   phonehome [--device NAME] [--connect-timeout S] [--max-time S] [-v] URL
 *
 * The beat carries the Pi's clock (t), its boot id (boot) and its uptime
 * (up); the server decides with its own clock, so a wrong Pi clock is only
 * reported, never trusted.
 *
 * Exit status: 0 the server accepted the beat (2xx); 2 usage error;
 * 3 the server could not be reached or did not answer in time;
 * 4 the server refused the beat (its one-line reason is printed).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define PHONEHOME_VERSION   "0.1.0"

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,
    EXIT_NETWORK = 3,
    EXIT_REFUSED = 4
};

typedef struct {
    char   text[512];
    size_t len;
} reply_t;

static size_t on_body(char *data, size_t size, size_t n, void *baton)
{
    reply_t *reply = baton;
    size_t len = size * n;
    size_t room = sizeof(reply->text) - 1 - reply->len;

    memcpy(reply->text + reply->len, data, len < room ? len : room);
    reply->len += len < room ? len : room;
    reply->text[reply->len] = '\0';
    return len;
}

/* First line of a small /proc file, or "" when it is missing. */
static void read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");

    buf[0] = '\0';
    if (f) {
        if (fgets(buf, (int)size, f) == NULL) {
            buf[0] = '\0';
        }
        fclose(f);
    }
    buf[strcspn(buf, " \n")] = '\0';
}

static int usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: phonehome [options] URL\n"
            "Send one beat to a mod_phonehome server.\n\n"
            "  --device NAME          device name (default: the server's "
            "default device)\n"
            "  --connect-timeout S    seconds to wait for a connection "
            "(default 30)\n"
            "  --max-time S           seconds for the whole beat "
            "(default 60)\n"
            "  -v, --verbose          say what is sent and answered\n"
            "  -q, --quiet            print nothing, not even errors\n"
            "  -h, --help             this text\n"
            "  -V, --version          the version\n\n"
            "Exit status: 0 accepted, 2 usage, 3 unreachable or timed out, "
            "4 refused by the server.\n");
    return status;
}

static int parse_seconds(const char *opt, const char *arg, long *out)
{
    char *end;
    long v;

    if (arg == NULL) {
        fprintf(stderr, "phonehome: %s needs a value\n", opt);
        return 0;
    }
    v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || v < 1 || v > 86400) {
        fprintf(stderr, "phonehome: %s: '%s' is not 1-86400 seconds\n", opt,
                arg);
        return 0;
    }
    *out = v;
    return 1;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *device = NULL;
    long connect_timeout = 30, max_time = 60, code = 0;
    int verbose = 0, quiet = 0, i, status;
    char boot[64], up[64], query[256], *full;
    reply_t reply = { "", 0 };
    CURLcode cc;
    CURL *curl;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "--device")) {
            device = argv[++i];
            if (device == NULL) {
                fprintf(stderr, "phonehome: --device needs a name\n");
                return EXIT_USAGE;
            }
        }
        else if (!strcmp(a, "--connect-timeout")) {
            if (!parse_seconds(a, argv[++i], &connect_timeout)) {
                return EXIT_USAGE;
            }
        }
        else if (!strcmp(a, "--max-time")) {
            if (!parse_seconds(a, argv[++i], &max_time)) {
                return EXIT_USAGE;
            }
        }
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            verbose = 1;
        }
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        }
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            return usage(stdout, EXIT_OK);
        }
        else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("phonehome %s (%s)\n", PHONEHOME_VERSION, curl_version());
            return EXIT_OK;
        }
        else if (a[0] == '-') {
            fprintf(stderr, "phonehome: unknown option '%s'\n", a);
            return usage(stderr, EXIT_USAGE);
        }
        else if (url == NULL) {
            url = a;
        }
        else {
            fprintf(stderr, "phonehome: only one URL, please\n");
            return EXIT_USAGE;
        }
    }
    if (url == NULL) {
        return usage(stderr, EXIT_USAGE);
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fprintf(stderr, "phonehome: '%s' is not an http:// or https:// URL\n",
                url);
        return EXIT_USAGE;
    }

    read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
    read_line("/proc/uptime", up, sizeof(up));
    snprintf(query, sizeof(query), "t=%lld%s%s%s%s", (long long)time(NULL),
             boot[0] ? "&boot=" : "", boot, up[0] ? "&up=" : "", up);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK
        || (curl = curl_easy_init()) == NULL) {
        fprintf(stderr, "phonehome: cannot initialise libcurl\n");
        return EXIT_NETWORK;
    }
    if (device) {
        char *esc = curl_easy_escape(curl, device, 0);

        full = malloc(strlen(url) + strlen(query) + strlen(esc) + 16);
        sprintf(full, "%s%cdevice=%s&%s", url, strchr(url, '?') ? '&' : '?',
                esc, query);
        curl_free(esc);
    }
    else {
        full = malloc(strlen(url) + strlen(query) + 2);
        sprintf(full, "%s%c%s", url, strchr(url, '?') ? '&' : '?', query);
    }
    curl_easy_setopt(curl, CURLOPT_URL, full);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect_timeout);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, max_time);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "phonehome/" PHONEHOME_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (verbose) {
        fprintf(stderr, "phonehome: GET %s\n", full);
    }

    cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        if (!quiet) {
            fprintf(stderr, "phonehome: %s: %s\n", url, curl_easy_strerror(cc));
        }
        status = EXIT_NETWORK;
    }
    else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        reply.text[strcspn(reply.text, "\r\n")] = '\0';
        if (code >= 200 && code < 300) {
            if (verbose) {
                fprintf(stderr, "phonehome: %ld %s\n", code, reply.text);
            }
            status = EXIT_OK;
        }
        else {
            if (!quiet) {
                fprintf(stderr, "phonehome: refused (%ld): %s\n", code,
                        reply.text);
            }
            status = EXIT_REFUSED;
        }
    }
    free(full);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return status;
}
