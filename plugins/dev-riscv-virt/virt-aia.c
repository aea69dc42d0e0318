/*
 * virt-aia.c - the virt board's interrupt controllers when aia= is not
 * "none" (QEMU 7.2's machine option): APLIC domains in place of the PLIC
 * and, for aia=aplic-imsic, IMSIC pages with the harts' interrupt files
 * (x-aia=on).  The controllers themselves come from the dev-riscv-aia
 * plugin; this file builds, wires and describes them at QEMU's
 * addresses:
 *
 *   IMSIC M  0x24000000  one 4 KiB page per hart   (aplic-imsic)
 *   IMSIC S  0x28000000  one 4 KiB page per hart   (aplic-imsic)
 *   APLIC M  0x0c000000  root domain, every source delegable
 *   APLIC S  0x0d000000  child domain; the devices' interrupt-parent
 *
 * As QEMU does, the device tree delegates every source to the S domain
 * (riscv,delegate), so a guest's firmware hands them to the kernel.
 */
#include "virt.h"
#include <libfdt.h>

#define AIA_TYPE_APLIC "riscv.aplic"
#define AIA_TYPE_IMSIC "riscv.imsic"

bool virt_aia_parse(VirtMachine *vm, GError **errp)
{
    const char *s = vm->aia ? vm->aia : "none";
    if (strcmp(s, "none") == 0) {
        vm->aia_mode = VIRT_AIA_NONE;
    } else if (strcmp(s, "aplic") == 0) {
        vm->aia_mode = VIRT_AIA_APLIC;
    } else if (strcmp(s, "aplic-imsic") == 0) {
        vm->aia_mode = VIRT_AIA_APLIC_IMSIC;
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid AIA interrupt controller type\n"
                    "Valid values are none, aplic, and aplic-imsic.");
        return false;
    }
    /* QEMU reads the count with atoi: "x" is 0 */
    long guests = vm->aia_guests ? strtol(vm->aia_guests, NULL, 10) : 0;
    if (guests < 0 || guests > 7) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid number of AIA IMSIC guests\n"
                    "Valid values be between 0 and 7.");
        return false;
    }
    if (guests) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "aia-guests=%ld: guest interrupt files need the "
                    "hypervisor extension, which Tessera's harts do not have",
                    guests);
        return false;
    }
    return true;
}

static TsDevice *aia_device(VirtMachine *vm, const char *type,
                            const char *name, uint64_t addr, GError **errp)
{
    TsObject *obj = ts_object_new(type, errp);
    if (!obj) {
        g_prefix_error(errp, "virt: ");
        return NULL;
    }
    if (!ts_object_add_child(TS_OBJECT(vm), name, obj, errp)) {
        ts_object_unref(obj);
        return NULL;
    }
    ts_object_unref(obj);
    if (!ts_object_set_uint(obj, "num-harts", vm->harts, errp) ||
        !ts_object_set_uint(obj, "addr", addr, errp)) {
        return NULL;
    }
    return (TsDevice *)obj;
}

static bool create_imsic(VirtMachine *vm, bool mmode, GError **errp)
{
    TsDevice *dev = aia_device(vm, AIA_TYPE_IMSIC,
                               mmode ? "imsic-m" : "imsic-s",
                               mmode ? VIRT_IMSIC_M_BASE : VIRT_IMSIC_S_BASE,
                               errp);
    if (!dev ||
        !ts_object_set_uint(TS_OBJECT(dev), "num-ids", VIRT_IMSIC_IDS, errp) ||
        !ts_object_set_bool(TS_OBJECT(dev), "mmode", mmode, errp) ||
        !ts_device_realize(dev, errp)) {
        return false;
    }
    /* message n for hart h pulses the hart's own line n */
    const char *in = mmode ? "imsic-m" : "imsic-s";
    for (unsigned h = 0; h < vm->harts; h++) {
        for (unsigned id = 1; id <= VIRT_IMSIC_IDS; id++) {
            ts_device_connect_irq_out(dev, "eip", h * (VIRT_IMSIC_IDS + 1) + id,
                                      ts_device_irq_in(vm->cpus[h], in, id));
        }
    }
    *(mmode ? &vm->imsic_m : &vm->imsic_s) = dev;
    return true;
}

static TsDevice *create_aplic(VirtMachine *vm, bool mmode, GError **errp)
{
    bool msi = vm->aia_mode == VIRT_AIA_APLIC_IMSIC;
    TsDevice *dev = aia_device(vm, AIA_TYPE_APLIC,
                               mmode ? "aplic-m" : "aplic-s",
                               mmode ? VIRT_APLIC_M_BASE : VIRT_APLIC_S_BASE,
                               errp);
    if (!dev ||
        !ts_object_set_uint(TS_OBJECT(dev), "num-sources", VIRT_AIA_SOURCES,
                            errp) ||
        !ts_object_set_bool(TS_OBJECT(dev), "mmode", mmode, errp) ||
        !ts_object_set_bool(TS_OBJECT(dev), "msimode", msi, errp) ||
        (!mmode && !ts_object_set_link(TS_OBJECT(dev), "parent",
                                       TS_OBJECT(vm->aplic_m), errp)) ||
        !ts_device_realize(dev, errp)) {
        return NULL;
    }
    if (!msi) {
        /* direct delivery: IDC h drives hart h's MEI (M) or SEI (S) */
        for (unsigned h = 0; h < vm->harts; h++) {
            ts_device_connect_irq_out(dev, "idc", h,
                ts_device_irq_in(vm->cpus[h], "irq", mmode ? 11 : 9));
        }
    }
    return dev;
}

bool virt_aia_create(VirtMachine *vm, GError **errp)
{
    if (vm->aia_mode == VIRT_AIA_APLIC_IMSIC &&
        (!create_imsic(vm, true, errp) || !create_imsic(vm, false, errp))) {
        return false;
    }
    vm->aplic_m = create_aplic(vm, true, errp);
    vm->aplic_s = vm->aplic_m ? create_aplic(vm, false, errp) : NULL;
    return vm->aplic_s != NULL;
}

bool virt_aia_cpu_props(VirtMachine *vm, TsDevice *cpu, GError **errp)
{
    return vm->aia_mode != VIRT_AIA_APLIC_IMSIC ||
           ts_object_set_bool(TS_OBJECT(cpu), "x-aia", true, errp);
}

TsIrq *virt_aia_source(VirtMachine *vm, unsigned source)
{
    return ts_device_irq_in(vm->aplic_m, "irq", source);
}

/* ---- device tree ------------------------------------------------------ */

/* The blob and the first libfdt error, so the building code reads
 * straight (as virt-fdt.c does). */
typedef struct AiaFdt {
    void *blob;
    int err;
} AiaFdt;

static void set(AiaFdt *f, int node, const char *name, const void *v, int len)
{
    if (!f->err && node >= 0) {
        int r = fdt_setprop(f->blob, node, name, v, len);
        f->err = r < 0 ? r : 0;
    }
}

static void set_cells(AiaFdt *f, int node, const char *name,
                      const uint32_t *cells, unsigned n)
{
    g_autofree fdt32_t *be = g_new(fdt32_t, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        be[i] = cpu_to_fdt32(cells[i]);
    }
    set(f, node, name, be, (int)(n * sizeof(fdt32_t)));
}

static void set_u32(AiaFdt *f, int node, const char *name, uint32_t v)
{
    set_cells(f, node, name, &v, 1);
}

static void set_str(AiaFdt *f, int node, const char *name, const char *s)
{
    set(f, node, name, s, (int)strlen(s) + 1);
}

static void set_reg(AiaFdt *f, int node, uint64_t addr, uint64_t size)
{
    uint32_t cells[4] = { (uint32_t)(addr >> 32), (uint32_t)addr,
                          (uint32_t)(size >> 32), (uint32_t)size };
    set_cells(f, node, "reg", cells, 4);
}

static int add_node(AiaFdt *f, int parent, const char *fmt, uint64_t addr)
{
    char name[40];
    if (f->err) {
        return -1;
    }
    g_snprintf(name, sizeof(name), fmt, addr);
    int off = fdt_add_subnode(f->blob, parent, name);
    if (off < 0) {
        f->err = off;
    }
    return off;
}

/* interrupts-extended: every hart's controller with `irq`. */
static void set_harts_irq(AiaFdt *f, int node, VirtMachine *vm,
                          const uint32_t *intc, uint32_t irq)
{
    g_autofree uint32_t *cells = g_new(uint32_t, vm->harts * 2);
    for (unsigned h = 0; h < vm->harts; h++) {
        cells[2 * h] = intc[h];
        cells[2 * h + 1] = irq;
    }
    set_cells(f, node, "interrupts-extended", cells, vm->harts * 2);
}

static void add_imsic(AiaFdt *f, int soc, VirtMachine *vm,
                      const uint32_t *intc, bool mmode, uint32_t phandle)
{
    uint64_t base = mmode ? VIRT_IMSIC_M_BASE : VIRT_IMSIC_S_BASE;
    int n = add_node(f, soc, "imsics@%" PRIx64, base);
    set_str(f, n, "compatible", "riscv,imsics");
    set_u32(f, n, "#interrupt-cells", 0);
    set(f, n, "interrupt-controller", NULL, 0);
    set(f, n, "msi-controller", NULL, 0);
    set_harts_irq(f, n, vm, intc, mmode ? 11 : 9);
    set_reg(f, n, base, (uint64_t)vm->harts * VIRT_IMSIC_PAGE);
    set_u32(f, n, "riscv,num-ids", VIRT_IMSIC_IDS);
    set_u32(f, n, "riscv,ipi-id", 1);
    set_u32(f, n, "phandle", phandle);
}

static void add_aplic(AiaFdt *f, int soc, VirtMachine *vm,
                      const uint32_t *intc, bool mmode, uint32_t phandle,
                      uint32_t msi_parent, uint32_t child)
{
    uint64_t base = mmode ? VIRT_APLIC_M_BASE : VIRT_APLIC_S_BASE;
    int n = add_node(f, soc, "aplic@%" PRIx64, base);
    set_str(f, n, "compatible", "riscv,aplic");
    set_u32(f, n, "#interrupt-cells", 2);
    set(f, n, "interrupt-controller", NULL, 0);
    if (msi_parent) {
        set_u32(f, n, "msi-parent", msi_parent);
    } else {
        set_harts_irq(f, n, vm, intc, mmode ? 11 : 9);
    }
    set_reg(f, n, base, virt_aplic_size(vm->harts));
    set_u32(f, n, "riscv,num-sources", VIRT_AIA_SOURCES);
    if (child) {
        uint32_t deleg[3] = { child, 1, VIRT_AIA_SOURCES };
        set_u32(f, n, "riscv,children", child);
        set_cells(f, n, "riscv,delegate", deleg, 3);
    }
    set_u32(f, n, "phandle", phandle);
}

int virt_aia_fdt(void *fdt, VirtMachine *vm, const uint32_t *intc,
                 uint32_t *next_phandle, uint32_t *irq_parent)
{
    AiaFdt fb = { .blob = fdt }, *f = &fb;
    int soc = fdt_path_offset(fdt, "/soc");
    bool msi = vm->aia_mode == VIRT_AIA_APLIC_IMSIC;
    uint32_t imsic_m = msi ? (*next_phandle)++ : 0;
    uint32_t imsic_s = msi ? (*next_phandle)++ : 0;
    uint32_t aplic_m = (*next_phandle)++;
    uint32_t aplic_s = (*next_phandle)++;
    if (soc < 0) {
        return soc;
    }
    /* libfdt puts each new node first: add in reverse of QEMU's order */
    add_aplic(f, soc, vm, intc, true, aplic_m, imsic_m, aplic_s);
    add_aplic(f, soc, vm, intc, false, aplic_s, imsic_s, 0);
    if (msi) {
        add_imsic(f, soc, vm, intc, true, imsic_m);
        add_imsic(f, soc, vm, intc, false, imsic_s);
    }
    *irq_parent = aplic_s;
    vm->imsic_s_phandle = imsic_s;
    return f->err;
}

uint64_t virt_aplic_size(unsigned harts)
{
    return 0x4000 + (((uint64_t)harts * 32 + 0x3fff) & ~0x3fffull);
}
