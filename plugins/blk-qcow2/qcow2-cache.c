/*
 * The table caches: a few cluster-sized tables (L2 tables or refcount
 * blocks), least recently used out.  Write-back: a change marks the
 * bytes it touched dirty and reaches the file later, at a flush, before
 * other metadata is written, or when the slot is needed.  The order that
 * keeps a crash harmless is kept here, in one place: dirty refcount blocks
 * are written before any L2 table, and (without lazy refcounts) flushed
 * together with the data before the first L2 table is written, so no
 * table on disk ever points at a cluster whose refcount or contents are
 * not on disk yet.  Lowering a refcount is ordered by the callers: they
 * write back and flush the tables that dropped the pointer first
 * (qcow2_order_barrier).
 */
#include "qcow2-int.h"

#include <errno.h>

void qcow2_cache_init(Qcow2Cache *c, uint64_t bytes, uint32_t cluster_size)
{
    uint64_t n = bytes / cluster_size;
    /* At least a handful, so that one request's tables stay in. */
    if (n < 4)
        n = 4;
    if (n > 65536)
        n = 65536;
    c->count = (int)n;
    c->tick = 0;
    c->ndirty = 0;
    c->e = g_new0(Qcow2CacheEntry, n);
}

void qcow2_cache_free(Qcow2Cache *c)
{
    for (int i = 0; i < c->count; i++)
        g_free(c->e[i].data);
    g_free(c->e);
    c->e = NULL;
    c->count = 0;
    c->ndirty = 0;
}

static void set_clean(Qcow2Cache *c, Qcow2CacheEntry *e)
{
    if (e->dirty_end) {
        c->ndirty--;
        e->dirty_start = e->dirty_end = 0;
    }
}

void qcow2_cache_drop(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->count; i++)
        if (c->e[i].offset == offset) {
            set_clean(c, &c->e[i]);
            c->e[i].offset = 0;
        }
}

void qcow2_cache_clear(Qcow2Cache *c)
{
    for (int i = 0; i < c->count; i++) {
        set_clean(c, &c->e[i]);
        c->e[i].offset = 0;
        g_clear_pointer(&c->e[i].data, g_free);
    }
}

void qcow2_cache_clear_clean(Qcow2Cache *c)
{
    for (int i = 0; i < c->count; i++) {
        if (c->e[i].dirty_end)
            continue;
        c->e[i].offset = 0;
        g_clear_pointer(&c->e[i].data, g_free);
    }
}

void qcow2_cache_set_dirty(Qcow2Cache *c, uint64_t offset, uint32_t start, uint32_t end)
{
    for (int i = 0; i < c->count; i++) {
        Qcow2CacheEntry *e = &c->e[i];
        if (e->offset != offset || !offset)
            continue;
        if (!e->dirty_end) {
            c->ndirty++;
            e->dirty_start = start;
            e->dirty_end = end;
        } else {
            e->dirty_start = MIN(e->dirty_start, start);
            e->dirty_end = MAX(e->dirty_end, end);
        }
        return;
    }
}

static bool is_l2(Qcow2 *s, Qcow2Cache *c)
{
    return c == &s->l2_cache;
}

/* One dirty entry to the file: its dirty bytes, widened to whole 4 KiB
 * blocks (what the host's storage writes anyway), at most the cluster. */
static int write_entry(Qcow2 *s, Qcow2Cache *c, Qcow2CacheEntry *e)
{
    if (!e->dirty_end)
        return 0;
    uint64_t lo = e->dirty_start & ~4095ull;
    uint64_t hi = MIN(((uint64_t)e->dirty_end + 4095) & ~4095ull, s->cluster_size);
    int ret = qcow2_pwrite_checked(s, is_l2(s, c) ? QCOW2_OL_L2 : QCOW2_OL_REFBLOCK,
                                   e->offset + lo, e->data + lo, hi - lo);
    if (ret == 0)
        set_clean(c, e);
    return ret;
}

static int write_all(Qcow2 *s, Qcow2Cache *c)
{
    for (int i = 0; i < c->count && c->ndirty; i++) {
        int ret = write_entry(s, c, &c->e[i]);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int write_refblocks(Qcow2 *s)
{
    return write_all(s, &s->refblock_cache);
}

int qcow2_cache_order_write(Qcow2 *s, int kind)
{
    int ret = 0;
    if (kind & (QCOW2_OL_HEADER | QCOW2_OL_L1 | QCOW2_OL_REFTABLE |
                QCOW2_OL_SNAPTABLE | QCOW2_OL_SNAP_L1)) {
        /* These point at tables: every table first. */
        ret = qcow2_cache_write_back(s);
    } else if (kind & QCOW2_OL_L2) {
        /* An L2 table points at data and is counted: the refcounts, and
         * (ordered by a flush) the data and the refcounts on disk. */
        ret = write_refblocks(s);
        if (ret == 0 && !s->lazy_refcounts && s->need_flush)
            ret = qcow2_io_flush(s);
    }
    return ret;
}

int qcow2_cache_write_back(Qcow2 *s)
{
    int ret = write_refblocks(s);
    if (ret == 0)
        ret = write_all(s, &s->l2_cache);
    return ret;
}

bool qcow2_cache_any_dirty(const Qcow2 *s)
{
    return s->refblock_cache.ndirty || s->l2_cache.ndirty;
}

static Qcow2CacheEntry *slot_for(Qcow2 *s, Qcow2Cache *c, uint64_t offset, bool *hit,
                                 int *ret)
{
    Qcow2CacheEntry *victim = NULL;
    for (int i = 0; i < c->count; i++) {
        Qcow2CacheEntry *e = &c->e[i];
        if (e->offset == offset && offset) {
            *hit = true;
            e->used = ++c->tick;
            return e;
        }
        /* An empty slot first, else the least recently used. */
        if (!victim || (victim->offset && (!e->offset || e->used < victim->used)))
            victim = e;
    }
    *hit = false;
    /* A dirty table leaves only once its changes are in the file. */
    *ret = write_entry(s, c, victim);
    if (*ret < 0)
        return NULL;
    if (!victim->data)
        victim->data = g_malloc(s->cluster_size);
    victim->offset = 0;
    victim->used = ++c->tick;
    return victim;
}

uint8_t *qcow2_cache_get(Qcow2 *s, Qcow2Cache *c, uint64_t offset, int *ret)
{
    bool hit;
    Qcow2CacheEntry *e = slot_for(s, c, offset, &hit, ret);
    if (!e)
        return NULL;
    if (hit)
        return e->data;
    *ret = qcow2_pread(s, offset, e->data, s->cluster_size);
    if (*ret < 0)
        return NULL;
    e->offset = offset;
    return e->data;
}

int qcow2_cache_put(Qcow2 *s, Qcow2Cache *c, uint64_t offset, const uint8_t *data)
{
    bool hit;
    int ret = 0;
    Qcow2CacheEntry *e = slot_for(s, c, offset, &hit, &ret);
    if (!e)
        return ret;
    memcpy(e->data, data, s->cluster_size);
    e->offset = offset;
    set_clean(c, e);            /* the caller wrote these contents */
    return 0;
}
