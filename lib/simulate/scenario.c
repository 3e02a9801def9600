/*
 * scenario.c - the simulator's scenarios (a const registry) and how each is planned: the
 * darknet and its sensors, the period, the planted constant scanners with their port sets
 * month by month, and the distractors that must not be detected.
 *
 * Port sets are planned per category and checked with the oracle's own similarity code
 * (ds_sim_similarity): a routine block keeps one set (months drop a few of its ports), a
 * semi-routine block grows and shrinks around a stable core, an ad-hoc block changes its set
 * from month to month, mostly dense high-port ranges around a few common ports. A plan that
 * does not give its category is drawn again.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulate/plan.h"

/* ---- commonly scanned ports ------------------------------------------------------------ */

/* nmap's most frequent TCP ports, then ports of IoT, databases, remote control and ICS. */
const uint16_t ds_sim_popular_ports[] = {
    22,    3306,  80,    21,    443,   8080,  23,    3389,  110,  8443,  25,    445,  139,
    143,   53,    135,   1723,  111,   995,   993,   5900,  1025, 587,   8888,  199,  1720,
    465,   548,   113,   81,    6001,  10000, 514,   5060,  179,  1026,  2000,  8000, 32768,
    554,   26,    1433,  49152, 2001,  515,   8008,  49154, 1027, 5666,  646,   5000, 5631,
    631,   49153, 8081,  2049,  88,    79,    5800,  106,   2121, 1110,  49155, 6000, 513,
    990,   5357,  427,   49156, 543,   544,   5101,  144,   7,    389,   8009,  3128, 444,
    9999,  5009,  7070,  5190,  3000,  5432,  1900,  3986,  13,   1029,  9,     5051, 6646,
    49157, 1028,  873,   1755,  2717,  4899,  9100,  119,   37,   2323,  7547,  5555, 8291,
    37215, 52869, 60001, 9200,  6379,  27017, 11211, 502,   102,  47808, 1883,  5683, 2375,
    2376,  5985,  5986,  9000,  9090,  8088,  8181,  8888,  7001, 7002,  50000, 4443, 10443,
    2222,  2082,  2083,  2086,  2087,  8880,  8889,  9443,  5901, 5902,  1521,  1080, 3128,
    8118,  4786,  161,   623,   20000, 44818, 1911,  2404,  4911, 9600,  18245, 8291, 8728,
};
const size_t ds_sim_popular_ports_count =
    sizeof(ds_sim_popular_ports) / sizeof(ds_sim_popular_ports[0]);

/* The paper's Table 2: the ten most frequent ports of routine and semi-routine port sets,
 * with their frequency in percent; planned sets include them about that often. */
static const struct {
    uint16_t port;
    unsigned percent;
} table2[] = {{22, 95},   {3306, 95}, {80, 91},   {21, 91},  {443, 89},
              {8080, 89}, {23, 88},   {3389, 85}, {110, 83}, {8443, 83}};

/* ---- the paper's Table 3 ------------------------------------------------------------------ */

#define R  DS_CATEGORY_ROUTINE
#define S  DS_CATEGORY_SEMI_ROUTINE
#define AH DS_CATEGORY_AD_HOC
#define ZM SIM_TOOL_ZMAP
#define MS SIM_TOOL_MASSCAN
#define OT SIM_TOOL_OTHER

/*
 * The 34 blocks: letter, source range, Table 3's country, category as printed, category
 * simulated, first and last month (0 = 2018-07), port-set size max and min, documented (✓),
 * tool. Table 3 as printed lists 5 routine, 5 semi-routine and 24 ad-hoc blocks, while the
 * paper's text (and METHOD.md) counts 6, 6 and 22: s (33 to 41 ports, the narrowest range of
 * the ad-hoc rows) is simulated as routine and l (130 to 352, a US block with gamma 100% like
 * the semi-routine ones) as semi-routine, so that the simulation has the counted 6/6/22.
 */
static const sim_paper_row paper_rows[] = {
    {"a", "paper-a", "IE", AH, AH, 0, 11, 757, 130, false, MS, false, false},
    {"b", "paper-b", "RU", AH, AH, 0, 7, 330, 50, false, MS, false, false},
    {"c", "shadowserver-he", "US", S, S, 0, 11, 101, 39, true, ZM, false, false},
    {"d", "paper-d", "BG", AH, AH, 0, 7, 317, 65, false, OT, false, false},
    {"e", "paper-e", "BG", AH, AH, 0, 7, 1411, 227, false, MS, false, false},
    {"f", "modat", "NL", S, S, 0, 11, 330, 31, true, OT, false, false},
    {"g", "paper-g", "PL", AH, AH, 2, 8, 423, 48, false, MS, false, false},
    {"h", "paper-h", "NL", AH, AH, 1, 11, 869, 40, false, MS, false, false},
    {"i", "paper-i", "RU", AH, AH, 2, 10, 222, 102, false, OT, false, false},
    {"j", "paper-j", "RU", AH, AH, 0, 11, 4043, 135, false, MS, false, false},
    {"k", "censys", "US", R, R, 4, 11, 221, 221, true, ZM, false, false},
    {"l", "paper-l", "US", AH, S, 0, 11, 352, 130, false, ZM, false, false},
    {"m", "paper-m", "UZ", AH, AH, 0, 7, 311, 40, false, MS, false, false},
    {"n", "paper-n", "CN", AH, AH, 6, 11, 297, 198, false, MS, false, false},
    {"o", "paper-o", "CN", S, S, 0, 11, 284, 35, false, OT, false, false},
    {"p", "paper-p", "CN", S, S, 2, 11, 480, 50, false, ZM, false, false},
    {"q", "paper-q", "JP", R, R, 2, 11, 35, 30, false, ZM, false, false},
    {"r", "paper-r", "US", S, S, 0, 11, 172, 32, false, ZM, false, false},
    {"s", "paper-s", "HK", AH, R, 2, 11, 41, 33, false, OT, false, false},
    {"t", "paper-t", "UA", AH, AH, 1, 7, 10430, 182, false, MS, false, false},
    {"u", "paper-u", "MD", AH, AH, 0, 10, 497, 117, false, MS, false, false},
    {"v", "paper-v", "RU", AH, AH, 5, 11, 5745, 1759, false, MS, false, false},
    {"w", "paper-w", "NL", AH, AH, 0, 11, 896, 529, false, OT, false, false},
    {"x", "paper-x", "LV", AH, AH, 5, 11, 313, 75, false, MS, false, false},
    {"y", "paper-y", "RU", AH, AH, 4, 9, 939, 237, false, MS, false, false},
    {"z", "paper-z", "GB", AH, AH, 0, 11, 271, 30, false, OT, false, false},
    {"aa", "paper-aa", "RU", AH, AH, 5, 11, 1017, 252, false, MS, false, false},
    {"ab", "paper-ab", "RU", AH, AH, 0, 7, 826, 66, false, MS, false, false},
    {"ac", "paper-ac", "RO", AH, AH, 0, 11, 121, 31, false, OT, false, false},
    {"ad", "paper-ad", "RO", AH, AH, 6, 11, 426, 111, false, MS, false, false},
    {"ae", "paper-ae", "NL", AH, AH, 2, 11, 192, 37, false, OT, false, false},
    {"af", "paper-af", "US", R, R, 0, 11, 97, 83, false, ZM, false, false},
    {"ag", "shodan", "US", R, R, 4, 11, 108, 84, true, OT, false, false},
    {"ah", "paper-ah", "US", R, R, 1, 11, 82, 43, false, ZM, false, false},
};

/*
 * NICT's survey of the scanning organisations its darknet saw in 2025 gives, per organisation,
 * the TCP ports scanned and the days observed: Censys all 65,535 ports on 365 days, Shodan
 * 4,141 (365), Shadowserver 305 (365), Stretchoid 306 (316), Rapid7 Sonar 148 (184), Modat
 * 13,531 (363). The ports are monthly maxima here, days become months (316 days: 10, 184: 6),
 * the monthly minima and the categories are assumptions. driftnet (also all ports, 365 days)
 * is left out: no list shipped in data/scanners/ names its ranges.
 */
static const sim_paper_row modern_rows[] = {
    {"censys", "censys-2025", "US", R, R, 0, 11, 65535, 65535, true, ZM, true, false},
    {"shodan", "shodan", "US", R, R, 0, 11, 4141, 3900, true, OT, false, false},
    {"shadowserver", "shadowserver", "US", R, R, 0, 11, 305, 290, true, ZM, false, false},
    {"stretchoid", "stretchoid", "US", S, S, 1, 10, 306, 180, true, MS, false, false},
    {"rapid7", "rapid7", "GB", S, S, 3, 8, 148, 90, true, OT, false, false},
    {"modat", "modat", "NL", AH, AH, 0, 11, 13531, 8000, true, MS, false, false},
};

/* The small scenario's constant scanners (first month 2018-07, 8 months). small-edge sweeps
 * exactly 30 ports at exactly ceil(alpha |D|) addresses in exactly 6 months: every threshold
 * is met with no room. */
static const sim_paper_row small_rows[] = {
    {"censys", "censys", "US", R, R, 0, 7, 40, 36, true, ZM, false, false},
    {"shadowserver", "shadowserver-he", "US", S, S, 0, 7, 55, 30, true, ZM, false, false},
    {"adhoc", "small-adhoc", "RU", AH, AH, 1, 6, 45, 30, false, MS, false, false},
    {"edge", "small-edge", "VN", R, R, 2, 7, 30, 30, false, MS, false, true},
};

#undef R
#undef S
#undef AH
#undef ZM
#undef MS
#undef OT

/* ---- darknets ------------------------------------------------------------------------- */

typedef struct darknet_line {
    const char *cidr;
    size_t sensor;
} darknet_line;

/*
 * The paper's four sensors in four /8s with 899, 505, 256 and 253 addresses, listed as real
 * allocations are (not one aligned prefix each). The space is special-purpose address space
 * (RFC 2544 benchmarking 198.18.0.0/15, TEST-NET-1 and -3, RFC 6598 100.64.0.0/10, IETF
 * 192.0.0.0/24), so that no real network is cast as a darknet.
 */
static const char *const paper_sensors[] = {"I", "II", "III", "IV"};
static const darknet_line paper_darknet[] = {
    {"198.18.0.0/23", 0},    {"198.18.4.0/24", 0},    {"198.18.5.0/25", 0},
    {"198.18.7.4/31", 0},    {"198.18.7.9/32", 0},    {"192.0.2.0/24", 1},
    {"192.0.0.0/25", 1},     {"192.0.0.128/26", 1},   {"192.0.0.192/27", 1},
    {"192.0.0.224/28", 1},   {"192.0.0.240/29", 1},   {"192.0.0.248/32", 1},
    {"100.64.0.128/25", 2},  {"100.64.1.0/25", 2},    {"203.0.113.0/25", 3},
    {"203.0.113.128/26", 3}, {"203.0.113.192/27", 3}, {"203.0.113.224/28", 3},
    {"203.0.113.240/29", 3}, {"203.0.113.248/30", 3}, {"203.0.113.252/32", 3},
};

/* The small scenario: two sensors, 41 + 22 = 63 addresses. */
static const char *const small_sensors[] = {"east", "west"};
static const darknet_line small_darknet[] = {
    {"198.18.0.0/27", 0},  {"198.18.0.32/29", 0},  {"198.18.1.3/32", 0},
    {"203.0.113.0/28", 1}, {"203.0.113.16/30", 1}, {"203.0.113.20/31", 1},
};

/* ---- helpers -------------------------------------------------------------------------- */

static ds_status parse_cidr(const char *text, size_t len, uint32_t *addr, unsigned *plen)
{
    unsigned a, b, c, d, l = 32;
    char buf[32];
    if (len >= sizeof(buf))
        return DS_ERR_FORMAT;
    memcpy(buf, text, len);
    buf[len] = '\0';
    int n = sscanf(buf, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &l);
    if (n < 4 || a > 255 || b > 255 || c > 255 || d > 255 || l > 32)
        return DS_ERR_FORMAT;
    *addr = a << 24 | b << 16 | c << 8 | d;
    *plen = l;
    return DS_OK;
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

uint32_t ds_sim_scaled(const sim_plan *plan, uint32_t s)
{
    unsigned knee = plan->scenario->knee;
    if (s <= knee || plan->scale >= 1.0)
        return s;
    return knee + (uint32_t)llround((double)(s - knee) * plan->scale);
}

static ds_status add_actor(sim_plan *plan, const char *name, sim_kind kind, sim_actor **out,
                           ds_error *err)
{
    if (plan->n_actors == plan->cap_actors) {
        size_t cap = plan->cap_actors ? plan->cap_actors * 2 : 64;
        sim_actor *g = realloc(plan->actors, cap * sizeof(*g));
        if (g == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        plan->actors = g;
        plan->cap_actors = cap;
    }
    sim_actor *a = &plan->actors[plan->n_actors++];
    memset(a, 0, sizeof(*a));
    snprintf(a->name, sizeof(a->name), "%s", name);
    a->kind = kind;
    a->tool = SIM_TOOL_OTHER;
    a->targets = SIM_TARGET_DARKNET;
    *out = a;
    return DS_OK;
}

/* The planning stream of an actor: independent of the packet streams. */
static void plan_rng(const sim_plan *plan, const sim_actor *a, ds_sim_rng *r)
{
    ds_sim_rng_seed(r, plan->seed, (uint64_t)(a - plan->actors) + 1, 0, 0x706c616e);
}

/*
 * set_hosts - the actor's hosts from its range: several hosts in the first CIDR (which will
 * be the top /24: weight 4 each), one to three in the others (weight 1), extra hosts given
 * explicitly (weight `extra_weight`).
 */
static ds_status set_hosts(sim_actor *a, const ds_sim_range *range, ds_sim_rng *r, ds_error *err)
{
    uint32_t hosts[64], weights[64];
    uint32_t n = 0;
    const char *p = range->hosts;
    bool first = true;
    while (*p != '\0' && n < 48) {
        size_t len = strcspn(p, ",");
        uint32_t addr;
        unsigned plen;
        if (parse_cidr(p, len, &addr, &plen) != DS_OK)
            return ds_error_set(err, DS_ERR_INVALID, "range %s: bad CIDR", range->name);
        uint64_t size = (uint64_t)1 << (32 - plen);
        uint32_t want = size == 1 ? 1
                        : first   ? (uint32_t)ds_sim_rng_range(r, 3, 6)
                                  : (uint32_t)ds_sim_rng_range(r, 1, 3);
        for (uint32_t k = 0; k < want && n < 48; k++) {
            uint32_t h = addr;
            if (size > 2) {
                bool dup;
                do {
                    h = addr + 1 + (uint32_t)ds_sim_rng_below(r, size - 2);
                    dup = false;
                    for (uint32_t i = 0; i < n; i++)
                        dup |= hosts[i] == h;
                } while (dup);
            }
            hosts[n] = h;
            weights[n] = first ? 4 : 1;
            n++;
        }
        first = false;
        p += len;
        if (*p == ',')
            p++;
    }
    a->hosts = malloc(n * sizeof(*a->hosts));
    a->cum_weight = malloc(n * sizeof(*a->cum_weight));
    a->ttl = malloc(n);
    if (a->hosts == NULL || a->cum_weight == NULL || a->ttl == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        static const uint8_t initial[] = {64, 128, 255};
        a->hosts[i] = hosts[i];
        sum += weights[i];
        a->cum_weight[i] = sum;
        a->ttl[i] = (uint8_t)(initial[ds_sim_rng_below(r, 3)] - ds_sim_rng_range(r, 8, 25));
    }
    a->n_hosts = n;
    a->range = range;
    return DS_OK;
}

/* one_host - a single host at addr (weight 1). */
static ds_status one_host(sim_actor *a, uint32_t addr, ds_error *err)
{
    a->hosts = malloc(sizeof(*a->hosts));
    a->cum_weight = malloc(sizeof(*a->cum_weight));
    a->ttl = malloc(1);
    if (a->hosts == NULL || a->cum_weight == NULL || a->ttl == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    a->hosts[0] = addr;
    a->cum_weight[0] = 1;
    a->ttl[0] = 52;
    a->n_hosts = 1;
    return DS_OK;
}

/* alpha_addresses - ceil(alpha |D|): the fewest addresses that make a scan-target port. */
static uint64_t alpha_addresses(const sim_plan *plan)
{
    return (plan->params.alpha.num * plan->n_dark + plan->params.alpha.den - 1) /
           plan->params.alpha.den;
}

static uint32_t range_block(const ds_sim_range *range)
{
    uint32_t addr;
    unsigned plen;
    parse_cidr(range->hosts, strcspn(range->hosts, ","), &addr, &plen);
    return addr & 0xffff0000u;
}

/* ---- port sets -------------------------------------------------------------------------- */

/* A growable set of ports under construction (distinct, any order). */
typedef struct portvec {
    uint16_t v[65536];
    uint32_t n;
    uint8_t in[65536];
} portvec;

static void pv_clear(portvec *pv)
{
    for (uint32_t i = 0; i < pv->n; i++)
        pv->in[pv->v[i]] = 0;
    pv->n = 0;
}

static bool pv_add(portvec *pv, uint16_t p)
{
    if (p == 0 || pv->in[p])
        return false;
    pv->in[p] = 1;
    pv->v[pv->n++] = p;
    return true;
}

/*
 * universe - n distinct ports in planning order: for all_ports, n ports spread evenly over
 * 1..65535; otherwise the Table 2 ports about as often as the paper saw them, then common
 * ports (each with probability 7/8), then random ports.
 */
static void universe(portvec *pv, ds_sim_rng *r, uint32_t n, bool all_ports)
{
    pv_clear(pv);
    if (all_ports) {
        for (uint32_t i = 0; i < n; i++)
            pv_add(pv, (uint16_t)(1 + (uint64_t)i * 65535 / n));
        return;
    }
    for (size_t i = 0; i < sizeof(table2) / sizeof(table2[0]) && pv->n < n; i++) {
        if (ds_sim_rng_chance(r, table2[i].percent, 100))
            pv_add(pv, table2[i].port);
    }
    for (size_t i = 0; i < ds_sim_popular_ports_count && pv->n < n; i++) {
        if (ds_sim_rng_chance(r, 7, 8))
            pv_add(pv, ds_sim_popular_ports[i]);
    }
    while (pv->n < n)
        pv_add(pv, (uint16_t)ds_sim_rng_range(r, 1, 65535));
}

/* sizes - the planned |P_t| of k scan months: max and min once each, the rest by category. */
static void plan_sizes(uint32_t *sizes, size_t k, uint32_t max, uint32_t min, ds_category cat,
                       ds_sim_rng *r)
{
    uint32_t lo = min;
    if (cat == DS_CATEGORY_ROUTINE) {
        uint32_t slack = (uint32_t)ceil(max * 0.05);
        lo = max - (slack < 1 ? 1 : slack);
        if (lo < min)
            lo = min;
    }
    for (size_t i = 0; i < k; i++)
        sizes[i] = (uint32_t)ds_sim_rng_range(r, lo, max);
    size_t imax = (size_t)ds_sim_rng_below(r, k);
    sizes[imax] = max;
    if (k > 1) {
        size_t imin = (imax + 1 + (size_t)ds_sim_rng_below(r, k - 1)) % k;
        sizes[imin] = min;
    }
}

/* Scratch space for planning one block. */
typedef struct plan_scratch {
    portvec pv, month;
    uint32_t idx[65536];
} plan_scratch;

/*
 * month_set - into set (ascending) the planned set of one month, of `size` ports:
 *   routine: a random subset of the base set (base->n = the largest size);
 *   semi-routine: the stable core (base->v[0..core)), the first ports of a fixed extension
 *     (base->v[core..core + ext)) and, for churn_permille of the ports beyond the core, ports
 *     drawn from a pool (the rest of base): the set grows and shrinks around its core;
 *   ad-hoc: a few common ports (the core) and one or two dense runs of high ports placed anew.
 */
static void month_set(plan_scratch *s, ds_category cat, const portvec *base, uint32_t core,
                      uint32_t ext, uint32_t churn_permille, uint32_t size, ds_sim_rng *r,
                      uint16_t *set)
{
    portvec *m = &s->month;
    pv_clear(m);
    if (cat == DS_CATEGORY_ROUTINE) {
        for (uint32_t i = 0; i < base->n; i++)
            s->idx[i] = i;
        ds_sim_rng_sample(r, s->idx, base->n, size);
        for (uint32_t i = 0; i < size; i++)
            pv_add(m, base->v[s->idx[i]]);
    } else if (cat == DS_CATEGORY_SEMI_ROUTINE) {
        uint32_t grown = size - core;
        uint32_t churn = (uint32_t)(((uint64_t)grown * churn_permille + 500) / 1000);
        for (uint32_t i = 0; i < core + grown - churn; i++)
            pv_add(m, base->v[i]);
        uint32_t pool = base->n - core - ext;
        for (uint32_t i = 0; i < pool; i++)
            s->idx[i] = core + ext + i;
        ds_sim_rng_sample(r, s->idx, pool, churn);
        for (uint32_t i = 0; i < churn; i++)
            pv_add(m, base->v[s->idx[i]]);
    } else {
        for (uint32_t i = 0; i < core; i++)
            pv_add(m, base->v[i]);
        /* one or two dense runs of high ports, placed anew every month */
        uint32_t runs = size - m->n > 20 && ds_sim_rng_chance(r, 1, 2) ? 2 : 1;
        for (uint32_t run = 0; run < runs; run++) {
            uint32_t want = run + 1 == runs ? size : m->n + (size - m->n) / 2;
            uint32_t len = want - m->n;
            int64_t last_start = 65535 - 2 * (int64_t)len - 1;
            uint32_t start = (uint32_t)ds_sim_rng_range(
                r, 1024, last_start > 1024 ? (uint64_t)last_start : 1024);
            for (uint32_t p = start; m->n < want && p <= 65535; p++)
                pv_add(m, (uint16_t)p);
        }
        while (m->n < size)
            pv_add(m, (uint16_t)ds_sim_rng_range(r, 1024, 65535));
    }
    memcpy(set, m->v, m->n * sizeof(*set));
    qsort(set, m->n, sizeof(*set), cmp_u16);
}

/*
 * plan_scanner - the months of a planted constant scanner: scan months from first to last
 * (with, when allowed and drawn, one interior month whose sweep stays below alpha), sizes from
 * max to min, sets by category, drawn again until the oracle's similarity gives the category.
 */
static ds_status plan_scanner(sim_plan *plan, sim_actor *a, const sim_paper_row *row,
                              bool allow_gap, ds_sim_rng *r, plan_scratch *s, ds_error *err)
{
    uint32_t max = ds_sim_scaled(plan, row->ports_max);
    uint32_t min = ds_sim_scaled(plan, row->ports_min);
    size_t first = (size_t)row->first, last = (size_t)row->last;
    if (last >= plan->n_months || first > last || min > max || min == 0)
        return ds_error_set(err, DS_ERR_INVALID, "scenario: bad row %s", row->letter);
    size_t span = last - first + 1;
    size_t gap = SIZE_MAX;
    if (allow_gap && span >= plan->params.min_windows + 2 && ds_sim_rng_chance(r, 1, 3))
        gap = first + 1 + (size_t)ds_sim_rng_below(r, span - 2);
    size_t months[SIM_MAX_MONTHS], k = 0;
    for (size_t m = first; m <= last; m++) {
        if (m != gap)
            months[k++] = m;
    }
    uint32_t sizes[SIM_MAX_MONTHS];
    ds_sim_port_set sets[SIM_MAX_MONTHS];
    memset(sets, 0, sizeof(sets));
    for (size_t i = 0; i < k; i++) {
        sets[i].ports = malloc(max * sizeof(uint16_t));
        if (sets[i].ports == NULL) {
            for (size_t j = 0; j < i; j++)
                free(sets[j].ports);
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        }
    }
    ds_status st = DS_OK;
    bool ok = false;
    for (unsigned attempt = 0; attempt < 200 && !ok; attempt++) {
        plan_sizes(sizes, k, max, min, row->category, r);
        uint32_t core = 0, ext = 0, churn = 0, base_n = max;
        if (row->category == DS_CATEGORY_SEMI_ROUTINE) {
            core = (uint32_t)ceil(min * 0.6);
            ext = max - core;
            churn = 400 + 20 * (attempt / 10 > 10 ? 10 : attempt / 10);
            base_n = core + ext + (ext < 8 ? 32 : 4 * ext);
        } else if (row->category == DS_CATEGORY_AD_HOC) {
            core = (uint32_t)(min * 0.15);
            base_n = core;
        }
        if (base_n > 60000)
            base_n = 60000;
        universe(&s->pv, r, base_n, row->all_ports);
        for (size_t i = 0; i < k; i++) {
            month_set(s, row->category, &s->pv, core, ext, churn, sizes[i], r, sets[i].ports);
            sets[i].n = sizes[i];
            sets[i].month = months[i];
        }
        ds_category cat;
        st = ds_sim_similarity(sets, k, &plan->params, NULL, NULL, &cat, err);
        if (st != DS_OK)
            break;
        ok = cat == row->category;
    }
    if (st == DS_OK && !ok)
        st = ds_error_set(err, DS_ERR_INVALID, "scenario: cannot plan block %s as %s", row->letter,
                          ds_category_name(row->category));
    uint64_t thr = alpha_addresses(plan);
    for (size_t i = 0; i < k && st == DS_OK; i++) {
        sim_month_plan *mp = &a->month[months[i]];
        mp->ports = sets[i].ports;
        sets[i].ports = NULL;
        mp->n_ports = sets[i].n;
        mp->cov_lo = (uint32_t)thr;
        mp->cov_hi = row->exact_alpha ? (uint32_t)thr : plan->n_dark;
        mp->scan = true;
        /* a few ports swept over part of D only: below alpha */
        uint32_t n_partial = (uint32_t)ds_sim_rng_below(r, 3);
        mp->partial = malloc((n_partial ? n_partial : 1) * sizeof(uint16_t));
        if (mp->partial == NULL) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            break;
        }
        while (mp->n_partial < n_partial) {
            uint16_t p = (uint16_t)ds_sim_rng_range(r, 1, 65535);
            if (p == 23 || p == 2323 || bsearch(&p, mp->ports, mp->n_ports, sizeof(p), cmp_u16))
                continue;
            mp->partial[mp->n_partial++] = p;
        }
        mp->partial_lo = plan->n_dark / 20;
        mp->partial_hi = (uint32_t)(thr * 3 / 4);
    }
    if (gap != SIZE_MAX && st == DS_OK) {
        /* the gap month sweeps the previous month's set, but never reaches alpha */
        const sim_month_plan *prev = &a->month[gap - 1];
        sim_month_plan *mp = &a->month[gap];
        mp->ports = malloc(prev->n_ports * sizeof(uint16_t));
        if (mp->ports == NULL) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        } else {
            memcpy(mp->ports, prev->ports, prev->n_ports * sizeof(uint16_t));
            mp->n_ports = prev->n_ports;
            mp->cov_lo = plan->n_dark * 35 / 100;
            mp->cov_hi = (uint32_t)(thr * 9 / 10);
        }
    }
    for (size_t i = 0; i < k; i++)
        free(sets[i].ports);
    a->ports_max = max;
    a->ports_min = min;
    return st;
}

/* ---- the scenarios ------------------------------------------------------------------------ */

typedef struct scenario_spec {
    const char *const *sensors;
    size_t n_sensors;
    const darknet_line *darknet;
    size_t n_darknet;
    int year, month;
    size_t n_months;
    const sim_paper_row *rows;
    size_t n_rows;
    bool allow_gaps;
    uint64_t mirai_per_month, noise_per_month;
    uint32_t n_bots;
} scenario_spec;

/* set_darknet - D and its sensors, and the addresses next to D (two on each side of every
 * prefix, when outside D), which belong to the sensor of the prefix they touch. */
static ds_status set_darknet(sim_plan *plan, const scenario_spec *spec, ds_error *err)
{
    plan->n_sensors = spec->n_sensors;
    for (size_t i = 0; i < spec->n_sensors; i++)
        plan->sensor_names[i] = spec->sensors[i];
    uint64_t total = 0;
    for (size_t i = 0; i < spec->n_darknet; i++) {
        sim_prefix *p = &plan->prefixes[plan->n_prefixes++];
        const char *cidr = spec->darknet[i].cidr;
        if (parse_cidr(cidr, strlen(cidr), &p->addr, &p->len) != DS_OK)
            return ds_error_set(err, DS_ERR_INVALID, "scenario: bad darknet prefix %s", cidr);
        p->sensor = spec->darknet[i].sensor;
        total += (uint64_t)1 << (32 - p->len);
    }
    size_t cap_out = 4 * spec->n_darknet;
    uint64_t *keyed = malloc(total * sizeof(*keyed));
    uint64_t *out = malloc(cap_out * sizeof(*out));
    plan->dark = malloc(total * sizeof(*plan->dark));
    plan->dark_sensor = malloc(total);
    plan->outside = malloc(cap_out * sizeof(*plan->outside));
    plan->outside_sensor = malloc(cap_out);
    if (keyed == NULL || out == NULL || plan->dark == NULL || plan->dark_sensor == NULL ||
        plan->outside == NULL || plan->outside_sensor == NULL) {
        free(keyed);
        free(out);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < plan->n_prefixes; i++) {
        uint64_t size = (uint64_t)1 << (32 - plan->prefixes[i].len);
        for (uint64_t k = 0; k < size; k++)
            keyed[n++] = (plan->prefixes[i].addr + k) << 8 | plan->prefixes[i].sensor;
    }
    qsort(keyed, n, sizeof(*keyed), cmp_u64);
    for (size_t i = 0; i < n; i++) {
        plan->dark[i] = (uint32_t)(keyed[i] >> 8);
        plan->dark_sensor[i] = (uint8_t)keyed[i];
        if (i > 0 && plan->dark[i] == plan->dark[i - 1]) {
            free(keyed);
            free(out);
            return ds_error_set(err, DS_ERR_INVALID, "scenario: overlapping darknet prefixes");
        }
    }
    plan->n_dark = (uint32_t)n;
    size_t n_out = 0;
    for (size_t i = 0; i < plan->n_prefixes; i++) {
        int64_t first = plan->prefixes[i].addr;
        int64_t last = first + ((int64_t)1 << (32 - plan->prefixes[i].len)) - 1;
        const int64_t cand[4] = {first - 2, first - 1, last + 1, last + 2};
        for (int c = 0; c < 4; c++) {
            if (cand[c] < 0 || cand[c] > UINT32_MAX)
                continue;
            uint32_t a = (uint32_t)cand[c];
            if (bsearch(&a, plan->dark, n, sizeof(a), cmp_u32))
                continue;
            bool dup = false;
            for (size_t k = 0; k < n_out; k++)
                dup |= (uint32_t)(out[k] >> 8) == a;
            if (!dup)
                out[n_out++] = (uint64_t)a << 8 | plan->prefixes[i].sensor;
        }
    }
    qsort(out, n_out, sizeof(*out), cmp_u64);
    for (size_t i = 0; i < n_out; i++) {
        plan->outside[i] = (uint32_t)(out[i] >> 8);
        plan->outside_sensor[i] = (uint8_t)out[i];
    }
    plan->n_outside = (uint32_t)n_out;
    free(keyed);
    free(out);
    return DS_OK;
}

/* fixed_ports - n distinct ports from the universe (common ports first), ascending. */
static ds_status fixed_ports(sim_month_plan *mp, const uint16_t *src, uint32_t n, ds_error *err)
{
    mp->ports = malloc((n ? n : 1) * sizeof(uint16_t));
    if (mp->ports == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    memcpy(mp->ports, src, n * sizeof(uint16_t));
    qsort(mp->ports, n, sizeof(uint16_t), cmp_u16);
    mp->n_ports = n;
    return DS_OK;
}

/* A distractor that sweeps n ports in months [first, last] at coverage [lo, hi]. */
typedef struct sweep_spec {
    const char *name;
    const char *range;
    sim_kind kind;
    sim_targets targets;
    uint32_t n_ports;
    size_t first, last;
    uint32_t cov_lo, cov_hi;
    bool high_ports; /* random ephemeral ports rather than common ones */
    const char *why;
} sweep_spec;

static ds_status add_sweeper(sim_plan *plan, const sweep_spec *sp, plan_scratch *s, ds_error *err)
{
    sim_actor *a;
    ds_status st = add_actor(plan, sp->name, sp->kind, &a, err);
    if (st != DS_OK)
        return st;
    const ds_sim_range *range = ds_sim_range_find(sp->range);
    if (range == NULL)
        return ds_error_set(err, DS_ERR_INVALID, "scenario: no range %s", sp->range);
    ds_sim_rng r;
    plan_rng(plan, a, &r);
    st = set_hosts(a, range, &r, err);
    if (st != DS_OK)
        return st;
    a->targets = sp->targets;
    a->tool = SIM_TOOL_MASSCAN;
    a->rtx_permille = 20;
    a->why = sp->why;
    if (sp->high_ports) {
        pv_clear(&s->pv);
        while (s->pv.n < sp->n_ports)
            pv_add(&s->pv, (uint16_t)ds_sim_rng_range(&r, 32768, 65535));
    } else {
        universe(&s->pv, &r, sp->n_ports, false);
    }
    for (size_t m = sp->first; m <= sp->last && m < plan->n_months; m++) {
        sim_month_plan *mp = &a->month[m];
        st = fixed_ports(mp, s->pv.v, s->pv.n, err);
        if (st != DS_OK)
            return st;
        mp->cov_lo = sp->cov_lo;
        mp->cov_hi = sp->cov_hi;
    }
    return DS_OK;
}

static ds_status add_volume(sim_plan *plan, const char *name, sim_kind kind, uint64_t per_month,
                            const char *why, sim_actor **out, ds_error *err)
{
    sim_actor *a;
    ds_status st = add_actor(plan, name, kind, &a, err);
    if (st != DS_OK)
        return st;
    a->why = why;
    ds_sim_rng r;
    plan_rng(plan, a, &r);
    for (size_t m = 0; m < plan->n_months; m++) {
        /* the volume varies by up to a quarter from month to month */
        a->month[m].volume = per_month - per_month / 8 + ds_sim_rng_below(&r, per_month / 4 + 1);
    }
    if (out != NULL)
        *out = a;
    return DS_OK;
}

static bool in_planted_block(const sim_plan *plan, uint32_t addr)
{
    for (size_t i = 0; i < plan->n_actors; i++) {
        const sim_actor *a = &plan->actors[i];
        if (a->range != NULL && (range_block(a->range) >> 16) == (addr >> 16))
            return true;
    }
    return false;
}

static ds_status make_bots(sim_plan *plan, uint32_t n, ds_error *err)
{
    plan->bots = malloc((n ? n : 1) * sizeof(*plan->bots));
    if (plan->bots == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_sim_rng r;
    ds_sim_rng_seed(&r, plan->seed, 0, 0, 0x626f7473);
    while (plan->n_bots < n) {
        uint32_t a = (uint32_t)ds_sim_rng_next(&r);
        if (!ds_sim_reserved(plan, a) && !in_planted_block(plan, a))
            plan->bots[plan->n_bots++] = a;
    }
    return DS_OK;
}

static ds_status build(sim_plan *plan, const scenario_spec *spec, ds_error *err)
{
    ds_status st = set_darknet(plan, spec, err);
    if (st != DS_OK)
        return st;
    plan->year = spec->year;
    plan->month = spec->month;
    plan->n_months = spec->n_months;
    ds_sim_truth_params_paper(&plan->params);
    plan_scratch *s = malloc(sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    memset(&s->pv, 0, sizeof(s->pv));
    memset(&s->month, 0, sizeof(s->month));

    /* the planted constant scanners */
    for (size_t i = 0; i < spec->n_rows && st == DS_OK; i++) {
        const sim_paper_row *row = &spec->rows[i];
        sim_actor *a;
        st = add_actor(plan, row->letter, SIM_SCANNER, &a, err);
        if (st != DS_OK)
            break;
        const ds_sim_range *range = ds_sim_range_find(row->range);
        if (range == NULL) {
            st = ds_error_set(err, DS_ERR_INVALID, "scenario: no range %s", row->range);
            break;
        }
        ds_sim_rng r;
        plan_rng(plan, a, &r);
        st = set_hosts(a, range, &r, err);
        if (st != DS_OK)
            break;
        a->tool = row->tool;
        a->rtx_permille = (uint32_t)ds_sim_rng_range(&r, 20, 80);
        a->expect_constant = true;
        a->category = row->category;
        a->paper = row;
        st = plan_scanner(plan, a, row, spec->allow_gaps, &r, s, err);
    }
    /* a Mirai bot in every third planted block, in a /24 of its own: a small Mirai share */
    size_t n_rows = plan->n_actors;
    for (size_t i = 1; i < n_rows && st == DS_OK; i += 3) {
        char name[48];
        snprintf(name, sizeof(name), "mirai-in-%.20s", plan->actors[i].name);
        uint32_t block = range_block(plan->actors[i].range);
        sim_actor *a;
        st = add_volume(plan, name, SIM_MIRAI, 6,
                        "a Mirai bot inside a planted block: a small Mirai share, nothing more", &a,
                        err);
        if (st == DS_OK)
            st = one_host(a, block | (uint32_t)(200 + i % 50) << 8 | (uint32_t)(7 + i), err);
    }

    /* distractors */
    const uint32_t thr = (uint32_t)alpha_addresses(plan);
    const uint32_t nd = plan->n_dark, last = (uint32_t)plan->n_months - 1;
    const uint32_t half = nd / 2;
    const sweep_spec sweeps[] = {
        {"under-alpha", "under-alpha", SIM_SCANNER, SIM_TARGET_DARKNET, 40, 0, last, thr - 1,
         thr - 1, false,
         "every port reaches ceil(alpha |D|) - 1 darknet addresses: one short of alpha"},
        {"under-ports", "under-ports", SIM_SCANNER, SIM_TARGET_DARKNET, plan->params.min_ports - 1,
         0, last, thr, nd, false,
         "n - 1 ports over at least alpha of D every month: one port short of n"},
        {"under-months", "under-months", SIM_SCANNER, SIM_TARGET_DARKNET, 40, 0,
         plan->params.min_windows - 2, thr, nd, false,
         "Internet-wide scans in m - 1 months: one month short of m"},
        {"split-1", "split-1", SIM_SCANNER, SIM_TARGET_EVEN, 40, 0, last, half * 9 / 10, nd, false,
         "one scanning system split over two blocks: this one sweeps half of D"},
        {"split-2", "split-2", SIM_SCANNER, SIM_TARGET_ODD, 40, 0, last, half * 9 / 10, nd, false,
         "one scanning system split over two blocks: this one sweeps the other half"},
        {"backscatter", "backscatter", SIM_BACKSCATTER, SIM_TARGET_DARKNET, 40, 0, last,
         nd * 9 / 10, nd, true,
         "backscatter of floods with spoofed darknet sources: SYN-ACK and RST, no SYN"},
        {"udp", "udp", SIM_UDP, SIM_TARGET_DARKNET, 50, 0, last, thr, nd, false,
         "UDP sweeps of all of D: not TCP SYN"},
        {"outside", "outside", SIM_SCANNER, SIM_TARGET_OUTSIDE, 40, 0, last, plan->n_outside,
         plan->n_outside, false,
         "sweeps only the addresses next to the darknet, outside D (outside_darknet)"},
    };
    for (size_t i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]) && st == DS_OK; i++)
        st = add_sweeper(plan, &sweeps[i], s, err);
    if (st == DS_OK)
        st = add_volume(plan, "mirai", SIM_MIRAI, spec->mirai_per_month,
                        "a Mirai-like botnet over thousands of blocks: ports 23 and 2323, "
                        "sequence number = destination",
                        NULL, err);
    if (st == DS_OK)
        st = add_volume(plan, "noise", SIM_NOISE, spec->noise_per_month,
                        "random sources, ports, flags and protocols", NULL, err);
    if (st == DS_OK)
        st = make_bots(plan, spec->n_bots, err);
    free(s);
    return st;
}

/* ---- the registry ----------------------------------------------------------------------- */

static const scenario_spec paper_spec = {
    paper_sensors,
    4,
    paper_darknet,
    sizeof(paper_darknet) / sizeof(paper_darknet[0]),
    2018,
    7,
    12,
    paper_rows,
    sizeof(paper_rows) / sizeof(paper_rows[0]),
    true,
    100000,
    40000,
    20000,
};
static const scenario_spec modern_spec = {
    paper_sensors,
    4,
    paper_darknet,
    sizeof(paper_darknet) / sizeof(paper_darknet[0]),
    2025,
    1,
    12,
    modern_rows,
    sizeof(modern_rows) / sizeof(modern_rows[0]),
    false,
    100000,
    40000,
    20000,
};
static const scenario_spec small_spec = {
    small_sensors,
    2,
    small_darknet,
    sizeof(small_darknet) / sizeof(small_darknet[0]),
    2018,
    7,
    8,
    small_rows,
    sizeof(small_rows) / sizeof(small_rows[0]),
    true,
    1500,
    3000,
    2000,
};

typedef struct scenario_def {
    ds_sim_scenario pub;
    const scenario_spec *spec;
} scenario_def;

static const scenario_def registry[] = {
    {{"paper",
      "the paper's setting: 4 sensors (1,913 addresses), 2018-07 to 2019-06, Table 3's 34 "
      "blocks, distractors",
      0.02, 100},
     &paper_spec},
    {{"modern",
      "what darknets see today: the scanning organisations of NICT's 2025 survey (Censys, "
      "Shodan, Shadowserver, Stretchoid, Rapid7, Modat), 2025",
      0.005, 100},
     &modern_spec},
    {{"small",
      "seconds to generate and analyse: 2 sensors (63 addresses), 8 months, 4 planted blocks, "
      "every distractor",
      1.0, 100},
     &small_spec},
};

size_t ds_sim_scenario_count(void)
{
    return sizeof(registry) / sizeof(registry[0]);
}

const ds_sim_scenario *ds_sim_scenario_at(size_t i)
{
    return i < ds_sim_scenario_count() ? &registry[i].pub : NULL;
}

const ds_sim_scenario *ds_sim_scenario_find(const char *name)
{
    for (size_t i = 0; i < ds_sim_scenario_count(); i++) {
        if (strcmp(registry[i].pub.name, name) == 0)
            return &registry[i].pub;
    }
    return NULL;
}

ds_status ds_sim_plan_build(sim_plan *plan, const ds_sim_scenario *scenario, uint64_t seed,
                            double scale, ds_error *err)
{
    memset(plan, 0, sizeof(*plan));
    plan->scenario = scenario;
    plan->seed = seed;
    plan->scale = scale;
    const scenario_spec *spec = NULL;
    for (size_t i = 0; i < ds_sim_scenario_count(); i++) {
        if (&registry[i].pub == scenario)
            spec = registry[i].spec;
    }
    if (spec == NULL)
        return ds_error_set(err, DS_ERR_INVALID, "unknown scenario");
    ds_status st = build(plan, spec, err);
    if (st != DS_OK)
        ds_sim_plan_free(plan);
    return st;
}

void ds_sim_plan_free(sim_plan *plan)
{
    for (size_t i = 0; i < plan->n_actors; i++) {
        sim_actor *a = &plan->actors[i];
        for (size_t m = 0; m < SIM_MAX_MONTHS; m++) {
            free(a->month[m].ports);
            free(a->month[m].partial);
        }
        free(a->hosts);
        free(a->cum_weight);
        free(a->ttl);
    }
    free(plan->actors);
    free(plan->dark);
    free(plan->dark_sensor);
    free(plan->outside);
    free(plan->outside_sensor);
    free(plan->bots);
    memset(plan, 0, sizeof(*plan));
}
