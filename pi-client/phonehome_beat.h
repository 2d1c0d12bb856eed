/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * One beat: the request (device, t, boot, up, seq and sig), libcurl set up
 * from the options, the URLs tried in order, and the 409 resync.
 */

#ifndef PHONEHOME_BEAT_H
#define PHONEHOME_BEAT_H

#include <curl/curl.h>

#include "ph_wire.h"
#include "phonehome_opts.h"
#include "phonehome_reply.h"
#include "phonehome_state.h"
#include "phonehome_url.h"

typedef struct {
    const settings_t  *set;
    CURL              *curl;
    struct curl_slist *headers;
    struct curl_slist *resolves;
    target_t           targets[LIST_MAX];
    int                ntargets;
    char              *device;      /* the name signed */
    seq_state_t        seq;
    char               key[PH_KEY_MAX + 1];
    size_t             keylen;
    int                daemon;
    long               code;        /* HTTP status of the last answer */
    reply_t            reply;
    char               error[CURL_ERROR_SIZE];
} client_t;

/**
 * Everything a beat needs from the settings: the URLs and the device, the
 * key, the state file, the files the options name, libcurl.  Returns
 * EXIT_OK, or an exit status after a message.
 */
int beat_setup(client_t *c, const settings_t *set);

void beat_cleanup(client_t *c);

/** One beat, trying each URL in turn.  Returns an exit status. */
int beat_send(client_t *c);

/** Whether a failed beat may go better soon: the network, 429 and 5xx. */
int beat_worth_retrying(const client_t *c, int status);

/** Whether SIGTERM or SIGINT waits (a daemon blocks them). */
int beat_stop_requested(void);

#endif /* PHONEHOME_BEAT_H */
