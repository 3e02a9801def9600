/*
 * test_probe.c - the parts of `darkscan probe` that need no server: the HTTP response parser
 * (lengths, chunks, caps, damage), the disclosure rule in several languages, page titles, the
 * rate limit's schedule (with a fake clock), and the refusal of special-purpose addresses.
 * The client against real servers is tests/e2e/test_probe.sh (loopback only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "darkscan/darkscan.h"
#include "enrich/probe_internal.h"

static ds_status parse(const char *text, size_t max_body, ds_http_response *r)
{
    ds_error err;
    return ds_http_parse_response((const uint8_t *)text, strlen(text), max_body, r, &err);
}

static void expect_body(const char *text, size_t max_body, int status, const char *body,
                        bool truncated)
{
    ds_http_response r;
    ds_error err;
    if (ds_http_parse_response((const uint8_t *)text, strlen(text), max_body, &r, &err) != DS_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(r.status, status);
    assert_int_equal(r.body_len, strlen(body));
    assert_memory_equal(r.body, body, strlen(body));
    assert_int_equal(r.body[r.body_len], '\0');
    if (r.truncated != truncated)
        fail_msg("truncated %d, want %d", r.truncated, truncated);
    ds_http_response_free(&r);
}

static void test_http_lengths(void **state)
{
    expect_body("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello world", 1000, 200, "hello",
                false);
    expect_body("HTTP/1.0 200 OK\r\nContent-Length: 20\r\n\r\nhello", 1000, 200, "hello", true);
    /* no length: up to the end of the data; LF-only line ends; no reason phrase */
    expect_body("HTTP/1.1 404\nServer: x\n\nnot here\n", 1000, 404, "not here\n", false);
    /* the cap */
    expect_body("HTTP/1.1 200 OK\r\n\r\n0123456789", 4, 200, "0123", true);
    /* 204 and 304 have no body */
    expect_body("HTTP/1.1 204 No Content\r\n\r\n", 10, 204, "", false);
    /* interim responses first */
    expect_body("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 10,
                200, "ok", false);
}

static void test_http_chunked(void **state)
{
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
                100, 200, "hello world", false);
    expect_body("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, CHUNKED\r\n\r\n3\nabc\n0\n\n", 100,
                200, "abc", false);
    /* cut inside a chunk, and in a size line */
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nabc", 100, 200, "abc",
                true);
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4", 100, 200,
                "abc", true);
    /* the cap across chunks */
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0"
                "\r\n\r\n",
                4, 200, "abcd", true);
    /* headers */
    ds_http_response r;
    assert_int_equal(parse("HTTP/1.1 302 Found\r\nLocation:  /next \r\nContent-Type: text/html"
                           "\r\n\r\n",
                           100, &r),
                     DS_OK);
    assert_string_equal(r.location, "/next");
    assert_string_equal(r.content_type, "text/html");
    ds_http_response_free(&r);
}

static void test_http_damage(void **state)
{
    static const char *const bad[] = {
        "",
        "garbage\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nServer: x\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ds_http_response r;
        if (parse(bad[i], 100, &r) != DS_ERR_FORMAT)
            fail_msg("case %zu parsed", i);
        assert_null(r.body);
    }
    /* headers beyond the limit */
    size_t n = DS_HTTP_MAX_HEADER + 100;
    char *big = malloc(n + 64);
    strcpy(big, "HTTP/1.1 200 OK\r\n");
    size_t at = strlen(big);
    while (at + 12 < n) {
        memcpy(big + at, "X-Pad: aaa\r\n", 12);
        at += 12;
    }
    strcpy(big + at, "\r\nbody");
    ds_http_response r;
    assert_int_equal(parse(big, 100, &r), DS_ERR_FORMAT);
    free(big);
}

static ds_disclosure check(const char *page)
{
    ds_disclosure d;
    ds_disclosure_check((const uint8_t *)page, strlen(page), &d);
    return d;
}

static bool has_word(const ds_disclosure *d, const char *w)
{
    for (size_t i = 0; i < d->n_matched; i++) {
        if (strcmp(d->matched[i], w) == 0)
            return true;
    }
    return false;
}

static void test_disclosure_languages(void **state)
{
    static const struct {
        const char *page;
        bool documented;
        const char *word;
    } cases[] = {
        {"We are scanning the Internet for a research project. Opt-out: mail us.", true,
         "scanning"},
        {"<p>Port scans from this host are part of an Internet-wide survey.</p>", true,
         "internet-wide"},
        {"Ce serveur effectue un balayage d'Internet pour la recherche.", true, "balayage"},
        {"Este servidor realiza un escaneo de Internet con fines de investigación.", true,
         "investigación"},
        {"Wir scannen das Internet. Widerspruch: mail@example.org", true, "widerspruch"},
        {"Этот узел выполняет сканирование сети в рамках исследования.", true, "сканир"},
        {"本主机进行互联网扫描，用于研究。如需排除，请联系我们。", true, "扫描"},
        {"이 호스트는 연구 목적으로 인터넷 스캔을 수행합니다.", true, "스캔"},
        {"Scanning services for your documents. Contact us!", false, "scanning"},
        {"Welcome to nginx! Research the docs.", false, "research"},
        {"A scandal at the toucan research centre.", false, "research"},
        {"<script>var scanner = research();</script><style>.scan{}</style>Hello", false, NULL},
        {"<meta name=\"description\" content=\"Scanner of an academic study\">", true, "scanner"},
        {"SCANNING for RESEARCH", true, "scanning"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ds_disclosure d = check(cases[i].page);
        if (d.documented != cases[i].documented)
            fail_msg("case %zu: documented %d", i, d.documented);
        if (cases[i].word != NULL && !has_word(&d, cases[i].word))
            fail_msg("case %zu: '%s' not among %zu words", i, cases[i].word, d.n_matched);
        if (cases[i].word == NULL)
            assert_int_equal(d.n_matched, 0);
    }
}

static void test_disclosure_title(void **state)
{
    ds_disclosure d = check("<html><head><TITLE lang=en>\n  Scanning &amp; Research\t"
                            "Project  </title></head></html>");
    assert_string_equal(d.title, "Scanning & Research Project");
    d = check("<title>unterminated");
    assert_string_equal(d.title, "unterminated");
    d = check("no title here <titles>x</titles>");
    assert_string_equal(d.title, "");
    /* a long title is cut before a UTF-8 sequence, never inside it */
    char page[2048] = "<title>";
    for (int i = 0; i < 200; i++)
        strcat(page, "é");
    strcat(page, "</title>");
    d = check(page);
    size_t n = strlen(d.title);
    assert_true(n > 200 && n < sizeof(d.title) && n % 2 == 0);
    /* and the matched word too */
    char word[256] = "scanning ";
    for (int i = 0; i < 40; i++)
        strcat(word, "ü");
    strcat(word, " researchers");
    d = check(word);
    assert_true(has_word(&d, "scanning") && has_word(&d, "researchers"));
}

/* A fake clock for the rate limit: time moves only when the limiter sleeps. */
typedef struct fake_clock {
    int64_t now;
    int64_t slept[8];
    int n;
} fake_clock;

static int64_t fake_now(void *ctx)
{
    return ((fake_clock *)ctx)->now;
}

static void fake_sleep(void *ctx, int64_t ns)
{
    fake_clock *c = ctx;
    c->slept[c->n++] = ns;
    c->now += ns;
}

static void test_rate_limit(void **state)
{
    fake_clock c = {1000, {0}, 0};
    ds_rate_limit r;
    ds_rate_init(&r, 2.0);
    r.now_ns = fake_now;
    r.sleep_ns = fake_sleep;
    r.ctx = &c;
    ds_rate_wait(&r); /* the first request starts at once */
    assert_int_equal(c.n, 0);
    ds_rate_wait(&r); /* then 0.5 s apart */
    assert_int_equal(c.n, 1);
    assert_int_equal(c.slept[0], 500000000);
    c.now += 200000000; /* a request took 0.2 s */
    ds_rate_wait(&r);
    assert_int_equal(c.slept[1], 300000000);
    c.now += 2000000000; /* a slow one: no wait after it */
    ds_rate_wait(&r);
    assert_int_equal(c.n, 2);
    ds_rate_wait(&r);
    assert_int_equal(c.slept[2], 500000000);
}

/*
 * Special-purpose addresses are refused before any packet (and before reverse DNS). 127.0.0.1
 * with allow_special on a port that was just closed: refused; its name from /etc/hosts.
 */
static void test_probe_refusals(void **state)
{
    ds_probe_config cfg;
    ds_probe_config_default(&cfg);
    cfg.rdns = false;
    ds_prober *p;
    ds_error err;
    assert_int_equal(ds_prober_new(&p, &cfg, &err), DS_OK);
    static const char *const special[] = {
        "10.1.2.3",     "127.0.0.1",   "192.168.1.1", "172.16.0.1", "100.64.0.1",
        "169.254.1.1",  "224.0.0.1",   "240.0.0.1",   "0.1.2.3",    "192.0.2.1",
        "198.51.100.1", "203.0.113.1", "198.18.0.1"};
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        uint32_t a;
        assert_int_equal(ds_parse_ipv4(special[i], &a, &err), DS_OK);
        ds_probe_result res;
        ds_probe_host(p, a, &res);
        assert_string_equal(res.error, "special-purpose address: not probed");
        assert_int_equal(res.status, 0);
        assert_string_equal(res.url, "");
    }
    ds_prober_free(p);

    /* A closed port on 127.0.0.1. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t len = sizeof(sin);
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
    close(s);
    cfg.port = ntohs(sin.sin_port);
    cfg.allow_special = true;
    /* reverse DNS of 127.0.0.1 only when /etc/hosts answers it (no query leaves the host) */
    char *hosts = NULL;
    FILE *f = fopen("/etc/hosts", "r");
    char line[512];
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "127.0.0.1", 9) == 0 && (line[9] == ' ' || line[9] == '\t'))
            hosts = line;
    }
    if (f != NULL)
        fclose(f);
    cfg.rdns = hosts != NULL;
    assert_int_equal(ds_prober_new(&p, &cfg, &err), DS_OK);
    ds_probe_result res;
    ds_probe_host(p, 0x7f000001, &res);
    assert_string_equal(res.error, "connection refused");
    assert_int_equal(res.status, 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", cfg.port);
    assert_string_equal(res.url, url);
    if (cfg.rdns)
        assert_true(res.rdns[0] != '\0');
    ds_prober_free(p);
}

/* The JSON writer's numbers-as-text (the probe writes results back with it). */
static void test_json_number_text(void **state)
{
    static const char *const good[] = {"0",     "-0",      "18446744073709551616",
                                       "1e400", "-1.5E-7", "0.000001"};
    static const char *const bad[] = {"", "01", "+1", "1.", ".5", "1e", "NaN", "0x10", "1 "};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ds_json *j = ds_json_new(f, false);
        ds_error err;
        ds_json_array_begin(j);
        ds_json_number_text(j, good[i]);
        ds_json_array_end(j);
        assert_int_equal(ds_json_finish(j, &err), DS_OK);
        ds_json_free(j);
        fclose(f);
        char want[64];
        snprintf(want, sizeof(want), "[%s]\n", good[i]);
        assert_string_equal(buf, want);
        free(buf);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ds_json *j = ds_json_new(f, false);
        ds_error err;
        ds_json_array_begin(j);
        ds_json_number_text(j, bad[i]);
        ds_json_array_end(j);
        assert_int_equal(ds_json_finish(j, &err), DS_ERR_STATE);
        ds_json_free(j);
        fclose(f);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_lengths),     cmocka_unit_test(test_http_chunked),
        cmocka_unit_test(test_http_damage),      cmocka_unit_test(test_disclosure_languages),
        cmocka_unit_test(test_disclosure_title), cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_probe_refusals),   cmocka_unit_test(test_json_number_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
