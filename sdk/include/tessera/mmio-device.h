/*
 * tessera/mmio-device.h - the base type of every memory-mapped device.
 *
 * What every on-board device has in common is done once here: the "addr"
 * property, the register window mapped into system memory when the device
 * is realized and unmapped when it is unrealized, interrupt outputs named
 * "irq" that the board wires to an interrupt controller, the address space
 * the device's DMA goes to (system memory unless the board says otherwise),
 * and a default device-tree node.
 *
 * A subclass sets the hooks of TsMmioDeviceClass instead of the realize and
 * unrealize of TsDeviceClass (mmio-device owns those); it may set
 * TsDeviceClass.reset as usual.  In its realize hook it checks its
 * properties and creates its window with ts_mmio_device_init_mmio(); the
 * base maps the window at "addr" in system memory once the hook returned
 * true, and refuses a device whose hook created no window.  At unrealize
 * the base unmaps the window, calls the hook, drops the window and lowers
 * every output, so a device that is gone asserts nothing.
 *
 * mmio-device implements "fdt-node" (<tessera/fdt.h>) with the default
 * node described at TsMmioDeviceClass.fdt_name.  A device whose node has
 * another shape (flash banks sharing one node) replaces the interface's
 * add in its class_init and builds it with the ts_fdt_* helpers.
 *
 * The interrupt number has one source: the wiring.  A device tree node
 * takes each output's number from the input line it is connected to
 * (ts_irq_number), so the node and the wiring cannot disagree, and an
 * unwired output is simply not described.
 */
#ifndef TESSERA_MMIO_DEVICE_H
#define TESSERA_MMIO_DEVICE_H

#include <tessera/device.h>
#include <tessera/fdt.h>
#include <tessera/irq.h>
#include <tessera/memory.h>

TS_BEGIN_DECLS

#define TS_TYPE_MMIO_DEVICE "mmio-device"

/* The most "irq" outputs one MMIO device can have. */
#define TS_MMIO_MAX_IRQS 8

typedef struct TsMmioDevice {
    TsDevice parent;
    uint64_t addr;                      /* "addr": where the window goes */
    TsMemoryRegion *mmio;               /* the window, once created */
    /* Outputs "irq" 0 .. n_irqs-1 of the class, wired by the board;
     * drive them with ts_irq_set (an unwired one is NULL: ignored). */
    TsIrq *irq[TS_MMIO_MAX_IRQS];
    TsAddressSpace *dma;                /* private: ts_mmio_device_dma() */
    void *reserved[8];
} TsMmioDevice;

typedef struct TsMmioDeviceClass {
    TsDeviceClass parent;
    /* Check properties, claim resources and create the window with
     * ts_mmio_device_init_mmio().  false + errp: nothing is mapped and the
     * device must hold nothing.  Optional. */
    bool (*realize)(TsMmioDevice *dev, GError **errp);
    /* Release what realize claimed; the window is already unmapped (the
     * base drops its reference afterwards).  Optional. */
    void (*unrealize)(TsMmioDevice *dev);
    /* How many "irq" outputs the device has (at most TS_MMIO_MAX_IRQS). */
    unsigned n_irqs;
    /* The default device-tree node "<fdt_name>@<addr in hex>" with, in
     * this order: compatible, reg (addr and the window's size), what
     * fdt_extra adds, then interrupts (the numbers of the wired outputs,
     * in output order) and interrupt-parent.  No output wired: no
     * interrupts (the device is polled).  fdt_name NULL: the device adds
     * no node (a board describes it itself). */
    const char *fdt_name;
    const char *const *fdt_compatible;  /* NULL-terminated */
    /* Optional: add the device's own properties to its default node
     * `node`; it may add nodes elsewhere too (the base finds its node
     * again by path afterwards).  false + errp on failure. */
    bool (*fdt_extra)(TsMmioDevice *dev, const TsFdtContext *ctx, int node,
                      GError **errp);
    void *reserved[8];
} TsMmioDeviceClass;

#define TS_MMIO_DEVICE(obj) TS_CHECK(TsMmioDevice, (obj), TS_TYPE_MMIO_DEVICE)
#define TS_MMIO_DEVICE_GET_CLASS(obj) \
    ((TsMmioDeviceClass *)ts_class_dynamic_cast(TS_OBJECT(obj)->klass, \
                                                TS_TYPE_MMIO_DEVICE))

/*
 * Create the device's register window: an MMIO region of `size` bytes
 * named "<type>@<addr>" (as `info mtree` shows it), dispatching to ops
 * with opaque.  From the realize hook, once.  false + errp, naming the
 * device, when the window would not fit below 2^64 at "addr" or the ops
 * are inconsistent.
 */
bool ts_mmio_device_init_mmio(TsMmioDevice *dev, const TsMemoryOps *ops,
                              void *opaque, uint64_t size, GError **errp);

/*
 * Use `mr` (a region the device made itself: a ROM device, a container)
 * as the window instead.  Takes the caller's reference, also when it
 * fails (as ts_mmio_device_init_mmio does).  From the realize hook, once.
 */
bool ts_mmio_device_init_region(TsMmioDevice *dev, TsMemoryRegion *mr,
                                GError **errp);

/* Where the device's DMA goes: system memory unless the board set another
 * address space before realize (it must outlive the device; NULL goes
 * back to system memory). */
TsAddressSpace *ts_mmio_device_dma(TsMmioDevice *dev);
void ts_mmio_device_set_dma(TsMmioDevice *dev, TsAddressSpace *as);

/*
 * For boards: set "addr" and wire output "irq" n to `line` (an interrupt
 * controller's input, whose ts_irq_number() the device tree will name),
 * in one call; call again with the same addr for further outputs.  line
 * may be NULL (unwired).  Before realize; false + errp when the device has
 * no output n or is already realized.
 */
bool ts_mmio_device_place(TsMmioDevice *dev, uint64_t addr, unsigned n,
                          TsIrq *line, GError **errp);

TS_END_DECLS

#endif
