/*
 * json_parse.c - a strict RFC 8259 JSON parser into a read-only tree
 * (include/darkscan/json_parse.h).
 *
 * A recursive-descent parser, bounded by the depth limit. Values are built on one stack of
 * pending members shared by all nesting levels: a container pushes its children there and,
 * when it closes, copies them into one block of the tree's arena. The whole tree (nodes,
 * strings, number texts, sorted key indexes) lives in that arena, freed at once by
 * ds_jval_free. Objects get an index of their members sorted by key, which finds duplicates
 * and makes ds_jval_get a binary search.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "darkscan/json_parse.h"
#include "util/file.h"

typedef struct member member;

struct ds_jval {
    uint8_t kind;
    bool boolean;
    bool is_root;
    uint32_t line, col; /* where the value starts (saturated at UINT32_MAX) */
    size_t len;         /* string bytes, number text bytes, elements or members */
    union {
        const char *text; /* string (NUL-terminated), number */
        ds_jval *items;   /* array: len nodes */
        member *members;  /* object: len members in file order */
    } u;
    const member **sorted; /* object: members sorted by key */
};

struct member {
    const char *key;
    size_t key_len;
    uint32_t line, col; /* of the key, for duplicate-key messages */
    ds_jval value;
};

/* The arena: chunks of memory freed together. */
typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} chunk;

/* A parsed document: the root value first, so that the root pointer is the document. */
typedef struct document {
    ds_jval root;
    chunk *chunks;
} document;

typedef struct parser {
    const unsigned char *s;
    size_t len, pos;
    const char *name;
    ds_jval_limits limits;
    ds_error *err;
    document *doc;
    /* Line tracking: line number, offset where it starts, and a column cache. */
    size_t line, line_start, col_pos, col;
    /* Members pending until their container closes. */
    member *stack;
    size_t n_stack, cap_stack;
    /* Scratch space for decoding a string. */
    char *scratch;
    size_t scratch_cap;
} parser;

/* ---- arena -------------------------------------------------------------------------------- */

static void *arena_alloc(document *doc, size_t size)
{
    size = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    chunk *c = doc->chunks;
    if (c == NULL || c->cap - c->used < size) {
        size_t cap = size > 65536 - sizeof(chunk) ? size : 65536 - sizeof(chunk);
        if (cap > SIZE_MAX - sizeof(chunk))
            return NULL;
        chunk *n = malloc(sizeof(chunk) + cap);
        if (n == NULL)
            return NULL;
        n->cap = cap;
        n->used = 0;
        n->next = doc->chunks;
        doc->chunks = n;
        c = n;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

/* ---- positions and errors ----------------------------------------------------------------- */

/* The column (from 1, in characters) of byte offset pos on the current line. */
static size_t column_at(parser *p, size_t pos)
{
    if (p->col_pos < p->line_start || p->col_pos > pos) {
        p->col_pos = p->line_start;
        p->col = 1;
    }
    for (size_t i = p->col_pos; i < pos && i < p->len; i++)
        p->col += (p->s[i] & 0xc0) != 0x80; /* UTF-8 continuation bytes are no new column */
    p->col_pos = pos;
    return p->col;
}

static uint32_t sat32(size_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static ds_status fail_vlc(parser *p, ds_status status, size_t line, size_t col, const char *fmt,
                          va_list ap) __attribute__((format(printf, 5, 0)));

static ds_status fail_vlc(parser *p, ds_status status, size_t line, size_t col, const char *fmt,
                          va_list ap)
{
    char msg[DS_ERROR_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    return ds_error_set(p->err, status, "%s:%zu:%zu: %s", p->name, line, col, msg);
}

/* An error at byte offset pos, which must be on the current line. */
static ds_status fail_at(parser *p, ds_status status, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static ds_status fail_at(parser *p, ds_status status, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ds_status st = fail_vlc(p, status, p->line, column_at(p, pos), fmt, ap);
    va_end(ap);
    return st;
}

/* An error at a place seen before (line, col), e.g. on an earlier line. */
static ds_status fail_lc(parser *p, ds_status status, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static ds_status fail_lc(parser *p, ds_status status, size_t line, size_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ds_status st = fail_vlc(p, status, line, col, fmt, ap);
    va_end(ap);
    return st;
}

/* How to name the byte at pos in a message: "'x'", "byte 0xff" or "end of input". */
static const char *describe(parser *p, size_t pos, char *buf, size_t size)
{
    if (pos >= p->len)
        return "end of input";
    unsigned char c = p->s[pos];
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

static ds_status unexpected(parser *p, const char *expected)
{
    char b[16];
    if (p->pos >= p->len)
        return fail_at(p, DS_ERR_FORMAT, p->pos, "unexpected end of input: expected %s", expected);
    return fail_at(p, DS_ERR_FORMAT, p->pos, "expected %s, found %s", expected,
                   describe(p, p->pos, b, sizeof(b)));
}

/* ---- scanning ------------------------------------------------------------------------------ */

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c == '\n') {
            p->line++;
            p->line_start = p->pos + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        p->pos++;
    }
}

static void mark(parser *p, ds_jval *v, uint8_t kind)
{
    memset(v, 0, sizeof(*v));
    v->kind = kind;
    v->line = sat32(p->line);
    v->col = sat32(column_at(p, p->pos));
}

static bool scratch_put(parser *p, size_t *n, const void *data, size_t len)
{
    if (*n + len + 1 > p->scratch_cap) {
        size_t cap = p->scratch_cap ? p->scratch_cap : 256;
        while (cap < *n + len + 1)
            cap *= 2;
        char *s = realloc(p->scratch, cap);
        if (s == NULL)
            return false;
        p->scratch = s;
        p->scratch_cap = cap;
    }
    memcpy(p->scratch + *n, data, len);
    *n += len;
    return true;
}

/* Length of the valid UTF-8 sequence at s[0..avail) (2 to 4 bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f; /* no UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Four hex digits at s[pos]; -1 if they are not. */
static int32_t hex4(parser *p, size_t pos)
{
    if (p->len - pos < 4 || pos > p->len)
        return -1;
    int32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned char c = p->s[pos + i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/*
 * A string at p->pos (which is '"'): decoded into the arena as *out (NUL-terminated), its
 * length in *out_len.
 */
static ds_status parse_string(parser *p, const char **out, size_t *out_len)
{
    size_t start_line = p->line, start_col = column_at(p, p->pos), n = 0;
    p->pos++;
    for (;;) {
        /* A run of plain ASCII, copied at once. */
        size_t run = p->pos;
        while (run < p->len && p->s[run] >= 0x20 && p->s[run] < 0x80 && p->s[run] != '"' &&
               p->s[run] != '\\')
            run++;
        if (run > p->pos && !scratch_put(p, &n, p->s + p->pos, run - p->pos))
            goto nomem;
        p->pos = run;
        if (p->pos >= p->len)
            return fail_at(p, DS_ERR_FORMAT, p->pos,
                           "unexpected end of input in the string that starts at %zu:%zu",
                           start_line, start_col);
        unsigned char c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20)
            return fail_at(p, DS_ERR_FORMAT, p->pos,
                           "control character U+%04X in a string (write it as an escape)", c);
        if (c >= 0x80) {
            size_t k = utf8_len(p->s + p->pos, p->len - p->pos);
            if (k == 0)
                return fail_at(p, DS_ERR_FORMAT, p->pos, "invalid UTF-8 (byte 0x%02x)", c);
            if (!scratch_put(p, &n, p->s + p->pos, k))
                goto nomem;
            p->pos += k;
            continue;
        }
        /* An escape. */
        size_t esc = p->pos;
        if (esc + 1 >= p->len)
            return fail_at(p, DS_ERR_FORMAT, esc + 1,
                           "unexpected end of input in the string that starts at %zu:%zu",
                           start_line, start_col);
        char e = (char)p->s[esc + 1], one;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            one = e;
            break;
        case 'b':
            one = '\b';
            break;
        case 'f':
            one = '\f';
            break;
        case 'n':
            one = '\n';
            break;
        case 'r':
            one = '\r';
            break;
        case 't':
            one = '\t';
            break;
        case 'u': {
            int32_t cp = hex4(p, esc + 2);
            if (cp < 0)
                return fail_at(p, DS_ERR_FORMAT, esc, "\\u must be followed by 4 hex digits");
            size_t used = 6;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail_at(p, DS_ERR_FORMAT, esc,
                               "lone low surrogate \\u%04X (not after a high surrogate)",
                               (unsigned)cp);
            if (cp >= 0xd800 && cp <= 0xdbff) {
                int32_t lo = -1;
                if (esc + 7 < p->len && p->s[esc + 6] == '\\' && p->s[esc + 7] == 'u')
                    lo = hex4(p, esc + 8);
                if (lo < 0xdc00 || lo > 0xdfff)
                    return fail_at(p, DS_ERR_FORMAT, esc,
                                   "lone high surrogate \\u%04X (not followed by a low "
                                   "surrogate \\uDC00-\\uDFFF)",
                                   (unsigned)cp);
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                used = 12;
            }
            char buf[4];
            if (!scratch_put(p, &n, buf, utf8_encode((uint32_t)cp, buf)))
                goto nomem;
            p->pos = esc + used;
            continue;
        }
        default: {
            char b[16];
            return fail_at(p, DS_ERR_FORMAT, esc, "invalid escape: backslash before %s",
                           describe(p, esc + 1, b, sizeof(b)));
        }
        }
        if (!scratch_put(p, &n, &one, 1))
            goto nomem;
        p->pos = esc + 2;
    }
    char *copy = arena_alloc(p->doc, n + 1);
    if (copy == NULL)
        goto nomem;
    if (n > 0)
        memcpy(copy, p->scratch, n);
    copy[n] = '\0';
    *out = copy;
    *out_len = n;
    return DS_OK;
nomem:
    return fail_at(p, DS_ERR_NOMEM, p->pos, "out of memory");
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static ds_status parse_number(parser *p, ds_jval *v)
{
    size_t start = p->pos, i = p->pos;
    const unsigned char *s = p->s;
    if (i < p->len && s[i] == '-')
        i++;
    if (i >= p->len || !is_digit(s[i])) {
        p->pos = i;
        return unexpected(p, "a digit after '-'");
    }
    if (s[i] == '0' && i + 1 < p->len && is_digit(s[i + 1]))
        return fail_at(p, DS_ERR_FORMAT, i, "invalid number: leading zero");
    while (i < p->len && is_digit(s[i]))
        i++;
    if (i < p->len && s[i] == '.') {
        i++;
        if (i >= p->len || !is_digit(s[i])) {
            p->pos = i;
            return unexpected(p, "a digit after the decimal point");
        }
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->len || !is_digit(s[i])) {
            p->pos = i;
            return unexpected(p, "a digit in the exponent");
        }
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    size_t n = i - start;
    char *copy = arena_alloc(p->doc, n + 1);
    if (copy == NULL)
        return fail_at(p, DS_ERR_NOMEM, start, "out of memory");
    memcpy(copy, s + start, n);
    copy[n] = '\0';
    v->u.text = copy;
    v->len = n;
    p->pos = i;
    return DS_OK;
}

static ds_status parse_value(parser *p, size_t depth, ds_jval *v);

static bool push(parser *p, const member *m)
{
    if (p->n_stack == p->cap_stack) {
        size_t cap = p->cap_stack ? p->cap_stack * 2 : 64;
        member *s = realloc(p->stack, cap * sizeof(*s));
        if (s == NULL)
            return false;
        p->stack = s;
        p->cap_stack = cap;
    }
    p->stack[p->n_stack++] = *m;
    return true;
}

static int key_cmp(const void *a, const void *b)
{
    const member *x = *(const member *const *)a, *y = *(const member *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x < y ? -1 : x > y; /* equal keys: file order */
}

/* Quote a key for a message: printable ASCII as is, the rest as \xNN, cut at 40 bytes. */
static const char *quote_key(const char *k, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        if (o + 8 >= size || o >= 40) {
            memcpy(buf + o, "...", 4);
            return buf;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    buf[o] = '\0';
    return buf;
}

/* The container whose first member is stack[base] closes: move its members into the tree. */
static ds_status close_container(parser *p, ds_jval *v, size_t base)
{
    size_t n = p->n_stack - base;
    v->len = n;
    if (n == 0) {
        p->n_stack = base;
        return DS_OK;
    }
    if (v->kind == DS_JVAL_ARRAY) {
        ds_jval *items = arena_alloc(p->doc, n * sizeof(*items));
        if (items == NULL)
            return fail_at(p, DS_ERR_NOMEM, p->pos, "out of memory");
        for (size_t i = 0; i < n; i++)
            items[i] = p->stack[base + i].value;
        v->u.items = items;
        p->n_stack = base;
        return DS_OK;
    }
    member *members = arena_alloc(p->doc, n * sizeof(*members));
    const member **sorted = arena_alloc(p->doc, n * sizeof(*sorted));
    if (members == NULL || sorted == NULL)
        return fail_at(p, DS_ERR_NOMEM, p->pos, "out of memory");
    memcpy(members, p->stack + base, n * sizeof(*members));
    p->n_stack = base;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &members[i];
    qsort(sorted, n, sizeof(*sorted), key_cmp);
    for (size_t i = 1; i < n; i++) {
        const member *a = sorted[i - 1], *b = sorted[i];
        if (a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0) {
            char q[64];
            return fail_lc(p, DS_ERR_FORMAT, b->line, b->col,
                           "duplicate key \"%s\" (first at %u:%u)",
                           quote_key(b->key, b->key_len, q, sizeof(q)), a->line, a->col);
        }
    }
    v->u.members = members;
    v->sorted = sorted;
    return DS_OK;
}

static ds_status parse_container(parser *p, size_t depth, ds_jval *v)
{
    bool object = p->s[p->pos] == '{';
    char close = object ? '}' : ']';
    const char *expect_next = object ? "',' or '}'" : "',' or ']'";
    if (depth >= p->limits.max_depth)
        return fail_at(p, DS_ERR_LIMIT, p->pos, "nested deeper than %zu levels",
                       p->limits.max_depth);
    size_t base = p->n_stack;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
        p->pos++;
        return close_container(p, v, base);
    }
    for (;;) {
        member m;
        memset(&m, 0, sizeof(m));
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return unexpected(p, "a string key");
            m.line = sat32(p->line);
            m.col = sat32(column_at(p, p->pos));
            ds_status st = parse_string(p, &m.key, &m.key_len);
            if (st != DS_OK)
                return st;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return unexpected(p, "':' after the key");
            p->pos++;
            skip_ws(p);
        }
        ds_status st = parse_value(p, depth + 1, &m.value);
        if (st != DS_OK)
            return st;
        if (!push(p, &m))
            return fail_at(p, DS_ERR_NOMEM, p->pos, "out of memory");
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
            p->pos++;
            return close_container(p, v, base);
        }
        if (p->pos >= p->len || p->s[p->pos] != ',')
            return unexpected(p, expect_next);
        size_t comma_line = p->line, comma_col = column_at(p, p->pos);
        p->pos++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == (unsigned char)close)
            return fail_lc(p, DS_ERR_FORMAT, comma_line, comma_col, "trailing comma before '%c'",
                           close);
    }
}

static ds_status parse_literal(parser *p, ds_jval *v, const char *word, uint8_t kind, bool b)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail_at(p, DS_ERR_FORMAT, p->pos, "invalid literal: expected '%s'", word);
    v->kind = kind;
    v->boolean = b;
    p->pos += n;
    return DS_OK;
}

static ds_status parse_value(parser *p, size_t depth, ds_jval *v)
{
    if (p->pos >= p->len)
        return unexpected(p, "a value");
    unsigned char c = p->s[p->pos];
    switch (c) {
    case '{':
        mark(p, v, DS_JVAL_OBJECT);
        return parse_container(p, depth, v);
    case '[':
        mark(p, v, DS_JVAL_ARRAY);
        return parse_container(p, depth, v);
    case '"':
        mark(p, v, DS_JVAL_STRING);
        return parse_string(p, &v->u.text, &v->len);
    case 't':
        mark(p, v, DS_JVAL_BOOL);
        return parse_literal(p, v, "true", DS_JVAL_BOOL, true);
    case 'f':
        mark(p, v, DS_JVAL_BOOL);
        return parse_literal(p, v, "false", DS_JVAL_BOOL, false);
    case 'n':
        mark(p, v, DS_JVAL_NULL);
        return parse_literal(p, v, "null", DS_JVAL_NULL, false);
    default:
        if (c == '-' || is_digit(c)) {
            mark(p, v, DS_JVAL_NUMBER);
            return parse_number(p, v);
        }
        return unexpected(p, "a value");
    }
}

/* ---- entry points -------------------------------------------------------------------------- */

void ds_jval_free(ds_jval *root)
{
    if (root == NULL || !root->is_root)
        return;
    document *doc = (document *)root;
    chunk *c = doc->chunks;
    while (c != NULL) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(doc);
}

ds_status ds_jval_parse_limits(const char *text, size_t len, const char *name,
                               const ds_jval_limits *limits, ds_jval **root, ds_error *err)
{
    *root = NULL;
    parser p;
    memset(&p, 0, sizeof(p));
    p.s = (const unsigned char *)text;
    p.len = len;
    p.name = name ? name : "<input>";
    p.limits.max_depth = limits ? limits->max_depth : DS_JVAL_MAX_DEPTH;
    p.limits.max_bytes = limits ? limits->max_bytes : DS_JVAL_MAX_BYTES;
    p.err = err;
    p.line = 1;
    p.col = 1;
    if (len > p.limits.max_bytes)
        return ds_error_set(err, DS_ERR_LIMIT, "%s: larger than %zu bytes", p.name,
                            p.limits.max_bytes);
    p.doc = calloc(1, sizeof(*p.doc));
    if (p.doc == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: out of memory", p.name);
    ds_status st;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        p.pos = p.line_start = p.col_pos = 3; /* a byte order mark: skipped, not a column */
    skip_ws(&p);
    if (p.pos >= p.len) {
        st = fail_at(&p, DS_ERR_FORMAT, p.pos, "no JSON value (the input is empty)");
        goto out;
    }
    st = parse_value(&p, 0, &p.doc->root);
    if (st != DS_OK)
        goto out;
    skip_ws(&p);
    if (p.pos < p.len) {
        char b[16];
        st = fail_at(&p, DS_ERR_FORMAT, p.pos, "unexpected %s after the JSON value",
                     describe(&p, p.pos, b, sizeof(b)));
        goto out;
    }
    p.doc->root.is_root = true;
    *root = &p.doc->root;
out:
    if (st != DS_OK) {
        p.doc->root.is_root = true;
        ds_jval_free(&p.doc->root);
    }
    free(p.stack);
    free(p.scratch);
    return st;
}

ds_status ds_jval_parse(const char *text, size_t len, const char *name, ds_jval **root,
                        ds_error *err)
{
    return ds_jval_parse_limits(text, len, name, NULL, root, err);
}

ds_status ds_jval_parse_file(const char *path, ds_jval **root, ds_error *err)
{
    *root = NULL;
    char *buf;
    size_t len;
    ds_status st = ds_file_read_all(path, DS_JVAL_MAX_BYTES, &buf, &len, err);
    if (st != DS_OK)
        return st;
    st = ds_jval_parse(buf, len, path, root, err);
    free(buf);
    return st;
}

/* ---- accessors ----------------------------------------------------------------------------- */

ds_jval_kind ds_jval_type(const ds_jval *v)
{
    return v ? (ds_jval_kind)v->kind : DS_JVAL_ABSENT;
}

const char *ds_jval_type_name(ds_jval_kind kind)
{
    switch (kind) {
    case DS_JVAL_ABSENT:
        return "absent";
    case DS_JVAL_NULL:
        return "null";
    case DS_JVAL_BOOL:
        return "boolean";
    case DS_JVAL_NUMBER:
        return "number";
    case DS_JVAL_STRING:
        return "string";
    case DS_JVAL_ARRAY:
        return "array";
    case DS_JVAL_OBJECT:
        return "object";
    }
    return "unknown";
}

void ds_jval_position(const ds_jval *v, size_t *line, size_t *col)
{
    if (line != NULL)
        *line = v ? v->line : 0;
    if (col != NULL)
        *col = v ? v->col : 0;
}

const ds_jval *ds_jval_get(const ds_jval *obj, const char *key)
{
    if (obj == NULL || obj->kind != DS_JVAL_OBJECT || key == NULL)
        return NULL;
    size_t klen = strlen(key), lo = 0, hi = obj->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const member *m = obj->sorted[mid];
        size_t n = m->key_len < klen ? m->key_len : klen;
        int c = memcmp(m->key, key, n);
        if (c == 0)
            c = m->key_len < klen ? -1 : m->key_len > klen;
        if (c == 0)
            return &m->value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t ds_jval_object_len(const ds_jval *obj)
{
    return obj && obj->kind == DS_JVAL_OBJECT ? obj->len : 0;
}

const char *ds_jval_object_key(const ds_jval *obj, size_t i, size_t *len)
{
    if (obj == NULL || obj->kind != DS_JVAL_OBJECT || i >= obj->len)
        return NULL;
    if (len != NULL)
        *len = obj->u.members[i].key_len;
    return obj->u.members[i].key;
}

const ds_jval *ds_jval_object_value(const ds_jval *obj, size_t i)
{
    if (obj == NULL || obj->kind != DS_JVAL_OBJECT || i >= obj->len)
        return NULL;
    return &obj->u.members[i].value;
}

size_t ds_jval_array_len(const ds_jval *arr)
{
    return arr && arr->kind == DS_JVAL_ARRAY ? arr->len : 0;
}

const ds_jval *ds_jval_array_at(const ds_jval *arr, size_t i)
{
    if (arr == NULL || arr->kind != DS_JVAL_ARRAY || i >= arr->len)
        return NULL;
    return &arr->u.items[i];
}

const char *ds_jval_string(const ds_jval *v, size_t *len)
{
    if (v == NULL || v->kind != DS_JVAL_STRING)
        return NULL;
    if (len != NULL)
        *len = v->len;
    else if (memchr(v->u.text, '\0', v->len) != NULL)
        return NULL;
    return v->u.text;
}

ds_status ds_jval_bool(const ds_jval *v, bool *out)
{
    if (v == NULL || v->kind != DS_JVAL_BOOL)
        return DS_ERR_INVALID;
    *out = v->boolean;
    return DS_OK;
}

const char *ds_jval_number_text(const ds_jval *v)
{
    return v && v->kind == DS_JVAL_NUMBER ? v->u.text : NULL;
}

/*
 * The exact integer value of a number's text as sign and magnitude. DS_ERR_INVALID when it
 * is not an integer, DS_ERR_LIMIT when the magnitude exceeds UINT64_MAX.
 */
static ds_status exact_integer(const ds_jval *v, bool *negative, uint64_t *magnitude)
{
    if (v == NULL || v->kind != DS_JVAL_NUMBER)
        return DS_ERR_INVALID;
    const char *s = v->u.text;
    *negative = *s == '-';
    if (*negative)
        s++;
    /* Significant digits: integer part then fraction; exp counts the fraction's places. */
    const char *int_digits = s;
    size_t n_int = strspn(s, "0123456789");
    s += n_int;
    const char *frac_digits = s;
    size_t n_frac = 0;
    if (*s == '.') {
        frac_digits = ++s;
        n_frac = strspn(s, "0123456789");
        s += n_frac;
    }
    int64_t exp = 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        bool neg_exp = *s == '-';
        if (*s == '+' || *s == '-')
            s++;
        for (; *s >= '0' && *s <= '9'; s++)
            if (exp < 100000000000000LL) /* beyond any input: saturate */
                exp = exp * 10 + (*s - '0');
        if (neg_exp)
            exp = -exp;
    }
    /* The digits d[0..n) = int_digits then frac_digits; value = d * 10^(exp - n_frac). */
    size_t n = n_int + n_frac, first = 0, last = n;
#define DIGIT(i) ((i) < n_int ? int_digits[(i)] : frac_digits[(i)-n_int])
    while (first < n && DIGIT(first) == '0')
        first++;
    if (first == n) {
        *magnitude = 0; /* zero, whatever the exponent: "-0", "0e999", "0.000" */
        return DS_OK;
    }
    while (DIGIT(last - 1) == '0')
        last--;
    int64_t scale = exp - (int64_t)n_frac + (int64_t)(n - last);
    if (scale < 0)
        return DS_ERR_INVALID; /* a fraction remains */
    if ((int64_t)(last - first) + scale > 20)
        return DS_ERR_LIMIT; /* more than 20 digits: beyond UINT64_MAX */
    uint64_t m = 0;
    for (size_t i = first; i < last; i++) {
        if (__builtin_mul_overflow(m, 10, &m) ||
            __builtin_add_overflow(m, (uint64_t)(DIGIT(i) - '0'), &m))
            return DS_ERR_LIMIT;
    }
#undef DIGIT
    for (int64_t i = 0; i < scale; i++)
        if (__builtin_mul_overflow(m, 10, &m))
            return DS_ERR_LIMIT;
    *magnitude = m;
    return DS_OK;
}

ds_status ds_jval_int64(const ds_jval *v, int64_t *out)
{
    bool negative;
    uint64_t m;
    ds_status st = exact_integer(v, &negative, &m);
    if (st != DS_OK)
        return st;
    if (negative) {
        if (m > (uint64_t)INT64_MAX + 1)
            return DS_ERR_LIMIT;
        *out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
    } else {
        if (m > INT64_MAX)
            return DS_ERR_LIMIT;
        *out = (int64_t)m;
    }
    return DS_OK;
}

ds_status ds_jval_uint64(const ds_jval *v, uint64_t *out)
{
    bool negative;
    uint64_t m;
    ds_status st = exact_integer(v, &negative, &m);
    if (st != DS_OK)
        return st;
    if (negative && m != 0)
        return DS_ERR_LIMIT;
    *out = m;
    return DS_OK;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

ds_status ds_jval_double(const ds_jval *v, double *out)
{
    if (v == NULL || v->kind != DS_JVAL_NUMBER)
        return DS_ERR_INVALID;
    pthread_once(&c_locale_once, make_c_locale);
    errno = 0;
    double d =
        c_locale != (locale_t)0 ? strtod_l(v->u.text, NULL, c_locale) : strtod(v->u.text, NULL);
    if (errno == ERANGE && isinf(d))
        return DS_ERR_LIMIT;
    *out = d;
    return DS_OK;
}
