/*
 * Refcounts: the table of refcount blocks, entries of 1..64 bits, and the
 * cluster allocator on top of them.  Ordering keeps a crash harmless: a
 * refcount is raised (and flushed) before anything points at the cluster,
 * and lowered only after nothing does, so the worst a crash leaves is a
 * leaked cluster.
 */
#include "qcow2-int.h"

#include <errno.h>

uint64_t qcow2_refblock_get(const Qcow2 *s, const uint8_t *block, uint64_t i)
{
    uint32_t bits = s->refcount_bits;
    if (bits < 8) {
        uint64_t bit = i * bits;
        /* Sub-byte entries: the first entry in the lowest bits. */
        return (block[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    const uint8_t *p = block + i * (bits / 8);
    uint64_t v = 0;
    for (uint32_t b = 0; b < bits / 8; b++)
        v = v << 8 | p[b];
    return v;
}

void qcow2_refblock_set(const Qcow2 *s, uint8_t *block, uint64_t i, uint64_t v)
{
    uint32_t bits = s->refcount_bits;
    if (bits < 8) {
        uint64_t bit = i * bits;
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
        block[bit / 8] = (uint8_t)((block[bit / 8] & ~mask) | ((v << (bit % 8)) & mask));
        return;
    }
    uint8_t *p = block + i * (bits / 8);
    for (int b = (int)(bits / 8) - 1; b >= 0; b--) {
        p[b] = (uint8_t)v;
        v >>= 8;
    }
}

/* Byte range of entry i in a block, for writing back only what changed. */
static void entry_bytes(const Qcow2 *s, uint64_t i, uint64_t *first, uint64_t *end)
{
    uint64_t bit = i * s->refcount_bits;
    *first = bit / 8;
    *end = (bit + s->refcount_bits + 7) / 8;
}

static uint8_t *load_block(Qcow2 *s, uint64_t ti, int *ret)
{
    uint64_t off = s->reftable[ti] & QCOW2_OFFSET_MASK;
    return qcow2_cache_get(s, &s->refblock_cache, off, ret);
}

int qcow2_load_reftable(Qcow2 *s)
{
    uint64_t bytes = (uint64_t)s->h.reftable_clusters * s->cluster_size;
    uint8_t *buf = g_malloc(bytes);
    int ret = qcow2_pread(s, s->h.reftable_offset, buf, bytes);
    if (ret < 0) {
        g_free(buf);
        return ret;
    }
    s->reftable_entries = bytes / 8;
    s->reftable = g_new(uint64_t, s->reftable_entries);
    for (uint64_t i = 0; i < s->reftable_entries; i++)
        s->reftable[i] = be64_get(buf + i * 8);
    g_free(buf);
    return 0;
}

int qcow2_refcount_get(Qcow2 *s, uint64_t cluster, uint64_t *value)
{
    uint64_t ti = cluster / s->refblock_entries;
    *value = 0;
    if (ti >= s->reftable_entries || !(s->reftable[ti] & QCOW2_OFFSET_MASK))
        return 0;
    int ret;
    uint8_t *b = load_block(s, ti, &ret);
    if (!b)
        return ret;
    *value = qcow2_refblock_get(s, b, cluster % s->refblock_entries);
    return 0;
}

static int grow_reftable(Qcow2 *s, uint64_t ti);

/* Refcount block `ti` exists afterwards.  A new block sits in the range it
 * describes (all free, since nothing counted it) and counts itself. */
static int ensure_block(Qcow2 *s, uint64_t ti)
{
    if (ti < s->reftable_entries && (s->reftable[ti] & QCOW2_OFFSET_MASK))
        return 0;
    if (ti >= s->reftable_entries)
        return grow_reftable(s, ti);
    uint64_t cs = s->cluster_size;
    uint64_t cluster = ti * s->refblock_entries;
    uint64_t off = cluster * cs;
    uint8_t *blk = g_malloc0(cs);
    qcow2_refblock_set(s, blk, 0, 1);
    int ret = qcow2_pwrite_checked(s, 0, off, blk, cs);
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        uint8_t e[8];
        be64_put(e, off);
        ret = qcow2_pwrite_checked(s, QCOW2_OL_REFTABLE,
                                   s->h.reftable_offset + ti * 8, e, 8);
    }
    if (ret == 0) {
        s->reftable[ti] = off;
        ret = qcow2_cache_put(s, &s->refblock_cache, off, blk);
    }
    g_free(blk);
    return ret;
}

/* A bigger refcount table, placed with the new blocks it needs at the
 * start of the (wholly free) range block `ti` would describe: the new
 * blocks describe themselves and the table, then the header switches. */
static int grow_reftable(Qcow2 *s, uint64_t ti)
{
    uint64_t cs = s->cluster_size, E = s->refblock_entries;
    uint64_t region = ti * E;
    uint64_t k = 1, t, entries;
    for (;;) {
        entries = MAX(s->reftable_entries * 2, ti + k);
        t = (entries * 8 + cs - 1) / cs;
        entries = t * cs / 8;
        if (k * E >= k + t)
            break;
        k++;
    }
    if (t * cs > QCOW2_MAX_REFTABLE_BYTES || (region + k + t) * cs > QCOW2_OFFSET_MASK)
        return -EFBIG;
    uint8_t *blk = g_malloc0(cs);
    uint8_t *table = g_malloc0(t * cs);
    int ret = 0;
    for (uint64_t j = 0; j < k && ret == 0; j++) {
        memset(blk, 0, cs);
        for (uint64_t x = region; x < region + k + t; x++)
            if (x / E == ti + j)
                qcow2_refblock_set(s, blk, x % E, 1);
        ret = qcow2_pwrite_checked(s, 0, (region + j) * cs, blk, cs);
    }
    for (uint64_t i = 0; i < s->reftable_entries; i++)
        be64_put(table + i * 8, s->reftable[i]);
    for (uint64_t j = 0; j < k; j++)
        be64_put(table + (ti + j) * 8, (region + j) * cs);
    if (ret == 0)
        ret = qcow2_pwrite_checked(s, 0, (region + k) * cs, table, t * cs);
    if (ret == 0)
        ret = qcow2_sync(s);
    uint64_t old_off = s->h.reftable_offset;
    uint32_t old_clusters = s->h.reftable_clusters;
    if (ret == 0) {
        uint8_t hdr[12];
        be64_put(hdr, (region + k) * cs);
        be32_put(hdr + 8, (uint32_t)t);
        ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_REFTABLE_OFFSET, hdr, 12);
    }
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        uint64_t *nt = g_new0(uint64_t, entries);
        memcpy(nt, s->reftable, s->reftable_entries * 8);
        for (uint64_t j = 0; j < k; j++)
            nt[ti + j] = (region + j) * cs;
        g_free(s->reftable);
        s->reftable = nt;
        s->reftable_entries = entries;
        s->h.reftable_offset = (region + k) * cs;
        s->h.reftable_clusters = (uint32_t)t;
        /* The old table is garbage now; losing this on a crash only leaks. */
        ret = qcow2_refcount_update(s, old_off, (uint64_t)old_clusters * cs, -1);
    }
    g_free(blk);
    g_free(table);
    return ret;
}

int qcow2_refcount_update(Qcow2 *s, uint64_t offset, uint64_t len, int64_t addend)
{
    if (!len)
        return 0;
    uint64_t cs = s->cluster_size, E = s->refblock_entries;
    uint64_t first = offset / cs, last = (offset + len - 1) / cs;
    uint64_t c = first;
    while (c <= last) {
        uint64_t ti = c / E;
        int ret;
        if (addend > 0) {
            ret = ensure_block(s, ti);
            if (ret < 0)
                return ret;
        } else if (ti >= s->reftable_entries || !(s->reftable[ti] & QCOW2_OFFSET_MASK)) {
            return qcow2_signal_corruption(s,
                "Freeing cluster %#llx with no refcount block",
                (unsigned long long)(c * cs));
        }
        uint8_t *b = load_block(s, ti, &ret);
        if (!b)
            return ret;
        uint64_t lo = UINT64_MAX, hi = 0;
        for (; c <= last && c / E == ti; c++) {
            uint64_t i = c % E, v = qcow2_refblock_get(s, b, i);
            if (addend < 0 && v < (uint64_t)-addend)
                return qcow2_signal_corruption(s,
                    "Refcount of cluster %#llx would go below zero",
                    (unsigned long long)(c * cs));
            if (addend > 0 && s->refcount_max - v < (uint64_t)addend)
                return -ERANGE;
            v += (uint64_t)addend;
            qcow2_refblock_set(s, b, i, v);
            if (v == 0) {
                if (c < s->free_hint)
                    s->free_hint = c;
                /* A freed table must not be found in the caches again. */
                qcow2_cache_drop(&s->l2_cache, c * cs);
                qcow2_cache_drop(&s->refblock_cache, c * cs);
                if (s->zcache_entry && c >= (s->zcache_entry & QCOW2_OFFSET_MASK) / cs)
                    s->zcache_entry = 0;
            }
            uint64_t f, e;
            entry_bytes(s, i, &f, &e);
            lo = MIN(lo, f);
            hi = MAX(hi, e);
        }
        /* Written back later, before any table that counts on it
         * (qcow2-cache.c). */
        qcow2_cache_set_dirty(&s->refblock_cache, s->reftable[ti] & QCOW2_OFFSET_MASK,
                              (uint32_t)lo, (uint32_t)hi);
    }
    return 0;
}

static bool has_block(const Qcow2 *s, uint64_t ti)
{
    return ti < s->reftable_entries && (s->reftable[ti] & QCOW2_OFFSET_MASK);
}

/* A run longer than a refcount block's range cannot come from the scan
 * below (each new block would sit in the middle of it): take it past
 * everything in use, with the blocks it needs right after it. */
static int64_t alloc_at_end(Qcow2 *s, uint64_t n)
{
    uint64_t cs = s->cluster_size, E = s->refblock_entries;
    for (;;) {
        uint64_t start = MAX((s->file_end + cs - 1) / cs, s->alloc_end);
        uint64_t k = 0, missing;
        for (;;) {
            missing = 0;
            for (uint64_t r = start / E; r <= (start + n + k - 1) / E; r++)
                missing += !has_block(s, r);
            if (missing <= k)
                break;
            k = missing;
        }
        uint64_t last = (start + n + k - 1) / E;
        if ((start + n + k) * cs > QCOW2_OFFSET_MASK)
            return -EFBIG;
        /* Clusters counted but never written (a crash after an
         * allocation) may lie past the end: step over them. */
        uint64_t busy = 0;
        for (uint64_t c = start; c < start + n + k; c++) {
            uint64_t v = 0;
            if (has_block(s, c / E)) {
                int ret = qcow2_refcount_get(s, c, &v);
                if (ret < 0)
                    return ret;
            }
            if (v)
                busy = c + 1;
        }
        if (busy) {
            s->alloc_end = busy;
            continue;
        }
        if (last >= s->reftable_entries) {
            /* Grow the table first (it goes past everything), then plan again. */
            int ret = grow_reftable(s, MAX(last, s->reftable_entries + (s->reftable_entries ? 0 : 1)));
            if (ret < 0)
                return ret;
            s->alloc_end = MAX(s->alloc_end, s->file_end / cs);
            continue;
        }
        /* Blocks at start+n.., each for one missing range in order. */
        uint64_t *pos = g_new0(uint64_t, k + 1);
        uint64_t *range = g_new0(uint64_t, k + 1);
        uint64_t j = 0;
        for (uint64_t r = start / E; r <= last; r++)
            if (!has_block(s, r)) {
                range[j] = r;
                pos[j] = start + n + j;
                j++;
            }
        uint8_t *blk = g_malloc(cs);
        int ret = 0;
        for (uint64_t b = 0; b < j && ret == 0; b++) {
            memset(blk, 0, cs);
            /* New blocks in new ranges are counted by their range's block. */
            for (uint64_t x = 0; x < j; x++)
                if (pos[x] / E == range[b])
                    qcow2_refblock_set(s, blk, pos[x] % E, 1);
            ret = qcow2_pwrite_checked(s, 0, pos[b] * cs, blk, cs);
        }
        if (ret == 0)
            ret = qcow2_sync(s);
        for (uint64_t b = 0; b < j && ret == 0; b++) {
            uint8_t e[8];
            be64_put(e, pos[b] * cs);
            ret = qcow2_pwrite_checked(s, QCOW2_OL_REFTABLE,
                                       s->h.reftable_offset + range[b] * 8, e, 8);
            if (ret == 0)
                s->reftable[range[b]] = pos[b] * cs;
        }
        /* New blocks that landed in ranges that already had a block. */
        for (uint64_t x = 0; x < j && ret == 0; x++) {
            bool counted = false;
            for (uint64_t b = 0; b < j; b++)
                counted |= pos[x] / E == range[b];
            if (!counted)
                ret = qcow2_refcount_update(s, pos[x] * cs, cs, 1);
        }
        g_free(blk);
        g_free(pos);
        g_free(range);
        if (ret == 0)
            ret = qcow2_refcount_update(s, start * cs, n * cs, 1);
        if (ret < 0)
            return ret;
        s->alloc_end = MAX(s->alloc_end, start + n + k);
        return (int64_t)(start * cs);
    }
}

int64_t qcow2_alloc_clusters(Qcow2 *s, uint64_t n)
{
    uint64_t c = s->free_hint, start = 0, run = 0;
    uint64_t E = s->refblock_entries;
    int ret;
    if (s->corrupt)
        return -EIO;
    if (s->read_only)
        return -EROFS;
    if (n * 2 > E)
        return alloc_at_end(s, n);
    while (run < n) {
        uint64_t ti = c / E;
        if (ti >= s->reftable_entries || !(s->reftable[ti] & QCOW2_OFFSET_MASK)) {
            /* Make the block first, so it is not handed out twice. */
            ret = ensure_block(s, ti);
            if (ret < 0)
                return ret;
        }
        uint64_t v;
        ret = qcow2_refcount_get(s, c, &v);
        if (ret < 0)
            return ret;
        if (v == 0) {
            if (run++ == 0)
                start = c;
        } else {
            run = 0;
        }
        c++;
        if (c * s->cluster_size > QCOW2_OFFSET_MASK)
            return -EFBIG;
    }
    ret = qcow2_refcount_update(s, start * s->cluster_size, n * s->cluster_size, 1);
    if (ret < 0)
        return ret;
    s->free_hint = start + n;
    s->alloc_end = MAX(s->alloc_end, start + n);
    return (int64_t)(start * s->cluster_size);
}
