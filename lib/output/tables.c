/*
 * tables.c - CSV tables of the results (see include/darkscan/output.h): RFC 4180, a header
 * line, one fact per cell, so that spreadsheets and pandas read them directly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/enrich.h"
#include "darkscan/output.h"
#include "util/numfmt.h"

char *ds_block_format(uint32_t block, unsigned prefix, char *buf)
{
    snprintf(buf, 19, "%u.%u.%u.%u/%u", block >> 24, block >> 16 & 0xff, block >> 8 & 0xff,
             block & 0xff, prefix);
    return buf;
}

static double share(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0.0 : (double)part / (double)whole;
}

typedef struct table {
    FILE *f;
    char path[4096];
} table;

static ds_status table_open(table *t, const char *dir, const char *name, const char *header,
                            ds_error *err)
{
    snprintf(t->path, sizeof(t->path), "%s/%s", dir, name);
    t->f = fopen(t->path, "w");
    if (t->f == NULL)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", t->path, strerror(errno));
    fprintf(t->f, "%s\n", header);
    return DS_OK;
}

static ds_status table_close(table *t, ds_error *err)
{
    int bad = ferror(t->f);
    if (fclose(t->f) != 0 || bad)
        return ds_error_set(err, DS_ERR_IO, "%s: write failed: %s", t->path, strerror(errno));
    return DS_OK;
}

/* csv_field - s as one RFC 4180 field: quoted when it holds a comma, quote or line end. */
static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* known_cell - "censys:12;shodan:3" (name:hosts of each organisation) as one field. */
static void known_cell(FILE *f, const ds_network_enrichment *ne)
{
    size_t len = 1;
    for (size_t k = 0; k < ne->n_known; k++)
        len += strlen(ne->known[k].name) + 24;
    char *buf = malloc(len);
    if (buf == NULL)
        return;
    size_t at = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < ne->n_known; k++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s:%" PRIu64, k ? ";" : "", ne->known[k].name,
                               ne->known[k].hosts);
    csv_field(f, buf);
    free(buf);
}

/* The enrichment columns of networks.csv: empty when unknown or not asked for. */
static void write_enrichment_cells(FILE *f, const ds_results *r, size_t i)
{
    const ds_enrichment *e = r->enrichment;
    const ds_network *n = &r->networks[i];
    const ds_network_enrichment *ne = e != NULL && i < e->n_networks ? &e->networks[i] : NULL;
    fprintf(f, ",%s,", ne != NULL ? ne->country : "");
    if (ne != NULL && ne->has_asn) {
        fprintf(f, "%" PRIu32 ",", ne->asn.number);
        csv_field(f, ne->asn.org);
    } else {
        fputc(',', f);
    }
    fputc(',', f);
    if (ne != NULL)
        known_cell(f, ne);
    if (n->ttl >= 0)
        fprintf(f, ",%" PRId32, n->ttl);
    else
        fputc(',', f);
    if (n->tcp_window >= 0)
        fprintf(f, ",%" PRId32, n->tcp_window);
    else
        fputc(',', f);
    fputc('\n', f);
}

static ds_status write_networks(const ds_results *r, const char *dir, ds_error *err)
{
    table t;
    ds_status st = table_open(&t, dir, "networks.csv",
                              "block,category,jaccard_median,simpson_median,first_window,"
                              "last_window,scan_windows,ports_max,ports_min,syn_packets,"
                              "mirai_share,zmap_share,masscan_share,top24,hosts,country,asn,"
                              "asn_org,known_scanners,ttl,tcp_window",
                              err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *n = &r->networks[i];
        char block[20], top24[20], first[32], last[32], j[DS_DOUBLE_BUF], s[DS_DOUBLE_BUF];
        char mirai[DS_DOUBLE_BUF], zmap[DS_DOUBLE_BUF], masscan[DS_DOUBLE_BUF];
        fprintf(t.f,
                "%s,%s,%s,%s,%s,%s,%zu,%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%s,%s,%s,%s,%" PRIu64,
                ds_block_format(n->block, n->prefix, block), ds_category_name(n->category),
                ds_fmt_double(ds_ratio_value(n->jaccard_median), j),
                ds_fmt_double(ds_ratio_value(n->simpson_median), s),
                ds_window_label(&r->window, n->port_sets[0].window, first, sizeof(first)),
                ds_window_label(&r->window, n->port_sets[n->n_scan_windows - 1].window, last,
                                sizeof(last)),
                n->n_scan_windows, n->ports_max, n->ports_min, n->syn_packets,
                ds_fmt_double(share(n->mirai_packets, n->syn_packets), mirai),
                ds_fmt_double(share(n->zmap_packets, n->syn_packets), zmap),
                ds_fmt_double(share(n->masscan_packets, n->syn_packets), masscan),
                ds_block_format(n->top24, 24, top24), n->hosts);
        write_enrichment_cells(t.f, r, i);
    }
    return table_close(&t, err);
}

/* hosts.csv - every source host of every block, by packets. */
static ds_status write_hosts(const ds_results *r, const char *dir, ds_error *err)
{
    table t;
    ds_status st = table_open(&t, dir, "hosts.csv",
                              "block,rank,addr,syn_packets,ports_max,ttl,tcp_window", err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *n = &r->networks[i];
        char block[20], addr[20];
        ds_block_format(n->block, n->prefix, block);
        for (size_t k = 0; k < n->n_host_list; k++) {
            const ds_block_host *h = &n->host_list[k];
            fprintf(t.f, "%s,%zu,%s,%" PRIu64 ",", block, k + 1, ds_format_ipv4(h->addr, addr),
                    h->syn_packets);
            if (h->port_set_sizes != NULL)
                fprintf(t.f, "%" PRIu32, h->ports_max);
            fputc(',', t.f);
            if (h->ttl >= 0)
                fprintf(t.f, "%" PRId32, h->ttl);
            fputc(',', t.f);
            if (h->tcp_window >= 0)
                fprintf(t.f, "%" PRId32, h->tcp_window);
            fputc('\n', t.f);
        }
    }
    return table_close(&t, err);
}

/* host_port_sets.csv - |P_t(host)| of every host with scan-target ports in a scan window. */
static ds_status write_host_port_sets(const ds_results *r, const char *dir, ds_error *err)
{
    table t;
    ds_status st =
        table_open(&t, dir, "host_port_sets.csv", "block,addr,window,port_set_size", err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *n = &r->networks[i];
        char block[20], addr[20], label[32];
        ds_block_format(n->block, n->prefix, block);
        for (size_t k = 0; k < n->n_host_list; k++) {
            const ds_block_host *h = &n->host_list[k];
            for (size_t w = 0; h->port_set_sizes != NULL && w < n->n_scan_windows; w++) {
                if (h->port_set_sizes[w] == 0)
                    continue;
                fprintf(t.f, "%s,%s,%s,%" PRIu32 "\n", block, ds_format_ipv4(h->addr, addr),
                        ds_window_label(&r->window, n->port_sets[w].window, label, sizeof(label)),
                        h->port_set_sizes[w]);
            }
        }
    }
    return table_close(&t, err);
}

/* subnets.csv - every /24 of every block, by packets. */
static ds_status write_subnets(const ds_results *r, const char *dir, ds_error *err)
{
    table t;
    ds_status st = table_open(&t, dir, "subnets.csv", "block,prefix,syn_packets,hosts", err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *n = &r->networks[i];
        char block[20], prefix[20];
        ds_block_format(n->block, n->prefix, block);
        for (size_t k = 0; k < n->n_subnets; k++)
            fprintf(t.f, "%s,%s,%" PRIu64 ",%" PRIu64 "\n", block,
                    ds_block_format(n->subnets[k].prefix, 24, prefix), n->subnets[k].syn_packets,
                    n->subnets[k].hosts);
    }
    return table_close(&t, err);
}

/* countries.csv - the paper's Figure 1: constant scanner blocks per country. */
static ds_status write_countries(const ds_results *r, const char *dir, ds_error *err)
{
    const ds_enrichment *e = r->enrichment;
    table t;
    ds_status st = table_open(&t, dir, "countries.csv", "country,networks,share", err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < e->n_countries; i++) {
        char s[DS_DOUBLE_BUF];
        fprintf(t.f, "%s,%" PRIu32 ",%s\n", e->countries[i].country, e->countries[i].networks,
                ds_fmt_double(share(e->countries[i].networks, r->n_networks), s));
    }
    return table_close(&t, err);
}

static ds_status write_port_sets(const ds_results *r, const char *dir, ds_error *err)
{
    table t;
    ds_status st = table_open(&t, dir, "port_sets.csv", "block,window,port", err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *n = &r->networks[i];
        char block[20], label[32];
        ds_block_format(n->block, n->prefix, block);
        for (size_t w = 0; w < n->n_scan_windows; w++) {
            ds_window_label(&r->window, n->port_sets[w].window, label, sizeof(label));
            for (uint32_t k = 0; k < n->port_sets[w].n; k++)
                fprintf(t.f, "%s,%s,%u\n", block, label, n->port_sets[w].ports[k]);
        }
    }
    return table_close(&t, err);
}

static ds_status write_top_ports(const ds_results *r, const char *dir, ds_error *err)
{
    table t;
    ds_status st =
        table_open(&t, dir, "top_ports.csv", "rank,port,service,port_sets,frequency", err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < r->n_top_ports; i++) {
        const ds_top_port *p = &r->top_ports[i];
        const char *service = ds_port_service(p->port);
        char freq[DS_DOUBLE_BUF];
        fprintf(t.f, "%zu,%u,%s,%" PRIu32 ",%s\n", i + 1, p->port, service ? service : "", p->sets,
                ds_fmt_double(share(p->sets, r->top_ports_total_sets), freq));
    }
    return table_close(&t, err);
}

static ds_status write_windows(const ds_results *r, const char *dir, ds_error *err)
{
    table t;
    ds_status st = table_open(&t, dir, "windows.csv",
                              "window,start,end,packets,syn_packets,complete,max_gap_share,"
                              "scan_blocks,first_time,last_time",
                              err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < r->n_windows; i++) {
        const ds_window_result *w = &r->windows[i];
        char label[32], start[48], end[48], first[48] = "", last[48] = "", gap[DS_DOUBLE_BUF];
        ds_window_label(&r->window, w->id, label, sizeof(label));
        ds_format_time(ds_window_start_ns(&r->window, w->id), start, sizeof(start));
        ds_format_time(ds_window_end_ns(&r->window, w->id), end, sizeof(end));
        if (w->packets > 0) {
            ds_format_time(w->first_ts_ns, first, sizeof(first));
            ds_format_time(w->last_ts_ns, last, sizeof(last));
        }
        fprintf(t.f, "%s,%s,%s,%" PRIu64 ",%" PRIu64 ",%s,%s,%" PRIu32 ",%s,%s\n", label, start,
                end, w->packets, w->syn_packets, w->complete ? "true" : "false",
                ds_fmt_double(share(w->max_gap_slots, DS_AGG_SLOTS), gap), w->scan_blocks, first,
                last);
    }
    return table_close(&t, err);
}

static ds_status write_sweep(const ds_results *r, const char *dir, ds_error *err)
{
    const ds_sweep *sw = r->sweep;
    table t;
    ds_status st = table_open(&t, dir, "sweep.csv", "alpha,min_ports,min_windows,networks", err);
    if (st != DS_OK)
        return st;
    for (size_t a = 0; a < sw->n_alphas; a++) {
        char alpha[DS_DOUBLE_BUF];
        ds_fmt_double(ds_ratio_value(sw->alphas[a]), alpha);
        for (size_t p = 0; p < sw->n_min_ports; p++) {
            for (size_t m = 0; m < sw->n_min_windows; m++) {
                fprintf(t.f, "%s,%" PRIu32 ",%" PRIu32 ",%" PRIu32 "\n", alpha, sw->min_ports[p],
                        sw->min_windows[m],
                        sw->counts[(a * sw->n_min_ports + p) * sw->n_min_windows + m]);
            }
        }
    }
    return table_close(&t, err);
}

/* Table 4: gamma per block and honeypot window. */
static ds_status write_app_scan(const ds_results *r, const char *dir, ds_error *err)
{
    table t;
    ds_status st = table_open(&t, dir, "app_scan.csv",
                              "block,window,ports,app_ports,ratio,app_port_list", err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *n = &r->networks[i];
        char block[20], label[32], ratio[DS_DOUBLE_BUF];
        ds_block_format(n->block, n->prefix, block);
        for (size_t k = 0; k < n->n_app_scans; k++) {
            const ds_app_scan_result *a = &n->app_scans[k];
            fprintf(t.f, "%s,%s,%" PRIu32 ",%" PRIu32 ",%s,", block,
                    ds_window_label(&r->window, a->window, label, sizeof(label)), a->ports,
                    a->app_ports, ds_fmt_double(share(a->app_ports, a->ports), ratio));
            for (uint32_t p = 0; p < a->app_ports; p++)
                fprintf(t.f, "%s%u", p ? " " : "", a->app_port_list[p]);
            fputc('\n', t.f);
        }
    }
    return table_close(&t, err);
}

ds_status ds_results_write_tables(const ds_results *r, const char *dir, ds_error *err)
{
    ds_status st = write_networks(r, dir, err);
    if (st == DS_OK)
        st = write_port_sets(r, dir, err);
    if (st == DS_OK)
        st = write_top_ports(r, dir, err);
    if (st == DS_OK)
        st = write_windows(r, dir, err);
    if (st == DS_OK)
        st = write_hosts(r, dir, err);
    if (st == DS_OK)
        st = write_subnets(r, dir, err);
    if (st == DS_OK && r->host_pass)
        st = write_host_port_sets(r, dir, err);
    if (st == DS_OK && r->enrichment != NULL && r->enrichment->geoip)
        st = write_countries(r, dir, err);
    if (st == DS_OK && r->sweep != NULL && r->sweep->counts != NULL)
        st = write_sweep(r, dir, err);
    if (st == DS_OK && r->honeypot != NULL)
        st = write_app_scan(r, dir, err);
    return st;
}
