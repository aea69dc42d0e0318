/*
 * core/virtio/virtio-mmio-fdt.c - the device-tree node of a virtio-mmio
 * device, as the "virtio,mmio" binding describes it (VIRTIO 1.2, 4.2.1):
 *
 *     virtio_mmio@10008000 {
 *         compatible = "virtio,mmio";
 *         reg = <0x0 0x10008000 0x0 0x200>;
 *         interrupts = <8>;
 *         interrupt-parent = <&plic>;
 *     };
 *
 * The board calls this through the "fdt-node" interface for every device
 * it placed, so it never needs to know what a virtio device looks like.
 */
#include "virtio-internal.h"

#include <libfdt.h>

/* Linux's IRQ_TYPE_LEVEL_HIGH: the flag cell of two-cell controllers.
 * virtio-mmio's interrupt is a level (InterruptStatus != 0). */
#define IRQ_LEVEL_HIGH 4

static bool fdt_ok(int rc, const char *what, const char *node, GError **errp)
{
    if (rc >= 0) {
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                "device tree: cannot set %s of %s: %s", what, node,
                fdt_strerror(rc));
    return false;
}

/* Append `value` as `cells` big-endian 32-bit cells; false if it does
 * not fit. */
static bool put_cells(fdt32_t *out, unsigned *n, uint64_t value,
                      unsigned cells)
{
    if (cells == 0 || cells > 2 || (cells == 1 && value > UINT32_MAX)) {
        return false;
    }
    if (cells == 2) {
        out[(*n)++] = cpu_to_fdt32(value >> 32);
    }
    out[(*n)++] = cpu_to_fdt32((uint32_t)value);
    return true;
}

bool virtio_mmio_fdt_add(TsDevice *dev, const TsFdtContext *ctx,
                         GError **errp)
{
    VirtioMmio *v = (VirtioMmio *)dev;
    g_autofree char *name = g_strdup_printf("virtio_mmio@%" PRIx64, v->addr);

    fdt32_t reg[4];
    unsigned n = 0;
    if (!put_cells(reg, &n, v->addr, ctx->addr_cells) ||
        !put_cells(reg, &n, VIRTIO_MMIO_WINDOW, ctx->size_cells)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: %s does not fit #address-cells %u / "
                    "#size-cells %u", name, ctx->addr_cells,
                    ctx->size_cells);
        return false;
    }
    fdt32_t irq[2] = { cpu_to_fdt32((uint32_t)v->irq_num),
                       cpu_to_fdt32(IRQ_LEVEL_HIGH) };
    unsigned irq_cells = ctx->irq_cells ? ctx->irq_cells : 1;
    if (irq_cells > 2 || v->irq_num > UINT32_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: %s: interrupt %" PRIu64 " cannot be "
                    "described with #interrupt-cells %u", name, v->irq_num,
                    irq_cells);
        return false;
    }

    int node = fdt_add_subnode(ctx->fdt, ctx->parent, name);
    if (!fdt_ok(node, "node", name, errp)) {
        return false;
    }
    if (!fdt_ok(fdt_setprop_string(ctx->fdt, node, "compatible",
                                   "virtio,mmio"), "compatible", name, errp) ||
        !fdt_ok(fdt_setprop(ctx->fdt, node, "reg", reg, n * sizeof(reg[0])),
                "reg", name, errp)) {
        return false;
    }
    /* irq-num 0: the board wired no interrupt (PLIC source 0 is "none"). */
    if (v->irq_num == 0) {
        return true;
    }
    if (!fdt_ok(fdt_setprop(ctx->fdt, node, "interrupts", irq,
                            irq_cells * sizeof(irq[0])),
                "interrupts", name, errp)) {
        return false;
    }
    if (ctx->irq_parent &&
        !fdt_ok(fdt_setprop_u32(ctx->fdt, node, "interrupt-parent",
                                ctx->irq_parent),
                "interrupt-parent", name, errp)) {
        return false;
    }
    return true;
}
