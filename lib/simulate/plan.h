/*
 * plan.h - what a scenario plans before any packet is drawn: the darknet and its sensors, the
 * period, and the actors (planted scanners and distractors) with their port sets month by
 * month. scenario.c builds plans; generate.c turns an actor's month into packets.
 */
#ifndef DS_SIMULATE_PLAN_H
#define DS_SIMULATE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/detect.h"
#include "darkscan/error.h"
#include "darkscan/simulate.h"
#include "simulate/ranges.h"
#include "simulate/rng.h"
#include "simulate/truth.h"

#define SIM_MAX_MONTHS   24
#define SIM_MAX_SENSORS  8
#define SIM_MAX_PREFIXES 64

typedef enum sim_kind {
    SIM_SCANNER,     /* TCP SYN sweeps over a target set, a port set per month */
    SIM_MIRAI,       /* Mirai-like bots: ports 23/2323, TCP sequence number = destination */
    SIM_BACKSCATTER, /* SYN-ACK and RST answers to floods with spoofed (darknet) sources */
    SIM_UDP,         /* UDP sweeps */
    SIM_NOISE,       /* random sources, ports, flags and protocols */
} sim_kind;

/* The scanning tool, which fixes IP ID, source ports and TCP window. */
typedef enum sim_tool {
    SIM_TOOL_ZMAP,    /* IP ID 54321 */
    SIM_TOOL_MASSCAN, /* IP ID = dst ^ dport ^ seq */
    SIM_TOOL_OTHER,   /* random IP ID */
} sim_tool;

/* Which addresses an actor sweeps. */
typedef enum sim_targets {
    SIM_TARGET_DARKNET, /* D (and, now and then, the addresses next to it) */
    SIM_TARGET_EVEN,    /* the darknet addresses of even dense index: half of D */
    SIM_TARGET_ODD,     /* the other half */
    SIM_TARGET_OUTSIDE, /* only the addresses next to D, outside it */
} sim_targets;

/* What one actor does in one month. */
typedef struct sim_month_plan {
    uint16_t *ports; /* swept ports (scanners, UDP, backscatter), ascending */
    uint32_t n_ports;
    uint32_t cov_lo, cov_hi; /* target addresses reached per port: uniform in [lo, hi] */
    uint16_t *partial;       /* ports swept over part of the targets only */
    uint32_t n_partial;
    uint32_t partial_lo, partial_hi;
    uint64_t volume; /* Mirai and noise: packets in the month */
    bool scan;       /* planned as an Internet-wide scan (counts toward T(A)) */
} sim_month_plan;

/* A row of the paper's Table 3, as a planted block. */
typedef struct sim_paper_row {
    const char *letter;
    const char *range; /* ds_sim_ranges name */
    const char *country;
    ds_category paper_category; /* as printed in Table 3 */
    ds_category category;       /* simulated (6 routine, 6 semi-routine, 22 ad-hoc) */
    int first, last;            /* months from 2018-07 */
    uint32_t ports_max, ports_min;
    bool documented; /* ✓ in Table 3: a web page on the hosts says they scan */
    sim_tool tool;
    bool all_ports;   /* the set stands for all 65,535 ports (modern scenario) */
    bool exact_alpha; /* every port reaches exactly ceil(alpha |D|) addresses */
} sim_paper_row;

typedef struct sim_actor {
    char name[32];
    sim_kind kind;
    sim_tool tool;
    sim_targets targets;
    const ds_sim_range *range; /* where the hosts come from (NULL: random sources) */
    uint32_t *hosts;           /* source hosts (Mirai and noise without hosts: random) */
    uint32_t *cum_weight;      /* cumulative host weights */
    uint8_t *ttl;              /* initial TTL seen from each host */
    uint32_t n_hosts;
    uint32_t rtx_permille; /* SYN retransmissions, per thousand packets */
    sim_month_plan month[SIM_MAX_MONTHS];
    /* what was planned, for truth.json's "planted" list */
    bool expect_constant;
    ds_category category;       /* planned category of a constant scanner */
    const char *why;            /* a distractor: why it must not be detected */
    const sim_paper_row *paper; /* the Table 3 row it stands for, if any */
    uint32_t ports_max, ports_min;
} sim_actor;

typedef struct sim_prefix {
    uint32_t addr;
    unsigned len;
    size_t sensor;
} sim_prefix;

typedef struct sim_plan {
    const ds_sim_scenario *scenario;
    uint64_t seed;
    double scale;
    int year, month; /* first month */
    size_t n_months;
    const char *sensor_names[SIM_MAX_SENSORS];
    size_t n_sensors;
    sim_prefix prefixes[SIM_MAX_PREFIXES];
    size_t n_prefixes;
    uint32_t *dark; /* D, ascending (index = dense index) */
    uint8_t *dark_sensor;
    uint32_t n_dark;
    uint32_t *outside; /* addresses next to D, outside it, ascending */
    uint8_t *outside_sensor;
    uint32_t n_outside;
    sim_actor *actors;
    size_t n_actors, cap_actors;
    uint32_t *bots; /* the Mirai botnet's hosts */
    uint32_t n_bots;
    ds_sim_truth_params params;
} sim_plan;

/* ds_sim_plan_build - the plan of scenario for seed and scale (scale already resolved). */
ds_status ds_sim_plan_build(sim_plan *plan, const ds_sim_scenario *scenario, uint64_t seed,
                            double scale, ds_error *err);
void ds_sim_plan_free(sim_plan *plan);

/* ds_sim_scaled - a Table 3 size s at the plan's scale: s, or knee + round((s - knee) * scale). */
uint32_t ds_sim_scaled(const sim_plan *plan, uint32_t s);

/* Commonly scanned TCP ports, most popular first (noise and port-set planning draw on them). */
extern const uint16_t ds_sim_popular_ports[];
extern const size_t ds_sim_popular_ports_count;

/*
 * ds_sim_reserved - addresses no simulated source uses: 0/8, 10/8, 127/8, 100.64/10,
 * 169.254/16, 172.16/12, 192.168/16, multicast and above, and the darknet's own /16s.
 */
bool ds_sim_reserved(const sim_plan *plan, uint32_t addr);

/* A growable array of packets. */
typedef struct sim_packets {
    ds_packet *v;
    size_t n, cap;
} sim_packets;

/*
 * The packets of one month as generate.c draws them, already split into the month's files:
 * bucket sensor * days + day (file_index holds the sensor until the packet is written).
 */
typedef struct sim_month_out {
    sim_packets *buckets;
    size_t n_buckets;
    unsigned days;
    int64_t start_ns;
    uint64_t packets;
} sim_month_out;

/*
 * ds_sim_generate_actor - append the packets actor a sends in month m to out, drawn from the
 * stream (seed, actor index, month): independent of any other actor and month.
 */
ds_status ds_sim_generate_actor(const sim_plan *plan, size_t actor, size_t m, sim_month_out *out,
                                ds_error *err);

#endif
