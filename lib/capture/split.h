/*
 * split.h - several readers of one capture file at once, each over a byte range (private to
 * the library: lib/pipeline/read.c uses it).
 *
 * A reader opened at the file's start reads as usual. Another reader of the same open file
 * (ds_reader_open_at) starts at a byte offset, where the format reader finds the first place
 * that looks like a record boundary: a guess, since record data can look like record headers.
 * The reader of the bytes before it gets the guess as its limit (ds_reader_set_limit): it
 * stops before the first record that starts at or after the limit, and the offset where it
 * stopped (ds_reader_at_limit) confirms the guess when the two are equal - then both readers
 * together have read every record exactly once, as one reader would have. When they differ
 * the guess was wrong: the first reader goes on (a higher limit) and what the second read is
 * thrown away.
 */
#ifndef DS_CAPTURE_SPLIT_H
#define DS_CAPTURE_SPLIT_H

#include <stdbool.h>
#include <stdint.h>

#include "darkscan/capture.h"

/*
 * ds_reader_can_split - whether r may have readers at other offsets: an uncompressed regular
 * file in a format that can find record boundaries (classic pcap without the length-order
 * quirks).
 */
bool ds_reader_can_split(const ds_reader *r);

/*
 * ds_reader_open_at - a reader of first's file (ds_reader_can_split) starting at the first
 * record boundary it finds at or after `offset` (ds_reader_offset gives it). *out is NULL when
 * none is found within a few hundred KiB (the bytes must then be read by the reader before).
 * Its stats count only what it reads (bytes: from where it starts).
 */
ds_status ds_reader_open_at(ds_reader **out, const ds_reader *first, uint64_t offset,
                            ds_error *err);

/*
 * ds_reader_set_limit - make ds_reader_next stop (DS_OK, no packets) before the first record
 * that starts at or after byte `limit` (UINT64_MAX: none). Raising the limit after a stop lets
 * the reader go on.
 */
void ds_reader_set_limit(ds_reader *r, uint64_t limit);

/* ds_reader_at_limit - whether the reader stopped at its limit; *offset gets where. */
bool ds_reader_at_limit(const ds_reader *r, uint64_t *offset);

/*
 * ds_reader_keeps_state - whether a reader opened after r (ds_reader_open_at) read with the
 * state r has where it stopped: a pcapng reader opened at an offset takes the file's leading
 * section and interfaces, so a reader that met a section header or an interface description
 * after its first packet block does not confirm the one after it (which is then thrown away,
 * as after a wrong guess). Always true for classic pcap.
 */
bool ds_reader_keeps_state(const ds_reader *r);

/* ds_reader_offset - the byte offset of the next record (or of the end) in the file. */
uint64_t ds_reader_offset(const ds_reader *r);

/*
 * ds_capture_stats_add - the stats of a reader that read the bytes right after those of
 * `into`'s, added to `into`: counts add, times widen, link types join in order.
 */
void ds_capture_stats_add(ds_capture_stats *into, const ds_capture_stats *from);

#endif
