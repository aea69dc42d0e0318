/*
 * plic.c - the RISC-V Platform-Level Interrupt Controller (as specified in
 * riscv-plic-spec 1.0.0), with two contexts per hart: 2h is hart h's
 * M-mode external interrupt (MEI), 2h+1 its S-mode one (SEI).
 *
 * Sources are level-triggered: a source's pending bit follows its input
 * line until a context claims it; while claimed it is not offered again
 * until the context completes it, after which a still-high line makes it
 * pending once more.  Source 0 does not exist.
 *
 * Register map (offsets):
 *   0x000000 + 4*s            priority of source s
 *   0x001000 + 4*(s/32)       pending bits (read-only)
 *   0x002000 + 0x80*c + ...   enable bits of context c
 *   0x200000 + 0x1000*c       priority threshold of context c
 *   0x200004 + 0x1000*c       claim (read) / complete (write) of context c
 */
#include <tessera/tessera.h>
#include "virt.h"

#define PLIC_PRIORITY     0x000000
#define PLIC_PENDING      0x001000
#define PLIC_ENABLE       0x002000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CONTEXT      0x200000
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_MAX_SOURCES  1024
#define PLIC_PRIO_MASK    7         /* 3 priority bits, as on QEMU's virt */

typedef struct Plic {
    TsMmioDevice parent;        /* addr, window; its lines are named */
    uint64_t num_sources;       /* including the non-existent source 0 */
    uint64_t num_harts;
    unsigned num_contexts;
    unsigned words;             /* 32-bit words of source bitmaps */
    uint32_t *priority;         /* per source */
    uint32_t *level;            /* input line levels, bitmap */
    uint32_t *pending;          /* bitmap */
    uint32_t *claimed;          /* bitmap: claimed, not yet completed */
    uint32_t *enable;           /* num_contexts bitmaps */
    uint32_t *threshold;        /* per context */
    TsIrq **ctx_out;
} Plic;

static bool test_bit(const uint32_t *map, unsigned n)
{
    return map[n / 32] >> (n % 32) & 1;
}

static void set_bit_to(uint32_t *map, unsigned n, bool v)
{
    if (v) {
        map[n / 32] |= 1u << (n % 32);
    } else {
        map[n / 32] &= ~(1u << (n % 32));
    }
}

/* The best pending, enabled source above the context's threshold, or 0. */
static unsigned plic_best(Plic *p, unsigned ctx)
{
    const uint32_t *en = &p->enable[ctx * p->words];
    unsigned best = 0;
    uint32_t best_prio = p->threshold[ctx];
    for (unsigned w = 0; w < p->words; w++) {
        uint32_t cand = p->pending[w] & en[w] & ~p->claimed[w];
        while (cand) {
            unsigned s = w * 32 + (unsigned)__builtin_ctz(cand);
            cand &= cand - 1;
            if (s && s < p->num_sources && p->priority[s] > best_prio) {
                best = s;
                best_prio = p->priority[s];
            }
        }
    }
    return best;
}

static void plic_update(Plic *p)
{
    for (unsigned c = 0; c < p->num_contexts; c++) {
        ts_irq_set(p->ctx_out[c], plic_best(p, c) != 0);
    }
}

static void plic_irq_in(void *opaque, unsigned n, int level)
{
    Plic *p = opaque;
    if (n == 0 || n >= p->num_sources) {
        return;
    }
    set_bit_to(p->level, n, level);
    if (level && !test_bit(p->claimed, n)) {
        set_bit_to(p->pending, n, true);
    } else if (!level) {
        set_bit_to(p->pending, n, false);
    }
    plic_update(p);
}

static uint64_t plic_read(void *opaque, uint64_t addr, unsigned size)
{
    Plic *p = opaque;
    if (addr < PLIC_PENDING) {
        unsigned s = (unsigned)(addr / 4);
        return s < p->num_sources ? p->priority[s] : 0;
    }
    if (addr < PLIC_ENABLE) {
        unsigned w = (unsigned)((addr - PLIC_PENDING) / 4);
        return w < p->words ? p->pending[w] : 0;
    }
    if (addr < PLIC_CONTEXT) {
        unsigned c = (unsigned)((addr - PLIC_ENABLE) / PLIC_ENABLE_STRIDE);
        unsigned w = (unsigned)((addr - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4);
        return c < p->num_contexts && w < p->words
               ? p->enable[c * p->words + w] : 0;
    }
    unsigned c = (unsigned)((addr - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE);
    unsigned reg = (unsigned)((addr - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE);
    if (c >= p->num_contexts) {
        return 0;
    }
    if (reg == 0) {
        return p->threshold[c];
    }
    if (reg == 4) {                 /* claim */
        unsigned s = plic_best(p, c);
        if (s) {
            set_bit_to(p->claimed, s, true);
            set_bit_to(p->pending, s, false);
            plic_update(p);
        }
        return s;
    }
    return 0;
}

static void plic_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    Plic *p = opaque;
    if (addr < PLIC_PENDING) {
        unsigned s = (unsigned)(addr / 4);
        if (s && s < p->num_sources) {
            p->priority[s] = (uint32_t)val & PLIC_PRIO_MASK;
        }
    } else if (addr < PLIC_ENABLE) {
        ts_log(TS_LOG_GUEST_ERROR, "plic: pending bits are read-only\n");
        return;
    } else if (addr < PLIC_CONTEXT) {
        unsigned c = (unsigned)((addr - PLIC_ENABLE) / PLIC_ENABLE_STRIDE);
        unsigned w = (unsigned)((addr - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4);
        if (c < p->num_contexts && w < p->words) {
            uint32_t v = (uint32_t)val;
            if (w == 0) {
                v &= ~1u;           /* source 0 does not exist */
            }
            p->enable[c * p->words + w] = v;
        }
    } else {
        unsigned c = (unsigned)((addr - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE);
        unsigned reg = (unsigned)((addr - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE);
        if (c >= p->num_contexts) {
            return;
        }
        if (reg == 0) {
            p->threshold[c] = (uint32_t)val & PLIC_PRIO_MASK;
        } else if (reg == 4) {      /* complete */
            unsigned s = (unsigned)val;
            if (s && s < p->num_sources && test_bit(p->claimed, s)) {
                set_bit_to(p->claimed, s, false);
                if (test_bit(p->level, s)) {
                    set_bit_to(p->pending, s, true);
                }
            }
        }
    }
    plic_update(p);
}

static const TsMemoryOps plic_ops = {
    .read = plic_read,
    .write = plic_write,
    .valid_min = 4, .valid_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static bool plic_realize(TsMmioDevice *dev, GError **errp)
{
    Plic *p = (Plic *)dev;
    if (p->num_sources < 2 || p->num_sources > PLIC_MAX_SOURCES ||
        p->num_harts < 1 || p->num_harts > 4096) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "plic: num-sources must be 2 to %d and num-harts 1 to "
                    "4096", PLIC_MAX_SOURCES);
        return false;
    }
    if (!ts_mmio_device_init_mmio(dev, &plic_ops, p,
                                  virt_plic_size((unsigned)p->num_harts),
                                  errp)) {
        return false;
    }
    p->num_contexts = (unsigned)p->num_harts * 2;
    p->words = (unsigned)(p->num_sources + 31) / 32;
    p->priority = g_new0(uint32_t, p->num_sources);
    p->level = g_new0(uint32_t, p->words);
    p->pending = g_new0(uint32_t, p->words);
    p->claimed = g_new0(uint32_t, p->words);
    p->enable = g_new0(uint32_t, (size_t)p->words * p->num_contexts);
    p->threshold = g_new0(uint32_t, p->num_contexts);
    p->ctx_out = g_new0(TsIrq *, p->num_contexts);
    ts_device_init_irq_in(TS_DEVICE(dev), "irq", (unsigned)p->num_sources,
                          plic_irq_in, p);
    ts_device_init_irq_out(TS_DEVICE(dev), "ctx", p->ctx_out,
                           p->num_contexts);
    return true;
}

static void plic_unrealize(TsMmioDevice *dev)
{
    Plic *p = (Plic *)dev;
    g_clear_pointer(&p->priority, g_free);
    g_clear_pointer(&p->level, g_free);
    g_clear_pointer(&p->pending, g_free);
    g_clear_pointer(&p->claimed, g_free);
    g_clear_pointer(&p->enable, g_free);
    g_clear_pointer(&p->threshold, g_free);
    g_clear_pointer(&p->ctx_out, g_free);
}

static void plic_reset(TsDevice *dev)
{
    Plic *p = (Plic *)dev;
    memset(p->priority, 0, p->num_sources * sizeof(uint32_t));
    memset(p->claimed, 0, p->words * sizeof(uint32_t));
    memset(p->enable, 0, (size_t)p->words * p->num_contexts * 4);
    memset(p->threshold, 0, p->num_contexts * sizeof(uint32_t));
    /* Lines keep their levels: a device still asserting stays pending. */
    memcpy(p->pending, p->level, p->words * sizeof(uint32_t));
    plic_update(p);
}

uint64_t virt_plic_size(unsigned harts)
{
    return PLIC_CONTEXT + (uint64_t)harts * 2 * PLIC_CONTEXT_STRIDE;
}

static const TsProperty plic_props[] = {
    TS_PROP_UINT("num-sources", Plic, num_sources, 96,
                 "interrupt sources, counting the unused source 0"),
    TS_PROP_UINT("num-harts", Plic, num_harts, 1,
                 "harts served (two contexts each: M and S)"),
    TS_PROP_END,
};

/* No node of its own (fdt_name NULL): the board writes it first, since
 * every device's interrupt-parent is its phandle (virt-fdt.c). */
static void plic_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = plic_realize;
    mc->unrealize = plic_unrealize;
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->reset = plic_reset;
    dc->user_creatable = false;
    ts_class_add_properties(klass, plic_props);
}

const TsTypeInfo virt_plic_type = {
    .name = VIRT_TYPE_PLIC,
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "RISC-V platform-level interrupt controller",
    .instance_size = sizeof(Plic),
    .class_init = plic_class_init,
};
