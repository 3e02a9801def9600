/*
 * read.c - many capture files into one aggregate with worker threads (see read.h).
 *
 * Each worker has its own aggregate. A worker attaches to an open file (a slot) and takes
 * batches of decoded packets from it under the slot's lock, then aggregates them outside the
 * lock. While unread files remain, each worker opens its own; when there are more workers
 * than files left, the spare workers join the open files, so that one large file is still
 * aggregated by every thread (reading and decoding are several times faster than
 * aggregating). The last worker to leave a finished file reports it. A worker that has
 * nothing left to read sorts and merges its own sets (in parallel with the others); the
 * aggregates are then joined without copying or merging the sets
 * (ds_aggregate_absorb()): the detector walks the workers' runs merged on the fly.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aggregate/aggregate_int.h"
#include "darkscan/read.h"

#define BATCH 4096

/* An open file and the workers reading it. */
typedef struct slot {
    pthread_mutex_t lock; /* guards reader, done, st, err while users > 0 */
    ds_reader *reader;
    size_t index;     /* which input */
    unsigned users;   /* workers attached (guarded by job.sched) */
    bool ready;       /* opened: others may join (guarded by job.sched) */
    atomic_bool done; /* the reader returned its end or an error */
    ds_status st;     /* DS_OK, or the error that stopped the file */
    ds_error err;
} slot;

typedef struct job {
    const ds_path_list *inputs;
    const ds_read_events *ev;
    uint64_t *sizes;
    slot *slots; /* one per worker: never more files open than workers */
    size_t n_slots;
    pthread_mutex_t sched; /* guards slot assignment and next */
    pthread_cond_t opened; /* a file was opened (or failed to open) */
    size_t next;           /* the next file to open */
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
    ds_status status; /* DS_OK or out of memory */
    ds_error err;
} worker;

/* report_failed - a file that could not be opened or read to its end. */
static void report_failed(job *j, const char *path, const ds_error *err)
{
    pthread_mutex_lock(&j->lock);
    j->info.failed++;
    if (j->ev->file_failed != NULL)
        j->ev->file_failed(j->ev->ctx, path, err);
    pthread_mutex_unlock(&j->lock);
}

/* finish - the last worker leaves the file: count it, report it, close it. */
static void finish(job *j, slot *s)
{
    const char *path = j->inputs->paths[s->index];
    const ds_capture_stats *st = ds_reader_stats(s->reader);
    pthread_mutex_lock(&j->lock);
    j->info.files++;
    j->info.records += st->records;
    j->info.ipv6 += st->ipv6;
    j->info.non_ip += st->non_ip;
    j->info.other_skipped += st->unknown_linktype + st->short_records + st->bad_ip;
    if (s->st != DS_OK) {
        j->info.failed++;
        if (j->ev->file_failed != NULL)
            j->ev->file_failed(j->ev->ctx, path, &s->err);
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
    ds_reader_free(s->reader);
    atomic_fetch_add(&j->bytes_done, j->sizes[s->index]);
    pthread_mutex_lock(&j->sched);
    s->reader = NULL; /* the slot is free for the next file */
    pthread_mutex_unlock(&j->sched);
    atomic_fetch_add(&j->files_done, 1);
}

/*
 * attach - a slot to read from: a newly opened file while unread files remain, else the open
 * file with the fewest readers (waiting for a file that another worker is opening). NULL when
 * every file is opened and finished.
 */
static slot *attach(job *j)
{
    for (;;) {
        pthread_mutex_lock(&j->sched);
        if (j->next < j->inputs->count) {
            slot *s = NULL;
            for (size_t k = 0; k < j->n_slots && s == NULL; k++) {
                if (j->slots[k].users == 0 && j->slots[k].reader == NULL)
                    s = &j->slots[k];
            }
            /* A free slot always exists: a worker holds at most one, and workers == slots. */
            if (s == NULL) {
                pthread_mutex_unlock(&j->sched);
                return NULL;
            }
            size_t index = j->next++;
            s->index = index;
            s->users = 1;
            s->ready = false;
            pthread_mutex_unlock(&j->sched);
            ds_error err;
            ds_reader *r = NULL;
            ds_status st = ds_reader_open(&r, j->inputs->paths[index], (uint32_t)index, &err);
            pthread_mutex_lock(&j->sched);
            pthread_cond_broadcast(&j->opened);
            if (st != DS_OK) {
                s->users = 0;
                pthread_mutex_unlock(&j->sched);
                report_failed(j, j->inputs->paths[index], &err);
                atomic_fetch_add(&j->bytes_done, j->sizes[index]);
                atomic_fetch_add(&j->files_done, 1);
                continue;
            }
            s->reader = r;
            s->done = false;
            s->st = DS_OK;
            s->ready = true;
            pthread_mutex_unlock(&j->sched);
            return s;
        }
        slot *best = NULL;
        bool opening = false;
        for (size_t k = 0; k < j->n_slots; k++) {
            slot *s = &j->slots[k];
            if (s->ready && s->reader != NULL && !atomic_load(&s->done) &&
                (best == NULL || s->users < best->users))
                best = s;
            opening |= s->users > 0 && !s->ready && s->reader == NULL;
        }
        if (best == NULL && opening) {
            /* A file is being opened: wait to join it rather than leave with nothing to do. */
            pthread_cond_wait(&j->opened, &j->sched);
            pthread_mutex_unlock(&j->sched);
            continue;
        }
        if (best != NULL)
            best->users++;
        pthread_mutex_unlock(&j->sched);
        return best;
    }
}

/* detach - leave a slot; the last worker to leave a finished file closes it. */
static void detach(job *j, slot *s)
{
    pthread_mutex_lock(&j->sched);
    bool last = --s->users == 0;
    if (last)
        s->ready = false;
    pthread_mutex_unlock(&j->sched);
    if (last)
        finish(j, s);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    job *j = w->job;
    ds_packet *batch = malloc(BATCH * sizeof(*batch));
    if (batch == NULL)
        w->status = ds_error_set(&w->err, DS_ERR_NOMEM, "out of memory");
    slot *s;
    while ((s = attach(j)) != NULL) {
        for (;;) {
            size_t n = 0;
            pthread_mutex_lock(&s->lock);
            if (!s->done) {
                if (w->status != DS_OK) {
                    /* Out of memory: drain nothing more from this file. */
                    s->done = true;
                } else {
                    ds_status st = ds_reader_next(s->reader, batch, BATCH, &n, &s->err);
                    if (st != DS_OK || n == 0) {
                        s->done = true;
                        s->st = st;
                    }
                }
            }
            pthread_mutex_unlock(&s->lock);
            if (n > 0 && w->status == DS_OK) {
                if (ds_aggregate_add(w->agg, batch, n, &w->err) != DS_OK)
                    w->status = DS_ERR_NOMEM;
                else
                    atomic_fetch_add(&j->packets, n);
            }
            if (n == 0)
                break;
        }
        detach(j, s);
    }
    free(batch);
    /* The worker's own sets are sorted and merged here, in parallel with the others'. */
    if (w->status == DS_OK && ds_aggregate_compact_all(w->agg, &w->err) != DS_OK)
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

ds_status ds_read_files(const ds_path_list *inputs, const ds_agg_config *cfg, unsigned threads,
                        const ds_read_events *events, ds_aggregate **out, ds_input_info *info,
                        ds_error *err)
{
    static const ds_read_events no_events;
    *out = NULL;
    memset(info, 0, sizeof(*info));
    job j = {.inputs = inputs, .ev = events != NULL ? events : &no_events};
    size_t n_workers = threads < 1 ? 1 : threads;
    j.sizes = calloc(inputs->count ? inputs->count : 1, sizeof(*j.sizes));
    j.slots = calloc(n_workers, sizeof(*j.slots));
    j.n_slots = n_workers;
    worker *workers = calloc(n_workers, sizeof(*workers));
    ds_status st = DS_OK;
    size_t started = 0;
    if (j.sizes == NULL || j.slots == NULL || workers == NULL) {
        free(j.sizes);
        free(j.slots);
        free(workers);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&j.lock, NULL);
    pthread_mutex_init(&j.sched, NULL);
    pthread_cond_init(&j.opened, NULL);
    for (size_t k = 0; k < n_workers; k++)
        pthread_mutex_init(&j.slots[k].lock, NULL);
    uint64_t total = 0;
    for (size_t i = 0; i < inputs->count; i++) {
        struct stat sb;
        if (strcmp(inputs->paths[i], "-") != 0 && stat(inputs->paths[i], &sb) == 0 &&
            S_ISREG(sb.st_mode))
            j.sizes[i] = (uint64_t)sb.st_size;
        total += j.sizes[i];
    }
    for (size_t i = 0; i < n_workers; i++) {
        workers[i].job = &j;
        st = ds_aggregate_new(&workers[i].agg, cfg, err);
        if (st != DS_OK)
            goto joined;
    }
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
    for (size_t i = 1; i < n_workers; i++) {
        st = ds_aggregate_absorb(workers[0].agg, workers[i].agg, err);
        if (st != DS_OK)
            goto out;
        ds_aggregate_free(workers[i].agg);
        workers[i].agg = NULL;
    }
    *out = workers[0].agg;
    workers[0].agg = NULL;
    *info = j.info;
out:
    for (size_t i = 0; i < n_workers; i++)
        ds_aggregate_free(workers[i].agg);
    for (size_t k = 0; k < n_workers; k++) {
        ds_reader_free(j.slots[k].reader); /* only after an early stop */
        pthread_mutex_destroy(&j.slots[k].lock);
    }
    pthread_cond_destroy(&j.opened);
    pthread_mutex_destroy(&j.sched);
    pthread_mutex_destroy(&j.lock);
    free(workers);
    free(j.slots);
    free(j.sizes);
    return st;
}
