/*
 * tessera/fdt.h - devices that describe themselves in a flattened device
 * tree.
 *
 * A board that hands its guest a device tree (RISC-V virt, for one) builds
 * the parts it owns (memory, CPUs, interrupt controller, /chosen) and then
 * walks every realized device under the machine.  Each device whose class
 * implements the "fdt-node" interface adds its own node, so the board never
 * hard-codes what a plugin's device looks like and out-of-tree devices
 * appear in the tree too.
 *
 * The tree is a libfdt blob open for read-write edits (fdt_add_subnode,
 * fdt_setprop_*); a device plugin links libfdt itself.  A callback that
 * runs out of room returns false with an error: the board sizes the blob
 * generously, so that is a bug, not user input.
 */
#ifndef TESSERA_FDT_H
#define TESSERA_FDT_H

#include <tessera/device.h>

TS_BEGIN_DECLS

#define TS_TYPE_FDT_NODE "fdt-node"

/* Where a device's node goes and what it may refer to. */
typedef struct TsFdtContext {
    void *fdt;                  /* the blob (libfdt's void *fdt) */
    const char *parent_path;    /* node to add the device under ("/soc") */
    int parent;                 /* its offset, looked up afresh for each
                                 * device (adding nodes moves offsets) */
    unsigned addr_cells;        /* #address-cells of that parent */
    unsigned size_cells;        /* #size-cells of that parent */
    uint32_t irq_parent;        /* phandle of the interrupt controller the
                                 * board wired the device's lines to */
    unsigned irq_cells;         /* its #interrupt-cells */
    void *reserved[5];
} TsFdtContext;

/* The interface's class: fetch it with
 * ts_class_interface(klass, TS_TYPE_FDT_NODE) in class_init and set add. */
typedef struct TsFdtNodeInterface {
    TsObjectClass parent;
    /* Add the device's node(s).  false + errp on failure. */
    bool (*add)(TsDevice *dev, const TsFdtContext *ctx, GError **errp);
    void *reserved[4];
} TsFdtNodeInterface;

/*
 * Call `add` of every realized device under the machine that implements
 * the interface, in creation order, each with ctx->parent set to the
 * current offset of ctx->parent_path.  For boards.  Stops at the first
 * failure.  Node offsets a device kept from an earlier call are stale:
 * look nodes up by path.
 */
bool ts_fdt_add_device_nodes(const TsFdtContext *ctx, GError **errp);

/*
 * Helpers for the properties every memory-mapped device writes the same
 * way.  Each returns false (or -1) with a one-line message naming the node
 * and libfdt's reason, so an add callback can pass errp straight along.
 * mmio-device (<tessera/mmio-device.h>) uses them for its default node; a
 * device with a node of its own shape calls them itself.
 */

/* Add the node "<name>@<addr in lower-case hex>" under `parent`; its
 * offset, or -1 + errp (a node of that name exists, the blob is full). */
int ts_fdt_add_node(void *fdt, int parent, const char *name, uint64_t addr,
                    GError **errp);

/* Set reg = <addr size> in ctx's #address-cells and #size-cells (1 or 2
 * each); refused when a value does not fit its cells. */
bool ts_fdt_set_reg(const TsFdtContext *ctx, int node, uint64_t addr,
                    uint64_t size, GError **errp);

/* Append one <addr size> entry to the node's reg (set it if there is none
 * yet): devices that share one node, such as flash banks one after the
 * other, each add their own entry. */
bool ts_fdt_append_reg(const TsFdtContext *ctx, int node, uint64_t addr,
                       uint64_t size, GError **errp);

/* Set interrupts = the `n` interrupt numbers in `irqs`, each followed by a
 * level-high flag cell when ctx->irq_cells is 2 (refused above 2), and
 * interrupt-parent = ctx->irq_parent when the board named one.  n is at
 * least 1. */
bool ts_fdt_set_interrupts(const TsFdtContext *ctx, int node,
                           const uint32_t *irqs, unsigned n, GError **errp);

/* Set a string list ("compatible") from a NULL-terminated array. */
bool ts_fdt_set_strings(void *fdt, int node, const char *prop,
                        const char *const *values, GError **errp);

/* Set a property of one 32-bit cell. */
bool ts_fdt_set_u32(void *fdt, int node, const char *prop, uint32_t value,
                    GError **errp);

/* Turn the result of a libfdt call on `node` (negative: an error) into
 * true, or false + errp saying what could not be set ("phandle"). */
bool ts_fdt_check(void *fdt, int node, int result, const char *what,
                  GError **errp);

TS_END_DECLS

#endif
