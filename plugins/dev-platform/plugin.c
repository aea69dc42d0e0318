/*
 * dev-platform - small on-board devices that boards such as RISC-V virt
 * put next to their UART: the SiFive test finisher and the goldfish RTC.
 */
#include "platform.h"

static bool platform_plugin_init(GError **errp)
{
    return sifive_test_register(errp) && goldfish_rtc_register(errp);
}

TS_PLUGIN("dev-platform", "Platform devices: SiFive test finisher, "
          "goldfish RTC", platform_plugin_init);
