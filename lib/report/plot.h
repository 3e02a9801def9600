/*
 * plot.h - a small, general plotting module: scales, ticks, axes, legends and marks (bars,
 * points, rectangles, lines, regions, text), written as inline SVG into an HTML page.
 *
 * A chart is a ds_plot: an SVG of a given size with a plot area inside margins, and an x and a
 * y scale that map data to pixels. Four kinds of scale:
 *
 *   linear   d0..d1 -> r0..r1
 *   log      log10, d0 > 0
 *   band     n equal bands (categories, windows) with padding between them
 *   port     TCP/UDP ports 0..65536 in three pieces: 0..1023 on a log(1 + p) scale over the
 *            first 40% of the range (22, 80 and 443 far apart), 1024..10239 linear over the
 *            next 20% (3389, 8080), 10240..65535 linear over the last 40% (60000 still well
 *            below 65535). A linear scale puts 22 on the axis; a log scale squeezes
 *            10000..65535 into a sixth of it.
 *
 * Every mark carries data-mark="<kind>" (bar, point, cell, line, region) so that a test or a
 * script can count them, an optional tooltip (<title>), an optional link and optional data-*
 * attributes. Every string that may come from input (titles, labels, links, data values) is
 * escaped by html.h; class names and attribute names are darkscan's own literals.
 */
#ifndef DS_REPORT_PLOT_H
#define DS_REPORT_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum ds_scale_kind {
    DS_SCALE_LINEAR = 0,
    DS_SCALE_LOG,
    DS_SCALE_BAND,
    DS_SCALE_PORT,
} ds_scale_kind;

/* The port scale's pieces: where they end and the share of the range each ends at. */
#define DS_PORT_LOW_END   1024.0
#define DS_PORT_LOW_SHARE 0.40
#define DS_PORT_MID_END   10240.0
#define DS_PORT_MID_SHARE 0.60
#define DS_PORT_END       65536.0

typedef struct ds_scale {
    ds_scale_kind kind;
    double d0, d1;  /* domain of a continuous scale */
    double r0, r1;  /* range in pixels; r1 < r0 is fine (a y axis grows upwards) */
    size_t bands;   /* band: the number of bands */
    double padding; /* band: share of each step left empty, 0 <= padding < 1 */
} ds_scale;

ds_scale ds_scale_linear(double d0, double d1, double r0, double r1);
ds_scale ds_scale_log(double d0, double d1, double r0, double r1); /* 0 < d0 < d1 */
ds_scale ds_scale_band(size_t bands, double r0, double r1, double padding);
ds_scale ds_scale_port(double r0, double r1); /* domain 0..65536 */

/*
 * ds_scale_map - the pixel position of v. For a band scale, v is the band index and the
 * result is where the band starts (plus ds_scale_bandwidth for its end); use
 * ds_scale_center for its middle. Values outside the domain are clamped to it (a log scale
 * clamps v <= d0 to d0), so that a stray value never draws outside the chart.
 */
double ds_scale_map(const ds_scale *s, double v);
double ds_scale_bandwidth(const ds_scale *s);
double ds_scale_center(const ds_scale *s, size_t band);

/*
 * ds_scale_nice - widen a linear scale's domain to round numbers (steps of 1, 2 or 5 times a
 * power of ten, about `count` of them); a log scale to powers of ten. An empty domain
 * (d0 == d1) becomes d0..d0+1.
 */
void ds_scale_nice(ds_scale *s, size_t count);

/*
 * ds_scale_ticks - tick values for an axis, ascending, at most `cap` of them and none closer
 * than min_gap_px to the previous one on screen. linear: round steps, about `count`; log: the
 * powers of ten (with 2 and 5 between them when there is room); band: the band indices, every
 * k-th when they do not fit; port: well-known ports (0, 22, 80, 443, 1024, 3389, 8080) and
 * round numbers above 10240, up to 65535. Returns how many were written to ticks.
 */
size_t ds_scale_ticks(const ds_scale *s, size_t count, double min_gap_px, double *ticks,
                      size_t cap);

/* A chart being written: an open <svg> element and its plot area. */
typedef struct ds_plot {
    FILE *out;
    double width, height;         /* the SVG in pixels */
    double left, right, top, bot; /* the plot area, in pixels from the SVG's top left */
    ds_scale x, y;                /* set by the caller after ds_plot_begin */
} ds_plot;

typedef struct ds_plot_margins {
    double top, right, bottom, left;
} ds_plot_margins;

/* A data-* attribute of a mark: name is darkscan's literal ("ports"), value is escaped. */
typedef struct ds_plot_data {
    const char *name;
    const char *value;
} ds_plot_data;

/* What every mark may carry besides its geometry (every field may be NULL / 0). */
typedef struct ds_plot_mark {
    const char *cls;   /* CSS classes, darkscan's literals */
    const char *title; /* tooltip text: a <title> child (escaped) */
    const char *href;  /* the mark is wrapped in <a href="..."> (escaped) */
    const ds_plot_data *data;
    size_t n_data;
    double opacity; /* fill-opacity in (0, 1); 0: the style sheet's */
} ds_plot_mark;

/*
 * ds_plot_begin - open an SVG of width x height pixels with margins around the plot area.
 * label is the chart's accessible name (aria-label, escaped); cls its classes.
 */
void ds_plot_begin(ds_plot *p, FILE *out, double width, double height, ds_plot_margins margins,
                   const char *label, const char *cls);
void ds_plot_end(ds_plot *p);

/* Tick labels come from a callback: the text for value v into buf (cap bytes), returned. */
typedef const char *(*ds_tick_label)(double v, char *buf, size_t cap, void *ctx);

/* ds_tick_number - the default label: v with as few digits as it needs, 1,000s separated. */
const char *ds_tick_number(double v, char *buf, size_t cap, void *ctx);

/* ds_tick_band_label - for band scales: ctx is an array of strings, one per band. */
const char *ds_tick_band_label(double v, char *buf, size_t cap, void *ctx);

typedef enum ds_axis_side {
    DS_AXIS_BOTTOM = 0,
    DS_AXIS_LEFT,
} ds_axis_side;

typedef struct ds_axis {
    ds_axis_side side;
    const double *ticks; /* tick values (band: indices) */
    size_t n_ticks;
    ds_tick_label label; /* NULL: ds_tick_number */
    void *ctx;
    const char *title; /* axis title (escaped), or NULL */
    bool grid;         /* grid lines across the plot area at each tick */
    bool rotate;       /* bottom axis: labels at -45 degrees (long category names) */
    /* a class for the tick at v (e.g. "incomplete"), a darkscan literal; NULL: none */
    const char *(*tick_cls)(double v, void *ctx);
} ds_axis;

/* ds_plot_axis - an axis on the given side of the plot area, with ticks, labels and title. */
void ds_plot_axis(ds_plot *p, const ds_axis *axis);

/* ds_plot_bar - a vertical bar in band `band` of the x scale, from y = base to y = value. */
void ds_plot_bar(ds_plot *p, size_t band, double base, double value, const ds_plot_mark *m);

/* ds_plot_point - a circle of radius r pixels at data (x, y). */
void ds_plot_point(ds_plot *p, double x, double y, double r, const ds_plot_mark *m);

/*
 * ds_plot_rect - a rectangle in pixels (x, y its top left). kind is the data-mark value
 * ("cell", "bar", "region"); a darkscan literal.
 */
void ds_plot_rect(ds_plot *p, const char *kind, double x, double y, double w, double h,
                  const ds_plot_mark *m);

/* ds_plot_region - a shaded rectangle between data corners (x0, y0) and (x1, y1), with an
 * optional label (escaped) in its top left corner. */
void ds_plot_region(ds_plot *p, double x0, double y0, double x1, double y1, const char *label,
                    const ds_plot_mark *m);

/* ds_plot_line - a polyline through n data points (NaN y: a break in the line). */
void ds_plot_line(ds_plot *p, const double *xs, const double *ys, size_t n, const ds_plot_mark *m);

/* ds_plot_text - text (escaped) at pixel (x, y); anchor "start", "middle" or "end". */
void ds_plot_text(ds_plot *p, double x, double y, const char *anchor, const char *cls,
                  const char *text);

typedef struct ds_plot_legend_item {
    const char *cls;   /* the swatch's classes (the same as the marks it explains) */
    const char *label; /* escaped */
    bool line;         /* a line swatch instead of a square */
} ds_plot_legend_item;

/* ds_plot_legend - one row of swatches and labels starting at pixel (x, y). */
void ds_plot_legend(ds_plot *p, double x, double y, const ds_plot_legend_item *items, size_t n);

/*
 * Runs: sorted integer values (ports of a port set) drawn along a scale as few rectangles as
 * stay faithful. Consecutive values form a run ([22, 23] is one run); runs closer on screen
 * than min_gap_px (or overlapping once each is at least min_len_px long) merge into one
 * interval, so that a set of 10,000 ports never becomes 10,000 rectangles on a 300-pixel axis.
 */
typedef struct ds_plot_run {
    uint32_t first, last; /* values covered: first..last (not all of them need be in the set) */
    uint32_t values;      /* how many values of the set it covers */
    uint32_t runs;        /* how many runs of consecutive values merged into it */
    double p0, p1;        /* pixel interval, p0 < p1, at least min_len_px long */
} ds_plot_run;

/*
 * ds_plot_runs - the intervals of values[0..n) (ascending, duplicates allowed) on scale s,
 * into out (room for n entries always suffices). Returns how many. Linear in n.
 */
size_t ds_plot_runs(const ds_scale *s, const uint32_t *values, size_t n, double min_gap_px,
                    double min_len_px, ds_plot_run *out);

/* ds_plot_num - a pixel coordinate with at most one decimal, no trailing ".0". */
void ds_plot_num(FILE *out, double v);

#endif
