/*
 * summary.c - the terminal summary of the results: what was read, the windows, the constant
 * scanner blocks like the paper's Table 3, and the top ports like its Table 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "darkscan/enrich.h"
#include "darkscan/output.h"

/* group - n with thousands separators into buf (at least 27 bytes); returns buf. */
static char *group(uint64_t n, char *buf)
{
    char digits[21];
    int len = snprintf(digits, sizeof(digits), "%" PRIu64, n);
    int out = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
    return buf;
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0.0 : 100.0 * (double)part / (double)whole;
}

static void write_overview(const ds_results *r, FILE *f)
{
    char a[32], b[32], c[32], d[32];
    fprintf(f, "darknet: %s addresses", group(r->darknet_size, a));
    if (r->n_sensors > 1) {
        fprintf(f, " in %zu sensors (", r->n_sensors);
        for (size_t i = 0; i < r->n_sensors; i++)
            fprintf(f, "%s%s %s", i ? ", " : "", r->sensors[i].name, group(r->sensors[i].size, a));
        fputc(')', f);
    }
    if (r->darknet_sample > 0)
        fprintf(f, "; coverage estimated from a sample of %s (standard error %.2f%% at alpha)",
                group(r->darknet_sample, a),
                100 * ds_sample_stderr(r->darknet_sample, r->darknet_size,
                                       ds_ratio_value(r->params.alpha)));
    fputc('\n', f);
    fprintf(f, "input: %s files, %s packets, %s SYN to the darknet, %s packets outside it\n",
            group(r->input.files, a), group(r->input.records, b),
            group(r->totals.syn_to_darknet, c), group(r->totals.outside_darknet, d));
    char unit[32];
    ds_window_spec_name(&r->window, unit, sizeof(unit));
    if (r->n_windows > 0) {
        char first[32], last[32];
        size_t incomplete = 0;
        for (size_t i = 0; i < r->n_windows; i++)
            incomplete += !r->windows[i].complete;
        fprintf(f, "windows: %zu x %s, %s .. %s", r->n_windows, unit,
                ds_window_label(&r->window, r->windows[0].id, first, sizeof(first)),
                ds_window_label(&r->window, r->windows[r->n_windows - 1].id, last, sizeof(last)));
        if (incomplete > 0) {
            fprintf(f, " (%zu incomplete:", incomplete);
            size_t shown = 0;
            for (size_t i = 0; i < r->n_windows && shown < 6; i++) {
                if (!r->windows[i].complete) {
                    fprintf(f, " %s",
                            ds_window_label(&r->window, r->windows[i].id, first, sizeof(first)));
                    shown++;
                }
            }
            fprintf(f, "%s)", incomplete > shown ? " ..." : "");
        }
        fputc('\n', f);
    } else {
        fprintf(f, "windows: none (no packets)\n");
    }
    fprintf(f,
            "parameters: alpha %.6g (%s of %s addresses), n %" PRIu32 " ports, m %" PRIu32
            " windows, /%u blocks\n",
            ds_ratio_value(r->params.alpha), group(r->alpha_addresses, a),
            group(r->darknet_size, b), r->params.min_ports, r->params.min_windows, r->prefix);
}

static void write_networks(const ds_results *r, FILE *f)
{
    size_t count[3] = {0, 0, 0};
    for (size_t i = 0; i < r->n_networks; i++)
        count[r->networks[i].category]++;
    fprintf(f,
            "\nConstant Internet-wide scanners: %zu block%s (%zu routine, %zu semi-routine, "
            "%zu ad-hoc)\n",
            r->n_networks, r->n_networks == 1 ? "" : "s", count[0], count[1], count[2]);
    if (r->n_networks == 0)
        return;
    const ds_enrichment *e = r->enrichment;
    bool cc = e != NULL && e->geoip, as = e != NULL && e->asn, known = e != NULL && e->known;
    int top24_width = cc || as || known ? 18 : 0; /* no trailing blanks */
    fprintf(f, "\n%-18s %-21s %4s  %-12s %6s %6s %7s %7s %13s %6s  %-*s", "block", "period", "wins",
            "category", "ports", "min", "jaccard", "simpson", "SYN packets", "mirai", top24_width,
            "top /24");
    int cc_width = as || known ? 3 : 0, as_width = known ? 10 : 0;
    if (cc)
        fprintf(f, " %-*s", cc_width, "cc");
    if (as)
        fprintf(f, " %-*s", as_width, "AS");
    if (known)
        fprintf(f, " %s", "known scanners (hosts)");
    fputc('\n', f);
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *n = &r->networks[i];
        char block[20], top24[20], first[32], last[32], period[70], pkts[32];
        ds_window_label(&r->window, n->port_sets[0].window, first, sizeof(first));
        ds_window_label(&r->window, n->port_sets[n->n_scan_windows - 1].window, last, sizeof(last));
        snprintf(period, sizeof(period), "%s..%s", first, last);
        fprintf(f,
                "%-18s %-21s %4zu  %-12s %6" PRIu32 " %6" PRIu32 " %7.3f %7.3f %13s %5.1f%%  %-*s",
                ds_block_format(n->block, n->prefix, block), period, n->n_scan_windows,
                ds_category_name(n->category), n->ports_max, n->ports_min,
                ds_ratio_value(n->jaccard_median), ds_ratio_value(n->simpson_median),
                group(n->syn_packets, pkts), pct(n->mirai_packets, n->syn_packets), top24_width,
                ds_block_format(n->top24, 24, top24));
        const ds_network_enrichment *ne = e != NULL && i < e->n_networks ? &e->networks[i] : NULL;
        if (cc)
            fprintf(f, " %-*s", cc_width, ne->country[0] ? ne->country : "-");
        if (as) {
            char number[16] = "-";
            if (ne->has_asn)
                snprintf(number, sizeof(number), "AS%" PRIu32, ne->asn.number);
            fprintf(f, " %-*s", as_width, number);
        }
        if (known) {
            fputc(' ', f);
            for (size_t k = 0; k < ne->n_known; k++)
                fprintf(f, "%s%s (%" PRIu64 ")", k ? ", " : "", ne->known[k].name,
                        ne->known[k].hosts);
            if (ne->n_known == 0)
                fputc('-', f);
        }
        fputc('\n', f);
    }
    if (cc && e->n_countries > 0) {
        fprintf(f, "\nBlocks per country:");
        for (size_t i = 0; i < e->n_countries; i++)
            fprintf(f, "%s %s %" PRIu32, i ? "," : "",
                    e->countries[i].country[0] ? e->countries[i].country : "unknown",
                    e->countries[i].networks);
        fputc('\n', f);
    }
}

static void write_top_ports(const ds_results *r, FILE *f, size_t top_n)
{
    if (r->top_ports_total_sets == 0)
        return;
    fprintf(f, "\nTop ports of routine and semi-routine blocks (%" PRIu32 " port sets):\n",
            r->top_ports_total_sets);
    fprintf(f, "%4s %6s  %-16s %7s\n", "rank", "port", "service", "share");
    for (size_t i = 0; i < r->n_top_ports && i < top_n; i++) {
        const ds_top_port *p = &r->top_ports[i];
        const char *service = ds_port_service(p->port);
        fprintf(f, "%4zu %6u  %-16s %6.1f%%\n", i + 1, p->port, service ? service : "-",
                pct(p->sets, r->top_ports_total_sets));
    }
}

/* Table 4: application-layer scanning ratio per block, in the honeypot windows. */
static void write_app_scan(const ds_results *r, FILE *f)
{
    const ds_honeypot_info *h = r->honeypot;
    fprintf(f,
            "\nApplication-layer scanning (honeypot: %" PRIu32 " addresses, quorum %" PRIu32
            ", %" PRIu64 " sessions):\n",
            h->addresses, h->quorum, h->sessions);
    size_t shown = 0;
    for (size_t i = 0; i < r->n_networks; i++) {
        const ds_network *n = &r->networks[i];
        for (size_t k = 0; k < n->n_app_scans; k++) {
            const ds_app_scan_result *a = &n->app_scans[k];
            char block[20], label[32];
            if (shown++ == 0)
                fprintf(f, "%-18s %-12s %7s %9s %7s\n", "block", "window", "ports", "app ports",
                        "gamma");
            fprintf(f, "%-18s %-12s %7" PRIu32 " %9" PRIu32 " %6.1f%%\n",
                    ds_block_format(n->block, n->prefix, block),
                    ds_window_label(&r->window, a->window, label, sizeof(label)), a->ports,
                    a->app_ports, pct(a->app_ports, a->ports));
        }
    }
    if (shown == 0)
        fprintf(f, "no constant scanner block scanned in the honeypot's windows\n");
}

ds_status ds_results_write_summary(const ds_results *r, FILE *f, size_t top_n, ds_error *err)
{
    write_overview(r, f);
    write_networks(r, f);
    write_top_ports(r, f, top_n);
    if (r->honeypot != NULL)
        write_app_scan(r, f);
    if (ferror(f))
        return ds_error_set(err, DS_ERR_IO, "write failed: %s", strerror(errno));
    return DS_OK;
}
