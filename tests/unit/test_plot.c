/*
 * test_plot.c - the report's plotting module (plot.h): scales, the port scale's readability,
 * ticks, tick labels, marks (counted by their data-mark attribute, escaped), and port runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-9) {
        print_error("got %.12g, want %.12g\n", got, want);
        fail();
    }
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_linear_log_band(void **state)
{
    ds_scale s = ds_scale_linear(0, 10, 0, 100);
    assert_near(ds_scale_map(&s, 5), 50);
    assert_near(ds_scale_map(&s, -3), 0); /* clamped */
    assert_near(ds_scale_map(&s, 11), 100);
    s = ds_scale_linear(0, 1, 200, 0); /* a y axis: grows upwards */
    assert_near(ds_scale_map(&s, 0.25), 150);
    s = ds_scale_linear(3, 3, 0, 100); /* an empty domain maps to the middle */
    assert_near(ds_scale_map(&s, 3), 50);

    s = ds_scale_log(1, 1000, 0, 300);
    assert_near(ds_scale_map(&s, 10), 100);
    assert_near(ds_scale_map(&s, 0), 0); /* below the domain: its start */

    s = ds_scale_band(4, 0, 400, 0.2);
    assert_near(ds_scale_map(&s, 1), 110);
    assert_near(ds_scale_bandwidth(&s), 80);
    assert_near(ds_scale_center(&s, 1), 150);
    assert_near(ds_scale_center(&s, 3), 350);
}

static void test_port_scale_readable(void **state)
{
    /* a 300-pixel y axis, 0 at the bottom */
    ds_scale s = ds_scale_port(300, 0);
    double y0 = ds_scale_map(&s, 0), y22 = ds_scale_map(&s, 22), y23 = ds_scale_map(&s, 23);
    double y80 = ds_scale_map(&s, 80), y443 = ds_scale_map(&s, 443);
    double y50k = ds_scale_map(&s, 50000), y60k = ds_scale_map(&s, 60000);
    double ytop = ds_scale_map(&s, 65535);
    assert_near(y0, 300);
    assert_near(ds_scale_map(&s, 65536), 0);
    /* 22 stands well clear of 0 and of 80; even 22 and 23 do not coincide */
    assert_true(y0 - y22 >= 40);
    assert_true(y22 - y80 >= 20);
    assert_true(y80 - y443 >= 20);
    assert_true(y22 - y23 >= 0.5);
    /* 60000 stands clear of the top and of 50000 */
    assert_true(y60k - ytop >= 10);
    assert_true(y50k - y60k >= 20);
    /* strictly monotonic over every port, continuous where the two parts meet */
    for (int p = 0; p < 65535; p++)
        assert_true(ds_scale_map(&s, p + 1) < ds_scale_map(&s, p));
    assert_true(fabs(ds_scale_map(&s, 1023.9999) - ds_scale_map(&s, 1024)) < 0.01);
    assert_true(fabs(ds_scale_map(&s, 10239.9999) - ds_scale_map(&s, 10240)) < 0.01);
    /* the registered ports between keep room too */
    assert_true(ds_scale_map(&s, 1024) - ds_scale_map(&s, 3389) >= 12);
    assert_true(ds_scale_map(&s, 3389) - ds_scale_map(&s, 8080) >= 12);
}

static void assert_ticks_spaced(const ds_scale *s, const double *t, size_t n, double gap)
{
    for (size_t i = 1; i < n; i++) {
        assert_true(t[i] > t[i - 1]);
        assert_true(fabs(ds_scale_map(s, t[i]) - ds_scale_map(s, t[i - 1])) >= gap);
    }
}

static bool has_tick(const double *t, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] == v)
            return true;
    return false;
}

static void test_ticks(void **state)
{
    double t[64];
    ds_scale s = ds_scale_linear(0, 97, 300, 0);
    ds_scale_nice(&s, 5);
    assert_near(s.d0, 0);
    assert_near(s.d1, 100);
    size_t n = ds_scale_ticks(&s, 5, 0, t, 64);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_near(t[i], 20.0 * (double)i);

    s = ds_scale_linear(0.5, 1.0, 0, 500);
    n = ds_scale_ticks(&s, 5, 0, t, 64);
    assert_int_equal(n, 6);
    assert_near(t[0], 0.5);
    assert_true(fabs(t[5] - 1.0) < 1e-12);

    /* the port scale: the well-known ports and round high ports, never crowded */
    s = ds_scale_port(300, 0);
    n = ds_scale_ticks(&s, 10, 12, t, 64);
    assert_true(n >= 6);
    assert_true(has_tick(t, n, 22) && has_tick(t, n, 80) && has_tick(t, n, 1024));
    assert_true(has_tick(t, n, 60000) && has_tick(t, n, 65535));
    assert_ticks_spaced(&s, t, n, 12);
    /* squeezed into 60 pixels, fewer ticks, still 12 pixels apart */
    s = ds_scale_port(60, 0);
    size_t few = ds_scale_ticks(&s, 10, 12, t, 64);
    assert_true(few < n && few >= 2);
    assert_ticks_spaced(&s, t, few, 12);

    s = ds_scale_log(1, 1e6, 0, 600);
    n = ds_scale_ticks(&s, 5, 0, t, 64);
    assert_int_equal(n, 7);
    assert_near(t[3], 1000);
    s = ds_scale_log(3, 40, 0, 600); /* less than two decades: 2s and 5s fill in */
    n = ds_scale_ticks(&s, 5, 0, t, 64);
    assert_true(has_tick(t, n, 5) && has_tick(t, n, 10) && has_tick(t, n, 20));

    s = ds_scale_band(100, 0, 1000, 0.1);
    n = ds_scale_ticks(&s, 10, 0, t, 64);
    assert_int_equal(n, 10);
    assert_near(t[1], 10);
    n = ds_scale_ticks(&s, 10, 0, t, 3); /* never beyond cap */
    assert_int_equal(n, 3);
    /* 8,760 hourly windows on 720 pixels, labels 40 pixels apart: spread over all of them */
    s = ds_scale_band(8760, 0, 720, 0);
    n = ds_scale_ticks(&s, 8760, 40, t, 64);
    assert_true(n >= 10 && n <= 18);
    assert_true(t[n - 1] >= 8760 - 8760 / 18);
    assert_ticks_spaced(&s, t, n, 40 - 1e-9);
}

static void test_labels_and_numbers(void **state)
{
    char buf[32];
    assert_string_equal(ds_tick_number(1234567, buf, sizeof(buf), NULL), "1,234,567");
    assert_string_equal(ds_tick_number(-1000, buf, sizeof(buf), NULL), "-1,000");
    assert_string_equal(ds_tick_number(0, buf, sizeof(buf), NULL), "0");
    assert_string_equal(ds_tick_number(0.25, buf, sizeof(buf), NULL), "0.25");
    assert_string_equal(ds_tick_number(65535, buf, 4, NULL), "65,"); /* cut, terminated */

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ds_plot_num(f, 3.0);
    fputc(' ', f);
    ds_plot_num(f, 1.26);
    fputc(' ', f);
    ds_plot_num(f, -2.5);
    fputc(' ', f);
    ds_plot_num(f, -0.04);
    fputc(' ', f);
    ds_plot_num(f, NAN);
    fclose(f);
    assert_string_equal(text, "3 1.3 -2.5 0 0");
    free(text);
}

static void test_marks_counted_and_escaped(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ds_plot p;
    ds_plot_begin(&p, f, 400, 300, (ds_plot_margins){10, 10, 30, 40}, "Chart <b>\"1\"</b>",
                  "chart");
    p.x = ds_scale_band(3, p.left, p.right, 0.2);
    p.y = ds_scale_linear(0, 10, p.bot, p.top);
    double ticks[16];
    size_t nt = ds_scale_ticks(&p.y, 5, 10, ticks, 16);
    ds_plot_axis(&p, &(ds_axis){.side = DS_AXIS_LEFT,
                                .ticks = ticks,
                                .n_ticks = nt,
                                .title = "count & <more>",
                                .grid = true});
    ds_plot_data data[] = {{"block", "1.2.0.0/16\"><script>"}};
    for (size_t i = 0; i < 3; i++)
        ds_plot_bar(
            &p, i, 0, (double)i * 3,
            &(ds_plot_mark){
                .cls = "bar-a", .title = "<script>alert(1)</script>", .data = data, .n_data = 1});
    ds_plot_point(&p, 0.5, 5, 4, &(ds_plot_mark){.href = "#x\" onclick=\"y", .title = "o'k"});
    ds_plot_point(&p, 1.5, 7, 4, NULL);
    double xs[] = {0, 1, 2}, ys[] = {1, NAN, 3};
    ds_plot_line(&p, xs, ys, 3, &(ds_plot_mark){.cls = "l1"});
    ds_plot_region(&p, 0, 0, 1, 5, "ad-hoc <x>", &(ds_plot_mark){.cls = "r"});
    ds_plot_legend(&p, 50, 5, (ds_plot_legend_item[]){{"bar-a", "A <a>", false}, {"l1", "L", true}},
                   2);
    ds_plot_end(&p);
    fclose(f);

    assert_int_equal(count_of(text, "data-mark=\"bar\""), 3);
    assert_int_equal(count_of(text, "data-mark=\"point\""), 2);
    assert_int_equal(count_of(text, "data-mark=\"line\""), 1);
    assert_int_equal(count_of(text, "data-mark=\"region\""), 1);
    assert_int_equal(count_of(text, "data-mark="), 7); /* legend swatches are not marks */
    /* nothing from a string opens an element or an attribute */
    assert_null(strstr(text, "<script"));
    assert_null(strstr(text, "<b>"));
    assert_null(strstr(text, "<x>"));
    assert_null(strstr(text, "<a>"));
    assert_null(strstr(text, "\" onclick"));
    assert_non_null(strstr(text, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(text, "data-block=\"1.2.0.0/16&quot;&gt;&lt;script&gt;\""));
    assert_non_null(strstr(text, "<a href=\"#x&quot; onclick=&quot;y\"><circle"));
    assert_non_null(strstr(text, "aria-label=\"Chart &lt;b&gt;&quot;1&quot;&lt;/b&gt;\""));
    assert_non_null(strstr(text, "count &amp; &lt;more&gt;"));
    /* the NaN breaks the line into two pieces: two move-tos */
    const char *path = strstr(text, "<path d=\"");
    assert_non_null(path);
    const char *d_end = strchr(path + 9, '"');
    assert_int_equal(path[9], 'M');
    assert_int_equal(memchr(path + 10, 'M', (size_t)(d_end - path - 10)) != NULL, 1);
    assert_null(memchr(path, 'L', (size_t)(d_end - path)));
    /* a zero bar is flat, the others rise from the axis at y = 270 */
    assert_non_null(strstr(text, "height=\"0\" data-mark=\"bar\""));
    assert_int_equal(count_of(text, "</svg>"), 1);
    free(text);
}

static void test_runs(void **state)
{
    ds_scale s = ds_scale_port(300, 0);
    ds_plot_run out[16];
    uint32_t ports[] = {22, 23, 24, 80, 443, 8080, 8081};
    size_t n = ds_plot_runs(&s, ports, 7, 0, 1, out);
    assert_int_equal(n, 4);
    assert_int_equal(out[0].first, 22);
    assert_int_equal(out[0].last, 24);
    assert_int_equal(out[0].values, 3);
    assert_int_equal(out[3].first, 8080);
    assert_int_equal(out[3].last, 8081);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].runs, 1);
        assert_true(out[i].p1 - out[i].p0 >= 1 - 1e-9);
        assert_true(out[i].p0 >= 0 && out[i].p1 <= 300);
    }
    /* duplicates count once */
    uint32_t dup[] = {5, 5, 6, 6, 6};
    n = ds_plot_runs(&s, dup, 5, 0, 1, out);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].values, 2);

    /* 5,000 separate high ports on 300 pixels: one interval, every value accounted for */
    uint32_t *many = malloc(5000 * sizeof(*many));
    ds_plot_run *mo = malloc(5000 * sizeof(*mo));
    for (uint32_t i = 0; i < 5000; i++)
        many[i] = 10000 + 2 * i;
    n = ds_plot_runs(&s, many, 5000, 1, 1, mo);
    assert_int_equal(n, 1);
    assert_int_equal(mo[0].values, 5000);
    assert_int_equal(mo[0].runs, 5000);
    assert_int_equal(mo[0].first, 10000);
    assert_int_equal(mo[0].last, 19998);
    /* every port from 0 to 65535 is one run: one interval covering the whole axis */
    uint32_t *all = malloc(65536 * sizeof(*all));
    ds_plot_run *ao = malloc(65536 * sizeof(*ao));
    for (uint32_t i = 0; i < 65536; i++)
        all[i] = i;
    n = ds_plot_runs(&s, all, 65536, 1, 1, ao);
    assert_int_equal(n, 1);
    assert_int_equal(ao[0].runs, 1);
    assert_near(ao[0].p0, 0);
    assert_near(ao[0].p1, 300);
    /* the last port alone stays inside the range although it is widened */
    uint32_t last[] = {65535};
    n = ds_plot_runs(&s, last, 1, 1, 2, out);
    assert_int_equal(n, 1);
    assert_true(out[0].p0 >= 0 && out[0].p1 - out[0].p0 >= 2 - 1e-9);
    free(many);
    free(mo);
    free(all);
    free(ao);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_log_band),
        cmocka_unit_test(test_port_scale_readable),
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_labels_and_numbers),
        cmocka_unit_test(test_marks_counted_and_escaped),
        cmocka_unit_test(test_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
