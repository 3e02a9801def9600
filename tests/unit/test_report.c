/*
 * test_report.c - the HTML report (report.h): every string from the results is escaped, the
 * figures have one mark per country, block and port run, optional keys may be missing, an
 * empty result still makes a page, documents that are not results are refused with where and
 * why, big port sets stay small on the page, and the CSP hash of the script is SHA-256.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "darkscan/darkscan.h"
#include "util/sha256.h"
#include "testutil.h"

/* render - the report of a JSON text; NULL (and *st) when ds_report_write refuses it. */
static char *render_st(const char *json, ds_status *st, ds_error *err)
{
    ds_jval *root = NULL;
    assert_int_equal(ds_jval_parse(json, strlen(json), "t.json", &root, err), DS_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ds_report_options opt;
    ds_report_options_default(&opt);
    opt.name = "t.json";
    *st = ds_report_write(root, f, &opt, err);
    assert_int_equal(fclose(f), 0);
    ds_jval_free(root);
    if (*st != DS_OK) {
        free(text);
        return NULL;
    }
    return text;
}

static char *render(const char *json)
{
    ds_status st;
    ds_error err;
    char *text = render_st(json, &st, &err);
    if (st != DS_OK)
        fail_msg("ds_report_write: %s", err.msg);
    return text;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* section - a copy of the element that starts with `start` up to the next `end`. */
static char *section(const char *page, const char *start, const char *end)
{
    const char *a = strstr(page, start);
    assert_non_null(a);
    const char *b = strstr(a, end);
    assert_non_null(b);
    size_t len = (size_t)(b - a) + strlen(end);
    char *s = malloc(len + 1);
    memcpy(s, a, len);
    s[len] = '\0';
    return s;
}

/* sum_attr - the sum of the numeric values of attr="N" in text. */
static unsigned long sum_attr(const char *text, const char *attr)
{
    char pat[64];
    snprintf(pat, sizeof(pat), " %s=\"", attr);
    unsigned long sum = 0;
    for (const char *p = strstr(text, pat); p != NULL; p = strstr(p + 1, pat))
        sum += strtoul(p + strlen(pat), NULL, 10);
    return sum;
}

static void test_sha256_and_csp_hash(void **state)
{
    uint8_t d[32];
    ds_sha256_buf("abc", 3, d);
    static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    assert_memory_equal(d, abc, 32);
    /* two blocks: 56 bytes need a second block for the length */
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ds_sha256_buf(two, strlen(two), d);
    assert_int_equal(d[0], 0x24);
    assert_int_equal(d[1], 0x8d);
    assert_int_equal(d[31], 0xc1);
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    ds_sha256_buf(million, 1000000, d);
    assert_int_equal(d[0], 0xcd);
    assert_int_equal(d[1], 0xc7);
    assert_int_equal(d[31], 0xd0);
    free(million);
    char h[DS_CSP_HASH_LEN];
    assert_string_equal(ds_csp_hash("", 0, h),
                        "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    assert_string_equal(ds_csp_hash("abc", 3, h),
                        "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

static const char *hostile =
    "{\"tool\":\"darkscan\",\"version\":\"<script>v</script>\","
    "\"params\":{\"window\":\"month<script>\"},"
    "\"darknet\":{\"size\":4,\"sensors\":[{\"name\":\"<img src=x onerror=alert(1)>\","
    "\"size\":4}]},"
    "\"windows\":[{\"label\":\"2018-07\",\"syn_packets\":10,\"complete\":true},"
    "{\"label\":\"2018-08<script>\",\"syn_packets\":10,\"complete\":false,\"max_gap\":0.5}],"
    "\"networks\":[{\"block\":\"1.2.0.0/16\\\"><script>alert(0)</script>\","
    "\"category\":\"<b>routine</b>\",\"jaccard_median\":1,\"simpson_median\":1,"
    "\"first_window\":\"2018-07\",\"last_window\":\"2018-08<script>\","
    "\"scan_windows\":[\"2018-07\",\"2018-08<script>\"],"
    "\"port_sets\":{\"2018-07\":[22],\"2018-08<script>\":[22]},"
    "\"country\":\"<script>alert(2)</script>\","
    "\"asn\":{\"number\":1,\"org\":\"<script>alert(3)</script> & 'q' \\\"Q\\\"\"},"
    "\"known_scanners\":[{\"name\":\"</td><script>alert(4)</script>\",\"hosts\":1}],"
    "\"fingerprints\":{\"<script>zmap\":0.5},"
    "\"hosts\":[{\"addr\":\"<script>alert(5)</script>\",\"syn_packets\":1,\"ports_max\":1}],"
    "\"subnets\":[{\"prefix\":\"<script>alert(6)</script>\",\"syn_packets\":1,\"hosts\":1}],"
    "\"app_scan\":{\"window\":\"<script>\",\"ports\":1,\"app_ports\":1,\"ratio\":1},"
    "\"documented\":true,\"evidence\":{\"url\":\"javascript:alert(7)\",\"text\":\"<script>\"},"
    "\"top24\":\"\\u0007\\u009f<script>\"}],"
    "\"top_ports\":[{\"port\":22,\"service\":\"<script>alert(8)</script>\",\"frequency\":1}]}";

static void test_every_input_string_is_escaped(void **state)
{
    char *page = render(hostile);
    /* our own script is the only one; no input opens an element */
    assert_int_equal(count_of(page, "<script"), 1);
    assert_int_equal(count_of(page, "</script>"), 1);
    assert_null(strstr(page, "<img"));
    assert_null(strstr(page, "<b>routine"));
    assert_null(strstr(page, "</td><script"));
    assert_null(strstr(page, "javascript:alert(7)\""));
    assert_null(strstr(page, "href=\"javascript"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(3)&lt;/script&gt; &amp; &#39;q&#39; "
                                 "&quot;Q&quot;"));
    assert_non_null(strstr(page, "&lt;/td&gt;&lt;script&gt;alert(4)&lt;/script&gt; (1 host)"));
    assert_non_null(strstr(page, "&lt;img src=x onerror=alert(1)&gt;"));
    /* controls became U+FFFD */
    assert_null(strchr(page, '\a'));
    assert_non_null(strstr(page, "\xEF\xBF\xBD\xEF\xBF\xBD&lt;script&gt;"));
    /* the block's anchor keeps letters and digits only */
    assert_non_null(strstr(page, "id=\"block-1-2-0-0-16-script-alert-0-script\""));
    /* the page is whole */
    const char *tail = "</body>\n</html>\n";
    assert_string_equal(page + strlen(page) - strlen(tail), tail);
    free(page);
}

static void test_content_security_policy(void **state)
{
    char *page = render("{\"networks\":[]}");
    const char *csp = strstr(page, "Content-Security-Policy\" content=\"default-src 'none'; "
                                   "script-src 'sha256-");
    assert_non_null(csp);
    /* the hash in the policy is that of the script in the page */
    const char *s0 = strstr(page, "<script>") + 8, *s1 = strstr(page, "</script>");
    char hash[DS_CSP_HASH_LEN];
    ds_csp_hash(s0, (size_t)(s1 - s0), hash);
    assert_non_null(strstr(csp, hash));
    /* no request of any kind: no src attribute, no external URL but the SVG namespace */
    assert_null(strstr(page, " src="));
    assert_null(strstr(page, "https://"));
    assert_int_equal(count_of(page, "http://"),
                     count_of(page, "xmlns=\"http://www.w3.org/2000/svg\""));
    free(page);
}

static const char *three =
    "{\"params\":{\"min_ports\":3},"
    "\"windows\":[{\"label\":\"2018-07\"},{\"label\":\"2018-08\"},{\"label\":\"2018-09\"}],"
    "\"networks\":["
    "{\"block\":\"1.1.0.0/16\",\"category\":\"routine\",\"jaccard_median\":1,"
    "\"simpson_median\":1,\"country\":\"US\",\"port_sets\":{\"2018-07\":[22,23,24,80],"
    "\"2018-09\":[80,23,22]}},"
    "{\"block\":\"2.2.0.0/16\",\"category\":\"ad-hoc\",\"jaccard_median\":0.1,"
    "\"simpson_median\":0.2,\"country\":\"US\",\"port_sets\":{\"2018-08\":[1,3,5,60000]}},"
    "{\"block\":\"3.3.0.0/16\",\"category\":\"semi-routine\",\"jaccard_median\":0.5,"
    "\"simpson_median\":0.9,\"country\":null,\"port_sets\":{\"2018-07\":[443]}}],"
    "\"top_ports\":[{\"port\":22,\"frequency\":0.5},{\"port\":80,\"frequency\":0.5}]}";

static void test_mark_counts(void **state)
{
    char *page = render(three);
    char *fig1 = section(page, "<section id=\"fig1\">", "</section>");
    assert_int_equal(count_of(fig1, "data-mark=\"bar\""), 2); /* US and unknown */
    assert_non_null(strstr(fig1, "data-country=\"US\""));
    assert_non_null(strstr(fig1, "US: 2 blocks"));
    char *fig2 = section(page, "<section id=\"fig2\">", "</section>");
    assert_int_equal(count_of(fig2, "data-mark=\"point\""), 3);
    assert_int_equal(count_of(fig2, "data-mark=\"region\""), 3);
    assert_int_equal(count_of(fig2, "<a href=\"#block-"), 3);
    assert_non_null(strstr(fig2, "<a href=\"#block-2-2-0-0-16\">"));
    char *t3 = section(page, "<table id=\"networks\"", "</table>");
    assert_int_equal(count_of(t3, "<tr data-category="), 3);
    assert_non_null(strstr(t3, "<th>Country</th>"));
    assert_null(strstr(t3, "<th>AS</th>")); /* no block has asn: no column */
    free(fig1);
    free(fig2);
    free(t3);

    /* block a: 2018-07 {22,23,24,80} is two runs, 2018-09 (unsorted in the file) the same */
    char *a = section(page, "<article class=\"block\" id=\"block-1-1-0-0-16\"", "</article>");
    char *ports = section(a, "<figure class=\"ports\">", "</figure>");
    assert_int_equal(count_of(ports, "data-mark=\"cell\""), 4);
    assert_int_equal(sum_attr(ports, "data-runs"), 4);
    assert_int_equal(sum_attr(ports, "data-ports"), 7 + 7); /* cells, then the <g> totals */
    assert_non_null(strstr(ports, "2018-07: ports 22\xE2\x80\x93"
                                  "24 (3)"));
    assert_non_null(strstr(ports, "2018-07: port 80 (http)"));
    char *sizes = section(a, "<figure class=\"sizes\">", "</figure>");
    assert_int_equal(count_of(sizes, "data-mark=\"bar\""), 2);
    free(ports);
    free(sizes);
    free(a);
    char *b = section(page, "<article class=\"block\" id=\"block-2-2-0-0-16\"", "</article>");
    ports = section(b, "<figure class=\"ports\">", "</figure>");
    assert_int_equal(sum_attr(ports, "data-runs"), 4);
    assert_true(count_of(ports, "data-mark=\"cell\"") >= 2); /* 1, 3, 5 may merge; 60000 not */
    free(ports);
    free(b);
    char *t2 = section(page, "<section id=\"table2\">", "</section>");
    assert_int_equal(count_of(t2, "<tr><td class=\"num\""), 2);
    free(t2);
    free(page);
}

static void test_missing_optional_keys(void **state)
{
    /* only the block: every figure still renders, unknowns show a dash */
    char *page = render("{\"networks\":[{\"block\":\"9.9.0.0/16\"}]}");
    assert_non_null(strstr(page, "id=\"block-9-9-0-0-16\""));
    assert_non_null(strstr(page, "The results have no countries"));
    assert_non_null(strstr(page, "Not drawn (no medians in the results): 9.9.0.0/16"));
    assert_non_null(strstr(page, "The results have no port sets for this block."));
    assert_non_null(strstr(page, "Per-host and per-/24 detail is not in these results"));
    assert_non_null(strstr(page, "The results have no top_ports."));
    assert_null(strstr(page, "id=\"sweep\""));
    assert_null(strstr(page, "id=\"table4\""));
    char *t3 = section(page, "<table id=\"networks\"", "</table>");
    assert_null(strstr(t3, "<th>Country</th>"));
    assert_null(strstr(t3, "<th>Disclosure</th>"));
    assert_true(count_of(t3, "class=\"unknown\"") >= 6);
    free(t3);
    free(page);

    /* keys present on one block only: columns appear, the other block shows dashes */
    page = render("{\"networks\":[{\"block\":\"1.0.0.0/16\",\"documented\":false,"
                  "\"app_scan\":{\"ratio\":0.5,\"ports\":2,\"app_ports\":1}},"
                  "{\"block\":\"2.0.0.0/16\",\"documented\":null,\"app_scan\":null}],"
                  "\"honeypot\":{\"addresses\":31,\"quorum\":16,\"sessions\":1200,"
                  "\"windows\":[\"2019-07\",\"<b>\"]}}");
    t3 = section(page, "<table id=\"networks\"", "</table>");
    assert_non_null(strstr(t3, "<th>Disclosure</th>"));
    assert_non_null(strstr(t3, ">no</td>"));
    assert_non_null(strstr(t3, "title=\"1 of 2 ports\">50.0%</td>"));
    char *t4 = section(page, "<section id=\"table4\">", "</section>");
    assert_int_equal(count_of(t4, "<tr><td class=\"ref\""), 1);
    assert_non_null(strstr(t4, "1 of 2 blocks"));
    assert_non_null(strstr(t4, "The honeypot: 31 addresses, a port counts with sessions on 16; "
                               "1,200 sessions in 2019-07, &lt;b&gt;."));
    free(t4);
    free(t3);
    free(page);
}

static void test_empty_result(void **state)
{
    char *page = render("{\"tool\":\"darkscan\",\"networks\":[],\"top_ports\":[],"
                        "\"windows\":[{\"label\":\"2019-01\",\"syn_packets\":0,"
                        "\"complete\":false,\"max_gap\":1}]}");
    assert_int_equal(count_of(page, "No constant Internet-wide scanner blocks."), 4);
    assert_null(strstr(page, "data-mark=\"point\""));
    assert_null(strstr(page, "data-mark=\"cell\""));
    assert_non_null(strstr(page, "No routine or semi-routine blocks"));
    assert_non_null(strstr(page, "2019-01 (gap 100.0%)"));
    assert_int_equal(count_of(page, "<section"), count_of(page, "</section>"));
    assert_int_equal(count_of(page, "<svg"), count_of(page, "</svg>"));
    free(page);
}

static void expect_refused(const char *json, const char *msg)
{
    ds_status st;
    ds_error err;
    char *page = render_st(json, &st, &err);
    assert_null(page);
    assert_int_equal(st, DS_ERR_FORMAT);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, msg);
}

static void test_not_results(void **state)
{
    expect_refused("[1,2]", "t.json:1:1: the top level is an array, not an object");
    expect_refused("{\"tool\":\"x\"}", "t.json:1:1: no \"networks\" array");
    expect_refused("{\"networks\":{}}", "t.json:1:13: networks: expected an array, found an "
                                        "object");
    expect_refused("{\"networks\":[1]}", "t.json:1:14: networks[0]: expected an object");
    expect_refused("{\"networks\":[{}]}", "networks[0]: \"block\" is missing");
    expect_refused("{\"networks\":[\n{\"block\":\"1.0.0.0/16\",\n\"port_sets\":[]}]}",
                   "t.json:3:13: networks[0].port_sets: expected an object, found an array");
    expect_refused("{\"networks\":[{\"block\":\"1.0.0.0/16\",\"port_sets\":{\"w\":[22,65536]}}]}",
                   "networks[0].port_sets.w[1]: not a port number");
    expect_refused("{\"networks\":[{\"block\":\"1.0.0.0/16\",\"ports_max\":\"many\"}]}",
                   "networks[0].ports_max: expected a number, found a string");
    expect_refused("{\"windows\":[{\"label\":\"a\"}],\"networks\":[{\"block\":\"1.0.0.0/16\","
                   "\"port_sets\":{\"b\":[1]}}]}",
                   "networks[0].port_sets: window \"b\" is not in \"windows\"");
    expect_refused("{\"windows\":[{}],\"networks\":[]}", "windows[0]: \"label\" is missing");
    expect_refused("{\"networks\":[],\"top_ports\":[{\"port\":-1}]}",
                   "top_ports[0].port: not a port number");
    expect_refused("{\"networks\":[],\"sweep\":{}}", "sweep: expected an array");
}

static void test_big_port_sets_stay_small(void **state)
{
    /* 12 windows of 10,000 ports spread over 1..65535: 120,000 ports, a few hundred marks */
    size_t cap = 2 * 1024 * 1024, len = 0;
    char *json = malloc(cap);
    len += (size_t)snprintf(json + len, cap - len,
                            "{\"networks\":[{\"block\":\"7.7.0.0/16\","
                            "\"port_sets\":{");
    for (int w = 0; w < 12; w++) {
        len += (size_t)snprintf(json + len, cap - len, "%s\"2019-%02d\":[", w ? "," : "", w + 1);
        for (int k = 0; k < 10000; k++)
            len += (size_t)snprintf(json + len, cap - len, "%s%d", k ? "," : "",
                                    1 + (k * 6553 + w) % 65535 / 1 * 1);
        len += (size_t)snprintf(json + len, cap - len, "]");
    }
    snprintf(json + len, cap - len, "}}]}");
    char *page = render(json);
    char *ports = section(page, "<figure class=\"ports\">", "</figure>");
    size_t cells = count_of(ports, "data-mark=\"cell\"");
    assert_true(cells >= 12 && cells <= 12 * 160);
    /* every port is accounted for: the cells' data-ports, then the windows' totals */
    assert_int_equal(sum_attr(ports, "data-ports"), 2 * 120000);
    assert_true(strlen(page) < 600 * 1024);
    free(ports);
    free(page);
    free(json);
}

static void test_save_is_atomic(void **state)
{
    const char *dir = tu_tmpdir();
    char results[512], out[512], missing[512];
    snprintf(results, sizeof(results), "%s/r.json", dir);
    snprintf(out, sizeof(out), "%s/report.html", dir);
    snprintf(missing, sizeof(missing), "%s/no/such/dir/report.html", dir);
    tu_write_file(results, three, strlen(three));
    ds_error err;
    assert_int_equal(ds_report_write_file(results, out, NULL, &err), DS_OK);
    struct stat stt;
    assert_int_equal(stat(out, &stt), 0);
    assert_int_equal(stt.st_mode & 0777, 0644);
    size_t len;
    char *page = tu_read_file(out, &len);
    assert_non_null(strstr(page, "r.json")); /* named by its path */
    free(page);
    assert_int_equal(ds_report_write_file(results, missing, NULL, &err), DS_ERR_IO);
    assert_non_null(strstr(err.msg, "no/such/dir/report.html"));
    /* a document that is not results leaves no file and no temporary behind */
    tu_write_file(results, "[]", 2);
    snprintf(out, sizeof(out), "%s/bad.html", dir);
    assert_int_equal(ds_report_write_file(results, out, NULL, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "r.json:1:1:"));
    assert_int_equal(stat(out, &stt), -1);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "ls %s | grep -c 'bad.html' >/dev/null", dir);
    assert_int_not_equal(system(cmd), 0);
    /* a write error is an I/O error */
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        ds_jval *root = NULL;
        assert_int_equal(ds_jval_parse(three, strlen(three), "t", &root, &err), DS_OK);
        assert_int_equal(ds_report_write(root, full, NULL, &err), DS_ERR_IO);
        ds_jval_free(root);
        fclose(full);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_and_csp_hash),
        cmocka_unit_test(test_every_input_string_is_escaped),
        cmocka_unit_test(test_content_security_policy),
        cmocka_unit_test(test_mark_counts),
        cmocka_unit_test(test_missing_optional_keys),
        cmocka_unit_test(test_empty_result),
        cmocka_unit_test(test_not_results),
        cmocka_unit_test(test_big_port_sets_stay_small),
        cmocka_unit_test(test_save_is_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
