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
#include <stdlib.h>
#include <string.h>

#include "darkscan/detect.h"

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
        if (ports == NULL) {
            c->failed = true;
            return;
        }
        memcpy(ports, c->ports, c->n_ports * sizeof(*ports));
        c->scans[c->n_scans++] = (scan){c->block, c->win, c->win_id, ports, (uint32_t)c->n_ports};
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
            if (grown == NULL) {
                c->failed = true;
                return 1;
            }
            c->ports = grown;
            c->cap_ports = cap;
        }
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

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* host_facts - packets, fingerprints, top /24 and distinct hosts of net's block. */
static ds_status host_facts(ds_aggregate *agg, ds_network *net, ds_error *err)
{
    uint64_t first = net->block;
    uint64_t last = first + ((uint64_t)1 << (32 - net->prefix)) - 1;
    unsigned n24_bits = net->prefix <= 24 ? 24 - net->prefix : 0;
    uint64_t *per24 = calloc((size_t)1 << n24_bits, sizeof(*per24));
    uint32_t *hosts = NULL;
    size_t n_hosts = 0, cap_hosts = 0;
    ds_status st = DS_OK;
    if (per24 == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
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
            net->syn_packets += hc[i].syn_packets;
            net->mirai_packets += hc[i].mirai_packets;
            net->zmap_packets += hc[i].zmap_packets;
            net->masscan_packets += hc[i].masscan_packets;
            size_t idx = n24_bits ? (size_t)((hc[i].host - first) >> 8) : 0;
            per24[idx] += hc[i].syn_packets;
            if (n_hosts == cap_hosts) {
                size_t cap = cap_hosts ? cap_hosts * 2 : 64;
                uint32_t *grown = realloc(hosts, cap * sizeof(*grown));
                if (grown == NULL) {
                    st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
                    goto out;
                }
                hosts = grown;
                cap_hosts = cap;
            }
            hosts[n_hosts++] = hc[i].host;
        }
    }
    size_t best = 0;
    for (size_t i = 1; i < ((size_t)1 << n24_bits); i++) {
        if (per24[i] > per24[best])
            best = i;
    }
    net->top24 = (uint32_t)(first + ((uint64_t)best << 8)) & 0xffffff00u;
    net->top24_packets = per24[best];
    if (n_hosts > 1)
        qsort(hosts, n_hosts, sizeof(*hosts), cmp_u32);
    for (size_t i = 0; i < n_hosts; i++)
        net->hosts += i == 0 || hosts[i] != hosts[i - 1];
out:
    free(per24);
    free(hosts);
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
        ds_status st = ds_aggregate_coverage(agg, w, on_coverage, c, err);
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
    for (size_t i = 0; i < c->n_scans; i++)
        free(c->scans[i].ports);
    free(c->scans);
    free(c->ports);
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
    r->alpha_addresses = alpha_addresses(params->alpha, r->darknet_size);
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
                c.scans[k].ports = NULL;
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
        for (size_t k = i; k < j; k++) {
            ds_port_set *ps = &net->port_sets[k - i];
            ps->window = c.scans[k].win_id;
            ps->ports = c.scans[k].ports;
            ps->n = c.scans[k].n;
            c.scans[k].ports = NULL;
            if (ps->n > net->ports_max)
                net->ports_max = ps->n;
            if (ps->n < net->ports_min)
                net->ports_min = ps->n;
        }
        st = similarity(net, err);
        if (st != DS_OK)
            goto fail;
        net->category = categorise(net, params);
        st = host_facts(agg, net, err);
        if (st != DS_OK)
            goto fail;
        i = j;
    }
    free_scans(&c);
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

void ds_results_free(ds_results *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_networks; i++) {
        for (size_t t = 0; t < r->networks[i].n_scan_windows; t++)
            free(r->networks[i].port_sets[t].ports);
        free(r->networks[i].port_sets);
        for (size_t t = 0; t < r->networks[i].n_app_scans; t++)
            free(r->networks[i].app_scans[t].app_port_list);
        free(r->networks[i].app_scans);
    }
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
    uint64_t size = ds_darknet_size(ds_aggregate_config(agg)->darknet);
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
        st = ds_aggregate_coverage(agg, w, on_sweep_coverage, &c, err);
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
