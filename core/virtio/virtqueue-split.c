/*
 * core/virtio/virtqueue-split.c - walking split virtqueues (VIRTIO 1.2,
 * 2.7) as a device: the ring format's VirtqRingOps.
 *
 * Everything here reads what a possibly hostile driver wrote, so every
 * index is checked against the table it indexes, every chain walk is
 * bounded by the size of the table it walks (a loop ends there), every
 * buffer must lie in guest RAM before it is used, and every access goes
 * through ts_dma_read/ts_dma_write.  A violation is reported as an error
 * and the caller gives the queue up; nothing here aborts.
 *
 * Ring layout (all little-endian):
 *   descriptor  { le64 addr; le32 len; le16 flags; le16 next; }  16 bytes
 *   available   { le16 flags; le16 idx; le16 ring[num]; le16 used_event; }
 *   used        { le16 flags; le16 idx; { le32 id; le32 len; } ring[num];
 *                 le16 avail_event; }
 */
#include "virtio-internal.h"

#define VIRTQ_DESC_F_NEXT         1
#define VIRTQ_DESC_F_WRITE        2
#define VIRTQ_DESC_F_INDIRECT     4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

#define DESC_SIZE 16

/* The driver and the device share the rings across threads (vCPUs write
 * them while the device reads): the spec's barriers, as fences. */
#define fence_acquire() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define fence_release() __atomic_thread_fence(__ATOMIC_RELEASE)
#define fence_full()    __atomic_thread_fence(__ATOMIC_SEQ_CST)

typedef struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} Desc;

/* ---- Guest memory, checked ------------------------------------------ */

static bool dma_read(VirtQueue *vq, uint64_t addr, void *buf, size_t len,
                     const char *what, GError **errp)
{
    if (ts_dma_read(vq->as, addr, buf, len) != TS_MEM_OK) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "cannot read the %s at 0x%" PRIx64, what, addr);
        return false;
    }
    return true;
}

static bool dma_write(VirtQueue *vq, uint64_t addr, const void *buf,
                      size_t len, const char *what, GError **errp)
{
    if (ts_dma_write(vq->as, addr, buf, len) != TS_MEM_OK) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "cannot write the %s at 0x%" PRIx64, what, addr);
        return false;
    }
    return true;
}

static bool read_u16(VirtQueue *vq, uint64_t addr, uint16_t *val,
                     const char *what, GError **errp)
{
    uint16_t le;
    if (!dma_read(vq, addr, &le, sizeof(le), what, errp)) {
        return false;
    }
    *val = GUINT16_FROM_LE(le);
    return true;
}

static bool write_u16(VirtQueue *vq, uint64_t addr, uint16_t val,
                      const char *what, GError **errp)
{
    uint16_t le = GUINT16_TO_LE(val);
    return dma_write(vq, addr, &le, sizeof(le), what, errp);
}

/* ---- Layout ---------------------------------------------------------- */

static uint64_t avail_size(uint32_t num) { return 6 + 2 * (uint64_t)num; }
static uint64_t used_size(uint32_t num) { return 6 + 8 * (uint64_t)num; }

static bool split_check_layout(const VirtQueue *vq, GError **errp)
{
    uint32_t num = vq->num;
    if (num == 0 || num > vq->num_max || (num & (num - 1))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "queue size %u is not a power of two between 1 and %u",
                    num, vq->num_max);
        return false;
    }
    /* Alignment: 16 for the table, 2 for the driver area, 4 for the
     * device area (spec 2.7, table "Virtqueue Part Alignment"). */
    if ((vq->desc_addr & 15) || (vq->avail_addr & 1) ||
        (vq->used_addr & 3)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "queue areas are misaligned (descriptors 0x%" PRIx64
                    ", driver area 0x%" PRIx64 ", device area 0x%" PRIx64
                    ")", vq->desc_addr, vq->avail_addr, vq->used_addr);
        return false;
    }
    return virtq_check_ram(vq->as, vq->desc_addr,
                           (uint64_t)num * DESC_SIZE, false,
                           "descriptor table", errp) &&
           virtq_check_ram(vq->as, vq->avail_addr, avail_size(num), false,
                           "driver area", errp) &&
           virtq_check_ram(vq->as, vq->used_addr, used_size(num), true,
                           "device area", errp);
}

/* ---- Taking chains --------------------------------------------------- */

static bool read_desc(VirtQueue *vq, uint64_t table, uint32_t i, Desc *d,
                      GError **errp)
{
    uint8_t raw[DESC_SIZE];
    if (!dma_read(vq, table + (uint64_t)i * DESC_SIZE, raw, sizeof(raw),
                  "descriptor", errp)) {
        return false;
    }
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
    memcpy(&addr, raw, 8);
    memcpy(&len, raw + 8, 4);
    memcpy(&flags, raw + 12, 2);
    memcpy(&next, raw + 14, 2);
    d->addr = GUINT64_FROM_LE(addr);
    d->len = GUINT32_FROM_LE(len);
    d->flags = GUINT16_FROM_LE(flags);
    d->next = GUINT16_FROM_LE(next);
    return true;
}

/* Fail with a message that names the chain. */
G_GNUC_PRINTF(3, 4)
static int chain_error(GError **errp, uint16_t head, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                "descriptor chain at head %u: %s", head, msg);
    return -1;
}

/* Switch the walk to the indirect table `d` describes. */
static int enter_indirect(VirtQueue *vq, const Desc *d, uint16_t head,
                          bool in_indirect, GError **errp)
{
    if (!vq->indirect) {
        return chain_error(errp, head, "indirect descriptor, but "
                           "VIRTIO_F_INDIRECT_DESC was not negotiated");
    }
    if (in_indirect) {
        return chain_error(errp, head, "indirect descriptor inside an "
                           "indirect table");
    }
    if (d->flags & VIRTQ_DESC_F_NEXT) {
        return chain_error(errp, head, "descriptor has both INDIRECT and "
                           "NEXT set");
    }
    if (d->len == 0 || d->len % DESC_SIZE ||
        d->len / DESC_SIZE > VIRTQ_INDIRECT_MAX) {
        return chain_error(errp, head, "indirect table of %u bytes (must "
                           "be a multiple of 16, at most %u entries)",
                           d->len, VIRTQ_INDIRECT_MAX);
    }
    if (!virtq_check_ram(vq->as, d->addr, d->len, false,
                         "indirect table", errp)) {
        return -1;
    }
    return 0;
}

/* Follow the chain starting at descriptor `head` into `chain`. */
static int walk_chain(VirtQueue *vq, uint16_t head, TsVirtqChain *chain,
                      GError **errp)
{
    uint64_t table = vq->desc_addr;
    uint32_t table_size = vq->num;
    /* Descriptors this table may still contribute: a chain longer than
     * its table necessarily revisits one, i.e. loops. */
    uint32_t left = table_size;
    bool in_indirect = false;
    uint32_t i = head;

    chain->head = head;
    chain->n_out = chain->n_in = 0;
    chain->out_len = chain->in_len = 0;
    for (;;) {
        if (left == 0) {
            return chain_error(errp, head, "longer than the %s of %u "
                               "descriptors (a loop?)",
                               in_indirect ? "indirect table" : "queue",
                               table_size);
        }
        left--;
        Desc d;
        if (!read_desc(vq, table, i, &d, errp)) {
            return -1;
        }
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (enter_indirect(vq, &d, head, in_indirect, errp) < 0) {
                return -1;
            }
            table = d.addr;
            table_size = left = d.len / DESC_SIZE;
            in_indirect = true;
            i = 0;
            continue;
        }
        bool writable = d.flags & VIRTQ_DESC_F_WRITE;
        if (!writable && chain->n_in) {
            return chain_error(errp, head, "device-readable descriptor "
                               "after a device-writable one");
        }
        if (d.len) {        /* an empty buffer carries nothing: skip it */
            if (!virtq_check_ram(vq->as, d.addr, d.len, writable,
                                 "buffer", errp)) {
                return -1;
            }
            unsigned n = chain->n_out + chain->n_in;
            if (n >= TS_VIRTQ_CHAIN_MAX) {     /* bounded above; belt */
                return chain_error(errp, head, "more than %u buffers",
                                   TS_VIRTQ_CHAIN_MAX);
            }
            chain->seg[n] = (TsVirtqSeg){ .addr = d.addr, .len = d.len };
            if (writable) {
                chain->n_in++;
                chain->in_len += d.len;
            } else {
                chain->n_out++;
                chain->out_len += d.len;
            }
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT)) {
            return 1;
        }
        if (d.next >= table_size) {
            return chain_error(errp, head, "next index %u is beyond the "
                               "%s of %u descriptors", d.next,
                               in_indirect ? "indirect table" : "queue",
                               table_size);
        }
        i = d.next;
    }
}

/* How many chains the driver has made available and we have not taken;
 * -1 if its index moved further than the ring holds. */
static int avail_pending(VirtQueue *vq, GError **errp)
{
    uint16_t idx;
    if (!read_u16(vq, vq->avail_addr + 2, &idx, "available index", errp)) {
        return -1;
    }
    uint16_t pending = idx - vq->last_avail;
    if (pending > vq->num) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "available index moved from %u to %u, more than the "
                    "queue size %u", vq->last_avail, idx, vq->num);
        return -1;
    }
    return pending;
}

static int split_pop(VirtQueue *vq, TsVirtqChain *chain, GError **errp)
{
    int pending = avail_pending(vq, errp);
    if (pending < 0) {
        return -1;
    }
    if (pending == 0) {
        if (!vq->event_idx) {
            return 0;
        }
        /* Ask to be notified when the driver adds the next chain
         * (avail_event), then look again: it may have added one before
         * it could see the request. */
        uint64_t avail_event = vq->used_addr + 4 + 8 * (uint64_t)vq->num;
        if (!write_u16(vq, avail_event, vq->last_avail, "avail_event",
                       errp)) {
            return -1;
        }
        fence_full();
        pending = avail_pending(vq, errp);
        if (pending <= 0) {
            return pending;
        }
    }
    fence_acquire();        /* the ring entry after the index */
    uint16_t head;
    uint64_t slot = vq->avail_addr + 4 + 2 * (uint64_t)(vq->last_avail %
                                                        vq->num);
    if (!read_u16(vq, slot, &head, "available ring", errp)) {
        return -1;
    }
    if (head >= vq->num) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "available ring entry %u names descriptor %u, beyond "
                    "the queue size %u", vq->last_avail % vq->num, head,
                    vq->num);
        return -1;
    }
    int ret = walk_chain(vq, head, chain, errp);
    if (ret == 1) {
        vq->last_avail++;
    }
    return ret;
}

/* ---- Returning chains ------------------------------------------------ */

static bool split_push(VirtQueue *vq, uint16_t head, uint32_t len,
                       GError **errp)
{
    uint32_t elem[2] = { GUINT32_TO_LE(head), GUINT32_TO_LE(len) };
    uint64_t slot = vq->used_addr + 4 + 8 * (uint64_t)(vq->used_idx %
                                                       vq->num);
    if (!dma_write(vq, slot, elem, sizeof(elem), "used ring", errp)) {
        return false;
    }
    fence_release();        /* the entry before the index that shows it */
    vq->used_idx++;
    return write_u16(vq, vq->used_addr + 2, vq->used_idx, "used index",
                     errp);
}

static bool split_should_interrupt(VirtQueue *vq, bool *interrupt,
                                   GError **errp)
{
    uint16_t old = vq->signalled_used, now = vq->used_idx;
    *interrupt = false;
    if (old == now) {
        return true;
    }
    vq->signalled_used = now;
    fence_full();           /* our used index before the driver's wishes */
    if (vq->event_idx) {
        /* Interrupt if used_event lies in [old, now): the driver asked
         * to hear about the entry at used_event and it is among those
         * pushed since the last decision (spec 2.7.10). */
        uint16_t used_event;
        if (!read_u16(vq, vq->avail_addr + 4 + 2 * (uint64_t)vq->num,
                      &used_event, "used_event", errp)) {
            return false;
        }
        *interrupt = (uint16_t)(now - used_event - 1) <
                     (uint16_t)(now - old);
        return true;
    }
    uint16_t flags;
    if (!read_u16(vq, vq->avail_addr, &flags, "available flags", errp)) {
        return false;
    }
    *interrupt = !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
    return true;
}

const VirtqRingOps virtq_split_ops = {
    .check_layout = split_check_layout,
    .pop = split_pop,
    .push = split_push,
    .should_interrupt = split_should_interrupt,
};
