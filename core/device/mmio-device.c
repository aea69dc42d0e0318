/*
 * core/device/mmio-device.c - the "mmio-device" base type (see
 * tessera/mmio-device.h): the "addr" property, the register window mapped
 * while the device is realized, the "irq" outputs, the DMA address space
 * and the default device-tree node whose interrupts come from the wiring.
 */
#include <tessera/machine.h>
#include <tessera/mmio-device.h>
#include <libfdt.h>
#include "object/object-hooks.h"
#include "device-create.h"
#include "memory/memory-overlap.h"

static TsMmioDeviceClass *mmio_class(TsMmioDevice *dev)
{
    return TS_MMIO_DEVICE_GET_CLASS(dev);
}

static const char *type_name(TsMmioDevice *dev)
{
    return ts_object_type_name(TS_OBJECT(dev));
}

static unsigned irq_count(TsMmioDevice *dev)
{
    return MIN(mmio_class(dev)->n_irqs, TS_MMIO_MAX_IRQS);
}

/* Declare the outputs: at creation, so a board can wire them before
 * realize, and again at realize, since unrealize forgets named lines. */
static void declare_irqs(TsMmioDevice *dev)
{
    if (irq_count(dev)) {
        ts_device_init_irq_out(TS_DEVICE(dev), "irq", dev->irq,
                               irq_count(dev));
    }
}

static void mmio_device_instance_init(TsObject *obj)
{
    declare_irqs((TsMmioDevice *)obj);
}

/* The window must lie below 2^64 at "addr": refused before anything is
 * created, with the device and both numbers. */
static bool check_fits(TsMmioDevice *dev, uint64_t size, GError **errp)
{
    if (dev->mmio) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: the register window was created twice",
                    type_name(dev));
        return false;
    }
    if (size && dev->addr > UINT64_MAX - (size - 1)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: addr 0x%" PRIx64 " leaves no room for its "
                    "0x%" PRIx64 "-byte register window", type_name(dev),
                    dev->addr, size);
        return false;
    }
    return true;
}

TS_EXPORT bool ts_mmio_device_init_mmio(TsMmioDevice *dev,
                                        const TsMemoryOps *ops, void *opaque,
                                        uint64_t size, GError **errp)
{
    if (!check_fits(dev, size, errp)) {
        return false;
    }
    g_autofree char *name = g_strdup_printf("%s@%" PRIx64, type_name(dev),
                                            dev->addr);
    dev->mmio = ts_memory_region_new_mmio(name, size, ops, opaque);
    if (!dev->mmio) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: inconsistent memory ops for its register window",
                    type_name(dev));
        return false;
    }
    return true;
}

TS_EXPORT bool ts_mmio_device_init_region(TsMmioDevice *dev,
                                          TsMemoryRegion *mr, GError **errp)
{
    if (!check_fits(dev, ts_memory_region_size(mr), errp)) {
        ts_memory_region_unref(mr);     /* the reference was ours */
        return false;
    }
    dev->mmio = mr;
    return true;
}

TS_EXPORT TsAddressSpace *ts_mmio_device_dma(TsMmioDevice *dev)
{
    return dev->dma ? dev->dma : ts_address_space_system();
}

TS_EXPORT void ts_mmio_device_set_dma(TsMmioDevice *dev, TsAddressSpace *as)
{
    dev->dma = as;
}

TS_EXPORT bool ts_mmio_device_place(TsMmioDevice *dev, uint64_t addr,
                                    unsigned n, TsIrq *line, GError **errp)
{
    if (n >= irq_count(dev) && line) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: has no interrupt output %u (it has %u)",
                    type_name(dev), n, irq_count(dev));
        return false;
    }
    if (!ts_object_set_uint(TS_OBJECT(dev), "addr", addr, errp)) {
        return false;
    }
    if (n < irq_count(dev)) {
        dev->irq[n] = line;
    }
    return true;
}

/* Drop the window (unmapped, or never mapped). */
static void drop_window(TsMmioDevice *dev)
{
    ts_memory_region_unref(dev->mmio);
    dev->mmio = NULL;
}

/* Undo a realize hook that succeeded: the subclass's unrealize, then
 * the window. */
static void undo_hook(TsMmioDevice *dev)
{
    TsMmioDeviceClass *mc = mmio_class(dev);
    if (mc->unrealize) {
        mc->unrealize(dev);
    }
    drop_window(dev);
}

static bool mmio_device_realize(TsDevice *d, GError **errp)
{
    TsMmioDevice *dev = (TsMmioDevice *)d;
    TsMmioDeviceClass *mc = mmio_class(dev);
    declare_irqs(dev);
    if (mc->realize && !mc->realize(dev, errp)) {
        drop_window(dev);
        return false;
    }
    if (!dev->mmio) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: realize created no register window",
                    type_name(dev));
        undo_hook(dev);
        return false;
    }
    /* A board knows its map; a user's addr= over RAM or over another
     * device would silently shadow it (QEMU maps it anyway). */
    const char *hit = device_is_user_created(TS_OBJECT(dev))
        ? memory_container_overlap(ts_machine_system_memory(), dev->addr,
                                   ts_memory_region_size(dev->mmio))
        : NULL;
    if (hit) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: addr 0x%" PRIx64 ": its 0x%" PRIx64 "-byte window "
                    "would overlap '%s'", type_name(dev), dev->addr,
                    ts_memory_region_size(dev->mmio), hit);
        undo_hook(dev);
        return false;
    }
    ts_memory_region_add_subregion(ts_machine_system_memory(), dev->addr,
                                   dev->mmio, 0);
    return true;
}

static void mmio_device_unrealize(TsDevice *d)
{
    TsMmioDevice *dev = (TsMmioDevice *)d;
    ts_memory_region_remove_subregion(ts_machine_system_memory(), dev->mmio);
    undo_hook(dev);
    /* A device that is gone asserts nothing. */
    for (unsigned i = 0; i < irq_count(dev); i++) {
        ts_irq_lower(dev->irq[i]);
    }
}

/* The numbers of the wired outputs, in output order. */
static unsigned wired_irqs(TsMmioDevice *dev, uint32_t *numbers)
{
    unsigned n = 0;
    for (unsigned i = 0; i < irq_count(dev); i++) {
        if (dev->irq[i]) {
            numbers[n++] = ts_irq_number(dev->irq[i]);
        }
    }
    return n;
}

static bool mmio_device_fdt_add(TsDevice *d, const TsFdtContext *ctx,
                                GError **errp)
{
    TsMmioDevice *dev = (TsMmioDevice *)d;
    TsMmioDeviceClass *mc = mmio_class(dev);
    if (!mc->fdt_name) {
        return true;            /* the board describes it */
    }
    int node = ts_fdt_add_node(ctx->fdt, ctx->parent, mc->fdt_name,
                               dev->addr, errp);
    if (node < 0 ||
        (mc->fdt_compatible &&
         !ts_fdt_set_strings(ctx->fdt, node, "compatible",
                             mc->fdt_compatible, errp)) ||
        !ts_fdt_set_reg(ctx, node, dev->addr,
                        ts_memory_region_size(dev->mmio), errp)) {
        return false;
    }
    if (mc->fdt_extra) {
        /* The hook may add nodes elsewhere, which moves offsets. */
        char path[256];
        if (!ts_fdt_check(ctx->fdt, node,
                          fdt_get_path(ctx->fdt, node, path, sizeof(path)),
                          "path", errp) ||
            !mc->fdt_extra(dev, ctx, node, errp)) {
            return false;
        }
        node = fdt_path_offset(ctx->fdt, path);
    }
    uint32_t numbers[TS_MMIO_MAX_IRQS];
    unsigned n = wired_irqs(dev, numbers);
    return n == 0 || ts_fdt_set_interrupts(ctx, node, numbers, n, errp);
}

static const TsProperty mmio_device_props[] = {
    TS_PROP_UINT("addr", TsMmioDevice, addr, 0,
                 "guest physical address of the registers"),
    TS_PROP_END,
};

static void mmio_device_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->realize = mmio_device_realize;
    dc->unrealize = mmio_device_unrealize;
    ts_class_add_properties(klass, mmio_device_props);
    TsFdtNodeInterface *fi = ts_class_interface(klass, TS_TYPE_FDT_NODE);
    fi->add = mmio_device_fdt_add;
}

static const char *const mmio_device_interfaces[] = {
    TS_TYPE_FDT_NODE, NULL
};

static const TsTypeInfo mmio_device_type = {
    .name = TS_TYPE_MMIO_DEVICE,
    .parent = TS_TYPE_DEVICE,
    .description = "memory-mapped device: address, interrupt outputs, DMA, "
                   "device-tree node",
    .abstract = true,
    .instance_size = sizeof(TsMmioDevice),
    .class_size = sizeof(TsMmioDeviceClass),
    .class_init = mmio_device_class_init,
    .instance_init = mmio_device_instance_init,
    .interfaces = mmio_device_interfaces,
};

static void mmio_device_types_init(void)
{
    object_core_type(&mmio_device_type);
}
OBJECT_CORE_INIT(mmio_device_types_init)
