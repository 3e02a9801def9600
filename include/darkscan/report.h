/*
 * report.h - the HTML report: the paper's figures and tables for the user's own darknet, as
 * one self-contained page, from a results JSON document (INTERFACE.md "Results JSON").
 *
 * The report reads the results document, not darkscan's in-memory structures, so that
 * `darkscan report --results results.json` and `darkscan analyze -o DIR` (which writes
 * DIR/results.json and renders DIR/report.html from it) share one code path, and so that every
 * enrichment key (country, asn, known_scanners, fingerprints, hosts, subnets, app_scan,
 * documented) is optional: a key that no block has hides its column, a block without it shows
 * "–".
 *
 * The page: an overview (darknet size per sensor, period, packets, windows with the incomplete
 * ones marked, parameters, blocks per category), Figure 1 (blocks per country), Figure 2
 * (Jaccard vs Simpson median per block, with the category regions, each point labelled and
 * linked to its block), Table 3 (every block; sortable and filterable), Table 2 (top ports),
 * Table 4 (application-layer scanning, when the results have it), threshold sensitivity (when
 * they have a sweep), and one section per block (Figures 3-5 for every block: window x port
 * chart of its port sets, port-set size per window, top hosts and /24s).
 *
 * It works offline and makes no request of any kind: inline CSS, inline SVG, one small inline
 * script (sorting, filtering) allowed by a Content-Security-Policy hash, no fonts, no images.
 * Without JavaScript everything but sorting and filtering works; it prints legibly.
 */
#ifndef DARKSCAN_REPORT_H
#define DARKSCAN_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "darkscan/error.h"
#include "darkscan/json_parse.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ds_report_options {
    const char *name;  /* the results file's name: in error messages and the page's header
                          (NULL: "results") */
    const char *title; /* the page title (NULL: "Constant Internet-wide scanners") */
    size_t top_ports;  /* rows of Table 2 (default 20; 0: every port the results list) */
    size_t top_hosts;  /* rows of each block's host and /24 tables (default 10; 0: all) */
} ds_report_options;

/* ds_report_options_default - the defaults above. */
void ds_report_options_default(ds_report_options *opt);

/*
 * ds_report_write - the report of the results document `results` (a tree from ds_jval_parse,
 * borrowed) to out (borrowed, not closed; flushed). opt NULL: the defaults.
 *
 * Returns DS_OK; DS_ERR_FORMAT when the document is not darkscan results, with where and
 * why ("results.json:12:5: networks[2].port_sets: expected an object, found an array");
 * DS_ERR_IO when writing failed; DS_ERR_NOMEM. Keys the report does not know are ignored.
 * Time and memory are linear in the size of the document.
 */
ds_status ds_report_write(const ds_jval *results, FILE *out, const ds_report_options *opt,
                          ds_error *err);

/*
 * ds_report_save - the report of results into the file out_path, written to a temporary file
 * in the same folder and renamed over out_path at the end, so that a failed run never leaves
 * a half-written report (mode 0644). Errors name the file.
 */
ds_status ds_report_save(const ds_jval *results, const char *out_path, const ds_report_options *opt,
                         ds_error *err);

/*
 * ds_report_write_file - parse the results JSON at results_path (opt->name NULL: named by its
 * path in messages) and ds_report_save its report to out_path.
 */
ds_status ds_report_write_file(const char *results_path, const char *out_path,
                               const ds_report_options *opt, ds_error *err);

#ifdef __cplusplus
}
#endif
#endif
