/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_memq.c: files held in memory while the disk refuses
 * them, and the once-a-minute log of each cause of a failure. */

#include "test_util.h"
#include "ph_memq.h"

Suite *test_memq_suite(void);

static ph_memq_t *memq_new(apr_size_t size)
{
    void *mem = apr_palloc(pool, size);

    memset(mem, 0xa5, size);            /* not zeroed, as shm may not be */
    return ph_memq_init(mem, size);
}

START_TEST(memq_put_get_replace_drop)
{
    ph_memq_t *q = memq_new(8192);
    ph_memq_file_t f;
    apr_uint64_t seq;

    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(q->count, 0);
    ck_assert_int_eq(ph_memq_get(q, pool, 1, "a.mail", &f), 0);
    ck_assert_int_eq(ph_memq_put(q, 1, "a.mail", "hello", 5), APR_SUCCESS);
    ck_assert_int_eq(ph_memq_put(q, 0, "a.mail", "queue", 5), APR_SUCCESS);
    ck_assert_uint_eq(q->count, 2);
    ck_assert_int_eq(ph_memq_get(q, pool, 1, "a.mail", &f), 1);
    ck_assert_str_eq(f.data, "hello");
    ck_assert_uint_eq(f.len, 5);
    ck_assert_int_eq(f.dir, 1);
    seq = f.seq;
    /* The same name again replaces it, with a new seq. */
    ck_assert_int_eq(ph_memq_put(q, 1, "a.mail", "bye", 3), APR_SUCCESS);
    ck_assert_uint_eq(q->count, 2);
    ck_assert_uint_eq(q->held_total, 2);
    ck_assert_int_eq(ph_memq_get(q, pool, 1, "a.mail", &f), 1);
    ck_assert_str_eq(f.data, "bye");
    ck_assert_uint_ne(f.seq, seq);
    /* A drop of an outdated copy leaves the newer one. */
    ck_assert_int_eq(ph_memq_drop(q, 1, "a.mail", seq), 0);
    ck_assert_int_eq(ph_memq_drop(q, 1, "a.mail", f.seq), 1);
    ck_assert_int_eq(ph_memq_get(q, pool, 1, "a.mail", &f), 0);
    ck_assert_int_eq(ph_memq_get(q, pool, 0, "a.mail", &f), 1);
    ck_assert_str_eq(f.data, "queue");
    ck_assert_int_eq(ph_memq_drop(q, 0, "a.mail", 0), 1);
    ck_assert_uint_eq(q->count, 0);
    ck_assert_uint_eq(q->used, 0);
    /* Bad names are refused. */
    ck_assert_int_eq(ph_memq_put(q, 1, "", "x", 1), APR_EINVAL);
    ck_assert_int_eq(ph_memq_put(q, 1, repeat('n', PH_MEMQ_NAME_MAX + 1),
                                 "x", 1), APR_EINVAL);
}
END_TEST

START_TEST(memq_full_refuses_and_counts)
{
    ph_memq_t *q = memq_new(4096);
    char *big = repeat('x', 1500);
    ph_memq_file_t f;
    int i, n = 0;

    for (i = 0; i < 10; i++) {
        if (ph_memq_put(q, 1, apr_psprintf(pool, "%02d.mail", i), big,
                        strlen(big)) == APR_SUCCESS) {
            n++;
        }
    }
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 10);
    ck_assert_uint_eq(q->count, (apr_uint32_t)n);
    ck_assert_uint_eq(q->overflow, (apr_uint64_t)(10 - n));
    ck_assert_uint_le(q->used, q->size);
    /* A refused replacement keeps the earlier copy. */
    ck_assert_int_eq(ph_memq_put(q, 1, "00.mail", repeat('y', 5000), 5000),
                     APR_ENOSPC);
    ck_assert_int_eq(ph_memq_get(q, pool, 1, "00.mail", &f), 1);
    ck_assert_str_eq(f.data, big);
    /* Room again once one is dropped. */
    ck_assert_int_eq(ph_memq_drop(q, 1, "00.mail", 0), 1);
    ck_assert_int_eq(ph_memq_put(q, 1, "99.mail", big, strlen(big)),
                     APR_SUCCESS);
    /* The remaining ones survived the move down intact. */
    for (i = 1; i < n; i++) {
        ck_assert_int_eq(ph_memq_get(q, pool, 1,
                                     apr_psprintf(pool, "%02d.mail", i), &f),
                         1);
        ck_assert_str_eq(f.data, big);
    }
}
END_TEST

START_TEST(memq_list_merges_and_sorts)
{
    ph_memq_t *q = memq_new(8192);
    apr_array_header_t *names = apr_array_make(pool, 4, sizeof(char *));
    apr_array_header_t *all;

    APR_ARRAY_PUSH(names, char *) = "2.mail";   /* as the disk lists them */
    APR_ARRAY_PUSH(names, char *) = "4.mail";
    ph_memq_put(q, 1, "3.mail", "c", 1);
    ph_memq_put(q, 1, "4.mail", "d", 1);        /* on disk too: once */
    ph_memq_put(q, 1, "1.mail", "a", 1);
    ph_memq_put(q, 1, "1.x.notify", "n", 1);
    ph_memq_put(q, 0, "0.mail", "q", 1);        /* another directory */
    ph_memq_list(q, pool, 1, ".mail", names);
    ck_assert_int_eq(names->nelts, 4);
    ck_assert_str_eq(APR_ARRAY_IDX(names, 0, char *), "1.mail");
    ck_assert_str_eq(APR_ARRAY_IDX(names, 1, char *), "2.mail");
    ck_assert_str_eq(APR_ARRAY_IDX(names, 2, char *), "3.mail");
    ck_assert_str_eq(APR_ARRAY_IDX(names, 3, char *), "4.mail");
    /* All of them, in the order they were put. */
    all = ph_memq_all(q, pool);
    ck_assert_int_eq(all->nelts, 5);
    ck_assert_str_eq(APR_ARRAY_IDX(all, 0, ph_memq_file_t).name, "3.mail");
    ck_assert_str_eq(APR_ARRAY_IDX(all, 4, ph_memq_file_t).name, "0.mail");
    ck_assert_int_eq(APR_ARRAY_IDX(all, 4, ph_memq_file_t).dir, 0);
    {
        apr_uint32_t n;

        ck_assert_uint_gt(ph_memq_bytes(q, 1, &n), 0);
        ck_assert_uint_eq(n, 4);
        ph_memq_bytes(q, 0, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(ph_memq_bytes(q, 7, &n), 0);
        ck_assert_uint_eq(n, 0);
    }
}
END_TEST

START_TEST(memq_attach_checks_the_region)
{
    apr_size_t size = 8192;
    void *mem = apr_palloc(pool, size);
    ph_memq_t *q;

    memset(mem, 0, size);
    ck_assert_ptr_null(ph_memq_attach(mem, size));      /* never set up */
    q = ph_memq_init(mem, size);
    ph_memq_put(q, 1, "a.mail", "x", 1);
    ck_assert_ptr_eq(ph_memq_attach(mem, size), q);
    ck_assert_ptr_null(ph_memq_attach(mem, size * 2));  /* other size */
    ck_assert_ptr_null(ph_memq_init(mem, 100));         /* too small */
}
END_TEST

START_TEST(memq_health_follows_writes)
{
    ph_memq_t *q = memq_new(8192);

    ck_assert_uint_eq(q->failing, 0);
    ph_memq_note_write(q, APR_ENOSPC, SEC(100));
    ph_memq_note_write(q, APR_FROM_OS_ERROR(EIO), SEC(105));
    ck_assert_uint_eq(q->failing, 1);
    ck_assert_int_eq(q->failing_since, SEC(100));       /* the first */
    ck_assert_int_eq(q->last_err, APR_FROM_OS_ERROR(EIO));             /* the last */
    ck_assert_uint_eq(q->failures, 2);
    ph_memq_note_write(q, APR_SUCCESS, SEC(110));
    ck_assert_uint_eq(q->failing, 0);
    ck_assert_int_eq(q->last_ok, SEC(110));
}
END_TEST

START_TEST(memq_log_once_a_minute_per_cause)
{
    ph_memq_t *q = memq_new(8192);
    apr_interval_time_t min = SEC(60);
    apr_uint32_t more = 99;
    int i, lines = 0;

    /* Twice a second for 20 s: one line. */
    for (i = 0; i < 40; i++) {
        lines += ph_memq_log_due(q, 22, APR_ENOSPC, SEC(1000) + i * SEC(1) / 2,
                                 min, &more);
    }
    ck_assert_int_eq(lines, 1);
    /* Another cause (site or error) has a line of its own. */
    ck_assert_int_eq(ph_memq_log_due(q, 22, APR_FROM_OS_ERROR(EIO), SEC(1020), min, &more),
                     1);
    ck_assert_int_eq(ph_memq_log_due(q, 33, APR_ENOSPC, SEC(1020), min,
                                     &more), 1);
    ck_assert_uint_eq(more, 0);
    /* A minute after its line, the next one says how many were left out. */
    ck_assert_int_eq(ph_memq_log_due(q, 22, APR_ENOSPC, SEC(1059), min,
                                     &more), 0);
    ck_assert_int_eq(ph_memq_log_due(q, 22, APR_ENOSPC, SEC(1060), min,
                                     &more), 1);
    ck_assert_uint_eq(more, 40);
    /* More causes than slots: the oldest is forgotten, none is silenced. */
    for (i = 0; i < PH_MEMQ_CAUSES + 2; i++) {
        ck_assert_int_eq(ph_memq_log_due(q, 200 + (apr_uint32_t)i, APR_FROM_OS_ERROR(EIO),
                                         SEC(1100), min, &more), 1);
    }
}
END_TEST

Suite *test_memq_suite(void)
{
    Suite *s = suite_create("memq");
    TCase *tc = ph_test_tcase(s, "memq");

    tcase_add_test(tc, memq_put_get_replace_drop);
    tcase_add_test(tc, memq_full_refuses_and_counts);
    tcase_add_test(tc, memq_list_merges_and_sorts);
    tcase_add_test(tc, memq_attach_checks_the_region);
    tcase_add_test(tc, memq_health_follows_writes);
    tcase_add_test(tc, memq_log_once_a_minute_per_cause);
    return s;
}
