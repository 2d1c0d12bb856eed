/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Fuzz target: the snapshot reader.
 *
 * 1. The input as a snapshot file: when ph_snapshot_decode takes it, the
 *    records are sane, and encoding and decoding them again gives the same
 *    records, count and time.
 * 2. The input as records (its first 8 bytes also the time): a checksum
 *    cannot be guessed, so this is how the fuzzer reaches what comes after
 *    it.  Encoded, they decode exactly when every name is empty or good,
 *    to the same bytes but for the string ends the reader forces; a
 *    snapshot one byte short or long is refused.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ph_name.h"
#include "ph_snapshot.h"

#define FUZZ_RECORDS_MAX    16

static void check_records(const ph_device_t *d, apr_uint32_t n)
{
    apr_time_t fresh = ph_snapshot_freshness(d, n);
    apr_uint32_t i;

    for (i = 0; i < n; i++) {
        PH_FUZZ_CHECK(d[i].name[PH_NAME_MAX] == '\0');
        PH_FUZZ_CHECK(d[i].remote_ip[PH_IP_MAX] == '\0');
        PH_FUZZ_CHECK(d[i].user_agent[PH_UA_MAX] == '\0');
        PH_FUZZ_CHECK(d[i].boot_id[PH_BOOT_MAX] == '\0');
        PH_FUZZ_CHECK(d[i].name[0] == '\0'
                      || ph_name_check(d[i].name) == NULL);
        if (d[i].name[0]) {
            PH_FUZZ_CHECK(fresh >= d[i].last_seen && fresh >= d[i].since);
        }
    }
    PH_FUZZ_CHECK(fresh >= 0);
}

static void check_again(apr_pool_t *p, const ph_device_t *devs,
                        apr_uint32_t n, apr_time_t written)
{
    ph_device_t *back = NULL;
    apr_uint32_t n2 = 0;
    apr_time_t w2 = 0;
    apr_size_t len = 0;
    const char *buf = ph_snapshot_encode(p, devs, n, written, &len);
    const char *why;

    PH_FUZZ_CHECK(len > (apr_size_t)n * sizeof(ph_device_t));
    why = ph_snapshot_decode(p, buf, len, &back, &n2, &w2);
    PH_FUZZ_CHECK(why == NULL);
    PH_FUZZ_CHECK(n2 == n && w2 == written);
    PH_FUZZ_CHECK(n == 0 || memcmp(back, devs, n * sizeof(*devs)) == 0);
}

static void fuzz_file(apr_pool_t *p, const uint8_t *data, size_t size)
{
    ph_device_t *devs = NULL;
    apr_uint32_t n = 0xDEADu;
    apr_time_t written = 0;
    const char *why;

    why = ph_snapshot_decode(p, ph_fuzz_copy(p, data, size), size, &devs,
                             &n, &written);
    if (why) {
        ph_fuzz_check_reason(why);
        PH_FUZZ_CHECK(n == 0xDEADu);
        return;
    }
    PH_FUZZ_CHECK(devs != NULL);
    PH_FUZZ_CHECK((apr_size_t)n * sizeof(ph_device_t) < size);
    check_records(devs, n);
    check_again(p, devs, n, written);
}

static void fuzz_records(apr_pool_t *p, const uint8_t *data, size_t size)
{
    apr_uint32_t n = (apr_uint32_t)(size / sizeof(ph_device_t)), n2 = 0, i;
    ph_device_t *recs, *want, *back = NULL;
    apr_time_t written = 0, w2 = 0;
    apr_size_t len = 0;
    const char *buf, *why;
    int good = 1;

    if (n > FUZZ_RECORDS_MAX) {
        n = FUZZ_RECORDS_MAX;
    }
    if (size >= sizeof(written)) {
        memcpy(&written, data, sizeof(written));
    }
    recs = (ph_device_t *)ph_fuzz_copy(p, data, n * sizeof(ph_device_t));
    want = (ph_device_t *)ph_fuzz_copy(p, data, n * sizeof(ph_device_t));
    for (i = 0; i < n; i++) {
        want[i].name[PH_NAME_MAX] = '\0';
        want[i].remote_ip[PH_IP_MAX] = '\0';
        want[i].user_agent[PH_UA_MAX] = '\0';
        want[i].boot_id[PH_BOOT_MAX] = '\0';
        if (want[i].name[0] && ph_name_check(want[i].name) != NULL) {
            good = 0;
        }
    }

    buf = ph_snapshot_encode(p, recs, n, written, &len);
    PH_FUZZ_CHECK(len > (apr_size_t)n * sizeof(ph_device_t));
    PH_FUZZ_CHECK(memcmp(buf + len - n * sizeof(ph_device_t), recs,
                         n * sizeof(ph_device_t)) == 0);
    why = ph_snapshot_decode(p, buf, len, &back, &n2, &w2);
    if (!good) {
        PH_FUZZ_CHECK(why != NULL);
        ph_fuzz_check_reason(why);
    }
    else {
        PH_FUZZ_CHECK(why == NULL);
        PH_FUZZ_CHECK(n2 == n && w2 == written);
        PH_FUZZ_CHECK(n == 0 || memcmp(back, want, n * sizeof(*want)) == 0);
        check_records(back, n2);
    }

    /* One byte short, one byte more, in memory of that exact size. */
    why = ph_snapshot_decode(p, ph_fuzz_copy(p, (const uint8_t *)buf,
                                             len - 1), len - 1, &back, &n2,
                             &w2);
    PH_FUZZ_CHECK(why != NULL);
    {
        char *longer = ph_fuzz_alloc(p, len + 1);

        memcpy(longer, buf, len);
        longer[len] = size ? (char)data[0] : 0;
        why = ph_snapshot_decode(p, longer, len + 1, &back, &n2, &w2);
        PH_FUZZ_CHECK(why != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = ph_fuzz_pool();

    fuzz_file(p, data, size);
    fuzz_records(p, data, size);
    apr_pool_destroy(p);
    return 0;
}
