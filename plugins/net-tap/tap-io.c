/*
 * plugins/net-tap/tap-io.c - frames between the tap fd and the peer.
 *
 * Host to guest: read a frame, send it; when the peer cannot take it the
 * core keeps it and we stop watching the fd until the sent callback, so
 * the kernel's queue (not our memory) holds the backlog and the kernel
 * drops what does not fit, as a real NIC would.  Guest to host: write the
 * frame; when the fd is full answer 0 so the core keeps it and pauses the
 * NIC, and flush once the fd is writable again.
 *
 * With IFF_VNET_HDR every frame on the fd starts with a virtio-net header
 * of host_hdr_len bytes.  A NIC that negotiated the header (using_vnet_hdr)
 * gets it as is; otherwise we strip it on the way in and add an empty one
 * (no offload asked) on the way out.
 */
#include "tap.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

/* Frames read per wakeup before giving the loop back to others. */
#define TAP_READ_BATCH 64

static bool tap_readable(int fd, GIOCondition revents, void *opaque);

static void read_watch_set(TapNet *t, bool on)
{
    if (on && !t->read_watch && t->fd >= 0) {
        t->read_watch = ts_fd_watch_add(t->fd, G_IO_IN, tap_readable, t);
    } else if (!on && t->read_watch) {
        ts_fd_watch_remove(t->read_watch);
        t->read_watch = NULL;
    }
}

static void tap_sent(TsNetClient *nc, ssize_t len)
{
    TapNet *t = ts_net_client_opaque(nc);
    t->read_paused = false;
    read_watch_set(t, true);
}

static bool tap_readable(int fd, GIOCondition revents, void *opaque)
{
    TapNet *t = opaque;
    /* What the NIC does not see of each frame: the header, unless it
     * negotiated it. */
    int skip = t->has_vnet_hdr && !t->using_vnet_hdr ? t->host_hdr_len : 0;

    for (int n = 0; n < TAP_READ_BATCH; n++) {
        ssize_t len = read(t->fd, t->buf, TS_NET_FRAME_MAX);
        if (len < 0 && errno == EINTR) {
            continue;
        }
        if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (len <= 0) {
            /* The interface is gone (EIO, EBADFD after the link was
             * deleted): a watch would fire forever. */
            t->read_watch = NULL;
            return false;
        }
        if (len <= skip) {
            continue;       /* a header and no frame: nothing to give */
        }
        if (ts_net_send_buf(t->parent.client, t->buf + skip, len - skip,
                            tap_sent) == 0) {
            /* Kept by the core: wait for tap_sent. */
            t->read_paused = true;
            t->read_watch = NULL;
            return false;
        }
    }
    return true;
}

static bool tap_writable(int fd, GIOCondition revents, void *opaque)
{
    TapNet *t = opaque;
    t->write_watch = NULL;
    ts_net_flush(t->parent.client);
    return false;
}

static ssize_t tap_receive(TsNetClient *nc, const struct iovec *iov,
                           int iovcnt)
{
    TapNet *t = ts_net_client_opaque(nc);
    struct iovec stack[16];
    /* The header in front: one entry more than the frame has. */
    g_autofree struct iovec *heap = iovcnt < 16 ? NULL
                                    : g_new(struct iovec, iovcnt + 1);
    struct iovec *v = heap ? heap : stack;
    uint8_t hdr[12] = { 0 };    /* "no offload": flags 0, GSO none */
    int n = 0;
    size_t len = 0;

    if (t->fd < 0) {
        return -EBADF;
    }
    if (t->has_vnet_hdr && !t->using_vnet_hdr) {
        v[n].iov_base = hdr;
        v[n++].iov_len = t->host_hdr_len;
    }
    for (int i = 0; i < iovcnt; i++) {
        v[n++] = iov[i];
        len += iov[i].iov_len;
    }
    ssize_t r;
    do {
        r = writev(t->fd, v, n);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!t->write_watch) {
            t->write_watch = ts_fd_watch_add(t->fd, G_IO_OUT, tap_writable,
                                             t);
        }
        return 0;
    }
    if (r < 0) {
        /* The interface is down or gone: the frame is lost, as on a
         * wire with nobody at the other end. */
        return -errno;
    }
    return len;
}

static bool tap_has_vnet_hdr(TsNetClient *nc)
{
    TapNet *t = ts_net_client_opaque(nc);
    return t->has_vnet_hdr;
}

static bool tap_has_ufo(TsNetClient *nc)
{
    TapNet *t = ts_net_client_opaque(nc);
    return t->has_ufo;
}

static void tap_set_vnet_hdr_len(TsNetClient *nc, int len)
{
    TapNet *t = ts_net_client_opaque(nc);
    if (!t->has_vnet_hdr || (len != 10 && len != 12)) {
        return;
    }
    if (ioctl(t->fd, TUNSETVNETHDRSZ, &len) == 0) {
        t->host_hdr_len = len;
    }
}

static void tap_set_offload(TsNetClient *nc, const TsNetOffloads *o)
{
    TapNet *t = ts_net_client_opaque(nc);
    if (!t->has_vnet_hdr) {
        return;
    }
    unsigned flags = 0;
    if (o->csum) {
        /* The kernel takes segmentation only along with checksums. */
        flags |= TUN_F_CSUM;
        flags |= o->tso4 ? TUN_F_TSO4 : 0;
        flags |= o->tso6 ? TUN_F_TSO6 : 0;
        flags |= o->ecn ? TUN_F_TSO_ECN : 0;
        flags |= o->ufo && t->has_ufo ? TUN_F_UFO : 0;
    }
    ioctl(t->fd, TUNSETOFFLOAD, flags);
}

static void tap_using_vnet_hdr(TsNetClient *nc, bool enable)
{
    TapNet *t = ts_net_client_opaque(nc);
    t->using_vnet_hdr = enable && t->has_vnet_hdr;
}

const TsNetClientOps tap_client_ops = {
    .receive = tap_receive,
    .has_vnet_hdr = tap_has_vnet_hdr,
    .has_ufo = tap_has_ufo,
    .set_vnet_hdr_len = tap_set_vnet_hdr_len,
    .set_offload = tap_set_offload,
    .using_vnet_hdr = tap_using_vnet_hdr,
};

void tap_start(TapNet *t)
{
    if (!t->buf) {
        t->buf = g_malloc(TS_NET_FRAME_MAX);
    }
    read_watch_set(t, true);
}

void tap_stop(TapNet *t)
{
    read_watch_set(t, false);
    ts_fd_watch_remove(t->write_watch);
    t->write_watch = NULL;
    g_clear_pointer(&t->buf, g_free);
}
