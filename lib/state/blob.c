/*
 * blob.c - tuple and counters blobs (see blob.h; the layout is in docs/STATE.md, "Blobs").
 *
 * Frame:  'D' 'S' KIND VERSION COMPRESSION  varint(payload length)  u32le(CRC-32 of payload)
 *         then the payload, as is (COMPRESSION 0) or as one zstd frame (COMPRESSION 1).
 *
 * Tuple keys of a window come in long runs of consecutive values (a scanner that reaches every
 * address of a sensor on a port gives |sensor| consecutive keys), so the payload is the runs:
 * a column of gaps then a column of lengths, LEB128 varints; zstd then squeezes the length
 * column, mostly zeros for sparse windows. Host counters are columns too (host deltas, SYN
 * packets, then each fingerprint count), which compress far better than rows.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "state/blob.h"
#include "util/sha256.h"

#define KIND_TUPLES   'T'
#define KIND_COUNTERS 'C'
#define VERSION       1
#define COMP_NONE     0
#define COMP_ZSTD     1
#define HEADER_MAX    (5 + 10 + 4)
/* The most a zstd frame can expand: a 128 KiB block stored as a 4-byte RLE block. */
#define ZSTD_MAX_RATIO 32768u

#define FLAG_SCALARS 1u

void ds_blob_free(ds_blob *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static bool reserve(ds_blob *b, size_t more)
{
    if (b->cap - b->len >= more)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    uint8_t *grown = realloc(b->data, cap);
    if (grown == NULL)
        return false;
    b->data = grown;
    b->cap = cap;
    return true;
}

/* put_varint - LEB128; the caller reserved 10 bytes. */
static void put_varint(ds_blob *b, uint64_t v)
{
    while (v >= 0x80) {
        b->data[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->data[b->len++] = (uint8_t)v;
}

static void put_u64le(ds_blob *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b->data[b->len++] = (uint8_t)(v >> (8 * i));
}

/* ---- reading ---- */

typedef struct rd {
    const uint8_t *p, *end;
    bool bad;
} rd;

static uint64_t get_varint(rd *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->bad = true;
            return 0;
        }
        uint8_t byte = *r->p++;
        if (shift == 63 && byte > 1) {
            r->bad = true; /* more than 64 bits */
            return 0;
        }
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static uint64_t get_u64le(rd *r)
{
    if (r->end - r->p < 8) {
        r->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    return v;
}

/* ---- the frame ---- */

/* frame - wrap payload (raw) into out: compressed when level > 0 and it pays. */
static ds_status frame(char kind, const ds_blob *payload, int level, ds_blob *out, ds_error *err)
{
    out->len = 0;
    size_t bound = level > 0 ? ZSTD_compressBound(payload->len) : 0;
    size_t need = HEADER_MAX + (bound > payload->len ? bound : payload->len);
    if (!reserve(out, need))
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    out->data[0] = 'D';
    out->data[1] = 'S';
    out->data[2] = (uint8_t)kind;
    out->data[3] = VERSION;
    out->data[4] = COMP_NONE;
    out->len = 5;
    put_varint(out, payload->len);
    uint32_t crc = (uint32_t)crc32(0L, payload->data, (uInt)0);
    for (size_t done = 0; done < payload->len;) {
        size_t n = payload->len - done > (1u << 30) ? (1u << 30) : payload->len - done;
        crc = (uint32_t)crc32(crc, payload->data + done, (uInt)n);
        done += n;
    }
    for (int i = 0; i < 4; i++)
        out->data[out->len++] = (uint8_t)(crc >> (8 * i));
    if (level > 0) {
        size_t z = ZSTD_compress(out->data + out->len, out->cap - out->len, payload->data,
                                 payload->len, level);
        if (ZSTD_isError(z))
            return ds_error_set(err, DS_ERR_NOMEM, "zstd: %s", ZSTD_getErrorName(z));
        if (z < payload->len) {
            out->data[4] = COMP_ZSTD;
            out->len += z;
            return DS_OK;
        }
    }
    if (payload->len > 0)
        memcpy(out->data + out->len, payload->data, payload->len);
    out->len += payload->len;
    return DS_OK;
}

/* unframe - check the frame and give the payload: *owned is malloc'd when decompressed. */
static ds_status unframe(char kind, const uint8_t *data, size_t len, const uint8_t **payload,
                         size_t *payload_len, uint8_t **owned, ds_error *err)
{
    *owned = NULL;
    const char *what = kind == KIND_TUPLES ? "tuple blob" : "counters blob";
    if (len < 5 || data[0] != 'D' || data[1] != 'S')
        return ds_error_set(err, DS_ERR_FORMAT, "%s: not a darkscan blob (bad magic)", what);
    if (data[2] != (uint8_t)kind)
        return ds_error_set(err, DS_ERR_FORMAT, "%s: the blob holds kind '%c', not '%c'", what,
                            data[2] >= 0x20 && data[2] < 0x7f ? data[2] : '?', kind);
    if (data[3] != VERSION)
        return ds_error_set(err, data[3] > VERSION ? DS_ERR_UNSUPPORTED : DS_ERR_FORMAT,
                            "%s: encoding version %u (this darkscan reads version %u)", what,
                            data[3], VERSION);
    rd r = {data + 5, data + len, false};
    uint64_t plen = get_varint(&r);
    if (r.bad || r.end - r.p < 4)
        return ds_error_set(err, DS_ERR_FORMAT, "%s: the header is cut short", what);
    uint32_t crc_want =
        (uint32_t)r.p[0] | (uint32_t)r.p[1] << 8 | (uint32_t)r.p[2] << 16 | (uint32_t)r.p[3] << 24;
    r.p += 4;
    size_t body = (size_t)(r.end - r.p);
    if (plen > DS_BLOB_MAX_PAYLOAD)
        return ds_error_set(err, DS_ERR_FORMAT, "%s: payload of %llu bytes is over the limit", what,
                            (unsigned long long)plen);
    if (data[4] == COMP_NONE) {
        if (plen != body)
            return ds_error_set(err, DS_ERR_FORMAT,
                                "%s: payload length %llu but %zu bytes follow the header", what,
                                (unsigned long long)plen, body);
        *payload = r.p;
    } else if (data[4] == COMP_ZSTD) {
        if (plen > (uint64_t)body * ZSTD_MAX_RATIO)
            return ds_error_set(err, DS_ERR_FORMAT,
                                "%s: payload length %llu is impossible for %zu compressed bytes",
                                what, (unsigned long long)plen, body);
        unsigned long long fcs = ZSTD_getFrameContentSize(r.p, body);
        size_t fsize = ZSTD_findFrameCompressedSize(r.p, body);
        if (fcs != plen || ZSTD_isError(fsize) || fsize != body)
            return ds_error_set(err, DS_ERR_FORMAT,
                                "%s: the zstd frame is damaged or does not match the header", what);
        uint8_t *buf = malloc(plen ? (size_t)plen : 1);
        if (buf == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        size_t got = ZSTD_decompress(buf, (size_t)plen, r.p, body);
        if (ZSTD_isError(got) || got != plen) {
            free(buf);
            return ds_error_set(err, DS_ERR_FORMAT, "%s: zstd: %s", what,
                                ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short output");
        }
        *owned = buf;
        *payload = buf;
    } else {
        return ds_error_set(err, DS_ERR_FORMAT, "%s: unknown compression %u", what, data[4]);
    }
    uint32_t crc = (uint32_t)crc32(0L, *payload, (uInt)0);
    for (size_t done = 0; done < plen;) {
        size_t n = plen - done > (1u << 30) ? (1u << 30) : (size_t)plen - done;
        crc = (uint32_t)crc32(crc, *payload + done, (uInt)n);
        done += n;
    }
    if (crc != crc_want) {
        free(*owned);
        *owned = NULL;
        return ds_error_set(err, DS_ERR_FORMAT, "%s: checksum mismatch (the blob is damaged)",
                            what);
    }
    *payload_len = (size_t)plen;
    return DS_OK;
}

/* ---- tuples ---- */

ds_status ds_blob_encode_tuples(const uint64_t *keys, size_t n, int level, ds_blob *out,
                                uint8_t digest[32], ds_error *err)
{
    if (n > DS_BLOB_CHUNK)
        return ds_error_set(err, DS_ERR_LIMIT, "tuple blob: %zu keys (at most %zu)", n,
                            DS_BLOB_CHUNK);
    size_t n_runs = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && keys[i] <= keys[i - 1])
            return ds_error_set(err, DS_ERR_INVALID, "tuple blob: keys not sorted and distinct");
        if (i == 0 || keys[i] != keys[i - 1] + 1)
            n_runs++;
    }
    ds_blob payload = {0};
    ds_status st = DS_OK;
    if (!reserve(&payload, 20 + 20 * n_runs)) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    put_varint(&payload, n);
    put_varint(&payload, n_runs);
    /* gaps: the first run's start, then start - (previous end + 2) */
    uint64_t prev_end = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && keys[i] == keys[i - 1] + 1)
            continue;
        put_varint(&payload, i == 0 ? keys[0] : keys[i] - prev_end - 2);
        size_t j = i;
        while (j + 1 < n && keys[j + 1] == keys[j] + 1)
            j++;
        prev_end = keys[j];
    }
    /* lengths - 1 */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && keys[j + 1] == keys[j] + 1)
            j++;
        put_varint(&payload, j - i);
        i = j + 1;
    }
    if (digest != NULL)
        ds_sha256_buf(payload.data, payload.len, digest);
    st = frame(KIND_TUPLES, &payload, level, out, err);
out:
    ds_blob_free(&payload);
    return st;
}

ds_status ds_blob_decode_tuples(const uint8_t *data, size_t len, uint64_t **keys, size_t *n,
                                ds_error *err)
{
    *keys = NULL;
    *n = 0;
    const uint8_t *payload;
    size_t plen;
    uint8_t *owned;
    ds_status st = unframe(KIND_TUPLES, data, len, &payload, &plen, &owned, err);
    if (st != DS_OK)
        return st;
    rd r = {payload, payload + plen, false};
    uint64_t n_keys = get_varint(&r);
    uint64_t n_runs = get_varint(&r);
    uint64_t *out = NULL;
    if (r.bad || n_keys > DS_BLOB_CHUNK || n_runs > n_keys || (n_keys > 0 && n_runs == 0) ||
        n_runs * 2 > (uint64_t)(r.end - r.p)) {
        st = ds_error_set(err, DS_ERR_FORMAT, "tuple blob: bad key or run count");
        goto out;
    }
    out = malloc(n_keys ? (size_t)n_keys * sizeof(*out) : 1);
    uint64_t *starts = malloc(n_runs ? (size_t)n_runs * sizeof(*starts) : 1);
    if (out == NULL || starts == NULL) {
        free(starts);
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint64_t i = 0; i < n_runs; i++)
        starts[i] = get_varint(&r);
    size_t k = 0;
    uint64_t prev_end = 0;
    for (uint64_t i = 0; i < n_runs && !r.bad; i++) {
        uint64_t extra = get_varint(&r);
        uint64_t start = starts[i];
        if (i > 0) {
            if (prev_end > UINT64_MAX - 2 || start > UINT64_MAX - 2 - prev_end) {
                r.bad = true;
                break;
            }
            start += prev_end + 2;
        }
        if (extra >= n_keys - k || start > UINT64_MAX - extra) {
            r.bad = true;
            break;
        }
        for (uint64_t v = 0; v <= extra; v++)
            out[k++] = start + v;
        prev_end = start + extra;
    }
    free(starts);
    if (r.bad || k != n_keys || r.p != r.end) {
        st = ds_error_set(err, DS_ERR_FORMAT,
                          "tuple blob: damaged runs (%zu of %llu keys decoded, %zu bytes left)", k,
                          (unsigned long long)n_keys, (size_t)(r.end - r.p));
        goto out;
    }
    *keys = out;
    *n = (size_t)n_keys;
    out = NULL;
out:
    free(out);
    free(owned);
    return st;
}

/* ---- counters ---- */

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

ds_status ds_blob_encode_counters(const ds_agg_window_data *w, bool with_scalars,
                                  const ds_host_counts *hosts, size_t n_hosts, int level,
                                  ds_blob *out, ds_error *err)
{
    if (n_hosts > DS_BLOB_CHUNK)
        return ds_error_set(err, DS_ERR_LIMIT, "counters blob: %zu hosts (at most %zu)", n_hosts,
                            DS_BLOB_CHUNK);
    ds_blob payload = {0};
    ds_status st = DS_OK;
    if (!reserve(&payload, 200 + DS_AGG_SLOTS / 8 + 50 * n_hosts)) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    put_varint(&payload, with_scalars ? FLAG_SCALARS : 0);
    if (with_scalars) {
        put_varint(&payload, w->packets);
        put_varint(&payload, w->syn_packets);
        put_varint(&payload, w->syn_all);
        put_varint(&payload, w->outside_darknet);
        bool has_time = w->first_ts_ns <= w->last_ts_ns;
        put_varint(&payload, has_time);
        if (has_time) {
            put_varint(&payload, zigzag(w->first_ts_ns));
            put_varint(&payload, (uint64_t)w->last_ts_ns - (uint64_t)w->first_ts_ns);
        }
        for (size_t s = 0; s < DS_AGG_SLOTS / 64; s++)
            put_u64le(&payload, w->slots[s]);
    }
    put_varint(&payload, n_hosts);
    for (size_t h = 0; h < n_hosts; h++) {
        if (h > 0 && hosts[h].host <= hosts[h - 1].host) {
            st = ds_error_set(err, DS_ERR_INVALID, "counters blob: hosts not sorted and distinct");
            goto out;
        }
        put_varint(&payload, h == 0 ? hosts[0].host : hosts[h].host - hosts[h - 1].host - 1);
    }
    for (size_t h = 0; h < n_hosts; h++)
        put_varint(&payload, hosts[h].syn_packets);
    for (size_t h = 0; h < n_hosts; h++)
        put_varint(&payload, hosts[h].mirai_packets);
    for (size_t h = 0; h < n_hosts; h++)
        put_varint(&payload, hosts[h].zmap_packets);
    for (size_t h = 0; h < n_hosts; h++)
        put_varint(&payload, hosts[h].masscan_packets);
    st = frame(KIND_COUNTERS, &payload, level, out, err);
out:
    ds_blob_free(&payload);
    return st;
}

void ds_blob_counters_clear(ds_blob_counters *c)
{
    free(c->hosts);
    memset(c, 0, sizeof(*c));
}

ds_status ds_blob_decode_counters(const uint8_t *data, size_t len, ds_blob_counters *out,
                                  ds_error *err)
{
    memset(out, 0, sizeof(*out));
    out->w.first_ts_ns = INT64_MAX;
    out->w.last_ts_ns = INT64_MIN;
    const uint8_t *payload;
    size_t plen;
    uint8_t *owned;
    ds_status st = unframe(KIND_COUNTERS, data, len, &payload, &plen, &owned, err);
    if (st != DS_OK)
        return st;
    rd r = {payload, payload + plen, false};
    const char *why = NULL;
    uint64_t flags = get_varint(&r);
    if (flags & ~(uint64_t)FLAG_SCALARS) {
        why = "unknown flags";
        goto bad;
    }
    if (flags & FLAG_SCALARS) {
        out->has_scalars = true;
        ds_agg_window_data *w = &out->w;
        w->packets = get_varint(&r);
        w->syn_packets = get_varint(&r);
        w->syn_all = get_varint(&r);
        w->outside_darknet = get_varint(&r);
        uint64_t has_time = get_varint(&r);
        if (has_time > 1) {
            why = "bad time flag";
            goto bad;
        }
        if (has_time) {
            int64_t first = unzigzag(get_varint(&r));
            uint64_t span = get_varint(&r);
            uint64_t room = first >= 0 ? (uint64_t)(INT64_MAX - first)
                                       : (uint64_t)INT64_MAX + (uint64_t)(-(first + 1)) + 1;
            if (span > room) {
                why = "time span out of range";
                goto bad;
            }
            w->first_ts_ns = first;
            w->last_ts_ns = (int64_t)((uint64_t)first + span);
        }
        for (size_t s = 0; s < DS_AGG_SLOTS / 64; s++)
            w->slots[s] = get_u64le(&r);
        if (!r.bad &&
            (w->syn_packets > w->syn_all || w->syn_all > w->packets ||
             w->outside_darknet > w->packets || w->syn_packets > w->packets - w->outside_darknet)) {
            why = "packet counters contradict each other";
            goto bad;
        }
    }
    uint64_t n_hosts = get_varint(&r);
    if (r.bad || n_hosts > DS_BLOB_CHUNK || n_hosts * 5 > (uint64_t)(r.end - r.p)) {
        why = "bad host count";
        goto bad;
    }
    if (n_hosts > 0) {
        out->hosts = calloc((size_t)n_hosts, sizeof(*out->hosts));
        if (out->hosts == NULL) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    uint64_t host = 0;
    for (uint64_t h = 0; h < n_hosts; h++) {
        uint64_t d = get_varint(&r);
        host = h == 0 ? d : host + 1 + d;
        if (d > UINT32_MAX || host > UINT32_MAX) {
            why = "host address out of range";
            goto bad;
        }
        out->hosts[h].host = (uint32_t)host;
    }
    for (uint64_t h = 0; h < n_hosts; h++)
        out->hosts[h].syn_packets = get_varint(&r);
    for (uint64_t h = 0; h < n_hosts; h++)
        out->hosts[h].mirai_packets = get_varint(&r);
    for (uint64_t h = 0; h < n_hosts; h++)
        out->hosts[h].zmap_packets = get_varint(&r);
    for (uint64_t h = 0; h < n_hosts; h++)
        out->hosts[h].masscan_packets = get_varint(&r);
    if (r.bad) {
        why = "cut short";
        goto bad;
    }
    for (uint64_t h = 0; h < n_hosts; h++) {
        const ds_host_counts *c = &out->hosts[h];
        if (c->syn_packets == 0 || c->mirai_packets > c->syn_packets ||
            c->zmap_packets > c->syn_packets || c->masscan_packets > c->syn_packets) {
            why = "a host's counts contradict each other";
            goto bad;
        }
    }
    if (r.p != r.end) {
        why = "bytes after the last column";
        goto bad;
    }
    out->w.hosts = out->hosts;
    out->w.n_hosts = (size_t)n_hosts;
    goto out;
bad:
    st = ds_error_set(err, DS_ERR_FORMAT, "counters blob: %s", r.bad ? "cut short" : why);
    ds_blob_counters_clear(out);
out:
    free(owned);
    return st;
}
