/*
 * read.h - reading many capture files into one aggregate, with worker threads.
 *
 * Each worker takes the next file, reads it into its own aggregate, and the aggregates merge
 * at the end; since an aggregate is a mergeable value the answer does not depend on the order
 * or on the number of threads. When workers would otherwise wait, a large uncompressed pcap
 * is read in byte ranges by several workers at once; the file's stats and errors are still
 * exactly those of one serial reader. A file that cannot be read to its end is reported through the
 * events and the rest of the files are still read (what the bad file gave before the damage
 * counts).
 */
#ifndef DARKSCAN_READ_H
#define DARKSCAN_READ_H

#include <stddef.h>
#include <stdint.h>

#include "darkscan/aggregate.h"
#include "darkscan/capture.h"
#include "darkscan/detect.h"
#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How far the reading has come (for a progress line). */
typedef struct ds_read_progress {
    uint64_t packets;     /* IPv4 packets added so far */
    uint64_t bytes_done;  /* on-disk bytes of the files finished */
    uint64_t bytes_total; /* on-disk bytes of all regular files (stdin counts 0) */
    size_t files_done;
    size_t files_total;
} ds_read_progress;

/*
 * What happens while reading. Every callback may be NULL; they are called one at a time
 * (never concurrently), from any thread.
 */
typedef struct ds_read_events {
    /* a file could not be opened, or stopped with an error (err names file and reason) */
    void (*file_failed)(void *ctx, const char *path, const ds_error *err);
    /* a file ended inside a record; stats->records complete records counted */
    void (*file_truncated)(void *ctx, const char *path, const ds_capture_stats *stats);
    /* a file was read to its end (also after file_truncated) */
    void (*file_done)(void *ctx, const char *path, const ds_capture_stats *stats);
    /* about every progress_interval_ms while reading, from the calling thread */
    void (*progress)(void *ctx, const ds_read_progress *p);
    unsigned progress_interval_ms; /* 0: 250 */
    void *ctx;
} ds_read_events;

/*
 * ds_read_files - read every path of inputs into a new aggregate made with cfg, using up to
 * `threads` worker threads (at least 1, at most one per file). On DS_OK *out owns the
 * aggregate and *info says what was read (info->failed > 0 when some file failed: that is
 * not an error of this call). Fails only on out-of-memory or when threads cannot start.
 */
ds_status ds_read_files(const ds_path_list *inputs, const ds_agg_config *cfg, unsigned threads,
                        const ds_read_events *events, ds_aggregate **out, ds_input_info *info,
                        ds_error *err);

#ifdef __cplusplus
}
#endif
#endif
