/*
 * bench_distinct.c - the number of distinct (window, block, port, darknet address) tuples of
 * captures, which `make bench` divides analyze's peak memory by (the target: at most 16 bytes
 * per distinct tuple beyond fixed buffers). Monthly windows, /16 blocks. Prints
 * "tuples windows".
 *
 *   bench_distinct CIDR[,CIDR...] FILE...
 */
#include <stdio.h>

#include "darkscan/darkscan.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_distinct CIDR[,CIDR...] FILE...\n");
        return 2;
    }
    ds_error err;
    ds_darknet *d = ds_darknet_new();
    if (d == NULL || ds_darknet_add(d, argv[1], NULL, &err) != DS_OK ||
        ds_darknet_finish(d, NULL, &err) != DS_OK) {
        fprintf(stderr, "bench_distinct: %s\n", d != NULL ? err.msg : "out of memory");
        return 1;
    }
    ds_path_list inputs = {0};
    if (ds_inputs_expand((const char *const *)argv + 2, (size_t)(argc - 2), &inputs, NULL, &err) !=
        DS_OK) {
        fprintf(stderr, "bench_distinct: %s\n", err.msg);
        return 1;
    }
    ds_agg_config cfg = {.darknet = d, .window = {DS_WINDOW_MONTH, 0}, .prefix = 16};
    ds_aggregate *agg = NULL;
    ds_input_info info;
    if (ds_read_files(&inputs, &cfg, 2, NULL, &agg, &info, &err) != DS_OK) {
        fprintf(stderr, "bench_distinct: %s\n", err.msg);
        return 1;
    }
    unsigned long long tuples = 0;
    size_t windows = ds_aggregate_window_count(agg);
    for (size_t w = 0; w < windows; w++) {
        const uint64_t *keys;
        size_t n;
        if (ds_aggregate_tuples(agg, w, &keys, &n, &err) != DS_OK) {
            fprintf(stderr, "bench_distinct: %s\n", err.msg);
            return 1;
        }
        tuples += n;
    }
    printf("%llu %zu\n", tuples, windows);
    ds_aggregate_free(agg);
    ds_path_list_free(&inputs);
    ds_darknet_free(d);
    return 0;
}
