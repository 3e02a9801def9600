/*
 * test_simulate.c - ds_simulate_run and the scenario plans: byte-identical output for a seed
 * whatever the number of threads, other output for another seed, the paper's plan (34 blocks
 * shaped like Table 3: 6 routine, 6 semi-routine, 22 ad-hoc, sizes scaled as stated), the
 * distractors' thresholds, and the errors a caller can make.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "simulate/plan.h"
#include "testutil.h"

static ds_status simulate(const char *dir, const char *scenario, uint64_t seed, unsigned threads,
                          const char *format, ds_compression comp, ds_sim_summary *sum)
{
    ds_sim_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.out_dir = dir;
    cfg.scenario = scenario;
    cfg.seed = seed;
    cfg.threads = threads;
    cfg.format = format;
    cfg.compression = comp;
    ds_error err;
    ds_status st = ds_simulate_run(&cfg, NULL, sum, &err);
    if (st != DS_OK)
        print_message("simulate: %s\n", err.msg);
    return st;
}

/* Every regular file below dir, relative paths, sorted. */
static size_t list_files(const char *dir, const char *rel, char **out, size_t n, size_t max)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[1024], full[2048];
        snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        snprintf(full, sizeof(full), "%s/%s", dir, sub);
        struct stat st;
        assert_int_equal(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            n = list_files(dir, sub, out, n, max);
        } else {
            assert_true(n < max);
            out[n++] = strdup(sub);
        }
    }
    closedir(d);
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* same_tree - whether a and b hold the same files with the same bytes. */
static bool same_tree(const char *a, const char *b)
{
    static char *fa[4096], *fb[4096];
    size_t na = list_files(a, "", fa, 0, 4096), nb = list_files(b, "", fb, 0, 4096);
    qsort(fa, na, sizeof(*fa), cmp_str);
    qsort(fb, nb, sizeof(*fb), cmp_str);
    bool same = na == nb && na > 0;
    for (size_t i = 0; i < na && same; i++) {
        char pa[2048], pb[2048];
        snprintf(pa, sizeof(pa), "%s/%s", a, fa[i]);
        snprintf(pb, sizeof(pb), "%s/%s", b, fb[i]);
        size_t la, lb;
        char *ca = tu_read_file(pa, &la), *cb = tu_read_file(pb, &lb);
        same = strcmp(fa[i], fb[i]) == 0 && la == lb && memcmp(ca, cb, la) == 0;
        free(ca);
        free(cb);
    }
    for (size_t i = 0; i < na; i++)
        free(fa[i]);
    for (size_t i = 0; i < nb; i++)
        free(fb[i]);
    return same;
}

static void test_deterministic(void **state)
{
    ds_sim_summary s1, s2, s3;
    assert_int_equal(simulate(tu_path("d1"), "small", 5, 1, "pcapng", DS_COMP_GZIP, &s1), DS_OK);
    assert_int_equal(simulate(tu_path("d2"), "small", 5, 3, "pcapng", DS_COMP_GZIP, &s2), DS_OK);
    assert_true(same_tree(tu_path("d1"), tu_path("d2")));
    assert_true(s1.packets == s2.packets && s1.files == s2.files && s1.packets > 100000);
    /* another seed: other captures and another truth */
    assert_int_equal(simulate(tu_path("d3"), "small", 6, 2, "pcapng", DS_COMP_GZIP, &s3), DS_OK);
    assert_false(same_tree(tu_path("d1"), tu_path("d3")));
    char *t1 = tu_read_file(tu_path("d1/truth.json"), NULL);
    char *t3 = tu_read_file(tu_path("d3/truth.json"), NULL);
    assert_true(strcmp(t1, t3) != 0);
    free(t1);
    free(t3);
    /* the small scenario's four blocks are found with every seed */
    assert_int_equal(s1.networks, 4);
    assert_int_equal(s3.networks, 4);
    assert_int_equal(s1.planted_constant, 4);
}

/* A second run into the same folder replaces the captures; a foreign captures folder stays. */
static void test_rerun_and_foreign(void **state)
{
    ds_sim_summary s;
    assert_int_equal(simulate(tu_path("r"), "small", 1, 2, "pcap", DS_COMP_NONE, &s), DS_OK);
    tu_write_file(tu_path("r/captures/east/stale.pcap"), "x", 1);
    assert_int_equal(simulate(tu_path("r"), "small", 1, 2, "pcap", DS_COMP_ZSTD, &s), DS_OK);
    struct stat st;
    assert_int_not_equal(stat(tu_path("r/captures/east/stale.pcap"), &st), 0);
    assert_int_not_equal(stat(tu_path("r/captures/east/2018-07-01.pcap"), &st), 0);
    assert_int_equal(stat(tu_path("r/captures/east/2018-07-01.pcap.zst"), &st), 0);

    assert_int_equal(mkdir(tu_path("f"), 0777), 0);
    assert_int_equal(mkdir(tu_path("f/captures"), 0777), 0);
    tu_write_file(tu_path("f/captures/mine.pcap"), "x", 1);
    assert_int_equal(simulate(tu_path("f"), "small", 1, 1, "pcap", DS_COMP_NONE, &s), DS_ERR_IO);
    assert_int_equal(stat(tu_path("f/captures/mine.pcap"), &st), 0);
}

static void test_bad_config(void **state)
{
    ds_sim_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    ds_error err;
    cfg.out_dir = tu_path("bad");
    cfg.scenario = "nope";
    assert_int_equal(ds_simulate_run(&cfg, NULL, NULL, &err), DS_ERR_INVALID);
    cfg.scenario = "small";
    cfg.scale = 1.5;
    assert_int_equal(ds_simulate_run(&cfg, NULL, NULL, &err), DS_ERR_INVALID);
    cfg.scale = -0.1;
    assert_int_equal(ds_simulate_run(&cfg, NULL, NULL, &err), DS_ERR_INVALID);
    cfg.scale = 0;
    cfg.format = "pcap-xx";
    assert_int_equal(ds_simulate_run(&cfg, NULL, NULL, &err), DS_ERR_INVALID);
    cfg.format = NULL;
    cfg.out_dir = NULL;
    assert_int_equal(ds_simulate_run(&cfg, NULL, NULL, &err), DS_ERR_INVALID);
    assert_null(ds_sim_scenario_find("nope"));
    assert_null(ds_sim_format_find("mixed")); /* a mode, not a format */
    assert_non_null(ds_sim_format_find("pcapng-be"));
    assert_null(ds_sim_scenario_at(ds_sim_scenario_count()));
}

/* The paper's plan: Table 3's 34 blocks, 6/6/22, documented ones, sizes scaled by the rule. */
static void test_paper_plan(void **state)
{
    sim_plan plan;
    ds_error err;
    const ds_sim_scenario *sc = ds_sim_scenario_find("paper");
    assert_int_equal(ds_sim_plan_build(&plan, sc, 1, 0.02, &err), DS_OK);
    assert_int_equal(plan.n_dark, 1913);
    assert_int_equal(plan.n_sensors, 4);
    assert_int_equal(plan.n_months, 12);
    uint64_t sensor_size[4] = {0};
    for (uint32_t d = 0; d < plan.n_dark; d++)
        sensor_size[plan.dark_sensor[d]]++;
    assert_int_equal(sensor_size[0], 899);
    assert_int_equal(sensor_size[1], 505);
    assert_int_equal(sensor_size[2], 256);
    assert_int_equal(sensor_size[3], 253);
    /* four /8s */
    for (size_t i = 0; i < plan.n_prefixes; i++) {
        for (size_t k = 0; k < plan.n_prefixes; k++) {
            if ((plan.prefixes[i].addr >> 24) == (plan.prefixes[k].addr >> 24))
                assert_int_equal(plan.prefixes[i].sensor, plan.prefixes[k].sensor);
        }
    }
    size_t constant = 0, cat[3] = {0, 0, 0}, documented = 0, gaps = 0;
    for (size_t i = 0; i < plan.n_actors; i++) {
        const sim_actor *a = &plan.actors[i];
        if (!a->expect_constant)
            continue;
        constant++;
        cat[a->category]++;
        documented += a->paper->documented;
        assert_int_equal(a->ports_max, ds_sim_scaled(&plan, a->paper->ports_max));
        assert_int_equal(a->ports_min, ds_sim_scaled(&plan, a->paper->ports_min));
        /* scan months: first and last as in Table 3, at least m of them, sizes in range */
        size_t scans = 0;
        uint32_t hi = 0, lo = UINT32_MAX;
        for (size_t m = 0; m < plan.n_months; m++) {
            const sim_month_plan *mp = &a->month[m];
            if (!mp->scan) {
                if (mp->n_ports > 0) {
                    gaps++;
                    assert_true(m > (size_t)a->paper->first && m < (size_t)a->paper->last);
                }
                continue;
            }
            scans++;
            assert_true(m >= (size_t)a->paper->first && m <= (size_t)a->paper->last);
            hi = mp->n_ports > hi ? mp->n_ports : hi;
            lo = mp->n_ports < lo ? mp->n_ports : lo;
            assert_true(mp->cov_lo == 1531 && mp->cov_hi == 1913); /* 80% to 100% of D */
        }
        assert_true(a->month[a->paper->first].scan && a->month[a->paper->last].scan);
        assert_true(scans >= 6);
        assert_int_equal(hi, a->ports_max);
        assert_int_equal(lo, a->ports_min);
        assert_true(a->n_hosts >= 3);
    }
    assert_int_equal(constant, 34);
    assert_int_equal(cat[DS_CATEGORY_ROUTINE], 6);
    assert_int_equal(cat[DS_CATEGORY_SEMI_ROUTINE], 6);
    assert_int_equal(cat[DS_CATEGORY_AD_HOC], 22);
    assert_int_equal(documented, 4);
    assert_true(gaps > 0);
    /* the scaling rule: knee 100, sizes above it shrink */
    assert_int_equal(ds_sim_scaled(&plan, 97), 97);
    assert_int_equal(ds_sim_scaled(&plan, 100), 100);
    assert_int_equal(ds_sim_scaled(&plan, 10430), 100 + 207); /* 10330 * 0.02 = 206.6 */
    ds_sim_plan_free(&plan);

    /* at full scale, Table 3's sizes themselves */
    assert_int_equal(ds_sim_plan_build(&plan, sc, 1, 1.0, &err), DS_OK);
    for (size_t i = 0; i < plan.n_actors; i++) {
        const sim_actor *a = &plan.actors[i];
        if (a->expect_constant) {
            assert_int_equal(a->ports_max, a->paper->ports_max);
            assert_int_equal(a->ports_min, a->paper->ports_min);
        }
    }
    ds_sim_plan_free(&plan);
}

/* Distractors sit just under each threshold. */
static void test_distractors(void **state)
{
    sim_plan plan;
    ds_error err;
    assert_int_equal(ds_sim_plan_build(&plan, ds_sim_scenario_find("paper"), 3, 0.02, &err), DS_OK);
    bool seen[8] = {false};
    uint32_t kinds = 0;
    for (size_t i = 0; i < plan.n_actors; i++) {
        const sim_actor *a = &plan.actors[i];
        kinds |= 1u << a->kind;
        if (strcmp(a->name, "under-alpha") == 0) {
            seen[0] = true;
            assert_int_equal(a->month[0].cov_hi, 1530); /* ceil(0.8 * 1913) - 1 */
            assert_int_equal(a->month[0].n_ports, 40);
        } else if (strcmp(a->name, "under-ports") == 0) {
            seen[1] = true;
            assert_int_equal(a->month[5].n_ports, 29);
            assert_int_equal(a->month[5].cov_lo, 1531);
        } else if (strcmp(a->name, "under-months") == 0) {
            seen[2] = true;
            size_t months = 0;
            for (size_t m = 0; m < plan.n_months; m++)
                months += a->month[m].n_ports > 0;
            assert_int_equal(months, 5);
        } else if (strncmp(a->name, "split-", 6) == 0) {
            seen[3] = true;
            assert_true(a->targets == SIM_TARGET_EVEN || a->targets == SIM_TARGET_ODD);
        } else if (strcmp(a->name, "outside") == 0) {
            seen[4] = true;
            assert_int_equal(a->targets, SIM_TARGET_OUTSIDE);
        } else if (strcmp(a->name, "mirai") == 0) {
            seen[5] = true;
        }
        assert_false(a->expect_constant && a->why != NULL);
    }
    for (int i = 0; i < 6; i++)
        assert_true(seen[i]);
    assert_int_equal(kinds, 0x1f); /* every kind of actor */
    /* the Mirai botnet spans thousands of /16s, none of them a planted one */
    uint32_t *blocks = malloc(plan.n_bots * sizeof(*blocks));
    for (uint32_t i = 0; i < plan.n_bots; i++)
        blocks[i] = plan.bots[i] >> 16;
    size_t distinct = 0;
    for (uint32_t i = 0; i < plan.n_bots; i++) {
        bool dup = false;
        for (uint32_t k = 0; k < i && !dup && k < 3000; k++)
            dup = blocks[k] == blocks[i];
        distinct += !dup;
        if (i == 3000)
            break;
    }
    assert_true(distinct > 2000);
    free(blocks);
    /* the addresses next to D are outside it */
    assert_true(plan.n_outside >= 20);
    for (uint32_t i = 0; i < plan.n_outside; i++) {
        for (uint32_t d = 0; d < plan.n_dark; d++)
            assert_true(plan.outside[i] != plan.dark[d]);
    }
    ds_sim_plan_free(&plan);
}

static void test_modern_plan(void **state)
{
    sim_plan plan;
    ds_error err;
    const ds_sim_scenario *sc = ds_sim_scenario_find("modern");
    assert_int_equal(ds_sim_plan_build(&plan, sc, 1, sc->default_scale, &err), DS_OK);
    size_t constant = 0;
    for (size_t i = 0; i < plan.n_actors; i++) {
        const sim_actor *a = &plan.actors[i];
        if (!a->expect_constant)
            continue;
        constant++;
        if (strcmp(a->name, "censys") == 0) {
            /* all 65,535 ports, scaled: ports spread over the whole range, every month */
            assert_int_equal(a->ports_max, 100 + 327); /* 65435 * 0.005 = 327.2 */
            const sim_month_plan *mp = &a->month[0];
            assert_true(mp->ports[0] <= 200 && mp->ports[mp->n_ports - 1] >= 65000);
        }
        if (strcmp(a->name, "rapid7") == 0) {
            size_t months = 0;
            for (size_t m = 0; m < plan.n_months; m++)
                months += a->month[m].scan;
            assert_int_equal(months, 6); /* 184 days */
        }
    }
    assert_int_equal(constant, 6);
    ds_sim_plan_free(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_rerun_and_foreign),
        cmocka_unit_test(test_bad_config),    cmocka_unit_test(test_paper_plan),
        cmocka_unit_test(test_distractors),   cmocka_unit_test(test_modern_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
