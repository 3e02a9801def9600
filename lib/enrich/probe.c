/*
 * probe.c - `darkscan probe`: ask a scanning host for a disclosure page (see enrich.h).
 *
 * This is the only part of darkscan that sends packets, and only when a user runs
 * `darkscan probe`. It is built to be a polite, bounded client:
 *  - one request at a time, and request starts at least 1/rate seconds apart over all hosts
 *    (redirects included), so a results file with many blocks never becomes a burst;
 *  - a connect timeout and a timeout for the whole request; at most max_bytes read;
 *  - `GET /` with a User-Agent that names the tool, its purpose and the operator's contact, and
 *    `Connection: close`; nothing else is ever sent;
 *  - redirects are followed only to the same address and port (at most max_redirects); a
 *    redirect elsewhere (another host, https) is recorded, not followed;
 *  - special-purpose addresses (private, loopback, multicast, documentation...) are not
 *    contacted unless the caller allows it (tests on 127.0.0.x do);
 *  - reverse DNS runs in a helper thread with its own timeout, so a slow resolver cannot
 *    stall the probe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "darkscan/enrich.h"
#include "darkscan/version.h"
#include "darkscan/window.h"
#include "enrich/probe_internal.h"

void ds_probe_config_default(ds_probe_config *c)
{
    memset(c, 0, sizeof(*c));
    c->port = 80;
    c->connect_timeout_ms = 3000;
    c->timeout_ms = 10000;
    c->max_bytes = 256 * 1024;
    c->max_redirects = 3;
    c->rate = 2.0;
    c->hosts_per_network = 3;
    c->rdns = true;
    c->rdns_timeout_ms = 3000;
}

/* ---- time and the rate limit ---- */

static int64_t mono_ns(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(void *ctx, int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void ds_rate_init(ds_rate_limit *r, double rate)
{
    r->interval_ns = rate > 0 ? (int64_t)(1e9 / rate) : 0;
    r->next_ns = INT64_MIN;
    r->now_ns = mono_ns;
    r->sleep_ns = sleep_ns;
    r->ctx = NULL;
}

void ds_rate_wait(ds_rate_limit *r)
{
    int64_t now = r->now_ns(r->ctx);
    if (r->next_ns != INT64_MIN && now < r->next_ns) {
        r->sleep_ns(r->ctx, r->next_ns - now);
        now = r->next_ns;
    }
    r->next_ns = now + r->interval_ns;
}

ds_status ds_prober_new(ds_prober **out, const ds_probe_config *cfg, ds_error *err)
{
    *out = NULL;
    if (cfg->max_bytes < 64 || cfg->port == 0 || cfg->timeout_ms == 0 ||
        cfg->connect_timeout_ms == 0)
        return ds_error_set(err, DS_ERR_INVALID, "bad probe configuration");
    ds_prober *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    p->cfg = *cfg;
    if (cfg->user_agent != NULL)
        snprintf(p->user_agent, sizeof(p->user_agent), "%s", cfg->user_agent);
    else
        snprintf(p->user_agent, sizeof(p->user_agent),
                 "darkscan-probe/%s (research scanner disclosure check%s%s)", ds_version(),
                 cfg->contact != NULL ? "; contact: " : "",
                 cfg->contact != NULL ? cfg->contact : "");
    /* a User-Agent is one header line: no line ends */
    for (char *c = p->user_agent; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    }
    p->cfg.user_agent = p->user_agent;
    ds_rate_init(&p->rate, cfg->rate);
    *out = p;
    return DS_OK;
}

void ds_prober_free(ds_prober *p)
{
    free(p);
}

/* ---- which addresses may be contacted ---- */

/* special - RFC 6890 special-purpose IPv4 blocks (and multicast, reserved). */
static bool special(uint32_t a)
{
    static const struct {
        uint32_t net;
        unsigned len;
    } blocks[] = {{0x00000000u, 8},  {0x0a000000u, 8},  {0x64400000u, 10}, {0x7f000000u, 8},
                  {0xa9fe0000u, 16}, {0xac100000u, 12}, {0xc0000000u, 24}, {0xc0000200u, 24},
                  {0xc0a80000u, 16}, {0xc6120000u, 15}, {0xc6336400u, 24}, {0xcb007100u, 24},
                  {0xe0000000u, 4},  {0xf0000000u, 4}};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        uint32_t mask = 0xffffffffu << (32 - blocks[i].len);
        if ((a & mask) == blocks[i].net)
            return true;
    }
    return false;
}

/* ---- reverse DNS with a timeout ---- */

typedef struct rdns_job {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int refs; /* the waiter and the thread */
    bool done;
    uint32_t addr;
    int rc;
    char name[NI_MAXHOST];
} rdns_job;

static void rdns_release(rdns_job *j)
{
    pthread_mutex_lock(&j->lock);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->lock);
    if (last) {
        pthread_cond_destroy(&j->cond);
        pthread_mutex_destroy(&j->lock);
        free(j);
    }
}

static void *rdns_thread(void *arg)
{
    rdns_job *j = arg;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(j->addr);
    char name[NI_MAXHOST];
    int rc = getnameinfo((const struct sockaddr *)&sin, sizeof(sin), name, sizeof(name), NULL, 0,
                         NI_NAMEREQD);
    pthread_mutex_lock(&j->lock);
    j->rc = rc;
    if (rc == 0)
        memcpy(j->name, name, sizeof(name));
    j->done = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    rdns_release(j);
    return NULL;
}

/* rdns - the PTR name of addr into out ("" none); gives up after timeout_ms. */
static void rdns(uint32_t addr, unsigned timeout_ms, char *out, size_t size)
{
    out[0] = '\0';
    rdns_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return;
    pthread_mutex_init(&j->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cond, &attr);
    pthread_condattr_destroy(&attr);
    j->refs = 2;
    j->addr = addr;
    pthread_t t;
    pthread_attr_t tattr;
    pthread_attr_init(&tattr);
    pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &tattr, rdns_thread, j) != 0) {
        pthread_attr_destroy(&tattr);
        j->refs = 1;
        rdns_release(j);
        return;
    }
    pthread_attr_destroy(&tattr);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&j->lock);
    while (!j->done) {
        if (pthread_cond_timedwait(&j->cond, &j->lock, &deadline) == ETIMEDOUT)
            break;
    }
    if (j->done && j->rc == 0) {
        /* keep a plausible host name only */
        size_t n = 0;
        for (const char *c = j->name; *c && n + 1 < size; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch <= 0x20 || ch >= 0x7f) {
                n = 0;
                break;
            }
            out[n++] = (char)ch;
        }
        out[n] = '\0';
    }
    pthread_mutex_unlock(&j->lock);
    rdns_release(j);
}

/* ---- one HTTP request ---- */

static int64_t ms_left(int64_t deadline_ns)
{
    int64_t left = (deadline_ns - mono_ns(NULL)) / 1000000;
    return left < 0 ? 0 : left;
}

/* wait_fd - poll fd for events until deadline: 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
    for (;;) {
        struct pollfd pfd = {fd, events, 0};
        int64_t left = ms_left(deadline_ns);
        int rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (rc > 0)
            return 1;
        if (rc == 0) {
            if (ms_left(deadline_ns) == 0)
                return 0;
            continue;
        }
        if (errno != EINTR)
            return -1;
    }
}

/* What one request brought back (before parsing). */
typedef struct raw_response {
    uint8_t *data;
    size_t len;
    bool capped;    /* max_bytes reached */
    bool timed_out; /* the deadline came before the end */
} raw_response;

/*
 * http_get - GET path from addr:port, reading until the server closes, max_bytes or the
 * deadline. Returns 0, or -1 with a reason in why (nothing usable received).
 */
static int http_get(ds_prober *p, uint32_t addr, const char *path, raw_response *raw, char *why,
                    size_t why_size)
{
    memset(raw, 0, sizeof(*raw));
    ds_rate_wait(&p->rate);
    int64_t start = mono_ns(NULL);
    int64_t deadline = start + (int64_t)p->cfg.timeout_ms * 1000000;
    int64_t connect_deadline = start + (int64_t)p->cfg.connect_timeout_ms * 1000000;
    if (connect_deadline > deadline)
        connect_deadline = deadline;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, why_size, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(p->cfg.port);
    sin.sin_addr.s_addr = htonl(addr);
    int rc = -1;
    if (connect(fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0 && errno != EINPROGRESS) {
        snprintf(why, why_size, "%s",
                 errno == ECONNREFUSED ? "connection refused" : strerror(errno));
        goto out;
    }
    int w = wait_fd(fd, POLLOUT, connect_deadline);
    if (w <= 0) {
        snprintf(why, why_size, "%s", w == 0 ? "timeout (connect)" : strerror(errno));
        goto out;
    }
    int soerr = 0;
    socklen_t slen = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0 || soerr != 0) {
        snprintf(why, why_size, "%s",
                 soerr == ECONNREFUSED ? "connection refused" : strerror(soerr ? soerr : errno));
        goto out;
    }
    char host[32], req[1024];
    struct in_addr ia = {htonl(addr)};
    inet_ntop(AF_INET, &ia, host, sizeof(host));
    char port[8] = "";
    if (p->cfg.port != 80)
        snprintf(port, sizeof(port), ":%u", p->cfg.port);
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: %s%s\r\nUser-Agent: %s\r\n"
                     "Accept: text/html, text/plain;q=0.9, */*;q=0.1\r\n"
                     "Accept-Encoding: identity\r\nConnection: close\r\n\r\n",
                     path, host, port, p->user_agent);
    if (n < 0 || (size_t)n >= sizeof(req)) {
        snprintf(why, why_size, "request too long");
        goto out;
    }
    for (size_t sent = 0; sent < (size_t)n;) {
        ssize_t k = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);
        if (k > 0) {
            sent += (size_t)k;
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline) <= 0) {
                snprintf(why, why_size, "timeout (sending)");
                goto out;
            }
            continue;
        }
        snprintf(why, why_size, "send: %s", strerror(errno));
        goto out;
    }
    raw->data = malloc(p->cfg.max_bytes);
    if (raw->data == NULL) {
        snprintf(why, why_size, "out of memory");
        goto out;
    }
    for (;;) {
        if (raw->len == p->cfg.max_bytes) {
            raw->capped = true;
            break;
        }
        ssize_t k = recv(fd, raw->data + raw->len, p->cfg.max_bytes - raw->len, 0);
        if (k > 0) {
            raw->len += (size_t)k;
            continue;
        }
        if (k == 0)
            break;
        if (errno == EAGAIN || errno == EINTR) {
            int r = wait_fd(fd, POLLIN, deadline);
            if (r == 0) {
                raw->timed_out = true;
                break;
            }
            if (r < 0) {
                snprintf(why, why_size, "poll: %s", strerror(errno));
                goto out;
            }
            continue;
        }
        if (errno == ECONNRESET && raw->len > 0)
            break; /* what came before the reset is the page */
        snprintf(why, why_size, "%s", errno == ECONNRESET ? "connection reset" : strerror(errno));
        goto out;
    }
    if (raw->len == 0) {
        snprintf(why, why_size, "%s", raw->timed_out ? "timeout" : "empty response");
        goto out;
    }
    rc = 0;
out:
    close(fd);
    if (rc != 0) {
        free(raw->data);
        raw->data = NULL;
        raw->len = 0;
    }
    return rc;
}

/* ---- redirects ---- */

/* clean_path - a request target from loc: bytes outside printable ASCII percent-encoded,
 * the fragment dropped. False when it does not fit. */
static bool clean_path(const char *loc, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    if (loc[0] != '/')
        return false;
    for (const unsigned char *c = (const unsigned char *)loc; *c && *c != '#'; c++) {
        if (*c > 0x20 && *c < 0x7f) {
            if (o + 1 >= size)
                return false;
            out[o++] = (char)*c;
        } else {
            if (o + 3 >= size)
                return false;
            out[o++] = '%';
            out[o++] = hex[*c >> 4];
            out[o++] = hex[*c & 15];
        }
    }
    out[o] = '\0';
    return true;
}

/*
 * next_path - where a Location leads: true with the path when it is the same address and port
 * over http; false (not followed) otherwise.
 */
static bool next_path(const ds_prober *p, uint32_t addr, const char *cur, const char *loc,
                      char *out, size_t size)
{
    char buf[1024];
    const char *rest = NULL;
    if (strncasecmp(loc, "http://", 7) == 0 || strncmp(loc, "//", 2) == 0) {
        const char *auth = loc + (loc[0] == '/' ? 2 : 7);
        size_t alen = strcspn(auth, "/?#");
        if (alen == 0 || alen >= 64 || memchr(auth, '@', alen) != NULL)
            return false;
        char authority[64];
        memcpy(authority, auth, alen);
        authority[alen] = '\0';
        unsigned port = 80;
        char *colon = strchr(authority, ':');
        if (colon != NULL) {
            char *end;
            unsigned long v = strtoul(colon + 1, &end, 10);
            if (*end != '\0' || v == 0 || v > 65535)
                return false;
            port = (unsigned)v;
            *colon = '\0';
        }
        struct in_addr ia;
        if (inet_pton(AF_INET, authority, &ia) != 1 || ntohl(ia.s_addr) != addr ||
            port != p->cfg.port)
            return false;
        rest = auth + alen;
        if (*rest == '\0' || *rest == '#') {
            rest = "/";
        } else if (*rest == '?') {
            snprintf(buf, sizeof(buf), "/%s", rest);
            rest = buf;
        }
    } else if (loc[0] == '/') {
        rest = loc;
    } else {
        /* a scheme ("https:", "ftp:") goes elsewhere; anything else is relative */
        size_t scheme =
            strspn(loc, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
        if (scheme > 0 && loc[scheme] == ':')
            return false;
        const char *slash = strrchr(cur, '/');
        size_t dir = slash != NULL ? (size_t)(slash - cur) + 1 : 1;
        if (dir + strlen(loc) + 1 > sizeof(buf))
            return false;
        memcpy(buf, cur, dir);
        strcpy(buf + dir, loc);
        rest = buf;
    }
    return clean_path(rest, out, size);
}

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* is_text - a Content-Type worth reading for words (none given counts as text). */
static bool is_text(const char *ct)
{
    return ct[0] == '\0' || strcasestr(ct, "text") != NULL || strcasestr(ct, "html") != NULL ||
           strcasestr(ct, "xml") != NULL || strcasestr(ct, "json") != NULL;
}

void ds_probe_host(ds_prober *p, uint32_t addr, ds_probe_result *out)
{
    memset(out, 0, sizeof(*out));
    out->addr = addr;
    char host[32];
    struct in_addr ia = {htonl(addr)};
    inet_ntop(AF_INET, &ia, host, sizeof(host));
    if (special(addr) && !p->cfg.allow_special) {
        snprintf(out->error, sizeof(out->error), "special-purpose address: not probed");
        return;
    }
    if (p->cfg.rdns)
        rdns(addr, p->cfg.rdns_timeout_ms, out->rdns, sizeof(out->rdns));
    char path[256] = "/";
    char port[8] = "";
    if (p->cfg.port != 80)
        snprintf(port, sizeof(port), ":%u", p->cfg.port);
    for (;;) {
        snprintf(out->url, sizeof(out->url), "http://%s%s%s", host, port, path);
        raw_response raw;
        if (http_get(p, addr, path, &raw, out->error, sizeof(out->error)) != 0) {
            out->status = 0;
            return;
        }
        out->bytes = raw.len;
        ds_http_response res;
        ds_error err;
        if (ds_http_parse_response(raw.data, raw.len, p->cfg.max_bytes, &res, &err) != DS_OK) {
            snprintf(out->error, sizeof(out->error), "not HTTP: %.200s%s", err.msg,
                     raw.timed_out ? " (timeout)" : "");
            free(raw.data);
            return;
        }
        free(raw.data);
        out->status = res.status;
        out->truncated = res.truncated || raw.capped || raw.timed_out;
        out->error[0] = '\0';
        if (raw.timed_out)
            snprintf(out->error, sizeof(out->error), "timeout (page incomplete)");
        if (is_redirect(res.status) && res.location[0] != '\0') {
            char next[256];
            if (out->redirects < p->cfg.max_redirects &&
                next_path(p, addr, path, res.location, next, sizeof(next))) {
                out->redirects++;
                memcpy(path, next, sizeof(path));
                ds_http_response_free(&res);
                continue;
            }
            snprintf(out->redirect_refused, sizeof(out->redirect_refused), "%s", res.location);
        }
        memset(&out->disclosure, 0, sizeof(out->disclosure));
        if (is_text(res.content_type))
            ds_disclosure_check(res.body, res.body_len, &out->disclosure);
        ds_http_response_free(&res);
        return;
    }
}
