/*
 * core/block/block-status.c - the status of a range as a reader of the
 * node sees it, through the backing chain: what `qemu-img map` prints and
 * what measuring an image's copy counts.  Each layer is asked in turn
 * until one allocates the range; data a layer maps into a file is asked
 * of that file too, since a hole there reads as zeroes.
 */
#include "block-internal.h"

TS_EXPORT int ts_block_node_block_status_above(TsBlockNode *node,
                                               uint64_t offset,
                                               uint64_t bytes,
                                               uint64_t *pnum,
                                               uint64_t *map,
                                               TsBlockChild **file,
                                               int *depth)
{
    TsBlockNode *n = node;
    int layer = 0, ret;
    uint64_t got = 0, where = 0;
    TsBlockChild *holder;
    for (;;) {
        holder = NULL;
        ret = block_node_block_status(n, offset, bytes, &got, &where,
                                      &holder);
        if (ret < 0) {
            return ret;
        }
        if (!got || got > bytes) {
            got = bytes;    /* a driver's promise broken: stay in range */
        }
        bytes = got;
        TsBlockNode *below = block_node_backing(n);
        if ((ret & TS_BLOCK_STATUS_ALLOCATED) || !below) {
            break;
        }
        n = below;
        layer++;
    }
    if ((ret & TS_BLOCK_STATUS_DATA) && !(ret & TS_BLOCK_STATUS_ZERO) &&
        (ret & TS_BLOCK_STATUS_OFFSET_VALID) && holder) {
        uint64_t fgot = 0, fmap = 0;
        TsBlockChild *ff = NULL;
        int r2 = block_node_block_status(ts_block_child_node(holder), where,
                                         bytes, &fgot, &fmap, &ff);
        if (r2 >= 0) {
            if ((r2 & TS_BLOCK_STATUS_EOF) &&
                (!fgot || (r2 & TS_BLOCK_STATUS_ZERO))) {
                ret |= TS_BLOCK_STATUS_ZERO;    /* past the file's end */
            } else if (fgot) {
                bytes = MIN(bytes, fgot);
                ret |= r2 & TS_BLOCK_STATUS_ZERO;
            }
        }
    }
    *pnum = bytes;
    if (map) {
        *map = where;
    }
    if (file) {
        *file = holder;
    }
    if (depth) {
        *depth = layer;
    }
    return ret & ~TS_BLOCK_STATUS_EOF;
}
