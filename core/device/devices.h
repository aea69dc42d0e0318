/*
 * core/device/devices.h - what the core does to devices as a whole:
 * system reset, device_del.  A plugin realizes and resets its own
 * devices (tessera/device.h); tearing them down is the core's.
 */
#ifndef TESSERA_CORE_DEVICES_H
#define TESSERA_CORE_DEVICES_H

#include <tessera/device.h>

/* Undo realize; no-op on an unrealized device. */
void ts_device_unrealize(TsDevice *dev);

/* Reset every realized device under the machine, children first. */
void ts_devices_reset_all(void);

#endif
