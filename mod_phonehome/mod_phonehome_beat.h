/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_beat.h
 * @brief The beat room: the handler that takes a device's beat.  Level 4
 *        of the glue: it depends on runtime, config, private and the core.
 */

#ifndef MOD_PHONEHOME_BEAT_H
#define MOD_PHONEHOME_BEAT_H

#include "httpd.h"

/**
 * The handler for SetHandler phonehome: GET, HEAD or POST a beat; the
 * answer is one plain-text line ("OK NAME beat N", or why not, with a 4xx
 * or 5xx).  DECLINED for any other handler.
 */
int ph_beat_handler(request_rec *r);

#endif /* MOD_PHONEHOME_BEAT_H */
