/*
 * report_int.h - what the parts of the HTML report share: the document model built from the
 * results JSON (checked once, in report_doc.c), formatting helpers, and the section writers
 * (report_sections.c: overview, figures 1-2, tables 2-4, sweep; report_block.c: one section
 * per block; report_assets.c: the page's CSS and script).
 *
 * The model holds borrowed pointers into the ds_jval tree and a few derived values (letters,
 * anchors, window indices); everything else is read from the tree where it is drawn.
 */
#ifndef DS_REPORT_INT_H
#define DS_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "darkscan/json_parse.h"
#include "darkscan/report.h"

/* The categories of METHOD.md, in the paper's order; RP_CAT_OTHER for anything else. */
enum { RP_CAT_ROUTINE = 0, RP_CAT_SEMI, RP_CAT_ADHOC, RP_CAT_OTHER, RP_N_CATS };

/* One window of the input (the `windows` array, or the scan windows when it is absent). */
typedef struct rp_window {
    const char *label;
    const ds_jval *v; /* its object in `windows`, or NULL */
    bool complete;    /* true unless the results say "complete": false */
} rp_window;

/* A window's label and its index in rp_doc.windows, for finding windows by label. */
typedef struct rp_window_key {
    const char *label;
    size_t index;
} rp_window_key;

/* One constant scanner block (an element of `networks`). */
typedef struct rp_net {
    const ds_jval *v;
    const char *block;
    char ref[8];     /* the paper's letter: a, b, ..., z, aa, ab, ... */
    char anchor[72]; /* "block-198-20-0-0-16" */
    int cat;         /* RP_CAT_* */
    const char *category;
    double jaccard, simpson; /* NaN when absent */
    const char *country;     /* NULL when absent or null */
} rp_net;

/* Which optional keys at least one block has: a column or a part of the page for each. */
typedef struct rp_has {
    bool country, asn, known, fingerprints, hosts, subnets, app_scan, documented;
} rp_has;

typedef struct rp_doc {
    const ds_jval *root;
    const char *name; /* for messages */
    const ds_report_options *opt;
    rp_window *windows;
    size_t n_windows;
    rp_window_key *window_order; /* the windows sorted by label, for rp_window_find */
    rp_net *nets;
    size_t n_nets;
    size_t cat_count[RP_N_CATS];
    rp_has has;
    double routine_jaccard, stable_simpson; /* the category thresholds (params or 0.8/0.7) */
    uint32_t *ports;                        /* scratch: one port set, max_ports entries */
    size_t max_ports;                       /* the largest port set */
} rp_doc;

/* rp_doc_build - check the document and fill doc; rp_doc_free releases what it allocated. */
ds_status rp_doc_build(rp_doc *doc, const ds_jval *root, const ds_report_options *opt,
                       ds_error *err);
void rp_doc_free(rp_doc *doc);

/* rp_window_find - the index of the window labelled label, or SIZE_MAX. O(log windows). */
size_t rp_window_find(const rp_doc *doc, const char *label);

/*
 * rp_port_set - the ports of one port-set array (checked by rp_doc_build) into doc->ports,
 * ascending without duplicates (sorted here when the file has them out of order). Returns the
 * count.
 */
size_t rp_port_set(rp_doc *doc, const ds_jval *arr);

/* Accessors: absent, null or of another kind gives the fallback / false / NULL. */
const char *rp_str(const ds_jval *obj, const char *key);
bool rp_num(const ds_jval *obj, const char *key, double *out);
bool rp_u64(const ds_jval *obj, const char *key, uint64_t *out);
bool rp_present(const ds_jval *obj, const char *key); /* present and not null */

/* rp_json_flat - any JSON value as one line of text ("url: ...; title: ..."), cut at cap. */
char *rp_json_flat(const ds_jval *v, char *buf, size_t cap);

/* rp_fingerprints_text - "ZMap 97.0%, Masscan 1.2%": the tools at least 1% of the SYN
 * packets carry ("none" when none does); *top gets the largest share. */
char *rp_fingerprints_text(const ds_jval *fp, double *top, char *buf, size_t cap);

/* rp_known_text - "censys (12 hosts), shodan": the known-scanner lists that meet a block. */
char *rp_known_text(const ds_jval *known, char *buf, size_t cap);

/* Formatting into caller buffers (at least 32 bytes); each returns buf. */
char *rp_fmt_count(uint64_t v, char *buf); /* 1,234,567 */
char *rp_fmt_pct(double share, char *buf); /* 95.0%, <0.1%, 0% */
char *rp_fmt_ratio(double v, char *buf);   /* 0.851 */
char *rp_fmt_sort(double v, char *buf);    /* a data-sort value: %.17g */
const char *rp_cat_class(int cat);         /* "cat-routine" ... */
const char *rp_cat_label(int cat);         /* "routine", "semi-routine", "ad-hoc" */

/* Table cells: a number (right-aligned, sortable by value) or text; NULL text shows "–". */
void rp_td_num(FILE *out, double sort_value, const char *text);
void rp_td_text(FILE *out, const char *text);
void rp_td_unknown(FILE *out);

/* The window axis under a chart: horizontal labels when they fit, else at -45 degrees. */
typedef struct rp_window_axis {
    bool rotate;
    double min_gap; /* between tick labels, in pixels */
    double height;  /* the bottom margin the labels need */
} rp_window_axis;

struct ds_plot;
rp_window_axis rp_window_axis_layout(const rp_doc *doc, double plot_width);
void rp_window_axis_draw(struct ds_plot *p, const rp_doc *doc, rp_window_axis layout,
                         const char *title);
/* rp_count_axis - a y scale 0..max with round ticks (integers for small counts), drawn. */
void rp_count_axis(struct ds_plot *p, double max, const char *title);

/* The page parts. */
extern const char rp_css[];
extern const char rp_script[];
void rp_write_overview(FILE *out, rp_doc *doc);
void rp_write_countries(FILE *out, rp_doc *doc);
void rp_write_similarity(FILE *out, rp_doc *doc);
void rp_write_networks_table(FILE *out, rp_doc *doc);
void rp_write_top_ports(FILE *out, rp_doc *doc);
void rp_write_app_scan(FILE *out, rp_doc *doc);
void rp_write_sweep(FILE *out, rp_doc *doc);
/* rp_write_block - the drill-down section of one block; runs is scratch for max_ports runs. */
void rp_write_block(FILE *out, rp_doc *doc, const rp_net *net, void *runs);

#endif
