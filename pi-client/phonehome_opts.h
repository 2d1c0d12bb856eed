/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The options: one table for the command line and the config file, what
 * they set (settings_t), and the checks of each value.
 */

#ifndef PHONEHOME_OPTS_H
#define PHONEHOME_OPTS_H

#include <stdio.h>

#ifndef PHONEHOME_VERSION
#ifdef PACKAGE_VERSION
#define PHONEHOME_VERSION   PACKAGE_VERSION
#else
#define PHONEHOME_VERSION   "0.1.1"
#endif
#endif

#define DEFAULT_CONFIG      "/etc/phonehome.conf"
#define DEFAULT_STATE_DIR   "/var/lib/phonehome"
#define INTERVAL_MIN        0.01
#define SECONDS_MAX         86400.0
#define RETRY_MAX           100
#define LIST_MAX            32      /* URLs, headers, --resolve entries */

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,
    EXIT_NETWORK = 3,
    EXIT_REFUSED = 4
};

typedef struct {
    char   *v[LIST_MAX];
    int     n;
} strlist_t;

/* What the options set: the config file first, then the command line. */
typedef struct {
    strlist_t urls;
    strlist_t headers;          /* -H */
    strlist_t resolves;         /* --resolve */
    char   *device;
    char   *location;           /* where the device's name starts in a URL */
    char   *key_file;
    char   *state_file;
    char   *cacert;
    char   *capath;
    char   *cert;               /* TLS client certificate */
    char   *cert_key;           /* and its private key */
    char   *proxy;
    char   *noproxy;
    char   *user;
    char   *iface;
    double  interval;           /* 0: one beat and exit */
    double  connect_timeout;
    double  max_time;
    double  retry_delay;        /* 0: 1, 2, 4 ... seconds */
    double  retry_max_time;     /* 0: no limit */
    long    retry;
    long    ipresolve;
    int     verbose;
    int     silent;
    int     show_error;
    int     reset_seq;
    int     cmdline_urls;       /* the command line named URLs: config's go */
} settings_t;

enum {
    OPT_URL, OPT_DEVICE, OPT_LOCATION, OPT_KEY_FILE, OPT_STATE_FILE,
    OPT_CONFIG, OPT_INTERVAL, OPT_CONNECT_TIMEOUT, OPT_MAX_TIME, OPT_RETRY,
    OPT_RETRY_DELAY, OPT_RETRY_MAX_TIME, OPT_CACERT, OPT_CAPATH, OPT_CERT,
    OPT_KEY, OPT_PROXY, OPT_NOPROXY, OPT_RESOLVE, OPT_HEADER, OPT_USER,
    OPT_INTERFACE, OPT_IPV4, OPT_IPV6, OPT_VERBOSE, OPT_SILENT,
    OPT_SHOW_ERROR, OPT_RESET_SEQ, OPT_HELP, OPT_VERSION
};

typedef struct {
    const char *name;           /* long name, without the leading -- */
    char        letter;         /* short option, or 0 */
    int         has_value;
    int         id;
} option_t;

/* One command-line option, kept until the config file has been read. */
typedef struct {
    const option_t *opt;
    const char     *value;
} arg_t;

void settings_init(settings_t *set);
void settings_free(settings_t *set);

/** The option called @a name (@a len characters), or NULL. */
const option_t *opts_find_long(const char *name, size_t len);

/**
 * Apply one option.  @a label names it as the user wrote it: "--max-time"
 * on the command line, "FILE:LINE: max-time" in a config file, so that a
 * message says where a bad value came from.  @a cmdline: a URL given here
 * replaces the config file's.  Returns 1, or 0 after a message.
 */
int opts_apply(settings_t *set, const option_t *o, const char *value,
               const char *label, int cmdline);

/**
 * Split the command line into options (URLs among them) in @a args, and
 * --config.  Values are checked later, after the config file, so that the
 * command line wins.  Returns -1 to go on, or an exit status (--help,
 * --version, a bad option).
 */
int opts_scan(int argc, char **argv, arg_t *args, int *nargs,
              const char **config);

int opts_usage(FILE *out, int status);

#endif /* PHONEHOME_OPTS_H */
