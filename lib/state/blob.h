/*
 * blob.h - the encoding of what the state stores per window (private to libdarkscan; the unit
 * tests and the fuzz target include it).
 *
 * Two kinds of blob, both with the same frame (docs/STATE.md, "Blobs"):
 *   - tuples: a sorted set of distinct 64-bit tuple keys, as runs of consecutive keys (gap and
 *     length columns, LEB128 varints);
 *   - counters: a window's additive counters (packets, SYN packets, times, the coverage
 *     bitmap) and a chunk of its per-host counters (columns of host deltas and counts).
 * The frame carries the kind, the encoding version, the compression (none or zstd), the
 * payload length and a CRC-32 of the payload, so that damage is reported, never used.
 */
#ifndef DS_STATE_BLOB_H
#define DS_STATE_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/aggregate.h"
#include "darkscan/error.h"

/* Keys per tuple blob and hosts per counters blob: bigger sets are split into chunks. */
#define DS_BLOB_CHUNK ((size_t)1 << 22)

/* The largest decoded payload accepted, in bytes. */
#define DS_BLOB_MAX_PAYLOAD ((size_t)1 << 28)

/* A growable byte buffer. */
typedef struct ds_blob {
    uint8_t *data;
    size_t len, cap;
} ds_blob;

void ds_blob_free(ds_blob *b);

/*
 * ds_blob_encode_tuples - n sorted distinct keys (n <= DS_BLOB_CHUNK) into out (replacing its
 * content). level: zstd level (0: no compression). digest: SHA-256 of the payload, a name for
 * the key set that does not depend on the compression (may be NULL).
 */
ds_status ds_blob_encode_tuples(const uint64_t *keys, size_t n, int level, ds_blob *out,
                                uint8_t digest[32], ds_error *err);

/*
 * ds_blob_decode_tuples - the keys of a tuple blob, malloc'd into *keys (NULL when *n == 0).
 * DS_ERR_FORMAT with the reason for anything damaged or not a tuple blob; DS_ERR_UNSUPPORTED
 * for a newer encoding version.
 */
ds_status ds_blob_decode_tuples(const uint8_t *data, size_t len, uint64_t **keys, size_t *n,
                                ds_error *err);

/*
 * ds_blob_encode_counters - a counters blob: with_scalars puts w's scalar counters, times and
 * coverage in (the first chunk of a window); hosts[0..n_hosts) (n_hosts <= DS_BLOB_CHUNK,
 * sorted, distinct) follow. w->keys and w->hosts are not read.
 */
ds_status ds_blob_encode_counters(const ds_agg_window_data *w, bool with_scalars,
                                  const ds_host_counts *hosts, size_t n_hosts, int level,
                                  ds_blob *out, ds_error *err);

/* A decoded counters blob. */
typedef struct ds_blob_counters {
    bool has_scalars;
    ds_agg_window_data w;  /* id 0, keys NULL; hosts points to `hosts` below */
    ds_host_counts *hosts; /* malloc'd */
} ds_blob_counters;

/*
 * ds_blob_decode_counters - decode into *out (hosts malloc'd: ds_blob_counters_clear()).
 * Checks what must hold of counters: SYN packets to D <= SYN packets <= packets, packets
 * outside D <= packets, times in order, hosts ascending, each host's fingerprint counts <= its
 * SYN packets.
 */
ds_status ds_blob_decode_counters(const uint8_t *data, size_t len, ds_blob_counters *out,
                                  ds_error *err);
void ds_blob_counters_clear(ds_blob_counters *c);

#endif
