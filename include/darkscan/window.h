/*
 * window.h - T, the observation period cut into windows: calendar months (the paper's choice),
 * ISO weeks, days, hours, or fixed N-second windows, all in UTC and independent of TZ.
 *
 * A window is named by an integer id that grows with time: months since 1970-01, ISO weeks
 * since the week of 1970-01-01, days, hours or N-second periods since the Unix epoch (negative
 * before it). A packet belongs to the window whose [start, end) contains its timestamp.
 * Nothing here reads the TZ environment variable or the local time zone.
 */
#ifndef DARKSCAN_WINDOW_H
#define DARKSCAN_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "darkscan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ds_window_unit {
    DS_WINDOW_MONTH = 0,
    DS_WINDOW_WEEK,
    DS_WINDOW_DAY,
    DS_WINDOW_HOUR,
    DS_WINDOW_SECONDS,
} ds_window_unit;

typedef struct ds_window_spec {
    ds_window_unit unit;
    int64_t seconds; /* window length for DS_WINDOW_SECONDS (>= 1), else 0 */
} ds_window_spec;

/* The longest N-second window, in seconds (about 317 years). */
#define DS_WINDOW_MAX_SECONDS 10000000000LL

/*
 * ds_window_parse - "month", "week", "day", "hour" or "<N>s" (N decimal without leading zero,
 * 1 <= N <= DS_WINDOW_MAX_SECONDS). DS_ERR_FORMAT for anything else, DS_ERR_INVALID when N
 * is too large.
 */
ds_status ds_window_parse(const char *text, ds_window_spec *out, ds_error *err);

/* ds_window_spec_name - the text ds_window_parse accepts for spec, into buf; returns buf. */
char *ds_window_spec_name(const ds_window_spec *spec, char *buf, size_t len);

/*
 * ds_window_of - the id of the window containing ts_ns (ns since the Unix epoch, UTC). The
 * functions below expect a spec made by ds_window_parse (or with a valid unit, and seconds
 * >= 1 for DS_WINDOW_SECONDS).
 */
int64_t ds_window_of(const ds_window_spec *spec, int64_t ts_ns);

/*
 * ds_window_start_ns, ds_window_end_ns - [start, end) of window id, in ns since the epoch;
 * end(id) == start(id + 1). Both saturate at INT64_MIN / INT64_MAX for windows that reach past
 * the int64 nanosecond range (1677-09-21 to 2262-04-11).
 */
int64_t ds_window_start_ns(const ds_window_spec *spec, int64_t id);
int64_t ds_window_end_ns(const ds_window_spec *spec, int64_t id);

/*
 * ds_window_label - the window's label into buf: month "2018-07", week "2018-W27" (ISO year
 * and week), day "2018-07-01", hour "2018-07-01T13", N seconds the UTC start
 * "2018-07-01T13:20:00Z". Returns buf. 32 bytes are always enough. Labels exist for windows
 * in the years 0000 to 9999 (for weeks: ISO week-years); other ids give "out-of-range".
 */
char *ds_window_label(const ds_window_spec *spec, int64_t id, char *buf, size_t len);

/*
 * ds_window_parse_label - the exact inverse of ds_window_label: accepts only what it writes
 * (fixed widths, uppercase T/W/Z, real dates: no 2018-13, 2019-02-29, 2018-W53, hour 24 or
 * second 60; an N-second label must be the start of a window). DS_ERR_FORMAT otherwise, with
 * the expected form and the reason.
 */
ds_status ds_window_parse_label(const ds_window_spec *spec, const char *label, int64_t *id,
                                ds_error *err);

/*
 * ds_format_time - RFC 3339 UTC with nanoseconds ("2018-07-01T13:20:00.123456789Z"), always
 * 30 characters; buf of at least 31 bytes (snprintf rules for a shorter one). Returns buf.
 */
char *ds_format_time(int64_t ts_ns, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
