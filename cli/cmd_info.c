/*
 * cmd_info.c - `darkscan info [--json] CAPTURE...`: per capture file, its format, compression,
 * link types, time range and packet counts (INTERFACE.md, "darkscan info --json").
 *
 * Every file is read to its end, whatever happens to the others: a file that cannot be read
 * gets its line on stderr and its "error" in the output, and the exit status is 1 at the end.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* What `info` learned about one file. */
typedef struct info_result {
    const char *file;
    bool opened; /* the reader opened: format and compression are known */
    ds_format format;
    ds_compression compression;
    int time_digits;
    ds_capture_stats stats;
    bool failed;
    char error[DS_ERROR_MAX];
} info_result;

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: darkscan info [--json] CAPTURE...\n"
            "\n"
            "For each capture file: format, compression, link types, time range and packet\n"
            "counts. A CAPTURE is a pcap or pcapng file, plain or compressed with gzip, bzip2,\n"
            "xz, zstd or lz4 (detected from the content), '-' for standard input, or a\n"
            "directory: every capture below it, in sorted order (other files there are\n"
            "skipped with a warning).\n"
            "\n"
            "Options:\n"
            "  --json      a JSON array, one object per file, on standard output\n"
            "  -h, --help  show this help\n"
            "\n"
            "Exit status: 0 when every file was read, 1 when one could not be (each such file\n"
            "gets a line 'darkscan: FILE: reason' on standard error), 2 on a usage error.\n"
            "A truncated file (it ends inside a record) is a warning, not a failure.\n");
}

/* format_time - ts_ns as RFC 3339 UTC with digits fractional digits ("...T13:20:00.5Z"). */
static void format_time(int64_t ts_ns, int digits, char *buf, size_t len)
{
    int64_t sec = ts_ns / 1000000000;
    int64_t ns = ts_ns % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, len, "%" PRId64 "ns", ts_ns);
        return;
    }
    int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0 || (size_t)n >= len)
        return;
    char frac[12] = "";
    if (digits > 0) {
        /* The first `digits` of the 9 nanosecond digits, after a point. */
        char all[10];
        snprintf(all, sizeof(all), "%09d", (int)ns);
        frac[0] = '.';
        memcpy(frac + 1, all, (size_t)(digits > 9 ? 9 : digits));
        frac[1 + (digits > 9 ? 9 : digits)] = '\0';
    }
    snprintf(buf + n, len - (size_t)n, "%sZ", frac);
}

/* set_error - the reason, without the library's "FILE: " prefix (the file has its own field). */
static void set_error(info_result *res, const char *msg)
{
    size_t len = strlen(res->file);
    if (strncmp(msg, res->file, len) == 0 && msg[len] == ':' && msg[len + 1] == ' ')
        msg += len + 2;
    res->failed = true;
    snprintf(res->error, sizeof(res->error), "%s", msg);
}

/* read_file - read one capture to its end into res. */
static void read_file(const char *path, uint32_t index, info_result *res)
{
    static ds_packet pkts[4096];
    memset(res, 0, sizeof(*res));
    res->file = path;
    res->stats.first_ts_ns = INT64_MAX;
    res->stats.last_ts_ns = INT64_MIN;
    ds_error err;
    ds_error_clear(&err);
    ds_reader *r = NULL;
    ds_status rc = ds_reader_open(&r, path, index, &err);
    if (rc == DS_OK) {
        res->opened = true;
        size_t n;
        while ((rc = ds_reader_next(r, pkts, sizeof(pkts) / sizeof(pkts[0]), &n, &err)) == DS_OK &&
               n > 0)
            ;
        res->format = ds_reader_format(r);
        res->compression = ds_reader_compression(r);
        res->time_digits = ds_reader_time_digits(r);
        res->stats = *ds_reader_stats(r);
        ds_reader_free(r);
    }
    if (rc != DS_OK)
        set_error(res, err.msg);
}

static void json_u64(ds_json *j, const char *key, uint64_t v)
{
    ds_json_key(j, key);
    ds_json_uint(j, v);
}

static void json_time(ds_json *j, const char *key, const info_result *res, int64_t ts)
{
    ds_json_key(j, key);
    if (res->stats.records == 0 || res->stats.first_ts_ns > res->stats.last_ts_ns) {
        ds_json_null(j);
        return;
    }
    char buf[64];
    format_time(ts, res->time_digits, buf, sizeof(buf));
    ds_json_string(j, buf);
}

static void print_json(ds_json *j, const info_result *res)
{
    const ds_capture_stats *st = &res->stats;
    ds_json_object_begin(j);
    ds_json_key(j, "file");
    ds_json_string(j, res->file);
    ds_json_key(j, "format");
    if (res->opened)
        ds_json_string(j, ds_format_name(res->format));
    else
        ds_json_null(j);
    ds_json_key(j, "compression");
    if (res->opened)
        ds_json_string(j, ds_compression_name(res->compression));
    else
        ds_json_null(j);
    ds_json_key(j, "linktypes");
    ds_json_array_begin(j);
    for (uint32_t i = 0; i < st->n_linktypes; i++) {
        const char *name = ds_linktype_name(st->linktypes[i]);
        if (name != NULL)
            ds_json_string(j, name);
        else
            ds_json_uint(j, st->linktypes[i]);
    }
    ds_json_array_end(j);
    json_u64(j, "packets", st->records);
    json_u64(j, "ipv4", st->ipv4);
    json_u64(j, "tcp", st->tcp);
    json_u64(j, "syn_packets", st->syn);
    json_u64(j, "udp", st->udp);
    json_u64(j, "icmp", st->icmp);
    json_u64(j, "other_proto", st->other_proto);
    json_u64(j, "fragments", st->fragments);
    ds_json_key(j, "skipped");
    ds_json_object_begin(j);
    json_u64(j, "ipv6", st->ipv6);
    json_u64(j, "non_ip", st->non_ip);
    json_u64(j, "unknown_linktype", st->unknown_linktype);
    json_u64(j, "short_records", st->short_records);
    json_u64(j, "bad_ip", st->bad_ip);
    ds_json_object_end(j);
    json_u64(j, "bytes", st->bytes);
    json_time(j, "first_time", res, st->first_ts_ns);
    json_time(j, "last_time", res, st->last_ts_ns);
    ds_json_key(j, "truncated");
    ds_json_bool(j, st->truncated);
    ds_json_key(j, "error");
    ds_json_string(j, res->failed ? res->error : NULL);
    ds_json_object_end(j);
}

static void print_text(FILE *out, const info_result *res, bool first)
{
    const ds_capture_stats *st = &res->stats;
    if (!first)
        fputc('\n', out);
    fprintf(out, "%-12s %s\n", "file", res->file);
    if (res->opened) {
        fprintf(out, "%-12s %s\n", "format", ds_format_name(res->format));
        fprintf(out, "%-12s %s\n", "compression", ds_compression_name(res->compression));
    }
    if (st->n_linktypes > 0) {
        fprintf(out, "%-12s ", "linktypes");
        for (uint32_t i = 0; i < st->n_linktypes; i++) {
            const char *name = ds_linktype_name(st->linktypes[i]);
            if (name != NULL)
                fprintf(out, "%s%s", i ? ", " : "", name);
            else
                fprintf(out, "%s%" PRIu32, i ? ", " : "", st->linktypes[i]);
        }
        fputc('\n', out);
    }
    fprintf(out, "%-12s %" PRIu64 "\n", "packets", st->records);
    fprintf(out, "%-12s %" PRIu64 "\n", "ipv4", st->ipv4);
    fprintf(out, "%-12s %" PRIu64 "\n", "tcp", st->tcp);
    fprintf(out, "%-12s %" PRIu64 "\n", "syn_packets", st->syn);
    fprintf(out,
            "%-12s %" PRIu64 " udp, %" PRIu64 " icmp, %" PRIu64 " other, %" PRIu64
            " later fragments\n",
            "other ipv4", st->udp, st->icmp, st->other_proto, st->fragments);
    fprintf(out,
            "%-12s %" PRIu64 " ipv6, %" PRIu64 " non-ip, %" PRIu64 " unknown link type, %" PRIu64
            " short, %" PRIu64 " bad ip\n",
            "skipped", st->ipv6, st->non_ip, st->unknown_linktype, st->short_records, st->bad_ip);
    fprintf(out, "%-12s %" PRIu64 "\n", "bytes", st->bytes);
    if (st->records > 0 && st->first_ts_ns <= st->last_ts_ns) {
        char a[64], b[64];
        format_time(st->first_ts_ns, res->time_digits, a, sizeof(a));
        format_time(st->last_ts_ns, res->time_digits, b, sizeof(b));
        fprintf(out, "%-12s %s\n%-12s %s\n", "first_time", a, "last_time", b);
    }
    fprintf(out, "%-12s %s\n", "truncated", st->truncated ? "yes" : "no");
    if (res->failed)
        fprintf(out, "%-12s %s\n", "error", res->error);
}

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'h':
            print_help(stdout);
            return DS_EXIT_OK;
        default:
            return cli_usage("info", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage("info", "no capture given");

    ds_json *j = NULL;
    if (json) {
        j = ds_json_new(stdout, true);
        if (j == NULL) {
            cli_error("out of memory");
            return DS_EXIT_FAIL;
        }
        ds_json_array_begin(j);
    }
    int status = DS_EXIT_OK;
    uint32_t index = 0;
    bool first = true;
    for (int a = optind; a < argc; a++) {
        /* One argument at a time, so that a missing one does not hide the others. */
        const char *arg = argv[a];
        ds_path_list list = {0};
        ds_error err;
        ds_error_clear(&err);
        if (ds_inputs_expand(&arg, 1, &list, &cli_diag, &err) != DS_OK) {
            info_result res;
            memset(&res, 0, sizeof(res));
            res.file = arg;
            set_error(&res, err.msg);
            cli_error("%s", err.msg);
            status = DS_EXIT_FAIL;
            if (json)
                print_json(j, &res);
            else
                print_text(stdout, &res, first);
            first = false;
            continue;
        }
        for (size_t i = 0; i < list.count; i++) {
            info_result res;
            read_file(list.paths[i], index++, &res);
            if (res.failed) {
                cli_error("%s: %s", res.file, res.error);
                status = DS_EXIT_FAIL;
            } else if (res.stats.truncated) {
                cli_warn("%s: truncated: the file ends inside a record or a compressed stream; "
                         "%" PRIu64 " complete records read",
                         res.file, res.stats.records);
            }
            if (json)
                print_json(j, &res);
            else
                print_text(stdout, &res, first);
            first = false;
        }
        ds_path_list_free(&list);
    }
    if (json) {
        ds_error err;
        ds_json_array_end(j);
        if (ds_json_finish(j, &err) != DS_OK) {
            cli_error("standard output: %s", err.msg);
            status = DS_EXIT_FAIL;
        }
        ds_json_free(j);
    } else if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("standard output: write failed");
        status = DS_EXIT_FAIL;
    }
    return status;
}
