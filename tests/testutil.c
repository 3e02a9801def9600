/*
 * testutil.c - helpers shared by the unit tests (see testutil.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "testutil.h"

void tu_buf_put(tu_buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        b->data = realloc(b->data, cap);
        assert_non_null(b->data);
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
}

void tu_buf_u8(tu_buf *b, uint8_t v)
{
    tu_buf_put(b, &v, 1);
}

void tu_buf_u16be(tu_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    tu_buf_put(b, x, 2);
}

void tu_buf_u32be(tu_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    tu_buf_put(b, x, 4);
}

void tu_buf_u16le(tu_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    tu_buf_put(b, x, 2);
}

void tu_buf_u32le(tu_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    tu_buf_put(b, x, 4);
}

void tu_buf_free(tu_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static char tmpdir[256];

static void remove_tmpdir(void)
{
    if (tmpdir[0] != '\0') {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "testutil: could not remove %s\n", tmpdir);
    }
}

const char *tu_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof(tmpdir), "%s/darkscan-test-XXXXXX", base ? base : "/tmp");
        assert_non_null(mkdtemp(tmpdir));
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *tu_path(const char *name)
{
    static char bufs[8][512];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", tu_tmpdir(), name);
    return b;
}

void tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len > 0)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    size_t got;
    while ((got = fread(data + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            data = realloc(data, cap);
            assert_non_null(data);
        }
    }
    fclose(f);
    data[n] = '\0';
    if (len != NULL)
        *len = n;
    return data;
}

void tu_buf_u16(tu_buf *b, uint16_t v, int big)
{
    if (big)
        tu_buf_u16be(b, v);
    else
        tu_buf_u16le(b, v);
}

void tu_buf_u32(tu_buf *b, uint32_t v, int big)
{
    if (big)
        tu_buf_u32be(b, v);
    else
        tu_buf_u32le(b, v);
}

void tu_buf_u64(tu_buf *b, uint64_t v, int big)
{
    if (big) {
        tu_buf_u32be(b, (uint32_t)(v >> 32));
        tu_buf_u32be(b, (uint32_t)v);
    } else {
        tu_buf_u32le(b, (uint32_t)v);
        tu_buf_u32le(b, (uint32_t)(v >> 32));
    }
}

void tu_buf_pad4(tu_buf *b)
{
    static const uint8_t zero[4];
    tu_buf_put(b, zero, (4 - b->len % 4) % 4);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

size_t tu_frame_syn(uint8_t *buf, int raw, uint32_t src, uint32_t dst, uint16_t sport,
                    uint16_t dport, uint32_t seq)
{
    uint8_t *ip = buf;
    if (!raw) {
        static const uint8_t eth[14] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00};
        memcpy(buf, eth, 14);
        ip = buf + 14;
    }
    memset(ip, 0, 40);
    ip[0] = 0x45;
    put16(ip + 2, 40);
    put16(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    uint8_t *tcp = ip + 20;
    put16(tcp, sport);
    put16(tcp + 2, dport);
    put32(tcp + 4, seq);
    tcp[12] = 0x50;
    tcp[13] = 0x02;
    put16(tcp + 14, 1024);
    return raw ? 40 : 54;
}

size_t tu_frame_ethertype(uint8_t *buf, uint16_t ethertype)
{
    memset(buf, 0, 60);
    put16(buf + 12, ethertype);
    return 60;
}

void tu_pcap_header(tu_buf *b, int big, uint32_t magic, uint16_t major, uint16_t minor,
                    uint32_t snaplen, uint32_t linktype)
{
    tu_buf_u32(b, magic, big);
    tu_buf_u16(b, major, big);
    tu_buf_u16(b, minor, big);
    tu_buf_u32(b, 0, big);
    tu_buf_u32(b, 0, big);
    tu_buf_u32(b, snaplen, big);
    tu_buf_u32(b, linktype, big);
}

void tu_pcap_record(tu_buf *b, int big, int kuz, uint32_t sec, uint32_t frac, uint32_t caplen_field,
                    uint32_t wirelen_field, const void *data, size_t data_len)
{
    tu_buf_u32(b, sec, big);
    tu_buf_u32(b, frac, big);
    tu_buf_u32(b, caplen_field, big);
    tu_buf_u32(b, wirelen_field, big);
    if (kuz) {
        tu_buf_u32(b, 1, big); /* ifindex */
        tu_buf_u16(b, 0x0800, big);
        tu_buf_u8(b, 0);
        tu_buf_u8(b, 0);
    }
    tu_buf_put(b, data, data_len);
}

void tu_ng_block(tu_buf *b, int big, uint32_t type, const void *body, size_t body_len)
{
    uint32_t len = (uint32_t)(12 + ((body_len + 3) & ~(size_t)3));
    tu_buf_u32(b, type, big);
    tu_buf_u32(b, len, big);
    tu_buf_put(b, body, body_len);
    tu_buf_pad4(b);
    tu_buf_u32(b, len, big);
}

void tu_ng_shb(tu_buf *b, int big, uint16_t major, uint16_t minor)
{
    tu_buf body = {0};
    tu_buf_u32(&body, 0x1a2b3c4d, big);
    tu_buf_u16(&body, major, big);
    tu_buf_u16(&body, minor, big);
    tu_buf_u64(&body, UINT64_MAX, big); /* section length unknown */
    tu_ng_block(b, big, 0x0a0d0d0a, body.data, body.len);
    tu_buf_free(&body);
}

void tu_ng_idb(tu_buf *b, int big, uint16_t linktype, uint32_t snaplen, int tsresol,
               int has_tsoffset, int64_t tsoffset_s)
{
    tu_buf body = {0};
    tu_buf_u16(&body, linktype, big);
    tu_buf_u16(&body, 0, big);
    tu_buf_u32(&body, snaplen, big);
    if (tsresol >= 0) {
        tu_buf_u16(&body, 9, big);
        tu_buf_u16(&body, 1, big);
        tu_buf_u8(&body, (uint8_t)tsresol);
        tu_buf_pad4(&body);
    }
    if (has_tsoffset) {
        tu_buf_u16(&body, 14, big);
        tu_buf_u16(&body, 8, big);
        tu_buf_u64(&body, (uint64_t)tsoffset_s, big);
    }
    if (tsresol >= 0 || has_tsoffset) {
        tu_buf_u16(&body, 0, big);
        tu_buf_u16(&body, 0, big);
    }
    tu_ng_block(b, big, 1, body.data, body.len);
    tu_buf_free(&body);
}

void tu_ng_epb(tu_buf *b, int big, uint32_t iface, uint64_t ts, const void *data, uint32_t caplen,
               uint32_t wirelen)
{
    tu_buf body = {0};
    tu_buf_u32(&body, iface, big);
    tu_buf_u32(&body, (uint32_t)(ts >> 32), big);
    tu_buf_u32(&body, (uint32_t)ts, big);
    tu_buf_u32(&body, caplen, big);
    tu_buf_u32(&body, wirelen, big);
    tu_buf_put(&body, data, caplen);
    tu_ng_block(b, big, 6, body.data, body.len);
    tu_buf_free(&body);
}

void tu_ng_pb(tu_buf *b, int big, uint16_t iface, uint64_t ts, const void *data, uint32_t caplen,
              uint32_t wirelen)
{
    tu_buf body = {0};
    tu_buf_u16(&body, iface, big);
    tu_buf_u16(&body, 0, big); /* drops */
    tu_buf_u32(&body, (uint32_t)(ts >> 32), big);
    tu_buf_u32(&body, (uint32_t)ts, big);
    tu_buf_u32(&body, caplen, big);
    tu_buf_u32(&body, wirelen, big);
    tu_buf_put(&body, data, caplen);
    tu_ng_block(b, big, 2, body.data, body.len);
    tu_buf_free(&body);
}

void tu_ng_spb(tu_buf *b, int big, const void *data, uint32_t data_len, uint32_t wirelen)
{
    tu_buf body = {0};
    tu_buf_u32(&body, wirelen, big);
    tu_buf_put(&body, data, data_len);
    tu_ng_block(b, big, 3, body.data, body.len);
    tu_buf_free(&body);
}

void tu_compress(const char *kind, const void *data, size_t len, tu_buf *out)
{
    size_t cap = len + len / 2 + 1024;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    size_t got = 0;
    if (strcmp(kind, "gzip") == 0) {
        z_stream z;
        memset(&z, 0, sizeof(z));
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (Bytef *)(uintptr_t)data;
        z.avail_in = (uInt)len;
        z.next_out = buf;
        z.avail_out = (uInt)cap;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        got = cap - z.avail_out;
        deflateEnd(&z);
    } else if (strcmp(kind, "bzip2") == 0) {
        unsigned int n = (unsigned int)cap;
        assert_int_equal(BZ2_bzBuffToBuffCompress((char *)buf, &n, (char *)(uintptr_t)data,
                                                  (unsigned int)len, 9, 0, 0),
                         BZ_OK);
        got = n;
    } else if (strcmp(kind, "xz") == 0) {
        size_t pos = 0;
        assert_int_equal(
            lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, data, len, buf, &pos, cap), LZMA_OK);
        got = pos;
    } else if (strcmp(kind, "zstd") == 0) {
        got = ZSTD_compress(buf, cap, data, len, 3);
        assert_false(ZSTD_isError(got));
    } else if (strcmp(kind, "lz4") == 0) {
        size_t bound = LZ4F_compressFrameBound(len, NULL);
        if (bound > cap) {
            buf = realloc(buf, bound);
            assert_non_null(buf);
            cap = bound;
        }
        got = LZ4F_compressFrame(buf, cap, data, len, NULL);
        assert_false(LZ4F_isError(got));
    } else {
        fail_msg("tu_compress: unknown kind %s", kind);
    }
    tu_buf_put(out, buf, got);
    free(buf);
}

static ds_status read_rest(ds_reader *r, size_t batch, tu_capture *c)
{
    c->opened = true;
    c->format = ds_reader_format(r);
    c->compression = ds_reader_compression(r);
    ds_packet *buf = malloc(batch * sizeof(*buf));
    assert_non_null(buf);
    size_t cap = 0;
    for (;;) {
        size_t n = 99;
        ds_status rc = ds_reader_next(r, buf, batch, &n, &c->err);
        if (rc != DS_OK) {
            assert_int_equal(n, 0);
            c->status = rc;
            /* The same error again. */
            ds_error again;
            assert_int_equal(ds_reader_next(r, buf, batch, &n, &again), rc);
            assert_string_equal(again.msg, c->err.msg);
            break;
        }
        if (n == 0)
            break;
        assert_true(n <= batch);
        if (c->n + n > cap) {
            cap = (c->n + n) * 2;
            c->pkts = realloc(c->pkts, cap * sizeof(*c->pkts));
            assert_non_null(c->pkts);
        }
        memcpy(c->pkts + c->n, buf, n * sizeof(*buf));
        c->n += n;
    }
    free(buf);
    c->stats = *ds_reader_stats(r);
    c->time_digits = ds_reader_time_digits(r);
    ds_reader_free(r);
    return c->status;
}

ds_status tu_read_mem(const void *data, size_t len, size_t batch, tu_capture *c)
{
    memset(c, 0, sizeof(*c));
    ds_reader *r = NULL;
    c->status = ds_reader_open_mem(&r, data, len, "mem.pcap", 7, &c->err);
    if (c->status != DS_OK) {
        assert_null(r);
        return c->status;
    }
    return read_rest(r, batch, c);
}

ds_status tu_read_path(const char *path, size_t batch, tu_capture *c)
{
    memset(c, 0, sizeof(*c));
    ds_reader *r = NULL;
    c->status = ds_reader_open(&r, path, 7, &c->err);
    if (c->status != DS_OK) {
        assert_null(r);
        return c->status;
    }
    return read_rest(r, batch, c);
}

void tu_capture_free(tu_capture *c)
{
    free(c->pkts);
    c->pkts = NULL;
    c->n = 0;
}

void tu_assert_packets_equal(const ds_packet *a, const ds_packet *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i].ts_ns, b[i].ts_ns);
        assert_int_equal(a[i].src, b[i].src);
        assert_int_equal(a[i].dst, b[i].dst);
        assert_int_equal(a[i].seq, b[i].seq);
        assert_int_equal(a[i].file_index, b[i].file_index);
        assert_int_equal(a[i].sport, b[i].sport);
        assert_int_equal(a[i].dport, b[i].dport);
        assert_int_equal(a[i].ip_id, b[i].ip_id);
        assert_int_equal(a[i].tcp_window, b[i].tcp_window);
        assert_int_equal(a[i].proto, b[i].proto);
        assert_int_equal(a[i].tcp_flags, b[i].tcp_flags);
        assert_int_equal(a[i].ttl, b[i].ttl);
        assert_int_equal(a[i].pkt_flags, b[i].pkt_flags);
    }
}

/* assert_values_equal - two exported lists of header value counts. */
static void assert_values_equal(const ds_value_count *x, size_t nx, const ds_value_count *y,
                                size_t ny)
{
    assert_int_equal(nx, ny);
    for (size_t k = 0; k < nx; k++) {
        assert_int_equal(x[k].host, y[k].host);
        assert_int_equal(x[k].value, y[k].value);
        assert_int_equal(x[k].packets, y[k].packets);
    }
}

void tu_assert_aggregates_equal(ds_aggregate *a, ds_aggregate *b)
{
    ds_error err;
    assert_int_equal(ds_aggregate_window_count(a), ds_aggregate_window_count(b));
    for (size_t i = 0; i < ds_aggregate_window_count(a); i++) {
        ds_agg_window_data x, y;
        assert_int_equal(ds_aggregate_window_export(a, i, &x, &err), DS_OK);
        assert_int_equal(ds_aggregate_window_export(b, i, &y, &err), DS_OK);
        assert_true(x.id == y.id);
        assert_int_equal(x.packets, y.packets);
        assert_int_equal(x.syn_packets, y.syn_packets);
        assert_int_equal(x.syn_all, y.syn_all);
        assert_int_equal(x.outside_darknet, y.outside_darknet);
        assert_true(x.first_ts_ns == y.first_ts_ns && x.last_ts_ns == y.last_ts_ns);
        assert_memory_equal(x.slots, y.slots, sizeof(x.slots));
        assert_int_equal(x.n_keys, y.n_keys);
        if (x.n_keys > 0)
            assert_memory_equal(x.keys, y.keys, x.n_keys * sizeof(*x.keys));
        assert_int_equal(x.n_hosts, y.n_hosts);
        if (x.n_hosts > 0)
            assert_memory_equal(x.hosts, y.hosts, x.n_hosts * sizeof(*x.hosts));
        assert_values_equal(x.ttls, x.n_ttls, y.ttls, y.n_ttls);
        assert_values_equal(x.tcp_windows, x.n_tcp_windows, y.tcp_windows, y.n_tcp_windows);
    }
}
