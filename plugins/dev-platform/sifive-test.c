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

#define TEST_WINDOW 0x1000

#define TEST_FAIL   0x3333
#define TEST_PASS   0x5555
#define TEST_RESET  0x7777

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

static bool test_realize(TsMmioDevice *dev, GError **errp)
{
    return ts_mmio_device_init_mmio(dev, &test_ops, dev, TEST_WINDOW, errp);
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
    return ts_fdt_set_strings(fdt, node, "compatible", compat, errp) &&
           ts_fdt_set_u32(fdt, node, "regmap", regmap, errp) &&
           ts_fdt_set_u32(fdt, node, "offset", 0, errp) &&
           ts_fdt_set_u32(fdt, node, "value", value, errp);
}

/* After the base's compatible and reg: the phandle the syscon actions
 * point at, and the actions themselves. */
static bool test_fdt_extra(TsMmioDevice *dev, const TsFdtContext *ctx,
                           int node, GError **errp)
{
    uint32_t phandle;
    if (!ts_fdt_check(ctx->fdt, node,
                      fdt_generate_phandle(ctx->fdt, &phandle),
                      "phandle", errp) ||
        !ts_fdt_set_u32(ctx->fdt, node, "phandle", phandle, errp)) {
        return false;
    }
    return add_syscon_action(ctx->fdt, "poweroff", "syscon-poweroff",
                             phandle, TEST_PASS, errp) &&
           add_syscon_action(ctx->fdt, "reboot", "syscon-reboot",
                             phandle, TEST_RESET, errp);
}

static const char *const test_compatible[] = {
    "sifive,test1", "sifive,test0", "syscon", NULL
};

static void test_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = test_realize;
    mc->fdt_name = "test";
    mc->fdt_compatible = test_compatible;
    mc->fdt_extra = test_fdt_extra;
    /* The board places it (the root's /poweroff and /reboot it adds can
     * exist only once each). */
    ((TsDeviceClass *)klass)->user_creatable = false;
}

static const TsTypeInfo sifive_test_type = {
    .name = "sifive_test",
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "SiFive test finisher (guest-requested poweroff, "
                   "exit status, reset)",
    .class_init = test_class_init,
};

bool sifive_test_register(GError **errp)
{
    return ts_type_register(&sifive_test_type, errp);
}
