/*
 * read.c - many capture files into one aggregate with worker threads (see read.h).
 *
 * Each worker has its own aggregate. A worker opens the next unread file and takes batches of
 * decoded packets from it under the part's lock, then aggregates them outside the lock. When
 * there are more workers than files left, a large uncompressed file is split into byte ranges
 * (parts, split.h), one per spare worker, each read by a reader of its own; a part's start is
 * a guessed record boundary, confirmed when the part before it stops exactly there, and until
 * then its packets go into an aggregate of its own, discarded with the part when the guess was
 * wrong (the part before goes on over its range) or a part before it failed. Workers with
 * nothing else to do join a confirmed part being read (batches in turn under its lock), so a
 * compressed file is still aggregated by every thread, but not where that thread would take a
 * core from a decompression thread (busy_threads()). The file is reported once its parts are
 * all merged, with their stats added in order: what one serial reader gives. A worker that has
 * nothing left to read sorts and merges its own sets (in parallel with the others); the
 * aggregates are then joined without copying or merging the sets (ds_aggregate_absorb()): the
 * detector walks the workers' runs merged on the fly.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aggregate/aggregate_int.h"
#include "capture/split.h"
#include "darkscan/read.h"

#define BATCH 4096

/* A large uncompressed file is read in parts of at least this many bytes when workers would
   otherwise wait (DARKSCAN_TEST_SPLIT_BYTES: parts of that size, whatever the workers). */
#define SPLIT_MIN   (16u * 1024u * 1024u)
#define SPLIT_PARTS 256u
/* A worker whose own aggregate is still empty joins a part of an uncompressed file only when
   this much of it is left: its packets would make one more set of runs, which costs a merge
   of a whole worker's keys at the end (about 0.05 s per 13 M keys) for little reading saved. */
#define JOIN_MIN (64u * 1024u * 1024u)

typedef enum part_state {
    P_IDLE,    /* waiting for a worker (never read yet, or to go on past a wrong guess) */
    P_READING, /* workers attached */
    P_STOPPED, /* the reader stopped (its end, an error or its limit), no worker attached */
    P_DEAD,    /* merged into its file or discarded */
} part_state;

typedef struct file file;

/*
 * A byte range of an open file and the workers reading it. The first part of a file starts at
 * its first record; each further one at a guessed record boundary (split.h), the previous
 * part's limit. A part is confirmed when the parts before it together read exactly as far as
 * its start: the first, and the next of a confirmed part that stopped exactly at its limit.
 * An unconfirmed part's packets go into an aggregate of its own, discarded when the guess
 * proves wrong (the part before then goes on) or a part before it fails.
 */
typedef struct part {
    struct part *next;     /* the next part of the file (guarded by job.sched) */
    struct part *all_next; /* in job.parts or job.dead (guarded by job.sched) */
    file *file;
    pthread_mutex_t lock; /* guards reader, done, st, err while users > 0 */
    ds_reader *reader;
    uint64_t start;           /* the offset of its first record */
    part_state state;         /* guarded by job.sched, as are the fields below */
    unsigned users;           /* workers attached */
    bool confirmed;           /* start is where a serial reading has a record */
    ds_aggregate *agg;        /* the unconfirmed packets (NULL: none) */
    atomic_bool discard;      /* thrown away while its owner reads: stop */
    atomic_bool done;         /* the reader returned its end, its limit or an error */
    atomic_uint_fast64_t pos; /* where its reader is (after each batch) */
    bool at_limit;            /* it stopped at its limit, at stop_off */
    uint64_t stop_off;
    ds_status st; /* DS_OK, or the error that stopped the part */
    ds_error err;
} part;

/* An open file: its parts, and what the confirmed parts read. */
struct file {
    size_t index;
    bool plain;              /* uncompressed regular file: its parts' positions are file offsets */
    bool fast_decompression; /* zstd or lz4 */
    part *head;              /* the first part not yet merged (confirmed); NULL once finished */
    ds_capture_stats stats;
    ds_status st;
    ds_error err;
};

typedef struct job {
    const ds_path_list *inputs;
    const ds_read_events *ev;
    uint64_t *sizes;
    file *files; /* one per input */
    part *parts; /* the parts not yet dead, where workers look for work (all_next) */
    part *dead;  /* the dead ones, moved here by prune(): freed (aggregates absorbed) at the end */
    unsigned n_workers;
    unsigned cores;        /* online CPUs (0: unknown) */
    uint64_t split_test;   /* DARKSCAN_TEST_SPLIT_BYTES, or 0 */
    size_t buffer_test;    /* DARKSCAN_TEST_BUFFER_KEYS, or 0 */
    pthread_mutex_t sched; /* guards the parts' scheduling fields, next and opening */
    pthread_cond_t work;   /* a file was opened (or failed to) or a part became idle */
    size_t next;           /* the next file to open */
    unsigned opening;      /* workers opening a file */
    unsigned reading;      /* workers not yet done reading */
    unsigned with_data;    /* workers done reading whose aggregate holds packets */
    atomic_bool part_aggs; /* a part had an aggregate of its own */
    atomic_uint_fast64_t packets;
    atomic_uint_fast64_t bytes_done;
    atomic_size_t files_done;
    pthread_mutex_t lock; /* guards info and the callbacks */
    ds_input_info info;
} job;

typedef struct worker {
    job *job;
    pthread_t thread;
    ds_aggregate *agg;
    const ds_agg_config *cfg;
    ds_status status; /* DS_OK or out of memory */
    ds_error err;
} worker;

/* report_failed - a file that could not be opened. */
static void report_failed(job *j, const char *path, const ds_error *err)
{
    pthread_mutex_lock(&j->lock);
    j->info.failed++;
    if (j->ev->file_failed != NULL)
        j->ev->file_failed(j->ev->ctx, path, err);
    pthread_mutex_unlock(&j->lock);
}

/* finish - every part of the file is merged: count it and report it. */
static void finish(job *j, file *f)
{
    const char *path = j->inputs->paths[f->index];
    const ds_capture_stats *st = &f->stats;
    pthread_mutex_lock(&j->lock);
    j->info.files++;
    j->info.records += st->records;
    j->info.ipv6 += st->ipv6;
    j->info.non_ip += st->non_ip;
    j->info.other_skipped += st->unknown_linktype + st->short_records + st->bad_ip;
    if (f->st != DS_OK) {
        j->info.failed++;
        if (j->ev->file_failed != NULL)
            j->ev->file_failed(j->ev->ctx, path, &f->err);
    } else {
        if (st->truncated) {
            j->info.truncated++;
            if (j->ev->file_truncated != NULL)
                j->ev->file_truncated(j->ev->ctx, path, st);
        }
        if (j->ev->file_done != NULL)
            j->ev->file_done(j->ev->ctx, path, st);
    }
    pthread_mutex_unlock(&j->lock);
    atomic_fetch_add(&j->bytes_done, j->sizes[f->index]);
    atomic_fetch_add(&j->files_done, 1);
}

/* part_new - a part over reader r starting at `start`, not yet listed in the job. */
static part *part_new(file *f, ds_reader *r, uint64_t start, part_state state)
{
    part *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->file = f;
    p->reader = r;
    p->start = start;
    p->state = state;
    return p;
}

/* part_drop - free what a dead part holds (under sched, no worker attached). */
static void part_drop(part *p)
{
    ds_reader_free(p->reader);
    p->reader = NULL;
    ds_aggregate_free(p->agg);
    p->agg = NULL;
    p->state = P_DEAD;
}

/* discard - throw away a part that was not confirmed (under sched); its owner frees it. */
static void discard(part *p)
{
    if (p->state == P_READING)
        atomic_store(&p->discard, true);
    else
        part_drop(p);
}

/*
 * resolve - after a part of f stopped (under sched): merge the confirmed parts that stopped,
 * confirm or discard the guesses after them, and let a part go on past a wrong guess. True
 * when the whole file is read (finish() it).
 */
static bool resolve(job *j, file *f)
{
    for (;;) {
        part *p = f->head;
        if (p == NULL || p->state != P_STOPPED)
            return false;
        part *q = p->next;
        if (p->at_limit && q != NULL) {
            if (p->stop_off == q->start && ds_reader_keeps_state(p->reader)) {
                /* The guess was right: p read every record before q's first. */
                ds_capture_stats_add(&f->stats, ds_reader_stats(p->reader));
                ds_reader_free(p->reader);
                p->reader = NULL;
                p->state = P_DEAD; /* its aggregate, if any, stays for the end */
                q->confirmed = true;
                f->head = q;
                continue;
            }
            /* A record of p's runs over q's start (q began inside a record), or p's section
               state changed (pcapng): p goes on over q's range, which q's reading leaves. */
            p->next = q->next;
            discard(q);
            if (p->next != NULL && p->stop_off >= p->next->start)
                continue; /* p already stopped at or after the next guess: compare again */
            ds_reader_set_limit(p->reader, p->next != NULL ? p->next->start : UINT64_MAX);
            p->state = P_IDLE;
            atomic_store(&p->done, false);
            pthread_cond_broadcast(&j->work);
            return false;
        }
        /* The end of the file or an error: what serial reading would give; nothing after. */
        ds_capture_stats_add(&f->stats, ds_reader_stats(p->reader));
        if (p->st != DS_OK) {
            f->st = p->st;
            f->err = p->err;
        }
        ds_reader_free(p->reader);
        p->reader = NULL;
        p->state = P_DEAD;
        for (part *d = p->next; d != NULL;) {
            part *n = d->next;
            d->next = NULL;
            discard(d);
            d = n;
        }
        p->next = NULL;
        f->head = NULL;
        return true;
    }
}

/*
 * split - the parts of a newly opened file (reader r): how many, where. One part unless the
 * file is a large uncompressed one and `spare` workers would otherwise wait, or the tests ask
 * (DARKSCAN_TEST_SPLIT_BYTES). The parts are made, their limits set, and only then listed in
 * the job for the other workers (under sched). f->head is the first, for the caller to read.
 */
static void split(job *j, file *f, ds_reader *r, unsigned spare)
{
    uint64_t size = j->sizes[f->index];
    uint64_t n = 1;
    if (j->split_test > 0)
        n = size / j->split_test;
    else if (spare > 1 && size >= 2ull * SPLIT_MIN)
        n = size / SPLIT_MIN < spare ? size / SPLIT_MIN : spare;
    if (n > SPLIT_PARTS)
        n = SPLIT_PARTS;
    part *head = part_new(f, r, ds_reader_offset(r), P_READING);
    if (head == NULL) {
        ds_reader_free(r);
        f->st = ds_error_set(&f->err, DS_ERR_NOMEM, "out of memory");
        return;
    }
    head->confirmed = true;
    head->users = 1;
    f->plain = ds_reader_can_split(r);
    ds_compression c = ds_reader_compression(r);
    f->fast_decompression = c == DS_COMP_ZSTD || c == DS_COMP_LZ4;
    part *last = head;
    if (n >= 2 && f->plain) {
        for (uint64_t k = 1; k < n; k++) {
            uint64_t at = size / n * k;
            if (at <= last->start)
                continue;
            ds_reader *q = NULL;
            ds_error err;
            if (ds_reader_open_at(&q, r, at, &err) != DS_OK || q == NULL)
                continue; /* no boundary found there: the part before reads on */
            uint64_t start = ds_reader_offset(q);
            part *np = start > last->start ? part_new(f, q, start, P_IDLE) : NULL;
            if (np == NULL) {
                ds_reader_free(q);
                continue;
            }
            ds_reader_set_limit(last->reader, start);
            last->next = np;
            last = np;
        }
    }
    pthread_mutex_lock(&j->sched);
    for (part *p = head; p != NULL; p = p->next) {
        p->all_next = j->parts;
        j->parts = p;
    }
    f->head = head;
    pthread_mutex_unlock(&j->sched);
}

/* prune - move the dead parts out of the list workers search (under sched). */
static void prune(job *j)
{
    part **at = &j->parts;
    while (*at != NULL) {
        part *p = *at;
        if (p->state == P_DEAD) {
            *at = p->all_next;
            p->all_next = j->dead;
            j->dead = p;
        } else {
            at = &p->all_next;
        }
    }
}

/* take - attach to an idle part (under sched); *own: read into the part's own aggregate. */
static part *take(part *p, bool *own)
{
    p->state = P_READING;
    p->users = 1;
    *own = !p->confirmed;
    return p;
}

/*
 * busy_threads - the threads reading now: the workers attached to parts being read and the
 * decompression thread of each compressed one (j->sched held).
 */
static unsigned busy_threads(const job *j)
{
    unsigned n = 0;
    for (const part *p = j->parts; p != NULL; p = p->all_next)
        if (p->state == P_READING && !atomic_load(&p->done))
            n += p->users + (ds_reader_compression(p->reader) != DS_COMP_NONE);
    return n;
}

/*
 * attach - a part to read from: an idle part (a guessed range, or one going on past a wrong
 * guess); else a newly opened file while unread files remain; else the confirmed part being
 * read with the fewest readers (waiting for a file that another worker is opening). NULL when
 * there is nothing left to do.
 */
static part *attach(job *j, bool fresh, bool *own)
{
    *own = false;
    pthread_mutex_lock(&j->sched);
    for (;;) {
        prune(j);
        for (part *p = j->parts; p != NULL; p = p->all_next) {
            if (p->state == P_IDLE) {
                take(p, own);
                pthread_mutex_unlock(&j->sched);
                return p;
            }
        }
        if (j->next < j->inputs->count) {
            size_t index = j->next++;
            size_t left = j->inputs->count - j->next;
            unsigned spare = j->n_workers > left ? (unsigned)(j->n_workers - left) : 0;
            j->opening++;
            pthread_mutex_unlock(&j->sched);
            ds_error err;
            ds_reader *r = NULL;
            file *f = &j->files[index];
            f->index = index;
            ds_status st = ds_reader_open(&r, j->inputs->paths[index], (uint32_t)index, &err);
            if (st == DS_OK)
                split(j, f, r, spare);
            pthread_mutex_lock(&j->sched);
            j->opening--;
            pthread_cond_broadcast(&j->work);
            if (st != DS_OK || f->head == NULL) {
                pthread_mutex_unlock(&j->sched);
                report_failed(j, j->inputs->paths[index], st != DS_OK ? &err : &f->err);
                atomic_fetch_add(&j->bytes_done, j->sizes[index]);
                atomic_fetch_add(&j->files_done, 1);
                pthread_mutex_lock(&j->sched);
                continue;
            }
            part *p = f->head;
            pthread_mutex_unlock(&j->sched);
            return p; /* the first part, confirmed: into the worker's aggregate */
        }
        part *best = NULL;
        unsigned busy = busy_threads(j);
        for (part *p = j->parts; p != NULL; p = p->all_next) {
            if (p->state != P_READING || !p->confirmed || atomic_load(&p->done))
                continue;
            if (!p->file->plain && j->cores > 0 && busy + 1 > j->cores)
                continue; /* it would take a core from a decompression thread */
            if (fresh && p->file->plain) {
                uint64_t end = p->next != NULL ? p->next->start : j->sizes[p->file->index];
                uint64_t at = atomic_load(&p->pos);
                if (at >= end || end - at < JOIN_MIN)
                    continue;
            }
            if (best == NULL || p->users < best->users)
                best = p;
        }
        if (best != NULL) {
            best->users++;
            pthread_mutex_unlock(&j->sched);
            return best;
        }
        if (j->opening == 0) {
            pthread_mutex_unlock(&j->sched);
            return NULL;
        }
        /* A file is being opened: wait to join it rather than leave with nothing to do. */
        pthread_cond_wait(&j->work, &j->sched);
    }
}

/* detach - leave a part; the last worker to leave a stopped part settles its file. */
static void detach(job *j, part *p)
{
    pthread_mutex_lock(&j->sched);
    bool finished = false;
    if (--p->users == 0) {
        if (atomic_load(&p->discard)) {
            part_drop(p); /* unlinked from its file when it was thrown away */
        } else {
            p->state = P_STOPPED;
            p->at_limit = ds_reader_at_limit(p->reader, &p->stop_off);
            finished = resolve(j, p->file);
        }
    }
    pthread_mutex_unlock(&j->sched);
    if (finished)
        finish(j, p->file);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    job *j = w->job;
    ds_packet *batch = malloc(BATCH * sizeof(*batch));
    if (batch == NULL)
        w->status = ds_error_set(&w->err, DS_ERR_NOMEM, "out of memory");
    part *p;
    bool own, used = false; /* used: packets went into w->agg */
    while ((p = attach(j, !used, &own)) != NULL) {
        /* An unconfirmed part's owner reads into the part's own aggregate (the only user
           until the part is confirmed; the joiners of a confirmed part use their own). */
        ds_aggregate *into = w->agg;
        if (own && w->status == DS_OK) {
            if (p->agg == NULL && ds_aggregate_new(&p->agg, w->cfg, &w->err) != DS_OK)
                w->status = DS_ERR_NOMEM;
            atomic_store(&j->part_aggs, true);
            into = p->agg;
        }
        /* zstd and lz4 decompress about as fast as a worker aggregates: it sorts in shorter
           bursts, which the decompression thread's ring rides out. Slower decompression
           (gzip, bzip2, xz) never fills the ring; larger bursts cost less CPU there. */
        size_t buffer = p->file->fast_decompression ? DS_AGG_RING_BUFFER_KEYS : DS_AGG_BUFFER_KEYS;
        if (j->buffer_test > 0)
            buffer = j->buffer_test; /* tests: many runs from a small input */
        if (into != NULL)
            ds_aggregate_set_buffer(into, buffer, buffer);
        for (;;) {
            size_t n = 0;
            pthread_mutex_lock(&p->lock);
            if (!p->done) {
                if (w->status != DS_OK || atomic_load(&p->discard)) {
                    /* Out of memory, or thrown away: drain nothing more from this part. */
                    p->done = true;
                } else {
                    ds_status st = ds_reader_next(p->reader, batch, BATCH, &n, &p->err);
                    atomic_store(&p->pos, ds_reader_offset(p->reader));
                    if (st != DS_OK || n == 0) {
                        p->done = true;
                        p->st = st;
                    }
                }
            }
            pthread_mutex_unlock(&p->lock);
            if (n > 0 && w->status == DS_OK) {
                used |= into == w->agg;
                if (ds_aggregate_add(into, batch, n, &w->err) != DS_OK)
                    w->status = DS_ERR_NOMEM;
                else
                    atomic_fetch_add(&j->packets, n);
            }
            if (n == 0)
                break;
        }
        /* The part's own sets are sorted and merged by its owner, before it may be settled. */
        if (into != w->agg && w->status == DS_OK && !atomic_load(&p->discard) &&
            ds_aggregate_compact_all(into, 1, &w->err) != DS_OK)
            w->status = DS_ERR_NOMEM;
        detach(j, p);
    }
    free(batch);
    /* The worker's own sets are sorted and merged here, in parallel with the others'; the only
       worker with packets (alone, or the others found nothing to join: one compressed file on
       two cores) leaves two runs, which the coverage walk merges on the fly. */
    pthread_mutex_lock(&j->sched);
    bool last = --j->reading == 0;
    j->with_data += used;
    bool only = last && used && j->with_data == 1 && !atomic_load(&j->part_aggs);
    pthread_mutex_unlock(&j->sched);
    size_t max_runs = only ? 2 : 1;
    if (w->status == DS_OK && ds_aggregate_compact_all(w->agg, max_runs, &w->err) != DS_OK)
        w->status = DS_ERR_NOMEM;
    return NULL;
}

static void report_progress(job *j, uint64_t total)
{
    ds_read_progress p = {atomic_load(&j->packets), atomic_load(&j->bytes_done), total,
                          atomic_load(&j->files_done), j->inputs->count};
    pthread_mutex_lock(&j->lock);
    j->ev->progress(j->ev->ctx, &p);
    pthread_mutex_unlock(&j->lock);
}

/* A group of aggregates that one thread joins into its first and compacts. */
typedef struct group {
    ds_aggregate **aggs;
    size_t n;
    size_t keys;
    pthread_t thread;
    bool started;
    ds_status st;
    ds_error err;
} group;

static void *group_main(void *arg)
{
    group *g = arg;
    for (size_t k = 1; k < g->n && g->st == DS_OK; k++) {
        g->st = ds_aggregate_absorb(g->aggs[0], g->aggs[k], &g->err);
        ds_aggregate_free(g->aggs[k]);
        g->aggs[k] = NULL;
    }
    if (g->n > 1 && g->st == DS_OK)
        g->st = ds_aggregate_compact_all(g->aggs[0], 1, &g->err);
    return NULL;
}

/*
 * join_aggregates - every aggregate (the workers' and the confirmed parts') into workers[0]'s.
 * With more aggregates than workers (a worker read a part into its own and then joined
 * another), they are first joined in as many groups as workers, of about equal size, each by
 * a thread of its own that merges its group's runs into one: the final aggregate then holds
 * one run per worker, which the coverage walk merges on the fly (with two, in two halves at
 * once), rather than more runs walked serially.
 */
static ds_status join_aggregates(job *j, worker *workers, unsigned n_workers, ds_error *err)
{
    size_t n = 0, cap = n_workers;
    for (part *p = j->dead; p != NULL; p = p->all_next)
        cap += p->agg != NULL;
    ds_aggregate **all = calloc(cap, sizeof(*all));
    size_t *keys = calloc(cap, sizeof(*keys));
    group *groups = calloc(n_workers, sizeof(*groups));
    ds_aggregate **slots = calloc(cap, sizeof(*slots));
    size_t *member = calloc(cap, sizeof(*member)); /* each aggregate's group */
    size_t *count = calloc(n_workers, sizeof(*count));
    if (all == NULL || keys == NULL || groups == NULL || slots == NULL || member == NULL ||
        count == NULL) {
        /* The aggregates are still their workers' and parts': the caller frees them. */
        free(all);
        free(keys);
        free(groups);
        free(slots);
        free(member);
        free(count);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    for (unsigned i = 0; i < n_workers; i++) {
        all[n++] = workers[i].agg;
        workers[i].agg = NULL;
    }
    for (part *p = j->dead; p != NULL; p = p->all_next) {
        if (p->agg != NULL) {
            all[n++] = p->agg;
            p->agg = NULL;
        }
    }
    /* Largest first, each into the group with the fewest keys so far. */
    for (size_t i = 0; i < n; i++)
        keys[i] = ds_aggregate_key_count(all[i]);
    for (size_t i = 1; i < n; i++) {
        for (size_t k = i; k > 0 && keys[k - 1] < keys[k]; k--) {
            size_t t = keys[k];
            keys[k] = keys[k - 1];
            keys[k - 1] = t;
            ds_aggregate *a = all[k];
            all[k] = all[k - 1];
            all[k - 1] = a;
        }
    }
    /* Each group's members go into slots in turn: count first, then place. */
    for (size_t i = 0; i < n; i++) {
        unsigned best = 0;
        for (unsigned g = 1; g < n_workers; g++) {
            if (groups[g].keys < groups[best].keys)
                best = g;
        }
        member[i] = best;
        count[best]++;
        groups[best].keys += keys[i];
    }
    size_t at = 0;
    for (unsigned g = 0; g < n_workers; g++) {
        groups[g].aggs = slots + at;
        at += count[g];
    }
    for (size_t i = 0; i < n; i++) {
        group *g = &groups[member[i]];
        g->aggs[g->n++] = all[i];
    }
    free(member);
    free(count);
    /* The groups of more than one aggregate are joined in threads of their own (the first in
       this one); then the groups' aggregates are joined as they are. */
    for (unsigned g = 1; g < n_workers; g++)
        groups[g].started =
            groups[g].n > 1 && pthread_create(&groups[g].thread, NULL, group_main, &groups[g]) == 0;
    group_main(&groups[0]);
    for (unsigned g = 1; g < n_workers; g++) {
        if (groups[g].started)
            pthread_join(groups[g].thread, NULL);
        else
            group_main(&groups[g]);
    }
    ds_status st = DS_OK;
    ds_aggregate *into = NULL;
    for (unsigned g = 0; g < n_workers; g++) {
        if (groups[g].n == 0)
            continue;
        if (st == DS_OK && groups[g].st != DS_OK) {
            st = groups[g].st;
            if (err != NULL)
                *err = groups[g].err;
        }
        if (into == NULL) {
            into = groups[g].aggs[0];
            continue;
        }
        if (st == DS_OK)
            st = ds_aggregate_absorb(into, groups[g].aggs[0], err);
        ds_aggregate_free(groups[g].aggs[0]);
    }
    workers[0].agg = into;
    free(all);
    free(keys);
    free(groups);
    free(slots);
    return st;
}

ds_status ds_read_files(const ds_path_list *inputs, const ds_agg_config *cfg, unsigned threads,
                        const ds_read_events *events, ds_aggregate **out, ds_input_info *info,
                        ds_error *err)
{
    static const ds_read_events no_events;
    *out = NULL;
    memset(info, 0, sizeof(*info));
    job j = {.inputs = inputs, .ev = events != NULL ? events : &no_events};
    unsigned n_workers = threads < 1 ? 1 : threads;
    j.n_workers = n_workers;
    /* As many files as workers (at most) are decoded at once: the cores are shared among their
       decoders (an xz -T file's blocks); one file alone gets every core. */
    size_t at_once = inputs->count < n_workers ? inputs->count : n_workers;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    j.cores = cores <= 0 ? 0 : cores < 65536 ? (unsigned)cores : 65536;
    ds_capture_set_decoder_threads(at_once > 0 && j.cores > at_once ? j.cores / (unsigned)at_once
                                                                    : 1);
    const char *test_split = getenv("DARKSCAN_TEST_SPLIT_BYTES");
    if (test_split != NULL)
        j.split_test = strtoull(test_split, NULL, 10);
    const char *test_buffer = getenv("DARKSCAN_TEST_BUFFER_KEYS");
    if (test_buffer != NULL)
        j.buffer_test = (size_t)strtoull(test_buffer, NULL, 10);
    size_t n_files = inputs->count ? inputs->count : 1;
    j.sizes = calloc(n_files, sizeof(*j.sizes));
    j.files = calloc(n_files, sizeof(*j.files));
    worker *workers = calloc(n_workers, sizeof(*workers));
    ds_status st = DS_OK;
    size_t started = 0;
    if (j.sizes == NULL || j.files == NULL || workers == NULL) {
        free(j.sizes);
        free(j.files);
        free(workers);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&j.lock, NULL);
    pthread_mutex_init(&j.sched, NULL);
    pthread_cond_init(&j.work, NULL);
    uint64_t total = 0;
    for (size_t i = 0; i < inputs->count; i++) {
        struct stat sb;
        if (strcmp(inputs->paths[i], "-") != 0 && stat(inputs->paths[i], &sb) == 0 &&
            S_ISREG(sb.st_mode))
            j.sizes[i] = (uint64_t)sb.st_size;
        total += j.sizes[i];
        j.files[i].stats.first_ts_ns = INT64_MAX;
        j.files[i].stats.last_ts_ns = INT64_MIN;
    }
    for (size_t i = 0; i < n_workers; i++) {
        workers[i].job = &j;
        workers[i].cfg = cfg;
        st = ds_aggregate_new(&workers[i].agg, cfg, err);
        if (st != DS_OK)
            goto joined;
    }
    j.reading = n_workers;
    for (size_t i = 0; i < n_workers; i++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            st = ds_error_set(err, DS_ERR_LIMIT, "cannot start a worker thread");
            break;
        }
        started++;
    }
    if (j.ev->progress != NULL && started > 0) {
        unsigned ms = j.ev->progress_interval_ms ? j.ev->progress_interval_ms : 250;
        while (atomic_load(&j.files_done) < inputs->count) {
            struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
            nanosleep(&pause, NULL);
            report_progress(&j, total);
        }
    }
joined:
    for (size_t i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    if (st != DS_OK)
        goto out;
    for (size_t i = 0; i < n_workers; i++) {
        if (workers[i].status != DS_OK) {
            st = workers[i].status;
            if (err != NULL)
                *err = workers[i].err;
            goto out;
        }
    }
    prune(&j);
    st = join_aggregates(&j, workers, n_workers, err);
    if (st != DS_OK)
        goto out;
    ds_aggregate_set_threads(workers[0].agg, n_workers);
    *out = workers[0].agg;
    workers[0].agg = NULL;
    *info = j.info;
out:
    for (size_t i = 0; i < n_workers; i++)
        ds_aggregate_free(workers[i].agg);
    for (int list = 0; list < 2; list++) {
        part **head = list == 0 ? &j.parts : &j.dead;
        while (*head != NULL) {
            part *p = *head;
            *head = p->all_next;
            ds_reader_free(p->reader); /* only after an early stop */
            ds_aggregate_free(p->agg);
            pthread_mutex_destroy(&p->lock);
            free(p);
        }
    }
    pthread_cond_destroy(&j.work);
    pthread_mutex_destroy(&j.sched);
    pthread_mutex_destroy(&j.lock);
    free(workers);
    free(j.files);
    free(j.sizes);
    return st;
}
