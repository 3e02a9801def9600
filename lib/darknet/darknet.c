/*
 * darknet.c - D, the monitored darknet address space (include/darkscan/darknet.h).
 *
 * Three parts, in reading order:
 *
 * 1. Parsing: strict dotted quads and CIDRs, `-d` lists and darknet list files. Prefixes are
 *    recorded as listed (with their sensor and where they were listed) until finish.
 * 2. ds_darknet_finish: listed prefixes form a laminar family (two CIDRs are either nested or
 *    disjoint), so sorting them by (address, length, listing order) visits them in pre-order.
 *    One sweep with a stack of enclosing prefixes gives every address the earliest-listed
 *    prefix that contains it, and each prefix that keeps addresses is cut back into CIDRs.
 * 3. The dense index: the surviving CIDRs, joined where contiguous, are sorted disjoint ranges
 *    with prefix sums (`base`). A first-level table keyed by the top bits of the address
 *    narrows a lookup to the one or two ranges that meet that slice of the address space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "darkscan/darknet.h"
#include "darknet/darknet_int.h"
#include "util/file.h"

/* A darknet list file larger than this is refused (a list of every /32 of a /8 is 240 MiB). */
#define LIST_MAX_BYTES ((size_t)512 << 20)

/* How much of a bad field an error message quotes. */
#define QUOTE_MAX 48

/* One prefix as listed, before finish. */
typedef struct listed {
    uint32_t addr;
    uint32_t len;
    uint32_t sensor;
    uint32_t origin; /* index into origins[], or NO_ORIGIN for ds_darknet_add */
    size_t line;
} listed;

#define NO_ORIGIN UINT32_MAX

typedef struct sensor {
    char *name;
    uint64_t size;
} sensor;

/* A surviving CIDR: what ds_darknet_prefix() reports. base = dense index of addr. */
typedef struct out_prefix {
    uint32_t addr;
    uint32_t len;
    uint64_t base;
    size_t sensor;
} out_prefix;

/* A maximal run of contiguous addresses of D: [start, start + span]. */
typedef ds_darknet_range range;

struct ds_darknet {
    /* Before finish. */
    listed *listed;
    size_t n_listed, cap_listed;
    char **origins;
    size_t n_origins, cap_origins;
    /* Sensors, with an open-addressing hash of their names (slot = index + 1, 0 = empty). */
    sensor *sensors;
    size_t n_sensors, cap_sensors;
    uint32_t *hash;
    size_t hash_cap;
    /* After finish. */
    bool finished;
    uint64_t size;
    out_prefix *prefixes;
    size_t n_prefixes;
    range *ranges;
    size_t n_ranges;
    uint32_t *table; /* (1 << (32 - table_shift)) + 1 slots */
    unsigned table_shift;
};

/* ---- small helpers ---------------------------------------------------------------------- */

/* Grow *items (of *cap elements of size elem) to hold at least need; false when out of memory. */
static bool grow(void *items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need) {
        if (cap2 > SIZE_MAX / 2 / elem)
            return false;
        cap2 *= 2;
    }
    void *p = realloc(*(void **)items, cap2 * elem);
    if (p == NULL)
        return false;
    *(void **)items = p;
    *cap = cap2;
    return true;
}

/* Quote n bytes of s for a message: printable ASCII as is, other bytes as \xNN, cut with "...". */
static const char *quote(const char *s, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t need = (c >= 0x20 && c < 0x7f) ? 1 : 4;
        if (o + need + 4 > size || o + need > QUOTE_MAX) {
            memcpy(buf + o, "...", 4);
            return buf;
        }
        if (need == 1)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    buf[o] = '\0';
    return buf;
}

char *ds_format_ipv4(uint32_t addr, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
             addr & 0xff);
    return buf;
}

/* "a.b.c.d/len" into buf (at least 19 bytes). */
static char *format_cidr(uint32_t addr, unsigned len, char *buf)
{
    char a[16];
    snprintf(buf, 19, "%s/%u", ds_format_ipv4(addr, a), len);
    return buf;
}

static uint32_t prefix_mask(unsigned len)
{
    return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

/* ---- 1. parsing ------------------------------------------------------------------------- */

static ds_status not_ipv4(ds_error *err, const char *s, size_t n, const char *why)
{
    char q[QUOTE_MAX + 8];
    return ds_error_set(err, DS_ERR_FORMAT, "'%s' is not an IPv4 address: %s",
                        quote(s, n, q, sizeof(q)), why);
}

/* What to say about the byte at s[i] that should not be there. */
static const char *describe_byte(unsigned char c, char *buf, size_t size)
{
    if (c == ' ')
        snprintf(buf, size, "unexpected space");
    else if (c > 0x20 && c < 0x7f)
        snprintf(buf, size, "unexpected '%c'", c);
    else
        snprintf(buf, size, "unexpected byte 0x%02x", c);
    return buf;
}

static ds_status parse_ipv4_n(const char *s, size_t n, uint32_t *out, ds_error *err)
{
    char why[64];
    uint32_t addr = 0;
    size_t i = 0;
    if (n == 0)
        return ds_error_set(err, DS_ERR_FORMAT, "empty IPv4 address");
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n) {
                snprintf(why, sizeof(why), "expected 4 numbers separated by dots, found %d", part);
                return not_ipv4(err, s, n, why);
            }
            if (s[i] != '.')
                return not_ipv4(err, s, n, describe_byte((unsigned char)s[i], why, sizeof(why)));
            i++;
        }
        size_t begin = i;
        unsigned value = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (value <= 255)
                value = value * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        size_t digits = i - begin;
        if (digits == 0) {
            if (i >= n || s[i] == '.')
                return not_ipv4(err, s, n, "empty number between dots");
            return not_ipv4(err, s, n, describe_byte((unsigned char)s[i], why, sizeof(why)));
        }
        char num[QUOTE_MAX + 8];
        if (digits > 1 && s[begin] == '0') {
            snprintf(why, sizeof(why), "leading zero in '%s'",
                     quote(s + begin, digits, num, sizeof(num)));
            return not_ipv4(err, s, n, why);
        }
        if (value > 255) {
            snprintf(why, sizeof(why), "%s is greater than 255",
                     quote(s + begin, digits, num, sizeof(num)));
            return not_ipv4(err, s, n, why);
        }
        addr = addr << 8 | value;
    }
    if (i < n) {
        if (s[i] == '.')
            return not_ipv4(err, s, n, "more than 4 numbers");
        return not_ipv4(err, s, n, describe_byte((unsigned char)s[i], why, sizeof(why)));
    }
    *out = addr;
    return DS_OK;
}

static ds_status parse_cidr_n(const char *s, size_t n, uint32_t *addr_out, unsigned *len_out,
                              ds_error *err)
{
    char q[QUOTE_MAX + 8];
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    uint32_t addr;
    ds_status st = parse_ipv4_n(s, alen, &addr, err);
    if (st != DS_OK)
        return st;
    unsigned len = 32;
    if (slash != NULL) {
        const char *p = slash + 1;
        size_t plen = n - alen - 1;
        bool ok = plen >= 1 && plen <= 2;
        for (size_t i = 0; ok && i < plen; i++)
            ok = p[i] >= '0' && p[i] <= '9';
        if (ok && plen == 2 && p[0] == '0')
            ok = false;
        if (ok) {
            len = (unsigned)(p[0] - '0');
            if (plen == 2)
                len = len * 10 + (unsigned)(p[1] - '0');
            ok = len <= 32;
        }
        if (!ok)
            return ds_error_set(err, DS_ERR_FORMAT,
                                "'%s' is not a CIDR: the prefix length must be 0 to 32",
                                quote(s, n, q, sizeof(q)));
    }
    uint32_t host = addr & ~prefix_mask(len);
    if (host != 0) {
        char h[16], net[19];
        return ds_error_set(err, DS_ERR_FORMAT,
                            "%s has host bits set (%s beyond the /%u; did you mean %s?)",
                            quote(s, n, q, sizeof(q)), ds_format_ipv4(host, h), len,
                            format_cidr(addr & prefix_mask(len), len, net));
    }
    *addr_out = addr;
    *len_out = len;
    return DS_OK;
}

ds_status ds_parse_ipv4(const char *text, uint32_t *addr, ds_error *err)
{
    return parse_ipv4_n(text, strlen(text), addr, err);
}

ds_status ds_parse_cidr(const char *text, uint32_t *addr, unsigned *len, ds_error *err)
{
    return parse_cidr_n(text, strlen(text), addr, len, err);
}

/* ---- sensors ---------------------------------------------------------------------------- */

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void hash_insert(ds_darknet *d, size_t idx)
{
    const char *name = d->sensors[idx].name;
    size_t mask = d->hash_cap - 1;
    size_t slot = (size_t)hash_name(name, strlen(name)) & mask;
    while (d->hash[slot] != 0)
        slot = (slot + 1) & mask;
    d->hash[slot] = (uint32_t)(idx + 1);
}

static bool hash_rebuild(ds_darknet *d, size_t cap)
{
    uint32_t *h = calloc(cap, sizeof(*h));
    if (h == NULL)
        return false;
    free(d->hash);
    d->hash = h;
    d->hash_cap = cap;
    for (size_t i = 0; i < d->n_sensors; i++)
        hash_insert(d, i);
    return true;
}

/*
 * Check a sensor name: 1..DS_DARKNET_SENSOR_MAX bytes of printable ASCII, no space, no '#'.
 * A bad name is `bad` (DS_ERR_INVALID for an argument, DS_ERR_FORMAT in a file).
 */
static ds_status check_sensor_name(const char *s, size_t n, ds_status bad, ds_error *err)
{
    char q[QUOTE_MAX + 8];
    if (n == 0)
        return ds_error_set(err, bad, "empty sensor name");
    if (n > DS_DARKNET_SENSOR_MAX)
        return ds_error_set(err, bad, "sensor name '%s' is longer than %d bytes",
                            quote(s, n, q, sizeof(q)), DS_DARKNET_SENSOR_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '#')
            return ds_error_set(err, bad,
                                "sensor name '%s' has byte 0x%02x at %zu: names are printable "
                                "ASCII without spaces or '#'",
                                quote(s, n, q, sizeof(q)), c, i + 1);
    }
    return DS_OK;
}

/* The index of sensor name[0..n), added when new. */
static ds_status sensor_id(ds_darknet *d, const char *name, size_t n, uint32_t *id, ds_error *err)
{
    if (d->hash_cap != 0) {
        size_t mask = d->hash_cap - 1;
        for (size_t slot = (size_t)hash_name(name, n) & mask; d->hash[slot] != 0;
             slot = (slot + 1) & mask) {
            const sensor *s = &d->sensors[d->hash[slot] - 1];
            if (strlen(s->name) == n && memcmp(s->name, name, n) == 0) {
                *id = d->hash[slot] - 1;
                return DS_OK;
            }
        }
    }
    if (d->n_sensors >= UINT32_MAX - 1)
        return ds_error_set(err, DS_ERR_LIMIT, "too many sensors");
    if (!grow(&d->sensors, &d->cap_sensors, d->n_sensors + 1, sizeof(*d->sensors)))
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    char *copy = strndup(name, n);
    if (copy == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    d->sensors[d->n_sensors].name = copy;
    d->sensors[d->n_sensors].size = 0;
    d->n_sensors++;
    if ((d->n_sensors + 1) * 2 > d->hash_cap) {
        if (!hash_rebuild(d, d->hash_cap ? d->hash_cap * 2 : 16)) {
            free(copy);
            d->n_sensors--;
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        }
    } else {
        hash_insert(d, d->n_sensors - 1);
    }
    *id = (uint32_t)(d->n_sensors - 1);
    return DS_OK;
}

/* Undo the adds of a failed call: drop listed prefixes, sensors and origins made since. */
static void rollback(ds_darknet *d, size_t n_listed, size_t n_sensors, size_t n_origins)
{
    d->n_listed = n_listed;
    while (d->n_origins > n_origins)
        free(d->origins[--d->n_origins]);
    if (d->n_sensors > n_sensors) {
        while (d->n_sensors > n_sensors)
            free(d->sensors[--d->n_sensors].name);
        memset(d->hash, 0, d->hash_cap * sizeof(*d->hash));
        for (size_t i = 0; i < d->n_sensors; i++)
            hash_insert(d, i);
    }
}

static ds_status add_listed(ds_darknet *d, uint32_t addr, unsigned len, uint32_t sensor_idx,
                            uint32_t origin, size_t line, ds_error *err)
{
    if (!grow(&d->listed, &d->cap_listed, d->n_listed + 1, sizeof(*d->listed)))
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    d->listed[d->n_listed++] = (listed){addr, len, sensor_idx, origin, line};
    return DS_OK;
}

/* ---- the public add/load functions ------------------------------------------------------ */

ds_darknet *ds_darknet_new(void)
{
    return calloc(1, sizeof(ds_darknet));
}

void ds_darknet_free(ds_darknet *d)
{
    if (d == NULL)
        return;
    free(d->listed);
    for (size_t i = 0; i < d->n_origins; i++)
        free(d->origins[i]);
    free(d->origins);
    for (size_t i = 0; i < d->n_sensors; i++)
        free(d->sensors[i].name);
    free(d->sensors);
    free(d->hash);
    free(d->prefixes);
    free(d->ranges);
    free(d->table);
    free(d);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

ds_status ds_darknet_add(ds_darknet *d, const char *text, const char *sensor_name, ds_error *err)
{
    if (d->finished)
        return ds_error_set(err, DS_ERR_STATE, "the darknet is finished: no more prefixes");
    if (sensor_name == NULL)
        sensor_name = DS_DARKNET_DEFAULT_SENSOR;
    ds_status st = check_sensor_name(sensor_name, strlen(sensor_name), DS_ERR_INVALID, err);
    if (st != DS_OK)
        return st;
    size_t n = strlen(text);
    if (n == 0)
        return ds_error_set(err, DS_ERR_FORMAT, "empty darknet list");
    size_t n_listed = d->n_listed, n_sensors = d->n_sensors;
    uint32_t sid;
    st = sensor_id(d, sensor_name, strlen(sensor_name), &sid, err);
    if (st != DS_OK)
        return st;
    for (size_t i = 0; i <= n;) {
        const char *comma = memchr(text + i, ',', n - i);
        size_t end = comma ? (size_t)(comma - text) : n;
        size_t b = i, e = end;
        while (b < e && is_blank(text[b]))
            b++;
        while (e > b && is_blank(text[e - 1]))
            e--;
        if (b == e) {
            char q[QUOTE_MAX + 8];
            st = ds_error_set(err, DS_ERR_FORMAT, "empty item in darknet list '%s'",
                              quote(text, n, q, sizeof(q)));
            goto fail;
        }
        uint32_t addr;
        unsigned len;
        st = parse_cidr_n(text + b, e - b, &addr, &len, err);
        if (st == DS_OK)
            st = add_listed(d, addr, len, sid, NO_ORIGIN, 0, err);
        if (st != DS_OK)
            goto fail;
        i = end + 1;
    }
    return DS_OK;
fail:
    rollback(d, n_listed, n_sensors, d->n_origins);
    return st;
}

/* Parse one line of a darknet list (without its '\n'); reason into err without the place. */
static ds_status load_line(ds_darknet *d, const char *p, size_t n, uint32_t origin, size_t line,
                           ds_error *err)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    const char *hash = memchr(p, '#', n);
    if (hash != NULL)
        n = (size_t)(hash - p);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            return ds_error_set(err, DS_ERR_FORMAT,
                                "byte 0x%02x at column %zu (a darknet list is ASCII text)", c,
                                i + 1);
    }
    const char *field[3];
    size_t flen[3];
    size_t nf = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && is_blank(p[i]))
            i++;
        if (i == n)
            break;
        size_t b = i;
        while (i < n && !is_blank(p[i]))
            i++;
        if (nf == 2)
            return ds_error_set(err, DS_ERR_FORMAT,
                                "more than two fields (expected 'CIDR [SENSOR]')");
        field[nf] = p + b;
        flen[nf] = i - b;
        nf++;
    }
    if (nf == 0)
        return DS_OK;
    uint32_t addr;
    unsigned len;
    ds_status st = parse_cidr_n(field[0], flen[0], &addr, &len, err);
    if (st != DS_OK)
        return st;
    const char *sname = DS_DARKNET_DEFAULT_SENSOR;
    size_t slen = strlen(sname);
    if (nf == 2) {
        sname = field[1];
        slen = flen[1];
        st = check_sensor_name(sname, slen, DS_ERR_FORMAT, err);
        if (st != DS_OK)
            return st;
    }
    uint32_t sid;
    st = sensor_id(d, sname, slen, &sid, err);
    if (st != DS_OK)
        return st;
    return add_listed(d, addr, len, sid, origin, line, err);
}

ds_status ds_darknet_load_buffer(ds_darknet *d, const void *data, size_t len, const char *name,
                                 ds_error *err)
{
    if (name == NULL)
        name = "<buffer>";
    if (d->finished)
        return ds_error_set(err, DS_ERR_STATE, "%s: the darknet is finished: no more prefixes",
                            name);
    size_t n_listed = d->n_listed, n_sensors = d->n_sensors, n_origins = d->n_origins;
    ds_status st = DS_OK;
    size_t line = 0;
    if (d->n_origins >= NO_ORIGIN - 1) {
        return ds_error_set(err, DS_ERR_LIMIT, "%s: too many darknet lists", name);
    }
    if (!grow(&d->origins, &d->cap_origins, d->n_origins + 1, sizeof(*d->origins)) ||
        (d->origins[d->n_origins] = strdup(name)) == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", name);
    uint32_t origin = (uint32_t)d->n_origins++;

    const char *p = data, *end = p + len;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3; /* a UTF-8 byte order mark, as some Windows editors write */
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        st = load_line(d, p, n, origin, line, err);
        if (st != DS_OK) {
            ds_error_prefix(err, "%s:%zu", name, line);
            goto fail;
        }
        p += n + (nl != NULL);
    }
    if (d->n_listed == n_listed) {
        st = ds_error_set(err, DS_ERR_FORMAT, "%s: no prefixes in the darknet list", name);
        goto fail;
    }
    return DS_OK;
fail:
    rollback(d, n_listed, n_sensors, n_origins);
    return st;
}

ds_status ds_darknet_load_file(ds_darknet *d, const char *path, ds_error *err)
{
    char *buf;
    size_t len;
    ds_status st = ds_file_read_all(path, LIST_MAX_BYTES, &buf, &len, err);
    if (st == DS_ERR_LIMIT)
        return ds_error_set(err, st, "%s: larger than %zu MiB: not a darknet list?", path,
                            LIST_MAX_BYTES >> 20);
    if (st != DS_OK)
        return st;
    st = ds_darknet_load_buffer(d, buf, len, path, err);
    free(buf);
    return st;
}

/* ---- 2. finish: merge overlaps, cut back into CIDRs ------------------------------------- */

typedef struct sorted_entry {
    uint32_t addr;
    uint32_t len;
    size_t idx; /* listing order, index into listed[] */
} sorted_entry;

static int sorted_cmp(const void *a, const void *b)
{
    const sorted_entry *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A run of addresses [start, end) owned by the listed prefix `owner`. */
typedef struct segment {
    uint64_t start, end;
    size_t owner;
} segment;

typedef struct finish_ctx {
    ds_darknet *d;
    const ds_diag *diag;
    segment *segs;
    size_t n_segs, cap_segs;
    size_t warnings;
} finish_ctx;

static bool emit(finish_ctx *c, uint64_t start, uint64_t end, size_t owner)
{
    if (start >= end)
        return true;
    if (c->n_segs > 0) {
        segment *last = &c->segs[c->n_segs - 1];
        if (last->end == start && last->owner == owner) {
            last->end = end;
            return true;
        }
    }
    if (!grow(&c->segs, &c->cap_segs, c->n_segs + 1, sizeof(*c->segs)))
        return false;
    c->segs[c->n_segs++] = (segment){start, end, owner};
    return true;
}

/* "sensor S, file:12" or "sensor S" for a listed prefix, into buf. */
static const char *where(const ds_darknet *d, const listed *l, bool with_sensor, char *buf,
                         size_t size)
{
    const char *sname = d->sensors[l->sensor].name;
    if (l->origin == NO_ORIGIN)
        snprintf(buf, size, "sensor %s", sname);
    else if (with_sensor)
        snprintf(buf, size, "sensor %s, %s:%zu", sname, d->origins[l->origin], l->line);
    else
        snprintf(buf, size, "%s:%zu", d->origins[l->origin], l->line);
    return buf;
}

/*
 * Warn that listed prefix `inner` overlaps `outer` (which contains or equals it); `owner` is the
 * prefix, listed first, that keeps the shared addresses. After DS_DARKNET_MAX_WARNINGS warnings
 * only count; finish reports the rest in one line.
 */
static void warn_overlap(finish_ctx *c, size_t inner, size_t outer, size_t owner)
{
    if (c->warnings++ >= DS_DARKNET_MAX_WARNINGS)
        return;
    const ds_darknet *d = c->d;
    const listed *a = &d->listed[inner], *b = &d->listed[outer];
    char pa[19], pb[19], wa[300], wb[300];
    format_cidr(a->addr, a->len, pa);
    format_cidr(b->addr, b->len, pb);
    bool same_sensor = a->sensor == b->sensor;
    where(d, a, !same_sensor, wa, sizeof(wa));
    where(d, b, !same_sensor, wb, sizeof(wb));
    bool dup = a->addr == b->addr && a->len == b->len;
    if (same_sensor) {
        const char *s = d->sensors[a->sensor].name;
        if (a->origin == NO_ORIGIN && b->origin == NO_ORIGIN)
            ds_warn(c->diag, "darknet: %s %s %s (sensor %s); counted once", pa,
                    dup ? "is listed twice:" : "overlaps", pb, s);
        else
            ds_warn(c->diag, "darknet: %s (%s) %s %s (%s), both sensor %s; counted once", pa, wa,
                    dup ? "is listed again after" : "overlaps", pb, wb, s);
    } else {
        ds_warn(c->diag,
                "darknet: %s (%s) overlaps %s (%s); the shared addresses belong to sensor %s, "
                "listed first",
                pa, wa, pb, wb, d->sensors[d->listed[owner].sensor].name);
    }
}

/* Cut [start, end) into the fewest CIDRs and append them to d->prefixes. */
static bool cut_into_cidrs(ds_darknet *d, size_t *cap, uint64_t start, uint64_t end,
                           size_t sensor_idx)
{
    while (start < end) {
        unsigned bits = start == 0 ? 32 : (unsigned)__builtin_ctzll(start);
        if (bits > 32)
            bits = 32;
        while ((1ull << bits) > end - start)
            bits--;
        if (!grow(&d->prefixes, cap, d->n_prefixes + 1, sizeof(*d->prefixes)))
            return false;
        d->prefixes[d->n_prefixes++] =
            (out_prefix){(uint32_t)start, 32 - bits, d->size, sensor_idx};
        d->size += 1ull << bits;
        d->sensors[sensor_idx].size += 1ull << bits;
        start += 1ull << bits;
    }
    return true;
}

static unsigned ceil_log2(size_t n)
{
    unsigned b = 0;
    while (b < 63 && ((size_t)1 << b) < n)
        b++;
    return b;
}

/* Join contiguous prefixes into ranges and build the first-level table. */
static bool build_index(ds_darknet *d)
{
    d->ranges = malloc(d->n_prefixes * sizeof(*d->ranges));
    if (d->ranges == NULL)
        return false;
    d->n_ranges = 0;
    for (size_t i = 0; i < d->n_prefixes; i++) {
        const out_prefix *p = &d->prefixes[i];
        uint32_t span = (uint32_t)((1ull << (32 - p->len)) - 1);
        range *last = d->n_ranges ? &d->ranges[d->n_ranges - 1] : NULL;
        if (last != NULL && (uint64_t)last->start + last->span + 1 == p->addr)
            last->span += span + 1;
        else
            d->ranges[d->n_ranges++] = (range){p->addr, span, p->base};
    }
    /* About 16 table slots per range, at least 256 (1 KiB) and at most 65536 (256 KiB). */
    unsigned bits = ceil_log2(d->n_ranges) + 4;
    if (bits < 8)
        bits = 8;
    if (bits > 16)
        bits = 16;
    d->table_shift = 32 - bits;
    size_t slots = (size_t)1 << bits;
    d->table = malloc((slots + 1) * sizeof(*d->table));
    if (d->table == NULL)
        return false;
    /* table[b] = the first range whose last address is in slot b or later. */
    size_t r = 0;
    for (size_t b = 0; b < slots; b++) {
        uint64_t slot_start = (uint64_t)b << d->table_shift;
        while (r < d->n_ranges && (uint64_t)d->ranges[r].start + d->ranges[r].span < slot_start)
            r++;
        d->table[b] = (uint32_t)r;
    }
    d->table[slots] = (uint32_t)d->n_ranges;
    return true;
}

ds_status ds_darknet_finish(ds_darknet *d, const ds_diag *diag, ds_error *err)
{
    if (d->finished)
        return ds_error_set(err, DS_ERR_STATE, "the darknet is already finished");
    if (d->n_listed == 0)
        return ds_error_set(err, DS_ERR_INVALID, "the darknet is empty: no prefixes given");
    if (d->n_listed > UINT32_MAX)
        return ds_error_set(err, DS_ERR_LIMIT, "more than %u prefixes", UINT32_MAX);
    ds_status st = DS_OK;
    finish_ctx c = {d, diag, NULL, 0, 0, 0};
    size_t n = d->n_listed, cap_prefixes = 0;
    sorted_entry *sorted = malloc(n * sizeof(*sorted));
    if (sorted == NULL)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        sorted[i] = (sorted_entry){d->listed[i].addr, d->listed[i].len, i};
    qsort(sorted, n, sizeof(*sorted), sorted_cmp);

    /* Pre-order sweep with the stack of enclosing prefixes (at most 33 deep: /0 .. /32). */
    struct {
        uint64_t end;
        size_t node, owner;
    } stack[33];
    size_t sp = 0;
    uint64_t pos = 0;
    for (size_t k = 0; k < n; k++) {
        const sorted_entry *x = &sorted[k];
        uint64_t xs = x->addr, xe = xs + (1ull << (32 - x->len));
        if (k > 0 && sorted[k - 1].addr == x->addr && sorted[k - 1].len == x->len) {
            /* A duplicate: the first listing (on the stack top) keeps it. */
            warn_overlap(&c, x->idx, stack[sp - 1].node, stack[sp - 1].owner);
            continue;
        }
        while (sp > 0 && stack[sp - 1].end <= xs) {
            if (!emit(&c, pos, stack[sp - 1].end, stack[sp - 1].owner))
                goto nomem;
            pos = stack[sp - 1].end;
            sp--;
        }
        size_t owner = x->idx;
        if (sp > 0) {
            if (!emit(&c, pos, xs, stack[sp - 1].owner))
                goto nomem;
            if (stack[sp - 1].owner < owner)
                owner = stack[sp - 1].owner;
            warn_overlap(&c, x->idx, stack[sp - 1].node, owner);
        }
        pos = xs;
        stack[sp].end = xe;
        stack[sp].node = x->idx;
        stack[sp].owner = owner;
        sp++;
    }
    while (sp > 0) {
        if (!emit(&c, pos, stack[sp - 1].end, stack[sp - 1].owner))
            goto nomem;
        pos = stack[sp - 1].end;
        sp--;
    }
    if (c.warnings > DS_DARKNET_MAX_WARNINGS)
        ds_warn(diag, "darknet: %zu more overlapping prefixes not shown",
                c.warnings - DS_DARKNET_MAX_WARNINGS);

    for (size_t i = 0; i < c.n_segs; i++) {
        const segment *s = &c.segs[i];
        if (!cut_into_cidrs(d, &cap_prefixes, s->start, s->end, d->listed[s->owner].sensor))
            goto nomem;
    }
    for (size_t i = 0; i < d->n_sensors; i++) {
        if (d->sensors[i].size == 0)
            ds_warn(diag,
                    "darknet: sensor %s keeps no addresses: every prefix of it was listed "
                    "earlier for another sensor",
                    d->sensors[i].name);
    }
    if (!build_index(d))
        goto nomem;
    d->finished = true;
    free(d->listed);
    d->listed = NULL;
    d->n_listed = d->cap_listed = 0;
    goto out;
nomem:
    st = ds_error_set(err, DS_ERR_NOMEM, "out of memory while merging the darknet prefixes");
    free(d->prefixes);
    free(d->ranges);
    free(d->table);
    d->prefixes = NULL;
    d->ranges = NULL;
    d->table = NULL;
    d->n_prefixes = d->n_ranges = 0;
    d->size = 0;
    for (size_t i = 0; i < d->n_sensors; i++)
        d->sensors[i].size = 0;
out:
    free(c.segs);
    free(sorted);
    return st;
}

/* ---- 3. queries ------------------------------------------------------------------------- */

uint64_t ds_darknet_size(const ds_darknet *d)
{
    return d->finished ? d->size : 0;
}

size_t ds_darknet_sensor_count(const ds_darknet *d)
{
    return d->n_sensors;
}

const char *ds_darknet_sensor_name(const ds_darknet *d, size_t sensor_idx)
{
    return sensor_idx < d->n_sensors ? d->sensors[sensor_idx].name : NULL;
}

uint64_t ds_darknet_sensor_size(const ds_darknet *d, size_t sensor_idx)
{
    return sensor_idx < d->n_sensors ? d->sensors[sensor_idx].size : 0;
}

size_t ds_darknet_prefix_count(const ds_darknet *d)
{
    return d->n_prefixes;
}

void ds_darknet_prefix(const ds_darknet *d, size_t i, uint32_t *addr, unsigned *len,
                       size_t *sensor_idx)
{
    const out_prefix *p = i < d->n_prefixes ? &d->prefixes[i] : NULL;
    if (addr != NULL)
        *addr = p ? p->addr : 0;
    if (len != NULL)
        *len = p ? p->len : 0;
    if (sensor_idx != NULL)
        *sensor_idx = p ? p->sensor : SIZE_MAX;
}

void ds_darknet_get_lookup(const ds_darknet *d, ds_darknet_lookup *out)
{
    *out = (ds_darknet_lookup){d->ranges, d->n_ranges, d->table, d->table_shift};
}

int64_t ds_darknet_index(const ds_darknet *d, uint32_t addr)
{
    ds_darknet_lookup l;
    ds_darknet_get_lookup(d, &l);
    return ds_darknet_lookup_index(&l, addr);
}

uint32_t ds_darknet_address(const ds_darknet *d, uint64_t idx)
{
    if (idx >= ds_darknet_size(d))
        return 0;
    size_t lo = 0, hi = d->n_ranges - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (d->ranges[mid].base <= idx)
            lo = mid;
        else
            hi = mid - 1;
    }
    return d->ranges[lo].start + (uint32_t)(idx - d->ranges[lo].base);
}

size_t ds_darknet_sensor_of(const ds_darknet *d, uint64_t idx)
{
    if (idx >= ds_darknet_size(d))
        return SIZE_MAX;
    size_t lo = 0, hi = d->n_prefixes - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (d->prefixes[mid].base <= idx)
            lo = mid;
        else
            hi = mid - 1;
    }
    return d->prefixes[lo].sensor;
}
