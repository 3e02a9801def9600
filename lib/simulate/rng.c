/*
 * rng.c - splitmix64 and xoshiro256** (see rng.h). Reference: https://prng.di.unimi.it/
 * (splitmix64.c and xoshiro256starstar.c, public domain).
 */
#include "simulate/rng.h"

uint64_t ds_sim_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void ds_sim_rng_seed(ds_sim_rng *r, uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t st = seed;
    uint64_t mixed = ds_sim_splitmix64(&st);
    st = mixed ^ a;
    mixed = ds_sim_splitmix64(&st);
    st = mixed ^ b;
    mixed = ds_sim_splitmix64(&st);
    st = mixed ^ c;
    for (int i = 0; i < 4; i++)
        r->s[i] = ds_sim_splitmix64(&st);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t ds_sim_rng_next(ds_sim_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t ds_sim_rng_below(ds_sim_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    unsigned __int128 m = (unsigned __int128)ds_sim_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (unsigned __int128)ds_sim_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t ds_sim_rng_range(ds_sim_rng *r, uint64_t lo, uint64_t hi)
{
    if (hi <= lo)
        return lo;
    if (hi - lo == UINT64_MAX)
        return ds_sim_rng_next(r);
    return lo + ds_sim_rng_below(r, hi - lo + 1);
}

int ds_sim_rng_chance(ds_sim_rng *r, uint64_t num, uint64_t den)
{
    return den != 0 && ds_sim_rng_below(r, den) < num;
}

void ds_sim_rng_sample(ds_sim_rng *r, uint32_t *v, uint32_t n, uint32_t k)
{
    if (k > n)
        k = n;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = i + (uint32_t)ds_sim_rng_below(r, n - i);
        uint32_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}
