/*
 * disclosure.c - does a web page disclose scanning? (see enrich.h)
 *
 * The ZMap scanning guidelines (Durumeric et al., "ZMap: Fast Internet-wide Scanning and its
 * Security Applications", USENIX Security 2013, section 6) ask scanners to "host a web page on
 * the scanning hosts explaining the purpose of the scan" with a way to opt out; the paper
 * checks for such pages. A page counts as a disclosure when it speaks of scanning AND of a
 * purpose (research, measurement, survey...) or a way out (opt-out, exclusion...); contact
 * words are recorded as evidence but do not decide. Keywords exist in English, German, French,
 * Spanish, Portuguese, Italian, Dutch, Polish, Russian, Japanese, Chinese and Korean.
 *
 * Matching runs on the page's text: tags become blanks (attribute text such as a meta
 * description is kept), <script> and <style> contents are dropped, a few entities are
 * decoded, ASCII letters are lower-cased. Latin keywords must start a word (so "scan" does
 * not match "toucan"); "whole" ones must also end it (so "scan" does not match "scandal").
 * Non-UTF-8 pages (Shift_JIS, GB2312...) are not decoded: their non-Latin keywords are missed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "darkscan/enrich.h"

typedef enum concept {
    C_SCAN,
    C_PURPOSE,
    C_OPTOUT,
    C_CONTACT,
} concept;

typedef struct keyword {
    const char *text; /* lower case UTF-8 */
    concept c;
    bool whole; /* must end a word too */
} keyword;

static const keyword keywords[] = {
    /* scanning */
    {"scan", C_SCAN, true},
    {"scans", C_SCAN, true},
    {"scann", C_SCAN, false}, /* scanner, scanning, scanned; de/nl scannen, scannt */
    {"portscan", C_SCAN, false},
    {"balayage", C_SCAN, false},  /* fr */
    {"escaneo", C_SCAN, false},   /* es */
    {"escane", C_SCAN, false},    /* es escanear, escaneamos; pt escanear */
    {"varredura", C_SCAN, false}, /* pt */
    {"scansion", C_SCAN, false},  /* it scansione */
    {"skanowan", C_SCAN, false},  /* pl skanowanie */
    {"сканир", C_SCAN, false},    /* ru сканирование, сканировать */
    {"Сканир", C_SCAN, false},    /* ru, sentence start */
    {"スキャン", C_SCAN, false},  /* ja */
    {"扫描", C_SCAN, false},      /* zh-Hans */
    {"掃描", C_SCAN, false},      /* zh-Hant */
    {"스캔", C_SCAN, false},      /* ko */
    /* purpose */
    {"research", C_PURPOSE, false},
    {"measurement", C_PURPOSE, false},
    {"internet-wide", C_PURPOSE, false},
    {"internet wide", C_PURPOSE, false},
    {"survey", C_PURPOSE, false},
    {"census", C_PURPOSE, false},
    {"study", C_PURPOSE, false},
    {"academic", C_PURPOSE, false},
    {"university", C_PURPOSE, false},
    {"forschung", C_PURPOSE, false},   /* de */
    {"recherche", C_PURPOSE, false},   /* fr */
    {"investigaci", C_PURPOSE, false}, /* es investigación */
    {"pesquisa", C_PURPOSE, false},    /* pt */
    {"ricerca", C_PURPOSE, false},     /* it */
    {"onderzoek", C_PURPOSE, false},   /* nl */
    {"badani", C_PURPOSE, false},      /* pl badania */
    {"исследова", C_PURPOSE, false},   /* ru */
    {"Исследова", C_PURPOSE, false},
    {"研究", C_PURPOSE, false}, /* ja, zh */
    {"調査", C_PURPOSE, false}, /* ja */
    {"計測", C_PURPOSE, false}, /* ja */
    {"调查", C_PURPOSE, false}, /* zh */
    {"연구", C_PURPOSE, false}, /* ko */
    /* a way out */
    {"opt-out", C_OPTOUT, false},
    {"opt out", C_OPTOUT, false},
    {"optout", C_OPTOUT, false},
    {"exclude", C_OPTOUT, false},
    {"exclusion", C_OPTOUT, false},
    {"do not scan", C_OPTOUT, false},
    {"blocklist", C_OPTOUT, false},
    {"unsubscribe", C_OPTOUT, false},
    {"ausschlie", C_OPTOUT, false},    /* de ausschließen */
    {"ausnehmen", C_OPTOUT, false},    /* de */
    {"widerspr", C_OPTOUT, false},     /* de widersprechen, Widerspruch */
    {"exclure", C_OPTOUT, false},      /* fr */
    {"désinscri", C_OPTOUT, false},    /* fr */
    {"excluir", C_OPTOUT, false},      /* es, pt */
    {"exclusión", C_OPTOUT, false},    /* es */
    {"escludere", C_OPTOUT, false},    /* it */
    {"esclusione", C_OPTOUT, false},   /* it */
    {"uitsluiten", C_OPTOUT, false},   /* nl */
    {"wyłącz", C_OPTOUT, false},       /* pl */
    {"исключ", C_OPTOUT, false},       /* ru */
    {"除外", C_OPTOUT, false},         /* ja */
    {"オプトアウト", C_OPTOUT, false}, /* ja */
    {"排除", C_OPTOUT, false},         /* zh */
    {"退出", C_OPTOUT, false},         /* zh */
    {"제외", C_OPTOUT, false},         /* ko */
    /* contact (evidence only) */
    {"contact", C_CONTACT, false},
    {"abuse", C_CONTACT, false},
    {"kontakt", C_CONTACT, false},    /* de, pl */
    {"contacto", C_CONTACT, false},   /* es */
    {"contato", C_CONTACT, false},    /* pt */
    {"контакт", C_CONTACT, false},    /* ru */
    {"問い合わせ", C_CONTACT, false}, /* ja */
    {"連絡", C_CONTACT, false},       /* ja */
    {"联系", C_CONTACT, false},       /* zh */
    {"문의", C_CONTACT, false},       /* ko */
};

static bool is_ascii_letter(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* skip_block - after "<script" or "<style", the index past its closing tag (or n). */
static size_t skip_block(const uint8_t *b, size_t n, size_t i, const char *name)
{
    size_t nl = strlen(name);
    for (; i + nl + 2 <= n; i++) {
        if (b[i] == '<' && b[i + 1] == '/' && strncasecmp((const char *)b + i + 2, name, nl) == 0)
            break;
    }
    while (i < n && b[i] != '>')
        i++;
    return i < n ? i + 1 : n;
}

/* entity - a few named and numeric ASCII entities at b[i] ('&'); *used bytes; 0 when none. */
static char entity(const uint8_t *b, size_t n, size_t i, size_t *used)
{
    static const struct {
        const char *name;
        char c;
    } names[] = {{"&amp;", '&'},  {"&lt;", '<'},    {"&gt;", '>'},   {"&quot;", '"'},
                 {"&#39;", '\''}, {"&apos;", '\''}, {"&nbsp;", ' '}, {"&#45;", '-'}};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t l = strlen(names[k].name);
        if (i + l <= n && strncasecmp((const char *)b + i, names[k].name, l) == 0) {
            *used = l;
            return names[k].c;
        }
    }
    return 0;
}

/*
 * page_text - the text of an HTML (or plain) page: tags as blanks, script/style dropped,
 * entities decoded, ASCII lower-cased, runs of blanks as one. malloc'd (n + 1 bytes).
 */
static char *page_text(const uint8_t *b, size_t n, size_t *out_len)
{
    char *t = malloc(n + 1);
    if (t == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = b[i];
        char add;
        if (c == '<') {
            if (i + 7 <= n && strncasecmp((const char *)b + i, "<script", 7) == 0) {
                i = skip_block(b, n, i + 7, "script");
                add = ' ';
            } else if (i + 6 <= n && strncasecmp((const char *)b + i, "<style", 6) == 0) {
                i = skip_block(b, n, i + 6, "style");
                add = ' ';
            } else {
                /* keep attribute values (a meta description), drop the markup around them */
                add = ' ';
                i++;
            }
        } else if (c == '>' || c == '=' || c == '"' || c == '\t' || c == '\r' || c == '\n') {
            add = ' ';
            i++;
        } else if (c == '&') {
            size_t used;
            char e = entity(b, n, i, &used);
            if (e != 0) {
                add = e;
                i += used;
            } else {
                add = '&';
                i++;
            }
        } else {
            add = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : (char)c;
            i++;
        }
        if (add == ' ' && (o == 0 || t[o - 1] == ' '))
            continue;
        t[o++] = add;
    }
    t[o] = '\0';
    *out_len = o;
    return t;
}

/* title - the <title> of the page into buf: blanks collapsed, entities decoded, cut whole. */
static void page_title(const uint8_t *b, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t i = 0;
    for (; i + 6 <= n; i++) {
        if (b[i] == '<' && strncasecmp((const char *)b + i, "<title", 6) == 0 &&
            (i + 6 == n || b[i + 6] == '>' || b[i + 6] == ' '))
            break;
    }
    if (i + 6 > n)
        return;
    while (i < n && b[i] != '>')
        i++;
    i++;
    size_t o = 0;
    for (; i < n && b[i] != '<' && o + 1 < size;) {
        unsigned char c = b[i];
        char add;
        size_t used = 1;
        if (c == '&') {
            add = entity(b, n, i, &used);
            if (add == 0) {
                add = '&';
                used = 1;
            }
        } else if (c < 0x20 || c == 0x7f) {
            add = ' ';
        } else {
            add = (char)c;
        }
        i += used;
        if (add == ' ' && (o == 0 || buf[o - 1] == ' '))
            continue;
        buf[o++] = add;
    }
    while (o > 0 && buf[o - 1] == ' ')
        o--;
    /* a cut must not split a UTF-8 sequence */
    if (i < n && b[i] != '<') {
        while (o > 0 && ((unsigned char)buf[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0 && ((unsigned char)buf[o - 1] & 0x80))
            o--;
    }
    buf[o] = '\0';
}

/* word_char - part of a word: ASCII letters and digits, '-', and any non-ASCII byte. */
static bool word_char(unsigned char c)
{
    return is_ascii_letter(c) || (c >= '0' && c <= '9') || c == '-' || c >= 0x80;
}

/*
 * found - where keyword k occurs in t (a word start for Latin keywords), or -1; *end is where
 * the page's word ends (the keyword itself for non-Latin ones).
 */
static long found(const char *t, size_t n, const keyword *k, size_t *end)
{
    size_t kl = strlen(k->text);
    bool latin = is_ascii_letter((unsigned char)k->text[0]);
    for (const char *p = t; (size_t)(p - t) + kl <= n;) {
        const char *hit = memmem(p, n - (size_t)(p - t), k->text, kl);
        if (hit == NULL)
            return -1;
        size_t at = (size_t)(hit - t);
        bool start_ok = !latin || at == 0 || !is_ascii_letter((unsigned char)t[at - 1]);
        bool end_ok = !k->whole || at + kl == n || !is_ascii_letter((unsigned char)t[at + kl]);
        if (start_ok && end_ok) {
            size_t e = at + kl;
            while (latin && e < n && word_char((unsigned char)t[e]))
                e++;
            *end = e;
            return (long)at;
        }
        p = hit + 1;
    }
    return -1;
}

/* add_word - t[at, end) into out's matched words, unless it is there (cut whole, at 47). */
static void add_word(ds_disclosure *out, const char *t, size_t at, size_t end)
{
    char w[48];
    size_t n = end - at;
    if (n >= sizeof(w)) {
        n = sizeof(w) - 1;
        while (n > 0 && ((unsigned char)t[at + n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
    }
    memcpy(w, t + at, n);
    w[n] = '\0';
    for (size_t i = 0; i < out->n_matched; i++) {
        if (strcmp(out->matched[i], w) == 0)
            return;
    }
    if (out->n_matched < DS_DISCLOSURE_MAX_WORDS)
        memcpy(out->matched[out->n_matched++], w, n + 1);
}

void ds_disclosure_check(const uint8_t *body, size_t len, ds_disclosure *out)
{
    memset(out, 0, sizeof(*out));
    page_title(body, len, out->title, sizeof(out->title));
    size_t n;
    char *t = page_text(body, len, &n);
    if (t == NULL)
        return;
    bool seen[4] = {false, false, false, false};
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        size_t end = 0;
        long at = found(t, n, &keywords[i], &end);
        if (at < 0)
            continue;
        seen[keywords[i].c] = true;
        add_word(out, t, (size_t)at, end);
    }
    free(t);
    out->documented = seen[C_SCAN] && (seen[C_PURPOSE] || seen[C_OPTOUT]);
}
