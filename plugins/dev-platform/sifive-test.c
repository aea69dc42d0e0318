/*
 * sifive-test.c - the SiFive test finisher: one register at offset 0 that
 * firmware and test programs write to leave the emulator.
 *
 *   0x5555              power off, exit status 0 (pass)
 *   0x3333 | code << 16 power off, exit status `code` (fail)
 *   0x7777              reset the machine
 *
 * The low 16 bits are the command, so a 16-bit write (OpenSBI uses one)
 * works too; a fail code needs the 32-bit form.  Other values are a guest
 * error and are ignored.  Reads return 0.
 *
 * Linux powers off and reboots through it with the generic syscon drivers,
 * so the device tree gets /poweroff and /reboot nodes pointing at it.
 */
#include "platform.h"

#include <libfdt.h>

#include "common/fdt-mmio.h"

#define TEST_WINDOW 0x1000

#define TEST_FAIL   0x3333
#define TEST_PASS   0x5555
#define TEST_RESET  0x7777

typedef struct SifiveTest {
    TsDevice parent;
    uint64_t addr;
    TsMemoryRegion *mmio;
} SifiveTest;

static void test_write(void *opaque, uint64_t offset, uint64_t value,
                       unsigned size)
{
    if (offset != 0) {
        return;
    }
    unsigned command = value & 0xffff;
    switch (command) {
    case TEST_PASS:
        ts_request_shutdown(TS_SHUTDOWN_GUEST_POWEROFF, 0);
        break;
    case TEST_FAIL:
        ts_request_shutdown(TS_SHUTDOWN_GUEST_POWEROFF,
                            (int)((value >> 16) & 0xffff));
        break;
    case TEST_RESET:
        ts_request_shutdown(TS_SHUTDOWN_GUEST_RESET, 0);
        break;
    default:
        ts_log(TS_LOG_GUEST_ERROR, "sifive_test: unknown command 0x%04x "
               "(expected 0x5555 pass, 0x3333 fail, 0x7777 reset)\n",
               command);
        break;
    }
}

static const TsMemoryOps test_ops = {
    .write = test_write,
    .valid_min = 2,
    .valid_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static bool test_realize(TsDevice *dev, GError **errp)
{
    SifiveTest *s = (SifiveTest *)dev;
    if (s->addr > UINT64_MAX - (TEST_WINDOW - 1)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "sifive_test: addr 0x%" PRIx64 " leaves no room for "
                    "its 0x%x-byte window", s->addr, TEST_WINDOW);
        return false;
    }
    g_autofree char *name = g_strdup_printf("sifive_test@%" PRIx64, s->addr);
    s->mmio = ts_memory_region_new_mmio(name, TEST_WINDOW, &test_ops, s);
    ts_memory_region_add_subregion(ts_machine_system_memory(), s->addr,
                                   s->mmio, 0);
    return true;
}

static void test_unrealize(TsDevice *dev)
{
    SifiveTest *s = (SifiveTest *)dev;
    ts_memory_region_remove_subregion(ts_machine_system_memory(), s->mmio);
    ts_memory_region_unref(s->mmio);
    s->mmio = NULL;
}

/* A root node "name" that has a syscon driver write `value` to offset 0
 * of the register map with phandle `regmap`. */
static bool add_syscon_action(void *fdt, const char *name,
                              const char *compatible, uint32_t regmap,
                              uint32_t value, GError **errp)
{
    int node = fdt_add_subnode(fdt, 0, name);
    if (node < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "device tree: cannot add /%s for sifive_test: %s "
                    "(is there a second test finisher?)", name,
                    fdt_strerror(node));
        return false;
    }
    const char *const compat[] = { compatible, NULL };
    return fdt_mmio_set_strings(fdt, node, "compatible", compat, errp) &&
           fdt_mmio_set_u32(fdt, node, "regmap", regmap, errp) &&
           fdt_mmio_set_u32(fdt, node, "offset", 0, errp) &&
           fdt_mmio_set_u32(fdt, node, "value", value, errp);
}

static bool test_fdt_add(TsDevice *dev, const TsFdtContext *ctx,
                         GError **errp)
{
    SifiveTest *s = (SifiveTest *)dev;
    static const char *const compatible[] = {
        "sifive,test1", "sifive,test0", "syscon", NULL
    };
    int node = fdt_mmio_add_node(ctx->fdt, ctx->parent, "test", s->addr,
                                 errp);
    if (node < 0 ||
        !fdt_mmio_set_strings(ctx->fdt, node, "compatible", compatible,
                              errp) ||
        !fdt_mmio_set_reg(ctx, node, s->addr, TEST_WINDOW, errp)) {
        return false;
    }
    uint32_t phandle;
    if (!fdt_mmio_check(ctx->fdt, node,
                        fdt_generate_phandle(ctx->fdt, &phandle),
                        "phandle", errp) ||
        !fdt_mmio_set_u32(ctx->fdt, node, "phandle", phandle, errp)) {
        return false;
    }
    return add_syscon_action(ctx->fdt, "poweroff", "syscon-poweroff",
                             phandle, TEST_PASS, errp) &&
           add_syscon_action(ctx->fdt, "reboot", "syscon-reboot",
                             phandle, TEST_RESET, errp);
}

static const TsProperty test_props[] = {
    TS_PROP_UINT("addr", SifiveTest, addr, 0,
                 "guest physical address of the register"),
    TS_PROP_END,
};

static void test_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->realize = test_realize;
    dc->unrealize = test_unrealize;
    /* The board places it and describes it (with the root's /poweroff
     * and /reboot, of which there can be only one each). */
    dc->user_creatable = false;
    ts_class_add_properties(klass, test_props);
    TsFdtNodeInterface *fi = ts_class_interface(klass, TS_TYPE_FDT_NODE);
    fi->add = test_fdt_add;
}

static const char *const test_interfaces[] = { TS_TYPE_FDT_NODE, NULL };

static const TsTypeInfo sifive_test_type = {
    .name = "sifive_test",
    .parent = TS_TYPE_DEVICE,
    .description = "SiFive test finisher (guest-requested poweroff, "
                   "exit status, reset)",
    .instance_size = sizeof(SifiveTest),
    .class_init = test_class_init,
    .interfaces = test_interfaces,
};

bool sifive_test_register(GError **errp)
{
    return ts_type_register(&sifive_test_type, errp);
}
