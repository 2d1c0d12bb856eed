/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_style.h
 * @brief The stylesheet of every page (level 4.5 of the glue: the
 *        renderers and the admin page use it).
 */

#ifndef MOD_PHONEHOME_STYLE_H
#define MOD_PHONEHOME_STYLE_H

#include "httpd.h"

/** Serve the stylesheet (text/css, cached an hour). */
int ph_status_css(request_rec *r);

#endif /* MOD_PHONEHOME_STYLE_H */
