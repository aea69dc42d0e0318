/*
 * `tessera-img check` on a qcow2 image, with qemu-img check's findings,
 * counts and repairs: references counted from the tables (qcow2-repair.c)
 * against the stored refcounts, then the COPIED flags against the
 * refcounts.  Leaks are freed with -r leaks; refcounts that are too low
 * are raised with -r all, and a refcount structure that cannot be
 * trusted (a referenced cluster counted zero, a broken refcount block)
 * is built anew.
 */
#include "qcow2-int.h"

#include <errno.h>
#include <stdio.h>

/* The stored refcounts against the counted ones, over every cluster of
 * the file.  Repairs what `fix` allows; a referenced cluster whose
 * refcount is zero asks for a rebuild instead (raising it could hand a
 * cluster the allocator already gave away twice). */
static int compare_refcounts(Qcow2 *s, Qcow2Refs *k, Qcow2CheckReport *r,
                             unsigned fix, uint64_t *highest)
{
    uint64_t cs = s->cluster_size;
    for (uint64_t c = 0; c < k->n; c++) {
        uint64_t stored = 0, want = k->c[c];
        uint64_t ti = c / s->refblock_entries;
        if (ti < s->reftable_entries && (s->reftable[ti] & QCOW2_OFFSET_MASK)) {
            int ret = qcow2_refcount_get(s, c, &stored);
            if (ret < 0) {
                fprintf(stderr, "Can't get refcount for cluster %llu: %s\n",
                        (unsigned long long)c, g_strerror(-ret));
                r->check_errors++;
                continue;
            }
        }
        if (stored || want)
            *highest = c;
        if (stored == want)
            continue;
        uint64_t *fixed = NULL;
        if (stored == 0)
            k->rebuild = true;
        else if (stored > want && (fix & QCOW2_FIX_LEAKS))
            fixed = &r->leaks_fixed;
        else if (stored < want && (fix & QCOW2_FIX_ERRORS))
            fixed = &r->corruptions_fixed;
        fprintf(stderr, "%s cluster %llu refcount=%llu reference=%llu\n",
                fixed ? "Repairing" : stored < want ? "ERROR" : "Leaked",
                (unsigned long long)c, (unsigned long long)stored,
                (unsigned long long)want);
        if (fixed) {
            int ret = qcow2_refcount_update(s, c * cs, cs, (int64_t)(want - stored));
            if (ret == 0) {
                (*fixed)++;
                continue;
            }
            fprintf(stderr, "ERROR could not fix cluster %llu: %s\n",
                    (unsigned long long)c, g_strerror(-ret));
        }
        if (stored < want)
            r->corruptions++;
        else
            r->leaks++;
    }
    return 0;
}

/* Refcount blocks are referenced once, by the refcount table; one that
 * something else also uses cannot be trusted. */
static void check_refblocks(Qcow2 *s, Qcow2Refs *k, Qcow2CheckReport *r)
{
    uint64_t cs = s->cluster_size;
    for (uint64_t i = 0; i < s->reftable_entries; i++) {
        uint64_t b = s->reftable[i] & QCOW2_OFFSET_MASK;
        if (!b || (s->reftable[i] & (cs - 1)) || b / cs >= k->n)
            continue;
        if (k->c[b / cs] != 1) {
            fprintf(stderr, "ERROR refcount block %llu refcount=%u\n",
                    (unsigned long long)i, k->c[b / cs]);
            r->corruptions++;
            k->rebuild = true;
        }
    }
}

/* COPIED must be set exactly on the active tables and clusters whose
 * refcount is 1 (what writes in place rely on).  Counts the mismatches;
 * with FIX_ERRORS sets the flags right instead. */
static int check_copied(Qcow2 *s, Qcow2CheckReport *r, unsigned fix)
{
    uint64_t cs = s->cluster_size, wrong = 0;
    /* -r leaks sets the flags right too, when nothing else is wrong. */
    bool repair = (fix & QCOW2_FIX_ERRORS) ||
                  ((fix & QCOW2_FIX_LEAKS) && !r->corruptions && !r->leaks &&
                   !r->check_errors);
    for (uint32_t i = 0; i < s->h.l1_size; i++) {
        uint64_t l1e = s->l1[i], l2 = l1e & QCOW2_OFFSET_MASK, rc = 0;
        if (!l2 || (l2 & (cs - 1)) || l2 + cs > s->file_end)
            continue;
        int ret = qcow2_refcount_get(s, l2 / cs, &rc);
        if (ret < 0) {
            r->check_errors++;
            continue;
        }
        if ((rc == 1) != !!(l1e & QCOW2_OFLAG_COPIED)) {
            fprintf(stderr, "%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%llx "
                    "refcount=%llu\n", repair ? "Repairing" : "ERROR", i,
                    (unsigned long long)l1e, (unsigned long long)rc);
            wrong++;
        }
        uint8_t *t = qcow2_load_l2(s, l2, &ret);
        if (!t) {
            r->check_errors++;
            continue;
        }
        for (uint32_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = be64_get(t + j * 8);
            int type = qcow2_entry_type(s, e);
            uint64_t host = e & QCOW2_OFFSET_MASK;
            if ((type != QCOW2_C_NORMAL && type != QCOW2_C_ZERO_ALLOC) || (host & (cs - 1)))
                continue;
            ret = qcow2_refcount_get(s, host / cs, &rc);
            if (ret < 0) {
                r->check_errors++;
                continue;
            }
            if ((rc == 1) != !!(e & QCOW2_OFLAG_COPIED)) {
                fprintf(stderr, "%s OFLAG_COPIED data cluster: l2_entry=%llx refcount=%llu\n",
                        repair ? "Repairing" : "ERROR", (unsigned long long)e,
                        (unsigned long long)rc);
                wrong++;
            }
        }
    }
    if (!wrong)
        return 0;
    if (!repair) {
        r->corruptions += wrong;
        return 0;
    }
    int ret = qcow2_fix_copied(s);
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret < 0) {
        r->corruptions += wrong;
        r->check_errors++;
        return ret;
    }
    r->corruptions_fixed += wrong;
    return 0;
}

/* Count the references (with what the walk finds on the way), then
 * compare them with the refcounts as qemu-img does: first only looking,
 * then, when something is to be repaired, again from the state before
 * the comparison with the repairs allowed. */
static int count_and_compare(Qcow2 *s, Qcow2CheckReport *r, unsigned fix,
                             bool *rebuild, uint64_t *highest)
{
    Qcow2Refs k = { .report = r };
    int ret = qcow2_count_refs(s, &k, true);
    if (ret < 0) {
        r->check_errors++;
        return ret;
    }
    check_refblocks(s, &k, r);
    Qcow2CheckReport counted = *r;
    bool counted_rebuild = k.rebuild;
    *highest = 0;
    ret = compare_refcounts(s, &k, r, 0, highest);
    if (ret == 0 && fix && !(k.rebuild && (fix & QCOW2_FIX_ERRORS)) && !k.rebuild &&
        (r->leaks || r->corruptions)) {
        *r = counted;
        k.rebuild = counted_rebuild;
        ret = compare_refcounts(s, &k, r, fix, highest);
    }
    *rebuild = k.rebuild;
    g_free(k.c);
    return ret;
}

static int write_incompat(Qcow2 *s)
{
    uint8_t b[8];
    be64_put(b, s->h.incompat);
    int ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_INCOMPAT, b, 8);
    return ret < 0 ? ret : qcow2_sync(s);
}

int qcow2_check_image(Qcow2 *s, Qcow2CheckReport *r, unsigned fix)
{
    uint64_t cs = s->cluster_size, highest = 0;
    bool rebuild = false;
    memset(r, 0, sizeof(*r));
    if (fix && (s->read_only || s->corrupt))
        return -EROFS;
    r->total_clusters = (s->h.size + cs - 1) / cs;
    int ret = count_and_compare(s, r, fix, &rebuild, &highest);
    if (ret < 0)
        return ret;
    if (rebuild && (fix & QCOW2_FIX_ERRORS)) {
        /* Count again over the new structure: what the old one got
         * wrong is fixed now; its own clusters are leaks (freed with
         * -r all, which fixes leaks too). */
        Qcow2CheckReport before = *r;
        fprintf(stderr, "Rebuilding refcount structure\n");
        ret = qcow2_rebuild_refcounts(s);
        if (ret < 0) {
            fprintf(stderr, "ERROR could not rebuild the refcount structure: %s\n",
                    g_strerror(-ret));
            r->check_errors++;
            return ret;
        }
        Qcow2CheckReport again = { 0 };
        ret = count_and_compare(s, &again, fix & QCOW2_FIX_LEAKS, &rebuild, &highest);
        if (ret < 0) {
            r->check_errors++;
            return ret;
        }
        if (rebuild)
            fprintf(stderr, "ERROR rebuilt refcount structure is still broken\n");
        r->corruptions = again.corruptions;
        r->leaks = again.leaks;
        r->check_errors += again.check_errors;
        r->allocated_clusters = again.allocated_clusters;
        r->fragmented_clusters = again.fragmented_clusters;
        r->compressed_clusters = again.compressed_clusters;
        if (before.corruptions > r->corruptions)
            r->corruptions_fixed += before.corruptions - r->corruptions;
        if (before.leaks > r->leaks)
            r->leaks_fixed += before.leaks - r->leaks;
    } else if (rebuild && fix) {
        fprintf(stderr, "ERROR need to rebuild refcount structures\n");
        r->check_errors++;
        return -EIO;
    }
    if (fix) {
        ret = qcow2_sync(s);
        if (ret < 0) {
            r->check_errors++;
            return ret;
        }
    }
    ret = check_copied(s, r, fix);
    if (ret < 0)
        return ret;
    r->image_end_offset = (highest + 1) * cs;
    /* Repaired and found consistent: the image is clean again. */
    if (fix && !r->check_errors && !r->corruptions &&
        (s->h.incompat & (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT))) {
        s->h.incompat &= ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT);
        s->dirty_written = false;
        ret = write_incompat(s);
        if (ret < 0) {
            r->check_errors++;
            return ret;
        }
    }
    return 0;
}
