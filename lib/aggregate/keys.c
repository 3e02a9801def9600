/*
 * keys.c - LSD radix sort of 64-bit keys with deduplication, and sorted union (see keys.h).
 *
 * Keys are sorted 11 bits at a time (2,048 buckets fit in L1), all histograms counted in one
 * pass, and a pass is skipped when every key has the same digit: aggregate keys seldom use all
 * 64 bits, and the bits of one window's block numbers are often alike.
 */
#include <string.h>

#include "aggregate/keys.h"

#define DIGIT_BITS 11
#define BUCKETS    (1u << DIGIT_BITS)
#define MAX_PASSES ((64 + DIGIT_BITS - 1) / DIGIT_BITS)

static size_t dedupe(uint64_t *keys, size_t n)
{
    if (n == 0)
        return 0;
    size_t out = 1;
    for (size_t i = 1; i < n; i++) {
        if (keys[i] != keys[out - 1])
            keys[out++] = keys[i];
    }
    return out;
}

static void insertion_sort(uint64_t *keys, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t v = keys[i];
        size_t j = i;
        while (j > 0 && keys[j - 1] > v) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = v;
    }
}

size_t ds_keys_sort_unique(uint64_t *keys, uint64_t *tmp, size_t n, unsigned max_bits)
{
    if (n < 64) {
        insertion_sort(keys, n);
        return dedupe(keys, n);
    }
    if (max_bits == 0 || max_bits > 64)
        max_bits = 64;
    unsigned passes = (max_bits + DIGIT_BITS - 1) / DIGIT_BITS;
    static _Thread_local size_t count[MAX_PASSES][BUCKETS];
    memset(count, 0, sizeof(count[0]) * passes);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        for (unsigned p = 0; p < passes; p++)
            count[p][(k >> (p * DIGIT_BITS)) & (BUCKETS - 1)]++;
    }
    uint64_t *src = keys, *dst = tmp;
    for (unsigned p = 0; p < passes; p++) {
        size_t *c = count[p];
        unsigned shift = p * DIGIT_BITS;
        /* Skip a pass where every key has the same digit. */
        if (c[(src[0] >> shift) & (BUCKETS - 1)] == n)
            continue;
        size_t sum = 0;
        for (unsigned b = 0; b < BUCKETS; b++) {
            size_t v = c[b];
            c[b] = sum;
            sum += v;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = src[i];
            dst[c[(k >> shift) & (BUCKETS - 1)]++] = k;
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    size_t m = dedupe(src, n);
    if (src != keys)
        memcpy(keys, src, m * sizeof(*keys));
    return m;
}

size_t ds_keys_union(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *out)
{
    size_t i = 0, j = 0, o = 0;
    while (i < na && j < nb) {
        uint64_t x = a[i], y = b[j];
        out[o++] = x < y ? x : y;
        i += x <= y;
        j += y <= x;
    }
    while (i < na)
        out[o++] = a[i++];
    while (j < nb)
        out[o++] = b[j++];
    return o;
}
