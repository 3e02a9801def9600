/*
 * log_writer.c - the honeypot session log on disk (see log_writer.h).
 *
 * Lines go to a 64 KiB buffer that is written out when it fills and at every tick (once a
 * second), so a crash of the process loses at most the last second. Rotation renames the
 * file to PATH.YYYYMMDDTHHMMSSZ (the UTC start of the hour or day it covers, or the rotation
 * time for size rotation; never over an existing file) and starts a new one with a header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "honeypot/log_writer.h"

#define BUF_SIZE (64 * 1024)

struct hp_log {
    char *path; /* NULL for standard output */
    int fd;
    ds_honeypot_rotate_kind rotate;
    uint64_t rotate_size;
    uint64_t file_size;   /* bytes in the current file, buffered ones included */
    int64_t period_start; /* UTC second at which the current hour/day began */
    char *buf;
    size_t len;
    char *line; /* HP_LOG_LINE_MAX */
    uint64_t lines, rotations, reopens;
};

void hp_log_format_time(int64_t time_us, char buf[64])
{
    int64_t sec = time_us / 1000000, us = time_us % 1000000;
    if (us < 0) {
        us += 1000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
}

static size_t escape_data(const uint8_t *data, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        switch (c) {
        case '\\':
            out[n++] = '\\';
            out[n++] = '\\';
            break;
        case '\r':
            out[n++] = '\\';
            out[n++] = 'r';
            break;
        case '\n':
            out[n++] = '\\';
            out[n++] = 'n';
            break;
        case '\t':
            out[n++] = '\\';
            out[n++] = 't';
            break;
        default:
            if (c >= 0x20 && c < 0x7f && c != ',' && c != '"') {
                out[n++] = (char)c;
            } else {
                out[n++] = '\\';
                out[n++] = 'x';
                out[n++] = hex[c >> 4];
                out[n++] = hex[c & 15];
            }
        }
    }
    return n;
}

size_t hp_log_format(const hp_session *s, char *buf, size_t size)
{
    char when[64], src[64], dst[64];
    hp_log_format_time(s->start_us, when);
    ds_honeypot_addr_format(&s->src, src, sizeof(src));
    ds_honeypot_addr_format(&s->dst, dst, sizeof(dst));
    int64_t dur = s->duration_us < 0 ? 0 : s->duration_us;
    int n = snprintf(buf, size, "%s,%s,%u,%s,%u,%lld.%06lld,%s,%llu,", when, src, s->src_port, dst,
                     s->dst_port, (long long)(dur / 1000000), (long long)(dur % 1000000),
                     ds_honeypot_end_name(s->end), (unsigned long long)s->bytes);
    size_t used = n < 0 ? 0 : (size_t)n;
    /* Room for the escaped data (at most 4 bytes each) and the '\n'. */
    size_t room = size > used + 1 ? (size - used - 1) / 4 : 0;
    size_t take = s->data_len < room ? s->data_len : room;
    used += escape_data(s->data, take, buf + used);
    buf[used++] = '\n';
    return used;
}

/* Write all of data to the file (no buffering). */
static ds_status write_all(hp_log *log, const char *data, size_t len, ds_error *err)
{
    while (len > 0) {
        ssize_t n = write(log->fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ds_error_set(err, DS_ERR_IO, "%s: write: %s",
                                log->path ? log->path : "standard output", strerror(errno));
        }
        data += n;
        len -= (size_t)n;
    }
    return DS_OK;
}

static ds_status flush(hp_log *log, ds_error *err)
{
    if (log->len == 0)
        return DS_OK;
    ds_status st = write_all(log, log->buf, log->len, err);
    log->len = 0;
    return st;
}

static ds_status append(hp_log *log, const char *data, size_t len, ds_error *err)
{
    if (log->len + len > BUF_SIZE) {
        ds_status st = flush(log, err);
        if (st != DS_OK)
            return st;
    }
    if (len > BUF_SIZE)
        return write_all(log, data, len, err);
    memcpy(log->buf + log->len, data, len);
    log->len += len;
    return DS_OK;
}

static int64_t period_of(ds_honeypot_rotate_kind rotate, int64_t now_us)
{
    int64_t sec = now_us / 1000000;
    if (rotate == DS_ROTATE_HOURLY)
        return sec - sec % 3600;
    if (rotate == DS_ROTATE_DAILY)
        return sec - sec % 86400;
    return 0;
}

/*
 * Open log->path into log->fd: create it, or check that an existing non-empty file starts with
 * our header (and ends with a complete line); write the header into a new or empty file.
 */
static ds_status open_file(hp_log *log, ds_error *err)
{
    static const char header[] = HP_LOG_HEADER "\n";
    const size_t header_len = sizeof(header) - 1;
    struct stat st;
    if (log->path == NULL) {
        log->fd = STDOUT_FILENO;
        log->file_size = 0;
        if (fstat(log->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
            return DS_OK;
        log->file_size = header_len;
        return append(log, header, header_len, err);
    }
    int fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", log->path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ds_error_set(err, DS_ERR_IO, "%s: %s", log->path, strerror(e));
    }
    log->fd = fd;
    log->file_size = 0;
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        log->file_size = header_len;
        return append(log, header, header_len, err);
    }

    /* An existing log: same columns? Read its first line with a separate descriptor (the
     * log's is write-only). */
    char first[sizeof(header)];
    ssize_t got = -1;
    int rfd = open(log->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (rfd >= 0) {
        got = pread(rfd, first, header_len, 0);
        char last = '\n';
        if (got == (ssize_t)header_len && pread(rfd, &last, 1, st.st_size - 1) == 1 && last != '\n')
            got = -2; /* cut inside a line: complete it below */
        close(rfd);
    }
    if (got != -2 && (got != (ssize_t)header_len || memcmp(first, header, header_len) != 0))
        return ds_error_set(err, DS_ERR_INVALID,
                            "%s: exists and does not start with the session log header "
                            "(%s): not appending to it",
                            log->path, HP_LOG_HEADER);
    log->file_size = (uint64_t)st.st_size;
    if (got == -2)
        return append(log, "\n", 1, err);
    return DS_OK;
}

ds_status hp_log_open(hp_log **out, const char *path, ds_honeypot_rotate_kind rotate,
                      uint64_t rotate_size, int64_t now_us, ds_error *err)
{
    *out = NULL;
    hp_log *log = calloc(1, sizeof(*log));
    if (log == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path);
    log->fd = -1;
    log->rotate = rotate;
    log->rotate_size = rotate_size;
    log->period_start = period_of(rotate, now_us);
    log->buf = malloc(BUF_SIZE);
    log->line = malloc(HP_LOG_LINE_MAX);
    if (strcmp(path, "-") != 0)
        log->path = strdup(path);
    if (log->buf == NULL || log->line == NULL || (strcmp(path, "-") != 0 && log->path == NULL)) {
        hp_log_close(log, NULL);
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path);
    }
    if (log->path == NULL && rotate != DS_ROTATE_NONE) {
        hp_log_close(log, NULL);
        return ds_error_set(err, DS_ERR_INVALID, "standard output cannot be rotated");
    }
    ds_status st = open_file(log, err);
    if (st == DS_OK)
        st = flush(log, err);
    if (st != DS_OK) {
        hp_log_close(log, NULL);
        return st;
    }
    *out = log;
    return DS_OK;
}

static void close_fd(hp_log *log)
{
    if (log->fd >= 0 && log->path != NULL)
        close(log->fd);
    log->fd = -1;
}

/* Move the current file aside as PATH.<suffix time> and start a new one. */
static ds_status rotate_now(hp_log *log, int64_t suffix_s, ds_error *err)
{
    ds_status st = flush(log, err);
    if (st != DS_OK)
        return st;
    time_t t = (time_t)suffix_s;
    struct tm tm;
    char stamp[32];
    if (gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
        return ds_error_set(err, DS_ERR_INVALID, "%s: cannot format the rotation time", log->path);
    size_t cap = strlen(log->path) + 48;
    char *target = malloc(cap);
    if (target == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", log->path);
    int rc = -1;
    for (unsigned i = 0; i < 1000; i++) {
        if (i == 0)
            snprintf(target, cap, "%s.%s", log->path, stamp);
        else
            snprintf(target, cap, "%s.%s.%u", log->path, stamp, i);
        rc = renameat2(AT_FDCWD, log->path, AT_FDCWD, target, RENAME_NOREPLACE);
        if (rc == 0 || errno != EEXIST)
            break;
    }
    if (rc != 0) {
        st = ds_error_set(err, DS_ERR_IO, "%s: rotate to %s: %s", log->path, target,
                          strerror(errno));
        free(target);
        return st;
    }
    free(target);
    close_fd(log);
    log->rotations++;
    st = open_file(log, err);
    return st != DS_OK ? st : flush(log, err);
}

/* At an hour/day boundary: move the finished period's file aside. */
static ds_status rotate_by_time(hp_log *log, int64_t now_us, ds_error *err)
{
    if (log->rotate != DS_ROTATE_HOURLY && log->rotate != DS_ROTATE_DAILY)
        return DS_OK;
    int64_t period = period_of(log->rotate, now_us);
    if (period == log->period_start)
        return DS_OK;
    int64_t ended = log->period_start;
    log->period_start = period;
    return rotate_now(log, ended, err);
}

ds_status hp_log_write(hp_log *log, const hp_session *s, int64_t now_us, ds_error *err)
{
    ds_status st = rotate_by_time(log, now_us, err);
    if (st != DS_OK)
        return st;
    size_t n = hp_log_format(s, log->line, HP_LOG_LINE_MAX);
    st = append(log, log->line, n, err);
    if (st != DS_OK)
        return st;
    log->lines++;
    log->file_size += n;
    if (log->rotate == DS_ROTATE_SIZE && log->file_size >= log->rotate_size)
        return rotate_now(log, now_us / 1000000, err);
    return DS_OK;
}

ds_status hp_log_tick(hp_log *log, int64_t now_us, ds_error *err)
{
    ds_status st = rotate_by_time(log, now_us, err);
    return st != DS_OK ? st : flush(log, err);
}

ds_status hp_log_reopen(hp_log *log, int64_t now_us, ds_error *err)
{
    ds_status st = flush(log, err);
    if (st != DS_OK || log->path == NULL)
        return st;
    close_fd(log);
    log->reopens++;
    st = open_file(log, err);
    return st != DS_OK ? st : flush(log, err);
}

void hp_log_counts(const hp_log *log, uint64_t *lines, uint64_t *rotations, uint64_t *reopens)
{
    *lines = log->lines;
    *rotations = log->rotations;
    *reopens = log->reopens;
}

ds_status hp_log_close(hp_log *log, ds_error *err)
{
    if (log == NULL)
        return DS_OK;
    ds_status st = DS_OK;
    if (log->fd >= 0)
        st = flush(log, err);
    close_fd(log);
    free(log->buf);
    free(log->line);
    free(log->path);
    free(log);
    return st;
}
