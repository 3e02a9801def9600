/*
 * detect.h - the paper's method on an aggregate: scan-target ports, port sets, Internet-wide
 * scans, constant Internet-wide scanners, and their characterisation (observation period,
 * port-set sizes, Jaccard/Simpson medians and category, frequently scanned ports).
 *
 * Symbols follow METHOD.md: alpha (share of D), n = min_ports, m = min_windows, P_t(A) the
 * port set of block A in window t, T(A) its scan windows.
 */
#ifndef DARKSCAN_DETECT_H
#define DARKSCAN_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/aggregate.h"
#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * An exact non-negative rational. Thresholds are parsed from decimals into ratios and every
 * comparison is made in integers, so that alpha 0.7 of |D| = 10 is 7 addresses, not 8.
 */
typedef struct ds_ratio {
    uint64_t num;
    uint64_t den; /* > 0 */
} ds_ratio;

/*
 * ds_ratio_parse - a decimal "0.8", "1", "1.0", "0.125" (at most 9 fraction digits, no sign,
 * no exponent) into *out, reduced. DS_ERR_FORMAT with a reason otherwise.
 */
ds_status ds_ratio_parse(const char *text, ds_ratio *out, ds_error *err);

/* ds_ratio_value - the nearest double (num / den, correctly rounded). */
double ds_ratio_value(ds_ratio r);

/* ds_ratio_cmp - -1, 0 or 1 as a < b, a == b, a > b. */
int ds_ratio_cmp(ds_ratio a, ds_ratio b);

/* The method's parameters. */
typedef struct ds_params {
    ds_ratio alpha;           /* scan-target port: |D_t(A->p)| / |D| >= alpha (paper 0.8) */
    uint32_t min_ports;       /* n: Internet-wide scan when |P_t(A)| >= n (paper 30) */
    uint32_t min_windows;     /* m: constant scanner when |T(A)| >= m (paper 6) */
    ds_ratio routine_jaccard; /* routine when the Jaccard median > this (paper 0.8) */
    ds_ratio stable_simpson;  /* routine or semi-routine when the Simpson median > this (0.7) */
    uint32_t max_gap_slots;   /* a window is complete when no empty run of coverage slots is
                                 longer than this (of DS_AGG_SLOTS per window) */
} ds_params;

/* Default max_gap_slots: 32 of 1,024 slots, about 23 hours of a month, 45 minutes of a day. */
#define DS_DEFAULT_MAX_GAP_SLOTS 32u

/* ds_params_default - the paper's values. */
void ds_params_default(ds_params *p);

typedef enum ds_category {
    DS_CATEGORY_ROUTINE = 0, /* Jaccard > 0.8 and Simpson > 0.7 */
    DS_CATEGORY_SEMI_ROUTINE,
    DS_CATEGORY_AD_HOC, /* Simpson <= 0.7 */
} ds_category;

/* ds_category_name - "routine", "semi-routine", "ad-hoc". */
const char *ds_category_name(ds_category c);

/* P_t(A) for one scan window t. */
typedef struct ds_port_set {
    int64_t window;     /* window id */
    uint16_t *ports;    /* ascending */
    uint32_t n;         /* |P_t(A)| */
    uint64_t *coverage; /* per port: |D_t(A->p)| (under darknet sampling: over the sample) */
} ds_port_set;

/* One source host of a constant scanner block. */
typedef struct ds_block_host {
    uint32_t addr;            /* the source address */
    uint64_t syn_packets;     /* SYN packets to D from it, every window */
    uint32_t ports_max;       /* max |P_t(host)| over the block's scan windows (host pass) */
    uint32_t *port_set_sizes; /* |P_t(host)| for each scan window of the block, in the order of
                                 ds_network.port_sets; NULL without the host pass */
    int32_t ttl;              /* dominant IP TTL of its SYN packets (host pass); -1 unknown */
    int32_t tcp_window;       /* dominant TCP window of its SYN packets (host pass); -1 */
} ds_block_host;

/* One /24 inside a constant scanner block (the whole /24 around it when the block is longer). */
typedef struct ds_subnet {
    uint32_t prefix;      /* first address of the /24 */
    uint64_t syn_packets; /* SYN packets to D from it, every window */
    uint64_t hosts;       /* distinct source hosts in it that sent them */
} ds_subnet;

/* gamma of one block in one honeypot window (METHOD.md, "Application-layer scanning"). */
typedef struct ds_app_scan_result {
    int64_t window;          /* tau */
    uint32_t ports;          /* |P_tau(x)| */
    uint32_t app_ports;      /* ports of P_tau(x) with sessions on >= quorum honeypot addresses */
    uint16_t *app_port_list; /* those ports, ascending */
} ds_app_scan_result;

/* A constant Internet-wide scanner block and its characterisation. */
typedef struct ds_network {
    uint32_t block;                /* first address of the block */
    unsigned prefix;               /* block prefix length */
    ds_category category;          /* from the medians below */
    ds_ratio jaccard_median;       /* median of Jaccard over all unordered pairs of T(A) */
    ds_ratio simpson_median;       /* median of Simpson over the same pairs */
    ds_port_set *port_sets;        /* one per scan window, ascending window: T(A) and P_t(A) */
    size_t n_scan_windows;         /* |T(A)| */
    uint32_t ports_max;            /* max |P_t(A)| over T(A) */
    uint32_t ports_min;            /* min |P_t(A)| over T(A) */
    uint64_t syn_packets;          /* SYN packets to D from the block, every window */
    uint64_t mirai_packets;        /* of which with TCP seq == destination address */
    uint64_t zmap_packets;         /* of which with IP ID 54321 */
    uint64_t masscan_packets;      /* of which with the Masscan IP ID */
    uint32_t top24;                /* the /24 with the most SYN packets to D (ties: lower) */
    uint64_t top24_packets;        /* its SYN packets */
    uint64_t hosts;                /* distinct source hosts that sent SYN packets to D */
    ds_app_scan_result *app_scans; /* per honeypot window with a scan (ascending), or NULL */
    size_t n_app_scans;
    uint32_t top24_host;      /* the busiest host of top24 (ties: lower): its country and AS
                                 are the block's */
    ds_block_host *host_list; /* every source host: descending syn_packets, then ascending
                                 address (n_host_list == hosts) */
    size_t n_host_list;
    ds_subnet *subnets; /* every /24 that sent SYNs to D: descending syn_packets, then address */
    size_t n_subnets;
    int32_t ttl;                 /* dominant IP TTL of the block's SYNs (host pass); -1 unknown */
    uint64_t ttl_packets;        /* SYN packets with that TTL */
    int32_t tcp_window;          /* dominant TCP window (host pass); -1 unknown */
    uint64_t tcp_window_packets; /* SYN packets with that window */
} ds_network;

/* What the honeypot contributed (ds_app_scan), when a session log was given. */
typedef struct ds_honeypot_info {
    uint32_t addresses;     /* honeypot addresses (given, or distinct destinations) */
    uint32_t quorum;        /* sessions needed per port */
    uint64_t sessions;      /* IPv4 sessions read */
    uint64_t ipv6_sessions; /* sessions from IPv6 sources (cannot be in an IPv4 block) */
    int64_t *windows;       /* windows the sessions cover, ascending */
    size_t n_windows;
} ds_honeypot_info;

/* One window of the input. */
typedef struct ds_window_result {
    int64_t id;
    uint64_t packets;     /* IPv4 packets */
    uint64_t syn_packets; /* SYN packets to D */
    int64_t first_ts_ns;  /* INT64_MAX when the window saw no packet */
    int64_t last_ts_ns;
    bool complete;          /* the input covers the whole window (no long gap) */
    uint32_t max_gap_slots; /* longest empty run of coverage slots, edges included */
    uint32_t scan_blocks;   /* blocks with an Internet-wide scan in this window */
} ds_window_result;

/* Table 2: a port and the share of routine and semi-routine port sets that contain it. */
typedef struct ds_top_port {
    uint16_t port;
    uint32_t sets; /* port sets containing the port */
} ds_top_port;

/* A sensor of the darknet and its size (copied from the ds_darknet). */
typedef struct ds_sensor_info {
    char *name;
    uint64_t size;
} ds_sensor_info;

/* What was read, as the caller (the tool) reports it; ds_detect leaves it zeroed. */
typedef struct ds_input_info {
    uint64_t files;         /* capture files read */
    uint64_t records;       /* capture records (packets) of every kind */
    uint64_t truncated;     /* files that ended inside a record */
    uint64_t failed;        /* files that could not be read to the end */
    uint64_t ipv6;          /* skipped: IPv6 */
    uint64_t non_ip;        /* skipped: not IP */
    uint64_t other_skipped; /* skipped: unknown link type, short or bad headers */
} ds_input_info;

typedef struct ds_results {
    ds_params params;
    unsigned prefix;
    ds_window_spec window;
    uint64_t darknet_size;   /* |D| */
    uint64_t darknet_sample; /* K when coverage is estimated from a sample of K addresses of D
                                (ds_agg_config.darknet_sample), else 0 */
    ds_sensor_info *sensors; /* the darknet's sensors */
    size_t n_sensors;
    ds_input_info input;      /* filled by the caller */
    uint64_t alpha_addresses; /* the smallest |D_t(A->p)| that makes a scan-target port (of
                                 the sample's K addresses under darknet sampling) */
    ds_agg_totals totals;
    ds_window_result *windows; /* every window from the first to the last seen */
    size_t n_windows;
    ds_network *networks; /* the constant scanners, ascending block */
    size_t n_networks;
    ds_top_port *top_ports; /* descending sets, then ascending port */
    size_t n_top_ports;
    uint32_t top_ports_total_sets; /* port sets of routine and semi-routine blocks */
    struct ds_sweep *sweep;        /* threshold sensitivity when requested, else NULL */
    ds_honeypot_info *honeypot;    /* application-layer scanning when requested, else NULL */
    bool host_pass;                /* ds_detect_hosts ran: per-host port sets, TTL, window */
    /* The aggregate had no host counts (no_host_counts): each block's packets, fingerprints,
       hosts and /24s wait for ds_detect_hosts. */
    bool host_facts_pending;
    struct ds_enrichment *enrichment; /* country, AS, known scanners (enrich.h), else NULL */
} ds_results;

/*
 * ds_detect - run the method on agg. On success *out owns results to release with
 * ds_results_free(). The aggregate is compacted as a side effect but not otherwise changed.
 * When agg was made with no_host_counts and there are constant scanner blocks, their host
 * figures are left to ds_detect_hosts() (host_facts_pending; the JSON writer refuses such
 * results until then).
 */
ds_status ds_detect(ds_aggregate *agg, const ds_params *params, ds_results **out, ds_error *err);
void ds_results_free(ds_results *r);

/*
 * ds_sample_stderr - the standard error of a coverage share estimated from a simple random
 * sample of `sample` of the `size` addresses of D: sqrt(share (1 - share) / sample
 * * (size - sample) / (size - 1)) (the hypergeometric variance; docs/PERFORMANCE.md, "Darknet
 * sampling"). 0 when the sample is all of D.
 */
double ds_sample_stderr(uint64_t sample, uint64_t size, double share);

/*
 * ds_results_source_ranges - the address ranges of r's networks (ascending, disjoint), for the
 * source filter of a host-pass aggregate. *ranges is malloc'd (free it); NULL when none.
 */
ds_status ds_results_source_ranges(const ds_results *r, ds_addr_range **ranges, size_t *n,
                                   ds_error *err);

/*
 * ds_detect_hosts - the host pass: for every constant scanner block of r, each host's port-set
 * size |P_t(host)| in each of the block's scan windows (same alpha as the block), and the
 * dominant IP TTL and TCP window of the block and of each host (the most frequent value over
 * all its SYN packets to D; ties: the lower value). host_agg is an aggregate of the same
 * input made with prefix 32, r's darknet and window spec, header_values on, and normally a
 * source filter of ds_results_source_ranges(r) (so that it holds the blocks' packets alone).
 * DS_ERR_INVALID when host_agg's configuration does not fit. Sets r->host_pass. When r came
 * from an aggregate without host counts (r->host_facts_pending), each block's packets,
 * fingerprints, hosts and /24s come from host_agg's host counters first (the same counts: the
 * same SYNs to D of the block's sources).
 */
ds_status ds_detect_hosts(ds_results *r, ds_aggregate *host_agg, ds_error *err);

/*
 * Threshold sensitivity: how many blocks are constant scanners for every combination of the
 * given alphas, min_ports and min_windows, from one aggregate without re-reading captures.
 */
struct ds_sweep {
    ds_ratio *alphas;
    size_t n_alphas;
    uint32_t *min_ports;
    size_t n_min_ports;
    uint32_t *min_windows;
    size_t n_min_windows;
    /* counts[(a * n_min_ports + p) * n_min_windows + w] */
    uint32_t *counts;
};
typedef struct ds_sweep ds_sweep;

/*
 * ds_sweep_run - fill sweep->counts (allocated here; free with ds_sweep_free_counts) for the
 * grid the caller set in sweep.
 */
ds_status ds_sweep_run(ds_aggregate *agg, ds_sweep *sweep, ds_error *err);
void ds_sweep_free_counts(ds_sweep *sweep);

/*
 * ds_sweep_new_default - a sweep over the default grid (alpha 0.5, 0.55, ..., 1.0; n 10, 20,
 * 30, 50, 100; m 1..the number of windows, at most 24), run on agg. Free with ds_sweep_free().
 */
ds_status ds_sweep_new_default(ds_aggregate *agg, ds_sweep **out, ds_error *err);
void ds_sweep_free(ds_sweep *sweep);

#ifdef __cplusplus
}
#endif
#endif
