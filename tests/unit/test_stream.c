/*
 * test_stream.c - decompression (lib/capture/stream.c) through the reader: every compression,
 * several streams back to back, compressed and cut short, garbage after the end, damaged
 * data, files, standard input and pipes. A compressed regular file decompresses in a thread
 * of its own (a ring of chunks): every case read from memory (no thread) is also read from a
 * file and must give the same packets, ends and errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <lz4frame.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/stream.h"
#include "testutil.h"

static const char *const kinds[] = {"gzip", "bzip2", "xz", "zstd", "lz4"};
static const ds_compression ids[] = {DS_COMP_GZIP, DS_COMP_BZIP2, DS_COMP_XZ, DS_COMP_ZSTD,
                                     DS_COMP_LZ4};
#define N_KINDS 5

/* A pcap of n SYNs with varying sizes (so records straddle every buffer boundary). */
static void build_pcap(tu_buf *b, uint32_t n, size_t *ends)
{
    tu_pcap_header(b, 0, 0xa1b2c3d4, 2, 4, 0, 1);
    uint8_t f[1600];
    memset(f, 0xab, sizeof(f));
    for (uint32_t i = 0; i < n; i++) {
        tu_frame_syn(f, 0, i, ~i, (uint16_t)i, (uint16_t)(i * 7), i * 13);
        uint32_t len = 54 + (i * 37) % 1500;
        tu_pcap_record(b, 0, 0, 1000 + i, i % 1000000, len, len, f, len);
        if (ends != NULL)
            ends[i] = b->len;
    }
}

/* set_ring - the decompression thread's ring for what follows: `chunks` chunks
 * (DARKSCAN_TEST_RING_CHUNKS), or the default when NULL. */
static void set_ring(const char *chunks)
{
    if (chunks != NULL)
        setenv("DARKSCAN_TEST_RING_CHUNKS", chunks, 1);
    else
        unsetenv("DARKSCAN_TEST_RING_CHUNKS");
}

/*
 * same_through_file - read data[0..len) from a file (the decompression thread) and check that
 * it gives what mem (read from memory, no thread) gave: status, packets, counters and the
 * error message after the name.
 */
static void same_through_file(const uint8_t *data, size_t len, const tu_capture *mem)
{
    tu_write_file(tu_path("same.bin"), data, len);
    tu_capture f;
    ds_status rc = tu_read_path(tu_path("same.bin"), 100, &f);
    assert_int_equal(rc, mem->status);
    assert_int_equal(f.n, mem->n);
    tu_assert_packets_equal(f.pkts, mem->pkts, mem->n);
    assert_int_equal(f.stats.records, mem->stats.records);
    assert_int_equal(f.stats.bytes, mem->stats.bytes);
    assert_int_equal(f.stats.truncated, mem->stats.truncated);
    if (rc != DS_OK) {
        const char *a = strchr(f.err.msg, ':'), *b = strchr(mem->err.msg, ':');
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
    }
    tu_capture_free(&f);
}

static size_t complete_records(const size_t *ends, uint32_t n, uint64_t bytes)
{
    size_t k = 0;
    while (k < n && ends[k] <= bytes)
        k++;
    return k;
}

static void test_each_compression(void **state)
{
    tu_buf plain = {0};
    build_pcap(&plain, 3000, NULL);
    tu_capture want;
    assert_int_equal(tu_read_mem(plain.data, plain.len, 512, &want), DS_OK);
    assert_int_equal(want.n, 3000);
    for (int k = 0; k < N_KINDS; k++) {
        tu_buf z = {0};
        tu_compress(kinds[k], plain.data, plain.len, &z);
        tu_capture c;
        assert_int_equal(tu_read_mem(z.data, z.len, 100, &c), DS_OK);
        assert_int_equal(c.compression, ids[k]);
        assert_int_equal(c.format, DS_FORMAT_PCAP);
        assert_int_equal(c.n, want.n);
        tu_assert_packets_equal(c.pkts, want.pkts, want.n);
        assert_int_equal(c.stats.bytes, plain.len);
        assert_false(c.stats.truncated);
        tu_capture_free(&c);
        /* The same through a file. */
        tu_write_file(tu_path("c.bin"), z.data, z.len);
        assert_int_equal(tu_read_path(tu_path("c.bin"), 4096, &c), DS_OK);
        assert_int_equal(c.n, want.n);
        assert_int_equal(c.compression, ids[k]);
        tu_capture_free(&c);
        tu_buf_free(&z);
    }
    tu_capture_free(&want);
    tu_buf_free(&plain);
}

/* A file of about 15 MB through the decompression thread's ring: the default ring (64 chunks of
 * 1 MiB, larger than the file), and rings of 4 chunks and of 1 (DARKSCAN_TEST_RING_CHUNKS), which
 * the file goes round several times over; whole, cut short and with garbage after it: the same
 * as from memory. */
static void test_large_through_thread(void **state)
{
    static const int large[] = {0, 3, 4}; /* gzip, zstd, lz4 (bzip2 and xz compress slowly) */
    static const char *rings[] = {NULL, "4", "1"};
    tu_buf plain = {0};
    build_pcap(&plain, 20000, NULL); /* about 15 MB */
    for (size_t i = 0; i < sizeof(large) / sizeof(large[0]) * 3; i++) {
        const char *ring = rings[i % 3];
        set_ring(ring);
        int k = large[i / 3];
        tu_buf z = {0};
        tu_compress(kinds[k], plain.data, plain.len, &z);
        tu_capture c;
        assert_int_equal(tu_read_mem(z.data, z.len, 4096, &c), DS_OK);
        assert_int_equal(c.n, 20000);
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
        tu_read_mem(z.data, z.len * 2 / 3, 4096, &c);
        assert_true(c.stats.truncated);
        same_through_file(z.data, z.len * 2 / 3, &c);
        tu_capture_free(&c);
        tu_buf_put(&z, "not compressed", 14);
        assert_int_equal(tu_read_mem(z.data, z.len, 4096, &c), DS_ERR_FORMAT);
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
        tu_buf_free(&z);
    }
    set_ring(NULL);
    tu_buf_free(&plain);
}

/*
 * A pcapng of about 6 MB through the ring: packet blocks of every size, and now and then a block
 * of an unknown type of 0.3-1.9 MiB that the reader skips, so that records and skips cross the
 * chunks' ends at every offset and need() asks for up to 2 MiB; the reader parses in the chunks
 * themselves (borrowed) except where a block runs into the next chunk. The same as from memory,
 * whole, cut short and with garbage after it, with rings of 1, 2 and 64 chunks.
 */
static void test_pcapng_through_thread(void **state)
{
    (void)state;
    tu_buf plain = {0};
    tu_ng_shb(&plain, 0, 1, 0);
    tu_ng_idb(&plain, 0, 1, 65535, 6, 0, 0);
    uint8_t f[1600];
    memset(f, 0xcd, sizeof(f));
    uint8_t *big = calloc(1, 2000000);
    assert_non_null(big);
    uint32_t packets = 0;
    for (uint32_t i = 0; plain.len < 6000000; i++) {
        if (i % 997 == 500) {
            size_t len = 300000 + (size_t)i * 7919 % 1700000;
            tu_ng_block(&plain, 0, 0x0badf00d, big, len);
            continue;
        }
        tu_frame_syn(f, 0, i, ~i, (uint16_t)i, (uint16_t)(i * 3), i * 11);
        uint32_t len = 54 + (i * 41) % 1500;
        tu_ng_epb(&plain, 0, 0, 1600000000000000ull + i, f, len, len);
        packets++;
    }
    free(big);
    tu_buf z = {0};
    tu_compress("zstd", plain.data, plain.len, &z);
    static const char *rings[] = {"1", "2", NULL};
    for (size_t r = 0; r < sizeof(rings) / sizeof(rings[0]); r++) {
        set_ring(rings[r]);
        tu_capture c;
        assert_int_equal(tu_read_mem(z.data, z.len, 1000, &c), DS_OK);
        assert_int_equal(c.format, DS_FORMAT_PCAPNG);
        assert_int_equal(c.n, packets);
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
        tu_read_mem(z.data, z.len / 2, 1000, &c);
        assert_true(c.stats.truncated);
        same_through_file(z.data, z.len / 2, &c);
        tu_capture_free(&c);
    }
    /* Garbage after the end, several chunks in: the error and its offset are those of memory. */
    tu_buf_put(&z, "not compressed", 14);
    for (size_t r = 0; r < sizeof(rings) / sizeof(rings[0]); r++) {
        set_ring(rings[r]);
        tu_capture c;
        assert_int_equal(tu_read_mem(z.data, z.len, 1000, &c), DS_ERR_FORMAT);
        assert_int_equal(c.n, packets);
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
    }
    set_ring(NULL);
    tu_buf_free(&z);
    tu_buf_free(&plain);
}

/* Several members/streams/frames one after the other, split at odd places of the pcap. */
static void test_concatenated(void **state)
{
    tu_buf plain = {0};
    build_pcap(&plain, 2000, NULL);
    size_t cuts[] = {0, 1, 23, 24, 5000, plain.len / 2 + 3, plain.len - 1, plain.len};
    for (int k = 0; k < N_KINDS; k++) {
        tu_buf z = {0};
        size_t from = 0;
        for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
            if (cuts[i] > from) {
                tu_compress(kinds[k], plain.data + from, cuts[i] - from, &z);
                from = cuts[i];
            } else if (k != 0 && k != 2) {
                /* An empty stream in the middle (not for gzip and xz: their empty streams
                 * are tested by the tools' own suites). */
                tu_compress(kinds[k], "", 0, &z);
            }
            if (k == 3 && i == 3) {
                /* A zstd skippable frame in the middle. */
                uint8_t skip[12] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'x', 'y', 'z', 'w'};
                tu_buf_put(&z, skip, sizeof(skip));
            }
        }
        tu_capture c;
        assert_int_equal(tu_read_mem(z.data, z.len, 1000, &c), DS_OK);
        assert_int_equal(c.compression, ids[k]);
        assert_int_equal(c.n, 2000);
        assert_int_equal(c.stats.bytes, plain.len);
        assert_false(c.stats.truncated);
        tu_capture_free(&c);
        tu_buf_free(&z);
    }
    /* xz stream padding (4 zero bytes) between and after streams. */
    tu_buf z = {0};
    tu_compress("xz", plain.data, 1000, &z);
    tu_buf_put(&z, "\0\0\0\0", 4);
    tu_compress("xz", plain.data + 1000, plain.len - 1000, &z);
    tu_buf_put(&z, "\0\0\0\0", 4);
    tu_capture c;
    assert_int_equal(tu_read_mem(z.data, z.len, 1000, &c), DS_OK);
    assert_int_equal(c.n, 2000);
    tu_capture_free(&c);
    tu_buf_free(&z);
    /* A file that starts with a skippable frame: zstd or lz4 by what follows. */
    uint8_t skip[12] = {0x5f, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
    for (int k = 3; k <= 4; k++) {
        tu_buf_put(&z, skip, sizeof(skip));
        tu_compress(kinds[k], plain.data, plain.len, &z);
        assert_int_equal(tu_read_mem(z.data, z.len, 1000, &c), DS_OK);
        assert_int_equal(c.compression, ids[k]);
        assert_int_equal(c.n, 2000);
        tu_capture_free(&c);
        tu_buf_free(&z);
    }
    tu_buf_free(&plain);
}

/* A compressed file cut short: truncated, never an error, and every complete record of what
 * could be decompressed counts. */
static void test_compressed_and_cut(void **state)
{
    static size_t ends[1500];
    tu_buf plain = {0};
    build_pcap(&plain, 1500, ends);
    for (int k = 0; k < N_KINDS; k++) {
        tu_buf z = {0};
        size_t half = ends[749]; /* the first stream ends between two records */
        tu_compress(kinds[k], plain.data, half, &z);
        size_t first = z.len;
        tu_compress(kinds[k], plain.data + half, plain.len - half, &z);
        size_t cuts[] = {first,     first + 1, first + 30, z.len - 1,
                         z.len - 9, z.len / 2, first - 1,  first / 2};
        for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
            tu_capture c;
            ds_status rc = tu_read_mem(z.data, cuts[i], 100, &c);
            if (rc != DS_OK && k == 1 && cuts[i] < first &&
                strstr(c.err.msg, "bzip2 data that decompresses to nothing") != NULL)
                continue; /* one bzip2 block, cut: nothing decompresses, so no format */
            if (rc != DS_OK)
                fail_msg("%s cut at %zu of %zu: %s", kinds[k], cuts[i], z.len, c.err.msg);
            same_through_file(z.data, cuts[i], &c);
            if (cuts[i] == first) {
                /* Exactly after a complete stream: a clean end. */
                assert_false(c.stats.truncated);
                assert_int_equal(c.stats.bytes, half);
            } else {
                assert_true(c.stats.truncated);
            }
            assert_true(c.stats.bytes <= plain.len);
            assert_int_equal(c.stats.records, complete_records(ends, 1500, c.stats.bytes));
            assert_int_equal(c.n, c.stats.records);
            tu_capture_free(&c);
        }
        tu_buf_free(&z);
    }
    tu_buf_free(&plain);
}

/* Garbage after the last stream: an error that names the decompressed offset, after every
 * record was delivered. Damaged data: an error too. */
static void test_garbage_and_damage(void **state)
{
    tu_buf plain = {0};
    build_pcap(&plain, 500, NULL);
    for (int k = 0; k < N_KINDS; k++) {
        tu_buf z = {0};
        tu_compress(kinds[k], plain.data, plain.len, &z);
        size_t good = z.len;
        tu_buf_put(&z, "this is not compressed", 22);
        tu_capture c;
        ds_status rc = tu_read_mem(z.data, z.len, 64, &c);
        assert_int_equal(rc, DS_ERR_FORMAT);
        assert_int_equal(c.n, 500);
        assert_int_equal(c.stats.records, 500);
        char want[96];
        snprintf(want, sizeof(want), "mem.pcap: %s: decompressed byte %zu: ", kinds[k], plain.len);
        if (strncmp(c.err.msg, want, strlen(want)) != 0)
            fail_msg("%s: '%s'", kinds[k], c.err.msg);
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);

        /* Flip bytes in the middle of the compressed data. */
        z.len = good;
        for (size_t i = good / 2; i < good / 2 + 16; i++)
            z.data[i] ^= 0x5a;
        rc = tu_read_mem(z.data, z.len, 64, &c);
        if (rc == DS_OK) {
            /* zstd and lz4 frames carry no checksum by default: damage can decompress to
             * other bytes that still parse. Never a crash. */
            assert_true(k == 4 || k == 3);
        } else {
            /* Either the decompressor's check fails, or the pcap layer meets the garbled
             * bytes first; the records before the damage count. */
            assert_true(strstr(c.err.msg, kinds[k]) != NULL ||
                        strstr(c.err.msg, "record length") != NULL);
            assert_true(c.stats.records < 500);
        }
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
        tu_buf_free(&z);
    }
    tu_buf_free(&plain);
}

/* raw_deflate - data compressed by zlib as a bare deflate stream (no wrapper), appended. */
static void raw_deflate(const uint8_t *data, size_t len, tu_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len);
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    tu_buf_put(out, buf, cap - z.avail_out);
    deflateEnd(&z);
    free(buf);
}

/* gzip_header - a member's header with the flags given (FEXTRA of xlen bytes, FNAME, FCOMMENT,
   FHCRC with its right CRC), appended. */
static void gzip_header(tu_buf *z, uint8_t flags, size_t xlen)
{
    size_t h0 = z->len;
    const uint8_t fixed[] = {0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3};
    tu_buf_put(z, fixed, sizeof(fixed));
    if (flags & 0x04) {
        tu_buf_u16le(z, (uint16_t)xlen);
        for (size_t i = 0; i < xlen; i++)
            tu_buf_u8(z, (uint8_t)i);
    }
    if (flags & 0x08)
        tu_buf_put(z, "name", 5);
    if (flags & 0x10)
        tu_buf_put(z, "comment", 8);
    if (flags & 0x02)
        tu_buf_u16le(z, (uint16_t)crc32(0, z->data + h0, (uInt)(z->len - h0)));
}

/* gzip_member - a whole member of data[0..len) with the header gzip_header() makes. */
static void gzip_member(tu_buf *z, uint8_t flags, size_t xlen, const uint8_t *data, size_t len)
{
    gzip_header(z, flags, xlen);
    raw_deflate(data, len, z);
    tu_buf_u32le(z, (uint32_t)crc32(0, data, (uInt)len));
    tu_buf_u32le(z, (uint32_t)len);
}

/*
 * gzip as RFC 1952 has it, beyond what zlib writes (the gzip members here are put together by
 * hand around zlib's deflate data, an oracle independent of the decompressor): a header with
 * every optional field (FEXTRA, FNAME, FCOMMENT, FHCRC), an empty member between two others;
 * then a wrong CRC-32, a wrong length and a wrong header CRC, each an error after the records
 * before it, the same from memory and through the decompression thread.
 */
static void test_gzip_fields_and_checks(void **state)
{
    (void)state;
    static size_t ends[800];
    tu_buf plain = {0};
    build_pcap(&plain, 800, ends);
    size_t half = ends[399];
    tu_buf z = {0};
    /* Member 1: every optional header field (FHCRC FEXTRA FNAME FCOMMENT), the header CRC
       right; it lies after 10 + 2 + 6 bytes (fixed part, FEXTRA), "name" and "comment". */
    gzip_member(&z, 0x02 | 0x04 | 0x08 | 0x10, 6, plain.data, half);
    const size_t h0 = 0, hcrc_at = 10 + 2 + 6 + 5 + 8;
    size_t crc_at = z.len - 8;
    /* Member 2: empty. Member 3: the rest, a plain header. */
    tu_compress("gzip", "", 0, &z);
    tu_compress("gzip", plain.data + half, plain.len - half, &z);
    tu_capture want, c;
    assert_int_equal(tu_read_mem(plain.data, plain.len, 100, &want), DS_OK);
    assert_int_equal(tu_read_mem(z.data, z.len, 100, &c), DS_OK);
    assert_int_equal(c.compression, DS_COMP_GZIP);
    assert_int_equal(c.n, 800);
    tu_assert_packets_equal(c.pkts, want.pkts, 800);
    same_through_file(z.data, z.len, &c);
    tu_capture_free(&c);

    /* The first member's CRC-32, then its length, then its header CRC, each wrong. */
    static const struct {
        bool header;
        size_t at;
        const char *why;
    } faults[] = {{false, 0, "incorrect data check"},
                  {false, 4, "incorrect data check"},
                  {true, hcrc_at, "header crc mismatch"}};
    for (size_t f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
        size_t at = (faults[f].header ? h0 : crc_at) + faults[f].at;
        z.data[at] ^= 0x40;
        ds_status rc = tu_read_mem(z.data, z.len, 100, &c);
        assert_int_equal(rc, DS_ERR_FORMAT);
        char want_msg[96];
        snprintf(want_msg, sizeof(want_msg), "mem.pcap: gzip: decompressed byte %zu: %s",
                 faults[f].header ? (size_t)0 : half, faults[f].why);
        assert_string_equal(c.err.msg, want_msg);
        /* A trailer's fault comes after the member's data: every record in it counts. */
        assert_int_equal(c.n, faults[f].header ? 0 : 400);
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
        z.data[at] ^= 0x40;
    }
    tu_capture_free(&want);
    tu_buf_free(&z);
    tu_buf_free(&plain);
}

/*
 * A member's header where a read of the file ends (every 256 KiB): the header parsed across the
 * two reads, with its CRC (FHCRC) right, at every split point of its first 14 bytes; and header
 * flags RFC 1952 reserves, an error.
 */
static void test_gzip_header_split(void **state)
{
    (void)state;
    static size_t ends[600];
    tu_buf plain = {0};
    build_pcap(&plain, 600, ends);
    size_t half = ends[299];
    tu_capture want, c;
    assert_int_equal(tu_read_mem(plain.data, plain.len, 100, &want), DS_OK);
    for (size_t split = 1; split < 14; split++) {
        /* Member 1, then empty members padded with FEXTRA (22 bytes and the padding each), so
           that the last member starts split bytes before 256 KiB. */
        tu_buf z = {0};
        gzip_member(&z, 0, 0, plain.data, half);
        const size_t target = 256 * 1024 - split;
        while (z.len < target) {
            size_t room = target - z.len;
            assert_true(room >= 22);
            size_t xlen = room - 22;
            if (xlen > 65535)
                xlen = room - 44 > 65535 ? 65535 : room - 44;
            gzip_member(&z, 0x04, xlen, plain.data, 0);
        }
        assert_int_equal(z.len, target);
        gzip_member(&z, 0x02 | 0x08, 0, plain.data + half, plain.len - half);
        if (tu_read_mem(z.data, z.len, 100, &c) != DS_OK)
            fail_msg("split %zu: %s", split, c.err.msg);
        assert_int_equal(c.n, 600);
        tu_assert_packets_equal(c.pkts, want.pkts, 600);
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
        tu_buf_free(&z);
    }
    for (uint8_t bit = 0x20; bit != 0; bit <<= 1) {
        tu_buf z = {0};
        gzip_member(&z, bit, 0, plain.data, plain.len);
        assert_int_equal(tu_read_mem(z.data, z.len, 100, &c), DS_ERR_FORMAT);
        assert_int_equal(c.n, 0);
        assert_non_null(strstr(c.err.msg, "gzip: decompressed byte 0: unknown header flags set"));
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
        tu_buf_free(&z);
    }
    tu_capture_free(&want);
    tu_buf_free(&plain);
}

/*
 * Damage where the output has little room left: member 1 fills all but 1 byte of a MiB (the
 * decompression ring's chunk, and the reader's window), member 2 is stored blocks whose second
 * block's length check is wrong. Every byte before the damaged block is delivered (the error
 * names the byte where it starts), and so every record that ends before it.
 */
static void test_gzip_damage_after_full_output(void **state)
{
    (void)state;
    enum { N = 2000 };
    static size_t ends[N];
    tu_buf plain = {0};
    build_pcap(&plain, N, ends);
    const size_t first = 1024 * 1024 - 1, good = 65531;
    assert_true(plain.len > first + good + 1000);
    tu_buf z = {0};
    gzip_member(&z, 0, 0, plain.data, first);
    gzip_header(&z, 0, 0);
    tu_buf_u8(&z, 0x00); /* stored, not final */
    tu_buf_u16le(&z, (uint16_t)good);
    tu_buf_u16le(&z, (uint16_t)~good);
    tu_buf_put(&z, plain.data + first, good);
    tu_buf_u8(&z, 0x01); /* stored, final: its NLEN is wrong */
    tu_buf_u16le(&z, 1000);
    tu_buf_u16le(&z, (uint16_t)~1000 ^ 1);
    tu_buf_put(&z, plain.data + first + good, 1000);
    tu_capture c;
    assert_int_equal(tu_read_mem(z.data, z.len, 100, &c), DS_ERR_FORMAT);
    char want[96];
    snprintf(want, sizeof(want), "mem.pcap: gzip: decompressed byte %zu: ", first + good);
    if (strncmp(c.err.msg, want, strlen(want)) != 0)
        fail_msg("'%s' does not start with '%s'", c.err.msg, want);
    assert_int_equal(c.n, complete_records(ends, N, first + good));
    same_through_file(z.data, z.len, &c);
    tu_capture_free(&c);
    tu_buf_free(&z);
    tu_buf_free(&plain);
}

/* xz_blocks - data as xz -T writes it: blocks of block_size bytes, each with its sizes in its
   header (what lets a decoder hand blocks to threads), appended. */
static void xz_blocks(const uint8_t *data, size_t len, uint64_t block_size, tu_buf *out)
{
    lzma_stream lz = LZMA_STREAM_INIT;
    lzma_mt mt = {.threads = 2, .block_size = block_size, .preset = 1, .check = LZMA_CHECK_CRC64};
    assert_int_equal(lzma_stream_encoder_mt(&lz, &mt), LZMA_OK);
    size_t cap = lzma_stream_buffer_bound(len) + 1024 * 1024;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    lz.next_in = data;
    lz.avail_in = len;
    lz.next_out = buf;
    lz.avail_out = cap;
    assert_int_equal(lzma_code(&lz, LZMA_FINISH), LZMA_STREAM_END);
    tu_buf_put(out, buf, cap - lz.avail_out);
    lzma_end(&lz);
    free(buf);
}

/*
 * An .xz file of many blocks (xz -T), which the decoder spreads over threads: the same packets
 * as the plain capture, whole; cut at several places, the complete records before the cut;
 * garbage after it, an error at its decompressed end after every record; damaged, an error after
 * fewer records. From memory and through the decompression thread's ring alike.
 */
static void test_xz_blocks(void **state)
{
    (void)state;
    enum { N = 6000 };
    static size_t ends[N];
    tu_buf plain = {0};
    build_pcap(&plain, N, ends);
    tu_buf z = {0};
    xz_blocks(plain.data, plain.len, 256 * 1024, &z);
    tu_capture want, c;
    assert_int_equal(tu_read_mem(plain.data, plain.len, 500, &want), DS_OK);
    /* One thread, four, and one per core (the default): the same. */
    static const unsigned threads[] = {1, 4, 0};
    for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
        ds_capture_set_decoder_threads(threads[t]);
        assert_int_equal(tu_read_mem(z.data, z.len, 500, &c), DS_OK);
        assert_int_equal(c.compression, DS_COMP_XZ);
        assert_int_equal(c.n, N);
        tu_assert_packets_equal(c.pkts, want.pkts, N);
        assert_false(c.stats.truncated);
        same_through_file(z.data, z.len, &c);
        tu_capture_free(&c);
    }
    size_t cuts[] = {z.len / 5, z.len / 2, z.len - 100, z.len - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        assert_int_equal(tu_read_mem(z.data, cuts[i], 500, &c), DS_OK);
        assert_true(c.stats.truncated);
        assert_true(c.stats.bytes <= plain.len); /* a cut in the index: every byte */
        assert_int_equal(c.stats.records, complete_records(ends, N, c.stats.bytes));
        assert_int_equal(c.n, c.stats.records);
        tu_assert_packets_equal(c.pkts, want.pkts, c.n);
        same_through_file(z.data, cuts[i], &c);
        tu_capture_free(&c);
    }
    size_t good = z.len;
    tu_buf_put(&z, "this is not compressed", 22);
    assert_int_equal(tu_read_mem(z.data, z.len, 500, &c), DS_ERR_FORMAT);
    assert_int_equal(c.n, N);
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "mem.pcap: xz: decompressed byte %zu: ", plain.len);
    assert_memory_equal(c.err.msg, prefix, strlen(prefix));
    same_through_file(z.data, z.len, &c);
    tu_capture_free(&c);
    z.len = good;
    for (size_t i = good / 2; i < good / 2 + 16; i++)
        z.data[i] ^= 0x5a;
    assert_int_equal(tu_read_mem(z.data, z.len, 500, &c), DS_ERR_FORMAT);
    assert_non_null(strstr(c.err.msg, "xz"));
    assert_true(c.n < N);
    tu_assert_packets_equal(c.pkts, want.pkts, c.n);
    same_through_file(z.data, z.len, &c);
    tu_capture_free(&c);
    tu_capture_free(&want);
    tu_buf_free(&z);
    tu_buf_free(&plain);
}

/* One zstd frame of data[0..len) with the given level, window (0: the level's), checksum and
 * content size flags. */
static void zstd_frame(tu_buf *z, const uint8_t *data, size_t len, int level, int window_log,
                       bool checksum, bool content_size)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    assert_non_null(cc);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level)));
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, window_log)));
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, checksum)));
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, content_size)));
    size_t cap = ZSTD_compressBound(len);
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    size_t got = ZSTD_compress2(cc, buf, cap, data, len);
    assert_false(ZSTD_isError(got));
    tu_buf_put(z, buf, got);
    free(buf);
    ZSTD_freeCCtx(cc);
}

/*
 * zstd behind the decompression thread: a frame whose window fits in what the ring keeps is
 * decoded straight into the ring (buffer-less), others by streaming, frame by frame. A file of
 * frames with windows of 512 KiB (checksum), 8 MiB (no content size, no checksum), 2 MiB
 * (checksum) and an empty one, a skippable frame between the first two, read through rings
 * that keep 62 MiB (the default), 2 MiB (4 chunks), 1 MiB (3) and nothing (1): the frames
 * decoded directly are exactly those that fit, and whole or cut anywhere the file reads as
 * from memory (streaming only). Damaged: never a crash, the frames before the damaged one
 * give the same packets both ways, and damage inside a checksummed frame's blocks is found
 * (an error, or the input ends inside a block that grew). Beyond that the two ways may
 * differ on damaged data: libzstd does not hold a frame to its window, and each way resolves
 * a reference beyond it from the history it has (garbage, or an error where it has none);
 * a frame with a content size is decoded from memory in one piece, delivering nothing of it
 * when it is damaged, and block by block in the ring, delivering the blocks before the damage.
 */
static void test_zstd_direct_and_streaming(void **state)
{
    static size_t ends[8000];
    tu_buf plain = {0};
    build_pcap(&plain, 8000, ends);
    size_t cut1 = ends[1999], cut2 = ends[4999]; /* about 1.6 and 4 MB */
    tu_buf z = {0};
    zstd_frame(&z, plain.data, cut1, 1, 19, true, true);
    size_t a_end = z.len;
    uint8_t skip[12] = {0x5a, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'a', 'b', 'c', 'd'};
    tu_buf_put(&z, skip, sizeof(skip));
    size_t b_start = z.len;
    zstd_frame(&z, plain.data + cut1, cut2 - cut1, 3, 23, false, false);
    size_t c_start = z.len;
    zstd_frame(&z, plain.data + cut2, plain.len - cut2, 3, 21, true, false);
    size_t c_end = z.len;
    zstd_frame(&z, plain.data, 0, 3, 0, true, true);
    size_t bounds[] = {0, a_end, b_start, c_start, c_end, z.len};

    tu_capture mem;
    assert_int_equal(tu_read_mem(z.data, z.len, 512, &mem), DS_OK);
    assert_int_equal(mem.n, 8000);
    assert_int_equal(mem.stats.bytes, plain.len);
    tu_capture_free(&mem);

    static const char *rings[] = {NULL, "4", "3", "1"};
    static const uint64_t direct[] = {4, 3, 2, 0}; /* frames that fit: all, A C D, A D, none */
    for (size_t r = 0; r < 4; r++) {
        set_ring(rings[r]);
        uint64_t before = ds_stream_zstd_direct_frames();
        tu_read_mem(z.data, z.len, 512, &mem);
        same_through_file(z.data, z.len, &mem);
        tu_capture_free(&mem);
        if (ds_stream_zstd_direct_frames() - before != direct[r])
            fail_msg("ring %s: %llu frames decoded directly, want %llu",
                     rings[r] ? rings[r] : "default",
                     (unsigned long long)(ds_stream_zstd_direct_frames() - before),
                     (unsigned long long)direct[r]);

        /* Cut at and around every frame boundary, and at 16 places between. */
        for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
            static const long delta[] = {-13, -5, -1, 0, 1, 2, 7};
            for (size_t d = 0; d < sizeof(delta) / sizeof(delta[0]); d++) {
                long at = (long)bounds[b] + delta[d];
                if (at < 0 || at > (long)z.len)
                    continue;
                tu_read_mem(z.data, (size_t)at, 512, &mem);
                same_through_file(z.data, (size_t)at, &mem);
                tu_capture_free(&mem);
            }
        }
        for (size_t i = 1; i < 17; i++) {
            size_t at = z.len * i / 17 + i * 31;
            tu_read_mem(z.data, at, 512, &mem);
            same_through_file(z.data, at, &mem);
            assert_true(mem.stats.truncated);
            tu_capture_free(&mem);
        }

        /* One damaged byte at 24 places. */
        for (size_t i = 0; i < 24; i++) {
            size_t at = z.len * i / 24 + i * 977 % 4096;
            if (at >= z.len)
                continue;
            z.data[at] ^= 0x5a;
            tu_capture f;
            tu_read_mem(z.data, z.len, 512, &mem);
            tu_write_file(tu_path("same.bin"), z.data, z.len);
            tu_read_path(tu_path("same.bin"), 100, &f);
            size_t intact = at >= c_start ? 5000 : at >= b_start ? 2000 : 0;
            assert_true(f.n >= intact && mem.n >= intact);
            tu_assert_packets_equal(f.pkts, mem.pkts, intact);
            bool in_checked_blocks = (at >= 32 && at < a_end) || (at >= c_start + 32 && at < c_end);
            bool f_found = f.status != DS_OK || f.stats.truncated;
            bool mem_found = mem.status != DS_OK || mem.stats.truncated;
            if (in_checked_blocks && !(f_found && mem_found))
                fail_msg("ring %s: damage at %zu of %zu not found (%d, %d)",
                         rings[r] ? rings[r] : "default", at, z.len, (int)f.status,
                         (int)mem.status);
            tu_capture_free(&f);
            tu_capture_free(&mem);
            z.data[at] ^= 0x5a;
        }
    }
    set_ring(NULL);
    tu_buf_free(&z);
    tu_buf_free(&plain);
}

/*
 * The bytes themselves, with references as far back as the window allows: 6 MiB of random
 * 64 KiB pieces, every other one a copy of the piece 1.9-2 MiB before it, as one zstd frame
 * with a 2 MiB window (long distance matching finds the copies), read with ds_stream from a
 * file through rings that keep 62 MiB and 2 MiB (decoded directly, going round the small ring
 * four times) and nothing (streaming): every byte as written.
 */
static void test_zstd_direct_far_references(void **state)
{
    const size_t piece = 64u * 1024u, total = 6u * 1024u * 1024u, back = 30 * piece;
    uint8_t *data = malloc(total);
    assert_non_null(data);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t at = 0; at < total; at += piece) {
        if (at >= back && (at / piece) % 2 == 1) {
            memcpy(data + at, data + at - back - 4096, piece);
            continue;
        }
        for (size_t i = 0; i < piece; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            data[at + i] = (uint8_t)x;
        }
    }
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    assert_non_null(cc);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 21)));
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_enableLongDistanceMatching, 1)));
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)));
    size_t cap = ZSTD_compressBound(total);
    uint8_t *z = malloc(cap);
    assert_non_null(z);
    size_t zlen = ZSTD_compress2(cc, z, cap, data, total);
    assert_false(ZSTD_isError(zlen));
    ZSTD_freeCCtx(cc);
    assert_true(zlen < total * 3 / 4); /* the copies were found */
    tu_write_file(tu_path("far.zst"), z, zlen);

    static const char *rings[] = {NULL, "4", "1"};
    static const uint64_t direct[] = {1, 1, 0};
    for (size_t r = 0; r < 3; r++) {
        set_ring(rings[r]);
        uint64_t before = ds_stream_zstd_direct_frames();
        ds_stream *s;
        ds_error err;
        assert_int_equal(ds_stream_open(&s, tu_path("far.zst"), &err), DS_OK);
        size_t off = 0;
        for (;;) {
            const uint8_t *p;
            size_t avail;
            assert_int_equal(ds_stream_need(s, 100000, &p, &avail, &err), DS_OK);
            if (avail == 0)
                break;
            assert_true(off + avail <= total);
            if (memcmp(p, data + off, avail) != 0)
                fail_msg("ring %s: bytes %zu..%zu differ", rings[r] ? rings[r] : "default", off,
                         off + avail);
            off += avail;
            ds_stream_consume(s, avail);
        }
        assert_int_equal(off, total);
        assert_false(ds_stream_truncated(s));
        ds_stream_free(s);
        assert_int_equal(ds_stream_zstd_direct_frames() - before, direct[r]);
    }
    set_ring(NULL);
    free(z);

    /* Frames of one block each (a frame's last block) of 1-130 KiB, as darkscan's own writer
     * and `zstd` on small inputs make them: a block that does not fit in the rest of a chunk
     * waits for the next chunk, whatever its kind. */
    tu_buf frames = {0};
    size_t at = 0, sizes = 0;
    while (at < total) {
        size_t len = 1024 + (sizes++ * 37 * 1024) % (129 * 1024);
        if (len > total - at)
            len = total - at;
        zstd_frame(&frames, data + at, len, 1, 0, sizes % 2, true);
        at += len;
    }
    tu_write_file(tu_path("frames.zst"), frames.data, frames.len);
    set_ring(NULL);
    uint64_t before = ds_stream_zstd_direct_frames();
    ds_stream *s;
    ds_error err;
    assert_int_equal(ds_stream_open(&s, tu_path("frames.zst"), &err), DS_OK);
    size_t off = 0;
    for (;;) {
        const uint8_t *p;
        size_t avail;
        if (ds_stream_need(s, 100000, &p, &avail, &err) != DS_OK)
            fail_msg("%s", err.msg);
        if (avail == 0)
            break;
        assert_true(off + avail <= total);
        assert_memory_equal(p, data + off, avail);
        off += avail;
        ds_stream_consume(s, avail);
    }
    assert_int_equal(off, total);
    ds_stream_free(s);
    assert_int_equal(ds_stream_zstd_direct_frames() - before, sizes);
    tu_buf_free(&frames);
    free(data);
}

/* A zstd frame of raw (stored) blocks of at most 128 KiB, built by hand: a 128 KiB window,
 * no content size, no checksum. */
static void zstd_raw_frame(tu_buf *z, const uint8_t *data, size_t len)
{
    uint8_t head[6] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3}; /* window 2^(10 + 7) */
    tu_buf_put(z, head, sizeof(head));
    size_t at = 0;
    do {
        size_t n = len - at < 128u * 1024u ? len - at : 128u * 1024u;
        uint32_t h = (uint32_t)n << 3 | (at + n == len); /* raw; the last? */
        uint8_t bh[3] = {(uint8_t)h, (uint8_t)(h >> 8), (uint8_t)(h >> 16)};
        tu_buf_put(z, bh, 3);
        tu_buf_put(z, data + at, n);
        at += n;
    } while (at < len);
}

/*
 * Raw (stored) blocks, which zstd writes for data that does not compress (encrypted payloads):
 * streaming hands out a raw block's bytes as they come, so a file cut inside one reads up to
 * the cut, through the ring as from memory. Cut at 40 places of a frame of raw blocks.
 */
static void test_zstd_raw_block_cut(void **state)
{
    tu_buf plain = {0};
    build_pcap(&plain, 3000, NULL);
    tu_buf z = {0};
    zstd_raw_frame(&z, plain.data, plain.len);
    static const char *rings[] = {NULL, "3", "1"};
    static const uint64_t direct[] = {1, 1, 0};
    for (size_t r = 0; r < 3; r++) {
        set_ring(rings[r]);
        tu_capture mem;
        assert_int_equal(tu_read_mem(z.data, z.len, 512, &mem), DS_OK);
        assert_int_equal(mem.n, 3000);
        uint64_t before = ds_stream_zstd_direct_frames();
        same_through_file(z.data, z.len, &mem);
        assert_int_equal(ds_stream_zstd_direct_frames() - before, direct[r]);
        tu_capture_free(&mem);
        for (size_t i = 1; i <= 40; i++) {
            size_t at = z.len * i / 41 + i * 101;
            tu_read_mem(z.data, at, 512, &mem);
            assert_true(mem.stats.truncated);
            /* Every record up to the cut (the block headers and a record cut short aside). */
            if (mem.stats.bytes + 6 + 3 * (at / (128 * 1024) + 1) + 1600 < at)
                fail_msg("cut %zu of %zu: %llu bytes", at, z.len,
                         (unsigned long long)mem.stats.bytes);
            same_through_file(z.data, at, &mem);
            tu_capture_free(&mem);
        }
    }
    set_ring(NULL);
    tu_buf_free(&z);
    tu_buf_free(&plain);
}

/*
 * A frame's content size is checked at its end whatever its last block (libzstd compares it
 * only when it decodes a frame in one call, or after a last block with content): built by
 * hand, frames of one raw block of a small pcap and an empty last block. Single-segment and
 * declaring the right size: read as from memory; 7 bytes more: an error. With a window
 * descriptor and 256 MiB declared (too large for libzstd to decode in one call): an error from
 * memory, through the ring directly and through a ring that keeps nothing (streaming).
 */
static void test_zstd_content_size_checked(void **state)
{
    tu_buf plain = {0};
    build_pcap(&plain, 2, NULL);
    assert_true(plain.len < 255);
    for (int kind = 0; kind < 3; kind++) {
        tu_buf z = {0};
        if (kind < 2) {
            uint8_t head[6] = {0x28, 0xb5, 0x2f, 0xfd, 0x20, (uint8_t)(plain.len + 7 * kind)};
            tu_buf_put(&z, head, sizeof(head));
        } else {
            /* FCS field of 4 bytes, window 1 MiB, content size 2^28. */
            uint8_t head[10] = {0x28, 0xb5, 0x2f, 0xfd, 0x80, 0x50, 0, 0, 0, 0x10};
            tu_buf_put(&z, head, sizeof(head));
        }
        uint32_t h = (uint32_t)plain.len << 3; /* raw, not the last */
        uint8_t bh[3] = {(uint8_t)h, (uint8_t)(h >> 8), (uint8_t)(h >> 16)};
        tu_buf_put(&z, bh, 3);
        tu_buf_put(&z, plain.data, plain.len);
        uint8_t last[3] = {1, 0, 0}; /* raw, empty, the last */
        tu_buf_put(&z, last, 3);
        tu_write_file(tu_path("fcs.zst"), z.data, z.len);
        tu_capture mem;
        ds_status rc = tu_read_mem(z.data, z.len, 512, &mem);
        static const char *rings[] = {NULL, "1"};
        for (size_t r = 0; r < 2; r++) {
            set_ring(rings[r]);
            uint64_t before = ds_stream_zstd_direct_frames();
            tu_capture fc;
            ds_status frc = tu_read_path(tu_path("fcs.zst"), 512, &fc);
            assert_int_equal(ds_stream_zstd_direct_frames() - before, r == 0);
            if (kind == 0) {
                assert_int_equal(rc, DS_OK);
                assert_int_equal(mem.n, 2);
                same_through_file(z.data, z.len, &mem);
            } else {
                if (rc == DS_OK || strstr(mem.err.msg, "Data corruption detected") == NULL)
                    fail_msg("kind %d from memory: %s", kind, mem.err.msg);
                if (frc == DS_OK || strstr(fc.err.msg, "Data corruption detected") == NULL)
                    fail_msg("kind %d through ring %s: %s", kind, rings[r] ? rings[r] : "default",
                             fc.err.msg);
            }
            tu_capture_free(&fc);
        }
        set_ring(NULL);
        tu_capture_free(&mem);
        tu_buf_free(&z);
    }
    tu_buf_free(&plain);
}

/* The offsets where the blocks of the zstd frame or lz4 frame at z end (parsed by hand). */
static size_t block_ends(const tu_buf *z, bool zstd, size_t *ends, size_t max)
{
    const uint8_t *p = z->data;
    size_t at, n = 0;
    if (zstd) {
        uint8_t fhd = p[4];
        static const size_t dict[] = {0, 1, 2, 4}, fcs[] = {0, 2, 4, 8};
        bool single = fhd >> 5 & 1;
        at = 5 + !single + dict[fhd & 3] + (fhd >> 6 == 0 ? single : fcs[fhd >> 6]);
        for (bool last = false; !last && n < max;) {
            uint32_t h = p[at] | (uint32_t)p[at + 1] << 8 | (uint32_t)p[at + 2] << 16;
            last = h & 1;
            at += 3 + ((h >> 1 & 3) == 1 ? 1 : h >> 3);
            ends[n++] = at;
        }
    } else {
        uint8_t flg = p[4];
        at = 4 + 2 + (flg >> 3 & 1) * 8 + (flg & 1) * 4 + 1;
        for (;;) {
            uint32_t size = p[at] | (uint32_t)p[at + 1] << 8 | (uint32_t)p[at + 2] << 16 |
                            (uint32_t)p[at + 3] << 24;
            if (size == 0 || n == max)
                break;
            at += 4 + (size & 0x7fffffffu) + (flg >> 4 & 1) * 4;
            ends[n++] = at;
        }
    }
    return n;
}

/* How many bytes the library itself decompresses from the cut input (output room for all). */
static size_t library_decompresses(const uint8_t *z, size_t len, bool zstd, size_t plain_len)
{
    uint8_t *out = malloc(plain_len + 1);
    assert_non_null(out);
    size_t got = 0;
    if (zstd) {
        ZSTD_DStream *d = ZSTD_createDStream();
        ZSTD_inBuffer ib = {z, len, 0};
        ZSTD_outBuffer ob = {out, plain_len + 1, 0};
        while (ib.pos < ib.size && !ZSTD_isError(ZSTD_decompressStream(d, &ob, &ib)))
            ;
        got = ob.pos;
        ZSTD_freeDStream(d);
    } else {
        LZ4F_dctx *d;
        assert_false(LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)));
        size_t dst = plain_len + 1, src = len;
        LZ4F_decompress(d, out, &dst, z, &src, NULL);
        got = dst;
        LZ4F_freeDecompressionContext(d);
    }
    free(out);
    return got;
}

/*
 * zstd and lz4 cut right after each block, and one byte into the next: every record the
 * library itself decompresses from the cut input counts, from memory and through the ring.
 * Both libraries keep a block's bytes that found no room in the output, to be handed out by
 * the next call: the input's end must not stop before that call.
 */
static void test_cut_after_each_block(void **state)
{
    static size_t ends[4000], blocks[200];
    tu_buf plain = {0};
    build_pcap(&plain, 4000, ends); /* about 3 MB */
    for (int k = 3; k <= 4; k++) {
        tu_buf z = {0};
        tu_compress(kinds[k], plain.data, plain.len, &z);
        size_t n = block_ends(&z, k == 3, blocks, 200);
        assert_true(n >= 10);
        for (size_t b = 0; b < n; b++) {
            for (size_t extra = 0; extra <= 1; extra++) {
                size_t at = blocks[b] + extra;
                if (at > z.len)
                    continue;
                size_t lib = library_decompresses(z.data, at, k == 3, plain.len);
                tu_capture c;
                tu_read_mem(z.data, at, 512, &c);
                if (c.stats.records != complete_records(ends, 4000, lib))
                    fail_msg("%s cut at %zu (block %zu): %llu records, the library gives %zu "
                             "bytes, %zu records",
                             kinds[k], at, b, (unsigned long long)c.stats.records, lib,
                             complete_records(ends, 4000, lib));
                same_through_file(z.data, at, &c);
                tu_capture_free(&c);
            }
        }
        tu_buf_free(&z);
    }
    tu_buf_free(&plain);
}

/*
 * The same at the stream level, where the output's ends fall inside blocks: ds_stream from
 * memory, asked for 1,500,001 bytes at a time (each fill decompresses that much), the input
 * cut after each block: every byte the library decompresses from the cut input comes out.
 */
static void test_cut_with_pending_output(void **state)
{
    static size_t blocks[200];
    tu_buf plain = {0};
    build_pcap(&plain, 4000, NULL);
    for (int k = 3; k <= 4; k++) {
        tu_buf z = {0};
        tu_compress(kinds[k], plain.data, plain.len, &z);
        size_t n = block_ends(&z, k == 3, blocks, 200);
        for (size_t b = 0; b < n; b++) {
            size_t lib = library_decompresses(z.data, blocks[b], k == 3, plain.len);
            ds_stream *s;
            ds_error err;
            assert_int_equal(ds_stream_open_mem(&s, z.data, blocks[b], "m", &err), DS_OK);
            size_t total = 0;
            for (;;) {
                const uint8_t *p;
                size_t avail;
                assert_int_equal(ds_stream_need(s, 1500001, &p, &avail, &err), DS_OK);
                if (avail == 0)
                    break;
                assert_memory_equal(p, plain.data + total, avail);
                total += avail;
                ds_stream_consume(s, avail);
            }
            if (total != lib)
                fail_msg("%s cut after block %zu: %zu bytes, the library gives %zu", kinds[k], b,
                         total, lib);
            ds_stream_free(s);
        }
        tu_buf_free(&z);
    }
    tu_buf_free(&plain);
}

static void test_not_a_capture(void **state)
{
    tu_capture c;
    assert_int_equal(tu_read_mem("", 0, 16, &c), DS_ERR_FORMAT);
    assert_string_equal(c.err.msg, "mem.pcap: empty file, not a capture");
    assert_int_equal(tu_read_mem("hello, world", 12, 16, &c), DS_ERR_FORMAT);
    assert_string_equal(c.err.msg, "mem.pcap: not a pcap or pcapng capture (starts 68656c6c)");
    tu_buf z = {0};
    tu_compress("gzip", "hello, world", 12, &z);
    assert_int_equal(tu_read_mem(z.data, z.len, 16, &c), DS_ERR_FORMAT);
    assert_string_equal(c.err.msg,
                        "mem.pcap: gzip data, but not a pcap or pcapng capture (starts 68656c6c)");
    tu_buf_free(&z);
    tu_compress("zstd", "", 0, &z);
    assert_int_equal(tu_read_mem(z.data, z.len, 16, &c), DS_ERR_FORMAT);
    assert_string_equal(c.err.msg, "mem.pcap: zstd data that decompresses to nothing");
    tu_buf_free(&z);
    /* Magic alone, cut right after it. */
    static const uint8_t gz[] = {0x1f, 0x8b, 0x08};
    assert_int_equal(tu_read_mem(gz, sizeof(gz), 16, &c), DS_ERR_FORMAT);
    assert_non_null(strstr(c.err.msg, "decompresses to nothing"));
}

static void test_file_errors(void **state)
{
    tu_capture c;
    assert_int_equal(tu_read_path(tu_path("does-not-exist.pcap"), 16, &c), DS_ERR_IO);
    assert_non_null(strstr(c.err.msg, "does-not-exist.pcap: No such file or directory"));
    assert_int_equal(tu_read_path(tu_tmpdir(), 16, &c), DS_ERR_IO);
    assert_non_null(strstr(c.err.msg, "Is a directory"));
    tu_write_file(tu_path("empty.pcap"), "", 0);
    assert_int_equal(tu_read_path(tu_path("empty.pcap"), 16, &c), DS_ERR_FORMAT);
    assert_non_null(strstr(c.err.msg, "empty.pcap: empty file"));
}

/* Standard input: a file on fd 0, and a pipe fed in small pieces by a child. */
static void read_stdin_from(int fd, size_t expect_n, ds_compression comp)
{
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    tu_capture c;
    assert_int_equal(tu_read_path("-", 333, &c), DS_OK);
    assert_int_equal(c.n, expect_n);
    assert_int_equal(c.compression, comp);
    tu_capture_free(&c);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
}

static void test_stdin(void **state)
{
    tu_buf plain = {0};
    build_pcap(&plain, 2500, NULL);
    tu_write_file(tu_path("stdin.pcap"), plain.data, plain.len);
    int fd = open(tu_path("stdin.pcap"), O_RDONLY);
    assert_true(fd >= 0);
    read_stdin_from(fd, 2500, DS_COMP_NONE);

    for (int k = -1; k < N_KINDS; k++) {
        tu_buf z = {0};
        if (k < 0)
            tu_buf_put(&z, plain.data, plain.len);
        else
            tu_compress(kinds[k], plain.data, plain.len, &z);
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            /* Small writes: the reader sees short reads everywhere. */
            for (size_t off = 0; off < z.len; off += 777) {
                size_t n = z.len - off < 777 ? z.len - off : 777;
                if (write(p[1], z.data + off, n) != (ssize_t)n)
                    _exit(1);
            }
            _exit(0);
        }
        close(p[1]);
        read_stdin_from(p[0], 2500, k < 0 ? DS_COMP_NONE : ids[k]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        tu_buf_free(&z);
    }
    tu_buf_free(&plain);
}

/* The stream API itself: need() beyond the window limit is capped, skip() past the end. */
static void test_stream_api(void **state)
{
    static uint8_t data[100];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    ds_stream *s;
    ds_error err;
    assert_int_equal(ds_stream_open_mem(&s, data, sizeof(data), "m", &err), DS_OK);
    assert_int_equal(ds_stream_compression(s), DS_COMP_NONE);
    const uint8_t *p;
    size_t avail;
    assert_int_equal(ds_stream_need(s, 10, &p, &avail, &err), DS_OK);
    assert_int_equal(avail, 100);
    assert_ptr_equal(p, data); /* zero copy */
    ds_stream_consume(s, 10);
    assert_int_equal(ds_stream_offset(s), 10);
    uint64_t skipped;
    assert_int_equal(ds_stream_skip(s, 1000, &skipped, &err), DS_OK);
    assert_int_equal(skipped, 90);
    assert_int_equal(ds_stream_need(s, 1, &p, &avail, &err), DS_OK);
    assert_int_equal(avail, 0);
    assert_string_equal(ds_stream_name(s), "m");
    ds_stream_free(s);
    ds_stream_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_compression),
        cmocka_unit_test(test_large_through_thread),
        cmocka_unit_test(test_concatenated),
        cmocka_unit_test(test_compressed_and_cut),
        cmocka_unit_test(test_garbage_and_damage),
        cmocka_unit_test(test_not_a_capture),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_stream_api),
        cmocka_unit_test(test_pcapng_through_thread),
        cmocka_unit_test(test_gzip_fields_and_checks),
        cmocka_unit_test(test_gzip_header_split),
        cmocka_unit_test(test_gzip_damage_after_full_output),
        cmocka_unit_test(test_xz_blocks),
        cmocka_unit_test(test_zstd_direct_and_streaming),
        cmocka_unit_test(test_zstd_direct_far_references),
        cmocka_unit_test(test_zstd_raw_block_cut),
        cmocka_unit_test(test_zstd_content_size_checked),
        cmocka_unit_test(test_cut_after_each_block),
        cmocka_unit_test(test_cut_with_pending_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
