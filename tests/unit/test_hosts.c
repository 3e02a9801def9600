/*
 * test_hosts.c - inside a constant scanner block, with hand-computed answers: its hosts and
 * /24s, the tool fingerprints (Mirai, ZMap, Masscan), and the host pass (a /32 aggregate
 * filtered to the blocks, with TTL and TCP window counting): per-host port-set sizes, dominant
 * TTL and window. Also the aggregate's source filter and header values through merge and
 * export/import.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/darkscan.h"

#define NS          1000000000LL
#define T_2018_07   (1530403200LL * NS)
#define DAY         (86400LL * NS)
#define MONTH_NS(k) (T_2018_07 + (k)*31 * DAY)

/* The darknet: 192.0.2.0/29 + 192.0.2.16/31, 10 addresses; alpha 0.8 is 8 of them. */
static const uint32_t dark[10] = {0xc0000200, 0xc0000201, 0xc0000202, 0xc0000203, 0xc0000204,
                                  0xc0000205, 0xc0000206, 0xc0000207, 0xc0000210, 0xc0000211};

#define H1 0x0a010203u /* 10.1.2.3 */
#define H2 0x0a010204u /* 10.1.2.4 */
#define H3 0x0a010909u /* 10.1.9.9 */
#define G1 0x0a020001u /* 10.2.0.1: a second constant block */
#define X1 0x0a030303u /* 10.3.3.3: not a constant scanner */

typedef struct pkts {
    ds_packet *p;
    size_t n, cap;
} pkts;

/* A SYN; IP ID 0x4000 and seq 7 carry no fingerprint unless set. */
typedef struct syn_spec {
    uint8_t ttl;
    uint16_t tcp_window;
    enum { FP_NONE, FP_MIRAI, FP_ZMAP, FP_MASSCAN } fp;
} syn_spec;

static void put(pkts *ps, int64_t ts, uint32_t src, uint32_t dst, uint16_t dport, syn_spec s)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 1024;
        ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
        assert_non_null(ps->p);
    }
    ds_packet p = {0};
    p.ts_ns = ts;
    p.src = src;
    p.dst = dst;
    p.sport = 40000;
    p.dport = dport;
    p.proto = DS_PROTO_TCP;
    p.tcp_flags = DS_TCP_SYN;
    p.pkt_flags = DS_PKT_PORTS;
    p.seq = 7;
    p.ip_id = 0x4000;
    p.ttl = s.ttl;
    p.tcp_window = s.tcp_window;
    switch (s.fp) {
    case FP_MIRAI:
        p.seq = dst;
        break;
    case FP_ZMAP:
        p.ip_id = 54321;
        break;
    case FP_MASSCAN:
        p.seq = 0x12345678u;
        p.ip_id = (uint16_t)(dst ^ dport ^ p.seq);
        break;
    case FP_NONE:
        break;
    }
    ps->p[ps->n++] = p;
}

/* ports [lo, hi] on the first `addrs` darknet addresses in window k. */
static void scan(pkts *ps, int k, uint32_t src, int lo, int hi, int addrs, syn_spec s)
{
    for (int port = lo; port <= hi; port++) {
        for (int a = 0; a < addrs; a++)
            put(ps, MONTH_NS(k) + port * 100 + a, src, dark[a], (uint16_t)port, s);
    }
}

/*
 * The scenario (windows 0 and 1, m = 2, n = 30):
 *  H1: ports 1-30 on 8 addresses in both windows; TTL 64 in window 0 and 128 in window 1,
 *      window 1024; Mirai in window 0.                                  480 SYNs
 *  H2: ports 31-40 on 8 addresses in window 0; TTL 128, window 65535, ZMap.   80 SYNs
 *  H3: ports 41-45 on 5 addresses (below alpha) in window 1; TTL 50, window 65535, Masscan.
 *                                                                              25 SYNs
 *  Block 10.1/16: P_0 = 1..40 (40 ports), P_1 = 1..30: constant.
 *  G1: ports 100-139 on all 10 addresses in both windows (10.2/16, constant).  800 SYNs
 *  X1: ports 1-30 on 8 addresses in window 0 only: one scan window, not constant.
 */
static pkts scenario(void)
{
    pkts ps = {0};
    scan(&ps, 0, H1, 1, 30, 8, (syn_spec){64, 1024, FP_MIRAI});
    scan(&ps, 1, H1, 1, 30, 8, (syn_spec){128, 1024, FP_NONE});
    scan(&ps, 0, H2, 31, 40, 8, (syn_spec){128, 65535, FP_ZMAP});
    scan(&ps, 1, H3, 41, 45, 5, (syn_spec){50, 65535, FP_MASSCAN});
    scan(&ps, 0, G1, 100, 139, 10, (syn_spec){255, 29200, FP_NONE});
    scan(&ps, 1, G1, 100, 139, 10, (syn_spec){255, 29200, FP_NONE});
    scan(&ps, 0, X1, 1, 30, 8, (syn_spec){64, 512, FP_NONE});
    return ps;
}

static ds_darknet *make_darknet(void)
{
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    assert_int_equal(ds_darknet_add(d, "192.0.2.0/29,192.0.2.16/31", NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    return d;
}

static ds_params params(void)
{
    ds_params p;
    ds_params_default(&p);
    p.min_windows = 2;
    return p;
}

static ds_aggregate *aggregate(const ds_agg_config *cfg, const ds_packet *p, size_t n)
{
    ds_aggregate *agg;
    ds_error err;
    assert_int_equal(ds_aggregate_new(&agg, cfg, &err), DS_OK);
    assert_int_equal(ds_aggregate_add(agg, p, n, &err), DS_OK);
    return agg;
}

/* host_config - the host-pass configuration for r's blocks (ranges owned by the caller). */
static ds_agg_config host_config(const ds_darknet *d, const ds_results *r, ds_addr_range **ranges)
{
    size_t n;
    ds_error err;
    assert_int_equal(ds_results_source_ranges(r, ranges, &n, &err), DS_OK);
    ds_agg_config cfg = {.darknet = d,
                         .window = {DS_WINDOW_MONTH, 0},
                         .prefix = 32,
                         .sources = *ranges,
                         .n_sources = n,
                         .header_values = true};
    return cfg;
}

static void check_block(const ds_results *r, bool host_pass)
{
    assert_int_equal(r->n_networks, 2);
    const ds_network *n = &r->networks[0];
    assert_int_equal(n->block, 0x0a010000u);
    assert_int_equal(n->n_scan_windows, 2);
    assert_int_equal(n->port_sets[0].n, 40);
    assert_int_equal(n->port_sets[1].n, 30);
    /* Fingerprints: Mirai 240 (H1, window 0), ZMap 80 (H2), Masscan 25 (H3). */
    assert_int_equal(n->syn_packets, 480 + 80 + 25);
    assert_int_equal(n->mirai_packets, 240);
    assert_int_equal(n->zmap_packets, 80);
    assert_int_equal(n->masscan_packets, 25);
    /* Hosts by packets; /24s by packets. */
    assert_int_equal(n->hosts, 3);
    assert_int_equal(n->n_host_list, 3);
    assert_int_equal(n->host_list[0].addr, H1);
    assert_int_equal(n->host_list[0].syn_packets, 480);
    assert_int_equal(n->host_list[1].addr, H2);
    assert_int_equal(n->host_list[1].syn_packets, 80);
    assert_int_equal(n->host_list[2].addr, H3);
    assert_int_equal(n->host_list[2].syn_packets, 25);
    assert_int_equal(n->n_subnets, 2);
    assert_int_equal(n->subnets[0].prefix, 0x0a010200u);
    assert_int_equal(n->subnets[0].syn_packets, 560);
    assert_int_equal(n->subnets[0].hosts, 2);
    assert_int_equal(n->subnets[1].prefix, 0x0a010900u);
    assert_int_equal(n->subnets[1].syn_packets, 25);
    assert_int_equal(n->subnets[1].hosts, 1);
    assert_int_equal(n->top24, 0x0a010200u);
    assert_int_equal(n->top24_packets, 560);
    assert_int_equal(n->top24_host, H1);
    if (!host_pass) {
        assert_false(r->host_pass);
        assert_null(n->host_list[0].port_set_sizes);
        assert_int_equal(n->ttl, -1);
        assert_int_equal(n->tcp_window, -1);
        return;
    }
    assert_true(r->host_pass);
    /* |P_t(host)|: H1 30 and 30; H2 10 and 0; H3 0 and 0 (5 addresses < 8). */
    const ds_block_host *h = n->host_list;
    assert_int_equal(h[0].port_set_sizes[0], 30);
    assert_int_equal(h[0].port_set_sizes[1], 30);
    assert_int_equal(h[0].ports_max, 30);
    assert_int_equal(h[1].port_set_sizes[0], 10);
    assert_int_equal(h[1].port_set_sizes[1], 0);
    assert_int_equal(h[1].ports_max, 10);
    assert_int_equal(h[2].port_set_sizes[0], 0);
    assert_int_equal(h[2].port_set_sizes[1], 0);
    assert_int_equal(h[2].ports_max, 0);
    /* TTL: H1 240 x 64 and 240 x 128 (a tie: the lower, 64); H2 128; H3 50. The block:
     * 128 has 240 + 80 = 320 packets, 64 has 240, 50 has 25. */
    assert_int_equal(h[0].ttl, 64);
    assert_int_equal(h[1].ttl, 128);
    assert_int_equal(h[2].ttl, 50);
    assert_int_equal(n->ttl, 128);
    assert_int_equal(n->ttl_packets, 320);
    /* Window: 1024 x 480 against 65535 x 105. */
    assert_int_equal(h[0].tcp_window, 1024);
    assert_int_equal(h[1].tcp_window, 65535);
    assert_int_equal(n->tcp_window, 1024);
    assert_int_equal(n->tcp_window_packets, 480);
    /* The other block. */
    const ds_network *g = &r->networks[1];
    assert_int_equal(g->block, 0x0a020000u);
    assert_int_equal(g->ttl, 255);
    assert_int_equal(g->ttl_packets, 800);
    assert_int_equal(g->tcp_window, 29200);
    assert_int_equal(g->host_list[0].port_set_sizes[0], 40);
    assert_int_equal(g->host_list[0].ports_max, 40);
}

static void test_block_and_host_pass(void **state)
{
    pkts ps = scenario();
    ds_darknet *d = make_darknet();
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_aggregate *agg = aggregate(&cfg, ps.p, ps.n);
    ds_params p = params();
    ds_results *r;
    ds_error err;
    assert_int_equal(ds_detect(agg, &p, &r, &err), DS_OK);
    check_block(r, false);

    ds_addr_range *ranges;
    ds_agg_config hcfg = host_config(d, r, &ranges);
    assert_int_equal(hcfg.n_sources, 2);
    assert_int_equal(ranges[0].first, 0x0a010000u);
    assert_int_equal(ranges[0].last, 0x0a01ffffu);
    ds_aggregate *hagg = aggregate(&hcfg, ps.p, ps.n);
    /* The filter: X1's SYNs count in the totals, not in the hosts. */
    ds_agg_totals t = ds_aggregate_totals(hagg);
    assert_int_equal(t.syn_to_darknet, ps.n);
    const ds_host_counts *hc;
    size_t nh;
    assert_int_equal(ds_aggregate_hosts(hagg, 0, &hc, &nh, &err), DS_OK);
    for (size_t i = 0; i < nh; i++)
        assert_int_not_equal(hc[i].host, X1);
    assert_int_equal(nh, 3); /* H1, H2, G1 in window 0 */
    assert_int_equal(ds_detect_hosts(r, hagg, &err), DS_OK);
    check_block(r, true);

    /* A /16 aggregate is not a host pass. */
    assert_int_equal(ds_detect_hosts(r, agg, &err), DS_ERR_INVALID);
    ds_aggregate_free(hagg);
    ds_aggregate_free(agg);
    ds_results_free(r);
    free(ranges);
    ds_darknet_free(d);
    free(ps.p);
}

/* The host pass from two halves merged, and from a window-by-window export/import copy. */
static void test_host_pass_merge_and_export(void **state)
{
    pkts ps = scenario();
    ds_darknet *d = make_darknet();
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_aggregate *agg = aggregate(&cfg, ps.p, ps.n);
    ds_params p = params();
    ds_results *r;
    ds_error err;
    assert_int_equal(ds_detect(agg, &p, &r, &err), DS_OK);
    ds_addr_range *ranges;
    ds_agg_config hcfg = host_config(d, r, &ranges);

    /* Odd and even packets in two aggregates, merged. */
    size_t half = ps.n / 2;
    ds_packet *odd = malloc(ps.n * sizeof(*odd)), *even = malloc(ps.n * sizeof(*even));
    size_t no = 0, ne = 0;
    for (size_t i = 0; i < ps.n; i++) {
        if (i % 2)
            odd[no++] = ps.p[i];
        else
            even[ne++] = ps.p[i];
    }
    assert_true(no >= half && ne >= half);
    ds_aggregate *a = aggregate(&hcfg, odd, no), *b = aggregate(&hcfg, even, ne);
    assert_int_equal(ds_aggregate_merge(a, b, &err), DS_OK);
    assert_int_equal(ds_detect_hosts(r, a, &err), DS_OK);
    check_block(r, true);

    /* Export every window of a, import into a fresh aggregate: the same answers. */
    ds_aggregate *c;
    assert_int_equal(ds_aggregate_new(&c, &hcfg, &err), DS_OK);
    for (size_t w = 0; w < ds_aggregate_window_count(a); w++) {
        ds_agg_window_data data;
        assert_int_equal(ds_aggregate_window_export(a, w, &data, &err), DS_OK);
        assert_true(data.n_ttls > 0 && data.n_tcp_windows > 0);
        for (size_t k = 1; k < data.n_ttls; k++)
            assert_true(data.ttls[k - 1].host < data.ttls[k].host ||
                        (data.ttls[k - 1].host == data.ttls[k].host &&
                         data.ttls[k - 1].value < data.ttls[k].value));
        assert_int_equal(ds_aggregate_window_import(c, &data, &err), DS_OK);
    }
    assert_int_equal(ds_detect_hosts(r, c, &err), DS_OK);
    check_block(r, true);
    /* Importing twice doubles every count (counts add). */
    ds_agg_window_data data;
    assert_int_equal(ds_aggregate_window_export(a, 0, &data, &err), DS_OK);
    assert_int_equal(ds_aggregate_window_import(c, &data, &err), DS_OK);
    const ds_value_count *v;
    size_t nv;
    assert_int_equal(ds_aggregate_header_values(c, 0, DS_FIELD_TTL, &v, &nv, &err), DS_OK);
    for (size_t k = 0; k < nv; k++) {
        if (v[k].host == H2)
            assert_int_equal(v[k].packets, 160);
    }

    /* Aggregates with different filters or counting do not merge. */
    ds_agg_config plain = hcfg;
    plain.header_values = false;
    ds_aggregate *e = aggregate(&plain, ps.p, 0);
    assert_int_equal(ds_aggregate_merge(a, e, &err), DS_ERR_INVALID);
    /* Header values into an aggregate that does not count them. */
    assert_int_equal(ds_aggregate_window_import(e, &data, &err), DS_ERR_INVALID);
    ds_agg_config other = hcfg;
    other.n_sources = 1;
    ds_aggregate *f = aggregate(&other, ps.p, 0);
    assert_int_equal(ds_aggregate_merge(a, f, &err), DS_ERR_INVALID);

    ds_aggregate_free(a);
    ds_aggregate_free(b);
    ds_aggregate_free(c);
    ds_aggregate_free(e);
    ds_aggregate_free(f);
    ds_aggregate_free(agg);
    ds_results_free(r);
    free(ranges);
    free(odd);
    free(even);
    ds_darknet_free(d);
    free(ps.p);
}

static void test_bad_header_values_and_sources(void **state)
{
    ds_darknet *d = make_darknet();
    ds_error err;
    ds_addr_range unsorted[2] = {{10, 20}, {5, 8}};
    ds_agg_config cfg = {.darknet = d,
                         .window = {DS_WINDOW_MONTH, 0},
                         .prefix = 32,
                         .sources = unsorted,
                         .n_sources = 2,
                         .header_values = true};
    ds_aggregate *agg = NULL;
    assert_int_equal(ds_aggregate_new(&agg, &cfg, &err), DS_ERR_INVALID);
    ds_addr_range overlapping[2] = {{5, 10}, {10, 20}};
    cfg.sources = overlapping;
    assert_int_equal(ds_aggregate_new(&agg, &cfg, &err), DS_ERR_INVALID);
    cfg.n_sources = 0;
    assert_int_equal(ds_aggregate_new(&agg, &cfg, &err), DS_OK);
    ds_value_count bad_order[2] = {{5, 64, 1}, {5, 64, 1}};
    ds_agg_window_data data;
    memset(&data, 0, sizeof(data));
    data.id = 0;
    data.first_ts_ns = INT64_MAX;
    data.last_ts_ns = INT64_MIN;
    data.ttls = bad_order;
    data.n_ttls = 2;
    assert_int_equal(ds_aggregate_window_import(agg, &data, &err), DS_ERR_FORMAT);
    ds_value_count big_ttl[1] = {{5, 300, 1}};
    data.ttls = big_ttl;
    data.n_ttls = 1;
    assert_int_equal(ds_aggregate_window_import(agg, &data, &err), DS_ERR_FORMAT);
    data.ttls = NULL;
    data.n_ttls = 0;
    data.tcp_windows = big_ttl; /* 300 is a fine TCP window */
    data.n_tcp_windows = 1;
    assert_int_equal(ds_aggregate_window_import(agg, &data, &err), DS_OK);
    ds_aggregate_free(agg);
    ds_darknet_free(d);
}

/* same_networks - every field of every network of a and b is the same (host pass included). */
static void same_networks(const ds_results *a, const ds_results *b)
{
    assert_int_equal(a->n_networks, b->n_networks);
    for (size_t k = 0; k < a->n_networks; k++) {
        const ds_network *x = &a->networks[k], *y = &b->networks[k];
        assert_int_equal(x->block, y->block);
        assert_int_equal(x->syn_packets, y->syn_packets);
        assert_int_equal(x->mirai_packets, y->mirai_packets);
        assert_int_equal(x->zmap_packets, y->zmap_packets);
        assert_int_equal(x->masscan_packets, y->masscan_packets);
        assert_int_equal(x->top24, y->top24);
        assert_int_equal(x->top24_packets, y->top24_packets);
        assert_int_equal(x->top24_host, y->top24_host);
        assert_int_equal(x->hosts, y->hosts);
        assert_int_equal(x->ttl, y->ttl);
        assert_int_equal(x->ttl_packets, y->ttl_packets);
        assert_int_equal(x->tcp_window, y->tcp_window);
        assert_int_equal(x->tcp_window_packets, y->tcp_window_packets);
        assert_int_equal(x->n_host_list, y->n_host_list);
        for (size_t h = 0; h < x->n_host_list; h++) {
            const ds_block_host *hx = &x->host_list[h], *hy = &y->host_list[h];
            assert_int_equal(hx->addr, hy->addr);
            assert_int_equal(hx->syn_packets, hy->syn_packets);
            assert_int_equal(hx->ports_max, hy->ports_max);
            assert_int_equal(hx->ttl, hy->ttl);
            assert_int_equal(hx->tcp_window, hy->tcp_window);
            assert_memory_equal(hx->port_set_sizes, hy->port_set_sizes,
                                x->n_scan_windows * sizeof(*hx->port_set_sizes));
        }
        assert_int_equal(x->n_subnets, y->n_subnets);
        assert_memory_equal(x->subnets, y->subnets, x->n_subnets * sizeof(*x->subnets));
    }
}

/*
 * A first pass without host counts (analyze's, when its host pass will run): the same tuples
 * and windows, no hosts; ds_detect leaves the blocks' host facts to ds_detect_hosts, which
 * gives exactly what a first pass with host counts gives.
 */
static void test_first_pass_without_host_counts(void **state)
{
    pkts ps = scenario();
    ds_darknet *d = make_darknet();
    ds_error err;
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_agg_config lean = cfg;
    lean.no_host_counts = true;
    ds_aggregate *full = aggregate(&cfg, ps.p, ps.n), *agg = aggregate(&lean, ps.p, ps.n);
    assert_int_equal(ds_aggregate_window_count(agg), ds_aggregate_window_count(full));
    ds_agg_totals ta = ds_aggregate_totals(agg), tf = ds_aggregate_totals(full);
    assert_memory_equal(&ta, &tf, sizeof(ta));
    for (size_t w = 0; w < ds_aggregate_window_count(agg); w++) {
        const uint64_t *ka, *kf;
        size_t na, nf;
        assert_int_equal(ds_aggregate_tuples(agg, w, &ka, &na, &err), DS_OK);
        assert_int_equal(ds_aggregate_tuples(full, w, &kf, &nf, &err), DS_OK);
        assert_int_equal(na, nf);
        assert_memory_equal(ka, kf, na * sizeof(*ka));
        const ds_host_counts *hc;
        size_t nh;
        assert_int_equal(ds_aggregate_hosts(agg, w, &hc, &nh, &err), DS_OK);
        assert_int_equal(nh, 0);
        assert_int_equal(ds_aggregate_hosts(full, w, &hc, &nh, &err), DS_OK);
        assert_true(nh > 0);
    }

    ds_params p = params();
    ds_results *r, *rf;
    assert_int_equal(ds_detect(agg, &p, &r, &err), DS_OK);
    assert_int_equal(ds_detect(full, &p, &rf, &err), DS_OK);
    assert_false(rf->host_facts_pending);
    assert_true(r->host_facts_pending);
    assert_int_equal(r->n_networks, 2);
    assert_int_equal(r->networks[0].hosts, 0);
    assert_int_equal(r->networks[0].syn_packets, 0);
    assert_null(r->networks[0].host_list);

    ds_addr_range *ranges;
    ds_agg_config hcfg = host_config(d, r, &ranges);
    ds_aggregate *hagg = aggregate(&hcfg, ps.p, ps.n);
    /* A host pass without host counts cannot give them. */
    ds_agg_config bad = hcfg;
    bad.header_values = false;
    bad.no_host_counts = true;
    ds_aggregate *hbad = aggregate(&bad, ps.p, ps.n);
    assert_int_equal(ds_detect_hosts(r, hbad, &err), DS_ERR_INVALID);
    assert_true(r->host_facts_pending);
    /* Pending results are not written (their block figures would read 0). */
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    assert_int_equal(ds_results_write_json(r, devnull, &err), DS_ERR_INVALID);
    assert_int_equal(ds_results_write_json(rf, devnull, &err), DS_OK);
    assert_int_equal(ds_detect_hosts(r, hagg, &err), DS_OK);
    assert_false(r->host_facts_pending);
    check_block(r, true);
    assert_int_equal(ds_results_write_json(r, devnull, &err), DS_OK);
    fclose(devnull);
    assert_int_equal(ds_detect_hosts(rf, hagg, &err), DS_OK);
    same_networks(r, rf);

    /* No header values without host counts; no merge with an aggregate that counts them; not
       stored (export), and host counts not taken in (import). */
    ds_aggregate *none = NULL;
    bad.header_values = true;
    assert_int_equal(ds_aggregate_new(&none, &bad, &err), DS_ERR_INVALID);
    assert_null(none);
    assert_int_equal(ds_aggregate_merge(full, agg, &err), DS_ERR_INVALID);
    assert_int_equal(ds_aggregate_merge(agg, full, &err), DS_ERR_INVALID);
    ds_agg_window_data data;
    assert_int_equal(ds_aggregate_window_export(agg, 0, &data, &err), DS_ERR_INVALID);
    assert_int_equal(ds_aggregate_window_export(full, 0, &data, &err), DS_OK);
    assert_true(data.n_hosts > 0);
    ds_aggregate *lean2 = aggregate(&lean, ps.p, 0);
    assert_int_equal(ds_aggregate_window_import(lean2, &data, &err), DS_ERR_INVALID);
    data.n_hosts = 0;
    assert_int_equal(ds_aggregate_window_import(lean2, &data, &err), DS_OK);
    /* Two lean aggregates merge. */
    assert_int_equal(ds_aggregate_merge(lean2, agg, &err), DS_OK);

    ds_aggregate_free(lean2);
    ds_aggregate_free(hbad);
    ds_aggregate_free(hagg);
    ds_aggregate_free(agg);
    ds_aggregate_free(full);
    ds_results_free(r);
    ds_results_free(rf);
    free(ranges);
    ds_darknet_free(d);
    free(ps.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_and_host_pass),
        cmocka_unit_test(test_host_pass_merge_and_export),
        cmocka_unit_test(test_bad_header_values_and_sources),
        cmocka_unit_test(test_first_pass_without_host_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
