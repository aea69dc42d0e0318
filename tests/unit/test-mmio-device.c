/*
 * test-mmio-device.c - the mmio-device base type (core/device/mmio-device.c)
 * with a probe device defined here: the window mapped while realized and
 * gone after, addr overflow refused, a failed realize leaving nothing
 * mapped, DMA defaulting to system memory, placing, and a device-tree node
 * whose interrupts are the numbers of the lines the outputs are wired to.
 */
#include "machine/machine-lifecycle.h"

#include <tessera/tessera.h>
#include <libfdt.h>

typedef struct Probe {
    TsMmioDevice parent;
    bool fail;                  /* the realize hook fails after the window */
    bool no_window;             /* the realize hook creates none */
    bool extra_ran;
} Probe;

static uint64_t probe_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0xab;
}

static const TsMemoryOps probe_ops = {
    .read = probe_read,
    .valid_min = 1, .valid_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static bool probe_realize(TsMmioDevice *dev, GError **errp)
{
    Probe *p = (Probe *)dev;
    if (p->no_window) {
        return true;
    }
    if (!ts_mmio_device_init_mmio(dev, &probe_ops, p, 0x1000, errp)) {
        return false;
    }
    if (p->fail) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "probe: told to fail");
        return false;
    }
    return true;
}

/* Adds a root node, which moves the offset of the device's own node. */
static bool probe_fdt_extra(TsMmioDevice *dev, const TsFdtContext *ctx,
                            int node, GError **errp)
{
    ((Probe *)dev)->extra_ran = true;
    return ts_fdt_set_u32(ctx->fdt, node, "probe,extra", 1, errp) &&
           ts_fdt_add_node(ctx->fdt, 0, "aside", dev->addr, errp) >= 0;
}

static const TsProperty probe_props[] = {
    TS_PROP_BOOL("fail", Probe, fail, false, "fail realize"),
    TS_PROP_BOOL("no-window", Probe, no_window, false, "create no window"),
    TS_PROP_END,
};

static const char *const probe_compatible[] = { "test,probe", NULL };

static void probe_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = probe_realize;
    mc->n_irqs = 2;
    mc->fdt_name = "probe";
    mc->fdt_compatible = probe_compatible;
    mc->fdt_extra = data ? NULL : probe_fdt_extra;
    if (data) {
        mc->fdt_name = NULL;    /* "quiet-probe": the board describes it */
    }
    ts_class_add_properties(klass, probe_props);
}

static const TsTypeInfo probe_types[] = {
    { .name = "probe", .parent = TS_TYPE_MMIO_DEVICE,
      .instance_size = sizeof(Probe), .class_init = probe_class_init },
    { .name = "quiet-probe", .parent = TS_TYPE_MMIO_DEVICE,
      .instance_size = sizeof(Probe), .class_init = probe_class_init,
      .class_data = "quiet" },
};

static TsMmioDevice *probe_new(const char *type, const char *name)
{
    TsObject *obj = ts_object_new(type, NULL);
    g_assert_nonnull(obj);
    g_assert_true(ts_object_add_child(TS_OBJECT(ts_machine_current()), name,
                                      obj, NULL));
    ts_object_unref(obj);
    return TS_MMIO_DEVICE(obj);
}

static void probe_destroy(TsMmioDevice *dev)
{
    ts_device_unrealize(TS_DEVICE(dev));
    ts_object_remove_child(TS_OBJECT(ts_machine_current()), TS_OBJECT(dev));
}

static TsMemResult load(uint64_t addr, uint64_t *val)
{
    return ts_address_space_load(ts_address_space_system(), addr, 1, val);
}

static void test_map_unmap(void)
{
    TsMmioDevice *dev = probe_new("probe", "p");
    g_assert_true(ts_mmio_device_place(dev, 0x4000, 0, NULL, NULL));
    uint64_t val = 0;
    g_assert_cmpint(load(0x4000, &val), ==, TS_MEM_UNASSIGNED);
    g_assert_true(ts_device_realize(TS_DEVICE(dev), NULL));
    g_assert_cmpint(load(0x4fff, &val), ==, TS_MEM_OK);
    g_assert_cmphex(val, ==, 0xab);
    g_assert_cmpstr(ts_memory_region_name(dev->mmio), ==, "probe@4000");

    ts_device_unrealize(TS_DEVICE(dev));
    g_assert_null(dev->mmio);
    g_assert_cmpint(load(0x4000, &val), ==, TS_MEM_UNASSIGNED);
    /* And back: realize maps a fresh window. */
    g_assert_true(ts_device_realize(TS_DEVICE(dev), NULL));
    g_assert_cmpint(load(0x4000, &val), ==, TS_MEM_OK);
    probe_destroy(dev);
    g_assert_cmpint(load(0x4000, &val), ==, TS_MEM_UNASSIGNED);
}

static void test_addr_overflow(void)
{
    TsMmioDevice *dev = probe_new("probe", "p");
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_mmio_device_place(dev, UINT64_C(0xfffffffffffff800), 0,
                                       NULL, NULL));
    g_assert_false(ts_device_realize(TS_DEVICE(dev), &err));
    g_assert_cmpstr(err->message, ==, "probe: addr 0xfffffffffffff800 "
                    "leaves no room for its 0x1000-byte register window");
    g_assert_false(TS_DEVICE(dev)->realized);
    g_assert_null(dev->mmio);
    /* The last byte of the address space is still a fine place. */
    g_assert_true(ts_mmio_device_place(dev, UINT64_C(0xfffffffffffff000), 0,
                                       NULL, NULL));
    g_assert_true(ts_device_realize(TS_DEVICE(dev), NULL));
    probe_destroy(dev);
}

static void test_failed_realize(void)
{
    uint64_t val;
    TsMmioDevice *dev = probe_new("probe", "p");
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_object_set_bool(TS_OBJECT(dev), "fail", true, NULL));
    g_assert_true(ts_mmio_device_place(dev, 0x4000, 0, NULL, NULL));
    g_assert_false(ts_device_realize(TS_DEVICE(dev), &err));
    g_assert_cmpstr(err->message, ==, "probe: told to fail");
    g_assert_null(dev->mmio);
    g_assert_cmpint(load(0x4000, &val), ==, TS_MEM_UNASSIGNED);
    probe_destroy(dev);
    g_clear_error(&err);

    dev = probe_new("probe", "p");
    g_assert_true(ts_object_set_bool(TS_OBJECT(dev), "no-window", true,
                                     NULL));
    g_assert_false(ts_device_realize(TS_DEVICE(dev), &err));
    g_assert_cmpstr(err->message, ==,
                    "probe: realize created no register window");
    probe_destroy(dev);
}

static void test_dma(void)
{
    TsMmioDevice *dev = probe_new("probe", "p");
    g_assert_true(ts_mmio_device_dma(dev) == ts_address_space_system());
    TsMemoryRegion *root = ts_memory_region_new_container("iommu", 0x10000);
    TsAddressSpace *as = ts_address_space_new("dma", root);
    ts_mmio_device_set_dma(dev, as);
    g_assert_true(ts_mmio_device_dma(dev) == as);
    ts_mmio_device_set_dma(dev, NULL);
    g_assert_true(ts_mmio_device_dma(dev) == ts_address_space_system());
    ts_address_space_free(as);
    ts_memory_region_unref(root);
    probe_destroy(dev);
}

/* A sink that remembers its level. */
static void remember_level(void *opaque, unsigned n, int level)
{
    *(int *)opaque = level;
}

static void test_place(void)
{
    int level = 0;
    TsMmioDevice *dev = probe_new("probe", "p");
    TsIrq *line = ts_irq_new(remember_level, &level, 3);
    g_autoptr(GError) err = NULL;
    g_assert_false(ts_mmio_device_place(dev, 0x4000, 2, line, &err));
    g_assert_cmpstr(err->message, ==,
                    "probe: has no interrupt output 2 (it has 2)");
    g_clear_error(&err);
    g_assert_true(ts_mmio_device_place(dev, 0x4000, 1, line, NULL));
    g_assert_true(dev->irq[1] == line);
    g_assert_true(ts_device_realize(TS_DEVICE(dev), NULL));
    /* Placed for good once realized. */
    g_assert_false(ts_mmio_device_place(dev, 0x5000, 0, NULL, &err));
    g_assert_nonnull(err);
    g_assert_cmphex(dev->addr, ==, 0x4000);
    probe_destroy(dev);
    ts_irq_free(line);
}

static void *tree_with_soc(void)
{
    void *fdt = g_malloc0(16384);
    g_assert_cmpint(fdt_create_empty_tree(fdt, 16384), ==, 0);
    int soc = fdt_add_subnode(fdt, 0, "soc");
    g_assert_cmpint(soc, >=, 0);
    return fdt;
}

static const fdt32_t *cells(void *fdt, const char *path, const char *prop,
                            int *n)
{
    int len = 0;
    int node = fdt_path_offset(fdt, path);
    g_assert_cmpint(node, >=, 0);
    const fdt32_t *p = fdt_getprop(fdt, node, prop, &len);
    *n = p ? len / 4 : -1;
    return p;
}

static void test_fdt_interrupts_from_wiring(void)
{
    int level7 = 0, level12 = 0;
    TsIrq *in7 = ts_irq_new(remember_level, &level7, 7);
    TsIrq *in12 = ts_irq_new(remember_level, &level12, 12);
    TsMmioDevice *both = probe_new("probe", "both");
    TsMmioDevice *second = probe_new("probe", "second");
    TsMmioDevice *none = probe_new("probe", "none");
    TsMmioDevice *quiet = probe_new("quiet-probe", "quiet");
    g_assert_true(ts_mmio_device_place(both, 0x4000, 0, in7, NULL));
    g_assert_true(ts_mmio_device_place(both, 0x4000, 1, in12, NULL));
    g_assert_true(ts_mmio_device_place(second, 0x6000, 1, in12, NULL));
    g_assert_true(ts_mmio_device_place(none, 0x8000, 0, NULL, NULL));
    g_assert_true(ts_mmio_device_place(quiet, 0xa000, 0, in7, NULL));
    TsMmioDevice *all[] = { both, second, none, quiet };
    for (unsigned i = 0; i < G_N_ELEMENTS(all); i++) {
        g_assert_true(ts_device_realize(TS_DEVICE(all[i]), NULL));
    }

    g_autofree void *fdt = tree_with_soc();
    TsFdtContext ctx = { .fdt = fdt, .parent_path = "/soc",
                         .addr_cells = 1, .size_cells = 1,
                         .irq_parent = 9, .irq_cells = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_fdt_add_device_nodes(&ctx, &err));
    g_assert_no_error(err);

    int n;
    const fdt32_t *irqs = cells(fdt, "/soc/probe@4000", "interrupts", &n);
    g_assert_cmpint(n, ==, 2);
    g_assert_cmpuint(fdt32_to_cpu(irqs[0]), ==, 7);
    g_assert_cmpuint(fdt32_to_cpu(irqs[1]), ==, 12);
    const fdt32_t *parent = cells(fdt, "/soc/probe@4000", "interrupt-parent",
                                  &n);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(fdt32_to_cpu(parent[0]), ==, 9);
    const fdt32_t *reg = cells(fdt, "/soc/probe@4000", "reg", &n);
    g_assert_cmpint(n, ==, 2);
    g_assert_cmphex(fdt32_to_cpu(reg[0]), ==, 0x4000);
    g_assert_cmphex(fdt32_to_cpu(reg[1]), ==, 0x1000);
    g_assert_nonnull(cells(fdt, "/soc/probe@4000", "probe,extra", &n));
    g_assert_true(((Probe *)both)->extra_ran);
    g_assert_cmpint(fdt_path_offset(fdt, "/aside@4000"), >=, 0);
    g_assert_cmpstr(fdt_getprop(fdt, fdt_path_offset(fdt, "/soc/probe@4000"),
                                "compatible", NULL), ==, "test,probe");

    irqs = cells(fdt, "/soc/probe@6000", "interrupts", &n);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(fdt32_to_cpu(irqs[0]), ==, 12);

    /* Unwired: no interrupts at all, and no parent to point at. */
    g_assert_null(cells(fdt, "/soc/probe@8000", "interrupts", &n));
    g_assert_null(cells(fdt, "/soc/probe@8000", "interrupt-parent", &n));
    /* fdt_name NULL: no node. */
    g_assert_cmpint(fdt_path_offset(fdt, "/soc/probe@a000"), <, 0);
    g_assert_cmpint(fdt_path_offset(fdt, "/soc/quiet-probe@a000"), <, 0);

    /* A device that goes away lowers what it drove. */
    ts_irq_raise(both->irq[0]);
    g_assert_cmpint(level7, ==, 1);
    ts_device_unrealize(TS_DEVICE(both));
    g_assert_cmpint(level7, ==, 0);

    for (unsigned i = 0; i < G_N_ELEMENTS(all); i++) {
        probe_destroy(all[i]);
    }
    ts_irq_free(in7);
    ts_irq_free(in12);
}

static void test_fdt_helpers(void)
{
    g_autofree void *fdt = tree_with_soc();
    int soc = fdt_path_offset(fdt, "/soc");
    TsFdtContext ctx = { .fdt = fdt, .addr_cells = 1, .size_cells = 1,
                         .irq_cells = 2 };
    g_autoptr(GError) err = NULL;
    int node = ts_fdt_add_node(fdt, soc, "flash", 0x20000000, &err);
    g_assert_cmpint(node, >=, 0);
    g_assert_true(ts_fdt_set_reg(&ctx, node, 0x20000000, 0x1000, NULL));
    g_assert_true(ts_fdt_append_reg(&ctx, node, 0x20001000, 0x1000, NULL));
    int n;
    const fdt32_t *reg = cells(fdt, "/soc/flash@20000000", "reg", &n);
    g_assert_cmpint(n, ==, 4);
    g_assert_cmphex(fdt32_to_cpu(reg[2]), ==, 0x20001000);

    /* A value too wide for one cell, a second node of the same name. */
    g_assert_false(ts_fdt_set_reg(&ctx, node, UINT64_C(1) << 32, 1, &err));
    g_assert_nonnull(strstr(err->message, "does not fit"));
    g_clear_error(&err);
    g_assert_cmpint(ts_fdt_add_node(fdt, soc, "flash", 0x20000000, &err),
                    ==, -1);
    g_assert_nonnull(strstr(err->message, "flash@20000000"));
    g_clear_error(&err);

    /* Two-cell controllers get a level-high flag after each number. */
    uint32_t irqs[] = { 5, 6 };
    g_assert_true(ts_fdt_set_interrupts(&ctx, node, irqs, 2, NULL));
    const fdt32_t *ic = cells(fdt, "/soc/flash@20000000", "interrupts", &n);
    g_assert_cmpint(n, ==, 4);
    g_assert_cmpuint(fdt32_to_cpu(ic[2]), ==, 6);
    g_assert_cmpuint(fdt32_to_cpu(ic[3]), ==, 4);
    ctx.irq_cells = 3;
    g_assert_false(ts_fdt_set_interrupts(&ctx, node, irqs, 2, &err));
    g_assert_nonnull(strstr(err->message, "#interrupt-cells = 3"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fdt_node_register();
    mmio_device_register();
    for (size_t i = 0; i < G_N_ELEMENTS(probe_types); i++) {
        g_assert_true(ts_type_register(&probe_types[i], NULL));
    }
    machine_none_register();
    g_assert_nonnull(machine_create("none" TS_MACHINE_SUFFIX, NULL));
    g_test_add_func("/mmio-device/map-unmap", test_map_unmap);
    g_test_add_func("/mmio-device/addr-overflow", test_addr_overflow);
    g_test_add_func("/mmio-device/failed-realize", test_failed_realize);
    g_test_add_func("/mmio-device/dma", test_dma);
    g_test_add_func("/mmio-device/place", test_place);
    g_test_add_func("/mmio-device/fdt-interrupts-from-wiring",
                    test_fdt_interrupts_from_wiring);
    g_test_add_func("/mmio-device/fdt-helpers", test_fdt_helpers);
    return g_test_run();
}
