/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Unit tests of ph_text.c: sanitising and escaping device text. */

#include "test_util.h"

Suite *test_text_suite(void);

/* Sanitize @a src into a buffer of @a size and compare with @a want. */
static void assert_sanitized(const char *src, apr_size_t size,
                             const char *want, const char *what)
{
    char buf[256];
    apr_size_t i;

    ck_assert(size + 8 <= sizeof(buf));
    memset(buf, 'X', sizeof(buf));
    ph_text_sanitize(buf, size, src);
    ck_assert_msg(memchr(buf, '\0', size) != NULL,
                  "%s: not NUL-terminated within %u bytes", what,
                  (unsigned)size);
    ck_assert_msg(strcmp(buf, want) == 0, "%s: got '%s', want '%s'", what,
                  ph_text_json(pool, buf), ph_text_json(pool, want));
    for (i = size; i < sizeof(buf); i++) {
        ck_assert_msg(buf[i] == 'X', "%s: wrote beyond %u bytes", what,
                      (unsigned)size);
    }
}

START_TEST(sanitize_replaces_control_characters)
{
    assert_sanitized("a\rb\nc\td\x7f" "e", 64, "a?b?c?d?e", "controls");
    assert_sanitized("\x01\x1f", 64, "??", "C0 controls");
    assert_sanitized("Mozilla/5.0 (X11)", 64, "Mozilla/5.0 (X11)",
                     "printable ASCII");
    assert_sanitized("", 64, "", "empty");
}
END_TEST

START_TEST(sanitize_keeps_valid_utf8)
{
    assert_sanitized("caf\xc3\xa9", 64, "caf\xc3\xa9", "2-byte e-acute");
    assert_sanitized("\xe2\x82\xac" "5", 64, "\xe2\x82\xac" "5",
                     "3-byte euro");
    assert_sanitized("\xf0\x9f\x98\x80", 64, "\xf0\x9f\x98\x80",
                     "4-byte emoji");
    assert_sanitized("\xf4\x8f\xbf\xbf", 64, "\xf4\x8f\xbf\xbf",
                     "U+10FFFF");
    assert_sanitized("\xed\x9f\xbf", 64, "\xed\x9f\xbf", "U+D7FF");
}
END_TEST

START_TEST(sanitize_replaces_invalid_utf8)
{
    assert_sanitized("\xff", 64, "?", "lone 0xff");
    assert_sanitized("a\xff" "b", 64, "a?b", "0xff inside");
    assert_sanitized("\x80", 64, "?", "lone continuation byte");
    assert_sanitized("\xc3", 64, "?", "truncated 2-byte at end");
    assert_sanitized("\xc3" "a", 64, "?a", "truncated 2-byte");
    assert_sanitized("\xe2\x82", 64, "??", "truncated 3-byte at end");
    assert_sanitized("\xe2\x82" "x", 64, "??x", "truncated 3-byte");
    assert_sanitized("\xf0\x9f\x98", 64, "???", "truncated 4-byte");
    assert_sanitized("\xc0\xaf", 64, "??", "overlong 2-byte '/'");
    assert_sanitized("\xe0\x80\xaf", 64, "???", "overlong 3-byte '/'");
    assert_sanitized("\xf0\x80\x80\xaf", 64, "????", "overlong 4-byte");
    assert_sanitized("\xed\xa0\x80", 64, "???", "surrogate U+D800");
    assert_sanitized("\xf4\x90\x80\x80", 64, "????", "above U+10FFFF");
    assert_sanitized("\xf5\x80\x80\x80", 64, "????", "0xf5 lead byte");
}
END_TEST

START_TEST(sanitize_truncates_at_character_boundary)
{
    /* "ab" + euro (3 bytes): needs 6 bytes with the NUL. */
    assert_sanitized("ab\xe2\x82\xac", 6, "ab\xe2\x82\xac", "fits exactly");
    assert_sanitized("ab\xe2\x82\xac", 5, "ab", "one byte short");
    assert_sanitized("ab\xe2\x82\xac", 4, "ab", "two bytes short");
    assert_sanitized("ab\xe2\x82\xac" "cd", 5, "ab", "no skipping ahead");
    assert_sanitized("\xf0\x9f\x98\x80", 4, "", "emoji in 4 bytes");
    assert_sanitized("\xf0\x9f\x98\x80", 5, "\xf0\x9f\x98\x80",
                     "emoji in 5 bytes");
    assert_sanitized("abcdef", 4, "abc", "ASCII");
    assert_sanitized("ab\r\n", 4, "ab?", "replacement at the end");
    assert_sanitized("abc", 1, "", "size 1");
}
END_TEST

START_TEST(sanitize_size_zero_writes_nothing)
{
    char buf[4] = { 'X', 'X', 'X', 'X' };

    ph_text_sanitize(buf, 0, "abc");
    ck_assert(buf[0] == 'X' && buf[1] == 'X');
}
END_TEST

START_TEST(json_escapes)
{
    ck_assert_str_eq(ph_text_json(pool, ""), "\"\"");
    ck_assert_str_eq(ph_text_json(pool, "kitchen-pi"), "\"kitchen-pi\"");
    ck_assert_str_eq(ph_text_json(pool, "a\"b\\c"), "\"a\\\"b\\\\c\"");
    ck_assert_str_eq(ph_text_json(pool, "a\nb\rc\td"),
                     "\"a\\nb\\rc\\td\"");
    ck_assert_str_eq(ph_text_json(pool, "\x01\x1f\x7f"),
                     "\"\\u0001\\u001f\\u007f\"");
    ck_assert_str_eq(ph_text_json(pool, "\b\f"), "\"\\u0008\\u000c\"");
    ck_assert_str_eq(ph_text_json(pool, "</script>&"),
                     "\"\\u003c/script\\u003e\\u0026\"");
    ck_assert_str_eq(ph_text_json(pool, "'/"), "\"'/\"");
}
END_TEST

START_TEST(json_utf8)
{
    /* Valid UTF-8 passes through as is. */
    ck_assert_str_eq(ph_text_json(pool, "caf\xc3\xa9 \xe2\x82\xac"),
                     "\"caf\xc3\xa9 \xe2\x82\xac\"");
    ck_assert_str_eq(ph_text_json(pool, "\xf0\x9f\x98\x80"),
                     "\"\xf0\x9f\x98\x80\"");
    /* Each invalid byte is U+FFFD. */
    ck_assert_str_eq(ph_text_json(pool, "a\xff" "b"), "\"a\\ufffdb\"");
    ck_assert_str_eq(ph_text_json(pool, "\xc0\xaf"), "\"\\ufffd\\ufffd\"");
    ck_assert_str_eq(ph_text_json(pool, "\xed\xa0\x80"),
                     "\"\\ufffd\\ufffd\\ufffd\"");
    ck_assert_str_eq(ph_text_json(pool, "\xe2\x82"), "\"\\ufffd\\ufffd\"");
    /* The worst case fits the buffer. */
    ck_assert_str_eq(ph_text_json(pool, "\x01\x01\xff"),
                     "\"\\u0001\\u0001\\ufffd\"");
}
END_TEST

START_TEST(html_escapes)
{
    ck_assert_str_eq(ph_text_html(pool, ""), "");
    ck_assert_str_eq(ph_text_html(pool, "kitchen-pi"), "kitchen-pi");
    ck_assert_str_eq(ph_text_html(pool, "<a href=\"x\">Tom & Jerry's</a>"),
                     "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s"
                     "&lt;/a&gt;");
    ck_assert_str_eq(ph_text_html(pool, "&&''"), "&amp;&amp;&#39;&#39;");
    ck_assert_str_eq(ph_text_html(pool, "caf\xc3\xa9"), "caf\xc3\xa9");
}
END_TEST

START_TEST(prom_label_escapes)
{
    ck_assert_str_eq(ph_text_prom_label(pool, ""), "");
    ck_assert_str_eq(ph_text_prom_label(pool, "kitchen-pi"), "kitchen-pi");
    ck_assert_str_eq(ph_text_prom_label(pool, "a\\b\"c\nd"),
                     "a\\\\b\\\"c\\nd");
    ck_assert_str_eq(ph_text_prom_label(pool, "\\\\\"\"\n\n"),
                     "\\\\\\\\\\\"\\\"\\n\\n");
}
END_TEST

START_TEST(oneline_replaces_control_characters)
{
    const char *src = "a\rb";
    const char *out = ph_text_oneline(pool, src);

    ck_assert_str_eq(out, "a?b");
    ck_assert_str_eq(src, "a\rb");          /* a copy, not in place */
    ck_assert_str_eq(ph_text_oneline(pool, "a\rb\nc\td\x7f\x01" "e"),
                     "a?b?c?d??e");
    ck_assert_str_eq(ph_text_oneline(pool, "plain text"), "plain text");
    ck_assert_str_eq(ph_text_oneline(pool, "caf\xc3\xa9"), "caf\xc3\xa9");
    ck_assert_str_eq(ph_text_oneline(pool, ""), "");
    /* Trailing line endings go; inner ones become '?'. */
    ck_assert_str_eq(ph_text_oneline(pool, "451 try again\r\n"),
                     "451 try again");
    ck_assert_str_eq(ph_text_oneline(pool, "a\r\nb \t\r\n"), "a??b ?");
    ck_assert_str_eq(ph_text_oneline(pool, "\r\n"), "");
}
END_TEST

Suite *test_text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = ph_test_tcase(s, "text");

    tcase_add_test(tc, sanitize_replaces_control_characters);
    tcase_add_test(tc, sanitize_keeps_valid_utf8);
    tcase_add_test(tc, sanitize_replaces_invalid_utf8);
    tcase_add_test(tc, sanitize_truncates_at_character_boundary);
    tcase_add_test(tc, sanitize_size_zero_writes_nothing);
    tcase_add_test(tc, json_escapes);
    tcase_add_test(tc, json_utf8);
    tcase_add_test(tc, html_escapes);
    tcase_add_test(tc, prom_label_escapes);
    tcase_add_test(tc, oneline_replaces_control_characters);
    return s;
}
