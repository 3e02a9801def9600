/*
 * test_writer.c - ds_writer_* and ds_packet_encode: every format, byte order, resolution, link
 * type and compression, read back with the compression libraries and a minimal pcap/pcapng
 * parser written here (independent of the library's readers), with checksums verified and
 * every frame decoded back to the packet that was written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/decode.h"
#include "darkscan/capture.h"
#include "testutil.h"

/* ---- decompression with the libraries -------------------------------------------------- */

static void grow(tu_buf *b, size_t more)
{
    if (b->len + more > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + more)
            cap *= 2;
        b->data = realloc(b->data, cap);
        assert_non_null(b->data);
        b->cap = cap;
    }
}

static tu_buf inflate_gzip(const uint8_t *in, size_t len)
{
    tu_buf out = {0};
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    int rc;
    do {
        grow(&out, 65536);
        z.next_out = out.data + out.len;
        z.avail_out = 65536;
        rc = inflate(&z, Z_NO_FLUSH);
        assert_true(rc == Z_OK || rc == Z_STREAM_END);
        out.len = z.total_out;
    } while (rc != Z_STREAM_END);
    assert_int_equal(z.avail_in, 0);
    inflateEnd(&z);
    return out;
}

static tu_buf inflate_bzip2(const uint8_t *in, size_t len)
{
    tu_buf out = {0};
    bz_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(BZ2_bzDecompressInit(&z, 0, 0), BZ_OK);
    z.next_in = (char *)(uintptr_t)in;
    z.avail_in = (unsigned)len;
    int rc;
    do {
        grow(&out, 65536);
        z.next_out = (char *)out.data + out.len;
        z.avail_out = 65536;
        rc = BZ2_bzDecompress(&z);
        assert_true(rc == BZ_OK || rc == BZ_STREAM_END);
        out.len += 65536 - z.avail_out;
    } while (rc != BZ_STREAM_END);
    assert_int_equal(z.avail_in, 0);
    BZ2_bzDecompressEnd(&z);
    return out;
}

static tu_buf inflate_xz(const uint8_t *in, size_t len)
{
    tu_buf out = {0};
    lzma_stream z = LZMA_STREAM_INIT;
    assert_int_equal(lzma_stream_decoder(&z, UINT64_MAX, 0), LZMA_OK);
    z.next_in = in;
    z.avail_in = len;
    lzma_ret rc;
    do {
        grow(&out, 65536);
        z.next_out = out.data + out.len;
        z.avail_out = 65536;
        rc = lzma_code(&z, LZMA_FINISH);
        assert_true(rc == LZMA_OK || rc == LZMA_STREAM_END);
        out.len += 65536 - z.avail_out;
    } while (rc != LZMA_STREAM_END);
    assert_int_equal(z.avail_in, 0);
    lzma_end(&z);
    return out;
}

static tu_buf inflate_zstd(const uint8_t *in, size_t len)
{
    tu_buf out = {0};
    ZSTD_DCtx *d = ZSTD_createDCtx();
    assert_non_null(d);
    ZSTD_inBuffer ib = {in, len, 0};
    size_t rc;
    do {
        grow(&out, 65536);
        ZSTD_outBuffer ob = {out.data + out.len, 65536, 0};
        rc = ZSTD_decompressStream(d, &ob, &ib);
        assert_false(ZSTD_isError(rc));
        out.len += ob.pos;
    } while (rc != 0);
    assert_int_equal(ib.pos, len);
    ZSTD_freeDCtx(d);
    return out;
}

static tu_buf inflate_lz4(const uint8_t *in, size_t len)
{
    tu_buf out = {0};
    LZ4F_dctx *d;
    assert_false(LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)));
    size_t pos = 0, rc;
    do {
        grow(&out, 65536);
        size_t dst = 65536, src = len - pos;
        rc = LZ4F_decompress(d, out.data + out.len, &dst, in + pos, &src, NULL);
        assert_false(LZ4F_isError(rc));
        out.len += dst;
        pos += src;
        assert_true(rc == 0 || pos < len || dst > 0);
    } while (rc != 0);
    assert_int_equal(pos, len);
    LZ4F_freeDecompressionContext(d);
    return out;
}

/* read_capture - the file's bytes after decompression; checks the compression magic. */
static tu_buf read_capture(const char *path, ds_compression c)
{
    size_t len;
    uint8_t *raw = (uint8_t *)tu_read_file(path, &len);
    tu_buf out = {0};
    switch (c) {
    case DS_COMP_NONE:
        tu_buf_put(&out, raw, len);
        break;
    case DS_COMP_GZIP:
        assert_memory_equal(raw, "\x1f\x8b", 2);
        out = inflate_gzip(raw, len);
        break;
    case DS_COMP_BZIP2:
        assert_memory_equal(raw, "BZh", 3);
        out = inflate_bzip2(raw, len);
        break;
    case DS_COMP_XZ:
        assert_memory_equal(raw,
                            "\xfd"
                            "7zXZ\0",
                            6);
        out = inflate_xz(raw, len);
        break;
    case DS_COMP_ZSTD:
        assert_memory_equal(raw, "\x28\xb5\x2f\xfd", 4);
        out = inflate_zstd(raw, len);
        break;
    case DS_COMP_LZ4:
        assert_memory_equal(raw, "\x04\x22\x4d\x18", 4);
        out = inflate_lz4(raw, len);
        break;
    }
    free(raw);
    return out;
}

/* ---- a minimal capture parser ---------------------------------------------------------- */

typedef struct rec {
    int64_t ts_ns;
    uint32_t caplen, wirelen;
    const uint8_t *data;
} rec;

typedef struct parsed {
    ds_format format;
    int big_endian, nanosecond;
    uint32_t linktype;
    size_t n;
    rec recs[64];
} parsed;

static uint32_t rd16(const uint8_t *p, int be)
{
    return be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

static uint32_t rd32(const uint8_t *p, int be)
{
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* parse - a whole pcap or pcapng file in memory; records beyond 64 are only counted. */
static void parse(const tu_buf *f, parsed *out)
{
    const uint8_t *d = f->data;
    size_t len = f->len;
    memset(out, 0, sizeof(*out));
    assert_true(len >= 24);
    if (memcmp(d, "\x0a\x0d\x0d\x0a", 4) == 0) {
        out->format = DS_FORMAT_PCAPNG;
        if (memcmp(d + 8, "\x1a\x2b\x3c\x4d", 4) == 0)
            out->big_endian = 1;
        else
            assert_memory_equal(d + 8, "\x4d\x3c\x2b\x1a", 4);
        int be = out->big_endian;
        int have_idb = 0;
        size_t off = 0;
        while (off < len) {
            assert_true(off + 12 <= len);
            uint32_t type = rd32(d + off, be), blen = rd32(d + off + 4, be);
            assert_true(blen >= 12 && blen % 4 == 0 && off + blen <= len);
            assert_int_equal(rd32(d + off + blen - 4, be), blen);
            if (type == 0x0a0d0d0a) {
                assert_int_equal(off, 0);
                assert_int_equal(rd16(d + 12, be), 1);
                assert_int_equal(rd16(d + 14, be), 0);
            } else if (type == 1) {
                assert_false(have_idb);
                have_idb = 1;
                out->linktype = rd16(d + off + 8, be);
                assert_int_equal(rd32(d + off + 12, be), DS_MAX_RECORD);
                /* options: find if_tsresol (9) */
                size_t o = off + 16;
                int resol = 6;
                while (o + 4 <= off + blen - 4) {
                    uint32_t code = rd16(d + o, be), olen = rd16(d + o + 2, be);
                    if (code == 0)
                        break;
                    if (code == 9) {
                        assert_int_equal(olen, 1);
                        resol = d[o + 4];
                    }
                    o += 4 + ((olen + 3u) & ~3u);
                }
                assert_true(resol == 6 || resol == 9);
                out->nanosecond = resol == 9;
            } else {
                assert_int_equal(type, 6);
                assert_true(have_idb);
                assert_int_equal(rd32(d + off + 8, be), 0);
                uint64_t ts = (uint64_t)rd32(d + off + 12, be) << 32 | rd32(d + off + 16, be);
                uint32_t cl = rd32(d + off + 20, be), wl = rd32(d + off + 24, be);
                assert_int_equal(blen, 32 + ((cl + 3u) & ~3u));
                for (uint32_t i = cl; i < ((cl + 3u) & ~3u); i++)
                    assert_int_equal(d[off + 28 + i], 0); /* padding */
                if (out->n < 64) {
                    rec *r = &out->recs[out->n];
                    r->ts_ns = (int64_t)(out->nanosecond ? ts : ts * 1000u);
                    r->caplen = cl;
                    r->wirelen = wl;
                    r->data = d + off + 28;
                }
                out->n++;
            }
            off += blen;
        }
        assert_int_equal(off, len);
        return;
    }
    out->format = DS_FORMAT_PCAP;
    if (memcmp(d, "\xa1\xb2\xc3\xd4", 4) == 0 || memcmp(d, "\xa1\xb2\x3c\x4d", 4) == 0)
        out->big_endian = 1;
    else
        assert_true(memcmp(d, "\xd4\xc3\xb2\xa1", 4) == 0 || memcmp(d, "\x4d\x3c\xb2\xa1", 4) == 0);
    int be = out->big_endian;
    out->nanosecond = rd32(d, be) == 0xa1b23c4d;
    assert_int_equal(rd16(d + 4, be), 2);
    assert_int_equal(rd16(d + 6, be), 4);
    assert_int_equal(rd32(d + 16, be), DS_MAX_RECORD);
    out->linktype = rd32(d + 20, be);
    size_t off = 24;
    while (off < len) {
        assert_true(off + 16 <= len);
        uint32_t sec = rd32(d + off, be), frac = rd32(d + off + 4, be);
        uint32_t cl = rd32(d + off + 8, be), wl = rd32(d + off + 12, be);
        assert_true(frac < (out->nanosecond ? 1000000000u : 1000000u));
        assert_true(off + 16 + cl <= len);
        if (out->n < 64) {
            rec *r = &out->recs[out->n];
            r->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * (out->nanosecond ? 1 : 1000);
            r->caplen = cl;
            r->wirelen = wl;
            r->data = d + off + 16;
        }
        out->n++;
        off += 16 + cl;
    }
}

/* ---- checksums, computed independently of encode.c ------------------------------------- */

static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* check_checksums - the IPv4 header and TCP/UDP/ICMP checksums of ip[0..len) are valid. */
static void check_checksums(const uint8_t *ip, size_t len)
{
    assert_true(len >= 20);
    size_t hl = (ip[0] & 15u) * 4u;
    size_t total = (size_t)(ip[2] << 8 | ip[3]);
    assert_int_equal(total, len);
    assert_int_equal(csum(ip, hl, 0), 0xffff);
    const uint8_t *t = ip + hl;
    size_t tl = total - hl;
    uint32_t pseudo = csum(ip + 12, 8, 0) + ip[9] + (uint32_t)tl;
    switch (ip[9]) {
    case 6:
        assert_int_equal(tl, 20);
        assert_int_equal(csum(t, tl, pseudo), 0xffff);
        break;
    case 17:
        assert_int_equal(tl, 8);
        assert_int_equal(t[4] << 8 | t[5], 8);
        assert_true(t[6] != 0 || t[7] != 0); /* a checksum is present */
        assert_int_equal(csum(t, tl, pseudo), 0xffff);
        break;
    case 1:
        assert_int_equal(tl, 8);
        assert_int_equal(csum(t, tl, 0), 0xffff);
        break;
    default:
        assert_int_equal(tl, 0);
    }
}

/* ---- the packets written --------------------------------------------------------------- */

static ds_packet pkt(int64_t ts, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport,
                     uint16_t dport, uint8_t flags)
{
    ds_packet p;
    memset(&p, 0, sizeof(p));
    p.ts_ns = ts;
    p.src = src;
    p.dst = dst;
    p.proto = proto;
    p.ttl = 241;
    p.ip_id = 54321;
    if (proto == DS_PROTO_TCP || proto == DS_PROTO_UDP) {
        p.sport = sport;
        p.dport = dport;
        p.pkt_flags = DS_PKT_PORTS;
    }
    if (proto == DS_PROTO_TCP) {
        p.seq = dst; /* Mirai-style */
        p.tcp_flags = flags;
        p.tcp_window = 1025;
    }
    return p;
}

#define N_PKTS 7
static ds_packet sample[N_PKTS];

static void make_sample(void)
{
    sample[0] =
        pkt(1530403200123456789, 0xc6336407, 0xcb00710a, DS_PROTO_TCP, 54321, 23, DS_TCP_SYN);
    sample[1] = pkt(1530403200999999999, 0x0a000001, 0xcb0071ff, DS_PROTO_TCP, 1, 65535,
                    DS_TCP_SYN | DS_TCP_ECE | DS_TCP_CWR);
    sample[2] = pkt(1530403201000000000, 0xffffffff, 0x00000000, DS_PROTO_TCP, 443, 40000,
                    DS_TCP_SYN | DS_TCP_ACK);
    sample[3] = pkt(1530403202000001000, 0x01020304, 0x05060708, DS_PROTO_UDP, 5353, 53, 0);
    sample[4] = pkt(1530403203000000001, 0x01020304, 0xfffefdfc, DS_PROTO_UDP, 0xffff, 0xffff, 0);
    sample[5] = pkt(1530403204500000000, 0x7f000001, 0xcb007101, DS_PROTO_ICMP, 0, 0, 0);
    sample[6] = pkt(4102444800000000000, 0x0b0c0d0e, 0xcb007102, 47, 0, 0, 0); /* GRE, 2100 */
}

/* The raw record written after the packets: odd length (pcapng padding), snapped. */
static const uint8_t raw_rec[5] = {0xde, 0xad, 0xbe, 0xef, 0x01};
#define RAW_TS   1600000000000000007
#define RAW_WIRE 1514u

static size_t link_len(uint32_t linktype)
{
    switch (linktype) {
    case 1:
        return 14;
    case 0:
        return 4;
    case 113:
        return 16;
    case 276:
        return 20;
    default:
        return 0;
    }
}

/* write_and_check - one file with the sample packets and the raw record, read back. */
static void write_and_check(ds_format format, int big_endian, int nanosecond, uint32_t linktype,
                            ds_compression comp, int level)
{
    char name[96];
    snprintf(name, sizeof(name), "w-%d-%d-%d-%u-%d-%d", (int)format, big_endian, nanosecond,
             linktype, (int)comp, level);
    const char *path = tu_path(name);
    ds_writer_options opt = {format, comp, linktype, nanosecond, big_endian, level};
    ds_writer *w = NULL;
    ds_error err;
    assert_int_equal(ds_writer_open(&w, path, &opt, &err), DS_OK);
    for (int i = 0; i < N_PKTS; i++)
        assert_int_equal(ds_writer_write_packet(w, &sample[i], &err), DS_OK);
    assert_int_equal(ds_writer_write(w, RAW_TS, raw_rec, sizeof(raw_rec), RAW_WIRE, &err), DS_OK);
    assert_int_equal(ds_writer_close(w, &err), DS_OK);

    tu_buf f = read_capture(path, comp);
    parsed *pf = malloc(sizeof(*pf));
    assert_non_null(pf);
    parse(&f, pf);
    assert_int_equal(pf->format, format);
    assert_int_equal(pf->big_endian, big_endian);
    assert_int_equal(pf->nanosecond, nanosecond);
    assert_int_equal(pf->linktype, linktype);
    assert_int_equal(pf->n, N_PKTS + 1);
    for (int i = 0; i < N_PKTS; i++) {
        const rec *r = &pf->recs[i];
        const ds_packet *s = &sample[i];
        int64_t want_ts = nanosecond ? s->ts_ns : s->ts_ns / 1000 * 1000;
        assert_int_equal(r->ts_ns, want_ts);
        assert_int_equal(r->caplen, r->wirelen);

        /* The frame is exactly what ds_packet_encode makes. */
        uint8_t frame[128];
        size_t n = ds_packet_encode(s, linktype, frame, sizeof(frame));
        assert_int_equal(r->caplen, n);
        assert_memory_equal(r->data, frame, n);
        check_checksums(r->data + link_len(linktype), n - link_len(linktype));

        /* ... and decodes back to the packet. */
        ds_packet back;
        ds_capture_stats st;
        memset(&st, 0, sizeof(st));
        assert_int_equal(ds_decode_record(linktype, r->data, r->caplen, &back, &st), 1);
        assert_int_equal(back.src, s->src);
        assert_int_equal(back.dst, s->dst);
        assert_int_equal(back.proto, s->proto);
        assert_int_equal(back.sport, s->sport);
        assert_int_equal(back.dport, s->dport);
        assert_int_equal(back.seq, s->seq);
        assert_int_equal(back.tcp_flags, s->tcp_flags);
        assert_int_equal(back.tcp_window, s->tcp_window);
        assert_int_equal(back.ttl, s->ttl);
        assert_int_equal(back.ip_id, s->ip_id);
        assert_int_equal(back.pkt_flags, s->pkt_flags);
        assert_int_equal(ds_packet_is_syn(&back), ds_packet_is_syn(s));
    }
    const rec *r = &pf->recs[N_PKTS];
    assert_int_equal(r->ts_ns, nanosecond ? RAW_TS : RAW_TS / 1000 * 1000);
    assert_int_equal(r->caplen, sizeof(raw_rec));
    assert_int_equal(r->wirelen, RAW_WIRE);
    assert_memory_equal(r->data, raw_rec, sizeof(raw_rec));
    free(pf);
    tu_buf_free(&f);
}

static const uint32_t linktypes[] = {1, 101, 228, 113, 276, 0};
static const ds_compression comps[] = {DS_COMP_GZIP, DS_COMP_BZIP2, DS_COMP_XZ, DS_COMP_ZSTD,
                                       DS_COMP_LZ4};

static void test_formats_and_linktypes(void **state)
{
    make_sample();
    for (int format = DS_FORMAT_PCAP; format <= DS_FORMAT_PCAPNG; format++)
        for (int be = 0; be <= 1; be++)
            for (int ns = 0; ns <= 1; ns++)
                for (size_t l = 0; l < sizeof(linktypes) / sizeof(linktypes[0]); l++)
                    write_and_check((ds_format)format, be, ns, linktypes[l], DS_COMP_NONE, 0);
}

static void test_compressions(void **state)
{
    make_sample();
    for (int format = DS_FORMAT_PCAP; format <= DS_FORMAT_PCAPNG; format++)
        for (int be = 0; be <= 1; be++)
            for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++)
                write_and_check((ds_format)format, be, format == DS_FORMAT_PCAPNG, 1, comps[c], 0);
    /* Explicit levels at both ends of each range. */
    write_and_check(DS_FORMAT_PCAP, 0, 0, 1, DS_COMP_GZIP, 1);
    write_and_check(DS_FORMAT_PCAP, 0, 0, 1, DS_COMP_BZIP2, 1);
    write_and_check(DS_FORMAT_PCAP, 0, 0, 1, DS_COMP_XZ, 1);
    write_and_check(DS_FORMAT_PCAP, 0, 0, 1, DS_COMP_ZSTD, 19);
    write_and_check(DS_FORMAT_PCAP, 0, 0, 1, DS_COMP_LZ4, 12);
}

/* Many packets: the writer's buffer fills and flushes several times. */
static void test_many_packets(void **state)
{
    const uint32_t count = 60000;
    ds_compression cs[] = {DS_COMP_NONE, DS_COMP_ZSTD, DS_COMP_LZ4};
    for (size_t c = 0; c < 3; c++) {
        for (int format = DS_FORMAT_PCAP; format <= DS_FORMAT_PCAPNG; format++) {
            const char *path = tu_path("many");
            ds_writer_options opt = {(ds_format)format, cs[c], 1, 1, 0, 0};
            ds_writer *w;
            ds_error err;
            assert_int_equal(ds_writer_open(&w, path, &opt, &err), DS_OK);
            for (uint32_t i = 0; i < count; i++) {
                ds_packet p = pkt(1000000000 + (int64_t)i * 1000, 0x0a000000 + i, 0xcb007100,
                                  DS_PROTO_TCP, (uint16_t)i, (uint16_t)(i * 7), DS_TCP_SYN);
                assert_int_equal(ds_writer_write_packet(w, &p, &err), DS_OK);
            }
            assert_int_equal(ds_writer_close(w, &err), DS_OK);
            tu_buf f = read_capture(path, cs[c]);
            /* Walk the records and check each one's order and content. */
            size_t off = format == DS_FORMAT_PCAP ? 24 : 0;
            uint32_t seen = 0;
            while (off < f.len) {
                if (format == DS_FORMAT_PCAPNG) {
                    uint32_t type = rd32(f.data + off, 0), blen = rd32(f.data + off + 4, 0);
                    assert_true(blen >= 12 && off + blen <= f.len);
                    if (type == 6) {
                        ds_packet back;
                        ds_capture_stats st;
                        memset(&st, 0, sizeof(st));
                        assert_int_equal(ds_decode_record(1, f.data + off + 28,
                                                          rd32(f.data + off + 20, 0), &back, &st),
                                         1);
                        assert_int_equal(back.src, 0x0a000000 + seen);
                        seen++;
                    }
                    off += blen;
                } else {
                    uint32_t cl = rd32(f.data + off + 8, 0);
                    ds_packet back;
                    ds_capture_stats st;
                    memset(&st, 0, sizeof(st));
                    assert_int_equal(ds_decode_record(1, f.data + off + 16, cl, &back, &st), 1);
                    assert_int_equal(back.src, 0x0a000000 + seen);
                    assert_int_equal(back.sport, (uint16_t)seen);
                    seen++;
                    off += 16 + cl;
                }
            }
            assert_int_equal(off, f.len);
            assert_int_equal(seen, count);
            tu_buf_free(&f);
        }
    }
}

static void test_encode(void **state)
{
    make_sample();
    uint8_t buf[128];
    /* Link types that cannot be encoded, and a buffer too small. */
    assert_int_equal(ds_packet_encode(&sample[0], 105, buf, sizeof(buf)), 0);
    assert_int_equal(ds_packet_encode(&sample[0], 239, buf, sizeof(buf)), 0);
    assert_int_equal(ds_packet_encode(&sample[0], 1, buf, 53), 0);
    assert_int_equal(ds_packet_encode(&sample[0], 1, buf, 54), 54);
    assert_int_equal(ds_packet_encode(&sample[0], 276, buf, sizeof(buf)), 60);
    assert_int_equal(ds_packet_encode(&sample[3], 101, buf, sizeof(buf)), 28);
    assert_int_equal(ds_packet_encode(&sample[6], 228, buf, sizeof(buf)), 20);

    /* A known answer: the IPv4 header checksum of a fixed SYN, computed by hand. */
    ds_packet p = pkt(0, 0xc0a80001, 0xc0a800c7, DS_PROTO_TCP, 1024, 80, DS_TCP_SYN);
    p.ttl = 64;
    p.ip_id = 0;
    assert_int_equal(ds_packet_encode(&p, 228, buf, sizeof(buf)), 40);
    /* 4500 0028 0000 0000 4006 ____ c0a8 0001 c0a8 00c7: sum 0x20746 -> 0x0748 -> 0xf8b7 */
    assert_int_equal(buf[10] << 8 | buf[11], 0xf8b7);
    check_checksums(buf, 40);

    /* NULL: AF_INET in host byte order. */
    assert_int_equal(ds_packet_encode(&sample[0], 0, buf, sizeof(buf)), 44);
    uint32_t af;
    memcpy(&af, buf, 4);
    assert_int_equal(af, 2);
}

static void test_errors(void **state)
{
    make_sample();
    ds_writer *w = NULL;
    ds_error err;
    ds_writer_options opt = {DS_FORMAT_PCAP, DS_COMP_NONE, 1, 0, 0, 0};

    assert_int_equal(ds_writer_open(&w, "/nonexistent-dir/x.pcap", &opt, &err), DS_ERR_IO);
    assert_null(w);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.pcap"));

    opt.format = DS_FORMAT_UNKNOWN;
    assert_int_equal(ds_writer_open(&w, tu_path("e"), &opt, &err), DS_ERR_INVALID);
    opt.format = DS_FORMAT_PCAP;
    opt.compression = (ds_compression)42;
    assert_int_equal(ds_writer_open(&w, tu_path("e"), &opt, &err), DS_ERR_INVALID);
    opt.compression = DS_COMP_GZIP;
    opt.level = 10;
    assert_int_equal(ds_writer_open(&w, tu_path("e"), &opt, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "level"));
    opt.compression = DS_COMP_NONE;
    opt.level = 3;
    assert_int_equal(ds_writer_open(&w, tu_path("e"), &opt, &err), DS_ERR_INVALID);
    opt.level = 0;
    opt.format = DS_FORMAT_PCAPNG;
    opt.linktype = 70000;
    assert_int_equal(ds_writer_open(&w, tu_path("e"), &opt, &err), DS_ERR_INVALID);

    /* Bad records are refused; the file stays usable. */
    opt.linktype = 105; /* IEEE 802.11: raw records only */
    assert_int_equal(ds_writer_open(&w, tu_path("e"), &opt, &err), DS_OK);
    assert_int_equal(ds_writer_write_packet(w, &sample[0], &err), DS_ERR_UNSUPPORTED);
    static uint8_t big[DS_MAX_RECORD + 1];
    assert_int_equal(ds_writer_write(w, 0, big, DS_MAX_RECORD + 1, DS_MAX_RECORD + 1, &err),
                     DS_ERR_INVALID);
    assert_int_equal(ds_writer_write(w, 0, big, 10, 9, &err), DS_ERR_INVALID);
    assert_int_equal(ds_writer_write(w, -1, big, 10, 10, &err), DS_ERR_INVALID);
    assert_int_equal(ds_writer_write(w, 0, big, DS_MAX_RECORD, DS_MAX_RECORD, &err), DS_OK);
    assert_int_equal(ds_writer_close(w, &err), DS_OK);
    tu_buf f = read_capture(tu_path("e"), DS_COMP_NONE);
    parsed *pf = malloc(sizeof(*pf));
    parse(&f, pf);
    assert_int_equal(pf->n, 1);
    assert_int_equal(pf->linktype, 105);
    free(pf);
    tu_buf_free(&f);

    /* pcap cannot hold times past 2106. */
    opt.format = DS_FORMAT_PCAP;
    assert_int_equal(ds_writer_open(&w, tu_path("e"), &opt, &err), DS_OK);
    assert_int_equal(
        ds_writer_write(w, (int64_t)UINT32_MAX * 1000000000 + 999999999, big, 1, 1, &err), DS_OK);
    assert_int_equal(ds_writer_write(w, ((int64_t)UINT32_MAX + 1) * 1000000000, big, 1, 1, &err),
                     DS_ERR_INVALID);
    assert_int_equal(ds_writer_close(w, &err), DS_OK);

    /* A write error (a full disk) is reported by close, with the file name. */
    if (access("/dev/full", W_OK) == 0) {
        opt.linktype = 1;
        assert_int_equal(ds_writer_open(&w, "/dev/full", &opt, &err), DS_OK);
        for (int i = 0; i < 100000; i++)
            if (ds_writer_write_packet(w, &sample[0], &err) != DS_OK)
                break;
        assert_int_equal(ds_writer_close(w, &err), DS_ERR_IO);
        assert_non_null(strstr(err.msg, "/dev/full"));
    }
    assert_int_equal(ds_writer_close(NULL, &err), DS_OK);
}

/* "-" writes to standard output. */
static void test_stdout(void **state)
{
    make_sample();
    const char *path = tu_path("stdout.pcap.gz");
    fflush(stdout);
    int saved = dup(1);
    assert_true(saved >= 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_true(dup2(fd, 1) == 1);
    close(fd);

    ds_writer_options opt = {DS_FORMAT_PCAP, DS_COMP_GZIP, 101, 0, 1, 0};
    ds_writer *w;
    ds_error err;
    ds_status st = ds_writer_open(&w, "-", &opt, &err);
    if (st == DS_OK) {
        ds_writer_write_packet(w, &sample[0], &err);
        st = ds_writer_close(w, &err);
    }
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(st, DS_OK);

    tu_buf f = read_capture(path, DS_COMP_GZIP);
    parsed *pf = malloc(sizeof(*pf));
    parse(&f, pf);
    assert_int_equal(pf->n, 1);
    assert_int_equal(pf->big_endian, 1);
    assert_int_equal(pf->linktype, 101);
    assert_int_equal(pf->recs[0].caplen, 40);
    free(pf);
    tu_buf_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_and_linktypes),
        cmocka_unit_test(test_compressions),
        cmocka_unit_test(test_many_packets),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
