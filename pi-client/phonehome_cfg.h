/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The config file (/etc/phonehome.conf): one option a line, "name value"
 * or "name=value", the name with or without "--"; "#" starts a comment
 * line; "url" may be given several times.
 */

#ifndef PHONEHOME_CFG_H
#define PHONEHOME_CFG_H

#include "phonehome_opts.h"

/**
 * Apply one line of a config file; @a where is "FILE:LINE: " for messages.
 * @a line is changed.  Returns 1, or 0 after a message.
 */
int cfg_line(settings_t *set, char *line, const char *where);

/** Read a whole config file.  Returns 1, or 0 after a message. */
int cfg_read(settings_t *set, const char *path);

#endif /* PHONEHOME_CFG_H */
