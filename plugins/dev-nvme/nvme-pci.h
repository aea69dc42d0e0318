/*
 * nvme-pci.h - what the two device types of the plugin share: the `nvme`
 * PCI function (nvme-pci.c) and the `nvme-ns` namespaces plugged into it
 * (nvme-ns.c).
 */
#ifndef DEV_NVME_PCI_H
#define DEV_NVME_PCI_H

#include <tessera/tessera.h>
#include <tessera/block.h>
#include <tessera/pci.h>

#include "nvme-ctrl.h"

#define NVME_TYPE           "nvme"
#define NVME_NS_TYPE        "nvme-ns"

typedef struct NvmePci {
    TsPciDevice parent;

    /* Properties, as QEMU 7.2 names them */
    char *serial;
    char *drive;
    uint64_t logical_block_size;    /* 0: the backend's */
    uint64_t physical_block_size;

    NvmeCtrl ctrl;
    NvmeNamespace ns;               /* namespace 1 when drive= is given */
    TsBlockBackend *blk;
    TsMemoryRegion *bar;            /* container: registers, MSI-X */
    TsMemoryRegion *regs;
    bool has_msix;
    GQueue deferred;                /* completions that found us busy */
    TsBH *deferred_bh;
} NvmePci;

/* A block size property: 0 or a power of two from 512 to 32 KiB. */
bool nvme_check_block_size(const char *type, const char *name, uint64_t v,
                           GError **errp);
/* Fill a namespace from the backend it was attached to. */
void nvme_namespace_setup(NvmeNamespace *ns, TsBlockBackend *blk,
                          uint64_t logical_block_size);

extern const TsTypeInfo nvme_ns_type;

#endif
