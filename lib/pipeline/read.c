/*
 * read.c - many capture files into one aggregate with worker threads (see read.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "darkscan/read.h"

#define BATCH 4096

typedef struct job {
    const ds_path_list *inputs;
    const ds_read_events *ev;
    uint64_t *sizes;
    atomic_size_t next;
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

static void read_file(worker *w, size_t index, ds_packet *batch)
{
    job *j = w->job;
    const ds_read_events *ev = j->ev;
    const char *path = j->inputs->paths[index];
    ds_reader *r = NULL;
    ds_error err;
    ds_status st = ds_reader_open(&r, path, (uint32_t)index, &err);
    if (st != DS_OK) {
        pthread_mutex_lock(&j->lock);
        j->info.failed++;
        if (ev->file_failed != NULL)
            ev->file_failed(ev->ctx, path, &err);
        pthread_mutex_unlock(&j->lock);
        return;
    }
    for (;;) {
        size_t n = 0;
        st = ds_reader_next(r, batch, BATCH, &n, &err);
        if (n > 0) {
            ds_status ast = ds_aggregate_add(w->agg, batch, n, &w->err);
            if (ast != DS_OK) {
                w->status = ast;
                break;
            }
            atomic_fetch_add(&j->packets, n);
        }
        if (st != DS_OK || n == 0)
            break;
    }
    const ds_capture_stats *s = ds_reader_stats(r);
    pthread_mutex_lock(&j->lock);
    j->info.files++;
    j->info.records += s->records;
    j->info.ipv6 += s->ipv6;
    j->info.non_ip += s->non_ip;
    j->info.other_skipped += s->unknown_linktype + s->short_records + s->bad_ip;
    if (st != DS_OK) {
        j->info.failed++;
        if (ev->file_failed != NULL)
            ev->file_failed(ev->ctx, path, &err);
    } else {
        if (s->truncated) {
            j->info.truncated++;
            if (ev->file_truncated != NULL)
                ev->file_truncated(ev->ctx, path, s);
        }
        if (ev->file_done != NULL)
            ev->file_done(ev->ctx, path, s);
    }
    pthread_mutex_unlock(&j->lock);
    ds_reader_free(r);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    job *j = w->job;
    ds_packet *batch = malloc(BATCH * sizeof(*batch));
    if (batch == NULL) {
        w->status = ds_error_set(&w->err, DS_ERR_NOMEM, "out of memory");
    }
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->inputs->count)
            break;
        if (w->status == DS_OK)
            read_file(w, i, batch);
        atomic_fetch_add(&j->bytes_done, j->sizes[i]);
        atomic_fetch_add(&j->files_done, 1);
    }
    free(batch);
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
    if (n_workers > inputs->count)
        n_workers = inputs->count > 0 ? inputs->count : 1;
    j.sizes = calloc(inputs->count ? inputs->count : 1, sizeof(*j.sizes));
    worker *workers = calloc(n_workers, sizeof(*workers));
    ds_status st = DS_OK;
    size_t started = 0;
    if (j.sizes == NULL || workers == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    pthread_mutex_init(&j.lock, NULL);
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
    pthread_mutex_destroy(&j.lock);
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
        st = ds_aggregate_merge(workers[0].agg, workers[i].agg, err);
        if (st != DS_OK)
            goto out;
        ds_aggregate_free(workers[i].agg);
        workers[i].agg = NULL;
    }
    *out = workers[0].agg;
    workers[0].agg = NULL;
    *info = j.info;
out:
    for (size_t i = 0; workers != NULL && i < n_workers; i++)
        ds_aggregate_free(workers[i].agg);
    free(workers);
    free(j.sizes);
    return st;
}
