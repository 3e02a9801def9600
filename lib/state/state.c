/*
 * state.c - the persistent state in SQLite (see include/darkscan/state.h and docs/STATE.md).
 *
 * Tables: meta (what the state is made with), sources (one row per ingested file or live
 * session), counters (per window and source: the source's additive counters, in parts of at
 * most DS_BLOB_CHUNK hosts), tuples (per window: sets of tuple keys, named by the SHA-256 of
 * their payload; a row either belongs to one source or is a compacted union), absorbed (the
 * names of tuple rows folded into a compacted row, so that merging them in again is skipped).
 *
 * The state's aggregate is: for every window, the sum over sources of their counters, and the
 * union of all its tuple rows. Every write is one BEGIN IMMEDIATE transaction in WAL mode with
 * synchronous=FULL, so a crash leaves the database as it was before or after it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "darkscan/state.h"
#include "darkscan/version.h"
#include "state/blob.h"
#include "util/sha256.h"
#include "state/state_int.h"

/* The schema version (PRAGMA user_version and meta 'format'). */
#define SCHEMA_VERSION 1

static const char schema_sql[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE sources ("
    "  id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 32),"
    "  kind TEXT NOT NULL CHECK (kind IN ('file', 'live')),"
    "  path TEXT NOT NULL, size INTEGER NOT NULL, version INTEGER NOT NULL,"
    "  ingested_ns INTEGER NOT NULL, first_ts_ns INTEGER, last_ts_ns INTEGER,"
    "  records INTEGER NOT NULL, ipv4 INTEGER NOT NULL, syn INTEGER NOT NULL,"
    "  ipv6 INTEGER NOT NULL, non_ip INTEGER NOT NULL, other_skipped INTEGER NOT NULL,"
    "  truncated INTEGER NOT NULL, failed INTEGER NOT NULL, dropped INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX sources_by_path ON sources (path);"
    "CREATE TABLE counters ("
    "  win INTEGER NOT NULL, source BLOB NOT NULL, part INTEGER NOT NULL,"
    "  version INTEGER NOT NULL, data BLOB NOT NULL, UNIQUE (win, source, part));"
    "CREATE INDEX counters_by_source ON counters (source);"
    "CREATE TABLE tuples ("
    "  win INTEGER NOT NULL, digest BLOB NOT NULL, source BLOB, keys INTEGER NOT NULL,"
    "  data BLOB NOT NULL, UNIQUE (win, digest));"
    "CREATE INDEX tuples_by_source ON tuples (source) WHERE source IS NOT NULL;"
    "CREATE TABLE absorbed (win INTEGER NOT NULL, digest BLOB NOT NULL,"
    "  PRIMARY KEY (win, digest)) WITHOUT ROWID;";

#define SOURCE_COLUMNS                                                                             \
    "id, kind, path, size, version, ingested_ns, first_ts_ns, last_ts_ns, records, ipv4, syn, "    \
    "ipv6, non_ip, other_skipped, truncated, failed, dropped"

/* ---- errors and small SQL helpers ---- */

ds_status ds_state_sql_error(ds_state *st, int rc, const char *doing, ds_error *err)
{
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return ds_error_set(err, DS_ERR_LIMIT,
                            "%s: the state is in use by another darkscan process (waited %u s "
                            "while %s); try again later or wait longer with --wait",
                            st->path, st->opt.wait_ms / 1000, doing);
    if (primary == SQLITE_NOMEM)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
        return ds_error_set(err, DS_ERR_FORMAT, "%s: %s while %s: the state is damaged", st->path,
                            sqlite3_errstr(rc), doing);
    if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN ||
        primary == SQLITE_READONLY || primary == SQLITE_PERM)
        return ds_error_set(err, DS_ERR_IO, "%s: %s while %s", st->path,
                            st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc), doing);
    return ds_error_set(err, DS_ERR_IO, "%s: SQLite error while %s: %s", st->path, doing,
                        st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * sqlite3_step() that waits for other processes up to --wait even where SQLite's busy handler
 * does not. Switching a new file to WAL mode needs an exclusive lock taken from a shared one;
 * when several processes create the same state at once, SQLite sees a possible deadlock and
 * returns SQLITE_BUSY at once instead of calling the busy handler. The statement holds no lock
 * after a failed step in autocommit mode, so retrying after a short random pause is safe.
 */
static int step_waiting(ds_state *st, sqlite3_stmt *stmt)
{
    uint64_t start = monotonic_ms();
    for (;;) {
        int rc = sqlite3_step(stmt);
        if ((rc & 0xff) != SQLITE_BUSY || monotonic_ms() - start >= st->opt.wait_ms)
            return rc;
        sqlite3_reset(stmt);
        uint32_t r = 0;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            r = (uint32_t)getpid();
        struct timespec pause = {0, (long)(1 + r % 20) * 1000000L};
        nanosleep(&pause, NULL);
    }
}

ds_status ds_state_exec(ds_state *st, const char *sql, const char *doing, ds_error *err)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? DS_OK : ds_state_sql_error(st, rc, doing, err);
}

ds_status ds_state_prepare(ds_state *st, const char *sql, sqlite3_stmt **stmt, const char *doing,
                           ds_error *err)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);
    return rc == SQLITE_OK ? DS_OK : ds_state_sql_error(st, rc, doing, err);
}

ds_status ds_state_begin(ds_state *st, const char *doing, ds_error *err)
{
    return ds_state_exec(st, "BEGIN IMMEDIATE", doing, err);
}

void ds_state_rollback(ds_state *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

ds_status ds_state_commit_tx(ds_state *st, const char *doing, ds_error *err)
{
    ds_status s = ds_state_exec(st, "COMMIT", doing, err);
    if (s != DS_OK)
        ds_state_rollback(st);
    return s;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *ds_state_id_hex(const uint8_t id[DS_STATE_ID_LEN], unsigned digits, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    if (digits > 2 * DS_STATE_ID_LEN)
        digits = 2 * DS_STATE_ID_LEN;
    for (unsigned i = 0; i < digits; i++)
        buf[i] = hex[(id[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    buf[digits] = '\0';
    return buf;
}

ds_status ds_state_random_id(uint8_t id[DS_STATE_ID_LEN], ds_error *err)
{
    size_t got = 0;
    while (got < DS_STATE_ID_LEN) {
        ssize_t n = getrandom(id + got, DS_STATE_ID_LEN - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ds_error_set(err, DS_ERR_IO, "getrandom: %s", strerror(errno));
        got += (size_t)n;
    }
    return DS_OK;
}

/* ---- the configuration ---- */

/* text_append - append to a malloc'd string; false when out of memory. */
static bool text_append(char **text, size_t *len, size_t *cap, const char *add)
{
    size_t n = strlen(add);
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (*len + n + 1 > c)
            c *= 2;
        char *grown = realloc(*text, c);
        if (grown == NULL)
            return false;
        *text = grown;
        *cap = c;
    }
    memcpy(*text + *len, add, n + 1);
    *len += n;
    return true;
}

/*
 * darknet_text - the darknet as a darknet list that rebuilds it exactly: every sensor in order
 * with its (disjoint) prefixes; a sensor left without addresses is listed with a copy of an
 * earlier prefix, which loses to it again. NULL when out of memory.
 */
char *ds_state_darknet_text(const ds_darknet *d)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    size_t n_prefixes = ds_darknet_prefix_count(d);
    char first_prefix[32] = "";
    if (!text_append(&text, &len, &cap, ""))
        return NULL;
    for (size_t s = 0; s < ds_darknet_sensor_count(d); s++) {
        const char *name = ds_darknet_sensor_name(d, s);
        bool any = false;
        for (size_t i = 0; i < n_prefixes; i++) {
            uint32_t addr;
            unsigned plen;
            size_t sensor;
            ds_darknet_prefix(d, i, &addr, &plen, &sensor);
            if (sensor != s)
                continue;
            char ip[16], line[300];
            snprintf(line, sizeof(line), "%s/%u %s\n", ds_format_ipv4(addr, ip), plen, name);
            if (!text_append(&text, &len, &cap, line)) {
                free(text);
                return NULL;
            }
            if (first_prefix[0] == '\0')
                snprintf(first_prefix, sizeof(first_prefix), "%s/%u", ip, plen);
            any = true;
        }
        if (!any && first_prefix[0] != '\0') {
            char line[300];
            snprintf(line, sizeof(line), "%s %s\n", first_prefix, name);
            if (!text_append(&text, &len, &cap, line)) {
                free(text);
                return NULL;
            }
        }
    }
    return text;
}

static void describe_darknet(const ds_darknet *d, char *buf, size_t len)
{
    uint32_t addr = 0;
    unsigned plen = 0;
    char ip[16];
    ds_darknet_prefix(d, 0, &addr, &plen, NULL);
    snprintf(buf, len, "%" PRIu64 " addresses in %zu prefixes from %s/%u, %zu sensors",
             ds_darknet_size(d), ds_darknet_prefix_count(d), ds_format_ipv4(addr, ip), plen,
             ds_darknet_sensor_count(d));
}

static ds_status check_want(ds_state *st, const ds_state_want *want, ds_error *err)
{
    if (want == NULL)
        return DS_OK;
    char a[32], b[32];
    if (want->window != NULL && (want->window->unit != st->cfg.window.unit ||
                                 want->window->seconds != st->cfg.window.seconds))
        return ds_error_set(err, DS_ERR_INVALID,
                            "%s: the state was made with --window %s, not %s: a state keeps one "
                            "window unit (use another state file)",
                            st->path, ds_window_spec_name(&st->cfg.window, a, sizeof(a)),
                            ds_window_spec_name(want->window, b, sizeof(b)));
    if (want->prefix != NULL && *want->prefix != st->cfg.prefix)
        return ds_error_set(err, DS_ERR_INVALID,
                            "%s: the state was made with --prefix %u, not %u: a state keeps one "
                            "source prefix length (use another state file)",
                            st->path, st->cfg.prefix, *want->prefix);
    if (want->darknet != NULL) {
        char *text = ds_state_darknet_text(want->darknet);
        if (text == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        bool same = strcmp(text, st->darknet_text) == 0;
        free(text);
        if (!same) {
            char have[160], given[160];
            describe_darknet(st->darknet, have, sizeof(have));
            describe_darknet(want->darknet, given, sizeof(given));
            return ds_error_set(err, DS_ERR_INVALID,
                                "%s: the state was made with another darknet (%s; given: %s, or "
                                "other sensor names): a state keeps one darknet (use another "
                                "state file)",
                                st->path, have, given);
        }
    }
    return DS_OK;
}

/* ---- opening ---- */

static ds_status query_int(ds_state *st, const char *sql, int64_t *out, const char *doing,
                           ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st, sql, &stmt, doing, err);
    if (s != DS_OK)
        return s;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    else if (rc == SQLITE_DONE)
        *out = 0;
    else
        s = ds_state_sql_error(st, rc, doing, err);
    sqlite3_finalize(stmt);
    return s;
}

static ds_status put_meta(ds_state *st, const char *key, const char *text, int64_t num,
                          ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                   &stmt, "creating the state", err);
    if (s != DS_OK)
        return s;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    if (text != NULL)
        sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(stmt, 2, num);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE)
        s = ds_state_sql_error(st, rc, "creating the state", err);
    sqlite3_finalize(stmt);
    return s;
}

static ds_status create_schema(ds_state *st, const ds_state_want *want, ds_error *err)
{
    ds_window_spec window = want->window ? *want->window : (ds_window_spec){DS_WINDOW_MONTH, 0};
    unsigned prefix = want->prefix ? *want->prefix : DS_PREFIX_DEFAULT;
    char wname[32], sql[128];
    /* Check that an aggregate can be made with this configuration before writing anything. */
    ds_agg_config cfg = {.darknet = want->darknet, .window = window, .prefix = prefix};
    ds_aggregate *probe = NULL;
    ds_status s = ds_aggregate_new(&probe, &cfg, err);
    ds_aggregate_free(probe);
    if (s != DS_OK)
        return s;
    char *text = ds_state_darknet_text(want->darknet);
    if (text == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             DS_STATE_APPLICATION_ID, SCHEMA_VERSION);
    s = ds_state_exec(st, schema_sql, "creating the state", err);
    if (s == DS_OK)
        s = ds_state_exec(st, sql, "creating the state", err);
    if (s == DS_OK)
        s = put_meta(st, "format", NULL, SCHEMA_VERSION, err);
    if (s == DS_OK)
        s = put_meta(st, "darknet", text, 0, err);
    if (s == DS_OK)
        s = put_meta(st, "darknet_size", NULL, (int64_t)ds_darknet_size(want->darknet), err);
    if (s == DS_OK)
        s = put_meta(st, "window", ds_window_spec_name(&window, wname, sizeof(wname)), 0, err);
    if (s == DS_OK)
        s = put_meta(st, "prefix", NULL, prefix, err);
    if (s == DS_OK)
        s = put_meta(st, "created_ns", NULL, now_ns(), err);
    if (s == DS_OK)
        s = put_meta(st, "created_by", ds_version(), 0, err);
    free(text);
    return s;
}

static ds_status get_meta_text(ds_state *st, const char *key, char **out, ds_error *err)
{
    sqlite3_stmt *stmt;
    *out = NULL;
    ds_status s =
        ds_state_prepare(st, "SELECT value FROM meta WHERE key = ?", &stmt, "reading meta", err);
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
        s = ds_error_set(err, DS_ERR_FORMAT, "%s: the state has no '%s' (damaged)", st->path, key);
    } else {
        s = ds_state_sql_error(st, rc, "reading meta", err);
    }
    sqlite3_finalize(stmt);
    return s;
}

/* read_config - meta into st->cfg (and the darknet rebuilt from its list). */
static ds_status read_config(ds_state *st, ds_error *err)
{
    char *format = NULL, *window = NULL, *prefix = NULL;
    ds_status s = get_meta_text(st, "format", &format, err);
    if (s == DS_OK && strcmp(format, "1") != 0)
        s = ds_error_set(err, DS_ERR_UNSUPPORTED,
                         "%s: state format %s (this darkscan reads format %d: a newer darkscan "
                         "made it)",
                         st->path, format, SCHEMA_VERSION);
    if (s == DS_OK)
        s = get_meta_text(st, "darknet", &st->darknet_text, err);
    if (s == DS_OK)
        s = get_meta_text(st, "window", &window, err);
    if (s == DS_OK)
        s = get_meta_text(st, "prefix", &prefix, err);
    if (s != DS_OK)
        goto out;
    st->darknet = ds_darknet_new();
    if (st->darknet == NULL) {
        s = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    ds_error e2;
    if (ds_darknet_load_buffer(st->darknet, st->darknet_text, strlen(st->darknet_text), "darknet",
                               &e2) != DS_OK ||
        ds_darknet_finish(st->darknet, NULL, &e2) != DS_OK) {
        s = ds_error_set(err, DS_ERR_FORMAT, "%s: the state's darknet is damaged: %s", st->path,
                         e2.msg);
        goto out;
    }
    if (ds_window_parse(window, &st->cfg.window, &e2) != DS_OK) {
        s = ds_error_set(err, DS_ERR_FORMAT, "%s: the state's window is damaged: %s", st->path,
                         e2.msg);
        goto out;
    }
    char *end;
    unsigned long p = strtoul(prefix, &end, 10);
    if (*end != '\0' || p < DS_PREFIX_MIN || p > DS_PREFIX_MAX) {
        s = ds_error_set(err, DS_ERR_FORMAT, "%s: the state's prefix '%s' is damaged", st->path,
                         prefix);
        goto out;
    }
    st->cfg.prefix = (unsigned)p;
    st->cfg.darknet = st->darknet;
out:
    free(format);
    free(window);
    free(prefix);
    return s;
}

ds_status ds_state_open(ds_state **out, const char *path, const ds_state_want *want,
                        const ds_state_options *opt, ds_error *err)
{
    static const ds_state_options defaults = {false, false, DS_STATE_WAIT_MS, 0, 0};
    *out = NULL;
    if (opt == NULL)
        opt = &defaults;
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (!exists && (!opt->create || opt->read_only))
        return ds_error_set(err, DS_ERR_IO, "%s: no such state file (darkscan ingest creates it)",
                            path);
    if (exists && S_ISDIR(sb.st_mode))
        return ds_error_set(err, DS_ERR_IO, "%s: is a directory, not a state file", path);
    ds_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    st->opt = *opt;
    if (st->opt.compact_rows == 0)
        st->opt.compact_rows = DS_STATE_COMPACT_ROWS;
    st->path = strdup(path);
    ds_status s = DS_OK;
    if (st->path == NULL) {
        s = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* A new state needs the darknet: say so before SQLite creates an empty file. */
    struct stat new_sb;
    if (opt->create && !opt->read_only && (want == NULL || want->darknet == NULL) &&
        stat(path, &new_sb) != 0 && errno == ENOENT) {
        s = ds_error_set(err, DS_ERR_INVALID, "%s: a new state needs the darknet (-d or -D)", path);
        goto fail;
    }
    /*
     * A reader opens the file read-write when it may, and then refuses writes itself (PRAGMA
     * query_only): after an ingest was killed, the write-ahead log is "hot" and the first
     * connection must rebuild its index, which SQLite cannot do through a read-only handle
     * ("attempt to write a readonly database"). Only a file it may not write is opened
     * read-only.
     */
    bool ro_handle = opt->read_only && access(path, W_OK) != 0;
    int flags = SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX |
                (ro_handle ? SQLITE_OPEN_READONLY
                           : SQLITE_OPEN_READWRITE | (opt->create ? SQLITE_OPEN_CREATE : 0));
    /* A path that looks like a URI is still a path. */
    char *name = ds_state_uri(path, ro_handle);
    if (name == NULL) {
        s = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    int rc = sqlite3_open_v2(name, &st->db, flags, NULL);
    free(name);
    if (rc != SQLITE_OK) {
        s = ds_error_set(err, DS_ERR_IO, "%s: cannot open the state: %s", path,
                         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, (int)(opt->wait_ms > INT32_MAX ? INT32_MAX : opt->wait_ms));
    if (opt->read_only && !ro_handle) {
        s = ds_state_exec(st, "PRAGMA query_only = ON", "opening the state", err);
        if (s != DS_OK)
            goto fail;
    }

    /* One statement, one snapshot: another process may be creating the state right now. */
    int64_t app = 0, tables = 0, both = 0;
    s = query_int(st,
                  "SELECT (SELECT count(*) FROM sqlite_schema) << 32 | "
                  "(SELECT application_id FROM pragma_application_id())",
                  &both, "opening the state", err);
    app = both & 0xffffffff;
    tables = both >> 32;
    if (s != DS_OK) {
        if (err != NULL && err->status == DS_ERR_FORMAT)
            ds_error_set(err, DS_ERR_FORMAT, "%s: not a darkscan state (%s)", path,
                         sqlite3_errmsg(st->db));
        goto fail;
    }
    if (app != DS_STATE_APPLICATION_ID && (app != 0 || tables != 0)) {
        s = ds_error_set(err, DS_ERR_FORMAT,
                         "%s: not a darkscan state (an SQLite database of another program)", path);
        goto fail;
    }
    if (app == 0 && (opt->read_only || !opt->create)) {
        s = ds_error_set(err, DS_ERR_FORMAT,
                         "%s: an empty state: nothing was ever committed to it (an ingest "
                         "stopped before its first commit leaves this; the next ingest makes it)",
                         path);
        goto fail;
    }
    if (!opt->read_only) {
        if (app == 0) {
            s = ds_state_exec(st, "PRAGMA auto_vacuum = INCREMENTAL", "creating the state", err);
            if (s != DS_OK)
                goto fail;
        }
        sqlite3_stmt *stmt;
        s = ds_state_prepare(st, "PRAGMA journal_mode = WAL", &stmt, "opening the state", err);
        if (s != DS_OK)
            goto fail;
        rc = step_waiting(st, stmt);
        const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(stmt, 0) : NULL;
        bool wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
        sqlite3_finalize(stmt);
        if (rc != SQLITE_ROW) {
            s = ds_state_sql_error(st, rc, "switching the state to WAL mode", err);
            goto fail;
        }
        if (!wal) {
            s = ds_error_set(err, DS_ERR_IO, "%s: cannot use write-ahead logging here", path);
            goto fail;
        }
        s = ds_state_exec(st, "PRAGMA synchronous = FULL", "opening the state", err);
        if (s != DS_OK)
            goto fail;
    }
    if (app == 0) {
        /* Create under the write lock; another process may have created it meanwhile. */
        if (want == NULL || want->darknet == NULL) {
            s = ds_error_set(err, DS_ERR_INVALID, "%s: a new state needs the darknet (-d or -D)",
                             path);
            goto fail;
        }
        s = ds_state_begin(st, "creating the state", err);
        if (s != DS_OK)
            goto fail;
        s = query_int(st, "PRAGMA application_id", &app, "creating the state", err);
        if (s == DS_OK && app == 0)
            s = create_schema(st, want, err);
        if (s == DS_OK)
            s = ds_state_commit_tx(st, "creating the state", err);
        if (s != DS_OK) {
            ds_state_rollback(st);
            goto fail;
        }
    }
    s = read_config(st, err);
    if (s == DS_OK)
        s = check_want(st, want, err);
    if (s != DS_OK)
        goto fail;
    *out = st;
    return DS_OK;
fail:
    ds_state_close(st);
    return s;
}

void ds_state_close(ds_state *st)
{
    if (st == NULL)
        return;
    if (st->db != NULL) {
        sqlite3_finalize(st->ins_tuple);
        ds_state_rollback(st);
        sqlite3_close_v2(st->db);
    }
    ds_darknet_free(st->darknet);
    free(st->darknet_text);
    free(st->path);
    free(st);
}

const ds_agg_config *ds_state_config(const ds_state *st)
{
    return &st->cfg;
}

void ds_state_set_compact_rows(ds_state *st, unsigned rows)
{
    st->opt.compact_rows = rows ? rows : DS_STATE_COMPACT_ROWS;
}

const char *ds_state_path(const ds_state *st)
{
    return st->path;
}

char *ds_state_uri(const char *path, bool read_only)
{
    /* file: URI with every byte outside [A-Za-z0-9/._-] percent-encoded. */
    size_t n = strlen(path);
    char *uri = malloc(3 * n + 32);
    if (uri == NULL)
        return NULL;
    size_t o = 0;
    o += (size_t)sprintf(uri, "file:");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '/' || c == '.' || c == '_' || c == '-')
            uri[o++] = (char)c;
        else
            o += (size_t)sprintf(uri + o, "%%%02X", c);
    }
    sprintf(uri + o, read_only ? "?mode=ro" : "");
    return uri;
}

/* ---- sources ---- */

void ds_state_source_clear(ds_state_source *src)
{
    if (src == NULL)
        return;
    free(src->path);
    memset(src, 0, sizeof(*src));
}

static uint64_t col_u64(sqlite3_stmt *stmt, int i)
{
    return (uint64_t)sqlite3_column_int64(stmt, i);
}

/* row_source - a row of SELECT SOURCE_COLUMNS into *src (path malloc'd). */
static ds_status row_source(sqlite3_stmt *stmt, ds_state_source *src, ds_error *err)
{
    memset(src, 0, sizeof(*src));
    const void *id = sqlite3_column_blob(stmt, 0);
    if (id == NULL || sqlite3_column_bytes(stmt, 0) != DS_STATE_ID_LEN)
        return ds_error_set(err, DS_ERR_FORMAT, "a source id is not %d bytes", DS_STATE_ID_LEN);
    memcpy(src->id, id, DS_STATE_ID_LEN);
    const unsigned char *kind = sqlite3_column_text(stmt, 1);
    src->kind =
        kind != NULL && strcmp((const char *)kind, "live") == 0 ? DS_STATE_LIVE : DS_STATE_FILE;
    const unsigned char *path = sqlite3_column_text(stmt, 2);
    src->path = strdup(path != NULL ? (const char *)path : "");
    if (src->path == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    src->size = col_u64(stmt, 3);
    src->version = col_u64(stmt, 4);
    src->ingested_ns = sqlite3_column_int64(stmt, 5);
    src->first_ts_ns =
        sqlite3_column_type(stmt, 6) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(stmt, 6);
    src->last_ts_ns =
        sqlite3_column_type(stmt, 7) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(stmt, 7);
    src->records = col_u64(stmt, 8);
    src->ipv4 = col_u64(stmt, 9);
    src->syn = col_u64(stmt, 10);
    src->ipv6 = col_u64(stmt, 11);
    src->non_ip = col_u64(stmt, 12);
    src->other_skipped = col_u64(stmt, 13);
    src->truncated = sqlite3_column_int64(stmt, 14) != 0;
    src->failed = sqlite3_column_int64(stmt, 15) != 0;
    src->dropped = col_u64(stmt, 16);
    return DS_OK;
}

ds_status ds_state_find(ds_state *st, const uint8_t id[DS_STATE_ID_LEN], ds_state_source *out,
                        bool *found, ds_error *err)
{
    sqlite3_stmt *stmt;
    *found = false;
    ds_status s = ds_state_prepare(st, "SELECT " SOURCE_COLUMNS " FROM sources WHERE id = ?", &stmt,
                                   "looking a source up", err);
    if (s != DS_OK)
        return s;
    sqlite3_bind_blob(stmt, 1, id, DS_STATE_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *found = true;
        if (out != NULL)
            s = row_source(stmt, out, err);
    } else if (rc != SQLITE_DONE) {
        s = ds_state_sql_error(st, rc, "looking a source up", err);
    }
    sqlite3_finalize(stmt);
    return s;
}

ds_status ds_state_list_sources(ds_state *st, ds_state_source_fn fn, void *ctx, ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st, "SELECT " SOURCE_COLUMNS " FROM sources ORDER BY path, id",
                                   &stmt, "listing sources", err);
    if (s != DS_OK)
        return s;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ds_state_source src;
        s = row_source(stmt, &src, err);
        int stop = s == DS_OK ? fn(ctx, &src) : 1;
        ds_state_source_clear(&src);
        if (stop)
            break;
    }
    if (s == DS_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = ds_state_sql_error(st, rc, "listing sources", err);
    sqlite3_finalize(stmt);
    return s;
}

ds_status ds_state_list_windows(ds_state *st, ds_state_window_fn fn, void *ctx, ds_error *err)
{
    static const char sql[] =
        "WITH c AS (SELECT win, count(DISTINCT source) AS n, sum(length(data)) AS b "
        "           FROM counters GROUP BY win),"
        "     t AS (SELECT win, count(*) AS n, sum(keys) AS k, sum(length(data)) AS b "
        "           FROM tuples GROUP BY win),"
        "     w AS (SELECT win FROM c UNION SELECT win FROM t) "
        "SELECT w.win, c.n, c.b, t.n, t.k, t.b FROM w LEFT JOIN c USING (win) "
        "LEFT JOIN t USING (win) ORDER BY w.win";
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st, sql, &stmt, "listing windows", err);
    if (s != DS_OK)
        return s;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ds_state_window_info w = {sqlite3_column_int64(stmt, 0),
                                  col_u64(stmt, 1),
                                  col_u64(stmt, 2),
                                  col_u64(stmt, 3),
                                  col_u64(stmt, 4),
                                  col_u64(stmt, 5)};
        if (fn(ctx, &w) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = ds_state_sql_error(st, rc, "listing windows", err);
    sqlite3_finalize(stmt);
    return s;
}

/* ---- contributions ---- */

/* The zstd level of every blob: level 3 is zstd's default, fast to write and to read. */
#define BLOB_LEVEL 3

typedef struct crow {
    int64_t win;
    uint32_t part;
    ds_blob blob;
} crow;

typedef struct trow {
    int64_t win;
    uint8_t digest[32];
    uint64_t n_keys;
    ds_blob blob;
} trow;

struct ds_state_contrib {
    ds_state_source src;
    crow *crows;
    size_t n_crows, cap_crows;
    trow *trows;
    size_t n_trows, cap_trows;
    int64_t *wins;
    size_t n_wins;
    uint64_t bytes;
};

void ds_state_contrib_free(ds_state_contrib *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_crows; i++)
        ds_blob_free(&c->crows[i].blob);
    for (size_t i = 0; i < c->n_trows; i++)
        ds_blob_free(&c->trows[i].blob);
    free(c->crows);
    free(c->trows);
    free(c->wins);
    ds_state_source_clear(&c->src);
    free(c);
}

uint64_t ds_state_contrib_bytes(const ds_state_contrib *c)
{
    return c->bytes;
}

static crow *add_crow(ds_state_contrib *c)
{
    if (c->n_crows == c->cap_crows) {
        size_t cap = c->cap_crows ? 2 * c->cap_crows : 8;
        crow *grown = realloc(c->crows, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        c->crows = grown;
        c->cap_crows = cap;
    }
    crow *r = &c->crows[c->n_crows++];
    memset(r, 0, sizeof(*r));
    return r;
}

static trow *add_trow(ds_state_contrib *c)
{
    if (c->n_trows == c->cap_trows) {
        size_t cap = c->cap_trows ? 2 * c->cap_trows : 8;
        trow *grown = realloc(c->trows, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        c->trows = grown;
        c->cap_trows = cap;
    }
    trow *r = &c->trows[c->n_trows++];
    memset(r, 0, sizeof(*r));
    return r;
}

ds_status ds_state_encode_tuples(const uint64_t *keys, size_t n, int64_t win,
                                 ds_state_tuple_sink sink, void *ctx, ds_error *err)
{
    ds_blob blob = {0};
    ds_status s = DS_OK;
    for (size_t at = 0; at < n && s == DS_OK; at += DS_BLOB_CHUNK) {
        size_t take = n - at < DS_BLOB_CHUNK ? n - at : DS_BLOB_CHUNK;
        uint8_t digest[32];
        s = ds_blob_encode_tuples(keys + at, take, BLOB_LEVEL, &blob, digest, err);
        if (s == DS_OK)
            s = sink(ctx, win, digest, take, &blob, err);
    }
    ds_blob_free(&blob);
    return s;
}

static ds_status contrib_tuple_sink(void *ctx, int64_t win, const uint8_t digest[32],
                                    uint64_t n_keys, ds_blob *blob, ds_error *err)
{
    ds_state_contrib *c = ctx;
    trow *r = add_trow(c);
    if (r == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    r->win = win;
    memcpy(r->digest, digest, 32);
    r->n_keys = n_keys;
    r->blob = *blob; /* take the buffer */
    memset(blob, 0, sizeof(*blob));
    c->bytes += r->blob.len;
    return DS_OK;
}

/* encode_counters - the counters parts of one window. */
static ds_status encode_counters(ds_state_contrib *c, const ds_agg_window_data *w, int64_t win,
                                 ds_error *err)
{
    size_t at = 0;
    uint32_t part = 0;
    do {
        size_t take = w->n_hosts - at < DS_BLOB_CHUNK ? w->n_hosts - at : DS_BLOB_CHUNK;
        crow *r = add_crow(c);
        if (r == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        r->win = win;
        r->part = part;
        ds_status s =
            ds_blob_encode_counters(w, part == 0, w->hosts + at, take, BLOB_LEVEL, &r->blob, err);
        if (s != DS_OK)
            return s;
        c->bytes += r->blob.len;
        at += take;
        part++;
    } while (at < w->n_hosts);
    return DS_OK;
}

ds_status ds_state_contrib_new(ds_state_contrib **out, const ds_state *st,
                               const ds_state_source *src, ds_aggregate *tuples,
                               ds_aggregate *counters, ds_error *err)
{
    *out = NULL;
    ds_state_contrib *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_status s = DS_OK;
    c->src = *src;
    c->src.path = strdup(src->path != NULL ? src->path : "");
    size_t n_wins = ds_aggregate_window_count(tuples);
    c->wins = malloc((n_wins ? n_wins : 1) * sizeof(*c->wins));
    if (c->src.path == NULL || c->wins == NULL) {
        s = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    size_t j = 0, n_counter_wins = counters ? ds_aggregate_window_count(counters) : 0;
    for (size_t i = 0; i < n_wins; i++) {
        ds_agg_window_data w;
        s = ds_aggregate_window_export(tuples, i, &w, err);
        if (s != DS_OK)
            goto fail;
        c->wins[c->n_wins++] = w.id;
        s = ds_state_encode_tuples(w.keys, w.n_keys, w.id, contrib_tuple_sink, c, err);
        if (s != DS_OK)
            goto fail;
        if (counters == NULL) {
            s = encode_counters(c, &w, w.id, err);
        } else {
            ds_agg_window info;
            while (j < n_counter_wins && ds_aggregate_window(counters, j, &info) == DS_OK &&
                   info.id < w.id)
                j++;
            if (j >= n_counter_wins || ds_aggregate_window(counters, j, &info) != DS_OK ||
                info.id != w.id) {
                s = ds_error_set(err, DS_ERR_INVALID,
                                 "the running totals lack window %" PRId64 " of the tuples", w.id);
                goto fail;
            }
            ds_agg_window_data cw;
            s = ds_aggregate_window_export(counters, j, &cw, err);
            if (s == DS_OK)
                s = encode_counters(c, &cw, w.id, err);
        }
        if (s != DS_OK)
            goto fail;
    }
    *out = c;
    return DS_OK;
fail:
    ds_state_contrib_free(c);
    return s;
}

/* ---- committing ---- */

static ds_status bind_step(ds_state *st, sqlite3_stmt *stmt, const char *doing, ds_error *err)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE ? DS_OK : ds_state_sql_error(st, rc, doing, err);
}

static void bind_u64(sqlite3_stmt *stmt, int i, uint64_t v)
{
    sqlite3_bind_int64(stmt, i, (sqlite3_int64)(v > INT64_MAX ? INT64_MAX : v));
}

static ds_status write_source(ds_state *st, const ds_state_source *src, uint64_t version,
                              ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st,
                                   "INSERT OR REPLACE INTO sources (" SOURCE_COLUMNS ") VALUES "
                                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   &stmt, "writing a source", err);
    if (s != DS_OK)
        return s;
    sqlite3_bind_blob(stmt, 1, src->id, DS_STATE_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, src->kind == DS_STATE_LIVE ? "live" : "file", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, src->path, -1, SQLITE_STATIC);
    bind_u64(stmt, 4, src->size);
    bind_u64(stmt, 5, version);
    sqlite3_bind_int64(stmt, 6, src->ingested_ns ? src->ingested_ns : now_ns());
    if (src->first_ts_ns <= src->last_ts_ns) {
        sqlite3_bind_int64(stmt, 7, src->first_ts_ns);
        sqlite3_bind_int64(stmt, 8, src->last_ts_ns);
    }
    bind_u64(stmt, 9, src->records);
    bind_u64(stmt, 10, src->ipv4);
    bind_u64(stmt, 11, src->syn);
    bind_u64(stmt, 12, src->ipv6);
    bind_u64(stmt, 13, src->non_ip);
    bind_u64(stmt, 14, src->other_skipped);
    sqlite3_bind_int(stmt, 15, src->truncated);
    sqlite3_bind_int(stmt, 16, src->failed);
    bind_u64(stmt, 17, src->dropped);
    s = bind_step(st, stmt, "writing a source", err);
    sqlite3_finalize(stmt);
    return s;
}

static ds_status delete_source_rows(ds_state *st, const uint8_t *id, bool tuples_too, ds_error *err)
{
    static const char *const sql[2] = {"DELETE FROM counters WHERE source = ?",
                                       "DELETE FROM tuples WHERE source = ?"};
    for (int i = 0; i < (tuples_too ? 2 : 1); i++) {
        sqlite3_stmt *stmt;
        ds_status s = ds_state_prepare(st, sql[i], &stmt, "replacing a source", err);
        if (s != DS_OK)
            return s;
        sqlite3_bind_blob(stmt, 1, id, DS_STATE_ID_LEN, SQLITE_STATIC);
        s = bind_step(st, stmt, "replacing a source", err);
        sqlite3_finalize(stmt);
        if (s != DS_OK)
            return s;
    }
    return DS_OK;
}

ds_status ds_state_insert_tuple_row(ds_state *st, int64_t win, const uint8_t digest[32],
                                    const uint8_t *source, uint64_t n_keys, const ds_blob *blob,
                                    ds_error *err)
{
    if (st->ins_tuple == NULL) {
        ds_status s =
            ds_state_prepare(st,
                             "INSERT OR IGNORE INTO tuples (win, digest, source, keys, data) "
                             "SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS "
                             "(SELECT 1 FROM absorbed WHERE win = ?1 AND digest = ?2)",
                             &st->ins_tuple, "writing tuples", err);
        if (s != DS_OK)
            return s;
    }
    sqlite3_bind_int64(st->ins_tuple, 1, win);
    sqlite3_bind_blob(st->ins_tuple, 2, digest, 32, SQLITE_STATIC);
    if (source != NULL)
        sqlite3_bind_blob(st->ins_tuple, 3, source, DS_STATE_ID_LEN, SQLITE_STATIC);
    bind_u64(st->ins_tuple, 4, n_keys);
    sqlite3_bind_blob64(st->ins_tuple, 5, blob->data, blob->len, SQLITE_STATIC);
    ds_status s = bind_step(st, st->ins_tuple, "writing tuples", err);
    return s;
}

void ds_state_test_delay(const ds_state *st)
{
    if (st->opt.test_commit_delay_ms == 0)
        return;
    struct timespec ts = {st->opt.test_commit_delay_ms / 1000,
                          (long)(st->opt.test_commit_delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static ds_status commit_rows(ds_state *st, const ds_state_contrib *c, ds_state_mode mode,
                             ds_state_outcome *outcome, ds_error *err)
{
    bool found;
    ds_state_source old;
    ds_status s = ds_state_find(st, c->src.id, &old, &found, err);
    if (s != DS_OK)
        return s;
    uint64_t version = 0;
    if (found) {
        uint64_t old_version = old.version;
        ds_state_source_clear(&old);
        if (mode == DS_STATE_ADD || (mode == DS_STATE_UPDATE && c->src.version <= old_version)) {
            *outcome = DS_STATE_SKIPPED;
            return DS_OK;
        }
        if (mode == DS_STATE_REPLACE) {
            version = old_version + 1;
            s = delete_source_rows(st, c->src.id, true, err);
        } else {
            version = c->src.version;
        }
        *outcome = DS_STATE_REPLACED;
    } else {
        version = mode == DS_STATE_UPDATE ? c->src.version : 0;
        *outcome = DS_STATE_ADDED;
    }
    if (s == DS_OK)
        s = write_source(st, &c->src, version, err);
    if (s != DS_OK)
        return s;
    sqlite3_stmt *del = NULL, *ins = NULL;
    s = ds_state_prepare(st, "DELETE FROM counters WHERE win = ? AND source = ?", &del,
                         "writing counters", err);
    if (s == DS_OK)
        s = ds_state_prepare(st,
                             "INSERT INTO counters (win, source, part, version, data) "
                             "VALUES (?, ?, ?, ?, ?)",
                             &ins, "writing counters", err);
    for (size_t i = 0; s == DS_OK && i < c->n_wins && mode == DS_STATE_UPDATE && found; i++) {
        sqlite3_bind_int64(del, 1, c->wins[i]);
        sqlite3_bind_blob(del, 2, c->src.id, DS_STATE_ID_LEN, SQLITE_STATIC);
        s = bind_step(st, del, "writing counters", err);
    }
    for (size_t i = 0; s == DS_OK && i < c->n_crows; i++) {
        const crow *r = &c->crows[i];
        sqlite3_bind_int64(ins, 1, r->win);
        sqlite3_bind_blob(ins, 2, c->src.id, DS_STATE_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, r->part);
        bind_u64(ins, 4, version);
        sqlite3_bind_blob64(ins, 5, r->blob.data, r->blob.len, SQLITE_STATIC);
        s = bind_step(st, ins, "writing counters", err);
        if (i == 0)
            ds_state_test_delay(st);
    }
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    for (size_t i = 0; s == DS_OK && i < c->n_trows; i++) {
        const trow *r = &c->trows[i];
        s = ds_state_insert_tuple_row(st, r->win, r->digest, c->src.id, r->n_keys, &r->blob, err);
    }
    return s;
}

ds_status ds_state_commit(ds_state *st, const ds_state_contrib *c, ds_state_mode mode,
                          ds_state_outcome *outcome, ds_error *err)
{
    ds_status s = ds_state_begin(st, "committing a source", err);
    if (s != DS_OK)
        return s;
    s = commit_rows(st, c, mode, outcome, err);
    if (s == DS_OK && *outcome == DS_STATE_SKIPPED) {
        ds_state_rollback(st);
        return DS_OK;
    }
    if (s == DS_OK) {
        ds_state_test_delay(st);
        s = ds_state_commit_tx(st, "committing a source", err);
    }
    if (s != DS_OK) {
        ds_state_rollback(st);
        return s;
    }
    for (size_t i = 0; i < c->n_wins && s == DS_OK; i++)
        s = ds_state_compact_window(st, c->wins[i], st->opt.compact_rows, err);
    return s;
}
/*
 * ds_state_import_tuples - the tuples row at stmt (columns: win, data, rowid) into agg; errors
 * name the state, the window and the row.
 */
ds_status ds_state_import_tuples(ds_state *st, ds_aggregate *agg, sqlite3_stmt *stmt, ds_error *err)
{
    int64_t win = sqlite3_column_int64(stmt, 0);
    uint64_t *keys;
    size_t n;
    ds_status s = ds_blob_decode_tuples(sqlite3_column_blob(stmt, 1),
                                        (size_t)sqlite3_column_bytes(stmt, 1), &keys, &n, err);
    if (s == DS_OK) {
        ds_agg_window_data w = {.id = win,
                                .first_ts_ns = INT64_MAX,
                                .last_ts_ns = INT64_MIN,
                                .keys = keys,
                                .n_keys = n};
        s = ds_aggregate_window_import(agg, &w, err);
        free(keys);
    }
    if (s != DS_OK)
        ds_error_prefix(err, "%s: window %" PRId64 ", tuples row %lld", st->path, win,
                        (long long)sqlite3_column_int64(stmt, 2));
    return s;
}

/* ---- loading ---- */

static ds_status load_rows(ds_state *st, ds_aggregate *agg, ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(st, "SELECT win, part, data, rowid FROM counters", &stmt,
                                   "reading counters", err);
    if (s != DS_OK)
        return s;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t win = sqlite3_column_int64(stmt, 0);
        const void *data = sqlite3_column_blob(stmt, 2);
        int len = sqlite3_column_bytes(stmt, 2);
        ds_blob_counters bc;
        s = ds_blob_decode_counters(data, (size_t)len, &bc, err);
        if (s == DS_OK) {
            bc.w.id = win;
            s = ds_aggregate_window_import(agg, &bc.w, err);
            ds_blob_counters_clear(&bc);
        }
        if (s != DS_OK) {
            ds_error_prefix(err, "%s: window %" PRId64 ", counters row %lld", st->path, win,
                            (long long)sqlite3_column_int64(stmt, 3));
            break;
        }
    }
    if (s == DS_OK && rc != SQLITE_DONE)
        s = ds_state_sql_error(st, rc, "reading counters", err);
    sqlite3_finalize(stmt);
    if (s != DS_OK)
        return s;
    s = ds_state_prepare(st, "SELECT win, data, rowid FROM tuples", &stmt, "reading tuples", err);
    if (s != DS_OK)
        return s;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        s = ds_state_import_tuples(st, agg, stmt, err);
        if (s != DS_OK)
            break;
    }
    if (s == DS_OK && rc != SQLITE_DONE)
        s = ds_state_sql_error(st, rc, "reading tuples", err);
    sqlite3_finalize(stmt);
    return s;
}

static ds_status load_info(ds_state *st, ds_input_info *info, ds_error *err)
{
    sqlite3_stmt *stmt;
    ds_status s = ds_state_prepare(
        st,
        "SELECT count(*) FILTER (WHERE kind = 'file'), coalesce(sum(records), 0), "
        "coalesce(sum(truncated), 0), coalesce(sum(failed), 0), coalesce(sum(ipv6), 0), "
        "coalesce(sum(non_ip), 0), coalesce(sum(other_skipped), 0) FROM sources",
        &stmt, "reading sources", err);
    if (s != DS_OK)
        return s;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        uint64_t *fields[] = {&info->files, &info->records, &info->truncated,    &info->failed,
                              &info->ipv6,  &info->non_ip,  &info->other_skipped};
        for (int i = 0; i < 7; i++)
            *fields[i] = col_u64(stmt, i);
    } else {
        s = ds_state_sql_error(st, rc, "reading sources", err);
    }
    sqlite3_finalize(stmt);
    return s;
}

ds_status ds_state_load(ds_state *st, ds_aggregate **out, ds_input_info *info, ds_error *err)
{
    *out = NULL;
    memset(info, 0, sizeof(*info));
    ds_aggregate *agg = NULL;
    ds_status s = ds_aggregate_new(&agg, &st->cfg, err);
    if (s != DS_OK)
        return s;
    /* One read transaction: a consistent snapshot even while another process ingests. */
    s = ds_state_exec(st, "BEGIN", "reading the state", err);
    if (s == DS_OK)
        s = load_rows(st, agg, err);
    if (s == DS_OK)
        s = load_info(st, info, err);
    ds_state_rollback(st);
    if (s != DS_OK) {
        ds_aggregate_free(agg);
        return s;
    }
    *out = agg;
    return DS_OK;
}

/* Collects the paths of a state's sources for ds_state_capture_files. */
typedef struct capture_files {
    ds_path_list *list;
    ds_status st;
    ds_error *err;
} capture_files;

static int add_capture_file(void *ctx, const ds_state_source *src)
{
    capture_files *c = ctx;
    if (src->kind != DS_STATE_FILE || strcmp(src->path, "-") == 0) {
        c->st = ds_error_set(c->err, DS_ERR_STATE, "%s was not a file",
                             src->kind == DS_STATE_FILE ? "standard input" : src->path);
        return 1;
    }
    uint8_t digest[32];
    uint64_t size = 0;
    ds_error read_err;
    ds_status st = ds_sha256_file(src->path, digest, &size, NULL, &read_err);
    if (st != DS_OK) {
        c->st = ds_error_set(c->err, st == DS_ERR_NOMEM ? st : DS_ERR_STATE, "%s", read_err.msg);
        return 1;
    }
    if (size != src->size || memcmp(digest, src->id, sizeof(digest)) != 0) {
        c->st =
            ds_error_set(c->err, DS_ERR_STATE, "%s has changed since it was ingested", src->path);
        return 1;
    }
    char **grown = realloc(c->list->paths, (c->list->count + 1) * sizeof(*grown));
    if (grown != NULL)
        c->list->paths = grown;
    char *copy = grown != NULL ? strdup(src->path) : NULL;
    if (copy == NULL) {
        c->st = ds_error_set(c->err, DS_ERR_NOMEM, "out of memory");
        return 1;
    }
    c->list->paths[c->list->count++] = copy;
    return 0;
}

ds_status ds_state_capture_files(ds_state *st, ds_path_list *out, ds_error *err)
{
    ds_error local;
    if (err == NULL)
        err = &local;
    out->paths = NULL;
    out->count = 0;
    capture_files c = {out, DS_OK, err};
    ds_status s = ds_state_list_sources(st, add_capture_file, &c, err);
    if (s == DS_OK)
        s = c.st;
    if (s == DS_OK && out->count == 0)
        s = ds_error_set(err, DS_ERR_STATE, "the state records no capture file");
    if (s != DS_OK)
        ds_path_list_free(out);
    return s;
}
