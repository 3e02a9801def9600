/*
 * window.c - T, the observation period cut into windows (include/darkscan/window.h).
 *
 * Everything is integer arithmetic on the Unix time in UTC: no localtime, mktime or TZ, so
 * the answer never depends on the machine's time zone. Dates use Howard Hinnant's
 * days_from_civil / civil_from_days (proleptic Gregorian calendar, any year), divisions are
 * floor divisions so that times before 1970 fall into the right window.
 *
 * Window ids: months since 1970-01; ISO weeks since the week of 1970-01-01 (which starts on
 * Monday 1969-12-29, so week id w starts on day 7w - 3 and its Thursday is day 7w); days,
 * hours and N-second periods since the epoch. Labels cover the years 0000 to 9999.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "darkscan/window.h"

#define NS_PER_S  1000000000LL
#define S_PER_DAY 86400LL

/* Days since the epoch of 0000-01-01 and 9999-12-31: the range of labels. */
#define DAY_MIN (-719528LL)
#define DAY_MAX 2932896LL

static const char OUT_OF_RANGE[] = "out-of-range";

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* a - floor_div(a, b) * b, without the overflow of that product for a near INT64_MIN. */
static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31); |y| < 10^12 keeps it exact. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* The civil date of day z since 1970-01-01. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Saturating a * b and a + b for start times far outside the int64 nanosecond range. */
static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
    return r;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b < 0 ? INT64_MIN : INT64_MAX;
    return r;
}

/* The ISO week id of day z: weeks start on Monday, 1970-01-01 was a Thursday. */
static int64_t week_of_day(int64_t z)
{
    return floor_div(z + 3, 7);
}

/* The id of ISO week 1 of ISO year y: the week holding the year's first Thursday. */
static int64_t first_week(int64_t y)
{
    int64_t jan1 = days_from_civil(y, 1, 1);
    int64_t weekday = floor_mod(jan1 + 3, 7); /* 0 = Monday .. 3 = Thursday */
    return week_of_day(jan1 + floor_mod(3 - weekday, 7));
}

ds_status ds_window_parse(const char *text, ds_window_spec *out, ds_error *err)
{
    static const struct {
        const char *name;
        ds_window_unit unit;
    } names[] = {{"month", DS_WINDOW_MONTH},
                 {"week", DS_WINDOW_WEEK},
                 {"day", DS_WINDOW_DAY},
                 {"hour", DS_WINDOW_HOUR}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(text, names[i].name) == 0) {
            out->unit = names[i].unit;
            out->seconds = 0;
            return DS_OK;
        }
    }
    size_t n = strlen(text);
    bool ok = n >= 2 && text[n - 1] == 's' && text[0] >= '1' && text[0] <= '9';
    int64_t seconds = 0;
    for (size_t i = 0; ok && i + 1 < n; i++) {
        ok = text[i] >= '0' && text[i] <= '9';
        if (!ok)
            break;
        seconds = seconds * 10 + (text[i] - '0');
        if (seconds > DS_WINDOW_MAX_SECONDS) {
            return ds_error_set(err, DS_ERR_INVALID, "window '%.40s' is too long (at most %llds)",
                                text, (long long)DS_WINDOW_MAX_SECONDS);
        }
    }
    if (!ok)
        return ds_error_set(err, DS_ERR_FORMAT,
                            "'%.40s' is not a window: expected month, week, day, hour or <N>s "
                            "with N >= 1 (e.g. 3600s)",
                            text);
    out->unit = DS_WINDOW_SECONDS;
    out->seconds = seconds;
    return DS_OK;
}

char *ds_window_spec_name(const ds_window_spec *spec, char *buf, size_t len)
{
    static const char *const names[] = {"month", "week", "day", "hour"};
    if (len == 0)
        return buf;
    if (spec->unit == DS_WINDOW_SECONDS)
        snprintf(buf, len, "%llds", (long long)spec->seconds);
    else if ((unsigned)spec->unit < 4)
        snprintf(buf, len, "%s", names[spec->unit]);
    else
        snprintf(buf, len, "?");
    return buf;
}

/* The window length of a seconds spec; 1 for a spec that ds_window_parse would not make. */
static int64_t spec_seconds(const ds_window_spec *spec)
{
    return spec->seconds >= 1 ? spec->seconds : 1;
}

int64_t ds_window_of(const ds_window_spec *spec, int64_t ts_ns)
{
    int64_t secs = floor_div(ts_ns, NS_PER_S);
    switch (spec->unit) {
    case DS_WINDOW_MONTH: {
        int64_t y;
        unsigned m, d;
        civil_from_days(floor_div(secs, S_PER_DAY), &y, &m, &d);
        return (y - 1970) * 12 + (m - 1);
    }
    case DS_WINDOW_WEEK:
        return week_of_day(floor_div(secs, S_PER_DAY));
    case DS_WINDOW_DAY:
        return floor_div(secs, S_PER_DAY);
    case DS_WINDOW_HOUR:
        return floor_div(secs, 3600);
    case DS_WINDOW_SECONDS:
        return floor_div(secs, spec_seconds(spec));
    }
    return 0;
}

/* Start of window id in seconds since the epoch, saturating. */
static int64_t window_start_s(const ds_window_spec *spec, int64_t id)
{
    switch (spec->unit) {
    case DS_WINDOW_MONTH: {
        int64_t y = 1970 + floor_div(id, 12);
        if (y > 1000000000000LL)
            return INT64_MAX;
        if (y < -1000000000000LL)
            return INT64_MIN;
        return sat_mul(days_from_civil(y, (unsigned)floor_mod(id, 12) + 1, 1), S_PER_DAY);
    }
    case DS_WINDOW_WEEK:
        return sat_mul(sat_add(sat_mul(id, 7), -3), S_PER_DAY);
    case DS_WINDOW_DAY:
        return sat_mul(id, S_PER_DAY);
    case DS_WINDOW_HOUR:
        return sat_mul(id, 3600);
    case DS_WINDOW_SECONDS:
        return sat_mul(id, spec_seconds(spec));
    }
    return 0;
}

int64_t ds_window_start_ns(const ds_window_spec *spec, int64_t id)
{
    return sat_mul(window_start_s(spec, id), NS_PER_S);
}

int64_t ds_window_end_ns(const ds_window_spec *spec, int64_t id)
{
    return id == INT64_MAX ? INT64_MAX : ds_window_start_ns(spec, id + 1);
}

/* "YYYY-MM-DD" of day z followed by rest, into buf. */
static char *format_day(char *buf, size_t len, int64_t z, const char *rest)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(z, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02u%s", (long long)y, m, d, rest);
    return buf;
}

char *ds_window_label(const ds_window_spec *spec, int64_t id, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    switch (spec->unit) {
    case DS_WINDOW_MONTH: {
        int64_t y = 1970 + floor_div(id, 12);
        if (y < 0 || y > 9999)
            break;
        snprintf(buf, len, "%04lld-%02lld", (long long)y, (long long)floor_mod(id, 12) + 1);
        return buf;
    }
    case DS_WINDOW_WEEK: {
        if (id < DAY_MIN / 7 - 1 || id > DAY_MAX / 7 + 1)
            break;
        int64_t thursday = id * 7, y;
        unsigned m, d;
        civil_from_days(thursday, &y, &m, &d);
        if (y < 0 || y > 9999)
            break;
        int64_t week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
        snprintf(buf, len, "%04lld-W%02lld", (long long)y, (long long)week);
        return buf;
    }
    case DS_WINDOW_DAY:
        if (id < DAY_MIN || id > DAY_MAX)
            break;
        return format_day(buf, len, id, "");
    case DS_WINDOW_HOUR: {
        int64_t z = floor_div(id, 24);
        if (z < DAY_MIN || z > DAY_MAX)
            break;
        char rest[32];
        snprintf(rest, sizeof(rest), "T%02lld", (long long)floor_mod(id, 24));
        return format_day(buf, len, z, rest);
    }
    case DS_WINDOW_SECONDS: {
        int64_t start;
        if (__builtin_mul_overflow(id, spec_seconds(spec), &start))
            break;
        int64_t z = floor_div(start, S_PER_DAY), sod = floor_mod(start, S_PER_DAY);
        if (z < DAY_MIN || z > DAY_MAX)
            break;
        char rest[48];
        snprintf(rest, sizeof(rest), "T%02lld:%02lld:%02lldZ", (long long)(sod / 3600),
                 (long long)(sod / 60 % 60), (long long)(sod % 60));
        return format_day(buf, len, z, rest);
    }
    }
    snprintf(buf, len, "%s", OUT_OF_RANGE);
    return buf;
}

/* Exactly `count` decimal digits at s[*pos]; advances *pos. */
static bool digits(const char *s, size_t *pos, int count, int64_t *value)
{
    int64_t v = 0;
    for (int i = 0; i < count; i++) {
        char c = s[*pos];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
        (*pos)++;
    }
    *value = v;
    return true;
}

static bool literal(const char *s, size_t *pos, char c)
{
    if (s[*pos] != c)
        return false;
    (*pos)++;
    return true;
}

/* "YYYY-MM-DD" at s[*pos] into a day number; why gets the reason on failure. */
static bool parse_date(const char *s, size_t *pos, int64_t *day, const char **why)
{
    int64_t y, m, d;
    if (!digits(s, pos, 4, &y) || !literal(s, pos, '-') || !digits(s, pos, 2, &m) ||
        !literal(s, pos, '-') || !digits(s, pos, 2, &d)) {
        *why = "malformed";
        return false;
    }
    if (m < 1 || m > 12) {
        *why = "no such month";
        return false;
    }
    if (d < 1 || d > days_in_month(y, (unsigned)m)) {
        *why = "no such day in that month";
        return false;
    }
    *day = days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

ds_status ds_window_parse_label(const ds_window_spec *spec, const char *label, int64_t *id,
                                ds_error *err)
{
    static const char *const forms[] = {"YYYY-MM", "YYYY-Www", "YYYY-MM-DD", "YYYY-MM-DDTHH",
                                        "YYYY-MM-DDTHH:MM:SSZ"};
    const char *why = "malformed";
    size_t pos = 0;
    int64_t result = 0;
    bool ok = false;
    switch (spec->unit) {
    case DS_WINDOW_MONTH: {
        int64_t y = 0, m = 0;
        ok = digits(label, &pos, 4, &y) && literal(label, &pos, '-') && digits(label, &pos, 2, &m);
        if (ok && (m < 1 || m > 12)) {
            why = "no such month";
            ok = false;
        }
        result = (y - 1970) * 12 + (m - 1);
        break;
    }
    case DS_WINDOW_WEEK: {
        int64_t y = 0, w = 0;
        ok = digits(label, &pos, 4, &y) && literal(label, &pos, '-') && literal(label, &pos, 'W') &&
             digits(label, &pos, 2, &w);
        if (ok) {
            int64_t first = first_week(y), weeks = first_week(y + 1) - first;
            if (w < 1 || w > weeks) {
                why = weeks == 53 ? "the ISO year has 53 weeks" : "the ISO year has 52 weeks";
                ok = false;
            }
            result = first + w - 1;
        }
        break;
    }
    case DS_WINDOW_DAY:
        ok = parse_date(label, &pos, &result, &why);
        break;
    case DS_WINDOW_HOUR: {
        int64_t day = 0, h = 0;
        ok = parse_date(label, &pos, &day, &why);
        if (ok) {
            ok = literal(label, &pos, 'T') && digits(label, &pos, 2, &h);
            if (ok && h > 23) {
                why = "no such hour";
                ok = false;
            }
            result = day * 24 + h;
        }
        break;
    }
    case DS_WINDOW_SECONDS: {
        int64_t day = 0, h = 0, mi = 0, s = 0;
        ok = parse_date(label, &pos, &day, &why);
        if (ok) {
            ok = literal(label, &pos, 'T') && digits(label, &pos, 2, &h) &&
                 literal(label, &pos, ':') && digits(label, &pos, 2, &mi) &&
                 literal(label, &pos, ':') && digits(label, &pos, 2, &s) &&
                 literal(label, &pos, 'Z');
            if (ok && (h > 23 || mi > 59 || s > 59)) {
                why = "no such time of day";
                ok = false;
            }
            int64_t start = day * S_PER_DAY + h * 3600 + mi * 60 + s;
            if (ok && floor_mod(start, spec_seconds(spec)) != 0) {
                why = "not the start of a window of that length";
                ok = false;
            }
            result = floor_div(start, spec_seconds(spec));
        }
        break;
    }
    default:
        return ds_error_set(err, DS_ERR_INVALID, "invalid window unit %d", (int)spec->unit);
    }
    if (ok && label[pos] != '\0') {
        why = "unexpected text after the label";
        ok = false;
    }
    if (!ok) {
        char name[32];
        return ds_error_set(err, DS_ERR_FORMAT, "'%.40s' is not a %s window label (%s): %s", label,
                            ds_window_spec_name(spec, name, sizeof(name)), forms[spec->unit], why);
    }
    *id = result;
    return DS_OK;
}

char *ds_format_time(int64_t ts_ns, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    int64_t secs = floor_div(ts_ns, NS_PER_S), frac = floor_mod(ts_ns, NS_PER_S);
    int64_t z = floor_div(secs, S_PER_DAY), sod = floor_mod(secs, S_PER_DAY);
    int64_t y;
    unsigned m, d;
    civil_from_days(z, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ", (long long)y, m, d,
             (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60),
             (long long)frac);
    return buf;
}
