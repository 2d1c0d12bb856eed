/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * phonehome: tell a mod_phonehome server that this device is alive.
 *
 *   phonehome [options] URL                   one beat, then exit (cron)
 *   phonehome --interval S [options] URL      a beat every S seconds
 *
 * A beat is a GET of URL with device, t (our clock), boot (the boot id),
 * up (the uptime), seq (a counter that only grows) and, with --key-file,
 * sig (HMAC-SHA256 of those values under a key the server shares).  The
 * server decides with its own clock, so a wrong clock here is only
 * reported, never trusted.  The man page, phonehome(1), is the reference.
 *
 * Exit status: 0 the server accepted the beat (2xx); 2 usage error;
 * 3 network failure or timeout; 4 the server refused the beat.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#ifndef PHONEHOME_VERSION
#ifdef PACKAGE_VERSION
#define PHONEHOME_VERSION   PACKAGE_VERSION
#else
#define PHONEHOME_VERSION   "0.1.0"
#endif
#endif

#define DEFAULT_CONFIG      "/etc/phonehome.conf"
#define DEFAULT_STATE_DIR   "/var/lib/phonehome"
#define DEFAULT_DEVICE      "raspberrypi"   /* the server's default device */
#define SIG_TAG             "phonehome-v1"
#define KEY_MIN             16
#define KEY_MAX             1024
#define REASON_MAX          200
#define BACKOFF_FIRST       5.0     /* seconds, doubled while unreachable */
#define INTERVAL_MIN        0.01
#define SECONDS_MAX         86400.0
#define RETRY_MAX           100
#define RETRY_WAIT_MAX      600.0   /* seconds, as curl's --retry */

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,
    EXIT_NETWORK = 3,
    EXIT_REFUSED = 4
};

/* What the options set: the config file first, then the command line. */
typedef struct {
    char   *url;
    char   *device;
    char   *key_file;
    char   *state_file;
    char   *cacert;
    double  interval;           /* 0: one beat and exit */
    double  connect_timeout;
    double  max_time;
    long    retry;
    long    ipresolve;
    int     verbose;
    int     quiet;
} settings_t;

enum {
    OPT_URL, OPT_DEVICE, OPT_KEY_FILE, OPT_STATE_FILE, OPT_CONFIG,
    OPT_INTERVAL, OPT_CONNECT_TIMEOUT, OPT_MAX_TIME, OPT_RETRY, OPT_CACERT,
    OPT_IPV4, OPT_IPV6, OPT_VERBOSE, OPT_QUIET, OPT_HELP, OPT_VERSION
};

typedef struct {
    const char *name;           /* long name, without the leading -- */
    char        letter;         /* short option, or 0 */
    int         has_value;
    int         id;
} option_t;

static const option_t options[] = {
    { "url",             0,   1, OPT_URL },
    { "device",          0,   1, OPT_DEVICE },
    { "key-file",        0,   1, OPT_KEY_FILE },
    { "state-file",      0,   1, OPT_STATE_FILE },
    { "config",          0,   1, OPT_CONFIG },
    { "interval",        0,   1, OPT_INTERVAL },
    { "connect-timeout", 0,   1, OPT_CONNECT_TIMEOUT },
    { "max-time",        'm', 1, OPT_MAX_TIME },
    { "retry",           0,   1, OPT_RETRY },
    { "cacert",          0,   1, OPT_CACERT },
    { "ipv4",            '4', 0, OPT_IPV4 },
    { "ipv6",            '6', 0, OPT_IPV6 },
    { "verbose",         'v', 0, OPT_VERBOSE },
    { "quiet",           'q', 0, OPT_QUIET },
    { "help",            'h', 0, OPT_HELP },
    { "version",         'V', 0, OPT_VERSION },
    { NULL, 0, 0, 0 }
};

/* One command-line option, kept until the config file has been read. */
typedef struct {
    const option_t *opt;
    const char     *value;
} arg_t;

typedef struct {
    char   text[512];           /* the start of the body */
    size_t len;
    char   status_reason[128];  /* from the status line, for empty bodies */
} reply_t;

typedef struct {
    const settings_t  *set;
    CURL              *curl;
    CURLU             *base;        /* the URL, parsed once */
    const char        *device;      /* the name signed: --device or default */
    char              *state_file;
    char               key[KEY_MAX + 1];
    size_t             keylen;
    unsigned long long last_seq;    /* the highest seq used so far */
    int                daemon;
    int                state_warned;
    long               code;        /* HTTP status of the last answer */
    reply_t            reply;
    char               error[CURL_ERROR_SIZE];
} client_t;

static sigset_t stop_signals;

static void say(const settings_t *set, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Errors go to stderr unless -q: cron mails what a job prints. */
static void say(const settings_t *set, const char *fmt, ...)
{
    va_list ap;

    if (set && set->quiet) {
        return;
    }
    fputs("phonehome: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int usage(FILE *out, int status)
{
    fprintf(out,
        "Usage: phonehome [options] URL\n"
        "Tell a mod_phonehome server that this device is alive: one beat "
        "and exit,\nor with --interval a beat every S seconds until "
        "SIGTERM.\n\n"
        "  --device NAME          device name (default: the server's "
        "default device)\n"
        "  --key-file FILE        sign beats with the key in FILE\n"
        "  --state-file FILE      where seq is kept (default "
        DEFAULT_STATE_DIR "/seq-DEVICE)\n"
        "  --interval S           run on, a beat every S seconds "
        "(0.01-86400; 0: once)\n"
        "  --connect-timeout S    seconds to wait for a connection "
        "(default 30)\n"
        "  -m, --max-time S       seconds for a whole beat (default 60)\n"
        "  --retry N              one beat: retry N times on network "
        "errors, 429, 5xx\n"
        "  --cacert FILE          CA certificates to verify the server "
        "with\n"
        "  -4, --ipv4             connect over IPv4 only\n"
        "  -6, --ipv6             connect over IPv6 only\n"
        "  --config FILE          read options from FILE (default "
        DEFAULT_CONFIG "\n"
        "                         when it exists); the command line "
        "wins\n"
        "  --url URL              the URL (for the config file: url "
        "URL)\n"
        "  -v, --verbose          say what is sent and answered\n"
        "  -q, --quiet            print nothing about beats, not even "
        "failures\n"
        "  -h, --help             this text\n"
        "  -V, --version          the version\n\n"
        "Exit status:\n"
        "  0  the server accepted the beat (2xx); a daemon stopped by "
        "SIGTERM\n"
        "  2  usage: bad option, URL, config or key file\n"
        "  3  network: unreachable, DNS, TLS, timeout, not an HTTP "
        "answer\n"
        "  4  refused: the server answered with another status\n\n"
        "See phonehome(1).\n");
    return status;
}

static const option_t *find_long(const char *name, size_t len)
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

/*
 * Apply one option.  @a label names it as the user wrote it: "--max-time"
 * on the command line, "FILE:LINE: max-time" in a config file, so every
 * message says where the bad value came from.
 */
static int apply(settings_t *set, const option_t *o, const char *value,
                 const char *label)
{
    double d;
    int on = 1;

    if (!o->has_value && !parse_flag(value, &on)) {
        fprintf(stderr, "phonehome: %s: '%s' is not yes or no\n", label,
                value);
        return 0;
    }
    switch (o->id) {
    case OPT_URL:
        set_string(&set->url, value);
        break;
    case OPT_DEVICE:
        if (*value == '\0') {
            fprintf(stderr, "phonehome: %s: the name is empty\n", label);
            return 0;
        }
        set_string(&set->device, value);
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
    case OPT_INTERVAL:
        if (!parse_double(value, 0, SECONDS_MAX, &d)
            || (d > 0 && d < INTERVAL_MIN)) {
            fprintf(stderr, "phonehome: %s: '%s' is not 0.01-86400 seconds "
                    "(or 0 for one beat)\n", label, value);
            return 0;
        }
        set->interval = d;
        break;
    case OPT_CONNECT_TIMEOUT:
    case OPT_MAX_TIME:
        if (!parse_double(value, 0.001, SECONDS_MAX, &d)) {
            fprintf(stderr, "phonehome: %s: '%s' is not 0.001-86400 "
                    "seconds\n", label, value);
            return 0;
        }
        if (o->id == OPT_MAX_TIME) {
            set->max_time = d;
        }
        else {
            set->connect_timeout = d;
        }
        break;
    case OPT_RETRY:
        if (!parse_double(value, 0, RETRY_MAX, &d) || d != (long)d) {
            fprintf(stderr, "phonehome: %s: '%s' is not a whole number "
                    "0-%d\n", label, value, RETRY_MAX);
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
            set->quiet = 0;
        }
        break;
    case OPT_QUIET:
        set->quiet = on;
        if (on) {
            set->verbose = 0;
        }
        break;
    default:
        /* --config, --help and --version mean nothing inside a file. */
        fprintf(stderr, "phonehome: %s: not possible in a config file\n",
                label);
        return 0;
    }
    return 1;
}

/*
 * Read a config file: one option a line, "name value" or "name=value",
 * the name with or without "--"; "#" starts a comment line.
 */
static int read_config(settings_t *set, const char *path)
{
    char line[4096], where[1200], label[1300];
    unsigned int n = 0;
    int ok = 1;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        fprintf(stderr, "phonehome: cannot read config file %s: %s\n", path,
                strerror(errno));
        return 0;
    }
    while (ok && fgets(line, sizeof(line), f) != NULL) {
        char *name = line, *value, *end;
        const option_t *o;
        size_t len;

        n++;
        snprintf(where, sizeof(where), "%s:%u: ", path, n);
        len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            fprintf(stderr, "phonehome: %sthe line is too long\n", where);
            ok = 0;
            break;
        }
        while (len > 0 && strchr(" \t\r\n", line[len - 1])) {
            line[--len] = '\0';
        }
        name += strspn(name, " \t");
        if (*name == '\0' || *name == '#') {
            continue;
        }
        if (name[0] == '-' && name[1] == '-') {
            name += 2;
        }
        end = name + strcspn(name, " \t=");
        value = end + strspn(end, " \t");
        if (*value == '=') {
            value++;
            value += strspn(value, " \t");
        }
        o = find_long(name, (size_t)(end - name));
        *end = '\0';
        if (o == NULL) {
            fprintf(stderr, "phonehome: %sunknown option '%s' (see "
                    "phonehome --help)\n", where, name);
            ok = 0;
        }
        else if (o->has_value && *value == '\0') {
            fprintf(stderr, "phonehome: %s%s needs a value\n", where, name);
            ok = 0;
        }
        else {
            snprintf(label, sizeof(label), "%s%s", where, o->name);
            ok = apply(set, o, *value ? value : NULL, label);
        }
    }
    fclose(f);
    return ok;
}

/*
 * Split the command line into options and the URL.  Values are checked
 * later, after the config file, so that the command line wins.
 * Returns -1 to go on, or an exit status.
 */
static int scan_args(int argc, char **argv, arg_t *args, int *nargs,
                     const char **config, const char **url)
{
    int i, n = 0, options_end = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *value = NULL;
        const option_t *o;

        if (options_end || a[0] != '-' || a[1] == '\0') {
            if (*url != NULL) {
                fprintf(stderr, "phonehome: one URL only ('%s' and '%s')\n",
                        *url, a);
                return EXIT_USAGE;
            }
            *url = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            options_end = 1;
            continue;
        }
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');

            o = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
            if (o && eq) {
                if (!o->has_value) {
                    fprintf(stderr, "phonehome: --%s takes no value\n",
                            o->name);
                    return EXIT_USAGE;
                }
                value = eq + 1;
            }
        }
        else {
            o = a[2] == '\0' ? find_short(a[1]) : NULL;
        }
        if (o == NULL) {
            fprintf(stderr, "phonehome: unknown option '%s' (see "
                    "phonehome --help)\n", a);
            return EXIT_USAGE;
        }
        if (o->has_value && value == NULL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "phonehome: %s needs a value\n", a);
                return EXIT_USAGE;
            }
            value = argv[++i];
        }
        if (o->id == OPT_HELP) {
            return usage(stdout, EXIT_OK);
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

/*
 * The key: the key file's first line without surrounding white space.
 * Messages never show the key, since they may end up in a mail or a log.
 */
static int read_key(client_t *c, const char *path)
{
    char buf[KEY_MAX + 3];
    size_t len, b = 0, i;
    int ok = 1;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        fprintf(stderr, "phonehome: cannot read key file %s: %s\n", path,
                strerror(errno));
        return 0;
    }
    if (fgets(buf, sizeof(buf), f) == NULL) {
        buf[0] = '\0';
    }
    fclose(f);
    len = strlen(buf);
    if (len == sizeof(buf) - 1 && buf[len - 1] != '\n') {
        ok = 0;
    }
    while (len > 0 && strchr(" \t\r\n\v\f", buf[len - 1])) {
        len--;
    }
    while (b < len && strchr(" \t\v\f", buf[b])) {
        b++;
    }
    if (!ok || len - b < KEY_MIN || len - b > KEY_MAX) {
        fprintf(stderr, "phonehome: %s: the key must be %d-%d characters on "
                "the first line (make one with: openssl rand -hex 32)\n",
                path, KEY_MIN, KEY_MAX);
        ok = 0;
    }
    for (i = b; ok && i < len; i++) {
        if (buf[i] <= ' ' || buf[i] >= 0x7F) {
            fprintf(stderr, "phonehome: %s: the key may only hold printable "
                    "ASCII characters without spaces\n", path);
            ok = 0;
        }
    }
    if (ok) {
        memcpy(c->key, buf + b, len - b);
        c->key[len - b] = '\0';
        c->keylen = len - b;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return ok;
}

/* A small /proc file's first field, or "" when it is missing. */
static void read_field(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");

    buf[0] = '\0';
    if (f) {
        if (fgets(buf, (int)size, f) == NULL) {
            buf[0] = '\0';
        }
        fclose(f);
    }
    buf[strcspn(buf, " \t\r\n")] = '\0';
}

static unsigned long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (unsigned long long)ts.tv_sec * 1000ULL
           + (unsigned long long)ts.tv_nsec / 1000000ULL;
}

static double monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The last seq saved, or 0 when there is none (the clock then leads). */
static unsigned long long load_seq(const client_t *c)
{
    char buf[32];
    unsigned long long v;
    char *end;
    FILE *f = fopen(c->state_file, "r");

    if (f == NULL) {
        return 0;
    }
    if (fgets(buf, sizeof(buf), f) == NULL) {
        buf[0] = '\0';
    }
    fclose(f);
    errno = 0;
    v = strtoull(buf, &end, 10);
    return (errno || end == buf) ? 0 : v;
}

/*
 * Save seq with a temp file and a rename, so a reader sees the old or the
 * new number, never half of one.  No fsync: an SD card would wear for a
 * number the clock and the server's 409 answer can give back anyway.
 */
static void save_seq(client_t *c, unsigned long long seq)
{
    size_t size = strlen(c->state_file) + 32;
    char *tmp = malloc(size), text[32];
    int fd = -1, len, ok = 0;

    len = snprintf(text, sizeof(text), "%llu\n", seq);
    if (tmp) {
        snprintf(tmp, size, "%s.%ld.tmp", c->state_file, (long)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    ok = fd >= 0 && write(fd, text, (size_t)len) == len;
    if (fd >= 0 && close(fd) != 0) {
        ok = 0;
    }
    if (ok && rename(tmp, c->state_file) != 0) {
        ok = 0;
    }
    if (!ok) {
        if (c->set->verbose && !c->state_warned) {
            say(c->set, "cannot save seq to %s: %s (going on without it)",
                c->state_file, strerror(errno));
        }
        c->state_warned = 1;
        if (fd >= 0) {
            unlink(tmp);
        }
    }
    free(tmp);
}

/*
 * The next seq: above every seq used before (kept here and in the state
 * file), and at least the clock in milliseconds, so that a device which
 * lost its state file usually still starts above its last beat.
 */
static unsigned long long next_seq(client_t *c)
{
    unsigned long long seq = load_seq(c), now = now_ms();

    if (seq < c->last_seq) {
        seq = c->last_seq;
    }
    seq++;
    if (seq < now) {
        seq = now;
    }
    c->last_seq = seq;
    save_seq(c, seq);
    return seq;
}

static void hmac_hex(const client_t *c, const char *msg, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;

    if (HMAC(EVP_sha256(), c->key, (int)c->keylen,
             (const unsigned char *)msg, strlen(msg), mac, &n) == NULL) {
        n = 0;
    }
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Append name=value, the value URL-encoded, to the URL's query. */
static int add_param(CURL *curl, CURLU *u, const char *name,
                     const char *value)
{
    char *esc = curl_easy_escape(curl, value, 0), *pair = NULL;
    size_t len;
    int ok = 0;

    if (esc) {
        len = strlen(name) + strlen(esc) + 2;
        pair = malloc(len);
    }
    if (pair) {
        snprintf(pair, len, "%s=%s", name, esc);
        ok = curl_url_set(u, CURLUPART_QUERY, pair, CURLU_APPENDQUERY)
             == CURLUE_OK;
    }
    free(pair);
    curl_free(esc);
    return ok;
}

static size_t on_body(char *data, size_t size, size_t n, void *baton)
{
    reply_t *reply = baton;
    size_t len = size * n;
    size_t room = sizeof(reply->text) - 1 - reply->len;

    /* Keep the start, which has the reason; drop the rest. */
    if (len < room) {
        room = len;
    }
    memcpy(reply->text + reply->len, data, room);
    reply->len += room;
    reply->text[reply->len] = '\0';
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *baton)
{
    reply_t *reply = baton;
    size_t len = size * n, i = 0, spaces = 0, out = 0;

    /* "HTTP/1.1 404 Not Found": the words after the code. */
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        while (i < len && spaces < 2) {
            if (data[i++] == ' ') {
                spaces++;
            }
        }
        while (i < len && data[i] != '\r' && data[i] != '\n'
               && out < sizeof(reply->status_reason) - 1) {
            reply->status_reason[out++] = data[i++];
        }
        reply->status_reason[out] = '\0';
    }
    return len;
}

/* libcurl calls this about once a second even when nothing moves. */
static int on_progress(void *baton, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    const client_t *c = baton;
    sigset_t pending;

    (void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
    if (!c->daemon || sigpending(&pending) != 0) {
        return 0;
    }
    /* Non-zero aborts the transfer: SIGTERM should not wait --max-time. */
    return sigismember(&pending, SIGTERM) == 1
           || sigismember(&pending, SIGINT) == 1;
}

/* The server's one-line reason, fit for a terminal and a mail from cron. */
static void reason_of(const reply_t *reply, const char *ctype, char *out,
                      size_t size)
{
    const char *src = reply->text;
    size_t i, n = 0;

    /* An HTML error page's first line says nothing; its status line does. */
    if (reply->len == 0 || src[strspn(src, " \t\r\n")] == '\0'
        || (ctype && strncasecmp(ctype, "text/plain", 10) != 0)) {
        src = reply->status_reason;
    }
    for (i = 0; src[i] && src[i] != '\r' && src[i] != '\n' && n + 4 < size;
         i++) {
        if (n >= REASON_MAX) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        out[n++] = (src[i] >= ' ' && src[i] < 0x7F) ? src[i] : '?';
    }
    out[n] = '\0';
}

/*
 * Send one beat with @a seq.  Returns the libcurl result; c->code and
 * c->reply hold the answer.
 */
static CURLcode send_beat(client_t *c, unsigned long long seq)
{
    char t[32], seqs[32], boot[64], up[64], sig[2 * EVP_MAX_MD_SIZE + 1];
    char *url = NULL, *msg;
    CURLU *u;
    CURLcode cc;
    size_t len;
    int ok;

    snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
    snprintf(seqs, sizeof(seqs), "%llu", seq);
    read_field("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
    read_field("/proc/uptime", up, sizeof(up));

    /* CURLU puts the query after any query in URL, before any #fragment. */
    u = curl_url_dup(c->base);
    ok = u != NULL;
    if (ok && c->set->device) {
        ok = add_param(c->curl, u, "device", c->set->device);
    }
    ok = ok && add_param(c->curl, u, "t", t);
    if (ok && boot[0]) {
        ok = add_param(c->curl, u, "boot", boot);
    }
    if (ok && up[0]) {
        ok = add_param(c->curl, u, "up", up);
    }
    ok = ok && add_param(c->curl, u, "seq", seqs);
    if (ok && c->keylen) {
        len = sizeof(SIG_TAG) + strlen(c->device) + strlen(seqs) + strlen(t)
              + strlen(boot) + strlen(up) + 8;
        msg = malloc(len);
        if (msg == NULL) {
            ok = 0;
        }
        else {
            snprintf(msg, len, SIG_TAG "\n%s\n%s\n%s\n%s\n%s", c->device,
                     seqs, t, boot, up);
            hmac_hex(c, msg, sig);
            free(msg);
            ok = add_param(c->curl, u, "sig", sig);
        }
    }
    ok = ok && curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK;
    curl_url_cleanup(u);
    if (!ok) {
        snprintf(c->error, sizeof(c->error), "out of memory");
        return CURLE_OUT_OF_MEMORY;
    }

    if (c->set->verbose) {
        say(c->set, "GET %s", url);
    }
    memset(&c->reply, 0, sizeof(c->reply));
    c->error[0] = '\0';
    c->code = 0;
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    cc = curl_easy_perform(c->curl);
    curl_free(url);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->code);
    }
    return cc;
}

/* From "replayed or old beat: seq 5 is not above 1234", the 1234. */
static int resync_seq(const reply_t *reply, unsigned long long *last)
{
    const char *p = strstr(reply->text, "not above ");
    char *end;

    if (p == NULL) {
        return 0;
    }
    p += strlen("not above ");
    if (*p < '0' || *p > '9') {
        return 0;
    }
    errno = 0;
    *last = strtoull(p, &end, 10);
    return errno == 0;
}

static int stop_requested(void)
{
    sigset_t pending;

    return sigpending(&pending) == 0
           && (sigismember(&pending, SIGTERM) == 1
               || sigismember(&pending, SIGINT) == 1);
}

/*
 * One beat, with a 409 answer's resync: a device that lost its seq (a new
 * SD card, a clock far behind) learns the last one the server accepted
 * and goes on above it at once.  Returns an exit status.
 */
static int beat(client_t *c)
{
    const settings_t *set = c->set;
    unsigned long long seq = next_seq(c), last;
    char reason[REASON_MAX + 8];
    char *ctype = NULL;
    CURLcode cc;

    cc = send_beat(c, seq);
    if (cc == CURLE_OK && c->code == 409 && resync_seq(&c->reply, &last)
        && last >= seq) {
        if (set->verbose) {
            say(set, "the server has seq %llu: going on from there", last);
        }
        seq = last + 1;
        c->last_seq = seq;
        save_seq(c, seq);
        cc = send_beat(c, seq);
    }
    if (cc != CURLE_OK) {
        if (!(cc == CURLE_ABORTED_BY_CALLBACK && stop_requested())) {
            say(set, "%s: %s", set->url,
                c->error[0] ? c->error : curl_easy_strerror(cc));
        }
        return EXIT_NETWORK;
    }
    curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ctype);
    reason_of(&c->reply, ctype, reason, sizeof(reason));
    if (c->code >= 200 && c->code < 300) {
        if (set->verbose) {
            say(set, "accepted (%ld): %s", c->code, reason);
        }
        return EXIT_OK;
    }
    say(set, "refused (%ld): %s", c->code, reason);
    return EXIT_REFUSED;
}

/* Whether a failed beat may go better soon: the network, 429 and 5xx. */
static int worth_retrying(const client_t *c, int status)
{
    return status == EXIT_NETWORK
           || (status == EXIT_REFUSED && (c->code == 429 || c->code >= 500));
}

/*
 * Wait @a seconds.  In daemon mode SIGTERM and SIGINT are blocked and
 * waited for here, so a signal that comes just before the wait is not
 * lost.  Returns 1 when one came.
 */
static int rest(const client_t *c, double seconds)
{
    double until = monotonic() + seconds, left;
    struct timespec ts;

    while ((left = until - monotonic()) > 0) {
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        if (!c->daemon) {
            nanosleep(&ts, NULL);
        }
        else if (sigtimedwait(&stop_signals, NULL, &ts) > 0) {
            return 1;
        }
    }
    return c->daemon && stop_requested();
}

/* One beat for cron, with --retry: waits of 1, 2, 4 ... 600 seconds. */
static int run_once(client_t *c)
{
    double wait = 1;
    long tries;
    int status = beat(c);

    for (tries = 0; tries < c->set->retry && worth_retrying(c, status);
         tries++) {
        if (c->set->verbose) {
            say(c->set, "retrying in %g s", wait);
        }
        rest(c, wait);
        wait = wait * 2 < RETRY_WAIT_MAX ? wait * 2 : RETRY_WAIT_MAX;
        status = beat(c);
    }
    return status;
}

/*
 * A beat every --interval seconds, a tenth more or less at random so that
 * many devices restarted by one power cut do not beat in step.  While the
 * server cannot be reached, try again after 5, 10, 20 ... seconds, never
 * longer than the interval.
 */
static int run_daemon(client_t *c)
{
    double interval = c->set->interval, backoff = 0, wait, start;
    int status;

    srandom((unsigned int)(time(NULL) ^ getpid()));
    for (;;) {
        start = monotonic();
        status = beat(c);
        if (stop_requested()) {
            break;
        }
        if (status == EXIT_NETWORK) {
            backoff = backoff ? backoff * 2 : BACKOFF_FIRST;
            if (backoff > interval) {
                backoff = interval;
            }
            wait = backoff;
        }
        else {
            backoff = 0;
            wait = interval * (0.9 + 0.2 * ((double)random() / RAND_MAX));
        }
        if (rest(c, wait - (monotonic() - start))) {
            break;
        }
    }
    if (c->set->verbose) {
        say(c->set, "stopping on a signal");
    }
    return EXIT_OK;
}

static int check_url(client_t *c)
{
    const char *url = c->set->url;

    if (strncasecmp(url, "http://", 7) != 0
        && strncasecmp(url, "https://", 8) != 0) {
        fprintf(stderr, "phonehome: '%s' is not an http:// or https:// URL\n",
                url);
        return 0;
    }
    c->base = curl_url();
    if (c->base == NULL
        || curl_url_set(c->base, CURLUPART_URL, url, 0) != CURLUE_OK) {
        fprintf(stderr, "phonehome: '%s' is not a valid URL\n", url);
        return 0;
    }
    return 1;
}

static int setup_curl(client_t *c)
{
    const settings_t *set = c->set;
    CURL *curl = curl_easy_init();

    if (curl == NULL) {
        return 0;
    }
    c->curl = curl;
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(set->connect_timeout * 1000));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(set->max_time * 1000));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "phonehome/" PHONEHOME_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c->reply);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c->reply);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->error);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(curl, CURLOPT_IPRESOLVE, set->ipresolve);
    /* Timeouts must not rely on SIGALRM, which a daemon does not want. */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (set->cacert) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, set->cacert);
    }
    return 1;
}

static void free_settings(settings_t *set)
{
    free(set->url);
    free(set->device);
    free(set->key_file);
    free(set->state_file);
    free(set->cacert);
}

static int run(settings_t *set, arg_t *args, int nargs, const char *config,
               const char *url)
{
    client_t *c;
    struct stat sb;
    int i, status = EXIT_USAGE;

    /* The default config file is optional; one that exists must be good. */
    if (config == NULL && stat(DEFAULT_CONFIG, &sb) == 0) {
        config = DEFAULT_CONFIG;
    }
    if (config && !read_config(set, config)) {
        return EXIT_USAGE;
    }
    for (i = 0; i < nargs; i++) {
        char label[32];

        snprintf(label, sizeof(label), "--%s", args[i].opt->name);
        if (!apply(set, args[i].opt, args[i].value, label)) {
            return EXIT_USAGE;
        }
    }
    if (url) {
        set_string(&set->url, url);
    }
    if (set->url == NULL) {
        fprintf(stderr, "phonehome: no URL (see phonehome --help)\n");
        return EXIT_USAGE;
    }
    if (set->cacert && access(set->cacert, R_OK) != 0) {
        fprintf(stderr, "phonehome: cannot read CA file %s: %s\n",
                set->cacert, strerror(errno));
        return EXIT_USAGE;
    }

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return EXIT_NETWORK;
    }
    c->set = set;
    c->daemon = set->interval > 0;
    if (c->daemon) {
        /*
         * SIGTERM and SIGINT stay pending until a check: between beats
         * sigtimedwait() takes them at once, during a beat the progress
         * callback aborts it, and none can slip in between check and wait.
         */
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGTERM);
        sigaddset(&stop_signals, SIGINT);
        sigprocmask(SIG_BLOCK, &stop_signals, NULL);
    }
    c->device = set->device ? set->device : DEFAULT_DEVICE;
    if (set->state_file) {
        c->state_file = strdup(set->state_file);
    }
    else {
        size_t len = strlen(DEFAULT_STATE_DIR) + strlen(c->device) + 6;

        c->state_file = malloc(len);
        if (c->state_file) {
            snprintf(c->state_file, len, DEFAULT_STATE_DIR "/seq-%s",
                     c->device);
        }
    }
    if (c->state_file && check_url(c)
        && (set->key_file == NULL || read_key(c, set->key_file))) {
        if (!setup_curl(c)) {
            fprintf(stderr, "phonehome: cannot initialise libcurl\n");
            status = EXIT_NETWORK;
        }
        else {
            status = c->daemon ? run_daemon(c) : run_once(c);
        }
    }
    if (c->curl) {
        curl_easy_cleanup(c->curl);
    }
    curl_url_cleanup(c->base);
    OPENSSL_cleanse(c->key, sizeof(c->key));
    free(c->state_file);
    free(c);
    return status;
}

int main(int argc, char **argv)
{
    settings_t set;
    const char *config = NULL, *url = NULL;
    arg_t *args;
    int nargs = 0, status;

    memset(&set, 0, sizeof(set));
    set.connect_timeout = 30;       /* the seed's curl --connect-timeout 30 */
    set.max_time = 60;
    set.ipresolve = CURL_IPRESOLVE_WHATEVER;
    args = calloc((size_t)argc + 1, sizeof(*args));
    if (args == NULL) {
        return EXIT_USAGE;
    }
    status = scan_args(argc, argv, args, &nargs, &config, &url);
    if (status >= 0) {
        free(args);
        return status;
    }
    /*
     * CURL_GLOBAL_NOTHING would save nothing: libcurl since 7.57 sets up
     * its TLS library either way (measured: the same resident size).
     */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "phonehome: cannot initialise libcurl\n");
        free(args);
        return EXIT_NETWORK;
    }
    status = run(&set, args, nargs, config, url);
    curl_global_cleanup();
    free_settings(&set);
    free(args);
    return status;
}
