/*
 * core/block/block-status.c - the status of a range as a reader of the
 * node sees it, through the backing chain: what `qemu-img map` prints and
 * what measuring an image's copy counts.  Each layer is asked in turn
 * until one allocates the range.
 *
 * A layer's answer is taken as it is: the file under a format is not
 * asked whether the data it maps sits in a hole.  qemu-img asks it only
 * for qcow2 images it judges metadata-preallocated (a guess from the
 * refcounts and the file's disk usage), so for the images users make it
 * prints what the format says, as we do.
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
        if ((ret & TS_BLOCK_STATUS_EOF) && layer) {
            /* Past the end of a shorter backing file: zeroes that the
             * layer above answers for, as qemu-img map shows them. */
            layer--;
            ret = TS_BLOCK_STATUS_ZERO;
            holder = NULL;
            break;
        }
        TsBlockNode *below = block_node_backing(n);
        if ((ret & TS_BLOCK_STATUS_ALLOCATED) || !below) {
            break;
        }
        n = below;
        layer++;
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
