/*
 * json.h - a small streaming JSON writer (RFC 8259) for darkscan's machine-readable output:
 * `darkscan info --json`, the results JSON.
 *
 * Values are written to a FILE* as they come, in document order; the writer keeps only the
 * nesting stack. Strings are escaped completely: '"', '\\', control bytes, and every byte that
 * is not part of valid UTF-8 (file names need not be UTF-8) becomes \u00XX, so the output is
 * always valid UTF-8 JSON. Doubles print in the shortest form that reads back to the same
 * value (0.8 prints 0.8, 1.0 prints 1.0); NaN and infinities print null.
 *
 * Misuse (a value in an object without a key, unbalanced ends, nesting deeper than
 * DS_JSON_MAX_DEPTH) is not a crash: the writer stops writing and ds_json_finish() reports it.
 * Numbers use the C locale's decimal point: do not call setlocale(LC_NUMERIC) in the program.
 */
#ifndef DARKSCAN_JSON_H
#define DARKSCAN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DS_JSON_MAX_DEPTH 64

typedef struct ds_json ds_json;

/*
 * ds_json_new - a writer to out (borrowed: it must outlive the writer and is not closed).
 * pretty: newlines and 2-space indentation; otherwise compact, without spaces.
 * Returns NULL when out of memory. Release with ds_json_free().
 */
ds_json *ds_json_new(FILE *out, bool pretty);

/* ds_json_free - free the writer (does not close its FILE). NULL is a no-op. */
void ds_json_free(ds_json *j);

/* Containers. */
void ds_json_object_begin(ds_json *j);
void ds_json_object_end(ds_json *j);
void ds_json_array_begin(ds_json *j);
void ds_json_array_end(ds_json *j);

/* ds_json_key - the next member's name, inside an object (NUL-terminated, escaped). */
void ds_json_key(ds_json *j, const char *key);

/* Values: in an array, after a key in an object, or once at the top level. */
void ds_json_string(ds_json *j, const char *s);                 /* NULL writes null */
void ds_json_string_len(ds_json *j, const char *s, size_t len); /* may contain NUL bytes */
void ds_json_int(ds_json *j, int64_t v);
void ds_json_uint(ds_json *j, uint64_t v);
void ds_json_double(ds_json *j, double v);
void ds_json_bool(ds_json *j, bool v);
/* ds_json_number_text - a number exactly as text ("1e400", "-0", a 20-digit counter) that
 * must be an RFC 8259 number (misuse otherwise), e.g. from ds_jval_number_text(). */
void ds_json_number_text(ds_json *j, const char *text);
void ds_json_null(ds_json *j);

/*
 * ds_json_finish - end the document: checks that every container was closed, writes a final
 * newline and flushes. Returns DS_OK, DS_ERR_STATE on misuse, DS_ERR_LIMIT when nested too
 * deeply, DS_ERR_IO when a write failed; err says which.
 */
ds_status ds_json_finish(ds_json *j, ds_error *err);

#ifdef __cplusplus
}
#endif
#endif
