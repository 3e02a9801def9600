/*
 * cmd_demo.c - `darkscan demo [--out DIR]`: everything darkscan does, without any argument.
 * Simulates the paper's setting (darkscan simulate), analyses it exactly as `darkscan analyze`
 * would be run by hand, with every enrichment this build's analyze offers (country and AS from
 * the shipped databases, known scanner lists), checks the answer against the simulation's
 * truth, and ends with the path of the report.
 *
 * The analysis goes through cmd_analyze() itself, with an argv built here; enrichment options
 * are passed only when `analyze --help` lists them, so the demo follows analyze as it grows.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#ifndef DS_DATA_DIR
#define DS_DATA_DIR "data"
#endif
#ifndef DS_INSTALL_DATA_DIR
#define DS_INSTALL_DATA_DIR "/usr/local/share/darkscan"
#endif

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: darkscan demo [--out DIR] [OPTIONS]\n"
            "\n"
            "Simulate the paper's setting (4 sensors, 1,913 addresses, 2018-07 to 2019-06, the\n"
            "34 constant scanner blocks of its Table 3 among distractors), analyse it with every\n"
            "feature available (country and AS databases, known scanner lists, report), check\n"
            "the answer against the simulation's truth, and print where the report is.\n"
            "\n"
            "Options:\n"
            "  -o, --out DIR        output folder (demo-out): the simulation in DIR, the\n"
            "                       analysis in DIR/results\n"
            "  -s, --scenario NAME  another scenario (paper); see darkscan simulate --list\n"
            "      --seed N         random seed (1)\n"
            "      --scale F        port-set scale (the scenario's default)\n"
            "  -j, --threads N      worker threads (the number of cores)\n"
            "  -h, --help           show this help\n"
            "\n"
            "Data (country and AS databases, scanner lists) come from $DARKSCAN_DATA, the\n"
            "source tree's data/ or the installed share/darkscan/, whichever exists first.\n"
            "\n"
            "Exit status: 0 success (and the analysis agrees with the truth), 1 failure or\n"
            "disagreement, 2 usage error.\n");
}

enum { OPT_SEED = 256, OPT_SCALE };

static const struct option long_options[] = {
    {"out", required_argument, NULL, 'o'},
    {"scenario", required_argument, NULL, 's'},
    {"seed", required_argument, NULL, OPT_SEED},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"threads", required_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* data_dir - where the shipped databases and lists are, or NULL. */
static const char *data_dir(void)
{
    const char *env = getenv("DARKSCAN_DATA");
    if (env != NULL && is_dir(env))
        return env;
    if (is_dir(DS_DATA_DIR))
        return DS_DATA_DIR;
    if (is_dir(DS_INSTALL_DATA_DIR))
        return DS_INSTALL_DATA_DIR;
    return NULL;
}

/*
 * analyze_help - the text `darkscan analyze --help` prints, captured from cmd_analyze() in a
 * child process (so that the option list is the one of this very build). malloc'd, or NULL.
 */
static char *analyze_help(void)
{
    int fd[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fd) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return NULL;
    }
    if (pid == 0) {
        close(fd[0]);
        if (dup2(fd[1], STDOUT_FILENO) < 0)
            _exit(1);
        char a0[] = "analyze", a1[] = "--help";
        char *args[] = {a0, a1, NULL};
        int rc = cmd_analyze(2, args);
        fflush(stdout);
        _exit(rc);
    }
    close(fd[1]);
    size_t len = 0, cap = 8192;
    char *buf = malloc(cap);
    ssize_t n = 0;
    while (buf != NULL) {
        if (len + 1 >= cap) {
            char *g = realloc(buf, cap * 2);
            if (g == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = g;
            cap *= 2;
        }
        n = read(fd[0], buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

/* has_option - whether help lists the long option `name` ("--geoip"). */
static bool has_option(const char *help, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = help; p != NULL && (p = strstr(p, name)) != NULL; p += len) {
        char next = p[len];
        bool word_end =
            !(next == '-' || (next >= 'a' && next <= 'z') || (next >= '0' && next <= '9'));
        bool word_start = p == help || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ',';
        if (word_end && word_start)
            return true;
    }
    return false;
}

/* A growable argv for cmd_analyze. */
typedef struct args {
    char **v;
    int n, cap;
} args;

static bool args_add(args *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 32;
        char **g = realloc(a->v, (size_t)cap * sizeof(*g));
        if (g == NULL)
            return false;
        a->v = g;
        a->cap = cap;
    }
    a->v[a->n] = strdup(s);
    if (a->v[a->n] == NULL)
        return false;
    a->n++;
    a->v[a->n] = NULL;
    return true;
}

static void args_free(args *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * add_lists - "--known-scanners FILE" for every list below dir/scanners/{misp,maltrail} (.json
 * and .txt files, not the licence and readme files beside them), in name order.
 */
static bool add_lists(args *a, const char *dir)
{
    static const char *const subdirs[] = {"misp", "maltrail"};
    char path[4096];
    for (size_t s = 0; s < sizeof(subdirs) / sizeof(subdirs[0]); s++) {
        snprintf(path, sizeof(path), "%s/scanners/%s", dir, subdirs[s]);
        DIR *d = opendir(path);
        if (d == NULL)
            continue;
        char *names[256];
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < 256) {
            size_t len = strlen(e->d_name);
            bool notice = strncasecmp(e->d_name, "license", 7) == 0 ||
                          strncasecmp(e->d_name, "readme", 6) == 0;
            bool list = !notice && ((len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) ||
                                    (len > 4 && strcmp(e->d_name + len - 4, ".txt") == 0));
            if (list && (names[n] = strdup(e->d_name)) != NULL)
                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(*names), cmp_str);
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            char file[4096 + 256];
            snprintf(file, sizeof(file), "%s/%s", path, names[i]);
            ok = ok && args_add(a, "--known-scanners") && args_add(a, file);
            free(names[i]);
        }
        if (!ok)
            return false;
    }
    return true;
}

/* ---- the check against truth.json ---------------------------------------------------------- */

/*
 * jequal - whether b has what a (the truth) fixes: equal scalars, arrays of the same length
 * with each element so, and for an object every key of a (b may have more keys).
 */
static bool jequal(const ds_jval *a, const ds_jval *b)
{
    ds_jval_kind k = ds_jval_type(a);
    if (k != ds_jval_type(b))
        return false;
    switch (k) {
    case DS_JVAL_ABSENT:
    case DS_JVAL_NULL:
        return true;
    case DS_JVAL_BOOL: {
        bool x = false, y = false;
        ds_jval_bool(a, &x);
        ds_jval_bool(b, &y);
        return x == y;
    }
    case DS_JVAL_NUMBER: {
        double x = 0, y = 0;
        return ds_jval_double(a, &x) == DS_OK && ds_jval_double(b, &y) == DS_OK && x == y;
    }
    case DS_JVAL_STRING: {
        size_t lx, ly;
        const char *x = ds_jval_string(a, &lx), *y = ds_jval_string(b, &ly);
        return lx == ly && memcmp(x, y, lx) == 0;
    }
    case DS_JVAL_ARRAY:
        if (ds_jval_array_len(a) != ds_jval_array_len(b))
            return false;
        for (size_t i = 0; i < ds_jval_array_len(a); i++) {
            if (!jequal(ds_jval_array_at(a, i), ds_jval_array_at(b, i)))
                return false;
        }
        return true;
    case DS_JVAL_OBJECT:
        /* every key a fixes; b (the results) may have more */
        for (size_t i = 0; i < ds_jval_object_len(a); i++) {
            const char *key = ds_jval_object_key(a, i, NULL);
            if (key == NULL || !jequal(ds_jval_object_value(a, i), ds_jval_get(b, key)))
                return false;
        }
        return true;
    }
    return false;
}

/*
 * check_truth - every field truth.json fixes for every network (all but "simulated"), and the
 * country when the results carry one. Prints one line per difference (the first 10) and a
 * verdict; returns true when they agree.
 */
static bool check_truth(const char *truth_path, const char *results_path)
{
    ds_jval *truth = NULL, *res = NULL;
    ds_error err;
    bool ok = false;
    if (ds_jval_parse_file(truth_path, &truth, &err) != DS_OK ||
        ds_jval_parse_file(results_path, &res, &err) != DS_OK) {
        cli_error("check: %s", err.msg);
        goto out;
    }
    const ds_jval *tn = ds_jval_get(truth, "networks"), *rn = ds_jval_get(res, "networks");
    size_t nt = ds_jval_array_len(tn), nr = ds_jval_array_len(rn);
    size_t diffs = 0, countries = 0, country_ok = 0, known = 0;
    size_t cat[3] = {0, 0, 0};
    if (nt != nr) {
        printf("check: truth.json has %zu constant scanners, the analysis %zu\n", nt, nr);
        diffs++;
    }
    for (size_t i = 0; i < nt && i < nr; i++) {
        const ds_jval *t = ds_jval_array_at(tn, i), *r = ds_jval_array_at(rn, i);
        const char *block = ds_jval_string(ds_jval_get(t, "block"), NULL);
        for (size_t k = 0; k < ds_jval_object_len(t); k++) {
            const char *key = ds_jval_object_key(t, k, NULL);
            if (key == NULL || strcmp(key, "simulated") == 0)
                continue;
            if (!jequal(ds_jval_object_value(t, k), ds_jval_get(r, key))) {
                if (diffs++ < 10)
                    printf("check: %s: %s differs\n", block ? block : "?", key);
            }
        }
        const char *c = ds_jval_string(ds_jval_get(t, "category"), NULL);
        if (c != NULL)
            cat[strcmp(c, "routine") == 0 ? 0 : strcmp(c, "semi-routine") == 0 ? 1 : 2]++;
        const char *want =
            ds_jval_string(ds_jval_get(ds_jval_get(t, "simulated"), "country"), NULL);
        const ds_jval *got = ds_jval_get(r, "country");
        if (want != NULL && ds_jval_type(got) != DS_JVAL_ABSENT) {
            countries++;
            const char *g = ds_jval_string(got, NULL);
            country_ok += g != NULL && strcmp(g, want) == 0;
        }
        known += ds_jval_array_len(ds_jval_get(r, "known_scanners")) > 0;
    }
    if (diffs == 0) {
        printf("check: the analysis equals truth.json on every field it fixes: %zu constant "
               "scanners (%zu routine, %zu semi-routine, %zu ad-hoc)\n",
               nt, cat[0], cat[1], cat[2]);
        if (countries > 0)
            printf("check: country of the top /24 as planted for %zu of %zu blocks\n", country_ok,
                   countries);
        if (known > 0)
            printf("check: %zu blocks annotated by the known-scanner lists\n", known);
        ok = true;
    } else {
        printf("check: %zu differences between the analysis and truth.json\n", diffs);
    }
out:
    ds_jval_free(truth);
    ds_jval_free(res);
    return ok;
}

int cmd_demo(int argc, char **argv)
{
    ds_sim_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.out_dir = "demo-out";
    cfg.scenario = "paper";
    cfg.seed = 1;
    cfg.format = "pcap";
    cfg.compression = DS_COMP_ZSTD;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t threads = cores > 0 ? (uint64_t)cores : 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:j:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'o':
            cfg.out_dir = optarg;
            break;
        case 's':
            if (ds_sim_scenario_find(optarg) == NULL)
                return cli_usage("demo", "--scenario: unknown scenario '%s'", optarg);
            cfg.scenario = optarg;
            break;
        case OPT_SEED:
            if (!cli_parse_u64("demo", "--seed", optarg, 0, UINT64_MAX, &cfg.seed))
                return DS_EXIT_USAGE;
            break;
        case OPT_SCALE:
            if (!cli_parse_scale("demo", optarg, &cfg.scale))
                return DS_EXIT_USAGE;
            break;
        case 'j':
            if (!cli_parse_u64("demo", "--threads", optarg, 1, 64, &threads))
                return DS_EXIT_USAGE;
            break;
        case 'h':
            print_help(stdout);
            return DS_EXIT_OK;
        default:
            return cli_usage("demo", "unknown or incomplete option");
        }
    }
    if (optind < argc)
        return cli_usage("demo", "unexpected argument '%s'", argv[optind]);
    cfg.threads = (unsigned)threads;

    printf("== darkscan demo: simulating the '%s' scenario into %s/\n", cfg.scenario, cfg.out_dir);
    fflush(stdout);
    int rc = cli_simulate(&cfg, false);
    if (rc != DS_EXIT_OK)
        return rc;

    char darknet[4096], captures[4096], results[4096], truth[4096], json[4200], num[32];
    snprintf(darknet, sizeof(darknet), "%s/darknet.txt", cfg.out_dir);
    snprintf(captures, sizeof(captures), "%s/captures", cfg.out_dir);
    snprintf(results, sizeof(results), "%s/results", cfg.out_dir);
    snprintf(truth, sizeof(truth), "%s/truth.json", cfg.out_dir);
    snprintf(num, sizeof(num), "%" PRIu64, threads);
    args a = {NULL, 0, 0};
    bool ok = args_add(&a, "analyze") && args_add(&a, "-D") && args_add(&a, darknet) &&
              args_add(&a, "-o") && args_add(&a, results) && args_add(&a, "-j") &&
              args_add(&a, num);
    char *help = analyze_help();
    const char *data = data_dir();
    if (help != NULL && data != NULL) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/geoip/iptoasn-country-ipv4.mmdb", data);
        if (ok && has_option(help, "--geoip") && is_file(path))
            ok = args_add(&a, "--geoip") && args_add(&a, path);
        snprintf(path, sizeof(path), "%s/asn/asn-ipv4-demo.csv", data);
        if (ok && has_option(help, "--asn") && is_file(path))
            ok = args_add(&a, "--asn") && args_add(&a, path);
        if (ok && has_option(help, "--known-scanners"))
            ok = add_lists(&a, data);
    } else if (data == NULL) {
        cli_warn("no data folder (country and AS databases, scanner lists): analysing "
                 "without them");
    }
    free(help);
    ok = ok && args_add(&a, captures);
    if (!ok) {
        args_free(&a);
        cli_error("out of memory");
        return DS_EXIT_FAIL;
    }
    printf("\n== darkscan demo: analysing it:\n  darkscan");
    for (int i = 0; i < a.n; i++)
        printf(" %s", a.v[i]);
    printf("\n\n");
    fflush(stdout);
    rc = cmd_analyze(a.n, a.v);
    args_free(&a);
    if (rc != DS_EXIT_OK)
        return rc;

    snprintf(json, sizeof(json), "%s/results.json", results);
    printf("\n== darkscan demo: checking the analysis against %s\n", truth);
    bool agree = check_truth(truth, json);
    char report[4200];
    snprintf(report, sizeof(report), "%s/report.html", results);
    printf("\nreport: %s\n", is_file(report) ? report : json);
    if (fflush(stdout) != 0)
        return DS_EXIT_FAIL;
    return agree ? DS_EXIT_OK : DS_EXIT_FAIL;
}
