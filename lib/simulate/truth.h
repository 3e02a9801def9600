/*
 * truth.h - the simulator's oracle: METHOD.md applied to exactly the packets the simulator
 * wrote, with code of its own (it never calls lib/aggregate or lib/detect), so that comparing
 * `darkscan analyze` with truth.json tests the detector against an independent answer.
 *
 * The packets of each month are recorded as they are written: for every TCP SYN to D the tuple
 * (/16 block, port, darknet index) and the source host with its fingerprint bits. A finished
 * month is sorted and reduced to its port sets P_t(A) and per-host counters; the result is
 * then computed from the months: scan windows, constant scanners, Jaccard and Simpson medians
 * as exact fractions, categories, Table 2, packets, Mirai share, top /24.
 */
#ifndef DS_SIMULATE_TRUTH_H
#define DS_SIMULATE_TRUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/detect.h"
#include "darkscan/error.h"
#include "darkscan/packet.h"

/* An exact fraction num / den (den > 0). */
typedef struct ds_sim_frac {
    uint64_t num, den;
} ds_sim_frac;

/* ds_sim_frac_cmp - -1, 0, 1 as a < b, a == b, a > b (128-bit cross products, exact). */
int ds_sim_frac_cmp(ds_sim_frac a, ds_sim_frac b);

/* The method's thresholds, as the oracle uses them. */
typedef struct ds_sim_truth_params {
    ds_sim_frac alpha;           /* scan-target port: |D_t(A->p)| / |D| >= alpha */
    uint32_t min_ports;          /* n */
    uint32_t min_windows;        /* m */
    ds_sim_frac routine_jaccard; /* routine: Jaccard median > this */
    ds_sim_frac stable_simpson;  /* routine or semi-routine: Simpson median > this */
} ds_sim_truth_params;

/* ds_sim_truth_params_paper - alpha 4/5, n 30, m 6, Jaccard 4/5, Simpson 7/10. */
void ds_sim_truth_params_paper(ds_sim_truth_params *p);

/* Fingerprint bits of a SYN, as the oracle sees them. */
#define DS_SIM_FP_MIRAI   1u /* TCP sequence number == destination address */
#define DS_SIM_FP_ZMAP    2u /* IP ID 54321 */
#define DS_SIM_FP_MASSCAN 4u /* IP ID == (dst ^ dport ^ seq) & 0xffff */

/* ds_sim_fingerprints - the DS_SIM_FP_* bits of p (any packet). */
unsigned ds_sim_fingerprints(const ds_packet *p);

/*
 * ds_sim_month_start_ns - the start of month k counted from year/month (month 1..12), in ns
 * since the epoch, UTC; ds_sim_month_label - "YYYY-MM" of that month into buf (8 bytes).
 */
int64_t ds_sim_month_start_ns(int year, int month, size_t k);
char *ds_sim_month_label(int year, int month, size_t k, char *buf);

typedef struct ds_sim_truth ds_sim_truth;

/*
 * ds_sim_truth_new - an empty oracle for the darknet D made of n disjoint prefixes (addrs in
 * host order, lens 0..32, in any order) and n_months calendar months from year/month. The
 * oracle indexes D itself (dense index = rank of the address in D). Overlapping prefixes,
 * host bits set or n_months == 0 are DS_ERR_INVALID. Free with ds_sim_truth_free().
 */
ds_status ds_sim_truth_new(ds_sim_truth **out, const uint32_t *addrs, const unsigned *lens,
                           size_t n, int year, int month, size_t n_months,
                           const ds_sim_truth_params *params, ds_error *err);
void ds_sim_truth_free(ds_sim_truth *t);

/* ds_sim_truth_darknet_size - |D|; ds_sim_truth_index - the dense index of addr, or -1. */
uint64_t ds_sim_truth_darknet_size(const ds_sim_truth *t);
int64_t ds_sim_truth_index(const ds_sim_truth *t, uint32_t addr);

/*
 * Recording one month. A recorder belongs to one thread; recorders of different months may
 * be filled and finished in parallel. ds_sim_month_rec_add records one written packet (its
 * time must lie in the recorder's month: DS_ERR_INVALID otherwise). ds_sim_month_rec_finish
 * sorts and reduces what was recorded (the expensive part); ds_sim_truth_add_month then moves
 * the finished month into t (cheap; one call at a time) and frees the recorder in every case.
 */
typedef struct ds_sim_month_rec ds_sim_month_rec;

ds_status ds_sim_month_rec_new(ds_sim_month_rec **out, const ds_sim_truth *t, size_t month,
                               ds_error *err);
void ds_sim_month_rec_free(ds_sim_month_rec *r);
ds_status ds_sim_month_rec_add(ds_sim_month_rec *r, const ds_packet *p, ds_error *err);
ds_status ds_sim_month_rec_finish(ds_sim_month_rec *r, ds_error *err);
ds_status ds_sim_truth_add_month(ds_sim_truth *t, ds_sim_month_rec *r, ds_error *err);

/* One scan window of a constant scanner: P_t(A). */
typedef struct ds_sim_port_set {
    size_t month; /* month index from the start */
    uint16_t *ports;
    uint32_t n;
} ds_sim_port_set;

/* A constant Internet-wide scanner block, as the oracle finds it. */
typedef struct ds_sim_net {
    uint32_t block; /* first address of the /16 */
    ds_category category;
    ds_sim_frac jaccard_median, simpson_median;
    ds_sim_port_set *sets; /* ascending month */
    size_t n_sets;
    uint32_t ports_max, ports_min;
    uint64_t syn_packets, mirai_packets, zmap_packets, masscan_packets;
    uint32_t top24; /* the /24 with the most SYN packets to D (ties: the lower) */
    uint64_t top24_packets;
    uint64_t hosts; /* distinct sources that sent SYN packets to D */
} ds_sim_net;

/* What a block did in one month: for explaining planted blocks that are not detected. */
typedef struct ds_sim_block_month {
    uint32_t block;
    size_t month;
    uint32_t ports_at_alpha; /* |P_t(A)| */
    uint64_t max_coverage;   /* max over p of |D_t(A->p)| */
} ds_sim_block_month;

typedef struct ds_sim_window {
    uint64_t packets;         /* every IPv4 packet written with a time in the month */
    uint64_t syn_packets;     /* TCP SYN (SYN set, ACK clear), to D or not */
    uint64_t syn_to_darknet;  /* of which to D */
    uint64_t outside_darknet; /* packets of any kind to addresses outside D */
    uint32_t scan_blocks;     /* blocks with an Internet-wide scan in the month */
} ds_sim_window;

typedef struct ds_sim_top_port {
    uint16_t port;
    uint32_t sets; /* routine and semi-routine port sets that contain the port */
} ds_sim_top_port;

typedef struct ds_sim_result {
    uint64_t darknet_size;
    uint64_t alpha_addresses; /* ceil(alpha |D|) */
    ds_sim_window *windows;   /* one per month */
    size_t n_months;
    ds_sim_window totals;
    ds_sim_net *nets; /* ascending block */
    size_t n_nets;
    ds_sim_top_port *top_ports; /* descending sets, then ascending port */
    size_t n_top_ports;
    uint32_t top_ports_total_sets;
    ds_sim_block_month *block_months; /* every (block, month) with a SYN to D, ascending */
    size_t n_block_months;
} ds_sim_result;

/*
 * ds_sim_truth_compute - the method over every month added so far. On success *out owns the
 * result (free with ds_sim_result_free); t is unchanged.
 */
ds_status ds_sim_truth_compute(const ds_sim_truth *t, ds_sim_result **out, ds_error *err);
void ds_sim_result_free(ds_sim_result *r);

/*
 * ds_sim_similarity - the medians of Jaccard and Simpson over all unordered pairs of the k
 * port sets (ports ascending), and the category they give under params (any output may be
 * NULL). One set: both medians are 1. The median of an even count is the mean of the middle
 * two, exactly.
 */
ds_status ds_sim_similarity(const ds_sim_port_set *sets, size_t k,
                            const ds_sim_truth_params *params, ds_sim_frac *jaccard,
                            ds_sim_frac *simpson, ds_category *category, ds_error *err);

/* ds_sim_frac_value - num / den as the nearest double. */
double ds_sim_frac_value(ds_sim_frac f);

#endif
