/*
 * ingest_live.c - `darkscan ingest --state FILE --interface IFACE`: capture with libpcap and
 * commit to the state every --flush seconds and on SIGTERM/SIGINT.
 *
 * The session is one source of the state, with a random id. Each flush commits, in one
 * transaction, the tuples of the packets since the previous flush (new tuple rows) and the
 * session's running counters of the windows those packets fell in (replacing the previous
 * flush's), as version n of the session: a crash loses at most the packets since the last
 * flush. SIGTERM and SIGINT are blocked except inside ppoll(), so a signal can never be lost
 * between the check of the flag and the wait.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_ingest.h"

#define BATCH 4096

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct session {
    ds_state *st;
    const ingest_options *o;
    ds_live *live;
    ds_aggregate *cur; /* since the last flush */
    ds_aggregate *cum; /* counters of the whole session (no tuples) */
    ds_state_source src;
    uint64_t flushed_packets; /* IPv4 packets committed so far */
} session;

/* add_counters - cur's windows into cum, counters only (tuples stay out of cum). */
static ds_status add_counters(session *s, ds_error *err)
{
    for (size_t i = 0; i < ds_aggregate_window_count(s->cur); i++) {
        ds_agg_window_data w;
        ds_status st = ds_aggregate_window_export(s->cur, i, &w, err);
        if (st != DS_OK)
            return st;
        w.keys = NULL;
        w.n_keys = 0;
        st = ds_aggregate_window_import(s->cum, &w, err);
        if (st != DS_OK)
            return st;
    }
    return DS_OK;
}

static int flush(session *s, const char *why, bool final)
{
    ds_error err;
    ds_live_kernel_stats k = {0, 0, 0};
    if (ds_live_kernel(s->live, &k, &err) != DS_OK)
        cli_warn("%s", err.msg);
    const ds_capture_stats *cs = ds_live_capture_stats(s->live);
    s->src.version++;
    s->src.ingested_ns = wall_ns();
    s->src.first_ts_ns = cs->first_ts_ns;
    s->src.last_ts_ns = cs->last_ts_ns;
    s->src.records = cs->records;
    s->src.ipv4 = cs->ipv4;
    s->src.syn = cs->syn;
    s->src.ipv6 = cs->ipv6;
    s->src.non_ip = cs->non_ip;
    s->src.other_skipped = cs->unknown_linktype + cs->short_records + cs->bad_ip;
    s->src.dropped = k.dropped + k.if_dropped;
    ds_state_contrib *c = NULL;
    ds_state_outcome outcome;
    size_t windows = ds_aggregate_window_count(s->cur);
    ds_status st = add_counters(s, &err);
    if (st == DS_OK)
        st = ds_state_contrib_new(&c, s->st, &s->src, s->cur, s->cum, &err);
    if (st == DS_OK)
        st = ds_state_commit(s->st, c, DS_STATE_UPDATE, &outcome, &err);
    uint64_t bytes = c != NULL ? ds_state_contrib_bytes(c) : 0;
    ds_state_contrib_free(c);
    if (st != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    uint64_t packets = cs->ipv4 - s->flushed_packets;
    s->flushed_packets = cs->ipv4;
    ds_aggregate_free(s->cur);
    s->cur = NULL;
    st = ds_aggregate_new(&s->cur, ds_state_config(s->st), &err);
    if (st != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    if (cli_ingest_finish(s->st, s->o, final) != DS_EXIT_OK)
        return DS_EXIT_FAIL;
    if (!s->o->quiet) {
        char b[32];
        cli_ingest_format_bytes(bytes, b, sizeof(b));
        fprintf(stderr,
                "darkscan: %s %s: %" PRIu64 " packets (%zu window%s, %s) committed to %s; "
                "kernel: %" PRIu64 " received, %" PRIu64 " dropped, %" PRIu64
                " dropped by the interface\n",
                s->src.path, why, packets, windows, windows == 1 ? "" : "s", b, s->o->state_path,
                k.received, k.dropped, k.if_dropped);
    }
    return DS_EXIT_OK;
}

int cli_ingest_live(ds_state *st, const ingest_options *o)
{
    ds_error err;
    session s = {.st = st, .o = o};
    ds_packet *batch = malloc(BATCH * sizeof(*batch));
    char *path = malloc(strlen(o->interface) + 8);
    int rc = DS_EXIT_FAIL;
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t wait_mask = orig;
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);

    if (batch == NULL || path == NULL) {
        cli_error("out of memory");
        goto out;
    }
    sprintf(path, "live:%s", o->interface);
    s.src.kind = DS_STATE_LIVE;
    s.src.path = path;
    if (ds_state_random_id(s.src.id, &err) != DS_OK) {
        cli_error("%s", err.msg);
        goto out;
    }
    ds_live_options lo = {o->interface, o->bpf, (uint32_t)o->snaplen, 0, false};
    if (ds_live_open(&s.live, &lo, &err) != DS_OK) {
        cli_error("%s", err.msg);
        goto out;
    }
    /*
     * Every flush adds a tuple row per window it touched; folding them rewrites the window's
     * union, so fold about every four hours of flushes rather than every 16.
     */
    uint64_t rows = 4 * 3600 / o->flush_s;
    ds_state_set_compact_rows(st, rows < DS_STATE_COMPACT_ROWS ? DS_STATE_COMPACT_ROWS
                                                               : (unsigned)rows);
    if (ds_aggregate_new(&s.cur, ds_state_config(st), &err) != DS_OK ||
        ds_aggregate_new(&s.cum, ds_state_config(st), &err) != DS_OK) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (!o->quiet) {
        char id[17];
        fprintf(stderr,
                "darkscan: capturing on %s (link type %u%s%s) into %s, session %s, committing "
                "every %" PRIu64 " s and on SIGTERM/SIGINT\n",
                o->interface, ds_live_linktype(s.live), o->bpf ? ", filter " : "",
                o->bpf ? o->bpf : "", o->state_path, ds_state_id_hex(s.src.id, 16, id), o->flush_s);
    }
    int64_t interval = (int64_t)o->flush_s * 1000000000;
    int64_t deadline = mono_ns() + interval;
    rc = DS_EXIT_OK;
    bool failed = false;
    while (!stop_signal && !failed) {
        int64_t left = deadline - mono_ns();
        if (left <= 0) {
            if (flush(&s, "flush", false) != DS_EXIT_OK) {
                rc = DS_EXIT_FAIL;
                break;
            }
            deadline += interval * (1 + (mono_ns() - deadline) / interval);
            continue;
        }
        struct pollfd pfd = {ds_live_fd(s.live), POLLIN, 0};
        struct timespec ts = {left / 1000000000, left % 1000000000};
        int prc = ppoll(&pfd, 1, &ts, &wait_mask);
        if (prc < 0 && errno != EINTR) {
            cli_error("poll: %s", strerror(errno));
            failed = true;
            break;
        }
        for (;;) {
            size_t n = 0;
            ds_status ls = ds_live_next(s.live, batch, BATCH, &n, &err);
            if (n > 0 && ds_aggregate_add(s.cur, batch, n, &err) != DS_OK) {
                cli_error("%s", err.msg);
                failed = true;
                break;
            }
            if (ls != DS_OK) {
                cli_error("%s: %s", o->interface, err.msg);
                failed = true;
                break;
            }
            if (n == 0)
                break;
        }
    }
    /* The last flush: on a signal, and on a capture error (what was captured is kept). */
    if (rc == DS_EXIT_OK) {
        char why[48];
        snprintf(why, sizeof(why), "%s", stop_signal ? "stopping" : "capture failed");
        if (stop_signal)
            snprintf(why, sizeof(why), "%s, stopping", strsignal(stop_signal));
        if (flush(&s, why, true) != DS_EXIT_OK || failed)
            rc = DS_EXIT_FAIL;
    }
out:
    ds_aggregate_free(s.cur);
    ds_aggregate_free(s.cum);
    ds_live_free(s.live);
    free(batch);
    free(path);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    return rc;
}
