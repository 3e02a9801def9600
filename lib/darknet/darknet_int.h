/*
 * darknet_int.h - the darknet's address lookup as an inline function, for the aggregate's
 * per-packet loop (a call into darknet.c per packet was about 4% of analyze -j 1). The
 * public ds_darknet_index() is this same function.
 */
#ifndef DS_DARKNET_INT_H
#define DS_DARKNET_INT_H

#include <stddef.h>
#include <stdint.h>

#include "darkscan/darknet.h"

/* Candidate ranges for one table slot above which a lookup binary-searches instead. */
#define DS_DARKNET_LINEAR_MAX 8

/* A run of consecutive addresses of D: [start, start + span] has indexes base, base + 1, ... */
typedef struct ds_darknet_range {
    uint32_t start;
    uint32_t span;
    uint64_t base;
} ds_darknet_range;

/*
 * The lookup of a finished darknet: its ranges in address order (adjacent ones joined), and a
 * table by the top bits of an address: table[addr >> table_shift] is the first range whose
 * last address is in that slot or later (one more entry at the end: n_ranges). Valid while
 * the darknet lives.
 */
typedef struct ds_darknet_lookup {
    const ds_darknet_range *ranges;
    size_t n_ranges;
    const uint32_t *table;
    unsigned table_shift;
} ds_darknet_lookup;

/* ds_darknet_get_lookup - the lookup of finished darknet d. */
void ds_darknet_get_lookup(const ds_darknet *d, ds_darknet_lookup *out);

/* ds_darknet_lookup_index - ds_darknet_index() through a lookup. */
static inline int64_t ds_darknet_lookup_index(const ds_darknet_lookup *l, uint32_t addr)
{
    if (l->n_ranges == 0)
        return -1;
    size_t slot = addr >> l->table_shift;
    size_t lo = l->table[slot], hi = l->table[slot + 1];
    /* Candidates are ranges lo..hi: those ending in this slot, and the one after them. */
    if (hi >= l->n_ranges)
        hi = l->n_ranges - 1;
    const ds_darknet_range *r = l->ranges;
    if (hi > lo + DS_DARKNET_LINEAR_MAX) {
        /* The last candidate that starts at or before addr is the only one that can hold it. */
        if (r[lo].start > addr)
            return -1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (r[mid].start <= addr)
                lo = mid;
            else
                hi = mid - 1;
        }
    }
    /* A scan with early exit beats a branch-free count here (measured: bench_darknet). */
    for (size_t i = lo; i <= hi; i++) {
        uint32_t off = addr - r[i].start;
        if (off <= r[i].span)
            return (int64_t)(r[i].base + off);
    }
    return -1;
}

#endif
