/*
 * compress.h - the compressors a capture writer can send its bytes through (private to
 * libdarkscan).
 *
 * One const ds_compressor per format in a static registry (compress.c), looked up by
 * ds_compression. A compressor owns a state that writes compressed bytes to a FILE; the writer
 * calls it once per filled buffer, never per packet.
 */
#ifndef DS_CAPTURE_COMPRESS_H
#define DS_CAPTURE_COMPRESS_H

#include <stddef.h>
#include <stdio.h>

#include "darkscan/capture.h"
#include "darkscan/error.h"

typedef struct ds_compressor {
    ds_compression id;
    const char *name;         /* "gzip", ... as in the docs */
    int min_level, max_level; /* accepted values of ds_writer_options.level besides 0 */
    /* open - a new state writing to out at level (0: the library's default). */
    ds_status (*open)(void **state, FILE *out, int level, ds_error *err);
    /* write - compress len bytes; output goes to the FILE as it is produced. */
    ds_status (*write)(void *state, const void *data, size_t len, ds_error *err);
    /* finish - end the compressed stream (trailer, checksums); write no more after it. */
    ds_status (*finish)(void *state, ds_error *err);
    /* free - release the state (NULL is a no-op); does not close the FILE. */
    void (*free)(void *state);
} ds_compressor;

/* ds_compressor_find - the compressor for c, or NULL for DS_COMP_NONE or an unknown value. */
const ds_compressor *ds_compressor_find(ds_compression c);

#endif
