/*
 * ranges.h - a set of inclusive IPv4 address ranges, each with a 32-bit value (an index into
 * the owner's names), that may overlap: the AS table (asn.c) and the known-scanner lists
 * (known.c) both need "which ranges hold this address" and "which ranges meet this block".
 *
 * Ranges are sorted by first address once (ds_ranges_finish); beside them runs the maximum
 * last address of every prefix of the sorted array, so a query walks back from the last range
 * that starts at or before the address and stops as soon as no earlier range can reach it.
 * With disjoint or nearly disjoint ranges (every real list) a query costs O(log n).
 */
#ifndef DS_ENRICH_RANGES_H
#define DS_ENRICH_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/error.h"

typedef struct ds_range {
    uint32_t first, last; /* inclusive, first <= last */
    uint32_t value;
} ds_range;

typedef struct ds_ranges {
    ds_range *r;
    uint32_t *max_last; /* max_last[i] = max of r[0..i].last; built by ds_ranges_finish */
    size_t n, cap;
} ds_ranges;

/* ds_ranges_add - append a range (first <= last). DS_ERR_NOMEM when out of memory. */
ds_status ds_ranges_add(ds_ranges *s, uint32_t first, uint32_t last, uint32_t value, ds_error *err);

/* ds_ranges_finish - sort and index; call once after the last add and before any query. */
ds_status ds_ranges_finish(ds_ranges *s, ds_error *err);

/*
 * ds_ranges_narrowest - the index (in sorted order) of the narrowest range holding addr, or
 * -1 when none does. Of equally narrow ones, the one that starts last wins.
 */
long ds_ranges_narrowest(const ds_ranges *s, uint32_t addr);

/*
 * ds_ranges_overlapping - call fn(ctx, range) for every range that meets [first, last], in
 * descending order of first address. A non-zero return from fn stops the walk.
 */
void ds_ranges_overlapping(const ds_ranges *s, uint32_t first, uint32_t last,
                           int (*fn)(void *ctx, const ds_range *r), void *ctx);

/*
 * ds_enrich_parse_ipv4 - exactly len bytes of dotted-quad text ("192.0.2.1": four decimal parts of
 * at most 3 digits, each <= 255) into *out (host order). False for anything else.
 */
bool ds_enrich_parse_ipv4(const char *s, size_t len, uint32_t *out);

/* ds_ranges_free - release the arrays (s itself is the caller's); leaves s empty. */
void ds_ranges_free(ds_ranges *s);

/*
 * Interned names: each distinct string is stored once and known by its index (organisation
 * names repeat on most lines of an AS table or a scanner list).
 */
typedef struct ds_names {
    char **names; /* names[id], NUL-terminated */
    size_t n, cap;
    uint32_t *table; /* open addressing: id + 1, 0 empty; capacity a power of two */
    size_t table_cap;
} ds_names;

/* ds_names_intern - the id of len bytes of s (added when new). DS_ERR_NOMEM when out of memory. */
ds_status ds_names_intern(ds_names *t, const char *s, size_t len, uint32_t *id, ds_error *err);

/* ds_names_free - release every name; leaves t empty. */
void ds_names_free(ds_names *t);

#endif
