/*
 * log_writer.h - writing the honeypot session log: one CSV line per session, buffered and
 * flushed at least once a second, rotated by size or UTC hour/day, reopened on request.
 * Private to lib/honeypot (tests include it).
 */
#ifndef DS_HONEYPOT_LOG_WRITER_H
#define DS_HONEYPOT_LOG_WRITER_H

#include <stdint.h>

#include "darkscan/honeypot.h"

/* The header line, and the columns it names (docs/HONEYPOT.md). */
#define HP_LOG_HEADER "time,src,src_port,dst,dst_port,duration,end,bytes,data"

/* What one line says about one session. */
typedef struct hp_session {
    int64_t start_us;    /* accept time: Unix time in microseconds (UTC) */
    int64_t duration_us; /* from accept to close */
    ds_honeypot_addr src, dst;
    uint16_t src_port, dst_port;
    uint64_t bytes;      /* bytes received in all */
    const uint8_t *data; /* the first data_len of them (borrowed) */
    size_t data_len;
    ds_honeypot_end end;
} hp_session;

/* The longest line hp_log_format writes (with the largest capture and the '\n'). */
#define HP_LOG_LINE_MAX (4 * DS_HONEYPOT_CAPTURE_MAX + 256)

/*
 * hp_log_format - s as one log line, '\n' included, into buf (at least HP_LOG_LINE_MAX bytes,
 * or shorter for a shorter capture). Returns the line's length. data is escaped so that the
 * line never holds a comma, quote or control byte inside a field: printable ASCII stays,
 * \\ \r \n \t and \xHH for the rest.
 */
size_t hp_log_format(const hp_session *s, char *buf, size_t size);

/* hp_log_format_time - "2019-07-01T13:20:00.123456Z" (buf: 64 bytes). */
void hp_log_format_time(int64_t time_us, char buf[64]);

typedef struct hp_log hp_log;

/*
 * hp_log_open - open path for appending ("-": standard output), writing the header if the
 * file is new or empty; refuse a non-empty file with another first line. now_us (Unix µs)
 * starts the first rotation period. *out owns the log (hp_log_close).
 */
ds_status hp_log_open(hp_log **out, const char *path, ds_honeypot_rotate_kind rotate,
                      uint64_t rotate_size, int64_t now_us, ds_error *err);

/* hp_log_write - buffer one line (now_us: when it is written, i.e. when the session ended);
 * rotates at an hour/day boundary first, flushes when the buffer fills, rotates by size. */
ds_status hp_log_write(hp_log *log, const hp_session *s, int64_t now_us, ds_error *err);

/* hp_log_tick - flush what is buffered and rotate at an hour/day boundary (call each second). */
ds_status hp_log_tick(hp_log *log, int64_t now_us, ds_error *err);

/* hp_log_reopen - flush, close and open the path again (after logrotate moved the file). */
ds_status hp_log_reopen(hp_log *log, int64_t now_us, ds_error *err);

/* hp_log_counts - lines written (headers excluded), rotations, reopens so far. */
void hp_log_counts(const hp_log *log, uint64_t *lines, uint64_t *rotations, uint64_t *reopens);

/* hp_log_close - flush and close; returns a flush error. NULL is a no-op. */
ds_status hp_log_close(hp_log *log, ds_error *err);

#endif
