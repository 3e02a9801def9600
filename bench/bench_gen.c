/*
 * bench_gen.c - write the benchmark capture: a classic little-endian microsecond pcap of
 * Ethernet/IPv4/TCP SYN records, as a darknet sees them.
 *
 *   bench_gen --version                     print the generator's version (run.sh
 *                                           regenerates on change)
 *   bench_gen [OPTIONS] OUT RECORDS         write RECORDS records to OUT
 *
 * Deterministic (a fixed xorshift seed): 200,000 sources (a few heavy scanners, many light
 * ones), destinations in four darknet /24s, ports skewed towards a popular few, random
 * sequence numbers and IP ids, a quarter of the SYNs with an MSS option (24-byte TCP header),
 * times advancing by a few microseconds per record from 2019-07-01.
 *
 * Options (the variants that show analyze's speed does not depend on the input's order):
 *   --span-days D   spread the times evenly over D days (12 calendar months for 365)
 *   --shuffle       write the records in a random order (times out of order)
 *   --files K       the records dealt round-robin into K files OUT-00.pcap, OUT-01.pcap, ...
 *                   (each file in time order, the files interleaved: several sensors)
 *   --pcapng        the same records as pcapng: a section, one Ethernet interface
 *                   (microseconds), an Enhanced Packet Block per record
 * Without options the output is byte for byte that of earlier versions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GEN_VERSION "bench_gen 1"
#define N_SOURCES   200000u

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static int pcapng; /* --pcapng */

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static void put16be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
    put16be(p, (uint16_t)(v >> 16));
    put16be(p + 2, (uint16_t)v);
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint16_t ip_checksum(const uint8_t *h)
{
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* One record's random draws and time: everything write_record needs. */
typedef struct draw {
    uint64_t r, r2, t_us;
} draw;

static FILE *open_out(const char *path)
{
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        perror(path);
        return NULL;
    }
    static const size_t bufsize = 1 << 20;
    setvbuf(out, NULL, _IOFBF, bufsize);
    if (pcapng) {
        /* Section header (version 1.0, length unknown) and one Ethernet interface. */
        uint8_t ng[28 + 20];
        put32le(ng, 0x0a0d0d0au);
        put32le(ng + 4, 28);
        put32le(ng + 8, 0x1a2b3c4du);
        put32le(ng + 12, 1); /* major 1, minor 0 */
        put32le(ng + 16, 0xffffffffu);
        put32le(ng + 20, 0xffffffffu);
        put32le(ng + 24, 28);
        put32le(ng + 28, 1);
        put32le(ng + 32, 20);
        put32le(ng + 36, 1); /* link type 1, reserved 0 */
        put32le(ng + 40, 65535);
        put32le(ng + 44, 20);
        fwrite(ng, 1, sizeof(ng), out);
        return out;
    }
    uint8_t hdr[24];
    put32le(hdr, 0xa1b2c3d4u);
    hdr[4] = 2, hdr[5] = 0, hdr[6] = 4, hdr[7] = 0;
    put32le(hdr + 8, 0);
    put32le(hdr + 12, 0);
    put32le(hdr + 16, 65535);
    put32le(hdr + 20, 1);
    fwrite(hdr, 1, sizeof(hdr), out);
    return out;
}

static const uint32_t darknets[4] = {0xc6336400u, 0xcb007100u, 0xc0000200u, 0x8ac44a00u};
static const uint16_t popular[8] = {23, 22, 80, 443, 445, 3389, 8080, 2323};

static int write_record(FILE *out, const uint32_t *sources, draw d)
{
    static const uint8_t eth[14] = {0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5e, 0x00,
                                    0x0c, 0x29, 0x7d, 0x8e, 0x9f, 0x08, 0x00};
    uint8_t rec[16 + 58];
    uint64_t r = d.r, r2 = d.r2, t_us = d.t_us;
    /* Source: 1 in 4 records from the first 64 (heavy scanners), else any. */
    uint32_t src = (r & 3) == 0 ? sources[(r >> 2) & 63] : sources[(r >> 8) % N_SOURCES];
    uint32_t dst = darknets[(r >> 40) & 3] | (uint32_t)((r >> 42) & 0xff);
    uint16_t dport = (r >> 50) & 1 ? popular[(r >> 51) & 7] : (uint16_t)(r2 >> 48);
    int mss = (r2 & 3) == 0;
    uint32_t frame = 54 + (mss ? 4 : 0);

    uint8_t *p = rec;
    put32le(p, (uint32_t)(t_us / 1000000));
    put32le(p + 4, (uint32_t)(t_us % 1000000));
    put32le(p + 8, frame);
    put32le(p + 12, frame);
    memcpy(p + 16, eth, 14);
    uint8_t *ip = p + 30;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16be(ip + 2, (uint16_t)(frame - 14));
    put16be(ip + 4, (uint16_t)(r2 >> 16));
    ip[8] = (uint8_t)(32 + (r2 >> 32) % 224);
    ip[9] = 6;
    put32be(ip + 12, src);
    put32be(ip + 16, dst);
    put16be(ip + 10, ip_checksum(ip));
    uint8_t *tcp = ip + 20;
    put16be(tcp, (uint16_t)(1024 + (r2 >> 20) % 64511));
    put16be(tcp + 2, dport);
    put32be(tcp + 4, (uint32_t)(r2 >> 32) ^ (uint32_t)r);
    put32be(tcp + 8, 0);
    tcp[12] = mss ? 0x60 : 0x50;
    tcp[13] = 0x02;
    put16be(tcp + 14, (r >> 60) ? 1024 : 65535);
    put16be(tcp + 16, 0); /* checksum not computed: no reader checks it */
    put16be(tcp + 18, 0);
    if (mss) {
        tcp[20] = 2, tcp[21] = 4;
        put16be(tcp + 22, 1460);
    }
    if (pcapng) {
        /* An Enhanced Packet Block: interface 0, microseconds, the frame padded to 4. */
        uint8_t epb[28 + 60 + 4] = {0};
        uint32_t padded = (frame + 3) & ~3u, len = 32 + padded;
        put32le(epb, 6);
        put32le(epb + 4, len);
        put32le(epb + 8, 0);
        put32le(epb + 12, (uint32_t)(t_us >> 32));
        put32le(epb + 16, (uint32_t)t_us);
        put32le(epb + 20, frame);
        put32le(epb + 24, frame);
        memcpy(epb + 28, rec + 16, frame);
        put32le(epb + 28 + padded, len);
        return fwrite(epb, 1, len, out) == len ? 0 : -1;
    }
    return fwrite(rec, 1, 16 + frame, out) == 16 + frame ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        puts(GEN_VERSION);
        return 0;
    }
    uint64_t span_days = 0, files = 1;
    int shuffle = 0, a = 1;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--shuffle") == 0)
            shuffle = 1;
        else if (strcmp(argv[a], "--span-days") == 0 && a + 1 < argc)
            span_days = strtoull(argv[++a], NULL, 10);
        else if (strcmp(argv[a], "--files") == 0 && a + 1 < argc)
            files = strtoull(argv[++a], NULL, 10);
        else if (strcmp(argv[a], "--pcapng") == 0)
            pcapng = 1;
        else
            break;
    }
    if (argc - a != 2 || files < 1 || files > 100) {
        fprintf(stderr,
                "usage: bench_gen [--span-days D] [--shuffle] [--files K] [--pcapng] OUT RECORDS | "
                "--version\n");
        return 2;
    }
    const char *out_path = argv[a];
    uint64_t records = strtoull(argv[a + 1], NULL, 10);

    uint32_t *sources = malloc(N_SOURCES * sizeof(*sources));
    if (sources == NULL)
        return 1;
    for (uint32_t i = 0; i < N_SOURCES; i++)
        sources[i] = (uint32_t)rnd() | 0x01000000u;

    FILE *outs[100];
    for (uint64_t f = 0; f < files; f++) {
        char path[4096];
        if (files == 1)
            snprintf(path, sizeof(path), "%s", out_path);
        else
            snprintf(path, sizeof(path), "%s-%02u.pcap", out_path, (unsigned)f);
        outs[f] = open_out(path);
        if (outs[f] == NULL)
            return 1;
    }

    const uint64_t t0_us = 1561939200ull * 1000000; /* 2019-07-01T00:00:00Z */
    const uint64_t span_us = span_days * 86400ull * 1000000;
    uint64_t t_us = t0_us;
    draw *all = NULL;
    if (shuffle) {
        all = malloc(records * sizeof(*all));
        if (all == NULL) {
            fprintf(stderr, "bench_gen: out of memory for --shuffle\n");
            return 1;
        }
    }
    for (uint64_t i = 0; i < records; i++) {
        uint64_t r = rnd(), r2 = rnd();
        if (span_us > 0)
            t_us = t0_us + (uint64_t)((unsigned __int128)i * span_us / records) + (r2 >> 8) % 7;
        else
            t_us += 1 + (r2 >> 8) % 7;
        draw d = {r, r2, t_us};
        if (shuffle) {
            all[i] = d;
        } else if (write_record(outs[i % files], sources, d) != 0) {
            perror(out_path);
            return 1;
        }
    }
    if (shuffle) {
        for (uint64_t i = records; i > 1; i--) {
            uint64_t j = rnd() % i;
            draw t = all[i - 1];
            all[i - 1] = all[j];
            all[j] = t;
        }
        for (uint64_t i = 0; i < records; i++) {
            if (write_record(outs[i % files], sources, all[i]) != 0) {
                perror(out_path);
                return 1;
            }
        }
        free(all);
    }
    for (uint64_t f = 0; f < files; f++) {
        if (fclose(outs[f]) != 0) {
            perror(out_path);
            return 1;
        }
    }
    free(sources);
    return 0;
}
