/*
 * test_split.c - reading one capture file in several byte ranges at once (capture/split.h,
 * ds_read_files with DARKSCAN_TEST_SPLIT_BYTES) gives exactly what one serial reader gives:
 * every packet, every stat, the same error at the same place with every good packet before
 * it. The captures are built to make the guessed record boundaries go wrong: records whose
 * data holds chains of valid-looking record headers, a truncated last record, a record too
 * long for the snapshot length in the second half, nanosecond and big-endian files, and a
 * compressed file (never split) beside them. The same for pcapng, with blocks whose data holds
 * chains of valid-looking blocks, statistics, name resolution and simple packet blocks, and an
 * interface description and a new section (of the other byte order) in the middle of the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate/aggregate_int.h"
#include "capture/split.h"
#include "darkscan/darkscan.h"
#include "testutil.h"

#define SNAPLEN 4096u

static uint64_t rng;

static uint32_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

enum { CLEAN, FAKES, TRUNCATED, DAMAGED, NSEC_BIG, N_KINDS };
static const char *const kind_name[N_KINDS] = {"clean", "fakes", "truncated", "damaged",
                                               "nsec-big"};

/*
 * fake_chain - n records that look valid (caplen <= wire length <= snaplen, fraction below a
 * second) as the data of a real record: a reader that starts inside it finds a boundary there.
 */
static void fake_chain(tu_buf *b, int big, int n)
{
    for (int k = 0; k < n; k++) {
        uint8_t data[64];
        size_t len = tu_frame_syn(data, 0, 0x0b000000u | rnd() % 65536, 0xc0000200u | rnd() % 256,
                                  40000, (uint16_t)(1 + rnd() % 1024), rnd());
        tu_pcap_record(b, big, 0, 1546300800u + rnd() % 1000, rnd() % 1000000, (uint32_t)len,
                       (uint32_t)len, data, len);
    }
}

/* make_capture - a pcap of about n records of the given kind. */
static void make_capture(tu_buf *b, int kind, size_t n)
{
    const int big = kind == NSEC_BIG;
    tu_pcap_header(b, big, kind == NSEC_BIG ? 0xa1b23c4du : 0xa1b2c3d4u, 2, 4, SNAPLEN, 1);
    const uint32_t frac_max = kind == NSEC_BIG ? 1000000000u : 1000000u;
    for (size_t i = 0; i < n; i++) {
        uint8_t frame[SNAPLEN];
        uint32_t r = rnd();
        size_t len;
        if (r % 17 == 0) {
            len = tu_frame_ethertype(frame, r % 2 ? 0x0806 : 0x86dd);
        } else {
            /* SYNs (and some SYN-ACKs) to the darknet, from a few busy sources and many others;
               times out of order over three months. */
            uint32_t src = r % 3 ? 0x0a010000u | (rnd() % 64) : rnd();
            len =
                tu_frame_syn(frame, 0, src, 0xc0000200u | (rnd() % 256),
                             (uint16_t)(1024 + rnd() % 60000), (uint16_t)(1 + rnd() % 200), rnd());
            if (r % 11 == 0)
                frame[14 + 20 + 13] = 0x12;
        }
        uint32_t sec = 1546300800u + rnd() % (90u * 86400u);
        if (kind == FAKES && r % 5 == 0) {
            /* A record whose data is mostly a chain of record headers and records. */
            tu_buf data = {0};
            tu_buf_put(&data, frame, len);
            fake_chain(&data, big, 3 + (int)(rnd() % 10));
            tu_pcap_record(b, big, 0, sec, rnd() % frac_max, (uint32_t)data.len, (uint32_t)data.len,
                           data.data, data.len);
            tu_buf_free(&data);
            continue;
        }
        /* Padding of varied length after the frame (Ethernet trailer, options). */
        size_t pad = r % 7 == 0 ? rnd() % 600 : 0;
        memset(frame + len, (int)(r & 0xff), pad);
        uint32_t wire = (uint32_t)(len + pad) + (r % 13 == 0 ? 100 : 0);
        if (kind == DAMAGED && i == n * 2 / 3) {
            /* Too long for the snapshot length: reading stops with an error here. */
            tu_pcap_record(b, big, 0, sec, 0, SNAPLEN + 1, SNAPLEN + 1, frame, len + pad);
            continue;
        }
        tu_pcap_record(b, big, 0, sec, rnd() % frac_max, (uint32_t)(len + pad), wire, frame,
                       len + pad);
    }
    if (kind == TRUNCATED) {
        uint8_t frame[64];
        size_t len = tu_frame_syn(frame, 0, 0x0a020304u, 0xc0000201u, 1, 80, 1);
        tu_pcap_record(b, big, 0, 1546300800u, 0, (uint32_t)len, (uint32_t)len, frame, len / 2);
    }
}

/* ---- pcapng ---- */

enum { NG_CLEAN, NG_FAKES, NG_TRUNCATED, NG_DAMAGED, NG_SECTIONS, NG_BIG, NG_KINDS };
static const char *const ng_kind_name[NG_KINDS] = {"ng-clean",   "ng-fakes",    "ng-truncated",
                                                   "ng-damaged", "ng-sections", "ng-big"};

/* ng_fake_chain - n Enhanced Packet Blocks on interface 0 that look valid, as bytes of b (a
   reader that starts inside them finds a boundary there). */
static void ng_fake_chain(tu_buf *b, int big, int n)
{
    for (int k = 0; k < n; k++) {
        uint8_t data[64];
        size_t len = tu_frame_syn(data, 0, 0x0b000000u | rnd() % 65536, 0xc0000200u | rnd() % 256,
                                  40000, (uint16_t)(1 + rnd() % 1024), rnd());
        tu_ng_epb(b, big, 0, (uint64_t)(1546300800u + rnd() % 1000) * 1000000u, data, (uint32_t)len,
                  (uint32_t)len);
    }
}

/* make_pcapng - a pcapng of about n packet blocks of the given kind. */
static void make_pcapng(tu_buf *b, int kind, size_t n)
{
    int big = kind == NG_BIG;
    const uint64_t per_s = kind == NG_BIG ? 1000000000u : 1000000u;
    tu_ng_shb(b, big, 1, 0);
    tu_ng_block(b, big, 4, "\0\0\0\0", 4); /* name resolution: just its end */
    tu_ng_idb(b, big, 1, SNAPLEN, kind == NG_BIG ? 9 : -1, 0, 0);
    uint32_t ifaces = 1;
    for (size_t i = 0; i < n; i++) {
        if (kind == NG_SECTIONS && i == n / 3) {
            tu_ng_idb(b, big, 101, SNAPLEN, 6, 0, 0); /* raw IP, interface 1 */
            ifaces = 2;
        }
        if (kind == NG_SECTIONS && i == n * 2 / 3) {
            big = 1; /* a new section, big-endian, whose interface 0 is raw IP */
            tu_ng_shb(b, big, 1, 0);
            tu_ng_idb(b, big, 101, SNAPLEN, -1, 0, 0);
            ifaces = 1;
        }
        uint32_t r = rnd();
        uint32_t iface = ifaces > 1 ? r % 2 : 0;
        int raw = (kind == NG_SECTIONS && i >= n * 2 / 3) || iface == 1;
        uint8_t frame[SNAPLEN];
        size_t len;
        if (r % 17 == 0 && !raw) {
            len = tu_frame_ethertype(frame, r % 2 ? 0x0806 : 0x86dd);
        } else {
            uint32_t src = r % 3 ? 0x0a010000u | (rnd() % 64) : rnd();
            len =
                tu_frame_syn(frame, raw, src, 0xc0000200u | (rnd() % 256),
                             (uint16_t)(1024 + rnd() % 60000), (uint16_t)(1 + rnd() % 200), rnd());
        }
        uint64_t ts = (uint64_t)(1546300800u + rnd() % (90u * 86400u)) * per_s + rnd() % per_s;
        if (r % 23 == 0) {
            /* Interface statistics: interface id and a timestamp. */
            tu_buf body = {0};
            tu_buf_u32(&body, 0, big);
            tu_buf_u32(&body, (uint32_t)(ts >> 32), big);
            tu_buf_u32(&body, (uint32_t)ts, big);
            tu_ng_block(b, big, 5, body.data, body.len);
            tu_buf_free(&body);
        }
        if (r % 29 == 0 && iface == 0) {
            tu_ng_spb(b, big, frame, (uint32_t)len, (uint32_t)len);
            continue;
        }
        if (kind == NG_FAKES && r % 5 == 0) {
            /* A block whose data is mostly a chain of valid-looking blocks (at offsets a reader
               searches: multiples of 4). */
            tu_buf data = {0};
            tu_buf_put(&data, frame, len);
            tu_buf_pad4(&data);
            ng_fake_chain(&data, big, 3 + (int)(rnd() % 10));
            tu_ng_epb(b, big, iface, ts, data.data, (uint32_t)data.len, (uint32_t)data.len);
            tu_buf_free(&data);
            continue;
        }
        size_t pad = r % 7 == 0 ? rnd() % 600 : 0;
        memset(frame + len, (int)(r & 0xff), pad);
        if (kind == NG_DAMAGED && i == n * 2 / 3) {
            /* Too long for the snapshot length: reading stops with an error here. */
            tu_buf data = {0};
            tu_buf_put(&data, frame, SNAPLEN);
            tu_buf_u32(&data, 0, big);
            tu_ng_epb(b, big, iface, ts, data.data, SNAPLEN + 1, SNAPLEN + 1);
            tu_buf_free(&data);
            continue;
        }
        uint32_t wire = (uint32_t)(len + pad) + (r % 13 == 0 ? 100 : 0);
        tu_ng_epb(b, big, iface, ts, frame, (uint32_t)(len + pad), wire);
    }
    if (kind == NG_TRUNCATED) {
        uint8_t frame[64];
        size_t len = tu_frame_syn(frame, 0, 0x0a020304u, 0xc0000201u, 1, 80, 1);
        tu_ng_epb(b, big, 0, 1546300800u * per_s, frame, (uint32_t)len, (uint32_t)len);
        b->len -= 20;
    }
}

static void assert_stats_equal(const ds_capture_stats *a, const ds_capture_stats *b)
{
    assert_int_equal(a->records, b->records);
    assert_int_equal(a->ipv4, b->ipv4);
    assert_int_equal(a->ipv6, b->ipv6);
    assert_int_equal(a->non_ip, b->non_ip);
    assert_int_equal(a->unknown_linktype, b->unknown_linktype);
    assert_int_equal(a->short_records, b->short_records);
    assert_int_equal(a->bad_ip, b->bad_ip);
    assert_int_equal(a->tcp, b->tcp);
    assert_int_equal(a->udp, b->udp);
    assert_int_equal(a->icmp, b->icmp);
    assert_int_equal(a->other_proto, b->other_proto);
    assert_int_equal(a->fragments, b->fragments);
    assert_int_equal(a->syn, b->syn);
    assert_int_equal(a->bytes, b->bytes);
    assert_int_equal(a->first_ts_ns, b->first_ts_ns);
    assert_int_equal(a->last_ts_ns, b->last_ts_ns);
    assert_int_equal(a->truncated, b->truncated);
    assert_int_equal(a->n_linktypes, b->n_linktypes);
    assert_memory_equal(a->linktypes, b->linktypes, a->n_linktypes * sizeof(a->linktypes[0]));
}

/* A reader's packets until it stops (end, limit or error). */
typedef struct got {
    ds_packet *pkts;
    size_t n, cap;
    ds_status st;
    ds_error err;
} got;

static void read_until_stop(ds_reader *r, got *g, size_t batch)
{
    for (;;) {
        if (g->cap - g->n < batch) {
            g->cap = g->cap * 2 + batch;
            g->pkts = realloc(g->pkts, g->cap * sizeof(*g->pkts));
            assert_non_null(g->pkts);
        }
        size_t n = 0;
        g->st = ds_reader_next(r, g->pkts + g->n, batch, &n, &g->err);
        g->n += n;
        if (g->st != DS_OK || n == 0)
            return;
    }
}

/* What happened at the split points tried. */
typedef struct outcome {
    size_t confirmed, wrong_guess, none, failed_before;
} outcome;

/*
 * split_once - read path in two readers split near `offset`, the way ds_read_files does, and
 * compare with the serial reading s.
 */
static void split_once(const char *path, uint64_t offset, const tu_capture *s, outcome *o)
{
    ds_reader *r0 = NULL, *r1 = NULL;
    ds_error err;
    assert_int_equal(ds_reader_open(&r0, path, 7, &err), DS_OK);
    assert_true(ds_reader_can_split(r0));
    assert_int_equal(ds_reader_open_at(&r1, r0, offset, &err), DS_OK);
    uint64_t start = 0;
    if (r1 != NULL) {
        start = ds_reader_offset(r1);
        assert_true(start >= offset);
        ds_reader_set_limit(r0, start);
    }
    got a = {0};
    size_t batch = 1 + offset % 9;
    read_until_stop(r0, &a, batch);
    ds_capture_stats stats = *ds_reader_stats(r0);
    uint64_t stop;
    bool at_limit = ds_reader_at_limit(r0, &stop);
    if (r1 != NULL && at_limit && stop == start && ds_reader_keeps_state(r0)) {
        /* The guess holds: the second reader's packets follow the first's. */
        o->confirmed++;
        assert_int_equal(a.st, DS_OK);
        read_until_stop(r1, &a, batch);
        ds_capture_stats_add(&stats, ds_reader_stats(r1));
        assert_int_equal(ds_reader_time_digits(r1), s->time_digits);
    } else if (r1 != NULL && at_limit) {
        /* A record of the first reader's runs over the guess, or (pcapng) its section or
           interfaces changed before it: it goes on alone. */
        o->wrong_guess++;
        assert_true(stop > start || !ds_reader_keeps_state(r0));
        ds_reader_set_limit(r0, UINT64_MAX);
        read_until_stop(r0, &a, batch);
        stats = *ds_reader_stats(r0);
    } else {
        /* No boundary found, or the first reader failed before the guess. */
        if (r1 != NULL)
            o->failed_before++;
        else
            o->none++;
        assert_false(at_limit);
    }
    assert_int_equal(a.st, s->status);
    if (s->status != DS_OK)
        assert_string_equal(a.err.msg, s->err.msg);
    assert_int_equal(a.n, s->n);
    tu_assert_packets_equal(a.pkts, s->pkts, s->n);
    assert_stats_equal(&stats, &s->stats);
    free(a.pkts);
    ds_reader_free(r1);
    ds_reader_free(r0);
}

/*
 * split_everywhere - write b as name, read it serially (status and truncation as expected), then
 * split it at every offset from `first` for 3 KB and at about a thousand more places after.
 */
static outcome split_everywhere(const char *name, const tu_buf *b, uint64_t first, ds_status status,
                                bool truncated)
{
    const char *path = tu_path(name);
    tu_write_file(path, b->data, b->len);
    tu_capture s;
    tu_read_path(path, 64, &s);
    assert_int_equal(s.status, status);
    assert_int_equal(s.stats.truncated, truncated);
    assert_true(s.n > 300);
    outcome o = {0};
    for (uint64_t off = first; off < b->len + 40; off += off < 3000 ? 1 : 1 + rnd() % 97)
        split_once(path, off, &s, &o);
    print_message("%-24s %zu bytes: %zu confirmed, %zu wrong guesses, %zu failed before, "
                  "%zu none\n",
                  name, b->len, o.confirmed, o.wrong_guess, o.failed_before, o.none);
    assert_true(o.confirmed > 100);
    tu_capture_free(&s);
    return o;
}

/* Every kind of capture, split at many offsets (every offset near the start of the data). */
static void test_reader_split(void **state)
{
    (void)state;
    rng = 0x853c49e6748fea9bull;
    for (int kind = 0; kind < N_KINDS; kind++) {
        tu_buf b = {0};
        make_capture(&b, kind, 600);
        char name[64];
        snprintf(name, sizeof(name), "split-%s.pcap", kind_name[kind]);
        outcome o = split_everywhere(name, &b, 24, kind == DAMAGED ? DS_ERR_FORMAT : DS_OK,
                                     kind == TRUNCATED);
        /* No record data there looks like a chain of headers: every guess holds. */
        if (kind == CLEAN || kind == TRUNCATED || kind == DAMAGED)
            assert_int_equal(o.wrong_guess, 0);
        if (kind == FAKES)
            assert_true(o.wrong_guess > 10);
        if (kind == DAMAGED)
            assert_true(o.failed_before > 10);
        tu_buf_free(&b);
    }
}

/* The same for pcapng: every kind split at many offsets. */
static void test_reader_split_pcapng(void **state)
{
    (void)state;
    rng = 0x6a09e667f3bcc909ull;
    for (int kind = 0; kind < NG_KINDS; kind++) {
        tu_buf b = {0};
        make_pcapng(&b, kind, 600);
        char name[64];
        snprintf(name, sizeof(name), "split-%s.pcapng", ng_kind_name[kind]);
        outcome o = split_everywhere(name, &b, 28, kind == NG_DAMAGED ? DS_ERR_FORMAT : DS_OK,
                                     kind == NG_TRUNCATED);
        if (kind == NG_CLEAN || kind == NG_TRUNCATED || kind == NG_DAMAGED || kind == NG_BIG)
            assert_int_equal(o.wrong_guess, 0);
        /* Fake chains; and every split after the interface added in the middle. */
        if (kind == NG_FAKES || kind == NG_SECTIONS)
            assert_true(o.wrong_guess > 10);
        if (kind == NG_DAMAGED)
            assert_true(o.failed_before > 10);
        tu_buf_free(&b);
    }
}

/* Files that are never split: compressed, the length-order variants, a pcapng without an
   interface before its first packet. */
static void test_not_splittable(void **state)
{
    (void)state;
    tu_buf b = {0}, z = {0};
    make_capture(&b, CLEAN, 50);
    tu_compress("gzip", b.data, b.len, &z);
    tu_write_file(tu_path("ns.pcap.gz"), z.data, z.len);
    ds_reader *r = NULL, *q = NULL;
    ds_error err;
    assert_int_equal(ds_reader_open(&r, tu_path("ns.pcap.gz"), 0, &err), DS_OK);
    assert_false(ds_reader_can_split(r));
    assert_int_not_equal(ds_reader_open_at(&q, r, 100, &err), DS_OK);
    assert_null(q);
    ds_reader_free(r);
    /* Version 2.3: lengths in either order, so no boundary can be guessed. */
    b.data[6] = 3;
    tu_write_file(tu_path("ns23.pcap"), b.data, b.len);
    assert_int_equal(ds_reader_open(&r, tu_path("ns23.pcap"), 0, &err), DS_OK);
    assert_int_equal(ds_reader_open_at(&q, r, 100, &err), DS_OK);
    assert_null(q);
    ds_reader_free(r);
    tu_buf ng = {0};
    tu_ng_shb(&ng, 0, 1, 0);
    for (int k = 0; k < 100; k++) {
        uint8_t frame[64];
        size_t len = tu_frame_syn(frame, 0, 0x0a000001u, 0xc0000201u, 1, 80, 1);
        tu_ng_epb(&ng, 0, 0, 1, frame, (uint32_t)len, (uint32_t)len);
    }
    tu_write_file(tu_path("ns.pcapng"), ng.data, ng.len);
    assert_int_equal(ds_reader_open(&r, tu_path("ns.pcapng"), 0, &err), DS_OK);
    assert_true(ds_reader_can_split(r));
    assert_int_equal(ds_reader_open_at(&q, r, 1000, &err), DS_OK);
    assert_null(q);
    ds_reader_free(r);
    tu_buf_free(&ng);
    tu_buf_free(&z);
    tu_buf_free(&b);
}

/* ---- ds_read_files ---- */

#define N_FILES (7 + NG_KINDS)

/* What the events said about each file. */
typedef struct seen {
    const ds_path_list *inputs;
    int done[N_FILES], truncated[N_FILES], failed[N_FILES];
    ds_capture_stats stats[N_FILES];
    char err[N_FILES][DS_ERROR_MAX];
} seen;

static size_t index_of(const seen *s, const char *path)
{
    for (size_t i = 0; i < s->inputs->count; i++) {
        if (strcmp(s->inputs->paths[i], path) == 0)
            return i;
    }
    fail_msg("unknown path %s", path);
    return 0;
}

static void on_failed(void *ctx, const char *path, const ds_error *err)
{
    seen *s = ctx;
    size_t i = index_of(s, path);
    s->failed[i]++;
    snprintf(s->err[i], sizeof(s->err[i]), "%s", err->msg);
}

static void on_truncated(void *ctx, const char *path, const ds_capture_stats *st)
{
    seen *s = ctx;
    s->truncated[index_of(s, path)]++;
    (void)st;
}

static void on_done(void *ctx, const char *path, const ds_capture_stats *st)
{
    seen *s = ctx;
    size_t i = index_of(s, path);
    s->done[i]++;
    s->stats[i] = *st;
}

static ds_aggregate *read_all(const ds_path_list *in, const ds_agg_config *cfg, unsigned threads,
                              const char *split_bytes, seen *s, ds_input_info *info)
{
    memset(s, 0, sizeof(*s));
    s->inputs = in;
    ds_read_events ev = {on_failed, on_truncated, on_done, NULL, 0, s};
    if (split_bytes != NULL)
        setenv("DARKSCAN_TEST_SPLIT_BYTES", split_bytes, 1);
    else
        unsetenv("DARKSCAN_TEST_SPLIT_BYTES");
    ds_aggregate *agg = NULL;
    ds_error err;
    assert_int_equal(ds_read_files(in, cfg, threads, &ev, &agg, info, &err), DS_OK);
    unsetenv("DARKSCAN_TEST_SPLIT_BYTES");
    return agg;
}

/*
 * Every kind of capture plus a compressed one, read by 1 to 3 threads with parts of many sizes
 * (down to a few records): the aggregate, the totals and every file's events and stats are
 * those of serial reading.
 */
static void test_read_files_split(void **state)
{
    (void)state;
    rng = 0x2545f4914f6cdd1dull;
    ds_path_list in = {calloc(N_FILES, sizeof(char *)), 0};
    assert_non_null(in.paths);
    for (int kind = 0; kind < N_KINDS; kind++) {
        tu_buf b = {0};
        make_capture(&b, kind, 3000);
        char name[64];
        snprintf(name, sizeof(name), "files-%s.pcap", kind_name[kind]);
        tu_write_file(tu_path(name), b.data, b.len);
        in.paths[in.count++] = strdup(tu_path(name));
        if (kind == CLEAN) {
            tu_buf z = {0};
            tu_compress("zstd", b.data, b.len, &z);
            tu_write_file(tu_path("files-clean.pcap.zst"), z.data, z.len);
            in.paths[in.count++] = strdup(tu_path("files-clean.pcap.zst"));
            tu_buf_free(&z);
        }
        tu_buf_free(&b);
    }
    for (int kind = 0; kind < NG_KINDS; kind++) {
        tu_buf b = {0};
        make_pcapng(&b, kind, 3000);
        char name[64];
        snprintf(name, sizeof(name), "files-%s.pcapng", ng_kind_name[kind]);
        tu_write_file(tu_path(name), b.data, b.len);
        in.paths[in.count++] = strdup(tu_path(name));
        tu_buf_free(&b);
    }
    /* The same file twice: two files, both split. */
    in.paths[in.count++] = strdup(tu_path("files-fakes.pcap"));
    assert_int_equal(in.count, N_FILES);

    ds_darknet *d = ds_darknet_new();
    ds_error err;
    assert_int_equal(ds_darknet_add(d, "192.0.2.0/24", NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    ds_agg_config cfg = {
        .darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 24, .header_values = true};
    seen *want = calloc(1, sizeof(*want)), *s = calloc(1, sizeof(*s));
    assert_non_null(want);
    assert_non_null(s);
    ds_input_info want_info, info;
    ds_aggregate *serial = read_all(&in, &cfg, 1, NULL, want, &want_info);
    assert_int_equal(want_info.files, N_FILES);
    assert_int_equal(want_info.failed, 2);
    assert_int_equal(want_info.truncated, 2);

    static const char *const splits[] = {"150", "999", "4000", "20000", "100000", "0", NULL};
    for (unsigned threads = 1; threads <= 3; threads++) {
        for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
            ds_aggregate *agg = read_all(&in, &cfg, threads, splits[k], s, &info);
            assert_memory_equal(&info, &want_info, sizeof(info));
            for (size_t i = 0; i < N_FILES; i++) {
                assert_int_equal(s->done[i], want->done[i]);
                assert_int_equal(s->truncated[i], want->truncated[i]);
                assert_int_equal(s->failed[i], want->failed[i]);
                assert_string_equal(s->err[i], want->err[i]);
                if (want->done[i])
                    assert_stats_equal(&s->stats[i], &want->stats[i]);
            }
            tu_assert_aggregates_equal(agg, serial);
            ds_aggregate_free(agg);
        }
    }
    ds_aggregate_free(serial);
    free(want);
    free(s);
    ds_darknet_free(d);
    ds_path_list_free(&in);
}

/*
 * One compressed file alone, read by 1 to 4 threads, with buffers of 500 keys (many runs): the
 * aggregate of serial reading. A worker does not join it where it would take a core from the
 * decompression thread (on two cores: any second worker), and the only worker with packets
 * then leaves two runs, as a lone worker does: at most two for the walk.
 */
static void test_lone_compressed_file(void **state)
{
    (void)state;
    rng = 0x9e3779b97f4a7c15ull;
    tu_buf b = {0}, z = {0};
    make_capture(&b, CLEAN, 6000);
    tu_compress("zstd", b.data, b.len, &z);
    tu_write_file(tu_path("lone.pcap.zst"), z.data, z.len);
    ds_path_list in = {calloc(1, sizeof(char *)), 0};
    assert_non_null(in.paths);
    in.paths[in.count++] = strdup(tu_path("lone.pcap.zst"));
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    assert_int_equal(ds_darknet_add(d, "192.0.2.0/24", NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 24};
    seen *want = calloc(1, sizeof(*want)), *s = calloc(1, sizeof(*s));
    assert_non_null(want);
    assert_non_null(s);
    ds_input_info want_info, info;
    ds_aggregate *serial = read_all(&in, &cfg, 1, NULL, want, &want_info);
    setenv("DARKSCAN_TEST_BUFFER_KEYS", "500", 1);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    for (unsigned threads = 1; threads <= 4; threads++) {
        ds_aggregate *agg = read_all(&in, &cfg, threads, NULL, s, &info);
        assert_memory_equal(&info, &want_info, sizeof(info));
        tu_assert_aggregates_equal(agg, serial);
        if (threads == 1 || cores <= 2)
            for (size_t w = 0; w < ds_aggregate_window_count(agg); w++)
                assert_true(ds_aggregate_run_count(agg, w) <= 2);
        ds_aggregate_free(agg);
    }
    unsetenv("DARKSCAN_TEST_BUFFER_KEYS");
    ds_aggregate_free(serial);
    free(want);
    free(s);
    ds_darknet_free(d);
    ds_path_list_free(&in);
    tu_buf_free(&b);
    tu_buf_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_split),         cmocka_unit_test(test_reader_split_pcapng),
        cmocka_unit_test(test_not_splittable),       cmocka_unit_test(test_read_files_split),
        cmocka_unit_test(test_lone_compressed_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
