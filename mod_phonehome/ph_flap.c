/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>

#include "ph_conf.h"
#include "ph_flap.h"
#include "ph_fsm.h"
#include "ph_text.h"

apr_uint32_t ph_flap_sec(apr_time_t mono)
{
    return (apr_uint32_t)apr_time_sec(mono);
}

const char *ph_flap_parse(apr_pool_t *p, const char *n, const char *secs,
                          apr_uint32_t *limit, apr_uint32_t *period)
{
    const char *why;
    char *num = NULL;

    if (strcasecmp(n, "Off") == 0 && secs == NULL) {
        *limit = *period = 0;
        return NULL;
    }
    if (secs == NULL) {
        const char *slash = strchr(n, '/');

        if (slash == NULL) {
            return apr_psprintf(p, "'%s' is not n/seconds, as in 3/60, nor "
                                "Off", ph_text_oneline(p, n));
        }
        num = apr_pstrmemdup(p, n, (apr_size_t)(slash - n));
        n = num;
        secs = slash + 1;
    }
    if ((why = ph_conf_seconds(p, n, PH_FLAP_LIMIT_MIN, PH_FLAP_LIMIT_MAX,
                               limit)) != NULL) {
        return apr_pstrcat(p, "changes: ", why, NULL);
    }
    if ((why = ph_conf_seconds(p, secs, 1, PH_FLAP_PERIOD_MAX, period))
        != NULL) {
        return apr_pstrcat(p, "seconds: ", why, NULL);
    }
    return NULL;
}

void ph_flap_configure(ph_device_t *d, apr_uint32_t limit,
                       apr_uint32_t period)
{
    if (limit == 0 || period == 0) {
        limit = period = 0;
        d->flapping = 0;
        d->flap_count = 0;
    }
    d->flap_limit = (apr_uint16_t)limit;
    d->flap_period = period;
}

ph_flap_e ph_flap_change(ph_device_t *d, apr_uint32_t now)
{
    if (d->flap_period == 0 || d->flap_limit == 0) {
        return PH_FLAP_SEND;
    }
    d->flap_last = now;
    if (d->flapping & PH_FLAP_ON) {
        if (d->flap_count < APR_UINT32_MAX) {
            d->flap_count++;
        }
        return PH_FLAP_QUIET;
    }
    if (!(d->flapping & PH_FLAP_WINDOW)
        || now - d->flap_start > d->flap_period) {
        d->flapping = PH_FLAP_WINDOW;
        d->flap_start = now;
        d->flap_count = 0;
    }
    if (++d->flap_count > d->flap_limit) {
        d->flapping |= PH_FLAP_ON;
        return PH_FLAP_START;
    }
    return PH_FLAP_SEND;
}

int ph_flap_end_due(const ph_device_t *d, apr_uint32_t now)
{
    return (d->flapping & PH_FLAP_ON) && d->flap_period
           && now - d->flap_last >= d->flap_period;
}

int ph_flap_end(ph_device_t *d)
{
    int told = (d->flapping & PH_FLAP_TOLD) != 0;

    d->flapping = 0;
    return told;
}

void ph_flap_undo(ph_device_t *d, int kind, int former)
{
    if (d->flap_period == 0) {
        return;
    }
    if (kind == PH_EV_FLAP_END) {
        d->flapping = PH_FLAP_WINDOW | PH_FLAP_ON | PH_FLAP_TOLD;
        return;
    }
    if (kind == PH_EV_FLAP) {
        d->flapping &= ~(PH_FLAP_ON | PH_FLAP_TOLD);
    }
    else if (!(kind == PH_EV_UP || (kind == PH_EV_DOWN
                                    && former == PH_STATE_UP))) {
        return;
    }
    if ((d->flapping & PH_FLAP_WINDOW) && d->flap_count > 0) {
        d->flap_count--;
    }
}

void ph_flap_rebase(ph_device_t *d, apr_uint32_t now)
{
    if (d->flapping & PH_FLAP_WINDOW) {
        d->flap_start = now;
        d->flap_last = now;
    }
}
