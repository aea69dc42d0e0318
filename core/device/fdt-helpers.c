/*
 * core/device/fdt-helpers.c - the device-tree properties every
 * memory-mapped device writes the same way: unit-address node names, reg
 * in the parent's cells, interrupts in the controller's cells (see
 * tessera/fdt.h).  Kept here, not in each plugin, so that every device
 * encodes them alike and an out-of-tree one gets them for free.
 */
#include <tessera/fdt.h>
#include <libfdt.h>

/* Linux's IRQ_TYPE_LEVEL_HIGH, the flag cell of two-cell controllers;
 * every line here is level-triggered (tessera/irq.h). */
#define FDT_IRQ_LEVEL_HIGH 4

static void node_path(void *fdt, int node, char *buf, int len)
{
    if (node < 0 || fdt_get_path(fdt, node, buf, len) != 0) {
        g_strlcpy(buf, "?", (gsize)len);
    }
}

TS_EXPORT bool ts_fdt_check(void *fdt, int node, int result,
                            const char *what, GError **errp)
{
    if (result >= 0) {
        return true;
    }
    char path[256];
    node_path(fdt, node, path, sizeof(path));
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                "device tree: cannot set %s of %s: %s", what, path,
                fdt_strerror(result));
    return false;
}

TS_EXPORT int ts_fdt_add_node(void *fdt, int parent, const char *name,
                              uint64_t addr, GError **errp)
{
    g_autofree char *node_name = g_strdup_printf("%s@%" PRIx64, name, addr);
    int node = fdt_add_subnode(fdt, parent, node_name);
    if (node < 0) {
        char path[256];
        node_path(fdt, parent, path, sizeof(path));
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
    if (cells == 1 && value > UINT32_MAX) {
        return false;
    }
    if (cells == 2) {
        out[(*n)++] = cpu_to_fdt32((uint32_t)(value >> 32));
    }
    out[(*n)++] = cpu_to_fdt32((uint32_t)value);
    return true;
}

/* One <addr size> entry in ctx's cells into `cells`; its cell count, or
 * 0 + errp. */
static unsigned encode_reg(const TsFdtContext *ctx, uint64_t addr,
                           uint64_t size, fdt32_t cells[4], GError **errp)
{
    if (ctx->addr_cells < 1 || ctx->addr_cells > 2 ||
        ctx->size_cells < 1 || ctx->size_cells > 2) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: reg needs #address-cells and #size-cells "
                    "of 1 or 2, the parent has %u and %u",
                    ctx->addr_cells, ctx->size_cells);
        return 0;
    }
    unsigned n = 0;
    if (!put_cells(cells, &n, addr, ctx->addr_cells) ||
        !put_cells(cells, &n, size, ctx->size_cells)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: address 0x%" PRIx64 " size 0x%" PRIx64
                    " does not fit the parent's %u address and %u size "
                    "cells", addr, size, ctx->addr_cells, ctx->size_cells);
        return 0;
    }
    return n;
}

TS_EXPORT bool ts_fdt_set_reg(const TsFdtContext *ctx, int node,
                              uint64_t addr, uint64_t size, GError **errp)
{
    fdt32_t cells[4];
    unsigned n = encode_reg(ctx, addr, size, cells, errp);
    return n &&
           ts_fdt_check(ctx->fdt, node,
                        fdt_setprop(ctx->fdt, node, "reg", cells,
                                    (int)(n * sizeof(cells[0]))),
                        "reg", errp);
}

TS_EXPORT bool ts_fdt_append_reg(const TsFdtContext *ctx, int node,
                                 uint64_t addr, uint64_t size, GError **errp)
{
    fdt32_t cells[4];
    unsigned n = encode_reg(ctx, addr, size, cells, errp);
    return n &&
           ts_fdt_check(ctx->fdt, node,
                        fdt_appendprop(ctx->fdt, node, "reg", cells,
                                       (int)(n * sizeof(cells[0]))),
                        "reg", errp);
}

TS_EXPORT bool ts_fdt_set_interrupts(const TsFdtContext *ctx, int node,
                                     const uint32_t *irqs, unsigned n,
                                     GError **errp)
{
    unsigned per_irq = ctx->irq_cells ? ctx->irq_cells : 1;
    if (per_irq > 2) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: the interrupt controller has "
                    "#interrupt-cells = %u; only 1 or 2 are supported",
                    per_irq);
        return false;
    }
    if (n == 0 || n > 64) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: %u interrupts is not 1 to 64", n);
        return false;
    }
    fdt32_t cells[128];
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        cells[k++] = cpu_to_fdt32(irqs[i]);
        if (per_irq == 2) {
            cells[k++] = cpu_to_fdt32(FDT_IRQ_LEVEL_HIGH);
        }
    }
    if (!ts_fdt_check(ctx->fdt, node,
                      fdt_setprop(ctx->fdt, node, "interrupts", cells,
                                  (int)(k * sizeof(cells[0]))),
                      "interrupts", errp)) {
        return false;
    }
    return !ctx->irq_parent ||
           ts_fdt_set_u32(ctx->fdt, node, "interrupt-parent",
                          ctx->irq_parent, errp);
}

TS_EXPORT bool ts_fdt_set_strings(void *fdt, int node, const char *prop,
                                  const char *const *values, GError **errp)
{
    /* A string list is the strings back to back, each with its NUL. */
    g_autoptr(GByteArray) buf = g_byte_array_new();
    for (const char *const *v = values; v && *v; v++) {
        g_byte_array_append(buf, (const guint8 *)*v, (guint)strlen(*v) + 1);
    }
    return ts_fdt_check(fdt, node,
                        fdt_setprop(fdt, node, prop, buf->data,
                                    (int)buf->len),
                        prop, errp);
}

TS_EXPORT bool ts_fdt_set_u32(void *fdt, int node, const char *prop,
                              uint32_t value, GError **errp)
{
    return ts_fdt_check(fdt, node, fdt_setprop_u32(fdt, node, prop, value),
                        prop, errp);
}
