/*
 * tessera/pci.h - PCI and PCI Express devices, buses and host bridges.
 *
 * Part of the Tessera plugin SDK.  The core owns what every PCI function
 * has in common: its configuration space (type 0 and type 1 headers, the
 * capability list, the 4 KiB extended space of PCI Express), BAR sizing
 * and mapping, INTx routing with the standard swizzle, MSI and MSI-X
 * (the message writes, masking, the pending bits), bus mastering, reset
 * and the properties that place a function on a bus.  A device plugin
 * describes what is its own: ids, BARs as memory regions, the
 * capabilities it offers, its registers, and when it interrupts.
 *
 * DEVICES
 *
 * A PCI device type derives from TS_TYPE_PCI_DEVICE ("pci-device").  Its
 * class_init fills the ids of TsPciDeviceClass and sets the hooks of
 * TsPciDeviceClass instead of TsDeviceClass's realize/unrealize/reset,
 * which pci-device owns:
 *
 *   realize   (the config header is already filled from the class and the
 *             device sits on its bus at its devfn) declares BARs with
 *             ts_pci_register_bar() and capabilities with the
 *             ts_pci_add_* / ts_pcie_add_* calls, then returns true.  On
 *             false + errp the core takes the device off the bus and
 *             releases the BARs and capabilities it was given; the hook
 *             releases anything else it claimed itself.
 *   unrealize the device is already off the bus, its BARs unmapped and
 *             its INTx deasserted; release what realize claimed.
 *   reset     device registers to their power-on state.  The core has
 *             already reset the standard parts of config space (command,
 *             status, BARs, MSI/MSI-X enables and masks, INTx level).
 *
 * Every device gets these properties:
 *   addr=SLOT[.FN]   slot and function in hex ("03", "03.1"; default: the
 *                    first free slot, function 0)
 *   multifunction=on function 0 announces further functions in its
 *                    header type (as in QEMU, each function is its own
 *                    -device; function 0 must say so or the others are
 *                    refused, and the other way round)
 *   bus=NAME         the bus to plug into: a root bus's name ("pcie.0"
 *                    on the virt board) or the id of a bridge or root
 *                    port; default: the first root bus.
 *
 * CONFIGURATION SPACE
 *
 * 256 bytes for conventional PCI, 4096 for a device whose class sets
 * `express`.  The core keeps three arrays: the values, the mask of bits
 * the guest may write, and the mask of write-1-to-clear bits.  The
 * standard header is writable as the spec says; bytes a device adds in
 * capabilities are read-only until it calls ts_pci_set_config_mask().
 * Values are little-endian bytes: read and write them with
 * ts_pci_get_word()/ts_pci_set_word() etc. on ts_pci_config(dev).
 *
 * Guest accesses (through the host bridge's ECAM, or any other config
 * mechanism) call the class's config_read/config_write hooks, or the
 * defaults ts_pci_default_config_read/write when they are NULL.  A hook
 * that intercepts some registers chains to the default for the others;
 * the default write is what applies the masks and reacts to command,
 * BAR, bridge window and MSI/MSI-X control changes.
 *
 * BARS
 *
 * A BAR's contents are a memory region (<tessera/memory.h>): an MMIO
 * region of the device's registers, RAM, or a container of several.  Its
 * size must be a power of two (at least 16 bytes for memory, 4 for I/O):
 * that is what the guest learns by writing all-ones to the BAR.  The core
 * maps the region into the bus's memory or I/O space at the address the
 * guest programmed, while the command register's memory (or I/O) enable
 * bit is set, and unmaps it when either changes.  Guests are hostile: a
 * BAR programmed over RAM, over another BAR, over the host bridge's own
 * windows or partly outside them never corrupts anything; BARs live in
 * the host bridge's window containers, below the board's RAM and
 * on-board devices (which win where they overlap, as in QEMU), and an
 * address that does not fit its window is simply not reachable.
 *
 * INTERRUPTS
 *
 * INTx: a class with interrupt_pin 1..4 (INTA..INTD) drives its pin with
 * ts_pci_set_irq(); the level is held until the device lowers it.  The
 * core routes it to the host bridge through every bridge on the way with
 * the standard swizzle ((pin - 1 + slot) % 4 at each level) and honours
 * the command register's INTx-disable bit and the status register's
 * interrupt bit.
 *
 * MSI and MSI-X: ts_pci_msi_notify(dev, vector) sends the vector's
 * message (a 32-bit write of the data to the address the guest
 * programmed) through the device's bus master address space, so with
 * bus mastering off nothing is sent.  A masked MSI-X vector (function
 * mask or the entry's mask bit) sets its pending bit instead and the
 * message goes when the guest unmasks it.  Messages land wherever the
 * guest pointed them: on a board with an MSI controller (the RISC-V
 * IMSIC), its interrupt files; anywhere else the write is what a wild
 * DMA write would be (dropped if nothing is there).
 *
 * A bus whose host bridge has no MSI controller (the virt board with
 * aia=none) refuses ts_pci_add_msi() and ts_pci_add_msix() with
 * TS_ERROR_UNSUPPORTED, as QEMU does: the device goes on without the
 * capability and uses INTx, so the guest never enables a message nobody
 * would receive.
 *
 * DMA
 *
 * A device's DMA goes through its bus master address space
 * (ts_pci_device_dma_as(), or the ts_pci_dma_read/write shortcuts): the
 * host bridge's view of memory (system memory on the virt board) while
 * the command register's bus master bit is set, nothing otherwise (every
 * access reports TS_MEM_UNASSIGNED: reads give zeroes, writes are
 * dropped).  The same guarantees as ts_dma_read/write apply.
 *
 * THREADS
 *
 * Everything here runs with the big lock held: from realize/unrealize,
 * reset, config and MMIO callbacks, or the main loop.
 */
#ifndef TESSERA_PCI_H
#define TESSERA_PCI_H

#include <tessera/device.h>
#include <tessera/irq.h>
#include <tessera/memory.h>

TS_BEGIN_DECLS

#define TS_TYPE_PCI_DEVICE "pci-device"

/* ------------------------------------------------------------------ */
/* Register offsets and bits (PCI Local Bus 3.0, PCI Express 4.0)     */

#define TS_PCI_CONFIG_SPACE_SIZE       0x100
#define TS_PCIE_CONFIG_SPACE_SIZE      0x1000

#define TS_PCI_VENDOR_ID               0x00    /* 16 bits */
#define TS_PCI_DEVICE_ID               0x02    /* 16 bits */
#define TS_PCI_COMMAND                 0x04    /* 16 bits */
#define   TS_PCI_COMMAND_IO              0x0001
#define   TS_PCI_COMMAND_MEMORY          0x0002
#define   TS_PCI_COMMAND_MASTER          0x0004
#define   TS_PCI_COMMAND_SERR            0x0100
#define   TS_PCI_COMMAND_INTX_DISABLE    0x0400
#define TS_PCI_STATUS                  0x06    /* 16 bits */
#define   TS_PCI_STATUS_INTERRUPT        0x0008
#define   TS_PCI_STATUS_CAP_LIST         0x0010
#define TS_PCI_REVISION_ID             0x08
#define TS_PCI_CLASS_PROG              0x09
#define TS_PCI_CLASS_DEVICE            0x0a    /* 16 bits: class, subclass */
#define TS_PCI_CACHE_LINE_SIZE         0x0c
#define TS_PCI_LATENCY_TIMER           0x0d
#define TS_PCI_HEADER_TYPE             0x0e
#define   TS_PCI_HEADER_TYPE_NORMAL      0x00
#define   TS_PCI_HEADER_TYPE_BRIDGE      0x01
#define   TS_PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define TS_PCI_BASE_ADDRESS_0          0x10    /* 6 (type 0) or 2 (type 1) */
#define   TS_PCI_BASE_ADDRESS_SPACE_IO   0x01
#define   TS_PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define   TS_PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define TS_PCI_SUBSYSTEM_VENDOR_ID     0x2c    /* type 0 */
#define TS_PCI_SUBSYSTEM_ID            0x2e    /* type 0 */
#define TS_PCI_ROM_ADDRESS             0x30    /* type 0 */
#define TS_PCI_CAPABILITY_LIST         0x34
#define TS_PCI_INTERRUPT_LINE          0x3c
#define TS_PCI_INTERRUPT_PIN           0x3d
/* type 1 (bridge) header */
#define TS_PCI_PRIMARY_BUS             0x18
#define TS_PCI_SECONDARY_BUS           0x19
#define TS_PCI_SUBORDINATE_BUS         0x1a
#define TS_PCI_IO_BASE                 0x1c
#define TS_PCI_IO_LIMIT                0x1d
#define TS_PCI_SEC_STATUS              0x1e
#define TS_PCI_MEMORY_BASE             0x20
#define TS_PCI_MEMORY_LIMIT            0x22
#define TS_PCI_PREF_MEMORY_BASE        0x24
#define TS_PCI_PREF_MEMORY_LIMIT       0x26
#define TS_PCI_PREF_BASE_UPPER32       0x28
#define TS_PCI_PREF_LIMIT_UPPER32      0x2c
#define TS_PCI_IO_BASE_UPPER16         0x30
#define TS_PCI_IO_LIMIT_UPPER16        0x32
#define TS_PCI_ROM_ADDRESS1            0x38
#define TS_PCI_BRIDGE_CONTROL          0x3e
#define   TS_PCI_BRIDGE_CTL_SEC_RESET    0x40

/* Capability ids (byte 0 of a capability; byte 1 is the next pointer) */
#define TS_PCI_CAP_ID_PM               0x01
#define TS_PCI_CAP_ID_MSI              0x05
#define TS_PCI_CAP_ID_VNDR             0x09    /* byte 2: the length */
#define TS_PCI_CAP_ID_SSVID            0x0d    /* bridge subsystem ids */
#define TS_PCI_CAP_ID_EXP              0x10
#define TS_PCI_CAP_ID_MSIX             0x11

/* Extended capability ids (offset 0x100 and up, PCI Express only) */
#define TS_PCI_EXT_CAP_ID_ERR          0x0001
#define TS_PCI_EXT_CAP_ID_DSN          0x0003
#define TS_PCI_EXT_CAP_ID_ARI          0x000e
#define TS_PCI_EXT_CAP_ID_SRIOV        0x0010

/* PCI Express device/port types (the PCIe capability's bits 7:4) */
typedef enum TsPcieType {
    TS_PCIE_TYPE_ENDPOINT = 0x0,
    TS_PCIE_TYPE_LEG_END = 0x1,
    TS_PCIE_TYPE_ROOT_PORT = 0x4,
    TS_PCIE_TYPE_UPSTREAM = 0x5,
    TS_PCIE_TYPE_DOWNSTREAM = 0x6,
    TS_PCIE_TYPE_PCI_BRIDGE = 0x7,
    TS_PCIE_TYPE_RC_END = 0x9,
} TsPcieType;

/* Common class ids (base class << 8 | subclass) */
#define TS_PCI_CLASS_STORAGE_SCSI      0x0100
#define TS_PCI_CLASS_STORAGE_EXPRESS   0x0108  /* NVMe: prog-if 0x02 */
#define TS_PCI_CLASS_STORAGE_OTHER     0x0180
#define TS_PCI_CLASS_NETWORK_ETHERNET  0x0200
#define TS_PCI_CLASS_NETWORK_OTHER     0x0280
#define TS_PCI_CLASS_DISPLAY_OTHER     0x0380
#define TS_PCI_CLASS_MEMORY_RAM        0x0500
#define TS_PCI_CLASS_BRIDGE_HOST       0x0600
#define TS_PCI_CLASS_BRIDGE_PCI        0x0604
#define TS_PCI_CLASS_COMMUNICATION_OTHER 0x0780
#define TS_PCI_CLASS_SYSTEM_OTHER      0x0880
#define TS_PCI_CLASS_INPUT_OTHER       0x0980
#define TS_PCI_CLASS_OTHERS            0xff00

/* Vendor ids the in-tree devices use */
#define TS_PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4  /* virtio, subsystem ids */
#define TS_PCI_VENDOR_ID_REDHAT        0x1b36  /* QEMU's own devices */
#define TS_PCI_SUBDEVICE_ID_QEMU       0x1100

/* Little-endian accessors for config bytes (ts_pci_config(dev) + off). */
static inline uint8_t ts_pci_get_byte(const uint8_t *p) { return p[0]; }
static inline uint16_t ts_pci_get_word(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t ts_pci_get_long(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline void ts_pci_set_byte(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void ts_pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void ts_pci_set_long(uint8_t *p, uint32_t v)
{
    ts_pci_set_word(p, (uint16_t)v);
    ts_pci_set_word(p + 2, (uint16_t)(v >> 16));
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */

typedef struct TsPciBus TsPciBus;

typedef struct TsPciDevice {
    TsDevice parent;
    /* Properties (see the top of this file); read-only for devices. */
    char *addr_prop;            /* "addr", NULL: automatic */
    bool multifunction;         /* "multifunction" */
    char *bus_prop;             /* "bus", NULL: the first root bus */
    /* Set by the core while the device is realized; read-only. */
    TsPciBus *bus;              /* the bus it sits on */
    uint8_t devfn;              /* slot << 3 | function */
    void *priv;                 /* core-private state */
    void *reserved[8];
} TsPciDevice;

typedef struct TsPciDeviceClass {
    TsDeviceClass parent;
    /* Identity, copied into the header before realize. */
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint16_t class_id;          /* base class << 8 | subclass */
    uint8_t prog_if;            /* programming interface */
    /* Type 0 only.  Both 0: 0x1af4:0x1100, QEMU's default, so guests
     * see the same ids as under QEMU. */
    uint16_t subsystem_vendor_id;
    uint16_t subsystem_id;
    /* TS_PCI_HEADER_TYPE_NORMAL or _BRIDGE (bridges are the core's:
     * a plugin device is type 0).  The multi-function bit comes from the
     * multifunction property. */
    uint8_t header_type;
    /* 0: no INTx; 1..4: INTA..INTD, written to the interrupt pin
     * register and used by ts_pci_set_irq(). */
    uint8_t interrupt_pin;
    /* A PCI Express function: 4 KiB of config space (extended
     * capabilities from 0x100).  Add the PCIe capability in realize with
     * ts_pcie_add_express_capability(). */
    bool express;
    /* Hooks, all optional; see the top of this file. */
    bool (*realize)(TsPciDevice *dev, GError **errp);
    void (*unrealize)(TsPciDevice *dev);
    void (*reset)(TsPciDevice *dev);
    /* A guest config access of `len` (1, 2 or 4) bytes at `addr`, never
     * crossing a 4-byte boundary and always within config space (the
     * core answers the rest).  NULL: the defaults below. */
    uint32_t (*config_read)(TsPciDevice *dev, uint32_t addr, unsigned len);
    void (*config_write)(TsPciDevice *dev, uint32_t addr, uint32_t val,
                         unsigned len);
    void *reserved[8];
} TsPciDeviceClass;

#define TS_PCI_DEVICE(obj) TS_CHECK(TsPciDevice, (obj), TS_TYPE_PCI_DEVICE)
#define TS_PCI_DEVICE_GET_CLASS(obj) \
    ((TsPciDeviceClass *)ts_class_dynamic_cast(TS_OBJECT(obj)->klass, \
                                               TS_TYPE_PCI_DEVICE))

/* The config space values (256 or 4096 bytes, little-endian).  Devices
 * write their own registers here (a capability's contents, read-only
 * state the guest reads).  Valid from realize until unrealize. */
uint8_t *ts_pci_config(TsPciDevice *dev);

/* The size of the device's config space: 256 or 4096. */
uint32_t ts_pci_config_size(TsPciDevice *dev);

/*
 * Which bits of the `len`-byte (1, 2 or 4) register at `offset` the
 * guest may write (`wmask`), and which of those are write-1-to-clear
 * status bits (`w1cmask`, a guest write of 1 clears them; a device sets
 * them in ts_pci_config()).  For registers of capabilities the device
 * added; false (with a critical warning) outside config space.
 */
bool ts_pci_set_config_mask(TsPciDevice *dev, uint32_t offset,
                            unsigned len, uint32_t wmask, uint32_t w1cmask);

/* The default config access: what the guest sees when the class has no
 * hook, and what a hook chains to for the registers it leaves alone. */
uint32_t ts_pci_default_config_read(TsPciDevice *dev, uint32_t addr,
                                    unsigned len);
void ts_pci_default_config_write(TsPciDevice *dev, uint32_t addr,
                                 uint32_t val, unsigned len);

/* Bus number the guest gave the device's bus (0 for a root bus, a
 * bridge's secondary bus number otherwise) and the device's slot and
 * function, as `lspci` shows them. */
uint8_t ts_pci_device_bus_number(TsPciDevice *dev);
static inline unsigned ts_pci_slot(const TsPciDevice *dev)
{
    return dev->devfn >> 3;
}
static inline unsigned ts_pci_func(const TsPciDevice *dev)
{
    return dev->devfn & 7;
}

/* ------------------------------------------------------------------ */
/* BARs                                                               */

/* BAR types for ts_pci_register_bar(): the low bits of the register. */
#define TS_PCI_BAR_MEM32     0x00
#define TS_PCI_BAR_IO        TS_PCI_BASE_ADDRESS_SPACE_IO
#define TS_PCI_BAR_MEM64     TS_PCI_BASE_ADDRESS_MEM_TYPE_64
#define TS_PCI_BAR_PREFETCH  TS_PCI_BASE_ADDRESS_MEM_PREFETCH  /* | MEM* */

/* What ts_pci_bar_address() answers for a BAR that is not mapped. */
#define TS_PCI_BAR_UNMAPPED  UINT64_MAX

/*
 * Declare BAR `bar` (0..5; a 64-bit BAR also takes bar + 1, so bar is
 * at most 4) of `type` (TS_PCI_BAR_IO, or TS_PCI_BAR_MEM32/MEM64 with
 * TS_PCI_BAR_PREFETCH or not) with contents `mr`, whose size is the
 * BAR's: a power of two, at least 16 bytes for memory, at least 4 and
 * at most 64 KiB for I/O.  Takes a reference on mr (dropped at
 * unrealize).  From the realize hook; false + errp naming the device on
 * a bad size, a BAR number taken or out of range.
 */
bool ts_pci_register_bar(TsPciDevice *dev, unsigned bar, uint8_t type,
                         TsMemoryRegion *mr, GError **errp);

/* Where BAR `bar` is mapped in its space (memory or I/O), or
 * TS_PCI_BAR_UNMAPPED (disabled by the command register, never
 * programmed, or not a BAR). */
uint64_t ts_pci_bar_address(TsPciDevice *dev, unsigned bar);

/* ------------------------------------------------------------------ */
/* Capabilities                                                       */

/*
 * Add a capability of `size` bytes (at least 2: id and next pointer)
 * with id `cap_id` to the list at 0x40..0xff, at `offset` (dword
 * aligned) or, with offset 0, at the first free dword-aligned place.
 * The core writes the id and links it in (the list's order is the order
 * of the calls); the device fills bytes 2..size-1 in ts_pci_config()
 * (a vendor capability's byte 2 is its length: the caller writes it).
 * Returns the offset, or 0 + errp when it does not fit or overlaps
 * another capability.  From the realize hook.
 */
uint8_t ts_pci_add_capability(TsPciDevice *dev, uint8_t cap_id,
                              uint8_t offset, uint8_t size, GError **errp);

/* Offset of the first capability with that id, or 0. */
uint8_t ts_pci_find_capability(TsPciDevice *dev, uint8_t cap_id);

/*
 * PCI Express extended capability `cap_id`, version `version`, of `size`
 * bytes at `offset` (0x100..0xffc, dword aligned; 0: the first free
 * place); its header (id, version, next) is the core's.  Only for
 * express classes.  Returns the offset, or 0 + errp.
 */
uint16_t ts_pcie_add_ext_capability(TsPciDevice *dev, uint16_t cap_id,
                                    uint8_t version, uint16_t offset,
                                    uint16_t size, GError **errp);

/* Offset of the extended capability with that id, or 0. */
uint16_t ts_pcie_find_ext_capability(TsPciDevice *dev, uint16_t cap_id);

/*
 * The PCI Express capability (version 2, 60 bytes) for a function of
 * `type`, at `offset` (0: first free place).  An endpoint
 * (TS_PCIE_TYPE_ENDPOINT) plugged straight into a root bus becomes a
 * root complex integrated endpoint, as QEMU makes it, since that is what
 * it is there.  Link: x1 at 2.5 GT/s.  Returns the offset or 0 + errp.
 */
uint8_t ts_pcie_add_express_capability(TsPciDevice *dev, TsPcieType type,
                                       uint8_t offset, GError **errp);

/*
 * MSI capability with `vectors` (1, 2, 4, 8, 16 or 32) vectors, 64-bit
 * addresses if addr64, per-vector masking if per_vector_mask, at
 * `offset` (0: first free place).  Returns the offset, or 0 + errp
 * (TS_ERROR_UNSUPPORTED when the bus has no MSI controller: go on
 * without it).
 */
uint8_t ts_pci_add_msi(TsPciDevice *dev, unsigned vectors, bool addr64,
                       bool per_vector_mask, uint8_t offset, GError **errp);

/*
 * MSI-X capability with `vectors` (1..2048) vectors whose table (16 bytes
 * a vector) is at `table_offset` in BAR `table_bar` and whose pending
 * bit array (one bit a vector, in 64-bit words) is at `pba_offset` in
 * BAR `pba_bar`.  Both BARs must be registered already with container
 * regions (ts_memory_region_new_container): the core maps the table and
 * PBA in them above whatever else they hold.  Offsets 8-byte aligned,
 * the structures inside their BARs.  Returns the capability's offset,
 * or 0 + errp (TS_ERROR_UNSUPPORTED: no MSI controller, go on without).
 */
uint8_t ts_pci_add_msix(TsPciDevice *dev, unsigned vectors,
                        unsigned table_bar, uint32_t table_offset,
                        unsigned pba_bar, uint32_t pba_offset,
                        uint8_t offset, GError **errp);

/*
 * MSI-X in a BAR of its own, as QEMU lays it out: a 32-bit memory BAR
 * `bar` of at least 4 KiB (a power of two) with the table at 0 and the
 * PBA in its second half.  Returns the capability's offset or 0 + errp
 * (TS_ERROR_UNSUPPORTED as above; the BAR is then not registered).
 */
uint8_t ts_pci_add_msix_bar(TsPciDevice *dev, unsigned vectors,
                            unsigned bar, uint8_t offset, GError **errp);

/* ------------------------------------------------------------------ */
/* Interrupts                                                         */

/* Drive the class's INTx pin (level: held until lowered).  Ignored for
 * a class without a pin.  The guest sees it unless INTx is disabled in
 * the command register; the status register's interrupt bit follows
 * the level either way. */
void ts_pci_set_irq(TsPciDevice *dev, int level);

/* True while the guest has MSI (resp. MSI-X) enabled on the device. */
bool ts_pci_msi_enabled(TsPciDevice *dev);
bool ts_pci_msix_enabled(TsPciDevice *dev);

/* How many vectors the guest enabled (MSI: 1 << multiple message
 * enable; MSI-X: the table size), 0 when neither is enabled. */
unsigned ts_pci_msi_vectors(TsPciDevice *dev);

/* True if MSI-X vector `vector` is masked (entry or function mask). */
bool ts_pci_msix_masked(TsPciDevice *dev, unsigned vector);

/*
 * Signal `vector` by MSI-X if enabled, else by MSI if enabled (the
 * vector then selects the low bits of the data), else do nothing: the
 * device uses INTx when ts_pci_msi_vectors() is 0.  Out-of-range vectors
 * are ignored (logged as a guest error).
 */
void ts_pci_msi_notify(TsPciDevice *dev, unsigned vector);

/* ------------------------------------------------------------------ */
/* DMA                                                                */

/* The device's bus master address space: the host bridge's DMA view
 * while bus mastering is on, empty while it is off.  Owned by the core,
 * valid from realize until unrealize (hand it to the virtio core and
 * the like). */
TsAddressSpace *ts_pci_device_dma_as(TsPciDevice *dev);

/* DMA through that address space: TS_MEM_UNASSIGNED (nothing read or
 * written) while bus mastering is off. */
TsMemResult ts_pci_dma_read(TsPciDevice *dev, uint64_t addr, void *buf,
                            size_t len);
TsMemResult ts_pci_dma_write(TsPciDevice *dev, uint64_t addr,
                             const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Host bridges (for boards)                                          */

/*
 * A root bus named `name` ("pcie.0") for the host bridge device `owner`:
 * BARs are mapped into `mem` and `io` (containers the board maps into
 * system memory through its windows: a BAR's address is its offset in
 * them, so a board whose windows translate addresses maps aliases of
 * them), and bus masters see `dma_root` (NULL: system memory).  express:
 * a PCI Express root complex (its devices get 4 KiB config space through
 * ECAM).  Takes references on the regions.  NULL + errp when the name is
 * taken.
 */
TsPciBus *ts_pci_root_bus_new(TsDevice *owner, const char *name,
                              TsMemoryRegion *mem, TsMemoryRegion *io,
                              TsMemoryRegion *dma_root, bool express,
                              GError **errp);

/* Free a root bus (its devices must be gone). */
void ts_pci_root_bus_free(TsPciBus *bus);

/* Wire the root bus's INTx output n (0..3, INTA..INTD after the swizzle)
 * to `line` (an interrupt controller's input). */
void ts_pci_root_bus_set_intx(TsPciBus *bus, unsigned n, TsIrq *line);

/* Say whether an MSI controller receives the bus's message writes
 * (before devices are realized): without one, MSI and MSI-X are
 * refused to devices (see INTERRUPTS above). */
void ts_pci_root_bus_set_msi(TsPciBus *bus, bool available);

const char *ts_pci_bus_name(const TsPciBus *bus);

/*
 * A guest config access below root bus `root`: bus number `busnr`, devfn,
 * register `reg` (0..4095), `len` 1, 2 or 4 (naturally aligned).  Absent
 * functions and buses read as all-ones and ignore writes, and so do
 * registers beyond a function's config space (reg >= 256 of a
 * conventional function), as under QEMU.
 */
uint32_t ts_pci_host_config_read(TsPciBus *root, uint8_t busnr,
                                 uint8_t devfn, uint16_t reg, unsigned len);
void ts_pci_host_config_write(TsPciBus *root, uint8_t busnr, uint8_t devfn,
                              uint16_t reg, uint32_t val, unsigned len);

/* An ECAM window for `root`: an MMIO region of `nr_buses` MiB (bus <<
 * 20 | devfn << 12 | reg), for the board to map.  Caller owns the
 * reference. */
TsMemoryRegion *ts_pci_host_ecam_region_new(TsPciBus *root,
                                            const char *name,
                                            unsigned nr_buses);

TS_END_DECLS

#endif
