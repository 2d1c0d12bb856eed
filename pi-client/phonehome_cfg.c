/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "phonehome_cfg.h"
#include "phonehome_msgs.h"

int cfg_line(settings_t *set, char *line, const char *where)
{
    char label[1300];
    char *name = line, *value, *end;
    const option_t *o;
    size_t len = strlen(line);

    while (len > 0 && strchr(" \t\r\n", line[len - 1])) {
        line[--len] = '\0';
    }
    name += strspn(name, " \t");
    if (*name == '\0' || *name == '#') {
        return 1;
    }
    if (name[0] == '-' && name[1] == '-') {
        name += 2;
    }
    end = name + strcspn(name, " \t=");
    value = end + strspn(end, " \t");
    if (*value == '=') {
        value++;
        value += strspn(value, " \t");
    }
    o = opts_find_long(name, (size_t)(end - name));
    *end = '\0';
    if (o == NULL) {
        if (!strcmp(name, "quiet")) {
            usagef("%squiet is gone: use silent", where);
        }
        else {
            usagef("%sunknown option '%s' (see phonehome --help)", where,
                   name);
        }
        return 0;
    }
    if (o->has_value && *value == '\0') {
        usagef("%s%s needs a value", where, name);
        return 0;
    }
    snprintf(label, sizeof(label), "%s%s", where, o->name);
    return opts_apply(set, o, *value ? value : NULL, label, 0);
}

int cfg_read(settings_t *set, const char *path)
{
    char line[4096], where[1200];
    unsigned int n = 0;
    int ok = 1;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        usagef("cannot read config file %s: %s", path, strerror(errno));
        return 0;
    }
    while (ok && fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);

        n++;
        snprintf(where, sizeof(where), "%s:%u: ", path, n);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            usagef("%sthe line is too long", where);
            ok = 0;
            break;
        }
        ok = cfg_line(set, line, where);
    }
    fclose(f);
    return ok;
}
