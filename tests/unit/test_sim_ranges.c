/*
 * test_sim_ranges.c - the simulator's real source ranges (lib/simulate/ranges.c), checked
 * against the data they claim to come from:
 *   - the country of every entry's top /24 in the real country database (libmaxminddb on
 *     ../shared/data's iptoasn-country and on the copy shipped in data/geoip/);
 *   - its AS number and organisation in the shipped AS table (data/asn/asn-ipv4-demo.csv);
 *   - for documented organisations, every host CIDR inside the named scanner list
 *     (data/scanners/misp/NAME.json, or every address listed in maltrail's mass_scanner.txt);
 *   - the countries of the planned Table 3 blocks, and the hosts the plans draw.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulate/plan.h"
#include "simulate/ranges.h"
#include "testutil.h"

#define SHARED_COUNTRY_DB                                                                          \
    DS_SHARED_DATA "/mmdb/ip-location-db/iptoasn-country/iptoasn-country-ipv4.mmdb"
#define SHIPPED_COUNTRY_DB DS_SOURCE_DIR "/data/geoip/iptoasn-country-ipv4.mmdb"
#define SHIPPED_ASN_CSV    DS_SOURCE_DIR "/data/asn/asn-ipv4-demo.csv"

typedef struct cidr {
    uint32_t addr;
    unsigned len;
} cidr;

static bool parse_cidr(const char *text, size_t n, cidr *out)
{
    char buf[48];
    unsigned a, b, c, d, len = 32;
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, text, n);
    buf[n] = '\0';
    if (strchr(buf, ':') != NULL)
        return false; /* IPv6 */
    if (sscanf(buf, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &len) < 4 || len > 32)
        return false;
    out->addr = a << 24 | b << 16 | c << 8 | d;
    out->len = len;
    return true;
}

static uint64_t cidr_size(cidr c)
{
    return (uint64_t)1 << (32 - c.len);
}

static bool inside(cidr in, cidr out)
{
    return in.len >= out.len &&
           ((uint64_t)in.addr >> (32 - out.len)) == ((uint64_t)out.addr >> (32 - out.len));
}

/* The host CIDRs of a range. */
static size_t host_cidrs(const ds_sim_range *r, cidr *out, size_t max)
{
    size_t n = 0;
    for (const char *p = r->hosts; *p != '\0' && n < max;) {
        size_t len = strcspn(p, ",");
        assert_true(parse_cidr(p, len, &out[n]));
        n++;
        p += len;
        if (*p == ',')
            p++;
    }
    return n;
}

static void country_of(MMDB_s *db, uint32_t addr, char *out)
{
    char ip[16];
    snprintf(ip, sizeof(ip), "%u.%u.%u.%u", addr >> 24, addr >> 16 & 255, addr >> 8 & 255,
             addr & 255);
    int gai = 0, mmdb_err = 0;
    MMDB_lookup_result_s res = MMDB_lookup_string(db, ip, &gai, &mmdb_err);
    assert_int_equal(gai, 0);
    assert_int_equal(mmdb_err, MMDB_SUCCESS);
    out[0] = '\0';
    if (!res.found_entry)
        return;
    MMDB_entry_data_s data;
    if (MMDB_get_value(&res.entry, &data, "country_code", NULL) == MMDB_SUCCESS && data.has_data &&
        data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size < 8) {
        memcpy(out, data.utf8_string, data.data_size);
        out[data.data_size] = '\0';
    }
}

/* Every entry's top /24 (first host CIDR) is in its country, in both databases. */
static void test_countries(void **state)
{
    MMDB_s shared, shipped;
    assert_int_equal(MMDB_open(SHARED_COUNTRY_DB, MMDB_MODE_MMAP, &shared), MMDB_SUCCESS);
    assert_int_equal(MMDB_open(SHIPPED_COUNTRY_DB, MMDB_MODE_MMAP, &shipped), MMDB_SUCCESS);
    for (size_t i = 0; i < ds_sim_ranges_count; i++) {
        const ds_sim_range *r = &ds_sim_ranges[i];
        cidr c[64];
        size_t n = host_cidrs(r, c, 64);
        assert_true(n > 0);
        char a[8], b[8];
        country_of(&shared, c[0].addr & 0xffffff00u, a);
        country_of(&shipped, c[0].addr & 0xffffff00u, b);
        if (strcmp(a, r->country) != 0)
            fail_msg("%s: %s is in '%s', not %s", r->name, r->hosts, a, r->country);
        assert_string_equal(a, b);
        /* all hosts in one /16 */
        for (size_t k = 1; k < n; k++)
            assert_true(c[k].addr >> 16 == c[0].addr >> 16);
    }
    MMDB_close(&shared);
    MMDB_close(&shipped);
}

/* One field of a CSV line (RFC 4180 quotes) into out; returns the rest of the line. */
static const char *csv_field(const char *p, char *out, size_t max)
{
    size_t n = 0;
    if (*p == '"') {
        p++;
        while (*p != '\0' && !(*p == '"' && p[1] != '"')) {
            if (*p == '"')
                p++;
            if (n + 1 < max)
                out[n++] = *p;
            p++;
        }
        if (*p == '"')
            p++;
    } else {
        while (*p != '\0' && *p != ',' && *p != '\n') {
            if (n + 1 < max)
                out[n++] = *p;
            p++;
        }
    }
    out[n] = '\0';
    return *p == ',' ? p + 1 : p;
}

static uint32_t ip_of(const char *s)
{
    cidr c;
    assert_true(parse_cidr(s, strlen(s), &c));
    return c.addr;
}

/* The AS column is what the shipped AS table says of the first host. */
static void test_asn(void **state)
{
    size_t len;
    char *csv = tu_read_file(SHIPPED_ASN_CSV, &len);
    for (size_t i = 0; i < ds_sim_ranges_count; i++) {
        const ds_sim_range *r = &ds_sim_ranges[i];
        cidr c[64];
        host_cidrs(r, c, 64);
        bool found = false;
        for (const char *line = csv; *line != '\0' && !found;) {
            char start[32], end[32], asn[32], org[256];
            const char *p = csv_field(line, start, sizeof(start));
            p = csv_field(p, end, sizeof(end));
            p = csv_field(p, asn, sizeof(asn));
            p = csv_field(p, org, sizeof(org));
            if (ip_of(start) <= c[0].addr && c[0].addr <= ip_of(end)) {
                char want[300];
                snprintf(want, sizeof(want), "AS%s %s", asn, org);
                if (strcmp(want, r->asn) != 0)
                    fail_msg("%s: the AS table says '%s', the range '%s'", r->name, want, r->asn);
                found = true;
            }
            const char *nl = strchr(p, '\n');
            line = nl ? nl + 1 : p + strlen(p);
        }
        if (!found)
            fail_msg("%s: %s is not in %s", r->name, r->hosts, SHIPPED_ASN_CSV);
    }
    free(csv);
}

/* Documented organisations' hosts lie in the list they name. */
static void test_lists(void **state)
{
    size_t documented = 0;
    for (size_t i = 0; i < ds_sim_ranges_count; i++) {
        const ds_sim_range *r = &ds_sim_ranges[i];
        cidr c[64];
        size_t n = host_cidrs(r, c, 64);
        char path[512];
        if (strncmp(r->source, "misp:", 5) == 0) {
            documented++;
            snprintf(path, sizeof(path), "%s/data/scanners/misp/%s.json", DS_SOURCE_DIR,
                     r->source + 5);
            ds_jval *root = NULL;
            ds_error err;
            if (ds_jval_parse_file(path, &root, &err) != DS_OK)
                fail_msg("%s", err.msg);
            const ds_jval *list = ds_jval_get(root, "list");
            for (size_t k = 0; k < n; k++) {
                bool in = false;
                for (size_t e = 0; e < ds_jval_array_len(list) && !in; e++) {
                    size_t slen;
                    const char *s = ds_jval_string(ds_jval_array_at(list, e), &slen);
                    cidr l;
                    in = s != NULL && parse_cidr(s, slen, &l) && inside(c[k], l);
                }
                if (!in)
                    fail_msg("%s: host CIDR %zu is not in %s", r->name, k, path);
            }
            ds_jval_free(root);
        } else if (strcmp(r->source, "maltrail:mass_scanner") == 0) {
            documented++;
            snprintf(path, sizeof(path), "%s/data/scanners/maltrail/mass_scanner.txt",
                     DS_SOURCE_DIR);
            char *text = tu_read_file(path, NULL);
            for (size_t k = 0; k < n; k++) {
                for (uint64_t a = 0; a < cidr_size(c[k]); a++) {
                    uint32_t addr = c[k].addr + (uint32_t)a;
                    char line[24];
                    snprintf(line, sizeof(line), "\n%u.%u.%u.%u ", addr >> 24, addr >> 16 & 255,
                             addr >> 8 & 255, addr & 255);
                    if (strstr(text, line) == NULL)
                        fail_msg("%s: %s is not in %s", r->name, line + 1, path);
                }
            }
            free(text);
        } else {
            assert_string_equal(r->source, "hosting");
            assert_string_equal(r->owner, "undisclosed");
        }
    }
    assert_true(documented >= 8);
}

/* The planned blocks: Table 3's countries, hosts inside their ranges, the top /24 first. */
static void test_plans(void **state)
{
    const char *const names[] = {"paper", "modern", "small"};
    for (size_t s = 0; s < 3; s++) {
        sim_plan plan;
        ds_error err;
        const ds_sim_scenario *sc = ds_sim_scenario_find(names[s]);
        assert_non_null(sc);
        assert_int_equal(ds_sim_plan_build(&plan, sc, 1, sc->default_scale, &err), DS_OK);
        for (size_t i = 0; i < plan.n_actors; i++) {
            const sim_actor *a = &plan.actors[i];
            if (a->paper != NULL)
                assert_string_equal(a->paper->country, a->range->country);
            if (a->range == NULL)
                continue;
            cidr c[64];
            size_t n = host_cidrs(a->range, c, 64);
            assert_true(a->n_hosts >= 1);
            for (uint32_t h = 0; h < a->n_hosts; h++) {
                bool in = false;
                for (size_t k = 0; k < n; k++)
                    in |= inside((cidr){a->hosts[h], 32}, c[k]);
                assert_true(in);
            }
            assert_true(a->hosts[0] >> 8 == c[0].addr >> 8);
        }
        ds_sim_plan_free(&plan);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_countries),
        cmocka_unit_test(test_asn),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_plans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
