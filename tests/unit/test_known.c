/*
 * test_known.c - known-scanner lists: the real MISP warning lists and maltrail lists of
 * ../shared/data/scanners, hand-written lists in the three formats, organisation names,
 * how many of a block's hosts each organisation covers, and errors that name file and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "darkscan/darkscan.h"
#include "testutil.h"

#define MISP     DS_SHARED_DATA "/scanners/misp-warninglists"
#define MALTRAIL DS_SHARED_DATA "/scanners/maltrail"

static uint32_t ip(const char *s)
{
    uint32_t a;
    ds_error err;
    assert_int_equal(ds_parse_ipv4(s, &a, &err), DS_OK);
    return a;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

typedef struct want {
    const char *name;
    uint64_t hosts;
} want;

/* check_match - the hits for block/len with the given hosts equal want[0..n). */
static void check_match(const ds_known *k, const char *block, unsigned len,
                        const char *const *hosts, size_t n_hosts, const want *w, size_t n)
{
    uint32_t *h = calloc(n_hosts + 1, sizeof(*h));
    for (size_t i = 0; i < n_hosts; i++)
        h[i] = ip(hosts[i]);
    qsort(h, n_hosts, sizeof(*h), cmp_u32);
    uint32_t first = ip(block);
    uint32_t last = first + (uint32_t)(((uint64_t)1 << (32 - len)) - 1);
    ds_known_hit *hits;
    size_t n_hits;
    ds_error err;
    assert_int_equal(ds_known_match(k, first, last, h, n_hosts, &hits, &n_hits, &err), DS_OK);
    if (n_hits != n) {
        for (size_t i = 0; i < n_hits; i++)
            printf("  hit %s %llu\n", hits[i].name, (unsigned long long)hits[i].hosts);
        fail_msg("%s/%u: %zu hits, want %zu", block, len, n_hits, n);
    }
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(hits[i].name, w[i].name);
        assert_int_equal(hits[i].hosts, w[i].hosts);
    }
    free(hits);
    free(h);
}

static ds_known *load(const char *const *paths, size_t n)
{
    ds_known *k = ds_known_new();
    ds_error err;
    assert_non_null(k);
    for (size_t i = 0; i < n; i++) {
        if (ds_known_load_file(k, paths[i], NULL, &err) != DS_OK)
            fail_msg("%s", err.msg);
    }
    assert_int_equal(ds_known_finish(k, &err), DS_OK);
    return k;
}

/* censys-scanning.json: 13 entries, 9 IPv4 /24s and 4 IPv6 prefixes; named "censys". */
static void test_misp_censys(void **state)
{
    const char *paths[] = {MISP "/censys-scanning.json"};
    ds_known *k = load(paths, 1);
    ds_known_stats st = ds_known_get_stats(k);
    assert_int_equal(st.ranges, 9);
    assert_int_equal(st.ipv6, 4);
    assert_int_equal(st.organisations, 1);
    const char *hosts[] = {"162.142.125.7", "162.142.125.200", "162.142.1.1", "162.142.124.255"};
    const want w[] = {{"censys", 2}};
    check_match(k, "162.142.0.0", 16, hosts, 4, w, 1);
    /* The /24 alone, and a block beside it. */
    check_match(k, "162.142.125.0", 24, hosts + 0, 2, w, 1);
    check_match(k, "162.143.0.0", 16, NULL, 0, NULL, 0);
    ds_known_free(k);
}

/*
 * Shodan in three lists: two MISP lists (shodan-scanning, shodan-nt-scanning) and maltrail's
 * host-name owners (census8.shodan.io ...): one organisation, each host counted once.
 */
static void test_shodan_across_lists(void **state)
{
    const char *paths[] = {MISP "/shodan-scanning.json", MISP "/shodan-nt-scanning.json",
                           MALTRAIL "/mass_scanner.txt"};
    ds_known *k = load(paths, 3);
    const char *hosts[] = {"66.240.192.138", "66.240.205.34",  "66.240.219.146",
                           "66.240.219.173", "66.240.236.119", "66.240.1.1"};
    const want w[] = {{"shodan", 5}};
    check_match(k, "66.240.0.0", 16, hosts, 6, w, 1);
    ds_known_free(k);

    /* Only shodan-scanning.json: 3 of them. */
    k = load(paths, 1);
    const want w1[] = {{"shodan", 3}};
    check_match(k, "66.240.0.0", 16, hosts, 6, w1, 1);
    ds_known_free(k);
}

/* maltrail: owners cut to the registered domain's name; bare addresses fall back to the list. */
static void test_maltrail(void **state)
{
    const char *paths[] = {MALTRAIL "/mass_scanner.txt"};
    ds_known *k = load(paths, 1);
    ds_known_stats st = ds_known_get_stats(k);
    assert_true(st.ranges > 15000);
    assert_true(st.ipv6 > 0);
    const char *colostate[] = {"129.82.138.12", "129.82.138.31", "129.82.138.13"};
    const want w[] = {{"colostate", 2}};
    check_match(k, "129.82.0.0", 16, colostate, 3, w, 1);
    /* "178.79.181.200" has no owner: the list's name. */
    const char *bare[] = {"178.79.181.200"};
    const want wb[] = {{"mass_scanner", 1}};
    check_match(k, "178.79.181.200", 32, bare, 1, wb, 1);
    /* "216.117.2.180  # shodan.io (parking)": the host name before the note. */
    const char *parking[] = {"216.117.2.180"};
    const want wp[] = {{"shodan", 1}};
    check_match(k, "216.117.2.0", 24, parking, 1, wp, 1);
    /* "185.216.140.180 # NYU Osiris Laboratory": not a host name, kept as written; the
     * tab-separated openportstats lines in the same /24. */
    const char *nyu[] = {"185.216.140.180", "185.216.140.249", "185.216.140.185"};
    const want wn[] = {{"openportstats", 2}, {"NYU Osiris Laboratory", 1}};
    check_match(k, "185.216.140.0", 24, nyu, 3, wn, 2);
    ds_known_free(k);

    /* The /24 list: the organisation covers hosts it never listed one by one. */
    const char *cidr_paths[] = {MALTRAIL "/mass_scanner_cidr.txt"};
    k = load(cidr_paths, 1);
    const want wc[] = {{"colostate", 3}};
    check_match(k, "129.82.0.0", 16, colostate, 3, wc, 1);
    ds_known_free(k);
}

/* Every real list at once: loads, and names the MISP lists after their files. */
static void test_all_real_lists(void **state)
{
    ds_known *k = ds_known_new();
    ds_error err;
    DIR *dir = opendir(MISP);
    assert_non_null(dir);
    struct dirent *de;
    size_t files = 0;
    char path[1024];
    while ((de = readdir(dir)) != NULL) {
        if (strstr(de->d_name, ".json") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", MISP, de->d_name);
        if (ds_known_load_file(k, path, NULL, &err) != DS_OK)
            fail_msg("%s", err.msg);
        files++;
    }
    closedir(dir);
    assert_int_equal(files, 34);
    assert_int_equal(ds_known_load_file(k, MALTRAIL "/mass_scanner.txt", NULL, &err), DS_OK);
    assert_int_equal(ds_known_load_file(k, MALTRAIL "/mass_scanner_cidr.txt", NULL, &err), DS_OK);
    assert_int_equal(ds_known_finish(k, &err), DS_OK);
    ds_known_stats st = ds_known_get_stats(k);
    assert_true(st.ranges > 20000);
    /* shadowserver.json and shadowserver-nt-scanning.json are one organisation. */
    const char *censys[] = {"162.142.125.7"};
    uint32_t h = ip(censys[0]);
    ds_known_hit *hits;
    size_t n;
    assert_int_equal(
        ds_known_match(k, ip("162.142.0.0"), ip("162.142.255.255"), &h, 1, &hits, &n, &err), DS_OK);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= strcmp(hits[i].name, "censys") == 0 && hits[i].hosts == 1;
    assert_true(found);
    free(hits);
    ds_known_free(k);
}

static ds_known *load_text(const char *name, const char *text)
{
    const char *path = tu_path(name);
    tu_write_file(path, text, strlen(text));
    const char *paths[] = {path};
    return load(paths, 1);
}

/* Plain `CIDR [name]` lines, comments, host bits, IPv6, CRLF. */
static void test_cidr_lines(void **state)
{
    ds_known *k = load_text("lab-scanners.txt", "# our own list\r\n"
                                                "192.0.2.0/25 Example Research\r\n"
                                                "192.0.2.200/29\n"
                                                "# a comment line\n"
                                                "   \n"
                                                "192.0.2.77/24 Wide Net # host bits ignored\n"
                                                "2001:db8::/32 IPv6 Lab\n"
                                                "198.51.100.7\n");
    ds_known_stats st = ds_known_get_stats(k);
    assert_int_equal(st.ranges, 4);
    assert_int_equal(st.ipv6, 1);
    const char *hosts[] = {"192.0.2.1", "192.0.2.126", "192.0.2.130", "192.0.2.201"};
    /* 192.0.2.0/24 "Wide Net" holds all four; "Example Research" the first two; the /29 has
     * no name, so the list's ("lab" from lab-scanners.txt). */
    const want w[] = {{"Wide Net", 4}, {"Example Research", 2}, {"lab", 1}};
    check_match(k, "192.0.0.0", 16, hosts, 4, w, 3);
    const char *one[] = {"198.51.100.7"};
    const want w1[] = {{"lab", 1}};
    check_match(k, "198.51.100.0", 24, one, 1, w1, 1);
    /* A range meeting the block but none of its hosts: listed with 0. */
    const char *other[] = {"198.51.100.9"};
    const want w0[] = {{"lab", 0}};
    check_match(k, "198.51.100.0", 24, other, 1, w0, 1);
    ds_known_free(k);
}

/* One organisation in overlapping ranges: each host once. A MISP file as lists/x/list.json. */
static void test_overlaps_and_misp_folder(void **state)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/acme-scanning", tu_tmpdir());
    mkdir(dir, 0700);
    char path[600];
    snprintf(path, sizeof(path), "%s/list.json", dir);
    const char *json = "{\"name\": \"ACME\", \"type\": \"cidr\", \"list\": [\"203.0.113.0/24\", "
                       "\"203.0.113.0/26\", \"203.0.113.64/26\", \"203.0.113.5\", "
                       "\"2001:db8::1\"]}";
    tu_write_file(path, json, strlen(json));
    const char *paths[] = {path};
    ds_known *k = load(paths, 1);
    const char *hosts[] = {"203.0.113.5", "203.0.113.70", "203.0.113.250"};
    const want w[] = {{"acme", 3}};
    check_match(k, "203.0.0.0", 16, hosts, 3, w, 1);
    ds_known_free(k);
}

static void expect_error(const char *name, const char *text, const char *want_msg)
{
    const char *path = tu_path(name);
    tu_write_file(path, text, strlen(text));
    ds_known *k = ds_known_new();
    ds_error err;
    assert_int_equal(ds_known_load_file(k, path, NULL, &err), DS_ERR_FORMAT);
    if (strstr(err.msg, want_msg) == NULL)
        fail_msg("'%s' lacks '%s'", err.msg, want_msg);
    ds_known_free(k);
}

static void on_warn(void *ctx, const char *msg)
{
    tu_buf *b = ctx;
    tu_buf_put(b, msg, strlen(msg));
    tu_buf_put(b, "\n", 1);
}

/* A bad entry among good ones (maltrail's real list has "C91.196.152.28"): skipped, warned. */
static void test_bad_entries_skipped(void **state)
{
    const char *path = tu_path("typo.txt");
    const char *text = "192.0.2.1 # a.example.org\nC192.0.2.2 # a.example.org\n"
                       "192.0.2.3 # a.example.org\n";
    tu_write_file(path, text, strlen(text));
    tu_buf warnings = {0};
    ds_diag diag = {on_warn, &warnings};
    ds_known *k = ds_known_new();
    ds_error err;
    assert_int_equal(ds_known_load_file(k, path, &diag, &err), DS_OK);
    assert_int_equal(ds_known_finish(k, &err), DS_OK);
    ds_known_stats st = ds_known_get_stats(k);
    assert_int_equal(st.ranges, 2);
    assert_int_equal(st.skipped, 1);
    tu_buf_u8(&warnings, 0);
    assert_non_null(strstr((char *)warnings.data, "typo.txt:2: 'C192.0.2.2' is not"));
    assert_non_null(strstr((char *)warnings.data, "(skipped)"));
    const char *hosts[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3"};
    const want w[] = {{"example", 2}};
    check_match(k, "192.0.2.0", 24, hosts, 3, w, 1);
    ds_known_free(k);
    tu_buf_free(&warnings);

    /* The real maltrail list has exactly such a line: loads, with one entry skipped. */
    k = ds_known_new();
    assert_int_equal(ds_known_load_file(k, MALTRAIL "/mass_scanner.txt", NULL, &err), DS_OK);
    assert_int_equal(ds_known_get_stats(k).skipped, 3); /* C91.196.152.28 and two more */
    ds_known_free(k);
}

static void test_errors(void **state)
{
    expect_error("a.txt", "# nothing usable\nscanner.example.com\n",
                 "a.txt:2: 'scanner.example.com' is not");
    expect_error("b.txt", "192.0.2.0/33\n", "b.txt:1: '192.0.2.0/33'");
    expect_error("c.txt", "192.0.2.256\n", "c.txt:1:");
    expect_error("d.json", "{\"name\": \"x\"}", "no \"list\" array");
    expect_error("e.json", "{\"type\": \"hostname\", \"list\": [\"example.com\"]}",
                 "of type \"hostname\"");
    expect_error("f.json", "{\"list\": [7, \"x\"]}", "f.json:1:11: not an IPv4");
    expect_error("g.json", "{\"list\": [\"192.0.2.1\",]}", "g.json:1:");
    ds_known *k = ds_known_new();
    ds_error err;
    assert_int_equal(ds_known_load_file(k, tu_path("missing.txt"), NULL, &err), DS_ERR_IO);
    assert_non_null(strstr(err.msg, "missing.txt"));
    ds_known_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_misp_censys),
        cmocka_unit_test(test_shodan_across_lists),
        cmocka_unit_test(test_maltrail),
        cmocka_unit_test(test_all_real_lists),
        cmocka_unit_test(test_cidr_lines),
        cmocka_unit_test(test_overlaps_and_misp_folder),
        cmocka_unit_test(test_bad_entries_skipped),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
