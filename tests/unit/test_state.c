/*
 * test_state.c - the persistent state (lib/state): creation and the configuration check,
 * files that are not states, sources committed, skipped and replaced, the loaded aggregate
 * equal to the aggregate of the same packets, the merge algebra (commutative, associative,
 * idempotent, also after compaction), pruning, live updates, and damage reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkscan/darkscan.h"
#include "state/blob.h"
#include "testutil.h"

#define NS        1000000000LL
#define T_2018_07 (1530403200LL * NS)
#define DAY       (86400LL * NS)
#define DARKNET   "192.0.2.0/28,198.51.100.0/30"

static uint64_t rng = 0x1234567887654321ull;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static ds_darknet *make_darknet(const char *text, const char *sensor)
{
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    assert_non_null(d);
    assert_int_equal(ds_darknet_add(d, text, sensor, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    return d;
}

/*
 * make_agg - an aggregate of n random packets in months [first, first + months): SYNs from a few
 * scanner blocks to the darknet, some non-SYN, some outside the darknet.
 */
static ds_aggregate *make_agg(const ds_agg_config *cfg, size_t n, int first, int months)
{
    static const uint32_t dark[4] = {0xc0000200, 0xc0000205, 0xc000020f, 0xc6336402};
    ds_aggregate *agg;
    ds_error err;
    assert_int_equal(ds_aggregate_new(&agg, cfg, &err), DS_OK);
    ds_packet *p = calloc(n, sizeof(*p));
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        p[i].ts_ns = T_2018_07 + (int64_t)(first + (int)(r % (uint64_t)months)) * 31 * DAY +
                     (int64_t)((r >> 8) % (uint64_t)(28 * DAY));
        p[i].src = 0x0a000000u | (uint32_t)((r >> 20) % 5) << 16 | (uint32_t)((r >> 24) & 0xff);
        p[i].dst =
            (r >> 32) % 10 == 0 ? 0x08080808u : dark[(r >> 36) % 4] + (uint32_t)((r >> 40) % 2);
        p[i].dport = (uint16_t)((r >> 44) % 64);
        p[i].proto = DS_PROTO_TCP;
        p[i].tcp_flags = (r >> 52) % 8 == 0 ? DS_TCP_SYN | DS_TCP_ACK : DS_TCP_SYN;
        p[i].pkt_flags = DS_PKT_PORTS;
        p[i].seq = (r >> 56) % 4 == 0 ? p[i].dst : (uint32_t)r;
        p[i].ip_id = (r >> 60) % 2 ? 54321 : 7;
    }
    assert_int_equal(ds_aggregate_add(agg, p, n, &err), DS_OK);
    free(p);
    return agg;
}

static ds_state *open_state(const char *name, const ds_darknet *d, unsigned compact_rows)
{
    ds_state *st;
    ds_error err;
    ds_state_want want = {d, NULL, NULL};
    ds_state_options opt = {true, false, 1000, compact_rows, 0};
    ds_status s = ds_state_open(&st, tu_path(name), &want, &opt, &err);
    if (s != DS_OK)
        fail_msg("%s", err.msg);
    return st;
}

/* commit - agg as the source with id byte `id` (a fake content hash). */
static ds_state_outcome commit(ds_state *st, ds_aggregate *agg, uint8_t id, ds_state_mode mode,
                               uint64_t version)
{
    ds_state_source src = {0};
    memset(src.id, id, sizeof(src.id));
    src.path = (char *)"test.pcap";
    src.records = 10;
    src.version = version;
    src.first_ts_ns = INT64_MAX;
    src.last_ts_ns = INT64_MIN;
    ds_state_contrib *c;
    ds_error err;
    assert_int_equal(ds_state_contrib_new(&c, st, &src, agg, NULL, &err), DS_OK);
    ds_state_outcome out;
    ds_status s = ds_state_commit(st, c, mode, &out, &err);
    if (s != DS_OK)
        fail_msg("%s", err.msg);
    ds_state_contrib_free(c);
    return out;
}

static ds_aggregate *load(ds_state *st, ds_input_info *info)
{
    ds_aggregate *agg;
    ds_input_info scratch;
    ds_error err;
    ds_status s = ds_state_load(st, &agg, info ? info : &scratch, &err);
    if (s != DS_OK)
        fail_msg("%s", err.msg);
    return agg;
}

static void test_create_and_check(void **state)
{
    ds_darknet *d = make_darknet(DARKNET, "east");
    ds_state *st = open_state("cfg.db", d, 0);
    const ds_agg_config *cfg = ds_state_config(st);
    assert_int_equal(ds_darknet_size(cfg->darknet), 20);
    assert_int_equal(cfg->prefix, DS_PREFIX_DEFAULT);
    assert_int_equal(cfg->window.unit, DS_WINDOW_MONTH);
    assert_string_equal(ds_darknet_sensor_name(cfg->darknet, 0), "east");
    ds_state_close(st);

    ds_error err;
    ds_state_options opt = {false, false, 1000, 0, 0};
    /* Reopened with nothing, with the same darknet, read-only. */
    assert_int_equal(ds_state_open(&st, tu_path("cfg.db"), NULL, &opt, &err), DS_OK);
    ds_state_close(st);
    ds_state_want same = {d, NULL, NULL};
    assert_int_equal(ds_state_open(&st, tu_path("cfg.db"), &same, &opt, &err), DS_OK);
    ds_state_close(st);
    ds_state_options ro = {false, true, 1000, 0, 0};
    assert_int_equal(ds_state_open(&st, tu_path("cfg.db"), &same, &ro, &err), DS_OK);
    ds_state_close(st);

    /* Another darknet, other sensor names, another window, another prefix: refused. */
    ds_darknet *other = make_darknet("192.0.2.0/28", "east");
    ds_state_want w1 = {other, NULL, NULL};
    assert_int_equal(ds_state_open(&st, tu_path("cfg.db"), &w1, &opt, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "another darknet"));
    assert_null(st);
    ds_darknet *renamed = make_darknet(DARKNET, "west");
    ds_state_want w2 = {renamed, NULL, NULL};
    assert_int_equal(ds_state_open(&st, tu_path("cfg.db"), &w2, &opt, &err), DS_ERR_INVALID);
    ds_window_spec week = {DS_WINDOW_WEEK, 0};
    ds_state_want w3 = {NULL, &week, NULL};
    assert_int_equal(ds_state_open(&st, tu_path("cfg.db"), &w3, &opt, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "--window month, not week"));
    unsigned p24 = 24;
    ds_state_want w4 = {NULL, NULL, &p24};
    assert_int_equal(ds_state_open(&st, tu_path("cfg.db"), &w4, &opt, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "--prefix 16, not 24"));

    /* A new state with a window and a prefix of its own. */
    ds_state_want w5 = {d, &week, &p24};
    ds_state_options create = {true, false, 1000, 0, 0};
    assert_int_equal(ds_state_open(&st, tu_path("cfg2.db"), &w5, &create, &err), DS_OK);
    assert_int_equal(ds_state_config(st)->window.unit, DS_WINDOW_WEEK);
    assert_int_equal(ds_state_config(st)->prefix, 24);
    ds_state_close(st);
    ds_darknet_free(other);
    ds_darknet_free(renamed);
    ds_darknet_free(d);
}

static void test_not_a_state(void **state)
{
    ds_state *st;
    ds_error err;
    ds_darknet *d = make_darknet(DARKNET, NULL);
    ds_state_want want = {d, NULL, NULL};
    ds_state_options create = {true, false, 1000, 0, 0};
    ds_state_options opt = {false, false, 1000, 0, 0};
    assert_int_equal(ds_state_open(&st, tu_path("missing.db"), &want, &opt, &err), DS_ERR_IO);
    assert_non_null(strstr(err.msg, "no such state file"));
    const char junk[] = "this is a capture, not a database, and long enough to have a header";
    tu_write_file(tu_path("junk.db"), junk, sizeof(junk));
    assert_int_equal(ds_state_open(&st, tu_path("junk.db"), &want, &create, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "not a darkscan state"));
    /* The file of another program is not touched (it stays in its journal mode). */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(tu_path("other.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ds_state_open(&st, tu_path("other.db"), &want, &create, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "another program"));
    tu_write_file(tu_path("empty.db"), "", 0);
    assert_int_equal(ds_state_open(&st, tu_path("empty.db"), &want, &opt, &err), DS_ERR_FORMAT);
    /* A new state needs the darknet. */
    assert_int_equal(ds_state_open(&st, tu_path("new.db"), NULL, &create, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "needs the darknet"));
    assert_int_equal(access(tu_path("new.db"), F_OK), -1); /* and no file was left behind */
    ds_darknet_free(d);
}

static void test_darknet_with_empty_sensor(void **state)
{
    /* Sensor b lies inside a: it keeps no address but stays listed, in its place. */
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    assert_int_equal(ds_darknet_add(d, "10.1.0.0/24", "a", &err), DS_OK);
    assert_int_equal(ds_darknet_add(d, "10.1.0.0/25", "b", &err), DS_OK);
    assert_int_equal(ds_darknet_add(d, "10.2.0.0/30,10.0.0.0/31", "c", &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    ds_state *st = open_state("sensors.db", d, 0);
    const ds_darknet *s = ds_state_config(st)->darknet;
    assert_int_equal(ds_darknet_sensor_count(s), 3);
    const char *names[3] = {"a", "b", "c"};
    uint64_t sizes[3] = {256, 0, 6};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(ds_darknet_sensor_name(s, i), names[i]);
        assert_int_equal(ds_darknet_sensor_size(s, i), sizes[i]);
    }
    for (uint64_t i = 0; i < ds_darknet_size(d); i++)
        assert_int_equal(ds_darknet_address(s, i), ds_darknet_address(d, i));
    ds_state_close(st);
    ds_darknet_free(d);
}

static void test_commit_load_skip_replace(void **state)
{
    ds_darknet *d = make_darknet(DARKNET, NULL);
    ds_state *st = open_state("commit.db", d, 0);
    const ds_agg_config *cfg = ds_state_config(st);
    ds_aggregate *parts[3], *all;
    ds_error err;
    assert_int_equal(ds_aggregate_new(&all, cfg, &err), DS_OK);
    for (int i = 0; i < 3; i++) {
        parts[i] = make_agg(cfg, 3000, i, 3);
        assert_int_equal(ds_aggregate_merge(all, parts[i], &err), DS_OK);
        assert_int_equal(commit(st, parts[i], (uint8_t)(i + 1), DS_STATE_ADD, 0), DS_STATE_ADDED);
    }
    ds_input_info info;
    ds_aggregate *got = load(st, &info);
    tu_assert_aggregates_equal(got, all);
    assert_int_equal(info.files, 3);
    assert_int_equal(info.records, 30);
    ds_aggregate_free(got);

    /* The same id again: skipped, nothing doubles. --force: replaced, version 1. */
    assert_int_equal(commit(st, parts[1], 2, DS_STATE_ADD, 0), DS_STATE_SKIPPED);
    assert_int_equal(commit(st, parts[1], 2, DS_STATE_REPLACE, 0), DS_STATE_REPLACED);
    got = load(st, NULL);
    tu_assert_aggregates_equal(got, all);
    ds_aggregate_free(got);
    uint8_t id[DS_STATE_ID_LEN];
    memset(id, 2, sizeof(id));
    bool found = false;
    ds_state_source src;
    assert_int_equal(ds_state_find(st, id, &src, &found, &err), DS_OK);
    assert_true(found);
    assert_int_equal(src.version, 1);
    assert_string_equal(src.path, "test.pcap");
    ds_state_source_clear(&src);
    memset(id, 9, sizeof(id));
    assert_int_equal(ds_state_find(st, id, NULL, &found, &err), DS_OK);
    assert_false(found);

    for (int i = 0; i < 3; i++)
        ds_aggregate_free(parts[i]);
    ds_aggregate_free(all);
    ds_state_close(st);
    ds_darknet_free(d);
}

/* A state named name holding the sources of ids[] (each id's aggregate is aggs[id]). */
static ds_state *state_of(const char *name, const ds_darknet *d, ds_aggregate **aggs,
                          const int *ids, size_t n, unsigned compact_rows)
{
    ds_state *st = open_state(name, d, compact_rows);
    for (size_t i = 0; i < n; i++)
        commit(st, aggs[ids[i]], (uint8_t)(ids[i] + 1), DS_STATE_ADD, 0);
    return st;
}

static void merge(ds_state *into, const char *name)
{
    ds_state_merge_stats ms;
    ds_error err;
    ds_status s = ds_state_merge(into, tu_path(name), &ms, &err);
    if (s != DS_OK)
        fail_msg("%s", err.msg);
}

static void test_merge_algebra(void **state)
{
    ds_darknet *d = make_darknet(DARKNET, NULL);
    ds_state *ref = open_state("ref.db", d, 0);
    const ds_agg_config *cfg = ds_state_config(ref);
    ds_aggregate *aggs[5];
    for (int i = 0; i < 5; i++) {
        aggs[i] = make_agg(cfg, 2000, i, 2);
        commit(ref, aggs[i], (uint8_t)(i + 1), DS_STATE_ADD, 0);
    }
    ds_aggregate *want = load(ref, NULL);
    /* A = {0, 1, 2}, B = {2, 3}, C = {3, 4}, overlapping; C compacted into one row per window. */
    const int ia[] = {0, 1, 2}, ib[] = {2, 3}, ic[] = {3, 4};
    ds_state_close(state_of("A.db", d, aggs, ia, 3, 0));
    ds_state_close(state_of("B.db", d, aggs, ib, 2, 0));
    ds_state *sc = state_of("C.db", d, aggs, ic, 2, 0);
    ds_error err;
    assert_int_equal(ds_state_compact(sc, 0, &err), DS_OK);
    ds_state_close(sc);

    /* (A u B) u C, A u (B u C), C u B u A, all into fresh states. */
    ds_state *ab_c = open_state("ab_c.db", d, 0);
    merge(ab_c, "A.db");
    merge(ab_c, "B.db");
    merge(ab_c, "C.db");
    ds_state *bc = open_state("bc.db", d, 0);
    merge(bc, "B.db");
    merge(bc, "C.db");
    ds_state_close(bc);
    ds_state *a_bc = open_state("a_bc.db", d, 0);
    merge(a_bc, "A.db");
    merge(a_bc, "bc.db");
    ds_state *cba = open_state("cba.db", d, 0);
    merge(cba, "C.db");
    merge(cba, "B.db");
    merge(cba, "A.db");
    ds_aggregate *x = load(ab_c, NULL), *y = load(a_bc, NULL), *z = load(cba, NULL);
    tu_assert_aggregates_equal(x, want);
    tu_assert_aggregates_equal(y, want);
    tu_assert_aggregates_equal(z, want);
    ds_aggregate_free(x);
    ds_aggregate_free(y);
    ds_aggregate_free(z);

    /* Idempotent: merging again, merging a state into itself, merging after compaction. */
    merge(ab_c, "A.db");
    merge(ab_c, "C.db");
    merge(ab_c, "ab_c.db");
    assert_int_equal(ds_state_compact(ab_c, 0, &err), DS_OK);
    merge(ab_c, "B.db");
    merge(ab_c, "a_bc.db");
    x = load(ab_c, NULL);
    tu_assert_aggregates_equal(x, want);
    ds_aggregate_free(x);
    ds_state *a = open_state("A.db", d, 0);
    ds_aggregate *a0 = load(a, NULL);
    merge(a, "A.db");
    ds_state_close(open_state("A2.db", d, 0));
    merge(a, "A2.db"); /* an empty state */
    x = load(a, NULL);
    tu_assert_aggregates_equal(x, a0);
    ds_aggregate_free(x);
    ds_aggregate_free(a0);

    /* A state made differently is refused. */
    ds_window_spec week = {DS_WINDOW_WEEK, 0};
    ds_state_want ww = {d, &week, NULL};
    ds_state_options create = {true, false, 1000, 0, 0};
    ds_state *wk;
    assert_int_equal(ds_state_open(&wk, tu_path("week.db"), &ww, &create, &err), DS_OK);
    ds_state_close(wk);
    ds_state_merge_stats ms;
    assert_int_equal(ds_state_merge(a, tu_path("week.db"), &ms, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "--window week"));

    ds_state_close(a);
    ds_state_close(ab_c);
    ds_state_close(a_bc);
    ds_state_close(cba);
    ds_aggregate_free(want);
    for (int i = 0; i < 5; i++)
        ds_aggregate_free(aggs[i]);
    ds_state_close(ref);
    ds_darknet_free(d);
}

typedef struct win_count {
    uint64_t windows, rows, max_rows;
    int64_t first;
} win_count;

static int count_window(void *ctx, const ds_state_window_info *w)
{
    win_count *c = ctx;
    if (c->windows++ == 0)
        c->first = w->id;
    c->rows += w->tuple_rows;
    if (w->tuple_rows > c->max_rows)
        c->max_rows = w->tuple_rows;
    return 0;
}

static void test_compaction(void **state)
{
    ds_darknet *d = make_darknet(DARKNET, NULL);
    ds_state *st = open_state("compact.db", d, 4);
    const ds_agg_config *cfg = ds_state_config(st);
    ds_aggregate *all;
    ds_error err;
    assert_int_equal(ds_aggregate_new(&all, cfg, &err), DS_OK);
    for (int i = 0; i < 20; i++) {
        ds_aggregate *p = make_agg(cfg, 500, 0, 1); /* all in one window */
        assert_int_equal(ds_aggregate_merge(all, p, &err), DS_OK);
        commit(st, p, (uint8_t)(i + 1), DS_STATE_ADD, 0);
        ds_aggregate_free(p);
    }
    win_count wc = {0, 0, 0, 0};
    assert_int_equal(ds_state_list_windows(st, count_window, &wc, &err), DS_OK);
    assert_int_equal(wc.windows, 1);
    assert_true(wc.max_rows <= 1 + 4 + 1); /* folded whenever over 1 + 4 rows */
    ds_aggregate *got = load(st, NULL);
    tu_assert_aggregates_equal(got, all);
    ds_aggregate_free(got);
    assert_int_equal(ds_state_compact(st, 0, &err), DS_OK);
    wc = (win_count){0, 0, 0, 0};
    assert_int_equal(ds_state_list_windows(st, count_window, &wc, &err), DS_OK);
    assert_int_equal(wc.rows, 1);
    got = load(st, NULL);
    tu_assert_aggregates_equal(got, all);
    ds_aggregate_free(got);
    /* --force after compaction: the file's counters are replaced, its tuples stay united. */
    ds_aggregate *p = make_agg(cfg, 500, 0, 1);
    commit(st, p, 50, DS_STATE_ADD, 0);
    commit(st, p, 50, DS_STATE_REPLACE, 0);
    assert_int_equal(ds_aggregate_merge(all, p, &err), DS_OK);
    got = load(st, NULL);
    tu_assert_aggregates_equal(got, all);
    ds_aggregate_free(got);
    ds_aggregate_free(p);
    ds_aggregate_free(all);
    ds_state_close(st);
    ds_darknet_free(d);
}

static void test_prune(void **state)
{
    ds_darknet *d = make_darknet(DARKNET, NULL);
    ds_state *st = open_state("prune.db", d, 0);
    const ds_agg_config *cfg = ds_state_config(st);
    ds_aggregate *p = make_agg(cfg, 4000, 0, 6); /* months 2018-07 .. 2018-12 */
    commit(st, p, 1, DS_STATE_ADD, 0);
    ds_error err;
    uint64_t removed = 99;
    assert_int_equal(ds_state_prune(st, 10, &removed, &err), DS_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(ds_state_prune(st, 2, &removed, &err), DS_OK);
    assert_int_equal(removed, 4);
    win_count wc = {0, 0, 0, 0};
    assert_int_equal(ds_state_list_windows(st, count_window, &wc, &err), DS_OK);
    assert_int_equal(wc.windows, 2);
    char label[32];
    ds_window_label(&cfg->window, wc.first, label, sizeof(label));
    assert_string_equal(label, "2018-11");
    ds_aggregate *got = load(st, NULL);
    assert_int_equal(ds_aggregate_window_count(got), 2);
    for (size_t i = 0; i < 2; i++) {
        ds_agg_window_data x, y;
        assert_int_equal(ds_aggregate_window_export(got, i, &x, &err), DS_OK);
        assert_int_equal(ds_aggregate_window_export(p, i + 4, &y, &err), DS_OK);
        assert_int_equal(x.n_keys, y.n_keys);
        assert_int_equal(x.packets, y.packets);
    }
    ds_aggregate_free(got);
    /* The source is still known: its file is not ingested again. */
    assert_int_equal(commit(st, p, 1, DS_STATE_ADD, 0), DS_STATE_SKIPPED);
    assert_int_equal(ds_state_prune(st, 0, &removed, &err), DS_ERR_INVALID);
    ds_aggregate_free(p);
    ds_state_close(st);
    ds_darknet_free(d);
}

static void test_live_updates(void **state)
{
    /* A live session: interval tuples plus running counters, version by version. */
    ds_darknet *d = make_darknet(DARKNET, NULL);
    ds_state *st = open_state("live.db", d, 0);
    const ds_agg_config *cfg = ds_state_config(st);
    ds_aggregate *cum, *all;
    ds_error err;
    assert_int_equal(ds_aggregate_new(&cum, cfg, &err), DS_OK);
    assert_int_equal(ds_aggregate_new(&all, cfg, &err), DS_OK);
    ds_state_source src = {0};
    memset(src.id, 0x77, sizeof(src.id));
    src.kind = DS_STATE_LIVE;
    src.path = (char *)"live:test0";
    for (int flush = 1; flush <= 4; flush++) {
        ds_aggregate *cur = make_agg(cfg, 1500, flush / 2, 2);
        assert_int_equal(ds_aggregate_merge(all, cur, &err), DS_OK);
        for (size_t i = 0; i < ds_aggregate_window_count(cur); i++) {
            ds_agg_window_data w;
            assert_int_equal(ds_aggregate_window_export(cur, i, &w, &err), DS_OK);
            w.keys = NULL;
            w.n_keys = 0;
            assert_int_equal(ds_aggregate_window_import(cum, &w, &err), DS_OK);
        }
        src.version = (uint64_t)flush;
        src.records = (uint64_t)flush * 1500;
        ds_state_contrib *c;
        assert_int_equal(ds_state_contrib_new(&c, st, &src, cur, cum, &err), DS_OK);
        ds_state_outcome out;
        assert_int_equal(ds_state_commit(st, c, DS_STATE_UPDATE, &out, &err), DS_OK);
        assert_int_equal(out, flush == 1 ? DS_STATE_ADDED : DS_STATE_REPLACED);
        /* An old version is not applied twice. */
        assert_int_equal(ds_state_commit(st, c, DS_STATE_UPDATE, &out, &err), DS_OK);
        assert_int_equal(out, DS_STATE_SKIPPED);
        ds_state_contrib_free(c);
        ds_aggregate_free(cur);
        ds_input_info info;
        ds_aggregate *got = load(st, &info);
        tu_assert_aggregates_equal(got, all);
        assert_int_equal(info.files, 0); /* a live session is not a file */
        assert_int_equal(info.records, (uint64_t)flush * 1500);
        ds_aggregate_free(got);
    }
    ds_aggregate_free(cum);
    ds_aggregate_free(all);
    ds_state_close(st);
    ds_darknet_free(d);
}

static void test_damage_reported(void **state)
{
    ds_darknet *d = make_darknet(DARKNET, NULL);
    ds_state *st = open_state("damaged.db", d, 0);
    ds_aggregate *p = make_agg(ds_state_config(st), 1000, 0, 1);
    commit(st, p, 1, DS_STATE_ADD, 0);
    ds_aggregate_free(p);
    ds_state_close(st);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(tu_path("damaged.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE tuples SET data = substr(data, 1, length(data) - 3)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    st = open_state("damaged.db", d, 0);
    ds_aggregate *agg;
    ds_input_info info;
    ds_error err;
    assert_int_equal(ds_state_load(st, &agg, &info, &err), DS_ERR_FORMAT);
    assert_null(agg);
    assert_non_null(strstr(err.msg, "damaged.db: window 582, tuples row"));
    ds_state_close(st);
    ds_darknet_free(d);
}

static void test_big_window_chunks(void **state)
{
    /* More keys than one blob holds: the window's tuples go to several rows, and come back. */
    ds_darknet *d = make_darknet("10.0.0.0/16", NULL);
    ds_state *st = open_state("chunks.db", d, 0);
    const ds_agg_config *cfg = ds_state_config(st);
    size_t n = DS_BLOB_CHUNK + 1000;
    uint64_t *keys = malloc(n * sizeof(*keys));
    assert_non_null(keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = (uint64_t)i * 3; /* no runs: the largest encoding per key */
    ds_agg_window_data w = {.id = 600,
                            .packets = n,
                            .syn_packets = n,
                            .syn_all = n,
                            .first_ts_ns = INT64_MAX,
                            .last_ts_ns = INT64_MIN,
                            .keys = keys,
                            .n_keys = n};
    ds_host_counts host = {0x01020304, n, 0, 0, 0};
    w.hosts = &host;
    w.n_hosts = 1;
    ds_aggregate *agg;
    ds_error err;
    assert_int_equal(ds_aggregate_new(&agg, cfg, &err), DS_OK);
    assert_int_equal(ds_aggregate_window_import(agg, &w, &err), DS_OK);
    free(keys);
    commit(st, agg, 1, DS_STATE_ADD, 0);
    win_count wc = {0, 0, 0, 0};
    assert_int_equal(ds_state_list_windows(st, count_window, &wc, &err), DS_OK);
    assert_int_equal(wc.rows, 2);
    ds_aggregate *got = load(st, NULL);
    tu_assert_aggregates_equal(got, agg);
    ds_aggregate_free(got);
    /* Compaction leaves them as they are: two rows are what the keys need. */
    assert_int_equal(ds_state_compact(st, 0, &err), DS_OK);
    wc = (win_count){0, 0, 0, 0};
    assert_int_equal(ds_state_list_windows(st, count_window, &wc, &err), DS_OK);
    assert_int_equal(wc.rows, 2);
    ds_aggregate_free(agg);
    ds_state_close(st);
    ds_darknet_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_check),
        cmocka_unit_test(test_not_a_state),
        cmocka_unit_test(test_darknet_with_empty_sensor),
        cmocka_unit_test(test_commit_load_skip_replace),
        cmocka_unit_test(test_merge_algebra),
        cmocka_unit_test(test_compaction),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_live_updates),
        cmocka_unit_test(test_damage_reported),
        cmocka_unit_test(test_big_window_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
