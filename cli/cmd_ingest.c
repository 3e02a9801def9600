/*
 * cmd_ingest.c - `darkscan ingest --state FILE`: add capture files to a persistent state (or,
 * with --list, show what the state holds). Each file is committed in its own transaction,
 * named by the SHA-256 of its bytes, so a file already in the state is skipped and a killed
 * run is completed by the next one. docs/STATE.md has the design.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_ingest.h"

static const char usage_text[] =
    "Usage: darkscan ingest --state FILE [OPTIONS] CAPTURE...\n"
    "       darkscan ingest --state FILE --interface IFACE [--bpf FILTER] [OPTIONS]\n"
    "       darkscan ingest --state FILE --list\n"
    "       darkscan ingest --state FILE --compact | --keep-windows N\n"
    "\n"
    "Add captures to a persistent state (an SQLite database), so that `darkscan analyze\n"
    "--state FILE` answers over everything ingested so far without reading the captures again.\n"
    "A file already in the state (same content) is skipped, so a daily job can run again\n"
    "harmlessly; each file is committed whole or not at all, so a killed run leaves the state\n"
    "as it was before that file, and the next run completes the work.\n"
    "\n"
    "The state:\n"
    "      --state FILE          the state file (created when it does not exist)\n"
    "  -d, --darknet CIDR[,CIDR...]  monitored prefixes; repeatable\n"
    "  -D, --darknet-file FILE   one 'CIDR [SENSOR]' per line, '#' comments\n"
    "      --window UNIT         month, week (ISO), day, hour or <N>s, in UTC (month)\n"
    "      --prefix LEN          source block prefix length, 8..32 (16)\n"
    "                            A new state needs the darknet; the window and prefix default\n"
    "                            as shown. An existing state remembers all three: given again,\n"
    "                            they must be the same (a state keeps one of each).\n"
    "\n"
    "Ingesting:\n"
    "      --force               read files again even when they are in the state (their\n"
    "                            contribution is replaced)\n"
    "      --keep-windows N      afterwards, keep only the newest N windows of the state\n"
    "      --compact             afterwards, fold every window's tuple rows into the fewest\n"
    "                            (done by itself for windows of more than 16 rows)\n"
    "      --wait SECONDS        wait this long for another darkscan writing the state (600)\n"
    "  -j, --threads N           worker threads (the number of cores)\n"
    "  -q, --quiet               only errors\n"
    "      --list                list the state's sources and windows; ingest nothing\n"
    "\n"
    "Live capture (libpcap; runs until SIGTERM or SIGINT):\n"
    "      --interface IFACE     capture on IFACE instead of reading files\n"
    "      --bpf FILTER          capture filter (pcap-filter(7); default: all packets)\n"
    "      --flush SECONDS       commit to the state this often (60): a crash loses at most\n"
    "                            this much\n"
    "      --snaplen BYTES       bytes captured per packet (256)\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 success, 1 a file could not be read or the state could not be written,\n"
    "2 usage error.\n";

enum {
    OPT_STATE = 256,
    OPT_FORCE,
    OPT_KEEP,
    OPT_COMPACT,
    OPT_WAIT,
    OPT_LIST,
    OPT_INTERFACE,
    OPT_BPF,
    OPT_FLUSH,
    OPT_SNAPLEN,
};

static const struct option long_options[] = {
    {"state", required_argument, NULL, OPT_STATE},
    {"darknet", required_argument, NULL, 'd'},
    {"darknet-file", required_argument, NULL, 'D'},
    {"window", required_argument, NULL, CLI_OPT_WINDOW},
    {"prefix", required_argument, NULL, CLI_OPT_PREFIX},
    {"force", no_argument, NULL, OPT_FORCE},
    {"keep-windows", required_argument, NULL, OPT_KEEP},
    {"compact", no_argument, NULL, OPT_COMPACT},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"list", no_argument, NULL, OPT_LIST},
    {"interface", required_argument, NULL, OPT_INTERFACE},
    {"bpf", required_argument, NULL, OPT_BPF},
    {"flush", required_argument, NULL, OPT_FLUSH},
    {"snaplen", required_argument, NULL, OPT_SNAPLEN},
    {"quiet", no_argument, NULL, 'q'},
    {"threads", required_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_options(int argc, char **argv, ingest_options *o)
{
    int c;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:D:qj:h", long_options, NULL)) != -1) {
        int rc;
        if (cli_space_option("ingest", c, optarg, &o->space, &rc)) {
            if (rc >= 0)
                return rc;
            continue;
        }
        switch (c) {
        case OPT_STATE:
            o->state_path = optarg;
            break;
        case OPT_FORCE:
            o->force = true;
            break;
        case OPT_KEEP:
            if (!cli_parse_u64("ingest", "--keep-windows", optarg, 1, UINT32_MAX, &o->keep_windows))
                return DS_EXIT_USAGE;
            break;
        case OPT_COMPACT:
            o->compact = true;
            break;
        case OPT_WAIT:
            if (!cli_parse_u64("ingest", "--wait", optarg, 0, 86400 * 7, &v))
                return DS_EXIT_USAGE;
            o->wait_ms = (unsigned)(v * 1000);
            break;
        case OPT_LIST:
            o->list = true;
            break;
        case OPT_INTERFACE:
            o->interface = optarg;
            break;
        case OPT_BPF:
            o->bpf = optarg;
            break;
        case OPT_FLUSH:
            if (!cli_parse_u64("ingest", "--flush", optarg, 1, 86400, &o->flush_s))
                return DS_EXIT_USAGE;
            break;
        case OPT_SNAPLEN:
            if (!cli_parse_u64("ingest", "--snaplen", optarg, 64, DS_MAX_RECORD, &o->snaplen))
                return DS_EXIT_USAGE;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'j':
            if (!cli_parse_u64("ingest", "--threads", optarg, 1, 256, &o->threads))
                return DS_EXIT_USAGE;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return DS_EXIT_OK;
        default:
            return cli_usage("ingest", "unknown or incomplete option");
        }
    }
    if (o->state_path == NULL)
        return cli_usage("ingest", "--state FILE is required");
    bool captures = optind < argc;
    if (o->list && (captures || o->interface != NULL))
        return cli_usage("ingest", "--list takes no captures and no --interface");
    if (o->interface != NULL && captures)
        return cli_usage("ingest", "--interface captures live: give no capture files with it");
    if (o->interface == NULL && (o->bpf != NULL || o->flush_s != 60 || o->snaplen != 256))
        return cli_usage("ingest", "--bpf, --flush and --snaplen go with --interface");
    if (!o->list && o->interface == NULL && !captures && !o->compact && o->keep_windows == 0)
        return cli_usage("ingest", "no capture files given");
    return -1;
}

/* ---- messages ---- */

typedef struct ingest_ui {
    const ingest_options *o;
    bool progress_shown;
    double started;
} ingest_ui;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_progress(ingest_ui *ui)
{
    if (ui->progress_shown) {
        fputs("\r\033[K", stderr);
        ui->progress_shown = false;
    }
}

void cli_ingest_format_bytes(uint64_t bytes, char *buf, size_t len)
{
    if (bytes < 10 * 1024)
        snprintf(buf, len, "%" PRIu64 " bytes", bytes);
    else if (bytes < 10 * 1024 * 1024)
        snprintf(buf, len, "%.1f KiB", (double)bytes / 1024);
    else
        snprintf(buf, len, "%.1f MiB", (double)bytes / (1024 * 1024));
}

static void on_file_done(void *ctx, const ds_ingest_file *f)
{
    ingest_ui *ui = ctx;
    clear_progress(ui);
    char when[48], bytes[32], id[17];
    switch (f->result) {
    case DS_INGEST_ADDED:
    case DS_INGEST_REPLACED:
        if (f->stats != NULL && f->stats->truncated)
            cli_warn("%s: the file ends inside a record (truncated); the %" PRIu64
                     " complete records before it count",
                     f->path, f->stats->records);
        if (!ui->o->quiet) {
            cli_ingest_format_bytes(f->state_bytes, bytes, sizeof(bytes));
            printf("%s %s: %" PRIu64 " packets, %" PRIu64 " SYN; %s in the state (id %s)\n",
                   f->result == DS_INGEST_ADDED ? "ingested" : "re-read (--force)", f->path,
                   f->source->ipv4, f->source->syn, bytes, ds_state_id_hex(f->source->id, 16, id));
        }
        break;
    case DS_INGEST_SKIPPED:
        if (!ui->o->quiet) {
            ds_format_time(f->source->ingested_ns, when, sizeof(when));
            when[19] = '\0'; /* seconds are enough */
            printf("skipped %s: already in the state (same content as %s, ingested %sZ); "
                   "--force reads it again\n",
                   f->path, f->source->path, when);
        }
        break;
    case DS_INGEST_FAILED:
        cli_error("%s", f->err->msg);
        break;
    case DS_INGEST_DAMAGED:
        cli_error("%s; recorded with the %" PRIu64 " records before the damage", f->err->msg,
                  f->stats != NULL ? f->stats->records : 0);
        break;
    }
    fflush(stdout);
}

static void on_progress(void *ctx, const ds_read_progress *p)
{
    ingest_ui *ui = ctx;
    double elapsed = now_s() - ui->started;
    fprintf(stderr, "\r\033[Kingest: %zu/%zu files, %.1f M packets, %.2f M/s", p->files_done,
            p->files_total, (double)p->packets / 1e6,
            elapsed > 0 ? (double)p->packets / elapsed / 1e6 : 0.0);
    ui->progress_shown = true;
}

/* ---- --list ---- */

static int print_source(void *ctx, const ds_state_source *s)
{
    char id[17], first[48] = "-", last[48] = "-", when[48];
    if (s->first_ts_ns <= s->last_ts_ns) {
        ds_format_time(s->first_ts_ns, first, sizeof(first));
        ds_format_time(s->last_ts_ns, last, sizeof(last));
        first[19] = last[19] = '\0';
    }
    ds_format_time(s->ingested_ns, when, sizeof(when));
    when[19] = '\0';
    printf("%s  %-4s %12" PRIu64 " %12" PRIu64 "  %-19s  %-19s  %-19s  %s%s%s\n",
           ds_state_id_hex(s->id, 16, id), s->kind == DS_STATE_LIVE ? "live" : "file", s->size,
           s->records, first, last, when, s->path, s->truncated ? " (truncated)" : "",
           s->failed ? " (damaged)" : "");
    return 0;
}

typedef struct window_list {
    const ds_window_spec *spec;
    uint64_t windows, bytes;
} window_list;

static int print_window(void *ctx, const ds_state_window_info *w)
{
    window_list *wl = ctx;
    char label[32];
    uint64_t bytes = w->counter_bytes + w->tuple_bytes;
    printf("%-20s %8" PRIu64 " %10" PRIu64 " %14" PRIu64 " %14" PRIu64 " %14" PRIu64 "\n",
           ds_window_label(wl->spec, w->id, label, sizeof(label)), w->sources, w->tuple_rows,
           w->tuple_keys, w->counter_bytes, w->tuple_bytes);
    wl->windows++;
    wl->bytes += bytes;
    return 0;
}

static int list_state(ds_state *st)
{
    ds_error err;
    const ds_agg_config *cfg = ds_state_config(st);
    char wname[32];
    printf("state %s: darknet of %" PRIu64 " addresses, --window %s, --prefix %u\n\n",
           ds_state_path(st), ds_darknet_size(cfg->darknet),
           ds_window_spec_name(&cfg->window, wname, sizeof(wname)), cfg->prefix);
    printf("%-16s  %-4s %12s %12s  %-19s  %-19s  %-19s  %s\n", "id", "kind", "bytes", "records",
           "first packet (UTC)", "last packet (UTC)", "ingested (UTC)", "path");
    if (ds_state_list_sources(st, print_source, NULL, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    printf("\n%-20s %8s %10s %14s %14s %14s\n", "window", "sources", "tuple rows", "tuple keys",
           "counter bytes", "tuple bytes");
    window_list wl = {&cfg->window, 0, 0};
    if (ds_state_list_windows(st, print_window, &wl, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    char total[32];
    cli_ingest_format_bytes(wl.bytes, total, sizeof(total));
    printf("\n%" PRIu64 " window%s, %s of blobs\n", wl.windows, wl.windows == 1 ? "" : "s", total);
    return DS_EXIT_OK;
}

/* ---- after ingesting: compaction and pruning ---- */

int cli_ingest_finish(ds_state *st, const ingest_options *o, bool final)
{
    ds_error err;
    if (final && o->compact && ds_state_compact(st, 0, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    if (o->keep_windows > 0) {
        uint64_t removed = 0;
        if (ds_state_prune(st, o->keep_windows, &removed, &err) != DS_OK) {
            cli_error("%s", err.msg);
            return DS_EXIT_FAIL;
        }
        if (!o->quiet && removed > 0)
            printf("pruned %" PRIu64 " window%s older than the newest %" PRIu64 "\n", removed,
                   removed == 1 ? "" : "s", o->keep_windows);
    }
    return DS_EXIT_OK;
}

/* is_state_file - path is the state or one of SQLite's files beside it (a folder of captures
 * may hold the state). */
static bool is_state_file(const char *path, const char *state_path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    struct stat a, b;
    if (strcmp(path, "-") == 0 || stat(path, &a) != 0)
        return false;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
        char name[4096];
        snprintf(name, sizeof(name), "%s%s", state_path, suffixes[i]);
        if (stat(name, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return true;
    }
    return false;
}

static int ingest_captures(ds_state *st, int argc, char **argv, const ingest_options *o)
{
    ds_error err;
    ds_path_list inputs = {0};
    if (ds_inputs_expand((const char *const *)argv, (size_t)argc, &inputs, &cli_diag, &err) !=
        DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    size_t kept = 0;
    for (size_t i = 0; i < inputs.count; i++) {
        if (is_state_file(inputs.paths[i], o->state_path)) {
            free(inputs.paths[i]);
            continue;
        }
        inputs.paths[kept++] = inputs.paths[i];
    }
    inputs.count = kept;
    ingest_ui ui = {o, false, now_s()};
    ds_ingest_events ev = {on_file_done, NULL, 0, &ui};
    if (!o->quiet && isatty(STDERR_FILENO))
        ev.progress = on_progress;
    ds_ingest_info info;
    ds_status s =
        ds_state_ingest_files(st, &inputs, (unsigned)o->threads, o->force, &ev, &info, &err);
    clear_progress(&ui);
    ds_path_list_free(&inputs);
    if (s != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    if (!o->quiet) {
        double elapsed = now_s() - ui.started;
        char bytes[32];
        cli_ingest_format_bytes(info.state_bytes, bytes, sizeof(bytes));
        printf("ingest: %" PRIu64 " added, %" PRIu64 " re-read, %" PRIu64
               " skipped (already in the state), %" PRIu64 " failed; %" PRIu64
               " packets in %.1f s, %s written to %s\n",
               info.added, info.replaced, info.skipped, info.failed + info.damaged, info.packets,
               elapsed, bytes, o->state_path);
    }
    return info.failed + info.damaged > 0 ? DS_EXIT_FAIL : DS_EXIT_OK;
}

int cmd_ingest(int argc, char **argv)
{
    ingest_options o = {0};
    o.space.window = (ds_window_spec){DS_WINDOW_MONTH, 0};
    o.space.prefix = DS_PREFIX_DEFAULT;
    o.wait_ms = DS_STATE_WAIT_MS;
    o.flush_s = 60;
    o.snaplen = 256;
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
        return rc;
    }
    ds_error err;
    ds_state *st = NULL;
    rc = DS_EXIT_FAIL;
    if (o.space.have_darknet && ds_darknet_finish(o.space.darknet, &cli_diag, &err) != DS_OK) {
        cli_error("darknet: %s", err.msg);
        goto out;
    }
    rc = cli_state_open(&st, o.state_path, o.space.have_darknet ? o.space.darknet : NULL,
                        o.space.window_set ? &o.space.window : NULL,
                        o.space.prefix_set ? &o.space.prefix : NULL, !o.list, false, o.wait_ms);
    if (rc != DS_EXIT_OK)
        goto out;
    if (o.list) {
        rc = list_state(st);
    } else if (o.interface != NULL) {
        rc = cli_ingest_live(st, &o);
    } else {
        rc = ingest_captures(st, argc - optind, argv + optind, &o);
        int frc = cli_ingest_finish(st, &o, true);
        if (rc == DS_EXIT_OK)
            rc = frc;
    }
out:
    ds_state_close(st);
    ds_darknet_free(o.space.darknet);
    return rc;
}
