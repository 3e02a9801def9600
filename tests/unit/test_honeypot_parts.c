/*
 * test_honeypot_parts.c - the honeypot's pieces outside the event loop: option parsers
 * (ports, banners, rotation, addresses), the bounded source tables and the log writer
 * (header, appending, rotation by size and by hour, reopening after logrotate).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkscan/darkscan.h"
#include "honeypot/log_writer.h"
#include "honeypot/sources.h"
#include "testutil.h"

static void test_ports(void **state)
{
    ds_honeypot_ports set;
    ds_error err;
    assert_int_equal(ds_honeypot_ports_parse("1-1024,8080,1000-1030,65535", &set, &err), DS_OK);
    assert_int_equal(set.count, 1024 + 6 + 1 + 1);
    assert_true(ds_honeypot_ports_has(&set, 1));
    assert_true(ds_honeypot_ports_has(&set, 1030));
    assert_false(ds_honeypot_ports_has(&set, 1031));
    assert_true(ds_honeypot_ports_has(&set, 8080));
    assert_true(ds_honeypot_ports_has(&set, 65535));
    assert_false(ds_honeypot_ports_has(&set, 0));
    assert_false(ds_honeypot_ports_has(&set, 65536));
    const char *bad[] = {"", "0", "65536", "1-", "-5", "5-1", "1,,2", "1,", "a", "1 ", "99999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ds_honeypot_ports_parse(bad[i], &set, &err) != DS_ERR_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
    }
    assert_int_equal(ds_honeypot_ports_parse("1-3,x", &set, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'x' is not a port"));
    ds_honeypot_ports_all(&set);
    assert_int_equal(set.count, 65535);
    assert_false(ds_honeypot_ports_has(&set, 0));
    assert_true(ds_honeypot_ports_has(&set, 65535));
}

static void test_banner_rotate_addr(void **state)
{
    ds_honeypot_banner b;
    ds_error err;
    assert_int_equal(ds_honeypot_banner_parse("22:SSH-2.0-x\\r\\n\\x00\\\\\\t", &b, &err), DS_OK);
    assert_int_equal(b.port, 22);
    assert_int_equal(b.len, 14);
    assert_memory_equal(b.data, "SSH-2.0-x\r\n\0\\\t", 14);
    assert_int_equal(ds_honeypot_banner_parse("21:", &b, &err), DS_OK);
    assert_int_equal(b.len, 0);
    assert_int_equal(ds_honeypot_banner_parse("22", &b, &err), DS_ERR_INVALID);
    assert_int_equal(ds_honeypot_banner_parse("0:x", &b, &err), DS_ERR_INVALID);
    assert_int_equal(ds_honeypot_banner_parse("22:\\q", &b, &err), DS_ERR_INVALID);
    assert_int_equal(ds_honeypot_banner_parse("22:\\x4", &b, &err), DS_ERR_INVALID);
    assert_int_equal(ds_honeypot_banner_parse("22:abc\\", &b, &err), DS_ERR_INVALID);
    char big[DS_HONEYPOT_BANNER_MAX + 16];
    memset(big, 'a', sizeof(big));
    memcpy(big, "80:", 3);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(ds_honeypot_banner_parse(big, &b, &err), DS_ERR_INVALID);

    ds_honeypot_rotate_kind kind;
    uint64_t size;
    assert_int_equal(ds_honeypot_rotate_parse("hourly", &kind, &size, &err), DS_OK);
    assert_int_equal(kind, DS_ROTATE_HOURLY);
    assert_int_equal(ds_honeypot_rotate_parse("daily", &kind, &size, &err), DS_OK);
    assert_int_equal(kind, DS_ROTATE_DAILY);
    assert_int_equal(ds_honeypot_rotate_parse("100M", &kind, &size, &err), DS_OK);
    assert_int_equal(kind, DS_ROTATE_SIZE);
    assert_int_equal(size, 100u << 20);
    assert_int_equal(ds_honeypot_rotate_parse("2048", &kind, &size, &err), DS_OK);
    assert_int_equal(size, 2048);
    assert_int_equal(ds_honeypot_rotate_parse("1k", &kind, &size, &err), DS_OK);
    assert_int_equal(size, 1024);
    assert_int_equal(ds_honeypot_rotate_parse("1000", &kind, &size, &err), DS_ERR_INVALID);
    assert_int_equal(ds_honeypot_rotate_parse("weekly", &kind, &size, &err), DS_ERR_INVALID);
    assert_int_equal(ds_honeypot_rotate_parse("5MB", &kind, &size, &err), DS_ERR_INVALID);
    assert_int_equal(ds_honeypot_rotate_parse("-5", &kind, &size, &err), DS_ERR_INVALID);

    ds_honeypot_addr a;
    char text[64];
    assert_int_equal(ds_honeypot_addr_parse("::ffff:10.1.2.3", &a, &err), DS_OK);
    assert_int_equal(a.family, 4);
    assert_int_equal(ds_honeypot_addr_v4(&a), 0x0a010203u);
    assert_string_equal(ds_honeypot_addr_format(&a, text, sizeof(text)), "10.1.2.3");
    assert_int_equal(ds_honeypot_addr_parse("2001:DB8::1", &a, &err), DS_OK);
    assert_string_equal(ds_honeypot_addr_format(&a, text, sizeof(text)), "2001:db8::1");
    assert_int_equal(ds_honeypot_addr_parse("10.1.2", &a, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_honeypot_addr_parse("fe80::1%eth0", &a, &err), DS_ERR_FORMAT);
    assert_string_equal(ds_honeypot_end_name(DS_HP_END_MAX_PER_SOURCE), "max-per-source");
}

static ds_honeypot_addr v4(uint32_t x)
{
    ds_honeypot_addr a;
    memset(&a, 0, sizeof(a));
    a.family = 4;
    a.bytes[0] = (uint8_t)(x >> 24);
    a.bytes[1] = (uint8_t)(x >> 16);
    a.bytes[2] = (uint8_t)(x >> 8);
    a.bytes[3] = (uint8_t)x;
    return a;
}

static void test_source_tables(void **state)
{
    hp_hash_key key;
    hp_hash_key_random(&key);
    hp_counts *c = hp_counts_new(4, &key);
    assert_non_null(c);
    ds_honeypot_addr a = v4(1), b = v4(2), d = v4(3), e = v4(4), f = v4(5);
    assert_true(hp_counts_add(c, &a));
    assert_true(hp_counts_add(c, &a));
    assert_true(hp_counts_add(c, &b));
    assert_true(hp_counts_add(c, &d));
    assert_true(hp_counts_add(c, &e));
    assert_false(hp_counts_add(c, &f)); /* four sources at most */
    assert_int_equal(hp_counts_get(c, &a), 2);
    assert_int_equal(hp_counts_get(c, &f), 0);
    hp_counts_remove(c, &a);
    assert_int_equal(hp_counts_get(c, &a), 1);
    hp_counts_remove(c, &b);
    assert_int_equal(hp_counts_get(c, &b), 0);
    assert_true(hp_counts_add(c, &f)); /* b's entry was freed */
    hp_counts_remove(c, &b);           /* absent: no-op */
    assert_int_equal(hp_counts_get(c, &f), 1);
    hp_counts_free(c);
    hp_counts_free(NULL);

    hp_seen *s = hp_seen_new(&key);
    assert_non_null(s);
    for (uint32_t i = 0; i < HP_SEEN_MAX + 10; i++) {
        ds_honeypot_addr x = v4(0x0a000000u + i);
        hp_seen_add(s, &x);
        hp_seen_add(s, &x);
    }
    assert_int_equal(hp_seen_count(s), HP_SEEN_MAX);
    assert_true(hp_seen_saturated(s));
    hp_seen_free(s);
    s = hp_seen_new(&key);
    ds_honeypot_addr six;
    ds_honeypot_addr_parse("2001:db8::1", &six, NULL);
    hp_seen_add(s, &six);
    hp_seen_add(s, &a);
    hp_seen_add(s, &six);
    assert_int_equal(hp_seen_count(s), 2);
    assert_false(hp_seen_saturated(s));
    hp_seen_free(s);
}

/* 2019-07-01T13:20:00Z */
#define T0_US (1561987200LL * 1000000)

static hp_session session_at(int64_t start_us, uint16_t port)
{
    static const uint8_t data[] = "hello";
    hp_session s;
    memset(&s, 0, sizeof(s));
    s.start_us = start_us;
    s.duration_us = 1234;
    ds_honeypot_addr_parse("198.51.100.1", &s.src, NULL);
    ds_honeypot_addr_parse("192.0.2.1", &s.dst, NULL);
    s.src_port = 40000;
    s.dst_port = port;
    s.bytes = 5;
    s.data = data;
    s.data_len = 5;
    s.end = DS_HP_END_CLOSE;
    return s;
}

static int count_record(void *ctx, const ds_honeypot_record *rec)
{
    (*(size_t *)ctx)++;
    return 0;
}

/* Records in a log file (fails the test when it does not parse). */
static size_t records_in(const char *path)
{
    size_t n = 0;
    ds_error err;
    if (ds_honeypot_log_read(path, count_record, &n, NULL, &err) != DS_OK)
        fail_msg("%s", err.msg);
    return n;
}

static void test_writer_header_and_append(void **state)
{
    const char *path = tu_path("append.csv");
    hp_log *log;
    ds_error err;
    assert_int_equal(hp_log_open(&log, path, DS_ROTATE_NONE, 0, T0_US, &err), DS_OK);
    hp_session s = session_at(T0_US, 80);
    assert_int_equal(hp_log_write(log, &s, T0_US, &err), DS_OK);
    /* buffered until the tick */
    size_t len;
    char *text = tu_read_file(path, &len);
    assert_string_equal(text, HP_LOG_HEADER "\n");
    free(text);
    assert_int_equal(hp_log_tick(log, T0_US + 1000000, &err), DS_OK);
    assert_int_equal(records_in(path), 1);
    assert_int_equal(hp_log_close(log, &err), DS_OK);

    /* Appending to our own log: no second header. */
    assert_int_equal(hp_log_open(&log, path, DS_ROTATE_NONE, 0, T0_US, &err), DS_OK);
    assert_int_equal(hp_log_write(log, &s, T0_US, &err), DS_OK);
    assert_int_equal(hp_log_close(log, &err), DS_OK);
    text = tu_read_file(path, &len);
    assert_string_equal(text,
                        HP_LOG_HEADER "\n"
                                      "2019-07-01T13:20:00.000000Z,198.51.100.1,40000,192.0.2.1,80,"
                                      "0.001234,close,5,hello\n"
                                      "2019-07-01T13:20:00.000000Z,198.51.100.1,40000,192.0.2.1,80,"
                                      "0.001234,close,5,hello\n");
    free(text);

    /* A log cut inside a line (disk full, crash) is completed before appending. */
    const char *cut = tu_path("cut.csv");
    const char *cut_text = HP_LOG_HEADER "\n2019-07-01T13:20:00Z,1.2.3.4,";
    tu_write_file(cut, cut_text, strlen(cut_text));
    assert_int_equal(hp_log_open(&log, cut, DS_ROTATE_NONE, 0, T0_US, &err), DS_OK);
    assert_int_equal(hp_log_write(log, &s, T0_US, &err), DS_OK);
    assert_int_equal(hp_log_close(log, &err), DS_OK);
    text = tu_read_file(cut, &len);
    assert_non_null(strstr(text, "1.2.3.4,\n2019-07-01T13:20:00.000000Z,198.51.100.1,"));
    free(text);

    /* Another file: refused, untouched. */
    const char *other = tu_path("other.csv");
    tu_write_file(other, "a,b,c\n1,2,3\n", 12);
    assert_int_equal(hp_log_open(&log, other, DS_ROTATE_NONE, 0, T0_US, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "other.csv: exists and does not start with"));
    text = tu_read_file(other, &len);
    assert_string_equal(text, "a,b,c\n1,2,3\n");
    free(text);
    assert_int_equal(hp_log_open(&log, tu_path("no/such/dir.csv"), DS_ROTATE_NONE, 0, T0_US, &err),
                     DS_ERR_IO);
    assert_non_null(strstr(err.msg, "no/such/dir.csv: No such file or directory"));
    assert_int_equal(hp_log_open(&log, "-", DS_ROTATE_HOURLY, 0, T0_US, &err), DS_ERR_INVALID);
}

/* Files in the temporary folder whose names start with prefix. */
static size_t files_with_prefix(const char *prefix, char names[][256], size_t max)
{
    DIR *dir = opendir(tu_tmpdir());
    assert_non_null(dir);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            if (n < max)
                snprintf(names[n], 256, "%s", de->d_name);
            n++;
        }
    }
    closedir(dir);
    return n;
}

static void test_writer_rotate_by_size(void **state)
{
    const char *path = tu_path("size.csv");
    hp_log *log;
    ds_error err;
    assert_int_equal(hp_log_open(&log, path, DS_ROTATE_SIZE, 1024, T0_US, &err), DS_OK);
    for (int i = 0; i < 100; i++) {
        hp_session s = session_at(T0_US + i * 1000000LL, (uint16_t)(i + 1));
        assert_int_equal(hp_log_write(log, &s, T0_US + i * 1000000LL, &err), DS_OK);
    }
    uint64_t lines, rotations, reopens;
    hp_log_counts(log, &lines, &rotations, &reopens);
    assert_int_equal(hp_log_close(log, &err), DS_OK);
    assert_int_equal(lines, 100);
    /* ~100 bytes a line, 1024 bytes a file: 10 lines each */
    assert_in_range(rotations, 8, 12);
    char names[32][256];
    size_t n = files_with_prefix("size.csv", names, 32);
    assert_int_equal(n, rotations + 1);
    size_t total = 0;
    for (size_t i = 0; i < n && i < 32; i++) {
        const char *full = tu_path(names[i]);
        size_t len;
        char *text = tu_read_file(full, &len);
        assert_true(strncmp(text, HP_LOG_HEADER "\n", strlen(HP_LOG_HEADER) + 1) == 0);
        assert_true(len > 0 && text[len - 1] == '\n');
        if (strcmp(names[i], "size.csv") != 0) {
            assert_true(len >= 1024);
            /* size.csv.YYYYMMDDTHHMMSSZ[.N] */
            assert_int_equal(names[i][8], '.');
            assert_int_equal(names[i][17], 'T');
            assert_int_equal(names[i][24], 'Z');
            assert_memory_equal(names[i] + 9, "20190701T13", 11);
        }
        free(text);
        total += records_in(full);
    }
    assert_int_equal(total, 100);
}

static void test_writer_rotate_hourly_and_reopen(void **state)
{
    const char *path = tu_path("hourly.csv");
    hp_log *log;
    ds_error err;
    /* 13:20 -> the period 13:00-14:00 */
    assert_int_equal(hp_log_open(&log, path, DS_ROTATE_HOURLY, 0, T0_US, &err), DS_OK);
    hp_session s = session_at(T0_US, 80);
    assert_int_equal(hp_log_write(log, &s, T0_US, &err), DS_OK);
    assert_int_equal(hp_log_tick(log, T0_US + 1800LL * 1000000, &err), DS_OK); /* 13:50 */
    assert_int_equal(access(tu_path("hourly.csv.20190701T130000Z"), F_OK), -1);
    assert_int_equal(hp_log_tick(log, T0_US + 2400LL * 1000000, &err), DS_OK); /* 14:00 */
    assert_int_equal(records_in(tu_path("hourly.csv.20190701T130000Z")), 1);
    assert_int_equal(records_in(path), 0);
    /* A line written after the next boundary, before any tick, starts the next file. */
    s = session_at(T0_US + 5000LL * 1000000, 80);
    assert_int_equal(hp_log_write(log, &s, T0_US + 6000LL * 1000000, &err), DS_OK); /* 15:00 */
    assert_int_equal(hp_log_tick(log, T0_US + 6001LL * 1000000, &err), DS_OK);
    assert_int_equal(records_in(tu_path("hourly.csv.20190701T140000Z")), 0);
    assert_int_equal(records_in(path), 1);
    s = session_at(T0_US + 6100LL * 1000000, 81);
    assert_int_equal(hp_log_write(log, &s, T0_US + 6100LL * 1000000, &err), DS_OK);

    /* logrotate moves the file away, then SIGHUP: the next lines go to a new file. */
    assert_int_equal(rename(path, tu_path("hourly.csv.moved")), 0);
    assert_int_equal(hp_log_reopen(log, T0_US + 6200LL * 1000000, &err), DS_OK);
    s = session_at(T0_US + 6300LL * 1000000, 82);
    assert_int_equal(hp_log_write(log, &s, T0_US + 6300LL * 1000000, &err), DS_OK);
    uint64_t lines, rotations, reopens;
    hp_log_counts(log, &lines, &rotations, &reopens);
    assert_int_equal(hp_log_close(log, &err), DS_OK);
    assert_int_equal(records_in(tu_path("hourly.csv.moved")), 2); /* 15:00 and 15:01 */
    assert_int_equal(records_in(path), 1);
    assert_int_equal(lines, 4);
    assert_int_equal(rotations, 2);
    assert_int_equal(reopens, 1);

    /* Daily: the rotated name is the UTC day's start; an existing name is never replaced. */
    const char *daily = tu_path("daily.csv");
    tu_write_file(tu_path("daily.csv.20190701T000000Z"), "keep", 4);
    assert_int_equal(hp_log_open(&log, daily, DS_ROTATE_DAILY, 0, T0_US, &err), DS_OK);
    assert_int_equal(hp_log_tick(log, T0_US + 86400LL * 1000000, &err), DS_OK);
    assert_int_equal(hp_log_close(log, &err), DS_OK);
    size_t len;
    char *text = tu_read_file(tu_path("daily.csv.20190701T000000Z"), &len);
    assert_string_equal(text, "keep");
    free(text);
    assert_int_equal(records_in(tu_path("daily.csv.20190701T000000Z.1")), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_banner_rotate_addr),
        cmocka_unit_test(test_source_tables),
        cmocka_unit_test(test_writer_header_and_append),
        cmocka_unit_test(test_writer_rotate_by_size),
        cmocka_unit_test(test_writer_rotate_hourly_and_reopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
