/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The status page (SetHandler phonehome-status) in HTML, ?auto, ?json and
 * ?metrics, and the PhoneHome section of mod_status's /server-status.
 * Rendering works on a copy taken under the lock, so a slow client never
 * holds the table.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#include "apr_strings.h"
#include "apr_file_io.h"

#include "mod_phonehome.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

typedef struct {
    apr_time_t    now;
    apr_time_t    started;
    apr_uint32_t  nslots;
    apr_uint64_t  refused_full;
    int           n;                /* devices copied */
    ph_device_t  *dev;
    int           count[4];         /* by ph_state_e */
    apr_uint32_t  queued;
    apr_uint32_t  dead;
    apr_uint64_t  sent;
    apr_time_t    last_error_time;
    char          last_error[160];
    apr_time_t    last_tick;
    apr_uint32_t  tick_usec;
    apr_uint32_t  tick_usec_max;
    apr_uint32_t  lock_usec_max;
    int             nchan;
    ph_chan_stat_t *chan;           /* copies, one per PhoneHomeNotify */
} ph_view_t;

#define PH_RECENT_EVENTS    20
#define PH_RECENT_BYTES     16384

/* The last lines of events.log, newest last; torn lines are skipped. */
static apr_array_header_t *ph_recent_events(request_rec *r)
{
    apr_array_header_t *out = apr_array_make(r->pool, PH_RECENT_EVENTS,
                                             sizeof(char *));
    const char *path = apr_pstrcat(r->pool, ph_shared.conf->state_dir, "/",
                                   PH_EVENTS_LOG, NULL);
    apr_off_t off = 0;
    apr_size_t len = PH_RECENT_BYTES;
    apr_finfo_t fi;
    apr_file_t *f;
    char *buf, *line, *last;
    int i, first;

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, r->pool) != APR_SUCCESS) {
        return out;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) == APR_SUCCESS
        && fi.size > PH_RECENT_BYTES) {
        off = fi.size - PH_RECENT_BYTES;
    }
    buf = apr_palloc(r->pool, PH_RECENT_BYTES + 1);
    if (apr_file_seek(f, APR_SET, &off) != APR_SUCCESS
        || apr_file_read_full(f, buf, len, &len) == APR_EGENERAL) {
        len = 0;
    }
    apr_file_close(f);
    buf[len] = '\0';
    for (line = apr_strtok(buf, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        apr_size_t n = strlen(line);

        if (line[0] == '{' && line[n - 1] == '}') {
            APR_ARRAY_PUSH(out, char *) = line;
        }
    }
    first = out->nelts > PH_RECENT_EVENTS ? out->nelts - PH_RECENT_EVENTS : 0;
    for (i = 0; i < out->nelts - first; i++) {
        APR_ARRAY_IDX(out, i, char *) = APR_ARRAY_IDX(out, i + first, char *);
    }
    out->nelts -= first;
    return out;
}

static apr_status_t ph_view_take(request_rec *r, ph_view_t *v)
{
    ph_table_t *t = &ph_shared.table;
    apr_uint32_t id, used;
    apr_status_t rv;

    memset(v, 0, sizeof(*v));
    v->now = apr_time_now();
    if ((rv = ph_lock(r)) != APR_SUCCESS) {
        return rv;
    }
    used = t->hdr->used;
    v->started = t->hdr->started;
    v->nslots = t->hdr->nslots;
    v->refused_full = t->hdr->refused_full;
    v->queued = t->hdr->outbox_queued;
    v->dead = t->hdr->outbox_dead;
    v->sent = t->hdr->mails_sent;
    v->last_error_time = t->hdr->last_error_time;
    memcpy(v->last_error, t->hdr->last_error, sizeof(v->last_error));
    v->last_error[sizeof(v->last_error) - 1] = '\0';
    v->last_tick = t->hdr->last_tick;
    v->tick_usec = t->hdr->tick_usec;
    v->tick_usec_max = t->hdr->tick_usec_max;
    v->lock_usec_max = t->hdr->lock_usec_max;
    v->nchan = ph_shared.conf->channels->nelts;
    v->chan = apr_pmemdup(r->pool, ph_shared.chan_stats,
                          sizeof(ph_chan_stat_t) * (apr_size_t)(v->nchan + 1));
    v->dev = apr_palloc(r->pool, sizeof(ph_device_t) * (used ? used : 1));
    for (id = 0; id < used; id++) {
        ph_device_t *d = t->slot(t->baton, id);

        if (d->name[0]) {
            v->dev[v->n++] = *d;
        }
    }
    ph_unlock();
    for (id = 0; id < (apr_uint32_t)v->nchan; id++) {
        v->chan[id].last_error[sizeof(v->chan[id].last_error) - 1] = '\0';
    }
    for (id = 0; id < (apr_uint32_t)v->n; id++) {
        v->count[v->dev[id].state & 3]++;
    }
    return APR_SUCCESS;
}

static int ph_by_name(const void *a, const void *b)
{
    return strcmp(((const ph_device_t *)a)->name,
                  ((const ph_device_t *)b)->name);
}

/* Down first, then unknown, then up: what needs a look comes first. */
static int ph_by_urgency(const void *a, const void *b)
{
    static const int rank[4] = { 1, 2, 0, 3 };
    const ph_device_t *x = a, *y = b;

    if (rank[x->state & 3] != rank[y->state & 3]) {
        return rank[x->state & 3] - rank[y->state & 3];
    }
    return strcmp(x->name, y->name);
}

static apr_int64_t ph_sec(apr_time_t t)
{
    return (apr_int64_t)apr_time_sec(t);
}

static apr_int64_t ph_age(const ph_view_t *v, const ph_device_t *d)
{
    return d->last_seen ? ph_sec(v->now - d->last_seen) : -1;
}

static const ph_notify_chan_t *ph_view_chan(int i)
{
    return &APR_ARRAY_IDX(ph_shared.conf->channels, i, ph_notify_chan_t);
}

/* ------------------------------------------------------------------ */

static void ph_render_json(request_rec *r, ph_view_t *v)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\"server_time\":%" APR_INT64_T_FMT ",\"started\":%"
               APR_INT64_T_FMT ",\"devices\":[", ph_sec(v->now),
               ph_sec(v->started));
    for (i = 0; i < v->n; i++) {
        const ph_device_t *d = &v->dev[i];
        int known_t = (d->flags & PH_DEV_HAS_CLIENT_T) != 0;

        ap_rprintf(r, "%s{\"name\":%s,\"display\":%s,\"state\":\"%s\","
                   "\"last_seen\":%s,\"age\":%s,\"max_age\":%u,"
                   "\"since\":%" APR_INT64_T_FMT ",\"beats\":%"
                   APR_UINT64_T_FMT ",\"remote_ip\":%s,\"user_agent\":%s,"
                   "\"client_time\":%s,\"skew\":%s,\"boot_id\":%s,"
                   "\"uptime\":%s}",
                   i ? "," : "",
                   ph_text_json(p, d->name),
                   ph_text_json(p, ph_display_name(p, ph_shared.conf,
                                                   d->name)),
                   ph_state_name(d->state),
                   d->last_seen ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                               ph_sec(d->last_seen)) : "null",
                   d->last_seen ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                               ph_age(v, d)) : "null",
                   d->max_age, ph_sec(d->since), d->beats,
                   ph_text_json(p, d->remote_ip),
                   ph_text_json(p, d->user_agent),
                   known_t ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                          d->client_time) : "null",
                   known_t ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                          d->skew) : "null",
                   d->boot_id[0] ? ph_text_json(p, d->boot_id) : "null",
                   (d->flags & PH_DEV_HAS_UPTIME)
                       ? apr_psprintf(p, "%" APR_INT64_T_FMT, d->uptime)
                       : "null");
    }
    ap_rprintf(r, "],\"outbox\":{\"queued\":%u,\"dead\":%u,\"sent\":%"
               APR_UINT64_T_FMT ",\"last_error\":%s,\"last_error_time\":%s},"
               "\"events\":[", v->queued, v->dead, v->sent,
               v->last_error[0] ? ph_text_json(p, v->last_error) : "null",
               v->last_error_time ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                   ph_sec(v->last_error_time)) : "null");
    {
        apr_array_header_t *ev = ph_recent_events(r);

        for (i = 0; i < ev->nelts; i++) {
            ap_rvputs(r, i ? "," : "", APR_ARRAY_IDX(ev, i, char *), NULL);
        }
    }
    /* Channels, when there are any: name, kind and counts; never a URL or
     * a token.  Without PhoneHomeNotify the document is as it was. */
    ap_rputs(v->nchan ? "],\"channels\":[" : "", r);
    for (i = 0; i < v->nchan; i++) {
        const ph_chan_stat_t *cs = &v->chan[i];

        ap_rprintf(r, "%s{\"name\":%s,\"kind\":\"%s\",\"queued\":%u,"
                   "\"dead\":%u,\"sent\":%" APR_UINT64_T_FMT ","
                   "\"last_error\":%s,\"last_error_time\":%s}",
                   i ? "," : "", ph_text_json(p, ph_view_chan(i)->name),
                   ph_notify_kind_name(ph_view_chan(i)->kind), cs->queued,
                   cs->dead, cs->sent,
                   cs->last_error[0] ? ph_text_json(p, cs->last_error)
                                     : "null",
                   cs->last_error_time ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                       ph_sec(cs->last_error_time)) : "null");
    }
    ap_rputs("]}\n", r);
}

static void ph_render_auto_summary(request_rec *r, const ph_view_t *v)
{
    ap_rprintf(r, "PhoneHomeDevices: %d\nPhoneHomeUp: %d\nPhoneHomeDown: %d\n"
               "PhoneHomeUnknown: %d\n", v->n, v->count[PH_STATE_UP],
               v->count[PH_STATE_DOWN], v->count[PH_STATE_UNKNOWN]);
}

static void ph_render_auto(request_rec *r, ph_view_t *v)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_set_content_type(r, "text/plain; charset=utf-8");
    ph_render_auto_summary(r, v);
    ap_rprintf(r, "PhoneHomeSlots: %u\nPhoneHomeOutboxQueued: %u\n"
               "PhoneHomeOutboxDead: %u\nPhoneHomeMailsSent: %"
               APR_UINT64_T_FMT "\nPhoneHomeTickUsec: %u\n"
               "PhoneHomeTickUsecMax: %u\nPhoneHomeLockUsecMax: %u\n"
               "ServerTime: %" APR_INT64_T_FMT "\n"
               "Started: %" APR_INT64_T_FMT "\n", v->nslots, v->queued,
               v->dead, v->sent, v->tick_usec, v->tick_usec_max,
               v->lock_usec_max,
               ph_sec(v->now), ph_sec(v->started));
    if (v->last_error[0]) {
        ap_rprintf(r, "PhoneHomeLastError: %s\nPhoneHomeLastErrorTime: %"
                   APR_INT64_T_FMT "\n", ph_text_oneline(p, v->last_error),
                   ph_sec(v->last_error_time));
    }
    if (v->nchan) {
        ap_rprintf(r, "PhoneHomeChannels: %d\n", v->nchan);
    }
    for (i = 0; i < v->nchan; i++) {
        const ph_chan_stat_t *cs = &v->chan[i];

        ap_rprintf(r, "Channel[%d]Name: %s\nChannel[%d]Kind: %s\n"
                   "Channel[%d]Queued: %u\nChannel[%d]Dead: %u\n"
                   "Channel[%d]Sent: %" APR_UINT64_T_FMT "\n", i,
                   ph_view_chan(i)->name, i,
                   ph_notify_kind_name(ph_view_chan(i)->kind), i, cs->queued,
                   i, cs->dead, i, cs->sent);
        if (cs->last_error[0]) {
            ap_rprintf(r, "Channel[%d]LastError: %s\n"
                       "Channel[%d]LastErrorTime: %" APR_INT64_T_FMT "\n", i,
                       ph_text_oneline(p, cs->last_error), i,
                       ph_sec(cs->last_error_time));
        }
    }
    for (i = 0; i < v->n; i++) {
        const ph_device_t *d = &v->dev[i];

        ap_rprintf(r, "Device[%d]Name: %s\nDevice[%d]Display: %s\n"
                   "Device[%d]State: %s\n", i, d->name, i,
                   ph_text_oneline(p, ph_display_name(p, ph_shared.conf,
                                                      d->name)),
                   i, ph_state_name(d->state));
        if (d->last_seen) {
            ap_rprintf(r, "Device[%d]LastSeen: %" APR_INT64_T_FMT "\n"
                       "Device[%d]Age: %" APR_INT64_T_FMT "\n"
                       "Device[%d]FirstSeen: %" APR_INT64_T_FMT "\n",
                       i, ph_sec(d->last_seen), i, ph_age(v, d),
                       i, ph_sec(d->first_seen));
        }
        ap_rprintf(r, "Device[%d]MaxAge: %u\nDevice[%d]Since: %"
                   APR_INT64_T_FMT "\nDevice[%d]Beats: %" APR_UINT64_T_FMT
                   "\n", i, d->max_age, i, ph_sec(d->since), i, d->beats);
        if (d->remote_ip[0]) {
            ap_rprintf(r, "Device[%d]RemoteIP: %s\n", i,
                       ph_text_oneline(p, d->remote_ip));
        }
        if (d->user_agent[0]) {
            ap_rprintf(r, "Device[%d]UserAgent: %s\n", i,
                       ph_text_oneline(p, d->user_agent));
        }
        if (d->flags & PH_DEV_HAS_CLIENT_T) {
            ap_rprintf(r, "Device[%d]ClientTime: %" APR_INT64_T_FMT "\n"
                       "Device[%d]Skew: %" APR_INT64_T_FMT "\n",
                       i, d->client_time, i, d->skew);
        }
        if (d->boot_id[0]) {
            ap_rprintf(r, "Device[%d]BootId: %s\n", i,
                       ph_text_oneline(p, d->boot_id));
        }
        if (d->flags & PH_DEV_HAS_UPTIME) {
            ap_rprintf(r, "Device[%d]Uptime: %" APR_INT64_T_FMT "\n", i,
                       d->uptime);
        }
    }
}

static void ph_metric_head(request_rec *r, const char *name,
                           const char *type, const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void ph_render_metrics(request_rec *r, ph_view_t *v)
{
    apr_pool_t *p = r->pool;
    const char **label;
    int i, s;

    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    label = apr_palloc(p, sizeof(*label) * (v->n ? v->n : 1));
    for (i = 0; i < v->n; i++) {
        label[i] = ph_text_prom_label(p, v->dev[i].name);
    }

    ph_metric_head(r, "phonehome_devices", "gauge",
                   "Devices in the table, by state.");
    for (s = PH_STATE_UNKNOWN; s <= PH_STATE_DOWN; s++) {
        ap_rprintf(r, "phonehome_devices{state=\"%s\"} %d\n",
                   ph_state_name(s), v->count[s]);
    }
    ph_metric_head(r, "phonehome_device_slots", "gauge",
                   "Device slots in shared memory (PhoneHomeMaxDevices).");
    ap_rprintf(r, "phonehome_device_slots %u\n", v->nslots);
    ph_metric_head(r, "phonehome_beats_refused_full_total", "counter",
                   "Beats refused because the device table was full.");
    ap_rprintf(r, "phonehome_beats_refused_full_total %" APR_UINT64_T_FMT
               "\n", v->refused_full);
    ph_metric_head(r, "phonehome_outbox_queued", "gauge",
                   "Alerts waiting in the outbox.");
    ap_rprintf(r, "phonehome_outbox_queued %u\n", v->queued);
    ph_metric_head(r, "phonehome_outbox_dead", "gauge",
                   "Alerts the outbox gave up on.");
    ap_rprintf(r, "phonehome_outbox_dead %u\n", v->dead);
    ph_metric_head(r, "phonehome_mails_sent_total", "counter",
                   "Alert mails accepted by the SMTP server since httpd "
                   "started or restarted.");
    ap_rprintf(r, "phonehome_mails_sent_total %" APR_UINT64_T_FMT "\n",
               v->sent);
    for (i = 0; i < v->nchan; i++) {
        if (i == 0) {
            ph_metric_head(r, "phonehome_notify_queued", "gauge",
                           "Notifications waiting in the outbox, per "
                           "channel.");
        }
        ap_rprintf(r, "phonehome_notify_queued{channel=\"%s\",kind=\"%s\"} "
                   "%u\n", ph_view_chan(i)->name,
                   ph_notify_kind_name(ph_view_chan(i)->kind),
                   v->chan[i].queued);
    }
    for (i = 0; i < v->nchan; i++) {
        if (i == 0) {
            ph_metric_head(r, "phonehome_notify_dead", "gauge",
                           "Notifications given up on, per channel.");
        }
        ap_rprintf(r, "phonehome_notify_dead{channel=\"%s\",kind=\"%s\"} "
                   "%u\n", ph_view_chan(i)->name,
                   ph_notify_kind_name(ph_view_chan(i)->kind),
                   v->chan[i].dead);
    }
    for (i = 0; i < v->nchan; i++) {
        if (i == 0) {
            ph_metric_head(r, "phonehome_notify_sent_total", "counter",
                           "Notifications a channel's service accepted "
                           "since httpd started or restarted.");
        }
        ap_rprintf(r, "phonehome_notify_sent_total{channel=\"%s\","
                   "kind=\"%s\"} %" APR_UINT64_T_FMT "\n", ph_view_chan(i)->name,
                   ph_notify_kind_name(ph_view_chan(i)->kind),
                   v->chan[i].sent);
    }
    ph_metric_head(r, "phonehome_tick_seconds", "gauge",
                   "How long the last detection tick took.");
    ap_rprintf(r, "phonehome_tick_seconds %.6f\n", v->tick_usec / 1e6);
    ph_metric_head(r, "phonehome_started_seconds", "gauge",
                   "When httpd started (graceful restarts keep it), epoch.");
    ap_rprintf(r, "phonehome_started_seconds %" APR_INT64_T_FMT "\n",
               ph_sec(v->started));

    ph_metric_head(r, "phonehome_device_up", "gauge",
                   "1 if the device is up, 0 if it is down or unknown.");
    for (i = 0; i < v->n; i++) {
        ap_rprintf(r, "phonehome_device_up{device=\"%s\"} %d\n", label[i],
                   v->dev[i].state == PH_STATE_UP);
    }
    ph_metric_head(r, "phonehome_device_state", "gauge",
                   "1 for the device's current state.");
    for (i = 0; i < v->n; i++) {
        ap_rprintf(r, "phonehome_device_state{device=\"%s\",state=\"%s\"} "
                   "1\n", label[i], ph_state_name(v->dev[i].state));
    }
    ph_metric_head(r, "phonehome_device_beats_total", "counter",
                   "Beats accepted from the device.");
    for (i = 0; i < v->n; i++) {
        ap_rprintf(r, "phonehome_device_beats_total{device=\"%s\"} %"
                   APR_UINT64_T_FMT "\n", label[i], v->dev[i].beats);
    }
    ph_metric_head(r, "phonehome_device_max_age_seconds", "gauge",
                   "Seconds without a beat before the device is down.");
    for (i = 0; i < v->n; i++) {
        ap_rprintf(r, "phonehome_device_max_age_seconds{device=\"%s\"} %u\n",
                   label[i], v->dev[i].max_age);
    }
    ph_metric_head(r, "phonehome_device_last_seen_seconds", "gauge",
                   "Server time of the last beat, epoch.");
    for (i = 0; i < v->n; i++) {
        if (v->dev[i].last_seen) {
            ap_rprintf(r, "phonehome_device_last_seen_seconds{device=\"%s\"} "
                       "%" APR_INT64_T_FMT "\n", label[i],
                       ph_sec(v->dev[i].last_seen));
        }
    }
    ph_metric_head(r, "phonehome_device_first_seen_seconds", "gauge",
                   "Server time of the first beat, epoch.");
    for (i = 0; i < v->n; i++) {
        if (v->dev[i].first_seen) {
            ap_rprintf(r, "phonehome_device_first_seen_seconds{device=\"%s\"} "
                       "%" APR_INT64_T_FMT "\n", label[i],
                       ph_sec(v->dev[i].first_seen));
        }
    }
    ph_metric_head(r, "phonehome_device_age_seconds", "gauge",
                   "Seconds since the last beat.");
    for (i = 0; i < v->n; i++) {
        if (v->dev[i].last_seen) {
            ap_rprintf(r, "phonehome_device_age_seconds{device=\"%s\"} %"
                       APR_INT64_T_FMT "\n", label[i], ph_age(v, &v->dev[i]));
        }
    }
    ph_metric_head(r, "phonehome_device_skew_seconds", "gauge",
                   "Client clock minus server clock at the last beat.");
    for (i = 0; i < v->n; i++) {
        if (v->dev[i].flags & PH_DEV_HAS_CLIENT_T) {
            ap_rprintf(r, "phonehome_device_skew_seconds{device=\"%s\"} %"
                       APR_INT64_T_FMT "\n", label[i], v->dev[i].skew);
        }
    }
    ph_metric_head(r, "phonehome_device_uptime_seconds", "gauge",
                   "The device's uptime as it reported it.");
    for (i = 0; i < v->n; i++) {
        if (v->dev[i].flags & PH_DEV_HAS_UPTIME) {
            ap_rprintf(r, "phonehome_device_uptime_seconds{device=\"%s\"} %"
                       APR_INT64_T_FMT "\n", label[i], v->dev[i].uptime);
        }
    }
}

/* ------------------------------------------------------------------ */
/* HTML                                                                */

static const char *ph_html_time(apr_pool_t *p, apr_time_t t)
{
    char buf[APR_RFC822_DATE_LEN];

    if (t == 0) {
        return "-";
    }
    apr_rfc822_date(buf, t);
    return apr_pstrdup(p, buf);
}

static const char *ph_html_ago(apr_pool_t *p, apr_int64_t s)
{
    return s < 0 ? "never" : apr_psprintf(p, "%" APR_INT64_T_FMT " s ago", s);
}

static void ph_render_table(request_rec *r, ph_view_t *v)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_rputs("<table class=\"phonehome\" border=\"1\" cellpadding=\"3\">\n"
             "<tr><th>Device</th><th>State</th><th>Last seen</th>"
             "<th>Age</th><th>MaxAge</th><th>Since</th><th>Beats</th>"
             "<th>Remote IP</th><th>Boot id</th><th>Uptime</th>"
             "<th>Skew</th><th>User-Agent</th></tr>\n", r);
    for (i = 0; i < v->n; i++) {
        const ph_device_t *d = &v->dev[i];

        ap_rprintf(r, "<tr class=\"%s\"><td title=\"%s, first seen %s\">%s</td>"
                   "<td><b>%s</b></td><td>%s</td><td>%s</td><td>%u s</td>"
                   "<td>%s</td><td>%" APR_UINT64_T_FMT "</td><td>%s</td>"
                   "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                   ph_state_name(d->state),
                   ph_text_html(p, ph_display_name(p, ph_shared.conf,
                                                   d->name)),
                   ph_html_time(p, d->first_seen),
                   ph_text_html(p, d->name), ph_state_name(d->state),
                   ph_html_time(p, d->last_seen),
                   ph_html_ago(p, ph_age(v, d)), d->max_age,
                   ph_html_time(p, d->since), d->beats,
                   ph_text_html(p, d->remote_ip[0] ? d->remote_ip : "-"),
                   ph_text_html(p, d->boot_id[0] ? d->boot_id : "-"),
                   (d->flags & PH_DEV_HAS_UPTIME)
                       ? apr_psprintf(p, "%" APR_INT64_T_FMT " s", d->uptime)
                       : "-",
                   (d->flags & PH_DEV_HAS_CLIENT_T)
                       ? apr_psprintf(p, "%+" APR_INT64_T_FMT " s", d->skew)
                       : "-",
                   ph_text_html(p, d->user_agent[0] ? d->user_agent : "-"));
    }
    ap_rputs("</table>\n", r);
}

static void ph_render_summary_html(request_rec *r, const ph_view_t *v)
{
    ap_rprintf(r, "<p>%d devices: %d up, %d down, %d unknown. Server time %s; "
               "started %s. Outbox: %u queued, %u dead, %" APR_UINT64_T_FMT
               " sent.</p>\n", v->n, v->count[PH_STATE_UP],
               v->count[PH_STATE_DOWN], v->count[PH_STATE_UNKNOWN],
               ph_html_time(r->pool, v->now),
               ph_html_time(r->pool, v->started), v->queued, v->dead,
               v->sent);
    if (v->last_error[0]) {
        ap_rprintf(r, "<p class=\"error\">Last delivery error (%s): %s</p>\n",
                   ph_html_time(r->pool, v->last_error_time),
                   ph_text_html(r->pool, v->last_error));
    }
    if (v->nchan) {
        int i;

        ap_rputs("<table class=\"channels\" border=\"1\" cellpadding=\"3\">"
                 "\n<tr><th>Channel</th><th>Kind</th><th>Queued</th>"
                 "<th>Dead</th><th>Sent</th><th>Last error</th></tr>\n", r);
        for (i = 0; i < v->nchan; i++) {
            const ph_chan_stat_t *cs = &v->chan[i];

            ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%u</td><td>%u</td>"
                       "<td>%" APR_UINT64_T_FMT "</td><td>%s</td></tr>\n",
                       ph_text_html(r->pool, ph_view_chan(i)->name),
                       ph_notify_kind_name(ph_view_chan(i)->kind),
                       cs->queued, cs->dead, cs->sent,
                       cs->last_error[0] ? apr_pstrcat(r->pool,
                           ph_html_time(r->pool, cs->last_error_time), ": ",
                           ph_text_html(r->pool, cs->last_error), NULL)
                       : "-");
        }
        ap_rputs("</table>\n", r);
    }
}

static void ph_render_html(request_rec *r, ph_view_t *v, int refresh)
{
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rputs(DOCTYPE_HTML_4_01 "<html><head>\n<title>PhoneHome status</title>\n"
             "<style>tr.down td{background:#fdd} tr.up td{background:#dfd}"
             "</style>\n", r);
    if (refresh) {
        ap_rprintf(r, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
                   refresh);
    }
    ap_rputs("</head><body>\n<h1>PhoneHome status</h1>\n", r);
    ph_render_summary_html(r, v);
    ph_render_table(r, v);
    {
        apr_array_header_t *ev = ph_recent_events(r);
        int i;

        ap_rputs("<h2>Recent events</h2>\n<pre class=\"events\">\n", r);
        for (i = ev->nelts - 1; i >= 0; i--) {
            ap_rvputs(r, ph_text_html(r->pool, APR_ARRAY_IDX(ev, i, char *)),
                      "\n", NULL);
        }
        ap_rputs("</pre>\n", r);
    }
    ap_rputs("<p>Also as <a href=\"?auto\">?auto</a>, <a href=\"?json\">"
             "?json</a> and <a href=\"?metrics\">?metrics</a>.</p>\n"
             "<hr><address>mod_phonehome/" PH_VERSION "</address>\n"
             "</body></html>\n", r);
}

/* ------------------------------------------------------------------ */

typedef enum { PH_FMT_HTML, PH_FMT_AUTO, PH_FMT_JSON, PH_FMT_METRICS } ph_fmt_e;

/* "?auto", "?json", "?metrics", "?refresh=N", joined by '&'. */
static const char *ph_status_args(request_rec *r, ph_fmt_e *fmt,
                                  int *refresh)
{
    char *args = apr_pstrdup(r->pool, r->args ? r->args : "");
    char *last, *w;

    *fmt = PH_FMT_HTML;
    *refresh = 0;
    for (w = apr_strtok(args, "&", &last); w;
         w = apr_strtok(NULL, "&", &last)) {
        if (!strcmp(w, "auto")) {
            *fmt = PH_FMT_AUTO;
        }
        else if (!strcmp(w, "json")) {
            *fmt = PH_FMT_JSON;
        }
        else if (!strcmp(w, "metrics")) {
            *fmt = PH_FMT_METRICS;
        }
        else if (!strncmp(w, "refresh=", 8)) {
            apr_uint32_t n;

            if (ph_conf_seconds(r->pool, w + 8, 1, 3600, &n)) {
                return "refresh must be 1-3600 seconds";
            }
            *refresh = (int)n;
        }
        else if (!strcmp(w, "refresh")) {
            *refresh = 10;
        }
    }
    return NULL;
}

int ph_status_handler(request_rec *r)
{
    ph_view_t v;
    ph_fmt_e fmt;
    const char *why;
    int refresh;

    if (strcmp(r->handler, "phonehome-status") != 0) {
        return DECLINED;
    }
    if (ph_shared.conf == NULL || ph_shared.table.hdr == NULL) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if ((why = ph_status_args(r, &fmt, &refresh)) != NULL) {
        r->status = HTTP_BAD_REQUEST;
        ap_set_content_type(r, "text/plain; charset=utf-8");
        ap_rvputs(r, why, "\n", NULL);
        return OK;
    }
    if (ph_view_take(r, &v) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (fmt == PH_FMT_HTML) {
        qsort(v.dev, (apr_size_t)v.n, sizeof(*v.dev), ph_by_urgency);
    }
    else {
        qsort(v.dev, (apr_size_t)v.n, sizeof(*v.dev), ph_by_name);
    }
    if (r->header_only) {
        ap_set_content_type(r, fmt == PH_FMT_JSON ? "application/json"
                                                  : "text/plain");
        return OK;
    }
    switch (fmt) {
    case PH_FMT_AUTO:
        ph_render_auto(r, &v);
        break;
    case PH_FMT_JSON:
        ph_render_json(r, &v);
        break;
    case PH_FMT_METRICS:
        ph_render_metrics(r, &v);
        break;
    default:
        ph_render_html(r, &v, refresh);
    }
    return OK;
}

/* mod_status's optional hook: a PhoneHome section in /server-status. */
static int ph_server_status(request_rec *r, int flags)
{
    ph_view_t v;

    if (ph_shared.conf == NULL || ph_shared.table.hdr == NULL
        || ph_view_take(r, &v) != APR_SUCCESS) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        ph_render_auto_summary(r, &v);
        return OK;
    }
    ap_rputs("<hr />\n<h2>PhoneHome</h2>\n", r);
    ph_render_summary_html(r, &v);
    if (!(flags & AP_STATUS_NOTABLE)) {
        qsort(v.dev, (apr_size_t)v.n, sizeof(*v.dev), ph_by_urgency);
        ph_render_table(r, &v);
    }
    return OK;
}

void ph_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(ph_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, ph_server_status, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
