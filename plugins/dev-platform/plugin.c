/*
 * dev-platform - small on-board devices that boards such as RISC-V virt
 * put next to their UART: the SiFive test finisher, the goldfish RTC and
 * QEMU's fw_cfg.
 */
#include "platform.h"

static bool platform_plugin_init(GError **errp)
{
    return sifive_test_register(errp) && goldfish_rtc_register(errp) &&
           fw_cfg_register(errp);
}

TS_PLUGIN("dev-platform", "Platform devices: SiFive test finisher, "
          "goldfish RTC, fw_cfg", platform_plugin_init);
