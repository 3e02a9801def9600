/*
 * testutil.h - helpers shared by the unit tests: temporary folders and whole-file I/O.
 *
 * Include after <stdarg.h>, <stddef.h>, <setjmp.h> and <cmocka.h> (cmocka's rule).
 */
#ifndef DS_TESTUTIL_H
#define DS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/darkscan.h"

/* A growable byte buffer for building test inputs in memory. */
typedef struct tu_buf {
    uint8_t *data;
    size_t len, cap;
} tu_buf;

void tu_buf_put(tu_buf *b, const void *data, size_t len);
void tu_buf_u8(tu_buf *b, uint8_t v);
void tu_buf_u16be(tu_buf *b, uint16_t v);
void tu_buf_u32be(tu_buf *b, uint32_t v);
void tu_buf_u16le(tu_buf *b, uint16_t v);
void tu_buf_u32le(tu_buf *b, uint32_t v);
void tu_buf_free(tu_buf *b);
/* tu_buf_u16/u32/u64 - in big-endian byte order when big, else little-endian. */
void tu_buf_u16(tu_buf *b, uint16_t v, int big);
void tu_buf_u32(tu_buf *b, uint32_t v, int big);
void tu_buf_u64(tu_buf *b, uint64_t v, int big);
/* tu_buf_pad4 - zero bytes up to a multiple of 4. */
void tu_buf_pad4(tu_buf *b);

/*
 * Capture builders (pcap-savefile(5), pcapng), for tests that need files with exact contents.
 */

/* tu_frame_syn - an Ethernet + IPv4 + TCP SYN frame (54 bytes) into buf; returns its length.
 * With raw set, the frame starts at the IPv4 header (40 bytes, LINKTYPE_RAW). */
size_t tu_frame_syn(uint8_t *buf, int raw, uint32_t src, uint32_t dst, uint16_t sport,
                    uint16_t dport, uint32_t seq);
/* tu_frame_ethertype - a 60-byte Ethernet frame of another type (0x0806 ARP, 0x86dd IPv6). */
size_t tu_frame_ethertype(uint8_t *buf, uint16_t ethertype);

/* A pcap file header; magic is 0xa1b2c3d4 (us), 0xa1b23c4d (ns) or 0xa1b2cd34 (Kuznetzov). */
void tu_pcap_header(tu_buf *b, int big, uint32_t magic, uint16_t major, uint16_t minor,
                    uint32_t snaplen, uint32_t linktype);
/* A pcap record (16-byte header; kuz: the 24-byte header of the modified format). The header
 * fields are written as given: pass caplen and wirelen swapped to build pre-2.3 files. */
void tu_pcap_record(tu_buf *b, int big, int kuz, uint32_t sec, uint32_t frac, uint32_t caplen_field,
                    uint32_t wirelen_field, const void *data, size_t data_len);

/* pcapng blocks. tsresol < 0: no if_tsresol option; has_tsoffset: an if_tsoffset option. */
void tu_ng_shb(tu_buf *b, int big, uint16_t major, uint16_t minor);
void tu_ng_idb(tu_buf *b, int big, uint16_t linktype, uint32_t snaplen, int tsresol,
               int has_tsoffset, int64_t tsoffset_s);
void tu_ng_epb(tu_buf *b, int big, uint32_t iface, uint64_t ts, const void *data, uint32_t caplen,
               uint32_t wirelen);
void tu_ng_pb(tu_buf *b, int big, uint16_t iface, uint64_t ts, const void *data, uint32_t caplen,
              uint32_t wirelen);
void tu_ng_spb(tu_buf *b, int big, const void *data, uint32_t data_len, uint32_t wirelen);
/* Any block: type, body (padded to 4), and the two length fields. */
void tu_ng_block(tu_buf *b, int big, uint32_t type, const void *body, size_t body_len);

/*
 * tu_compress - data compressed with the library of kind ("gzip", "bzip2", "xz", "zstd",
 * "lz4"), appended to out: one stream/member/frame. Fails the test on error.
 */
void tu_compress(const char *kind, const void *data, size_t len, tu_buf *out);

/* tu_tmpdir - a fresh temporary folder (removed with its contents at exit). Static storage. */
const char *tu_tmpdir(void);

/* tu_path - "<tmpdir>/<name>" in a static rotating buffer (valid for 8 further calls). */
const char *tu_path(const char *name);

/* tu_write_file - write len bytes to path; fails the test on error. */
void tu_write_file(const char *path, const void *data, size_t len);

/* tu_read_file - the whole file, NUL-terminated, malloc'd; *len gets the size (may be NULL). */
char *tu_read_file(const char *path, size_t *len);

/* What tu_read_mem / tu_read_path saw of a capture read to its end. */
typedef struct tu_capture {
    bool opened;     /* ds_reader_open succeeded */
    ds_packet *pkts; /* every packet (malloc'd) */
    size_t n;
    ds_capture_stats stats;
    ds_format format;
    ds_compression compression;
    int time_digits;
    ds_status status; /* DS_OK, or the open or next() error */
    ds_error err;
} tu_capture;

/*
 * tu_read_mem - open len bytes at data as a capture and read it to the end, `batch` packets
 * per ds_reader_next() call; checks on the way that an error repeats on the next call.
 * Returns c->status. Release with tu_capture_free().
 */
ds_status tu_read_mem(const void *data, size_t len, size_t batch, tu_capture *c);
/* tu_read_path - the same through ds_reader_open(path). */
ds_status tu_read_path(const char *path, size_t batch, tu_capture *c);
void tu_capture_free(tu_capture *c);
/* tu_assert_packets_equal - every field of n packets equal (padding ignored). */
void tu_assert_packets_equal(const ds_packet *a, const ds_packet *b, size_t n);
/*
 * tu_assert_aggregates_equal - the same windows with the same counters, time slots, tuples,
 * hosts (compared bytewise: exported entries have zero padding) and header value counts.
 */
void tu_assert_aggregates_equal(ds_aggregate *a, ds_aggregate *b);

#endif
