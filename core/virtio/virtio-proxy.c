/*
 * core/virtio/virtio-proxy.c - registering a virtio device model as a
 * device type of one transport (virtio-mmio, virtio-pci).
 *
 * Both transports build the same thing: a type whose instance is the
 * transport's state followed by the model's struct, whose properties
 * are the model's with their offsets moved past the transport.  What
 * differs is only the parent type and the class_init that copies the
 * proxy's facts into the transport's class.
 */
#include "virtio-internal.h"

#include <tessera/device.h>

#include <string.h>

/* The model's property table with each offset moved past the transport,
 * where the model's struct lives in the instance. */
static TsProperty *rebase_props(const TsProperty *props, size_t by)
{
    if (!props) {
        return NULL;
    }
    size_t n = 0;
    while (props[n].name) {
        n++;
    }
    TsProperty *out = g_new0(TsProperty, n + 1);
    memcpy(out, props, n * sizeof(*props));
    for (size_t i = 0; i < n; i++) {
        out[i].offset += by;
    }
    return out;
}

uint32_t virtio_proxy_category(uint32_t device_id)
{
    switch (device_id) {
    case 1: return TS_DEVICE_CATEGORY_NETWORK;
    case 2:                                     /* block */
    case 8:                                     /* SCSI */
    case 9:                                     /* 9P */
    case 26: return TS_DEVICE_CATEGORY_STORAGE; /* file system */
    case 3:                                     /* console (serial) */
    case 18: return TS_DEVICE_CATEGORY_INPUT;
    case 16: return TS_DEVICE_CATEGORY_DISPLAY;
    case 25: return TS_DEVICE_CATEGORY_SOUND;
    case 4:                                     /* entropy */
    case 5:                                     /* balloon */
    case 19:                                    /* vsock */
    case 20:                                    /* crypto */
    case 23: return TS_DEVICE_CATEGORY_MISC;    /* IOMMU */
    default: return 0;
    }
}

bool virtio_proxy_register(const TsVirtioDeviceClass *klass,
                           const char *type_name, const char *description,
                           const char *parent, size_t transport_size,
                           void (*class_init)(TsObjectClass *, const void *),
                           GError **errp)
{
    if (klass->num_queues > TS_VIRTIO_QUEUES_MAX ||
        klass->queue_size > TS_VIRTQ_SIZE_MAX ||
        (klass->queue_size & (klass->queue_size - 1)) ||
        klass->instance_size < sizeof(TsVirtioDevice)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: invalid virtio device class (queues %u, size %u, "
                    "instance size %zu)", type_name, klass->num_queues,
                    klass->queue_size, klass->instance_size);
        return false;
    }
    /* Never freed: a registered type lives as long as the process. */
    VirtioProxy *p = g_new0(VirtioProxy, 1);
    p->model = klass;
    p->model_offset = (transport_size + 15) & ~(size_t)15;
    p->props = rebase_props(klass->properties, p->model_offset);
    p->info = (TsTypeInfo){
        .name = g_strdup(type_name),
        .parent = parent,
        .description = g_strdup(description),
        .instance_size = p->model_offset + klass->instance_size,
        .class_init = class_init,
        .class_data = p,
    };
    if (!ts_type_register(&p->info, errp)) {
        g_free((char *)p->info.name);
        g_free((char *)p->info.description);
        g_free(p->props);
        g_free(p);
        return false;
    }
    return true;
}
