/*
 * Overlap checks: before anything is written, make sure it does not land
 * on metadata it is not meant to change.  A hostile or damaged image can
 * point a data cluster or an L2 table at its own L1 or refcount tables;
 * writing there would spread the damage, so such a write marks the image
 * corrupt instead (QEMU's "overlap-check=cached" set, plus inactive L1s).
 */
#include "qcow2-int.h"

#include <errno.h>

static bool hits(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

const char *qcow2_overlap_name(int kind)
{
    switch (kind & -kind) {
    case QCOW2_OL_HEADER: return "qcow2_header";
    case QCOW2_OL_L1: return "active L1 table";
    case QCOW2_OL_REFTABLE: return "refcount table";
    case QCOW2_OL_REFBLOCK: return "refcount block";
    case QCOW2_OL_L2: return "active L2 table";
    case QCOW2_OL_SNAPTABLE: return "snapshot table";
    case QCOW2_OL_SNAP_L1: return "inactive L1 table";
    }
    return "metadata";
}

int qcow2_overlaps(Qcow2 *s, int ignore, uint64_t offset, uint64_t len)
{
    uint64_t cs = s->cluster_size;
    int found = 0;
    if (!(ignore & QCOW2_OL_HEADER) && hits(offset, len, 0, cs))
        found |= QCOW2_OL_HEADER;
    if (!(ignore & QCOW2_OL_L1) &&
        hits(offset, len, s->h.l1_offset, (uint64_t)s->h.l1_size * 8))
        found |= QCOW2_OL_L1;
    if (!(ignore & QCOW2_OL_REFTABLE) &&
        hits(offset, len, s->h.reftable_offset, (uint64_t)s->h.reftable_clusters * cs))
        found |= QCOW2_OL_REFTABLE;
    if (!(ignore & QCOW2_OL_SNAPTABLE) && s->h.nb_snapshots &&
        hits(offset, len, s->h.snapshots_offset, s->snapshot_table_bytes))
        found |= QCOW2_OL_SNAPTABLE;
    if (!(ignore & QCOW2_OL_REFBLOCK) && s->reftable) {
        for (uint64_t i = 0; i < s->reftable_entries; i++) {
            uint64_t b = s->reftable[i] & QCOW2_OFFSET_MASK;
            if (b && hits(offset, len, b, cs)) {
                found |= QCOW2_OL_REFBLOCK;
                break;
            }
        }
    }
    if (!(ignore & QCOW2_OL_L2) && s->l1) {
        for (uint32_t i = 0; i < s->h.l1_size; i++) {
            uint64_t t = s->l1[i] & QCOW2_OFFSET_MASK;
            if (t && hits(offset, len, t, cs)) {
                found |= QCOW2_OL_L2;
                break;
            }
        }
    }
    if (!(ignore & QCOW2_OL_SNAP_L1) && s->snapshots) {
        for (uint32_t i = 0; i < s->h.nb_snapshots; i++)
            if (hits(offset, len, s->snapshots[i].l1_offset,
                     (uint64_t)s->snapshots[i].l1_size * 8))
                found |= QCOW2_OL_SNAP_L1;
    }
    return found;
}

int qcow2_pwrite_checked(Qcow2 *s, int kind, uint64_t offset,
                         const void *buf, size_t len)
{
    if (s->corrupt)
        return -EIO;
    if (s->read_only)
        return -EROFS;
    int o = qcow2_overlaps(s, kind, offset, len);
    if (o)
        return qcow2_signal_corruption(s,
            "Preventing invalid write on metadata (overlaps with %s)",
            qcow2_overlap_name(o));
    /* Metadata goes after what it points at (qcow2-cache.c). */
    int ret = qcow2_cache_order_write(s, kind);
    if (ret < 0)
        return ret;
    ret = s->io.pwrite(s->io.opaque, offset, buf, len);
    if (ret < 0)
        return ret;
    s->need_flush = true;
    if (offset + len > s->file_end)
        s->file_end = offset + len;
    return 0;
}

int qcow2_pread(Qcow2 *s, uint64_t offset, void *buf, size_t len)
{
    return s->io.pread(s->io.opaque, offset, buf, len);
}
