/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_status_text.h
 * @brief The status page's text formats: ?auto, ?json (the list and one
 *        device) and ?metrics.  Each is called with the content type set
 *        and the headers not yet sent, and streams.  Level 5 of the glue:
 *        it depends on the status view, runtime, config, private and the
 *        core.
 */

#ifndef MOD_PHONEHOME_STATUS_TEXT_H
#define MOD_PHONEHOME_STATUS_TEXT_H

#include "httpd.h"

#include "mod_phonehome_status_view.h"

/** ?json: the server, every device the query selects, the outbox, the
 *  recent events and the channels. */
int ph_render_json(request_rec *r, const ph_query_t *q);

/** ?json&device=NAME: the device with every fact and its recent events. */
int ph_render_json_device(request_rec *r, const ph_device_t *d);

/** ?auto: mod_status' "Key: value" lines. */
int ph_render_auto(request_rec *r, const ph_query_t *q);

/** The counts ?auto starts with (and /server-status?auto shows). */
void ph_render_auto_summary(request_rec *r, const ph_view_t *v);

/** ?metrics (and <Location>/metrics): Prometheus' text format. */
int ph_render_metrics(request_rec *r, const ph_query_t *q);

#endif /* MOD_PHONEHOME_STATUS_TEXT_H */
