/*
 * aggregate.c - the mergeable aggregate (see include/darkscan/aggregate.h).
 *
 * Per window the aggregate keeps:
 *   - the distinct tuples (A, p, d) as 64-bit keys  A << (16 + dbits) | p << dbits | d,
 *     where A is the source block, p the destination port and d the darknet index. New keys
 *     go to an unsorted buffer; a full buffer is radix-sorted, deduplicated and pushed as a
 *     sorted run; runs are merged so that their sizes fall geometrically (few runs, each key
 *     merged O(log n) times). Reading a window merges its runs into one. This is exact, works
 *     in any input order, and costs 8 bytes per distinct tuple (16 while two runs merge).
 *   - per source host: SYN packets to D and tool fingerprint counts, in an open-addressing
 *     hash table (blocks, /24s and host lists are all derived from it).
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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/aggregate.h"
#include "aggregate/keys.h"

/* Keys buffered per window before they are sorted into a run. */
#define BUF_MAX_KEYS ((size_t)1 << 20)
#define BUF_MIN_KEYS ((size_t)1 << 12)
/* Keys buffered over all windows before every buffer is flushed (bounds memory). */
#define BUF_BUDGET_KEYS ((size_t)1 << 23)

#define SLOT_WORDS (DS_AGG_SLOTS / 64)

/* ZMap before v4.1 sets this IP ID on every probe (zmap src/probe_modules/packet.c). */
#define ZMAP_IP_ID 54321

typedef struct run {
    uint64_t *keys;
    size_t n;
} run;

typedef struct host_slot {
    ds_host_counts c;
    bool used;
} host_slot;

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
    uint64_t packets, syn_packets, syn_all, outside_darknet;
    int64_t first_ts_ns, last_ts_ns;
    uint64_t slots[SLOT_WORDS];

    uint64_t *buf; /* unsorted new keys */
    size_t buf_len, buf_cap;
    run *runs; /* sorted distinct runs, sizes falling */
    size_t n_runs, cap_runs;

    host_slot *hosts; /* open addressing, capacity a power of two */
    size_t hosts_cap, hosts_used;
    ds_host_counts *sorted_hosts; /* cache for ds_aggregate_hosts(), NULL when stale */
    size_t n_sorted_hosts;

    vmap values[2]; /* header values: [DS_FIELD_TTL], [DS_FIELD_TCP_WINDOW] */
} win;

struct ds_aggregate {
    ds_agg_config cfg;
    unsigned dbits;       /* bits of a darknet index */
    unsigned block_shift; /* source >> block_shift is the block */
    win **wins;           /* ascending id */
    size_t n_wins, cap_wins;
    win *last;          /* the window the previous packet fell in */
    size_t buffered;    /* keys in all buffers */
    size_t source_hint; /* the source range that matched last */
};

static unsigned bits_for(uint64_t n_values)
{
    unsigned b = 1;
    while (b < 64 && (n_values - 1) >> b != 0)
        b++;
    return b;
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
    unsigned dbits = bits_for(size);
    if (cfg->prefix + 16 + dbits > 64)
        return ds_error_set(err, DS_ERR_UNSUPPORTED,
                            "a /%u source prefix with a darknet of %llu addresses needs %u-bit "
                            "tuple keys (at most 64): use a shorter --prefix",
                            cfg->prefix, (unsigned long long)size, cfg->prefix + 16 + dbits);
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
    agg->block_shift = 32 - cfg->prefix;
    *out = agg;
    return DS_OK;
}

static void win_free(win *w)
{
    if (w == NULL)
        return;
    free(w->buf);
    for (size_t i = 0; i < w->n_runs; i++)
        free(w->runs[i].keys);
    free(w->runs);
    free(w->hosts);
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
    w->first_ts_ns = INT64_MAX;
    w->last_ts_ns = INT64_MIN;
    return w;
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
        agg->cap_wins = cap;
    }
    win *w = win_new(agg, id);
    if (w == NULL)
        return NULL;
    memmove(agg->wins + lo + 1, agg->wins + lo, (agg->n_wins - lo) * sizeof(*agg->wins));
    agg->wins[lo] = w;
    agg->n_wins++;
    return w;
}

static win *window_of(ds_aggregate *agg, int64_t ts_ns)
{
    win *w = agg->last;
    if (w != NULL && ts_ns >= w->start_ns && ts_ns < w->end_ns)
        return w;
    w = find_window(agg, ds_window_of(&agg->cfg.window, ts_ns));
    if (w != NULL)
        agg->last = w;
    return w;
}

static void cover(win *w, int64_t ts_ns)
{
    uint64_t slot = (uint64_t)(ts_ns - w->start_ns) / (uint64_t)w->slot_ns;
    w->slots[slot / 64] |= (uint64_t)1 << (slot % 64);
    if (ts_ns < w->first_ts_ns)
        w->first_ts_ns = ts_ns;
    if (ts_ns > w->last_ts_ns)
        w->last_ts_ns = ts_ns;
}

/* ---- sorted runs ---- */

/* push_run - append a sorted distinct run (taking ownership) and merge runs of similar size. */
static ds_status push_run(win *w, uint64_t *keys, size_t n, ds_error *err)
{
    if (n == 0) {
        free(keys);
        return DS_OK;
    }
    if (w->n_runs == w->cap_runs) {
        size_t cap = w->cap_runs ? w->cap_runs * 2 : 8;
        run *grown = realloc(w->runs, cap * sizeof(*grown));
        if (grown == NULL) {
            free(keys);
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        }
        w->runs = grown;
        w->cap_runs = cap;
    }
    w->runs[w->n_runs++] = (run){keys, n};
    while (w->n_runs >= 2 && w->runs[w->n_runs - 2].n <= 2 * w->runs[w->n_runs - 1].n) {
        run *a = &w->runs[w->n_runs - 2], *b = &w->runs[w->n_runs - 1];
        uint64_t *merged = malloc((a->n + b->n) * sizeof(*merged));
        if (merged == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        size_t m = ds_keys_union(a->keys, a->n, b->keys, b->n, merged);
        free(a->keys);
        free(b->keys);
        uint64_t *fit = realloc(merged, m * sizeof(*merged));
        a->keys = fit != NULL ? fit : merged;
        a->n = m;
        w->n_runs--;
    }
    return DS_OK;
}

/* flush - sort the window's buffer into a run. */
static ds_status flush(ds_aggregate *agg, win *w, ds_error *err)
{
    if (w->buf_len == 0)
        return DS_OK;
    uint64_t *tmp = malloc(w->buf_len * sizeof(*tmp));
    if (tmp == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    size_t n = ds_keys_sort_unique(w->buf, tmp, w->buf_len, agg->cfg.prefix + 16 + agg->dbits);
    memcpy(tmp, w->buf, n * sizeof(*tmp));
    uint64_t *fit = realloc(tmp, n * sizeof(*tmp));
    agg->buffered -= w->buf_len;
    w->buf_len = 0;
    return push_run(w, fit != NULL ? fit : tmp, n, err);
}

static ds_status flush_all(ds_aggregate *agg, ds_error *err)
{
    for (size_t i = 0; i < agg->n_wins; i++) {
        ds_status st = flush(agg, agg->wins[i], err);
        if (st != DS_OK)
            return st;
    }
    return DS_OK;
}

/* compact - leave the window's tuples as one sorted distinct run (or none). */
static ds_status compact(ds_aggregate *agg, win *w, ds_error *err)
{
    ds_status st = flush(agg, w, err);
    if (st != DS_OK)
        return st;
    while (w->n_runs >= 2) {
        run *a = &w->runs[w->n_runs - 2], *b = &w->runs[w->n_runs - 1];
        uint64_t *merged = malloc((a->n + b->n) * sizeof(*merged));
        if (merged == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        size_t m = ds_keys_union(a->keys, a->n, b->keys, b->n, merged);
        free(a->keys);
        free(b->keys);
        a->keys = merged;
        a->n = m;
        w->n_runs--;
    }
    return DS_OK;
}

static ds_status add_key(ds_aggregate *agg, win *w, uint64_t key, ds_error *err)
{
    if (w->buf_len == w->buf_cap) {
        if (w->buf_cap >= BUF_MAX_KEYS) {
            ds_status st = flush(agg, w, err);
            if (st != DS_OK)
                return st;
        } else {
            size_t cap = w->buf_cap ? w->buf_cap * 2 : BUF_MIN_KEYS;
            uint64_t *grown = realloc(w->buf, cap * sizeof(*grown));
            if (grown == NULL)
                return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            w->buf = grown;
            w->buf_cap = cap;
        }
    }
    w->buf[w->buf_len++] = key;
    if (++agg->buffered > BUF_BUDGET_KEYS)
        return flush_all(agg, err);
    return DS_OK;
}

/* ---- hosts ---- */

static size_t host_hash(uint32_t host, size_t cap)
{
    return (size_t)(((uint64_t)host * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static ds_status hosts_grow(win *w, ds_error *err)
{
    size_t cap = w->hosts_cap ? w->hosts_cap * 2 : 64;
    host_slot *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < w->hosts_cap; i++) {
        if (!w->hosts[i].used)
            continue;
        size_t j = host_hash(w->hosts[i].c.host, cap);
        while (t[j].used)
            j = (j + 1) & (cap - 1);
        t[j] = w->hosts[i];
    }
    free(w->hosts);
    w->hosts = t;
    w->hosts_cap = cap;
    return DS_OK;
}

/* host_counts - the counters of host in w, created at zero when absent; NULL on no memory. */
static ds_host_counts *host_counts(win *w, uint32_t host, ds_error *err)
{
    if ((w->hosts_used + 1) * 4 > w->hosts_cap * 3 && hosts_grow(w, err) != DS_OK)
        return NULL;
    size_t j = host_hash(host, w->hosts_cap);
    while (w->hosts[j].used) {
        if (w->hosts[j].c.host == host)
            return &w->hosts[j].c;
        j = (j + 1) & (w->hosts_cap - 1);
    }
    w->hosts[j].used = true;
    w->hosts[j].c.host = host;
    w->hosts_used++;
    return &w->hosts[j].c;
}

static void hosts_changed(win *w)
{
    free(w->sorted_hosts);
    w->sorted_hosts = NULL;
    w->n_sorted_hosts = 0;
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

/* source_wanted - whether src lies in a range of the filter (the last match is tried first). */
static bool source_wanted(ds_aggregate *agg, uint32_t src)
{
    const ds_addr_range *r = agg->cfg.sources;
    size_t n = agg->cfg.n_sources, h = agg->source_hint;
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

ds_status ds_aggregate_add(ds_aggregate *agg, const ds_packet *pkts, size_t n, ds_error *err)
{
    const ds_darknet *darknet = agg->cfg.darknet;
    const unsigned dbits = agg->dbits;
    for (size_t i = 0; i < n; i++) {
        const ds_packet *p = &pkts[i];
        win *w = window_of(agg, p->ts_ns);
        if (w == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        w->packets++;
        cover(w, p->ts_ns);
        int syn = ds_packet_is_syn(p);
        w->syn_all += (uint64_t)syn;
        int64_t d = ds_darknet_index(darknet, p->dst);
        if (d < 0) {
            w->outside_darknet++;
            continue;
        }
        if (!syn)
            continue;
        w->syn_packets++;
        if (agg->cfg.sources != NULL && !source_wanted(agg, p->src))
            continue;
        uint64_t block = p->src >> agg->block_shift;
        uint64_t key = block << (16 + dbits) | (uint64_t)p->dport << dbits | (uint64_t)d;
        ds_status st = add_key(agg, w, key, err);
        if (st != DS_OK)
            return st;
        ds_host_counts *hc = host_counts(w, p->src, err);
        if (hc == NULL)
            return DS_ERR_NOMEM;
        hc->syn_packets++;
        hc->mirai_packets += p->seq == p->dst;
        hc->zmap_packets += p->ip_id == ZMAP_IP_ID;
        hc->masscan_packets += is_masscan(p);
        if (w->sorted_hosts != NULL)
            hosts_changed(w);
        if (agg->cfg.header_values) {
            st = vmap_add(&w->values[DS_FIELD_TTL], p->src, p->ttl, 1, err);
            if (st == DS_OK)
                st = vmap_add(&w->values[DS_FIELD_TCP_WINDOW], p->src, p->tcp_window, 1, err);
            if (st != DS_OK)
                return st;
        }
    }
    return DS_OK;
}

/* ---- merging ---- */

static bool same_config(const ds_agg_config *a, const ds_agg_config *b)
{
    if (a->prefix != b->prefix || a->window.unit != b->window.unit ||
        a->window.seconds != b->window.seconds || a->header_values != b->header_values ||
        a->n_sources != b->n_sources)
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

ds_status ds_aggregate_merge(ds_aggregate *into, const ds_aggregate *from, ds_error *err)
{
    if (!same_config(&into->cfg, &from->cfg))
        return ds_error_set(err, DS_ERR_INVALID,
                            "cannot merge aggregates made with different darknets, windows, "
                            "prefixes, source filters or header value counting");
    for (size_t i = 0; i < from->n_wins; i++) {
        const win *fw = from->wins[i];
        win *w = find_window(into, fw->id);
        if (w == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
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
        for (size_t r = 0; r < fw->n_runs; r++) {
            uint64_t *copy = malloc(fw->runs[r].n * sizeof(*copy));
            if (copy == NULL)
                return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            memcpy(copy, fw->runs[r].keys, fw->runs[r].n * sizeof(*copy));
            ds_status st = push_run(w, copy, fw->runs[r].n, err);
            if (st != DS_OK)
                return st;
        }
        for (size_t h = 0; h < fw->hosts_cap; h++) {
            if (!fw->hosts[h].used)
                continue;
            const ds_host_counts *src = &fw->hosts[h].c;
            ds_host_counts *dst = host_counts(w, src->host, err);
            if (dst == NULL)
                return DS_ERR_NOMEM;
            dst->syn_packets += src->syn_packets;
            dst->mirai_packets += src->mirai_packets;
            dst->zmap_packets += src->zmap_packets;
            dst->masscan_packets += src->masscan_packets;
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
    if (w->sorted_hosts == NULL && w->hosts_used > 0) {
        w->sorted_hosts = malloc(w->hosts_used * sizeof(*w->sorted_hosts));
        if (w->sorted_hosts == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        size_t k = 0;
        for (size_t h = 0; h < w->hosts_cap; h++) {
            if (w->hosts[h].used)
                w->sorted_hosts[k++] = w->hosts[h].c;
        }
        qsort(w->sorted_hosts, k, sizeof(*w->sorted_hosts), cmp_host);
        w->n_sorted_hosts = k;
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

ds_status ds_aggregate_coverage(ds_aggregate *agg, size_t i, ds_coverage_fn fn, void *ctx,
                                ds_error *err)
{
    const uint64_t *keys;
    size_t n;
    ds_status st = ds_aggregate_tuples(agg, i, &keys, &n, err);
    if (st != DS_OK)
        return st;
    const unsigned dbits = agg->dbits;
    size_t k = 0;
    while (k < n) {
        uint64_t pair = keys[k] >> dbits;
        size_t start = k;
        while (k < n && keys[k] >> dbits == pair)
            k++;
        ds_coverage cov = {(uint32_t)(pair >> 16), (uint16_t)(pair & 0xffff), k - start};
        if (fn(ctx, &cov) != 0)
            break;
    }
    return DS_OK;
}

ds_status ds_aggregate_window_export(ds_aggregate *agg, size_t i, ds_agg_window_data *out,
                                     ds_error *err)
{
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
    if (in->n_keys > 0) {
        uint64_t *copy = malloc(in->n_keys * sizeof(*copy));
        if (copy == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        memcpy(copy, in->keys, in->n_keys * sizeof(*copy));
        ds_status st = push_run(w, copy, in->n_keys, err);
        if (st != DS_OK)
            return st;
    }
    for (size_t h = 0; h < in->n_hosts; h++) {
        ds_host_counts *dst = host_counts(w, in->hosts[h].host, err);
        if (dst == NULL)
            return DS_ERR_NOMEM;
        dst->syn_packets += in->hosts[h].syn_packets;
        dst->mirai_packets += in->hosts[h].mirai_packets;
        dst->zmap_packets += in->hosts[h].zmap_packets;
        dst->masscan_packets += in->hosts[h].masscan_packets;
    }
    hosts_changed(w);
    for (int f = 0; f < 2; f++) {
        for (size_t k = 0; k < n_values[f]; k++) {
            const ds_value_count *v = &values[f][k];
            ds_status st = vmap_add(&w->values[f], v->host, v->value, v->packets, err);
            if (st != DS_OK)
                return st;
        }
    }
    return DS_OK;
}
