/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The runner of the core's unit tests (mod_phonehome/ph_*.c): one suite a
 * unit, each in t/unit/test_<unit>.c.  No httpd is involved: only APR,
 * APR-util, OpenSSL's libcrypto and Check (the spool tests use a fresh
 * directory under /tmp).  CK_RUN_SUITE=name runs one suite.
 *
 * Run: make t/unit/test_core && ./t/unit/test_core
 */

#include <stdlib.h>

#include <check.h>

#define PH_SUITES(X) \
    X(rate) X(sig) X(name) X(beat) X(table) X(text) X(conf) X(device) \
    X(fsm) X(event) X(mail) X(outbox) X(notify) X(snapshot) X(spool) \
    X(tls) X(clock) X(view) X(security) X(downtime) \
    X(admin) X(beatto) X(lease) X(memq) X(flap)

#define PH_DECLARE(u) Suite *test_##u##_suite(void);
PH_SUITES(PH_DECLARE)

int main(void)
{
    SRunner *sr = srunner_create(NULL);
    int failed;

#define PH_ADD(u) srunner_add_suite(sr, test_##u##_suite());
    PH_SUITES(PH_ADD)
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
