/*
 * tessera/memory.h - guest physical memory: regions, address spaces, access.
 *
 * Part of the Tessera plugin SDK.
 *
 * REGIONS
 *
 * A memory region is a range of guest-visible bytes of one kind:
 *   RAM        host memory, zero-filled, read/write
 *   ROM        host memory the guest can only read (the host fills it);
 *              a ROM device is a ROM whose guest writes go to a callback
 *   MMIO       a device's registers: every access calls the device
 *   ALIAS      a window onto part of another region
 *   CONTAINER  holds subregions at offsets; its own bytes are unassigned
 * Regions are plain reference-counted C objects, opaque to plugins.  A
 * ts_memory_region_new_* call returns one reference owned by the caller.
 * Mapping a region into a container makes the container hold a reference
 * of its own; an alias holds one on its target; an address space holds
 * one on its root.  So a device typically does
 *     mr = ts_memory_region_new_mmio(...); add_subregion(sysmem, addr, mr, 0);
 * in realize and remove_subregion + unref in unrealize.
 *
 * Sizes are in bytes.  UINT64_MAX means the whole 2^64 space (it is not
 * possible to express 2^64 otherwise).  A region of size 0 maps nothing.
 *
 * Subregions may overlap.  Where they do, the higher priority wins; at equal
 * priority the one added last wins.  Parts of a subregion outside its
 * container are clipped.  A region has at most one container at a time.
 *
 * ADDRESS SPACES AND THE FLAT VIEW
 *
 * An address space is what one bus master (a CPU, a DMA engine) sees: a
 * root region, flattened into a sorted array of non-overlapping ranges,
 * each pointing at a RAM, ROM or MMIO region.  Accesses binary-search that
 * array, so their cost does not depend on how deep the region tree is.
 * Every topology change (add/remove, enable/disable, move) builds new views
 * for all address spaces, unless batched in a transaction.
 *
 * THREADS
 *
 *  - Topology changes and region creation/destruction are serialised by
 *    an internal lock, but when vCPU threads may be running they must also
 *    be made with the big lock held (see <tessera/loop.h>): it is how an
 *    MMIO dispatch knows that the device it is about to call is still
 *    mapped.  In practice: from realize/unrealize, board init, the main
 *    loop, or an MMIO callback.
 *  - Accesses (read/write/load/store/ram_ptr/dma) may be made from any
 *    thread, with or without the big lock, concurrently with topology
 *    changes.  A reader publishes the view it uses in a per-thread
 *    "hazard" slot; the thread that replaces a view frees the old one only
 *    once no slot names it (otherwise at a later change).  Readers never
 *    block and never write shared cache lines for RAM accesses.
 *  - A host pointer from ts_address_space_ram_ptr() outlives the access;
 *    ts_address_space_pin() is how a thread keeps it valid across map
 *    changes (see there).
 *  - MMIO callbacks always run with the big lock held: the access takes it
 *    when the calling thread does not hold it already.
 *
 * GUESTS ARE HOSTILE
 *
 * Every access reports its outcome as a TsMemResult; nothing a guest or a
 * device model asks for (wild addresses, ranges wrapping past 2^64, bad
 * sizes, re-entrant DMA) aborts the process.  An MMIO region refuses an
 * access while one of its own callbacks is running (a device's DMA landing
 * in its own registers would otherwise recurse), and a device may mark its
 * region busy around other work with ts_memory_region_enter().
 */
#ifndef TESSERA_MEMORY_H
#define TESSERA_MEMORY_H

#include <inttypes.h>         /* PRIx64 for the uint64_t addresses below */

#include <tessera/types.h>

TS_BEGIN_DECLS

typedef struct TsMemoryRegion TsMemoryRegion;
typedef struct TsAddressSpace TsAddressSpace;

/* Byte order of a device's registers. */
typedef enum TsEndian {
    TS_ENDIAN_LITTLE = 0,
    TS_ENDIAN_BIG = 1,
} TsEndian;

/* Outcome of an access. */
typedef enum TsMemResult {
    TS_MEM_OK = 0,
    TS_MEM_UNASSIGNED,      /* (part of) the range maps to nothing */
    TS_MEM_ACCESS_ERROR,    /* the device refuses this size/alignment, or
                               the access would re-enter the device */
    TS_MEM_READONLY,        /* write to ROM: ignored */
} TsMemResult;

typedef enum TsMemoryRegionKind {
    TS_MEMORY_RAM,
    TS_MEMORY_ROM,
    TS_MEMORY_MMIO,
    TS_MEMORY_ALIAS,
    TS_MEMORY_CONTAINER,
} TsMemoryRegionKind;

/*
 * What a device does on an access to its MMIO region.  `addr` is the
 * offset in the region; `size` is 1, 2, 4 or 8; values are numbers in the
 * device's byte order (`endian`), so a little-endian device needs no
 * swapping.  A NULL read returns 0; a NULL write ignores the access.
 *
 * valid_min/valid_max: access sizes the device accepts (powers of two, 0:
 *   1 and 8).  Other sizes, and misaligned accesses unless unaligned_ok,
 *   are refused with TS_MEM_ACCESS_ERROR before any callback runs.
 * impl_min/impl_max: sizes the callbacks are written for (0: the valid
 *   bounds).  The core splits a larger access into impl_max pieces, and
 *   turns a smaller one into an impl_min access at the aligned-down offset
 *   (reads extract the bytes; writes pass the bytes in their lanes and
 *   zero in the others: set impl_min 1 if the device must know).
 * Keep the struct alive as long as any region uses it (a static const).
 */
typedef struct TsMemoryOps {
    uint64_t (*read)(void *opaque, uint64_t addr, unsigned size);
    void (*write)(void *opaque, uint64_t addr, uint64_t val, unsigned size);
    unsigned valid_min, valid_max;
    unsigned impl_min, impl_max;
    bool unaligned_ok;
    TsEndian endian;
    void *reserved[4];
} TsMemoryOps;

/* ------------------------------------------------------------------ */
/* Regions                                                            */

/*
 * A RAM region of `size` bytes, zero-filled.  Large regions are mapped
 * lazily (pages cost memory only once touched).  NULL + errp if the size
 * is 0, absurd (over 2^47) or the host has no memory for it.
 */
TsMemoryRegion *ts_memory_region_new_ram(const char *name, uint64_t size,
                                         GError **errp);

/*
 * The machine's main RAM (since ABI 1.5): what a board calls for the -m
 * bytes of guest RAM instead of ts_memory_region_new_ram, so that the
 * command line decides where the pages come from: -machine
 * memory-backend=ID (a memory-backend-ram/-file/-memfd object, whose size
 * the core has checked against `size`), -mem-path (a file), or anonymous
 * memory; -mem-prealloc applies to all.  `name` is the board's RAM name
 * (QEMU's default RAM id, "riscv_virt_board.ram").  NULL + errp as for
 * ts_memory_region_new_ram, or when the backing file cannot be opened.
 */
TsMemoryRegion *ts_memory_region_new_machine_ram(const char *name,
                                                 uint64_t size,
                                                 GError **errp);

/*
 * A ROM region: like RAM, but guest writes are ignored and reported as
 * TS_MEM_READONLY.  The host fills it through ts_memory_region_host_ptr().
 */
TsMemoryRegion *ts_memory_region_new_rom(const char *name, uint64_t size,
                                         GError **errp);

/*
 * A ROM device: reads come straight from host memory, as from a ROM (no
 * callback, no big lock, and CPUs may cache the host pointer), while
 * writes call ops->write with `opaque`, under the same size, alignment
 * and re-entrancy rules as an MMIO region's (ops->read is not used).
 * Flash chips are the user: in read-array mode the array is ROM-fast
 * and the guest's command writes still reach the device.  For the other
 * modes (status, query), whose reads the device must answer itself, map
 * an MMIO region of the same size under it and hide the ROM device with
 * ts_memory_region_set_enabled().  ts_memory_region_host_ptr() gives the
 * contents; its kind is TS_MEMORY_ROM ("romd" in dumps).  NULL + errp on
 * a bad size or inconsistent ops (ops->write must be set).
 */
TsMemoryRegion *ts_memory_region_new_rom_device(const char *name,
                                                uint64_t size,
                                                const TsMemoryOps *ops,
                                                void *opaque, GError **errp);

/*
 * An MMIO region: accesses call ops->read / ops->write with `opaque`.
 * The ops are copied.  Returns NULL (with a critical warning) if the ops
 * are inconsistent (sizes not powers of two up to 8, min above max).
 */
TsMemoryRegion *ts_memory_region_new_mmio(const char *name, uint64_t size,
                                          const TsMemoryOps *ops,
                                          void *opaque);

/*
 * A window of `size` bytes onto `target` starting at `offset` in it (what
 * lies beyond the target's end is unassigned).  Takes a reference on
 * the target.
 */
TsMemoryRegion *ts_memory_region_new_alias(const char *name,
                                           TsMemoryRegion *target,
                                           uint64_t offset, uint64_t size);

/* An empty container of `size` bytes (UINT64_MAX: the whole space). */
TsMemoryRegion *ts_memory_region_new_container(const char *name,
                                               uint64_t size);

/* Take a reference; returns mr.  Thread-safe; NULL is passed through. */
TsMemoryRegion *ts_memory_region_ref(TsMemoryRegion *mr);

/* Drop a reference; the last one frees the region (and detaches its
 * subregions).  Thread-safe; NULL is ignored. */
void ts_memory_region_unref(TsMemoryRegion *mr);

/*
 * Map `child` at `offset` in the container `parent`, with `priority`
 * (higher wins over overlapping siblings).  The container takes a
 * reference.  Returns false (with a critical warning) if parent is not a
 * container, child already has a container, or the mapping would make a
 * cycle (a container inside itself, directly or through an alias).
 */
bool ts_memory_region_add_subregion(TsMemoryRegion *parent, uint64_t offset,
                                    TsMemoryRegion *child, int priority);

/* Unmap `child` from `parent` and drop the container's reference.  Does
 * nothing if child is not in parent. */
void ts_memory_region_remove_subregion(TsMemoryRegion *parent,
                                       TsMemoryRegion *child);

/* Show or hide a region (and everything in it).  Regions start enabled. */
void ts_memory_region_set_enabled(TsMemoryRegion *mr, bool enabled);

/* Move a region to another offset within its container. */
void ts_memory_region_set_address(TsMemoryRegion *mr, uint64_t offset);

/* Size in bytes, as given at creation (UINT64_MAX: the whole space). */
uint64_t ts_memory_region_size(const TsMemoryRegion *mr);

/* Name given at creation. */
const char *ts_memory_region_name(const TsMemoryRegion *mr);

TsMemoryRegionKind ts_memory_region_kind(const TsMemoryRegion *mr);

/* Host memory behind a RAM or ROM region (size bytes, fixed for the
 * region's life), or NULL for other kinds. */
void *ts_memory_region_host_ptr(TsMemoryRegion *mr);

/*
 * Re-entrancy guard for device work outside MMIO callbacks (a bottom half
 * or a timer that does DMA): returns false if the region is already busy
 * (the caller must not proceed), else marks it busy, so that accesses to
 * it are refused with TS_MEM_ACCESS_ERROR until ts_memory_region_leave().
 * MMIO dispatch does the same around every callback.  Big lock held.
 */
bool ts_memory_region_enter(TsMemoryRegion *mr);
void ts_memory_region_leave(TsMemoryRegion *mr);

/*
 * Batch topology changes: views are rebuilt once, at the outermost
 * commit, instead of after each change.  Nests.  Other threads keep
 * seeing the old view until the commit.
 */
void ts_memory_transaction_begin(void);
void ts_memory_transaction_commit(void);

/* ------------------------------------------------------------------ */
/* Address spaces                                                     */

/* An address space over `root` (takes a reference on it).  `name` is
 * shown in dumps. */
TsAddressSpace *ts_address_space_new(const char *name, TsMemoryRegion *root);

/* Free an address space.  No other thread may be using it.  NULL is
 * ignored. */
void ts_address_space_free(TsAddressSpace *as);

/* The address space over ts_machine_system_memory() ("memory"), created on
 * first use; owned by the core. */
TsAddressSpace *ts_address_space_system(void);

/*
 * A number that changes whenever the address space's view changes.  A
 * user that caches host pointers from ts_address_space_ram_ptr() (a JIT's
 * TLB) drops them when it changes.  Thread-safe.
 */
uint64_t ts_address_space_generation(const TsAddressSpace *as);

/*
 * Pin the current view of `as` for the calling thread, until
 * ts_address_space_unpin(): ts_address_space_ram_ptr() on this thread then
 * answers from that snapshot, and every region in it stays alive.  Other
 * accesses (load/store/read/write/DMA) always use the current view.  A JIT
 * pins around running translated code and re-pins when
 * ts_address_space_generation() changes.  Costs readers nothing; a pin
 * only delays freeing replaced views, so do not hold one while the thread
 * sleeps.  One pin per thread: pinning again replaces it.
 */
void ts_address_space_pin(TsAddressSpace *as);

/* Drop this thread's pin (if any). */
void ts_address_space_unpin(void);

/*
 * Copy `len` bytes between guest memory at `addr` and `buf`.  The range
 * may span several regions; MMIO is accessed with the widest sizes its
 * device accepts.  Unassigned bytes read as 0 and are skipped on write.
 * Returns TS_MEM_OK or the first problem met (the rest is still done).
 * A range that wraps past 2^64 is refused whole (TS_MEM_UNASSIGNED).
 */
TsMemResult ts_address_space_read(TsAddressSpace *as, uint64_t addr,
                                  void *buf, size_t len);
TsMemResult ts_address_space_write(TsAddressSpace *as, uint64_t addr,
                                   const void *buf, size_t len);

/*
 * One access of `size` bytes (1, 2, 4 or 8), as a CPU does it.  The value
 * is the little-endian reading of the bytes at addr (a big-endian device's
 * values are swapped for it).  An MMIO access is checked against the
 * device's valid sizes and alignment as a whole.  On failure *val is 0.
 */
TsMemResult ts_address_space_load(TsAddressSpace *as, uint64_t addr,
                                  unsigned size, uint64_t *val);
TsMemResult ts_address_space_store(TsAddressSpace *as, uint64_t addr,
                                   unsigned size, uint64_t val);

/*
 * The host address of guest [addr, addr+len) if that range lies entirely
 * in one RAM region (or ROM, when !for_write), else NULL (MMIO, holes,
 * region boundaries, wrap past 2^64).  len 0 is taken as 1.  Fast: a
 * binary search (after a one-entry per-thread cache), no lock.
 *
 * The pointer stays valid while the region exists.  Without a pin that is
 * only known for regions never unmapped while this thread runs (a board's
 * main RAM).  With ts_address_space_pin(as) on this thread, the answer
 * comes from the pinned view and stays valid until the unpin, even if the
 * region is unmapped and released meanwhile.
 */
void *ts_address_space_ram_ptr(TsAddressSpace *as, uint64_t addr,
                               uint64_t len, bool for_write);

/*
 * DMA for device models: ts_address_space_read/write with the same
 * guarantees, named for the bus master's side.  Any guest-supplied
 * address and length is safe: host memory outside the guest's regions is
 * never touched, and a device's DMA into its own MMIO region is refused.
 */
TsMemResult ts_dma_read(TsAddressSpace *as, uint64_t addr, void *buf,
                        size_t len);
TsMemResult ts_dma_write(TsAddressSpace *as, uint64_t addr, const void *buf,
                         size_t len);

/*
 * Map guest [addr, addr+len) for a device's DMA without copying, when
 * that range is plain RAM of one region in the current view (or ROM, when
 * !for_write): returns its host address and sets *mr to a reference on
 * that region, which ts_dma_unmap() drops.  Anything else returns NULL
 * and leaves *mr NULL: MMIO (a ROM device's writes included), holes, a
 * range over a region boundary, len 0, a wrap past 2^64.  The caller then
 * copies with ts_dma_read/write, which handle every case.
 *
 * The reference keeps the host memory allocated until the unmap, even if
 * the region is unmapped from the guest or released meanwhile (accesses
 * then land in memory no guest sees any more), so the pointer may be
 * handed to another thread (a block request) and used without a lock.
 * Nothing notices the writes: use it for guest buffers, not for memory a
 * device or the CPU watches.  Any thread, no lock.
 */
void *ts_dma_map(TsAddressSpace *as, uint64_t addr, uint64_t len,
                 bool for_write, TsMemoryRegion **mr);

/* Drop the reference of a ts_dma_map().  NULL is ignored.  Any thread. */
void ts_dma_unmap(TsMemoryRegion *mr);

TS_END_DECLS

#endif
