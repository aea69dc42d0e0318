/*
 * core/net/net-queue.c - sending a frame to the peer, and the one
 * flow-control rule of <tessera/net.h>: a frame the peer cannot take now
 * is kept (never dropped for being slow) and its sender waits for its
 * sent callback; senders that cannot wait get a bounded share, beyond
 * which frames are dropped and counted.
 *
 * Frames are kept at the receiving client, in arrival order: once one is
 * kept, every later frame for that client queues behind it, so a flush
 * delivers them in the order they were sent.
 */
#include "net-internal.h"

#include <string.h>

static size_t iov_size(const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        total += iov[i].iov_len;
        if (total > TS_NET_FRAME_MAX) {
            return TS_NET_FRAME_MAX + 1;   /* no overflow on a silly vector */
        }
    }
    return total;
}

static bool can_receive_now(TsNetClient *nc)
{
    if (nc->receive_paused) {
        return false;
    }
    return !nc->ops->can_receive || nc->ops->can_receive(nc);
}

/*
 * Hand one frame to `to`: > 0 taken or dropped on purpose, 0 not now,
 * < 0 error (dropped).  Counts what happened.
 */
static ssize_t deliver(TsNetClient *to, const struct iovec *iov, int iovcnt,
                       size_t len)
{
    if (to->link_down || !to->ops->receive) {
        to->stats.dropped++;
        return len;
    }
    to->delivering = true;
    ssize_t r = to->ops->receive(to, iov, iovcnt);
    to->delivering = false;
    if (r == 0 && len) {        /* an empty frame cannot be "not now" */
        to->receive_paused = true;
        return 0;
    }
    if (r < 0) {
        to->stats.dropped++;
        return len;
    }
    to->stats.rx_frames++;
    to->stats.rx_bytes += len;
    return r;
}

static void keep(TsNetClient *to, TsNetClient *sender,
                 const struct iovec *iov, int iovcnt, size_t len,
                 TsNetSentFn sent)
{
    NetFrame *f = g_malloc(sizeof(*f) + len);
    f->sender = sender;
    f->sent = sent;
    f->len = len;
    size_t off = 0;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(f->data + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    if (!sent) {
        to->kept_unstoppable++;
    }
    g_queue_push_tail(&to->kept, f);
}

static void frame_free(TsNetClient *to, NetFrame *f)
{
    if (!f->sent) {
        to->kept_unstoppable--;
    }
    g_free(f);
}

TS_EXPORT ssize_t ts_net_send(TsNetClient *nc, const struct iovec *iov,
                              int iovcnt, TsNetSentFn sent)
{
    size_t len = iov_size(iov, iovcnt);
    TsNetClient *to = nc->peer;
    if (len > TS_NET_FRAME_MAX) {
        if (to) {
            to->stats.dropped++;
        }
        return len;
    }
    nc->stats.tx_frames++;
    nc->stats.tx_bytes += len;
    if (!to || nc->link_down) {
        if (to) {
            to->stats.dropped++;
        }
        return len;
    }
    /* Behind frames already kept, or into a client that said no (or is
     * inside its own receive): keep it, within the bound for senders
     * that will not stop. */
    if (to->kept.length || to->delivering || !can_receive_now(to)) {
        if (!sent && to->kept_unstoppable >= TS_NET_QUEUE_MAX) {
            to->stats.dropped++;
            return len;
        }
        keep(to, nc, iov, iovcnt, len, sent);
        return 0;
    }
    ssize_t r = deliver(to, iov, iovcnt, len);
    if (r == 0) {
        keep(to, nc, iov, iovcnt, len, sent);
        return 0;
    }
    /* Frames sent to `to` from inside its receive were kept behind this
     * one; nobody else would flush them. */
    if (to->kept.length && !to->flushing && !to->receive_paused) {
        ts_net_flush(to);
    }
    return len;
}

TS_EXPORT ssize_t ts_net_send_buf(TsNetClient *nc, const void *buf,
                                  size_t len, TsNetSentFn sent)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    return ts_net_send(nc, &iov, 1, sent);
}

TS_EXPORT void ts_net_flush(TsNetClient *nc)
{
    /* A flush from inside a sent callback of this flush: the loop below
     * goes on anyway. */
    if (nc->flushing) {
        nc->receive_paused = false;
        return;
    }
    nc->flushing = true;
    nc->receive_paused = false;
    while (nc->kept.length && can_receive_now(nc)) {
        NetFrame *f = g_queue_pop_head(&nc->kept);
        struct iovec iov = { .iov_base = f->data, .iov_len = f->len };
        if (deliver(nc, &iov, 1, f->len) == 0) {
            g_queue_push_head(&nc->kept, f);
            break;
        }
        TsNetClient *sender = f->sender;
        TsNetSentFn sent = f->sent;
        size_t len = f->len;
        frame_free(nc, f);
        if (sent) {
            sent(sender, len);
        }
    }
    nc->flushing = false;
    /* A client behind a hub port: the port holds frames for the hub
     * that waited for this client (QEMU flushes the whole hub). */
    if (nc->peer && nc->peer->kind == TS_NET_CLIENT_HUBPORT &&
        !nc->kept.length) {
        net_hub_flush(nc->peer);
    }
}

void net_queue_purge(TsNetClient *nc)
{
    /* Only what is kept now: a sender told to go on may send again at
     * once, and that frame is not this purge's to drop. */
    for (guint n = nc->kept.length; n && nc->kept.length; n--) {
        NetFrame *f = g_queue_pop_head(&nc->kept);
        TsNetClient *sender = f->sender;
        TsNetSentFn sent = f->sent;
        size_t len = f->len;
        nc->stats.dropped++;
        frame_free(nc, f);
        if (sent) {
            sent(sender, len);
        }
    }
}

TS_EXPORT void ts_net_purge(TsNetClient *nc)
{
    net_queue_purge(nc);
}

void net_queue_forget_sender(TsNetClient *nc, TsNetClient *sender)
{
    for (GList *l = nc->kept.head; l;) {
        GList *next = l->next;
        NetFrame *f = l->data;
        if (f->sender == sender) {
            g_queue_delete_link(&nc->kept, l);
            frame_free(nc, f);
        }
        l = next;
    }
}
