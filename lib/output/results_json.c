/*
 * results_json.c - the results JSON of INTERFACE.md ("Results JSON"). Every key the contract
 * names is written with that name and meaning; the extra keys are documented in
 * docs/FORMATS.md.
 */
#include <string.h>

#include "darkscan/enrich.h"
#include "darkscan/json.h"
#include "darkscan/output.h"
#include "darkscan/version.h"

static double share(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0.0 : (double)part / (double)whole;
}

static void key_uint(ds_json *j, const char *key, uint64_t v)
{
    ds_json_key(j, key);
    ds_json_uint(j, v);
}

static void key_double(ds_json *j, const char *key, double v)
{
    ds_json_key(j, key);
    ds_json_double(j, v);
}

static void key_string(ds_json *j, const char *key, const char *v)
{
    ds_json_key(j, key);
    ds_json_string(j, v);
}

static void key_time(ds_json *j, const char *key, int64_t ts_ns, bool present)
{
    char buf[48];
    ds_json_key(j, key);
    if (present)
        ds_json_string(j, ds_format_time(ts_ns, buf, sizeof(buf)));
    else
        ds_json_null(j);
}

static void write_params(ds_json *j, const ds_results *r)
{
    char unit[32];
    ds_json_key(j, "params");
    ds_json_object_begin(j);
    key_double(j, "alpha", ds_ratio_value(r->params.alpha));
    key_uint(j, "min_ports", r->params.min_ports);
    key_uint(j, "min_windows", r->params.min_windows);
    key_uint(j, "prefix", r->prefix);
    key_string(j, "window", ds_window_spec_name(&r->window, unit, sizeof(unit)));
    key_double(j, "routine_jaccard", ds_ratio_value(r->params.routine_jaccard));
    key_double(j, "stable_simpson", ds_ratio_value(r->params.stable_simpson));
    key_double(j, "max_gap", share(r->params.max_gap_slots, DS_AGG_SLOTS));
    key_uint(j, "alpha_addresses", r->alpha_addresses);
    ds_json_object_end(j);
}

static void write_darknet(ds_json *j, const ds_results *r)
{
    ds_json_key(j, "darknet");
    ds_json_object_begin(j);
    key_uint(j, "size", r->darknet_size);
    if (r->darknet_sample > 0) {
        /* Coverage estimated from a sample of D (--darknet-sample). */
        double alpha = ds_ratio_value(r->params.alpha);
        ds_json_key(j, "sample");
        ds_json_object_begin(j);
        key_uint(j, "addresses", r->darknet_sample);
        key_uint(j, "alpha_addresses", r->alpha_addresses);
        key_double(j, "stderr_at_alpha",
                   ds_sample_stderr(r->darknet_sample, r->darknet_size, alpha));
        ds_json_object_end(j);
    }
    ds_json_key(j, "sensors");
    ds_json_array_begin(j);
    for (size_t i = 0; i < r->n_sensors; i++) {
        ds_json_object_begin(j);
        key_string(j, "name", r->sensors[i].name);
        key_uint(j, "size", r->sensors[i].size);
        ds_json_object_end(j);
    }
    ds_json_array_end(j);
    ds_json_object_end(j);
}

static void write_input(ds_json *j, const ds_results *r)
{
    ds_json_key(j, "input");
    ds_json_object_begin(j);
    key_uint(j, "files", r->input.files);
    key_uint(j, "packets", r->input.records);
    key_uint(j, "syn_packets", r->totals.syn_packets);
    key_uint(j, "outside_darknet", r->totals.outside_darknet);
    key_uint(j, "ipv4_packets", r->totals.packets);
    key_uint(j, "syn_to_darknet", r->totals.syn_to_darknet);
    key_uint(j, "truncated_files", r->input.truncated);
    key_uint(j, "failed_files", r->input.failed);
    ds_json_key(j, "skipped");
    ds_json_object_begin(j);
    key_uint(j, "ipv6", r->input.ipv6);
    key_uint(j, "non_ip", r->input.non_ip);
    key_uint(j, "other", r->input.other_skipped);
    ds_json_object_end(j);
    ds_json_object_end(j);
}

static void write_windows(ds_json *j, const ds_results *r)
{
    ds_json_key(j, "windows");
    ds_json_array_begin(j);
    for (size_t i = 0; i < r->n_windows; i++) {
        const ds_window_result *w = &r->windows[i];
        char label[32];
        ds_json_object_begin(j);
        key_string(j, "label", ds_window_label(&r->window, w->id, label, sizeof(label)));
        key_time(j, "start", ds_window_start_ns(&r->window, w->id), true);
        key_time(j, "end", ds_window_end_ns(&r->window, w->id), true);
        key_uint(j, "packets", w->packets);
        key_uint(j, "syn_packets", w->syn_packets);
        ds_json_key(j, "complete");
        ds_json_bool(j, w->complete);
        key_double(j, "max_gap", share(w->max_gap_slots, DS_AGG_SLOTS));
        key_time(j, "first_time", w->first_ts_ns, w->packets > 0);
        key_time(j, "last_time", w->last_ts_ns, w->packets > 0);
        key_uint(j, "scan_blocks", w->scan_blocks);
        ds_json_object_end(j);
    }
    ds_json_array_end(j);
}

static void write_app_scan(ds_json *j, const ds_results *r, const ds_app_scan_result *a)
{
    char label[32];
    ds_json_object_begin(j);
    key_string(j, "window", ds_window_label(&r->window, a->window, label, sizeof(label)));
    key_uint(j, "ports", a->ports);
    key_uint(j, "app_ports", a->app_ports);
    key_double(j, "ratio", share(a->app_ports, a->ports));
    ds_json_key(j, "app_port_list");
    ds_json_array_begin(j);
    for (uint32_t k = 0; k < a->app_ports; k++)
        ds_json_uint(j, a->app_port_list[k]);
    ds_json_array_end(j);
    ds_json_object_end(j);
}

/* app_scan: the latest honeypot window with a scan (null when none); app_scans: all of them. */
static void write_app_scans(ds_json *j, const ds_results *r, const ds_network *n)
{
    ds_json_key(j, "app_scan");
    if (n->n_app_scans == 0)
        ds_json_null(j);
    else
        write_app_scan(j, r, &n->app_scans[n->n_app_scans - 1]);
    ds_json_key(j, "app_scans");
    ds_json_array_begin(j);
    for (size_t t = 0; t < n->n_app_scans; t++)
        write_app_scan(j, r, &n->app_scans[t]);
    ds_json_array_end(j);
}

static void write_honeypot(ds_json *j, const ds_results *r)
{
    const ds_honeypot_info *h = r->honeypot;
    char label[32];
    ds_json_key(j, "honeypot");
    ds_json_object_begin(j);
    key_uint(j, "addresses", h->addresses);
    key_uint(j, "quorum", h->quorum);
    key_uint(j, "sessions", h->sessions);
    key_uint(j, "ipv6_sessions", h->ipv6_sessions);
    ds_json_key(j, "windows");
    ds_json_array_begin(j);
    for (size_t i = 0; i < h->n_windows; i++)
        ds_json_string(j, ds_window_label(&r->window, h->windows[i], label, sizeof(label)));
    ds_json_array_end(j);
    ds_json_object_end(j);
}

/* key_value - an int32 value that is -1 when unknown: null then. */
static void key_known_int(ds_json *j, const char *key, int32_t v)
{
    ds_json_key(j, key);
    if (v < 0)
        ds_json_null(j);
    else
        ds_json_uint(j, (uint64_t)v);
}

static void write_fingerprints(ds_json *j, const ds_network *n)
{
    ds_json_key(j, "fingerprints");
    ds_json_object_begin(j);
    key_double(j, "mirai", share(n->mirai_packets, n->syn_packets));
    key_double(j, "zmap", share(n->zmap_packets, n->syn_packets));
    key_double(j, "masscan", share(n->masscan_packets, n->syn_packets));
    key_known_int(j, "ttl", n->ttl);
    ds_json_key(j, "ttl_share");
    if (n->ttl < 0)
        ds_json_null(j);
    else
        ds_json_double(j, share(n->ttl_packets, n->syn_packets));
    key_known_int(j, "window", n->tcp_window);
    ds_json_key(j, "window_share");
    if (n->tcp_window < 0)
        ds_json_null(j);
    else
        ds_json_double(j, share(n->tcp_window_packets, n->syn_packets));
    ds_json_object_end(j);
}

static void write_enrichment(ds_json *j, const ds_enrichment *e, size_t i)
{
    const ds_network_enrichment *ne = &e->networks[i];
    if (e->geoip) {
        ds_json_key(j, "country");
        ds_json_string(j, ne->country[0] ? ne->country : NULL);
    }
    if (e->asn) {
        ds_json_key(j, "asn");
        if (ne->has_asn) {
            ds_json_object_begin(j);
            key_uint(j, "number", ne->asn.number);
            ds_json_key(j, "org");
            ds_json_string(j, ne->asn.org[0] ? ne->asn.org : NULL);
            ds_json_object_end(j);
        } else {
            ds_json_null(j);
        }
    }
    if (e->known) {
        ds_json_key(j, "known_scanners");
        ds_json_array_begin(j);
        for (size_t k = 0; k < ne->n_known; k++) {
            ds_json_object_begin(j);
            key_string(j, "name", ne->known[k].name);
            key_uint(j, "hosts", ne->known[k].hosts);
            ds_json_object_end(j);
        }
        ds_json_array_end(j);
    }
}

/* write_hosts - the top DS_TOP_HOSTS hosts and every /24 of the block. */
static void write_hosts(ds_json *j, const ds_results *r, const ds_network *n)
{
    char addr[20], label[32];
    ds_json_key(j, "hosts");
    ds_json_array_begin(j);
    for (size_t i = 0; i < n->n_host_list && i < DS_TOP_HOSTS; i++) {
        const ds_block_host *h = &n->host_list[i];
        ds_json_object_begin(j);
        key_string(j, "addr", ds_format_ipv4(h->addr, addr));
        key_uint(j, "syn_packets", h->syn_packets);
        ds_json_key(j, "ports_max");
        if (h->port_set_sizes != NULL)
            ds_json_uint(j, h->ports_max);
        else
            ds_json_null(j);
        ds_json_key(j, "port_set_sizes");
        if (h->port_set_sizes != NULL) {
            ds_json_object_begin(j);
            for (size_t t = 0; t < n->n_scan_windows; t++) {
                ds_json_key(
                    j, ds_window_label(&r->window, n->port_sets[t].window, label, sizeof(label)));
                ds_json_uint(j, h->port_set_sizes[t]);
            }
            ds_json_object_end(j);
        } else {
            ds_json_null(j);
        }
        key_known_int(j, "ttl", h->ttl);
        key_known_int(j, "window", h->tcp_window);
        ds_json_object_end(j);
    }
    ds_json_array_end(j);
    ds_json_key(j, "subnets");
    ds_json_array_begin(j);
    for (size_t i = 0; i < n->n_subnets; i++) {
        ds_json_object_begin(j);
        key_string(j, "prefix", ds_block_format(n->subnets[i].prefix, 24, addr));
        key_uint(j, "syn_packets", n->subnets[i].syn_packets);
        key_uint(j, "hosts", n->subnets[i].hosts);
        ds_json_object_end(j);
    }
    ds_json_array_end(j);
}

/*
 * write_port_coverage - under darknet sampling, each scan-target port's estimated coverage
 * (its share of the sample) and that estimate's standard error.
 */
static void write_port_coverage(ds_json *j, const ds_results *r, const ds_network *n)
{
    char label[32];
    ds_json_key(j, "port_coverage");
    ds_json_object_begin(j);
    for (size_t t = 0; t < n->n_scan_windows; t++) {
        const ds_port_set *ps = &n->port_sets[t];
        ds_json_key(j, ds_window_label(&r->window, ps->window, label, sizeof(label)));
        ds_json_array_begin(j);
        for (uint32_t k = 0; k < ps->n; k++) {
            double c = share(ps->coverage[k], r->darknet_sample);
            ds_json_object_begin(j);
            key_uint(j, "port", ps->ports[k]);
            key_double(j, "coverage", c);
            key_double(j, "stderr", ds_sample_stderr(r->darknet_sample, r->darknet_size, c));
            ds_json_object_end(j);
        }
        ds_json_array_end(j);
    }
    ds_json_object_end(j);
}

static void write_network(ds_json *j, const ds_results *r, size_t i)
{
    const ds_network *n = &r->networks[i];
    char buf[32], label[32];
    ds_json_object_begin(j);
    key_string(j, "block", ds_block_format(n->block, n->prefix, buf));
    key_string(j, "category", ds_category_name(n->category));
    key_double(j, "jaccard_median", ds_ratio_value(n->jaccard_median));
    key_double(j, "simpson_median", ds_ratio_value(n->simpson_median));
    key_string(j, "first_window",
               ds_window_label(&r->window, n->port_sets[0].window, label, sizeof(label)));
    key_string(j, "last_window",
               ds_window_label(&r->window, n->port_sets[n->n_scan_windows - 1].window, label,
                               sizeof(label)));
    ds_json_key(j, "scan_windows");
    ds_json_array_begin(j);
    for (size_t t = 0; t < n->n_scan_windows; t++)
        ds_json_string(j,
                       ds_window_label(&r->window, n->port_sets[t].window, label, sizeof(label)));
    ds_json_array_end(j);
    key_uint(j, "ports_max", n->ports_max);
    key_uint(j, "ports_min", n->ports_min);
    ds_json_key(j, "port_sets");
    ds_json_object_begin(j);
    for (size_t t = 0; t < n->n_scan_windows; t++) {
        ds_json_key(j, ds_window_label(&r->window, n->port_sets[t].window, label, sizeof(label)));
        ds_json_array_begin(j);
        for (uint32_t k = 0; k < n->port_sets[t].n; k++)
            ds_json_uint(j, n->port_sets[t].ports[k]);
        ds_json_array_end(j);
    }
    ds_json_object_end(j);
    if (r->darknet_sample > 0)
        write_port_coverage(j, r, n);
    key_uint(j, "syn_packets", n->syn_packets);
    key_double(j, "mirai_share", share(n->mirai_packets, n->syn_packets));
    key_string(j, "top24", ds_block_format(n->top24, 24, buf));
    key_uint(j, "top24_syn_packets", n->top24_packets);
    key_uint(j, "host_count", n->hosts);
    write_fingerprints(j, n);
    if (r->enrichment != NULL && i < r->enrichment->n_networks)
        write_enrichment(j, r->enrichment, i);
    write_hosts(j, r, n);
    if (r->honeypot != NULL)
        write_app_scans(j, r, n);
    ds_json_object_end(j);
}

/* write_enrichment_summary - Figure 1, and which enrichment sources were used. */
static void write_enrichment_summary(ds_json *j, const ds_results *r)
{
    const ds_enrichment *e = r->enrichment;
    if (e != NULL && e->geoip) {
        ds_json_key(j, "countries");
        ds_json_array_begin(j);
        for (size_t i = 0; i < e->n_countries; i++) {
            ds_json_object_begin(j);
            ds_json_key(j, "country");
            ds_json_string(j, e->countries[i].country[0] ? e->countries[i].country : NULL);
            key_uint(j, "networks", e->countries[i].networks);
            ds_json_object_end(j);
        }
        ds_json_array_end(j);
    }
    ds_json_key(j, "enrichment");
    ds_json_object_begin(j);
    key_string(j, "geoip", e != NULL ? e->geoip_source : NULL);
    key_string(j, "asn", e != NULL ? e->asn_source : NULL);
    ds_json_key(j, "known_scanners");
    ds_json_array_begin(j);
    for (size_t i = 0; e != NULL && i < e->n_known_sources; i++)
        ds_json_string(j, e->known_sources[i]);
    ds_json_array_end(j);
    ds_json_key(j, "host_pass");
    ds_json_bool(j, r->host_pass);
    ds_json_object_end(j);
}

static void write_top_ports(ds_json *j, const ds_results *r)
{
    key_uint(j, "top_ports_port_sets", r->top_ports_total_sets);
    ds_json_key(j, "top_ports");
    ds_json_array_begin(j);
    for (size_t i = 0; i < r->n_top_ports; i++) {
        const ds_top_port *p = &r->top_ports[i];
        ds_json_object_begin(j);
        key_uint(j, "port", p->port);
        key_string(j, "service", ds_port_service(p->port));
        key_double(j, "frequency", share(p->sets, r->top_ports_total_sets));
        key_uint(j, "port_sets", p->sets);
        ds_json_object_end(j);
    }
    ds_json_array_end(j);
}

static void write_sweep(ds_json *j, const ds_sweep *sw)
{
    ds_json_key(j, "sweep");
    ds_json_array_begin(j);
    for (size_t a = 0; a < sw->n_alphas; a++) {
        for (size_t p = 0; p < sw->n_min_ports; p++) {
            for (size_t m = 0; m < sw->n_min_windows; m++) {
                ds_json_object_begin(j);
                key_double(j, "alpha", ds_ratio_value(sw->alphas[a]));
                key_uint(j, "min_ports", sw->min_ports[p]);
                key_uint(j, "min_windows", sw->min_windows[m]);
                key_uint(j, "networks",
                         sw->counts[(a * sw->n_min_ports + p) * sw->n_min_windows + m]);
                ds_json_object_end(j);
            }
        }
    }
    ds_json_array_end(j);
}

ds_status ds_results_write_json(const ds_results *r, FILE *f, ds_error *err)
{
    if (r->host_facts_pending)
        return ds_error_set(err, DS_ERR_INVALID,
                            "the blocks' host figures are still to come from the host pass "
                            "(ds_detect_hosts)");
    ds_json *j = ds_json_new(f, true);
    if (j == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_json_object_begin(j);
    key_string(j, "tool", "darkscan");
    key_string(j, "version", ds_version());
    write_params(j, r);
    write_darknet(j, r);
    write_input(j, r);
    write_windows(j, r);
    ds_json_key(j, "networks");
    ds_json_array_begin(j);
    for (size_t i = 0; i < r->n_networks; i++)
        write_network(j, r, i);
    ds_json_array_end(j);
    write_enrichment_summary(j, r);
    write_top_ports(j, r);
    if (r->sweep != NULL && r->sweep->counts != NULL)
        write_sweep(j, r->sweep);
    if (r->honeypot != NULL)
        write_honeypot(j, r);
    ds_json_object_end(j);
    ds_status st = ds_json_finish(j, err);
    ds_json_free(j);
    return st;
}
