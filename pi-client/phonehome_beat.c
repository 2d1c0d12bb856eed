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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "phonehome_beat.h"
#include "phonehome_msgs.h"

/*
 * The key: the key file's first line without surrounding white space.
 * Messages never show the key, since they may end up in a mail or a log.
 */
static int read_key(client_t *c, const char *path)
{
    char buf[PH_KEY_MAX + 3];
    size_t len, b, n;
    const char *why;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        usagef("cannot read key file %s: %s", path, strerror(errno));
        return 0;
    }
    len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    why = ph_wire_key_span(buf, len, &b, &n);
    if (why) {
        usagef("%s: %s", path, why);
    }
    else {
        memcpy(c->key, buf + b, n);
        c->key[n] = '\0';
        c->keylen = n;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return why == NULL;
}

/* A file an option names must be there and readable: exit 2 if not. */
static int readable(const char *option, const char *path, int mode)
{
    if (path && access(path, mode) != 0) {
        usagef("%s %s: cannot read it: %s", option, path, strerror(errno));
        return 0;
    }
    return 1;
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

/* Append name=value, the value URL-encoded, to the URL's query. */
static int add_param(CURL *curl, CURLU *u, const char *name,
                     const char *value)
{
    char *esc = curl_easy_escape(curl, value, 0), *pair = NULL;
    size_t len = 0;
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

int beat_stop_requested(void)
{
    sigset_t pending;

    return sigpending(&pending) == 0
           && (sigismember(&pending, SIGTERM) == 1
               || sigismember(&pending, SIGINT) == 1);
}

/* libcurl calls this about once a second even when nothing moves. */
static int on_progress(void *baton, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    const client_t *c = baton;

    (void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
    /* Non-zero aborts the transfer: SIGTERM should not wait --max-time. */
    return c->daemon && beat_stop_requested();
}

/* The signature, when there is a key: the message ph_wire.h defines. */
static int add_sig(client_t *c, CURLU *u, const char *seq, const char *t,
                   const char *boot, const char *up)
{
    char sig[PH_WIRE_SIG_HEX + 1], *msg;
    size_t len = ph_wire_message(NULL, 0, c->device, seq, t, boot, up) + 1;
    int ok;

    if ((msg = malloc(len)) == NULL) {
        return 0;
    }
    ph_wire_message(msg, len, c->device, seq, t, boot, up);
    ok = ph_wire_sign(c->key, c->keylen, msg, sig);
    free(msg);
    ok = ok && add_param(c->curl, u, "sig", sig);
    OPENSSL_cleanse(sig, sizeof(sig));
    return ok;
}

/*
 * Send one beat with @a seq to @a t.  Returns the libcurl result; c->code
 * and c->reply hold the answer.
 */
static CURLcode send_one(client_t *c, const target_t *tg,
                         unsigned long long seq)
{
    char t[32], seqs[32], boot[64], up[64];
    char *url = NULL;
    CURLU *u;
    CURLcode cc;
    int ok;

    snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
    snprintf(seqs, sizeof(seqs), "%llu", seq);
    read_field("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
    read_field("/proc/uptime", up, sizeof(up));

    /* CURLU puts the query after any query in URL, before any #fragment. */
    u = curl_url_dup(tg->base);
    ok = u != NULL;
    if (ok && tg->add_device) {
        ok = add_param(c->curl, u, "device", c->device);
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
        ok = add_sig(c, u, seqs, t, boot, up);
    }
    ok = ok && curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK;
    curl_url_cleanup(u);
    if (!ok) {
        snprintf(c->error, sizeof(c->error), "out of memory");
        return CURLE_OUT_OF_MEMORY;
    }

    notef("GET %s", url);
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

static const char *content_type(client_t *c)
{
    char *ctype = NULL;

    curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ctype);
    return ctype;
}

/*
 * One beat to one URL, with a 409 answer's resync: a device that lost its
 * seq (a new SD card, a clock behind) learns the last one the server
 * accepted and goes on above it at once, but only from the server's own
 * answer to a signed beat and never beyond the clock plus a margin.
 */
static CURLcode beat_one(client_t *c, const target_t *tg)
{
    unsigned long long seq = state_next(&c->seq), last, now;
    CURLcode cc = send_one(c, tg, seq);

    if (cc != CURLE_OK || c->code != 409 || c->keylen == 0
        || !reply_last_seq(&c->reply, content_type(c), seq, &last)) {
        return cc;
    }
    now = state_now_ms();
    if (!state_resync(&c->seq, last, now)) {
        notef("%s: the server claims seq %llu, more than a day above this "
              "clock (%llu ms): not believed", tg->url, last, now);
        return cc;
    }
    notef("the server has seq %llu: going on from there", last);
    return send_one(c, tg, state_next(&c->seq));
}

/* Whether the next URL is worth a try: no answer, or a 5xx. */
static int failed_over(const client_t *c, CURLcode cc)
{
    return (cc != CURLE_OK && cc != CURLE_ABORTED_BY_CALLBACK)
           || c->code >= 500;
}

int beat_send(client_t *c)
{
    char reason[REASON_MAX + 8];
    const target_t *tg = NULL;
    CURLcode cc = CURLE_OK;
    int i;

    for (i = 0; i < c->ntargets; i++) {
        tg = &c->targets[i];
        cc = beat_one(c, tg);
        if (!failed_over(c, cc) || i + 1 == c->ntargets
            || beat_stop_requested()) {
            break;
        }
        if (cc != CURLE_OK) {
            notef("%s: %s (trying the next URL)", tg->url,
                  c->error[0] ? c->error : curl_easy_strerror(cc));
        }
        else {
            notef("%s: %ld (trying the next URL)", tg->url, c->code);
        }
    }
    if (cc != CURLE_OK) {
        if (!(cc == CURLE_ABORTED_BY_CALLBACK && beat_stop_requested())) {
            errorf("%s: %s", tg->url,
                   c->error[0] ? c->error : curl_easy_strerror(cc));
        }
        return EXIT_NETWORK;
    }
    reply_reason(&c->reply, content_type(c), reason, sizeof(reason));
    if (c->code >= 200 && c->code < 300) {
        notef("accepted by %s (%ld): %s", tg->url, c->code, reason);
        return EXIT_OK;
    }
    errorf("refused (%ld): %s", c->code, reason);
    return EXIT_REFUSED;
}

int beat_worth_retrying(const client_t *c, int status)
{
    return status == EXIT_NETWORK
           || (status == EXIT_REFUSED && (c->code == 429 || c->code >= 500));
}

static int list_to_slist(const strlist_t *l, struct curl_slist **out)
{
    int i;

    for (i = 0; i < l->n; i++) {
        struct curl_slist *s = curl_slist_append(*out, l->v[i]);

        if (s == NULL) {
            return 0;
        }
        *out = s;
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
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, reply_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c->reply);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, reply_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c->reply);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->error);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(curl, CURLOPT_IPRESOLVE, set->ipresolve);
    /* Timeouts must not rely on SIGALRM, which a daemon does not want. */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    /* A beat never follows a redirect: it would sign for another URL. */
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    if (set->cacert) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, set->cacert);
    }
    if (set->capath) {
        curl_easy_setopt(curl, CURLOPT_CAPATH, set->capath);
    }
    if (set->cert) {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, set->cert);
    }
    if (set->cert_key) {
        curl_easy_setopt(curl, CURLOPT_SSLKEY, set->cert_key);
    }
    if (set->proxy) {
        curl_easy_setopt(curl, CURLOPT_PROXY, set->proxy);
    }
    if (set->noproxy) {
        curl_easy_setopt(curl, CURLOPT_NOPROXY, set->noproxy);
    }
    if (set->user) {
        curl_easy_setopt(curl, CURLOPT_USERPWD, set->user);
    }
    if (set->iface) {
        curl_easy_setopt(curl, CURLOPT_INTERFACE, set->iface);
    }
    if (!list_to_slist(&set->headers, &c->headers)
        || !list_to_slist(&set->resolves, &c->resolves)) {
        return 0;
    }
    if (c->headers) {
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, c->headers);
    }
    if (c->resolves) {
        curl_easy_setopt(curl, CURLOPT_RESOLVE, c->resolves);
    }
    return 1;
}

static char *default_state_file(const char *device)
{
    size_t len = strlen(DEFAULT_STATE_DIR) + strlen(device) + 6;
    char *path = malloc(len);

    if (path) {
        snprintf(path, len, DEFAULT_STATE_DIR "/seq-%s", device);
    }
    return path;
}

int beat_setup(client_t *c, const settings_t *set)
{
    int status;

    c->set = set;
    status = url_targets(set, c->targets, &c->ntargets, &c->device);
    if (status != EXIT_OK) {
        return status;
    }
    if (!readable("--cacert", set->cacert, R_OK)
        || !readable("--capath", set->capath, R_OK | X_OK)
        || !readable("--cert", set->cert, R_OK)
        || !readable("--key", set->cert_key, R_OK)
        || (set->key_file && !read_key(c, set->key_file))) {
        return EXIT_USAGE;
    }
    c->seq.path = set->state_file ? strdup(set->state_file)
                                  : default_state_file(c->device);
    c->seq.ignore_file = set->reset_seq;
    if (c->seq.path == NULL) {
        return EXIT_NETWORK;
    }
    if (set->reset_seq) {
        notef("--reset-seq: seq starts again from the clock");
    }
    if (!setup_curl(c)) {
        usagef("cannot initialise libcurl");
        return EXIT_NETWORK;
    }
    return EXIT_OK;
}

void beat_cleanup(client_t *c)
{
    if (c->curl) {
        curl_easy_cleanup(c->curl);
    }
    curl_slist_free_all(c->headers);
    curl_slist_free_all(c->resolves);
    url_targets_free(c->targets, c->ntargets);
    OPENSSL_cleanse(c->key, sizeof(c->key));
    free(c->seq.path);
    free(c->device);
}
