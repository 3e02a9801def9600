/*
 * fuzz_honeypot_log.c - the honeypot session log reader on arbitrary bytes.
 *
 * Plain input goes through ds_honeypot_log_parse(); input that starts with the gzip magic is
 * written to a memfd and read back with ds_honeypot_log_read() (the zlib path). The records
 * are checked against the documented ranges, so a parser that returns nonsense fails too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "darkscan/honeypot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_record(void *ctx, const ds_honeypot_record *rec)
{
    if (rec->time_us < 0 || (rec->src.family != 4 && rec->src.family != 6) ||
        (rec->dst.family != 4 && rec->dst.family != 6) || rec->line < 2)
        abort();
    (*(size_t *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    ds_error err;
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        int fd = memfd_create("fuzz_honeypot_log", MFD_CLOEXEC);
        if (fd < 0)
            return 0;
        if (write(fd, data, size) == (ssize_t)size) {
            char path[64];
            snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
            ds_honeypot_log_read(path, check_record, &n, NULL, &err);
        }
        close(fd);
        return 0;
    }
    ds_status st = ds_honeypot_log_parse(data, size, "fuzz", check_record, &n, NULL, &err);
    if (st != DS_OK && (err.msg[0] == '\0' || strncmp(err.msg, "fuzz", 4) != 0))
        abort(); /* every error names the input */
    int64_t t;
    ds_honeypot_parse_time((const char *)data, size, &t, NULL);
    return 0;
}
