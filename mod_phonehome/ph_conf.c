/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>
#include <apr_lib.h>

#include "ph_conf.h"
#include "ph_flap.h"
#include "ph_notify.h"
#include "ph_text.h"

const char *ph_conf_seconds(apr_pool_t *p, const char *arg, apr_uint32_t min,
                            apr_uint32_t max, apr_uint32_t *out)
{
    apr_uint64_t v = 0;
    const char *s;

    for (s = arg; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (apr_uint64_t)(*s - '0');
        if (v > max) {
            break;
        }
    }
    if (s == arg || *s != '\0' || v < min || v > max) {
        return apr_psprintf(p, "'%s' is not a whole number from %u to %u",
                            ph_text_oneline(p, arg), min, max);
    }
    *out = (apr_uint32_t)v;
    return NULL;
}

const char *ph_conf_flag(apr_pool_t *p, const char *arg, int *out)
{
    if (strcasecmp(arg, "On") == 0) {
        *out = 1;
    }
    else if (strcasecmp(arg, "Off") == 0) {
        *out = 0;
    }
    else {
        return apr_psprintf(p, "'%s' is neither On nor Off",
                            ph_text_oneline(p, arg));
    }
    return NULL;
}

const char *ph_conf_address(apr_pool_t *p, const char *arg)
{
    const char *at = strrchr(arg, '@');
    const char *s;

    for (s = arg; *s; s++) {
        if (*s <= ' ' || *s >= 0x7F || strchr("<>(),;:\"[]\\", *s)) {
            break;
        }
    }
    if (*s || at == NULL || at == arg || at[1] == '\0'
        || strlen(arg) > 254 || strchr(arg, '@') != at) {
        return apr_psprintf(p, "'%s' is not a mail address (user@host)",
                            ph_text_oneline(p, arg));
    }
    return NULL;
}

/* A host name or IPv4 address: apr_parse_addr_port() takes "a b",
 * "host:abc" and "host:" as host names, and an unbracketed "::1" as host
 * ":" port 1.  A bracketed IPv6 address it has checked itself. */
static int ph_host_ok(const char *arg, const char *h)
{
    if (*arg == '[') {
        return 1;
    }
    for (; *h; h++) {
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z')
              || (*h >= '0' && *h <= '9') || *h == '.' || *h == '-'
              || *h == '_')) {
            return 0;
        }
    }
    return 1;
}

const char *ph_conf_hostport(apr_pool_t *p, const char *arg,
                             apr_port_t defport, const char **host,
                             apr_port_t *port)
{
    char *h = NULL, *scope = NULL;
    apr_port_t pt = 0;

    if (apr_parse_addr_port(&h, &scope, &pt, arg, p) != APR_SUCCESS
        || h == NULL || scope != NULL || !ph_host_ok(arg, h)) {
        return apr_psprintf(p, "'%s' is not host or host:port",
                            ph_text_oneline(p, arg));
    }
    *host = h;
    *port = pt ? pt : defport;
    return NULL;
}

const char *ph_conf_display(apr_pool_t *p, const char *arg)
{
    char clean[256];

    ph_text_sanitize(clean, sizeof(clean), arg);
    if (*arg == '\0' || strlen(arg) > 200 || strcmp(clean, arg) != 0) {
        return apr_psprintf(p, "'%s' must be 1-200 characters of printable "
                            "text", ph_text_oneline(p, arg));
    }
    return NULL;
}

const char *ph_conf_device_option(apr_pool_t *p, ph_devconf_t *dc,
                                  const char *opt)
{
    const char *eq = strchr(opt, '=');
    const char *val;
    const char *why;

    if (eq == NULL) {
        return apr_psprintf(p, "'%s' is not an option (MaxAge=, Name=, "
                            "MailTo=, Key=, Cert=, Notify=, Flap=)",
                            ph_text_oneline(p, opt));
    }
    val = eq + 1;
    if (strncasecmp(opt, "MaxAge=", 7) == 0) {
        return ph_conf_seconds(p, val, 1, PH_MAX_AGE_LIMIT, &dc->max_age);
    }
    if (strncasecmp(opt, "Name=", 5) == 0) {
        if ((why = ph_conf_display(p, val)) != NULL) {
            return apr_pstrcat(p, "Name=", why, NULL);
        }
        dc->display = val;
        return NULL;
    }
    if (strncasecmp(opt, "MailTo=", 7) == 0) {
        char *list = apr_pstrdup(p, val);
        char *last, *addr;

        dc->mail_to = apr_array_make(p, 2, sizeof(const char *));
        for (addr = apr_strtok(list, ",", &last); addr;
             addr = apr_strtok(NULL, ",", &last)) {
            if ((why = ph_conf_address(p, addr)) != NULL) {
                return apr_pstrcat(p, "MailTo=", why, NULL);
            }
            APR_ARRAY_PUSH(dc->mail_to, const char *) = addr;
        }
        if (dc->mail_to->nelts == 0) {
            return "MailTo= needs at least one address";
        }
        return NULL;
    }
    if (strncasecmp(opt, "Key=", 4) == 0) {
        if (*val == '\0') {
            return "Key= needs the path of a key file";
        }
        dc->key_file = val;
        return NULL;
    }
    if (strncasecmp(opt, "Cert=", 5) == 0) {
        const unsigned char *c;

        /* A subject CN as mod_ssl gives it (SSL_CLIENT_S_DN_CN): 1 to 64
         * printable characters (RFC 5280's ub-common-name). */
        if (*val == '\0' || strlen(val) > 64) {
            return "Cert= needs the subject CN of the device's client "
                   "certificate (1 to 64 characters)";
        }
        for (c = (const unsigned char *)val; *c; c++) {
            if (*c < 0x20 || *c == 0x7f) {
                return "Cert= holds a control character";
            }
        }
        dc->cert_cn = val;
        return NULL;
    }
    if (strncasecmp(opt, "Notify=", 7) == 0) {
        char *list = apr_pstrdup(p, val);
        char *last, *name;

        dc->notify = apr_array_make(p, 2, sizeof(const char *));
        for (name = apr_strtok(list, ",", &last); name;
             name = apr_strtok(NULL, ",", &last)) {
            if (strcasecmp(name, PH_NOTIFY_MAIL) != 0
                && (why = ph_notify_name_check(name)) != NULL) {
                return apr_psprintf(p, "Notify='%s': %s",
                                    ph_text_oneline(p, name), why);
            }
            APR_ARRAY_PUSH(dc->notify, const char *) = name;
        }
        if (dc->notify->nelts == 0) {
            return "Notify= needs at least one channel name (or mail)";
        }
        return NULL;
    }
    if (strncasecmp(opt, "Flap=", 5) == 0) {
        if ((why = ph_flap_parse(p, val, NULL, &dc->flap_limit,
                                 &dc->flap_period)) != NULL) {
            return apr_pstrcat(p, "Flap=", why, NULL);
        }
        dc->flap_set = 1;
        return NULL;
    }
    return apr_psprintf(p, "unknown option '%s' (MaxAge=, Name=, MailTo=, "
                        "Key=, Cert=, Notify=, Flap=)",
                        ph_text_oneline(p, apr_pstrmemdup(p, opt,
                        (apr_size_t)(eq - opt))));
}

const char *ph_conf_words(apr_pool_t *p, const char *raw,
                          apr_array_header_t **words)
{
    char *buf = apr_palloc(p, strlen(raw) + 1);

    *words = apr_array_make(p, 4, sizeof(char *));
    while (*raw) {
        char *w = buf;
        int quoted = 0;

        while (apr_isspace(*raw)) {
            raw++;
        }
        if (*raw == '\0') {
            break;
        }
        while (*raw && (quoted || !apr_isspace(*raw))) {
            if (*raw == '"') {
                quoted = !quoted;
            }
            else if (quoted && *raw == '\\' && raw[1]) {
                *buf++ = *++raw;
            }
            else {
                *buf++ = *raw;
            }
            raw++;
        }
        if (quoted) {
            return "a double quote is not closed";
        }
        *buf++ = '\0';
        APR_ARRAY_PUSH(*words, char *) = w;
    }
    return NULL;
}
