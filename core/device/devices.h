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

/*
 * Unplugging with the guest's consent (PCI Express native hot-plug: the
 * attention button, then the guest powers the slot off).  The subsystem
 * sets one hook; device_del calls it first: 1 means it took the request
 * and the device goes later through device_unplug_finish(), 0 that
 * device_del removes the device at once, -1 (+ errp) refuses.
 */
void device_set_unplug_request(int (*fn)(TsDevice *dev, GError **errp));

/* Remove a device now and send DEVICE_DELETED, as device_del does when
 * no consent is needed. */
void device_unplug_finish(TsDevice *dev);

#endif
