/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/**
 * @file ph_conf.h
 * @brief Checking directive values.  Each function returns NULL when the
 *        value is good, else a reason that the glue puts after the
 *        directive's name, so that httpd refuses to start with a message
 *        that names both the directive and the bad value.
 */

#ifndef PH_CONF_H
#define PH_CONF_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_network_io.h>

#define PH_MAX_AGE_LIMIT    31536000u       /* one year, in seconds */

typedef struct ph_devconf_t {
    const char         *name;
    apr_uint32_t        max_age;            /* 0: PhoneHomeMaxAge */
    const char         *display;            /* Name=, or NULL */
    apr_array_header_t *mail_to;            /* MailTo=, const char *, or NULL */
    const char         *key_file;           /* Key=, or NULL */
    const char         *cert_cn;            /* Cert=: the client certificate's
                                             * subject CN, or NULL */
    apr_array_header_t *notify;             /* Notify=, const char *, NULL */
    int                 flap_set;           /* Flap= given (Off included) */
    apr_uint32_t        flap_limit;         /* Flap=n/s: n; 0: Off */
    apr_uint32_t        flap_period;        /* s */
    const char         *key;                /* its key, read at startup */
    apr_size_t          keylen;
} ph_devconf_t;

/** A number of seconds in [min, max]. */
const char *ph_conf_seconds(apr_pool_t *p, const char *arg, apr_uint32_t min,
                            apr_uint32_t max, apr_uint32_t *out);

/** On or Off, any case. */
const char *ph_conf_flag(apr_pool_t *p, const char *arg, int *out);

/** A mail address as it may stand in an SMTP envelope and a To: header:
 *  local@domain, printable ASCII, none of the characters that would end
 *  or split a header. */
const char *ph_conf_address(apr_pool_t *p, const char *arg);

/** host[:port] (IPv6 as [addr]:port); port defaults to @a defport. */
const char *ph_conf_hostport(apr_pool_t *p, const char *arg,
                             apr_port_t defport, const char **host,
                             apr_port_t *port);

/** One display text (a monitor or device name): printable, 1-200 bytes of
 *  well-formed UTF-8, no control characters, since it goes into Subject:. */
const char *ph_conf_display(apr_pool_t *p, const char *arg);

/** One PhoneHomeDevice option, "MaxAge=300", "Name=Kitchen Pi",
 *  "MailTo=a@x,b@y", "Key=/etc/phonehome/kitchen.key",
 *  "Notify=phone,mail" or "Flap=3/60" (Flap=Off); key files are only
 *  checked for readability by the glue, and Notify= names against the
 *  channels once all are known. */
const char *ph_conf_device_option(apr_pool_t *p, ph_devconf_t *dc,
                                  const char *opt);

/**
 * Split a directive's raw arguments into words the way a shell would for
 * the simple cases: whitespace separates, double quotes group (also in the
 * middle of a word, as in Name="Kitchen Pi"), a backslash quotes the next
 * character inside quotes.
 * @return NULL and the words (char *) in *words, or a reason
 */
const char *ph_conf_words(apr_pool_t *p, const char *raw,
                          apr_array_header_t **words);

#endif /* PH_CONF_H */
