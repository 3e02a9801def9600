/*
 * cmd_merge.c - `darkscan merge --state OUT IN...`: the union of states made on other machines
 * or sensors with the same darknet, window and prefix. Each IN is added in its own transaction;
 * OUT is created with the first IN's configuration when it does not exist. Merging is
 * associative, commutative and idempotent (docs/STATE.md, "Merge algebra").
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char usage_text[] =
    "Usage: darkscan merge --state OUT [OPTIONS] IN...\n"
    "\n"
    "Add the states IN... into the state OUT (created when it does not exist), as if every\n"
    "capture ingested into any of them had been ingested into OUT: a file in several of them\n"
    "counts once. All must have been made with the same darknet, window and prefix. The order\n"
    "of the INs, merging in several steps, or merging a state twice, gives the same OUT.\n"
    "\n"
    "      --state OUT           the state to merge into\n"
    "      --keep-windows N      afterwards, keep only the newest N windows of OUT\n"
    "      --wait SECONDS        wait this long for another darkscan writing OUT (600)\n"
    "  -q, --quiet               only errors\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 success, 1 a state could not be read or written, or was made differently,\n"
    "2 usage error.\n";

enum { OPT_STATE = 256, OPT_KEEP, OPT_WAIT };

static const struct option long_options[] = {
    {"state", required_argument, NULL, OPT_STATE},
    {"keep-windows", required_argument, NULL, OPT_KEEP},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cmd_merge(int argc, char **argv)
{
    const char *out_path = NULL;
    uint64_t keep = 0, wait_s = DS_STATE_WAIT_MS / 1000;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_STATE:
            out_path = optarg;
            break;
        case OPT_KEEP:
            if (!cli_parse_u64("merge", "--keep-windows", optarg, 1, UINT32_MAX, &keep))
                return DS_EXIT_USAGE;
            break;
        case OPT_WAIT:
            if (!cli_parse_u64("merge", "--wait", optarg, 0, 86400 * 7, &wait_s))
                return DS_EXIT_USAGE;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return DS_EXIT_OK;
        default:
            return cli_usage("merge", "unknown or incomplete option");
        }
    }
    if (out_path == NULL)
        return cli_usage("merge", "--state OUT is required");
    if (optind >= argc)
        return cli_usage("merge", "no state to merge in (IN...)");

    ds_state *out = NULL;
    ds_error err;
    int rc = DS_EXIT_FAIL;
    struct stat sb;
    if (stat(out_path, &sb) != 0) {
        /* A new OUT takes the first IN's configuration. */
        ds_state *first = NULL;
        if (cli_state_open(&first, argv[optind], NULL, NULL, NULL, false, true,
                           (unsigned)wait_s * 1000) != DS_EXIT_OK)
            return DS_EXIT_FAIL;
        const ds_agg_config *cfg = ds_state_config(first);
        rc = cli_state_open(&out, out_path, cfg->darknet, &cfg->window, &cfg->prefix, true, false,
                            (unsigned)wait_s * 1000);
        ds_state_close(first);
    } else {
        rc =
            cli_state_open(&out, out_path, NULL, NULL, NULL, false, false, (unsigned)wait_s * 1000);
    }
    if (rc != DS_EXIT_OK)
        return rc;
    for (int i = optind; i < argc; i++) {
        ds_state_merge_stats ms;
        if (ds_state_merge(out, argv[i], &ms, &err) != DS_OK) {
            cli_error("%s", err.msg);
            rc = DS_EXIT_FAIL;
            continue;
        }
        if (!quiet)
            printf("merged %s into %s: %" PRIu64 " new sources, %" PRIu64
                   " newer versions, %" PRIu64 " tuple rows\n",
                   argv[i], out_path, ms.sources_added, ms.sources_updated, ms.tuple_rows);
    }
    if (keep > 0) {
        uint64_t removed = 0;
        if (ds_state_prune(out, keep, &removed, &err) != DS_OK) {
            cli_error("%s", err.msg);
            rc = DS_EXIT_FAIL;
        } else if (!quiet && removed > 0) {
            printf("pruned %" PRIu64 " window%s older than the newest %" PRIu64 "\n", removed,
                   removed == 1 ? "" : "s", keep);
        }
    }
    ds_state_close(out);
    return rc;
}
