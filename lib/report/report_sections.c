/*
 * report_sections.c - the report's sections over all blocks: the overview (with the paper's
 * Table 1, darknet size per sensor), Figure 1 (blocks per country), Figure 2 (Jaccard vs
 * Simpson medians), Table 3 (every block), Table 2 (top ports), Table 4 (application-layer
 * scanning) and the threshold sensitivity of --sweep.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/plot.h"
#include "report/report_int.h"

#define DASH "\xE2\x80\x93"

/* ---- shared by the charts over windows ---- */

static const char *window_tick(double v, char *buf, size_t cap, void *ctx)
{
    const rp_doc *doc = ctx;
    size_t i = (size_t)v;
    if (i >= doc->n_windows)
        return "";
    snprintf(buf, cap, "%s%s", doc->windows[i].label, doc->windows[i].complete ? "" : " *");
    return buf;
}

static const char *window_tick_cls(double v, void *ctx)
{
    const rp_doc *doc = ctx;
    size_t i = (size_t)v;
    return i < doc->n_windows && !doc->windows[i].complete ? "incomplete" : NULL;
}

rp_window_axis rp_window_axis_layout(const rp_doc *doc, double plot_width)
{
    size_t longest = 0;
    for (size_t i = 0; i < doc->n_windows; i++) {
        size_t len = strlen(doc->windows[i].label) + (doc->windows[i].complete ? 0 : 2);
        if (len > longest)
            longest = len;
    }
    if (longest > 40) /* tick labels are cut at 63 bytes; keep the margin sane */
        longest = 40;
    double text = 6.5 * (double)longest;
    double step = doc->n_windows > 0 ? plot_width / (double)doc->n_windows : plot_width;
    if (step >= text + 8)
        return (rp_window_axis){false, text + 8, 38};
    return (rp_window_axis){true, 14, text * 0.72 + 30};
}

void rp_window_axis_draw(ds_plot *p, const rp_doc *doc, rp_window_axis layout, const char *title)
{
    double ticks[512];
    size_t n = ds_scale_ticks(&p->x, doc->n_windows, layout.min_gap, ticks,
                              sizeof(ticks) / sizeof(ticks[0]));
    ds_plot_axis(p, &(ds_axis){.side = DS_AXIS_BOTTOM,
                               .ticks = ticks,
                               .n_ticks = n,
                               .label = window_tick,
                               .ctx = (void *)doc,
                               .title = title,
                               .rotate = layout.rotate,
                               .tick_cls = window_tick_cls});
}

void rp_count_axis(ds_plot *p, double max, const char *title)
{
    p->y = ds_scale_linear(0, max > 0 ? max : 1, p->bot, p->top);
    size_t count = max >= 5 ? 5 : (size_t)(max > 1 ? max : 1);
    ds_scale_nice(&p->y, count);
    double ticks[32];
    size_t n = ds_scale_ticks(&p->y, count, 14, ticks, 32);
    ds_plot_axis(
        p, &(ds_axis){
               .side = DS_AXIS_LEFT, .ticks = ticks, .n_ticks = n, .title = title, .grid = true});
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- overview ---- */

static void card(FILE *out, const char *cls, const char *value, const char *label)
{
    ds_html_raw(out, "<div class=\"card");
    if (cls != NULL)
        ds_html_rawf(out, " %s", cls);
    ds_html_raw(out, "\"><b>");
    ds_html_text(out, value);
    ds_html_raw(out, "</b>");
    ds_html_text(out, label);
    ds_html_raw(out, "</div>\n");
}

static void fact(FILE *out, const char *term, const char *value)
{
    ds_html_raw(out, "<dt>");
    ds_html_text(out, term);
    ds_html_raw(out, "</dt><dd>");
    ds_html_text(out, value != NULL ? value : DASH);
    ds_html_raw(out, "</dd>\n");
}

static void fact_count(FILE *out, const char *term, const ds_jval *obj, const char *key)
{
    uint64_t v;
    char buf[32];
    fact(out, term, rp_u64(obj, key, &v) ? rp_fmt_count(v, buf) : NULL);
}

static void windows_chart(FILE *out, rp_doc *doc)
{
    double max = 0, v;
    for (size_t i = 0; i < doc->n_windows; i++)
        if (rp_num(doc->windows[i].v, "syn_packets", &v) && v > max)
            max = v;
    double plot_w = clampd(56.0 * (double)doc->n_windows, 300, 880);
    rp_window_axis layout = rp_window_axis_layout(doc, plot_w);
    ds_plot p;
    ds_html_raw(out, "<figure id=\"fig-windows\">\n");
    ds_plot_begin(&p, out, plot_w + 90, 190 + layout.height,
                  (ds_plot_margins){12, 16, layout.height, 74},
                  "SYN packets to the darknet per window", "chart windows");
    p.x = ds_scale_band(doc->n_windows, p.left, p.right, 0.15);
    rp_count_axis(&p, max, "SYN packets");
    for (size_t i = 0; i < doc->n_windows; i++) {
        const rp_window *w = &doc->windows[i];
        char title[200], count[32];
        uint64_t blocks = 0, syn = 0;
        double gap = 0;
        bool has_syn = rp_u64(w->v, "syn_packets", &syn);
        rp_u64(w->v, "scan_blocks", &blocks);
        rp_num(w->v, "max_gap", &gap);
        int len = snprintf(title, sizeof(title), "%s: %s SYN packets to the darknet", w->label,
                           has_syn ? rp_fmt_count(syn, count) : "unknown");
        if (ds_jval_get(w->v, "scan_blocks") != NULL && len > 0 && (size_t)len < sizeof(title))
            len += snprintf(title + len, sizeof(title) - (size_t)len,
                            "; %llu blocks with an Internet-wide scan", (unsigned long long)blocks);
        if (!w->complete && len > 0 && (size_t)len < sizeof(title))
            snprintf(title + len, sizeof(title) - (size_t)len,
                     "; incomplete: the input leaves %.1f%% of it without packets", gap * 100);
        ds_plot_bar(
            &p, i, 0, (double)syn,
            &(ds_plot_mark){.cls = w->complete ? "bar win" : "bar win incomplete", .title = title});
    }
    rp_window_axis_draw(&p, doc, layout, NULL);
    ds_plot_end(&p);
    ds_html_raw(out, "<figcaption>SYN packets to the darknet in every window of the input. ");
    size_t incomplete = 0;
    for (size_t i = 0; i < doc->n_windows; i++)
        incomplete += !doc->windows[i].complete;
    if (incomplete == 0) {
        ds_html_raw(out, "Every window is complete.");
    } else {
        ds_html_raw(out, "<span class=\"warn\">Incomplete windows (marked *, the input leaves "
                         "a long stretch of them without packets, so coverage there is "
                         "undercounted): ");
        size_t shown = 0;
        for (size_t i = 0; i < doc->n_windows; i++) {
            if (doc->windows[i].complete)
                continue;
            if (shown++ > 0)
                ds_html_raw(out, ", ");
            ds_html_text(out, doc->windows[i].label);
            if (rp_num(doc->windows[i].v, "max_gap", &v))
                ds_html_rawf(out, " (gap %.1f%%)", v * 100);
        }
        ds_html_raw(out, ".</span>");
    }
    ds_html_raw(out, "</figcaption>\n</figure>\n");
}

void rp_write_overview(FILE *out, rp_doc *doc)
{
    const ds_jval *root = doc->root;
    const ds_jval *darknet = ds_jval_get(root, "darknet"), *input = ds_jval_get(root, "input");
    const ds_jval *params = ds_jval_get(root, "params");
    char buf[32], buf2[32], text[96];
    uint64_t v;
    double d;

    ds_html_raw(out, "<section id=\"overview\">\n<h2>Overview</h2>\n<div class=\"cards\">\n");
    card(out, NULL, rp_fmt_count(doc->n_nets, buf), "constant scanner blocks");
    for (int c = 0; c < RP_N_CATS; c++)
        if (c != RP_CAT_OTHER || doc->cat_count[c] > 0)
            card(out, rp_cat_class(c), rp_fmt_count(doc->cat_count[c], buf), rp_cat_label(c));
    if (rp_u64(darknet, "size", &v))
        card(out, NULL, rp_fmt_count(v, buf), "darknet addresses");
    size_t incomplete = 0;
    for (size_t i = 0; i < doc->n_windows; i++)
        incomplete += !doc->windows[i].complete;
    snprintf(text, sizeof(text), "windows (%zu incomplete)", incomplete);
    card(out, NULL, rp_fmt_count(doc->n_windows, buf), text);
    if (rp_u64(input, "syn_to_darknet", &v) || rp_u64(input, "syn_packets", &v))
        card(out, NULL, rp_fmt_count(v, buf), "SYN packets to the darknet");
    ds_html_raw(out, "</div>\n<div class=\"cols\">\n");

    /* Table 1: the darknet's sensors */
    ds_html_raw(out, "<div><h4>Darknet (Table 1)</h4>\n<table id=\"sensors\"><thead><tr><th>"
                     "Sensor</th><th class=\"num\">Addresses</th></tr></thead><tbody>\n");
    const ds_jval *sensors = ds_jval_get(darknet, "sensors");
    for (size_t i = 0; i < ds_jval_array_len(sensors); i++) {
        const ds_jval *s = ds_jval_array_at(sensors, i);
        ds_html_raw(out, "<tr>");
        rp_td_text(out, rp_str(s, "name"));
        if (rp_u64(s, "size", &v))
            rp_td_num(out, (double)v, rp_fmt_count(v, buf));
        else
            rp_td_unknown(out);
        ds_html_raw(out, "</tr>\n");
    }
    ds_html_raw(out, "</tbody><tfoot><tr><th>D (all sensors)</th>");
    if (rp_u64(darknet, "size", &v))
        ds_html_rawf(out, "<th class=\"num\">%s</th>", rp_fmt_count(v, buf));
    else
        ds_html_raw(out, "<th class=\"num\">" DASH "</th>");
    ds_html_raw(out, "</tr></tfoot></table></div>\n");

    ds_html_raw(out, "<div><h4>Input</h4>\n<dl class=\"facts\">\n");
    if (doc->n_windows > 0) {
        snprintf(text, sizeof(text), "%s " DASH " %s", doc->windows[0].label,
                 doc->windows[doc->n_windows - 1].label);
        fact(out, "period", text);
    }
    fact_count(out, "capture files", input, "files");
    fact_count(out, "packets", input, "packets");
    fact_count(out, "SYN packets", input, "syn_packets");
    fact_count(out, "SYN packets to the darknet", input, "syn_to_darknet");
    fact_count(out, "packets outside the darknet", input, "outside_darknet");
    if (rp_u64(input, "truncated_files", &v) && v > 0)
        fact(out, "truncated files", rp_fmt_count(v, buf));
    if (rp_u64(input, "failed_files", &v) && v > 0)
        fact(out, "unreadable files", rp_fmt_count(v, buf));
    ds_html_raw(out, "</dl></div>\n");

    ds_html_raw(out, "<div><h4>Parameters</h4>\n<dl class=\"facts\">\n");
    if (rp_num(params, "alpha", &d)) {
        uint64_t addrs;
        if (rp_u64(params, "alpha_addresses", &addrs) && rp_u64(darknet, "size", &v))
            snprintf(text, sizeof(text), "%g (%s of %s addresses)", d, rp_fmt_count(addrs, buf),
                     rp_fmt_count(v, buf2));
        else
            snprintf(text, sizeof(text), "%g", d);
        fact(out, "\xCE\xB1, scan-target port", text);
    } else {
        fact(out, "\xCE\xB1, scan-target port", NULL);
    }
    fact_count(out, "n, ports of an Internet-wide scan", params, "min_ports");
    fact_count(out, "m, scan windows of a constant scanner", params, "min_windows");
    if (rp_u64(params, "prefix", &v))
        snprintf(text, sizeof(text), "/%llu", (unsigned long long)v);
    fact(out, "source block", rp_u64(params, "prefix", &v) ? text : NULL);
    fact(out, "window", rp_str(params, "window"));
    snprintf(text, sizeof(text), "Jaccard > %g and Simpson > %g", doc->routine_jaccard,
             doc->stable_simpson);
    fact(out, "routine", text);
    snprintf(text, sizeof(text), "Jaccard \xE2\x89\xA4 %g and Simpson > %g", doc->routine_jaccard,
             doc->stable_simpson);
    fact(out, "semi-routine", text);
    snprintf(text, sizeof(text), "Simpson \xE2\x89\xA4 %g", doc->stable_simpson);
    fact(out, "ad-hoc", text);
    if (rp_num(params, "max_gap", &d)) {
        snprintf(text, sizeof(text), "longest gap > %.3g%% of a window", d * 100);
        fact(out, "incomplete window", text);
    }
    ds_html_raw(out, "</dl></div>\n</div>\n");
    if (doc->n_windows > 0 && ds_jval_array_len(ds_jval_get(root, "windows")) > 0)
        windows_chart(out, doc);
    ds_html_raw(out, "</section>\n");
}

/* ---- Figure 1: blocks per country ---- */

typedef struct country_count {
    const char *code; /* NULL: unknown */
    size_t blocks;
    size_t first; /* the first block with it, for the tooltip */
} country_count;

static int cmp_country(const void *a, const void *b)
{
    const country_count *x = a, *y = b;
    if ((x->code == NULL) != (y->code == NULL))
        return x->code == NULL ? 1 : -1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    return x->code == NULL ? 0 : strcmp(x->code, y->code);
}

void rp_write_countries(FILE *out, rp_doc *doc)
{
    ds_html_raw(out, "<section id=\"fig1\">\n<h2>Figure 1. Constant scanner blocks per "
                     "country</h2>\n");
    if (doc->n_nets == 0) {
        ds_html_raw(out, "<p class=\"note\">No constant Internet-wide scanner blocks.</p>\n"
                         "</section>\n");
        return;
    }
    if (!doc->has.country) {
        ds_html_raw(out, "<p class=\"note\">The results have no countries: run "
                         "<code>darkscan analyze --geoip FILE</code> (a MaxMind country "
                         "database) to see where the blocks are.</p>\n</section>\n");
        return;
    }
    country_count *cc = calloc(doc->n_nets, sizeof(*cc));
    if (cc == NULL) {
        ds_html_raw(out, "<p class=\"note\">Out of memory.</p></section>\n");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < doc->n_nets; i++) {
        const char *code = doc->nets[i].country;
        size_t k = 0;
        while (k < n && !((code == NULL && cc[k].code == NULL) ||
                          (code != NULL && cc[k].code != NULL && strcmp(code, cc[k].code) == 0)))
            k++;
        if (k == n)
            cc[n++] = (country_count){code, 0, i};
        cc[k].blocks++;
    }
    qsort(cc, n, sizeof(*cc), cmp_country);
    double plot_w = clampd(40.0 * (double)n, 320, 900);
    bool rotate = n > 24;
    ds_plot p;
    ds_html_raw(out, "<figure>\n");
    ds_plot_begin(&p, out, plot_w + 70, 250 + (rotate ? 20 : 0),
                  (ds_plot_margins){12, 16, rotate ? 58 : 40, 54},
                  "Constant scanner blocks per country", "chart countries");
    p.x = ds_scale_band(n, p.left, p.right, 0.25);
    rp_count_axis(&p, (double)cc[0].blocks > 0 ? (double)cc[0].blocks : 1, "blocks");
    const char **labels = calloc(n, sizeof(*labels));
    double *ticks = calloc(n, sizeof(*ticks));
    for (size_t k = 0; k < n; k++) {
        char title[160];
        const char *code = cc[k].code != NULL ? cc[k].code : "unknown";
        snprintf(title, sizeof(title), "%s: %zu block%s", code, cc[k].blocks,
                 cc[k].blocks == 1 ? "" : "s");
        ds_plot_data data[] = {{"country", code}};
        ds_plot_bar(&p, k, 0, (double)cc[k].blocks,
                    &(ds_plot_mark){.cls = "bar", .title = title, .data = data, .n_data = 1});
        if (labels != NULL && ticks != NULL) {
            labels[k] = cc[k].code != NULL ? cc[k].code : "?";
            ticks[k] = (double)k;
        }
    }
    ds_plot_axis(&p, &(ds_axis){.side = DS_AXIS_BOTTOM,
                                .ticks = ticks,
                                .n_ticks = labels != NULL && ticks != NULL ? n : 0,
                                .label = ds_tick_band_label,
                                .ctx = labels,
                                .rotate = rotate});
    ds_plot_end(&p);
    ds_html_raw(out, "<figcaption>Blocks per country of their busiest /24 (the /24 that sent "
                     "the most SYN packets to the darknet), as in the paper's Figure 1.");
    if (cc[n - 1].code == NULL)
        ds_html_raw(out, " ? = not in the country database.");
    ds_html_raw(out, "</figcaption>\n</figure>\n");
    free(ticks);
    free(labels);
    free(cc);
    ds_html_raw(out, "</section>\n");
}

/* ---- Figure 2: Jaccard vs Simpson medians ---- */

typedef struct placed {
    double x0, y0, x1, y1;
} placed;

static bool overlaps(placed a, placed b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

typedef struct fig2_point {
    size_t net;
    long px, py; /* pixel position, rounded: points on the same pixel share one label */
} fig2_point;

static int cmp_fig2(const void *a, const void *b)
{
    const fig2_point *x = a, *y = b;
    if (x->px != y->px)
        return x->px < y->px ? -1 : 1;
    if (x->py != y->py)
        return x->py < y->py ? -1 : 1;
    return x->net < y->net ? -1 : x->net > y->net;
}

/* place_label - a spot near (x, y) for a label w pixels wide that overlaps no placed label. */
static void place_label(const ds_plot *p, placed *done, size_t n_done, double x, double y, double w,
                        double *lx, double *ly, const char **anchor)
{
    static const struct {
        double dx, dy;
        int align; /* 0 start, 1 middle, 2 end */
    } cand[] = {{7, 4, 0},  {-7, 4, 2},  {0, -8, 1},  {0, 16, 1}, {6, -7, 0},
                {6, 15, 0}, {-6, -7, 2}, {-6, 15, 2}, {7, 16, 0}, {7, -16, 0}};
    static const char *const anchors[] = {"start", "middle", "end"};
    for (size_t k = 0; k < sizeof(cand) / sizeof(cand[0]); k++) {
        double tx = x + cand[k].dx, ty = y + cand[k].dy;
        double x0 = cand[k].align == 0 ? tx : cand[k].align == 1 ? tx - w / 2 : tx - w;
        placed b = {x0, ty - 10, x0 + w, ty + 2};
        bool ok = b.x0 >= p->left - 30 && b.x1 <= p->width && b.y0 >= 0 && b.y1 <= p->bot + 8;
        /* collisions are looked for among the first labels only, so that a result with
         * thousands of blocks stays linear; such a chart is a cloud anyway */
        for (size_t i = 0; ok && i < n_done && i < 400; i++)
            ok = !overlaps(b, done[i]);
        if (ok || k + 1 == sizeof(cand) / sizeof(cand[0])) {
            if (!ok) { /* nowhere free: the first spot, overlapping */
                tx = x + cand[0].dx, ty = y + cand[0].dy, x0 = tx, k = 0;
                b = (placed){x0, ty - 10, x0 + w, ty + 2};
            }
            done[n_done] = b;
            *lx = tx;
            *ly = ty;
            *anchor = anchors[cand[k].align];
            return;
        }
    }
}

void rp_write_similarity(FILE *out, rp_doc *doc)
{
    ds_html_raw(out, "<section id=\"fig2\">\n<h2>Figure 2. Port-set similarity of each block"
                     "</h2>\n");
    if (doc->n_nets == 0) {
        ds_html_raw(out, "<p class=\"note\">No constant Internet-wide scanner blocks.</p>\n"
                         "</section>\n");
        return;
    }
    fig2_point *pts = calloc(doc->n_nets, sizeof(*pts));
    placed *done = calloc(doc->n_nets, sizeof(*done));
    char *label = malloc(doc->n_nets * 8 + 1);
    if (pts == NULL || done == NULL || label == NULL) {
        free(pts);
        free(done);
        free(label);
        ds_html_raw(out, "<p class=\"note\">Out of memory.</p></section>\n");
        return;
    }
    ds_plot p;
    ds_html_raw(out, "<figure>\n");
    ds_plot_begin(&p, out, 560, 480, (ds_plot_margins){14, 70, 46, 56},
                  "Jaccard median against Simpson median per block", "chart similarity");
    p.x = ds_scale_linear(0, 1, p.left, p.right);
    p.y = ds_scale_linear(0, 1, p.bot, p.top);
    double sj = doc->routine_jaccard, ss = doc->stable_simpson;
    ds_plot_region(&p, 0, 0, ss, 1, "ad-hoc", &(ds_plot_mark){.cls = "region cat-adhoc"});
    ds_plot_region(&p, ss, 0, 1, sj, "semi-routine", &(ds_plot_mark){.cls = "region cat-semi"});
    ds_plot_region(&p, ss, sj, 1, 1, "routine", &(ds_plot_mark){.cls = "region cat-routine"});
    double ticks[16];
    size_t nt = ds_scale_ticks(&p.x, 5, 0, ticks, 16);
    ds_plot_axis(&p, &(ds_axis){.side = DS_AXIS_BOTTOM,
                                .ticks = ticks,
                                .n_ticks = nt,
                                .title = "Simpson index (median over pairs of scan windows)",
                                .grid = true});
    nt = ds_scale_ticks(&p.y, 5, 0, ticks, 16);
    ds_plot_axis(&p, &(ds_axis){.side = DS_AXIS_LEFT,
                                .ticks = ticks,
                                .n_ticks = nt,
                                .title = "Jaccard index (median)",
                                .grid = true});
    /* Jaccard <= Simpson for any two sets: nothing can lie above the diagonal */
    ds_plot_line(&p, (double[]){0, 1}, (double[]){0, 1}, 2, &(ds_plot_mark){.cls = "diag"});

    size_t n = 0;
    for (size_t i = 0; i < doc->n_nets; i++) {
        const rp_net *net = &doc->nets[i];
        if (isnan(net->jaccard) || isnan(net->simpson))
            continue;
        pts[n++] = (fig2_point){i, lround(ds_scale_map(&p.x, net->simpson)),
                                lround(ds_scale_map(&p.y, net->jaccard))};
    }
    qsort(pts, n, sizeof(*pts), cmp_fig2);
    for (size_t k = 0; k < n; k++) {
        const rp_net *net = &doc->nets[pts[k].net];
        char title[256], j[32], s[32];
        snprintf(title, sizeof(title), "%s %s: %s, Jaccard %s, Simpson %s", net->ref, net->block,
                 rp_cat_label(net->cat), rp_fmt_ratio(net->jaccard, j),
                 rp_fmt_ratio(net->simpson, s));
        char href[80];
        snprintf(href, sizeof(href), "#%s", net->anchor);
        ds_plot_data data[] = {{"block", net->block}, {"ref", net->ref}};
        char cls[48];
        snprintf(cls, sizeof(cls), "%s", rp_cat_class(net->cat));
        ds_plot_point(
            &p, net->simpson, net->jaccard, 5,
            &(ds_plot_mark){.cls = cls, .title = title, .href = href, .data = data, .n_data = 2});
    }
    /* one label per pixel position: "a" or "a,b,k" where blocks coincide */
    size_t n_done = 0;
    for (size_t k = 0; k < n;) {
        size_t end = k, len = 0;
        while (end < n && pts[end].px == pts[k].px && pts[end].py == pts[k].py) {
            const char *ref = doc->nets[pts[end].net].ref;
            if (end > k)
                label[len++] = ',';
            memcpy(label + len, ref, strlen(ref));
            len += strlen(ref);
            end++;
        }
        label[len] = '\0';
        double lx, ly;
        const char *anchor;
        place_label(&p, done, n_done, (double)pts[k].px, (double)pts[k].py, 6.2 * (double)len, &lx,
                    &ly, &anchor);
        n_done++;
        ds_plot_text(&p, lx, ly, anchor, "point-label", label);
        k = end;
    }
    ds_plot_end(&p);
    ds_html_rawf(out,
                 "<figcaption>Each point is a block (its letter, as in Table 3; click for "
                 "its section): the median Simpson index (x) and Jaccard index (y) over "
                 "all pairs of its scan windows. Regions: routine (Jaccard &gt; %g and "
                 "Simpson &gt; %g), semi-routine (Jaccard &le; %g, Simpson &gt; %g), "
                 "ad-hoc (Simpson &le; %g). ",
                 sj, ss, sj, ss, ss);
    if (n < doc->n_nets) {
        ds_html_raw(out, "Not drawn (no medians in the results): ");
        size_t shown = 0;
        for (size_t i = 0; i < doc->n_nets; i++) {
            if (!isnan(doc->nets[i].jaccard) && !isnan(doc->nets[i].simpson))
                continue;
            ds_html_raw(out, shown++ > 0 ? ", " : "");
            ds_html_text(out, doc->nets[i].block);
        }
        ds_html_raw(out, ".");
    }
    ds_html_raw(out, "</figcaption>\n</figure>\n</section>\n");
    free(pts);
    free(done);
    free(label);
}

/* ---- Table 3: every block ---- */

static double block_sort_key(const char *block)
{
    unsigned a, b, c, d, len;
    char end;
    if (block == NULL || sscanf(block, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &len, &end) != 5 ||
        a > 255 || b > 255 || c > 255 || d > 255 || len > 32)
        return NAN;
    return (((double)a * 256 + b) * 256 + c) * 256 + d + len / 100.0;
}

static const char *tool_name(const char *key)
{
    if (strcmp(key, "zmap") == 0)
        return "ZMap";
    if (strcmp(key, "masscan") == 0)
        return "Masscan";
    if (strcmp(key, "mirai") == 0)
        return "Mirai";
    return key;
}

char *rp_fingerprints_text(const ds_jval *fp, double *top, char *buf, size_t cap)
{
    size_t n = 0;
    *top = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < ds_jval_object_len(fp); k++) {
        double v;
        char pct[32];
        const char *key = ds_jval_object_key(fp, k, NULL);
        if (key == NULL || ds_jval_double(ds_jval_object_value(fp, k), &v) != DS_OK)
            continue;
        if (v > *top)
            *top = v;
        if (v < 0.01 || n + 1 >= cap)
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s %s", n > 0 ? ", " : "", tool_name(key),
                         rp_fmt_pct(v, pct));
        n = w < 0 ? n : n + (size_t)w >= cap ? cap - 1 : n + (size_t)w;
    }
    if (n == 0)
        snprintf(buf, cap, "none");
    return buf;
}

/* fingerprints_cell - the tools whose fingerprint at least 1% of the packets carry. */
static void fingerprints_cell(FILE *out, const ds_jval *fp)
{
    if (ds_jval_type(fp) != DS_JVAL_OBJECT) {
        rp_td_unknown(out);
        return;
    }
    char text[256], buf[32];
    double top;
    rp_fingerprints_text(fp, &top, text, sizeof(text));
    fputs("<td", out);
    ds_html_attr(out, "data-sort", rp_fmt_sort(top, buf));
    fputc('>', out);
    ds_html_text(out, text);
    fputs("</td>", out);
}

char *rp_known_text(const ds_jval *known, char *buf, size_t cap)
{
    size_t n = 0, len = ds_jval_array_len(known);
    buf[0] = '\0';
    for (size_t k = 0; k < len && n + 1 < cap; k++) {
        const ds_jval *e = ds_jval_array_at(known, k);
        const char *name =
            ds_jval_type(e) == DS_JVAL_STRING ? ds_jval_string(e, NULL) : rp_str(e, "name");
        uint64_t hosts;
        char count[48] = "";
        if (rp_u64(e, "hosts", &hosts))
            snprintf(count, sizeof(count), " (%llu host%s)", (unsigned long long)hosts,
                     hosts == 1 ? "" : "s");
        int w = snprintf(buf + n, cap - n, "%s%s%s", k > 0 ? ", " : "", name != NULL ? name : "?",
                         count);
        n = w < 0 ? n : n + (size_t)w >= cap ? cap - 1 : n + (size_t)w;
    }
    if (len == 0)
        snprintf(buf, cap, "none");
    return buf;
}

static void known_cell(FILE *out, const ds_jval *known)
{
    if (ds_jval_type(known) != DS_JVAL_ARRAY) {
        rp_td_unknown(out);
        return;
    }
    char text[512];
    fputs("<td class=\"text\">", out);
    ds_html_text(out, rp_known_text(known, text, sizeof(text)));
    fputs("</td>", out);
}

static void asn_cell(FILE *out, const ds_jval *asn)
{
    uint64_t number;
    if (!rp_u64(asn, "number", &number)) {
        rp_td_unknown(out);
        return;
    }
    char buf[32];
    fputs("<td class=\"text\"", out);
    ds_html_attr(out, "data-sort", rp_fmt_sort((double)number, buf));
    ds_html_rawf(out, ">AS%llu", (unsigned long long)number);
    const char *org = rp_str(asn, "org");
    if (org != NULL) {
        ds_html_raw(out, " ");
        ds_html_text(out, org);
    }
    fputs("</td>", out);
}

static void app_scan_cell(FILE *out, const ds_jval *app)
{
    double ratio;
    if (!rp_num(app, "ratio", &ratio)) {
        rp_td_unknown(out);
        return;
    }
    char buf[32], title[160], a[32], b[32];
    uint64_t ports = 0, app_ports = 0;
    bool counts = rp_u64(app, "ports", &ports) && rp_u64(app, "app_ports", &app_ports);
    const char *win = rp_str(app, "window");
    if (counts)
        snprintf(title, sizeof(title), "%s of %s ports%s%s", rp_fmt_count(app_ports, a),
                 rp_fmt_count(ports, b), win != NULL ? " in " : "", win != NULL ? win : "");
    fputs("<td class=\"num\"", out);
    ds_html_attr(out, "data-sort", rp_fmt_sort(ratio, buf));
    ds_html_attr(out, "title", counts ? title : NULL);
    fputc('>', out);
    ds_html_text(out, rp_fmt_pct(ratio, buf));
    fputs("</td>", out);
}

char *rp_json_flat(const ds_jval *v, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
#define PUT(s)                                                                                     \
    do {                                                                                           \
        int w_ = snprintf(buf + n, cap - n, "%s", (s));                                            \
        n = w_ < 0 ? n : n + (size_t)w_ >= cap ? cap - 1 : n + (size_t)w_;                         \
    } while (0)
    switch (ds_jval_type(v)) {
    case DS_JVAL_STRING: {
        const char *s = ds_jval_string(v, NULL);
        PUT(s != NULL ? s : "");
        break;
    }
    case DS_JVAL_NUMBER:
        PUT(ds_jval_number_text(v));
        break;
    case DS_JVAL_BOOL: {
        bool b = false;
        ds_jval_bool(v, &b);
        PUT(b ? "true" : "false");
        break;
    }
    case DS_JVAL_OBJECT:
    case DS_JVAL_ARRAY: {
        bool obj = ds_jval_type(v) == DS_JVAL_OBJECT;
        size_t len = obj ? ds_jval_object_len(v) : ds_jval_array_len(v);
        for (size_t k = 0; k < len && n + 1 < cap; k++) {
            const ds_jval *e = obj ? ds_jval_object_value(v, k) : ds_jval_array_at(v, k);
            if (k > 0)
                PUT("; ");
            if (obj) {
                const char *key = ds_jval_object_key(v, k, NULL);
                PUT(key != NULL ? key : "?");
                PUT(": ");
            }
            ds_jval_kind kind = ds_jval_type(e);
            if (kind == DS_JVAL_OBJECT || kind == DS_JVAL_ARRAY) {
                PUT("(");
                rp_json_flat(e, buf + n, cap - n);
                n += strlen(buf + n);
                PUT(")");
            } else if (kind != DS_JVAL_NULL) {
                rp_json_flat(e, buf + n, cap - n);
                n += strlen(buf + n);
            } else {
                PUT(DASH);
            }
        }
        break;
    }
    default:
        break;
    }
#undef PUT
    return buf;
}

static void documented_cell(FILE *out, const ds_jval *net)
{
    bool documented;
    if (ds_jval_bool(ds_jval_get(net, "documented"), &documented) != DS_OK) {
        rp_td_unknown(out);
        return;
    }
    char evidence[400];
    const ds_jval *ev = ds_jval_get(net, "evidence");
    rp_json_flat(ev, evidence, sizeof(evidence));
    fputs(documented ? "<td data-sort=\"1\"" : "<td data-sort=\"0\"", out);
    ds_html_attr(out, "title", evidence[0] != '\0' ? evidence : NULL);
    fputs(documented ? ">\xE2\x9C\x93 yes</td>" : ">no</td>", out);
}

void rp_write_networks_table(FILE *out, rp_doc *doc)
{
    const rp_has *h = &doc->has;
    char buf[32];
    ds_html_raw(out, "<section id=\"table3\">\n<h2>Table 3. Constant Internet-wide scanner "
                     "blocks</h2>\n");
    if (doc->n_nets == 0) {
        ds_html_raw(out, "<p class=\"note\">No constant Internet-wide scanner blocks.</p>\n"
                         "</section>\n");
        return;
    }
    ds_html_raw(out, "<div class=\"controls\" id=\"filter\" hidden><label>Filter <input "
                     "type=\"search\" placeholder=\"block, country, AS, organisation\"></label>"
                     "<label>Category <select><option value=\"\">all</option>");
    for (int c = 0; c < RP_CAT_OTHER; c++)
        ds_html_rawf(out, "<option value=\"%s\">%s</option>", rp_cat_label(c), rp_cat_label(c));
    ds_html_raw(out, "</select></label><output></output></div>\n");
    ds_html_raw(out, "<div class=\"wide\"><table id=\"networks\" class=\"sortable\">\n<thead><tr>"
                     "<th>Ref</th><th>Block</th>");
    if (h->country)
        ds_html_raw(out, "<th>Country</th>");
    if (h->asn)
        ds_html_raw(out, "<th>AS</th>");
    if (h->known)
        ds_html_raw(out, "<th>Known scanner</th>");
    ds_html_raw(out, "<th>Period</th><th class=\"num\">Scan windows</th><th>Category</th>"
                     "<th class=\"num\">Jaccard</th><th class=\"num\">Simpson</th>"
                     "<th class=\"num\">Ports max</th><th class=\"num\">Ports min</th>"
                     "<th class=\"num\">SYN packets</th><th class=\"num\">Mirai</th>");
    if (h->fingerprints)
        ds_html_raw(out, "<th>Tools</th>");
    if (h->app_scan)
        ds_html_raw(out, "<th class=\"num\">App-layer \xCE\xB3</th>");
    if (h->documented)
        ds_html_raw(out, "<th>Disclosure</th>");
    ds_html_raw(out, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < doc->n_nets; i++) {
        const rp_net *net = &doc->nets[i];
        const ds_jval *v = net->v;
        double d;
        uint64_t u;
        ds_html_raw(out, "<tr");
        ds_html_attr(out, "data-category", net->category != NULL ? net->category : "");
        ds_html_rawf(out, "><td class=\"ref\" data-sort=\"%zu\">%s</td><td", i, net->ref);
        ds_html_attr(out, "data-sort", rp_fmt_sort(block_sort_key(net->block), buf));
        ds_html_rawf(out, "><a href=\"#%s\">", net->anchor);
        ds_html_text(out, net->block);
        ds_html_raw(out, "</a></td>");
        if (h->country)
            rp_td_text(out, net->country);
        if (h->asn)
            asn_cell(out, ds_jval_get(v, "asn"));
        if (h->known)
            known_cell(out, ds_jval_get(v, "known_scanners"));
        const char *first = rp_str(v, "first_window"), *last = rp_str(v, "last_window");
        if (first != NULL && last != NULL) {
            ds_html_raw(out, "<td");
            ds_html_attr(out, "data-sort", first);
            ds_html_raw(out, ">");
            ds_html_text(out, first);
            ds_html_raw(out, " " DASH " ");
            ds_html_text(out, last);
            ds_html_raw(out, "</td>");
        } else {
            rp_td_unknown(out);
        }
        size_t scans = ds_jval_array_len(ds_jval_get(v, "scan_windows"));
        if (ds_jval_get(v, "scan_windows") == NULL)
            scans = ds_jval_object_len(ds_jval_get(v, "port_sets"));
        rp_td_num(out, (double)scans, rp_fmt_count(scans, buf));
        ds_html_rawf(out, "<td data-sort=\"%d\"><span class=\"cat %s\">", net->cat,
                     rp_cat_class(net->cat));
        ds_html_text(out, net->category != NULL ? net->category : "?");
        ds_html_raw(out, "</span></td>");
        rp_td_num(out, net->jaccard, rp_fmt_ratio(net->jaccard, buf));
        rp_td_num(out, net->simpson, rp_fmt_ratio(net->simpson, buf));
        static const char *const counts[] = {"ports_max", "ports_min", "syn_packets"};
        for (size_t k = 0; k < 3; k++) {
            if (rp_u64(v, counts[k], &u))
                rp_td_num(out, (double)u, rp_fmt_count(u, buf));
            else
                rp_td_unknown(out);
        }
        if (rp_num(v, "mirai_share", &d))
            rp_td_num(out, d, rp_fmt_pct(d, buf));
        else
            rp_td_unknown(out);
        if (h->fingerprints)
            fingerprints_cell(out, ds_jval_get(v, "fingerprints"));
        if (h->app_scan)
            app_scan_cell(out, ds_jval_get(v, "app_scan"));
        if (h->documented)
            documented_cell(out, v);
        ds_html_raw(out, "</tr>\n");
    }
    ds_html_raw(out, "</tbody></table></div>\n<p class=\"note\">The paper's Table 3, with more "
                     "columns. Click a column heading to sort, a block for its section. "
                     "Scan windows: windows in which the block scanned at least n ports; ports "
                     "max/min: the largest and smallest port set among them; Mirai: the share "
                     "of its SYN packets with the Mirai fingerprint (sequence number = "
                     "destination address).</p>\n</section>\n");
}

/* ---- Table 2: top ports ---- */

void rp_write_top_ports(FILE *out, rp_doc *doc)
{
    const ds_jval *top = ds_jval_get(doc->root, "top_ports");
    size_t n = ds_jval_array_len(top);
    size_t limit = doc->opt->top_ports == 0 || doc->opt->top_ports > n ? n : doc->opt->top_ports;
    char buf[32];
    uint64_t sets = 0;
    bool have_sets = rp_u64(doc->root, "top_ports_port_sets", &sets);
    ds_html_raw(out, "<section id=\"table2\">\n<h2>Table 2. Frequently scanned ports</h2>\n");
    if (ds_jval_get(doc->root, "top_ports") == NULL) {
        ds_html_raw(out, "<p class=\"note\">The results have no top_ports.</p>\n</section>\n");
        return;
    }
    if (n == 0) {
        ds_html_raw(out, "<p class=\"note\">No routine or semi-routine blocks, so no port "
                         "frequencies.</p>\n</section>\n");
        return;
    }
    ds_html_raw(out, "<table id=\"top-ports\" class=\"sortable\"><thead><tr><th class=\"num\">"
                     "Rank</th><th class=\"num\">Port</th><th>Service</th><th class=\"num\">"
                     "Frequency</th><th class=\"num\">Port sets</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < limit; i++) {
        const ds_jval *e = ds_jval_array_at(top, i);
        uint64_t port = 0, in_sets;
        double freq;
        rp_u64(e, "port", &port);
        ds_html_raw(out, "<tr>");
        rp_td_num(out, (double)(i + 1), rp_fmt_count(i + 1, buf));
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)port);
        rp_td_num(out, (double)port, buf);
        rp_td_text(out, rp_str(e, "service"));
        if (rp_num(e, "frequency", &freq))
            rp_td_num(out, freq, rp_fmt_pct(freq, buf));
        else
            rp_td_unknown(out);
        if (rp_u64(e, "port_sets", &in_sets))
            rp_td_num(out, (double)in_sets, rp_fmt_count(in_sets, buf));
        else
            rp_td_unknown(out);
        ds_html_raw(out, "</tr>\n");
    }
    ds_html_raw(out, "</tbody></table>\n<p class=\"note\">The share of the port sets of "
                     "routine and semi-routine blocks (every such block, every scan window");
    if (have_sets)
        ds_html_rawf(out, ": %s port sets", rp_fmt_count(sets, buf));
    ds_html_rawf(out, ") that contain the port; the top %zu of %zu.</p>\n</section>\n", limit, n);
}

/* ---- Table 4: application-layer scanning ---- */

void rp_write_app_scan(FILE *out, rp_doc *doc)
{
    char buf[32], buf2[32];
    size_t rows = 0;
    ds_html_raw(out, "<section id=\"table4\">\n<h2>Table 4. Application-layer scanning</h2>\n"
                     "<table id=\"app-scan\" class=\"sortable\"><thead><tr><th>Ref</th>"
                     "<th>Block</th><th>Window \xCF\x84</th><th class=\"num\">Ports |P<sub>"
                     "\xCF\x84</sub>|</th><th class=\"num\">Application-layer ports</th>"
                     "<th class=\"num\">\xCE\xB3</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < doc->n_nets; i++) {
        const rp_net *net = &doc->nets[i];
        const ds_jval *app = ds_jval_get(net->v, "app_scan");
        double ratio;
        uint64_t u;
        if (!rp_num(app, "ratio", &ratio))
            continue;
        rows++;
        ds_html_rawf(out, "<tr><td class=\"ref\" data-sort=\"%zu\">%s</td><td><a href=\"#%s\">", i,
                     net->ref, net->anchor);
        ds_html_text(out, net->block);
        ds_html_raw(out, "</a></td>");
        rp_td_text(out, rp_str(app, "window"));
        static const char *const counts[] = {"ports", "app_ports"};
        for (size_t k = 0; k < 2; k++) {
            if (rp_u64(app, counts[k], &u))
                rp_td_num(out, (double)u, rp_fmt_count(u, buf));
            else
                rp_td_unknown(out);
        }
        rp_td_num(out, ratio, rp_fmt_pct(ratio, buf));
        ds_html_raw(out, "</tr>\n");
    }
    ds_html_raw(out, "</tbody></table>\n");
    ds_html_rawf(out,
                 "<p class=\"note\">%zu of %zu blocks scanned the whole darknet while the "
                 "honeypot listened. \xCE\xB3 is the share of the ports of the port set "
                 "P<sub>\xCF\x84</sub> on which the block went on to establish TCP sessions "
                 "with at least half of the honeypot's addresses (application-layer "
                 "scanning), as in the paper's Table 4.",
                 rows, doc->n_nets);
    /* the honeypot itself, as analyze --honeypot-log describes it */
    const ds_jval *hp = ds_jval_get(doc->root, "honeypot");
    uint64_t addresses, quorum, sessions;
    if (rp_u64(hp, "addresses", &addresses) && rp_u64(hp, "quorum", &quorum)) {
        ds_html_rawf(out, " The honeypot: %s addresses, a port counts with sessions on %s",
                     rp_fmt_count(addresses, buf), rp_fmt_count(quorum, buf2));
        if (rp_u64(hp, "sessions", &sessions))
            ds_html_rawf(out, "; %s sessions", rp_fmt_count(sessions, buf));
        const ds_jval *wins = ds_jval_get(hp, "windows");
        for (size_t i = 0; i < ds_jval_array_len(wins); i++) {
            const char *w = ds_jval_string(ds_jval_array_at(wins, i), NULL);
            ds_html_raw(out, i == 0 ? " in " : ", ");
            ds_html_text(out, w != NULL ? w : "?");
        }
        ds_html_raw(out, ".");
    }
    ds_html_raw(out, "</p>\n</section>\n");
}

/* ---- threshold sensitivity (--sweep) ---- */

#define SWEEP_MAX_VALUES 64

typedef struct values {
    double v[SWEEP_MAX_VALUES];
    size_t n;
} values;

static size_t value_index(const values *vs, double v)
{
    for (size_t i = 0; i < vs->n; i++)
        if (fabs(vs->v[i] - v) < 1e-9)
            return i;
    return SIZE_MAX;
}

static void value_add(values *vs, double v)
{
    if (value_index(vs, v) != SIZE_MAX || vs->n == SWEEP_MAX_VALUES)
        return;
    size_t i = vs->n++;
    while (i > 0 && vs->v[i - 1] > v) {
        vs->v[i] = vs->v[i - 1];
        i--;
    }
    vs->v[i] = v;
}

/* pick - v when the sweep has it, else the middle of its values (v NaN: not known). */
static size_t pick(const values *vs, double v)
{
    size_t i = isnan(v) ? SIZE_MAX : value_index(vs, v);
    return i != SIZE_MAX ? i : vs->n / 2;
}

void rp_write_sweep(FILE *out, rp_doc *doc)
{
    const ds_jval *sweep = ds_jval_get(doc->root, "sweep");
    const ds_jval *params = ds_jval_get(doc->root, "params");
    size_t rows = ds_jval_array_len(sweep);
    values alphas = {{0}, 0}, ports = {{0}, 0}, wins = {{0}, 0};
    for (size_t r = 0; r < rows; r++) {
        const ds_jval *e = ds_jval_array_at(sweep, r);
        double a, n, m, c;
        if (rp_num(e, "alpha", &a) && rp_num(e, "min_ports", &n) && rp_num(e, "min_windows", &m) &&
            rp_num(e, "networks", &c)) {
            value_add(&alphas, a);
            value_add(&ports, n);
            value_add(&wins, m);
        }
    }
    ds_html_raw(out, "<section id=\"sweep\">\n<h2>Threshold sensitivity</h2>\n");
    if (alphas.n == 0) {
        ds_html_raw(out, "<p class=\"note\">The sweep has no usable rows.</p>\n</section>\n");
        return;
    }
    double pa = NAN, pn = NAN, pm = NAN;
    rp_num(params, "alpha", &pa);
    rp_num(params, "min_ports", &pn);
    rp_num(params, "min_windows", &pm);
    size_t ca = pick(&alphas, pa), cn = pick(&ports, pn), cm = pick(&wins, pm);
    /* counts[a][n] at m = the chosen m, and grid[a][m] at the chosen n; NaN: not in the sweep */
    size_t na = alphas.n, nn = ports.n, nm = wins.n;
    double *by_n = malloc(na * nn * sizeof(double)), *by_m = malloc(na * nm * sizeof(double));
    double *xs = malloc(na * sizeof(double)), *ys = malloc(na * sizeof(double));
    if (by_n == NULL || by_m == NULL || xs == NULL || ys == NULL) {
        free(by_n), free(by_m), free(xs), free(ys);
        ds_html_raw(out, "<p class=\"note\">Out of memory.</p></section>\n");
        return;
    }
    for (size_t i = 0; i < na * nn; i++)
        by_n[i] = NAN;
    for (size_t i = 0; i < na * nm; i++)
        by_m[i] = NAN;
    double max = 0;
    for (size_t r = 0; r < rows; r++) {
        const ds_jval *e = ds_jval_array_at(sweep, r);
        double a, n, m, c;
        if (!(rp_num(e, "alpha", &a) && rp_num(e, "min_ports", &n) &&
              rp_num(e, "min_windows", &m) && rp_num(e, "networks", &c)))
            continue;
        size_t ia = value_index(&alphas, a), in = value_index(&ports, n);
        size_t im = value_index(&wins, m);
        if (ia == SIZE_MAX || in == SIZE_MAX || im == SIZE_MAX)
            continue;
        if (im == cm) {
            by_n[ia * nn + in] = c;
            if (c > max)
                max = c;
        }
        if (in == cn)
            by_m[ia * nm + im] = c;
    }

    ds_plot p;
    char title[160], label[128];
    ds_html_raw(out, "<figure>\n");
    snprintf(title, sizeof(title), "Constant scanner blocks by alpha and n, at m = %g", wins.v[cm]);
    ds_plot_begin(&p, out, 620, 330, (ds_plot_margins){34, 20, 44, 60}, title, "chart sweep");
    p.x = ds_scale_linear(alphas.v[0], alphas.v[na - 1], p.left, p.right);
    rp_count_axis(&p, max, "constant scanner blocks");
    double ticks[SWEEP_MAX_VALUES];
    size_t nt = 0;
    for (size_t i = 0; i < na; i++)
        ticks[nt++] = alphas.v[i];
    ds_plot_axis(&p, &(ds_axis){.side = DS_AXIS_BOTTOM,
                                .ticks = ticks,
                                .n_ticks = nt,
                                .title = "\xCE\xB1 (share of the darknet a port must reach)"});
    ds_plot_legend_item legend[SWEEP_MAX_VALUES];
    char legend_text[SWEEP_MAX_VALUES][32];
    static const char *const series[] = {"series-0", "series-1", "series-2",
                                         "series-3", "series-4", "series-5"};
    for (size_t in = 0; in < nn; in++) {
        const char *cls = series[in % 6];
        for (size_t ia = 0; ia < na; ia++) {
            xs[ia] = alphas.v[ia];
            ys[ia] = by_n[ia * nn + in];
        }
        snprintf(title, sizeof(title), "n = %g", ports.v[in]);
        ds_plot_line(&p, xs, ys, na, &(ds_plot_mark){.cls = cls, .title = title});
        for (size_t ia = 0; ia < na; ia++) {
            if (isnan(ys[ia]))
                continue;
            snprintf(label, sizeof(label), "\xCE\xB1 %g, n %g, m %g: %g blocks", xs[ia],
                     ports.v[in], wins.v[cm], ys[ia]);
            ds_plot_point(&p, xs[ia], ys[ia], 3, &(ds_plot_mark){.cls = cls, .title = label});
        }
        snprintf(legend_text[in], sizeof(legend_text[in]), "n = %g", ports.v[in]);
        legend[in] = (ds_plot_legend_item){cls, legend_text[in], true};
    }
    if (!isnan(by_n[ca * nn + cn]))
        ds_plot_point(&p, alphas.v[ca], by_n[ca * nn + cn], 7,
                      &(ds_plot_mark){.cls = "current", .title = "the parameters of this run"});
    ds_plot_legend(&p, p.left, 8, legend, nn);
    ds_plot_end(&p);
    ds_html_rawf(out,
                 "<figcaption>How many constant scanner blocks the method finds as the "
                 "thresholds move: one line per n (ports of an Internet-wide scan), m = %g "
                 "scan windows; the ring marks this run's parameters.</figcaption>\n"
                 "</figure>\n",
                 wins.v[cm]);

    ds_html_rawf(out,
                 "<h4>Blocks by \xCE\xB1 and m, at n = %g</h4>\n<div class=\"wide\"><table "
                 "id=\"sweep-table\"><thead><tr><th>\xCE\xB1 \\ m</th>",
                 ports.v[cn]);
    for (size_t im = 0; im < nm; im++)
        ds_html_rawf(out, "<th class=\"num\">%g</th>", wins.v[im]);
    ds_html_raw(out, "</tr></thead><tbody>\n");
    for (size_t ia = 0; ia < na; ia++) {
        ds_html_rawf(out, "<tr><th>%g</th>", alphas.v[ia]);
        for (size_t im = 0; im < nm; im++) {
            double c = by_m[ia * nm + im];
            ds_html_raw(out,
                        ia == ca && im == cm ? "<td class=\"num current\">" : "<td class=\"num\">");
            if (isnan(c))
                ds_html_raw(out, DASH);
            else
                ds_html_rawf(out, "%g", c);
            ds_html_raw(out, "</td>");
        }
        ds_html_raw(out, "</tr>\n");
    }
    ds_html_raw(out, "</tbody></table></div>\n</section>\n");
    free(by_n);
    free(by_m);
    free(xs);
    free(ys);
}
