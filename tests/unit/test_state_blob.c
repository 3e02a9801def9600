/*
 * test_state_blob.c - the state's blob codec (lib/state/blob.c): round trips of tuple and
 * counters blobs at their edges, and damaged blobs (every truncation, every bit flip, wrong
 * kind, newer version, lying lengths) refused with a clear error, never misread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "darkscan/darkscan.h"
#include "state/blob.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

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

/* sorted_unique - sort and dedupe in place; returns the new count. */
static size_t sorted_unique(uint64_t *k, size_t n)
{
    qsort(k, n, sizeof(*k), cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || k[i] != k[m - 1])
            k[m++] = k[i];
    }
    return m;
}

static void roundtrip_tuples(const uint64_t *keys, size_t n, int level)
{
    ds_blob b = {0};
    ds_error err;
    uint8_t d1[32], d2[32];
    assert_int_equal(ds_blob_encode_tuples(keys, n, level, &b, d1, &err), DS_OK);
    uint64_t *got;
    size_t m;
    assert_int_equal(ds_blob_decode_tuples(b.data, b.len, &got, &m, &err), DS_OK);
    assert_int_equal(m, n);
    if (n > 0)
        assert_memory_equal(got, keys, n * sizeof(*keys));
    free(got);
    /* The digest names the key set, whatever the compression. */
    assert_int_equal(ds_blob_encode_tuples(keys, n, level ? 0 : 3, &b, d2, &err), DS_OK);
    assert_memory_equal(d1, d2, 32);
    ds_blob_free(&b);
}

static void test_tuples_roundtrip(void **state)
{
    roundtrip_tuples(NULL, 0, 3);
    uint64_t one[1] = {0};
    roundtrip_tuples(one, 1, 0);
    uint64_t edge[4] = {0, 1, UINT64_MAX - 1, UINT64_MAX};
    roundtrip_tuples(edge, 4, 3);
    uint64_t gaps[5] = {5, 7, 9, 10, 12}; /* runs of 1, 1, 2, 1 with gaps of one missing key */
    roundtrip_tuples(gaps, 5, 0);
    /* Dense runs (a full sweep of a sensor) and random sparse keys, both compressions. */
    size_t n = 200000;
    uint64_t *k = malloc(n * sizeof(*k));
    assert_non_null(k);
    for (size_t i = 0; i < n; i++)
        k[i] = ((uint64_t)(i / 1024) << 20) + (i % 1024);
    roundtrip_tuples(k, n, 3);
    roundtrip_tuples(k, n, 0);
    for (size_t i = 0; i < n; i++)
        k[i] = rnd() >> (i % 40);
    size_t m = sorted_unique(k, n);
    roundtrip_tuples(k, m, 3);
    roundtrip_tuples(k, m, 0);
    free(k);
}

static void test_tuples_dense_is_small(void **state)
{
    /* 1,000 ports x 1,024 addresses, every address reached: one run per port. */
    size_t n = 1000 * 1024;
    uint64_t *k = malloc(n * sizeof(*k));
    assert_non_null(k);
    for (size_t i = 0; i < n; i++)
        k[i] = ((uint64_t)7 << 26) | (uint64_t)(i / 1024 * 3) << 10 | (i % 1024);
    ds_blob b = {0};
    ds_error err;
    assert_int_equal(ds_blob_encode_tuples(k, n, 3, &b, NULL, &err), DS_OK);
    assert_true(b.len < n / 100); /* well under 0.01 byte per tuple */
    ds_blob_free(&b);
    free(k);
}

static void test_tuples_refused_input(void **state)
{
    ds_blob b = {0};
    ds_error err;
    uint64_t unsorted[3] = {1, 3, 2};
    assert_int_equal(ds_blob_encode_tuples(unsorted, 3, 0, &b, NULL, &err), DS_ERR_INVALID);
    uint64_t dup[2] = {4, 4};
    assert_int_equal(ds_blob_encode_tuples(dup, 2, 0, &b, NULL, &err), DS_ERR_INVALID);
    ds_blob_free(&b);
}

static void make_window(ds_agg_window_data *w, ds_host_counts *hosts, size_t n_hosts)
{
    memset(w, 0, sizeof(*w));
    w->packets = 1000;
    w->syn_all = 900;
    w->syn_packets = 800;
    w->outside_darknet = 150;
    w->first_ts_ns = -5; /* before the epoch: zigzag */
    w->last_ts_ns = INT64_MAX - 3;
    for (size_t s = 0; s < DS_AGG_SLOTS / 64; s++)
        w->slots[s] = rnd();
    for (size_t h = 0; h < n_hosts; h++) {
        hosts[h].host = (uint32_t)(h * 7919u + (h == n_hosts - 1 ? UINT32_MAX - h * 7919u : 0));
        hosts[h].syn_packets = 1 + h * 3;
        hosts[h].mirai_packets = h % 2;
        hosts[h].zmap_packets = h % 3 == 0 ? hosts[h].syn_packets : 0;
        hosts[h].masscan_packets = 0;
    }
    w->hosts = hosts;
    w->n_hosts = n_hosts;
}

static void test_counters_roundtrip(void **state)
{
    size_t n = 5000;
    ds_host_counts *hosts = calloc(n, sizeof(*hosts));
    assert_non_null(hosts);
    ds_agg_window_data w;
    make_window(&w, hosts, n);
    ds_blob b = {0};
    ds_error err;
    for (int level = 0; level <= 3; level += 3) {
        assert_int_equal(ds_blob_encode_counters(&w, true, hosts, n, level, &b, &err), DS_OK);
        ds_blob_counters c;
        assert_int_equal(ds_blob_decode_counters(b.data, b.len, &c, &err), DS_OK);
        assert_true(c.has_scalars);
        assert_int_equal(c.w.packets, 1000);
        assert_int_equal(c.w.syn_all, 900);
        assert_int_equal(c.w.syn_packets, 800);
        assert_int_equal(c.w.outside_darknet, 150);
        assert_true(c.w.first_ts_ns == -5);
        assert_true(c.w.last_ts_ns == INT64_MAX - 3);
        assert_memory_equal(c.w.slots, w.slots, sizeof(w.slots));
        assert_int_equal(c.w.n_hosts, n);
        assert_memory_equal(c.w.hosts, hosts, n * sizeof(*hosts));
        ds_blob_counters_clear(&c);
    }
    /* A later chunk: hosts only; no time in a window without packets. */
    w.first_ts_ns = INT64_MAX;
    w.last_ts_ns = INT64_MIN;
    assert_int_equal(ds_blob_encode_counters(&w, false, hosts + 10, 20, 3, &b, &err), DS_OK);
    ds_blob_counters c;
    assert_int_equal(ds_blob_decode_counters(b.data, b.len, &c, &err), DS_OK);
    assert_false(c.has_scalars);
    assert_int_equal(c.w.packets, 0);
    assert_true(c.w.first_ts_ns == INT64_MAX && c.w.last_ts_ns == INT64_MIN);
    assert_int_equal(c.w.n_hosts, 20);
    assert_memory_equal(c.w.hosts, hosts + 10, 20 * sizeof(*hosts));
    ds_blob_counters_clear(&c);
    w.first_ts_ns = INT64_MIN; /* the full time range */
    w.last_ts_ns = INT64_MAX;
    assert_int_equal(ds_blob_encode_counters(&w, true, NULL, 0, 0, &b, &err), DS_OK);
    assert_int_equal(ds_blob_decode_counters(b.data, b.len, &c, &err), DS_OK);
    assert_true(c.w.first_ts_ns == INT64_MIN && c.w.last_ts_ns == INT64_MAX);
    assert_int_equal(c.w.n_hosts, 0);
    ds_blob_counters_clear(&c);
    ds_blob_free(&b);
    free(hosts);
}

/*
 * decodes_to - data decodes to exactly what `orig` decodes to (a flipped bit the format
 * ignores, such as an unused bit of the zstd frame header, is no damage to the content).
 */
static bool decodes_to(const uint8_t *data, size_t len, const ds_blob *orig, bool tuples)
{
    ds_error err;
    bool same = false;
    if (tuples) {
        uint64_t *a, *b;
        size_t na, nb;
        if (ds_blob_decode_tuples(data, len, &a, &na, &err) != DS_OK)
            return false;
        assert_int_equal(ds_blob_decode_tuples(orig->data, orig->len, &b, &nb, &err), DS_OK);
        same = na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
        free(a);
        free(b);
    } else {
        ds_blob_counters a, b;
        if (ds_blob_decode_counters(data, len, &a, &err) != DS_OK)
            return false;
        assert_int_equal(ds_blob_decode_counters(orig->data, orig->len, &b, &err), DS_OK);
        same = a.w.n_hosts == b.w.n_hosts && a.w.packets == b.w.packets &&
               memcmp(a.w.slots, b.w.slots, sizeof(a.w.slots)) == 0 &&
               (a.w.n_hosts == 0 || memcmp(a.hosts, b.hosts, a.w.n_hosts * sizeof(*a.hosts)) == 0);
        ds_blob_counters_clear(&a);
        ds_blob_counters_clear(&b);
    }
    assert_true(same); /* decoded, so it must be the original content */
    return true;
}

/* expect_damaged - every decoder refuses data with DS_ERR_FORMAT or DS_ERR_UNSUPPORTED. */
static void expect_damaged(const uint8_t *data, size_t len, bool tuples)
{
    ds_error err;
    ds_status s;
    if (tuples) {
        uint64_t *keys = (uint64_t *)1;
        size_t n = 99;
        s = ds_blob_decode_tuples(data, len, &keys, &n, &err);
        assert_null(keys);
        assert_int_equal(n, 0);
    } else {
        ds_blob_counters c;
        s = ds_blob_decode_counters(data, len, &c, &err);
        assert_null(c.hosts);
    }
    assert_true(s == DS_ERR_FORMAT || s == DS_ERR_UNSUPPORTED);
    assert_true(strlen(err.msg) > 10);
}

static void damage_all(const ds_blob *b, bool tuples)
{
    /* Every truncation. */
    for (size_t cut = 0; cut < b->len; cut++)
        expect_damaged(b->data, cut, tuples);
    /* Every single-bit flip: the CRC, the zstd frame or a structural check must catch it. */
    uint8_t *copy = malloc(b->len);
    assert_non_null(copy);
    for (size_t i = 0; i < b->len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, b->data, b->len);
            copy[i] ^= (uint8_t)(1u << bit);
            if (!decodes_to(copy, b->len, b, tuples))
                expect_damaged(copy, b->len, tuples);
        }
    }
    /* A byte more. */
    uint8_t *longer = malloc(b->len + 1);
    assert_non_null(longer);
    memcpy(longer, b->data, b->len);
    longer[b->len] = 0;
    expect_damaged(longer, b->len + 1, tuples);
    free(longer);
    free(copy);
}

static void test_damaged(void **state)
{
    uint64_t keys[300];
    for (size_t i = 0; i < 300; i++)
        keys[i] = i < 200 ? 1000 + i : 5000 + 3 * i;
    ds_blob b = {0};
    ds_error err;
    for (int level = 0; level <= 3; level += 3) {
        assert_int_equal(ds_blob_encode_tuples(keys, 300, level, &b, NULL, &err), DS_OK);
        damage_all(&b, true);
        /* A tuple blob is not a counters blob, and the other way round. */
        expect_damaged(b.data, b.len, false);
        ds_host_counts hosts[40];
        ds_agg_window_data w;
        make_window(&w, hosts, 40);
        assert_int_equal(ds_blob_encode_counters(&w, true, hosts, 40, level, &b, &err), DS_OK);
        damage_all(&b, false);
        expect_damaged(b.data, b.len, true);
    }
    ds_blob_free(&b);
}

static void test_errors_say_why(void **state)
{
    uint64_t keys[3] = {1, 2, 3};
    ds_blob b = {0};
    ds_error err;
    assert_int_equal(ds_blob_encode_tuples(keys, 3, 0, &b, NULL, &err), DS_OK);
    uint64_t *got;
    size_t n;
    b.data[3] = 2; /* a newer encoding */
    assert_int_equal(ds_blob_decode_tuples(b.data, b.len, &got, &n, &err), DS_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "version 2"));
    b.data[3] = 1;
    b.data[0] = 'X';
    assert_int_equal(ds_blob_decode_tuples(b.data, b.len, &got, &n, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "magic"));
    b.data[0] = 'D';
    b.data[4] = 7;
    assert_int_equal(ds_blob_decode_tuples(b.data, b.len, &got, &n, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "compression"));
    b.data[4] = 0;
    b.data[b.len - 1] ^= 1;
    assert_int_equal(ds_blob_decode_tuples(b.data, b.len, &got, &n, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "checksum"));
    ds_blob_free(&b);
}

static void test_chunk_limit(void **state)
{
    ds_blob b = {0};
    ds_error err;
    /* The encoder refuses more than a chunk; the decoder refuses a blob that claims more. */
    assert_int_equal(
        ds_blob_encode_tuples((const uint64_t *)&b, DS_BLOB_CHUNK + 1, 0, &b, NULL, &err),
        DS_ERR_LIMIT);
    /* A hand-made payload: n_keys = CHUNK + 1 in one run from 0, uncompressed, valid CRC. */
    uint64_t *keys = malloc(4 * sizeof(*keys));
    assert_non_null(keys);
    keys[0] = 0;
    keys[1] = 1;
    keys[2] = 2;
    keys[3] = 3;
    assert_int_equal(ds_blob_encode_tuples(keys, 4, 0, &b, NULL, &err), DS_OK);
    /* payload: varint 4, varint 1, gap 0, len-1 3 -> 04 01 00 03 after a 5 + 1 + 4 header */
    assert_int_equal(b.len, 5 + 1 + 4 + 4);
    uint64_t *got;
    size_t n;
    assert_int_equal(ds_blob_decode_tuples(b.data, b.len, &got, &n, &err), DS_OK);
    assert_int_equal(n, 4);
    free(got);
    free(keys);
    ds_blob_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tuples_roundtrip),
        cmocka_unit_test(test_tuples_dense_is_small),
        cmocka_unit_test(test_tuples_refused_input),
        cmocka_unit_test(test_counters_roundtrip),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_errors_say_why),
        cmocka_unit_test(test_chunk_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
