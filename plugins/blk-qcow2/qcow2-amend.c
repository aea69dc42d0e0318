/*
 * Changing an existing image's options (`tessera-img amend`, and the
 * header rewrite of `tessera-img rebase`): the compatibility level
 * (version 2 <-> 3), lazy refcounts, the backing file name and format,
 * the size.  Everything else is fixed at creation.
 *
 * Going down to version 2 first removes what version 2 cannot express:
 * zero flags in the active tables become plain clusters (unallocated
 * where nothing shows through, zeroes written otherwise), and the header
 * is rewritten without the version 3 fields.  The header is written
 * last, in one cluster write, so a failure before it leaves a valid
 * version 3 image.
 */
#include "qcow2-int.h"

#include <errno.h>

#define FAIL(...) do { *errmsg = g_strdup_printf(__VA_ARGS__); return -EINVAL; } while (0)

static size_t put_ext(uint8_t *buf, size_t off, uint32_t type, const void *data,
                      uint32_t len)
{
    be32_put(buf + off, type);
    be32_put(buf + off + 4, len);
    memcpy(buf + off + 8, data, len);
    return off + 8 + ((len + 7u) & ~7u);
}

/* The header cluster written anew from s->h, with the extensions of the
 * old one kept (the backing format's replaced, bitmaps dropped below
 * version 3, where nothing could say they are stale) and the backing
 * file name after them. */
static int write_header(Qcow2 *s, const char *backing_file, const char *backing_fmt,
                        char **errmsg)
{
    uint64_t cs = s->cluster_size;
    uint8_t *old = g_malloc0(cs), *hdr = g_malloc0(cs);
    int ret = qcow2_pread(s, 0, old, cs);
    if (ret < 0) {
        *errmsg = g_strdup_printf("Could not read qcow2 header: %s", g_strerror(-ret));
        goto out;
    }
    size_t old_len = be32_get(old + QH_VERSION) >= 3 ? be32_get(old + QH_HEADER_LENGTH)
                                                     : QCOW2_V2_HEADER_LEN;
    uint64_t old_backing = be64_get(old + QH_BACKING_OFFSET);
    memcpy(hdr, old, QCOW2_V2_HEADER_LEN);
    be32_put(hdr + QH_VERSION, s->h.version);
    be64_put(hdr + QH_BACKING_OFFSET, 0);
    be32_put(hdr + QH_BACKING_SIZE, 0);
    size_t off = QCOW2_V2_HEADER_LEN;
    if (s->h.version >= 3) {
        size_t len = old_len > QCOW2_V2_HEADER_LEN ? old_len : QCOW2_V3_HEADER_LEN;
        if (len > QCOW2_V2_HEADER_LEN && old_len > QCOW2_V2_HEADER_LEN)
            memcpy(hdr + QCOW2_V2_HEADER_LEN, old + QCOW2_V2_HEADER_LEN,
                   old_len - QCOW2_V2_HEADER_LEN);
        be64_put(hdr + QH_INCOMPAT, s->h.incompat);
        be64_put(hdr + QH_COMPAT, s->h.compat);
        be64_put(hdr + QH_AUTOCLEAR, s->h.autoclear);
        be32_put(hdr + QH_REFCOUNT_ORDER, s->h.refcount_order);
        be32_put(hdr + QH_HEADER_LENGTH, (uint32_t)len);
        if (len > QH_COMPRESSION_TYPE)
            hdr[QH_COMPRESSION_TYPE] = s->h.compression_type;
        off = len;
    }
    size_t fmt_len = backing_fmt ? strlen(backing_fmt) : 0;
    if (fmt_len)
        off = put_ext(hdr, off, QCOW2_EXT_BACKING_FMT, backing_fmt, (uint32_t)fmt_len);
    /* The old extensions, up to their end marker or the old name. */
    size_t p = old_len, end = cs;
    if (old_backing > p && old_backing < end)
        end = old_backing;
    while (p + 8 <= end) {
        uint32_t type = be32_get(old + p), elen = be32_get(old + p + 4);
        if (type == QCOW2_EXT_END || elen > end - p - 8)
            break;
        bool keep = type != QCOW2_EXT_BACKING_FMT &&
                    !(type == QCOW2_EXT_BITMAPS && s->h.version < 3);
        if (keep) {
            if (off + 8 + ((elen + 7u) & ~7u) > cs) {
                ret = -ENOSPC;
                break;
            }
            off = put_ext(hdr, off, type, old + p + 8, elen);
        }
        p += 8 + ((elen + 7u) & ~7u);
    }
    off += 8;   /* the end marker: zeroes */
    size_t name_len = backing_file ? strlen(backing_file) : 0;
    if (ret < 0 || off + name_len > cs || name_len > QCOW2_MAX_BACKING_NAME) {
        *errmsg = g_strdup("Backing file name too long");
        ret = -EINVAL;
        goto out;
    }
    if (name_len) {
        be64_put(hdr + QH_BACKING_OFFSET, off);
        be32_put(hdr + QH_BACKING_SIZE, (uint32_t)name_len);
        memcpy(hdr + off, backing_file, name_len);
    }
    /* Everything the header will point at is on disk first. */
    ret = qcow2_sync(s);
    if (ret == 0)
        ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, 0, hdr, cs);
    if (ret == 0)
        ret = qcow2_io_flush(s);
    if (ret < 0) {
        *errmsg = g_strdup_printf("Could not update qcow2 header: %s", g_strerror(-ret));
        goto out;
    }
    s->h.header_length = s->h.version >= 3 ? (uint32_t)be32_get(hdr + QH_HEADER_LENGTH)
                                           : QCOW2_V2_HEADER_LEN;
    s->h.backing_offset = name_len ? be64_get(hdr + QH_BACKING_OFFSET) : 0;
    s->h.backing_size = (uint32_t)name_len;
    memcpy(s->h.backing_file, backing_file ? backing_file : "", name_len + 1);
    g_strlcpy(s->h.backing_fmt, backing_fmt ? backing_fmt : "", sizeof(s->h.backing_fmt));
out:
    g_free(old);
    g_free(hdr);
    return ret;
}

/* Whether any L2 table of a snapshot holds a zero flag (version 2 could
 * not read it; rewriting snapshots is not done here). */
static int snapshots_have_zeroes(Qcow2 *s, bool *found)
{
    *found = false;
    for (uint32_t i = 0; i < s->h.nb_snapshots && !*found; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint64_t bytes = (uint64_t)sn->l1_size * 8;
        uint8_t *l1 = g_malloc(bytes + 8);
        int ret = qcow2_pread(s, sn->l1_offset, l1, bytes);
        for (uint32_t j = 0; ret == 0 && j < sn->l1_size && !*found; j++) {
            uint64_t l2 = be64_get(l1 + j * 8) & QCOW2_OFFSET_MASK;
            if (!l2)
                continue;
            uint8_t *t = qcow2_load_l2(s, l2, &ret);
            for (uint32_t k = 0; t && k < s->l2_entries; k++) {
                int type = qcow2_entry_type(s, be64_get(t + k * 8));
                if (type == QCOW2_C_ZERO_PLAIN || type == QCOW2_C_ZERO_ALLOC)
                    *found = true;
            }
        }
        g_free(l1);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Every zero flag of the active tables replaced by what version 2 can
 * say: nothing (no backing file shows through) or a cluster of zeroes. */
static int expand_zero_clusters(Qcow2 *s, bool backing)
{
    uint64_t cs = s->cluster_size;
    uint8_t *zeroes = g_malloc0(cs);
    int ret = 0;
    for (uint64_t guest = 0; guest < s->h.size && ret == 0; guest += cs) {
        uint64_t e;
        ret = qcow2_get_entry(s, guest, &e);
        if (ret < 0)
            break;
        int type = qcow2_entry_type(s, e);
        if (type != QCOW2_C_ZERO_PLAIN && type != QCOW2_C_ZERO_ALLOC)
            continue;
        uint64_t host = e & QCOW2_OFFSET_MASK, rc = 0, l2;
        if (type == QCOW2_C_ZERO_ALLOC) {
            ret = qcow2_refcount_get(s, host / cs, &rc);
            if (ret < 0)
                break;
        }
        uint64_t entry = 0;
        if (type == QCOW2_C_ZERO_ALLOC && rc == 1) {
            /* Its own cluster: zeroes in place. */
            ret = qcow2_pwrite_checked(s, 0, host, zeroes, cs);
            entry = host | QCOW2_OFLAG_COPIED;
        } else if (backing || type == QCOW2_C_ZERO_ALLOC) {
            int64_t fresh = qcow2_alloc_clusters(s, 1);
            if (fresh < 0) {
                ret = (int)fresh;
                break;
            }
            ret = qcow2_pwrite_checked(s, 0, (uint64_t)fresh, zeroes, cs);
            entry = (uint64_t)fresh | QCOW2_OFLAG_COPIED;
        }
        if (ret == 0)
            ret = qcow2_sync(s);
        if (ret == 0)
            ret = qcow2_l2_for_write(s, guest, &l2);
        if (ret == 0)
            ret = qcow2_set_entry(s, l2, (uint32_t)((guest / cs) % s->l2_entries), entry);
        if (ret == 0 && type == QCOW2_C_ZERO_ALLOC && rc != 1) {
            /* A cluster a snapshot shares stays the snapshot's. */
            ret = qcow2_sync(s);
            if (ret == 0)
                ret = qcow2_refcount_update(s, host, cs, -1);
        }
    }
    g_free(zeroes);
    return ret < 0 ? ret : qcow2_sync(s);
}

int qcow2_amend(Qcow2 *s, const Qcow2AmendOptions *o, char **errmsg)
{
    if (s->read_only || s->corrupt)
        FAIL("qcow2: Image is read-only or corrupt");
    uint32_t version = o->version ? (uint32_t)o->version : s->h.version;
    bool lazy = o->lazy_refcounts >= 0 ? o->lazy_refcounts
                                       : version >= 3 && s->lazy_refcounts;
    if (version < 3 && lazy)
        FAIL("Lazy refcounts only supported with compatibility level 1.1 and above "
             "(use compat=1.1 or greater)");
    if (version < 3 && s->h.version >= 3) {
        if (s->h.refcount_order != 4)
            FAIL("compat=0.10 requires refcount_bits=16");
        uint64_t features = s->h.incompat & ~QCOW2_INCOMPAT_DIRTY;
        if (features)
            FAIL("Cannot downgrade an image with incompatible features 0x%llx set",
                 (unsigned long long)features);
        bool snap_zeroes;
        int ret = snapshots_have_zeroes(s, &snap_zeroes);
        if (ret < 0)
            FAIL("Could not read the snapshots' tables: %s", g_strerror(-ret));
        if (snap_zeroes)
            FAIL("Cannot downgrade an image whose internal snapshots hold zero clusters");
    }
    const char *bf = o->set_backing ? o->backing_file : qcow2_backing_file(s);
    const char *bfmt = o->set_backing ? o->backing_fmt : qcow2_backing_fmt(s);
    if (bf && !*bf)
        bf = NULL;
    if (bfmt && (!*bfmt || !bf))
        bfmt = NULL;
    if (bf && strlen(bf) > QCOW2_MAX_BACKING_NAME)
        FAIL("Backing file name too long");
    if (o->set_size && o->size != s->h.size) {
        int ret = qcow2_truncate(s, o->size, errmsg);
        if (ret < 0)
            return ret;
    }
    /* Refcounts complete on disk before lazy refcounts end (or the
     * version that has them). */
    int ret = qcow2_sync(s);
    if (ret < 0)
        FAIL("Could not write the image's tables: %s", g_strerror(-ret));
    if (version < 3 && s->h.version >= 3) {
        char *keep_bf = g_strdup(bf), *keep_fmt = g_strdup(bfmt);
        /* Zero clusters expand against the backing file the image will
         * have. */
        ret = expand_zero_clusters(s, keep_bf != NULL);
        if (ret < 0) {
            g_free(keep_bf);
            g_free(keep_fmt);
            FAIL("Could not expand zero clusters: %s", g_strerror(-ret));
        }
        bf = keep_bf;
        bfmt = keep_fmt;
        s->h.version = 2;
        s->h.incompat = s->h.compat = s->h.autoclear = 0;
        s->h.refcount_order = 4;
        s->lazy_refcounts = false;
        s->dirty_written = false;
        ret = write_header(s, bf, bfmt, errmsg);
        g_free(keep_bf);
        g_free(keep_fmt);
        return ret;
    }
    if (version >= 3 && s->h.version < 3) {
        s->h.version = 3;
        s->h.incompat = s->h.compat = s->h.autoclear = 0;
        s->h.refcount_order = 4;
        s->h.compression_type = QCOW2_COMPRESSION_ZLIB;
    }
    if (version >= 3) {
        if (lazy)
            s->h.compat |= QCOW2_COMPAT_LAZY_REFCOUNTS;
        else
            s->h.compat &= ~QCOW2_COMPAT_LAZY_REFCOUNTS;
        if (!lazy) {
            /* Refcounts are complete (synced above): not dirty. */
            s->h.incompat &= ~QCOW2_INCOMPAT_DIRTY;
            s->dirty_written = false;
        }
        s->lazy_refcounts = lazy;
    }
    char *keep_bf = g_strdup(bf), *keep_fmt = g_strdup(bfmt);
    ret = write_header(s, keep_bf, keep_fmt, errmsg);
    g_free(keep_bf);
    g_free(keep_fmt);
    return ret;
}
