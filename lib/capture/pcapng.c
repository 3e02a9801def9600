/*
 * pcapng.c - the pcapng format (draft-ietf-opsawg-pcapng): sections in either byte order (each
 * Section Header Block sets its own), several interfaces per section with their own link
 * types, snapshot lengths, if_tsresol (powers of 10 and of 2) and if_tsoffset; Enhanced
 * Packet Blocks, Simple Packet Blocks (interface 0's snapshot length, no timestamp) and the
 * obsolete Packet Block. Every other block (name resolution, statistics, custom, unknown) is
 * skipped without being buffered.
 *
 * Enhanced Packet Blocks inside the stream's window are parsed in place in a tight loop; other
 * blocks go through block(), which may ask the stream for a whole block or skip it.
 *
 * An uncompressed file can be read in byte ranges (split.h): a reader opened at an offset takes
 * the file's leading section and interfaces (those before its first packet block, read again
 * from the start) and begins at the first place after the offset where a chain of blocks fits
 * that section (ng_split); a reader that meets a section header or an interface description
 * after its first packet block sets ctx->changed, so that the reader after it is not confirmed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"
#include "capture/format.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 1u
#define BT_PB  2u /* obsolete Packet Block */
#define BT_SPB 3u
#define BT_EPB 6u

#define BOM 0x1a2b3c4du

/* The largest packet block: a record of DS_MAX_RECORD bytes plus 64 KiB of options. */
#define MAX_PACKET_BLOCK (DS_MAX_RECORD + 32u + 65536u)
/* The largest section header or interface description (their options are read). */
#define MAX_HEADER_BLOCK (1024u * 1024u)
/* Interfaces per section. */
#define MAX_INTERFACES 65536u

/* block()'s results besides DS_OK and errors. */
#define BLOCK_CUT 1 /* the input ends inside the block: the file is truncated */
#define BLOCK_EOF 2 /* the input ends before the block: a clean end */

#define OPT_ENDOFOPT    0
#define OPT_IF_TSRESOL  9
#define OPT_IF_TSOFFSET 14

typedef enum ts_kind {
    TS_MUL,   /* ns = ts * factor (resolution 10^-n, n <= 9) */
    TS_DIV,   /* ns = ts / factor (10^-n, n > 9) */
    TS_SHIFT, /* ns = ts * 10^9 >> shift (2^-n) */
} ts_kind;

typedef struct ng_iface {
    uint32_t linktype;
    uint32_t snaplen; /* 0: none */
    uint32_t max_len; /* the largest caplen accepted */
    ts_kind kind;
    uint64_t factor;   /* TS_MUL, TS_DIV */
    unsigned shift;    /* TS_SHIFT */
    int64_t offset_ns; /* if_tsoffset */
} ng_iface;

typedef struct ng_state {
    ds_format_ctx *ctx;
    bool big; /* the current section is big-endian */
    ng_iface *ifaces;
    uint32_t n_ifaces, cap_ifaces;
    int64_t last_ts;  /* time of the latest timestamped packet: Simple Packet Blocks get it */
    bool seen_packet; /* a packet block was read (a section or interface after it: changed) */
    bool done;
} ng_state;

static inline uint32_t rd32(const uint8_t *p, bool big)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return big ? __builtin_bswap32(v) : v;
#else
    return big ? v : __builtin_bswap32(v);
#endif
}

static inline uint16_t rd16(const uint8_t *p, bool big)
{
    return big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint64_t rd64(const uint8_t *p, bool big)
{
    uint64_t hi = rd32(p, big), lo = rd32(p + 4, big);
    return big ? hi << 32 | lo : lo << 32 | hi;
}

static bool ng_probe(const uint8_t *p, size_t n)
{
    return n >= 4 && rd32(p, false) == BT_SHB;
}

static int64_t clamp128(__int128 v)
{
    if (v > INT64_MAX)
        return INT64_MAX;
    if (v < INT64_MIN)
        return INT64_MIN;
    return (int64_t)v;
}

/* to_ns - an interface's timestamp in nanoseconds since the epoch, exactly (clamped). */
static inline int64_t to_ns(const ng_iface *i, uint64_t ts)
{
    __int128 ns;
    if (i->kind == TS_MUL) {
        uint64_t v;
        if (!__builtin_mul_overflow(ts, i->factor, &v) && v <= INT64_MAX && i->offset_ns == 0)
            return (int64_t)v;
        ns = (__int128)ts * i->factor;
    } else if (i->kind == TS_DIV) {
        ns = i->factor ? (__int128)(ts / i->factor) : 0;
    } else {
        ns = (__int128)(((unsigned __int128)ts * 1000000000u) >> i->shift);
    }
    return clamp128(ns + i->offset_ns);
}

static ds_status fail(ng_state *s, ds_status status, uint64_t offset, const char *what,
                      ds_error *err)
{
    s->done = true;
    return ds_error_set(err, status, "%s: byte %llu: %s", ds_stream_name(s->ctx->in),
                        (unsigned long long)offset, what);
}

/* check_options - walk the options in p[0..len); calls on_opt for each. -1 when malformed. */
static int walk_options(const uint8_t *p, size_t len, bool big, ng_iface *iface)
{
    size_t pos = 0;
    while (len - pos >= 4) {
        uint16_t code = rd16(p + pos, big), olen = rd16(p + pos + 2, big);
        pos += 4;
        if (code == OPT_ENDOFOPT)
            return 0;
        size_t padded = ((size_t)olen + 3) & ~(size_t)3;
        if (padded > len - pos)
            return -1;
        if (iface != NULL && code == OPT_IF_TSRESOL && olen >= 1) {
            uint8_t v = p[pos];
            unsigned n = v & 0x7fu;
            if (v & 0x80u) {
                iface->kind = TS_SHIFT;
                iface->shift = n;
            } else if (n <= 9) {
                iface->kind = TS_MUL;
                iface->factor = 1;
                for (unsigned k = n; k < 9; k++)
                    iface->factor *= 10;
            } else {
                iface->kind = TS_DIV;
                iface->factor = 1;
                for (unsigned k = 9; k < n && iface->factor != 0; k++)
                    iface->factor = iface->factor > UINT64_MAX / 10 ? 0 : iface->factor * 10;
            }
        } else if (iface != NULL && code == OPT_IF_TSOFFSET && olen >= 8) {
            int64_t sec = (int64_t)rd64(p + pos, big);
            __int128 off = (__int128)sec * 1000000000;
            iface->offset_ns = clamp128(off);
        }
        pos += padded;
    }
    return 0;
}

/* ts_digits - decimal digits needed to show a resolution (capped at 9, nanoseconds). */
static int iface_digits(const ng_iface *i)
{
    if (i->kind == TS_MUL) {
        int d = 9;
        for (uint64_t f = i->factor; f >= 10; f /= 10)
            d--;
        return d;
    }
    if (i->kind == TS_DIV)
        return 9;
    /* 2^-shift: the smallest d with 10^d >= 2^shift. */
    int d = 0;
    uint64_t p10 = 1;
    while (d < 9 && (i->shift >= 64 || p10 < (1ull << i->shift))) {
        p10 *= 10;
        d++;
    }
    return d;
}

/*
 * read_shb - the Section Header Block at the window's start (its first 12 bytes are there).
 * Sets the byte order, checks the version and forgets the previous section's interfaces.
 * Returns DS_OK, BLOCK_CUT when the input ends inside the block, or an error.
 */
static int read_shb(ng_state *s, ds_error *err)
{
    ds_stream *in = s->ctx->in;
    uint64_t off = ds_stream_offset(in);
    const uint8_t *p;
    size_t avail;
    ds_status rc = ds_stream_need(in, 12, &p, &avail, err);
    if (rc != DS_OK)
        return rc;
    if (avail < 12)
        return BLOCK_CUT;
    bool big;
    if (rd32(p + 8, false) == BOM)
        big = false;
    else if (rd32(p + 8, true) == BOM)
        big = true;
    else
        return fail(s, DS_ERR_FORMAT, off, "section header: bad byte-order magic", err);
    uint32_t blen = rd32(p + 4, big);
    if (blen < 28 || blen % 4 != 0 || blen > MAX_HEADER_BLOCK) {
        char why[96];
        snprintf(why, sizeof(why), "section header: invalid block length %u", blen);
        return fail(s, DS_ERR_FORMAT, off, why, err);
    }
    rc = ds_stream_need(in, blen, &p, &avail, err);
    if (rc != DS_OK)
        return rc;
    if (avail < blen)
        return BLOCK_CUT;
    if (rd32(p + blen - 4, big) != blen)
        return fail(s, DS_ERR_FORMAT, off, "section header: block lengths at start and end differ",
                    err);
    uint16_t major = rd16(p + 12, big), minor = rd16(p + 14, big);
    /* 1.2 was written by some early implementations; libpcap reads it as 1.0. */
    if (major != 1 || (minor != 0 && minor != 2)) {
        char why[96];
        snprintf(why, sizeof(why), "unsupported pcapng version %u.%u", major, minor);
        return fail(s, DS_ERR_FORMAT, off, why, err);
    }
    if (walk_options(p + 24, blen - 28, big, NULL) < 0)
        return fail(s, DS_ERR_FORMAT, off, "section header: option runs past the block", err);
    s->big = big;
    s->n_ifaces = 0;
    if (s->seen_packet)
        s->ctx->changed = true;
    ds_stream_consume(in, blen);
    return DS_OK;
}

/* read_idb - an Interface Description Block of blen bytes at p. */
static ds_status read_idb(ng_state *s, const uint8_t *p, uint32_t blen, uint64_t off, ds_error *err)
{
    if (blen < 20)
        return fail(s, DS_ERR_FORMAT, off, "interface description: block too short", err);
    if (s->n_ifaces == MAX_INTERFACES)
        return fail(s, DS_ERR_LIMIT, off, "more than 65536 interfaces in one section", err);
    if (s->n_ifaces == s->cap_ifaces) {
        uint32_t cap = s->cap_ifaces ? s->cap_ifaces * 2 : 4;
        ng_iface *grown = realloc(s->ifaces, cap * sizeof(*grown));
        if (grown == NULL)
            return fail(s, DS_ERR_NOMEM, off, "out of memory", err);
        s->ifaces = grown;
        s->cap_ifaces = cap;
    }
    ng_iface *i = &s->ifaces[s->n_ifaces];
    memset(i, 0, sizeof(*i));
    i->linktype = rd16(p + 8, s->big);
    i->snaplen = rd32(p + 12, s->big);
    i->max_len = i->snaplen == 0 || i->snaplen > DS_MAX_RECORD ? DS_MAX_RECORD : i->snaplen;
    i->kind = TS_MUL;
    i->factor = 1000; /* default resolution: microseconds */
    if (walk_options(p + 16, blen - 20, s->big, i) < 0)
        return fail(s, DS_ERR_FORMAT, off, "interface description: option runs past the block",
                    err);
    s->n_ifaces++;
    if (s->seen_packet)
        s->ctx->changed = true;
    ds_format_add_linktype(s->ctx->stats, i->linktype);
    int d = iface_digits(i);
    if (d > s->ctx->ts_digits)
        s->ctx->ts_digits = d;
    return DS_OK;
}

static ds_status bad_caplen(ng_state *s, uint64_t off, uint32_t caplen, const ng_iface *i,
                            ds_error *err)
{
    char why[128];
    if (caplen > DS_MAX_RECORD)
        snprintf(why, sizeof(why), "record length %u exceeds %u", caplen, DS_MAX_RECORD);
    else
        snprintf(why, sizeof(why), "record length %u exceeds the snapshot length %u", caplen,
                 i->snaplen);
    return fail(s, DS_ERR_FORMAT, off, why, err);
}

static ds_status no_iface(ng_state *s, uint64_t off, uint32_t id, ds_error *err)
{
    char why[128];
    snprintf(why, sizeof(why), "packet on interface %u, but the section describes %u", id,
             s->n_ifaces);
    return fail(s, DS_ERR_FORMAT, off, why, err);
}

static ds_status block_overrun(ng_state *s, uint64_t off, uint32_t caplen, uint32_t blen,
                               ds_error *err)
{
    char why[128];
    snprintf(why, sizeof(why), "record length %u does not fit in block length %u", caplen, blen);
    return fail(s, DS_ERR_FORMAT, off, why, err);
}

/* One decoded record: counters, times, and a packet when it is IPv4. */
static inline void emit(ng_state *s, const ng_iface *i, const uint8_t *data, uint32_t caplen,
                        int64_t ts, bool timed, ds_packet *pkts, size_t *n)
{
    ds_capture_stats *st = s->ctx->stats;
    st->records++;
    if (timed) {
        if (ts < st->first_ts_ns)
            st->first_ts_ns = ts;
        if (ts > st->last_ts_ns)
            st->last_ts_ns = ts;
        s->last_ts = ts;
    }
    ds_packet *pk = &pkts[*n];
    if (ds_decode_record(i->linktype, data, caplen, pk, st)) {
        pk->ts_ns = ts;
        pk->file_index = s->ctx->file_index;
        (*n)++;
    }
}

/*
 * packet_block - an EPB, SPB or PB of blen bytes, all in memory at p. Returns DS_OK or an error
 * (the file cannot be read further).
 */
static inline ds_status packet_block(ng_state *s, uint32_t type, const uint8_t *p, uint32_t blen,
                                     uint64_t off, ds_packet *pkts, size_t *n, ds_error *err)
{
    const bool big = s->big;
    s->seen_packet = true;
    if (type == BT_SPB) {
        if (blen < 16)
            return fail(s, DS_ERR_FORMAT, off, "simple packet block too short", err);
        if (s->n_ifaces == 0)
            return no_iface(s, off, 0, err);
        const ng_iface *i = &s->ifaces[0];
        uint32_t wirelen = rd32(p + 8, big);
        uint32_t caplen = blen - 16;
        if (wirelen < caplen)
            caplen = wirelen;
        if (i->snaplen != 0 && caplen > i->snaplen)
            caplen = i->snaplen;
        if (caplen > DS_MAX_RECORD)
            return bad_caplen(s, off, caplen, i, err);
        emit(s, i, p + 12, caplen, s->last_ts, false, pkts, n);
        return DS_OK;
    }
    /* EPB and the obsolete PB share the layout from byte 8 on (PB: 16-bit interface id). */
    if (blen < 32)
        return fail(s, DS_ERR_FORMAT, off, "packet block too short", err);
    uint32_t id = type == BT_EPB ? rd32(p + 8, big) : rd16(p + 8, big);
    if (id >= s->n_ifaces)
        return no_iface(s, off, id, err);
    const ng_iface *i = &s->ifaces[id];
    uint32_t caplen = rd32(p + 20, big);
    if (caplen > i->max_len)
        return bad_caplen(s, off, caplen, i, err);
    if (caplen > blen - 32)
        return block_overrun(s, off, caplen, blen, err);
    uint64_t ts = (uint64_t)rd32(p + 12, big) << 32 | rd32(p + 16, big);
    emit(s, i, p + 28, caplen, to_ns(i, ts), true, pkts, n);
    return DS_OK;
}

/*
 * block - the block at the start of the window, whatever it is. Returns DS_OK, BLOCK_CUT,
 * BLOCK_EOF or an error.
 */
static int block(ng_state *s, ds_packet *pkts, size_t *n, ds_error *err)
{
    ds_stream *in = s->ctx->in;
    uint64_t off = ds_stream_offset(in);
    const uint8_t *p;
    size_t avail;
    ds_status rc = ds_stream_need(in, 8, &p, &avail, err);
    if (rc != DS_OK)
        return rc;
    if (avail == 0)
        return BLOCK_EOF;
    if (avail < 8)
        return BLOCK_CUT;
    uint32_t type = rd32(p, s->big);
    if (type == BT_SHB)
        return read_shb(s, err);
    uint32_t blen = rd32(p + 4, s->big);
    if (blen < 12 || blen % 4 != 0) {
        char why[64];
        snprintf(why, sizeof(why), "invalid block length %u", blen);
        return fail(s, DS_ERR_FORMAT, off, why, err);
    }
    bool packet = type == BT_EPB || type == BT_SPB || type == BT_PB;
    if (!packet && type != BT_IDB) {
        uint64_t skipped;
        rc = ds_stream_skip(in, blen, &skipped, err);
        if (rc != DS_OK)
            return rc;
        return skipped < blen ? BLOCK_CUT : DS_OK;
    }
    uint32_t limit = packet ? MAX_PACKET_BLOCK : MAX_HEADER_BLOCK;
    if (blen > limit) {
        char why[96];
        snprintf(why, sizeof(why), "block length %u exceeds %u", blen, limit);
        return fail(s, DS_ERR_FORMAT, off, why, err);
    }
    rc = ds_stream_need(in, blen, &p, &avail, err);
    if (rc != DS_OK)
        return rc;
    if (avail < blen)
        return BLOCK_CUT;
    if (rd32(p + blen - 4, s->big) != blen)
        return fail(s, DS_ERR_FORMAT, off, "block lengths at start and end differ", err);
    rc =
        packet ? packet_block(s, type, p, blen, off, pkts, n, err) : read_idb(s, p, blen, off, err);
    if (rc == DS_OK)
        ds_stream_consume(in, blen);
    return rc;
}

static ds_status ng_open(void **out, ds_format_ctx *ctx, ds_error *err)
{
    *out = NULL;
    ng_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", ds_stream_name(ctx->in));
    s->ctx = ctx;
    int rc = read_shb(s, err);
    if (rc == BLOCK_CUT)
        rc = ds_error_set(err, DS_ERR_FORMAT, "%s: pcapng section header cut short",
                          ds_stream_name(ctx->in));
    if (rc != DS_OK) {
        free(s);
        return rc;
    }
    s->done = false;
    *out = s;
    return DS_OK;
}

/*
 * fast_epbs - parse the Enhanced Packet Blocks that lie whole in the window, in place, until
 * another kind of block, a block cut by the window's end, or a full batch.
 */
static ds_status fast_epbs(ng_state *s, ds_packet *pkts, size_t max, size_t *n, ds_error *err)
{
    ds_stream *in = s->ctx->in;
    const uint8_t *p;
    size_t avail;
    ds_status rc = ds_stream_need(in, 32, &p, &avail, err);
    if (rc != DS_OK)
        return rc;
    const bool big = s->big;
    /* Blocks that start before the limit are this reader's. */
    uint64_t at = ds_stream_offset(in), limit = s->ctx->limit;
    size_t lim = limit - at > SIZE_MAX ? SIZE_MAX : (size_t)(limit - at);
    size_t pos = 0;
    while (*n < max && avail - pos >= 32 && pos < lim) {
        const uint8_t *b = p + pos;
        uint32_t blen = rd32(b + 4, big);
        if (rd32(b, big) != BT_EPB || blen < 32 || blen % 4 != 0 || blen > avail - pos ||
            blen > MAX_PACKET_BLOCK || rd32(b + blen - 4, big) != blen)
            break;
        rc = packet_block(s, BT_EPB, b, blen, ds_stream_offset(in) + pos, pkts, n, err);
        if (rc != DS_OK)
            break;
        pos += blen;
    }
    ds_stream_consume(in, pos);
    return rc;
}

static ds_status ng_next(void *state, ds_packet *pkts, size_t max, size_t *n, ds_error *err)
{
    ng_state *s = state;
    *n = 0;
    while (!s->done && *n < max) {
        if (ds_stream_offset(s->ctx->in) >= s->ctx->limit) {
            s->ctx->at_limit = true;
            break;
        }
        ds_status rc = fast_epbs(s, pkts, max, n, err);
        if (rc != DS_OK)
            return rc;
        if (*n >= max)
            break;
        if (ds_stream_offset(s->ctx->in) >= s->ctx->limit) {
            s->ctx->at_limit = true;
            break;
        }
        int r = block(s, pkts, n, err);
        if (r == BLOCK_CUT || r == BLOCK_EOF) {
            if (r == BLOCK_CUT)
                s->ctx->stats->truncated = true;
            const uint8_t *p;
            size_t avail;
            ds_stream_need(s->ctx->in, 1, &p, &avail, NULL);
            ds_stream_consume(s->ctx->in, avail);
            s->done = true;
        } else if (r != DS_OK) {
            s->done = true;
            return r;
        }
    }
    return DS_OK;
}

static void ng_free(void *state)
{
    ng_state *s = state;
    if (s != NULL)
        free(s->ifaces);
    free(s);
}

/* ---- parallel reading: the leading section, and finding a block boundary ---- */

/* A boundary is taken when this many blocks in a row fit (or the chain ends exactly at the end
   of the file), within this many bytes of the offset asked for. */
#define SYNC_CHAIN  8
#define SYNC_SEARCH (256u * 1024u)
/* The leading blocks read for the section's interfaces: at most this many. */
#define HEAD_BLOCKS 4096u

/*
 * read_head - from the start of s's stream, the section header and every block up to the first
 * packet block: the leading section's byte order and interfaces. False when there is no packet
 * block among the first HEAD_BLOCKS, no interface, or anything a reader would fail on.
 */
static bool read_head(ng_state *s)
{
    ds_error err;
    ds_stream *in = s->ctx->in;
    if (read_shb(s, &err) != DS_OK)
        return false;
    for (unsigned k = 0; k < HEAD_BLOCKS; k++) {
        const uint8_t *p;
        size_t avail;
        if (ds_stream_need(in, 8, &p, &avail, &err) != DS_OK || avail < 8)
            return false;
        uint32_t type = rd32(p, s->big);
        if (type == BT_EPB || type == BT_SPB || type == BT_PB)
            return s->n_ifaces > 0;
        if (block(s, NULL, NULL, &err) != DS_OK)
            return false;
    }
    return false;
}

/* sync_block - whether the blen bytes at b could be a block of s's section that a reader takes
   as it is (packet blocks as packet_block() would, statistics, name resolution, decryption
   secrets and custom blocks); never a section header or interface description. */
static bool sync_block(const ng_state *s, uint32_t type, const uint8_t *b, uint32_t blen)
{
    const bool big = s->big;
    if (type == BT_EPB || type == BT_PB) {
        if (blen < 32)
            return false;
        uint32_t id = type == BT_EPB ? rd32(b + 8, big) : rd16(b + 8, big);
        if (id >= s->n_ifaces)
            return false;
        uint32_t caplen = rd32(b + 20, big), wirelen = rd32(b + 24, big);
        return caplen <= s->ifaces[id].max_len && caplen <= blen - 32 && caplen <= wirelen;
    }
    if (type == BT_SPB)
        return blen >= 16 && blen <= MAX_PACKET_BLOCK && s->n_ifaces > 0;
    return type == 4u || type == 5u || type == 10u || type == 0x00000badu || type == 0x40000badu;
}

/* sync_chain - whether SYNC_CHAIN blocks follow one another from p[c], the first a packet
   block with a timestamp (or end at the file's end, at p[avail] when at_end): 1 yes, 0 no, -1
   when more bytes are needed. */
static int sync_chain(const void *state, const uint8_t *p, size_t avail, size_t c, bool at_end)
{
    const ng_state *s = state;
    size_t pos = c;
    for (int k = 0; k < SYNC_CHAIN; k++) {
        if (pos == avail && at_end)
            return k > 0;
        if (avail - pos < 8)
            return at_end ? 0 : -1;
        uint32_t type = rd32(p + pos, s->big), blen = rd32(p + pos + 4, s->big);
        if (blen < 12 || blen % 4 != 0 || blen > DS_STREAM_MAX_NEED ||
            (k == 0 && type != BT_EPB && type != BT_PB))
            return 0;
        if (avail - pos < blen)
            return at_end ? 0 : -1;
        if (rd32(p + pos + blen - 4, s->big) != blen || !sync_block(s, type, p + pos, blen))
            return 0;
        pos += blen;
    }
    return 1;
}

static ds_status ng_split(const void *first, void **out, ds_format_ctx *ctx, ds_error *err)
{
    const ng_state *f = first;
    *out = NULL;
    ng_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", ds_stream_name(ctx->in));
    /* The leading section, read again from the file's start by a stream of its own: only the
       first reader's descriptor is used, never its state (which may not have reached its
       first packet block, and which a caller may be advancing). */
    ds_stream *head = NULL;
    ds_capture_stats scratch = {0};
    ds_format_ctx hctx = {.stats = &scratch, .limit = UINT64_MAX};
    bool have_head = ds_stream_open_at(&head, f->ctx->in, 0, err) == DS_OK;
    if (have_head) {
        hctx.in = head;
        s->ctx = &hctx;
        have_head = read_head(s);
    }
    ds_stream_free(head);
    s->ctx = ctx;
    s->done = false;
    s->seen_packet = false;
    if (!have_head) {
        ng_free(s);
        return DS_OK; /* read by one reader */
    }
    if (hctx.ts_digits > ctx->ts_digits)
        ctx->ts_digits = hctx.ts_digits; /* read_idb's, as the first reader has them */
    /* Blocks start at multiples of 4 from the file's start. */
    uint64_t base = ds_stream_offset(ctx->in);
    size_t c;
    ds_status rc = ds_format_find_boundary(ctx, sync_chain, s, (size_t)((4 - base % 4) % 4), 4,
                                           SYNC_SEARCH, &c, err);
    if (rc != DS_OK || c == SIZE_MAX) {
        ng_free(s);
        return rc; /* an error, or no boundary close enough: read by one reader */
    }
    ds_stream_consume(ctx->in, c);
    *out = s;
    return DS_OK;
}

const ds_format_reader ds_pcapng_format = {
    "pcapng", DS_FORMAT_PCAPNG, ng_probe, ng_open, ng_next, ng_free, ng_split,
};
