/*
 * Image creation: a header, a one-cluster refcount table and one refcount
 * block are written by hand; everything else (the L1 table for the size,
 * preallocated metadata) is done by the engine itself on the new image,
 * so the allocator's rules hold from the first cluster.
 */
#include "qcow2-int.h"

#include <errno.h>

#define FAIL(...) do { *errmsg = g_strdup_printf(__VA_ARGS__); return -EINVAL; } while (0)

static const struct { uint8_t type, bit; const char *name; } feature_names[] = {
    { 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" }, { 0, 2, "external data file" },
    { 0, 3, "compression type" }, { 0, 4, "extended L2 entries" },
    { 1, 0, "lazy refcounts" }, { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
};

static size_t put_ext(uint8_t *buf, size_t off, uint32_t type, const void *data, uint32_t len)
{
    be32_put(buf + off, type);
    be32_put(buf + off + 4, len);
    memcpy(buf + off + 8, data, len);
    return off + 8 + ((len + 7u) & ~7u);
}

static int preallocate(Qcow2 *s)
{
    uint64_t cs = s->cluster_size, clusters = (s->h.size + cs - 1) / cs;
    for (uint64_t c = 0; c < clusters; ) {
        uint64_t n = MIN(clusters - c, s->l2_entries - c % s->l2_entries);
        uint64_t l2;
        int ret = qcow2_l2_for_write(s, c * cs, &l2);
        if (ret < 0)
            return ret;
        int64_t base = qcow2_alloc_clusters(s, n);
        if (base < 0)
            return (int)base;
        int ret2 = qcow2_sync(s);
        if (ret2 < 0)
            return ret2;
        for (uint64_t i = 0; i < n; i++) {
            ret = qcow2_set_entry(s, l2, (uint32_t)((c + i) % s->l2_entries),
                                  ((uint64_t)base + i * cs) | QCOW2_OFLAG_COPIED);
            if (ret < 0)
                return ret;
        }
        c += n;
    }
    /* The data clusters exist in the file (as a hole). */
    uint64_t end = 0;
    for (uint64_t c = 0; c < clusters; c++) {
        uint64_t e;
        int ret = qcow2_get_entry(s, c * cs, &e);
        if (ret < 0)
            return ret;
        end = MAX(end, (e & QCOW2_OFFSET_MASK) + cs);
    }
    if (end > s->file_end) {
        int ret = s->io.truncate(s->io.opaque, end);
        if (ret < 0)
            return ret;
        s->file_end = end;
    }
    return 0;
}

int qcow2_create(const Qcow2IO *io, const Qcow2CreateOptions *o, char **errmsg)
{
    uint32_t cs = o->cluster_size ? o->cluster_size : 65536;
    int version = o->version ? o->version : 3;
    uint32_t refbits = o->refcount_bits ? o->refcount_bits : 16;
    if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1)))
        FAIL("Cluster size must be a power of two between 512 and 2048k");
    if (version != 2 && version != 3)
        FAIL("Invalid compatibility level: '%d'", version);
    if (refbits > 64 || (refbits & (refbits - 1)))
        FAIL("Refcount width must be a power of two and may not exceed 64 bits");
    if (version == 2 && refbits != 16)
        FAIL("Different refcount widths than 16 bits require compatibility level 1.1 "
             "or above (use compat=1.1 or greater)");
    if (version == 2 && o->lazy_refcounts)
        FAIL("Lazy refcounts only supported with compatibility level 1.1 and above "
             "(use compat=1.1 or greater)");
    if (version == 2 && o->compression_type != QCOW2_COMPRESSION_ZLIB)
        FAIL("Non-zlib compression type is only supported with compatibility level 1.1 "
             "and above (use compat=1.1 or greater)");
    if (o->compression_type != QCOW2_COMPRESSION_ZLIB &&
        o->compression_type != QCOW2_COMPRESSION_ZSTD)
        FAIL("Unknown compression type");
    if (o->size % 512)
        FAIL("Image size must be a multiple of 512 bytes");
    if (o->size > QCOW2_MAX_IMAGE_SIZE)
        FAIL("Image size too large");
    if (o->backing_fmt && !o->backing_file)
        FAIL("Backing format cannot be used without backing file");
    if (o->backing_file && strlen(o->backing_file) > QCOW2_MAX_BACKING_NAME)
        FAIL("Backing file name too long");

    unsigned bits = (unsigned)__builtin_ctz(cs), order = (unsigned)__builtin_ctz(refbits);
    uint8_t *hdr = g_malloc0(cs);
    be32_put(hdr + QH_MAGIC, QCOW2_MAGIC);
    be32_put(hdr + QH_VERSION, (uint32_t)version);
    be32_put(hdr + QH_CLUSTER_BITS, bits);
    be64_put(hdr + QH_REFTABLE_OFFSET, cs);
    be32_put(hdr + QH_REFTABLE_CLUSTERS, 1);
    size_t off = QCOW2_V2_HEADER_LEN;
    if (version == 3) {
        uint64_t incompat = o->compression_type ? QCOW2_INCOMPAT_COMPRESSION : 0;
        be64_put(hdr + QH_INCOMPAT, incompat);
        be64_put(hdr + QH_COMPAT, o->lazy_refcounts ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0);
        be32_put(hdr + QH_REFCOUNT_ORDER, order);
        be32_put(hdr + QH_HEADER_LENGTH, QCOW2_V3_HEADER_LEN);
        hdr[QH_COMPRESSION_TYPE] = (uint8_t)o->compression_type;
        off = QCOW2_V3_HEADER_LEN;
    }
    size_t name_len = o->backing_file ? strlen(o->backing_file) : 0;
    size_t fmt_len = o->backing_fmt ? strlen(o->backing_fmt) : 0;
    size_t feat_len = G_N_ELEMENTS(feature_names) * 48;
    size_t fixed = off + (fmt_len ? 8 + ((fmt_len + 7) & ~7u) : 0) + 8 + name_len;
    if (fixed > cs) {
        g_free(hdr);
        FAIL("Backing file name too long for a %u-byte cluster", cs);
    }
    if (fmt_len)
        off = put_ext(hdr, off, QCOW2_EXT_BACKING_FMT, o->backing_fmt, (uint32_t)fmt_len);
    /* The feature name table, where it fits: names for tools' messages. */
    if (fixed + 8 + feat_len <= cs) {
        uint8_t *t = g_malloc0(feat_len);
        for (size_t i = 0; i < G_N_ELEMENTS(feature_names); i++) {
            t[i * 48] = feature_names[i].type;
            t[i * 48 + 1] = feature_names[i].bit;
            memcpy(t + i * 48 + 2, feature_names[i].name, strlen(feature_names[i].name));
        }
        off = put_ext(hdr, off, QCOW2_EXT_FEATURE_TABLE, t, (uint32_t)feat_len);
        g_free(t);
    }
    off += 8; /* end of extensions: type 0, length 0 */
    if (name_len) {
        be64_put(hdr + QH_BACKING_OFFSET, off);
        be32_put(hdr + QH_BACKING_SIZE, (uint32_t)name_len);
        memcpy(hdr + off, o->backing_file, name_len);
    }

    uint8_t *rest = g_malloc0(2 * (size_t)cs);
    be64_put(rest, 2ull * cs); /* refcount table entry 0: the block */
    Qcow2 tmp = { .refcount_bits = refbits };
    for (uint64_t c = 0; c < 3; c++)
        qcow2_refblock_set(&tmp, rest + cs, c, 1);
    int ret = io->truncate(io->opaque, 0);
    if (ret == 0)
        ret = io->pwrite(io->opaque, 0, hdr, cs);
    if (ret == 0)
        ret = io->pwrite(io->opaque, cs, rest, 2 * (size_t)cs);
    if (ret == 0)
        ret = io->flush(io->opaque);
    g_free(hdr);
    g_free(rest);
    if (ret < 0) {
        *errmsg = g_strdup_printf("Could not write qcow2 header: %s", g_strerror(-ret));
        return ret;
    }

    Qcow2 *s;
    Qcow2Options opts = { .lazy_refcounts = 0 };
    ret = qcow2_open(&s, io, &opts, errmsg);
    if (ret < 0)
        return ret;
    ret = qcow2_truncate(s, o->size, errmsg);
    if (ret == 0 && o->preallocate_metadata) {
        ret = preallocate(s);
        if (ret < 0)
            *errmsg = g_strdup_printf("Could not preallocate metadata: %s", g_strerror(-ret));
    }
    int ret2 = qcow2_close(s);
    if (ret == 0 && ret2 < 0) {
        ret = ret2;
        *errmsg = g_strdup_printf("Could not write the image: %s", g_strerror(-ret));
    }
    return ret;
}
