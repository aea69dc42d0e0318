/*
 * core/device/device.c - realize/unrealize/reset of devices.
 */
#include "irq-lines.h"
#include "devices.h"
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include <tessera/device.h>
#include <tessera/machine.h>

/* ---- the device base type ------------------------------------------ */

static void device_class_init(TsObjectClass *klass, const void *data)
{
    ((TsDeviceClass *)klass)->user_creatable = true;
}

static const TsTypeInfo device_type = {
    .name = TS_TYPE_DEVICE, .parent = TS_TYPE_OBJECT, .abstract = true,
    .class_size = sizeof(TsDeviceClass), .instance_size = sizeof(TsDevice),
    .class_init = device_class_init,
};

/* A device goes away unrealized, and without the lines a failed realize
 * may have declared, before its children and its types' finalize. */
static void device_pre_finalize(TsObject *obj)
{
    TsDevice *dev = (TsDevice *)ts_object_dynamic_cast(obj, TS_TYPE_DEVICE);
    if (dev) {
        ts_device_unrealize(dev);
        irq_forget_device(dev);
    }
}

static void device_types_init(void)
{
    object_core_type(&device_type);
    object_registry_set_pre_finalize(device_pre_finalize);
}
OBJECT_CORE_INIT(device_types_init)

TS_EXPORT bool ts_device_realize(TsDevice *dev, GError **errp)
{
    TsDeviceClass *dc = dev ? TS_DEVICE_GET_CLASS(dev) : NULL;
    if (!dc) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is not a device and cannot be realized",
                    dev ? ts_object_type_name(TS_OBJECT(dev)) : "(null)");
        return false;
    }
    if (dev->realized) {
        return true;
    }
    if (dc->realize) {
        GError *err = NULL;
        if (!dc->realize(dev, &err)) {
            if (!err) {
                g_set_error(&err, TS_ERROR, TS_ERROR_FAILED,
                            "device '%s' failed to realize",
                            ts_object_type_name(TS_OBJECT(dev)));
            }
            g_propagate_error(errp, err);
            return false;
        }
    }
    dev->realized = true;
    return true;
}

void ts_device_unrealize(TsDevice *dev)
{
    TsDeviceClass *dc = dev ? TS_DEVICE_GET_CLASS(dev) : NULL;
    if (!dc || !dev->realized) {
        return;
    }
    dev->realized = false;
    if (dc->unrealize) {
        dc->unrealize(dev);
    }
    irq_forget_device(dev);     /* its output slots may be freed now */
}

TS_EXPORT void ts_device_reset(TsDevice *dev)
{
    TsDeviceClass *dc = dev ? TS_DEVICE_GET_CLASS(dev) : NULL;
    if (dc && dc->reset) {
        dc->reset(dev);
    }
}

static void reset_tree(TsObject *obj, void *opaque)
{
    ts_object_foreach_child(obj, reset_tree, NULL);     /* children first */
    TsDevice *dev = (TsDevice *)ts_object_dynamic_cast(obj, TS_TYPE_DEVICE);
    if (dev && dev->realized) {
        ts_device_reset(dev);
    }
}

void ts_devices_reset_all(void)
{
    TsObject *machine = TS_OBJECT(ts_machine_current());
    if (machine) {
        reset_tree(machine, NULL);
    }
}
