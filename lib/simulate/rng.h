/*
 * rng.h - the simulator's own deterministic pseudo-random numbers: xoshiro256** (Blackman and
 * Vigna, 2018) seeded through splitmix64, never rand(). A stream is named by the run's seed
 * and a few integers (actor, month, ...), so that what a part of the simulation draws does not
 * depend on the order in which threads run the parts.
 */
#ifndef DS_SIMULATE_RNG_H
#define DS_SIMULATE_RNG_H

#include <stdint.h>

typedef struct ds_sim_rng {
    uint64_t s[4];
} ds_sim_rng;

/* ds_sim_splitmix64 - one step of splitmix64: advances *state and returns the next output. */
uint64_t ds_sim_splitmix64(uint64_t *state);

/*
 * ds_sim_rng_seed - the stream named (seed, a, b, c): the three names are mixed into the seed
 * with splitmix64, which then fills the xoshiro state (never all zero).
 */
void ds_sim_rng_seed(ds_sim_rng *r, uint64_t seed, uint64_t a, uint64_t b, uint64_t c);

/* ds_sim_rng_next - the next 64 random bits (xoshiro256**). */
uint64_t ds_sim_rng_next(ds_sim_rng *r);

/* ds_sim_rng_below - uniform in [0, n) without bias (Lemire's method); 0 when n == 0. */
uint64_t ds_sim_rng_below(ds_sim_rng *r, uint64_t n);

/* ds_sim_rng_range - uniform in [lo, hi] (inclusive); lo when hi <= lo. */
uint64_t ds_sim_rng_range(ds_sim_rng *r, uint64_t lo, uint64_t hi);

/* ds_sim_rng_chance - true with probability num / den (exactly, in integers). */
int ds_sim_rng_chance(ds_sim_rng *r, uint64_t num, uint64_t den);

/*
 * ds_sim_rng_sample - the first k entries of v (n entries, k <= n) become a uniform random
 * k-subset of v, in random order (a partial Fisher-Yates shuffle; the rest of v is permuted).
 */
void ds_sim_rng_sample(ds_sim_rng *r, uint32_t *v, uint32_t n, uint32_t k);

#endif
