/*
 * truth.c - the simulator's oracle (see truth.h): METHOD.md over the packets written, with
 * its own index of D, its own sorting and its own arithmetic. Nothing here calls the
 * aggregator or the detector: this is the answer they are tested against.
 */
#include <stdlib.h>
#include <string.h>

#include "simulate/truth.h"

#define SIM_PROTO_TCP 6
#define ZMAP_IP_ID    54321

/* ---- fractions ---------------------------------------------------------------------- */

int ds_sim_frac_cmp(ds_sim_frac a, ds_sim_frac b)
{
    unsigned __int128 x = (unsigned __int128)a.num * b.den;
    unsigned __int128 y = (unsigned __int128)b.num * a.den;
    return (x > y) - (x < y);
}

double ds_sim_frac_value(ds_sim_frac f)
{
    return (double)f.num / (double)f.den;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static ds_sim_frac frac(uint64_t num, uint64_t den)
{
    uint64_t g = gcd(num, den);
    if (g > 1) {
        num /= g;
        den /= g;
    }
    return (ds_sim_frac){num, den};
}

void ds_sim_truth_params_paper(ds_sim_truth_params *p)
{
    p->alpha = (ds_sim_frac){4, 5};
    p->min_ports = 30;
    p->min_windows = 6;
    p->routine_jaccard = (ds_sim_frac){4, 5};
    p->stable_simpson = (ds_sim_frac){7, 10};
}

unsigned ds_sim_fingerprints(const ds_packet *p)
{
    unsigned fp = 0;
    if (p->seq == p->dst)
        fp |= DS_SIM_FP_MIRAI;
    if (p->ip_id == ZMAP_IP_ID)
        fp |= DS_SIM_FP_ZMAP;
    if (p->ip_id == (uint16_t)(p->dst ^ p->dport ^ p->seq))
        fp |= DS_SIM_FP_MASSCAN;
    return fp;
}

/* ---- calendar months (days from the civil date, H. Hinnant's algorithm) --------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void month_of(int year, int month, size_t k, int *y, int *m)
{
    int64_t idx = (int64_t)year * 12 + (month - 1) + (int64_t)k;
    *y = (int)(idx / 12);
    *m = (int)(idx % 12) + 1;
}

int64_t ds_sim_month_start_ns(int year, int month, size_t k)
{
    int y, m;
    month_of(year, month, k, &y, &m);
    return days_from_civil(y, (unsigned)m, 1) * 86400 * 1000000000ll;
}

char *ds_sim_month_label(int year, int month, size_t k, char *buf)
{
    int y, m;
    month_of(year, month, k, &y, &m);
    buf[0] = (char)('0' + y / 1000 % 10);
    buf[1] = (char)('0' + y / 100 % 10);
    buf[2] = (char)('0' + y / 10 % 10);
    buf[3] = (char)('0' + y % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '\0';
    return buf;
}

/* ---- sorting: LSD radix sort of 64-bit keys, 11 bits a pass -------------------------- */

static ds_status radix_sort(uint64_t *v, size_t n, ds_error *err)
{
    if (n < 2)
        return DS_OK;
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        max |= v[i];
    unsigned bits = 0;
    while (bits < 64 && (max >> bits) != 0)
        bits++;
    uint64_t *tmp = malloc(n * sizeof(*tmp));
    if (tmp == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    uint64_t *src = v, *dst = tmp;
    for (unsigned shift = 0; shift < bits; shift += 11) {
        size_t count[2048 + 1];
        memset(count, 0, sizeof(count));
        for (size_t i = 0; i < n; i++)
            count[((src[i] >> shift) & 2047) + 1]++;
        for (size_t d = 0; d < 2048; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 2047]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof(*v));
    free(tmp);
    return DS_OK;
}

/* ---- the oracle's D ------------------------------------------------------------------- */

typedef struct prefix {
    uint32_t first;
    uint64_t size;
    uint64_t base; /* dense index of first */
} prefix;

/* A finished month. */
typedef struct month_block {
    uint32_t block; /* the /16 number (address >> 16) */
    uint32_t n_ports;
    uint64_t max_coverage;
    uint16_t *ports; /* the ports at alpha, ascending (NULL when none) */
} month_block;

typedef struct host_rec {
    uint32_t host;
    uint64_t syn, mirai, zmap, masscan;
} host_rec;

typedef struct month_sum {
    ds_sim_window win;
    month_block *blocks; /* ascending block */
    size_t n_blocks;
    host_rec *hosts; /* ascending host */
    size_t n_hosts;
} month_sum;

struct ds_sim_truth {
    prefix *prefixes; /* ascending */
    size_t n_prefixes;
    uint64_t size;
    unsigned dbits;
    int year, month;
    size_t n_months;
    ds_sim_truth_params params;
    uint64_t alpha_addresses;
    month_sum **months; /* NULL until added */
};

struct ds_sim_month_rec {
    const ds_sim_truth *t;
    size_t month;
    int64_t start_ns, end_ns;
    ds_sim_window win;
    uint64_t *tuples; /* block << (16 + dbits) | port << dbits | index */
    size_t n_tuples, cap_tuples;
    uint64_t *syn_hosts; /* host << 3 | fingerprint bits */
    size_t n_syn_hosts, cap_syn_hosts;
    month_sum *sum; /* after finish */
};

static int cmp_prefix(const void *a, const void *b)
{
    const prefix *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

ds_status ds_sim_truth_new(ds_sim_truth **out, const uint32_t *addrs, const unsigned *lens,
                           size_t n, int year, int month, size_t n_months,
                           const ds_sim_truth_params *params, ds_error *err)
{
    *out = NULL;
    if (n == 0 || n_months == 0 || month < 1 || month > 12)
        return ds_error_set(err, DS_ERR_INVALID, "truth: empty darknet or period");
    if (params->alpha.den == 0 || params->alpha.num == 0 || params->alpha.num > params->alpha.den ||
        params->min_windows == 0)
        return ds_error_set(err, DS_ERR_INVALID, "truth: alpha must be in (0, 1], m >= 1");
    ds_sim_truth *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    t->prefixes = calloc(n, sizeof(*t->prefixes));
    t->months = calloc(n_months, sizeof(*t->months));
    if (t->prefixes == NULL || t->months == NULL) {
        ds_sim_truth_free(t);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (lens[i] > 32) {
            ds_sim_truth_free(t);
            return ds_error_set(err, DS_ERR_INVALID, "truth: prefix length %u", lens[i]);
        }
        uint64_t size = (uint64_t)1 << (32 - lens[i]);
        if (((uint64_t)addrs[i] & (size - 1)) != 0) {
            ds_sim_truth_free(t);
            return ds_error_set(err, DS_ERR_INVALID, "truth: prefix with host bits set");
        }
        t->prefixes[i] = (prefix){addrs[i], size, 0};
    }
    qsort(t->prefixes, n, sizeof(*t->prefixes), cmp_prefix);
    uint64_t base = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (uint64_t)t->prefixes[i - 1].first + t->prefixes[i - 1].size >
                         (uint64_t)t->prefixes[i].first) {
            ds_sim_truth_free(t);
            return ds_error_set(err, DS_ERR_INVALID, "truth: overlapping prefixes");
        }
        t->prefixes[i].base = base;
        base += t->prefixes[i].size;
    }
    t->n_prefixes = n;
    t->size = base;
    t->dbits = 1;
    while (t->dbits < 32 && ((base - 1) >> t->dbits) != 0)
        t->dbits++;
    t->year = year;
    t->month = month;
    t->n_months = n_months;
    t->params = *params;
    unsigned __int128 prod = (unsigned __int128)params->alpha.num * base;
    t->alpha_addresses = (uint64_t)((prod + params->alpha.den - 1) / params->alpha.den);
    *out = t;
    return DS_OK;
}

static void month_sum_free(month_sum *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_blocks; i++)
        free(s->blocks[i].ports);
    free(s->blocks);
    free(s->hosts);
    free(s);
}

void ds_sim_truth_free(ds_sim_truth *t)
{
    if (t == NULL)
        return;
    if (t->months != NULL) {
        for (size_t i = 0; i < t->n_months; i++)
            month_sum_free(t->months[i]);
    }
    free(t->months);
    free(t->prefixes);
    free(t);
}

uint64_t ds_sim_truth_darknet_size(const ds_sim_truth *t)
{
    return t->size;
}

int64_t ds_sim_truth_index(const ds_sim_truth *t, uint32_t addr)
{
    size_t lo = 0, hi = t->n_prefixes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->prefixes[mid].first <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const prefix *p = &t->prefixes[lo - 1];
    uint64_t off = (uint64_t)addr - p->first;
    return off < p->size ? (int64_t)(p->base + off) : -1;
}

/* ---- recording ------------------------------------------------------------------------ */

ds_status ds_sim_month_rec_new(ds_sim_month_rec **out, const ds_sim_truth *t, size_t month,
                               ds_error *err)
{
    *out = NULL;
    if (month >= t->n_months)
        return ds_error_set(err, DS_ERR_INVALID, "truth: month %zu out of range", month);
    ds_sim_month_rec *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    r->t = t;
    r->month = month;
    r->start_ns = ds_sim_month_start_ns(t->year, t->month, month);
    r->end_ns = ds_sim_month_start_ns(t->year, t->month, month + 1);
    *out = r;
    return DS_OK;
}

void ds_sim_month_rec_free(ds_sim_month_rec *r)
{
    if (r == NULL)
        return;
    free(r->tuples);
    free(r->syn_hosts);
    month_sum_free(r->sum);
    free(r);
}

static ds_status push(uint64_t **v, size_t *n, size_t *cap, uint64_t x, ds_error *err)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        uint64_t *g = realloc(*v, c * sizeof(*g));
        if (g == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        *v = g;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return DS_OK;
}

ds_status ds_sim_month_rec_add(ds_sim_month_rec *r, const ds_packet *p, ds_error *err)
{
    if (r->sum != NULL)
        return ds_error_set(err, DS_ERR_STATE, "truth: month already finished");
    if (p->ts_ns < r->start_ns || p->ts_ns >= r->end_ns)
        return ds_error_set(err, DS_ERR_INVALID, "truth: packet time outside its month");
    bool syn =
        p->proto == SIM_PROTO_TCP && (p->tcp_flags & (DS_TCP_SYN | DS_TCP_ACK)) == DS_TCP_SYN;
    int64_t d = ds_sim_truth_index(r->t, p->dst);
    r->win.packets++;
    r->win.syn_packets += syn;
    if (d < 0) {
        r->win.outside_darknet++;
        return DS_OK;
    }
    if (!syn)
        return DS_OK;
    r->win.syn_to_darknet++;
    unsigned dbits = r->t->dbits;
    uint64_t key =
        (uint64_t)(p->src >> 16) << (16 + dbits) | (uint64_t)p->dport << dbits | (uint64_t)d;
    ds_status st = push(&r->tuples, &r->n_tuples, &r->cap_tuples, key, err);
    if (st != DS_OK)
        return st;
    return push(&r->syn_hosts, &r->n_syn_hosts, &r->cap_syn_hosts,
                (uint64_t)p->src << 3 | ds_sim_fingerprints(p), err);
}

/* finish_blocks - P_t(A) and the largest coverage of every block, from the sorted tuples. */
static ds_status finish_blocks(ds_sim_month_rec *r, month_sum *s, ds_error *err)
{
    const unsigned dbits = r->t->dbits;
    const uint64_t need = r->t->alpha_addresses;
    size_t cap = 0;
    uint16_t *ports = NULL;
    size_t n_ports = 0, cap_ports = 0;
    size_t i = 0;
    while (i < r->n_tuples) {
        uint32_t block = (uint32_t)(r->tuples[i] >> (16 + dbits));
        if (s->n_blocks == cap) {
            size_t c = cap ? cap * 2 : 256;
            month_block *g = realloc(s->blocks, c * sizeof(*g));
            if (g == NULL)
                goto nomem;
            s->blocks = g;
            cap = c;
        }
        month_block *mb = &s->blocks[s->n_blocks++];
        *mb = (month_block){block, 0, 0, NULL};
        n_ports = 0;
        while (i < r->n_tuples && (uint32_t)(r->tuples[i] >> (16 + dbits)) == block) {
            uint64_t bp = r->tuples[i] >> dbits;
            uint64_t count = 0;
            uint64_t last = UINT64_MAX;
            while (i < r->n_tuples && (r->tuples[i] >> dbits) == bp) {
                count += r->tuples[i] != last; /* distinct darknet addresses */
                last = r->tuples[i];
                i++;
            }
            if (count > mb->max_coverage)
                mb->max_coverage = count;
            if (count >= need) {
                if (n_ports == cap_ports) {
                    size_t c = cap_ports ? cap_ports * 2 : 256;
                    uint16_t *g = realloc(ports, c * sizeof(*g));
                    if (g == NULL)
                        goto nomem;
                    ports = g;
                    cap_ports = c;
                }
                ports[n_ports++] = (uint16_t)(bp & 0xffff);
            }
        }
        if (n_ports > 0) {
            mb->ports = malloc(n_ports * sizeof(*mb->ports));
            if (mb->ports == NULL)
                goto nomem;
            memcpy(mb->ports, ports, n_ports * sizeof(*ports));
            mb->n_ports = (uint32_t)n_ports;
        }
    }
    free(ports);
    return DS_OK;
nomem:
    free(ports);
    return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
}

/* finish_hosts - per source host: SYN packets to D and fingerprints. */
static ds_status finish_hosts(ds_sim_month_rec *r, month_sum *s, ds_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_syn_hosts; i++)
        n += i == 0 || (r->syn_hosts[i] >> 3) != (r->syn_hosts[i - 1] >> 3);
    s->hosts = calloc(n ? n : 1, sizeof(*s->hosts));
    if (s->hosts == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_syn_hosts; i++) {
        uint32_t host = (uint32_t)(r->syn_hosts[i] >> 3);
        unsigned fp = (unsigned)(r->syn_hosts[i] & 7);
        if (s->n_hosts == 0 || s->hosts[s->n_hosts - 1].host != host)
            s->hosts[s->n_hosts++] = (host_rec){host, 0, 0, 0, 0};
        host_rec *h = &s->hosts[s->n_hosts - 1];
        h->syn++;
        h->mirai += (fp & DS_SIM_FP_MIRAI) != 0;
        h->zmap += (fp & DS_SIM_FP_ZMAP) != 0;
        h->masscan += (fp & DS_SIM_FP_MASSCAN) != 0;
    }
    return DS_OK;
}

ds_status ds_sim_month_rec_finish(ds_sim_month_rec *r, ds_error *err)
{
    if (r->sum != NULL)
        return ds_error_set(err, DS_ERR_STATE, "truth: month already finished");
    month_sum *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    s->win = r->win;
    ds_status st = radix_sort(r->tuples, r->n_tuples, err);
    if (st == DS_OK)
        st = finish_blocks(r, s, err);
    free(r->tuples);
    r->tuples = NULL;
    r->n_tuples = r->cap_tuples = 0;
    if (st == DS_OK)
        st = radix_sort(r->syn_hosts, r->n_syn_hosts, err);
    if (st == DS_OK)
        st = finish_hosts(r, s, err);
    free(r->syn_hosts);
    r->syn_hosts = NULL;
    r->n_syn_hosts = r->cap_syn_hosts = 0;
    if (st != DS_OK) {
        month_sum_free(s);
        return st;
    }
    r->sum = s;
    return DS_OK;
}

ds_status ds_sim_truth_add_month(ds_sim_truth *t, ds_sim_month_rec *r, ds_error *err)
{
    ds_status st = DS_OK;
    if (r->t != t)
        st = ds_error_set(err, DS_ERR_INVALID, "truth: recorder of another oracle");
    else if (r->sum == NULL)
        st = ds_error_set(err, DS_ERR_STATE, "truth: month not finished");
    else if (t->months[r->month] != NULL)
        st = ds_error_set(err, DS_ERR_STATE, "truth: month %zu added twice", r->month);
    if (st == DS_OK) {
        t->months[r->month] = r->sum;
        r->sum = NULL;
    }
    ds_sim_month_rec_free(r);
    return st;
}

/* ---- the method over the months ------------------------------------------------------- */

/* One Internet-wide scan: |P_t(A)| >= n. */
typedef struct scan {
    uint32_t block;
    size_t month;
    const month_block *mb;
} scan;

static int cmp_scan(const void *a, const void *b)
{
    const scan *x = a, *y = b;
    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    return (x->month > y->month) - (x->month < y->month);
}

static int cmp_frac(const void *a, const void *b)
{
    return ds_sim_frac_cmp(*(const ds_sim_frac *)a, *(const ds_sim_frac *)b);
}

static uint64_t common_ports(const ds_sim_port_set *a, const ds_sim_port_set *b)
{
    uint64_t n = 0;
    uint32_t i = 0, j = 0;
    while (i < a->n && j < b->n) {
        if (a->ports[i] == b->ports[j]) {
            n++;
            i++;
            j++;
        } else if (a->ports[i] < b->ports[j]) {
            i++;
        } else {
            j++;
        }
    }
    return n;
}

/* median_of - the median of v (sorted here); of an even count, the mean of the middle two. */
static ds_sim_frac median_of(ds_sim_frac *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_frac);
    if (n % 2 == 1)
        return v[n / 2];
    ds_sim_frac a = v[n / 2 - 1], b = v[n / 2];
    return frac(a.num * b.den + b.num * a.den, 2 * a.den * b.den);
}

ds_status ds_sim_similarity(const ds_sim_port_set *sets, size_t k,
                            const ds_sim_truth_params *params, ds_sim_frac *jaccard,
                            ds_sim_frac *simpson, ds_category *category, ds_error *err)
{
    ds_sim_frac jm = {1, 1}, sm = {1, 1};
    if (k >= 2) {
        size_t pairs = k * (k - 1) / 2;
        ds_sim_frac *jac = malloc(pairs * sizeof(*jac));
        ds_sim_frac *sim = malloc(pairs * sizeof(*sim));
        if (jac == NULL || sim == NULL) {
            free(jac);
            free(sim);
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        }
        size_t p = 0;
        for (size_t i = 0; i < k; i++) {
            for (size_t j = i + 1; j < k; j++) {
                const ds_sim_port_set *a = &sets[i], *b = &sets[j];
                uint64_t both = common_ports(a, b);
                uint64_t either = (uint64_t)a->n + b->n - both;
                uint64_t smaller = a->n < b->n ? a->n : b->n;
                jac[p] = either ? frac(both, either) : (ds_sim_frac){1, 1};
                sim[p] = smaller ? frac(both, smaller) : (ds_sim_frac){1, 1};
                p++;
            }
        }
        jm = median_of(jac, pairs);
        sm = median_of(sim, pairs);
        free(jac);
        free(sim);
    }
    if (jaccard != NULL)
        *jaccard = jm;
    if (simpson != NULL)
        *simpson = sm;
    if (category != NULL) {
        if (ds_sim_frac_cmp(sm, params->stable_simpson) <= 0)
            *category = DS_CATEGORY_AD_HOC;
        else if (ds_sim_frac_cmp(jm, params->routine_jaccard) > 0)
            *category = DS_CATEGORY_ROUTINE;
        else
            *category = DS_CATEGORY_SEMI_ROUTINE;
    }
    return DS_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* host_facts - packets, fingerprints, top /24 and distinct hosts of net's /16, all months. */
static ds_status host_facts(const ds_sim_truth *t, ds_sim_net *net, ds_error *err)
{
    uint64_t per24[256] = {0};
    uint32_t *hosts = NULL;
    size_t n_hosts = 0, cap = 0;
    for (size_t m = 0; m < t->n_months; m++) {
        const month_sum *s = t->months[m];
        if (s == NULL)
            continue;
        size_t lo = 0, hi = s->n_hosts;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->hosts[mid].host < net->block)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i < s->n_hosts && (s->hosts[i].host >> 16) == (net->block >> 16); i++) {
            const host_rec *h = &s->hosts[i];
            net->syn_packets += h->syn;
            net->mirai_packets += h->mirai;
            net->zmap_packets += h->zmap;
            net->masscan_packets += h->masscan;
            per24[(h->host >> 8) & 255] += h->syn;
            if (n_hosts == cap) {
                size_t c = cap ? cap * 2 : 64;
                uint32_t *g = realloc(hosts, c * sizeof(*g));
                if (g == NULL) {
                    free(hosts);
                    return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
                }
                hosts = g;
                cap = c;
            }
            hosts[n_hosts++] = h->host;
        }
    }
    size_t best = 0;
    for (size_t i = 1; i < 256; i++) {
        if (per24[i] > per24[best])
            best = i;
    }
    net->top24 = net->block | (uint32_t)best << 8;
    net->top24_packets = per24[best];
    qsort(hosts, n_hosts, sizeof(*hosts), cmp_u32);
    for (size_t i = 0; i < n_hosts; i++)
        net->hosts += i == 0 || hosts[i] != hosts[i - 1];
    free(hosts);
    return DS_OK;
}

static int cmp_top(const void *a, const void *b)
{
    const ds_sim_top_port *x = a, *y = b;
    if (x->sets != y->sets)
        return x->sets > y->sets ? -1 : 1;
    return (x->port > y->port) - (x->port < y->port);
}

/* table2 - port frequencies over the port sets of routine and semi-routine blocks. */
static ds_status table2(ds_sim_result *r, ds_error *err)
{
    uint32_t *sets = calloc(65536, sizeof(*sets));
    if (sets == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_nets; i++) {
        const ds_sim_net *net = &r->nets[i];
        if (net->category == DS_CATEGORY_AD_HOC)
            continue;
        for (size_t s = 0; s < net->n_sets; s++) {
            r->top_ports_total_sets++;
            for (uint32_t k = 0; k < net->sets[s].n; k++)
                sets[net->sets[s].ports[k]]++;
        }
    }
    size_t n = 0;
    for (size_t p = 0; p < 65536; p++)
        n += sets[p] != 0;
    r->top_ports = calloc(n ? n : 1, sizeof(*r->top_ports));
    if (r->top_ports == NULL) {
        free(sets);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    for (size_t p = 0; p < 65536; p++) {
        if (sets[p] != 0)
            r->top_ports[r->n_top_ports++] = (ds_sim_top_port){(uint16_t)p, sets[p]};
    }
    qsort(r->top_ports, r->n_top_ports, sizeof(*r->top_ports), cmp_top);
    free(sets);
    return DS_OK;
}

static int cmp_block_month(const void *a, const void *b)
{
    const ds_sim_block_month *x = a, *y = b;
    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    return (x->month > y->month) - (x->month < y->month);
}

ds_status ds_sim_truth_compute(const ds_sim_truth *t, ds_sim_result **out, ds_error *err)
{
    *out = NULL;
    ds_status st = DS_OK;
    scan *scans = NULL;
    size_t n_scans = 0, n_bm = 0;
    ds_sim_result *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    r->darknet_size = t->size;
    r->alpha_addresses = t->alpha_addresses;
    r->n_months = t->n_months;
    r->windows = calloc(t->n_months, sizeof(*r->windows));
    if (r->windows == NULL)
        goto nomem;
    for (size_t m = 0; m < t->n_months; m++) {
        const month_sum *s = t->months[m];
        if (s == NULL)
            continue;
        r->windows[m] = s->win;
        r->totals.packets += s->win.packets;
        r->totals.syn_packets += s->win.syn_packets;
        r->totals.syn_to_darknet += s->win.syn_to_darknet;
        r->totals.outside_darknet += s->win.outside_darknet;
        for (size_t b = 0; b < s->n_blocks; b++) {
            n_scans += s->blocks[b].n_ports >= t->params.min_ports && s->blocks[b].n_ports > 0;
            n_bm++;
        }
    }
    scans = calloc(n_scans ? n_scans : 1, sizeof(*scans));
    r->block_months = calloc(n_bm ? n_bm : 1, sizeof(*r->block_months));
    if (scans == NULL || r->block_months == NULL)
        goto nomem;
    n_scans = 0;
    for (size_t m = 0; m < t->n_months; m++) {
        const month_sum *s = t->months[m];
        if (s == NULL)
            continue;
        for (size_t b = 0; b < s->n_blocks; b++) {
            const month_block *mb = &s->blocks[b];
            r->block_months[r->n_block_months++] =
                (ds_sim_block_month){mb->block << 16, m, mb->n_ports, mb->max_coverage};
            if (mb->n_ports >= t->params.min_ports && mb->n_ports > 0) {
                scans[n_scans++] = (scan){mb->block, m, mb};
                r->windows[m].scan_blocks++;
            }
        }
    }
    qsort(r->block_months, r->n_block_months, sizeof(*r->block_months), cmp_block_month);
    qsort(scans, n_scans, sizeof(*scans), cmp_scan);

    size_t n_nets = 0;
    for (size_t i = 0, j; i < n_scans; i = j) {
        for (j = i; j < n_scans && scans[j].block == scans[i].block; j++)
            ;
        n_nets += j - i >= t->params.min_windows;
    }
    r->nets = calloc(n_nets ? n_nets : 1, sizeof(*r->nets));
    if (r->nets == NULL)
        goto nomem;
    for (size_t i = 0, j; i < n_scans; i = j) {
        for (j = i; j < n_scans && scans[j].block == scans[i].block; j++)
            ;
        if (j - i < t->params.min_windows)
            continue;
        ds_sim_net *net = &r->nets[r->n_nets++];
        net->block = scans[i].block << 16;
        net->sets = calloc(j - i, sizeof(*net->sets));
        if (net->sets == NULL)
            goto nomem;
        net->ports_min = UINT32_MAX;
        for (size_t k = i; k < j; k++) {
            ds_sim_port_set *ps = &net->sets[net->n_sets];
            ps->month = scans[k].month;
            ps->n = scans[k].mb->n_ports;
            ps->ports = malloc(ps->n * sizeof(*ps->ports));
            if (ps->ports == NULL)
                goto nomem;
            memcpy(ps->ports, scans[k].mb->ports, ps->n * sizeof(*ps->ports));
            net->n_sets++;
            if (ps->n > net->ports_max)
                net->ports_max = ps->n;
            if (ps->n < net->ports_min)
                net->ports_min = ps->n;
        }
        st = ds_sim_similarity(net->sets, net->n_sets, &t->params, &net->jaccard_median,
                               &net->simpson_median, &net->category, err);
        if (st == DS_OK)
            st = host_facts(t, net, err);
        if (st != DS_OK)
            goto fail;
    }
    st = table2(r, err);
    if (st != DS_OK)
        goto fail;
    free(scans);
    *out = r;
    return DS_OK;
nomem:
    st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
fail:
    free(scans);
    ds_sim_result_free(r);
    return st;
}

void ds_sim_result_free(ds_sim_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_nets; i++) {
        for (size_t s = 0; s < r->nets[i].n_sets; s++)
            free(r->nets[i].sets[s].ports);
        free(r->nets[i].sets);
    }
    free(r->nets);
    free(r->windows);
    free(r->top_ports);
    free(r->block_months);
    free(r);
}
