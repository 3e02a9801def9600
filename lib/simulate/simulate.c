/*
 * simulate.c - ds_simulate_run (see include/darkscan/simulate.h): plan the scenario, then
 * month by month (in worker threads) draw every actor's packets, sort them into one capture
 * per sensor and day in time order, write the captures and record each packet as written in
 * the oracle; finally darknet.txt and truth.json.
 */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "darkscan/json.h"
#include "darkscan/output.h"
#include "darkscan/simulate.h"
#include "darkscan/version.h"
#include "simulate/plan.h"

/* ---- formats ------------------------------------------------------------------------------ */

static const ds_sim_format formats[] = {
    {"pcap", DS_FORMAT_PCAP, 0, 0},        {"pcap-ns", DS_FORMAT_PCAP, 1, 0},
    {"pcap-be", DS_FORMAT_PCAP, 0, 1},     {"pcap-ns-be", DS_FORMAT_PCAP, 1, 1},
    {"pcapng", DS_FORMAT_PCAPNG, 0, 0},    {"pcapng-ns", DS_FORMAT_PCAPNG, 1, 0},
    {"pcapng-be", DS_FORMAT_PCAPNG, 0, 1},
};

size_t ds_sim_format_count(void)
{
    return sizeof(formats) / sizeof(formats[0]);
}

const ds_sim_format *ds_sim_format_at(size_t i)
{
    return i < ds_sim_format_count() ? &formats[i] : NULL;
}

const ds_sim_format *ds_sim_format_find(const char *name)
{
    for (size_t i = 0; i < ds_sim_format_count(); i++) {
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    }
    return NULL;
}

/* What "mixed" draws from: every compression and the link types the writer can encode. */
static const ds_compression mixed_compressions[] = {DS_COMP_NONE, DS_COMP_GZIP, DS_COMP_BZIP2,
                                                    DS_COMP_XZ,   DS_COMP_ZSTD, DS_COMP_LZ4};
static const uint32_t mixed_linktypes[] = {1, 101, 113, 276, 0, 228};

static const char *compression_ext(ds_compression c)
{
    switch (c) {
    case DS_COMP_NONE:
        return "";
    case DS_COMP_GZIP:
        return ".gz";
    case DS_COMP_BZIP2:
        return ".bz2";
    case DS_COMP_XZ:
        return ".xz";
    case DS_COMP_ZSTD:
        return ".zst";
    case DS_COMP_LZ4:
        return ".lz4";
    }
    return "";
}

/* fast_level - the level used when the caller gives none: fast, the files are throwaway. */
static int fast_level(ds_compression c)
{
    return c == DS_COMP_NONE || c == DS_COMP_LZ4 ? 0 : 1;
}

/* ---- the run ------------------------------------------------------------------------------ */

typedef struct job {
    const ds_sim_config *cfg;
    const ds_sim_format *format; /* NULL: mixed */
    const ds_sim_events *events;
    sim_plan plan;
    ds_sim_truth *truth;
    pthread_mutex_t lock; /* guards everything below and the callbacks */
    size_t next_month;
    size_t months_done;
    uint64_t packets, files;
    ds_status status;
    ds_error err;
} job;

/* A packet's place in its file: time since the start of the day, and draw order. */
typedef struct sort_key {
    uint64_t key;
    uint32_t idx;
} sort_key;

/* A worker's buffers, kept from month to month. */
typedef struct month_buf {
    sim_month_out out;
    size_t cap_buckets;
    sort_key *keys, *tmp;
    size_t cap_keys;
} month_buf;

/*
 * sort_keys - a stable LSD radix sort of n keys on their low `bits` bits, 11 bits a pass:
 * the packets of a file in time order, equal times in the order they were drawn.
 */
static sort_key *sort_keys(sort_key *v, sort_key *tmp, size_t n, unsigned bits)
{
    for (unsigned shift = 0; shift < bits; shift += 11) {
        size_t count[2048 + 1];
        memset(count, 0, sizeof(count));
        for (size_t i = 0; i < n; i++)
            count[((v[i].key >> shift) & 2047) + 1]++;
        for (size_t d = 0; d < 2048; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            tmp[count[(v[i].key >> shift) & 2047]++] = v[i];
        sort_key *t = v;
        v = tmp;
        tmp = t;
    }
    return v;
}

/* The options of one file: fixed, or drawn per file for "mixed". */
static void file_options(const job *j, size_t sensor, size_t day_index, ds_writer_options *o,
                         const ds_sim_format **fmt)
{
    const ds_sim_config *cfg = j->cfg;
    memset(o, 0, sizeof(*o));
    o->linktype = 1;
    if (j->format != NULL) {
        *fmt = j->format;
        o->compression = cfg->compression;
    } else {
        ds_sim_rng r;
        ds_sim_rng_seed(&r, j->plan.seed, 1 + sensor, 1 + day_index, 0x66696c65);
        *fmt = &formats[ds_sim_rng_below(&r, ds_sim_format_count())];
        o->compression = mixed_compressions[ds_sim_rng_below(
            &r, sizeof(mixed_compressions) / sizeof(mixed_compressions[0]))];
        o->linktype =
            mixed_linktypes[ds_sim_rng_below(&r, sizeof(mixed_linktypes) / sizeof(uint32_t))];
    }
    o->format = (*fmt)->format;
    o->nanosecond = (*fmt)->nanosecond;
    o->big_endian = (*fmt)->big_endian;
    o->level = cfg->level && j->format != NULL ? cfg->level : fast_level(o->compression);
}

/* write_bucket - one capture file: the packets of bucket, in the order of `sorted`. */
static ds_status write_bucket(job *j, const sim_packets *bucket, const sort_key *sorted,
                              size_t sensor, size_t m, unsigned day, ds_sim_month_rec *rec,
                              uint64_t *files, ds_error *err)
{
    const sim_plan *plan = &j->plan;
    char label[8], path[4096];
    ds_sim_month_label(plan->year, plan->month, m, label);
    int64_t day_index =
        (ds_sim_month_start_ns(plan->year, plan->month, m) / 86400000000000ll) + day;
    ds_writer_options o;
    const ds_sim_format *fmt;
    file_options(j, sensor, (size_t)day_index, &o, &fmt);
    ds_writer *w = NULL;
    ds_status st = DS_OK;
    if (!j->cfg->truth_only) {
        snprintf(path, sizeof(path), "%s/captures/%s/%s-%02u.%s%s", j->cfg->out_dir,
                 plan->sensor_names[sensor], label, day + 1,
                 fmt->format == DS_FORMAT_PCAP ? "pcap" : "pcapng", compression_ext(o.compression));
        st = ds_writer_open(&w, path, &o, err);
        if (st != DS_OK)
            return st;
        (*files)++;
    }
    for (size_t i = 0; i < bucket->n && st == DS_OK; i++) {
        ds_packet p = bucket->v[sorted[i].idx];
        p.file_index = 0;
        if (!fmt->nanosecond)
            p.ts_ns -= p.ts_ns % 1000; /* what a microsecond file keeps */
        if (w != NULL)
            st = ds_writer_write_packet(w, &p, err);
        if (st == DS_OK)
            st = ds_sim_month_rec_add(rec, &p, err);
    }
    ds_status cst = ds_writer_close(w, st == DS_OK ? err : NULL);
    return st != DS_OK ? st : cst;
}

static ds_status run_month(job *j, month_buf *b, size_t m, ds_error *err)
{
    const sim_plan *plan = &j->plan;
    const int64_t start = ds_sim_month_start_ns(plan->year, plan->month, m);
    const int64_t end = ds_sim_month_start_ns(plan->year, plan->month, m + 1);
    const unsigned days = (unsigned)((end - start) / 86400000000000ll);
    const size_t n_buckets = plan->n_sensors * days;
    if (b->cap_buckets < n_buckets) {
        sim_packets *g = realloc(b->out.buckets, n_buckets * sizeof(*g));
        if (g == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        memset(g + b->cap_buckets, 0, (n_buckets - b->cap_buckets) * sizeof(*g));
        b->out.buckets = g;
        b->cap_buckets = n_buckets;
    }
    for (size_t k = 0; k < n_buckets; k++)
        b->out.buckets[k].n = 0;
    b->out.n_buckets = n_buckets;
    b->out.days = days;
    b->out.start_ns = start;
    b->out.packets = 0;
    ds_status st = DS_OK;
    for (size_t a = 0; a < plan->n_actors && st == DS_OK; a++)
        st = ds_sim_generate_actor(plan, a, m, &b->out, err);
    ds_sim_month_rec *rec = NULL;
    if (st == DS_OK)
        st = ds_sim_month_rec_new(&rec, j->truth, m, err);
    uint64_t files = 0;
    for (size_t k = 0; k < n_buckets && st == DS_OK; k++) {
        const sim_packets *bucket = &b->out.buckets[k];
        if (bucket->n == 0)
            continue;
        if (b->cap_keys < bucket->n) {
            sort_key *keys = realloc(b->keys, bucket->n * sizeof(*keys));
            if (keys != NULL)
                b->keys = keys;
            sort_key *tmp = realloc(b->tmp, bucket->n * sizeof(*tmp));
            if (tmp != NULL)
                b->tmp = tmp;
            if (keys == NULL || tmp == NULL) {
                st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
                break;
            }
            b->cap_keys = bucket->n;
        }
        const int64_t day_start = start + (int64_t)(k % days) * 86400000000000ll;
        for (size_t i = 0; i < bucket->n; i++)
            b->keys[i] = (sort_key){(uint64_t)(bucket->v[i].ts_ns - day_start), (uint32_t)i};
        const sort_key *sorted = sort_keys(b->keys, b->tmp, bucket->n, 47); /* a day < 2^47 ns */
        st = write_bucket(j, bucket, sorted, k / days, m, (unsigned)(k % days), rec, &files, err);
    }
    if (st == DS_OK)
        st = ds_sim_month_rec_finish(rec, err);
    if (st != DS_OK) {
        ds_sim_month_rec_free(rec);
        return st;
    }
    pthread_mutex_lock(&j->lock);
    st = ds_sim_truth_add_month(j->truth, rec, err);
    j->packets += b->out.packets;
    j->files += files;
    j->months_done++;
    if (st == DS_OK && j->events != NULL && j->events->progress != NULL) {
        ds_sim_progress pr = {j->months_done, plan->n_months, j->packets, j->files};
        j->events->progress(j->events->ctx, &pr);
    }
    pthread_mutex_unlock(&j->lock);
    return st;
}

static void *worker(void *arg)
{
    job *j = arg;
    month_buf b;
    memset(&b, 0, sizeof(b));
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t m = j->status == DS_OK ? j->next_month++ : SIZE_MAX;
        pthread_mutex_unlock(&j->lock);
        if (m >= j->plan.n_months)
            break;
        ds_error err;
        ds_status st = run_month(j, &b, m, &err);
        if (st != DS_OK) {
            pthread_mutex_lock(&j->lock);
            if (j->status == DS_OK) {
                j->status = st;
                j->err = err;
            }
            pthread_mutex_unlock(&j->lock);
            break;
        }
    }
    for (size_t k = 0; k < b.cap_buckets; k++)
        free(b.out.buckets[k].v);
    free(b.out.buckets);
    free(b.keys);
    free(b.tmp);
    return NULL;
}

/* ---- folders ------------------------------------------------------------------------------ */

static ds_status make_dir(const char *path, ds_error *err)
{
    struct stat st;
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return ds_error_set(err, DS_ERR_IO, "%s: cannot create the folder: %s", path,
                            strerror(errno));
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return ds_error_set(err, DS_ERR_IO, "%s: not a folder", path);
    return DS_OK;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

/*
 * prepare_dirs - out_dir, and a fresh out_dir/captures/<sensor>/ for every sensor. A captures
 * folder left by an earlier simulation (out_dir/truth.json exists) is removed first, so that
 * no stale capture is analysed with the new truth; any other captures folder is an error.
 */
static ds_status prepare_dirs(const ds_sim_config *cfg, const sim_plan *plan, ds_error *err)
{
    char path[4096], truth[4096];
    ds_status st = make_dir(cfg->out_dir, err);
    if (st != DS_OK)
        return st;
    snprintf(path, sizeof(path), "%s/captures", cfg->out_dir);
    snprintf(truth, sizeof(truth), "%s/truth.json", cfg->out_dir);
    struct stat sb;
    if (lstat(path, &sb) == 0) {
        if (access(truth, F_OK) != 0)
            return ds_error_set(err, DS_ERR_IO,
                                "%s exists and was not written by darkscan simulate "
                                "(no truth.json beside it); remove it or choose another folder",
                                path);
        if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
            return ds_error_set(err, DS_ERR_IO, "%s: cannot remove the previous captures: %s", path,
                                strerror(errno));
    }
    if (cfg->truth_only)
        return DS_OK;
    st = make_dir(path, err);
    for (size_t s = 0; s < plan->n_sensors && st == DS_OK; s++) {
        snprintf(path, sizeof(path), "%s/captures/%s", cfg->out_dir, plan->sensor_names[s]);
        st = make_dir(path, err);
    }
    return st;
}

/* ---- darknet.txt ---------------------------------------------------------------------------- */

static ds_status write_darknet(const ds_sim_config *cfg, const sim_plan *plan, ds_error *err)
{
    char path[4096], a[16];
    snprintf(path, sizeof(path), "%s/darknet.txt", cfg->out_dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    fprintf(f, "# darknet of the simulated scenario '%s' (darkscan simulate): %u addresses\n",
            plan->scenario->name, plan->n_dark);
    fprintf(f, "# CIDR SENSOR; special-purpose address space, not a real network\n");
    for (size_t s = 0; s < plan->n_sensors; s++) {
        uint64_t size = 0;
        for (size_t i = 0; i < plan->n_prefixes; i++)
            size += plan->prefixes[i].sensor == s ? (uint64_t)1 << (32 - plan->prefixes[i].len) : 0;
        fprintf(f, "# sensor %s: %llu addresses\n", plan->sensor_names[s],
                (unsigned long long)size);
        for (size_t i = 0; i < plan->n_prefixes; i++) {
            if (plan->prefixes[i].sensor == s)
                fprintf(f, "%s/%u %s\n", ds_format_ipv4(plan->prefixes[i].addr, a),
                        plan->prefixes[i].len, plan->sensor_names[s]);
        }
    }
    if (fclose(f) != 0)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    return DS_OK;
}

/* ---- truth.json ----------------------------------------------------------------------------- */

static void key_u(ds_json *j, const char *k, uint64_t v)
{
    ds_json_key(j, k);
    ds_json_uint(j, v);
}

static void key_d(ds_json *j, const char *k, double v)
{
    ds_json_key(j, k);
    ds_json_double(j, v);
}

static void key_s(ds_json *j, const char *k, const char *v)
{
    ds_json_key(j, k);
    ds_json_string(j, v);
}

static double share(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0.0 : (double)part / (double)whole;
}

static const char *kind_name(sim_kind k)
{
    switch (k) {
    case SIM_SCANNER:
        return "scanner";
    case SIM_MIRAI:
        return "mirai";
    case SIM_BACKSCATTER:
        return "backscatter";
    case SIM_UDP:
        return "udp";
    case SIM_NOISE:
        return "noise";
    }
    return "unknown";
}

static const char *tool_name(sim_tool t)
{
    return t == SIM_TOOL_ZMAP ? "zmap" : t == SIM_TOOL_MASSCAN ? "masscan" : "other";
}

/* The /16 an actor sends from, or 0 when it has no hosts of its own. */
static uint32_t actor_block(const sim_actor *a)
{
    return a->n_hosts > 0 ? a->hosts[0] & 0xffff0000u : 0;
}

static const sim_actor *planted_scanner(const sim_plan *plan, uint32_t block)
{
    for (size_t i = 0; i < plan->n_actors; i++) {
        const sim_actor *a = &plan->actors[i];
        if (a->kind == SIM_SCANNER && a->range != NULL && actor_block(a) == block)
            return a;
    }
    return NULL;
}

static void month_key(ds_json *j, const sim_plan *plan, const char *k, size_t m)
{
    char label[8];
    key_s(j, k, ds_sim_month_label(plan->year, plan->month, m, label));
}

static void write_paper_row(ds_json *j, const sim_plan *plan, const sim_paper_row *row)
{
    ds_json_key(j, "paper");
    ds_json_object_begin(j);
    key_s(j, "letter", row->letter);
    key_s(j, "country", row->country);
    key_s(j, "category", ds_category_name(row->paper_category));
    month_key(j, plan, "first_window", (size_t)row->first);
    month_key(j, plan, "last_window", (size_t)row->last);
    key_u(j, "ports_max", row->ports_max);
    key_u(j, "ports_min", row->ports_min);
    ds_json_key(j, "documented");
    ds_json_bool(j, row->documented);
    ds_json_object_end(j);
}

/* What the simulation knows of a block beyond the results JSON. */
static void write_simulated(ds_json *j, const sim_plan *plan, const sim_actor *a)
{
    ds_json_key(j, "simulated");
    if (a == NULL) {
        ds_json_null(j);
        return;
    }
    ds_json_object_begin(j);
    key_s(j, "name", a->name);
    key_s(j, "owner", a->range->owner);
    key_s(j, "country", a->range->country);
    key_s(j, "asn", a->range->asn);
    key_s(j, "source", a->range->source);
    key_s(j, "tool", tool_name(a->tool));
    key_s(j, "planned_category", a->expect_constant ? ds_category_name(a->category) : NULL);
    if (a->paper != NULL)
        write_paper_row(j, plan, a->paper);
    ds_json_object_end(j);
}

static void write_network(ds_json *j, const sim_plan *plan, const ds_sim_net *n)
{
    char buf[32];
    ds_json_object_begin(j);
    key_s(j, "block", ds_block_format(n->block, 16, buf));
    key_s(j, "category", ds_category_name(n->category));
    key_d(j, "jaccard_median", ds_sim_frac_value(n->jaccard_median));
    key_d(j, "simpson_median", ds_sim_frac_value(n->simpson_median));
    month_key(j, plan, "first_window", n->sets[0].month);
    month_key(j, plan, "last_window", n->sets[n->n_sets - 1].month);
    ds_json_key(j, "scan_windows");
    ds_json_array_begin(j);
    for (size_t s = 0; s < n->n_sets; s++)
        ds_json_string(j, ds_sim_month_label(plan->year, plan->month, n->sets[s].month, buf));
    ds_json_array_end(j);
    key_u(j, "ports_max", n->ports_max);
    key_u(j, "ports_min", n->ports_min);
    ds_json_key(j, "port_sets");
    ds_json_object_begin(j);
    for (size_t s = 0; s < n->n_sets; s++) {
        ds_json_key(j, ds_sim_month_label(plan->year, plan->month, n->sets[s].month, buf));
        ds_json_array_begin(j);
        for (uint32_t k = 0; k < n->sets[s].n; k++)
            ds_json_uint(j, n->sets[s].ports[k]);
        ds_json_array_end(j);
    }
    ds_json_object_end(j);
    key_u(j, "syn_packets", n->syn_packets);
    key_d(j, "mirai_share", share(n->mirai_packets, n->syn_packets));
    key_s(j, "top24", ds_block_format(n->top24, 24, buf));
    key_u(j, "top24_syn_packets", n->top24_packets);
    key_u(j, "host_count", n->hosts);
    ds_json_key(j, "fingerprints");
    ds_json_object_begin(j);
    key_d(j, "mirai", share(n->mirai_packets, n->syn_packets));
    key_d(j, "zmap", share(n->zmap_packets, n->syn_packets));
    key_d(j, "masscan", share(n->masscan_packets, n->syn_packets));
    ds_json_object_end(j);
    write_simulated(j, plan, planted_scanner(plan, n->block));
    ds_json_object_end(j);
}

/* write_planted - every actor: what it is, what was expected, and what the truth found. */
static void write_planted(ds_json *j, const sim_plan *plan, const ds_sim_result *r)
{
    char buf[32];
    ds_json_key(j, "planted");
    ds_json_array_begin(j);
    for (size_t i = 0; i < plan->n_actors; i++) {
        const sim_actor *a = &plan->actors[i];
        uint32_t block = actor_block(a);
        const sim_actor *owner = block ? planted_scanner(plan, block) : NULL;
        bool inside = owner != NULL && owner != a;
        ds_json_object_begin(j);
        key_s(j, "name", a->name);
        key_s(j, "kind", kind_name(a->kind));
        key_s(j, "expected",
              a->expect_constant ? "constant"
              : inside           ? "inside a planted block"
                                 : "not constant");
        if (a->why != NULL)
            key_s(j, "why", a->why);
        ds_json_key(j, "block");
        if (block != 0 && !inside)
            ds_json_string(j, ds_block_format(block, 16, buf));
        else
            ds_json_null(j);
        if (inside)
            key_s(j, "inside", owner->name);
        if (a->range != NULL) {
            key_s(j, "owner", a->range->owner);
            key_s(j, "country", a->range->country);
            key_s(j, "asn", a->range->asn);
            key_s(j, "source", a->range->source);
        }
        if (a->kind == SIM_SCANNER || a->kind == SIM_UDP || a->kind == SIM_BACKSCATTER)
            key_s(j, "tool", tool_name(a->tool));
        if (a->n_hosts > 0) {
            ds_json_key(j, "hosts");
            ds_json_array_begin(j);
            for (uint32_t h = 0; h < a->n_hosts; h++)
                ds_json_string(j, ds_format_ipv4(a->hosts[h], buf));
            ds_json_array_end(j);
        }
        if (a->expect_constant) {
            key_s(j, "planned_category", ds_category_name(a->category));
            key_u(j, "planned_ports_max", a->ports_max);
            key_u(j, "planned_ports_min", a->ports_min);
            if (a->paper != NULL)
                write_paper_row(j, plan, a->paper);
        }
        if (block != 0 && !inside) {
            /* what the oracle saw of the block */
            uint64_t scans = 0, max_ports = 0, max_cov = 0;
            for (size_t k = 0; k < r->n_block_months; k++) {
                const ds_sim_block_month *bm = &r->block_months[k];
                if (bm->block != block)
                    continue;
                scans += bm->ports_at_alpha >= plan->params.min_ports && bm->ports_at_alpha > 0;
                if (bm->ports_at_alpha > max_ports)
                    max_ports = bm->ports_at_alpha;
                if (bm->max_coverage > max_cov)
                    max_cov = bm->max_coverage;
            }
            bool detected = false;
            for (size_t k = 0; k < r->n_nets; k++)
                detected |= r->nets[k].block == block;
            ds_json_key(j, "detected");
            ds_json_bool(j, detected);
            key_u(j, "scan_windows", scans);
            key_u(j, "max_port_set", max_ports);
            key_u(j, "max_coverage", max_cov);
        }
        ds_json_object_end(j);
    }
    ds_json_array_end(j);
}

static ds_status write_truth(const job *j, const ds_sim_result *r, ds_error *err)
{
    const sim_plan *plan = &j->plan;
    const ds_sim_config *cfg = j->cfg;
    char path[4096];
    snprintf(path, sizeof(path), "%s/truth.json", cfg->out_dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    ds_json *js = ds_json_new(f, true);
    if (js == NULL) {
        fclose(f);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    ds_json_object_begin(js);
    key_s(js, "generator", "darkscan simulate");
    key_s(js, "version", ds_version());
    key_s(js, "scenario", plan->scenario->name);
    key_u(js, "seed", plan->seed);
    ds_json_key(js, "scale");
    ds_json_object_begin(js);
    key_d(js, "factor", plan->scale);
    key_u(js, "knee", plan->scenario->knee);
    key_s(js, "rule",
          "port-set sizes of Table 3 (and of the 2025 survey) above the knee K become K + "
          "round((size - K) * factor), so packet volume shrinks with them; 1 is full size. "
          "Sizes at or below the knee, the darknet, the period and the thresholds are never "
          "scaled.");
    ds_json_object_end(js);
    key_s(js, "format", j->format != NULL ? j->format->name : DS_SIM_MIXED);
    key_s(js, "compression",
          j->format != NULL ? ds_compression_name(cfg->compression) : DS_SIM_MIXED);
    ds_json_key(js, "captures");
    ds_json_bool(js, !cfg->truth_only);
    ds_json_key(js, "params");
    ds_json_object_begin(js);
    key_d(js, "alpha", ds_sim_frac_value(plan->params.alpha));
    key_u(js, "min_ports", plan->params.min_ports);
    key_u(js, "min_windows", plan->params.min_windows);
    key_u(js, "prefix", 16);
    key_s(js, "window", "month");
    key_u(js, "alpha_addresses", r->alpha_addresses);
    ds_json_object_end(js);
    ds_json_key(js, "darknet");
    ds_json_object_begin(js);
    key_u(js, "size", r->darknet_size);
    ds_json_key(js, "sensors");
    ds_json_array_begin(js);
    for (size_t s = 0; s < plan->n_sensors; s++) {
        uint64_t size = 0;
        for (uint32_t d = 0; d < plan->n_dark; d++)
            size += plan->dark_sensor[d] == s;
        ds_json_object_begin(js);
        key_s(js, "name", plan->sensor_names[s]);
        key_u(js, "size", size);
        ds_json_object_end(js);
    }
    ds_json_array_end(js);
    ds_json_object_end(js);
    ds_json_key(js, "input");
    ds_json_object_begin(js);
    key_u(js, "files", j->files);
    key_u(js, "packets", r->totals.packets);
    key_u(js, "syn_packets", r->totals.syn_packets);
    key_u(js, "outside_darknet", r->totals.outside_darknet);
    key_u(js, "ipv4_packets", r->totals.packets);
    key_u(js, "syn_to_darknet", r->totals.syn_to_darknet);
    ds_json_object_end(js);
    ds_json_key(js, "windows");
    ds_json_array_begin(js);
    for (size_t m = 0; m < r->n_months; m++) {
        ds_json_object_begin(js);
        month_key(js, plan, "label", m);
        key_u(js, "packets", r->windows[m].packets);
        key_u(js, "syn_packets", r->windows[m].syn_to_darknet);
        key_u(js, "scan_blocks", r->windows[m].scan_blocks);
        ds_json_object_end(js);
    }
    ds_json_array_end(js);
    ds_json_key(js, "networks");
    ds_json_array_begin(js);
    for (size_t i = 0; i < r->n_nets; i++)
        write_network(js, plan, &r->nets[i]);
    ds_json_array_end(js);
    key_u(js, "top_ports_port_sets", r->top_ports_total_sets);
    ds_json_key(js, "top_ports");
    ds_json_array_begin(js);
    for (size_t i = 0; i < r->n_top_ports; i++) {
        ds_json_object_begin(js);
        key_u(js, "port", r->top_ports[i].port);
        key_d(js, "frequency", share(r->top_ports[i].sets, r->top_ports_total_sets));
        key_u(js, "port_sets", r->top_ports[i].sets);
        ds_json_object_end(js);
    }
    ds_json_array_end(js);
    write_planted(js, plan, r);
    ds_json_object_end(js);
    ds_status st = ds_json_finish(js, err);
    ds_json_free(js);
    if (fclose(f) != 0 && st == DS_OK)
        st = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    else if (st != DS_OK)
        ds_error_prefix(err, "%s", path);
    return st;
}

/* ---- entry point ---------------------------------------------------------------------------- */

ds_status ds_simulate_run(const ds_sim_config *cfg, const ds_sim_events *events,
                          ds_sim_summary *summary, ds_error *err)
{
    const char *name = cfg->scenario != NULL ? cfg->scenario : "paper";
    const ds_sim_scenario *sc = ds_sim_scenario_find(name);
    if (sc == NULL)
        return ds_error_set(err, DS_ERR_INVALID, "unknown scenario '%s'", name);
    if (cfg->out_dir == NULL || cfg->out_dir[0] == '\0')
        return ds_error_set(err, DS_ERR_INVALID, "no output folder");
    double scale = cfg->scale == 0 ? sc->default_scale : cfg->scale;
    if (!(scale > 0 && scale <= 1))
        return ds_error_set(err, DS_ERR_INVALID, "scale %g is not in (0, 1]", scale);
    const char *fname = cfg->format != NULL ? cfg->format : "pcap";
    const ds_sim_format *fmt = NULL;
    if (strcmp(fname, DS_SIM_MIXED) != 0) {
        fmt = ds_sim_format_find(fname);
        if (fmt == NULL)
            return ds_error_set(err, DS_ERR_INVALID, "unknown format '%s'", fname);
    }
    if (cfg->compression > DS_COMP_LZ4)
        return ds_error_set(err, DS_ERR_INVALID, "unknown compression");

    job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    j->cfg = cfg;
    j->format = fmt;
    j->events = events;
    pthread_mutex_init(&j->lock, NULL);
    ds_sim_result *res = NULL;
    ds_status st = ds_sim_plan_build(&j->plan, sc, cfg->seed, scale, err);
    if (st != DS_OK)
        goto out;
    const sim_plan *plan = &j->plan;
    uint32_t *addrs = malloc(plan->n_prefixes * sizeof(*addrs));
    unsigned *lens = malloc(plan->n_prefixes * sizeof(*lens));
    if (addrs == NULL || lens == NULL) {
        free(addrs);
        free(lens);
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < plan->n_prefixes; i++) {
        addrs[i] = plan->prefixes[i].addr;
        lens[i] = plan->prefixes[i].len;
    }
    st = ds_sim_truth_new(&j->truth, addrs, lens, plan->n_prefixes, plan->year, plan->month,
                          plan->n_months, &plan->params, err);
    free(addrs);
    free(lens);
    if (st == DS_OK)
        st = prepare_dirs(cfg, plan, err);
    if (st == DS_OK)
        st = write_darknet(cfg, plan, err);
    if (st != DS_OK)
        goto out;

    unsigned n_threads = cfg->threads ? cfg->threads : 1;
    if (n_threads > plan->n_months)
        n_threads = (unsigned)plan->n_months;
    pthread_t threads[64];
    if (n_threads > 64)
        n_threads = 64;
    unsigned started = 0;
    for (; started < n_threads; started++) {
        if (pthread_create(&threads[started], NULL, worker, j) != 0)
            break;
    }
    if (started == 0) {
        worker(j); /* no thread could start: do it here */
    }
    for (unsigned t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    if (j->status != DS_OK) {
        st = j->status;
        if (err != NULL)
            *err = j->err;
        goto out;
    }
    st = ds_sim_truth_compute(j->truth, &res, err);
    if (st == DS_OK)
        st = write_truth(j, res, err);
    if (st == DS_OK && summary != NULL) {
        memset(summary, 0, sizeof(*summary));
        summary->scenario = sc;
        summary->scale = scale;
        summary->packets = j->packets;
        summary->files = j->files;
        summary->darknet_size = res->darknet_size;
        summary->networks = res->n_nets;
        for (size_t i = 0; i < res->n_nets; i++) {
            summary->routine += res->nets[i].category == DS_CATEGORY_ROUTINE;
            summary->semi_routine += res->nets[i].category == DS_CATEGORY_SEMI_ROUTINE;
            summary->ad_hoc += res->nets[i].category == DS_CATEGORY_AD_HOC;
        }
        summary->planted = plan->n_actors;
        for (size_t i = 0; i < plan->n_actors; i++)
            summary->planted_constant += plan->actors[i].expect_constant;
    }
out:
    ds_sim_result_free(res);
    ds_sim_truth_free(j->truth);
    ds_sim_plan_free(&j->plan);
    pthread_mutex_destroy(&j->lock);
    free(j);
    return st;
}
