/*
 * virt.c - the RISC-V "virt" board: a generic platform with no real
 * hardware counterpart, the one Linux, OpenSBI and U-Boot support as
 * "qemu virt".  It builds the harts, CLINT and PLIC itself and takes the
 * UART, test finisher, RTC and virtio-mmio devices from their plugins by
 * type name; each of those describes itself in the device tree.
 */
#include "virt.h"
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

/* Create an on-board device and name it under the machine. */
static TsDevice *board_device(VirtMachine *vm, const char *type,
                              const char *name, GError **errp)
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
    ts_object_unref(obj);           /* the machine holds it now */
    return (TsDevice *)obj;
}

/*
 * Put a memory-mapped device at `addr` with its "irq" output on PLIC
 * source `source` (0: none).  Its device-tree node names the source it
 * is wired to, so there is no number to keep in step.
 */
static bool place(VirtMachine *vm, TsDevice *dev, uint64_t addr,
                  unsigned source, GError **errp)
{
    TsIrq *line = !source ? NULL
                : vm->aia_mode != VIRT_AIA_NONE ? virt_aia_source(vm, source)
                : ts_device_irq_in(vm->plic, "irq", source);
    TsMmioDevice *mmio = (TsMmioDevice *)ts_object_dynamic_cast(
        TS_OBJECT(dev), TS_TYPE_MMIO_DEVICE);
    if (!mmio) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "virt: %s is not a memory-mapped device",
                    ts_object_type_name(TS_OBJECT(dev)));
        return false;
    }
    return ts_mmio_device_place(mmio, addr, 0, line, errp);
}

static bool realize(TsDevice *dev, GError **errp)
{
    return ts_device_realize(dev, errp);
}

static bool create_harts(VirtMachine *vm, GError **errp)
{
    const TsMachineConfig *cfg = vm->parent.config;
    /* The core resolved -cpu (or took our default_cpu_type); -cpu's
     * properties are in effect for every CPU of that type. */
    const char *type = cfg->cpu_type;
    vm->harts = cfg->cpus ? cfg->cpus : 1;
    vm->cpus = g_new0(TsDevice *, vm->harts);
    for (unsigned h = 0; h < vm->harts; h++) {
        char name[24];
        g_snprintf(name, sizeof(name), "cpu[%u]", h);
        TsDevice *cpu = board_device(vm, type, name, errp);
        if (!cpu || !ts_object_set_uint(TS_OBJECT(cpu), "hartid", h, errp) ||
            !ts_object_set_uint(TS_OBJECT(cpu), "resetvec", VIRT_MROM_BASE,
                                errp) ||
            !virt_aia_cpu_props(vm, cpu, errp) ||
            !realize(cpu, errp)) {
            return false;
        }
        vm->cpus[h] = cpu;
        ts_cpu_add((TsCpu *)cpu);
    }
    return true;
}

/* The CLINT alone, for aia= boards (the APLIC replaces the PLIC). */
static bool create_clint(VirtMachine *vm, GError **errp)
{
    vm->clint = board_device(vm, VIRT_TYPE_CLINT, "clint", errp);
    if (!vm->clint || !place(vm, vm->clint, VIRT_CLINT_BASE, 0, errp) ||
        !ts_object_set_uint(TS_OBJECT(vm->clint), "num-harts", vm->harts,
                            errp) ||
        !realize(vm->clint, errp)) {
        return false;
    }
    for (unsigned h = 0; h < vm->harts; h++) {
        ts_device_connect_irq_out(vm->clint, "msi", h,
                                  ts_device_irq_in(vm->cpus[h], "irq", 3));
        ts_device_connect_irq_out(vm->clint, "mti", h,
                                  ts_device_irq_in(vm->cpus[h], "irq", 7));
    }
    return true;
}

static bool create_interrupt_controllers(VirtMachine *vm, GError **errp)
{
    if (vm->aia_mode != VIRT_AIA_NONE) {
        return create_clint(vm, errp) && virt_aia_create(vm, errp);
    }
    vm->clint = board_device(vm, VIRT_TYPE_CLINT, "clint", errp);
    vm->plic = vm->clint ? board_device(vm, VIRT_TYPE_PLIC, "plic", errp)
                         : NULL;
    if (!vm->plic ||
        !place(vm, vm->clint, VIRT_CLINT_BASE, 0, errp) ||
        !place(vm, vm->plic, VIRT_PLIC_BASE, 0, errp) ||
        !ts_object_set_uint(TS_OBJECT(vm->clint), "num-harts", vm->harts,
                            errp) ||
        !ts_object_set_uint(TS_OBJECT(vm->plic), "num-harts", vm->harts,
                            errp) ||
        !ts_object_set_uint(TS_OBJECT(vm->plic), "num-sources",
                            VIRT_PLIC_SOURCES, errp) ||
        !realize(vm->clint, errp) || !realize(vm->plic, errp)) {
        return false;
    }
    for (unsigned h = 0; h < vm->harts; h++) {
        TsDevice *cpu = vm->cpus[h];
        ts_device_connect_irq_out(vm->clint, "msi", h,
                                  ts_device_irq_in(cpu, "irq", 3));
        ts_device_connect_irq_out(vm->clint, "mti", h,
                                  ts_device_irq_in(cpu, "irq", 7));
        ts_device_connect_irq_out(vm->plic, "ctx", 2 * h,
                                  ts_device_irq_in(cpu, "irq", 11));
        ts_device_connect_irq_out(vm->plic, "ctx", 2 * h + 1,
                                  ts_device_irq_in(cpu, "irq", 9));
    }
    return true;
}

static bool create_peripherals(VirtMachine *vm, GError **errp)
{
    TsDevice *test = board_device(vm, "sifive_test", "test", errp);
    if (!test || !place(vm, test, VIRT_TEST_BASE, 0, errp) ||
        !realize(test, errp)) {
        return false;
    }
    TsDevice *rtc = board_device(vm, "goldfish_rtc", "rtc", errp);
    if (!rtc || !place(vm, rtc, VIRT_RTC_BASE, VIRT_IRQ_RTC, errp) ||
        !realize(rtc, errp)) {
        return false;
    }
    TsDevice *fw_cfg = board_device(vm, "fw-cfg-mmio", "fw-cfg", errp);
    if (!fw_cfg || !place(vm, fw_cfg, VIRT_FW_CFG_BASE, 0, errp) ||
        !realize(fw_cfg, errp)) {
        return false;
    }
    TsDevice *uart = board_device(vm, "ns16550a", "uart0", errp);
    if (!uart || !place(vm, uart, VIRT_UART0_BASE, VIRT_IRQ_UART0, errp)) {
        return false;
    }
    TsChardev *serial = ts_machine_serial(0);
    if (serial && !ts_object_set_prop(TS_OBJECT(uart), "chardev",
                                      ts_chardev_id(serial), errp)) {
        return false;
    }
    vm->uart_node = g_strdup_printf("/soc/serial@%x", VIRT_UART0_BASE);
    return realize(uart, errp);
}

static bool virt_init(TsMachine *machine, GError **errp)
{
    VirtMachine *vm = (VirtMachine *)machine;
    const TsMachineConfig *cfg = machine->config;
    if (!virt_aia_parse(vm, errp) || !virt_flash_create(vm, errp)) {
        return false;
    }
    TsMemoryRegion *ram = ts_memory_region_new_machine_ram(
        "riscv_virt_board.ram", cfg->ram_size, errp);
    TsMemoryRegion *rom = ram ? ts_memory_region_new_rom(
                                    "riscv_virt_board.mrom", VIRT_MROM_SIZE,
                                    errp) : NULL;
    if (!rom) {
        if (ram) {
            ts_memory_region_unref(ram);
        }
        return false;
    }
    TsMemoryRegion *sys = ts_machine_system_memory();
    ts_memory_region_add_subregion(sys, VIRT_DRAM_BASE, ram, 0);
    ts_memory_region_add_subregion(sys, VIRT_MROM_BASE, rom, 0);
    ts_memory_region_unref(ram);
    ts_memory_region_unref(rom);
    return create_harts(vm, errp) &&
           create_interrupt_controllers(vm, errp) &&
           create_peripherals(vm, errp) &&
           virt_pci_create(vm, errp);
}

/* -device virtio-*-device: the next free virtio-mmio slot. */
static bool virt_pre_plug(TsMachine *machine, TsDevice *dev, GError **errp)
{
    VirtMachine *vm = (VirtMachine *)machine;
    if (!ts_object_dynamic_cast(TS_OBJECT(dev), "virtio-mmio-device")) {
        return true;
    }
    if (vm->done) {
        /* The device tree the guest read is final: a transport added
         * now would never be seen.  QEMU names the bus it would have
         * used, its highest free one. */
        unsigned bus = VIRT_VIRTIO_SLOTS - 1;
        while (bus > 0 && (vm->virtio_used & (1u << bus))) {
            bus--;
        }
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Bus 'virtio-mmio-bus.%u' does not support hotplugging",
                    bus);
        return false;
    }
    for (unsigned slot = 0; slot < VIRT_VIRTIO_SLOTS; slot++) {
        if (vm->virtio_used & (1u << slot)) {
            continue;
        }
        vm->virtio_used |= 1u << slot;
        return place(vm, dev, VIRT_VIRTIO_BASE + slot * VIRT_VIRTIO_SIZE,
                     VIRT_IRQ_VIRTIO0 + slot, errp);
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "virt: all %d virtio-mmio slots are taken",
                VIRT_VIRTIO_SLOTS);
    return false;
}

/* A regular file (or a new one) is replaced whole, so a crash never
 * leaves half a tree.  Anything else is written in place, following a
 * symlink: replacing it would turn /dev/null, a FIFO or a link into a
 * regular file (as -writeconfig does, core/cli/config-file.c). */
static bool write_dtb(const char *path, const void *fdt, size_t size,
                      GError **errp)
{
    struct stat st;
    if (lstat(path, &st) != 0 || S_ISREG(st.st_mode)) {
        return g_file_set_contents(path, fdt, size, errp);
    }
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(fdt, 1, size, f) == size;
    if (!f || fclose(f) != 0 || !ok) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "%s: %s", path,
                    g_strerror(errno));
        return false;
    }
    return true;
}

static bool dump_dtb(VirtMachine *vm, GError **errp)
{
    if (!write_dtb(vm->dumpdtb, vm->fdt, fdt_totalsize(vm->fdt), errp)) {
        g_prefix_error(errp, "dumpdtb: ");
        return false;
    }
    /* like QEMU: dump and end the run (the main loop acts on it before the
     * guest gets anywhere) */
    ts_request_shutdown(TS_SHUTDOWN_HOST, 0);
    return true;
}

static bool virt_machine_done(TsMachine *machine, GError **errp)
{
    VirtMachine *vm = (VirtMachine *)machine;
    vm->done = true;
    if (!virt_boot_load(vm, errp)) {
        return false;
    }
    return vm->dumpdtb ? dump_dtb(vm, errp) : true;
}

static void virt_reset(TsMachine *machine)
{
    g_autoptr(GError) err = NULL;
    if (!virt_boot_load((VirtMachine *)machine, &err)) {
        /* The files were readable at start; now they are not. */
        ts_log(TS_LOG_GUEST_ERROR, "virt: reloading boot images on reset "
               "failed: %s\n", err->message);
    }
}

static void virt_finalize(TsObject *obj)
{
    VirtMachine *vm = (VirtMachine *)obj;
    g_free(vm->cpus);
    g_free(vm->uart_node);
    g_free(vm->aia);
    g_free(vm->aia_guests);
    g_free(vm->fdt);
}

static const TsProperty virt_props[] = {
    TS_PROP_STRING("dumpdtb", VirtMachine, dumpdtb, NULL,
                   "write the device tree to this file and exit"),
    TS_PROP_STRING("aia", VirtMachine, aia, "none",
                   "Set type of AIA interrupt controller. Valid values are "
                   "none, aplic, and aplic-imsic."),
    TS_PROP_STRING("aia-guests", VirtMachine, aia_guests, "0",
                   "Set number of guest MMIO pages for AIA IMSIC. Valid "
                   "value should be between 0 and 7."),
    TS_PROP_STRING("pflash0", VirtMachine, pflash0, NULL,
                   "block node of the first flash bank"),
    TS_PROP_STRING("pflash1", VirtMachine, pflash1, NULL,
                   "block node of the second flash bank"),
    TS_PROP_END,
};

static void virt_class_init(TsObjectClass *klass, const void *data)
{
    TsMachineClass *mc = (TsMachineClass *)klass;
    mc->target = "riscv64";
    mc->is_default = true;
    mc->max_cpus = VIRT_MAX_CPUS;
    mc->default_cpu_type = "rv64" TS_CPU_SUFFIX;
    mc->numa_supported = true;      /* described in the device tree */
    mc->init = virt_init;
    mc->pre_plug = virt_pre_plug;
    mc->machine_done = virt_machine_done;
    mc->reset = virt_reset;
    ts_class_add_properties(klass, virt_props);
}

static const TsTypeInfo virt_machine_type = {
    .name = "virt" TS_MACHINE_SUFFIX,
    .parent = TS_TYPE_MACHINE,
    .description = "RISC-V VirtIO board",
    .instance_size = sizeof(VirtMachine),
    .class_init = virt_class_init,
    .instance_finalize = virt_finalize,
};

static bool virt_plugin_init(GError **errp)
{
    return ts_type_register(&virt_machine_type, errp) &&
           ts_type_register(&virt_clint_type, errp) &&
           ts_type_register(&virt_plic_type, errp) &&
           ts_type_register(&virt_gpex_root_type, errp);
}

TS_PLUGIN("dev-riscv-virt", "RISC-V virt board with CLINT and PLIC",
          virt_plugin_init);
