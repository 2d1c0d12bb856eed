/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Writes the snapshot seeds that depend on the record layout into a
 * directory: good snapshots, and the ways a real one goes bad (cut short,
 * another version, a wrong count, a flipped byte, a bad name under a good
 * checksum).  Run it after a change to ph_device_t:
 *
 *     bench/fuzz.sh --snapshot-seeds
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "ph_beat.h"
#include "ph_device.h"
#include "ph_snapshot.h"

#define SEC(s) apr_time_from_sec(s)

static apr_pool_t *pool;
static const char *dir;

static void put(const char *name, const char *buf, apr_size_t len)
{
    const char *path = apr_pstrcat(pool, dir, "/", name, NULL);
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "snapshot_seeds: cannot write %s\n", path);
        exit(1);
    }
}

static void dev(ph_device_t *d, const char *name, const char *args,
                apr_time_t now)
{
    ph_beat_t b;

    memset(d, 0, sizeof(*d));
    apr_cpystrn(d->name, name, sizeof(d->name));
    d->version = PH_DEVICE_VERSION;
    d->max_age = 300;
    memset(&b, 0, sizeof(b));
    if (ph_beat_parse(&b, args, pool) != NULL) {
        fprintf(stderr, "snapshot_seeds: '%s' refused\n", args);
        exit(1);
    }
    ph_device_record_beat(d, &b, now, now, "192.0.2.7", "curl/7.88.1");
}

/* @a buf with the 32-bit number at @a at (after the 8-byte magic: version,
 * record size, count) set to @a v. */
static char *patch32(const char *buf, apr_size_t len, apr_size_t at,
                     apr_uint32_t v)
{
    char *copy = apr_pmemdup(pool, buf, len);

    memcpy(copy + at, &v, sizeof(v));
    return copy;
}

int main(int argc, char **argv)
{
    ph_device_t d[4];
    const char *buf;
    char *bad;
    apr_size_t len, hlen;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    apr_initialize();
    apr_pool_create(&pool, NULL);

    dev(&d[0], "kitchen-pi", "t=1700000000&boot=5e2f64b9-0961-492c-8f4c-"
        "f01abadc085b&up=12345.67&seq=7", SEC(1700000001));
    memset(&d[1], 0, sizeof(d[1]));             /* a free slot */
    dev(&d[2], "raspberrypi", "1359860402", SEC(1359860400));
    d[2].state = d[2].reported = PH_STATE_DOWN;
    dev(&d[3], "n23456789012345678901234567890123456789012345678901234567"
        "890123", "", SEC(5));

    buf = ph_snapshot_encode(pool, d, 0, SEC(5), &hlen);
    put("valid-empty", buf, hlen);
    buf = ph_snapshot_encode(pool, d, 1, SEC(1700000002), &len);
    put("valid-one", buf, len);
    buf = ph_snapshot_encode(pool, d, 4, SEC(1700000002), &len);
    put("valid-four-with-free-slot", buf, len);

    put("bad-header-short", buf, hlen - 1);
    put("bad-header-magic-only", buf, 8);
    put("bad-one-byte-short", buf, len - 1);
    put("bad-one-record-short", buf, len - sizeof(ph_device_t));
    put("bad-version", patch32(buf, len, 8, PH_DEVICE_VERSION + 1), len);
    put("bad-record-size", patch32(buf, len, 12,
                                   (apr_uint32_t)sizeof(ph_device_t) + 8),
        len);
    put("bad-count-high", patch32(buf, len, 16, 5), len);
    put("bad-count-huge", patch32(buf, len, 16, 0xFFFFFFFFu), len);
    bad = apr_pmemdup(pool, buf, len);
    bad[len - 1] ^= 0x80;
    put("bad-checksum", bad, len);

    apr_cpystrn(d[2].name, "../etc/passwd", sizeof(d[2].name));
    buf = ph_snapshot_encode(pool, d, 4, SEC(1700000002), &len);
    put("bad-name-good-checksum", buf, len);
    memset(d[2].name, 'a', sizeof(d[2].name));  /* no NUL in the name */
    buf = ph_snapshot_encode(pool, d, 4, SEC(1700000002), &len);
    put("unterminated-name", buf, len);

    apr_terminate();
    return 0;
}
