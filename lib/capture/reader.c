/*
 * reader.c - ds_reader: a capture file from bytes to decoded packets (see capture.h).
 *
 * stream.c delivers the decompressed bytes, the format registry below picks the reader for
 * them from their first bytes, and that reader decodes records in batches with
 * ds_decode_record(). This file wires the three together, keeps the byte counter and turns a
 * failure in the middle of a batch into "these packets now, the error on the next call".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/format.h"
#include "capture/split.h"
#include "capture/stream.h"

/* Every capture format, probed in this order. */
static const ds_format_reader *const formats[] = {
    &ds_pcap_format,
    &ds_pcapng_format,
};

/* format_of - the format whose magic the first n bytes carry, or NULL. */
static const ds_format_reader *format_of(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i]->probe(p, n))
            return formats[i];
    return NULL;
}

bool ds_format_magic(const uint8_t *p, size_t n)
{
    return format_of(p, n) != NULL;
}

void ds_format_starts(const uint8_t *p, size_t n, char hex[9])
{
    hex[0] = '\0';
    for (size_t i = 0; i < n && i < 4; i++)
        snprintf(hex + 2 * i, 9 - 2 * i, "%02x", p[i]);
}

struct ds_reader {
    ds_format_ctx ctx;
    const ds_format_reader *fmt;
    void *fmt_state;
    ds_capture_stats stats;
    uint64_t start; /* the offset reading began at (0, or a ds_reader_open_at boundary) */
    bool ended;
    ds_error failure; /* status != DS_OK: every further next() returns it */
};

ds_status ds_format_find_boundary(ds_format_ctx *ctx,
                                  int (*chain)(const void *state, const uint8_t *p, size_t avail,
                                               size_t c, bool at_end),
                                  const void *state, size_t first, size_t step, size_t search,
                                  size_t *at, ds_error *err)
{
    *at = SIZE_MAX;
    size_t want = 64u * 1024u, c = first;
    for (;;) {
        const uint8_t *p;
        size_t avail;
        ds_status rc = ds_stream_need(ctx->in, want, &p, &avail, err);
        if (rc != DS_OK)
            return rc;
        bool at_end = avail < want;
        int found = 0;
        for (; c < search && c < avail; c += step) {
            found = chain(state, p, avail, c, at_end);
            if (found > 0)
                break;
            if (found < 0) {
                if (want < DS_STREAM_MAX_NEED)
                    break;
                found = 0; /* longer than the largest window: not here */
            }
        }
        if (found < 0) {
            want *= 2; /* the chain needs more bytes: look at the same place again */
            continue;
        }
        if (found == 0) {
            if (c < search && !at_end && want < DS_STREAM_MAX_NEED) {
                want *= 2;
                continue;
            }
            return DS_OK; /* no boundary close enough */
        }
        *at = c;
        return DS_OK;
    }
}

void ds_format_add_linktype(ds_capture_stats *stats, uint32_t linktype)
{
    for (uint32_t i = 0; i < stats->n_linktypes; i++) {
        if (stats->linktypes[i] == linktype)
            return;
    }
    if (stats->n_linktypes < DS_MAX_LINKTYPES)
        stats->linktypes[stats->n_linktypes++] = linktype;
}

/* reader_start - detect the format of an opened stream and read the file header. */
static ds_status reader_start(ds_reader *r, ds_error *err)
{
    const char *name = ds_stream_name(r->ctx.in);
    const uint8_t *p;
    size_t avail;
    ds_status rc = ds_stream_need(r->ctx.in, 4, &p, &avail, err);
    if (rc != DS_OK)
        return rc;
    if (avail == 0) {
        if (ds_stream_compression(r->ctx.in) != DS_COMP_NONE)
            return ds_error_set(err, DS_ERR_FORMAT, "%s: %s data that decompresses to nothing",
                                name, ds_compression_name(ds_stream_compression(r->ctx.in)));
        return ds_error_set(err, DS_ERR_FORMAT, "%s: empty file, not a capture", name);
    }
    r->fmt = format_of(p, avail);
    if (r->fmt == NULL) {
        char magic[9];
        ds_format_starts(p, avail, magic);
        ds_compression c = ds_stream_compression(r->ctx.in);
        return ds_error_set(err, DS_ERR_FORMAT, "%s: %s%snot a pcap or pcapng capture (starts %s)",
                            name, c == DS_COMP_NONE ? "" : ds_compression_name(c),
                            c == DS_COMP_NONE ? "" : " data, but ", magic);
    }
    return r->fmt->open(&r->fmt_state, &r->ctx, err);
}

static ds_reader *reader_new(uint32_t file_index)
{
    ds_reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->ctx.stats = &r->stats;
    r->ctx.file_index = file_index;
    r->ctx.limit = UINT64_MAX;
    r->stats.first_ts_ns = INT64_MAX;
    r->stats.last_ts_ns = INT64_MIN;
    return r;
}

static ds_status reader_finish_open(ds_reader **out, ds_reader *r, ds_status rc)
{
    if (rc != DS_OK) {
        ds_reader_free(r);
        return rc;
    }
    r->stats.bytes = ds_stream_offset(r->ctx.in);
    *out = r;
    return DS_OK;
}

ds_status ds_reader_open(ds_reader **out, const char *path, uint32_t file_index, ds_error *err)
{
    *out = NULL;
    ds_reader *r = reader_new(file_index);
    if (r == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", path);
    ds_status rc = ds_stream_open(&r->ctx.in, path, err);
    if (rc == DS_OK)
        rc = reader_start(r, err);
    return reader_finish_open(out, r, rc);
}

ds_status ds_reader_open_mem(ds_reader **out, const void *data, size_t len, const char *name,
                             uint32_t file_index, ds_error *err)
{
    *out = NULL;
    ds_reader *r = reader_new(file_index);
    if (r == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", name);
    ds_status rc = ds_stream_open_mem(&r->ctx.in, data, len, name, err);
    if (rc == DS_OK)
        rc = reader_start(r, err);
    return reader_finish_open(out, r, rc);
}

static ds_status report_failure(const ds_reader *r, ds_error *err)
{
    if (err != NULL)
        *err = r->failure;
    return r->failure.status;
}

ds_status ds_reader_next(ds_reader *r, ds_packet *pkts, size_t max, size_t *n, ds_error *err)
{
    *n = 0;
    if (r->failure.status != DS_OK)
        return report_failure(r, err);
    if (max == 0)
        return ds_error_set(err, DS_ERR_INVALID, "%s: ds_reader_next: max is 0",
                            ds_stream_name(r->ctx.in));
    if (r->ended)
        return DS_OK;
    size_t got = 0;
    ds_status rc = r->fmt->next(r->fmt_state, pkts, max, &got, &r->failure);
    r->stats.bytes = ds_stream_offset(r->ctx.in) - r->start;
    if (ds_stream_truncated(r->ctx.in))
        r->stats.truncated = true;
    if (rc != DS_OK) {
        r->failure.status = rc;
        if (got > 0) {
            *n = got;
            return DS_OK; /* the packets before the damage first; the error next time */
        }
        return report_failure(r, err);
    }
    ds_error_clear(&r->failure);
    if (got == 0 && !r->ctx.at_limit)
        r->ended = true;
    *n = got;
    return DS_OK;
}

bool ds_reader_can_split(const ds_reader *r)
{
    return r->fmt != NULL && r->fmt->split != NULL && ds_stream_can_open_at(r->ctx.in);
}

ds_status ds_reader_open_at(ds_reader **out, const ds_reader *first, uint64_t offset, ds_error *err)
{
    *out = NULL;
    if (!ds_reader_can_split(first))
        return ds_error_set(err, DS_ERR_INVALID, "%s: cannot be read from an offset",
                            ds_reader_name(first));
    ds_reader *r = reader_new(first->ctx.file_index);
    if (r == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", ds_reader_name(first));
    r->fmt = first->fmt;
    ds_status rc = ds_stream_open_at(&r->ctx.in, first->ctx.in, offset, err);
    if (rc == DS_OK)
        rc = r->fmt->split(first->fmt_state, &r->fmt_state, &r->ctx, err);
    if (rc != DS_OK || r->fmt_state == NULL) {
        ds_reader_free(r);
        return rc;
    }
    r->start = ds_stream_offset(r->ctx.in);
    *out = r;
    return DS_OK;
}

bool ds_reader_keeps_state(const ds_reader *r)
{
    return !r->ctx.changed;
}

void ds_reader_set_limit(ds_reader *r, uint64_t limit)
{
    r->ctx.limit = limit;
    r->ctx.at_limit = false;
}

bool ds_reader_at_limit(const ds_reader *r, uint64_t *offset)
{
    *offset = ds_stream_offset(r->ctx.in);
    return r->ctx.at_limit && r->failure.status == DS_OK;
}

uint64_t ds_reader_offset(const ds_reader *r)
{
    return ds_stream_offset(r->ctx.in);
}

void ds_capture_stats_add(ds_capture_stats *into, const ds_capture_stats *from)
{
    into->records += from->records;
    into->ipv4 += from->ipv4;
    into->ipv6 += from->ipv6;
    into->non_ip += from->non_ip;
    into->unknown_linktype += from->unknown_linktype;
    into->short_records += from->short_records;
    into->bad_ip += from->bad_ip;
    into->tcp += from->tcp;
    into->udp += from->udp;
    into->icmp += from->icmp;
    into->other_proto += from->other_proto;
    into->fragments += from->fragments;
    into->syn += from->syn;
    into->bytes += from->bytes;
    if (from->first_ts_ns < into->first_ts_ns)
        into->first_ts_ns = from->first_ts_ns;
    if (from->last_ts_ns > into->last_ts_ns)
        into->last_ts_ns = from->last_ts_ns;
    into->truncated = into->truncated || from->truncated;
    for (uint32_t i = 0; i < from->n_linktypes; i++)
        ds_format_add_linktype(into, from->linktypes[i]);
}

const ds_capture_stats *ds_reader_stats(const ds_reader *r)
{
    return &r->stats;
}

ds_format ds_reader_format(const ds_reader *r)
{
    return r->fmt ? r->fmt->id : DS_FORMAT_UNKNOWN;
}

ds_compression ds_reader_compression(const ds_reader *r)
{
    return ds_stream_compression(r->ctx.in);
}

int ds_reader_time_digits(const ds_reader *r)
{
    return r->ctx.ts_digits;
}

const char *ds_reader_name(const ds_reader *r)
{
    return ds_stream_name(r->ctx.in);
}

void ds_reader_free(ds_reader *r)
{
    if (r == NULL)
        return;
    if (r->fmt != NULL && r->fmt_state != NULL)
        r->fmt->free_state(r->fmt_state);
    ds_stream_free(r->ctx.in);
    free(r);
}

const char *ds_format_name(ds_format f)
{
    switch (f) {
    case DS_FORMAT_PCAP:
        return "pcap";
    case DS_FORMAT_PCAPNG:
        return "pcapng";
    case DS_FORMAT_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *ds_compression_name(ds_compression c)
{
    switch (c) {
    case DS_COMP_NONE:
        return "none";
    case DS_COMP_GZIP:
        return "gzip";
    case DS_COMP_BZIP2:
        return "bzip2";
    case DS_COMP_XZ:
        return "xz";
    case DS_COMP_ZSTD:
        return "zstd";
    case DS_COMP_LZ4:
        return "lz4";
    }
    return "unknown";
}
