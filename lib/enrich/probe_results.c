/*
 * probe_results.c - probe the hosts of a results JSON and write it again with the answers
 * (ds_probe_results, see enrich.h).
 *
 * The tree from the JSON parser is written back with the JSON writer, key by key in file
 * order, numbers exactly as they were written; per network the keys "documented", "evidence"
 * and "probed_hosts" go at the end (replacing those of an earlier probe), and at the top level
 * "probe" says when and how the probe ran.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darkscan/darknet.h"
#include "darkscan/enrich.h"
#include "darkscan/json.h"
#include "darkscan/window.h"
#include "enrich/probe_internal.h"

/* The answers for one network. */
typedef struct net_probe {
    ds_probe_result *hosts;
    size_t n;
} net_probe;

static bool is_probe_key(const char *k)
{
    return strcmp(k, "documented") == 0 || strcmp(k, "evidence") == 0 ||
           strcmp(k, "probed_hosts") == 0;
}

static void write_value(ds_json *j, const ds_jval *v);

static void write_members(ds_json *j, const ds_jval *obj, bool (*skip)(const char *))
{
    for (size_t i = 0; i < ds_jval_object_len(obj); i++) {
        const char *key = ds_jval_object_key(obj, i, NULL);
        if (skip != NULL && skip(key))
            continue;
        ds_json_key(j, key);
        write_value(j, ds_jval_object_value(obj, i));
    }
}

static void write_value(ds_json *j, const ds_jval *v)
{
    switch (ds_jval_type(v)) {
    case DS_JVAL_NULL:
    case DS_JVAL_ABSENT:
        ds_json_null(j);
        break;
    case DS_JVAL_BOOL: {
        bool b = false;
        ds_jval_bool(v, &b);
        ds_json_bool(j, b);
        break;
    }
    case DS_JVAL_NUMBER:
        ds_json_number_text(j, ds_jval_number_text(v));
        break;
    case DS_JVAL_STRING: {
        size_t len;
        const char *s = ds_jval_string(v, &len);
        ds_json_string_len(j, s, len);
        break;
    }
    case DS_JVAL_ARRAY:
        ds_json_array_begin(j);
        for (size_t i = 0; i < ds_jval_array_len(v); i++)
            write_value(j, ds_jval_array_at(v, i));
        ds_json_array_end(j);
        break;
    case DS_JVAL_OBJECT:
        ds_json_object_begin(j);
        write_members(j, v, NULL);
        ds_json_object_end(j);
        break;
    }
}

static void key_string(ds_json *j, const char *key, const char *v)
{
    ds_json_key(j, key);
    ds_json_string(j, v != NULL && v[0] != '\0' ? v : NULL);
}

static void write_words(ds_json *j, const ds_disclosure *d)
{
    ds_json_key(j, "matched");
    ds_json_array_begin(j);
    for (size_t k = 0; k < d->n_matched; k++)
        ds_json_string(j, d->matched[k]);
    ds_json_array_end(j);
}

static void write_host(ds_json *j, const ds_probe_result *h)
{
    char addr[20];
    ds_json_object_begin(j);
    key_string(j, "addr", ds_format_ipv4(h->addr, addr));
    key_string(j, "rdns", h->rdns);
    key_string(j, "url", h->url);
    ds_json_key(j, "status");
    if (h->status > 0)
        ds_json_uint(j, (uint64_t)h->status);
    else
        ds_json_null(j);
    key_string(j, "error", h->error);
    key_string(j, "title", h->disclosure.title);
    write_words(j, &h->disclosure);
    ds_json_key(j, "documented");
    ds_json_bool(j, h->disclosure.documented);
    ds_json_key(j, "bytes");
    ds_json_uint(j, h->bytes);
    ds_json_key(j, "truncated");
    ds_json_bool(j, h->truncated);
    ds_json_key(j, "redirects");
    ds_json_uint(j, h->redirects);
    key_string(j, "redirect_not_followed", h->redirect_refused);
    ds_json_object_end(j);
}

static void write_network(ds_json *j, const ds_jval *net, const net_probe *np)
{
    ds_json_object_begin(j);
    write_members(j, net, is_probe_key);
    size_t di = 0;
    while (di < np->n && !np->hosts[di].disclosure.documented)
        di++;
    ds_json_key(j, "documented");
    ds_json_bool(j, di < np->n);
    ds_json_key(j, "evidence");
    if (di < np->n) {
        const ds_probe_result *doc = &np->hosts[di];
        char addr[20];
        ds_json_object_begin(j);
        key_string(j, "addr", ds_format_ipv4(doc->addr, addr));
        key_string(j, "rdns", doc->rdns);
        key_string(j, "url", doc->url);
        ds_json_key(j, "status");
        ds_json_uint(j, (uint64_t)doc->status);
        key_string(j, "title", doc->disclosure.title);
        write_words(j, &doc->disclosure);
        ds_json_object_end(j);
    } else {
        ds_json_null(j);
    }
    ds_json_key(j, "probed_hosts");
    ds_json_array_begin(j);
    for (size_t i = 0; i < np->n; i++)
        write_host(j, &np->hosts[i]);
    ds_json_array_end(j);
    ds_json_object_end(j);
}

static bool is_top_probe_key(const char *k)
{
    return strcmp(k, "probe") == 0;
}

static void write_probe_info(ds_json *j, const ds_prober *p, int64_t started_ns)
{
    char when[48];
    ds_json_key(j, "probe");
    ds_json_object_begin(j);
    key_string(j, "time", ds_format_time(started_ns, when, sizeof(when)));
    ds_json_key(j, "port");
    ds_json_uint(j, p->cfg.port);
    ds_json_key(j, "hosts_per_network");
    ds_json_uint(j, p->cfg.hosts_per_network);
    key_string(j, "user_agent", p->user_agent);
    ds_json_object_end(j);
}

/* probe_network - the top hosts of one network object. */
static ds_status probe_network(const ds_jval *net, ds_prober *p, unsigned max_hosts,
                               const ds_probe_events *ev, net_probe *np, ds_error *err)
{
    const ds_jval *hosts = ds_jval_get(net, "hosts");
    const char *block = ds_jval_string(ds_jval_get(net, "block"), NULL);
    size_t n = ds_jval_array_len(hosts);
    if (n > max_hosts)
        n = max_hosts;
    np->hosts = calloc(n ? n : 1, sizeof(*np->hosts));
    if (np->hosts == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *addr = ds_jval_string(ds_jval_get(ds_jval_array_at(hosts, i), "addr"), NULL);
        uint32_t a;
        if (addr == NULL || ds_parse_ipv4(addr, &a, NULL) != DS_OK)
            continue;
        ds_probe_host(p, a, &np->hosts[np->n]);
        if (ev != NULL && ev->host_done != NULL)
            ev->host_done(ev->ctx, block != NULL ? block : "?", &np->hosts[np->n]);
        np->n++;
    }
    return DS_OK;
}

ds_status ds_probe_results(const ds_jval *root, ds_prober *p, const ds_probe_events *events,
                           FILE *out, ds_error *err)
{
    const ds_jval *nets = ds_jval_get(root, "networks");
    if (ds_jval_type(root) != DS_JVAL_OBJECT || ds_jval_type(nets) != DS_JVAL_ARRAY)
        return ds_error_set(err, DS_ERR_FORMAT,
                            "not a darkscan results JSON: no \"networks\" array");
    size_t n = ds_jval_array_len(nets);
    net_probe *probes = calloc(n ? n : 1, sizeof(*probes));
    if (probes == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_status st = DS_OK;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t started_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    for (size_t i = 0; i < n && st == DS_OK; i++) {
        const ds_jval *net = ds_jval_array_at(nets, i);
        if (ds_jval_type(net) != DS_JVAL_OBJECT) {
            st = ds_error_set(err, DS_ERR_FORMAT, "networks[%zu] is not an object", i);
            break;
        }
        st = probe_network(net, p, p->cfg.hosts_per_network, events, &probes[i], err);
    }
    if (st == DS_OK) {
        ds_json *j = ds_json_new(out, true);
        if (j == NULL) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        } else {
            ds_json_object_begin(j);
            for (size_t i = 0; i < ds_jval_object_len(root); i++) {
                const char *key = ds_jval_object_key(root, i, NULL);
                const ds_jval *v = ds_jval_object_value(root, i);
                if (is_top_probe_key(key))
                    continue;
                ds_json_key(j, key);
                if (v == nets) {
                    ds_json_array_begin(j);
                    for (size_t k = 0; k < n; k++)
                        write_network(j, ds_jval_array_at(nets, k), &probes[k]);
                    ds_json_array_end(j);
                } else {
                    write_value(j, v);
                }
            }
            write_probe_info(j, p, started_ns);
            ds_json_object_end(j);
            st = ds_json_finish(j, err);
            ds_json_free(j);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(probes[i].hosts);
    free(probes);
    return st;
}
