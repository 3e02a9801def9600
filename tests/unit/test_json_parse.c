/*
 * test_json_parse.c - the strict JSON parser (include/darkscan/json_parse.h): the tree and its
 * accessors, escapes and UTF-8, numbers, every kind of error with its line and column,
 * limits, and every MISP warning list in the shared data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/darkscan.h"
#include "testutil.h"

static ds_jval *parse_ok_n(const char *text, size_t len)
{
    ds_jval *root = NULL;
    ds_error err;
    if (ds_jval_parse(text, len, "t.json", &root, &err) != DS_OK)
        fail_msg("'%s': %s", text, err.msg);
    assert_non_null(root);
    return root;
}

static ds_jval *parse_ok(const char *text)
{
    return parse_ok_n(text, strlen(text));
}

/* Parsing text (len bytes) fails with status and a message that starts with `message`. */
static void expect_error_n(const char *text, size_t len, ds_status status, const char *message)
{
    ds_jval *root = (ds_jval *)1;
    ds_error err;
    ds_error_clear(&err);
    ds_status st = ds_jval_parse(text, len, "t.json", &root, &err);
    if (st != status)
        fail_msg("'%s': status %d, expected %d (%s)", text, st, status, err.msg);
    assert_null(root);
    if (strncmp(err.msg, message, strlen(message)) != 0)
        fail_msg("'%s': message '%s' does not start with '%s'", text, err.msg, message);
}

static void expect_error(const char *text, const char *message)
{
    expect_error_n(text, strlen(text), DS_ERR_FORMAT, message);
}

static void test_tree(void **state)
{
    ds_jval *root = parse_ok("{\"name\": \"censys\", \"list\": [\"1.2.3.0/24\", 5, true,"
                             " false, null, {}, []],\n \"nested\": {\"a\": {\"b\": [[1]]}}}");
    assert_int_equal(ds_jval_type(root), DS_JVAL_OBJECT);
    assert_int_equal(ds_jval_object_len(root), 3);
    size_t len;
    assert_string_equal(ds_jval_object_key(root, 0, &len), "name");
    assert_int_equal(len, 4);
    assert_string_equal(ds_jval_object_key(root, 1, NULL), "list");
    assert_string_equal(ds_jval_object_key(root, 2, NULL), "nested");
    assert_null(ds_jval_object_key(root, 3, NULL));
    assert_ptr_equal(ds_jval_object_value(root, 1), ds_jval_get(root, "list"));
    assert_string_equal(ds_jval_string(ds_jval_get(root, "name"), NULL), "censys");
    assert_null(ds_jval_get(root, "missing"));
    assert_null(ds_jval_get(root, "nam"));
    assert_null(ds_jval_get(root, "names"));
    assert_int_equal(ds_jval_type(ds_jval_get(root, "missing")), DS_JVAL_ABSENT);

    const ds_jval *list = ds_jval_get(root, "list");
    assert_int_equal(ds_jval_type(list), DS_JVAL_ARRAY);
    assert_int_equal(ds_jval_array_len(list), 7);
    const ds_jval_kind kinds[] = {DS_JVAL_STRING, DS_JVAL_NUMBER, DS_JVAL_BOOL, DS_JVAL_BOOL,
                                  DS_JVAL_NULL,   DS_JVAL_OBJECT, DS_JVAL_ARRAY};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(ds_jval_type(ds_jval_array_at(list, i)), kinds[i]);
    assert_null(ds_jval_array_at(list, 7));
    bool b = false;
    assert_int_equal(ds_jval_bool(ds_jval_array_at(list, 2), &b), DS_OK);
    assert_true(b);
    assert_int_equal(ds_jval_bool(ds_jval_array_at(list, 3), &b), DS_OK);
    assert_false(b);
    assert_int_equal(ds_jval_bool(ds_jval_array_at(list, 4), &b), DS_ERR_INVALID);
    assert_int_equal(ds_jval_object_len(ds_jval_array_at(list, 5)), 0);
    assert_int_equal(ds_jval_array_len(ds_jval_array_at(list, 6)), 0);
    /* Accessors on the wrong kind answer "nothing". */
    assert_null(ds_jval_string(list, NULL));
    assert_null(ds_jval_get(list, "a"));
    assert_int_equal(ds_jval_array_len(root), 0);
    assert_int_equal(ds_jval_object_len(list), 0);
    assert_null(ds_jval_number_text(list));
    int64_t i64;
    assert_int_equal(ds_jval_int64(list, &i64), DS_ERR_INVALID);
    assert_int_equal(ds_jval_int64(NULL, &i64), DS_ERR_INVALID);

    const ds_jval *deep = ds_jval_get(ds_jval_get(ds_jval_get(root, "nested"), "a"), "b");
    assert_int_equal(ds_jval_int64(ds_jval_array_at(ds_jval_array_at(deep, 0), 0), &i64), DS_OK);
    assert_int_equal(i64, 1);
    size_t line, col;
    ds_jval_position(ds_jval_get(root, "nested"), &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 12);
    ds_jval_position(root, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
    assert_string_equal(ds_jval_type_name(DS_JVAL_OBJECT), "object");
    assert_string_equal(ds_jval_type_name(DS_JVAL_ABSENT), "absent");

    /* Only the root frees the tree. */
    ds_jval_free((ds_jval *)list);
    ds_jval_free(NULL);
    ds_jval_free(root);

    /* Scalars at the top, with blanks around. */
    root = parse_ok(" \t\r\n42\n");
    assert_int_equal(ds_jval_type(root), DS_JVAL_NUMBER);
    ds_jval_free(root);
    root = parse_ok("\"x\"");
    assert_string_equal(ds_jval_string(root, NULL), "x");
    ds_jval_free(root);
    root = parse_ok("null");
    assert_int_equal(ds_jval_type(root), DS_JVAL_NULL);
    ds_jval_free(root);
}

static void check_string(const char *json, const char *want, size_t want_len)
{
    ds_jval *root = parse_ok(json);
    size_t len;
    const char *s = ds_jval_string(root, &len);
    assert_non_null(s);
    assert_int_equal(len, want_len);
    assert_memory_equal(s, want, want_len);
    assert_int_equal(s[len], '\0');
    ds_jval_free(root);
}

static void test_strings(void **state)
{
    check_string("\"\"", "", 0);
    check_string("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
    check_string("\"caf\\u00e9 caf\xc3\xa9\"", "caf\xc3\xa9 caf\xc3\xa9", 11);
    check_string("\"\\u20AC\\u20ac\"", "\xe2\x82\xac\xe2\x82\xac", 6);
    check_string("\"\\uD83D\\uDE00 \xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80", 9);
    check_string("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);
    check_string("\"\x7f\"", "\x7f", 1);
    check_string("\"\xef\xbb\xbf\"", "\xef\xbb\xbf", 3); /* U+FEFF inside a string */
    /* U+0000 inside a string: kept, with the length; hidden from C-string users. */
    ds_jval *root = parse_ok("[\"a\\u0000b\"]");
    const ds_jval *v = ds_jval_array_at(root, 0);
    size_t len;
    assert_non_null(ds_jval_string(v, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(ds_jval_string(v, &len), "a\0b", 3);
    assert_null(ds_jval_string(v, NULL));
    ds_jval_free(root);
    /* Keys are decoded the same way. */
    root = parse_ok("{\"\\u0061\": 1, \"caf\\u00e9\": 2}");
    assert_non_null(ds_jval_get(root, "a"));
    assert_non_null(ds_jval_get(root, "caf\xc3\xa9"));
    ds_jval_free(root);

    expect_error("\"\\uD800\"", "t.json:1:2: lone high surrogate \\uD800");
    expect_error("\"\\uD800\\u0041\"", "t.json:1:2: lone high surrogate");
    expect_error("\"\\uD800x\"", "t.json:1:2: lone high surrogate");
    expect_error("\"\\uDC00\"", "t.json:1:2: lone low surrogate \\uDC00");
    expect_error("\"\\uDE00\\uD83D\"", "t.json:1:2: lone low surrogate");
    expect_error("\"\\x\"", "t.json:1:2: invalid escape: backslash before 'x'");
    expect_error("\"\\U0041\"", "t.json:1:2: invalid escape");
    expect_error("\"\\u12\"", "t.json:1:2: \\u must be followed by 4 hex digits");
    expect_error("\"\\u12G4\"", "t.json:1:2: \\u must be followed");
    expect_error("\"\\", "t.json:1:3: unexpected end of input in the string that starts at 1:1");
    expect_error("[\"abc", "t.json:1:6: unexpected end of input in the string that starts at "
                           "1:2");
    expect_error("\"a\nb\"", "t.json:1:3: control character U+000A in a string");
    expect_error("\"a\tb\"", "t.json:1:3: control character U+0009");
    expect_error("\"\x1f\"", "t.json:1:2: control character U+001F");
    expect_error_n("\"a\0b\"", 5, DS_ERR_FORMAT, "t.json:1:3: control character U+0000");
    expect_error("\"\xff\"", "t.json:1:2: invalid UTF-8 (byte 0xff)");
    expect_error("\"\xc0\xaf\"", "t.json:1:2: invalid UTF-8 (byte 0xc0)");     /* overlong */
    expect_error("\"\xe0\x80\xaf\"", "t.json:1:2: invalid UTF-8 (byte 0xe0)"); /* overlong */
    expect_error("\"\xed\xa0\x80\"", "t.json:1:2: invalid UTF-8 (byte 0xed)"); /* surrogate */
    expect_error("\"\xf4\x90\x80\x80\"", "t.json:1:2: invalid UTF-8");         /* > U+10FFFF */
    expect_error("\"\xf8\x88\x80\x80\x80\"", "t.json:1:2: invalid UTF-8");
    expect_error("\"\x80\"", "t.json:1:2: invalid UTF-8 (byte 0x80)");
    expect_error("\"\xe2\x82\"", "t.json:1:2: invalid UTF-8");
    expect_error_n("\"\xe2\x82", 3, DS_ERR_FORMAT, "t.json:1:2: invalid UTF-8");
    expect_error("'single'", "t.json:1:1: expected a value, found '''");
}

static void check_int(const char *json, ds_status st64, int64_t want64, ds_status stu,
                      uint64_t wantu)
{
    ds_jval *root = parse_ok(json);
    int64_t i = 777;
    uint64_t u = 777;
    if (ds_jval_int64(root, &i) != st64)
        fail_msg("%s: int64 status", json);
    if (ds_jval_uint64(root, &u) != stu)
        fail_msg("%s: uint64 status", json);
    assert_int_equal(i, st64 == DS_OK ? want64 : 777);
    assert_int_equal(u, stu == DS_OK ? wantu : 777);
    assert_string_equal(ds_jval_number_text(root), json);
    ds_jval_free(root);
}

static void test_numbers(void **state)
{
    check_int("0", DS_OK, 0, DS_OK, 0);
    check_int("-0", DS_OK, 0, DS_OK, 0);
    check_int("42", DS_OK, 42, DS_OK, 42);
    check_int("-42", DS_OK, -42, DS_ERR_LIMIT, 0);
    check_int("1e3", DS_OK, 1000, DS_OK, 1000);
    check_int("1E+3", DS_OK, 1000, DS_OK, 1000);
    check_int("2.50e1", DS_OK, 25, DS_OK, 25);
    check_int("12300e-2", DS_OK, 123, DS_OK, 123);
    check_int("1.0", DS_OK, 1, DS_OK, 1);
    check_int("0e999999999999999999", DS_OK, 0, DS_OK, 0);
    check_int("0.000", DS_OK, 0, DS_OK, 0);
    check_int("2.5", DS_ERR_INVALID, 0, DS_ERR_INVALID, 0);
    check_int("1e-1", DS_ERR_INVALID, 0, DS_ERR_INVALID, 0);
    check_int("1e400", DS_ERR_LIMIT, 0, DS_ERR_LIMIT, 0);
    check_int("1e-400", DS_ERR_INVALID, 0, DS_ERR_INVALID, 0);
    check_int("9223372036854775807", DS_OK, INT64_MAX, DS_OK, INT64_MAX);
    check_int("9223372036854775808", DS_ERR_LIMIT, 0, DS_OK, 9223372036854775808ull);
    check_int("-9223372036854775808", DS_OK, INT64_MIN, DS_ERR_LIMIT, 0);
    check_int("-9223372036854775809", DS_ERR_LIMIT, 0, DS_ERR_LIMIT, 0);
    check_int("18446744073709551615", DS_ERR_LIMIT, 0, DS_OK, UINT64_MAX);
    check_int("18446744073709551616", DS_ERR_LIMIT, 0, DS_ERR_LIMIT, 0);
    check_int("1844674407370955161.5e1", DS_ERR_LIMIT, 0, DS_OK, UINT64_MAX);
    check_int("100000000000000000000", DS_ERR_LIMIT, 0, DS_ERR_LIMIT, 0);
    check_int("0.00000000000000000000000000000000000001e38", DS_OK, 1, DS_OK, 1);
    check_int("123456789012345678901234567890e-20", DS_ERR_INVALID, 0, DS_ERR_INVALID, 0);

    double d;
    ds_jval *root =
        parse_ok("[1.5, -0, 1e400, -1e400, 1e-400, 0.1, 123456789012345678901234567890]");
    assert_int_equal(ds_jval_double(ds_jval_array_at(root, 0), &d), DS_OK);
    assert_true(d == 1.5);
    assert_int_equal(ds_jval_double(ds_jval_array_at(root, 1), &d), DS_OK);
    assert_true(d == 0.0 && signbit(d));
    assert_int_equal(ds_jval_double(ds_jval_array_at(root, 2), &d), DS_ERR_LIMIT);
    assert_int_equal(ds_jval_double(ds_jval_array_at(root, 3), &d), DS_ERR_LIMIT);
    assert_int_equal(ds_jval_double(ds_jval_array_at(root, 4), &d), DS_OK);
    assert_true(d == 0.0);
    assert_int_equal(ds_jval_double(ds_jval_array_at(root, 5), &d), DS_OK);
    assert_true(d == 0.1);
    assert_int_equal(ds_jval_double(ds_jval_array_at(root, 6), &d), DS_OK);
    assert_true(d == 123456789012345678901234567890.0);
    assert_string_equal(ds_jval_number_text(ds_jval_array_at(root, 1)), "-0");
    assert_int_equal(ds_jval_double(ds_jval_array_at(NULL, 0), &d), DS_ERR_INVALID);
    ds_jval_free(root);

    /* The decimal point does not follow the C library's locale. */
    const char *locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C.UTF-8"};
    for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]); i++) {
        if (setlocale(LC_NUMERIC, locales[i]) == NULL)
            continue;
        root = parse_ok("2.25");
        assert_int_equal(ds_jval_double(root, &d), DS_OK);
        assert_true(d == 2.25);
        ds_jval_free(root);
    }
    setlocale(LC_NUMERIC, "C");

    expect_error("01", "t.json:1:1: invalid number: leading zero");
    expect_error("-01", "t.json:1:2: invalid number: leading zero");
    expect_error("-", "t.json:1:2: unexpected end of input: expected a digit after '-'");
    expect_error("-x", "t.json:1:2: expected a digit after '-', found 'x'");
    expect_error("1.", "t.json:1:3: unexpected end of input: expected a digit after the "
                       "decimal point");
    expect_error("1.e5", "t.json:1:3: expected a digit after the decimal point");
    expect_error(".5", "t.json:1:1: expected a value, found '.'");
    expect_error("+1", "t.json:1:1: expected a value, found '+'");
    expect_error("1e", "t.json:1:3: unexpected end of input: expected a digit in the exponent");
    expect_error("1e+", "t.json:1:4: unexpected end of input");
    expect_error("0x10", "t.json:1:2: unexpected 'x' after the JSON value");
    expect_error("NaN", "t.json:1:1: expected a value, found 'N'");
    expect_error("Infinity", "t.json:1:1: expected a value");
    expect_error("-Infinity", "t.json:1:2: expected a digit after '-'");
    expect_error("[1 2]", "t.json:1:4: expected ',' or ']', found '2'");
}

static void test_syntax_errors(void **state)
{
    expect_error("", "t.json:1:1: no JSON value (the input is empty)");
    expect_error(" \n\t ", "t.json:2:3: no JSON value");
    expect_error("{} {}", "t.json:1:4: unexpected '{' after the JSON value");
    expect_error("[1,]", "t.json:1:3: trailing comma before ']'");
    expect_error("{\"a\": 1,}", "t.json:1:8: trailing comma before '}'");
    expect_error("{\"a\": 1 , \n }", "t.json:1:9: trailing comma before '}'");
    expect_error("[,1]", "t.json:1:2: expected a value, found ','");
    expect_error("{,}", "t.json:1:2: expected a string key, found ','");
    expect_error("{\"a\" 1}", "t.json:1:6: expected ':' after the key, found '1'");
    expect_error("{a: 1}", "t.json:1:2: expected a string key, found 'a'");
    expect_error("{\"a\": 1 \"b\": 2}", "t.json:1:9: expected ',' or '}', found '\"'");
    expect_error("{\n  \"a\": 1\n  \"b\": 2\n}", "t.json:3:3: expected ',' or '}', found '\"'");
    /* The column counts characters: the x comes after a two-byte é. */
    expect_error("[\"\xc3\xa9\", x]", "t.json:1:7: expected a value, found 'x'");
    expect_error("[", "t.json:1:2: unexpected end of input: expected a value");
    expect_error("[1", "t.json:1:3: unexpected end of input: expected ',' or ']'");
    expect_error("{\"a\":", "t.json:1:6: unexpected end of input: expected a value");
    expect_error("{\"a\"", "t.json:1:5: unexpected end of input: expected ':' after the key");
    expect_error("]", "t.json:1:1: expected a value, found ']'");
    expect_error("[1]]", "t.json:1:4: unexpected ']' after the JSON value");
    expect_error("tru", "t.json:1:1: invalid literal: expected 'true'");
    expect_error("nul", "t.json:1:1: invalid literal: expected 'null'");
    expect_error("True", "t.json:1:1: expected a value, found 'T'");
    expect_error("falsey", "t.json:1:6: unexpected 'y' after the JSON value");
    expect_error("[true false]", "t.json:1:7: expected ',' or ']', found 'f'");
    expect_error("/* c */ 1", "t.json:1:1: expected a value, found '/'");
    expect_error("[1] // c", "t.json:1:5: unexpected '/' after the JSON value");
    expect_error_n("[1,\0]", 5, DS_ERR_FORMAT, "t.json:1:4: expected a value, found byte 0x00");
    expect_error_n("1\0", 2, DS_ERR_FORMAT, "t.json:1:2: unexpected byte 0x00 after");
    expect_error("[1]\f", "t.json:1:4: unexpected byte 0x0c after the JSON value");
    expect_error("\xc2\xa0[]", "t.json:1:1: expected a value, found byte 0xc2");

    /* A byte order mark at the start is skipped (and is no column); elsewhere it is an error. */
    ds_jval *root = parse_ok("\xef\xbb\xbf{\"a\": [1]}");
    assert_non_null(ds_jval_get(root, "a"));
    size_t line, col;
    ds_jval_position(root, &line, &col);
    assert_int_equal(col, 1);
    ds_jval_free(root);
    expect_error("\xef\xbb\xbf", "t.json:1:1: no JSON value");
    expect_error("\xef\xbb\xbf[x]", "t.json:1:2: expected a value, found 'x'");
    expect_error("{}\xef\xbb\xbf", "t.json:1:3: unexpected byte 0xef after the JSON value");
    expect_error(" \xef\xbb\xbf{}", "t.json:1:2: expected a value, found byte 0xef");

    /* No name: "<input>". */
    ds_error err;
    assert_int_equal(ds_jval_parse("[", 1, NULL, &root, &err), DS_ERR_FORMAT);
    assert_string_equal(err.msg, "<input>:1:2: unexpected end of input: expected a value");
}

static void test_duplicate_keys(void **state)
{
    expect_error("{\"a\": 1, \"b\": 2, \"a\": 3}",
                 "t.json:1:18: duplicate key \"a\" (first at 1:2)");
    expect_error("[{}, {\"x\": {\"k\": 1,\n \"k\": 2}}]",
                 "t.json:2:2: duplicate key \"k\" (first at 1:13)");
    expect_error("{\"\\u0061\": 1, \"a\": 2}", "t.json:1:15: duplicate key \"a\"");
    expect_error("{\"a\\u0000\": 1, \"a\\u0000\": 2}", "t.json:1:16: duplicate key \"a\\x00\"");
    /* Keys that share a prefix or differ only after a NUL are distinct. */
    ds_jval *root = parse_ok("{\"a\": 1, \"ab\": 2, \"a\\u0000\": 3, \"\": 4}");
    int64_t v;
    assert_int_equal(ds_jval_int64(ds_jval_get(root, "a"), &v), DS_OK);
    assert_int_equal(v, 1);
    assert_int_equal(ds_jval_int64(ds_jval_get(root, "ab"), &v), DS_OK);
    assert_int_equal(v, 2);
    assert_int_equal(ds_jval_int64(ds_jval_get(root, ""), &v), DS_OK);
    assert_int_equal(v, 4);
    ds_jval_free(root);
}

static void test_big_object(void **state)
{
    tu_buf b = {0};
    tu_buf_put(&b, "{", 1);
    for (int i = 9999; i >= 0; i--) {
        char m[48];
        int n = snprintf(m, sizeof(m), "%s\"key%d\": [%d]", i == 9999 ? "" : ",", i, i);
        tu_buf_put(&b, m, (size_t)n);
    }
    tu_buf_put(&b, "}", 1);
    ds_jval *root = parse_ok_n((const char *)b.data, b.len);
    assert_int_equal(ds_jval_object_len(root), 10000);
    for (int i = 0; i < 10000; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key%d", i);
        int64_t v;
        assert_int_equal(ds_jval_int64(ds_jval_array_at(ds_jval_get(root, key), 0), &v), DS_OK);
        assert_int_equal(v, i);
        assert_string_equal(ds_jval_object_key(root, (size_t)(9999 - i), NULL), key);
    }
    ds_jval_free(root);
    tu_buf_free(&b);
}

static void test_limits(void **state)
{
    tu_buf b = {0};
    for (int i = 0; i < DS_JVAL_MAX_DEPTH; i++)
        tu_buf_put(&b, "[", 1);
    for (int i = 0; i < DS_JVAL_MAX_DEPTH; i++)
        tu_buf_put(&b, "]", 1);
    ds_jval_free(parse_ok_n((const char *)b.data, b.len));
    tu_buf_free(&b);
    for (int i = 0; i < DS_JVAL_MAX_DEPTH + 1; i++)
        tu_buf_put(&b, "[", 1);
    expect_error_n((const char *)b.data, b.len, DS_ERR_LIMIT,
                   "t.json:1:513: nested deeper than 512 levels");
    tu_buf_free(&b);
    /* Mixed objects and arrays, closed or not: the limit holds the same. */
    for (int i = 0; i < 100000; i++)
        tu_buf_put(&b, "{\"a\":[", 6);
    expect_error_n((const char *)b.data, b.len, DS_ERR_LIMIT, "t.json:1:1537: nested deeper");
    tu_buf_free(&b);

    ds_jval_limits lim = {2, 1000};
    ds_jval *root;
    ds_error err;
    assert_int_equal(ds_jval_parse_limits("[[1]]", 5, "x", &lim, &root, &err), DS_OK);
    ds_jval_free(root);
    assert_int_equal(ds_jval_parse_limits("[[[1]]]", 7, "x", &lim, &root, &err), DS_ERR_LIMIT);
    assert_string_equal(err.msg, "x:1:3: nested deeper than 2 levels");
    lim.max_bytes = 4;
    assert_int_equal(ds_jval_parse_limits("[[1]]", 5, "x", &lim, &root, &err), DS_ERR_LIMIT);
    assert_string_equal(err.msg, "x: larger than 4 bytes");
    assert_null(root);
}

static void test_files(void **state)
{
    const char *path = tu_path("r.json");
    const char *text = "{\n  \"networks\": [\n    {\"block\": \"198.20.0.0/16\"}\n  ],\n}\n";
    tu_write_file(path, text, strlen(text));
    ds_jval *root;
    ds_error err;
    assert_int_equal(ds_jval_parse_file(path, &root, &err), DS_ERR_FORMAT);
    char want[600];
    snprintf(want, sizeof(want), "%s:4:4: trailing comma before '}'", path);
    assert_string_equal(err.msg, want);
    assert_null(root);

    tu_write_file(path, "", 0);
    assert_int_equal(ds_jval_parse_file(path, &root, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_jval_parse_file(tu_path("missing.json"), &root, &err), DS_ERR_IO);
    snprintf(want, sizeof(want), "%s: No such file or directory", tu_path("missing.json"));
    assert_string_equal(err.msg, want);
    assert_int_equal(ds_jval_parse_file(tu_tmpdir(), &root, &err), DS_ERR_IO);
    assert_non_null(strstr(err.msg, "Is a directory"));
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every MISP warning list in the shared data parses, with the shape a loader relies on. */
static void test_misp_warninglists(void **state)
{
    const char *dir = DS_SHARED_DATA "/scanners/misp-warninglists";
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("%s: cannot open", dir);
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0 && n < 256)
            names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp);
    assert_true(n >= 30);
    size_t entries = 0;
    bool saw_censys = false;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        ds_jval *root;
        ds_error err;
        if (ds_jval_parse_file(path, &root, &err) != DS_OK)
            fail_msg("%s", err.msg);
        assert_int_equal(ds_jval_type(root), DS_JVAL_OBJECT);
        assert_non_null(ds_jval_string(ds_jval_get(root, "name"), NULL));
        assert_non_null(ds_jval_string(ds_jval_get(root, "type"), NULL));
        const ds_jval *list = ds_jval_get(root, "list");
        assert_int_equal(ds_jval_type(list), DS_JVAL_ARRAY);
        assert_true(ds_jval_array_len(list) > 0);
        for (size_t k = 0; k < ds_jval_array_len(list); k++) {
            const char *item = ds_jval_string(ds_jval_array_at(list, k), NULL);
            assert_non_null(item);
            if (strcmp(item, "162.142.125.0/24") == 0 && strstr(names[i], "censys") != NULL)
                saw_censys = true;
        }
        int64_t version;
        assert_int_equal(ds_jval_int64(ds_jval_get(root, "version"), &version), DS_OK);
        assert_true(version > 0);
        entries += ds_jval_array_len(list);
        ds_jval_free(root);
        free(names[i]);
    }
    assert_true(saw_censys);
    assert_true(entries > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_big_object),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_misp_warninglists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
