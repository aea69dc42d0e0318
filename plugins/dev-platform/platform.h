/*
 * plugins/dev-platform/platform.h - the small on-board devices of this
 * plugin, each in its own file, registered by plugin.c.
 */
#ifndef PLUGINS_DEV_PLATFORM_H
#define PLUGINS_DEV_PLATFORM_H

#include <tessera/tessera.h>

/* sifive-test.c: "sifive_test", the test finisher (poweroff/reset). */
bool sifive_test_register(GError **errp);

/* goldfish-rtc.c: "goldfish_rtc", Android's goldfish real-time clock. */
bool goldfish_rtc_register(GError **errp);

/* fw-cfg.c: "fw-cfg-mmio", QEMU's firmware configuration device. */
bool fw_cfg_register(GError **errp);

#endif
