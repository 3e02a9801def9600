/*
 * report_block.c - one section per constant scanner block: what the paper shows as Figures
 * 3, 4 and 5 for one example of each category, here for every block. The window x port chart
 * of its port sets (ports on the port scale, so that 22 and 60000 are both readable), its
 * port-set size per window, its facts, its top hosts and /24s.
 *
 * The port chart draws each window's port set as runs of consecutive ports merged on screen
 * (ds_plot_runs): a block with 10,000 ports in 12 windows becomes a few hundred rectangles,
 * not 120,000. Each rectangle says how many ports (data-ports) and runs (data-runs) it
 * stands for, and its opacity shows how densely it is filled.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/output.h"
#include "report/html.h"
#include "report/plot.h"
#include "report/report_int.h"

#define DASH "\xE2\x80\x93"

static const char *port_label(double v, char *buf, size_t cap, void *ctx)
{
    snprintf(buf, cap, "%.0f", v);
    return buf;
}

static void fact_begin(FILE *out, const char *term)
{
    ds_html_raw(out, "<dt>");
    ds_html_text(out, term);
    ds_html_raw(out, "</dt><dd>");
}

static void fact_text(FILE *out, const char *term, const char *value)
{
    fact_begin(out, term);
    ds_html_text(out, value != NULL ? value : DASH);
    ds_html_raw(out, "</dd>\n");
}

static void write_facts(FILE *out, const rp_doc *doc, const rp_net *net)
{
    const ds_jval *v = net->v;
    char a[32], b[32], text[400];
    uint64_t u, u2;
    double d;
    ds_html_raw(out, "<dl class=\"facts\">\n");
    const char *first = rp_str(v, "first_window"), *last = rp_str(v, "last_window");
    const ds_jval *ps = ds_jval_get(v, "port_sets");
    size_t scans = ds_jval_object_len(ps);
    if (first == NULL && scans > 0)
        first = ds_jval_object_key(ps, 0, NULL);
    if (last == NULL && scans > 0)
        last = ds_jval_object_key(ps, scans - 1, NULL);
    if (ds_jval_get(v, "scan_windows") != NULL)
        scans = ds_jval_array_len(ds_jval_get(v, "scan_windows"));
    snprintf(text, sizeof(text), "%s " DASH " %s, %zu scan windows of %zu",
             first != NULL ? first : "?", last != NULL ? last : "?", scans, doc->n_windows);
    fact_text(out, "period", text);
    if (rp_u64(v, "ports_max", &u) && rp_u64(v, "ports_min", &u2)) {
        snprintf(text, sizeof(text), "%s max, %s min", rp_fmt_count(u, a), rp_fmt_count(u2, b));
        fact_text(out, "port-set size", text);
    }
    snprintf(text, sizeof(text), "Jaccard %s, Simpson %s (%s)", rp_fmt_ratio(net->jaccard, a),
             rp_fmt_ratio(net->simpson, b), net->category != NULL ? net->category : "?");
    fact_text(out, "medians", text);
    if (rp_u64(v, "syn_packets", &u)) {
        int len = snprintf(text, sizeof(text), "%s", rp_fmt_count(u, a));
        if (rp_num(v, "mirai_share", &d) && len > 0)
            snprintf(text + len, sizeof(text) - (size_t)len, ", Mirai %s", rp_fmt_pct(d, b));
        fact_text(out, "SYN packets", text);
    }
    if (rp_u64(v, "host_count", &u))
        fact_text(out, "source hosts", rp_fmt_count(u, a));
    const char *top24 = rp_str(v, "top24");
    if (top24 != NULL) {
        if (rp_u64(v, "top24_syn_packets", &u))
            snprintf(text, sizeof(text), "%s (%s SYN packets)", top24, rp_fmt_count(u, a));
        else
            snprintf(text, sizeof(text), "%s", top24);
        fact_text(out, "busiest /24", text);
    }
    if (doc->has.country)
        fact_text(out, "country", net->country);
    if (doc->has.asn) {
        const ds_jval *asn = ds_jval_get(v, "asn");
        const char *org = rp_str(asn, "org");
        if (rp_u64(asn, "number", &u))
            snprintf(text, sizeof(text), "AS%llu%s%s", (unsigned long long)u,
                     org != NULL ? " " : "", org != NULL ? org : "");
        fact_text(out, "AS", rp_u64(asn, "number", &u) ? text : NULL);
    }
    if (doc->has.known) {
        const ds_jval *known = ds_jval_get(v, "known_scanners");
        fact_text(out, "known scanner lists",
                  ds_jval_type(known) == DS_JVAL_ARRAY ? rp_known_text(known, text, sizeof(text))
                                                       : NULL);
    }
    if (doc->has.fingerprints) {
        const ds_jval *fp = ds_jval_get(v, "fingerprints");
        double top;
        fact_text(out, "tool fingerprints (\xE2\x89\xA5 1% of SYN packets)",
                  ds_jval_type(fp) == DS_JVAL_OBJECT
                      ? rp_fingerprints_text(fp, &top, text, sizeof(text))
                      : NULL);
    }
    if (doc->has.app_scan) {
        const ds_jval *app = ds_jval_get(v, "app_scan");
        if (rp_num(app, "ratio", &d)) {
            int len = snprintf(text, sizeof(text), "\xCE\xB3 = %s", rp_fmt_pct(d, a));
            if (rp_u64(app, "app_ports", &u) && rp_u64(app, "ports", &u2) && len > 0)
                len += snprintf(text + len, sizeof(text) - (size_t)len, " (%s of %s ports",
                                rp_fmt_count(u, a), rp_fmt_count(u2, b));
            const char *win = rp_str(app, "window");
            if (len > 0 && (size_t)len < sizeof(text))
                snprintf(text + len, sizeof(text) - (size_t)len, "%s%s%s",
                         win != NULL && strchr(text, '(') != NULL ? " in " : "",
                         win != NULL && strchr(text, '(') != NULL ? win : "",
                         strchr(text, '(') != NULL ? ")" : "");
            fact_text(out, "application-layer scanning", text);
        } else {
            fact_text(out, "application-layer scanning", NULL);
        }
    }
    if (doc->has.documented) {
        bool documented;
        if (ds_jval_bool(ds_jval_get(v, "documented"), &documented) == DS_OK) {
            fact_begin(out, "disclosure page");
            ds_html_raw(out, documented ? "\xE2\x9C\x93 yes" : "no");
            rp_json_flat(ds_jval_get(v, "evidence"), text, sizeof(text));
            if (text[0] != '\0') {
                ds_html_raw(out, ": ");
                ds_html_text(out, text);
            }
            ds_html_raw(out, "</dd>\n");
        } else {
            fact_text(out, "disclosure page", NULL);
        }
    }
    ds_html_raw(out, "</dl>\n");
}

/* cell_title - "2018-07: port 22 (ssh)", "...: ports 22-24 (3)", "...: 37 ports in 12 runs". */
static void cell_title(char *buf, size_t cap, const char *window, const ds_plot_run *r)
{
    if (r->values == 1) {
        const char *svc = ds_port_service((uint16_t)r->first);
        snprintf(buf, cap, "%s: port %u%s%s%s", window, r->first, svc != NULL ? " (" : "",
                 svc != NULL ? svc : "", svc != NULL ? ")" : "");
    } else if (r->runs == 1) {
        snprintf(buf, cap, "%s: ports %u" DASH "%u (%u)", window, r->first, r->last, r->values);
    } else {
        snprintf(buf, cap, "%s: %u ports in %u runs between %u and %u", window, r->values, r->runs,
                 r->first, r->last);
    }
}

static void port_chart(FILE *out, rp_doc *doc, const rp_net *net, ds_plot_run *runs)
{
    const ds_jval *ps = ds_jval_get(net->v, "port_sets");
    double plot_w = 34.0 * (double)doc->n_windows;
    plot_w = plot_w < 220 ? 220 : plot_w > 720 ? 720 : plot_w;
    rp_window_axis layout = rp_window_axis_layout(doc, plot_w);
    char label[160];
    snprintf(label, sizeof(label), "Port sets of %s per window", net->block);
    ds_plot p;
    ds_html_raw(out, "<figure class=\"ports\">\n");
    ds_plot_begin(&p, out, plot_w + 64, 330 + layout.height,
                  (ds_plot_margins){10, 12, layout.height, 52}, label, "chart ports");
    p.x = ds_scale_band(doc->n_windows, p.left, p.right, 0.12);
    p.y = ds_scale_port(p.bot, p.top);
    double ticks[64], bw = ds_scale_bandwidth(&p.x);
    size_t nt = ds_scale_ticks(&p.y, 10, 13, ticks, 64);
    ds_plot_axis(&p, &(ds_axis){.side = DS_AXIS_LEFT,
                                .ticks = ticks,
                                .n_ticks = nt,
                                .label = port_label,
                                .title = "destination port",
                                .grid = true});
    for (size_t k = 0; k < ds_jval_object_len(ps); k++) {
        const char *window = ds_jval_object_key(ps, k, NULL);
        size_t wi = rp_window_find(doc, window);
        if (wi == SIZE_MAX)
            continue; /* rp_doc_build refused such documents */
        size_t n = rp_port_set(doc, ds_jval_object_value(ps, k));
        size_t nr = ds_plot_runs(&p.y, doc->ports, n, 1.0, 1.0, runs);
        double x = ds_scale_map(&p.x, (double)wi);
        ds_plot_rect(&p, NULL, x, p.top, bw, p.bot - p.top, &(ds_plot_mark){.cls = "scanwin"});
        ds_html_raw(out, "<g");
        ds_html_attr(out, "data-window", window);
        ds_html_rawf(out, " data-ports=\"%zu\">\n", n);
        for (size_t r = 0; r < nr; r++) {
            char title[200], nports[16], nruns[16];
            cell_title(title, sizeof(title), window, &runs[r]);
            snprintf(nports, sizeof(nports), "%u", runs[r].values);
            snprintf(nruns, sizeof(nruns), "%u", runs[r].runs);
            ds_plot_data data[] = {{"ports", nports}, {"runs", nruns}};
            /* a merged interval is as opaque as it is full of ports, at least 0.3 */
            double span = (double)runs[r].last - runs[r].first + 1;
            double fill = (double)runs[r].values / span;
            ds_plot_rect(&p, "cell", x, runs[r].p0, bw, runs[r].p1 - runs[r].p0,
                         &(ds_plot_mark){.cls = rp_cat_class(net->cat),
                                         .title = title,
                                         .data = data,
                                         .n_data = 2,
                                         .opacity = fill < 1 ? 0.3 + 0.7 * fill : 0});
        }
        ds_html_raw(out, "</g>\n");
    }
    rp_window_axis_draw(&p, doc, layout, NULL);
    ds_plot_end(&p);
    ds_html_raw(out, "<figcaption>Scan-target ports in each scan window (grey columns; the "
                     "others are windows without an Internet-wide scan). The port axis has "
                     "three parts: 0\xE2\x80\x93"
                     "1023 on a log scale (lower 40%), 1024\xE2\x80\x93"
                     "10239 and 10240\xE2\x80\x93"
                     "65535 linear (20% and 40%). Nearby ports merge into one mark, paler when "
                     "sparsely filled; hover for the ports.</figcaption>\n</figure>\n");
}

static void size_chart(FILE *out, rp_doc *doc, const rp_net *net)
{
    const ds_jval *ps = ds_jval_get(net->v, "port_sets");
    double max = 0, min_ports = 0;
    for (size_t k = 0; k < ds_jval_object_len(ps); k++) {
        double len = (double)ds_jval_array_len(ds_jval_object_value(ps, k));
        if (len > max)
            max = len;
    }
    bool have_n = rp_num(ds_jval_get(doc->root, "params"), "min_ports", &min_ports);
    if (have_n && min_ports > max)
        max = min_ports;
    double plot_w = 34.0 * (double)doc->n_windows;
    plot_w = plot_w < 220 ? 220 : plot_w > 720 ? 720 : plot_w;
    rp_window_axis layout = rp_window_axis_layout(doc, plot_w);
    char label[160];
    snprintf(label, sizeof(label), "Port-set size of %s per window", net->block);
    ds_plot p;
    ds_html_raw(out, "<figure class=\"sizes\">\n");
    ds_plot_begin(&p, out, plot_w + 64, 170 + layout.height,
                  (ds_plot_margins){10, 12, layout.height, 52}, label, "chart sizes");
    p.x = ds_scale_band(doc->n_windows, p.left, p.right, 0.2);
    rp_count_axis(&p, max, "ports");
    for (size_t k = 0; k < ds_jval_object_len(ps); k++) {
        const char *window = ds_jval_object_key(ps, k, NULL);
        size_t wi = rp_window_find(doc, window);
        if (wi == SIZE_MAX)
            continue;
        size_t len = ds_jval_array_len(ds_jval_object_value(ps, k));
        char title[96];
        snprintf(title, sizeof(title), "%s: %zu ports", window, len);
        ds_plot_bar(&p, wi, 0, (double)len,
                    &(ds_plot_mark){.cls = rp_cat_class(net->cat), .title = title});
    }
    if (have_n) {
        char title[64];
        snprintf(title, sizeof(title), "n = %g: an Internet-wide scan has at least n ports",
                 min_ports);
        double xs[] = {0, 1}, ys[] = {min_ports, min_ports};
        ds_scale x = p.x;
        p.x = ds_scale_linear(0, 1, p.left, p.right);
        ds_plot_line(&p, xs, ys, 2, &(ds_plot_mark){.cls = "threshold", .title = title});
        p.x = x;
    }
    rp_window_axis_draw(&p, doc, layout, NULL);
    ds_plot_end(&p);
    ds_html_raw(out, "<figcaption>|P<sub>t</sub>| per scan window; the dashed line is n."
                     "</figcaption>\n</figure>\n");
}

typedef struct ranked {
    double key;
    size_t index;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* top_table - rows of arr (objects), the `limit` with the most SYN packets first. */
static void top_table(FILE *out, const rp_doc *doc, const ds_jval *arr, const char *title,
                      const char *first_col, const char *first_key, const char *third_col,
                      const char *third_key)
{
    size_t n = ds_jval_array_len(arr);
    size_t limit = doc->opt->top_hosts == 0 || doc->opt->top_hosts > n ? n : doc->opt->top_hosts;
    ranked *order = calloc(n > 0 ? n : 1, sizeof(*order));
    if (order == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        double v = -1;
        rp_num(ds_jval_array_at(arr, i), "syn_packets", &v);
        order[i] = (ranked){v, i};
    }
    qsort(order, n, sizeof(*order), cmp_ranked);
    ds_html_raw(out, "<div><h4>");
    ds_html_text(out, title);
    ds_html_rawf(out, " (top %zu of %zu)</h4>\n<table class=\"sortable\"><thead><tr><th>", limit,
                 n);
    ds_html_text(out, first_col);
    ds_html_raw(out, "</th><th class=\"num\">SYN packets</th><th class=\"num\">");
    ds_html_text(out, third_col);
    ds_html_raw(out, "</th></tr></thead><tbody>\n");
    for (size_t r = 0; r < limit; r++) {
        const ds_jval *e = ds_jval_array_at(arr, order[r].index);
        char buf[32];
        uint64_t u;
        ds_html_raw(out, "<tr>");
        rp_td_text(out, rp_str(e, first_key));
        static const char *none = NULL;
        const char *keys[] = {"syn_packets", third_key, none};
        for (size_t k = 0; keys[k] != NULL; k++) {
            if (rp_u64(e, keys[k], &u))
                rp_td_num(out, (double)u, rp_fmt_count(u, buf));
            else
                rp_td_unknown(out);
        }
        ds_html_raw(out, "</tr>\n");
    }
    ds_html_raw(out, "</tbody></table></div>\n");
    free(order);
}

void rp_write_block(FILE *out, rp_doc *doc, const rp_net *net, void *runs)
{
    const ds_jval *v = net->v;
    ds_html_raw(out, "<article class=\"block\"");
    ds_html_attr(out, "id", net->anchor);
    ds_html_attr(out, "data-block", net->block);
    ds_html_rawf(out, ">\n<h3><span class=\"ref\">%s</span> ", net->ref);
    ds_html_text(out, net->block);
    ds_html_rawf(out, " <span class=\"cat %s\">", rp_cat_class(net->cat));
    ds_html_text(out, net->category != NULL ? net->category : "?");
    ds_html_raw(out, "</span></h3>\n");
    write_facts(out, doc, net);
    if (ds_jval_object_len(ds_jval_get(v, "port_sets")) > 0 && doc->n_windows > 0) {
        ds_html_raw(out, "<div class=\"cols\">\n");
        port_chart(out, doc, net, runs);
        size_chart(out, doc, net);
        ds_html_raw(out, "</div>\n");
    } else {
        ds_html_raw(out, "<p class=\"note\">The results have no port sets for this "
                         "block.</p>\n");
    }
    const ds_jval *hosts = ds_jval_get(v, "hosts"), *subnets = ds_jval_get(v, "subnets");
    bool have_hosts = ds_jval_type(hosts) == DS_JVAL_ARRAY;
    bool have_subnets = ds_jval_type(subnets) == DS_JVAL_ARRAY;
    if (have_hosts || have_subnets) {
        ds_html_raw(out, "<div class=\"cols\">\n");
        if (have_hosts)
            top_table(out, doc, hosts, "Source hosts", "Host", "addr", "Ports max", "ports_max");
        if (have_subnets)
            top_table(out, doc, subnets, "/24 networks", "/24", "prefix", "Hosts", "hosts");
        ds_html_raw(out, "</div>\n");
    } else {
        ds_html_raw(out, "<p class=\"note\">Per-host and per-/24 detail is not in these "
                         "results (keys hosts, subnets).</p>\n");
    }
    ds_html_raw(out, "<p class=\"back\"><a href=\"#table3\">Table 3</a> \xC2\xB7 <a "
                     "href=\"#fig2\">Figure 2</a></p>\n</article>\n");
}
