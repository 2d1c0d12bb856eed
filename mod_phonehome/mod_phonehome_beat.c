/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The beat handler (SetHandler phonehome).  Everything a device sends is
 * parsed and checked first, by the core (ph_beat.c, ph_name.c, ph_sig.c),
 * with no lock held; then the table is locked once, the slot updated, and
 * the answer is one plain-text line.  No disk I/O.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_beat.h"
#include "mod_phonehome_cert.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_runtime.h"
#include "ph_beat.h"
#include "ph_flap.h"
#include "ph_name.h"
#include "ph_sig.h"

APLOG_USE_MODULE(phonehome);

#define PH_BODY_MAX         4096


static int ph_refuse(request_rec *r, int status, const char *line)
{
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  PHLOGNO(00011) "beat refused with %d: %s", status, line);
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        /* Do not read what we refused: close instead. */
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return ph_answer_line(r, status, line);
}

/* 429 at once, never a tarpit: the client learns when to come back. */
static int ph_too_many(request_rec *r, apr_interval_time_t wait,
                       const char *why)
{
    apr_table_setn(r->headers_out, "Retry-After", apr_psprintf(r->pool,
                   "%" APR_TIME_T_FMT, (wait + APR_USEC_PER_SEC - 1)
                                       / APR_USEC_PER_SEC));
    return ph_refuse(r, HTTP_TOO_MANY_REQUESTS, why);
}

/* Read a form body of at most PH_BODY_MAX bytes.  Returns 0 and the body,
 * or an HTTP status with *why set. */
static int ph_read_form(request_rec *r, const char **body, const char **why)
{
    const char *ctype = apr_table_get(r->headers_in, "Content-Type");
    const char *clen = apr_table_get(r->headers_in, "Content-Length");
    char *buf;
    apr_size_t got = 0;
    long n;
    int rc;

    *body = NULL;
    if (ctype && strncasecmp(ctype, "application/x-www-form-urlencoded",
                             33) != 0) {
        *why = "a POST body must be application/x-www-form-urlencoded";
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    if (clen) {
        apr_off_t len;

        if (apr_strtoff(&len, clen, NULL, 10) == APR_SUCCESS
            && len > PH_BODY_MAX) {
            *why = "the body is larger than 4096 bytes";
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        *why = "the body cannot be read";
        return rc;
    }
    buf = apr_palloc(r->pool, PH_BODY_MAX + 2);
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf + got,
                                        PH_BODY_MAX + 1 - got)) > 0) {
            got += (apr_size_t)n;
            if (got > PH_BODY_MAX) {
                *why = "the body is larger than 4096 bytes";
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
        }
        if (n < 0) {
            *why = "the body cannot be read";
            return HTTP_BAD_REQUEST;
        }
    }
    buf[got] = '\0';
    if (memchr(buf, '\0', got)) {
        *why = "the body contains a NUL byte";
        return HTTP_BAD_REQUEST;
    }
    *body = buf;
    return OK;
}

/* The device in the path: the first segment after the <Location>; a
 * LocationMatch or a wildcard has no plain prefix, so there the path names
 * no device. */
static const char *ph_path_device(request_rec *r)
{
    long n = ph_location_prefix(r);

    return n < 0 ? NULL : ph_beat_path_device(r->uri + n, r->pool);
}

/* PhoneHomeRegisterLimit for the client address of @a r (IPv6 per
 * prefix).  The table of addresses is bounded and never lets one address
 * take over another's bucket: when no entry is free, new names are
 * refused (fails closed), with a line in the log at most once a minute.
 * @a now is monotonic.  Called with the lock held. */
static int ph_register_limit(request_rec *r, const ph_server_conf_t *c,
                             apr_time_t now, apr_interval_time_t *wait)
{
    apr_time_t *logged = &ph_runtime_table()->hdr->register_full_logged;
    char key[PH_IP_MAX + 1];
    ph_bucket_state_t *b;

    *wait = 0;
    if (c->register_rate.n == 0) {
        return OK;
    }
    ph_rate_ip_key(key, r->useragent_ip, c->register_v6_prefix);
    b = ph_rate_ip_bucket(ph_runtime_rate_ips(),
                          ph_runtime_table()->hdr->hash_key, key,
                          &c->register_rate, now);
    if (b == NULL) {
        if (*logged == 0 || now - *logged >= apr_time_from_sec(60)) {
            *logged = now;
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          PHLOGNO(00128)
                          "PhoneHomeRegisterLimit: all %d address "
                          "entries near %s are busy: new device names are "
                          "refused until they fall idle", PH_RATE_IPS, key);
        }
        return HTTP_SERVICE_UNAVAILABLE;
    }
    *wait = ph_rate_take(b, &c->register_rate, now);
    return OK;
}

int ph_beat_handler(request_rec *r)
{
    ph_server_conf_t *c = ph_runtime_conf();
    const ph_devconf_t *dc;
    ph_beat_t beat;
    const char *why, *path_device = NULL, *name;
    apr_time_t now = r->request_time, mono = ph_mono_now();
    apr_interval_time_t wait;
    apr_uint64_t beats;
    apr_uint32_t id;
    ph_device_t *d;
    long found;
    int rc;

    if (strcmp(r->handler, "phonehome") != 0) {
        return DECLINED;
    }
    if (!ph_runtime_ready()) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->allowed = (AP_METHOD_BIT << M_GET) | (AP_METHOD_BIT << M_POST);
    if (r->method_number != M_GET && r->method_number != M_POST) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST");
        return ph_refuse(r, HTTP_METHOD_NOT_ALLOWED,
                         "method not allowed: use GET, HEAD or POST");
    }

    memset(&beat, 0, sizeof(beat));
    if ((why = ph_beat_parse(&beat, r->args, r->pool)) != NULL) {
        return ph_refuse(r, HTTP_BAD_REQUEST, why);
    }
    if (r->method_number == M_POST) {
        const char *body;

        if ((rc = ph_read_form(r, &body, &why)) != OK) {
            return ph_refuse(r, rc, why);
        }
        if ((why = ph_beat_parse(&beat, body, r->pool)) != NULL) {
            return ph_refuse(r, HTTP_BAD_REQUEST, why);
        }
    }

    path_device = ph_path_device(r);
    name = ph_beat_device(&beat, path_device);
    if ((why = ph_name_check(name)) != NULL) {
        return ph_refuse(r, HTTP_BAD_REQUEST, why);
    }
    dc = apr_hash_get(c->device_index, name, APR_HASH_KEY_STRING);
    if (dc && dc->key) {
        if (!(beat.seen & PH_BEAT_SIG) || !(beat.seen & PH_BEAT_SEQ)) {
            apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                           "PhoneHome-HMAC-SHA256");
            return ph_refuse(r, HTTP_UNAUTHORIZED, "unsigned beat: this "
                             "device's beats must be signed (seq= and sig=)");
        }
        if (!ph_sig_verify(r->pool, dc->key, dc->keylen, name, &beat)) {
            return ph_refuse(r, HTTP_FORBIDDEN, apr_pstrcat(r->pool,
                             "bad signature for device ", name, NULL));
        }
    }
    if (dc && dc->cert_cn && (rc = ph_cert_check(r, dc, &why)) != OK) {
        return ph_refuse(r, rc, why);
    }

    if (ph_lock(r) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    found = ph_table_find(ph_runtime_table(), name);
    if (found < 0) {
        apr_status_t rv;

        if (!c->auto_register) {
            ph_unlock();
            return ph_refuse(r, HTTP_NOT_FOUND, "unknown device: declare it "
                             "with PhoneHomeDevice");
        }
        /* On the monotonic clock, as the beat rate: a step of the wall
         * clock refills no bucket. */
        if ((rc = ph_register_limit(r, c, mono, &wait)) != OK) {
            ph_unlock();
            return ph_refuse(r, rc, "too many addresses are registering new "
                             "devices at once: try again later");
        }
        if (wait) {
            ph_unlock();
            return ph_too_many(r, wait, apr_psprintf(r->pool, "too many new "
                               "devices from this address: at most %u in %"
                               APR_TIME_T_FMT " s", c->register_rate.n,
                               apr_time_sec(c->register_rate.period)));
        }
        rv = ph_table_add(ph_runtime_table(), name, &id);
        if (rv == APR_EAGAIN) {
            ph_unlock();
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          PHLOGNO(00127)
                          "refused new device '%s': its place in "
                          "the device index is crowded (more than %u "
                          "probes)", name, PH_TABLE_PROBE_MAX);
            return ph_refuse(r, HTTP_SERVICE_UNAVAILABLE,
                             "device index is crowded: name refused");
        }
        if (rv == APR_ENOSPC) {
            apr_uint64_t refused = ++ph_runtime_table()->hdr->refused_full;

            ph_unlock();
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          PHLOGNO(00012) "device table is full (%u devices): "
                          "refused a beat from new device '%s' (%"
                          APR_UINT64_T_FMT " refused so far); raise "
                          "PhoneHomeMaxDevices", c->max_devices, name,
                          refused);
            return ph_refuse(r, HTTP_SERVICE_UNAVAILABLE,
                             "device table is full");
        }
        d = ph_slot(NULL, id);
        d->max_age = c->max_age;
        ph_flap_configure(d, c->flap_limit, c->flap_period);
        d->since = now;
        d->since_mono = mono;
    }
    else {
        d = ph_slot(NULL, (apr_uint32_t)found);
    }
    /* A signed beat is accepted once: its seq must pass the last one. */
    if (dc && dc->key && beat.seq <= d->seq) {
        apr_uint64_t last = d->seq;

        ph_unlock();
        return ph_refuse(r, HTTP_CONFLICT, apr_psprintf(r->pool,
                         "replayed or old beat: seq %" APR_UINT64_T_FMT
                         " is not above %" APR_UINT64_T_FMT, beat.seq, last));
    }
    if ((wait = ph_rate_take(&d->rate, &c->beat_rate, mono)) != 0) {
        ph_unlock();
        return ph_too_many(r, wait, apr_psprintf(r->pool, "too many beats "
                           "from this device: at most %u in %" APR_TIME_T_FMT
                           " s", c->beat_rate.n,
                           apr_time_sec(c->beat_rate.period)));
    }
    ph_runtime_table()->hdr->changes++;
    /* A paused device's beats are routine: it changes no state. */
    if (found < 0 || (d->state != PH_STATE_UP
                      && d->state != PH_STATE_PAUSED)) {
        ph_runtime_table()->hdr->urgent_changes++;
    }
    ph_device_record_beat(d, &beat, now, mono, r->useragent_ip,
                          apr_table_get(r->headers_in, "User-Agent"));
    beats = d->beats;
    ph_unlock();

    return ph_answer_line(r, HTTP_OK, apr_psprintf(r->pool, "OK %s beat %"
                                              APR_UINT64_T_FMT, name, beats));
}
