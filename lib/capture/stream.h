/*
 * stream.h - a capture's bytes, decompressed, through one buffered window (private to
 * lib/capture/).
 *
 * A stream reads a path, standard input ("-") or a memory buffer. Its first bytes are sniffed
 * for a compression magic (gzip, bzip2, xz, zstd, lz4 frame: one ds_decompressor each in the
 * registry of stream.c); without one the bytes pass through unchanged.
 *
 * The format readers (pcap.c, pcapng.c) parse records in place: ds_stream_need() makes at
 * least `want` bytes of decompressed input contiguous in memory and returns a pointer into
 * the stream's buffer (or, zero copy, straight into the caller's memory for an uncompressed
 * memory stream, or into the chunk the decompression thread filled), ds_stream_consume() moves
 * past what was parsed. The window holds as much as the buffer allows (from a decompression
 * thread: the rest of its chunk), so a reader parses many records per call.
 *
 * End of input is not an error: need() then returns fewer bytes than asked. A compressed
 * stream that ends before its compressed end marker sets ds_stream_truncated(); damaged
 * compressed data or garbage after the end of a compressed stream is an error, reported by
 * need() once the bytes decoded before it have all been handed out.
 */
#ifndef DS_CAPTURE_STREAM_H
#define DS_CAPTURE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/capture.h"
#include "darkscan/error.h"

/* The most a caller may ask need() for at once. */
#define DS_STREAM_MAX_NEED (2u * 1024u * 1024u)

typedef struct ds_stream ds_stream;

/*
 * ds_stream_open - open path ("-" is standard input) and detect its compression.
 * On success *out owns the stream (ds_stream_free). On error *out is NULL and err names the
 * path and the reason.
 */
ds_status ds_stream_open(ds_stream **out, const char *path, ds_error *err);

/* ds_stream_open_mem - the same over len bytes at data (borrowed; must outlive the stream). */
ds_status ds_stream_open_mem(ds_stream **out, const void *data, size_t len, const char *name,
                             ds_error *err);

/*
 * ds_stream_can_open_at - whether s is an uncompressed regular file, which other streams may
 * read from any offset (ds_stream_open_at).
 */
bool ds_stream_can_open_at(const ds_stream *s);

/*
 * ds_stream_open_at - a second stream over the same open file as `first` (one that
 * ds_stream_can_open_at accepts), starting at byte `offset`; it reads with pread(), so both
 * read at once (parallel reading of one file, lib/pipeline/read.c). No sniffing: the bytes
 * are the file's.
 */
ds_status ds_stream_open_at(ds_stream **out, const ds_stream *first, uint64_t offset,
                            ds_error *err);

/*
 * ds_stream_need - make at least want bytes (<= DS_STREAM_MAX_NEED) of decompressed input
 * available at *data, *avail >= want, unless the input ends first: then *avail < want and it
 * is everything left. Returns DS_OK, or an error (I/O, damaged compressed data, garbage after
 * the end) once fewer than want bytes can be delivered; err then names the file and the
 * decompressed byte offset. *data stays valid until the next need/consume/skip call.
 */
ds_status ds_stream_need(ds_stream *s, size_t want, const uint8_t **data, size_t *avail,
                         ds_error *err);

/* ds_stream_consume - move past n bytes of the window (n <= the last *avail). */
void ds_stream_consume(ds_stream *s, size_t n);

/*
 * ds_stream_skip - move past n bytes, which may reach far beyond the window (a large block a
 * reader does not want). *skipped gets how many were skipped: fewer than n only at the end of
 * the input. Errors as for need().
 */
ds_status ds_stream_skip(ds_stream *s, uint64_t n, uint64_t *skipped, ds_error *err);

/* ds_stream_offset - the decompressed byte offset of the start of the window. */
uint64_t ds_stream_offset(const ds_stream *s);

/* ds_stream_truncated - the compressed input ended inside a compressed stream. */
bool ds_stream_truncated(const ds_stream *s);

/* ds_stream_compressed_magic - do the first n bytes start a compression format we read? */
bool ds_stream_compressed_magic(const uint8_t *p, size_t n);

ds_compression ds_stream_compression(const ds_stream *s);

/* ds_stream_name - the path or name given at open time; lives as long as the stream. */
const char *ds_stream_name(const ds_stream *s);

/* ds_stream_zstd_direct_frames - how many zstd frames this process decoded straight into a
 * decompression thread's ring (libzstd's buffer-less API) rather than by streaming: for tests. */
uint64_t ds_stream_zstd_direct_frames(void);

/* ds_stream_free - close and free. NULL is a no-op. */
void ds_stream_free(ds_stream *s);

#endif
