/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome.h
 * @brief What the glue files of mod_phonehome share: the configuration and
 *        the device table in shared memory.  Not a public API.
 */

#ifndef MOD_PHONEHOME_H
#define MOD_PHONEHOME_H

#include "httpd.h"
#include "http_config.h"
#include "apr_global_mutex.h"
#include "apr_hash.h"
#include "mod_watchdog.h"

#include <time.h>

#include "ph_conf.h"
#include "ph_device.h"
#include "ph_notify.h"
#include "ph_rate.h"
#include "ph_table.h"

#define PH_VERSION          "0.1.0"

/* The clock every deadline is measured on (see ph_fsm.h): it never steps
 * and all children of one boot share it. */
static APR_INLINE apr_time_t ph_mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC
           + (apr_time_t)(ts.tv_nsec / 1000);
}

typedef enum {
    PH_TLS_OFF = 0,
    PH_TLS_ON,                      /* when the server offers it */
    PH_TLS_REQUIRED
} ph_tls_e;

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
    ph_rate_t           beat_rate;          /* PhoneHomeRateLimit */
    ph_rate_t           register_rate;      /* PhoneHomeRegisterLimit */
    unsigned int        register_v6_prefix; /* ... ipv6-prefix= */
    apr_array_header_t *channels;           /* ph_notify_chan_t */
    int                 metrics_devices;    /* PhoneHomeMetricsDevices */
    apr_array_header_t *passive;            /* PhoneHomePassive, or NULL */
} ph_server_conf_t;

/* Subdirectories of PhoneHomeStateDir. */
#define PH_DIR_QUEUE        "queue"         /* transitions not yet mailed */
#define PH_DIR_OUTBOX       "outbox"        /* mails not yet delivered */
#define PH_DIR_DEAD         "dead"          /* mails given up on */
#define PH_EVENTS_LOG       "events.log"

/* A channel's counts for the status page, in shared memory (one per
 * PhoneHomeNotify, in configuration order; reset by every restart). */
typedef struct ph_chan_stat_t {
    apr_uint32_t        queued;             /* in outbox/ */
    apr_uint32_t        dead;               /* in dead/ */
    apr_uint64_t        sent;               /* since httpd (re)started */
    apr_time_t          last_error_time;
    char                last_error[PH_LAST_ERROR_LEN]; /* redacted, one line */
} ph_chan_stat_t;

/* The live table, set up in post_config and inherited by every child. */
typedef struct ph_shared_t {
    ph_table_t          table;
    apr_global_mutex_t *mutex;
    ph_server_conf_t   *conf;               /* the main server's */
    ph_rate_ip_t       *rate_ips;           /* new names per client address */
    ph_chan_stat_t     *chan_stats;         /* conf->channels->nelts */
} ph_shared_t;

extern module AP_MODULE_DECLARE_DATA phonehome_module;
extern ph_shared_t ph_shared;

apr_status_t ph_lock(request_rec *r);
void ph_unlock(void);

/** How a device is named in mail and on the status page. */
const char *ph_display_name(apr_pool_t *p, const ph_server_conf_t *conf,
                            const char *device);

/** The device in slot @a id (the table must be locked). */
ph_device_t *ph_slot(void *baton, apr_uint32_t id);

/** The recipients for a device: its MailTo=, else PhoneHomeMailTo. */
const apr_array_header_t *ph_recipients(const ph_server_conf_t *conf,
                                        const char *device);

/** Whether @a device's alerts go by mail (Notify= may leave mail out). */
int ph_route_mail(const ph_server_conf_t *conf, const char *device);

/** Whether @a device's alerts go to channel number @a chan. */
int ph_route_channel(const ph_server_conf_t *conf, const char *device,
                     int chan);

/** Append one JSON line to StateDir/events.log. */
void ph_events_log(server_rec *s, apr_pool_t *p, const char *json);

/* mod_phonehome_watchdog.c: detection and snapshots */
/** Register @a callback on a singleton child watchdog named @a name. */
apr_status_t ph_watchdog_singleton(apr_pool_t *pconf, server_rec *s,
                                   const char *name,
                                   apr_interval_time_t interval,
                                   ap_watchdog_callback_fn_t *callback);
apr_status_t ph_watchdog_register(apr_pool_t *pconf, server_rec *s);
apr_status_t ph_snapshot_restore(server_rec *s, apr_pool_t *p,
                                 apr_uint32_t nslots);

/* mod_phonehome_mail.c: the outbox and its sender */
apr_status_t ph_mail_register(apr_pool_t *pconf, server_rec *s);
/** Queue to outbox: transitions older than the digest window become one
 *  mail per kind and recipient set and one notification per kind and
 *  channel, written (synced) before the queue files are removed. */
void ph_queue_digest(server_rec *s, apr_pool_t *p);
/** Count the queue, the outbox and dead/ for the status page, per channel
 *  too; @a error, if not NULL, becomes the last delivery error. */
void ph_outbox_stats(apr_pool_t *p, const char *error);

/* mod_phonehome_notify.c: channels, sent with libcurl */
apr_status_t ph_notify_register(apr_pool_t *pconf, server_rec *s);
/** The channel number of @a name, or -1. */
int ph_channel_find(const ph_server_conf_t *conf, const char *name);

/* mod_phonehome_status.c */
int ph_status_handler(request_rec *r);
void ph_status_register_hooks(apr_pool_t *p);
const char *ph_set_metrics_devices(cmd_parms *cmd, void *d, const char *arg);

#endif /* MOD_PHONEHOME_H */
