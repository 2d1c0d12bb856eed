/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Unit tests of the core (mod_phonehome/ph_*.c): device names, beat
 * parsing, the device table, text escaping, directive values, the
 * recording of a beat, the state machine, events, alert mails, the
 * outbox, channels (push and webhook requests), snapshots and the
 * spool.  No httpd is involved: only APR,
 * APR-util and Check (the spool tests use a fresh directory under /tmp).
 *
 * Run: make t/unit/test_core && ./t/unit/test_core
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "ph_beat.h"
#include "ph_conf.h"
#include "ph_device.h"
#include "ph_event.h"
#include "ph_fsm.h"
#include "ph_rate.h"
#include "ph_sig.h"
#include "ph_mail.h"
#include "ph_name.h"
#include "ph_notify.h"
#include "ph_outbox.h"
#include "ph_snapshot.h"
#include "ph_spool.h"
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
    /* Trailing line endings go; inner ones become '?'. */
    ck_assert_str_eq(ph_text_oneline(pool, "451 try again\r\n"),
                     "451 try again");
    ck_assert_str_eq(ph_text_oneline(pool, "a\r\nb \t\r\n"), "a??b ?");
    ck_assert_str_eq(ph_text_oneline(pool, "\r\n"), "");
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
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc,
                                             "Cert=vault pi.example.com"));
    ck_assert_pstr_eq(dc.cert_cn, "vault pi.example.com");
    why = ph_conf_device_option(pool, &dc, "Cert=");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "subject CN"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc, "Cert=a\tb"));
    ck_assert_ptr_nonnull(ph_conf_device_option(pool, &dc,
        "Cert=12345678901234567890123456789012345678901234567890123456789012345"));
    ck_assert_pstr_eq(dc.cert_cn, "vault pi.example.com");   /* unchanged */
    ck_assert_ptr_null(ph_conf_device_option(pool, &dc,
        "Cert=1234567890123456789012345678901234567890123456789012345678901234"));
    ck_assert_uint_eq(strlen(dc.cert_cn), 64);

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
    ph_device_record_beat(&d, &b, now, now, "192.0.2.7", "curl/8.0");

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
    ph_device_record_beat(&d, &b, t1, t1, "192.0.2.7", "a");

    /* No t, up or seq: each is unknown now; the boot id stays. */
    ck_assert_ptr_null(parse1(&b, ""));
    ph_device_record_beat(&d, &b, t2, t2, "192.0.2.8", "b");
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
    ph_device_record_beat(&d, &b, t2 + 1, t2 + 1, "192.0.2.8", "b");
    ck_assert_str_eq(d.boot_id, "0123");

    /* A beat while up changes neither the state nor since. */
    ph_device_record_beat(&d, &b, t2 + 2, t2 + 2, "192.0.2.8", "b");
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == t1);

    /* A beat ends down at once; the watchdog reports it (see fsm). */
    d.state = PH_STATE_DOWN;
    d.since = t2 + 3;
    ph_device_record_beat(&d, &b, t2 + 5, t2 + 5, "192.0.2.8", "b");
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == t2 + 5);
    ck_assert(d.gap_start == t2 + 2);
}
END_TEST

START_TEST(device_skew_is_client_minus_server)
{
    ph_device_t d;
    ph_beat_t b;

    memset(&d, 0, sizeof(d));
    ck_assert_ptr_null(parse1(&b, "t=990"));
    ph_device_record_beat(&d, &b, apr_time_from_sec(1000),
                          apr_time_from_sec(1000), "::1", NULL);
    ck_assert(d.client_time == 990);
    ck_assert_msg(d.skew == -10, "skew %" APR_INT64_T_FMT ", want -10",
                  d.skew);
    ck_assert(d.flags & PH_DEV_HAS_CLIENT_T);

    /* Server time counts in whole seconds; a client ahead is positive. */
    ck_assert_ptr_null(parse1(&b, "1005"));
    ph_device_record_beat(&d, &b, apr_time_from_sec(1000) + 999999,
                          apr_time_from_sec(1000) + 999999, "::1",
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
    ph_device_record_beat(&d, &b, apr_time_from_sec(1),
                          apr_time_from_sec(1), "192.0.2.1", ua);
    ck_assert_uint_eq(strlen(d.user_agent), PH_UA_MAX);
    ck_assert_msg(strncmp(d.user_agent, "uuu???uu", 8) == 0,
                  "control characters were not replaced");
    ck_assert(!has_control(d.user_agent));

    /* A NULL user agent is the empty string, not the previous one. */
    ph_device_record_beat(&d, &b, apr_time_from_sec(2),
                          apr_time_from_sec(2), "192.0.2.1", NULL);
    ck_assert_str_eq(d.user_agent, "");

    /* A multibyte character is not split by the cut. */
    ua = apr_pstrcat(pool, repeat('u', PH_UA_MAX - 1), "\xc3\xa9", NULL);
    ph_device_record_beat(&d, &b, apr_time_from_sec(3),
                          apr_time_from_sec(3), "192.0.2.1", ua);
    ck_assert_str_eq(d.user_agent, repeat('u', PH_UA_MAX - 1));

    /* An over-long address is cut, still terminated. */
    ph_device_record_beat(&d, &b, apr_time_from_sec(4),
                          apr_time_from_sec(4), repeat('1', 100),
                          "x");
    ck_assert_uint_eq(strlen(d.remote_ip), PH_IP_MAX);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_fsm                                                              */
/* ------------------------------------------------------------------ */

#define SEC(s) apr_time_from_sec(s)

/* httpd's start in these tests; any time well after the epoch will do. */
#define T_START SEC(1360000000)

/* A zeroed slot holding @a name, as ph_table_add leaves it, plus the
 * configuration the watchdog refreshes. */
static void dev_init(ph_device_t *d, const char *name, apr_uint32_t max_age,
                     apr_uint16_t flags)
{
    memset(d, 0, sizeof(*d));
    apr_cpystrn(d->name, name, sizeof(d->name));
    d->version = PH_DEVICE_VERSION;
    d->max_age = max_age;
    d->flags = flags;
}

/* Record a beat with the query @a args at @a now. */
static void dev_beat(ph_device_t *d, const char *args, apr_time_t now)
{
    ph_beat_t b;
    const char *why = parse1(&b, args);

    ck_assert_msg(why == NULL, "'%s' refused: %s", args, S(why));
    ph_device_record_beat(d, &b, now, now, "192.0.2.7", "test");
}

static void fsm_ctx(ph_fsm_ctx_t *c, apr_interval_time_t grace,
                    int notify_first)
{
    memset(c, 0, sizeof(*c));
    c->started = T_START;
    c->grace = grace;
    c->notify_first = notify_first;
}

/* One step at @a now: assert the event and, unless -1, the former state. */
static void assert_step(ph_device_t *d, ph_fsm_ctx_t *c, apr_time_t now,
                        ph_event_e want, int want_former, const char *what)
{
    int former = -1;
    ph_event_e ev;

    c->now = c->wall = now;
    ev = ph_fsm_step(d, c, &former);
    ck_assert_msg(ev == want, "%s: event %d, want %d", what, (int)ev,
                  (int)want);
    ck_assert_msg(want_former < 0 || former == want_former,
                  "%s: former %d, want %d", what, former, want_former);
    ck_assert_msg(d->reported == d->state,
                  "%s: state %d left unreported (reported %d)", what,
                  d->state, d->reported);
}

/* ph_fsm_due, asked without the lock, says yes exactly when a step would
 * change the slot or report something: over every state, reported state,
 * declared or not, beat or none, grace or none and times around the
 * deadline. */
START_TEST(fsm_due_exactly_when_a_step_does_something)
{
    static const apr_interval_time_t offsets[] = {
        -SEC(100), -SEC(60), -1, 0, 1, SEC(30), SEC(60), SEC(61), SEC(1000)
    };
    ph_device_t d, copy;
    ph_fsm_ctx_t c;
    int st, rep, decl, seen, grace, nf, former;
    apr_size_t o;
    unsigned int checked = 0;

    for (st = PH_STATE_UNKNOWN; st <= PH_STATE_DOWN; st++)
    for (rep = PH_STATE_UNKNOWN; rep <= PH_STATE_DOWN; rep++)
    for (decl = 0; decl <= 1; decl++)
    for (seen = 0; seen <= 1; seen++)
    for (grace = 0; grace <= 1; grace++)
    for (nf = 0; nf <= 1; nf++)
    for (o = 0; o < NELTS(offsets); o++) {
        int due;
        ph_event_e ev;

        dev_init(&d, "due-pi", 60, decl ? PH_DEV_DECLARED : 0);
        d.state = (apr_byte_t)st;
        d.reported = (apr_byte_t)rep;
        d.last_seen = d.last_mono = seen ? T_START + SEC(10) : 0;
        fsm_ctx(&c, grace ? SEC(30) : 0, nf);
        c.now = T_START + SEC(10) + SEC(60) + offsets[o];
        copy = d;
        due = ph_fsm_due(&d, &c);
        ev = ph_fsm_step(&copy, &c, &former);
        if (due) {
            ck_assert_msg(ev != PH_EV_NONE || memcmp(&d, &copy, sizeof(d)),
                          "due but nothing done: state %d reported %d", st,
                          rep);
        }
        else {
            ck_assert_msg(ev == PH_EV_NONE && !memcmp(&d, &copy, sizeof(d)),
                          "not due but the step acted: state %d reported %d "
                          "declared %d seen %d grace %d offset %u", st, rep,
                          decl, seen, grace, (unsigned)o);
        }
        checked++;
    }
    ck_assert_uint_eq(checked, 3 * 3 * 2 * 2 * 2 * 2 * NELTS(offsets));
}
END_TEST

START_TEST(fsm_up_goes_down_strictly_past_deadline)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(1000), deadline = t1 + SEC(300);

    dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
    fsm_ctx(&c, SEC(60), 0);
    dev_beat(&d, "boot=aaaa", t1);
    assert_step(&d, &c, t1, PH_EV_NONE, PH_STATE_UNKNOWN, "first beat");
    ck_assert_uint_eq(d.reported, PH_STATE_UP);
    ck_assert(ph_fsm_deadline(&d, &c) == deadline);

    /* last_seen + MaxAge is still in time. */
    assert_step(&d, &c, t1 + SEC(1), PH_EV_NONE, -1, "a second later");
    assert_step(&d, &c, deadline, PH_EV_NONE, -1, "at the deadline");
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == t1);

    /* One microsecond later it is not. */
    assert_step(&d, &c, deadline + 1, PH_EV_DOWN, PH_STATE_UP,
                "just past the deadline");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == deadline + 1);
    ck_assert(d.last_seen == t1);
    ck_assert(ph_fsm_deadline(&d, &c) == 0);

    /* Reported once. */
    assert_step(&d, &c, deadline + SEC(1), PH_EV_NONE, PH_STATE_DOWN,
                "the next tick");
    assert_step(&d, &c, deadline + SEC(3600), PH_EV_NONE, -1,
                "an hour later");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == deadline + 1);
}
END_TEST

START_TEST(fsm_startup_grace_holds_overdue_devices)
{
    ph_device_t d, late;
    ph_fsm_ctx_t c;
    apr_time_t grace_end = T_START + SEC(600);

    /* Restored from a snapshot: up, reported, last heard an hour ago. */
    dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
    d.state = d.reported = PH_STATE_UP;
    d.first_seen = d.last_seen = d.last_mono = T_START - SEC(3600);
    d.since = d.last_seen;
    fsm_ctx(&c, SEC(600), 0);

    ck_assert(ph_fsm_deadline(&d, &c) == grace_end);
    assert_step(&d, &c, T_START, PH_EV_NONE, -1, "at startup");
    assert_step(&d, &c, T_START + SEC(1), PH_EV_NONE, -1, "in the grace");
    assert_step(&d, &c, grace_end - 1, PH_EV_NONE, -1, "end of the grace");
    assert_step(&d, &c, grace_end, PH_EV_NONE, -1, "grace just over");
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    assert_step(&d, &c, grace_end + 1, PH_EV_DOWN, PH_STATE_UP,
                "right after the grace");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == grace_end + 1);

    /* A deadline past the grace is the device's own. */
    dev_init(&late, "garage", 300, 0);
    dev_beat(&late, "", T_START + SEC(500));
    ck_assert(ph_fsm_deadline(&late, &c) == T_START + SEC(800));
    assert_step(&late, &c, T_START + SEC(800), PH_EV_NONE, -1, "in time");
    assert_step(&late, &c, T_START + SEC(800) + 1, PH_EV_DOWN, PH_STATE_UP,
                "late");

    /* Without a grace, an overdue device goes down at once. */
    dev_init(&d, "attic", 300, 0);
    d.state = d.reported = PH_STATE_UP;
    d.last_seen = d.last_mono = d.since = T_START - SEC(3600);
    fsm_ctx(&c, 0, 0);
    ck_assert(ph_fsm_deadline(&d, &c) == T_START);
    assert_step(&d, &c, T_START + 1, PH_EV_DOWN, PH_STATE_UP, "no grace");
}
END_TEST

START_TEST(fsm_declared_device_never_heard_from)
{
    ph_device_t d, stray;
    ph_fsm_ctx_t c;
    apr_time_t deadline = T_START + SEC(60) + SEC(300);

    dev_init(&d, "garage", 300, PH_DEV_DECLARED);
    fsm_ctx(&c, SEC(60), 0);
    ck_assert(ph_fsm_deadline(&d, &c) == deadline);
    assert_step(&d, &c, T_START + SEC(1), PH_EV_NONE, -1, "at startup");
    assert_step(&d, &c, T_START + SEC(61), PH_EV_NONE, -1, "after grace");
    assert_step(&d, &c, deadline, PH_EV_NONE, -1, "at the deadline");
    ck_assert_uint_eq(d.state, PH_STATE_UNKNOWN);
    assert_step(&d, &c, deadline + 1, PH_EV_DOWN, PH_STATE_UNKNOWN,
                "past the deadline");
    ck_assert_uint_eq(d.state, PH_STATE_DOWN);
    ck_assert(d.since == deadline + 1);
    ck_assert(d.last_seen == 0);
    assert_step(&d, &c, deadline + SEC(1), PH_EV_NONE, -1, "next tick");

    /* A device nobody declared and that never called cannot go down. */
    dev_init(&stray, "stray", 300, 0);
    ck_assert(ph_fsm_deadline(&stray, &c) == 0);
    assert_step(&stray, &c, deadline + 1, PH_EV_NONE, -1, "undeclared");
    assert_step(&stray, &c, T_START + SEC(86400 * 365), PH_EV_NONE, -1,
                "a year later");
    ck_assert_uint_eq(stray.state, PH_STATE_UNKNOWN);
    ck_assert_uint_eq(stray.reported, PH_STATE_UNKNOWN);
}
END_TEST

START_TEST(fsm_beat_brings_a_down_device_back_up)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(100), t2, t3, t4, t5, t6, t7;

    dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
    fsm_ctx(&c, SEC(60), 0);
    dev_beat(&d, "boot=aaaa", t1);
    assert_step(&d, &c, t1, PH_EV_NONE, -1, "first beat");
    t2 = t1 + SEC(301);
    assert_step(&d, &c, t2, PH_EV_DOWN, PH_STATE_UP, "down");

    /* Same boot id: the network was out. */
    t3 = t2 + SEC(50);
    dev_beat(&d, "boot=aaaa", t3);
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.since == t3);
    ck_assert(d.last_seen == t3);
    ck_assert(d.gap_start == t1);
    ck_assert_msg(!(d.flags & PH_DEV_REBOOTED), "same boot id: no reboot");
    ck_assert(d.flags & PH_DEV_DECLARED);
    ck_assert_uint_eq(d.reported, PH_STATE_DOWN);
    ck_assert(ph_fsm_deadline(&d, &c) == t3 + SEC(300));
    assert_step(&d, &c, t3, PH_EV_UP, PH_STATE_DOWN, "back up");
    assert_step(&d, &c, t3 + SEC(1), PH_EV_NONE, PH_STATE_UP, "next tick");

    /* Another boot id: the device restarted. */
    t4 = t3 + SEC(301);
    assert_step(&d, &c, t4, PH_EV_DOWN, PH_STATE_UP, "down again");
    t5 = t4 + SEC(10);
    dev_beat(&d, "boot=bbbb", t5);
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.gap_start == t3);
    ck_assert_msg(d.flags & PH_DEV_REBOOTED, "new boot id: a reboot");
    ck_assert_str_eq(d.boot_id, "bbbb");
    assert_step(&d, &c, t5, PH_EV_UP, PH_STATE_DOWN, "back up, rebooted");

    /* A beat while up leaves the mark alone. */
    dev_beat(&d, "boot=bbbb", t5 + SEC(10));
    ck_assert(d.flags & PH_DEV_REBOOTED);
    ck_assert(d.since == t5);
    ck_assert(d.gap_start == t3);

    /* No boot id at all is no evidence of a restart; the old mark goes. */
    t6 = t5 + SEC(10) + SEC(301);
    assert_step(&d, &c, t6, PH_EV_DOWN, PH_STATE_UP, "down a third time");
    t7 = t6 + SEC(5);
    dev_beat(&d, "t=1", t7);
    ck_assert_uint_eq(d.state, PH_STATE_UP);
    ck_assert(d.gap_start == t5 + SEC(10));
    ck_assert_msg(!(d.flags & PH_DEV_REBOOTED), "no boot id: no reboot");
    ck_assert_str_eq(d.boot_id, "bbbb");
    assert_step(&d, &c, t7, PH_EV_UP, PH_STATE_DOWN, "back up, no boot");
}
END_TEST

START_TEST(fsm_first_beat_reported_only_when_asked)
{
    ph_device_t d;
    ph_fsm_ctx_t c;
    apr_time_t t1 = T_START + SEC(5);
    int notify;

    for (notify = 0; notify <= 1; notify++) {
        dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
        fsm_ctx(&c, SEC(60), notify);
        ck_assert(ph_fsm_deadline(&d, &c) == T_START + SEC(360));
        dev_beat(&d, "", t1);
        ck_assert_uint_eq(d.state, PH_STATE_UP);
        ck_assert(d.since == t1);
        ck_assert(d.gap_start == 0);
        ck_assert_msg(!(d.flags & PH_DEV_REBOOTED), "a first beat rebooted");
        /* Up: its own deadline, which ends after the grace. */
        ck_assert(ph_fsm_deadline(&d, &c) == t1 + SEC(300));
        assert_step(&d, &c, t1, notify ? PH_EV_FIRST : PH_EV_NONE,
                    PH_STATE_UNKNOWN, notify ? "first, notify" : "first");
        ck_assert_uint_eq(d.reported, PH_STATE_UP);
        assert_step(&d, &c, t1 + SEC(1), PH_EV_NONE, PH_STATE_UP,
                    "next tick");
        assert_step(&d, &c, t1 + SEC(300), PH_EV_NONE, -1, "in time");
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_event                                                            */
/* ------------------------------------------------------------------ */

/* True when @a s is one JSON object: strings closed, escapes known, no
 * raw control characters, brackets balanced, nothing after the end. */
static int json_ish(const char *s)
{
    int depth = 0, in_str = 0;

    if (*s != '{') {
        return 0;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (in_str) {
            if (c < 0x20) {
                return 0;
            }
            if (c == '\\') {
                s++;
                if (*s == '\0' || strchr("\"\\/bfnrtu", *s) == NULL) {
                    return 0;
                }
            }
            else if (c == '"') {
                in_str = 0;
            }
        }
        else if (c == '"') {
            in_str = 1;
        }
        else if (c == '{' || c == '[') {
            depth++;
        }
        else if (c == '}' || c == ']') {
            if (--depth < 0 || (depth == 0 && s[1] != '\0')) {
                return 0;
            }
        }
        else if (c < 0x20) {
            return 0;
        }
    }
    return depth == 0 && !in_str;
}

START_TEST(event_from_device_copies_the_facts)
{
    ph_device_t d;
    ph_event_t e;

    dev_init(&d, "kitchen-pi", 300, PH_DEV_DECLARED);
    dev_beat(&d, "t=990&boot=abc-def&up=42", SEC(1000));
    d.gap_start = SEC(700);
    d.flags |= PH_DEV_REBOOTED;

    memset(&e, 0xA5, sizeof(e));
    ph_event_from_device(&e, &d, PH_EV_UP, PH_STATE_DOWN, SEC(1001));
    ck_assert_int_eq(e.kind, PH_EV_UP);
    ck_assert_int_eq(e.former, PH_STATE_DOWN);
    ck_assert(e.time == SEC(1001));
    ck_assert_str_eq(e.name, "kitchen-pi");
    ck_assert(e.last_seen == SEC(1000));
    ck_assert(e.gap_start == SEC(700));
    ck_assert_uint_eq(e.max_age, 300);
    ck_assert_int_eq(e.rebooted, 1);
    ck_assert_int_eq(e.has_skew, 1);
    ck_assert(e.skew == -10);
    ck_assert_int_eq(e.has_uptime, 1);
    ck_assert(e.uptime == 42);
    ck_assert_str_eq(e.remote_ip, "192.0.2.7");
    ck_assert_str_eq(e.boot_id, "abc-def");

    /* Rebooted is news only when coming back up. */
    ph_event_from_device(&e, &d, PH_EV_DOWN, PH_STATE_UP, SEC(1400));
    ck_assert_int_eq(e.kind, PH_EV_DOWN);
    ck_assert_int_eq(e.former, PH_STATE_UP);
    ck_assert_int_eq(e.rebooted, 0);

    /* What the last beat did not say is unknown, not stale. */
    dev_beat(&d, "", SEC(1010));
    ph_event_from_device(&e, &d, PH_EV_DOWN, PH_STATE_UP, SEC(1400));
    ck_assert_int_eq(e.has_skew, 0);
    ck_assert(e.skew == 0);
    ck_assert_int_eq(e.has_uptime, 0);
    ck_assert(e.uptime == 0);
    ck_assert_str_eq(e.boot_id, "abc-def");
    ck_assert(e.last_seen == SEC(1010));
}
END_TEST

/* Format @a e, parse the line back, and compare every field. */
static void assert_event_round_trip(const ph_event_t *e, const char *what)
{
    ph_event_t back;
    const char *line = ph_event_format(pool, e);
    const char *why;

    ck_assert_msg(!has_control(line), "%s: not one line: %s", what, line);
    memset(&back, 0xA5, sizeof(back));
    why = ph_event_parse(&back, line);
    ck_assert_msg(why == NULL, "%s: '%s' refused: %s", what, line, S(why));
    ck_assert_msg(back.kind == e->kind && back.former == e->former,
                  "%s: kind/former", what);
    ck_assert_msg(back.time == e->time, "%s: time", what);
    ck_assert_msg(strcmp(back.name, e->name) == 0, "%s: name", what);
    ck_assert_msg(back.last_seen == e->last_seen, "%s: last_seen", what);
    ck_assert_msg(back.gap_start == e->gap_start, "%s: gap_start", what);
    ck_assert_msg(back.max_age == e->max_age, "%s: max_age", what);
    ck_assert_msg(back.rebooted == e->rebooted, "%s: rebooted", what);
    ck_assert_msg(back.has_skew == e->has_skew, "%s: has_skew", what);
    ck_assert_msg(back.skew == e->skew, "%s: skew %" APR_INT64_T_FMT
                  ", want %" APR_INT64_T_FMT, what, back.skew, e->skew);
    ck_assert_msg(back.has_uptime == e->has_uptime, "%s: has_uptime", what);
    ck_assert_msg(back.uptime == e->uptime, "%s: uptime", what);
    ck_assert_msg(strcmp(back.remote_ip, e->remote_ip) == 0,
                  "%s: remote_ip '%s', want '%s'", what, back.remote_ip,
                  e->remote_ip);
    ck_assert_msg(strcmp(back.boot_id, e->boot_id) == 0,
                  "%s: boot_id '%s', want '%s'", what, back.boot_id,
                  e->boot_id);
    /* And the line is stable. */
    ck_assert_str_eq(ph_event_format(pool, &back), line);
}

START_TEST(event_format_parse_round_trip)
{
    ph_event_t e;

    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_UP;
    e.former = PH_STATE_DOWN;
    e.time = SEC(1360338901) + 123456;
    apr_cpystrn(e.name, "kitchen-pi", sizeof(e.name));
    e.last_seen = SEC(1360338900) + 999999;
    e.gap_start = SEC(1360335200) + 1;
    e.max_age = 300;
    e.rebooted = 1;
    e.has_skew = 1;
    e.skew = -17;
    e.has_uptime = 1;
    e.uptime = 86400;
    apr_cpystrn(e.remote_ip, "192.0.2.7", sizeof(e.remote_ip));
    apr_cpystrn(e.boot_id, "0f8fad5b-d9cb-469f-a165-70867728950e",
                sizeof(e.boot_id));
    assert_event_round_trip(&e, "all fields, negative skew");

    /* Nothing known: no ip, no boot id, never seen. */
    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_DOWN;
    e.former = PH_STATE_UNKNOWN;
    e.time = SEC(1360338901);
    apr_cpystrn(e.name, "garage", sizeof(e.name));
    e.max_age = 60;
    assert_event_round_trip(&e, "no ip, no boot id");

    /* Longest name, IPv6 with a zone, positive skew, first event. */
    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_FIRST;
    e.former = PH_STATE_PAUSED;
    e.time = SEC(253402300799);
    apr_cpystrn(e.name, repeat('n', PH_NAME_MAX), sizeof(e.name));
    e.last_seen = e.time;
    e.max_age = PH_MAX_AGE_LIMIT;
    e.has_skew = 1;
    e.skew = APR_INT64_C(253402300799);
    e.has_uptime = 1;
    e.uptime = PH_UP_MAX;
    apr_cpystrn(e.remote_ip, "fe80::1%eth0", sizeof(e.remote_ip));
    apr_cpystrn(e.boot_id, "abc", sizeof(e.boot_id));
    assert_event_round_trip(&e, "long name, IPv6, positive skew");

    /* An ip but no boot id, and a boot id but no ip. */
    e.boot_id[0] = '\0';
    apr_cpystrn(e.remote_ip, "2001:db8::1", sizeof(e.remote_ip));
    assert_event_round_trip(&e, "no boot id");
    e.remote_ip[0] = '\0';
    apr_cpystrn(e.boot_id, "ABC-123", sizeof(e.boot_id));
    assert_event_round_trip(&e, "no ip");
}
END_TEST

/* A queue line with the given fields; the others are fixed and valid. */
static const char *ev_line(const char *kind, const char *former,
                           const char *name, const char *ip,
                           const char *boot)
{
    return apr_pstrcat(pool, "ev1 ", kind, " ", former, " 1360338901000000 ",
                       name, " 1360338481000000 0 300 0 1 -5 1 42 ", ip, " ",
                       boot, NULL);
}

START_TEST(event_parse_refuses_bad_lines)
{
    const char *good = ev_line("1", "1", "kitchen-pi", "192.0.2.7",
                               "abc-def");
    const char *bad[56];
    ph_event_t e;
    const char *why;
    apr_size_t i, n = 0;

    why = ph_event_parse(&e, good);
    ck_assert_msg(why == NULL, "the good line was refused: %s", S(why));
    ck_assert_str_eq(e.name, "kitchen-pi");
    ck_assert(e.skew == -5 && e.uptime == 42);

    /* Wrong tag. */
    bad[n++] = apr_pstrcat(pool, "ev2", good + 3, NULL);
    bad[n++] = apr_pstrcat(pool, "EV1", good + 3, NULL);
    bad[n++] = apr_pstrcat(pool, "xev1", good + 3, NULL);
    /* Missing fields. */
    bad[n++] = "";
    bad[n++] = "ev1";
    bad[n++] = "ev1 1 1 1360338901000000 kitchen-pi";
    bad[n++] = apr_pstrndup(pool, good, strlen(good) - strlen(" abc-def"));
    /* Trailing garbage. */
    bad[n++] = apr_pstrcat(pool, good, " x", NULL);
    bad[n++] = apr_pstrcat(pool, good, " ", NULL);
    bad[n++] = apr_pstrcat(pool, good, " -", NULL);
    bad[n++] = apr_pstrcat(pool, good, "\t", NULL);
    /* A bad device name. */
    bad[n++] = ev_line("1", "1", ".kitchen", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "1", "a<b", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "1", "caf\xc3\xa9", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "1", repeat('a', PH_NAME_MAX + 1), "192.0.2.7",
                       "abc-def");
    bad[n++] = ev_line("1", "1", "-", "192.0.2.7", "abc-def");
    /* Kind or former state out of range. */
    bad[n++] = ev_line("0", "1", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("4", "1", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("-1", "1", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("x", "1", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "4", "kitchen-pi", "192.0.2.7", "abc-def");
    bad[n++] = ev_line("1", "-1", "kitchen-pi", "192.0.2.7", "abc-def");
    /* A boot id with bad characters, or too long. */
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7", "abc_def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7", "<script>");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7", "abc%def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7",
                       repeat('a', PH_BOOT_MAX + 1));
    /* An ip with a space, bad characters, or too long. */
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7 x", "abc-def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7 x", "-");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "192.0.2.7<", "abc-def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", "a/b", "abc-def");
    bad[n++] = ev_line("1", "1", "kitchen-pi", repeat('1', PH_IP_MAX + 1),
                       "abc-def");
    /* Negative times. */
    bad[n++] = "ev1 1 1 -1 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi -1 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 -1 300 0 0 0 0 0 - -";
    /* Numbers that would wrap around, or are not plain decimals. */
    bad[n++] = "ev1 1 1 9223372036854775808 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 0 4294967296 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 0 -300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 0 300 0 0 "
               "-9223372036854775809 0 0 - -";
    bad[n++] = "ev1 4294967297 1 5 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5 kitchen-pi 0 0 300 2 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 +5 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 5x kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1 1 - kitchen-pi 0 0 300 0 0 0 0 0 - -";
    bad[n++] = "ev1 1  1 5 kitchen-pi 0 0 300 0 0 0 0 0 - -";
    ck_assert(n <= NELTS(bad));

    /* The extremes that do fit parse exactly. */
    ck_assert_ptr_null(ph_event_parse(&e, "ev1 1 1 9223372036854775807 "
                                      "kitchen-pi 0 0 4294967295 1 1 "
                                      "-9223372036854775808 1 "
                                      "9223372036854775807 - -"));
    ck_assert(e.time == APR_INT64_MAX && e.max_age == 4294967295u);
    ck_assert(e.skew == APR_INT64_MIN && e.uptime == APR_INT64_MAX);

    /* The same fields, valid, to show the refusals are about the field. */
    ck_assert_ptr_null(ph_event_parse(&e, "ev1 1 1 5 kitchen-pi 0 0 300 0 0 "
                                      "0 0 0 - -"));
    ck_assert_str_eq(e.remote_ip, "");
    ck_assert_str_eq(e.boot_id, "");

    for (i = 0; i < n; i++) {
        why = ph_event_parse(&e, bad[i]);
        ck_assert_msg(why != NULL, "bad line #%u should be refused: '%s'",
                      (unsigned)i, bad[i]);
        ck_assert_msg(*why && !has_control(why), "reason #%u", (unsigned)i);
    }

    /* An ip with a space cannot round-trip, so it must not parse. */
    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_DOWN;
    apr_cpystrn(e.name, "kitchen-pi", sizeof(e.name));
    apr_cpystrn(e.remote_ip, "192.0.2.7 x", sizeof(e.remote_ip));
    apr_cpystrn(e.boot_id, "abc-def", sizeof(e.boot_id));
    ck_assert_ptr_nonnull(ph_event_parse(&e, ph_event_format(pool, &e)));
}
END_TEST

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

START_TEST(event_json_and_word)
{
    ph_event_t e;
    const char *j;

    memset(&e, 0, sizeof(e));
    e.kind = PH_EV_DOWN;
    e.former = PH_STATE_UP;
    e.time = SEC(1360338901) + 500000;
    apr_cpystrn(e.name, "kitchen-pi", sizeof(e.name));
    e.last_seen = SEC(1360338481);
    apr_cpystrn(e.remote_ip, "192.0.2.7", sizeof(e.remote_ip));

    j = ph_event_json(pool, &e, "Kitchen \"Pi\" <1>\n\xc3\xbc");
    ck_assert_msg(json_ish(j), "not JSON: %s", j);
    ck_assert_ptr_nonnull(strstr(j, "\"time\":1360338901,"));
    ck_assert_ptr_nonnull(strstr(j, "\"event\":\"down\""));
    ck_assert_ptr_nonnull(strstr(j, "\"device\":\"kitchen-pi\""));
    ck_assert_ptr_nonnull(strstr(j, "\"display\":\"Kitchen \\\"Pi\\\" "
                                 "\\u003c1\\u003e\\n\xc3\xbc\""));
    ck_assert_ptr_nonnull(strstr(j, "\"state\":\"down\""));
    ck_assert_ptr_nonnull(strstr(j, "\"former\":\"up\""));
    ck_assert_ptr_nonnull(strstr(j, "\"last_seen\":1360338481"));
    ck_assert_ptr_nonnull(strstr(j, "\"remote_ip\":\"192.0.2.7\""));
    ck_assert_ptr_nonnull(strstr(j, "\"rebooted\":false"));

    e.kind = PH_EV_UP;
    e.former = PH_STATE_DOWN;
    e.rebooted = 1;
    j = ph_event_json(pool, &e, "Kitchen");
    ck_assert_msg(json_ish(j), "not JSON: %s", j);
    ck_assert_ptr_nonnull(strstr(j, "\"event\":\"up\""));
    ck_assert_ptr_nonnull(strstr(j, "\"state\":\"up\""));
    ck_assert_ptr_nonnull(strstr(j, "\"former\":\"down\""));
    ck_assert_ptr_nonnull(strstr(j, "\"rebooted\":true"));

    /* Never seen, no address. */
    e.kind = PH_EV_FIRST;
    e.former = PH_STATE_UNKNOWN;
    e.last_seen = 0;
    e.remote_ip[0] = '\0';
    j = ph_event_json(pool, &e, "");
    ck_assert_msg(json_ish(j), "not JSON: %s", j);
    ck_assert_ptr_nonnull(strstr(j, "\"event\":\"first\""));
    ck_assert_ptr_nonnull(strstr(j, "\"former\":\"unknown\""));
    ck_assert_ptr_nonnull(strstr(j, "\"last_seen\":null"));
    ck_assert_ptr_nonnull(strstr(j, "\"remote_ip\":\"\""));

    ck_assert_str_eq(ph_event_word(PH_EV_DOWN), "Error");
    ck_assert_str_eq(ph_event_word(PH_EV_UP), "Good");
    ck_assert_str_eq(ph_event_word(PH_EV_FIRST), "Good");
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_mail                                                             */
/* ------------------------------------------------------------------ */

/* Fri Feb  8 15:55:01 UTC 2013 */
#define T_MAIL SEC(1360338901)

/* An event as the watchdog hands it over: @a kind of @a name at @a now,
 * last heard 420 s before, after a gap of 3700 s. */
static void mail_event(ph_event_t *e, int kind, const char *name,
                       apr_time_t now)
{
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->former = kind == PH_EV_DOWN ? PH_STATE_UP : PH_STATE_DOWN;
    e->time = now;
    apr_cpystrn(e->name, name, sizeof(e->name));
    e->last_seen = now - SEC(420);
    e->gap_start = e->last_seen - SEC(3700);
    e->max_age = 300;
    apr_cpystrn(e->remote_ip, "192.0.2.7", sizeof(e->remote_ip));
    apr_cpystrn(e->boot_id, "abc-def", sizeof(e->boot_id));
}

/* An array of the addresses in NULL-terminated @a a. */
static apr_array_header_t *rcpt_list(const char *const *a)
{
    apr_array_header_t *to = apr_array_make(pool, 2, sizeof(const char *));

    for (; *a; a++) {
        APR_ARRAY_PUSH(to, const char *) = *a;
    }
    return to;
}

static const char *const two_rcpt[] = {
    "me@example.com", "9085551234@vtext.com", NULL
};

/* A mail of @a n events to @a to, as the mailer fills it in. */
static void mail_init(ph_mail_t *m, int n, const ph_event_t *const *events,
                      const char *const *displays,
                      const apr_array_header_t *to)
{
    memset(m, 0, sizeof(*m));
    m->from = "pialert@example.com";
    m->to = to;
    m->monitor = "Raspberry Pi phone home";
    m->now = T_MAIL;
    m->n = n;
    m->events = events;
    m->displays = displays;
    m->msgid = "1360338901.42.7";
}

/* Set TZ for this process; the old value, to hand back to restore_tz. */
static const char *set_tz(const char *tz)
{
    const char *old = getenv("TZ");

    old = old ? apr_pstrdup(pool, old) : NULL;
    setenv("TZ", tz, 1);
    tzset();
    return old;
}

static void restore_tz(const char *old)
{
    if (old) {
        setenv("TZ", old, 1);
    }
    else {
        unsetenv("TZ");
    }
    tzset();
}

/* Every LF is preceded by CR, and every CR followed by LF. */
static void assert_crlf_only(const char *msg)
{
    const char *c;

    for (c = msg; *c; c++) {
        ck_assert_msg(*c != '\n' || (c > msg && c[-1] == '\r'),
                      "a bare LF at offset %u", (unsigned)(c - msg));
        ck_assert_msg(*c != '\r' || c[1] == '\n',
                      "a bare CR at offset %u", (unsigned)(c - msg));
    }
}

/* Split a message at its first blank line: the header block (each line
 * with its CRLF) and the body. */
static void mail_split(const char *msg, const char **head, const char **body)
{
    const char *blank = strstr(msg, "\r\n\r\n");

    ck_assert_msg(blank != NULL, "no blank line after the headers");
    *head = apr_pstrndup(pool, msg, (apr_size_t)(blank - msg) + 2);
    *body = blank + 4;
}

/* The raw value of header @a name (folding kept); it must occur once. */
static const char *mail_header_raw(const char *head, const char *name)
{
    apr_size_t n = strlen(name);
    const char *at, *found = NULL, *end;
    int count = 0;

    for (at = head; *at; at = strstr(at, "\r\n") + 2) {
        if (strncmp(at, name, n) == 0 && at[n] == ':') {
            found = at;
            count++;
        }
    }
    ck_assert_msg(count == 1, "header %s occurs %d times", name, count);
    ck_assert_msg(found[n + 1] == ' ', "no space after %s:", name);
    found += n + 2;
    /* The field goes on while the next line starts with white space. */
    for (end = strstr(found, "\r\n"); end[2] == ' ' || end[2] == '\t';
         end = strstr(end + 2, "\r\n")) {
    }
    return apr_pstrndup(pool, found, (apr_size_t)(end - found));
}

/* A header value unfolded (RFC 5322 2.2.3: CRLF before WSP removed). */
static const char *unfold(const char *raw)
{
    char *out = apr_pstrdup(pool, raw), *w = out;
    const char *r;

    for (r = raw; *r; r++) {
        if (r[0] == '\r' && r[1] == '\n'
            && (r[2] == ' ' || r[2] == '\t')) {
            r++;
            continue;
        }
        *w++ = *r;
    }
    *w = '\0';
    return out;
}

static const char *mail_header(const char *head, const char *name)
{
    return unfold(mail_header_raw(head, name));
}

/* No header line is longer than @a max, and all of them are 7-bit. */
static void assert_header_lines(const char *head, apr_size_t max)
{
    const char *at, *eol;

    for (at = head; *at; at = eol + 2) {
        const char *c;

        eol = strstr(at, "\r\n");
        ck_assert_ptr_nonnull(eol);
        ck_assert_msg((apr_size_t)(eol - at) <= max,
                      "a header line of %u characters (at most %u): %s",
                      (unsigned)(eol - at), (unsigned)max,
                      apr_pstrndup(pool, at, (apr_size_t)(eol - at)));
        for (c = at; c < eol; c++) {
            ck_assert_msg((unsigned char)*c >= 0x20
                          && (unsigned char)*c < 0x7F,
                          "a raw byte 0x%02x in the headers",
                          (unsigned)(unsigned char)*c);
        }
    }
}

/* Each of @a lines is a whole line of @a body, in this order. */
static void assert_body_lines(const char *body, const char *const *lines)
{
    const char *text = apr_pstrcat(pool, "\r\n", body, NULL);
    const char *at = text;
    apr_size_t i;

    for (i = 0; lines[i]; i++) {
        const char *want = apr_pstrcat(pool, "\r\n", lines[i], "\r\n", NULL);
        const char *hit = strstr(at, want);

        ck_assert_msg(hit != NULL, "body line '%s' missing or out of order",
                      lines[i]);
        at = hit + strlen(want) - 2;
    }
}

/* True when @a s[0..n) is whole, well-formed UTF-8 sequences. */
static int utf8_whole(const unsigned char *s, apr_size_t n)
{
    apr_size_t i = 0, len, j;

    while (i < n) {
        len = s[i] < 0x80 ? 1 : (s[i] & 0xE0) == 0xC0 ? 2
            : (s[i] & 0xF0) == 0xE0 ? 3 : (s[i] & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > n) {
            return 0;
        }
        for (j = 1; j < len; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                return 0;
            }
        }
        i += len;
    }
    return 1;
}

/* Decode an unfolded value made only of B-encoded UTF-8 words, checking
 * that each is at most 75 characters and whole UTF-8; @a nwords is set. */
static const char *decode_words(const char *value, int *nwords)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                              "opqrstuvwxyz0123456789+/=";
    char *copy = apr_pstrdup(pool, value), *last, *word;
    const char *out = "";

    *nwords = 0;
    for (word = apr_strtok(copy, " ", &last); word;
         word = apr_strtok(NULL, " ", &last)) {
        apr_size_t len = strlen(word), clen;
        char *coded, *plain;
        int n;

        ck_assert_msg(len <= 75, "an encoded word of %u characters: %s",
                      (unsigned)len, word);
        ck_assert_msg(len > 12 && strncmp(word, "=?UTF-8?B?", 10) == 0
                      && strcmp(word + len - 2, "?=") == 0,
                      "not a B-encoded UTF-8 word: %s", word);
        coded = apr_pstrndup(pool, word + 10, len - 12);
        clen = strlen(coded);
        ck_assert_msg(clen % 4 == 0 && strspn(coded, b64) == clen,
                      "bad base64 in: %s", word);
        plain = apr_palloc(pool, apr_base64_decode_len(coded) + 1);
        n = apr_base64_decode(plain, coded);
        ck_assert_msg(n > 0 && utf8_whole((unsigned char *)plain,
                                          (apr_size_t)n),
                      "word %d splits a UTF-8 character: %s", *nwords, word);
        out = apr_pstrcat(pool, out, apr_pstrndup(pool, plain, (apr_size_t)n),
                          NULL);
        (*nwords)++;
    }
    return out;
}

/* The seed's date(1) form in the server's zone, for the Time: line. */
static const char *date1(apr_time_t t)
{
    time_t secs = (time_t)apr_time_sec(t);
    struct tm tm;
    char buf[64];

    localtime_r(&secs, &tm);
    strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Z %Y", &tm);
    return apr_pstrdup(pool, buf);
}

START_TEST(mail_single_down_event)
{
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Raspberry Pi phone home" };
    ph_mail_t m;
    const char *old_tz = set_tz("EST5EDT");
    const char *msg, *head, *body;
    const char *const lines[] = {
        "Raspberry Pi phone home is now in state: Error",
        "Time: Fri Feb  8 10:55:01 EST 2013",
        "Former state was Good",
        "Additional info: Last call was 420 seconds ago",
        "- sent from mod_phonehome",
        "",
        "Device: raspberrypi",
        "Last IP: 192.0.2.7",
        "Boot id: abc-def",
        NULL
    };

    mail_event(&e, PH_EV_DOWN, PH_DEFAULT_DEVICE, T_MAIL);
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    ck_assert_msg(strlen(msg) > 2 && strcmp(msg + strlen(msg) - 2, "\r\n")
                  == 0, "the last line is not ended");
    mail_split(msg, &head, &body);
    assert_header_lines(head, 78);

    ck_assert_str_eq(mail_header(head, "Date"),
                     "Fri, 08 Feb 2013 10:55:01 -0500");
    ck_assert_str_eq(mail_header(head, "Message-ID"),
                     "<1360338901.42.7.phonehome@example.com>");
    ck_assert_str_eq(mail_header(head, "From"), "pialert@example.com");
    ck_assert_str_eq(mail_header_raw(head, "To"),
                     "me@example.com, 9085551234@vtext.com");
    ck_assert_str_eq(mail_header_raw(head, "Subject"),
                     "Error : Raspberry Pi phone home");
    ck_assert_str_eq(mail_header(head, "MIME-Version"), "1.0");
    ck_assert_str_eq(mail_header(head, "Content-Type"),
                     "text/plain; charset=UTF-8");
    ck_assert_str_eq(mail_header(head, "Auto-Submitted"), "auto-generated");
    ck_assert_str_eq(ph_mail_subject(pool, &m),
                     "Error : Raspberry Pi phone home");

    /* The seed's lines first, then the facts. */
    ck_assert_msg(strncmp(body, lines[0], strlen(lines[0])) == 0,
                  "the body does not start with the seed's line");
    assert_body_lines(body, lines);
    ck_assert_ptr_null(strstr(body, "Reboot:"));
    restore_tz(old_tz);
}
END_TEST

/* A declared device that never called: no last call, no address. */
START_TEST(mail_down_never_heard_from)
{
    static const char *const lines[] = {
        "Garage Pi is now in state: Error",
        "Former state was no state",
        "Additional info: No call since the server started",
        "- sent from mod_phonehome",
        "Device: garage",
        "Last call: never",
        "MaxAge: 300 s",
        NULL
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Garage Pi" };
    ph_mail_t m;
    const char *msg, *head, *body;

    mail_event(&e, PH_EV_DOWN, "garage", T_MAIL);
    e.former = PH_STATE_UNKNOWN;
    e.last_seen = 0;
    e.gap_start = 0;
    e.remote_ip[0] = '\0';
    e.boot_id[0] = '\0';
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    ck_assert_str_eq(mail_header(head, "Subject"), "Error : Garage Pi");
    assert_body_lines(body, lines);
    ck_assert_ptr_null(strstr(body, "Last IP:"));
    ck_assert_ptr_null(strstr(body, "Boot id:"));
}
END_TEST

START_TEST(mail_date_has_a_numeric_zone)
{
    static const char *const zones[][2] = {
        { "UTC0", "Fri, 08 Feb 2013 15:55:01 +0000" },
        { "IST-5:30", "Fri, 08 Feb 2013 21:25:01 +0530" },
        { "NST3:30", "Fri, 08 Feb 2013 12:25:01 -0330" },
        { "JST-9", "Sat, 09 Feb 2013 00:55:01 +0900" }
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Pi" };
    ph_mail_t m;
    const char *head, *body, *old_tz = NULL;
    const char *time_line[2];
    apr_size_t i;

    mail_event(&e, PH_EV_DOWN, "kitchen-pi", T_MAIL);
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    for (i = 0; i < NELTS(zones); i++) {
        const char *prev = set_tz(zones[i][0]);

        if (i == 0) {
            old_tz = prev;
        }
        mail_split(ph_mail_compose(pool, &m), &head, &body);
        ck_assert_str_eq(mail_header(head, "Date"), zones[i][1]);
        time_line[0] = apr_pstrcat(pool, "Time: ", date1(T_MAIL), NULL);
        time_line[1] = NULL;
        assert_body_lines(body, time_line);
    }
    restore_tz(old_tz);
}
END_TEST

START_TEST(mail_single_up_event)
{
    static const char *const lines[] = {
        "Raspberry Pi phone home is now in state: Good",
        "Former state was Error",
        "Additional info: Service restored after 1 h 1 min without a call",
        "- sent from mod_phonehome",
        NULL
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Raspberry Pi phone home" };
    ph_mail_t m;
    const char *msg, *head, *body, *info;

    mail_event(&e, PH_EV_UP, PH_DEFAULT_DEVICE, T_MAIL);
    e.last_seen = T_MAIL - SEC(1);
    e.gap_start = e.last_seen - SEC(3700);
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    assert_header_lines(head, 78);
    ck_assert_str_eq(mail_header(head, "Subject"),
                     "Good : Raspberry Pi phone home");
    assert_body_lines(body, lines);
    ck_assert_ptr_nonnull(strstr(body, "\r\nReboot: no"));
    ck_assert_ptr_null(strstr(body, "restarted"));

    /* Rebooted: the restart is news. */
    e.rebooted = 1;
    mail_split(ph_mail_compose(pool, &m), &head, &body);
    info = strstr(body, "\r\nAdditional info: Service restored after ");
    ck_assert_ptr_nonnull(info);
    info = apr_pstrndup(pool, info + 2, (apr_size_t)(strstr(info + 2, "\r\n")
                                                     - (info + 2)));
    ck_assert_msg(strstr(info, "restarted") != NULL,
                  "the info line does not mention the restart: %s", info);
    ck_assert_ptr_nonnull(strstr(body, "\r\nReboot: yes"));
}
END_TEST

/* A declared device reported down before it ever called, then heard from:
 * no earlier call, so no outage length (not "20000 d"). */
START_TEST(mail_up_after_never_heard_from)
{
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Cabin Pi" };
    ph_mail_t m;
    const char *head, *body;

    mail_event(&e, PH_EV_UP, "cabin-pi", T_MAIL);
    e.last_seen = T_MAIL - SEC(1);
    e.gap_start = 0;
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    mail_split(ph_mail_compose(pool, &m), &head, &body);
    ck_assert_ptr_nonnull(strstr(body, "\r\nAdditional info: Service "
                                 "restored: the first call from this "
                                 "device\r\n"));
    ck_assert_ptr_null(strstr(body, "Outage:"));
    ck_assert_ptr_null(strstr(body, " d "));
}
END_TEST

START_TEST(mail_digest_of_three)
{
    static const char *const lines[] = {
        "Raspberry Pi phone home: 3 devices are now in state: Error",
        "- sent from mod_phonehome",
        "Kitchen Pi is now in state: Error (former state was Good)",
        "  Device: kitchen-pi",
        "Garage Pi is now in state: Error (former state was Good)",
        "  Device: garage-pi",
        "Attic Pi is now in state: Error (former state was Good)",
        "  Device: attic-pi",
        NULL
    };
    static const char *const names[] = { "kitchen-pi", "garage-pi",
                                         "attic-pi" };
    const char *disp[3] = { "Kitchen Pi", "Garage Pi", "Attic Pi" };
    ph_event_t e[3];
    const ph_event_t *ev[3];
    ph_mail_t m;
    const char *msg, *head, *body;
    int i;

    for (i = 0; i < 3; i++) {
        mail_event(&e[i], PH_EV_DOWN, names[i], T_MAIL - SEC(i));
        ev[i] = &e[i];
    }
    mail_init(&m, 3, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    assert_header_lines(head, 78);
    ck_assert_str_eq(mail_header(head, "Subject"),
                     "Error : 3 devices (Raspberry Pi phone home)");
    ck_assert_str_eq(ph_mail_subject(pool, &m),
                     "Error : 3 devices (Raspberry Pi phone home)");
    assert_body_lines(body, lines);
}
END_TEST

START_TEST(mail_utf8_subject_is_encoded)
{
    static const char *const lines[] = {
        "K\xc3\xbc" "che Pi is now in state: Error", NULL
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "K\xc3\xbc" "che Pi" };
    ph_mail_t m;
    const char *msg, *head, *body, *raw;
    int nwords;

    mail_event(&e, PH_EV_DOWN, "kitchen-pi", T_MAIL);
    ev[0] = &e;
    mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
    msg = ph_mail_compose(pool, &m);
    assert_crlf_only(msg);
    mail_split(msg, &head, &body);
    assert_header_lines(head, 78);
    raw = mail_header(head, "Subject");
    ck_assert_msg(strncmp(raw, "=?UTF-8?B?", 10) == 0, "not encoded: %s",
                  raw);
    ck_assert_str_eq(decode_words(raw, &nwords), "Error : K\xc3\xbc" "che Pi");
    ck_assert_int_eq(nwords, 1);
    ck_assert_str_eq(ph_mail_subject(pool, &m), "Error : K\xc3\xbc" "che Pi");
    /* The body is 8bit UTF-8, as declared. */
    assert_body_lines(body, lines);

    /* Plain ASCII is left alone. */
    ck_assert_str_eq(ph_mail_encode_header(pool, "Error : Kitchen"),
                     "Error : Kitchen");
}
END_TEST

START_TEST(mail_long_utf8_subject_is_split_and_folded)
{
    /* 1-, 2-, 3- and 4-byte characters, so the cuts land everywhere. */
    static const char *const pieces[] = {
        "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
        "K\xc3\xbc" "che ",
        "\xe2\x82\xac\xe2\x82\xac\xc3\xbc"
    };
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1];
    ph_mail_t m;
    const char *head, *body, *raw, *at;
    apr_size_t k;
    int i, nwords;

    mail_event(&e, PH_EV_DOWN, "kitchen-pi", T_MAIL);
    ev[0] = &e;
    for (k = 0; k < NELTS(pieces); k++) {
        const char *d = "x";

        for (i = 0; i < 25; i++) {
            d = apr_pstrcat(pool, d, pieces[k], NULL);
        }
        disp[0] = d;
        mail_init(&m, 1, ev, disp, rcpt_list(two_rcpt));
        mail_split(ph_mail_compose(pool, &m), &head, &body);
        /* RFC 2047 2: a line with an encoded word is at most 76 long. */
        assert_header_lines(head, 76);
        raw = mail_header_raw(head, "Subject");
        ck_assert_str_eq(decode_words(unfold(raw), &nwords),
                         apr_pstrcat(pool, "Error : ", d, NULL));
        ck_assert_msg(nwords >= 3, "%d encoded words for %u bytes", nwords,
                      (unsigned)strlen(d));
        /* Folded between the words, with CRLF and one space. */
        for (at = raw, i = 0; (at = strstr(at, "\r\n")) != NULL; at += 2) {
            ck_assert_msg(strncmp(at, "\r\n =?UTF-8?B?", 13) == 0,
                          "not folded as CRLF SP before a word");
            i++;
        }
        ck_assert_int_eq(i, nwords - 1);
    }

    /* Straight from the encoder too. */
    raw = ph_mail_encode_header(pool, repeat('\x7f', 100));
    ck_assert_str_eq(decode_words(unfold(raw), &nwords), repeat('\x7f', 100));
}
END_TEST

/* An address of exactly @a len characters, its local part of @a c. */
static const char *address_of(char c, apr_size_t len)
{
    return apr_pstrcat(pool, repeat(c, len - 12), "@example.com", NULL);
}

START_TEST(mail_to_is_folded)
{
    ph_event_t e;
    const ph_event_t *ev[1];
    const char *disp[1] = { "Pi" };
    ph_mail_t m;
    apr_array_header_t *to;
    const char *head, *body, *raw, *want, *at;
    int k, i;

    mail_event(&e, PH_EV_DOWN, "kitchen-pi", T_MAIL);
    ev[0] = &e;
    for (k = 0; k < 32; k++) {
        to = apr_array_make(pool, 12, sizeof(const char *));
        want = "";
        if (k == 0) {
            /* "To: " + 36 + ", " + 36 fills the line to 78 exactly. */
            APR_ARRAY_PUSH(to, const char *) = address_of('a', 36);
            APR_ARRAY_PUSH(to, const char *) = address_of('b', 36);
            APR_ARRAY_PUSH(to, const char *) = address_of('c', 20);
        }
        else {
            for (i = 0; i < 10; i++) {
                APR_ARRAY_PUSH(to, const char *)
                    = address_of((char)('a' + i), 13 + (i * 7 + k) % 30);
            }
        }
        for (i = 0; i < to->nelts; i++) {
            want = apr_pstrcat(pool, want, i ? ", " : "",
                               APR_ARRAY_IDX(to, i, const char *), NULL);
        }
        mail_init(&m, 1, ev, disp, to);
        mail_split(ph_mail_compose(pool, &m), &head, &body);
        assert_header_lines(head, 78);
        raw = mail_header_raw(head, "To");
        ck_assert_str_eq(unfold(raw), want);
        ck_assert_msg(strstr(raw, "\r\n") != NULL, "case %d not folded", k);
        for (at = raw; (at = strstr(at, "\r\n")) != NULL; at += 2) {
            ck_assert_msg(at > raw && at[-1] == ',' && at[2] == ' '
                          && at[3] != ' ', "case %d: folded mid-list", k);
        }
    }
}
END_TEST

START_TEST(mail_duration)
{
    ck_assert_str_eq(ph_mail_duration(pool, 0), "0 s");
    ck_assert_str_eq(ph_mail_duration(pool, 59), "59 s");
    ck_assert_str_eq(ph_mail_duration(pool, 60), "1 min 0 s");
    ck_assert_str_eq(ph_mail_duration(pool, 61), "1 min 1 s");
    ck_assert_str_eq(ph_mail_duration(pool, 3599), "59 min 59 s");
    ck_assert_str_eq(ph_mail_duration(pool, 3600), "1 h 0 min");
    ck_assert_str_eq(ph_mail_duration(pool, 3700), "1 h 1 min");
    ck_assert_str_eq(ph_mail_duration(pool, 86399), "23 h 59 min");
    ck_assert_str_eq(ph_mail_duration(pool, 86400), "1 d 0 h");
    ck_assert_str_eq(ph_mail_duration(pool, 90000), "1 d 1 h");
    ck_assert_str_eq(ph_mail_duration(pool, -5), "0 s");
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_outbox                                                           */
/* ------------------------------------------------------------------ */

/* A message with CRLF line ends and a line of a single dot. */
#define OB_MESSAGE "Date: Fri, 08 Feb 2013 10:55:01 -0500\r\n" \
                   "Subject: Error : Raspberry Pi phone home\r\n" \
                   "\r\n" \
                   "line one\r\n" \
                   ".\r\n" \
                   "..two dots\r\n" \
                   "last line\r\n"

static void outbox_item(ph_outbox_item_t *item)
{
    memset(item, 0, sizeof(*item));
    item->created = APR_INT64_C(1795592886000000);
    item->next = APR_INT64_C(1795592901000000);
    item->attempts = 2;
    item->subject = "Error : Raspberry Pi phone home";
    item->error = "451 try again later";
    item->rcpt = rcpt_list(two_rcpt);
    item->message = OB_MESSAGE;
}

/* Parse @a text (all of it), expecting a refusal. */
static void assert_outbox_refused(const char *text, apr_size_t len,
                                  const char *what)
{
    ph_outbox_item_t item;
    const char *why = ph_outbox_parse(pool, text, len, &item);

    ck_assert_msg(why != NULL, "%s should be refused", what);
    ck_assert_msg(*why && !has_control(why), "%s: reason", what);
}

START_TEST(outbox_format_parse_round_trip)
{
    ph_outbox_item_t item, back;
    const char *text, *why;
    apr_size_t len = 0;

    outbox_item(&item);
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_str_eq(text, "PHMAIL 1\n"
                     "created 1795592886000000\n"
                     "attempts 2\n"
                     "next 1795592901000000\n"
                     "subject Error : Raspberry Pi phone home\n"
                     "error 451 try again later\n"
                     "rcpt me@example.com\n"
                     "rcpt 9085551234@vtext.com\n"
                     "\n" OB_MESSAGE);

    memset(&back, 0xA5, sizeof(back));
    why = ph_outbox_parse(pool, text, len, &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert(back.created == item.created);
    ck_assert(back.next == item.next);
    ck_assert_uint_eq(back.attempts, 2);
    ck_assert_pstr_eq(back.subject, item.subject);
    ck_assert_pstr_eq(back.error, item.error);
    ck_assert_int_eq(back.rcpt->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(back.rcpt, 0, const char *),
                     "me@example.com");
    ck_assert_str_eq(APR_ARRAY_IDX(back.rcpt, 1, const char *),
                     "9085551234@vtext.com");
    ck_assert_uint_eq(strlen(back.message), strlen(OB_MESSAGE));
    ck_assert_mem_eq(back.message, OB_MESSAGE, strlen(OB_MESSAGE));

    /* Only the first len bytes count. */
    why = ph_outbox_parse(pool, apr_pstrcat(pool, text, "JUNK", NULL), len,
                          &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_str_eq(back.message, OB_MESSAGE);

    /* No error yet, never tried, one recipient, an empty subject. */
    item.error = NULL;
    item.attempts = 0;
    item.next = 0;
    item.subject = "";
    item.rcpt = rcpt_list(two_rcpt + 1);
    item.message = "x\r\n";
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_ptr_null(strstr(text, "\nerror"));
    why = ph_outbox_parse(pool, text, len, &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_ptr_null(back.error);
    ck_assert_uint_eq(back.attempts, 0);
    ck_assert(back.next == 0);
    ck_assert_pstr_eq(back.subject, "");
    ck_assert_int_eq(back.rcpt->nelts, 1);
    ck_assert_str_eq(back.message, "x\r\n");

    /* Keys it does not know (a newer writer) are skipped. */
    text = "PHMAIL 1\ncreated 5\nfuture yes\nrcpt a@b\n\nm";
    why = ph_outbox_parse(pool, text, strlen(text), &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert(back.created == 5);
    ck_assert_str_eq(back.message, "m");
}
END_TEST

START_TEST(outbox_subject_and_error_are_one_line)
{
    ph_outbox_item_t item, back;
    const char *text;
    apr_size_t len;

    outbox_item(&item);
    item.subject = "Error : a\r\nrcpt evil@example.org";
    item.error = "550 no\nsuch\ruser";
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_ptr_nonnull(strstr(text, "\nsubject Error : a??rcpt "
                                 "evil@example.org\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nerror 550 no?such?user\n"));
    ck_assert_ptr_null(ph_outbox_parse(pool, text, len, &back));
    ck_assert_int_eq(back.rcpt->nelts, 2);
    ck_assert_str_eq(back.subject, "Error : a??rcpt evil@example.org");
    ck_assert_str_eq(back.error, "550 no?such?user");
    ck_assert_str_eq(back.message, OB_MESSAGE);
}
END_TEST

START_TEST(outbox_parse_refuses)
{
    static const char *const bad[] = {
        /* Wrong magic. */
        "PHMAIL 2\ncreated 5\nrcpt a@b\n\nm",
        "PHMAIL\ncreated 5\nrcpt a@b\n\nm",
        "phmail 1\ncreated 5\nrcpt a@b\n\nm",
        "XPHMAIL 1\ncreated 5\nrcpt a@b\n\nm",
        "PHMAIL 1",
        "PHMAIL 1\n",
        "",
        /* Missing created, no rcpt, a bad rcpt. */
        "PHMAIL 1\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt nobody\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt a@b\nrcpt a@b, c@d\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt <a@b>\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt a@b\r\n\nm",
        "PHMAIL 1\ncreated 5\nrcpt \n\nm",
        /* No blank line, or nothing after it. */
        "PHMAIL 1\ncreated 5\nrcpt a@b\n",
        "PHMAIL 1\ncreated 5\nrcpt a@b",
        "PHMAIL 1\ncreated 5\nrcpt a@b\n\n",
        "PHMAIL 1\ncreated 5\nrcpt a@b\nDate: x",
        /* A line without a value. */
        "PHMAIL 1\ncreated\nrcpt a@b\n\nm",
        /* Bad numbers. */
        "PHMAIL 1\ncreated abc\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated -1\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated +1\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 12x\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated \nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 1.5\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 99999999999999999999\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nnext x\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nnext -5\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nnext 18446744073709551616\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nattempts x\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nattempts -1\nrcpt a@b\n\nm",
        "PHMAIL 1\ncreated 5\nattempts 1000001\nrcpt a@b\n\nm",
        NULL
    };
    ph_outbox_item_t item;
    const char *good = "PHMAIL 1\ncreated 5\nattempts 1000000\n"
                       "next 9223372036854775807\nrcpt a@b\n\nm";
    char *nul;
    apr_size_t i, len;

    ck_assert_ptr_null(ph_outbox_parse(pool, good, strlen(good), &item));
    ck_assert_uint_eq(item.attempts, 1000000);
    ck_assert(item.next == APR_INT64_C(9223372036854775807));
    for (i = 0; bad[i]; i++) {
        assert_outbox_refused(bad[i], strlen(bad[i]),
                              apr_psprintf(pool, "bad file #%u",
                                           (unsigned)i));
    }

    /* A NUL byte, in the header or in the message. */
    len = strlen(good);
    nul = apr_pstrdup(pool, good);
    nul[len - 1] = '\0';
    assert_outbox_refused(nul, len, "a NUL in the message");
    nul = apr_pstrdup(pool, good);
    nul[12] = '\0';
    assert_outbox_refused(nul, len, "a NUL in the header");
}
END_TEST

START_TEST(outbox_backoff)
{
    apr_interval_time_t cap = SEC(3600), prev = 0;
    unsigned int n;

    ck_assert(ph_outbox_backoff(1, cap) == SEC(5));
    ck_assert(ph_outbox_backoff(2, cap) == SEC(10));
    ck_assert(ph_outbox_backoff(3, cap) == SEC(20));
    ck_assert(ph_outbox_backoff(4, cap) == SEC(40));
    ck_assert(ph_outbox_backoff(10, cap) == SEC(2560));
    ck_assert(ph_outbox_backoff(11, cap) == cap);
    ck_assert(ph_outbox_backoff(1000, cap) == cap);
    ck_assert(ph_outbox_backoff(1000000, cap) == cap);
    ck_assert(ph_outbox_backoff(0xFFFFFFFFu, cap) == cap);
    /* The first retry comes soon; a small cap wins even then. */
    ck_assert(ph_outbox_backoff(1, cap) <= SEC(10));
    ck_assert(ph_outbox_backoff(1, SEC(3)) == SEC(3));
    ck_assert(ph_outbox_backoff(5, SEC(30)) == SEC(30));
    for (n = 1; n < 100; n++) {
        apr_interval_time_t w = ph_outbox_backoff(n, cap);

        ck_assert_msg(w >= prev && w <= cap, "backoff(%u) out of order", n);
        prev = w;
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_snapshot                                                         */
/* ------------------------------------------------------------------ */

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
    assert_snapshot_refused(patch32(buf, len, SNAP_VERSION_AT,
                                    PH_DEVICE_VERSION - 1), len,
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

    /* A free slot does not count, whatever it holds. */
    d[1].last_seen = SEC(5000);
    d[1].since = SEC(6000);
    ck_assert(ph_snapshot_freshness(d, 4) == SEC(100));

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

/* ------------------------------------------------------------------ */
/* ph_spool                                                            */
/* ------------------------------------------------------------------ */

/* A fresh directory for each spool test, inside one for the whole TCase
 * whose (unchecked) teardown removes it even when a test failed.  Plain
 * libc: the pool may be gone by then. */
static char spool_base[64];
static char spool_dir[96];

static void rm_rf(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char sub[512];

    if (lstat(path, &st) != 0) {
        return;
    }
    if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
                rm_rf(sub);
            }
        }
        closedir(d);
        rmdir(path);
    }
    else {
        unlink(path);
    }
}

static void spool_base_setup(void)
{
    strcpy(spool_base, "/tmp/ph_test_core.XXXXXX");
    ck_assert_msg(mkdtemp(spool_base) != NULL, "mkdtemp: %s",
                  strerror(errno));
}

static void spool_base_teardown(void)
{
    if (spool_base[0]) {
        rm_rf(spool_base);
        spool_base[0] = '\0';
    }
}

static void spool_setup(void)
{
    snprintf(spool_dir, sizeof(spool_dir), "%s/t.XXXXXX", spool_base);
    ck_assert_msg(mkdtemp(spool_dir) != NULL, "mkdtemp: %s",
                  strerror(errno));
}

static void spool_teardown(void)
{
    if (spool_dir[0]) {
        rm_rf(spool_dir);
        spool_dir[0] = '\0';
    }
}

static const char *in_spool(const char *name)
{
    return apr_pstrcat(pool, spool_dir, "/", name, NULL);
}

/* The file's bytes, read with stdio; NULL if it cannot be opened. */
static char *slurp(const char *path, apr_size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;

    if (f == NULL) {
        return NULL;
    }
    buf = apr_palloc(pool, 4096);
    *len = fread(buf, 1, 4096, f);
    fclose(f);
    return buf;
}

/* The names in @a dir that start with @a prefix, one string. */
static const char *names_with(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    const char *out = "";

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            out = apr_pstrcat(pool, out, " ", de->d_name, NULL);
        }
    }
    closedir(d);
    return out;
}

/* How many entries @a dir holds, "." and ".." aside. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL) {
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");

    ck_assert_msg(f != NULL, "cannot create %s", path);
    fclose(f);
}

START_TEST(spool_write_and_read)
{
    static const char data[] = "PHMAIL 1\r\nbinary \0 and \xff bytes\n";
    apr_size_t len = 0;
    char *got = NULL;
    struct stat st;

    ck_assert_int_eq(ph_spool_write(pool, spool_dir, "a.mail", data,
                                    sizeof(data)), APR_SUCCESS);
    got = slurp(in_spool("a.mail"), &len);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, sizeof(data));
    ck_assert_mem_eq(got, data, sizeof(data));
    ck_assert_str_eq(names_with(spool_dir, ".tmp-"), "");
    ck_assert_str_eq(names_with(spool_dir, "a"), " a.mail");
    ck_assert_int_eq(count_entries(spool_dir), 1);

    ck_assert_int_eq(ph_spool_read(pool, in_spool("a.mail"), &got, &len,
                                   1024), APR_SUCCESS);
    ck_assert_uint_eq(len, sizeof(data));
    ck_assert_mem_eq(got, data, sizeof(data));
    ck_assert_int_eq(got[len], '\0');

    /* Overwriting replaces the whole file, even with less. */
    ck_assert_int_eq(ph_spool_write(pool, spool_dir, "a.mail", "new", 3),
                     APR_SUCCESS);
    ck_assert_int_eq(ph_spool_read(pool, in_spool("a.mail"), &got, &len,
                                   1024), APR_SUCCESS);
    ck_assert_uint_eq(len, 3);
    ck_assert_str_eq(got, "new");
    ck_assert_str_eq(names_with(spool_dir, ".tmp-"), "");

    /* A longer temporary file left by a crash is not part of the next. */
    ck_assert_int_eq(ph_spool_write(pool, spool_dir, ".tmp-a.mail",
                                    "stale and longer", 16), APR_SUCCESS);
    ck_assert_int_eq(ph_spool_write(pool, spool_dir, "a.mail", "new", 3),
                     APR_SUCCESS);
    got = slurp(in_spool("a.mail"), &len);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(got, "new", 3);
    ck_assert_str_eq(names_with(spool_dir, ".tmp-"), "");

    /* An empty file. */
    ck_assert_int_eq(ph_spool_write(pool, spool_dir, "empty", "", 0),
                     APR_SUCCESS);
    ck_assert_int_eq(stat(in_spool("empty"), &st), 0);
    ck_assert_int_eq((int)st.st_size, 0);
    got = NULL;
    len = 99;
    ck_assert_int_eq(ph_spool_read(pool, in_spool("empty"), &got, &len, 10),
                     APR_SUCCESS);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(got, "");

    /* At most max bytes. */
    ck_assert_int_eq(ph_spool_read(pool, in_spool("a.mail"), &got, &len, 3),
                     APR_SUCCESS);
    ck_assert_int_ne(ph_spool_read(pool, in_spool("a.mail"), &got, &len, 2),
                     APR_SUCCESS);
    ck_assert_int_ne(ph_spool_read(pool, in_spool("a.mail"), &got, &len, 0),
                     APR_SUCCESS);

    /* Missing files and directories. */
    ck_assert(APR_STATUS_IS_ENOENT(ph_spool_read(pool, in_spool("nope"),
                                                 &got, &len, 1024)));
    ck_assert_int_ne(ph_spool_write(pool, in_spool("no-dir"), "a.mail", "x",
                                    1), APR_SUCCESS);
    ck_assert_str_eq(names_with(spool_dir, ".tmp-"), "");
}
END_TEST

START_TEST(spool_list_sorted_by_suffix)
{
    static const char *const want[] = { "a.mail", "b.mail", "c.mail" };
    static const char *const write[] = {
        "c.mail", "a.mail", "notes.txt", "b.mail", ".hidden.mail",
        "a.mail.txt", "a.mailx", NULL
    };
    apr_array_header_t *names = NULL;
    apr_size_t i;

    ck_assert_int_eq(ph_spool_list(pool, spool_dir, PH_OUTBOX_SUFFIX,
                                   &names), APR_SUCCESS);
    ck_assert_int_eq(names->nelts, 0);

    for (i = 0; write[i]; i++) {
        ck_assert_int_eq(ph_spool_write(pool, spool_dir, write[i], "x", 1),
                         APR_SUCCESS);
    }
    /* A writer that died before its rename, and odd names. */
    touch(in_spool(".tmp-d.mail"));
    touch(in_spool(".mail"));
    touch(in_spool("mail"));
    ck_assert_int_eq(mkdir(in_spool("sub"), 0700), 0);

    ck_assert_int_eq(ph_spool_list(pool, spool_dir, PH_OUTBOX_SUFFIX,
                                   &names), APR_SUCCESS);
    ck_assert_int_eq(names->nelts, (int)NELTS(want));
    for (i = 0; i < NELTS(want); i++) {
        ck_assert_str_eq(APR_ARRAY_IDX(names, i, const char *), want[i]);
    }

    ck_assert_int_eq(ph_spool_list(pool, spool_dir, ".txt", &names),
                     APR_SUCCESS);
    ck_assert_int_eq(names->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(names, 0, const char *), "a.mail.txt");
    ck_assert_str_eq(APR_ARRAY_IDX(names, 1, const char *), "notes.txt");

    ck_assert_int_ne(ph_spool_list(pool, in_spool("nope"), ".mail", &names),
                     APR_SUCCESS);
}
END_TEST

START_TEST(spool_move_and_remove)
{
    const char *from = in_spool("queue"), *to = in_spool("sent");
    apr_array_header_t *names;
    char *got;
    apr_size_t len;

    ck_assert_int_eq(mkdir(from, 0700), 0);
    ck_assert_int_eq(mkdir(to, 0700), 0);
    ck_assert_int_eq(ph_spool_write(pool, from, "x.mail", "payload", 7),
                     APR_SUCCESS);
    ck_assert_int_eq(ph_spool_write(pool, from, "y.mail", "other", 5),
                     APR_SUCCESS);

    ck_assert_int_eq(ph_spool_move(pool, from, to, "x.mail"), APR_SUCCESS);
    ck_assert(APR_STATUS_IS_ENOENT(ph_spool_read(pool, apr_pstrcat(pool,
                                   from, "/x.mail", NULL), &got, &len, 64)));
    ck_assert_int_eq(ph_spool_read(pool, apr_pstrcat(pool, to, "/x.mail",
                                                     NULL), &got, &len, 64),
                     APR_SUCCESS);
    ck_assert_str_eq(got, "payload");
    ck_assert_int_eq(ph_spool_list(pool, from, ".mail", &names),
                     APR_SUCCESS);
    ck_assert_int_eq(names->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(names, 0, const char *), "y.mail");
    ck_assert_int_ne(ph_spool_move(pool, from, to, "x.mail"), APR_SUCCESS);

    ck_assert_int_eq(ph_spool_remove(pool, to, "x.mail"), APR_SUCCESS);
    ck_assert(APR_STATUS_IS_ENOENT(ph_spool_read(pool, apr_pstrcat(pool,
                                   to, "/x.mail", NULL), &got, &len, 64)));
    ck_assert_int_ne(ph_spool_remove(pool, to, "x.mail"), APR_SUCCESS);
    ck_assert_int_eq(ph_spool_list(pool, to, ".mail", &names), APR_SUCCESS);
    ck_assert_int_eq(names->nelts, 0);
    /* The other file is untouched. */
    ck_assert_int_eq(ph_spool_read(pool, apr_pstrcat(pool, from, "/y.mail",
                                                     NULL), &got, &len, 64),
                     APR_SUCCESS);
    ck_assert_str_eq(got, "other");
}
END_TEST

/* ------------------------------------------------------------------ */
/* The runner                                                          */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* ph_sig: vectors computed independently with Python's hmac module.   */

#define SIG_KEY "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffee"

START_TEST(sig_message_and_vector)
{
    ph_beat_t b;
    const char *msg;

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=100&t=1700000000&boot=5e2f64b9"
                                     "-0961-492c-8f4c-f01abadc085b&up=12345.67",
                                     pool));
    msg = ph_sig_message(pool, "signed-pi", &b);
    ck_assert_str_eq(msg, "phonehome-v1\nsigned-pi\n100\n1700000000\n"
                     "5e2f64b9-0961-492c-8f4c-f01abadc085b\n12345.67");
    ck_assert_str_eq(ph_sig_compute(pool, SIG_KEY, 48, msg),
                     "00c1e0c7af17924f6c2067f85d1c8d3e"
                     "2bd39790af3d2d388888398e78f08f2e");
}
END_TEST

START_TEST(sig_missing_fields_are_empty)
{
    ph_beat_t b;

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=7", pool));
    ck_assert_str_eq(ph_sig_message(pool, "raspberrypi", &b),
                     "phonehome-v1\nraspberrypi\n7\n\n\n");
    ck_assert_str_eq(ph_sig_compute(pool, SIG_KEY, 48,
                                    ph_sig_message(pool, "raspberrypi", &b)),
                     "4dc959978dc38a0cb3006910c9befedc"
                     "60ad66751149ebce44a8b57794f01e60");
}
END_TEST

START_TEST(sig_verify)
{
    ph_beat_t b;
    const char *args = "seq=7&sig=4DC959978DC38A0CB3006910C9BEFEDC"
                       "60AD66751149EBCE44A8B57794F01E60";

    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, args, pool));
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "raspberrypi", &b), 1);
    /* Another device, another key, another value: refused. */
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "kitchen-pi", &b), 0);
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 47, "raspberrypi", &b), 0);
    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=8&sig=4dc959978dc38a0cb3006910"
                                     "c9befedc60ad66751149ebce44a8b57794f01e60",
                                     pool));
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "raspberrypi", &b), 0);
    /* No signature, or a short one. */
    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=7", pool));
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "raspberrypi", &b), 0);
    memset(&b, 0, sizeof(b));
    ck_assert_ptr_null(ph_beat_parse(&b, "seq=7&sig=4dc9", pool));
    ck_assert_int_eq(ph_sig_verify(pool, SIG_KEY, 48, "raspberrypi", &b), 0);
}
END_TEST

START_TEST(sig_key_parse)
{
    const char *key, *why;
    apr_size_t len;

    why = ph_sig_key_parse(pool, "  " SIG_KEY " \nsecond line\n",
                           strlen(SIG_KEY) + 16, &key, &len);
    ck_assert_ptr_null(why);
    ck_assert_str_eq(key, SIG_KEY);
    ck_assert_uint_eq(len, 48);
    why = ph_sig_key_parse(pool, "tooshort\n", 9, &key, &len);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_null(strstr(why, "tooshort"));
    ck_assert_ptr_nonnull(ph_sig_key_parse(pool, "", 0, &key, &len));
    ck_assert_ptr_nonnull(ph_sig_key_parse(pool,
        "0123456789abcdef 0123456789abcdef", 33, &key, &len));
    ck_assert_ptr_nonnull(ph_sig_key_parse(pool,
        "0123456789abcdef0123456789abcdef\x01", 33, &key, &len));
    ck_assert_ptr_null(ph_sig_key_parse(pool,
        "0123456789abcdef0123456789abcdef\r\n", 34, &key, &len));
    ck_assert_uint_eq(len, 32);
    /* 31 characters: under 128 bits as hex. */
    ck_assert_ptr_nonnull(ph_sig_key_parse(pool,
        "0123456789abcdef0123456789abcde\n", 32, &key, &len));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Channels (ph_notify)                                                */

/* A channel from one PhoneHomeNotify line, with secrets as the glue
 * would have read them; the reason it is refused, or NULL. */
static const char *notify_chan(ph_notify_chan_t *c, const char *line,
                               const char *token, const char *user)
{
    apr_array_header_t *words;
    const char *why;

    ck_assert_ptr_eq(ph_conf_words(pool, line, &words), NULL);
    if ((why = ph_notify_parse(pool, words, c)) != NULL) {
        return why;
    }
    if (c->token_file) {
        c->token = token;
    }
    if (c->user_file) {
        c->user = user;
    }
    if (c->url_file) {
        c->url = "https://hooks.example.com/services/T0/B0/XSECRET";
    }
    return ph_notify_check(pool, c);
}

static void notify_ok(ph_notify_chan_t *c, const char *line)
{
    const char *why = notify_chan(c, line, "tok-SECRET", "usr-SECRET");

    ck_assert_msg(why == NULL, "%s: refused: %s", line, S(why));
}

static void notify_refused(const char *line, const char *reason)
{
    ph_notify_chan_t c;
    const char *why = notify_chan(&c, line, "tok-SECRET", "usr-SECRET");

    ck_assert_msg(why != NULL, "%s should be refused", line);
    ck_assert_msg(strstr(why, reason) != NULL, "%s: '%s' lacks '%s'", line,
                  why, reason);
    ck_assert_msg(strstr(why, "SECRET") == NULL, "%s: shows a secret",
                  line);
}

START_TEST(conf_device_notify_option)
{
    ph_devconf_t dc;

    memset(&dc, 0, sizeof(dc));
    ck_assert_ptr_eq(ph_conf_device_option(pool, &dc, "Notify=phone,mail"),
                     NULL);
    ck_assert_int_eq(dc.notify->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(dc.notify, 0, const char *), "phone");
    ck_assert_str_eq(APR_ARRAY_IDX(dc.notify, 1, const char *), "mail");
    ck_assert_ptr_eq(ph_conf_device_option(pool, &dc, "notify=MAIL"), NULL);
    ck_assert_ptr_ne(ph_conf_device_option(pool, &dc, "Notify="), NULL);
    ck_assert_ptr_ne(ph_conf_device_option(pool, &dc, "Notify=,"), NULL);
    ck_assert_ptr_ne(strstr(ph_conf_device_option(pool, &dc,
                                                  "Notify=a,b/c"),
                            "Notify='b/c'"), NULL);
}
END_TEST

START_TEST(notify_kind_from_scheme_or_option)
{
    ph_notify_chan_t c;

    notify_ok(&c, "a ntfy://ntfy.sh/alerts");
    ck_assert_int_eq(c.kind, PH_NOTIFY_NTFY);
    ck_assert_str_eq(c.url, "https://ntfy.sh/alerts");
    ck_assert_str_eq(c.host, "ntfy.sh");
    notify_ok(&c, "a ntfy+http://10.0.0.2:8080/alerts");
    ck_assert_str_eq(c.url, "http://10.0.0.2:8080/alerts");
    ck_assert_str_eq(c.host, "10.0.0.2:8080");
    notify_ok(&c, "a http://127.0.0.1/x");
    ck_assert_int_eq(c.kind, PH_NOTIFY_WEBHOOK);
    ck_assert_uint_eq(c.timeout, 30);
    notify_ok(&c, "a http://127.0.0.1/x kind=ntfy timeout=5 tags=a,b "
              "priority=5");
    ck_assert_int_eq(c.kind, PH_NOTIFY_NTFY);
    ck_assert_uint_eq(c.timeout, 5);
    ck_assert_str_eq(c.tags, "a,b");
    ck_assert_int_eq(c.priority, 5);
    notify_ok(&c, "a https://chat.example.com/hooks/x kind=mattermost");
    ck_assert_int_eq(c.kind, PH_NOTIFY_SLACK);
    notify_ok(&c, "a telegram:// token-file=t chat=-100123");
    ck_assert_int_eq(c.kind, PH_NOTIFY_TELEGRAM);
    ck_assert_str_eq(c.url, "https://api.telegram.org");
    notify_ok(&c, "a pushover:// token-file=t user-file=u priority=-2");
    ck_assert_str_eq(c.url, "https://api.pushover.net/1/messages.json");
    notify_ok(&c, "a matrix://matrix.org token-file=t room=!abc:matrix.org");
    ck_assert_int_eq(c.kind, PH_NOTIFY_MATRIX);
    notify_ok(&c, "a gotify+http://gotify.lan token-file=t");
    ck_assert_int_eq(c.kind, PH_NOTIFY_GOTIFY);
    notify_ok(&c, "a @/etc/slack.url kind=slack");
    ck_assert_str_eq(c.url_file, "/etc/slack.url");
    ck_assert_int_eq(c.kind, PH_NOTIFY_SLACK);
    ck_assert_str_eq(ph_notify_kind_name(PH_NOTIFY_MATRIX), "matrix");
    ck_assert_ptr_eq(ph_notify_kind_name(PH_NOTIFY_KINDS), NULL);
    ck_assert_int_eq(ph_notify_kind_of("rocketchat"), PH_NOTIFY_SLACK);
    ck_assert_int_eq(ph_notify_kind_of("fax"), -1);
}
END_TEST

START_TEST(notify_bad_lines_are_refused)
{
    notify_refused("a", "needs a channel name and a URL");
    notify_refused("mail https://x.example/", "'mail' is the name");
    notify_refused("bad/name https://x.example/", "1-32 of");
    notify_refused("a ftp://x.example/", "the scheme is not");
    notify_refused("a fax://x.example/", "the scheme is not");
    notify_refused("a ntfy+gopher://x.example/", "the scheme is not");
    notify_refused("a x.example/path", "is not a URL");
    notify_refused("a https://", "with a host");
    notify_refused("a https://u:p@x.example/", "no user or password");
    notify_refused("a https://x.example/#frag", "no #fragment");
    notify_refused("a ntfy://x.example/ kind=slack", "kind=slack, but");
    notify_refused("a https://x.example/ kind=fax", "kind='fax'");
    notify_refused("a https://x.example/ colour=red", "unknown option");
    notify_refused("a https://x.example/ tags", "not an option=value");
    notify_refused("a https://x.example/ timeout=0", "timeout=");
    notify_refused("a https://x.example/ timeout=301", "timeout=");
    notify_refused("a https://x.example/ priority=3", "priority= is for");
    notify_refused("a ntfy://x.example/t priority=6", "takes 1 to 5");
    notify_refused("a pushover:// token-file=t user-file=u priority=2",
                   "takes -2 to 1");
    notify_refused("a https://x.example/ priority=abc", "priority=");
    notify_refused("a https://x.example/ tags=a;b", "tags=");
    notify_refused("a https://x.example/ tags=a", "tags= is for ntfy");
    notify_refused("a https://x.example/ chat=1", "chat= is for telegram");
    notify_refused("a https://x.example/ room=!a:b", "room= is for matrix");
    notify_refused("a https://x.example/ room=abc", "room='abc'");
    notify_refused("a https://x.example/ chat=a;b", "chat='a;b'");
    notify_refused("a gotify://x.example", "gotify needs token-file=");
    notify_refused("a pushover:// token-file=t", "pushover needs");
    notify_refused("a telegram:// chat=1", "telegram needs");
    notify_refused("a matrix://m.example token-file=t", "matrix needs");
    notify_refused("a https://x.example/ kind=slack token-file=t",
                   "the URL is the secret");
    notify_refused("a https://x.example/ user-file=u", "user-file= is for");
    notify_refused("a @", "needs the path");
}
END_TEST

START_TEST(notify_secret_is_the_first_line)
{
    const char *secret = NULL;

    ck_assert_ptr_eq(ph_notify_secret(pool, "abc123\nrest", 11, &secret),
                     NULL);
    ck_assert_str_eq(secret, "abc123");
    ck_assert_ptr_eq(ph_notify_secret(pool, "abc\r\n", 5, &secret), NULL);
    ck_assert_str_eq(secret, "abc");
    ck_assert_ptr_eq(ph_notify_secret(pool, "abc", 3, &secret), NULL);
    ck_assert_ptr_ne(ph_notify_secret(pool, "\nabc", 4, &secret), NULL);
    ck_assert_ptr_ne(ph_notify_secret(pool, "a b\n", 4, &secret), NULL);
    ck_assert_ptr_ne(ph_notify_secret(pool, "a\tb\n", 4, &secret), NULL);
    ck_assert_ptr_ne(ph_notify_secret(pool, "", 0, &secret), NULL);
}
END_TEST

/* One down event for the display name @a disp, as a channel sees it. */
static void notify_msg(ph_mail_t *m, ph_event_t *e, const ph_event_t **ev,
                       const char **disp, int kind)
{
    mail_event(e, kind, "kitchen-pi", T_MAIL);
    *ev = e;
    mail_init(m, 1, ev, disp, NULL);
    m->from = NULL;
}

static const char *req_header(const ph_notify_req_t *r, const char *name)
{
    apr_size_t n = strlen(name);
    int i;

    for (i = 0; i < r->headers->nelts; i++) {
        const char *h = APR_ARRAY_IDX(r->headers, i, const char *);

        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            return h + n + 2;
        }
    }
    return NULL;
}

START_TEST(notify_webhook_json)
{
    const char *disp[1] = { "K\xc3\xbc" "che <Pi> & \"1\"\\" };
    const ph_event_t *ev[1];
    ph_notify_chan_t c;
    ph_notify_req_t r;
    ph_event_t e;
    ph_mail_t m;

    notify_ok(&c, "hook http://127.0.0.1:9/hook token-file=t");
    notify_msg(&m, &e, ev, disp, PH_EV_DOWN);
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.method, "POST");
    ck_assert_str_eq(r.url, "http://127.0.0.1:9/hook");
    ck_assert_str_eq(req_header(&r, "Content-Type"), "application/json");
    ck_assert_str_eq(req_header(&r, "Authorization"), "Bearer tok-SECRET");
    ck_assert_uint_eq(r.len, strlen(r.body));
    ck_assert_str_eq(r.body,
        "{\"version\":1,\"id\":\"1360338901.42.7\",\"event\":\"down\","
        "\"state\":\"down\",\"word\":\"Error\",\"title\":\"Error : "
        "K\xc3\xbc" "che \\u003cPi\\u003e \\u0026 \\\"1\\\"\\\\\","
        "\"text\":\"K\xc3\xbc" "che \\u003cPi\\u003e \\u0026 \\\"1\\\"\\\\ "
        "is now in state: Error\\nFormer state was Good\\nAdditional info: "
        "Last call was 420 seconds ago\\nLast IP: 192.0.2.7\","
        "\"monitor\":\"Raspberry Pi phone home\",\"time\":1360338901,"
        "\"count\":1,\"devices\":[{\"device\":\"kitchen-pi\","
        "\"display\":\"K\xc3\xbc" "che \\u003cPi\\u003e \\u0026 "
        "\\\"1\\\"\\\\\",\"state\":\"down\",\"former\":\"up\","
        "\"time\":1360338901,\"last_seen\":1360338481,\"outage\":null,"
        "\"rebooted\":false,\"remote_ip\":\"192.0.2.7\","
        "\"boot_id\":\"abc-def\",\"uptime\":null,\"skew\":null,"
        "\"max_age\":300,\"info\":\"Last call was 420 seconds ago\"}]}");

    /* Up, with the outage. */
    notify_msg(&m, &e, ev, disp, PH_EV_UP);
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_ptr_ne(strstr(r.body, "\"event\":\"up\",\"state\":\"up\","
                            "\"word\":\"Good\""), NULL);
    ck_assert_ptr_ne(strstr(r.body, "\"former\":\"down\""), NULL);
    ck_assert_ptr_ne(strstr(r.body, "\"outage\":3700,"), NULL);
}
END_TEST

START_TEST(notify_ntfy_headers)
{
    const char *disp[1] = { "Kitchen Pi" };
    const char *utf[1] = { "K\xc3\xbc" "che" };
    const ph_event_t *ev[1];
    ph_notify_chan_t c;
    ph_notify_req_t r;
    ph_event_t e;
    ph_mail_t m;

    notify_ok(&c, "phone ntfy+http://127.0.0.1:9/alerts");
    notify_msg(&m, &e, ev, disp, PH_EV_DOWN);
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.method, "POST");
    ck_assert_str_eq(r.url, "http://127.0.0.1:9/alerts");
    ck_assert_str_eq(req_header(&r, "Title"), "Error : Kitchen Pi");
    ck_assert_str_eq(req_header(&r, "Priority"), "4");
    ck_assert_str_eq(req_header(&r, "Tags"), "warning");
    ck_assert_str_eq(req_header(&r, "Content-Type"),
                     "text/plain; charset=utf-8");
    ck_assert_ptr_eq(req_header(&r, "Authorization"), NULL);
    ck_assert_str_eq(r.body, "Kitchen Pi is now in state: Error\n"
                     "Former state was Good\n"
                     "Additional info: Last call was 420 seconds ago\n"
                     "Last IP: 192.0.2.7");

    notify_msg(&m, &e, ev, utf, PH_EV_UP);
    ph_notify_request(pool, &c, &m, &r);
    /* "Good : Küche" */
    ck_assert_str_eq(req_header(&r, "Title"),
                     "=?UTF-8?B?R29vZCA6IEvDvGNoZQ==?=");
    ck_assert_str_eq(req_header(&r, "Priority"), "3");
    ck_assert_str_eq(req_header(&r, "Tags"), "white_check_mark");

    notify_ok(&c, "phone ntfy://ntfy.sh/a token-file=t priority=5 tags=x,y");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(req_header(&r, "Priority"), "5");
    ck_assert_str_eq(req_header(&r, "Tags"), "x,y");
    ck_assert_str_eq(req_header(&r, "Authorization"), "Bearer tok-SECRET");
}
END_TEST

START_TEST(notify_other_kinds)
{
    const char *disp[1] = { "Kitchen <Pi> & Co" };
    const ph_event_t *ev[1];
    ph_notify_chan_t c;
    ph_notify_req_t r;
    ph_event_t e;
    ph_mail_t m;

    notify_msg(&m, &e, ev, disp, PH_EV_DOWN);

    notify_ok(&c, "g gotify+http://gotify.lan/ token-file=t");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.url, "http://gotify.lan/message");
    ck_assert_str_eq(req_header(&r, "X-Gotify-Key"), "tok-SECRET");
    ck_assert_ptr_ne(strstr(r.body, "\"priority\":8}"), NULL);
    ck_assert_ptr_ne(strstr(r.body, "{\"title\":\"Error : Kitchen "
                            "\\u003cPi\\u003e \\u0026 Co\",\"message\":"),
                     NULL);

    notify_ok(&c, "p pushover:// token-file=t user-file=u");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.url, "https://api.pushover.net/1/messages.json");
    ck_assert_str_eq(req_header(&r, "Content-Type"),
                     "application/x-www-form-urlencoded");
    ck_assert_ptr_ne(strstr(r.body, "token=tok-SECRET&user=usr-SECRET&"
                            "title=Error%20%3A%20Kitchen%20%3CPi%3E%20%26"
                            "%20Co&message=Kitchen%20"), NULL);
    ck_assert_ptr_ne(strstr(r.body, "&priority=1"), NULL);

    notify_ok(&c, "t telegram:// token-file=t chat=-100123");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.url,
                     "https://api.telegram.org/bottok-SECRET/sendMessage");
    ck_assert_str_eq(r.log_url,
                     "https://api.telegram.org/bot***/sendMessage");
    ck_assert_ptr_ne(strstr(r.body, "{\"chat_id\":\"-100123\",\"text\":"
                            "\"Error : Kitchen \\u003cPi\\u003e \\u0026 "
                            "Co\\nKitchen"), NULL);

    notify_ok(&c, "s @/etc/slack.url kind=slack");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.url,
                     "https://hooks.example.com/services/T0/B0/XSECRET");
    ck_assert_str_eq(r.log_url, "https://hooks.example.com/***");
    ck_assert_ptr_ne(strstr(r.body, "{\"text\":\"*Error : Kitchen "
                            "\\u0026lt;Pi\\u0026gt; \\u0026amp; Co*\\n"),
                     NULL);

    notify_ok(&c, "x matrix://matrix.example/ token-file=t "
              "room=!abc:matrix.example");
    ph_notify_request(pool, &c, &m, &r);
    ck_assert_str_eq(r.method, "PUT");
    ck_assert_str_eq(r.url, "https://matrix.example/_matrix/client/v3/rooms/"
                     "%21abc%3Amatrix.example/send/m.room.message/"
                     "phonehome-1360338901.42.7");
    ck_assert_str_eq(req_header(&r, "Authorization"), "Bearer tok-SECRET");
    ck_assert_ptr_ne(strstr(r.body, "{\"msgtype\":\"m.text\",\"body\":"
                            "\"Error : Kitchen"), NULL);
}
END_TEST

START_TEST(notify_digest_text_is_cut)
{
    ph_event_t *e = apr_pcalloc(pool, sizeof(ph_event_t) * 200);
    const ph_event_t **ev = apr_pcalloc(pool, sizeof(ph_event_t *) * 200);
    const char **disp = apr_pcalloc(pool, sizeof(char *) * 200);
    const char *title, *text;
    ph_mail_t m;
    int i;

    for (i = 0; i < 200; i++) {
        mail_event(&e[i], PH_EV_DOWN, apr_psprintf(pool, "site-%d", i),
                   T_MAIL);
        ev[i] = &e[i];
        disp[i] = apr_psprintf(pool, "Site %d", i);
    }
    mail_init(&m, 3, ev, disp, NULL);
    text = ph_notify_text(pool, &m, &title);
    ck_assert_str_eq(title, "Error : 3 devices (Raspberry Pi phone home)");
    ck_assert_str_eq(text, "3 devices are now in state: Error\n"
                     "Site 0: Last call was 420 seconds ago\n"
                     "Site 1: Last call was 420 seconds ago\n"
                     "Site 2: Last call was 420 seconds ago");
    mail_init(&m, 200, ev, disp, NULL);
    text = ph_notify_text(pool, &m, &title);
    ck_assert_uint_le(strlen(text), 3500);
    ck_assert_ptr_ne(strstr(text, " more)"), NULL);
    /* The webhook's JSON lists every device, however many. */
    ck_assert_ptr_ne(strstr(ph_notify_json(pool, &m, "id"),
                            "\"device\":\"site-199\""), NULL);
}
END_TEST

START_TEST(notify_classify_and_retry_after)
{
    apr_time_t now = SEC(1795592886);

    ck_assert_int_eq(ph_notify_classify(200), PH_NOTIFY_SENT);
    ck_assert_int_eq(ph_notify_classify(204), PH_NOTIFY_SENT);
    ck_assert_int_eq(ph_notify_classify(0), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(408), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(429), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(500), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(503), PH_NOTIFY_RETRY);
    ck_assert_int_eq(ph_notify_classify(400), PH_NOTIFY_DEAD);
    ck_assert_int_eq(ph_notify_classify(401), PH_NOTIFY_DEAD);
    ck_assert_int_eq(ph_notify_classify(404), PH_NOTIFY_DEAD);
    ck_assert_int_eq(ph_notify_classify(301), PH_NOTIFY_DEAD);

    ck_assert(ph_notify_retry_after(" 120\r\n", now) == SEC(120));
    ck_assert(ph_notify_retry_after("0", now) == 0);
    ck_assert(ph_notify_retry_after("99999999999999999999", now)
              == SEC(86400));
    ck_assert(ph_notify_retry_after("12abc", now) == -1);
    ck_assert(ph_notify_retry_after("soon", now) == -1);
    ck_assert(ph_notify_retry_after("", now) == -1);
    /* 1795592886 is Wed, 25 Nov 2026 07:48:06 GMT. */
    ck_assert(ph_notify_retry_after(" Wed, 25 Nov 2026 07:49:06 GMT\r\n",
                                    now) == SEC(60));
    ck_assert(ph_notify_retry_after("Wed, 25 Nov 2026 07:00:00 GMT", now)
              == 0);
    ck_assert(ph_notify_retry_after("Wed, 25 Nov 2027 07:00:00 GMT", now)
              == SEC(86400));
}
END_TEST

START_TEST(notify_redact_hides_secrets)
{
    ph_notify_chan_t c;

    notify_ok(&c, "t telegram:// token-file=t chat=1");
    ck_assert_str_eq(ph_notify_redact(pool, &c, "GET /bottok-SECRET/x: "
                                      "tok-SECRET\nagain"),
                     "GET /bot***/x: ***?again");
    notify_ok(&c, "s @/etc/slack.url kind=slack");
    ck_assert_str_eq(ph_notify_redact(pool, &c, "404 for /services/T0/B0/"
                                      "XSECRET"), "404 for ***");
    ck_assert_str_eq(ph_notify_name_check("phone_1-a") ? "bad" : "ok",
                     "ok");
    ck_assert_ptr_ne(ph_notify_name_check(""), NULL);
    ck_assert_ptr_ne(ph_notify_name_check("MAIL"), NULL);
    ck_assert_ptr_ne(ph_notify_name_check(
        "a123456789012345678901234567890123"), NULL);
}
END_TEST

START_TEST(notify_outbox_channel_round_trip)
{
    ph_outbox_item_t item, back;
    const char *text, *why;
    apr_size_t len = 0;

    memset(&item, 0, sizeof(item));
    item.created = APR_INT64_C(1795592886000000);
    item.subject = "Error : Raspberry Pi phone home";
    item.channel = "phone";
    item.message = "ev1 1 2 1795592886000000 raspberrypi 0 0 300 0 0 0 0 0 "
                   "- -\n";
    text = ph_outbox_format(pool, &item, &len);
    ck_assert_str_eq(text, "PHMAIL 1\n"
                     "created 1795592886000000\n"
                     "attempts 0\n"
                     "next 0\n"
                     "subject Error : Raspberry Pi phone home\n"
                     "channel phone\n"
                     "\n"
                     "ev1 1 2 1795592886000000 raspberrypi 0 0 300 0 0 0 0 "
                     "0 - -\n");
    why = ph_outbox_parse(pool, text, len, &back);
    ck_assert_msg(why == NULL, "refused: %s", S(why));
    ck_assert_str_eq(back.channel, "phone");
    ck_assert_int_eq(back.rcpt->nelts, 0);
    ck_assert_str_eq(back.message, item.message);

    assert_outbox_refused("PHMAIL 1\ncreated 1\nchannel a\nrcpt a@b\n\nx",
                          40, "channel and rcpt");
    assert_outbox_refused("PHMAIL 1\ncreated 1\nchannel a\nchannel b\n\nx",
                          41, "two channels");
    assert_outbox_refused("PHMAIL 1\ncreated 1\nchannel mail\n\nx", 34,
                          "channel mail");
}
END_TEST

/* ------------------------------------------------------------------ */
/* ph_rate: token buckets                                              */

START_TEST(rate_bucket_allows_n_then_says_when)
{
    ph_rate_t r = { 3, 0 };
    ph_bucket_state_t b;
    apr_time_t t0 = apr_time_from_sec(1000);

    r.period = apr_time_from_sec(60);
    memset(&b, 0, sizeof(b));
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    /* The fourth waits for one token: 60 s / 3. */
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), apr_time_from_sec(20));
    /* A refusal costs nothing: still 20 s, not more. */
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), apr_time_from_sec(20));
    ck_assert_int_eq(ph_rate_take(&b, &r, t0 + apr_time_from_sec(10)),
                     apr_time_from_sec(10));
    ck_assert_int_eq(ph_rate_take(&b, &r, t0 + apr_time_from_sec(20)), 0);
    ck_assert_int_gt(ph_rate_take(&b, &r, t0 + apr_time_from_sec(20)), 0);
    /* A long pause refills to n, not beyond. */
    t0 += apr_time_from_sec(3600);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_eq(ph_rate_take(&b, &r, t0), 0);
    ck_assert_int_gt(ph_rate_take(&b, &r, t0), 0);
}
END_TEST

START_TEST(rate_steady_client_never_refused)
{
    ph_rate_t r = { 30, 0 };
    ph_bucket_state_t b;
    apr_time_t t = apr_time_from_sec(1000);
    int i;

    r.period = apr_time_from_sec(60);
    memset(&b, 0, sizeof(b));
    /* One beat a second, twice the rate: the 30 in the bucket plus 0.5 a
     * second refilled last 59 beats (30 - 0.5 i >= 1 up to i = 58)... */
    for (i = 0; i < 59; i++) {
        ck_assert_int_eq(ph_rate_take(&b, &r, t + apr_time_from_sec(i)), 0);
    }
    ck_assert_int_eq(ph_rate_take(&b, &r, t + apr_time_from_sec(59)),
                     apr_time_from_sec(1));
    /* ...while one every 2 s (30 a minute) always passes. */
    memset(&b, 0, sizeof(b));
    for (i = 0; i < 1800; i++) {
        ck_assert_int_eq(ph_rate_take(&b, &r, t + apr_time_from_sec(2 * i)),
                         0);
    }
}
END_TEST

START_TEST(rate_off_and_clock_going_back)
{
    ph_rate_t off = { 0, 0 }, r = { 1, 0 };
    ph_bucket_state_t b;
    apr_time_t t = apr_time_from_sec(1000);
    int i;

    memset(&b, 0, sizeof(b));
    for (i = 0; i < 100; i++) {
        ck_assert_int_eq(ph_rate_take(&b, &off, t), 0);
    }
    r.period = apr_time_from_sec(60);
    memset(&b, 0, sizeof(b));
    ck_assert_int_eq(ph_rate_take(&b, &r, t), 0);
    ck_assert_int_gt(ph_rate_take(&b, &r, t), 0);
    /* The server's clock stepped back: start over rather than lock out. */
    ck_assert_int_eq(ph_rate_take(&b, &r, t - apr_time_from_sec(5)), 0);
}
END_TEST

START_TEST(rate_ip_table)
{
    static const unsigned char key[16] = { 1 };
    ph_rate_ip_t *table = apr_pcalloc(pool, sizeof(ph_rate_ip_t)
                                            * PH_RATE_IPS);
    ph_rate_t r = { 20, 60 * APR_USEC_PER_SEC };
    ph_bucket_state_t *a, *b;

    a = ph_rate_ip_bucket(table, key, "192.0.2.1", &r, 1);
    a->milli = 1234;
    a->stamp = 1;
    ck_assert_ptr_eq(ph_rate_ip_bucket(table, key, "192.0.2.1", &r, 2), a);
    ck_assert_uint_eq(ph_rate_ip_bucket(table, key, "192.0.2.1", &r, 2)->milli,
                      1234);
    b = ph_rate_ip_bucket(table, key, "2001:db8::1", &r, 2);
    ck_assert_ptr_ne(b, a);
    ck_assert_uint_eq(a->milli, 1234);
}
END_TEST

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

    tc = tcase(s, "rate");
    tcase_add_test(tc, rate_bucket_allows_n_then_says_when);
    tcase_add_test(tc, rate_steady_client_never_refused);
    tcase_add_test(tc, rate_off_and_clock_going_back);
    tcase_add_test(tc, rate_ip_table);

    tc = tcase(s, "sig");
    tcase_add_test(tc, sig_message_and_vector);
    tcase_add_test(tc, sig_missing_fields_are_empty);
    tcase_add_test(tc, sig_verify);
    tcase_add_test(tc, sig_key_parse);

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

    tc = tcase(s, "fsm");
    tcase_add_test(tc, fsm_up_goes_down_strictly_past_deadline);
    tcase_add_test(tc, fsm_startup_grace_holds_overdue_devices);
    tcase_add_test(tc, fsm_declared_device_never_heard_from);
    tcase_add_test(tc, fsm_beat_brings_a_down_device_back_up);
    tcase_add_test(tc, fsm_first_beat_reported_only_when_asked);
    tcase_add_test(tc, fsm_due_exactly_when_a_step_does_something);

    tc = tcase(s, "event");
    tcase_add_test(tc, event_from_device_copies_the_facts);
    tcase_add_test(tc, event_format_parse_round_trip);
    tcase_add_test(tc, event_parse_refuses_bad_lines);
    tcase_add_test(tc, event_json_and_word);

    tc = tcase(s, "mail");
    tcase_add_test(tc, mail_single_down_event);
    tcase_add_test(tc, mail_down_never_heard_from);
    tcase_add_test(tc, mail_up_after_never_heard_from);
    tcase_add_test(tc, mail_date_has_a_numeric_zone);
    tcase_add_test(tc, mail_single_up_event);
    tcase_add_test(tc, mail_digest_of_three);
    tcase_add_test(tc, mail_utf8_subject_is_encoded);
    tcase_add_test(tc, mail_long_utf8_subject_is_split_and_folded);
    tcase_add_test(tc, mail_to_is_folded);
    tcase_add_test(tc, mail_duration);

    tc = tcase(s, "outbox");
    tcase_add_test(tc, outbox_format_parse_round_trip);
    tcase_add_test(tc, outbox_subject_and_error_are_one_line);
    tcase_add_test(tc, outbox_parse_refuses);
    tcase_add_test(tc, outbox_backoff);

    tc = tcase(s, "notify");
    tcase_add_test(tc, conf_device_notify_option);
    tcase_add_test(tc, notify_kind_from_scheme_or_option);
    tcase_add_test(tc, notify_bad_lines_are_refused);
    tcase_add_test(tc, notify_secret_is_the_first_line);
    tcase_add_test(tc, notify_webhook_json);
    tcase_add_test(tc, notify_ntfy_headers);
    tcase_add_test(tc, notify_other_kinds);
    tcase_add_test(tc, notify_digest_text_is_cut);
    tcase_add_test(tc, notify_classify_and_retry_after);
    tcase_add_test(tc, notify_redact_hides_secrets);
    tcase_add_test(tc, notify_outbox_channel_round_trip);

    tc = tcase(s, "snapshot");
    tcase_add_test(tc, snapshot_round_trip);
    tcase_add_test(tc, snapshot_decode_refuses);
    tcase_add_test(tc, snapshot_freshness);
    tcase_add_test(tc, snapshot_due_only_when_something_changed);

    tc = tcase(s, "spool");
    tcase_add_unchecked_fixture(tc, spool_base_setup, spool_base_teardown);
    tcase_add_checked_fixture(tc, spool_setup, spool_teardown);
    tcase_add_test(tc, spool_write_and_read);
    tcase_add_test(tc, spool_list_sorted_by_suffix);
    tcase_add_test(tc, spool_move_and_remove);

    return s;
}

Suite *test_tls_suite(void);
Suite *test_clock_suite(void);
Suite *test_view_suite(void);
Suite *test_security_suite(void);

int main(void)
{
    SRunner *sr = srunner_create(core_suite());
    int failed;

    srunner_add_suite(sr, test_tls_suite());
    srunner_add_suite(sr, test_clock_suite());
    srunner_add_suite(sr, test_view_suite());
    srunner_add_suite(sr, test_security_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
