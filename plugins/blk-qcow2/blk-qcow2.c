/*
 * blk-qcow2: the qcow2 format driver.  The format itself is the engine
 * (qcow2-*.c, qcow2.h); this file is the block.h glue: options, the
 * "file" and backing children as the engine's I/O, one mutex around the
 * engine (the core runs I/O hooks on several worker threads at once), the
 * cache-clean timer, and the create hook -snapshot uses for its overlay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tessera/block.h>
#include <tessera/loop.h>
#include <tessera/plugin.h>

#include "qcow2.h"

typedef struct Qcow2Node {
    TsBlockNode parent;
    /* options */
    char *lazy_refcounts;       /* "on", "off" or NULL (as the image says) */
    uint64_t cache_size, l2_cache_size, refcount_cache_size;
    uint64_t cache_clean_interval;
    char *overlap_check;
    bool pass_discard_request;

    TsBlockChild *file, *backing;
    Qcow2IO io;
    Qcow2Backing backing_io;
    Qcow2 *q;
    Qcow2Options opts;          /* as opened: reopen changes read_only */
    /* The engine's lock.  Reads and in-place writes of clusters the
     * image already holds move their data without it (try_direct): they
     * count themselves in `direct`, and whatever may free or move
     * clusters (anything else done under the lock) first waits for them
     * to finish; `waiters` keeps new ones from starving it. */
    GMutex lock;
    GCond idle;
    unsigned direct;
    unsigned waiters;
    TsTimer *clean_timer;
} Qcow2Node;

/* Take the engine's lock once no request moves data outside it. */
static void lock_tables(Qcow2Node *n)
{
    g_mutex_lock(&n->lock);
    n->waiters++;
    while (n->direct)
        g_cond_wait(&n->idle, &n->lock);
    n->waiters--;
}

static const TsProperty qcow2_options[] = {
    TS_PROP_STRING("lazy-refcounts", Qcow2Node, lazy_refcounts, NULL,
                   "on/off: refcounts updated lazily (default: as the image says)"),
    TS_PROP_SIZE("cache-size", Qcow2Node, cache_size, 0,
                 "L2 and refcount caches together, in bytes"),
    TS_PROP_SIZE("l2-cache-size", Qcow2Node, l2_cache_size, 0,
                 "L2 table cache size in bytes (default 1M)"),
    TS_PROP_SIZE("refcount-cache-size", Qcow2Node, refcount_cache_size, 0,
                 "refcount block cache size in bytes (default 256K)"),
    TS_PROP_UINT("cache-clean-interval", Qcow2Node, cache_clean_interval, 600,
                 "seconds after which unused cache entries are dropped (0: never)"),
    TS_PROP_STRING("overlap-check", Qcow2Node, overlap_check, "cached",
                   "metadata overlap checks before writes: constant, cached or all"),
    TS_PROP_BOOL("pass-discard-request", Qcow2Node, pass_discard_request, true,
                 "clusters freed by a guest discard are discarded in the image file"),
    TS_PROP_END
};

/* ---- the "file" child as the engine's I/O ---------------------------- */

static int file_pread(void *opaque, uint64_t off, void *buf, size_t len)
{
    Qcow2Node *n = opaque;
    int64_t end = ts_block_child_length(n->file);
    if (end < 0)
        return (int)end;
    /* The engine reads past the end as zeroes; the child refuses. */
    size_t have = off >= (uint64_t)end ? 0 : (size_t)MIN((uint64_t)len, (uint64_t)end - off);
    memset((uint8_t *)buf + have, 0, len - have);
    return have ? ts_block_child_pread(n->file, off, buf, have) : 0;
}

static int file_pwrite(void *opaque, uint64_t off, const void *buf, size_t len)
{
    /* Past the end grows the file (block.h: a protocol node may be
     * written past its end). */
    return ts_block_child_pwrite(((Qcow2Node *)opaque)->file, off, buf, len, 0);
}

static int file_flush(void *opaque)
{
    return ts_block_child_flush(((Qcow2Node *)opaque)->file);
}

static int file_truncate(void *opaque, uint64_t size)
{
    GError *err = NULL;
    if (!ts_block_child_truncate(((Qcow2Node *)opaque)->file, size, false,
                                 TS_BLOCK_PREALLOC_OFF, &err)) {
        g_error_free(err);
        return -EIO;
    }
    return 0;
}

static int file_discard(void *opaque, uint64_t off, uint64_t len)
{
    return ts_block_child_discard(((Qcow2Node *)opaque)->file, off, len);
}

static int64_t file_length(void *opaque)
{
    return ts_block_child_length(((Qcow2Node *)opaque)->file);
}

static int backing_pread(void *opaque, uint64_t off, void *buf, size_t len)
{
    return ts_block_child_pread(((Qcow2Node *)opaque)->backing, off, buf, len);
}

static void report(void *opaque, bool corrupt, const char *msg)
{
    Qcow2Node *n = opaque;
    if (corrupt)
        ts_block_node_report_corrupt(&n->parent, true, 0, 0, "%s", msg);
    else
        ts_block_node_warn(&n->parent, "%s", msg);
}

static void init_io(Qcow2Node *n, TsBlockChild *file)
{
    n->file = file;
    n->io = (Qcow2IO) {
        .opaque = n, .pread = file_pread, .pwrite = file_pwrite, .flush = file_flush,
        .truncate = file_truncate, .length = file_length, .discard = file_discard,
    };
}

/* ---- open and close ---------------------------------------------------- */

static void clean_caches(void *opaque)
{
    Qcow2Node *n = opaque;
    lock_tables(n);
    qcow2_drop_caches(n->q);
    g_mutex_unlock(&n->lock);
    ts_timer_mod(n->clean_timer, ts_clock_get_ns(TS_CLOCK_HOST) +
                 (int64_t)n->cache_clean_interval * 1000000000);
}

/*
 * The backing file name recorded in the image, relative to the image's
 * directory as QEMU reads it: "base.qcow2" in "dir/ov.qcow2" is
 * "dir/base.qcow2", in "ov.qcow2" stays "base.qcow2" (no "./" prefix,
 * so query-block and info block show what QEMU shows); absolute names,
 * protocol URLs ("nbd://...") and an image without a file name (then the
 * working directory is all there is, as in QEMU) leave it as it is.
 * g_free the result (NULL for no backing file).
 */
static char *backing_relative_to_image(const char *bf, const char *image)
{
    if (!bf || !*bf) {
        return NULL;
    }
    const char *slash = image ? strrchr(image, '/') : NULL;
    if (g_path_is_absolute(bf) || strstr(bf, "://") || !slash) {
        return g_strdup(bf);
    }
    return g_strdup_printf("%.*s%s", (int)(slash - image + 1), image, bf);
}

static bool qcow2_node_open(TsBlockNode *node, GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    Qcow2Options o = { .report = report, .report_opaque = n, .lazy_refcounts = -1,
                       .pass_discard = n->pass_discard_request };
    if (n->lazy_refcounts) {
        if (!strcmp(n->lazy_refcounts, "on"))
            o.lazy_refcounts = 1;
        else if (!strcmp(n->lazy_refcounts, "off"))
            o.lazy_refcounts = 0;
        else {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter 'lazy-refcounts' expects 'on' or 'off'");
            return false;
        }
    }
    if (n->overlap_check && strcmp(n->overlap_check, "constant") &&
        strcmp(n->overlap_check, "cached") && strcmp(n->overlap_check, "all") &&
        strcmp(n->overlap_check, "none")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'overlap-check' does not accept value '%s'", n->overlap_check);
        return false;
    }
    if (n->cache_size && n->l2_cache_size && n->refcount_cache_size) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "l2-cache-size, refcount-cache-size and cache-size may not be set at "
                    "the same time");
        return false;
    }
    o.l2_cache_size = n->l2_cache_size;
    o.refcount_cache_size = n->refcount_cache_size;
    if (n->cache_size) {
        /* Split the total as QEMU does by default: most of it for L2. */
        if (!o.l2_cache_size && !o.refcount_cache_size) {
            o.refcount_cache_size = n->cache_size / 4;
            o.l2_cache_size = n->cache_size - o.refcount_cache_size;
        } else if (!o.l2_cache_size) {
            o.l2_cache_size = n->cache_size > o.refcount_cache_size
                              ? n->cache_size - o.refcount_cache_size : 0;
        } else {
            o.refcount_cache_size = n->cache_size > o.l2_cache_size
                                    ? n->cache_size - o.l2_cache_size : 0;
        }
    }
    o.read_only = ts_block_node_is_read_only(node) ||
                  !(ts_block_node_open_flags(node) & TS_BLOCK_OPEN_RDWR);
    o.check = ts_block_node_open_flags(node) & TS_BLOCK_OPEN_CHECK;

    TsBlockChild *file = ts_block_open_child(node, "file", false, errp);
    if (!file)
        return false;
    init_io(n, file);
    char *msg = NULL;
    if (qcow2_open(&n->q, &n->io, &o, &msg) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "%s", msg);
        g_free(msg);
        return false;
    }
    if (qcow2_is_read_only(n->q) && !o.read_only)
        ts_block_node_set_read_only(node);
    n->opts = o;
    GError *err = NULL;
    const char *bf = qcow2_backing_file(n->q);
    char *resolved = backing_relative_to_image(
        bf, ts_block_node_filename(ts_block_child_node(file)));
    n->backing = ts_block_open_backing(node, resolved,
                                       qcow2_backing_fmt(n->q), &err);
    g_free(resolved);
    if (err) {
        g_propagate_error(errp, err);
        qcow2_close(n->q);
        n->q = NULL;
        return false;
    }
    if (n->backing) {
        int64_t len = ts_block_child_length(n->backing);
        n->backing_io = (Qcow2Backing) {
            .opaque = n, .pread = backing_pread, .size = len < 0 ? 0 : (uint64_t)len,
        };
        qcow2_set_backing(n->q, &n->backing_io);
    }
    g_mutex_init(&n->lock);
    g_cond_init(&n->idle);
    ts_block_node_set_length(node, qcow2_size(n->q));
    if (n->cache_clean_interval) {
        n->clean_timer = ts_timer_new(TS_CLOCK_HOST, clean_caches, n);
        ts_timer_mod(n->clean_timer, ts_clock_get_ns(TS_CLOCK_HOST) +
                     (int64_t)n->cache_clean_interval * 1000000000);
    }
    return true;
}

static void qcow2_node_close(TsBlockNode *node)
{
    Qcow2Node *n = (Qcow2Node *)node;
    if (n->clean_timer) {
        ts_timer_del(n->clean_timer);
        ts_timer_free(n->clean_timer);
    }
    if (n->q) {
        int ret = qcow2_close(n->q);
        if (ret < 0)
            ts_block_node_warn(node, "Failed to flush the image: %s", g_strerror(-ret));
    }
    g_mutex_clear(&n->lock);
    g_cond_clear(&n->idle);
}

/*
 * Switch between read-only and read-write (HMP commit into a backing file
 * opened read-only, as QEMU reopens it).  The node is drained.  The
 * engine is opened anew in the other mode before the old one is closed,
 * so a failure leaves the node as it was: to read-write the file below
 * is writable already (the core switches it first), back to read-only it
 * still is (the core switches it after), so closing the read-write
 * engine can still write the clean state of the header.
 */
static bool qcow2_node_reopen(TsBlockNode *node, bool read_write, GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    Qcow2Options o = n->opts;
    o.read_only = !read_write;
    Qcow2 *fresh = NULL;
    char *msg = NULL;
    lock_tables(n);
    int ret = qcow2_flush(n->q);
    if (ret == 0 && qcow2_open(&fresh, &n->io, &o, &msg) < 0) {
        ret = -EIO;
    }
    if (ret < 0) {
        g_mutex_unlock(&n->lock);
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "Could not reopen "
                    "qcow2 image %s: %s", read_write ? "read-write" : "read-only",
                    msg ? msg : g_strerror(-ret));
        g_free(msg);
        return false;
    }
    if (n->backing)
        qcow2_set_backing(fresh, &n->backing_io);
    Qcow2 *old = n->q;
    n->q = fresh;
    n->opts = o;
    ret = qcow2_close(old);
    g_mutex_unlock(&n->lock);
    if (ret < 0)
        ts_block_node_warn(node, "Failed to flush the image: %s", g_strerror(-ret));
    return true;
}

/* ---- I/O (worker threads) --------------------------------------------- */

/* File ranges one request may map to and still move its data directly
 * (a 1 MiB request over 64 KiB clusters written in order is one). */
#define DIRECT_EXTENTS_MAX 16

/* The `len` bytes that start `skip` bytes into iov, as a vector in out
 * (room for niov entries); returns its length. */
static int iov_slice(const struct iovec *iov, int niov, uint64_t skip,
                     uint64_t len, struct iovec *out)
{
    int n = 0;
    for (int i = 0; i < niov && len; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        size_t take = (size_t)MIN(iov[i].iov_len - skip, len);
        out[n++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, take };
        skip = 0;
        len -= take;
    }
    return n;
}

/*
 * A read, or a write in place, of clusters the image already holds:
 * the tables are looked up under the lock, the data moves without it, so
 * that requests on different clusters (the two parts of a guest's 1 MiB
 * read, say) run at once instead of one after the other.  false: the
 * engine must do this one.
 */
static bool try_direct(Qcow2Node *n, bool write, uint64_t offset,
                       uint64_t bytes, const struct iovec *iov, int niov,
                       int *ret)
{
    Qcow2Extent ext[DIRECT_EXTENTS_MAX];
    g_mutex_lock(&n->lock);
    int count = n->waiters ? 0 : qcow2_map_direct(n->q, offset, bytes, write,
                                                   ext, DIRECT_EXTENTS_MAX);
    if (count > 0) {
        /* Past the file's end the engine reads zeroes (file_pread). */
        int64_t end = ts_block_child_length(n->file);
        const Qcow2Extent *last = &ext[count - 1];
        if (end < 0 || last->host + last->len > (uint64_t)end)
            count = 0;
        for (int i = 0; i < count - 1; i++)
            if (ext[i].host + ext[i].len > (uint64_t)end)
                count = 0;
    }
    if (count <= 0) {
        g_mutex_unlock(&n->lock);
        *ret = count;
        return count < 0;
    }
    n->direct++;
    g_mutex_unlock(&n->lock);

    struct iovec *part = g_new(struct iovec, niov);
    uint64_t skip = 0;
    *ret = 0;
    for (int i = 0; i < count && *ret == 0; i++) {
        int np = iov_slice(iov, niov, skip, ext[i].len, part);
        *ret = write ? ts_block_child_pwritev(n->file, ext[i].host, ext[i].len,
                                              part, np, 0)
                     : ts_block_child_preadv(n->file, ext[i].host, ext[i].len,
                                             part, np, 0);
        skip += ext[i].len;
    }
    g_free(part);

    g_mutex_lock(&n->lock);
    if (--n->direct == 0)
        g_cond_broadcast(&n->idle);
    g_mutex_unlock(&n->lock);
    return true;
}

/* The engine works on flat buffers: a request in several pieces (a
 * guest's pages) is gathered or scattered around it through a buffer
 * each worker thread keeps: a fresh megabyte per request would be an
 * mmap, its page faults and an munmap, and malloc's would not be aligned
 * for a cache=none file, which would copy it once more. */
#define GATHER_ALIGN 4096
#define GATHER_KEEP_MAX (8u << 20)

typedef struct Gather {
    void *buf;
    size_t len;
} Gather;

static void gather_free(gpointer p)
{
    Gather *g = p;
    free(g->buf);
    g_free(g);
}

static GPrivate gather_key = G_PRIVATE_INIT(gather_free);

static uint8_t *gather_get(size_t len)
{
    Gather *g = g_private_get(&gather_key);
    if (!g) {
        g = g_new0(Gather, 1);
        g_private_set(&gather_key, g);
    }
    if (len > GATHER_KEEP_MAX || g->len < len) {
        void *p = NULL;
        if (posix_memalign(&p, GATHER_ALIGN, MAX(len, 1)) != 0)
            return NULL;
        if (len > GATHER_KEEP_MAX)
            return p;
        free(g->buf);
        g->buf = p;
        g->len = len;
    }
    return g->buf;
}

static void gather_put(uint8_t *buf, size_t len)
{
    if (len > GATHER_KEEP_MAX)
        free(buf);
}

static int qcow2_node_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                             const struct iovec *iov, int niov, unsigned flags)
{
    Qcow2Node *n = (Qcow2Node *)node;
    int dret;
    if (try_direct(n, false, offset, bytes, iov, niov, &dret))
        return dret;
    uint8_t *buf = niov == 1 ? iov[0].iov_base : gather_get(bytes);
    if (!buf)
        return -ENOMEM;
    lock_tables(n);
    int ret = qcow2_read(n->q, offset, buf, bytes);
    g_mutex_unlock(&n->lock);
    if (niov != 1) {
        uint64_t done = 0;
        for (int i = 0; i < niov && ret == 0; i++) {
            memcpy(iov[i].iov_base, buf + done, iov[i].iov_len);
            done += iov[i].iov_len;
        }
        gather_put(buf, bytes);
    }
    return ret;
}

static GPrivate compress_out_key = G_PRIVATE_INIT(gather_free);

static uint8_t *compress_out_get(size_t len)
{
    Gather *g = g_private_get(&compress_out_key);
    if (!g) {
        g = g_new0(Gather, 1);
        g_private_set(&compress_out_key, g);
    }
    if (len > GATHER_KEEP_MAX)
        return g_try_malloc(len);
    if (g->len < len) {
        free(g->buf);
        g->buf = malloc(len);
        g->len = g->buf ? len : 0;
    }
    return g->buf;
}

static void compress_out_put(uint8_t *buf, size_t len)
{
    if (len > GATHER_KEEP_MAX)
        g_free(buf);
}

/*
 * `convert -c`: whole clusters (or the short last one), each compressed
 * here, outside the engine's lock, so that the requests of several
 * worker threads compress at once; only the packing is serialised.
 */
static int pwritev_compressed(Qcow2Node *n, uint64_t offset, uint64_t bytes,
                              const uint8_t *buf)
{
    const uint64_t cs = qcow2_cluster_size(n->q);
    const uint64_t size = qcow2_size(n->q);
    if (offset % cs || (bytes % cs && offset + bytes != size))
        return -EINVAL;
    uint64_t count = (bytes + cs - 1) / cs;
    /* The compressed clusters wait in a buffer the thread keeps (a
     * fresh one per request was freed and faulted in again each time). */
    uint8_t *out = compress_out_get(count * (cs + sizeof(size_t)));
    if (!out)
        return -ENOMEM;
    size_t *clen = (size_t *)(out + count * cs);
    for (uint64_t i = 0; i < count; i++)
        clen[i] = qcow2_compress_cluster(n->q, buf + i * cs, MIN(cs, bytes - i * cs),
                                         out + i * cs);
    lock_tables(n);
    int ret = 0;
    for (uint64_t i = 0; i < count && ret == 0; i++)
        ret = qcow2_write_compressed_prepared(n->q, offset + i * cs, buf + i * cs,
                                              MIN(cs, bytes - i * cs), out + i * cs,
                                              clen[i]);
    g_mutex_unlock(&n->lock);
    compress_out_put(out, count * (cs + sizeof(size_t)));
    return ret;
}

static int qcow2_node_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                              const struct iovec *iov, int niov, unsigned flags)
{
    Qcow2Node *n = (Qcow2Node *)node;
    int dret;
    if (flags & TS_BLOCK_REQ_WRITE_COMPRESSED) {
        uint8_t *buf = niov == 1 ? iov[0].iov_base : gather_get(bytes);
        if (!buf)
            return -ENOMEM;
        if (niov != 1) {
            uint64_t done = 0;
            for (int i = 0; i < niov; i++) {
                memcpy(buf + done, iov[i].iov_base, iov[i].iov_len);
                done += iov[i].iov_len;
            }
        }
        int ret = pwritev_compressed(n, offset, bytes, buf);
        if (niov != 1)
            gather_put(buf, bytes);
        return ret;
    }
    if (try_direct(n, true, offset, bytes, iov, niov, &dret))
        return dret;
    uint8_t *buf = niov == 1 ? iov[0].iov_base : gather_get(bytes);
    if (!buf)
        return -ENOMEM;
    if (niov != 1) {
        uint64_t done = 0;
        for (int i = 0; i < niov; i++) {
            memcpy(buf + done, iov[i].iov_base, iov[i].iov_len);
            done += iov[i].iov_len;
        }
    }
    lock_tables(n);
    int ret = qcow2_write(n->q, offset, buf, bytes);
    g_mutex_unlock(&n->lock);
    if (niov != 1)
        gather_put(buf, bytes);
    return ret;
}

static int qcow2_node_flush(TsBlockNode *node)
{
    Qcow2Node *n = (Qcow2Node *)node;
    lock_tables(n);
    int ret = qcow2_flush(n->q);
    g_mutex_unlock(&n->lock);
    return ret;
}

static int qcow2_node_discard(TsBlockNode *node, uint64_t offset, uint64_t bytes)
{
    Qcow2Node *n = (Qcow2Node *)node;
    lock_tables(n);
    int ret = qcow2_discard(n->q, offset, bytes);
    g_mutex_unlock(&n->lock);
    return ret;
}

static int qcow2_node_make_empty(TsBlockNode *node)
{
    Qcow2Node *n = (Qcow2Node *)node;
    lock_tables(n);
    int ret = qcow2_make_empty(n->q);
    g_mutex_unlock(&n->lock);
    return ret;
}

static int qcow2_node_write_zeroes(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                                   unsigned flags)
{
    Qcow2Node *n = (Qcow2Node *)node;
    lock_tables(n);
    int ret = qcow2_write_zeroes(n->q, offset, bytes, flags & TS_BLOCK_REQ_MAY_UNMAP);
    g_mutex_unlock(&n->lock);
    return ret;
}

static int qcow2_node_block_status(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                                   uint64_t *pnum, uint64_t *map, TsBlockChild **file)
{
    Qcow2Node *n = (Qcow2Node *)node;
    uint64_t host;
    lock_tables(n);
    int f = qcow2_block_status(n->q, offset, bytes, pnum, &host);
    g_mutex_unlock(&n->lock);
    if (f < 0)
        return f;
    int out = 0;
    if (f & QCOW2_STATUS_ZERO)
        out |= TS_BLOCK_STATUS_ZERO;
    if (f & QCOW2_STATUS_DATA) {
        out |= TS_BLOCK_STATUS_ALLOCATED;
        if (!(f & QCOW2_STATUS_ZERO))
            out |= TS_BLOCK_STATUS_DATA;
        if (host) {
            out |= TS_BLOCK_STATUS_OFFSET_VALID;
            *map = host;
            *file = n->file;
        }
    }
    return out;
}

/* ---- main-thread hooks ------------------------------------------------- */

static bool qcow2_node_truncate(TsBlockNode *node, uint64_t length, bool exact,
                                TsBlockPrealloc prealloc, GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    if (prealloc != TS_BLOCK_PREALLOC_OFF) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Unsupported preallocation mode for resizing a qcow2 image");
        return false;
    }
    if (length % TS_BLOCK_SECTOR_SIZE) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "The new size must be a multiple of 512");
        return false;
    }
    char *msg = NULL;
    lock_tables(n);
    int ret = qcow2_truncate(n->q, length, &msg);
    g_mutex_unlock(&n->lock);
    if (ret < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "%s", msg);
        g_free(msg);
        return false;
    }
    ts_block_node_set_length(node, length);
    return true;
}

/* ---- internal snapshots (main thread, node drained for changes) ------- */

static bool qcow2_node_snapshot_list(TsBlockNode *node, TsBlockSnapshotInfo **list,
                                     int *count, GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    Qcow2SnapshotInfo *l = NULL;
    int nb = 0;
    lock_tables(n);
    int ret = qcow2_snapshot_list(n->q, &l, &nb);
    g_mutex_unlock(&n->lock);
    if (ret < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Error while listing snapshots: %s", g_strerror(-ret));
        return false;
    }
    *list = nb ? g_new0(TsBlockSnapshotInfo, nb) : NULL;
    for (int i = 0; i < nb; i++) {
        (*list)[i] = (TsBlockSnapshotInfo) {
            .id = g_strdup(l[i].id), .name = g_strdup(l[i].name ? l[i].name : ""),
            .vm_state_size = l[i].vm_state_size, .date_sec = l[i].date_sec,
            .date_nsec = l[i].date_nsec, .vm_clock_nsec = l[i].vm_clock_nsec,
            .icount = l[i].icount,
        };
    }
    *count = nb;
    qcow2_snapshot_list_free(l, nb);
    return true;
}

/* An engine call that changes the snapshot table, with QEMU's message
 * around the engine's when it has one. */
static bool snapshot_result(int ret, char *msg, const char *what, GError **errp)
{
    if (ret < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "%s: %s", what,
                    msg ? msg : g_strerror(-ret));
        g_free(msg);
        return false;
    }
    return true;
}

static bool qcow2_node_snapshot_create(TsBlockNode *node, const char *id, const char *name,
                                       uint64_t vm_clock_nsec, GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    char *msg = NULL;
    lock_tables(n);
    int ret = qcow2_snapshot_create(n->q, id, name, vm_clock_nsec, &msg);
    g_mutex_unlock(&n->lock);
    return snapshot_result(ret, msg, "Could not create snapshot", errp);
}

static bool qcow2_node_snapshot_goto(TsBlockNode *node, const char *id_or_name,
                                     GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    char *msg = NULL;
    lock_tables(n);
    int ret = qcow2_snapshot_apply(n->q, id_or_name, &msg);
    uint64_t size = qcow2_size(n->q);
    g_mutex_unlock(&n->lock);
    if (ret == 0)
        ts_block_node_set_length(node, size);   /* a snapshot keeps its size */
    return snapshot_result(ret, msg, "Could not apply snapshot", errp);
}

static bool qcow2_node_snapshot_delete(TsBlockNode *node, const char *id_or_name,
                                       GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    char *msg = NULL;
    lock_tables(n);
    int ret = qcow2_snapshot_delete(n->q, id_or_name, &msg);
    g_mutex_unlock(&n->lock);
    return snapshot_result(ret, msg, "Could not delete snapshot", errp);
}

static bool qcow2_node_get_info(TsBlockNode *node, TsBlockInfo *info, GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    const Qcow2Header *h = qcow2_header(n->q);
    info->cluster_size = qcow2_cluster_size(n->q);
    info->dirty = h->incompat & QCOW2_INCOMPAT_DIRTY;
    info->corrupt = qcow2_is_corrupt(n->q);
    info->backing_filename = g_strdup(qcow2_backing_file(n->q));
    info->backing_format = g_strdup(qcow2_backing_fmt(n->q));
    const char *ctype = h->compression_type == QCOW2_COMPRESSION_ZSTD ? "zstd" : "zlib";
    if (h->version == 2)
        info->format_specific_json = g_strdup_printf(
            "{\"compat\": \"0.10\", \"compression-type\": \"%s\", \"refcount-bits\": %u}",
            ctype, 1u << h->refcount_order);
    else
        info->format_specific_json = g_strdup_printf(
            "{\"compat\": \"1.1\", \"compression-type\": \"%s\", \"lazy-refcounts\": %s, "
            "\"refcount-bits\": %u, \"corrupt\": %s, \"extended-l2\": false}",
            ctype, (h->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) ? "true" : "false",
            1u << h->refcount_order, info->corrupt ? "true" : "false");
    return true;
}

/* `tessera-img check` (qcow2-check.c does the work). */
static int qcow2_node_check(TsBlockNode *node, TsBlockCheckResult *res, unsigned fix)
{
    Qcow2Node *n = (Qcow2Node *)node;
    Qcow2CheckReport r;
    lock_tables(n);
    int ret = qcow2_check_image(n->q, &r, (fix & TS_BLOCK_FIX_LEAKS ? QCOW2_FIX_LEAKS : 0) |
                                (fix & TS_BLOCK_FIX_ERRORS ? QCOW2_FIX_ERRORS : 0));
    g_mutex_unlock(&n->lock);
    *res = (TsBlockCheckResult) {
        .corruptions = (int)r.corruptions, .leaks = (int)r.leaks,
        .check_errors = (int)r.check_errors, .corruptions_fixed = (int)r.corruptions_fixed,
        .leaks_fixed = (int)r.leaks_fixed, .image_end_offset = (int64_t)r.image_end_offset,
        .total_clusters = (int64_t)r.total_clusters,
        .allocated_clusters = (int64_t)r.allocated_clusters,
        .fragmented_clusters = (int64_t)r.fragmented_clusters,
        .compressed_clusters = (int64_t)r.compressed_clusters,
    };
    return ret;
}

/* ---- create -------------------------------------------------------------- */

typedef struct Qcow2CreateOpts {
    uint64_t size;
    char *compat;
    char *backing_file;
    char *backing_fmt;
    uint64_t cluster_size;
    int preallocation;
    bool lazy_refcounts;
    uint64_t refcount_bits;
    int compression_type;
} Qcow2CreateOpts;

static const char *const prealloc_names[] = { "off", "metadata", "falloc", "full", NULL };
static const char *const compression_names[] = { "zlib", "zstd", NULL };

static const TsProperty qcow2_create_options[] = {
    TS_PROP_SIZE("size", Qcow2CreateOpts, size, 0, "Virtual disk size"),
    TS_PROP_STRING("compat", Qcow2CreateOpts, compat, "1.1",
                   "Compatibility level (v2 = 0.10, v3 = 1.1)"),
    TS_PROP_STRING("backing_file", Qcow2CreateOpts, backing_file, NULL,
                   "File name of a base image"),
    TS_PROP_STRING("backing_fmt", Qcow2CreateOpts, backing_fmt, NULL,
                   "Image format of the base image"),
    TS_PROP_SIZE("cluster_size", Qcow2CreateOpts, cluster_size, 65536, "qcow2 cluster size"),
    TS_PROP_ENUM("preallocation", Qcow2CreateOpts, preallocation, "off", prealloc_names,
                 "Preallocation mode (allowed values: off, metadata)"),
    TS_PROP_BOOL("lazy_refcounts", Qcow2CreateOpts, lazy_refcounts, false,
                 "Postpone refcount updates"),
    TS_PROP_UINT("refcount_bits", Qcow2CreateOpts, refcount_bits, 16,
                 "Width of a reference count entry in bits"),
    TS_PROP_ENUM("compression_type", Qcow2CreateOpts, compression_type, "zlib",
                 compression_names, "Compression method used for image cluster compression"),
    TS_PROP_END
};

static bool qcow2_node_create(const char *filename, const void *opaque, GError **errp)
{
    const Qcow2CreateOpts *c = opaque;
    Qcow2CreateOptions o = {
        .size = c->size, .cluster_size = (uint32_t)c->cluster_size,
        .backing_file = c->backing_file, .backing_fmt = c->backing_fmt,
        .lazy_refcounts = c->lazy_refcounts, .refcount_bits = (uint32_t)c->refcount_bits,
        .preallocate_metadata = c->preallocation == TS_BLOCK_PREALLOC_METADATA,
        .compression_type = c->compression_type,
    };
    if (c->preallocation > TS_BLOCK_PREALLOC_METADATA) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Unsupported preallocation mode '%s' (off and metadata are)",
                    prealloc_names[c->preallocation]);
        return false;
    }
    if (!c->compat || !strcmp(c->compat, "1.1") || !strcmp(c->compat, "v3"))
        o.version = 3;
    else if (!strcmp(c->compat, "0.10") || !strcmp(c->compat, "v2"))
        o.version = 2;
    else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid compatibility level: '%s'", c->compat);
        return false;
    }
    if (c->cluster_size > UINT32_MAX || c->refcount_bits > 64) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, c->refcount_bits > 64 ?
                    "Refcount width must be a power of two and may not exceed 64 bits" :
                    "Cluster size must be a power of two between 512 and 2048k");
        return false;
    }
    TsBlockChild *file = ts_block_create_file(filename, errp);
    if (!file)
        return false;
    Qcow2Node tmp = {0};
    init_io(&tmp, file);
    char *msg = NULL;
    int ret = qcow2_create(&tmp.io, &o, &msg);
    ts_block_child_release(file);
    if (ret < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "%s", msg);
        g_free(msg);
        return false;
    }
    return true;
}

/* `tessera-img amend -o` (qcow2-amend.c does the work); also how the
 * image tool's rebase rewrites the backing file name (the amend
 * subcommand itself refuses backing_file, as qemu-img does). */
static bool qcow2_node_amend(TsBlockNode *node, const void *opaque,
                             const char *const *given, GError **errp)
{
    Qcow2Node *n = (Qcow2Node *)node;
    const Qcow2CreateOpts *c = opaque;
    Qcow2AmendOptions o = { .lazy_refcounts = -1 };
    const Qcow2Header *h = qcow2_header(n->q);
    for (const char *const *g = given; *g; g++) {
        if (!strcmp(*g, "compat")) {
            if (!c->compat || !strcmp(c->compat, "1.1") || !strcmp(c->compat, "v3"))
                o.version = 3;
            else if (!strcmp(c->compat, "0.10") || !strcmp(c->compat, "v2"))
                o.version = 2;
            else {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "Unknown compatibility level %s", c->compat);
                return false;
            }
        } else if (!strcmp(*g, "lazy_refcounts")) {
            o.lazy_refcounts = c->lazy_refcounts;
        } else if (!strcmp(*g, "size")) {
            o.set_size = true;
            o.size = c->size;
        } else if (!strcmp(*g, "backing_file") || !strcmp(*g, "backing_fmt")) {
            o.set_backing = true;
            o.backing_file = c->backing_file;
            o.backing_fmt = c->backing_fmt;
        } else if (!strcmp(*g, "refcount_bits") &&
                   c->refcount_bits == (1u << h->refcount_order)) {
            /* The width it has already. */
        } else if (!strcmp(*g, "refcount_bits")) {
            g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                        "Changing the refcount width is not supported");
            return false;
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Invalid parameter '%s'\n"
                        "This option is only supported for image creation", *g);
            return false;
        }
    }
    char *msg = NULL;
    lock_tables(n);
    int ret = qcow2_amend(n->q, &o, &msg);
    uint64_t size = qcow2_size(n->q);
    g_mutex_unlock(&n->lock);
    if (ret < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "%s", msg ? msg : g_strerror(-ret));
        g_free(msg);
        return false;
    }
    ts_block_node_set_length(node, size);
    return true;
}

bool qcow2_node_measure(const void *opts, TsBlockNode *source,
                        TsBlockMeasure *out, GError **errp);   /* qcow2-measure.c */

static const TsBlockDriver qcow2_driver = {
    .name = "qcow2",
    .description = "QEMU copy-on-write image format, versions 2 and 3",
    .kind = TS_BLOCK_FORMAT,
    .instance_size = sizeof(Qcow2Node),
    .options = qcow2_options,
    .open = qcow2_node_open,
    .close = qcow2_node_close,
    .preadv = qcow2_node_preadv,
    .pwritev = qcow2_node_pwritev,
    .flush = qcow2_node_flush,
    .discard = qcow2_node_discard,
    .make_empty = qcow2_node_make_empty,
    .reopen = qcow2_node_reopen,
    .snapshot_list = qcow2_node_snapshot_list,
    .snapshot_create = qcow2_node_snapshot_create,
    .snapshot_goto = qcow2_node_snapshot_goto,
    .snapshot_delete = qcow2_node_snapshot_delete,
    .write_zeroes = qcow2_node_write_zeroes,
    .block_status = qcow2_node_block_status,
    .truncate = qcow2_node_truncate,
    .get_info = qcow2_node_get_info,
    .check = qcow2_node_check,
    .amend = qcow2_node_amend,
    .create = qcow2_node_create,
    .create_opts_size = sizeof(Qcow2CreateOpts),
    .create_options = qcow2_create_options,
    .measure = qcow2_node_measure,
    .supported_write_flags = TS_BLOCK_REQ_WRITE_COMPRESSED,
    .supports_backing = true,
    .has_zero_init = true,
};

static bool blk_qcow2_init(GError **errp)
{
    return ts_block_driver_register(&qcow2_driver, errp);
}

TS_PLUGIN("blk-qcow2", "qcow2 disk image format", blk_qcow2_init);
