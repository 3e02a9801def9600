/*
 * appscan.h - application-layer scanning (METHOD.md, "Application-layer scanning"): for each
 * constant scanner block x with an Internet-wide scan in a window tau that an all-port
 * honeypot covered, the share gamma of its port set P_tau(x) on which x went on to establish
 * TCP sessions with at least a quorum of the honeypot's addresses (the paper's Table 4).
 */
#ifndef DARKSCAN_APPSCAN_H
#define DARKSCAN_APPSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "darkscan/detect.h"
#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The honeypot sessions of one or more session logs, grouped by window and source block. */
typedef struct ds_app_sessions ds_app_sessions;

/*
 * ds_app_sessions_new - an empty collection for windows `window` and source blocks of length
 * `prefix` (the analysis' own). NULL when out of memory. Free with ds_app_sessions_free().
 */
ds_app_sessions *ds_app_sessions_new(const ds_window_spec *window, unsigned prefix);
void ds_app_sessions_free(ds_app_sessions *s);

/*
 * ds_app_sessions_read - add every session of a honeypot session log (INTERFACE.md's CSV,
 * plain or gzip; see ds_honeypot_log_read). Sessions from IPv6 sources cannot belong to an
 * IPv4 block and are counted apart. Errors name PATH:LINE.
 */
ds_status ds_app_sessions_read(ds_app_sessions *s, const char *path, const ds_diag *diag,
                               ds_error *err);

/* ds_app_sessions_add - add one session (time in microseconds, IPv4 addresses, host order). */
ds_status ds_app_sessions_add(ds_app_sessions *s, int64_t time_us, uint32_t src, uint32_t dst,
                              uint16_t dst_port, ds_error *err);

/*
 * ds_app_scan - compute gamma for every network of r that has an Internet-wide scan in a
 * window the sessions cover, and record it in r (ds_network.app_scans, r->honeypot).
 * honeypot_addrs: the number of honeypot addresses (0: the distinct destination addresses
 * seen in the sessions); quorum: sessions needed per port (0: half the addresses, rounded up).
 */
ds_status ds_app_scan(ds_results *r, ds_app_sessions *s, uint32_t honeypot_addrs, uint32_t quorum,
                      ds_error *err);

#ifdef __cplusplus
}
#endif
#endif
