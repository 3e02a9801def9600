/*
 * keys.h - sorted sets of 64-bit keys: radix sort with deduplication and sorted union. The
 * aggregate keeps each window's distinct (block, port, darknet index) tuples this way.
 */
#ifndef DS_AGGREGATE_KEYS_H
#define DS_AGGREGATE_KEYS_H

#include <stddef.h>
#include <stdint.h>

/*
 * ds_keys_sort_unique - sort keys[0..n) ascending and remove duplicates in place, using tmp
 * (room for n keys) as scratch; n must be below 2^32. Returns the number of distinct keys,
 * left at the start of keys.
 */
size_t ds_keys_sort_unique(uint64_t *keys, uint64_t *tmp, size_t n);

/*
 * ds_keys_union - merge two sorted distinct arrays into out (room for na + nb keys), keeping
 * each key once. Returns the number of keys written.
 */
size_t ds_keys_union(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *out);

/*
 * ds_keys_union_back - merge sorted distinct b[0..nb) into sorted distinct a[0..na) in place:
 * a must have room for na + nb keys, and b must not overlap it. The merge runs from the back,
 * so no other memory is needed. Keys found in both leave a gap, closed by moving the shorter
 * side: the union is a[*start..*start + n), where n is the value returned.
 */
size_t ds_keys_union_back(uint64_t *a, size_t na, const uint64_t *b, size_t nb, size_t *start);

#endif
