/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_admin.h
 * @brief The admin handler's input, validated once at the edge: the path
 *        after its Location (the page, or devices/NAME/ACTION) and the form
 *        of an action (for=, until=, nonce=); and the nonce's comparison in
 *        constant time.  Pure: no httpd, no clock of its own.
 */

#ifndef PH_ADMIN_H
#define PH_ADMIN_H

#include <apr.h>
#include <apr_pools.h>

/* The longest pause: a year. */
#define PH_ADMIN_PAUSE_MAX  (366 * 86400)
/* A nonce: 16 random bytes in hex. */
#define PH_ADMIN_NONCE_LEN  32
/* An action's form body is read up to this. */
#define PH_ADMIN_BODY_MAX   1024

typedef enum {
    PH_ADMIN_PAGE = 0,              /* the HTML page */
    PH_ADMIN_PAUSE,
    PH_ADMIN_RESUME,
    PH_ADMIN_FORGET
} ph_admin_action_e;

/**
 * Parse the path after the admin Location: "" or "/" is the page,
 * "/devices/NAME/pause|resume|forget" an action.
 * @param status  set to 404 (no such page) or 400 (a bad name) on failure
 * @return NULL on success, else a one-line reason
 */
const char *ph_admin_path(apr_pool_t *p, const char *rest, int *action,
                          const char **device, int *status);

typedef struct ph_admin_form_t {
    const char  *nonce;             /* NULL: none given */
    int          back;              /* back=1: a form of the page (303) */
    apr_int64_t  until;             /* epoch s when a timed pause ends;
                                     * 0: until resumed */
} ph_admin_form_t;

/**
 * Parse an action's form body (application/x-www-form-urlencoded):
 * nonce=, back=1 (from the page's forms), and for a pause at most one of for=seconds (1 to a year) and
 * until=epoch (after @a now, at most a year on).  Other keys are ignored.
 * @param now  epoch seconds
 * @return NULL on success, else a one-line reason (a 400)
 */
const char *ph_admin_form(apr_pool_t *p, const char *body, int action,
                          apr_int64_t now, ph_admin_form_t *f);

/** Whether @a given is the nonce @a want, in time that does not depend on
 *  where they differ. */
int ph_admin_nonce_ok(const char *want, const char *given);

/** The name of an action, as in events.log: "pause", "resume", "forget". */
const char *ph_admin_action_name(int action);

#endif /* PH_ADMIN_H */
