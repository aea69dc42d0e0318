/*
 * virtio-net-tx.c - frames from the guest's transmit queue to the backend
 * (VIRTIO 1.2, 5.1.6.2).
 *
 * Each chain is the header (12 bytes, 10 for a legacy driver without
 * mergeable buffers) and one frame.  A backend that carries
 * the header gets it with the frame (the host kernel does the offloads);
 * any other gets the bare frame, with a partial checksum finished here
 * (a driver should not ask for one without VIRTIO_NET_F_CSUM, but doing
 * it costs little) and segmentation refused (never offered).
 *
 * Frames go out straight from guest memory (ts_dma_map) when nothing in
 * them needs changing, else through a copy.
 *
 * Flow control (tessera/net.h): when ts_net_send() answers 0 the core
 * keeps (copies) that frame and we stop taking chains until our sent
 * callback; the chain itself is given back at once.  Work per
 * notification is bounded; the rest continues from a bottom half.
 */
#include "virtio-net.h"

/* Bytes sent per notification before yielding to the bottom half. */
#define TX_WORK_BYTES (1024 * 1024)

static void tx_guest_error(VirtioNet *n, const char *what, unsigned head)
{
    n->tx_dropped++;
    if (ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        ts_log(TS_LOG_GUEST_ERROR, "virtio-net %s: transmit chain %u: %s; "
               "frame dropped\n", vnet_name(n), head, what);
    }
}

/* Put the ones' complement sum of frame[start..len) at start + offset,
 * where the driver left the pseudo-header's sum (5.1.6.2). */
static bool finish_checksum(uint8_t *frame, size_t len, unsigned start,
                            unsigned offset)
{
    if ((size_t)start + offset + 2 > len) {
        return false;
    }
    uint32_t sum = 0;
    size_t i = start;
    for (; i + 1 < len; i += 2) {
        sum += (uint32_t)(frame[i] << 8 | frame[i + 1]);
    }
    if (i < len) {
        sum += (uint32_t)frame[i] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    uint16_t c = (uint16_t)~sum;
    frame[start + offset] = (uint8_t)(c >> 8);
    frame[start + offset + 1] = (uint8_t)c;
    return true;
}

static void tx_sent(TsNetClient *sender, ssize_t len)
{
    VirtioNet *n = ts_net_client_opaque(sender);
    n->tx_waiting = false;
    ts_bh_schedule(n->tx_bh);
}

/* Send the frame in tx_buf (header first, `len` bytes in all).  Returns
 * what ts_net_send does, or 1 for a frame dropped here. */
static ssize_t tx_frame(VirtioNet *n, size_t len, unsigned head)
{
    uint8_t *frame = n->tx_buf + n->hdr_len;
    size_t flen = len - n->hdr_len;
    if (flen < 14) {
        tx_guest_error(n, "shorter than an Ethernet header", head);
        return 1;
    }
    if (n->vnet_peer) {
        return ts_net_send_buf(n->nc, n->tx_buf, len, tx_sent);
    }
    VnetHdr hdr;
    memcpy(&hdr, n->tx_buf, sizeof(hdr));   /* num_buffers unused */
    if ((hdr.gso_type & ~VNET_HDR_GSO_ECN) != VNET_HDR_GSO_NONE) {
        tx_guest_error(n, "segmentation offload was not offered", head);
        return 1;
    }
    if ((hdr.flags & VNET_HDR_F_NEEDS_CSUM) &&
        !finish_checksum(frame, flen, GUINT16_FROM_LE(hdr.csum_start),
                         GUINT16_FROM_LE(hdr.csum_offset))) {
        tx_guest_error(n, "checksum position past the frame", head);
        return 1;
    }
    return ts_net_send_buf(n->nc, frame, flen, tx_sent);
}

/* Segments a frame may have to be sent without copying; more (rare:
 * Linux sends a header and up to 17 fragments) take the copy. */
#define TX_MAP_MAX 64
#define TX_COPY (-2)

/*
 * Send the chain's frame straight from guest memory when that needs no
 * change to it: every segment plain RAM, and either a backend that takes
 * our header or a header asking for nothing.  TX_COPY: use the copy.
 */
static ssize_t tx_mapped(VirtioNet *n, const TsVirtqChain *c)
{
    TsVirtioDevice *dev = &n->parent;
    if (c->n_out > TX_MAP_MAX) {
        return TX_COPY;
    }
    VnetHdr hdr = { 0 };
    if (!ts_virtio_chain_read(dev, c, 0, &hdr, n->hdr_len)) {
        return 1;                       /* the queue broke */
    }
    uint64_t skip = 0;
    if (!n->vnet_peer) {
        if ((hdr.flags & VNET_HDR_F_NEEDS_CSUM) ||
            (hdr.gso_type & ~VNET_HDR_GSO_ECN) != VNET_HDR_GSO_NONE) {
            return TX_COPY;
        }
        skip = n->hdr_len;
    }
    if (c->out_len - skip < 14) {
        return TX_COPY;                 /* the copy path says why */
    }
    struct iovec iov[TX_MAP_MAX];
    TsMemoryRegion *mr[TX_MAP_MAX];
    int cnt = 0;
    ssize_t ret = TX_COPY;
    for (unsigned i = 0; i < c->n_out; i++) {
        uint64_t addr = c->seg[i].addr, len = c->seg[i].len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        addr += skip;
        len -= skip;
        skip = 0;
        mr[cnt] = NULL;
        void *p = ts_dma_map(ts_virtio_dma_as(dev), addr, len, false,
                             &mr[cnt]);
        if (!p) {
            goto out;
        }
        iov[cnt].iov_base = p;
        iov[cnt].iov_len = (size_t)len;
        cnt++;
    }
    ret = ts_net_send(n->nc, iov, cnt, tx_sent);
out:
    for (int i = 0; i < cnt; i++) {
        ts_dma_unmap(mr[i]);
    }
    return ret;
}

bool vnet_tx_notify(VirtioNet *n)
{
    TsVirtioDevice *dev = &n->parent;
    size_t bytes = 0;
    bool more = false;
    for (unsigned i = 0; i < VNET_QUEUE_SIZE && !n->tx_waiting; i++) {
        if (bytes >= TX_WORK_BYTES) {
            more = true;
            break;
        }
        TsVirtqChain *c = &n->tx_chain;
        if (ts_virtio_pop(dev, VNET_TXQ, c) <= 0) {
            break;
        }
        if (c->out_len < n->hdr_len) {
            ts_virtio_set_needs_reset(dev, VNET_TXQ, "virtio-net %s: "
                                      "transmit chain %u is shorter than "
                                      "the virtio-net header",
                                      vnet_name(n), c->head);
            break;
        }
        if (c->out_len > TS_NET_FRAME_MAX) {
            tx_guest_error(n, "larger than 64 KiB", c->head);
        } else {
            size_t len = (size_t)c->out_len;
            ssize_t r = tx_mapped(n, c);
            if (r == TX_COPY) {
                if (!ts_virtio_chain_read(dev, c, 0, n->tx_buf, len)) {
                    break;
                }
                r = tx_frame(n, len, c->head);
            }
            if (!ts_virtio_queue_active(dev, VNET_TXQ)) {
                break;
            }
            if (r == 0) {
                n->tx_waiting = true;       /* kept: wait for tx_sent */
            }
            bytes += len;
        }
        if (!ts_virtio_push(dev, c, 0)) {
            break;
        }
        if (i + 1 == VNET_QUEUE_SIZE) {
            more = true;
        }
    }
    ts_virtio_notify(dev, VNET_TXQ);
    return more && ts_virtio_queue_active(dev, VNET_TXQ);
}

void vnet_tx_bh(void *opaque)
{
    VirtioNet *n = opaque;
    if (!ts_virtio_begin(&n->parent)) {
        ts_bh_schedule(n->tx_bh);
        return;
    }
    vnet_sync_features(n);
    if (vnet_tx_notify(n)) {
        ts_bh_schedule(n->tx_bh);
    }
    ts_virtio_end(&n->parent);
}

void vnet_tx_reset(VirtioNet *n)
{
    n->tx_waiting = false;
    if (n->tx_bh) {
        ts_bh_cancel(n->tx_bh);
    }
}
