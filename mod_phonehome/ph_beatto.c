/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * PhoneHomeBeatTo's words, its timeouts and the URL of one beat.
 */

#include <apr_lib.h>
#include <apr_strings.h>

#include <stdlib.h>
#include <string.h>

#include "ph_beat.h"
#include "ph_beatto.h"
#include "ph_conf.h"
#include "ph_name.h"
#include "ph_sig.h"
#include "ph_text.h"
#include "ph_wire.h"

static const char *ph_beatto_url_check(apr_pool_t *p, const char *url)
{
    const char *host, *c;

    if (strncasecmp(url, "http://", 7) == 0) {
        host = url + 7;
    }
    else if (strncasecmp(url, "https://", 8) == 0) {
        host = url + 8;
    }
    else {
        return apr_psprintf(p, "'%s' is not an http:// or https:// URL",
                            ph_text_oneline(p, url));
    }
    if (strlen(url) > PH_BEATTO_URL_MAX) {
        return "the URL is longer than 2048 characters";
    }
    if (host[0] == '\0' || strchr("/?#:@", host[0])) {
        return apr_psprintf(p, "'%s' names no host",
                            ph_text_oneline(p, url));
    }
    for (c = url; *c; c++) {
        if (!apr_isgraph(*c) || *c == '#') {
            return apr_psprintf(p, "'%s': a URL of printable characters, "
                                "no spaces and no #fragment",
                                ph_text_oneline(p, url));
        }
    }
    return NULL;
}

const char *ph_beatto_parse(apr_pool_t *p, const apr_array_header_t *words,
                            ph_beatto_t *bt)
{
    const char *why;
    int i;

    memset(bt, 0, sizeof(*bt));
    bt->every = PH_BEATTO_EVERY_DEFAULT;
    if (words->nelts < 1) {
        return "needs a URL";
    }
    bt->url = APR_ARRAY_IDX(words, 0, const char *);
    if ((why = ph_beatto_url_check(p, bt->url)) != NULL) {
        return why;
    }
    for (i = 1; i < words->nelts; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);

        if (strncasecmp(w, "every=", 6) == 0) {
            if ((why = ph_conf_seconds(p, w + 6, PH_BEATTO_EVERY_MIN,
                                       PH_BEATTO_EVERY_MAX, &bt->every))) {
                return apr_pstrcat(p, "every=: ", why, NULL);
            }
        }
        else if (strncasecmp(w, "key-file=", 9) == 0 && w[9]) {
            bt->key_file = w + 9;
        }
        else if (strncasecmp(w, "device=", 7) == 0) {
            if ((why = ph_name_check(w + 7)) != NULL) {
                return apr_psprintf(p, "device=%s: %s",
                                    ph_text_oneline(p, w + 7), why);
            }
            bt->device = w + 7;
        }
        else {
            return apr_psprintf(p, "'%s' is not every=, key-file= or "
                                "device=", ph_text_oneline(p, w));
        }
    }
    bt->phonehome = bt->key_file != NULL || bt->device != NULL;
    return NULL;
}

const char *ph_beatto_detect_health(apr_pool_t *p, apr_time_t now,
                                    apr_time_t started, apr_time_t last_tick)
{
    apr_interval_time_t stale = apr_time_from_sec(PH_BEATTO_TICK_STALE_SEC);

    if (last_tick == 0) {
        return now - started <= stale ? ""
               : "detection has not run since the start";
    }
    if (now - last_tick > stale) {
        return apr_psprintf(p, "detection last ran %" APR_TIME_T_FMT " s ago",
                            apr_time_sec(now - last_tick));
    }
    return NULL;
}

int ph_beatto_stuck(unsigned int attempts)
{
    return attempts >= PH_BEATTO_STUCK_ATTEMPTS;
}

void ph_beatto_timeouts(const ph_beatto_t *bt, long *connect_ms,
                        long *total_ms)
{
    long total = (long)bt->every * 750L;

    *total_ms = total < PH_BEATTO_TOTAL_MS_MAX ? total
                                               : PH_BEATTO_TOTAL_MS_MAX;
    *connect_ms = *total_ms < PH_BEATTO_CONNECT_MS_MAX
                  ? *total_ms : PH_BEATTO_CONNECT_MS_MAX;
}

/* A boot id goes into the URL only if it is what the kernel writes. */
static int ph_boot_ok(const char *boot)
{
    apr_size_t n = boot ? strlen(boot) : 0;

    return n > 0 && n < 64 && strspn(boot, "0123456789abcdef-") == n;
}

const char *ph_beatto_url(apr_pool_t *p, const ph_beatto_t *bt,
                          apr_int64_t t, const char *boot, apr_int64_t up,
                          apr_uint64_t seq)
{
    ph_beat_t b;
    const char *url;

    if (!bt->phonehome) {
        return bt->url;
    }
    memset(&b, 0, sizeof(b));
    b.seen = PH_BEAT_DEVICE | PH_BEAT_T | PH_BEAT_UP | PH_BEAT_SEQ;
    b.device = bt->device;
    b.t_raw = apr_psprintf(p, "%" APR_INT64_T_FMT, t);
    b.up_raw = apr_psprintf(p, "%" APR_INT64_T_FMT, up);
    b.seq_raw = apr_psprintf(p, "%" APR_UINT64_T_FMT, seq);
    if (ph_boot_ok(boot)) {
        b.seen |= PH_BEAT_BOOT;
        b.boot = boot;
    }
    /* Device names, numbers and boot ids need no percent-encoding. */
    url = apr_pstrcat(p, bt->url, strchr(bt->url, '?') ? "&" : "?",
                      "device=", b.device, "&t=", b.t_raw,
                      b.boot ? "&boot=" : "", b.boot ? b.boot : "",
                      "&up=", b.up_raw, "&seq=", b.seq_raw, NULL);
    if (bt->keylen) {
        const char *sig = ph_sig_compute(p, bt->key, bt->keylen,
                                         ph_sig_message(p, b.device, &b));

        if (sig == NULL) {
            return NULL;
        }
        url = apr_pstrcat(p, url, "&sig=", sig, NULL);
    }
    return url;
}

apr_uint64_t ph_beatto_stale_seq(const char *answer)
{
    const char *at = answer ? strstr(answer, PH_WIRE_STALE_SEQ) : NULL;
    char *end;
    apr_uint64_t m;

    if (at == NULL || (at = strstr(at, PH_WIRE_STALE_ABOVE)) == NULL) {
        return 0;
    }
    at += sizeof(PH_WIRE_STALE_ABOVE) - 1;
    if (!apr_isdigit(*at)) {
        return 0;
    }
    m = (apr_uint64_t)strtoull(at, &end, 10);
    return m;
}
