/*
 * Counting references from the tables: a check (for tests and tools) and
 * the rebuild a dirty image (lazy refcounts, then a crash) needs on its
 * next read-write open.  The rebuild writes a complete new refcount
 * structure past the end of the file and switches the header to it, so
 * it never needs the old refcounts to be right.
 */
#include "qcow2-int.h"

#include <errno.h>
#include <stdio.h>

typedef Qcow2Refs Counts;

/* One reference to [off, off + len).  A range past the end of the file
 * is counted apart (and, for a check, reported as qemu-img does). */
static void count(Counts *k, uint64_t cs, uint64_t off, uint64_t len)
{
    if (!len)
        return;
    bool reported = false;
    for (uint64_t c = off / cs; c <= (off + len - 1) / cs; c++) {
        if (c >= k->n) {
            k->beyond++;
            if (k->report && !reported) {
                fprintf(stderr, "ERROR: counting reference for region exceeding the end of "
                        "the file by one cluster or more: offset 0x%llx size 0x%llx\n",
                        (unsigned long long)off, (unsigned long long)len);
                k->report->corruptions++;
                reported = true;
            }
        } else if (k->c[c] < UINT32_MAX) {
            k->c[c]++;
        }
    }
}

/* The statistics of `qemu-img check` (active tree only): a cluster is
 * fragmented when it does not follow the previous one of its table in
 * the file; compressed clusters always are. */
static void frag_stats(Counts *k, uint64_t host, uint64_t cs, uint64_t *next)
{
    k->report->allocated_clusters++;
    if (*next && host != *next)
        k->report->fragmented_clusters++;
    *next = host + cs;
}

static int count_tree(Qcow2 *s, Counts *k, const uint64_t *l1, uint32_t l1_size,
                      bool active)
{
    uint64_t cs = s->cluster_size;
    Qcow2CheckReport *r = k->report;
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2 = l1[i] & QCOW2_OFFSET_MASK;
        if (!l2)
            continue;
        /* A table off its cluster boundary is reported, and read where
         * the entry points all the same, as qemu-img does. */
        bool misaligned = l2 & (cs - 1);
        if (r && misaligned) {
            fprintf(stderr, "ERROR l2_offset=%llx: Table is not cluster aligned; L1 entry "
                    "corrupted\n", (unsigned long long)l2);
            r->corruptions++;
        }
        count(k, cs, l2, cs);
        if (l2 / cs >= k->n)
            continue;
        int ret = 0;
        g_autofree uint8_t *copy = NULL;
        uint8_t *t;
        if (misaligned) {
            t = copy = g_malloc(cs);
            ret = qcow2_pread(s, l2, copy, cs);
        } else {
            t = qcow2_load_l2(s, l2, &ret);
        }
        if (!t || ret < 0)
            return ret;
        uint64_t next = 0;
        for (uint32_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = be64_get(t + j * 8);
            if (r && !(e & QCOW2_OFLAG_COMPRESSED) && (e & QCOW2_L2_RESERVED)) {
                fprintf(stderr, "ERROR found l2 entry with reserved bits set: %llx\n",
                        (unsigned long long)e);
                r->corruptions++;
            }
            switch (qcow2_entry_type(s, e)) {
            case QCOW2_C_NORMAL:
            case QCOW2_C_ZERO_ALLOC: {
                uint64_t host = e & QCOW2_OFFSET_MASK;
                if (r && active)
                    frag_stats(k, host, cs, &next);
                if (r && (host & (cs - 1))) {
                    fprintf(stderr, "ERROR offset=%llx: Cluster is not properly aligned; "
                            "L2 entry corrupted.\n", (unsigned long long)host);
                    r->corruptions++;
                }
                count(k, cs, host, cs);
                break;
            }
            case QCOW2_C_COMPRESSED: {
                uint64_t off, len;
                qcow2_compressed_range(s, e, &off, &len);
                if (r && active) {
                    r->allocated_clusters++;
                    r->compressed_clusters++;
                    r->fragmented_clusters++;
                }
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
int qcow2_count_refs(Qcow2 *s, Counts *k, bool with_refcounts)
{
    uint64_t cs = s->cluster_size;
    k->n = (s->file_end + cs - 1) / cs;
    k->c = g_try_new0(uint32_t, k->n ? k->n : 1);
    k->beyond = 0;
    if (!k->c)
        return -ENOMEM;
    count(k, cs, 0, cs);
    count(k, cs, s->h.l1_offset, (uint64_t)s->h.l1_size * 8);
    int ret = count_tree(s, k, s->l1, s->h.l1_size, true);
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
            ret = count_tree(s, k, l1, sn->l1_size, false);
        g_free(b);
        g_free(l1);
    }
    if (with_refcounts) {
        count(k, cs, s->h.reftable_offset, (uint64_t)s->h.reftable_clusters * cs);
        for (uint64_t i = 0; i < s->reftable_entries; i++) {
            uint64_t b = s->reftable[i] & QCOW2_OFFSET_MASK;
            if (!b)
                continue;
            if (k->report && (s->reftable[i] & (cs - 1))) {
                fprintf(stderr, "ERROR refcount block %llu is not cluster aligned; refcount "
                        "table entry corrupted\n", (unsigned long long)i);
                k->report->corruptions++;
                k->rebuild = true;
                continue;
            }
            if (k->report && b / cs >= k->n) {
                fprintf(stderr, "ERROR refcount block %llu is outside image\n",
                        (unsigned long long)i);
                k->report->corruptions++;
                k->rebuild = true;
                continue;
            }
            count(k, cs, b, cs);
        }
    }
    if (ret < 0)
        g_free(k->c);
    return ret;
}

int qcow2_check(Qcow2 *s, Qcow2CheckResult *res)
{
    Counts k = {0};
    int ret = qcow2_count_refs(s, &k, true);
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
    Counts k = {0};
    uint64_t cs = s->cluster_size, E = s->refblock_entries;
    /* Tables on disk as counted: nothing left for the cache to write
     * over the blocks this replaces. */
    int ret = qcow2_sync(s);
    if (ret < 0)
        return ret;
    ret = qcow2_count_refs(s, &k, false);
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
