/*
 * appscan.c - application-layer scanning, gamma (see include/darkscan/appscan.h, METHOD.md).
 *
 * Every session becomes a 128-bit tuple (window, source block, port, honeypot address index);
 * sorting and deduplicating them gives, for every (tau, x, p), the number of distinct
 * honeypot addresses on which x established a session to port p. A port p of P_tau(x) is
 * application-layer scanned when that number reaches the quorum; gamma is their share.
 */
#include <stdlib.h>
#include <string.h>

#include "darkscan/appscan.h"
#include "darkscan/honeypot.h"

typedef struct session {
    int64_t window;
    uint32_t block;
    uint16_t port;
    uint32_t addr; /* index of the honeypot address */
} session;

struct ds_app_sessions {
    ds_window_spec window;
    unsigned prefix;
    session *s;
    size_t n, cap;
    uint32_t *addrs; /* distinct honeypot (destination) addresses, unsorted */
    size_t n_addrs, cap_addrs;
    uint64_t ipv6;
};

ds_app_sessions *ds_app_sessions_new(const ds_window_spec *window, unsigned prefix)
{
    ds_app_sessions *s = calloc(1, sizeof(*s));
    if (s != NULL) {
        s->window = *window;
        s->prefix = prefix;
    }
    return s;
}

void ds_app_sessions_free(ds_app_sessions *s)
{
    if (s == NULL)
        return;
    free(s->s);
    free(s->addrs);
    free(s);
}

/* addr_index - the index of a honeypot address, added when new (linear: honeypots are small,
 * the paper's had 31 addresses; a cache of the last address makes runs of one address cheap). */
static int64_t addr_index(ds_app_sessions *s, uint32_t addr)
{
    for (size_t i = s->n_addrs; i-- > 0;) {
        if (s->addrs[i] == addr)
            return (int64_t)i;
    }
    if (s->n_addrs == s->cap_addrs) {
        size_t cap = s->cap_addrs ? s->cap_addrs * 2 : 64;
        uint32_t *grown = realloc(s->addrs, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        s->addrs = grown;
        s->cap_addrs = cap;
    }
    s->addrs[s->n_addrs] = addr;
    return (int64_t)s->n_addrs++;
}

ds_status ds_app_sessions_add(ds_app_sessions *s, int64_t time_us, uint32_t src, uint32_t dst,
                              uint16_t dst_port, ds_error *err)
{
    int64_t a = addr_index(s, dst);
    if (a < 0)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        session *grown = realloc(s->s, cap * sizeof(*grown));
        if (grown == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        s->s = grown;
        s->cap = cap;
    }
    int64_t ts_ns = time_us > INT64_MAX / 1000 ? INT64_MAX : time_us * 1000;
    if (time_us < INT64_MIN / 1000)
        ts_ns = INT64_MIN;
    s->s[s->n++] = (session){ds_window_of(&s->window, ts_ns),
                             s->prefix == 0 ? 0 : src >> (32 - s->prefix), dst_port, (uint32_t)a};
    return DS_OK;
}

typedef struct read_ctx {
    ds_app_sessions *s;
    ds_error *err;
    ds_status st;
} read_ctx;

static int on_record(void *ctx, const ds_honeypot_record *rec)
{
    read_ctx *c = ctx;
    uint32_t src = ds_honeypot_addr_v4(&rec->src);
    uint32_t dst = ds_honeypot_addr_v4(&rec->dst);
    if (rec->src.family != 4 || rec->dst.family != 4) {
        c->s->ipv6++;
        return 0;
    }
    c->st = ds_app_sessions_add(c->s, rec->time_us, src, dst, rec->dst_port, c->err);
    return c->st != DS_OK;
}

ds_status ds_app_sessions_read(ds_app_sessions *s, const char *path, const ds_diag *diag,
                               ds_error *err)
{
    read_ctx c = {s, err, DS_OK};
    ds_status st = ds_honeypot_log_read(path, on_record, &c, diag, err);
    return c.st != DS_OK ? c.st : st;
}

static int cmp_session(const void *a, const void *b)
{
    const session *x = a, *y = b;
    if (x->window != y->window)
        return x->window < y->window ? -1 : 1;
    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

/* sessions_of - the first session of (window, block) in the sorted array, or n. */
static size_t sessions_of(const session *s, size_t n, int64_t window, uint32_t block)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].window < window || (s[mid].window == window && s[mid].block < block))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* gamma_for - fill one result for net's port set ps from the sorted distinct sessions. */
static ds_status gamma_for(const ds_app_sessions *s, const ds_network *net, const ds_port_set *ps,
                           uint32_t quorum, ds_app_scan_result *out, ds_error *err)
{
    uint32_t block = s->prefix == 0 ? 0 : net->block >> (32 - s->prefix);
    out->window = ps->window;
    out->ports = ps->n;
    out->app_ports = 0;
    out->app_port_list = malloc((ps->n ? ps->n : 1) * sizeof(*out->app_port_list));
    if (out->app_port_list == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    size_t i = sessions_of(s->s, s->n, ps->window, block);
    uint32_t k = 0;
    while (i < s->n && s->s[i].window == ps->window && s->s[i].block == block) {
        uint16_t port = s->s[i].port;
        uint32_t addrs = 0;
        while (i < s->n && s->s[i].window == ps->window && s->s[i].block == block &&
               s->s[i].port == port) {
            addrs++;
            i++;
        }
        while (k < ps->n && ps->ports[k] < port)
            k++;
        if (k < ps->n && ps->ports[k] == port && addrs >= quorum)
            out->app_port_list[out->app_ports++] = port;
    }
    return DS_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

ds_status ds_app_scan(ds_results *r, ds_app_sessions *s, uint32_t honeypot_addrs, uint32_t quorum,
                      ds_error *err)
{
    if (s->prefix != r->prefix)
        return ds_error_set(err, DS_ERR_INVALID, "sessions grouped by /%u, results by /%u",
                            s->prefix, r->prefix);
    if (s->n > 1)
        qsort(s->s, s->n, sizeof(*s->s), cmp_session);
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (m == 0 || cmp_session(&s->s[i], &s->s[m - 1]) != 0)
            s->s[m++] = s->s[i];
    }
    uint64_t sessions = s->n;
    s->n = m;

    ds_honeypot_info *info = calloc(1, sizeof(*info));
    if (info == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    info->addresses = honeypot_addrs ? honeypot_addrs : (uint32_t)s->n_addrs;
    info->quorum = quorum ? quorum : (info->addresses + 1) / 2;
    info->sessions = sessions;
    info->ipv6_sessions = s->ipv6;
    for (size_t i = 0; i < s->n; i++)
        info->n_windows += i == 0 || s->s[i].window != s->s[i - 1].window;
    info->windows = malloc((info->n_windows ? info->n_windows : 1) * sizeof(*info->windows));
    if (info->windows == NULL) {
        free(info);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (i == 0 || s->s[i].window != s->s[i - 1].window)
            info->windows[w++] = s->s[i].window;
    }
    if (r->honeypot != NULL) {
        free(r->honeypot->windows);
        free(r->honeypot);
    }
    r->honeypot = info;

    for (size_t i = 0; i < r->n_networks; i++) {
        ds_network *net = &r->networks[i];
        for (size_t t = 0; t < net->n_app_scans; t++)
            free(net->app_scans[t].app_port_list);
        free(net->app_scans);
        net->app_scans = NULL;
        net->n_app_scans = 0;
        for (size_t t = 0; t < net->n_scan_windows; t++) {
            const ds_port_set *ps = &net->port_sets[t];
            if (bsearch(&ps->window, info->windows, info->n_windows, sizeof(int64_t), cmp_i64) ==
                NULL)
                continue;
            ds_app_scan_result *grown =
                realloc(net->app_scans, (net->n_app_scans + 1) * sizeof(*grown));
            if (grown == NULL)
                return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            net->app_scans = grown;
            ds_status st =
                gamma_for(s, net, ps, info->quorum, &net->app_scans[net->n_app_scans], err);
            if (st != DS_OK)
                return st;
            net->n_app_scans++;
        }
    }
    return DS_OK;
}
