/*
 * stream.c - capture bytes from a file, standard input or memory, decompressed on the fly
 * (see stream.h).
 *
 * Two layers: a raw source (a file descriptor or a memory buffer, with a read buffer for the
 * compressed bytes) and the decompressed window the format readers parse in place. Each
 * compression is one `ds_decompressor` in the static registry below: a magic test on the first
 * bytes, and open/read/close around the compression library (ISA-L, libbz2, liblzma, libzstd,
 * liblz4's frame API). Uncompressed input skips the middle layer: a file is read() straight
 * into the window, a memory buffer is the window. A compressed file is decompressed by a
 * thread into a ring of chunks, and the window is the chunk itself but where a record runs
 * from one chunk into the next (borrow/give_back).
 *
 * Every decompressor accepts several compressed streams back to back (gzip members, bzip2
 * streams, xz streams with padding, zstd frames including skippable ones, lz4 frames), which
 * is what `cat a.gz b.gz` and parallel compressors (pigz, pbzip2, pixz, zstd -T) produce.
 * After the last stream the input must end: other bytes are reported as garbage.
 */
#include <bzlib.h>
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdarg.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <lzma.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
/* For libzstd's buffer-less decoding (ZSTD_decompressContinue and its helpers). */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "capture/stream.h"

/* Compressed bytes are read this much at a time. */
#define SRC_BUF_SIZE (256u * 1024u)
/* A fill of the window reads (or decompresses, without a decompression thread) at least this
 * much; from the thread's ring it takes only what completes a record (the rest is parsed in the
 * ring's chunk). 1 MiB measured best for both the bare read() baseline and the reader
 * (docs/PERFORMANCE.md); overridable for such measurements. */
#ifndef WINDOW_CHUNK
#define WINDOW_CHUNK (1024u * 1024u)
#endif
/* The window buffer: the largest need() plus one chunk. */
#define WINDOW_SIZE (DS_STREAM_MAX_NEED + WINDOW_CHUNK)
/* How many first bytes the compression magic tests may look at. */
#define SNIFF_LEN 64u
/* The most memory liblzma may use (xz -9 needs 65 MiB); more is reported as an error. */
#define XZ_MEMLIMIT (512ull * 1024u * 1024u)
/* Beyond this liblzma decodes a file of several blocks (xz -T) with fewer threads. */
#define XZ_MEMLIMIT_THREADING (256ull * 1024u * 1024u)
/* The most threads that decode one .xz file at once. */
#define XZ_THREADS_MAX 8

/* ds_capture_set_decoder_threads()'s setting: 0 for one per online core. */
static _Atomic unsigned decoder_threads;

void ds_capture_set_decoder_threads(unsigned threads)
{
    decoder_threads = threads;
}

/* xz_threads - threads for one .xz file: the setting, else one per core; 1 to XZ_THREADS_MAX. */
static uint32_t xz_threads(void)
{
    long n = decoder_threads != 0 ? (long)decoder_threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > XZ_THREADS_MAX ? XZ_THREADS_MAX : (uint32_t)n;
}
/* Why a decompressor stopped, in a message. */
#define WHY_MAX 200

/* The raw (possibly compressed) input. */
typedef struct ds_src {
    int fd;       /* -1 for memory */
    bool own_fd;  /* close fd at the end (not standard input) */
    uint8_t *buf; /* read buffer (file descriptors only) */
    size_t cap;
    const uint8_t *next; /* unread bytes */
    size_t avail;
    bool eof;
    int read_errno;  /* set when a read failed */
    bool positioned; /* read with pread() at pos (a reader of a byte range of the file) */
    uint64_t pos;
} ds_src;

/*
 * src_more - append more raw bytes to next[0..avail), moving the unread ones to the front of
 * the buffer. Returns how many were added, 0 at the end of the input, -1 on a read error.
 */
static ssize_t src_more(ds_src *src)
{
    if (src->eof || src->fd < 0) {
        src->eof = true;
        return 0;
    }
    if (src->next != src->buf && src->avail > 0)
        memmove(src->buf, src->next, src->avail);
    src->next = src->buf;
    if (src->avail == src->cap)
        return 0; /* full: the caller consumes first */
    for (;;) {
        ssize_t got = read(src->fd, src->buf + src->avail, src->cap - src->avail);
        if (got > 0) {
            src->avail += (size_t)got;
            return got;
        }
        if (got == 0) {
            src->eof = true;
            return 0;
        }
        if (errno != EINTR) {
            src->read_errno = errno;
            return -1;
        }
    }
}

/* src_refill_if_empty - src_more() when nothing is left unread; 1 when bytes are there. */
static int src_refill_if_empty(ds_src *src)
{
    if (src->avail > 0)
        return 1;
    ssize_t got = src_more(src);
    return got < 0 ? -1 : got > 0;
}

static void src_consume(ds_src *src, size_t n)
{
    src->next += n;
    src->avail -= n;
}

/* What a decompressor's read() reports besides the bytes it produced. */
typedef enum dec_result {
    DEC_OK,        /* the output is full or more input is needed: call again */
    DEC_END,       /* the compressed input ended cleanly after its last stream */
    DEC_TRUNCATED, /* the input ended inside a compressed stream */
    DEC_ERROR,     /* damaged data or garbage after the end: why says what */
    DEC_IO,        /* reading the raw input failed (src->read_errno) */
} dec_result;

/*
 * One compression format. read() decompresses into out[0..cap) and sets *got to the bytes it
 * produced, whatever it returns; it returns DEC_OK only with *got > 0 or when it may simply be
 * called again. Given a history (set_history), it may stop short of cap with DEC_OK when its
 * next piece would not fit (zstd: a block, at most 128 KiB), even with *got == 0 if cap is
 * smaller than that.
 */
typedef struct ds_decompressor {
    const char *name;
    ds_compression id;
    bool (*magic)(const uint8_t *p, size_t n);
    void *(*open)(void); /* NULL when out of memory */
    dec_result (*read)(void *state, ds_src *src, uint8_t *out, size_t cap, size_t *got, char *why);
    void (*close)(void *state);
    /* Optional: the output keeps this much earlier output in place before out (the ring). */
    void (*set_history)(void *state, size_t bytes);
} ds_decompressor;

static void set_why(char *why, const char *text)
{
    snprintf(why, WHY_MAX, "%s", text);
}

/* ---- gzip (ISA-L's igzip) ---- */

/*
 * Inflated by Intel's ISA-L (igzip), which decodes deflate about 1.6 times as fast as zlib here
 * (a 105 MB member: 0.31 against 0.50 s, docs/PERFORMANCE.md). Each member's header is parsed
 * here, byte by byte as the input comes (ISA-L's own parser misses a header CRC over a header
 * split between two reads); ISA-L inflates the deflate data and checks the trailer (CRC-32
 * and length, ISAL_GZIP_NO_HDR_VER).
 */

/* Where a member's header parse is (RFC 1952, 2.3). */
typedef enum gz_part {
    GZ_FIXED,   /* the 10 bytes: magic, method, flags, time, extra flags, OS */
    GZ_XLEN,    /* FEXTRA's length */
    GZ_EXTRA,   /* FEXTRA's bytes */
    GZ_NAME,    /* FNAME, up to its NUL */
    GZ_COMMENT, /* FCOMMENT, up to its NUL */
    GZ_HCRC,    /* FHCRC: the low 16 bits of the header's CRC-32 */
    GZ_DATA,    /* the header is done: deflate data and trailer */
} gz_part;

#define GZ_FEXTRA   0x04
#define GZ_FNAME    0x08
#define GZ_FCOMMENT 0x10
#define GZ_FHCRC    0x02
#define GZ_RESERVED 0xe0

typedef struct gz_state {
    struct inflate_state st;
    bool member_done;
    gz_part part;
    uint8_t field[10]; /* the fixed part, XLEN or HCRC as they come */
    uint32_t have;     /* bytes of field[] so far */
    uint32_t left;     /* FEXTRA bytes still to skip */
    uint8_t flags;
    uint32_t hcrc; /* CRC-32 of the header so far */
    int error;     /* an isal_inflate() error, reported once the bytes before it are out */
} gz_state;

static bool gz_magic(const uint8_t *p, size_t n)
{
    return n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

/* gz_member - get ready for the next member's header. */
static void gz_member(gz_state *g)
{
    g->part = GZ_FIXED;
    g->have = 0;
    g->hcrc = (uint32_t)crc32(0, NULL, 0);
}

static void *gz_open(void)
{
    gz_state *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    isal_inflate_init(&g->st);
    gz_member(g);
    return g;
}

/* gz_error_name - an isal_inflate() error in words (the names zlib gives the same faults). */
static const char *gz_error_name(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK:
        return "invalid block type";
    case ISAL_INVALID_SYMBOL:
        return "invalid code";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
    case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check";
    default:
        return "damaged gzip data";
    }
}

/* gz_take - consume n header bytes at p (they count in the header's CRC). */
static void gz_take(gz_state *g, ds_src *src, size_t n)
{
    g->hcrc = (uint32_t)crc32(g->hcrc, src->next, (uInt)n);
    src_consume(src, n);
}

/* gz_collect - the next bytes of a fixed-size field into field[]; whether it is complete. */
static bool gz_collect(gz_state *g, ds_src *src, uint32_t size, bool in_crc)
{
    size_t n = size - g->have < src->avail ? size - g->have : src->avail;
    memcpy(g->field + g->have, src->next, n);
    g->have += (uint32_t)n;
    if (in_crc)
        gz_take(g, src, n);
    else
        src_consume(src, n);
    if (g->have < size)
        return false;
    g->have = 0;
    return true;
}

/* gz_needs_bytes - whether the header part being parsed has bytes in this member. */
static bool gz_needs_bytes(const gz_state *g)
{
    switch (g->part) {
    case GZ_FIXED:
        return true;
    case GZ_XLEN:
        return g->flags & GZ_FEXTRA;
    case GZ_EXTRA:
        return g->left > 0;
    case GZ_NAME:
        return g->flags & GZ_FNAME;
    case GZ_COMMENT:
        return g->flags & GZ_FCOMMENT;
    case GZ_HCRC:
        return g->flags & GZ_FHCRC;
    default:
        return false;
    }
}

/*
 * gz_parse_header - parse what there is of a member's header (part becomes GZ_DATA once it is all
 * there). Returns false with why set on a header RFC 1952 does not allow.
 */
static bool gz_parse_header(gz_state *g, ds_src *src, char *why)
{
    while (g->part != GZ_DATA && (src->avail > 0 || !gz_needs_bytes(g))) {
        switch (g->part) {
        case GZ_FIXED:
            if (!gz_collect(g, src, 10, true))
                break;
            g->flags = g->field[3];
            if (g->field[2] != 8) {
                set_why(why, "unknown compression method");
                return false;
            }
            if (g->flags & GZ_RESERVED) {
                set_why(why, "unknown header flags set");
                return false;
            }
            g->part = GZ_XLEN;
            break;
        case GZ_XLEN:
            if (!(g->flags & GZ_FEXTRA)) {
                g->part = GZ_NAME;
                break;
            }
            if (!gz_collect(g, src, 2, true))
                break;
            g->left = (uint32_t)g->field[0] | (uint32_t)g->field[1] << 8;
            g->part = GZ_EXTRA;
            break;
        case GZ_EXTRA: {
            size_t n = g->left < src->avail ? g->left : src->avail;
            gz_take(g, src, n);
            g->left -= (uint32_t)n;
            if (g->left == 0)
                g->part = GZ_NAME;
            break;
        }
        case GZ_NAME:
        case GZ_COMMENT: {
            uint8_t flag = g->part == GZ_NAME ? GZ_FNAME : GZ_FCOMMENT;
            if (g->flags & flag) {
                const uint8_t *nul = memchr(src->next, 0, src->avail);
                gz_take(g, src, nul != NULL ? (size_t)(nul - src->next) + 1 : src->avail);
                if (nul == NULL)
                    break;
            }
            g->part = g->part == GZ_NAME ? GZ_COMMENT : GZ_HCRC;
            break;
        }
        case GZ_HCRC:
            if (g->flags & GZ_FHCRC) {
                if (!gz_collect(g, src, 2, false))
                    break;
                uint32_t want = (uint32_t)g->field[0] | (uint32_t)g->field[1] << 8;
                if (want != (g->hcrc & 0xffff)) {
                    set_why(why, "header crc mismatch");
                    return false;
                }
            }
            isal_inflate_reset(&g->st);
            g->st.crc_flag = ISAL_GZIP_NO_HDR_VER;
            g->part = GZ_DATA;
            break;
        case GZ_DATA:
            break;
        }
    }
    return true;
}

/*
 * gz_after_error - after isal_inflate() met an error (g->error): the bytes it decoded into its
 * own buffer but had no room to hand out (with little output room it decodes into
 * tmp_out_buffer) came before the damage, and go out first. DEC_OK while some are left for the
 * next call, then DEC_ERROR with why set.
 */
static dec_result gz_after_error(gz_state *g, char *why)
{
    int32_t n = g->st.tmp_out_valid - g->st.tmp_out_processed;
    if (n > 0) {
        size_t k = (size_t)n < g->st.avail_out ? (size_t)n : g->st.avail_out;
        memcpy(g->st.next_out, g->st.tmp_out_buffer + g->st.tmp_out_processed, k);
        g->st.tmp_out_processed += (int32_t)k;
        g->st.next_out += k;
        g->st.avail_out -= (uint32_t)k;
        if ((size_t)n > k)
            return DEC_OK;
    }
    set_why(why, gz_error_name(g->error));
    return DEC_ERROR;
}

static dec_result gz_read(void *state, ds_src *src, uint8_t *out, size_t cap, size_t *got,
                          char *why)
{
    gz_state *g = state;
    g->st.next_out = out;
    g->st.avail_out = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
    uint32_t out_cap = g->st.avail_out;
    dec_result res = g->error != 0 ? gz_after_error(g, why) : DEC_OK;
    while (g->error == 0 && g->st.avail_out > 0) {
        if (src_refill_if_empty(src) < 0) {
            res = DEC_IO;
            break;
        }
        if (g->member_done) {
            /* Between members: the end, or the next member's magic. */
            if (src->avail == 0) {
                res = DEC_END;
                break;
            }
            if (src->avail < 3 && !src->eof) {
                if (src_more(src) < 0) {
                    res = DEC_IO;
                    break;
                }
                continue;
            }
            if (!gz_magic(src->next, src->avail)) {
                if (src->avail < 3 && src->next[0] == 0x1f &&
                    (src->avail < 2 || src->next[1] == 0x8b)) {
                    res = DEC_TRUNCATED;
                    break;
                }
                set_why(why, "garbage after the end of the gzip data");
                res = DEC_ERROR;
                break;
            }
            gz_member(g);
            g->member_done = false;
        }
        if (g->part != GZ_DATA) {
            if (src->avail == 0) {
                res = DEC_TRUNCATED; /* the input ended inside a header */
                break;
            }
            if (!gz_parse_header(g, src, why)) {
                res = DEC_ERROR;
                break;
            }
            continue;
        }
        g->st.next_in = (uint8_t *)(uintptr_t)src->next;
        g->st.avail_in = (uint32_t)(src->avail > UINT32_MAX ? UINT32_MAX : src->avail);
        uint32_t in_before = g->st.avail_in, out_before = g->st.avail_out;
        int rc = isal_inflate(&g->st);
        src_consume(src, in_before - g->st.avail_in);
        if (rc < 0) {
            g->error = rc;
            res = gz_after_error(g, why);
            break;
        }
        if (g->st.block_state == ISAL_BLOCK_FINISH) {
            g->member_done = true;
            continue;
        }
        bool progress = g->st.avail_in != in_before || g->st.avail_out != out_before;
        if (src->avail == 0 && src->eof && !progress) {
            res = DEC_TRUNCATED;
            break;
        }
        if (!progress && src->avail > 0) {
            /* All the input it was given is held inside (a member's last few bytes): more. */
            if (!src->eof && src->avail < src->cap) {
                if (src_more(src) < 0) {
                    res = DEC_IO;
                    break;
                }
                continue;
            }
            if (src->eof) {
                res = DEC_TRUNCATED;
                break;
            }
            set_why(why, "gzip: no progress");
            res = DEC_ERROR;
            break;
        }
    }
    *got = out_cap - g->st.avail_out;
    return res;
}

static void gz_close(void *state)
{
    free(state);
}

/* ---- bzip2 (libbz2) ---- */

typedef struct bz_state {
    bz_stream bz;
    bool live; /* bz is initialised */
    bool stream_done;
} bz_state;

static bool bz_magic(const uint8_t *p, size_t n)
{
    return n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9';
}

static void *bz_open(void)
{
    bz_state *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    if (BZ2_bzDecompressInit(&b->bz, 0, 0) != BZ_OK) {
        free(b);
        return NULL;
    }
    b->live = true;
    return b;
}

static const char *bz_error_name(int rc)
{
    switch (rc) {
    case BZ_DATA_ERROR:
        return "damaged bzip2 data";
    case BZ_DATA_ERROR_MAGIC:
        return "not bzip2 data";
    case BZ_MEM_ERROR:
        return "out of memory";
    default:
        return "bzip2 error";
    }
}

static dec_result bz_read(void *state, ds_src *src, uint8_t *out, size_t cap, size_t *got,
                          char *why)
{
    bz_state *b = state;
    unsigned out_cap = (unsigned)(cap > UINT32_MAX ? UINT32_MAX : cap);
    b->bz.next_out = (char *)out;
    b->bz.avail_out = out_cap;
    dec_result res = DEC_OK;
    while (b->bz.avail_out > 0) {
        if (src_refill_if_empty(src) < 0) {
            res = DEC_IO;
            break;
        }
        if (b->stream_done) {
            if (src->avail == 0) {
                res = DEC_END;
                break;
            }
            if (src->avail < 4 && !src->eof) {
                if (src_more(src) < 0) {
                    res = DEC_IO;
                    break;
                }
                continue;
            }
            if (!bz_magic(src->next, src->avail)) {
                if (src->avail < 4 && memcmp(src->next, "BZh", src->avail) == 0) {
                    res = DEC_TRUNCATED;
                    break;
                }
                set_why(why, "garbage after the end of the bzip2 data");
                res = DEC_ERROR;
                break;
            }
            BZ2_bzDecompressEnd(&b->bz);
            b->live = false;
            char *next_out = b->bz.next_out;
            unsigned avail_out = b->bz.avail_out;
            memset(&b->bz, 0, sizeof(b->bz));
            if (BZ2_bzDecompressInit(&b->bz, 0, 0) != BZ_OK) {
                set_why(why, "out of memory");
                res = DEC_ERROR;
                break;
            }
            b->live = true;
            b->bz.next_out = next_out;
            b->bz.avail_out = avail_out;
            b->stream_done = false;
        }
        b->bz.next_in = (char *)(uintptr_t)src->next;
        b->bz.avail_in = (unsigned)(src->avail > UINT32_MAX ? UINT32_MAX : src->avail);
        unsigned in_before = b->bz.avail_in, out_before = b->bz.avail_out;
        int rc = BZ2_bzDecompress(&b->bz);
        src_consume(src, in_before - b->bz.avail_in);
        if (rc == BZ_STREAM_END) {
            b->stream_done = true;
            continue;
        }
        if (rc == BZ_OK) {
            bool progress = b->bz.avail_in != in_before || b->bz.avail_out != out_before;
            if (src->avail == 0 && src->eof && !progress) {
                res = DEC_TRUNCATED;
                break;
            }
            if (!progress && src->avail > 0) {
                set_why(why, "bzip2: no progress");
                res = DEC_ERROR;
                break;
            }
            continue;
        }
        set_why(why, bz_error_name(rc));
        res = DEC_ERROR;
        break;
    }
    *got = out_cap - b->bz.avail_out;
    return res;
}

static void bz_close(void *state)
{
    bz_state *b = state;
    if (b->live)
        BZ2_bzDecompressEnd(&b->bz);
    free(b);
}

/* ---- xz (liblzma) ---- */

typedef struct xz_state {
    lzma_stream lz;
} xz_state;

static bool xz_magic(const uint8_t *p, size_t n)
{
    static const uint8_t m[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    return n >= 6 && memcmp(p, m, 6) == 0;
}

static void *xz_open(void)
{
    xz_state *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return NULL;
    lzma_stream init = LZMA_STREAM_INIT;
    x->lz = init;
    /* LZMA_CONCATENATED: several .xz streams, with stream padding, one after the other. The
       blocks of a file that xz -T wrote (each with its sizes in its header) are decoded by
       several threads (xz_threads()), in order; a file of one block (xz without -T) by one.
       Errors come after every byte before them, as from the single-threaded decoder (no
       LZMA_FAIL_FAST), which is the fallback when the threaded one cannot start. */
    lzma_mt mt = {.flags = LZMA_CONCATENATED,
                  .threads = xz_threads(),
                  .memlimit_threading = XZ_MEMLIMIT_THREADING,
                  .memlimit_stop = XZ_MEMLIMIT};
    if (lzma_stream_decoder_mt(&x->lz, &mt) != LZMA_OK &&
        lzma_stream_decoder(&x->lz, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
        free(x);
        return NULL;
    }
    return x;
}

static const char *xz_error_name(lzma_ret rc)
{
    switch (rc) {
    case LZMA_MEM_ERROR:
        return "out of memory";
    case LZMA_MEMLIMIT_ERROR:
        return "xz data needs more memory than the limit of 512 MiB";
    case LZMA_FORMAT_ERROR:
        return "garbage after the end of the xz data, or not xz data";
    case LZMA_OPTIONS_ERROR:
        return "unsupported xz options";
    case LZMA_DATA_ERROR:
        return "damaged xz data";
    default:
        return "xz error";
    }
}

static dec_result xz_read(void *state, ds_src *src, uint8_t *out, size_t cap, size_t *got,
                          char *why)
{
    xz_state *x = state;
    x->lz.next_out = out;
    x->lz.avail_out = cap;
    dec_result res = DEC_OK;
    while (x->lz.avail_out > 0) {
        if (src_refill_if_empty(src) < 0) {
            res = DEC_IO;
            break;
        }
        x->lz.next_in = src->next;
        x->lz.avail_in = src->avail;
        size_t in_before = src->avail;
        lzma_action action = src->eof ? LZMA_FINISH : LZMA_RUN;
        lzma_ret rc = lzma_code(&x->lz, action);
        src_consume(src, in_before - x->lz.avail_in);
        if (rc == LZMA_STREAM_END) {
            res = DEC_END;
            break;
        }
        if (rc == LZMA_OK)
            continue;
        if (rc == LZMA_BUF_ERROR) {
            if (src->eof && src->avail == 0) {
                res = DEC_TRUNCATED;
                break;
            }
            continue;
        }
        set_why(why, xz_error_name(rc));
        res = DEC_ERROR;
        break;
    }
    *got = cap - x->lz.avail_out;
    return res;
}

static void xz_close(void *state)
{
    xz_state *x = state;
    lzma_end(&x->lz);
    free(x);
}

/* ---- zstd and lz4 share the skippable-frame magic 0x184D2A5? ---- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * after_skippable - the offset of the first frame magic after any skippable frames at p, or
 * SIZE_MAX when that magic lies beyond the n bytes seen.
 */
static size_t after_skippable(const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (n - off >= 4 && (le32(p + off) & 0xfffffff0u) == 0x184d2a50u) {
        if (n - off < 8)
            return SIZE_MAX;
        uint64_t skip = 8 + (uint64_t)le32(p + off + 4);
        if (skip > n - off)
            return SIZE_MAX;
        off += (size_t)skip;
    }
    return n - off >= 4 ? off : SIZE_MAX;
}

/* ---- zstd (libzstd) ---- */

/*
 * Two ways to decode a frame. Streaming (ZSTD_decompressStream) decodes each block into
 * libzstd's own window buffer and copies it out: it works into any output. Behind the
 * decompression thread the output is the ring, which keeps earlier output in place (one
 * contiguous allocation, written in order, see ring_start()); there a frame whose window fits
 * in what the ring keeps is decoded block by block straight into the ring with libzstd's
 * buffer-less API (ZSTD_decompressContinue), which saves the copy: 10-15% of the thread's time
 * on the bench capture (docs/PERFORMANCE.md). Skippable frames, frames with larger windows
 * and whatever is not a frame header go the streaming way, which also gives the errors for
 * them. Both check the same things (block sizes, content size, checksum) with the same
 * messages, and hand out a frame's blocks as they are decoded, before its checksum is checked
 * at its end (as the streaming way always did for a frame it could not decode in one call).
 * Valid frames give the same bytes both ways. Damaged ones may differ after the damage:
 * libzstd does not hold a frame's references to its window, and each way resolves one beyond
 * it from the history it has (the ring's is larger), or fails where it has none.
 */
typedef struct zs_state {
    ZSTD_DCtx *ds;
    size_t hint;    /* last ZSTD_decompressStream result: 0 at a frame boundary */
    size_t history; /* how much earlier output stays in place before out: 0 for none */
    bool boundary;  /* at the start of a frame (or of the input): the way is to be chosen */
    bool direct;    /* inside a frame decoded straight into the output */
    /* The frame being decoded: */
    uint64_t content_size; /* as its header says, or ZSTD_CONTENTSIZE_UNKNOWN */
    uint64_t decoded;      /* bytes so far */
    bool raw;              /* direct: the block being read is a raw (stored) one */
    size_t block_max;      /* direct: its largest block */
} zs_state;

static _Atomic uint64_t zstd_direct_frames;

uint64_t ds_stream_zstd_direct_frames(void)
{
    return zstd_direct_frames;
}

static bool zs_magic(const uint8_t *p, size_t n)
{
    if (n < 4)
        return false;
    if (le32(p) == 0xfd2fb528u)
        return true;
    if ((le32(p) & 0xfffffff0u) != 0x184d2a50u)
        return false;
    /* A skippable frame first: zstd unless the next frame is visibly lz4. */
    size_t off = after_skippable(p, n);
    return off == SIZE_MAX || le32(p + off) != 0x184d2204u;
}

static void *zs_open(void)
{
    zs_state *z = calloc(1, sizeof(*z));
    if (z == NULL)
        return NULL;
    z->ds = ZSTD_createDStream();
    if (z->ds == NULL) {
        free(z);
        return NULL;
    }
    ZSTD_initDStream(z->ds);
    /* The library default (128 MiB windows), explicit: a larger window is an error. */
    ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax, 27);
    z->hint = 1;
    z->boundary = true;
    return z;
}

/*
 * zs_set_history - the output keeps `bytes` of earlier output in place (the ring). The
 * buffer-less API and ZSTD_frameHeader are libzstd's "static linking only" part, which may
 * change from one version to the next: only with the version darkscan was built with.
 */
static void zs_set_history(void *state, size_t bytes)
{
    ((zs_state *)state)->history = ZSTD_versionNumber() == ZSTD_VERSION_NUMBER ? bytes : 0;
}

/*
 * zs_choose - at a frame boundary: decode the next frame straight into the output when its
 * header says it may (a zstd frame whose window fits in the history kept), else streaming.
 * Either way its content size is noted, to be checked at its end. DEC_OK, or how the input
 * ends here.
 */
static dec_result zs_choose(zs_state *z, ds_src *src)
{
    z->boundary = false;
    ZSTD_frameHeader fh;
    size_t rc;
    while ((rc = ZSTD_getFrameHeader(&fh, src->next, src->avail)) > 0 && !ZSTD_isError(rc)) {
        ssize_t more = src_more(src);
        if (more < 0)
            return DEC_IO;
        if (more == 0)
            break; /* the input ends inside the header: streaming says so */
    }
    if (src->avail == 0)
        return z->hint == 0 ? DEC_END : DEC_TRUNCATED;
    bool frame = rc == 0 && fh.frameType == ZSTD_frame;
    z->content_size = frame ? fh.frameContentSize : ZSTD_CONTENTSIZE_UNKNOWN;
    z->decoded = 0;
    if (frame && z->history > 0 && fh.windowSize <= z->history &&
        !ZSTD_isError(ZSTD_decompressBegin(z->ds))) {
        z->direct = true;
        z->block_max = fh.blockSizeMax;
        zstd_direct_frames++;
    } else {
        ZSTD_DCtx_reset(z->ds, ZSTD_reset_session_only);
    }
    return DEC_OK;
}

/*
 * zs_frame_end - a frame decoded to its end: back to a boundary, its content size checked
 * (libzstd checks it only when it decodes a frame in one call, or after a last block with
 * content, so that a frame would pass or fail by how much room the output had).
 */
static dec_result zs_frame_end(zs_state *z, char *why)
{
    z->boundary = true;
    z->hint = 0;
    if (z->content_size != ZSTD_CONTENTSIZE_UNKNOWN && z->decoded != z->content_size) {
        set_why(why, ZSTD_getErrorString(ZSTD_error_corruption_detected));
        return DEC_ERROR;
    }
    return DEC_OK;
}

/*
 * zs_blocks - the direct way: the frame's next parts (header, blocks, checksum), each block
 * decoded into out while a whole block of the frame's largest size fits; *full when the next
 * one does not. At the frame's end, back to a boundary.
 *
 * What libzstd's streaming does and its buffer-less API leaves to the caller, done here: the
 * bytes of a raw block are handed out as they come (a file cut inside one reads up to the cut).
 */
static dec_result zs_blocks(zs_state *z, ds_src *src, uint8_t *out, size_t cap, size_t *pos,
                            bool *full, char *why)
{
    for (;;) {
        size_t need = ZSTD_nextSrcSizeToDecompress(z->ds);
        if (need == 0) {
            z->direct = false;
            return zs_frame_end(z, why);
        }
        ZSTD_nextInputType_e next = ZSTD_nextInputType(z->ds);
        bool block = next == ZSTDnit_block || next == ZSTDnit_lastBlock;
        if (block && cap - *pos < z->block_max) {
            *full = true;
            return DEC_OK;
        }
        /* need is at most a block (128 KiB): the read buffer holds it. */
        dec_result stop = DEC_OK;
        while (src->avail < need && stop == DEC_OK) {
            ssize_t more = src_more(src);
            if (more < 0)
                stop = DEC_IO;
            else if (more == 0 && src->eof)
                stop = DEC_TRUNCATED;
            else if (more == 0) {
                set_why(why, "zstd: a frame's part larger than the read buffer");
                return DEC_ERROR;
            }
        }
        size_t take = need;
        if (stop != DEC_OK) {
            if (!(block && z->raw && src->avail > 0))
                return stop;
            take = src->avail; /* the raw block's bytes that came (libzstd takes them) */
        }
        if (next == ZSTDnit_blockHeader)
            z->raw = (src->next[0] >> 1 & 3) == 0; /* Block_Type 0: Raw_Block */
        size_t got = ZSTD_decompressContinue(z->ds, out + *pos, cap - *pos, src->next, take);
        if (ZSTD_isError(got)) {
            set_why(why, ZSTD_getErrorName(got));
            return DEC_ERROR;
        }
        src_consume(src, take);
        *pos += got;
        z->decoded += got;
        if (stop != DEC_OK)
            return stop;
    }
}

/* zs_stream - the streaming way, until out is full or the frame ends. */
static dec_result zs_stream(zs_state *z, ds_src *src, uint8_t *out, size_t cap, size_t *pos,
                            char *why)
{
    ZSTD_outBuffer ob = {out, cap, *pos};
    dec_result res = DEC_OK;
    while (ob.pos < ob.size) {
        if (src_refill_if_empty(src) < 0) {
            res = DEC_IO;
            break;
        }
        if (src->avail == 0 && z->hint == 0) {
            res = DEC_END;
            break;
        }
        /* With no input left, libzstd may still hold decoded bytes that found no room in the
           output before: this call hands them out. */
        ZSTD_inBuffer ib = {src->next, src->avail, 0};
        size_t out_before = ob.pos;
        size_t rc = ZSTD_decompressStream(z->ds, &ob, &ib);
        src_consume(src, ib.pos);
        if (ZSTD_isError(rc)) {
            set_why(why, ZSTD_getErrorName(rc));
            res = DEC_ERROR;
            break;
        }
        z->hint = rc;
        z->decoded += ob.pos - out_before;
        if (ob.pos == out_before && src->avail == 0 && src->eof && rc != 0) {
            res = DEC_TRUNCATED;
            break;
        }
        if (ib.pos == 0 && ob.pos == out_before && src->avail > 0) {
            set_why(why, "zstd: no progress");
            res = DEC_ERROR;
            break;
        }
        if (rc == 0) {
            res = zs_frame_end(z, why);
            break;
        }
    }
    *pos = ob.pos;
    return res;
}

/* zs_read - may return DEC_OK with out not full (the next block would not fit). */
static dec_result zs_read(void *state, ds_src *src, uint8_t *out, size_t cap, size_t *got,
                          char *why)
{
    zs_state *z = state;
    size_t pos = 0;
    bool full = false;
    dec_result res = DEC_OK;
    while (res == DEC_OK && !full && pos < cap) {
        if (z->boundary && (res = zs_choose(z, src)) != DEC_OK)
            break;
        if (z->direct)
            res = zs_blocks(z, src, out, cap, &pos, &full, why);
        else
            res = zs_stream(z, src, out, cap, &pos, why);
    }
    *got = pos;
    return res;
}

static void zs_close(void *state)
{
    zs_state *z = state;
    ZSTD_freeDStream(z->ds);
    free(z);
}

/* ---- lz4 frame format (liblz4) ---- */

typedef struct l4_state {
    LZ4F_dctx *dctx;
    size_t hint; /* last LZ4F_decompress result: 0 at a frame boundary */
} l4_state;

static bool l4_magic(const uint8_t *p, size_t n)
{
    if (n < 4)
        return false;
    if (le32(p) == 0x184d2204u)
        return true;
    if ((le32(p) & 0xfffffff0u) != 0x184d2a50u)
        return false;
    size_t off = after_skippable(p, n);
    return off != SIZE_MAX && le32(p + off) == 0x184d2204u;
}

static void *l4_open(void)
{
    l4_state *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&l->dctx, LZ4F_VERSION))) {
        free(l);
        return NULL;
    }
    l->hint = 1;
    return l;
}

static dec_result l4_read(void *state, ds_src *src, uint8_t *out, size_t cap, size_t *got,
                          char *why)
{
    l4_state *l = state;
    size_t pos = 0;
    dec_result res = DEC_OK;
    while (pos < cap) {
        if (src_refill_if_empty(src) < 0) {
            res = DEC_IO;
            break;
        }
        if (src->avail == 0 && l->hint == 0) {
            res = DEC_END;
            break;
        }
        /* With no input left, liblz4 may still hold a block's bytes that found no room in the
           output before: this call hands them out. */
        size_t dst_len = cap - pos, src_len = src->avail;
        size_t rc = LZ4F_decompress(l->dctx, out + pos, &dst_len, src->next, &src_len, NULL);
        src_consume(src, src_len);
        pos += dst_len;
        if (LZ4F_isError(rc)) {
            set_why(why, LZ4F_getErrorName(rc));
            res = DEC_ERROR;
            break;
        }
        l->hint = rc;
        if (dst_len == 0 && src->avail == 0 && src->eof && rc != 0) {
            res = DEC_TRUNCATED;
            break;
        }
        if (src_len == 0 && dst_len == 0 && src->avail > 0) {
            set_why(why, "lz4: no progress");
            res = DEC_ERROR;
            break;
        }
    }
    *got = pos;
    return res;
}

static void l4_close(void *state)
{
    l4_state *l = state;
    LZ4F_freeDecompressionContext(l->dctx);
    free(l);
}

/* Every decompressor, tried in this order on the first bytes of the input. */
static const ds_decompressor decompressors[] = {
    {"gzip", DS_COMP_GZIP, gz_magic, gz_open, gz_read, gz_close, NULL},
    {"bzip2", DS_COMP_BZIP2, bz_magic, bz_open, bz_read, bz_close, NULL},
    {"xz", DS_COMP_XZ, xz_magic, xz_open, xz_read, xz_close, NULL},
    {"zstd", DS_COMP_ZSTD, zs_magic, zs_open, zs_read, zs_close, zs_set_history},
    {"lz4", DS_COMP_LZ4, l4_magic, l4_open, l4_read, l4_close, NULL},
};

bool ds_stream_compressed_magic(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < sizeof(decompressors) / sizeof(decompressors[0]); i++)
        if (decompressors[i].magic(p, n))
            return true;
    return false;
}

/* ---- decompression in a thread of its own ---- */

/*
 * A compressed file is decompressed by a producer thread into a ring of chunks, while the
 * reader parses (and the caller aggregates) what came before: decompression, the one part of
 * reading a compressed file that cannot be split, overlaps with everything else. Each chunk
 * carries the decompressor's result after its bytes, so that an end or an error takes effect
 * exactly where it did without the thread.
 */
/*
 * The ring holds RING_CHUNKS chunks of RING_CHUNK bytes (64 MiB, allocated when the thread
 * starts; pages are touched as they are filled): enough to decouple the two sides. The
 * consumer works in bursts (a worker that sorts and merges 4 Mi tuple keys stops reading for
 * 50-150 ms), and with a ring of 4 MiB the decompression thread stopped during each burst and
 * the worker waited for it afterwards: `analyze -j 1` on a 2.1 GB zstd capture took 2.4-2.5 s
 * with both threads idle about 30% of the time, 2.1 s with 64 MiB (docs/PERFORMANCE.md).
 * DARKSCAN_TEST_RING_CHUNKS (tests only) sets a smaller ring, so that small inputs go round it.
 *
 * The chunks are consecutive pieces of one allocation of one chunk more than they can fill:
 * each starts where the one before it ended (the first and at each wrap, at the start), so
 * the ring's bytes are the decompressed stream in order, in at most two contiguous pieces.
 * A chunk is begun only when at most n_chunks - 1 are filled and unread, which span at most
 * n_chunks chunk sizes (a wrap wastes less than one), so the next chunk size of room is never
 * theirs. And the bytes it overwrites were written at least n_chunks - 1 chunk sizes earlier:
 * the decompressor may refer back that far (ring_history(), zstd's buffer-less decoding).
 */
#define RING_CHUNKS 64
#define RING_CHUNK  (1024u * 1024u)

typedef struct ring_chunk {
    uint8_t *data;
    size_t len;
    dec_result res; /* after the chunk's bytes: DEC_OK, or how the input ended */
    int read_errno;
    char why[WHY_MAX];
} ring_chunk;

typedef struct ring {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    ring_chunk *chunk;
    size_t n_chunks; /* RING_CHUNKS unless a test says otherwise */
    uint8_t *base;   /* (n_chunks + 1) * RING_CHUNK bytes, where the chunks' data lie */
    size_t alloc;
    size_t wpos;        /* the producer's: where its next chunk begins */
    size_t head, count; /* filled chunks: head .. head + count (mod n_chunks) */
    size_t pos;         /* bytes of the head chunk already consumed */
    bool stop;          /* the consumer is leaving */
} ring;

/* ---- the stream ---- */

typedef enum input_state {
    IN_MORE,  /* more bytes may come */
    IN_END,   /* the input ended (cleanly or truncated) */
    IN_ERROR, /* an error is pending: reported once the window runs dry */
} input_state;

struct ds_stream {
    char *name;
    ds_src src;
    const ds_decompressor *dec; /* NULL: uncompressed */
    void *dec_state;
    uint8_t *buf; /* the window buffer; NULL when the window is the caller's memory */
    size_t cap;
    const uint8_t *win; /* window start and length */
    size_t win_len;
    uint64_t win_off; /* decompressed offset of win */
    input_state state;
    bool truncated;
    ds_status pending; /* the error reported when state == IN_ERROR */
    char pending_msg[DS_ERROR_MAX];
    ring *ring;    /* the decompression thread, or NULL (memory input, or no thread) */
    bool borrowed; /* the window is the rest of the ring's head chunk, not a copy in buf */
};

/* producer - the decompression thread: fill free chunks until the input ends or stop. */
static void *producer(void *arg)
{
    ds_stream *s = arg;
    ring *r = s->ring;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while (r->count == r->n_chunks && !r->stop)
            pthread_cond_wait(&r->changed, &r->lock);
        bool stop = r->stop;
        size_t slot = (r->head + r->count) % r->n_chunks;
        pthread_mutex_unlock(&r->lock);
        if (stop)
            return NULL;
        ring_chunk *c = &r->chunk[slot];
        if (r->wpos + RING_CHUNK > r->alloc)
            r->wpos = 0;
        c->data = r->base + r->wpos;
        c->len = 0;
        c->res = DEC_OK;
        c->why[0] = '\0';
        while (c->len < RING_CHUNK && c->res == DEC_OK) {
            size_t got = 0;
            c->res = s->dec->read(s->dec_state, &s->src, c->data + c->len, RING_CHUNK - c->len,
                                  &got, c->why);
            c->len += got;
            if (got == 0 && c->res == DEC_OK) {
                if (c->len > 0)
                    break; /* its next piece does not fit: the rest in the next chunk */
                set_why(c->why, "no progress");
                c->res = DEC_ERROR;
            }
        }
        r->wpos += c->len;
        c->read_errno = s->src.read_errno;
        pthread_mutex_lock(&r->lock);
        r->count++;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        if (c->res != DEC_OK)
            return NULL;
    }
}

/*
 * ring_history - how far back from where the producer writes the ring's bytes are sure to be
 * intact: n_chunks - 1 chunk sizes (above), less one for the piece being written.
 */
static size_t ring_history(const ring *r)
{
    return r->n_chunks >= 3 ? (r->n_chunks - 2) * RING_CHUNK : 0;
}

/* ring_start - start the decompression thread; false (and no thread) when it cannot start. */
static bool ring_start(ds_stream *s)
{
    ring *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return false;
    r->n_chunks = RING_CHUNKS;
    const char *test_chunks = getenv("DARKSCAN_TEST_RING_CHUNKS");
    unsigned long chunks = test_chunks != NULL ? strtoul(test_chunks, NULL, 10) : 0;
    if (chunks >= 1 && chunks <= RING_CHUNKS)
        r->n_chunks = chunks;
    r->chunk = calloc(r->n_chunks, sizeof(*r->chunk));
    r->alloc = (r->n_chunks + 1) * RING_CHUNK;
    r->base = malloc(r->alloc);
    if (r->chunk == NULL || r->base == NULL)
        goto fail;
    if (s->dec->set_history != NULL)
        s->dec->set_history(s->dec_state, ring_history(r));
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    s->ring = r;
    if (pthread_create(&r->thread, NULL, producer, s) == 0)
        return true;
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
    s->ring = NULL;
    if (s->dec->set_history != NULL)
        s->dec->set_history(s->dec_state, 0);
fail:
    free(r->base);
    free(r->chunk);
    free(r);
    return false;
}

static void ring_free(ring *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
    free(r->base);
    free(r->chunk);
    free(r);
}

/* ring_wait_head - the ring's head chunk, once the thread has filled it. */
static ring_chunk *ring_wait_head(ring *r)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == 0)
        pthread_cond_wait(&r->changed, &r->lock);
    pthread_mutex_unlock(&r->lock);
    return &r->chunk[r->head];
}

/*
 * chunk_end - the head chunk c has been read to its end: its result (why and the read error
 * with it), and unless that is the input's end, the chunk goes back to the thread. The last
 * chunk stays (the thread has ended).
 */
static dec_result chunk_end(ds_stream *s, ring_chunk *c, char *why)
{
    ring *r = s->ring;
    if (c->res != DEC_OK) {
        memcpy(why, c->why, WHY_MAX);
        s->src.read_errno = c->read_errno;
        return c->res;
    }
    pthread_mutex_lock(&r->lock);
    r->head = (r->head + 1) % r->n_chunks;
    r->count--;
    r->pos = 0;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return DEC_OK;
}

/*
 * ring_read - up to cap decompressed bytes from the ring into out (waiting for the thread
 * when it is empty); *res is the decompressor's result once the bytes before it are all read.
 */
static size_t ring_read(ds_stream *s, uint8_t *out, size_t cap, dec_result *res, char *why)
{
    ring *r = s->ring;
    ring_chunk *c = ring_wait_head(r);
    size_t n = c->len - r->pos < cap ? c->len - r->pos : cap;
    memcpy(out, c->data + r->pos, n);
    r->pos += n;
    *res = DEC_OK;
    if (r->pos == c->len)
        *res = chunk_end(s, c, why);
    return n;
}

static ds_stream *stream_new(const char *name)
{
    ds_stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->name = strdup(name);
    if (s->name == NULL) {
        free(s);
        return NULL;
    }
    s->src.fd = -1;
    return s;
}

/* stream_start - detect the compression and set up the window. */
static ds_status stream_start(ds_stream *s, ds_error *err)
{
    ds_src *src = &s->src;
    while (src->avail < SNIFF_LEN && !src->eof) {
        if (src_more(src) < 0)
            return ds_error_set(err, DS_ERR_IO, "%s: %s", s->name, strerror(src->read_errno));
    }
    for (size_t i = 0; i < sizeof(decompressors) / sizeof(decompressors[0]); i++) {
        if (decompressors[i].magic(src->next, src->avail)) {
            s->dec = &decompressors[i];
            break;
        }
    }
    if (s->dec != NULL) {
        s->dec_state = s->dec->open();
        if (s->dec_state == NULL) {
            s->dec = NULL;
            return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", s->name);
        }
    } else if (src->fd < 0) {
        /* Uncompressed memory: the caller's buffer is the window. */
        s->win = src->next;
        s->win_len = src->avail;
        src->avail = 0;
        s->state = IN_END;
        return DS_OK;
    }
    s->cap = WINDOW_SIZE;
    s->buf = malloc(s->cap);
    if (s->buf == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", s->name);
    s->win = s->buf;
    /* A compressed regular file decompresses in its own thread (a pipe or a terminal could
       leave the thread blocked in read() when the reader stops early). */
    struct stat st;
    if (s->dec != NULL && src->fd >= 0 && fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode))
        ring_start(s);
    return DS_OK;
}

ds_status ds_stream_open(ds_stream **out, const char *path, ds_error *err)
{
    *out = NULL;
    ds_stream *s = stream_new(path);
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path);
    ds_status rc;
    if (strcmp(path, "-") == 0) {
        s->src.fd = STDIN_FILENO;
    } else {
        s->src.fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->src.fd < 0) {
            rc = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
            goto fail;
        }
        s->src.own_fd = true;
    }
    struct stat st;
    if (fstat(s->src.fd, &st) != 0) {
        rc = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(EISDIR));
        goto fail;
    }
    if (S_ISREG(st.st_mode))
        posix_fadvise(s->src.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    s->src.cap = SRC_BUF_SIZE;
    s->src.buf = malloc(s->src.cap);
    if (s->src.buf == NULL) {
        rc = ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    s->src.next = s->src.buf;
    rc = stream_start(s, err);
    if (rc != DS_OK)
        goto fail;
    *out = s;
    return DS_OK;
fail:
    ds_stream_free(s);
    return rc;
}

ds_status ds_stream_open_at(ds_stream **out, const ds_stream *first, uint64_t offset, ds_error *err)
{
    *out = NULL;
    if (first->dec != NULL || first->src.fd < 0)
        return ds_error_set(err, DS_ERR_INVALID, "%s: only an uncompressed file opens at an offset",
                            first->name);
    ds_stream *s = stream_new(first->name);
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", first->name);
    ds_status rc = DS_OK;
    /* The same file (not the path again, which may name another file by now), opened anew
       through /proc so that the kernel's readahead follows each reader on its own (a dup()
       shares one readahead state, which two readers far apart make look random); a dup()
       where /proc is not there. pread() keeps the readers' positions apart either way. */
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", first->src.fd);
    s->src.fd = open(proc, O_RDONLY | O_CLOEXEC);
    struct stat a, b;
    if (s->src.fd >= 0 && (fstat(s->src.fd, &a) != 0 || fstat(first->src.fd, &b) != 0 ||
                           a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
        close(s->src.fd);
        s->src.fd = -1;
    }
    if (s->src.fd < 0)
        s->src.fd = fcntl(first->src.fd, F_DUPFD_CLOEXEC, 0);
    if (s->src.fd < 0) {
        rc = ds_error_set(err, DS_ERR_IO, "%s: %s", first->name, strerror(errno));
        goto fail;
    }
    posix_fadvise(s->src.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    s->src.own_fd = true;
    s->src.positioned = true;
    s->src.pos = offset;
    s->cap = WINDOW_SIZE;
    s->buf = malloc(s->cap);
    if (s->buf == NULL) {
        rc = ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", first->name);
        goto fail;
    }
    s->win = s->buf;
    s->win_off = offset;
    *out = s;
    return DS_OK;
fail:
    ds_stream_free(s);
    return rc;
}

ds_status ds_stream_open_mem(ds_stream **out, const void *data, size_t len, const char *name,
                             ds_error *err)
{
    *out = NULL;
    ds_stream *s = stream_new(name);
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", name);
    s->src.next = data;
    s->src.avail = len;
    s->src.eof = true;
    ds_status rc = stream_start(s, err);
    if (rc != DS_OK) {
        ds_stream_free(s);
        return rc;
    }
    *out = s;
    return DS_OK;
}

static void set_pending(ds_stream *s, ds_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_pending(ds_stream *s, ds_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->pending_msg, sizeof(s->pending_msg), fmt, ap);
    va_end(ap);
    s->pending = status;
    s->state = IN_ERROR;
}

static void take_result(ds_stream *s, dec_result res, const char *why, uint64_t at);

/* fill - append up to len decompressed bytes at out; returns how many; updates s->state. */
static size_t fill(ds_stream *s, uint8_t *out, size_t len)
{
    ds_src *src = &s->src;
    if (s->dec == NULL) {
        /* Uncompressed file: first what the sniffing read, then read() into the window. */
        if (src->avail > 0) {
            size_t n = src->avail < len ? src->avail : len;
            memcpy(out, src->next, n);
            src_consume(src, n);
            return n;
        }
        for (;;) {
            ssize_t got = src->positioned ? pread(src->fd, out, len, (off_t)src->pos)
                                          : read(src->fd, out, len);
            if (got > 0) {
                src->pos += (uint64_t)got;
                return (size_t)got;
            }
            if (got == 0) {
                s->state = IN_END;
                return 0;
            }
            if (errno != EINTR) {
                set_pending(s, DS_ERR_IO, "%s: byte %llu: %s", s->name,
                            (unsigned long long)(s->win_off + s->win_len), strerror(errno));
                return 0;
            }
        }
    }
    size_t got = 0;
    char why[WHY_MAX] = "";
    dec_result res;
    if (s->ring != NULL)
        got = ring_read(s, out, len, &res, why);
    else
        res = s->dec->read(s->dec_state, src, out, len, &got, why);
    take_result(s, res, why, s->win_off + s->win_len + got);
    return got;
}

/*
 * take_result - what the decompressor said after the bytes up to decompressed offset at: more
 * to come, the end (clean or truncated), or an error, which becomes pending.
 */
static void take_result(ds_stream *s, dec_result res, const char *why, uint64_t at)
{
    switch (res) {
    case DEC_OK:
        break;
    case DEC_END:
        s->state = IN_END;
        break;
    case DEC_TRUNCATED:
        s->truncated = true;
        s->state = IN_END;
        break;
    case DEC_ERROR:
        set_pending(s, DS_ERR_FORMAT, "%s: %s: decompressed byte %llu: %s", s->name, s->dec->name,
                    (unsigned long long)at, why);
        break;
    case DEC_IO:
        set_pending(s, DS_ERR_IO, "%s: %s: decompressed byte %llu: %s", s->name, s->dec->name,
                    (unsigned long long)at, strerror(s->src.read_errno));
        break;
    }
}

/*
 * borrow - with the window empty, make it the rest of the ring's head chunk, where the thread
 * put it (no copy). The chunk stays the consumer's until give_back().
 */
static void borrow(ds_stream *s)
{
    ring *r = s->ring;
    ring_chunk *c = ring_wait_head(r);
    s->win = c->data + r->pos;
    s->win_len = c->len - r->pos;
    r->pos = c->len;
    s->borrowed = true;
    if (c->res != DEC_OK)
        s->src.read_errno = c->read_errno;
    take_result(s, c->res, c->why, s->win_off + s->win_len);
}

/*
 * give_back - the window's unread bytes of a borrowed chunk (less than a chunk: the start of a
 * record that goes on in the next chunk, or the input's last bytes) move into the window
 * buffer, and the chunk goes back to the thread (the last one stays).
 */
static void give_back(ds_stream *s)
{
    memmove(s->buf, s->win, s->win_len);
    s->win = s->buf;
    s->borrowed = false;
    char why[WHY_MAX];
    chunk_end(s, &s->ring->chunk[s->ring->head], why);
}

ds_status ds_stream_need(ds_stream *s, size_t want, const uint8_t **data, size_t *avail,
                         ds_error *err)
{
    if (want > DS_STREAM_MAX_NEED)
        want = DS_STREAM_MAX_NEED;
    if (s->borrowed && s->win_len < want)
        give_back(s);
    while (s->win_len < want && s->state == IN_MORE) {
        if (s->ring != NULL && s->win_len == 0) {
            /* Zero copy: the records are parsed in the ring's chunk itself. */
            borrow(s);
            if (s->win_len >= want)
                break;
            give_back(s);
            /* Defensive: the thread never hands over an empty chunk that is not the last. */
            if (s->win_len == 0 && s->state == IN_MORE)
                set_pending(s, DS_ERR_FORMAT, "%s: %s: decompressed byte %llu: no progress",
                            s->name, s->dec->name, (unsigned long long)s->win_off);
            continue;
        }
        if (s->win != s->buf) {
            memmove(s->buf, s->win, s->win_len);
            s->win = s->buf;
        }
        size_t room = s->cap - s->win_len;
        size_t ask = want - s->win_len;
        /* From the ring only what completes the record that runs into the next chunk: the
           records after it are parsed in the chunk (borrow). */
        if (ask < WINDOW_CHUNK && s->ring == NULL)
            ask = WINDOW_CHUNK;
        if (ask > room)
            ask = room;
        size_t got = fill(s, s->buf + s->win_len, ask);
        s->win_len += got;
        if (got == 0 && s->state == IN_MORE)
            set_pending(s, DS_ERR_FORMAT, "%s: %s: decompressed byte %llu: no progress", s->name,
                        s->dec ? s->dec->name : "read",
                        (unsigned long long)(s->win_off + s->win_len));
    }
    *data = s->win;
    *avail = s->win_len;
    if (s->win_len < want && s->state == IN_ERROR) {
        if (err != NULL) {
            err->status = s->pending;
            memcpy(err->msg, s->pending_msg, sizeof(err->msg));
        }
        return s->pending;
    }
    return DS_OK;
}

void ds_stream_consume(ds_stream *s, size_t n)
{
    if (n > s->win_len)
        n = s->win_len;
    s->win += n;
    s->win_len -= n;
    s->win_off += n;
}

ds_status ds_stream_skip(ds_stream *s, uint64_t n, uint64_t *skipped, ds_error *err)
{
    uint64_t done = 0;
    ds_status rc = DS_OK;
    while (done < n) {
        if (s->win_len == 0) {
            const uint8_t *p;
            size_t avail;
            rc = ds_stream_need(s, 1, &p, &avail, err);
            if (rc != DS_OK || avail == 0)
                break;
        }
        uint64_t k = n - done < s->win_len ? n - done : s->win_len;
        ds_stream_consume(s, (size_t)k);
        done += k;
    }
    *skipped = done;
    return rc;
}

bool ds_stream_can_open_at(const ds_stream *s)
{
    struct stat st;
    return s->dec == NULL && s->src.fd >= 0 && fstat(s->src.fd, &st) == 0 && S_ISREG(st.st_mode);
}

uint64_t ds_stream_offset(const ds_stream *s)
{
    return s->win_off;
}

bool ds_stream_truncated(const ds_stream *s)
{
    return s->truncated;
}

ds_compression ds_stream_compression(const ds_stream *s)
{
    return s->dec ? s->dec->id : DS_COMP_NONE;
}

const char *ds_stream_name(const ds_stream *s)
{
    return s->name;
}

void ds_stream_free(ds_stream *s)
{
    if (s == NULL)
        return;
    ring_free(s->ring); /* before the decompressor it uses */
    if (s->dec != NULL && s->dec_state != NULL)
        s->dec->close(s->dec_state);
    if (s->src.own_fd && s->src.fd >= 0)
        close(s->src.fd);
    free(s->src.buf);
    free(s->buf);
    free(s->name);
    free(s);
}
