/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Unit tests of the client's parsers: the options, the config file, the
 * URLs and the device they name, the server's answers and the seq's
 * resync bound.  No network: nothing here sends a beat.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ph_wire.h"
#include "phonehome_cfg.h"
#include "phonehome_msgs.h"
#include "phonehome_opts.h"
#include "phonehome_reply.h"
#include "phonehome_state.h"
#include "phonehome_url.h"

/* Messages go to a buffer, so a test can read the one line printed. */
static char *out_buf;
static size_t out_len;
static FILE *out;

static void capture(void)
{
    free(out_buf);
    out_buf = NULL;
    out = open_memstream(&out_buf, &out_len);
    msg_output(out);
    msg_setup(0, 0, 0);
}

static const char *printed(void)
{
    fflush(out);
    return out_buf ? out_buf : "";
}

/* What was printed is one line, as every refusal must be. */
static int one_line(void)
{
    const char *p = printed(), *nl = strchr(p, '\n');

    return nl != NULL && nl[1] == '\0';
}

static void release(void)
{
    msg_output(NULL);
    fclose(out);
    free(out_buf);
    out_buf = NULL;
}

/* Scan and apply a command line, as main does; the exit status or -1. */
static int cmdline(settings_t *set, int argc, const char **argv)
{
    arg_t args[32];
    const char *config = NULL;
    int nargs = 0, i, st;

    settings_init(set);
    st = opts_scan(argc, (char **)argv, args, &nargs, &config);
    if (st >= 0) {
        return st;
    }
    for (i = 0; i < nargs; i++) {
        if (!opts_apply(set, args[i].opt, args[i].value, args[i].opt->name,
                        1)) {
            return EXIT_USAGE;
        }
    }
    return -1;
}

START_TEST(opts_curl_names)
{
    settings_t set;
    const char *argv[] = { "phonehome", "-sS", NULL };
    const char *good[] = { "phonehome", "-s", "-S", "-x", "http://p:3128",
                           "--noproxy", "*", "-H", "X-A: 1", "-H", "X-B: 2",
                           "--resolve", "h:80:127.0.0.1", "-u", "u:p",
                           "--interface", "lo", "-E", "c.pem", "--key",
                           "k.pem", "--capath", "/etc/ssl/certs",
                           "--retry-delay", "2", "--retry-max-time", "30",
                           "--reset-seq", "http://a/x", "http://b/x", NULL };

    capture();
    ck_assert_int_eq(cmdline(&set, (int)(sizeof(good) / sizeof(good[0])) - 1, good), -1);
    ck_assert_int_eq(set.silent, 1);
    ck_assert_int_eq(set.show_error, 1);
    ck_assert_str_eq(set.proxy, "http://p:3128");
    ck_assert_str_eq(set.noproxy, "*");
    ck_assert_int_eq(set.headers.n, 2);
    ck_assert_str_eq(set.headers.v[1], "X-B: 2");
    ck_assert_str_eq(set.resolves.v[0], "h:80:127.0.0.1");
    ck_assert_str_eq(set.user, "u:p");
    ck_assert_str_eq(set.iface, "lo");
    ck_assert_str_eq(set.cert, "c.pem");
    ck_assert_str_eq(set.cert_key, "k.pem");
    ck_assert_str_eq(set.capath, "/etc/ssl/certs");
    ck_assert(set.retry_delay == 2 && set.retry_max_time == 30);
    ck_assert_int_eq(set.reset_seq, 1);
    ck_assert_int_eq(set.urls.n, 2);
    ck_assert_str_eq(set.urls.v[0], "http://a/x");
    ck_assert_str_eq(set.urls.v[1], "http://b/x");
    settings_free(&set);
    /* Letters do not bundle: -sS is one unknown option, as it says. */
    ck_assert_int_eq(cmdline(&set, 2, argv), EXIT_USAGE);
    ck_assert_ptr_nonnull(strstr(printed(), "unknown option '-sS'"));
    settings_free(&set);
    release();
}
END_TEST

START_TEST(opts_q_is_gone)
{
    settings_t set;
    const char *argv[] = { "phonehome", "-q", "http://a/x", NULL };

    capture();
    ck_assert_int_eq(cmdline(&set, 3, argv), EXIT_USAGE);
    ck_assert_ptr_nonnull(strstr(printed(), "-q is gone"));
    ck_assert_ptr_nonnull(strstr(printed(), "--silent"));
    ck_assert(one_line());
    settings_free(&set);
    release();
}
END_TEST

START_TEST(opts_bad_values)
{
    static const char *bad[][3] = {
        { "--max-time", "soon", "max-time: 'soon' is not 0.001-86400" },
        { "--interval", "0.001", "is not 0.01-86400 seconds" },
        { "--retry", "2.5", "is not a whole number 0-100" },
        { "--retry-delay", "-1", "retry-delay: '-1' is not 0-86400" },
        { "--header", "nocolon", "is not 'Name: value'" },
        { "--location", "raspberrypiPhoneHome", "is not a path" },
        { "--device", "", "the value is empty" },
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        settings_t set;
        const char *argv[] = { "phonehome", bad[i][0], bad[i][1], NULL };

        capture();
        ck_assert_int_eq(cmdline(&set, 3, argv), EXIT_USAGE);
        ck_assert_msg(strstr(printed(), bad[i][2]) != NULL, "%s %s: %s",
                      bad[i][0], bad[i][1], printed());
        settings_free(&set);
        release();
    }
}
END_TEST

START_TEST(opts_missing_value)
{
    settings_t set;
    const char *argv[] = { "phonehome", "--proxy", NULL };
    const char *flag[] = { "phonehome", "--silent=yes", NULL };

    capture();
    ck_assert_int_eq(cmdline(&set, 2, argv), EXIT_USAGE);
    ck_assert_str_eq(printed(), "phonehome: --proxy needs a value\n");
    settings_free(&set);
    release();
    capture();
    ck_assert_int_eq(cmdline(&set, 2, flag), EXIT_USAGE);
    ck_assert_str_eq(printed(), "phonehome: --silent takes no value\n");
    settings_free(&set);
    release();
}
END_TEST

static int cfg(settings_t *set, const char *text)
{
    char line[4096];

    strcpy(line, text);
    return cfg_line(set, line, "f:1: ");
}

START_TEST(cfg_lines)
{
    settings_t set;

    capture();
    settings_init(&set);
    ck_assert(cfg(&set, "# a comment\n"));
    ck_assert(cfg(&set, "   \n"));
    ck_assert(cfg(&set, "url http://a/raspberrypiPhoneHome\n"));
    ck_assert(cfg(&set, "--url=http://b/raspberrypiPhoneHome\r\n"));
    ck_assert(cfg(&set, "  header  X-Who: me  \n"));
    ck_assert(cfg(&set, "silent yes\n"));
    ck_assert(cfg(&set, "show-error\n"));
    ck_assert(cfg(&set, "verbose off\n"));
    ck_assert_int_eq(set.urls.n, 2);
    ck_assert_str_eq(set.urls.v[1], "http://b/raspberrypiPhoneHome");
    ck_assert_str_eq(set.headers.v[0], "X-Who: me");
    ck_assert(set.silent && set.show_error && !set.verbose);
    ck_assert_str_eq(printed(), "");
    /* The command line's URLs replace the file's; a second one adds. */
    ck_assert(opts_apply(&set, opts_find_long("url", 3), "http://c/x",
                         "--url", 1));
    ck_assert(opts_apply(&set, opts_find_long("url", 3), "http://d/x",
                         "--url", 1));
    ck_assert_int_eq(set.urls.n, 2);
    ck_assert_str_eq(set.urls.v[0], "http://c/x");
    settings_free(&set);
    release();
}
END_TEST

START_TEST(cfg_bad_lines)
{
    static const char *bad[][2] = {
        { "colour blue\n", "f:1: unknown option 'colour'" },
        { "quiet\n", "f:1: quiet is gone: use silent" },
        { "max-time\n", "f:1: max-time needs a value" },
        { "max-time soon\n", "f:1: max-time: 'soon' is not" },
        { "verbose perhaps\n", "f:1: verbose: 'perhaps' is not yes or no" },
        { "help\n", "f:1: help: not possible in a config file" },
        { "config /etc/x\n", "f:1: config: not possible in a config file" },
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        settings_t set;

        capture();
        settings_init(&set);
        ck_assert_msg(!cfg(&set, bad[i][0]), "%s", bad[i][0]);
        ck_assert_msg(strstr(printed(), bad[i][1]) != NULL, "%s: %s",
                      bad[i][0], printed());
        settings_free(&set);
        release();
    }
}
END_TEST

START_TEST(cfg_file_lines_counted)
{
    settings_t set;
    char path[] = "/tmp/test_client.XXXXXX";
    FILE *f;
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    fputs("# phonehome.conf\n\ndevice a-pi\nretry many\n", f);
    fclose(f);
    capture();
    settings_init(&set);
    ck_assert(!cfg_read(&set, path));
    ck_assert_ptr_nonnull(strstr(printed(), ":4: retry: 'many'"));
    ck_assert_str_eq(set.device, "a-pi");
    settings_free(&set);
    release();
    unlink(path);
    capture();
    settings_init(&set);
    ck_assert(!cfg_read(&set, path));
    ck_assert_ptr_nonnull(strstr(printed(), "cannot read config file"));
    settings_free(&set);
    release();
}
END_TEST

static void text_reply(reply_t *r, const char *body)
{
    memset(r, 0, sizeof(*r));
    reply_on_body((char *)body, 1, strlen(body), r);
}

START_TEST(reply_409_parsed)
{
    reply_t r;
    unsigned long long last = 0;

    text_reply(&r, "replayed or old beat: seq 5 is not above 1234\n");
    ck_assert(reply_last_seq(&r, "text/plain; charset=utf-8", 5, &last));
    ck_assert(last == 1234ULL);
    /* The largest seq parses; whether to believe it is the bound's. */
    text_reply(&r, "replayed or old beat: seq 7 is not above "
               "9223372036854775807\n");
    ck_assert(reply_last_seq(&r, "text/plain", 7, &last));
    ck_assert(last == 9223372036854775807ULL);
}
END_TEST

START_TEST(reply_409_refused)
{
    static const char *bad[] = {
        "replayed or old beat: seq 6 is not above 1234\n",  /* not our seq */
        "replayed or old beat: seq 5 is not above 3\n",     /* below ours */
        "replayed or old beat: seq 5 is not above -1\n",
        "replayed or old beat: seq 5 is not above 99999999999999999999999\n",
        "replayed or old beat: seq 5 is not above 1234 or so\n",
        "replayed or old beat: seq 5 is not above \n",
        "Please: not above 1234\n",
        "",
    };
    reply_t r;
    unsigned long long last = 42;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        text_reply(&r, bad[i]);
        ck_assert_msg(!reply_last_seq(&r, "text/plain", 5, &last), "%s",
                      bad[i]);
    }
    text_reply(&r, "replayed or old beat: seq 5 is not above 1234\n");
    ck_assert(!reply_last_seq(&r, "text/html", 5, &last));
    ck_assert(!reply_last_seq(&r, NULL, 5, &last));
    ck_assert(last == 42);
}
END_TEST

START_TEST(reply_reason_printable)
{
    reply_t r;
    char out[REASON_MAX + 8];
    char line[] = "HTTP/1.1 418 I'm a teapot\r\n";

    text_reply(&r, "bad\x01thing\nsecond line\n");
    reply_reason(&r, "text/plain", out, sizeof(out));
    ck_assert_str_eq(out, "bad?thing");
    text_reply(&r, "<html><body>no</body></html>");
    reply_on_header(line, 1, strlen(line), &r);
    reply_reason(&r, "text/html", out, sizeof(out));
    ck_assert_str_eq(out, "I'm a teapot");
}
END_TEST

START_TEST(seq_resync_bound)
{
    unsigned long long now = 1700000000000ULL;

    ck_assert(state_resync_ok(now + 1000, now));
    ck_assert(state_resync_ok(now + PH_SEQ_RESYNC_MARGIN_MS - 1, now));
    ck_assert(!state_resync_ok(now + PH_SEQ_RESYNC_MARGIN_MS, now));
    ck_assert(!state_resync_ok(9223372036854775807ULL, now));
}
END_TEST

START_TEST(seq_at_least_clock)
{
    seq_state_t st;
    unsigned long long before = state_now_ms(), a, b;

    memset(&st, 0, sizeof(st));
    st.path = (char *)"/nonexistent-dir/seq";
    capture();
    a = state_next(&st);
    b = state_next(&st);
    ck_assert(a >= before);
    ck_assert(b > a);
    /* A bounded resync moves it up; the next seq is above the claim. */
    ck_assert(state_resync(&st, before + 5000, before));
    ck_assert(state_next(&st) == before + 5001);
    ck_assert(!state_resync(&st, 9223372036854775807ULL, before));
    ck_assert(state_next(&st) == before + 5002);
    release();
}
END_TEST

START_TEST(url_device_rule)
{
    char *d;

    ck_assert(url_path_device("/raspberrypiPhoneHome/vault", NULL, &d));
    ck_assert_str_eq(d, "vault");
    free(d);
    ck_assert(url_path_device("/raspberrypiPhoneHome//vault/x", NULL, &d));
    ck_assert_str_eq(d, "vault");
    free(d);
    ck_assert(url_path_device("/raspberrypiPhoneHome", NULL, &d));
    ck_assert_ptr_null(d);
    ck_assert(url_path_device("/raspberrypiPhoneHome/", NULL, &d));
    ck_assert_ptr_null(d);
    ck_assert(url_path_device("/mon/beat/vault", "/mon/beat/", &d));
    ck_assert_str_eq(d, "vault");
    free(d);
    ck_assert(url_path_device("/mon/beat", "/mon/beat", &d));
    ck_assert_ptr_null(d);
    ck_assert(!url_path_device("/mon/beats/vault", "/mon/beat", &d));
    ck_assert(!url_path_device("/other/vault", "/mon/beat", &d));
    d = url_query_device("a=1&device=k%69tchen&b=2");
    ck_assert_str_eq(d, "kitchen");
    free(d);
    ck_assert_ptr_null(url_query_device("devices=x&1359860402"));
}
END_TEST

/* url_targets with these options and URLs: the exit status and device. */
static int targets(const char *device, const char *u1, const char *u2,
                   char **dev, target_t *t, int *n)
{
    settings_t set;
    int st;

    settings_init(&set);
    if (device) {
        set.device = strdup(device);
    }
    set.urls.v[set.urls.n++] = strdup(u1);
    if (u2) {
        set.urls.v[set.urls.n++] = strdup(u2);
    }
    *dev = NULL;
    st = url_targets(&set, t, n, dev);
    settings_free(&set);
    return st;
}

START_TEST(url_targets_agree)
{
    target_t t[LIST_MAX];
    char *dev;
    int n;

    capture();
    ck_assert_int_eq(targets(NULL, "http://h/raspberrypiPhoneHome/vault",
                             NULL, &dev, t, &n), EXIT_OK);
    ck_assert_str_eq(dev, "vault");
    ck_assert_int_eq(t[0].add_device, 0);
    url_targets_free(t, n);
    free(dev);
    ck_assert_int_eq(targets(NULL, "http://h/raspberrypiPhoneHome?device=vault",
                             "https://h2/raspberrypiPhoneHome", &dev, t, &n),
                     EXIT_OK);
    ck_assert_str_eq(dev, "vault");
    ck_assert_int_eq(t[0].add_device, 0);
    ck_assert_int_eq(t[1].add_device, 1);       /* the second says device= */
    url_targets_free(t, n);
    free(dev);
    ck_assert_int_eq(targets(NULL, "http://h/raspberrypiPhoneHome", NULL,
                             &dev, t, &n), EXIT_OK);
    ck_assert_str_eq(dev, PH_DEFAULT_DEVICE);
    ck_assert_int_eq(t[0].add_device, 0);
    url_targets_free(t, n);
    free(dev);
    ck_assert_int_eq(targets("vault", "http://h/raspberrypiPhoneHome/vault",
                             NULL, &dev, t, &n), EXIT_OK);
    url_targets_free(t, n);
    free(dev);
    ck_assert_str_eq(printed(), "");
    release();
}
END_TEST

START_TEST(url_targets_contradict)
{
    static const char *bad[][4] = {
        { "kitchen", "http://h/raspberrypiPhoneHome/vault", NULL,
          "names device vault, but --device names kitchen" },
        { NULL, "http://h/raspberrypiPhoneHome/vault?device=kitchen", NULL,
          "the path names device vault, device= names kitchen" },
        { NULL, "http://h/raspberrypiPhoneHome/vault",
          "http://h2/raspberrypiPhoneHome/cellar", "names device cellar" },
        { NULL, "ftp://h/raspberrypiPhoneHome", NULL,
          "ftp://h/raspberrypiPhoneHome: not an http:// or https:// URL" },
        { NULL, "http://h/raspberrypiPhoneHome", "file:///etc/passwd",
          "file:///etc/passwd: not an http" },
        { NULL, "http://h h/x", NULL, "not a valid URL" },
    };
    target_t t[LIST_MAX];
    char *dev;
    int n;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        capture();
        ck_assert_int_eq(targets(bad[i][0], bad[i][1], bad[i][2], &dev, t,
                                 &n), EXIT_USAGE);
        ck_assert_msg(strstr(printed(), bad[i][3]) != NULL, "%s: %s",
                      bad[i][1], printed());
        ck_assert(one_line());
        ck_assert_ptr_null(dev);
        ck_assert_int_eq(n, 0);
        release();
    }
}
END_TEST

START_TEST(msgs_silent)
{
    capture();
    msg_setup(1, 0, 0);
    errorf("hidden");
    notef("hidden too");
    usagef("bad input shows");
    msg_setup(1, 1, 0);
    errorf("-sS shows");
    ck_assert_str_eq(printed(), "phonehome: bad input shows\n"
                     "phonehome: -sS shows\n");
    release();
}
END_TEST

static Suite *test_client_suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("parsers");

    tcase_add_test(tc, opts_curl_names);
    tcase_add_test(tc, opts_q_is_gone);
    tcase_add_test(tc, opts_bad_values);
    tcase_add_test(tc, opts_missing_value);
    tcase_add_test(tc, cfg_lines);
    tcase_add_test(tc, cfg_bad_lines);
    tcase_add_test(tc, cfg_file_lines_counted);
    tcase_add_test(tc, reply_409_parsed);
    tcase_add_test(tc, reply_409_refused);
    tcase_add_test(tc, reply_reason_printable);
    tcase_add_test(tc, seq_resync_bound);
    tcase_add_test(tc, seq_at_least_clock);
    tcase_add_test(tc, url_device_rule);
    tcase_add_test(tc, url_targets_agree);
    tcase_add_test(tc, url_targets_contradict);
    tcase_add_test(tc, msgs_silent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(test_client_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
