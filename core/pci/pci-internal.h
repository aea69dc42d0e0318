/*
 * core/pci/pci-internal.h - what the files of core/pci share: the bus
 * and the per-function state behind <tessera/pci.h>.
 */
#ifndef TESSERA_CORE_PCI_INTERNAL_H
#define TESSERA_CORE_PCI_INTERNAL_H

#include <tessera/machine.h>
#include <tessera/log.h>
#include <tessera/pci.h>

#define PCI_NUM_BARS 6          /* type 0; a type 1 header has 2 */
#define PCI_DEVFN_MAX 256

struct TsPciBus {
    char *name;
    TsDevice *owner;            /* host bridge device or the bridge */
    TsPciDevice *bridge;        /* NULL for a root bus */
    TsPciBus *root;             /* the hierarchy's root bus (self) */
    TsMemoryRegion *mem, *io;   /* where the bus's BARs are mapped */
    TsMemoryRegion *dma_root;   /* what bus masters see (root bus) */
    bool express;
    bool msi;                   /* an MSI controller listens (root bus) */
    TsPciDevice *devices[PCI_DEVFN_MAX];
    /* INTx: sources asserting each line of this bus, after the swizzle;
     * a root bus drives intx[], a secondary bus its bridge's pins. */
    unsigned intx_count[4];
    TsIrq *intx[4];
    /* A hot-plug capable slot's bridge: told when a function arrives,
     * and asked when device_del wants one to go (1: the guest's consent
     * is sought, the device goes later). */
    void (*plugged)(TsPciDevice *bridge, TsPciDevice *dev);
    int (*unplug_request)(TsPciDevice *bridge, TsPciDevice *dev,
                          GError **errp);
};

typedef struct PciBar {
    TsMemoryRegion *mr;         /* NULL: no BAR here */
    uint8_t type;               /* TS_PCI_BAR_* bits */
    uint64_t size;
    uint64_t addr;              /* mapped at, or TS_PCI_BAR_UNMAPPED */
    TsMemoryRegion *space;      /* container it is mapped in */
} PciBar;

typedef struct PciMsix {
    uint8_t cap;                /* 0: none */
    unsigned vectors;
    unsigned table_bar, pba_bar;
    uint32_t table_offset, pba_offset;
    uint8_t *table;             /* vectors * 16 bytes */
    uint64_t *pba;              /* (vectors + 63) / 64 words */
    TsMemoryRegion *table_mr, *pba_mr;
} PciMsix;

typedef struct PciState {
    uint32_t size;              /* 256 or 4096 */
    uint8_t config[TS_PCIE_CONFIG_SPACE_SIZE];
    uint8_t wmask[TS_PCIE_CONFIG_SPACE_SIZE];
    uint8_t w1cmask[TS_PCIE_CONFIG_SPACE_SIZE];
    uint8_t used[TS_PCIE_CONFIG_SPACE_SIZE];    /* taken by capabilities */
    PciBar bars[PCI_NUM_BARS];
    int intx_level;             /* what the device drives */
    bool intx_routed;           /* counted on the bus (level && enabled) */
    /* MSI */
    uint8_t msi_cap;
    bool msi_64, msi_maskable;
    /* MSI-X */
    PciMsix msix;
    /* bus mastering */
    TsMemoryRegion *master_root, *master_alias;
    TsAddressSpace *master_as;
    TsPciBus *secondary;        /* a bridge's secondary bus */
    TsMemoryRegion *window[3];  /* a bridge's I/O, memory, prefetchable
                                   windows onto its secondary bus */
    char *name;                 /* "virtio-rng-pci" or its id, for logs */
} PciState;

static inline PciState *pci_state(TsPciDevice *dev)
{
    return dev->priv;
}

static inline TsPciDeviceClass *pci_class(TsPciDevice *dev)
{
    return TS_PCI_DEVICE_GET_CLASS(dev);
}

static inline bool pci_is_bridge(TsPciDevice *dev)
{
    return (pci_state(dev)->config[TS_PCI_HEADER_TYPE] & 0x7f) ==
           TS_PCI_HEADER_TYPE_BRIDGE;
}

static inline unsigned pci_bar_count(TsPciDevice *dev)
{
    return pci_is_bridge(dev) ? 2 : PCI_NUM_BARS;
}

/* pci-bus.c */
TsPciBus *pci_bus_new(TsDevice *owner, const char *name, TsMemoryRegion *mem,
                      TsMemoryRegion *io, bool express, GError **errp);
void pci_bus_free(TsPciBus *bus);
TsPciBus *pci_bus_by_name(const char *name);
TsPciBus *pci_default_bus(void);
/* The bus numbered busnr in root's hierarchy, or NULL. */
TsPciBus *pci_bus_find(TsPciBus *root, uint8_t busnr);
uint8_t pci_bus_number(const TsPciBus *bus);
/* Root buses in creation order (for the monitors). */
GPtrArray *pci_root_buses(void);
/* One INTx source on `bus` at `slot` started (+1) or stopped (-1)
 * driving `pin` (0..3). */
void pci_bus_intx_change(TsPciBus *bus, unsigned slot, unsigned pin,
                         int delta);

/* pci-bar.c */
/* Map or unmap every BAR after the command register or a BAR changed. */
void pci_bars_update(TsPciDevice *dev);
void pci_bars_release(TsPciDevice *dev);
void pci_bars_reset(TsPciDevice *dev);
/* True if [off, off+len) touches a BAR register (or the ROM's). */
bool pci_config_hits_bars(TsPciDevice *dev, uint32_t off, unsigned len);

/* pci-config.c */
void pci_config_init_header(TsPciDevice *dev);
void pci_config_reset(TsPciDevice *dev);
/* Re-evaluate INTx routing (level or INTx-disable changed). */
void pci_intx_update(TsPciDevice *dev);
/* Bus mastering follows the command register. */
void pci_master_update(TsPciDevice *dev);

/* pci-msi.c */
void pci_msi_config_written(TsPciDevice *dev, uint32_t off, unsigned len);
void pci_msi_reset(TsPciDevice *dev);
void pci_msi_release(TsPciDevice *dev);

/* pci-bridge.c */
/* Give a type 1 function its secondary bus (from its realize). */
bool pci_bridge_init(TsPciDevice *dev, bool express, GError **errp);
void pci_bridge_release(TsPciDevice *dev);
/* Re-map the windows after a write to the bridge's header or a reset. */
void pci_bridge_update(TsPciDevice *dev);

#endif
