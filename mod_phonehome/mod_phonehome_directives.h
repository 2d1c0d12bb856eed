/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* The directives: the module record's command table. */

#ifndef MOD_PHONEHOME_DIRECTIVES_H
#define MOD_PHONEHOME_DIRECTIVES_H

#include "http_config.h"

/** The directives (the module record's command table). */
extern const command_rec ph_config_cmds[];

#endif /* MOD_PHONEHOME_DIRECTIVES_H */
