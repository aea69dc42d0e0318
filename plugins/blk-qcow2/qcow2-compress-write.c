/*
 * Compressed writes (the image tool's `convert -c`): each cluster's
 * compressed bytes are packed, byte by byte, into a host cluster shared
 * with its neighbours; every L2 entry that points into a host cluster
 * holds one reference to it, as qemu-img check counts them.
 *
 * Compressing is the expensive half and touches no metadata, so it is a
 * call of its own (qcow2_compress_cluster) that blk-qcow2 runs outside
 * the image's lock, on as many worker threads as there are requests; only
 * the packing (qcow2_write_compressed_prepared) needs the lock.
 */
#include "qcow2-int.h"

#include <errno.h>
#include <zlib.h>
#include <zstd.h>

/*
 * Each thread keeps its compressor: a deflate stream reset between
 * clusters and a zstd context, instead of a fresh one per cluster (what
 * qcow2_compress does, fine for a cluster now and then).  A fresh
 * deflate state is ~270 KiB and a zstd context over 1 MiB, allocated,
 * faulted in and freed for every 64 KiB cluster: measured, -c spent more
 * time in those page faults than in compressing.  The streams are what
 * qcow2_compress makes: raw deflate with a 4 KiB window (QEMU's), zstd
 * at its default level.
 */
typedef struct Compressor {
    z_stream z;
    bool z_ready;
    ZSTD_CCtx *zstd;
    uint8_t *pad;               /* a short last cluster, zero-padded */
    size_t pad_len;
} Compressor;

static void compressor_free(gpointer p)
{
    Compressor *c = p;
    if (c->z_ready)
        deflateEnd(&c->z);
    ZSTD_freeCCtx(c->zstd);
    g_free(c->pad);
    g_free(c);
}

static GPrivate compressor_key = G_PRIVATE_INIT(compressor_free);

static Compressor *compressor(void)
{
    Compressor *c = g_private_get(&compressor_key);
    if (!c) {
        c = g_new0(Compressor, 1);
        g_private_set(&compressor_key, c);
    }
    return c;
}

static size_t compress_with(Compressor *c, int type, const uint8_t *in, size_t len,
                            uint8_t *out, size_t out_max)
{
    if (type == QCOW2_COMPRESSION_ZSTD) {
        if (!c->zstd && !(c->zstd = ZSTD_createCCtx()))
            return 0;
        size_t r = ZSTD_compressCCtx(c->zstd, out, out_max, in, len, ZSTD_CLEVEL_DEFAULT);
        return ZSTD_isError(r) || r >= len ? 0 : r;
    }
    if (!c->z_ready) {
        if (deflateInit2(&c->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return 0;
        c->z_ready = true;
    } else if (deflateReset(&c->z) != Z_OK) {
        return 0;
    }
    c->z.next_in = (Bytef *)in;
    c->z.avail_in = (uInt)len;
    c->z.next_out = out;
    c->z.avail_out = (uInt)out_max;
    int r = deflate(&c->z, Z_FINISH);
    size_t n = out_max - c->z.avail_out;
    return r == Z_STREAM_END && n < len ? n : 0;
}

/* The one cluster a write may cover: whole, or the image's short last
 * one. */
static bool compressed_range_ok(const Qcow2 *s, uint64_t offset, size_t len)
{
    uint64_t cs = s->cluster_size;
    return !(offset % cs || len > cs || offset > s->h.size ||
             len > s->h.size - offset || (len < cs && offset + len != s->h.size));
}

size_t qcow2_compress_cluster(const Qcow2 *s, const void *buf, size_t len, uint8_t *out)
{
    size_t cs = s->cluster_size;
    Compressor *c = compressor();
    int type = s->h.compression_type;
    if (len == cs)
        return compress_with(c, type, buf, cs, out, cs);
    /* A short last cluster reads back as a whole one: pad with zeroes. */
    if (c->pad_len < cs) {
        g_free(c->pad);
        c->pad = g_malloc(cs);
        c->pad_len = cs;
    }
    memcpy(c->pad, buf, len);
    memset(c->pad + len, 0, cs - len);
    return compress_with(c, type, c->pad, cs, out, cs);
}

int qcow2_write_compressed_prepared(Qcow2 *s, uint64_t offset, const void *buf,
                                    size_t len, const uint8_t *out, size_t clen)
{
    uint64_t cs = s->cluster_size;
    if (s->corrupt)
        return -EIO;
    if (s->read_only)
        return -EROFS;
    if (!compressed_range_ok(s, offset, len))
        return -EINVAL;
    if (!clen)
        return qcow2_write(s, offset, buf, len);   /* did not shrink */
    int ret = qcow2_mark_dirty(s);
    uint64_t l2, old = 0;
    if (ret == 0)
        ret = qcow2_l2_for_write(s, offset, &l2);
    if (ret == 0)
        ret = qcow2_get_entry(s, offset, &old);
    if (ret < 0)
        return ret;
    /* Room in the current packing cluster, or a fresh one. */
    uint64_t host;
    if (s->comp_cluster && s->comp_used + clen <= cs) {
        host = s->comp_cluster + s->comp_used;
        ret = qcow2_refcount_update(s, s->comp_cluster, cs, 1);
    } else {
        int64_t c = qcow2_alloc_clusters(s, 1);
        if (c < 0)
            return (int)c;
        s->comp_cluster = (uint64_t)c;
        s->comp_used = 0;
        host = (uint64_t)c;
    }
    if (ret == 0)
        ret = qcow2_pwrite_checked(s, 0, host, out, clen);
    if (ret < 0)
        return ret;
    /* Packed to the byte, as QEMU packs them: the descriptor counts the
     * sectors the bytes touch, which never leave this host cluster. */
    s->comp_used = host - s->comp_cluster + clen;
    unsigned x = 62 - (s->h.cluster_bits - 8);
    uint64_t sectors = ((host & 511) + clen + 511) / 512;
    uint64_t entry = QCOW2_OFLAG_COMPRESSED | ((sectors - 1) << x) | host;
    /* No barrier before the entry: the table cache writes the refcount
     * blocks and flushes the data before it writes any L2 table
     * (qcow2-cache.c), as for plain allocations.  A flush per cluster
     * here made `convert -c` wait on the disk for every cluster. */
    ret = qcow2_set_entry(s, l2, (uint32_t)((offset / cs) % s->l2_entries), entry);
    int t = qcow2_entry_type(s, old);
    if (ret == 0 && t >= QCOW2_C_ZERO_ALLOC) {
        ret = qcow2_order_barrier(s);
        uint64_t off, n;
        if (t == QCOW2_C_COMPRESSED)
            qcow2_compressed_range(s, old, &off, &n);
        else
            off = old & QCOW2_OFFSET_MASK, n = cs;
        uint64_t first = off / cs * cs, end = (off + n + cs - 1) / cs * cs;
        if (ret == 0)
            ret = qcow2_refcount_update(s, first, end - first, -1);
    }
    if (s->zcache_entry == old)
        s->zcache_entry = 0;
    return ret;
}

int qcow2_write_compressed(Qcow2 *s, uint64_t offset, const void *buf, size_t len)
{
    if (!compressed_range_ok(s, offset, len))
        return -EINVAL;
    uint8_t *out = g_malloc(s->cluster_size);
    size_t clen = qcow2_compress_cluster(s, buf, len, out);
    int ret = qcow2_write_compressed_prepared(s, offset, buf, len, out, clen);
    g_free(out);
    return ret;
}
