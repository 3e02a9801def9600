/*
 * known.c - published address ranges of known scanning organisations (see enrich.h): MISP
 * warning lists (JSON), maltrail's `IP # owner` lines, and plain `CIDR [name]` lines, kept as
 * one range set whose values are organisation names.
 *
 * Naming. A range's organisation is its owner text when the list gives one, the list's own
 * name otherwise. Owner texts of maltrail are mostly host names of single scanners
 * ("scan-12b.shadowserver.org", "census3.shodan.io"); they are cut to the registered domain
 * without its suffix ("shadowserver", "shodan") so that one organisation's hundreds of hosts
 * count as one, under the name the MISP lists give it. An owner that is only an address says
 * nothing and falls back to the list's name. Any other owner text is kept as written
 * ("NYU Osiris Laboratory"). The list's name
 * comes from its file name, with the MISP suffixes that say "scanning" removed:
 * "censys-scanning.json" -> "censys", "shadowserver-nt-scanning.json" -> "shadowserver"; a MISP
 * file kept as lists/<name>/list.json is named after its folder.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "darkscan/enrich.h"
#include "darkscan/json_parse.h"
#include "enrich/ranges.h"

struct ds_known {
    ds_ranges ranges; /* value: organisation id */
    ds_names orgs;
    ds_known_stats stats;
    bool finished;
};

ds_known *ds_known_new(void)
{
    return calloc(1, sizeof(ds_known));
}

void ds_known_free(ds_known *k)
{
    if (k == NULL)
        return;
    ds_ranges_free(&k->ranges);
    ds_names_free(&k->orgs);
    free(k);
}

ds_known_stats ds_known_get_stats(const ds_known *k)
{
    ds_known_stats s = k->stats;
    s.ranges = k->ranges.n;
    s.organisations = k->orgs.n;
    return s;
}

/* ---- names ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len > n && memcmp(s + len - n, suffix, n) == 0;
}

/* list_name - the list's name from its path into buf (see the file comment). */
static void list_name(const char *path, char *buf, size_t size)
{
    static const char *const extensions[] = {".gz", ".json", ".txt", ".csv", ".lst", ".list"};
    static const char *const suffixes[] = {"-nt-scanning", "-scanning", "-scanners", "-scanner"};
    const char *base = strrchr(path, '/');
    const char *dir_end = base;
    base = base != NULL ? base + 1 : path;
    size_t len = strlen(base);
    for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
        if (ends_with(base, len, extensions[i]))
            len -= strlen(extensions[i]);
    }
    if (len == 4 && memcmp(base, "list", 4) == 0 && dir_end != NULL && dir_end > path) {
        /* lists/<name>/list.json: the folder names the list */
        const char *d = dir_end;
        while (d > path && d[-1] != '/')
            d--;
        base = d;
        len = (size_t)(dir_end - d);
    }
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (ends_with(base, len, suffixes[i])) {
            len -= strlen(suffixes[i]);
            break;
        }
    }
    if (len == 0) {
        base = "known";
        len = 5;
    }
    if (len >= size)
        len = size - 1;
    memcpy(buf, base, len);
    buf[len] = '\0';
}

static bool is_dns_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/*
 * registered_domain - when w (len bytes) is a host name, its registered domain, lower case,
 * into buf and true: the last two labels, or three under a country code whose second level is
 * a generic one (example.co.uk, example.ac.jp). A heuristic, not the Public Suffix List.
 */
static bool registered_domain(const char *w, size_t len, char *buf, size_t size)
{
    static const char *const generic_sld[] = {"ac", "co", "com", "edu", "gov", "net",  "org",
                                              "ne", "or", "go",  "mil", "gob", "gouv", "nic"};
    while (len > 0 && w[len - 1] == '.')
        len--;
    size_t dots = 0, letters_in_last = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_dns_char(w[i]))
            return false;
        if (w[i] == '.') {
            dots++;
            letters_in_last = 0;
        } else if ((w[i] | 0x20) >= 'a' && (w[i] | 0x20) <= 'z') {
            letters_in_last++;
        }
    }
    if (dots == 0 || letters_in_last == 0 || w[0] == '.')
        return false;
    /* start of the last, second-last and third-last labels */
    size_t starts[3] = {0, 0, 0};
    size_t found = 0;
    for (size_t i = len; i > 0 && found < 3; i--) {
        if (w[i - 1] == '.')
            starts[found++] = i;
    }
    size_t last_len = len - starts[0];
    size_t keep_from = starts[1]; /* two labels (0 when only two exist) */
    if (found >= 2 && last_len == 2) {
        size_t sld_len = starts[0] - 1 - starts[1];
        for (size_t i = 0; i < sizeof(generic_sld) / sizeof(generic_sld[0]); i++) {
            if (strlen(generic_sld[i]) == sld_len &&
                strncasecmp(w + starts[1], generic_sld[i], sld_len) == 0) {
                keep_from = found >= 3 ? starts[2] : 0;
                break;
            }
        }
    }
    size_t n = len - keep_from;
    if (n >= size)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = w[keep_from + i];
        buf[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    buf[n] = '\0';
    return true;
}

/*
 * organisation - the name of an entry with owner text (len bytes, trimmed; may be empty) in a
 * list called `list`, into buf.
 */
static void organisation(const char *owner, size_t len, const char *list, char *buf, size_t size)
{
    size_t w = 0;
    while (w < len && !is_space(owner[w]))
        w++;
    uint32_t addr;
    if (len == 0 || ds_enrich_parse_ipv4(owner, w, &addr)) {
        snprintf(buf, size, "%s", list);
        return;
    }
    if (registered_domain(owner, w, buf, size)) {
        char *dot = strchr(buf, '.');
        if (dot != NULL && dot > buf)
            *dot = '\0'; /* "shodan.io" -> "shodan", as the MISP lists name it */
        return;
    }
    size_t n = len < size - 1 ? len : size - 1;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        char c = owner[i];
        if (c == '\0')
            break;
        buf[out++] = is_space(c) ? ' ' : c;
    }
    buf[out] = '\0';
}

/* ---- entries ---- */

/*
 * parse_entry - "ADDR" or "ADDR/LEN" (len bytes) into an inclusive range. Host bits beyond LEN
 * are ignored (the range is the whole prefix). Returns 1 for IPv4, 0 for IPv6 (skipped),
 * -1 for anything else.
 */
static int parse_entry(const char *s, size_t len, uint32_t *first, uint32_t *last)
{
    if (memchr(s, ':', len) != NULL)
        return 0;
    const char *slash = memchr(s, '/', len);
    size_t alen = slash != NULL ? (size_t)(slash - s) : len;
    uint32_t addr;
    if (!ds_enrich_parse_ipv4(s, alen, &addr))
        return -1;
    unsigned bits = 32;
    if (slash != NULL) {
        size_t dlen = len - alen - 1;
        if (dlen == 0 || dlen > 2)
            return -1;
        bits = 0;
        for (size_t i = 0; i < dlen; i++) {
            char c = slash[1 + i];
            if (c < '0' || c > '9')
                return -1;
            bits = bits * 10 + (unsigned)(c - '0');
        }
        if (bits > 32)
            return -1;
    }
    uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    *first = addr & mask;
    *last = addr | ~mask;
    return 1;
}

static ds_status add_range(ds_known *k, uint32_t first, uint32_t last, const char *org,
                           ds_error *err)
{
    uint32_t id;
    ds_status st = ds_names_intern(&k->orgs, org, strlen(org), &id, err);
    if (st == DS_OK)
        st = ds_ranges_add(&k->ranges, first, last, id, err);
    return st;
}

/* ---- bad entries ---- */

/* Bad entries are skipped and counted; the first few are warnings, the first is kept. */
#define BAD_WARNINGS 5

typedef struct bad_lines {
    uint64_t count;
    char msg[BAD_WARNINGS][DS_ERROR_MAX]; /* the first ones, warned when the list loads */
} bad_lines;

__attribute__((format(printf, 4, 5))) static void bad_entry(ds_known *k, bad_lines *b,
                                                            const char *path, const char *fmt, ...)
{
    char msg[DS_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (b->count < BAD_WARNINGS)
        memcpy(b->msg[b->count], msg, sizeof(msg));
    b->count++;
    k->stats.skipped++;
}

/* ---- MISP warning lists ---- */

static ds_status load_misp(ds_known *k, bad_lines *b, const char *text, size_t len,
                           const char *path, const char *list, ds_error *err)
{
    ds_jval *root = NULL;
    ds_status st = ds_jval_parse(text, len, path, &root, err);
    if (st != DS_OK)
        return st;
    const ds_jval *items = ds_jval_get(root, "list");
    const char *type = ds_jval_string(ds_jval_get(root, "type"), NULL);
    if (ds_jval_type(items) != DS_JVAL_ARRAY) {
        st = ds_error_set(err, DS_ERR_FORMAT,
                          "%s: not a MISP warning list: no \"list\" array of addresses", path);
        goto out;
    }
    if (type != NULL && strcmp(type, "cidr") != 0) {
        st = ds_error_set(err, DS_ERR_FORMAT,
                          "%s: a MISP warning list of type \"%s\" (only \"cidr\" lists hold "
                          "addresses)",
                          path, type);
        goto out;
    }
    for (size_t i = 0; i < ds_jval_array_len(items); i++) {
        const ds_jval *item = ds_jval_array_at(items, i);
        size_t slen;
        const char *s = ds_jval_string(item, &slen);
        uint32_t first, last;
        int kind = s != NULL ? parse_entry(s, slen, &first, &last) : -1;
        if (kind < 0) {
            size_t line, col;
            ds_jval_position(item, &line, &col);
            bad_entry(k, b, path, "%s:%zu:%zu: not an IPv4 or IPv6 address or CIDR", path, line,
                      col);
            continue;
        }
        if (kind == 0) {
            k->stats.ipv6++;
            continue;
        }
        st = add_range(k, first, last, list, err);
        if (st != DS_OK)
            goto out;
    }
out:
    ds_jval_free(root);
    return st;
}

/* ---- line lists (maltrail, CIDR [name]) ---- */

static ds_status load_lines(ds_known *k, bad_lines *b, const char *text, size_t len,
                            const char *path, const char *list, ds_error *err)
{
    size_t pos = 0;
    unsigned long lineno = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        const char *line = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        lineno++;
        size_t i = 0;
        while (i < n && is_space(line[i]))
            i++;
        if (i == n || line[i] == '#')
            continue;
        size_t tok = i;
        while (i < n && !is_space(line[i]) && line[i] != '#')
            i++;
        uint32_t first, last;
        int kind = parse_entry(line + tok, i - tok, &first, &last);
        if (kind < 0) {
            bad_entry(k, b, path, "%s:%lu: '%.*s' is not an IPv4 or IPv6 address or CIDR", path,
                      lineno, (int)(i - tok > 64 ? 64 : i - tok), line + tok);
            continue;
        }
        if (kind == 0) {
            k->stats.ipv6++;
            continue;
        }
        /* owner: after '#' (maltrail), else the rest up to a comment (CIDR name) */
        while (i < n && is_space(line[i]))
            i++;
        size_t o_start = i, o_end;
        if (i < n && line[i] == '#') {
            o_start = i + 1;
            o_end = n;
        } else {
            o_end = i;
            while (o_end < n && line[o_end] != '#')
                o_end++;
        }
        while (o_start < o_end && is_space(line[o_start]))
            o_start++;
        while (o_end > o_start && is_space(line[o_end - 1]))
            o_end--;
        char org[256];
        organisation(line + o_start, o_end - o_start, list, org, sizeof(org));
        ds_status st = add_range(k, first, last, org, err);
        if (st != DS_OK)
            return st;
    }
    return DS_OK;
}

ds_status ds_known_load_mem(ds_known *k, const char *text, size_t len, const char *path,
                            const ds_diag *diag, ds_error *err)
{
    if (k->finished)
        return ds_error_set(err, DS_ERR_STATE, "%s: the lists are already finished", path);
    char list[128];
    list_name(path, list, sizeof(list));
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && is_space(text[i]))
        i++;
    size_t before = k->ranges.n;
    uint64_t ipv6_before = k->stats.ipv6;
    bad_lines *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    ds_status st = i < len && text[i] == '{' ? load_misp(k, b, text, len, path, list, err)
                                             : load_lines(k, b, text + i, len - i, path, list, err);
    if (st == DS_OK && b->count > 0 && k->ranges.n == before && k->stats.ipv6 == ipv6_before)
        st = ds_error_set(err, DS_ERR_FORMAT, "%s", b->msg[0]); /* nothing usable: not a list */
    if (st == DS_OK) {
        for (uint64_t w = 0; w < b->count && w < BAD_WARNINGS; w++)
            ds_warn(diag, "%s (skipped)", b->msg[w]);
        if (b->count > BAD_WARNINGS)
            ds_warn(diag, "%s: %llu entries that are not addresses skipped in all", path,
                    (unsigned long long)b->count);
    } else {
        k->ranges.n = before; /* a bad list adds nothing */
        k->stats.skipped -= b->count;
        k->stats.ipv6 = ipv6_before;
    }
    free(b);
    return st;
}

ds_status ds_known_load_file(ds_known *k, const char *path, const ds_diag *diag, ds_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    ds_status st = DS_OK;
    for (;;) {
        if (cap - len < 65536) {
            if (cap >= ((size_t)1 << 30)) {
                st = ds_error_set(err, DS_ERR_LIMIT, "%s: larger than 1 GiB", path);
                break;
            }
            size_t ncap = cap ? cap * 2 : 131072;
            char *grown = realloc(text, ncap);
            if (grown == NULL) {
                st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
                break;
            }
            text = grown;
            cap = ncap;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                st = ds_error_set(err, DS_ERR_IO, "%s: read failed: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (st == DS_OK)
        st = ds_known_load_mem(k, text, len, path, diag, err);
    free(text);
    return st;
}

ds_status ds_known_finish(ds_known *k, ds_error *err)
{
    ds_status st = ds_ranges_finish(&k->ranges, err);
    if (st == DS_OK)
        k->finished = true;
    return st;
}

/* ---- matching a block ---- */

typedef struct piece {
    uint32_t org, first, last; /* clipped to the block */
} piece;

typedef struct match_ctx {
    uint32_t first, last;
    piece *p;
    size_t n, cap;
    bool failed;
} match_ctx;

static int on_range(void *ctx, const ds_range *r)
{
    match_ctx *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        piece *grown = realloc(c->p, cap * sizeof(*grown));
        if (grown == NULL) {
            c->failed = true;
            return 1;
        }
        c->p = grown;
        c->cap = cap;
    }
    c->p[c->n++] = (piece){r->value, r->first > c->first ? r->first : c->first,
                           r->last < c->last ? r->last : c->last};
    return 0;
}

static int cmp_piece(const void *a, const void *b)
{
    const piece *x = a, *y = b;
    if (x->org != y->org)
        return x->org < y->org ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

/* hosts_in - how many of the sorted hosts lie in [first, last]. */
static size_t hosts_in(const uint32_t *hosts, size_t n, uint32_t first, uint32_t last)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hosts[mid] < first)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t a = lo;
    hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hosts[mid] <= last)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - a;
}

static int cmp_hit(const void *a, const void *b)
{
    const ds_known_hit *x = a, *y = b;
    if (x->hosts != y->hosts)
        return x->hosts > y->hosts ? -1 : 1;
    return strcmp(x->name, y->name);
}

ds_status ds_known_match(const ds_known *k, uint32_t first, uint32_t last, const uint32_t *hosts,
                         size_t n_hosts, ds_known_hit **hits, size_t *n_hits, ds_error *err)
{
    *hits = NULL;
    *n_hits = 0;
    if (!k->finished)
        return ds_error_set(err, DS_ERR_STATE, "known-scanner lists not finished");
    match_ctx c = {first, last, NULL, 0, 0, false};
    ds_ranges_overlapping(&k->ranges, first, last, on_range, &c);
    if (c.failed) {
        free(c.p);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    if (c.n == 0)
        return DS_OK;
    qsort(c.p, c.n, sizeof(*c.p), cmp_piece);
    ds_known_hit *out = calloc(c.n, sizeof(*out));
    if (out == NULL) {
        free(c.p);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < c.n;) {
        uint32_t org = c.p[i].org;
        uint64_t count = 0;
        /* union of this organisation's pieces, counted once */
        uint32_t cur_first = c.p[i].first, cur_last = c.p[i].last;
        size_t j = i + 1;
        for (; j < c.n && c.p[j].org == org; j++) {
            if ((uint64_t)c.p[j].first <= (uint64_t)cur_last + 1) {
                if (c.p[j].last > cur_last)
                    cur_last = c.p[j].last;
            } else {
                count += hosts_in(hosts, n_hosts, cur_first, cur_last);
                cur_first = c.p[j].first;
                cur_last = c.p[j].last;
            }
        }
        count += hosts_in(hosts, n_hosts, cur_first, cur_last);
        out[n++] = (ds_known_hit){k->orgs.names[org], count};
        i = j;
    }
    free(c.p);
    qsort(out, n, sizeof(*out), cmp_hit);
    *hits = out;
    *n_hits = n;
    return DS_OK;
}
