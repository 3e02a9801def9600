/*
 * test_honeypot_log.c - the session log reader (ds_honeypot_log_read/parse, parse_time):
 * good and bad lines, both time formats, gzip, extra columns, header order and names, and the
 * round trip from the writer's line format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "darkscan/darkscan.h"
#include "honeypot/log_writer.h"
#include "testutil.h"

#define MAX_RECS 16

typedef struct collected {
    ds_honeypot_record rec[MAX_RECS];
    size_t n;
    size_t stop_after; /* 0: never stop */
} collected;

static int collect(void *ctx, const ds_honeypot_record *rec)
{
    collected *c = ctx;
    assert_true(c->n < MAX_RECS);
    c->rec[c->n++] = *rec;
    return c->stop_after != 0 && c->n >= c->stop_after;
}

typedef struct warnings {
    char text[1024];
    int count;
} warnings;

static void on_warn(void *ctx, const char *msg)
{
    warnings *w = ctx;
    size_t used = strlen(w->text);
    snprintf(w->text + used, sizeof(w->text) - used, "%s;", msg);
    w->count++;
}

/* Parse text in memory; returns the status, fills c and err. */
static ds_status parse(const char *text, collected *c, ds_error *err)
{
    memset(c, 0, sizeof(*c));
    ds_error_clear(err);
    return ds_honeypot_log_parse(text, strlen(text), "mem.csv", collect, c, NULL, err);
}

static char *fmt_addr(const ds_honeypot_addr *a)
{
    static char buf[4][64];
    static int i;
    i = (i + 1) % 4;
    return ds_honeypot_addr_format(a, buf[i], sizeof(buf[i]));
}

/* 2019-07-01T00:00:00Z */
#define T_2019_07_01 1561939200LL

static void test_our_format(void **state)
{
    const char *text =
        "time,src,src_port,dst,dst_port,duration,end,bytes,data\n"
        "2019-07-01T00:00:00.123456Z,198.51.100.7,51234,192.0.2.10,80,0.500000,close,18,GET / "
        "HTTP/1.0\\r\\n\\r\\n\n"
        "2019-07-01T00:00:01Z,2001:db8::7,4000,2001:db8::1,65535,0.000000,max-sessions,0,\n"
        "2019-07-01T00:00:02.5Z,::ffff:203.0.113.9,1,192.0.2.11,1,30.000000,idle,0,\n";
    collected c;
    ds_error err;
    assert_int_equal(parse(text, &c, &err), DS_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.rec[0].time_us, T_2019_07_01 * 1000000 + 123456);
    assert_string_equal(fmt_addr(&c.rec[0].src), "198.51.100.7");
    assert_int_equal(ds_honeypot_addr_v4(&c.rec[0].src), 0xc6336407u);
    assert_int_equal(c.rec[0].src_port, 51234);
    assert_string_equal(fmt_addr(&c.rec[0].dst), "192.0.2.10");
    assert_int_equal(c.rec[0].dst_port, 80);
    assert_int_equal(c.rec[0].line, 2);
    assert_int_equal(c.rec[1].src.family, 6);
    assert_string_equal(fmt_addr(&c.rec[1].src), "2001:db8::7");
    assert_int_equal(ds_honeypot_addr_v4(&c.rec[1].src), 0);
    assert_int_equal(c.rec[1].dst_port, 65535);
    /* IPv4-mapped IPv6 becomes IPv4 */
    assert_int_equal(c.rec[2].src.family, 4);
    assert_string_equal(fmt_addr(&c.rec[2].src), "203.0.113.9");
    assert_int_equal(c.rec[2].time_us, (T_2019_07_01 + 2) * 1000000 + 500000);
    assert_int_equal(c.rec[2].line, 4);
}

static void test_header_order_aliases_quotes(void **state)
{
    /* Other honeypots' converted logs: other order, other names, quotes, CRLF, comments,
     * a BOM, blanks around fields, Unix seconds. */
    const char *text =
        "\xEF\xBB\xBF# converted from another honeypot\r\n"
        "\r\n"
        "Protocol, DPort , Dst_IP,Timestamp,\"Src_IP\",SPort,Comment\r\n"
        "tcp,443,192.0.2.1,1561939200.25,198.51.100.1,1234,\"hello, \"\"world\"\"\"\r\n"
        "# a comment between records\r\n"
        "tcp, 22 ,192.0.2.2,1561939201,\"198.51.100.2\",5,plain\r\n";
    collected c;
    ds_error err;
    assert_int_equal(parse(text, &c, &err), DS_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.rec[0].time_us, T_2019_07_01 * 1000000 + 250000);
    assert_int_equal(c.rec[0].dst_port, 443);
    assert_string_equal(fmt_addr(&c.rec[0].dst), "192.0.2.1");
    assert_string_equal(fmt_addr(&c.rec[0].src), "198.51.100.1");
    assert_int_equal(c.rec[0].src_port, 1234);
    assert_int_equal(c.rec[0].line, 4);
    assert_int_equal(c.rec[1].time_us, (T_2019_07_01 + 1) * 1000000);
    assert_int_equal(c.rec[1].dst_port, 22);
    assert_int_equal(c.rec[1].line, 6);
}

static void expect_error(const char *text, const char *msg)
{
    collected c;
    ds_error err;
    assert_int_equal(parse(text, &c, &err), DS_ERR_FORMAT);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("expected '%s' in '%s'", msg, err.msg);
}

#define HDR "time,src,src_port,dst,dst_port\n"

static void test_bad_lines(void **state)
{
    expect_error("", "mem.csv: no header line");
    expect_error("# only a comment\n\n", "mem.csv: no header line");
    expect_error("time,src,src_port,dst\n", "mem.csv:1: header: no 'dst_port' column");
    expect_error("time,timestamp,src,src_port,dst,dst_port\n",
                 "mem.csv:1: header: columns 1 and 2 are both 'time'");
    expect_error(HDR "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8\n",
                 "mem.csv:2: 4 columns, the header has 5");
    expect_error(HDR "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,2,extra\n",
                 "mem.csv:2: 6 columns, the header has 5");
    expect_error(HDR "2019-07-01T00:00:00Z,1.2.3.256,1,5.6.7.8,2\n",
                 "mem.csv:2: src '1.2.3.256' is not an IPv4 or IPv6 address");
    expect_error(HDR "\n2019-07-01T00:00:00Z,1.2.3.4,1,,2\n",
                 "mem.csv:3: dst '' is not an IPv4 or IPv6 address");
    expect_error(HDR "2019-07-01T00:00:00Z,1.2.3.4,65536,5.6.7.8,2\n",
                 "mem.csv:2: src_port '65536' is not a port number");
    expect_error(HDR "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,-2\n",
                 "mem.csv:2: dst_port '-2' is not a port number");
    expect_error(HDR "2019-07-01 00:00:00,1.2.3.4,1,5.6.7.8,2\n", "mem.csv:2: time "
                                                                  "'2019-07-01 00:00:00' has no "
                                                                  "time zone");
    expect_error(HDR "2019-02-29T00:00:00Z,1.2.3.4,1,5.6.7.8,2\n", "is not a valid date and time");
    expect_error(HDR "yesterday,1.2.3.4,1,5.6.7.8,2\n", "neither RFC 3339 nor Unix seconds");
    expect_error(HDR "\"2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,2\n", "quote not closed");
    expect_error(HDR "\"2019-07-01T00:00:00Z\"x,1.2.3.4,1,5.6.7.8,2\n",
                 "text after the closing quote");
    expect_error(HDR "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,2\n"
                     "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,2,3\n"
                     "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,2\n",
                 "mem.csv:3:");
}

static void test_embedded_nul(void **state)
{
    static const char text[] = HDR "2019-07-01T00:00:00Z,1.2.3.4\0x,1,5.6.7.8,2\n";
    collected c;
    memset(&c, 0, sizeof(c));
    ds_error err;
    assert_int_equal(
        ds_honeypot_log_parse(text, sizeof(text) - 1, "nul.csv", collect, &c, NULL, &err),
        DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "nul.csv:2: src"));
}

static void test_cut_last_line(void **state)
{
    /* A crash can leave the last line without its end: a warning, the rest counts. */
    const char *text = HDR "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,2\n"
                           "2019-07-01T00:00:01Z,1.2.3.4,1,5.6.";
    collected c;
    memset(&c, 0, sizeof(c));
    warnings w = {{0}, 0};
    ds_diag diag = {on_warn, &w};
    ds_error err;
    assert_int_equal(ds_honeypot_log_parse(text, strlen(text), "cut.csv", collect, &c, &diag, &err),
                     DS_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.text, "cut.csv:3:"));
    assert_non_null(strstr(w.text, "cut short"));
    /* ...but a complete last line without '\n' is a record. */
    const char *whole = HDR "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,2";
    memset(&c, 0, sizeof(c));
    assert_int_equal(ds_honeypot_log_parse(whole, strlen(whole), "w.csv", collect, &c, &diag, &err),
                     DS_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(w.count, 1);
}

static void test_line_too_long(void **state)
{
    size_t n = DS_HONEYPOT_LINE_MAX + 100;
    char *text = malloc(strlen(HDR) + n + 2);
    assert_non_null(text);
    strcpy(text, HDR);
    memset(text + strlen(HDR), 'x', n);
    strcpy(text + strlen(HDR) + n, "\n");
    collected c;
    ds_error err;
    assert_int_equal(parse(text, &c, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "mem.csv:2: line longer than"));
    free(text);
}

static void test_stop_early(void **state)
{
    const char *text = HDR "1,1.2.3.4,1,5.6.7.8,2\n2,1.2.3.4,1,5.6.7.8,2\nbad line\n";
    collected c;
    memset(&c, 0, sizeof(c));
    c.stop_after = 1;
    ds_error err;
    assert_int_equal(ds_honeypot_log_parse(text, strlen(text), "s.csv", collect, &c, NULL, &err),
                     DS_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.rec[0].time_us, 1000000);
}

static int64_t t_us(const char *text)
{
    int64_t v = -1;
    ds_error err;
    ds_status st = ds_honeypot_parse_time(text, strlen(text), &v, &err);
    if (st != DS_OK)
        fail_msg("'%s': %s", text, err.msg);
    return v;
}

static bool t_bad(const char *text)
{
    int64_t v;
    return ds_honeypot_parse_time(text, strlen(text), &v, NULL) == DS_ERR_FORMAT;
}

static void test_times(void **state)
{
    assert_int_equal(t_us("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(t_us("2019-07-01T00:00:00Z"), T_2019_07_01 * 1000000);
    assert_int_equal(t_us("2019-07-01t00:00:00z"), T_2019_07_01 * 1000000);
    assert_int_equal(t_us("2019-07-01T09:00:00+09:00"), T_2019_07_01 * 1000000);
    assert_int_equal(t_us("2019-06-30T23:30:00-00:30"), T_2019_07_01 * 1000000);
    assert_int_equal(t_us("2019-07-01T00:00:00.1234567899Z"), T_2019_07_01 * 1000000 + 123456);
    assert_int_equal(t_us("2020-02-29T12:00:00Z"), 1582977600LL * 1000000);
    assert_int_equal(t_us("2000-02-29T00:00:00Z"), 951782400LL * 1000000);
    assert_int_equal(t_us("1561939200"), T_2019_07_01 * 1000000);
    assert_int_equal(t_us("1561939200.000001"), T_2019_07_01 * 1000000 + 1);
    assert_int_equal(t_us("1561939200.9999999"), T_2019_07_01 * 1000000 + 999999);
    assert_int_equal(t_us("0.5"), 500000);
    assert_true(t_bad(""));
    assert_true(t_bad("1561939200."));
    assert_true(t_bad(".5"));
    assert_true(t_bad("-1"));
    assert_true(t_bad("1e9"));
    assert_true(t_bad("99999999999999999999"));
    assert_true(t_bad("2019-07-01T00:00:00"));
    assert_true(t_bad("2019-07-01T00:00:00.Z"));
    assert_true(t_bad("2019-13-01T00:00:00Z"));
    assert_true(t_bad("2019-04-31T00:00:00Z"));
    assert_true(t_bad("1900-02-29T00:00:00Z"));
    assert_true(t_bad("2019-07-01T24:00:00Z"));
    assert_true(t_bad("2019-07-01T00:00:00+24:00"));
    assert_true(t_bad("2019-07-01T00:00:00Z junk"));
    assert_true(t_bad("1969-12-31T23:59:59Z"));
    assert_true(t_bad("1970-01-01T00:00:00+01:00"));
}

static void write_gz(const char *path, const char *text, int members)
{
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(gz), Z_OK);
    /* Further gzip members appended (as `cat a.gz b.gz` makes). */
    for (int i = 1; i < members; i++) {
        gz = gzopen(path, "ab");
        assert_non_null(gz);
        const char *more = "2019-07-01T00:00:09Z,10.0.0.1,9,10.0.0.2,9\n";
        gzwrite(gz, more, (unsigned)strlen(more));
        assert_int_equal(gzclose(gz), Z_OK);
    }
}

static void test_files_plain_and_gzip(void **state)
{
    const char *text = HDR "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,2\n"
                           "1561939201.5,::1,3,::2,4\n";
    const char *plain = tu_path("log.csv");
    const char *gz = tu_path("log.csv.gz");
    const char *odd = tu_path("compressed-but-named.csv");
    tu_write_file(plain, text, strlen(text));
    write_gz(gz, text, 2);
    write_gz(odd, text, 1);
    collected c;
    ds_error err;
    memset(&c, 0, sizeof(c));
    assert_int_equal(ds_honeypot_log_read(plain, collect, &c, NULL, &err), DS_OK);
    assert_int_equal(c.n, 2);
    memset(&c, 0, sizeof(c));
    assert_int_equal(ds_honeypot_log_read(gz, collect, &c, NULL, &err), DS_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.rec[1].time_us, T_2019_07_01 * 1000000 + 1500000);
    assert_string_equal(fmt_addr(&c.rec[1].dst), "::2");
    assert_int_equal(c.rec[2].dst_port, 9);
    memset(&c, 0, sizeof(c));
    assert_int_equal(ds_honeypot_log_read(odd, collect, &c, NULL, &err), DS_OK);
    assert_int_equal(c.n, 2);

    /* Errors name the file (and the line). */
    const char *bad = tu_path("bad.csv.gz");
    write_gz(bad, HDR "2019-07-01T00:00:00Z,1.2.3.4,1,5.6.7.8,x\n", 1);
    assert_int_equal(ds_honeypot_log_read(bad, collect, &c, NULL, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "bad.csv.gz:2: dst_port 'x'"));
    const char *missing = tu_path("missing.csv");
    assert_int_equal(ds_honeypot_log_read(missing, collect, &c, NULL, &err), DS_ERR_IO);
    assert_non_null(strstr(err.msg, "missing.csv: No such file or directory"));

    /* A gzip file cut short: what came before counts, with a warning. */
    size_t len;
    char *whole = tu_read_file(gz, &len);
    const char *cut = tu_path("cut.csv.gz");
    tu_write_file(cut, whole, len / 2 + 8);
    free(whole);
    warnings w = {{0}, 0};
    ds_diag diag = {on_warn, &w};
    memset(&c, 0, sizeof(c));
    assert_int_equal(ds_honeypot_log_read(cut, collect, &c, &diag, &err), DS_OK);
    assert_true(c.n >= 1 && c.n < 3);
    assert_non_null(strstr(w.text, "cut.csv.gz: compressed data cut short"));
}

static void test_round_trip_with_writer(void **state)
{
    /* What the writer formats, the reader reads back (with the escaped data column). */
    uint8_t data[] = {'a', ',', '"', '\\', '\r', '\n', 0, 0xff, ' '};
    hp_session s = {.start_us = T_2019_07_01 * 1000000 + 42,
                    .duration_us = 1500000,
                    .src_port = 65535,
                    .dst_port = 1,
                    .bytes = 9,
                    .data = data,
                    .data_len = sizeof(data),
                    .end = DS_HP_END_IDLE};
    assert_int_equal(ds_honeypot_addr_parse("2001:db8::1", &s.src, NULL), DS_OK);
    assert_int_equal(ds_honeypot_addr_parse("192.0.2.200", &s.dst, NULL), DS_OK);
    char line[HP_LOG_LINE_MAX];
    size_t n = hp_log_format(&s, line, sizeof(line));
    line[n] = '\0';
    assert_string_equal(line, "2019-07-01T00:00:00.000042Z,2001:db8::1,65535,192.0.2.200,1,"
                              "1.500000,idle,9,a\\x2c\\x22\\\\\\r\\n\\x00\\xff \n");
    char text[HP_LOG_LINE_MAX + 128];
    snprintf(text, sizeof(text), "%s\n%s", HP_LOG_HEADER, line);
    collected c;
    ds_error err;
    assert_int_equal(parse(text, &c, &err), DS_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.rec[0].time_us, s.start_us);
    assert_string_equal(fmt_addr(&c.rec[0].src), "2001:db8::1");
    assert_string_equal(fmt_addr(&c.rec[0].dst), "192.0.2.200");
    assert_int_equal(c.rec[0].src_port, 65535);
    assert_int_equal(c.rec[0].dst_port, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_our_format),
        cmocka_unit_test(test_header_order_aliases_quotes),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_cut_last_line),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_stop_early),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_files_plain_and_gzip),
        cmocka_unit_test(test_round_trip_with_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
