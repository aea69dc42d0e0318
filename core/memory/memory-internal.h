/*
 * memory-internal.h - what the memory files (memory*.c) share.  Not SDK.
 *
 *   memory.c         regions, topology changes, transactions, system memory
 *   memory-view.c    flattening, publishing views, hazard slots for readers
 *   memory-access.c  reads, writes, MMIO dispatch, ram_ptr, DMA
 *   memory-dump.c    `info mtree` and flat view text
 *
 * Locks: the big lock (if taken) before the topology lock.  The topology
 * lock is recursive because freeing a view can free the last reference of
 * a container, which detaches its children under the same lock.  Readers
 * of views take no lock at all.
 */
#ifndef TESSERA_CORE_MEMORY_INTERNAL_H
#define TESSERA_CORE_MEMORY_INTERNAL_H

#include <tessera/memory.h>
#include <tessera/machine.h>

struct TsMemoryRegion {
    gint refcount;
    TsMemoryRegionKind kind;
    char *name;
    uint64_t size;              /* UINT64_MAX: 2^64 */

    /* Immutable after creation: readers on other threads use these. */
    uint8_t *host;              /* RAM, ROM */
    size_t host_mapped;         /* bytes mmap'ed, 0 if g_malloc'ed */
    TsMemoryOps ops;            /* MMIO, and a ROM device's writes (a ROM
                                 * with ops.write set); bounds normalised */
    void *opaque;
    TsMemoryRegion *alias_target;
    uint64_t alias_offset;

    /* Big lock: set while a callback or ts_memory_region_enter() runs. */
    int busy;

    /* Topology lock. */
    TsMemoryRegion *parent;     /* weak: the parent holds a reference */
    uint64_t addr;              /* offset in the parent */
    int priority;
    uint64_t seq;               /* when added: later wins at equal priority */
    bool enabled;
    GPtrArray *children;        /* containers: priority desc, then seq desc */
};

/* A ROM device: read like ROM, written through ops.write. */
static inline bool region_is_rom_device(const TsMemoryRegion *mr)
{
    return mr->kind == TS_MEMORY_ROM && mr->ops.write != NULL;
}

/* Inclusive last offset; the caller checks size != 0 first. */
static inline uint64_t region_last(const TsMemoryRegion *mr)
{
    return mr->size == UINT64_MAX ? UINT64_MAX : mr->size - 1;
}

/* One piece of the flat view: guest [start, last] is region `mr` from
 * `offset` on.  mr is RAM, ROM or MMIO (aliases resolved), referenced by
 * the view. */
typedef struct FlatRange {
    uint64_t start, last;
    TsMemoryRegion *mr;
    uint64_t offset;
} FlatRange;

typedef struct FlatView {
    uint64_t generation;        /* unique over the process */
    size_t n;
    FlatRange ranges[];         /* sorted, non-overlapping */
} FlatView;

struct TsAddressSpace {
    char *name;
    TsMemoryRegion *root;
    FlatView *view;             /* atomic: swapped by the topology side */
    uint64_t generation;        /* atomic copy of view->generation */
};

/* memory.c */
/* A RAM region over host memory mapped by someone else (a memory
 * backend): munmap'ed on the last unref. */
TsMemoryRegion *memory_region_new_mapped(const char *name, uint64_t size,
                                         void *host, size_t mapped);

void memory_topology_lock(void);
void memory_topology_unlock(void);
/* A mapping changed: rebuild views now, or at commit in a transaction.
 * Topology lock held. */
void memory_topology_changed(void);

/* memory-view.c (topology lock held unless said otherwise) */
void memory_view_register(TsAddressSpace *as);      /* builds the first view */
void memory_view_unregister(TsAddressSpace *as);    /* retires its view */
void memory_views_rebuild(void);
/* Readers, any thread, no lock: pin the current view of `as` until
 * memory_view_release().  Not nested: release before calling out. */
const FlatView *memory_view_acquire(TsAddressSpace *as);
void memory_view_release(void);
/* The view this thread pinned on `as`, or NULL. */
const FlatView *memory_view_pinned(TsAddressSpace *as);
/* The range holding addr, or NULL; then *next_start (if given) gets the
 * start of the first range above addr, or 0 if there is none. */
const FlatRange *memory_view_find(const FlatView *view, uint64_t addr,
                                  uint64_t *next_start);

#endif
