/*
 * fuzz_state_blob.c - the input bytes as a tuple blob and as a counters blob of the state
 * (lib/state/blob.c). A refusal must say why; an accepted blob must hold what the decoder
 * promises (sorted distinct keys; ascending hosts with consistent counts) and survive a round
 * trip: encoded again, it decodes to the same content.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/blob.h"

static void check_tuples(const uint8_t *data, size_t size)
{
    uint64_t *keys;
    size_t n;
    ds_error err;
    ds_status s = ds_blob_decode_tuples(data, size, &keys, &n, &err);
    if (s != DS_OK) {
        if (keys != NULL || n != 0 || err.msg[0] == '\0')
            abort();
        return;
    }
    for (size_t i = 1; i < n; i++) {
        if (keys[i] <= keys[i - 1])
            abort();
    }
    ds_blob b = {0};
    uint64_t *again;
    size_t m;
    if (ds_blob_encode_tuples(keys, n, 3, &b, NULL, &err) != DS_OK ||
        ds_blob_decode_tuples(b.data, b.len, &again, &m, &err) != DS_OK || m != n ||
        (n > 0 && memcmp(again, keys, n * sizeof(*keys)) != 0))
        abort();
    free(again);
    ds_blob_free(&b);
    free(keys);
}

static void check_counters(const uint8_t *data, size_t size)
{
    ds_blob_counters c;
    ds_error err;
    ds_status s = ds_blob_decode_counters(data, size, &c, &err);
    if (s != DS_OK) {
        if (c.hosts != NULL || err.msg[0] == '\0')
            abort();
        return;
    }
    const ds_agg_window_data *w = &c.w;
    if (w->syn_packets > w->syn_all || w->syn_all > w->packets)
        abort();
    for (size_t h = 0; h < w->n_hosts; h++) {
        if ((h > 0 && w->hosts[h].host <= w->hosts[h - 1].host) ||
            w->hosts[h].mirai_packets > w->hosts[h].syn_packets)
            abort();
    }
    ds_blob b = {0};
    ds_blob_counters d;
    if (ds_blob_encode_counters(w, c.has_scalars, w->hosts, w->n_hosts, 3, &b, &err) != DS_OK ||
        ds_blob_decode_counters(b.data, b.len, &d, &err) != DS_OK ||
        d.has_scalars != c.has_scalars || d.w.packets != w->packets ||
        d.w.first_ts_ns != w->first_ts_ns || d.w.last_ts_ns != w->last_ts_ns ||
        memcmp(d.w.slots, w->slots, sizeof(w->slots)) != 0 || d.w.n_hosts != w->n_hosts ||
        (w->n_hosts > 0 && memcmp(d.hosts, c.hosts, w->n_hosts * sizeof(*c.hosts)) != 0))
        abort();
    ds_blob_counters_clear(&d);
    ds_blob_free(&b);
    ds_blob_counters_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_tuples(data, size);
    check_counters(data, size);
    return 0;
}
