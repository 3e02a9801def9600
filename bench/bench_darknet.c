/*
 * bench_darknet.c - lookups per second of ds_darknet_index, the per-SYN-packet call.
 *
 * For each darknet (the paper's 4 sensors: 899 + 505 + 256 + 253 addresses in 4 /8s, listed
 * as prefixes that do not line up with the sizes; a single /9; 10,000 scattered /24s) it looks
 * up random addresses, half inside D and half outside, and prints lookups/s beside a baseline
 * measured in the same run: a plain binary search over the sorted prefixes, what one would
 * write without the first-level table.
 *
 *   bench_darknet [SECONDS_PER_MEASUREMENT]   (default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darkscan/darknet.h"

#define N_ADDRS (1u << 22) /* 16 MiB of addresses: beyond the caches, like real traffic */

/* Where the lookups' sums go, so that the compiler cannot drop them. */
static volatile int64_t sink;

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 32);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The baseline: binary search over the prefixes with their dense bases. */
typedef struct baseline {
    uint32_t *start;
    uint64_t *count, *base;
    size_t n;
} baseline;

static int64_t baseline_index(const baseline *b, uint32_t addr)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->start[mid] <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    lo--;
    uint64_t off = addr - b->start[lo];
    return off < b->count[lo] ? (int64_t)(b->base[lo] + off) : -1;
}

static void baseline_init(baseline *b, const ds_darknet *d)
{
    b->n = ds_darknet_prefix_count(d);
    b->start = malloc(b->n * sizeof(*b->start));
    b->count = malloc(b->n * sizeof(*b->count));
    b->base = malloc(b->n * sizeof(*b->base));
    if (b->start == NULL || b->count == NULL || b->base == NULL) {
        fprintf(stderr, "bench_darknet: out of memory\n");
        exit(1);
    }
    uint64_t base = 0;
    for (size_t i = 0; i < b->n; i++) {
        unsigned len;
        ds_darknet_prefix(d, i, &b->start[i], &len, NULL);
        b->count[i] = 1ull << (32 - len);
        b->base[i] = base;
        base += b->count[i];
    }
}

static void baseline_free(baseline *b)
{
    free(b->start);
    free(b->count);
    free(b->base);
}

/* Lookups per second of one method over addrs, running for about `seconds`. */
static double measure(const ds_darknet *d, const baseline *b, const uint32_t *addrs, double seconds)
{
    uint64_t lookups = 0;
    int64_t sum = 0;
    double t0 = now(), t;
    do {
        if (b == NULL) {
            for (size_t i = 0; i < N_ADDRS; i++)
                sum += ds_darknet_index(d, addrs[i]);
        } else {
            for (size_t i = 0; i < N_ADDRS; i++)
                sum += baseline_index(b, addrs[i]);
        }
        lookups += N_ADDRS;
        t = now();
    } while (t - t0 < seconds);
    sink = sum;
    return (double)lookups / (t - t0);
}

static void run(const char *title, ds_darknet *d, double seconds)
{
    ds_error err;
    if (ds_darknet_finish(d, NULL, &err) != DS_OK) {
        fprintf(stderr, "bench_darknet: %s\n", err.msg);
        exit(1);
    }
    uint32_t *addrs = malloc(N_ADDRS * sizeof(*addrs));
    if (addrs == NULL) {
        fprintf(stderr, "bench_darknet: out of memory\n");
        exit(1);
    }
    uint64_t size = ds_darknet_size(d);
    for (size_t i = 0; i < N_ADDRS; i++) {
        if (i % 2 == 0) {
            addrs[i] = ds_darknet_address(d, ((uint64_t)rnd() << 32 | rnd()) % size);
        } else {
            uint32_t a;
            do
                a = rnd();
            while (ds_darknet_index(d, a) >= 0);
            addrs[i] = a;
        }
    }
    baseline b;
    baseline_init(&b, d);
    for (size_t i = 0; i < N_ADDRS; i++) {
        if (ds_darknet_index(d, addrs[i]) != baseline_index(&b, addrs[i])) {
            fprintf(stderr, "bench_darknet: %s: index and baseline disagree\n", title);
            exit(1);
        }
    }
    double table = measure(d, NULL, addrs, seconds);
    double plain = measure(d, &b, addrs, seconds);
    printf("%-36s %8zu %8zu %10.1f M/s %10.1f M/s %6.2fx\n", title, ds_darknet_prefix_count(d), b.n,
           table / 1e6, plain / 1e6, table / plain);
    baseline_free(&b);
    free(addrs);
    ds_darknet_free(d);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (!(seconds > 0)) {
        fprintf(stderr, "usage: bench_darknet [SECONDS_PER_MEASUREMENT]\n");
        return 2;
    }
    ds_error err;
    printf("ds_darknet_index: random addresses, half inside D, half outside\n");
    printf("%-36s %8s %8s %14s %14s %7s\n", "darknet", "prefixes", "baseline", "index",
           "binary search", "ratio");

    static const char *const paper[][2] = {
        {"43.1.2.0/23,43.1.8.0/24,43.1.9.0/25,43.1.12.2/31,43.1.12.7", "I"},
        {"150.10.0.0/24,150.10.4.0/25,150.10.5.64/26,150.10.7.32/27,150.10.7.96/28,"
         "150.10.7.200/29,150.10.9.9",
         "II"},
        {"160.16.10.128/25,160.16.11.0/25", "III"},
        {"202.33.20.0/25,202.33.20.128/26,202.33.21.0/27,202.33.21.64/28,202.33.22.0/29,"
         "202.33.22.16/30,202.33.23.1",
         "IV"},
    };
    ds_darknet *d = ds_darknet_new();
    for (size_t i = 0; i < 4; i++) {
        if (d == NULL || ds_darknet_add(d, paper[i][0], paper[i][1], &err) != DS_OK) {
            fprintf(stderr, "bench_darknet: %s\n", err.msg);
            return 1;
        }
    }
    run("paper: 4 sensors, 1913 addresses", d, seconds);

    d = ds_darknet_new();
    if (d == NULL || ds_darknet_add(d, "10.0.0.0/9", NULL, &err) != DS_OK)
        return 1;
    run("one /9", d, seconds);

    d = ds_darknet_new();
    if (d == NULL)
        return 1;
    for (int i = 0; i < 10000; i++) {
        char text[32], a[16];
        snprintf(text, sizeof(text), "%s/24", ds_format_ipv4(rnd() & 0xffffff00u, a));
        if (ds_darknet_add(d, text, NULL, &err) != DS_OK)
            return 1;
    }
    run("10,000 random /24s", d, seconds);
    return 0;
}
