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

/* The longest sensor name, in bytes. Names are printable ASCII without spaces or '#'. */
#define DS_DARKNET_SENSOR_MAX 255

/* ds_darknet_finish warns about this many overlaps one by one, then counts the rest. */
#define DS_DARKNET_MAX_WARNINGS 100

/*
 * ds_darknet_add - add the prefixes of text, "CIDR[,CIDR...]" as given to -d (a bare address
 * is a /32; blanks around an item are ignored), to sensor `sensor` (NULL:
 * DS_DARKNET_DEFAULT_SENSOR). A CIDR with host bits set ("10.0.0.1/24") is an error, as is an
 * empty item or anything that is not an IPv4 CIDR (DS_ERR_FORMAT, the reason quotes the item);
 * a bad sensor name is DS_ERR_INVALID; after ds_darknet_finish DS_ERR_STATE. On error nothing
 * of text is added.
 */
ds_status ds_darknet_add(ds_darknet *d, const char *text, const char *sensor, ds_error *err);

/*
 * ds_darknet_load_buffer - add the prefixes of a darknet list held in memory (len bytes, need
 * not be NUL-terminated); `name` (NULL: "<buffer>") stands for the file in messages and
 * warnings. The format (docs/FORMATS.md, "Darknet list"): one `CIDR [SENSOR]` per line, fields
 * separated by spaces or tabs; `#` starts a comment that runs to the end of the line; blank
 * lines are ignored; CRLF line ends and a leading UTF-8 byte order mark are accepted. A bad
 * line (malformed CIDR, host bits set, more than two fields, a byte that is not printable
 * ASCII outside a comment, a bad sensor name), or a list without any prefix, gives
 * DS_ERR_FORMAT "NAME:LINE: reason" and adds nothing of the list.
 */
ds_status ds_darknet_load_buffer(ds_darknet *d, const void *data, size_t len, const char *name,
                                 ds_error *err);

/*
 * ds_darknet_load_file - ds_darknet_load_buffer on the contents of the file at path (lines of
 * any length; files over 512 MiB are refused with DS_ERR_LIMIT). An unreadable file gives
 * DS_ERR_IO "PATH: strerror".
 */
ds_status ds_darknet_load_file(ds_darknet *d, const char *path, ds_error *err);

/*
 * ds_darknet_finish - merge overlapping and duplicate prefixes and build the index. Each
 * address belongs to the prefix listed first (in the order of the add/load calls and of the
 * lines) that contains it, and so to that prefix's sensor. One warning to diag per prefix that
 * lies inside (or repeats) another, naming both prefixes, where they were listed, and both
 * sensors when they differ; after DS_DARKNET_MAX_WARNINGS of them one line counts the rest. A
 * sensor left without addresses is warned about too and keeps size 0. Required before any of
 * the queries below; no adds after it. An empty darknet is DS_ERR_INVALID; calling it twice is
 * DS_ERR_STATE. Before finish (or after a failed one), size is 0, there are no prefixes and
 * ds_darknet_index returns -1.
 */
ds_status ds_darknet_finish(ds_darknet *d, const ds_diag *diag, ds_error *err);

/* ds_darknet_size - |D|, the number of monitored addresses (up to 2^32). */
uint64_t ds_darknet_size(const ds_darknet *d);

/* Sensors, in order of first appearance; names live as long as d (NULL for a bad index). */
size_t ds_darknet_sensor_count(const ds_darknet *d);
const char *ds_darknet_sensor_name(const ds_darknet *d, size_t sensor);
uint64_t ds_darknet_sensor_size(const ds_darknet *d, size_t sensor);

/*
 * The merged prefixes, ascending and disjoint (after merging, adjacent prefixes of one sensor
 * are not joined: each listed prefix that survives stays as it was listed, minus overlaps,
 * which may split it into several CIDRs). Any output pointer may be NULL; i out of range
 * gives 0.0.0.0/0 and sensor SIZE_MAX.
 */
size_t ds_darknet_prefix_count(const ds_darknet *d);
void ds_darknet_prefix(const ds_darknet *d, size_t i, uint32_t *addr, unsigned *len,
                       size_t *sensor);

/*
 * ds_darknet_index - the dense index of addr (host byte order) in [0, |D|), or -1 when addr
 * is not in D. Constant or logarithmic time; safe to call from several threads at once.
 */
int64_t ds_darknet_index(const ds_darknet *d, uint32_t addr);

/* ds_darknet_address - the address with dense index idx (idx < |D|; otherwise 0). */
uint32_t ds_darknet_address(const ds_darknet *d, uint64_t idx);

/* ds_darknet_sensor_of - the sensor of the address with dense index idx (SIZE_MAX: idx >= |D|). */
size_t ds_darknet_sensor_of(const ds_darknet *d, uint64_t idx);

/*
 * ds_parse_ipv4 / ds_parse_cidr - strict dotted-quad parsing (four decimal numbers 0..255, no
 * leading zeros beyond "0", nothing else: no blanks, signs or missing octets). A CIDR is
 * ADDRESS/LEN with LEN 0..32 (no leading zero) and no host bits set; a bare address is a /32.
 * Return DS_OK or DS_ERR_FORMAT with a reason in err (no file name), e.g. "10.0.0.1/24 has
 * host bits set (0.0.0.1 beyond the /24; did you mean 10.0.0.0/24?)".
 */
ds_status ds_parse_ipv4(const char *text, uint32_t *addr, ds_error *err);
ds_status ds_parse_cidr(const char *text, uint32_t *addr, unsigned *len, ds_error *err);

/* ds_format_ipv4 - dotted quad into buf (at least 16 bytes); returns buf. */
char *ds_format_ipv4(uint32_t addr, char *buf);

#ifdef __cplusplus
}
#endif
#endif
