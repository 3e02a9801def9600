/*
 * test_json.c - the JSON writer (include/darkscan/json.h, lib/util/json_writer.c): layout,
 * escaping, numbers, misuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct capture_out {
    char *text;
    size_t len;
    FILE *f;
    ds_json *j;
} capture_out;

static ds_json *start(capture_out *o, bool pretty)
{
    memset(o, 0, sizeof(*o));
    o->f = open_memstream(&o->text, &o->len);
    assert_non_null(o->f);
    o->j = ds_json_new(o->f, pretty);
    assert_non_null(o->j);
    return o->j;
}

/* finish - the document's text (owned by o) and the finish status. */
static ds_status finish(capture_out *o, ds_error *err)
{
    ds_status rc = ds_json_finish(o->j, err);
    ds_json_free(o->j);
    fclose(o->f);
    return rc;
}

static void test_compact_and_pretty(void **state)
{
    for (int pretty = 0; pretty <= 1; pretty++) {
        capture_out o;
        ds_json *j = start(&o, pretty);
        ds_json_object_begin(j);
        ds_json_key(j, "tool");
        ds_json_string(j, "darkscan");
        ds_json_key(j, "list");
        ds_json_array_begin(j);
        ds_json_int(j, 1);
        ds_json_bool(j, true);
        ds_json_null(j);
        ds_json_array_end(j);
        ds_json_key(j, "empty");
        ds_json_object_begin(j);
        ds_json_object_end(j);
        ds_json_key(j, "none");
        ds_json_array_begin(j);
        ds_json_array_end(j);
        ds_json_object_end(j);
        ds_error err;
        assert_int_equal(finish(&o, &err), DS_OK);
        if (pretty)
            assert_string_equal(o.text, "{\n"
                                        "  \"tool\": \"darkscan\",\n"
                                        "  \"list\": [\n"
                                        "    1,\n"
                                        "    true,\n"
                                        "    null\n"
                                        "  ],\n"
                                        "  \"empty\": {},\n"
                                        "  \"none\": []\n"
                                        "}\n");
        else
            assert_string_equal(o.text,
                                "{\"tool\":\"darkscan\",\"list\":[1,true,null],\"empty\":{},"
                                "\"none\":[]}\n");
        free(o.text);
    }
}

static void check_string(const char *in, size_t len, const char *want)
{
    capture_out o;
    ds_json *j = start(&o, false);
    ds_json_string_len(j, in, len);
    assert_int_equal(finish(&o, NULL), DS_OK);
    char line[512];
    snprintf(line, sizeof(line), "%s\n", want);
    assert_string_equal(o.text, line);
    free(o.text);
}

static void test_escaping(void **state)
{
    check_string("plain", 5, "\"plain\"");
    check_string("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"");
    check_string("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    check_string("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    check_string("nul\0here", 8, "\"nul\\u0000here\"");
    /* Valid UTF-8 passes through: é (2 bytes), € (3), 𝄞 (4). */
    check_string("\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e", 9,
                 "\"\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e\"");
    /* Invalid UTF-8 byte by byte: a lone continuation, a cut sequence, an overlong form, a
     * surrogate, beyond U+10FFFF, 0xff. */
    check_string("\x80", 1, "\"\\u0080\"");
    check_string("\xc3", 1, "\"\\u00c3\"");
    check_string("\xe2\x82", 2, "\"\\u00e2\\u0082\"");
    check_string("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");
    check_string("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"");
    check_string("\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"");
    check_string("a\xffz", 3, "\"a\\u00ffz\"");
    /* Keys are escaped the same way; NULL strings are null. */
    capture_out o;
    ds_json *j = start(&o, false);
    ds_json_object_begin(j);
    ds_json_key(j, "we\"ird\x01");
    ds_json_string(j, NULL);
    ds_json_object_end(j);
    assert_int_equal(finish(&o, NULL), DS_OK);
    assert_string_equal(o.text, "{\"we\\\"ird\\u0001\":null}\n");
    free(o.text);
}

static void check_double(double v, const char *want)
{
    capture_out o;
    ds_json *j = start(&o, false);
    ds_json_double(j, v);
    assert_int_equal(finish(&o, NULL), DS_OK);
    char line[64];
    snprintf(line, sizeof(line), "%s\n", want);
    assert_string_equal(o.text, line);
    if (isfinite(v))
        assert_true(strtod(o.text, NULL) == v);
    free(o.text);
}

static void test_numbers(void **state)
{
    check_double(0.8, "0.8");
    check_double(1.0, "1.0");
    check_double(0.0, "0.0");
    check_double(-2.5, "-2.5");
    check_double(0.1 + 0.2, "0.30000000000000004");
    check_double(1.0 / 3.0, "0.3333333333333333");
    check_double(0.731, "0.731");
    check_double(1e300, "1e+300");
    check_double(5e-324, "5e-324");
    check_double(DBL_MAX, "1.7976931348623157e+308");
    check_double(123456789.0, "123456789.0");
    check_double(NAN, "null");
    check_double(INFINITY, "null");

    capture_out o;
    ds_json *j = start(&o, false);
    ds_json_array_begin(j);
    ds_json_int(j, INT64_MIN);
    ds_json_int(j, INT64_MAX);
    ds_json_uint(j, UINT64_MAX);
    ds_json_int(j, 0);
    ds_json_array_end(j);
    assert_int_equal(finish(&o, NULL), DS_OK);
    assert_string_equal(o.text,
                        "[-9223372036854775808,9223372036854775807,18446744073709551615,0]\n");
    free(o.text);
}

static void test_misuse(void **state)
{
    ds_error err;
    capture_out o;
    ds_json *j = start(&o, false);
    ds_json_object_begin(j);
    ds_json_int(j, 1); /* no key */
    assert_int_equal(finish(&o, &err), DS_ERR_STATE);
    assert_non_null(strstr(err.msg, "without a key"));
    free(o.text);

    j = start(&o, false);
    ds_json_array_begin(j);
    ds_json_key(j, "k");
    assert_int_equal(finish(&o, &err), DS_ERR_STATE);
    free(o.text);

    j = start(&o, false);
    ds_json_array_begin(j);
    ds_json_object_end(j);
    assert_int_equal(finish(&o, &err), DS_ERR_STATE);
    free(o.text);

    j = start(&o, false);
    ds_json_array_begin(j);
    assert_int_equal(finish(&o, &err), DS_ERR_STATE); /* not closed */
    free(o.text);

    j = start(&o, false);
    ds_json_int(j, 1);
    ds_json_int(j, 2);
    assert_int_equal(finish(&o, &err), DS_ERR_STATE);
    free(o.text);

    j = start(&o, false);
    for (int i = 0; i < DS_JSON_MAX_DEPTH + 5; i++)
        ds_json_array_begin(j);
    assert_int_equal(finish(&o, &err), DS_ERR_LIMIT);
    free(o.text);

    /* Exactly the maximum depth is fine. */
    j = start(&o, false);
    for (int i = 0; i < DS_JSON_MAX_DEPTH; i++)
        ds_json_array_begin(j);
    for (int i = 0; i < DS_JSON_MAX_DEPTH; i++)
        ds_json_array_end(j);
    assert_int_equal(finish(&o, &err), DS_OK);
    free(o.text);
    ds_json_free(NULL);
}

/* A write error shows at finish: /dev/full. */
static void test_write_error(void **state)
{
    FILE *f = fopen("/dev/full", "w");
    if (f == NULL) {
        skip();
        return;
    }
    ds_json *j = ds_json_new(f, true);
    ds_json_string(j, "x");
    ds_error err;
    assert_int_equal(ds_json_finish(j, &err), DS_ERR_IO);
    ds_json_free(j);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_and_pretty),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
