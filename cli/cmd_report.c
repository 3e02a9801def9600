/*
 * cmd_report.c - `darkscan report --results FILE -o FILE`: the HTML report (the paper's
 * figures and tables for the user's darknet) of a results JSON that `analyze` wrote.
 *
 * `analyze -o DIR` renders DIR/report.html through the same library call; this command
 * renders it again, later or elsewhere, from results.json alone.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "Usage: darkscan report --results FILE -o FILE [OPTIONS]\n"
    "       darkscan report RESULTS -o FILE [OPTIONS]\n"
    "\n"
    "Write the HTML report of a results JSON (what 'darkscan analyze --json' or\n"
    "'analyze -o DIR' wrote): an overview, blocks per country (Figure 1), port-set\n"
    "similarity (Figure 2), every block (Table 3), top ports (Table 2), application-layer\n"
    "scanning (Table 4) and threshold sensitivity when the results have them, and the port\n"
    "sets of every block over time (Figures 3-5). One file that works offline: it makes no\n"
    "network request of any kind.\n"
    "\n"
    "Options:\n"
    "  -r, --results FILE   the results JSON ('-' for standard input)\n"
    "  -o, --out FILE       the report ('-' for standard output)\n"
    "      --title TEXT     the page's title\n"
    "      --top-ports N    rows of Table 2 (20; 0 for every port listed)\n"
    "      --top-hosts N    rows of each block's host and /24 tables (10; 0 for all)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 success, 1 the results could not be read, are not darkscan results\n"
    "(the message names the file, line and column), or the report could not be written,\n"
    "2 usage error.\n";

enum { OPT_TITLE = 256, OPT_TOP_PORTS, OPT_TOP_HOSTS };

static const struct option long_options[] = {
    {"results", required_argument, NULL, 'r'},
    {"out", required_argument, NULL, 'o'},
    {"title", required_argument, NULL, OPT_TITLE},
    {"top-ports", required_argument, NULL, OPT_TOP_PORTS},
    {"top-hosts", required_argument, NULL, OPT_TOP_HOSTS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* parse_stdin - the whole of standard input as JSON named "<stdin>". */
static ds_status parse_stdin(ds_jval **root, ds_error *err)
{
    size_t len = 0, cap = 1 << 16;
    char *text = malloc(cap);
    if (text == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (;;) {
        if (len == cap) {
            if (cap > DS_JVAL_MAX_BYTES) {
                free(text);
                return ds_error_set(err, DS_ERR_LIMIT, "<stdin>: more than %zu bytes",
                                    (size_t)DS_JVAL_MAX_BYTES);
            }
            char *bigger = realloc(text, cap * 2);
            if (bigger == NULL) {
                free(text);
                return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            }
            text = bigger;
            cap *= 2;
        }
        size_t got = fread(text + len, 1, cap - len, stdin);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(stdin)) {
        free(text);
        return ds_error_set(err, DS_ERR_IO, "<stdin>: %s", strerror(errno));
    }
    ds_status st = ds_jval_parse(text, len, "<stdin>", root, err);
    free(text);
    return st;
}

int cmd_report(int argc, char **argv)
{
    const char *results = NULL, *out = NULL;
    ds_report_options opt;
    ds_report_options_default(&opt);
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:o:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'r':
            results = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case OPT_TITLE:
            opt.title = optarg;
            break;
        case OPT_TOP_PORTS:
            if (!cli_parse_u64("report", "--top-ports", optarg, 0, 65536, &v))
                return DS_EXIT_USAGE;
            opt.top_ports = (size_t)v;
            break;
        case OPT_TOP_HOSTS:
            if (!cli_parse_u64("report", "--top-hosts", optarg, 0, 1u << 24, &v))
                return DS_EXIT_USAGE;
            opt.top_hosts = (size_t)v;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return DS_EXIT_OK;
        default:
            return cli_usage("report", "unknown or incomplete option");
        }
    }
    if (optind < argc && results == NULL)
        results = argv[optind++];
    if (optind < argc)
        return cli_usage("report", "unexpected argument '%s'", argv[optind]);
    if (results == NULL)
        return cli_usage("report", "the results JSON is required: --results FILE");
    if (out == NULL)
        return cli_usage("report", "the output is required: -o FILE ('-' for standard output)");

    bool from_stdin = strcmp(results, "-") == 0;
    opt.name = from_stdin ? "<stdin>" : results;
    ds_error err;
    ds_jval *root = NULL;
    ds_status st = from_stdin ? parse_stdin(&root, &err) : ds_jval_parse_file(results, &root, &err);
    if (st != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    int rc = DS_EXIT_OK;
    if (strcmp(out, "-") == 0) {
        st = ds_report_write(root, stdout, &opt, &err);
        if (st != DS_OK) {
            cli_error("%s%s", st == DS_ERR_IO ? "standard output: " : "", err.msg);
            rc = DS_EXIT_FAIL;
        }
    } else if (ds_report_save(root, out, &opt, &err) != DS_OK) {
        cli_error("%s", err.msg);
        rc = DS_EXIT_FAIL;
    }
    ds_jval_free(root);
    return rc;
}
