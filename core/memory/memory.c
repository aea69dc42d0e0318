/*
 * memory.c - memory regions and their topology: creation, references,
 * subregions, transactions, and the system memory container.
 */
#include <sys/mman.h>

#include "memory-internal.h"
#include "memory-overlap.h"
#include "host-ram.h"

/* Guest RAM above this is a typo or an attack, not a machine: x86-64 and
 * arm64 user space cannot map more anyway. */
#define RAM_SIZE_MAX (UINT64_C(1) << 47)

static GRecMutex topology_lock;
static int transaction_depth;
static bool views_stale;
static uint64_t next_seq;

void memory_topology_lock(void)
{
    g_rec_mutex_lock(&topology_lock);
}

void memory_topology_unlock(void)
{
    g_rec_mutex_unlock(&topology_lock);
}

void memory_topology_changed(void)
{
    views_stale = true;
    if (transaction_depth == 0) {
        views_stale = false;
        memory_views_rebuild();
    }
}

TS_EXPORT void ts_memory_transaction_begin(void)
{
    memory_topology_lock();
    transaction_depth++;
    memory_topology_unlock();
}

TS_EXPORT void ts_memory_transaction_commit(void)
{
    memory_topology_lock();
    if (transaction_depth == 0) {
        g_critical("ts_memory_transaction_commit without begin");
    } else if (--transaction_depth == 0 && views_stale) {
        memory_topology_changed();
    }
    memory_topology_unlock();
}

/* ------------------------------------------------------------------ */
/* Creation and references                                            */

static TsMemoryRegion *region_new(TsMemoryRegionKind kind, const char *name,
                                  uint64_t size)
{
    TsMemoryRegion *mr = g_new0(TsMemoryRegion, 1);
    mr->refcount = 1;
    mr->kind = kind;
    mr->name = g_strdup(name ? name : "(anonymous)");
    mr->size = size;
    mr->enabled = true;
    return mr;
}

static TsMemoryRegion *region_new_host(TsMemoryRegionKind kind,
                                       const char *name, uint64_t size,
                                       GError **errp)
{
    const char *what = kind == TS_MEMORY_ROM ? "ROM" : "RAM";
    if (size == 0 || size > RAM_SIZE_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s '%s': size %" G_GUINT64_FORMAT " is %s", what,
                    name ? name : "", size,
                    size == 0 ? "zero" : "larger than 128 TiB");
        return NULL;
    }
    size_t mapped;
    void *host = host_ram_alloc(name ? name : "", size,
                                kind == TS_MEMORY_ROM, &mapped, errp);
    if (!host) {
        return NULL;
    }
    TsMemoryRegion *mr = region_new(kind, name, size);
    mr->host = host;
    mr->host_mapped = mapped;
    return mr;
}

TS_EXPORT TsMemoryRegion *ts_memory_region_new_ram(const char *name,
                                                   uint64_t size,
                                                   GError **errp)
{
    return region_new_host(TS_MEMORY_RAM, name, size, errp);
}

TsMemoryRegion *memory_region_new_mapped(const char *name, uint64_t size,
                                         void *host, size_t mapped)
{
    TsMemoryRegion *mr = region_new(TS_MEMORY_RAM, name, size);
    mr->host = host;
    mr->host_mapped = mapped;
    return mr;
}

TS_EXPORT TsMemoryRegion *ts_memory_region_new_rom(const char *name,
                                                   uint64_t size,
                                                   GError **errp)
{
    return region_new_host(TS_MEMORY_ROM, name, size, errp);
}

static bool access_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Fill in the defaults of `ops` once, so that dispatch never re-derives
 * them; false (with a critical warning) if they make no sense. */
static bool ops_normalise(const char *name, const TsMemoryOps *ops,
                          TsMemoryOps *out)
{
    TsMemoryOps o = *ops;
    o.valid_min = o.valid_min ? o.valid_min : 1;
    o.valid_max = o.valid_max ? o.valid_max : 8;
    o.impl_min = o.impl_min ? o.impl_min : o.valid_min;
    o.impl_max = o.impl_max ? o.impl_max : o.valid_max;
    if (!access_size_ok(o.valid_min) || !access_size_ok(o.valid_max) ||
        !access_size_ok(o.impl_min) || !access_size_ok(o.impl_max) ||
        o.valid_min > o.valid_max || o.impl_min > o.impl_max ||
        (o.endian != TS_ENDIAN_LITTLE && o.endian != TS_ENDIAN_BIG)) {
        g_critical("MMIO region '%s': inconsistent access sizes or endian",
                   name ? name : "");
        return false;
    }
    *out = o;
    return true;
}

TS_EXPORT TsMemoryRegion *ts_memory_region_new_mmio(const char *name,
                                                    uint64_t size,
                                                    const TsMemoryOps *ops,
                                                    void *opaque)
{
    g_return_val_if_fail(ops != NULL, NULL);
    TsMemoryOps o;
    if (!ops_normalise(name, ops, &o)) {
        return NULL;
    }
    TsMemoryRegion *mr = region_new(TS_MEMORY_MMIO, name, size);
    mr->ops = o;
    mr->opaque = opaque;
    return mr;
}

/* A ROM whose ops.write is set: memory-access.c sends guest writes to it
 * instead of refusing them. */
TS_EXPORT TsMemoryRegion *ts_memory_region_new_rom_device(
    const char *name, uint64_t size, const TsMemoryOps *ops, void *opaque,
    GError **errp)
{
    g_return_val_if_fail(ops != NULL && ops->write != NULL, NULL);
    TsMemoryOps o;
    if (!ops_normalise(name, ops, &o)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "ROM device '%s': inconsistent access sizes or endian",
                    name ? name : "");
        return NULL;
    }
    o.read = NULL;              /* reads come from host memory */
    TsMemoryRegion *mr = region_new_host(TS_MEMORY_ROM, name, size, errp);
    if (mr) {
        mr->ops = o;
        mr->opaque = opaque;
    }
    return mr;
}

TS_EXPORT TsMemoryRegion *ts_memory_region_new_alias(const char *name,
                                                     TsMemoryRegion *target,
                                                     uint64_t offset,
                                                     uint64_t size)
{
    g_return_val_if_fail(target != NULL, NULL);
    TsMemoryRegion *mr = region_new(TS_MEMORY_ALIAS, name, size);
    mr->alias_target = ts_memory_region_ref(target);
    mr->alias_offset = offset;
    return mr;
}

TS_EXPORT TsMemoryRegion *ts_memory_region_new_container(const char *name,
                                                         uint64_t size)
{
    TsMemoryRegion *mr = region_new(TS_MEMORY_CONTAINER, name, size);
    mr->children = g_ptr_array_new();
    return mr;
}

TS_EXPORT TsMemoryRegion *ts_memory_region_ref(TsMemoryRegion *mr)
{
    if (mr) {
        g_atomic_int_inc(&mr->refcount);
    }
    return mr;
}

static void region_free(TsMemoryRegion *mr)
{
    if (mr->children) {
        /* Nobody can reach a region with no references, so no view shows
         * these children any more: detaching them changes no mapping. */
        memory_topology_lock();
        for (guint i = 0; i < mr->children->len; i++) {
            TsMemoryRegion *child = g_ptr_array_index(mr->children, i);
            child->parent = NULL;
            ts_memory_region_unref(child);
        }
        memory_topology_unlock();
        g_ptr_array_free(mr->children, TRUE);
    }
    ts_memory_region_unref(mr->alias_target);
    if (mr->host_mapped) {
        munmap(mr->host, mr->host_mapped);
    } else {
        g_free(mr->host);
    }
    g_free(mr->name);
    g_free(mr);
}

TS_EXPORT void ts_memory_region_unref(TsMemoryRegion *mr)
{
    if (mr && g_atomic_int_dec_and_test(&mr->refcount)) {
        region_free(mr);
    }
}

/* ------------------------------------------------------------------ */
/* Topology                                                           */

/* True if `needle` is `from` or lies inside it (children, alias targets):
 * mapping `from` into `needle` would then make a cycle. */
static bool region_reaches(const TsMemoryRegion *from,
                           const TsMemoryRegion *needle)
{
    if (from == needle) {
        return true;
    }
    if (from->alias_target && region_reaches(from->alias_target, needle)) {
        return true;
    }
    for (guint i = 0; from->children && i < from->children->len; i++) {
        if (region_reaches(g_ptr_array_index(from->children, i), needle)) {
            return true;
        }
    }
    return false;
}

/* Order in which flattening visits siblings: the winner first. */
static bool goes_before(const TsMemoryRegion *a, const TsMemoryRegion *b)
{
    return a->priority != b->priority ? a->priority > b->priority
                                      : a->seq > b->seq;
}

static void children_insert_sorted(TsMemoryRegion *parent,
                                   TsMemoryRegion *child)
{
    guint i = 0;
    while (i < parent->children->len &&
           goes_before(g_ptr_array_index(parent->children, i), child)) {
        i++;
    }
    g_ptr_array_insert(parent->children, i, child);
}

TS_EXPORT bool ts_memory_region_add_subregion(TsMemoryRegion *parent,
                                              uint64_t offset,
                                              TsMemoryRegion *child,
                                              int priority)
{
    g_return_val_if_fail(parent && child, false);
    memory_topology_lock();
    const char *why = NULL;
    if (parent->kind != TS_MEMORY_CONTAINER) {
        why = "the parent is not a container";
    } else if (child->parent) {
        why = "it is already mapped in a container";
    } else if (region_reaches(child, parent)) {
        why = "the container would contain itself";
    }
    if (why) {
        memory_topology_unlock();
        g_critical("cannot map region '%s' in '%s': %s", child->name,
                   parent->name, why);
        return false;
    }
    ts_memory_region_ref(child);
    child->parent = parent;
    child->addr = offset;
    child->priority = priority;
    child->seq = ++next_seq;
    children_insert_sorted(parent, child);
    memory_topology_changed();
    memory_topology_unlock();
    return true;
}

TS_EXPORT void ts_memory_region_remove_subregion(TsMemoryRegion *parent,
                                                 TsMemoryRegion *child)
{
    g_return_if_fail(parent && child);
    memory_topology_lock();
    if (child->parent != parent ||
        !g_ptr_array_remove(parent->children, child)) {
        memory_topology_unlock();
        return;
    }
    child->parent = NULL;
    memory_topology_changed();
    memory_topology_unlock();
    /* After the rebuild: the old view keeps its own reference. */
    ts_memory_region_unref(child);
}

TS_EXPORT void ts_memory_region_set_enabled(TsMemoryRegion *mr, bool enabled)
{
    g_return_if_fail(mr);
    memory_topology_lock();
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        memory_topology_changed();
    }
    memory_topology_unlock();
}

TS_EXPORT void ts_memory_region_set_address(TsMemoryRegion *mr,
                                            uint64_t offset)
{
    g_return_if_fail(mr);
    memory_topology_lock();
    if (mr->addr != offset) {
        mr->addr = offset;
        memory_topology_changed();
    }
    memory_topology_unlock();
}

TS_EXPORT uint64_t ts_memory_region_size(const TsMemoryRegion *mr)
{
    return mr ? mr->size : 0;
}

TS_EXPORT const char *ts_memory_region_name(const TsMemoryRegion *mr)
{
    return mr ? mr->name : NULL;
}

TS_EXPORT TsMemoryRegionKind ts_memory_region_kind(const TsMemoryRegion *mr)
{
    return mr ? mr->kind : TS_MEMORY_CONTAINER;
}

TS_EXPORT void *ts_memory_region_host_ptr(TsMemoryRegion *mr)
{
    return mr ? mr->host : NULL;
}

TS_EXPORT bool ts_memory_region_enter(TsMemoryRegion *mr)
{
    g_return_val_if_fail(mr, false);
    if (mr->busy) {
        return false;
    }
    mr->busy = 1;
    return true;
}

TS_EXPORT void ts_memory_region_leave(TsMemoryRegion *mr)
{
    g_return_if_fail(mr);
    mr->busy = 0;
}

/* ------------------------------------------------------------------ */
/* System memory                                                      */

TS_EXPORT TsMemoryRegion *ts_machine_system_memory(void)
{
    static TsMemoryRegion *system;

    if (g_once_init_enter(&system)) {
        g_once_init_leave(&system,
                          ts_memory_region_new_container("system",
                                                         UINT64_MAX));
    }
    return system;
}

TS_EXPORT TsAddressSpace *ts_address_space_system(void)
{
    static TsAddressSpace *system_as;

    if (g_once_init_enter(&system_as)) {
        g_once_init_leave(&system_as,
                          ts_address_space_new("memory",
                                               ts_machine_system_memory()));
    }
    return system_as;
}

const char *memory_container_overlap(TsMemoryRegion *container,
                                     uint64_t addr, uint64_t size)
{
    if (!container || size == 0) {
        return NULL;
    }
    uint64_t last = size == UINT64_MAX || addr > UINT64_MAX - (size - 1)
                    ? UINT64_MAX : addr + (size - 1);
    const char *hit = NULL;
    memory_topology_lock();
    for (guint i = 0; container->children && i < container->children->len;
         i++) {
        const TsMemoryRegion *c = g_ptr_array_index(container->children, i);
        if (!c->enabled || c->size == 0) {
            continue;
        }
        uint64_t c_last = c->addr > UINT64_MAX - region_last(c)
                          ? UINT64_MAX : c->addr + region_last(c);
        if (c->addr <= last && addr <= c_last) {
            hit = c->name;
            break;
        }
    }
    memory_topology_unlock();
    return hit;
}
