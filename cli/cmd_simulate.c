/*
 * cmd_simulate.c - `darkscan simulate --out DIR [--scenario NAME] [--seed N] ...`: synthetic
 * darknet captures with planted constant scanners and distractors, and truth.json, the answer
 * `darkscan analyze` must give on them (docs/SIMULATE.md).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: darkscan simulate --out DIR [OPTIONS]\n"
            "\n"
            "Write a simulated darknet: DIR/darknet.txt, captures under DIR/captures/<sensor>/\n"
            "(one file per sensor and day, packets in time order) and DIR/truth.json, the\n"
            "constant scanners `darkscan analyze -D DIR/darknet.txt DIR/captures` must find,\n"
            "computed from the packets written. The same seed gives the same files.\n"
            "\n"
            "Options:\n"
            "  -o, --out DIR        output folder (created; a previous simulation's captures\n"
            "                       there are replaced)\n"
            "  -s, --scenario NAME  what to simulate (paper); see --list\n"
            "      --seed N         random seed (1)\n"
            "      --scale F        0 < F <= 1: port-set sizes above the scenario's knee K\n"
            "                       become K + (size - K) * F (the scenario's default; 1: full)\n"
            "  -f, --format NAME    pcap, pcap-ns, pcap-be, pcap-ns-be, pcapng, pcapng-ns,\n"
            "                       pcapng-be, or mixed: each file its own format, compression\n"
            "                       and link type (pcap)\n"
            "  -c, --compress NAME  none, gzip, bzip2, xz, zstd, lz4 (none)\n"
            "      --level N        compression level: gzip, bzip2, xz 1..9, zstd 1..22,\n"
            "                       lz4 1..12 (a fast one)\n"
            "      --truth-only     write darknet.txt and truth.json, no captures\n"
            "  -j, --threads N      worker threads (the number of cores)\n"
            "      --list           list the scenarios and formats\n"
            "  -q, --quiet          no progress and no summary\n"
            "  -h, --help           show this help\n"
            "\n"
            "Exit status: 0 success, 1 a file could not be written, 2 usage error.\n");
}

enum { OPT_SEED = 256, OPT_SCALE, OPT_LEVEL, OPT_TRUTH_ONLY, OPT_LIST };

static const struct option long_options[] = {
    {"out", required_argument, NULL, 'o'},
    {"scenario", required_argument, NULL, 's'},
    {"seed", required_argument, NULL, OPT_SEED},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"format", required_argument, NULL, 'f'},
    {"compress", required_argument, NULL, 'c'},
    {"level", required_argument, NULL, OPT_LEVEL},
    {"truth-only", no_argument, NULL, OPT_TRUTH_ONLY},
    {"threads", required_argument, NULL, 'j'},
    {"list", no_argument, NULL, OPT_LIST},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void print_list(void)
{
    printf("Scenarios:\n");
    for (size_t i = 0; i < ds_sim_scenario_count(); i++) {
        const ds_sim_scenario *s = ds_sim_scenario_at(i);
        printf("  %-8s %s (default scale %g)\n", s->name, s->summary, s->default_scale);
    }
    printf("Formats:\n ");
    for (size_t i = 0; i < ds_sim_format_count(); i++)
        printf(" %s", ds_sim_format_at(i)->name);
    printf(" %s\nCompressions:\n  none gzip bzip2 xz zstd lz4\n", DS_SIM_MIXED);
}

bool cli_parse_compression(const char *text, ds_compression *out)
{
    static const ds_compression all[] = {DS_COMP_NONE, DS_COMP_GZIP, DS_COMP_BZIP2,
                                         DS_COMP_XZ,   DS_COMP_ZSTD, DS_COMP_LZ4};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(text, ds_compression_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

bool cli_parse_scale(const char *cmd, const char *text, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v > 0 && v <= 1)) {
        cli_usage(cmd, "--scale: '%s' is not a number in (0, 1]", text);
        return false;
    }
    *out = v;
    return true;
}

/* The progress line on a terminal. */
static void on_progress(void *ctx, const ds_sim_progress *p)
{
    fprintf(stderr, "\r\033[Ksimulate: %zu/%zu months, %.1f M packets, %" PRIu64 " files",
            p->months_done, p->months_total, (double)p->packets / 1e6, p->files);
    *(bool *)ctx = true;
}

int cli_simulate(const ds_sim_config *cfg, bool quiet)
{
    bool shown = false;
    ds_sim_events ev = {NULL, &shown};
    if (!quiet && isatty(STDERR_FILENO))
        ev.progress = on_progress;
    ds_sim_summary sum;
    ds_error err;
    ds_status st = ds_simulate_run(cfg, &ev, &sum, &err);
    if (shown)
        fputs("\r\033[K", stderr);
    if (st != DS_OK) {
        cli_error("simulate: %s", err.msg);
        return DS_EXIT_FAIL;
    }
    if (!quiet) {
        printf("simulated scenario '%s' (seed %" PRIu64 ", scale %g): %" PRIu64
               " packets in %" PRIu64 " files, |D| = %" PRIu64 "\n",
               sum.scenario->name, cfg->seed, sum.scale, sum.packets, sum.files, sum.darknet_size);
        printf("truth: %zu constant scanners (%zu routine, %zu semi-routine, %zu ad-hoc); "
               "%zu planted, %zu of them to be found\n",
               sum.networks, sum.routine, sum.semi_routine, sum.ad_hoc, sum.planted,
               sum.planted_constant);
        printf("files: %s/darknet.txt, %s/captures/, %s/truth.json\n", cfg->out_dir, cfg->out_dir,
               cfg->out_dir);
    }
    if (fflush(stdout) != 0) {
        cli_error("standard output: write error");
        return DS_EXIT_FAIL;
    }
    return DS_EXIT_OK;
}

int cmd_simulate(int argc, char **argv)
{
    ds_sim_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.scenario = "paper";
    cfg.seed = 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.threads = cores > 0 ? (unsigned)cores : 1;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:f:c:j:qh", long_options, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'o':
            cfg.out_dir = optarg;
            break;
        case 's':
            if (ds_sim_scenario_find(optarg) == NULL)
                return cli_usage("simulate", "--scenario: unknown scenario '%s' (see --list)",
                                 optarg);
            cfg.scenario = optarg;
            break;
        case OPT_SEED:
            if (!cli_parse_u64("simulate", "--seed", optarg, 0, UINT64_MAX, &cfg.seed))
                return DS_EXIT_USAGE;
            break;
        case OPT_SCALE:
            if (!cli_parse_scale("simulate", optarg, &cfg.scale))
                return DS_EXIT_USAGE;
            break;
        case 'f':
            if (strcmp(optarg, DS_SIM_MIXED) != 0 && ds_sim_format_find(optarg) == NULL)
                return cli_usage("simulate", "--format: unknown format '%s' (see --list)", optarg);
            cfg.format = optarg;
            break;
        case 'c':
            if (!cli_parse_compression(optarg, &cfg.compression))
                return cli_usage("simulate", "--compress: unknown compression '%s'", optarg);
            break;
        case OPT_LEVEL:
            if (!cli_parse_u64("simulate", "--level", optarg, 1, 22, &v))
                return DS_EXIT_USAGE;
            cfg.level = (int)v;
            break;
        case OPT_TRUTH_ONLY:
            cfg.truth_only = true;
            break;
        case 'j':
            if (!cli_parse_u64("simulate", "--threads", optarg, 1, 64, &v))
                return DS_EXIT_USAGE;
            cfg.threads = (unsigned)v;
            break;
        case OPT_LIST:
            print_list();
            return DS_EXIT_OK;
        case 'q':
            quiet = true;
            break;
        case 'h':
            print_help(stdout);
            return DS_EXIT_OK;
        default:
            return cli_usage("simulate", "unknown or incomplete option");
        }
    }
    if (optind < argc)
        return cli_usage("simulate", "unexpected argument '%s'", argv[optind]);
    if (cfg.out_dir == NULL)
        return cli_usage("simulate", "the output folder is required: --out DIR");
    bool mixed = cfg.format != NULL && strcmp(cfg.format, DS_SIM_MIXED) == 0;
    if (cfg.level != 0 && (mixed || cfg.compression == DS_COMP_NONE))
        return cli_usage("simulate", "--level needs --compress (and a single format)");
    int min_level, max_level;
    if (cfg.level != 0 && ds_compression_levels(cfg.compression, &min_level, &max_level) &&
        (cfg.level < min_level || cfg.level > max_level))
        return cli_usage("simulate", "--level %d: %s takes levels %d..%d", cfg.level,
                         ds_compression_name(cfg.compression), min_level, max_level);
    return cli_simulate(&cfg, quiet);
}
