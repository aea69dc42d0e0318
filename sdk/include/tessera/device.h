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
    void *reserved[8];
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
