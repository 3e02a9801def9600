/*
 * cli_state.c - what the commands that use a state share (see cli.h): opening it with the
 * options of the command line, and the test hook that puts a pause inside every commit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

unsigned cli_state_test_delay_ms(void)
{
    /* Tests only (tests/e2e/test_state_crash.sh): a pause inside every commit's transaction. */
    const char *v = getenv("DARKSCAN_TEST_COMMIT_DELAY_MS");
    if (v == NULL || v[0] < '0' || v[0] > '9')
        return 0;
    unsigned long ms = strtoul(v, NULL, 10);
    return ms > 60000 ? 60000 : (unsigned)ms;
}

int cli_state_open(ds_state **st, const char *path, const ds_darknet *darknet,
                   const ds_window_spec *window, const unsigned *prefix, bool create,
                   bool read_only, unsigned wait_ms)
{
    ds_state_want want = {darknet, window, prefix};
    ds_state_options opt = {create, read_only, wait_ms, 0, cli_state_test_delay_ms()};
    ds_error err;
    if (ds_state_open(st, path, &want, &opt, &err) != DS_OK) {
        cli_error("%s", err.msg);
        return DS_EXIT_FAIL;
    }
    return DS_EXIT_OK;
}

int cli_state_load(const char *path, const ds_darknet *darknet, const ds_window_spec *window,
                   const unsigned *prefix, ds_state **st, ds_aggregate **agg, ds_input_info *info)
{
    *st = NULL;
    *agg = NULL;
    int rc = cli_state_open(st, path, darknet, window, prefix, false, true, DS_STATE_WAIT_MS);
    if (rc != DS_EXIT_OK)
        return rc;
    ds_error err;
    if (ds_state_load(*st, agg, info, &err) != DS_OK) {
        cli_error("%s", err.msg);
        ds_state_close(*st);
        *st = NULL;
        return DS_EXIT_FAIL;
    }
    if (info->failed > 0)
        cli_warn("%s: %" PRIu64 " of the ingested files could not be read to their end (what "
                 "came before the damage counts)",
                 path, info->failed);
    return DS_EXIT_OK;
}
