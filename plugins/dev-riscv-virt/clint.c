/*
 * clint.c - the SiFive CLINT (core-local interruptor) of the virt board:
 * per-hart software interrupt (msip) and timer compare (mtimecmp) against
 * one shared mtime.
 *
 * Layout (offsets in the 64 KiB window):
 *   0x0000 + 4*h    msip[h]      bit 0 drives hart h's MSI line
 *   0x4000 + 8*h    mtimecmp[h]  MTI of hart h is high while mtime >= it
 *   0xbff8          mtime        10 MHz, from the virtual clock
 *
 * mtime is derived from the virtual clock rather than counted, so it stops
 * while the VM is stopped and every hart reads the same value; a write
 * stores an offset.  Each hart's compare has its own timer that raises MTI
 * when the clock gets there.
 */
#include <tessera/tessera.h>
#include "virt.h"

#define CLINT_SIZE      0x10000
#define MSIP_BASE       0x0000
#define MTIMECMP_BASE   0x4000
#define MTIME_OFFSET    0xbff8
#define NS_PER_TICK     (1000000000ull / VIRT_TIMEBASE_HZ)

typedef struct ClintHart {
    struct Clint *clint;
    unsigned index;
    uint64_t mtimecmp;
    uint32_t msip;
    TsTimer *timer;
} ClintHart;

typedef struct Clint {
    TsMmioDevice parent;        /* addr, window; its outputs are named */
    uint64_t num_harts;
    uint64_t mtime_offset;      /* ticks added to the clock's value
                                 * (modulo 2^64, as mtime wraps) */
    ClintHart *harts;
    TsIrq **msi_out, **mti_out;
} Clint;

static uint64_t clint_mtime(Clint *c)
{
    uint64_t ticks = (uint64_t)ts_clock_get_ns(TS_CLOCK_VIRTUAL) / NS_PER_TICK;
    return ticks + c->mtime_offset;
}

/* Set MTI from mtimecmp and, if it is in the future, arm the timer. */
static void clint_update_timer(ClintHart *h)
{
    Clint *c = h->clint;
    uint64_t now = clint_mtime(c);
    if (now >= h->mtimecmp) {
        ts_timer_del(h->timer);
        ts_irq_raise(c->mti_out[h->index]);
        return;
    }
    ts_irq_lower(c->mti_out[h->index]);
    uint64_t ticks = h->mtimecmp - now;
    int64_t now_ns = ts_clock_get_ns(TS_CLOCK_VIRTUAL);
    uint64_t delta_ns = ticks > (uint64_t)(INT64_MAX - now_ns) / NS_PER_TICK
                        ? (uint64_t)(INT64_MAX - now_ns) : ticks * NS_PER_TICK;
    ts_timer_mod(h->timer, now_ns + (int64_t)delta_ns);
}

static void clint_timer_fired(void *opaque)
{
    clint_update_timer(opaque);
}

static uint64_t clint_read(void *opaque, uint64_t addr, unsigned size)
{
    Clint *c = opaque;
    if (addr < MSIP_BASE + 4 * c->num_harts && size == 4) {
        return c->harts[addr / 4].msip;
    }
    if (addr >= MTIMECMP_BASE && addr < MTIMECMP_BASE + 8 * c->num_harts) {
        uint64_t v = c->harts[(addr - MTIMECMP_BASE) / 8].mtimecmp;
        return size == 4 && (addr & 4) ? v >> 32 : v & (size == 4 ? 0xffffffffu : ~0ull);
    }
    if (addr >= MTIME_OFFSET && addr < MTIME_OFFSET + 8) {
        uint64_t v = clint_mtime(c);
        return size == 4 && (addr & 4) ? v >> 32 : v & (size == 4 ? 0xffffffffu : ~0ull);
    }
    ts_log(TS_LOG_GUEST_ERROR, "clint: read of unknown register 0x%" PRIx64
           "\n", addr);
    return 0;
}

/* Merge a 4- or 8-byte write into a 64-bit register. */
static uint64_t merge(uint64_t old, uint64_t addr, uint64_t val,
                      unsigned size)
{
    if (size == 8) {
        return val;
    }
    return addr & 4 ? (old & 0xffffffffu) | (val << 32)
                    : (old & ~0xffffffffull) | (val & 0xffffffffu);
}

static void clint_write(void *opaque, uint64_t addr, uint64_t val,
                        unsigned size)
{
    Clint *c = opaque;
    if (addr < MSIP_BASE + 4 * c->num_harts && size == 4) {
        ClintHart *h = &c->harts[addr / 4];
        h->msip = val & 1;
        ts_irq_set(c->msi_out[h->index], h->msip);
    } else if (addr >= MTIMECMP_BASE &&
               addr < MTIMECMP_BASE + 8 * c->num_harts) {
        ClintHart *h = &c->harts[(addr - MTIMECMP_BASE) / 8];
        h->mtimecmp = merge(h->mtimecmp, addr, val, size);
        clint_update_timer(h);
    } else if (addr >= MTIME_OFFSET && addr < MTIME_OFFSET + 8) {
        uint64_t old = clint_mtime(c);
        c->mtime_offset += merge(old, addr, val, size) - old;
        for (unsigned i = 0; i < c->num_harts; i++) {
            clint_update_timer(&c->harts[i]);
        }
    } else {
        ts_log(TS_LOG_GUEST_ERROR, "clint: write to unknown register 0x%"
               PRIx64 "\n", addr);
    }
}

static const TsMemoryOps clint_ops = {
    .read = clint_read,
    .write = clint_write,
    .valid_min = 4, .valid_max = 8,
    .endian = TS_ENDIAN_LITTLE,
};

static bool clint_realize(TsMmioDevice *dev, GError **errp)
{
    Clint *c = (Clint *)dev;
    if (c->num_harts < 1 || c->num_harts > 4095) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "clint: num-harts must be 1 to 4095");
        return false;
    }
    if (!ts_mmio_device_init_mmio(dev, &clint_ops, c, CLINT_SIZE, errp)) {
        return false;
    }
    c->harts = g_new0(ClintHart, c->num_harts);
    c->msi_out = g_new0(TsIrq *, c->num_harts);
    c->mti_out = g_new0(TsIrq *, c->num_harts);
    for (unsigned i = 0; i < c->num_harts; i++) {
        c->harts[i] = (ClintHart){ .clint = c, .index = i,
                                   .mtimecmp = UINT64_MAX };
        c->harts[i].timer = ts_timer_new(TS_CLOCK_VIRTUAL, clint_timer_fired,
                                         &c->harts[i]);
    }
    ts_device_init_irq_out(TS_DEVICE(dev), "msi", c->msi_out, c->num_harts);
    ts_device_init_irq_out(TS_DEVICE(dev), "mti", c->mti_out, c->num_harts);
    return true;
}

static void clint_unrealize(TsMmioDevice *dev)
{
    Clint *c = (Clint *)dev;
    for (unsigned i = 0; c->harts && i < c->num_harts; i++) {
        ts_timer_free(c->harts[i].timer);
    }
    g_clear_pointer(&c->harts, g_free);
    g_clear_pointer(&c->msi_out, g_free);
    g_clear_pointer(&c->mti_out, g_free);
}

static void clint_reset(TsDevice *dev)
{
    Clint *c = (Clint *)dev;
    c->mtime_offset = 0;
    for (unsigned i = 0; i < c->num_harts; i++) {
        c->harts[i].msip = 0;
        c->harts[i].mtimecmp = UINT64_MAX;
        ts_timer_del(c->harts[i].timer);
        ts_irq_lower(c->msi_out[i]);
        ts_irq_lower(c->mti_out[i]);
    }
}

static const TsProperty clint_props[] = {
    TS_PROP_UINT("num-harts", Clint, num_harts, 1, "harts served"),
    TS_PROP_END,
};

/* No node of its own (fdt_name NULL): the board writes it, with the
 * harts' interrupt controllers in interrupts-extended (virt-fdt.c). */
static void clint_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = clint_realize;
    mc->unrealize = clint_unrealize;
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->reset = clint_reset;
    dc->user_creatable = false;
    ts_class_add_properties(klass, clint_props);
}

const TsTypeInfo virt_clint_type = {
    .name = VIRT_TYPE_CLINT,
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "SiFive CLINT: per-hart software and timer interrupts",
    .instance_size = sizeof(Clint),
    .class_init = clint_class_init,
};
