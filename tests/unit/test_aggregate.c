/*
 * test_aggregate.c - the aggregate against a naive oracle (every key of a window sorted and
 * made unique, every host's packets summed) on random packets in random order over several
 * windows, with buffers from one key to the default size (so that every path of the sorted
 * runs is taken: flushes, merges of runs, buffers freed and grown again), through merges and
 * export/import; and the host counters' 32-bit slots, whose counts move to 64-bit spill
 * entries before they overflow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aggregate/aggregate_int.h"
#include "darkscan/darkscan.h"

#define NS        1000000000LL
#define T_2019_01 (1546300800LL * NS)
#define DAY       (86400LL * NS)

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static ds_darknet *make_darknet(void)
{
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    assert_int_equal(ds_darknet_add(d, "192.0.2.0/26,198.51.100.128/28", NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    return d;
}

/* random_packets - n packets over 5 months, a few sources repeating many tuples. */
static ds_packet *random_packets(size_t n)
{
    ds_packet *p = calloc(n, sizeof(*p));
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd(), r2 = rnd();
        ds_packet *q = &p[i];
        q->ts_ns = T_2019_01 + (int64_t)(r % (150 * 86400)) * NS;
        /* Sources: 16 busy hosts in two /16s, or anyone. */
        q->src = (r >> 20) % 3 ? 0x0a010000u | (uint32_t)(r2 & 0x10f) : (uint32_t)r2;
        /* Destinations: mostly D (64 + 16 addresses), some outside. */
        uint32_t k = (uint32_t)(r >> 40) % 90;
        q->dst = k < 64 ? 0xc0000200u + k : k < 80 ? 0xc6336480u + (k - 64) : 0x08080808u;
        q->dport = (r2 >> 32) % 4 ? (uint16_t)(20 + (r2 >> 40) % 8) : (uint16_t)(r2 >> 48);
        q->proto = DS_PROTO_TCP;
        q->pkt_flags = DS_PKT_PORTS;
        q->tcp_flags = (r2 >> 20) % 10 ? DS_TCP_SYN : DS_TCP_SYN | DS_TCP_ACK;
        q->seq = (r2 >> 24) % 5 == 0 ? q->dst : (uint32_t)r;
        q->ip_id = (r2 >> 28) % 7 == 0 ? 54321 : (uint16_t)(r >> 8);
        q->ttl = 64;
    }
    return p;
}

/* The oracle's view of one window. */
typedef struct expect {
    int64_t id;
    uint64_t *keys;
    size_t n_keys;
    ds_host_counts *hosts;
    size_t n_hosts;
    uint64_t packets, syn_packets;
} expect;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_host(const void *a, const void *b)
{
    uint32_t x = ((const ds_host_counts *)a)->host, y = ((const ds_host_counts *)b)->host;
    return (x > y) - (x < y);
}

/* oracle - per window (ids ascending) the distinct keys and host sums, computed naively. */
static size_t oracle(const ds_packet *p, size_t n, const ds_darknet *d, unsigned prefix,
                     expect *out, size_t max)
{
    size_t n_out = 0;
    unsigned dbits = 1;
    while ((ds_darknet_size(d) - 1) >> dbits)
        dbits++;
    ds_window_spec month = {DS_WINDOW_MONTH, 0};
    for (size_t i = 0; i < n; i++) {
        int64_t id = ds_window_of(&month, p[i].ts_ns);
        size_t w = 0;
        while (w < n_out && out[w].id != id)
            w++;
        if (w == n_out) {
            assert_true(n_out < max);
            out[n_out++] = (expect){.id = id,
                                    .keys = malloc(n * sizeof(uint64_t)),
                                    .hosts = malloc(n * sizeof(ds_host_counts))};
        }
        expect *e = &out[w];
        e->packets++;
        int64_t idx = ds_darknet_index(d, p[i].dst);
        if (idx < 0 || !ds_packet_is_syn(&p[i]))
            continue;
        e->syn_packets++;
        e->keys[e->n_keys++] = (uint64_t)(p[i].src >> (32 - prefix)) << (16 + dbits) |
                               (uint64_t)p[i].dport << dbits | (uint64_t)idx;
        e->hosts[e->n_hosts++] =
            (ds_host_counts){p[i].src, 1, p[i].seq == p[i].dst, p[i].ip_id == 54321,
                             p[i].ip_id == (uint16_t)(p[i].dst ^ p[i].dport ^ p[i].seq)};
    }
    for (size_t w = 0; w < n_out; w++) {
        expect *e = &out[w];
        qsort(e->keys, e->n_keys, sizeof(*e->keys), cmp_u64);
        size_t m = 0;
        for (size_t k = 0; k < e->n_keys; k++) {
            if (m == 0 || e->keys[m - 1] != e->keys[k])
                e->keys[m++] = e->keys[k];
        }
        e->n_keys = m;
        qsort(e->hosts, e->n_hosts, sizeof(*e->hosts), cmp_host);
        m = 0;
        for (size_t k = 0; k < e->n_hosts; k++) {
            ds_host_counts *h = &e->hosts[k];
            if (m > 0 && e->hosts[m - 1].host == h->host) {
                e->hosts[m - 1].syn_packets += h->syn_packets;
                e->hosts[m - 1].mirai_packets += h->mirai_packets;
                e->hosts[m - 1].zmap_packets += h->zmap_packets;
                e->hosts[m - 1].masscan_packets += h->masscan_packets;
            } else {
                e->hosts[m++] = *h;
            }
        }
        e->n_hosts = m;
    }
    /* Ascending window ids, as the aggregate lists them. */
    for (size_t a = 1; a < n_out; a++) {
        for (size_t b = a; b > 0 && out[b - 1].id > out[b].id; b--) {
            expect t = out[b];
            out[b] = out[b - 1];
            out[b - 1] = t;
        }
    }
    return n_out;
}

static void check(ds_aggregate *agg, const expect *e, size_t n_e, uint64_t times)
{
    ds_error err;
    assert_int_equal(ds_aggregate_window_count(agg), n_e);
    for (size_t w = 0; w < n_e; w++) {
        ds_agg_window aw;
        assert_int_equal(ds_aggregate_window(agg, w, &aw), DS_OK);
        assert_int_equal(aw.id, e[w].id);
        assert_int_equal(aw.packets, times * e[w].packets);
        assert_int_equal(aw.syn_packets, times * e[w].syn_packets);
        const uint64_t *keys;
        size_t n;
        assert_int_equal(ds_aggregate_tuples(agg, w, &keys, &n, &err), DS_OK);
        assert_int_equal(n, e[w].n_keys);
        assert_memory_equal(keys, e[w].keys, n * sizeof(*keys));
        const ds_host_counts *hc;
        assert_int_equal(ds_aggregate_hosts(agg, w, &hc, &n, &err), DS_OK);
        assert_int_equal(n, e[w].n_hosts);
        for (size_t h = 0; h < n; h++) {
            assert_int_equal(hc[h].host, e[w].hosts[h].host);
            assert_int_equal(hc[h].syn_packets, times * e[w].hosts[h].syn_packets);
            assert_int_equal(hc[h].mirai_packets, times * e[w].hosts[h].mirai_packets);
            assert_int_equal(hc[h].zmap_packets, times * e[w].hosts[h].zmap_packets);
            assert_int_equal(hc[h].masscan_packets, times * e[w].hosts[h].masscan_packets);
        }
    }
}

static ds_aggregate *new_agg(const ds_agg_config *cfg, size_t buf, size_t budget)
{
    ds_aggregate *agg;
    ds_error err;
    assert_int_equal(ds_aggregate_new(&agg, cfg, &err), DS_OK);
    if (buf > 0)
        ds_aggregate_set_buffer(agg, buf, budget);
    return agg;
}

static void test_against_oracle(void **state)
{
    (void)state;
    enum { N = 60000, MAXW = 8 };
    rng = 0x9e3779b97f4a7c15ull;
    ds_darknet *d = make_darknet();
    ds_packet *p = random_packets(N);
    ds_error err;
    static const struct {
        size_t buf, budget;
    } sizes[] = {{1, 1}, {7, 20}, {100, 250}, {4096, 4096}, {0, 0}};
    for (unsigned prefix = 16; prefix <= 32; prefix += 16) {
        ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = prefix};
        expect e[MAXW];
        size_t n_e = oracle(p, N, d, prefix, e, MAXW);
        assert_true(n_e == 5);
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            /* All at once, and in odd-sized batches. */
            ds_aggregate *a = new_agg(&cfg, sizes[s].buf, sizes[s].budget);
            assert_int_equal(ds_aggregate_add(a, p, N, &err), DS_OK);
            check(a, e, n_e, 1);
            ds_aggregate *b = new_agg(&cfg, sizes[s].buf, sizes[s].budget);
            for (size_t i = 0; i < N; i += 777)
                assert_int_equal(ds_aggregate_add(b, p + i, N - i < 777 ? N - i : 777, &err),
                                 DS_OK);
            check(b, e, n_e, 1);
            /* Three parts merged, one of them read before the merge (one run). */
            ds_aggregate *parts[3];
            for (int k = 0; k < 3; k++) {
                parts[k] = new_agg(&cfg, sizes[s].buf, sizes[s].budget);
                size_t lo = (size_t)k * N / 3, hi = (size_t)(k + 1) * N / 3;
                assert_int_equal(ds_aggregate_add(parts[k], p + lo, hi - lo, &err), DS_OK);
            }
            const uint64_t *keys;
            size_t nk;
            assert_int_equal(ds_aggregate_tuples(parts[1], 0, &keys, &nk, &err), DS_OK);
            assert_int_equal(ds_aggregate_merge(parts[2], parts[0], &err), DS_OK);
            assert_int_equal(ds_aggregate_merge(parts[2], parts[1], &err), DS_OK);
            check(parts[2], e, n_e, 1);
            /* Export and import twice: sets the same, counts doubled; then more packets. */
            ds_aggregate *c = new_agg(&cfg, sizes[s].buf, sizes[s].budget);
            for (int twice = 0; twice < 2; twice++) {
                for (size_t w = 0; w < ds_aggregate_window_count(a); w++) {
                    ds_agg_window_data data;
                    assert_int_equal(ds_aggregate_window_export(a, w, &data, &err), DS_OK);
                    assert_int_equal(ds_aggregate_window_import(c, &data, &err), DS_OK);
                }
            }
            check(c, e, n_e, 2);
            assert_int_equal(ds_aggregate_add(c, p, N, &err), DS_OK);
            check(c, e, n_e, 3);
            ds_aggregate_free(a);
            ds_aggregate_free(b);
            ds_aggregate_free(c);
            for (int k = 0; k < 3; k++)
                ds_aggregate_free(parts[k]);
        }
        for (size_t w = 0; w < n_e; w++) {
            free(e[w].keys);
            free(e[w].hosts);
        }
    }
    free(p);
    ds_darknet_free(d);
}

/* Coverage as the oracle's keys give it: (block << 16 | port) and count, in order. */
typedef struct cov_list {
    uint64_t *pair, *count;
    size_t n;
} cov_list;

static int collect(void *ctx, const ds_coverage *cov)
{
    cov_list *c = ctx;
    c->pair[c->n] = (uint64_t)cov->block << 16 | cov->port;
    c->count[c->n++] = cov->count;
    return 0;
}

static void test_absorb_and_walk(void **state)
{
    (void)state;
    enum { N = 40000, MAXW = 8, PARTS = 4 };
    rng = 0x1234567887654321ull;
    ds_darknet *d = make_darknet();
    ds_packet *p = random_packets(N);
    ds_error err;
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    expect e[MAXW];
    size_t n_e = oracle(p, N, d, 16, e, MAXW);
    ds_aggregate *probe = new_agg(&cfg, 0, 0);
    unsigned dbits = ds_aggregate_index_bits(probe);
    ds_aggregate_free(probe);
    static const size_t part_counts[] = {1, 2, 3, PARTS + 2};
    for (size_t pc = 0; pc < sizeof(part_counts) / sizeof(part_counts[0]); pc++) {
        /* Parts as ds_read_files' workers: compacted, then absorbed into the first. The
           coverage walk merges the runs (one, two, up to 4 of them, else they are merged
           first). A lone worker leaves two runs (the walk merges them, not the worker); here
           every other part does too. */
        size_t parts = part_counts[pc];
        ds_aggregate *agg[PARTS + 2] = {0};
        for (size_t k = 0; k < parts; k++) {
            agg[k] = new_agg(&cfg, 50, 120);
            size_t lo = k * N / parts, hi = (k + 1) * N / parts;
            assert_int_equal(ds_aggregate_add(agg[k], p + lo, hi - lo, &err), DS_OK);
            size_t max_runs = parts == 1 ? 2 : 1 + k % 2;
            assert_int_equal(ds_aggregate_compact_all(agg[k], max_runs, &err), DS_OK);
            size_t runs = ds_aggregate_run_count(agg[k], 0);
            assert_true(runs >= 1 && runs <= max_runs);
            if (parts == 1)
                assert_int_equal(runs, 2); /* 40,000 packets in buffers of 50: many runs */
        }
        for (size_t k = 1; k < parts; k++) {
            assert_int_equal(ds_aggregate_absorb(agg[0], agg[k], &err), DS_OK);
            assert_int_equal(ds_aggregate_window_count(agg[k]), 0);
            ds_aggregate_free(agg[k]);
        }
        /* Every pair, and only the pairs with at least `min` addresses (the detector's
           threshold): the walk passes over the others without a call. */
        static const uint64_t mins[] = {0, 1, 2, 5, 12, 1000};
        for (size_t w = 0; w < n_e; w++) {
            for (size_t mi = 0; mi < sizeof(mins) / sizeof(mins[0]); mi++) {
                cov_list got = {malloc(N * 8), malloc(N * 8), 0},
                         all = {malloc(N * 8), malloc(N * 8), 0},
                         want = {malloc(N * 8), malloc(N * 8), 0};
                for (size_t k = 0; k < e[w].n_keys; k++) {
                    uint64_t pair = e[w].keys[k] >> dbits;
                    if (all.n > 0 && all.pair[all.n - 1] == pair) {
                        all.count[all.n - 1]++;
                    } else {
                        all.pair[all.n] = pair;
                        all.count[all.n++] = 1;
                    }
                }
                for (size_t k = 0; k < all.n; k++) {
                    if (all.count[k] >= mins[mi]) {
                        want.pair[want.n] = all.pair[k];
                        want.count[want.n++] = all.count[k];
                    }
                }
                if (mins[mi] == 0) {
                    assert_int_equal(ds_aggregate_coverage(agg[0], w, collect, &got, &err), DS_OK);
                } else {
                    assert_int_equal(
                        ds_aggregate_coverage_min(agg[0], w, mins[mi], collect, &got, &err), DS_OK);
                }
                assert_int_equal(got.n, want.n);
                assert_memory_equal(got.pair, want.pair, got.n * 8);
                assert_memory_equal(got.count, want.count, got.n * 8);
                /* The thresholds in between filter something here (the test is not empty). */
                if (mins[mi] == 5)
                    assert_true(want.n > 0 && want.n < all.n);
                free(got.pair);
                free(got.count);
                free(all.pair);
                free(all.count);
                free(want.pair);
                free(want.count);
            }
        }
        check(agg[0], e, n_e, 1);
        ds_aggregate_free(agg[0]);
    }
    for (size_t w = 0; w < n_e; w++) {
        free(e[w].keys);
        free(e[w].hosts);
    }
    free(p);
    ds_darknet_free(d);
}

/* A SYN from src to the darknet's first address, in January 2019. */
static ds_packet syn_from(uint32_t src, uint32_t seq)
{
    ds_packet q = {0};
    q.ts_ns = T_2019_01 + DAY;
    q.src = src;
    q.dst = 0xc0000200u;
    q.dport = 80;
    q.proto = DS_PROTO_TCP;
    q.pkt_flags = DS_PKT_PORTS;
    q.tcp_flags = DS_TCP_SYN;
    q.seq = seq;
    q.ip_id = 1;
    return q;
}

static void test_host_counts_beyond_32_bits(void **state)
{
    (void)state;
    ds_darknet *d = make_darknet();
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_error err;
    ds_aggregate *a = new_agg(&cfg, 0, 0);
    /* Host A at UINT32_MAX - 1 SYNs, all Mirai; host B beyond 32 bits from the start. */
    const uint32_t ha = 0x0a000001u, hb = 0x0a000002u;
    ds_host_counts hosts[2] = {{ha, UINT32_MAX - 1, UINT32_MAX - 1, 0, 0},
                               {hb, (uint64_t)1 << 40, (uint64_t)1 << 33, 5, 0}};
    ds_agg_window_data in = {.id = ds_window_of(&cfg.window, T_2019_01 + DAY),
                             .first_ts_ns = INT64_MAX,
                             .last_ts_ns = INT64_MIN,
                             .hosts = hosts,
                             .n_hosts = 2};
    assert_int_equal(ds_aggregate_window_import(a, &in, &err), DS_OK);
    /* Three more SYNs from A (Mirai: seq is the destination), one from B. */
    ds_packet more[4] = {syn_from(ha, 0xc0000200u), syn_from(ha, 0xc0000200u),
                         syn_from(ha, 0xc0000200u), syn_from(hb, 9)};
    assert_int_equal(ds_aggregate_add(a, more, 4, &err), DS_OK);
    const ds_host_counts *hc;
    size_t n;
    assert_int_equal(ds_aggregate_hosts(a, 0, &hc, &n, &err), DS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(hc[0].host, ha);
    assert_int_equal(hc[0].syn_packets, (uint64_t)UINT32_MAX + 2);
    assert_int_equal(hc[0].mirai_packets, (uint64_t)UINT32_MAX + 2);
    assert_int_equal(hc[1].host, hb);
    assert_int_equal(hc[1].syn_packets, ((uint64_t)1 << 40) + 1);
    assert_int_equal(hc[1].mirai_packets, (uint64_t)1 << 33);
    assert_int_equal(hc[1].zmap_packets, 5);
    /* Merged into another aggregate twice, and exported/imported: the sums double. */
    ds_aggregate *b = new_agg(&cfg, 0, 0);
    assert_int_equal(ds_aggregate_merge(b, a, &err), DS_OK);
    assert_int_equal(ds_aggregate_merge(b, a, &err), DS_OK);
    ds_aggregate *c = new_agg(&cfg, 0, 0);
    ds_agg_window_data out;
    assert_int_equal(ds_aggregate_window_export(b, 0, &out, &err), DS_OK);
    assert_int_equal(ds_aggregate_window_import(c, &out, &err), DS_OK);
    assert_int_equal(ds_aggregate_hosts(c, 0, &hc, &n, &err), DS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(hc[0].syn_packets, 2 * ((uint64_t)UINT32_MAX + 2));
    assert_int_equal(hc[0].mirai_packets, 2 * ((uint64_t)UINT32_MAX + 2));
    assert_int_equal(hc[1].syn_packets, 2 * (((uint64_t)1 << 40) + 1));
    assert_int_equal(hc[1].mirai_packets, (uint64_t)1 << 34);
    assert_int_equal(hc[1].zmap_packets, 10);
    ds_aggregate_free(a);
    ds_aggregate_free(b);
    ds_aggregate_free(c);
    ds_darknet_free(d);
}

/*
 * The two host tables (SYN counts for every packet, tool counts only for fingerprinted SYNs)
 * at their edges: the source 0.0.0.0 (a slot is empty by its counts, not its address); a host
 * with tool counts and no SYN count (an import); a tool count passing 32 bits while the SYN
 * count does not, and the other way round.
 */
static void test_host_table_edges(void **state)
{
    (void)state;
    ds_darknet *d = make_darknet();
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_error err;
    ds_aggregate *a = new_agg(&cfg, 0, 0);
    const uint32_t hc_ = 0x0a000003u, hd = 0x0a000004u, he = 0x0a000005u;
    ds_host_counts hosts[3] = {
        {hc_, 0, 0, 7, 0}, {hd, 10, 0, 0, UINT32_MAX - 1}, {he, UINT32_MAX - 1, 0, 0, 0}};
    ds_agg_window_data in = {.id = ds_window_of(&cfg.window, T_2019_01 + DAY),
                             .first_ts_ns = INT64_MAX,
                             .last_ts_ns = INT64_MIN,
                             .hosts = hosts,
                             .n_hosts = 3};
    assert_int_equal(ds_aggregate_window_import(a, &in, &err), DS_OK);
    const uint32_t masscan_seq = (0xc0000200u ^ 80 ^ 1) & 0xffff; /* ip_id 1 = dst ^ dport ^ seq */
    ds_packet p[9] = {syn_from(0, 7),   syn_from(0, 0xc0000200u),  syn_from(0, 7),
                      syn_from(hc_, 7), syn_from(hd, masscan_seq), syn_from(hd, masscan_seq),
                      syn_from(he, 7),  syn_from(he, 7),           syn_from(he, 0xc0000200u)};
    p[2].ip_id = 54321; /* ZMap */
    assert_int_equal(ds_aggregate_add(a, p, 9, &err), DS_OK);
    const ds_host_counts *h;
    size_t n;
    assert_int_equal(ds_aggregate_hosts(a, 0, &h, &n, &err), DS_OK);
    assert_int_equal(n, 4);
    const ds_host_counts want[4] = {{0, 3, 1, 1, 0},
                                    {hc_, 1, 0, 7, 0},
                                    {hd, 12, 0, 0, (uint64_t)UINT32_MAX + 1},
                                    {he, (uint64_t)UINT32_MAX + 2, 1, 0, 0}};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(h[i].host, want[i].host);
        assert_int_equal(h[i].syn_packets, want[i].syn_packets);
        assert_int_equal(h[i].mirai_packets, want[i].mirai_packets);
        assert_int_equal(h[i].zmap_packets, want[i].zmap_packets);
        assert_int_equal(h[i].masscan_packets, want[i].masscan_packets);
    }
    /* Merged twice into an empty aggregate: every sum doubles. */
    ds_aggregate *b = new_agg(&cfg, 0, 0);
    assert_int_equal(ds_aggregate_merge(b, a, &err), DS_OK);
    assert_int_equal(ds_aggregate_merge(b, a, &err), DS_OK);
    assert_int_equal(ds_aggregate_hosts(b, 0, &h, &n, &err), DS_OK);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(h[i].host, want[i].host);
        assert_int_equal(h[i].syn_packets, 2 * want[i].syn_packets);
        assert_int_equal(h[i].mirai_packets, 2 * want[i].mirai_packets);
        assert_int_equal(h[i].zmap_packets, 2 * want[i].zmap_packets);
        assert_int_equal(h[i].masscan_packets, 2 * want[i].masscan_packets);
    }
    ds_aggregate_free(a);
    ds_aggregate_free(b);
    ds_darknet_free(d);
}

/* A coverage callback that records the calls and stops after `stop` of them (0: never). */
typedef struct cov_rec {
    cov_list l;
    size_t stop;
} cov_rec;

static int record_cov(void *ctx, const ds_coverage *cov)
{
    cov_rec *r = ctx;
    collect(&r->l, cov);
    return r->stop != 0 && r->l.n == r->stop;
}

/*
 * The walk over two runs of more than a million keys in two halves at once (two threads)
 * makes the same calls, in the same order, as the walk on one thread and as the walk of the
 * merged keys; a callback that stops the walk early (in either half) gets the same calls too.
 */
static void test_parallel_walk(void **state)
{
    (void)state;
    enum { N = 1500000 };
    rng = 0x243f6a8885a308d3ull;
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    assert_int_equal(ds_darknet_add(d, "10.64.0.0/12", NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_packet *p = calloc(N, sizeof(*p));
    assert_non_null(p);
    for (size_t i = 0; i < N; i++) {
        uint64_t r = rnd();
        p[i].ts_ns = T_2019_01 + (int64_t)(r % 86400) * NS;
        p[i].src = (uint32_t)(r >> 32) % 4 ? 0x0a000000u | (uint32_t)(r >> 40) % 2048 : (uint32_t)r;
        p[i].dst = 0x0a400000u | (uint32_t)(rnd() % (1u << 20));
        p[i].dport = (uint16_t)(1 + (r >> 24) % 300);
        p[i].proto = DS_PROTO_TCP;
        p[i].pkt_flags = DS_PKT_PORTS;
        p[i].tcp_flags = DS_TCP_SYN;
    }
    ds_aggregate *a = new_agg(&cfg, 0, 0), *b = new_agg(&cfg, 0, 0), *m = new_agg(&cfg, 0, 0);
    /* Two workers' aggregates with overlapping keys (the middle third in both). */
    assert_int_equal(ds_aggregate_add(a, p, N * 2 / 3, &err), DS_OK);
    assert_int_equal(ds_aggregate_add(b, p + N / 3, N - N / 3, &err), DS_OK);
    assert_int_equal(ds_aggregate_add(m, p, N, &err), DS_OK);
    assert_int_equal(ds_aggregate_compact_all(a, 1, &err), DS_OK);
    assert_int_equal(ds_aggregate_compact_all(b, 1, &err), DS_OK);
    assert_int_equal(ds_aggregate_absorb(a, b, &err), DS_OK);
    ds_aggregate_free(b);
    assert_int_equal(ds_aggregate_window_count(a), 1);
    cov_rec want = {{malloc(N * 8), malloc(N * 8), 0}, 0};
    assert_int_equal(ds_aggregate_coverage(m, 0, record_cov, &want, &err), DS_OK);
    assert_true(want.l.n > 1000);
    /* With a minimum count (the walk split in halves instead of 70/30), the same calls as the
       full walk's calls with at least that count: every pair of the busy /16 has thousands of
       addresses, the other sources' pairs one or two. */
    static const uint64_t mins[] = {0, 2, 1000};
    for (size_t mi = 0; mi < sizeof(mins) / sizeof(mins[0]); mi++) {
        cov_list fw = {malloc(N * 8), malloc(N * 8), 0};
        for (size_t k = 0; k < want.l.n; k++) {
            if (want.l.count[k] >= mins[mi]) {
                fw.pair[fw.n] = want.l.pair[k];
                fw.count[fw.n++] = want.l.count[k];
            }
        }
        assert_true(fw.n > 100);
        const size_t stops[] = {0, 1, 7, fw.n / 2, fw.n / 10 * 8, fw.n - 1, fw.n + 5};
        for (unsigned threads = 1; threads <= 2; threads++) {
            ds_aggregate_set_threads(a, threads);
            for (size_t k = 0; k < sizeof(stops) / sizeof(stops[0]); k++) {
                cov_rec got = {{malloc(N * 8), malloc(N * 8), 0}, stops[k]};
                assert_int_equal(ds_aggregate_coverage_min(a, 0, mins[mi], record_cov, &got, &err),
                                 DS_OK);
                size_t n = stops[k] == 0 || stops[k] > fw.n ? fw.n : stops[k];
                assert_int_equal(got.l.n, n);
                assert_memory_equal(got.l.pair, fw.pair, n * 8);
                assert_memory_equal(got.l.count, fw.count, n * 8);
                free(got.l.pair);
                free(got.l.count);
            }
        }
        free(fw.pair);
        free(fw.count);
    }
    free(want.l.pair);
    free(want.l.count);
    ds_aggregate_free(a);
    ds_aggregate_free(m);
    free(p);
    ds_darknet_free(d);
}

/*
 * Times at the ends of int64 nanoseconds (what a reader clamps a pcapng timestamp beyond 2262
 * or before 1677 to): the last window ends at INT64_MAX, so its last coverage slot's end
 * cannot be represented (an overflow UBSan reported). Every packet counts in its window and
 * the first and last slots are covered.
 */
static void test_extreme_times(void **state)
{
    (void)state;
    ds_darknet *d = make_darknet();
    ds_error err;
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_aggregate *agg;
    assert_int_equal(ds_aggregate_new(&agg, &cfg, &err), DS_OK);
    const int64_t times[] = {INT64_MAX, INT64_MAX - 1, INT64_MAX, INT64_MIN, INT64_MIN + 1, 0};
    ds_packet p[6];
    for (size_t i = 0; i < 6; i++) {
        p[i] = syn_from(0x0a000001u, (uint32_t)i);
        p[i].ts_ns = times[i];
    }
    assert_int_equal(ds_aggregate_add(agg, p, 6, &err), DS_OK);
    assert_int_equal(ds_aggregate_window_count(agg), 3);
    ds_agg_window first, mid, last;
    ds_aggregate_window(agg, 0, &first);
    ds_aggregate_window(agg, 1, &mid);
    ds_aggregate_window(agg, 2, &last);
    assert_int_equal(first.packets, 2);
    assert_int_equal(first.first_ts_ns, INT64_MIN);
    assert_int_equal(first.lead_gap_slots, 0);
    assert_int_equal(mid.packets, 1);
    assert_int_equal(last.packets, 3);
    assert_int_equal(last.last_ts_ns, INT64_MAX);
    assert_int_equal(last.trail_gap_slots, 0);
    ds_aggregate_free(agg);
    ds_darknet_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_oracle),   cmocka_unit_test(test_absorb_and_walk),
        cmocka_unit_test(test_parallel_walk),    cmocka_unit_test(test_host_counts_beyond_32_bits),
        cmocka_unit_test(test_host_table_edges), cmocka_unit_test(test_extreme_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
