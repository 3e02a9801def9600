/*
 * aggregate_int.h - the aggregate's internals that the library's other modules and the tests
 * use but the public API does not offer.
 */
#ifndef DS_AGGREGATE_INT_H
#define DS_AGGREGATE_INT_H

#include <stddef.h>

#include "darkscan/aggregate.h"

/*
 * Keys a window buffers before it sorts them into a run, and all windows together before every
 * buffer is sorted (the defaults). A larger buffer means fewer merges of the runs (each key is
 * merged about log2(distinct keys / buffer) times): 4 Mi keys (32 MiB, plus as much scratch
 * for the sort) measured best (docs/PERFORMANCE.md).
 */
#define DS_AGG_BUFFER_KEYS ((size_t)1 << 22)
/*
 * The same for a worker fed by a zstd or lz4 decompression thread: it sorts and merges in
 * shorter bursts, which the thread's ring of decompressed chunks rides out, so that the thread
 * (there the slower side) seldom stops: `analyze -j 1` on the bench's zstd file 1.81-1.83 s
 * against 1.93-1.94 s with 4 Mi keys (docs/PERFORMANCE.md).
 */
#define DS_AGG_RING_BUFFER_KEYS ((size_t)1 << 20)

/*
 * ds_aggregate_set_buffer - how many new keys a window buffers before it sorts them into a
 * run (max_keys) and how many all windows together buffer before every buffer is sorted
 * (budget_keys); both at least 1. A buffer already larger than max_keys is used up first.
 * The tests make them tiny so that small inputs go through every path.
 */
void ds_aggregate_set_buffer(ds_aggregate *agg, size_t max_keys, size_t budget_keys);

/*
 * ds_aggregate_compact_all - sort every window's buffer into its runs and merge them down to
 * at most max_runs (>= 1), then free the buffers and the sort's scratch: what a worker of
 * ds_read_files() does with its aggregate when it has read everything, in parallel with the
 * other workers. A lone worker leaves two runs: the coverage walk merges two on the fly for
 * about what it costs to walk one, which saves a merge of every key (docs/PERFORMANCE.md).
 */
ds_status ds_aggregate_compact_all(ds_aggregate *agg, size_t max_runs, ds_error *err);

/*
 * ds_aggregate_absorb - move everything of `from` into `into` (same configuration): counters
 * add, and the tuple runs move without being copied or merged; ds_aggregate_coverage() walks a
 * few runs merged on the fly, so that ds_read_files() has no serial merge of the workers' sets
 * after reading. `from` is left empty (no windows) and is still to be freed.
 */
ds_status ds_aggregate_absorb(ds_aggregate *into, ds_aggregate *from, ds_error *err);

/*
 * ds_aggregate_set_threads - how many threads ds_aggregate_coverage() may use (default 1): with
 * 2 or more, a window of two runs (ds_read_files' two workers) is walked in two halves at once.
 * ds_read_files() passes its worker count.
 */
void ds_aggregate_set_threads(ds_aggregate *agg, unsigned threads);

/* ds_aggregate_key_count - tuple keys held, in runs and buffers (a key may be in several). */
size_t ds_aggregate_key_count(const ds_aggregate *agg);

/* ds_aggregate_run_count - window i's sorted runs (0 for a window that does not exist). */
size_t ds_aggregate_run_count(const ds_aggregate *agg, size_t i);

#endif
