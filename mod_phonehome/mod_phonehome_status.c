/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The status room's entry: the handlers for SetHandler phonehome-status
 * and phonehome-board route a request (its query string parsed by the
 * core's ph_view.c) to a renderer, and the PhoneHome section of mod_status'
 * /server-status.  The renderers are mod_phonehome_status_text.c and
 * mod_phonehome_status_html.c; how they read the table is
 * mod_phonehome_status_view.c.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#include "apr_strings.h"

#include "mod_phonehome_private.h"
#include "mod_phonehome_runtime.h"
#include "mod_phonehome_status.h"
#include "mod_phonehome_status_html.h"
#include "mod_phonehome_style.h"
#include "mod_phonehome_status_text.h"
#include "mod_phonehome_status_view.h"

APLOG_USE_MODULE(phonehome);

/* The part of the URI after the Location, for <Location>/metrics and
 * <Location>/style.css: the last path segment. */
static const char *ph_status_leaf(request_rec *r)
{
    const char *slash = strrchr(r->uri, '/');

    return slash ? slash + 1 : "";
}

int ph_status_handler(request_rec *r)
{
    ph_query_t q;
    const char *why, *leaf;
    int board;

    if (strcmp(r->handler, "phonehome-status") == 0) {
        board = 0;
    }
    else if (strcmp(r->handler, "phonehome-board") == 0) {
        board = 1;
    }
    else {
        return DECLINED;
    }
    if (!ph_runtime_ready()) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((why = ph_query_parse(r->pool, r->args, &q)) != NULL) {
        return ph_status_refuse(r, HTTP_BAD_REQUEST, why);
    }
    leaf = ph_status_leaf(r);
    if (!strcmp(leaf, "style.css")) {
        return ph_status_css(r);
    }
    if (!strcmp(leaf, "metrics") && !board) {
        q.fmt = PH_FMT_METRICS;
    }
    apr_table_setn(r->headers_out, "Cache-Control",
                   board ? "max-age=5" : "no-store");
    if (q.badge) {
        return ph_status_badge(r, q.badge);
    }
    if (board && q.fmt != PH_FMT_HTML) {
        return ph_status_refuse(r, HTTP_BAD_REQUEST,
                                "the board is HTML only (and ?badge=NAME)");
    }
    if (q.device) {
        ph_device_t d;

        if (q.fmt != PH_FMT_HTML && q.fmt != PH_FMT_JSON) {
            return ph_status_refuse(r, HTTP_BAD_REQUEST,
                                    "device= works with HTML and ?json");
        }
        if (!ph_view_device(r, q.device, &d)) {
            return ph_status_refuse(r, HTTP_NOT_FOUND,
                                    apr_pstrcat(r->pool, "no device ",
                                                q.device, NULL));
        }
        if (q.fmt == PH_FMT_JSON) {
            ap_set_content_type(r, "application/json");
            return r->header_only ? OK : ph_render_json_device(r, &d);
        }
    }
    switch (q.fmt) {
    case PH_FMT_AUTO:
        ap_set_content_type(r, "text/plain; charset=utf-8");
        return r->header_only ? OK : ph_render_auto(r, &q);
    case PH_FMT_JSON:
        ap_set_content_type(r, "application/json");
        return r->header_only ? OK : ph_render_json(r, &q);
    case PH_FMT_METRICS:
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        return r->header_only ? OK : ph_render_metrics(r, &q);
    default:
        return ph_status_html(r, &q, board);
    }
}

/* mod_status's optional hook: a PhoneHome section in /server-status. */
static int ph_server_status(request_rec *r, int flags)
{
    ph_view_t v;
    ph_query_t q;

    if (!ph_runtime_ready()) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        if (ph_view_take(r, NULL, &v) == APR_SUCCESS) {
            ph_render_auto_summary(r, &v);
        }
        return OK;
    }
    memset(&q, 0, sizeof(q));
    q.limit = (flags & AP_STATUS_NOTABLE) ? 0 : -1;
    ap_rputs("<hr />\n<h2>PhoneHome</h2>\n", r);
    ph_status_html_section(r, &q);
    return OK;
}

void ph_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(ph_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, ph_server_status, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
