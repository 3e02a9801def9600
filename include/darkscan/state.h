/*
 * state.h - the persistent state: the mergeable aggregate of every capture ingested so far, kept
 * in an SQLite database, so that a darknet's captures are read once and the method runs over
 * months of them in seconds (`darkscan ingest`, `analyze --state`, `merge`).
 *
 * A state is made with one configuration (the darknet D, the window unit, the source prefix
 * length) and refuses any other. Each ingested source (a capture file, named by the SHA-256 of
 * its bytes, or a live capture session) keeps its own per-window contribution, so that
 * ingesting a file twice changes nothing and merging states is a union: associative,
 * commutative and idempotent. docs/STATE.md has the schema, the invariants and the arguments.
 *
 * A ds_state is one connection to the database; calls on one ds_state must not run at the same
 * time (ds_state_ingest_files serialises its own threads). Several processes may use the same
 * state file: writers take turns, one transaction per source.
 */
#ifndef DARKSCAN_STATE_H
#define DARKSCAN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/aggregate.h"
#include "darkscan/capture.h"
#include "darkscan/darknet.h"
#include "darkscan/detect.h"
#include "darkscan/error.h"
#include "darkscan/read.h"
#include "darkscan/window.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ds_state ds_state;

/* The length of a source id: a SHA-256. */
#define DS_STATE_ID_LEN 32

/*
 * What the caller wants the state to be made with. A NULL field means "whatever the state
 * has"; when the state is created, darknet is required and window and prefix default to month
 * and DS_PREFIX_DEFAULT.
 */
typedef struct ds_state_want {
    const ds_darknet *darknet;    /* finished; NULL: the state's */
    const ds_window_spec *window; /* NULL: the state's */
    const unsigned *prefix;       /* NULL: the state's */
} ds_state_want;

typedef struct ds_state_options {
    bool create;           /* create the file when it does not exist (needs want->darknet) */
    bool read_only;        /* open for reading only (analyze) */
    unsigned wait_ms;      /* how long to wait for another process's write transaction */
    unsigned compact_rows; /* ds_state_commit folds a window's tuple rows beyond this many
                              (0: DS_STATE_COMPACT_ROWS) */
    unsigned test_commit_delay_ms; /* tests only: sleep this long inside every commit's
                                      transaction, so that a kill can land there */
} ds_state_options;

/* Default: compact a window once it has more than this many uncompacted tuple rows. */
#define DS_STATE_COMPACT_ROWS 16u
/* Default wait for another writer: ten minutes. */
#define DS_STATE_WAIT_MS 600000u

/*
 * ds_state_open - open (or, with opt->create, create) the state at path and check that it was
 * made with what `want` asks for. Errors: DS_ERR_IO (cannot open or create, naming the file),
 * DS_ERR_FORMAT (not a darkscan state, or damaged), DS_ERR_UNSUPPORTED (made by a newer
 * darkscan), DS_ERR_INVALID (made with another darknet, window or prefix: the message says
 * which and both values), DS_ERR_LIMIT (another process held the database longer than
 * opt->wait_ms). On success *out owns the state; close it with ds_state_close().
 */
ds_status ds_state_open(ds_state **out, const char *path, const ds_state_want *want,
                        const ds_state_options *opt, ds_error *err);
void ds_state_close(ds_state *st);

/*
 * ds_state_config - what the state was made with. The darknet belongs to the state and lives
 * until ds_state_close(); aggregates made with this configuration must be freed before.
 */
const ds_agg_config *ds_state_config(const ds_state *st);

/*
 * ds_state_set_compact_rows - change ds_state_options.compact_rows after opening (0: the
 * default). A live capture, which adds a row per window at every flush, folds less often.
 */
void ds_state_set_compact_rows(ds_state *st, unsigned rows);

/* ds_state_path - the path given to ds_state_open (lives as long as st). */
const char *ds_state_path(const ds_state *st);

/* A source: one ingested capture file or one live capture session. */
typedef enum ds_state_kind {
    DS_STATE_FILE = 0,
    DS_STATE_LIVE = 1,
} ds_state_kind;

typedef struct ds_state_source {
    uint8_t id[DS_STATE_ID_LEN]; /* file: SHA-256 of its bytes; live: random */
    ds_state_kind kind;
    char *path;             /* as given when ingested ("-": standard input; live: "live:IFACE") */
    uint64_t size;          /* bytes of the file as read (compressed); live: 0 */
    uint64_t version;       /* 0 when first ingested; +1 per --force; live: flushes so far */
    int64_t ingested_ns;    /* when it was (last) written, ns since the epoch */
    int64_t first_ts_ns;    /* earliest record time, INT64_MAX when none */
    int64_t last_ts_ns;     /* latest record time, INT64_MIN when none */
    uint64_t records;       /* capture records of every kind */
    uint64_t ipv4;          /* of which IPv4 (ds_packet records) */
    uint64_t syn;           /* IPv4 TCP SYN (to D or not) */
    uint64_t ipv6, non_ip;  /* skipped */
    uint64_t other_skipped; /* skipped: unknown link type, short or bad headers */
    bool truncated;         /* the file ended inside a record */
    bool failed;            /* the file could not be read to its end (what came before counts) */
    uint64_t dropped;       /* live: packets the kernel dropped (pcap_stats) */
} ds_state_source;

/* ds_state_source_clear - free what a ds_state_source owns (path) and zero it. */
void ds_state_source_clear(ds_state_source *src);

/*
 * ds_state_find - look a source up by id. *found tells whether it exists; when it does and out
 * is not NULL, *out is filled (out->path is malloc'd: ds_state_source_clear() it).
 */
ds_status ds_state_find(ds_state *st, const uint8_t id[DS_STATE_ID_LEN], ds_state_source *out,
                        bool *found, ds_error *err);

/*
 * A contribution: what one source adds to the state, encoded and ready to commit. Encoding is
 * the expensive part (compression) and needs no database access, so worker threads make
 * contributions in parallel and commit them one at a time.
 */
typedef struct ds_state_contrib ds_state_contrib;

/*
 * ds_state_contrib_new - encode a source's contribution: for every window of `tuples` its
 * tuple keys, and that window's counters (packets, times, coverage, per-host counters) taken
 * from `counters` (NULL: from `tuples`; a live session passes its running totals there). Both
 * aggregates must be made with the state's configuration; they are compacted as a side effect.
 * src is copied. Safe to call from several threads at once (it reads only the state's
 * configuration). *out owns the contribution: ds_state_contrib_free().
 */
ds_status ds_state_contrib_new(ds_state_contrib **out, const ds_state *st,
                               const ds_state_source *src, ds_aggregate *tuples,
                               ds_aggregate *counters, ds_error *err);
void ds_state_contrib_free(ds_state_contrib *c);

/* ds_state_contrib_bytes - the encoded size of a contribution (blobs only). */
uint64_t ds_state_contrib_bytes(const ds_state_contrib *c);

typedef enum ds_state_mode {
    DS_STATE_ADD = 0, /* a new source: skipped when its id is already in the state */
    DS_STATE_REPLACE, /* --force: replaces the source's contribution (version + 1) */
    DS_STATE_UPDATE,  /* live: the source's newer version (c's version must be higher) */
} ds_state_mode;

typedef enum ds_state_outcome {
    DS_STATE_ADDED = 0,
    DS_STATE_REPLACED,
    DS_STATE_SKIPPED, /* already there (DS_STATE_ADD), or not newer (DS_STATE_UPDATE) */
} ds_state_outcome;

/*
 * ds_state_commit - write a contribution in one transaction (BEGIN IMMEDIATE ... COMMIT): the
 * source record, its counters and its tuple rows, all or nothing. A crash at any moment leaves
 * the state as it was before or after this call. Then folds the tuple rows of windows that
 * have too many (ds_state_options.compact_rows), each window in its own transaction. Waits up
 * to wait_ms for another writer (DS_ERR_LIMIT after that).
 */
ds_status ds_state_commit(ds_state *st, const ds_state_contrib *c, ds_state_mode mode,
                          ds_state_outcome *outcome, ds_error *err);

/*
 * ds_state_load - the state's aggregate: a new aggregate made with ds_state_config(st), into
 * which every window's counters and tuple rows are merged, and in *info what the sources
 * were (files, records, skipped, truncated and failed files), as ds_read_files would report
 * them for the same captures. *out must be freed before the state is closed. DS_ERR_FORMAT
 * names the window and the row of a damaged blob.
 */
ds_status ds_state_load(ds_state *st, ds_aggregate **out, ds_input_info *info, ds_error *err);

/* What a merge or a prune did. */
typedef struct ds_state_merge_stats {
    uint64_t sources_added;   /* sources new to the state */
    uint64_t sources_updated; /* sources whose newer version replaced ours */
    uint64_t tuple_rows;      /* tuple rows copied */
} ds_state_merge_stats;

/*
 * ds_state_merge - add the state at other_path (read only, same configuration: DS_ERR_INVALID
 * otherwise) into st in one transaction: sources and counters by id, the newer version
 * winning; tuple rows by content. Merging a state into itself, or twice, changes nothing.
 */
ds_status ds_state_merge(ds_state *st, const char *other_path, ds_state_merge_stats *stats,
                         ds_error *err);

/*
 * ds_state_prune - keep only the newest keep_windows windows (by window id) that hold data;
 * delete the counters and tuples of older ones (source records stay, so their files are
 * still recognised and not ingested again). *removed (may be NULL) gets how many windows went.
 */
ds_status ds_state_prune(ds_state *st, uint64_t keep_windows, uint64_t *removed, ds_error *err);

/*
 * ds_state_compact - fold the tuple rows of every window with more than max_rows of them (0:
 * every window with more than one row) into the fewest rows, one transaction per window.
 */
ds_status ds_state_compact(ds_state *st, unsigned max_rows, ds_error *err);

/*
 * ds_state_list_sources - call fn once per source, ordered by path then id; a non-zero return
 * stops. The source (and its path) lives only during the call.
 */
typedef int (*ds_state_source_fn)(void *ctx, const ds_state_source *src);
ds_status ds_state_list_sources(ds_state *st, ds_state_source_fn fn, void *ctx, ds_error *err);

/* What is stored for one window. */
typedef struct ds_state_window_info {
    int64_t id;
    uint64_t sources;       /* sources with counters in the window */
    uint64_t counter_bytes; /* bytes of their counters blobs */
    uint64_t tuple_rows;    /* tuple rows (compacted or not) */
    uint64_t tuple_keys;    /* tuple keys over the rows (a key in two rows counts twice) */
    uint64_t tuple_bytes;   /* bytes of the tuple blobs */
} ds_state_window_info;

/*
 * ds_state_capture_files - the capture files the state was made from, when every source is a
 * file still at the path it was ingested from, with the same bytes (its SHA-256 is checked):
 * *out (zeroed or freed before) gets their paths, to free with ds_path_list_free(). Otherwise
 * DS_ERR_STATE, with err saying which source cannot be read again and why (standard input, a
 * live capture, a file gone or changed); DS_ERR_NOMEM when out of memory.
 */
ds_status ds_state_capture_files(ds_state *st, ds_path_list *out, ds_error *err);

/* ds_state_list_windows - call fn once per window with data, ascending id. */
typedef int (*ds_state_window_fn)(void *ctx, const ds_state_window_info *w);
ds_status ds_state_list_windows(ds_state *st, ds_state_window_fn fn, void *ctx, ds_error *err);

/*
 * Ingesting capture files: the whole job of `darkscan ingest CAPTURE...`, with worker threads.
 * Each worker takes the next file, hashes its bytes (in a second thread, beside the decoding),
 * skips it as soon as the hash shows it is already in the state, otherwise reads it into an
 * aggregate of its own, encodes the contribution and commits it.
 */
typedef enum ds_ingest_result {
    DS_INGEST_ADDED = 0,
    DS_INGEST_REPLACED, /* --force */
    DS_INGEST_SKIPPED,  /* already in the state (same content) */
    DS_INGEST_FAILED,   /* could not be opened or read; nothing recorded */
    DS_INGEST_DAMAGED,  /* read up to an error: recorded as failed, what came before counts */
} ds_ingest_result;

/* What happened to one file (for the events). */
typedef struct ds_ingest_file {
    const char *path;
    ds_ingest_result result;
    const ds_state_source *source; /* the record written, or for SKIPPED the existing one */
    const ds_capture_stats *stats; /* the reader's counters (NULL when not read) */
    uint64_t state_bytes;          /* encoded contribution size (ADDED, REPLACED, DAMAGED) */
    const ds_error *err;           /* FAILED, DAMAGED: why */
} ds_ingest_file;

/* Callbacks (each may be NULL), called one at a time from any thread. */
typedef struct ds_ingest_events {
    void (*file_done)(void *ctx, const ds_ingest_file *f);
    void (*progress)(void *ctx, const ds_read_progress *p); /* about every progress_interval_ms */
    unsigned progress_interval_ms;                          /* 0: 250 */
    void *ctx;
} ds_ingest_events;

/* Totals of an ingest. */
typedef struct ds_ingest_info {
    uint64_t added, replaced, skipped, failed, damaged; /* files by result */
    uint64_t packets;                                   /* IPv4 packets read */
    uint64_t state_bytes;                               /* bytes of contributions written */
} ds_ingest_info;

/*
 * ds_state_ingest_files - ingest every path of inputs ("-" is standard input, spooled to a
 * temporary file to be hashed) with up to `threads` workers. force re-reads files already in
 * the state (DS_STATE_REPLACE). Fails only on out-of-memory, a database error, or when threads
 * cannot start; a file that cannot be read is reported through the events and in info.
 */
ds_status ds_state_ingest_files(ds_state *st, const ds_path_list *inputs, unsigned threads,
                                bool force, const ds_ingest_events *events, ds_ingest_info *info,
                                ds_error *err);

/*
 * ds_state_random_id - a new random source id (getrandom), for a live capture session.
 * DS_ERR_IO when the system gives no random bytes.
 */
ds_status ds_state_random_id(uint8_t id[DS_STATE_ID_LEN], ds_error *err);

/*
 * ds_state_id_hex - the first `digits` hex digits of an id (digits <= 64) into buf (digits + 1
 * bytes); returns buf.
 */
char *ds_state_id_hex(const uint8_t id[DS_STATE_ID_LEN], unsigned digits, char *buf);

#ifdef __cplusplus
}
#endif
#endif
