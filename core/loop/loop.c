/*
 * loop.c - the main loop itself: setup on GLib's default context, run and
 * quit, and the big lock, which the loop drops only while it polls.
 *
 * Bottom halves and ts_loop_call live in loop-bh.c, clocks and timers in
 * loop-timer.c, fd watches in loop-fd.c, the VM run state and threads in
 * loop-vm.c.
 */
#include <errno.h>

#include "loop-internal.h"
#include "main-loop.h"

static GMutex bql;
static _Thread_local bool bql_held;

static GMainContext *context;
static int quit_requested;      /* atomic; sticky until loop_quit_reset */
static int quit_status;         /* written once, under the big lock */

TS_EXPORT void ts_bql_lock(void)
{
    if (bql_held) {
        g_error("ts_bql_lock: this thread already holds the big lock");
    }
    g_mutex_lock(&bql);
    bql_held = true;
}

bool loop_bql_trylock(void)
{
    if (bql_held || !g_mutex_trylock(&bql)) {
        return false;
    }
    bql_held = true;
    return true;
}

TS_EXPORT void ts_bql_unlock(void)
{
    if (!bql_held) {
        g_critical("ts_bql_unlock: this thread does not hold the big lock");
        return;
    }
    bql_held = false;
    g_mutex_unlock(&bql);
}

TS_EXPORT bool ts_bql_locked(void)
{
    return bql_held;
}

GMutex *loop_bql_mutex(void)
{
    return &bql;
}

/*
 * GLib calls the poll function with its context lock released, between
 * preparing and checking the sources: the one moment when the loop has
 * nothing to do, so the one moment it lets other threads have the big lock.
 * A thread that iterates the context without the lock just polls.
 */
static gint poll_without_big_lock(GPollFD *fds, guint nfds, gint timeout)
{
    if (!bql_held) {
        return g_poll(fds, nfds, timeout);
    }
    ts_bql_unlock();
    gint ret = g_poll(fds, nfds, timeout);
    int saved_errno = errno;    /* GLib looks at it when ret < 0 */
    ts_bql_lock();
    errno = saved_errno;
    return ret;
}

GMainContext *loop_context(void)
{
    static gsize ready;

    if (g_once_init_enter(&ready)) {
        GMainContext *ctx = g_main_context_default();
        g_main_context_set_poll_func(ctx, poll_without_big_lock);
        /* The context keeps both sources for the life of the process. */
        GSource *bh = loop_bh_source_new();
        g_source_attach(bh, ctx);
        g_source_unref(bh);
        GSource *timers = loop_timer_source_new();
        g_source_attach(timers, ctx);
        g_source_unref(timers);
        context = ctx;
        g_once_init_leave(&ready, 1);
    }
    return context;
}

void loop_wake(void)
{
    GMainContext *ctx = loop_context();
    if (!g_main_context_is_owner(ctx)) {
        g_main_context_wakeup(ctx);
    }
}

void ts_loop_init(void)
{
    static int main_thread_chosen;

    loop_context();
    if (g_atomic_int_compare_and_exchange(&main_thread_chosen, 0, 1) &&
        !bql_held) {
        ts_bql_lock();
    }
}

int ts_loop_run(void)
{
    GMainContext *ctx = loop_context();
    bool took_lock = !bql_held;

    if (took_lock) {
        ts_bql_lock();
    }
    while (!g_atomic_int_get(&quit_requested)) {
        g_main_context_iteration(ctx, TRUE);
    }
    int status = quit_status;
    if (took_lock) {
        ts_bql_unlock();
    }
    return status;
}

void ts_loop_quit(int status)
{
    /* Under the big lock, so that a vCPU thread cannot check
     * ts_loop_quitting() and then miss the wake-up. */
    bool took_lock = !bql_held;
    if (took_lock) {
        ts_bql_lock();
    }
    if (!g_atomic_int_get(&quit_requested)) {
        quit_status = status;
        g_atomic_int_set(&quit_requested, 1);
    }
    loop_vm_wake_waiters();
    if (took_lock) {
        ts_bql_unlock();
    }
    g_main_context_wakeup(loop_context());
}

TS_EXPORT bool ts_loop_quitting(void)
{
    return g_atomic_int_get(&quit_requested);
}

void loop_quit_reset(void)
{
    g_atomic_int_set(&quit_requested, 0);
    quit_status = 0;
}
