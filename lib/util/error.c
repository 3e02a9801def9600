/*
 * error.c - ds_error and ds_diag helpers (see include/darkscan/error.h).
 */
#include <stdio.h>
#include <string.h>

#include "darkscan/error.h"

ds_status ds_error_set(ds_error *err, ds_status status, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return status;
}

void ds_error_prefix(ds_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char joined[DS_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, sizeof(joined), fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used < sizeof(joined) - 1) {
        size_t msg_len = strnlen(err->msg, sizeof(err->msg));
        joined[used++] = ':';
        if (used < sizeof(joined) - 1)
            joined[used++] = ' ';
        size_t room = sizeof(joined) - used - 1;
        size_t take = msg_len < room ? msg_len : room;
        memcpy(joined + used, err->msg, take);
        joined[used + take] = '\0';
    }
    memcpy(err->msg, joined, sizeof(joined));
}

void ds_error_clear(ds_error *err)
{
    if (err != NULL) {
        err->status = DS_OK;
        err->msg[0] = '\0';
    }
}

const char *ds_status_name(ds_status status)
{
    switch (status) {
    case DS_OK:
        return "success";
    case DS_ERR_IO:
        return "I/O error";
    case DS_ERR_FORMAT:
        return "invalid format";
    case DS_ERR_NOMEM:
        return "out of memory";
    case DS_ERR_INVALID:
        return "invalid value";
    case DS_ERR_UNSUPPORTED:
        return "unsupported";
    case DS_ERR_LIMIT:
        return "limit reached";
    case DS_ERR_STATE:
        return "invalid state";
    }
    return "unknown error";
}

void ds_warn(const ds_diag *diag, const char *fmt, ...)
{
    if (diag == NULL || diag->warn == NULL)
        return;
    char msg[DS_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag->warn(diag->ctx, msg);
}
