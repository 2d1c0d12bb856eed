/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Fuzz target: the outbox reader.  The input is an outbox file, given to
 * ph_outbox_parse in memory of exactly its size (no NUL after it).  When
 * it is taken, the fields are sane; ph_outbox_format and a second parse
 * give the same fields (the subject and error made one line, as the
 * writer does); and the second file formats to itself.  A file is a mail
 * (recipients) or a channel's notification (a channel name), never both.
 */

#include <string.h>

#include <apr_strings.h>

#include "fuzz.h"
#include "ph_conf.h"
#include "ph_notify.h"
#include "ph_outbox.h"
#include "ph_text.h"

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void check_item(apr_pool_t *p, const ph_outbox_item_t *item)
{
    int i;

    PH_FUZZ_CHECK(item->created >= 0 && item->next >= 0);
    PH_FUZZ_CHECK(item->attempts <= 1000000);
    PH_FUZZ_CHECK(item->subject != NULL);
    PH_FUZZ_CHECK(strchr(item->subject, '\n') == NULL);
    PH_FUZZ_CHECK(item->error == NULL || strchr(item->error, '\n') == NULL);
    /* A mail has recipients, a channel's notification a channel name. */
    PH_FUZZ_CHECK(item->rcpt != NULL
                  && (item->rcpt->nelts > 0) != (item->channel != NULL));
    PH_FUZZ_CHECK(item->channel == NULL
                  || ph_notify_name_check(item->channel) == NULL);
    for (i = 0; i < item->rcpt->nelts; i++) {
        PH_FUZZ_CHECK(ph_conf_address(p, APR_ARRAY_IDX(item->rcpt, i,
                                                       const char *))
                      == NULL);
    }
    PH_FUZZ_CHECK(item->message != NULL && *item->message != '\0');
}

static void check_same(const ph_outbox_item_t *a, const ph_outbox_item_t *b,
                       apr_pool_t *p)
{
    int i;

    PH_FUZZ_CHECK(b->created == a->created && b->next == a->next);
    PH_FUZZ_CHECK(b->attempts == a->attempts);
    PH_FUZZ_CHECK(same(b->subject, ph_text_oneline(p, a->subject)));
    PH_FUZZ_CHECK(same(b->error, a->error ? ph_text_oneline(p, a->error)
                                          : NULL));
    PH_FUZZ_CHECK(same(b->channel, a->channel));
    PH_FUZZ_CHECK(b->rcpt->nelts == a->rcpt->nelts);
    for (i = 0; i < a->rcpt->nelts; i++) {
        PH_FUZZ_CHECK(strcmp(APR_ARRAY_IDX(b->rcpt, i, const char *),
                             APR_ARRAY_IDX(a->rcpt, i, const char *)) == 0);
    }
    PH_FUZZ_CHECK(strcmp(b->message, a->message) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = ph_fuzz_pool();
    ph_outbox_item_t item, back, again;
    const char *text, *text2, *why;
    apr_size_t len = 0, len2 = 0;
    apr_interval_time_t wait;

    why = ph_outbox_parse(p, ph_fuzz_copy(p, data, size), size, &item);
    if (why) {
        ph_fuzz_check_reason(why);
        apr_pool_destroy(p);
        return 0;
    }
    check_item(p, &item);

    text = ph_outbox_format(p, &item, &len);
    PH_FUZZ_CHECK(len == strlen(text));
    why = ph_outbox_parse(p, ph_fuzz_copy(p, (const uint8_t *)text, len),
                          len, &back);
    PH_FUZZ_CHECK(why == NULL);
    check_item(p, &back);
    check_same(&item, &back, p);

    text2 = ph_outbox_format(p, &back, &len2);
    PH_FUZZ_CHECK(len2 == len && memcmp(text, text2, len) == 0);
    PH_FUZZ_CHECK(ph_outbox_parse(p, text2, len2, &again) == NULL);

    wait = ph_outbox_backoff(item.attempts, apr_time_from_sec(3600));
    PH_FUZZ_CHECK(wait > 0 && wait <= apr_time_from_sec(3600));
    apr_pool_destroy(p);
    return 0;
}
