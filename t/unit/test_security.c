/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of issue 14's core logic: arming and the per-hour cap, the
 * seq floor, rate arithmetic at the extremes, the keyed index. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "ph_arm.h"
#include "ph_device.h"
#include "ph_fsm.h"
#include "ph_notify.h"
#include "ph_rate.h"
#include "ph_sig.h"
#include "ph_siphash.h"
#include "ph_table.h"

#define SEC(n) apr_time_from_sec(n)
#define T0     apr_time_from_sec(1700000000)

Suite *test_security_suite(void);

static void dev(ph_device_t *d, const char *name, int declared)
{
    memset(d, 0, sizeof(*d));
    apr_cpystrn(d->name, name, sizeof(d->name));
    d->version = PH_DEVICE_VERSION;
    d->max_age = 300;
    d->flags = declared ? PH_DEV_DECLARED : 0;
}

/* --- Arming ------------------------------------------------------------- */

START_TEST(arm_undeclared_waits)
{
    ph_device_t d;

    dev(&d, "spam-1-900-555-0199", 0);
    d.state = PH_STATE_UP;
    d.since_mono = T0;
    d.last_mono = T0 + SEC(5);
    ck_assert_int_eq(ph_arm_after(&d, -1), SEC(600));
    ck_assert_int_eq(ph_arm_update(&d, ph_arm_after(&d, -1)), 0);
    d.last_mono = T0 + SEC(599);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 0);
    d.last_mono = T0 + SEC(600);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
    /* Armed once, armed for good: an outage does not disarm it. */
    d.state = PH_STATE_DOWN;
    d.since_mono = T0 + SEC(2000);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
}
END_TEST

START_TEST(arm_not_while_down_or_unknown)
{
    ph_device_t d;

    dev(&d, "x", 0);
    d.state = PH_STATE_DOWN;
    d.since_mono = T0;
    d.last_mono = T0 + SEC(10000);      /* not while down */
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 0);
    d.state = PH_STATE_UNKNOWN;
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 0);
}
END_TEST

/* ArmAfter counts on the monotonic clock: a step of the wall clock (the
 * wall times since and last_seen) neither arms a device nor holds one
 * back. */
START_TEST(arm_ignores_wall_clock_steps)
{
    ph_device_t d;

    dev(&d, "new-pi", 0);
    d.state = PH_STATE_UP;
    /* Heard for 5 s; the wall clock stepped a day forward in between. */
    d.since = T0;
    d.last_seen = T0 + SEC(86400 + 5);
    d.since_mono = SEC(1000);
    d.last_mono = SEC(1005);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 0);
    /* Heard for 600 s; the wall clock stepped back an hour in between. */
    d.last_seen = T0 + SEC(600 - 3600);
    d.last_mono = SEC(1600);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
}
END_TEST

START_TEST(arm_declared_default_and_zero)
{
    ph_device_t d;

    dev(&d, "shop-pi", 1);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
    dev(&d, PH_DEFAULT_DEVICE, 0);
    ck_assert_int_eq(ph_arm_update(&d, SEC(600)), 1);
    dev(&d, "anyone", 0);
    ck_assert_int_eq(ph_arm_update(&d, 0), 1);
    ck_assert_int_eq(ph_arm_after(&d, 0), 0);
    ck_assert_int_eq(ph_arm_after(&d, 42), SEC(42));
}
END_TEST

/* Through the state machine: three beats and silence send nothing; a
 * device heard for ArmAfter alerts as before. */
START_TEST(arm_fsm_flood_silent)
{
    ph_fsm_ctx_t c;
    ph_device_t d;
    int former;

    memset(&c, 0, sizeof(c));
    c.started = T0 - SEC(10000);
    c.arm_after = -1;
    dev(&d, "URGENT-call-1-900-555-0199", 0);
    d.max_age = 2;
    d.state = PH_STATE_UP;
    d.since_mono = T0;
    d.last_seen = d.last_mono = T0 + SEC(1);
    c.now = T0 + SEC(1);
    ck_assert_int_eq(ph_fsm_step(&d, &c, &former), PH_EV_NONE);
    c.now = T0 + SEC(10);
    ck_assert_int_eq(ph_fsm_step(&d, &c, &former), PH_EV_NONE);
    ck_assert_int_eq(d.state, PH_STATE_DOWN);
    ck_assert_int_eq(d.reported, PH_STATE_DOWN);

    dev(&d, "steady-pi", 0);
    d.max_age = 2;
    d.state = d.reported = PH_STATE_UP;
    d.since_mono = T0;
    d.last_seen = d.last_mono = T0 + SEC(4);
    c.now = T0 + SEC(10);
    ck_assert_int_eq(ph_fsm_step(&d, &c, &former), PH_EV_DOWN);
}
END_TEST

START_TEST(arm_budget_cap_and_summary)
{
    ph_arm_budget_t b;
    int i, sent = 0;

    memset(&b, 0, sizeof(b));
    for (i = 0; i < 25; i++) {
        sent += ph_arm_budget_take(&b, T0 + SEC(i), 10);
    }
    ck_assert_int_eq(sent, 10);
    ck_assert_uint_eq(b.folded, 15);
    ck_assert_uint_eq(ph_arm_budget_summary(&b, T0 + SEC(3599)), 0);
    ck_assert_uint_eq(ph_arm_budget_summary(&b, T0 + SEC(3600)), 15);
    ck_assert_uint_eq(ph_arm_budget_summary(&b, T0 + SEC(7300)), 0);
    ck_assert_int_eq(ph_arm_budget_take(&b, T0 + SEC(7300), 10), 1);
}
END_TEST

/* --- The seq floor ------------------------------------------------------ */

START_TEST(seq_floor_rules)
{
    ph_device_t d;
    apr_uint64_t id = ph_sig_key_id("0123456789abcdef0123456789abcdef", 32);
    apr_uint64_t now_ms = APR_UINT64_C(1700000000000);

    ck_assert(id != 0);
    ck_assert(id != ph_sig_key_id("0123456789abcdef0123456789abcdeF", 32));
    dev(&d, "k", 1);
    /* A new slot (or another layout's, cleared): the floor at once. */
    ck_assert_int_eq(ph_device_seq_start(&d, id, now_ms, 0), 1);
    ck_assert_uint_eq(d.seq, now_ms);
    /* A clean restart keeps the seq exactly. */
    d.seq = now_ms + 5;
    ck_assert_int_eq(ph_device_seq_start(&d, id, now_ms + 100, 0), 0);
    ck_assert_uint_eq(d.seq, now_ms + 5);
    /* After a crash: raised to the start's time, never lowered. */
    ck_assert_int_eq(ph_device_seq_start(&d, id, now_ms + 100, 1), 1);
    ck_assert_uint_eq(d.seq, now_ms + 100);
    d.seq = APR_UINT64_C(1) << 62;
    ck_assert_int_eq(ph_device_seq_start(&d, id, now_ms + 200, 1), 0);
    ck_assert_uint_eq(d.seq, APR_UINT64_C(1) << 62);
    /* A new key resets it, lower too. */
    ck_assert_int_eq(ph_device_seq_start(&d, id + 1, now_ms + 300, 0), 1);
    ck_assert_uint_eq(d.seq, now_ms + 300);
    ck_assert_uint_eq(d.key_id, id + 1);
}
END_TEST

/* --- Register limit: per /64, no reset on collision, fails closed -------- */

START_TEST(ip_key_v6_prefix)
{
    char k[PH_IP_MAX + 1];

    ph_rate_ip_key(k, "192.0.2.77", 64);
    ck_assert_str_eq(k, "192.0.2.77");
    ph_rate_ip_key(k, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64);
    ck_assert_str_eq(k, "2001:db8:1:2::");
    ph_rate_ip_key(k, "2001:db8:1:2::99", 64);
    ck_assert_str_eq(k, "2001:db8:1:2::");
    ph_rate_ip_key(k, "2001:db8:1:2ff::1", 56);
    ck_assert_str_eq(k, "2001:db8:1:200::");
    ph_rate_ip_key(k, "2001:db8::1", 128);
    ck_assert_str_eq(k, "2001:db8::1");
    ph_rate_ip_key(k, "not:an:address", 64);
    ck_assert_str_eq(k, "not:an:address");
}
END_TEST

START_TEST(ip_table_fails_closed)
{
    static const unsigned char key[16] = { 7 };
    ph_rate_ip_t *table = calloc(PH_RATE_IPS, sizeof(ph_rate_ip_t));
    ph_rate_t r = { 20, SEC(60) };
    char ip[64];
    unsigned int i, got = 0, refused = 0;
    ph_bucket_state_t *first;

    /* Every address takes a token: no entry is idle. */
    for (i = 0; i < 3 * PH_RATE_IPS; i++) {
        ph_bucket_state_t *b;

        snprintf(ip, sizeof(ip), "10.%u.%u.%u", i >> 16, (i >> 8) & 255,
                 i & 255);
        b = ph_rate_ip_bucket(table, key, ip, &r, T0 + i);
        if (b) {
            ck_assert_int_eq(ph_rate_take(b, &r, T0 + i), 0);
            got++;
        }
        else {
            refused++;
        }
    }
    ck_assert_uint_le(got, PH_RATE_IPS);
    ck_assert_uint_ge(refused, 2 * PH_RATE_IPS);
    /* The first address kept its bucket (one token spent): never reset. */
    first = ph_rate_ip_bucket(table, key, "10.0.0.0", &r, T0 + SEC(1));
    ck_assert_ptr_nonnull(first);
    ck_assert_uint_eq(first->milli, 19000);
    /* A period later every entry is idle, and new addresses get one. */
    ck_assert_ptr_nonnull(ph_rate_ip_bucket(table, key, "198.51.100.1", &r,
                                            T0 + SEC(61) + 3 * PH_RATE_IPS));
    free(table);
}
END_TEST

/* --- ph_rate at the extremes ------------------------------------------- */

START_TEST(rate_refill_extremes)
{
    ph_rate_t r = { 1000000, SEC(86400) };
    ph_bucket_state_t b;
    apr_time_t t = T0;
    unsigned int i;

    memset(&b, 0, sizeof(b));
    for (i = 0; i < 1000000; i++) {
        ck_assert_int_eq(ph_rate_take(&b, &r, t), 0);
    }
    ck_assert(ph_rate_take(&b, &r, t) > 0);
    /* Five hours and more of silence: no overflow, a bucket as full as
     * the time says (the old arithmetic wrapped here and answered 429). */
    ck_assert_int_eq(ph_rate_take(&b, &r, t + SEC(6 * 3600)), 0);
    ck_assert_uint_eq(b.milli, 250000u * 1000 - 1000);
    ck_assert_int_eq(ph_rate_take(&b, &r, t + SEC(86399)), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t + SEC(86400 * 365)), 0);
    ck_assert_uint_eq(b.milli, 1000000u * 1000 - 1000);
    /* The smallest: one a second. */
    {
        ph_rate_t one = { 1, SEC(1) };
        ph_bucket_state_t c;

        memset(&c, 0, sizeof(c));
        ck_assert_int_eq(ph_rate_take(&c, &one, t), 0);
        ck_assert_int_eq(ph_rate_take(&c, &one, t + 1), SEC(1));
        ck_assert_int_eq(ph_rate_take(&c, &one, t + 1 + SEC(1)), 0);
    }
    /* Exact arithmetic where a plain product would wrap: 2^64 / 10^9 us
     * is about 5.1 h; just under a day at n = 10^6 refills exactly. */
    {
        ph_bucket_state_t d;

        memset(&d, 0, sizeof(d));
        d.stamp = t;
        d.milli = 0;
        ck_assert_int_eq(ph_rate_take(&d, &r, t + SEC(43200)), 0);
        ck_assert_uint_eq(d.milli, 500000u * 1000 - 1000);
    }
}
END_TEST

/* --- The keyed index: flat cost under FNV-1a collisions ------------------ */

static ph_device_t *flood_slots;

static ph_device_t *flood_slot(void *baton, apr_uint32_t id)
{
    (void)baton;
    return &flood_slots[id];
}

static apr_uint32_t fnv_hash(const char *name)
{
    return ph_table_hash(name);
}

START_TEST(siphash_vectors)
{
    unsigned char key[16], msg[64];
    int i;

    for (i = 0; i < 16; i++) {
        key[i] = (unsigned char)i;
    }
    for (i = 0; i < 64; i++) {
        msg[i] = (unsigned char)i;
    }
    /* The paper's test vectors (SipHash-2-4, 64-bit output). */
    ck_assert_uint_eq(ph_siphash(key, msg, 0), APR_UINT64_C(0x726fdb47dd0e0e31));
    ck_assert_uint_eq(ph_siphash(key, msg, 15), APR_UINT64_C(0xa129ca6149be45e5));
}
END_TEST

START_TEST(index_flood_flat)
{
    enum { NSLOTS = 1024, WANT = 600 };
    void *mem = calloc(1, ph_table_index_size(NSLOTS));
    apr_uint32_t mask = ph_table_nbuckets(NSLOTS) - 1, target;
    char (*names)[32] = calloc(WANT, 32);
    unsigned int n = 0, i, maxp, sum;
    unsigned long k;
    ph_table_t t;

    flood_slots = calloc(NSLOTS, sizeof(ph_device_t));
    /* Names that all land in one FNV-1a bucket of this table, as an
     * attacker makes them offline. */
    target = ph_table_hash("flood-0") & mask;
    for (k = 0; n < WANT; k++) {
        char name[32];

        snprintf(name, sizeof(name), "flood-%lu", k);
        if ((ph_table_hash(name) & mask) == target) {
            memcpy(names[n++], name, sizeof(name));
        }
    }
    /* Unkeyed (as before): the probes grow with every name. */
    memset(&t, 0, sizeof(t));
    t.slot = flood_slot;
    t.hash = fnv_hash;
    ph_table_rebuild(&t, mem, NSLOTS);
    for (i = 0; i < PH_TABLE_PROBE_MAX; i++) {
        apr_uint32_t id;

        ck_assert_int_eq(ph_table_add(&t, names[i], &id), APR_SUCCESS);
    }
    /* The bounded probe refuses the next one rather than walk on. */
    {
        apr_uint32_t id;

        ck_assert_int_eq(ph_table_add(&t, names[PH_TABLE_PROBE_MAX], &id),
                         APR_EAGAIN);
    }
    ck_assert_uint_eq(ph_table_probes(&t, names[PH_TABLE_PROBE_MAX - 1]),
                      PH_TABLE_PROBE_MAX);

    /* Keyed: the same names cost one or two probes each. */
    memset(flood_slots, 0, NSLOTS * sizeof(ph_device_t));
    memset(mem, 0, ph_table_index_size(NSLOTS));
    memset(&t, 0, sizeof(t));
    t.slot = flood_slot;
    ph_table_attach(&t, mem);
    for (i = 0; i < 16; i++) {
        t.hdr->hash_key[i] = (unsigned char)(i * 37 + 11);
    }
    ph_table_rebuild(&t, mem, NSLOTS);
    for (i = 0; i < WANT; i++) {
        apr_uint32_t id;

        ck_assert_int_eq(ph_table_add(&t, names[i], &id), APR_SUCCESS);
    }
    for (i = 0, maxp = 0, sum = 0; i < WANT; i++) {
        apr_uint32_t p = ph_table_probes(&t, names[i]);

        ck_assert_int_ge(ph_table_find(&t, names[i]), 0);
        sum += p;
        maxp = p > maxp ? p : maxp;
    }
    ck_assert_msg(sum < 3 * WANT, "mean probes %.2f", (double)sum / WANT);
    ck_assert_uint_lt(maxp, 32);
    /* A name that is not there stops within the bound too. */
    ck_assert_uint_le(ph_table_probes(&t, "not-there"), PH_TABLE_PROBE_MAX);
    free(names);
    free(mem);
    free(flood_slots);
}
END_TEST

START_TEST(url_redacted)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    ck_assert_str_eq(ph_notify_url_redacted(p, "https://ntfy.sh/my-secret-topic"),
                     "https://ntfy.sh/...");
    ck_assert_str_eq(ph_notify_url_redacted(p, "http://127.0.0.1:9?token=x"),
                     "http://127.0.0.1:9/...");
    ck_assert_str_eq(ph_notify_url_redacted(p, "https://example.com"),
                     "https://example.com");
    apr_pool_destroy(p);
    apr_terminate();
}
END_TEST

Suite *test_security_suite(void)
{
    Suite *s = suite_create("security");
    TCase *tc = tcase_create("arm");

    tcase_add_test(tc, arm_undeclared_waits);
    tcase_add_test(tc, arm_ignores_wall_clock_steps);
    tcase_add_test(tc, arm_not_while_down_or_unknown);
    tcase_add_test(tc, arm_declared_default_and_zero);
    tcase_add_test(tc, arm_fsm_flood_silent);
    tcase_add_test(tc, arm_budget_cap_and_summary);
    suite_add_tcase(s, tc);
    tc = tcase_create("seq");
    tcase_add_test(tc, seq_floor_rules);
    suite_add_tcase(s, tc);
    tc = tcase_create("register");
    tcase_add_test(tc, ip_key_v6_prefix);
    tcase_add_test(tc, ip_table_fails_closed);
    suite_add_tcase(s, tc);
    tc = tcase_create("secrets");
    tcase_add_test(tc, url_redacted);
    suite_add_tcase(s, tc);
    tc = tcase_create("rate");
    tcase_add_test(tc, rate_refill_extremes);
    suite_add_tcase(s, tc);
    tc = tcase_create("index");
    tcase_add_test(tc, siphash_vectors);
    tcase_add_test(tc, index_flood_flat);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
