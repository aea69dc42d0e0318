/*
 * memory-view.c - flattening region trees into views, publishing them to
 * lock-free readers, and freeing old views once no reader uses them.
 *
 * Readers use hazard pointers: each thread owns a slot where it writes the
 * view it is about to use, then checks that the view is still current.
 * The writer swaps in a new view, then frees the old one only if no slot
 * names it; if one does, the view waits on a retired list and the next
 * rebuild tries again.  Compared with a reference count on the view, a
 * reader writes only its own slot, so vCPU threads do not bounce a shared
 * cache line on every access; compared with RCU there are no grace periods
 * to wait for and no quiescent states to report.
 *
 * A second slot per thread holds a pinned view (ts_address_space_pin):
 * the same scheme, held for longer, so a JIT can keep host pointers into
 * RAM that the main thread unmaps meanwhile.
 */
#include "memory-internal.h"

/* Nesting limit for flattening: cycles are refused when mapping, this only
 * bounds the stack if a bug lets one through. */
#define RENDER_DEPTH_MAX 64

/* ------------------------------------------------------------------ */
/* Hazard slots                                                       */

typedef struct ReaderSlot {
    const FlatView *hazard;     /* atomic: view of the access in progress */
    const FlatView *pinned;     /* atomic: view of ts_address_space_pin */
    int in_use;                 /* atomic: owned by a live thread */
    struct ReaderSlot *next;    /* immutable once published */
} ReaderSlot;

/* Push-only list: slots are reused, never freed, so the writer can walk it
 * without a lock while threads come and go. */
static ReaderSlot *reader_slots;
static __thread ReaderSlot *my_slot;
static __thread TsAddressSpace *my_pinned_as;

static void slot_release(gpointer data)
{
    ReaderSlot *slot = data;
    __atomic_store_n(&slot->hazard, NULL, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->pinned, NULL, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->in_use, 0, __ATOMIC_RELEASE);
}

/* Frees this thread's slot for reuse when the thread ends. */
static GPrivate slot_owner = G_PRIVATE_INIT(slot_release);

static ReaderSlot *slot_claim(void)
{
    ReaderSlot *slot;
    for (slot = __atomic_load_n(&reader_slots, __ATOMIC_ACQUIRE); slot;
         slot = slot->next) {
        int idle = 0;
        if (__atomic_compare_exchange_n(&slot->in_use, &idle, 1, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            break;
        }
    }
    if (!slot) {
        slot = g_new0(ReaderSlot, 1);
        slot->in_use = 1;
        slot->next = __atomic_load_n(&reader_slots, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&reader_slots, &slot->next, slot,
                                            true, __ATOMIC_RELEASE,
                                            __ATOMIC_RELAXED)) {
        }
    }
    g_private_set(&slot_owner, slot);
    my_slot = slot;
    return slot;
}

/* Publish in *hazard the current view of `as` and return it. */
static const FlatView *protect(TsAddressSpace *as, const FlatView **hazard)
{
    const FlatView *view;
    /* Both sides use sequentially consistent accesses: either our re-read
     * sees the writer's swap (and we retry), or the writer's scan sees
     * our hazard (and keeps the view). */
    do {
        view = __atomic_load_n(&as->view, __ATOMIC_SEQ_CST);
        __atomic_store_n(hazard, view, __ATOMIC_SEQ_CST);
    } while (view != __atomic_load_n(&as->view, __ATOMIC_SEQ_CST));
    return view;
}

const FlatView *memory_view_acquire(TsAddressSpace *as)
{
    ReaderSlot *slot = my_slot ? my_slot : slot_claim();
    return protect(as, &slot->hazard);
}

void memory_view_release(void)
{
    __atomic_store_n(&my_slot->hazard, NULL, __ATOMIC_RELEASE);
}

const FlatView *memory_view_pinned(TsAddressSpace *as)
{
    return my_pinned_as == as ? my_slot->pinned : NULL;
}

TS_EXPORT void ts_address_space_pin(TsAddressSpace *as)
{
    g_return_if_fail(as);
    ts_address_space_unpin();
    ReaderSlot *slot = my_slot ? my_slot : slot_claim();
    protect(as, &slot->pinned);
    my_pinned_as = as;
}

static void reclaim_retired(void);

TS_EXPORT void ts_address_space_unpin(void)
{
    TsAddressSpace *as = my_pinned_as;
    if (!as) {
        return;
    }
    const FlatView *view = my_slot->pinned;
    __atomic_store_n(&my_slot->pinned, NULL, __ATOMIC_SEQ_CST);
    my_pinned_as = NULL;
    if (view != __atomic_load_n(&as->view, __ATOMIC_ACQUIRE)) {
        /* We may have been the last user of a replaced view: free it (and
         * unmapped RAM with it) now rather than at the next map change. */
        memory_topology_lock();
        reclaim_retired();
        memory_topology_unlock();
    }
}

static bool view_in_use(const FlatView *view)
{
    for (ReaderSlot *slot = __atomic_load_n(&reader_slots, __ATOMIC_ACQUIRE);
         slot; slot = slot->next) {
        if (__atomic_load_n(&slot->hazard, __ATOMIC_SEQ_CST) == view ||
            __atomic_load_n(&slot->pinned, __ATOMIC_SEQ_CST) == view) {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Views: lookup, free, retire                                        */

static uint64_t last_generation;
static GPtrArray *address_spaces;       /* topology lock */
static GSList *retired_views;           /* topology lock */

const FlatRange *memory_view_find(const FlatView *view, uint64_t addr,
                                  uint64_t *next_start)
{
    /* Consecutive accesses mostly hit the same range (code fetch, a
     * memcpy, one device's registers): remember the last hit per thread. */
    static __thread uint64_t hit_generation;
    static __thread size_t hit_index;

    if (hit_generation == view->generation && hit_index < view->n) {
        const FlatRange *r = &view->ranges[hit_index];
        if (addr >= r->start && addr <= r->last) {
            return r;
        }
    }
    size_t lo = 0, hi = view->n;        /* first range with last >= addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (view->ranges[mid].last < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < view->n && view->ranges[lo].start <= addr) {
        hit_generation = view->generation;
        hit_index = lo;
        return &view->ranges[lo];
    }
    if (next_start) {
        *next_start = lo < view->n ? view->ranges[lo].start : 0;
    }
    return NULL;
}

static void view_free(FlatView *view)
{
    for (size_t i = 0; i < view->n; i++) {
        ts_memory_region_unref(view->ranges[i].mr);
    }
    g_free(view);
}

/* Free what readers no longer use.  Topology lock held. */
static void reclaim_retired(void)
{
    GSList **link = &retired_views;
    while (*link) {
        GSList *cur = *link;
        if (view_in_use(cur->data)) {
            link = &cur->next;
            continue;
        }
        *link = cur->next;
        view_free(cur->data);
        g_slist_free_1(cur);
    }
}

static void retire(FlatView *view)
{
    retired_views = g_slist_prepend(retired_views, view);
}

/* ------------------------------------------------------------------ */
/* Flattening                                                         */

/*
 * Place guest [start, last] -> (mr, offset) into the sorted array, only
 * where nothing is placed yet.  Regions are rendered winner first, so
 * filling gaps is all that priority resolution takes.
 */
static void fill_gaps(GArray *ranges, uint64_t start, uint64_t last,
                      TsMemoryRegion *mr, uint64_t offset)
{
    guint lo = 0, hi = ranges->len;     /* first range with last >= start */
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(ranges, FlatRange, mid).last < start) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    uint64_t cur = start;
    for (guint i = lo;; ) {
        if (i < ranges->len) {
            const FlatRange *taken = &g_array_index(ranges, FlatRange, i);
            if (taken->start <= cur) {
                if (taken->last >= last) {
                    return;
                }
                cur = taken->last + 1;
                i++;
                continue;
            }
        }
        uint64_t gap_last = last;
        if (i < ranges->len) {
            uint64_t next = g_array_index(ranges, FlatRange, i).start;
            if (next <= last) {
                gap_last = next - 1;
            }
        }
        FlatRange piece = { cur, gap_last, mr, offset + (cur - start) };
        g_array_insert_val(ranges, i, piece);
        i++;
        if (gap_last == last) {
            return;
        }
        cur = gap_last + 1;
    }
}

/*
 * Render region-local offsets [lo, hi] of mr at guest address `at`.  The
 * caller already clipped [lo, hi] to the region's size.
 */
static void render(GArray *ranges, TsMemoryRegion *mr, uint64_t at,
                   uint64_t lo, uint64_t hi, int depth)
{
    if (!mr->enabled || mr->size == 0 || depth > RENDER_DEPTH_MAX) {
        return;
    }
    switch (mr->kind) {
    case TS_MEMORY_RAM:
    case TS_MEMORY_ROM:
    case TS_MEMORY_MMIO:
        fill_gaps(ranges, at, at + (hi - lo), mr, lo);
        return;
    case TS_MEMORY_ALIAS: {
        TsMemoryRegion *target = mr->alias_target;
        if (target->size == 0 || lo > region_last(target) ||
            mr->alias_offset > region_last(target) - lo) {
            return;                     /* window starts past the target */
        }
        uint64_t tlo = mr->alias_offset + lo;
        uint64_t thi = hi > region_last(target) - mr->alias_offset
                           ? region_last(target) : mr->alias_offset + hi;
        render(ranges, target, at, tlo, thi, depth + 1);
        return;
    }
    case TS_MEMORY_CONTAINER:
        for (guint i = 0; i < mr->children->len; i++) {
            TsMemoryRegion *child = g_ptr_array_index(mr->children, i);
            if (child->size == 0 || child->addr > hi) {
                continue;
            }
            uint64_t child_hi = region_last(child) > UINT64_MAX - child->addr
                                    ? UINT64_MAX
                                    : child->addr + region_last(child);
            if (child_hi < lo) {
                continue;
            }
            uint64_t clo = MAX(lo, child->addr), chi = MIN(hi, child_hi);
            render(ranges, child, at + (clo - lo), clo - child->addr,
                   chi - child->addr, depth + 1);
        }
        return;
    }
}

static FlatView *flatten(TsMemoryRegion *root)
{
    GArray *ranges = g_array_new(FALSE, FALSE, sizeof(FlatRange));
    if (root->size) {
        render(ranges, root, 0, 0, region_last(root), 0);
    }
    /* Join pieces that continue each other in one region (adjacent
     * aliases that together show a RAM contiguously): fewer ranges, and
     * ram_ptr works across the seam. */
    guint out = 0;
    for (guint i = 0; i < ranges->len; i++) {
        FlatRange *r = &g_array_index(ranges, FlatRange, i);
        FlatRange *prev = out ? &g_array_index(ranges, FlatRange, out - 1)
                              : NULL;
        if (prev && prev->mr == r->mr && prev->last + 1 == r->start &&
            prev->offset + (prev->last - prev->start) + 1 == r->offset) {
            prev->last = r->last;
            continue;
        }
        g_array_index(ranges, FlatRange, out++) = *r;
    }
    FlatView *view = g_malloc(sizeof(FlatView) + out * sizeof(FlatRange));
    view->generation = 0;
    view->n = out;
    for (guint i = 0; i < out; i++) {
        view->ranges[i] = g_array_index(ranges, FlatRange, i);
        ts_memory_region_ref(view->ranges[i].mr);
    }
    g_array_free(ranges, TRUE);
    return view;
}

static bool views_equal(const FlatView *a, const FlatView *b)
{
    return a->n == b->n &&
           memcmp(a->ranges, b->ranges, a->n * sizeof(FlatRange)) == 0;
}

static void publish(TsAddressSpace *as, FlatView *view)
{
    view->generation = ++last_generation;
    FlatView *old = as->view;
    __atomic_store_n(&as->view, view, __ATOMIC_SEQ_CST);
    __atomic_store_n(&as->generation, view->generation, __ATOMIC_RELEASE);
    if (old) {
        retire(old);
    }
}

void memory_views_rebuild(void)
{
    for (guint i = 0; address_spaces && i < address_spaces->len; i++) {
        TsAddressSpace *as = g_ptr_array_index(address_spaces, i);
        FlatView *view = flatten(as->root);
        if (views_equal(view, as->view)) {
            /* Unchanged for this space: keep readers' host pointers and
             * lookup caches valid. */
            view_free(view);
        } else {
            publish(as, view);
        }
    }
    reclaim_retired();
}

void memory_view_register(TsAddressSpace *as)
{
    if (!address_spaces) {
        address_spaces = g_ptr_array_new();
    }
    g_ptr_array_add(address_spaces, as);
    publish(as, flatten(as->root));
}

void memory_view_unregister(TsAddressSpace *as)
{
    g_ptr_array_remove(address_spaces, as);
    retire(as->view);
    as->view = NULL;
    reclaim_retired();
}

/* ------------------------------------------------------------------ */
/* Address spaces                                                     */

TS_EXPORT TsAddressSpace *ts_address_space_new(const char *name,
                                               TsMemoryRegion *root)
{
    g_return_val_if_fail(root != NULL, NULL);
    TsAddressSpace *as = g_new0(TsAddressSpace, 1);
    as->name = g_strdup(name ? name : "(anonymous)");
    as->root = ts_memory_region_ref(root);
    memory_topology_lock();
    memory_view_register(as);
    memory_topology_unlock();
    return as;
}

TS_EXPORT void ts_address_space_free(TsAddressSpace *as)
{
    if (!as) {
        return;
    }
    memory_topology_lock();
    memory_view_unregister(as);
    memory_topology_unlock();
    ts_memory_region_unref(as->root);
    g_free(as->name);
    g_free(as);
}

TS_EXPORT uint64_t ts_address_space_generation(const TsAddressSpace *as)
{
    return __atomic_load_n(&as->generation, __ATOMIC_ACQUIRE);
}
