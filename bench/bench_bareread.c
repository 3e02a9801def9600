/*
 * bench_bareread.c - the hardware baseline for reading a capture: read() the whole file
 * through one buffer of the size the capture reader uses and touch every byte (a 64-bit XOR
 * over it), nothing else. Prints "seconds bytes maxrss_kib".
 *
 *   bench_bareread FILE [BUFFER_KIB]
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_bareread FILE [BUFFER_KIB]\n");
        return 2;
    }
    size_t size = (argc > 2 ? strtoul(argv[2], NULL, 10) : 256) * 1024;
    uint64_t *buf = aligned_alloc(64, size);
    int fd = open(argv[1], O_RDONLY);
    if (buf == NULL || fd < 0) {
        perror(argv[1]);
        return 1;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t total = 0, x = 0;
    for (;;) {
        ssize_t got = read(fd, buf, size);
        if (got < 0) {
            perror("read");
            return 1;
        }
        if (got == 0)
            break;
        size_t words = (size_t)got / 8;
        for (size_t i = 0; i < words; i++)
            x ^= buf[i];
        for (size_t i = words * 8; i < (size_t)got; i++)
            x ^= ((uint8_t *)buf)[i];
        total += (uint64_t)got;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.6f %llu %ld %llx\n", s, (unsigned long long)total, ru.ru_maxrss,
           (unsigned long long)(x & 0xf));
    close(fd);
    free(buf);
    return 0;
}
