/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file mod_phonehome_retain.h
 * @brief The device table across a restart (level 3.2 of the glue: above
 *        runtime).  slotmem_shm persists the device segment in a cleanup
 *        of the parent's pconf, while a graceful restart's old children
 *        still write slots: its MD5 is then of other bytes than it writes,
 *        and the new generation's restore refuses the file (AH02551) and
 *        starts empty.  So the parent copies the used slots itself, a
 *        chunk at a time under the table's lock, in a pre-cleanup (before
 *        slotmem's), into memory of its own that survives the generation
 *        (ap_retained_data); the next generation writes that copy over
 *        whatever slotmem restored, before the index is rebuilt.
 */

#ifndef MOD_PHONEHOME_RETAIN_H
#define MOD_PHONEHOME_RETAIN_H

#include "httpd.h"

/**
 * post_config, after ph_runtime_attach(): have the parent copy the slots
 * when this generation's pconf is cleared for a restart (not at a stop,
 * not in a child).
 */
void ph_retain_register(apr_pool_t *pconf, server_rec *s);

/**
 * post_config of a restart, between ph_runtime_create() and
 * ph_runtime_attach(): write the old generation's copy over the slots
 * (the first PhoneHomeMaxDevices of it if that shrank: PH00163) and say
 * so (PH00164).
 * @return 1 if the copy was there and is now the table, 0 if there was
 *         none (the caller falls back on the snapshot)
 */
int ph_retain_restore(server_rec *s);

#endif /* MOD_PHONEHOME_RETAIN_H */
