/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_lease.c: which child runs a job, and when another
 * takes it over. */

#include "test_util.h"
#include "ph_lease.h"

Suite *test_lease_suite(void);

#define MS(n) apr_time_from_msec(n)
#define WEDGED apr_time_from_sec(5)

static ph_lease_me_t me_of(apr_uint32_t pid, apr_int32_t gen)
{
    ph_lease_me_t me;

    me.pid = pid;
    me.generation = gen;
    me.takes = 0;
    return me;
}

START_TEST(lease_first_comer_holds_and_renews)
{
    ph_lease_t l;
    ph_lease_me_t a = me_of(100, 1), b = me_of(200, 1);
    apr_time_t t = apr_time_from_sec(1000);

    memset(&l, 0, sizeof(l));
    ck_assert_int_eq(ph_lease_idle(&l, &a, t), 0);
    ck_assert_uint_eq(ph_lease_ask(&l, &a, t), 0);
    ck_assert_int_eq(ph_lease_look(&l, &a, t, 0, PH_HOLDER_UNASKED, WEDGED,
                                   NULL), PH_LEASE_TAKEN);
    ck_assert_uint_eq(l.pid, 100);
    ck_assert_uint_ne(a.takes, 0);
    /* Fresh: b leaves it alone without the lock. */
    ck_assert_int_eq(ph_lease_idle(&l, &b, t + MS(100)), 1);
    ck_assert_int_eq(ph_lease_look(&l, &b, t + MS(100), 0, PH_HOLDER_UNASKED,
                                   WEDGED, NULL), PH_LEASE_THEIRS);
    ck_assert_uint_eq(b.takes, 0);
    ck_assert_int_eq(ph_lease_look(&l, &a, t + MS(200), 0, PH_HOLDER_UNASKED,
                                   WEDGED, NULL), PH_LEASE_MINE);
    ck_assert(l.beat == t + MS(200));
    ck_assert_int_eq(ph_lease_renew(&l, &a, t + MS(250)), 1);
    ck_assert_int_eq(ph_lease_renew(&l, &b, t + MS(250)), 0);
    ck_assert(l.beat == t + MS(250));
}
END_TEST

START_TEST(lease_dead_holder_taken_at_once_living_one_kept)
{
    ph_lease_t l;
    ph_lease_me_t a = me_of(100, 1), b = me_of(200, 1), c = me_of(300, 1);
    apr_time_t t = apr_time_from_sec(1000), late = t + PH_LEASE_STALE;
    int from_live = 0;

    memset(&l, 0, sizeof(l));
    ph_lease_look(&l, &a, t, 0, PH_HOLDER_UNASKED, WEDGED, NULL);
    /* Stale: the holder must be asked about, outside the lock. */
    ck_assert_int_eq(ph_lease_idle(&l, &b, late), 0);
    ck_assert_uint_eq(ph_lease_ask(&l, &b, late), 100);
    /* Not asked, or asked about another pid: nothing is taken. */
    ck_assert_int_eq(ph_lease_look(&l, &b, late, 0, PH_HOLDER_UNASKED,
                                   WEDGED, NULL), PH_LEASE_THEIRS);
    ck_assert_int_eq(ph_lease_look(&l, &b, late, 999, PH_HOLDER_GONE,
                                   WEDGED, NULL), PH_LEASE_THEIRS);
    /* Alive (slow, stopped): its own until the wedged bound. */
    ck_assert_int_eq(ph_lease_look(&l, &b, t + WEDGED - 1, 100,
                                   PH_HOLDER_ALIVE, WEDGED, &from_live),
                     PH_LEASE_THEIRS);
    ck_assert_uint_eq(l.pid, 100);
    /* Gone: taken. */
    ck_assert_int_eq(ph_lease_look(&l, &b, late, 100, PH_HOLDER_GONE, WEDGED,
                                   &from_live), PH_LEASE_TAKEN);
    ck_assert_int_eq(from_live, 0);
    ck_assert_uint_eq(l.pid, 200);
    /* The old holder, back, finds it lost: no work, no renewal. */
    ck_assert_int_eq(ph_lease_renew(&l, &a, late), 0);
    ck_assert_int_eq(ph_lease_look(&l, &a, late, 0, PH_HOLDER_UNASKED,
                                   WEDGED, NULL), PH_LEASE_THEIRS);
    ck_assert_uint_eq(a.takes, 0);
    /* Past the bound a living holder is taken over, and counted. */
    ck_assert_int_eq(ph_lease_look(&l, &c, late + WEDGED, 200,
                                   PH_HOLDER_ALIVE, WEDGED, &from_live),
                     PH_LEASE_TAKEN);
    ck_assert_int_eq(from_live, 1);
    ck_assert_uint_eq(l.wedged_takes, 1);
    ck_assert_uint_eq(l.pid, 300);
}
END_TEST

START_TEST(lease_generations)
{
    ph_lease_t l;
    ph_lease_me_t old = me_of(100, 1), young = me_of(200, 2);
    apr_time_t t = apr_time_from_sec(1000), late = t + PH_LEASE_STALE;

    memset(&l, 0, sizeof(l));
    ph_lease_look(&l, &old, t, 0, PH_HOLDER_UNASKED, WEDGED, NULL);
    /* A holder of an older generation (stopping after a graceful
     * restart) is not asked about: stale, it is taken. */
    ck_assert_uint_eq(ph_lease_ask(&l, &young, late), 0);
    ck_assert_int_eq(ph_lease_look(&l, &young, t + MS(100), 0,
                                   PH_HOLDER_UNASKED, WEDGED, NULL),
                     PH_LEASE_THEIRS);
    ck_assert_int_eq(ph_lease_look(&l, &young, late, 0, PH_HOLDER_UNASKED,
                                   WEDGED, NULL), PH_LEASE_TAKEN);
    /* An older child never takes from a younger one. */
    ck_assert_int_eq(ph_lease_look(&l, &old, late + WEDGED * 2, 200,
                                   PH_HOLDER_GONE, WEDGED, NULL),
                     PH_LEASE_THEIRS);
    ck_assert_uint_eq(l.pid, 200);
}
END_TEST

START_TEST(lease_took_back_after_losing_it_is_a_new_take)
{
    ph_lease_t l;
    ph_lease_me_t a = me_of(100, 1), b = me_of(200, 1), stale_a;
    apr_time_t t = apr_time_from_sec(1000), late = t + PH_LEASE_STALE;

    memset(&l, 0, sizeof(l));
    ph_lease_look(&l, &a, t, 0, PH_HOLDER_UNASKED, WEDGED, NULL);
    stale_a = a;
    ph_lease_look(&l, &b, late, 100, PH_HOLDER_GONE, WEDGED, NULL);
    ph_lease_look(&l, &a, late * 2, 200, PH_HOLDER_GONE, WEDGED, NULL);
    ck_assert_uint_eq(l.pid, 100);
    /* Same pid, but it lost the lease in between: it must start again. */
    ck_assert_int_eq(ph_lease_renew(&l, &stale_a, late * 2), 0);
    ck_assert_int_eq(ph_lease_renew(&l, &a, late * 2), 1);
}
END_TEST

START_TEST(lease_due_by_whichever_child)
{
    ph_lease_t l;
    apr_time_t t = apr_time_from_sec(1000);

    memset(&l, 0, sizeof(l));
    ck_assert_int_eq(ph_lease_due(&l, t, MS(500)), 1);
    ck_assert_int_eq(ph_lease_due(&l, t + MS(100), MS(500)), 0);
    ck_assert_int_eq(ph_lease_due(&l, t + MS(500), MS(500)), 1);
    /* A time from another boot (ran in the future) is due at once. */
    l.ran = t + apr_time_from_sec(3600);
    ck_assert_int_eq(ph_lease_due(&l, t, MS(500)), 1);
}
END_TEST

Suite *test_lease_suite(void)
{
    Suite *s = suite_create("lease");
    TCase *tc = ph_test_tcase(s, "lease");

    tcase_add_test(tc, lease_first_comer_holds_and_renews);
    tcase_add_test(tc, lease_dead_holder_taken_at_once_living_one_kept);
    tcase_add_test(tc, lease_generations);
    tcase_add_test(tc, lease_took_back_after_losing_it_is_a_new_take);
    tcase_add_test(tc, lease_due_by_whichever_child);
    return s;
}
