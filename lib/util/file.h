/*
 * file.h - reading a whole (small) input file: darknet lists, results JSON, scanner lists.
 * Private to libdarkscan.
 */
#ifndef DS_UTIL_FILE_H
#define DS_UTIL_FILE_H

#include <stddef.h>

#include "darkscan/error.h"

/*
 * ds_file_read_all - the whole content of path (a regular file, a pipe, a device) into *data,
 * malloc'd, with a NUL after the last byte that *len does not count; free() it. A directory
 * is DS_ERR_IO; more than max_bytes is DS_ERR_LIMIT ("PATH: larger than N bytes"), found
 * without reading more than max_bytes + 1 bytes. Errors name the path.
 */
ds_status ds_file_read_all(const char *path, size_t max_bytes, char **data, size_t *len,
                           ds_error *err);

#endif
