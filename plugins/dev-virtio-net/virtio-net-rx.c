/*
 * virtio-net-rx.c - frames from the backend into the guest's receive
 * queue (VIRTIO 1.2, 5.1.6.3/5.1.6.4) and the receive filter the control
 * queue sets (rx mode, MAC table, VLANs).
 *
 * Flow control (tessera/net.h): while the driver has given no buffer,
 * can_receive says no and the core keeps the backend's frames; when the
 * driver adds buffers it notifies the receive queue and we flush.  With
 * mergeable buffers a frame may need several chains: they are taken from
 * the ring one by one and kept here (compact) until enough are there.
 * If even the whole queue's worth (as many chains as the driver's queue
 * has entries) cannot hold a frame, the frame is dropped rather than
 * waited for forever.
 */
#include "virtio-net.h"

#include <errno.h>

static size_t iov_total(const struct iovec *iov, int iovcnt)
{
    size_t n = 0;
    for (int i = 0; i < iovcnt; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

/* Copy up to `len` bytes from `offset` into the vector to buf. */
static size_t iov_peek(const struct iovec *iov, int iovcnt, size_t offset,
                       void *buf, size_t len)
{
    size_t done = 0;
    for (int i = 0; i < iovcnt && done < len; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t n = MIN(iov[i].iov_len - offset, len - done);
        memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + offset, n);
        done += n;
        offset = 0;
    }
    return done;
}

/* ---- Chains taken from the receive ring ---------------------------------- */

static VnetRxBuf *rx_at(VirtioNet *n, unsigned i)
{
    return &n->rx[(n->rx_first + i) % VNET_RX_QUEUE_MAX];
}

static void rx_free(VnetRxBuf *b)
{
    g_free(b->seg);
    b->seg = NULL;
}

/* Take one more chain: 1 taken, 0 none (or we hold the whole queue), -1
 * the queue broke. */
static int rx_take(VirtioNet *n)
{
    if (n->rx_count >= ts_virtio_queue_size(&n->parent, VNET_RXQ)) {
        return 0;
    }
    int r = ts_virtio_pop(&n->parent, VNET_RXQ, &n->rx_pop);
    if (r <= 0) {
        return r;
    }
    if (n->rx_pop.n_in == 0) {
        ts_virtio_set_needs_reset(&n->parent, VNET_RXQ, "virtio-net %s: "
                                  "receive buffer %u has no device-writable "
                                  "part", vnet_name(n), n->rx_pop.head);
        return -1;
    }
    /* Device-readable segments in a receive chain carry nothing for us:
     * they are skipped. */
    VnetRxBuf *b = rx_at(n, n->rx_count);
    b->head = n->rx_pop.head;
    b->n_seg = n->rx_pop.n_in;
    b->len = n->rx_pop.in_len;
    b->seg = g_memdup2(&n->rx_pop.seg[n->rx_pop.n_out],
                       sizeof(TsVirtqSeg) * n->rx_pop.n_in);
    n->rx_count++;
    return 1;
}

static void rx_release_first(VirtioNet *n, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        rx_free(rx_at(n, 0));
        n->rx_first = (n->rx_first + 1) % VNET_RX_QUEUE_MAX;
        n->rx_count--;
    }
}

void vnet_rx_drop_all(VirtioNet *n)
{
    rx_release_first(n, n->rx_count);
    n->rx_first = 0;
    n->rx_waiting = false;
    if (n->rx_bh) {
        ts_bh_cancel(n->rx_bh);
    }
}

/* The i-th kept chain as the core's chain, for its copy and push calls. */
static const TsVirtqChain *rx_chain(VirtioNet *n, unsigned i)
{
    VnetRxBuf *b = rx_at(n, i);
    TsVirtqChain *c = &n->scratch;
    c->queue = VNET_RXQ;
    c->head = b->head;
    c->n_out = 0;
    c->n_in = b->n_seg;
    c->out_len = 0;
    c->in_len = b->len;
    memcpy(c->seg, b->seg, sizeof(TsVirtqSeg) * b->n_seg);
    return c;
}

/* ---- The filter ----------------------------------------------------------- */

static bool mac_in(const uint8_t (*table)[6], unsigned count,
                   const uint8_t *mac)
{
    for (unsigned i = 0; i < count; i++) {
        if (!memcmp(table[i], mac, 6)) {
            return true;
        }
    }
    return false;
}

/* What a NIC of the guest's configuration would let through.  The order
 * matters: promiscuous mode passes everything, the VLAN filter comes
 * before the address checks, broadcast is its own kind of multicast. */
bool vnet_rx_filter(VirtioNet *n, const uint8_t *frame, size_t len)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (n->promisc) {
        return true;
    }
    if (len >= 16 && frame[12] == 0x81 && frame[13] == 0x00) {
        unsigned vid = ((frame[14] << 8) | frame[15]) & 0xfff;
        if (!(n->vlans[vid / 32] & (1u << (vid % 32)))) {
            return false;
        }
    }
    if (frame[0] & 1) {
        if (!memcmp(frame, bcast, 6)) {
            return !n->nobcast;
        }
        if (n->nomulti) {
            return false;
        }
        if (n->allmulti || n->multi_overflow) {
            return true;
        }
        return mac_in((const uint8_t (*)[6])n->multi, n->n_multi, frame);
    }
    if (n->nouni) {
        return false;
    }
    if (n->alluni || n->uni_overflow || !memcmp(frame, n->mac, 6)) {
        return true;
    }
    return mac_in((const uint8_t (*)[6])n->uni, n->n_uni, frame);
}

/* ---- Receiving ------------------------------------------------------------ */

bool vnet_can_receive(TsNetClient *nc)
{
    VirtioNet *n = ts_net_client_opaque(nc);
    if (!ts_virtio_queue_active(&n->parent, VNET_RXQ)) {
        n->rx_waiting = true;
        return false;
    }
    if (n->rx_count) {
        return true;
    }
    if (!ts_virtio_begin(&n->parent)) {
        n->rx_waiting = true;
        ts_bh_schedule(n->rx_bh);
        return false;
    }
    int r = rx_take(n);
    ts_virtio_end(&n->parent);
    if (r <= 0) {
        n->rx_waiting = true;
        return false;
    }
    return true;
}

/* Chains needed for `need` bytes, taking more from the ring as needed:
 * >0 their count, 0 wait for the driver, -1 drop the frame. */
static int rx_gather(VirtioNet *n, uint64_t need, bool mergeable)
{
    uint64_t have = 0;
    unsigned i = 0;
    for (;;) {
        if (i == n->rx_count) {
            int r = rx_take(n);
            if (r < 0) {
                return -1;
            }
            if (r == 0) {
                /* Holding the whole queue and still short: no buffers
                 * will ever be enough for this frame. */
                return n->rx_count >= ts_virtio_queue_size(&n->parent,
                                                           VNET_RXQ)
                       ? -1 : 0;
            }
        }
        have += rx_at(n, i)->len;
        i++;
        if (have >= need) {
            return (int)i;
        }
        if (!mergeable) {
            return -1;              /* one chain, and it is too short */
        }
    }
}

/* Write the header and the frame into the first `count` kept chains and
 * give them back.  false: the queue broke. */
static bool rx_fill(VirtioNet *n, unsigned count, const VnetHdr *hdr,
                    const struct iovec *iov, int iovcnt, size_t skip,
                    size_t need)
{
    unsigned ci = 0;
    uint64_t co = 0;
    const TsVirtqChain *c = rx_chain(n, 0);
    if (!ts_virtio_chain_write(&n->parent, c, 0, hdr, n->hdr_len)) {
        return false;
    }
    co = n->hdr_len;
    for (int i = 0; i < iovcnt; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        if (skip >= left) {
            skip -= left;
            continue;
        }
        p += skip;
        left -= skip;
        skip = 0;
        while (left) {
            uint64_t room = rx_at(n, ci)->len - co;
            if (room == 0) {
                ci++;
                co = 0;
                g_assert(ci < count);
                c = rx_chain(n, ci);
                continue;
            }
            size_t len = (size_t)MIN(room, (uint64_t)left);
            if (!ts_virtio_chain_write(&n->parent, c, co, p, len)) {
                return false;
            }
            co += len;
            p += len;
            left -= len;
        }
    }
    /* Each chain's used length is what went into it. */
    uint64_t done = 0;
    for (unsigned i = 0; i < count; i++) {
        uint64_t len = MIN(rx_at(n, i)->len, need - done);
        done += len;
        if (!ts_virtio_push(&n->parent, rx_chain(n, i), (uint32_t)len)) {
            return false;
        }
    }
    rx_release_first(n, count);
    return true;
}

ssize_t vnet_receive(TsNetClient *nc, const struct iovec *iov, int iovcnt)
{
    VirtioNet *n = ts_net_client_opaque(nc);
    size_t total = iov_total(iov, iovcnt);
    if (!ts_virtio_begin(&n->parent)) {
        n->rx_waiting = true;
        ts_bh_schedule(n->rx_bh);
        return 0;
    }
    vnet_sync_features(n);
    /* The backend's header has the guest's size (set on negotiation). */
    size_t skip = n->vnet_peer ? n->hdr_len : 0;
    ssize_t ret = (ssize_t)total;
    if (total < skip + 14) {
        ret = -EINVAL;              /* not even an Ethernet header */
        goto out;
    }
    uint8_t head[VNET_HDR_LEN + 16];
    size_t got = iov_peek(iov, iovcnt, 0, head, skip + 16);
    if (!ts_virtio_queue_active(&n->parent, VNET_RXQ)) {
        n->rx_waiting = true;
        ret = 0;
        goto out;
    }
    if (!vnet_rx_filter(n, head + skip, got - skip)) {
        goto out;                   /* not for us: taken */
    }
    size_t need = n->hdr_len + (total - skip);
    bool mergeable = vnet_has(n, VNET_F_MRG_RXBUF);
    int count = rx_gather(n, need, mergeable);
    if (count == 0) {
        n->rx_waiting = true;
        ret = 0;
        goto out;
    }
    if (count < 0) {
        if (ts_log_enabled(TS_LOG_GUEST_ERROR)) {
            ts_log(TS_LOG_GUEST_ERROR, "virtio-net %s: no receive buffer "
                   "holds a %zu-byte frame; dropped\n", vnet_name(n),
                   total - skip);
        }
        ret = -ENOBUFS;
        goto out;
    }
    VnetHdr hdr = { 0 };
    if (skip) {
        /* The backend's header, as it gave it (the offloads it may use
         * are the ones the guest accepted). */
        memcpy(&hdr, head, offsetof(VnetHdr, num_buffers));
    }
    hdr.num_buffers = GUINT16_TO_LE((uint16_t)count);
    if (rx_fill(n, (unsigned)count, &hdr, iov, iovcnt, skip, need)) {
        ts_virtio_notify(&n->parent, VNET_RXQ);
    }
out:
    ts_virtio_end(&n->parent);
    return ret;
}

void vnet_rx_notify(VirtioNet *n)
{
    /* The driver added buffers: what the core keeps for us comes now. */
    n->rx_waiting = false;
    ts_net_flush(n->nc);
}

void vnet_rx_bh(void *opaque)
{
    VirtioNet *n = opaque;
    if (n->nc) {
        ts_net_flush(n->nc);
    }
}
