/*
 * test_darknet.c - D and its dense index (include/darkscan/darknet.h): strict address and CIDR
 * parsing, -d lists, darknet list files, merging of overlaps, and the index against a
 * brute-force oracle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/darkscan.h"
#include "testutil.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* Warnings collected from a ds_diag. */
typedef struct warnings {
    char text[128][DS_ERROR_MAX];
    size_t n;
} warnings;

static void collect(void *ctx, const char *msg)
{
    warnings *w = ctx;
    if (w->n < 128)
        snprintf(w->text[w->n], DS_ERROR_MAX, "%s", msg);
    w->n++;
}

static void expect_ipv4_error(const char *text, const char *reason)
{
    uint32_t addr = 0xdeadbeef;
    ds_error err;
    ds_error_clear(&err);
    if (ds_parse_ipv4(text, &addr, &err) != DS_ERR_FORMAT)
        fail_msg("'%s' was accepted as an IPv4 address", text);
    assert_int_equal(addr, 0xdeadbeef);
    if (strstr(err.msg, reason) == NULL)
        fail_msg("'%s': message '%s' does not say '%s'", text, err.msg, reason);
}

static void test_parse_ipv4(void **state)
{
    uint32_t a;
    assert_int_equal(ds_parse_ipv4("0.0.0.0", &a, NULL), DS_OK);
    assert_int_equal(a, 0);
    assert_int_equal(ds_parse_ipv4("255.255.255.255", &a, NULL), DS_OK);
    assert_int_equal(a, UINT32_MAX);
    assert_int_equal(ds_parse_ipv4("192.0.2.10", &a, NULL), DS_OK);
    assert_int_equal(a, IP(192, 0, 2, 10));
    assert_int_equal(ds_parse_ipv4("10.0.0.0", &a, NULL), DS_OK);
    assert_int_equal(a, IP(10, 0, 0, 0));

    expect_ipv4_error("", "empty");
    expect_ipv4_error("1.2.3", "expected 4 numbers separated by dots, found 3");
    expect_ipv4_error("1", "found 1");
    expect_ipv4_error("1.2.3.4.5", "more than 4 numbers");
    expect_ipv4_error("010.0.0.1", "leading zero in '010'");
    expect_ipv4_error("1.2.3.00", "leading zero in '00'");
    expect_ipv4_error("1.2.3.256", "256 is greater than 255");
    expect_ipv4_error("1.2.3.99999999999999999999", "greater than 255");
    expect_ipv4_error(" 1.2.3.4", "unexpected space");
    expect_ipv4_error("1.2.3.4 ", "unexpected space");
    expect_ipv4_error("1. 2.3.4", "unexpected space");
    expect_ipv4_error("1..2.3", "empty number");
    expect_ipv4_error("1.2.3.", "empty number");
    expect_ipv4_error("+1.2.3.4", "unexpected '+'");
    expect_ipv4_error("1.2.3.-4", "unexpected '-'");
    expect_ipv4_error("0x1.2.3.4", "unexpected 'x'");
    expect_ipv4_error("1.2.3.4\n", "unexpected byte 0x0a");
    expect_ipv4_error("1.2.3.4/8", "unexpected '/'");
}

static void expect_cidr_error(const char *text, const char *reason)
{
    uint32_t addr;
    unsigned len;
    ds_error err;
    ds_error_clear(&err);
    if (ds_parse_cidr(text, &addr, &len, &err) != DS_ERR_FORMAT)
        fail_msg("'%s' was accepted as a CIDR", text);
    if (strstr(err.msg, reason) == NULL)
        fail_msg("'%s': message '%s' does not say '%s'", text, err.msg, reason);
}

static void test_parse_cidr(void **state)
{
    uint32_t a;
    unsigned len;
    assert_int_equal(ds_parse_cidr("10.0.0.0/8", &a, &len, NULL), DS_OK);
    assert_int_equal(a, IP(10, 0, 0, 0));
    assert_int_equal(len, 8);
    assert_int_equal(ds_parse_cidr("0.0.0.0/0", &a, &len, NULL), DS_OK);
    assert_int_equal(a, 0);
    assert_int_equal(len, 0);
    assert_int_equal(ds_parse_cidr("1.2.3.4/32", &a, &len, NULL), DS_OK);
    assert_int_equal(len, 32);
    assert_int_equal(ds_parse_cidr("1.2.3.4", &a, &len, NULL), DS_OK);
    assert_int_equal(a, IP(1, 2, 3, 4));
    assert_int_equal(len, 32);
    assert_int_equal(ds_parse_cidr("192.168.128.0/17", &a, &len, NULL), DS_OK);
    assert_int_equal(len, 17);

    ds_error err;
    assert_int_equal(ds_parse_cidr("10.0.0.1/24", &a, &len, &err), DS_ERR_FORMAT);
    assert_string_equal(err.msg,
                        "10.0.0.1/24 has host bits set (0.0.0.1 beyond the /24; did you mean "
                        "10.0.0.0/24?)");
    expect_cidr_error("1.2.3.4/0", "0.0.0.0/0?");
    expect_cidr_error("10.128.0.0/8", "(0.128.0.0 beyond the /8; did you mean 10.0.0.0/8?)");
    expect_cidr_error("10.0.0.0/33", "prefix length must be 0 to 32");
    expect_cidr_error("10.0.0.0/", "prefix length");
    expect_cidr_error("10.0.0.0/08", "prefix length");
    expect_cidr_error("10.0.0.0/-1", "prefix length");
    expect_cidr_error("10.0.0.0/ 8", "prefix length");
    expect_cidr_error("10.0.0.0/8 ", "prefix length");
    expect_cidr_error("10.0.0.0/100", "prefix length");
    expect_cidr_error("10.0.0.0/8/8", "prefix length");
    expect_cidr_error("10.0.0/8", "found 3");
    expect_cidr_error("/8", "empty");
}

static void test_format_ipv4(void **state)
{
    char buf[16];
    assert_string_equal(ds_format_ipv4(IP(255, 255, 255, 255), buf), "255.255.255.255");
    assert_string_equal(ds_format_ipv4(0, buf), "0.0.0.0");
    assert_string_equal(ds_format_ipv4(IP(192, 0, 2, 1), buf), "192.0.2.1");
}

static ds_darknet *finished(const char *text, warnings *w)
{
    ds_darknet *d = ds_darknet_new();
    assert_non_null(d);
    ds_error err;
    if (ds_darknet_add(d, text, NULL, &err) != DS_OK)
        fail_msg("add '%s': %s", text, err.msg);
    ds_diag diag = {collect, w};
    if (ds_darknet_finish(d, w ? &diag : NULL, &err) != DS_OK)
        fail_msg("finish: %s", err.msg);
    return d;
}

static void test_add_list(void **state)
{
    ds_darknet *d = finished("10.0.0.0/24, 10.0.2.0/24,\t192.0.2.7", NULL);
    assert_int_equal(ds_darknet_size(d), 513);
    assert_int_equal(ds_darknet_prefix_count(d), 3);
    assert_int_equal(ds_darknet_sensor_count(d), 1);
    assert_string_equal(ds_darknet_sensor_name(d, 0), DS_DARKNET_DEFAULT_SENSOR);
    assert_int_equal(ds_darknet_index(d, IP(10, 0, 0, 0)), 0);
    assert_int_equal(ds_darknet_index(d, IP(10, 0, 1, 0)), -1);
    assert_int_equal(ds_darknet_index(d, IP(10, 0, 2, 0)), 256);
    assert_int_equal(ds_darknet_index(d, IP(192, 0, 2, 7)), 512);
    assert_int_equal(ds_darknet_index(d, IP(192, 0, 2, 8)), -1);
    ds_darknet_free(d);

    /* A failing add adds nothing, not even its sensor. */
    d = ds_darknet_new();
    ds_error err;
    assert_int_equal(ds_darknet_add(d, "10.0.0.0/8", "A", &err), DS_OK);
    const char *bad[] = {"",
                         ",",
                         "11.0.0.0/8,",
                         "11.0.0.0/8,,12.0.0.0/8",
                         "11.0.0.0/8,12.0.0.1/8",
                         "11.0.0.0/8 12.0.0.0/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ds_error_clear(&err);
        if (ds_darknet_add(d, bad[i], "B", &err) != DS_ERR_FORMAT)
            fail_msg("'%s' was accepted", bad[i]);
        assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(ds_darknet_add(d, "11.0.0.0/8", "bad name", &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "sensor name 'bad name'"));
    assert_int_equal(ds_darknet_add(d, "11.0.0.0/8", "", &err), DS_ERR_INVALID);
    assert_int_equal(ds_darknet_add(d, "11.0.0.0/8", "a#b", &err), DS_ERR_INVALID);
    char long_name[DS_DARKNET_SENSOR_MAX + 2];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(ds_darknet_add(d, "11.0.0.0/8", long_name, &err), DS_ERR_INVALID);
    long_name[DS_DARKNET_SENSOR_MAX] = '\0';
    assert_int_equal(ds_darknet_add(d, "11.0.0.0/8", long_name, &err), DS_OK);
    assert_int_equal(ds_darknet_sensor_count(d), 2);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_size(d), 2u << 24);
    assert_int_equal(ds_darknet_sensor_size(d, 0), 1u << 24);
    ds_darknet_free(d);
}

static void test_state(void **state)
{
    ds_error err;
    ds_darknet *d = ds_darknet_new();
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "empty"));
    assert_int_equal(ds_darknet_add(d, "10.0.0.0/8", NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_size(d), 0);
    assert_int_equal(ds_darknet_index(d, IP(10, 0, 0, 1)), -1);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_ERR_STATE);
    assert_int_equal(ds_darknet_add(d, "11.0.0.0/8", NULL, &err), DS_ERR_STATE);
    assert_int_equal(ds_darknet_load_buffer(d, "11.0.0.0/8\n", 11, "x", &err), DS_ERR_STATE);
    assert_int_equal(ds_darknet_size(d), 1u << 24);
    assert_int_equal(ds_darknet_sensor_of(d, 1u << 24), SIZE_MAX);
    assert_int_equal(ds_darknet_address(d, 1u << 24), 0);
    assert_null(ds_darknet_sensor_name(d, 1));
    uint32_t addr;
    unsigned len;
    size_t sensor;
    ds_darknet_prefix(d, 1, &addr, &len, &sensor);
    assert_int_equal(sensor, SIZE_MAX);
    ds_darknet_free(d);
    ds_darknet_free(NULL);
}

/* Everything the index promises, checked exhaustively over the addresses of D. */
static void check_consistency(const ds_darknet *d)
{
    uint64_t size = ds_darknet_size(d), sum = 0, expect = 0;
    for (size_t s = 0; s < ds_darknet_sensor_count(d); s++)
        sum += ds_darknet_sensor_size(d, s);
    assert_int_equal(sum, size);
    uint64_t prev_end = 0;
    for (size_t i = 0; i < ds_darknet_prefix_count(d); i++) {
        uint32_t addr;
        unsigned len;
        size_t sensor;
        ds_darknet_prefix(d, i, &addr, &len, &sensor);
        assert_true(len <= 32);
        assert_true(sensor < ds_darknet_sensor_count(d));
        uint64_t n = 1ull << (32 - len);
        assert_int_equal(addr & (uint32_t)(n - 1), 0);
        assert_true(i == 0 || addr >= prev_end);
        prev_end = addr + n;
        /* Every address of small prefixes, the ends of large ones. */
        for (uint64_t k = 0; k < n; k = (n <= 4096 || k + 1 >= n - 1) ? k + 1 : n - 1) {
            uint32_t a = addr + (uint32_t)k;
            assert_int_equal(ds_darknet_index(d, a), (int64_t)(expect + k));
            assert_int_equal(ds_darknet_address(d, expect + k), a);
            assert_int_equal(ds_darknet_sensor_of(d, expect + k), sensor);
        }
        if (addr > 0 && (i == 0 || addr > prev_end - n))
            assert_true(ds_darknet_index(d, addr - 1) == -1 ||
                        ds_darknet_index(d, addr - 1) == (int64_t)expect - 1);
        expect += n;
    }
    assert_int_equal(expect, size);
}

/* The paper's darknet: 4 sensors in 4 /8s, 899 + 505 + 256 + 253 addresses. */
static const char paper_list[] = "# sensor I: 899 = 512 + 256 + 128 + 2 + 1, in pieces\n"
                                 "43.1.2.0/23 I\n"
                                 "43.1.8.0/24 I\n"
                                 "43.1.9.0/25 I   # the /25 joins the /24 above\n"
                                 "43.1.12.2/31 I\n"
                                 "43.1.12.7 I\n"
                                 "\n"
                                 "150.10.0.0/24\tII\n"
                                 "150.10.4.0/25 II\n"
                                 "150.10.5.64/26 II\n"
                                 "150.10.7.32/27 II\n"
                                 "150.10.7.96/28 II\n"
                                 "150.10.7.200/29 II\n"
                                 "150.10.9.9/32 II\n"
                                 "160.16.10.128/25 III\n"
                                 "160.16.11.0/25 III\n"
                                 "202.33.20.0/25 IV\n"
                                 "202.33.20.128/26 IV\n"
                                 "202.33.21.0/27 IV\n"
                                 "202.33.21.64/28 IV\n"
                                 "202.33.22.0/29 IV\n"
                                 "202.33.22.16/30 IV\n"
                                 "202.33.23.1/32 IV\n";

static void test_paper_darknet(void **state)
{
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    warnings w = {0};
    ds_diag diag = {collect, &w};
    assert_int_equal(ds_darknet_load_buffer(d, paper_list, strlen(paper_list), "paper", &err),
                     DS_OK);
    assert_int_equal(ds_darknet_finish(d, &diag, &err), DS_OK);
    assert_int_equal(w.n, 0);
    assert_int_equal(ds_darknet_size(d), 1913);
    assert_int_equal(ds_darknet_sensor_count(d), 4);
    const char *names[] = {"I", "II", "III", "IV"};
    const uint64_t sizes[] = {899, 505, 256, 253};
    for (size_t s = 0; s < 4; s++) {
        assert_string_equal(ds_darknet_sensor_name(d, s), names[s]);
        assert_int_equal(ds_darknet_sensor_size(d, s), sizes[s]);
    }
    assert_int_equal(ds_darknet_prefix_count(d), 21);
    check_consistency(d);
    assert_int_equal(ds_darknet_index(d, IP(43, 1, 2, 0)), 0);
    assert_int_equal(ds_darknet_index(d, IP(43, 1, 9, 127)), 512 + 256 + 127);
    assert_int_equal(ds_darknet_index(d, IP(43, 1, 9, 128)), -1);
    assert_int_equal(ds_darknet_index(d, IP(150, 10, 0, 0)), 899);
    assert_int_equal(ds_darknet_index(d, IP(202, 33, 23, 1)), 1912);
    assert_int_equal(ds_darknet_index(d, IP(202, 33, 23, 2)), -1);
    assert_int_equal(ds_darknet_index(d, 0), -1);
    assert_int_equal(ds_darknet_index(d, UINT32_MAX), -1);
    assert_int_equal(ds_darknet_sensor_of(d, 898), 0);
    assert_int_equal(ds_darknet_sensor_of(d, 899), 1);
    assert_int_equal(ds_darknet_sensor_of(d, 1912), 3);
    ds_darknet_free(d);
}

static void test_whole_space(void **state)
{
    ds_darknet *d = finished("0.0.0.0/0", NULL);
    assert_int_equal(ds_darknet_size(d), 1ull << 32);
    assert_int_equal(ds_darknet_sensor_size(d, 0), 1ull << 32);
    assert_int_equal(ds_darknet_prefix_count(d), 1);
    assert_int_equal(ds_darknet_index(d, 0), 0);
    assert_int_equal(ds_darknet_index(d, IP(128, 0, 0, 0)), 1ll << 31);
    assert_int_equal(ds_darknet_index(d, UINT32_MAX), (1ll << 32) - 1);
    assert_int_equal(ds_darknet_address(d, (1ull << 32) - 1), UINT32_MAX);
    assert_int_equal(ds_darknet_sensor_of(d, (1ull << 32) - 1), 0);
    ds_darknet_free(d);

    /* Both halves, listed separately, and the last address alone. */
    d = finished("255.255.255.255,128.0.0.0/1,0.0.0.0/1", NULL);
    assert_int_equal(ds_darknet_size(d), 1ull << 32);
    assert_int_equal(ds_darknet_prefix_count(d), 2 + 31);
    assert_int_equal(ds_darknet_index(d, UINT32_MAX), (1ll << 32) - 1);
    check_consistency(d);
    ds_darknet_free(d);
}

static void test_overlaps(void **state)
{
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    warnings w = {0};
    ds_diag diag = {collect, &w};
    const char *list = "10.0.0.0/8 A\n10.1.0.0/16 B\n";
    assert_int_equal(ds_darknet_load_buffer(d, list, strlen(list), "d.txt", &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, &diag, &err), DS_OK);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.text[0],
                        "darknet: 10.1.0.0/16 (sensor B, d.txt:2) overlaps 10.0.0.0/8 (sensor A, "
                        "d.txt:1); the shared addresses belong to sensor A, listed first");
    assert_non_null(strstr(w.text[1], "sensor B keeps no addresses"));
    assert_int_equal(ds_darknet_sensor_size(d, 0), 1u << 24);
    assert_int_equal(ds_darknet_sensor_size(d, 1), 0);
    assert_int_equal(ds_darknet_prefix_count(d), 1);
    check_consistency(d);
    ds_darknet_free(d);

    /* The other way round: the /16 listed first keeps its addresses; the /8 is cut in 8. */
    d = ds_darknet_new();
    w.n = 0;
    list = "10.1.0.0/16 B\n10.0.0.0/8 A\n";
    assert_int_equal(ds_darknet_load_buffer(d, list, strlen(list), "d.txt", &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, &diag, &err), DS_OK);
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.text[0], "belong to sensor B, listed first"));
    assert_int_equal(ds_darknet_sensor_size(d, 0), 1u << 16);
    assert_int_equal(ds_darknet_sensor_size(d, 1), (1u << 24) - (1u << 16));
    assert_int_equal(ds_darknet_prefix_count(d), 9);
    uint32_t addr;
    unsigned len;
    size_t sensor;
    ds_darknet_prefix(d, 1, &addr, &len, &sensor);
    assert_int_equal(addr, IP(10, 1, 0, 0));
    assert_int_equal(len, 16);
    assert_int_equal(sensor, 0);
    ds_darknet_prefix(d, 8, &addr, &len, &sensor);
    assert_int_equal(addr, IP(10, 128, 0, 0));
    assert_int_equal(len, 9);
    assert_int_equal(sensor, 1);
    check_consistency(d);
    ds_darknet_free(d);

    /* Duplicates and nesting within one sensor: counted once, one warning each. */
    w.n = 0;
    d = finished("10.0.0.0/24,10.0.0.0/24,10.0.0.128/25", &w);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.text[0], "darknet: 10.0.0.0/24 is listed twice: 10.0.0.0/24 (sensor "
                                   "default); counted once");
    assert_string_equal(w.text[1], "darknet: 10.0.0.128/25 overlaps 10.0.0.0/24 (sensor "
                                   "default); counted once");
    assert_int_equal(ds_darknet_size(d), 256);
    assert_int_equal(ds_darknet_prefix_count(d), 1);
    ds_darknet_free(d);

    /* Adjacent prefixes of one sensor stay as listed. */
    w.n = 0;
    d = finished("10.0.0.128/25,10.0.0.0/25", &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(ds_darknet_prefix_count(d), 2);
    assert_int_equal(ds_darknet_index(d, IP(10, 0, 0, 128)), 128);
    ds_darknet_free(d);

    /* A chain /24 (listed first) inside /16 (third) inside /8 (second). */
    d = ds_darknet_new();
    assert_int_equal(ds_darknet_add(d, "10.1.1.0/24", "X", &err), DS_OK);
    assert_int_equal(ds_darknet_add(d, "10.0.0.0/8", "Y", &err), DS_OK);
    assert_int_equal(ds_darknet_add(d, "10.1.0.0/16", "Z", &err), DS_OK);
    w.n = 0;
    assert_int_equal(ds_darknet_finish(d, &diag, &err), DS_OK);
    assert_int_equal(w.n, 3); /* /16 in /8, /24 in /16, and Z keeps nothing */
    assert_non_null(strstr(w.text[0], "10.1.0.0/16 (sensor Z) overlaps 10.0.0.0/8 (sensor Y)"));
    assert_non_null(strstr(w.text[1], "10.1.1.0/24 (sensor X) overlaps 10.1.0.0/16 (sensor Z); "
                                      "the shared addresses belong to sensor X"));
    assert_int_equal(ds_darknet_sensor_size(d, 0), 256);
    assert_int_equal(ds_darknet_sensor_size(d, 1), (1u << 24) - 256);
    assert_int_equal(ds_darknet_sensor_size(d, 2), 0);
    check_consistency(d);
    ds_darknet_free(d);

    /* Many overlaps: DS_DARKNET_MAX_WARNINGS lines, then one that counts the rest. */
    d = ds_darknet_new();
    assert_int_equal(ds_darknet_add(d, "10.0.0.0/8", NULL, &err), DS_OK);
    for (int i = 0; i < 150; i++) {
        char one[32];
        snprintf(one, sizeof(one), "10.0.0.%d", i);
        assert_int_equal(ds_darknet_add(d, one, NULL, &err), DS_OK);
    }
    w.n = 0;
    assert_int_equal(ds_darknet_finish(d, &diag, &err), DS_OK);
    assert_int_equal(w.n, DS_DARKNET_MAX_WARNINGS + 1);
    assert_string_equal(w.text[DS_DARKNET_MAX_WARNINGS],
                        "darknet: 50 more overlapping prefixes not shown");
    assert_int_equal(ds_darknet_size(d), 1u << 24);
    ds_darknet_free(d);
}

/* Random lists inside 10.0.0.0/16 against a per-address oracle: first listed prefix wins. */
static void test_random_against_oracle(void **state)
{
    static int16_t owner[65536]; /* listed index owning the address, -1 outside D */
    static int16_t sensor_of_listed[4096];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 60; round++) {
        ds_darknet *d = ds_darknet_new();
        ds_error err;
        int n = 1 + (int)(seed % (round < 30 ? 12 : 600));
        memset(owner, 0xff, sizeof(owner));
        for (int i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            unsigned len = 16 + (unsigned)((seed >> 33) % 17);
            if (round >= 30 && len < 24)
                len += 8; /* many small prefixes: exercises the binary search in a slot */
            uint32_t addr = IP(10, 0, 0, 0) | ((uint32_t)(seed >> 40) & 0xffff);
            addr &= UINT32_MAX << (32 - len);
            int sensor = (int)((seed >> 20) % 3);
            char text[32], name[8];
            char a[16];
            snprintf(text, sizeof(text), "%s/%u", ds_format_ipv4(addr, a), len);
            snprintf(name, sizeof(name), "s%d", sensor);
            assert_int_equal(ds_darknet_add(d, text, name, &err), DS_OK);
            sensor_of_listed[i] = (int16_t)sensor;
            uint32_t lo = addr & 0xffff, count = 1u << (32 - len);
            for (uint32_t k = lo; k < lo + count; k++)
                if (owner[k] < 0)
                    owner[k] = (int16_t)i;
        }
        assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
        /* Sensor indices follow first appearance, names tell them apart. */
        int64_t expect = 0;
        uint64_t per_sensor[3] = {0};
        for (uint32_t k = 0; k < 65536; k++) {
            int64_t got = ds_darknet_index(d, IP(10, 0, 0, 0) | k);
            if (owner[k] < 0) {
                assert_int_equal(got, -1);
                continue;
            }
            assert_int_equal(got, expect);
            assert_int_equal(ds_darknet_address(d, (uint64_t)expect), IP(10, 0, 0, 0) | k);
            const char *name = ds_darknet_sensor_name(d, ds_darknet_sensor_of(d, (uint64_t)got));
            assert_int_equal(name[1] - '0', sensor_of_listed[owner[k]]);
            per_sensor[name[1] - '0']++;
            expect++;
        }
        assert_int_equal(ds_darknet_size(d), (uint64_t)expect);
        for (size_t s = 0; s < ds_darknet_sensor_count(d); s++) {
            const char *name = ds_darknet_sensor_name(d, s);
            assert_int_equal(ds_darknet_sensor_size(d, s), per_sensor[name[1] - '0']);
        }
        assert_int_equal(ds_darknet_index(d, IP(9, 255, 255, 255)), -1);
        assert_int_equal(ds_darknet_index(d, IP(10, 1, 0, 0)), -1);
        check_consistency(d);
        ds_darknet_free(d);
    }
}

static ds_status load_text_n(ds_darknet *d, const char *text, size_t len, ds_error *err)
{
    const char *path = tu_path("darknet.txt");
    tu_write_file(path, text, len);
    return ds_darknet_load_file(d, path, err);
}

static ds_status load_text(ds_darknet *d, const char *text, ds_error *err)
{
    return load_text_n(d, text, strlen(text), err);
}

/* Loading text (len bytes) fails with "PATH:" + line_and_reason and adds nothing. */
static void expect_file_error_n(const char *text, size_t len, const char *line_and_reason)
{
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    ds_error_clear(&err);
    assert_int_equal(ds_darknet_add(d, "192.0.2.0/24", "first", &err), DS_OK);
    if (load_text_n(d, text, len, &err) != DS_ERR_FORMAT)
        fail_msg("accepted: %s", text);
    char want[600];
    snprintf(want, sizeof(want), "%s:%s", tu_path("darknet.txt"), line_and_reason);
    if (strncmp(err.msg, want, strlen(want)) != 0)
        fail_msg("message '%s' does not start with '%s'", err.msg, want);
    /* Nothing of the file was added. */
    assert_int_equal(ds_darknet_sensor_count(d), 1);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_size(d), 256);
    ds_darknet_free(d);
}

static void expect_file_error(const char *text, const char *line_and_reason)
{
    expect_file_error_n(text, strlen(text), line_and_reason);
}

static void test_file(void **state)
{
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    const char *text = "\xef\xbb\xbf# darknet sensors\r\n"
                       "\r\n"
                       "   \t  \n"
                       "10.0.0.0/24 tokyo # lab\r\n"
                       "\t10.0.1.0/24\ttokyo\t\n"
                       "# whole-line comment with UTF-8: \xe6\x9d\xb1\xe4\xba\xac\n"
                       "10.0.2.0/24#no sensor, comment right after\n"
                       "10.0.3.0/24 osaka";
    assert_int_equal(load_text(d, text, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_sensor_count(d), 3);
    assert_string_equal(ds_darknet_sensor_name(d, 0), "tokyo");
    assert_string_equal(ds_darknet_sensor_name(d, 1), DS_DARKNET_DEFAULT_SENSOR);
    assert_string_equal(ds_darknet_sensor_name(d, 2), "osaka");
    assert_int_equal(ds_darknet_sensor_size(d, 0), 512);
    assert_int_equal(ds_darknet_sensor_size(d, 1), 256);
    assert_int_equal(ds_darknet_sensor_size(d, 2), 256);
    ds_darknet_free(d);

    /* A long line: no fixed-size line buffer. */
    size_t pad = 200000;
    char *big = malloc(pad + 64);
    assert_non_null(big);
    memset(big, ' ', pad);
    strcpy(big + pad, "10.9.0.0/16 far-right   # comment\n");
    d = ds_darknet_new();
    assert_int_equal(load_text(d, big, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_size(d), 65536);
    assert_string_equal(ds_darknet_sensor_name(d, 0), "far-right");
    ds_darknet_free(d);
    free(big);

    expect_file_error("10.0.0.0/8 a b\n", "1: more than two fields");
    expect_file_error("# ok\n10.0.0.1/24 s\n",
                      "2: 10.0.0.1/24 has host bits set (0.0.0.1 beyond the /24; did you "
                      "mean 10.0.0.0/24?)");
    expect_file_error("10.0.0.0/8\n\n010.0.0.0/8\n", "3: '010.0.0.0' is not an IPv4 address: "
                                                     "leading zero in '010'");
    expect_file_error("1.2.3/24\n", "1: '1.2.3' is not an IPv4 address");
    expect_file_error("10.0.0.0/8 caf\xc3\xa9\n", "1: byte 0xc3 at column 15");
    expect_file_error_n("10.0.0.0/8\0 x\n", 14, "1: byte 0x00 at column 11");
    expect_file_error("10.0.0.0/8\rx\n", "1: byte 0x0d at column 11");
    expect_file_error("10.0.0.0/8 x\n10.0.0.0/33 y\n", "2: '10.0.0.0/33' is not a CIDR");
    expect_file_error("", " no prefixes");
    expect_file_error("# only a comment\n\n", " no prefixes");
    char line[400];
    memset(line, 0, sizeof(line));
    strcpy(line, "10.0.0.0/8 ");
    memset(line + 11, 'n', DS_DARKNET_SENSOR_MAX + 1);
    expect_file_error(line, "1: sensor name 'nnn");

    /* Unreadable files name the path and the reason. */
    d = ds_darknet_new();
    char missing[600];
    snprintf(missing, sizeof(missing), "%s", tu_path("no-such-file"));
    assert_int_equal(ds_darknet_load_file(d, missing, &err), DS_ERR_IO);
    char want[700];
    snprintf(want, sizeof(want), "%s: No such file or directory", missing);
    assert_string_equal(err.msg, want);
    assert_int_equal(ds_darknet_load_file(d, tu_tmpdir(), &err), DS_ERR_IO);
    assert_non_null(strstr(err.msg, "Is a directory"));
    ds_darknet_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ipv4),
        cmocka_unit_test(test_parse_cidr),
        cmocka_unit_test(test_format_ipv4),
        cmocka_unit_test(test_add_list),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_paper_darknet),
        cmocka_unit_test(test_whole_space),
        cmocka_unit_test(test_overlaps),
        cmocka_unit_test(test_random_against_oracle),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
