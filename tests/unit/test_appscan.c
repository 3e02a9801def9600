/*
 * test_appscan.c - gamma, the application-layer scanning ratio (METHOD.md), on hand-built
 * sessions with hand-computed answers, including the quorum boundary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "darkscan/darkscan.h"

#define NS        1000000000LL
#define T_2018_07 (1530403200LL * NS)
#define T_2018_08 (1533081600LL * NS)
#define US(ns)    ((ns) / 1000)
#define A1        0x0a010000u                   /* 10.1.0.0/16: scans ports 1..40 in July */
#define A2        0x0a020000u                   /* 10.2.0.0/16: scans ports 1..40 in August only */
#define H(i)      (0xc6336400u + (uint32_t)(i)) /* honeypot 198.51.100.i */

typedef struct fixture {
    ds_darknet *darknet;
    ds_aggregate *agg;
    ds_results *res;
    ds_app_sessions *s;
} fixture;

static void setup(fixture *f)
{
    ds_error err;
    f->darknet = ds_darknet_new();
    assert_int_equal(ds_darknet_add(f->darknet, "192.0.2.0/29,192.0.2.16/31", NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(f->darknet, NULL, &err), DS_OK);
    ds_agg_config cfg = {.darknet = f->darknet, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    assert_int_equal(ds_aggregate_new(&f->agg, &cfg, &err), DS_OK);
    static const uint32_t dark[10] = {0xc0000200, 0xc0000201, 0xc0000202, 0xc0000203, 0xc0000204,
                                      0xc0000205, 0xc0000206, 0xc0000207, 0xc0000210, 0xc0000211};
    ds_packet *p = calloc(2 * 40 * 10, sizeof(*p));
    size_t n = 0;
    for (int port = 1; port <= 40; port++) {
        for (int d = 0; d < 10; d++) {
            for (int b = 0; b < 2; b++) {
                ds_packet *q = &p[n++];
                q->ts_ns = (b == 0 ? T_2018_07 : T_2018_08) + port * NS;
                q->src = (b == 0 ? A1 : A2) + 5;
                q->dst = dark[d];
                q->dport = (uint16_t)port;
                q->proto = DS_PROTO_TCP;
                q->tcp_flags = DS_TCP_SYN;
                q->pkt_flags = DS_PKT_PORTS;
            }
        }
    }
    assert_int_equal(ds_aggregate_add(f->agg, p, n, &err), DS_OK);
    free(p);
    ds_params params;
    ds_params_default(&params);
    params.min_windows = 1;
    assert_int_equal(ds_detect(f->agg, &params, &f->res, &err), DS_OK);
    assert_int_equal(f->res->n_networks, 2);
    ds_window_spec month = {DS_WINDOW_MONTH, 0};
    f->s = ds_app_sessions_new(&month, 16);
    assert_non_null(f->s);
}

static void teardown(fixture *f)
{
    ds_app_sessions_free(f->s);
    ds_results_free(f->res);
    ds_aggregate_free(f->agg);
    ds_darknet_free(f->darknet);
}

static void add(fixture *f, int64_t ts_ns, uint32_t src, int hp, uint16_t port)
{
    ds_error err;
    assert_int_equal(ds_app_sessions_add(f->s, US(ts_ns), src, H(hp), port, &err), DS_OK);
}

/* The July sessions of the fixture, over honeypot addresses 1..4. */
static void july_sessions(fixture *f)
{
    int64_t t = T_2018_07 + 86400 * NS;
    add(f, t, A1 + 7, 1, 1); /* port 1 on H1 and H2: 2 addresses */
    add(f, t, A1 + 8, 2, 1);
    add(f, t, A1 + 7, 1, 2); /* port 2 twice on H1: 1 address */
    add(f, t + NS, A1 + 7, 1, 2);
    add(f, t, A1 + 7, 1, 3); /* port 3 on H1..H3: 3 addresses */
    add(f, t, A1 + 9, 2, 3);
    add(f, t, A1 + 9, 3, 3);
    for (int h = 1; h <= 4; h++) {
        add(f, t, A1 + 7, h, 99);             /* not in P_tau(A1) */
        add(f, t, A2 + 7, h, 5);              /* another block */
        add(f, T_2018_08 + NS, A1 + 7, h, 4); /* August: another window */
    }
}

static void test_gamma_default_quorum(void **state)
{
    fixture f;
    ds_error err;
    setup(&f);
    july_sessions(&f);
    /* 4 honeypot addresses seen, quorum 2: ports 1 and 3 of A1's 40 in July. */
    assert_int_equal(ds_app_scan(f.res, f.s, 0, 0, &err), DS_OK);
    assert_int_equal(f.res->honeypot->addresses, 4);
    assert_int_equal(f.res->honeypot->quorum, 2);
    assert_int_equal(f.res->honeypot->sessions, 19);
    assert_int_equal(f.res->honeypot->n_windows, 2);
    const ds_network *a1 = &f.res->networks[0];
    assert_int_equal(a1->block, A1);
    assert_int_equal(a1->n_app_scans, 1);
    assert_int_equal(a1->app_scans[0].window, 2018 * 12 + 6 - 1970 * 12);
    assert_int_equal(a1->app_scans[0].ports, 40);
    assert_int_equal(a1->app_scans[0].app_ports, 2);
    assert_int_equal(a1->app_scans[0].app_port_list[0], 1);
    assert_int_equal(a1->app_scans[0].app_port_list[1], 3);
    /* A2 scanned in August, which the honeypot also covers: its August sessions are on port
     * 4 from A1, so A2's gamma there is 0. */
    const ds_network *a2 = &f.res->networks[1];
    assert_int_equal(a2->n_app_scans, 1);
    assert_int_equal(a2->app_scans[0].app_ports, 0);
    teardown(&f);
}

static void test_quorum_boundary(void **state)
{
    fixture f;
    ds_error err;
    setup(&f);
    july_sessions(&f);
    /* quorum 3: only port 3 (exactly 3 addresses) counts. */
    assert_int_equal(ds_app_scan(f.res, f.s, 0, 3, &err), DS_OK);
    assert_int_equal(f.res->networks[0].app_scans[0].app_ports, 1);
    assert_int_equal(f.res->networks[0].app_scans[0].app_port_list[0], 3);
    /* quorum 4: nothing. */
    assert_int_equal(ds_app_scan(f.res, f.s, 0, 4, &err), DS_OK);
    assert_int_equal(f.res->networks[0].app_scans[0].app_ports, 0);
    /* The paper's honeypot: 31 addresses, so half rounded up is 16. */
    assert_int_equal(ds_app_scan(f.res, f.s, 31, 0, &err), DS_OK);
    assert_int_equal(f.res->honeypot->quorum, 16);
    assert_int_equal(f.res->networks[0].app_scans[0].app_ports, 0);
    /* 5 addresses: quorum 3. */
    assert_int_equal(ds_app_scan(f.res, f.s, 5, 0, &err), DS_OK);
    assert_int_equal(f.res->honeypot->quorum, 3);
    assert_int_equal(f.res->networks[0].app_scans[0].app_ports, 1);
    teardown(&f);
}

static void test_windows_outside_honeypot(void **state)
{
    fixture f;
    ds_error err;
    setup(&f);
    /* Only August sessions: A1 (July only) gets no app_scan. */
    for (int h = 1; h <= 4; h++)
        add(&f, T_2018_08 + NS, A2 + 1, h, 7);
    assert_int_equal(ds_app_scan(f.res, f.s, 0, 0, &err), DS_OK);
    assert_int_equal(f.res->networks[0].n_app_scans, 0);
    assert_int_equal(f.res->networks[1].n_app_scans, 1);
    assert_int_equal(f.res->networks[1].app_scans[0].app_ports, 1);
    assert_int_equal(f.res->networks[1].app_scans[0].app_port_list[0], 7);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gamma_default_quorum),
        cmocka_unit_test(test_quorum_boundary),
        cmocka_unit_test(test_windows_outside_honeypot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
