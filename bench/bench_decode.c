/*
 * bench_decode.c - the "minimal decode loop" baseline: the least a program must do to use
 * every packet of a classic little-endian pcap of Ethernet/IPv4/TCP records. read() through a
 * 1 MiB buffer, follow the record headers, take the IPv4 source and destination, the TCP
 * destination port and flags of each record, count the SYNs. No error reporting beyond
 * stopping, no other formats or link types, no compression: a bound on what a capture reader
 * can reach, against which `make bench` states analyze's rate. Prints
 * "seconds records syn maxrss_kib checksum".
 *
 *   bench_decode FILE
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint32_t be32(const uint8_t *p)
{
    return __builtin_bswap32(le32(p));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_decode FILE\n");
        return 2;
    }
    uint8_t *buf = malloc(2 * CHUNK);
    int fd = open(argv[1], O_RDONLY);
    if (buf == NULL || fd < 0) {
        perror(argv[1]);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t have = 0, pos = 0, skip = 24; /* the file header */
    uint64_t records = 0, syn = 0, sum = 0;
    for (;;) {
        /* Keep the unparsed tail, read the next chunk behind it. */
        memmove(buf, buf + pos, have - pos);
        have -= pos;
        pos = 0;
        ssize_t got = read(fd, buf + have, CHUNK);
        if (got <= 0)
            break;
        have += (size_t)got;
        if (skip > 0) {
            if (have < skip)
                break;
            pos = skip;
            skip = 0;
        }
        while (pos + 16 <= have) {
            uint32_t caplen = le32(buf + pos + 8);
            if (caplen > CHUNK)
                goto done;
            if (pos + 16 + caplen > have)
                break;
            const uint8_t *f = buf + pos + 16;
            records++;
            if (caplen >= 54 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 6) {
                const uint8_t *ip = f + 14;
                const uint8_t *tcp = ip + (ip[0] & 0x0f) * 4;
                uint32_t src = be32(ip + 12), dst = be32(ip + 16);
                uint16_t dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
                syn += (tcp[13] & 0x12) == 0x02;
                sum += src ^ dst ^ dport;
            }
            pos += 16 + caplen;
        }
    }
done:
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.6f %llu %llu %ld %llx\n", s, (unsigned long long)records, (unsigned long long)syn,
           ru.ru_maxrss, (unsigned long long)(sum & 0xf));
    close(fd);
    free(buf);
    return 0;
}
