/*
 * bench_read.c - ds_reader read + decode of a capture, as the analysis consumes it: batches
 * of 4096 ds_packet, each packet looked at once (SYN count and a checksum of the fields so the
 * work cannot be optimised away). Prints "seconds records packets syn maxrss_kib".
 *
 *   bench_read FILE
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "darkscan/capture.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_read FILE\n");
        return 2;
    }
    static ds_packet pkts[4096];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ds_reader *r;
    ds_error err;
    if (ds_reader_open(&r, argv[1], 0, &err) != DS_OK) {
        fprintf(stderr, "bench_read: %s\n", err.msg);
        return 1;
    }
    uint64_t packets = 0, syn = 0, sum = 0;
    size_t n;
    ds_status rc;
    while ((rc = ds_reader_next(r, pkts, 4096, &n, &err)) == DS_OK && n > 0) {
        for (size_t i = 0; i < n; i++) {
            syn += (uint64_t)ds_packet_is_syn(&pkts[i]);
            sum += pkts[i].src ^ pkts[i].dst ^ pkts[i].dport;
        }
        packets += n;
    }
    if (rc != DS_OK) {
        fprintf(stderr, "bench_read: %s\n", err.msg);
        return 1;
    }
    uint64_t records = ds_reader_stats(r)->records;
    ds_reader_free(r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.6f %llu %llu %llu %ld %llx\n", s, (unsigned long long)records,
           (unsigned long long)packets, (unsigned long long)syn, ru.ru_maxrss,
           (unsigned long long)(sum & 0xf));
    return 0;
}
