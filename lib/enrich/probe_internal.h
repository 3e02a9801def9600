/*
 * probe_internal.h - what probe.c and probe_results.c share: the prober, and its rate limit:
 * request starts at least 1/rate seconds apart, over every host (a token bucket of depth
 * one). The clock and the sleep are parameters so that a test can check the schedule without
 * waiting.
 */
#ifndef DS_ENRICH_PROBE_INTERNAL_H
#define DS_ENRICH_PROBE_INTERNAL_H

#include <stdint.h>

#include "darkscan/enrich.h"

typedef struct ds_rate_limit {
    int64_t interval_ns;          /* 1e9 / rate */
    int64_t next_ns;              /* the earliest start of the next request */
    int64_t (*now_ns)(void *ctx); /* monotonic clock */
    void (*sleep_ns)(void *ctx, int64_t ns);
    void *ctx;
} ds_rate_limit;

/* ds_rate_init - rate requests per second (<= 0: no limit), with the system's clock. */
void ds_rate_init(ds_rate_limit *r, double rate);

/* ds_rate_wait - sleep until a request may start, and take its slot. */
void ds_rate_wait(ds_rate_limit *r);

struct ds_prober {
    ds_probe_config cfg; /* cfg.user_agent points to user_agent */
    char user_agent[256];
    ds_rate_limit rate;
};

#endif
