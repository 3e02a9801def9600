/*
 * compress.c - gzip (zlib), bzip2 (libbz2), xz (liblzma), zstd (libzstd) and lz4 frame
 * (liblz4) compressors for the capture writer, behind one ds_compressor interface.
 *
 * Each state keeps an output chunk; whatever a library produces is written to the FILE at
 * once. Errors name the library's reason; the writer adds the file name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/compress.h"

#define OUT_CHUNK (256u * 1024u)

static ds_status put_out(FILE *out, const void *data, size_t len, ds_error *err)
{
    if (len > 0 && fwrite(data, 1, len, out) != len)
        return ds_error_set(err, DS_ERR_IO, "write: %s", strerror(errno ? errno : EIO));
    return DS_OK;
}

/* ---- gzip ---------------------------------------------------------------------------- */

typedef struct gz_state {
    z_stream z;
    FILE *out;
    uint8_t buf[OUT_CHUNK];
} gz_state;

static ds_status gz_open(void **state, FILE *out, int level, ds_error *err)
{
    gz_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "gzip: out of memory");
    /* windowBits 15 + 16: a gzip header and trailer around the deflate stream. */
    if (deflateInit2(&s->z, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        free(s);
        return ds_error_set(err, DS_ERR_NOMEM, "gzip: cannot initialise zlib");
    }
    s->out = out;
    *state = s;
    return DS_OK;
}

static ds_status gz_run(gz_state *s, int flush, ds_error *err)
{
    for (;;) {
        s->z.next_out = s->buf;
        s->z.avail_out = sizeof(s->buf);
        int rc = deflate(&s->z, flush);
        if (rc == Z_STREAM_ERROR)
            return ds_error_set(err, DS_ERR_IO, "gzip: deflate failed");
        ds_status st = put_out(s->out, s->buf, sizeof(s->buf) - s->z.avail_out, err);
        if (st != DS_OK)
            return st;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : s->z.avail_out != 0)
            return DS_OK;
    }
}

static ds_status gz_write(void *state, const void *data, size_t len, ds_error *err)
{
    gz_state *s = state;
    const uint8_t *p = data;
    while (len > 0) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        s->z.next_in = (Bytef *)(uintptr_t)p;
        s->z.avail_in = n;
        ds_status st = gz_run(s, Z_NO_FLUSH, err);
        if (st != DS_OK)
            return st;
        p += n;
        len -= n;
    }
    return DS_OK;
}

static ds_status gz_finish(void *state, ds_error *err)
{
    gz_state *s = state;
    s->z.next_in = NULL;
    s->z.avail_in = 0;
    return gz_run(s, Z_FINISH, err);
}

static void gz_free(void *state)
{
    gz_state *s = state;
    if (s == NULL)
        return;
    deflateEnd(&s->z);
    free(s);
}

/* ---- bzip2 --------------------------------------------------------------------------- */

typedef struct bz_state {
    bz_stream z;
    FILE *out;
    char buf[OUT_CHUNK];
} bz_state;

static ds_status bz_open(void **state, FILE *out, int level, ds_error *err)
{
    bz_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "bzip2: out of memory");
    if (BZ2_bzCompressInit(&s->z, level ? level : 9, 0, 0) != BZ_OK) {
        free(s);
        return ds_error_set(err, DS_ERR_NOMEM, "bzip2: cannot initialise libbz2");
    }
    s->out = out;
    *state = s;
    return DS_OK;
}

static ds_status bz_run(bz_state *s, int action, ds_error *err)
{
    for (;;) {
        s->z.next_out = s->buf;
        s->z.avail_out = sizeof(s->buf);
        int rc = BZ2_bzCompress(&s->z, action);
        if (rc < 0)
            return ds_error_set(err, DS_ERR_IO, "bzip2: compression failed (%d)", rc);
        ds_status st = put_out(s->out, s->buf, sizeof(s->buf) - s->z.avail_out, err);
        if (st != DS_OK)
            return st;
        if (action == BZ_FINISH ? rc == BZ_STREAM_END : s->z.avail_in == 0)
            return DS_OK;
    }
}

static ds_status bz_write(void *state, const void *data, size_t len, ds_error *err)
{
    bz_state *s = state;
    const char *p = data;
    while (len > 0) {
        unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;
        s->z.next_in = (char *)(uintptr_t)p;
        s->z.avail_in = n;
        ds_status st = bz_run(s, BZ_RUN, err);
        if (st != DS_OK)
            return st;
        p += n;
        len -= n;
    }
    return DS_OK;
}

static ds_status bz_finish(void *state, ds_error *err)
{
    bz_state *s = state;
    s->z.next_in = NULL;
    s->z.avail_in = 0;
    return bz_run(s, BZ_FINISH, err);
}

static void bz_free(void *state)
{
    bz_state *s = state;
    if (s == NULL)
        return;
    BZ2_bzCompressEnd(&s->z);
    free(s);
}

/* ---- xz ------------------------------------------------------------------------------ */

typedef struct xz_state {
    lzma_stream z;
    FILE *out;
    uint8_t buf[OUT_CHUNK];
} xz_state;

static ds_status xz_open(void **state, FILE *out, int level, ds_error *err)
{
    xz_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "xz: out of memory");
    lzma_stream init = LZMA_STREAM_INIT;
    s->z = init;
    uint32_t preset = level ? (uint32_t)level : LZMA_PRESET_DEFAULT;
    if (lzma_easy_encoder(&s->z, preset, LZMA_CHECK_CRC64) != LZMA_OK) {
        free(s);
        return ds_error_set(err, DS_ERR_NOMEM, "xz: cannot initialise liblzma");
    }
    s->out = out;
    *state = s;
    return DS_OK;
}

static ds_status xz_run(xz_state *s, lzma_action action, ds_error *err)
{
    for (;;) {
        s->z.next_out = s->buf;
        s->z.avail_out = sizeof(s->buf);
        lzma_ret rc = lzma_code(&s->z, action);
        if (rc != LZMA_OK && rc != LZMA_STREAM_END)
            return ds_error_set(err, DS_ERR_IO, "xz: compression failed (%d)", (int)rc);
        ds_status st = put_out(s->out, s->buf, sizeof(s->buf) - s->z.avail_out, err);
        if (st != DS_OK)
            return st;
        if (action == LZMA_FINISH ? rc == LZMA_STREAM_END : s->z.avail_in == 0)
            return DS_OK;
    }
}

static ds_status xz_write(void *state, const void *data, size_t len, ds_error *err)
{
    xz_state *s = state;
    s->z.next_in = data;
    s->z.avail_in = len;
    return xz_run(s, LZMA_RUN, err);
}

static ds_status xz_finish(void *state, ds_error *err)
{
    xz_state *s = state;
    s->z.next_in = NULL;
    s->z.avail_in = 0;
    return xz_run(s, LZMA_FINISH, err);
}

static void xz_free(void *state)
{
    xz_state *s = state;
    if (s == NULL)
        return;
    lzma_end(&s->z);
    free(s);
}

/* ---- zstd ---------------------------------------------------------------------------- */

typedef struct zs_state {
    ZSTD_CCtx *cctx;
    FILE *out;
    uint8_t buf[OUT_CHUNK];
} zs_state;

static ds_status zs_open(void **state, FILE *out, int level, ds_error *err)
{
    zs_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "zstd: out of memory");
    s->cctx = ZSTD_createCCtx();
    if (s->cctx == NULL ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel,
                                            level ? level : ZSTD_CLEVEL_DEFAULT)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 1))) {
        ZSTD_freeCCtx(s->cctx);
        free(s);
        return ds_error_set(err, DS_ERR_NOMEM, "zstd: cannot initialise libzstd");
    }
    s->out = out;
    *state = s;
    return DS_OK;
}

static ds_status zs_run(zs_state *s, const void *data, size_t len, ZSTD_EndDirective mode,
                        ds_error *err)
{
    ZSTD_inBuffer in = {data, len, 0};
    for (;;) {
        ZSTD_outBuffer o = {s->buf, sizeof(s->buf), 0};
        size_t left = ZSTD_compressStream2(s->cctx, &o, &in, mode);
        if (ZSTD_isError(left))
            return ds_error_set(err, DS_ERR_IO, "zstd: %s", ZSTD_getErrorName(left));
        ds_status st = put_out(s->out, s->buf, o.pos, err);
        if (st != DS_OK)
            return st;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
            return DS_OK;
    }
}

static ds_status zs_write(void *state, const void *data, size_t len, ds_error *err)
{
    return zs_run(state, data, len, ZSTD_e_continue, err);
}

static ds_status zs_finish(void *state, ds_error *err)
{
    return zs_run(state, NULL, 0, ZSTD_e_end, err);
}

static void zs_free(void *state)
{
    zs_state *s = state;
    if (s == NULL)
        return;
    ZSTD_freeCCtx(s->cctx);
    free(s);
}

/* ---- lz4 frame ----------------------------------------------------------------------- */

/* The input is fed in pieces of at most LZ4_IN so that the output chunk always suffices. */
#define LZ4_IN (64u * 1024u)

typedef struct lz_state {
    LZ4F_cctx *cctx;
    LZ4F_preferences_t prefs;
    FILE *out;
    uint8_t *buf;
    size_t cap;
} lz_state;

static void lz_free(void *state)
{
    lz_state *s = state;
    if (s == NULL)
        return;
    LZ4F_freeCompressionContext(s->cctx);
    free(s->buf);
    free(s);
}

static ds_status lz_open(void **state, FILE *out, int level, ds_error *err)
{
    lz_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "lz4: out of memory");
    memset(&s->prefs, 0, sizeof(s->prefs));
    s->prefs.compressionLevel = level;
    s->prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    s->out = out;
    s->cap = LZ4F_compressBound(LZ4_IN, &s->prefs);
    if (s->cap < LZ4F_HEADER_SIZE_MAX)
        s->cap = LZ4F_HEADER_SIZE_MAX;
    s->buf = malloc(s->cap);
    if (s->buf == NULL || LZ4F_isError(LZ4F_createCompressionContext(&s->cctx, LZ4F_VERSION))) {
        lz_free(s);
        return ds_error_set(err, DS_ERR_NOMEM, "lz4: cannot initialise liblz4");
    }
    size_t n = LZ4F_compressBegin(s->cctx, s->buf, s->cap, &s->prefs);
    if (LZ4F_isError(n)) {
        ds_error_set(err, DS_ERR_IO, "lz4: %s", LZ4F_getErrorName(n));
        lz_free(s);
        return DS_ERR_IO;
    }
    ds_status st = put_out(out, s->buf, n, err);
    if (st != DS_OK) {
        lz_free(s);
        return st;
    }
    *state = s;
    return DS_OK;
}

static ds_status lz_write(void *state, const void *data, size_t len, ds_error *err)
{
    lz_state *s = state;
    const uint8_t *p = data;
    while (len > 0) {
        size_t n = len > LZ4_IN ? LZ4_IN : len;
        size_t got = LZ4F_compressUpdate(s->cctx, s->buf, s->cap, p, n, NULL);
        if (LZ4F_isError(got))
            return ds_error_set(err, DS_ERR_IO, "lz4: %s", LZ4F_getErrorName(got));
        ds_status st = put_out(s->out, s->buf, got, err);
        if (st != DS_OK)
            return st;
        p += n;
        len -= n;
    }
    return DS_OK;
}

static ds_status lz_finish(void *state, ds_error *err)
{
    lz_state *s = state;
    size_t got = LZ4F_compressEnd(s->cctx, s->buf, s->cap, NULL);
    if (LZ4F_isError(got))
        return ds_error_set(err, DS_ERR_IO, "lz4: %s", LZ4F_getErrorName(got));
    return put_out(s->out, s->buf, got, err);
}

/* ---- registry ------------------------------------------------------------------------ */

static const ds_compressor compressors[] = {
    {DS_COMP_GZIP, "gzip", 1, 9, gz_open, gz_write, gz_finish, gz_free},
    {DS_COMP_BZIP2, "bzip2", 1, 9, bz_open, bz_write, bz_finish, bz_free},
    {DS_COMP_XZ, "xz", 1, 9, xz_open, xz_write, xz_finish, xz_free},
    {DS_COMP_ZSTD, "zstd", 1, 22, zs_open, zs_write, zs_finish, zs_free},
    {DS_COMP_LZ4, "lz4", 1, 12, lz_open, lz_write, lz_finish, lz_free},
};

const ds_compressor *ds_compressor_find(ds_compression c)
{
    for (size_t i = 0; i < sizeof(compressors) / sizeof(compressors[0]); i++)
        if (compressors[i].id == c)
            return &compressors[i];
    return NULL;
}
