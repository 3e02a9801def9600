/*
 * format.h - the capture file formats a ds_reader knows (private to lib/capture/).
 *
 * One `ds_format_reader` per format (pcap.c, pcapng.c), listed in the registry in reader.c and
 * chosen by probe() on the first decompressed bytes, never by the file name. A format reader
 * parses records in place from the stream's window, calls ds_decode_record() on each and keeps
 * the reader-side counters of ds_capture_stats (records, times, truncated, linktypes).
 */
#ifndef DS_CAPTURE_FORMAT_H
#define DS_CAPTURE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/stream.h"
#include "darkscan/capture.h"

/* What a format reader shares with the ds_reader that owns it. */
typedef struct ds_format_ctx {
    ds_stream *in;
    ds_capture_stats *stats;
    uint32_t file_index; /* copied into every ds_packet */
    int ts_digits;       /* finest timestamp resolution seen, in decimal digits (0..9) */
    /*
     * Parallel reading of one file: next() stops before the first record (pcapng: block)
     * that starts at or after this stream offset and sets at_limit (UINT64_MAX: no limit).
     */
    uint64_t limit;
    bool at_limit;
    /*
     * Set by the format reader when its state for reading what follows is no longer the one
     * a reader opened at a later offset (split) takes: pcapng, a section header or interface
     * description after its first packet. Such a reader is not confirmed (split.h).
     */
    bool changed;
} ds_format_ctx;

typedef struct ds_format_reader {
    const char *name;
    ds_format id;
    /* probe - do the first n (>= 4 unless the input is shorter) bytes look like this format? */
    bool (*probe)(const uint8_t *p, size_t n);
    /*
     * open - read the file header. *state is the reader's (free it with free_state). Errors
     * name the file (ds_stream_name) and the reason.
     */
    ds_status (*open)(void **state, ds_format_ctx *ctx, ds_error *err);
    /*
     * next - decode records until max IPv4 packets are in pkts or the input ends: DS_OK with
     * *n == 0 only at the end. On an error *n still counts the packets decoded before it.
     */
    ds_status (*next)(void *state, ds_packet *pkts, size_t max, size_t *n, ds_error *err);
    void (*free_state)(void *state);
    /*
     * split - optional (NULL: the format is never read in parallel). `first` is the state of
     * a reader opened at the start of the file; ctx->in is a stream of the same file at some
     * offset. Find the first place at or after it where a record (pcapng: block) certainly
     * seems to begin, consume the bytes before it and make *state a reader's state there, or
     * leave *state NULL when no such place is found close enough. The place is a guess: the
     * reader of the preceding bytes confirms it (ds_reader_at_limit), since record data can
     * look like headers.
     */
    ds_status (*split)(const void *first, void **state, ds_format_ctx *ctx, ds_error *err);
} ds_format_reader;

/* ds_format_magic - do the first n bytes start a capture in a format we read? */
bool ds_format_magic(const uint8_t *p, size_t n);

/* ds_format_starts - the first (up to) 4 of n bytes in hex, for messages that say what a file
   that is not a capture starts with. */
void ds_format_starts(const uint8_t *p, size_t n, char hex[9]);

extern const ds_format_reader ds_pcap_format;
extern const ds_format_reader ds_pcapng_format;

/*
 * ds_format_find_boundary - for a format's split(): the first place at or after the window's
 * start, trying offsets first, first + step, ... below `search`, where chain(state, p, avail,
 * c, at_end) says records (blocks) follow one another from p[c] (1 yes, 0 no, -1 more bytes
 * needed; at_end: p[avail] is the end of the input). The bytes are asked for a little at a
 * time (most boundaries are in the first few KiB, and the tests split small files at thousands
 * of places). *at gets the place, or SIZE_MAX when there is none close enough; DS_OK or a
 * stream error. Nothing is consumed.
 */
ds_status ds_format_find_boundary(ds_format_ctx *ctx,
                                  int (*chain)(const void *state, const uint8_t *p, size_t avail,
                                               size_t c, bool at_end),
                                  const void *state, size_t first, size_t step, size_t search,
                                  size_t *at, ds_error *err);

/* ds_format_add_linktype - remember linktype in stats (the first DS_MAX_LINKTYPES distinct). */
void ds_format_add_linktype(ds_capture_stats *stats, uint32_t linktype);

#endif
