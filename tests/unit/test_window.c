/*
 * test_window.c - windows of T (include/darkscan/window.h): boundaries, leap years, ISO
 * weeks, negative times, N-second windows, labels and their inverse, RFC 3339 times.
 *
 * The whole suite runs once per time zone (UTC, Asia/Tokyo, America/St_Johns and the same
 * offsets as POSIX TZ strings that need no tzdata), set with setenv + tzset: the results must
 * not change. glibc's gmtime_r and strftime("%G-W%V") serve as an independent oracle here;
 * the library itself never calls them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darkscan/darkscan.h"

#define NS 1000000000LL

static ds_window_spec spec_of(const char *text)
{
    ds_window_spec spec;
    ds_error err;
    if (ds_window_parse(text, &spec, &err) != DS_OK)
        fail_msg("%s: %s", text, err.msg);
    return spec;
}

static const char *label_at(const char *unit, int64_t ts_ns)
{
    static char buf[4][32];
    static unsigned next;
    ds_window_spec spec = spec_of(unit);
    char *b = buf[next++ % 4];
    return ds_window_label(&spec, ds_window_of(&spec, ts_ns), b, 32);
}

/* Unix seconds of a UTC date and time, from the oracle (timegm ignores TZ). */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

static void test_month_boundary(void **state)
{
    int64_t aug = utc(2018, 8, 1, 0, 0, 0);
    assert_int_equal(aug, 1533081600);
    assert_string_equal(label_at("month", aug * NS - 1), "2018-07");
    assert_string_equal(label_at("month", aug * NS), "2018-08");
    char buf[32];
    assert_string_equal(ds_format_time(aug * NS - 1, buf, sizeof(buf)),
                        "2018-07-31T23:59:59.999999999Z");
    ds_window_spec month = spec_of("month");
    int64_t id = ds_window_of(&month, aug * NS - 1);
    assert_int_equal(id, (2018 - 1970) * 12 + 6);
    assert_int_equal(ds_window_end_ns(&month, id), aug * NS);
    assert_int_equal(ds_window_start_ns(&month, id), utc(2018, 7, 1, 0, 0, 0) * NS);
    assert_string_equal(label_at("week", aug * NS), "2018-W31");
    assert_string_equal(label_at("day", aug * NS - 1), "2018-07-31");
    assert_string_equal(label_at("hour", aug * NS - 1), "2018-07-31T23");
    assert_string_equal(label_at("600s", aug * NS - 1), "2018-07-31T23:50:00Z");
    assert_string_equal(label_at("hour", utc(2018, 7, 1, 13, 20, 0) * NS), "2018-07-01T13");
}

static void test_leap_years(void **state)
{
    int64_t id;
    ds_window_spec day = spec_of("day");
    ds_error err;
    assert_int_equal(ds_window_parse_label(&day, "2000-02-29", &id, NULL), DS_OK);
    assert_int_equal(id, utc(2000, 2, 29, 0, 0, 0) / 86400);
    assert_int_equal(ds_window_parse_label(&day, "2024-02-29", &id, NULL), DS_OK);
    assert_int_equal(ds_window_parse_label(&day, "1900-02-29", &id, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "no such day"));
    assert_int_equal(ds_window_parse_label(&day, "2100-02-29", &id, NULL), DS_ERR_FORMAT);
    assert_int_equal(ds_window_parse_label(&day, "2019-02-29", &id, NULL), DS_ERR_FORMAT);
    assert_string_equal(label_at("day", utc(2000, 2, 28, 12, 0, 0) * NS + 86400 * NS),
                        "2000-02-29");
    assert_string_equal(label_at("day", utc(1900, 2, 28, 12, 0, 0) * NS + 86400 * NS),
                        "1900-03-01");
    assert_string_equal(label_at("day", utc(2024, 2, 28, 0, 0, 0) * NS + 86400 * NS), "2024-02-29");
    /* February's length as a month window. */
    ds_window_spec month = spec_of("month");
    int64_t feb;
    assert_int_equal(ds_window_parse_label(&month, "2000-02", &feb, NULL), DS_OK);
    assert_int_equal(ds_window_end_ns(&month, feb) - ds_window_start_ns(&month, feb),
                     29 * 86400 * NS);
    assert_int_equal(ds_window_parse_label(&month, "1900-02", &feb, NULL), DS_OK);
    assert_int_equal(ds_window_end_ns(&month, feb) - ds_window_start_ns(&month, feb),
                     28 * 86400 * NS);
}

static void expect_week(int y, int m, int d, const char *label)
{
    const char *got = label_at("week", utc(y, m, d, 12, 0, 0) * NS);
    if (strcmp(got, label) != 0)
        fail_msg("%04d-%02d-%02d: week %s, expected %s", y, m, d, got, label);
}

static void test_iso_weeks(void **state)
{
    expect_week(2018, 12, 31, "2019-W01");
    expect_week(2018, 12, 30, "2018-W52");
    expect_week(2018, 7, 1, "2018-W26");
    expect_week(2018, 7, 2, "2018-W27");
    expect_week(2016, 1, 3, "2015-W53");
    expect_week(2021, 1, 3, "2020-W53");
    expect_week(2021, 1, 4, "2021-W01");
    expect_week(2022, 1, 2, "2021-W52");
    expect_week(2026, 12, 31, "2026-W53");
    expect_week(1970, 1, 1, "1970-W01");
    expect_week(1969, 12, 29, "1970-W01");
    expect_week(1969, 12, 28, "1969-W52");
    expect_week(2008, 12, 29, "2009-W01");
    expect_week(2010, 1, 3, "2009-W53");

    ds_window_spec week = spec_of("week");
    int64_t id;
    ds_error err;
    assert_int_equal(ds_window_parse_label(&week, "1970-W01", &id, NULL), DS_OK);
    assert_int_equal(id, 0);
    /* Weeks start on Monday, 00:00 UTC. */
    assert_int_equal(ds_window_parse_label(&week, "2019-W01", &id, NULL), DS_OK);
    assert_int_equal(ds_window_start_ns(&week, id), utc(2018, 12, 31, 0, 0, 0) * NS);
    assert_int_equal(ds_window_end_ns(&week, id), utc(2019, 1, 7, 0, 0, 0) * NS);
    const char *ok[] = {"2015-W53", "2020-W53", "2021-W52", "2004-W53",
                        "2026-W53", "0000-W01", "9999-W52"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (ds_window_parse_label(&week, ok[i], &id, &err) != DS_OK)
            fail_msg("%s: %s", ok[i], err.msg);
        char buf[32];
        assert_string_equal(ds_window_label(&week, id, buf, sizeof(buf)), ok[i]);
    }
    assert_int_equal(ds_window_parse_label(&week, "2021-W53", &id, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "52 weeks"));
    assert_int_equal(ds_window_parse_label(&week, "2018-W54", &id, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_window_parse_label(&week, "2018-W53", &id, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_window_parse_label(&week, "2018-W00", &id, &err), DS_ERR_FORMAT);
    assert_int_equal(ds_window_parse_label(&week, "2020-W54", &id, &err), DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "53 weeks"));
}

static void test_negative_times(void **state)
{
    assert_string_equal(label_at("month", -1), "1969-12");
    assert_string_equal(label_at("week", -1), "1970-W01");
    assert_string_equal(label_at("day", -1), "1969-12-31");
    assert_string_equal(label_at("hour", -1), "1969-12-31T23");
    assert_string_equal(label_at("600s", -1), "1969-12-31T23:50:00Z");
    assert_string_equal(label_at("7s", -1), "1969-12-31T23:59:53Z");
    assert_string_equal(label_at("day", -86400 * NS), "1969-12-31");
    assert_string_equal(label_at("day", -86400 * NS - 1), "1969-12-30");
    ds_window_spec day = spec_of("day");
    assert_int_equal(ds_window_of(&day, -1), -1);
    assert_int_equal(ds_window_of(&day, -86400 * NS), -1);
    assert_int_equal(ds_window_of(&day, -86400 * NS - 1), -2);
    assert_int_equal(ds_window_start_ns(&day, -1), -86400 * NS);
    char buf[32];
    assert_string_equal(ds_format_time(-1, buf, sizeof(buf)), "1969-12-31T23:59:59.999999999Z");
    assert_string_equal(ds_format_time(0, buf, sizeof(buf)), "1970-01-01T00:00:00.000000000Z");
    assert_string_equal(ds_format_time(INT64_MAX, buf, sizeof(buf)),
                        "2262-04-11T23:47:16.854775807Z");
    assert_string_equal(ds_format_time(INT64_MIN, buf, sizeof(buf)),
                        "1677-09-21T00:12:43.145224192Z");
    assert_string_equal(ds_format_time(utc(1900, 3, 1, 4, 5, 6) * NS + 7, buf, sizeof(buf)),
                        "1900-03-01T04:05:06.000000007Z");
}

/* N-second windows, N not dividing a day: aligned to the epoch, not to midnight. */
static void test_seconds_windows(void **state)
{
    ds_window_spec s7 = spec_of("7s");
    assert_int_equal(ds_window_of(&s7, 0), 0);
    assert_int_equal(ds_window_of(&s7, 7 * NS - 1), 0);
    assert_int_equal(ds_window_of(&s7, 7 * NS), 1);
    assert_int_equal(ds_window_of(&s7, -1), -1);
    assert_int_equal(ds_window_of(&s7, -7 * NS), -1);
    assert_int_equal(ds_window_of(&s7, -7 * NS - 1), -2);
    /* 86400 = 7 * 12342 + 6: the window holding 1970-01-02T00:00:00 began 6 s before. */
    assert_string_equal(label_at("7s", 86400 * NS), "1970-01-01T23:59:54Z");
    assert_string_equal(label_at("86401s", 86401 * NS), "1970-01-02T00:00:01Z");
    assert_string_equal(label_at("86401s", 2 * 86401 * NS - 1), "1970-01-02T00:00:01Z");
    ds_window_spec s600 = spec_of("600s");
    int64_t id;
    ds_error err;
    assert_int_equal(ds_window_parse_label(&s600, "2018-07-01T13:20:00Z", &id, NULL), DS_OK);
    assert_int_equal(ds_window_start_ns(&s600, id), utc(2018, 7, 1, 13, 20, 0) * NS);
    assert_int_equal(ds_window_parse_label(&s600, "2018-07-01T13:25:00Z", &id, &err),
                     DS_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "not the start of a window"));
    ds_window_spec s7b = spec_of("7s");
    assert_int_equal(ds_window_parse_label(&s7b, "1970-01-01T23:59:54Z", &id, NULL), DS_OK);
    assert_int_equal(id, 12342);
    assert_int_equal(ds_window_parse_label(&s7b, "1970-01-01T23:59:55Z", &id, NULL), DS_ERR_FORMAT);
}

static void test_parse_spec(void **state)
{
    const char *good[] = {"month", "week", "day", "hour", "1s", "3600s", "86401s", "10000000000s"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ds_window_spec spec = spec_of(good[i]);
        char name[32];
        assert_string_equal(ds_window_spec_name(&spec, name, sizeof(name)), good[i]);
    }
    assert_int_equal(spec_of("3600s").unit, DS_WINDOW_SECONDS);
    assert_int_equal(spec_of("3600s").seconds, 3600);
    assert_int_equal(spec_of("month").unit, DS_WINDOW_MONTH);
    const char *bad[] = {"",    "s",     "0s",     "-5s", "05s", "5",    "5 s", " 5s",
                         "5s ", "Month", "months", "1h",  "5S",  "1e3s", "+5s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ds_window_spec spec;
        ds_error err;
        if (ds_window_parse(bad[i], &spec, &err) != DS_ERR_FORMAT)
            fail_msg("'%s' was accepted as a window", bad[i]);
        assert_non_null(strstr(err.msg, "expected month, week, day, hour or <N>s"));
    }
    ds_window_spec spec;
    ds_error err;
    assert_int_equal(ds_window_parse("10000000001s", &spec, &err), DS_ERR_INVALID);
    assert_int_equal(ds_window_parse("99999999999999999999999s", &spec, &err), DS_ERR_INVALID);
}

static void test_bad_labels(void **state)
{
    static const struct {
        const char *unit, *label;
    } bad[] = {
        {"month", "2018-13"},
        {"month", "2018-00"},
        {"month", "2018-7"},
        {"month", "18-07"},
        {"month", "2018-07 "},
        {"month", "2018-07-01"},
        {"month", "2018/07"},
        {"month", ""},
        {"month", "out-of-range"},
        {"month", "+018-07"},
        {"week", "2018-w27"},
        {"week", "2018-W7"},
        {"week", "2018W27"},
        {"week", "2018-W27-1"},
        {"day", "2018-07-32"},
        {"day", "2018-06-31"},
        {"day", "2018-07-00"},
        {"day", "2018-7-01"},
        {"hour", "2018-07-01T24"},
        {"hour", "2018-07-01t13"},
        {"hour", "2018-07-01 13"},
        {"hour", "2018-07-01T1"},
        {"600s", "2018-07-01T13:20:00"},
        {"600s", "2018-07-01T13:20:00z"},
        {"600s", "2018-07-01T13:20:00.000Z"},
        {"1s", "2018-07-01T13:20:60Z"},
        {"1s", "2018-07-01T13:60:00Z"},
        {"1s", "2018-07-01T13:20:00+00:00"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ds_window_spec spec = spec_of(bad[i].unit);
        int64_t id = 12345;
        ds_error err;
        if (ds_window_parse_label(&spec, bad[i].label, &id, &err) != DS_ERR_FORMAT)
            fail_msg("'%s' was accepted as a %s label", bad[i].label, bad[i].unit);
        assert_int_equal(id, 12345);
        assert_non_null(strstr(err.msg, "window label"));
    }
    ds_window_spec month = spec_of("month");
    int64_t id;
    ds_error err;
    ds_window_parse_label(&month, "2018-13", &id, &err);
    assert_string_equal(err.msg, "'2018-13' is not a month window label (YYYY-MM): no such month");
}

/*
 * id -> label -> id, and label order = id order, across the whole int64 nanosecond range;
 * low and high are the first and last labels (years 0000 and 9999).
 */
static void round_trip(const char *unit, int64_t step, const char *low, const char *high)
{
    ds_window_spec spec = spec_of(unit);
    int64_t first = ds_window_of(&spec, INT64_MIN), last = ds_window_of(&spec, INT64_MAX);
    char prev[32] = "";
    for (int64_t id = first; id <= last; id += step) {
        char label[32];
        ds_window_label(&spec, id, label, sizeof(label));
        int64_t back;
        ds_error err;
        if (ds_window_parse_label(&spec, label, &back, &err) != DS_OK)
            fail_msg("%s %lld: label '%s': %s", unit, (long long)id, label, err.msg);
        if (back != id)
            fail_msg("%s %lld -> '%s' -> %lld", unit, (long long)id, label, (long long)back);
        if (strcmp(prev, label) >= 0)
            fail_msg("%s: '%s' does not sort after '%s'", unit, label, prev);
        strcpy(prev, label);
        if (last - id < step)
            break;
    }
    /* The ends of the label range, and just beyond. */
    int64_t lo, hi;
    assert_int_equal(ds_window_parse_label(&spec, low, &lo, NULL), DS_OK);
    char buf[32];
    assert_string_equal(ds_window_label(&spec, lo, buf, sizeof(buf)), low);
    assert_string_equal(ds_window_label(&spec, lo - 1, buf, sizeof(buf)), "out-of-range");
    {
        assert_int_equal(ds_window_parse_label(&spec, high, &hi, NULL), DS_OK);
        assert_string_equal(ds_window_label(&spec, hi, buf, sizeof(buf)), high);
        assert_string_equal(ds_window_label(&spec, hi + 1, buf, sizeof(buf)), "out-of-range");
    }
    assert_string_equal(ds_window_label(&spec, INT64_MAX, buf, sizeof(buf)), "out-of-range");
    assert_string_equal(ds_window_label(&spec, INT64_MIN, buf, sizeof(buf)), "out-of-range");
    /* Saturation instead of overflow far away. */
    assert_int_equal(ds_window_start_ns(&spec, INT64_MAX), INT64_MAX);
    assert_int_equal(ds_window_end_ns(&spec, INT64_MAX), INT64_MAX);
    assert_int_equal(ds_window_start_ns(&spec, INT64_MIN), INT64_MIN);
}

static void test_round_trips(void **state)
{
    round_trip("month", 1, "0000-01", "9999-12");
    round_trip("week", 1, "0000-W01", "9999-W52");
    round_trip("day", 1, "0000-01-01", "9999-12-31");
    round_trip("hour", 7, "0000-01-01T00", "9999-12-31T23");
    round_trip("3600s", 13, "0000-01-01T00:00:00Z", "9999-12-31T23:00:00Z");
    round_trip("7s", 1000003, "0000-01-01T00:00:02Z", "9999-12-31T23:59:55Z");
    round_trip("86401s", 1, "0000-01-01T16:08:01Z", "9999-12-31T22:41:03Z");
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static int64_t random_ts(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (int64_t)rng;
}

/* Random times against gmtime_r/strftime, and start <= ts < end = start of the next. */
static void test_against_gmtime(void **state)
{
    const char *units[] = {"month", "week", "day", "hour", "1s", "600s", "7s", "86401s"};
    for (int i = 0; i < 60000; i++) {
        int64_t ts = random_ts();
        if (i % 4 == 0)
            ts %= 4000000000LL * NS; /* more weight on 1843..2096 */
        time_t secs = (time_t)(ts >= 0 ? ts / NS : -((-(ts + 1)) / NS) - 1);
        struct tm tm;
        assert_non_null(gmtime_r(&secs, &tm));
        char want[4][32];
        strftime(want[0], sizeof(want[0]), "%Y-%m", &tm);
        strftime(want[1], sizeof(want[1]), "%G-W%V", &tm);
        strftime(want[2], sizeof(want[2]), "%Y-%m-%d", &tm);
        strftime(want[3], sizeof(want[3]), "%Y-%m-%dT%H", &tm);
        for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
            ds_window_spec spec = spec_of(units[u]);
            int64_t id = ds_window_of(&spec, ts);
            int64_t start = ds_window_start_ns(&spec, id), end = ds_window_end_ns(&spec, id);
            if (!(start <= ts && (ts < end || end == INT64_MAX)))
                fail_msg("%s: ts %lld not in [%lld, %lld)", units[u], (long long)ts,
                         (long long)start, (long long)end);
            if (start != INT64_MIN)
                assert_int_equal(ds_window_of(&spec, start), id);
            if (end != INT64_MAX) {
                assert_int_equal(ds_window_of(&spec, end), id + 1);
                assert_int_equal(ds_window_start_ns(&spec, id + 1), end);
            }
            char label[32];
            ds_window_label(&spec, id, label, sizeof(label));
            if (u < 4 && strcmp(label, want[u]) != 0)
                fail_msg("%s of %lld: '%s', gmtime says '%s'", units[u], (long long)ts, label,
                         want[u]);
        }
        char rfc[32], want_rfc[40];
        strftime(want_rfc, sizeof(want_rfc), "%Y-%m-%dT%H:%M:%S", &tm);
        int64_t frac = ts - (int64_t)secs * NS;
        snprintf(want_rfc + 19, sizeof(want_rfc) - 19, ".%09lldZ", (long long)frac);
        assert_string_equal(ds_format_time(ts, rfc, sizeof(rfc)), want_rfc);
    }
}

static void test_out_of_range(void **state)
{
    ds_window_spec month = spec_of("month");
    char buf[32];
    int64_t id;
    assert_int_equal(ds_window_parse_label(&month, "2262-04", &id, NULL), DS_OK);
    assert_int_equal(ds_window_end_ns(&month, id), INT64_MAX);
    assert_int_equal(ds_window_parse_label(&month, "9999-12", &id, NULL), DS_OK);
    assert_int_equal(ds_window_start_ns(&month, id), INT64_MAX);
    assert_string_equal(ds_window_label(&month, id + 1, buf, sizeof(buf)), "out-of-range");
    /* A short buffer is cut, NUL-terminated. */
    assert_string_equal(ds_window_label(&month, 0, buf, 5), "1970");
    assert_string_equal(ds_format_time(0, buf, 11), "1970-01-01");
}

static const char *const zones[] = {"UTC", "Asia/Tokyo", "America/St_Johns", "JST-9",
                                    "NST3:30NDT2:30,M3.2.0,M11.1.0"};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month_boundary),  cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_iso_weeks),       cmocka_unit_test(test_negative_times),
        cmocka_unit_test(test_seconds_windows), cmocka_unit_test(test_parse_spec),
        cmocka_unit_test(test_bad_labels),      cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_against_gmtime),  cmocka_unit_test(test_out_of_range),
    };
    int failed = 0;
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        /* The POSIX zones need no tzdata: make sure the process really is off UTC there. */
        time_t t0 = 1530450000; /* 2018-07-01T13:00:00Z */
        struct tm local;
        localtime_r(&t0, &local);
        printf("TZ=%s: 2018-07-01T13:00Z is %02d:%02d local\n", zones[z], local.tm_hour,
               local.tm_min);
        if (z >= 3 && local.tm_hour == 13 && local.tm_min == 0) {
            fprintf(stderr, "TZ=%s did not take effect\n", zones[z]);
            return 1;
        }
        failed += cmocka_run_group_tests_name(zones[z], tests, NULL, NULL);
    }
    return failed;
}
