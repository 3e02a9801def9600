/*
 * bench_report.c - the HTML report of a large result: BLOCKS constant scanner blocks over 12
 * month windows, port sets from 30 up to 10,000 ports (the paper's largest was 10,430), with
 * every enrichment key. Writes the results JSON the way analyze does (pretty, one port per
 * line), then times parsing it and rendering the report, and prints one line:
 *
 *   blocks ports results_bytes write_s parse_s render_s report_bytes peak_rss_kib
 *
 * (write_s: writing the results JSON, as analyze does, for comparison)
 *
 * Usage: bench_report DIR [BLOCKS [max]]   (files results.json and report.html in DIR; with
 * "max", every block's port sets have 5,000 to 10,000 ports)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "darkscan/darkscan.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t rng = 12345;
static uint32_t next(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* port_set - n distinct ports: a common core, a contiguous range, and scattered ports. */
static size_t port_set(size_t block, size_t window, size_t n, uint16_t *out)
{
    static uint8_t seen[65536];
    memset(seen, 0, sizeof(seen));
    size_t k = 0;
    static const uint16_t core[] = {21, 22, 23, 25, 80, 110, 443, 3306, 3389, 8080, 8443};
    for (size_t i = 0; i < sizeof(core) / sizeof(core[0]) && k < n; i++)
        if (!seen[core[i]]++)
            out[k++] = core[i];
    uint32_t start = 1024 + (uint32_t)(block * 977 + window * 131 * (block % 3)) % 50000;
    for (uint32_t p = start; k < n / 2 && p < 65536; p++)
        if (!seen[p]++)
            out[k++] = (uint16_t)p;
    while (k < n) {
        uint16_t p = (uint16_t)(1 + next() % 65535);
        if (!seen[p]++)
            out[k++] = p;
    }
    qsort(out, k, sizeof(*out), cmp_u16);
    return k;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_report DIR [BLOCKS]\n");
        return 2;
    }
    size_t blocks = argc > 2 ? strtoul(argv[2], NULL, 10) : 34;
    bool all_max = argc > 3 && strcmp(argv[3], "max") == 0;
    char results[4096], report[4096];
    snprintf(results, sizeof(results), "%s/results.json", argv[1]);
    snprintf(report, sizeof(report), "%s/report.html", argv[1]);
    FILE *f = fopen(results, "w");
    if (f == NULL) {
        perror(results);
        return 1;
    }
    static uint16_t ports[65536];
    static const char *const cats[] = {"routine", "semi-routine", "ad-hoc"};
    size_t total_ports = 0;
    double tw = now_s();
    ds_json *j = ds_json_new(f, true);
    ds_json_object_begin(j);
    ds_json_key(j, "params");
    ds_json_object_begin(j);
    ds_json_key(j, "min_ports");
    ds_json_uint(j, 30);
    ds_json_key(j, "window");
    ds_json_string(j, "month");
    ds_json_object_end(j);
    ds_json_key(j, "windows");
    ds_json_array_begin(j);
    for (int w = 0; w < 12; w++) {
        char label[16];
        snprintf(label, sizeof(label), "%04d-%02d", 2018 + (w + 6) / 12, (w + 6) % 12 + 1);
        ds_json_object_begin(j);
        ds_json_key(j, "label");
        ds_json_string(j, label);
        ds_json_key(j, "syn_packets");
        ds_json_uint(j, 1000000 + next() % 100000);
        ds_json_key(j, "complete");
        ds_json_bool(j, w != 4);
        ds_json_object_end(j);
    }
    ds_json_array_end(j);
    ds_json_key(j, "networks");
    ds_json_array_begin(j);
    for (size_t b = 0; b < blocks; b++) {
        char block[32];
        snprintf(block, sizeof(block), "%zu.%zu.0.0/16", 20 + b * 7 % 200, b * 13 % 256);
        /* the largest port set grows geometrically from 30 to 10,000 over the blocks */
        double frac = blocks > 1 && !all_max ? (double)b / (double)(blocks - 1) : 1;
        size_t max = (size_t)(30.0 * pow(10000.0 / 30.0, frac));
        ds_json_object_begin(j);
        ds_json_key(j, "block");
        ds_json_string(j, block);
        ds_json_key(j, "category");
        ds_json_string(j, cats[b % 3]);
        ds_json_key(j, "jaccard_median");
        ds_json_double(j, (double)(next() % 1000) / 1000);
        ds_json_key(j, "simpson_median");
        ds_json_double(j, (double)(next() % 1000) / 1000);
        ds_json_key(j, "country");
        ds_json_string(j, (const char *[]){"US", "RU", "CN", "NL", "DE"}[b % 5]);
        ds_json_key(j, "asn");
        ds_json_object_begin(j);
        ds_json_key(j, "number");
        ds_json_uint(j, 64500 + b);
        ds_json_key(j, "org");
        ds_json_string(j, "Example Scanning Org");
        ds_json_object_end(j);
        ds_json_key(j, "hosts");
        ds_json_array_begin(j);
        for (int h = 0; h < 20; h++) {
            char addr[32];
            snprintf(addr, sizeof(addr), "%zu.%zu.1.%d", 20 + b * 7 % 200, b * 13 % 256, h);
            ds_json_object_begin(j);
            ds_json_key(j, "addr");
            ds_json_string(j, addr);
            ds_json_key(j, "syn_packets");
            ds_json_uint(j, 1000 - (uint64_t)h);
            ds_json_object_end(j);
        }
        ds_json_array_end(j);
        ds_json_key(j, "port_sets");
        ds_json_object_begin(j);
        for (int w = 0; w < 12; w++) {
            char label[16];
            snprintf(label, sizeof(label), "%04d-%02d", 2018 + (w + 6) / 12, (w + 6) % 12 + 1);
            size_t n = max / 2 + next() % (max / 2 + 1);
            n = port_set(b, (size_t)w, n < 30 ? 30 : n, ports);
            total_ports += n;
            ds_json_key(j, label);
            ds_json_array_begin(j);
            for (size_t k = 0; k < n; k++)
                ds_json_uint(j, ports[k]);
            ds_json_array_end(j);
        }
        ds_json_object_end(j);
        ds_json_object_end(j);
    }
    ds_json_array_end(j);
    ds_json_object_end(j);
    ds_error err;
    if (ds_json_finish(j, &err) != DS_OK || fclose(f) != 0) {
        fprintf(stderr, "%s: %s\n", results, err.msg);
        return 1;
    }
    ds_json_free(j);

    double t0 = now_s();
    tw = t0 - tw;
    ds_jval *root = NULL;
    if (ds_jval_parse_file(results, &root, &err) != DS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t1 = now_s();
    if (ds_report_save(root, report, NULL, &err) != DS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t2 = now_s();
    ds_jval_free(root);
    struct stat sr, sh;
    stat(results, &sr);
    stat(report, &sh);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%zu %zu %lld %.3f %.3f %.3f %lld %ld\n", blocks, total_ports, (long long)sr.st_size, tw,
           t1 - t0, t2 - t1, (long long)sh.st_size, ru.ru_maxrss);
    return 0;
}
