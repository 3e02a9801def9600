/*
 * output.h - writing results: the results JSON of INTERFACE.md, CSV tables a spreadsheet or
 * pandas reads directly, and the terminal summary (the paper's Tables 2 and 3).
 *
 * Writers take a FILE* or a folder chosen by the caller; the library never picks stdout.
 */
#ifndef DARKSCAN_OUTPUT_H
#define DARKSCAN_OUTPUT_H

#include <stdio.h>

#include "darkscan/detect.h"
#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hosts per block listed in the results JSON ("hosts"); the CSV lists every host. */
#define DS_TOP_HOSTS 20

/* ds_results_write_json - the results JSON (INTERFACE.md) to f, 2-space indented.
   DS_ERR_INVALID while r->host_facts_pending (ds_detect_hosts has not run). */
ds_status ds_results_write_json(const ds_results *r, FILE *f, ds_error *err);

/*
 * ds_results_write_tables - networks.csv (Table 3), port_sets.csv (block, window, port),
 * top_ports.csv (Table 2), windows.csv, hosts.csv and subnets.csv (inside each block),
 * host_port_sets.csv (after the host pass), countries.csv (Figure 1, with a country database)
 * and, when the results carry a sweep, sweep.csv, into the existing folder dir. Errors name
 * the file.
 */
ds_status ds_results_write_tables(const ds_results *r, const char *dir, ds_error *err);

/*
 * ds_results_write_summary - a readable summary for a terminal: the input, incomplete windows,
 * Table 3 (every constant scanner block) and the top `top_n` ports of Table 2.
 */
ds_status ds_results_write_summary(const ds_results *r, FILE *f, size_t top_n, ds_error *err);

/* ds_port_service - the common service name of a TCP port ("ssh"), or NULL. Static string. */
const char *ds_port_service(uint16_t port);

/* ds_block_format - "198.20.0.0/16" into buf (at least 19 bytes); returns buf. */
char *ds_block_format(uint32_t block, unsigned prefix, char *buf);

#ifdef __cplusplus
}
#endif
#endif
