/*
 * cmd_honeypot.c - `darkscan honeypot --listen ADDR... --log FILE [OPTIONS]`: the all-port TCP
 * honeypot (docs/HONEYPOT.md). Parses the options, raises the file descriptor limit, binds
 * through libdarkscan, drops root, runs until SIGINT/SIGTERM and prints the summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"

#define CMD "honeypot"

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: darkscan honeypot --listen ADDR [--listen ADDR...] --log FILE [OPTIONS]\n"
        "\n"
        "An all-port TCP honeypot: completes the TCP handshake on every port 1-65535 of\n"
        "each listen address, never answers (but for an optional fixed banner), and logs\n"
        "one CSV line per established session: time,src,src_port,dst,dst_port,duration,\n"
        "end,bytes,data. Stops on SIGINT or SIGTERM with a summary; SIGHUP reopens the log.\n"
        "\n"
        "Options:\n"
        "  -l, --listen ADDR       an IPv4 or IPv6 address to cover (repeatable, or\n"
        "                          comma-separated); 0.0.0.0 / :: cover every local address\n"
        "  -w, --log FILE          the session log, appended to ('-': standard output)\n"
        "  -p, --ports LIST        ports to cover, e.g. 1-1024,8080 (default 1-65535)\n"
        "      --mode MODE         sockets: one listening socket per port per address\n"
        "                          (default); tproxy: one transparent socket per address,\n"
        "                          fed by a firewall tproxy/redirect rule (docs/HONEYPOT.md)\n"
        "      --tproxy-port PORT  the port of the transparent socket (default 61000)\n"
        "      --capture-bytes N   first bytes of each session kept in the log (256, max 65536)\n"
        "      --idle-timeout SEC  close a session after SEC seconds without data (30)\n"
        "      --max-duration SEC  close any session after SEC seconds (300)\n"
        "      --max-sessions N    concurrent sessions; more are accepted, logged and reset\n"
        "                          at once (1024)\n"
        "      --max-per-source N  concurrent sessions per source IPv4 address or IPv6 /64\n"
        "                          (64); more are handled the same way\n"
        "      --backlog N         listen backlog of each socket (128)\n"
        "      --banner PORT:TEXT  send TEXT once on PORT after the handshake (repeatable;\n"
        "                          escapes \\r \\n \\t \\\\ \\xHH)\n"
        "      --rotate WHEN       rotate the log: hourly, daily, or a size (100M, 1G...);\n"
        "                          rotated files are FILE.YYYYMMDDTHHMMSSZ (UTC)\n"
        "  -u, --user NAME         drop root for NAME (and its groups) after binding\n"
        "      --allow-root        keep running as root without --user\n"
        "      --ready-file PATH   write the process id to PATH once listening\n"
        "  -q, --quiet             no 'listening' line and no summary\n"
        "  -h, --help              show this help\n"
        "\n"
        "Exit status: 0 stopped by a signal, 1 bind, permission or log error, 2 usage error.\n");
}

/* Seconds with an optional fraction ("30", "0.5") into milliseconds, 1 ms to 1 day. */
static bool parse_seconds(const char *option, const char *text, uint32_t *ms)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0' || v < 0.001 || v > 86400.0) {
        cli_usage(CMD, "%s: '%s' is not a number of seconds from 0.001 to 86400", option, text);
        return false;
    }
    *ms = (uint32_t)(v * 1000.0 + 0.5);
    return true;
}

/* A file descriptor limit of at least need; false (after a message) when it cannot be had. */
static bool raise_fd_limit(uint64_t need, uint64_t sockets)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return true;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
        return true;
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            return true;
    }
    struct rlimit more = {need, need};
    if (setrlimit(RLIMIT_NOFILE, &more) == 0) /* root with CAP_SYS_RESOURCE, up to fs.nr_open */
        return true;
    cli_error("honeypot: needs %llu file descriptors (%llu listening sockets, the sessions and "
              "a few more), the limit is %llu: raise it (as root: ulimit -n, fs.nr_open), "
              "cover fewer ports (--ports) or addresses, or use --mode tproxy",
              (unsigned long long)need, (unsigned long long)sockets,
              (unsigned long long)rl.rlim_max);
    return false;
}

/* Warn when the covered ports include the local ephemeral range: outgoing connect() calls in
 * this network namespace that let the kernel pick the source port then fail. */
static void warn_ephemeral(const ds_honeypot_config *cfg)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f == NULL)
        return;
    unsigned lo = 0, hi = 0;
    int got = fscanf(f, "%u %u", &lo, &hi);
    fclose(f);
    if (got != 2 || lo == 0 || hi > 65535 || lo > hi)
        return;
    uint32_t covered = 0;
    for (uint32_t p = lo; p <= hi; p++)
        covered += ds_honeypot_ports_has(cfg->ports, p);
    if (covered * 2 > hi - lo + 1)
        cli_warn("honeypot: %u of the ephemeral ports %u-%u (net.ipv4.ip_local_port_range) "
                 "are now bound: outgoing TCP connections from this network namespace that do "
                 "not bind a source port will fail (run the honeypot in its own namespace)",
                 covered, lo, hi);
}

/* The user to become: copied out of getpwnam's static storage. */
typedef struct run_as {
    char name[256];
    uid_t uid;
    gid_t gid;
} run_as;

static bool drop_privileges(const run_as *who)
{
    if (initgroups(who->name, who->gid) != 0 || setgid(who->gid) != 0 || setuid(who->uid) != 0) {
        cli_error("honeypot: cannot become user %s: %s", who->name, strerror(errno));
        return false;
    }
    if (who->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        cli_error("honeypot: could regain root after becoming user %s", who->name);
        return false;
    }
    return true;
}

static bool write_ready_file(const char *path)
{
    size_t len = strlen(path) + 8;
    char *tmp = malloc(len);
    if (tmp == NULL)
        return false;
    snprintf(tmp, len, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f != NULL && fprintf(f, "%ld\n", (long)getpid()) > 0;
    if (f != NULL && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        cli_error("%s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

/* The running honeypot, for the signal handlers. */
static ds_honeypot *running;

static void on_stop(int sig)
{
    if (running != NULL)
        ds_honeypot_stop(running);
}

static void on_hup(int sig)
{
    if (running != NULL)
        ds_honeypot_reopen_log(running);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

static void print_busy(const ds_honeypot_config *cfg, const ds_honeypot_stats *st)
{
    if (st->busy == 0)
        return;
    char list[512] = "";
    size_t used = 0;
    size_t shown = st->busy < DS_HONEYPOT_BUSY_LIST ? (size_t)st->busy : DS_HONEYPOT_BUSY_LIST;
    for (size_t i = 0; i < shown; i++) {
        const char *addr = cfg->listen[st->busy_listen[i]];
        int n =
            snprintf(list + used, sizeof(list) - used, strchr(addr, ':') ? "%s[%s]:%u" : "%s%s:%u",
                     i ? ", " : "", addr, st->busy_port[i]);
        if (n < 0 || (size_t)n >= sizeof(list) - used)
            break;
        used += (size_t)n;
    }
    cli_warn("honeypot: %llu port%s in use by other sockets, not covered: %s%s",
             (unsigned long long)st->busy, st->busy == 1 ? "" : "s", list,
             st->busy > shown ? ", ..." : "");
}

static void print_summary(const ds_honeypot_stats *st)
{
    fprintf(stderr,
            "darkscan honeypot: summary: sessions=%llu dropped=%llu (max-sessions=%llu "
            "max-per-source=%llu no-fd=%llu) sources=%s%llu ports=%u idle=%llu bytes=%llu "
            "peak=%u accept-errors=%llu rotations=%llu reopens=%llu\n",
            (unsigned long long)st->sessions, (unsigned long long)st->dropped,
            (unsigned long long)st->dropped_max_sessions,
            (unsigned long long)st->dropped_max_per_source, (unsigned long long)st->dropped_no_fd,
            st->sources_saturated ? ">=" : "", (unsigned long long)st->sources, st->ports,
            (unsigned long long)st->idle_timeouts, (unsigned long long)st->bytes, st->peak_active,
            (unsigned long long)st->accept_errors, (unsigned long long)st->log_rotations,
            (unsigned long long)st->log_reopens);
}

/* Split "a,b,c" into *list (strings point into a strdup'd copy kept in *owned). */
static bool add_listen(const char *text, char ***list, size_t *count, char ***owned,
                       size_t *owned_count)
{
    char *copy = strdup(text);
    char **grown_owned = realloc(*owned, (*owned_count + 1) * sizeof(**owned));
    if (copy == NULL || grown_owned == NULL) {
        free(copy);
        if (grown_owned != NULL)
            *owned = grown_owned;
        return false;
    }
    *owned = grown_owned;
    (*owned)[(*owned_count)++] = copy;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char **grown = realloc(*list, (*count + 1) * sizeof(**list));
        if (grown == NULL)
            return false;
        *list = grown;
        (*list)[(*count)++] = tok;
    }
    return true;
}

enum {
    OPT_MODE = 256,
    OPT_TPROXY_PORT,
    OPT_CAPTURE,
    OPT_IDLE,
    OPT_MAX_DURATION,
    OPT_MAX_SESSIONS,
    OPT_MAX_PER_SOURCE,
    OPT_BACKLOG,
    OPT_BANNER,
    OPT_ROTATE,
    OPT_ALLOW_ROOT,
    OPT_READY_FILE,
};

int cmd_honeypot(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"log", required_argument, NULL, 'w'},
        {"ports", required_argument, NULL, 'p'},
        {"mode", required_argument, NULL, OPT_MODE},
        {"tproxy-port", required_argument, NULL, OPT_TPROXY_PORT},
        {"capture-bytes", required_argument, NULL, OPT_CAPTURE},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"max-duration", required_argument, NULL, OPT_MAX_DURATION},
        {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
        {"max-per-source", required_argument, NULL, OPT_MAX_PER_SOURCE},
        {"backlog", required_argument, NULL, OPT_BACKLOG},
        {"banner", required_argument, NULL, OPT_BANNER},
        {"rotate", required_argument, NULL, OPT_ROTATE},
        {"user", required_argument, NULL, 'u'},
        {"allow-root", no_argument, NULL, OPT_ALLOW_ROOT},
        {"ready-file", required_argument, NULL, OPT_READY_FILE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int rc = DS_EXIT_USAGE;
    ds_honeypot_config cfg;
    ds_honeypot_config_init(&cfg);
    ds_honeypot_ports *ports = calloc(1, sizeof(*ports));
    ds_honeypot_banner *banners = NULL;
    size_t banner_count = 0;
    char **listen = NULL, **owned = NULL;
    size_t listen_count = 0, owned_count = 0;
    const char *user = NULL, *ready_file = NULL, *ports_text = NULL;
    bool allow_root = false, quiet = false, tproxy_port_set = false;
    ds_honeypot *hp = NULL;
    ds_error err;
    ds_error_clear(&err);
    uint64_t v;
    if (ports == NULL) {
        cli_error("honeypot: out of memory");
        return DS_EXIT_FAIL;
    }
    ds_honeypot_ports_all(ports);
    cfg.tproxy_port = 61000;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":l:w:p:u:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (!add_listen(optarg, &listen, &listen_count, &owned, &owned_count)) {
                cli_error("honeypot: out of memory");
                rc = DS_EXIT_FAIL;
                goto done;
            }
            break;
        case 'w':
            cfg.log_path = optarg;
            break;
        case 'p':
            ports_text = optarg;
            if (ds_honeypot_ports_parse(optarg, ports, &err) != DS_OK) {
                cli_usage(CMD, "--ports: %s", err.msg);
                goto done;
            }
            break;
        case OPT_MODE:
            if (strcmp(optarg, "sockets") == 0) {
                cfg.mode = DS_HONEYPOT_SOCKETS;
            } else if (strcmp(optarg, "tproxy") == 0) {
                cfg.mode = DS_HONEYPOT_TPROXY;
            } else {
                cli_usage(CMD, "--mode: '%s' is not sockets or tproxy", optarg);
                goto done;
            }
            break;
        case OPT_TPROXY_PORT:
            if (!cli_parse_u64(CMD, "--tproxy-port", optarg, 1, 65535, &v))
                goto done;
            cfg.tproxy_port = (uint16_t)v;
            tproxy_port_set = true;
            break;
        case OPT_CAPTURE:
            if (!cli_parse_u64(CMD, "--capture-bytes", optarg, 0, DS_HONEYPOT_CAPTURE_MAX, &v))
                goto done;
            cfg.capture_bytes = (uint32_t)v;
            break;
        case OPT_IDLE:
            if (!parse_seconds("--idle-timeout", optarg, &cfg.idle_timeout_ms))
                goto done;
            break;
        case OPT_MAX_DURATION:
            if (!parse_seconds("--max-duration", optarg, &cfg.max_duration_ms))
                goto done;
            break;
        case OPT_MAX_SESSIONS:
            if (!cli_parse_u64(CMD, "--max-sessions", optarg, 1, DS_HONEYPOT_SESSIONS_MAX, &v))
                goto done;
            cfg.max_sessions = (uint32_t)v;
            break;
        case OPT_MAX_PER_SOURCE:
            if (!cli_parse_u64(CMD, "--max-per-source", optarg, 1, DS_HONEYPOT_SESSIONS_MAX, &v))
                goto done;
            cfg.max_per_source = (uint32_t)v;
            break;
        case OPT_BACKLOG:
            if (!cli_parse_u64(CMD, "--backlog", optarg, 1, 65535, &v))
                goto done;
            cfg.backlog = (int)v;
            break;
        case OPT_BANNER: {
            if (banner_count == DS_HONEYPOT_BANNERS_MAX) {
                cli_usage(CMD, "--banner: more than %u banners", DS_HONEYPOT_BANNERS_MAX);
                goto done;
            }
            ds_honeypot_banner *grown = realloc(banners, (banner_count + 1) * sizeof(*banners));
            if (grown == NULL) {
                cli_error("honeypot: out of memory");
                rc = DS_EXIT_FAIL;
                goto done;
            }
            banners = grown;
            if (ds_honeypot_banner_parse(optarg, &banners[banner_count], &err) != DS_OK) {
                cli_usage(CMD, "--banner: %s", err.msg);
                goto done;
            }
            for (size_t i = 0; i < banner_count; i++) {
                if (banners[i].port == banners[banner_count].port) {
                    cli_usage(CMD, "--banner: two banners for port %u", banners[i].port);
                    goto done;
                }
            }
            banner_count++;
            break;
        }
        case OPT_ROTATE:
            if (ds_honeypot_rotate_parse(optarg, &cfg.rotate, &cfg.rotate_size, &err) != DS_OK) {
                cli_usage(CMD, "--rotate: %s", err.msg);
                goto done;
            }
            break;
        case 'u':
            user = optarg;
            break;
        case OPT_ALLOW_ROOT:
            allow_root = true;
            break;
        case OPT_READY_FILE:
            ready_file = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            rc = DS_EXIT_OK;
            goto done;
        case ':':
            cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
            goto done;
        default:
            cli_usage(CMD, "unknown option '%s'", argv[optind - 1]);
            goto done;
        }
    }
    if (optind < argc) {
        cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (listen_count == 0) {
        cli_usage(CMD, "--listen ADDR is required");
        goto done;
    }
    if (cfg.log_path == NULL) {
        cli_usage(CMD, "--log FILE is required ('-' for standard output)");
        goto done;
    }
    if (cfg.rotate != DS_ROTATE_NONE && strcmp(cfg.log_path, "-") == 0) {
        cli_usage(CMD, "--rotate needs a log file, not standard output");
        goto done;
    }
    if (cfg.mode == DS_HONEYPOT_TPROXY && ports_text != NULL) {
        cli_usage(CMD, "--ports is for --mode sockets; in tproxy mode the firewall rule "
                       "chooses the ports");
        goto done;
    }
    if (cfg.mode == DS_HONEYPOT_SOCKETS && tproxy_port_set) {
        cli_usage(CMD, "--tproxy-port is for --mode tproxy");
        goto done;
    }
    for (size_t i = 0; i < listen_count; i++) {
        ds_honeypot_addr a;
        if (ds_honeypot_addr_parse(listen[i], &a, &err) != DS_OK) {
            cli_usage(CMD, "--listen: %s", err.msg);
            goto done;
        }
    }
    if (listen_count > DS_HONEYPOT_LISTEN_MAX) {
        cli_usage(CMD, "--listen: more than %u addresses", DS_HONEYPOT_LISTEN_MAX);
        goto done;
    }
    run_as who;
    if (user != NULL) {
        struct passwd *pw = getpwnam(user);
        if (pw == NULL || strlen(pw->pw_name) >= sizeof(who.name)) {
            cli_usage(CMD, "--user: no user '%s'", user);
            goto done;
        }
        snprintf(who.name, sizeof(who.name), "%s", pw->pw_name);
        who.uid = pw->pw_uid;
        who.gid = pw->pw_gid;
    } else if (geteuid() == 0 && !allow_root) {
        cli_usage(CMD, "running as root: give --user NAME to drop root after binding, or "
                       "--allow-root to keep it");
        goto done;
    }

    cfg.listen = (const char *const *)listen;
    cfg.listen_count = listen_count;
    cfg.ports = ports;
    cfg.banners = banners;
    cfg.banner_count = banner_count;

    rc = DS_EXIT_FAIL;
    uint64_t sockets =
        (uint64_t)listen_count * (cfg.mode == DS_HONEYPOT_SOCKETS ? ports->count : 1);
    if (!raise_fd_limit(ds_honeypot_fds_needed(&cfg), sockets))
        goto done;
    if (ds_honeypot_new(&hp, &cfg, &cli_diag, &err) != DS_OK) {
        cli_error("honeypot: %s", err.msg);
        goto done;
    }
    ds_honeypot_stats st;
    ds_honeypot_get_stats(hp, &st);
    print_busy(&cfg, &st);
    if (cfg.mode == DS_HONEYPOT_SOCKETS)
        warn_ephemeral(&cfg);
    if (user != NULL && !drop_privileges(&who))
        goto done;
    if (ds_honeypot_open_log(hp, &err) != DS_OK) {
        cli_error("honeypot: %s", err.msg);
        goto done;
    }
    running = hp;
    install_signals();
    if (ready_file != NULL && !write_ready_file(ready_file))
        goto done;
    if (!quiet)
        fprintf(stderr,
                "darkscan honeypot: listening on %llu sockets (%zu address%s, %s), log %s\n",
                (unsigned long long)st.sockets, listen_count, listen_count == 1 ? "" : "es",
                cfg.mode == DS_HONEYPOT_TPROXY ? "tproxy" : (ports_text ? ports_text : "1-65535"),
                strcmp(cfg.log_path, "-") == 0 ? "standard output" : cfg.log_path);
    ds_status run_st = ds_honeypot_run(hp, &err);
    ds_honeypot_get_stats(hp, &st);
    if (!quiet || run_st != DS_OK)
        print_summary(&st);
    if (run_st != DS_OK) {
        cli_error("honeypot: %s", err.msg);
        goto done;
    }
    rc = DS_EXIT_OK;
done:
    if (running != NULL) { /* no handler may see the honeypot being freed */
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigprocmask(SIG_BLOCK, &block, NULL);
        running = NULL;
    }
    ds_honeypot_free(hp);
    for (size_t i = 0; i < owned_count; i++)
        free(owned[i]);
    free(owned);
    free(listen);
    free(banners);
    free(ports);
    return rc;
}
