/*
 * test_pcapng.c - the pcapng reader (lib/capture/pcapng.c) on files built in memory: both byte
 * orders, several sections of different byte orders, interfaces with different link types,
 * if_tsresol (powers of 10 and 2) and if_tsoffset, EPB/SPB/PB, unknown blocks, truncation at
 * every byte, inconsistent lengths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static uint8_t syn[64], syn_raw[64], arp[64];
static size_t syn_len, syn_raw_len, arp_len;

static int setup(void **state)
{
    syn_len = tu_frame_syn(syn, 0, 0x0a000001, 0xc0000201, 1234, 80, 42);
    syn_raw_len = tu_frame_syn(syn_raw, 1, 0x0a000002, 0xc0000202, 1235, 443, 43);
    arp_len = tu_frame_ethertype(arp, 0x0806);
    return 0;
}

static void test_simple_both_orders(void **state)
{
    for (int big = 0; big <= 1; big++) {
        tu_buf b = {0};
        tu_ng_shb(&b, big, 1, 0);
        tu_ng_idb(&b, big, 1, 0, -1, 0, 0);
        tu_ng_epb(&b, big, 0, 1500000000123456ull, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        tu_ng_epb(&b, big, 0, 1500000001000000ull, arp, (uint32_t)arp_len, (uint32_t)arp_len);
        tu_ng_epb(&b, big, 0, 1499999999000001ull, syn, (uint32_t)syn_len, 1500);
        tu_capture c;
        assert_int_equal(tu_read_mem(b.data, b.len, 1, &c), DS_OK);
        assert_int_equal(c.format, DS_FORMAT_PCAPNG);
        assert_int_equal(c.stats.records, 3);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.stats.non_ip, 1);
        assert_int_equal(c.pkts[0].ts_ns, 1500000000123456000LL);
        assert_int_equal(c.pkts[0].src, 0x0a000001);
        assert_int_equal(c.pkts[0].dport, 80);
        assert_int_equal(c.pkts[1].ts_ns, 1499999999000001000LL);
        assert_int_equal(c.stats.first_ts_ns, 1499999999000001000LL);
        assert_int_equal(c.stats.last_ts_ns, 1500000001000000000LL);
        assert_int_equal(c.time_digits, 6);
        assert_int_equal(c.stats.bytes, b.len);
        assert_false(c.stats.truncated);
        tu_capture_free(&c);
        tu_buf_free(&b);
    }
}

/* Each section has its own byte order and its own interfaces. */
static void test_sections_of_both_orders(void **state)
{
    tu_buf b = {0};
    tu_ng_shb(&b, 0, 1, 0);
    tu_ng_idb(&b, 0, 1, 0, 9, 0, 0);
    tu_ng_epb(&b, 0, 0, 1000000000000000001ull, syn, (uint32_t)syn_len, (uint32_t)syn_len);
    tu_ng_shb(&b, 1, 1, 0);
    tu_ng_idb(&b, 1, 101, 0, -1, 0, 0);
    tu_ng_epb(&b, 1, 0, 2000000000000000ull, syn_raw, (uint32_t)syn_raw_len, (uint32_t)syn_raw_len);
    tu_ng_shb(&b, 0, 1, 2); /* 1.2 is read as 1.0 */
    tu_ng_idb(&b, 0, 101, 0, 3, 0, 0);
    tu_ng_epb(&b, 0, 0, 3000000000000ull, syn_raw, (uint32_t)syn_raw_len, (uint32_t)syn_raw_len);
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 1024, &c), DS_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.pkts[0].ts_ns, 1000000000000000001LL);
    assert_int_equal(c.pkts[0].src, 0x0a000001);
    assert_int_equal(c.pkts[1].ts_ns, 2000000000000000000LL);
    assert_int_equal(c.pkts[1].src, 0x0a000002);
    assert_int_equal(c.pkts[2].ts_ns, 3000000000000000000LL);
    assert_int_equal(c.stats.n_linktypes, 2);
    assert_int_equal(c.stats.linktypes[0], 1);
    assert_int_equal(c.stats.linktypes[1], 101);
    assert_int_equal(c.time_digits, 9);
    tu_capture_free(&c);

    /* An interface of an earlier section is gone in the next one. */
    tu_buf_free(&b);
    tu_ng_shb(&b, 0, 1, 0);
    tu_ng_idb(&b, 0, 1, 0, -1, 0, 0);
    tu_ng_shb(&b, 1, 1, 0);
    tu_ng_epb(&b, 1, 0, 1, syn, (uint32_t)syn_len, (uint32_t)syn_len);
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
    assert_non_null(strstr(c.err.msg, "packet on interface 0, but the section describes 0"));
    tu_capture_free(&c);
    tu_buf_free(&b);
}

static void test_interfaces_and_resolutions(void **state)
{
    for (int big = 0; big <= 1; big++) {
        tu_buf b = {0};
        tu_ng_shb(&b, big, 1, 0);
        tu_ng_idb(&b, big, 1, 0, 6, 0, 0);         /* 0: Ethernet, microseconds */
        tu_ng_idb(&b, big, 101, 0, 9, 0, 0);       /* 1: raw, nanoseconds */
        tu_ng_idb(&b, big, 1, 0, 0x80 | 20, 0, 0); /* 2: 2^-20 s */
        tu_ng_idb(&b, big, 101, 0, 3, 1, 1000);    /* 3: milliseconds, +1000 s offset */
        tu_ng_idb(&b, big, 1, 0, 12, 1, -5);       /* 4: picoseconds, -5 s */
        tu_ng_idb(&b, big, 1, 0, 0x80 | 0, 0, 0);  /* 5: 2^0: seconds */
        tu_ng_idb(&b, big, 1, 0, 0, 0, 0);         /* 6: 10^0: seconds */
        tu_ng_epb(&b, big, 0, 1700000000654321ull, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        tu_ng_epb(&b, big, 1, 1700000000987654321ull, syn_raw, (uint32_t)syn_raw_len, 40);
        /* 1700000000.5 + 2^-20 seconds */
        uint64_t t2 = (1700000000ull << 20) + (1ull << 19) + 1;
        tu_ng_epb(&b, big, 2, t2, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        tu_ng_epb(&b, big, 3, 1700000000123ull, syn_raw, (uint32_t)syn_raw_len, 40);
        tu_ng_epb(&b, big, 4, 17000000001234567890ull, syn, (uint32_t)syn_len, 54);
        tu_ng_epb(&b, big, 5, 1700000001ull, syn, (uint32_t)syn_len, 54);
        tu_ng_epb(&b, big, 6, 1700000002ull, syn, (uint32_t)syn_len, 54);
        tu_capture c;
        assert_int_equal(tu_read_mem(b.data, b.len, 1024, &c), DS_OK);
        assert_int_equal(c.n, 7);
        assert_int_equal(c.pkts[0].ts_ns, 1700000000654321000LL);
        assert_int_equal(c.pkts[1].ts_ns, 1700000000987654321LL);
        assert_int_equal(c.pkts[1].src, 0x0a000002);
        /* 2^-20 s = 953.67431640625 ns: exact arithmetic, rounded down. */
        assert_int_equal(c.pkts[2].ts_ns, 1700000000500000953LL);
        assert_int_equal(c.pkts[3].ts_ns, 1700001000123000000LL);
        assert_int_equal(c.pkts[4].ts_ns, 16999995001234567LL);
        assert_int_equal(c.pkts[5].ts_ns, 1700000001000000000LL);
        assert_int_equal(c.pkts[6].ts_ns, 1700000002000000000LL);
        assert_int_equal(c.stats.n_linktypes, 2);
        assert_int_equal(c.time_digits, 9);
        tu_capture_free(&c);
        tu_buf_free(&b);
    }
    /* The digits shown follow the finest resolution: 2^-10 needs 4 digits (1/1024 s). */
    tu_buf b = {0};
    tu_ng_shb(&b, 0, 1, 0);
    tu_ng_idb(&b, 0, 1, 0, 0x80 | 10, 0, 0);
    tu_ng_idb(&b, 0, 1, 0, 3, 0, 0);
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_OK);
    assert_int_equal(c.time_digits, 4);
    tu_capture_free(&c);
    tu_buf_free(&b);
}

/* SPB: interface 0's snapshot length, the time of the packet before; PB: the old layout. */
static void test_spb_and_pb(void **state)
{
    for (int big = 0; big <= 1; big++) {
        tu_buf b = {0};
        tu_ng_shb(&b, big, 1, 0);
        tu_ng_idb(&b, big, 1, 0, -1, 0, 0);
        tu_ng_idb(&b, big, 101, 0, 9, 0, 0);
        tu_ng_spb(&b, big, syn, (uint32_t)syn_len, (uint32_t)syn_len); /* no time yet: 0 */
        tu_ng_pb(&b, big, 1, 1600000000000000001ull, syn_raw, (uint32_t)syn_raw_len,
                 (uint32_t)syn_raw_len);
        /* Wire length 13 < data: only 13 bytes count, less than an Ethernet header. */
        tu_ng_spb(&b, big, syn, (uint32_t)syn_len, 13);
        tu_ng_spb(&b, big, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        tu_capture c;
        assert_int_equal(tu_read_mem(b.data, b.len, 1024, &c), DS_OK);
        assert_int_equal(c.stats.records, 4);
        assert_int_equal(c.n, 3);
        assert_int_equal(c.stats.short_records, 1);
        assert_int_equal(c.pkts[0].ts_ns, 0);
        assert_int_equal(c.pkts[1].ts_ns, 1600000000000000001LL);
        assert_int_equal(c.pkts[1].src, 0x0a000002);
        assert_int_equal(c.pkts[2].ts_ns, 1600000000000000001LL);
        /* SPBs have no time of their own: they do not move the time range. */
        assert_int_equal(c.stats.first_ts_ns, 1600000000000000001LL);
        assert_int_equal(c.stats.last_ts_ns, 1600000000000000001LL);
        tu_capture_free(&c);
        tu_buf_free(&b);

        /* Interface 0's snapshot length 13 cuts every SPB to 13 bytes. */
        tu_ng_shb(&b, big, 1, 0);
        tu_ng_idb(&b, big, 1, 13, -1, 0, 0);
        tu_ng_spb(&b, big, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        assert_int_equal(tu_read_mem(b.data, b.len, 1024, &c), DS_OK);
        assert_int_equal(c.stats.records, 1);
        assert_int_equal(c.stats.short_records, 1);
        assert_int_equal(c.n, 0);
        tu_capture_free(&c);
        tu_buf_free(&b);
    }
    /* An SPB without any interface is an error. */
    tu_buf b = {0};
    tu_ng_shb(&b, 0, 1, 0);
    tu_ng_spb(&b, 0, syn, (uint32_t)syn_len, (uint32_t)syn_len);
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
    tu_buf_free(&b);
}

/* Name resolution, statistics, custom and unknown blocks are skipped, however large. */
static void test_unknown_blocks(void **state)
{
    size_t huge = 3u * 1024 * 1024 + 4; /* larger than the stream's window */
    uint8_t *body = calloc(1, huge);
    assert_non_null(body);
    for (int big = 0; big <= 1; big++) {
        tu_buf b = {0};
        tu_ng_shb(&b, big, 1, 0);
        tu_ng_block(&b, big, 4, "\0\0\0\0", 4); /* NRB */
        tu_ng_idb(&b, big, 1, 0, -1, 0, 0);
        tu_ng_block(&b, big, 0x40000bad, body, 100);
        tu_ng_epb(&b, big, 0, 1, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        tu_ng_block(&b, big, 5, body, 40);          /* ISB */
        tu_ng_block(&b, big, 0x00000bad, body, 40); /* custom */
        tu_ng_block(&b, big, 0x12345678, body, huge);
        tu_ng_epb(&b, big, 0, 2, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        tu_capture c;
        assert_int_equal(tu_read_mem(b.data, b.len, 1024, &c), DS_OK);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.stats.records, 2);
        assert_false(c.stats.truncated);
        assert_int_equal(c.stats.bytes, b.len);
        tu_capture_free(&c);
        /* Through a file, where the large block is skipped by reading past it. */
        tu_write_file(tu_path("unknown.pcapng"), b.data, b.len);
        assert_int_equal(tu_read_path(tu_path("unknown.pcapng"), 1, &c), DS_OK);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.stats.bytes, b.len);
        tu_capture_free(&c);
        /* Cut inside the large block: truncated. */
        assert_int_equal(tu_read_mem(b.data, b.len - 1000, 1024, &c), DS_OK);
        assert_int_equal(c.n, 1);
        assert_true(c.stats.truncated);
        tu_capture_free(&c);
        tu_buf_free(&b);
    }
    free(body);
}

static void test_bad_headers(void **state)
{
    tu_buf b = {0};
    tu_capture c;
    static const uint16_t bad[][2] = {{0, 1}, {1, 1}, {2, 0}, {1, 3}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tu_ng_shb(&b, 1, bad[i][0], bad[i][1]);
        assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
        assert_non_null(strstr(c.err.msg, "unsupported pcapng version"));
        tu_buf_free(&b);
    }
    /* A later section with a bad version stops the file after the packets before it. */
    tu_ng_shb(&b, 0, 1, 0);
    tu_ng_idb(&b, 0, 1, 0, -1, 0, 0);
    tu_ng_epb(&b, 0, 0, 1, syn, (uint32_t)syn_len, (uint32_t)syn_len);
    size_t second = b.len;
    tu_ng_shb(&b, 0, 2, 0);
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
    assert_int_equal(c.n, 1);
    char want[128];
    snprintf(want, sizeof(want), "mem.pcap: byte %zu: unsupported pcapng version 2.0", second);
    assert_string_equal(c.err.msg, want);
    tu_capture_free(&c);
    tu_buf_free(&b);
    /* Bad byte-order magic. */
    tu_buf_free(&b);
    tu_ng_shb(&b, 0, 1, 0);
    b.data[8] = 0x11;
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
    assert_non_null(strstr(c.err.msg, "byte-order magic"));
    /* The section header cut short. */
    tu_buf_free(&b);
    tu_ng_shb(&b, 0, 1, 0);
    assert_int_equal(tu_read_mem(b.data, 20, 16, &c), DS_ERR_FORMAT);
    assert_non_null(strstr(c.err.msg, "cut short"));
    tu_buf_free(&b);
}

/* Every byte: the complete-record count is exact; cut inside the first SHB is an error. */
static void test_truncation_every_byte(void **state)
{
    for (int big = 0; big <= 1; big++) {
        tu_buf b = {0};
        size_t ends[16], n_ends = 0;
        tu_ng_shb(&b, big, 1, 0);
        size_t shb_end = b.len;
        ends[n_ends++] = b.len; /* records complete: 0 */
        tu_ng_idb(&b, big, 1, 0, 9, 1, 3);
        size_t idb_end = b.len;
        tu_ng_epb(&b, big, 0, 5, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        ends[n_ends++] = b.len;
        tu_ng_block(&b, big, 0x999, "abcdefgh", 8);
        size_t unk_end = b.len;
        tu_ng_spb(&b, big, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        ends[n_ends++] = b.len;
        tu_ng_pb(&b, big, 0, 9, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        ends[n_ends++] = b.len;
        size_t shb2_start = b.len;
        tu_ng_shb(&b, !big, 1, 0);
        size_t shb2_end = b.len;
        tu_ng_idb(&b, !big, 1, 0, -1, 0, 0);
        size_t idb2_end = b.len;
        tu_ng_epb(&b, !big, 0, 7, syn, (uint32_t)syn_len, (uint32_t)syn_len);
        ends[n_ends++] = b.len;
        for (size_t cut = 0; cut <= b.len; cut++) {
            tu_capture c;
            ds_status rc = tu_read_mem(b.data, cut, 1, &c);
            if (cut < shb_end) {
                assert_int_equal(rc, DS_ERR_FORMAT);
                continue;
            }
            assert_int_equal(rc, DS_OK);
            size_t complete = 0;
            for (size_t e = 0; e < n_ends; e++) {
                if (ends[e] <= cut)
                    complete = e;
            }
            bool boundary = cut == shb_end || cut == idb_end || cut == unk_end ||
                            cut == shb2_start || cut == shb2_end || cut == idb2_end;
            for (size_t e = 0; e < n_ends; e++)
                boundary = boundary || ends[e] == cut;
            assert_int_equal(c.stats.records, complete);
            assert_int_equal(c.n, complete);
            assert_int_equal(c.stats.truncated, !boundary);
            assert_int_equal(c.stats.bytes, cut);
            tu_capture_free(&c);
        }
        tu_buf_free(&b);
    }
}

/* Each way a block can lie about its length stops the file with an error at its offset. */
static void test_inconsistent_lengths(void **state)
{
    struct {
        const char *what;
        uint32_t offset_in_block; /* which field to change, counted from the EPB's start */
        uint32_t value;
        const char *message;
    } cases[] = {
        {"trailer", 96 - 4, 100, "block lengths at start and end differ"},
        {"leading length", 4, 100, "block lengths at start and end differ"},
        {"not a multiple of 4", 4, 97, "invalid block length 97"},
        {"below 12", 4, 8, "invalid block length 8"},
        {"caplen beyond block", 20, 58, "record length 58 does not fit in block length 88"},
        {"caplen above snaplen", 20, 61, "record length 61 exceeds the snapshot length 60"},
        {"caplen above the limit", 20, DS_MAX_RECORD + 1, "record length 262145 exceeds 262144"},
        {"leading length huge", 4, 0x7ffffff0, "block length 2147483632 exceeds"},
        {"interface", 8, 5, "packet on interface 5, but the section describes 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int big = 0; big <= 1; big++) {
            tu_buf b = {0};
            tu_ng_shb(&b, big, 1, 0);
            tu_ng_idb(&b, big, 1, 60, -1, 0, 0);
            tu_ng_epb(&b, big, 0, 1, syn, (uint32_t)syn_len, (uint32_t)syn_len);
            size_t at = b.len;
            tu_ng_epb(&b, big, 0, 2, syn, (uint32_t)syn_len, (uint32_t)syn_len);
            assert_int_equal(b.len - at, 88);
            tu_ng_epb(&b, big, 0, 3, syn, (uint32_t)syn_len, (uint32_t)syn_len);
            uint32_t field = at + cases[i].offset_in_block;
            if (cases[i].offset_in_block == 96 - 4)
                field = (uint32_t)at + 88 - 4;
            uint32_t v = cases[i].value;
            uint8_t *p = b.data + field;
            if (big) {
                p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
                p[3] = (uint8_t)v;
            } else {
                p[3] = (uint8_t)(v >> 24), p[2] = (uint8_t)(v >> 16), p[1] = (uint8_t)(v >> 8),
                p[0] = (uint8_t)v;
            }
            tu_capture c;
            assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
            assert_int_equal(c.n, 1);
            assert_int_equal(c.stats.records, 1);
            char want[64];
            snprintf(want, sizeof(want), "mem.pcap: byte %zu: ", at);
            if (strncmp(c.err.msg, want, strlen(want)) != 0 ||
                strstr(c.err.msg, cases[i].message) == NULL)
                fail_msg("%s: got '%s'", cases[i].what, c.err.msg);
            tu_capture_free(&c);
            tu_buf_free(&b);
        }
    }
}

/* Options that run past their block are an error (libpcap's shb-option-too-long). */
static void test_bad_options(void **state)
{
    tu_buf b = {0}, body = {0};
    tu_ng_shb(&b, 0, 1, 0);
    tu_buf_u16le(&body, 1);
    tu_buf_u16le(&body, 0);
    tu_buf_u32le(&body, 0);
    tu_buf_u16le(&body, 9);   /* if_tsresol */
    tu_buf_u16le(&body, 200); /* ... of 200 bytes */
    tu_buf_u32le(&body, 6);
    tu_ng_block(&b, 0, 1, body.data, body.len);
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
    assert_non_null(strstr(c.err.msg, "option runs past the block"));
    tu_buf_free(&body);
    tu_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_both_orders),
        cmocka_unit_test(test_sections_of_both_orders),
        cmocka_unit_test(test_interfaces_and_resolutions),
        cmocka_unit_test(test_spb_and_pb),
        cmocka_unit_test(test_unknown_blocks),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_truncation_every_byte),
        cmocka_unit_test(test_inconsistent_lengths),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
