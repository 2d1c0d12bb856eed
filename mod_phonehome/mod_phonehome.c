/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_phonehome: devices "phone home" with a beat; the server knows at once
 * when one stops.  This file is the httpd glue: directives, hooks, the
 * device table in shared memory and the beat handler.  The logic lives in
 * the ph_*.c core, which knows nothing of httpd.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "ap_provider.h"
#include "ap_slotmem.h"
#include "mod_watchdog.h"
#include "util_mutex.h"
#include "unixd.h"

#include "apr_file_io.h"
#include "apr_general.h"

#include "apr_strings.h"

#include <unistd.h>

#include "mod_phonehome.h"
#include "mod_phonehome_cert.h"
#include "mod_phonehome_passive.h"
#include "mod_phonehome_secure.h"
#include "ph_beat.h"
#include "ph_fsm.h"
#include "ph_name.h"
#include "ph_sig.h"
#include "ph_spool.h"
#include "ph_text.h"
#include "ph_tls.h"

#ifndef PH_STATE_DIR
#define PH_STATE_DIR "/var/lib/phonehome"
#endif

#define PH_MUTEX_TYPE       "phonehome-shm"
#define PH_SLOTMEM_DEVICES  "phonehome-devices"
#define PH_SLOTMEM_INDEX    "phonehome-index"
#define PH_BODY_MAX         4096
#define PH_RETAINED_KEY     "mod_phonehome-retained"

ph_shared_t ph_shared;

static const ap_slotmem_provider_t *ph_storage;
static ap_slotmem_instance_t *ph_devices_mem;
static ap_slotmem_instance_t *ph_index_mem;

/* Survives graceful restarts in the parent, where statics do not. */
typedef struct {
    apr_time_t started;
    apr_time_t started_mono;        /* the same instant, monotonic */
} ph_retained_t;

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

static void *ph_create_server_conf(apr_pool_t *p, server_rec *s)
{
    ph_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->max_age = 300;                   /* the seed's -m 300 */
    c->max_devices = 1024;
    c->auto_register = 1;
    c->devices = apr_array_make(p, 4, sizeof(ph_devconf_t));
    c->device_index = apr_hash_make(p);
    c->monitor_name = "Raspberry Pi phone home";
    c->mail_to = apr_array_make(p, 2, sizeof(const char *));
    c->smtp_host = "localhost";
    c->smtp_port = 25;
    c->smtp_starttls = PH_TLS_ON;
    c->state_dir = PH_STATE_DIR;
    c->digest_window = 10;
    c->retry_period = 3 * 86400;
    /* No honest client beats 30 times a minute; retries fit easily. */
    c->beat_rate.n = 30;
    c->beat_rate.period = apr_time_from_sec(60);
    c->arm_after = -1;                  /* twice each device's MaxAge */
    c->register_rate.n = 20;
    c->register_v6_prefix = PH_RATE_V6_PREFIX;
    c->register_rate.period = apr_time_from_sec(60);
    c->channels = apr_array_make(p, 2, sizeof(ph_notify_chan_t));
    return c;
}

static ph_server_conf_t *ph_sconf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config,
                                &phonehome_module);
}

/* Every directive is global; the message names the directive. */
#define PH_GLOBAL_ONLY(cmd)                                             \
    do {                                                                \
        const char *err_ = ap_check_cmd_context((cmd), GLOBAL_ONLY);    \
        if (err_) {                                                     \
            return err_;                                                \
        }                                                               \
    } while (0)

static const char *ph_bad(cmd_parms *cmd, const char *why)
{
    return why ? apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", why, NULL)
               : NULL;
}

static const char *ph_set_max_age(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    return ph_bad(cmd, ph_conf_seconds(cmd->pool, arg, 1, PH_MAX_AGE_LIMIT,
                                       &ph_sconf(cmd)->max_age));
}

static const char *ph_set_grace(cmd_parms *cmd, void *d, const char *arg)
{
    ph_server_conf_t *c = ph_sconf(cmd);

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    c->startup_grace_set = 1;
    return ph_bad(cmd, ph_conf_seconds(cmd->pool, arg, 0, PH_MAX_AGE_LIMIT,
                                       &c->startup_grace));
}

static const char *ph_set_max_devices(cmd_parms *cmd, void *d,
                                      const char *arg)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    return ph_bad(cmd, ph_conf_seconds(cmd->pool, arg, 1,
                                       PH_MAX_DEVICES_LIMIT,
                                       &ph_sconf(cmd)->max_devices));
}

static const char *ph_set_auto_register(cmd_parms *cmd, void *d, int flag)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    ph_sconf(cmd)->auto_register = flag;
    return NULL;
}

static const char *ph_set_notify_first(cmd_parms *cmd, void *d, int flag)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    ph_sconf(cmd)->notify_first_beat = flag;
    return NULL;
}

static const char *ph_set_arm_after(cmd_parms *cmd, void *d, const char *arg)
{
    apr_uint32_t v;
    const char *why;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    why = ph_conf_seconds(cmd->pool, arg, 0, 2 * PH_MAX_AGE_LIMIT, &v);
    ph_sconf(cmd)->arm_after = v;
    return ph_bad(cmd, why);
}

/* Keys are read with the configuration, as root, so that a key file may be
 * readable by root alone.  No message ever shows the key. */
static const char *ph_load_key(apr_pool_t *p, ph_devconf_t *dc)
{
    const char *path = ap_server_root_relative(p, dc->key_file);
    char *buf, err[120];
    apr_size_t len;
    apr_status_t rv;

    const char *why;

    if (path == NULL) {
        return "not a path";
    }
    if ((why = ph_secret_file_check(p, path)) != NULL) {
        return why;
    }
    rv = ph_spool_read(p, path, &buf, &len, 8192);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "cannot read the key file (%s)",
                            apr_strerror(rv, err, sizeof(err)));
    }
    dc->key_file = path;
    why = ph_sig_key_parse(p, buf, len, &dc->key, &dc->keylen);
    if (why == NULL) {
        dc->key = ph_secret_keep(p, dc->key, dc->keylen);
    }
    ph_secret_wipe(buf, len);
    return why;
}

static const char *ph_set_device(cmd_parms *cmd, void *d, const char *raw)
{
    ph_server_conf_t *c = ph_sconf(cmd);
    apr_array_header_t *words;
    ph_devconf_t *dc;
    const char *why;
    int i;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    if ((why = ph_conf_words(cmd->pool, raw, &words)) != NULL) {
        return ph_bad(cmd, why);
    }
    if (words->nelts < 1) {
        return ph_bad(cmd, "needs a device name");
    }
    dc = apr_array_push(c->devices);
    memset(dc, 0, sizeof(*dc));
    dc->name = APR_ARRAY_IDX(words, 0, char *);
    if ((why = ph_name_check(dc->name)) != NULL) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "'%s': %s",
                                        ph_text_oneline(cmd->pool, dc->name),
                                        why));
    }
    if (apr_hash_get(c->device_index, dc->name, APR_HASH_KEY_STRING)) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "'%s' is declared twice",
                                        dc->name));
    }
    for (i = 1; i < words->nelts; i++) {
        why = ph_conf_device_option(cmd->pool, dc,
                                    APR_ARRAY_IDX(words, i, char *));
        if (why) {
            return ph_bad(cmd, apr_psprintf(cmd->pool, "device '%s': %s",
                                            dc->name, why));
        }
    }
    if (dc->key_file && (why = ph_load_key(cmd->pool, dc)) != NULL) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "device '%s': Key=%s: %s",
                                        dc->name, dc->key_file, why));
    }
    apr_hash_set(c->device_index, dc->name, APR_HASH_KEY_STRING, dc);
    return NULL;
}

/* A channel's secret file, read as root like a Key= file; messages name
 * the file, never what is in it. */
static const char *ph_read_secret(apr_pool_t *p, const char *file,
                                  const char **path, const char **secret)
{
    char *buf, err[120];
    apr_size_t len;
    apr_status_t rv;
    const char *why;

    *path = ap_server_root_relative(p, file);
    if (*path == NULL) {
        return apr_psprintf(p, "'%s' is not a path",
                            ph_text_oneline(p, file));
    }
    if ((why = ph_secret_file_check(p, *path)) != NULL) {
        return apr_psprintf(p, "%s %s", *path, why);
    }
    rv = ph_spool_read(p, *path, &buf, &len, 8192);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "cannot read %s (%s)", *path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    if ((why = ph_notify_secret(p, buf, len, secret)) != NULL) {
        ph_secret_wipe(buf, len);
        return apr_psprintf(p, "%s: %s", *path, why);
    }
    *secret = ph_secret_keep(p, *secret, strlen(*secret));
    ph_secret_wipe(buf, len);
    return NULL;
}

static const char *ph_add_notify(cmd_parms *cmd, void *d, const char *raw)
{
    ph_server_conf_t *c = ph_sconf(cmd);
    apr_array_header_t *words;
    ph_notify_chan_t chan;
    const char *why;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    if ((why = ph_conf_words(cmd->pool, raw, &words)) != NULL
        || (why = ph_notify_parse(cmd->pool, words, &chan)) != NULL) {
        return ph_bad(cmd, why);
    }
    if (ph_channel_find(c, chan.name) >= 0) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "channel '%s' is "
                                        "declared twice", chan.name));
    }
    if ((chan.url_file && (why = ph_read_secret(cmd->pool, chan.url_file,
                                                &chan.url_file, &chan.url)))
        || (chan.token_file && (why = ph_read_secret(cmd->pool,
                                                     chan.token_file,
                                                     &chan.token_file,
                                                     &chan.token)))
        || (chan.user_file && (why = ph_read_secret(cmd->pool,
                                                    chan.user_file,
                                                    &chan.user_file,
                                                    &chan.user)))
        || (why = ph_notify_check(cmd->pool, &chan)) != NULL) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "channel '%s': %s",
                                        chan.name, why));
    }
    *(ph_notify_chan_t *)apr_array_push(c->channels) = chan;
    return NULL;
}

static const char *ph_set_monitor_name(cmd_parms *cmd, void *d,
                                       const char *arg)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    ph_sconf(cmd)->monitor_name = arg;
    return ph_bad(cmd, ph_conf_display(cmd->pool, arg));
}

static const char *ph_set_mail_from(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    ph_sconf(cmd)->mail_from = arg;
    return ph_bad(cmd, ph_conf_address(cmd->pool, arg));
}

static const char *ph_add_mail_to(cmd_parms *cmd, void *d, const char *arg)
{
    const char *why;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    if ((why = ph_conf_address(cmd->pool, arg)) != NULL) {
        return ph_bad(cmd, why);
    }
    APR_ARRAY_PUSH(ph_sconf(cmd)->mail_to, const char *) = arg;
    return NULL;
}

static const char *ph_set_smtp_server(cmd_parms *cmd, void *d,
                                      const char *arg)
{
    ph_server_conf_t *c = ph_sconf(cmd);

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    return ph_bad(cmd, ph_conf_hostport(cmd->pool, arg, 25, &c->smtp_host,
                                        &c->smtp_port));
}

static const char *ph_set_starttls(cmd_parms *cmd, void *d, const char *arg)
{
    ph_server_conf_t *c = ph_sconf(cmd);

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    if (!strcasecmp(arg, "Off")) {
        c->smtp_starttls = PH_TLS_OFF;
    }
    else if (!strcasecmp(arg, "On")) {
        c->smtp_starttls = PH_TLS_ON;
    }
    else if (!strcasecmp(arg, "Required")) {
        c->smtp_starttls = PH_TLS_REQUIRED;
    }
    else {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "'%s' is not Off, On or "
                                        "Required",
                                        ph_text_oneline(cmd->pool, arg)));
    }
    return NULL;
}

static const char *ph_set_smtp_auth(cmd_parms *cmd, void *d,
                                    const char *user, const char *file)
{
    ph_server_conf_t *c = ph_sconf(cmd);
    apr_finfo_t fi;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    c->smtp_user = user;
    c->smtp_password_file = ap_server_root_relative(cmd->pool, file);
    if (!c->smtp_password_file
        || apr_stat(&fi, c->smtp_password_file, APR_FINFO_TYPE, cmd->pool)
           != APR_SUCCESS || fi.filetype != APR_REG) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "password file '%s' is "
                                        "not a readable file",
                                        ph_text_oneline(cmd->pool, file)));
    }
    return NULL;
}

static const char *ph_set_smtp_ca_file(cmd_parms *cmd, void *d,
                                       const char *arg)
{
    ph_server_conf_t *c = ph_sconf(cmd);

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    c->smtp_ca_file = ap_server_root_relative(cmd->pool, arg);
    return ph_bad(cmd, ph_tls_ca_file_check(cmd->pool, c->smtp_ca_file
                                            ? c->smtp_ca_file : arg));
}

static const char *ph_set_state_dir(cmd_parms *cmd, void *d, const char *arg)
{
    ph_server_conf_t *c = ph_sconf(cmd);

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    c->state_dir = ap_server_root_relative(cmd->pool, arg);
    if (c->state_dir == NULL || *arg == '\0') {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "'%s' is not a path",
                                        ph_text_oneline(cmd->pool, arg)));
    }
    return NULL;
}

static const char *ph_set_retry_period(cmd_parms *cmd, void *d,
                                       const char *arg)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    return ph_bad(cmd, ph_conf_seconds(cmd->pool, arg, 1, PH_MAX_AGE_LIMIT,
                                       &ph_sconf(cmd)->retry_period));
}

/* "n seconds", or Off */
/* PhoneHomeRegisterLimit n seconds [ipv6-prefix=bits] | Off */
static const char *ph_set_rate(cmd_parms *cmd, void *d, const char *n,
                               const char *secs);

static const char *ph_set_register_rate(cmd_parms *cmd, void *d,
                                        const char *n, const char *secs,
                                        const char *opt)
{
    ph_server_conf_t *c = ph_sconf(cmd);
    apr_uint32_t bits;
    const char *why;

    if (opt) {
        if (strncasecmp(opt, "ipv6-prefix=", 12) != 0) {
            return ph_bad(cmd, apr_psprintf(cmd->pool, "unknown option '%s' "
                                            "(ipv6-prefix=bits)",
                                            ph_text_oneline(cmd->pool, opt)));
        }
        if ((why = ph_conf_seconds(cmd->pool, opt + 12, 16, 128, &bits))
            != NULL) {
            return ph_bad(cmd, apr_pstrcat(cmd->pool, "ipv6-prefix=: ", why,
                                           NULL));
        }
        c->register_v6_prefix = bits;
    }
    return ph_set_rate(cmd, d, n, secs);
}

static const char *ph_set_rate(cmd_parms *cmd, void *d, const char *n,
                               const char *secs)
{
    ph_server_conf_t *c = ph_sconf(cmd);
    ph_rate_t *r = cmd->info == (void *)1 ? &c->register_rate : &c->beat_rate;
    apr_uint32_t count, period;
    const char *why;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    if (secs == NULL && strcasecmp(n, "Off") == 0) {
        r->n = 0;
        return NULL;
    }
    if (secs == NULL) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "'%s' needs a number and "
                                        "seconds, as in \"30 60\", or Off",
                                        ph_text_oneline(cmd->pool, n)));
    }
    if ((why = ph_conf_seconds(cmd->pool, n, 1, 1000000, &count)) != NULL
        || (why = ph_conf_seconds(cmd->pool, secs, 1, 86400, &period))
           != NULL) {
        return ph_bad(cmd, why);
    }
    r->n = count;
    r->period = apr_time_from_sec(period);
    return NULL;
}

static const char *ph_set_digest_window(cmd_parms *cmd, void *d,
                                        const char *arg)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    return ph_bad(cmd, ph_conf_seconds(cmd->pool, arg, 0, 3600,
                                       &ph_sconf(cmd)->digest_window));
}

static const command_rec ph_cmds[] = {
    AP_INIT_TAKE1("PhoneHomeMaxAge", ph_set_max_age, NULL, RSRC_CONF,
        "Seconds without a beat after which a device is down (default 300)"),
    AP_INIT_TAKE1("PhoneHomeStartupGrace", ph_set_grace, NULL, RSRC_CONF,
        "Seconds after httpd starts before any device may go down "
        "(default: PhoneHomeMaxAge)"),
    AP_INIT_TAKE1("PhoneHomeMaxDevices", ph_set_max_devices, NULL, RSRC_CONF,
        "Device slots in shared memory, 1-1000000 (default 1024)"),
    AP_INIT_FLAG("PhoneHomeAutoRegister", ph_set_auto_register, NULL,
        RSRC_CONF, "On: accept beats from undeclared device names "
        "(default On)"),
    AP_INIT_RAW_ARGS("PhoneHomeDevice", ph_set_device, NULL, RSRC_CONF,
        "Declare a device: name [MaxAge=s] [Name=\"text\"] [MailTo=a,b] "
        "[Key=file] [Notify=channel,mail]"),
    AP_INIT_RAW_ARGS("PhoneHomeNotify", ph_add_notify, NULL, RSRC_CONF,
        "A push or webhook channel: name URL [kind=] [token-file=] "
        "[user-file=] [chat=] [room=] [tags=] [priority=] [timeout=]"),
    AP_INIT_TAKE1("PhoneHomeMonitorName", ph_set_monitor_name, NULL,
        RSRC_CONF, "Names the monitor in mail (default \"Raspberry Pi phone "
        "home\")"),
    AP_INIT_TAKE1("PhoneHomeMailFrom", ph_set_mail_from, NULL, RSRC_CONF,
        "Envelope and header From of alert mail"),
    AP_INIT_ITERATE("PhoneHomeMailTo", ph_add_mail_to, NULL, RSRC_CONF,
        "Recipients of alert mail; repeatable"),
    AP_INIT_TAKE1("PhoneHomeSMTPServer", ph_set_smtp_server, NULL, RSRC_CONF,
        "SMTP server for alert mail, host[:port] (default localhost:25)"),
    AP_INIT_TAKE1("PhoneHomeSMTPStartTLS", ph_set_starttls, NULL, RSRC_CONF,
        "Off, On (use STARTTLS when offered) or Required (default On)"),
    AP_INIT_TAKE2("PhoneHomeSMTPAuth", ph_set_smtp_auth, NULL, RSRC_CONF,
        "SMTP AUTH user and a file holding the password (needs a verified "
        "STARTTLS)"),
    AP_INIT_TAKE1("PhoneHomeSMTPCAFile", ph_set_smtp_ca_file, NULL, RSRC_CONF,
        "PEM file of CA certificates to trust for the SMTP server, besides "
        "the system store"),
    AP_INIT_TAKE1("PhoneHomeStateDir", ph_set_state_dir, NULL, RSRC_CONF,
        "Directory for the state snapshot, the mail outbox and the event "
        "log (default " PH_STATE_DIR ")"),
    AP_INIT_TAKE1("PhoneHomeDigestWindow", ph_set_digest_window, NULL,
        RSRC_CONF, "Seconds in which transitions are mailed as one digest, "
        "0-3600 (default 10)"),
    AP_INIT_TAKE1("PhoneHomeRetryPeriod", ph_set_retry_period, NULL,
        RSRC_CONF, "Seconds an undelivered alert is retried before it is "
        "kept as dead (default 259200, three days)"),
    AP_INIT_TAKE12("PhoneHomeRateLimit", ph_set_rate, NULL, RSRC_CONF,
        "At most n beats from one device in any period: n seconds, or Off "
        "(default 30 60)"),
    AP_INIT_TAKE123("PhoneHomeRegisterLimit", ph_set_register_rate,
        (void *)1, RSRC_CONF, "At most n new device names from one client "
        "address (IPv6: one prefix, ipv6-prefix=64) in any period: n seconds "
        "[ipv6-prefix=bits], or Off (default 20 60 ipv6-prefix=64)"),
    AP_INIT_TAKE1("PhoneHomeArmAfter", ph_set_arm_after, NULL, RSRC_CONF,
        "An undeclared device can alert once heard this many seconds "
        "(default twice its MaxAge; 0: at its first beat)"),
    AP_INIT_FLAG("PhoneHomeNotifyFirstBeat", ph_set_notify_first, NULL,
        RSRC_CONF, "On: mail when a device is first heard from "
        "(default Off)"),
    AP_INIT_TAKE2("PhoneHomePassive", ph_passive_cmd, NULL, RSRC_CONF,
                  "a device name and an expression (ap_expr): a request "
                  "that matches counts as a beat for the device"),
    AP_INIT_TAKE1("PhoneHomeMetricsDevices", ph_set_metrics_devices, NULL,
        RSRC_CONF, "Per-device series in ?metrics: All (default), NotUp "
        "or None"),
    {NULL}
};

const char *ph_display_name(apr_pool_t *p, const ph_server_conf_t *conf,
                            const char *device)
{
    const ph_devconf_t *dc = apr_hash_get(conf->device_index, device,
                                          APR_HASH_KEY_STRING);

    if (dc && dc->display) {
        return dc->display;
    }
    if (strcmp(device, PH_DEFAULT_DEVICE) == 0) {
        return conf->monitor_name;
    }
    return apr_psprintf(p, "%s (%s)", device, conf->monitor_name);
}

const apr_array_header_t *ph_recipients(const ph_server_conf_t *conf,
                                        const char *device)
{
    const ph_devconf_t *dc = apr_hash_get(conf->device_index, device,
                                          APR_HASH_KEY_STRING);

    return (dc && dc->mail_to) ? dc->mail_to : conf->mail_to;
}

int ph_channel_find(const ph_server_conf_t *conf, const char *name)
{
    int i;

    for (i = 0; i < conf->channels->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(conf->channels, i,
                                 ph_notify_chan_t).name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* Notify= names the routes; without it, a device goes everywhere. */
static int ph_routed(const ph_devconf_t *dc, const char *name)
{
    int i;

    for (i = 0; i < dc->notify->nelts; i++) {
        if (strcasecmp(APR_ARRAY_IDX(dc->notify, i, const char *),
                       name) == 0) {
            return 1;
        }
    }
    return 0;
}

int ph_route_mail(const ph_server_conf_t *conf, const char *device)
{
    const ph_devconf_t *dc = apr_hash_get(conf->device_index, device,
                                          APR_HASH_KEY_STRING);

    /* A device's own MailTo= always asks for mail. */
    return dc == NULL || dc->notify == NULL || dc->mail_to != NULL
           || ph_routed(dc, PH_NOTIFY_MAIL);
}

int ph_route_channel(const ph_server_conf_t *conf, const char *device,
                     int chan)
{
    const ph_devconf_t *dc = apr_hash_get(conf->device_index, device,
                                          APR_HASH_KEY_STRING);

    return dc == NULL || dc->notify == NULL
           || ph_routed(dc, APR_ARRAY_IDX(conf->channels, chan,
                                          ph_notify_chan_t).name);
}

void ph_events_log(server_rec *s, apr_pool_t *p, const char *json)
{
    const char *path = apr_pstrcat(p, ph_shared.conf->state_dir, "/",
                                   PH_EVENTS_LOG, NULL);
    const char *line = apr_pstrcat(p, json, "\n", NULL);
    apr_file_t *f;
    apr_status_t rv;

    /* O_APPEND: the two watchdogs may write at once; a line is one write. */
    rv = apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                       | APR_FOPEN_APPEND, APR_FPROT_UREAD | APR_FPROT_UWRITE
                       | APR_FPROT_GREAD, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, line, strlen(line), NULL);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "PH00040: cannot append to %s", path);
    }
}

/* ------------------------------------------------------------------ */
/* Shared memory                                                       */

ph_device_t *ph_slot(void *baton, apr_uint32_t id)
{
    void *mem = NULL;

    (void)baton;
    ph_storage->dptr(ph_devices_mem, id, &mem);
    return mem;
}

apr_status_t ph_lock(request_rec *r)
{
    apr_status_t rv = apr_global_mutex_lock(ph_shared.mutex);

    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "PH00010: cannot lock the device table");
    }
    return rv;
}

void ph_unlock(void)
{
    apr_global_mutex_unlock(ph_shared.mutex);
}

static int ph_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ap_mutex_register(pconf, PH_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0)
           == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* Runs before "httpd -t" says Syntax OK, so a missing module is caught
 * by a config test too. */
static int ph_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    ph_server_conf_t *c = ap_get_module_config(s->module_config,
                                               &phonehome_module);

    (void)plog;
    (void)ptemp;
    if (ph_passive_check_config(c, pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!ap_lookup_provider(AP_SLOTMEM_PROVIDER_GROUP, "shm",
                            AP_SLOTMEM_PROVIDER_VERSION)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "PH00001: mod_phonehome needs mod_slotmem_shm: add "
                     "\"LoadModule slotmem_shm_module "
                     "modules/mod_slotmem_shm.so\" (a2enmod slotmem_shm)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "PH00002: mod_phonehome needs mod_watchdog: add "
                     "\"LoadModule watchdog_module modules/mod_watchdog.so\"");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (c->mail_from == NULL) {
        int i, any = c->mail_to->nelts > 0;

        for (i = 0; i < c->devices->nelts; i++) {
            any |= APR_ARRAY_IDX(c->devices, i, ph_devconf_t).mail_to != NULL;
        }
        if (any) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "PH00007: PhoneHomeMailTo or MailTo= is set but "
                         "PhoneHomeMailFrom is not: alerts could not be "
                         "mailed");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    {
        int i, j;

        for (i = 0; i < c->devices->nelts; i++) {
            ph_devconf_t *dc = &APR_ARRAY_IDX(c->devices, i, ph_devconf_t);

            for (j = 0; dc->notify && j < dc->notify->nelts; j++) {
                const char *n = APR_ARRAY_IDX(dc->notify, j, const char *);

                if (strcasecmp(n, PH_NOTIFY_MAIL) != 0
                    && ph_channel_find(c, n) < 0) {
                    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                                 "PH00015: PhoneHomeDevice %s: Notify=%s: "
                                 "no PhoneHomeNotify channel has that name",
                                 dc->name, n);
                    return HTTP_INTERNAL_SERVER_ERROR;
                }
            }
        }
    }
    if (c->smtp_user && c->smtp_starttls == PH_TLS_OFF) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "PH00100: PhoneHomeSMTPAuth needs STARTTLS, but "
                     "PhoneHomeSMTPStartTLS is Off: the password would cross "
                     "the network in the clear (use On or Required)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((apr_uint32_t)c->devices->nelts > c->max_devices) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "PH00003: PhoneHomeMaxDevices %u is less than the %d "
                     "devices declared with PhoneHomeDevice",
                     c->max_devices, c->devices->nelts);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* The SMTP password, read while we are still root; the file may then be
 * readable by root alone. */
static apr_status_t ph_read_password(server_rec *s, apr_pool_t *p,
                                     ph_server_conf_t *c)
{
    const char *why;
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    if (c->smtp_password_file == NULL) {
        return APR_SUCCESS;
    }
    if ((why = ph_secret_file_check(p, c->smtp_password_file)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "PH00129: PhoneHomeSMTPAuth: the password file %s %s",
                     c->smtp_password_file, why);
        return APR_EACCES;
    }
    rv = ph_spool_read(p, c->smtp_password_file, &buf, &len, 4096);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "PH00013: PhoneHomeSMTPAuth: cannot read the password "
                     "file %s", c->smtp_password_file);
        return rv;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    c->smtp_password = ph_secret_keep(p, buf, strlen(buf));
    ph_secret_wipe(buf, len);
    return APR_SUCCESS;
}

/* Keyed devices' seq floors at a start (see ph_device_seq_start): after
 * anything but a clean stop (@a lost) no beat signed before it passes. */
static void ph_seq_floors(server_rec *s, ph_server_conf_t *c, int lost)
{
    apr_uint64_t now_ms = (apr_uint64_t)apr_time_as_msec(apr_time_now());
    unsigned int raised = 0;
    int i;

    for (i = 0; i < c->devices->nelts; i++) {
        ph_devconf_t *dc = &APR_ARRAY_IDX(c->devices, i, ph_devconf_t);
        long id;

        if (dc->key == NULL
            || (id = ph_table_find(&ph_shared.table, dc->name)) < 0) {
            continue;
        }
        raised += (unsigned int)ph_device_seq_start(
            ph_slot(NULL, (apr_uint32_t)id),
            ph_sig_key_id(dc->key, dc->keylen), now_ms, lost);
    }
    if (raised) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "PH00121: seq floor of %u keyed device(s) set to %"
                     APR_UINT64_T_FMT " (this start, in ms)%s: signed beats "
                     "sent before it are refused with 409", raised, now_ms,
                     lost ? ", the last stop was not clean" : "");
    }
}

/* Bring every slot in line with this generation's configuration.  A
 * declared device always has a slot: if the table (filled by undeclared
 * names) has none left, httpd does not start. */
static apr_status_t ph_apply_conf(server_rec *s, ph_server_conf_t *c,
                                  apr_time_t started)
{
    ph_table_t *t = &ph_shared.table;
    apr_uint32_t id;
    apr_status_t rv;
    int i;

    for (i = 0; i < c->devices->nelts; i++) {
        ph_devconf_t *dc = &APR_ARRAY_IDX(c->devices, i, ph_devconf_t);

        rv = ph_table_add(t, dc->name, &id);
        if (rv == APR_SUCCESS) {
            ph_slot(NULL, id)->since = started;
        }
        else if (rv != APR_EEXIST) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "PH00122: PhoneHomeDevice %s: no slot left in the "
                         "device table (PhoneHomeMaxDevices %u, all taken, "
                         "undeclared devices included): raise "
                         "PhoneHomeMaxDevices", dc->name, c->max_devices);
            return rv;
        }
    }
    for (id = 0; id < t->hdr->used; id++) {
        ph_device_t *d = ph_slot(NULL, id);
        ph_devconf_t *dc;

        if (d->name[0] == '\0') {
            continue;
        }
        dc = apr_hash_get(c->device_index, d->name, APR_HASH_KEY_STRING);
        d->flags &= ~PH_DEV_DECLARED;
        if (dc) {
            d->flags |= PH_DEV_DECLARED;
        }
        d->max_age = (dc && dc->max_age) ? dc->max_age : c->max_age;
    }
    return APR_SUCCESS;
}

static int ph_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    ph_server_conf_t *c = ap_get_module_config(s->module_config,
                                               &phonehome_module);
    ph_retained_t *retained;
    void *index = NULL;
    int cold_start = 0, clean_stop = 0;
    apr_status_t rv;

    (void)plog;
    /* The first pass only checks the configuration. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    retained = ap_retained_data_get(PH_RETAINED_KEY);
    if (retained == NULL) {
        retained = ap_retained_data_create(PH_RETAINED_KEY,
                                           sizeof(*retained));
        retained->started = apr_time_now();
        retained->started_mono = ph_mono_now();
        cold_start = 1;
        clean_stop = ph_clean_stop_take(s, ptemp);
    }
    if (!c->startup_grace_set) {
        c->startup_grace = c->max_age;
    }
    ph_shared.conf = c;

    ph_storage = ap_lookup_provider(AP_SLOTMEM_PROVIDER_GROUP, "shm",
                                    AP_SLOTMEM_PROVIDER_VERSION);
    rv = ph_storage->create(&ph_devices_mem, PH_SLOTMEM_DEVICES,
                            sizeof(ph_device_t), c->max_devices,
                            AP_SLOTMEM_TYPE_PERSIST, pconf);
    if (rv == APR_SUCCESS) {
        rv = ph_storage->create(&ph_index_mem, PH_SLOTMEM_INDEX,
                                ph_table_index_size(c->max_devices)
                                + sizeof(ph_rate_ip_t) * PH_RATE_IPS
                                + sizeof(ph_chan_stat_t)
                                  * (apr_size_t)(c->channels->nelts + 1), 1,
                                0, pconf);
    }
    if (rv == APR_SUCCESS) {
        rv = ph_storage->dptr(ph_index_mem, 0, &index);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "PH00004: cannot create shared memory for %u devices "
                     "(PhoneHomeMaxDevices)", c->max_devices);
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ph_state_dir_prepare(s, ptemp, c->state_dir) != APR_SUCCESS
        || ph_read_password(s, pconf, c) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* A real start (not a graceful restart) after a crash or a power cut:
     * the snapshot may be fresher than slotmem's copy. */
    if (cold_start) {
        apr_uint32_t id;

        ph_snapshot_restore(s, ptemp, c->max_devices);
        /* Perhaps another boot: monotonic times are rebuilt from wall
         * times, whether slotmem or the snapshot kept them. */
        for (id = 0; id < c->max_devices; id++) {
            ph_fsm_rebase(ph_slot(NULL, id), retained->started,
                          retained->started_mono);
        }
    }

    ph_shared.table.slot = ph_slot;
    ph_shared.table.baton = NULL;
    ph_shared.table.hash = NULL;
    /* A new hash key every generation: nobody outside can aim names at
     * one bucket (the index is rebuilt under it). */
    ph_table_attach(&ph_shared.table, index);
    if (apr_generate_random_bytes(ph_shared.table.hdr->hash_key,
                                  sizeof(ph_shared.table.hdr->hash_key))
        != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "PH00126: no random bytes for the device index key");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* A new segment each generation, restored from the persisted copy:
     * the index is derived, so it is built here, before any child runs. */
    ph_table_rebuild(&ph_shared.table, index, c->max_devices);
    ph_shared.rate_ips = (ph_rate_ip_t *)((char *)index
                                          + ph_table_index_size(c->max_devices));
    ph_shared.chan_stats = (ph_chan_stat_t *)(ph_shared.rate_ips
                                              + PH_RATE_IPS);
    memset(ph_shared.chan_stats, 0, sizeof(ph_chan_stat_t)
                                    * (apr_size_t)(c->channels->nelts + 1));
    ph_shared.table.hdr->started = retained->started;
    ph_shared.table.hdr->started_mono = retained->started_mono;
    if (ph_apply_conf(s, c, retained->started) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ph_seq_floors(s, c, cold_start && !clean_stop);

    rv = ap_global_mutex_create(&ph_shared.mutex, NULL, PH_MUTEX_TYPE, NULL,
                                s, pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;      /* httpd has logged why */
    }
    if ((rv = ph_watchdog_register(pconf, s)) != APR_SUCCESS
        || (rv = ph_mail_register(pconf, s)) != APR_SUCCESS
        || (rv = ph_notify_register(pconf, s)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "PH00014: cannot register with mod_watchdog");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ph_clean_stop_arm(s, pconf);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "PH00005: device table ready: %u of %u slots used, "
                 "%u bytes a device", ph_shared.table.hdr->used,
                 c->max_devices, (unsigned)sizeof(ph_device_t));
    return OK;
}

static void ph_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (ph_shared.mutex == NULL) {
        return;
    }
    rv = apr_global_mutex_child_init(&ph_shared.mutex,
                                     apr_global_mutex_lockfile(ph_shared.mutex),
                                     p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "PH00006: cannot attach the device table mutex in a "
                     "child");
    }
}

/* ------------------------------------------------------------------ */
/* The beat handler                                                    */

/* Every answer is one plain-text line that nobody may cache. */
static int ph_answer(request_rec *r, int status, const char *line)
{
    r->status = status;
    ap_set_content_type(r, "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        ap_rvputs(r, line, "\n", NULL);
    }
    return OK;
}

static int ph_refuse(request_rec *r, int status, const char *line)
{
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "PH00011: beat refused with %d: %s", status, line);
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        /* Do not read what we refused: close instead. */
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return ph_answer(r, status, line);
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

/* The device in the path: the first segment after the <Location>.  The
 * section's path is in core's per-dir config, since SetHandler (a core
 * directive) is all the section needs to hold; a LocationMatch or a
 * wildcard has no plain prefix, so there the path names no device. */
static const char *ph_path_device(request_rec *r)
{
    core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);
    apr_size_t n;

    if (cd->d == NULL || cd->d[0] != '/' || cd->r || cd->d_is_fnmatch) {
        return NULL;
    }
    n = strlen(cd->d);
    while (n > 1 && cd->d[n - 1] == '/') {
        n--;
    }
    if (strncmp(r->uri, cd->d, n) != 0
        || (r->uri[n] != '/' && r->uri[n] != '\0')) {
        return NULL;
    }
    return ph_beat_path_device(r->uri + n, r->pool);
}

/* PhoneHomeRegisterLimit for the client address of @a r (IPv6 per
 * prefix).  The table of addresses is bounded and never lets one address
 * take over another's bucket: when no entry is free, new names are
 * refused (fails closed), with a line in the log at most once a minute.
 * Called with the lock held. */
static int ph_register_limit(request_rec *r, const ph_server_conf_t *c,
                             apr_time_t now, apr_interval_time_t *wait)
{
    apr_time_t *logged = &ph_shared.table.hdr->register_full_logged;
    char key[PH_IP_MAX + 1];
    ph_bucket_state_t *b;

    *wait = 0;
    if (c->register_rate.n == 0) {
        return OK;
    }
    ph_rate_ip_key(key, r->useragent_ip, c->register_v6_prefix);
    b = ph_rate_ip_bucket(ph_shared.rate_ips, ph_shared.table.hdr->hash_key,
                          key, &c->register_rate, now);
    if (b == NULL) {
        if (*logged == 0 || now - *logged >= apr_time_from_sec(60)) {
            *logged = now;
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "PH00128: PhoneHomeRegisterLimit: all %d address "
                          "entries near %s are busy: new device names are "
                          "refused until they fall idle", PH_RATE_IPS, key);
        }
        return HTTP_SERVICE_UNAVAILABLE;
    }
    *wait = ph_rate_take(b, &c->register_rate, now);
    return OK;
}

static int ph_beat_handler(request_rec *r)
{
    ph_server_conf_t *c = ph_shared.conf;
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
    if (c == NULL || ph_shared.table.hdr == NULL) {
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
    found = ph_table_find(&ph_shared.table, name);
    if (found < 0) {
        apr_status_t rv;

        if (!c->auto_register) {
            ph_unlock();
            return ph_refuse(r, HTTP_NOT_FOUND, "unknown device: declare it "
                             "with PhoneHomeDevice");
        }
        if ((rc = ph_register_limit(r, c, now, &wait)) != OK) {
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
        rv = ph_table_add(&ph_shared.table, name, &id);
        if (rv == APR_EAGAIN) {
            ph_unlock();
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "PH00127: refused new device '%s': its place in "
                          "the device index is crowded (more than %u "
                          "probes)", name, PH_TABLE_PROBE_MAX);
            return ph_refuse(r, HTTP_SERVICE_UNAVAILABLE,
                             "device index is crowded: name refused");
        }
        if (rv == APR_ENOSPC) {
            apr_uint64_t refused = ++ph_shared.table.hdr->refused_full;

            ph_unlock();
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "PH00012: device table is full (%u devices): "
                          "refused a beat from new device '%s' (%"
                          APR_UINT64_T_FMT " refused so far); raise "
                          "PhoneHomeMaxDevices", c->max_devices, name,
                          refused);
            return ph_refuse(r, HTTP_SERVICE_UNAVAILABLE,
                             "device table is full");
        }
        d = ph_slot(NULL, id);
        d->max_age = c->max_age;
        d->since = now;
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
    ph_shared.table.hdr->changes++;
    if (found < 0 || d->state != PH_STATE_UP) {
        ph_shared.table.hdr->urgent_changes++;
    }
    ph_device_record_beat(d, &beat, now, mono, r->useragent_ip,
                          apr_table_get(r->headers_in, "User-Agent"));
    beats = d->beats;
    ph_unlock();

    return ph_answer(r, HTTP_OK, apr_psprintf(r->pool, "OK %s beat %"
                                              APR_UINT64_T_FMT, name, beats));
}

static void ph_register_hooks(apr_pool_t *p)
{
    /* Our watchdogs must exist before mod_watchdog's post_config. */
    static const char *const before_watchdog[] = { "mod_watchdog.c", NULL };

    ap_hook_pre_config(ph_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(ph_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ph_post_config, NULL, before_watchdog,
                        APR_HOOK_MIDDLE);
    ap_hook_child_init(ph_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ph_beat_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ph_status_register_hooks(p);
    ph_passive_register_hooks(p);
}

AP_DECLARE_MODULE(phonehome) = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    ph_create_server_conf,
    NULL,
    ph_cmds,
    ph_register_hooks,
    0
};
