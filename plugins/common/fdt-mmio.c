/*
 * plugins/common/fdt-mmio.c - device-tree properties of MMIO devices
 * (see fdt-mmio.h).
 */
#include "fdt-mmio.h"

#include <libfdt.h>

/* Linux's IRQ_TYPE_LEVEL_HIGH, the flag cell of two-cell controllers. */
#define FDT_IRQ_LEVEL_HIGH 4

bool fdt_mmio_check(void *fdt, int node, int result, const char *what,
                    GError **errp)
{
    if (result >= 0) {
        return true;
    }
    char path[256];
    if (node < 0 || fdt_get_path(fdt, node, path, sizeof(path)) != 0) {
        g_strlcpy(path, "?", sizeof(path));
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                "device tree: cannot set %s of %s: %s", what, path,
                fdt_strerror(result));
    return false;
}

int fdt_mmio_add_node(void *fdt, int parent, const char *name, uint64_t addr,
                      GError **errp)
{
    g_autofree char *node_name = g_strdup_printf("%s@%" PRIx64, name, addr);
    int node = fdt_add_subnode(fdt, parent, node_name);
    if (node < 0) {
        char path[256];
        if (fdt_get_path(fdt, parent, path, sizeof(path)) != 0) {
            g_strlcpy(path, "?", sizeof(path));
        }
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: cannot add node %s under %s: %s",
                    node_name, path, fdt_strerror(node));
        return -1;
    }
    return node;
}

/* Append `value` as `cells` big-endian cells; false if it does not fit. */
static bool put_cells(fdt32_t *out, unsigned *n, uint64_t value,
                      unsigned cells)
{
    if (cells == 1) {
        if (value > UINT32_MAX) {
            return false;
        }
        out[(*n)++] = cpu_to_fdt32((uint32_t)value);
        return true;
    }
    out[(*n)++] = cpu_to_fdt32((uint32_t)(value >> 32));
    out[(*n)++] = cpu_to_fdt32((uint32_t)value);
    return true;
}

bool fdt_mmio_set_reg(const TsFdtContext *ctx, int node, uint64_t addr,
                      uint64_t size, GError **errp)
{
    if (ctx->addr_cells < 1 || ctx->addr_cells > 2 ||
        ctx->size_cells < 1 || ctx->size_cells > 2) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: reg needs #address-cells and #size-cells "
                    "of 1 or 2, the parent has %u and %u",
                    ctx->addr_cells, ctx->size_cells);
        return false;
    }
    fdt32_t cells[4];
    unsigned n = 0;
    if (!put_cells(cells, &n, addr, ctx->addr_cells) ||
        !put_cells(cells, &n, size, ctx->size_cells)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: address 0x%" PRIx64 " size 0x%" PRIx64
                    " does not fit the parent's %u address and %u size "
                    "cells", addr, size, ctx->addr_cells, ctx->size_cells);
        return false;
    }
    return fdt_mmio_check(ctx->fdt, node,
                          fdt_setprop(ctx->fdt, node, "reg", cells,
                                      n * sizeof(cells[0])),
                          "reg", errp);
}

bool fdt_mmio_set_interrupts(const TsFdtContext *ctx, int node,
                             uint64_t irq, GError **errp)
{
    if (irq > UINT32_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: interrupt number %" PRIu64 " does not "
                    "fit a cell", irq);
        return false;
    }
    fdt32_t cells[2] = { cpu_to_fdt32((uint32_t)irq),
                         cpu_to_fdt32(FDT_IRQ_LEVEL_HIGH) };
    unsigned ncells = ctx->irq_cells ? ctx->irq_cells : 1;
    if (ncells > 2) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: the interrupt controller has "
                    "#interrupt-cells = %u; only 1 or 2 are supported",
                    ncells);
        return false;
    }
    if (!fdt_mmio_check(ctx->fdt, node,
                        fdt_setprop(ctx->fdt, node, "interrupts", cells,
                                    ncells * sizeof(cells[0])),
                        "interrupts", errp)) {
        return false;
    }
    if (ctx->irq_parent) {
        return fdt_mmio_check(ctx->fdt, node,
                              fdt_setprop_u32(ctx->fdt, node,
                                              "interrupt-parent",
                                              ctx->irq_parent),
                              "interrupt-parent", errp);
    }
    return true;
}

bool fdt_mmio_set_strings(void *fdt, int node, const char *prop,
                          const char *const *values, GError **errp)
{
    /* A string list is the strings back to back, each with its NUL. */
    g_autoptr(GByteArray) buf = g_byte_array_new();
    for (const char *const *v = values; *v; v++) {
        g_byte_array_append(buf, (const guint8 *)*v, strlen(*v) + 1);
    }
    return fdt_mmio_check(fdt, node,
                          fdt_setprop(fdt, node, prop, buf->data, buf->len),
                          prop, errp);
}

bool fdt_mmio_set_u32(void *fdt, int node, const char *prop, uint32_t value,
                      GError **errp)
{
    return fdt_mmio_check(fdt, node, fdt_setprop_u32(fdt, node, prop, value),
                          prop, errp);
}
