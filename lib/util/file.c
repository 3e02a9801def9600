/*
 * file.c - reading a whole input file into memory (see file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

ds_status ds_file_read_all(const char *path, size_t max_bytes, char **data, size_t *len,
                           ds_error *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    ds_status st = DS_OK;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(sb.st_mode)) {
        st = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(EISDIR));
        goto out;
    }
    for (;;) {
        /* Room for one byte more than allowed tells "too large" from "just fits", and one
         * more for the NUL. */
        if (n + 1 >= cap) {
            if (n > max_bytes) {
                st = ds_error_set(err, DS_ERR_LIMIT, "%s: larger than %zu bytes", path, max_bytes);
                goto out;
            }
            size_t want = cap ? cap * 2 : 65536;
            if (cap == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
                (uint64_t)sb.st_size <= max_bytes)
                want = (size_t)sb.st_size + 2; /* + 1 to see the end without growing, + NUL */
            if (want > max_bytes + 2)
                want = max_bytes + 2;
            char *grown = realloc(buf, want);
            if (grown == NULL) {
                st = ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path);
                goto out;
            }
            buf = grown;
            cap = want;
        }
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            st = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (n > max_bytes) {
        st = ds_error_set(err, DS_ERR_LIMIT, "%s: larger than %zu bytes", path, max_bytes);
        goto out;
    }
    if (buf == NULL && (buf = malloc(1)) == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return st;
}
