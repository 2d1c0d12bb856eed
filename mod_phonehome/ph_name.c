/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "ph_name.h"
#include "ph_device.h"

/* Spelled out rather than isalnum(): the locale must not widen the set. */
static int ph_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

const char *ph_name_check(const char *name)
{
    apr_size_t n;

    if (name == NULL || *name == '\0') {
        return "device name is empty";
    }
    if (*name == '.' || *name == '-') {
        return "device name must not start with '.' or '-'";
    }
    for (n = 0; name[n]; n++) {
        if (n >= PH_NAME_MAX) {
            return "device name is longer than 63 characters";
        }
        if (!ph_name_char(name[n])) {
            return "device name may only contain A-Z a-z 0-9 . _ -";
        }
    }
    return NULL;
}
