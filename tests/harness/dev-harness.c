/*
 * dev-harness.c - shared set-up of the device plugin tests (see
 * dev-harness.h).
 *
 * The test binary links the core statically and exports its symbols
 * (export_dynamic), so the plugin's calls bind to this process's core and
 * the devices it registers land in the registry the test looks at.
 */
#include "dev-harness.h"

#include "chardev/chardev-internal.h"
#include "loop/loop-internal.h"
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include "plugin/plugins.h"
#include "device/devices.h"
#include "loop/main-loop.h"

#include <stdio.h>
#include <stdlib.h>

bool harness_init(const char *type)
{
    const char *root = g_getenv("TESSERA_BUILD_ROOT");
    if (!root) {
        printf("1..0 # SKIP TESSERA_BUILD_ROOT is not set (run through "
               "meson test)\n");
        return false;
    }
    ts_loop_init();
    plugin_loader_init();
    g_autofree char *dir = g_build_filename(root, "plugins", NULL);
    plugin_path_prepend(dir);
    object_core_init();
    g_autoptr(GError) err = NULL;
    if (!machine_create("none" TS_MACHINE_SUFFIX, &err)) {
        g_error("cannot create the machine: %s", err->message);
    }
    if (type && !plugin_require(PK_DEVICE, type, &err)) {
        g_error("cannot load the plugin providing %s: %s", type,
                err->message);
    }
    return true;
}

static void test_irq_handler(void *opaque, unsigned n, int level)
{
    TestIrq *irq = opaque;
    if (level && !irq->level) {
        irq->raised++;
    }
    irq->level = level;
}

TestIrq *test_irq_new_at(unsigned number)
{
    TestIrq *irq = g_new0(TestIrq, 1);
    irq->line = ts_irq_new(test_irq_handler, irq, number);
    return irq;
}

TestIrq *test_irq_new(void)
{
    return test_irq_new_at(0);
}

void test_irq_free(TestIrq *irq)
{
    if (irq) {
        ts_irq_free(irq->line);
        g_free(irq);
    }
}

TsDevice *harness_try_device(const char *type, const char *name,
                             const char *const *props, GError **errp)
{
    TsObject *machine = TS_OBJECT(ts_machine_current());
    TsObject *obj = ts_object_new(type, errp);
    if (!obj) {
        return NULL;
    }
    for (const char *const *p = props; p && *p; p++) {
        g_auto(GStrv) kv = g_strsplit(*p, "=", 2);
        if (!ts_object_set_prop(obj, kv[0], kv[1] ? kv[1] : "", errp)) {
            ts_object_unref(obj);
            return NULL;
        }
    }
    if (!ts_object_add_child(machine, name, obj, errp)) {
        ts_object_unref(obj);
        return NULL;
    }
    ts_object_unref(obj);       /* the tree holds it */
    return TS_DEVICE(obj);
}

TsDevice *harness_device(const char *type, const char *name, TestIrq *irq,
                         const char *const *props)
{
    g_autoptr(GError) err = NULL;
    TsDevice *dev = harness_try_device(type, name, props, &err);
    g_assert_no_error(err);
    TsMmioDevice *mmio = (TsMmioDevice *)ts_object_dynamic_cast(
        TS_OBJECT(dev), TS_TYPE_MMIO_DEVICE);
    if (mmio && irq) {
        g_assert_true(ts_mmio_device_place(mmio, mmio->addr, 0, irq->line,
                                           &err));
    } else if (irq) {
        g_assert_true(ts_device_connect_irq_out(dev, "irq", 0, irq->line));
    }
    g_assert_true(ts_device_realize(dev, &err));
    g_assert_no_error(err);
    return dev;
}

void harness_destroy(TsDevice *dev)
{
    ts_device_unrealize(dev);
    ts_object_remove_child(TS_OBJECT(ts_machine_current()), TS_OBJECT(dev));
}

uint64_t mmio_read(uint64_t addr, unsigned size)
{
    uint64_t val = 0;
    g_assert_cmpint(ts_address_space_load(ts_address_space_system(), addr,
                                          size, &val), ==, TS_MEM_OK);
    return val;
}

void mmio_write(uint64_t addr, unsigned size, uint64_t value)
{
    g_assert_cmpint(ts_address_space_store(ts_address_space_system(), addr,
                                           size, value), ==, TS_MEM_OK);
}

typedef struct Waiter {
    bool (*cond)(void *opaque);
    void *opaque;
    int64_t deadline;
    TsTimer *timer;
    bool met;
} Waiter;

/* Polls the condition every millisecond of host time. */
static void waiter_tick(void *opaque)
{
    Waiter *w = opaque;
    int64_t now = ts_clock_get_ns(TS_CLOCK_HOST);
    if (w->cond && w->cond(w->opaque)) {
        w->met = true;
        ts_loop_quit(0);
        return;
    }
    if (now >= w->deadline) {
        ts_loop_quit(0);
        return;
    }
    ts_timer_mod(w->timer, now + 1000000);
}

bool run_until(bool (*cond)(void *opaque), void *opaque, int timeout_ms)
{
    Waiter w = { .cond = cond, .opaque = opaque };
    w.deadline = ts_clock_get_ns(TS_CLOCK_HOST) +
                 (int64_t)timeout_ms * 1000000;
    w.timer = ts_timer_new(TS_CLOCK_HOST, waiter_tick, &w);
    ts_timer_mod(w.timer, ts_clock_get_ns(TS_CLOCK_HOST));
    ts_loop_run();
    loop_quit_reset();
    ts_timer_free(w.timer);
    return w.met;
}

TsChardev *harness_chardev(const char *opts)
{
    g_autoptr(GError) err = NULL;
    TsChardev *chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    g_assert_nonnull(chr);
    return chr;
}

void *harness_fdt_with_soc(unsigned addr_cells, unsigned size_cells,
                           int *soc)
{
    const int size = 64 * 1024;
    void *fdt = g_malloc0(size);
    g_assert_cmpint(fdt_create_empty_tree(fdt, size), ==, 0);
    *soc = fdt_add_subnode(fdt, 0, "soc");
    g_assert_cmpint(*soc, >=, 0);
    fdt_setprop_u32(fdt, *soc, "#address-cells", addr_cells);
    fdt_setprop_u32(fdt, *soc, "#size-cells", size_cells);
    return fdt;
}

const fdt32_t *harness_fdt_cells(const void *fdt, int node, const char *name,
                                 int *ncells)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);
    g_assert_nonnull(p);
    g_assert_cmpint(len % 4, ==, 0);
    *ncells = len / 4;
    return p;
}
