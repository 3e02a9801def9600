/*
 * report.c - the HTML report of include/darkscan/report.h: the page around the sections.
 *
 * Order of the page: header and contents, overview, Figure 1, Figure 2, Table 3, Table 2,
 * Table 4 (when the results have app_scan), threshold sensitivity (when they have a sweep),
 * one section per block, the method in a few lines, the script.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "darkscan/report.h"
#include "darkscan/version.h"
#include "report/html.h"
#include "report/plot.h"
#include "report/report_int.h"
#include "util/sha256.h"

void ds_report_options_default(ds_report_options *opt)
{
    *opt = (ds_report_options){NULL, NULL, 20, 10};
}

static void write_head(FILE *out, const rp_doc *doc, const char *title)
{
    char hash[DS_CSP_HASH_LEN];
    ds_csp_hash(rp_script, strlen(rp_script), hash);
    ds_html_raw(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    /* Nothing may be fetched: no script but ours, no style sheet, font, image or frame from
     * anywhere, no form or base URL. */
    ds_html_rawf(out,
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "script-src '%s'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                 "form-action 'none'\">\n",
                 hash);
    ds_html_raw(out, "<meta name=\"referrer\" content=\"no-referrer\">\n");
    ds_html_raw(out, "<meta name=\"generator\"");
    char gen[96];
    snprintf(gen, sizeof(gen), "darkscan %s", ds_version());
    ds_html_attr(out, "content", gen);
    ds_html_raw(out, ">\n<link rel=\"icon\" href=\"data:,\">\n<title>");
    ds_html_text(out, title);
    if (doc->n_windows > 0) {
        ds_html_raw(out, ", ");
        ds_html_text(out, doc->windows[0].label);
        ds_html_raw(out, " \xE2\x80\x93 ");
        ds_html_text(out, doc->windows[doc->n_windows - 1].label);
    }
    ds_html_raw(out, "</title>\n<style>\n");
    ds_html_raw(out, rp_css);
    ds_html_raw(out, "</style>\n</head>\n");
}

static void write_header(FILE *out, const rp_doc *doc, const char *title)
{
    char buf[32];
    uint64_t size;
    ds_html_raw(out, "<body>\n<header class=\"page\">\n<h1>");
    ds_html_text(out, title);
    ds_html_raw(out, "</h1>\n<p class=\"meta\">");
    ds_html_rawf(out, "%s constant scanner block%s", rp_fmt_count(doc->n_nets, buf),
                 doc->n_nets == 1 ? "" : "s");
    if (doc->n_windows > 0) {
        ds_html_raw(out, " \xC2\xB7 ");
        ds_html_text(out, doc->windows[0].label);
        ds_html_raw(out, " \xE2\x80\x93 ");
        ds_html_text(out, doc->windows[doc->n_windows - 1].label);
        const char *unit = rp_str(ds_jval_get(doc->root, "params"), "window");
        ds_html_rawf(out, " (%zu ", doc->n_windows);
        ds_html_text(out, unit != NULL ? unit : "window");
        ds_html_raw(out, doc->n_windows == 1 ? " window)" : " windows)");
    }
    if (rp_u64(ds_jval_get(doc->root, "darknet"), "size", &size))
        ds_html_rawf(out, " \xC2\xB7 darknet of %s addresses", rp_fmt_count(size, buf));
    ds_html_raw(out, " \xC2\xB7 from ");
    ds_html_text(out, doc->name);
    const char *version = rp_str(doc->root, "version");
    if (version != NULL) {
        ds_html_raw(out, " (darkscan ");
        ds_html_text(out, version);
        ds_html_raw(out, ")");
    }
    ds_html_raw(out, "</p>\n<nav class=\"toc\"><a href=\"#overview\">Overview</a>"
                     "<a href=\"#fig1\">Figure 1: countries</a>"
                     "<a href=\"#fig2\">Figure 2: port-set similarity</a>"
                     "<a href=\"#table3\">Table 3: blocks</a>"
                     "<a href=\"#table2\">Table 2: top ports</a>");
    if (doc->has.app_scan)
        ds_html_raw(out, "<a href=\"#table4\">Table 4: application layer</a>");
    if (ds_jval_array_len(ds_jval_get(doc->root, "sweep")) > 0)
        ds_html_raw(out, "<a href=\"#sweep\">Threshold sensitivity</a>");
    ds_html_raw(out, "<a href=\"#blocks\">Blocks (Figures 3\xE2\x80\x93"
                     "5)</a></nav>\n</header>\n<main>\n");
}

static void write_footer(FILE *out)
{
    ds_html_raw(
        out, "</main>\n<footer class=\"page\"><section id=\"method\"><h2>Method</h2>"
             "<p>Nakagawa, Han, Shimamura, Takahashi, Fujita, Yoshioka, Inoue: <i>An Investigation "
             "of Constant Internet-Wide Scanning through Analysis of Darknet Traffic</i> (NICT / "
             "Yokohama National University, 2019). Port <i>p</i> is a scan-target port of source "
             "block <i>A</i> in window <i>t</i> when at least a share \xCE\xB1 of the darknet "
             "<i>D</i> received a TCP SYN from <i>A</i> to <i>p</i>; the scan-target ports form "
             "the port set <i>P<sub>t</sub>(A)</i>; with at least <i>n</i> ports it is an "
             "Internet-wide scan; a block with at least <i>m</i> such windows is a constant "
             "Internet-wide scanner. Jaccard and Simpson medians over all pairs of its scan "
             "windows classify it: routine (the same port set every window), semi-routine (the "
             "set grows and shrinks but stays similar), ad-hoc (it changes a lot).</p>"
             "</section></footer>\n");
}

ds_status ds_report_write(const ds_jval *results, FILE *out, const ds_report_options *opt,
                          ds_error *err)
{
    ds_report_options defaults;
    if (opt == NULL) {
        ds_report_options_default(&defaults);
        opt = &defaults;
    }
    rp_doc doc;
    ds_status st = rp_doc_build(&doc, results, opt, err);
    ds_plot_run *runs = NULL;
    if (st != DS_OK)
        goto out;
    runs = calloc(doc.max_ports > 0 ? doc.max_ports : 1, sizeof(*runs));
    if (runs == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    const char *title = opt->title != NULL ? opt->title : "Constant Internet-wide scanners";
    write_head(out, &doc, title);
    write_header(out, &doc, title);
    rp_write_overview(out, &doc);
    rp_write_countries(out, &doc);
    rp_write_similarity(out, &doc);
    rp_write_networks_table(out, &doc);
    rp_write_top_ports(out, &doc);
    if (doc.has.app_scan)
        rp_write_app_scan(out, &doc);
    if (ds_jval_array_len(ds_jval_get(doc.root, "sweep")) > 0)
        rp_write_sweep(out, &doc);
    ds_html_raw(out, "<section id=\"blocks\">\n<h2>Blocks: port sets over time "
                     "(Figures 3\xE2\x80\x93"
                     "5 for every block)</h2>\n");
    if (doc.n_nets == 0)
        ds_html_raw(out, "<p class=\"note\">No constant Internet-wide scanner blocks.</p>\n");
    for (size_t i = 0; i < doc.n_nets; i++)
        rp_write_block(out, &doc, &doc.nets[i], runs);
    ds_html_raw(out, "</section>\n");
    write_footer(out);
    ds_html_raw(out, "<script>");
    ds_html_raw(out, rp_script);
    ds_html_raw(out, "</script>\n</body>\n</html>\n");
    if (fflush(out) != 0 || ferror(out))
        st = ds_error_set(err, DS_ERR_IO, "writing the report: %s",
                          errno != 0 ? strerror(errno) : "write error");
out:
    free(runs);
    rp_doc_free(&doc);
    return st;
}

ds_status ds_report_save(const ds_jval *results, const char *out_path, const ds_report_options *opt,
                         ds_error *err)
{
    size_t len = strlen(out_path);
    char *tmp = malloc(len + 8);
    if (tmp == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    memcpy(tmp, out_path, len);
    memcpy(tmp + len, ".XXXXXX", 8);
    ds_status st = DS_OK;
    FILE *f = NULL;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = ds_error_set(err, DS_ERR_IO, "%s: %s", out_path, strerror(errno));
        goto out;
    }
    /* a report is for reading: rw-r--r-- rather than mkstemp's rw------- */
    if (fchmod(fd, 0644) != 0 || (f = fdopen(fd, "w")) == NULL) {
        st = ds_error_set(err, DS_ERR_IO, "%s: %s", out_path, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    st = ds_report_write(results, f, opt, err);
    if (fclose(f) != 0 && st == DS_OK)
        st = ds_error_set(err, DS_ERR_IO, "%s: %s", out_path, strerror(errno));
    else if (st == DS_ERR_IO)
        ds_error_prefix(err, "%s", out_path);
    if (st == DS_OK && rename(tmp, out_path) != 0)
        st = ds_error_set(err, DS_ERR_IO, "%s: %s", out_path, strerror(errno));
    if (st != DS_OK)
        unlink(tmp);
out:
    free(tmp);
    return st;
}

ds_status ds_report_write_file(const char *results_path, const char *out_path,
                               const ds_report_options *opt, ds_error *err)
{
    ds_jval *root = NULL;
    ds_status st = ds_jval_parse_file(results_path, &root, err);
    if (st != DS_OK)
        return st;
    ds_report_options o;
    if (opt != NULL)
        o = *opt;
    else
        ds_report_options_default(&o);
    if (o.name == NULL)
        o.name = results_path;
    st = ds_report_save(root, out_path, &o, err);
    ds_jval_free(root);
    return st;
}
