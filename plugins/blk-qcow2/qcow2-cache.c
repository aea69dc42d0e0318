/* The table cache: a few cluster-sized tables, least recently used out. */
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
    c->e = g_new0(Qcow2CacheEntry, n);
}

void qcow2_cache_free(Qcow2Cache *c)
{
    for (int i = 0; i < c->count; i++)
        g_free(c->e[i].data);
    g_free(c->e);
    c->e = NULL;
    c->count = 0;
}

void qcow2_cache_drop(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->count; i++)
        if (c->e[i].offset == offset)
            c->e[i].offset = 0;
}

void qcow2_cache_clear(Qcow2Cache *c)
{
    for (int i = 0; i < c->count; i++) {
        c->e[i].offset = 0;
        g_clear_pointer(&c->e[i].data, g_free);
    }
}

static Qcow2CacheEntry *slot_for(Qcow2 *s, Qcow2Cache *c, uint64_t offset, bool *hit)
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
    if (!victim->data)
        victim->data = g_malloc(s->cluster_size);
    victim->offset = 0;
    victim->used = ++c->tick;
    return victim;
}

uint8_t *qcow2_cache_get(Qcow2 *s, Qcow2Cache *c, uint64_t offset, int *ret)
{
    bool hit;
    Qcow2CacheEntry *e = slot_for(s, c, offset, &hit);
    if (hit)
        return e->data;
    *ret = qcow2_pread(s, offset, e->data, s->cluster_size);
    if (*ret < 0)
        return NULL;
    e->offset = offset;
    return e->data;
}

void qcow2_cache_put(Qcow2 *s, Qcow2Cache *c, uint64_t offset, const uint8_t *data)
{
    bool hit;
    Qcow2CacheEntry *e = slot_for(s, c, offset, &hit);
    memcpy(e->data, data, s->cluster_size);
    e->offset = offset;
}
