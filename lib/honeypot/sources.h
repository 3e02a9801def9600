/*
 * sources.h - the honeypot's tables of source addresses: how many sessions each source has
 * open (for the per-source cap) and which sources were ever seen (for the summary). Both are
 * bounded, and hashed with a random SipHash key so that chosen addresses cannot make them
 * slow. Private to lib/honeypot.
 */
#ifndef DS_HONEYPOT_SOURCES_H
#define DS_HONEYPOT_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/honeypot.h"

/* A hash key: SipHash-2-4 needs 16 random bytes. */
typedef struct hp_hash_key {
    uint64_t k0, k1;
} hp_hash_key;

/* hp_hash_key_random - a key from getrandom(2) (falls back to the clock and address space). */
void hp_hash_key_random(hp_hash_key *key);

/* hp_hash_addr - SipHash-2-4 of the address's family and bytes. */
uint64_t hp_hash_addr(const hp_hash_key *key, const ds_honeypot_addr *a);

/* Open-session counts per source; at most `capacity` sources at once (one per session). */
typedef struct hp_counts hp_counts;

hp_counts *hp_counts_new(uint32_t capacity, const hp_hash_key *key);
void hp_counts_free(hp_counts *c);

/*
 * hp_counts_get - the count of a (0 if absent). hp_counts_add - count one more session of a;
 * returns false when the table is full (it never is when capacity >= open sessions).
 * hp_counts_remove - one session of a fewer (the entry goes at 0).
 */
uint32_t hp_counts_get(const hp_counts *c, const ds_honeypot_addr *a);
bool hp_counts_add(hp_counts *c, const ds_honeypot_addr *a);
void hp_counts_remove(hp_counts *c, const ds_honeypot_addr *a);

/* The set of sources seen, exact up to HP_SEEN_MAX addresses. */
#define HP_SEEN_MAX 65536u

typedef struct hp_seen hp_seen;

hp_seen *hp_seen_new(const hp_hash_key *key);
void hp_seen_free(hp_seen *s);

/* hp_seen_add - remember a (no-op when known); false when out of memory or full (then
 * hp_seen_saturated is true and the count stays a lower bound). */
bool hp_seen_add(hp_seen *s, const ds_honeypot_addr *a);
uint64_t hp_seen_count(const hp_seen *s);
bool hp_seen_saturated(const hp_seen *s);

#endif
