/*
 * numfmt.c - shortest round-trip formatting of doubles (see numfmt.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/numfmt.h"

char *ds_fmt_double(double v, char *buf)
{
    if (!isfinite(v)) {
        memcpy(buf, "null", 5);
        return buf;
    }
    if (v == 0) {
        memcpy(buf, signbit(v) ? "-0" : "0", signbit(v) ? 3 : 2);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, DS_DOUBLE_BUF, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}
