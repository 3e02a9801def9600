/*
 * report_doc.c - the report's view of a results document: checks once that the keys of the
 * INTERFACE.md contract have the kinds it says (so that the writers need no error paths), and
 * derives the block letters, anchors and the window index. Enrichment keys are not checked:
 * a value of an unexpected shape shows as unknown, so that a newer or older enrichment never
 * stops the report.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/report_int.h"

/* ---- accessors ---- */

const char *rp_str(const ds_jval *obj, const char *key)
{
    return ds_jval_string(ds_jval_get(obj, key), NULL);
}

bool rp_num(const ds_jval *obj, const char *key, double *out)
{
    return ds_jval_double(ds_jval_get(obj, key), out) == DS_OK;
}

bool rp_u64(const ds_jval *obj, const char *key, uint64_t *out)
{
    return ds_jval_uint64(ds_jval_get(obj, key), out) == DS_OK;
}

bool rp_present(const ds_jval *obj, const char *key)
{
    ds_jval_kind k = ds_jval_type(ds_jval_get(obj, key));
    return k != DS_JVAL_ABSENT && k != DS_JVAL_NULL;
}

/* ---- formatting ---- */

char *rp_fmt_count(uint64_t v, char *buf)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
    size_t n = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[n++] = ',';
        buf[n++] = digits[i];
    }
    buf[n] = '\0';
    return buf;
}

char *rp_fmt_pct(double share, char *buf)
{
    if (!isfinite(share))
        snprintf(buf, 32, "\xE2\x80\x93");
    else if (share == 0)
        snprintf(buf, 32, "0%%");
    else if (share > 0 && share < 0.0005)
        snprintf(buf, 32, "<0.1%%");
    else if (share > 0.9995 && share < 1)
        snprintf(buf, 32, ">99.9%%");
    else
        snprintf(buf, 32, "%.1f%%", share * 100);
    return buf;
}

char *rp_fmt_ratio(double v, char *buf)
{
    if (isfinite(v))
        snprintf(buf, 32, "%.3f", v);
    else
        snprintf(buf, 32, "\xE2\x80\x93");
    return buf;
}

char *rp_fmt_sort(double v, char *buf)
{
    if (isfinite(v))
        snprintf(buf, 32, "%.17g", v);
    else
        buf[0] = '\0';
    return buf;
}

static const char *const cat_names[RP_N_CATS] = {"routine", "semi-routine", "ad-hoc", "other"};
static const char *const cat_classes[RP_N_CATS] = {"cat-routine", "cat-semi", "cat-adhoc",
                                                   "cat-other"};

const char *rp_cat_class(int cat)
{
    return cat >= 0 && cat < RP_N_CATS ? cat_classes[cat] : cat_classes[RP_CAT_OTHER];
}

const char *rp_cat_label(int cat)
{
    return cat >= 0 && cat < RP_N_CATS ? cat_names[cat] : cat_names[RP_CAT_OTHER];
}

void rp_td_num(FILE *out, double sort_value, const char *text)
{
    char buf[32];
    if (isnan(sort_value)) {
        rp_td_unknown(out);
        return;
    }
    fputs("<td class=\"num\"", out);
    ds_html_attr(out, "data-sort", rp_fmt_sort(sort_value, buf));
    fputc('>', out);
    ds_html_text(out, text);
    fputs("</td>", out);
}

void rp_td_text(FILE *out, const char *text)
{
    if (text == NULL) {
        rp_td_unknown(out);
        return;
    }
    fputs("<td>", out);
    ds_html_text(out, text);
    fputs("</td>", out);
}

void rp_td_unknown(FILE *out)
{
    fputs("<td class=\"unknown\" data-sort=\"\" title=\"not known\">\xE2\x80\x93</td>", out);
}

/* ---- checking the document ---- */

typedef struct checker {
    const char *name;
    ds_error *err;
} checker;

static ds_status bad(const checker *c, const ds_jval *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ds_status bad(const checker *c, const ds_jval *where, const char *fmt, ...)
{
    char msg[DS_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t line = 0, col = 0;
    if (where != NULL)
        ds_jval_position(where, &line, &col);
    if (line > 0)
        return ds_error_set(c->err, DS_ERR_FORMAT, "%s:%zu:%zu: %s", c->name, line, col, msg);
    return ds_error_set(c->err, DS_ERR_FORMAT, "%s: %s", c->name, msg);
}

static const char *article(ds_jval_kind k)
{
    return k == DS_JVAL_ARRAY || k == DS_JVAL_OBJECT ? "an" : "a";
}

/*
 * want - obj.key must be absent, null or of kind `kind` (DS_JVAL_ABSENT: required, any kind
 * but null is checked by the caller). path names obj in messages.
 */
static ds_status want(const checker *c, const ds_jval *obj, const char *path, const char *key,
                      ds_jval_kind kind, bool required)
{
    const ds_jval *v = ds_jval_get(obj, key);
    ds_jval_kind k = ds_jval_type(v);
    if (k == DS_JVAL_ABSENT || k == DS_JVAL_NULL) {
        if (!required)
            return DS_OK;
        return bad(c, v != NULL ? v : obj, "%s%s\"%s\" is missing", path, *path ? ": " : "", key);
    }
    if (k != kind)
        return bad(c, v, "%s%s%s: expected %s %s, found %s %s", path, *path ? "." : "", key,
                   article(kind), ds_jval_type_name(kind), article(k), ds_jval_type_name(k));
    return DS_OK;
}

static ds_status check_port_array(const checker *c, const ds_jval *arr, const char *path)
{
    if (ds_jval_type(arr) != DS_JVAL_ARRAY)
        return bad(c, arr, "%s: expected an array of ports, found %s %s", path,
                   article(ds_jval_type(arr)), ds_jval_type_name(ds_jval_type(arr)));
    size_t n = ds_jval_array_len(arr);
    for (size_t i = 0; i < n; i++) {
        uint64_t p;
        const ds_jval *v = ds_jval_array_at(arr, i);
        if (ds_jval_uint64(v, &p) != DS_OK || p > 65535)
            return bad(c, v, "%s[%zu]: not a port number (0..65535)", path, i);
    }
    return DS_OK;
}

static ds_status check_network(const checker *c, const ds_jval *n, size_t i)
{
    char path[64];
    snprintf(path, sizeof(path), "networks[%zu]", i);
    if (ds_jval_type(n) != DS_JVAL_OBJECT)
        return bad(c, n, "%s: expected an object, found %s %s", path, article(ds_jval_type(n)),
                   ds_jval_type_name(ds_jval_type(n)));
    static const char *const strings[] = {"block", "category", "first_window", "last_window",
                                          "top24"};
    static const char *const numbers[] = {"jaccard_median", "simpson_median",   "ports_max",
                                          "ports_min",      "syn_packets",      "mirai_share",
                                          "host_count",     "top24_syn_packets"};
    ds_status st;
    for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++)
        if ((st = want(c, n, path, strings[k], DS_JVAL_STRING, k == 0)) != DS_OK)
            return st;
    for (size_t k = 0; k < sizeof(numbers) / sizeof(numbers[0]); k++)
        if ((st = want(c, n, path, numbers[k], DS_JVAL_NUMBER, false)) != DS_OK)
            return st;
    if ((st = want(c, n, path, "scan_windows", DS_JVAL_ARRAY, false)) != DS_OK ||
        (st = want(c, n, path, "port_sets", DS_JVAL_OBJECT, false)) != DS_OK)
        return st;
    const ds_jval *sw = ds_jval_get(n, "scan_windows");
    for (size_t k = 0; k < ds_jval_array_len(sw); k++)
        if (ds_jval_type(ds_jval_array_at(sw, k)) != DS_JVAL_STRING)
            return bad(c, ds_jval_array_at(sw, k), "%s.scan_windows[%zu]: expected a string", path,
                       k);
    const ds_jval *ps = ds_jval_get(n, "port_sets");
    for (size_t k = 0; k < ds_jval_object_len(ps); k++) {
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.port_sets.%s", path, ds_jval_object_key(ps, k, NULL));
        if ((st = check_port_array(c, ds_jval_object_value(ps, k), sub)) != DS_OK)
            return st;
    }
    return DS_OK;
}

static ds_status check_array_of_objects(const checker *c, const ds_jval *root, const char *key)
{
    ds_status st = want(c, root, "", key, DS_JVAL_ARRAY, false);
    if (st != DS_OK)
        return st;
    const ds_jval *arr = ds_jval_get(root, key);
    for (size_t i = 0; i < ds_jval_array_len(arr); i++) {
        const ds_jval *v = ds_jval_array_at(arr, i);
        if (ds_jval_type(v) != DS_JVAL_OBJECT)
            return bad(c, v, "%s[%zu]: expected an object, found %s %s", key, i,
                       article(ds_jval_type(v)), ds_jval_type_name(ds_jval_type(v)));
    }
    return DS_OK;
}

static ds_status check_root(const checker *c, const ds_jval *root)
{
    if (ds_jval_type(root) != DS_JVAL_OBJECT)
        return bad(c, root, "the top level is %s %s, not an object: not darkscan results",
                   article(ds_jval_type(root)), ds_jval_type_name(ds_jval_type(root)));
    ds_status st;
    if (ds_jval_type(ds_jval_get(root, "networks")) == DS_JVAL_ABSENT)
        return bad(c, root, "no \"networks\" array: not darkscan results");
    if ((st = want(c, root, "", "networks", DS_JVAL_ARRAY, true)) != DS_OK)
        return st;
    const ds_jval *nets = ds_jval_get(root, "networks");
    for (size_t i = 0; i < ds_jval_array_len(nets); i++)
        if ((st = check_network(c, ds_jval_array_at(nets, i), i)) != DS_OK)
            return st;
    static const char *const objects[] = {"params", "darknet", "input"};
    for (size_t k = 0; k < sizeof(objects) / sizeof(objects[0]); k++)
        if ((st = want(c, root, "", objects[k], DS_JVAL_OBJECT, false)) != DS_OK)
            return st;
    static const char *const arrays[] = {"windows", "top_ports", "sweep"};
    for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++)
        if ((st = check_array_of_objects(c, root, arrays[k])) != DS_OK)
            return st;
    const ds_jval *windows = ds_jval_get(root, "windows");
    for (size_t i = 0; i < ds_jval_array_len(windows); i++) {
        char path[48];
        snprintf(path, sizeof(path), "windows[%zu]", i);
        if ((st = want(c, ds_jval_array_at(windows, i), path, "label", DS_JVAL_STRING, true)) !=
            DS_OK)
            return st;
    }
    const ds_jval *top = ds_jval_get(root, "top_ports");
    for (size_t i = 0; i < ds_jval_array_len(top); i++) {
        uint64_t p;
        const ds_jval *v = ds_jval_get(ds_jval_array_at(top, i), "port");
        if (ds_jval_uint64(v, &p) != DS_OK || p > 65535)
            return bad(c, v != NULL ? v : ds_jval_array_at(top, i),
                       "top_ports[%zu].port: not a port number (0..65535)", i);
    }
    return DS_OK;
}

/* ---- the model ---- */

static void ref_letters(size_t i, char ref[8])
{
    char rev[8];
    size_t n = 0;
    size_t v = i + 1; /* bijective base 26: 1 = a, 26 = z, 27 = aa */
    while (v > 0 && n < 7) {
        v--;
        rev[n++] = (char)('a' + v % 26);
        v /= 26;
    }
    for (size_t k = 0; k < n; k++)
        ref[k] = rev[n - 1 - k];
    ref[n] = '\0';
}

static int category_of(const char *s)
{
    for (int k = 0; k < RP_CAT_OTHER; k++)
        if (s != NULL && strcmp(s, cat_names[k]) == 0)
            return k;
    return RP_CAT_OTHER;
}

static int cmp_window_key(const void *a, const void *b)
{
    return strcmp(((const rp_window_key *)a)->label, ((const rp_window_key *)b)->label);
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t rp_window_find(const rp_doc *doc, const char *label)
{
    size_t lo = 0, hi = doc->n_windows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(doc->window_order[mid].label, label);
        if (c == 0)
            return doc->window_order[mid].index;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* windows_from_scans - no `windows` array: the union of every block's scan windows. */
static ds_status windows_from_scans(rp_doc *doc, ds_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < doc->n_nets; i++)
        total += ds_jval_object_len(ds_jval_get(doc->nets[i].v, "port_sets")) +
                 ds_jval_array_len(ds_jval_get(doc->nets[i].v, "scan_windows"));
    const char **labels = calloc(total > 0 ? total : 1, sizeof(*labels));
    if (labels == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < doc->n_nets; i++) {
        const ds_jval *ps = ds_jval_get(doc->nets[i].v, "port_sets");
        const ds_jval *sw = ds_jval_get(doc->nets[i].v, "scan_windows");
        for (size_t k = 0; k < ds_jval_object_len(ps); k++)
            labels[n++] = ds_jval_object_key(ps, k, NULL);
        for (size_t k = 0; k < ds_jval_array_len(sw); k++)
            labels[n++] = ds_jval_string(ds_jval_array_at(sw, k), NULL);
    }
    qsort(labels, n, sizeof(*labels), cmp_label);
    doc->windows = calloc(n > 0 ? n : 1, sizeof(*doc->windows));
    if (doc->windows == NULL) {
        free(labels);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (labels[i] == NULL ||
            (i > 0 && labels[i - 1] != NULL && strcmp(labels[i], labels[i - 1]) == 0))
            continue;
        doc->windows[doc->n_windows++] = (rp_window){labels[i], NULL, true};
    }
    free(labels);
    return DS_OK;
}

ds_status rp_doc_build(rp_doc *doc, const ds_jval *root, const ds_report_options *opt,
                       ds_error *err)
{
    memset(doc, 0, sizeof(*doc));
    doc->root = root;
    doc->opt = opt;
    doc->name = opt->name != NULL ? opt->name : "results";
    checker c = {doc->name, err};
    ds_status st = check_root(&c, root);
    if (st != DS_OK)
        return st;

    const ds_jval *nets = ds_jval_get(root, "networks");
    doc->n_nets = ds_jval_array_len(nets);
    doc->nets = calloc(doc->n_nets > 0 ? doc->n_nets : 1, sizeof(*doc->nets));
    if (doc->nets == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < doc->n_nets; i++) {
        rp_net *n = &doc->nets[i];
        n->v = ds_jval_array_at(nets, i);
        n->block = rp_str(n->v, "block");
        ref_letters(i, n->ref);
        ds_html_anchor("block-", n->block, n->anchor, sizeof(n->anchor));
        n->category = rp_str(n->v, "category");
        n->cat = category_of(n->category);
        doc->cat_count[n->cat]++;
        if (!rp_num(n->v, "jaccard_median", &n->jaccard))
            n->jaccard = NAN;
        if (!rp_num(n->v, "simpson_median", &n->simpson))
            n->simpson = NAN;
        n->country = rp_str(n->v, "country");
        doc->has.country |= ds_jval_get(n->v, "country") != NULL;
        doc->has.asn |= ds_jval_get(n->v, "asn") != NULL;
        doc->has.known |= ds_jval_get(n->v, "known_scanners") != NULL;
        doc->has.fingerprints |= ds_jval_get(n->v, "fingerprints") != NULL;
        doc->has.hosts |= ds_jval_get(n->v, "hosts") != NULL;
        doc->has.subnets |= ds_jval_get(n->v, "subnets") != NULL;
        doc->has.app_scan |= ds_jval_get(n->v, "app_scan") != NULL;
        doc->has.documented |= ds_jval_get(n->v, "documented") != NULL;
        const ds_jval *ps = ds_jval_get(n->v, "port_sets");
        for (size_t k = 0; k < ds_jval_object_len(ps); k++) {
            size_t len = ds_jval_array_len(ds_jval_object_value(ps, k));
            if (len > doc->max_ports)
                doc->max_ports = len;
        }
    }

    const ds_jval *windows = ds_jval_get(root, "windows");
    if (ds_jval_array_len(windows) > 0) {
        doc->n_windows = ds_jval_array_len(windows);
        doc->windows = calloc(doc->n_windows, sizeof(*doc->windows));
        if (doc->windows == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < doc->n_windows; i++) {
            const ds_jval *w = ds_jval_array_at(windows, i);
            bool complete = true;
            ds_jval_bool(ds_jval_get(w, "complete"), &complete);
            doc->windows[i] = (rp_window){rp_str(w, "label"), w, complete};
        }
    } else if ((st = windows_from_scans(doc, err)) != DS_OK) {
        return st;
    }
    doc->window_order = calloc(doc->n_windows > 0 ? doc->n_windows : 1, sizeof(*doc->window_order));
    doc->ports = calloc(doc->max_ports > 0 ? doc->max_ports : 1, sizeof(*doc->ports));
    if (doc->window_order == NULL || doc->ports == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < doc->n_windows; i++)
        doc->window_order[i] = (rp_window_key){doc->windows[i].label, i};
    qsort(doc->window_order, doc->n_windows, sizeof(*doc->window_order), cmp_window_key);

    /* every scan window of every block must be a window of the input */
    for (size_t i = 0; i < doc->n_nets; i++) {
        const ds_jval *ps = ds_jval_get(doc->nets[i].v, "port_sets");
        for (size_t k = 0; k < ds_jval_object_len(ps); k++) {
            const char *label = ds_jval_object_key(ps, k, NULL);
            if (rp_window_find(doc, label) == SIZE_MAX)
                return bad(&c, ds_jval_object_value(ps, k),
                           "networks[%zu].port_sets: window \"%s\" is not in \"windows\"", i,
                           label);
        }
    }

    const ds_jval *params = ds_jval_get(root, "params");
    if (!rp_num(params, "routine_jaccard", &doc->routine_jaccard))
        doc->routine_jaccard = 0.8;
    if (!rp_num(params, "stable_simpson", &doc->stable_simpson))
        doc->stable_simpson = 0.7;
    return DS_OK;
}

void rp_doc_free(rp_doc *doc)
{
    free(doc->nets);
    free(doc->windows);
    free(doc->window_order);
    free(doc->ports);
    memset(doc, 0, sizeof(*doc));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t rp_port_set(rp_doc *doc, const ds_jval *arr)
{
    size_t n = ds_jval_array_len(arr);
    bool sorted = true;
    if (n > doc->max_ports)
        n = doc->max_ports; /* cannot happen: max_ports is the largest set */
    for (size_t i = 0; i < n; i++) {
        uint64_t p = 0;
        ds_jval_uint64(ds_jval_array_at(arr, i), &p);
        doc->ports[i] = (uint32_t)p;
        if (i > 0 && doc->ports[i] <= doc->ports[i - 1])
            sorted = false;
    }
    if (sorted)
        return n;
    qsort(doc->ports, n, sizeof(uint32_t), cmp_u32);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || doc->ports[i] != doc->ports[k - 1])
            doc->ports[k++] = doc->ports[i];
    return k;
}
