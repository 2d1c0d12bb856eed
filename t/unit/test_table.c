/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_table.c: the device table, its slots and hash index. */

#include "test_util.h"

Suite *test_table_suite(void);

typedef struct test_table_t {
    ph_table_t    t;
    ph_device_t  *slots;            /* calloc'd, as slotmem would hold them */
    void         *index;            /* calloc'd, ph_table_index_size(n) */
    apr_uint32_t  n;
} test_table_t;

static ph_device_t *slot_at(void *baton, apr_uint32_t id)
{
    return &((ph_device_t *)baton)[id];
}

/* Every name collides: the probe sequence alone must keep them apart.
 * All ones also makes the probe start at the last bucket and wrap. */
static apr_uint32_t hash_constant(const char *name)
{
    (void)name;
    return 0xFFFFFFFFu;
}

static void table_open(test_table_t *tt, apr_uint32_t n, ph_hash_fn *hash)
{
    memset(tt, 0, sizeof(*tt));
    tt->n = n;
    tt->slots = calloc(n ? n : 1, sizeof(ph_device_t));
    tt->index = calloc(1, ph_table_index_size(n));
    ck_assert_ptr_nonnull(tt->slots);
    ck_assert_ptr_nonnull(tt->index);
    tt->t.slot = slot_at;
    tt->t.baton = tt->slots;
    tt->t.hash = hash;
    ph_table_rebuild(&tt->t, tt->index, n);
}

static void table_close(test_table_t *tt)
{
    free(tt->slots);
    free(tt->index);
}

static const char *dev_name(char *buf, apr_size_t size, apr_uint32_t i)
{
    apr_snprintf(buf, size, "dev-%u", (unsigned)i);
    return buf;
}

START_TEST(table_nbuckets_is_power_of_two_at_least_twice_n)
{
    static const apr_uint32_t ns[] = {
        0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 1000, 4095, 4096, 4097, 65536,
        PH_MAX_DEVICES_LIMIT
    };
    apr_size_t i;

    for (i = 0; i < NELTS(ns); i++) {
        apr_uint32_t nb = ph_table_nbuckets(ns[i]);

        ck_assert_msg(nb != 0 && (nb & (nb - 1)) == 0,
                      "nbuckets(%u) = %u is not a power of two",
                      (unsigned)ns[i], (unsigned)nb);
        ck_assert_msg((apr_uint64_t)nb >= 2 * (apr_uint64_t)ns[i],
                      "nbuckets(%u) = %u is less than twice n",
                      (unsigned)ns[i], (unsigned)nb);
        ck_assert_msg(ph_table_index_size(ns[i])
                      >= sizeof(ph_table_hdr_t) + nb * sizeof(ph_bucket_t),
                      "index_size(%u) is too small", (unsigned)ns[i]);
    }
}
END_TEST

START_TEST(table_add_and_find_many)
{
    test_table_t tt;
    char name[32];
    apr_uint32_t i, id;
    const apr_uint32_t n = 10000;

    table_open(&tt, n, NULL);
    ck_assert_uint_eq(tt.t.hdr->magic, PH_TABLE_MAGIC);
    ck_assert_uint_eq(tt.t.hdr->nslots, n);
    ck_assert_uint_eq(tt.t.hdr->used, 0);
    ck_assert_int_eq(ph_table_find(&tt.t, "dev-0"), -1);

    for (i = 0; i < n; i++) {
        id = 0xDEADBEEF;
        ck_assert_int_eq(ph_table_add(&tt.t, dev_name(name, sizeof(name), i),
                                      &id), APR_SUCCESS);
        ck_assert_uint_eq(id, i);           /* slots are handed out in order */
    }
    ck_assert_uint_eq(tt.t.hdr->used, n);

    for (i = 0; i < n; i++) {
        dev_name(name, sizeof(name), i);
        ck_assert_int_eq(ph_table_find(&tt.t, name), (long)i);
        ck_assert_str_eq(tt.slots[i].name, name);
        ck_assert_uint_eq(tt.slots[i].version, PH_DEVICE_VERSION);
        ck_assert_uint_eq(tt.slots[i].state, PH_STATE_UNKNOWN);
    }
    ck_assert_int_eq(ph_table_find(&tt.t, "dev-10000"), -1);
    ck_assert_int_eq(ph_table_find(&tt.t, "dev-"), -1);
    ck_assert_int_eq(ph_table_find(&tt.t, "DEV-1"), -1);
    table_close(&tt);
}
END_TEST

START_TEST(table_add_existing_returns_its_id)
{
    test_table_t tt;
    apr_uint32_t id;

    table_open(&tt, 8, NULL);
    ck_assert_int_eq(ph_table_add(&tt.t, "alpha", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 0);
    ck_assert_int_eq(ph_table_add(&tt.t, "beta", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 1);

    tt.slots[0].beats = 42;                 /* must survive a second add */
    id = 99;
    ck_assert_int_eq(ph_table_add(&tt.t, "alpha", &id), APR_EEXIST);
    ck_assert_uint_eq(id, 0);
    ck_assert(tt.slots[0].beats == 42);
    ck_assert_int_eq(ph_table_add(&tt.t, "beta", &id), APR_EEXIST);
    ck_assert_uint_eq(id, 1);
    ck_assert_uint_eq(tt.t.hdr->used, 2);
    table_close(&tt);
}
END_TEST

START_TEST(table_full_refuses_and_changes_nothing)
{
    test_table_t tt;
    const apr_uint32_t n = 4;
    apr_size_t isize = ph_table_index_size(n);
    void *index_before = malloc(isize);
    ph_device_t slots_before[4];
    char name[32];
    apr_uint32_t i, id;

    ck_assert_ptr_nonnull(index_before);
    table_open(&tt, n, NULL);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(ph_table_add(&tt.t, dev_name(name, sizeof(name), i),
                                      &id), APR_SUCCESS);
    }
    memcpy(index_before, tt.index, isize);
    memcpy(slots_before, tt.slots, sizeof(slots_before));

    id = 77;
    ck_assert_int_eq(ph_table_add(&tt.t, "one-too-many", &id), APR_ENOSPC);
    ck_assert_uint_eq(tt.t.hdr->used, n);
    ck_assert_int_eq(ph_table_find(&tt.t, "one-too-many"), -1);
    ck_assert_msg(memcmp(index_before, tt.index, isize) == 0,
                  "a refused add changed the index");
    ck_assert_msg(memcmp(slots_before, tt.slots, sizeof(slots_before)) == 0,
                  "a refused add changed a slot");
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(ph_table_find(&tt.t, dev_name(name, sizeof(name), i)),
                         (long)i);
    }

    /* A known name is still found, not refused, when the table is full. */
    ck_assert_int_eq(ph_table_add(&tt.t, "dev-2", &id), APR_EEXIST);
    ck_assert_uint_eq(id, 2);

    /* And it stays refused. */
    ck_assert_int_eq(ph_table_add(&tt.t, "another", &id), APR_ENOSPC);
    ck_assert_uint_eq(tt.t.hdr->used, n);
    free(index_before);
    table_close(&tt);
}
END_TEST

START_TEST(table_collisions_stay_exact)
{
    test_table_t tt;
    char name[32];
    apr_uint32_t i, id;
    const apr_uint32_t n = 64;

    table_open(&tt, n, hash_constant);
    for (i = 0; i < 50; i++) {
        ck_assert_int_eq(ph_table_add(&tt.t, dev_name(name, sizeof(name), i),
                                      &id), APR_SUCCESS);
        ck_assert_uint_eq(id, i);
    }
    for (i = 0; i < 50; i++) {
        ck_assert_int_eq(ph_table_find(&tt.t, dev_name(name, sizeof(name), i)),
                         (long)i);
        ck_assert_int_eq(ph_table_add(&tt.t, name, &id), APR_EEXIST);
        ck_assert_uint_eq(id, i);
    }
    ck_assert_int_eq(ph_table_find(&tt.t, "dev-50"), -1);
    ck_assert_int_eq(ph_table_find(&tt.t, "dev"), -1);
    ck_assert_int_eq(ph_table_find(&tt.t, "dev-1x"), -1);

    /* Names that differ only in the last character are distinct. */
    ck_assert_int_eq(ph_table_add(&tt.t, "kitchen-a", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 50);
    ck_assert_int_eq(ph_table_add(&tt.t, "kitchen-b", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 51);
    ck_assert_int_eq(ph_table_find(&tt.t, "kitchen-a"), 50);
    ck_assert_int_eq(ph_table_find(&tt.t, "kitchen-b"), 51);
    ck_assert_int_eq(ph_table_find(&tt.t, "kitchen-c"), -1);
    /* A prefix is not a match either. */
    ck_assert_int_eq(ph_table_add(&tt.t, "kitchen-", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 52);
    ck_assert_int_eq(ph_table_find(&tt.t, "kitchen-a"), 50);
    ck_assert_int_eq(ph_table_find(&tt.t, "kitchen-"), 52);
    table_close(&tt);
}
END_TEST

/* The index is derived data: a copy of the slots (as slotmem persists
 * them) plus a zeroed index, rebuilt, answers every lookup as before. */
START_TEST(table_rebuild_restores_every_lookup)
{
    test_table_t tt, restored;
    char name[32];
    apr_uint32_t i, id;
    const apr_uint32_t n = 1000;

    table_open(&tt, n, NULL);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(ph_table_add(&tt.t, dev_name(name, sizeof(name), i),
                                      &id), APR_SUCCESS);
        tt.slots[i].beats = i * 3;
    }

    memset(&restored, 0, sizeof(restored));
    restored.n = n;
    restored.slots = malloc(n * sizeof(ph_device_t));
    restored.index = malloc(ph_table_index_size(n));
    ck_assert_ptr_nonnull(restored.slots);
    ck_assert_ptr_nonnull(restored.index);
    memcpy(restored.slots, tt.slots, n * sizeof(ph_device_t));
    memset(restored.index, 0, ph_table_index_size(n));
    restored.t.slot = slot_at;
    restored.t.baton = restored.slots;
    ph_table_rebuild(&restored.t, restored.index, n);

    ck_assert_uint_eq(restored.t.hdr->magic, PH_TABLE_MAGIC);
    ck_assert_uint_eq(restored.t.hdr->used, n);
    for (i = 0; i < n; i++) {
        dev_name(name, sizeof(name), i);
        ck_assert_int_eq(ph_table_find(&restored.t, name), (long)i);
        ck_assert(restored.slots[i].beats == (apr_uint64_t)i * 3);
    }
    ck_assert_int_eq(ph_table_add(&restored.t, "dev-1000", &id), APR_ENOSPC);
    ck_assert_int_eq(ph_table_add(&restored.t, "dev-999", &id), APR_EEXIST);
    ck_assert_uint_eq(id, 999);

    /* Rebuilding a table in place (a garbage index) works as well. */
    memset(tt.index, 0xA5, ph_table_index_size(n));
    ph_table_rebuild(&tt.t, tt.index, n);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(ph_table_find(&tt.t, dev_name(name, sizeof(name), i)),
                         (long)i);
    }

    /* ph_table_attach sees the same index. */
    {
        ph_table_t t2;

        memset(&t2, 0, sizeof(t2));
        t2.slot = slot_at;
        t2.baton = tt.slots;
        ph_table_attach(&t2, tt.index);
        ck_assert_int_eq(ph_table_find(&t2, "dev-123"), 123);
    }

    free(restored.slots);
    free(restored.index);
    table_close(&tt);
}
END_TEST

START_TEST(table_rebuild_clears_wrong_version)
{
    test_table_t tt;
    apr_uint32_t id;
    ph_device_t zero;

    table_open(&tt, 8, NULL);
    ck_assert_int_eq(ph_table_add(&tt.t, "zero", &id), APR_SUCCESS);
    ck_assert_int_eq(ph_table_add(&tt.t, "old-layout", &id), APR_SUCCESS);
    ck_assert_int_eq(ph_table_add(&tt.t, "two", &id), APR_SUCCESS);
    tt.slots[1].version = PH_DEVICE_VERSION + 1;
    tt.slots[1].beats = 5;

    memset(tt.index, 0, ph_table_index_size(8));
    ph_table_rebuild(&tt.t, tt.index, 8);

    memset(&zero, 0, sizeof(zero));
    ck_assert_msg(memcmp(&tt.slots[1], &zero, sizeof(zero)) == 0,
                  "a slot of another layout version was not cleared");
    ck_assert_int_eq(ph_table_find(&tt.t, "old-layout"), -1);
    ck_assert_int_eq(ph_table_find(&tt.t, "zero"), 0);
    ck_assert_int_eq(ph_table_find(&tt.t, "two"), 2);
    ck_assert_uint_eq(tt.t.hdr->used, 3);

    /* The hole is free: the next name takes it before 'used' grows. */
    ck_assert_uint_eq(tt.t.hdr->nfree, 1);
    ck_assert_int_eq(ph_table_add(&tt.t, "three", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 1);
    ck_assert_uint_eq(tt.t.hdr->used, 3);
    table_close(&tt);
}
END_TEST

START_TEST(table_rebuild_clears_duplicate_name)
{
    test_table_t tt;
    apr_uint32_t id;

    table_open(&tt, 8, NULL);
    ck_assert_int_eq(ph_table_add(&tt.t, "first", &id), APR_SUCCESS);
    ck_assert_int_eq(ph_table_add(&tt.t, "second", &id), APR_SUCCESS);
    /* A corrupted copy: slot 1 claims slot 0's name. */
    memcpy(tt.slots[1].name, "first", sizeof("first"));

    ph_table_rebuild(&tt.t, tt.index, 8);
    ck_assert_int_eq(ph_table_find(&tt.t, "first"), 0);
    ck_assert_int_eq(ph_table_find(&tt.t, "second"), -1);
    ck_assert_str_eq(tt.slots[1].name, "");
    table_close(&tt);
}
END_TEST

/* A hash that puts "b<k>-..." at bucket k: runs are laid out by hand. */
static apr_uint32_t hash_bucket(const char *name)
{
    return (apr_uint32_t)atoi(name + 1);
}

/* The index's invariant after any mix of adds and removes: every name is
 * found, and no empty bucket lies between a bucket's home and where it
 * sits (a lookup would stop there). */
static void assert_index_sound(test_table_t *tt)
{
    apr_uint32_t i, mask = tt->t.hdr->nbuckets - 1, live = 0;

    for (i = 0; i < tt->t.hdr->nbuckets; i++) {
        const ph_bucket_t *b = &tt->t.buckets[i];
        apr_uint32_t j;

        if (b->slot1 == 0) {
            continue;
        }
        live++;
        for (j = b->hash & mask; j != i; j = (j + 1) & mask) {
            ck_assert_msg(tt->t.buckets[j].slot1 != 0,
                          "bucket %u: a hole at %u before it", i, j);
        }
        ck_assert_int_eq(ph_table_find(&tt->t,
                                       tt->slots[b->slot1 - 1].name),
                         (long)b->slot1 - 1);
    }
    for (i = 0; i < tt->t.hdr->used; i++) {
        if (tt->slots[i].name[0]) {
            live--;
        }
    }
    ck_assert_uint_eq(live, 0);
}

START_TEST(table_remove_then_reinsert_reuses_the_slot)
{
    test_table_t tt;
    apr_uint32_t id, i;
    char buf[32];

    table_open(&tt, 10, NULL);
    for (i = 0; i < 10; i++) {
        ck_assert_int_eq(ph_table_add(&tt.t, dev_name(buf, sizeof(buf), i),
                                      &id), APR_SUCCESS);
    }
    ck_assert_int_eq(ph_table_add(&tt.t, "one-more", &id), APR_ENOSPC);
    ck_assert_int_eq(ph_table_remove(&tt.t, 3, T_START), APR_SUCCESS);
    ck_assert_int_eq(ph_table_remove(&tt.t, 3, T_START), APR_ENOENT);
    ck_assert_str_eq(tt.slots[3].name, "");
    ck_assert_int_eq(ph_table_find(&tt.t, "dev-3"), -1);
    ck_assert_uint_eq(tt.t.hdr->forgotten, 1);
    assert_index_sound(&tt);
    /* The full table takes a new name into the freed slot. */
    ck_assert_int_eq(ph_table_add(&tt.t, "one-more", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 3);
    ck_assert_uint_eq(tt.t.hdr->used, 10);
    ck_assert_str_eq(tt.slots[3].name, "one-more");
    ck_assert_int_eq(tt.slots[3].state, PH_STATE_UNKNOWN);
    ck_assert_int_eq(ph_table_add(&tt.t, "two-more", &id), APR_ENOSPC);
    /* The forgotten name can come back, as a new device. */
    ck_assert_int_eq(ph_table_remove(&tt.t, 7, T_START), APR_SUCCESS);
    ck_assert_int_eq(ph_table_add(&tt.t, "dev-3", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 7);
    assert_index_sound(&tt);
    table_close(&tt);
}
END_TEST

START_TEST(table_reuse_order_last_freed_first_then_grow)
{
    test_table_t tt;
    apr_uint32_t id, i;
    char buf[32];

    table_open(&tt, 16, NULL);
    for (i = 0; i < 8; i++) {
        ph_table_add(&tt.t, dev_name(buf, sizeof(buf), i), &id);
    }
    ck_assert_int_eq(ph_table_remove(&tt.t, 2, T_START), APR_SUCCESS);
    ck_assert_int_eq(ph_table_remove(&tt.t, 5, T_START), APR_SUCCESS);
    ck_assert_uint_eq(tt.t.hdr->nfree, 2);
    ck_assert_int_eq(ph_table_add(&tt.t, "new-a", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 5);
    ck_assert_int_eq(ph_table_add(&tt.t, "new-b", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 2);
    ck_assert_int_eq(ph_table_add(&tt.t, "new-c", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 8);
    ck_assert_uint_eq(tt.t.hdr->used, 9);
    /* A rebuild (every restart) finds the holes again, lowest first. */
    ph_table_remove(&tt.t, 6, T_START);
    ph_table_remove(&tt.t, 1, T_START);
    ph_table_rebuild(&tt.t, tt.index, 16);
    ck_assert_uint_eq(tt.t.hdr->nfree, 2);
    ck_assert_uint_eq(tt.t.hdr->used, 9);
    ck_assert_int_eq(ph_table_find(&tt.t, "dev-1"), -1);
    ck_assert_int_eq(ph_table_find(&tt.t, "dev-6"), -1);
    ck_assert_int_eq(ph_table_find(&tt.t, "new-a"), 5);
    ph_table_add(&tt.t, "new-d", &id);
    ck_assert_uint_eq(id, 1);
    ph_table_add(&tt.t, "new-e", &id);
    ck_assert_uint_eq(id, 6);
    assert_index_sound(&tt);
    table_close(&tt);
}
END_TEST

/* A run of colliding names across the deleted bucket: the names after it
 * move back, and each is still found, with a probe no longer than
 * before. */
START_TEST(table_remove_shifts_a_probe_chain_back)
{
    test_table_t tt;
    apr_uint32_t id, i, before[6];
    char buf[32];

    table_open(&tt, 8, hash_constant);      /* 16 buckets, all collide */
    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(ph_table_add(&tt.t, dev_name(buf, sizeof(buf), i),
                                      &id), APR_SUCCESS);
        before[i] = ph_table_probes(&tt.t, buf);
    }
    ck_assert_int_eq(ph_table_remove(&tt.t, 1, T_START), APR_SUCCESS);
    assert_index_sound(&tt);
    for (i = 0; i < 6; i++) {
        dev_name(buf, sizeof(buf), i);
        if (i == 1) {
            ck_assert_int_eq(ph_table_find(&tt.t, buf), -1);
            continue;
        }
        ck_assert_int_eq(ph_table_find(&tt.t, buf), (long)i);
        ck_assert_uint_eq(ph_table_probes(&tt.t, buf),
                          i < 1 ? before[i] : before[i] - 1);
    }
    /* A miss stops at the run's end: 5 names, then the empty bucket. */
    ck_assert_uint_eq(ph_table_probes(&tt.t, "absent"), 6);
    table_close(&tt);
}
END_TEST

/* Runs laid out by hand: a name whose home is after the hole stays put;
 * one whose home is at or before it moves back, across the wrap. */
START_TEST(table_remove_respects_homes_and_wraps)
{
    test_table_t tt;
    apr_uint32_t id;

    table_open(&tt, 8, hash_bucket);        /* 16 buckets */
    ph_table_add(&tt.t, "b14-a", &id);      /* 14 */
    ph_table_add(&tt.t, "b14-b", &id);      /* 15 */
    ph_table_add(&tt.t, "b15-c", &id);      /* 0 (wraps) */
    ph_table_add(&tt.t, "b1-d", &id);       /* 1, at home */
    ph_table_add(&tt.t, "b0-e", &id);       /* 2 */
    ck_assert_uint_eq(tt.t.buckets[0].slot1, 3);
    ck_assert_uint_eq(tt.t.buckets[2].slot1, 5);
    ck_assert_int_eq(ph_table_remove(&tt.t, 0, T_START), APR_SUCCESS);   /* b14-a */
    assert_index_sound(&tt);
    ck_assert_uint_eq(tt.t.buckets[14].slot1, 2);   /* b14-b home */
    ck_assert_uint_eq(tt.t.buckets[15].slot1, 3);   /* b15-c home */
    ck_assert_uint_eq(tt.t.buckets[0].slot1, 5);    /* b0-e home */
    ck_assert_uint_eq(tt.t.buckets[1].slot1, 4);    /* b1-d stays */
    ck_assert_uint_eq(tt.t.buckets[2].slot1, 0);
    table_close(&tt);
}
END_TEST

/* Many adds and removes in a random order against the invariant. */
START_TEST(table_remove_random_mix_keeps_every_lookup)
{
    test_table_t tt;
    apr_uint32_t id, i, n = 200;
    unsigned int seed = 17;
    char buf[32];

    table_open(&tt, n, NULL);
    apr_generate_random_bytes(tt.t.hdr->hash_key, sizeof(tt.t.hdr->hash_key));
    for (i = 0; i < 5000; i++) {
        apr_uint32_t k = (unsigned int)rand_r(&seed) % (2 * n);
        long at;

        dev_name(buf, sizeof(buf), k);
        at = ph_table_find(&tt.t, buf);
        if (at >= 0) {
            ck_assert_int_eq(ph_table_remove(&tt.t, (apr_uint32_t)at,
                                             T_START),
                             APR_SUCCESS);
        }
        else {
            apr_status_t rv = ph_table_add(&tt.t, buf, &id);

            ck_assert(rv == APR_SUCCESS || rv == APR_ENOSPC);
        }
        if (i % 250 == 0) {
            assert_index_sound(&tt);
        }
    }
    assert_index_sound(&tt);
    ck_assert_uint_le(tt.t.hdr->used, n);
    table_close(&tt);
}
END_TEST

Suite *test_table_suite(void)
{
    Suite *s = suite_create("table");
    TCase *tc = ph_test_tcase(s, "table");

    tcase_add_test(tc, table_nbuckets_is_power_of_two_at_least_twice_n);
    tcase_add_test(tc, table_add_and_find_many);
    tcase_add_test(tc, table_add_existing_returns_its_id);
    tcase_add_test(tc, table_full_refuses_and_changes_nothing);
    tcase_add_test(tc, table_collisions_stay_exact);
    tcase_add_test(tc, table_rebuild_restores_every_lookup);
    tcase_add_test(tc, table_rebuild_clears_wrong_version);
    tcase_add_test(tc, table_rebuild_clears_duplicate_name);
    tcase_add_test(tc, table_remove_then_reinsert_reuses_the_slot);
    tcase_add_test(tc, table_reuse_order_last_freed_first_then_grow);
    tcase_add_test(tc, table_remove_shifts_a_probe_chain_back);
    tcase_add_test(tc, table_remove_respects_homes_and_wraps);
    tcase_add_test(tc, table_remove_random_mix_keeps_every_lookup);
    return s;
}
