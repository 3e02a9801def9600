/*
 * honeypot.h - an all-port TCP honeypot and the reader of its session log.
 *
 * The paper measures whether a scanner goes on to talk to the services it finds with a
 * honeypot that completes the TCP handshake on every port of its addresses (METHOD.md,
 * "Application-layer scanning"). ds_honeypot is that honeypot: it accepts TCP connections on
 * every port 1-65535 of each listen address in one event-driven (epoll) thread, never answers
 * with more than an optional fixed banner per port, and writes one CSV line per established
 * session to a log (docs/HONEYPOT.md, "Honeypot session log"). ds_honeypot_log_read() is the
 * reading side: it parses that log, and other honeypots' logs converted to it, for `analyze`.
 *
 * Life cycle: ds_honeypot_config_init(), fill the config, ds_honeypot_new() (binds every
 * socket: call it while privileged), drop privileges (the caller's job), ds_honeypot_open_log(),
 * ds_honeypot_run() until ds_honeypot_stop(), ds_honeypot_get_stats(), ds_honeypot_free().
 * The library never prints: warnings go to the ds_diag given to ds_honeypot_new().
 */
#ifndef DARKSCAN_HONEYPOT_H
#define DARKSCAN_HONEYPOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Addresses and port sets                                                                    */

/* An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are stored as IPv4. */
typedef struct ds_honeypot_addr {
    uint8_t family;    /* 4 or 6 */
    uint8_t bytes[16]; /* network byte order; IPv4 uses bytes[0..3], the rest is zero */
} ds_honeypot_addr;

/* ds_honeypot_addr_v4 - an IPv4 address in host byte order (0 for an IPv6 address). */
uint32_t ds_honeypot_addr_v4(const ds_honeypot_addr *a);

/*
 * ds_honeypot_addr_parse - "192.0.2.1" or "2001:db8::1" (IPv4-mapped IPv6 becomes IPv4).
 * Returns DS_OK, or DS_ERR_FORMAT with the reason in err (no file name).
 */
ds_status ds_honeypot_addr_parse(const char *text, ds_honeypot_addr *out, ds_error *err);

/* ds_honeypot_addr_format - the usual text form into buf (at least 46 bytes); returns buf. */
char *ds_honeypot_addr_format(const ds_honeypot_addr *a, char *buf, size_t size);

/* A set of TCP ports (bit p set: port p is in the set; port 0 is never in it). */
typedef struct ds_honeypot_ports {
    uint64_t bits[1024];
    uint32_t count; /* how many ports are in the set */
} ds_honeypot_ports;

/* ds_honeypot_ports_all - every port 1-65535. */
void ds_honeypot_ports_all(ds_honeypot_ports *set);

/*
 * ds_honeypot_ports_parse - a list such as "1-1024,8080,9000-9100" (ranges inclusive, ports
 * 1-65535, overlaps allowed). Returns DS_OK or DS_ERR_INVALID naming the bad item in err.
 */
ds_status ds_honeypot_ports_parse(const char *text, ds_honeypot_ports *set, ds_error *err);

/* ds_honeypot_ports_has - whether port is in set. */
static inline bool ds_honeypot_ports_has(const ds_honeypot_ports *set, uint32_t port)
{
    return port < 65536 && ((set->bits[port >> 6] >> (port & 63)) & 1u);
}

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                              */

/* How every port is covered (docs/HONEYPOT.md). */
typedef enum ds_honeypot_mode {
    /* One listening socket per port per address: no firewall rule, one fd per port. */
    DS_HONEYPOT_SOCKETS = 0,
    /*
     * One transparent (IP_TRANSPARENT) listening socket per address on tproxy_port; a firewall
     * rule (nftables `tproxy`, or `redirect` / iptables REDIRECT) sends every port to it. The
     * original destination comes from SO_ORIGINAL_DST (redirect) or the socket's local
     * address (tproxy). Needs CAP_NET_ADMIN to bind.
     */
    DS_HONEYPOT_TPROXY = 1,
} ds_honeypot_mode;

/* When the session log is rotated. */
typedef enum ds_honeypot_rotate_kind {
    DS_ROTATE_NONE = 0,
    DS_ROTATE_SIZE,   /* when the file reaches rotate_size bytes */
    DS_ROTATE_HOURLY, /* at every full UTC hour */
    DS_ROTATE_DAILY,  /* at every UTC midnight */
} ds_honeypot_rotate_kind;

/*
 * ds_honeypot_rotate_parse - "hourly", "daily", or a size "N[kKmMgG]" (bytes, KiB, MiB, GiB;
 * at least 1024 bytes). Returns DS_OK or DS_ERR_INVALID with the reason in err.
 */
ds_status ds_honeypot_rotate_parse(const char *text, ds_honeypot_rotate_kind *kind, uint64_t *size,
                                   ds_error *err);

/* The largest banner, and the most banners one honeypot takes. */
#define DS_HONEYPOT_BANNER_MAX  1024
#define DS_HONEYPOT_BANNERS_MAX 4096

/* A fixed banner sent once, right after the handshake, on one port. */
typedef struct ds_honeypot_banner {
    uint16_t port;
    uint16_t len;
    uint8_t data[DS_HONEYPOT_BANNER_MAX];
} ds_honeypot_banner;

/*
 * ds_honeypot_banner_parse - "PORT:TEXT" where TEXT may use the escapes \r \n \t \\ and \xHH.
 * Returns DS_OK or DS_ERR_INVALID with the reason in err.
 */
ds_status ds_honeypot_banner_parse(const char *text, ds_honeypot_banner *out, ds_error *err);

/* Limits of the options (ds_honeypot_new refuses values outside them). */
#define DS_HONEYPOT_CAPTURE_MAX  65536u   /* capture_bytes */
#define DS_HONEYPOT_SESSIONS_MAX 1000000u /* max_sessions */
#define DS_HONEYPOT_LISTEN_MAX   1024u    /* listen addresses */

typedef struct ds_honeypot_config {
    /* Listen addresses as text ("192.0.2.1", "::1"; "0.0.0.0" and "::" cover every local
     * address of that family; IPv6 sockets are IPv6-only). Borrowed until ds_honeypot_new
     * returns. */
    const char *const *listen;
    size_t listen_count;
    /* Ports to cover in DS_HONEYPOT_SOCKETS mode (NULL: 1-65535). Copied by ds_honeypot_new. */
    const ds_honeypot_ports *ports;
    ds_honeypot_mode mode;
    uint16_t tproxy_port;     /* DS_HONEYPOT_TPROXY: the port of the transparent socket */
    int backlog;              /* listen(2) backlog of each socket (default 128) */
    uint32_t capture_bytes;   /* first bytes of each session kept for the log (default 256) */
    uint32_t idle_timeout_ms; /* close a session after this long without data (30000) */
    uint32_t max_duration_ms; /* close any session after this long (300000) */
    uint32_t max_sessions;    /* concurrent sessions overall (default 1024) */
    uint32_t max_per_source;  /* concurrent sessions per source (IPv4 address, IPv6 /64) (64) */
    const ds_honeypot_banner *banners; /* copied by ds_honeypot_new; one per port at most */
    size_t banner_count;
    /* The session log: a path, or "-" for standard output. Borrowed until ds_honeypot_free. */
    const char *log_path;
    ds_honeypot_rotate_kind rotate; /* not with "-" */
    uint64_t rotate_size;           /* DS_ROTATE_SIZE: bytes */
} ds_honeypot_config;

/* ds_honeypot_config_init - the defaults above, no listen address, no log. */
void ds_honeypot_config_init(ds_honeypot_config *cfg);

/* ------------------------------------------------------------------------------------------ */
/* The honeypot                                                                               */

typedef struct ds_honeypot ds_honeypot;

/* How many (address, port) pairs that were in use by another socket ds_honeypot_stats lists. */
#define DS_HONEYPOT_BUSY_LIST 8

typedef struct ds_honeypot_stats {
    uint64_t sockets; /* listening sockets bound */
    uint64_t busy;    /* (address, port) pairs not covered: already in use (EADDRINUSE) */
    uint16_t busy_port[DS_HONEYPOT_BUSY_LIST];   /* the first few of them: port */
    uint32_t busy_listen[DS_HONEYPOT_BUSY_LIST]; /* and index into config.listen */
    uint64_t sessions; /* sessions logged (every established connection, dropped ones too) */
    uint64_t dropped;  /* of these, closed at once: sum of the three below */
    uint64_t dropped_max_sessions;   /* over max_sessions */
    uint64_t dropped_max_per_source; /* over max_per_source */
    uint64_t dropped_no_fd;          /* out of file descriptors (EMFILE/ENFILE) */
    uint64_t idle_timeouts;          /* sessions closed for idling */
    uint64_t accept_errors;          /* failed accept(2) calls other than EAGAIN */
    uint64_t sources;                /* distinct source addresses (a lower bound when saturated) */
    bool sources_saturated;          /* more distinct sources than the set keeps (65536) */
    uint32_t ports;                  /* distinct destination ports */
    uint64_t bytes;                  /* bytes received from clients */
    uint32_t active;                 /* sessions open now */
    uint32_t peak_active;            /* most sessions open at once */
    uint64_t log_lines;              /* lines written to the log, headers excluded */
    uint64_t log_rotations;
    uint64_t log_reopens;
} ds_honeypot_stats;

/*
 * ds_honeypot_fds_needed - how many file descriptors a honeypot with cfg uses at most
 * (listening sockets, sessions, log, epoll and a few more), so that the caller can raise
 * RLIMIT_NOFILE before ds_honeypot_new().
 */
uint64_t ds_honeypot_fds_needed(const ds_honeypot_config *cfg);

/*
 * ds_honeypot_new - validate cfg, create the sockets and bind every (address, port). A port
 * already in use is not an error: it is counted in the stats (the caller reports it). Any
 * other bind or listen failure (permission, address not local, out of file descriptors) is an
 * error naming the address and port. On success *out owns the honeypot (ds_honeypot_free);
 * its sockets are listening, so connections queue until ds_honeypot_run(). diag (may be NULL)
 * is borrowed for the honeypot's life.
 */
ds_status ds_honeypot_new(ds_honeypot **out, const ds_honeypot_config *cfg, const ds_diag *diag,
                          ds_error *err);

/*
 * ds_honeypot_open_log - open (create, append to) cfg.log_path; write the header line when the
 * file is new or empty. A non-empty file whose first line is not this header is an error (the
 * columns would not match). Call it after dropping privileges so that later reopening and
 * rotation run as the same user. Errors name the file.
 */
ds_status ds_honeypot_open_log(ds_honeypot *hp, ds_error *err);

/*
 * ds_honeypot_run - the event loop: accept, read, time out, log, until ds_honeypot_stop().
 * Then every open session is closed and logged (end "shutdown"), the log flushed and closed.
 * Returns DS_OK after a stop, or an error (log write or rotation failure naming the file,
 * epoll failure); sessions still open are logged as far as possible in that case too.
 */
ds_status ds_honeypot_run(ds_honeypot *hp, ds_error *err);

/*
 * ds_honeypot_stop / ds_honeypot_reopen_log - ask the running loop to stop, or to reopen the
 * log file (for logrotate). Async-signal-safe: meant to be called from a signal handler, or
 * from another thread.
 */
void ds_honeypot_stop(ds_honeypot *hp);
void ds_honeypot_reopen_log(ds_honeypot *hp);

/* ds_honeypot_get_stats - a copy of the counters (safe during ds_honeypot_run only from the
 * same thread; after it returns, from any). */
void ds_honeypot_get_stats(const ds_honeypot *hp, ds_honeypot_stats *out);

/* ds_honeypot_free - close every socket and the log; NULL is a no-op. */
void ds_honeypot_free(ds_honeypot *hp);

/* Why a session ended (the log's `end` column gives the name). */
typedef enum ds_honeypot_end {
    DS_HP_END_CLOSE = 0,      /* "close": the client closed its side */
    DS_HP_END_RESET,          /* "reset": reset by the client, or a receive error */
    DS_HP_END_IDLE,           /* "idle": nothing received for idle_timeout_ms */
    DS_HP_END_MAX_DURATION,   /* "max-duration": open for max_duration_ms */
    DS_HP_END_MAX_SESSIONS,   /* "max-sessions": over the overall cap, closed at once */
    DS_HP_END_MAX_PER_SOURCE, /* "max-per-source": over the per-source cap, closed at once */
    DS_HP_END_NO_FD,          /* "no-fd": out of file descriptors, closed at once */
    DS_HP_END_SHUTDOWN,       /* "shutdown": the honeypot stopped */
} ds_honeypot_end;

/* ds_honeypot_end_name - the log's name of e (static string). */
const char *ds_honeypot_end_name(ds_honeypot_end e);

/* ------------------------------------------------------------------------------------------ */
/* Reading a session log                                                                      */

/* One session as read from a log. */
typedef struct ds_honeypot_record {
    int64_t time_us; /* when the session was established: Unix time, microseconds, UTC */
    ds_honeypot_addr src, dst;
    uint16_t src_port, dst_port;
    uint64_t line; /* line number in the file (1 = the header) */
} ds_honeypot_record;

/* Called once per record; a non-zero return stops reading (ds_honeypot_log_read returns
 * DS_OK). rec is borrowed for the call only. */
typedef int (*ds_honeypot_record_fn)(void *ctx, const ds_honeypot_record *rec);

/* The longest line the reader accepts. */
#define DS_HONEYPOT_LINE_MAX 65536u

/*
 * ds_honeypot_log_read - parse a session log and call fn for each session, in file order.
 * path "-" reads standard input; gzip-compressed files are recognised from their content.
 *
 * The first line that is neither empty nor a `#` comment is the header: columns are found by
 * name (time, src, src_port, dst, dst_port; case does not matter; a few other honeypots'
 * names are accepted: timestamp, src_ip, dst_ip, sport, dport ...), in any order, and other
 * columns are ignored. Fields may be quoted as in RFC 4180. time is RFC 3339 (UTC "Z" or an
 * offset, optional fraction) or Unix seconds with an optional fraction.
 *
 * A bad line stops with DS_ERR_FORMAT and "PATH:LINE: reason"; an unreadable file gives
 * DS_ERR_IO "PATH: reason". A last line without its newline that does not parse (a log cut by
 * a crash) is a warning to diag (may be NULL), not an error.
 */
ds_status ds_honeypot_log_read(const char *path, ds_honeypot_record_fn fn, void *ctx,
                               const ds_diag *diag, ds_error *err);

/*
 * ds_honeypot_log_parse - the same as ds_honeypot_log_read over len bytes in memory (not
 * compressed); name is used in messages.
 */
ds_status ds_honeypot_log_parse(const void *data, size_t len, const char *name,
                                ds_honeypot_record_fn fn, void *ctx, const ds_diag *diag,
                                ds_error *err);

/*
 * ds_honeypot_parse_time - RFC 3339 ("2019-07-01T13:20:00.5Z", "...+09:00") or Unix seconds
 * ("1561987200.5") into microseconds since 1970-01-01T00:00:00Z (fractions beyond
 * microseconds are truncated). Returns DS_OK or DS_ERR_FORMAT with the reason in err.
 */
ds_status ds_honeypot_parse_time(const char *text, size_t len, int64_t *time_us, ds_error *err);

#ifdef __cplusplus
}
#endif
#endif
