/*
 * test_enrich.c - country, AS and known-scanner lookups against independent answers:
 * MaxMind's own test databases with the expected answers of their source-data JSON (read here
 * with the JSON parser, the most specific network winning), MaxMind's broken databases (an
 * error, never a crash), the real ip-location-db country and AS tables, and the real
 * MISP / maltrail scanner lists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/darkscan.h"
#include "testutil.h"

#define MMDB_TEST DS_SHARED_DATA "/mmdb/maxmind-db-test"
#define IPLOC     DS_SHARED_DATA "/mmdb/ip-location-db"
#define SCANNERS  DS_SHARED_DATA "/scanners"

static uint32_t ip(const char *s)
{
    uint32_t a;
    ds_error err;
    assert_int_equal(ds_parse_ipv4(s, &a, &err), DS_OK);
    return a;
}

/* ---- the oracle: MaxMind's source-data JSON ---- */

typedef struct entry {
    uint32_t first, last;
    unsigned bits;
    char text[DS_ASN_ORG_MAX]; /* iso_code, or "" */
    uint32_t number;           /* AS number (ASN source), 0 when absent */
    bool has_number;
} entry;

typedef struct entries {
    entry *e;
    size_t n;
} entries;

/*
 * ipv4_network - an IPv4 network of a source-data key: "a.b.c.d/len", or the IPv4-compatible
 * "::a.b.c.d/len" with len >= 96 that MaxMind's writer uses for the IPv4 part of IPv6 trees.
 */
static bool ipv4_network(const char *key, uint32_t *first, uint32_t *last, unsigned *bits)
{
    const char *text = key;
    int offset = 0;
    if (strncmp(key, "::", 2) == 0 && strchr(key, '.') != NULL) {
        text = key + 2;
        offset = 96;
    } else if (strchr(key, ':') != NULL) {
        return false;
    }
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", text);
    char *slash = strchr(buf, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    int len = atoi(slash + 1) - offset;
    if (len < 0 || len > 32)
        return false;
    uint32_t a = ip(buf);
    uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
    *first = a & mask;
    *last = a | ~mask;
    *bits = (unsigned)len;
    return true;
}

/* load_source - the IPv4 networks of a source-data file with their country or AS. */
static entries load_source(const char *name, bool asn)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/source-data/%s", MMDB_TEST, name);
    ds_jval *root;
    ds_error err;
    assert_int_equal(ds_jval_parse_file(path, &root, &err), DS_OK);
    entries es = {calloc(ds_jval_array_len(root), sizeof(entry)), 0};
    assert_non_null(es.e);
    for (size_t i = 0; i < ds_jval_array_len(root); i++) {
        const ds_jval *obj = ds_jval_array_at(root, i);
        entry *e = &es.e[es.n];
        if (!ipv4_network(ds_jval_object_key(obj, 0, NULL), &e->first, &e->last, &e->bits))
            continue;
        const ds_jval *rec = ds_jval_object_value(obj, 0);
        if (asn) {
            uint64_t v;
            if (ds_jval_uint64(ds_jval_get(rec, "autonomous_system_number"), &v) == DS_OK) {
                e->number = (uint32_t)v;
                e->has_number = true;
            }
            const char *org =
                ds_jval_string(ds_jval_get(rec, "autonomous_system_organization"), NULL);
            snprintf(e->text, sizeof(e->text), "%s", org ? org : "");
        } else {
            const char *cc =
                ds_jval_string(ds_jval_get(ds_jval_get(rec, "country"), "iso_code"), NULL);
            snprintf(e->text, sizeof(e->text), "%s", cc ? cc : "");
        }
        es.n++;
    }
    ds_jval_free(root);
    assert_true(es.n > 0);
    return es;
}

/* expected - the most specific network holding addr, or NULL. */
static const entry *expected(const entries *es, uint32_t addr)
{
    const entry *best = NULL;
    for (size_t i = 0; i < es->n; i++) {
        const entry *e = &es->e[i];
        if (addr >= e->first && addr <= e->last && (best == NULL || e->bits > best->bits))
            best = e;
    }
    return best;
}

/* probes - the first, last and middle address of every network. */
static size_t probes(const entries *es, uint32_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < es->n; i++) {
        out[n++] = es->e[i].first;
        out[n++] = es->e[i].last;
        out[n++] = es->e[i].first + (es->e[i].last - es->e[i].first) / 2;
    }
    return n;
}

static void check_country_db(const char *db_name, const char *source)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/test-data/%s", MMDB_TEST, db_name);
    entries es = load_source(source, false);
    ds_geoip *g;
    ds_error err;
    assert_int_equal(ds_geoip_open(&g, path, &err), DS_OK);
    uint32_t *addrs = calloc(es.n * 3, sizeof(*addrs));
    size_t n = probes(&es, addrs), known = 0;
    for (size_t i = 0; i < n; i++) {
        char cc[DS_COUNTRY_LEN];
        assert_int_equal(ds_geoip_country(g, addrs[i], cc, &err), DS_OK);
        const entry *e = expected(&es, addrs[i]);
        const char *want = e != NULL ? e->text : "";
        if (strcmp(cc, want) != 0)
            fail_msg("%s: %08x: got '%s', want '%s'", db_name, addrs[i], cc, want);
        known += want[0] != '\0';
    }
    assert_true(known >= 10); /* the oracle is not vacuous */
    /* Outside every network: unknown. */
    char cc[DS_COUNTRY_LEN];
    assert_int_equal(ds_geoip_country(g, ip("10.0.0.1"), cc, &err), DS_OK);
    assert_string_equal(cc, "");
    free(addrs);
    free(es.e);
    ds_geoip_free(g);
}

static void test_geoip_country_test_dbs(void **state)
{
    check_country_db("GeoIP2-Country-Test.mmdb", "GeoIP2-Country-Test.json");
    check_country_db("GeoLite2-Country-Test.mmdb", "GeoLite2-Country-Test.json");
}

/* The City databases carry the same country record; answers as in MaxMind's City JSON. */
static void test_geoip_city_db(void **state)
{
    static const struct {
        const char *addr, *cc;
    } cases[] = {{"81.2.69.160", "GB"},  {"216.160.83.56", "US"}, {"89.160.20.112", "SE"},
                 {"175.16.199.1", "CN"}, {"2.125.160.216", "GB"}, {"67.43.156.1", "BT"}};
    const char *dbs[] = {"GeoIP2-City-Test.mmdb", "GeoLite2-City-Test.mmdb"};
    for (size_t d = 0; d < 2; d++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/test-data/%s", MMDB_TEST, dbs[d]);
        ds_geoip *g;
        ds_error err;
        assert_int_equal(ds_geoip_open(&g, path, &err), DS_OK);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            char cc[DS_COUNTRY_LEN];
            assert_int_equal(ds_geoip_country(g, ip(cases[i].addr), cc, &err), DS_OK);
            assert_string_equal(cc, cases[i].cc);
        }
        ds_geoip_free(g);
    }
}

/* The flat {country_code} layout of the ip-location-db databases, on real blocks. */
static void test_geoip_flat_layout(void **state)
{
    static const struct {
        const char *addr, *cc;
    } cases[] = {{"8.8.8.8", "US"},      {"193.0.14.129", "NL"},  {"202.12.27.33", "JP"},
                 {"198.20.69.74", "US"}, {"162.142.125.1", "US"}, {"10.0.0.1", ""}};
    const char *dbs[] = {IPLOC "/iptoasn-country/iptoasn-country-ipv4.mmdb",
                         IPLOC "/geo-whois-asn-country/geo-whois-asn-country-ipv4.mmdb"};
    for (size_t d = 0; d < 2; d++) {
        ds_geoip *g;
        ds_error err;
        assert_int_equal(ds_geoip_open(&g, dbs[d], &err), DS_OK);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            char cc[DS_COUNTRY_LEN];
            assert_int_equal(ds_geoip_country(g, ip(cases[i].addr), cc, &err), DS_OK);
            assert_string_equal(cc, cases[i].cc);
        }
        ds_geoip_free(g);
    }
}

/* A database without any country (the ASN one): every answer unknown, no error. */
static void test_geoip_no_country_field(void **state)
{
    ds_geoip *g;
    ds_error err;
    assert_int_equal(ds_geoip_open(&g, MMDB_TEST "/test-data/GeoLite2-ASN-Test.mmdb", &err), DS_OK);
    assert_string_equal(ds_geoip_database_type(g), "GeoLite2-ASN");
    char cc[DS_COUNTRY_LEN];
    assert_int_equal(ds_geoip_country(g, ip("1.0.0.1"), cc, &err), DS_OK);
    assert_string_equal(cc, "");
    ds_geoip_free(g);
}

static void test_geoip_missing_and_not_a_db(void **state)
{
    ds_geoip *g = NULL;
    ds_error err;
    const char *missing = tu_path("none.mmdb");
    assert_int_equal(ds_geoip_open(&g, missing, &err), DS_ERR_IO);
    assert_null(g);
    assert_non_null(strstr(err.msg, missing));
    assert_non_null(strstr(err.msg, ": libmaxminddb: "));
    const char *text = tu_path("text.mmdb");
    tu_write_file(text, "not a database\n", 15);
    assert_int_equal(ds_geoip_open(&g, text, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, text));
    assert_non_null(strstr(err.msg, ": libmaxminddb: "));
    tu_write_file(text, "", 0);
    assert_int_not_equal(ds_geoip_open(&g, text, &err), DS_OK);
    assert_non_null(strstr(err.msg, ": libmaxminddb: "));
}

/* try_db - open path and look up a spread of addresses: DS_OK or the first error. */
static ds_status try_db(const char *path, ds_error *err)
{
    ds_geoip *g;
    ds_status st = ds_geoip_open(&g, path, err);
    if (st != DS_OK)
        return st;
    for (uint32_t i = 0; i < 4096 && st == DS_OK; i++) {
        char cc[DS_COUNTRY_LEN];
        uint32_t addr = i < 256 ? 0x01010100u + i : (i * 0x00100f01u) ^ (i << 20);
        st = ds_geoip_country(g, addr, cc, err);
    }
    ds_geoip_free(g);
    return st;
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, list[i]) == 0)
            return true;
    }
    return false;
}

/*
 * MaxMind's broken databases: each gives an error naming the file and libmaxminddb's reason
 * when it is opened (the whole database is checked then), and none crashes (the ASan build
 * runs this too). Three files of bad-data/ are structurally valid - they exposed readers'
 * mishandling of legal edge cases (a build epoch of UINT64_MAX, an empty array or map as the
 * last metadata value) - and must simply work.
 */
static void test_geoip_broken_databases(void **state)
{
    static const char *const dirs[] = {
        MMDB_TEST "/bad-data/libmaxminddb", MMDB_TEST "/bad-data/maxminddb-golang",
        MMDB_TEST "/bad-data/maxminddb-python", MMDB_TEST "/test-data"};
    static const char *const valid_bad_data[] = {"libmaxminddb-uint64-max-epoch.mmdb",
                                                 "libmaxminddb-empty-array-last-in-metadata.mmdb",
                                                 "libmaxminddb-empty-map-last-in-metadata.mmdb"};
    static const char *const broken_test_data[] = {
        "GeoIP2-City-Test-Broken-Double-Format.mmdb", "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
        "MaxMind-DB-test-broken-pointers-24.mmdb", "MaxMind-DB-test-broken-search-tree-24.mmdb"};
    size_t bad = 0, good = 0;
    char path[1024];
    for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
        bool test_data = d == 3;
        DIR *dir = opendir(dirs[d]);
        assert_non_null(dir);
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            size_t len = strlen(de->d_name);
            if (len < 5 || strcmp(de->d_name + len - 5, ".mmdb") != 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", dirs[d], de->d_name);
            bool want_error = test_data ? in_list(de->d_name, broken_test_data, 4)
                                        : !in_list(de->d_name, valid_bad_data, 3);
            ds_geoip *g = NULL;
            ds_error err;
            ds_status st = ds_geoip_open(&g, path, &err);
            ds_geoip_free(g);
            if (want_error) {
                bad++;
                if (st == DS_OK)
                    fail_msg("%s: opened without an error", de->d_name);
                if (strstr(err.msg, path) == NULL || strstr(err.msg, ": libmaxminddb: ") == NULL)
                    fail_msg("%s: message '%s'", de->d_name, err.msg);
            } else {
                good++;
                st = try_db(path, &err);
                if (st != DS_OK)
                    fail_msg("%s: %s", de->d_name, err.msg);
            }
        }
        closedir(dir);
    }
    assert_int_equal(bad, 18 + 4);
    assert_true(good >= 3 + 30);
}

/* ---- AS ---- */

static void test_asn_mmdb_test_db(void **state)
{
    entries es = load_source("GeoLite2-ASN-Test.json", true);
    ds_asn_db *db;
    ds_error err;
    assert_int_equal(ds_asn_open(&db, MMDB_TEST "/test-data/GeoLite2-ASN-Test.mmdb", &err), DS_OK);
    assert_int_equal(ds_asn_range_count(db), 0);
    uint32_t *addrs = calloc(es.n * 3, sizeof(*addrs));
    size_t n = probes(&es, addrs), with_org = 0;
    for (size_t i = 0; i < n; i++) {
        ds_asn_info info;
        bool found;
        assert_int_equal(ds_asn_lookup(db, addrs[i], &found, &info, &err), DS_OK);
        const entry *e = expected(&es, addrs[i]);
        bool want = e != NULL && e->has_number;
        if (found != want)
            fail_msg("%08x: found %d, want %d", addrs[i], found, want);
        if (want) {
            assert_int_equal(info.number, e->number);
            assert_string_equal(info.org, e->text);
            with_org += e->text[0] != '\0';
        }
    }
    assert_true(with_org >= 3);
    free(addrs);
    free(es.e);
    ds_asn_free(db);
}

static void check_asn(const ds_asn_db *db, const char *addr, bool want_found, uint32_t number,
                      const char *org)
{
    ds_asn_info info;
    bool found;
    ds_error err;
    assert_int_equal(ds_asn_lookup(db, ip(addr), &found, &info, &err), DS_OK);
    if (found != want_found)
        fail_msg("%s: found %d", addr, found);
    if (found) {
        assert_int_equal(info.number, number);
        assert_string_equal(info.org, org);
    }
}

/* The real ip-location-db table (gzip), including its one overlap and RFC 4180 quotes. */
static void test_asn_csv_real(void **state)
{
    ds_asn_db *db;
    ds_error err;
    assert_int_equal(ds_asn_open(&db, IPLOC "/asn/asn-ipv4.csv.gz", &err), DS_OK);
    assert_true(ds_asn_range_count(db) > 400000);
    check_asn(db, "8.8.8.8", true, 15169, "Google LLC");
    check_asn(db, "8.8.1.7", true, 63405, "CANON BUSINESS PROCESS SERVICES, Inc.");
    check_asn(db, "2.26.201.1", true, 201907, "LLC \"SPUTNIK\"");
    /* 214.95.0.0-215.0.255.255 (749) holds 215.0.0.5, and so does the narrower
     * 215.0.0.0-215.1.3.255 (721): the narrower wins. */
    check_asn(db, "215.0.0.5", true, 721, "DoD Network Information Center");
    check_asn(db, "214.95.0.1", true, 749, "United States Department of Defense (DoD)");
    check_asn(db, "10.0.0.1", false, 0, NULL);
    ds_asn_free(db);
}

static const char small_csv[] = "ip_range_start,ip_range_end,asn,org\n"
                                "192.0.2.0,192.0.2.255,64500,Example Net\n"
                                "\n"
                                "2001:db8::,2001:db8::ffff,64501,IPv6 only\n"
                                "198.51.100.0,198.51.100.127,AS64502,\"Quoted, \"\"Inc.\"\"\"\r\n"
                                "3405803776,3405804031,64503,Numeric\n"
                                "198.51.100.64,198.51.100.79,64504\n";

static void check_small_csv(const char *path)
{
    ds_asn_db *db;
    ds_error err;
    if (ds_asn_open(&db, path, &err) != DS_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ds_asn_range_count(db), 4);
    check_asn(db, "192.0.2.77", true, 64500, "Example Net");
    check_asn(db, "198.51.100.1", true, 64502, "Quoted, \"Inc.\"");
    check_asn(db, "198.51.100.70", true, 64504, ""); /* narrower, no organisation */
    check_asn(db, "203.0.113.9", true, 64503, "Numeric");
    check_asn(db, "198.51.100.128", false, 0, NULL);
    ds_asn_free(db);
}

static void test_asn_csv_plain_and_gzip(void **state)
{
    const char *plain = tu_path("asn.csv");
    tu_write_file(plain, small_csv, sizeof(small_csv) - 1);
    check_small_csv(plain);
    tu_buf gz = {0};
    tu_compress("gzip", small_csv, sizeof(small_csv) - 1, &gz);
    const char *gzp = tu_path("asn.csv.gz");
    tu_write_file(gzp, gz.data, gz.len);
    check_small_csv(gzp);
    /* The content decides, not the name. */
    const char *named = tu_path("asn-gzip-named.csv");
    tu_write_file(named, gz.data, gz.len);
    check_small_csv(named);
    tu_buf_free(&gz);
}

static void expect_asn_error(const char *text, const char *want)
{
    const char *path = tu_path("bad-asn.csv");
    tu_write_file(path, text, strlen(text));
    ds_asn_db *db = NULL;
    ds_error err;
    assert_int_equal(ds_asn_open(&db, path, &err), DS_ERR_FORMAT);
    assert_null(db);
    if (strstr(err.msg, want) == NULL)
        fail_msg("'%s' lacks '%s'", err.msg, want);
}

static void test_asn_csv_errors(void **state)
{
    expect_asn_error("1.0.0.0,1.0.0.255,1,a\n1.0.1.0,1.0.0.255,2,b\n", "bad-asn.csv:2: bad range");
    expect_asn_error("1.0.0.0,1.0.0.255,x,a\n", "bad-asn.csv:1: bad AS number");
    expect_asn_error("1.0.0.0,1.0.0.255,1,\"a\n", "bad-asn.csv:1: unterminated");
    expect_asn_error("1.0.0.0,1.0.0.255,1,a\nhello\n", "bad-asn.csv:2: expected");
    expect_asn_error("1.0.0.256,1.0.0.255,1,a\n", "bad-asn.csv:1: expected");
    expect_asn_error("", "no IPv4");
    ds_asn_db *db = NULL;
    ds_error err;
    assert_int_equal(ds_asn_open(&db, tu_path("missing.csv"), &err), DS_ERR_IO);
    assert_non_null(strstr(err.msg, "missing.csv"));
    /* A broken MaxMind DB given as AS database: libmaxminddb's error. */
    assert_int_not_equal(
        ds_asn_open(&db, MMDB_TEST "/bad-data/libmaxminddb/libmaxminddb-metadata-marker-only.mmdb",
                    &err),
        DS_OK);
    assert_non_null(strstr(err.msg, "libmaxminddb"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geoip_country_test_dbs),
        cmocka_unit_test(test_geoip_city_db),
        cmocka_unit_test(test_geoip_flat_layout),
        cmocka_unit_test(test_geoip_no_country_field),
        cmocka_unit_test(test_geoip_missing_and_not_a_db),
        cmocka_unit_test(test_geoip_broken_databases),
        cmocka_unit_test(test_asn_mmdb_test_db),
        cmocka_unit_test(test_asn_csv_real),
        cmocka_unit_test(test_asn_csv_plain_and_gzip),
        cmocka_unit_test(test_asn_csv_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
