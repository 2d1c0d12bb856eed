/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The admin handler.  GET <admin>/ is a page listing the devices (streamed
 * a chunk at a time, like the status page) with a pause, a resume and a
 * forget form each; POST <admin>/devices/NAME/pause|resume|forget does it
 * and answers JSON.  Guard the Location with Require, as balancer-manager
 * is guarded.  Against cross-site requests each action needs the header
 * X-PhoneHome-Admin: 1 (a browser sends no such header cross-site without
 * a CORS preflight, which nothing here answers) or the page's nonce: 16
 * random bytes drawn once per start of httpd (kept across graceful
 * restarts), compared in constant time.  Every action is logged (PH00210,
 * with r->user and the client address) and written to events.log.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_general.h"
#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_admin.h"
#include "mod_phonehome_config.h"
#include "mod_phonehome_route.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_status_html.h"
#include "mod_phonehome_style.h"
#include "mod_phonehome_status_view.h"
#include "ph_admin.h"
#include "ph_fsm.h"
#include "ph_text.h"

APLOG_USE_MODULE(phonehome);

#define PH_ADMIN_NONCE_KEY  "mod_phonehome-admin-nonce"
#define PH_ADMIN_CSP "default-src 'none'; style-src 'self'; " \
                     "form-action 'self'; frame-ancestors 'none'; " \
                     "base-uri 'none'"

#define PH_ADMIN_PAGE_SIZE  100         /* devices a page */

static const char *ph_nonce;            /* this start's, in hex */

static int ph_admin_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    char *n = ap_retained_data_get(PH_ADMIN_NONCE_KEY);
    unsigned char raw[PH_ADMIN_NONCE_LEN / 2];
    int i;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    if (n == NULL) {
        if (apr_generate_random_bytes(raw, sizeof(raw)) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         PHLOGNO(00213) "no random bytes for the admin "
                         "page's nonce");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        n = ap_retained_data_create(PH_ADMIN_NONCE_KEY,
                                    PH_ADMIN_NONCE_LEN + 1);
        for (i = 0; i < (int)sizeof(raw); i++) {
            apr_snprintf(n + 2 * i, 3, "%02x", raw[i]);
        }
    }
    ph_nonce = n;
    return OK;
}

/* The admin Location's path (no trailing slash), from core's per-dir
 * config as the beat handler finds its own; NULL for a LocationMatch or a
 * wildcard, which have no plain prefix. */
static const char *ph_admin_base(request_rec *r)
{
    long n = ph_location_prefix(r);

    return n < 0 ? NULL : apr_pstrmemdup(r->pool, r->uri, n == 1 ? 0 : n);
}

/* The body of an action, at most PH_ADMIN_BODY_MAX bytes. */
static int ph_admin_body(request_rec *r, const char **body, const char **why)
{
    char *buf = apr_palloc(r->pool, PH_ADMIN_BODY_MAX + 1);
    apr_size_t got = 0;
    long n;
    int rc;

    *body = "";
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        *why = "cannot read the request body";
        return rc;
    }
    if (!ap_should_client_block(r)) {
        return OK;
    }
    while ((n = ap_get_client_block(r, buf + got,
                                    PH_ADMIN_BODY_MAX + 1 - got)) > 0) {
        got += (apr_size_t)n;
        if (got > PH_ADMIN_BODY_MAX) {
            *why = "the form is too long";
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
    if (n < 0) {
        *why = "cannot read the request body";
        return HTTP_BAD_REQUEST;
    }
    buf[got] = '\0';
    if (strlen(buf) != got) {
        *why = "the form contains a NUL byte";
        return HTTP_BAD_REQUEST;
    }
    *body = buf;
    return OK;
}

static const char *ph_admin_who(request_rec *r)
{
    return r->user ? r->user : "-";
}

/* The answer, the PH00210 line and the events.log line of a done action;
 * @a d is the record after it (NULL: forgotten). */
static int ph_admin_done(request_rec *r, int action, const char *name,
                         const ph_device_t *d, const ph_admin_form_t *f,
                         const char *base)
{
    apr_pool_t *p = r->pool;
    const char *state = d ? ph_state_name(d->state) : "forgotten";
    const char *until = d && d->state == PH_STATE_PAUSED && d->paused_until
        ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                       (apr_int64_t)apr_time_sec(d->paused_until))
        : "null";

    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  PHLOGNO(00210) "admin: %s %s by %s from %s: now %s%s%s",
                  ph_admin_action_name(action), name, ph_admin_who(r),
                  r->useragent_ip, state, strcmp(until, "null")
                  ? " until " : "", strcmp(until, "null") ? until : "");
    ph_events_log(r->server, p, apr_psprintf(p,
                  "{\"time\":%" APR_INT64_T_FMT ",\"event\":\"%s\","
                  "\"device\":%s,\"state\":\"%s\",\"paused_until\":%s,"
                  "\"by\":%s,\"remote_ip\":%s}",
                  (apr_int64_t)apr_time_sec(apr_time_now()),
                  ph_admin_action_name(action), ph_text_json(p, name), state,
                  until, r->user ? ph_text_json(p, r->user) : "null",
                  ph_text_json(p, r->useragent_ip)));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (f->back) {
        /* A form of the page: back to it. */
        apr_table_setn(r->headers_out, "Location",
                       apr_pstrcat(p, base, "/", NULL));
        r->status = HTTP_SEE_OTHER;
    }
    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\"device\":%s,\"state\":\"%s\",\"paused_until\":%s}\n",
               ph_text_json(p, name), state, until);
    return OK;
}

/* Do @a action on @a name under the lock. */
static int ph_admin_act(request_rec *r, int action, const char *name,
                        const ph_admin_form_t *f, const char *base)
{
    ph_table_t *t = ph_runtime_table();
    apr_time_t wall = apr_time_now(), mono = ph_mono_now();
    ph_device_t copy;
    long id;
    ph_device_t *d;

    if (ph_lock(r) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    id = ph_table_find(t, name);
    if (id < 0) {
        ph_unlock();
        return ph_answer_line(r, HTTP_NOT_FOUND,
                              apr_pstrcat(r->pool, "no device ", name, NULL));
    }
    d = ph_slot(NULL, (apr_uint32_t)id);
    if (action == PH_ADMIN_FORGET) {
        if (d->flags & PH_DEV_DECLARED) {
            ph_unlock();
            return ph_answer_line(r, HTTP_CONFLICT, apr_pstrcat(r->pool,
                                  name, " is declared by PhoneHomeDevice: "
                                  "remove the directive to forget it", NULL));
        }
        ph_table_remove(t, (apr_uint32_t)id, wall);
        t->hdr->urgent_changes++;
        ph_unlock();
        return ph_admin_done(r, action, name, NULL, f, base);
    }
    if (action == PH_ADMIN_PAUSE) {
        apr_time_t until = apr_time_from_sec(f->until);

        ph_fsm_pause(d, until, f->until ? mono + (until - wall) : 0, wall);
    }
    else {
        ph_fsm_resume(d, mono, wall);
    }
    t->hdr->urgent_changes++;
    copy = *d;
    ph_unlock();
    return ph_admin_done(r, action, name, &copy, f, base);
}

static void ph_admin_row(ph_walk_t *w, const ph_device_t *d,
                         apr_int64_t index, apr_pool_t *p, void *baton)
{
    const char *base = baton, *st = ph_state_name(d->state);
    const char *act = apr_pstrcat(p, base, "/devices/", d->name, "/", NULL);
    const char *hidden = apr_pstrcat(p, "<input type=\"hidden\" name=\"nonce\" "
                                     "value=\"", ph_nonce, "\"><input type=\""
                                     "hidden\" name=\"back\" value=\"1\">",
                                     NULL);
    request_rec *r = w->r;

    (void)index;
    ap_rprintf(r, "<li class=\"card %s\"><div class=\"top\"><span class=\""
               "state %s\">%s</span> <span class=\"disp\">%s</span> <span "
               "class=\"dev\">%s</span></div>\n", st, st, st,
               ph_text_html(p, ph_display_name(p, ph_runtime_conf(),
                                               d->name)), d->name);
    if (d->state == PH_STATE_PAUSED && d->paused_until) {
        ap_rprintf(r, "<p class=\"when\">paused until %s</p>\n",
                   ph_text_html(p, ph_human_time(p, apr_time_now(),
                                                 d->paused_until)));
    }
    ap_rprintf(r, "<form method=\"post\" action=\"%spause\">%s"
               "<label>for <input name=\"for\" size=\"8\" inputmode=\""
               "numeric\" placeholder=\"seconds\"></label> "
               "<button type=\"submit\">Pause</button></form>\n"
               "<form method=\"post\" action=\"%sresume\">%s"
               "<button type=\"submit\">Resume</button></form>\n",
               act, hidden, act, hidden);
    if (!(d->flags & PH_DEV_DECLARED)) {
        ap_rprintf(r, "<form method=\"post\" action=\"%sforget\">%s"
                   "<button type=\"submit\">Forget</button></form>\n",
                   act, hidden);
    }
    ap_rputs("</li>\n", r);
}

static int ph_admin_page(request_rec *r, const char *base)
{
    ph_query_t q;
    ph_walk_t w;
    const char *why;
    apr_int64_t limit;

    if ((why = ph_query_parse(r->pool, r->args, &q)) != NULL) {
        return ph_answer_line(r, HTTP_BAD_REQUEST, why);
    }
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "Content-Security-Policy", PH_ADMIN_CSP);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    ap_rvputs(r, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
              "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
              "content=\"width=device-width, initial-scale=1\">\n"
              "<title>PhoneHome admin</title>\n<link rel=\"stylesheet\" "
              "href=\"", base, "/style.css\">\n</head><body>\n"
              "<h1>PhoneHome admin</h1>\n<ul class=\"cards\">\n", NULL);
    /* A page at a time, as the status page lists its up devices. */
    limit = q.limit >= 0 ? q.limit : PH_ADMIN_PAGE_SIZE;
    ph_walk_init(&w, r, &q, limit);
    ph_walk(&w, 0xf, ph_admin_row, (void *)base);
    ap_rputs("</ul>\n", r);
    if (limit > 0 && w.emitted == limit) {
        ap_rprintf(r, "<p><a href=\"%s/?offset=%" APR_INT64_T_FMT "&amp;"
                   "limit=%" APR_INT64_T_FMT "\">next %" APR_INT64_T_FMT
                   "</a></p>\n", base, q.offset + limit, limit, limit);
    }
    ap_rputs("</body></html>\n", r);
    return OK;
}

int ph_admin_handler(request_rec *r)
{
    const char *base, *rest, *device, *why, *body, *hdr;
    ph_admin_form_t form;
    int action, status, rc;

    if (strcmp(r->handler, "phonehome-admin") != 0) {
        return DECLINED;
    }
    if (!ph_runtime_ready()) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    base = ph_admin_base(r);
    rest = base ? r->uri + strlen(base) : "";
    if (base == NULL) {
        base = "";
    }
    if (strcmp(rest, "/style.css") == 0) {
        ap_allow_methods(r, 1, "GET", NULL);
        return r->method_number == M_GET ? ph_status_css(r)
                                         : HTTP_METHOD_NOT_ALLOWED;
    }
    if ((why = ph_admin_path(r->pool, rest, &action, &device, &status))) {
        return ph_answer_line(r, status, why);
    }
    if (action == PH_ADMIN_PAGE) {
        ap_allow_methods(r, 1, "GET", NULL);
        if (r->method_number != M_GET) {
            return HTTP_METHOD_NOT_ALLOWED;
        }
        return ph_admin_page(r, base);
    }
    ap_allow_methods(r, 1, "POST", NULL);
    if (r->method_number != M_POST) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((rc = ph_admin_body(r, &body, &why)) != OK) {
        return ph_answer_line(r, rc, why);
    }
    if ((why = ph_admin_form(r->pool, body, action,
                             (apr_int64_t)apr_time_sec(apr_time_now()),
                             &form))) {
        return ph_answer_line(r, HTTP_BAD_REQUEST, why);
    }
    hdr = apr_table_get(r->headers_in, "X-PhoneHome-Admin");
    if (!(hdr && strcmp(hdr, "1") == 0)
        && !ph_admin_nonce_ok(ph_nonce, form.nonce)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      PHLOGNO(00211) "admin: %s %s by %s refused: neither "
                      "X-PhoneHome-Admin: 1 nor the page's nonce",
                      ph_admin_action_name(action), device, ph_admin_who(r));
        return ph_answer_line(r, HTTP_FORBIDDEN, "send the header "
                              "X-PhoneHome-Admin: 1 or the admin page's "
                              "nonce");
    }
    return ph_admin_act(r, action, device, &form, base);
}

void ph_admin_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(ph_admin_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ph_admin_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
