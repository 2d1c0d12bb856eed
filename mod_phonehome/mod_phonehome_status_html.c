/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The status page in HTML (phone first: a summary, then what is not up,
 * then the up devices a page at a time), its device view (?device=NAME),
 * the public board (SetHandler phonehome-board), the SVG badge (?badge=)
 * and the stylesheet both pages load from <Location>/style.css, so the
 * pages need no inline style or script and work under a strict
 * Content-Security-Policy, which they send.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_route.h"
#include "mod_phonehome_downtime.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_store.h"
#include "mod_phonehome_status_html.h"
#include "mod_phonehome_style.h"
#include "mod_phonehome_status_view.h"
#include "ph_flap.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

#define PH_HTML_UP_PAGE     100     /* up devices a page shows */
#define PH_HTML_NOT_UP_MAX  1000    /* not-up devices the first page shows */

#define PH_CSP "default-src 'none'; style-src 'self'; img-src 'self'; " \
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

/* The page's own URL without a trailing '/': where style.css lives. */
static const char *ph_html_base(request_rec *r)
{
    apr_size_t n = strlen(r->uri);

    while (n > 1 && r->uri[n - 1] == '/') {
        n--;
    }
    return ap_escape_html(r->pool, apr_pstrmemdup(r->pool, r->uri, n));
}

static const char *ph_state_mark(int state)
{
    static const char *const mark[4] = {
        "? UNKNOWN", "&#10003; UP", "&#10007; DOWN", "&#8214; PAUSED"
    };

    return mark[state & 3];
}

/* A link back to this page with the query's filters and another offset. */
static const char *ph_html_link(apr_pool_t *p, const ph_query_t *q,
                                apr_int64_t offset, apr_int64_t limit)
{
    const char *s = "";
    int st;

    if (q->states) {
        const char *list = "";

        for (st = 0; st < 4; st++) {
            if (q->states & (1u << st)) {
                list = apr_pstrcat(p, list, *list ? "," : "",
                                   ph_state_name(st), NULL);
            }
        }
        s = apr_pstrcat(p, s, "&state=", list, NULL);
    }
    if (q->q) {
        s = apr_pstrcat(p, s, "&q=", ap_escape_urlencoded(p, q->q), NULL);
    }
    if (q->refresh) {
        s = apr_psprintf(p, "%s&refresh=%d", s, q->refresh);
    }
    s = apr_psprintf(p, "?offset=%" APR_INT64_T_FMT "&limit=%"
                     APR_INT64_T_FMT "%s", offset, limit, s);
    return ap_escape_html(p, s);
}

/* 24 h and 30 d bars, from the history when it has any; the frame with
 * "no history yet" until then. */
static void ph_html_history(request_rec *r, const ph_device_t *d,
                            apr_time_t now)
{
    APR_OPTIONAL_FN_TYPE(ph_history_bar) *fill
        = APR_RETRIEVE_OPTIONAL_FN(ph_history_bar);
    static const char *const label[2] = { "24 h", "30 d" };
    int w, i;

    for (w = PH_HISTORY_24H; w <= PH_HISTORY_30D; w++) {
        ph_history_bar_t h;

        memset(&h, 0, sizeof(h));
        ap_rprintf(r, "<div class=\"hist\"><span class=\"lbl\">%s</span>"
                   "<span class=\"frame\" data-window=\"%s\">", label[w],
                   w == PH_HISTORY_24H ? "24h" : "30d");
        if (!fill || !fill(d, w, now, &h) || h.nbars <= 0) {
            ap_rputs("<i class=\"nohist\">no history yet</i>", r);
        }
        else {
            if (h.nbars > PH_HISTORY_BARS_MAX) {
                h.nbars = PH_HISTORY_BARS_MAX;
            }
            for (i = 0; i < h.nbars; i++) {
                int pm = h.up_permille[i];

                ap_rprintf(r, "<b class=\"%s\" title=\"%s\"></b>",
                           pm < 0 ? "none" : pm >= 1000 ? "ok"
                           : pm == 0 ? "out" : "part",
                           pm < 0 ? "no data"
                           : apr_psprintf(r->pool, "%d.%d%% up", pm / 10,
                                          pm % 10));
            }
        }
        ap_rputs("</span></div>\n", r);
    }
}

/* What a card says about when: "down for 2 h 14 min (last beat 14:02)". */
static const char *ph_html_when(apr_pool_t *p, const ph_device_t *d,
                                apr_time_t now)
{
    switch (d->state) {
    case PH_STATE_DOWN:
        return apr_psprintf(p, "down for %s (last beat %s)",
                            ph_human_duration(p, ph_sec(now - (d->last_seen
                                ? d->last_seen : d->since))),
                            ph_human_time(p, now, d->last_seen));
    case PH_STATE_UP:
        return apr_psprintf(p, "up for %s; last beat %s",
                            ph_human_duration(p, ph_sec(now - d->since)),
                            ph_human_ago(p, now, d->last_seen));
    case PH_STATE_PAUSED:
        return apr_psprintf(p, "paused since %s%s%s; last beat %s",
                            ph_human_time(p, now, d->since),
                            d->paused_until ? ", until " : "",
                            d->paused_until ? ph_human_time(p, now,
                                d->paused_until) : "",
                            ph_human_ago(p, now, d->last_seen));
    default:
        return d->last_seen
            ? apr_psprintf(p, "%s since %s; last beat %s",
                           d->state == PH_STATE_PAUSED ? "paused" : "unknown",
                           ph_human_time(p, now, d->since),
                           ph_human_ago(p, now, d->last_seen))
            : "never heard from";
    }
}

typedef struct {
    apr_time_t now;
    int        board;
} ph_card_ctx_t;

/* Next to the state: the flapping mark, while it lasts. */
static const char *ph_flap_mark(const ph_device_t *d)
{
    return (d->flapping & PH_FLAP_ON)
           ? "<span class=\"flap\">flapping</span> " : "";
}

static void ph_html_card(ph_walk_t *w, const ph_device_t *d,
                         apr_int64_t index, apr_pool_t *p, void *baton)
{
    ph_card_ctx_t *c = baton;
    request_rec *r = w->r;
    const char *disp = ph_display_name(p, ph_runtime_conf(), d->name);
    const char *st = ph_state_name(d->state);

    (void)index;
    ap_rprintf(r, "<li class=\"card %s\"><div class=\"top\">"
               "<span class=\"state %s\">%s</span> %s", st, st,
               ph_state_mark(d->state), ph_flap_mark(d));
    if (c->board) {
        ap_rprintf(r, "<span class=\"disp\">%s</span></div>\n",
                   ph_text_html(p, disp));
    }
    else {
        ap_rprintf(r, "<a class=\"disp\" href=\"?device=%s\">%s</a> "
                   "<span class=\"dev\">%s</span></div>\n", d->name,
                   ph_text_html(p, disp), ph_text_html(p, d->name));
    }
    ap_rprintf(r, "<p class=\"when\">%s</p>\n",
               ph_text_html(p, ph_html_when(p, d, c->now)));
    if (c->board) {
        if (d->flags & PH_DEV_HAS_UPTIME) {
            ap_rprintf(r, "<p class=\"facts\">running for %s</p>\n",
                       ph_human_duration(p, d->uptime));
        }
    }
    else if (d->last_seen) {
        ap_rprintf(r, "<p class=\"facts\">from %s &middot; %s%s%s%s%s</p>\n",
                   ph_text_html(p, d->remote_ip[0] ? d->remote_ip : "?"),
                   ph_text_html(p, d->user_agent[0] ? d->user_agent
                                                    : "no User-Agent"),
                   (d->flags & PH_DEV_HAS_UPTIME) ? " &middot; running for "
                                                  : "",
                   (d->flags & PH_DEV_HAS_UPTIME)
                       ? ph_human_duration(p, d->uptime) : "",
                   (d->flags & PH_DEV_HAS_CLIENT_T) ? " &middot; clock " : "",
                   (d->flags & PH_DEV_HAS_CLIENT_T)
                       ? apr_psprintf(p, "%+" APR_INT64_T_FMT " s", d->skew)
                       : "");
    }
    ph_html_history(r, d, c->now);
    ap_rputs("</li>\n", r);
}

static void ph_html_head(request_rec *r, const ph_query_t *q,
                         const char *title)
{
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "Content-Security-Policy", PH_CSP);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_rvputs(r, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
              "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
              "content=\"width=device-width, initial-scale=1\">\n"
              "<meta name=\"color-scheme\" content=\"light dark\">\n"
              "<title>", title, "</title>\n<link rel=\"stylesheet\" href=\"",
              ph_html_base(r), "/style.css\">\n", NULL);
    if (q->refresh) {
        ap_rprintf(r, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
                   q->refresh);
    }
    ap_rputs("</head><body>\n", r);
}

static void ph_html_summary(request_rec *r, const ph_view_t *v, int board)
{
    apr_pool_t *p = r->pool;
    int down = v->count[PH_STATE_DOWN];
    int unk = v->count[PH_STATE_UNKNOWN] + v->count[PH_STATE_PAUSED];

    if (v->n == 0) {
        ap_rputs("<p class=\"summary unknown\">No device has phoned home "
                 "yet.</p>\n", r);
    }
    else if (down) {
        ap_rprintf(r, "<p class=\"summary bad\">%d of %d device%s %s down "
                   "(%ssince %s, %s ago)", down, v->n, v->n == 1 ? "" : "s",
                   down == 1 ? "is" : "are", down == 1 ? "" : "the first ",
                   ph_human_time(p, v->now, v->down_since),
                   ph_human_duration(p, ph_sec(v->now - v->down_since)));
        ap_rprintf(r, "; %d unknown, %d up.</p>\n", unk,
                   v->count[PH_STATE_UP]);
    }
    else {
        ap_rprintf(r, "<p class=\"summary %s\">%s: %d up, %d unknown.</p>\n",
                   unk ? "unknown" : "good",
                   unk ? "None down" : "All devices are up",
                   v->count[PH_STATE_UP], unk);
    }
    ap_rprintf(r, "<p class=\"meta\">Server time %s%s%s.</p>\n",
               ph_human_time(p, v->now, v->now),
               board ? "" : "; started ",
               board ? "" : ph_text_html(p, apr_pstrcat(p,
                   ph_human_duration(p, ph_sec(v->now - v->started)), " ago",
                   NULL)));
}

/* The outbox and the channels, in words. */
static void ph_html_health(request_rec *r, const ph_view_t *v)
{
    apr_pool_t *p = r->pool;
    apr_array_header_t *lines;
    int i;

    ap_rputs("<h2>Alerts</h2>\n<p class=\"outbox\">", r);
    if (v->queued == 0 && v->dead == 0) {
        ap_rprintf(r, "Every alert has been delivered (%" APR_UINT64_T_FMT
                   " mail%s since the start).", v->sent,
                   v->sent == 1 ? "" : "s");
    }
    else {
        ap_rprintf(r, "%u alert%s waiting to be delivered, %u given up on; %"
                   APR_UINT64_T_FMT " mail%s delivered since the start.",
                   v->queued, v->queued == 1 ? "" : "s", v->dead, v->sent,
                   v->sent == 1 ? "" : "s");
    }
    ap_rputs("</p>\n", r);
    lines = ph_store_sentences(p, v->now);      /* a full disk */
    for (i = 0; i < lines->nelts; i++) {
        ap_rprintf(r, "<p class=\"error statedir\">%s</p>\n",
                   ph_text_html(p, APR_ARRAY_IDX(lines, i, char *)));
    }
    if (v->last_error[0]) {
        ap_rprintf(r, "<p class=\"error\">The last delivery error, %s: %s</p>"
                   "\n", ph_human_time(p, v->now, v->last_error_time),
                   ph_text_html(p, v->last_error));
    }
    if (v->nchan) {
        ap_rputs("<ul class=\"channels\">\n", r);
    }
    for (i = 0; i < v->nchan; i++) {
        const ph_chan_stat_t *cs = &v->chan[i];

        ap_rprintf(r, "<li>Channel <b>%s</b> (%s): %s, %" APR_UINT64_T_FMT
                   " sent", ph_text_html(p, ph_view_chan(i)->name),
                   ph_notify_kind_name(ph_view_chan(i)->kind),
                   cs->queued || cs->dead
                       ? apr_psprintf(p, "%u waiting, %u given up on",
                                      cs->queued, cs->dead)
                       : "nothing waiting", cs->sent);
        if (cs->last_error[0]) {
            ap_rprintf(r, "; last error %s: %s",
                       ph_human_time(p, v->now, cs->last_error_time),
                       ph_text_html(p, cs->last_error));
        }
        ap_rputs(".</li>\n", r);
    }
    if (v->nchan) {
        ap_rputs("</ul>\n", r);
    }
    ap_rputs(v->nbeat ? "<ul class=\"beat-to\">\n" : "", r);
    for (i = 0; i < v->nbeat; i++) {
        const ph_beatto_stat_t *bs = &v->beat[i];

        ap_rprintf(r, "<li>Beats to <b>%s</b> every %u s: %" APR_UINT64_T_FMT
                   " sent, %" APR_UINT64_T_FMT " held back, %u failed in a "
                   "row; last success %s", ph_text_html(p,
                   ph_view_beat_target(p, i)), ph_view_beat(i)->every,
                   bs->sent, bs->held, bs->failures, bs->last_success
                   ? ph_human_time(p, v->now, bs->last_success) : "never");
        if (bs->last_error[0]) {
            ap_rprintf(r, "; last error %s: %s",
                       ph_human_time(p, v->now, bs->last_error_time),
                       ph_text_html(p, bs->last_error));
        }
        ap_rputs(".</li>\n", r);
    }
    ap_rputs(v->nbeat ? "</ul>\n" : "", r);
}

/* The monitor's own recent downtimes (ph_downtime.h), when it had any. */
static void ph_html_downtimes(request_rec *r, apr_time_t now)
{
    apr_array_header_t *all = ph_downtime_recent(r->pool);
    int i;

    if (all->nelts == 0) {
        return;
    }
    ap_rputs("<h2>The monitor's own downtime</h2>\n<ul class=\"downtimes\">"
             "\n", r);
    for (i = all->nelts - 1; i >= 0; i--) {
        const ph_downtime_t *d = &APR_ARRAY_IDX(all, i, ph_downtime_t);

        ap_rprintf(r, "<li>Not running for %s: %s %s, back %s; %u devices "
                   "back, %u still silent then.</li>\n",
                   ph_human_duration(r->pool, ph_sec(d->back - d->stopped)),
                   d->clean ? "stopped" : "last alive",
                   ph_human_time(r->pool, now, d->stopped),
                   ph_human_time(r->pool, now, d->back), d->nback,
                   d->nsilent);
    }
    ap_rputs("</ul>\n", r);
}

static void ph_html_events(request_rec *r, const char *device,
                           apr_time_t now)
{
    apr_array_header_t *ev = ph_recent_events(r);
    int i, any = 0;

    ap_rputs("<h2>Recent events</h2>\n<ol class=\"events\">\n", r);
    for (i = ev->nelts - 1; i >= 0; i--) {
        const char *dev;
        const char *s = ph_event_sentence(r->pool,
                                          APR_ARRAY_IDX(ev, i, char *), now,
                                          &dev);

        if (s && (!device || (dev && !strcmp(dev, device)))) {
            ap_rvputs(r, "<li>", ph_text_html(r->pool, s), "</li>\n", NULL);
            any = 1;
        }
    }
    ap_rputs(any ? "</ol>\n" : "<li>None yet.</li></ol>\n", r);
}

static void ph_html_search(request_rec *r, const ph_query_t *q)
{
    static const char *const opts[] = {
        "", "all states", "down", "down", "unknown", "unknown",
        "paused", "paused", "up", "up", "down,unknown,paused", "not up", NULL
    };
    const char *cur = "";
    int i, st;

    for (st = 0; st < 4; st++) {
        if (q->states & (1u << st)) {
            cur = apr_pstrcat(r->pool, cur, *cur ? "," : "",
                              ph_state_name(st), NULL);
        }
    }
    ap_rprintf(r, "<form class=\"search\" method=\"get\" action=\"\">"
               "<input type=\"search\" name=\"q\" value=\"%s\" "
               "placeholder=\"name contains\" aria-label=\"Search devices\">"
               "<select name=\"state\" aria-label=\"State\">",
               ph_text_html(r->pool, q->q ? q->q : ""));
    for (i = 0; opts[i]; i += 2) {
        ap_rprintf(r, "<option value=\"%s\"%s>%s</option>", opts[i],
                   !strcmp(opts[i], cur) ? " selected" : "", opts[i + 1]);
    }
    ap_rputs("</select><button type=\"submit\">Search</button></form>\n", r);
}

static int ph_html_detail(request_rec *r, const ph_query_t *q,
                          const ph_device_t *d);

int ph_status_html(request_rec *r, const ph_query_t *q, int board)
{
    ph_view_t v;
    ph_walk_t w;
    ph_card_ctx_t c;
    apr_int64_t not_up, matched, limit;
    ph_device_t dev;

    if (q->device && !board) {
        if (!ph_view_device(r, q->device, &dev)) {
            return ph_status_refuse(r, HTTP_NOT_FOUND,
                                    apr_pstrcat(r->pool, "no device ",
                                                q->device, NULL));
        }
        return ph_html_detail(r, q, &dev);
    }
    ph_html_head(r, q, board ? "PhoneHome board" : "PhoneHome status");
    if (r->header_only) {
        return OK;
    }
    ap_rputs(board ? "<h1>Status</h1>\n" : "<h1>PhoneHome status</h1>\n", r);
    ap_rflush(r);                       /* the first bytes go now */
    if (ph_view_take(r, q, &v) != APR_SUCCESS) {
        ap_rputs("<p>The device table is not available.</p></body></html>\n",
                 r);
        return OK;
    }
    ph_html_summary(r, &v, board);
    if (!board) {
        ph_html_health(r, &v);
    }
    not_up = v.matched[PH_STATE_DOWN] + v.matched[PH_STATE_UNKNOWN]
             + v.matched[PH_STATE_PAUSED];
    matched = not_up + v.matched[PH_STATE_UP];
    limit = q->limit >= 0 ? q->limit
            : (not_up < PH_HTML_NOT_UP_MAX ? not_up : PH_HTML_NOT_UP_MAX)
              + PH_HTML_UP_PAGE;
    ap_rputs("<h2>Devices</h2>\n", r);
    if (!board) {
        ph_html_search(r, q);
    }
    ap_rprintf(r, "<p class=\"paging\">%s%" APR_INT64_T_FMT " device%s"
               " %s; not up first.",
               matched == 0 ? "No" : "", matched,
               matched == 1 ? "" : "s",
               (q->states || q->q) ? "match" : "in the table");
    if (matched > 0 && limit > 0
        && (q->offset > 0 || q->offset + limit < matched)) {
        ap_rprintf(r, " Showing %" APR_INT64_T_FMT "-%" APR_INT64_T_FMT ".",
                   q->offset < matched ? q->offset + 1 : matched,
                   q->offset + limit < matched ? q->offset + limit : matched);
    }
    ap_rputs("</p>\n<ul class=\"cards\">\n", r);
    c.now = v.now;
    c.board = board;
    ph_walk_init(&w, r, q, limit);
    ph_walk(&w, 1u << PH_STATE_DOWN, ph_html_card, &c);
    ph_walk(&w, (1u << PH_STATE_UNKNOWN) | (1u << PH_STATE_PAUSED),
            ph_html_card, &c);
    ph_walk(&w, 1u << PH_STATE_UP, ph_html_card, &c);
    ap_rputs("</ul>\n", r);
    if (q->offset + limit < matched || q->offset > 0) {
        apr_int64_t page = limit ? limit : PH_HTML_UP_PAGE;

        ap_rputs("<p class=\"paging\">", r);
        if (q->offset > 0) {
            ap_rprintf(r, "<a rel=\"prev\" href=\"%s\">previous</a> ",
                       ph_html_link(r->pool, q, q->offset > page
                                    ? q->offset - page : 0, page));
        }
        if (q->offset + limit < matched) {
            ap_rprintf(r, "<a rel=\"next\" href=\"%s\">next %" APR_INT64_T_FMT
                       "</a>", ph_html_link(r->pool, q, q->offset + limit,
                                            PH_HTML_UP_PAGE),
                       (apr_int64_t)PH_HTML_UP_PAGE);
        }
        ap_rputs("</p>\n", r);
    }
    if (!board) {
        ph_html_downtimes(r, v.now);
        ph_html_events(r, NULL, v.now);
        ap_rputs("<footer><p>Also as <a href=\"?auto\">?auto</a>, "
                 "<a href=\"?json\">?json</a> and <a href=\"?metrics\">"
                 "?metrics</a>. mod_phonehome/" PH_VERSION "</p></footer>\n",
                 r);
    }
    ap_rputs("</body></html>\n", r);
    return OK;
}

static void ph_dl(request_rec *r, const char *term, const char *html)
{
    ap_rvputs(r, "<dt>", term, "</dt><dd>", html, "</dd>\n", NULL);
}

static int ph_html_detail(request_rec *r, const ph_query_t *q,
                          const ph_device_t *d)
{
    apr_pool_t *p = r->pool;
    apr_time_t now = apr_time_now();
    const char *disp = ph_text_html(p, ph_display_name(p, ph_runtime_conf(),
                                                       d->name));
    const char *st = ph_state_name(d->state);

    ph_html_head(r, q, apr_pstrcat(p, disp, " - PhoneHome", NULL));
    if (r->header_only) {
        return OK;
    }
    ap_rprintf(r, "<p class=\"meta\"><a href=\"%s\">&larr; all devices</a>"
               "</p>\n<h1>%s</h1>\n<p class=\"dev\">%s</p>\n"
               "<ul class=\"cards\"><li class=\"card %s\"><div class=\"top\">"
               "<span class=\"state %s\">%s</span>%s</div>\n"
               "<p class=\"when\">%s</p>\n", ph_html_base(r), disp,
               ph_text_html(p, d->name), st, st, ph_state_mark(d->state),
               ph_flap_mark(d),
               ph_text_html(p, ph_html_when(p, d, now)));
    ph_html_history(r, d, now);
    ap_rputs("</li></ul>\n<h2>Last beat</h2>\n<dl class=\"facts\">\n", r);
    ph_dl(r, "Last beat", d->last_seen ? apr_pstrcat(p,
          ph_human_time(p, now, d->last_seen), " (",
          ph_human_ago(p, now, d->last_seen), ")", NULL) : "never");
    ph_dl(r, "First beat", ph_human_time(p, now, d->first_seen));
    ph_dl(r, "State since", ph_human_time(p, now, d->since));
    ph_dl(r, "Down after", apr_pstrcat(p, ph_human_duration(p, d->max_age),
                                       " without a beat", NULL));
    ph_dl(r, "Beats", apr_psprintf(p, "%" APR_UINT64_T_FMT, d->beats));
    ph_dl(r, "Address", ph_text_html(p, d->remote_ip[0] ? d->remote_ip
                                                        : "-"));
    ph_dl(r, "User-Agent", ph_text_html(p, d->user_agent[0] ? d->user_agent
                                                            : "-"));
    ph_dl(r, "Boot id", ph_text_html(p, d->boot_id[0] ? d->boot_id : "-"));
    ph_dl(r, "Running for", (d->flags & PH_DEV_HAS_UPTIME)
          ? ph_human_duration(p, d->uptime) : "-");
    ph_dl(r, "Clock", (d->flags & PH_DEV_HAS_CLIENT_T)
          ? apr_psprintf(p, "%+" APR_INT64_T_FMT " s from the server's",
                         d->skew) : "-");
    ph_dl(r, "Restarted", (d->flags & PH_DEV_REBOOTED)
          ? "yes: it came back with a new boot id" : "no");
    ap_rputs("</dl>\n<h2>Outages</h2>\n<p class=\"meta\">No outage history "
             "yet.</p>\n", r);
    ph_html_events(r, d->name, now);
    ap_rputs("</body></html>\n", r);
    return OK;
}

/* ------------------------------------------------------------------ */
/* /server-status                                                      */

static void ph_section_row(ph_walk_t *w, const ph_device_t *d,
                           apr_int64_t index, apr_pool_t *p, void *baton)
{
    apr_time_t now = *(apr_time_t *)baton;

    (void)index;
    ap_rprintf(w->r, "<tr><td>%s</td><td>%s</td><td><b>%s</b>%s</td>"
               "<td>%s</td><td>%s</td></tr>\n", ph_text_html(p, d->name),
               ph_text_html(p, ph_display_name(p, ph_runtime_conf(), d->name)),
               ph_state_name(d->state),
               (d->flapping & PH_FLAP_ON) ? " (flapping)" : "",
               ph_human_ago(p, now, d->last_seen),
               ph_text_html(p, ph_html_when(p, d, now)));
}

void ph_status_html_section(request_rec *r, const ph_query_t *q)
{
    ph_view_t v;
    ph_walk_t w;

    if (ph_view_take(r, q, &v) != APR_SUCCESS) {
        return;
    }
    ap_rprintf(r, "<p>%d devices: %d up, %d down, %d unknown. Outbox: %u "
               "queued, %u dead, %" APR_UINT64_T_FMT " sent.</p>\n", v.n,
               v.count[PH_STATE_UP], v.count[PH_STATE_DOWN],
               v.count[PH_STATE_UNKNOWN], v.queued, v.dead, v.sent);
    if (q->limit == 0) {
        return;
    }
    ap_rputs("<table border=\"1\" cellpadding=\"3\"><tr><th>Device</th>"
             "<th>Display name</th><th>State</th><th>Last beat</th>"
             "<th>Since</th></tr>\n", r);
    ph_walk_init(&w, r, q, q->limit);
    ph_walk(&w, 1u << PH_STATE_DOWN, ph_section_row, &v.now);
    ph_walk(&w, (1u << PH_STATE_UNKNOWN) | (1u << PH_STATE_PAUSED),
            ph_section_row, &v.now);
    ph_walk(&w, 1u << PH_STATE_UP, ph_section_row, &v.now);
    ap_rputs("</table>\n", r);
}

/* ------------------------------------------------------------------ */
/* ?badge=NAME                                                         */

int ph_status_badge(request_rec *r, const char *name)
{
    static const char *const colour[4] = {
        "#9f6b00", "#2e8540", "#c8342b", "#9f6b00"
    };
    apr_pool_t *p = r->pool;
    ph_device_t d;
    const char *label, *st;
    int lw, sw;

    if (!ph_view_device(r, name, &d)) {
        return ph_status_refuse(r, HTTP_NOT_FOUND,
                                apr_pstrcat(p, "no device ", name, NULL));
    }
    label = ph_display_name(p, ph_runtime_conf(), d.name);
    st = ph_state_name(d.state);
    /* Widths as shields.io estimates them: about 7 px a character. */
    lw = 10 + 7 * (int)(strlen(label) > 60 ? 60 : strlen(label));
    sw = 10 + 7 * (int)strlen(st);
    ap_set_content_type(r, "image/svg+xml");
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'");
    if (r->header_only) {
        return OK;
    }
    label = ph_text_html(p, label);
    ap_rprintf(r, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"20\" role=\"img\" aria-label=\"%s: %s\">"
               "<title>%s: %s</title>"
               "<linearGradient id=\"s\" x2=\"0\" y2=\"100%%\"><stop "
               "offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/><stop "
               "offset=\"1\" stop-opacity=\".1\"/></linearGradient>"
               "<clipPath id=\"r\"><rect width=\"%d\" height=\"20\" rx=\"3\" "
               "fill=\"#fff\"/></clipPath><g clip-path=\"url(#r)\">"
               "<rect width=\"%d\" height=\"20\" fill=\"#555\"/>"
               "<rect x=\"%d\" width=\"%d\" height=\"20\" fill=\"%s\"/>"
               "<rect width=\"%d\" height=\"20\" fill=\"url(#s)\"/></g>"
               "<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,"
               "Geneva,DejaVu Sans,sans-serif\" font-size=\"11\">"
               "<text x=\"%d\" y=\"14\">%s</text>"
               "<text x=\"%d\" y=\"14\">%s</text></g></svg>\n",
               lw + sw, label, st, label, st, lw + sw, lw, lw, sw,
               colour[d.state & 3], lw + sw, lw / 2, label, lw + sw / 2, st);
    return OK;
}
