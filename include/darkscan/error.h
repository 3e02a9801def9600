/*
 * error.h - status codes, error details and warnings shared by every libdarkscan module.
 *
 * Fallible functions return a ds_status (DS_OK or a negative code) and, when the caller passes
 * a ds_error, fill it with a one-line message that names the file, the place and the reason
 * ("captures/a.pcap: byte 4096: record length 300000 exceeds 262144"). The library never
 * prints; warnings go to a caller-supplied ds_diag sink.
 */
#ifndef DARKSCAN_ERROR_H
#define DARKSCAN_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ds_status {
    DS_OK = 0,
    DS_ERR_IO = -1,          /* a file could not be opened, read or written */
    DS_ERR_FORMAT = -2,      /* the input is not in the expected format, or is damaged */
    DS_ERR_NOMEM = -3,       /* out of memory */
    DS_ERR_INVALID = -4,     /* an argument or a value in the input is out of range */
    DS_ERR_UNSUPPORTED = -5, /* valid input that this build cannot handle */
    DS_ERR_LIMIT = -6,       /* a size or count limit was reached */
    DS_ERR_STATE = -7,       /* the call is not valid in the object's current state */
} ds_status;

/* An error's details. The message is always NUL-terminated, possibly cut at DS_ERROR_MAX. */
#define DS_ERROR_MAX 512
typedef struct ds_error {
    ds_status status;
    char msg[DS_ERROR_MAX];
} ds_error;

/*
 * ds_error_set - record status and a printf-style message in err (err may be NULL).
 * Returns status, so that a caller can write `return ds_error_set(err, DS_ERR_IO, ...)`.
 */
ds_status ds_error_set(ds_error *err, ds_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ds_error_prefix - prepend "prefix: " to err's message (for adding a file name). */
void ds_error_prefix(ds_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ds_error_clear - reset err to DS_OK with an empty message. err may be NULL. */
void ds_error_clear(ds_error *err);

/* ds_status_name - a short static English name for a status ("I/O error"). */
const char *ds_status_name(ds_status status);

/*
 * A sink for warnings: the library calls warn(ctx, message) once per warning, with a one-line
 * message that does not end in a newline. A NULL ds_diag or NULL warn drops warnings.
 */
typedef struct ds_diag {
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
} ds_diag;

/* ds_warn - format a warning and pass it to diag (diag may be NULL). */
void ds_warn(const ds_diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
