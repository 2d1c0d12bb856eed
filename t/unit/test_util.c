/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* The unit tests' fixture and shared helpers (test_util.h). */

#include "test_util.h"

apr_pool_t *pool;

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

TCase *ph_test_tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return tc;
}

char *repeat(char c, apr_size_t n)
{
    char *s = apr_palloc(pool, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

int has_control(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7F) {
            return 1;
        }
    }
    return 0;
}

/* Parse @a args into a zeroed beat; the reason, or NULL. */
const char *parse1(ph_beat_t *b, const char *args)
{
    memset(b, 0, sizeof(*b));
    return ph_beat_parse(b, args, pool);
}

/* A zeroed slot holding @a name, as ph_table_add leaves it, plus the
 * configuration the watchdog refreshes. */
void dev_init(ph_device_t *d, const char *name, apr_uint32_t max_age,
              apr_uint16_t flags)
{
    memset(d, 0, sizeof(*d));
    apr_cpystrn(d->name, name, sizeof(d->name));
    d->version = PH_DEVICE_VERSION;
    d->max_age = max_age;
    d->flags = flags;
}

/* Record a beat with the query @a args at @a now. */
void dev_beat(ph_device_t *d, const char *args, apr_time_t now)
{
    ph_beat_t b;
    const char *why = parse1(&b, args);

    ck_assert_msg(why == NULL, "'%s' refused: %s", args, S(why));
    ph_device_record_beat(d, &b, now, now, "192.0.2.7", "test");
}

/* An event as the watchdog hands it over: @a kind of @a name at @a now,
 * last heard 420 s before, after a gap of 3700 s. */
void mail_event(ph_event_t *e, int kind, const char *name, apr_time_t now)
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
apr_array_header_t *rcpt_list(const char *const *a)
{
    apr_array_header_t *to = apr_array_make(pool, 2, sizeof(const char *));

    for (; *a; a++) {
        APR_ARRAY_PUSH(to, const char *) = *a;
    }
    return to;
}

const char *const two_rcpt[] = {
    "me@example.com", "9085551234@vtext.com", NULL
};

/* A mail of @a n events to @a to, as the mailer fills it in. */
void mail_init(ph_mail_t *m, int n, const ph_event_t *const *events,
               const char *const *displays, const apr_array_header_t *to)
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

/* Parse @a text (all of it), expecting a refusal. */
void assert_outbox_refused(const char *text, apr_size_t len,
                           const char *what)
{
    ph_outbox_item_t item;
    const char *why = ph_outbox_parse(pool, text, len, &item);

    ck_assert_msg(why != NULL, "%s should be refused", what);
    ck_assert_msg(*why && !has_control(why), "%s: reason", what);
}
