/*
 * json_parse.h - a small, strict RFC 8259 JSON parser into a read-only tree (DOM).
 *
 * For the JSON that darkscan reads: MISP warning lists of known scanners, results.json of an
 * earlier run (`report`, `probe --results`). Strict means: exactly RFC 8259 (no comments, no
 * trailing commas, no single quotes, no NaN/Infinity, no leading zeros or '+'), plus these
 * choices where the RFC leaves room:
 *
 * - Text must be valid UTF-8 (no overlong forms, no encoded surrogates, nothing above
 *   U+10FFFF); a \u escape of a lone surrogate is an error. Nothing is replaced silently.
 * - A leading UTF-8 byte order mark is skipped (RFC 8259 section 8.1 allows that).
 * - Duplicate keys in one object are an error (RFC 8259 leaves their meaning open; refusing
 *   them means no two readers can disagree about a file).
 * - Numbers keep their exact text; the accessors convert with range checks, so 1e400 or a
 *   64-bit counter parse fine and only fail where a value does not fit.
 * - Strings may contain U+0000 (from \u0000): ds_jval_string() gives the length.
 * - Limits: nesting depth DS_JVAL_MAX_DEPTH, input size DS_JVAL_MAX_BYTES (both adjustable
 *   with ds_jval_parse_limits).
 *
 * Errors say where: "results.json:12:5: expected ',' or '}'" (line and column from 1; the
 * column counts characters, not bytes).
 */
#ifndef DARKSCAN_JSON_PARSE_H
#define DARKSCAN_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A JSON value. Every value belongs to the tree of the root that ds_jval_parse returned. */
typedef struct ds_jval ds_jval;

typedef enum ds_jval_kind {
    DS_JVAL_ABSENT = 0, /* not a value: what ds_jval_type(NULL) says, e.g. for a missing key */
    DS_JVAL_NULL,
    DS_JVAL_BOOL,
    DS_JVAL_NUMBER,
    DS_JVAL_STRING,
    DS_JVAL_ARRAY,
    DS_JVAL_OBJECT,
} ds_jval_kind;

#define DS_JVAL_MAX_DEPTH 512
#define DS_JVAL_MAX_BYTES ((size_t)1 << 30)

typedef struct ds_jval_limits {
    size_t max_depth; /* arrays and objects nested deeper than this are DS_ERR_LIMIT */
    size_t max_bytes; /* longer input is DS_ERR_LIMIT */
} ds_jval_limits;

/*
 * ds_jval_parse - parse len bytes of text (need not be NUL-terminated) as one JSON value.
 * `name` (NULL: "<input>") starts error messages. On success *root is the tree, which owns
 * copies of everything it needs (text may be freed at once); free it with ds_jval_free. On
 * failure *root is NULL and err says "NAME:LINE:COL: reason": DS_ERR_FORMAT for bad JSON,
 * DS_ERR_LIMIT for a limit, DS_ERR_NOMEM.
 */
ds_status ds_jval_parse(const char *text, size_t len, const char *name, ds_jval **root,
                        ds_error *err);

/* ds_jval_parse_limits - ds_jval_parse with other limits (NULL: the defaults). */
ds_status ds_jval_parse_limits(const char *text, size_t len, const char *name,
                               const ds_jval_limits *limits, ds_jval **root, ds_error *err);

/*
 * ds_jval_parse_file - parse the file at path (messages start with the path). An unreadable
 * file is DS_ERR_IO "PATH: strerror".
 */
ds_status ds_jval_parse_file(const char *path, ds_jval **root, ds_error *err);

/*
 * ds_jval_free - free a tree given by a parse function. NULL, or a value that is not a root,
 * is a no-op. Every pointer into the tree dies with it.
 */
void ds_jval_free(ds_jval *root);

/* ds_jval_type - the kind of v; DS_JVAL_ABSENT for NULL. */
ds_jval_kind ds_jval_type(const ds_jval *v);

/* ds_jval_type_name - "null", "boolean", "number", "string", "array", "object", "absent". */
const char *ds_jval_type_name(ds_jval_kind kind);

/* ds_jval_position - where v starts in the text: line and column from 1 (for messages). */
void ds_jval_position(const ds_jval *v, size_t *line, size_t *col);

/*
 * Objects keep their members in file order. ds_jval_get finds the value of key (a C string;
 * O(log n)), NULL when obj is not an object or has no such key. ds_jval_object_key gives the
 * i-th key (its length in *len when len is not NULL; keys may contain U+0000).
 */
const ds_jval *ds_jval_get(const ds_jval *obj, const char *key);
size_t ds_jval_object_len(const ds_jval *obj);
const char *ds_jval_object_key(const ds_jval *obj, size_t i, size_t *len);
const ds_jval *ds_jval_object_value(const ds_jval *obj, size_t i);

/* Arrays: length (0 for a non-array) and the i-th element (NULL when out of range). */
size_t ds_jval_array_len(const ds_jval *arr);
const ds_jval *ds_jval_array_at(const ds_jval *arr, size_t i);

/*
 * ds_jval_string - the UTF-8 text of a string value, NUL-terminated, NULL for a non-string.
 * With len, *len is its length in bytes. Without len, a string that contains U+0000 gives
 * NULL, so that a C-string user never sees a silently shortened string.
 */
const char *ds_jval_string(const ds_jval *v, size_t *len);

/* ds_jval_bool - *out = the value of a boolean; DS_ERR_INVALID for anything else. */
ds_status ds_jval_bool(const ds_jval *v, bool *out);

/* ds_jval_number_text - the number exactly as written ("-0", "1e400"), NULL for a non-number. */
const char *ds_jval_number_text(const ds_jval *v);

/*
 * ds_jval_int64 / ds_jval_uint64 - a number whose exact value is an integer ("42", "-0",
 * "1e3", "2.50e1" all qualify; "2.5" does not) into *out. DS_ERR_INVALID for a non-number or
 * a non-integer, DS_ERR_LIMIT when it does not fit (negative for uint64). *out is unchanged
 * on error.
 */
ds_status ds_jval_int64(const ds_jval *v, int64_t *out);
ds_status ds_jval_uint64(const ds_jval *v, uint64_t *out);

/*
 * ds_jval_double - the nearest double (independent of the C locale). DS_ERR_INVALID for a
 * non-number, DS_ERR_LIMIT when the magnitude is beyond DBL_MAX (1e400); a value below the
 * smallest double rounds to it or to zero, which is not an error.
 */
ds_status ds_jval_double(const ds_jval *v, double *out);

#ifdef __cplusplus
}
#endif
#endif
