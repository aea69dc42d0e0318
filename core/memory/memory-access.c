/*
 * memory-access.c - guest memory accesses through an address space: RAM
 * and ROM copies, MMIO dispatch with access-size rules, host pointers for
 * the JIT, DMA.
 */
#include <string.h>

#include <tessera/loop.h>

#include "memory-internal.h"

static bool size_is_access(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

/* Values travel as "memory order" numbers: byte i of the access is bits
 * 8i..8i+7.  That is the CPU's little-endian view and what byte buffers
 * hold; a big-endian device sees each of its accesses swapped. */
static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    memcpy(&v, p, size);            /* one unaligned load on the hot path */
#else
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
#endif
    return v;
}

static void store_le(uint8_t *p, uint64_t v, unsigned size)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    memcpy(p, &v, size);
#else
    for (unsigned i = 0; i < size; i++) {
        p[i] = v >> (8 * i);
    }
#endif
}

/* ------------------------------------------------------------------ */
/* MMIO                                                               */

static uint64_t to_device_order(const TsMemoryRegion *mr, uint64_t v,
                                unsigned size)
{
    v &= size_mask(size);
    if (mr->ops.endian == TS_ENDIAN_LITTLE) {
        return v;
    }
    switch (size) {
    case 2: return GUINT16_SWAP_LE_BE((uint16_t)v);
    case 4: return GUINT32_SWAP_LE_BE((uint32_t)v);
    case 8: return GUINT64_SWAP_LE_BE(v);
    default: return v;
    }
}

static uint64_t device_read(TsMemoryRegion *mr, uint64_t off, unsigned size)
{
    if (!mr->ops.read) {
        return 0;
    }
    /* The swap is its own inverse. */
    return to_device_order(mr, mr->ops.read(mr->opaque, off, size), size);
}

static void device_write(TsMemoryRegion *mr, uint64_t off, uint64_t data,
                         unsigned size)
{
    if (mr->ops.write) {
        mr->ops.write(mr->opaque, off, to_device_order(mr, data, size), size);
    }
}

static bool device_accepts(const TsMemoryRegion *mr, uint64_t off,
                           unsigned size)
{
    return size >= mr->ops.valid_min && size <= mr->ops.valid_max &&
           (mr->ops.unaligned_ok || (off & (size - 1)) == 0);
}

/* An accepted access, reshaped into the sizes the callbacks implement. */
static void device_access(TsMemoryRegion *mr, uint64_t off, unsigned size,
                          uint64_t *data, bool is_write)
{
    unsigned imin = mr->ops.impl_min, imax = mr->ops.impl_max;
    uint64_t acc = 0;

    if (size >= imin && size <= imax) {
        if (is_write) {
            device_write(mr, off, *data, size);
        } else {
            *data = device_read(mr, off, size);
        }
        return;
    }
    if (size > imax) {
        /* Lower addresses carry the lower bytes in memory order, so this
         * is right for either device endianness. */
        for (unsigned i = 0; i < size; i += imax) {
            if (is_write) {
                device_write(mr, off + i, *data >> (8 * i), imax);
            } else {
                acc |= device_read(mr, off + i, imax) << (8 * i);
            }
        }
    } else {
        /* Narrower than the callbacks go: use the aligned impl_min word(s)
         * holding the bytes.  Two words if an unaligned access straddles. */
        for (unsigned i = 0; i < size; ) {
            uint64_t pos = off + i;
            uint64_t base = pos & ~(uint64_t)(imin - 1);
            unsigned lane = pos - base;
            unsigned n = MIN(size - i, imin - lane);
            if (is_write) {
                uint64_t bytes = (*data >> (8 * i)) & size_mask(n);
                device_write(mr, base, bytes << (8 * lane), imin);
            } else {
                uint64_t word = device_read(mr, base, imin);
                acc |= ((word >> (8 * lane)) & size_mask(n)) << (8 * i);
            }
            i += n;
        }
    }
    if (!is_write) {
        *data = acc;
    }
}

/*
 * Call the device behind `mr` (found in `view`, which the caller pinned
 * and which this releases: callbacks may access memory themselves).
 * Sets *retry if the map changed while we waited for the big lock: the
 * device may be gone, the caller must look the address up again.
 */
static TsMemResult mmio_dispatch(TsAddressSpace *as, const FlatView *view,
                                 TsMemoryRegion *mr, uint64_t off,
                                 unsigned size, uint64_t *data, bool is_write,
                                 bool *retry)
{
    uint64_t generation = view->generation;
    *retry = false;
    if (!device_accepts(mr, off, size)) {
        memory_view_release();
        return TS_MEM_ACCESS_ERROR;
    }
    /* The view keeps mr alive only while pinned. */
    ts_memory_region_ref(mr);
    memory_view_release();

    bool took_lock = !ts_bql_locked();
    if (took_lock) {
        ts_bql_lock();
        if (ts_address_space_generation(as) != generation) {
            ts_bql_unlock();
            ts_memory_region_unref(mr);
            *retry = true;
            return TS_MEM_OK;
        }
    }
    TsMemResult result = TS_MEM_ACCESS_ERROR;
    if (!mr->busy) {        /* a busy device is being re-entered: refuse */
        mr->busy = 1;
        device_access(mr, off, size, data, is_write);
        mr->busy = 0;
        result = TS_MEM_OK;
    }
    if (took_lock) {
        ts_bql_unlock();
    }
    ts_memory_region_unref(mr);
    return result;
}

/* The widest access the device takes at `off`, at most `left` bytes. */
static unsigned mmio_chunk_size(const TsMemoryRegion *mr, uint64_t off,
                                uint64_t left)
{
    unsigned k = mr->ops.valid_max;
    while (k > 1 && (k > left || (!mr->ops.unaligned_ok && (off & (k - 1))))) {
        k /= 2;
    }
    return k;
}

/* ------------------------------------------------------------------ */
/* Byte buffers                                                       */

/* Bytes available from addr to the end of range r (at least 1), capped
 * at `left`; written so that a range ending at 2^64-1 cannot overflow. */
static uint64_t bytes_in_range(const FlatRange *r, uint64_t addr,
                               uint64_t left)
{
    uint64_t avail_minus_one = r->last - addr;
    return left - 1 <= avail_minus_one ? left : avail_minus_one + 1;
}

/* Do the part of an access that falls in one range (or one hole);
 * *done gets how many bytes were handled (at least 1). */
static TsMemResult rw_step(TsAddressSpace *as, uint64_t addr, uint8_t *buf,
                           uint64_t left, bool is_write, uint64_t *done)
{
    for (;;) {
        const FlatView *view = memory_view_acquire(as);
        uint64_t next = 0;
        const FlatRange *r = memory_view_find(view, addr, &next);
        if (!r) {
            memory_view_release();
            *done = next && next - addr < left ? next - addr : left;
            if (!is_write) {
                memset(buf, 0, *done);
            }
            return TS_MEM_UNASSIGNED;
        }
        TsMemoryRegion *mr = r->mr;
        uint64_t off = r->offset + (addr - r->start);
        uint64_t n = bytes_in_range(r, addr, left);
        if (mr->kind != TS_MEMORY_MMIO &&
            !(is_write && region_is_rom_device(mr))) {
            TsMemResult result = TS_MEM_OK;
            if (!is_write) {
                memcpy(buf, mr->host + off, n);
            } else if (mr->kind == TS_MEMORY_RAM) {
                memcpy(mr->host + off, buf, n);
            } else {
                result = TS_MEM_READONLY;
            }
            memory_view_release();
            *done = n;
            return result;
        }
        unsigned k = mmio_chunk_size(mr, off, n);
        uint64_t data = is_write ? load_le(buf, k) : 0;
        bool retry;
        TsMemResult result = mmio_dispatch(as, view, mr, off, k, &data,
                                           is_write, &retry);
        if (retry) {
            continue;
        }
        if (!is_write) {
            store_le(buf, result == TS_MEM_OK ? data : 0, k);
        }
        *done = k;
        return result;
    }
}

static TsMemResult rw_bytes(TsAddressSpace *as, uint64_t addr, uint8_t *buf,
                            uint64_t len, bool is_write)
{
    if (len == 0) {
        return TS_MEM_OK;
    }
    if (len - 1 > UINT64_MAX - addr) {
        /* Wraps past 2^64: no bus does that, and a partial transfer
         * would hide the bug. */
        if (!is_write) {
            memset(buf, 0, len);
        }
        return TS_MEM_UNASSIGNED;
    }
    TsMemResult result = TS_MEM_OK;
    for (uint64_t pos = 0; pos < len; ) {
        uint64_t done;
        TsMemResult r = rw_step(as, addr + pos, buf + pos, len - pos,
                                is_write, &done);
        if (result == TS_MEM_OK) {
            result = r;
        }
        pos += done;
    }
    return result;
}

TS_EXPORT TsMemResult ts_address_space_read(TsAddressSpace *as, uint64_t addr,
                                            void *buf, size_t len)
{
    g_return_val_if_fail(as && (buf || !len), TS_MEM_ACCESS_ERROR);
    return rw_bytes(as, addr, buf, len, false);
}

TS_EXPORT TsMemResult ts_address_space_write(TsAddressSpace *as,
                                             uint64_t addr, const void *buf,
                                             size_t len)
{
    g_return_val_if_fail(as && (buf || !len), TS_MEM_ACCESS_ERROR);
    /* rw_bytes never writes to buf when is_write is set. */
    return rw_bytes(as, addr, (uint8_t *)buf, len, true);
}

TS_EXPORT TsMemResult ts_dma_read(TsAddressSpace *as, uint64_t addr,
                                  void *buf, size_t len)
{
    return ts_address_space_read(as, addr, buf, len);
}

TS_EXPORT TsMemResult ts_dma_write(TsAddressSpace *as, uint64_t addr,
                                   const void *buf, size_t len)
{
    return ts_address_space_write(as, addr, buf, len);
}

/* ------------------------------------------------------------------ */
/* Single accesses                                                    */

static TsMemResult access_one(TsAddressSpace *as, uint64_t addr,
                              unsigned size, uint64_t *data, bool is_write)
{
    for (;;) {
        const FlatView *view = memory_view_acquire(as);
        const FlatRange *r = memory_view_find(view, addr, NULL);
        if (!r || size - 1 > r->last - addr) {
            memory_view_release();
            break;          /* a hole, or straddles ranges: byte path */
        }
        TsMemoryRegion *mr = r->mr;
        uint64_t off = r->offset + (addr - r->start);
        if (mr->kind == TS_MEMORY_MMIO ||
            (is_write && region_is_rom_device(mr))) {
            bool retry;
            TsMemResult result = mmio_dispatch(as, view, mr, off, size, data,
                                               is_write, &retry);
            if (retry) {
                continue;
            }
            return result;
        }
        TsMemResult result = TS_MEM_OK;
        if (!is_write) {
            *data = load_le(mr->host + off, size);
        } else if (mr->kind == TS_MEMORY_RAM) {
            store_le(mr->host + off, *data, size);
        } else {
            result = TS_MEM_READONLY;
        }
        memory_view_release();
        return result;
    }
    uint8_t bytes[8];
    if (is_write) {
        store_le(bytes, *data, size);
    }
    TsMemResult result = rw_bytes(as, addr, bytes, size, is_write);
    if (!is_write) {
        *data = load_le(bytes, size);
    }
    return result;
}

TS_EXPORT TsMemResult ts_address_space_load(TsAddressSpace *as, uint64_t addr,
                                            unsigned size, uint64_t *val)
{
    g_return_val_if_fail(as && val, TS_MEM_ACCESS_ERROR);
    *val = 0;
    if (!size_is_access(size)) {
        return TS_MEM_ACCESS_ERROR;
    }
    uint64_t data = 0;
    TsMemResult result = access_one(as, addr, size, &data, false);
    *val = result == TS_MEM_OK ? data & size_mask(size) : 0;
    return result;
}

TS_EXPORT TsMemResult ts_address_space_store(TsAddressSpace *as,
                                             uint64_t addr, unsigned size,
                                             uint64_t val)
{
    g_return_val_if_fail(as, TS_MEM_ACCESS_ERROR);
    if (!size_is_access(size)) {
        return TS_MEM_ACCESS_ERROR;
    }
    val &= size_mask(size);
    return access_one(as, addr, size, &val, true);
}

/* ------------------------------------------------------------------ */
/* Host pointers                                                      */

TS_EXPORT void *ts_address_space_ram_ptr(TsAddressSpace *as, uint64_t addr,
                                         uint64_t len, bool for_write)
{
    g_return_val_if_fail(as, NULL);
    if (len == 0) {
        len = 1;
    }
    if (len - 1 > UINT64_MAX - addr) {
        return NULL;
    }
    /* A pinned view answers from its snapshot, whose regions stay alive
     * as long as the pin: that is what makes the pointer safe to keep. */
    const FlatView *pinned = memory_view_pinned(as);
    const FlatView *view = pinned ? pinned : memory_view_acquire(as);
    const FlatRange *r = memory_view_find(view, addr, NULL);
    void *ptr = NULL;
    if (r && len - 1 <= r->last - addr &&
        (r->mr->kind == TS_MEMORY_RAM ||
         (r->mr->kind == TS_MEMORY_ROM && !for_write))) {
        ptr = r->mr->host + r->offset + (addr - r->start);
    }
    if (!pinned) {
        memory_view_release();
    }
    return ptr;
}

/* ------------------------------------------------------------------ */
/* DMA mapping                                                        */

TS_EXPORT void *ts_dma_map(TsAddressSpace *as, uint64_t addr, uint64_t len,
                           bool for_write, TsMemoryRegion **mr)
{
    g_return_val_if_fail(as && mr, NULL);
    *mr = NULL;
    if (len == 0 || len - 1 > UINT64_MAX - addr) {
        return NULL;
    }
    /* The view keeps its regions alive while acquired: the reference is
     * taken before it is released, so the region cannot go in between. */
    const FlatView *view = memory_view_acquire(as);
    const FlatRange *r = memory_view_find(view, addr, NULL);
    void *ptr = NULL;
    if (r && len - 1 <= r->last - addr &&
        (r->mr->kind == TS_MEMORY_RAM ||
         (r->mr->kind == TS_MEMORY_ROM && !for_write)) && r->mr->host) {
        ptr = r->mr->host + r->offset + (addr - r->start);
        *mr = ts_memory_region_ref(r->mr);
    }
    memory_view_release();
    return ptr;
}

TS_EXPORT void ts_dma_unmap(TsMemoryRegion *mr)
{
    ts_memory_region_unref(mr);
}
