/*
 * The cluster map: L1 and L2 tables, from a guest offset to its L2 entry,
 * allocation and copy-on-write of L2 tables, growth of the L1 table, and
 * the walks internal snapshots need (refcounts of a whole tree, COPIED
 * flags).
 */
#include "qcow2-int.h"

#include <errno.h>

int qcow2_entry_type(const Qcow2 *s, uint64_t entry)
{
    if (entry & QCOW2_OFLAG_COMPRESSED)
        return QCOW2_C_COMPRESSED;
    if (entry & QCOW2_OFLAG_ZERO)
        return (entry & QCOW2_OFFSET_MASK) ? QCOW2_C_ZERO_ALLOC : QCOW2_C_ZERO_PLAIN;
    if (entry & QCOW2_OFFSET_MASK)
        return QCOW2_C_NORMAL;
    return QCOW2_C_UNALLOCATED;
}

void qcow2_compressed_range(const Qcow2 *s, uint64_t entry,
                            uint64_t *offset, uint64_t *len)
{
    /* Offset in the low x bits, x = 62 - (cluster_bits - 8); above them
     * the count of 512-byte sectors after the one holding the start. */
    unsigned x = 62 - (s->h.cluster_bits - 8);
    uint64_t off = entry & ((1ull << x) - 1);
    uint64_t sectors = ((entry & ~QCOW2_OFLAG_COPIED & ~QCOW2_OFLAG_COMPRESSED) >> x) + 1;
    *offset = off;
    *len = sectors * 512 - (off & 511);
}

uint8_t *qcow2_load_l2(Qcow2 *s, uint64_t l2_offset, int *ret)
{
    if (l2_offset + s->cluster_size > s->file_end) {
        *ret = qcow2_signal_corruption(s, "L2 table offset %#llx past the end of the image file",
                                       (unsigned long long)l2_offset);
        return NULL;
    }
    return qcow2_cache_get(s, &s->l2_cache, l2_offset, ret);
}

static int l1_index(const Qcow2 *s, uint64_t guest)
{
    return (int)(guest >> (s->h.cluster_bits + __builtin_ctz(s->l2_entries)));
}

int qcow2_get_entry(Qcow2 *s, uint64_t guest, uint64_t *entry)
{
    uint64_t i = (uint64_t)l1_index(s, guest);
    *entry = 0;
    if (i >= s->h.l1_size)
        return 0;
    uint64_t l1e = s->l1[i];
    uint64_t l2 = l1e & QCOW2_OFFSET_MASK;
    if (l1e & QCOW2_L1_RESERVED)
        return qcow2_signal_corruption(s, "L2 table offset %#llx unaligned (L1 index: %#llx)",
                                       (unsigned long long)(l1e & ~QCOW2_OFLAG_COPIED),
                                       (unsigned long long)i);
    if (!l2)
        return 0;
    int ret;
    uint8_t *t = qcow2_load_l2(s, l2, &ret);
    if (!t)
        return ret;
    uint32_t idx = (uint32_t)((guest >> s->h.cluster_bits) & (s->l2_entries - 1));
    uint64_t e = be64_get(t + idx * 8);
    if (!(e & QCOW2_OFLAG_COMPRESSED) && (e & 0x1feull))
        return qcow2_signal_corruption(s,
            "Cluster allocation offset %#llx unaligned (L2 offset: %#llx, L2 index: %#x)",
            (unsigned long long)(e & (QCOW2_OFFSET_MASK | 0x1feull)),
            (unsigned long long)l2, idx);
    if ((e & QCOW2_OFLAG_COMPRESSED) && (e & QCOW2_OFLAG_COPIED))
        return qcow2_signal_corruption(s,
            "Compressed cluster entry %#llx has the COPIED flag (L2 offset: %#llx)",
            (unsigned long long)e, (unsigned long long)l2);
    *entry = e;
    return 0;
}

static int write_l1_entry(Qcow2 *s, uint64_t i)
{
    uint8_t b[8];
    be64_put(b, s->l1[i]);
    return qcow2_pwrite_checked(s, QCOW2_OL_L1, s->h.l1_offset + i * 8, b, 8);
}

int qcow2_l2_for_write(Qcow2 *s, uint64_t guest, uint64_t *l2_offset)
{
    uint64_t i = (uint64_t)l1_index(s, guest);
    if (i >= s->h.l1_size)
        return -EINVAL;
    uint64_t l1e = s->l1[i], old = l1e & QCOW2_OFFSET_MASK;
    if (l1e & QCOW2_L1_RESERVED)
        return qcow2_signal_corruption(s, "L2 table offset %#llx unaligned (L1 index: %#llx)",
                                       (unsigned long long)(l1e & ~QCOW2_OFLAG_COPIED),
                                       (unsigned long long)i);
    if (old && (l1e & QCOW2_OFLAG_COPIED)) {
        *l2_offset = old;
        return 0;
    }
    /* A new table, or a private copy of one a snapshot shares: the data
     * it points to keeps its refcounts (one table still refers to it
     * through each L1 that did). */
    uint8_t *table = g_malloc0(s->cluster_size);
    int ret = 0;
    if (old) {
        uint8_t *t = qcow2_load_l2(s, old, &ret);
        if (!t) {
            g_free(table);
            return ret;
        }
        memcpy(table, t, s->cluster_size);
    }
    int64_t new_off = qcow2_alloc_clusters(s, 1);
    if (new_off < 0) {
        g_free(table);
        return (int)new_off;
    }
    ret = qcow2_pwrite_checked(s, QCOW2_OL_L2, (uint64_t)new_off, table, s->cluster_size);
    /* The table must be on disk before the L1 points at it: a reused
     * cluster could hold anything. */
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        s->l1[i] = (uint64_t)new_off | QCOW2_OFLAG_COPIED;
        ret = write_l1_entry(s, i);
        if (ret < 0)
            s->l1[i] = l1e;
    }
    if (ret == 0)
        ret = qcow2_cache_put(s, &s->l2_cache, (uint64_t)new_off, table);
    if (ret == 0) {
        if (old) {
            ret = qcow2_order_barrier(s);
            if (ret == 0)
                ret = qcow2_refcount_update(s, old, s->cluster_size, -1);
        }
    }
    g_free(table);
    if (ret == 0)
        *l2_offset = (uint64_t)new_off;
    return ret;
}

int qcow2_set_entry(Qcow2 *s, uint64_t l2_offset, uint32_t index, uint64_t entry)
{
    int ret;
    uint8_t *t = qcow2_load_l2(s, l2_offset, &ret);
    if (!t)
        return ret;
    be64_put(t + index * 8, entry);
    qcow2_cache_set_dirty(&s->l2_cache, l2_offset, index * 8, index * 8 + 8);
    return 0;
}

int qcow2_grow_l1(Qcow2 *s, uint32_t min_size)
{
    if (min_size <= s->h.l1_size)
        return 0;
    if ((uint64_t)min_size * 8 > QCOW2_MAX_L1_BYTES)
        return -EFBIG;
    uint64_t cs = s->cluster_size;
    uint64_t clusters = ((uint64_t)min_size * 8 + cs - 1) / cs;
    uint8_t *buf = g_malloc0(clusters * cs);
    for (uint32_t i = 0; i < s->h.l1_size; i++)
        be64_put(buf + i * 8, s->l1[i]);
    int64_t off = qcow2_alloc_clusters(s, clusters);
    int ret = off < 0 ? (int)off : 0;
    if (ret == 0)
        ret = qcow2_pwrite_checked(s, QCOW2_OL_L1, (uint64_t)off, buf, clusters * cs);
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        uint8_t hdr[12];
        be32_put(hdr, min_size);
        be64_put(hdr + 4, (uint64_t)off);
        ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_L1_SIZE, hdr, 12);
    }
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        uint64_t old_off = s->h.l1_offset, old_bytes = (uint64_t)s->h.l1_size * 8;
        uint64_t *l1 = g_new0(uint64_t, min_size);
        memcpy(l1, s->l1, (uint64_t)s->h.l1_size * 8);
        g_free(s->l1);
        s->l1 = l1;
        s->h.l1_size = min_size;
        s->h.l1_offset = (uint64_t)off;
        if (old_bytes)
            ret = qcow2_refcount_update(s, old_off, (old_bytes + cs - 1) / cs * cs, -1);
    }
    g_free(buf);
    return ret;
}

/* Refcount changes for runs of adjacent clusters, gathered into one call. */
typedef struct RunBatch {
    Qcow2 *s;
    uint64_t start, len;
    int addend;
    int ret;
} RunBatch;

static void run_flush(RunBatch *b)
{
    if (b->len && b->ret == 0)
        b->ret = qcow2_refcount_update(b->s, b->start, b->len, b->addend);
    b->len = 0;
}

static void run_add(RunBatch *b, uint64_t off, uint64_t len)
{
    if (b->len && b->start + b->len == off) {
        b->len += len;
        return;
    }
    run_flush(b);
    b->start = off;
    b->len = len;
}

int qcow2_tree_refcount(Qcow2 *s, const uint64_t *l1, uint32_t l1_size, int addend)
{
    uint64_t cs = s->cluster_size;
    uint8_t *copy = g_malloc(cs);
    RunBatch b = { .s = s, .addend = addend };
    for (uint32_t i = 0; i < l1_size && b.ret == 0; i++) {
        uint64_t l2 = l1[i] & QCOW2_OFFSET_MASK;
        if (!l2)
            continue;
        int ret;
        uint8_t *t = qcow2_load_l2(s, l2, &ret);
        if (!t) {
            b.ret = ret;
            break;
        }
        memcpy(copy, t, cs);
        for (uint32_t j = 0; j < s->l2_entries && b.ret == 0; j++) {
            uint64_t e = be64_get(copy + j * 8);
            switch (qcow2_entry_type(s, e)) {
            case QCOW2_C_NORMAL:
            case QCOW2_C_ZERO_ALLOC:
                run_add(&b, e & QCOW2_OFFSET_MASK, cs);
                break;
            case QCOW2_C_COMPRESSED: {
                uint64_t off, len;
                qcow2_compressed_range(s, e, &off, &len);
                /* Clusters a compressed run touches, counted once each here. */
                uint64_t first = off / cs * cs, end = (off + len + cs - 1) / cs * cs;
                run_flush(&b);
                if (b.ret == 0)
                    b.ret = qcow2_refcount_update(s, first, end - first, addend);
                break;
            }
            }
        }
        run_flush(&b);
        if (b.ret == 0)
            b.ret = qcow2_refcount_update(s, l2, cs, addend);
    }
    g_free(copy);
    return b.ret;
}

int qcow2_fix_copied(Qcow2 *s)
{
    uint64_t cs = s->cluster_size;
    int ret = 0;
    for (uint32_t i = 0; i < s->h.l1_size && ret == 0; i++) {
        uint64_t l2 = s->l1[i] & QCOW2_OFFSET_MASK, rc;
        if (!l2)
            continue;
        ret = qcow2_refcount_get(s, l2 / cs, &rc);
        if (ret < 0)
            break;
        uint64_t want = l2 | (rc == 1 ? QCOW2_OFLAG_COPIED : 0);
        if (want != s->l1[i]) {
            s->l1[i] = want;
            ret = write_l1_entry(s, i);
            if (ret < 0)
                break;
        }
        uint8_t *t = qcow2_load_l2(s, l2, &ret);
        if (!t)
            break;
        bool changed = false;
        for (uint32_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = be64_get(t + j * 8);
            int type = qcow2_entry_type(s, e);
            if (type != QCOW2_C_NORMAL && type != QCOW2_C_ZERO_ALLOC)
                continue;
            ret = qcow2_refcount_get(s, (e & QCOW2_OFFSET_MASK) / cs, &rc);
            if (ret < 0)
                break;
            uint64_t ne = (e & ~QCOW2_OFLAG_COPIED) | (rc == 1 ? QCOW2_OFLAG_COPIED : 0);
            if (ne != e) {
                be64_put(t + j * 8, ne);
                changed = true;
            }
        }
        if (ret == 0 && changed)
            qcow2_cache_set_dirty(&s->l2_cache, l2, 0, (uint32_t)cs);
    }
    /* The flags match the refcounts on disk at once (snapshot changes
     * are rare), as qemu-img check wants them after a crash. */
    return ret < 0 ? ret : qcow2_sync(s);
}
