/*
 * http.c - the probe's HTTP/1.x response parser (see enrich.h): the bytes a server sent for
 * one GET, read until the server closed the connection, the size cap or the timeout, in;
 * status, the headers the probe needs and the decoded body out.
 *
 * It reads outside input from any host on the Internet, so it trusts nothing: every length
 * is checked against what was received, a chunk size is parsed with overflow checks, the body
 * never grows beyond max_body, and headers beyond DS_HTTP_MAX_HEADER bytes are an error.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "darkscan/enrich.h"

/* find_line - the end of the line starting at pos (index of '\n'), or len when none. */
static size_t find_line(const uint8_t *d, size_t len, size_t pos)
{
    const uint8_t *nl = memchr(d + pos, '\n', len - pos);
    return nl != NULL ? (size_t)(nl - d) : len;
}

/* line_len - without the line end (LF or CRLF). */
static size_t line_len(const uint8_t *d, size_t start, size_t nl)
{
    size_t n = nl - start;
    if (n > 0 && d[start + n - 1] == '\r')
        n--;
    return n;
}

static void trim(const uint8_t **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* copy_value - a header value into buf (size bytes), control bytes dropped. */
static void copy_value(const uint8_t *v, size_t n, char *buf, size_t size)
{
    size_t out = 0;
    for (size_t i = 0; i < n && out + 1 < size; i++) {
        if (v[i] >= 0x20 && v[i] != 0x7f)
            buf[out++] = (char)v[i];
    }
    buf[out] = '\0';
}

/* parse_size - decimal (base 10) or hex (base 16) digits, at most max; false on overflow. */
static bool parse_size(const uint8_t *s, size_t n, int base, uint64_t max, uint64_t *out,
                       size_t *used)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; i < n; i++) {
        int d;
        if (s[i] >= '0' && s[i] <= '9')
            d = s[i] - '0';
        else if (base == 16 && (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')
            d = (s[i] | 0x20) - 'a' + 10;
        else
            break;
        if (v > (max - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (i == 0)
        return false;
    *out = v;
    *used = i;
    return true;
}

/* body_append - up to max_body bytes in all; sets truncated when some are cut. */
static ds_status body_append(ds_http_response *r, const uint8_t *d, size_t n, size_t max_body,
                             ds_error *err)
{
    if (r->body_len + n > max_body) {
        n = max_body - r->body_len;
        r->truncated = true;
    }
    if (n == 0)
        return DS_OK;
    uint8_t *grown = realloc(r->body, r->body_len + n + 1);
    if (grown == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    r->body = grown;
    memcpy(r->body + r->body_len, d, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return DS_OK;
}

/* dechunk - the chunked body starting at pos; incomplete or damaged input ends it early. */
static ds_status dechunk(ds_http_response *r, const uint8_t *d, size_t len, size_t pos,
                         size_t max_body, ds_error *err)
{
    for (;;) {
        size_t nl = find_line(d, len, pos);
        if (nl == len) {
            r->truncated = true; /* the size line never ended */
            return DS_OK;
        }
        uint64_t size;
        size_t used;
        if (!parse_size(d + pos, line_len(d, pos, nl), 16, UINT64_MAX, &size, &used))
            return ds_error_set(err, DS_ERR_FORMAT, "bad chunk size");
        pos = nl + 1;
        if (size == 0)
            return DS_OK; /* trailers are not needed */
        size_t have = len - pos;
        size_t take = size < have ? (size_t)size : have;
        ds_status st = body_append(r, d + pos, take, max_body, err);
        if (st != DS_OK)
            return st;
        if (take < size) {
            r->truncated = true;
            return DS_OK;
        }
        pos += take;
        /* the CRLF after the chunk data */
        if (pos < len && d[pos] == '\r')
            pos++;
        if (pos < len && d[pos] == '\n')
            pos++;
        else if (pos >= len) {
            r->truncated = true;
            return DS_OK;
        } else {
            return ds_error_set(err, DS_ERR_FORMAT, "chunk data not followed by a line end");
        }
        if (r->truncated)
            return DS_OK; /* the cap is reached: the rest does not matter */
    }
}

/*
 * parse_head - the status line and headers of the response at pos; *body_pos is where its
 * body starts.
 */
static ds_status parse_head(ds_http_response *r, const uint8_t *d, size_t len, size_t pos,
                            size_t *body_pos, bool *chunked, bool *has_length, uint64_t *length,
                            ds_error *err)
{
    size_t nl = find_line(d, len, pos);
    size_t n = line_len(d, pos, nl);
    const uint8_t *s = d + pos;
    /* HTTP/1.x SP 3DIGIT [SP reason] */
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ' ||
        s[9] < '1' || s[9] > '9' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
        (n > 12 && s[12] != ' '))
        return ds_error_set(err, DS_ERR_FORMAT, "not an HTTP/1.x status line");
    r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    *chunked = false;
    *has_length = false;
    r->location[0] = '\0';
    r->content_type[0] = '\0';
    pos = nl + 1;
    for (;;) {
        if (pos >= len)
            return ds_error_set(err, DS_ERR_FORMAT, "the headers never end");
        if (pos > DS_HTTP_MAX_HEADER)
            return ds_error_set(err, DS_ERR_FORMAT, "headers longer than %d bytes",
                                DS_HTTP_MAX_HEADER);
        nl = find_line(d, len, pos);
        if (nl == len)
            return ds_error_set(err, DS_ERR_FORMAT, "the headers never end");
        n = line_len(d, pos, nl);
        s = d + pos;
        pos = nl + 1;
        if (n == 0)
            break;
        const uint8_t *colon = memchr(s, ':', n);
        if (colon == NULL || colon == s)
            return ds_error_set(err, DS_ERR_FORMAT, "a header line without a name");
        size_t name_len = (size_t)(colon - s);
        const uint8_t *v = colon + 1;
        size_t vlen = n - name_len - 1;
        trim(&v, &vlen);
        if (name_len == 14 && strncasecmp((const char *)s, "Content-Length", 14) == 0) {
            size_t used;
            if (!parse_size(v, vlen, 10, UINT64_MAX, length, &used) || used != vlen)
                return ds_error_set(err, DS_ERR_FORMAT, "bad Content-Length");
            *has_length = true;
        } else if (name_len == 17 && strncasecmp((const char *)s, "Transfer-Encoding", 17) == 0) {
            /* chunked when it is the last coding */
            while (vlen > 0 && v[vlen - 1] == ',')
                vlen--;
            *chunked = vlen >= 7 && strncasecmp((const char *)v + vlen - 7, "chunked", 7) == 0;
        } else if (name_len == 8 && strncasecmp((const char *)s, "Location", 8) == 0) {
            copy_value(v, vlen, r->location, sizeof(r->location));
        } else if (name_len == 12 && strncasecmp((const char *)s, "Content-Type", 12) == 0) {
            copy_value(v, vlen, r->content_type, sizeof(r->content_type));
        }
    }
    *body_pos = pos;
    return DS_OK;
}

ds_status ds_http_parse_response(const uint8_t *data, size_t len, size_t max_body,
                                 ds_http_response *out, ds_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t pos = 0, body_pos = 0;
    bool chunked = false, has_length = false;
    uint64_t length = 0;
    ds_status st;
    for (int interim = 0;; interim++) {
        st = parse_head(out, data, len, pos, &body_pos, &chunked, &has_length, &length, err);
        if (st != DS_OK)
            goto fail;
        /* 1xx responses come before the real one (and have no body) */
        if (out->status >= 200 || interim >= 8)
            break;
        pos = body_pos;
    }
    if (out->status < 200) {
        st = ds_error_set(err, DS_ERR_FORMAT, "only interim (1xx) responses");
        goto fail;
    }
    if (out->status == 204 || out->status == 304) {
        chunked = false;
        has_length = true;
        length = 0;
    }
    if (chunked) {
        st = dechunk(out, data, len, body_pos, max_body, err);
    } else {
        size_t have = len - body_pos;
        size_t take = have;
        if (has_length && length < have)
            take = (size_t)length;
        st = body_append(out, data + body_pos, take, max_body, err);
        if (has_length && length > have)
            out->truncated = true;
    }
    if (st != DS_OK)
        goto fail;
    if (out->body == NULL) {
        out->body = calloc(1, 1);
        if (out->body == NULL) {
            st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    return DS_OK;
fail:
    ds_http_response_free(out);
    return st;
}

void ds_http_response_free(ds_http_response *r)
{
    if (r == NULL)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
