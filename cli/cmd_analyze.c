/*
 * cmd_analyze.c - `darkscan analyze`: captures and the darknet's address list in, constant
 * Internet-wide scanner blocks out (results JSON, CSV tables, terminal summary).
 *
 * Files are read by -j worker threads (ds_read_files), each into its own aggregate; the
 * aggregates merge at the end, so the answer does not depend on the order.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "Usage: darkscan analyze [OPTIONS] -d CIDR[,CIDR...] | -D FILE  CAPTURE...\n"
    "       darkscan analyze [OPTIONS] --state FILE\n"
    "\n"
    "Find the source blocks that scan the whole darknet on many ports, window after window\n"
    "(constant Internet-wide scanners), and characterise what each of them scans.\n"
    "A CAPTURE is a pcap or pcapng file, plain or compressed (gzip, bzip2, xz, zstd, lz4),\n"
    "'-' for standard input, or a directory (every capture below it, in sorted order;\n"
    "other files there are skipped with a warning).\n"
    "\n"
    "The darknet D (required):\n"
    "  -d, --darknet CIDR[,CIDR...]  monitored prefixes; repeatable\n"
    "  -D, --darknet-file FILE       one 'CIDR [SENSOR]' per line, '#' comments\n"
    "\n"
    "The method (defaults are the paper's):\n"
    "  -a, --alpha F             scan-target port: share of D reached, 0 < F <= 1 (0.8)\n"
    "  -n, --min-ports N         Internet-wide scan: at least N scan-target ports (30)\n"
    "  -m, --min-windows M       constant scanner: at least M scan windows (6)\n"
    "      --window UNIT         month, week (ISO), day, hour or <N>s, in UTC (month)\n"
    "      --prefix LEN          source block prefix length, 8..32 (16)\n"
    "      --darknet-sample K    large telescopes: keep sets for a fixed pseudo-random\n"
    "                            sample of K darknet addresses and estimate coverage from\n"
    "                            it (standard error about 0.6% at alpha 0.8, K = 4096)\n"
    "      --state FILE          analyze what `darkscan ingest` put in the state FILE instead\n"
    "                            of captures (its darknet, window and prefix; given again,\n"
    "                            they must be the same)\n"
    "      --routine-jaccard F   routine when the Jaccard median > F (0.8)\n"
    "      --stable-simpson F    routine/semi-routine when the Simpson median > F (0.7)\n"
    "      --max-gap F           a window is incomplete when the input has a gap longer\n"
    "                            than this share of it (0.03125)\n"
    "      --sweep               also count constant scanners over a grid of alpha, n, m\n"
    "\n"
    "What each block is (docs/FORMATS.md, 'Enrichment keys'):\n"
    "      --geoip FILE          country database (MaxMind DB: GeoIP2/GeoLite2 Country or\n"
    "                            City, or ip-location-db); blocks per country (Figure 1)\n"
    "      --asn FILE            AS database (MaxMind DB, or start,end,asn,org CSV, plain\n"
    "                            or gzip)\n"
    "      --known-scanners FILE published scanner ranges (MISP JSON, 'IP # owner' or\n"
    "                            'CIDR [name]' lines); repeatable\n"
    "      --no-host-pass        skip the second read of the captures that gives each host's\n"
    "                            port-set sizes and the blocks' dominant TTL and TCP window\n"
    "\n"
    "Application-layer scanning (the paper's Table 4):\n"
    "      --honeypot-log FILE   sessions of an all-port honeypot (darkscan honeypot's CSV,\n"
    "                            plain or gzip); repeatable\n"
    "      --honeypot-addrs N    honeypot addresses (the distinct destinations in the logs)\n"
    "      --honeypot-quorum N   sessions on at least N addresses make a port count (half\n"
    "                            the addresses, rounded up)\n"
    "\n"
    "Output:\n"
    "  -o, --out DIR             write results.json, CSV tables and report.html into DIR\n"
    "                            (created)\n"
    "      --json FILE           the results JSON to FILE, '-' for standard output\n"
    "      --top N               ports listed in the summary (10)\n"
    "  -q, --quiet               no summary and no progress\n"
    "  -j, --threads N           worker threads (the number of cores)\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 success, 1 a file could not be read or written (every packet read before\n"
    "the damage still counts), 2 usage error.\n";

enum {
    OPT_ROUTINE_JACCARD = 256,
    OPT_STABLE_SIMPSON,
    OPT_MAX_GAP,
    OPT_SWEEP,
    OPT_JSON,
    OPT_TOP,
    OPT_GEOIP,
    OPT_ASN,
    OPT_KNOWN,
    OPT_NO_HOST_PASS,
    OPT_HONEYPOT_LOG,
    OPT_HONEYPOT_ADDRS,
    OPT_HONEYPOT_QUORUM,
    OPT_DARKNET_SAMPLE,
    OPT_STATE,
};

static const struct option long_options[] = {
    {"darknet", required_argument, NULL, 'd'},
    {"darknet-file", required_argument, NULL, 'D'},
    {"alpha", required_argument, NULL, 'a'},
    {"min-ports", required_argument, NULL, 'n'},
    {"min-windows", required_argument, NULL, 'm'},
    {"window", required_argument, NULL, CLI_OPT_WINDOW},
    {"prefix", required_argument, NULL, CLI_OPT_PREFIX},
    {"darknet-sample", required_argument, NULL, OPT_DARKNET_SAMPLE},
    {"routine-jaccard", required_argument, NULL, OPT_ROUTINE_JACCARD},
    {"stable-simpson", required_argument, NULL, OPT_STABLE_SIMPSON},
    {"max-gap", required_argument, NULL, OPT_MAX_GAP},
    {"sweep", no_argument, NULL, OPT_SWEEP},
    {"out", required_argument, NULL, 'o'},
    {"json", required_argument, NULL, OPT_JSON},
    {"top", required_argument, NULL, OPT_TOP},
    {"geoip", required_argument, NULL, OPT_GEOIP},
    {"asn", required_argument, NULL, OPT_ASN},
    {"known-scanners", required_argument, NULL, OPT_KNOWN},
    {"no-host-pass", no_argument, NULL, OPT_NO_HOST_PASS},
    {"honeypot-log", required_argument, NULL, OPT_HONEYPOT_LOG},
    {"honeypot-addrs", required_argument, NULL, OPT_HONEYPOT_ADDRS},
    {"honeypot-quorum", required_argument, NULL, OPT_HONEYPOT_QUORUM},
    {"state", required_argument, NULL, OPT_STATE},
    {"quiet", no_argument, NULL, 'q'},
    {"threads", required_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What one read of an input file gave: to name a file that changed before the host pass. */
typedef struct file_seen {
    uint64_t records, bytes;
    unsigned done, failed;
    char err[DS_ERROR_MAX];
} file_seen;

/* An input path and its place in the list: the list sorted by path, to find a file's place
   by its name in log time whatever the number of files. */
typedef struct path_at {
    const char *path;
    size_t i;
} path_at;

static int cmp_path_at(const void *a, const void *b)
{
    const path_at *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* paths_sorted - inputs' paths sorted by name (then place); NULL when out of memory. */
static path_at *paths_sorted(const ds_path_list *inputs)
{
    path_at *v = malloc((inputs->count ? inputs->count : 1) * sizeof(*v));
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < inputs->count; i++)
        v[i] = (path_at){inputs->paths[i], i};
    qsort(v, inputs->count, sizeof(*v), cmp_path_at);
    return v;
}

/*
 * What the events of ds_read_files() need: whether a progress line is on the terminal, and
 * (when seen is not NULL) a file_seen per input, found through by_path (n_paths entries).
 */
typedef struct read_ui {
    bool progress_shown;
    double started;
    const char *label; /* "analyze", "host pass" */
    const path_at *by_path;
    size_t n_paths;
    file_seen *seen;
} read_ui;

/* seen_of - the file_seen of path (a path given twice: its first place, for both reads). */
static file_seen *seen_of(const read_ui *ui, const char *path)
{
    if (ui->seen == NULL || ui->by_path == NULL)
        return NULL;
    size_t lo = 0, hi = ui->n_paths;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ui->by_path[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == ui->n_paths || strcmp(ui->by_path[lo].path, path) != 0)
        return NULL;
    return &ui->seen[ui->by_path[lo].i];
}

static void note_failed(read_ui *ui, const char *path, const ds_error *err)
{
    file_seen *f = seen_of(ui, path);
    if (f != NULL) {
        f->failed++;
        snprintf(f->err, sizeof(f->err), "%s", err->msg);
    }
}

static void on_file_done(void *ctx, const char *path, const ds_capture_stats *stats)
{
    file_seen *f = seen_of(ctx, path);
    if (f != NULL) {
        f->done++;
        f->records += stats->records;
        f->bytes += stats->bytes;
    }
}

/* on_file_failed_quietly - the host pass: the first read already said so. */
static void on_file_failed_quietly(void *ctx, const char *path, const ds_error *err)
{
    note_failed(ctx, path, err);
}

static void clear_progress(read_ui *ui)
{
    if (ui->progress_shown) {
        fputs("\r\033[K", stderr);
        ui->progress_shown = false;
    }
}

static void on_file_failed(void *ctx, const char *path, const ds_error *err)
{
    clear_progress(ctx);
    cli_error("%s", err->msg);
    note_failed(ctx, path, err);
}

static void on_file_truncated(void *ctx, const char *path, const ds_capture_stats *stats)
{
    clear_progress(ctx);
    cli_warn("%s: the file ends inside a record (truncated); the %" PRIu64
             " complete records before it count",
             path, stats->records);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* on_progress - one status line on stderr: files, packets, rate, time left by bytes. */
static void on_progress(void *ctx, const ds_read_progress *p)
{
    read_ui *ui = ctx;
    double elapsed = now_s() - ui->started;
    char left[32] = "";
    if (p->bytes_done > 0 && p->bytes_total > p->bytes_done && elapsed > 1)
        snprintf(left, sizeof(left), ", %.0f s left",
                 elapsed * (double)(p->bytes_total - p->bytes_done) / (double)p->bytes_done);
    fprintf(stderr, "\r\033[K%s: %zu/%zu files, %.1f M packets, %.2f M/s%s", ui->label,
            p->files_done, p->files_total, (double)p->packets / 1e6,
            elapsed > 0 ? (double)p->packets / elapsed / 1e6 : 0.0, left);
    ui->progress_shown = true;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
    }
    return -1;
}

static int write_json_file(const ds_results *res, const char *path)
{
    ds_error err;
    if (strcmp(path, "-") == 0) {
        if (ds_results_write_json(res, stdout, &err) != DS_OK || fflush(stdout) != 0) {
            cli_error("standard output: %s", err.msg);
            return -1;
        }
        return 0;
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    ds_status st = ds_results_write_json(res, f, &err);
    if (fclose(f) != 0 && st == DS_OK)
        st = ds_error_set(&err, DS_ERR_IO, "%s", strerror(errno));
    if (st != DS_OK) {
        cli_error("%s: %s", path, err.msg);
        return -1;
    }
    return 0;
}

/* write_report - DIR/report.html from the results.json just written: the same code path as
 * `darkscan report`, so that the report depends only on the results file. */
static int write_report(const char *dir, const char *json_path)
{
    char path[4096];
    ds_error err;
    ds_report_options opt;
    ds_report_options_default(&opt);
    opt.name = "results.json"; /* the report sits beside it */
    snprintf(path, sizeof(path), "%s/report.html", dir);
    if (ds_report_write_file(json_path, path, &opt, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return -1;
    }
    return 0;
}

typedef struct options {
    cli_space space; /* -d, -D, --window, --prefix */
    ds_params params;
    uint64_t darknet_sample;
    const char *state_path;
    const char *out_dir;
    const char *json_path;
    uint64_t top;
    bool quiet;
    bool sweep;
    uint64_t threads;
    const char *geoip_path;
    const char *asn_path;
    const char **known_paths; /* argv strings */
    size_t n_known_paths;
    bool no_host_pass;
    const char **honeypot_logs;
    size_t n_honeypot_logs;
    uint64_t honeypot_addrs;
    uint64_t honeypot_quorum;
} options;

/* parse_options - returns -1 to go on, else the exit code. */
static int parse_options(int argc, char **argv, options *o)
{
    ds_error err;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:D:a:n:m:o:qj:h", long_options, NULL)) != -1) {
        uint64_t v;
        int rc;
        if (cli_space_option("analyze", c, optarg, &o->space, &rc)) {
            if (rc >= 0)
                return rc;
            continue;
        }
        switch (c) {
        case 'a':
            if (ds_ratio_parse(optarg, &o->params.alpha, &err) != DS_OK ||
                o->params.alpha.num == 0 || o->params.alpha.num > o->params.alpha.den)
                return cli_usage("analyze", "--alpha: '%s' is not a number in (0, 1]", optarg);
            break;
        case 'n':
            if (!cli_parse_u64("analyze", "--min-ports", optarg, 1, 65536, &v))
                return DS_EXIT_USAGE;
            o->params.min_ports = (uint32_t)v;
            break;
        case 'm':
            if (!cli_parse_u64("analyze", "--min-windows", optarg, 1, UINT32_MAX, &v))
                return DS_EXIT_USAGE;
            o->params.min_windows = (uint32_t)v;
            break;
        case OPT_DARKNET_SAMPLE:
            if (!cli_parse_u64("analyze", "--darknet-sample", optarg, 1, UINT32_MAX,
                               &o->darknet_sample))
                return DS_EXIT_USAGE;
            break;
        case OPT_ROUTINE_JACCARD:
            if (ds_ratio_parse(optarg, &o->params.routine_jaccard, &err) != DS_OK ||
                o->params.routine_jaccard.num > o->params.routine_jaccard.den)
                return cli_usage("analyze", "--routine-jaccard: '%s' is not a number in [0, 1]",
                                 optarg);
            break;
        case OPT_STABLE_SIMPSON:
            if (ds_ratio_parse(optarg, &o->params.stable_simpson, &err) != DS_OK ||
                o->params.stable_simpson.num > o->params.stable_simpson.den)
                return cli_usage("analyze", "--stable-simpson: '%s' is not a number in [0, 1]",
                                 optarg);
            break;
        case OPT_MAX_GAP: {
            ds_ratio gap;
            if (ds_ratio_parse(optarg, &gap, &err) != DS_OK || gap.num > gap.den)
                return cli_usage("analyze", "--max-gap: '%s' is not a number in [0, 1]", optarg);
            o->params.max_gap_slots = (uint32_t)(gap.num * DS_AGG_SLOTS / gap.den);
            break;
        }
        case OPT_STATE:
            o->state_path = optarg;
            break;
        case OPT_SWEEP:
            o->sweep = true;
            break;
        case 'o':
            o->out_dir = optarg;
            break;
        case OPT_JSON:
            o->json_path = optarg;
            break;
        case OPT_TOP:
            if (!cli_parse_u64("analyze", "--top", optarg, 0, 65536, &o->top))
                return DS_EXIT_USAGE;
            break;
        case OPT_HONEYPOT_LOG: {
            const char **grown =
                realloc(o->honeypot_logs, (o->n_honeypot_logs + 1) * sizeof(*grown));
            if (grown == NULL) {
                cli_error("out of memory");
                return DS_EXIT_FAIL;
            }
            o->honeypot_logs = grown;
            o->honeypot_logs[o->n_honeypot_logs++] = optarg;
            break;
        }
        case OPT_HONEYPOT_ADDRS:
            if (!cli_parse_u64("analyze", "--honeypot-addrs", optarg, 1, UINT32_MAX,
                               &o->honeypot_addrs))
                return DS_EXIT_USAGE;
            break;
        case OPT_HONEYPOT_QUORUM:
            if (!cli_parse_u64("analyze", "--honeypot-quorum", optarg, 1, UINT32_MAX,
                               &o->honeypot_quorum))
                return DS_EXIT_USAGE;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_GEOIP:
            o->geoip_path = optarg;
            break;
        case OPT_ASN:
            o->asn_path = optarg;
            break;
        case OPT_KNOWN: {
            const char **grown =
                realloc(o->known_paths, (o->n_known_paths + 1) * sizeof(*o->known_paths));
            if (grown == NULL) {
                cli_error("out of memory");
                return DS_EXIT_FAIL;
            }
            o->known_paths = grown;
            o->known_paths[o->n_known_paths++] = optarg;
            break;
        }
        case OPT_NO_HOST_PASS:
            o->no_host_pass = true;
            break;
        case 'j':
            if (!cli_parse_u64("analyze", "--threads", optarg, 1, 256, &o->threads))
                return DS_EXIT_USAGE;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return DS_EXIT_OK;
        default:
            return cli_usage("analyze", "unknown or incomplete option");
        }
    }
    if (o->state_path != NULL && optind < argc)
        return cli_usage("analyze",
                         "--state reads the state, not captures: add them to it with "
                         "'darkscan ingest --state %s'",
                         o->state_path);
    if (!o->space.have_darknet && o->state_path == NULL)
        return cli_usage("analyze", "the darknet is required: -d CIDR or -D FILE");
    if ((o->honeypot_addrs || o->honeypot_quorum) && o->n_honeypot_logs == 0)
        return cli_usage("analyze", "--honeypot-addrs and --honeypot-quorum need --honeypot-log");
    if (o->darknet_sample > 0 && o->state_path != NULL)
        return cli_usage("analyze", "--darknet-sample applies to captures: a state keeps every "
                                    "darknet address");
    if (optind >= argc && o->state_path == NULL)
        return cli_usage("analyze", "no capture files given");
    return -1;
}

/* app_scan - read the honeypot logs and compute gamma (Table 4); 0 or -1 after a message. */
static int app_scan(const options *o, ds_results *res)
{
    ds_error err;
    ds_app_sessions *sessions = ds_app_sessions_new(&o->space.window, o->space.prefix);
    if (sessions == NULL) {
        cli_error("out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < o->n_honeypot_logs && rc == 0; i++) {
        if (ds_app_sessions_read(sessions, o->honeypot_logs[i], &cli_diag, &err) != DS_OK) {
            cli_error("%s", err.msg);
            rc = -1;
        }
    }
    if (rc == 0 && ds_app_scan(res, sessions, (uint32_t)o->honeypot_addrs,
                               (uint32_t)o->honeypot_quorum, &err) != DS_OK) {
        cli_error("%s", err.msg);
        rc = -1;
    }
    if (rc == 0 && res->honeypot->addresses < res->honeypot->quorum)
        cli_warn("the quorum (%" PRIu32 ") is larger than the honeypot's %" PRIu32
                 " addresses: no port can count",
                 res->honeypot->quorum, res->honeypot->addresses);
    ds_app_sessions_free(sessions);
    return rc;
}

static void report_incomplete(const ds_results *res)
{
    for (size_t i = 0; i < res->n_windows; i++) {
        const ds_window_result *w = &res->windows[i];
        if (w->complete)
            continue;
        char label[32];
        ds_window_label(&res->window, w->id, label, sizeof(label));
        if (w->packets == 0)
            cli_warn("window %s has no packets at all: it is incomplete", label);
        else
            cli_warn("window %s is incomplete: the input leaves %.1f%% of it without packets "
                     "in one stretch, so coverage there is undercounted",
                     label, 100.0 * w->max_gap_slots / DS_AGG_SLOTS);
    }
}

/* The enrichment sources, opened before any capture is read so that a bad one fails fast. */
typedef struct sources {
    ds_geoip *geoip;
    ds_asn_db *asn;
    ds_known *known;
} sources;

static void sources_free(sources *s)
{
    ds_geoip_free(s->geoip);
    ds_asn_free(s->asn);
    ds_known_free(s->known);
}

/* open_sources - 0, or -1 after printing an error that names the file. */
static int open_sources(const options *o, sources *s)
{
    ds_error err;
    if (o->geoip_path != NULL && ds_geoip_open(&s->geoip, o->geoip_path, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return -1;
    }
    if (o->asn_path != NULL && ds_asn_open(&s->asn, o->asn_path, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return -1;
    }
    if (o->n_known_paths > 0) {
        s->known = ds_known_new();
        if (s->known == NULL) {
            cli_error("out of memory");
            return -1;
        }
        for (size_t i = 0; i < o->n_known_paths; i++) {
            if (ds_known_load_file(s->known, o->known_paths[i], o->quiet ? NULL : &cli_diag,
                                   &err) != DS_OK) {
                cli_error("%s", err.msg);
                return -1;
            }
        }
        if (ds_known_finish(s->known, &err) != DS_OK) {
            cli_error("%s", err.msg);
            return -1;
        }
    }
    /* The honeypot logs are read after the captures: a missing one fails now, not then. */
    for (size_t i = 0; i < o->n_honeypot_logs; i++) {
        int fd = open(o->honeypot_logs[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            cli_error("%s: %s", o->honeypot_logs[i], strerror(errno));
            return -1;
        }
        close(fd);
    }
    return 0;
}

/* rereadable - whether every input can be read a second time (regular files only). */
static bool rereadable(const ds_path_list *inputs)
{
    for (size_t i = 0; i < inputs->count; i++) {
        struct stat sb;
        if (strcmp(inputs->paths[i], "-") == 0 || stat(inputs->paths[i], &sb) != 0 ||
            !S_ISREG(sb.st_mode))
            return false;
    }
    return true;
}

/*
 * host_pass_config - the host pass's aggregate configuration, without its source filter. A
 * darknet too large for /32 tuple keys makes ds_aggregate_new() refuse it (the pass is then
 * not made).
 */
static ds_agg_config host_pass_config(const options *o, const ds_agg_config *state_cfg)
{
    return (ds_agg_config){.darknet = state_cfg != NULL ? state_cfg->darknet : o->space.darknet,
                           .window = state_cfg != NULL ? state_cfg->window : o->space.window,
                           .prefix = 32,
                           .header_values = true,
                           .darknet_sample = (uint32_t)o->darknet_sample};
}

/*
 * host_pass_certain - whether the host pass will read the inputs again should there be
 * constant scanner blocks: then the first pass need not count every source host (the update
 * of a table of all of them, a sixth of its time), since the host pass counts the blocks'
 * hosts anyway.
 */
static bool host_pass_certain(const options *o, const ds_path_list *inputs)
{
    if (o->no_host_pass || o->state_path != NULL || !rereadable(inputs))
        return false;
    ds_agg_config cfg = host_pass_config(o, NULL);
    ds_aggregate *probe;
    ds_error err;
    if (ds_aggregate_new(&probe, &cfg, &err) != DS_OK)
        return false;
    ds_aggregate_free(probe);
    return true;
}

/* windows_of_results - whether every window of agg is one of the results' windows. */
static bool windows_of_results(const ds_aggregate *agg, const ds_results *res)
{
    for (size_t i = 0; i < ds_aggregate_window_count(agg); i++) {
        ds_agg_window aw;
        ds_aggregate_window(agg, i, &aw);
        bool found = false;
        for (size_t k = 0; k < res->n_windows && !found; k++)
            found = res->windows[k].id == aw.id && res->windows[k].packets > 0;
        if (!found)
            return false;
    }
    return true;
}

/*
 * same_reading - whether the host pass (info, agg) read what the first pass read (res): the
 * same files, records of every kind and packets. A capture cut, grown, replaced or removed
 * between the two reads is not.
 */
static bool same_reading(const ds_results *res, const ds_input_info *info, const ds_aggregate *agg)
{
    const ds_input_info *a = &res->input;
    ds_agg_totals t = ds_aggregate_totals(agg);
    return a->files == info->files && a->records == info->records &&
           a->truncated == info->truncated && a->failed == info->failed && a->ipv6 == info->ipv6 &&
           a->non_ip == info->non_ip && a->other_skipped == info->other_skipped &&
           t.packets == res->totals.packets && t.syn_packets == res->totals.syn_packets &&
           t.outside_darknet == res->totals.outside_darknet &&
           t.syn_to_darknet == res->totals.syn_to_darknet;
}

/*
 * changed_between - the error for captures that changed between the two reads: the first file
 * whose reads differ, else (or without per-file records) the totals.
 */
static void changed_between(const ds_path_list *inputs, const file_seen *a, const file_seen *b,
                            const ds_results *res, const ds_input_info *info,
                            const ds_aggregate *agg)
{
    for (size_t i = 0; a != NULL && b != NULL && i < inputs->count; i++) {
        const file_seen *x = &a[i], *y = &b[i];
        if (x->done == y->done && x->failed == y->failed && x->records == y->records &&
            x->bytes == y->bytes && strcmp(x->err, y->err) == 0)
            continue;
        if (x->failed != y->failed || strcmp(x->err, y->err) != 0)
            cli_error("host pass: %s changed between the two reads (the first: %s; the second: "
                      "%s): the blocks' host figures count the second",
                      inputs->paths[i], x->failed ? x->err : "read to its end",
                      y->failed ? y->err : "read to its end");
        else
            cli_error("host pass: %s changed between the two reads (%llu records in %llu bytes "
                      "the first time, %llu in %llu the second): the blocks' host figures count "
                      "the second",
                      inputs->paths[i], (unsigned long long)x->records,
                      (unsigned long long)x->bytes, (unsigned long long)y->records,
                      (unsigned long long)y->bytes);
        return;
    }
    cli_error("host pass: the captures changed between the two reads (%llu records and %llu "
              "SYN packets to D the first time, %llu and %llu the second): the blocks' host "
              "figures count the second",
              (unsigned long long)res->input.records,
              (unsigned long long)res->totals.syn_to_darknet, (unsigned long long)info->records,
              (unsigned long long)ds_aggregate_totals(agg).syn_to_darknet);
}

/*
 * host_pass - read the captures again, keeping only the constant scanner blocks' SYNs, per
 * host (/32) and with TTL and TCP window counts, and derive each host's port-set sizes and the
 * dominant values (ds_detect_hosts); after a first pass without host counts
 * (host_pass_certain), also each block's packets, fingerprints, hosts and /24s. A second read costs
 * the time of the first, but memory only for the blocks' own tuples. Returns 0; 1 after
 * printing an error when the captures changed between the two reads (the host figures then
 * count the second: the results are written, and analyze exits with 1); or -1 after printing
 * an error. A pass that cannot be made (standard input, a darknet too large for /32 keys) is a
 * warning, not an error.
 */
static int host_pass(const options *o, const ds_path_list *inputs, const path_at *by_path,
                     const file_seen *first, ds_state *state, ds_results *res)
{
    if (o->no_host_pass || res->n_networks == 0)
        return 0;
    ds_path_list from_state = {0};
    const ds_agg_config *state_cfg = state != NULL ? ds_state_config(state) : NULL;
    if (state != NULL) {
        /* The host pass reads the ingested captures again, if they are all still there. */
        ds_error why;
        ds_status st = ds_state_capture_files(state, &from_state, &why);
        if (st == DS_ERR_NOMEM) {
            cli_error("%s", why.msg);
            return -1;
        }
        if (st != DS_OK) {
            if (!o->quiet)
                cli_warn("no per-host port sets, TTL or TCP window: the host pass reads the "
                         "ingested captures again, and %s",
                         why.msg);
            return 0;
        }
        inputs = &from_state;
    }
    if (!rereadable(inputs)) {
        if (!o->quiet)
            cli_warn("the input cannot be read a second time (standard input or a pipe): no "
                     "per-host port sets, TTL or TCP window");
        ds_path_list_free(&from_state);
        return 0;
    }
    ds_error err;
    ds_addr_range *ranges = NULL;
    size_t n_ranges = 0;
    if (ds_results_source_ranges(res, &ranges, &n_ranges, &err) != DS_OK) {
        cli_error("%s", err.msg);
        ds_path_list_free(&from_state);
        return -1;
    }
    ds_agg_config cfg = host_pass_config(o, state_cfg);
    cfg.sources = ranges;
    cfg.n_sources = n_ranges;
    const char *hold = getenv("DARKSCAN_TEST_HOLD_BEFORE_HOST_PASS");
    if (hold != NULL) {
        /* Tests only: wait here until the writer of this FIFO closes it (the test changes a
           capture between the two reads meanwhile). */
        FILE *f = fopen(hold, "r");
        if (f != NULL) {
            while (fgetc(f) != EOF)
                ;
            fclose(f);
        }
    }
    file_seen *seen = state == NULL && first != NULL ? calloc(inputs->count, sizeof(*seen)) : NULL;
    read_ui ui = {false, now_s(), "host pass", by_path, inputs->count, seen};
    ds_read_events events = {on_file_failed_quietly, NULL, on_file_done, NULL, 0, &ui};
    if (!o->quiet && isatty(STDERR_FILENO))
        events.progress = on_progress;
    ds_aggregate *agg = NULL;
    ds_input_info info;
    ds_status st = ds_read_files(inputs, &cfg, (unsigned)o->threads, &events, &agg, &info, &err);
    clear_progress(&ui);
    int rc = 0;
    if (st == DS_ERR_UNSUPPORTED) {
        if (!o->quiet)
            cli_warn("no per-host port sets: %s", err.msg);
    } else if (st == DS_OK && state != NULL && !windows_of_results(agg, res)) {
        if (!o->quiet)
            cli_warn("no per-host port sets, TTL or TCP window: the ingested captures hold "
                     "windows the state no longer has (--keep-windows pruned them)");
    } else if (st != DS_OK || ds_detect_hosts(res, agg, &err) != DS_OK) {
        cli_error("host pass: %s", err.msg);
        rc = -1;
    } else if (state == NULL && !same_reading(res, &info, agg)) {
        changed_between(inputs, first, seen, res, &info, agg);
        rc = 1;
    }
    free(seen);
    ds_aggregate_free(agg);
    free(ranges);
    ds_path_list_free(&from_state);
    return rc;
}

static int enrich(const options *o, const sources *s, ds_results *res)
{
    ds_enrich_sources src = {s->geoip, o->geoip_path,  s->asn,          o->asn_path,
                             s->known, o->known_paths, o->n_known_paths};
    ds_error err;
    if (ds_enrich_results(res, &src, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return -1;
    }
    return 0;
}

int cmd_analyze(int argc, char **argv)
{
    options o = {0};
    ds_params_default(&o.params);
    o.space.window = (ds_window_spec){DS_WINDOW_MONTH, 0};
    o.space.prefix = DS_PREFIX_DEFAULT;
    o.top = 10;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o.threads = cores > 0 ? (uint64_t)cores : 1;
    o.space.darknet = ds_darknet_new();
    if (o.space.darknet == NULL) {
        cli_error("out of memory");
        return DS_EXIT_FAIL;
    }
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0) {
        ds_darknet_free(o.space.darknet);
        free(o.known_paths);
        free(o.honeypot_logs);
        return rc;
    }

    sources srcs = {NULL, NULL, NULL};
    ds_error err;
    ds_path_list inputs = {0};
    ds_aggregate *merged = NULL;
    ds_state *state = NULL;
    ds_results *res = NULL;
    ds_input_info info;
    int pass = 0; /* host_pass(): 1 when the captures changed between the two reads */
    file_seen *first_seen = NULL; /* what the first read gave of each input */
    path_at *by_path = NULL;      /* the inputs by name, to find first_seen's entries */
    rc = DS_EXIT_FAIL;

    if ((o.space.have_darknet || o.state_path == NULL) &&
        ds_darknet_finish(o.space.darknet, &cli_diag, &err) != DS_OK) {
        cli_error("darknet: %s", err.msg);
        goto out;
    }
    if (o.state_path != NULL &&
        cli_state_load(o.state_path, o.space.have_darknet ? o.space.darknet : NULL,
                       o.space.window_set ? &o.space.window : NULL,
                       o.space.prefix_set ? &o.space.prefix : NULL, &state, &merged,
                       &info) != DS_EXIT_OK)
        goto out;
    if (o.state_path == NULL &&
        ds_inputs_expand((const char *const *)argv + optind, (size_t)(argc - optind), &inputs,
                         &cli_diag, &err) != DS_OK) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (open_sources(&o, &srcs) != 0)
        goto out;
    if (o.out_dir != NULL && make_dir(o.out_dir) != 0) {
        cli_error("%s: cannot create the folder: %s", o.out_dir, strerror(errno));
        goto out;
    }
    if (o.state_path == NULL) {
        first_seen = calloc(inputs.count ? inputs.count : 1, sizeof(*first_seen));
        by_path = paths_sorted(&inputs);
    }
    read_ui ui = {false, now_s(), "analyze", by_path, inputs.count, first_seen};
    ds_read_events events = {on_file_failed, on_file_truncated, on_file_done, NULL, 0, &ui};
    if (!o.quiet && isatty(STDERR_FILENO))
        events.progress = on_progress;
    ds_agg_config cfg = {.darknet = o.space.darknet,
                         .window = o.space.window,
                         .prefix = o.space.prefix,
                         .darknet_sample = (uint32_t)o.darknet_sample,
                         .no_host_counts = host_pass_certain(&o, &inputs)};
    ds_status st = o.state_path != NULL ? DS_OK
                                        : ds_read_files(&inputs, &cfg, (unsigned)o.threads, &events,
                                                        &merged, &info, &err);
    clear_progress(&ui);
    if (st != DS_OK) {
        cli_error("%s", err.msg);
        goto out;
    }

    if (ds_detect(merged, &o.params, &res, &err) != DS_OK) {
        cli_error("%s", err.msg);
        goto out;
    }
    res->input = info;
    if (o.sweep && ds_sweep_new_default(merged, &res->sweep, &err) != DS_OK) {
        cli_error("%s", err.msg);
        goto out;
    }
    /* The results hold all that is needed now: free the aggregate before the host pass. */
    ds_aggregate_free(merged);
    merged = NULL;
    pass = host_pass(&o, &inputs, by_path, first_seen, state, res);
    if (pass < 0)
        goto out;
    if (res->host_facts_pending) {
        /* The first pass left the blocks' hosts to a host pass that could not be made (an
           input stopped being a regular file between the two reads). */
        cli_error("host pass: the captures could not be read a second time: no host figures");
        goto out;
    }
    if (enrich(&o, &srcs, res) != 0)
        goto out;
    if (o.n_honeypot_logs > 0 && app_scan(&o, res) != 0)
        goto out;
    if (!o.quiet)
        report_incomplete(res);

    rc = (info.failed > 0 && o.state_path == NULL) || pass > 0 ? DS_EXIT_FAIL : DS_EXIT_OK;
    if (o.json_path != NULL && write_json_file(res, o.json_path) != 0)
        rc = DS_EXIT_FAIL;
    if (o.out_dir != NULL) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/results.json", o.out_dir);
        if (write_json_file(res, path) != 0 || write_report(o.out_dir, path) != 0)
            rc = DS_EXIT_FAIL;
        if (ds_results_write_tables(res, o.out_dir, &err) != DS_OK) {
            cli_error("%s", err.msg);
            rc = DS_EXIT_FAIL;
        }
    }
    bool json_on_stdout = o.json_path != NULL && strcmp(o.json_path, "-") == 0;
    if (!o.quiet && !json_on_stdout) {
        if (ds_results_write_summary(res, stdout, (size_t)o.top, &err) != DS_OK) {
            cli_error("standard output: %s", err.msg);
            rc = DS_EXIT_FAIL;
        }
        if (o.out_dir != NULL)
            printf("\nresults: %s/results.json, %s/report.html and CSV tables in %s/\n", o.out_dir,
                   o.out_dir, o.out_dir);
    }
    if (fflush(stdout) != 0) {
        cli_error("standard output: %s", strerror(errno));
        rc = DS_EXIT_FAIL;
    }

out:
    free(first_seen);
    free(by_path);
    ds_results_free(res);
    ds_aggregate_free(merged);
    ds_state_close(state);
    ds_path_list_free(&inputs);
    sources_free(&srcs);
    ds_darknet_free(o.space.darknet);
    free(o.known_paths);
    free(o.honeypot_logs);
    return rc;
}
