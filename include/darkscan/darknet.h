/*
 * darknet.h - D, the monitored darknet address space, and its dense index.
 *
 * D is every address of every listed prefix, whether or not it received packets (|D| is the
 * size of the monitored space). Prefixes are grouped into sensors. Each address of D gets a
 * dense index in [0, |D|), in ascending address order, so that sets of darknet addresses can
 * be kept as small integers.
 */
#ifndef DARKSCAN_DARKNET_H
#define DARKSCAN_DARKNET_H

#include <stddef.h>
#include <stdint.h>

#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The sensor name given to prefixes listed without one. */
#define DS_DARKNET_DEFAULT_SENSOR "default"

typedef struct ds_darknet ds_darknet;

/* ds_darknet_new - an empty darknet; NULL when out of memory. Free with ds_darknet_free(). */
ds_darknet *ds_darknet_new(void);
void ds_darknet_free(ds_darknet *d);

/*
 * ds_darknet_add - add the prefixes of text, "CIDR[,CIDR...]" as given to -d (a bare address
 * is a /32), to sensor `sensor` (NULL: DS_DARKNET_DEFAULT_SENSOR). A CIDR with host bits set
 * ("10.0.0.1/24") is an error, as is anything that is not an IPv4 CIDR.
 */
ds_status ds_darknet_add(ds_darknet *d, const char *text, const char *sensor, ds_error *err);

/*
 * ds_darknet_load_file - add the prefixes of a darknet list: one `CIDR [SENSOR]` per line,
 * `#` starts a comment, blank lines are ignored. A bad line stops with DS_ERR_FORMAT and the
 * message "PATH:LINE: reason"; an unreadable file gives DS_ERR_IO "PATH: reason".
 */
ds_status ds_darknet_load_file(ds_darknet *d, const char *path, ds_error *err);

/*
 * ds_darknet_finish - merge overlapping and duplicate prefixes (one warning to diag for each
 * overlap, naming both prefixes; an address listed for two sensors belongs to the first one
 * listed) and build the index. Required before any of the queries below; no adds after it.
 * An empty darknet is DS_ERR_INVALID.
 */
ds_status ds_darknet_finish(ds_darknet *d, const ds_diag *diag, ds_error *err);

/* ds_darknet_size - |D|, the number of monitored addresses (up to 2^32). */
uint64_t ds_darknet_size(const ds_darknet *d);

/* Sensors, in order of first appearance; names live as long as d. */
size_t ds_darknet_sensor_count(const ds_darknet *d);
const char *ds_darknet_sensor_name(const ds_darknet *d, size_t sensor);
uint64_t ds_darknet_sensor_size(const ds_darknet *d, size_t sensor);

/*
 * The merged prefixes, ascending and disjoint (after merging, adjacent prefixes of one sensor
 * are not joined: each listed prefix that survives stays as it was listed, minus overlaps,
 * which may split it into several CIDRs).
 */
size_t ds_darknet_prefix_count(const ds_darknet *d);
void ds_darknet_prefix(const ds_darknet *d, size_t i, uint32_t *addr, unsigned *len,
                       size_t *sensor);

/*
 * ds_darknet_index - the dense index of addr (host byte order) in [0, |D|), or -1 when addr
 * is not in D. Constant or logarithmic time; safe to call from several threads at once.
 */
int64_t ds_darknet_index(const ds_darknet *d, uint32_t addr);

/* ds_darknet_address - the address with dense index idx (idx < |D|). */
uint32_t ds_darknet_address(const ds_darknet *d, uint64_t idx);

/* ds_darknet_sensor_of - the sensor of the address with dense index idx. */
size_t ds_darknet_sensor_of(const ds_darknet *d, uint64_t idx);

/*
 * ds_parse_ipv4 / ds_parse_cidr - strict dotted-quad parsing (no leading zeros beyond "0",
 * no missing octets). Return DS_OK or DS_ERR_FORMAT with a reason in err (no file name).
 */
ds_status ds_parse_ipv4(const char *text, uint32_t *addr, ds_error *err);
ds_status ds_parse_cidr(const char *text, uint32_t *addr, unsigned *len, ds_error *err);

/* ds_format_ipv4 - dotted quad into buf (at least 16 bytes); returns buf. */
char *ds_format_ipv4(uint32_t addr, char *buf);

#ifdef __cplusplus
}
#endif
#endif
