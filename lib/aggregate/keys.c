/*
 * keys.c - sorted sets of 64-bit keys: radix sort with deduplication, sorted union, and the
 * in-place union the aggregate's runs grow by (see keys.h).
 *
 * The sort is one most-significant-digit pass followed by least-significant-digit passes on
 * each bucket: the first pass splits the keys by their top varying bits into buckets of a few
 * thousand keys, so that the remaining passes run on data that sits in the L1/L2 cache (an
 * LSD sort of a whole 8 MiB buffer streams it through the L3 once per digit: measured 13 ns
 * per key against 8 here, docs/PERFORMANCE.md). Only the bits where the keys differ are
 * sorted on: the top bits are found from the XOR of the smallest and largest key.
 */
#include <string.h>

#include "aggregate/keys.h"

/* Keys per bucket the MSD pass aims at (the bucket and its scratch stay in L2). */
#define BUCKET_TARGET 4096
#define MSD_BITS_MAX  12
#define LSD_BITS_MAX  11
#define SMALL         48

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

/*
 * lsd - sort keys[0..n) on bits [0, bits) (all higher bits are equal), using tmp as scratch.
 * Returns the array that holds the result (keys or tmp).
 */
static uint64_t *lsd(uint64_t *keys, uint64_t *tmp, size_t n, unsigned bits)
{
    if (n < SMALL || bits == 0) {
        insertion_sort(keys, n);
        return keys;
    }
    unsigned passes = (bits + LSD_BITS_MAX - 1) / LSD_BITS_MAX;
    unsigned width = (bits + passes - 1) / passes;
    size_t buckets = (size_t)1 << width;
    uint64_t mask = buckets - 1;
    uint32_t count[(64 + LSD_BITS_MAX - 1) / LSD_BITS_MAX][1u << LSD_BITS_MAX];
    memset(count, 0, sizeof(count[0]) * passes);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        for (unsigned p = 0; p < passes; p++)
            count[p][(k >> (p * width)) & mask]++;
    }
    uint64_t *src = keys, *dst = tmp;
    for (unsigned p = 0; p < passes; p++) {
        uint32_t *c = count[p];
        unsigned shift = p * width;
        if (c[(src[0] >> shift) & mask] == n)
            continue; /* every key has this digit */
        uint32_t sum = 0;
        for (size_t b = 0; b < buckets; b++) {
            uint32_t v = c[b];
            c[b] = sum;
            sum += v;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = src[i];
            dst[c[(k >> shift) & mask]++] = k;
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

/*
 * append_unique - copy sorted from[0..n) to out[o..), dropping repeats; returns the new o.
 * last is the key before out[o] (ignored when o is 0). out may be from itself moved down.
 */
static size_t append_unique(uint64_t *out, size_t o, const uint64_t *from, size_t n)
{
    if (n == 0)
        return o;
    size_t i = 0;
    uint64_t last;
    if (o == 0) {
        last = from[0];
        out[o++] = last;
        i = 1;
    } else {
        last = out[o - 1];
    }
    for (; i < n; i++) {
        uint64_t k = from[i];
        out[o] = k;
        o += k != last;
        last = k;
    }
    return o;
}

size_t ds_keys_sort_unique(uint64_t *keys, uint64_t *tmp, size_t n)
{
    if (n < SMALL) {
        insertion_sort(keys, n);
        return append_unique(keys, 0, keys, n);
    }
    uint64_t lo = keys[0], hi = keys[0];
    for (size_t i = 1; i < n; i++) {
        uint64_t k = keys[i];
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
    }
    if (lo == hi)
        return 1;
    unsigned bits = 64 - (unsigned)__builtin_clzll(lo ^ hi); /* bits where keys differ */
    unsigned msd = 0;
    while (msd < MSD_BITS_MAX && msd < bits && (n >> msd) > BUCKET_TARGET)
        msd++;
    if (msd == 0) {
        uint64_t *sorted = lsd(keys, tmp, n, bits);
        return append_unique(keys, 0, sorted, n);
    }
    unsigned shift = bits - msd;
    size_t buckets = (size_t)1 << msd;
    size_t mask = buckets - 1;
    size_t start[(1u << MSD_BITS_MAX) + 1];
    size_t pos[1u << MSD_BITS_MAX];
    memset(start, 0, sizeof(start[0]) * (buckets + 1));
    for (size_t i = 0; i < n; i++)
        start[((keys[i] >> shift) & mask) + 1]++;
    for (size_t b = 0; b < buckets; b++)
        start[b + 1] += start[b];
    memcpy(pos, start, sizeof(pos[0]) * buckets);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        tmp[pos[(k >> shift) & mask]++] = k;
    }
    /* Each bucket: sorted in tmp[s..e) with keys[s..e) as scratch, then appended (deduplicated)
       to keys[0..o). o <= s, so appending never overwrites a bucket not yet sorted. */
    size_t o = 0;
    for (size_t b = 0; b < buckets; b++) {
        size_t s = start[b], e = start[b + 1];
        if (s == e)
            continue;
        uint64_t *sorted = lsd(tmp + s, keys + s, e - s, shift);
        o = append_unique(keys, o, sorted, e - s);
    }
    return o;
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

size_t ds_keys_union_back(uint64_t *a, size_t na, const uint64_t *b, size_t nb, size_t *start)
{
    size_t i = na, j = nb, o = na + nb;
    /* o >= i + j throughout, so a[o - 1] is never a key of a not yet merged. */
    while (i > 0 && j > 0) {
        uint64_t x = a[i - 1], y = b[j - 1];
        a[--o] = x > y ? x : y;
        i -= x >= y;
        j -= y >= x;
    }
    while (j > 0)
        a[--o] = b[--j];
    /* The union is a[0..i) followed by a[o..na+nb): a gap of o - i repeats between them.
       Close it by moving the shorter side. */
    size_t gap = o - i, tail = na + nb - o;
    *start = 0;
    if (gap > 0) {
        if (i <= tail) {
            memmove(a + gap, a, i * sizeof(*a));
            *start = gap;
        } else {
            memmove(a + i, a + o, tail * sizeof(*a));
        }
    }
    return na + nb - gap;
}
