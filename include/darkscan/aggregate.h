/*
 * aggregate.h - the mergeable aggregate of what a darknet saw: for every (window t, source
 * block A, destination port p) the exact set D_t(A -> p) of darknet addresses that received a
 * SYN from A on p, plus per-window, per-source-host counters.
 *
 * An aggregate is a value that merges: sets unite and counters add, so captures can be read in
 * any order, in parallel or in separate runs, and combined with the same result. Memory grows
 * with what was seen (distinct (t, A, p, d) tuples and distinct sources), never with
 * blocks x ports x |D| and never with the number of packets.
 */
#ifndef DARKSCAN_AGGREGATE_H
#define DARKSCAN_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/darknet.h"
#include "darkscan/error.h"
#include "darkscan/packet.h"
#include "darkscan/window.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Source block prefix lengths accepted (the paper's /16 is the default). */
#define DS_PREFIX_MIN     8
#define DS_PREFIX_MAX     32
#define DS_PREFIX_DEFAULT 16

/* An inclusive range of IPv4 addresses. */
typedef struct ds_addr_range {
    uint32_t first, last;
} ds_addr_range;

/* What an aggregate is made with; two aggregates merge only when these are equal. */
typedef struct ds_agg_config {
    const ds_darknet *darknet; /* D, finished; borrowed: must outlive the aggregate */
    ds_window_spec window;     /* how time is cut into windows */
    unsigned prefix;           /* source block prefix length, DS_PREFIX_MIN..DS_PREFIX_MAX */
    /*
     * Optional source filter: when n_sources > 0, only SYN packets to D from these sources
     * become tuples and host counters (totals and window counters still count every packet).
     * Sorted, disjoint ranges; borrowed: must outlive the aggregate. analyze's host pass uses
     * it to look at the constant scanner blocks alone, at prefix 32.
     */
    const ds_addr_range *sources;
    size_t n_sources;
    /*
     * Count, per window and source host, the IP TTL and the TCP window of its SYN packets to D
     * (ds_aggregate_header_values). Exact and mergeable, at the cost of two hash-table updates
     * per such packet, so off unless asked for (the host pass turns it on).
     */
    bool header_values;
    /*
     * Leave out the per-host counters (ds_aggregate_hosts() is then empty for every window):
     * for a first pass whose constant scanner blocks' hosts a second, source-filtered pass
     * counts anyway (analyze's host pass, ds_detect_hosts()). The update of a 200,000-host
     * table was a sixth of a one-thread analysis (docs/PERFORMANCE.md, "Sixth round"). Not
     * with header_values (DS_ERR_INVALID); such an aggregate cannot be exported into a state.
     */
    bool no_host_counts;
    /*
     * Darknet sampling for large telescopes: when 0 < darknet_sample < |D|, the tuples keep
     * only the darknet addresses of a deterministic pseudo-random sample of this many addresses
     * of D (the darknet_sample addresses with the smallest keyed hash of the address: a
     * simple random sample without replacement, the same for every aggregate of the same D),
     * so that memory no longer grows with |D|; coverage |D_t(A->p)| is then counted over the
     * sample (ds_aggregate_coverage_size() addresses) and estimates the share of D. Totals,
     * window and host counters still count every packet. 0 (or >= |D|): all of D, exact.
     */
    uint32_t darknet_sample;
} ds_agg_config;

/* Totals over everything added (all windows). */
typedef struct ds_agg_totals {
    uint64_t packets;         /* IPv4 packets added */
    uint64_t syn_packets;     /* of which TCP SYN (SYN set, ACK clear) */
    uint64_t outside_darknet; /* IPv4 packets whose destination is not in D (ignored) */
    uint64_t syn_to_darknet;  /* SYN packets to D: the ones the method uses */
} ds_agg_totals;

typedef struct ds_aggregate ds_aggregate;

/*
 * ds_aggregate_new - an empty aggregate. Fails with DS_ERR_INVALID when the prefix is out of
 * range or the source ranges are not sorted and disjoint, and with DS_ERR_UNSUPPORTED when prefix +
 * 16 port bits + the bits of a darknet index exceed 64 (a /32 prefix with more than 65,536 darknet
 * addresses, say).
 */
ds_status ds_aggregate_new(ds_aggregate **out, const ds_agg_config *cfg, ds_error *err);
void ds_aggregate_free(ds_aggregate *agg);

/* ds_aggregate_config - the configuration (a copy made at creation; darknet_sample is 0 when
   it was not below |D|). */
const ds_agg_config *ds_aggregate_config(const ds_aggregate *agg);

/*
 * ds_aggregate_coverage_size - how many darknet addresses coverage counts are out of: |D|, or
 * the sample size under darknet sampling. A port is a scan-target port when its coverage is
 * at least alpha times this.
 */
uint64_t ds_aggregate_coverage_size(const ds_aggregate *agg);

/*
 * ds_darknet_sample_addresses - the sample of k addresses that darknet sampling keeps for d
 * (k < |D|), ascending, into out (room for k). The sample index of an address, the d of a
 * tuple key, is its position in this list.
 */
ds_status ds_darknet_sample_addresses(const ds_darknet *d, uint32_t k, uint32_t *out,
                                      ds_error *err);

/*
 * ds_aggregate_add - add n decoded packets. Non-SYN packets count in the totals and in the
 * window's time coverage only; SYN packets to D are aggregated; packets to addresses outside
 * D count in outside_darknet and are otherwise ignored. Returns DS_ERR_NOMEM on allocation
 * failure (the aggregate stays valid but incomplete).
 */
ds_status ds_aggregate_add(ds_aggregate *agg, const ds_packet *pkts, size_t n, ds_error *err);

/*
 * ds_aggregate_merge - add everything of `from` into `into` (from is unchanged). Both must
 * have equal configurations (same darknet prefixes, window spec and prefix): DS_ERR_INVALID
 * otherwise.
 */
ds_status ds_aggregate_merge(ds_aggregate *into, const ds_aggregate *from, ds_error *err);

/* ds_aggregate_totals - totals so far. */
ds_agg_totals ds_aggregate_totals(const ds_aggregate *agg);

/* ---- Reading an aggregate (the detector and the outputs use these). ---- */

/* Per-window facts. */
typedef struct ds_agg_window {
    int64_t id;               /* window id (window.h) */
    uint64_t packets;         /* IPv4 packets with a timestamp in the window */
    uint64_t syn_packets;     /* SYN packets to D in the window */
    uint64_t syn_all;         /* SYN packets, to D or not */
    uint64_t outside_darknet; /* IPv4 packets to addresses outside D */
    int64_t first_ts_ns;      /* earliest packet time in the window */
    int64_t last_ts_ns;       /* latest packet time in the window */
    uint32_t max_gap_slots;   /* longest run of empty coverage slots (see DS_AGG_SLOTS) */
    uint32_t lead_gap_slots;  /* empty slots at the start of the window */
    uint32_t trail_gap_slots; /* empty slots at the end of the window */
} ds_agg_window;

/*
 * Every window is divided into DS_AGG_SLOTS equal slots; a slot is covered when some packet
 * fell into it. Empty runs of slots reveal windows that the input covers only partly.
 */
#define DS_AGG_SLOTS 1024u

/* ds_aggregate_window_count / _window - windows with at least one packet, ascending id. */
size_t ds_aggregate_window_count(const ds_aggregate *agg);
ds_status ds_aggregate_window(const ds_aggregate *agg, size_t i, ds_agg_window *out);

/* Counters of one source host in one window (SYN packets to D only). */
typedef struct ds_host_counts {
    uint32_t host;            /* source address */
    uint64_t syn_packets;     /* SYN packets to D */
    uint64_t mirai_packets;   /* of which TCP seq == destination address (Mirai) */
    uint64_t zmap_packets;    /* of which IP ID == 54321 (ZMap before v4.1) */
    uint64_t masscan_packets; /* of which the Masscan IP ID fingerprint holds */
} ds_host_counts;

/*
 * ds_aggregate_hosts - the per-host counters of window i, sorted by host address. *hosts points
 * into the aggregate and stays valid until the aggregate is next modified or freed.
 */
ds_status ds_aggregate_hosts(ds_aggregate *agg, size_t i, const ds_host_counts **hosts, size_t *n,
                             ds_error *err);

/* A count of one header value (an IP TTL or a TCP window) of one source host's SYNs to D. */
typedef struct ds_value_count {
    uint32_t host;    /* source address */
    uint16_t value;   /* the TTL (0..255) or the TCP window (unscaled) */
    uint64_t packets; /* SYN packets to D from host with this value */
} ds_value_count;

typedef enum ds_header_field {
    DS_FIELD_TTL = 0,    /* IPv4 time to live */
    DS_FIELD_TCP_WINDOW, /* TCP window field */
} ds_header_field;

/*
 * ds_aggregate_header_values - the counts of one header field in window i, sorted by host then
 * value (empty unless the configuration has header_values). *values points into the aggregate
 * and stays valid until it is next modified or freed.
 */
ds_status ds_aggregate_header_values(ds_aggregate *agg, size_t i, ds_header_field field,
                                     const ds_value_count **values, size_t *n, ds_error *err);

/*
 * The coverage of (block, port) pairs in window i: |D_t(A -> p)| for every pair that some SYN
 * reached, sorted by block then port.
 */
typedef struct ds_coverage {
    uint32_t block; /* source address >> (32 - prefix) */
    uint16_t port;  /* destination port */
    uint64_t count; /* |D_t(A -> p)|: distinct darknet addresses */
} ds_coverage;

/*
 * ds_aggregate_coverage - call fn once per (block, port) pair of window i in ascending order;
 * a non-zero return from fn stops the walk early (still DS_OK). May compact the window's
 * internal runs first (hence the non-const aggregate).
 */
typedef int (*ds_coverage_fn)(void *ctx, const ds_coverage *cov);
ds_status ds_aggregate_coverage(ds_aggregate *agg, size_t i, ds_coverage_fn fn, void *ctx,
                                ds_error *err);

/*
 * ds_aggregate_coverage_min - ds_aggregate_coverage, calling fn only for the pairs with at
 * least min_count distinct addresses (the detector's threshold alpha * |D|): the walk counts
 * the others and passes over them without a call, which is most of the pairs of a large
 * window. min_count 0 calls fn for every pair.
 */
ds_status ds_aggregate_coverage_min(ds_aggregate *agg, size_t i, uint64_t min_count,
                                    ds_coverage_fn fn, void *ctx, ds_error *err);

/*
 * ds_aggregate_tuples - the sorted distinct tuple keys of window i, for state storage and
 * tests: key = block << (16 + dbits) | port << dbits | darknet_index, where dbits is given by
 * ds_aggregate_index_bits() (under darknet sampling, darknet_index is the index in the sample). The
 * array lives until the aggregate is next modified or freed.
 */
ds_status ds_aggregate_tuples(ds_aggregate *agg, size_t i, const uint64_t **keys, size_t *n,
                              ds_error *err);
unsigned ds_aggregate_index_bits(const ds_aggregate *agg);

/*
 * A window's whole content, for storing an aggregate (the persistent state) and loading it
 * back. Loading merges: sets unite and counters add, as in ds_aggregate_merge().
 */
typedef struct ds_agg_window_data {
    int64_t id;
    uint64_t packets, syn_packets, syn_all, outside_darknet;
    int64_t first_ts_ns, last_ts_ns;   /* INT64_MAX / INT64_MIN when no packet */
    uint64_t slots[DS_AGG_SLOTS / 64]; /* coverage bitmap, bit s of word s / 64 */
    const uint64_t *keys;              /* sorted distinct tuple keys (ds_aggregate_tuples) */
    size_t n_keys;
    const ds_host_counts *hosts; /* sorted by host, distinct */
    size_t n_hosts;
    /* header value counts (configuration header_values; else empty): sorted by host, then
       value, distinct; TTL values below 256 */
    const ds_value_count *ttls;
    size_t n_ttls;
    const ds_value_count *tcp_windows;
    size_t n_tcp_windows;
} ds_agg_window_data;

/*
 * ds_aggregate_window_export - window i's content. The pointers in *out point into the
 * aggregate and stay valid until it is next modified or freed.
 */
ds_status ds_aggregate_window_export(ds_aggregate *agg, size_t i, ds_agg_window_data *out,
                                     ds_error *err);

/*
 * ds_aggregate_window_import - merge a window's content into agg (made with the same
 * configuration as the aggregate it was exported from; keys must be sorted and distinct and
 * below 2^(prefix + 16 + index bits), hosts and header values sorted and distinct:
 * DS_ERR_FORMAT otherwise; header values into an aggregate without header_values:
 * DS_ERR_INVALID).
 */
ds_status ds_aggregate_window_import(ds_aggregate *agg, const ds_agg_window_data *in,
                                     ds_error *err);

#ifdef __cplusplus
}
#endif
#endif
