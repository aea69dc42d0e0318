/*
 * loop-vm.c - the VM run state (running or stopped), its notifiers, and
 * the threads vCPUs run in, which park here while the VM is stopped.
 *
 * The run state changes only under the big lock, and the vCPU threads
 * wait for it on a condition variable tied to the big lock, so a wake-up
 * cannot slip between a vCPU's check and its sleep.
 */
#include <string.h>

#include "loop-internal.h"
#include "main-loop.h"

typedef struct StateNotifier {
    void (*fn)(bool running, void *opaque);
    void *opaque;
} StateNotifier;

struct TsThread {
    GThread *thread;
};

static int vm_running;              /* atomic; written under the big lock */
static bool name_threads;           /* -name debug-threads=on */
static GCond running_changed;
static GArray *notifiers;           /* of StateNotifier; big lock */

TS_EXPORT bool ts_vm_running(void)
{
    return g_atomic_int_get(&vm_running);
}

static bool notifier_present(const StateNotifier *n)
{
    for (guint i = 0; notifiers && i < notifiers->len; i++) {
        StateNotifier *live = &g_array_index(notifiers, StateNotifier, i);
        if (live->fn == n->fn && live->opaque == n->opaque) {
            return true;
        }
    }
    return false;
}

static void notify_state(bool running)
{
    if (!notifiers || notifiers->len == 0) {
        return;
    }
    /* A notifier may add or remove notifiers: walk a copy, and skip the
     * ones removed meanwhile (their opaque may be gone). */
    guint count = notifiers->len;
    StateNotifier *copy = g_new(StateNotifier, count);
    memcpy(copy, notifiers->data, count * sizeof(StateNotifier));
    for (guint i = 0; i < count; i++) {
        if (notifier_present(&copy[i])) {
            copy[i].fn(running, copy[i].opaque);
        }
    }
    g_free(copy);
}

static void set_running(bool running)
{
    bool took_lock = !ts_bql_locked();
    if (took_lock) {
        ts_bql_lock();
    }
    if (ts_vm_running() != running) {
        /* Guest time runs exactly while the state says "running". */
        if (running) {
            loop_virtual_clock_set_ticking(true);
            g_atomic_int_set(&vm_running, 1);
            g_cond_broadcast(&running_changed);
        } else {
            g_atomic_int_set(&vm_running, 0);
            loop_virtual_clock_set_ticking(false);
        }
        notify_state(running);
    }
    if (took_lock) {
        ts_bql_unlock();
    }
}

void ts_vm_start(void)
{
    set_running(true);
}

void ts_vm_stop(void)
{
    set_running(false);
}

TS_EXPORT void ts_vm_state_notifier_add(void (*fn)(bool running, void *),
                                        void *opaque)
{
    g_return_if_fail(fn != NULL);
    if (!notifiers) {
        notifiers = g_array_new(FALSE, FALSE, sizeof(StateNotifier));
    }
    StateNotifier n = { fn, opaque };
    g_array_append_val(notifiers, n);
}

TS_EXPORT void ts_vm_state_notifier_remove(void (*fn)(bool running, void *),
                                           void *opaque)
{
    for (guint i = 0; notifiers && i < notifiers->len; i++) {
        StateNotifier *n = &g_array_index(notifiers, StateNotifier, i);
        if (n->fn == fn && n->opaque == opaque) {
            g_array_remove_index(notifiers, i);
            return;
        }
    }
}

void loop_vm_wake_waiters(void)
{
    g_cond_broadcast(&running_changed);
}

TS_EXPORT void ts_vm_wait_running(void)
{
    if (!ts_bql_locked()) {
        g_critical("ts_vm_wait_running: call it with the big lock held");
        return;
    }
    /* g_cond_wait hands the big lock back and forth; this thread's
     * "I hold it" flag stays right, since it holds it again on return. */
    while (!ts_vm_running() && !ts_loop_quitting()) {
        g_cond_wait(&running_changed, loop_bql_mutex());
    }
}

void loop_set_thread_naming(bool on)
{
    name_threads = on;
}

TS_EXPORT TsThread *ts_thread_start(const char *name, void *(*fn)(void *),
                                    void *opaque)
{
    g_return_val_if_fail(fn != NULL, NULL);
    GError *err = NULL;
    /* As in QEMU, threads carry their own names ("CPU 0/TCG" in ps, top
     * and gdb) only with -name debug-threads=on; otherwise they keep the
     * process name, which -name process= may have set. */
    GThread *thread = g_thread_try_new(name_threads ? name : NULL, fn,
                                       opaque, &err);
    if (!thread) {
        g_warning("cannot start thread %s: %s", name ? name : "(unnamed)",
                  err->message);
        g_error_free(err);
        return NULL;
    }
    TsThread *t = g_new(TsThread, 1);
    t->thread = thread;
    return t;
}

TS_EXPORT void *ts_thread_join(TsThread *t)
{
    if (!t) {
        return NULL;
    }
    bool held = ts_bql_locked();
    if (held) {
        ts_bql_unlock();
    }
    void *ret = g_thread_join(t->thread);
    g_free(t);
    if (held) {
        ts_bql_lock();
    }
    return ret;
}
