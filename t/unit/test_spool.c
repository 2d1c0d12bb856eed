/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_spool.c: durable files (a fresh directory under /tmp). */

#include "test_util.h"

Suite *test_spool_suite(void);

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

Suite *test_spool_suite(void)
{
    Suite *s = suite_create("spool");
    TCase *tc = ph_test_tcase(s, "spool");

    tcase_add_unchecked_fixture(tc, spool_base_setup, spool_base_teardown);
    tcase_add_checked_fixture(tc, spool_setup, spool_teardown);
    tcase_add_test(tc, spool_write_and_read);
    tcase_add_test(tc, spool_list_sorted_by_suffix);
    tcase_add_test(tc, spool_move_and_remove);
    return s;
}
