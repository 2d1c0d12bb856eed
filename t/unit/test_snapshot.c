/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_snapshot.c: the table as a file, and which copy is fresher. */

#include "test_util.h"

Suite *test_snapshot_suite(void);

START_TEST(snapshot_due_only_when_something_changed)
{
    apr_time_t t0 = apr_time_from_sec(1000000);

    /* The first of a process is always written. */
    ck_assert(ph_snapshot_due(t0, 0, 0, 0));
    /* An idle table is never written again. */
    ck_assert(!ph_snapshot_due(t0 + apr_time_from_sec(3600), t0, 0, 0));
    /* A change that matters: within PH_SNAPSHOT_URGENT, not before. */
    ck_assert(!ph_snapshot_due(t0 + PH_SNAPSHOT_URGENT - 1, t0, 1, 1));
    ck_assert(ph_snapshot_due(t0 + PH_SNAPSHOT_URGENT, t0, 1, 1));
    ck_assert(ph_snapshot_due(t0 + PH_SNAPSHOT_URGENT, t0, 1, 0));
    /* Beats alone: within PH_SNAPSHOT_ROUTINE, not at the urgent pace. */
    ck_assert(!ph_snapshot_due(t0 + PH_SNAPSHOT_URGENT, t0, 0, 1));
    ck_assert(!ph_snapshot_due(t0 + PH_SNAPSHOT_ROUTINE - 1, t0, 0, 1));
    ck_assert(ph_snapshot_due(t0 + PH_SNAPSHOT_ROUTINE, t0, 0, 1));
    ck_assert(PH_SNAPSHOT_URGENT < PH_SNAPSHOT_ROUTINE);
}
END_TEST

/* Where ph_snapshot.c's header keeps its fields: 8 bytes of magic, then
 * version, record size and count as 32-bit numbers. */
#define SNAP_VERSION_AT     8
#define SNAP_RECSIZE_AT     12
#define SNAP_COUNT_AT       16

/* Three records: two devices and a free slot between them. */
static ph_device_t *snap_devices(void)
{
    ph_device_t *d = apr_pcalloc(pool, 3 * sizeof(ph_device_t));

    dev_init(&d[0], "kitchen-pi", 300, PH_DEV_DECLARED);
    dev_beat(&d[0], "t=1000&boot=abc-def&up=42&seq=7", SEC(1000));
    d[0].reported = PH_STATE_UP;
    dev_init(&d[2], "garage", 60, 0);
    dev_beat(&d[2], "", SEC(900));
    d[2].state = d[2].reported = PH_STATE_DOWN;
    d[2].since = SEC(961);
    return d;
}

/* A copy of @a buf with the 32-bit number at @a at set to @a v. */
static char *patch32(const char *buf, apr_size_t len, apr_size_t at,
                     apr_uint32_t v)
{
    char *copy = apr_pmemdup(pool, buf, len);

    memcpy(copy + at, &v, sizeof(v));
    return copy;
}

static void assert_snapshot_refused(const char *buf, apr_size_t len,
                                    const char *what)
{
    ph_device_t *devs = NULL;
    apr_uint32_t n = 12345;
    apr_time_t written = 0;
    const char *why = ph_snapshot_decode(pool, buf, len, &devs, &n,
                                         &written);

    ck_assert_msg(why != NULL, "%s should be refused", what);
    ck_assert_msg(*why && !has_control(why), "%s: reason", what);
    ck_assert_msg(n == 12345, "%s: the count was set", what);
}

START_TEST(snapshot_round_trip)
{
    ph_device_t *devs = snap_devices(), *back = NULL;
    apr_uint32_t n = 0;
    apr_time_t written = 0;
    apr_size_t len, hlen;
    const char *buf, *why;

    buf = ph_snapshot_encode(pool, devs, 0, SEC(5), &hlen);
    ck_assert_uint_gt(hlen, 0);
    buf = ph_snapshot_encode(pool, devs, 3, SEC(2000) + 7, &len);
    ck_assert_uint_eq(len, hlen + 3 * sizeof(ph_device_t));
    ck_assert_mem_eq(buf + hlen, devs, 3 * sizeof(ph_device_t));

    why = ph_snapshot_decode(pool, buf, len, &back, &n, &written);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(n, 3);
    ck_assert(written == SEC(2000) + 7);
    ck_assert_ptr_nonnull(back);
    ck_assert_ptr_ne(back, devs);
    ck_assert_msg(memcmp(back, devs, 3 * sizeof(ph_device_t)) == 0,
                  "the records did not come back byte for byte");

    /* No records at all. */
    buf = ph_snapshot_encode(pool, devs, 0, SEC(5), &len);
    ck_assert_uint_eq(len, hlen);
    n = 99;
    why = ph_snapshot_decode(pool, buf, len, &back, &n, &written);
    ck_assert_msg(why == NULL, "an empty snapshot refused: %s", S(why));
    ck_assert_uint_eq(n, 0);
    ck_assert(written == SEC(5));
}
END_TEST

/* A snapshot of version 5 (before since_mono): the same records without
 * that field, read into today's layout with 0 there (the cold start's
 * rebase fills it from since). */
#define SNAP_CHECKSUM_AT    32

static apr_uint64_t fnv64(const char *s, apr_size_t len)
{
    apr_uint64_t h = APR_UINT64_C(14695981039346656037);

    while (len--) {
        h ^= (unsigned char)*s++;
        h *= APR_UINT64_C(1099511628211);
    }
    return h;
}

START_TEST(snapshot_reads_version_5)
{
    ph_device_t *devs = snap_devices(), *out;
    apr_size_t len, hlen = 40, size5 = sizeof(ph_device_v5_t), i;
    const char *buf;
    char *v5;
    apr_uint64_t sum;
    apr_uint32_t n, v;
    apr_time_t written;

    /* The previous release's slot was 408 bytes. */
    ck_assert_uint_eq(sizeof(ph_device_v5_t), 408);
    devs[0].since_mono = SEC(77);
    buf = ph_snapshot_encode(pool, devs, 3, SEC(2000), &len);
    v5 = apr_pcalloc(pool, hlen + 3 * size5);
    memcpy(v5, buf, hlen);
    for (i = 0; i < 3; i++) {
        ph_device_v5_t o;
        const ph_device_t *d = &devs[i];

        memset(&o, 0, sizeof(o));
        memcpy(&o, d, offsetof(ph_device_v5_t, client_time));
        o.client_time = d->client_time;
        o.skew = d->skew;
        o.uptime = d->uptime;
        o.seq = d->seq;
        o.key_id = d->key_id;
        o.beats = d->beats;
        o.rate = d->rate;
        o.max_age = d->max_age;
        o.flags = d->flags;
        o.state = d->state;
        o.reported = d->reported;
        o.version = d->name[0] ? 5 : 0;   /* version 5 records said so */
        memcpy(v5 + hlen + i * size5, &o, size5);
    }
    v = 5;
    memcpy(v5 + SNAP_VERSION_AT, &v, 4);
    v = (apr_uint32_t)size5;
    memcpy(v5 + SNAP_RECSIZE_AT, &v, 4);
    sum = fnv64(v5 + hlen, 3 * size5);
    memcpy(v5 + SNAP_CHECKSUM_AT, &sum, 8);

    ck_assert_ptr_null(ph_snapshot_decode(pool, v5, hlen + 3 * size5, &out,
                                          &n, &written));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out[0].name, "kitchen-pi");
    ck_assert_uint_eq(out[0].version, PH_DEVICE_VERSION);
    ck_assert(out[0].since_mono == 0);
    ck_assert(out[0].paused_until == 0 && out[0].pause_mono == 0);
    ck_assert(out[0].fresh_mono == 0 && out[0].paused_from == 0);
    ck_assert(out[0].skew == devs[0].skew && out[0].seq == devs[0].seq);
    ck_assert(out[0].last_seen == devs[0].last_seen);
    ck_assert(out[0].last_mono == devs[0].last_mono);
    ck_assert_uint_eq(out[0].max_age, 300);
    ck_assert(out[0].beats == devs[0].beats);
    ck_assert_str_eq(out[2].name, "garage");
    ck_assert(out[2].since == SEC(961));
    ck_assert_int_eq(out[2].state, PH_STATE_DOWN);
    ck_assert_str_eq(out[1].name, "");
    /* A version 5 file cut short is refused like any other. */
    ck_assert_ptr_nonnull(ph_snapshot_decode(pool, v5, hlen + 3 * size5 - 1,
                                             &out, &n, &written));
}
END_TEST

/* Versions 6 and 7 share one layout of 440 bytes, today's prefix. */
static void snapshot_reads_prefix(apr_uint32_t version)
{
    ph_device_t *devs = snap_devices(), *out;
    apr_size_t len, hlen = 40, size6 = sizeof(ph_device_v6_t), i;
    const char *buf;
    char *v6;
    apr_uint64_t sum;
    apr_uint32_t n, v;
    apr_time_t written;

    /* The previous release's slot was 440 bytes: today's up to version. */
    ck_assert_uint_eq(sizeof(ph_device_v6_t), 440);
    ck_assert_uint_eq(offsetof(ph_device_v6_t, version),
                      offsetof(ph_device_t, version));
    devs[0].since_mono = SEC(77);
    devs[0].paused_until = SEC(5000);
    devs[0].paused_from = PH_STATE_UP;
    buf = ph_snapshot_encode(pool, devs, 3, SEC(2000), &len);
    v6 = apr_pcalloc(pool, hlen + 3 * size6);
    memcpy(v6, buf, hlen);
    for (i = 0; i < 3; i++) {
        ph_device_v6_t o;

        memset(&o, 0, sizeof(o));
        memcpy(&o, &devs[i], offsetof(ph_device_v6_t, version));
        o.version = devs[i].name[0] ? (apr_byte_t)version : 0;
        memcpy(v6 + hlen + i * size6, &o, size6);
    }
    v = version;
    memcpy(v6 + SNAP_VERSION_AT, &v, 4);
    v = (apr_uint32_t)size6;
    memcpy(v6 + SNAP_RECSIZE_AT, &v, 4);
    sum = fnv64(v6 + hlen, 3 * size6);
    memcpy(v6 + SNAP_CHECKSUM_AT, &sum, 8);

    ck_assert_ptr_null(ph_snapshot_decode(pool, v6, hlen + 3 * size6, &out,
                                          &n, &written));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out[0].name, "kitchen-pi");
    ck_assert_uint_eq(out[0].version, PH_DEVICE_VERSION);
    ck_assert(out[0].since_mono == SEC(77));
    ck_assert(out[0].paused_until == SEC(5000));
    ck_assert_int_eq(out[0].paused_from, PH_STATE_UP);
    ck_assert(out[0].last_seen == devs[0].last_seen);
    ck_assert_uint_eq(out[0].max_age, 300);
    ck_assert_str_eq(out[2].name, "garage");
    ck_assert_int_eq(out[2].state, PH_STATE_DOWN);
    ck_assert_str_eq(out[1].name, "");
    ck_assert_uint_eq(out[1].version, 0);
    /* Whatever today's layout adds after version starts at 0. */
    for (i = offsetof(ph_device_t, version) + 1; i < sizeof(ph_device_t);
         i++) {
        ck_assert_int_eq(((const char *)&out[0])[i], 0);
    }
    ck_assert_ptr_nonnull(ph_snapshot_decode(pool, v6, hlen + 3 * size6 - 1,
                                             &out, &n, &written));
}

START_TEST(snapshot_reads_version_6)
{
    snapshot_reads_prefix(6);
}
END_TEST

START_TEST(snapshot_reads_version_7)
{
    snapshot_reads_prefix(7);
}
END_TEST

START_TEST(snapshot_decode_refuses)
{
    ph_device_t *devs = snap_devices();
    apr_size_t len, hlen;
    const char *buf;
    char *bad;

    buf = ph_snapshot_encode(pool, devs, 0, 0, &hlen);
    buf = ph_snapshot_encode(pool, devs, 3, SEC(2000), &len);

    /* Too short for a header. */
    assert_snapshot_refused(buf, 0, "an empty file");
    assert_snapshot_refused(buf, hlen - 1, "a short header");
    /* Not ours. */
    bad = apr_pmemdup(pool, buf, len);
    bad[0] ^= 0x20;
    assert_snapshot_refused(bad, len, "bad magic");
    /* Another layout. */
    assert_snapshot_refused(patch32(buf, len, SNAP_VERSION_AT,
                                    PH_DEVICE_VERSION + 1), len,
                            "a newer version");
    /* Version 4 and older are not read (5 and 6 are converted). */
    assert_snapshot_refused(patch32(buf, len, SNAP_VERSION_AT, 4), len,
                            "an older version");
    assert_snapshot_refused(patch32(buf, len, SNAP_RECSIZE_AT,
                                    (apr_uint32_t)sizeof(ph_device_t) + 8),
                            len,
                            "another record size");
    /* Truncated, or a count that does not match. */
    assert_snapshot_refused(buf, len - 1, "one byte short");
    assert_snapshot_refused(buf, len - sizeof(ph_device_t),
                            "one record short");
    assert_snapshot_refused(patch32(buf, len, SNAP_COUNT_AT, 4), len,
                            "a count too high");
    assert_snapshot_refused(patch32(buf, len, SNAP_COUNT_AT, 2), len,
                            "a count too low");
    /* A flipped byte in a record. */
    bad = apr_pmemdup(pool, buf, len);
    bad[hlen + sizeof(ph_device_t) + 100] ^= 0x01;
    assert_snapshot_refused(bad, len, "a flipped byte in a free slot");
    bad = apr_pmemdup(pool, buf, len);
    bad[len - 1] ^= 0x80;
    assert_snapshot_refused(bad, len, "a flipped byte at the end");
    /* A record with a bad name, checksum and all. */
    apr_cpystrn(devs[2].name, "bad name", sizeof(devs[2].name));
    buf = ph_snapshot_encode(pool, devs, 3, SEC(2000), &len);
    assert_snapshot_refused(buf, len, "a bad device name");
    apr_cpystrn(devs[2].name, "../x", sizeof(devs[2].name));
    buf = ph_snapshot_encode(pool, devs, 3, SEC(2000), &len);
    assert_snapshot_refused(buf, len, "a path as a device name");
}
END_TEST

/* Version 8 (456 bytes, flap damping): today's layout up to `flapping`;
 * the version 9 fields (maintenance, reminders) start at 0. */
START_TEST(snapshot_reads_version_8)
{
    ph_device_t *devs = snap_devices(), *out;
    apr_size_t len, hlen = 40, size8 = PH_V8_SIZE, i;
    const char *buf;
    char *v8;
    apr_uint64_t sum;
    apr_uint32_t n, v;
    apr_time_t written;

    ck_assert_uint_eq(PH_V8_PREFIX, 455);
    devs[0].flap_count = 7;
    devs[0].flap_limit = 4;
    devs[0].flapping = 1;
    buf = ph_snapshot_encode(pool, devs, 3, SEC(2000), &len);
    v8 = apr_pcalloc(pool, hlen + 3 * size8);
    memcpy(v8, buf, hlen);
    for (i = 0; i < 3; i++) {
        char rec[PH_V8_SIZE];

        memset(rec, 0, sizeof(rec));
        memcpy(rec, &devs[i], PH_V8_PREFIX);
        rec[offsetof(ph_device_t, version)] = devs[i].name[0] ? 8 : 0;
        memcpy(v8 + hlen + i * size8, rec, size8);
    }
    v = 8;
    memcpy(v8 + SNAP_VERSION_AT, &v, 4);
    v = (apr_uint32_t)size8;
    memcpy(v8 + SNAP_RECSIZE_AT, &v, 4);
    sum = fnv64(v8 + hlen, 3 * size8);
    memcpy(v8 + SNAP_CHECKSUM_AT, &sum, 8);

    ck_assert_ptr_null(ph_snapshot_decode(pool, v8, hlen + 3 * size8, &out,
                                          &n, &written));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out[0].name, "kitchen-pi");
    ck_assert_uint_eq(out[0].version, PH_DEVICE_VERSION);
    ck_assert_uint_eq(out[0].flap_count, 7);
    ck_assert_uint_eq(out[0].flap_limit, 4);
    ck_assert_int_eq(out[0].flapping, 1);
    ck_assert(out[0].last_seen == devs[0].last_seen);
    ck_assert_str_eq(out[2].name, "garage");
    ck_assert_str_eq(out[1].name, "");
    ck_assert_uint_eq(out[1].version, 0);
    for (i = PH_V8_PREFIX; i < sizeof(ph_device_t); i++) {
        ck_assert_int_eq(((const char *)&out[0])[i], 0);
    }
    /* A record size that is not 456 under version 8 is refused. */
    v = (apr_uint32_t)size8 - 8;
    memcpy(v8 + SNAP_RECSIZE_AT, &v, 4);
    ck_assert_ptr_nonnull(ph_snapshot_decode(pool, v8, hlen + 3 * size8,
                                             &out, &n, &written));
}
END_TEST

START_TEST(snapshot_freshness)
{
    ph_device_t d[4];

    memset(d, 0, sizeof(d));
    ck_assert(ph_snapshot_freshness(d, 0) == 0);
    ck_assert(ph_snapshot_freshness(d, 4) == 0);

    apr_cpystrn(d[0].name, "a", sizeof(d[0].name));
    d[0].last_seen = SEC(100);
    d[0].since = SEC(50);
    ck_assert(ph_snapshot_freshness(d, 4) == SEC(100));

    /* A free slot's last_seen does not count; its since is the time it
     * was forgotten (ph_table_remove), and does: a snapshot written after
     * a forget wins over a copy from before it. */
    d[1].last_seen = SEC(5000);
    ck_assert(ph_snapshot_freshness(d, 4) == SEC(100));
    d[1].since = SEC(6000);
    ck_assert(ph_snapshot_freshness(d, 4) == SEC(6000));
    d[1].since = 0;

    /* A later state change counts as much as a beat. */
    apr_cpystrn(d[2].name, "b", sizeof(d[2].name));
    d[2].last_seen = SEC(10);
    d[2].since = SEC(300);
    ck_assert(ph_snapshot_freshness(d, 4) == SEC(300));
    ck_assert(ph_snapshot_freshness(d, 2) == SEC(100));

    apr_cpystrn(d[3].name, "c", sizeof(d[3].name));
    d[3].last_seen = SEC(301);
    ck_assert(ph_snapshot_freshness(d, 4) == SEC(301));
}
END_TEST

Suite *test_snapshot_suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = ph_test_tcase(s, "snapshot");

    tcase_add_test(tc, snapshot_round_trip);
    tcase_add_test(tc, snapshot_decode_refuses);
    tcase_add_test(tc, snapshot_reads_version_5);
    tcase_add_test(tc, snapshot_reads_version_6);
    tcase_add_test(tc, snapshot_reads_version_7);
    tcase_add_test(tc, snapshot_reads_version_8);
    tcase_add_test(tc, snapshot_freshness);
    tcase_add_test(tc, snapshot_due_only_when_something_changed);
    return s;
}
