/*
 * test_pcap.c - the classic pcap reader (lib/capture/pcap.c) on files built in memory: every
 * magic in both byte orders, the pre-2.3 length order, Kuznetzov's format, bad versions,
 * truncation at every byte, impossible record lengths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MAGIC_US  0xa1b2c3d4u
#define MAGIC_NS  0xa1b23c4du
#define MAGIC_KUZ 0xa1b2cd34u

/* Three SYNs at known times, plus an ARP frame. */
static void build(tu_buf *b, int big, uint32_t magic, uint16_t major, uint16_t minor, int swap_lens)
{
    int kuz = magic == MAGIC_KUZ;
    tu_pcap_header(b, big, magic, major, minor, 65535, 1);
    uint8_t f[64];
    for (uint32_t i = 0; i < 3; i++) {
        size_t len =
            tu_frame_syn(f, 0, 0x0a000001 + i, 0xc0000201, (uint16_t)(40000 + i), 22, 1000 + i);
        /* wire length 60 > caplen 54: tells the length fields apart. */
        uint32_t cap = (uint32_t)len, wire = 60;
        tu_pcap_record(b, big, kuz, 1500000000 + i, 999999 - i, swap_lens ? wire : cap,
                       swap_lens ? cap : wire, f, len);
    }
    size_t len = tu_frame_ethertype(f, 0x0806);
    tu_pcap_record(b, big, kuz, 1500000010, 0, swap_lens ? (uint32_t)len : (uint32_t)len,
                   (uint32_t)len, f, len);
}

static void check_three_syns(const tu_capture *c, int nsec)
{
    assert_int_equal(c->status, DS_OK);
    assert_int_equal(c->format, DS_FORMAT_PCAP);
    assert_int_equal(c->compression, DS_COMP_NONE);
    assert_int_equal(c->n, 3);
    assert_int_equal(c->stats.records, 4);
    assert_int_equal(c->stats.ipv4, 3);
    assert_int_equal(c->stats.syn, 3);
    assert_int_equal(c->stats.non_ip, 1);
    assert_false(c->stats.truncated);
    assert_int_equal(c->time_digits, nsec ? 9 : 6);
    for (uint32_t i = 0; i < 3; i++) {
        int64_t frac = (int64_t)(999999 - i) * (nsec ? 1 : 1000);
        assert_int_equal(c->pkts[i].ts_ns, (int64_t)(1500000000 + i) * 1000000000 + frac);
        assert_int_equal(c->pkts[i].src, 0x0a000001 + i);
        assert_int_equal(c->pkts[i].dst, 0xc0000201);
        assert_int_equal(c->pkts[i].sport, 40000 + i);
        assert_int_equal(c->pkts[i].dport, 22);
        assert_int_equal(c->pkts[i].seq, 1000 + i);
        assert_int_equal(c->pkts[i].file_index, 7);
        assert_true(ds_packet_is_syn(&c->pkts[i]));
    }
    assert_int_equal(c->stats.first_ts_ns,
                     1500000000LL * 1000000000 + 999999LL * (nsec ? 1 : 1000));
    assert_int_equal(c->stats.last_ts_ns, 1500000010LL * 1000000000);
    assert_int_equal(c->stats.n_linktypes, 1);
    assert_int_equal(c->stats.linktypes[0], 1);
}

static void test_magics_and_byte_orders(void **state)
{
    static const uint32_t magics[] = {MAGIC_US, MAGIC_NS};
    for (int big = 0; big <= 1; big++) {
        for (size_t m = 0; m < 2; m++) {
            for (size_t batch = 1; batch <= 1024; batch *= 1024) {
                tu_buf b = {0};
                build(&b, big, magics[m], 2, 4, 0);
                tu_capture c;
                tu_read_mem(b.data, b.len, batch, &c);
                check_three_syns(&c, magics[m] == MAGIC_NS);
                assert_int_equal(c.stats.bytes, b.len);
                tu_capture_free(&c);
                tu_buf_free(&b);
            }
        }
    }
}

static void test_kuznetzov(void **state)
{
    for (int big = 0; big <= 1; big++) {
        tu_buf b = {0};
        build(&b, big, MAGIC_KUZ, 2, 4, 0);
        tu_capture c;
        tu_read_mem(b.data, b.len, 16, &c);
        check_three_syns(&c, 0);
        tu_capture_free(&c);
        tu_buf_free(&b);
    }
}

/* Before 2.3 the length fields are the other way round; 2.3 may be either; DG/UX 543.0. */
static void test_old_length_order(void **state)
{
    struct {
        uint16_t major, minor;
        int swapped;
    } cases[] = {{2, 0, 1}, {2, 1, 1}, {2, 2, 1}, {2, 3, 1}, {2, 3, 0}, {543, 0, 1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int big = 0; big <= 1; big++) {
            tu_buf b = {0};
            build(&b, big, MAGIC_US, cases[i].major, cases[i].minor, cases[i].swapped);
            tu_capture c;
            tu_read_mem(b.data, b.len, 1024, &c);
            check_three_syns(&c, 0);
            tu_capture_free(&c);
            tu_buf_free(&b);
        }
    }
}

static void test_bad_versions(void **state)
{
    static const uint16_t bad[][2] = {{1, 4}, {2, 5}, {3, 0}, {0, 0}, {543, 1}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tu_buf b = {0};
        build(&b, 0, MAGIC_US, bad[i][0], bad[i][1], 0);
        tu_capture c;
        assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
        assert_false(c.opened);
        assert_non_null(strstr(c.err.msg, "mem.pcap: unsupported pcap version"));
        tu_buf_free(&b);
    }
}

static void test_reserved_linktype_bits(void **state)
{
    tu_buf b = {0};
    tu_pcap_header(&b, 0, MAGIC_US, 2, 4, 65535, 0x00300000);
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
    assert_non_null(strstr(c.err.msg, "reserved"));
    tu_buf_free(&b);
    /* FCS bits are not reserved: the link type is the low 16 bits. */
    tu_pcap_header(&b, 0, MAGIC_US, 2, 4, 65535, 0x14000001);
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_OK);
    assert_int_equal(c.stats.linktypes[0], 1);
    tu_capture_free(&c);
    tu_buf_free(&b);
}

/* Cut a file at every byte: exactly the complete records count, truncated unless at a
 * boundary, and a cut inside the file header is an error. */
static void test_truncation_every_byte(void **state)
{
    for (int big = 0; big <= 1; big++) {
        tu_buf b = {0};
        build(&b, big, big ? MAGIC_NS : MAGIC_US, 2, 4, 0);
        size_t ends[8], n_ends = 0;
        /* Record boundaries: header 24, then 16 + 54 three times, then 16 + 60. */
        size_t at = 24;
        ends[n_ends++] = at;
        for (int i = 0; i < 3; i++)
            ends[n_ends++] = at += 16 + 54;
        ends[n_ends++] = at += 16 + 60;
        assert_int_equal(at, b.len);
        for (size_t cut = 0; cut <= b.len; cut++) {
            tu_capture c;
            ds_status rc = tu_read_mem(b.data, cut, 2, &c);
            if (cut < 24) {
                assert_int_equal(rc, DS_ERR_FORMAT);
                continue;
            }
            assert_int_equal(rc, DS_OK);
            size_t complete = 0;
            bool boundary = false;
            for (size_t e = 0; e < n_ends; e++) {
                if (ends[e] <= cut)
                    complete = e;
                if (ends[e] == cut)
                    boundary = true;
            }
            assert_int_equal(c.stats.records, complete);
            assert_int_equal(c.n, complete < 3 ? complete : 3);
            assert_int_equal(c.stats.truncated, !boundary);
            assert_int_equal(c.stats.bytes, cut);
            tu_capture_free(&c);
        }
        tu_buf_free(&b);
    }
}

static void test_impossible_lengths(void **state)
{
    uint8_t f[64];
    size_t len = tu_frame_syn(f, 0, 1, 2, 3, 4, 5);
    /* caplen above the snapshot length: an error naming the record's offset, after the
     * records before it were delivered. */
    tu_buf b = {0};
    tu_pcap_header(&b, 0, MAGIC_US, 2, 4, 60, 1);
    tu_pcap_record(&b, 0, 0, 1, 0, (uint32_t)len, (uint32_t)len, f, len);
    tu_pcap_record(&b, 0, 0, 2, 0, 61, 61, f, len);
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
    assert_true(c.opened);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.stats.records, 1);
    assert_string_equal(c.err.msg,
                        "mem.pcap: byte 94: record length 61 exceeds the snapshot length 60");
    tu_capture_free(&c);
    tu_buf_free(&b);

    /* Snapshot length 0 (or huge): the limit is DS_MAX_RECORD. The length is never used to
     * size anything: the file is much shorter. */
    uint32_t snaps[] = {0, 0xffffffffu};
    for (size_t i = 0; i < 2; i++) {
        tu_pcap_header(&b, 1, MAGIC_US, 2, 4, snaps[i], 1);
        tu_pcap_record(&b, 1, 0, 2, 0, DS_MAX_RECORD + 1, 100, f, len);
        assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_ERR_FORMAT);
        assert_string_equal(c.err.msg, "mem.pcap: byte 24: record length 262145 exceeds 262144");
        tu_capture_free(&c);
        tu_buf_free(&b);
    }
    /* DS_MAX_RECORD itself is fine (the file ends inside it: truncated). */
    tu_pcap_header(&b, 0, MAGIC_US, 2, 4, 0, 1);
    tu_pcap_record(&b, 0, 0, 2, 0, DS_MAX_RECORD, DS_MAX_RECORD, f, len);
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_OK);
    assert_true(c.stats.truncated);
    assert_int_equal(c.stats.records, 0);
    tu_capture_free(&c);
    tu_buf_free(&b);
}

/* A record of exactly DS_MAX_RECORD bytes, and records around the window's chunk size. */
static void test_large_records(void **state)
{
    tu_buf b = {0};
    tu_pcap_header(&b, 0, MAGIC_US, 2, 4, 0, 1);
    uint8_t *big = calloc(1, DS_MAX_RECORD);
    assert_non_null(big);
    size_t n_records = 0;
    for (uint32_t size = 54; size <= DS_MAX_RECORD; size = size * 3 + 1) {
        tu_frame_syn(big, 0, size, 2, 3, 4, 5);
        tu_pcap_record(&b, 0, 0, 1, 0, size, size, big, size);
        n_records++;
    }
    tu_frame_syn(big, 0, 9, 2, 3, 4, 5);
    tu_pcap_record(&b, 0, 0, 1, 0, DS_MAX_RECORD, DS_MAX_RECORD, big, DS_MAX_RECORD);
    n_records++;
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 3, &c), DS_OK);
    assert_int_equal(c.stats.records, n_records);
    assert_int_equal(c.n, n_records);
    /* Through a file: the window is refilled and records straddle its end. */
    tu_write_file(tu_path("large.pcap"), b.data, b.len);
    tu_capture f;
    assert_int_equal(tu_read_path(tu_path("large.pcap"), 2, &f), DS_OK);
    assert_int_equal(f.n, c.n);
    tu_assert_packets_equal(f.pkts, c.pkts, c.n);
    assert_int_equal(f.stats.bytes, b.len);
    tu_capture_free(&f);
    tu_capture_free(&c);
    free(big);
    tu_buf_free(&b);
}

static void test_header_only_and_short(void **state)
{
    tu_buf b = {0};
    tu_pcap_header(&b, 0, MAGIC_NS, 2, 4, 65535, 101);
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 16, &c), DS_OK);
    assert_int_equal(c.stats.records, 0);
    assert_false(c.stats.truncated);
    assert_int_equal(c.stats.first_ts_ns, INT64_MAX);
    assert_int_equal(c.stats.last_ts_ns, INT64_MIN);
    assert_int_equal(c.stats.linktypes[0], 101);
    tu_capture_free(&c);
    assert_int_equal(tu_read_mem(b.data, 23, 16, &c), DS_ERR_FORMAT);
    assert_string_equal(c.err.msg, "mem.pcap: pcap file header cut short (23 of 24 bytes)");
    tu_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_magics_and_byte_orders), cmocka_unit_test(test_kuznetzov),
        cmocka_unit_test(test_old_length_order),       cmocka_unit_test(test_bad_versions),
        cmocka_unit_test(test_reserved_linktype_bits), cmocka_unit_test(test_truncation_every_byte),
        cmocka_unit_test(test_impossible_lengths),     cmocka_unit_test(test_large_records),
        cmocka_unit_test(test_header_only_and_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
