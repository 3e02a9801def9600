/*
 * html.h - writing HTML, and the SVG inside it, with every string from input escaped.
 *
 * Two kinds of text reach the page: markup that darkscan's own code spells out (tags, class
 * names, numbers), written with ds_html_raw / ds_html_rawf, and strings that come from the
 * results file (block names, organisation names, window labels, evidence), which go through
 * ds_html_text or ds_html_attr and nothing else. Escaping is the same for both contexts, so
 * that a string is safe wherever it lands (element text, a double-quoted attribute, SVG text):
 *
 *   & < > " '             -> &amp; &lt; &gt; &quot; &#39;
 *   C0 controls but TAB, LF and CR, DEL, the C1 controls U+0080..U+009F, noncharacters
 *   (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF), and every byte that is not part of valid UTF-8
 *   (overlong forms, surrogates, beyond U+10FFFF, cut sequences) -> U+FFFD, one per byte
 *
 * so the output is always valid UTF-8 that an HTML parser reads without a parse error, and no
 * input can open or close an element, an attribute or a script.
 *
 * Writes go to a FILE*; errors stay in the stream (check ferror() or fclose() at the end).
 */
#ifndef DS_REPORT_HTML_H
#define DS_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

/* ds_html_raw - markup from darkscan's own code, written as it is. */
void ds_html_raw(FILE *out, const char *markup);

/* ds_html_rawf - printf into the page; only for darkscan's own markup and for numbers. */
void ds_html_rawf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ds_html_text - s escaped as above; NULL writes nothing. */
void ds_html_text(FILE *out, const char *s);

/* ds_html_text_len - len bytes of s escaped (s may contain NUL bytes: each becomes U+FFFD). */
void ds_html_text_len(FILE *out, const char *s, size_t len);

/*
 * ds_html_attr - ` name="value"` with value escaped; name is darkscan's (a literal). A NULL
 * value writes nothing, so that optional attributes need no `if`.
 */
void ds_html_attr(FILE *out, const char *name, const char *value);

/* ds_html_elem - `<tag class="cls">text</tag>`, text escaped; cls may be NULL. */
void ds_html_elem(FILE *out, const char *tag, const char *cls, const char *text);

/*
 * ds_html_anchor - an element id from prefix and s: "block-" + "198.20.0.0/16" gives
 * "block-198-20-0-0-16". Letters and digits of s are kept (ASCII letters lowercased), every
 * other run of bytes becomes one '-'. At most cap - 1 bytes are written (the id is cut, never
 * overflows); returns buf. The result holds only [a-z0-9-], so it is safe as an id, in a
 * URL fragment and in CSS.
 */
char *ds_html_anchor(const char *prefix, const char *s, char *buf, size_t cap);

#endif
