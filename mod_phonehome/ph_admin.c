/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_admin.h"
#include "ph_name.h"
#include "ph_text.h"

const char *ph_admin_action_name(int action)
{
    switch (action) {
    case PH_ADMIN_PAUSE:
        return "pause";
    case PH_ADMIN_RESUME:
        return "resume";
    case PH_ADMIN_FORGET:
        return "forget";
    default:
        return "page";
    }
}

const char *ph_admin_path(apr_pool_t *p, const char *rest, int *action,
                          const char **device, int *status)
{
    const char *slash, *act, *why;
    char *name;
    int a;

    *status = 404;
    *device = NULL;
    if (rest == NULL || rest[0] == '\0' || strcmp(rest, "/") == 0) {
        *action = PH_ADMIN_PAGE;
        return NULL;
    }
    if (strncmp(rest, "/devices/", 9) != 0) {
        return "no such page here: the admin page, or devices/NAME/ACTION";
    }
    rest += 9;
    if ((slash = strchr(rest, '/')) == NULL) {
        return "give an action: devices/NAME/pause, resume or forget";
    }
    act = slash + 1;
    for (a = PH_ADMIN_PAUSE; a <= PH_ADMIN_FORGET; a++) {
        if (strcmp(act, ph_admin_action_name(a)) == 0) {
            break;
        }
    }
    if (a > PH_ADMIN_FORGET) {
        return "unknown action: pause, resume or forget";
    }
    name = apr_pstrmemdup(p, rest, (apr_size_t)(slash - rest));
    if ((why = ph_name_check(name)) != NULL) {
        *status = 400;
        return apr_pstrcat(p, "bad device name: ", why, NULL);
    }
    *action = a;
    *device = name;
    return NULL;
}

/* A whole number of 1 to 12 digits; -1 otherwise. */
static apr_int64_t ph_form_number(const char *s)
{
    apr_int64_t n = 0;
    int i;

    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 12) {
            return -1;
        }
        n = n * 10 + (s[i] - '0');
    }
    return i ? n : -1;
}

const char *ph_admin_form(apr_pool_t *p, const char *body, int action,
                          apr_int64_t now, ph_admin_form_t *f)
{
    const char *for_s = NULL, *until_s = NULL;
    char *copy, *pair, *last;
    apr_int64_t n;

    memset(f, 0, sizeof(*f));
    copy = apr_pstrdup(p, body ? body : "");
    for (pair = apr_strtok(copy, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '='), *val;

        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        if ((val = ph_form_decode(eq + 1, strlen(eq + 1), p)) == NULL) {
            return apr_pstrcat(p, "bad percent-escape in ", pair, "=", NULL);
        }
        if (strcmp(pair, "nonce") == 0) {
            f->nonce = val;
        }
        else if (strcmp(pair, "back") == 0) {
            f->back = strcmp(val, "1") == 0;
        }
        else if (strcmp(pair, "for") == 0 && val[0]) {
            for_s = val;
        }
        else if (strcmp(pair, "until") == 0 && val[0]) {
            until_s = val;
        }
    }
    if (action != PH_ADMIN_PAUSE) {
        if (for_s || until_s) {
            return "for= and until= belong to a pause only";
        }
        return NULL;
    }
    if (for_s && until_s) {
        return "give for=seconds or until=epoch, not both";
    }
    if (for_s) {
        n = ph_form_number(for_s);
        if (n < 1 || n > PH_ADMIN_PAUSE_MAX) {
            return apr_psprintf(p, "for= must be whole seconds from 1 to %d",
                                PH_ADMIN_PAUSE_MAX);
        }
        f->until = now + n;
    }
    else if (until_s) {
        n = ph_form_number(until_s);
        if (n < 0) {
            return "until= must be epoch seconds";
        }
        if (n <= now) {
            return "until= is not in the future";
        }
        if (n - now > PH_ADMIN_PAUSE_MAX) {
            return apr_psprintf(p, "until= is more than %d seconds ahead",
                                PH_ADMIN_PAUSE_MAX);
        }
        f->until = n;
    }
    return NULL;
}

int ph_admin_nonce_ok(const char *want, const char *given)
{
    volatile unsigned char diff = 0;
    apr_size_t i;

    if (want == NULL || given == NULL || strlen(want) != PH_ADMIN_NONCE_LEN
        || strlen(given) != PH_ADMIN_NONCE_LEN) {
        return 0;
    }
    for (i = 0; i < PH_ADMIN_NONCE_LEN; i++) {
        diff |= (unsigned char)(want[i] ^ given[i]);
    }
    return diff == 0;
}
