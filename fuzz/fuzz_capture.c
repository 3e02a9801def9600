/*
 * fuzz_capture.c - arbitrary bytes as a capture file: ds_reader_open_mem() and
 * ds_reader_next() until the end or an error (decompression, pcap, pcapng and decoding).
 *
 * Besides the sanitizers, it checks the reader's promises: a batch never exceeds max, an error
 * repeats, counters add up, and every packet is IPv4 and within the time range.
 *
 * zstd input is also read from a file, through the decompression thread's ring (a small one,
 * DARKSCAN_TEST_RING_CHUNKS=3, keeping 1 MiB), where frames are decoded straight into the ring
 * instead of by streaming: the packets both ways deliver must agree, and when both end
 * cleanly they are the same packets (tests/unit/test_stream.c explains why damaged data may
 * end at different places).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkscan/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct read_all {
    ds_packet *pkts;
    size_t n, cap;
    ds_status status;
} read_all;

/* drain - read r to its end (checking the reader's promises), the packets into out. */
static void drain(ds_reader *r, read_all *out, size_t input_size)
{
    ds_packet pkts[7];
    uint64_t packets = 0;
    ds_error err;
    out->status = DS_OK;
    for (;;) {
        size_t n = 99;
        ds_status rc = ds_reader_next(r, pkts, sizeof(pkts) / sizeof(pkts[0]), &n, &err);
        if (rc != DS_OK) {
            size_t again_n = 99;
            if (n != 0 || ds_reader_next(r, pkts, 7, &again_n, &err) != rc || again_n != 0)
                abort();
            out->status = rc;
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
        if (out->n + n > out->cap) {
            out->cap = (out->n + n) * 2;
            out->pkts = realloc(out->pkts, out->cap * sizeof(*out->pkts));
            if (out->pkts == NULL)
                abort();
        }
        memcpy(out->pkts + out->n, pkts, n * sizeof(*pkts));
        out->n += n;
    }
    const ds_capture_stats *st = ds_reader_stats(r);
    uint64_t classified =
        st->ipv4 + st->ipv6 + st->non_ip + st->unknown_linktype + st->short_records + st->bad_ip;
    if (classified != st->records || st->n_linktypes > DS_MAX_LINKTYPES)
        abort();
    if (ds_reader_compression(r) == DS_COMP_NONE && st->bytes > input_size)
        abort();
}

/* same_packet - the fields a reader sets (padding aside). */
static int same_packet(const ds_packet *a, const ds_packet *b)
{
    return a->ts_ns == b->ts_ns && a->src == b->src && a->dst == b->dst && a->seq == b->seq &&
           a->file_index == b->file_index && a->sport == b->sport && a->dport == b->dport &&
           a->ip_id == b->ip_id && a->tcp_window == b->tcp_window && a->proto == b->proto &&
           a->tcp_flags == b->tcp_flags && a->ttl == b->ttl && a->pkt_flags == b->pkt_flags;
}

/* through_file - the zstd input again from a file, through the ring; compared with mem. */
static void through_file(const uint8_t *data, size_t size, const read_all *mem)
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
    read_all file = {0};
    if (ds_reader_open(&r, path, 1, &err) == DS_OK) {
        drain(r, &file, size);
        ds_reader_free(r);
        size_t common = file.n < mem->n ? file.n : mem->n;
        for (size_t i = 0; i < common; i++)
            if (!same_packet(&file.pkts[i], &mem->pkts[i]))
                abort();
        if (file.status == DS_OK && mem->status == DS_OK && file.n != mem->n)
            abort();
    }
    free(file.pkts);
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
    read_all mem = {0};
    drain(r, &mem, size);
    bool zstd = ds_reader_compression(r) == DS_COMP_ZSTD;
    ds_reader_free(r);
    if (zstd)
        through_file(data, size, &mem);
    free(mem.pkts);
    return 0;
}
