/*
 * maintain.c - what changes a state beyond adding sources: compaction of tuple rows, pruning
 * of old windows, and the merge of another state (see docs/STATE.md for why each keeps the
 * state's aggregate exact).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "state/state_int.h"

/* ---- compaction ---- */

static ds_status compact_sink(void *ctx, int64_t win, const uint8_t digest[32], uint64_t n_keys,
                              ds_blob *blob, ds_error *err)
{
    ds_state *st = ctx;
    sqlite3_stmt *del = NULL, *ins = NULL;
    ds_status s = ds_state_prepare(st, "DELETE FROM absorbed WHERE win = ? AND digest = ?", &del,
                                   "compacting tuples", err);
    if (s == DS_OK)
        s = ds_state_prepare(st,
                             "INSERT OR REPLACE INTO tuples (win, digest, source, keys, data) "
                             "VALUES (?, ?, NULL, ?, ?)",
                             &ins, "compacting tuples", err);
    if (s == DS_OK) {
        sqlite3_bind_int64(del, 1, win);
        sqlite3_bind_blob(del, 2, digest, 32, SQLITE_STATIC);
        int rc = sqlite3_step(del);
        if (rc != SQLITE_DONE)
            s = ds_state_sql_error(st, rc, "compacting tuples", err);
    }
    if (s == DS_OK) {
        sqlite3_bind_int64(ins, 1, win);
        sqlite3_bind_blob(ins, 2, digest, 32, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, (sqlite3_int64)n_keys);
        sqlite3_bind_blob64(ins, 4, blob->data, blob->len, SQLITE_STATIC);
        int rc = sqlite3_step(ins);
        if (rc != SQLITE_DONE)
            s = ds_state_sql_error(st, rc, "compacting tuples", err);
    }
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return s;
}

/* fold - union the tuple rows of win into new compacted rows (inside a transaction). */
static ds_status fold(ds_state *st, int64_t win, ds_error *err)
{
    ds_aggregate *agg = NULL;
    sqlite3_stmt *sel = NULL, *absorb = NULL;
    ds_status s = ds_aggregate_new(&agg, &st->cfg, err);
    if (s == DS_OK)
        s = ds_state_prepare(st, "SELECT win, data, rowid, digest FROM tuples WHERE win = ?", &sel,
                             "compacting tuples", err);
    if (s == DS_OK)
        s = ds_state_prepare(st, "INSERT OR IGNORE INTO absorbed (win, digest) VALUES (?, ?)",
                             &absorb, "compacting tuples", err);
    if (s != DS_OK)
        goto out;
    sqlite3_bind_int64(sel, 1, win);
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        s = ds_state_import_tuples(st, agg, sel, err);
        if (s != DS_OK)
            goto out;
        if (sqlite3_column_bytes(sel, 3) == 32) {
            sqlite3_bind_int64(absorb, 1, win);
            sqlite3_bind_blob(absorb, 2, sqlite3_column_blob(sel, 3), 32, SQLITE_TRANSIENT);
            int arc = sqlite3_step(absorb);
            sqlite3_reset(absorb);
            if (arc != SQLITE_DONE) {
                s = ds_state_sql_error(st, arc, "compacting tuples", err);
                goto out;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        s = ds_state_sql_error(st, rc, "compacting tuples", err);
        goto out;
    }
    sqlite3_finalize(sel);
    sel = NULL;
    s = ds_state_prepare(st, "DELETE FROM tuples WHERE win = ?", &sel, "compacting tuples", err);
    if (s != DS_OK)
        goto out;
    sqlite3_bind_int64(sel, 1, win);
    rc = sqlite3_step(sel);
    if (rc != SQLITE_DONE) {
        s = ds_state_sql_error(st, rc, "compacting tuples", err);
        goto out;
    }
    if (ds_aggregate_window_count(agg) == 1) {
        const uint64_t *keys;
        size_t n;
        s = ds_aggregate_tuples(agg, 0, &keys, &n, err);
        if (s == DS_OK)
            s = ds_state_encode_tuples(keys, n, win, compact_sink, st, err);
    }
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(absorb);
    ds_aggregate_free(agg);
    return s;
}

ds_status ds_state_compact_window(ds_state *st, int64_t win, unsigned max_rows, ds_error *err)
{
    ds_status s = ds_state_begin(st, "compacting tuples", err);
    if (s != DS_OK)
        return s;
    sqlite3_stmt *stmt;
    s = ds_state_prepare(st, "SELECT count(*), coalesce(sum(keys), 0) FROM tuples WHERE win = ?",
                         &stmt, "compacting tuples", err);
    if (s != DS_OK) {
        ds_state_rollback(st);
        return s;
    }
    sqlite3_bind_int64(stmt, 1, win);
    int rc = sqlite3_step(stmt);
    uint64_t rows = 0, keys = 0;
    if (rc == SQLITE_ROW) {
        rows = (uint64_t)sqlite3_column_int64(stmt, 0);
        keys = (uint64_t)sqlite3_column_int64(stmt, 1);
    } else {
        s = ds_state_sql_error(st, rc, "compacting tuples", err);
    }
    sqlite3_finalize(stmt);
    uint64_t needed = (keys + DS_BLOB_CHUNK - 1) / DS_BLOB_CHUNK;
    if (s != DS_OK || rows <= (needed ? needed : 1) + max_rows) {
        ds_state_rollback(st);
        return s;
    }
    s = fold(st, win, err);
    if (s == DS_OK) {
        ds_state_test_delay(st);
        s = ds_state_commit_tx(st, "compacting tuples", err);
    }
    if (s != DS_OK)
        ds_state_rollback(st);
    return s;
}

ds_status ds_state_compact(ds_state *st, unsigned max_rows, ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st, "SELECT DISTINCT win FROM tuples ORDER BY win", &stmt,
                                   "compacting tuples", err);
    if (s != DS_OK)
        return s;
    int64_t *wins = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *grown = realloc(wins, cap * sizeof(*grown));
            if (grown == NULL) {
                s = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
                break;
            }
            wins = grown;
        }
        wins[n++] = sqlite3_column_int64(stmt, 0);
    }
    if (s == DS_OK && rc != SQLITE_DONE)
        s = ds_state_sql_error(st, rc, "compacting tuples", err);
    sqlite3_finalize(stmt);
    for (size_t i = 0; i < n && s == DS_OK; i++)
        s = ds_state_compact_window(st, wins[i], max_rows, err);
    free(wins);
    /* Give the pages of the folded rows back to the file system (auto_vacuum = INCREMENTAL). */
    if (s == DS_OK)
        s = ds_state_exec(st, "PRAGMA incremental_vacuum", "compacting tuples", err);
    return s;
}

/* ---- pruning ---- */

ds_status ds_state_prune(ds_state *st, uint64_t keep_windows, uint64_t *removed, ds_error *err)
{
    if (removed != NULL)
        *removed = 0;
    if (keep_windows == 0)
        return ds_error_set(err, DS_ERR_INVALID, "keep at least one window");
    ds_status s = ds_state_begin(st, "pruning windows", err);
    if (s != DS_OK)
        return s;
    sqlite3_stmt *stmt = NULL;
    s = ds_state_prepare(st,
                         "WITH w AS (SELECT win FROM counters UNION SELECT win FROM tuples) "
                         "SELECT (SELECT win FROM w ORDER BY win DESC LIMIT 1 OFFSET ?), "
                         "(SELECT count(*) FROM w)",
                         &stmt, "pruning windows", err);
    if (s != DS_OK)
        goto fail;
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)(keep_windows - 1));
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        s = ds_state_sql_error(st, rc, "pruning windows", err);
        goto fail;
    }
    bool any = sqlite3_column_type(stmt, 0) != SQLITE_NULL;
    int64_t cutoff = sqlite3_column_int64(stmt, 0);
    uint64_t total = (uint64_t)sqlite3_column_int64(stmt, 1);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (!any || total <= keep_windows) {
        ds_state_rollback(st);
        return DS_OK;
    }
    static const char *const del[3] = {"DELETE FROM counters WHERE win < ?",
                                       "DELETE FROM tuples WHERE win < ?",
                                       "DELETE FROM absorbed WHERE win < ?"};
    for (int i = 0; i < 3; i++) {
        s = ds_state_prepare(st, del[i], &stmt, "pruning windows", err);
        if (s != DS_OK)
            goto fail;
        sqlite3_bind_int64(stmt, 1, cutoff);
        rc = sqlite3_step(stmt);
        sqlite3_finalize(stmt);
        stmt = NULL;
        if (rc != SQLITE_DONE) {
            s = ds_state_sql_error(st, rc, "pruning windows", err);
            goto fail;
        }
    }
    s = ds_state_commit_tx(st, "pruning windows", err);
    if (s != DS_OK)
        return s;
    if (removed != NULL)
        *removed = total - keep_windows;
    /* Give the freed pages back to the file system (auto_vacuum = INCREMENTAL). */
    return ds_state_exec(st, "PRAGMA incremental_vacuum", "pruning windows", err);
fail:
    sqlite3_finalize(stmt);
    ds_state_rollback(st);
    return s;
}

/* ---- merging ---- */

static ds_status src_meta(ds_state *st, const char *key, char **out, const char *other,
                          ds_error *err)
{
    sqlite3_stmt *stmt;
    *out = NULL;
    ds_status s = ds_state_prepare(st, "SELECT value FROM src.meta WHERE key = ?", &stmt,
                                   "reading the other state", err);
    if (s != DS_OK)
        return s;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(stmt, 0);
        *out = strdup(v ? (const char *)v : "");
        if (*out == NULL)
            s = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        s = ds_error_set(err, DS_ERR_FORMAT, "%s: not a darkscan state (no '%s')", other, key);
    } else {
        s = ds_state_sql_error(st, rc, "reading the other state", err);
    }
    sqlite3_finalize(stmt);
    return s;
}

/* check_other - the attached state `src` is a darkscan state made like st. */
static ds_status check_other(ds_state *st, const char *other, ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s =
        ds_state_prepare(st, "PRAGMA src.application_id", &stmt, "reading the other state", err);
    if (s != DS_OK) {
        ds_error_prefix(err, "%s", other);
        return s;
    }
    int rc = sqlite3_step(stmt);
    int64_t app = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW)
        return ds_error_set(err, DS_ERR_FORMAT, "%s: not a darkscan state (%s)", other,
                            sqlite3_errmsg(st->db));
    if (app != DS_STATE_APPLICATION_ID)
        return ds_error_set(err, DS_ERR_FORMAT, "%s: not a darkscan state", other);
    char *format = NULL, *darknet = NULL, *window = NULL, *prefix = NULL;
    s = src_meta(st, "format", &format, other, err);
    if (s == DS_OK && strcmp(format, "1") != 0)
        s = ds_error_set(err, DS_ERR_UNSUPPORTED, "%s: state format %s (this darkscan reads 1)",
                         other, format);
    if (s == DS_OK)
        s = src_meta(st, "darknet", &darknet, other, err);
    if (s == DS_OK)
        s = src_meta(st, "window", &window, other, err);
    if (s == DS_OK)
        s = src_meta(st, "prefix", &prefix, other, err);
    if (s == DS_OK) {
        char wname[32], pname[16];
        ds_window_spec_name(&st->cfg.window, wname, sizeof(wname));
        snprintf(pname, sizeof(pname), "%u", st->cfg.prefix);
        if (strcmp(window, wname) != 0)
            s = ds_error_set(err, DS_ERR_INVALID,
                             "%s: made with --window %s, %s with --window %s: states merge only "
                             "when made with the same darknet, window and prefix",
                             other, window, st->path, wname);
        else if (strcmp(prefix, pname) != 0)
            s = ds_error_set(err, DS_ERR_INVALID,
                             "%s: made with --prefix %s, %s with --prefix %s: states merge only "
                             "when made with the same darknet, window and prefix",
                             other, prefix, st->path, pname);
        else if (strcmp(darknet, st->darknet_text) != 0)
            s = ds_error_set(err, DS_ERR_INVALID,
                             "%s: made with another darknet than %s: states merge only when made "
                             "with the same darknet, window and prefix",
                             other, st->path);
    }
    free(format);
    free(darknet);
    free(window);
    free(prefix);
    return s;
}

static ds_status count_query(ds_state *st, const char *sql, uint64_t *out, ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st, sql, &stmt, "merging", err);
    if (s != DS_OK)
        return s;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(stmt, 0);
    else
        s = ds_state_sql_error(st, rc, "merging", err);
    sqlite3_finalize(stmt);
    return s;
}

static const char merge_sources_sql[] =
    "INSERT INTO main.sources (id, kind, path, size, version, ingested_ns, first_ts_ns, "
    "  last_ts_ns, records, ipv4, syn, ipv6, non_ip, other_skipped, truncated, failed, dropped) "
    "SELECT id, kind, path, size, version, ingested_ns, first_ts_ns, last_ts_ns, records, ipv4, "
    "  syn, ipv6, non_ip, other_skipped, truncated, failed, dropped FROM src.sources WHERE true "
    "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, path = excluded.path, "
    "  size = excluded.size, version = excluded.version, ingested_ns = excluded.ingested_ns, "
    "  first_ts_ns = excluded.first_ts_ns, last_ts_ns = excluded.last_ts_ns, "
    "  records = excluded.records, ipv4 = excluded.ipv4, syn = excluded.syn, "
    "  ipv6 = excluded.ipv6, non_ip = excluded.non_ip, other_skipped = excluded.other_skipped, "
    "  truncated = excluded.truncated, failed = excluded.failed, dropped = excluded.dropped "
    "WHERE (excluded.version, excluded.path) > (sources.version, sources.path)";

static const char merge_counters_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS merge_pick (win INTEGER NOT NULL, source BLOB NOT NULL, "
    "  PRIMARY KEY (win, source)) WITHOUT ROWID;"
    "DELETE FROM temp.merge_pick;"
    "INSERT INTO temp.merge_pick SELECT i.win, i.source FROM src.counters i "
    "  LEFT JOIN main.counters o ON o.win = i.win AND o.source = i.source AND o.part = 0 "
    "  WHERE i.part = 0 AND (o.source IS NULL OR i.version > o.version "
    "    OR (i.version = o.version AND i.data > o.data));"
    "DELETE FROM main.counters WHERE (win, source) IN (SELECT win, source FROM temp.merge_pick);"
    "INSERT INTO main.counters (win, source, part, version, data) "
    "  SELECT i.win, i.source, i.part, i.version, i.data FROM src.counters i "
    "  JOIN temp.merge_pick p ON p.win = i.win AND p.source = i.source;"
    "DELETE FROM temp.merge_pick;";

static const char merge_absorbed_sql[] =
    "INSERT OR IGNORE INTO main.absorbed (win, digest) SELECT a.win, a.digest FROM src.absorbed a "
    "  WHERE NOT EXISTS (SELECT 1 FROM main.tuples t WHERE t.win = a.win AND "
    "  t.digest = a.digest)";

static const char merge_tuples_sql[] =
    "INSERT OR IGNORE INTO main.tuples (win, digest, source, keys, data) "
    "  SELECT o.win, o.digest, o.source, o.keys, o.data FROM src.tuples o "
    "  WHERE NOT EXISTS (SELECT 1 FROM main.absorbed a WHERE a.win = o.win AND "
    "  a.digest = o.digest)";

ds_status ds_state_merge(ds_state *st, const char *other_path, ds_state_merge_stats *stats,
                         ds_error *err)
{
    memset(stats, 0, sizeof(*stats));
    struct stat a, b;
    if (stat(other_path, &b) != 0)
        return ds_error_set(err, DS_ERR_IO, "%s: no such state file", other_path);
    if (stat(st->path, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return DS_OK; /* a state merged into itself: nothing changes */
    char *uri = ds_state_uri(other_path, true);
    if (uri == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st, "ATTACH DATABASE ? AS src", &stmt, "opening", err);
    if (s == DS_OK) {
        sqlite3_bind_text(stmt, 1, uri, -1, SQLITE_STATIC);
        int rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE)
            s = ds_error_set(err, DS_ERR_IO, "%s: cannot open: %s", other_path,
                             sqlite3_errmsg(st->db));
        sqlite3_finalize(stmt);
    }
    free(uri);
    if (s != DS_OK)
        return s;
    s = check_other(st, other_path, err);
    if (s == DS_OK)
        s = ds_state_begin(st, "merging", err);
    if (s != DS_OK)
        goto detach;
    s = count_query(st,
                    "SELECT count(*) FROM src.sources o WHERE NOT EXISTS "
                    "(SELECT 1 FROM main.sources m WHERE m.id = o.id)",
                    &stats->sources_added, err);
    if (s == DS_OK)
        s = count_query(st,
                        "SELECT count(*) FROM src.sources o JOIN main.sources m ON m.id = o.id "
                        "WHERE (o.version, o.path) > (m.version, m.path)",
                        &stats->sources_updated, err);
    if (s == DS_OK)
        s = ds_state_exec(st, merge_sources_sql, "merging sources", err);
    if (s == DS_OK)
        s = ds_state_exec(st, merge_counters_sql, "merging counters", err);
    if (s == DS_OK)
        s = ds_state_exec(st, merge_absorbed_sql, "merging tuples", err);
    if (s == DS_OK)
        s = ds_state_exec(st, merge_tuples_sql, "merging tuples", err);
    if (s == DS_OK)
        stats->tuple_rows = (uint64_t)sqlite3_changes64(st->db);
    if (s == DS_OK)
        s = ds_state_commit_tx(st, "merging", err);
    if (s != DS_OK) {
        ds_state_rollback(st);
        ds_error_prefix(err, "merging %s", other_path);
    }
detach:
    sqlite3_exec(st->db, "DETACH DATABASE src", NULL, NULL, NULL);
    if (s == DS_OK)
        s = ds_state_compact(st, st->opt.compact_rows, err);
    return s;
}
