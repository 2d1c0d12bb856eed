/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_text.h
 * @brief Text a device controls, made safe: once when it is stored, and
 *        again for each format it is written in.
 */

#ifndef PH_TEXT_H
#define PH_TEXT_H

#include <apr.h>
#include <apr_pools.h>

/**
 * Copy @a src into @a dst (of @a size bytes, NUL included), keeping
 * printable ASCII and well-formed UTF-8, turning every control character
 * and every invalid byte into '?', and cutting only at a character boundary.
 */
void ph_text_sanitize(char *dst, apr_size_t size, const char *src);

/** A JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD and
 *  '<', '>', '&' are escaped so the result is also safe inside HTML. */
const char *ph_text_json(apr_pool_t *p, const char *s);

/** HTML text or attribute value: & < > " ' escaped. */
const char *ph_text_html(apr_pool_t *p, const char *s);

/** A Prometheus label value, without the quotes: \ " and newline escaped. */
const char *ph_text_prom_label(apr_pool_t *p, const char *s);

/** One line of plain text (?auto, logs): a trailing CR/LF is dropped, other
 *  control characters become '?'. */
const char *ph_text_oneline(apr_pool_t *p, const char *s);

/** Form decoding (application/x-www-form-urlencoded) of [s, s+len):
 *  '+' is a space, %XX a byte.  A bad escape or an encoded NUL is
 *  malformed: NULL.  The beat's query and the admin forms use it. */
char *ph_form_decode(const char *s, apr_size_t len, apr_pool_t *p);

#endif /* PH_TEXT_H */
