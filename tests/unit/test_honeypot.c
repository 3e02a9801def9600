/*
 * test_honeypot.c - the honeypot's event loop on loopback: it runs in a thread while the test
 * connects as a client. Sessions and their bytes are logged exactly; the per-source and
 * overall caps, the idle and lifetime timeouts, the capture cap and the banner behave as
 * documented.
 *
 * When it may (root), the test moves into a network namespace of its own so that the ports it
 * binds cannot meet anything else on the machine; otherwise it uses 127.77.0.x and high
 * ports. It only ever connects to loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "darkscan/darkscan.h"
#include "testutil.h"

static bool in_netns;  /* the test has its own network namespace */
static bool have_ipv6; /* ::1 can be bound */

static void enter_netns(void)
{
    if (unshare(CLONE_NEWNET) != 0)
        return;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        in_netns = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    }
    if (fd >= 0)
        close(fd);
}

static void probe_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    have_ipv6 = fd >= 0 && bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
    if (fd >= 0)
        close(fd);
}

/* ------------------------------------------------------------------------------------------ */
/* The honeypot in a thread                                                                    */

typedef struct runner {
    ds_honeypot *hp;
    pthread_t thread;
    ds_status status;
    ds_error err;
} runner;

static void *run_thread(void *arg)
{
    runner *r = arg;
    r->status = ds_honeypot_run(r->hp, &r->err);
    return NULL;
}

static void start(runner *r, const ds_honeypot_config *cfg)
{
    memset(r, 0, sizeof(*r));
    ds_error err;
    if (ds_honeypot_new(&r->hp, cfg, NULL, &err) != DS_OK)
        fail_msg("ds_honeypot_new: %s", err.msg);
    if (ds_honeypot_open_log(r->hp, &err) != DS_OK)
        fail_msg("ds_honeypot_open_log: %s", err.msg);
    assert_int_equal(pthread_create(&r->thread, NULL, run_thread, r), 0);
}

static void stop(runner *r, ds_honeypot_stats *stats)
{
    ds_honeypot_stop(r->hp);
    assert_int_equal(pthread_join(r->thread, NULL), 0);
    if (r->status != DS_OK)
        fail_msg("ds_honeypot_run: %s", r->err.msg);
    ds_honeypot_get_stats(r->hp, stats);
    ds_honeypot_free(r->hp);
}

/* ------------------------------------------------------------------------------------------ */
/* Client side                                                                                 */

static void set_timeout(int fd, int seconds)
{
    struct timeval tv = {seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A blocking TCP connection from src (any port) to dst:port; fails the test on error, but for
 * ECONNRESET when may_reset (then returns -1: the honeypot accepted and reset the connection
 * before connect() returned). The source is bound explicitly: the honeypot may hold every
 * ephemeral port. */
static int connect_or_reset(const char *src, const char *dst, uint16_t port, uint16_t *src_port,
                            bool may_reset)
{
    struct sockaddr_storage s, d;
    socklen_t len;
    memset(&s, 0, sizeof(s));
    memset(&d, 0, sizeof(d));
    int family = strchr(dst, ':') ? AF_INET6 : AF_INET;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&s, *b = (struct sockaddr_in *)&d;
        a->sin_family = b->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, src, &a->sin_addr), 1);
        assert_int_equal(inet_pton(AF_INET, dst, &b->sin_addr), 1);
        b->sin_port = htons(port);
        len = sizeof(*a);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s, *b = (struct sockaddr_in6 *)&d;
        a->sin6_family = b->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, src, &a->sin6_addr), 1);
        assert_int_equal(inet_pton(AF_INET6, dst, &b->sin6_addr), 1);
        b->sin6_port = htons(port);
        len = sizeof(*a);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    set_timeout(fd, 20);
    if (bind(fd, (struct sockaddr *)&s, len) != 0)
        fail_msg("bind %s: %s", src, strerror(errno));
    if (connect(fd, (struct sockaddr *)&d, len) != 0) {
        if (may_reset && errno == ECONNRESET) {
            close(fd);
            return -1;
        }
        fail_msg("connect %s -> %s port %u: %s", src, dst, port, strerror(errno));
    }
    struct sockaddr_storage me;
    socklen_t mlen = sizeof(me);
    getsockname(fd, (struct sockaddr *)&me, &mlen);
    *src_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&me)->sin_port
                                        : ((struct sockaddr_in6 *)&me)->sin6_port);
    return fd;
}

static int connect_from(const char *src, const char *dst, uint16_t port, uint16_t *src_port)
{
    return connect_or_reset(src, dst, port, src_port, false);
}

/* Read exactly len bytes (the banner); fails the test otherwise. */
static void expect_bytes(int fd, const char *want, size_t len)
{
    char buf[256];
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, buf + got, len - got, 0);
        if (n <= 0)
            fail_msg("expected %zu bytes, got %zu (%s)", len, got, n < 0 ? strerror(errno) : "EOF");
        got += (size_t)n;
    }
    assert_memory_equal(buf, want, len);
}

/* The honeypot closed the connection: with FIN (0) or with RST (-1). Fails if data came.
 * fd -1 (reset during connect) counts as reset. */
static int expect_closed(int fd)
{
    if (fd < 0)
        return -1;
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    if (n > 0)
        fail_msg("expected the honeypot to close, got data");
    if (n < 0 && errno != ECONNRESET)
        fail_msg("expected the honeypot to close: %s", strerror(errno));
    return (int)n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Session lines in the log (the header excluded); waits (up to a minute, as a guard against
 * hanging) until there are at least want of them. */
static size_t wait_lines(const char *path, size_t want)
{
    size_t lines = 0;
    for (int i = 0; i < 3000; i++) {
        size_t len;
        char *text = tu_read_file(path, &len);
        lines = 0;
        for (size_t j = 0; j < len; j++)
            lines += text[j] == '\n';
        free(text);
        lines = lines > 0 ? lines - 1 : 0;
        if (lines >= want)
            break;
        sleep_ms(20);
    }
    return lines;
}

/* The log's lines split into fields (9 columns, as the writer makes them). */
typedef struct log_line {
    char field[9][512];
} log_line;

static size_t read_log(const char *path, log_line *out, size_t max)
{
    size_t len;
    char *text = tu_read_file(path, &len);
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    assert_non_null(line);
    assert_string_equal(line, "time,src,src_port,dst,dst_port,duration,end,bytes,data");
    size_t n = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        assert_true(n < max);
        memset(&out[n], 0, sizeof(out[n]));
        int f = 0;
        for (char *p = line; f < 9; f++) {
            char *comma = f < 8 ? strchr(p, ',') : NULL;
            size_t flen = comma ? (size_t)(comma - p) : strlen(p);
            assert_true(flen < 512);
            memcpy(out[n].field[f], p, flen);
            if (comma == NULL)
                break;
            p = comma + 1;
        }
        assert_int_equal(f, 8);
        n++;
    }
    free(text);
    return n;
}

/* ------------------------------------------------------------------------------------------ */

static void test_sessions_are_logged_exactly(void **state)
{
    const char *addrs[3] = {"127.77.0.2", "127.77.0.3", "::1"};
    size_t naddr = have_ipv6 ? 3 : 2;
    const char *ports_text = in_netns ? "1-30,65506-65535" : "61001-61060";
    uint16_t lo_ports[2] = {1, 65506}, span = 30;
    if (!in_netns) {
        lo_ports[0] = 61001;
        lo_ports[1] = 61031;
    }
    ds_honeypot_ports ports;
    assert_int_equal(ds_honeypot_ports_parse(ports_text, &ports, NULL), DS_OK);
    ds_honeypot_config cfg;
    ds_honeypot_config_init(&cfg);
    cfg.listen = addrs;
    cfg.listen_count = naddr;
    cfg.ports = &ports;
    cfg.log_path = tu_path("sessions.csv");
    runner r;
    start(&r, &cfg);

    enum { N = 40 };
    struct {
        const char *dst;
        uint16_t port, src_port;
        char sent[32];
    } want[N];
    srand(7);
    for (int i = 0; i < N; i++) {
        want[i].dst = addrs[i % naddr];
        if (i == 0)
            want[i].port = lo_ports[0]; /* the lowest and highest port */
        else if (i == 1)
            want[i].port = (uint16_t)(lo_ports[1] + span - 1);
        else
            want[i].port = (uint16_t)(lo_ports[rand() % 2] + rand() % span);
        const char *src = strchr(want[i].dst, ':') ? "::1" : "127.0.0.1";
        int fd = connect_from(src, want[i].dst, want[i].port, &want[i].src_port);
        snprintf(want[i].sent, sizeof(want[i].sent), "probe %d", i);
        assert_int_equal(send(fd, want[i].sent, strlen(want[i].sent), 0),
                         (ssize_t)strlen(want[i].sent));
        close(fd);
    }
    assert_int_equal(wait_lines(cfg.log_path, N), N);
    ds_honeypot_stats st;
    stop(&r, &st);

    static log_line lines[N + 8];
    size_t n = read_log(cfg.log_path, lines, N + 8);
    assert_int_equal(n, N);
    bool matched[N] = {false};
    for (size_t j = 0; j < n; j++) {
        log_line *l = &lines[j];
        bool found = false;
        for (int i = 0; i < N && !found; i++) {
            if (matched[i] || atoi(l->field[2]) != want[i].src_port ||
                atoi(l->field[4]) != want[i].port || strcmp(l->field[3], want[i].dst) != 0)
                continue;
            found = matched[i] = true;
            assert_string_equal(l->field[1], strchr(want[i].dst, ':') ? "::1" : "127.0.0.1");
            assert_string_equal(l->field[6], "close");
            assert_int_equal(atoi(l->field[7]), (int)strlen(want[i].sent));
            assert_string_equal(l->field[8], want[i].sent);
            assert_int_equal(strlen(l->field[0]), 27); /* 2019-07-01T13:20:00.123456Z */
            assert_int_equal(l->field[0][26], 'Z');
        }
        if (!found)
            fail_msg("unexpected log line %zu: %s,%s,%s,%s", j, l->field[1], l->field[2],
                     l->field[3], l->field[4]);
    }
    assert_int_equal(st.sessions, N);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.sockets, naddr * ports.count);
    assert_int_equal(st.busy, 0);
    assert_int_equal(st.sources, have_ipv6 ? 2 : 1);
    assert_int_equal(st.log_lines, N);
    assert_int_equal(st.active, 0);
}

static void test_caps_idle_and_banner(void **state)
{
    const char *addrs[1] = {"127.77.0.2"};
    uint16_t port = in_netns ? 25 : 61025;
    ds_honeypot_ports ports;
    memset(&ports, 0, sizeof(ports));
    char text[16];
    snprintf(text, sizeof(text), "%u", port);
    assert_int_equal(ds_honeypot_ports_parse(text, &ports, NULL), DS_OK);
    ds_honeypot_banner banner;
    snprintf(text, sizeof(text), "%u:HELLO\\r\\n", port);
    assert_int_equal(ds_honeypot_banner_parse(text, &banner, NULL), DS_OK);
    ds_honeypot_config cfg;
    ds_honeypot_config_init(&cfg);
    cfg.listen = addrs;
    cfg.listen_count = 1;
    cfg.ports = &ports;
    cfg.banners = &banner;
    cfg.banner_count = 1;
    cfg.max_sessions = 4;
    cfg.max_per_source = 2;
    cfg.idle_timeout_ms = 300;
    cfg.log_path = tu_path("caps.csv");
    runner r;
    start(&r, &cfg);

    uint16_t sp;
    int kept[4];
    kept[0] = connect_from("127.0.0.1", addrs[0], port, &sp);
    expect_bytes(kept[0], "HELLO\r\n", 7); /* accepted: the banner came */
    kept[1] = connect_from("127.0.0.1", addrs[0], port, &sp);
    expect_bytes(kept[1], "HELLO\r\n", 7);
    int over_source = connect_or_reset("127.0.0.1", addrs[0], port, &sp, true);
    expect_closed(over_source); /* a third from one source: reset, no banner */
    kept[2] = connect_from("127.0.0.5", addrs[0], port, &sp);
    expect_bytes(kept[2], "HELLO\r\n", 7);
    kept[3] = connect_from("127.0.0.5", addrs[0], port, &sp);
    expect_bytes(kept[3], "HELLO\r\n", 7);
    int over_all = connect_or_reset("127.0.0.6", addrs[0], port, &sp, true);
    expect_closed(over_all); /* a fifth session: reset */
    /* The four kept sessions say nothing: the idle timeout closes them (FIN, no more data). */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(expect_closed(kept[i]), 0);
        close(kept[i]);
    }
    if (over_source >= 0)
        close(over_source);
    if (over_all >= 0)
        close(over_all);
    /* Room again: a new session is accepted. */
    int again = connect_from("127.0.0.6", addrs[0], port, &sp);
    expect_bytes(again, "HELLO\r\n", 7);
    close(again);
    assert_int_equal(wait_lines(cfg.log_path, 7), 7);
    ds_honeypot_stats st;
    stop(&r, &st);

    static log_line lines[16];
    size_t n = read_log(cfg.log_path, lines, 16);
    assert_int_equal(n, 7);
    int idle = 0, per_source = 0, overall = 0, closed = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(lines[i].field[6], "idle") == 0) {
            idle++;
            assert_true(atof(lines[i].field[5]) >= 0.3);
        } else if (strcmp(lines[i].field[6], "max-per-source") == 0) {
            per_source++;
            assert_string_equal(lines[i].field[1], "127.0.0.1");
            assert_string_equal(lines[i].field[5], "0.000000");
        } else if (strcmp(lines[i].field[6], "max-sessions") == 0) {
            overall++;
            assert_string_equal(lines[i].field[1], "127.0.0.6");
        } else if (strcmp(lines[i].field[6], "close") == 0) {
            closed++;
        }
    }
    assert_int_equal(idle, 4);
    assert_int_equal(per_source, 1);
    assert_int_equal(overall, 1);
    assert_int_equal(closed, 1);
    assert_int_equal(st.sessions, 7);
    assert_int_equal(st.dropped, 2);
    assert_int_equal(st.dropped_max_per_source, 1);
    assert_int_equal(st.dropped_max_sessions, 1);
    assert_int_equal(st.idle_timeouts, 4);
    assert_int_equal(st.peak_active, 4);
    assert_int_equal(st.sources, 3);
    assert_int_equal(st.ports, 1);
}

static void test_capture_duration_shutdown(void **state)
{
    const char *addrs[1] = {"127.77.0.9"};
    uint16_t port = in_netns ? 80 : 61080;
    ds_honeypot_ports ports;
    char text[16];
    snprintf(text, sizeof(text), "%u", port);
    assert_int_equal(ds_honeypot_ports_parse(text, &ports, NULL), DS_OK);
    ds_honeypot_banner banner;
    snprintf(text, sizeof(text), "%u:+", port);
    assert_int_equal(ds_honeypot_banner_parse(text, &banner, NULL), DS_OK);
    ds_honeypot_config cfg;
    ds_honeypot_config_init(&cfg);
    cfg.listen = addrs;
    cfg.listen_count = 1;
    cfg.ports = &ports;
    cfg.banners = &banner;
    cfg.banner_count = 1;
    cfg.capture_bytes = 8;
    cfg.max_duration_ms = 400;
    cfg.log_path = tu_path("capture.csv");
    runner r;
    start(&r, &cfg);

    uint16_t sp;
    /* 100 bytes, 8 kept. */
    int a = connect_from("127.0.0.1", addrs[0], port, &sp);
    /* Read the banner first: a socket closed with unread data sends a reset, not a FIN, and
     * whether the banner had arrived by then would be a race. */
    expect_bytes(a, "+", 1);
    char hundred[100];
    for (int i = 0; i < 100; i++)
        hundred[i] = (char)('0' + i % 10);
    assert_int_equal(send(a, hundred, sizeof(hundred), 0), 100);
    close(a);
    /* A client that keeps talking is closed after max-duration. */
    int b = connect_from("127.0.0.2", addrs[0], port, &sp);
    expect_bytes(b, "+", 1);
    for (int i = 0; i < 600; i++) {
        if (send(b, "x", 1, MSG_NOSIGNAL) != 1)
            break;
        char c;
        ssize_t n = recv(b, &c, 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN))
            break;
        sleep_ms(50);
    }
    close(b);
    assert_int_equal(wait_lines(cfg.log_path, 2), 2);
    ds_honeypot_stats st;
    stop(&r, &st);
    assert_int_equal(st.sessions, 2);

    /* A silent client still open at stop: logged as "shutdown" (in the same log, appended). */
    cfg.max_duration_ms = 300000;
    start(&r, &cfg);
    int c = connect_from("127.0.0.3", addrs[0], port, &sp);
    expect_bytes(c, "+", 1);
    stop(&r, &st);
    close(c);
    assert_int_equal(st.sessions, 1);

    static log_line lines[8];
    size_t n = read_log(cfg.log_path, lines, 8);
    assert_int_equal(n, 3);
    bool seen_a = false, seen_b = false, seen_c = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(lines[i].field[1], "127.0.0.1") == 0) {
            seen_a = true;
            assert_string_equal(lines[i].field[6], "close");
            assert_string_equal(lines[i].field[7], "100");
            assert_string_equal(lines[i].field[8], "01234567");
        } else if (strcmp(lines[i].field[1], "127.0.0.2") == 0) {
            seen_b = true;
            assert_string_equal(lines[i].field[6], "max-duration");
            assert_true(atof(lines[i].field[5]) >= 0.4);
            assert_true(atoi(lines[i].field[7]) >= 1);
            assert_true(strspn(lines[i].field[8], "x") == strlen(lines[i].field[8]));
        } else if (strcmp(lines[i].field[1], "127.0.0.3") == 0) {
            seen_c = true;
            assert_string_equal(lines[i].field[6], "shutdown");
            assert_string_equal(lines[i].field[7], "0");
        }
    }
    assert_true(seen_a && seen_b && seen_c);
}

static void test_bad_config_and_busy_ports(void **state)
{
    const char *addrs[2] = {"127.77.0.2", "127.77.0.2"};
    ds_honeypot_ports ports;
    assert_int_equal(ds_honeypot_ports_parse(in_netns ? "100-104" : "61100-61104", &ports, NULL),
                     DS_OK);
    ds_honeypot_config cfg;
    ds_honeypot_config_init(&cfg);
    cfg.listen = addrs;
    cfg.listen_count = 2;
    cfg.ports = &ports;
    cfg.log_path = tu_path("bad.csv");
    ds_honeypot *hp = NULL;
    ds_error err;
    assert_int_equal(ds_honeypot_new(&hp, &cfg, NULL, &err), DS_ERR_INVALID);
    assert_non_null(strstr(err.msg, "given twice"));
    assert_null(hp);
    cfg.listen_count = 1;
    cfg.max_sessions = 0;
    assert_int_equal(ds_honeypot_new(&hp, &cfg, NULL, &err), DS_ERR_INVALID);
    cfg.max_sessions = 16;
    addrs[0] = "192.0.2.77"; /* not an address of this host */
    assert_int_equal(ds_honeypot_new(&hp, &cfg, NULL, &err), DS_ERR_IO);
    assert_non_null(strstr(err.msg, "192.0.2.77 port"));
    assert_non_null(strstr(err.msg, "bind: Cannot assign requested address"));

    /* Ports held by another socket are counted, the rest covered. */
    addrs[0] = "127.77.0.2";
    uint16_t first = in_netns ? 100 : 61100;
    int other[2];
    for (int i = 0; i < 2; i++) {
        other[i] = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(first + 2 * i)};
        inet_pton(AF_INET, "127.77.0.2", &sin.sin_addr);
        assert_int_equal(bind(other[i], (struct sockaddr *)&sin, sizeof(sin)), 0);
        assert_int_equal(listen(other[i], 1), 0);
    }
    assert_int_equal(ds_honeypot_new(&hp, &cfg, NULL, &err), DS_OK);
    ds_honeypot_stats st;
    ds_honeypot_get_stats(hp, &st);
    assert_int_equal(st.sockets, 3);
    assert_int_equal(st.busy, 2);
    assert_int_equal(st.busy_port[0], first);
    assert_int_equal(st.busy_port[1], first + 2);
    assert_int_equal(st.busy_listen[0], 0);
    /* run without an open log is a state error */
    assert_int_equal(ds_honeypot_run(hp, &err), DS_ERR_STATE);
    ds_honeypot_free(hp);
    ds_honeypot_free(NULL);
    close(other[0]);
    close(other[1]);
}

/* An IPv4 socket bound to src, not yet connected (so that it needs no new descriptor later). */
static int bound_socket(const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    set_timeout(fd, 20);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, src, &sin.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

/* Connect fd; returns false when the honeypot reset it before connect() returned. */
static bool connect_bound(int fd, const char *dst, uint16_t port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET, dst, &sin.sin_addr), 1);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
        return true;
    if (errno != ECONNRESET)
        fail_msg("connect %s port %u: %s", dst, port, strerror(errno));
    return false;
}

/* The honeypot of test_out_of_fds, in a child process: stops on SIGTERM. */
static ds_honeypot *child_hp;

static void child_stop(int sig)
{
    (void)sig;
    ds_honeypot_stop(child_hp);
}

/*
 * child_run - fork a process that runs a honeypot with cfg and on SIGTERM stops and writes its
 * stats to stats_path. Returns its pid; *limit is the descriptor limit under which the child
 * has exactly one descriptor number free: it fills every hole below its highest descriptor
 * (with /dev/null) once the honeypot is made, and opens nothing more until it stops.
 */
static pid_t child_run(const ds_honeypot_config *cfg, const char *stats_path, int *limit)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        ds_error err;
        if (ds_honeypot_new(&child_hp, cfg, NULL, &err) != DS_OK ||
            ds_honeypot_open_log(child_hp, &err) != DS_OK) {
            fprintf(stderr, "child honeypot: %s\n", err.msg);
            _exit(2);
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = child_stop;
        sigaction(SIGTERM, &sa, NULL);
        /* The pipe's end moves out of the way: closing it must not leave a hole. */
        int w = fcntl(ready[1], F_DUPFD_CLOEXEC, 4096);
        if (w < 0)
            _exit(2);
        close(ready[1]);
        int highest = 0;
        for (int fd = 0; fd < 4096; fd++)
            if (fcntl(fd, F_GETFD) >= 0)
                highest = fd;
        for (int fd = 0; fd < highest; fd++)
            if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDONLY) != fd)
                _exit(2);
        int lim = highest + 2; /* highest + 1 is the one free number */
        if (write(w, &lim, sizeof(lim)) != (ssize_t)sizeof(lim))
            _exit(2);
        close(w);
        ds_status st = ds_honeypot_run(child_hp, &err);
        ds_honeypot_stats stats;
        ds_honeypot_get_stats(child_hp, &stats);
        ds_honeypot_free(child_hp);
        FILE *f = fopen(stats_path, "w");
        if (f == NULL || fwrite(&stats, sizeof(stats), 1, f) != 1 || fclose(f) != 0)
            _exit(3);
        _exit(st == DS_OK ? 0 : 4);
    }
    close(ready[1]);
    assert_int_equal(read(ready[0], limit, sizeof(*limit)), (ssize_t)sizeof(*limit));
    char c;
    /* End of file: the child has closed its end too (its highest + 1 is free again). */
    assert_int_equal(read(ready[0], &c, 1), 0);
    close(ready[0]);
    return pid;
}

static void test_out_of_fds(void **state)
{
    /* With no descriptor left, accept4 fails with EMFILE: the honeypot frees its spare one,
     * accepts, logs and resets the connection ("no-fd"), and keeps going. The honeypot runs in
     * a process of its own, idle in epoll_wait while its limit is set from outside (prlimit),
     * so that no other thread's descriptors come and go in its table. */
    const char *addrs[1] = {"127.77.0.4"};
    uint16_t port = in_netns ? 443 : 61443;
    ds_honeypot_ports ports;
    char text[16];
    snprintf(text, sizeof(text), "%u", port);
    assert_int_equal(ds_honeypot_ports_parse(text, &ports, NULL), DS_OK);
    ds_honeypot_banner banner;
    snprintf(text, sizeof(text), "%u:+", port);
    assert_int_equal(ds_honeypot_banner_parse(text, &banner, NULL), DS_OK);
    ds_honeypot_config cfg;
    ds_honeypot_config_init(&cfg);
    cfg.listen = addrs;
    cfg.listen_count = 1;
    cfg.ports = &ports;
    cfg.banners = &banner;
    cfg.banner_count = 1;
    cfg.log_path = tu_path("nofd.csv");
    const char *stats_path = tu_path("nofd.stats");
    int limit;
    pid_t pid = child_run(&cfg, stats_path, &limit);

    int fds[5];
    for (int i = 0; i < 5; i++)
        fds[i] = bound_socket("127.0.0.1");
    struct rlimit old;
    assert_int_equal(prlimit(pid, RLIMIT_NOFILE, NULL, &old), 0);
    struct rlimit low = {(rlim_t)limit, old.rlim_max}; /* room for one session */
    assert_int_equal(prlimit(pid, RLIMIT_NOFILE, &low, NULL), 0);

    assert_true(connect_bound(fds[0], addrs[0], port));
    expect_bytes(fds[0], "+", 1); /* took the last descriptor */
    for (int i = 1; i < 4; i++) {
        if (connect_bound(fds[i], addrs[0], port))
            expect_closed(fds[i]);
    }
    assert_int_equal(prlimit(pid, RLIMIT_NOFILE, &old, NULL), 0);
    assert_true(connect_bound(fds[4], addrs[0], port));
    expect_bytes(fds[4], "+", 1); /* and on it goes */
    for (int i = 0; i < 5; i++)
        close(fds[i]);
    assert_int_equal(wait_lines(cfg.log_path, 5), 5);
    assert_int_equal(kill(pid, SIGTERM), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ds_honeypot_stats st;
    size_t len;
    char *raw = tu_read_file(stats_path, &len);
    assert_non_null(raw);
    assert_int_equal(len, sizeof(st));
    memcpy(&st, raw, sizeof(st));
    free(raw);

    static log_line lines[8];
    size_t n = read_log(cfg.log_path, lines, 8);
    assert_int_equal(n, 5);
    int no_fd = 0, closed = 0;
    for (size_t i = 0; i < n; i++) {
        no_fd += strcmp(lines[i].field[6], "no-fd") == 0;
        closed += strcmp(lines[i].field[6], "close") == 0;
        assert_string_equal(lines[i].field[3], addrs[0]);
        assert_int_equal(atoi(lines[i].field[4]), port);
    }
    assert_int_equal(no_fd, 3);
    assert_int_equal(closed, 2);
    assert_int_equal(st.dropped_no_fd, 3);
    assert_int_equal(st.dropped, 3);
    assert_true(st.accept_errors >= 3);
}

int main(void)
{
    enter_netns();
    probe_ipv6();
    if (!in_netns)
        fprintf(stderr, "test_honeypot: no private network namespace (not root?): using "
                        "127.77.0.x and ports above 61000 on the host's loopback\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sessions_are_logged_exactly),
        cmocka_unit_test(test_caps_idle_and_banner),
        cmocka_unit_test(test_capture_duration_shutdown),
        cmocka_unit_test(test_bad_config_and_busy_ports),
        cmocka_unit_test(test_out_of_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
