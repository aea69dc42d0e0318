/*
 * Opening and closing an image: the header, the tables everything else
 * trusts (L1, refcount table, snapshot table) checked against the file
 * and each other, the corrupt and dirty bits, and the small header
 * updates other files need.
 */
#include "qcow2-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define FAIL(...) do { *errmsg = g_strdup_printf(__VA_ARGS__); ret = -EINVAL; goto fail; } while (0)

void qcow2_report(Qcow2 *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (s->report)
        s->report(s->report_opaque, false, msg);
    else
        fprintf(stderr, "%s\n", msg);
    g_free(msg);
}

int qcow2_signal_corruption(Qcow2 *s, const char *fmt, ...)
{
    if (s->corrupt)
        return -EIO;
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    bool mark = !s->read_only && s->h.version >= 3;
    if (s->report)
        s->report(s->report_opaque, true, msg);
    else if (mark)
        fprintf(stderr, "qcow2: Marking image as corrupt: %s; further corruption events "
                "will be suppressed\n", msg);
    else
        fprintf(stderr, "qcow2: Image is corrupt: %s; further corruption events "
                "will be suppressed\n", msg);
    g_free(msg);
    s->corrupt = true;
    if (mark) {
        /* The one write a corrupt image still gets: saying so. */
        uint8_t b[8];
        s->h.incompat |= QCOW2_INCOMPAT_CORRUPT;
        be64_put(b, s->h.incompat);
        if (s->io.pwrite(s->io.opaque, QH_INCOMPAT, b, 8) == 0)
            s->io.flush(s->io.opaque);
    }
    return -EIO;
}

static int write_incompat(Qcow2 *s)
{
    uint8_t b[8];
    be64_put(b, s->h.incompat);
    int ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_INCOMPAT, b, 8);
    if (ret == 0)
        ret = qcow2_sync(s);
    return ret;
}

int qcow2_mark_dirty(Qcow2 *s)
{
    if (!s->lazy_refcounts || s->dirty_written)
        return 0;
    s->h.incompat |= QCOW2_INCOMPAT_DIRTY;
    int ret = write_incompat(s);
    if (ret == 0)
        s->dirty_written = true;
    return ret;
}

int qcow2_io_flush(Qcow2 *s)
{
    int ret = s->io.flush(s->io.opaque);
    if (ret == 0)
        s->need_flush = false;
    return ret;
}

int qcow2_sync(Qcow2 *s)
{
    int ret = qcow2_cache_write_back(s);
    return ret < 0 ? ret : qcow2_io_flush(s);
}

int qcow2_order_barrier(Qcow2 *s)
{
    if (s->lazy_refcounts)
        return 0;
    return qcow2_sync(s);
}

static int check_tables(Qcow2 *s, char **errmsg)
{
    int ret = 0;
    uint64_t cs = s->cluster_size;
    uint64_t l1_bytes = (uint64_t)s->h.l1_size * 8;
    uint64_t rt_bytes = (uint64_t)s->h.reftable_clusters * cs;
    int o;
    if (l1_bytes && s->h.l1_offset + l1_bytes > s->file_end)
        FAIL("qcow2: the L1 table lies past the end of the image file");
    if (s->h.reftable_offset + rt_bytes > s->file_end)
        FAIL("qcow2: the refcount table lies past the end of the image file");
    if ((o = qcow2_overlaps(s, ~(QCOW2_OL_HEADER | QCOW2_OL_REFTABLE | QCOW2_OL_SNAPTABLE),
                            s->h.l1_offset, l1_bytes)))
        FAIL("qcow2: the L1 table overlaps the %s", qcow2_overlap_name(o));
    if ((o = qcow2_overlaps(s, ~(QCOW2_OL_HEADER | QCOW2_OL_SNAPTABLE),
                            s->h.reftable_offset, rt_bytes)))
        FAIL("qcow2: the refcount table overlaps the %s", qcow2_overlap_name(o));
    if (s->h.nb_snapshots &&
        (o = qcow2_overlaps(s, ~QCOW2_OL_HEADER, s->h.snapshots_offset, s->snapshot_table_bytes)))
        FAIL("qcow2: the snapshot table overlaps the %s", qcow2_overlap_name(o));
    return 0;
fail:
    return ret;
}

/* Pointers the allocator and every write trust: refcount blocks and L2
 * tables must lie in the file and not on the fixed tables or on each
 * other.  A bad one makes the image corrupt (read-only), as QEMU does
 * when it meets one. */
static void check_pointers(Qcow2 *s)
{
    uint64_t cs = s->cluster_size;
    const int fixed = QCOW2_OL_HEADER | QCOW2_OL_L1 | QCOW2_OL_REFTABLE |
                      QCOW2_OL_SNAPTABLE | QCOW2_OL_SNAP_L1;
    for (uint64_t i = 0; i < s->reftable_entries && !s->corrupt; i++) {
        uint64_t e = s->reftable[i], b = e & QCOW2_OFFSET_MASK;
        if (!e)
            continue;
        if (e & QCOW2_REFT_RESERVED) {
            qcow2_signal_corruption(s, "Refblock offset %#llx unaligned (reftable index: %#llx)",
                                    (unsigned long long)e, (unsigned long long)i);
        } else if (b + cs > s->file_end) {
            qcow2_signal_corruption(s, "Refblock at %#llx is past the end of the image file "
                                    "(reftable index: %#llx)",
                                    (unsigned long long)b, (unsigned long long)i);
        } else {
            int o = qcow2_overlaps(s, ~fixed, b, cs);
            for (uint64_t j = 0; j < i && !o; j++)
                if ((s->reftable[j] & QCOW2_OFFSET_MASK) == b)
                    o = QCOW2_OL_REFBLOCK;
            if (o)
                qcow2_signal_corruption(s, "Refblock at %#llx overlaps the %s (reftable index: %#llx)",
                                        (unsigned long long)b, qcow2_overlap_name(o),
                                        (unsigned long long)i);
        }
    }
    for (uint32_t i = 0; i < s->h.l1_size && !s->corrupt; i++) {
        uint64_t e = s->l1[i], t = e & QCOW2_OFFSET_MASK;
        if (!e)
            continue;
        if (e & QCOW2_L1_RESERVED) {
            qcow2_signal_corruption(s, "L2 table offset %#llx unaligned (L1 index: %#x)",
                                    (unsigned long long)e, i);
        } else if (t + cs > s->file_end) {
            qcow2_signal_corruption(s, "L2 table at %#llx is past the end of the image file "
                                    "(L1 index: %#x)", (unsigned long long)t, i);
        } else {
            int o = qcow2_overlaps(s, ~(fixed | QCOW2_OL_REFBLOCK), t, cs);
            if (o)
                qcow2_signal_corruption(s, "L2 table at %#llx overlaps the %s (L1 index: %#x)",
                                        (unsigned long long)t, qcow2_overlap_name(o), i);
        }
    }
}

int qcow2_open(Qcow2 **out, const Qcow2IO *io, const Qcow2Options *opts,
               char **errmsg)
{
    Qcow2 *s = g_new0(Qcow2, 1);
    int ret;
    s->io = *io;
    s->report = opts->report;
    s->report_opaque = opts->report_opaque;
    s->read_only = opts->read_only;
    s->pass_discard = opts->pass_discard;
    int64_t len = io->length(io->opaque);
    if (len < 0) {
        ret = (int)len;
        *errmsg = g_strdup_printf("Could not read the image size: %s", g_strerror(-ret));
        goto fail;
    }
    s->file_end = (uint64_t)len;
    uint8_t first[QCOW2_V3_HEADER_LEN] = {0};
    ret = io->pread(io->opaque, 0, first, sizeof(first));
    if (ret < 0) {
        *errmsg = g_strdup_printf("Could not read qcow2 header: %s", g_strerror(-ret));
        goto fail;
    }
    uint32_t bits = be32_get(first + QH_CLUSTER_BITS);
    size_t hlen = bits >= QCOW2_MIN_CLUSTER_BITS && bits <= QCOW2_MAX_CLUSTER_BITS
                  ? (size_t)1 << bits : sizeof(first);
    hlen = MIN(hlen, (size_t)MAX(s->file_end, sizeof(first)));
    uint8_t *hbuf = g_malloc0(hlen);
    ret = io->pread(io->opaque, 0, hbuf, hlen);
    if (ret == 0)
        ret = qcow2_header_parse(hbuf, hlen, &s->h, errmsg);
    g_free(hbuf);
    if (ret < 0) {
        if (!*errmsg)
            *errmsg = g_strdup_printf("Could not read qcow2 header: %s", g_strerror(-ret));
        goto fail;
    }
    s->cluster_size = 1u << s->h.cluster_bits;
    s->l2_entries = s->cluster_size / 8;
    s->refcount_bits = 1u << s->h.refcount_order;
    s->refblock_entries = (uint64_t)s->cluster_size * 8 / s->refcount_bits;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX : (1ull << s->refcount_bits) - 1;

    if ((s->h.incompat & QCOW2_INCOMPAT_CORRUPT) && !opts->check) {
        if (!s->read_only) {
            *errmsg = g_strdup("qcow2: Image is corrupt; cannot be opened read/write");
            ret = -EACCES;
            goto fail;
        }
        s->corrupt = true;
    }
    s->lazy_refcounts = s->h.version >= 3 && (s->h.compat & QCOW2_COMPAT_LAZY_REFCOUNTS);
    if (opts->lazy_refcounts >= 0) {
        if (opts->lazy_refcounts && s->h.version < 3) {
            *errmsg = g_strdup("Lazy refcounts require a qcow2 image with at least qemu 1.1 "
                               "compatibility level");
            ret = -EINVAL;
            goto fail;
        }
        s->lazy_refcounts = opts->lazy_refcounts;
    }

    if (s->h.l1_size) {
        uint64_t bytes = (uint64_t)s->h.l1_size * 8;
        if (s->h.l1_offset + bytes > s->file_end)
            FAIL("qcow2: the L1 table lies past the end of the image file");
        uint8_t *b = g_malloc(bytes);
        ret = qcow2_pread(s, s->h.l1_offset, b, bytes);
        s->l1 = g_new(uint64_t, s->h.l1_size);
        for (uint32_t i = 0; i < s->h.l1_size; i++)
            s->l1[i] = be64_get(b + i * 8);
        g_free(b);
        if (ret < 0) {
            *errmsg = g_strdup_printf("Could not read L1 table: %s", g_strerror(-ret));
            goto fail;
        }
    } else {
        s->l1 = g_new0(uint64_t, 1);
    }
    if (s->h.reftable_offset + (uint64_t)s->h.reftable_clusters * s->cluster_size > s->file_end)
        FAIL("qcow2: the refcount table lies past the end of the image file");
    ret = qcow2_load_reftable(s);
    if (ret < 0) {
        *errmsg = g_strdup_printf("Could not read refcount table: %s", g_strerror(-ret));
        goto fail;
    }
    ret = qcow2_read_snapshots(s, errmsg);
    if (ret < 0) {
        if (!*errmsg)
            *errmsg = g_strdup_printf("Could not read snapshots: %s", g_strerror(-ret));
        goto fail;
    }
    ret = check_tables(s, errmsg);
    if (ret < 0)
        goto fail;

    uint64_t l2c = opts->l2_cache_size ? opts->l2_cache_size : 1 << 20;
    uint64_t rfc = opts->refcount_cache_size ? opts->refcount_cache_size : 256 << 10;
    qcow2_cache_init(&s->l2_cache, l2c, s->cluster_size);
    qcow2_cache_init(&s->refblock_cache, rfc, s->cluster_size);

    /* A check looks at every pointer itself, and reports instead. */
    if (!opts->check)
        check_pointers(s);
    if (s->corrupt && !s->read_only) {
        /* Found broken just now: carry on read-only, as QEMU does. */
        s->read_only = true;
    }

    if (!s->read_only) {
        bool header_changed = false;
        if ((s->h.incompat & QCOW2_INCOMPAT_DIRTY) && !opts->check) {
            /* Refcounts may lag behind (lazy refcounts and a crash):
             * count them again from the tables. */
            ret = qcow2_rebuild_refcounts(s);
            if (ret == 0)
                ret = qcow2_fix_copied(s);
            if (ret < 0) {
                *errmsg = g_strdup_printf("Could not repair dirty image: %s", g_strerror(-ret));
                goto fail;
            }
            s->h.incompat &= ~QCOW2_INCOMPAT_DIRTY;
            header_changed = true;
        }
        if (header_changed) {
            ret = write_incompat(s);
            if (ret < 0) {
                *errmsg = g_strdup_printf("Could not update qcow2 header: %s", g_strerror(-ret));
                goto fail;
            }
        }
        if (s->h.version >= 3 && s->h.autoclear) {
            /* Autoclear features (bitmaps) we do not maintain become
             * invalid once we write: say so in the header. */
            uint8_t b[8] = {0};
            s->h.autoclear = 0;
            ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_AUTOCLEAR, b, 8);
            if (ret == 0)
                ret = qcow2_sync(s);
            if (ret < 0) {
                *errmsg = g_strdup_printf("Could not update qcow2 header: %s", g_strerror(-ret));
                goto fail;
            }
        }
    }
    *out = s;
    return 0;
fail:
    qcow2_cache_free(&s->l2_cache);
    qcow2_cache_free(&s->refblock_cache);
    qcow2_free_snapshots(s);
    g_free(s->l1);
    g_free(s->reftable);
    g_free(s);
    return ret < 0 ? ret : -EINVAL;
}

int qcow2_flush(Qcow2 *s)
{
    if (s->read_only)
        return 0;
    if (s->corrupt)
        return -EIO;
    return qcow2_sync(s);
}

int qcow2_close(Qcow2 *s)
{
    int ret = 0;
    if (!s->read_only && !s->corrupt) {
        ret = qcow2_sync(s);
        if (ret == 0 && s->dirty_written) {
            s->h.incompat &= ~QCOW2_INCOMPAT_DIRTY;
            ret = write_incompat(s);
        }
    }
    qcow2_cache_free(&s->l2_cache);
    qcow2_cache_free(&s->refblock_cache);
    qcow2_free_snapshots(s);
    g_free(s->l1);
    g_free(s->reftable);
    g_free(s->zcache);
    g_free(s);
    return ret;
}

const Qcow2Header *qcow2_header(const Qcow2 *s) { return &s->h; }
uint64_t qcow2_size(const Qcow2 *s) { return s->h.size; }
uint32_t qcow2_cluster_size(const Qcow2 *s) { return s->cluster_size; }
bool qcow2_is_read_only(const Qcow2 *s) { return s->read_only; }
bool qcow2_is_corrupt(const Qcow2 *s) { return s->corrupt; }

const char *qcow2_backing_file(const Qcow2 *s)
{
    return s->h.backing_offset && s->h.backing_size ? s->h.backing_file : NULL;
}

const char *qcow2_backing_fmt(const Qcow2 *s)
{
    return s->h.backing_fmt[0] ? s->h.backing_fmt : NULL;
}

void qcow2_set_backing(Qcow2 *s, const Qcow2Backing *backing)
{
    s->has_backing = backing != NULL;
    if (backing)
        s->backing = *backing;
}

void qcow2_drop_caches(Qcow2 *s)
{
    /* Only memory: tables with changes not written yet stay. */
    qcow2_cache_clear_clean(&s->l2_cache);
    qcow2_cache_clear_clean(&s->refblock_cache);
    g_clear_pointer(&s->zcache, g_free);
    s->zcache_entry = 0;
}

int qcow2_truncate(Qcow2 *s, uint64_t size, char **errmsg)
{
    int ret;
    if (s->corrupt || s->read_only) {
        *errmsg = g_strdup("qcow2: Image is read-only or corrupt");
        return s->corrupt ? -EIO : -EROFS;
    }
    if (size > QCOW2_MAX_IMAGE_SIZE) {
        *errmsg = g_strdup("Image size too large");
        return -EFBIG;
    }
    if (size < s->h.size) {
        if (s->h.nb_snapshots) {
            *errmsg = g_strdup("Can't shrink an image which has snapshots");
            return -ENOTSUP;
        }
        /* Release what lies past the new end, then make the end smaller. */
        uint64_t cs = s->cluster_size, from = (size + cs - 1) / cs * cs;
        for (uint64_t o = from; o < s->h.size; o += cs) {
            uint64_t e;
            ret = qcow2_get_entry(s, o, &e);
            if (ret == 0 && e)
                ret = qcow2_discard(s, o, MIN(cs, s->h.size - o));
            if (ret == 0 && e) {
                /* Discard may leave a zero flag: clear the entry too. */
                uint64_t l2;
                ret = qcow2_l2_for_write(s, o, &l2);
                if (ret == 0)
                    ret = qcow2_set_entry(s, l2, (uint32_t)((o / cs) % s->l2_entries), 0);
            }
            if (ret < 0) {
                *errmsg = g_strdup_printf("Could not shrink the image: %s", g_strerror(-ret));
                return ret;
            }
        }
    } else {
        uint64_t span = (uint64_t)s->cluster_size * s->l2_entries;
        uint64_t need = (size + span - 1) / span;
        if (need > UINT32_MAX) {
            *errmsg = g_strdup("Image size too large");
            return -EFBIG;
        }
        ret = qcow2_grow_l1(s, (uint32_t)need);
        if (ret < 0) {
            *errmsg = g_strdup_printf("Failed to grow the L1 table: %s", g_strerror(-ret));
            return ret;
        }
    }
    uint8_t b[8];
    be64_put(b, size);
    ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_SIZE, b, 8);
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret < 0) {
        *errmsg = g_strdup_printf("Could not update the image size: %s", g_strerror(-ret));
        return ret;
    }
    s->h.size = size;
    return 0;
}
