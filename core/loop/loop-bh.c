/*
 * loop-bh.c - bottom halves: callbacks that any thread can ask the main
 * loop to run soon, and ts_loop_call, which is a one-shot bottom half.
 *
 * Scheduled bottom halves wait in one FIFO; a GSource is ready whenever
 * that FIFO is not empty.  A thread that schedules one wakes the loop.
 */
#include "loop-internal.h"

struct TsBH {
    GList link;             /* in scheduled while `scheduled`; data = self */
    char *name;
    void (*cb)(void *opaque);
    void *opaque;
    bool scheduled;
    bool oneshot;           /* ts_loop_call: freed after it ran */
};

static GMutex bh_lock;                      /* guards scheduled, flags */
static GQueue scheduled = G_QUEUE_INIT;

static TsBH *bh_new(const char *name, void (*cb)(void *), void *opaque)
{
    TsBH *bh = g_new0(TsBH, 1);
    bh->link.data = bh;
    bh->name = g_strdup(name ? name : "bh");
    bh->cb = cb;
    bh->opaque = opaque;
    loop_context();
    return bh;
}

static void bh_schedule(TsBH *bh)
{
    g_mutex_lock(&bh_lock);
    if (!bh->scheduled) {
        bh->scheduled = true;
        g_queue_push_tail_link(&scheduled, &bh->link);
    }
    g_mutex_unlock(&bh_lock);
    loop_wake();
}

TS_EXPORT TsBH *ts_bh_new(const char *name, void (*cb)(void *opaque),
                          void *opaque)
{
    g_return_val_if_fail(cb != NULL, NULL);
    return bh_new(name, cb, opaque);
}

TS_EXPORT void ts_bh_schedule(TsBH *bh)
{
    g_return_if_fail(bh != NULL);
    bh_schedule(bh);
}

TS_EXPORT void ts_bh_cancel(TsBH *bh)
{
    if (!bh) {
        return;
    }
    g_mutex_lock(&bh_lock);
    if (bh->scheduled) {
        bh->scheduled = false;
        g_queue_unlink(&scheduled, &bh->link);
    }
    g_mutex_unlock(&bh_lock);
}

TS_EXPORT void ts_bh_free(TsBH *bh)
{
    if (!bh) {
        return;
    }
    ts_bh_cancel(bh);
    g_free(bh->name);
    g_free(bh);
}

TS_EXPORT void ts_loop_call(void (*fn)(void *opaque), void *opaque)
{
    g_return_if_fail(fn != NULL);
    TsBH *bh = bh_new("loop-call", fn, opaque);
    bh->oneshot = true;
    bh_schedule(bh);
}

/* ---- the GSource */

static bool any_scheduled(void)
{
    g_mutex_lock(&bh_lock);
    bool any = !g_queue_is_empty(&scheduled);
    g_mutex_unlock(&bh_lock);
    return any;
}

static gboolean bh_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    return any_scheduled();
}

static gboolean bh_check(GSource *source)
{
    return any_scheduled();
}

static gboolean bh_dispatch(GSource *source, GSourceFunc unused_cb,
                            gpointer unused_data)
{
    /* Run only what was scheduled before we started: a bottom half that
     * schedules itself runs again next iteration instead of starving the
     * fd watches and timers. */
    g_mutex_lock(&bh_lock);
    guint count = g_queue_get_length(&scheduled);
    g_mutex_unlock(&bh_lock);

    for (guint i = 0; i < count; i++) {
        g_mutex_lock(&bh_lock);
        GList *link = g_queue_pop_head_link(&scheduled);
        if (!link) {
            g_mutex_unlock(&bh_lock);
            break;      /* some were cancelled meanwhile */
        }
        TsBH *bh = link->data;
        bh->scheduled = false;
        void (*cb)(void *) = bh->cb;
        void *opaque = bh->opaque;
        bool oneshot = bh->oneshot;
        g_mutex_unlock(&bh_lock);

        /* A bottom half may free itself in cb, so bh is not touched
         * after it unless it is a one-shot, which nobody else can see. */
        cb(opaque);
        if (oneshot) {
            ts_bh_free(bh);
        }
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs bh_source_funcs = {
    .prepare = bh_prepare,
    .check = bh_check,
    .dispatch = bh_dispatch,
};

GSource *loop_bh_source_new(void)
{
    GSource *source = g_source_new(&bh_source_funcs, sizeof(GSource));
    g_source_set_name(source, "tessera bottom halves");
    return source;
}
