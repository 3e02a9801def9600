/*
 * cmd_probe.c - `darkscan probe`: the opt-in active check. For every constant scanner block
 * of a results file, ask its top source hosts for a web page on 80/tcp that discloses their
 * scanning, and write the results file again with "documented" and the evidence per block.
 *
 * This command sends packets to the hosts named in the results file; nothing else in darkscan
 * does. Its limits (rate, timeouts, size cap, same-host redirects, special addresses) are in
 * lib/enrich/probe.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "Usage: darkscan probe --results FILE [OPTIONS]\n"
    "\n"
    "Opt-in active check: for each constant scanner block of a results file (darkscan\n"
    "analyze), look up the reverse DNS names of its top source hosts and fetch '/' from them\n"
    "over HTTP; a page that speaks of scanning and of its purpose or an opt-out counts as a\n"
    "disclosure. Writes the results file again with \"documented\" and \"evidence\" per block.\n"
    "This CONTACTS THE SCANNING HOSTS (one request at a time, rate-limited, with a\n"
    "User-Agent that names darkscan and why it asks).\n"
    "\n"
    "      --results FILE        results JSON of darkscan analyze (required)\n"
    "      --out FILE            write the updated JSON there ('-': standard output);\n"
    "                            default: replace FILE\n"
    "      --hosts N             top source hosts checked per block (3)\n"
    "      --port N              TCP port of the web server (80)\n"
    "      --rate R              requests per second over all hosts, at most (2)\n"
    "      --timeout S           seconds for one request (10)\n"
    "      --connect-timeout S   seconds to connect (3)\n"
    "      --max-bytes N         bytes read per response, at most (262144)\n"
    "      --max-redirects N     redirects followed, to the same address and port only (3)\n"
    "      --no-rdns             no reverse DNS lookups\n"
    "      --rdns-timeout S      seconds per reverse DNS lookup (3)\n"
    "      --contact TEXT        your address or page, added to the User-Agent so that the\n"
    "                            hosts' operators can reach you (recommended)\n"
    "      --allow-special       also contact loopback, private and other special-purpose\n"
    "                            addresses (refused by default; for tests)\n"
    "  -q, --quiet               no line per host on standard error\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 success (whatever the hosts answered), 1 the results file cannot be read\n"
    "or written, 2 usage error.\n";

enum {
    OPT_RESULTS = 256,
    OPT_OUT,
    OPT_HOSTS,
    OPT_PORT,
    OPT_RATE,
    OPT_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
    OPT_MAX_BYTES,
    OPT_MAX_REDIRECTS,
    OPT_NO_RDNS,
    OPT_RDNS_TIMEOUT,
    OPT_ALLOW_SPECIAL,
    OPT_CONTACT,
};

static const struct option long_options[] = {
    {"results", required_argument, NULL, OPT_RESULTS},
    {"out", required_argument, NULL, OPT_OUT},
    {"hosts", required_argument, NULL, OPT_HOSTS},
    {"port", required_argument, NULL, OPT_PORT},
    {"rate", required_argument, NULL, OPT_RATE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"max-redirects", required_argument, NULL, OPT_MAX_REDIRECTS},
    {"no-rdns", no_argument, NULL, OPT_NO_RDNS},
    {"rdns-timeout", required_argument, NULL, OPT_RDNS_TIMEOUT},
    {"allow-special", no_argument, NULL, OPT_ALLOW_SPECIAL},
    {"contact", required_argument, NULL, OPT_CONTACT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* parse_seconds - a decimal number of seconds in (0, 3600] into milliseconds. */
static bool parse_seconds(const char *option, const char *text, unsigned *ms)
{
    ds_ratio r;
    if (ds_ratio_parse(text, &r, NULL) != DS_OK || r.num == 0 ||
        ds_ratio_cmp(r, (ds_ratio){3600, 1}) > 0) {
        cli_usage("probe", "%s: '%s' is not a number of seconds in (0, 3600]", option, text);
        return false;
    }
    uint64_t v = (r.num * 1000 + r.den - 1) / r.den;
    *ms = (unsigned)(v ? v : 1);
    return true;
}

static void on_host(void *ctx, const char *block, const ds_probe_result *h)
{
    char addr[20];
    ds_format_ipv4(h->addr, addr);
    fprintf(stderr, "probe: %s %s", block, addr);
    if (h->rdns[0])
        fprintf(stderr, " (%s)", h->rdns);
    if (h->status > 0)
        fprintf(stderr, ": %s %d", h->url, h->status);
    if (h->disclosure.title[0])
        fprintf(stderr, " \"%.80s\"", h->disclosure.title);
    if (h->redirect_refused[0])
        fprintf(stderr, ", redirect to %.120s not followed", h->redirect_refused);
    if (h->error[0])
        fprintf(stderr, ": %s", h->error);
    if (h->disclosure.documented) {
        fprintf(stderr, ": documented [");
        for (size_t k = 0; k < h->disclosure.n_matched; k++)
            fprintf(stderr, "%s%s", k ? ", " : "", h->disclosure.matched[k]);
        fputc(']', stderr);
    }
    fputc('\n', stderr);
}

/* write_out - the updated JSON to path ('-': stdout), atomically replacing a file. */
static int write_out(const ds_jval *root, ds_prober *p, const ds_probe_events *ev, const char *path)
{
    ds_error err;
    if (strcmp(path, "-") == 0) {
        if (ds_probe_results(root, p, ev, stdout, &err) != DS_OK || fflush(stdout) != 0) {
            cli_error("standard output: %s", err.msg);
            return DS_EXIT_FAIL;
        }
        return DS_EXIT_OK;
    }
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (tmp == NULL) {
        cli_error("out of memory");
        return DS_EXIT_FAIL;
    }
    snprintf(tmp, len, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        cli_error("%s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return DS_EXIT_FAIL;
    }
    ds_status st = ds_probe_results(root, p, ev, f, &err);
    if (fclose(f) != 0 && st == DS_OK)
        st = ds_error_set(&err, DS_ERR_IO, "%s", strerror(errno));
    if (st == DS_OK && rename(tmp, path) != 0)
        st = ds_error_set(&err, DS_ERR_IO, "%s", strerror(errno));
    if (st != DS_OK) {
        unlink(tmp);
        cli_error("%s: %s", path, err.msg);
    }
    free(tmp);
    return st == DS_OK ? DS_EXIT_OK : DS_EXIT_FAIL;
}

int cmd_probe(int argc, char **argv)
{
    ds_probe_config cfg;
    ds_probe_config_default(&cfg);
    const char *results = NULL, *out = NULL;
    bool quiet = false;
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_RESULTS:
            results = optarg;
            break;
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_HOSTS:
            if (!cli_parse_u64("probe", "--hosts", optarg, 1, DS_TOP_HOSTS, &v))
                return DS_EXIT_USAGE;
            cfg.hosts_per_network = (unsigned)v;
            break;
        case OPT_PORT:
            if (!cli_parse_u64("probe", "--port", optarg, 1, 65535, &v))
                return DS_EXIT_USAGE;
            cfg.port = (uint16_t)v;
            break;
        case OPT_RATE: {
            ds_ratio r;
            if (ds_ratio_parse(optarg, &r, NULL) != DS_OK || r.num == 0 ||
                ds_ratio_cmp(r, (ds_ratio){100, 1}) > 0)
                return cli_usage("probe", "--rate: '%s' is not a number in (0, 100]", optarg);
            cfg.rate = ds_ratio_value(r);
            break;
        }
        case OPT_TIMEOUT:
            if (!parse_seconds("--timeout", optarg, &cfg.timeout_ms))
                return DS_EXIT_USAGE;
            break;
        case OPT_CONNECT_TIMEOUT:
            if (!parse_seconds("--connect-timeout", optarg, &cfg.connect_timeout_ms))
                return DS_EXIT_USAGE;
            break;
        case OPT_RDNS_TIMEOUT:
            if (!parse_seconds("--rdns-timeout", optarg, &cfg.rdns_timeout_ms))
                return DS_EXIT_USAGE;
            break;
        case OPT_MAX_BYTES:
            if (!cli_parse_u64("probe", "--max-bytes", optarg, 1024, 64 * 1024 * 1024, &v))
                return DS_EXIT_USAGE;
            cfg.max_bytes = (size_t)v;
            break;
        case OPT_MAX_REDIRECTS:
            if (!cli_parse_u64("probe", "--max-redirects", optarg, 0, 10, &v))
                return DS_EXIT_USAGE;
            cfg.max_redirects = (unsigned)v;
            break;
        case OPT_NO_RDNS:
            cfg.rdns = false;
            break;
        case OPT_ALLOW_SPECIAL:
            cfg.allow_special = true;
            break;
        case OPT_CONTACT:
            cfg.contact = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return DS_EXIT_OK;
        default:
            return cli_usage("probe", "unknown or incomplete option");
        }
    }
    if (results == NULL)
        return cli_usage("probe", "--results FILE is required");
    if (optind < argc)
        return cli_usage("probe", "unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        out = results;

    ds_error err;
    ds_jval *root = NULL;
    if (ds_jval_parse_file(results, &root, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    if (ds_jval_type(ds_jval_get(root, "networks")) != DS_JVAL_ARRAY) {
        cli_error("%s: not a darkscan results JSON (no \"networks\" array)", results);
        ds_jval_free(root);
        return DS_EXIT_FAIL;
    }
    ds_prober *p;
    if (ds_prober_new(&p, &cfg, &err) != DS_OK) {
        cli_error("%s", err.msg);
        ds_jval_free(root);
        return DS_EXIT_FAIL;
    }
    ds_probe_events ev = {quiet ? NULL : on_host, NULL};
    int rc = write_out(root, p, &ev, out);
    ds_prober_free(p);
    ds_jval_free(root);
    return rc;
}
