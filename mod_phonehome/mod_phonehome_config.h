/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_config.h
 * @brief The configuration room: the server configuration, its defaults,
 *        every directive, the checks across directives, and what the
 *        configuration decides for a device (its display name, its
 *        recipients, its routes).  Level 2 of the glue: it depends on
 *        mod_phonehome_private.h, mod_phonehome_secure.h and the core.
 */

#ifndef MOD_PHONEHOME_CONFIG_H
#define MOD_PHONEHOME_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "apr_hash.h"
#include "apr_tables.h"
#include "ap_expr.h"

#include "ph_beatto.h"
#include "ph_conf.h"
#include "ph_notify.h"
#include "ph_rate.h"

typedef enum {
    PH_TLS_OFF = 0,
    PH_TLS_ON,                      /* when the server offers it */
    PH_TLS_REQUIRED
} ph_tls_e;

/* PhoneHomeForgetAfter's longest: ten years. */
#define PH_FORGET_AFTER_LIMIT   (3650u * 86400u)

/* PhoneHomeMetricsDevices */
#define PH_METRICS_DEV_ALL      0
#define PH_METRICS_DEV_NOT_UP   1
#define PH_METRICS_DEV_NONE     2

typedef struct ph_server_conf_t {
    apr_uint32_t        max_age;
    apr_uint32_t        startup_grace;
    int                 startup_grace_set;
    apr_uint32_t        max_devices;
    int                 auto_register;
    apr_array_header_t *devices;            /* ph_devconf_t */
    apr_hash_t         *device_index;       /* name -> ph_devconf_t * */
    const char         *monitor_name;
    const char         *mail_from;
    apr_array_header_t *mail_to;            /* const char * */
    const char         *smtp_host;
    apr_port_t          smtp_port;
    int                 smtp_starttls;      /* ph_tls_e */
    const char         *smtp_user;
    const char         *smtp_password_file;
    const char         *smtp_password;      /* read as root at startup */
    const char         *smtp_ca_file;       /* PhoneHomeSMTPCAFile, or NULL */
    const char         *state_dir;
    apr_uint32_t        digest_window;
    apr_uint32_t        retry_period;       /* seconds before a mail is dead */
    int                 notify_first_beat;
    apr_int64_t         arm_after;          /* PhoneHomeArmAfter; -1: 2 MaxAge */
    apr_uint32_t        forget_after;       /* PhoneHomeForgetAfter s; 0: Off */
    apr_uint32_t        flap_limit;         /* PhoneHomeFlapLimit n; 0: Off */
    apr_uint32_t        flap_period;        /* ... seconds */
    int                 flap_any;           /* on for some device (set by
                                             * ph_config_finish) */
    ph_rate_t           beat_rate;          /* PhoneHomeRateLimit */
    ph_rate_t           register_rate;      /* PhoneHomeRegisterLimit */
    unsigned int        register_v6_prefix; /* ... ipv6-prefix= */
    apr_array_header_t *channels;           /* ph_notify_chan_t */
    int                 metrics_devices;    /* PhoneHomeMetricsDevices */
    apr_array_header_t *passive;            /* ph_passive_t *, or NULL */
    apr_array_header_t *beat_to;            /* ph_beatto_t (PhoneHomeBeatTo) */
} ph_server_conf_t;

/* A PhoneHomePassive rule (mod_phonehome_passive.c evaluates it). */
typedef struct ph_passive_t {
    const char           *name;         /* the device */
    const char           *expr_text;    /* as written, for messages */
    ap_expr_info_t       *expr;
    const char           *where;        /* file:line of the directive */
    volatile apr_uint32_t last_sec;     /* this process's last beat, s */
    volatile apr_uint32_t failed;       /* evaluation error logged */
} ph_passive_t;

/** The module's create_server_config: every default. */
void *ph_config_create(apr_pool_t *p, server_rec *s);

/** The directives (the module record's command table). */
extern const command_rec ph_config_cmds[];

/** The configuration of server @a s (the main server's is the one used). */
ph_server_conf_t *ph_config_get(server_rec *s);

/**
 * Checks across directives, at check_config (so "httpd -t" catches them);
 * each refusal is logged naming the directives.
 * @return OK or HTTP_INTERNAL_SERVER_ERROR
 */
int ph_config_check(server_rec *s, ph_server_conf_t *c);

/**
 * At post_config, as root: the defaults that depend on other directives
 * (PhoneHomeStartupGrace follows PhoneHomeMaxAge).
 */
void ph_config_finish(ph_server_conf_t *c);

/** The flap limit of a device (@a dc its PhoneHomeDevice, or NULL):
 *  its Flap=, else PhoneHomeFlapLimit; 0, 0 when Off. */
void ph_config_flap(const ph_server_conf_t *c, const ph_devconf_t *dc,
                    apr_uint32_t *limit, apr_uint32_t *period);

/** At post_config, as root: read the secrets not read with the
 *  configuration (the SMTP password), so that their files may be
 *  root's alone. */
apr_status_t ph_config_read_secrets(server_rec *s, apr_pool_t *pconf,
                                    ph_server_conf_t *c);

/** The channel number of @a name, or -1. */
int ph_channel_find(const ph_server_conf_t *conf, const char *name);

#endif /* MOD_PHONEHOME_CONFIG_H */
