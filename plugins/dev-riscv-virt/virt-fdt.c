/*
 * virt-fdt.c - the device tree the virt board hands its firmware: memory,
 * harts and their interrupt controllers, the cpu-map from the -smp
 * topology, CLINT and PLIC, /chosen; then every device adds its own node
 * (the "fdt-node" interface), so this file names no other plugin's device.
 */
#include "virt.h"
#include "virt-dtb.h"
#include <libfdt.h>

#define FDT_MAX_SIZE VIRT_DTB_MAX_SIZE

/* Collects the first libfdt error, so the building code reads straight. */
typedef struct Fdt {
    void *blob;
    int err;
} Fdt;

static int node(Fdt *f, int parent, const char *name)
{
    if (f->err) {
        return -1;
    }
    int off = fdt_add_subnode(f->blob, parent, name);
    if (off < 0) {
        f->err = off;
    }
    return off;
}

static void prop(Fdt *f, int off, const char *name, const void *val, int len)
{
    if (!f->err && off >= 0) {
        int r = fdt_setprop(f->blob, off, name, val, len);
        f->err = r < 0 ? r : 0;
    }
}

static void prop_str(Fdt *f, int off, const char *name, const char *s)
{
    prop(f, off, name, s, (int)strlen(s) + 1);
}

static void prop_u32(Fdt *f, int off, const char *name, uint32_t v)
{
    fdt32_t be = cpu_to_fdt32(v);
    prop(f, off, name, &be, sizeof(be));
}

/* A list of 32-bit cells. */
static void prop_cells(Fdt *f, int off, const char *name,
                       const uint32_t *cells, unsigned n)
{
    g_autofree fdt32_t *be = g_new(fdt32_t, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        be[i] = cpu_to_fdt32(cells[i]);
    }
    prop(f, off, name, be, (int)(n * sizeof(fdt32_t)));
}

/* reg = <addr-hi addr-lo size-hi size-lo> (2 address and 2 size cells). */
static void prop_reg(Fdt *f, int off, uint64_t addr, uint64_t size)
{
    uint32_t cells[4] = { (uint32_t)(addr >> 32), (uint32_t)addr,
                          (uint32_t)(size >> 32), (uint32_t)size };
    prop_cells(f, off, "reg", cells, 4);
}

/* Two strings in one property ("a\0b\0"). */
static void prop_compat2(Fdt *f, int off, const char *a, const char *b)
{
    size_t la = strlen(a) + 1, lb = strlen(b) + 1;
    g_autofree char *buf = g_malloc(la + lb);
    memcpy(buf, a, la);
    memcpy(buf + la, b, lb);
    prop(f, off, "compatible", buf, (int)(la + lb));
}

/*
 * cpu-map from the -smp topology: socketN/cluster0/coreM nodes (Linux
 * reads sockets as packages), thread nodes when a core has more than one.
 * Dies and clusters inside a socket are folded into its cores.
 */
static void add_cpu_map(Fdt *f, VirtMachine *vm, int cpus,
                        const uint32_t *cpu_phandle)
{
    const TsMachineConfig *cfg = vm->parent.config;
    unsigned threads = MAX(cfg->threads, 1);
    unsigned per_socket = MAX(cfg->dies, 1) * MAX(cfg->clusters, 1) *
                          MAX(cfg->cores, 1) * threads;
    unsigned sockets = (vm->harts + per_socket - 1) / per_socket;
    int map = node(f, cpus, "cpu-map");
    /* Reverse order throughout: libfdt puts a new node first. */
    for (int s = (int)sockets - 1; s >= 0; s--) {
        char name[32];
        g_snprintf(name, sizeof(name), "socket%d", s);
        int socket = node(f, map, name);
        int cluster = node(f, socket, "cluster0");
        unsigned first = (unsigned)s * per_socket;
        unsigned last = MIN(first + per_socket, vm->harts);
        unsigned cores = (last - first + threads - 1) / threads;
        for (int c = (int)cores - 1; c >= 0; c--) {
            g_snprintf(name, sizeof(name), "core%d", c);
            int core = node(f, cluster, name);
            unsigned h0 = first + (unsigned)c * threads;
            if (threads == 1) {
                prop_u32(f, core, "cpu", cpu_phandle[h0]);
                continue;
            }
            for (int t = (int)threads - 1; t >= 0; t--) {
                if (h0 + (unsigned)t >= last) {
                    continue;
                }
                g_snprintf(name, sizeof(name), "thread%d", t);
                int thread = node(f, core, name);
                prop_u32(f, thread, "cpu", cpu_phandle[h0 + t]);
            }
        }
    }
}

/* One memory node, or one per NUMA node that has memory. */
static void add_memory(Fdt *f, const TsMachineConfig *cfg)
{
    unsigned n = cfg->numa ? cfg->numa->n_nodes : 0;
    char name[40];
    if (!n) {
        g_snprintf(name, sizeof(name), "memory@%x", VIRT_DRAM_BASE);
        int mem = node(f, 0, name);
        prop_str(f, mem, "device_type", "memory");
        prop_reg(f, mem, VIRT_DRAM_BASE, cfg->ram_size);
        return;
    }
    for (int i = (int)n - 1; i >= 0; i--) {
        const TsNumaNode *nn = &cfg->numa->nodes[i];
        if (!nn->mem_size) {
            continue;
        }
        uint64_t base = VIRT_DRAM_BASE + nn->mem_start;
        g_snprintf(name, sizeof(name), "memory@%" PRIx64, base);
        int mem = node(f, 0, name);
        prop_str(f, mem, "device_type", "memory");
        prop_reg(f, mem, base, nn->mem_size);
        prop_u32(f, mem, "numa-node-id", (uint32_t)i);
    }
}

/* The NUMA distance-map binding: <from to distance> for every pair. */
static void add_distance_map(Fdt *f, const TsNumaConfig *numa)
{
    unsigned n = numa->n_nodes;
    g_autofree uint32_t *cells = g_new(uint32_t, (size_t)n * n * 3);
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < n; j++) {
            cells[k++] = i;
            cells[k++] = j;
            cells[k++] = numa->distance[i * n + j];
        }
    }
    int map = node(f, 0, "distance-map");
    prop_str(f, map, "compatible", "numa-distance-map-v1");
    prop_cells(f, map, "distance-matrix", cells, k);
}

static void add_cpus(Fdt *f, VirtMachine *vm, uint32_t *intc_phandle,
                     uint32_t *next_phandle)
{
    const TsMachineConfig *cfg = vm->parent.config;
    int cpus = node(f, 0, "cpus");
    prop_u32(f, cpus, "#address-cells", 1);
    prop_u32(f, cpus, "#size-cells", 0);
    prop_u32(f, cpus, "timebase-frequency", VIRT_TIMEBASE_HZ);
    uint32_t cpu_phandle[VIRT_MAX_CPUS];
    /* Nodes are added in reverse so that libfdt (which prepends) leaves
     * them in hart order, as firmware prints them. */
    for (int h = (int)vm->harts - 1; h >= 0; h--) {
        char name[32];
        g_snprintf(name, sizeof(name), "cpu@%d", h);
        int cpu = node(f, cpus, name);
        cpu_phandle[h] = (*next_phandle)++;
        prop_u32(f, cpu, "phandle", cpu_phandle[h]);
        prop_str(f, cpu, "device_type", "cpu");
        prop_u32(f, cpu, "reg", (uint32_t)h);
        prop_str(f, cpu, "status", "okay");
        if (cfg->numa && cfg->numa->cpu_node) {
            prop_u32(f, cpu, "numa-node-id", cfg->numa->cpu_node[h]);
        }
        prop_str(f, cpu, "compatible", "riscv");
        g_autofree char *isa = ts_object_get_prop(TS_OBJECT(vm->cpus[h]),
                                                  "isa", NULL);
        prop_str(f, cpu, "riscv,isa", isa ? isa : "rv64imafdc");
        g_autofree char *mmu = ts_object_get_prop(TS_OBJECT(vm->cpus[h]),
                                                  "mmu", NULL);
        g_autofree char *mmu_type = g_strdup_printf("riscv,%s",
                                                    mmu ? mmu : "sv57");
        prop_str(f, cpu, "mmu-type", mmu_type);
        int intc = node(f, cpu, "interrupt-controller");
        intc_phandle[h] = (*next_phandle)++;
        prop_u32(f, intc, "phandle", intc_phandle[h]);
        prop_u32(f, intc, "#interrupt-cells", 1);
        prop_u32(f, intc, "#address-cells", 0);
        prop(f, intc, "interrupt-controller", NULL, 0);
        prop_str(f, intc, "compatible", "riscv,cpu-intc");
    }
    add_cpu_map(f, vm, cpus, cpu_phandle);
}

static void add_clint_plic(Fdt *f, VirtMachine *vm, int soc,
                           const uint32_t *intc, uint32_t plic_phandle)
{
    g_autofree uint32_t *cells = g_new(uint32_t, vm->harts * 4);
    char name[40];
    for (unsigned h = 0; h < vm->harts; h++) {
        cells[h * 4 + 0] = intc[h];
        cells[h * 4 + 1] = 3;           /* MSI */
        cells[h * 4 + 2] = intc[h];
        cells[h * 4 + 3] = 7;           /* MTI */
    }
    g_snprintf(name, sizeof(name), "clint@%x", VIRT_CLINT_BASE);
    int clint = node(f, soc, name);
    prop_compat2(f, clint, "sifive,clint0", "riscv,clint0");
    prop_reg(f, clint, VIRT_CLINT_BASE, VIRT_CLINT_SIZE);
    prop_cells(f, clint, "interrupts-extended", cells, vm->harts * 4);

    for (unsigned h = 0; h < vm->harts; h++) {
        cells[h * 4 + 1] = 11;          /* context 2h: MEI */
        cells[h * 4 + 3] = 9;           /* context 2h+1: SEI */
    }
    if (vm->aia_mode != VIRT_AIA_NONE) {
        return;                         /* APLIC nodes instead: virt-aia.c */
    }
    g_snprintf(name, sizeof(name), "plic@%x", VIRT_PLIC_BASE);
    int plic = node(f, soc, name);
    prop_u32(f, plic, "phandle", plic_phandle);
    prop_u32(f, plic, "#interrupt-cells", 1);
    prop_u32(f, plic, "#address-cells", 0);
    prop(f, plic, "interrupt-controller", NULL, 0);
    prop_compat2(f, plic, "sifive,plic-1.0.0", "riscv,plic0");
    prop_u32(f, plic, "riscv,ndev", VIRT_PLIC_SOURCES - 1);
    prop_reg(f, plic, VIRT_PLIC_BASE, virt_plic_size(vm->harts));
    prop_cells(f, plic, "interrupts-extended", cells, vm->harts * 4);
}

/*
 * The PCIe host bridge as QEMU describes it (the properties in the order
 * its tree has them): ECAM, the I/O, 32-bit and 64-bit windows, and the
 * INTx routing with the swizzle, slot by slot for the four slots the
 * mask distinguishes.
 */
/* INTx goes to `irq_parent` (the PLIC, or the S-mode APLIC whose
 * sources take a second cell, the trigger: 4, level high); with the
 * IMSIC, messages go to its S-mode interrupt files (msi-parent). */
static void add_pcie(Fdt *f, VirtMachine *vm, int soc, uint32_t irq_parent)
{
    char name[32];
    g_snprintf(name, sizeof(name), "pci@%x", VIRT_PCIE_ECAM_BASE);
    int pci = node(f, soc, name);
    /* (a property set later is listed earlier, as with nodes) */
    prop_u32(f, pci, "#address-cells", 3);
    prop_u32(f, pci, "#interrupt-cells", 1);
    prop_u32(f, pci, "#size-cells", 2);
    prop_str(f, pci, "compatible", "pci-host-ecam-generic");
    prop_str(f, pci, "device_type", "pci");
    prop_u32(f, pci, "linux,pci-domain", 0);
    uint32_t bus_range[2] = { 0, (VIRT_PCIE_ECAM_SIZE >> 20) - 1 };
    prop_cells(f, pci, "bus-range", bus_range, 2);
    prop(f, pci, "dma-coherent", NULL, 0);
    prop_reg(f, pci, VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE);
    uint64_t hi = vm->pcie_high_base;
    uint32_t ranges[] = {
        0x1000000, 0, 0, 0, VIRT_PCIE_PIO_BASE, 0, VIRT_PCIE_PIO_SIZE,
        0x2000000, 0, VIRT_PCIE_MMIO_BASE, 0, VIRT_PCIE_MMIO_BASE,
        0, VIRT_PCIE_MMIO_SIZE,
        0x3000000, (uint32_t)(hi >> 32), (uint32_t)hi,
        (uint32_t)(hi >> 32), (uint32_t)hi,
        (uint32_t)(VIRT_PCIE_HIGH_MMIO_SIZE >> 32),
        (uint32_t)VIRT_PCIE_HIGH_MMIO_SIZE,
    };
    prop_cells(f, pci, "ranges", ranges, G_N_ELEMENTS(ranges));
    if (vm->imsic_s_phandle) {
        prop_u32(f, pci, "msi-parent", vm->imsic_s_phandle);
    }
    bool aplic = vm->aia_mode != VIRT_AIA_NONE;
    uint32_t map[4 * 4 * 7];
    unsigned n = 0;
    for (uint32_t slot = 0; slot < 4; slot++) {
        for (uint32_t pin = 1; pin <= 4; pin++) {
            map[n++] = slot << 11;
            map[n++] = 0;
            map[n++] = 0;
            map[n++] = pin;
            map[n++] = irq_parent;
            map[n++] = VIRT_IRQ_PCIE0 + (pin - 1 + slot) % 4;
            if (aplic) {
                map[n++] = 4;
            }
        }
    }
    prop_cells(f, pci, "interrupt-map", map, n);
    uint32_t mask[4] = { 0x1800, 0, 0, 7 };
    prop_cells(f, pci, "interrupt-map-mask", mask, 4);
}

static void add_chosen(Fdt *f, VirtMachine *vm)
{
    const TsMachineConfig *cfg = vm->parent.config;
    int chosen = node(f, 0, "chosen");
    if (cfg && cfg->append) {
        prop_str(f, chosen, "bootargs", cfg->append);
    }
    if (vm->uart_node) {
        prop_str(f, chosen, "stdout-path", vm->uart_node);
    }
    /* A seed for the guest's RNG, so early boot does not wait for one. */
    uint32_t seed[8];
    for (unsigned i = 0; i < G_N_ELEMENTS(seed); i++) {
        seed[i] = g_random_int();
    }
    prop(f, chosen, "rng-seed", seed, sizeof(seed));
}

static void *fdt_error(Fdt *f, GError **errp)
{
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                "virt: building the device tree failed: %s",
                fdt_strerror(f->err));
    g_free(f->blob);
    return NULL;
}

void *virt_fdt_build(VirtMachine *vm, GError **errp)
{
    const TsMachineConfig *cfg = vm->parent.config;
    if (cfg && cfg->dtb) {
        return virt_dtb_load(cfg->dtb, errp);
    }
    Fdt f = { .blob = g_malloc0(FDT_MAX_SIZE) };
    f.err = fdt_create_empty_tree(f.blob, FDT_MAX_SIZE);
    uint32_t next_phandle = 1;
    uint32_t intc[VIRT_MAX_CPUS];

    prop_u32(&f, 0, "#address-cells", 2);
    prop_u32(&f, 0, "#size-cells", 2);
    prop_str(&f, 0, "compatible", "riscv-virtio");
    prop_str(&f, 0, "model", "riscv-virtio,qemu");

    /* libfdt adds each node first among its siblings: build backwards. */
    int soc = node(&f, 0, "soc");
    prop_u32(&f, soc, "#address-cells", 2);
    prop_u32(&f, soc, "#size-cells", 2);
    prop_str(&f, soc, "compatible", "simple-bus");
    prop(&f, soc, "ranges", NULL, 0);

    add_memory(&f, cfg);
    if (cfg->numa && cfg->numa->distance) {
        add_distance_map(&f, cfg->numa);
    }

    add_cpus(&f, vm, intc, &next_phandle);
    add_chosen(&f, vm);
    uint32_t irq_parent = next_phandle++;
    /* The PLIC's phandle must exist before devices pick their own. */
    add_clint_plic(&f, vm, fdt_path_offset(f.blob, "/soc"), intc,
                   irq_parent);
    if (!f.err && vm->aia_mode != VIRT_AIA_NONE) {
        f.err = virt_aia_fdt(f.blob, vm, intc, &next_phandle, &irq_parent);
    }
    if (!f.err && vm->pcie) {
        add_pcie(&f, vm, fdt_path_offset(f.blob, "/soc"), irq_parent);
    }
    if (f.err) {
        return fdt_error(&f, errp);
    }
    TsFdtContext ctx = {
        .fdt = f.blob, .parent_path = "/soc", .addr_cells = 2, .size_cells = 2,
        .irq_parent = irq_parent,
        .irq_cells = vm->aia_mode != VIRT_AIA_NONE ? 2 : 1,
    };
    if (!ts_fdt_add_device_nodes(&ctx, errp)) {
        g_free(f.blob);
        return NULL;
    }
    return f.blob;
}
