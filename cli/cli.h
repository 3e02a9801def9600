/*
 * cli.h - what the darkscan commands share: exit codes, messages, option parsing helpers.
 *
 * The tool is the only place that parses argv, prints and chooses exit codes; everything else
 * is in libdarkscan, used through include/darkscan/ only.
 */
#ifndef DS_CLI_H
#define DS_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "darkscan/darkscan.h"

/* Exit codes (documented in the man page and INTERFACE.md). */
#define DS_EXIT_OK    0 /* success */
#define DS_EXIT_FAIL  1 /* unreadable input, bad database, I/O error */
#define DS_EXIT_USAGE 2 /* bad command line */

/* One subcommand: `darkscan NAME ...` calls run(argc, argv) with argv[0] == NAME. */
typedef struct cli_command {
    const char *name;
    const char *summary; /* one line for `darkscan --help` */
    int (*run)(int argc, char **argv);
} cli_command;

/* The commands, one per cli/cmd_<name>.c. */
int cmd_analyze(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_honeypot(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/* cli_simulate - run the simulator with cfg, with a progress line and a summary unless quiet;
 * returns the exit code (cmd_simulate.c, shared with demo). */
int cli_simulate(const ds_sim_config *cfg, bool quiet);
/* cli_parse_compression - "none", "gzip", ... into *out; false when unknown. */
bool cli_parse_compression(const char *text, ds_compression *out);
/* cli_parse_scale - a number in (0, 1]; prints a usage message naming cmd and returns false
 * otherwise. */
bool cli_parse_scale(const char *cmd, const char *text, double *out);

/* "darkscan: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "darkscan: warning: MESSAGE" on stderr (silenced by cli_set_quiet_warnings). */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A ds_diag whose warnings go to cli_warn. */
extern const ds_diag cli_diag;

/*
 * cli_usage - "darkscan CMD: MESSAGE" and a pointer to --help on stderr; returns
 * DS_EXIT_USAGE so that a command can `return cli_usage(...)`.
 */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The options that say what a state or an aggregate is made of, shared by analyze and ingest:
 * -d/--darknet, -D/--darknet-file, --window and --prefix (the getopt values below).
 */
enum { CLI_OPT_WINDOW = 0x1000, CLI_OPT_PREFIX };
typedef struct cli_space {
    ds_darknet *darknet; /* made by the caller; filled by -d and -D */
    bool have_darknet;
    ds_window_spec window;
    bool window_set; /* given on the command line (checked against a state) */
    unsigned prefix;
    bool prefix_set;
} cli_space;

/*
 * cli_space_option - when getopt's value c is one of cli_space's options, apply arg to sp and
 * return true, with *rc -1 (go on) or the exit code (a usage error, or 1 when the darknet file
 * cannot be read); false for any other option.
 */
bool cli_space_option(const char *cmd, int c, const char *arg, cli_space *sp, int *rc);

/*
 * cli_parse_u64 - parse a whole decimal number in [min, max]. Returns false (and prints a
 * usage message naming the option) when text is not such a number.
 */
bool cli_parse_u64(const char *cmd, const char *option, const char *text, uint64_t min,
                   uint64_t max, uint64_t *out);

/*
 * cli_state_open - open the state at path (cli_state.c) with the darknet, window and prefix the
 * command line gave (NULL: the state's); prints the error and returns DS_EXIT_FAIL, or
 * DS_EXIT_OK with *st to ds_state_close().
 */
int cli_state_open(ds_state **st, const char *path, const ds_darknet *darknet,
                   const ds_window_spec *window, const unsigned *prefix, bool create,
                   bool read_only, unsigned wait_ms);

/*
 * cli_state_load - open the state at path for `analyze --state` and load its aggregate and
 * input counts. The aggregate must be freed before the state is closed.
 */
int cli_state_load(const char *path, const ds_darknet *darknet, const ds_window_spec *window,
                   const unsigned *prefix, ds_state **st, ds_aggregate **agg, ds_input_info *info);

/* cli_state_test_delay_ms - DARKSCAN_TEST_COMMIT_DELAY_MS (tests only), else 0. */
unsigned cli_state_test_delay_ms(void);

#endif
