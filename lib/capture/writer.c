/*
 * writer.c - writing captures: pcap (micro- or nanosecond, either byte order) and pcapng
 * (one section, one interface, Enhanced Packet Blocks, either byte order), plain or through a
 * compressor (compress.c). The simulator writes tens of millions of packets with it, so
 * records are assembled in a large buffer that goes to the file or compressor in one call.
 * docs/FORMATS.md ("Writing") describes the files it produces.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/compress.h"
#include "darkscan/capture.h"

#define WBUF_SIZE (1024u * 1024u)

/* Header sizes: pcap record header; pcapng EPB without data and padding. */
#define PCAP_REC_HDR 16u
#define EPB_OVERHEAD 32u

struct ds_writer {
    ds_writer_options opt;
    char *path;
    FILE *file;
    int is_stdout;
    const ds_compressor *comp;
    void *comp_state;
    ds_status status; /* the first error; sticky */
    ds_error first_err;
    uint8_t *buf;
    size_t len;
};

static const char *path_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdout>" : path;
}

/* fail - remember the first error (with the file name) and copy it to err. */
static ds_status fail(ds_writer *w, ds_error *err, ds_status status)
{
    if (w->status == DS_OK) {
        w->status = status;
        ds_error_prefix(&w->first_err, "%s", path_name(w->path));
    }
    if (err != NULL)
        *err = w->first_err;
    return w->status;
}

/* ---- byte order ---------------------------------------------------------------------- */

static inline void put16(const ds_writer *w, uint8_t *p, uint32_t v)
{
    uint16_t x = w->opt.big_endian ? htobe16((uint16_t)v) : htole16((uint16_t)v);
    memcpy(p, &x, sizeof(x));
}

static inline void put32(const ds_writer *w, uint8_t *p, uint32_t v)
{
    uint32_t x = w->opt.big_endian ? htobe32(v) : htole32(v);
    memcpy(p, &x, sizeof(x));
}

/* ---- output -------------------------------------------------------------------------- */

/* emit - send bytes to the compressor or the file. */
static ds_status emit(ds_writer *w, const void *data, size_t len)
{
    if (len == 0)
        return DS_OK;
    if (w->comp != NULL)
        return w->comp->write(w->comp_state, data, len, &w->first_err);
    if (fwrite(data, 1, len, w->file) != len)
        return ds_error_set(&w->first_err, DS_ERR_IO, "write: %s", strerror(errno ? errno : EIO));
    return DS_OK;
}

static ds_status flush_buf(ds_writer *w)
{
    ds_status st = emit(w, w->buf, w->len);
    w->len = 0;
    return st;
}

/* ---- file headers -------------------------------------------------------------------- */

static size_t pcap_file_header(const ds_writer *w, uint8_t *b)
{
    put32(w, b, w->opt.nanosecond ? 0xa1b23c4du : 0xa1b2c3d4u);
    put16(w, b + 4, 2);
    put16(w, b + 6, 4);
    put32(w, b + 8, 0);  /* thiszone */
    put32(w, b + 12, 0); /* sigfigs */
    put32(w, b + 16, DS_MAX_RECORD);
    put32(w, b + 20, w->opt.linktype);
    return 24;
}

/* pcapng_headers - a Section Header Block and one Interface Description Block. */
static size_t pcapng_headers(const ds_writer *w, uint8_t *b)
{
    static const char app[] = "darkscan"; /* shb_userappl, 8 bytes: no padding */
    size_t o = 0;
    /* SHB: type, length, byte-order magic, version 1.0, section length unknown, options. */
    uint32_t shb_len = 24 + 12 + 4 + 4;
    put32(w, b, 0x0a0d0d0au);
    put32(w, b + 4, shb_len);
    put32(w, b + 8, 0x1a2b3c4du);
    put16(w, b + 12, 1);
    put16(w, b + 14, 0);
    memset(b + 16, 0xff, 8);
    o = 24;
    put16(w, b + o, 4); /* shb_userappl */
    put16(w, b + o + 2, sizeof(app) - 1);
    memcpy(b + o + 4, app, sizeof(app) - 1);
    o += 4 + 8;
    put16(w, b + o, 0); /* opt_endofopt */
    put16(w, b + o + 2, 0);
    o += 4;
    put32(w, b + o, shb_len);
    o += 4;

    /* IDB: link type, reserved, snaplen, if_tsresol, end of options. */
    uint32_t idb_len = 16 + 8 + 4 + 4;
    put32(w, b + o, 1);
    put32(w, b + o + 4, idb_len);
    put16(w, b + o + 8, w->opt.linktype);
    put16(w, b + o + 10, 0);
    put32(w, b + o + 12, DS_MAX_RECORD);
    o += 16;
    put16(w, b + o, 9); /* if_tsresol: 10^-6 or 10^-9 */
    put16(w, b + o + 2, 1);
    b[o + 4] = w->opt.nanosecond ? 9 : 6;
    b[o + 5] = b[o + 6] = b[o + 7] = 0;
    o += 8;
    put16(w, b + o, 0);
    put16(w, b + o + 2, 0);
    o += 4;
    put32(w, b + o, idb_len);
    o += 4;
    return o;
}

/* ---- API ----------------------------------------------------------------------------- */

bool ds_compression_levels(ds_compression c, int *min, int *max)
{
    const ds_compressor *comp = c == DS_COMP_NONE ? NULL : ds_compressor_find(c);
    if (comp == NULL)
        return false;
    *min = comp->min_level;
    *max = comp->max_level;
    return true;
}

ds_status ds_writer_open(ds_writer **out, const char *path, const ds_writer_options *opt,
                         ds_error *err)
{
    *out = NULL;
    if (opt->format != DS_FORMAT_PCAP && opt->format != DS_FORMAT_PCAPNG)
        return ds_error_set(err, DS_ERR_INVALID, "%s: unknown capture format %d", path_name(path),
                            (int)opt->format);
    const ds_compressor *comp = NULL;
    if (opt->compression != DS_COMP_NONE) {
        comp = ds_compressor_find(opt->compression);
        if (comp == NULL)
            return ds_error_set(err, DS_ERR_INVALID, "%s: unknown compression %d", path_name(path),
                                (int)opt->compression);
        if (opt->level != 0 && (opt->level < comp->min_level || opt->level > comp->max_level))
            return ds_error_set(err, DS_ERR_INVALID, "%s: %s compression level %d is not in %d..%d",
                                path_name(path), comp->name, opt->level, comp->min_level,
                                comp->max_level);
    } else if (opt->level != 0) {
        return ds_error_set(err, DS_ERR_INVALID, "%s: a compression level without compression",
                            path_name(path));
    }
    if (opt->format == DS_FORMAT_PCAPNG && opt->linktype > 0xffff)
        return ds_error_set(err, DS_ERR_INVALID, "%s: link type %u does not fit pcapng",
                            path_name(path), opt->linktype);

    ds_writer *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path_name(path));
    ds_error_clear(&w->first_err);
    w->opt = *opt;
    w->comp = comp;
    w->path = strdup(path);
    w->buf = malloc(WBUF_SIZE);
    ds_status st = DS_OK;
    if (w->path == NULL || w->buf == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path_name(path));
        goto fail;
    }
    if (strcmp(path, "-") == 0) {
        w->file = stdout;
        w->is_stdout = 1;
    } else {
        w->file = fopen(path, "wb");
        if (w->file == NULL) {
            st = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
            goto fail;
        }
    }
    if (comp != NULL) {
        st = comp->open(&w->comp_state, w->file, opt->level, err);
        if (st != DS_OK) {
            ds_error_prefix(err, "%s", path_name(path));
            goto fail;
        }
    }
    w->len =
        opt->format == DS_FORMAT_PCAP ? pcap_file_header(w, w->buf) : pcapng_headers(w, w->buf);
    *out = w;
    return DS_OK;

fail:
    if (w->comp != NULL)
        w->comp->free(w->comp_state);
    if (w->file != NULL && !w->is_stdout)
        fclose(w->file);
    free(w->buf);
    free(w->path);
    free(w);
    return st;
}

ds_status ds_writer_write(ds_writer *w, int64_t ts_ns, const void *data, uint32_t caplen,
                          uint32_t wirelen, ds_error *err)
{
    if (w->status != DS_OK)
        return fail(w, err, w->status);
    if (caplen > DS_MAX_RECORD || wirelen < caplen)
        return ds_error_set(err, DS_ERR_INVALID,
                            "%s: record of %u captured bytes and %u on the wire cannot be written",
                            path_name(w->path), caplen, wirelen);
    if (ts_ns < 0)
        return ds_error_set(err, DS_ERR_INVALID, "%s: time %lld ns is before 1970",
                            path_name(w->path), (long long)ts_ns);

    size_t pad = 0, need;
    if (w->opt.format == DS_FORMAT_PCAP) {
        if (ts_ns / 1000000000 > (int64_t)UINT32_MAX)
            return ds_error_set(err, DS_ERR_INVALID, "%s: time %lld ns is past 2106 (pcap)",
                                path_name(w->path), (long long)ts_ns);
        need = PCAP_REC_HDR + caplen;
    } else {
        pad = (4u - (caplen & 3u)) & 3u;
        need = EPB_OVERHEAD + caplen + pad;
    }
    if (w->len + need > WBUF_SIZE) {
        ds_status st = flush_buf(w);
        if (st != DS_OK)
            return fail(w, err, st);
    }

    uint8_t *b = w->buf + w->len;
    if (w->opt.format == DS_FORMAT_PCAP) {
        uint64_t sec = (uint64_t)ts_ns / 1000000000u;
        uint64_t frac = (uint64_t)ts_ns % 1000000000u;
        put32(w, b, (uint32_t)sec);
        put32(w, b + 4, (uint32_t)(w->opt.nanosecond ? frac : frac / 1000u));
        put32(w, b + 8, caplen);
        put32(w, b + 12, wirelen);
        memcpy(b + PCAP_REC_HDR, data, caplen);
    } else {
        uint64_t ts = w->opt.nanosecond ? (uint64_t)ts_ns : (uint64_t)ts_ns / 1000u;
        uint32_t blen = (uint32_t)need;
        put32(w, b, 6);
        put32(w, b + 4, blen);
        put32(w, b + 8, 0); /* interface id */
        put32(w, b + 12, (uint32_t)(ts >> 32));
        put32(w, b + 16, (uint32_t)ts);
        put32(w, b + 20, caplen);
        put32(w, b + 24, wirelen);
        memcpy(b + 28, data, caplen);
        memset(b + 28 + caplen, 0, pad);
        put32(w, b + 28 + caplen + pad, blen);
    }
    w->len += need;
    return DS_OK;
}

ds_status ds_writer_write_packet(ds_writer *w, const ds_packet *p, ds_error *err)
{
    uint8_t frame[128];
    size_t n = ds_packet_encode(p, w->opt.linktype, frame, sizeof(frame));
    if (n == 0)
        return ds_error_set(err, DS_ERR_UNSUPPORTED, "%s: cannot encode packets for link type %u",
                            path_name(w->path), w->opt.linktype);
    return ds_writer_write(w, p->ts_ns, frame, (uint32_t)n, (uint32_t)n, err);
}

ds_status ds_writer_close(ds_writer *w, ds_error *err)
{
    if (w == NULL)
        return DS_OK;
    ds_status st = w->status;
    if (st == DS_OK) {
        st = flush_buf(w);
        if (st == DS_OK && w->comp != NULL)
            st = w->comp->finish(w->comp_state, &w->first_err);
        if (st == DS_OK && fflush(w->file) != 0)
            st = ds_error_set(&w->first_err, DS_ERR_IO, "write: %s", strerror(errno));
        if (st != DS_OK)
            fail(w, NULL, st);
    }
    if (!w->is_stdout && fclose(w->file) != 0 && w->status == DS_OK) {
        ds_error_set(&w->first_err, DS_ERR_IO, "close: %s", strerror(errno));
        fail(w, NULL, DS_ERR_IO);
    }
    st = w->status;
    if (st != DS_OK && err != NULL)
        *err = w->first_err;
    if (w->comp != NULL)
        w->comp->free(w->comp_state);
    free(w->buf);
    free(w->path);
    free(w);
    return st;
}
