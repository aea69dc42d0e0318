/*
 * core/block/block-pool.c - the worker threads that run block requests
 * and the hand-back of their results to the main loop.
 *
 * A job's work runs on one of a few GLib pool threads, without the big
 * lock; when it returns, the job goes on a completion list and a bottom
 * half runs job->done on the main thread with the big lock held.  So a
 * vCPU that submits a request returns to the guest at once, and the
 * monitor never waits for the disk.  Draining (the main thread waiting
 * for every job of a backend) runs completions itself, since the bottom
 * half cannot run while the main thread waits.
 *
 * A device request that succeeded (done_on_worker) completes on its
 * worker instead when the big lock is free at that moment: waking the
 * main loop only for it to wake the vCPU costs a thread switch per
 * request, which is most of a small request's latency on a busy host.
 * The worker only tries the lock: whoever holds it may be draining,
 * waiting for this very job, which then goes the usual way.
 */
#include "block-internal.h"
#include "loop/main-loop.h"

/* Enough to keep a host disk's queue busy; more would only contend. */
#define BLOCK_WORKERS 8

static GThreadPool *pool;
static GMutex lock;
static GCond ready;
static GQueue done_jobs;
static TsBH *done_bh;

static void run_job(gpointer data, gpointer user_data)
{
    BlockJob *job = data;
    job->ret = job->work(job);
    if (job->done_on_worker && job->ret >= 0 && loop_bql_trylock()) {
        job->done(job);
        ts_bql_unlock();
        return;
    }
    g_mutex_lock(&lock);
    g_queue_push_tail(&done_jobs, job);
    g_cond_broadcast(&ready);
    g_mutex_unlock(&lock);
    ts_bh_schedule(done_bh);
}

bool block_pool_run_completions(void)
{
    bool any = false;
    for (;;) {
        g_mutex_lock(&lock);
        BlockJob *job = g_queue_pop_head(&done_jobs);
        g_mutex_unlock(&lock);
        if (!job) {
            return any;
        }
        any = true;
        job->done(job);
    }
}

static void done_bh_cb(void *opaque)
{
    block_pool_run_completions();
}

void block_pool_submit(BlockJob *job)
{
    if (!pool) {
        pool = g_thread_pool_new(run_job, NULL, BLOCK_WORKERS, FALSE, NULL);
        done_bh = ts_bh_new("block-completions", done_bh_cb, NULL);
    }
    g_thread_pool_push(pool, job, NULL);
}

void block_pool_worker_blocks(bool begin)
{
    static GMutex blocked_lock;
    static int blocked;
    g_mutex_lock(&blocked_lock);
    blocked += begin ? 1 : -1;
    if (pool) {
        g_thread_pool_set_max_threads(pool, BLOCK_WORKERS + blocked, NULL);
    }
    g_mutex_unlock(&blocked_lock);
}

void block_pool_wait(void)
{
    g_mutex_lock(&lock);
    while (g_queue_is_empty(&done_jobs)) {
        g_cond_wait(&ready, &lock);
    }
    g_mutex_unlock(&lock);
}
