/*
 * cmd_ingest.h - what cmd_ingest.c (files) and ingest_live.c (--interface) share.
 */
#ifndef DS_CLI_CMD_INGEST_H
#define DS_CLI_CMD_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "darkscan/darkscan.h"

typedef struct ingest_options {
    const char *state_path;
    cli_space space; /* -d, -D, --window, --prefix */
    bool force;
    uint64_t keep_windows; /* 0: keep all */
    bool compact;
    unsigned wait_ms;
    bool list;
    const char *interface;
    const char *bpf;
    uint64_t flush_s;
    uint64_t snaplen;
    bool quiet;
    uint64_t threads;
} ingest_options;

/* cli_ingest_live - capture on o->interface into st until SIGTERM/SIGINT (ingest_live.c). */
int cli_ingest_live(ds_state *st, const ingest_options *o);

/*
 * cli_ingest_finish - --keep-windows after an ingest or a live flush, and --compact after an
 * ingest or the last flush (final).
 */
int cli_ingest_finish(ds_state *st, const ingest_options *o, bool final);

/* cli_ingest_format_bytes - "123 bytes", "12.3 KiB", "4.5 MiB". */
void cli_ingest_format_bytes(uint64_t bytes, char *buf, size_t len);

#endif
