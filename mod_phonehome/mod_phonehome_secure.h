/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_secure.h
 * @brief What root does at startup, done so that the User cannot turn it
 *        against root: the state directory, the clean-stop marker, and
 *        secret files (their ownership and modes, reading them, keeping
 *        them out of core dumps).  Level 1 of the glue: it depends on
 *        mod_phonehome_private.h and the core only.
 */

#ifndef MOD_PHONEHOME_SECURE_H
#define MOD_PHONEHOME_SECURE_H

#include "httpd.h"
#include "apr_pools.h"

#include "ph_beatto.h"
#include "ph_conf.h"

/**
 * Make PhoneHomeStateDir and its entries (queue/, outbox/, dead/,
 * events.log): what is missing is created with mode 0750 (0640 for
 * events.log) and, as root, given to the User through the handle it was
 * created by (O_NOFOLLOW, fchown); nothing that was there is changed.  An
 * entry that is a symbolic link, of the wrong type or owned by anyone but
 * root or the User stops httpd with a message naming it.
 */
apr_status_t ph_state_dir_prepare(server_rec *s, apr_pool_t *p,
                                  const char *dir);

/**
 * Whether the server stopped cleanly last time: consumes the marker that
 * a clean stop leaves in the runtime directory (DefaultRuntimeDir).
 */
int ph_clean_stop_take(server_rec *s, apr_pool_t *p);

/** Leave the marker when this generation ends with a clean stop (not a
 *  restart, not a child, not a failed start). */
void ph_clean_stop_arm(server_rec *s, apr_pool_t *pconf);

/**
 * A secret file (Key=, a password or a token file), like ssh: refused
 * unless it is a regular file owned by root or by the user httpd reads
 * its configuration as, and neither group- nor world-readable.
 * @return NULL, or why (the caller names the directive and the file)
 */
const char *ph_secret_file_check(apr_pool_t *p, const char *path);

/**
 * A copy of a secret (@a len bytes, NUL added) in pages of its own that
 * are left out of core dumps (MADV_DONTDUMP) and wiped when @a p goes.
 * Falls back to a pool copy (wiped too) if no page can be had.
 */
const char *ph_secret_keep(apr_pool_t *p, const char *secret,
                           apr_size_t len);

/** Wipe @a len bytes so that the compiler cannot leave it out. */
void ph_secret_wipe(void *buf, apr_size_t len);

/**
 * Read device @a dc's Key= file (relative to ServerRoot) as root, checked
 * as ph_secret_file_check() says; the key is kept by ph_secret_keep().
 * @return NULL, or why (no message ever shows the key)
 */
const char *ph_secret_key_load(apr_pool_t *p, ph_devconf_t *dc);

/**
 * Read PhoneHomeBeatTo's key-file= (@a bt->key_file, relative to
 * ServerRoot) as root, by the rules of a device's Key=; sets @a bt's key.
 * @return NULL, or why (naming the file, never the key)
 */
const char *ph_secret_beatto_key(apr_pool_t *p, ph_beatto_t *bt);

/**
 * Read a channel's secret file @a file (relative to ServerRoot) as root:
 * @a path gets its full path, @a secret what it holds.
 * @return NULL, or why, naming the file and never what is in it
 */
const char *ph_secret_read(apr_pool_t *p, const char *file,
                           const char **path, const char **secret);

/**
 * Read the SMTP password from @a file as root (its first line); a refusal
 * is logged (PH00129, PH00013).
 */
apr_status_t ph_secret_password_read(server_rec *s, apr_pool_t *p,
                                     const char *file, const char **password);

#endif /* MOD_PHONEHOME_SECURE_H */
