/*
 * test_sim_rng.c - the simulator's PRNG: splitmix64 and xoshiro256** against their published
 * reference outputs, the stream seeding against an independent Python computation, and the
 * bounded draws (no bias, bounds reached, exact probabilities, samples without repetition).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "simulate/rng.h"
#include "testutil.h"

/* splitmix64 from state 1234567: the values Vigna's splitmix64.c gives (also used by the Java
 * SplittableRandom and rand_xoshiro test suites). */
static void test_splitmix64_reference(void **state)
{
    static const uint64_t want[] = {6457827717110365317ull, 3203168211198807973ull,
                                    9817491932198370423ull, 4593380528125082431ull,
                                    16408922859458223821ull};
    uint64_t st = 1234567;
    for (size_t i = 0; i < 5; i++)
        assert_true(ds_sim_splitmix64(&st) == want[i]);
}

/* xoshiro256** from the state {1, 2, 3, 4}: rand_xoshiro's reference test values. */
static void test_xoshiro_reference(void **state)
{
    static const uint64_t want[] = {11520ull,
                                    0ull,
                                    1509978240ull,
                                    1215971899390074240ull,
                                    1216172134540287360ull,
                                    607988272756665600ull,
                                    16172922978634559625ull,
                                    8476171486693032832ull,
                                    10595114339597558777ull,
                                    2904607092377533576ull};
    ds_sim_rng r = {{1, 2, 3, 4}};
    for (size_t i = 0; i < 10; i++)
        assert_true(ds_sim_rng_next(&r) == want[i]);
}

/* The named streams: the values a Python transcription of rng.c's seeding gives. */
static void test_seeding(void **state)
{
    ds_sim_rng r, s;
    ds_sim_rng_seed(&r, 42, 1, 2, 3);
    assert_true(ds_sim_rng_next(&r) == 17772729739295306584ull);
    assert_true(ds_sim_rng_next(&r) == 15525211480555685883ull);
    assert_true(ds_sim_rng_next(&r) == 8932598214217993171ull);
    /* the same name gives the same stream; any other name another one */
    ds_sim_rng_seed(&r, 7, 1, 2, 3);
    ds_sim_rng_seed(&s, 7, 1, 2, 3);
    for (int i = 0; i < 100; i++)
        assert_true(ds_sim_rng_next(&r) == ds_sim_rng_next(&s));
    const uint64_t names[][4] = {
        {8, 1, 2, 3}, {7, 2, 2, 3}, {7, 1, 3, 3}, {7, 1, 2, 4}, {7, 2, 1, 3}};
    ds_sim_rng_seed(&r, 7, 1, 2, 3);
    uint64_t first = ds_sim_rng_next(&r);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ds_sim_rng_seed(&s, names[i][0], names[i][1], names[i][2], names[i][3]);
        assert_true(ds_sim_rng_next(&s) != first);
    }
}

static void test_below_bounds_and_uniformity(void **state)
{
    ds_sim_rng r;
    ds_sim_rng_seed(&r, 1, 0, 0, 0);
    assert_true(ds_sim_rng_below(&r, 0) == 0);
    for (int i = 0; i < 1000; i++)
        assert_true(ds_sim_rng_below(&r, 1) == 0);
    /* 6 buckets, 60,000 draws: each within 5% of 10,000 (over 7 standard deviations) */
    uint32_t count[6] = {0};
    for (int i = 0; i < 60000; i++) {
        uint64_t v = ds_sim_rng_below(&r, 6);
        assert_true(v < 6);
        count[v]++;
    }
    for (int b = 0; b < 6; b++)
        assert_in_range(count[b], 9500, 10500);
    /* a bound just above 2^63: the rejection path; every draw stays below it */
    uint64_t big = (1ull << 63) + 12345;
    for (int i = 0; i < 1000; i++)
        assert_true(ds_sim_rng_below(&r, big) < big);
}

static void test_range_and_chance(void **state)
{
    ds_sim_rng r;
    ds_sim_rng_seed(&r, 2, 0, 0, 0);
    bool lo = false, hi = false;
    for (int i = 0; i < 10000; i++) {
        uint64_t v = ds_sim_rng_range(&r, 30, 35);
        assert_in_range(v, 30, 35);
        lo |= v == 30;
        hi |= v == 35;
    }
    assert_true(lo && hi);
    assert_true(ds_sim_rng_range(&r, 9, 9) == 9);
    assert_true(ds_sim_rng_range(&r, 9, 3) == 9);
    for (int i = 0; i < 1000; i++) {
        assert_false(ds_sim_rng_chance(&r, 0, 7));
        assert_true(ds_sim_rng_chance(&r, 7, 7));
        assert_false(ds_sim_rng_chance(&r, 1, 0));
    }
    uint32_t yes = 0;
    for (int i = 0; i < 100000; i++)
        yes += (uint32_t)ds_sim_rng_chance(&r, 1, 4);
    assert_in_range(yes, 24000, 26000);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void test_sample(void **state)
{
    ds_sim_rng r;
    ds_sim_rng_seed(&r, 3, 0, 0, 0);
    uint32_t v[100], hits[100] = {0};
    for (uint32_t i = 0; i < 100; i++)
        v[i] = i;
    for (int round = 0; round < 2000; round++) {
        ds_sim_rng_sample(&r, v, 100, 30);
        uint32_t first[30];
        memcpy(first, v, sizeof(first));
        qsort(first, 30, sizeof(first[0]), cmp_u32);
        for (int i = 1; i < 30; i++)
            assert_true(first[i] != first[i - 1]); /* no repetition */
        for (int i = 0; i < 30; i++)
            hits[first[i]]++;
        /* the whole array stays a permutation of 0..99 */
        uint32_t all[100];
        memcpy(all, v, sizeof(all));
        qsort(all, 100, sizeof(all[0]), cmp_u32);
        for (uint32_t i = 0; i < 100; i++)
            assert_true(all[i] == i);
    }
    /* every element is picked about 30% of the time: 600 of 2,000 rounds */
    for (int i = 0; i < 100; i++)
        assert_in_range(hits[i], 480, 720);
    /* k > n is clamped to n */
    ds_sim_rng_sample(&r, v, 10, 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitmix64_reference),
        cmocka_unit_test(test_xoshiro_reference),
        cmocka_unit_test(test_seeding),
        cmocka_unit_test(test_below_bounds_and_uniformity),
        cmocka_unit_test(test_range_and_chance),
        cmocka_unit_test(test_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
