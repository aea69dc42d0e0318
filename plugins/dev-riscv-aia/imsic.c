/*
 * imsic.c - the memory-mapped side of the RISC-V Incoming MSI Controller
 * (AIA 1.0, chapter 3): one 4 KiB page per hart at one privilege level,
 * where a 32-bit write of an identity to seteipnum_le (offset 0) makes it
 * pending in that hart's interrupt file.  seteipnum_be, which the spec
 * leaves optional, is not there (as on QEMU 7.2): writes are ignored.
 *
 * The interrupt files themselves (eip/eie, eidelivery, eithreshold and
 * the claim CSRs) are part of the hart (cpu-riscv, aia.c): this device
 * only turns each message into a pulse on the hart's "imsic-m" or
 * "imsic-s" input line numbered by the identity, which the board wires
 * to output "eip" hart * (num-ids + 1) + identity.  A page is ordinary
 * MMIO in system memory, so a device's MSI (a DMA write) lands here too.
 *
 * Reads return 0 (the spec's seteipnum registers read as zero); writes
 * elsewhere in a page, and identities the file does not have, are
 * ignored, as the spec allows.
 */
#include <tessera/tessera.h>
#include "aia.h"

#define IMSIC_PAGE 0x1000
#define SETEIPNUM_LE 0x0

typedef struct Imsic {
    TsMmioDevice parent;
    /* properties */
    uint64_t num_harts;
    uint64_t num_ids;           /* identities 1..num_ids */
    bool mmode;
    /* outputs "eip": num_harts * (num_ids + 1) */
    TsIrq **eip;
} Imsic;

static uint64_t imsic_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0;
}

static void imsic_write(void *opaque, uint64_t addr, uint64_t val,
                        unsigned size)
{
    Imsic *m = opaque;
    uint64_t hart = addr / IMSIC_PAGE, reg = addr % IMSIC_PAGE;
    uint32_t id = (uint32_t)val;
    if (reg != SETEIPNUM_LE) {
        ts_log(TS_LOG_GUEST_ERROR, "imsic: write to reserved offset 0x%"
               PRIx64 " of hart %" PRIu64 "'s page\n", reg, hart);
        return;
    }
    if (hart >= m->num_harts || id == 0 || id > m->num_ids) {
        ts_log(TS_LOG_GUEST_ERROR, "imsic: message %u for hart %" PRIu64
               " dropped: no such identity\n", id, hart);
        return;
    }
    ts_irq_raise(m->eip[hart * (m->num_ids + 1) + id]);
}

static const TsMemoryOps imsic_ops = {
    .read = imsic_read,
    .write = imsic_write,
    .valid_min = 4, .valid_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static bool imsic_realize(TsMmioDevice *dev, GError **errp)
{
    Imsic *m = (Imsic *)dev;
    if (m->num_harts < 1 || m->num_harts > AIA_MAX_HARTS) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "riscv.imsic: num-harts must be 1 to %d", AIA_MAX_HARTS);
        return false;
    }
    if (m->num_ids < 63 || m->num_ids > AIA_IMSIC_MAX_IDS ||
        (m->num_ids + 1) % 64) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "riscv.imsic: num-ids must be one less than a multiple "
                    "of 64, from 63 to %d", AIA_IMSIC_MAX_IDS);
        return false;
    }
    if (!ts_mmio_device_init_mmio(dev, &imsic_ops, m,
                                  m->num_harts * IMSIC_PAGE, errp)) {
        return false;
    }
    unsigned lines = (unsigned)(m->num_harts * (m->num_ids + 1));
    m->eip = g_new0(TsIrq *, lines);
    ts_device_init_irq_out(TS_DEVICE(dev), "eip", m->eip, lines);
    return true;
}

static void imsic_unrealize(TsMmioDevice *dev)
{
    g_clear_pointer(&((Imsic *)dev)->eip, g_free);
}

static const TsProperty imsic_props[] = {
    TS_PROP_UINT("num-harts", Imsic, num_harts, 1,
                 "harts served, one page each"),
    TS_PROP_UINT("num-ids", Imsic, num_ids, 255,
                 "interrupt identities of each file (63..2047)"),
    TS_PROP_BOOL("mmode", Imsic, mmode, false,
                 "machine-level files (else supervisor-level)"),
    TS_PROP_END,
};

/* No node of its own: the board writes it, with the harts' interrupt
 * controllers and the phandle other nodes' msi-parent names. */
static void imsic_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = imsic_realize;
    mc->unrealize = imsic_unrealize;
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->user_creatable = false;
    ts_class_add_properties(klass, imsic_props);
}

const TsTypeInfo aia_imsic_type = {
    .name = AIA_TYPE_IMSIC,
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "RISC-V incoming MSI controller (IMSIC) pages",
    .instance_size = sizeof(Imsic),
    .class_init = imsic_class_init,
};
