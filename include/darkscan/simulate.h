/*
 * simulate.h - a faithful darknet simulator: synthetic captures of a network telescope with
 * planted constant Internet-wide scanners and distractors, and the exact answer the method
 * must give on them.
 *
 * ds_simulate_run() writes into a folder:
 *   darknet.txt                  D, one `CIDR SENSOR` per line (docs/FORMATS.md)
 *   captures/<sensor>/<day>.<ext> one capture per sensor and day, packets in time order
 *   truth.json                   what `darkscan analyze` must find, computed from the packets
 *                                actually written by an oracle of its own (METHOD.md applied
 *                                without lib/aggregate or lib/detect), plus what was planted
 * The same seed gives byte-identical files whatever the number of threads. docs/SIMULATE.md
 * describes the scenarios, the planted blocks and truth.json.
 */
#ifndef DARKSCAN_SIMULATE_H
#define DARKSCAN_SIMULATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/capture.h"
#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A scenario: what is simulated (darknet, period, planted blocks, distractors). */
typedef struct ds_sim_scenario {
    const char *name;     /* "paper", "modern", "small" */
    const char *summary;  /* one line for --help and --list */
    double default_scale; /* --scale when none is given */
    unsigned knee;        /* port-set sizes above this are scaled (see ds_sim_config.scale) */
} ds_sim_scenario;

/* The scenario registry, in the order --list shows it; ds_sim_scenario_find: NULL if unknown. */
size_t ds_sim_scenario_count(void);
const ds_sim_scenario *ds_sim_scenario_at(size_t i);
const ds_sim_scenario *ds_sim_scenario_find(const char *name);

/* A capture file format the simulator writes. */
typedef struct ds_sim_format {
    const char *name; /* "pcap", "pcap-ns", "pcap-be", "pcapng", "pcapng-ns", "pcapng-be" */
    ds_format format;
    int nanosecond;
    int big_endian;
} ds_sim_format;

/* The format registry; ds_sim_format_find: NULL if unknown. */
size_t ds_sim_format_count(void);
const ds_sim_format *ds_sim_format_at(size_t i);
const ds_sim_format *ds_sim_format_find(const char *name);

/* The name "mixed" (ds_sim_config.format): every file picks its own format, compression and
 * link type from the seed, so that one run exercises every reader. */
#define DS_SIM_MIXED "mixed"

typedef struct ds_sim_config {
    const char *out_dir;  /* created when missing; a previous simulation's captures/ there is
                             replaced, anything else that is in the way is an error */
    const char *scenario; /* NULL: "paper" */
    uint64_t seed;
    double scale;               /* 0: the scenario's default. Otherwise in (0, 1]: port-set
                                   sizes s above the scenario's knee K become
                                   K + round((s - K) * scale); 1 is full size */
    const char *format;         /* a ds_sim_format name or DS_SIM_MIXED; NULL: "pcap" */
    ds_compression compression; /* for a single format; ignored by "mixed" */
    int level;                  /* compression level; 0: a fast one (gzip 1, zstd 1, ...) */
    unsigned threads;           /* worker threads; 0: 1 */
    bool truth_only;            /* write darknet.txt and truth.json but no captures */
} ds_sim_config;

/* Progress, reported after each simulated month. */
typedef struct ds_sim_progress {
    size_t months_done, months_total;
    uint64_t packets; /* written so far */
    uint64_t files;
} ds_sim_progress;

typedef struct ds_sim_events {
    /* called one at a time, from any thread; may be NULL */
    void (*progress)(void *ctx, const ds_sim_progress *p);
    void *ctx;
} ds_sim_events;

/* What a run wrote. */
typedef struct ds_sim_summary {
    const ds_sim_scenario *scenario;
    double scale;
    uint64_t packets;      /* capture records written */
    uint64_t files;        /* capture files written */
    uint64_t darknet_size; /* |D| */
    size_t networks;       /* constant scanners in truth.json */
    size_t routine, semi_routine, ad_hoc;
    size_t planted;          /* actors planted (scanners and distractors) */
    size_t planted_constant; /* of which meant to be constant scanners */
} ds_sim_summary;

/*
 * ds_simulate_run - simulate cfg->scenario into cfg->out_dir. On DS_OK *summary (may be NULL)
 * says what was written. Errors: DS_ERR_INVALID for a bad configuration (unknown scenario or
 * format, scale out of range), DS_ERR_IO naming the path that could not be written,
 * DS_ERR_NOMEM. On error the folder may hold part of the output.
 */
ds_status ds_simulate_run(const ds_sim_config *cfg, const ds_sim_events *events,
                          ds_sim_summary *summary, ds_error *err);

#ifdef __cplusplus
}
#endif
#endif
