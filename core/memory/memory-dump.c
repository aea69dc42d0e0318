/*
 * memory-dump.c - region trees and flat views as text (HMP `info mtree`).
 */
#include <inttypes.h>

#include "memory-internal.h"
#include "memory-dump.h"

static const char *const kind_names[] = {
    [TS_MEMORY_RAM] = "ram",
    [TS_MEMORY_ROM] = "rom",
    [TS_MEMORY_MMIO] = "mmio",
    [TS_MEMORY_ALIAS] = "alias",
    [TS_MEMORY_CONTAINER] = "container",
};

/* QEMU's name for a ROM device, so dumps read the same. */
static const char *kind_name(const TsMemoryRegion *mr)
{
    return region_is_rom_device(mr) ? "romd" : kind_names[mr->kind];
}

/* Last address of a region placed at `start`, saturating at 2^64-1 (a
 * region hanging past the end is clipped there in the view too). */
static uint64_t end_of(uint64_t start, const TsMemoryRegion *mr)
{
    if (mr->size == 0) {
        return start;
    }
    uint64_t last = region_last(mr);
    return last > UINT64_MAX - start ? UINT64_MAX : start + last;
}

/* Display order: by address, then the winner first. */
static gint by_address(gconstpointer a, gconstpointer b)
{
    const TsMemoryRegion *x = *(TsMemoryRegion *const *)a;
    const TsMemoryRegion *y = *(TsMemoryRegion *const *)b;
    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    if (x->priority != y->priority) {
        return x->priority > y->priority ? -1 : 1;
    }
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static void dump_tree(GString *out, const TsMemoryRegion *mr, uint64_t start,
                      int priority, int depth, GPtrArray *alias_targets)
{
    g_string_append_printf(out, "%*s%016" PRIx64 "-%016" PRIx64
                           " (prio %d, %s%s): %s",
                           2 * depth, "", start, end_of(start, mr), priority,
                           kind_name(mr),
                           mr->enabled ? "" : ", disabled", mr->name);
    if (mr->size == 0) {
        g_string_append(out, " [empty]");
    }
    if (mr->kind == TS_MEMORY_ALIAS) {
        const TsMemoryRegion *target = mr->alias_target;
        g_string_append_printf(out, " @%s %016" PRIx64 "-%016" PRIx64,
                               target->name, mr->alias_offset,
                               end_of(mr->alias_offset, mr));
        if (!target->parent &&
            !g_ptr_array_find(alias_targets, target, NULL)) {
            g_ptr_array_add(alias_targets, (gpointer)target);
        }
    }
    g_string_append_c(out, '\n');
    if (mr->children && mr->children->len) {
        GPtrArray *sorted = g_ptr_array_copy(mr->children, NULL, NULL);
        g_ptr_array_sort(sorted, by_address);
        for (guint i = 0; i < sorted->len; i++) {
            const TsMemoryRegion *child = g_ptr_array_index(sorted, i);
            dump_tree(out, child, start + child->addr, child->priority,
                      depth + 1, alias_targets);
        }
        g_ptr_array_free(sorted, TRUE);
    }
}

char *ts_address_space_mtree(TsAddressSpace *as)
{
    g_return_val_if_fail(as, NULL);
    GString *out = g_string_new(NULL);
    GPtrArray *alias_targets = g_ptr_array_new();

    memory_topology_lock();
    g_string_append_printf(out, "address-space: %s\n", as->name);
    dump_tree(out, as->root, 0, 0, 1, alias_targets);
    /* Aliased regions that are mapped nowhere would otherwise be
     * invisible; the array grows while we walk it if they alias more. */
    for (guint i = 0; i < alias_targets->len; i++) {
        const TsMemoryRegion *target = g_ptr_array_index(alias_targets, i);
        if (target == as->root) {
            continue;
        }
        g_string_append_printf(out, "\nmemory-region: %s\n", target->name);
        dump_tree(out, target, 0, 0, 1, alias_targets);
    }
    memory_topology_unlock();

    g_ptr_array_free(alias_targets, TRUE);
    return g_string_free(out, FALSE);
}

char *ts_address_space_flat_dump(TsAddressSpace *as)
{
    g_return_val_if_fail(as, NULL);
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "FlatView for %s:\n", as->name);

    const FlatView *view = memory_view_acquire(as);
    for (size_t i = 0; i < view->n; i++) {
        const FlatRange *r = &view->ranges[i];
        g_string_append_printf(out, "  %016" PRIx64 "-%016" PRIx64
                               " (%s) %s @%016" PRIx64 "\n",
                               r->start, r->last, kind_name(r->mr),
                               r->mr->name, r->offset);
    }
    if (view->n == 0) {
        g_string_append(out, "  (nothing mapped)\n");
    }
    memory_view_release();
    return g_string_free(out, FALSE);
}
