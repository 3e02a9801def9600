/*
 * aggregate.c - the mergeable aggregate (see include/darkscan/aggregate.h).
 *
 * Per window the aggregate keeps:
 *   - the distinct tuples (A, p, d) as 64-bit keys  A << (16 + dbits) | p << dbits | d,
 *     where A is the source block, p the destination port and d the darknet index. New keys
 *     go to an unsorted buffer (up to 4 Mi keys); a full buffer is radix-sorted and
 *     deduplicated (keys.c) into a sorted run; runs merge so that their sizes fall
 *     geometrically (few runs, each key merged O(log n) times). A merge grows the larger run
 *     in place and merges from the back, so it needs new memory only for the growth and the
 *     buffers are reused: no fresh pages in the steady state. Reading a window merges its
 *     runs into one. This is exact, works in any input order, and costs 8 bytes per distinct
 *     tuple in the runs (at most twice that while runs of equal keys wait to merge).
 *   - per source host: SYN packets to D and tool fingerprint counts, in two open-addressing
 *     hash tables with 32-bit counts (a count about to overflow moves to a list of 64-bit
 *     spill entries): 8-byte slots of SYN counts that every packet updates, and 16-byte slots
 *     of tool counts that only fingerprinted SYNs update. Blocks, /24s and host lists are all
 *     derived from them. The SYN table is the one random memory access per packet:
 *     ds_aggregate_add() first does every packet's window and tuple work for a stage of
 *     packets, then the host updates with each slot fetched a few updates ahead. Without
 *     them (the configuration's no_host_counts: analyze's first pass, when its host pass
 *     counts the constant blocks' hosts again) that second stage is skipped.
 *   - time coverage: which of DS_AGG_SLOTS equal slots of the window saw a packet.
 *   - only with the configuration's header_values: per (source host, IP TTL) and per (source
 *     host, TCP window) the number of SYN packets to D, in two more hash tables keyed by
 *     host << 16 | value. Exact (no top-k sketch, so sums over hosts and windows are right)
 *     and mergeable (counts add). A SYN costs two more table updates, which is why analyze
 *     turns this on only for its second, filtered pass over the constant scanner blocks;
 *     memory is bounded by the distinct (host, value) pairs: at most 256 TTLs per host, and
 *     scanning tools use one or a few windows (Mirai's random windows make more).
 *
 * With a source filter (ds_agg_config.sources), SYNs from other sources count in the totals
 * and window counters only.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/aggregate.h"
#include "aggregate/aggregate_int.h"
#include "aggregate/bigmem.h"
#include "aggregate/keys.h"
#include "darknet/darknet_int.h"

/*
 * Keys buffered per window before they are sorted into a run, and over all windows before
 * every buffer is flushed: DS_AGG_BUFFER_KEYS (aggregate_int.h) unless set otherwise.
 */
#define BUF_MIN_KEYS ((size_t)1 << 12)

#define SLOT_WORDS (DS_AGG_SLOTS / 64)

/* ZMap before v4.1 sets this IP ID on every probe (zmap src/probe_modules/packet.c). */
#define ZMAP_IP_ID 54321

/* Host counter updates are looked up this many packets ahead (software prefetch). */
#define HOST_PREFETCH 16
/* ds_aggregate_coverage walks up to this many runs merged on the fly instead of merging them. */
#define MERGE_WALK_RUNS 4

/* Packets aggregated per stage of ds_aggregate_add (tuples first, then host counters). */
#define STAGE 256

/* A sorted distinct run: keys[0..n), inside the allocation base[0..cap) (bigmem.h). */
typedef struct run {
    uint64_t *base;
    uint64_t *keys;
    size_t n, cap;
} run;

/*
 * Per-host counters: two open-addressing tables of 32-bit counts keyed by the source address
 * (capacity a power of two, in bigmem.h mappings). `syn` has 8-byte slots (host, SYN packets
 * to D) and is updated by every SYN to D; `tools` has 16-byte slots (host, Mirai, ZMap and
 * Masscan packets) and is updated only by a SYN with a tool's fingerprint. Small slots keep the
 * table every packet touches in the caches: 200,000 hosts take 4 MiB instead of 12.
 * A slot is empty when all its counts are zero, so a slot in use always holds a count of at
 * least 1 (every update adds one). A count that would pass UINT32_MAX is first moved to the
 * window's spill list of 64-bit counts (the packet then adds 1 to the emptied slot).
 */
typedef struct ctab {
    uint32_t *slot; /* cap slots of `words` words each: the host, then its counts */
    size_t cap, used;
    size_t bytes; /* the allocation's capacity */
} ctab;

#define SYN_WORDS  2 /* host, syn */
#define TOOL_WORDS 4 /* host, mirai, zmap, masscan */

/* A count per 48-bit key host << 16 | value; slot key 0 is empty (keys carry a high bit). */
typedef struct vslot {
    uint64_t key;
    uint64_t count;
} vslot;

#define VKEY_USED ((uint64_t)1 << 63)

typedef struct vmap {
    vslot *slot; /* open addressing, capacity a power of two */
    size_t cap, used;
    ds_value_count *sorted; /* cache for ds_aggregate_header_values(), NULL when stale */
    size_t n_sorted;
} vmap;

typedef struct win {
    int64_t id;
    int64_t start_ns, end_ns, slot_ns;
    int64_t slot_lo_ns, slot_hi_ns; /* the slot the last packet covered: [lo, hi) */
    uint64_t packets, syn_packets, syn_all, outside_darknet;
    int64_t first_ts_ns, last_ts_ns;
    uint64_t slots[SLOT_WORDS];

    uint64_t *buf; /* unsorted new keys */
    size_t buf_len, buf_cap;
    bool busy; /* keys were added since the last flush_all */
    run *runs; /* sorted distinct runs, sizes falling */
    size_t n_runs, cap_runs;

    ctab syn, tools;       /* per-host counters (SYN_WORDS and TOOL_WORDS slots) */
    ds_host_counts *spill; /* counts moved out of host slots before they overflow */
    size_t n_spill, cap_spill;
    ds_host_counts *sorted_hosts; /* cache for ds_aggregate_hosts(), NULL when stale */
    size_t n_sorted_hosts;

    vmap values[2]; /* header values: [DS_FIELD_TTL], [DS_FIELD_TCP_WINDOW] */
} win;

struct ds_aggregate {
    ds_agg_config cfg;
    unsigned dbits;       /* bits of a darknet index */
    ds_darknet_lookup dn; /* the darknet's address lookup, inlined in add_stage */
    unsigned block_shift; /* source >> block_shift is the block */
    win **wins;           /* ascending id */
    int64_t *starts;      /* wins[i]->start_ns, for window_of's search */
    size_t n_wins, cap_wins;
    win *last;          /* the window the previous packet fell in */
    size_t buffered;    /* keys in all buffers */
    size_t source_hint; /* the source range that matched last */
    uint64_t *scratch;  /* the sort's scratch, as large as the largest buffer flushed */
    size_t scratch_cap;
    size_t buf_max;    /* DS_AGG_BUFFER_KEYS unless set */
    size_t buf_budget; /* DS_AGG_BUFFER_KEYS unless set */
    /* The source filter's /16s: bit b set when some range meets b.0.0/16 (a first test that
       most packets of a host pass, those of other blocks, fail at once). */
    uint64_t *source_16s;
    /* Darknet sampling: address << 32 | (sample index + 1) in open addressing, 0 empty. */
    uint64_t *sample_map;
    size_t sample_cap;     /* a power of two, at least twice the sample */
    unsigned walk_threads; /* threads the coverage walk may use (ds_aggregate_set_threads) */
};

static unsigned bits_for(uint64_t n_values)
{
    unsigned b = 1;
    while (b < 64 && (n_values - 1) >> b != 0)
        b++;
    return b;
}

/* ---- darknet sampling ---- */

/* sample_hash - the keyed hash that orders D for sampling (splitmix64's finaliser). */
static uint64_t sample_hash(uint32_t addr)
{
    uint64_t z = (uint64_t)addr + 0x9E3779B97F4A7C15ull * 0x6461726b7363616eull; /* "darkscan" */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct hashed {
    uint64_t hash;
    uint32_t addr;
} hashed;

/* heap_down - restore the max-heap (by hash, then address) below i. */
static void heap_down(hashed *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < n &&
            (h[l].hash > h[top].hash || (h[l].hash == h[top].hash && h[l].addr > h[top].addr)))
            top = l;
        if (r < n &&
            (h[r].hash > h[top].hash || (h[r].hash == h[top].hash && h[r].addr > h[top].addr)))
            top = r;
        if (top == i)
            return;
        hashed t = h[i];
        h[i] = h[top];
        h[top] = t;
        i = top;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

ds_status ds_darknet_sample_addresses(const ds_darknet *d, uint32_t k, uint32_t *out, ds_error *err)
{
    if (k == 0 || k >= ds_darknet_size(d))
        return ds_error_set(err, DS_ERR_INVALID, "a sample of %u of %llu addresses", k,
                            (unsigned long long)ds_darknet_size(d));
    /* The k smallest hashes: a max-heap of k, filled, then replaced at the top. */
    hashed *h = malloc(k * sizeof(*h));
    if (h == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < ds_darknet_prefix_count(d); i++) {
        uint32_t base;
        unsigned len;
        size_t sensor;
        ds_darknet_prefix(d, i, &base, &len, &sensor);
        uint64_t count = (uint64_t)1 << (32 - len);
        for (uint64_t a = 0; a < count; a++) {
            hashed x = {sample_hash(base + (uint32_t)a), base + (uint32_t)a};
            if (n < k) {
                h[n++] = x;
                if (n == k) {
                    for (size_t j = k / 2; j-- > 0;)
                        heap_down(h, k, j);
                }
            } else if (x.hash < h[0].hash || (x.hash == h[0].hash && x.addr < h[0].addr)) {
                h[0] = x;
                heap_down(h, k, 0);
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        out[i] = h[i].addr;
    free(h);
    qsort(out, n, sizeof(*out), cmp_u32);
    return DS_OK;
}

static inline size_t sample_slot(uint32_t addr, size_t cap)
{
    return (size_t)(((uint64_t)addr * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* sample_build - the address -> sample index map of the configuration's sample. */
static ds_status sample_build(ds_aggregate *agg, ds_error *err)
{
    uint32_t k = agg->cfg.darknet_sample;
    uint32_t *addrs = malloc(k * sizeof(*addrs));
    if (addrs == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_status st = ds_darknet_sample_addresses(agg->cfg.darknet, k, addrs, err);
    size_t cap = 64;
    while (cap < 2 * (size_t)k)
        cap *= 2;
    if (st == DS_OK) {
        agg->sample_map = calloc(cap, sizeof(*agg->sample_map));
        if (agg->sample_map == NULL)
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    if (st == DS_OK) {
        agg->sample_cap = cap;
        for (uint32_t i = 0; i < k; i++) {
            size_t j = sample_slot(addrs[i], cap);
            while (agg->sample_map[j] != 0)
                j = (j + 1) & (cap - 1);
            agg->sample_map[j] = (uint64_t)addrs[i] << 32 | (i + 1);
        }
    }
    free(addrs);
    return st;
}

/* sample_index - addr's index in the sample, or -1. */
static inline int64_t sample_index(const ds_aggregate *agg, uint32_t addr)
{
    size_t mask = agg->sample_cap - 1;
    for (size_t j = sample_slot(addr, agg->sample_cap);; j = (j + 1) & mask) {
        uint64_t e = agg->sample_map[j];
        if (e == 0)
            return -1;
        if ((uint32_t)(e >> 32) == addr)
            return (int64_t)(uint32_t)e - 1;
    }
}

uint64_t ds_aggregate_coverage_size(const ds_aggregate *agg)
{
    return agg->cfg.darknet_sample ? agg->cfg.darknet_sample : ds_darknet_size(agg->cfg.darknet);
}

ds_status ds_aggregate_new(ds_aggregate **out, const ds_agg_config *cfg, ds_error *err)
{
    *out = NULL;
    if (cfg->darknet == NULL || ds_darknet_size(cfg->darknet) == 0)
        return ds_error_set(err, DS_ERR_INVALID, "the darknet is empty");
    if (cfg->prefix < DS_PREFIX_MIN || cfg->prefix > DS_PREFIX_MAX)
        return ds_error_set(err, DS_ERR_INVALID, "prefix /%u is outside /%d../%d", cfg->prefix,
                            DS_PREFIX_MIN, DS_PREFIX_MAX);
    uint64_t size = ds_darknet_size(cfg->darknet);
    bool sampled = cfg->darknet_sample > 0 && cfg->darknet_sample < size;
    unsigned dbits = bits_for(sampled ? cfg->darknet_sample : size);
    if (cfg->prefix + 16 + dbits > 64)
        return ds_error_set(err, DS_ERR_UNSUPPORTED,
                            "a /%u source prefix with a darknet of %llu addresses needs %u-bit "
                            "tuple keys (at most 64): use a shorter --prefix",
                            cfg->prefix, (unsigned long long)size, cfg->prefix + 16 + dbits);
    if (cfg->no_host_counts && cfg->header_values)
        return ds_error_set(err, DS_ERR_INVALID,
                            "header values are counted per host: not without host counts");
    for (size_t i = 0; i < cfg->n_sources; i++) {
        if (cfg->sources[i].first > cfg->sources[i].last ||
            (i > 0 && cfg->sources[i].first <= cfg->sources[i - 1].last))
            return ds_error_set(err, DS_ERR_INVALID,
                                "source ranges must be sorted and disjoint (range %zu)", i);
    }
    ds_aggregate *agg = calloc(1, sizeof(*agg));
    if (agg == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    agg->cfg = *cfg;
    if (cfg->n_sources == 0)
        agg->cfg.sources = NULL;
    agg->dbits = dbits;
    ds_darknet_get_lookup(cfg->darknet, &agg->dn);
    agg->block_shift = 32 - cfg->prefix;
    agg->buf_max = DS_AGG_BUFFER_KEYS;
    agg->buf_budget = DS_AGG_BUFFER_KEYS;
    if (cfg->n_sources > 0) {
        agg->source_16s = calloc(65536 / 64, sizeof(*agg->source_16s));
        if (agg->source_16s == NULL) {
            ds_aggregate_free(agg);
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < cfg->n_sources; i++) {
            for (uint32_t b = cfg->sources[i].first >> 16; b <= cfg->sources[i].last >> 16; b++)
                agg->source_16s[b / 64] |= (uint64_t)1 << (b % 64);
        }
    }
    if (!sampled) {
        agg->cfg.darknet_sample = 0;
    } else {
        ds_status st = sample_build(agg, err);
        if (st != DS_OK) {
            ds_aggregate_free(agg);
            return st;
        }
    }
    *out = agg;
    return DS_OK;
}

static void win_free(win *w)
{
    if (w == NULL)
        return;
    ds_big_free(w->buf, w->buf_cap * sizeof(*w->buf));
    for (size_t i = 0; i < w->n_runs; i++)
        ds_big_free(w->runs[i].base, w->runs[i].cap * sizeof(uint64_t));
    free(w->runs);
    ds_big_free(w->syn.slot, w->syn.bytes);
    ds_big_free(w->tools.slot, w->tools.bytes);
    free(w->spill);
    free(w->sorted_hosts);
    for (int f = 0; f < 2; f++) {
        free(w->values[f].slot);
        free(w->values[f].sorted);
    }
    free(w);
}

void ds_aggregate_free(ds_aggregate *agg)
{
    if (agg == NULL)
        return;
    for (size_t i = 0; i < agg->n_wins; i++)
        win_free(agg->wins[i]);
    free(agg->wins);
    free(agg->starts);
    ds_big_free(agg->scratch, agg->scratch_cap * sizeof(*agg->scratch));
    free(agg->sample_map);
    free(agg->source_16s);
    free(agg);
}

const ds_agg_config *ds_aggregate_config(const ds_aggregate *agg)
{
    return &agg->cfg;
}

ds_agg_totals ds_aggregate_totals(const ds_aggregate *agg)
{
    ds_agg_totals t = {0, 0, 0, 0};
    for (size_t i = 0; i < agg->n_wins; i++) {
        const win *w = agg->wins[i];
        t.packets += w->packets;
        t.syn_packets += w->syn_all;
        t.outside_darknet += w->outside_darknet;
        t.syn_to_darknet += w->syn_packets;
    }
    return t;
}

unsigned ds_aggregate_index_bits(const ds_aggregate *agg)
{
    return agg->dbits;
}

void ds_aggregate_set_buffer(ds_aggregate *agg, size_t max_keys, size_t budget_keys)
{
    agg->buf_max = max_keys > 0 ? max_keys : 1;
    agg->buf_budget = budget_keys > 0 ? budget_keys : 1;
}

/* ---- windows ---- */

static win *win_new(const ds_aggregate *agg, int64_t id)
{
    win *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->id = id;
    w->start_ns = ds_window_start_ns(&agg->cfg.window, id);
    w->end_ns = ds_window_end_ns(&agg->cfg.window, id);
    int64_t len = w->end_ns - w->start_ns;
    w->slot_ns = len / DS_AGG_SLOTS + (len % DS_AGG_SLOTS != 0);
    w->slot_lo_ns = w->slot_hi_ns = w->start_ns; /* empty: no slot covered yet */
    w->first_ts_ns = INT64_MAX;
    w->last_ts_ns = INT64_MIN;
    return w;
}

/*
 * opaque - make *v a value the compiler cannot reason about: without it GCC 12 turned the
 * two-way merge's `x += kx <= ky` into a branch on kx < ky, and the one-run walk's `ended`
 * into a branch (both seen in the object code), which random keys mispredict at about half of
 * the keys and short pairs at nearly every pair.
 */
static inline void opaque(size_t *v)
{
    __asm__("" : "+r"(*v));
}

/* find_window - the window with this id, created when absent; NULL when out of memory. */
static win *find_window(ds_aggregate *agg, int64_t id)
{
    size_t lo = 0, hi = agg->n_wins;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (agg->wins[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < agg->n_wins && agg->wins[lo]->id == id)
        return agg->wins[lo];
    if (agg->n_wins == agg->cap_wins) {
        size_t cap = agg->cap_wins ? agg->cap_wins * 2 : 16;
        win **grown = realloc(agg->wins, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        agg->wins = grown;
        int64_t *starts = realloc(agg->starts, cap * sizeof(*starts));
        if (starts == NULL)
            return NULL;
        agg->starts = starts;
        agg->cap_wins = cap;
    }
    win *w = win_new(agg, id);
    if (w == NULL)
        return NULL;
    memmove(agg->wins + lo + 1, agg->wins + lo, (agg->n_wins - lo) * sizeof(*agg->wins));
    memmove(agg->starts + lo + 1, agg->starts + lo, (agg->n_wins - lo) * sizeof(*agg->starts));
    agg->wins[lo] = w;
    agg->starts[lo] = w->start_ns;
    agg->n_wins++;
    return w;
}

/*
 * window_of - the window of a packet time: the previous packet's window, else a binary search
 * by time over the windows there are (no calendar arithmetic: out-of-order input changes
 * windows at nearly every packet), else a new window. The search is branch-free over the
 * windows' start times: out of order, a branching search mispredicted about half of its steps
 * (perf: a fifth of add_stage on the shuffled 12-month capture).
 */
static win *window_of(ds_aggregate *agg, int64_t ts_ns)
{
    win *w = agg->last;
    if (w != NULL && ts_ns >= w->start_ns && ts_ns < w->end_ns)
        return w;
    size_t n = agg->n_wins;
    w = NULL;
    if (n > 0) {
        /* The last window that starts at or before ts_ns, if any: base[0] once n is 1. */
        const int64_t *base = agg->starts;
        while (n > 1) {
            size_t half = n / 2;
            size_t le = base[half] <= ts_ns;
            opaque(&le);
            base += half & -le;
            n -= half;
        }
        size_t i = (size_t)(base - agg->starts);
        if (agg->starts[i] <= ts_ns && ts_ns < agg->wins[i]->end_ns)
            w = agg->wins[i];
    }
    if (w == NULL)
        w = find_window(agg, ds_window_of(&agg->cfg.window, ts_ns));
    if (w != NULL)
        agg->last = w;
    return w;
}

/* cover - mark ts_ns's slot; the division is skipped while packets stay in one slot. */
static inline void cover(win *w, int64_t ts_ns)
{
    if (ts_ns < w->slot_lo_ns || ts_ns >= w->slot_hi_ns) {
        uint64_t slot = (uint64_t)(ts_ns - w->start_ns) / (uint64_t)w->slot_ns;
        w->slots[slot / 64] |= (uint64_t)1 << (slot % 64);
        w->slot_lo_ns = w->start_ns + (int64_t)slot * w->slot_ns;
        /* The last window ends at INT64_MAX (clamped times): so may its last slot. */
        w->slot_hi_ns =
            w->slot_lo_ns > INT64_MAX - w->slot_ns ? INT64_MAX : w->slot_lo_ns + w->slot_ns;
    }
    if (ts_ns < w->first_ts_ns)
        w->first_ts_ns = ts_ns;
    if (ts_ns > w->last_ts_ns)
        w->last_ts_ns = ts_ns;
}

/* ---- sorted runs ---- */

/*
 * absorb - merge run b into run a in place (a grows by mremap, then a merge from the back),
 * so that a merge needs new memory only for the growth. b is left as it was.
 */
static ds_status absorb(run *a, const uint64_t *b, size_t nb, ds_error *err)
{
    size_t off = (size_t)(a->keys - a->base);
    if (off + a->n + nb > a->cap) {
        if (off > a->n) {
            /* More room lost to repeats than keys: move the keys down first. */
            memmove(a->base, a->keys, a->n * sizeof(*a->keys));
            off = 0;
        }
        size_t bytes = a->cap * sizeof(*a->base);
        uint64_t *grown = ds_big_grow(a->base, &bytes, (off + a->n + nb) * sizeof(*grown));
        if (grown == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        a->base = grown;
        a->cap = bytes / sizeof(*grown);
    }
    size_t start;
    a->n = ds_keys_union_back(a->base + off, a->n, b, nb, &start);
    a->keys = a->base + off + start;
    return DS_OK;
}

/* settle - merge the last runs while the one before the last is at most twice its size, so
   that run sizes fall geometrically (few runs, each key merged O(log n) times). */
static ds_status settle(win *w, ds_error *err)
{
    while (w->n_runs >= 2 && w->runs[w->n_runs - 2].n <= 2 * w->runs[w->n_runs - 1].n) {
        run *a = &w->runs[w->n_runs - 2], *b = &w->runs[w->n_runs - 1];
        ds_status st = absorb(a, b->keys, b->n, err);
        if (st != DS_OK)
            return st;
        ds_big_free(b->base, b->cap * sizeof(*b->base));
        w->n_runs--;
    }
    return DS_OK;
}

/* push_sorted - add sorted distinct keys (copied) as a run, merging as settle() says. */
static ds_status push_sorted(win *w, const uint64_t *keys, size_t n, ds_error *err)
{
    if (n == 0)
        return DS_OK;
    if (w->n_runs > 0 && w->runs[w->n_runs - 1].n <= 2 * n) {
        ds_status st = absorb(&w->runs[w->n_runs - 1], keys, n, err);
        return st != DS_OK ? st : settle(w, err);
    }
    if (w->n_runs == w->cap_runs) {
        size_t cap = w->cap_runs ? w->cap_runs * 2 : 8;
        run *grown = realloc(w->runs, cap * sizeof(*grown));
        if (grown == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        w->runs = grown;
        w->cap_runs = cap;
    }
    size_t bytes;
    uint64_t *copy = ds_big_alloc(n * sizeof(*copy), false, &bytes);
    if (copy == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    memcpy(copy, keys, n * sizeof(*copy));
    w->runs[w->n_runs++] = (run){copy, copy, n, bytes / sizeof(*copy)};
    return DS_OK;
}

/* flush - sort the window's buffer into the runs. */
static ds_status flush(ds_aggregate *agg, win *w, ds_error *err)
{
    if (w->buf_len == 0)
        return DS_OK;
    if (agg->scratch_cap < w->buf_len) {
        ds_big_free(agg->scratch, agg->scratch_cap * sizeof(*agg->scratch));
        size_t bytes;
        agg->scratch = ds_big_alloc(w->buf_cap * sizeof(*agg->scratch), false, &bytes);
        agg->scratch_cap = bytes / sizeof(*agg->scratch);
        if (agg->scratch == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    size_t n = ds_keys_sort_unique(w->buf, agg->scratch, w->buf_len);
    agg->buffered -= w->buf_len;
    w->buf_len = 0;
    return push_sorted(w, w->buf, n, err);
}

/* flush_all - every buffer into its runs; buffers of windows that received no key since the
   previous flush_all are freed, so that memory does not grow with the number of windows (in
   time order the past windows go idle; out of order every window keeps its buffer). */
static ds_status flush_all(ds_aggregate *agg, ds_error *err)
{
    for (size_t i = 0; i < agg->n_wins; i++) {
        win *w = agg->wins[i];
        ds_status st = flush(agg, w, err);
        if (st != DS_OK)
            return st;
        if (!w->busy) {
            ds_big_free(w->buf, w->buf_cap * sizeof(*w->buf));
            w->buf = NULL;
            w->buf_cap = 0;
        }
        w->busy = false;
    }
    return DS_OK;
}

/* compact_to - leave the window's tuples as at most max_runs sorted distinct runs. */
static ds_status compact_to(ds_aggregate *agg, win *w, size_t max_runs, ds_error *err)
{
    ds_status st = flush(agg, w, err);
    while (st == DS_OK && w->n_runs > max_runs) {
        run *a = &w->runs[w->n_runs - 2], *b = &w->runs[w->n_runs - 1];
        st = absorb(a, b->keys, b->n, err);
        if (st == DS_OK) {
            ds_big_free(b->base, b->cap * sizeof(*b->base));
            w->n_runs--;
        }
    }
    return st;
}

/* compact - leave the window's tuples as one sorted distinct run (or none). */
static ds_status compact(ds_aggregate *agg, win *w, ds_error *err)
{
    return compact_to(agg, w, 1, err);
}

/* make_room - room in w's buffer for one more key (a larger buffer, or a flush). */
static ds_status make_room(ds_aggregate *agg, win *w, ds_error *err)
{
    if (w->buf_cap >= agg->buf_max)
        return flush(agg, w, err);
    size_t cap = w->buf_cap ? w->buf_cap * 2 : BUF_MIN_KEYS;
    if (cap > agg->buf_max)
        cap = agg->buf_max;
    size_t bytes = w->buf_cap * sizeof(*w->buf);
    uint64_t *grown = ds_big_grow(w->buf, &bytes, cap * sizeof(*grown));
    if (grown == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    w->buf = grown;
    w->buf_cap = bytes / sizeof(*grown);
    return DS_OK;
}

static inline ds_status add_key(ds_aggregate *agg, win *w, uint64_t key, ds_error *err)
{
    if (w->buf_len == w->buf_cap) {
        ds_status st = make_room(agg, w, err);
        if (st != DS_OK)
            return st;
    }
    w->buf[w->buf_len++] = key;
    w->busy = true;
    if (++agg->buffered > agg->buf_budget)
        return flush_all(agg, err);
    return DS_OK;
}

/* ---- hosts ---- */

static inline size_t host_hash(uint32_t host, size_t cap)
{
    return (size_t)(((uint64_t)host * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static inline bool slot_used(const uint32_t *s, unsigned words)
{
    uint32_t any = 0;
    for (unsigned k = 1; k < words; k++)
        any |= s[k];
    return any != 0;
}

static ds_status ctab_grow(ctab *t, unsigned words, ds_error *err)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    size_t bytes;
    uint32_t *slot = ds_big_alloc(cap * words * sizeof(*slot), true, &bytes);
    if (slot == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_big_huge(slot, bytes); /* random updates: fewer page walks */
    for (size_t i = 0; i < t->cap; i++) {
        const uint32_t *s = &t->slot[i * words];
        if (!slot_used(s, words))
            continue;
        size_t j = host_hash(s[0], cap);
        while (slot_used(&slot[j * words], words))
            j = (j + 1) & (cap - 1);
        memcpy(&slot[j * words], s, words * sizeof(*s));
    }
    ds_big_free(t->slot, t->bytes);
    t->slot = slot;
    t->cap = cap;
    t->bytes = bytes;
    return DS_OK;
}

/*
 * ctab_slot - host's slot in t: its counts follow the returned host word. A new slot comes
 * with zero counts, and the caller must add to one of them before the next lookup (a slot of
 * zeros is empty). NULL on no memory.
 */
static inline uint32_t *ctab_slot(ctab *t, unsigned words, uint32_t host, ds_error *err)
{
    if ((t->used + 1) * 4 > t->cap * 3 && ctab_grow(t, words, err) != DS_OK)
        return NULL;
    size_t mask = t->cap - 1;
    size_t j = host_hash(host, t->cap);
    for (;;) {
        uint32_t *s = &t->slot[j * words];
        if (!slot_used(s, words)) {
            s[0] = host;
            t->used++;
            return s;
        }
        if (s[0] == host)
            return s;
        j = (j + 1) & mask;
    }
}

/*
 * prefetch_w - start fetching the cache line at p, to be written. GCC 12's dead code
 * elimination removes __builtin_prefetch here (every one in count_hosts was gone from the
 * object code, and a 10-line reproduction loses it too unless -fno-tree-dce), so x86-64 uses
 * the instruction itself, which the compiler must keep. A prefetch never faults.
 */
static inline void prefetch_w(const void *p)
{
#if defined(__x86_64__)
    __asm__ volatile("prefetcht0 (%0)" : : "r"(p));
#else
    __builtin_prefetch(p, 1);
#endif
}

static inline void ctab_prefetch(const ctab *t, unsigned words, uint32_t host)
{
    if (t->cap > 0)
        prefetch_w(&t->slot[host_hash(host, t->cap) * words]);
}

static void hosts_changed(win *w)
{
    free(w->sorted_hosts);
    w->sorted_hosts = NULL;
    w->n_sorted_hosts = 0;
}

/* spill_counts - append counts to the spill list. */
static ds_status spill_counts(win *w, const ds_host_counts *c, ds_error *err)
{
    if (w->n_spill == w->cap_spill) {
        size_t cap = w->cap_spill ? w->cap_spill * 2 : 4;
        ds_host_counts *grown = realloc(w->spill, cap * sizeof(*grown));
        if (grown == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        w->spill = grown;
        w->cap_spill = cap;
    }
    ds_host_counts *e = &w->spill[w->n_spill++];
    memset(e, 0, sizeof(*e)); /* padding too: exported entries compare bytewise */
    e->host = c->host;
    e->syn_packets = c->syn_packets;
    e->mirai_packets = c->mirai_packets;
    e->zmap_packets = c->zmap_packets;
    e->masscan_packets = c->masscan_packets;
    return DS_OK;
}

/* slot_put - the host and counts of a slot of the SYN table (words SYN_WORDS) or of the tools
   table into e; e's other counts are left as they are. */
static void slot_put(ds_host_counts *e, const uint32_t *slot, unsigned words)
{
    e->host = slot[0];
    if (words == SYN_WORDS) {
        e->syn_packets = slot[1];
    } else {
        e->mirai_packets = slot[1];
        e->zmap_packets = slot[2];
        e->masscan_packets = slot[3];
    }
}

/* spill_syn, spill_tools - move a slot's counts to the spill list and zero them (before one
   of them would overflow). */
static ds_status spill_syn(win *w, uint32_t *s, ds_error *err)
{
    ds_host_counts c = {.host = s[0], .syn_packets = s[1]};
    ds_status st = spill_counts(w, &c, err);
    if (st == DS_OK)
        s[1] = 0;
    return st;
}

static ds_status spill_tools(win *w, uint32_t *s, ds_error *err)
{
    ds_host_counts c = {
        .host = s[0], .mirai_packets = s[1], .zmap_packets = s[2], .masscan_packets = s[3]};
    ds_status st = spill_counts(w, &c, err);
    if (st == DS_OK)
        s[1] = s[2] = s[3] = 0;
    return st;
}

static inline bool fits(uint32_t have, uint64_t more)
{
    return more <= UINT32_MAX - have;
}

/* host_add - add counts (of a merge or an import) to host's counters in w. */
static ds_status host_add(win *w, const ds_host_counts *c, ds_error *err)
{
    if (!fits(0, c->syn_packets) || !fits(0, c->mirai_packets) || !fits(0, c->zmap_packets) ||
        !fits(0, c->masscan_packets))
        return spill_counts(w, c, err);
    if (c->syn_packets > 0) {
        uint32_t *s = ctab_slot(&w->syn, SYN_WORDS, c->host, err);
        if (s == NULL)
            return DS_ERR_NOMEM;
        if (!fits(s[1], c->syn_packets)) {
            ds_status st = spill_syn(w, s, err);
            if (st != DS_OK)
                return st;
        }
        s[1] += (uint32_t)c->syn_packets;
    }
    if ((c->mirai_packets | c->zmap_packets | c->masscan_packets) > 0) {
        uint32_t *s = ctab_slot(&w->tools, TOOL_WORDS, c->host, err);
        if (s == NULL)
            return DS_ERR_NOMEM;
        if (!fits(s[1], c->mirai_packets) || !fits(s[2], c->zmap_packets) ||
            !fits(s[3], c->masscan_packets)) {
            ds_status st = spill_tools(w, s, err);
            if (st != DS_OK)
                return st;
        }
        s[1] += (uint32_t)c->mirai_packets;
        s[2] += (uint32_t)c->zmap_packets;
        s[3] += (uint32_t)c->masscan_packets;
    }
    return DS_OK;
}

/* ---- header values ---- */

static size_t vkey_hash(uint64_t key, size_t cap)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static ds_status vmap_grow(vmap *m, ds_error *err)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    vslot *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slot[i].key == 0)
            continue;
        size_t j = vkey_hash(m->slot[i].key, cap);
        while (t[j].key != 0)
            j = (j + 1) & (cap - 1);
        t[j] = m->slot[i];
    }
    free(m->slot);
    m->slot = t;
    m->cap = cap;
    return DS_OK;
}

/* vmap_add - count += n for (host, value). */
static ds_status vmap_add(vmap *m, uint32_t host, uint16_t value, uint64_t n, ds_error *err)
{
    if ((m->used + 1) * 4 > m->cap * 3) {
        ds_status st = vmap_grow(m, err);
        if (st != DS_OK)
            return st;
    }
    uint64_t key = VKEY_USED | (uint64_t)host << 16 | value;
    size_t j = vkey_hash(key, m->cap);
    while (m->slot[j].key != 0) {
        if (m->slot[j].key == key) {
            m->slot[j].count += n;
            goto changed;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->slot[j] = (vslot){key, n};
    m->used++;
changed:
    if (m->sorted != NULL) {
        free(m->sorted);
        m->sorted = NULL;
        m->n_sorted = 0;
    }
    return DS_OK;
}

static int cmp_value_count(const void *a, const void *b)
{
    const ds_value_count *x = a, *y = b;
    if (x->host != y->host)
        return x->host < y->host ? -1 : 1;
    return (x->value > y->value) - (x->value < y->value);
}

/* vmap_sorted - fill the sorted cache. */
static ds_status vmap_sorted(vmap *m, ds_error *err)
{
    if (m->sorted != NULL || m->used == 0)
        return DS_OK;
    m->sorted = malloc(m->used * sizeof(*m->sorted));
    if (m->sorted == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t key = m->slot[i].key;
        if (key != 0)
            m->sorted[k++] =
                (ds_value_count){(uint32_t)(key >> 16), (uint16_t)key, m->slot[i].count};
    }
    qsort(m->sorted, k, sizeof(*m->sorted), cmp_value_count);
    m->n_sorted = k;
    return DS_OK;
}

/* ---- the source filter ---- */

/* source_wanted - whether src lies in a range of the filter: the /16 bitmap first, then the
   range that matched last, then a binary search. */
static bool source_wanted(ds_aggregate *agg, uint32_t src)
{
    const ds_addr_range *r = agg->cfg.sources;
    size_t n = agg->cfg.n_sources, h = agg->source_hint;
    uint32_t b = src >> 16;
    if (!(agg->source_16s[b / 64] >> (b % 64) & 1))
        return false;
    if (src >= r[h].first && src <= r[h].last)
        return true;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].last < src)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && src >= r[lo].first) {
        agg->source_hint = lo;
        return true;
    }
    return false;
}

/* ---- adding packets ---- */

/*
 * Tool fingerprints of a SYN, each from the tool's own source:
 *
 * Mirai: the TCP sequence number is the destination address. jgamblin/Mirai-Source-Code,
 * mirai/bot/scanner.c, scanner_init(): `tcph->seq = iph->daddr;` (and the METHOD.md rule).
 *
 * ZMap before v4.1: the IP ID is 54321 on every probe. zmap/zmap, src/probe_modules/packet.c,
 * make_ip_header(): `iph->ip_id = htons(54321);` (v4.1.0 randomised it: ZMAP_IP_ID above).
 *
 * Masscan: the IP ID is dst ^ dport ^ seq, low 16 bits. robertdavidgraham/masscan,
 * src/templ-pkt.c, tcp_create_packet(): `ip_id = ip_them ^ port_them ^ seqno;`.
 */
static bool is_masscan(const ds_packet *p)
{
    return p->ip_id == (uint16_t)(p->dst ^ p->dport ^ p->seq);
}

/* One SYN to D whose host counters are still to be updated (the second stage). */
typedef struct host_update {
    win *w;
    uint32_t host;
    uint16_t tcp_window;
    uint8_t ttl;
    uint8_t mirai, zmap, masscan;
} host_update;

static inline void prefetch_value(const vmap *m, uint32_t host, uint16_t value)
{
    if (m->cap > 0)
        prefetch_w(&m->slot[vkey_hash(VKEY_USED | (uint64_t)host << 16 | value, m->cap)]);
}

/*
 * count_hosts - the second stage: every host update of the first (and with values, its TTL
 * and TCP window counts), with the hash slots fetched HOST_PREFETCH updates ahead. The per-host
 * table is the one random memory access per packet; fetching ahead lets several of those misses
 * overlap.
 */
static ds_status count_hosts(const host_update *u, size_t n, bool values, ds_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (i + HOST_PREFETCH < n) {
            const host_update *ahead = &u[i + HOST_PREFETCH];
            const win *aw = ahead->w;
            ctab_prefetch(&aw->syn, SYN_WORDS, ahead->host);
            if (ahead->mirai | ahead->zmap | ahead->masscan)
                ctab_prefetch(&aw->tools, TOOL_WORDS, ahead->host);
            if (values) {
                prefetch_value(&aw->values[DS_FIELD_TTL], ahead->host, ahead->ttl);
                prefetch_value(&aw->values[DS_FIELD_TCP_WINDOW], ahead->host, ahead->tcp_window);
            }
        }
        win *w = u[i].w;
        uint32_t *s = ctab_slot(&w->syn, SYN_WORDS, u[i].host, err);
        if (s == NULL)
            return DS_ERR_NOMEM;
        if (s[1] == UINT32_MAX) {
            ds_status st = spill_syn(w, s, err);
            if (st != DS_OK)
                return st;
        }
        s[1]++;
        if (u[i].mirai | u[i].zmap | u[i].masscan) {
            uint32_t *t = ctab_slot(&w->tools, TOOL_WORDS, u[i].host, err);
            if (t == NULL)
                return DS_ERR_NOMEM;
            if ((t[1] == UINT32_MAX) | (t[2] == UINT32_MAX) | (t[3] == UINT32_MAX)) {
                ds_status st = spill_tools(w, t, err);
                if (st != DS_OK)
                    return st;
            }
            t[1] += u[i].mirai;
            t[2] += u[i].zmap;
            t[3] += u[i].masscan;
        }
        if (w->sorted_hosts != NULL)
            hosts_changed(w);
        if (values) {
            ds_status st = vmap_add(&w->values[DS_FIELD_TTL], u[i].host, u[i].ttl, 1, err);
            if (st == DS_OK)
                st = vmap_add(&w->values[DS_FIELD_TCP_WINDOW], u[i].host, u[i].tcp_window, 1, err);
            if (st != DS_OK)
                return st;
        }
    }
    return DS_OK;
}

/*
 * add_stage - aggregate up to STAGE packets: first the window counters and the tuple keys of
 * every packet, then the host counters of the SYNs to D (count_hosts).
 */
static ds_status add_stage(ds_aggregate *agg, const ds_packet *pkts, size_t n, ds_error *err)
{
    const unsigned dbits = agg->dbits, block_shift = agg->block_shift;
    host_update upd[STAGE];
    size_t n_upd = 0;
    for (size_t i = 0; i < n; i++) {
        const ds_packet *p = &pkts[i];
        win *w = window_of(agg, p->ts_ns);
        if (w == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        w->packets++;
        cover(w, p->ts_ns);
        int syn = ds_packet_is_syn(p);
        w->syn_all += (uint64_t)syn;
        int64_t d = ds_darknet_lookup_index(&agg->dn, p->dst);
        if (d < 0) {
            w->outside_darknet++;
            continue;
        }
        if (!syn)
            continue;
        w->syn_packets++;
        if (agg->cfg.sources != NULL && !source_wanted(agg, p->src))
            continue;
        if (agg->sample_map != NULL)
            d = sample_index(agg, p->dst); /* only the sample's addresses make tuples */
        if (d >= 0) {
            uint64_t block = p->src >> block_shift;
            uint64_t key = block << (16 + dbits) | (uint64_t)p->dport << dbits | (uint64_t)d;
            ds_status st = add_key(agg, w, key, err);
            if (st != DS_OK)
                return st;
        }
        if (agg->cfg.no_host_counts)
            continue;
        upd[n_upd++] = (host_update){w,
                                     p->src,
                                     p->tcp_window,
                                     p->ttl,
                                     p->seq == p->dst,
                                     p->ip_id == ZMAP_IP_ID,
                                     is_masscan(p)};
    }
    return count_hosts(upd, n_upd, agg->cfg.header_values, err);
}

ds_status ds_aggregate_add(ds_aggregate *agg, const ds_packet *pkts, size_t n, ds_error *err)
{
    for (size_t i = 0; i < n; i += STAGE) {
        ds_status st = add_stage(agg, pkts + i, n - i < STAGE ? n - i : STAGE, err);
        if (st != DS_OK)
            return st;
    }
    return DS_OK;
}

/* ---- merging ---- */

static bool same_config(const ds_agg_config *a, const ds_agg_config *b)
{
    if (a->prefix != b->prefix || a->window.unit != b->window.unit ||
        a->window.seconds != b->window.seconds || a->header_values != b->header_values ||
        a->no_host_counts != b->no_host_counts || a->n_sources != b->n_sources ||
        a->darknet_sample != b->darknet_sample)
        return false;
    for (size_t i = 0; i < a->n_sources; i++) {
        if (a->sources[i].first != b->sources[i].first || a->sources[i].last != b->sources[i].last)
            return false;
    }
    if (a->darknet == b->darknet)
        return true;
    size_t n = ds_darknet_prefix_count(a->darknet);
    if (n != ds_darknet_prefix_count(b->darknet))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint32_t aa, ba;
        unsigned al, bl;
        size_t as, bs;
        ds_darknet_prefix(a->darknet, i, &aa, &al, &as);
        ds_darknet_prefix(b->darknet, i, &ba, &bl, &bs);
        if (aa != ba || al != bl)
            return false;
    }
    return true;
}

/*
 * win_add_counts - add fw's packet counts, time range, darknet addresses seen and buffered
 * keys to w (into's window of the same id); its runs are the caller's (copied or moved).
 */
static ds_status win_add_counts(ds_aggregate *into, win *w, const win *fw, ds_error *err)
{
    w->packets += fw->packets;
    w->syn_packets += fw->syn_packets;
    w->syn_all += fw->syn_all;
    w->outside_darknet += fw->outside_darknet;
    if (fw->first_ts_ns < w->first_ts_ns)
        w->first_ts_ns = fw->first_ts_ns;
    if (fw->last_ts_ns > w->last_ts_ns)
        w->last_ts_ns = fw->last_ts_ns;
    for (size_t s = 0; s < SLOT_WORDS; s++)
        w->slots[s] |= fw->slots[s];
    for (size_t k = 0; k < fw->buf_len; k++) {
        ds_status st = add_key(into, w, fw->buf[k], err);
        if (st != DS_OK)
            return st;
    }
    return DS_OK;
}

/* host_table - a window's host table t: 0 the SYN counts, 1 the tool counts; *words per slot. */
static const ctab *host_table(const win *w, int t, unsigned *words)
{
    *words = t == 0 ? SYN_WORDS : TOOL_WORDS;
    return t == 0 ? &w->syn : &w->tools;
}

/* win_add_hosts - add fw's per-host counts and header value counts to w. */
static ds_status win_add_hosts(win *w, const win *fw, ds_error *err)
{
    for (int t = 0; t < 2; t++) {
        unsigned words;
        const ctab *tab = host_table(fw, t, &words);
        for (size_t h = 0; h < tab->cap; h++) {
            const uint32_t *slot = &tab->slot[h * words];
            if (!slot_used(slot, words))
                continue;
            ds_host_counts c = {0};
            slot_put(&c, slot, words);
            ds_status st = host_add(w, &c, err);
            if (st != DS_OK)
                return st;
        }
    }
    for (size_t h = 0; h < fw->n_spill; h++) {
        ds_status st = host_add(w, &fw->spill[h], err);
        if (st != DS_OK)
            return st;
    }
    hosts_changed(w);
    for (int f = 0; f < 2; f++) {
        const vmap *m = &fw->values[f];
        for (size_t k = 0; k < m->cap; k++) {
            uint64_t key = m->slot[k].key;
            if (key == 0)
                continue;
            ds_status st = vmap_add(&w->values[f], (uint32_t)(key >> 16), (uint16_t)key,
                                    m->slot[k].count, err);
            if (st != DS_OK)
                return st;
        }
    }
    return DS_OK;
}

ds_status ds_aggregate_merge(ds_aggregate *into, const ds_aggregate *from, ds_error *err)
{
    if (!same_config(&into->cfg, &from->cfg))
        return ds_error_set(err, DS_ERR_INVALID,
                            "cannot merge aggregates made with different darknets, windows, "
                            "prefixes, source filters, header value counting or darknet "
                            "samples");
    for (size_t i = 0; i < from->n_wins; i++) {
        const win *fw = from->wins[i];
        win *w = find_window(into, fw->id);
        if (w == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        ds_status st = win_add_counts(into, w, fw, err);
        if (st != DS_OK)
            return st;
        for (size_t r = 0; r < fw->n_runs && st == DS_OK; r++)
            st = push_sorted(w, fw->runs[r].keys, fw->runs[r].n, err);
        if (st != DS_OK)
            return st;
        st = win_add_hosts(w, fw, err);
        if (st != DS_OK)
            return st;
    }
    return DS_OK;
}

/* ---- reading ---- */

size_t ds_aggregate_window_count(const ds_aggregate *agg)
{
    return agg->n_wins;
}

static uint32_t empty_run(const uint64_t *slots, uint32_t from, int step)
{
    uint32_t n = 0;
    for (int64_t s = from; s >= 0 && s < (int64_t)DS_AGG_SLOTS; s += step) {
        if (slots[s / 64] >> (s % 64) & 1)
            break;
        n++;
    }
    return n;
}

ds_status ds_aggregate_window(const ds_aggregate *agg, size_t i, ds_agg_window *out)
{
    if (i >= agg->n_wins)
        return DS_ERR_INVALID;
    const win *w = agg->wins[i];
    out->id = w->id;
    out->packets = w->packets;
    out->syn_packets = w->syn_packets;
    out->syn_all = w->syn_all;
    out->outside_darknet = w->outside_darknet;
    out->first_ts_ns = w->first_ts_ns;
    out->last_ts_ns = w->last_ts_ns;
    /* Slots past the window's end (when its length is not a multiple) count as covered. */
    uint64_t slots[SLOT_WORDS];
    memcpy(slots, w->slots, sizeof(slots));
    uint64_t used = (uint64_t)((w->end_ns - w->start_ns - 1) / w->slot_ns) + 1;
    for (uint64_t s = used; s < DS_AGG_SLOTS; s++)
        slots[s / 64] |= (uint64_t)1 << (s % 64);
    out->lead_gap_slots = empty_run(slots, 0, 1);
    out->trail_gap_slots = empty_run(slots, DS_AGG_SLOTS - 1, -1);
    uint32_t best = 0, cur = 0;
    for (uint32_t s = 0; s < DS_AGG_SLOTS; s++) {
        if (slots[s / 64] >> (s % 64) & 1) {
            cur = 0;
        } else if (++cur > best) {
            best = cur;
        }
    }
    out->max_gap_slots = best;
    return DS_OK;
}

static int cmp_host(const void *a, const void *b)
{
    uint32_t x = ((const ds_host_counts *)a)->host, y = ((const ds_host_counts *)b)->host;
    return (x > y) - (x < y);
}

ds_status ds_aggregate_hosts(ds_aggregate *agg, size_t i, const ds_host_counts **hosts, size_t *n,
                             ds_error *err)
{
    if (i >= agg->n_wins)
        return ds_error_set(err, DS_ERR_INVALID, "no window %zu", i);
    win *w = agg->wins[i];
    size_t entries = w->syn.used + w->tools.used + w->n_spill;
    if (w->sorted_hosts == NULL && entries > 0) {
        /* calloc: the padding of every entry is zero, so exported hosts compare bytewise. */
        w->sorted_hosts = calloc(entries, sizeof(*w->sorted_hosts));
        if (w->sorted_hosts == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        size_t k = 0;
        for (int t = 0; t < 2; t++) {
            unsigned words;
            const ctab *tab = host_table(w, t, &words);
            for (size_t h = 0; h < tab->cap; h++) {
                const uint32_t *slot = &tab->slot[h * words];
                if (slot_used(slot, words))
                    slot_put(&w->sorted_hosts[k++], slot, words);
            }
        }
        if (w->n_spill > 0)
            memcpy(w->sorted_hosts + k, w->spill, w->n_spill * sizeof(*w->spill));
        k += w->n_spill;
        qsort(w->sorted_hosts, k, sizeof(*w->sorted_hosts), cmp_host);
        /* A host with tool counts or spilled counts appears more than once: one entry with the
           sums. */
        size_t m = 0;
        for (size_t h = 0; h < k; h++) {
            const ds_host_counts *c = &w->sorted_hosts[h];
            if (m > 0 && w->sorted_hosts[m - 1].host == c->host) {
                ds_host_counts *t = &w->sorted_hosts[m - 1];
                t->syn_packets += c->syn_packets;
                t->mirai_packets += c->mirai_packets;
                t->zmap_packets += c->zmap_packets;
                t->masscan_packets += c->masscan_packets;
            } else {
                w->sorted_hosts[m++] = *c;
            }
        }
        w->n_sorted_hosts = m;
    }
    *hosts = w->sorted_hosts;
    *n = w->n_sorted_hosts;
    return DS_OK;
}

ds_status ds_aggregate_header_values(ds_aggregate *agg, size_t i, ds_header_field field,
                                     const ds_value_count **values, size_t *n, ds_error *err)
{
    if (i >= agg->n_wins)
        return ds_error_set(err, DS_ERR_INVALID, "no window %zu", i);
    if (field != DS_FIELD_TTL && field != DS_FIELD_TCP_WINDOW)
        return ds_error_set(err, DS_ERR_INVALID, "no header field %d", (int)field);
    vmap *m = &agg->wins[i]->values[field];
    ds_status st = vmap_sorted(m, err);
    if (st != DS_OK)
        return st;
    *values = m->sorted;
    *n = m->n_sorted;
    return DS_OK;
}

ds_status ds_aggregate_tuples(ds_aggregate *agg, size_t i, const uint64_t **keys, size_t *n,
                              ds_error *err)
{
    if (i >= agg->n_wins)
        return ds_error_set(err, DS_ERR_INVALID, "no window %zu", i);
    win *w = agg->wins[i];
    ds_status st = compact(agg, w, err);
    if (st != DS_OK)
        return st;
    *keys = w->n_runs ? w->runs[0].keys : NULL;
    *n = w->n_runs ? w->runs[0].n : 0;
    return DS_OK;
}

/*
 * Where a walk's coverages go: fn(ctx, ...) for every (block, port) pair with at least min keys
 * (ds_aggregate_coverage_min); the other pairs are counted and passed over without a call.
 */
typedef struct sink {
    ds_coverage_fn fn;
    void *ctx;
    uint64_t min;
} sink;

/* emit - a pair's coverage to the sink when it has at least min keys; fn's answer, else 0. */
static inline int emit(const sink *s, uint64_t pair, uint64_t count)
{
    if (count < s->min)
        return 0;
    ds_coverage cov = {(uint32_t)(pair >> 16), (uint16_t)(pair & 0xffff), count};
    return s->fn(s->ctx, &cov);
}

/*
 * A walk over the merged keys counts each pair's keys without a branch on where a pair ends
 * (with many short pairs that branch is mispredicted at nearly every pair): per key,
 * `ended` is whether the key starts a new pair, the count restarts by a conditional move, and
 * the only branch taken now and then is the call for an ended pair of at least min keys.
 * pair and count start as the first key's pair with no key counted.
 */
#define WALK_STEP(k, dbits, sk, pair, count, stop_stmt)                                            \
    do {                                                                                           \
        uint64_t p_ = (k) >> (dbits);                                                              \
        size_t ended_ = p_ != (pair);                                                              \
        opaque(&ended_);                                                                           \
        if (ended_ & ((count) >= (sk)->min)) {                                                     \
            int stop_ = emit((sk), (pair), (count));                                               \
            if (stop_ != 0) {                                                                      \
                stop_stmt;                                                                         \
            }                                                                                      \
        }                                                                                          \
        (count) = ((count) & (ended_ - 1)) + 1;                                                    \
        (pair) = p_;                                                                               \
    } while (0)

/* coverage_one - the walk over one sorted run. Returns fn's first nonzero answer, else 0. */
static int coverage_one(const uint64_t *x, size_t n, unsigned dbits, const sink *sk)
{
    if (n == 0)
        return 0;
    uint64_t pair = x[0] >> dbits, count = 0;
    for (size_t i = 0; i < n; i++)
        WALK_STEP(x[i], dbits, sk, pair, count, return stop_);
    return emit(sk, pair, count);
}

/* coverage_runs - the coverage walk over several sorted runs, merged on the fly (no copy). */
static void coverage_runs(const run *runs, size_t n_runs, unsigned dbits, const sink *sk)
{
    size_t pos[64] = {0};
    bool have = false;
    uint64_t pair = 0, count = 0;
    for (;;) {
        uint64_t min = UINT64_MAX;
        bool any = false;
        for (size_t r = 0; r < n_runs; r++) {
            if (pos[r] < runs[r].n && (!any || runs[r].keys[pos[r]] < min)) {
                min = runs[r].keys[pos[r]];
                any = true;
            }
        }
        if (!any)
            break;
        for (size_t r = 0; r < n_runs; r++)
            pos[r] += pos[r] < runs[r].n && runs[r].keys[pos[r]] == min;
        if (!have) {
            have = true;
            pair = min >> dbits;
        }
        WALK_STEP(min, dbits, sk, pair, count, return );
    }
    if (have)
        emit(sk, pair, count);
}

/*
 * coverage_two - coverage_runs for two runs (ds_read_files with two workers), over the keys
 * [x, xe) and [y, ye): a branch-free two-way merge while both have keys (a key in both advances
 * both), then the rest of either. About 3 times as fast as the general walk, which was most of
 * -j 2's serial end. Returns fn's first nonzero answer (the walk stops there), else 0.
 */
static int coverage_two(const uint64_t *x, const uint64_t *xe, const uint64_t *y,
                        const uint64_t *ye, unsigned dbits, const sink *sk)
{
    if (x == xe && y == ye)
        return 0;
    uint64_t first = x == xe ? *y : y == ye ? *x : *x < *y ? *x : *y;
    uint64_t pair = first >> dbits, count = 0;
    while (x < xe && y < ye) {
        uint64_t kx = *x, ky = *y;
        uint64_t k = kx < ky ? kx : ky;
        size_t ax = kx <= ky, ay = ky <= kx;
        opaque(&ax);
        opaque(&ay);
        x += ax;
        y += ay;
        WALK_STEP(k, dbits, sk, pair, count, return stop_);
    }
    for (; x < xe; x++)
        WALK_STEP(*x, dbits, sk, pair, count, return stop_);
    for (; y < ye; y++)
        WALK_STEP(*y, dbits, sk, pair, count, return stop_);
    return emit(sk, pair, count);
}

/* The upper half of a two-run walk, done by a second thread into a list of coverages. */
typedef struct half_walk {
    const uint64_t *x, *xe, *y, *ye;
    unsigned dbits;
    uint64_t min;
    ds_coverage *cov;
    size_t n, cap;
    bool failed; /* out of memory: the caller walks this half itself */
} half_walk;

static int collect_cov(void *ctx, const ds_coverage *c)
{
    half_walk *h = ctx;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 65536;
        ds_coverage *grown = realloc(h->cov, cap * sizeof(*grown));
        if (grown == NULL) {
            h->failed = true;
            return 1;
        }
        h->cov = grown;
        h->cap = cap;
    }
    h->cov[h->n++] = *c;
    return 0;
}

static void *half_walk_main(void *arg)
{
    half_walk *h = arg;
    sink sk = {collect_cov, h, h->min};
    coverage_two(h->x, h->xe, h->y, h->ye, h->dbits, &sk);
    return NULL;
}

/* Below this many keys a second thread is not worth starting. */
#define PARALLEL_WALK_MIN ((size_t)1 << 20)

/* lower_bound - the index of the first of the n sorted keys x that is >= key (n if none). */
static size_t lower_bound(const uint64_t *x, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * coverage_two_parallel - the two-run walk in two parts split at a (block, port) pair: the
 * upper part's coverages are collected by a second thread while this one walks the lower part
 * (calling fn), then handed to fn in order: the same calls as one walk.
 */
static void coverage_two_parallel(const run *a, const run *b, unsigned dbits, const sink *sk)
{
    const uint64_t *x = a->keys, *xe = x + a->n, *y = b->keys, *ye = y + b->n;
    /* The split is at the first key of the pair of a key 70% or 50% into a: every key of a
       pair is on one side. This thread walks the lower part and calls fn as it goes, the other
       collects the rest, then this one hands it to fn. When fn is called for every pair (min
       count 0 or 1), collecting costs about twice as much per key as calling fn, so this thread
       takes 70% and both end together; with the detector's threshold, calls are few and the
       halves cost the same (measured: the end after the workers 0.09-0.11 s at 50%, 0.11-0.14 s
       at 70% on the bench capture). */
    size_t tenths = sk->min > 1 ? 5 : 7;
    uint64_t pivot = x[a->n / 10 * tenths] >> dbits << dbits;
    const uint64_t *xm = x + lower_bound(x, a->n, pivot);
    const uint64_t *ym = y + lower_bound(y, b->n, pivot);
    /* At most one coverage per key: room for them all at once (pages are touched as used). */
    size_t most = (size_t)(xe - xm) + (size_t)(ye - ym);
    half_walk h = {xm, xe,   ym,   ye, dbits, sk->min, malloc(most * sizeof(ds_coverage)),
                   0,  most, false};
    if (h.cov == NULL)
        h.cap = 0;
    pthread_t t;
    bool started = pthread_create(&t, NULL, half_walk_main, &h) == 0;
    int stop = coverage_two(x, xm, y, ym, dbits, sk);
    if (!started) {
        if (stop == 0)
            coverage_two(xm, xe, ym, ye, dbits, sk);
        return;
    }
    pthread_join(t, NULL);
    if (stop == 0 && h.failed) {
        coverage_two(xm, xe, ym, ye, dbits, sk);
    } else {
        for (size_t k = 0; k < h.n && stop == 0; k++)
            stop = sk->fn(sk->ctx, &h.cov[k]);
    }
    free(h.cov);
}

void ds_aggregate_set_threads(ds_aggregate *agg, unsigned threads)
{
    agg->walk_threads = threads;
}

size_t ds_aggregate_key_count(const ds_aggregate *agg)
{
    size_t n = 0;
    for (size_t i = 0; i < agg->n_wins; i++) {
        const win *w = agg->wins[i];
        n += w->buf_len;
        for (size_t r = 0; r < w->n_runs; r++)
            n += w->runs[r].n;
    }
    return n;
}

size_t ds_aggregate_run_count(const ds_aggregate *agg, size_t i)
{
    return i < agg->n_wins ? agg->wins[i]->n_runs : 0;
}

ds_status ds_aggregate_coverage_min(ds_aggregate *agg, size_t i, uint64_t min_count,
                                    ds_coverage_fn fn, void *ctx, ds_error *err)
{
    if (i >= agg->n_wins)
        return ds_error_set(err, DS_ERR_INVALID, "no window %zu", i);
    win *w = agg->wins[i];
    ds_status st = flush(agg, w, err);
    if (st != DS_OK)
        return st;
    const sink sk = {fn, ctx, min_count};
    /* A few runs (the workers' of ds_read_files) are walked as they are. */
    if (w->n_runs == 2) {
        const run *a = &w->runs[0], *b = &w->runs[1];
        if (agg->walk_threads >= 2 && a->n + b->n >= PARALLEL_WALK_MIN)
            coverage_two_parallel(a, b, agg->dbits, &sk);
        else
            coverage_two(a->keys, a->keys + a->n, b->keys, b->keys + b->n, agg->dbits, &sk);
        return DS_OK;
    }
    if (w->n_runs > 1 && w->n_runs <= MERGE_WALK_RUNS) {
        coverage_runs(w->runs, w->n_runs, agg->dbits, &sk);
        return DS_OK;
    }
    const uint64_t *keys;
    size_t n;
    st = ds_aggregate_tuples(agg, i, &keys, &n, err);
    if (st != DS_OK)
        return st;
    coverage_one(keys, n, agg->dbits, &sk);
    return DS_OK;
}

ds_status ds_aggregate_coverage(ds_aggregate *agg, size_t i, ds_coverage_fn fn, void *ctx,
                                ds_error *err)
{
    return ds_aggregate_coverage_min(agg, i, 0, fn, ctx, err);
}

ds_status ds_aggregate_window_export(ds_aggregate *agg, size_t i, ds_agg_window_data *out,
                                     ds_error *err)
{
    if (agg->cfg.no_host_counts)
        return ds_error_set(err, DS_ERR_INVALID,
                            "an aggregate made without host counts cannot be stored");
    ds_status st = ds_aggregate_tuples(agg, i, &out->keys, &out->n_keys, err);
    if (st == DS_OK)
        st = ds_aggregate_hosts(agg, i, &out->hosts, &out->n_hosts, err);
    if (st == DS_OK)
        st = ds_aggregate_header_values(agg, i, DS_FIELD_TTL, &out->ttls, &out->n_ttls, err);
    if (st == DS_OK)
        st = ds_aggregate_header_values(agg, i, DS_FIELD_TCP_WINDOW, &out->tcp_windows,
                                        &out->n_tcp_windows, err);
    if (st != DS_OK)
        return st;
    const win *w = agg->wins[i];
    out->id = w->id;
    out->packets = w->packets;
    out->syn_packets = w->syn_packets;
    out->syn_all = w->syn_all;
    out->outside_darknet = w->outside_darknet;
    out->first_ts_ns = w->first_ts_ns;
    out->last_ts_ns = w->last_ts_ns;
    memcpy(out->slots, w->slots, sizeof(out->slots));
    return DS_OK;
}

ds_status ds_aggregate_window_import(ds_aggregate *agg, const ds_agg_window_data *in, ds_error *err)
{
    unsigned key_bits = agg->cfg.prefix + 16 + agg->dbits;
    for (size_t k = 0; k < in->n_keys; k++) {
        if ((k > 0 && in->keys[k] <= in->keys[k - 1]) ||
            (key_bits < 64 && in->keys[k] >> key_bits != 0))
            return ds_error_set(err, DS_ERR_FORMAT,
                                "window %lld: tuple key %zu is out of order or out of range",
                                (long long)in->id, k);
    }
    if (in->n_hosts > 0 && agg->cfg.no_host_counts)
        return ds_error_set(err, DS_ERR_INVALID,
                            "window %lld: host counts for an aggregate that does not keep them",
                            (long long)in->id);
    for (size_t h = 1; h < in->n_hosts; h++) {
        if (in->hosts[h].host <= in->hosts[h - 1].host)
            return ds_error_set(err, DS_ERR_FORMAT, "window %lld: hosts out of order",
                                (long long)in->id);
    }
    const ds_value_count *values[2] = {in->ttls, in->tcp_windows};
    size_t n_values[2] = {in->n_ttls, in->n_tcp_windows};
    for (int f = 0; f < 2; f++) {
        if (n_values[f] > 0 && !agg->cfg.header_values)
            return ds_error_set(err, DS_ERR_INVALID,
                                "window %lld: header values for an aggregate that does not "
                                "count them",
                                (long long)in->id);
        for (size_t k = 0; k < n_values[f]; k++) {
            const ds_value_count *v = &values[f][k];
            if ((k > 0 && cmp_value_count(&values[f][k - 1], v) >= 0) ||
                (f == DS_FIELD_TTL && v->value > 255))
                return ds_error_set(err, DS_ERR_FORMAT,
                                    "window %lld: header value %zu is out of order or range",
                                    (long long)in->id, k);
        }
    }
    win *w = find_window(agg, in->id);
    if (w == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    w->packets += in->packets;
    w->syn_packets += in->syn_packets;
    w->syn_all += in->syn_all;
    w->outside_darknet += in->outside_darknet;
    if (in->first_ts_ns < w->first_ts_ns)
        w->first_ts_ns = in->first_ts_ns;
    if (in->last_ts_ns > w->last_ts_ns)
        w->last_ts_ns = in->last_ts_ns;
    for (size_t s = 0; s < SLOT_WORDS; s++)
        w->slots[s] |= in->slots[s];
    ds_status st = push_sorted(w, in->keys, in->n_keys, err);
    if (st != DS_OK)
        return st;
    for (size_t h = 0; h < in->n_hosts; h++) {
        st = host_add(w, &in->hosts[h], err);
        if (st != DS_OK)
            return st;
    }
    hosts_changed(w);
    for (int f = 0; f < 2; f++) {
        for (size_t k = 0; k < n_values[f]; k++) {
            const ds_value_count *v = &values[f][k];
            st = vmap_add(&w->values[f], v->host, v->value, v->packets, err);
            if (st != DS_OK)
                return st;
        }
    }
    return DS_OK;
}

/* ---- for ds_read_files (aggregate_int.h) ---- */

ds_status ds_aggregate_compact_all(ds_aggregate *agg, size_t max_runs, ds_error *err)
{
    for (size_t i = 0; i < agg->n_wins; i++) {
        win *w = agg->wins[i];
        ds_status st = compact_to(agg, w, max_runs, err);
        if (st != DS_OK)
            return st;
        ds_big_free(w->buf, w->buf_cap * sizeof(*w->buf));
        w->buf = NULL;
        w->buf_cap = 0;
    }
    ds_big_free(agg->scratch, agg->scratch_cap * sizeof(*agg->scratch));
    agg->scratch = NULL;
    agg->scratch_cap = 0;
    return DS_OK;
}

ds_status ds_aggregate_absorb(ds_aggregate *into, ds_aggregate *from, ds_error *err)
{
    if (!same_config(&into->cfg, &from->cfg))
        return ds_error_set(err, DS_ERR_INVALID, "cannot merge aggregates made differently");
    for (size_t i = 0; i < from->n_wins; i++) {
        win *fw = from->wins[i];
        win *w = find_window(into, fw->id);
        if (w == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        ds_status st = win_add_counts(into, w, fw, err);
        if (st != DS_OK)
            return st;
        fw->buf_len = 0;
        /* The runs move: appended as they are, largest first, merged only when read. */
        if (w->n_runs + fw->n_runs > w->cap_runs) {
            size_t cap = w->n_runs + fw->n_runs + 8;
            run *grown = realloc(w->runs, cap * sizeof(*grown));
            if (grown == NULL)
                return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            w->runs = grown;
            w->cap_runs = cap;
        }
        for (size_t r = 0; r < fw->n_runs; r++) {
            size_t k = w->n_runs++;
            while (k > 0 && w->runs[k - 1].n < fw->runs[r].n) {
                w->runs[k] = w->runs[k - 1];
                k--;
            }
            w->runs[k] = fw->runs[r];
        }
        fw->n_runs = 0;
        st = win_add_hosts(w, fw, err);
        if (st != DS_OK)
            return st;
        win_free(fw);
        from->wins[i] = NULL;
    }
    from->n_wins = 0;
    from->last = NULL;
    return DS_OK;
}
