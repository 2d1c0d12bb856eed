/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The mail sender: a watchdog of its own in every child, on a lease (one
 * child sends; another takes over within a moment when it dies), so that a slow or dead
 * SMTP server never delays detection, beats or channels.  Every quarter
 * second it sends each outbox mail that is due through libesmtp (over
 * STARTTLS as PhoneHomeSMTPStartTLS says); what becomes of the file after
 * an attempt (sent, retried with backoff until PhoneHomeRetryPeriod has
 * passed, or dead) is the outbox room's one settle step,
 * ph_outbox_done().  The queue is digested into the outbox by the
 * channels' thread (mod_phonehome_outbox.c).  Delivery is at least once: a
 * crash between sending and removing the file sends a mail again rather
 * than losing it.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_watchdog.h"

#include "apr_strings.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

/* openssl/ssl.h before libesmtp.h, which declares smtp_starttls_set_ctx
 * only after it; auth-client.h first: libesmtp.h declares its AUTH calls
 * only after it. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <auth-client.h>
#include <libesmtp.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_mail.h"
#include "mod_phonehome_outbox.h"
#include "mod_phonehome_jobs.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_store.h"
#include "ph_spool.h"
#include "ph_text.h"
#include "ph_tls.h"

APLOG_USE_MODULE(phonehome);

#define PH_WATCHDOG_MAIL    "_phonehome_mail_"
/* A quarter second: the queue is digested in another thread, so a mail
 * waits at most this long once it is in the outbox. */
#define PH_MAIL_TICK        apr_time_from_msec(250)
#define PH_BACKOFF_CAP      apr_time_from_sec(600)
#define PH_SMTP_TIMEOUT_MS  30000L
/* A living sender keeps its lease through the longest SMTP exchange (a
 * timeout per step): only one stopped or hung that long is taken over. */
#define PH_MAIL_WEDGED      apr_time_from_sec(600)

static volatile int ph_mail_stopping;

/* STARTTLS.  libesmtp 1.1.0 caches a context of its own that
 * smtp_destroy_session frees, so a second TLS session in a process used
 * freed memory; it also looked for its CA store under $HOME and checked
 * the name against the DNS canonical name.  So the module owns the
 * context: built once a generation at startup (as root, so the CA file may
 * be root's alone), inherited by the children, passed to every session
 * (libesmtp takes a reference and drops it), with OpenSSL's default trust
 * paths (SSL_CERT_FILE, SSL_CERT_DIR) plus PhoneHomeSMTPCAFile, and
 * OpenSSL checking the configured host.  The handshake never fails on the
 * certificate (SSL_VERIFY_NONE): the verdict is given in ph_smtp_event, so
 * that it can say why and so that On can go on unverified. */
static SSL_CTX *ph_tls_ctx;

#define PH_TLS_WARN_EVERY   3600            /* seconds between warnings */

typedef struct {
    apr_pool_t         *p;
    int                 mode;               /* ph_tls_e, AUTH applied */
    int                 tls;                /* STARTTLS done */
    int                 no_starttls;        /* Required, and not offered */
    const char         *problem;            /* why it did not verify */
    const char         *protocol;
    const char         *cipher;
} ph_tls_state_t;

/* PhoneHomeSMTPAuth implies Required: credentials never cross an
 * unencrypted or unverified connection (Off with AUTH fails at startup). */
static int ph_tls_mode(const ph_server_conf_t *c)
{
    return c->smtp_user && c->smtp_starttls != PH_TLS_OFF ? PH_TLS_REQUIRED
                                                          : c->smtp_starttls;
}

static const char *ph_tls_why_required(const ph_server_conf_t *c)
{
    return c->smtp_user && c->smtp_starttls != PH_TLS_REQUIRED
        ? "PhoneHomeSMTPAuth sends its password only over verified TLS"
        : "PhoneHomeSMTPStartTLS Required";
}

static apr_status_t ph_tls_ctx_free(void *data)
{
    if (ph_tls_ctx == data) {
        ph_tls_ctx = NULL;
    }
    SSL_CTX_free(data);
    return APR_SUCCESS;
}

/* SNI: libesmtp sends none; set it as the handshake starts, from the host
 * OpenSSL is to check. */
static void ph_tls_info(const SSL *ssl, int where, int ret)
{
    SSL *s = (SSL *)ssl;
    char *host;

    (void)ret;
    if ((where & SSL_CB_HANDSHAKE_START)
        && SSL_get_servername(s, TLSEXT_NAMETYPE_host_name) == NULL
        && (host = X509_VERIFY_PARAM_get0_host(SSL_get0_param(s), 0))) {
        SSL_set_tlsext_host_name(s, host);
    }
}

/* OpenSSL's last error, for a message. */
static const char *ph_tls_error(apr_pool_t *p)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256];

    if (e == 0) {
        return "no detail from OpenSSL";
    }
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return apr_pstrdup(p, buf);
}

static apr_status_t ph_mail_tls_init(apr_pool_t *pconf, server_rec *s)
{
    ph_server_conf_t *c = ph_runtime_conf();
    X509_VERIFY_PARAM *param;
    SSL_CTX *ctx;
    int ok;

    if (c->smtp_starttls == PH_TLS_OFF) {
        return APR_SUCCESS;
    }
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, PHLOGNO(00101)
                     "cannot make the STARTTLS context: %s",
                     ph_tls_error(pconf));
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(pconf, ctx, ph_tls_ctx_free,
                              apr_pool_cleanup_null);
    /* TLS 1.2 at most.  Under TLS 1.3 the server sends its session
     * tickets after the handshake, so the socket is readable when
     * libesmtp 1.1.0 has just queued EHLO; its loop (protocol.c) serves a
     * readable socket before flushing what it wrote, so it waits for the
     * answer to an EHLO it has not sent until the session times out
     * (every session against Postfix 3.7, one in a few against aiosmtpd). */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_info_callback(ctx, ph_tls_info);
    /* Never fails on a missing store: an empty one verifies nothing. */
    SSL_CTX_set_default_verify_paths(ctx);
    ERR_clear_error();
    if (c->smtp_ca_file
        && !SSL_CTX_load_verify_locations(ctx, c->smtp_ca_file, NULL)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, PHLOGNO(00063)
                     "PhoneHomeSMTPCAFile %s: %s", c->smtp_ca_file,
                     ph_tls_error(pconf));
        return APR_EGENERAL;
    }
    param = SSL_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = ph_tls_host_is_ip(c->smtp_host)
         ? X509_VERIFY_PARAM_set1_ip_asc(param, c->smtp_host)
         : X509_VERIFY_PARAM_set1_host(param, c->smtp_host, 0);
    if (!ok) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, PHLOGNO(00064)
                     "PhoneHomeSMTPServer %s: OpenSSL cannot check "
                     "certificates for this name: %s", c->smtp_host,
                     ph_tls_error(pconf));
        return APR_EGENERAL;
    }
    ph_tls_ctx = ctx;
    return APR_SUCCESS;
}

/* The names a certificate carries (DNS and IP subjectAltNames, else its
 * common name), comma separated, for a message. */
static const char *ph_tls_names(apr_pool_t *p, X509 *cert)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL,
                                           NULL);
    apr_array_header_t *names = apr_array_make(p, 4, sizeof(char *));
    char buf[256];
    int i;

    for (i = 0; sans && i < sk_GENERAL_NAME_num(sans) && i < 8; i++) {
        const GENERAL_NAME *n = sk_GENERAL_NAME_value(sans, i);
        const unsigned char *d;
        int len;

        if (n->type == GEN_DNS) {
            d = ASN1_STRING_get0_data(n->d.dNSName);
            len = ASN1_STRING_length(n->d.dNSName);
            APR_ARRAY_PUSH(names, const char *) = ph_text_oneline(p,
                apr_pstrmemdup(p, (const char *)d, (apr_size_t)len));
        }
        else if (n->type == GEN_IPADD) {
            len = ASN1_STRING_length(n->d.iPAddress);
            d = ASN1_STRING_get0_data(n->d.iPAddress);
            if ((len == 4 || len == 16)
                && inet_ntop(len == 4 ? AF_INET : AF_INET6, d, buf,
                             sizeof(buf))) {
                APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(p, buf);
            }
        }
    }
    GENERAL_NAMES_free(sans);
    if (names->nelts == 0
        && X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
                                     NID_commonName, buf, sizeof(buf)) > 0) {
        APR_ARRAY_PUSH(names, const char *) = ph_text_oneline(p, buf);
    }
    return apr_array_pstrcat(p, names, ',');
}

static const char *ph_tls_cert_problem(apr_pool_t *p, long code, SSL *ssl)
{
    X509 *cert = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    const char *names = NULL, *not_after = NULL;
    BIO *bio;

    if (cert) {
        names = ph_tls_names(p, cert);
        if ((bio = BIO_new(BIO_s_mem())) != NULL) {
            char *text;
            long len;

            if (ASN1_TIME_print(bio, X509_get0_notAfter(cert))
                && (len = BIO_get_mem_data(bio, &text)) > 0) {
                not_after = apr_pstrmemdup(p, text, (apr_size_t)len);
            }
            BIO_free(bio);
        }
    }
    return ph_tls_problem(p, code, ph_runtime_conf()->smtp_host, names,
                          not_after);
}

/* libesmtp's events (libesmtp.h says what each passes after arg). */
static void ph_smtp_event(smtp_session_t session, int event, void *arg, ...)
{
    ph_tls_state_t *t = arg;
    int opportunistic = t->mode != PH_TLS_REQUIRED;
    va_list ap;
    SSL *ssl;
    long code;
    int *ok, bits;

    (void)session;
    va_start(ap, arg);
    switch (event) {
    case SMTP_EV_EXTNA_STARTTLS:
        t->no_starttls = 1;
        break;
    case SMTP_EV_INVALID_PEER_CERTIFICATE:
        code = va_arg(ap, long);
        ok = va_arg(ap, int *);
        ssl = va_arg(ap, SSL *);
        t->problem = ph_tls_cert_problem(t->p, code, ssl);
        *ok = opportunistic;
        break;
    case SMTP_EV_NO_PEER_CERTIFICATE:
        ok = va_arg(ap, int *);
        t->problem = "the server sent no certificate";
        *ok = opportunistic;
        break;
    case SMTP_EV_WRONG_PEER_CERTIFICATE:
        /* libesmtp's own check, against a DNS canonical name and blind to
         * IP addresses; OpenSSL has checked the configured host already
         * and any mismatch came as SMTP_EV_INVALID_PEER_CERTIFICATE. */
        ok = va_arg(ap, int *);
        *ok = 1;
        break;
    case SMTP_EV_WEAK_CIPHER:
        bits = va_arg(ap, int);
        ok = va_arg(ap, int *);
        t->problem = apr_psprintf(t->p, "the cipher is weak (%d bits)", bits);
        *ok = opportunistic;
        break;
    case SMTP_EV_STARTTLS_OK:
        ssl = va_arg(ap, SSL *);
        t->tls = 1;
        t->protocol = SSL_get_version(ssl);
        t->cipher = va_arg(ap, const char *);
        break;
    default:
        break;
    }
    va_end(ap);
}

/* libesmtp still looks, at every STARTTLS, for a client certificate at
 * $HOME/.authenticate/<host>/private/smtp-starttls.pem and gives up the
 * session when it cannot tell whether that file exists: with HOME=/root
 * (httpd started from a root shell) the User cannot look.  Then the mail
 * thread's process gets HOME=/nonexistent, as Debian gives system users;
 * an existing variable is replaced in place, so other threads reading the
 * environment see the old value or the new one. */
static void ph_mail_fix_home(server_rec *s, apr_pool_t *p)
{
    const char *home = getenv("HOME");
    apr_finfo_t fi;
    apr_status_t rv;

    if (home == NULL || ph_runtime_conf()->smtp_starttls == PH_TLS_OFF) {
        return;                 /* unset: libesmtp's lookup finds nothing */
    }
    rv = apr_stat(&fi, apr_pstrcat(p, home, "/.authenticate", NULL),
                  APR_FINFO_TYPE, p);
    if (rv == APR_SUCCESS || APR_STATUS_IS_ENOENT(rv)) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, rv, s,
                 PHLOGNO(00105) "HOME=%s cannot be read by the User; the mail "
                 "thread runs with HOME=/nonexistent (libesmtp looks for "
                 "client certificates there)", ph_text_oneline(p, home));
    setenv("HOME", "/nonexistent", 1);
}

/* What On let through, said at most once an hour (and again at once when
 * the problem changes): a mail still went, so it is not an error. */
static void ph_tls_notice(server_rec *s, apr_pool_t *p,
                          const ph_tls_state_t *t)
{
    static char last[256];
    static apr_time_t last_at;
    ph_server_conf_t *c = ph_runtime_conf();
    const char *what;
    apr_time_t now = apr_time_sec(ph_mono_now());

    if (t->mode != PH_TLS_ON) {
        return;
    }
    what = t->problem ? t->problem : !t->tls ? "no STARTTLS offered" : NULL;
    if (what == NULL || (strcmp(last, what) == 0 && last_at
                         && now - last_at < PH_TLS_WARN_EVERY)) {
        return;
    }
    apr_cpystrn(last, what, sizeof(last));
    last_at = now;
    if (t->problem) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     PHLOGNO(00102)
                     "STARTTLS to %s:%u: %s; mail goes encrypted "
                     "but to an unverified server (PhoneHomeSMTPStartTLS On; "
                     "Required would refuse it); said once an hour",
                     c->smtp_host, (unsigned)c->smtp_port, t->problem);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     PHLOGNO(00103)
                     "%s:%u offers no STARTTLS: mail goes in the "
                     "clear (PhoneHomeSMTPStartTLS On); said once an hour",
                     c->smtp_host, (unsigned)c->smtp_port);
    }
    (void)p;
}

static int ph_smtp_interact(auth_client_request_t request, char **result,
                            int fields, void *arg)
{
    ph_server_conf_t *c = arg;
    int i;

    for (i = 0; i < fields; i++) {
        if (request[i].flags & AUTH_USER) {
            result[i] = (char *)c->smtp_user;
        }
        else if (request[i].flags & AUTH_PASS) {
            result[i] = (char *)c->smtp_password;
        }
        else {
            result[i] = (char *)"";
        }
    }
    return 1;
}

/* Why a session that ended before the mail was accepted ended, when TLS
 * is the reason; else NULL. */
static const char *ph_tls_refusal(apr_pool_t *p, const ph_tls_state_t *t)
{
    ph_server_conf_t *c = ph_runtime_conf();

    if (t->no_starttls) {
        return apr_psprintf(p, "%s:%u offers no STARTTLS (%s): not sent",
                            c->smtp_host, (unsigned)c->smtp_port,
                            ph_tls_why_required(c));
    }
    if (t->problem && t->mode == PH_TLS_REQUIRED) {
        return apr_psprintf(p, "STARTTLS to %s:%u: %s (%s): not sent",
                            c->smtp_host, (unsigned)c->smtp_port, t->problem,
                            ph_tls_why_required(c));
    }
    return NULL;
}

/* Send one mail.  NULL on success, else a one-line reason; *permanent is
 * set when the server refused the mail for good (5xx). */
static const char *ph_smtp_send(server_rec *s, apr_pool_t *p,
                                const ph_outbox_item_t *item, int *permanent)
{
    ph_server_conf_t *c = ph_runtime_conf();
    static const int timeouts[] = { Timeout_GREETING, Timeout_ENVELOPE,
                                    Timeout_DATA, Timeout_TRANSFER,
                                    Timeout_DATA2 };
    smtp_session_t session;
    smtp_message_t message;
    auth_context_t auth = NULL;
    const smtp_status_t *st;
    const char *why = NULL;
    ph_tls_state_t tls;
    char err[128];
    unsigned int i;
    int n;

    *permanent = 0;
    memset(&tls, 0, sizeof(tls));
    tls.p = p;
    tls.mode = ph_tls_mode(c);
    if (tls.mode != PH_TLS_OFF && ph_tls_ctx == NULL) {
        return "no STARTTLS context (see the startup messages): not sent";
    }
    session = smtp_create_session();
    if (session == NULL) {
        return "libesmtp cannot create a session";
    }
    message = smtp_add_message(session);
    smtp_set_server(session, apr_psprintf(p, "%s:%u", c->smtp_host,
                                          (unsigned)c->smtp_port));
    for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
        smtp_set_timeout(session, timeouts[i]
                         | Timeout_OVERRIDE_RFC2822_MINIMUM,
                         PH_SMTP_TIMEOUT_MS);
    }
    smtp_starttls_enable(session, tls.mode == PH_TLS_REQUIRED
                         ? Starttls_REQUIRED : tls.mode == PH_TLS_ON
                         ? Starttls_ENABLED : Starttls_DISABLED);
    if (tls.mode != PH_TLS_OFF) {
        smtp_starttls_set_ctx(session, ph_tls_ctx);
    }
    smtp_set_eventcb(session, ph_smtp_event, &tls);
    if (c->smtp_user) {
        auth = auth_create_context();
        auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
        auth_set_interact_cb(auth, ph_smtp_interact, c);
        smtp_auth_set_context(session, auth);
    }
    smtp_set_reverse_path(message, c->mail_from);
    smtp_set_message_str(message, (void *)item->message);
    for (n = 0; n < item->rcpt->nelts; n++) {
        smtp_add_recipient(message, APR_ARRAY_IDX(item->rcpt, n,
                                                  const char *));
    }

    ERR_clear_error();
    if (!smtp_start_session(session)) {
        why = ph_tls_refusal(p, &tls);
        if (why == NULL) {
            why = apr_psprintf(p, "%s:%u: %s", c->smtp_host,
                               (unsigned)c->smtp_port,
                               smtp_strerror(smtp_errno(), err, sizeof(err)));
        }
    }
    else {
        st = smtp_message_transfer_status(message);
        if (st == NULL || st->code == 0) {
            st = smtp_reverse_path_status(message);
        }
        if (st == NULL || st->code / 100 != 2) {
            int code = st ? st->code : 0;

            *permanent = code / 100 == 5;
            why = code ? apr_psprintf(p, "%d %s", code,
                                      st->text ? st->text : "")
                : ph_tls_refusal(p, &tls);
            if (why == NULL && !tls.tls && ERR_peek_last_error() != 0) {
                /* The handshake failed: libesmtp only ends the session. */
                why = apr_psprintf(p, "STARTTLS to %s:%u failed: %s",
                                   c->smtp_host, (unsigned)c->smtp_port,
                                   ph_tls_error(p));
            }
            if (why == NULL) {
                why = apr_psprintf(p, "%s:%u: the session ended before the "
                                   "mail was accepted", c->smtp_host,
                                   (unsigned)c->smtp_port);
            }
        }
    }
    smtp_destroy_session(session);
    if (auth) {
        auth_destroy_context(auth);
    }
    ERR_clear_error();
    if (tls.tls) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     PHLOGNO(00104) "STARTTLS to %s:%u: %s %s, certificate %s",
                     c->smtp_host, (unsigned)c->smtp_port,
                     tls.protocol ? tls.protocol : "?",
                     tls.cipher ? tls.cipher : "?",
                     tls.problem ? "not verified" : "verified");
    }
    if (why == NULL) {
        ph_tls_notice(s, p, &tls);
    }
    return why ? ph_text_oneline(p, why) : NULL;
}

static void ph_send_due(server_rec *s, apr_pool_t *p)
{
    const char *last_error = NULL;
    apr_array_header_t *files;
    int i;

    if (ph_store_list(p, PH_STORE_OUTBOX, PH_OUTBOX_SUFFIX, &files)
        != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < files->nelts && !ph_mail_stopping; i++) {
        const char *fname = APR_ARRAY_IDX(files, i, char *);
        ph_outbox_item_t item;
        ph_outbox_fate_e fate;
        const char *why;
        apr_time_t now = apr_time_now();
        int permanent;

        if (ph_outbox_load(s, p, fname, "mail", &item) != 0) {
            continue;                   /* gone, or buried: the next */
        }
        if (!ph_outbox_due(item.next, now, PH_BACKOFF_CAP)) {
            continue;
        }
        /* Before each send: still this process's lease, so no two
         * children ever send one file at once. */
        if (!ph_watchdog_keep(PH_LEASE_MAIL)) {
            break;
        }
        why = ph_smtp_send(s, p, &item, &permanent);
        now = apr_time_now();
        fate = ph_outbox_done(p, fname, &item, -1, why, permanent, now,
                              PH_BACKOFF_CAP, -1);
        if (fate == PH_OUTBOX_SENT) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                         PHLOGNO(00030) "sent mail %s \"%s\" to %s", fname,
                         item.subject, apr_array_pstrcat(p, item.rcpt, ','));
            ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                          ",\"event\":\"mail_sent\",\"mail\":\"%s\","
                          "\"attempts\":%u}", (apr_int64_t)apr_time_sec(now),
                          fname, item.attempts + 1));
            continue;
        }
        last_error = apr_psprintf(p, "%s: %s", fname, why);
        if (fate != PH_OUTBOX_RETRY) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         PHLOGNO(00032) "gave up on mail %s \"%s\" after %u "
                         "attempts (%s); it stays in %s", fname,
                         item.subject, item.attempts, why,
                         ph_dir(p, PH_DIR_DEAD));
            ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                          ",\"event\":\"mail_dead\",\"mail\":\"%s\","
                          "\"attempts\":%u,\"error\":%s}",
                          (apr_int64_t)apr_time_sec(now), fname,
                          item.attempts, ph_text_json(p, why)));
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         PHLOGNO(00031) "mail %s not sent (attempt %u): %s; "
                         "retrying in %" APR_TIME_T_FMT " s", fname,
                         item.attempts, why, apr_time_sec(item.next - now));
            ph_events_log(s, p, apr_psprintf(p, "{\"time\":%" APR_INT64_T_FMT
                          ",\"event\":\"mail_failed\",\"mail\":\"%s\","
                          "\"attempts\":%u,\"error\":%s}",
                          (apr_int64_t)apr_time_sec(now), fname,
                          item.attempts, ph_text_json(p, why)));
        }
    }
    ph_outbox_stats(p, last_error);
}

static apr_status_t ph_mail_callback(int state, void *data, apr_pool_t *pool)
{
    server_rec *s = data;

    switch (state) {
    case AP_WATCHDOG_STATE_STARTING:
        ph_mail_stopping = 0;
        auth_client_init();
        ph_mail_fix_home(s, pool);
        ph_outbox_stats(pool, NULL);
        break;
    case AP_WATCHDOG_STATE_RUNNING:
        if (!ph_mail_stopping) {
            /* The queue is digested by the channels' thread, which never
             * waits on a server: a slow SMTP server delays no channel. */
            ph_send_due(s, pool);
        }
        break;
    case AP_WATCHDOG_STATE_STOPPING:
        /* Only a flag: the mail in flight finishes, the rest waits. */
        ph_mail_stopping = 1;
        break;
    }
    return APR_SUCCESS;
}

apr_status_t ph_mail_register(apr_pool_t *pconf, server_rec *s)
{
    if (ph_mail_tls_init(pconf, s) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    return ph_watchdog_leased(pconf, s, PH_WATCHDOG_MAIL, PH_LEASE_MAIL,
                              "mail", PH_MAIL_TICK, PH_MAIL_WEDGED,
                              ph_mail_callback);
}
