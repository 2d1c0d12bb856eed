/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* ph_tls: what a certificate problem is called, and CA file checks. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include <openssl/x509_vfy.h>

#include "ph_tls.h"

Suite *test_tls_suite(void);

/* A certificate for file checks only (never used to verify anything). */
static const char unit_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdTCCARugAwIBAgIUdVM9kvXhhr0upOmBSdul/ZZOsgkwCgYIKoZIzj0EAwIw\n"
    "DzENMAsGA1UEAwwEdW5pdDAgFw0yNjEyMDEyMTI2MzlaGA8yMTI2MTEwNzIxMjYz\n"
    "OVowDzENMAsGA1UEAwwEdW5pdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBsm\n"
    "Z37F2XfAQUJ4pFJJsBBLLR6nsBqld0LVXLBxvIn+Oacjy9rJ+ii7WkXl6Vwu+XOH\n"
    "2zpB8dVFQdmfYv3BA7SjUzBRMB0GA1UdDgQWBBQq4vMjkYeT+F1lPZxXWcJ9e7+r\n"
    "tzAfBgNVHSMEGDAWgBQq4vMjkYeT+F1lPZxXWcJ9e7+rtzAPBgNVHRMBAf8EBTAD\n"
    "AQH/MAoGCCqGSM49BAMCA0gAMEUCIQDqTfbtrL0MaSiQ//P3jDnMRxYAsrlOisj4\n"
    "wzXQDXNI0gIgJg2yESHqfe5+q4otX551qx2YCowtYWw50IRPoeVFYiQ=\n"
    "-----END CERTIFICATE-----\n";

static apr_pool_t *pool;

static void setup(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    apr_terminate();
}

static const char *write_file(const char *name, const char *text)
{
    const char *path = apr_psprintf(pool, "/tmp/ph-test-tls-%ld-%s",
                                    (long)getpid(), name);
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(tls_problem_names_each_kind)
{
    const char *s;

    s = ph_tls_problem(pool, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
                       "mail.example.com", NULL, NULL);
    ck_assert_ptr_nonnull(strstr(s, "self-signed"));
    ck_assert_ptr_nonnull(strstr(s, "PhoneHomeSMTPCAFile"));
    s = ph_tls_problem(pool, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                       "mail.example.com", NULL, NULL);
    ck_assert_ptr_nonnull(strstr(s, "self-signed root"));
    s = ph_tls_problem(pool, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                       "mail.example.com", NULL, NULL);
    ck_assert_ptr_nonnull(strstr(s, "issuer is unknown"));
    ck_assert_str_eq(s, ph_tls_problem(pool,
                     X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, "h", NULL,
                     NULL));
    s = ph_tls_problem(pool, X509_V_ERR_CERT_HAS_EXPIRED, "h", NULL,
                       "Nov 30 21:18:14 2026 GMT");
    ck_assert_str_eq(s, "the certificate expired on Nov 30 21:18:14 2026 GMT");
    s = ph_tls_problem(pool, X509_V_ERR_CERT_HAS_EXPIRED, "h", NULL, NULL);
    ck_assert_str_eq(s, "the certificate has expired");
    s = ph_tls_problem(pool, X509_V_ERR_CERT_NOT_YET_VALID, "h", NULL, NULL);
    ck_assert_ptr_nonnull(strstr(s, "not valid yet"));
    s = ph_tls_problem(pool, X509_V_ERR_HOSTNAME_MISMATCH, "smtp.example.com",
                       "mx.example.net, example.net", NULL);
    ck_assert_str_eq(s, "the certificate does not name smtp.example.com (it "
                     "names mx.example.net, example.net)");
    s = ph_tls_problem(pool, X509_V_ERR_HOSTNAME_MISMATCH, "smtp.example.com",
                       "", NULL);
    ck_assert_str_eq(s, "the certificate does not name smtp.example.com");
    s = ph_tls_problem(pool, X509_V_ERR_IP_ADDRESS_MISMATCH, "127.0.0.1",
                       "localhost", NULL);
    ck_assert_str_eq(s, "the certificate does not name the address "
                     "127.0.0.1 (it names localhost)");
    /* Anything else: OpenSSL's words and the number. */
    s = ph_tls_problem(pool, X509_V_ERR_INVALID_PURPOSE, "h", NULL, NULL);
    ck_assert_ptr_nonnull(strstr(s, "does not verify: "));
    ck_assert_ptr_nonnull(strstr(s, apr_psprintf(pool, "(%d)",
                                                 X509_V_ERR_INVALID_PURPOSE)));
}
END_TEST

START_TEST(tls_ca_file_check)
{
    const char *good = write_file("good.pem", unit_pem);
    const char *two = write_file("two.pem", apr_pstrcat(pool, "# a comment\n",
                                 unit_pem, unit_pem, NULL));
    const char *empty = write_file("empty.pem", "");
    const char *junk = write_file("junk.pem", "-----BEGIN CERTIFICATE-----\n"
                                  "bm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    const char *why;

    ck_assert_ptr_null(ph_tls_ca_file_check(pool, good));
    ck_assert_ptr_null(ph_tls_ca_file_check(pool, two));
    why = ph_tls_ca_file_check(pool, empty);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "holds no PEM certificate"));
    ck_assert_ptr_nonnull(strstr(why, empty));
    why = ph_tls_ca_file_check(pool, junk);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "holds no PEM certificate"));
    why = ph_tls_ca_file_check(pool, "/nonexistent/ca.pem");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "cannot be read"));
    ck_assert_ptr_nonnull(strstr(why, "No such file"));
    why = ph_tls_ca_file_check(pool, "/tmp");
    ck_assert_ptr_nonnull(why);
    unlink(good);
    unlink(two);
    unlink(empty);
    unlink(junk);
}
END_TEST

START_TEST(tls_host_is_ip)
{
    ck_assert_int_eq(ph_tls_host_is_ip("127.0.0.1"), 1);
    ck_assert_int_eq(ph_tls_host_is_ip("::1"), 1);
    ck_assert_int_eq(ph_tls_host_is_ip("2001:db8::25"), 1);
    ck_assert_int_eq(ph_tls_host_is_ip("localhost"), 0);
    ck_assert_int_eq(ph_tls_host_is_ip("smtp.example.com"), 0);
    ck_assert_int_eq(ph_tls_host_is_ip("1.2.3.4.example.com"), 0);
    ck_assert_int_eq(ph_tls_host_is_ip(""), 0);
}
END_TEST

Suite *test_tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("tls");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tls_problem_names_each_kind);
    tcase_add_test(tc, tls_ca_file_check);
    tcase_add_test(tc, tls_host_is_ip);
    suite_add_tcase(s, tc);
    return s;
}
