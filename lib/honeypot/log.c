/*
 * log.c - the reading side of the honeypot session log: CSV with a header line, columns found
 * by name, time as RFC 3339 or Unix seconds, plain or gzip (see include/darkscan/honeypot.h
 * and docs/HONEYPOT.md). `analyze --honeypot-log` uses it for the application-layer ratio.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "darkscan/honeypot.h"

/* The columns the reader needs, and the names under which it finds them. */
enum { COL_TIME, COL_SRC, COL_SRC_PORT, COL_DST, COL_DST_PORT, COL_COUNT };

static const char *const col_role[COL_COUNT] = {"time", "src", "src_port", "dst", "dst_port"};

static const char *const col_aliases[COL_COUNT][10] = {
    {"time", "timestamp", "ts", "start_time", "datetime", NULL},
    {"src", "src_ip", "srcip", "src_addr", "saddr", "source", "source_ip", "peer_ip", NULL},
    {"src_port", "sport", "srcport", "source_port", "peer_port", NULL},
    {"dst", "dst_ip", "dstip", "dst_addr", "daddr", "dest", "dest_ip", "destination",
     "destination_ip", NULL},
    {"dst_port", "dport", "dstport", "dest_port", "destination_port", NULL},
};

/* The most columns a line may have. */
#define MAX_FIELDS 1024

typedef struct field {
    const char *s;
    size_t len;
} field;

typedef struct log_parser {
    const char *name;
    ds_honeypot_record_fn fn;
    void *ctx;
    const ds_diag *diag;
    uint64_t line;
    bool have_header;
    bool stopped;
    size_t header_fields;
    size_t col[COL_COUNT];
    char *buf; /* the current line, DS_HONEYPOT_LINE_MAX + 1 bytes */
    size_t len;
    bool too_long;
    field fields[MAX_FIELDS];
} log_parser;

/* ------------------------------------------------------------------------------------------ */
/* Time                                                                                        */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* n decimal digits at s into *v; false if any is not a digit. */
static bool digits(const char *s, size_t n, unsigned *v)
{
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    *v = x;
    return true;
}

/* A fraction ".ddd" at s[*i] (if any): microseconds (truncated); advances *i. */
static bool fraction_us(const char *s, size_t len, size_t *i, int64_t *us)
{
    *us = 0;
    if (*i >= len || s[*i] != '.')
        return true;
    (*i)++;
    size_t n = 0;
    int64_t scale = 100000;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (scale > 0) {
            *us += (s[*i] - '0') * scale;
            scale /= 10;
        }
        (*i)++;
        n++;
    }
    return n > 0;
}

/* The latest time accepted: 9999-12-31T23:59:59Z. */
#define MAX_UNIX_SECONDS 253402300799LL

static ds_status parse_unix(const char *s, size_t len, int64_t *time_us, ds_error *err)
{
    size_t i = 0;
    int64_t sec = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        sec = sec * 10 + (s[i] - '0');
        if (sec > MAX_UNIX_SECONDS)
            return ds_error_set(err, DS_ERR_FORMAT, "time '%.*s' is after the year 9999",
                                (int)(len > 40 ? 40 : len), s);
        i++;
    }
    int64_t us;
    if (i == 0 || !fraction_us(s, len, &i, &us) || i != len)
        return ds_error_set(err, DS_ERR_FORMAT, "time '%.*s' is neither RFC 3339 nor Unix seconds",
                            (int)(len > 40 ? 40 : len), s);
    *time_us = sec * 1000000 + us;
    return DS_OK;
}

ds_status ds_honeypot_parse_time(const char *s, size_t len, int64_t *time_us, ds_error *err)
{
    /* RFC 3339 starts with "YYYY-"; Unix seconds are digits with an optional fraction. */
    if (len < 5 || s[4] != '-')
        return parse_unix(s, len, time_us, err);
    int shown = (int)(len > 40 ? 40 : len);
    unsigned y, mo, d, h, mi, sec;
    if (len < 19 || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return ds_error_set(err, DS_ERR_FORMAT,
                            "time '%.*s' is not RFC 3339 (YYYY-MM-DDTHH:MM:SS[.frac]Z)", shown, s);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 60)
        return ds_error_set(err, DS_ERR_FORMAT, "time '%.*s' is not a valid date and time", shown,
                            s);
    size_t i = 19;
    int64_t us;
    if (!fraction_us(s, len, &i, &us))
        return ds_error_set(err, DS_ERR_FORMAT, "time '%.*s': no digits after the '.'", shown, s);
    int64_t offset_s = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        if (len - i < 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return ds_error_set(err, DS_ERR_FORMAT, "time '%.*s': bad offset (want +HH:MM)", shown,
                                s);
        offset_s = ((int64_t)oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return ds_error_set(err, DS_ERR_FORMAT,
                            "time '%.*s' has no time zone (Z or +HH:MM; the log is UTC)", shown, s);
    }
    if (i != len)
        return ds_error_set(err, DS_ERR_FORMAT, "time '%.*s': unexpected text after the time",
                            shown, s);
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    if (t < 0)
        return ds_error_set(err, DS_ERR_FORMAT, "time '%.*s' is before 1970", shown, s);
    *time_us = t * 1000000 + us;
    return DS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* CSV fields                                                                                  */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Split the NUL-terminated line s (len bytes) into p->fields, RFC 4180 style: a field that
 * starts with '"' runs to the matching '"', and "" inside it is one '"' (unescaped in place).
 * Blanks around fields are dropped. Returns the number of fields, or 0 with a reason in err.
 */
static size_t split_fields(log_parser *p, char *s, size_t len, ds_error *err)
{
    size_t n = 0, i = 0;
    for (;;) {
        if (n == MAX_FIELDS) {
            ds_error_set(err, DS_ERR_FORMAT, "more than %d columns", MAX_FIELDS);
            return 0;
        }
        while (i < len && is_blank(s[i]))
            i++;
        field *f = &p->fields[n++];
        if (i < len && s[i] == '"') {
            char *out = s + i;
            f->s = out;
            i++;
            for (;;) {
                if (i >= len) {
                    ds_error_set(err, DS_ERR_FORMAT, "column %zu: quote not closed", n);
                    return 0;
                }
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        *out++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *out++ = s[i++];
            }
            f->len = (size_t)(out - f->s);
            while (i < len && is_blank(s[i]))
                i++;
            if (i < len && s[i] != ',') {
                ds_error_set(err, DS_ERR_FORMAT, "column %zu: text after the closing quote", n);
                return 0;
            }
        } else {
            size_t start = i;
            while (i < len && s[i] != ',')
                i++;
            size_t end = i;
            while (end > start && is_blank(s[end - 1]))
                end--;
            f->s = s + start;
            f->len = end - start;
        }
        if (i >= len)
            return n;
        i++; /* the comma */
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Lines                                                                                       */

static ds_status parse_header(log_parser *p, size_t nf, ds_error *err)
{
    for (size_t c = 0; c < COL_COUNT; c++)
        p->col[c] = SIZE_MAX;
    for (size_t i = 0; i < nf; i++) {
        const field *f = &p->fields[i];
        for (size_t c = 0; c < COL_COUNT; c++) {
            for (size_t a = 0; col_aliases[c][a] != NULL; a++) {
                const char *alias = col_aliases[c][a];
                if (strlen(alias) != f->len || strncasecmp(alias, f->s, f->len) != 0)
                    continue;
                if (p->col[c] != SIZE_MAX)
                    return ds_error_set(err, DS_ERR_FORMAT,
                                        "header: columns %zu and %zu are both '%s'", p->col[c] + 1,
                                        i + 1, col_role[c]);
                p->col[c] = i;
            }
        }
    }
    for (size_t c = 0; c < COL_COUNT; c++) {
        if (p->col[c] == SIZE_MAX)
            return ds_error_set(err, DS_ERR_FORMAT,
                                "header: no '%s' column (the header must name time, src, "
                                "src_port, dst, dst_port)",
                                col_role[c]);
    }
    p->header_fields = nf;
    p->have_header = true;
    return DS_OK;
}

static ds_status parse_port_field(const field *f, const char *role, uint16_t *port, ds_error *err)
{
    uint32_t v = 0;
    if (f->len == 0 || f->len > 5)
        goto bad;
    for (size_t i = 0; i < f->len; i++) {
        if (f->s[i] < '0' || f->s[i] > '9')
            goto bad;
        v = v * 10 + (uint32_t)(f->s[i] - '0');
    }
    if (v > 65535)
        goto bad;
    *port = (uint16_t)v;
    return DS_OK;
bad:
    return ds_error_set(err, DS_ERR_FORMAT, "%s '%.*s' is not a port number (0-65535)", role,
                        (int)(f->len > 40 ? 40 : f->len), f->s);
}

static ds_status parse_addr_field(const field *f, const char *role, ds_honeypot_addr *addr,
                                  ds_error *err)
{
    char text[64];
    if (f->len == 0 || f->len >= sizeof(text) || memchr(f->s, '\0', f->len) != NULL)
        goto bad;
    memcpy(text, f->s, f->len);
    text[f->len] = '\0';
    if (ds_honeypot_addr_parse(text, addr, NULL) == DS_OK)
        return DS_OK;
bad:
    return ds_error_set(err, DS_ERR_FORMAT, "%s '%.*s' is not an IPv4 or IPv6 address", role,
                        (int)(f->len > 40 ? 40 : f->len), f->s);
}

static ds_status parse_record(log_parser *p, size_t nf, ds_honeypot_record *rec, ds_error *err)
{
    if (nf != p->header_fields)
        return ds_error_set(err, DS_ERR_FORMAT, "%zu columns, the header has %zu", nf,
                            p->header_fields);
    memset(rec, 0, sizeof(*rec));
    rec->line = p->line;
    const field *t = &p->fields[p->col[COL_TIME]];
    ds_status st;
    if ((st = ds_honeypot_parse_time(t->s, t->len, &rec->time_us, err)) != DS_OK)
        return st;
    if ((st = parse_addr_field(&p->fields[p->col[COL_SRC]], "src", &rec->src, err)) != DS_OK)
        return st;
    if ((st = parse_addr_field(&p->fields[p->col[COL_DST]], "dst", &rec->dst, err)) != DS_OK)
        return st;
    if ((st = parse_port_field(&p->fields[p->col[COL_SRC_PORT]], "src_port", &rec->src_port,
                               err)) != DS_OK)
        return st;
    return parse_port_field(&p->fields[p->col[COL_DST_PORT]], "dst_port", &rec->dst_port, err);
}

/* One line (without its '\n') in p->buf[0..len); terminated: it ended with a '\n'. */
static ds_status process_line(log_parser *p, bool terminated, ds_error *err)
{
    char *s = p->buf;
    size_t len = p->len;
    p->line++;
    if (p->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM */
        s += 3;
        len -= 3;
    }
    if (len > 0 && s[len - 1] == '\r')
        len--;
    s[len] = '\0';
    size_t start = 0;
    while (start < len && is_blank(s[start]))
        start++;
    if (start == len || s[start] == '#')
        return DS_OK;

    ds_error why;
    ds_error_clear(&why);
    ds_status st = DS_OK;
    size_t nf = split_fields(p, s, len, &why);
    if (nf == 0) {
        st = why.status;
    } else if (!p->have_header) {
        st = parse_header(p, nf, &why);
    } else {
        ds_honeypot_record rec;
        st = parse_record(p, nf, &rec, &why);
        if (st == DS_OK && p->fn != NULL && p->fn(p->ctx, &rec) != 0)
            p->stopped = true;
    }
    if (st == DS_OK)
        return DS_OK;
    if (!terminated && p->have_header) {
        ds_warn(p->diag, "%s:%llu: %s (the last line, cut short: ignored)", p->name,
                (unsigned long long)p->line, why.msg);
        return DS_OK;
    }
    return ds_error_set(err, st, "%s:%llu: %s", p->name, (unsigned long long)p->line, why.msg);
}

/* Feed n bytes of the file to the parser. */
static ds_status parser_feed(log_parser *p, const char *data, size_t n, ds_error *err)
{
    while (n > 0 && !p->stopped) {
        const char *nl = memchr(data, '\n', n);
        size_t seg = nl != NULL ? (size_t)(nl - data) : n;
        if (!p->too_long) {
            if (p->len + seg > DS_HONEYPOT_LINE_MAX) {
                p->too_long = true;
            } else {
                memcpy(p->buf + p->len, data, seg);
                p->len += seg;
            }
        }
        if (nl == NULL)
            return DS_OK;
        if (p->too_long)
            return ds_error_set(err, DS_ERR_FORMAT, "%s:%llu: line longer than %u bytes", p->name,
                                (unsigned long long)p->line + 1, DS_HONEYPOT_LINE_MAX);
        ds_status st = process_line(p, true, err);
        if (st != DS_OK)
            return st;
        p->len = 0;
        data += seg + 1;
        n -= seg + 1;
    }
    return DS_OK;
}

/* The end of the file: the last line if it has no '\n', and the header check. */
static ds_status parser_finish(log_parser *p, ds_error *err)
{
    if (p->stopped)
        return DS_OK;
    if (p->too_long)
        return ds_error_set(err, DS_ERR_FORMAT, "%s:%llu: line longer than %u bytes", p->name,
                            (unsigned long long)p->line + 1, DS_HONEYPOT_LINE_MAX);
    if (p->len > 0) {
        ds_status st = process_line(p, false, err);
        if (st != DS_OK)
            return st;
    }
    if (!p->have_header)
        return ds_error_set(err, DS_ERR_FORMAT,
                            "%s: no header line (time,src,src_port,dst,dst_port)", p->name);
    return DS_OK;
}

static log_parser *parser_new(const char *name, ds_honeypot_record_fn fn, void *ctx,
                              const ds_diag *diag)
{
    log_parser *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->buf = malloc(DS_HONEYPOT_LINE_MAX + 1);
    if (p->buf == NULL) {
        free(p);
        return NULL;
    }
    p->name = name;
    p->fn = fn;
    p->ctx = ctx;
    p->diag = diag;
    return p;
}

static void parser_free(log_parser *p)
{
    if (p != NULL) {
        free(p->buf);
        free(p);
    }
}

ds_status ds_honeypot_log_parse(const void *data, size_t len, const char *name,
                                ds_honeypot_record_fn fn, void *ctx, const ds_diag *diag,
                                ds_error *err)
{
    log_parser *p = parser_new(name, fn, ctx, diag);
    if (p == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", name);
    ds_status st = parser_feed(p, data, len, err);
    if (st == DS_OK)
        st = parser_finish(p, err);
    parser_free(p);
    return st;
}

ds_status ds_honeypot_log_read(const char *path, ds_honeypot_record_fn fn, void *ctx,
                               const ds_diag *diag, ds_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "standard input" : path;
    ds_status st = DS_OK;
    gzFile gz = NULL;
    char *chunk = NULL;
    log_parser *p = parser_new(name, fn, ctx, diag);
    if (p == NULL || (chunk = malloc(65536)) == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", name);
        goto done;
    }
    if (is_stdin) {
        int fd = dup(STDIN_FILENO);
        if (fd < 0 || (gz = gzdopen(fd, "rb")) == NULL) {
            if (fd >= 0)
                close(fd);
            st = ds_error_set(err, DS_ERR_IO, "%s: %s", name, strerror(errno));
            goto done;
        }
    } else {
        errno = 0;
        gz = gzopen(path, "rb");
        if (gz == NULL) {
            st = ds_error_set(err, DS_ERR_IO, "%s: %s", name,
                              errno != 0 ? strerror(errno) : "out of memory");
            goto done;
        }
    }
    for (;;) {
        int n = gzread(gz, chunk, 65536);
        if (n < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            if (zerr == Z_BUF_ERROR) { /* a gzip stream cut short: use what came before */
                ds_warn(diag, "%s: compressed data cut short (%s)", name, msg);
                break;
            }
            st = ds_error_set(err, zerr == Z_ERRNO ? DS_ERR_IO : DS_ERR_FORMAT, "%s: %s", name,
                              zerr == Z_ERRNO ? strerror(errno) : msg);
            goto done;
        }
        if (n == 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            if (zerr == Z_BUF_ERROR)
                ds_warn(diag, "%s: compressed data cut short (%s)", name, msg);
            break;
        }
        if ((st = parser_feed(p, chunk, (size_t)n, err)) != DS_OK)
            goto done;
        if (p->stopped)
            break;
    }
    st = parser_finish(p, err);
done:
    if (gz != NULL)
        gzclose(gz);
    free(chunk);
    parser_free(p);
    return st;
}
