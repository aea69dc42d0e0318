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

TS_END_DECLS

#endif
