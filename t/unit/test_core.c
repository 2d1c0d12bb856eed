/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Unit tests of the core (mod_phonehome/ph_*.c): device names, beat
 * parsing, the device table, text escaping, directive values and the
 * recording of a beat.  No httpd is involved: only APR and Check.
 *
 * Run: make t/unit/test_core && ./t/unit/test_core
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "ph_beat.h"
#include "ph_conf.h"
#include "ph_device.h"
#include "ph_name.h"
#include "ph_table.h"
#include "ph_text.h"

/* A printable stand-in for a string that may be NULL, for messages. */
#define S(x) ((x) ? (x) : "(null)")

#define NELTS(a) (sizeof(a) / sizeof((a)[0]))

static apr_pool_t *pool;

/* The fixture: every test gets APR and a fresh pool. */
static void setup(void)
{
    ck_assert_int_eq(apr_initialize(), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
    apr_terminate();
}

/* A string of @a n copies of @a c, from the pool. */
static char *repeat(char c, apr_size_t n)
{
    char *s = apr_palloc(pool, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* True when @a s holds a control character (a reason must be one line). */
static int has_control(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7F) {
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* ph_name_check                                                       */
/* ------------------------------------------------------------------ */

START_TEST(name_valid_names_are_accepted)
{
    const char *good[] = {
        "a", "Z", "7", "kitchen-pi", "raspberrypi", "0pi", "9-lives",
        "a.b_c-d", "pi.local", "under_score", "trailing-", "trailing.",
        "A1.b2_C3-d4", NULL
    };
    const char *why;
    char *max;
    apr_size_t i;

    for (i = 0; good[i]; i++) {
        why = ph_name_check(good[i]);
        ck_assert_msg(why == NULL, "'%s' should be a valid name, got: %s",
                      good[i], S(why));
    }

    /* Exactly 63 characters, using every kind of allowed character. */
    max = repeat('x', PH_NAME_MAX);
    ck_assert_uint_eq(strlen(max), 63);
    max[0] = '9';
    max[10] = '.';
    max[20] = '_';
    max[30] = '-';
    max[62] = 'Q';
    why = ph_name_check(max);
    ck_assert_msg(why == NULL, "a 63-character name should be valid: %s",
                  S(why));
}
END_TEST

START_TEST(name_empty_and_null_are_refused)
{
    ck_assert_ptr_nonnull(ph_name_check(""));
    ck_assert_ptr_nonnull(ph_name_check(NULL));
}
END_TEST

START_TEST(name_longer_than_63_is_refused)
{
    ck_assert_ptr_nonnull(ph_name_check(repeat('a', 64)));
    ck_assert_ptr_nonnull(ph_name_check(repeat('a', 65)));
    ck_assert_ptr_nonnull(ph_name_check(repeat('a', 4096)));
}
END_TEST

/* Each of these is refused, and the reason never echoes the name (it goes
 * into a 400 body and the log, where the name could be an attack). */
START_TEST(name_bad_names_are_refused_without_echo)
{
    const char *bad[] = {
        ".kitchen", "-kitchen", ".", "-", "..", "kitchen pi", " kitchen",
        "kitchen\rpi", "kitchen\npi", "kitchen\tpi", "kitchen<pi",
        "kitchen>pi", "kitchen/pi", "../etc", "kitchen%pi", "kitchen%2Dpi",
        "kitchen:pi", "kitchen\"pi", "kitchen'pi", "kitchen&pi",
        "kitchen\x7fpi", "kitchen\x01pi", "caf\xc3\xa9", "\xc3\xa9",
        "\xff", "k\xe2\x82\xac", NULL
    };
    const char *why;
    apr_size_t i;

    for (i = 0; bad[i]; i++) {
        why = ph_name_check(bad[i]);
        ck_assert_msg(why != NULL, "bad name #%u should be refused",
                      (unsigned)i);
        /* A one-character name ("." or "-") may well be in any sentence. */
        ck_assert_msg(strlen(bad[i]) < 2 || strstr(why, bad[i]) == NULL,
                      "reason for bad name #%u contains the name: %s",
                      (unsigned)i, why);
        ck_assert_msg(!has_control(why), "reason for #%u is not one line",
                      (unsigned)i);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_beat_parse                                                       */
/* ------------------------------------------------------------------ */

/* Parse @a args into a zeroed beat; the reason, or NULL. */
static const char *parse1(ph_beat_t *b, const char *args)
{
    memset(b, 0, sizeof(*b));
    return ph_beat_parse(b, args, pool);
}

/* Assert that @a args is refused with a non-empty one-line reason. */
static void assert_refused(const char *args, const char *what)
{
    ph_beat_t b;
    const char *why = parse1(&b, args);

    ck_assert_msg(why != NULL, "%s should be refused", what);
    ck_assert_msg(*why != '\0', "%s: the reason is empty", what);
    ck_assert_msg(strchr(why, '\n') == NULL && !has_control(why),
                  "%s: the reason is not one line: %s", what, why);
}

START_TEST(beat_bare_number_is_client_time)
{
    ph_beat_t b;
    const char *why = parse1(&b, "1359860402");

    ck_assert_msg(why == NULL, "the seed's bare number was refused: %s", why);
    ck_assert_uint_eq(b.seen, PH_BEAT_T);
    ck_assert(b.t == APR_INT64_C(1359860402));
}
END_TEST

START_TEST(beat_all_keys_are_parsed)
{
    ph_beat_t b;
    const char *why = parse1(&b, "t=5&boot=abc-def&up=123.45&seq=9");

    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen,
                      PH_BEAT_T | PH_BEAT_BOOT | PH_BEAT_UP | PH_BEAT_SEQ);
    ck_assert(b.t == 5);
    ck_assert_pstr_eq(b.boot, "abc-def");
    ck_assert_msg(b.up == 123, "up=123.45 should truncate to 123");
    ck_assert(b.seq == 9);
    ck_assert_ptr_null(b.device);
    ck_assert_ptr_null(b.sig);

    /* device and sig too; sig allows - _ + / = (here percent-encoded). */
    why = parse1(&b, "device=kitchen-pi&sig=AbC9-_%2B%2F%3D&up=7");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_DEVICE | PH_BEAT_SIG | PH_BEAT_UP);
    ck_assert_pstr_eq(b.device, "kitchen-pi");
    ck_assert_pstr_eq(b.sig, "AbC9-_+/=");
    ck_assert(b.up == 7);
}
END_TEST

START_TEST(beat_unknown_keys_are_ignored)
{
    ph_beat_t b;
    const char *why = parse1(&b, "foo=bar&t=1");

    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_T);
    ck_assert(b.t == 1);

    why = parse1(&b, "t=2&version=3.1&foo=&foo=again&hostname");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_T);
    ck_assert(b.t == 2);

    /* Keys are case-sensitive: T= is not t=. */
    why = parse1(&b, "T=abc");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, 0);
}
END_TEST

START_TEST(beat_empty_and_null_args_are_no_keys)
{
    ph_beat_t b;

    ck_assert_ptr_null(parse1(&b, NULL));
    ck_assert_uint_eq(b.seen, 0);
    ck_assert_ptr_null(parse1(&b, ""));
    ck_assert_uint_eq(b.seen, 0);
    ck_assert_ptr_null(parse1(&b, "&"));
    ck_assert_uint_eq(b.seen, 0);
    ck_assert_ptr_null(parse1(&b, "&&&"));
    ck_assert_uint_eq(b.seen, 0);
}
END_TEST

START_TEST(beat_empty_segments_are_skipped)
{
    ph_beat_t b;
    const char *why = parse1(&b, "t=1&&seq=2");

    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_T | PH_BEAT_SEQ);
    ck_assert(b.t == 1);
    ck_assert(b.seq == 2);

    why = parse1(&b, "&t=3&");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_T);
    ck_assert(b.t == 3);
}
END_TEST

START_TEST(beat_repeated_keys_are_refused)
{
    assert_refused("t=1&t=2", "t twice");
    assert_refused("t=1&t=1", "t twice, same value");
    assert_refused("1359860402&t=5", "bare number then t=");
    assert_refused("t=5&1359860402", "t= then bare number");
    assert_refused("1&2", "two bare numbers");
    assert_refused("device=a&device=b", "device twice");
    assert_refused("boot=a&boot=b", "boot twice");
    assert_refused("up=1&up=2", "up twice");
    assert_refused("seq=1&seq=2", "seq twice");
    assert_refused("sig=a&sig=b", "sig twice");
    assert_refused("%74=1&t=2", "t twice, once percent-encoded");
}
END_TEST

/* Query, then body, on the same beat: a key in both is a repetition. */
START_TEST(beat_query_then_body_refuses_key_in_both)
{
    ph_beat_t b;
    const char *why;

    memset(&b, 0, sizeof(b));
    why = ph_beat_parse(&b, "device=kitchen-pi&t=10", pool);
    ck_assert_msg(why == NULL, "query refused: %s", S(why));
    why = ph_beat_parse(&b, "seq=4&up=5", pool);
    ck_assert_msg(why == NULL, "body refused: %s", S(why));
    ck_assert_uint_eq(b.seen, PH_BEAT_DEVICE | PH_BEAT_T | PH_BEAT_SEQ
                      | PH_BEAT_UP);
    ck_assert_pstr_eq(b.device, "kitchen-pi");
    ck_assert(b.t == 10 && b.seq == 4 && b.up == 5);

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "t=1", pool));
    why = ph_beat_parse(&b, "t=2", pool);
    ck_assert_msg(why != NULL, "t in query and body should be refused");
    ck_assert_ptr_null(strchr(why, '\n'));

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "1359860402", pool));
    ck_assert_ptr_nonnull(ph_beat_parse(&b, "t=1359860402", pool));

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "device=a", pool));
    ck_assert_ptr_nonnull(ph_beat_parse(&b, "device=a", pool));
}
END_TEST

START_TEST(beat_malformed_values_are_refused)
{
    static const char *const bad[] = {
        "t=abc", "t=-1", "t=+5", "t=%2B5", "t=", "t= 5", "t=5 ", "t=5x",
        "t=0x10", "t=1.5", "t=12345678901234567890",
        "t=00000000000000000001", "t=253402300800", "t=99999999999999",
        "123abc",
        "up=1.2.3", "up=1.", "up=.5", "up=-1", "up=abc", "up=",
        "up=1.5e3", "up=3153600001", "up=1.1234567890",
        "seq=99999999999999999999", "seq=9223372036854775808", "seq=-1",
        "seq=", "seq=1a",
        "boot=", "boot=a%3Cb", "boot=<script>", "boot=abc_def",
        "boot=abc%20def", "device=", "sig=", "sig=a+b", "sig=a%20b",
        "sig=a<b", "sig=a%0Ab",
        NULL
    };
    apr_size_t i;

    for (i = 0; bad[i]; i++) {
        assert_refused(bad[i], bad[i]);
    }

    /* A 37-character boot id; 36 (a UUID) is the longest. */
    assert_refused(apr_pstrcat(pool, "boot=", repeat('a', 37), NULL),
                   "boot with 37 chars");
    /* A 129-character signature. */
    assert_refused(apr_pstrcat(pool, "sig=", repeat('A', PH_SIG_MAX + 1),
                               NULL), "sig with 129 chars");
    /* One bad value refuses the whole beat, whatever its place. */
    assert_refused("t=1&seq=2&boot=x&up=zz", "bad up at the end");
}
END_TEST

START_TEST(beat_boundary_values_are_accepted)
{
    ph_beat_t b;
    const char *why;
    const char *uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";

    why = parse1(&b, "t=0");
    ck_assert_msg(why == NULL, "t=0 refused: %s", S(why));
    ck_assert(b.t == 0 && (b.seen & PH_BEAT_T));

    why = parse1(&b, "t=253402300799");
    ck_assert_msg(why == NULL, "t=PH_T_MAX refused: %s", S(why));
    ck_assert(b.t == PH_T_MAX);

    why = parse1(&b, "seq=9223372036854775807");
    ck_assert_msg(why == NULL, "largest seq refused: %s", S(why));
    ck_assert(b.seq == APR_UINT64_C(9223372036854775807));

    why = parse1(&b, "up=3153600000.999999999");
    ck_assert_msg(why == NULL, "largest up refused: %s", S(why));
    ck_assert(b.up == PH_UP_MAX);

    ck_assert_uint_eq(strlen(uuid), PH_BOOT_MAX);
    why = parse1(&b, apr_pstrcat(pool, "boot=", uuid, NULL));
    ck_assert_msg(why == NULL, "a UUID boot id refused: %s", S(why));
    ck_assert_pstr_eq(b.boot, uuid);

    why = parse1(&b, apr_pstrcat(pool, "sig=", repeat('A', PH_SIG_MAX),
                                 NULL));
    ck_assert_msg(why == NULL, "a 128-char sig refused: %s", S(why));
    ck_assert_uint_eq(strlen(b.sig), PH_SIG_MAX);
}
END_TEST

START_TEST(beat_bad_percent_encoding_is_refused)
{
    assert_refused("t=%zz", "t=%zz");
    assert_refused("t=%1", "t=%1");
    assert_refused("t=1%", "trailing %");
    assert_refused("%", "a lone %");
    assert_refused("t=1&%", "a lone % after a good key");
    assert_refused("t=%G1", "t=%G1");
    assert_refused("device=a%00b", "encoded NUL in a value");
    assert_refused("t=%00", "t=%00");
    assert_refused("%00=1", "encoded NUL in a key");
    assert_refused("device=kitchen%2", "truncated escape");
}
END_TEST

START_TEST(beat_values_are_percent_decoded)
{
    ph_beat_t b;
    const char *why;

    why = parse1(&b, "device=kitchen%2Dpi");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_pstr_eq(b.device, "kitchen-pi");

    why = parse1(&b, "device=kitchen%2dpi");
    ck_assert_msg(why == NULL, "lower-case hex refused: %s", S(why));
    ck_assert_pstr_eq(b.device, "kitchen-pi");

    why = parse1(&b, "device=kitchen+pi");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_pstr_eq(b.device, "kitchen pi");

    why = parse1(&b, "t=%31%32");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert(b.t == 12);

    why = parse1(&b, "%74=7");
    ck_assert_msg(why == NULL, "an encoded key refused: %s", S(why));
    ck_assert(b.t == 7 && (b.seen & PH_BEAT_T));

    /* Decoding happens once: %2525 is "%25", not "%". */
    why = parse1(&b, "device=a%2525");
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_pstr_eq(b.device, "a%25");
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_beat_path_device and ph_beat_device                              */
/* ------------------------------------------------------------------ */

START_TEST(path_device_is_first_segment)
{
    ck_assert_pstr_eq(ph_beat_path_device("/kitchen-pi", pool), "kitchen-pi");
    ck_assert_pstr_eq(ph_beat_path_device("/kitchen-pi/", pool),
                      "kitchen-pi");
    ck_assert_pstr_eq(ph_beat_path_device("/a/b", pool), "a");
    ck_assert_pstr_eq(ph_beat_path_device("/a/b/c/", pool), "a");
    ck_assert_ptr_null(ph_beat_path_device("", pool));
    ck_assert_ptr_null(ph_beat_path_device("/", pool));
    ck_assert_ptr_null(ph_beat_path_device("//", pool));
    ck_assert_ptr_null(ph_beat_path_device(NULL, pool));
}
END_TEST

START_TEST(beat_device_precedence)
{
    ph_beat_t b;

    ck_assert_ptr_null(parse1(&b, "device=from-query"));

    /* The path beats device=. */
    ck_assert_pstr_eq(ph_beat_device(&b, "from-path"), "from-path");
    /* device= beats the default. */
    ck_assert_pstr_eq(ph_beat_device(&b, NULL), "from-query");

    /* Neither: the seed's default device. */
    ck_assert_ptr_null(parse1(&b, "t=1"));
    ck_assert_pstr_eq(ph_beat_device(&b, NULL), "raspberrypi");
    ck_assert_pstr_eq(ph_beat_device(&b, NULL), PH_DEFAULT_DEVICE);
    ck_assert_pstr_eq(ph_beat_device(&b, "from-path"), "from-path");
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_table                                                            */
/* ------------------------------------------------------------------ */

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

    /* The hole is not reused: slot numbers stay stable. */
    ck_assert_int_eq(ph_table_add(&tt.t, "three", &id), APR_SUCCESS);
    ck_assert_uint_eq(id, 3);
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

/* ------------------------------------------------------------------ */
/* ph_text                                                             */
/* ------------------------------------------------------------------ */

/* Sanitize @a src into a buffer of @a size and compare with @a want. */
static void assert_sanitized(const char *src, apr_size_t size,
                             const char *want, const char *what)
{
    char buf[256];
    apr_size_t i;

    ck_assert(size + 8 <= sizeof(buf));
    memset(buf, 'X', sizeof(buf));
    ph_text_sanitize(buf, size, src);
    ck_assert_msg(memchr(buf, '\0', size) != NULL,
                  "%s: not NUL-terminated within %u bytes", what,
                  (unsigned)size);
    ck_assert_msg(strcmp(buf, want) == 0, "%s: got '%s', want '%s'", what,
                  ph_text_json(pool, buf), ph_text_json(pool, want));
    for (i = size; i < sizeof(buf); i++) {
        ck_assert_msg(buf[i] == 'X', "%s: wrote beyond %u bytes", what,
                      (unsigned)size);
    }
}

START_TEST(sanitize_replaces_control_characters)
{
    assert_sanitized("a\rb\nc\td\x7f" "e", 64, "a?b?c?d?e", "controls");
    assert_sanitized("\x01\x1f", 64, "??", "C0 controls");
    assert_sanitized("Mozilla/5.0 (X11)", 64, "Mozilla/5.0 (X11)",
                     "printable ASCII");
    assert_sanitized("", 64, "", "empty");
}
END_TEST

START_TEST(sanitize_keeps_valid_utf8)
{
    assert_sanitized("caf\xc3\xa9", 64, "caf\xc3\xa9", "2-byte e-acute");
    assert_sanitized("\xe2\x82\xac" "5", 64, "\xe2\x82\xac" "5",
                     "3-byte euro");
    assert_sanitized("\xf0\x9f\x98\x80", 64, "\xf0\x9f\x98\x80",
                     "4-byte emoji");
    assert_sanitized("\xf4\x8f\xbf\xbf", 64, "\xf4\x8f\xbf\xbf",
                     "U+10FFFF");
    assert_sanitized("\xed\x9f\xbf", 64, "\xed\x9f\xbf", "U+D7FF");
}
END_TEST

START_TEST(sanitize_replaces_invalid_utf8)
{
    assert_sanitized("\xff", 64, "?", "lone 0xff");
    assert_sanitized("a\xff" "b", 64, "a?b", "0xff inside");
    assert_sanitized("\x80", 64, "?", "lone continuation byte");
    assert_sanitized("\xc3", 64, "?", "truncated 2-byte at end");
    assert_sanitized("\xc3" "a", 64, "?a", "truncated 2-byte");
    assert_sanitized("\xe2\x82", 64, "??", "truncated 3-byte at end");
    assert_sanitized("\xe2\x82" "x", 64, "??x", "truncated 3-byte");
    assert_sanitized("\xf0\x9f\x98", 64, "???", "truncated 4-byte");
    assert_sanitized("\xc0\xaf", 64, "??", "overlong 2-byte '/'");
    assert_sanitized("\xe0\x80\xaf", 64, "???", "overlong 3-byte '/'");
    assert_sanitized("\xf0\x80\x80\xaf", 64, "????", "overlong 4-byte");
    assert_sanitized("\xed\xa0\x80", 64, "???", "surrogate U+D800");
    assert_sanitized("\xf4\x90\x80\x80", 64, "????", "above U+10FFFF");
    assert_sanitized("\xf5\x80\x80\x80", 64, "????", "0xf5 lead byte");
}
END_TEST

START_TEST(sanitize_truncates_at_character_boundary)
{
    /* "ab" + euro (3 bytes): needs 6 bytes with the NUL. */
    assert_sanitized("ab\xe2\x82\xac", 6, "ab\xe2\x82\xac", "fits exactly");
    assert_sanitized("ab\xe2\x82\xac", 5, "ab", "one byte short");
    assert_sanitized("ab\xe2\x82\xac", 4, "ab", "two bytes short");
    assert_sanitized("ab\xe2\x82\xac" "cd", 5, "ab", "no skipping ahead");
    assert_sanitized("\xf0\x9f\x98\x80", 4, "", "emoji in 4 bytes");
    assert_sanitized("\xf0\x9f\x98\x80", 5, "\xf0\x9f\x98\x80",
                     "emoji in 5 bytes");
    assert_sanitized("abcdef", 4, "abc", "ASCII");
    assert_sanitized("ab\r\n", 4, "ab?", "replacement at the end");
    assert_sanitized("abc", 1, "", "size 1");
}
END_TEST

START_TEST(sanitize_size_zero_writes_nothing)
{
    char buf[4] = { 'X', 'X', 'X', 'X' };

    ph_text_sanitize(buf, 0, "abc");
    ck_assert(buf[0] == 'X' && buf[1] == 'X');
}
END_TEST

START_TEST(json_escapes)
{
    ck_assert_str_eq(ph_text_json(pool, ""), "\"\"");
    ck_assert_str_eq(ph_text_json(pool, "kitchen-pi"), "\"kitchen-pi\"");
    ck_assert_str_eq(ph_text_json(pool, "a\"b\\c"), "\"a\\\"b\\\\c\"");
    ck_assert_str_eq(ph_text_json(pool, "a\nb\rc\td"),
                     "\"a\\nb\\rc\\td\"");
    ck_assert_str_eq(ph_text_json(pool, "\x01\x1f\x7f"),
                     "\"\\u0001\\u001f\\u007f\"");
    ck_assert_str_eq(ph_text_json(pool, "\b\f"), "\"\\u0008\\u000c\"");
    ck_assert_str_eq(ph_text_json(pool, "</script>&"),
                     "\"\\u003c/script\\u003e\\u0026\"");
    ck_assert_str_eq(ph_text_json(pool, "'/"), "\"'/\"");
}
END_TEST

START_TEST(json_utf8)
{
    /* Valid UTF-8 passes through as is. */
    ck_assert_str_eq(ph_text_json(pool, "caf\xc3\xa9 \xe2\x82\xac"),
                     "\"caf\xc3\xa9 \xe2\x82\xac\"");
    ck_assert_str_eq(ph_text_json(pool, "\xf0\x9f\x98\x80"),
                     "\"\xf0\x9f\x98\x80\"");
    /* Each invalid byte is U+FFFD. */
    ck_assert_str_eq(ph_text_json(pool, "a\xff" "b"), "\"a\\ufffdb\"");
    ck_assert_str_eq(ph_text_json(pool, "\xc0\xaf"), "\"\\ufffd\\ufffd\"");
    ck_assert_str_eq(ph_text_json(pool, "\xed\xa0\x80"),
                     "\"\\ufffd\\ufffd\\ufffd\"");
    ck_assert_str_eq(ph_text_json(pool, "\xe2\x82"), "\"\\ufffd\\ufffd\"");
    /* The worst case fits the buffer. */
    ck_assert_str_eq(ph_text_json(pool, "\x01\x01\xff"),
                     "\"\\u0001\\u0001\\ufffd\"");
}
END_TEST

START_TEST(html_escapes)
{
    ck_assert_str_eq(ph_text_html(pool, ""), "");
    ck_assert_str_eq(ph_text_html(pool, "kitchen-pi"), "kitchen-pi");
    ck_assert_str_eq(ph_text_html(pool, "<a href=\"x\">Tom & Jerry's</a>"),
                     "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s"
                     "&lt;/a&gt;");
    ck_assert_str_eq(ph_text_html(pool, "&&''"), "&amp;&amp;&#39;&#39;");
    ck_assert_str_eq(ph_text_html(pool, "caf\xc3\xa9"), "caf\xc3\xa9");
}
END_TEST

START_TEST(prom_label_escapes)
{
    ck_assert_str_eq(ph_text_prom_label(pool, ""), "");
    ck_assert_str_eq(ph_text_prom_label(pool, "kitchen-pi"), "kitchen-pi");
    ck_assert_str_eq(ph_text_prom_label(pool, "a\\b\"c\nd"),
                     "a\\\\b\\\"c\\nd");
    ck_assert_str_eq(ph_text_prom_label(pool, "\\\\\"\"\n\n"),
                     "\\\\\\\\\\\"\\\"\\n\\n");
}
END_TEST

START_TEST(oneline_replaces_control_characters)
{
    const char *src = "a\rb";
    const char *out = ph_text_oneline(pool, src);

    ck_assert_str_eq(out, "a?b");
    ck_assert_str_eq(src, "a\rb");          /* a copy, not in place */
    ck_assert_str_eq(ph_text_oneline(pool, "a\rb\nc\td\x7f\x01" "e"),
                     "a?b?c?d??e");
    ck_assert_str_eq(ph_text_oneline(pool, "plain text"), "plain text");
    ck_assert_str_eq(ph_text_oneline(pool, "caf\xc3\xa9"), "caf\xc3\xa9");
    ck_assert_str_eq(ph_text_oneline(pool, ""), "");
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_conf                                                             */
/* ------------------------------------------------------------------ */

START_TEST(conf_seconds_accepts_range)
{
    apr_uint32_t v = 0;

    ck_assert_ptr_null(ph_conf_seconds(pool, "300", 1, 3600, &v));
    ck_assert_uint_eq(v, 300);
    ck_assert_ptr_null(ph_conf_seconds(pool, "1", 1, 3600, &v));
    ck_assert_uint_eq(v, 1);
    ck_assert_ptr_null(ph_conf_seconds(pool, "3600", 1, 3600, &v));
    ck_assert_uint_eq(v, 3600);
    ck_assert_ptr_null(ph_conf_seconds(pool, "0", 0, 10, &v));
    ck_assert_uint_eq(v, 0);
    ck_assert_ptr_null(ph_conf_seconds(pool, "0300", 1, 3600, &v));
    ck_assert_uint_eq(v, 300);
    ck_assert_ptr_null(ph_conf_seconds(pool, "31536000", 1,
                                       PH_MAX_AGE_LIMIT, &v));
    ck_assert_uint_eq(v, PH_MAX_AGE_LIMIT);
}
END_TEST

START_TEST(conf_seconds_refuses_and_names_value)
{
    static const char *const bad[] = {
        "0", "abc", "", "-1", "1e3", "99999999999", "3601", " 5", "5 ",
        "+5", "1.5", "0x10", "18446744073709551617", NULL
    };
    apr_size_t i;

    for (i = 0; bad[i]; i++) {
        apr_uint32_t v = 12345;
        const char *why = ph_conf_seconds(pool, bad[i], 1, 3600, &v);

        ck_assert_msg(why != NULL, "'%s' should be refused", bad[i]);
        ck_assert_msg(strstr(why, apr_psprintf(pool, "'%s'", bad[i])) != NULL,
                      "message for '%s' does not name it: %s", bad[i], why);
        ck_assert_msg(v == 12345, "'%s' wrote the output", bad[i]);
    }

    /* A control character in the value is not copied into the message. */
    {
        apr_uint32_t v;
        const char *why = ph_conf_seconds(pool, "5\n6", 1, 3600, &v);

        ck_assert_ptr_nonnull(why);
        ck_assert_msg(!has_control(why), "message is not one line");
        ck_assert_ptr_nonnull(strstr(why, "5?6"));
    }
}
END_TEST

START_TEST(conf_flag)
{
    int on = -1;
    const char *why;

    ck_assert_ptr_null(ph_conf_flag(pool, "On", &on));
    ck_assert_int_eq(on, 1);
    ck_assert_ptr_null(ph_conf_flag(pool, "off", &on));
    ck_assert_int_eq(on, 0);
    ck_assert_ptr_null(ph_conf_flag(pool, "ON", &on));
    ck_assert_int_eq(on, 1);
    ck_assert_ptr_null(ph_conf_flag(pool, "OFF", &on));
    ck_assert_int_eq(on, 0);

    on = -1;
    why = ph_conf_flag(pool, "yes", &on);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "'yes'"));
    ck_assert_int_eq(on, -1);
    ck_assert_ptr_nonnull(ph_conf_flag(pool, "", &on));
    ck_assert_ptr_nonnull(ph_conf_flag(pool, "On ", &on));
    ck_assert_ptr_nonnull(ph_conf_flag(pool, "1", &on));
    ck_assert_int_eq(on, -1);
}
END_TEST

START_TEST(conf_address)
{
    static const char *const good[] = {
        "me@example.com", "9085551234@vtext.com", "a@b", "first.last@x.org",
        "ops+pi@example.com", NULL
    };
    static const char *const bad[] = {
        "example.com", "a@b@c", "a@", "@b", "@", "", "me @example.com",
        "me@example.com ", "me@exa\rmple.com", "me@example.com\n",
        "me@example.com\r\nBcc: x@y", "<me@example.com>", "me@example.com,",
        "a@x.com,b@y.org", "me@exa>mple.com", "me;x@example.com",
        "me:x@example.com", "\"me\"@example.com", "m\xc3\xa9@example.com",
        "me@ex\x7f" "ample.com", "me\t@example.com", NULL
    };
    apr_size_t i;

    for (i = 0; good[i]; i++) {
        const char *why = ph_conf_address(pool, good[i]);

        ck_assert_msg(why == NULL, "'%s' should be an address: %s", good[i],
                      S(why));
    }
    for (i = 0; bad[i]; i++) {
        const char *why = ph_conf_address(pool, bad[i]);

        ck_assert_msg(why != NULL, "bad address #%u should be refused",
                      (unsigned)i);
        ck_assert_msg(!has_control(why), "message #%u is not one line",
                      (unsigned)i);
    }
    ck_assert_ptr_nonnull(strstr(ph_conf_address(pool, "nobody"),
                                 "'nobody'"));
    /* Too long for an SMTP path. */
    ck_assert_ptr_nonnull(ph_conf_address(pool,
        apr_pstrcat(pool, repeat('a', 250), "@x.org", NULL)));
}
END_TEST

START_TEST(conf_hostport)
{
    static const char *const bad[] = {
        "", ":25", "host:99999", "host:0", "host:abc", "host:", "mail:25x",
        "a b", "mail.example.com\r\n", "host/x", "::1", "fe80::1",
        "1.2.3.4:25:25", "[zz]:25", "[1.2.3.4]:25", "[::1]x",
        "[fe80::1%eth0]:25", NULL
    };
    const char *host = NULL;
    apr_port_t port = 0;
    apr_size_t i;

    ck_assert_ptr_null(ph_conf_hostport(pool, "mail.example.com", 25, &host,
                                        &port));
    ck_assert_pstr_eq(host, "mail.example.com");
    ck_assert_uint_eq(port, 25);

    ck_assert_ptr_null(ph_conf_hostport(pool, "localhost:2525", 25, &host,
                                        &port));
    ck_assert_pstr_eq(host, "localhost");
    ck_assert_uint_eq(port, 2525);

    ck_assert_ptr_null(ph_conf_hostport(pool, "[::1]:25", 587, &host,
                                        &port));
    ck_assert_pstr_eq(host, "::1");
    ck_assert_uint_eq(port, 25);

    ck_assert_ptr_null(ph_conf_hostport(pool, "[::1]", 587, &host, &port));
    ck_assert_pstr_eq(host, "::1");
    ck_assert_uint_eq(port, 587);

    ck_assert_ptr_null(ph_conf_hostport(pool, "192.0.2.1:465", 25, &host,
                                        &port));
    ck_assert_pstr_eq(host, "192.0.2.1");
    ck_assert_uint_eq(port, 465);

    host = "unchanged";
    port = 1;
    for (i = 0; bad[i]; i++) {
        ck_assert_msg(ph_conf_hostport(pool, bad[i], 25, &host, &port)
                      != NULL, "bad host:port #%u should be refused",
                      (unsigned)i);
    }
    ck_assert_ptr_nonnull(strstr(ph_conf_hostport(pool, "host:abc", 25,
                                                  &host, &port),
                                 "'host:abc'"));
    ck_assert_str_eq(host, "unchanged");
    ck_assert_uint_eq(port, 1);
}
END_TEST

START_TEST(conf_display)
{
    ck_assert_ptr_null(ph_conf_display(pool, "Kitchen Pi"));
    ck_assert_ptr_null(ph_conf_display(pool, "K\xc3\xbc" "che \xe2\x82\xac"));
    ck_assert_ptr_null(ph_conf_display(pool, "x"));
    ck_assert_ptr_null(ph_conf_display(pool, repeat('a', 200)));

    ck_assert_ptr_nonnull(ph_conf_display(pool, ""));
    ck_assert_ptr_nonnull(ph_conf_display(pool, repeat('a', 201)));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen\nPi"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen\rPi"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen\tPi"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen\x7fPi"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "Kitchen \xff"));
    ck_assert_ptr_nonnull(ph_conf_display(pool, "\xc0\xaf"));
    ck_assert_ptr_nonnull(strstr(ph_conf_display(pool, "a\nb"), "'a?b'"));
}
END_TEST

START_TEST(conf_device_option)
{
    ph_devconf_t dc;
    const char *why;

    memset(&dc, 0, sizeof(dc));
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "MaxAge=60"));
    ck_assert_uint_eq(dc.max_age, 60);
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "Name=Kitchen Pi"));
    ck_assert_pstr_eq(dc.display, "Kitchen Pi");
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc,
                                             "MailTo=a@x.com,b@y.org"));
    ck_assert_ptr_nonnull(dc.mail_to);
    ck_assert_int_eq(dc.mail_to->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(dc.mail_to, 0, const char *), "a@x.com");
    ck_assert_str_eq(APR_ARRAY_IDX(dc.mail_to, 1, const char *), "b@y.org");
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "Key=/etc/k"));
    ck_assert_pstr_eq(dc.key_file, "/etc/k");

    /* Option names are case-insensitive, like directives. */
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "maxage=90"));
    ck_assert_uint_eq(dc.max_age, 90);
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc, "MailTo=c@z.net"));
    ck_assert_int_eq(dc.mail_to->nelts, 1);

    why = ph_conf_device_option(pool, &dc, "Foo=1");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "Foo"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MaxAge"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Name"));

    why = ph_conf_device_option(pool, &dc, "MaxAge=0");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "'0'"));
    ck_assert_uint_eq(dc.max_age, 90);
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MaxAge=abc"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc,
                                                "MaxAge=31536001"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MaxAge="));

    why = ph_conf_device_option(pool, &dc, "MailTo=bad");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "'bad'"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc,
                                                "MailTo=a@x.com,bad"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MailTo="));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "MailTo=,"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Name="));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Name=a\nb"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Key="));
}
END_TEST

START_TEST(conf_words)
{
    apr_array_header_t *w = NULL;
    const char *why;

    why = ph_conf_words(pool, "kitchen Name=\"Kitchen Pi\" MaxAge=60", &w);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_int_eq(w->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(w, 0, char *), "kitchen");
    ck_assert_str_eq(APR_ARRAY_IDX(w, 1, char *), "Name=Kitchen Pi");
    ck_assert_str_eq(APR_ARRAY_IDX(w, 2, char *), "MaxAge=60");

    why = ph_conf_words(pool, "  a\t b  ", &w);
    ck_assert_ptr_null(why);
    ck_assert_int_eq(w->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(w, 0, char *), "a");
    ck_assert_str_eq(APR_ARRAY_IDX(w, 1, char *), "b");

    ck_assert_ptr_null(ph_conf_words(pool, "", &w));
    ck_assert_int_eq(w->nelts, 0);
    ck_assert_ptr_null(ph_conf_words(pool, "   ", &w));
    ck_assert_int_eq(w->nelts, 0);

    /* A backslash quotes the next character inside quotes. */
    ck_assert_ptr_null(ph_conf_words(pool, "\"say \\\"hi\\\"\" x", &w));
    ck_assert_int_eq(w->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(w, 0, char *), "say \"hi\"");
    ck_assert_str_eq(APR_ARRAY_IDX(w, 1, char *), "x");

    why = ph_conf_words(pool, "kitchen Name=\"Kitchen Pi", &w);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(ph_conf_words(pool, "\"", &w));
    ck_assert_ptr_nonnull(ph_conf_words(pool, "a \"b\\\"", &w));
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_device_record_beat                                               */
/* ------------------------------------------------------------------ */

START_TEST(device_first_beat)
{
    ph_device_t d;
    ph_beat_t b;
    apr_time_t now = apr_time_from_sec(1000) + 250000;

    memset(&d, 0, sizeof(d));
    ck_assert_ptr_null(parse1(&b, "t=1000&boot=abc-def&up=42&seq=7"));
    ph_device_record_beat(&d, &b, now, "192.0.2.7", "curl/8.0");

    ck_assert(d.first_seen == now);
    ck_assert(d.last_seen == now);
    ck_assert(d.beats == 1);
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == now);
    ck_assert_str_eq(d.remote_ip, "192.0.2.7");
    ck_assert_str_eq(d.user_agent, "curl/8.0");
    ck_assert_str_eq(d.boot_id, "abc-def");
    ck_assert(d.uptime == 42 && d.seq == 7);
    ck_assert_uint_eq(d.flags, PH_DEV_HAS_CLIENT_T | PH_DEV_HAS_UPTIME
                      | PH_DEV_HAS_SEQ);
}
END_TEST

START_TEST(device_later_beat)
{
    ph_device_t d;
    ph_beat_t b;
    apr_time_t t1 = apr_time_from_sec(1000), t2 = apr_time_from_sec(1060);

    memset(&d, 0, sizeof(d));
    d.flags = PH_DEV_DECLARED;
    ck_assert_ptr_null(parse1(&b, "t=1000&boot=abc-def&up=42&seq=7"));
    ph_device_record_beat(&d, &b, t1, "192.0.2.7", "a");

    /* No t, up or seq: each is unknown now; the boot id stays. */
    ck_assert_ptr_null(parse1(&b, ""));
    ph_device_record_beat(&d, &b, t2, "192.0.2.8", "b");
    ck_assert(d.first_seen == t1);
    ck_assert(d.last_seen == t2);
    ck_assert(d.since == t1);
    ck_assert(d.beats == 2);
    ck_assert_str_eq(d.remote_ip, "192.0.2.8");
    ck_assert_str_eq(d.user_agent, "b");
    ck_assert_uint_eq(d.flags, PH_DEV_DECLARED);
    ck_assert_msg(!(d.flags & PH_DEV_HAS_CLIENT_T),
                  "a beat without t left the client time known");
    ck_assert_str_eq(d.boot_id, "abc-def");

    /* A new boot id replaces the old one. */
    ck_assert_ptr_null(parse1(&b, "boot=0123"));
    ph_device_record_beat(&d, &b, t2 + 1, "192.0.2.8", "b");
    ck_assert_str_eq(d.boot_id, "0123");

    /* The watchdog owns every transition but the first. */
    d.state = PH_STATE_DOWN;
    d.since = t2;
    ph_device_record_beat(&d, &b, t2 + 5, "192.0.2.8", "b");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == t2);
}
END_TEST

START_TEST(device_skew_is_client_minus_server)
{
    ph_device_t d;
    ph_beat_t b;

    memset(&d, 0, sizeof(d));
    ck_assert_ptr_null(parse1(&b, "t=990"));
    ph_device_record_beat(&d, &b, apr_time_from_sec(1000), "::1", NULL);
    ck_assert(d.client_time == 990);
    ck_assert_msg(d.skew == -10, "skew %" APR_INT64_T_FMT ", want -10",
                  d.skew);
    ck_assert(d.flags & PH_DEV_HAS_CLIENT_T);

    /* Server time counts in whole seconds; a client ahead is positive. */
    ck_assert_ptr_null(parse1(&b, "1005"));
    ph_device_record_beat(&d, &b, apr_time_from_sec(1000) + 999999, "::1",
                          NULL);
    ck_assert_msg(d.skew == 5, "skew %" APR_INT64_T_FMT ", want 5", d.skew);
    ck_assert(d.client_time == 1005);
}
END_TEST

START_TEST(device_user_agent_is_sanitised_and_truncated)
{
    ph_device_t d;
    ph_beat_t b;
    char *ua = repeat('u', 500);

    memset(&d, 0, sizeof(d));
    ck_assert_ptr_null(parse1(&b, ""));
    ua[3] = '\r';
    ua[4] = '\n';
    ua[5] = '\x7f';
    ph_device_record_beat(&d, &b, apr_time_from_sec(1), "192.0.2.1", ua);
    ck_assert_uint_eq(strlen(d.user_agent), PH_UA_MAX);
    ck_assert_msg(strncmp(d.user_agent, "uuu???uu", 8) == 0,
                  "control characters were not replaced");
    ck_assert(!has_control(d.user_agent));

    /* A NULL user agent is the empty string, not the previous one. */
    ph_device_record_beat(&d, &b, apr_time_from_sec(2), "192.0.2.1", NULL);
    ck_assert_str_eq(d.user_agent, "");

    /* A multibyte character is not split by the cut. */
    ua = apr_pstrcat(pool, repeat('u', PH_UA_MAX - 1), "\xc3\xa9", NULL);
    ph_device_record_beat(&d, &b, apr_time_from_sec(3), "192.0.2.1", ua);
    ck_assert_str_eq(d.user_agent, repeat('u', PH_UA_MAX - 1));

    /* An over-long address is cut, still terminated. */
    ph_device_record_beat(&d, &b, apr_time_from_sec(4), repeat('1', 100),
                          "x");
    ck_assert_uint_eq(strlen(d.remote_ip), PH_IP_MAX);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The runner                                                          */
/* ------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc;

    tc = tcase(s, "name");
    tcase_add_test(tc, name_valid_names_are_accepted);
    tcase_add_test(tc, name_empty_and_null_are_refused);
    tcase_add_test(tc, name_longer_than_63_is_refused);
    tcase_add_test(tc, name_bad_names_are_refused_without_echo);

    tc = tcase(s, "beat");
    tcase_add_test(tc, beat_bare_number_is_client_time);
    tcase_add_test(tc, beat_all_keys_are_parsed);
    tcase_add_test(tc, beat_unknown_keys_are_ignored);
    tcase_add_test(tc, beat_empty_and_null_args_are_no_keys);
    tcase_add_test(tc, beat_empty_segments_are_skipped);
    tcase_add_test(tc, beat_repeated_keys_are_refused);
    tcase_add_test(tc, beat_query_then_body_refuses_key_in_both);
    tcase_add_test(tc, beat_malformed_values_are_refused);
    tcase_add_test(tc, beat_boundary_values_are_accepted);
    tcase_add_test(tc, beat_bad_percent_encoding_is_refused);
    tcase_add_test(tc, beat_values_are_percent_decoded);
    tcase_add_test(tc, path_device_is_first_segment);
    tcase_add_test(tc, beat_device_precedence);

    tc = tcase(s, "table");
    tcase_add_test(tc, table_nbuckets_is_power_of_two_at_least_twice_n);
    tcase_add_test(tc, table_add_and_find_many);
    tcase_add_test(tc, table_add_existing_returns_its_id);
    tcase_add_test(tc, table_full_refuses_and_changes_nothing);
    tcase_add_test(tc, table_collisions_stay_exact);
    tcase_add_test(tc, table_rebuild_restores_every_lookup);
    tcase_add_test(tc, table_rebuild_clears_wrong_version);
    tcase_add_test(tc, table_rebuild_clears_duplicate_name);

    tc = tcase(s, "text");
    tcase_add_test(tc, sanitize_replaces_control_characters);
    tcase_add_test(tc, sanitize_keeps_valid_utf8);
    tcase_add_test(tc, sanitize_replaces_invalid_utf8);
    tcase_add_test(tc, sanitize_truncates_at_character_boundary);
    tcase_add_test(tc, sanitize_size_zero_writes_nothing);
    tcase_add_test(tc, json_escapes);
    tcase_add_test(tc, json_utf8);
    tcase_add_test(tc, html_escapes);
    tcase_add_test(tc, prom_label_escapes);
    tcase_add_test(tc, oneline_replaces_control_characters);

    tc = tcase(s, "conf");
    tcase_add_test(tc, conf_seconds_accepts_range);
    tcase_add_test(tc, conf_seconds_refuses_and_names_value);
    tcase_add_test(tc, conf_flag);
    tcase_add_test(tc, conf_address);
    tcase_add_test(tc, conf_hostport);
    tcase_add_test(tc, conf_display);
    tcase_add_test(tc, conf_device_option);
    tcase_add_test(tc, conf_words);

    tc = tcase(s, "device");
    tcase_add_test(tc, device_first_beat);
    tcase_add_test(tc, device_later_beat);
    tcase_add_test(tc, device_skew_is_client_minus_server);
    tcase_add_test(tc, device_user_agent_is_sanitised_and_truncated);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
