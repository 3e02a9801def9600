/*
 * fuzz_json.c - the input bytes as JSON (ds_jval_parse). A failure must say where
 * ("fuzz:LINE:COL: ..."). A success is checked three ways: every object member is found by
 * ds_jval_get; integer and double accessors agree with each other; and the tree written back
 * as JSON parses again into the same tree (a round trip through an independent writer).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/json_parse.h"

typedef struct out {
    char *data;
    size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        while (cap < o->len + n)
            cap *= 2;
        char *d = realloc(o->data, cap);
        if (d == NULL)
            abort();
        o->data = d;
        o->cap = cap;
    }
    memcpy(o->data + o->len, s, n);
    o->len += n;
}

static void put_string(out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(o, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof(e), "\\u%04x", c);
            put(o, e, 6);
        } else {
            put(o, (const char *)&c, 1);
        }
    }
    put(o, "\"", 1);
}

static void write_value(out *o, const ds_jval *v)
{
    size_t len;
    switch (ds_jval_type(v)) {
    case DS_JVAL_NULL:
        put(o, "null", 4);
        break;
    case DS_JVAL_BOOL: {
        bool b;
        if (ds_jval_bool(v, &b) != DS_OK)
            abort();
        put(o, b ? "true" : "false", b ? 4 : 5);
        break;
    }
    case DS_JVAL_NUMBER: {
        const char *t = ds_jval_number_text(v);
        put(o, t, strlen(t));
        break;
    }
    case DS_JVAL_STRING: {
        const char *s = ds_jval_string(v, &len);
        put_string(o, s, len);
        break;
    }
    case DS_JVAL_ARRAY:
        put(o, "[", 1);
        for (size_t i = 0; i < ds_jval_array_len(v); i++) {
            if (i > 0)
                put(o, ",", 1);
            write_value(o, ds_jval_array_at(v, i));
        }
        put(o, "]", 1);
        break;
    case DS_JVAL_OBJECT:
        put(o, "{", 1);
        for (size_t i = 0; i < ds_jval_object_len(v); i++) {
            if (i > 0)
                put(o, ",", 1);
            const char *k = ds_jval_object_key(v, i, &len);
            put_string(o, k, len);
            put(o, ":", 1);
            write_value(o, ds_jval_object_value(v, i));
        }
        put(o, "}", 1);
        break;
    default:
        abort();
    }
}

/* Accessor checks on one value and, recursively, its children. */
static void check(const ds_jval *v)
{
    size_t len;
    switch (ds_jval_type(v)) {
    case DS_JVAL_NUMBER: {
        int64_t i;
        uint64_t u;
        double d;
        ds_status si = ds_jval_int64(v, &i), su = ds_jval_uint64(v, &u);
        ds_status sd = ds_jval_double(v, &d);
        if (sd != DS_OK && sd != DS_ERR_LIMIT)
            abort();
        if (si == DS_OK && sd == DS_OK && (double)i != d)
            abort();
        if (su == DS_OK && sd == DS_OK && (double)u != d && !(u == 0 && d == 0))
            abort();
        if (si == DS_OK && su == DS_OK && i >= 0 && (uint64_t)i != u)
            abort();
        if ((si == DS_ERR_INVALID) != (su == DS_ERR_INVALID))
            abort();
        break;
    }
    case DS_JVAL_STRING: {
        const char *s = ds_jval_string(v, &len);
        if (s == NULL || s[len] != '\0')
            abort();
        if ((ds_jval_string(v, NULL) == NULL) != (memchr(s, '\0', len) != NULL))
            abort();
        break;
    }
    case DS_JVAL_ARRAY:
        for (size_t i = 0; i < ds_jval_array_len(v); i++)
            check(ds_jval_array_at(v, i));
        break;
    case DS_JVAL_OBJECT:
        for (size_t i = 0; i < ds_jval_object_len(v); i++) {
            const char *k = ds_jval_object_key(v, i, &len);
            if (strlen(k) == len && ds_jval_get(v, k) != ds_jval_object_value(v, i))
                abort();
            check(ds_jval_object_value(v, i));
        }
        break;
    default:
        break;
    }
}

static bool same(const ds_jval *a, const ds_jval *b)
{
    if (ds_jval_type(a) != ds_jval_type(b))
        return false;
    size_t la, lb;
    switch (ds_jval_type(a)) {
    case DS_JVAL_BOOL: {
        bool x, y;
        ds_jval_bool(a, &x);
        ds_jval_bool(b, &y);
        return x == y;
    }
    case DS_JVAL_NUMBER:
        return strcmp(ds_jval_number_text(a), ds_jval_number_text(b)) == 0;
    case DS_JVAL_STRING: {
        const char *x = ds_jval_string(a, &la), *y = ds_jval_string(b, &lb);
        return la == lb && memcmp(x, y, la) == 0;
    }
    case DS_JVAL_ARRAY:
        if (ds_jval_array_len(a) != ds_jval_array_len(b))
            return false;
        for (size_t i = 0; i < ds_jval_array_len(a); i++)
            if (!same(ds_jval_array_at(a, i), ds_jval_array_at(b, i)))
                return false;
        return true;
    case DS_JVAL_OBJECT:
        if (ds_jval_object_len(a) != ds_jval_object_len(b))
            return false;
        for (size_t i = 0; i < ds_jval_object_len(a); i++) {
            const char *x = ds_jval_object_key(a, i, &la), *y = ds_jval_object_key(b, i, &lb);
            if (la != lb || memcmp(x, y, la) != 0 ||
                !same(ds_jval_object_value(a, i), ds_jval_object_value(b, i)))
                return false;
        }
        return true;
    default:
        return true;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ds_jval *root = NULL;
    ds_error err;
    ds_error_clear(&err);
    ds_status st = ds_jval_parse((const char *)data, size, "fuzz", &root, &err);
    if (st != DS_OK) {
        unsigned line, col;
        if (root != NULL || err.status != st ||
            (st != DS_ERR_NOMEM && sscanf(err.msg, "fuzz:%u:%u: ", &line, &col) != 2))
            abort();
        return 0;
    }
    check(root);
    out o = {0};
    write_value(&o, root);
    ds_jval *again = NULL;
    if (ds_jval_parse(o.data, o.len, "rewritten", &again, &err) != DS_OK || !same(root, again))
        abort();
    ds_jval_free(again);
    ds_jval_free(root);
    free(o.data);
    return 0;
}
