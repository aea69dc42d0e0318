/*
 * Counting references from the tables: a check (for tests and tools) and
 * the rebuild a dirty image (lazy refcounts, then a crash) needs on its
 * next read-write open.  The rebuild writes a complete new refcount
 * structure past the end of the file and switches the header to it, so
 * it never needs the old refcounts to be right.
 */
#include "qcow2-int.h"

#include <errno.h>

typedef struct Counts {
    uint32_t *c;
    uint64_t n;     /* clusters counted */
    uint64_t beyond; /* references to clusters past the end of the file */
} Counts;

static void count(Counts *k, uint64_t cs, uint64_t off, uint64_t len)
{
    if (!len)
        return;
    for (uint64_t c = off / cs; c <= (off + len - 1) / cs; c++) {
        if (c >= k->n)
            k->beyond++;
        else if (k->c[c] < UINT32_MAX)
            k->c[c]++;
    }
}

static int count_tree(Qcow2 *s, Counts *k, const uint64_t *l1, uint32_t l1_size)
{
    uint64_t cs = s->cluster_size;
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2 = l1[i] & QCOW2_OFFSET_MASK;
        if (!l2)
            continue;
        count(k, cs, l2, cs);
        if (l2 / cs >= k->n)
            continue;
        int ret;
        uint8_t *t = qcow2_load_l2(s, l2, &ret);
        if (!t)
            return ret;
        for (uint32_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = be64_get(t + j * 8);
            switch (qcow2_entry_type(s, e)) {
            case QCOW2_C_NORMAL:
            case QCOW2_C_ZERO_ALLOC:
                count(k, cs, e & QCOW2_OFFSET_MASK, cs);
                break;
            case QCOW2_C_COMPRESSED: {
                uint64_t off, len;
                qcow2_compressed_range(s, e, &off, &len);
                count(k, cs, off, len);
                break;
            }
            }
        }
    }
    return 0;
}

/* References to every cluster of the file, the refcount structure left
 * out when `with_refcounts` is false. */
static int count_all(Qcow2 *s, Counts *k, bool with_refcounts)
{
    uint64_t cs = s->cluster_size;
    k->n = (s->file_end + cs - 1) / cs;
    k->c = g_try_new0(uint32_t, k->n ? k->n : 1);
    k->beyond = 0;
    if (!k->c)
        return -ENOMEM;
    count(k, cs, 0, cs);
    count(k, cs, s->h.l1_offset, (uint64_t)s->h.l1_size * 8);
    int ret = count_tree(s, k, s->l1, s->h.l1_size);
    if (s->h.nb_snapshots)
        count(k, cs, s->h.snapshots_offset, s->snapshot_table_bytes);
    for (uint32_t i = 0; i < s->h.nb_snapshots && ret == 0; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint64_t bytes = (uint64_t)sn->l1_size * 8;
        count(k, cs, sn->l1_offset, bytes);
        uint8_t *b = g_malloc(bytes + 8);
        uint64_t *l1 = g_new0(uint64_t, sn->l1_size + 1);
        ret = qcow2_pread(s, sn->l1_offset, b, bytes);
        for (uint32_t j = 0; j < sn->l1_size; j++)
            l1[j] = be64_get(b + j * 8);
        if (ret == 0)
            ret = count_tree(s, k, l1, sn->l1_size);
        g_free(b);
        g_free(l1);
    }
    if (with_refcounts) {
        count(k, cs, s->h.reftable_offset, (uint64_t)s->h.reftable_clusters * cs);
        for (uint64_t i = 0; i < s->reftable_entries; i++)
            count(k, cs, s->reftable[i] & QCOW2_OFFSET_MASK,
                  (s->reftable[i] & QCOW2_OFFSET_MASK) ? cs : 0);
    }
    if (ret < 0)
        g_free(k->c);
    return ret;
}

int qcow2_check(Qcow2 *s, Qcow2CheckResult *res)
{
    Counts k;
    int ret = count_all(s, &k, true);
    if (ret < 0)
        return ret;
    res->leaks = 0;
    res->errors = k.beyond;
    uint64_t covered = s->reftable_entries * s->refblock_entries;
    for (uint64_t c = 0; c < MAX(k.n, 1) && ret == 0; c++) {
        uint64_t stored = 0, want = c < k.n ? k.c[c] : 0;
        if (c < covered)
            ret = qcow2_refcount_get(s, c, &stored);
        if (stored > want)
            res->leaks++;
        else if (stored < want)
            res->errors++;
    }
    g_free(k.c);
    return ret;
}

int qcow2_rebuild_refcounts(Qcow2 *s)
{
    Counts k;
    uint64_t cs = s->cluster_size, E = s->refblock_entries;
    /* Tables on disk as counted: nothing left for the cache to write
     * over the blocks this replaces. */
    int ret = qcow2_sync(s);
    if (ret < 0)
        return ret;
    ret = count_all(s, &k, false);
    if (ret < 0)
        return ret;
    if (k.beyond) {
        g_free(k.c);
        return qcow2_signal_corruption(s, "tables point past the end of the image file");
    }
    /* The new blocks and table go at the end: blocks covering everything
     * up to and including themselves and the table. */
    uint64_t start = k.n, blocks = 1, tclusters;
    for (;;) {
        uint64_t total = start + blocks + (tclusters = (blocks * 8 + cs - 1) / cs);
        uint64_t need = (total + E - 1) / E;
        if (need <= blocks)
            break;
        blocks = need;
    }
    if (tclusters * cs > QCOW2_MAX_REFTABLE_BYTES) {
        g_free(k.c);
        return -EFBIG;
    }
    uint8_t *blk = g_malloc(cs);
    for (uint64_t b = 0; b < blocks && ret == 0; b++) {
        memset(blk, 0, cs);
        for (uint64_t i = 0; i < E; i++) {
            uint64_t c = b * E + i, v = 0;
            if (c < k.n)
                v = k.c[c];
            else if (c < start + blocks + tclusters)
                v = 1;
            if (v > s->refcount_max) {
                ret = -ERANGE;
                break;
            }
            qcow2_refblock_set(s, blk, i, v);
        }
        if (ret == 0)
            ret = qcow2_pwrite_checked(s, QCOW2_OL_REFBLOCK | QCOW2_OL_REFTABLE,
                                       (start + b) * cs, blk, cs);
    }
    uint8_t *table = g_malloc0(tclusters * cs);
    for (uint64_t b = 0; b < blocks; b++)
        be64_put(table + b * 8, (start + b) * cs);
    if (ret == 0)
        ret = qcow2_pwrite_checked(s, QCOW2_OL_REFBLOCK | QCOW2_OL_REFTABLE,
                                   (start + blocks) * cs, table, tclusters * cs);
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        uint8_t h[12];
        be64_put(h, (start + blocks) * cs);
        be32_put(h + 8, (uint32_t)tclusters);
        ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_REFTABLE_OFFSET, h, 12);
    }
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        g_free(s->reftable);
        s->reftable_entries = tclusters * cs / 8;
        s->reftable = g_new0(uint64_t, s->reftable_entries);
        for (uint64_t b = 0; b < blocks; b++)
            s->reftable[b] = (start + b) * cs;
        s->h.reftable_offset = (start + blocks) * cs;
        s->h.reftable_clusters = (uint32_t)tclusters;
        qcow2_cache_clear(&s->refblock_cache);
        s->free_hint = 0;
    }
    g_free(table);
    g_free(blk);
    g_free(k.c);
    return ret;
}
