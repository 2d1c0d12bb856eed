/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_private.h
 * @brief What every glue file of mod_phonehome needs and nothing else: the
 *        module record (defined in mod_phonehome.c), the version, the log
 *        tag macro and the names inside PhoneHomeStateDir.  Not a public
 *        API.  Level 0 of the glue (docs/design.md): it includes no other
 *        glue header.
 */

#ifndef MOD_PHONEHOME_PRIVATE_H
#define MOD_PHONEHOME_PRIVATE_H

#include "httpd.h"
#include "http_config.h"

#define PH_VERSION          "0.1.0"

/**
 * A log message's stable tag, in the spirit of httpd's APLOGNO:
 * ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, PHLOGNO(00033) "cannot ...").
 * One tag marks one call site; t/check-logtags (make check) fails
 * otherwise, and when a tag lacks its row in docs/mod_phonehome.md's table
 * (or a row names a tag the code no longer has).
 */
#define PHLOGNO(n)          "PH" #n ": "

/* Entries of PhoneHomeStateDir (mod_phonehome_runtime.h's ph_dir() makes
 * their paths; mod_phonehome_secure.c creates them). */
#define PH_DIR_QUEUE        "queue"         /* transitions not yet mailed */
#define PH_DIR_OUTBOX       "outbox"        /* mails not yet delivered */
#define PH_DIR_DEAD         "dead"          /* mails given up on */
#define PH_EVENTS_LOG       "events.log"
#define PH_ALIVE_FILE       "alive"         /* the monitor's last sign of
                                             * life (ph_downtime.h) */
#define PH_DOWNTIMES_FILE   "downtimes"     /* its recent downtimes */

extern module AP_MODULE_DECLARE_DATA phonehome_module;

#endif /* MOD_PHONEHOME_PRIVATE_H */
