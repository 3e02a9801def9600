/*
 * ingest.c - capture files into a state with worker threads (ds_state_ingest_files, state.h).
 *
 * Per file: a helper thread hashes the file's bytes while the worker decodes it into an
 * aggregate of its own; as soon as the hash is known the worker looks it up, and stops reading
 * when the file is already in the state. A new file's contribution is encoded outside any lock,
 * then committed under the state's lock in one transaction. Standard input is copied to a
 * temporary file first (it cannot be read twice).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/sha256.h"
#include "state/state_int.h"

#define BATCH 4096

typedef struct job {
    ds_state *st;
    const ds_path_list *inputs;
    bool force;
    const ds_ingest_events *ev;
    uint64_t *sizes;
    atomic_size_t next;
    atomic_uint_fast64_t packets;
    atomic_uint_fast64_t bytes_done;
    atomic_size_t files_done;
    atomic_bool stop;        /* a fatal error: workers stop taking files */
    pthread_mutex_t db_lock; /* the state's connection */
    pthread_mutex_t ev_lock; /* info, the events, the fatal error */
    ds_ingest_info info;
    ds_status fatal;
    ds_error fatal_err;
} job;

typedef struct hasher {
    const char *path;
    pthread_t thread;
    atomic_bool cancel;
    atomic_bool done;
    uint8_t digest[DS_STATE_ID_LEN];
    uint64_t size;
    ds_status status;
    ds_error err;
} hasher;

static void *hash_main(void *arg)
{
    hasher *h = arg;
    h->status = ds_sha256_file(h->path, h->digest, &h->size, &h->cancel, &h->err);
    atomic_store(&h->done, true);
    return NULL;
}

static void fatal(job *j, ds_status s, const ds_error *err)
{
    pthread_mutex_lock(&j->ev_lock);
    if (j->fatal == DS_OK) {
        j->fatal = s;
        j->fatal_err = *err;
    }
    pthread_mutex_unlock(&j->ev_lock);
    atomic_store(&j->stop, true);
}

static void report(job *j, const ds_ingest_file *f)
{
    pthread_mutex_lock(&j->ev_lock);
    switch (f->result) {
    case DS_INGEST_ADDED:
        j->info.added++;
        break;
    case DS_INGEST_REPLACED:
        j->info.replaced++;
        break;
    case DS_INGEST_SKIPPED:
        j->info.skipped++;
        break;
    case DS_INGEST_FAILED:
        j->info.failed++;
        break;
    case DS_INGEST_DAMAGED:
        j->info.damaged++;
        break;
    }
    j->info.state_bytes += f->state_bytes;
    if (j->ev->file_done != NULL)
        j->ev->file_done(j->ev->ctx, f);
    pthread_mutex_unlock(&j->ev_lock);
}

/*
 * spool_stdin - copy standard input to a new temporary file (unlinked by the caller), hashing
 * it on the way. *tmp_path is malloc'd.
 */
static ds_status spool_stdin(char **tmp_path, uint8_t digest[DS_STATE_ID_LEN], uint64_t *size,
                             ds_error *err)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    size_t len = strlen(dir) + 32;
    char *path = malloc(len);
    uint8_t *buf = malloc(1 << 20);
    ds_sha256_ctx *h = ds_sha256_new();
    ds_status s = DS_OK;
    int fd = -1;
    if (path == NULL || buf == NULL || h == NULL) {
        s = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(path, len, "%s/darkscan-stdin-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd < 0) {
        s = ds_error_set(err, DS_ERR_IO, "standard input: cannot create a temporary file in %s: %s",
                         dir, strerror(errno));
        goto out;
    }
    uint64_t total = 0;
    for (;;) {
        ssize_t got = read(STDIN_FILENO, buf, 1 << 20);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            s = ds_error_set(err, DS_ERR_IO, "standard input: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break;
        ds_sha256_update(h, buf, (size_t)got);
        total += (uint64_t)got;
        for (ssize_t off = 0; off < got;) {
            ssize_t w = write(fd, buf + off, (size_t)(got - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                s = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
                goto out;
            }
            off += w;
        }
    }
    ds_sha256_final(h, digest);
    *size = total;
out:
    if (fd >= 0)
        close(fd);
    if (s != DS_OK && fd >= 0)
        unlink(path);
    if (s == DS_OK) {
        *tmp_path = path;
        path = NULL;
    }
    free(path);
    free(buf);
    ds_sha256_free(h);
    return s;
}

/* lookup - is the id in the state? On a database error the job stops. */
static bool lookup(job *j, const uint8_t *id, ds_state_source *found_src, bool *found)
{
    ds_error err;
    pthread_mutex_lock(&j->db_lock);
    ds_status s = ds_state_find(j->st, id, found_src, found, &err);
    pthread_mutex_unlock(&j->db_lock);
    if (s != DS_OK) {
        fatal(j, s, &err);
        return false;
    }
    return true;
}

/* likely_known - a source with this path and the file's size is in the state. */
/* likely_known - a file of the same size was recorded at this (absolute) path. */
static bool likely_known(job *j, const char *path, const char *recorded)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return false;
    bool known = false;
    pthread_mutex_lock(&j->db_lock);
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(j->st->db, "SELECT 1 FROM sources WHERE path = ? AND size = ?", -1,
                           &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, recorded, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)sb.st_size);
        known = sqlite3_step(stmt) == SQLITE_ROW;
        sqlite3_finalize(stmt);
    }
    pthread_mutex_unlock(&j->db_lock);
    return known;
}

static void fill_source(ds_state_source *src, const char *path, const uint8_t *id, uint64_t size,
                        const ds_capture_stats *cs, bool failed)
{
    memset(src, 0, sizeof(*src));
    memcpy(src->id, id, DS_STATE_ID_LEN);
    src->kind = DS_STATE_FILE;
    src->path = (char *)path;
    src->size = size;
    src->first_ts_ns = cs->first_ts_ns;
    src->last_ts_ns = cs->last_ts_ns;
    src->records = cs->records;
    src->ipv4 = cs->ipv4;
    src->syn = cs->syn;
    src->ipv6 = cs->ipv6;
    src->non_ip = cs->non_ip;
    src->other_skipped = cs->unknown_linktype + cs->short_records + cs->bad_ip;
    src->truncated = cs->truncated;
    src->failed = failed;
}

/*
 * hash_result - the finished hasher's digest (the source id) and size into id and *size; false
 * with *st and *err set when hashing failed.
 */
static bool hash_result(const hasher *h, uint8_t *id, uint64_t *size, ds_status *st, ds_error *err)
{
    if (h->status != DS_OK) {
        *st = h->status;
        *err = h->err;
        return false;
    }
    memcpy(id, h->digest, DS_STATE_ID_LEN);
    *size = h->size;
    return true;
}

static void ingest_file(job *j, size_t index, ds_packet *batch)
{
    const char *path = j->inputs->paths[index];
    ds_ingest_file f = {.path = path, .result = DS_INGEST_FAILED};
    ds_error err, read_err;
    ds_reader *r = NULL;
    ds_aggregate *agg = NULL;
    ds_state_contrib *c = NULL;
    ds_state_source existing = {0};
    char *tmp = NULL;
    hasher h = {.path = path};
    bool hashing = false, checked = false, skip = false;
    uint8_t id[DS_STATE_ID_LEN];
    uint64_t size = 0;
    ds_status st = DS_OK, rst = DS_OK;
    atomic_init(&h.cancel, false);
    atomic_init(&h.done, false);
    /*
     * The state records the file's absolute path: `analyze --state` reads it again (the host
     * pass) from wherever it runs. Messages keep the path as the user gave it.
     */
    char *abs = strcmp(path, "-") == 0 ? NULL : realpath(path, NULL);
    const char *recorded = abs != NULL ? abs : path;

    if (strcmp(path, "-") == 0) {
        st = spool_stdin(&tmp, id, &size, &err);
        if (st != DS_OK)
            goto failed;
        bool found = false;
        if (!lookup(j, id, &existing, &found))
            goto out;
        checked = true;
        skip = found && !j->force;
    } else if (likely_known(j, path, recorded)) {
        /* Probably a file of an earlier run: hash it first, and decode only if it is new. */
        hash_main(&h);
        if (!hash_result(&h, id, &size, &st, &err))
            goto failed;
        bool found = false;
        if (!lookup(j, id, &existing, &found))
            goto out;
        checked = true;
        skip = found && !j->force;
    } else {
        if (pthread_create(&h.thread, NULL, hash_main, &h) != 0) {
            st = ds_error_set(&err, DS_ERR_LIMIT, "cannot start a thread");
            goto failed;
        }
        hashing = true;
    }
    if (!skip) {
        st = ds_aggregate_new(&agg, ds_state_config(j->st), &err);
        if (st != DS_OK) {
            fatal(j, st, &err);
            goto out;
        }
        st = ds_reader_open(&r, tmp != NULL ? tmp : path, (uint32_t)index, &err);
        if (st != DS_OK) {
            size_t tl = tmp != NULL ? strlen(tmp) : 0;
            if (tmp != NULL && strncmp(err.msg, tmp, tl) == 0 && err.msg[tl] == ':') {
                char rest[DS_ERROR_MAX];
                snprintf(rest, sizeof(rest), "%s", err.msg + tl);
                ds_error_set(&err, st, "standard input%s", rest);
            }
            goto failed;
        }
        for (;;) {
            size_t n = 0;
            rst = ds_reader_next(r, batch, BATCH, &n, &read_err);
            if (n > 0) {
                st = ds_aggregate_add(agg, batch, n, &err);
                if (st != DS_OK) {
                    fatal(j, st, &err);
                    goto out;
                }
                atomic_fetch_add(&j->packets, n);
            }
            if (rst != DS_OK || n == 0)
                break;
            if (!checked && hashing && atomic_load(&h.done)) {
                pthread_join(h.thread, NULL);
                hashing = false;
                if (!hash_result(&h, id, &size, &st, &err))
                    goto failed;
                bool found = false;
                if (!lookup(j, id, &existing, &found))
                    goto out;
                checked = true;
                if (found && !j->force) {
                    skip = true;
                    break;
                }
            }
        }
    }
    if (hashing) {
        pthread_join(h.thread, NULL);
        hashing = false;
        if (!hash_result(&h, id, &size, &st, &err))
            goto failed;
    }
    if (!checked) {
        bool found = false;
        if (!lookup(j, id, &existing, &found))
            goto out;
        skip = found && !j->force;
    }
    if (skip) {
        f.result = DS_INGEST_SKIPPED;
        f.source = &existing;
        f.stats = r != NULL ? ds_reader_stats(r) : NULL;
        report(j, &f);
        goto out;
    }
    if (rst != DS_OK && rst != DS_ERR_FORMAT) {
        /* An I/O error may pass: record nothing, so that the next run reads the file again. */
        st = rst;
        err = read_err;
        f.stats = ds_reader_stats(r);
        goto failed;
    }
    ds_state_source src;
    const ds_capture_stats *cs = ds_reader_stats(r);
    fill_source(&src, recorded, id, size, cs, rst != DS_OK);
    st = ds_state_contrib_new(&c, j->st, &src, agg, NULL, &err);
    if (st != DS_OK) {
        fatal(j, st, &err);
        goto out;
    }
    ds_aggregate_free(agg);
    agg = NULL;
    ds_state_outcome outcome;
    pthread_mutex_lock(&j->db_lock);
    st = ds_state_commit(j->st, c, j->force ? DS_STATE_REPLACE : DS_STATE_ADD, &outcome, &err);
    if (st == DS_OK && outcome == DS_STATE_SKIPPED) {
        bool found;
        st = ds_state_find(j->st, id, &existing, &found, &err);
    }
    pthread_mutex_unlock(&j->db_lock);
    if (st != DS_OK) {
        ds_error_prefix(&err, "%s", path);
        fatal(j, st, &err);
        goto out;
    }
    f.stats = cs;
    if (outcome == DS_STATE_SKIPPED) {
        /* Another process committed the same content meanwhile. */
        f.result = DS_INGEST_SKIPPED;
        f.source = &existing;
    } else {
        f.result = rst != DS_OK                   ? DS_INGEST_DAMAGED
                   : outcome == DS_STATE_REPLACED ? DS_INGEST_REPLACED
                                                  : DS_INGEST_ADDED;
        f.source = &src;
        f.state_bytes = ds_state_contrib_bytes(c);
        if (rst != DS_OK)
            f.err = &read_err;
    }
    report(j, &f);
    goto out;
failed:
    f.result = DS_INGEST_FAILED;
    f.err = &err;
    if (r != NULL)
        f.stats = ds_reader_stats(r);
    report(j, &f);
out:
    if (hashing) {
        atomic_store(&h.cancel, true);
        pthread_join(h.thread, NULL);
    }
    ds_state_contrib_free(c);
    ds_reader_free(r);
    ds_aggregate_free(agg);
    ds_state_source_clear(&existing);
    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }
    free(abs);
}

static void *worker_main(void *arg)
{
    job *j = arg;
    ds_packet *batch = malloc(BATCH * sizeof(*batch));
    if (batch == NULL) {
        ds_error err;
        fatal(j, ds_error_set(&err, DS_ERR_NOMEM, "out of memory"), &err);
    }
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->inputs->count)
            break;
        if (!atomic_load(&j->stop))
            ingest_file(j, i, batch);
        atomic_fetch_add(&j->bytes_done, j->sizes[i]);
        atomic_fetch_add(&j->files_done, 1);
    }
    free(batch);
    return NULL;
}

ds_status ds_state_ingest_files(ds_state *st, const ds_path_list *inputs, unsigned threads,
                                bool force, const ds_ingest_events *events, ds_ingest_info *info,
                                ds_error *err)
{
    static const ds_ingest_events no_events;
    memset(info, 0, sizeof(*info));
    job j = {
        .st = st, .inputs = inputs, .force = force, .ev = events != NULL ? events : &no_events};
    atomic_init(&j.next, 0);
    atomic_init(&j.packets, 0);
    atomic_init(&j.bytes_done, 0);
    atomic_init(&j.files_done, 0);
    atomic_init(&j.stop, false);
    size_t n_workers = threads < 1 ? 1 : threads;
    if (n_workers > inputs->count)
        n_workers = inputs->count > 0 ? inputs->count : 1;
    j.sizes = calloc(inputs->count ? inputs->count : 1, sizeof(*j.sizes));
    pthread_t *tids = calloc(n_workers, sizeof(*tids));
    if (j.sizes == NULL || tids == NULL) {
        free(j.sizes);
        free(tids);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    uint64_t total = 0;
    for (size_t i = 0; i < inputs->count; i++) {
        struct stat sb;
        if (strcmp(inputs->paths[i], "-") != 0 && stat(inputs->paths[i], &sb) == 0 &&
            S_ISREG(sb.st_mode))
            j.sizes[i] = (uint64_t)sb.st_size;
        total += j.sizes[i];
    }
    pthread_mutex_init(&j.db_lock, NULL);
    pthread_mutex_init(&j.ev_lock, NULL);
    ds_status s = DS_OK;
    size_t started = 0;
    for (size_t i = 0; i < n_workers; i++) {
        if (pthread_create(&tids[i], NULL, worker_main, &j) != 0) {
            s = ds_error_set(err, DS_ERR_LIMIT, "cannot start a worker thread");
            atomic_store(&j.stop, true);
            break;
        }
        started++;
    }
    if (j.ev->progress != NULL && started > 0) {
        unsigned ms = j.ev->progress_interval_ms ? j.ev->progress_interval_ms : 250;
        while (atomic_load(&j.files_done) < inputs->count && !atomic_load(&j.stop)) {
            struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
            nanosleep(&pause, NULL);
            ds_read_progress p = {atomic_load(&j.packets), atomic_load(&j.bytes_done), total,
                                  atomic_load(&j.files_done), inputs->count};
            pthread_mutex_lock(&j.ev_lock);
            j.ev->progress(j.ev->ctx, &p);
            pthread_mutex_unlock(&j.ev_lock);
        }
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&j.db_lock);
    pthread_mutex_destroy(&j.ev_lock);
    j.info.packets = atomic_load(&j.packets);
    *info = j.info;
    if (s == DS_OK && j.fatal != DS_OK) {
        s = j.fatal;
        if (err != NULL)
            *err = j.fatal_err;
    }
    free(tids);
    free(j.sizes);
    return s;
}
