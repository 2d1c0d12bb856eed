/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The runtime room: the device table in shared memory and its mutex, set
 * up in post_config and inherited by every child; the state directory's
 * paths; events.log; the watchdog helper.  The segment (ph_shared) is
 * static here: every other room reaches it through
 * mod_phonehome_runtime.h's accessors.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "ap_mpm.h"
#include "ap_provider.h"
#include "ap_slotmem.h"
#include "mod_watchdog.h"
#include "util_mutex.h"

#include "apr_file_io.h"
#include "apr_general.h"
#include "apr_global_mutex.h"
#include "apr_strings.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_secure.h"
#include "ph_flap.h"
#include "ph_fsm.h"
#include "ph_memq.h"
#include "ph_sig.h"

APLOG_USE_MODULE(phonehome);

#define PH_MUTEX_TYPE       "phonehome-shm"
/* Named by the layout version: slotmem's persisted copy of another layout
 * (an upgrade) is never read into this one (it would be read misaligned:
 * slotmem checks no size on a file shorter than the segment); the slots
 * come back from the snapshot, which ph_snapshot_decode converts. */
#define PH_SLOTMEM_DEVICES  "phonehome-devices-v" APR_STRINGIFY(PH_DEVICE_VERSION)
#define PH_SLOTMEM_INDEX    "phonehome-index"
#define PH_RETAINED_KEY     "mod_phonehome-retained"
#define PH_RETAINED_MEMQ    "mod_phonehome-memq"

/* The live table, set up in post_config and inherited by every child. */
typedef struct ph_shared_t {
    ph_table_t          table;
    apr_global_mutex_t *mutex;
    ph_server_conf_t   *conf;               /* the main server's */
    ph_rate_ip_t       *rate_ips;           /* new names per client address */
    ph_chan_stat_t     *chan_stats;         /* conf->channels->nelts */
    ph_beatto_stat_t   *beatto_stats;       /* conf->beat_to->nelts */
    ph_memq_t          *memq;               /* files the disk refused */
} ph_shared_t;

static ph_shared_t ph_shared;

static const ap_slotmem_provider_t *ph_storage;
static ap_slotmem_instance_t *ph_devices_mem;
static ap_slotmem_instance_t *ph_index_mem;

/* Survives graceful restarts in the parent, where statics do not. */
typedef struct {
    apr_time_t started;
    apr_time_t started_mono;        /* the same instant, monotonic */
} ph_retained_t;

/* Between ph_runtime_create and ph_runtime_attach (one post_config). */
static ph_retained_t *ph_retained;
static void *ph_index;
static int ph_cold_start, ph_clean_stop;

ph_server_conf_t *ph_runtime_conf(void)
{
    return ph_shared.conf;
}

ph_table_t *ph_runtime_table(void)
{
    return &ph_shared.table;
}

int ph_runtime_ready(void)
{
    return ph_shared.conf != NULL && ph_shared.table.hdr != NULL;
}

ph_rate_ip_t *ph_runtime_rate_ips(void)
{
    return ph_shared.rate_ips;
}

ph_beatto_stat_t *ph_runtime_beatto_stats(void)
{
    return ph_shared.beatto_stats;
}

ph_chan_stat_t *ph_runtime_chan_stats(void)
{
    return ph_shared.chan_stats;
}

ph_memq_t *ph_runtime_memq(void)
{
    return ph_shared.memq;
}

int ph_runtime_log_due(apr_uint32_t tag, apr_status_t rv,
                       apr_uint32_t *suppressed)
{
    int due = 1;

    *suppressed = 0;
    if (ph_shared.memq && ph_runtime_lock() == APR_SUCCESS) {
        due = ph_memq_log_due(ph_shared.memq, tag, rv, ph_mono_now(),
                              apr_time_from_sec(PH_LOG_EVERY), suppressed);
        ph_unlock();
    }
    return due;
}

const char *ph_dir(apr_pool_t *p, const char *sub)
{
    return sub ? apr_pstrcat(p, ph_shared.conf->state_dir, "/", sub, NULL)
               : ph_shared.conf->state_dir;
}

long ph_location_prefix(request_rec *r)
{
    core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);
    apr_size_t n;

    if (cd->d == NULL || cd->d[0] != '/' || cd->r || cd->d_is_fnmatch) {
        return -1;
    }
    n = strlen(cd->d);
    while (n > 1 && cd->d[n - 1] == '/') {
        n--;
    }
    if (strncmp(r->uri, cd->d, n) != 0
        || (r->uri[n] != '/' && r->uri[n] != '\0')) {
        return -1;
    }
    return (long)n;
}

int ph_answer_line(request_rec *r, int status, const char *line)
{
    r->status = status;
    ap_set_content_type(r, "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        ap_rvputs(r, line, "\n", NULL);
    }
    return OK;
}

apr_status_t ph_events_append(apr_pool_t *p, const char *line)
{
    apr_file_t *f;
    apr_status_t rv;

    /* O_APPEND: the two watchdogs may write at once; a line is one write. */
    rv = apr_file_open(&f, ph_dir(p, PH_EVENTS_LOG), APR_FOPEN_WRITE
                       | APR_FOPEN_CREATE | APR_FOPEN_APPEND, APR_FPROT_UREAD
                       | APR_FPROT_UWRITE | APR_FPROT_GREAD, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, line, strlen(line), NULL);
        apr_file_close(f);
    }
    return rv;
}

/* Hold @a line behind those held before; APR_SUCCESS if it was. */
static apr_status_t ph_events_hold(const char *line)
{
    ph_memq_t *q = ph_shared.memq;
    apr_status_t rv = APR_ENOSPC;
    apr_uint32_t n;
    char name[32];

    if (q == NULL || ph_runtime_lock() != APR_SUCCESS) {
        return rv;
    }
    if (ph_memq_bytes(q, PH_EVENTS_HELD, &n) + strlen(line) + 64
        <= PH_EVENTS_HELD_MAX) {
        /* Names in put order: the flush appends them in that order. */
        apr_snprintf(name, sizeof(name), "%020" APR_UINT64_T_FMT, q->seq + 1);
        rv = ph_memq_put(q, PH_EVENTS_HELD, name, line, strlen(line));
    }
    ph_unlock();
    return rv;
}

/* Whether lines are held: then a new one goes behind them, in order. */
static int ph_events_behind(void)
{
    ph_memq_t *q = ph_shared.memq;
    apr_uint32_t n = 0;

    if (q == NULL || q->count == 0 || ph_runtime_lock() != APR_SUCCESS) {
        return 0;
    }
    ph_memq_bytes(q, PH_EVENTS_HELD, &n);
    ph_unlock();
    return n > 0;
}

void ph_events_log(server_rec *s, apr_pool_t *p, const char *json)
{
    const char *line = apr_pstrcat(p, json, "\n", NULL);
    apr_uint32_t more;
    apr_status_t rv = APR_EAGAIN;

    if (ph_events_behind() && ph_events_hold(line) == APR_SUCCESS) {
        return;
    }
    rv = ph_events_append(p, line);
    if (rv == APR_SUCCESS || ph_events_hold(line) == APR_SUCCESS) {
        return;
    }
    if (ph_runtime_log_due(40, rv, &more)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     PHLOGNO(00040) "cannot append to %s, nor hold the line "
                     "in memory (%d bytes of lines held already): it is "
                     "lost%s", ph_dir(p, PH_EVENTS_LOG), PH_EVENTS_HELD_MAX,
                     ph_runtime_more(p, more));
    }
}

const char *ph_runtime_more(apr_pool_t *p, apr_uint32_t more)
{
    return more ? apr_psprintf(p, " (and %u times more since the last "
                               "such line)", more) : "";
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
                      PHLOGNO(00010) "cannot lock the device table");
    }
    return rv;
}

apr_status_t ph_runtime_lock(void)
{
    return apr_global_mutex_lock(ph_shared.mutex);
}

apr_status_t ph_runtime_trylock(void)
{
    return apr_global_mutex_trylock(ph_shared.mutex);
}

void ph_unlock(void)
{
    apr_global_mutex_unlock(ph_shared.mutex);
}

int ph_runtime_pre_config(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, PH_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0)
           == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* Runs before "httpd -t" says Syntax OK, so a missing module is caught
 * by a config test too. */
int ph_runtime_check(server_rec *s)
{
    if (!ap_lookup_provider(AP_SLOTMEM_PROVIDER_GROUP, "shm",
                            AP_SLOTMEM_PROVIDER_VERSION)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     PHLOGNO(00001) "mod_phonehome needs mod_slotmem_shm: add "
                     "\"LoadModule slotmem_shm_module "
                     "modules/mod_slotmem_shm.so\" (a2enmod slotmem_shm)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     PHLOGNO(00002) "mod_phonehome needs mod_watchdog: add "
                     "\"LoadModule watchdog_module modules/mod_watchdog.so\"");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

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
                     PHLOGNO(00121) "seq floor of %u keyed device(s) set to %"
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
            ph_slot(NULL, id)->since_mono = ph_retained->started_mono;
        }
        else if (rv != APR_EEXIST) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         PHLOGNO(00122)
                         "PhoneHomeDevice %s: no slot left in the "
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
        {
            apr_uint32_t limit, period;

            ph_config_flap(c, dc, &limit, &period);
            ph_flap_configure(d, limit, period);
        }
    }
    return APR_SUCCESS;
}

/* The parent's copy of the held files at a restart (the segment is made
 * anew each generation): taken by a cleanup of the old generation's pconf
 * (registered after the segment's, so it runs first), put back by the
 * next ph_memq_setup.  At a stop they are lost, and said so (PH00159). */
static pid_t ph_memq_owner;

static apr_status_t ph_memq_retain(void *data)
{
    server_rec *s = data;
    void *keep = ap_retained_data_get(PH_RETAINED_MEMQ);
    ph_memq_t *q = ph_shared.memq;

    if (q == NULL || getpid() != ph_memq_owner) {
        return APR_SUCCESS;             /* a child's exit: not its copy */
    }
    if (keep == NULL) {
        keep = ap_retained_data_create(PH_RETAINED_MEMQ, PH_MEMQ_SIZE);
    }
    memcpy(keep, q, PH_MEMQ_SIZE);
    if (q->count && ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     PHLOGNO(00159) "httpd stops with %u files (%u bytes) "
                     "held in memory that %s did not take: they are lost",
                     q->count, q->used, ph_shared.conf
                     ? ph_shared.conf->state_dir : "the state directory");
    }
    ph_shared.memq = NULL;
    return APR_SUCCESS;
}

static void ph_memq_setup(apr_pool_t *pconf, server_rec *s, void *mem)
{
    void *keep = ap_retained_data_get(PH_RETAINED_MEMQ);

    ph_memq_owner = getpid();
    if (keep && ph_memq_attach(keep, PH_MEMQ_SIZE)) {
        memcpy(mem, keep, PH_MEMQ_SIZE);
        ph_shared.memq = ph_memq_attach(mem, PH_MEMQ_SIZE);
        if (ph_shared.memq->count) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         PHLOGNO(00158) "%u files the disk did not take "
                         "are still held in memory after the restart",
                         ph_shared.memq->count);
        }
    }
    else {
        ph_shared.memq = ph_memq_init(mem, PH_MEMQ_SIZE);
    }
    /* A pre-cleanup: slotmem_shm detaches its segments in one. */
    apr_pool_pre_cleanup_register(pconf, s, ph_memq_retain);
}

int ph_runtime_create(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                      int *cold)
{
    ph_server_conf_t *c = ph_config_get(s);
    apr_status_t rv;

    ph_cold_start = ph_clean_stop = 0;
    ph_index = NULL;
    ph_retained = ap_retained_data_get(PH_RETAINED_KEY);
    if (ph_retained == NULL) {
        ph_retained = ap_retained_data_create(PH_RETAINED_KEY,
                                              sizeof(*ph_retained));
        ph_retained->started = apr_time_now();
        ph_retained->started_mono = ph_mono_now();
        ph_cold_start = 1;
        ph_clean_stop = ph_clean_stop_take(s, ptemp);
    }
    ph_config_finish(c);
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
                                  * (apr_size_t)(c->channels->nelts + 1)
                                + sizeof(ph_beatto_stat_t)
                                  * (apr_size_t)(c->beat_to->nelts + 1)
                                + PH_MEMQ_SIZE, 1,
                                0, pconf);
    }
    if (rv == APR_SUCCESS) {
        rv = ph_storage->dptr(ph_index_mem, 0, &ph_index);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     PHLOGNO(00004)
                     "cannot create shared memory for %u devices "
                     "(PhoneHomeMaxDevices)", c->max_devices);
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ph_state_dir_prepare(s, ptemp, c->state_dir) != APR_SUCCESS
        || ph_config_read_secrets(s, pconf, c) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    *cold = ph_cold_start;
    return OK;
}

int ph_runtime_attach(apr_pool_t *pconf, server_rec *s)
{
    ph_server_conf_t *c = ph_shared.conf;
    ph_retained_t *retained = ph_retained;
    void *index = ph_index;
    apr_status_t rv;

    /* After a real start the snapshot (restored by now) and slotmem's copy
     * may be from another boot: monotonic times are rebuilt from wall
     * times, whichever kept them. */
    if (ph_cold_start) {
        apr_uint32_t id;

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
                     PHLOGNO(00126)
                     "no random bytes for the device index key");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* A new segment each generation, restored from slotmem's file, the
     * parent's copy (ph_retain_restore) or the snapshot: the index is
     * derived, so it is built here, before any child runs. */
    ph_table_rebuild(&ph_shared.table, index, c->max_devices);
    ph_shared.rate_ips = (ph_rate_ip_t *)((char *)index
                                          + ph_table_index_size(c->max_devices));
    ph_shared.chan_stats = (ph_chan_stat_t *)(ph_shared.rate_ips
                                              + PH_RATE_IPS);
    memset(ph_shared.chan_stats, 0, sizeof(ph_chan_stat_t)
                                    * (apr_size_t)(c->channels->nelts + 1));
    ph_shared.beatto_stats = (ph_beatto_stat_t *)(ph_shared.chan_stats
                                                  + c->channels->nelts + 1);
    memset(ph_shared.beatto_stats, 0, sizeof(ph_beatto_stat_t)
                                      * (apr_size_t)(c->beat_to->nelts + 1));
    ph_memq_setup(pconf, s, (char *)(ph_shared.beatto_stats
                                     + c->beat_to->nelts + 1));
    ph_shared.table.hdr->started = retained->started;
    ph_shared.table.hdr->started_mono = retained->started_mono;
    if (ph_apply_conf(s, c, retained->started) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ph_seq_floors(s, c, ph_cold_start && !ph_clean_stop);

    rv = ap_global_mutex_create(&ph_shared.mutex, NULL, PH_MUTEX_TYPE, NULL,
                                s, pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;      /* httpd has logged why */
    }
    return OK;
}

void ph_runtime_log_ready(server_rec *s)
{
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 PHLOGNO(00005) "device table ready: %u of %u slots used, "
                 "%u bytes a device", ph_shared.table.hdr->used,
                 ph_shared.conf->max_devices, (unsigned)sizeof(ph_device_t));
}

void ph_runtime_child_init(apr_pool_t *p, server_rec *s)
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
                     PHLOGNO(00006)
                     "cannot attach the device table mutex in a "
                     "child");
    }
}
