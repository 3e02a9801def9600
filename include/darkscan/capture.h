/*
 * capture.h - reading darknet captures: pcap and pcapng, plain or compressed, every common
 * link type, decoded into ds_packet records.
 *
 * The format (pcap, pcapng) and the compression (gzip, bzip2, xz, zstd, lz4 frame) are
 * detected from the content, never from the file name. A reader yields IPv4 packets in
 * batches; every record that does not become a ds_packet is counted by reason in
 * ds_capture_stats.
 */
#ifndef DARKSCAN_CAPTURE_H
#define DARKSCAN_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/error.h"
#include "darkscan/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ds_compression {
    DS_COMP_NONE = 0,
    DS_COMP_GZIP,
    DS_COMP_BZIP2,
    DS_COMP_XZ,
    DS_COMP_ZSTD,
    DS_COMP_LZ4,
} ds_compression;

typedef enum ds_format {
    DS_FORMAT_UNKNOWN = 0,
    DS_FORMAT_PCAP,
    DS_FORMAT_PCAPNG,
} ds_format;

/* The largest record a reader accepts; a longer caplen stops the file with an error. */
#define DS_MAX_RECORD 262144u

/* How many distinct link types a reader remembers for reporting. */
#define DS_MAX_LINKTYPES 16

/*
 * What a reader has seen so far. All counters count capture records (packets).
 * records = ipv4 + ipv6 + non_ip + unknown_linktype + short_records + bad_ip
 */
typedef struct ds_capture_stats {
    uint64_t records;          /* every packet record in the file */
    uint64_t ipv4;             /* records with an IPv4 packet (these become ds_packet) */
    uint64_t ipv6;             /* IPv6 packets: counted and skipped (the method is IPv4) */
    uint64_t non_ip;           /* ARP, LLDP and other non-IP frames */
    uint64_t unknown_linktype; /* records of a link type the decoder does not know */
    uint64_t short_records;    /* link, IP or TCP/UDP header cut short by the capture length */
    uint64_t bad_ip;           /* IPv4 header invalid (version, header length, total length) */
    uint64_t tcp;              /* IPv4 TCP with ports (unfragmented or first fragment) */
    uint64_t udp;              /* IPv4 UDP with ports */
    uint64_t icmp;             /* IPv4 ICMP */
    uint64_t other_proto;      /* IPv4 with another protocol */
    uint64_t fragments;        /* IPv4 non-first fragments (no ports; counted, no ds_packet) */
    uint64_t syn;              /* IPv4 TCP with SYN set and ACK clear */
    uint64_t bytes;            /* bytes read from the (decompressed) capture */
    int64_t first_ts_ns;       /* earliest record time (INT64_MAX when no record) */
    int64_t last_ts_ns;        /* latest record time (INT64_MIN when no record) */
    bool truncated;            /* the file ended inside a record */
    uint32_t linktypes[DS_MAX_LINKTYPES]; /* distinct link types seen, in order of appearance */
    uint32_t n_linktypes;
} ds_capture_stats;

typedef struct ds_reader ds_reader;

/*
 * ds_reader_open - open a capture for reading. path "-" reads standard input.
 * file_index is copied into every ds_packet the reader yields.
 * On success *out owns a reader to release with ds_reader_free(). On error returns a negative
 * ds_status, *out is NULL and err names the file and the reason.
 */
ds_status ds_reader_open(ds_reader **out, const char *path, uint32_t file_index, ds_error *err);

/*
 * ds_reader_open_mem - the same over a memory buffer (tests, fuzzing). The buffer is
 * borrowed and must outlive the reader; name is used in messages.
 */
ds_status ds_reader_open_mem(ds_reader **out, const void *data, size_t len, const char *name,
                             uint32_t file_index, ds_error *err);

/*
 * ds_reader_next - decode up to max IPv4 packets into pkts; *n receives how many.
 * Returns DS_OK with *n > 0 while there are packets, DS_OK with *n == 0 at the end of the
 * file (a file that ends inside a record ends normally with stats.truncated set), or a
 * negative status when the rest of the file cannot be read (an impossible record length, a
 * decompression error, an I/O error). After an error the packets already returned and the
 * stats stay valid; further calls return the same error.
 */
ds_status ds_reader_next(ds_reader *r, ds_packet *pkts, size_t max, size_t *n, ds_error *err);

/* ds_reader_stats - counters so far; the pointer lives as long as the reader. */
const ds_capture_stats *ds_reader_stats(const ds_reader *r);

/* ds_reader_format, ds_reader_compression - what was detected when the reader opened. */
ds_format ds_reader_format(const ds_reader *r);
ds_compression ds_reader_compression(const ds_reader *r);

/*
 * ds_reader_time_digits - how many decimal digits of a second the file's timestamps carry:
 * 6 for microsecond pcap, 9 for nanosecond pcap, for pcapng the finest if_tsresol of its
 * interfaces so far (capped at 9). For printing times at the file's own precision.
 */
int ds_reader_time_digits(const ds_reader *r);

/* ds_reader_name - the path or name given at open time; lives as long as the reader. */
const char *ds_reader_name(const ds_reader *r);

/* ds_reader_free - close the file and free the reader. NULL is a no-op. */
void ds_reader_free(ds_reader *r);

/*
 * ds_capture_set_decoder_threads - how many threads may decode one compressed file whose format
 * allows it (the blocks of an `xz -T` file), for readers opened from now on; 0 (the default)
 * means one per online core, at most 8. A program reading several files at once divides its
 * cores among them (ds_read_files() does). Process-wide.
 */
void ds_capture_set_decoder_threads(unsigned threads);

/* Static names: "pcap", "pcapng"; "none", "gzip", "bzip2", "xz", "zstd", "lz4". */
const char *ds_format_name(ds_format f);
const char *ds_compression_name(ds_compression c);
/*
 * ds_compression_levels - the compression levels the writer takes for c (besides 0, the
 * library's default) in *min..*max; false when the writer cannot compress with c.
 */
bool ds_compression_levels(ds_compression c, int *min, int *max);

/*
 * ds_linktype_name - the LINKTYPE_ name of a link type in lower case without the prefix
 * ("ethernet", "raw", "linux_sll"), or NULL when the decoder does not know it.
 */
const char *ds_linktype_name(uint32_t linktype);

/*
 * A list of capture paths: the result of expanding command-line arguments, where a directory
 * means every regular file below it in sorted (byte-wise) order and "-" is standard input.
 */
typedef struct ds_path_list {
    char **paths;
    size_t count;
} ds_path_list;

/*
 * ds_inputs_expand - expand args into list (which must be zeroed or previously freed).
 * Below a directory, only captures are listed: a file whose first bytes are neither a capture
 * format nor a compression format (a darknet list, a README, an empty file) is skipped with a
 * warning to diag (may be NULL). A file named by itself is always listed (the reader then says
 * what is wrong with it). Returns DS_ERR_IO naming the argument when one does not exist or a
 * directory cannot be read. The list owns its strings; release with ds_path_list_free().
 */
ds_status ds_inputs_expand(const char *const *args, size_t n_args, ds_path_list *list,
                           const ds_diag *diag, ds_error *err);
void ds_path_list_free(ds_path_list *list);

/*
 * Writing captures (the simulator, tests, `darkscan` tools that export packets).
 */
typedef struct ds_writer ds_writer;

typedef struct ds_writer_options {
    ds_format format;           /* DS_FORMAT_PCAP or DS_FORMAT_PCAPNG */
    ds_compression compression; /* DS_COMP_NONE or any compressor the reader knows */
    uint32_t linktype;          /* LINKTYPE_ value of every record (1 = Ethernet) */
    int nanosecond;             /* pcap: nanosecond magic; pcapng: if_tsresol 9 */
    int big_endian;             /* write the file in big-endian byte order */
    int level;                  /* compression level, 0 = the library's default */
} ds_writer_options;

/*
 * ds_writer_open - create (truncate) path and write the file header. "-" is standard output.
 * On success *out owns the writer; ds_writer_close() flushes, closes and frees it.
 */
ds_status ds_writer_open(ds_writer **out, const char *path, const ds_writer_options *opt,
                         ds_error *err);

/* ds_writer_write - one record of caplen bytes (wirelen >= caplen) at time ts_ns. */
ds_status ds_writer_write(ds_writer *w, int64_t ts_ns, const void *data, uint32_t caplen,
                          uint32_t wirelen, ds_error *err);

/*
 * ds_writer_write_packet - encode p as a frame of the writer's link type (Ethernet, raw IPv4,
 * Linux SLL, ...) with a valid IPv4 header checksum, then write it at p->ts_ns. TCP packets get
 * a 20-byte header with p's ports, seq, flags and window; UDP an 8-byte header; ICMP an 8-byte
 * echo request; others no transport header. docs/FORMATS.md ("Writing") has the details.
 */
ds_status ds_writer_write_packet(ds_writer *w, const ds_packet *p, ds_error *err);

/* ds_writer_close - flush, close and free; returns the first error met. NULL is a no-op. */
ds_status ds_writer_close(ds_writer *w, ds_error *err);

/*
 * ds_packet_encode - the frame ds_writer_write_packet writes, into buf (cap bytes; 128 are
 * always enough). Returns the frame's length, or 0 when linktype cannot be encoded.
 */
size_t ds_packet_encode(const ds_packet *p, uint32_t linktype, uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
