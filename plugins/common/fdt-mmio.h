/*
 * plugins/common/fdt-mmio.h - the device-tree properties every on-board
 * MMIO device writes the same way (node name, reg, interrupts), shared by
 * the device plugins that implement the "fdt-node" interface
 * (<tessera/fdt.h>).  Compiled into each plugin that uses it: plugins
 * cannot call one another.
 *
 * Every call returns false (or -1) with a message naming the node and
 * libfdt's reason, so a device's add callback can just pass errp along.
 */
#ifndef PLUGINS_COMMON_FDT_MMIO_H
#define PLUGINS_COMMON_FDT_MMIO_H

#include <tessera/fdt.h>

/* Add "<name>@<addr in hex>" under `parent`; its offset, or -1 + errp. */
int fdt_mmio_add_node(void *fdt, int parent, const char *name, uint64_t addr,
                      GError **errp);

/* reg = <addr size> in the parent's #address-cells/#size-cells (1 or 2
 * each); fails if a value does not fit the cells. */
bool fdt_mmio_set_reg(const TsFdtContext *ctx, int node, uint64_t addr,
                      uint64_t size, GError **errp);

/* interrupts = <irq> (with a level-high flag cell when the controller
 * has #interrupt-cells = 2) and interrupt-parent = ctx->irq_parent when
 * the board named one. */
bool fdt_mmio_set_interrupts(const TsFdtContext *ctx, int node,
                             uint64_t irq, GError **errp);

/* A string-list property from a NULL-terminated array ("compatible"). */
bool fdt_mmio_set_strings(void *fdt, int node, const char *prop,
                          const char *const *values, GError **errp);

/* One 32-bit cell. */
bool fdt_mmio_set_u32(void *fdt, int node, const char *prop, uint32_t value,
                      GError **errp);

/* Turn a libfdt result (< 0: error) into false + errp naming `what`. */
bool fdt_mmio_check(void *fdt, int node, int result, const char *what,
                    GError **errp);

#endif
