/*
 * pcap.c - the classic libpcap file format (pcap-savefile(5)), both byte orders, micro- and
 * nanosecond timestamps, plus two historical variants libpcap still reads:
 *
 *  - versions before 2.3 (and DG/UX's 543.0) store each record's captured and original
 *    lengths the other way round; 2.3 files may do either, so they are swapped back when the
 *    captured length is the larger (libpcap's sf-pcap.c does the same);
 *  - Alexey Kuznetzov's "modified" format (magic 0xa1b2cd34), whose record header has 8 more
 *    bytes (interface index, protocol, packet type).
 *
 * Records are parsed in place in the stream's window; the batch loop is specialised for the
 * common cases so that per record it is a few loads, the decoder call and the time bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"
#include "capture/format.h"

#define PCAP_MAGIC_US  0xa1b2c3d4u
#define PCAP_MAGIC_NS  0xa1b23c4du
#define PCAP_MAGIC_KUZ 0xa1b2cd34u
#define PCAP_FILE_HDR  24u
#define PCAP_REC_HDR   16u
#define PCAP_KUZ_HDR   24u

typedef enum len_order {
    LENS_NORMAL,  /* caplen, then wire length */
    LENS_SWAPPED, /* wire length, then caplen (before 2.3, DG/UX) */
    LENS_MAYBE,   /* 2.3: swapped when caplen > wire length */
} len_order;

typedef struct pcap_state {
    ds_format_ctx *ctx;
    bool big;  /* the file is big-endian */
    bool nsec; /* nanosecond timestamps */
    len_order lens;
    uint32_t rec_hdr; /* record header size: 16, or 24 for Kuznetzov's format */
    uint32_t linktype;
    uint32_t snaplen; /* from the file header */
    uint32_t max_len; /* the largest caplen accepted */
    size_t want;      /* bytes the next need() asks for */
    bool done;
} pcap_state;

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

static bool pcap_probe(const uint8_t *p, size_t n)
{
    if (n < 4)
        return false;
    uint32_t le = rd32(p, false), be = rd32(p, true);
    return le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS || le == PCAP_MAGIC_KUZ ||
           be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS || be == PCAP_MAGIC_KUZ;
}

/* note_file - a reader of the file starts (at its header or at a boundary inside it): its
   link type and time resolution go into the reader's stats. */
static void note_file(const pcap_state *s, ds_format_ctx *ctx)
{
    ds_format_add_linktype(ctx->stats, s->linktype);
    if (ctx->ts_digits < (s->nsec ? 9 : 6))
        ctx->ts_digits = s->nsec ? 9 : 6;
}

static ds_status pcap_open(void **out, ds_format_ctx *ctx, ds_error *err)
{
    *out = NULL;
    const char *name = ds_stream_name(ctx->in);
    const uint8_t *p;
    size_t avail;
    ds_status rc = ds_stream_need(ctx->in, PCAP_FILE_HDR, &p, &avail, err);
    if (rc != DS_OK)
        return rc;
    if (avail < PCAP_FILE_HDR)
        return ds_error_set(err, DS_ERR_FORMAT, "%s: pcap file header cut short (%zu of 24 bytes)",
                            name, avail);
    bool big = rd32(p, false) != PCAP_MAGIC_US && rd32(p, false) != PCAP_MAGIC_NS &&
               rd32(p, false) != PCAP_MAGIC_KUZ;
    uint32_t magic = rd32(p, big);
    uint16_t major = rd16(p + 4, big), minor = rd16(p + 6, big);
    len_order lens;
    if (major == 2 && minor <= 4)
        lens = minor < 3 ? LENS_SWAPPED : minor == 3 ? LENS_MAYBE : LENS_NORMAL;
    else if (major == 543 && minor == 0)
        lens = LENS_SWAPPED;
    else
        return ds_error_set(err, DS_ERR_FORMAT, "%s: unsupported pcap version %u.%u", name, major,
                            minor);

    /* Link type field: type in the low 16 bits, 10 reserved bits that must be zero, then the
     * FCS flag and length (pcap-savefile(5), LINKTYPE_ and LT_ macros of libpcap). */
    uint32_t ltfield = rd32(p + 20, big);
    if (ltfield & 0x03ff0000u)
        return ds_error_set(err, DS_ERR_FORMAT,
                            "%s: pcap file header: reserved link type bits set (0x%08x)", name,
                            ltfield);

    pcap_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", name);
    s->ctx = ctx;
    s->big = big;
    s->nsec = magic == PCAP_MAGIC_NS;
    s->lens = lens;
    s->rec_hdr = magic == PCAP_MAGIC_KUZ ? PCAP_KUZ_HDR : PCAP_REC_HDR;
    s->linktype = ltfield & 0xffffu;
    s->snaplen = rd32(p + 16, big);
    /* A snapshot length of 0 or beyond the record limit means "no limit but ours". Kuznetzov's
     * cooked-mode captures add a 14-byte fake Ethernet header beyond the snapshot length. */
    uint64_t max_len = s->snaplen;
    if (magic == PCAP_MAGIC_KUZ && s->linktype == 1)
        max_len += 14;
    s->max_len = max_len == 0 || max_len > DS_MAX_RECORD ? DS_MAX_RECORD : (uint32_t)max_len;
    s->want = s->rec_hdr;
    ds_stream_consume(ctx->in, PCAP_FILE_HDR);
    note_file(s, ctx);
    *out = s;
    return DS_OK;
}

static ds_status too_long(pcap_state *s, uint64_t offset, uint32_t caplen, ds_error *err)
{
    const char *name = ds_stream_name(s->ctx->in);
    if (s->max_len < DS_MAX_RECORD || caplen <= DS_MAX_RECORD)
        return ds_error_set(err, DS_ERR_FORMAT,
                            "%s: byte %llu: record length %u exceeds the snapshot length %u", name,
                            (unsigned long long)offset, caplen, s->max_len);
    return ds_error_set(err, DS_ERR_FORMAT, "%s: byte %llu: record length %u exceeds %u", name,
                        (unsigned long long)offset, caplen, DS_MAX_RECORD);
}

/*
 * pcap_batch - the record loop. big, nsec and quirks are constants at each call site below, so
 * the compiler makes one specialised copy per case; quirks covers the length-order variants
 * and Kuznetzov's longer header.
 */
static inline __attribute__((always_inline)) ds_status
pcap_batch(pcap_state *s, ds_packet *pkts, size_t max, size_t *n_out, ds_error *err, const bool big,
           const bool nsec, const bool quirks)
{
    ds_stream *in = s->ctx->in;
    ds_capture_stats *st = s->ctx->stats;
    const uint32_t hdr = quirks ? s->rec_hdr : PCAP_REC_HDR;
    const uint32_t linktype = s->linktype, max_len = s->max_len;
    const uint32_t file_index = s->ctx->file_index;
    const int64_t frac_ns = nsec ? 1 : 1000;
    uint64_t records = 0;
    int64_t first = st->first_ts_ns, last = st->last_ts_ns;
    const uint64_t limit = s->ctx->limit;
    size_t n = 0;
    ds_status rc = DS_OK;

    while (n < max) {
        const uint8_t *p;
        size_t avail;
        uint64_t at = ds_stream_offset(in);
        if (at >= limit) {
            s->ctx->at_limit = true;
            break;
        }
        /* Records that start before the limit are this reader's. */
        size_t lim = limit - at > SIZE_MAX ? SIZE_MAX : (size_t)(limit - at);
        rc = ds_stream_need(in, s->want, &p, &avail, err);
        if (rc != DS_OK)
            break;
        if (avail < s->want) {
            /* The input ended: cleanly between records, or inside one. */
            if (avail > 0)
                st->truncated = true;
            ds_stream_consume(in, avail);
            s->done = true;
            break;
        }
        size_t pos = 0;
        s->want = hdr;
        while (n < max && avail - pos >= hdr && pos < lim) {
            const uint8_t *h = p + pos;
            uint32_t caplen = rd32(h + 8, big);
            if (quirks && s->lens != LENS_NORMAL) {
                uint32_t wirelen = rd32(h + 12, big);
                if (s->lens == LENS_SWAPPED || caplen > wirelen)
                    caplen = wirelen;
            }
            if (__builtin_expect(caplen > max_len, 0)) {
                ds_stream_consume(in, pos);
                rc = too_long(s, ds_stream_offset(in), caplen, err);
                s->done = true;
                goto out;
            }
            if (avail - pos - hdr < caplen) {
                s->want = hdr + caplen;
                break;
            }
            int64_t ts = (int64_t)rd32(h, big) * 1000000000 + (int64_t)rd32(h + 4, big) * frac_ns;
            records++;
            if (ts < first)
                first = ts;
            if (ts > last)
                last = ts;
            ds_packet *pk = &pkts[n];
            if (ds_decode_record(linktype, h + hdr, caplen, pk, st)) {
                pk->ts_ns = ts;
                pk->file_index = file_index;
                n++;
            }
            pos += hdr + caplen;
        }
        ds_stream_consume(in, pos);
    }
out:
    st->records += records;
    st->first_ts_ns = first;
    st->last_ts_ns = last;
    *n_out = n;
    return rc;
}

static ds_status pcap_next(void *state, ds_packet *pkts, size_t max, size_t *n, ds_error *err)
{
    pcap_state *s = state;
    *n = 0;
    if (s->done)
        return DS_OK;
    if (s->lens != LENS_NORMAL || s->rec_hdr != PCAP_REC_HDR)
        return pcap_batch(s, pkts, max, n, err, s->big, s->nsec, true);
    if (s->big)
        return s->nsec ? pcap_batch(s, pkts, max, n, err, true, true, false)
                       : pcap_batch(s, pkts, max, n, err, true, false, false);
    return s->nsec ? pcap_batch(s, pkts, max, n, err, false, true, false)
                   : pcap_batch(s, pkts, max, n, err, false, false, false);
}

static void pcap_free(void *state)
{
    free(state);
}

/* ---- parallel reading: finding a record boundary ---- */

/* A boundary is taken when this many record headers in a row fit (or the chain ends exactly
   at the end of the file), within this many bytes of the offset asked for. */
#define SYNC_CHAIN  8
#define SYNC_SEARCH (256u * 1024u)

/*
 * sync_header - whether h could be a record header of this file: the captured length within
 * the snapshot length and at most the wire length, a wire length from 1 to DS_MAX_RECORD, the
 * fraction of a second below one second. Stricter than reading (which looks at the captured
 * length only), so that a boundary is rarely guessed where there is none.
 */
static bool sync_header(const pcap_state *f, const uint8_t *h, uint32_t *caplen)
{
    uint32_t frac = rd32(h + 4, f->big), cap = rd32(h + 8, f->big), wire = rd32(h + 12, f->big);
    *caplen = cap;
    return cap <= f->max_len && cap <= wire && wire >= 1 && wire <= DS_MAX_RECORD &&
           frac < (f->nsec ? 1000000000u : 1000000u);
}

/* sync_chain - whether SYNC_CHAIN headers follow one another from p[c] (or end at the file's
   end, which is at p[avail] when at_end): 1 yes, 0 no, -1 when more bytes are needed. */
static int sync_chain(const void *state, const uint8_t *p, size_t avail, size_t c, bool at_end)
{
    const pcap_state *f = state;
    size_t pos = c;
    for (int k = 0; k < SYNC_CHAIN; k++) {
        if (pos == avail && at_end)
            return k > 0;
        uint32_t caplen;
        if (avail - pos < PCAP_REC_HDR)
            return at_end ? 0 : -1;
        if (!sync_header(f, p + pos, &caplen))
            return 0;
        if (avail - pos - PCAP_REC_HDR < caplen)
            return at_end ? 0 : -1;
        pos += PCAP_REC_HDR + caplen;
    }
    return 1;
}

static ds_status pcap_split(const void *first, void **out, ds_format_ctx *ctx, ds_error *err)
{
    const pcap_state *f = first;
    *out = NULL;
    if (f->lens != LENS_NORMAL || f->rec_hdr != PCAP_REC_HDR)
        return DS_OK; /* the length-order variants are read by one reader */
    size_t c;
    ds_status rc = ds_format_find_boundary(ctx, sync_chain, f, 0, 1, SYNC_SEARCH, &c, err);
    if (rc != DS_OK || c == SIZE_MAX)
        return rc; /* an error, or no boundary close enough */
    pcap_state *s = malloc(sizeof(*s));
    if (s == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", ds_stream_name(ctx->in));
    *s = *f;
    s->ctx = ctx;
    s->want = s->rec_hdr;
    s->done = false;
    ds_stream_consume(ctx->in, c);
    note_file(s, ctx);
    *out = s;
    return DS_OK;
}

const ds_format_reader ds_pcap_format = {
    "pcap", DS_FORMAT_PCAP, pcap_probe, pcap_open, pcap_next, pcap_free, pcap_split,
};
