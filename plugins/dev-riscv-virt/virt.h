/*
 * virt.h - the RISC-V virt board's private interfaces: its memory map,
 * the types it registers and the pieces in the other files.
 */
#ifndef VIRT_H
#define VIRT_H

#include <tessera/tessera.h>

#define VIRT_TYPE_CLINT "riscv-clint"
#define VIRT_TYPE_PLIC  "riscv-plic"
#define VIRT_TYPE_GPEX_ROOT "gpex-root"
#define VIRT_TIMEBASE_HZ 10000000ull    /* mtime: 10 MHz */
#define VIRT_MAX_CPUS 32

/* The memory map guests expect of a "virt" board (the same addresses as
 * QEMU's, so firmware built for it runs unchanged). */
enum {
    VIRT_MROM_BASE   = 0x00001000, VIRT_MROM_SIZE   = 0xf000,
    VIRT_TEST_BASE   = 0x00100000,
    VIRT_RTC_BASE    = 0x00101000,
    VIRT_CLINT_BASE  = 0x02000000, VIRT_CLINT_SIZE  = 0x10000,
    VIRT_PLIC_BASE   = 0x0c000000,
    VIRT_UART0_BASE  = 0x10000000,
    VIRT_FW_CFG_BASE = 0x10100000,
    VIRT_FLASH_BASE  = 0x20000000,  /* two banks, see virt-flash.c */
    VIRT_VIRTIO_BASE = 0x10001000, VIRT_VIRTIO_SIZE = 0x1000,
    VIRT_DRAM_BASE   = 0x80000000,
    VIRT_PCIE_PIO_BASE  = 0x03000000, VIRT_PCIE_PIO_SIZE  = 0x10000,
    VIRT_PCIE_ECAM_BASE = 0x30000000, VIRT_PCIE_ECAM_SIZE = 0x10000000,
    VIRT_PCIE_MMIO_BASE = 0x40000000, VIRT_PCIE_MMIO_SIZE = 0x40000000,
    /* aia=aplic / aplic-imsic (virt-aia.c) */
    VIRT_APLIC_M_BASE = 0x0c000000,
    VIRT_APLIC_S_BASE = 0x0d000000,
    VIRT_IMSIC_M_BASE = 0x24000000,
    VIRT_IMSIC_S_BASE = 0x28000000, VIRT_IMSIC_PAGE = 0x1000,
};
/* The 64-bit window: 16 GiB above RAM, aligned to its size (virt-pci.c) */
#define VIRT_PCIE_HIGH_MMIO_SIZE (16ull << 30)
#define VIRT_AIA_SOURCES 96     /* APLIC sources 1..96 */
#define VIRT_IMSIC_IDS 255      /* identities of each interrupt file */
typedef enum VirtAia {
    VIRT_AIA_NONE, VIRT_AIA_APLIC, VIRT_AIA_APLIC_IMSIC,
} VirtAia;
#define VIRT_VIRTIO_SLOTS 8
/* PLIC sources */
enum {
    VIRT_IRQ_VIRTIO0 = 1,       /* .. VIRT_IRQ_VIRTIO0 + 7 */
    VIRT_IRQ_UART0 = 10,
    VIRT_IRQ_RTC = 11,
    VIRT_IRQ_PCIE0 = 32,        /* INTA..INTD: 32..35 */
    VIRT_PLIC_SOURCES = 96,     /* 1..95, plus the unused 0 */
};

typedef struct VirtMachine {
    TsMachine parent;
    /* properties */
    char *dumpdtb;
    char *pflash0, *pflash1;
    bool flash0_image;          /* bank 0 has a drive: the firmware */
    char *aia;                  /* none | aplic | aplic-imsic */
    char *aia_guests;           /* "0" (guest files are not modelled) */
    VirtAia aia_mode;
    /* built by init */
    unsigned harts;
    TsDevice **cpus;
    TsDevice *clint, *plic;     /* plic: aia=none only */
    TsDevice *aplic_m, *aplic_s, *imsic_m, *imsic_s;
    char *uart_node;            /* "/soc/serial@10000000" for stdout-path */
    uint32_t virtio_used;       /* bitmap of taken slots */
    bool done;                  /* machine_done ran: no more mmio slots
                                 * (virtio-mmio cannot be hot-plugged) */
    TsPciBus *pcie;             /* the host bridge's root bus "pcie.0" */
    uint64_t pcie_high_base;    /* where the 64-bit window starts */
    bool pcie_msi;              /* an MSI controller receives messages */
    uint32_t imsic_s_phandle;   /* the PCIe node's msi-parent (0: none) */
    /* built by machine_done */
    void *fdt;                  /* the device tree handed to the guest */
    uint64_t fdt_addr;
    uint64_t kernel_entry;
    uint64_t initrd_start, initrd_end;
} VirtMachine;

extern const TsTypeInfo virt_clint_type;
extern const TsTypeInfo virt_plic_type;
extern const TsTypeInfo virt_gpex_root_type;

uint64_t virt_plic_size(unsigned harts);

/* virt-fdt.c: the device tree for the current machine (g_free it), or a
 * -dtb file's contents; NULL + errp on failure. */
void *virt_fdt_build(VirtMachine *vm, GError **errp);

/* virt-aia.c: the APLIC/IMSIC interrupt controllers of aia=... */
bool virt_aia_parse(VirtMachine *vm, GError **errp);
/* Hart properties the AIA needs, before the hart is realized. */
bool virt_aia_cpu_props(VirtMachine *vm, TsDevice *cpu, GError **errp);
bool virt_aia_create(VirtMachine *vm, GError **errp);
/* The APLIC input of wired source `source`. */
TsIrq *virt_aia_source(VirtMachine *vm, unsigned source);
/* Add the APLIC and IMSIC nodes under /soc, taking phandles from
 * *next_phandle; *irq_parent is the devices' interrupt parent.  0 or a
 * libfdt error. */
int virt_aia_fdt(void *fdt, VirtMachine *vm, const uint32_t *intc,
                 uint32_t *next_phandle, uint32_t *irq_parent);
uint64_t virt_aplic_size(unsigned harts);

/* virt-flash.c: the two CFI flash banks (-drive if=pflash,unit=0|1). */
bool virt_flash_create(VirtMachine *vm, GError **errp);

/* virt-pci.c: the PCIe host bridge, its windows and its 00.0 function. */
bool virt_pci_create(VirtMachine *vm, GError **errp);

/* virt-boot.c: load firmware, kernel, initrd and the tree; write the
 * reset ROM.  Run at machine_done and again at every reset. */
bool virt_boot_load(VirtMachine *vm, GError **errp);

#endif
