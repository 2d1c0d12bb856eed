/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Root at startup, in a directory the User may write to.  Every path is
 * opened relative to a handle of the state directory with O_NOFOLLOW, and
 * only what was created here is handed to the User (fchown on that
 * handle): a symbolic link planted by the User is refused, never followed.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "unixd.h"

#include "apr_file_io.h"
#include "apr_strings.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "mod_phonehome_private.h"
#include "mod_phonehome_secure.h"
#include "ph_conf.h"
#include "ph_notify.h"
#include "ph_sig.h"
#include "ph_snapshot.h"
#include "ph_spool.h"
#include "ph_text.h"

#define PH_DIR_MODE     0750
#define PH_LOG_MODE     0640
#define PH_CLEAN_STOP   "phonehome-clean-stop"

APLOG_USE_MODULE(phonehome);

/* The user the watchdogs and children write as. */
static uid_t ph_user_uid(void)
{
    return geteuid() == 0 ? ap_unixd_config.user_id : geteuid();
}

static const char *ph_entry_bad(const struct stat *st, int want_dir)
{
    if (S_ISLNK(st->st_mode)) {
        return "is a symbolic link";
    }
    if (want_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
        return want_dir ? "is not a directory" : "is not a regular file";
    }
    if (st->st_uid != 0 && st->st_uid != ph_user_uid()) {
        return "is owned by neither root nor the User";
    }
    return NULL;
}

static apr_status_t ph_refuse_entry(server_rec *s, const char *path,
                                    const char *why)
{
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                 PHLOGNO(00120) "PhoneHomeStateDir: %s %s: refusing to start "
                 "(root would act on it; remove it, and let httpd make it "
                 "again)", path, why);
    return APR_EGENERAL;
}

/* A new entry: exactly its mode (no umask), and the User's if we are
 * root. */
static apr_status_t ph_hand_over(server_rec *s, int fd, mode_t mode,
                                 const char *path)
{
    if (fchmod(fd, mode) != 0
        || (geteuid() == 0 && fchown(fd, ap_unixd_config.user_id,
                                     ap_unixd_config.group_id) != 0)) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);

        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     PHLOGNO(00060)
                     "cannot give PhoneHomeStateDir %s to the User",
                     path);
        return rv;
    }
    return APR_SUCCESS;
}

/* One entry of the state directory: created and handed over, or checked.
 * kind: 'd' a directory, 'f' a file we create, 'o' a file we only check
 * when it is there. */
static apr_status_t ph_entry(server_rec *s, apr_pool_t *p, int dfd,
                             const char *dir, const char *name, int kind)
{
    const char *path = apr_pstrcat(p, dir, "/", name, NULL);
    struct stat st;
    apr_status_t rv;
    int fd = -1;

    if (kind == 'd' && mkdirat(dfd, name, PH_DIR_MODE) == 0) {
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                    | O_CLOEXEC);
    }
    else if (kind == 'f') {
        fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                    | O_APPEND | O_CLOEXEC, PH_LOG_MODE);
    }
    if (fd >= 0) {
        rv = ph_hand_over(s, fd, kind == 'd' ? PH_DIR_MODE : PH_LOG_MODE,
                          path);
        close(fd);
        return rv;
    }
    if (kind != 'o' && errno != EEXIST) {
        rv = APR_FROM_OS_ERROR(errno);
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     PHLOGNO(00062)
                     "cannot create PhoneHomeStateDir %s", path);
        return rv;
    }
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (kind == 'o' && errno == ENOENT) {
            return APR_SUCCESS;
        }
        return ph_refuse_entry(s, path, strerror(errno));
    }
    if ((path = ph_entry_bad(&st, kind == 'd')) != NULL) {
        return ph_refuse_entry(s, apr_pstrcat(p, dir, "/", name, NULL),
                               path);
    }
    return APR_SUCCESS;
}

apr_status_t ph_state_dir_prepare(server_rec *s, apr_pool_t *p,
                                  const char *dir)
{
    static const char *const dirs[] = { PH_DIR_QUEUE, PH_DIR_OUTBOX,
                                        PH_DIR_DEAD };
    const char *why;
    struct statfs sfs;
    struct stat st;
    apr_status_t rv = APR_SUCCESS;
    int created, dfd;
    unsigned int i;

    created = mkdir(dir, PH_DIR_MODE) == 0;
    if (!created && errno == ENOENT) {
        /* Its parents are the administrator's: made as for any path. */
        char *parent = ap_make_dirstr_parent(p, dir);

        rv = apr_dir_make_recursive(parent, APR_FPROT_OS_DEFAULT, p);
        created = rv == APR_SUCCESS && mkdir(dir, PH_DIR_MODE) == 0;
    }
    if (!created && errno != EEXIST) {
        rv = rv != APR_SUCCESS ? rv : APR_FROM_OS_ERROR(errno);
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     PHLOGNO(00008) "cannot create PhoneHomeStateDir %s", dir);
        return rv;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        return ph_refuse_entry(s, dir, errno == ELOOP || errno == ENOTDIR
                                       ? "is a symbolic link or not a "
                                         "directory" : strerror(errno));
    }
    if (created) {
        rv = ph_hand_over(s, dfd, PH_DIR_MODE, dir);
    }
    else if (fstat(dfd, &st) != 0) {
        rv = ph_refuse_entry(s, dir, strerror(errno));
    }
    else if ((why = ph_entry_bad(&st, 1)) != NULL) {
        rv = ph_refuse_entry(s, dir, why);
    }
    for (i = 0; rv == APR_SUCCESS && i < sizeof(dirs) / sizeof(dirs[0]);
         i++) {
        rv = ph_entry(s, p, dfd, dir, dirs[i], 'd');
    }
    if (rv == APR_SUCCESS) {
        rv = ph_entry(s, p, dfd, dir, PH_EVENTS_LOG, 'f');
    }
    if (rv == APR_SUCCESS) {
        /* Root reads it back at a cold start. */
        rv = ph_entry(s, p, dfd, dir, PH_SNAPSHOT_FILE, 'o');
    }
    close(dfd);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (statfs(dir, &sfs) == 0 && sfs.f_type == 0x01021994) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     PHLOGNO(00009)
                     "PhoneHomeStateDir %s is on tmpfs: the outbox "
                     "and the snapshot will not survive a reboot", dir);
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The clean-stop marker                                               */

/* In the runtime directory, which is root's and not the User's: the
 * User cannot forge a clean stop. */
static const char *ph_clean_stop_path(apr_pool_t *p)
{
    return ap_runtime_dir_relative(p, PH_CLEAN_STOP);
}

int ph_clean_stop_take(server_rec *s, apr_pool_t *p)
{
    const char *path = ph_clean_stop_path(p);
    struct stat st;
    int clean;

    if (path == NULL || lstat(path, &st) != 0) {
        return 0;
    }
    clean = S_ISREG(st.st_mode) && st.st_uid == geteuid();
    if (unlink(path) != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, APR_FROM_OS_ERROR(errno), s,
                     PHLOGNO(00123) "cannot remove %s: the next start after a "
                     "crash would not raise the seq floors", path);
        return 0;
    }
    return clean;
}

typedef struct {
    server_rec *s;
    pid_t       parent;
} ph_clean_stop_t;

static apr_status_t ph_clean_stop_write(void *baton)
{
    ph_clean_stop_t *cs = baton;
    apr_pool_t *p;
    const char *path;
    int fd;

    /* A restart clears pconf too; a child may destroy it at exit. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_EXITING
        || getpid() != cs->parent) {
        return APR_SUCCESS;
    }
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    path = ph_clean_stop_path(p);
    fd = path ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                     | O_CLOEXEC, 0600) : -1;
    if (fd >= 0) {
        close(fd);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_WARNING, APR_FROM_OS_ERROR(errno),
                     cs->s, PHLOGNO(00124) "cannot write %s: the next start "
                     "will raise the seq floors of keyed devices as after a "
                     "crash", path ? path : PH_CLEAN_STOP);
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

void ph_clean_stop_arm(server_rec *s, apr_pool_t *pconf)
{
    ph_clean_stop_t *cs = apr_palloc(pconf, sizeof(*cs));

    cs->s = s;
    cs->parent = getpid();
    apr_pool_cleanup_register(pconf, cs, ph_clean_stop_write,
                              apr_pool_cleanup_null);
}

/* ------------------------------------------------------------------ */
/* Secret files                                                        */

const char *ph_secret_file_check(apr_pool_t *p, const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        return NULL;                    /* reading it says why */
    }
    if (S_ISLNK(st.st_mode) && stat(path, &st) != 0) {
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        return "is not a regular file";
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        return apr_psprintf(p, "is owned by uid %ld: it must be owned by "
                            "root or by the user httpd starts as",
                            (long)st.st_uid);
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        return apr_psprintf(p, "has mode %04o: it must not be readable or "
                            "writable by group or others (chmod 600)",
                            (unsigned)(st.st_mode & 07777));
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Secrets in memory                                                   */

void ph_secret_wipe(void *buf, apr_size_t len)
{
    if (buf && len) {
        explicit_bzero(buf, len);
    }
}

typedef struct {
    void       *mem;
    apr_size_t  len;                /* mapped bytes, or 0: pool memory */
    apr_size_t  used;
} ph_secret_t;

static apr_status_t ph_secret_cleanup(void *baton)
{
    ph_secret_t *k = baton;

    ph_secret_wipe(k->mem, k->used);
    if (k->len) {
        munmap(k->mem, k->len);
    }
    return APR_SUCCESS;
}

const char *ph_secret_keep(apr_pool_t *p, const char *secret,
                           apr_size_t len)
{
    ph_secret_t *k = apr_pcalloc(p, sizeof(*k));
    long page = sysconf(_SC_PAGESIZE);
    char *mem;

    k->used = len + 1;
    k->len = ((len + 1 + (apr_size_t)page - 1) / (apr_size_t)page)
             * (apr_size_t)page;
    mem = mmap(NULL, k->len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        k->len = 0;
        mem = apr_palloc(p, len + 1);
    }
    else {
#ifdef MADV_DONTDUMP
        (void)madvise(mem, k->len, MADV_DONTDUMP);
#endif
    }
    memcpy(mem, secret, len);
    mem[len] = '\0';
    k->mem = mem;
    apr_pool_cleanup_register(p, k, ph_secret_cleanup,
                              apr_pool_cleanup_null);
    return mem;
}

/* What every secret reader does first: the file's ownership and mode
 * checked (*why says what is wrong), then read whole (at most @a max
 * bytes; *rv says why not).  Returns 0 when *buf holds the file, which
 * the caller wipes; 1 when the check refused it; 2 when it cannot be
 * read. */
static int ph_secret_slurp(apr_pool_t *p, const char *path, apr_size_t max,
                           char **buf, apr_size_t *len, const char **why,
                           apr_status_t *rv)
{
    if ((*why = ph_secret_file_check(p, path)) != NULL) {
        return 1;
    }
    *rv = ph_spool_read(p, path, buf, len, max);
    return *rv == APR_SUCCESS ? 0 : 2;
}

/* Keys are read with the configuration, as root, so that a key file may be
 * readable by root alone.  No message ever shows the key. */
const char *ph_secret_key_load(apr_pool_t *p, ph_devconf_t *dc)
{
    const char *path = ap_server_root_relative(p, dc->key_file);
    char *buf, err[120];
    apr_size_t len;
    apr_status_t rv;

    const char *why;

    if (path == NULL) {
        return "not a path";
    }
    switch (ph_secret_slurp(p, path, 8192, &buf, &len, &why, &rv)) {
    case 1:
        return why;
    case 2:
        return apr_psprintf(p, "cannot read the key file (%s)",
                            apr_strerror(rv, err, sizeof(err)));
    }
    dc->key_file = path;
    why = ph_sig_key_parse(p, buf, len, &dc->key, &dc->keylen);
    if (why == NULL) {
        dc->key = ph_secret_keep(p, dc->key, dc->keylen);
    }
    ph_secret_wipe(buf, len);
    return why;
}
/* PhoneHomeBeatTo's key-file=: the same rules and the same reader as a
 * device's Key=. */
const char *ph_secret_beatto_key(apr_pool_t *p, ph_beatto_t *bt)
{
    ph_devconf_t dc;
    const char *why;

    memset(&dc, 0, sizeof(dc));
    dc.key_file = bt->key_file;
    if ((why = ph_secret_key_load(p, &dc)) != NULL) {
        return apr_psprintf(p, "key-file=%s: %s",
                            ph_text_oneline(p, bt->key_file), why);
    }
    bt->key_file = dc.key_file;
    bt->key = dc.key;
    bt->keylen = dc.keylen;
    return NULL;
}

/* A channel's secret file, read as root like a Key= file; messages name
 * the file, never what is in it. */
const char *ph_secret_read(apr_pool_t *p, const char *file,
                           const char **path, const char **secret)
{
    char *buf, err[120];
    apr_size_t len;
    apr_status_t rv;
    const char *why;

    *path = ap_server_root_relative(p, file);
    if (*path == NULL) {
        return apr_psprintf(p, "'%s' is not a path",
                            ph_text_oneline(p, file));
    }
    switch (ph_secret_slurp(p, *path, 8192, &buf, &len, &why, &rv)) {
    case 1:
        return apr_psprintf(p, "%s %s", *path, why);
    case 2:
        return apr_psprintf(p, "cannot read %s (%s)", *path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    if ((why = ph_notify_secret(p, buf, len, secret)) != NULL) {
        ph_secret_wipe(buf, len);
        return apr_psprintf(p, "%s: %s", *path, why);
    }
    *secret = ph_secret_keep(p, *secret, strlen(*secret));
    ph_secret_wipe(buf, len);
    return NULL;
}

apr_status_t ph_secret_password_read(server_rec *s, apr_pool_t *p,
                                    const char *file, const char **password)
{
    const char *why;
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    switch (ph_secret_slurp(p, file, 4096, &buf, &len, &why, &rv)) {
    case 1:
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     PHLOGNO(00129)
                     "PhoneHomeSMTPAuth: the password file %s %s",
                     file, why);
        return APR_EACCES;
    case 2:
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     PHLOGNO(00013)
                     "PhoneHomeSMTPAuth: cannot read the password "
                     "file %s", file);
        return rv;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    *password = ph_secret_keep(p, buf, strlen(buf));
    ph_secret_wipe(buf, len);
    return APR_SUCCESS;
}
