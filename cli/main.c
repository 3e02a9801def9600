/*
 * main.c - `darkscan COMMAND [OPTIONS]`: finds the command and runs it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Every command, in the order `darkscan --help` lists them. */
static const cli_command commands[] = {
    {"analyze", "captures + darknet list -> constant Internet-wide scanner blocks", cmd_analyze},
    {"ingest", "add captures (or a live capture) to a persistent state", cmd_ingest},
    {"merge", "union of states made on other machines or sensors", cmd_merge},
    {"info", "per capture file: format, link types, time range, packet counts", cmd_info},
    {"honeypot", "all-port TCP honeypot: log every established session", cmd_honeypot},
    {"probe", "opt-in: ask scanning hosts for a disclosure page (contacts them)", cmd_probe},
    {"report", "results JSON -> one offline HTML page of the paper's figures and tables",
     cmd_report},
    {"simulate", "synthetic darknet captures with planted scanners, and the truth", cmd_simulate},
    {"demo", "simulate the paper's setting, analyse it with every feature, report", cmd_demo},
    {NULL, NULL, NULL},
};

static void print_help(FILE *out)
{
    fprintf(out, "Usage: darkscan COMMAND [OPTIONS] [ARGS]\n"
                 "\n"
                 "Find the address blocks that scan the whole Internet on many ports, window\n"
                 "after window, from what a darknet (network telescope) captured.\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; commands[i].name != NULL; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n"
                 "Options:\n"
                 "  -h, --help     show this help, or a command's with 'darkscan COMMAND --help'\n"
                 "  -V, --version  show the version\n"
                 "\n"
                 "Exit status: 0 success, 1 failure (unreadable input, bad database, I/O error),\n"
                 "2 usage error. See darkscan(1).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return DS_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        print_help(stdout);
        return DS_EXIT_OK;
    }
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
        printf("darkscan %s\n", ds_version());
        return DS_EXIT_OK;
    }
    for (size_t i = 0; commands[i].name != NULL; i++) {
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr,
            "darkscan: '%s' is not a command\nTry 'darkscan --help' for the list of commands.\n",
            name);
    return DS_EXIT_USAGE;
}
