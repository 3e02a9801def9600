/*
 * sources.c - bounded tables of source addresses for the honeypot (see sources.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "honeypot/sources.h"

/* ------------------------------------------------------------------------------------------ */
/* SipHash-2-4 (Aumasson and Bernstein) over the 17-byte key family + address.                */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t load64_le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t siphash24(const hp_hash_key *key, const uint8_t *in, size_t len)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ key->k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ key->k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ key->k0;
    uint64_t v3 = 0x7465646279746573ULL ^ key->k1;
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load64_le(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

void hp_hash_key_random(hp_hash_key *key)
{
    if (getrandom(key, sizeof(*key), GRND_NONBLOCK) == (ssize_t)sizeof(*key))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    key->k0 = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec;
    key->k1 = (uint64_t)(uintptr_t)key * 0xc2b2ae3d27d4eb4fULL ^ (uint64_t)ts.tv_nsec;
}

uint64_t hp_hash_addr(const hp_hash_key *key, const ds_honeypot_addr *a)
{
    uint8_t in[17];
    in[0] = a->family;
    memcpy(in + 1, a->bytes, 16);
    return siphash24(key, in, sizeof(in));
}

static bool addr_equal(const ds_honeypot_addr *a, const ds_honeypot_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Open-session counts: chained hash over a fixed pool of nodes.                              */

typedef struct count_node {
    ds_honeypot_addr addr;
    uint32_t count;
    uint32_t next; /* next node in the bucket or the free list; UINT32_MAX ends */
} count_node;

struct hp_counts {
    hp_hash_key key;
    uint32_t mask; /* buckets - 1 */
    uint32_t *buckets;
    count_node *nodes;
    uint32_t free_head;
};

hp_counts *hp_counts_new(uint32_t capacity, const hp_hash_key *key)
{
    hp_counts *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    uint32_t nb = 16;
    while (nb < capacity && nb < (1u << 30))
        nb <<= 1;
    c->key = *key;
    c->mask = nb - 1;
    c->buckets = malloc((size_t)nb * sizeof(*c->buckets));
    c->nodes = malloc((size_t)(capacity ? capacity : 1) * sizeof(*c->nodes));
    if (c->buckets == NULL || c->nodes == NULL) {
        hp_counts_free(c);
        return NULL;
    }
    memset(c->buckets, 0xff, (size_t)nb * sizeof(*c->buckets));
    for (uint32_t i = 0; i < capacity; i++)
        c->nodes[i].next = i + 1 < capacity ? i + 1 : UINT32_MAX;
    c->free_head = capacity ? 0 : UINT32_MAX;
    return c;
}

void hp_counts_free(hp_counts *c)
{
    if (c != NULL) {
        free(c->buckets);
        free(c->nodes);
        free(c);
    }
}

/* The slot that points at a's node (or at UINT32_MAX at the end of its chain). */
static uint32_t *counts_find(const hp_counts *c, const ds_honeypot_addr *a)
{
    uint32_t *slot = &c->buckets[hp_hash_addr(&c->key, a) & c->mask];
    while (*slot != UINT32_MAX && !addr_equal(&c->nodes[*slot].addr, a))
        slot = &c->nodes[*slot].next;
    return slot;
}

uint32_t hp_counts_get(const hp_counts *c, const ds_honeypot_addr *a)
{
    uint32_t *slot = counts_find(c, a);
    return *slot == UINT32_MAX ? 0 : c->nodes[*slot].count;
}

bool hp_counts_add(hp_counts *c, const ds_honeypot_addr *a)
{
    uint32_t *slot = counts_find(c, a);
    if (*slot != UINT32_MAX) {
        c->nodes[*slot].count++;
        return true;
    }
    if (c->free_head == UINT32_MAX)
        return false;
    uint32_t i = c->free_head;
    c->free_head = c->nodes[i].next;
    c->nodes[i].addr = *a;
    c->nodes[i].count = 1;
    c->nodes[i].next = UINT32_MAX;
    *slot = i;
    return true;
}

void hp_counts_remove(hp_counts *c, const ds_honeypot_addr *a)
{
    uint32_t *slot = counts_find(c, a);
    if (*slot == UINT32_MAX)
        return;
    uint32_t i = *slot;
    if (--c->nodes[i].count > 0)
        return;
    *slot = c->nodes[i].next;
    c->nodes[i].next = c->free_head;
    c->free_head = i;
}

/* ------------------------------------------------------------------------------------------ */
/* Sources seen: open addressing with linear probing, insert only, grows up to a cap.        */

struct hp_seen {
    hp_hash_key key;
    ds_honeypot_addr *slots; /* family 0: empty */
    uint32_t cap;            /* slots, a power of two */
    uint64_t count;
    bool saturated;
};

hp_seen *hp_seen_new(const hp_hash_key *key)
{
    hp_seen *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->key = *key;
    s->cap = 256;
    s->slots = calloc(s->cap, sizeof(*s->slots));
    if (s->slots == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void hp_seen_free(hp_seen *s)
{
    if (s != NULL) {
        free(s->slots);
        free(s);
    }
}

static void seen_put(ds_honeypot_addr *slots, uint32_t cap, const hp_hash_key *key,
                     const ds_honeypot_addr *a)
{
    uint32_t i = (uint32_t)hp_hash_addr(key, a) & (cap - 1);
    while (slots[i].family != 0)
        i = (i + 1) & (cap - 1);
    slots[i] = *a;
}

bool hp_seen_add(hp_seen *s, const ds_honeypot_addr *a)
{
    uint32_t i = (uint32_t)hp_hash_addr(&s->key, a) & (s->cap - 1);
    while (s->slots[i].family != 0) {
        if (addr_equal(&s->slots[i], a))
            return true;
        i = (i + 1) & (s->cap - 1);
    }
    if (s->count >= HP_SEEN_MAX) {
        s->saturated = true;
        return false;
    }
    if ((s->count + 1) * 2 > s->cap) { /* keep the load at most one half */
        uint32_t cap = s->cap * 2;
        ds_honeypot_addr *slots = calloc(cap, sizeof(*slots));
        if (slots == NULL) {
            s->saturated = true;
            return false;
        }
        for (uint32_t j = 0; j < s->cap; j++)
            if (s->slots[j].family != 0)
                seen_put(slots, cap, &s->key, &s->slots[j]);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    seen_put(s->slots, s->cap, &s->key, a);
    s->count++;
    return true;
}

uint64_t hp_seen_count(const hp_seen *s)
{
    return s->count;
}

bool hp_seen_saturated(const hp_seen *s)
{
    return s->saturated;
}
