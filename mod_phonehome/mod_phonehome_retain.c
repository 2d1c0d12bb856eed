/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The retain room: the device table across a restart.  mod_slotmem_shm
 * makes a new segment each generation and fills it from the file its
 * cleanup of the old pconf wrote; at a graceful restart the old children
 * still beat into the old segment meanwhile, so that file can be torn
 * (AH02551: the new table starts empty) or miss what they wrote.  The
 * parent copies the used slots here first, in a pre-cleanup (they run
 * before every plain cleanup, slotmem's included), a chunk at a time under
 * the table's lock like the snapshot, into memory of the parent's that
 * survives the generation; the new generation writes it into its table
 * and frees it.  Cost: O(used) once a restart, the lock held one chunk at
 * a time, and used slots' worth of the parent's memory during the restart
 * only (a buffer that large is mapped for it and unmapped by free: at a
 * million devices 456 MB would otherwise stay in the parent for good).
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "apr_strings.h"
#include "apr_time.h"

#include <stdlib.h>
#include <unistd.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_retain.h"

APLOG_USE_MODULE(phonehome);

/* Named by the layout version: a module of another layout loaded by a
 * graceful restart does not find this one's copy. */
#define PH_RETAINED_SLOTS   "mod_phonehome-slots-v" \
                            APR_STRINGIFY(PH_DEVICE_VERSION)
/* Slots copied per hold of the lock (48 KB), as the snapshot does. */
#define PH_RETAIN_CHUNK     128
/* How long the parent waits for the lock in all: a child stopped while
 * holding it (SIGSTOP) must not hang the restart.  Past it the copy is
 * given up and the new generation starts from slotmem's file or the
 * snapshot, as it did before. */
#define PH_RETAIN_WAIT      apr_time_from_sec(2)

/* The parent keeps this across generations, and across module versions
 * that share the layout: give PH_RETAINED_SLOTS another name if it
 * changes. */
typedef struct ph_retain_t {
    apr_uint32_t version;           /* PH_DEVICE_VERSION of the copy */
    apr_uint32_t slot_size;         /* sizeof(ph_device_t) */
    apr_uint32_t max_devices;       /* the copying generation's */
    apr_uint32_t count;             /* slots copied */
    apr_uint32_t capacity;          /* slots 'buf' holds */
    int          taken;             /* a copy waits for the next generation */
    ph_device_t *buf;               /* malloc'd at the restart, freed once
                                     * the new generation has it */
} ph_retain_t;

/* The parent: a child's exit clears its pconf too. */
static pid_t ph_retain_owner;

static int ph_retain_lock(apr_time_t deadline)
{
    apr_status_t rv;

    while ((rv = ph_runtime_trylock()) != APR_SUCCESS) {
        if (!APR_STATUS_IS_EBUSY(rv) || ph_mono_now() >= deadline) {
            return 0;
        }
        apr_sleep(apr_time_from_msec(1));
    }
    return 1;
}

static void ph_retain_free(ph_retain_t *r)
{
    free(r->buf);
    r->buf = NULL;
    r->capacity = 0;
}

static apr_status_t ph_retain_take(void *data)
{
    ph_table_t *t = ph_runtime_table();
    ph_server_conf_t *c = ph_runtime_conf();
    apr_time_t deadline = ph_mono_now() + PH_RETAIN_WAIT;
    ph_retain_t *r;
    apr_uint32_t used, id;

    (void)data;
    if (getpid() != ph_retain_owner
        || ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_DESTROY_CONFIG
        || !ph_runtime_ready()) {
        return APR_SUCCESS;             /* a stop, or a child's exit */
    }
    r = ap_retained_data_get(PH_RETAINED_SLOTS);
    if (r == NULL) {
        r = ap_retained_data_create(PH_RETAINED_SLOTS, sizeof(*r));
    }
    r->taken = 0;
    if (r->capacity < c->max_devices) {
        ph_device_t *buf = malloc(sizeof(ph_device_t) * c->max_devices);

        if (buf == NULL) {
            return APR_SUCCESS;         /* slotmem's file it is */
        }
        free(r->buf);
        r->buf = buf;
        r->capacity = c->max_devices;
    }
    if (!ph_retain_lock(deadline)) {
        return APR_SUCCESS;
    }
    used = t->hdr->used;
    ph_unlock();
    /* Fault the pages in now, not while holding the lock. */
    memset(r->buf, 0, sizeof(ph_device_t) * used);
    /* 'used' may grow meanwhile (an old child registers a device): read
     * again at every chunk, the last chunk's is the copy's. */
    for (id = 0; ; ) {
        apr_uint32_t end;

        if (!ph_retain_lock(deadline)) {
            return APR_SUCCESS;
        }
        used = t->hdr->used;
        if (used > c->max_devices) {
            used = c->max_devices;
        }
        end = used - id > PH_RETAIN_CHUNK ? id + PH_RETAIN_CHUNK : used;
        for (; id < end; id++) {
            r->buf[id] = *ph_slot(NULL, id);
        }
        ph_unlock();
        if (id >= used) {
            break;
        }
    }
    r->version = PH_DEVICE_VERSION;
    r->slot_size = (apr_uint32_t)sizeof(ph_device_t);
    r->max_devices = c->max_devices;
    r->count = used;
    r->taken = 1;
    return APR_SUCCESS;
}

void ph_retain_register(apr_pool_t *pconf, server_rec *s)
{
    ph_retain_owner = getpid();
    apr_pool_pre_cleanup_register(pconf, s, ph_retain_take);
}

int ph_retain_restore(server_rec *s)
{
    ph_retain_t *r = ap_retained_data_get(PH_RETAINED_SLOTS);
    apr_uint32_t nslots = ph_runtime_conf()->max_devices;
    apr_uint32_t n, id, kept = 0, dropped = 0;

    if (r == NULL) {
        return 0;
    }
    if (!r->taken) {
        ph_retain_free(r);              /* a copy given up half-way */
        return 0;
    }
    r->taken = 0;                       /* one generation's, used once */
    if (r->version != PH_DEVICE_VERSION
        || r->slot_size != sizeof(ph_device_t)) {
        ph_retain_free(r);
        return 0;
    }
    n = r->count;
    if (n > nslots) {
        for (id = nslots; id < n; id++) {
            dropped += r->buf[id].name[0] != '\0';
        }
        n = nslots;
        if (dropped) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         PHLOGNO(00163) "PhoneHomeMaxDevices went down from "
                         "%u to %u at this restart: the %u devices in the "
                         "slots above %u are dropped", r->max_devices,
                         nslots, dropped, nslots);
        }
    }
    for (id = 0; id < n; id++) {
        *ph_slot(NULL, id) = r->buf[id];
        kept += r->buf[id].name[0] != '\0';
    }
    /* What slotmem restored above the copy is not the table's (nor, from
     * a file of another PhoneHomeMaxDevices, even slots: it reads that
     * one misaligned past the old slots when it is shorter). */
    for (; id < nslots; id++) {
        ph_device_t *d = ph_slot(NULL, id);

        if (d->name[0] != '\0' || d->since != 0 || d->version != 0) {
            memset(d, 0, sizeof(*d));
        }
    }
    ph_retain_free(r);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                 PHLOGNO(00164) "restored %u devices across a restart "
                 "(the old generation's %u slots, copied by the parent: "
                 "slotmem's file is not used)", kept, n);
    return 1;
}
