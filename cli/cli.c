/*
 * cli.c - messages and small parsing helpers shared by the commands (see cli.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("darkscan: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("darkscan: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void cli_diag_warn(void *ctx, const char *msg)
{
    cli_warn("%s", msg);
}

const ds_diag cli_diag = {cli_diag_warn, NULL};

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "darkscan %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'darkscan %s --help' for more information.\n", cmd);
    va_end(ap);
    return DS_EXIT_USAGE;
}

bool cli_space_option(const char *cmd, int c, const char *arg, cli_space *sp, int *rc)
{
    ds_error err;
    uint64_t v;
    *rc = -1;
    switch (c) {
    case 'd':
        if (ds_darknet_add(sp->darknet, arg, NULL, &err) != DS_OK)
            *rc = cli_usage(cmd, "-d %s: %s", arg, err.msg);
        else
            sp->have_darknet = true;
        return true;
    case 'D':
        if (ds_darknet_load_file(sp->darknet, arg, &err) != DS_OK) {
            cli_error("%s", err.msg);
            *rc = DS_EXIT_FAIL;
        } else {
            sp->have_darknet = true;
        }
        return true;
    case CLI_OPT_WINDOW:
        if (ds_window_parse(arg, &sp->window, &err) != DS_OK)
            *rc = cli_usage(cmd, "--window: %s", err.msg);
        else
            sp->window_set = true;
        return true;
    case CLI_OPT_PREFIX:
        if (!cli_parse_u64(cmd, "--prefix", arg, DS_PREFIX_MIN, DS_PREFIX_MAX, &v)) {
            *rc = DS_EXIT_USAGE;
        } else {
            sp->prefix = (unsigned)v;
            sp->prefix_set = true;
        }
        return true;
    default:
        return false;
    }
}

bool cli_parse_u64(const char *cmd, const char *option, const char *text, uint64_t min,
                   uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (text[0] < '0' || text[0] > '9') {
        cli_usage(cmd, "%s: '%s' is not a whole number", option, text);
        return false;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        cli_usage(cmd, "%s: '%s' is not a whole number from %llu to %llu", option, text,
                  (unsigned long long)min, (unsigned long long)max);
        return false;
    }
    *out = v;
    return true;
}
