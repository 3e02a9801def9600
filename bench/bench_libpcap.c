/*
 * bench_libpcap.c - the libpcap baseline: pcap_open_offline() and pcap_dispatch() over the
 * whole capture with a callback that only counts, i.e. libpcap's own cost per record. Prints
 * "seconds records maxrss_kib".
 *
 *   bench_libpcap FILE
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    (void)h;
    (void)bytes;
    (*(uint64_t *)user)++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_libpcap FILE\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (p == NULL) {
        fprintf(stderr, "bench_libpcap: %s\n", errbuf);
        return 1;
    }
    uint64_t records = 0;
    int n;
    while ((n = pcap_dispatch(p, 4096, count, (u_char *)&records)) > 0)
        ;
    if (n < 0) {
        fprintf(stderr, "bench_libpcap: %s\n", pcap_geterr(p));
        return 1;
    }
    pcap_close(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.6f %llu %ld\n", s, (unsigned long long)records, ru.ru_maxrss);
    return 0;
}
