/*
 * test_detect.c - the method on hand-built packets with hand-computed answers: one test per
 * rule and per edge of METHOD.md (thresholds at and one below, which packets count, windows
 * at their edges, Jaccard/Simpson at the category boundaries, medians), plus the aggregate's
 * merge order independence and the threshold sweep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darkscan/darkscan.h"
#include "darkscan/aggregate.h"
#include "darkscan/detect.h"

/* 2018-07-01T00:00:00Z and friends, in ns. */
#define NS          1000000000LL
#define T_2018_07   (1530403200LL * NS)
#define T_2018_08   (1533081600LL * NS)
#define DAY         (86400LL * NS)
#define MONTH_NS(k) (T_2018_07 + (k)*31 * DAY) /* inside month k after 2018-07 (k < 12) */

/* The test darknet: 10 addresses, 192.0.2.0/29 + 192.0.2.16/31 (8 + 2). */
#define DARKNET "192.0.2.0/29,192.0.2.16/31"
static const uint32_t dark[10] = {0xc0000200, 0xc0000201, 0xc0000202, 0xc0000203, 0xc0000204,
                                  0xc0000205, 0xc0000206, 0xc0000207, 0xc0000210, 0xc0000211};

typedef struct pkts {
    ds_packet *p;
    size_t n, cap;
} pkts;

static void put(pkts *ps, ds_packet p)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 1024;
        ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
        assert_non_null(ps->p);
    }
    ps->p[ps->n++] = p;
}

static ds_packet syn(int64_t ts, uint32_t src, uint32_t dst, uint16_t dport)
{
    ds_packet p = {0};
    p.ts_ns = ts;
    p.src = src;
    p.dst = dst;
    p.sport = 40000;
    p.dport = dport;
    p.proto = DS_PROTO_TCP;
    p.tcp_flags = DS_TCP_SYN;
    p.pkt_flags = DS_PKT_PORTS;
    p.seq = 12345;
    p.ttl = 64;
    return p;
}

/* scan - src sends a SYN to port on the first `addrs` darknet addresses at time ts. */
static void scan(pkts *ps, int64_t ts, uint32_t src, uint16_t port, int addrs)
{
    for (int i = 0; i < addrs; i++)
        put(ps, syn(ts + i, src, dark[i], port));
}

/* scan_ports - ports [lo, hi] on the first `addrs` darknet addresses, in window k. */
static void scan_ports(pkts *ps, int k, uint32_t src, int lo, int hi, int addrs)
{
    for (int port = lo; port <= hi; port++)
        scan(ps, MONTH_NS(k) + port * 100, src, (uint16_t)port, addrs);
}

static ds_darknet *make_darknet(const char *text)
{
    ds_darknet *d = ds_darknet_new();
    ds_error err;
    assert_non_null(d);
    assert_int_equal(ds_darknet_add(d, text, NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    return d;
}

typedef struct run {
    ds_darknet *darknet;
    ds_aggregate *agg;
    ds_results *res;
} run;

static run detect(const pkts *ps, const ds_params *params, unsigned prefix)
{
    run r = {0};
    ds_error err;
    r.darknet = make_darknet(DARKNET);
    ds_agg_config cfg = {.darknet = r.darknet, .window = {DS_WINDOW_MONTH, 0}, .prefix = prefix};
    assert_int_equal(ds_aggregate_new(&r.agg, &cfg, &err), DS_OK);
    assert_int_equal(ds_aggregate_add(r.agg, ps->p, ps->n, &err), DS_OK);
    assert_int_equal(ds_detect(r.agg, params, &r.res, &err), DS_OK);
    return r;
}

static void run_free(run *r)
{
    ds_results_free(r->res);
    ds_aggregate_free(r->agg);
    ds_darknet_free(r->darknet);
}

static ds_params params_m(uint32_t min_windows)
{
    ds_params p;
    ds_params_default(&p);
    p.min_windows = min_windows;
    return p;
}

#define A1 0x0a010000u /* 10.1.0.0/16 */
#define A2 0x0a020000u /* 10.2.0.0/16 */

static void test_ratio_parse(void **state)
{
    ds_ratio r;
    ds_error err;
    assert_int_equal(ds_ratio_parse("0.8", &r, &err), DS_OK);
    assert_true(r.num == 4 && r.den == 5);
    assert_int_equal(ds_ratio_parse("1", &r, &err), DS_OK);
    assert_true(r.num == 1 && r.den == 1);
    assert_int_equal(ds_ratio_parse("0.125", &r, &err), DS_OK);
    assert_true(r.num == 1 && r.den == 8);
    assert_int_equal(ds_ratio_parse(".5", &r, &err), DS_OK);
    assert_true(r.num == 1 && r.den == 2);
    assert_int_equal(ds_ratio_parse("", &r, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_ratio_parse(".", &r, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_ratio_parse("-0.5", &r, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_ratio_parse("0.8x", &r, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_ratio_parse("1e-1", &r, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_ratio_parse("0.1234567891", &r, &err), DS_ERR_FORMAT);
    assert_true(ds_ratio_value((ds_ratio){4, 5}) == 0.8);
    assert_int_equal(ds_ratio_cmp((ds_ratio){7, 10}, (ds_ratio){21, 30}), 0);
    assert_int_equal(ds_ratio_cmp((ds_ratio){7, 10}, (ds_ratio){2, 3}), 1);
}

/* alpha 0.8 of |D| = 10 is 8 addresses: 8 makes a scan-target port, 7 does not. */
static void test_coverage_threshold(void **state)
{
    pkts ps = {0};
    scan_ports(&ps, 0, A1 + 1, 1, 30, 8); /* 30 ports at exactly 8/10 */
    scan_ports(&ps, 0, A2 + 1, 1, 30, 8);
    scan(&ps, MONTH_NS(0), A2 + 1, 31, 7); /* a 31st port one address below */
    ds_params p = params_m(1);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->darknet_size, 10);
    assert_int_equal(r.res->alpha_addresses, 8);
    assert_int_equal(r.res->n_networks, 2);
    assert_int_equal(r.res->networks[0].block, A1);
    assert_int_equal(r.res->networks[0].ports_max, 30);
    assert_int_equal(r.res->networks[1].block, A2);
    assert_int_equal(r.res->networks[1].ports_max, 30); /* port 31 not counted */
    run_free(&r);

    /* One address fewer on every port: no scan-target port at all. */
    pkts below = {0};
    scan_ports(&below, 0, A1 + 1, 1, 30, 7);
    run r2 = detect(&below, &p, 16);
    assert_int_equal(r2.res->n_networks, 0);
    run_free(&r2);
    free(ps.p);
    free(below.p);
}

/* alpha 0.7 of |D| = 10 is 7 addresses, not 8 (no floating-point rounding). */
static void test_alpha_07(void **state)
{
    pkts ps = {0};
    scan_ports(&ps, 0, A1 + 1, 1, 30, 7);
    ds_params p = params_m(1);
    ds_error err;
    assert_int_equal(ds_ratio_parse("0.7", &p.alpha, &err), DS_OK);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->alpha_addresses, 7);
    assert_int_equal(r.res->n_networks, 1);
    run_free(&r);
    assert_int_equal(ds_ratio_parse("0.71", &p.alpha, &err), DS_OK);
    r = detect(&ps, &p, 16);
    assert_int_equal(r.res->alpha_addresses, 8); /* ceil(7.1) */
    assert_int_equal(r.res->n_networks, 0);
    run_free(&r);
    free(ps.p);
}

/* n = 30: 30 ports is an Internet-wide scan, 29 is not. */
static void test_min_ports(void **state)
{
    pkts ps = {0};
    scan_ports(&ps, 0, A1 + 1, 1, 30, 10);
    scan_ports(&ps, 0, A2 + 1, 1, 29, 10);
    ds_params p = params_m(1);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 1);
    assert_int_equal(r.res->networks[0].block, A1);
    assert_int_equal(r.res->windows[0].scan_blocks, 1);
    run_free(&r);
    free(ps.p);
}

/* m = 6: six scan windows make a constant scanner, five do not. */
static void test_min_windows(void **state)
{
    pkts ps = {0};
    for (int k = 0; k < 6; k++)
        scan_ports(&ps, k, A1 + 1, 1, 30, 10);
    for (int k = 0; k < 5; k++)
        scan_ports(&ps, k, A2 + 1, 1, 30, 10);
    scan_ports(&ps, 5, A2 + 1, 1, 29, 10); /* sixth window one port short */
    ds_params p;
    ds_params_default(&p);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 1);
    const ds_network *net = &r.res->networks[0];
    assert_int_equal(net->block, A1);
    assert_int_equal(net->n_scan_windows, 6);
    assert_int_equal(net->port_sets[0].window, 2018 * 12 + 6 - 1970 * 12);
    assert_int_equal(net->port_sets[5].window, 2018 * 12 + 11 - 1970 * 12);
    assert_int_equal(net->category, DS_CATEGORY_ROUTINE);
    assert_true(net->jaccard_median.num == 1 && net->jaccard_median.den == 1);
    assert_int_equal(r.res->n_windows, 6);
    run_free(&r);
    free(ps.p);
}

/* Only SYN (SYN set, ACK clear) counts: SYN-ACK, RST, ACK, UDP are ignored; SYN+ECE+CWR counts. */
static void test_which_packets_count(void **state)
{
    pkts ps = {0};
    for (int port = 1; port <= 30; port++) {
        for (int i = 0; i < 10; i++) {
            ds_packet p = syn(MONTH_NS(0) + port * 100 + i, A1 + 1, dark[i], (uint16_t)port);
            p.tcp_flags = DS_TCP_SYN | DS_TCP_ACK;
            put(&ps, p);
            p.tcp_flags = DS_TCP_RST;
            put(&ps, p);
            p.tcp_flags = DS_TCP_ACK;
            put(&ps, p);
            p.tcp_flags = DS_TCP_SYN;
            p.proto = DS_PROTO_UDP;
            put(&ps, p);
            p = syn(MONTH_NS(0) + port * 100 + i, A2 + 1, dark[i], (uint16_t)port);
            p.tcp_flags = DS_TCP_SYN | DS_TCP_ECE | DS_TCP_CWR;
            put(&ps, p);
            p.tcp_flags = DS_TCP_SYN;
            p.pkt_flags = 0; /* a later fragment: no ports */
            put(&ps, p);
        }
    }
    ds_params p = params_m(1);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 1);
    assert_int_equal(r.res->networks[0].block, A2);
    assert_int_equal(r.res->networks[0].syn_packets, 300);
    assert_int_equal(r.res->totals.syn_to_darknet, 300);
    assert_int_equal(r.res->totals.packets, 1800);
    run_free(&r);
    free(ps.p);
}

/* Destinations outside D are counted in outside_darknet and ignored. */
static void test_outside_darknet(void **state)
{
    pkts ps = {0};
    scan_ports(&ps, 0, A1 + 1, 1, 30, 7);
    for (int port = 1; port <= 30; port++) {
        /* Neighbours of the darknet: 192.0.2.8 (after the /29) and 192.0.2.18 (after /31). */
        put(&ps, syn(MONTH_NS(0), A1 + 1, 0xc0000208, (uint16_t)port));
        put(&ps, syn(MONTH_NS(0), A1 + 1, 0xc0000212, (uint16_t)port));
    }
    ds_params p = params_m(1);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 0);
    assert_int_equal(r.res->totals.outside_darknet, 60);
    assert_int_equal(r.res->totals.syn_to_darknet, 210);
    run_free(&r);
    free(ps.p);
}

/* Repeated packets to one address count once; a block spread over many hosts is one block. */
static void test_sets_and_blocks(void **state)
{
    pkts ps = {0};
    for (int port = 1; port <= 30; port++) {
        for (int rep = 0; rep < 5; rep++) /* 7 addresses, five times each: still 7 */
            scan(&ps, MONTH_NS(0) + port * 1000 + rep * 10, A2 + 9, (uint16_t)port, 7);
        for (int i = 0; i < 10; i++) /* each address from another host of A1 */
            put(&ps, syn(MONTH_NS(0) + port * 1000 + i, A1 + 256 * (uint32_t)i + 7, dark[i],
                         (uint16_t)port));
    }
    ds_params p = params_m(1);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 1);
    const ds_network *net = &r.res->networks[0];
    assert_int_equal(net->block, A1);
    assert_int_equal(net->hosts, 10);
    assert_int_equal(net->syn_packets, 300);
    /* Every /24 of A1 sent 30 packets: the tie goes to the lowest. */
    assert_int_equal(net->top24, A1);
    assert_int_equal(net->top24_packets, 30);
    run_free(&r);

    /* With /24 blocks, A1's hosts are ten blocks, none of which covers 8 addresses. */
    r = detect(&ps, &p, 24);
    assert_int_equal(r.res->n_networks, 0);
    run_free(&r);
    free(ps.p);
}

/* The last ns of July is in 2018-07 and the next in 2018-08, whatever TZ says. */
static void test_window_edge_tz(void **state)
{
    setenv("TZ", "Asia/Tokyo", 1);
    tzset();
    pkts ps = {0};
    for (int port = 1; port <= 30; port++) {
        for (int i = 0; i < 10; i++) {
            put(&ps, syn(T_2018_08 - 1000, A1 + 1, dark[i], (uint16_t)port)); /* 23:59:59.999999 */
            put(&ps, syn(T_2018_08 + i, A2 + 1, dark[i], (uint16_t)port));
        }
    }
    ds_params p = params_m(1);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 2);
    assert_int_equal(r.res->networks[0].port_sets[0].window, 2018 * 12 + 6 - 1970 * 12);
    assert_int_equal(r.res->networks[1].port_sets[0].window, 2018 * 12 + 7 - 1970 * 12);
    assert_int_equal(r.res->n_windows, 2);
    assert_int_equal(r.res->windows[0].syn_packets, 300);
    assert_int_equal(r.res->windows[1].syn_packets, 300);
    run_free(&r);
    free(ps.p);
    unsetenv("TZ");
    tzset();
}

/* Jaccard exactly 0.8 is not routine (semi-routine); Simpson exactly 0.7 is ad-hoc. */
static void test_category_boundaries(void **state)
{
    pkts ps = {0};
    /* A1: {1..40} and {1..32}: Jaccard 32/40 = 0.8, Simpson 32/32 = 1. */
    scan_ports(&ps, 0, A1 + 1, 1, 40, 10);
    scan_ports(&ps, 1, A1 + 1, 1, 32, 10);
    /* A2: {1..30} and {10..48}: intersection {10..30} = 21, Simpson 21/30 = 0.7. */
    scan_ports(&ps, 0, A2 + 1, 1, 30, 10);
    scan_ports(&ps, 1, A2 + 1, 10, 48, 10);
    ds_params p = params_m(2);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 2);
    const ds_network *a = &r.res->networks[0], *b = &r.res->networks[1];
    assert_true(a->jaccard_median.num == 4 && a->jaccard_median.den == 5);
    assert_true(a->simpson_median.num == 1 && a->simpson_median.den == 1);
    assert_int_equal(a->category, DS_CATEGORY_SEMI_ROUTINE);
    assert_int_equal(a->ports_max, 40);
    assert_int_equal(a->ports_min, 32);
    assert_true(b->simpson_median.num == 7 && b->simpson_median.den == 10);
    assert_int_equal(b->category, DS_CATEGORY_AD_HOC);
    /* One more shared port makes A1 routine: {1..40} and {1..33}, 33/40 > 0.8. */
    scan_ports(&ps, 1, A1 + 1, 33, 33, 10);
    run_free(&r);
    r = detect(&ps, &p, 16);
    assert_int_equal(r.res->networks[0].category, DS_CATEGORY_ROUTINE);
    run_free(&r);
    free(ps.p);
}

/* Medians: 3 windows give 3 pairs (odd), 4 windows 6 pairs (mean of the middle two). */
static void test_medians(void **state)
{
    pkts ps = {0};
    /*
     * A1, 3 windows: P0 = {1..30}, P1 = {1..40}, P2 = {11..40}.
     *   J(0,1) = 30/40 = 3/4, J(0,2) = 20/40 = 1/2, J(1,2) = 30/40 = 3/4 -> median 3/4
     *   S(0,1) = 30/30 = 1,   S(0,2) = 20/30 = 2/3, S(1,2) = 30/30 = 1   -> median 1
     */
    scan_ports(&ps, 0, A1 + 1, 1, 30, 10);
    scan_ports(&ps, 1, A1 + 1, 1, 40, 10);
    scan_ports(&ps, 2, A1 + 1, 11, 40, 10);
    /*
     * A2, 4 windows: P0 = {1..30}, P1 = {1..60}, P2 = {31..60}, P3 = {1..30}.
     *   J: (0,1) 30/60 = 1/2, (0,2) 0, (0,3) 1, (1,2) 1/2, (1,3) 1/2, (2,3) 0
     *      sorted 0 0 1/2 1/2 1/2 1 -> median (1/2 + 1/2) / 2 = 1/2
     *   S: (0,1) 1, (0,2) 0, (0,3) 1, (1,2) 1, (1,3) 1, (2,3) 0
     *      sorted 0 0 1 1 1 1 -> median 1
     */
    scan_ports(&ps, 0, A2 + 1, 1, 30, 10);
    scan_ports(&ps, 1, A2 + 1, 1, 60, 10);
    scan_ports(&ps, 2, A2 + 1, 31, 60, 10);
    scan_ports(&ps, 3, A2 + 1, 1, 30, 10);
    ds_params p = params_m(3);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 2);
    const ds_network *a = &r.res->networks[0], *b = &r.res->networks[1];
    assert_true(a->jaccard_median.num == 3 && a->jaccard_median.den == 4);
    assert_true(a->simpson_median.num == 1 && a->simpson_median.den == 1);
    assert_int_equal(a->category, DS_CATEGORY_SEMI_ROUTINE);
    assert_true(b->jaccard_median.num == 1 && b->jaccard_median.den == 2);
    assert_true(b->simpson_median.num == 1 && b->simpson_median.den == 1);
    run_free(&r);

    /* An even count whose middle values differ: A3 with P = {1..30}, {1..45}, {1..60}, {16..45}
     *   J: (0,1) 30/45 = 2/3, (0,2) 1/2, (0,3) 15/45 = 1/3, (1,2) 45/60 = 3/4, (1,3) 30/45 = 2/3,
     *      (2,3) 30/60 = 1/2;  sorted 1/3 1/2 1/2 2/3 2/3 3/4 -> (1/2 + 2/3) / 2 = 7/12
     *   S: (0,1) 1, (0,2) 1, (0,3) 15/30 = 1/2, (1,2) 1, (1,3) 1, (2,3) 1 -> median 1 */
    pkts ps3 = {0};
    scan_ports(&ps3, 0, A1 + 1, 1, 30, 10);
    scan_ports(&ps3, 1, A1 + 1, 1, 45, 10);
    scan_ports(&ps3, 2, A1 + 1, 1, 60, 10);
    scan_ports(&ps3, 3, A1 + 1, 16, 45, 10);
    r = detect(&ps3, &p, 16);
    assert_int_equal(r.res->n_networks, 1);
    assert_true(r.res->networks[0].jaccard_median.num == 7 &&
                r.res->networks[0].jaccard_median.den == 12);
    assert_true(r.res->networks[0].simpson_median.num == 1);
    run_free(&r);
    free(ps.p);
    free(ps3.p);
}

/* Table 2 over routine and semi-routine port sets; ad-hoc blocks do not count. */
static void test_top_ports(void **state)
{
    pkts ps = {0};
    /* A1 routine: {1..30} twice. A2 ad-hoc: {100..129}, {200..229}. */
    scan_ports(&ps, 0, A1 + 1, 1, 30, 10);
    scan_ports(&ps, 1, A1 + 1, 1, 30, 10);
    scan(&ps, MONTH_NS(1) + 5, A1 + 1, 31, 10); /* port 31 only in the second window */
    scan_ports(&ps, 0, A2 + 1, 100, 129, 10);
    scan_ports(&ps, 1, A2 + 1, 200, 229, 10);
    ds_params p = params_m(2);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 2);
    assert_int_equal(r.res->networks[1].category, DS_CATEGORY_AD_HOC);
    assert_int_equal(r.res->top_ports_total_sets, 2);
    assert_int_equal(r.res->n_top_ports, 31);
    assert_int_equal(r.res->top_ports[0].port, 1);
    assert_int_equal(r.res->top_ports[0].sets, 2);
    assert_int_equal(r.res->top_ports[29].port, 30);
    assert_int_equal(r.res->top_ports[30].port, 31);
    assert_int_equal(r.res->top_ports[30].sets, 1);
    run_free(&r);
    free(ps.p);
}

/* Mirai share: packets with seq == destination address. */
static void test_fingerprints(void **state)
{
    pkts ps = {0};
    for (int port = 1; port <= 30; port++) {
        for (int i = 0; i < 10; i++) {
            ds_packet p = syn(MONTH_NS(0) + port * 100 + i, A1 + 1, dark[i], (uint16_t)port);
            if (port == 1)
                p.seq = p.dst; /* Mirai */
            if (port == 2)
                p.ip_id = 54321; /* ZMap */
            if (port == 3)
                p.ip_id = (uint16_t)(p.dst ^ p.dport ^ p.seq); /* Masscan */
            put(&ps, p);
        }
    }
    ds_params p = params_m(1);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_networks, 1);
    assert_int_equal(r.res->networks[0].syn_packets, 300);
    assert_int_equal(r.res->networks[0].mirai_packets, 10);
    assert_int_equal(r.res->networks[0].zmap_packets, 10);
    assert_int_equal(r.res->networks[0].masscan_packets, 10);
    run_free(&r);
    free(ps.p);
}

/* ---- aggregate: order independence, merge, sweep ---- */

static void build_mixed(pkts *ps)
{
    for (int k = 0; k < 7; k++) {
        scan_ports(ps, k, A1 + (uint32_t)k, 1, 30 + k, 10);
        scan_ports(ps, k, A2 + 300, 1000, 1000 + 40 * (k % 3), 9);
        scan_ports(ps, k, 0x0b000000u + (uint32_t)k * 65536, 22, 60, 8);
        for (int i = 0; i < 50; i++) /* noise from everywhere */
            put(ps, syn(MONTH_NS(k) + i, 0x64000000u + (uint32_t)i * 7919u, dark[i % 10],
                        (uint16_t)(i * 31)));
    }
}

static int same_results(const ds_results *a, const ds_results *b)
{
    if (a->n_networks != b->n_networks || a->n_windows != b->n_windows ||
        a->n_top_ports != b->n_top_ports || memcmp(&a->totals, &b->totals, sizeof(a->totals)) != 0)
        return 0;
    for (size_t i = 0; i < a->n_windows; i++) {
        if (a->windows[i].id != b->windows[i].id ||
            a->windows[i].syn_packets != b->windows[i].syn_packets ||
            a->windows[i].packets != b->windows[i].packets ||
            a->windows[i].max_gap_slots != b->windows[i].max_gap_slots)
            return 0;
    }
    for (size_t i = 0; i < a->n_networks; i++) {
        const ds_network *x = &a->networks[i], *y = &b->networks[i];
        if (x->block != y->block || x->category != y->category ||
            x->n_scan_windows != y->n_scan_windows || x->syn_packets != y->syn_packets ||
            x->hosts != y->hosts || x->top24 != y->top24 ||
            ds_ratio_cmp(x->jaccard_median, y->jaccard_median) != 0)
            return 0;
        for (size_t t = 0; t < x->n_scan_windows; t++) {
            if (x->port_sets[t].n != y->port_sets[t].n ||
                memcmp(x->port_sets[t].ports, y->port_sets[t].ports,
                       x->port_sets[t].n * sizeof(uint16_t)) != 0)
                return 0;
        }
    }
    for (size_t i = 0; i < a->n_top_ports; i++) {
        if (a->top_ports[i].port != b->top_ports[i].port ||
            a->top_ports[i].sets != b->top_ports[i].sets)
            return 0;
    }
    return 1;
}

static void test_order_and_merge(void **state)
{
    pkts ps = {0};
    build_mixed(&ps);
    ds_params p = params_m(3);
    run ref = detect(&ps, &p, 16);
    assert_true(ref.res->n_networks >= 2);

    /* Shuffle, split into 4 aggregates in different ways, merge in different orders. */
    srand(7);
    for (int round = 0; round < 4; round++) {
        for (size_t i = ps.n - 1; i > 0; i--) {
            size_t j = (size_t)rand() % (i + 1);
            ds_packet t = ps.p[i];
            ps.p[i] = ps.p[j];
            ps.p[j] = t;
        }
        ds_error err;
        ds_agg_config cfg = {.darknet = ref.darknet, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
        ds_aggregate *parts[4];
        for (int k = 0; k < 4; k++)
            assert_int_equal(ds_aggregate_new(&parts[k], &cfg, &err), DS_OK);
        size_t at = 0;
        for (int k = 0; k < 4; k++) {
            size_t len = k == 3 ? ps.n - at : (size_t)rand() % (ps.n - at + 1);
            /* feed in small batches */
            for (size_t b = 0; b < len; b += 97) {
                size_t m = len - b < 97 ? len - b : 97;
                assert_int_equal(ds_aggregate_add(parts[k], ps.p + at + b, m, &err), DS_OK);
            }
            at += len;
        }
        /* ((3 + 1) + (0 + 2)) in round-dependent order */
        int order[4] = {round % 4, (round + 1) % 4, (round + 2) % 4, (round + 3) % 4};
        assert_int_equal(ds_aggregate_merge(parts[order[0]], parts[order[1]], &err), DS_OK);
        assert_int_equal(ds_aggregate_merge(parts[order[2]], parts[order[3]], &err), DS_OK);
        assert_int_equal(ds_aggregate_merge(parts[order[2]], parts[order[0]], &err), DS_OK);
        /* merging a part twice changes counters but not the sets: check sets via tuples */
        ds_results *res;
        assert_int_equal(ds_detect(parts[order[2]], &p, &res, &err), DS_OK);
        assert_true(same_results(ref.res, res));
        ds_results_free(res);
        for (int k = 0; k < 4; k++)
            ds_aggregate_free(parts[k]);
    }
    run_free(&ref);
    free(ps.p);
}

/* Export every window, import into a fresh aggregate: the same answer; bad keys refused. */
static void test_export_import(void **state)
{
    pkts ps = {0};
    build_mixed(&ps);
    ds_params p = params_m(3);
    run ref = detect(&ps, &p, 16);
    ds_error err;
    ds_agg_config cfg = {.darknet = ref.darknet, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_aggregate *copy;
    assert_int_equal(ds_aggregate_new(&copy, &cfg, &err), DS_OK);
    for (size_t i = 0; i < ds_aggregate_window_count(ref.agg); i++) {
        ds_agg_window_data data;
        assert_int_equal(ds_aggregate_window_export(ref.agg, i, &data, &err), DS_OK);
        assert_true(data.n_keys > 0 && data.n_hosts > 0);
        assert_int_equal(ds_aggregate_window_import(copy, &data, &err), DS_OK);
    }
    ds_results *res;
    assert_int_equal(ds_detect(copy, &p, &res, &err), DS_OK);
    assert_true(same_results(ref.res, res));
    assert_int_equal(memcmp(&res->totals, &ref.res->totals, sizeof(res->totals)), 0);
    ds_results_free(res);

    /* Out-of-order keys and hosts are refused. */
    ds_agg_window_data bad;
    assert_int_equal(ds_aggregate_window_export(ref.agg, 0, &bad, &err), DS_OK);
    uint64_t keys[2] = {bad.keys[1], bad.keys[0]};
    bad.keys = keys;
    bad.n_keys = 2;
    assert_int_equal(ds_aggregate_window_import(copy, &bad, &err), DS_ERR_FORMAT);
    uint64_t huge = UINT64_MAX;
    bad.keys = &huge;
    bad.n_keys = 1;
    assert_int_equal(ds_aggregate_window_import(copy, &bad, &err), DS_ERR_FORMAT);
    ds_aggregate_free(copy);
    run_free(&ref);
    free(ps.p);
}

/* Every cell of the sweep equals a full detection with those thresholds. */
static void test_sweep(void **state)
{
    pkts ps = {0};
    build_mixed(&ps);
    ds_error err;
    ds_darknet *d = make_darknet(DARKNET);
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_aggregate *agg;
    assert_int_equal(ds_aggregate_new(&agg, &cfg, &err), DS_OK);
    assert_int_equal(ds_aggregate_add(agg, ps.p, ps.n, &err), DS_OK);
    ds_ratio alphas[] = {{1, 2}, {4, 5}, {9, 10}, {1, 1}};
    uint32_t min_ports[] = {20, 30, 35, 41};
    uint32_t min_windows[] = {1, 3, 6, 7, 8};
    ds_sweep sw = {alphas, 4, min_ports, 4, min_windows, 5, NULL};
    assert_int_equal(ds_sweep_run(agg, &sw, &err), DS_OK);
    int nonzero = 0;
    for (size_t a = 0; a < 4; a++) {
        for (size_t pp = 0; pp < 4; pp++) {
            for (size_t m = 0; m < 5; m++) {
                ds_params p;
                ds_params_default(&p);
                p.alpha = alphas[a];
                p.min_ports = min_ports[pp];
                p.min_windows = min_windows[m];
                ds_results *res;
                assert_int_equal(ds_detect(agg, &p, &res, &err), DS_OK);
                assert_int_equal(sw.counts[(a * 4 + pp) * 5 + m], res->n_networks);
                nonzero += res->n_networks > 0;
                ds_results_free(res);
            }
        }
    }
    assert_true(nonzero > 10);
    ds_sweep_free_counts(&sw);
    ds_aggregate_free(agg);
    ds_darknet_free(d);
    free(ps.p);
}

/* Windows between the first and last one seen are listed, empty ones as incomplete. */
static void test_windows_listing(void **state)
{
    pkts ps = {0};
    /* Packets spread evenly over all of July 2018, and one in September. */
    for (int i = 0; i < 31 * 24 * 4; i++)
        put(&ps, syn(T_2018_07 + (int64_t)i * 15 * 60 * NS, A1 + 1, dark[i % 10], 80));
    put(&ps, syn(T_2018_08 + 35 * DAY, A1 + 1, dark[0], 80));
    ds_params p = params_m(1);
    run r = detect(&ps, &p, 16);
    assert_int_equal(r.res->n_windows, 3);
    assert_true(r.res->windows[0].complete);
    assert_int_equal(r.res->windows[0].max_gap_slots, 0);
    assert_false(r.res->windows[1].complete);
    assert_int_equal(r.res->windows[1].packets, 0);
    assert_false(r.res->windows[2].complete);
    assert_int_equal(r.res->windows[2].syn_packets, 1);
    run_free(&r);
    free(ps.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratio_parse),     cmocka_unit_test(test_coverage_threshold),
        cmocka_unit_test(test_alpha_07),        cmocka_unit_test(test_min_ports),
        cmocka_unit_test(test_min_windows),     cmocka_unit_test(test_which_packets_count),
        cmocka_unit_test(test_outside_darknet), cmocka_unit_test(test_sets_and_blocks),
        cmocka_unit_test(test_window_edge_tz),  cmocka_unit_test(test_category_boundaries),
        cmocka_unit_test(test_medians),         cmocka_unit_test(test_top_ports),
        cmocka_unit_test(test_fingerprints),    cmocka_unit_test(test_order_and_merge),
        cmocka_unit_test(test_sweep),           cmocka_unit_test(test_export_import),
        cmocka_unit_test(test_windows_listing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
