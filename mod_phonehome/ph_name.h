/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_name.h
 * @brief The device name rules: 1-63 of A-Z a-z 0-9 . _ -, not starting
 *        with '.' or '-'.
 */

#ifndef PH_NAME_H
#define PH_NAME_H

#include <apr.h>

/**
 * Check a device name.
 * @param name the candidate, NUL-terminated
 * @return NULL when the name is valid, else a short reason (a static
 *         string that never contains the name itself)
 */
const char *ph_name_check(const char *name);

#endif /* PH_NAME_H */
