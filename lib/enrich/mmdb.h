/*
 * mmdb.h - the few libmaxminddb calls that the country and AS lookups share: open with a
 * message that names the file, look up an IPv4 address, and read a string or an unsigned
 * number at a path of map keys, telling "no such key" apart from a damaged record.
 */
#ifndef DS_ENRICH_MMDB_H
#define DS_ENRICH_MMDB_H

#include <maxminddb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/error.h"

typedef struct ds_mmdb {
    MMDB_s db;
    char *path;
} ds_mmdb;

/*
 * ds_mmdb_open - open path into m. Errors: DS_ERR_IO (cannot open or read) or DS_ERR_FORMAT
 * (not a valid MaxMind DB), "PATH: libmaxminddb: <MMDB_strerror>".
 */
ds_status ds_mmdb_open(ds_mmdb *m, const char *path, ds_error *err);
void ds_mmdb_close(ds_mmdb *m);

/*
 * ds_mmdb_lookup_v4 - the record of addr: *found false when there is none. A damaged search
 * tree is DS_ERR_FORMAT.
 */
ds_status ds_mmdb_lookup_v4(const ds_mmdb *m, uint32_t addr, MMDB_lookup_result_s *res, bool *found,
                            ds_error *err);

/*
 * ds_mmdb_string - the UTF-8 string at the NULL-terminated key path `keys` of entry into buf
 * (cut to size - 1 bytes, NUL-terminated): *found false when a key is missing or the value is
 * not a string. DS_ERR_FORMAT when the record cannot be decoded.
 */
ds_status ds_mmdb_string(const ds_mmdb *m, MMDB_entry_s *entry, const char *const *keys, char *buf,
                         size_t size, bool *found, ds_error *err);

/* ds_mmdb_uint - the same for an unsigned number (uint16, uint32, uint64 below 2^32, int32 >= 0).
 */
ds_status ds_mmdb_uint(const ds_mmdb *m, MMDB_entry_s *entry, const char *const *keys,
                       uint32_t *out, bool *found, ds_error *err);

#endif
