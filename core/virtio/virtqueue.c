/*
 * core/virtio/virtqueue.c - what every ring format shares: resetting and
 * starting a queue, checking that guest buffers are RAM, and copying
 * between a chain's buffers and the device.
 *
 * Everything here reads what a possibly hostile driver wrote: a buffer
 * must lie in guest RAM before it is used, and every access goes through
 * ts_dma_read/ts_dma_write, which never touch host memory outside the
 * guest's regions.  A violation is an error; the caller gives the queue
 * up; nothing here aborts.
 */
#include "virtio-internal.h"

void virtq_reset(VirtQueue *vq)
{
    TsAddressSpace *as = vq->as;
    uint32_t num_max = vq->num_max;
    memset(vq, 0, sizeof(*vq));
    vq->as = as;
    vq->num_max = num_max;
}

bool virtq_start(VirtQueue *vq, VirtqFormat format, GError **errp)
{
    g_assert(format == VIRTQ_SPLIT);    /* packed: not offered yet */
    vq->ops = &virtq_split_ops;
    vq->last_avail = vq->used_idx = vq->signalled_used = 0;
    vq->ready = true;
    return vq->ops->check_layout(vq, errp);
}

/*
 * A buffer in some device's registers, in a hole or wrapping past 2^64 is
 * a driver error, refused before anything is copied.  The DMA calls would
 * be memory-safe anyway; this keeps a wild descriptor from poking other
 * devices and makes the error visible.
 */
bool virtq_check_ram(TsAddressSpace *as, uint64_t addr, uint64_t len,
                     bool for_write, const char *what, GError **errp)
{
    if (len && addr + (len - 1) < addr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s at 0x%" PRIx64 " of %" PRIu64 " bytes wraps past "
                    "the end of the address space", what, addr, len);
        return false;
    }
    if (!ts_address_space_ram_ptr(as, addr, len, for_write)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s at 0x%" PRIx64 " of %" PRIu64 " bytes is not in "
                    "guest RAM%s", what, addr, len,
                    for_write ? " (or is read-only)" : "");
        return false;
    }
    return true;
}

bool virtq_chain_copy(VirtQueue *vq, const TsVirtqChain *chain,
                      bool to_guest, uint64_t offset, uint8_t *buf,
                      size_t len, GError **errp)
{
    unsigned first = to_guest ? chain->n_out : 0;
    unsigned count = to_guest ? chain->n_in : chain->n_out;
    for (unsigned k = first; k < first + count && len; k++) {
        const TsVirtqSeg *s = &chain->seg[k];
        if (offset >= s->len) {
            offset -= s->len;
            continue;
        }
        size_t n = MIN(len, (size_t)(s->len - offset));
        uint64_t addr = s->addr + offset;
        TsMemResult r = to_guest ? ts_dma_write(vq->as, addr, buf, n)
                                 : ts_dma_read(vq->as, addr, buf, n);
        if (r != TS_MEM_OK) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "cannot %s the buffer at 0x%" PRIx64,
                        to_guest ? "write" : "read", addr);
            return false;
        }
        buf += n;
        len -= n;
        offset = 0;
    }
    if (len) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "descriptor chain at head %u is %zu bytes too short",
                    chain->head, len);
        return false;
    }
    return true;
}
