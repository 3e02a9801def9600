/*
 * generate.c - one actor's packets in one month (see plan.h): scanners sweep their targets
 * port by port with a coverage drawn per port, with retransmissions; Mirai bots, backscatter,
 * UDP sweeps and random noise fill the rest of what a darknet sees. Every draw comes from the
 * stream (seed, actor, month), so months and actors can be generated in any order.
 */
#include <stdlib.h>
#include <string.h>

#include "simulate/plan.h"

#define NS_PER_S 1000000000ll

/* put - append p to the file (sensor, day) it belongs to. */
static ds_status put(sim_month_out *out, const ds_packet *p, ds_error *err)
{
    size_t day = (size_t)((p->ts_ns - out->start_ns) / (86400 * NS_PER_S));
    sim_packets *b = &out->buckets[p->file_index * out->days + day];
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        ds_packet *g = realloc(b->v, cap * sizeof(*g));
        if (g == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        b->v = g;
        b->cap = cap;
    }
    b->v[b->n++] = *p;
    out->packets++;
    return DS_OK;
}

/* The month being generated. */
typedef struct month_ctx {
    const sim_plan *plan;
    const sim_actor *a;
    ds_sim_rng rng;
    int64_t start_ns, len_ns;
    sim_month_out *out;
} month_ctx;

static uint32_t pick_host(month_ctx *c, size_t *idx)
{
    const sim_actor *a = c->a;
    uint32_t total = a->cum_weight[a->n_hosts - 1];
    uint32_t x = (uint32_t)ds_sim_rng_below(&c->rng, total);
    size_t lo = 0, hi = a->n_hosts - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->cum_weight[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    *idx = lo;
    return a->hosts[lo];
}

/* target - the address and sensor of target t: darknet index, or n_dark + outside index. */
static uint32_t target(const sim_plan *plan, uint32_t t, uint32_t *sensor)
{
    if (t < plan->n_dark) {
        *sensor = plan->dark_sensor[t];
        return plan->dark[t];
    }
    *sensor = plan->outside_sensor[t - plan->n_dark];
    return plan->outside[t - plan->n_dark];
}

/* syn - one TCP SYN of a scanner (or a UDP probe), with the tool's fingerprint, and now and
 * then its retransmission a few seconds later. */
static ds_status syn(month_ctx *c, uint32_t t, uint16_t port, uint8_t proto, ds_error *err)
{
    const sim_actor *a = c->a;
    ds_sim_rng *r = &c->rng;
    uint32_t sensor;
    size_t h;
    ds_packet p;
    memset(&p, 0, sizeof(p));
    p.dst = target(c->plan, t, &sensor);
    p.file_index = sensor;
    p.src = pick_host(c, &h);
    p.ttl = a->ttl[h];
    p.ts_ns = c->start_ns + (int64_t)ds_sim_rng_below(r, (uint64_t)c->len_ns);
    p.proto = proto;
    p.pkt_flags = DS_PKT_PORTS;
    p.dport = port;
    if (proto == DS_PROTO_UDP) {
        p.sport = (uint16_t)ds_sim_rng_range(r, 1024, 65535);
        p.ip_id = (uint16_t)ds_sim_rng_next(r);
        return put(c->out, &p, err);
    }
    p.tcp_flags = DS_TCP_SYN;
    p.seq = (uint32_t)ds_sim_rng_next(r);
    switch (a->tool) {
    case SIM_TOOL_ZMAP:
        p.sport = (uint16_t)ds_sim_rng_range(r, 32768, 61000);
        p.ip_id = 54321;
        p.tcp_window = 65535;
        break;
    case SIM_TOOL_MASSCAN:
        p.sport = (uint16_t)ds_sim_rng_range(r, 40000, 65535);
        p.ip_id = (uint16_t)(p.dst ^ p.dport ^ p.seq);
        p.tcp_window = 1024;
        break;
    case SIM_TOOL_OTHER:
        p.sport = (uint16_t)ds_sim_rng_range(r, 1024, 65535);
        p.ip_id = (uint16_t)ds_sim_rng_next(r);
        p.tcp_window = (uint16_t)(1024 * ds_sim_rng_range(r, 1, 4));
        break;
    }
    ds_status st = put(c->out, &p, err);
    if (st != DS_OK || !ds_sim_rng_chance(r, a->rtx_permille, 1000))
        return st;
    p.ts_ns += (int64_t)ds_sim_rng_range(r, 1, 3) * NS_PER_S;
    if (p.ts_ns < c->start_ns + c->len_ns)
        st = put(c->out, &p, err);
    return st;
}

/* targets_of - the target numbers an actor sweeps, into a fresh array (*n of them). */
static uint32_t *targets_of(const sim_plan *plan, sim_targets which, uint32_t *n)
{
    uint32_t cap = which == SIM_TARGET_OUTSIDE ? plan->n_outside : plan->n_dark;
    uint32_t *v = malloc((cap ? cap : 1) * sizeof(*v));
    if (v == NULL)
        return NULL;
    *n = 0;
    for (uint32_t i = 0; i < cap; i++) {
        if (which == SIM_TARGET_OUTSIDE)
            v[(*n)++] = plan->n_dark + i;
        else if (which == SIM_TARGET_DARKNET || (i % 2 == 0) == (which == SIM_TARGET_EVEN))
            v[(*n)++] = i;
    }
    return v;
}

/* sweep - a port over `coverage` random targets (and the neighbours of D in proportion). */
static ds_status sweep(month_ctx *c, uint32_t *tv, uint32_t n_t, uint16_t port, uint32_t coverage,
                       uint8_t proto, bool neighbours, ds_error *err)
{
    if (coverage > n_t)
        coverage = n_t;
    ds_sim_rng_sample(&c->rng, tv, n_t, coverage);
    for (uint32_t i = 0; i < coverage; i++) {
        ds_status st = syn(c, tv[i], port, proto, err);
        if (st != DS_OK)
            return st;
    }
    if (!neighbours)
        return DS_OK;
    for (uint32_t j = 0; j < c->plan->n_outside; j++) {
        if (ds_sim_rng_chance(&c->rng, coverage, n_t)) {
            ds_status st = syn(c, c->plan->n_dark + j, port, proto, err);
            if (st != DS_OK)
                return st;
        }
    }
    return DS_OK;
}

static ds_status scanner(month_ctx *c, const sim_month_plan *mp, uint8_t proto, ds_error *err)
{
    uint32_t n_t;
    uint32_t *tv = targets_of(c->plan, c->a->targets, &n_t);
    if (tv == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    bool neighbours = c->a->targets == SIM_TARGET_DARKNET;
    ds_status st = DS_OK;
    for (uint32_t i = 0; i < mp->n_ports && st == DS_OK; i++) {
        uint32_t cov = (uint32_t)ds_sim_rng_range(&c->rng, mp->cov_lo, mp->cov_hi);
        st = sweep(c, tv, n_t, mp->ports[i], cov, proto, neighbours, err);
    }
    for (uint32_t i = 0; i < mp->n_partial && st == DS_OK; i++) {
        uint32_t cov = (uint32_t)ds_sim_rng_range(&c->rng, mp->partial_lo, mp->partial_hi);
        st = sweep(c, tv, n_t, mp->partial[i], cov, proto, false, err);
    }
    free(tv);
    return st;
}

/* A random destination: D mostly, sometimes a neighbour of D. */
static uint32_t random_target(month_ctx *c, unsigned outside_percent)
{
    const sim_plan *plan = c->plan;
    if (plan->n_outside > 0 && ds_sim_rng_chance(&c->rng, outside_percent, 100))
        return plan->n_dark + (uint32_t)ds_sim_rng_below(&c->rng, plan->n_outside);
    return (uint32_t)ds_sim_rng_below(&c->rng, plan->n_dark);
}

bool ds_sim_reserved(const sim_plan *plan, uint32_t a)
{
    unsigned o = a >> 24;
    if (o == 0 || o == 10 || o == 127 || o >= 224)
        return true;
    if ((a & 0xffc00000u) == 0x64400000u || (a & 0xffff0000u) == 0xa9fe0000u ||
        (a & 0xfff00000u) == 0xac100000u || (a & 0xffff0000u) == 0xc0a80000u)
        return true;
    for (size_t i = 0; i < plan->n_prefixes; i++) {
        if ((a >> 16) == (plan->prefixes[i].addr >> 16))
            return true;
    }
    return false;
}

/* random_source - a random public unicast address outside the darknet's /16s. */
static uint32_t random_source(month_ctx *c)
{
    uint32_t a;
    do {
        a = (uint32_t)ds_sim_rng_next(&c->rng);
    } while (ds_sim_reserved(c->plan, a));
    return a;
}

static ds_status mirai(month_ctx *c, const sim_month_plan *mp, ds_error *err)
{
    const sim_actor *a = c->a;
    ds_sim_rng *r = &c->rng;
    for (uint64_t i = 0; i < mp->volume; i++) {
        ds_packet p;
        memset(&p, 0, sizeof(p));
        uint32_t sensor;
        p.dst = target(c->plan, random_target(c, 5), &sensor);
        p.file_index = sensor;
        if (a->n_hosts > 0) {
            size_t h;
            p.src = pick_host(c, &h);
        } else {
            p.src = c->plan->bots[ds_sim_rng_below(r, c->plan->n_bots)];
        }
        p.ts_ns = c->start_ns + (int64_t)ds_sim_rng_below(r, (uint64_t)c->len_ns);
        p.proto = DS_PROTO_TCP;
        p.pkt_flags = DS_PKT_PORTS;
        p.tcp_flags = DS_TCP_SYN;
        p.dport = ds_sim_rng_chance(r, 9, 10) ? 23 : 2323;
        p.sport = (uint16_t)ds_sim_rng_range(r, 1024, 65535);
        p.seq = p.dst;
        p.ip_id = (uint16_t)ds_sim_rng_next(r);
        p.tcp_window = (uint16_t)ds_sim_rng_range(r, 1, 65535);
        p.ttl = (uint8_t)ds_sim_rng_range(r, 30, 64);
        ds_status st = put(c->out, &p, err);
        if (st != DS_OK)
            return st;
    }
    return DS_OK;
}

static ds_status backscatter(month_ctx *c, const sim_month_plan *mp, ds_error *err)
{
    static const uint16_t services[] = {80, 443, 53, 25, 22};
    ds_sim_rng *r = &c->rng;
    const sim_plan *plan = c->plan;
    for (uint32_t i = 0; i < mp->n_ports; i++) {
        uint32_t cov = (uint32_t)ds_sim_rng_range(r, mp->cov_lo, mp->cov_hi);
        for (uint32_t k = 0; k < cov; k++) {
            ds_packet p;
            memset(&p, 0, sizeof(p));
            uint32_t d = (uint32_t)ds_sim_rng_below(r, plan->n_dark), sensor;
            size_t h;
            p.dst = target(plan, d, &sensor);
            p.file_index = sensor;
            p.src = pick_host(c, &h);
            p.ttl = c->a->ttl[h];
            p.ts_ns = c->start_ns + (int64_t)ds_sim_rng_below(r, (uint64_t)c->len_ns);
            p.proto = DS_PROTO_TCP;
            p.pkt_flags = DS_PKT_PORTS;
            uint64_t f = ds_sim_rng_below(r, 10);
            p.tcp_flags = f < 7   ? DS_TCP_SYN | DS_TCP_ACK
                          : f < 9 ? DS_TCP_RST | DS_TCP_ACK
                                  : DS_TCP_RST;
            p.sport = services[ds_sim_rng_below(r, sizeof(services) / sizeof(services[0]))];
            p.dport = mp->ports[i];
            p.seq = (uint32_t)ds_sim_rng_next(r);
            p.ip_id = (uint16_t)ds_sim_rng_next(r);
            p.tcp_window = p.tcp_flags & DS_TCP_RST ? 0 : 29200;
            ds_status st = put(c->out, &p, err);
            if (st != DS_OK)
                return st;
        }
    }
    return DS_OK;
}

static ds_status noise(month_ctx *c, const sim_month_plan *mp, ds_error *err)
{
    ds_sim_rng *r = &c->rng;
    for (uint64_t i = 0; i < mp->volume; i++) {
        ds_packet p;
        memset(&p, 0, sizeof(p));
        uint32_t sensor;
        p.dst = target(c->plan, random_target(c, 10), &sensor);
        p.file_index = sensor;
        p.src = random_source(c);
        p.ts_ns = c->start_ns + (int64_t)ds_sim_rng_below(r, (uint64_t)c->len_ns);
        p.ttl = (uint8_t)ds_sim_rng_range(r, 20, 250);
        p.ip_id = (uint16_t)ds_sim_rng_next(r);
        p.pkt_flags = DS_PKT_PORTS;
        p.sport = (uint16_t)ds_sim_rng_range(r, 1, 65535);
        p.dport = ds_sim_rng_chance(r, 1, 2)
                      ? ds_sim_popular_ports[ds_sim_rng_below(r, ds_sim_popular_ports_count)]
                      : (uint16_t)ds_sim_rng_range(r, 1, 65535);
        uint64_t kind = ds_sim_rng_below(r, 100);
        if (kind < 85) {
            static const uint8_t flags[] = {
                DS_TCP_SYN, DS_TCP_SYN,
                DS_TCP_SYN, DS_TCP_SYN,
                DS_TCP_SYN, DS_TCP_SYN,
                DS_TCP_SYN, DS_TCP_ACK,
                DS_TCP_RST, DS_TCP_SYN | DS_TCP_ACK,
                DS_TCP_FIN, DS_TCP_SYN | DS_TCP_ECE | DS_TCP_CWR,
            };
            p.proto = DS_PROTO_TCP;
            p.tcp_flags = flags[ds_sim_rng_below(r, sizeof(flags))];
            p.seq = (uint32_t)ds_sim_rng_next(r);
            p.tcp_window = (uint16_t)ds_sim_rng_range(r, 512, 65535);
        } else if (kind < 95) {
            p.proto = DS_PROTO_UDP;
        } else {
            p.proto = DS_PROTO_ICMP;
            p.pkt_flags = 0;
            p.sport = p.dport = 0;
        }
        ds_status st = put(c->out, &p, err);
        if (st != DS_OK)
            return st;
    }
    return DS_OK;
}

ds_status ds_sim_generate_actor(const sim_plan *plan, size_t actor, size_t m, sim_month_out *out,
                                ds_error *err)
{
    month_ctx c;
    c.plan = plan;
    c.a = &plan->actors[actor];
    c.out = out;
    c.start_ns = ds_sim_month_start_ns(plan->year, plan->month, m);
    c.len_ns = ds_sim_month_start_ns(plan->year, plan->month, m + 1) - c.start_ns;
    ds_sim_rng_seed(&c.rng, plan->seed, 1 + actor, 1 + m, 0x61637431);
    const sim_month_plan *mp = &c.a->month[m];
    switch (c.a->kind) {
    case SIM_SCANNER:
        return scanner(&c, mp, DS_PROTO_TCP, err);
    case SIM_UDP:
        return scanner(&c, mp, DS_PROTO_UDP, err);
    case SIM_MIRAI:
        return mirai(&c, mp, err);
    case SIM_BACKSCATTER:
        return backscatter(&c, mp, err);
    case SIM_NOISE:
        return noise(&c, mp, err);
    }
    return DS_OK;
}
