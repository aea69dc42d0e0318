/*
 * tessera/device.h - devices: objects with a realize/unrealize lifecycle.
 *
 * A device is created with ts_object_new(), configured through properties,
 * then realized.  realize is where a device checks its configuration and
 * claims resources (memory regions, backends, IRQ lines); it fails with a
 * message instead of aborting, so a bad `-device` never crashes the core.
 * Properties are frozen once realized unless marked settable_after_realize.
 */
#ifndef TESSERA_DEVICE_H
#define TESSERA_DEVICE_H

#include <tessera/object.h>

TS_BEGIN_DECLS

#define TS_TYPE_DEVICE "device"

typedef struct TsDevice TsDevice;

/*
 * The groups `-device help` lists a device under, as QEMU 7.2 has them
 * (and in its order); bits of TsDeviceClass.categories.  A device with
 * none is listed under "Uncategorized devices".  (Since ABI 1.4.)
 */
enum {
    TS_DEVICE_CATEGORY_BRIDGE = 1u << 0,    /* Controller/Bridge/Hub */
    TS_DEVICE_CATEGORY_USB = 1u << 1,
    TS_DEVICE_CATEGORY_STORAGE = 1u << 2,
    TS_DEVICE_CATEGORY_NETWORK = 1u << 3,
    TS_DEVICE_CATEGORY_INPUT = 1u << 4,     /* QEMU's serial ports too */
    TS_DEVICE_CATEGORY_DISPLAY = 1u << 5,
    TS_DEVICE_CATEGORY_SOUND = 1u << 6,
    TS_DEVICE_CATEGORY_MISC = 1u << 7,
    TS_DEVICE_CATEGORY_CPU = 1u << 8,
    TS_DEVICE_CATEGORY_WATCHDOG = 1u << 9,
};

typedef struct TsDeviceClass {
    TsObjectClass parent;
    /* Check properties and claim resources.  false + errp on failure; the
     * device must then hold nothing that unrealize would release. */
    bool (*realize)(TsDevice *dev, GError **errp);
    /* Release what realize claimed. */
    void (*unrealize)(TsDevice *dev);
    /* Put the device in its power-on state (machine reset). */
    void (*reset)(TsDevice *dev);
    /* May be created with -device (default true, set false in class_init
     * for devices only boards create). */
    bool user_creatable;
    /* TS_DEVICE_CATEGORY_* bits, set in class_init; recorded in the
     * plugin's sidecar so that `-device help` needs no plugin loaded.
     * (A former reserved slot: pointer-sized, so the layout stays.) */
    uintptr_t categories;
    void *reserved[7];
} TsDeviceClass;

struct TsDevice {
    TsObject parent;
    bool realized;
    void *reserved[4];
};

#define TS_DEVICE(obj) TS_CHECK(TsDevice, (obj), TS_TYPE_DEVICE)
#define TS_DEVICE_GET_CLASS(obj) \
    ((TsDeviceClass *)ts_class_dynamic_cast(TS_OBJECT(obj)->klass, \
                                            TS_TYPE_DEVICE))

/* Realize dev (its class's realize, then ancestors' are not called:
 * a subclass chains to its parent's realize itself if it needs to). */
bool ts_device_realize(TsDevice *dev, GError **errp);
/* Call the class's reset, if any. */
void ts_device_reset(TsDevice *dev);

TS_END_DECLS

#endif
