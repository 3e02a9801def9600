/*
 * numfmt.h - number formatting shared by the writers (JSON, CSV, summary).
 */
#ifndef DS_UTIL_NUMFMT_H
#define DS_UTIL_NUMFMT_H

#include <stddef.h>

/* Room for any double printed by ds_fmt_double, with its NUL. */
#define DS_DOUBLE_BUF 32

/*
 * ds_fmt_double - the shortest decimal that reads back as exactly v ("0.8", "1", "1e-07"),
 * into buf (DS_DOUBLE_BUF bytes); "null" for NaN and infinities. Returns buf.
 */
char *ds_fmt_double(double v, char *buf);

#endif
