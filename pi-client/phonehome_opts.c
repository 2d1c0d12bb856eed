/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "phonehome_msgs.h"
#include "phonehome_opts.h"

/* Curl's names for curl's meanings, so that a curl user feels at home. */
static const option_t options[] = {
    { "url",             0,   1, OPT_URL },
    { "device",          0,   1, OPT_DEVICE },
    { "location",        0,   1, OPT_LOCATION },
    { "key-file",        0,   1, OPT_KEY_FILE },
    { "state-file",      0,   1, OPT_STATE_FILE },
    { "config",          0,   1, OPT_CONFIG },
    { "interval",        0,   1, OPT_INTERVAL },
    { "connect-timeout", 0,   1, OPT_CONNECT_TIMEOUT },
    { "max-time",        'm', 1, OPT_MAX_TIME },
    { "retry",           0,   1, OPT_RETRY },
    { "retry-delay",     0,   1, OPT_RETRY_DELAY },
    { "retry-max-time",  0,   1, OPT_RETRY_MAX_TIME },
    { "cacert",          0,   1, OPT_CACERT },
    { "capath",          0,   1, OPT_CAPATH },
    { "cert",            'E', 1, OPT_CERT },
    { "key",             0,   1, OPT_KEY },
    { "proxy",           'x', 1, OPT_PROXY },
    { "noproxy",         0,   1, OPT_NOPROXY },
    { "resolve",         0,   1, OPT_RESOLVE },
    { "header",          'H', 1, OPT_HEADER },
    { "user",            'u', 1, OPT_USER },
    { "interface",       0,   1, OPT_INTERFACE },
    { "ipv4",            '4', 0, OPT_IPV4 },
    { "ipv6",            '6', 0, OPT_IPV6 },
    { "verbose",         'v', 0, OPT_VERBOSE },
    { "silent",          's', 0, OPT_SILENT },
    { "show-error",      'S', 0, OPT_SHOW_ERROR },
    { "reset-seq",       0,   0, OPT_RESET_SEQ },
    { "help",            'h', 0, OPT_HELP },
    { "version",         'V', 0, OPT_VERSION },
    { NULL, 0, 0, 0 }
};

void settings_init(settings_t *set)
{
    memset(set, 0, sizeof(*set));
    set->connect_timeout = 30;      /* the seed's curl --connect-timeout 30 */
    set->max_time = 60;
    set->ipresolve = CURL_IPRESOLVE_WHATEVER;
}

static void list_clear(strlist_t *l)
{
    while (l->n > 0) {
        free(l->v[--l->n]);
    }
}

void settings_free(settings_t *set)
{
    char **s[] = { &set->device, &set->location, &set->key_file,
                   &set->state_file, &set->cacert, &set->capath, &set->cert,
                   &set->cert_key, &set->proxy, &set->noproxy, &set->user,
                   &set->iface };
    size_t i;

    list_clear(&set->urls);
    list_clear(&set->headers);
    list_clear(&set->resolves);
    for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        free(*s[i]);
        *s[i] = NULL;
    }
}

int opts_usage(FILE *out, int status)
{
    fprintf(out,
        "Usage: phonehome [options] URL [URL...]\n"
        "Tell a mod_phonehome server that this device is alive: one beat "
        "and exit,\nor with --interval a beat every S seconds until "
        "SIGTERM.  Several URLs are\ntried in order on a network error, "
        "a timeout or a 5xx answer.\n\n"
        "  --device NAME          device name (default: the one the URL "
        "names, else the\n"
        "                         server's default device)\n"
        "  --location PATH        the beat Location, when it is not the "
        "URL's first\n"
        "                         path segment; the device's name follows it\n"
        "  --key-file FILE        sign beats with the key in FILE\n"
        "  --state-file FILE      where seq is kept (default "
        DEFAULT_STATE_DIR "/seq-DEVICE)\n"
        "  --reset-seq            forget the saved seq: start from the clock\n"
        "  --interval S           run on, a beat every S seconds "
        "(0.01-86400; 0: once)\n"
        "  --connect-timeout S    seconds to wait for a connection "
        "(default 30)\n"
        "  -m, --max-time S       seconds for a whole beat (default 60)\n"
        "  --retry N              one beat: retry N times on network "
        "errors, 429, 5xx\n"
        "  --retry-delay S        wait S seconds between retries "
        "(default 1, 2, 4 ...)\n"
        "  --retry-max-time S     no retry once S seconds have passed\n"
        "  --cacert FILE          CA certificates to verify the server "
        "with\n"
        "  --capath DIR           a directory of CA certificates\n"
        "  -E, --cert FILE        TLS client certificate (PEM)\n"
        "  --key FILE             its private key (PEM)\n"
        "  -x, --proxy URL        use this proxy\n"
        "  --noproxy HOSTS        hosts to reach without the proxy\n"
        "  --resolve H:P:ADDR     connect to ADDR for host H, port P\n"
        "  -H, --header 'N: V'    an extra request header (repeatable)\n"
        "  -u, --user U:P         HTTP basic authentication\n"
        "  --interface NAME       send from this interface or address\n"
        "  -4, --ipv4             connect over IPv4 only\n"
        "  -6, --ipv6             connect over IPv6 only\n"
        "  --config FILE          read options from FILE (default "
        DEFAULT_CONFIG "\n"
        "                         when it exists); the command line "
        "wins\n"
        "  --url URL              a URL (for the config file: url "
        "URL)\n"
        "  -v, --verbose          say what is sent and who answered\n"
        "  -s, --silent           print nothing about beats, not even "
        "failures\n"
        "  -S, --show-error       with -s, print failures still\n"
        "  -h, --help             this text\n"
        "  -V, --version          the version\n\n"
        "Exit status:\n"
        "  0  the server accepted the beat (2xx); a daemon stopped by "
        "SIGTERM\n"
        "  2  usage: bad option, URL, config, key or certificate file\n"
        "  3  network: unreachable, DNS, TLS, timeout, not an HTTP "
        "answer\n"
        "  4  refused: the server answered with another status\n\n"
        "See phonehome(1).\n");
    return status;
}

const option_t *opts_find_long(const char *name, size_t len)
{
    const option_t *o;

    for (o = options; o->name; o++) {
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
            return o;
        }
    }
    return NULL;
}

static const option_t *find_short(char letter)
{
    const option_t *o;

    for (o = options; o->name; o++) {
        if (o->letter && o->letter == letter) {
            return o;
        }
    }
    return NULL;
}

static void set_string(char **slot, const char *value)
{
    free(*slot);
    *slot = strdup(value);
}

static int list_add(strlist_t *l, const char *value, const char *label)
{
    if (l->n >= LIST_MAX) {
        usagef("%s: at most %d of these", label, LIST_MAX);
        return 0;
    }
    l->v[l->n++] = strdup(value);
    return 1;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno || !(v >= lo && v <= hi)) {
        return 0;
    }
    *out = v;
    return 1;
}

/* Flags in a config file may say "verbose", "verbose yes" or "verbose no". */
static int parse_flag(const char *s, int *out)
{
    if (s == NULL || !strcasecmp(s, "yes") || !strcasecmp(s, "on")
        || !strcasecmp(s, "true") || !strcmp(s, "1")) {
        *out = 1;
        return 1;
    }
    if (!strcasecmp(s, "no") || !strcasecmp(s, "off")
        || !strcasecmp(s, "false") || !strcmp(s, "0")) {
        *out = 0;
        return 1;
    }
    return 0;
}

static int apply_seconds(const char *value, const char *label, double lo,
                         double *slot)
{
    double d;

    if (!parse_double(value, lo, SECONDS_MAX, &d)) {
        usagef("%s: '%s' is not %g-86400 seconds", label, value, lo);
        return 0;
    }
    *slot = d;
    return 1;
}

int opts_apply(settings_t *set, const option_t *o, const char *value,
               const char *label, int cmdline)
{
    double d;
    int on = 1;

    if (!o->has_value && !parse_flag(value, &on)) {
        usagef("%s: '%s' is not yes or no", label, value);
        return 0;
    }
    if (o->has_value && *value == '\0' && o->id != OPT_NOPROXY) {
        usagef("%s: the value is empty", label);
        return 0;
    }
    switch (o->id) {
    case OPT_URL:
        if (cmdline && !set->cmdline_urls) {
            list_clear(&set->urls);
            set->cmdline_urls = 1;
        }
        return list_add(&set->urls, value, label);
    case OPT_HEADER:
        if (strchr(value, ':') == NULL && strchr(value, ';') == NULL) {
            usagef("%s: '%s' is not 'Name: value'", label, value);
            return 0;
        }
        return list_add(&set->headers, value, label);
    case OPT_RESOLVE:
        return list_add(&set->resolves, value, label);
    case OPT_DEVICE:
        set_string(&set->device, value);
        break;
    case OPT_LOCATION:
        if (value[0] != '/') {
            usagef("%s: '%s' is not a path (it starts with /)", label, value);
            return 0;
        }
        set_string(&set->location, value);
        break;
    case OPT_KEY_FILE:
        set_string(&set->key_file, value);
        break;
    case OPT_STATE_FILE:
        set_string(&set->state_file, value);
        break;
    case OPT_CACERT:
        set_string(&set->cacert, value);
        break;
    case OPT_CAPATH:
        set_string(&set->capath, value);
        break;
    case OPT_CERT:
        set_string(&set->cert, value);
        break;
    case OPT_KEY:
        set_string(&set->cert_key, value);
        break;
    case OPT_PROXY:
        set_string(&set->proxy, value);
        break;
    case OPT_NOPROXY:
        set_string(&set->noproxy, value);
        break;
    case OPT_USER:
        set_string(&set->user, value);
        break;
    case OPT_INTERFACE:
        set_string(&set->iface, value);
        break;
    case OPT_INTERVAL:
        if (!parse_double(value, 0, SECONDS_MAX, &d)
            || (d > 0 && d < INTERVAL_MIN)) {
            usagef("%s: '%s' is not 0.01-86400 seconds (or 0 for one beat)",
                   label, value);
            return 0;
        }
        set->interval = d;
        break;
    case OPT_CONNECT_TIMEOUT:
        return apply_seconds(value, label, 0.001, &set->connect_timeout);
    case OPT_MAX_TIME:
        return apply_seconds(value, label, 0.001, &set->max_time);
    case OPT_RETRY_DELAY:
        return apply_seconds(value, label, 0, &set->retry_delay);
    case OPT_RETRY_MAX_TIME:
        return apply_seconds(value, label, 0, &set->retry_max_time);
    case OPT_RETRY:
        if (!parse_double(value, 0, RETRY_MAX, &d) || d != (long)d) {
            usagef("%s: '%s' is not a whole number 0-%d", label, value,
                   RETRY_MAX);
            return 0;
        }
        set->retry = (long)d;
        break;
    case OPT_IPV4:
        set->ipresolve = on ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_WHATEVER;
        break;
    case OPT_IPV6:
        set->ipresolve = on ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_WHATEVER;
        break;
    case OPT_VERBOSE:
        set->verbose = on;
        if (on) {
            set->silent = 0;
        }
        break;
    case OPT_SILENT:
        set->silent = on;
        if (on) {
            set->verbose = 0;
        }
        break;
    case OPT_SHOW_ERROR:
        set->show_error = on;
        break;
    case OPT_RESET_SEQ:
        set->reset_seq = on;
        break;
    default:
        /* --config, --help and --version mean nothing inside a file. */
        usagef("%s: not possible in a config file", label);
        return 0;
    }
    return 1;
}

/* Until 0.1.0, -q meant quiet; in curl it means "do not read .curlrc". */
static int unknown_option(const char *a)
{
    if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
        usagef("%s is gone (curl's -q means something else): use -s, "
               "--silent", a);
    }
    else {
        usagef("unknown option '%s' (see phonehome --help)", a);
    }
    return EXIT_USAGE;
}

int opts_scan(int argc, char **argv, arg_t *args, int *nargs,
              const char **config)
{
    const option_t *url_opt;
    int i, n = 0, options_end = 0;

    url_opt = opts_find_long("url", 3);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *value = NULL;
        const option_t *o;

        if (options_end || a[0] != '-' || a[1] == '\0') {
            args[n].opt = url_opt;
            args[n].value = a;
            n++;
            continue;
        }
        if (!strcmp(a, "--")) {
            options_end = 1;
            continue;
        }
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');

            o = opts_find_long(a + 2, eq ? (size_t)(eq - a - 2)
                                         : strlen(a + 2));
            if (o && eq) {
                if (!o->has_value) {
                    usagef("--%s takes no value", o->name);
                    return EXIT_USAGE;
                }
                value = eq + 1;
            }
        }
        else {
            o = a[2] == '\0' ? find_short(a[1]) : NULL;
        }
        if (o == NULL) {
            return unknown_option(a);
        }
        if (o->has_value && value == NULL) {
            if (i + 1 >= argc) {
                usagef("%s needs a value", a);
                return EXIT_USAGE;
            }
            value = argv[++i];
        }
        if (o->id == OPT_HELP) {
            return opts_usage(stdout, EXIT_OK);
        }
        if (o->id == OPT_VERSION) {
            printf("phonehome %s (%s)\n", PHONEHOME_VERSION, curl_version());
            return EXIT_OK;
        }
        if (o->id == OPT_CONFIG) {
            *config = value;
            continue;
        }
        args[n].opt = o;
        args[n].value = value;
        n++;
    }
    *nargs = n;
    return -1;
}
