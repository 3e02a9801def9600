/*
 * state_int.h - what the files of lib/state/ share (private to libdarkscan).
 */
#ifndef DS_STATE_STATE_INT_H
#define DS_STATE_STATE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "darkscan/state.h"
#include "state/blob.h"

/* 'DSK1' in the database header: `file` and darkscan recognise a state by it. */
#define DS_STATE_APPLICATION_ID 0x44534b31

struct ds_state {
    sqlite3 *db;
    char *path;
    ds_state_options opt;
    ds_darknet *darknet; /* rebuilt from meta 'darknet' */
    char *darknet_text;  /* meta 'darknet': the canonical darknet list */
    ds_agg_config cfg;
    sqlite3_stmt *ins_tuple; /* cached: ds_state_insert_tuple_row */
};

/* SQL helpers: every failure becomes a ds_error naming the state file and what was being done. */
ds_status ds_state_sql_error(ds_state *st, int rc, const char *doing, ds_error *err);
/* ds_state_test_delay - the pause of DARKSCAN_TEST_COMMIT_DELAY_MS (tests only; 0: none). */
void ds_state_test_delay(const ds_state *st);
ds_status ds_state_import_tuples(ds_state *st, ds_aggregate *agg, sqlite3_stmt *stmt,
                                 ds_error *err);
ds_status ds_state_exec(ds_state *st, const char *sql, const char *doing, ds_error *err);
ds_status ds_state_prepare(ds_state *st, const char *sql, sqlite3_stmt **stmt, const char *doing,
                           ds_error *err);
/* BEGIN IMMEDIATE: the write lock now (waiting up to wait_ms), never an upgrade later. */
ds_status ds_state_begin(ds_state *st, const char *doing, ds_error *err);
/* COMMIT, rolling back when it fails. */
ds_status ds_state_commit_tx(ds_state *st, const char *doing, ds_error *err);
/* ROLLBACK when a transaction is open. */
void ds_state_rollback(ds_state *st);

/* ds_state_uri - a file: URI for path (percent-encoded), "?mode=ro" when read_only. malloc'd. */
char *ds_state_uri(const char *path, bool read_only);

/* ds_state_darknet_text - the canonical darknet list (malloc'd; NULL when out of memory). */
char *ds_state_darknet_text(const ds_darknet *d);

/* A receiver of encoded tuple chunks (the blob may be taken: leave it zeroed then). */
typedef ds_status (*ds_state_tuple_sink)(void *ctx, int64_t win, const uint8_t digest[32],
                                         uint64_t n_keys, ds_blob *blob, ds_error *err);

/* ds_state_encode_tuples - n sorted distinct keys as chunks of at most DS_BLOB_CHUNK keys. */
ds_status ds_state_encode_tuples(const uint64_t *keys, size_t n, int64_t win,
                                 ds_state_tuple_sink sink, void *ctx, ds_error *err);

/*
 * ds_state_insert_tuple_row - insert a tuple row unless a row of that name exists in the
 * window or was absorbed into a compacted one (inside the caller's transaction).
 */
ds_status ds_state_insert_tuple_row(ds_state *st, int64_t win, const uint8_t digest[32],
                                    const uint8_t *source, uint64_t n_keys, const ds_blob *blob,
                                    ds_error *err);

/*
 * ds_state_compact_window - fold the tuple rows of window win when it has more than max_rows
 * rows beyond the chunks its keys need (0: more than the chunks needed), in one transaction.
 */
ds_status ds_state_compact_window(ds_state *st, int64_t win, unsigned max_rows, ds_error *err);

#endif
