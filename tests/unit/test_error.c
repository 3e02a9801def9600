/*
 * test_error.c - ds_error and ds_diag behave as error.h says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "darkscan/darkscan.h"

static void test_set_and_prefix(void **state)
{
    ds_error err;
    ds_error_clear(&err);
    assert_int_equal(err.status, DS_OK);
    assert_int_equal(ds_error_set(&err, DS_ERR_FORMAT, "byte %d: bad magic", 0), DS_ERR_FORMAT);
    ds_error_prefix(&err, "%s", "a.pcap");
    assert_string_equal(err.msg, "a.pcap: byte 0: bad magic");
    assert_int_equal(err.status, DS_ERR_FORMAT);
    /* NULL is accepted everywhere. */
    assert_int_equal(ds_error_set(NULL, DS_ERR_IO, "x"), DS_ERR_IO);
    ds_error_prefix(NULL, "x");
    ds_error_clear(NULL);
}

static void test_long_message_is_cut(void **state)
{
    ds_error err;
    char long_text[2 * DS_ERROR_MAX];
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    ds_error_set(&err, DS_ERR_IO, "%s", long_text);
    assert_int_equal(strlen(err.msg), DS_ERROR_MAX - 1);
    ds_error_prefix(&err, "file");
    assert_int_equal(strlen(err.msg), DS_ERROR_MAX - 1);
    assert_memory_equal(err.msg, "file: x", 7);
}

static void collect(void *ctx, const char *msg)
{
    strcat((char *)ctx, msg);
    strcat((char *)ctx, ";");
}

static void test_warn(void **state)
{
    char seen[128] = "";
    ds_diag diag = {collect, seen};
    ds_warn(&diag, "line %d", 3);
    ds_warn(&diag, "two");
    ds_warn(NULL, "dropped");
    assert_string_equal(seen, "line 3;two;");
    assert_string_equal(ds_status_name(DS_ERR_NOMEM), "out of memory");
    assert_non_null(ds_version());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_prefix),
        cmocka_unit_test(test_long_message_is_cut),
        cmocka_unit_test(test_warn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
