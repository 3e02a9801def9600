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
 * (room for n keys) as scratch. max_bits: the keys are known to be below 2^max_bits, which
 * saves radix passes. Returns the number of distinct keys, left at the start of keys.
 */
size_t ds_keys_sort_unique(uint64_t *keys, uint64_t *tmp, size_t n, unsigned max_bits);

/*
 * ds_keys_union - merge two sorted distinct arrays into out (room for na + nb keys), keeping
 * each key once. Returns the number of keys written.
 */
size_t ds_keys_union(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *out);

#endif
