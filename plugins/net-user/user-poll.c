/*
 * plugins/net-user/user-poll.c - libslirp's host sockets and timers on
 * Tessera's main loop.
 *
 * libslirp does not own a loop: before each poll it lists the sockets it
 * wants watched and for what (slirp_pollfds_fill, which also gives how
 * long it may sleep for its TCP timers), and after the poll it is handed
 * what happened (slirp_pollfds_poll).  Tessera's loop has per-fd
 * watches instead, so after every entry into slirp we list its wishes
 * again and make the watches match: a new socket gets a watch, a socket
 * slirp no longer wants read (its window to the guest is full) loses its
 * watch, which is the flow control towards the host.  A watch that fires
 * hands its events to slirp for that one socket; the others report
 * nothing this time and fire on their own.
 */
#include "user.h"

#include <string.h>

typedef struct PollWatch {
    UserPoll *p;
    int fd;
    GIOCondition cond;
    TsFdWatch *watch;
    unsigned generation;        /* the sync that last wanted it */
} PollWatch;

struct UserPoll {
    UserNet *u;
    GArray *fds;                /* of GPollFD, in slirp's index order */
    GHashTable *watches;        /* fd -> PollWatch */
    unsigned generation;
    int depth;                  /* nested entries into slirp */
    TsTimer *timeout;           /* slirp's TCP timers are due */
};

static GIOCondition to_glib(int events)
{
    return (events & SLIRP_POLL_IN ? G_IO_IN : 0) |
           (events & SLIRP_POLL_OUT ? G_IO_OUT : 0) |
           (events & SLIRP_POLL_PRI ? G_IO_PRI : 0) |
           (events & SLIRP_POLL_ERR ? G_IO_ERR : 0) |
           (events & SLIRP_POLL_HUP ? G_IO_HUP : 0);
}

static int to_slirp(GIOCondition cond)
{
    return (cond & G_IO_IN ? SLIRP_POLL_IN : 0) |
           (cond & G_IO_OUT ? SLIRP_POLL_OUT : 0) |
           (cond & G_IO_PRI ? SLIRP_POLL_PRI : 0) |
           (cond & G_IO_ERR ? SLIRP_POLL_ERR : 0) |
           (cond & G_IO_HUP ? SLIRP_POLL_HUP : 0);
}

static int add_poll(int fd, int events, void *opaque)
{
    UserPoll *p = opaque;
    GPollFD pfd = { .fd = fd, .events = to_glib(events) };
    g_array_append_val(p->fds, pfd);
    return p->fds->len - 1;
}

static int get_revents(int idx, void *opaque)
{
    UserPoll *p = opaque;
    if (idx < 0 || (unsigned)idx >= p->fds->len) {
        return 0;
    }
    return to_slirp(g_array_index(p->fds, GPollFD, idx).revents);
}

/* Run slirp's poll with the events collected in p->fds. */
static void run_poll(UserPoll *p)
{
    user_poll_enter(p);
    slirp_pollfds_poll(p->u->slirp, 0, get_revents, p);
    user_poll_leave(p);
}

static bool watch_fired(int fd, GIOCondition revents, void *opaque)
{
    PollWatch *w = opaque;
    UserPoll *p = w->p;
    for (unsigned i = 0; i < p->fds->len; i++) {
        GPollFD *pfd = &g_array_index(p->fds, GPollFD, i);
        pfd->revents = pfd->fd == fd ? (revents & (pfd->events |
                                                   G_IO_ERR | G_IO_HUP))
                                     : 0;
    }
    run_poll(p);    /* syncs, which may remove or replace this watch */
    return true;
}

static void timeout_fired(void *opaque)
{
    UserPoll *p = opaque;
    for (unsigned i = 0; i < p->fds->len; i++) {
        g_array_index(p->fds, GPollFD, i).revents = 0;
    }
    run_poll(p);
}

static void watch_free(gpointer data)
{
    PollWatch *w = data;
    ts_fd_watch_remove(w->watch);
    g_free(w);
}

void user_poll_sync(UserPoll *p)
{
    uint32_t timeout = UINT32_MAX;
    g_array_set_size(p->fds, 0);
    slirp_pollfds_fill(p->u->slirp, &timeout, add_poll, p);

    unsigned gen = ++p->generation;
    for (unsigned i = 0; i < p->fds->len; i++) {
        GPollFD *pfd = &g_array_index(p->fds, GPollFD, i);
        PollWatch *w = g_hash_table_lookup(p->watches,
                                           GINT_TO_POINTER(pfd->fd));
        if (w && w->cond != pfd->events) {
            g_hash_table_remove(p->watches, GINT_TO_POINTER(pfd->fd));
            w = NULL;
        }
        if (!w) {
            w = g_new0(PollWatch, 1);
            w->p = p;
            w->fd = pfd->fd;
            w->cond = pfd->events;
            w->watch = ts_fd_watch_add(pfd->fd, pfd->events, watch_fired, w);
            g_hash_table_insert(p->watches, GINT_TO_POINTER(pfd->fd), w);
        }
        w->generation = gen;
    }
    GHashTableIter it;
    PollWatch *w;
    g_hash_table_iter_init(&it, p->watches);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&w)) {
        if (w->generation != gen) {
            g_hash_table_iter_remove(&it);
        }
    }

    /* slirp answers its largest wait when nothing is due; its fast TCP
     * timer asks for a few milliseconds. */
    if (timeout != UINT32_MAX) {
        ts_timer_mod(p->timeout, ts_clock_get_ns(TS_CLOCK_HOST) +
                     (int64_t)timeout * 1000000);
    } else {
        ts_timer_del(p->timeout);
    }
}

void user_poll_enter(UserPoll *p)
{
    p->depth++;
}

void user_poll_leave(UserPoll *p)
{
    if (--p->depth == 0 && p->u->slirp) {
        user_poll_sync(p);
        /* A guestfwd chardev paused while slirp had no room (or no
         * connection yet) is told to try again: chardevs do not ask by
         * themselves. */
        if (p->u->guestfwds) {
            ts_bh_schedule(p->u->kick);
        }
    }
}

UserPoll *user_poll_new(UserNet *u)
{
    UserPoll *p = g_new0(UserPoll, 1);
    p->u = u;
    p->fds = g_array_new(FALSE, TRUE, sizeof(GPollFD));
    p->watches = g_hash_table_new_full(NULL, NULL, NULL, watch_free);
    p->timeout = ts_timer_new(TS_CLOCK_HOST, timeout_fired, p);
    return p;
}

void user_poll_free(UserPoll *p)
{
    if (!p) {
        return;
    }
    g_hash_table_destroy(p->watches);
    g_array_free(p->fds, TRUE);
    ts_timer_free(p->timeout);
    g_free(p);
}

/* ------------------------------------------------------------------ */
/* libslirp's callbacks                                                 */

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
    UserNet *u = opaque;
    /* slirp cannot wait: no sent callback, so the core keeps a bounded
     * queue for a slow guest and drops beyond it; TCP recovers. */
    ts_net_send_buf(u->parent.client, buf, len, NULL);
    return len;
}

static void guest_error(const char *msg, void *opaque)
{
    ts_log(TS_LOG_GUEST_ERROR, "user network: %s\n", msg);
}

/* slirp's TCP clock is the guest's, as in QEMU: a stopped guest sees no
 * retransmission time pass. */
static int64_t clock_get_ns(void *opaque)
{
    return ts_clock_get_ns(TS_CLOCK_VIRTUAL);
}

typedef struct SlirpTimer {
    UserNet *u;
    SlirpTimerId id;
    void *cb_opaque;
    TsTimer *timer;
} SlirpTimer;

static void slirp_timer_fired(void *opaque)
{
    SlirpTimer *t = opaque;
    user_poll_enter(t->u->poll);
    slirp_handle_timer(t->u->slirp, t->id, t->cb_opaque);
    user_poll_leave(t->u->poll);
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    SlirpTimer *t = g_new0(SlirpTimer, 1);
    t->u = opaque;
    t->id = id;
    t->cb_opaque = cb_opaque;
    t->timer = ts_timer_new(TS_CLOCK_VIRTUAL, slirp_timer_fired, t);
    return t;
}

static void timer_free(void *timer, void *opaque)
{
    SlirpTimer *t = timer;
    ts_timer_free(t->timer);
    g_free(t);
}

/* expire_time is in milliseconds of clock_get_ns's clock. */
static void timer_mod(void *timer, int64_t expire_time, void *opaque)
{
    SlirpTimer *t = timer;
    ts_timer_mod(t->timer, expire_time * 1000000);
}

static void register_poll_fd(int fd, void *opaque)
{
    /* Every socket is listed again by slirp_pollfds_fill. */
}

static void unregister_poll_fd(int fd, void *opaque)
{
}

/* A socket can take more from the guest: the watches may have to
 * change, and a guestfwd chardev may send again, which must not enter
 * slirp from inside slirp (notify comes from there): later, in a bottom
 * half. */
static void notify(void *opaque)
{
    UserNet *u = opaque;
    if (u->poll) {
        user_poll_enter(u->poll);
        user_poll_leave(u->poll);   /* also schedules the kick */
    }
}

const SlirpCb user_slirp_callbacks = {
    .send_packet = send_packet,
    .guest_error = guest_error,
    .clock_get_ns = clock_get_ns,
    .timer_free = timer_free,
    .timer_mod = timer_mod,
    .register_poll_fd = register_poll_fd,
    .unregister_poll_fd = unregister_poll_fd,
    .notify = notify,
    .timer_new_opaque = timer_new_opaque,
};
