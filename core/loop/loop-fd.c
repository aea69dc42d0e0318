/*
 * loop-fd.c - file descriptor watches: one GSource per watched fd.
 *
 * The handle is the GSource itself.  The context holds the only reference,
 * so the watch is freed when it is destroyed (by ts_fd_watch_remove or by
 * the callback returning false); GLib keeps it alive while its callback
 * runs, which is what makes removal from inside the callback safe.
 */
#include "loop-internal.h"

struct TsFdWatch {
    GSource source;
    gpointer tag;
    int fd;
    bool (*cb)(int fd, GIOCondition revents, void *opaque);
    void *opaque;
};

static gboolean fd_watch_dispatch(GSource *source, GSourceFunc unused_cb,
                                  gpointer unused_data)
{
    TsFdWatch *watch = (TsFdWatch *)source;
    GIOCondition revents = g_source_query_unix_fd(source, watch->tag);
    return watch->cb(watch->fd, revents, watch->opaque) ? G_SOURCE_CONTINUE
                                                        : G_SOURCE_REMOVE;
}

/* GLib finds the source ready by itself when its fd has events. */
static GSourceFuncs fd_watch_funcs = {
    .dispatch = fd_watch_dispatch,
};

TS_EXPORT TsFdWatch *ts_fd_watch_add(int fd, GIOCondition cond,
                                     bool (*cb)(int fd, GIOCondition revents,
                                                void *opaque),
                                     void *opaque)
{
    if (fd < 0 || !cb) {
        return NULL;
    }
    GSource *source = g_source_new(&fd_watch_funcs, sizeof(TsFdWatch));
    TsFdWatch *watch = (TsFdWatch *)source;
    g_source_set_name(source, "tessera fd watch");
    watch->fd = fd;
    watch->cb = cb;
    watch->opaque = opaque;
    watch->tag = g_source_add_unix_fd(source, fd, cond);
    g_source_attach(source, loop_context());
    g_source_unref(source);
    return watch;
}

TS_EXPORT void ts_fd_watch_remove(TsFdWatch *watch)
{
    if (watch) {
        g_source_destroy(&watch->source);
    }
}
