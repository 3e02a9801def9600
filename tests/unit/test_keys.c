/*
 * test_keys.c - the aggregate's key sets against a plain oracle (qsort + unique): the radix
 * sort with deduplication on every shape of input (few keys, equal keys, keys that differ only
 * in low or only in high bits, skewed buckets), the sorted union and the in-place union from
 * the back (with and without repeats, either side empty).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aggregate/keys.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* oracle - sorted distinct copy of keys; returns its length. */
static size_t oracle(const uint64_t *keys, size_t n, uint64_t *out)
{
    memcpy(out, keys, n * sizeof(*out));
    qsort(out, n, sizeof(*out), cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || out[m - 1] != out[i])
            out[m++] = out[i];
    }
    return m;
}

static void check_sort(uint64_t *keys, size_t n)
{
    uint64_t *want = malloc((n ? n : 1) * sizeof(*want));
    uint64_t *tmp = malloc((n ? n : 1) * sizeof(*tmp));
    assert_non_null(want);
    assert_non_null(tmp);
    size_t m = oracle(keys, n, want);
    size_t got = ds_keys_sort_unique(keys, tmp, n);
    assert_int_equal(got, m);
    assert_memory_equal(keys, want, m * sizeof(*keys));
    free(want);
    free(tmp);
}

/* fill - n keys: mask selects the bits that vary, base the rest; 1 in dup_every repeats. */
static void fill(uint64_t *keys, size_t n, uint64_t base, uint64_t mask, unsigned dup_every)
{
    for (size_t i = 0; i < n; i++) {
        if (dup_every > 0 && i > 0 && rnd() % dup_every == 0)
            keys[i] = keys[rnd() % i];
        else
            keys[i] = base | (rnd() & mask);
    }
}

static void test_sort_unique_shapes(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 47, 48, 49, 1000, 4097, 70000, 1 << 20};
    static const struct {
        uint64_t base, mask;
    } shapes[] = {
        {0, UINT64_MAX},                            /* all 64 bits */
        {0, ((uint64_t)1 << 42) - 1},               /* a /16 aggregate's keys */
        {0xabcd000000000000ull, 0xffff},            /* only low bits vary */
        {0x1234, 0xff00000000000000ull},            /* only high bits vary */
        {0, 0xf},                                   /* 16 values: mostly repeats */
        {0x5555555555555555ull, 0},                 /* one value */
        {(uint64_t)1 << 40, 0x8000000000000f0full}, /* sparse bits */
    };
    size_t max = sizes[sizeof(sizes) / sizeof(sizes[0]) - 1];
    uint64_t *keys = malloc(max * sizeof(*keys));
    assert_non_null(keys);
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
            for (unsigned dup = 0; dup <= 3; dup += 3) {
                fill(keys, sizes[z], shapes[s].base, shapes[s].mask, dup);
                check_sort(keys, sizes[z]);
            }
        }
    }
    /* Skew: one bucket of the first pass holds most keys. */
    for (size_t i = 0; i < max; i++)
        keys[i] = i % 10 == 0 ? rnd() : 0x7700000000ull | (rnd() & 0xffffff);
    check_sort(keys, max);
    /* Already sorted and reversed. */
    for (size_t i = 0; i < max; i++)
        keys[i] = i * 3;
    check_sort(keys, max);
    for (size_t i = 0; i < max; i++)
        keys[i] = (max - i) * 7;
    check_sort(keys, max);
    free(keys);
}

static void check_unions(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t n = na + nb;
    uint64_t *all = malloc((n ? n : 1) * sizeof(*all));
    uint64_t *want = malloc((n ? n : 1) * sizeof(*want));
    uint64_t *got = malloc((n ? n : 1) * sizeof(*got));
    assert_true(all != NULL && want != NULL && got != NULL);
    memcpy(all, a, na * sizeof(*a));
    memcpy(all + na, b, nb * sizeof(*b));
    size_t m = oracle(all, n, want);
    assert_int_equal(ds_keys_union(a, na, b, nb, got), m);
    assert_memory_equal(got, want, m * sizeof(*got));
    /* In place, from the back: a has room for both. */
    memcpy(got, a, na * sizeof(*a));
    size_t start = n + 1;
    assert_int_equal(ds_keys_union_back(got, na, b, nb, &start), m);
    assert_true(start + m <= n);
    assert_memory_equal(got + start, want, m * sizeof(*got));
    free(all);
    free(want);
    free(got);
}

/* sorted_set - n sorted distinct keys below limit (n <= limit). */
static size_t sorted_set(uint64_t *out, size_t n, uint64_t limit)
{
    for (size_t i = 0; i < n; i++)
        out[i] = rnd() % limit;
    qsort(out, n, sizeof(*out), cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || out[m - 1] != out[i])
            out[m++] = out[i];
    }
    return m;
}

static void test_unions(void **state)
{
    (void)state;
    enum { N = 5000 };
    uint64_t *a = malloc(N * sizeof(*a)), *b = malloc(N * sizeof(*b));
    assert_true(a != NULL && b != NULL);
    static const size_t sizes[] = {0, 1, 2, 100, N};
    static const uint64_t limits[] = {8, 1000, 20000, UINT64_MAX};
    for (size_t i = 0; i < 5; i++) {
        for (size_t j = 0; j < 5; j++) {
            for (size_t l = 0; l < 4; l++) {
                size_t na = sorted_set(a, sizes[i], limits[l]);
                size_t nb = sorted_set(b, sizes[j], limits[l]);
                check_unions(a, na, b, nb);
            }
        }
    }
    /* Equal sets, disjoint ranges either way, b inside a's gaps. */
    size_t na = sorted_set(a, N, 1u << 20);
    check_unions(a, na, a, na);
    for (size_t i = 0; i < N; i++)
        b[i] = ((uint64_t)1 << 40) + i;
    check_unions(a, na, b, N);
    check_unions(b, N, a, na);
    for (size_t i = 0; i < N; i++) {
        a[i] = 2 * i;
        b[i] = 2 * i + 1;
    }
    check_unions(a, N, b, N);
    check_unions(a, N, a + N / 2, N / 2);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_unique_shapes),
        cmocka_unit_test(test_unions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
