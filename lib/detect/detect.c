/*
 * detect.c - the paper's method on an aggregate (see include/darkscan/detect.h, METHOD.md).
 *
 *  1. Scan-target ports: p is in P_t(A) when |D_t(A -> p)| >= alpha |D|, decided in integers.
 *  2. Internet-wide scan: |P_t(A)| >= n (min_ports).  T(A) = the windows where A did one.
 *  3. Constant Internet-wide scanner: |T(A)| >= m (min_windows).
 *  4. Characterisation: Jaccard and Simpson over every unordered pair of T(A), medians as
 *     exact ratios, category, port-set sizes, packets, fingerprints, top /24, hosts.
 *  5. Table 2: port frequencies over the port sets of routine and semi-routine blocks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/detect.h"
#include "darkscan/enrich.h"

/* Windows listed in the results between the first and last seen, at most. */
#define MAX_LISTED_WINDOWS 1000000

/* ---- ratios ---- */

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static ds_ratio ratio_reduce(ds_ratio r)
{
    uint64_t g = gcd_u64(r.num, r.den);
    if (g > 1) {
        r.num /= g;
        r.den /= g;
    }
    return r;
}

ds_status ds_ratio_parse(const char *text, ds_ratio *out, ds_error *err)
{
    const char *p = text;
    uint64_t num = 0, den = 1;
    int int_digits = 0, frac_digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (num > 1000000000ull)
            return ds_error_set(err, DS_ERR_FORMAT, "'%s' is too large", text);
        num = num * 10 + (uint64_t)(*p - '0');
        int_digits++;
        p++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (++frac_digits > 9)
                return ds_error_set(err, DS_ERR_FORMAT,
                                    "'%s' has more than 9 digits after the point", text);
            num = num * 10 + (uint64_t)(*p - '0');
            den *= 10;
            p++;
        }
    }
    if (*p != '\0' || int_digits + frac_digits == 0)
        return ds_error_set(err, DS_ERR_FORMAT, "'%s' is not a decimal number like 0.8", text);
    *out = ratio_reduce((ds_ratio){num, den});
    return DS_OK;
}

double ds_ratio_value(ds_ratio r)
{
    return (double)r.num / (double)r.den;
}

int ds_ratio_cmp(ds_ratio a, ds_ratio b)
{
    unsigned __int128 x = (unsigned __int128)a.num * b.den;
    unsigned __int128 y = (unsigned __int128)b.num * a.den;
    return (x > y) - (x < y);
}

void ds_params_default(ds_params *p)
{
    p->alpha = (ds_ratio){4, 5};
    p->min_ports = 30;
    p->min_windows = 6;
    p->routine_jaccard = (ds_ratio){4, 5};
    p->stable_simpson = (ds_ratio){7, 10};
    p->max_gap_slots = DS_DEFAULT_MAX_GAP_SLOTS;
}

const char *ds_category_name(ds_category c)
{
    switch (c) {
    case DS_CATEGORY_ROUTINE:
        return "routine";
    case DS_CATEGORY_SEMI_ROUTINE:
        return "semi-routine";
    case DS_CATEGORY_AD_HOC:
        return "ad-hoc";
    }
    return "unknown";
}

/*
 * alpha_addresses - the smallest count c with c / |D| >= alpha, i.e. ceil(alpha |D|).
 * (|D| <= 2^32 and alpha's parts <= about 10^18, so 128-bit products are exact.)
 */
static uint64_t alpha_addresses(ds_ratio alpha, uint64_t size)
{
    unsigned __int128 prod = (unsigned __int128)alpha.num * size;
    unsigned __int128 c = (prod + alpha.den - 1) / alpha.den;
    return (uint64_t)c;
}

/* ---- step 1-2: port sets of every (window, block) ---- */

/* One Internet-wide scan: block A scanned |P_t(A)| >= n ports in window t. */
typedef struct scan {
    uint32_t block;
    size_t win; /* index in the aggregate's windows */
    int64_t win_id;
    uint16_t *ports;
    uint64_t *coverage; /* per port */
    uint32_t n;
} scan;

typedef struct scan_ctx {
    uint64_t threshold; /* alpha_addresses */
    uint32_t min_ports;
    size_t win;
    int64_t win_id;
    uint32_t block;
    bool have_block;
    uint16_t *ports; /* scan-target ports of the current block */
    uint64_t *coverage;
    size_t n_ports, cap_ports;
    scan *scans;
    size_t n_scans, cap_scans;
    bool failed;
} scan_ctx;

static void end_block(scan_ctx *c)
{
    if (c->have_block && c->n_ports >= c->min_ports && c->n_ports > 0) {
        if (c->n_scans == c->cap_scans) {
            size_t cap = c->cap_scans ? c->cap_scans * 2 : 64;
            scan *grown = realloc(c->scans, cap * sizeof(*grown));
            if (grown == NULL) {
                c->failed = true;
                return;
            }
            c->scans = grown;
            c->cap_scans = cap;
        }
        uint16_t *ports = malloc(c->n_ports * sizeof(*ports));
        uint64_t *coverage = malloc(c->n_ports * sizeof(*coverage));
        if (ports == NULL || coverage == NULL) {
            free(ports);
            free(coverage);
            c->failed = true;
            return;
        }
        memcpy(ports, c->ports, c->n_ports * sizeof(*ports));
        memcpy(coverage, c->coverage, c->n_ports * sizeof(*coverage));
        c->scans[c->n_scans++] =
            (scan){c->block, c->win, c->win_id, ports, coverage, (uint32_t)c->n_ports};
    }
    c->n_ports = 0;
    c->have_block = false;
}

static int on_coverage(void *ctx, const ds_coverage *cov)
{
    scan_ctx *c = ctx;
    if (!c->have_block || cov->block != c->block) {
        end_block(c);
        c->block = cov->block;
        c->have_block = true;
    }
    if (cov->count >= c->threshold) {
        if (c->n_ports == c->cap_ports) {
            size_t cap = c->cap_ports ? c->cap_ports * 2 : 256;
            uint16_t *grown = realloc(c->ports, cap * sizeof(*grown));
            if (grown != NULL)
                c->ports = grown;
            uint64_t *grown_cov = realloc(c->coverage, cap * sizeof(*grown_cov));
            if (grown_cov != NULL)
                c->coverage = grown_cov;
            if (grown == NULL || grown_cov == NULL) {
                c->failed = true;
                return 1;
            }
            c->cap_ports = cap;
        }
        c->coverage[c->n_ports] = cov->count;
        c->ports[c->n_ports++] = cov->port;
    }
    return c->failed;
}

static int cmp_scan(const void *a, const void *b)
{
    const scan *x = a, *y = b;
    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    return (x->win_id > y->win_id) - (x->win_id < y->win_id);
}

/* ---- step 4: characterisation ---- */

static uint32_t intersection_size(const ds_port_set *a, const ds_port_set *b)
{
    uint32_t i = 0, j = 0, n = 0;
    while (i < a->n && j < b->n) {
        uint16_t x = a->ports[i], y = b->ports[j];
        n += x == y;
        i += x <= y;
        j += y <= x;
    }
    return n;
}

static int cmp_ratio(const void *a, const void *b)
{
    return ds_ratio_cmp(*(const ds_ratio *)a, *(const ds_ratio *)b);
}

/* median - of sorted values; the mean of the two middle ones for an even count. */
static ds_ratio median(const ds_ratio *v, size_t n)
{
    if (n % 2 == 1)
        return v[n / 2];
    ds_ratio a = v[n / 2 - 1], b = v[n / 2];
    /* (a.num / a.den + b.num / b.den) / 2; the parts are at most 2^16, so this is exact. */
    return ratio_reduce((ds_ratio){a.num * b.den + b.num * a.den, 2 * a.den * b.den});
}

/*
 * similarity - Jaccard and Simpson medians over all unordered pairs of scan windows. With a
 * single scan window there is no pair: both are 1 (a set is identical to itself).
 */
static ds_status similarity(ds_network *net, ds_error *err)
{
    size_t k = net->n_scan_windows;
    if (k < 2) {
        net->jaccard_median = (ds_ratio){1, 1};
        net->simpson_median = (ds_ratio){1, 1};
        return DS_OK;
    }
    size_t pairs = k * (k - 1) / 2;
    ds_ratio *jac = malloc(pairs * sizeof(*jac));
    ds_ratio *sim = malloc(pairs * sizeof(*sim));
    if (jac == NULL || sim == NULL) {
        free(jac);
        free(sim);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    size_t p = 0;
    for (size_t i = 0; i < k; i++) {
        for (size_t j = i + 1; j < k; j++) {
            const ds_port_set *a = &net->port_sets[i], *b = &net->port_sets[j];
            uint64_t inter = intersection_size(a, b);
            uint64_t uni = (uint64_t)a->n + b->n - inter;
            uint64_t min = a->n < b->n ? a->n : b->n;
            jac[p] = ratio_reduce((ds_ratio){inter, uni});
            sim[p] = ratio_reduce((ds_ratio){inter, min});
            p++;
        }
    }
    qsort(jac, pairs, sizeof(*jac), cmp_ratio);
    qsort(sim, pairs, sizeof(*sim), cmp_ratio);
    net->jaccard_median = median(jac, pairs);
    net->simpson_median = median(sim, pairs);
    free(jac);
    free(sim);
    return DS_OK;
}

static ds_category categorise(const ds_network *net, const ds_params *params)
{
    if (ds_ratio_cmp(net->simpson_median, params->stable_simpson) <= 0)
        return DS_CATEGORY_AD_HOC;
    if (ds_ratio_cmp(net->jaccard_median, params->routine_jaccard) > 0)
        return DS_CATEGORY_ROUTINE;
    return DS_CATEGORY_SEMI_ROUTINE;
}

/* One host's counters summed over windows. */
typedef struct host_sum {
    uint32_t host;
    uint64_t syn_packets, mirai_packets, zmap_packets, masscan_packets;
} host_sum;

static int cmp_host_sum(const void *a, const void *b)
{
    uint32_t x = ((const host_sum *)a)->host, y = ((const host_sum *)b)->host;
    return (x > y) - (x < y);
}

static int cmp_block_host(const void *a, const void *b)
{
    const ds_block_host *x = a, *y = b;
    if (x->syn_packets != y->syn_packets)
        return x->syn_packets > y->syn_packets ? -1 : 1;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

static int cmp_subnet(const void *a, const void *b)
{
    const ds_subnet *x = a, *y = b;
    if (x->syn_packets != y->syn_packets)
        return x->syn_packets > y->syn_packets ? -1 : 1;
    return (x->prefix > y->prefix) - (x->prefix < y->prefix);
}

/* clear_host_facts - undo host_facts(): no hosts, no /24s, no packets. */
static void clear_host_facts(ds_network *net)
{
    free(net->host_list);
    free(net->subnets);
    net->host_list = NULL;
    net->subnets = NULL;
    net->n_host_list = net->n_subnets = 0;
    net->hosts = 0;
    net->syn_packets = net->mirai_packets = net->zmap_packets = net->masscan_packets = 0;
    net->top24 = net->top24_host = 0;
    net->top24_packets = 0;
}

/*
 * host_facts - packets, fingerprints, hosts, /24s, top /24 and its busiest host of net's
 * block, from the per-host counters of every window.
 */
static ds_status host_facts(ds_aggregate *agg, ds_network *net, ds_error *err)
{
    uint64_t first = net->block;
    uint64_t last = first + ((uint64_t)1 << (32 - net->prefix)) - 1;
    host_sum *sums = NULL;
    size_t n_sums = 0, cap_sums = 0;
    ds_status st = DS_OK;
    size_t n_wins = ds_aggregate_window_count(agg);
    for (size_t w = 0; w < n_wins; w++) {
        const ds_host_counts *hc;
        size_t n;
        st = ds_aggregate_hosts(agg, w, &hc, &n, err);
        if (st != DS_OK)
            goto out;
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (hc[mid].host < first)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i < n && hc[i].host <= last; i++) {
            if (n_sums == cap_sums) {
                size_t cap = cap_sums ? cap_sums * 2 : 64;
                host_sum *grown = realloc(sums, cap * sizeof(*grown));
                if (grown == NULL) {
                    st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
                    goto out;
                }
                sums = grown;
                cap_sums = cap;
            }
            sums[n_sums++] = (host_sum){hc[i].host, hc[i].syn_packets, hc[i].mirai_packets,
                                        hc[i].zmap_packets, hc[i].masscan_packets};
        }
    }
    /* One entry per host, ascending address. */
    if (n_sums > 1)
        qsort(sums, n_sums, sizeof(*sums), cmp_host_sum);
    size_t n_hosts = 0;
    for (size_t i = 0; i < n_sums; i++) {
        if (n_hosts > 0 && sums[n_hosts - 1].host == sums[i].host) {
            host_sum *h = &sums[n_hosts - 1];
            h->syn_packets += sums[i].syn_packets;
            h->mirai_packets += sums[i].mirai_packets;
            h->zmap_packets += sums[i].zmap_packets;
            h->masscan_packets += sums[i].masscan_packets;
        } else {
            sums[n_hosts++] = sums[i];
        }
    }
    net->hosts = n_hosts;
    net->host_list = calloc(n_hosts ? n_hosts : 1, sizeof(*net->host_list));
    net->subnets = calloc(n_hosts ? n_hosts : 1, sizeof(*net->subnets));
    if (net->host_list == NULL || net->subnets == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Hosts ascend, so the hosts of one /24 are consecutive. */
    uint64_t top24_host_packets = 0;
    for (size_t i = 0; i < n_hosts; i++) {
        const host_sum *h = &sums[i];
        net->syn_packets += h->syn_packets;
        net->mirai_packets += h->mirai_packets;
        net->zmap_packets += h->zmap_packets;
        net->masscan_packets += h->masscan_packets;
        net->host_list[i] = (ds_block_host){h->host, h->syn_packets, 0, NULL, -1, -1};
        uint32_t p24 = h->host & 0xffffff00u;
        if (net->n_subnets == 0 || net->subnets[net->n_subnets - 1].prefix != p24)
            net->subnets[net->n_subnets++] = (ds_subnet){p24, 0, 0};
        ds_subnet *sn = &net->subnets[net->n_subnets - 1];
        sn->syn_packets += h->syn_packets;
        sn->hosts++;
    }
    net->n_host_list = n_hosts;
    /* The top /24: most packets, ties the lower address (subnets ascend here). */
    net->top24 = (uint32_t)first & 0xffffff00u;
    net->top24_packets = 0;
    for (size_t i = 0; i < net->n_subnets; i++) {
        if (net->subnets[i].syn_packets > net->top24_packets) {
            net->top24 = net->subnets[i].prefix;
            net->top24_packets = net->subnets[i].syn_packets;
        }
    }
    net->top24_host = net->top24;
    for (size_t i = 0; i < n_hosts; i++) {
        if ((sums[i].host & 0xffffff00u) == net->top24 &&
            sums[i].syn_packets > top24_host_packets) {
            net->top24_host = sums[i].host;
            top24_host_packets = sums[i].syn_packets;
        }
    }
    if (n_hosts > 1)
        qsort(net->host_list, n_hosts, sizeof(*net->host_list), cmp_block_host);
    if (net->n_subnets > 1)
        qsort(net->subnets, net->n_subnets, sizeof(*net->subnets), cmp_subnet);
out:
    free(sums);
    return st;
}

/* ---- the host pass ---- */

ds_status ds_results_source_ranges(const ds_results *r, ds_addr_range **ranges, size_t *n,
                                   ds_error *err)
{
    *ranges = NULL;
    *n = 0;
    if (r->n_networks == 0)
        return DS_OK;
    ds_addr_range *out = malloc(r->n_networks * sizeof(*out));
    if (out == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *net = &r->networks[i];
        out[i].first = net->block;
        out[i].last = (uint32_t)((uint64_t)net->block + ((uint64_t)1 << (32 - net->prefix)) - 1);
    }
    *ranges = out;
    *n = r->n_networks;
    return DS_OK;
}

/* An address-sorted view of one network's host_list. */
typedef struct host_index {
    uint32_t addr;
    uint32_t pos; /* index in host_list */
} host_index;

static int cmp_host_index(const void *a, const void *b)
{
    uint32_t x = ((const host_index *)a)->addr, y = ((const host_index *)b)->addr;
    return (x > y) - (x < y);
}

typedef struct host_pass {
    ds_results *r;
    host_index **index; /* per network */
    int64_t win_id;
    uint32_t host;
    bool have_host;
    uint32_t ports; /* scan-target ports of the current host */
} host_pass;

/* find_network - the network holding addr, or -1. */
static long find_network(const ds_results *r, uint32_t addr)
{
    size_t lo = 0, hi = r->n_networks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->networks[mid].block <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const ds_network *net = &r->networks[lo - 1];
    uint64_t last = (uint64_t)net->block + ((uint64_t)1 << (32 - net->prefix)) - 1;
    return addr <= last ? (long)(lo - 1) : -1;
}

/* find_host - the host_list entry of addr in network k, or NULL. */
static ds_block_host *find_host(const host_pass *hp, size_t k, uint32_t addr)
{
    ds_network *net = &hp->r->networks[k];
    host_index key = {addr, 0};
    const host_index *hit =
        bsearch(&key, hp->index[k], net->n_host_list, sizeof(key), cmp_host_index);
    return hit != NULL ? &net->host_list[hit->pos] : NULL;
}

static void end_host(host_pass *hp)
{
    if (!hp->have_host || hp->ports == 0)
        goto done;
    long k = find_network(hp->r, hp->host);
    if (k < 0)
        goto done;
    ds_network *net = &hp->r->networks[k];
    size_t lo = 0, hi = net->n_scan_windows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (net->port_sets[mid].window < hp->win_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == net->n_scan_windows || net->port_sets[lo].window != hp->win_id)
        goto done; /* not a scan window of the block */
    ds_block_host *h = find_host(hp, (size_t)k, hp->host);
    if (h != NULL) {
        h->port_set_sizes[lo] = hp->ports;
        if (hp->ports > h->ports_max)
            h->ports_max = hp->ports;
    }
done:
    hp->ports = 0;
    hp->have_host = false;
}

static int on_host_coverage(void *ctx, const ds_coverage *cov)
{
    host_pass *hp = ctx;
    if (!hp->have_host || cov->block != hp->host) {
        end_host(hp);
        hp->host = cov->block;
        hp->have_host = true;
    }
    hp->ports += cov->count >= hp->r->alpha_addresses;
    return 0;
}

/* A (host, value, packets) triple of one network, gathered over windows. */
typedef struct hv {
    uint32_t host;
    uint32_t value;
    uint64_t packets;
} hv;

static int cmp_hv_host(const void *a, const void *b)
{
    const hv *x = a, *y = b;
    if (x->host != y->host)
        return x->host < y->host ? -1 : 1;
    return (x->value > y->value) - (x->value < y->value);
}

static int cmp_hv_value(const void *a, const void *b)
{
    const hv *x = a, *y = b;
    return (x->value > y->value) - (x->value < y->value);
}

/*
 * dominant_values - network k's dominant value of field and each host's, from v[0..n) (every
 * window's counts of its hosts; reordered here).
 */
static void dominant_values(host_pass *hp, size_t k, ds_header_field field, hv *v, size_t n)
{
    ds_network *net = &hp->r->networks[k];
    if (n == 0)
        return;
    qsort(v, n, sizeof(*v), cmp_hv_host);
    size_t m = 0; /* sum equal (host, value) */
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && v[m - 1].host == v[i].host && v[m - 1].value == v[i].value)
            v[m - 1].packets += v[i].packets;
        else
            v[m++] = v[i];
    }
    for (size_t i = 0; i < m;) {
        size_t j = i, best = i;
        for (; j < m && v[j].host == v[i].host; j++) {
            if (v[j].packets > v[best].packets)
                best = j;
        }
        ds_block_host *h = find_host(hp, k, v[i].host);
        if (h != NULL) {
            if (field == DS_FIELD_TTL)
                h->ttl = (int32_t)v[best].value;
            else
                h->tcp_window = (int32_t)v[best].value;
        }
        i = j;
    }
    qsort(v, m, sizeof(*v), cmp_hv_value);
    uint32_t best_value = 0;
    uint64_t best_packets = 0;
    for (size_t i = 0; i < m;) {
        uint64_t sum = 0;
        size_t j = i;
        for (; j < m && v[j].value == v[i].value; j++)
            sum += v[j].packets;
        if (sum > best_packets) {
            best_packets = sum;
            best_value = v[i].value;
        }
        i = j;
    }
    if (field == DS_FIELD_TTL) {
        net->ttl = (int32_t)best_value;
        net->ttl_packets = best_packets;
    } else {
        net->tcp_window = (int32_t)best_value;
        net->tcp_window_packets = best_packets;
    }
}

/* header_values - the dominant TTL and TCP window of network k and its hosts. */
static ds_status header_values(host_pass *hp, ds_aggregate *agg, size_t k, ds_error *err)
{
    const ds_network *net = &hp->r->networks[k];
    uint64_t first = net->block;
    uint64_t last = first + ((uint64_t)1 << (32 - net->prefix)) - 1;
    for (int field = 0; field < 2; field++) {
        hv *v = NULL;
        size_t n = 0, cap = 0;
        for (size_t w = 0; w < ds_aggregate_window_count(agg); w++) {
            const ds_value_count *vc;
            size_t nv;
            ds_status st =
                ds_aggregate_header_values(agg, w, (ds_header_field)field, &vc, &nv, err);
            if (st != DS_OK) {
                free(v);
                return st;
            }
            size_t lo = 0, hi = nv;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (vc[mid].host < first)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t i = lo; i < nv && vc[i].host <= last; i++) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 256;
                    hv *grown = realloc(v, cap * sizeof(*grown));
                    if (grown == NULL) {
                        free(v);
                        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
                    }
                    v = grown;
                }
                v[n++] = (hv){vc[i].host, vc[i].value, vc[i].packets};
            }
        }
        dominant_values(hp, k, (ds_header_field)field, v, n);
        free(v);
    }
    return DS_OK;
}

ds_status ds_detect_hosts(ds_results *r, ds_aggregate *host_agg, ds_error *err)
{
    const ds_agg_config *cfg = ds_aggregate_config(host_agg);
    if (cfg->prefix != 32 || cfg->window.unit != r->window.unit ||
        cfg->window.seconds != r->window.seconds ||
        ds_darknet_size(cfg->darknet) != r->darknet_size ||
        cfg->darknet_sample != r->darknet_sample || cfg->no_host_counts)
        return ds_error_set(err, DS_ERR_INVALID,
                            "the host pass needs a /32 aggregate with host counts of "
                            "the same darknet (and darknet sample) and windows");
    host_pass hp = {.r = r};
    ds_status st = DS_OK;
    /* A first pass without host counts: the blocks' hosts are all in host_agg too. */
    for (size_t k = 0; k < r->n_networks && r->host_facts_pending; k++) {
        st = host_facts(host_agg, &r->networks[k], err);
        if (st != DS_OK) {
            for (size_t i = 0; i <= k; i++)
                clear_host_facts(&r->networks[i]); /* still pending: a call again starts over */
            return st;
        }
    }
    r->host_facts_pending = false;
    hp.index = calloc(r->n_networks ? r->n_networks : 1, sizeof(*hp.index));
    if (hp.index == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < r->n_networks; k++) {
        ds_network *net = &r->networks[k];
        hp.index[k] = malloc((net->n_host_list ? net->n_host_list : 1) * sizeof(**hp.index));
        if (hp.index[k] == NULL) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t h = 0; h < net->n_host_list; h++) {
            ds_block_host *bh = &net->host_list[h];
            hp.index[k][h] = (host_index){bh->addr, (uint32_t)h};
            free(bh->port_set_sizes);
            bh->port_set_sizes = calloc(net->n_scan_windows, sizeof(*bh->port_set_sizes));
            bh->ports_max = 0;
            bh->ttl = bh->tcp_window = -1;
            if (bh->port_set_sizes == NULL) {
                st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
                goto out;
            }
        }
        qsort(hp.index[k], net->n_host_list, sizeof(**hp.index), cmp_host_index);
        net->ttl = net->tcp_window = -1;
        net->ttl_packets = net->tcp_window_packets = 0;
    }
    for (size_t w = 0; w < ds_aggregate_window_count(host_agg); w++) {
        ds_agg_window aw;
        ds_aggregate_window(host_agg, w, &aw);
        hp.win_id = aw.id;
        st = ds_aggregate_coverage_min(host_agg, w, r->alpha_addresses, on_host_coverage, &hp, err);
        if (st != DS_OK)
            goto out;
        end_host(&hp);
    }
    for (size_t k = 0; k < r->n_networks; k++) {
        st = header_values(&hp, host_agg, k, err);
        if (st != DS_OK)
            goto out;
    }
    r->host_pass = true;
out:
    for (size_t k = 0; k < r->n_networks; k++)
        free(hp.index[k]);
    free(hp.index);
    return st;
}

/* ---- step 5: Table 2 ---- */

static int cmp_top_port(const void *a, const void *b)
{
    const ds_top_port *x = a, *y = b;
    if (x->sets != y->sets)
        return x->sets > y->sets ? -1 : 1;
    return (x->port > y->port) - (x->port < y->port);
}

static ds_status top_ports(ds_results *r, ds_error *err)
{
    uint32_t *sets = calloc(65536, sizeof(*sets));
    if (sets == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *net = &r->networks[i];
        if (net->category == DS_CATEGORY_AD_HOC)
            continue;
        for (size_t t = 0; t < net->n_scan_windows; t++) {
            for (uint32_t k = 0; k < net->port_sets[t].n; k++)
                sets[net->port_sets[t].ports[k]]++;
            r->top_ports_total_sets++;
        }
    }
    size_t n = 0;
    for (size_t p = 0; p < 65536; p++)
        n += sets[p] != 0;
    r->top_ports = malloc((n ? n : 1) * sizeof(*r->top_ports));
    if (r->top_ports == NULL) {
        free(sets);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    for (size_t p = 0; p < 65536; p++) {
        if (sets[p] != 0)
            r->top_ports[r->n_top_ports++] = (ds_top_port){(uint16_t)p, sets[p]};
    }
    qsort(r->top_ports, r->n_top_ports, sizeof(*r->top_ports), cmp_top_port);
    free(sets);
    return DS_OK;
}

/* ---- windows ---- */

static ds_status list_windows(ds_aggregate *agg, ds_results *r, const scan *scans, size_t n_scans,
                              ds_error *err)
{
    size_t n_wins = ds_aggregate_window_count(agg);
    if (n_wins == 0)
        return DS_OK;
    ds_agg_window first, last;
    ds_aggregate_window(agg, 0, &first);
    ds_aggregate_window(agg, n_wins - 1, &last);
    uint64_t span = (uint64_t)(last.id - first.id) + 1;
    bool fill = span <= MAX_LISTED_WINDOWS;
    size_t n = fill ? (size_t)span : n_wins;
    r->windows = calloc(n, sizeof(*r->windows));
    if (r->windows == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    r->n_windows = n;
    for (size_t i = 0; i < n; i++) {
        r->windows[i].id = fill ? first.id + (int64_t)i : 0;
        r->windows[i].first_ts_ns = INT64_MAX;
        r->windows[i].last_ts_ns = INT64_MIN;
        r->windows[i].max_gap_slots = DS_AGG_SLOTS;
    }
    for (size_t w = 0; w < n_wins; w++) {
        ds_agg_window aw;
        ds_aggregate_window(agg, w, &aw);
        ds_window_result *wr = &r->windows[fill ? (size_t)(aw.id - first.id) : w];
        wr->id = aw.id;
        wr->packets = aw.packets;
        wr->syn_packets = aw.syn_packets;
        wr->first_ts_ns = aw.first_ts_ns;
        wr->last_ts_ns = aw.last_ts_ns;
        uint32_t gap = aw.max_gap_slots;
        wr->max_gap_slots = gap;
        wr->complete = gap <= r->params.max_gap_slots;
    }
    for (size_t s = 0; s < n_scans; s++) {
        size_t i = fill ? (size_t)(scans[s].win_id - first.id) : scans[s].win;
        r->windows[i].scan_blocks++;
    }
    return DS_OK;
}

/* ---- the whole method ---- */

static ds_status collect_scans(ds_aggregate *agg, uint64_t threshold, uint32_t min_ports,
                               scan_ctx *c, ds_error *err)
{
    memset(c, 0, sizeof(*c));
    c->threshold = threshold;
    c->min_ports = min_ports;
    size_t n_wins = ds_aggregate_window_count(agg);
    for (size_t w = 0; w < n_wins; w++) {
        ds_agg_window aw;
        ds_aggregate_window(agg, w, &aw);
        c->win = w;
        c->win_id = aw.id;
        ds_status st = ds_aggregate_coverage_min(agg, w, c->threshold, on_coverage, c, err);
        if (st != DS_OK)
            return st;
        end_block(c);
        if (c->failed)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    return DS_OK;
}

/* free_scans - free what collect_scans made (ports moved into results are NULL). */
static void free_scans(scan_ctx *c)
{
    for (size_t i = 0; i < c->n_scans; i++) {
        free(c->scans[i].ports);
        free(c->scans[i].coverage);
    }
    free(c->scans);
    free(c->ports);
    free(c->coverage);
}

ds_status ds_detect(ds_aggregate *agg, const ds_params *params, ds_results **out, ds_error *err)
{
    *out = NULL;
    if (params->alpha.num == 0 || params->alpha.den == 0 || params->alpha.num > params->alpha.den)
        return ds_error_set(err, DS_ERR_INVALID, "alpha must be in (0, 1]");
    if (params->min_windows == 0)
        return ds_error_set(err, DS_ERR_INVALID, "min_windows must be at least 1");
    const ds_agg_config *cfg = ds_aggregate_config(agg);
    ds_results *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    r->params = *params;
    r->prefix = cfg->prefix;
    r->window = cfg->window;
    r->darknet_size = ds_darknet_size(cfg->darknet);
    r->darknet_sample = cfg->darknet_sample;
    size_t n_sensors = ds_darknet_sensor_count(cfg->darknet);
    r->sensors = calloc(n_sensors ? n_sensors : 1, sizeof(*r->sensors));
    if (r->sensors == NULL) {
        ds_results_free(r);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_sensors; i++) {
        r->sensors[i].name = strdup(ds_darknet_sensor_name(cfg->darknet, i));
        r->sensors[i].size = ds_darknet_sensor_size(cfg->darknet, i);
        if (r->sensors[i].name == NULL) {
            ds_results_free(r);
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        }
        r->n_sensors++;
    }
    r->alpha_addresses = alpha_addresses(params->alpha, ds_aggregate_coverage_size(agg));
    r->totals = ds_aggregate_totals(agg);

    scan_ctx c;
    ds_status st = collect_scans(agg, r->alpha_addresses, params->min_ports, &c, err);
    if (st != DS_OK)
        goto fail;
    if (c.n_scans > 1)
        qsort(c.scans, c.n_scans, sizeof(*c.scans), cmp_scan);
    st = list_windows(agg, r, c.scans, c.n_scans, err);
    if (st != DS_OK)
        goto fail;

    /* Constant scanners: blocks with at least m scan windows. */
    size_t n_nets = 0;
    for (size_t i = 0; i < c.n_scans;) {
        size_t j = i;
        while (j < c.n_scans && c.scans[j].block == c.scans[i].block)
            j++;
        n_nets += j - i >= params->min_windows;
        i = j;
    }
    r->networks = calloc(n_nets ? n_nets : 1, sizeof(*r->networks));
    if (r->networks == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < c.n_scans;) {
        size_t j = i;
        while (j < c.n_scans && c.scans[j].block == c.scans[i].block)
            j++;
        if (j - i < params->min_windows) {
            for (size_t k = i; k < j; k++) {
                free(c.scans[k].ports);
                free(c.scans[k].coverage);
                c.scans[k].ports = NULL;
                c.scans[k].coverage = NULL;
            }
            i = j;
            continue;
        }
        ds_network *net = &r->networks[r->n_networks++];
        net->prefix = cfg->prefix;
        net->block = c.scans[i].block << (32 - cfg->prefix);
        net->port_sets = calloc(j - i, sizeof(*net->port_sets));
        if (net->port_sets == NULL) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            goto fail;
        }
        net->n_scan_windows = j - i;
        net->ports_min = UINT32_MAX;
        net->ttl = -1;
        net->tcp_window = -1;
        for (size_t k = i; k < j; k++) {
            ds_port_set *ps = &net->port_sets[k - i];
            ps->window = c.scans[k].win_id;
            ps->ports = c.scans[k].ports;
            ps->coverage = c.scans[k].coverage;
            ps->n = c.scans[k].n;
            c.scans[k].ports = NULL;
            c.scans[k].coverage = NULL;
            if (ps->n > net->ports_max)
                net->ports_max = ps->n;
            if (ps->n < net->ports_min)
                net->ports_min = ps->n;
        }
        st = similarity(net, err);
        if (st != DS_OK)
            goto fail;
        net->category = categorise(net, params);
        if (!cfg->no_host_counts) {
            st = host_facts(agg, net, err);
            if (st != DS_OK)
                goto fail;
        }
        i = j;
    }
    free_scans(&c);
    r->host_facts_pending = cfg->no_host_counts && r->n_networks > 0;
    st = top_ports(r, err);
    if (st != DS_OK) {
        ds_results_free(r);
        return st;
    }
    *out = r;
    return DS_OK;
fail:
    free_scans(&c);
    ds_results_free(r);
    return st;
}

double ds_sample_stderr(uint64_t sample, uint64_t size, double share)
{
    if (sample == 0 || size <= 1 || sample >= size)
        return 0.0;
    double fpc = (double)(size - sample) / (double)(size - 1);
    return sqrt(share * (1.0 - share) / (double)sample * fpc);
}

void ds_results_free(ds_results *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_networks; i++) {
        for (size_t t = 0; t < r->networks[i].n_scan_windows; t++) {
            free(r->networks[i].port_sets[t].ports);
            free(r->networks[i].port_sets[t].coverage);
        }
        free(r->networks[i].port_sets);
        for (size_t h = 0; h < r->networks[i].n_host_list; h++)
            free(r->networks[i].host_list[h].port_set_sizes);
        free(r->networks[i].host_list);
        free(r->networks[i].subnets);
        for (size_t t = 0; t < r->networks[i].n_app_scans; t++)
            free(r->networks[i].app_scans[t].app_port_list);
        free(r->networks[i].app_scans);
    }
    ds_enrichment_free(r->enrichment);
    if (r->honeypot != NULL)
        free(r->honeypot->windows);
    free(r->honeypot);
    free(r->networks);
    free(r->windows);
    free(r->top_ports);
    for (size_t i = 0; i < r->n_sensors; i++)
        free(r->sensors[i].name);
    free(r->sensors);
    ds_sweep_free(r->sweep);
    free(r);
}

/* ---- threshold sweep ---- */

typedef struct sweep_ctx {
    const ds_sweep *sw;
    const uint64_t *thresholds; /* per alpha */
    uint64_t lowest;            /* the smallest threshold */
    uint32_t block;
    bool have_block;
    uint32_t *sizes;   /* per alpha: |P_t(A)| of the current block */
    uint64_t *records; /* block << 32 | combo, one per (window, block, combo) scan */
    size_t n_records, cap_records;
    bool failed;
} sweep_ctx;

static void sweep_end_block(sweep_ctx *c)
{
    if (!c->have_block)
        return;
    const ds_sweep *sw = c->sw;
    for (size_t a = 0; a < sw->n_alphas; a++) {
        for (size_t p = 0; p < sw->n_min_ports; p++) {
            if (c->sizes[a] == 0 || c->sizes[a] < sw->min_ports[p])
                continue;
            if (c->n_records == c->cap_records) {
                size_t cap = c->cap_records ? c->cap_records * 2 : 1024;
                uint64_t *grown = realloc(c->records, cap * sizeof(*grown));
                if (grown == NULL) {
                    c->failed = true;
                    return;
                }
                c->records = grown;
                c->cap_records = cap;
            }
            c->records[c->n_records++] = (uint64_t)c->block << 32 | (a * sw->n_min_ports + p);
        }
        c->sizes[a] = 0;
    }
    c->have_block = false;
}

static int on_sweep_coverage(void *ctx, const ds_coverage *cov)
{
    sweep_ctx *c = ctx;
    if (!c->have_block || cov->block != c->block) {
        sweep_end_block(c);
        c->block = cov->block;
        c->have_block = true;
    }
    if (cov->count >= c->lowest) {
        for (size_t a = 0; a < c->sw->n_alphas; a++)
            c->sizes[a] += cov->count >= c->thresholds[a];
    }
    return c->failed;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

ds_status ds_sweep_run(ds_aggregate *agg, ds_sweep *sw, ds_error *err)
{
    size_t combos = sw->n_alphas * sw->n_min_ports;
    if (combos == 0 || sw->n_min_windows == 0 || combos > UINT32_MAX)
        return ds_error_set(err, DS_ERR_INVALID, "empty or too large sweep grid");
    uint64_t size = ds_aggregate_coverage_size(agg);
    sweep_ctx c = {.sw = sw};
    uint64_t *thresholds = calloc(sw->n_alphas, sizeof(*thresholds));
    c.sizes = calloc(sw->n_alphas, sizeof(*c.sizes));
    sw->counts = calloc(combos * sw->n_min_windows, sizeof(*sw->counts));
    ds_status st = DS_OK;
    if (thresholds == NULL || c.sizes == NULL || sw->counts == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    c.lowest = UINT64_MAX;
    for (size_t a = 0; a < sw->n_alphas; a++) {
        thresholds[a] = alpha_addresses(sw->alphas[a], size);
        if (thresholds[a] < c.lowest)
            c.lowest = thresholds[a];
    }
    c.thresholds = thresholds;
    for (size_t w = 0; w < ds_aggregate_window_count(agg); w++) {
        st = ds_aggregate_coverage_min(agg, w, c.lowest, on_sweep_coverage, &c, err);
        if (st != DS_OK)
            goto out;
        sweep_end_block(&c);
        if (c.failed) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    /* Count windows per (block, combo), then blocks per (combo, m). */
    if (c.n_records > 1)
        qsort(c.records, c.n_records, sizeof(*c.records), cmp_u64);
    for (size_t i = 0; i < c.n_records;) {
        size_t j = i;
        while (j < c.n_records && c.records[j] == c.records[i])
            j++;
        size_t combo = (size_t)(c.records[i] & 0xffffffffu);
        for (size_t m = 0; m < sw->n_min_windows; m++)
            sw->counts[combo * sw->n_min_windows + m] += j - i >= sw->min_windows[m];
        i = j;
    }
out:
    if (st != DS_OK)
        ds_sweep_free_counts(sw);
    free(thresholds);
    free(c.sizes);
    free(c.records);
    return st;
}

void ds_sweep_free_counts(ds_sweep *sweep)
{
    free(sweep->counts);
    sweep->counts = NULL;
}

ds_status ds_sweep_new_default(ds_aggregate *agg, ds_sweep **out, ds_error *err)
{
    static const uint32_t default_min_ports[] = {10, 20, 30, 50, 100};
    *out = NULL;
    ds_sweep *sw = calloc(1, sizeof(*sw));
    size_t n_windows = ds_aggregate_window_count(agg);
    size_t max_m = n_windows < 1 ? 1 : n_windows > 24 ? 24 : n_windows;
    if (sw != NULL) {
        sw->alphas = calloc(11, sizeof(*sw->alphas));
        sw->min_ports = calloc(5, sizeof(*sw->min_ports));
        sw->min_windows = calloc(max_m, sizeof(*sw->min_windows));
    }
    if (sw == NULL || sw->alphas == NULL || sw->min_ports == NULL || sw->min_windows == NULL) {
        ds_sweep_free(sw);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    for (size_t a = 0; a < 11; a++)
        sw->alphas[a] = ratio_reduce((ds_ratio){50 + 5 * a, 100});
    sw->n_alphas = 11;
    memcpy(sw->min_ports, default_min_ports, sizeof(default_min_ports));
    sw->n_min_ports = 5;
    for (size_t m = 0; m < max_m; m++)
        sw->min_windows[m] = (uint32_t)m + 1;
    sw->n_min_windows = max_m;
    ds_status st = ds_sweep_run(agg, sw, err);
    if (st != DS_OK) {
        ds_sweep_free(sw);
        return st;
    }
    *out = sw;
    return DS_OK;
}

void ds_sweep_free(ds_sweep *sweep)
{
    if (sweep == NULL)
        return;
    free(sweep->alphas);
    free(sweep->min_ports);
    free(sweep->min_windows);
    free(sweep->counts);
    free(sweep);
}
