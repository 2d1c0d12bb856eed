/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_status_html.h
 * @brief The status page in HTML, its device view, the public board, the
 *        SVG badge, the stylesheet, and the PhoneHome section of
 *        /server-status.  Level 5 of the glue: it depends on the status
 *        view, runtime, config, private and the core.
 */

#ifndef MOD_PHONEHOME_STATUS_HTML_H
#define MOD_PHONEHOME_STATUS_HTML_H

#include "httpd.h"

#include "mod_phonehome_status_view.h"

/** The HTML page, its detail view and the board. */
int ph_status_html(request_rec *r, const ph_query_t *q, int board);

/** The stylesheet both serve at <Location>/style.css. */

/** ?badge=NAME: an SVG badge; 404 for an unknown device. */
int ph_status_badge(request_rec *r, const char *name);

/** /server-status's PhoneHome section: summary and (unless q->limit is
 *  0) a plain device table, down first. */
void ph_status_html_section(request_rec *r, const ph_query_t *q);

#endif /* MOD_PHONEHOME_STATUS_HTML_H */
