/*
 * html.c - the escaping HTML writer of html.h.
 *
 * Text is copied in runs: bytes that need nothing are written with one fwrite per run, and
 * only the bytes that need an entity or a replacement stop the run. Linear in the input.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "report/html.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

void ds_html_raw(FILE *out, const char *markup)
{
    fputs(markup, out);
}

void ds_html_rawf(FILE *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
}

/*
 * utf8_decode - the length of the valid UTF-8 sequence that starts at s (n > 0 bytes left),
 * its code point in *cp; 0 when the bytes there are not valid UTF-8 (a stray continuation
 * byte, an overlong form, a surrogate, beyond U+10FFFF, a cut sequence).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* allowed - a code point that may appear in HTML text as it is (html.h lists the others). */
static bool allowed(uint32_t cp)
{
    if (cp < 0x20)
        return cp == '\t' || cp == '\n' || cp == '\r';
    if (cp >= 0x7F && cp <= 0x9F)
        return false;
    if (cp >= 0xFDD0 && cp <= 0xFDEF)
        return false;
    return (cp & 0xFFFE) != 0xFFFE;
}

static const char *entity(unsigned char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

void ds_html_text_len(FILE *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0, i = 0;
    while (i < len) {
        const char *ent = p[i] < 0x80 ? entity(p[i]) : NULL;
        uint32_t cp = 0;
        size_t n = ent != NULL ? 1 : utf8_decode(p + i, len - i, &cp);
        if (ent == NULL && n > 0 && allowed(cp)) {
            i += n;
            continue;
        }
        if (i > run)
            fwrite(p + run, 1, i - run, out);
        if (ent != NULL) {
            fputs(ent, out);
            i++;
        } else {
            fputs(replacement, out);
            i += n > 0 ? n : 1; /* a disallowed character whole, a bad byte alone */
        }
        run = i;
    }
    if (len > run)
        fwrite(p + run, 1, len - run, out);
}

void ds_html_text(FILE *out, const char *s)
{
    if (s != NULL)
        ds_html_text_len(out, s, strlen(s));
}

void ds_html_attr(FILE *out, const char *name, const char *value)
{
    if (value == NULL)
        return;
    fprintf(out, " %s=\"", name);
    ds_html_text(out, value);
    fputc('"', out);
}

void ds_html_elem(FILE *out, const char *tag, const char *cls, const char *text)
{
    fprintf(out, "<%s", tag);
    ds_html_attr(out, "class", cls);
    fputc('>', out);
    ds_html_text(out, text);
    fprintf(out, "</%s>", tag);
}

char *ds_html_anchor(const char *prefix, const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return buf;
    for (const char *p = prefix; p != NULL && *p != '\0' && n + 1 < cap; p++)
        buf[n++] = *p;
    bool dash = n > 0 && buf[n - 1] == '-';
    for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p != '\0'; p++) {
        unsigned char c = *p;
        bool keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (keep) {
            if (n + 1 >= cap)
                break;
            buf[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            dash = false;
        } else if (!dash) {
            if (n + 1 >= cap)
                break;
            buf[n++] = '-';
            dash = true;
        }
    }
    while (n > 0 && buf[n - 1] == '-' && (prefix == NULL || n > strlen(prefix)))
        n--;
    buf[n] = '\0';
    return buf;
}
