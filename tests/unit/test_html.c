/*
 * test_html.c - the report's HTML writer escapes every string from input (html.h): markup
 * characters, controls, NUL bytes, invalid UTF-8, and builds safe element ids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"

/* Output capture: open_memstream, then the text after fclose. */
typedef struct sink {
    FILE *f;
    char *buf;
    size_t len;
} sink;

static FILE *sink_open(sink *s)
{
    s->buf = NULL;
    s->len = 0;
    s->f = open_memstream(&s->buf, &s->len);
    assert_non_null(s->f);
    return s->f;
}

static char *sink_close(sink *s)
{
    assert_int_equal(fclose(s->f), 0);
    return s->buf;
}

static void expect_text(const char *in, size_t len, const char *want)
{
    sink s;
    ds_html_text_len(sink_open(&s), in, len);
    char *got = sink_close(&s);
    assert_string_equal(got, want);
    free(got);
}

#define FFFD "\xEF\xBF\xBD"
/* expect_lit - a string literal (NUL bytes included) and what it must become. */
#define expect_lit(lit, want) expect_text(lit, sizeof(lit) - 1, want)

static void test_markup_characters(void **state)
{
    const char *in = "<script>alert(\"x\")</script> & 'y'";
    expect_text(in, strlen(in),
                "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
    expect_lit("", "");
    expect_lit("plain text, 1.2.3.4/16", "plain text, 1.2.3.4/16");
    /* an entity in the input is text, not an entity */
    expect_lit("&lt;", "&amp;lt;");
}

static void test_controls(void **state)
{
    expect_lit("\x01"
               "a\tb\nc\rd\x7f"
               "e\x1b[31m",
               FFFD "a\tb\nc\rd" FFFD "e" FFFD "[31m");
    expect_lit("a\0b", "a" FFFD "b");
    /* C1 controls (U+0080, U+009F) and noncharacters (U+FFFE, U+FDD0, U+10FFFF) */
    expect_lit("\xC2\x80\xC2\x9F", FFFD FFFD);
    expect_lit("\xEF\xBF\xBE|\xEF\xB7\x90|\xF4\x8F\xBF\xBF", FFFD "|" FFFD "|" FFFD);
}

static void test_invalid_utf8(void **state)
{
    /* valid multi-byte text passes unchanged */
    expect_lit("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80",
               "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
    /* a bad byte is replaced alone, and what follows it is read again */
    expect_lit("\xC3(", FFFD "(");
    expect_lit("\x80"
               "a",
               FFFD "a");
    expect_lit("\xC0\xAF", FFFD FFFD);                   /* overlong '/' */
    expect_lit("\xE0\x80\xBC", FFFD FFFD FFFD);          /* overlong '<' */
    expect_lit("\xED\xA0\x80", FFFD FFFD FFFD);          /* a surrogate */
    expect_lit("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* beyond U+10FFFF */
    expect_lit("ab\xE2\x82", "ab" FFFD FFFD);            /* cut at the end */
    expect_lit("\xFF\xFE<", FFFD FFFD "&lt;");
}

/* valid_utf8 - the whole buffer decodes as UTF-8 without a control or markup character. */
static bool safe_output(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '<' || c == '>' || c == '"' || c == '\'')
            return false;
        if (c == '&') {
            const char *ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
            bool ok = false;
            for (size_t k = 0; k < 5; k++)
                ok = ok || strncmp((const char *)s + i, ents[k], strlen(ents[k])) == 0;
            if (!ok)
                return false;
        }
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
                return false;
            i++;
            continue;
        }
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (len == 0 || i + len > n)
            return false;
        uint32_t v = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            v = v << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF ||
            (v >= 0xD800 && v <= 0xDFFF) || (v >= 0x80 && v <= 0x9F))
            return false;
        i += len;
    }
    return true;
}

static void test_random_bytes_are_safe(void **state)
{
    uint32_t seed = 12345;
    unsigned char in[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 64);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* bias towards the interesting bytes */
            static const unsigned char pick[] = {'<',  '&',  '"',  0,    0x80, 0xC3, 0xE2, 0xED,
                                                 0xF0, 0xF4, 0xBF, 0x9F, '\'', '>',  'a',  0x1F};
            in[i] = (seed >> 16) & 1 ? pick[(seed >> 20) % 16] : (unsigned char)(seed >> 8);
        }
        sink s;
        ds_html_text_len(sink_open(&s), (const char *)in, n);
        char *got = sink_close(&s);
        assert_true(safe_output((const unsigned char *)got, s.len));
        free(got);
    }
}

static void test_attr_and_elem(void **state)
{
    sink s;
    FILE *f = sink_open(&s);
    ds_html_attr(f, "title", "a\"b<c>&'");
    ds_html_attr(f, "href", NULL);
    ds_html_raw(f, "|");
    ds_html_elem(f, "td", "num", "<b>1</b>");
    ds_html_elem(f, "span", NULL, NULL);
    ds_html_rawf(f, "|%d", 42);
    ds_html_text(f, NULL);
    char *got = sink_close(&s);
    assert_string_equal(got, " title=\"a&quot;b&lt;c&gt;&amp;&#39;\"|<td class=\"num\">&lt;b&gt;1"
                             "&lt;/b&gt;</td><span></span>|42");
    free(got);
}

static void test_anchor(void **state)
{
    char buf[64];
    assert_string_equal(ds_html_anchor("block-", "198.20.0.0/16", buf, sizeof(buf)),
                        "block-198-20-0-0-16");
    assert_string_equal(ds_html_anchor("block-", "<script>\"x\"</script>", buf, sizeof(buf)),
                        "block-script-x-script");
    assert_string_equal(ds_html_anchor("c-", "US", buf, sizeof(buf)), "c-us");
    assert_string_equal(ds_html_anchor("", "..a..b..", buf, sizeof(buf)), "-a-b");
    assert_string_equal(ds_html_anchor("block-", "", buf, sizeof(buf)), "block-");
    assert_string_equal(ds_html_anchor("block-", "\xC3\xA9t\xC3\xA9", buf, sizeof(buf)), "block-t");
    /* cut, never overflowing */
    char small[8];
    assert_string_equal(ds_html_anchor("block-", "198.20.0.0/16", small, sizeof(small)), "block-1");
    assert_string_equal(ds_html_anchor("block-", "1", buf, 1), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markup_characters), cmocka_unit_test(test_controls),
        cmocka_unit_test(test_invalid_utf8),      cmocka_unit_test(test_random_bytes_are_safe),
        cmocka_unit_test(test_attr_and_elem),     cmocka_unit_test(test_anchor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
