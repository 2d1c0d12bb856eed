/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The directives: one handler a directive and the module record's command
 * table.  Each value is checked by the core's ph_conf.c (and the parsers
 * of the parts it configures), so that a refusal names the directive and
 * the value and changes nothing; secret files are read here, as root,
 * through mod_phonehome_secure.h.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "apr_file_io.h"
#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_directives.h"
#include "mod_phonehome_secure.h"
#include "ph_flap.h"
#include "ph_name.h"
#include "ph_table.h"
#include "ph_text.h"
#include "ph_tls.h"

APLOG_USE_MODULE(phonehome);

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

/* An On|Off directive: cmd->info is the int's offset in the config. */
static const char *ph_set_flag(cmd_parms *cmd, void *d, int flag)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    *(int *)((char *)ph_sconf(cmd) + (apr_size_t)cmd->info) = flag;
    return NULL;
}

static const char *ph_set_forget_after(cmd_parms *cmd, void *d,
                                       const char *arg)
{
    (void)d;
    PH_GLOBAL_ONLY(cmd);
    ph_sconf(cmd)->forget_after = 0;
    return strcasecmp(arg, "Off") == 0 ? NULL
        : ph_bad(cmd, ph_conf_seconds(cmd->pool, arg, 1, PH_FORGET_AFTER_LIMIT,
                                      &ph_sconf(cmd)->forget_after));
}

/* PhoneHomeFlapLimit n seconds | Off */
static const char *ph_set_flap_limit(cmd_parms *cmd, void *d, const char *n,
                                     const char *secs)
{
    ph_server_conf_t *c = ph_sconf(cmd);

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    if (secs == NULL && strcasecmp(n, "Off") != 0) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "'%s' needs a number of "
                                        "changes and seconds, as in \"3 "
                                        "60\", or Off",
                                        ph_text_oneline(cmd->pool, n)));
    }
    return ph_bad(cmd, ph_flap_parse(cmd->pool, n, secs, &c->flap_limit,
                                     &c->flap_period));
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
    if (dc->key_file && (why = ph_secret_key_load(cmd->pool, dc)) != NULL) {
        return ph_bad(cmd, apr_psprintf(cmd->pool, "device '%s': Key=%s: %s",
                                        dc->name, dc->key_file, why));
    }
    apr_hash_set(c->device_index, dc->name, APR_HASH_KEY_STRING, dc);
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
    if ((chan.url_file && (why = ph_secret_read(cmd->pool, chan.url_file,
                                                &chan.url_file, &chan.url)))
        || (chan.token_file && (why = ph_secret_read(cmd->pool,
                                                     chan.token_file,
                                                     &chan.token_file,
                                                     &chan.token)))
        || (chan.user_file && (why = ph_secret_read(cmd->pool,
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


/* PhoneHomeMetricsDevices All|NotUp|None */
static const char *ph_set_metrics_devices(cmd_parms *cmd, void *d,
                                          const char *arg)
{
    static const char *const names[] = { "All", "NotUp", "None" };
    int i;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    for (i = 0; i < 3 && strcasecmp(arg, names[i]); i++) {
    }
    if (i == 3) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg,
                           "' is not All, NotUp or None", NULL);
    }
    ph_sconf(cmd)->metrics_devices = i;     /* PH_METRICS_DEV_* in order */
    return NULL;
}

/* PhoneHomePassive name expression (an ap_expr, parsed here). */
static const char *ph_passive_cmd(cmd_parms *cmd, void *d,
                                  const char *name, const char *expr)
{
    ph_server_conf_t *c = ph_sconf(cmd);
    const char *err = NULL, *why;
    ph_passive_t *pr;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    if ((why = ph_name_check(name)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name,
                            ph_text_oneline(cmd->pool, name), why);
    }
    pr = apr_pcalloc(cmd->pool, sizeof(*pr));
    pr->name = name;
    pr->expr_text = expr;
    pr->expr = ap_expr_parse_cmd(cmd, expr, 0, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "%s %s: cannot parse the expression "
                            "'%s': %s", cmd->cmd->name, name,
                            ph_text_oneline(cmd->pool, expr), err);
    }
    pr->where = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                             cmd->directive->line_num);
    if (c->passive == NULL) {
        c->passive = apr_array_make(cmd->pool, 2, sizeof(ph_passive_t *));
    }
    APR_ARRAY_PUSH(c->passive, ph_passive_t *) = pr;
    return NULL;
}

/* PhoneHomeBeatTo: the key is read now, as root, as a Key= is. */
static const char *ph_add_beat_to(cmd_parms *cmd, void *d, const char *raw)
{
    apr_array_header_t *words;
    ph_beatto_t bt;
    const char *why;

    (void)d;
    PH_GLOBAL_ONLY(cmd);
    if ((why = ph_conf_words(cmd->pool, raw, &words)) != NULL
        || (why = ph_beatto_parse(cmd->pool, words, &bt)) != NULL
        || (bt.key_file && (why = ph_secret_beatto_key(cmd->pool, &bt)))) {
        return ph_bad(cmd, why);
    }
    *(ph_beatto_t *)apr_array_push(ph_sconf(cmd)->beat_to) = bt;
    return NULL;
}

const command_rec ph_config_cmds[] = {
    AP_INIT_TAKE1("PhoneHomeMaxAge", ph_set_max_age, NULL, RSRC_CONF,
        "Seconds without a beat after which a device is down (default 300)"),
    AP_INIT_TAKE1("PhoneHomeStartupGrace", ph_set_grace, NULL, RSRC_CONF,
        "Seconds after httpd starts before any device may go down "
        "(default: PhoneHomeMaxAge)"),
    AP_INIT_TAKE1("PhoneHomeMaxDevices", ph_set_max_devices, NULL, RSRC_CONF,
        "Device slots in shared memory, 1-1000000 (default 1024)"),
    AP_INIT_FLAG("PhoneHomeAutoRegister", ph_set_flag,
        (void *)APR_OFFSETOF(ph_server_conf_t, auto_register), RSRC_CONF, "On: accept beats from undeclared device names "
        "(default On)"),
    AP_INIT_RAW_ARGS("PhoneHomeDevice", ph_set_device, NULL, RSRC_CONF,
        "Declare a device: name [MaxAge=s] [Name=\"text\"] [MailTo=a,b] "
        "[Key=file] [Notify=channel,mail] [Flap=n/s|Off]"),
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
    AP_INIT_FLAG("PhoneHomeNotifyFirstBeat", ph_set_flag,
        (void *)APR_OFFSETOF(ph_server_conf_t, notify_first_beat), RSRC_CONF,
        "On: mail when a device is first heard from (default Off)"),
    AP_INIT_TAKE1("PhoneHomeForgetAfter", ph_set_forget_after, NULL,
        RSRC_CONF, "Remove undeclared devices silent this many seconds, "
        "or Off (default Off)"),
    AP_INIT_TAKE12("PhoneHomeFlapLimit", ph_set_flap_limit, NULL, RSRC_CONF,
        "A device changing state more than n times in seconds is flapping: "
        "one message, then none until it is stable that long; n seconds, "
        "or Off (default Off; per device Flap=n/seconds)"),
    AP_INIT_TAKE2("PhoneHomePassive", ph_passive_cmd, NULL, RSRC_CONF,
                  "a device name and an expression (ap_expr): a request "
                  "that matches counts as a beat for the device"),
    AP_INIT_RAW_ARGS("PhoneHomeBeatTo", ph_add_beat_to, NULL, RSRC_CONF,
        "URL [every=s] [key-file=file] [device=name]: this server's beat"),
    AP_INIT_TAKE1("PhoneHomeMetricsDevices", ph_set_metrics_devices, NULL,
        RSRC_CONF, "Per-device series in ?metrics: All (default), NotUp "
        "or None"),
    {NULL}
};
