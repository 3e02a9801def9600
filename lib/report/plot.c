/*
 * plot.c - scales, ticks, axes, legends and marks as inline SVG (see plot.h).
 *
 * Coordinates are printed with one decimal at most: an SVG of a large result holds many
 * thousands of them, and a tenth of a pixel is below what any screen or printer shows.
 */
#include <math.h>
#include <string.h>

#include "report/html.h"
#include "report/plot.h"

ds_scale ds_scale_linear(double d0, double d1, double r0, double r1)
{
    return (ds_scale){DS_SCALE_LINEAR, d0, d1, r0, r1, 0, 0};
}

ds_scale ds_scale_log(double d0, double d1, double r0, double r1)
{
    return (ds_scale){DS_SCALE_LOG, d0, d1, r0, r1, 0, 0};
}

ds_scale ds_scale_band(size_t bands, double r0, double r1, double padding)
{
    return (ds_scale){DS_SCALE_BAND, 0, (double)bands, r0, r1, bands, padding};
}

ds_scale ds_scale_port(double r0, double r1)
{
    return (ds_scale){DS_SCALE_PORT, 0, DS_PORT_END, r0, r1, 0, 0};
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* unit - where v falls between the domain's ends, 0..1. */
static double unit(const ds_scale *s, double v)
{
    switch (s->kind) {
    case DS_SCALE_LINEAR:
        if (s->d1 == s->d0)
            return 0.5;
        return clamp((v - s->d0) / (s->d1 - s->d0), 0, 1);
    case DS_SCALE_LOG: {
        if (!(s->d0 > 0) || !(s->d1 > s->d0))
            return 0.5;
        double lv = log10(clamp(v, s->d0, s->d1));
        return (lv - log10(s->d0)) / (log10(s->d1) - log10(s->d0));
    }
    case DS_SCALE_PORT: {
        double p = clamp(v, 0, DS_PORT_END);
        if (p < DS_PORT_LOW_END)
            return DS_PORT_LOW_SHARE * log1p(p) / log1p(DS_PORT_LOW_END);
        if (p < DS_PORT_MID_END)
            return DS_PORT_LOW_SHARE + (DS_PORT_MID_SHARE - DS_PORT_LOW_SHARE) *
                                           (p - DS_PORT_LOW_END) /
                                           (DS_PORT_MID_END - DS_PORT_LOW_END);
        return DS_PORT_MID_SHARE +
               (1 - DS_PORT_MID_SHARE) * (p - DS_PORT_MID_END) / (DS_PORT_END - DS_PORT_MID_END);
    }
    case DS_SCALE_BAND:
        break;
    }
    return 0;
}

static double band_step(const ds_scale *s)
{
    return s->bands == 0 ? 0 : (s->r1 - s->r0) / (double)s->bands;
}

double ds_scale_map(const ds_scale *s, double v)
{
    if (s->kind == DS_SCALE_BAND) {
        double step = band_step(s);
        return s->r0 + step * v + step * s->padding / 2;
    }
    if (isnan(v))
        v = s->d0;
    return s->r0 + unit(s, v) * (s->r1 - s->r0);
}

double ds_scale_bandwidth(const ds_scale *s)
{
    return s->kind == DS_SCALE_BAND ? fabs(band_step(s)) * (1 - s->padding) : 0;
}

double ds_scale_center(const ds_scale *s, size_t band)
{
    return ds_scale_map(s, (double)band) + band_step(s) * (1 - s->padding) / 2;
}

/* nice_step - 1, 2 or 5 times a power of ten, near span / count. */
static double nice_step(double span, size_t count)
{
    if (!(span > 0) || count == 0)
        return 1;
    double raw = span / (double)count;
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

void ds_scale_nice(ds_scale *s, size_t count)
{
    if (s->kind == DS_SCALE_LINEAR) {
        if (s->d0 == s->d1)
            s->d1 = s->d0 + 1;
        double step = nice_step(s->d1 - s->d0, count);
        s->d0 = floor(s->d0 / step) * step;
        s->d1 = ceil(s->d1 / step) * step;
    } else if (s->kind == DS_SCALE_LOG && s->d0 > 0 && s->d1 >= s->d0) {
        s->d0 = pow(10, floor(log10(s->d0)));
        s->d1 = pow(10, ceil(log10(s->d1)));
        if (s->d1 <= s->d0)
            s->d1 = s->d0 * 10;
    }
}

/* Candidate ticks, ascending, appended to a bounded buffer. */
typedef struct tick_buf {
    double *v;
    size_t n, cap;
} tick_buf;

static void tick_add(tick_buf *b, double v)
{
    if (b->n < b->cap)
        b->v[b->n++] = v;
}

static void linear_ticks(double d0, double d1, size_t count, tick_buf *b)
{
    double step = nice_step(d1 - d0, count);
    double eps = step * 1e-9;
    for (double k = ceil((d0 - eps) / step); k * step <= d1 + eps && b->n < b->cap; k++) {
        double v = k * step;
        tick_add(b, fabs(v) < eps ? 0.0 : v);
    }
}

size_t ds_scale_ticks(const ds_scale *s, size_t count, double min_gap_px, double *ticks, size_t cap)
{
    double cand[128];
    tick_buf b = {cand, 0, sizeof(cand) / sizeof(cand[0])};
    if (count == 0)
        count = 5;
    switch (s->kind) {
    case DS_SCALE_LINEAR:
        linear_ticks(s->d0, s->d1, count, &b);
        break;
    case DS_SCALE_LOG: {
        if (!(s->d0 > 0) || !(s->d1 >= s->d0))
            break;
        int e0 = (int)ceil(log10(s->d0) - 1e-9), e1 = (int)floor(log10(s->d1) + 1e-9);
        bool fill = e1 - e0 + 1 < 3;
        for (int e = e0 - 1; e <= e1; e++) {
            static const double mult[] = {1, 2, 5};
            for (size_t i = 0; i < 3; i++) {
                double v = mult[i] * pow(10, e);
                if ((i == 0 || fill) && v >= s->d0 * (1 - 1e-9) && v <= s->d1 * (1 + 1e-9))
                    tick_add(&b, v);
            }
        }
        break;
    }
    case DS_SCALE_BAND: {
        /* every k-th band: at most count of them, min_gap_px apart, within the buffer */
        size_t every = s->bands <= count ? 1 : (s->bands + count - 1) / count;
        double step = fabs(band_step(s));
        if (step > 0 && min_gap_px > step) {
            size_t by_gap = (size_t)ceil(min_gap_px / step);
            every = by_gap > every ? by_gap : every;
        }
        size_t by_cap = (s->bands + b.cap - 1) / b.cap;
        every = by_cap > every ? by_cap : every;
        for (size_t i = 0; i < s->bands; i += every)
            tick_add(&b, (double)i);
        break;
    }
    case DS_SCALE_PORT: {
        static const double low[] = {0, 22, 80, 443, DS_PORT_LOW_END, 3389, 8080};
        for (size_t i = 0; i < sizeof(low) / sizeof(low[0]); i++)
            tick_add(&b, low[i]);
        linear_ticks(DS_PORT_MID_END + 1, DS_PORT_END - 1, count > 7 ? count - 7 : 3, &b);
        tick_add(&b, DS_PORT_END - 1);
        break;
    }
    }
    size_t n = 0;
    double last_px = 0;
    for (size_t i = 0; i < b.n && n < cap; i++) {
        double px =
            s->kind == DS_SCALE_BAND ? ds_scale_center(s, (size_t)b.v[i]) : ds_scale_map(s, b.v[i]);
        if (n > 0 && fabs(px - last_px) < min_gap_px)
            continue;
        ticks[n++] = b.v[i];
        last_px = px;
    }
    return n;
}

void ds_plot_num(FILE *out, double v)
{
    if (!isfinite(v))
        v = 0;
    long long t = llround(v * 10);
    if (t < 0) {
        fputc('-', out);
        t = -t;
    }
    if (t % 10 == 0)
        fprintf(out, "%lld", t / 10);
    else
        fprintf(out, "%lld.%lld", t / 10, t % 10);
}

const char *ds_tick_number(double v, char *buf, size_t cap, void *ctx)
{
    if (fabs(v) < 1e15 && v == floor(v)) {
        char digits[32];
        long long iv = llround(fabs(v));
        int len = snprintf(digits, sizeof(digits), "%lld", iv);
        size_t n = 0;
        if (v < 0 && n + 1 < cap)
            buf[n++] = '-';
        for (int i = 0; i < len && n + 1 < cap; i++) {
            if (i > 0 && (len - i) % 3 == 0 && n + 1 < cap)
                buf[n++] = ',';
            if (n + 1 < cap)
                buf[n++] = digits[i];
        }
        buf[n] = '\0';
        return buf;
    }
    snprintf(buf, cap, "%.6g", v);
    return buf;
}

const char *ds_tick_band_label(double v, char *buf, size_t cap, void *ctx)
{
    const char *const *labels = ctx;
    return labels != NULL && v >= 0 ? labels[(size_t)v] : "";
}

static void mark_open(ds_plot *p, const ds_plot_mark *m)
{
    if (m != NULL && m->href != NULL) {
        fputs("<a", p->out);
        ds_html_attr(p->out, "href", m->href);
        fputc('>', p->out);
    }
}

static void mark_attrs(ds_plot *p, const char *kind, const ds_plot_mark *m)
{
    if (kind != NULL)
        fprintf(p->out, " data-mark=\"%s\"", kind);
    if (m == NULL)
        return;
    ds_html_attr(p->out, "class", m->cls);
    if (m->opacity > 0 && m->opacity < 1)
        fprintf(p->out, " fill-opacity=\"%.2f\"", m->opacity);
    for (size_t i = 0; i < m->n_data; i++) {
        char name[64];
        snprintf(name, sizeof(name), "data-%s", m->data[i].name);
        ds_html_attr(p->out, name, m->data[i].value);
    }
}

/* mark_close - end the element's start tag: with a <title> child when there is a tooltip. */
static void mark_close(ds_plot *p, const char *tag, const ds_plot_mark *m)
{
    if (m != NULL && m->title != NULL) {
        fputs("><title>", p->out);
        ds_html_text(p->out, m->title);
        fprintf(p->out, "</title></%s>", tag);
    } else {
        fputs("/>", p->out);
    }
    if (m != NULL && m->href != NULL)
        fputs("</a>", p->out);
    fputc('\n', p->out);
}

void ds_plot_begin(ds_plot *p, FILE *out, double width, double height, ds_plot_margins margins,
                   const char *label, const char *cls)
{
    memset(p, 0, sizeof(*p));
    p->out = out;
    p->width = width;
    p->height = height;
    p->left = margins.left;
    p->right = width - margins.right;
    p->top = margins.top;
    p->bot = height - margins.bottom;
    p->x = ds_scale_linear(0, 1, p->left, p->right);
    p->y = ds_scale_linear(0, 1, p->bot, p->top);
    fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", out);
    ds_plot_num(out, width);
    fputc(' ', out);
    ds_plot_num(out, height);
    fputs("\" width=\"", out);
    ds_plot_num(out, width);
    fputs("\" height=\"", out);
    ds_plot_num(out, height);
    fputs("\" role=\"img\"", out);
    ds_html_attr(out, "aria-label", label);
    ds_html_attr(out, "class", cls);
    fputs(">\n", out);
    if (label != NULL) {
        fputs("<title>", out);
        ds_html_text(out, label);
        fputs("</title>\n", out);
    }
}

void ds_plot_end(ds_plot *p)
{
    fputs("</svg>\n", p->out);
}

static void text_at(FILE *out, double x, double y, const char *anchor, const char *cls,
                    double rotate, const char *text)
{
    fputs("<text x=\"", out);
    ds_plot_num(out, x);
    fputs("\" y=\"", out);
    ds_plot_num(out, y);
    fputc('"', out);
    if (anchor != NULL && strcmp(anchor, "start") != 0)
        fprintf(out, " text-anchor=\"%s\"", anchor);
    if (rotate != 0) {
        fprintf(out, " transform=\"rotate(%g ", rotate);
        ds_plot_num(out, x);
        fputc(' ', out);
        ds_plot_num(out, y);
        fputs(")\"", out);
    }
    ds_html_attr(out, "class", cls);
    fputc('>', out);
    ds_html_text(out, text);
    fputs("</text>\n", out);
}

static void line_px(FILE *out, double x1, double y1, double x2, double y2, const char *cls)
{
    fputs("<line x1=\"", out);
    ds_plot_num(out, x1);
    fputs("\" y1=\"", out);
    ds_plot_num(out, y1);
    fputs("\" x2=\"", out);
    ds_plot_num(out, x2);
    fputs("\" y2=\"", out);
    ds_plot_num(out, y2);
    fputc('"', out);
    ds_html_attr(out, "class", cls);
    fputs("/>\n", out);
}

void ds_plot_text(ds_plot *p, double x, double y, const char *anchor, const char *cls,
                  const char *text)
{
    text_at(p->out, x, y, anchor, cls, 0, text);
}

void ds_plot_axis(ds_plot *p, const ds_axis *a)
{
    FILE *out = p->out;
    bool bottom = a->side == DS_AXIS_BOTTOM;
    const ds_scale *s = bottom ? &p->x : &p->y;
    ds_tick_label label = a->label != NULL ? a->label : ds_tick_number;
    fprintf(out, "<g class=\"axis %s\">\n", bottom ? "x" : "y");
    if (bottom)
        line_px(out, p->left, p->bot, p->right, p->bot, "domain");
    else
        line_px(out, p->left, p->top, p->left, p->bot, "domain");
    for (size_t i = 0; i < a->n_ticks; i++) {
        double v = a->ticks[i];
        double at = s->kind == DS_SCALE_BAND ? ds_scale_center(s, (size_t)v) : ds_scale_map(s, v);
        char buf[64];
        const char *text = label(v, buf, sizeof(buf), a->ctx);
        const char *cls = a->tick_cls != NULL ? a->tick_cls(v, a->ctx) : NULL;
        if (bottom) {
            if (a->grid)
                line_px(out, at, p->top, at, p->bot, "grid");
            line_px(out, at, p->bot, at, p->bot + 4, "tick");
            if (a->rotate)
                text_at(out, at + 3, p->bot + 12, "end", cls, -45, text);
            else
                text_at(out, at, p->bot + 16, "middle", cls, 0, text);
        } else {
            if (a->grid)
                line_px(out, p->left, at, p->right, at, "grid");
            line_px(out, p->left - 4, at, p->left, at, "tick");
            text_at(out, p->left - 6, at + 3.5, "end", cls, 0, text);
        }
    }
    if (a->title != NULL) {
        if (bottom)
            text_at(out, (p->left + p->right) / 2, p->height - 4, "middle", "axis-title", 0,
                    a->title);
        else
            text_at(out, 12, (p->top + p->bot) / 2, "middle", "axis-title", -90, a->title);
    }
    fputs("</g>\n", out);
}

void ds_plot_rect(ds_plot *p, const char *kind, double x, double y, double w, double h,
                  const ds_plot_mark *m)
{
    FILE *out = p->out;
    mark_open(p, m);
    fputs("<rect x=\"", out);
    ds_plot_num(out, x);
    fputs("\" y=\"", out);
    ds_plot_num(out, y);
    fputs("\" width=\"", out);
    ds_plot_num(out, w < 0 ? 0 : w);
    fputs("\" height=\"", out);
    ds_plot_num(out, h < 0 ? 0 : h);
    fputc('"', out);
    mark_attrs(p, kind, m);
    mark_close(p, "rect", m);
}

void ds_plot_bar(ds_plot *p, size_t band, double base, double value, const ds_plot_mark *m)
{
    double x = ds_scale_map(&p->x, (double)band);
    double y0 = ds_scale_map(&p->y, base), y1 = ds_scale_map(&p->y, value);
    double top = fmin(y0, y1), h = fabs(y1 - y0);
    if (value != base && h < 1) { /* a non-zero bar stays visible */
        h = 1;
        top = y1 < y0 ? y0 - 1 : y0;
    }
    ds_plot_rect(p, "bar", x, top, ds_scale_bandwidth(&p->x), h, m);
}

void ds_plot_point(ds_plot *p, double x, double y, double r, const ds_plot_mark *m)
{
    FILE *out = p->out;
    mark_open(p, m);
    fputs("<circle cx=\"", out);
    ds_plot_num(out, ds_scale_map(&p->x, x));
    fputs("\" cy=\"", out);
    ds_plot_num(out, ds_scale_map(&p->y, y));
    fputs("\" r=\"", out);
    ds_plot_num(out, r);
    fputc('"', out);
    mark_attrs(p, "point", m);
    mark_close(p, "circle", m);
}

void ds_plot_region(ds_plot *p, double x0, double y0, double x1, double y1, const char *label,
                    const ds_plot_mark *m)
{
    double a = ds_scale_map(&p->x, x0), b = ds_scale_map(&p->x, x1);
    double c = ds_scale_map(&p->y, y0), d = ds_scale_map(&p->y, y1);
    double left = fmin(a, b), top = fmin(c, d);
    ds_plot_rect(p, "region", left, top, fabs(b - a), fabs(d - c), m);
    if (label != NULL)
        text_at(p->out, left + 4, top + 13, "start", "region-label", 0, label);
}

void ds_plot_line(ds_plot *p, const double *xs, const double *ys, size_t n, const ds_plot_mark *m)
{
    FILE *out = p->out;
    mark_open(p, m);
    fputs("<path d=\"", out);
    bool pen = false;
    for (size_t i = 0; i < n; i++) {
        if (isnan(ys[i]) || isnan(xs[i])) {
            pen = false;
            continue;
        }
        fputc(pen ? 'L' : 'M', out);
        ds_plot_num(out, ds_scale_map(&p->x, xs[i]));
        fputc(' ', out);
        ds_plot_num(out, ds_scale_map(&p->y, ys[i]));
        pen = true;
    }
    fputs("\" fill=\"none\"", out);
    mark_attrs(p, "line", m);
    mark_close(p, "path", m);
}

void ds_plot_legend(ds_plot *p, double x, double y, const ds_plot_legend_item *items, size_t n)
{
    FILE *out = p->out;
    fputs("<g class=\"legend\">\n", out);
    for (size_t i = 0; i < n; i++) {
        if (items[i].line)
            line_px(out, x, y + 5, x + 14, y + 5, items[i].cls);
        else
            ds_plot_rect(p, NULL, x + 2, y, 10, 10, &(ds_plot_mark){.cls = items[i].cls});
        text_at(out, x + 18, y + 9, "start", NULL, 0, items[i].label);
        /* 6.5 px per character is about the width of the 11 px sans-serif legend text. */
        x += 18 + 6.5 * (double)(items[i].label != NULL ? strlen(items[i].label) : 0) + 14;
    }
    fputs("</g>\n", out);
}

size_t ds_plot_runs(const ds_scale *s, const uint32_t *values, size_t n, double min_gap_px,
                    double min_len_px, ds_plot_run *out)
{
    double lo = fmin(s->r0, s->r1), hi = fmax(s->r0, s->r1);
    bool ascending = s->r1 >= s->r0;
    size_t k = 0, i = 0;
    while (i < n) {
        uint32_t first = values[i], last = first, count = 1;
        for (i++; i < n && values[i] <= (uint64_t)last + 1; i++) {
            if (values[i] == (uint64_t)last + 1) {
                last++;
                count++;
            }
        }
        double a = ds_scale_map(s, first), b = ds_scale_map(s, (double)last + 1);
        double p0 = fmin(a, b), p1 = fmax(a, b);
        if (p1 - p0 < min_len_px) { /* widen around its middle, inside the range */
            double mid = (p0 + p1) / 2;
            p0 = clamp(mid - min_len_px / 2, lo, hi - min_len_px);
            p1 = p0 + min_len_px;
        }
        if (k > 0) {
            ds_plot_run *prev = &out[k - 1];
            double gap = ascending ? p0 - prev->p1 : prev->p0 - p1;
            if (gap < min_gap_px) {
                prev->last = last;
                prev->values += count;
                prev->runs++;
                prev->p0 = fmin(prev->p0, p0);
                prev->p1 = fmax(prev->p1, p1);
                continue;
            }
        }
        out[k++] = (ds_plot_run){first, last, count, 1, p0, p1};
    }
    return k;
}
