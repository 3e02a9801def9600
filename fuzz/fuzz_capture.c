/*
 * fuzz_capture.c - arbitrary bytes as a capture file: ds_reader_open_mem() and
 * ds_reader_next() until the end or an error (decompression, pcap, pcapng and decoding).
 *
 * Besides the sanitizers, it checks the reader's promises: a batch never exceeds max, an error
 * repeats, counters add up, and every packet is IPv4 and within the time range.
 *
 * zstd input is also read from a file, through the decompression thread's ring (a small one,
 * DARKSCAN_TEST_RING_CHUNKS=3, keeping 1 MiB), where frames are decoded straight into the ring
 * instead of by streaming, with the same promises checked. The packets are not compared with
 * the memory read's: on damaged data the two ways may differ, each rightly (libzstd does not
 * hold a frame to its window, and each way resolves references beyond it from the history it
 * has, see lib/capture/stream.c); tests/unit/test_stream.c compares them where they must agree.
 *
 * An uncompressed pcap or pcapng input is also read from a file in two byte ranges
 * (capture/split.h), split at an offset taken from the input's last bytes, and the two readers,
 * confirmed or not as lib/pipeline/read.c decides, must give exactly what one reader gives:
 * every packet, every stat (added in order, as read.c adds a file's ranges) and the final status
 * and error message.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/split.h"
#include "darkscan/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* drain - read r to its end, checking the reader's promises. */
static void drain(ds_reader *r, size_t input_size)
{
    ds_packet pkts[7];
    uint64_t packets = 0;
    ds_error err;
    for (;;) {
        size_t n = 99;
        ds_status rc = ds_reader_next(r, pkts, sizeof(pkts) / sizeof(pkts[0]), &n, &err);
        if (rc != DS_OK) {
            size_t again_n = 99;
            if (n != 0 || ds_reader_next(r, pkts, 7, &again_n, &err) != rc || again_n != 0)
                abort();
            break;
        }
        if (n == 0)
            break;
        if (n > 7)
            abort();
        const ds_capture_stats *st = ds_reader_stats(r);
        for (size_t i = 0; i < n; i++) {
            if (pkts[i].file_index != 1)
                abort();
            /* SPB packets carry the time of the packet before, or 0: not in the range. */
            (void)pkts[i].ts_ns;
        }
        packets += n;
        if (packets != st->ipv4)
            abort();
    }
    const ds_capture_stats *st = ds_reader_stats(r);
    uint64_t classified =
        st->ipv4 + st->ipv6 + st->non_ip + st->unknown_linktype + st->short_records + st->bad_ip;
    if (classified != st->records || st->n_linktypes > DS_MAX_LINKTYPES)
        abort();
    if (ds_reader_compression(r) == DS_COMP_NONE && st->bytes > input_size)
        abort();
}

/* through_file - the zstd input again from a file, through the ring. */
static void through_file(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0') {
        snprintf(path, sizeof(path), "/tmp/darkscan-fuzz-%ld.zst", (long)getpid());
        setenv("DARKSCAN_TEST_RING_CHUNKS", "3", 1);
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return; /* no temporary file here: the memory read was fuzzed all the same */
    if (fwrite(data, 1, size, f) != size) {
        fclose(f);
        return;
    }
    fclose(f);
    ds_reader *r = NULL;
    ds_error err;
    if (ds_reader_open(&r, path, 1, &err) == DS_OK) {
        drain(r, size);
        ds_reader_free(r);
    }
    unlink(path);
}

/* A reader's packets and how it stopped. */
typedef struct plist {
    ds_packet *p;
    size_t n, cap;
    ds_status st;
    ds_error err;
} plist;

/* collect - r's packets into l until it stops (its end, its limit or an error). */
static void collect(ds_reader *r, plist *l)
{
    for (;;) {
        if (l->cap - l->n < 16) {
            l->cap = l->cap * 2 + 16;
            l->p = realloc(l->p, l->cap * sizeof(*l->p));
            if (l->p == NULL)
                abort();
        }
        size_t n = 0;
        l->st = ds_reader_next(r, l->p + l->n, 16, &n, &l->err);
        l->n += n;
        if (l->st != DS_OK || n == 0)
            return;
    }
}

static bool same_packet(const ds_packet *a, const ds_packet *b)
{
    return a->ts_ns == b->ts_ns && a->src == b->src && a->dst == b->dst && a->seq == b->seq &&
           a->file_index == b->file_index && a->sport == b->sport && a->dport == b->dport &&
           a->ip_id == b->ip_id && a->tcp_window == b->tcp_window && a->proto == b->proto &&
           a->tcp_flags == b->tcp_flags && a->ttl == b->ttl && a->pkt_flags == b->pkt_flags;
}

static bool same_stats(const ds_capture_stats *a, const ds_capture_stats *b)
{
    return a->records == b->records && a->ipv4 == b->ipv4 && a->ipv6 == b->ipv6 &&
           a->non_ip == b->non_ip && a->unknown_linktype == b->unknown_linktype &&
           a->short_records == b->short_records && a->bad_ip == b->bad_ip && a->tcp == b->tcp &&
           a->udp == b->udp && a->icmp == b->icmp && a->other_proto == b->other_proto &&
           a->fragments == b->fragments && a->syn == b->syn && a->bytes == b->bytes &&
           a->first_ts_ns == b->first_ts_ns && a->last_ts_ns == b->last_ts_ns &&
           a->truncated == b->truncated && a->n_linktypes == b->n_linktypes &&
           memcmp(a->linktypes, b->linktypes, a->n_linktypes * sizeof(a->linktypes[0])) == 0;
}

/* through_split - the input from a file, by one reader and by two over byte ranges. */
static void through_split(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/tmp/darkscan-fuzz-split-%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return;
    if (fwrite(data, 1, size, f) != size) {
        fclose(f);
        return;
    }
    fclose(f);
    ds_reader *one = NULL, *r0 = NULL, *r1 = NULL;
    ds_error err;
    plist a = {0}, b = {0};
    if (ds_reader_open(&one, path, 1, &err) != DS_OK || !ds_reader_can_split(one))
        goto out;
    collect(one, &a);
    uint64_t off = size >= 2 ? (uint64_t)(data[size - 1] | data[size - 2] << 8) % size : 0;
    if (ds_reader_open(&r0, path, 1, &err) != DS_OK ||
        ds_reader_open_at(&r1, r0, off, &err) != DS_OK)
        abort(); /* the file opened once already */
    uint64_t start = 0, stop = 0;
    if (r1 != NULL) {
        start = ds_reader_offset(r1);
        if (start < off)
            abort();
        ds_reader_set_limit(r0, start);
    }
    collect(r0, &b);
    ds_capture_stats stats = *ds_reader_stats(r0);
    bool at_limit = ds_reader_at_limit(r0, &stop);
    if (r1 != NULL && at_limit && stop == start && ds_reader_keeps_state(r0)) {
        collect(r1, &b); /* confirmed */
        ds_capture_stats_add(&stats, ds_reader_stats(r1));
    } else if (at_limit) {
        ds_reader_set_limit(r0, UINT64_MAX); /* a wrong guess: r0 goes on alone */
        collect(r0, &b);
        stats = *ds_reader_stats(r0);
    }
    if (a.n != b.n || a.st != b.st || !same_stats(&stats, ds_reader_stats(one)) ||
        (a.st != DS_OK && strcmp(a.err.msg, b.err.msg) != 0))
        abort();
    for (size_t i = 0; i < a.n; i++) {
        if (!same_packet(&a.p[i], &b.p[i]))
            abort();
    }
out:
    free(a.p);
    free(b.p);
    ds_reader_free(r1);
    ds_reader_free(r0);
    ds_reader_free(one);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ds_reader *r = NULL;
    ds_error err;
    if (ds_reader_open_mem(&r, data, size, "fuzz", 1, &err) != DS_OK) {
        if (r != NULL || err.msg[0] == '\0')
            abort();
        return 0;
    }
    drain(r, size);
    bool zstd = ds_reader_compression(r) == DS_COMP_ZSTD;
    bool plain = ds_reader_compression(r) == DS_COMP_NONE;
    ds_reader_free(r);
    if (zstd)
        through_file(data, size);
    if (plain)
        through_split(data, size);
    return 0;
}
