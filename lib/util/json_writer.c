/*
 * json_writer.c - the streaming JSON writer of include/darkscan/json.h.
 *
 * State: a stack of open containers, each with how many members it has so far, and whether a
 * key is waiting for its value. The first misuse is remembered and stops all output.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/json.h"
#include "util/numfmt.h"

typedef struct json_level {
    char kind; /* '{' or '[' */
    size_t count;
} json_level;

struct ds_json {
    FILE *out;
    bool pretty;
    int depth;
    json_level stack[DS_JSON_MAX_DEPTH];
    bool after_key; /* a key was written, its value comes next */
    size_t top_count;
    ds_status failed;
    const char *why;
};

ds_json *ds_json_new(FILE *out, bool pretty)
{
    ds_json *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->out = out;
    j->pretty = pretty;
    return j;
}

void ds_json_free(ds_json *j)
{
    free(j);
}

static void misuse(ds_json *j, ds_status status, const char *why)
{
    if (j->failed == DS_OK) {
        j->failed = status;
        j->why = why;
    }
}

static void newline_indent(ds_json *j, int depth)
{
    if (!j->pretty)
        return;
    fputc('\n', j->out);
    for (int i = 0; i < depth; i++)
        fputs("  ", j->out);
}

/* before_value - separators and checks before any value; false when it must not be written. */
static bool before_value(ds_json *j)
{
    if (j->failed != DS_OK)
        return false;
    if (j->depth == 0) {
        if (j->top_count > 0) {
            misuse(j, DS_ERR_STATE, "a second value at the top level");
            return false;
        }
        j->top_count++;
        return true;
    }
    json_level *l = &j->stack[j->depth - 1];
    if (l->kind == '{') {
        if (!j->after_key) {
            misuse(j, DS_ERR_STATE, "a value in an object without a key");
            return false;
        }
        j->after_key = false;
        return true;
    }
    if (l->count > 0)
        fputc(',', j->out);
    newline_indent(j, j->depth);
    l->count++;
    return true;
}

static void begin(ds_json *j, char kind)
{
    if (!before_value(j))
        return;
    if (j->depth == DS_JSON_MAX_DEPTH) {
        misuse(j, DS_ERR_LIMIT, "nested more deeply than DS_JSON_MAX_DEPTH");
        return;
    }
    j->stack[j->depth].kind = kind;
    j->stack[j->depth].count = 0;
    j->depth++;
    fputc(kind, j->out);
}

static void end(ds_json *j, char kind)
{
    if (j->failed != DS_OK)
        return;
    if (j->depth == 0 || j->stack[j->depth - 1].kind != kind || j->after_key) {
        misuse(j, DS_ERR_STATE, "a container ended that is not the one open");
        return;
    }
    j->depth--;
    if (j->stack[j->depth].count > 0)
        newline_indent(j, j->depth);
    fputc(kind == '{' ? '}' : ']', j->out);
}

void ds_json_object_begin(ds_json *j)
{
    begin(j, '{');
}

void ds_json_object_end(ds_json *j)
{
    end(j, '{');
}

void ds_json_array_begin(ds_json *j)
{
    begin(j, '[');
}

void ds_json_array_end(ds_json *j)
{
    end(j, '[');
}

/* utf8_len - the length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

static void write_escaped(FILE *out, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            size_t run = i + 1;
            while (run < len && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
                run++;
            fwrite(s + i, 1, run - i, out);
            i = run;
            continue;
        }
        if (c >= 0x80) {
            size_t u = utf8_len(s + i, len - i);
            if (u > 0) {
                fwrite(s + i, 1, u, out);
                i += u;
                continue;
            }
        }
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\b':
            fputs("\\b", out);
            break;
        case '\f':
            fputs("\\f", out);
            break;
        default:
            /* Control bytes, DEL, and bytes that are not valid UTF-8. */
            fprintf(out, "\\u%04x", c);
            break;
        }
        i++;
    }
    fputc('"', out);
}

void ds_json_key(ds_json *j, const char *key)
{
    if (j->failed != DS_OK)
        return;
    if (j->depth == 0 || j->stack[j->depth - 1].kind != '{' || j->after_key) {
        misuse(j, DS_ERR_STATE, "a key outside an object, or two keys in a row");
        return;
    }
    json_level *l = &j->stack[j->depth - 1];
    if (l->count > 0)
        fputc(',', j->out);
    newline_indent(j, j->depth);
    l->count++;
    write_escaped(j->out, key, strlen(key));
    fputs(j->pretty ? ": " : ":", j->out);
    j->after_key = true;
}

void ds_json_string_len(ds_json *j, const char *s, size_t len)
{
    if (before_value(j))
        write_escaped(j->out, s, len);
}

void ds_json_string(ds_json *j, const char *s)
{
    if (s == NULL)
        ds_json_null(j);
    else
        ds_json_string_len(j, s, strlen(s));
}

void ds_json_int(ds_json *j, int64_t v)
{
    if (before_value(j))
        fprintf(j->out, "%lld", (long long)v);
}

void ds_json_uint(ds_json *j, uint64_t v)
{
    if (before_value(j))
        fprintf(j->out, "%llu", (unsigned long long)v);
}

void ds_json_double(ds_json *j, double v)
{
    if (!isfinite(v)) {
        ds_json_null(j);
        return;
    }
    if (!before_value(j))
        return;
    char buf[DS_DOUBLE_BUF + 2];
    ds_fmt_double(v, buf);
    /* Keep it visibly a real number: 1 -> 1.0 (but 1e+20 stays). */
    if (strpbrk(buf, ".e") == NULL)
        strcat(buf, ".0");
    fputs(buf, j->out);
}

/* is_json_number - text is exactly an RFC 8259 number. */
static bool is_json_number(const char *t)
{
    if (*t == '-')
        t++;
    if (*t == '0') {
        t++;
    } else if (*t >= '1' && *t <= '9') {
        while (*t >= '0' && *t <= '9')
            t++;
    } else {
        return false;
    }
    if (*t == '.') {
        t++;
        if (*t < '0' || *t > '9')
            return false;
        while (*t >= '0' && *t <= '9')
            t++;
    }
    if (*t == 'e' || *t == 'E') {
        t++;
        if (*t == '+' || *t == '-')
            t++;
        if (*t < '0' || *t > '9')
            return false;
        while (*t >= '0' && *t <= '9')
            t++;
    }
    return *t == '\0';
}

void ds_json_number_text(ds_json *j, const char *text)
{
    if (text == NULL || !is_json_number(text)) {
        misuse(j, DS_ERR_STATE, "a number that is not an RFC 8259 number");
        return;
    }
    if (before_value(j))
        fputs(text, j->out);
}

void ds_json_bool(ds_json *j, bool v)
{
    if (before_value(j))
        fputs(v ? "true" : "false", j->out);
}

void ds_json_null(ds_json *j)
{
    if (before_value(j))
        fputs("null", j->out);
}

ds_status ds_json_finish(ds_json *j, ds_error *err)
{
    if (j->failed == DS_OK && (j->depth != 0 || j->after_key))
        misuse(j, DS_ERR_STATE, "the document ended inside a container");
    if (j->failed != DS_OK)
        return ds_error_set(err, j->failed, "JSON writer: %s", j->why);
    fputc('\n', j->out);
    if (fflush(j->out) != 0 || ferror(j->out))
        return ds_error_set(err, DS_ERR_IO, "JSON writer: write failed");
    return DS_OK;
}
