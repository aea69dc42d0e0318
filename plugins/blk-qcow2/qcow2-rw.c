/*
 * Guest reads and writes, zeroes, discard and block status, cluster by
 * cluster through the L2 entries.  Writes to a cluster this image owns
 * alone (COPIED) go in place; anything else gets a new cluster whose
 * refcount is on disk before the L2 entry points at it, and the old
 * cluster is released only once nothing points at it any more.
 */
#include "qcow2-int.h"

#include <errno.h>

static uint64_t l2_span(const Qcow2 *s)
{
    return (uint64_t)s->cluster_size * s->l2_entries;
}

static int read_backing(Qcow2 *s, uint64_t off, uint8_t *buf, size_t len)
{
    if (!s->has_backing || off >= s->backing.size) {
        memset(buf, 0, len);
        return 0;
    }
    size_t n = len;
    if (off + n > s->backing.size)
        n = (size_t)(s->backing.size - off);
    memset(buf + n, 0, len - n);
    return s->backing.pread(s->backing.opaque, off, buf, n);
}

/* The whole guest cluster an entry describes, decompressed (cached). */
static int read_compressed(Qcow2 *s, uint64_t entry, uint8_t **out)
{
    if (s->zcache_entry == entry && s->zcache) {
        *out = s->zcache;
        return 0;
    }
    uint64_t off, len;
    qcow2_compressed_range(s, entry, &off, &len);
    if (off >= s->file_end) {
        qcow2_report(s, "qcow2: compressed cluster at %#llx lies past the end of the image file",
                     (unsigned long long)off);
        return -EIO;
    }
    if (off + len > s->file_end)
        len = s->file_end - off; /* the last sector may be cut short */
    uint8_t *in = g_malloc(len);
    int ret = qcow2_pread(s, off, in, len);
    if (!s->zcache)
        s->zcache = g_malloc(s->cluster_size);
    s->zcache_entry = 0;
    if (ret == 0)
        ret = qcow2_decompress(s->h.compression_type, in, len, s->zcache, s->cluster_size);
    g_free(in);
    if (ret < 0)
        return ret;
    s->zcache_entry = entry;
    *out = s->zcache;
    return 0;
}

int qcow2_read(Qcow2 *s, uint64_t offset, void *buf, size_t len)
{
    uint8_t *p = buf;
    uint64_t cs = s->cluster_size;
    if (offset > s->h.size || len > s->h.size - offset)
        return -EIO;
    while (len) {
        uint64_t in = offset % cs;
        size_t n = (size_t)MIN(len, cs - in);
        uint64_t e;
        int ret = qcow2_get_entry(s, offset, &e);
        if (ret < 0)
            return ret;
        switch (qcow2_entry_type(s, e)) {
        case QCOW2_C_UNALLOCATED:
            ret = read_backing(s, offset, p, n);
            break;
        case QCOW2_C_ZERO_PLAIN:
        case QCOW2_C_ZERO_ALLOC:
            memset(p, 0, n);
            break;
        case QCOW2_C_NORMAL: {
            /* Gather following clusters that are contiguous in the file. */
            uint64_t host = (e & QCOW2_OFFSET_MASK) + in;
            while (n < len && (offset + n) % l2_span(s) != 0) {
                uint64_t e2;
                if (qcow2_get_entry(s, offset + n, &e2) < 0 ||
                    qcow2_entry_type(s, e2) != QCOW2_C_NORMAL ||
                    (e2 & QCOW2_OFFSET_MASK) != host + n)
                    break;
                n += (size_t)MIN(len - n, cs);
            }
            ret = qcow2_pread(s, host, p, n);
            break;
        }
        case QCOW2_C_COMPRESSED: {
            uint8_t *c;
            ret = read_compressed(s, e, &c);
            if (ret == 0)
                memcpy(p, c + in, n);
            break;
        }
        }
        if (ret < 0)
            return ret;
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

int qcow2_map_direct(Qcow2 *s, uint64_t offset, uint64_t len, bool write,
                     Qcow2Extent *out, int max)
{
    uint64_t cs = s->cluster_size;
    if (!len || offset > s->h.size || len > s->h.size - offset || s->corrupt ||
        (write && s->read_only))
        return 0;
    int n = 0;
    while (len) {
        uint64_t in = offset % cs;
        uint64_t piece = MIN(len, cs - in);
        uint64_t e;
        int ret = qcow2_get_entry(s, offset, &e);
        if (ret < 0)
            return ret;
        if (qcow2_entry_type(s, e) != QCOW2_C_NORMAL ||
            (write && !(e & QCOW2_OFLAG_COPIED)))
            return 0;
        uint64_t host = (e & QCOW2_OFFSET_MASK) + in;
        if (host + piece > s->file_end || host + piece < host ||
            (write && qcow2_overlaps(s, 0, host, piece)))
            return 0;       /* the engine reads zeroes or reports it */
        if (n && out[n - 1].host + out[n - 1].len == host) {
            out[n - 1].len += piece;
        } else {
            if (n == max)
                return 0;
            out[n++] = (Qcow2Extent){ host, piece };
        }
        offset += piece;
        len -= piece;
    }
    if (write) {
        int ret = qcow2_mark_dirty(s);
        if (ret < 0)
            return ret;
        s->need_flush = true;
    }
    return n;
}

/* The current contents of one guest cluster, whatever its entry says. */
static int read_cluster(Qcow2 *s, uint64_t guest, uint64_t e, uint8_t *out)
{
    uint64_t cs = s->cluster_size;
    switch (qcow2_entry_type(s, e)) {
    case QCOW2_C_UNALLOCATED:
        return read_backing(s, guest, out, cs);
    case QCOW2_C_NORMAL:
        return qcow2_pread(s, e & QCOW2_OFFSET_MASK, out, cs);
    case QCOW2_C_COMPRESSED: {
        uint8_t *c;
        int ret = read_compressed(s, e, &c);
        if (ret == 0)
            memcpy(out, c, cs);
        return ret;
    }
    default:
        memset(out, 0, cs);
        return 0;
    }
}

/* Release what an L2 entry that was just replaced pointed to; a cluster
 * this frees is discarded in the file when `discard` (a guest discard). */
static int release_entry(Qcow2 *s, uint64_t e, bool discard)
{
    uint64_t cs = s->cluster_size;
    switch (qcow2_entry_type(s, e)) {
    case QCOW2_C_NORMAL:
    case QCOW2_C_ZERO_ALLOC: {
        uint64_t host = e & QCOW2_OFFSET_MASK, rc;
        int ret = qcow2_refcount_update(s, host, cs, -1);
        /* Nothing points at it any more (and that is on disk before the
         * refcount went down): its bytes may go. */
        if (ret == 0 && discard && s->pass_discard && s->io.discard &&
            qcow2_refcount_get(s, host / cs, &rc) == 0 && rc == 0)
            s->io.discard(s->io.opaque, host, cs);
        return ret;
    }
    case QCOW2_C_COMPRESSED: {
        uint64_t off, len;
        qcow2_compressed_range(s, e, &off, &len);
        uint64_t first = off / cs * cs, end = (off + len + cs - 1) / cs * cs;
        return qcow2_refcount_update(s, first, end - first, -1);
    }
    }
    return 0;
}

static bool owned(const Qcow2 *s, uint64_t e)
{
    int t = qcow2_entry_type(s, e);
    return (t == QCOW2_C_NORMAL || t == QCOW2_C_ZERO_ALLOC) && (e & QCOW2_OFLAG_COPIED);
}

static int write_entries(Qcow2 *s, uint64_t l2, uint32_t first, uint32_t n,
                         const uint64_t *entries)
{
    int ret;
    uint8_t *t = qcow2_load_l2(s, l2, &ret);
    if (!t)
        return ret;
    for (uint32_t i = 0; i < n; i++)
        be64_put(t + (first + i) * 8, entries[i]);
    /* Written back later, after the refcounts and the data it points at
     * (qcow2-cache.c). */
    qcow2_cache_set_dirty(&s->l2_cache, l2, first * 8, (first + n) * 8);
    return 0;
}

/* Guest data going to consecutive host bytes from consecutive bytes of
 * the caller's buffer, gathered into one write: a sequential write into
 * freshly allocated (or already owned, adjacent) clusters becomes one
 * host write instead of one per cluster. */
typedef struct DataRun {
    uint64_t host;
    const uint8_t *data;
    uint64_t len;
} DataRun;

static int run_write(Qcow2 *s, DataRun *r)
{
    int ret = r->len ? qcow2_pwrite_checked(s, 0, r->host, r->data, r->len) : 0;
    r->len = 0;
    return ret;
}

static int run_add(Qcow2 *s, DataRun *r, uint64_t host, const uint8_t *data, uint64_t len)
{
    if (r->len && r->host + r->len == host && r->data + r->len == data) {
        r->len += len;
        return 0;
    }
    int ret = run_write(s, r);
    r->host = host;
    r->data = data;
    r->len = len;
    return ret;
}

/* A write inside one L2 table's span. */
static int write_run(Qcow2 *s, uint64_t offset, const uint8_t *buf, uint64_t len)
{
    uint64_t cs = s->cluster_size;
    uint64_t c0 = offset / cs, n = (offset + len - 1) / cs - c0 + 1;
    uint32_t idx0 = (uint32_t)(c0 % s->l2_entries);
    uint64_t l2;
    int ret = qcow2_l2_for_write(s, offset, &l2);
    if (ret < 0)
        return ret;
    uint64_t *old = g_new(uint64_t, n), *new = g_new(uint64_t, n);
    uint64_t need = 0;
    for (uint64_t i = 0; i < n && ret == 0; i++) {
        ret = qcow2_get_entry(s, (c0 + i) * cs, &old[i]);
        if (ret == 0 && !owned(s, old[i]))
            need++;
    }
    int64_t base = 0;
    if (ret == 0 && need)
        base = qcow2_alloc_clusters(s, need);
    if (base < 0)
        ret = (int)base;
    uint8_t *tmp = NULL;
    bool entries_change = false, releases = false;
    uint64_t j = 0;
    DataRun run = { 0 };
    for (uint64_t i = 0; i < n && ret == 0; i++) {
        uint64_t gs = (c0 + i) * cs;
        uint64_t p0 = MAX(offset, gs), p1 = MIN(offset + len, gs + cs);
        const uint8_t *data = buf + (p0 - offset);
        int type = qcow2_entry_type(s, old[i]);
        new[i] = old[i];
        if (owned(s, old[i]) && type == QCOW2_C_NORMAL) {
            ret = run_add(s, &run, (old[i] & QCOW2_OFFSET_MASK) + (p0 - gs),
                          data, p1 - p0);
            continue;
        }
        uint64_t host = owned(s, old[i]) ? (old[i] & QCOW2_OFFSET_MASK)
                                         : (uint64_t)base + (j++) * cs;
        if (p1 - p0 == cs) {
            ret = run_add(s, &run, host, data, cs);
        } else {
            if (!tmp)
                tmp = g_malloc(cs);
            ret = run_write(s, &run);
            if (ret == 0)
                ret = read_cluster(s, gs, old[i], tmp);
            if (ret == 0) {
                memcpy(tmp + (p0 - gs), data, p1 - p0);
                ret = qcow2_pwrite_checked(s, 0, host, tmp, cs);
            }
        }
        new[i] = host | QCOW2_OFLAG_COPIED;
        entries_change = true;
        if (!owned(s, old[i]) && type != QCOW2_C_UNALLOCATED && type != QCOW2_C_ZERO_PLAIN)
            releases = true;
    }
    if (ret == 0)
        ret = run_write(s, &run);
    /* The new refcounts and the data reach the disk before the entries:
     * the cache writes L2 tables back in that order. */
    if (ret == 0 && entries_change)
        ret = write_entries(s, l2, idx0, (uint32_t)n, new);
    if (ret == 0 && releases) {
        ret = qcow2_order_barrier(s);
        for (uint64_t i = 0; i < n && ret == 0; i++)
            if (new[i] != old[i] && !owned(s, old[i]))
                ret = release_entry(s, old[i], false);
    }
    g_free(tmp);
    g_free(old);
    g_free(new);
    return ret;
}

static int check_writable(Qcow2 *s, uint64_t offset, uint64_t len)
{
    if (s->corrupt)
        return -EIO;
    if (s->read_only)
        return -EROFS;
    if (offset > s->h.size || len > s->h.size - offset)
        return -EIO;
    return qcow2_mark_dirty(s);
}

int qcow2_write(Qcow2 *s, uint64_t offset, const void *buf, size_t len)
{
    int ret = check_writable(s, offset, len);
    const uint8_t *p = buf;
    while (ret == 0 && len) {
        uint64_t n = MIN(len, l2_span(s) - offset % l2_span(s));
        ret = write_run(s, offset, p, n);
        p += n;
        offset += n;
        len -= n;
    }
    return ret;
}

/* Whether replacing entry `old` by `new` lets go of a host cluster. */
static bool drops_cluster(const Qcow2 *s, uint64_t old, uint64_t new)
{
    return qcow2_entry_type(s, old) >= QCOW2_C_ZERO_ALLOC &&
           ((new & QCOW2_OFFSET_MASK) != (old & QCOW2_OFFSET_MASK) ||
            (old & QCOW2_OFLAG_COMPRESSED));
}

/* Whole clusters [c0, c0+n) inside one L2 span get entries made by
 * `make` from the old ones; what they pointed to is released after. */
static int rewrite_entries(Qcow2 *s, uint64_t c0, uint64_t n,
                           uint64_t (*make)(Qcow2 *, uint64_t, bool), bool unmap)
{
    uint64_t cs = s->cluster_size;
    uint64_t l1i = (c0 * cs) / l2_span(s);
    /* Nothing to change under an absent L2 table when the result would
     * read as zeroes anyway (no backing file). */
    if (!(s->l1[l1i] & QCOW2_OFFSET_MASK) && !s->has_backing)
        return 0;
    uint64_t l2;
    int ret = qcow2_l2_for_write(s, c0 * cs, &l2);
    if (ret < 0)
        return ret;
    uint64_t *old = g_new(uint64_t, n), *new = g_new(uint64_t, n);
    bool changed = false, releases = false;
    for (uint64_t i = 0; i < n && ret == 0; i++) {
        ret = qcow2_get_entry(s, (c0 + i) * cs, &old[i]);
        new[i] = make(s, old[i], unmap);
        changed |= new[i] != old[i];
        releases |= drops_cluster(s, old[i], new[i]);
    }
    if (ret == 0 && changed)
        ret = write_entries(s, l2, (uint32_t)(c0 % s->l2_entries), (uint32_t)n, new);
    if (ret == 0 && releases) {
        ret = qcow2_order_barrier(s);
        for (uint64_t i = 0; i < n && ret == 0; i++)
            if (drops_cluster(s, old[i], new[i]))
                ret = release_entry(s, old[i], true);
    }
    g_free(old);
    g_free(new);
    return ret;
}

static uint64_t make_zero(Qcow2 *s, uint64_t old, bool unmap)
{
    /* Keep an allocation we own when asked not to unmap. */
    if (!unmap && owned(s, old))
        return (old & QCOW2_OFFSET_MASK) | QCOW2_OFLAG_COPIED | QCOW2_OFLAG_ZERO;
    return QCOW2_OFLAG_ZERO;
}

static uint64_t make_discarded(Qcow2 *s, uint64_t old, bool unmap)
{
    /* v3 keeps a discarded cluster reading zero over a backing file;
     * v2 has no zero flag, and the backing file shows through, as in QEMU. */
    if (s->h.version >= 3 && s->has_backing)
        return QCOW2_OFLAG_ZERO;
    return 0;
}

static int for_whole_clusters(Qcow2 *s, uint64_t offset, uint64_t len,
                              uint64_t (*make)(Qcow2 *, uint64_t, bool), bool unmap)
{
    uint64_t cs = s->cluster_size;
    uint64_t c = offset / cs, end = (offset + len) / cs;
    int ret = 0;
    while (ret == 0 && c < end) {
        uint64_t n = MIN(end - c, s->l2_entries - c % s->l2_entries);
        ret = rewrite_entries(s, c, n, make, unmap);
        c += n;
    }
    return ret;
}

/* Zeroes written as data, skipping what already reads as zero on v2. */
static int zero_bytes(Qcow2 *s, uint64_t o, uint64_t n, const uint8_t *z)
{
    uint64_t e;
    int ret = qcow2_get_entry(s, o, &e);
    if (ret < 0)
        return ret;
    int t = qcow2_entry_type(s, e);
    if (t == QCOW2_C_ZERO_PLAIN || t == QCOW2_C_ZERO_ALLOC ||
        (t == QCOW2_C_UNALLOCATED && !s->has_backing))
        return 0;
    return qcow2_write(s, o, z, n);
}

int qcow2_write_zeroes(Qcow2 *s, uint64_t offset, uint64_t len, bool unmap)
{
    uint64_t cs = s->cluster_size;
    int ret = check_writable(s, offset, len);
    if (ret < 0)
        return ret;
    /* The cluster-aligned middle by entries (v3), the rest as data. */
    uint64_t a = (offset + cs - 1) / cs * cs, b = (offset + len) / cs * cs;
    if (offset + len == s->h.size)
        b = (offset + len + cs - 1) / cs * cs; /* the last, partial cluster */
    if (s->h.version < 3 || a >= b)
        a = b = offset;
    uint8_t *z = g_malloc0(cs);
    for (uint64_t o = offset; ret == 0 && o < a; ) {
        uint64_t n = MIN(cs - o % cs, a - o);
        ret = zero_bytes(s, o, n, z);
        o += n;
    }
    if (ret == 0 && a < b)
        ret = for_whole_clusters(s, a, b - a, make_zero, unmap);
    for (uint64_t o = MAX(b, a); ret == 0 && o < offset + len; ) {
        uint64_t n = MIN(cs - o % cs, offset + len - o);
        ret = zero_bytes(s, o, n, z);
        o += n;
    }
    g_free(z);
    return ret;
}

int qcow2_discard(Qcow2 *s, uint64_t offset, uint64_t len)
{
    uint64_t cs = s->cluster_size;
    int ret = check_writable(s, offset, len);
    if (ret < 0)
        return ret;
    uint64_t a = (offset + cs - 1) / cs * cs, end = offset + len;
    uint64_t b = end == s->h.size ? (end + cs - 1) / cs * cs : end / cs * cs;
    if (a >= b)
        return 0;
    return for_whole_clusters(s, a, b - a, make_discarded, true);
}

static uint64_t make_unallocated(Qcow2 *s, uint64_t old, bool unmap)
{
    return 0;
}

int qcow2_make_empty(Qcow2 *s)
{
    int ret = check_writable(s, 0, 0);
    uint64_t cs = s->cluster_size;
    uint64_t clusters = (s->h.size + cs - 1) / cs;
    for (uint64_t c = 0; ret == 0 && c < clusters; ) {
        uint64_t n = MIN(clusters - c, s->l2_entries - c % s->l2_entries);
        /* Under an absent L2 table everything is unallocated already:
         * do not allocate one just to write zero entries into it. */
        if (s->l1[(c * cs) / l2_span(s)] & QCOW2_OFFSET_MASK)
            ret = rewrite_entries(s, c, n, make_unallocated, true);
        c += n;
    }
    return ret;
}

int qcow2_block_status(Qcow2 *s, uint64_t offset, uint64_t len,
                       uint64_t *pnum, uint64_t *host)
{
    uint64_t cs = s->cluster_size;
    int flags = -1;
    uint64_t done = 0, first_host = 0;
    *pnum = 0;
    *host = 0;
    if (offset >= s->h.size)
        return 0;
    len = MIN(len, s->h.size - offset);
    while (done < len) {
        uint64_t o = offset + done, e;
        int ret = qcow2_get_entry(s, o, &e);
        if (ret < 0)
            return ret;
        int f = 0;
        uint64_t h = 0;
        switch (qcow2_entry_type(s, e)) {
        case QCOW2_C_UNALLOCATED:
            f = s->has_backing ? QCOW2_STATUS_BACKING : QCOW2_STATUS_ZERO;
            break;
        case QCOW2_C_ZERO_PLAIN:
        case QCOW2_C_ZERO_ALLOC:
            f = QCOW2_STATUS_ZERO | QCOW2_STATUS_DATA;
            break;
        case QCOW2_C_NORMAL:
            f = QCOW2_STATUS_DATA;
            h = (e & QCOW2_OFFSET_MASK) + o % cs;
            break;
        case QCOW2_C_COMPRESSED:
            f = QCOW2_STATUS_DATA | QCOW2_STATUS_COMPRESSED;
            break;
        }
        if (flags < 0) {
            flags = f;
            first_host = h;
        } else if (f != flags || (f == QCOW2_STATUS_DATA && h != first_host + done)) {
            break;
        }
        done += MIN(len - done, cs - o % cs);
    }
    *pnum = done;
    *host = first_host;
    return flags;
}
