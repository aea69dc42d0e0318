/*
 * aplic.c - one interrupt domain of the RISC-V Advanced Platform-Level
 * Interrupt Controller (AIA 1.0, chapter 4).
 *
 * A board makes a root domain (machine level) that receives the wired
 * sources on its "irq" inputs, and optionally one child domain
 * (supervisor level) linked to it with "parent".  A source the root
 * delegates (sourcecfg.D) is handled by the child as if wired to it;
 * in the root it is then inactive.
 *
 * Delivery is fixed per domain ("msimode"): direct delivery drives one
 * output "idc" per hart (the hart's MEI or SEI line) through interrupt
 * delivery controls with claim registers; MSI delivery writes the
 * source's EIID to the target hart's IMSIC page (a 32-bit store to the
 * domain's DMA address space, system memory) at the address the root's
 * mmsiaddrcfg/smsiaddrcfg registers describe.
 *
 * Register map (offsets in the domain's window):
 *   0x0000           domaincfg
 *   0x0004 + 4(i-1)  sourcecfg[i]           i = 1 .. num-sources
 *   0x1bc0..0x1bcc   mmsiaddrcfg(h), smsiaddrcfg(h) (root, MSI mode)
 *   0x1c00 / 0x1cdc  setip[k] / setipnum
 *   0x1d00 / 0x1ddc  in_clrip[k] / clripnum
 *   0x1e00 / 0x1edc  setie[k] / setienum
 *   0x1f00 / 0x1fdc  clrie[k] / clrienum
 *   0x2000 / 0x2004  setipnum_le / setipnum_be
 *   0x3000           genmsi (MSI mode)
 *   0x3004 + 4(i-1)  target[i]
 *   0x4000 + 32h     the IDC of hart h (direct mode): idelivery 0x00,
 *                    iforce 0x04, ithreshold 0x08, topi 0x18, claimi 0x1c
 * Anything else reads 0 and ignores writes.
 */
#include <tessera/tessera.h>
#include "aia.h"

enum {
    DOMAINCFG = 0x0000, SOURCECFG = 0x0004,
    MMSIADDRCFG = 0x1bc0, MMSIADDRCFGH = 0x1bc4,
    SMSIADDRCFG = 0x1bc8, SMSIADDRCFGH = 0x1bcc,
    SETIP = 0x1c00, SETIPNUM = 0x1cdc, IN_CLRIP = 0x1d00, CLRIPNUM = 0x1ddc,
    SETIE = 0x1e00, SETIENUM = 0x1edc, CLRIE = 0x1f00, CLRIENUM = 0x1fdc,
    SETIPNUM_LE = 0x2000, SETIPNUM_BE = 0x2004,
    GENMSI = 0x3000, TARGET = 0x3004,
    IDC = 0x4000, IDC_SIZE = 32,
    IDELIVERY = 0x00, IFORCE = 0x04, ITHRESHOLD = 0x08, TOPI = 0x18,
    CLAIMI = 0x1c,
};

#define DOMAINCFG_RO   0x80000000u  /* bits 31:24 read as 0x80 */
#define DOMAINCFG_IE   (1u << 8)
#define DOMAINCFG_DM   (1u << 2)
#define SOURCECFG_D    (1u << 10)
#define SOURCECFG_SM   7u
#define MSIADDRCFGH_L  (1u << 31)
#define MSIADDRCFGH_MASK 0x9f77f0ffu /* L HHXS LHXS HHXW LHXW PPN[43:32] */
#define SMSIADDRCFGH_MASK 0x00700fffu /* LHXS PPN[43:32] */
#define TARGET_HART_SHIFT 18
#define TARGET_EIID    0x7ffu
#define TARGET_IPRIO   0xffu        /* 8 priority bits, as on QEMU's virt */
#define GENMSI_BUSY    (1u << 12)

enum { SM_INACTIVE = 0, SM_DETACHED = 1, SM_EDGE1 = 4, SM_EDGE0 = 5,
       SM_LEVEL1 = 6, SM_LEVEL0 = 7 };

typedef struct AplicIdc {
    uint32_t idelivery, iforce, ithreshold;
} AplicIdc;

typedef struct Aplic Aplic;
struct Aplic {
    TsMmioDevice parent_obj;
    /* properties */
    uint64_t num_sources;       /* sources 1 .. num_sources */
    uint64_t num_harts;
    bool mmode, msimode;
    TsObject *parent;           /* the root domain, for a child */
    /* registers */
    uint32_t domaincfg;
    uint32_t *sourcecfg, *target;   /* [num_sources + 1] */
    uint32_t *pending, *enabled, *level;    /* bitmaps; level: the wire */
    uint32_t mmsiaddrcfg, mmsiaddrcfgh, smsiaddrcfg, smsiaddrcfgh;
    uint32_t genmsi;            /* hart index and EIID of the last one */
    AplicIdc *idc;
    TsIrq **idc_out;
    Aplic *child;               /* the domain delegated sources go to */
    unsigned words;
};

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

static Aplic *root_of(Aplic *a)
{
    return a->parent ? (Aplic *)a->parent : a;
}

/* Does this domain own source i (the root owns all, a child what the
 * root delegates to it)? */
static bool owns(Aplic *a, unsigned i)
{
    if (i == 0 || i > a->num_sources) {
        return false;
    }
    Aplic *root = (Aplic *)a->parent;
    return !root || (root->sourcecfg[i] & SOURCECFG_D);
}

/* The source's mode here: inactive when not owned or delegated on. */
static unsigned mode(Aplic *a, unsigned i)
{
    if (!owns(a, i) || (a->sourcecfg[i] & SOURCECFG_D)) {
        return SM_INACTIVE;
    }
    return a->sourcecfg[i] & SOURCECFG_SM;
}

/* The rectified input: the wire as the mode reads it. */
static bool rectified(Aplic *a, unsigned i)
{
    bool wire = test_bit(a->level, i);
    switch (mode(a, i)) {
    case SM_EDGE1: case SM_LEVEL1: return wire;
    case SM_EDGE0: case SM_LEVEL0: return !wire;
    default: return false;
    }
}

static bool is_level(unsigned sm)
{
    return sm == SM_LEVEL1 || sm == SM_LEVEL0;
}

/* setip/setipnum and friends (AIA 1.0 4.7): software may set a pending
 * bit of a detached or edge source, and of a level source in MSI mode
 * while its input is asserted; in direct mode a level source's pending
 * bit is its input. */
static void software_set_pending(Aplic *a, unsigned i, bool v)
{
    unsigned sm = mode(a, i);
    if (sm == SM_INACTIVE) {
        return;
    }
    if (is_level(sm)) {
        if (!a->msimode || (v && !rectified(a, i))) {
            return;
        }
    }
    set_bit_to(a->pending, i, v);
}

static uint64_t msi_address(Aplic *a, unsigned hart)
{
    Aplic *root = root_of(a);
    uint32_t h = root->mmsiaddrcfgh;
    unsigned lhxw = h >> 12 & 0xf, hhxw = h >> 16 & 0x7;
    unsigned lhxs = h >> 20 & 0x7, hhxs = h >> 24 & 0x1f;
    uint64_t ppn = (uint64_t)(h & 0xfff) << 32 | root->mmsiaddrcfg;
    if (a != root) {
        lhxs = root->smsiaddrcfgh >> 20 & 0x7;
        ppn = (uint64_t)(root->smsiaddrcfgh & 0xfff) << 32 | root->smsiaddrcfg;
    }
    uint64_t group = (hart >> lhxw) & ((1u << hhxw) - 1);
    uint64_t index = hart & ((1u << lhxw) - 1);
    ppn |= group << (hhxs + 12) | index << lhxs;
    return ppn << 12;
}

static void send_msi(Aplic *a, unsigned hart, uint32_t eiid)
{
    uint64_t addr = msi_address(a, hart);
    TsMemResult r = ts_address_space_store(
        ts_mmio_device_dma(&a->parent_obj), addr, 4, eiid);
    if (r != TS_MEM_OK) {
        ts_log(TS_LOG_GUEST_ERROR, "aplic: MSI %u for hart %u to 0x%" PRIx64
               " went nowhere\n", eiid, hart, addr);
    }
}

/* The best interrupt for IDC h: (source << 16) | priority, or 0. */
static uint32_t idc_topi(Aplic *a, unsigned h)
{
    uint32_t best = 0, best_prio = 0x100;
    if (!(a->domaincfg & DOMAINCFG_IE)) {
        return 0;
    }
    for (unsigned w = 0; w < a->words; w++) {
        uint32_t cand = a->pending[w] & a->enabled[w];
        while (cand) {
            unsigned i = w * 32 + (unsigned)__builtin_ctz(cand);
            cand &= cand - 1;
            if (mode(a, i) == SM_INACTIVE ||
                a->target[i] >> TARGET_HART_SHIFT != h) {
                continue;
            }
            uint32_t prio = a->target[i] & TARGET_IPRIO;
            if (prio < best_prio) {
                best = i;
                best_prio = prio;
            }
        }
    }
    if (!best || (a->idc[h].ithreshold && best_prio >= a->idc[h].ithreshold)) {
        return 0;
    }
    return best << 16 | best_prio;
}

/* Deliver what is deliverable: IDC lines in direct mode; in MSI mode a
 * message per pending-and-enabled source, whose pending bit it clears. */
static void update(Aplic *a)
{
    if (!a->msimode) {
        bool ie = a->domaincfg & DOMAINCFG_IE;
        for (unsigned h = 0; h < a->num_harts; h++) {
            AplicIdc *c = &a->idc[h];
            bool on = ie && c->idelivery &&
                      (c->iforce || idc_topi(a, h) != 0);
            ts_irq_set(a->idc_out[h], on);
        }
        return;
    }
    if (!(a->domaincfg & DOMAINCFG_IE)) {
        return;
    }
    for (unsigned w = 0; w < a->words; w++) {
        uint32_t cand = a->pending[w] & a->enabled[w];
        while (cand) {
            unsigned i = w * 32 + (unsigned)__builtin_ctz(cand);
            cand &= cand - 1;
            if (mode(a, i) == SM_INACTIVE) {
                continue;
            }
            set_bit_to(a->pending, i, false);
            send_msi(a, a->target[i] >> TARGET_HART_SHIFT,
                     a->target[i] & TARGET_EIID);
        }
    }
}

/* The wire of source i changed (in this domain). */
static void source_input(Aplic *a, unsigned i, bool level)
{
    bool was = rectified(a, i);
    set_bit_to(a->level, i, level);
    bool now = rectified(a, i);
    unsigned sm = mode(a, i);
    if (is_level(sm)) {
        if (!a->msimode) {
            set_bit_to(a->pending, i, now);
        } else if (now && !was) {
            set_bit_to(a->pending, i, true);
        } else if (!now) {
            set_bit_to(a->pending, i, false);
        }
    } else if ((sm == SM_EDGE1 || sm == SM_EDGE0) && now && !was) {
        set_bit_to(a->pending, i, true);
    }
    update(a);
}

static void aplic_irq_in(void *opaque, unsigned n, int level)
{
    Aplic *a = opaque;
    if (n == 0 || n > a->num_sources) {
        return;
    }
    source_input(a, n, level);
    if (a->child) {
        /* the child keeps the wire too, for when it owns the source */
        source_input(a->child, n, level);
    }
}

/* Source i's configuration, pending and enable bits start afresh (it
 * became inactive, was delegated or came back). */
static void source_clear(Aplic *a, unsigned i)
{
    a->sourcecfg[i] = 0;
    a->target[i] = 0;
    set_bit_to(a->pending, i, false);
    set_bit_to(a->enabled, i, false);
}

static void write_sourcecfg(Aplic *a, unsigned i, uint32_t val)
{
    if (!owns(a, i)) {
        return;
    }
    bool was_delegated = a->sourcecfg[i] & SOURCECFG_D;
    uint32_t cfg;
    if (val & SOURCECFG_D) {
        /* only a domain with a child delegates, and only to child 0 */
        cfg = a->child ? SOURCECFG_D : 0;
    } else {
        cfg = val & SOURCECFG_SM;
        if (cfg == 2 || cfg == 3) {
            cfg = SM_INACTIVE;      /* reserved modes */
        }
    }
    if (cfg != a->sourcecfg[i] &&
        ((cfg & SOURCECFG_D) || cfg == SM_INACTIVE)) {
        source_clear(a, i);
    }
    a->sourcecfg[i] = cfg;
    if (a->child && was_delegated != !!(cfg & SOURCECFG_D)) {
        /* delegated or taken back: the child starts from inactive */
        source_clear(a->child, i);
        update(a->child);
    }
    if (!a->msimode && is_level(mode(a, i))) {
        set_bit_to(a->pending, i, rectified(a, i));
    } else if (a->msimode && is_level(mode(a, i)) && !rectified(a, i)) {
        set_bit_to(a->pending, i, false);
    }
}

static void write_target(Aplic *a, unsigned i, uint32_t val)
{
    if (mode(a, i) == SM_INACTIVE) {
        return;
    }
    uint32_t hart = val >> TARGET_HART_SHIFT;
    if (a->msimode) {
        /* no guest interrupt files: guest index (17:12) reads 0 */
        a->target[i] = hart << TARGET_HART_SHIFT | (val & TARGET_EIID);
    } else {
        uint32_t prio = val & TARGET_IPRIO;
        a->target[i] = hart << TARGET_HART_SHIFT | (prio ? prio : 1);
    }
}

/* A 32-source word of pending, enable or input bits, as registers show
 * them: only active sources have any. */
static uint32_t active_word(Aplic *a, const uint32_t *map, unsigned w)
{
    uint32_t v = 0;
    if (w >= a->words) {
        return 0;
    }
    for (unsigned b = 0; b < 32; b++) {
        unsigned i = w * 32 + b;
        if ((map[w] >> b & 1) && mode(a, i) != SM_INACTIVE) {
            v |= 1u << b;
        }
    }
    return v;
}

static uint32_t rectified_word(Aplic *a, unsigned w)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < 32; b++) {
        unsigned i = w * 32 + b;
        if (i <= a->num_sources && rectified(a, i)) {
            v |= 1u << b;
        }
    }
    return v;
}

static bool msi_cfg_here(Aplic *a)
{
    return a->mmode && !a->parent && a->msimode;
}

static uint64_t aplic_read(void *opaque, uint64_t addr, unsigned size)
{
    Aplic *a = opaque;
    if (addr == DOMAINCFG) {
        return a->domaincfg | DOMAINCFG_RO;
    }
    if (addr >= SOURCECFG && addr < SOURCECFG + 4 * AIA_APLIC_MAX_SOURCES) {
        unsigned i = (unsigned)(addr - SOURCECFG) / 4 + 1;
        return owns(a, i) ? a->sourcecfg[i] : 0;
    }
    if (addr >= MMSIADDRCFG && addr <= SMSIADDRCFGH) {
        if (!msi_cfg_here(a)) {
            return 0;
        }
        return addr == MMSIADDRCFG ? a->mmsiaddrcfg
             : addr == MMSIADDRCFGH ? a->mmsiaddrcfgh
             : addr == SMSIADDRCFG ? a->smsiaddrcfg : a->smsiaddrcfgh;
    }
    if (addr >= SETIP && addr < SETIP + 128) {
        return active_word(a, a->pending, (unsigned)(addr - SETIP) / 4);
    }
    if (addr >= IN_CLRIP && addr < IN_CLRIP + 128) {
        unsigned w = (unsigned)(addr - IN_CLRIP) / 4;
        return w < a->words ? rectified_word(a, w) : 0;
    }
    if (addr >= SETIE && addr < SETIE + 128) {
        return active_word(a, a->enabled, (unsigned)(addr - SETIE) / 4);
    }
    if (addr == GENMSI) {
        return a->genmsi;           /* messages go at once: never busy */
    }
    if (addr >= TARGET && addr < TARGET + 4 * AIA_APLIC_MAX_SOURCES) {
        unsigned i = (unsigned)(addr - TARGET) / 4 + 1;
        return mode(a, i) != SM_INACTIVE ? a->target[i] : 0;
    }
    if (addr >= IDC && !a->msimode) {
        uint64_t h = (addr - IDC) / IDC_SIZE, reg = (addr - IDC) % IDC_SIZE;
        if (h >= a->num_harts) {
            return 0;
        }
        AplicIdc *c = &a->idc[h];
        switch (reg) {
        case IDELIVERY: return c->idelivery;
        case IFORCE: return c->iforce;
        case ITHRESHOLD: return c->ithreshold;
        case TOPI: return idc_topi(a, (unsigned)h);
        case CLAIMI: {
            uint32_t top = idc_topi(a, (unsigned)h);
            if (top) {
                unsigned i = top >> 16;
                /* a level source's pending bit is its wire */
                if (!is_level(mode(a, i))) {
                    set_bit_to(a->pending, i, false);
                }
            } else {
                c->iforce = 0;      /* a spurious claim ends a force */
            }
            update(a);
            return top;
        }
        }
    }
    return 0;
}

static void aplic_write(void *opaque, uint64_t addr, uint64_t val64,
                        unsigned size)
{
    Aplic *a = opaque;
    uint32_t val = (uint32_t)val64;
    if (addr == DOMAINCFG) {
        a->domaincfg = (val & DOMAINCFG_IE) |
                       (a->msimode ? DOMAINCFG_DM : 0);
    } else if (addr >= SOURCECFG &&
               addr < SOURCECFG + 4 * AIA_APLIC_MAX_SOURCES) {
        write_sourcecfg(a, (unsigned)(addr - SOURCECFG) / 4 + 1, val);
    } else if (addr >= MMSIADDRCFG && addr <= SMSIADDRCFGH) {
        if (!msi_cfg_here(a) || (a->mmsiaddrcfgh & MSIADDRCFGH_L)) {
            return;                 /* absent, or locked */
        }
        if (addr == MMSIADDRCFG) {
            a->mmsiaddrcfg = val;
        } else if (addr == MMSIADDRCFGH) {
            a->mmsiaddrcfgh = val & MSIADDRCFGH_MASK;
        } else if (addr == SMSIADDRCFG) {
            a->smsiaddrcfg = val;
        } else {
            a->smsiaddrcfgh = val & SMSIADDRCFGH_MASK;
        }
        return;
    } else if (addr >= SETIP && addr < SETIP + 128) {
        unsigned w = (unsigned)(addr - SETIP) / 4;
        for (unsigned b = 0; b < 32; b++) {
            if (val >> b & 1) {
                software_set_pending(a, w * 32 + b, true);
            }
        }
    } else if (addr == SETIPNUM || addr == SETIPNUM_LE) {
        software_set_pending(a, val, true);
    } else if (addr == SETIPNUM_BE) {
        software_set_pending(a, GUINT32_SWAP_LE_BE(val), true);
    } else if (addr >= IN_CLRIP && addr < IN_CLRIP + 128) {
        unsigned w = (unsigned)(addr - IN_CLRIP) / 4;
        for (unsigned b = 0; b < 32; b++) {
            if (val >> b & 1) {
                software_set_pending(a, w * 32 + b, false);
            }
        }
    } else if (addr == CLRIPNUM) {
        software_set_pending(a, val, false);
    } else if ((addr >= SETIE && addr < SETIE + 128) ||
               (addr >= CLRIE && addr < CLRIE + 128)) {
        bool on = addr < CLRIE;
        unsigned w = (unsigned)(addr - (on ? SETIE : CLRIE)) / 4;
        for (unsigned b = 0; b < 32; b++) {
            unsigned i = w * 32 + b;
            if ((val >> b & 1) && mode(a, i) != SM_INACTIVE) {
                set_bit_to(a->enabled, i, on);
            }
        }
    } else if (addr == SETIENUM || addr == CLRIENUM) {
        if (mode(a, val) != SM_INACTIVE) {
            set_bit_to(a->enabled, val, addr == SETIENUM);
        }
    } else if (addr == GENMSI) {
        if (a->msimode) {
            a->genmsi = val & (~0u << TARGET_HART_SHIFT | TARGET_EIID);
            send_msi(a, val >> TARGET_HART_SHIFT, val & TARGET_EIID);
        }
        return;
    } else if (addr >= TARGET && addr < TARGET + 4 * AIA_APLIC_MAX_SOURCES) {
        write_target(a, (unsigned)(addr - TARGET) / 4 + 1, val);
    } else if (addr >= IDC && !a->msimode) {
        uint64_t h = (addr - IDC) / IDC_SIZE, reg = (addr - IDC) % IDC_SIZE;
        if (h >= a->num_harts) {
            ts_log(TS_LOG_GUEST_ERROR, "aplic: write to the IDC of hart %"
                   PRIu64 ", which it does not have\n", h);
            return;
        }
        AplicIdc *c = &a->idc[h];
        if (reg == IDELIVERY) {
            c->idelivery = val & 1;
        } else if (reg == IFORCE) {
            c->iforce = val & 1;
        } else if (reg == ITHRESHOLD) {
            c->ithreshold = val & TARGET_IPRIO;
        }
    } else {
        ts_log(TS_LOG_GUEST_ERROR, "aplic: write to reserved offset 0x%"
               PRIx64 "\n", addr);
        return;
    }
    update(a);
}

static const TsMemoryOps aplic_ops = {
    .read = aplic_read,
    .write = aplic_write,
    .valid_min = 4, .valid_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

/* 16 KiB of domain registers, then the IDCs rounded up to 16 KiB. */
static uint64_t aplic_size(uint64_t harts)
{
    return IDC + ((harts * IDC_SIZE + 0x3fff) & ~0x3fffull);
}

static bool aplic_realize(TsMmioDevice *dev, GError **errp)
{
    Aplic *a = (Aplic *)dev;
    if (a->num_sources < 1 || a->num_sources > AIA_APLIC_MAX_SOURCES ||
        a->num_harts < 1 || a->num_harts > AIA_MAX_HARTS) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "riscv.aplic: num-sources must be 1 to %d and num-harts "
                    "1 to %d", AIA_APLIC_MAX_SOURCES, AIA_MAX_HARTS);
        return false;
    }
    Aplic *root = (Aplic *)a->parent;
    if (root && (root->child || root->parent ||
                 root->num_sources != a->num_sources)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "riscv.aplic: the parent domain must be a root with the "
                    "same num-sources and no other child");
        return false;
    }
    if (!ts_mmio_device_init_mmio(dev, &aplic_ops, a,
                                  aplic_size(a->num_harts), errp)) {
        return false;
    }
    unsigned n = (unsigned)a->num_sources + 1;
    a->words = (n + 31) / 32;
    a->sourcecfg = g_new0(uint32_t, n);
    a->target = g_new0(uint32_t, n);
    a->pending = g_new0(uint32_t, a->words);
    a->enabled = g_new0(uint32_t, a->words);
    a->level = g_new0(uint32_t, a->words);
    a->idc = g_new0(AplicIdc, a->num_harts);
    a->idc_out = g_new0(TsIrq *, a->num_harts);
    a->domaincfg = a->msimode ? DOMAINCFG_DM : 0;
    if (root) {
        root->child = a;
        memcpy(a->level, root->level, a->words * sizeof(uint32_t));
    } else {
        ts_device_init_irq_in(TS_DEVICE(dev), "irq", n, aplic_irq_in, a);
    }
    if (!a->msimode) {
        ts_device_init_irq_out(TS_DEVICE(dev), "idc", a->idc_out,
                               (unsigned)a->num_harts);
    }
    return true;
}

static void aplic_unrealize(TsMmioDevice *dev)
{
    Aplic *a = (Aplic *)dev;
    if (a->parent && ((Aplic *)a->parent)->child == a) {
        ((Aplic *)a->parent)->child = NULL;
    }
    g_clear_pointer(&a->sourcecfg, g_free);
    g_clear_pointer(&a->target, g_free);
    g_clear_pointer(&a->pending, g_free);
    g_clear_pointer(&a->enabled, g_free);
    g_clear_pointer(&a->level, g_free);
    g_clear_pointer(&a->idc, g_free);
    g_clear_pointer(&a->idc_out, g_free);
}

static void aplic_reset(TsDevice *dev)
{
    Aplic *a = (Aplic *)dev;
    unsigned n = (unsigned)a->num_sources + 1;
    a->domaincfg = a->msimode ? DOMAINCFG_DM : 0;
    memset(a->sourcecfg, 0, n * sizeof(uint32_t));
    memset(a->target, 0, n * sizeof(uint32_t));
    memset(a->pending, 0, a->words * sizeof(uint32_t));
    memset(a->enabled, 0, a->words * sizeof(uint32_t));
    memset(a->idc, 0, a->num_harts * sizeof(AplicIdc));
    a->mmsiaddrcfg = a->mmsiaddrcfgh = 0;
    a->smsiaddrcfg = a->smsiaddrcfgh = 0;
    a->genmsi = 0;
    /* wires keep their levels */
    for (unsigned h = 0; !a->msimode && h < a->num_harts; h++) {
        ts_irq_lower(a->idc_out[h]);
    }
}

static const TsProperty aplic_props[] = {
    TS_PROP_UINT("num-sources", Aplic, num_sources, 96,
                 "wired interrupt sources (1..1023)"),
    TS_PROP_UINT("num-harts", Aplic, num_harts, 1,
                 "harts served (hart index 0..num-harts-1)"),
    TS_PROP_BOOL("mmode", Aplic, mmode, true,
                 "machine-level domain (else supervisor-level)"),
    TS_PROP_BOOL("msimode", Aplic, msimode, false,
                 "deliver as MSIs to IMSICs (else directly to harts)"),
    TS_PROP_LINK("parent", Aplic, parent, AIA_TYPE_APLIC,
                 "the root domain this child domain belongs to"),
    TS_PROP_END,
};

/* No node of its own: the board writes it, with the phandles of the
 * harts, the IMSIC and the other domain. */
static void aplic_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = aplic_realize;
    mc->unrealize = aplic_unrealize;
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->reset = aplic_reset;
    dc->user_creatable = false;
    ts_class_add_properties(klass, aplic_props);
}

const TsTypeInfo aia_aplic_type = {
    .name = AIA_TYPE_APLIC,
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "RISC-V advanced platform-level interrupt controller "
                   "(APLIC) domain",
    .instance_size = sizeof(Aplic),
    .class_init = aplic_class_init,
};
