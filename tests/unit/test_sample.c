/*
 * test_sample.c - darknet sampling (ds_agg_config.darknet_sample) on a simulated /16 darknet:
 * the sample is K distinct addresses of D, the same every time and spread over D; each
 * scan-target port's estimated coverage is its exact share of the sample; and the method's
 * answer with K = 4096 equals the exact answer except for ports whose true coverage lies
 * within the stated error of alpha (4 standard errors, 2.5% at alpha 0.8: see
 * docs/PERFORMANCE.md, "Darknet sampling").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/darkscan.h"

#define NS        1000000000LL
#define T_2019_01 (1546300800LL * NS)
#define D_BASE    0xc6120000u /* 198.18.0.0/16 */
#define D_SIZE    65536u
#define K         4096u

static uint64_t rng = 0x0123456789abcdefull;

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
    assert_int_equal(ds_darknet_add(d, "198.18.0.0/16", NULL, &err), DS_OK);
    assert_int_equal(ds_darknet_finish(d, NULL, &err), DS_OK);
    return d;
}

static void test_sample_addresses(void **state)
{
    (void)state;
    ds_darknet *d = make_darknet();
    ds_error err;
    uint32_t *a = malloc(K * sizeof(*a)), *b = malloc(K * sizeof(*b));
    assert_int_equal(ds_darknet_sample_addresses(d, K, a, &err), DS_OK);
    assert_int_equal(ds_darknet_sample_addresses(d, K, b, &err), DS_OK);
    assert_memory_equal(a, b, K * sizeof(*a));
    /* Ascending, distinct, in D; each /18 quarter holds about a quarter (1024, sd 28). */
    unsigned quarter[4] = {0};
    for (uint32_t i = 0; i < K; i++) {
        assert_true(a[i] - D_BASE < D_SIZE);
        if (i > 0)
            assert_true(a[i] > a[i - 1]);
        quarter[(a[i] - D_BASE) >> 14]++;
    }
    for (int q = 0; q < 4; q++)
        assert_true(quarter[q] > 880 && quarter[q] < 1170);
    /* A sample of |D| or more is refused; 0 too. */
    assert_int_equal(ds_darknet_sample_addresses(d, D_SIZE, a, &err), DS_ERR_INVALID);
    assert_int_equal(ds_darknet_sample_addresses(d, 0, a, &err), DS_ERR_INVALID);
    free(a);
    free(b);
    ds_darknet_free(d);
}

/* One (block, port) that reaches a random subset of D of true coverage cover. */
typedef struct target {
    uint32_t block; /* source /16 (the host is block.0.1) */
    uint16_t port;
    double cover;
} target;

#define N_TARGETS 72

static ds_results *detect(ds_aggregate *agg)
{
    ds_params p;
    ds_params_default(&p);
    p.min_ports = 1;
    p.min_windows = 1;
    ds_results *r;
    ds_error err;
    assert_int_equal(ds_detect(agg, &p, &r, &err), DS_OK);
    return r;
}

static const ds_port_set *port_set_of(const ds_results *r, uint32_t block)
{
    for (size_t i = 0; i < r->n_networks; i++) {
        if (r->networks[i].block == block << 16)
            return &r->networks[i].port_sets[0];
    }
    return NULL;
}

static bool in_set(const ds_port_set *ps, uint16_t port, uint64_t *coverage)
{
    for (uint32_t k = 0; ps != NULL && k < ps->n; k++) {
        if (ps->ports[k] == port) {
            if (coverage != NULL)
                *coverage = ps->coverage[k];
            return true;
        }
    }
    return false;
}

static void test_sampled_answer_matches_exact(void **state)
{
    (void)state;
    ds_darknet *d = make_darknet();
    ds_error err;
    uint32_t *sample = malloc(K * sizeof(*sample));
    assert_int_equal(ds_darknet_sample_addresses(d, K, sample, &err), DS_OK);
    bool *in_sample = calloc(D_SIZE, sizeof(*in_sample));
    for (uint32_t i = 0; i < K; i++)
        in_sample[sample[i] - D_BASE] = true;

    ds_agg_config exact_cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_agg_config sampled_cfg = exact_cfg;
    sampled_cfg.darknet_sample = K;
    ds_aggregate *exact, *sampled;
    assert_int_equal(ds_aggregate_new(&exact, &exact_cfg, &err), DS_OK);
    assert_int_equal(ds_aggregate_new(&sampled, &sampled_cfg, &err), DS_OK);
    assert_int_equal(ds_aggregate_coverage_size(sampled), K);
    assert_int_equal(ds_aggregate_coverage_size(exact), D_SIZE);
    assert_int_equal(ds_aggregate_index_bits(sampled), 12); /* keys grow with K, not |D| */

    /* Three blocks, 24 ports each: coverage 0.70 .. 0.90 in steps, around alpha 0.8. */
    target t[N_TARGETS];
    for (int i = 0; i < N_TARGETS; i++)
        t[i] = (target){0x0a00u + (uint32_t)(i / 24), (uint16_t)(1000 + i),
                        0.70 + 0.2 * (double)(i % 24) / 23.0};
    uint32_t *perm = malloc(D_SIZE * sizeof(*perm));
    ds_packet *batch = calloc(D_SIZE, sizeof(*batch));
    uint64_t sample_hits[N_TARGETS];
    for (int i = 0; i < N_TARGETS; i++) {
        for (uint32_t a = 0; a < D_SIZE; a++)
            perm[a] = a;
        uint32_t n = (uint32_t)lround(t[i].cover * D_SIZE);
        sample_hits[i] = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t j = k + (uint32_t)(rnd() % (D_SIZE - k));
            uint32_t x = perm[j];
            perm[j] = perm[k];
            perm[k] = x;
            ds_packet *p = &batch[k];
            memset(p, 0, sizeof(*p));
            p->ts_ns = T_2019_01 + (int64_t)(rnd() % (28ull * 86400)) * NS;
            p->src = t[i].block << 16 | 1;
            p->dst = D_BASE + x;
            p->dport = t[i].port;
            p->proto = DS_PROTO_TCP;
            p->pkt_flags = DS_PKT_PORTS;
            p->tcp_flags = DS_TCP_SYN;
            p->seq = (uint32_t)rnd();
            sample_hits[i] += in_sample[x];
        }
        assert_int_equal(ds_aggregate_add(exact, batch, n, &err), DS_OK);
        assert_int_equal(ds_aggregate_add(sampled, batch, n, &err), DS_OK);
    }
    /* Every packet counts in both; only the tuples are sampled. */
    ds_agg_totals te = ds_aggregate_totals(exact), ts = ds_aggregate_totals(sampled);
    assert_memory_equal(&te, &ts, sizeof(te));

    ds_results *re = detect(exact), *rs = detect(sampled);
    assert_int_equal(rs->darknet_sample, K);
    assert_int_equal(rs->darknet_size, D_SIZE);
    assert_int_equal(rs->alpha_addresses, 3277); /* ceil(0.8 * 4096) */
    double se = ds_sample_stderr(K, D_SIZE, 0.8);
    assert_true(se > 0.0058 && se < 0.0063); /* sqrt(0.16 / 4096) * sqrt(61440 / 65535) */
    int differ = 0, far = 0;
    for (int i = 0; i < N_TARGETS; i++) {
        uint64_t cov = 0;
        bool e = in_set(port_set_of(re, t[i].block), t[i].port, NULL);
        bool s = in_set(port_set_of(rs, t[i].block), t[i].port, &cov);
        /* The exact method: coverage >= 0.8 of D. */
        assert_int_equal(e, lround(t[i].cover * D_SIZE) >= 52429);
        if (s)
            assert_int_equal(cov, sample_hits[i]); /* the estimate is the sample's share */
        if (e != s) {
            differ++;
            assert_true(fabs(t[i].cover - 0.8) <= 4 * se);
        }
        far += fabs(t[i].cover - 0.8) > 4 * se;
        /* Every estimate lies within 5 standard errors of the truth. */
        double est = (double)sample_hits[i] / K;
        assert_true(fabs(est - t[i].cover) <= 5 * ds_sample_stderr(K, D_SIZE, t[i].cover));
    }
    /* Most ports are far from the threshold (and agree); the test is not vacuous. */
    assert_true(far >= 50);
    print_message("ports classified differently: %d of %d (%d far from alpha)\n", differ, N_TARGETS,
                  far);
    /* Aggregates with and without sampling do not merge. */
    assert_int_equal(ds_aggregate_merge(exact, sampled, &err), DS_ERR_INVALID);
    ds_results_free(re);
    ds_results_free(rs);
    ds_aggregate_free(exact);
    ds_aggregate_free(sampled);
    free(perm);
    free(batch);
    free(in_sample);
    free(sample);
    ds_darknet_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_addresses),
        cmocka_unit_test(test_sampled_answer_matches_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
