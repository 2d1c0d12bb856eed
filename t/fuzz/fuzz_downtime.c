/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Fuzz target: the two files of the monitor's own downtime, both in the
 * state directory the User can write (root reads the stamp at a start).
 * The input is the alive stamp, given as it is (no NUL), to
 * ph_alive_parse: when taken, its time is positive and it formats back to
 * a record that parses the same.  The same input as text is the history
 * file: ph_downtimes_read keeps at most PH_DOWNTIMES_KEEP, each line it
 * kept formats and parses to itself, and adding one more stays bounded.
 */

#include <string.h>

#include "fuzz.h"
#include "ph_downtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = ph_fuzz_pool();
    char rec[PH_ALIVE_RECORD];
    apr_array_header_t *all, *again;
    ph_downtime_t d, back;
    ph_alive_t a, b;
    const char *why, *text;
    int i;

    why = ph_alive_parse(ph_fuzz_copy(p, data, size), size, &a);
    if (why) {
        ph_fuzz_check_reason(why);
    }
    else {
        PH_FUZZ_CHECK(a.at > 0 && (a.clean == 0 || a.clean == 1));
        ph_alive_format(rec, a.at, a.clean);
        PH_FUZZ_CHECK(ph_alive_parse(rec, sizeof(rec), &b) == NULL);
        PH_FUZZ_CHECK(b.at == a.at && b.clean == a.clean);
    }

    all = ph_downtimes_read(p, ph_fuzz_cstr(p, data, size));
    PH_FUZZ_CHECK(all->nelts <= PH_DOWNTIMES_KEEP);
    for (i = 0; i < all->nelts; i++) {
        const ph_downtime_t *x = &APR_ARRAY_IDX(all, i, ph_downtime_t);
        const char *line = ph_downtime_format(p, x);

        PH_FUZZ_CHECK(x->stopped > 0 && x->back >= x->stopped);
        PH_FUZZ_CHECK(!ph_fuzz_has_control(line));
        PH_FUZZ_CHECK(ph_downtime_parse(line, &back) == NULL);
        PH_FUZZ_CHECK(strcmp(ph_downtime_format(p, &back), line) == 0);
    }
    memset(&d, 0, sizeof(d));
    d.stopped = apr_time_from_sec(1000);
    d.back = apr_time_from_sec(2000);
    text = ph_downtimes_add(p, ph_fuzz_cstr(p, data, size), &d);
    again = ph_downtimes_read(p, text);
    PH_FUZZ_CHECK(again->nelts >= 1 && again->nelts <= PH_DOWNTIMES_KEEP);
    PH_FUZZ_CHECK(APR_ARRAY_IDX(again, again->nelts - 1,
                                ph_downtime_t).back == d.back);
    PH_FUZZ_CHECK(strlen(text) <= (apr_size_t)PH_DOWNTIMES_KEEP * 80);
    apr_pool_destroy(p);
    return 0;
}
