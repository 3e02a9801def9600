/*
 * honeypot.c - the all-port TCP honeypot's sockets and event loop (see
 * include/darkscan/honeypot.h and docs/HONEYPOT.md).
 *
 * One thread, one epoll set. Listening sockets are edge-triggered: a listener that reports a
 * connection joins a ready queue and is drained (accept4 until EAGAIN) a few connections at a
 * time, round robin, so that one busy port cannot starve the others. Sessions are
 * level-triggered and read a bounded amount per wake-up. Every session lives in a slot of a
 * fixed array (max_sessions slots, each with capture_bytes of buffer), on two lists ordered by
 * last activity and by start, so that idle and lifetime timeouts are found at the heads in
 * O(1). Nothing grows with the number of connections: over the caps a connection is accepted,
 * logged and reset at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "darkscan/honeypot.h"
#include "honeypot/log_writer.h"
#include "honeypot/sources.h"

#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h */
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif

/* epoll_event.data.u64 = index << 2 | tag */
enum { TAG_WAKE = 0, TAG_LISTENER = 1, TAG_SESSION = 2 };

#define EVENTS_PER_WAIT   256
#define ACCEPTS_PER_TURN  16     /* connections taken from one listener before the next one */
#define ACCEPTS_PER_ROUND 64     /* connections accepted before sessions are read again */
#define READS_PER_WAKE    4      /* recv calls per session per readiness report */
#define PAUSE_US          100000 /* accepting pauses this long when out of fds or memory */
#define TICK_US           1000000

typedef struct listener {
    int fd;
    uint16_t port;
    uint16_t listen_idx;
    bool queued;
} listener;

typedef struct session session;
struct session {
    int fd; /* -1: the slot is free */
    uint32_t idx;
    session *idle_prev, *idle_next; /* ordered by last data received */
    session *age_prev, *age_next;   /* ordered by accept time */
    session *next_free;
    int64_t start_real_us, start_mono_us, last_mono_us;
    ds_honeypot_addr src, dst, src_key;
    uint16_t src_port, dst_port;
    uint32_t data_len;
    uint64_t bytes;
    uint8_t *data;
};

struct ds_honeypot {
    ds_honeypot_config cfg; /* listen, ports, banners: not used after ds_honeypot_new */
    const ds_diag *diag;
    ds_honeypot_ports ports;
    ds_honeypot_addr *listen_addr;
    size_t listen_count;

    int epfd, wakefd, reserve_fd;
    listener *listeners;
    size_t nlisteners;
    uint32_t *ready; /* ring of listener indices waiting to be drained */
    size_t ready_head, ready_count;
    int64_t pause_until_us; /* monotonic; accepting resumes then */

    session *slots;
    uint8_t *capture;
    session *free_list;
    session idle_list, age_list; /* sentinels of the two circular lists */

    ds_honeypot_banner *banners; /* sorted by port */
    size_t banner_count;

    hp_hash_key hash_key;
    hp_counts *per_source;
    hp_seen *seen;
    uint64_t port_seen[1024];

    hp_log *log;
    atomic_int stop_req, reopen_req;
    bool failed; /* a log error stopped the loop; fatal holds it */
    ds_error fatal;

    ds_honeypot_stats stats;
    uint8_t scratch[16384]; /* bytes past the capture are read here and dropped */
};

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static int64_t clock_us(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool addr_from_sockaddr(const struct sockaddr_storage *ss, ds_honeypot_addr *a,
                               uint16_t *port)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(a, 0, sizeof(*a));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        a->family = 4;
        memcpy(a->bytes, &sin->sin_addr, 4);
        *port = ntohs(sin->sin_port);
        return true;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        if (memcmp(sin6->sin6_addr.s6_addr, mapped, 12) == 0) {
            a->family = 4;
            memcpy(a->bytes, sin6->sin6_addr.s6_addr + 12, 4);
        } else {
            a->family = 6;
            memcpy(a->bytes, sin6->sin6_addr.s6_addr, 16);
        }
        *port = ntohs(sin6->sin6_port);
        return true;
    }
    *port = 0;
    return false;
}

static socklen_t sockaddr_of(const ds_honeypot_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        memcpy(&sin->sin_addr, a->bytes, 4);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    memcpy(&sin6->sin6_addr, a->bytes, 16);
    return sizeof(*sin6);
}

/* "192.0.2.1 port 80" / "[2001:db8::1] port 80" for messages. */
static const char *where(const ds_honeypot_addr *a, uint16_t port, char *buf, size_t size)
{
    char text[64];
    ds_honeypot_addr_format(a, text, sizeof(text));
    snprintf(buf, size, a->family == 6 ? "[%s] port %u" : "%s port %u", text, port);
    return buf;
}

/* Circular doubly linked lists with a sentinel. */
static void idle_unlink(session *s)
{
    s->idle_prev->idle_next = s->idle_next;
    s->idle_next->idle_prev = s->idle_prev;
}

static void idle_append(session *head, session *s)
{
    s->idle_prev = head->idle_prev;
    s->idle_next = head;
    head->idle_prev->idle_next = s;
    head->idle_prev = s;
}

static void age_unlink(session *s)
{
    s->age_prev->age_next = s->age_next;
    s->age_next->age_prev = s->age_prev;
}

static void age_append(session *head, session *s)
{
    s->age_prev = head->age_prev;
    s->age_next = head;
    head->age_prev->age_next = s;
    head->age_prev = s;
}

static int banner_cmp(const void *a, const void *b)
{
    const ds_honeypot_banner *x = a, *y = b;
    return (int)x->port - (int)y->port;
}

static const ds_honeypot_banner *banner_for(const ds_honeypot *hp, uint16_t port)
{
    ds_honeypot_banner key;
    key.port = port;
    if (hp->banner_count == 0)
        return NULL;
    return bsearch(&key, hp->banners, hp->banner_count, sizeof(*hp->banners), banner_cmp);
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                       */

uint64_t ds_honeypot_fds_needed(const ds_honeypot_config *cfg)
{
    uint64_t per_addr = 1;
    if (cfg->mode == DS_HONEYPOT_SOCKETS)
        per_addr = cfg->ports != NULL ? cfg->ports->count : 65535;
    /* stdio, epoll, eventfd, reserve, log (and its reader when reopening), slack */
    return (uint64_t)cfg->listen_count * per_addr + cfg->max_sessions + 16;
}

static ds_status check_config(const ds_honeypot_config *cfg, ds_error *err)
{
    if (cfg->listen_count == 0 || cfg->listen == NULL)
        return ds_error_set(err, DS_ERR_INVALID, "no listen address");
    if (cfg->listen_count > DS_HONEYPOT_LISTEN_MAX)
        return ds_error_set(err, DS_ERR_INVALID, "more than %u listen addresses",
                            DS_HONEYPOT_LISTEN_MAX);
    if (cfg->mode != DS_HONEYPOT_SOCKETS && cfg->mode != DS_HONEYPOT_TPROXY)
        return ds_error_set(err, DS_ERR_INVALID, "unknown mode %d", (int)cfg->mode);
    if (cfg->mode == DS_HONEYPOT_TPROXY && cfg->tproxy_port == 0)
        return ds_error_set(err, DS_ERR_INVALID, "tproxy mode needs a port (1-65535)");
    if (cfg->mode == DS_HONEYPOT_SOCKETS && cfg->ports != NULL && cfg->ports->count == 0)
        return ds_error_set(err, DS_ERR_INVALID, "the port set is empty");
    if (cfg->backlog < 1 || cfg->backlog > 65535)
        return ds_error_set(err, DS_ERR_INVALID, "backlog %d is not 1-65535", cfg->backlog);
    if (cfg->capture_bytes > DS_HONEYPOT_CAPTURE_MAX)
        return ds_error_set(err, DS_ERR_INVALID, "capture of %u bytes is over %u",
                            cfg->capture_bytes, DS_HONEYPOT_CAPTURE_MAX);
    if (cfg->idle_timeout_ms == 0 || cfg->max_duration_ms == 0)
        return ds_error_set(err, DS_ERR_INVALID, "timeouts must be over 0");
    if (cfg->max_sessions == 0 || cfg->max_sessions > DS_HONEYPOT_SESSIONS_MAX)
        return ds_error_set(err, DS_ERR_INVALID, "max sessions %u is not 1-%u", cfg->max_sessions,
                            DS_HONEYPOT_SESSIONS_MAX);
    if (cfg->max_per_source == 0)
        return ds_error_set(err, DS_ERR_INVALID, "max sessions per source must be over 0");
    if (cfg->banner_count > DS_HONEYPOT_BANNERS_MAX || (cfg->banner_count && !cfg->banners))
        return ds_error_set(err, DS_ERR_INVALID, "more than %u banners", DS_HONEYPOT_BANNERS_MAX);
    if (cfg->log_path == NULL)
        return ds_error_set(err, DS_ERR_INVALID, "no session log");
    if (cfg->rotate != DS_ROTATE_NONE && strcmp(cfg->log_path, "-") == 0)
        return ds_error_set(err, DS_ERR_INVALID, "standard output cannot be rotated");
    if (cfg->rotate == DS_ROTATE_SIZE && cfg->rotate_size < 1024)
        return ds_error_set(err, DS_ERR_INVALID, "rotation size under 1024 bytes");
    return DS_OK;
}

/* Create, bind and listen one socket; *busy when the address is in use by another socket. */
static ds_status open_listener(ds_honeypot *hp, size_t li, uint16_t port, bool transparent,
                               bool *busy, ds_error *err)
{
    const ds_honeypot_addr *a = &hp->listen_addr[li];
    char at[96];
    *busy = false;
    int family = a->family == 4 ? AF_INET : AF_INET6;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        if (e == EMFILE || e == ENFILE)
            return ds_error_set(err, DS_ERR_LIMIT,
                                "%s: socket: %s (after %zu listening sockets; %llu file "
                                "descriptors needed)",
                                where(a, port, at, sizeof(at)), strerror(e), hp->nlisteners,
                                (unsigned long long)ds_honeypot_fds_needed(&hp->cfg));
        return ds_error_set(err, DS_ERR_IO, "%s: socket: %s", where(a, port, at, sizeof(at)),
                            strerror(e));
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (transparent) {
        int rc = family == AF_INET
                     ? setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one))
                     : setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
        if (rc != 0) {
            int e = errno;
            close(fd);
            return ds_error_set(err, DS_ERR_IO, "%s: transparent socket: %s%s",
                                where(a, port, at, sizeof(at)), strerror(e),
                                e == EPERM ? " (tproxy mode needs CAP_NET_ADMIN)" : "");
        }
    }
    struct sockaddr_storage ss;
    socklen_t len = sockaddr_of(a, port, &ss);
    const char *step = "bind";
    int rc = bind(fd, (struct sockaddr *)&ss, len);
    if (rc == 0) {
        step = "listen";
        rc = listen(fd, hp->cfg.backlog);
    }
    if (rc != 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE) {
            *busy = true;
            return DS_OK;
        }
        return ds_error_set(err, DS_ERR_IO, "%s: %s: %s%s", where(a, port, at, sizeof(at)), step,
                            strerror(e),
                            e == EACCES          ? " (ports below 1024 need root or "
                                                   "CAP_NET_BIND_SERVICE)"
                            : e == EADDRNOTAVAIL ? " (not an address of this host)"
                                                 : "");
    }
    listener *l = &hp->listeners[hp->nlisteners];
    l->fd = fd;
    l->port = port;
    l->listen_idx = (uint16_t)li;
    l->queued = false;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
                             .data.u64 = (uint64_t)hp->nlisteners << 2 | TAG_LISTENER};
    if (epoll_ctl(hp->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int e = errno;
        close(fd);
        return ds_error_set(err, DS_ERR_IO, "%s: epoll: %s", where(a, port, at, sizeof(at)),
                            strerror(e));
    }
    hp->nlisteners++;
    return DS_OK;
}

static void note_busy(ds_honeypot *hp, size_t li, uint16_t port)
{
    if (hp->stats.busy < DS_HONEYPOT_BUSY_LIST) {
        hp->stats.busy_port[hp->stats.busy] = port;
        hp->stats.busy_listen[hp->stats.busy] = (uint32_t)li;
    }
    hp->stats.busy++;
}

static ds_status open_listeners(ds_honeypot *hp, ds_error *err)
{
    bool tproxy = hp->cfg.mode == DS_HONEYPOT_TPROXY;
    size_t per_addr = tproxy ? 1 : hp->ports.count;
    hp->listeners = calloc(hp->listen_count * per_addr, sizeof(*hp->listeners));
    hp->ready = calloc(hp->listen_count * per_addr, sizeof(*hp->ready));
    if (hp->listeners == NULL || hp->ready == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory for %zu listening sockets",
                            hp->listen_count * per_addr);
    for (size_t li = 0; li < hp->listen_count; li++) {
        for (uint32_t port = 1; port <= 65535; port++) {
            if (tproxy ? port != hp->cfg.tproxy_port : !ds_honeypot_ports_has(&hp->ports, port))
                continue;
            bool busy;
            ds_status st = open_listener(hp, li, (uint16_t)port, tproxy, &busy, err);
            if (st != DS_OK)
                return st;
            if (busy)
                note_busy(hp, li, (uint16_t)port);
        }
    }
    hp->stats.sockets = hp->nlisteners;
    if (hp->nlisteners == 0)
        return ds_error_set(err, DS_ERR_IO,
                            "every port is in use by another socket: nothing "
                            "to listen on");
    return DS_OK;
}

ds_status ds_honeypot_new(ds_honeypot **out, const ds_honeypot_config *cfg, const ds_diag *diag,
                          ds_error *err)
{
    *out = NULL;
    ds_status st = check_config(cfg, err);
    if (st != DS_OK)
        return st;
    ds_honeypot *hp = calloc(1, sizeof(*hp));
    if (hp == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    hp->cfg = *cfg;
    hp->diag = diag;
    hp->epfd = hp->wakefd = hp->reserve_fd = -1;
    hp->idle_list.idle_next = hp->idle_list.idle_prev = &hp->idle_list;
    hp->age_list.age_next = hp->age_list.age_prev = &hp->age_list;
    atomic_init(&hp->stop_req, 0);
    atomic_init(&hp->reopen_req, 0);
    if (cfg->ports != NULL)
        hp->ports = *cfg->ports;
    else
        ds_honeypot_ports_all(&hp->ports);

    /* Addresses. */
    hp->listen_count = cfg->listen_count;
    hp->listen_addr = calloc(cfg->listen_count, sizeof(*hp->listen_addr));
    if (hp->listen_addr == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < cfg->listen_count; i++) {
        if ((st = ds_honeypot_addr_parse(cfg->listen[i], &hp->listen_addr[i], err)) != DS_OK)
            goto fail;
        for (size_t j = 0; j < i; j++) {
            if (memcmp(&hp->listen_addr[i], &hp->listen_addr[j], sizeof(ds_honeypot_addr)) == 0) {
                st = ds_error_set(err, DS_ERR_INVALID, "listen address %s given twice",
                                  cfg->listen[i]);
                goto fail;
            }
        }
    }

    /* Banners, sorted for lookup; one per port. */
    if (cfg->banner_count > 0) {
        hp->banners = malloc(cfg->banner_count * sizeof(*hp->banners));
        if (hp->banners == NULL) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            goto fail;
        }
        memcpy(hp->banners, cfg->banners, cfg->banner_count * sizeof(*hp->banners));
        hp->banner_count = cfg->banner_count;
        qsort(hp->banners, hp->banner_count, sizeof(*hp->banners), banner_cmp);
        for (size_t i = 1; i < hp->banner_count; i++) {
            if (hp->banners[i].port == hp->banners[i - 1].port) {
                st = ds_error_set(err, DS_ERR_INVALID, "two banners for port %u",
                                  hp->banners[i].port);
                goto fail;
            }
        }
    }

    /* Session slots and their capture buffers, allocated once. */
    hp->slots = calloc(cfg->max_sessions, sizeof(*hp->slots));
    hp->capture = malloc((size_t)cfg->max_sessions * (cfg->capture_bytes ? cfg->capture_bytes : 1));
    hp_hash_key_random(&hp->hash_key);
    hp->per_source = hp_counts_new(cfg->max_sessions, &hp->hash_key);
    hp->seen = hp_seen_new(&hp->hash_key);
    if (hp->slots == NULL || hp->capture == NULL || hp->per_source == NULL || hp->seen == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory for %u sessions", cfg->max_sessions);
        goto fail;
    }
    for (uint32_t i = cfg->max_sessions; i-- > 0;) {
        session *s = &hp->slots[i];
        s->fd = -1;
        s->idx = i;
        s->data = hp->capture + (size_t)i * cfg->capture_bytes;
        s->next_free = hp->free_list;
        hp->free_list = s;
    }

    /* epoll, the wake-up eventfd, the spare descriptor for EMFILE. */
    hp->epfd = epoll_create1(EPOLL_CLOEXEC);
    hp->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    hp->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (hp->epfd < 0 || hp->wakefd < 0 || hp->reserve_fd < 0) {
        st = ds_error_set(err, DS_ERR_IO, "epoll/eventfd: %s", strerror(errno));
        goto fail;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_WAKE};
    if (epoll_ctl(hp->epfd, EPOLL_CTL_ADD, hp->wakefd, &ev) != 0) {
        st = ds_error_set(err, DS_ERR_IO, "epoll: %s", strerror(errno));
        goto fail;
    }

    if ((st = open_listeners(hp, err)) != DS_OK)
        goto fail;
    hp->cfg.listen = NULL;
    hp->cfg.ports = NULL;
    hp->cfg.banners = NULL;
    *out = hp;
    return DS_OK;
fail:
    ds_honeypot_free(hp);
    return st;
}

ds_status ds_honeypot_open_log(ds_honeypot *hp, ds_error *err)
{
    if (hp->log != NULL)
        return ds_error_set(err, DS_ERR_STATE, "%s: already open", hp->cfg.log_path);
    return hp_log_open(&hp->log, hp->cfg.log_path, hp->cfg.rotate, hp->cfg.rotate_size,
                       clock_us(CLOCK_REALTIME), err);
}

void ds_honeypot_free(ds_honeypot *hp)
{
    if (hp == NULL)
        return;
    for (size_t i = 0; i < hp->nlisteners; i++)
        close(hp->listeners[i].fd);
    if (hp->slots != NULL) {
        for (uint32_t i = 0; i < hp->cfg.max_sessions; i++)
            if (hp->slots[i].fd >= 0)
                close(hp->slots[i].fd);
    }
    if (hp->epfd >= 0)
        close(hp->epfd);
    if (hp->wakefd >= 0)
        close(hp->wakefd);
    if (hp->reserve_fd >= 0)
        close(hp->reserve_fd);
    hp_log_close(hp->log, NULL);
    hp_counts_free(hp->per_source);
    hp_seen_free(hp->seen);
    free(hp->listeners);
    free(hp->ready);
    free(hp->slots);
    free(hp->capture);
    free(hp->banners);
    free(hp->listen_addr);
    free(hp);
}

/* ------------------------------------------------------------------------------------------ */
/* Sessions                                                                                    */

/* Write one session line; a failure stops the loop (kept in hp->fatal). */
static void log_session(ds_honeypot *hp, const hp_session *rec)
{
    hp->stats.sessions++;
    if (hp->failed || hp->log == NULL)
        return;
    if (hp_log_write(hp->log, rec, clock_us(CLOCK_REALTIME), &hp->fatal) != DS_OK) {
        hp->failed = true;
        atomic_store(&hp->stop_req, 1);
    }
}

static void count_source_and_port(ds_honeypot *hp, const ds_honeypot_addr *src, uint16_t port)
{
    hp_seen_add(hp->seen, src);
    uint64_t bit = (uint64_t)1 << (port & 63);
    if ((hp->port_seen[port >> 6] & bit) == 0) {
        hp->port_seen[port >> 6] |= bit;
        hp->stats.ports++;
    }
}

/* The per-source key: the IPv4 address, or the /64 of an IPv6 address. */
static void source_key(const ds_honeypot_addr *src, ds_honeypot_addr *key)
{
    *key = *src;
    if (key->family == 6)
        memset(key->bytes + 8, 0, 8);
}

/* The local (destination) address of an accepted connection. */
static void local_addr(const ds_honeypot *hp, int fd, ds_honeypot_addr *dst, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(dst, 0, sizeof(*dst));
    *port = 0;
    if (hp->cfg.mode == DS_HONEYPOT_TPROXY) {
        /* REDIRECT rewrote the destination: conntrack knows the original one. With TPROXY
         * (no NAT) this fails or gives the local address, which is then the original. */
        len = sizeof(struct sockaddr_in);
        if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len) == 0 &&
            addr_from_sockaddr(&ss, dst, port))
            return;
        len = sizeof(struct sockaddr_in6);
        if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &ss, &len) == 0 &&
            addr_from_sockaddr(&ss, dst, port))
            return;
        len = sizeof(ss);
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        addr_from_sockaddr(&ss, dst, port);
}

/* Log a connection closed right after accept (over a cap, or out of resources), with RST. */
static void drop_now(ds_honeypot *hp, int fd, const ds_honeypot_addr *src, uint16_t src_port,
                     const ds_honeypot_addr *dst, uint16_t dst_port, int64_t start_real_us,
                     ds_honeypot_end end)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    hp->stats.dropped++;
    if (end == DS_HP_END_MAX_SESSIONS)
        hp->stats.dropped_max_sessions++;
    else if (end == DS_HP_END_MAX_PER_SOURCE)
        hp->stats.dropped_max_per_source++;
    else
        hp->stats.dropped_no_fd++;
    hp_session rec = {.start_us = start_real_us,
                      .src = *src,
                      .dst = *dst,
                      .src_port = src_port,
                      .dst_port = dst_port,
                      .end = end};
    log_session(hp, &rec);
}

static void end_session(ds_honeypot *hp, session *s, ds_honeypot_end end, int64_t now_mono_us)
{
    hp_session rec = {.start_us = s->start_real_us,
                      .duration_us = now_mono_us - s->start_mono_us,
                      .src = s->src,
                      .dst = s->dst,
                      .src_port = s->src_port,
                      .dst_port = s->dst_port,
                      .bytes = s->bytes,
                      .data = s->data,
                      .data_len = s->data_len,
                      .end = end};
    log_session(hp, &rec);
    if (end == DS_HP_END_IDLE)
        hp->stats.idle_timeouts++;
    close(s->fd); /* also leaves the epoll set */
    s->fd = -1;
    idle_unlink(s);
    age_unlink(s);
    hp_counts_remove(hp->per_source, &s->src_key);
    s->next_free = hp->free_list;
    hp->free_list = s;
    hp->stats.active--;
}

/* A connection just accepted. */
static void new_connection(ds_honeypot *hp, int fd, const struct sockaddr_storage *peer)
{
    int64_t start_real_us = clock_us(CLOCK_REALTIME);
    ds_honeypot_addr src, dst, key;
    uint16_t src_port, dst_port;
    addr_from_sockaddr(peer, &src, &src_port);
    local_addr(hp, fd, &dst, &dst_port);
    count_source_and_port(hp, &src, dst_port);
    source_key(&src, &key);

    if (hp->stats.active >= hp->cfg.max_sessions || hp->free_list == NULL) {
        drop_now(hp, fd, &src, src_port, &dst, dst_port, start_real_us, DS_HP_END_MAX_SESSIONS);
        return;
    }
    if (hp_counts_get(hp->per_source, &key) >= hp->cfg.max_per_source) {
        drop_now(hp, fd, &src, src_port, &dst, dst_port, start_real_us, DS_HP_END_MAX_PER_SOURCE);
        return;
    }
    session *s = hp->free_list;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
                             .data.u64 = (uint64_t)s->idx << 2 | TAG_SESSION};
    if (epoll_ctl(hp->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 || !hp_counts_add(hp->per_source, &key)) {
        drop_now(hp, fd, &src, src_port, &dst, dst_port, start_real_us, DS_HP_END_NO_FD);
        return;
    }
    hp->free_list = s->next_free;
    s->fd = fd;
    s->start_real_us = start_real_us;
    s->start_mono_us = s->last_mono_us = clock_us(CLOCK_MONOTONIC);
    s->src = src;
    s->dst = dst;
    s->src_key = key;
    s->src_port = src_port;
    s->dst_port = dst_port;
    s->data_len = 0;
    s->bytes = 0;
    idle_append(&hp->idle_list, s);
    age_append(&hp->age_list, s);
    hp->stats.active++;
    if (hp->stats.active > hp->stats.peak_active)
        hp->stats.peak_active = hp->stats.active;

    const ds_honeypot_banner *b = banner_for(hp, dst_port);
    if (b != NULL && b->len > 0) /* once; whatever does not fit the socket buffer is dropped */
        (void)send(fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void session_readable(ds_honeypot *hp, session *s, int64_t now_mono_us)
{
    bool got = false;
    for (int i = 0; i < READS_PER_WAKE; i++) {
        ssize_t n;
        uint32_t room = hp->cfg.capture_bytes - s->data_len;
        if (room > 0)
            n = recv(s->fd, s->data + s->data_len, room, 0);
        else
            n = recv(s->fd, hp->scratch, sizeof(hp->scratch), 0);
        if (n > 0) {
            if (room > 0)
                s->data_len += (uint32_t)n;
            s->bytes += (uint64_t)n;
            hp->stats.bytes += (uint64_t)n;
            got = true;
            continue;
        }
        if (n == 0) {
            end_session(hp, s, DS_HP_END_CLOSE, now_mono_us);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        end_session(hp, s, DS_HP_END_RESET, now_mono_us);
        return;
    }
    if (got) {
        s->last_mono_us = now_mono_us;
        idle_unlink(s);
        idle_append(&hp->idle_list, s);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Accepting                                                                                   */

static void ready_push(ds_honeypot *hp, uint32_t li)
{
    listener *l = &hp->listeners[li];
    if (l->queued)
        return;
    l->queued = true;
    hp->ready[(hp->ready_head + hp->ready_count) % hp->nlisteners] = li;
    hp->ready_count++;
}

static uint32_t ready_pop(ds_honeypot *hp)
{
    uint32_t li = hp->ready[hp->ready_head];
    hp->ready_head = (hp->ready_head + 1) % hp->nlisteners;
    hp->ready_count--;
    hp->listeners[li].queued = false;
    return li;
}

/*
 * Out of file descriptors: free the spare one, accept the connection, log and reset it, and
 * take the spare back (the "reserve fd" trick), so that the backlog keeps moving and
 * the connection is at least logged. Returns false when that was not possible (pause).
 */
static bool accept_without_fds(ds_honeypot *hp, listener *l)
{
    if (hp->reserve_fd < 0) {
        hp->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (hp->reserve_fd < 0)
            return false;
    }
    close(hp->reserve_fd);
    hp->reserve_fd = -1;
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    int fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        int64_t start_real_us = clock_us(CLOCK_REALTIME);
        ds_honeypot_addr src, dst;
        uint16_t src_port, dst_port;
        addr_from_sockaddr(&peer, &src, &src_port);
        local_addr(hp, fd, &dst, &dst_port);
        count_source_and_port(hp, &src, dst_port);
        drop_now(hp, fd, &src, src_port, &dst, dst_port, start_real_us, DS_HP_END_NO_FD);
    }
    hp->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd >= 0 && hp->reserve_fd >= 0;
}

/* Take up to max connections from listener li (*taken counts them). Returns true when it may
 * have more (keep it queued). */
static bool accept_some(ds_honeypot *hp, uint32_t li, int max, int *taken, int64_t now_mono_us)
{
    listener *l = &hp->listeners[li];
    for (int i = 0; i < max; i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            new_connection(hp, fd, &peer);
            (*taken)++;
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return false;
        case EINTR:
            continue;
        case EMFILE:
        case ENFILE:
            hp->stats.accept_errors++;
            if (!accept_without_fds(hp, l)) {
                hp->pause_until_us = now_mono_us + PAUSE_US;
                return true;
            }
            continue;
        case ENOBUFS:
        case ENOMEM:
            hp->stats.accept_errors++;
            hp->pause_until_us = now_mono_us + PAUSE_US;
            return true;
        default:
            /* ECONNABORTED, EPROTO, ENETDOWN, EHOSTUNREACH...: that connection is gone (accept(2)
             * says to retry). */
            hp->stats.accept_errors++;
            if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK)
                return false;
            continue;
        }
    }
    return true;
}

/*
 * One round over the ready listeners, at most ACCEPTS_PER_ROUND connections in all: then the
 * loop reads the sessions again before accepting more, so that sessions whose clients already
 * closed are closed (and no longer count against the caps) and established sessions are not
 * starved by a flood of new ones.
 */
static void accept_round(ds_honeypot *hp, int64_t now_mono_us)
{
    size_t n = hp->ready_count;
    int taken = 0;
    for (size_t i = 0;
         i < n && taken < ACCEPTS_PER_ROUND && hp->pause_until_us <= now_mono_us && !hp->failed;
         i++) {
        uint32_t li = ready_pop(hp);
        int max = ACCEPTS_PER_ROUND - taken;
        if (accept_some(hp, li, max < ACCEPTS_PER_TURN ? max : ACCEPTS_PER_TURN, &taken,
                        now_mono_us))
            ready_push(hp, li);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The loop                                                                                    */

static void expire(ds_honeypot *hp, int64_t now_mono_us)
{
    int64_t idle_us = (int64_t)hp->cfg.idle_timeout_ms * 1000;
    int64_t life_us = (int64_t)hp->cfg.max_duration_ms * 1000;
    while (hp->idle_list.idle_next != &hp->idle_list &&
           hp->idle_list.idle_next->last_mono_us + idle_us <= now_mono_us)
        end_session(hp, hp->idle_list.idle_next, DS_HP_END_IDLE, now_mono_us);
    while (hp->age_list.age_next != &hp->age_list &&
           hp->age_list.age_next->start_mono_us + life_us <= now_mono_us)
        end_session(hp, hp->age_list.age_next, DS_HP_END_MAX_DURATION, now_mono_us);
}

/* Milliseconds until the next thing to do (rounded up), at most a tick. */
static int wait_ms(const ds_honeypot *hp, int64_t now_mono_us, int64_t next_tick_us)
{
    int64_t until = next_tick_us;
    if (hp->ready_count > 0) {
        if (hp->pause_until_us <= now_mono_us)
            return 0;
        if (hp->pause_until_us < until)
            until = hp->pause_until_us;
    }
    if (hp->idle_list.idle_next != &hp->idle_list) {
        int64_t t = hp->idle_list.idle_next->last_mono_us + (int64_t)hp->cfg.idle_timeout_ms * 1000;
        if (t < until)
            until = t;
    }
    if (hp->age_list.age_next != &hp->age_list) {
        int64_t t = hp->age_list.age_next->start_mono_us + (int64_t)hp->cfg.max_duration_ms * 1000;
        if (t < until)
            until = t;
    }
    if (until <= now_mono_us)
        return 0;
    int64_t ms = (until - now_mono_us + 999) / 1000;
    return ms > 1000 ? 1000 : (int)ms;
}

static void sync_log_counts(ds_honeypot *hp)
{
    if (hp->log != NULL)
        hp_log_counts(hp->log, &hp->stats.log_lines, &hp->stats.log_rotations,
                      &hp->stats.log_reopens);
}

static void log_step(ds_honeypot *hp, bool reopen)
{
    if (hp->failed)
        return;
    int64_t now = clock_us(CLOCK_REALTIME);
    ds_status st =
        reopen ? hp_log_reopen(hp->log, now, &hp->fatal) : hp_log_tick(hp->log, now, &hp->fatal);
    if (st != DS_OK) {
        hp->failed = true;
        atomic_store(&hp->stop_req, 1);
    }
    sync_log_counts(hp);
}

ds_status ds_honeypot_run(ds_honeypot *hp, ds_error *err)
{
    if (hp->log == NULL)
        return ds_error_set(err, DS_ERR_STATE, "the session log is not open");
    struct epoll_event events[EVENTS_PER_WAIT];
    ds_status st = DS_OK;
    int64_t now = clock_us(CLOCK_MONOTONIC);
    int64_t next_tick = now + TICK_US;

    /* Connections may have queued since the sockets were bound: look at every listener. */
    for (uint32_t li = 0; li < hp->nlisteners; li++)
        ready_push(hp, li);

    while (!atomic_load(&hp->stop_req)) {
        int n = epoll_wait(hp->epfd, events, EVENTS_PER_WAIT, wait_ms(hp, now, next_tick));
        now = clock_us(CLOCK_MONOTONIC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            st = ds_error_set(err, DS_ERR_IO, "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = events[i].data.u64 & 3, idx = events[i].data.u64 >> 2;
            if (tag == TAG_LISTENER) {
                ready_push(hp, (uint32_t)idx);
            } else if (tag == TAG_SESSION) {
                session *s = &hp->slots[idx];
                if (s->fd >= 0)
                    session_readable(hp, s, now);
            } else {
                uint64_t count;
                while (read(hp->wakefd, &count, sizeof(count)) > 0) {
                }
            }
        }
        accept_round(hp, now);
        expire(hp, now);
        if (atomic_exchange(&hp->reopen_req, 0))
            log_step(hp, true);
        if (now >= next_tick) {
            log_step(hp, false);
            next_tick = now + TICK_US;
        }
    }

    /* Shut down: close and log every open session, then flush and close the log. */
    now = clock_us(CLOCK_MONOTONIC);
    while (hp->age_list.age_next != &hp->age_list)
        end_session(hp, hp->age_list.age_next, DS_HP_END_SHUTDOWN, now);
    sync_log_counts(hp);
    ds_error close_err;
    ds_error_clear(&close_err);
    ds_status cst = hp_log_close(hp->log, &close_err);
    hp->log = NULL;
    if (hp->failed) {
        if (err != NULL)
            *err = hp->fatal;
        return hp->fatal.status;
    }
    if (st != DS_OK)
        return st;
    if (cst != DS_OK) {
        if (err != NULL)
            *err = close_err;
        return cst;
    }
    return DS_OK;
}

void ds_honeypot_stop(ds_honeypot *hp)
{
    int saved = errno;
    atomic_store(&hp->stop_req, 1);
    uint64_t one = 1;
    ssize_t rc = write(hp->wakefd, &one, sizeof(one));
    (void)rc;
    errno = saved;
}

void ds_honeypot_reopen_log(ds_honeypot *hp)
{
    int saved = errno;
    atomic_store(&hp->reopen_req, 1);
    uint64_t one = 1;
    ssize_t rc = write(hp->wakefd, &one, sizeof(one));
    (void)rc;
    errno = saved;
}

void ds_honeypot_get_stats(const ds_honeypot *hp, ds_honeypot_stats *out)
{
    *out = hp->stats;
    out->sources = hp_seen_count(hp->seen);
    out->sources_saturated = hp_seen_saturated(hp->seen);
}
