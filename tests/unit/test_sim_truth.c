/*
 * test_sim_truth.c - the simulator's oracle (lib/simulate/truth.c) on hand-made packet lists,
 * against answers worked out by hand in the comments: it is what `darkscan analyze` is tested
 * against, so it is tested against arithmetic done on paper.
 *
 * D = 10.0.0.0/29 (dense indices 0..7) + 10.0.1.0/31 (8, 9): |D| = 10; alpha 4/5 makes a
 * scan-target port of 8 addresses; n = 2 ports; m = 2 windows; 3 months from 2018-07.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "simulate/truth.h"
#include "testutil.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static uint32_t dark(unsigned idx)
{
    return idx < 8 ? IP(10, 0, 0, idx) : IP(10, 0, 1, idx - 8);
}

static ds_sim_truth *new_truth(void)
{
    const uint32_t addrs[] = {IP(10, 0, 1, 0), IP(10, 0, 0, 0)};
    const unsigned lens[] = {31, 29};
    ds_sim_truth_params p;
    ds_sim_truth_params_paper(&p);
    p.min_ports = 2;
    p.min_windows = 2;
    ds_sim_truth *t = NULL;
    ds_error err;
    assert_int_equal(ds_sim_truth_new(&t, addrs, lens, 2, 2018, 7, 3, &p, &err), DS_OK);
    return t;
}

/* A packet builder: month k (2018-07 + k), one hour in, plus i seconds. */
typedef struct pkts {
    ds_packet v[2048];
    size_t n;
    size_t month_of[2048];
} pkts;

static ds_packet *add(pkts *l, size_t month, uint32_t src, uint32_t dst, uint16_t dport,
                      uint8_t flags)
{
    ds_packet *p = &l->v[l->n];
    memset(p, 0, sizeof(*p));
    p->ts_ns = ds_sim_month_start_ns(2018, 7, month) + 3600000000000ll + (int64_t)l->n * 1000;
    p->src = src;
    p->dst = dst;
    p->dport = dport;
    p->sport = 40000;
    p->proto = DS_PROTO_TCP;
    p->tcp_flags = flags;
    p->pkt_flags = DS_PKT_PORTS;
    p->seq = 12345;
    p->ip_id = 777;
    l->month_of[l->n] = month;
    l->n++;
    return p;
}

/* sweep - SYNs from src on port to the darknet indices [from, to). */
static void sweep(pkts *l, size_t month, uint32_t src, uint16_t port, unsigned from, unsigned to)
{
    for (unsigned d = from; d < to; d++)
        add(l, month, src, dark(d), port, DS_TCP_SYN);
}

static ds_sim_result *run(ds_sim_truth *t, const pkts *l)
{
    ds_error err;
    for (size_t m = 0; m < 3; m++) {
        ds_sim_month_rec *rec = NULL;
        assert_int_equal(ds_sim_month_rec_new(&rec, t, m, &err), DS_OK);
        for (size_t i = 0; i < l->n; i++) {
            if (l->month_of[i] == m)
                assert_int_equal(ds_sim_month_rec_add(rec, &l->v[i], &err), DS_OK);
        }
        assert_int_equal(ds_sim_month_rec_finish(rec, &err), DS_OK);
        assert_int_equal(ds_sim_truth_add_month(t, rec, &err), DS_OK);
    }
    ds_sim_result *r = NULL;
    assert_int_equal(ds_sim_truth_compute(t, &r, &err), DS_OK);
    return r;
}

static void assert_frac(ds_sim_frac f, uint64_t num, uint64_t den)
{
    assert_true(f.num == num && f.den == den);
}

static void assert_set(const ds_sim_port_set *s, size_t month, const uint16_t *ports, uint32_t n)
{
    assert_int_equal(s->month, month);
    assert_int_equal(s->n, n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(s->ports[i], ports[i]);
}

static void test_index_and_months(void **state)
{
    ds_sim_truth *t = new_truth();
    assert_int_equal(ds_sim_truth_darknet_size(t), 10);
    assert_int_equal(ds_sim_truth_index(t, IP(10, 0, 0, 0)), 0);
    assert_int_equal(ds_sim_truth_index(t, IP(10, 0, 0, 7)), 7);
    assert_int_equal(ds_sim_truth_index(t, IP(10, 0, 1, 0)), 8);
    assert_int_equal(ds_sim_truth_index(t, IP(10, 0, 1, 1)), 9);
    assert_int_equal(ds_sim_truth_index(t, IP(10, 0, 0, 8)), -1);
    assert_int_equal(ds_sim_truth_index(t, IP(10, 0, 1, 2)), -1);
    assert_int_equal(ds_sim_truth_index(t, IP(9, 255, 255, 255)), -1);
    assert_int_equal(ds_sim_truth_index(t, 0), -1);
    /* 2018-07-01T00:00:00Z = 1530403200; 2019-03-01 = 1551398400 (8 months on, via 2019-02) */
    assert_true(ds_sim_month_start_ns(2018, 7, 0) == 1530403200ll * 1000000000ll);
    assert_true(ds_sim_month_start_ns(2018, 7, 8) == 1551398400ll * 1000000000ll);
    char buf[8];
    assert_string_equal(ds_sim_month_label(2018, 7, 6, buf), "2019-01");
    assert_string_equal(ds_sim_month_label(2018, 12, 0, buf), "2018-12");
    ds_sim_truth_free(t);
}

static void test_bad_input(void **state)
{
    ds_sim_truth_params p;
    ds_sim_truth_params_paper(&p);
    ds_sim_truth *t = NULL;
    ds_error err;
    const uint32_t overlap[] = {IP(10, 0, 0, 0), IP(10, 0, 0, 4)};
    const unsigned lens[] = {29, 30};
    assert_int_equal(ds_sim_truth_new(&t, overlap, lens, 2, 2018, 7, 3, &p, &err), DS_ERR_INVALID);
    const uint32_t host_bits[] = {IP(10, 0, 0, 1)};
    assert_int_equal(ds_sim_truth_new(&t, host_bits, lens, 1, 2018, 7, 3, &p, &err),
                     DS_ERR_INVALID);
    assert_null(t);
    t = new_truth();
    ds_sim_month_rec *rec = NULL;
    assert_int_equal(ds_sim_month_rec_new(&rec, t, 3, &err), DS_ERR_INVALID);
    assert_int_equal(ds_sim_month_rec_new(&rec, t, 1, &err), DS_OK);
    pkts *l = calloc(1, sizeof(*l));
    ds_packet *early = add(l, 0, IP(1, 2, 3, 4), dark(0), 80, DS_TCP_SYN); /* month 0 */
    assert_int_equal(ds_sim_month_rec_add(rec, early, &err), DS_ERR_INVALID);
    assert_int_equal(ds_sim_month_rec_finish(rec, &err), DS_OK);
    assert_int_equal(ds_sim_month_rec_finish(rec, &err), DS_ERR_STATE);
    assert_int_equal(ds_sim_truth_add_month(t, rec, &err), DS_OK);
    ds_sim_month_rec_new(&rec, t, 1, &err);
    ds_sim_month_rec_finish(rec, &err);
    assert_int_equal(ds_sim_truth_add_month(t, rec, &err), DS_ERR_STATE); /* twice */
    free(l);
    ds_sim_truth_free(t);
}

/*
 * The worked example.
 *
 * Block A = 1.2.0.0/16
 *   month 0: 80 to indices 0..7 (8: at alpha) from 1.2.3.4, plus a retransmission to 0;
 *            443 to 0..8 (9) from 1.2.3.5; 22 to 0..6 (7: below) from 1.2.9.9.
 *            P0 = {80, 443}
 *   month 1: 80, 443, 8080 to 0..9 from 1.2.3.4.              P1 = {80, 443, 8080}
 *   month 2: 80 to 0..7; 22 to 0..6 with SYN and to 7 with SYN+ECE+CWR (a SYN: 8);
 *            SYN-ACKs on 21 and UDP on 53 to all of D (neither counts).  P2 = {22, 80}
 *   Pairs: (0,1) J 2/3 S 1;  (0,2) J 1/3 S 1/2;  (1,2) J 1/4 S 1/2.
 *   Medians: J 1/3, S 1/2 <= 7/10: ad-hoc. Ports 3 max, 2 min.
 *   SYN to D: month 0: 8 + 1 + 9 + 7 = 25; month 1: 30; month 2: 8 + 8 = 16. Total 71.
 *   /24s: 1.2.3: 8+1+9+30+8+8 = 64, 1.2.9: 7. top24 1.2.3.0/24 (64). Hosts: 3.
 * Block B = 5.6.0.0/16
 *   months 0 and 2: ports 1 (from 5.6.1.1, IP ID 54321: ZMap), 2 (from 5.6.0.9, IP ID
 *   dst ^ dport ^ seq: Masscan), 3 (from 5.6.2.2) to all of D; nothing in month 1.
 *   One Mirai SYN (seq = dst) on 23 from 5.6.7.7 in month 0.
 *   T(B) = {0, 2} (2 >= m): routine, J = S = 1 (one pair). SYN: 61, Mirai 1, ZMap 20,
 *   Masscan 20. /24s 5.6.0, 5.6.1, 5.6.2 each 20: a tie, the lower wins: 5.6.0.0/24. Hosts 4.
 * Block C = 7.7.0.0/16: 2 ports at full coverage in month 1 only: 1 window < m.
 * Packets to 10.0.0.8 and 10.0.1.2 (next to D): outside, 5 in month 1.
 * Table 2: routine and semi-routine = B only: 2 sets, ports 1, 2, 3 in both: frequency 1.
 */
static void test_worked_example(void **state)
{
    ds_sim_truth *t = new_truth();
    pkts *l = calloc(1, sizeof(*l));
    const uint32_t a1 = IP(1, 2, 3, 4), a2 = IP(1, 2, 3, 5), a3 = IP(1, 2, 9, 9);
    sweep(l, 0, a1, 80, 0, 8);
    add(l, 0, a1, dark(0), 80, DS_TCP_SYN);
    sweep(l, 0, a2, 443, 0, 9);
    sweep(l, 0, a3, 22, 0, 7);
    sweep(l, 1, a1, 80, 0, 10);
    sweep(l, 1, a1, 443, 0, 10);
    sweep(l, 1, a1, 8080, 0, 10);
    sweep(l, 2, a1, 80, 0, 8);
    sweep(l, 2, a1, 22, 0, 7);
    add(l, 2, a1, dark(7), 22, DS_TCP_SYN | DS_TCP_ECE | DS_TCP_CWR);
    for (unsigned d = 0; d < 10; d++) {
        add(l, 2, a1, dark(d), 21, DS_TCP_SYN | DS_TCP_ACK);
        add(l, 2, a1, dark(d), 53, 0)->proto = DS_PROTO_UDP;
    }
    const uint32_t b1 = IP(5, 6, 1, 1), b2 = IP(5, 6, 0, 9), b3 = IP(5, 6, 2, 2);
    for (size_t m = 0; m < 3; m += 2) {
        for (unsigned d = 0; d < 10; d++) {
            add(l, m, b1, dark(d), 1, DS_TCP_SYN)->ip_id = 54321;
            ds_packet *p = add(l, m, b2, dark(d), 2, DS_TCP_SYN);
            p->ip_id = (uint16_t)(p->dst ^ p->dport ^ p->seq);
            add(l, m, b3, dark(d), 3, DS_TCP_SYN);
        }
    }
    ds_packet *mirai = add(l, 0, IP(5, 6, 7, 7), dark(0), 23, DS_TCP_SYN);
    mirai->seq = mirai->dst;
    sweep(l, 1, IP(7, 7, 7, 7), 1000, 0, 10);
    sweep(l, 1, IP(7, 7, 7, 7), 1001, 0, 10);
    for (int i = 0; i < 4; i++)
        add(l, 1, IP(7, 7, 7, 7), IP(10, 0, 0, 8), 1000, DS_TCP_SYN);
    add(l, 1, IP(7, 7, 7, 7), IP(10, 0, 1, 2), 1000, DS_TCP_ACK);

    ds_sim_result *r = run(t, l);
    assert_int_equal(r->darknet_size, 10);
    assert_int_equal(r->alpha_addresses, 8);
    assert_int_equal(r->n_nets, 2);

    const ds_sim_net *a = &r->nets[0];
    assert_true(a->block == IP(1, 2, 0, 0));
    assert_int_equal(a->n_sets, 3);
    const uint16_t p0[] = {80, 443}, p1[] = {80, 443, 8080}, p2[] = {22, 80};
    assert_set(&a->sets[0], 0, p0, 2);
    assert_set(&a->sets[1], 1, p1, 3);
    assert_set(&a->sets[2], 2, p2, 2);
    assert_frac(a->jaccard_median, 1, 3);
    assert_frac(a->simpson_median, 1, 2);
    assert_int_equal(a->category, DS_CATEGORY_AD_HOC);
    assert_int_equal(a->ports_max, 3);
    assert_int_equal(a->ports_min, 2);
    assert_int_equal(a->syn_packets, 71);
    assert_int_equal(a->mirai_packets, 0);
    assert_true(a->top24 == IP(1, 2, 3, 0));
    assert_int_equal(a->top24_packets, 64);
    assert_int_equal(a->hosts, 3);

    const ds_sim_net *b = &r->nets[1];
    assert_true(b->block == IP(5, 6, 0, 0));
    const uint16_t pb[] = {1, 2, 3};
    assert_int_equal(b->n_sets, 2);
    assert_set(&b->sets[0], 0, pb, 3);
    assert_set(&b->sets[1], 2, pb, 3);
    assert_frac(b->jaccard_median, 1, 1);
    assert_frac(b->simpson_median, 1, 1);
    assert_int_equal(b->category, DS_CATEGORY_ROUTINE);
    assert_int_equal(b->syn_packets, 61);
    assert_int_equal(b->mirai_packets, 1);
    assert_int_equal(b->zmap_packets, 20);
    assert_int_equal(b->masscan_packets, 20);
    assert_true(b->top24 == IP(5, 6, 0, 0));
    assert_int_equal(b->top24_packets, 20);
    assert_int_equal(b->hosts, 4);

    /* windows: every packet, SYN (any destination), SYN to D, outside D */
    assert_int_equal(r->windows[0].packets, 25 + 30 + 1);
    assert_int_equal(r->windows[0].syn_to_darknet, 56);
    assert_int_equal(r->windows[1].packets, 30 + 20 + 5);
    assert_int_equal(r->windows[1].syn_packets, 54);
    assert_int_equal(r->windows[1].syn_to_darknet, 50);
    assert_int_equal(r->windows[1].outside_darknet, 5);
    assert_int_equal(r->windows[2].packets, 16 + 20 + 30);
    assert_int_equal(r->windows[2].syn_packets, 46);
    assert_int_equal(r->windows[2].syn_to_darknet, 46);
    assert_int_equal(r->windows[0].scan_blocks, 2);
    assert_int_equal(r->windows[1].scan_blocks, 2); /* A and C */
    assert_int_equal(r->windows[2].scan_blocks, 2);
    assert_int_equal(r->totals.packets, l->n);
    assert_int_equal(r->totals.outside_darknet, 5);

    /* Table 2 */
    assert_int_equal(r->top_ports_total_sets, 2);
    assert_int_equal(r->n_top_ports, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r->top_ports[i].port, i + 1);
        assert_int_equal(r->top_ports[i].sets, 2);
    }
    /* C is seen, but not constant */
    bool seen_c = false;
    for (size_t i = 0; i < r->n_block_months; i++) {
        if (r->block_months[i].block == IP(7, 7, 0, 0)) {
            seen_c = true;
            assert_int_equal(r->block_months[i].month, 1);
            assert_int_equal(r->block_months[i].ports_at_alpha, 2);
            assert_int_equal(r->block_months[i].max_coverage, 10);
        }
    }
    assert_true(seen_c);
    ds_sim_result_free(r);
    free(l);
    ds_sim_truth_free(t);
}

/* The order packets arrive in changes nothing. */
static void test_order_does_not_matter(void **state)
{
    pkts *l = calloc(1, sizeof(*l));
    for (size_t m = 0; m < 3; m++) {
        for (uint16_t port = 1; port <= 4; port++)
            sweep(l, m, IP(9, 9, (unsigned)port, 1), port, m, 10);
    }
    ds_sim_truth *t1 = new_truth();
    ds_sim_result *r1 = run(t1, l);
    for (size_t i = 0; i < l->n / 2; i++) { /* reverse the list */
        size_t k = l->n - 1 - i;
        ds_packet p = l->v[i];
        size_t m = l->month_of[i];
        l->v[i] = l->v[k];
        l->month_of[i] = l->month_of[k];
        l->v[k] = p;
        l->month_of[k] = m;
    }
    ds_sim_truth *t2 = new_truth();
    ds_sim_result *r2 = run(t2, l);
    assert_int_equal(r1->n_nets, 1);
    assert_int_equal(r2->n_nets, 1);
    /* months 0..2 reach 10, 9, 8 addresses: all at alpha; 4 ports each */
    assert_int_equal(r1->nets[0].n_sets, 3);
    assert_int_equal(r2->nets[0].syn_packets, r1->nets[0].syn_packets);
    assert_int_equal(r2->nets[0].top24, r1->nets[0].top24);
    /* /24s 9.9.1..4 send 27 each: the lower wins */
    assert_true(r1->nets[0].top24 == IP(9, 9, 1, 0));
    ds_sim_result_free(r1);
    ds_sim_result_free(r2);
    ds_sim_truth_free(t1);
    ds_sim_truth_free(t2);
    free(l);
}

static ds_sim_port_set set_of(uint16_t *ports, uint32_t n)
{
    ds_sim_port_set s = {0, ports, n};
    return s;
}

/* Medians over an even number of pairs, and the category boundaries, exactly. */
static void test_similarity(void **state)
{
    ds_sim_truth_params p;
    ds_sim_truth_params_paper(&p);
    ds_sim_frac j, s;
    ds_category c;
    ds_error err;
    /* {1,2} {1,2} {1,3} {4,5}: J 1, 1/3, 0, 1/3, 0, 0 -> median (0 + 1/3) / 2 = 1/6;
     * S 1, 1/2, 0, 1/2, 0, 0 -> median 1/4: ad-hoc */
    uint16_t a[] = {1, 2}, b[] = {1, 2}, cc[] = {1, 3}, d[] = {4, 5};
    ds_sim_port_set four[] = {set_of(a, 2), set_of(b, 2), set_of(cc, 2), set_of(d, 2)};
    assert_int_equal(ds_sim_similarity(four, 4, &p, &j, &s, &c, &err), DS_OK);
    assert_frac(j, 1, 6);
    assert_frac(s, 1, 4);
    assert_int_equal(c, DS_CATEGORY_AD_HOC);
    /* {1..10} {1..7} {1..8}: J 7/10, 4/5, 7/8 -> 4/5, not above 4/5; S 1: semi-routine */
    uint16_t ten[10], seven[7], eight[8];
    for (uint16_t i = 0; i < 10; i++)
        ten[i] = i + 1;
    memcpy(seven, ten, sizeof(seven));
    memcpy(eight, ten, sizeof(eight));
    ds_sim_port_set three[] = {set_of(ten, 10), set_of(seven, 7), set_of(eight, 8)};
    assert_int_equal(ds_sim_similarity(three, 3, &p, &j, &s, &c, &err), DS_OK);
    assert_frac(j, 4, 5);
    assert_frac(s, 1, 1);
    assert_int_equal(c, DS_CATEGORY_SEMI_ROUTINE);
    /* {1..10} twice and {1..7, 11, 12, 13}: S 1, 7/10, 7/10 -> 7/10, not above: ad-hoc */
    uint16_t other[10] = {1, 2, 3, 4, 5, 6, 7, 11, 12, 13};
    ds_sim_port_set edge[] = {set_of(ten, 10), set_of(ten, 10), set_of(other, 10)};
    assert_int_equal(ds_sim_similarity(edge, 3, &p, &j, &s, &c, &err), DS_OK);
    assert_frac(s, 7, 10);
    assert_int_equal(c, DS_CATEGORY_AD_HOC);
    /* {1..10} x2 and {1..9}: J 1, 9/10, 9/10 -> 9/10 > 4/5, S 1: routine */
    ds_sim_port_set r3[] = {set_of(ten, 10), set_of(ten, 10), set_of(ten, 9)};
    assert_int_equal(ds_sim_similarity(r3, 3, &p, &j, &s, &c, &err), DS_OK);
    assert_frac(j, 9, 10);
    assert_int_equal(c, DS_CATEGORY_ROUTINE);
    /* one set: both 1 */
    assert_int_equal(ds_sim_similarity(r3, 1, &p, &j, &s, &c, &err), DS_OK);
    assert_frac(j, 1, 1);
    assert_frac(s, 1, 1);
    /* fractions compare exactly: 7/10 vs 70000001/100000000 */
    assert_int_equal(ds_sim_frac_cmp((ds_sim_frac){7, 10}, (ds_sim_frac){70000001, 100000000}), -1);
    assert_int_equal(ds_sim_frac_cmp((ds_sim_frac){14, 20}, (ds_sim_frac){7, 10}), 0);
}

/* Fingerprint bits. */
static void test_fingerprints(void **state)
{
    ds_packet p;
    memset(&p, 0, sizeof(p));
    p.dst = IP(10, 0, 0, 1);
    p.dport = 80;
    p.seq = 99;
    p.ip_id = 1;
    assert_int_equal(ds_sim_fingerprints(&p), 0);
    p.ip_id = 54321;
    assert_int_equal(ds_sim_fingerprints(&p), DS_SIM_FP_ZMAP);
    p.ip_id = (uint16_t)(p.dst ^ 80 ^ 99);
    assert_int_equal(ds_sim_fingerprints(&p), DS_SIM_FP_MASSCAN);
    p.seq = p.dst;
    p.ip_id = 5;
    assert_int_equal(ds_sim_fingerprints(&p), DS_SIM_FP_MIRAI);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_and_months), cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_worked_example),   cmocka_unit_test(test_order_does_not_matter),
        cmocka_unit_test(test_similarity),       cmocka_unit_test(test_fingerprints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
