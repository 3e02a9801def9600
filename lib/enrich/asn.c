/*
 * asn.c - the autonomous system of an address (see enrich.h), from one of two sources:
 *
 *  - a MaxMind DB ASN database (GeoLite2-ASN and compatible): autonomous_system_number and
 *    autonomous_system_organization at the top of the record;
 *  - a CSV table `start,end,asn,org` (ip-location-db's asn-ipv4.csv; inclusive ranges, dotted
 *    or numeric addresses, RFC 4180 quoting), plain or gzip-compressed, loaded into a sorted
 *    range set and searched by binary search.
 *
 * The two are told apart by content: a MaxMind DB ends with its metadata section, which starts
 * with the marker "\xAB\xCD\xEFMaxMind.com" within the last 128 KiB of the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "darkscan/enrich.h"
#include "enrich/mmdb.h"
#include "enrich/ranges.h"

#define METADATA_WINDOW (128 * 1024)
#define CSV_CHUNK       (64 * 1024)
#define CSV_MAX_LINE    (64 * 1024)

/* One CSV row's answer; ranges' values index these. */
typedef struct asn_row {
    uint32_t number;
    uint32_t org; /* index in orgs */
} asn_row;

struct ds_asn_db {
    bool is_mmdb;
    ds_mmdb mmdb;
    ds_ranges ranges;
    asn_row *rows;
    size_t n_rows, cap_rows;
    ds_names orgs;
};

/* has_mmdb_marker - whether the file's tail holds the MaxMind DB metadata marker. */
static ds_status has_mmdb_marker(const char *path, bool *yes, ds_error *err)
{
    static const char marker[] = "\xAB\xCD\xEFMaxMind.com";
    const size_t mlen = sizeof(marker) - 1;
    *yes = false;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    }
    size_t want = (uint64_t)sb.st_size < METADATA_WINDOW ? (size_t)sb.st_size : METADATA_WINDOW;
    char *buf = malloc(want ? want : 1);
    if (buf == NULL) {
        fclose(f);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    ds_status st = DS_OK;
    if (fseeko(f, (off_t)(sb.st_size - (off_t)want), SEEK_SET) != 0 ||
        fread(buf, 1, want, f) != want) {
        st = ds_error_set(err, DS_ERR_IO, "%s: read failed: %s", path,
                          ferror(f) ? strerror(errno) : "file shrank");
    } else if (want >= mlen) {
        *yes = memmem(buf, want, marker, mlen) != NULL;
    }
    free(buf);
    fclose(f);
    return st;
}

/* ---- CSV ---- */

/* A field of a CSV line: text without the quotes; quoted fields are unescaped into scratch. */
typedef struct field {
    const char *s;
    size_t len;
} field;

/*
 * split_csv - up to max fields of line (len bytes, no line end) into f; returns the number of
 * fields, or -1 for a malformed quote. Quoted fields' "" become " in scratch (len bytes).
 */
static int split_csv(const char *line, size_t len, field *f, int max, char *scratch)
{
    int n = 0;
    size_t i = 0, out = 0;
    for (;;) {
        if (n == max)
            return n;
        if (i < len && line[i] == '"') {
            size_t start = out;
            i++;
            for (;;) {
                if (i >= len)
                    return -1;
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        scratch[out++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                scratch[out++] = line[i++];
            }
            f[n++] = (field){scratch + start, out - start};
            if (i < len && line[i] != ',')
                return -1;
        } else {
            size_t start = i;
            while (i < len && line[i] != ',')
                i++;
            f[n++] = (field){line + start, i - start};
        }
        if (i >= len)
            return n;
        i++; /* the comma */
    }
}

static void trim(field *f)
{
    while (f->len > 0 && (f->s[0] == ' ' || f->s[0] == '\t')) {
        f->s++;
        f->len--;
    }
    while (f->len > 0 && (f->s[f->len - 1] == ' ' || f->s[f->len - 1] == '\t'))
        f->len--;
}

/* parse_u32 - a whole decimal number of len bytes up to 2^32 - 1. */
static bool parse_u32(const char *s, size_t len, uint32_t *out)
{
    if (len == 0 || len > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* parse_addr - a dotted quad or a decimal number (the -num.csv tables). */
static bool parse_addr(const field *f, uint32_t *out)
{
    return ds_enrich_parse_ipv4(f->s, f->len, out) || parse_u32(f->s, f->len, out);
}

static bool is_ipv6(const field *f)
{
    return memchr(f->s, ':', f->len) != NULL;
}

static ds_status csv_line(ds_asn_db *db, const char *path, uint64_t lineno, const char *line,
                          size_t len, char *scratch, ds_error *err)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len == 0)
        return DS_OK;
    field f[4];
    int n = split_csv(line, len, f, 4, scratch);
    if (n < 0)
        return ds_error_set(err, DS_ERR_FORMAT, "%s:%llu: unterminated or misplaced quote", path,
                            (unsigned long long)lineno);
    for (int i = 0; i < n; i++)
        trim(&f[i]);
    if (n >= 1 && is_ipv6(&f[0]))
        return DS_OK;
    uint32_t first, last, number;
    if (n < 3 || !parse_addr(&f[0], &first)) {
        /* A header line ("ip_range_start,...") is allowed as the first line only. */
        if (lineno == 1 && n >= 1 && f[0].len > 0 && f[0].s[0] >= 'A')
            return DS_OK;
        return ds_error_set(err, DS_ERR_FORMAT,
                            "%s:%llu: expected 'start,end,asn,org' with IPv4 addresses", path,
                            (unsigned long long)lineno);
    }
    if (!parse_addr(&f[1], &last) || last < first)
        return ds_error_set(err, DS_ERR_FORMAT, "%s:%llu: bad range end", path,
                            (unsigned long long)lineno);
    field asn = f[2];
    if (asn.len > 2 && (asn.s[0] == 'A' || asn.s[0] == 'a') &&
        (asn.s[1] == 'S' || asn.s[1] == 's')) {
        asn.s += 2;
        asn.len -= 2;
    }
    if (!parse_u32(asn.s, asn.len, &number))
        return ds_error_set(err, DS_ERR_FORMAT, "%s:%llu: bad AS number", path,
                            (unsigned long long)lineno);
    field org = n >= 4 ? f[3] : (field){"", 0};
    if (memchr(org.s, '\0', org.len) != NULL)
        org.len = strlen(org.s);
    if (db->n_rows == db->cap_rows) {
        size_t cap = db->cap_rows ? db->cap_rows * 2 : 1024;
        asn_row *grown = realloc(db->rows, cap * sizeof(*grown));
        if (grown == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        db->rows = grown;
        db->cap_rows = cap;
    }
    if (db->n_rows >= UINT32_MAX)
        return ds_error_set(err, DS_ERR_LIMIT, "%s: too many lines", path);
    uint32_t org_id;
    ds_status st = ds_names_intern(&db->orgs, org.s, org.len, &org_id, err);
    if (st != DS_OK)
        return st;
    db->rows[db->n_rows] = (asn_row){number, org_id};
    st = ds_ranges_add(&db->ranges, first, last, (uint32_t)db->n_rows, err);
    if (st != DS_OK)
        return st;
    db->n_rows++;
    return DS_OK;
}

/* load_csv - every line of the (possibly gzip-compressed) file; zlib reads plain files too. */
static ds_status load_csv(ds_asn_db *db, const char *path, ds_error *err)
{
    gzFile gz = gzopen(path, "rb");
    if (gz == NULL)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path,
                            errno ? strerror(errno) : "cannot open");
    char *buf = malloc(CSV_CHUNK + CSV_MAX_LINE);
    char *scratch = malloc(CSV_MAX_LINE);
    ds_status st = DS_OK;
    if (buf == NULL || scratch == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t have = 0;
    uint64_t lineno = 0;
    bool eof = false;
    while (!eof) {
        int got = gzread(gz, buf + have, CSV_CHUNK);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            st = ds_error_set(err, zerr == Z_ERRNO ? DS_ERR_IO : DS_ERR_FORMAT, "%s: %s", path,
                              zerr == Z_ERRNO ? strerror(errno) : msg);
            goto out;
        }
        if (got == 0)
            eof = true;
        have += (size_t)got;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(buf + start, '\n', have - start);
            if (nl == NULL)
                break;
            size_t len = (size_t)(nl - (buf + start));
            st = csv_line(db, path, ++lineno, buf + start, len, scratch, err);
            if (st != DS_OK)
                goto out;
            start += len + 1;
        }
        if (eof && start < have) {
            st = csv_line(db, path, ++lineno, buf + start, have - start, scratch, err);
            if (st != DS_OK)
                goto out;
            start = have;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have >= CSV_MAX_LINE) {
            st = ds_error_set(err, DS_ERR_FORMAT, "%s:%llu: line longer than %d bytes", path,
                              (unsigned long long)lineno + 1, CSV_MAX_LINE);
            goto out;
        }
    }
    if (db->n_rows == 0) {
        st = ds_error_set(err, DS_ERR_FORMAT, "%s: no IPv4 'start,end,asn,org' lines", path);
        goto out;
    }
    st = ds_ranges_finish(&db->ranges, err);
out:
    free(buf);
    free(scratch);
    gzclose(gz);
    return st;
}

ds_status ds_asn_open(ds_asn_db **out, const char *path, ds_error *err)
{
    *out = NULL;
    ds_asn_db *db = calloc(1, sizeof(*db));
    if (db == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    bool mmdb;
    ds_status st = has_mmdb_marker(path, &mmdb, err);
    if (st == DS_OK && mmdb) {
        st = ds_mmdb_open(&db->mmdb, path, err);
        db->is_mmdb = st == DS_OK;
    } else if (st == DS_OK) {
        st = load_csv(db, path, err);
    }
    if (st != DS_OK) {
        ds_asn_free(db);
        return st;
    }
    *out = db;
    return DS_OK;
}

void ds_asn_free(ds_asn_db *db)
{
    if (db == NULL)
        return;
    if (db->is_mmdb)
        ds_mmdb_close(&db->mmdb);
    ds_ranges_free(&db->ranges);
    ds_names_free(&db->orgs);
    free(db->rows);
    free(db);
}

size_t ds_asn_range_count(const ds_asn_db *db)
{
    return db->is_mmdb ? 0 : db->ranges.n;
}

static ds_status lookup_mmdb(const ds_asn_db *db, uint32_t addr, bool *found, ds_asn_info *out,
                             ds_error *err)
{
    static const char *const number_path[] = {"autonomous_system_number", NULL};
    static const char *const org_path[] = {"autonomous_system_organization", NULL};
    MMDB_lookup_result_s res;
    ds_status st = ds_mmdb_lookup_v4(&db->mmdb, addr, &res, found, err);
    if (st != DS_OK || !*found)
        return st;
    uint32_t number;
    st = ds_mmdb_uint(&db->mmdb, &res.entry, number_path, &number, found, err);
    if (st != DS_OK || !*found)
        return st;
    bool has_org;
    char org[DS_ASN_ORG_MAX];
    st = ds_mmdb_string(&db->mmdb, &res.entry, org_path, org, sizeof(org), &has_org, err);
    if (st != DS_OK)
        return st;
    out->number = number;
    if (has_org)
        memcpy(out->org, org, strlen(org) + 1);
    else
        out->org[0] = '\0';
    return DS_OK;
}

ds_status ds_asn_lookup(const ds_asn_db *db, uint32_t addr, bool *found, ds_asn_info *out,
                        ds_error *err)
{
    *found = false;
    if (db->is_mmdb)
        return lookup_mmdb(db, addr, found, out, err);
    long i = ds_ranges_narrowest(&db->ranges, addr);
    if (i < 0)
        return DS_OK;
    const asn_row *row = &db->rows[db->ranges.r[i].value];
    const char *org = db->orgs.names[row->org];
    size_t n = strlen(org);
    if (n >= DS_ASN_ORG_MAX)
        n = DS_ASN_ORG_MAX - 1;
    out->number = row->number;
    memcpy(out->org, org, n);
    out->org[n] = '\0';
    *found = true;
    return DS_OK;
}
