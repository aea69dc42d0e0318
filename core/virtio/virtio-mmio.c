/*
 * core/virtio/virtio-mmio.c - the virtio-mmio transport, version 2
 * (VIRTIO 1.2, 4.2): the abstract device type "virtio-mmio-device" and
 * ts_virtio_register_mmio(), which makes a device model a -device type.
 *
 * The transport is an mmio-device: a board places it with
 * ts_mmio_device_place() (a free 0x200-byte slot and its interrupt line),
 * the base maps the window and writes the "virtio,mmio" device-tree node,
 * its interrupt number taken from the wiring.  Everything behind the
 * registers that is not about MMIO (features, status, queues, the
 * interrupt decision) is virtio-device.c's.
 */
#include "virtio-internal.h"
#include "object/object-hooks.h"

/* Register offsets (4.2.2); all 32 bits wide. */
enum {
    REG_MAGIC = 0x000,
    REG_VERSION = 0x004,
    REG_DEVICE_ID = 0x008,
    REG_VENDOR_ID = 0x00c,
    REG_DEVICE_FEATURES = 0x010,
    REG_DEVICE_FEATURES_SEL = 0x014,
    REG_DRIVER_FEATURES = 0x020,
    REG_DRIVER_FEATURES_SEL = 0x024,
    REG_QUEUE_SEL = 0x030,
    REG_QUEUE_NUM_MAX = 0x034,
    REG_QUEUE_NUM = 0x038,
    REG_QUEUE_READY = 0x044,
    REG_QUEUE_NOTIFY = 0x050,
    REG_INTERRUPT_STATUS = 0x060,
    REG_INTERRUPT_ACK = 0x064,
    REG_STATUS = 0x070,
    REG_QUEUE_DESC_LOW = 0x080,
    REG_QUEUE_DESC_HIGH = 0x084,
    REG_QUEUE_DRIVER_LOW = 0x090,
    REG_QUEUE_DRIVER_HIGH = 0x094,
    REG_QUEUE_DEVICE_LOW = 0x0a0,
    REG_QUEUE_DEVICE_HIGH = 0x0a4,
    REG_SHM_SEL = 0x0ac,
    REG_SHM_LEN_LOW = 0x0b0,
    REG_SHM_LEN_HIGH = 0x0b4,
    REG_SHM_BASE_LOW = 0x0b8,
    REG_SHM_BASE_HIGH = 0x0bc,
    REG_QUEUE_RESET = 0x0c0,
    REG_CONFIG_GENERATION = 0x0fc,
    REG_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC 0x74726976        /* "virt" */
#define VIRTIO_MMIO_VERSION 2
#define VIRTIO_MMIO_VENDOR 0x53534554       /* "TESS" */

static VirtioMmio *of_state(VirtioState *s)
{
    return s->transport;
}

static const TsVirtioDeviceClass *model(VirtioMmio *v)
{
    return v->state.dc;
}

/* ---- What the common code asks of the transport ---------------------- */

static void mmio_update_irq(VirtioState *s)
{
    ts_irq_set(of_state(s)->parent.irq[0], s->isr != 0);
}

static bool mmio_enter(VirtioState *s)
{
    return ts_memory_region_enter(of_state(s)->parent.mmio);
}

static void mmio_leave(VirtioState *s)
{
    ts_memory_region_leave(of_state(s)->parent.mmio);
}

static const VirtioTransportOps mmio_transport_ops = {
    .update_irq = mmio_update_irq,
    .enter = mmio_enter,
    .leave = mmio_leave,
};

/* ---- Registers ------------------------------------------------------- */

static VirtQueue *selected_queue(VirtioMmio *v, bool for_setup)
{
    if (v->queue_sel >= v->state.num_queues) {
        virtio_guest_error(&v->state, "queue %u does not exist",
                           v->queue_sel);
        return NULL;
    }
    VirtQueue *vq = &v->state.vq[v->queue_sel];
    if (for_setup && vq->ready) {
        virtio_guest_error(&v->state, "queue %u reconfigured while ready; "
                           "ignored", v->queue_sel);
        return NULL;
    }
    return vq;
}

static void set_low(uint64_t *r, uint32_t val)
{
    *r = (*r & ~UINT64_C(0xffffffff)) | val;
}

static void set_high(uint64_t *r, uint32_t val)
{
    *r = (*r & UINT64_C(0xffffffff)) | ((uint64_t)val << 32);
}

static uint64_t *queue_area(VirtQueue *vq, uint64_t off)
{
    return off < REG_QUEUE_DRIVER_LOW ? &vq->desc_addr
         : off < REG_QUEUE_DEVICE_LOW ? &vq->avail_addr
         : &vq->used_addr;
}

static uint64_t mmio_read_reg(VirtioMmio *v, uint64_t off)
{
    VirtioState *s = &v->state;
    VirtQueue *vq;
    switch (off) {
    case REG_MAGIC:
        return VIRTIO_MMIO_MAGIC;
    case REG_VERSION:
        return VIRTIO_MMIO_VERSION;
    case REG_DEVICE_ID:
        return model(v)->device_id;
    case REG_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case REG_DEVICE_FEATURES:
        return v->dev_features_sel < 2
            ? (uint32_t)(virtio_offered_features(s) >>
                         (32 * v->dev_features_sel))
            : 0;
    case REG_QUEUE_NUM_MAX:
        return v->queue_sel < v->state.num_queues
            ? s->vq[v->queue_sel].num_max : 0;
    case REG_QUEUE_READY:
        return v->queue_sel < v->state.num_queues &&
               s->vq[v->queue_sel].ready;
    case REG_INTERRUPT_STATUS:
        return s->isr;
    case REG_STATUS:
        return s->status;
    case REG_SHM_LEN_LOW:
    case REG_SHM_LEN_HIGH:
    case REG_SHM_BASE_LOW:
    case REG_SHM_BASE_HIGH:
        return 0xffffffff;          /* no shared memory regions */
    case REG_QUEUE_RESET:
        return 0;
    case REG_CONFIG_GENERATION:
        return s->config_generation;
    /* Write-only in version 2, but reading back what was written hurts
     * nobody and helps whoever debugs a driver. */
    case REG_QUEUE_NUM:
        vq = selected_queue(v, false);
        return vq ? vq->num : 0;
    case REG_QUEUE_DESC_LOW:
    case REG_QUEUE_DESC_HIGH:
    case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH:
    case REG_QUEUE_DEVICE_LOW:
    case REG_QUEUE_DEVICE_HIGH:
        vq = selected_queue(v, false);
        return vq ? (uint32_t)(*queue_area(vq, off) >> (off & 4 ? 32 : 0))
                  : 0;
    default:
        virtio_guest_error(s, "read of write-only or unknown register "
                           "0x%03" PRIx64, off);
        return 0;
    }
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioMmio *v = opaque;
    if (off >= REG_CONFIG) {
        return virtio_config_read(&v->state, off - REG_CONFIG, size);
    }
    if (size != 4) {
        virtio_guest_error(&v->state, "%u-byte read of register 0x%03"
                           PRIx64 " (they are 32 bits wide)", size, off);
        return 0;
    }
    return mmio_read_reg(v, off);
}

static void mmio_write_reg(VirtioMmio *v, uint64_t off, uint32_t val)
{
    VirtioState *s = &v->state;
    VirtQueue *vq;
    switch (off) {
    case REG_DEVICE_FEATURES_SEL:
        v->dev_features_sel = val;
        break;
    case REG_DRIVER_FEATURES:
        virtio_set_driver_features(s, v->drv_features_sel, val);
        break;
    case REG_DRIVER_FEATURES_SEL:
        v->drv_features_sel = val;
        break;
    case REG_QUEUE_SEL:
        v->queue_sel = val;
        break;
    case REG_QUEUE_NUM:
        if ((vq = selected_queue(v, true))) {
            vq->num = val;
        }
        break;
    case REG_QUEUE_READY:
        if (selected_queue(v, false)) {
            virtio_set_queue_ready(s, v->queue_sel, val != 0);
        }
        break;
    case REG_QUEUE_NOTIFY:
        virtio_queue_notified(s, val);
        break;
    case REG_INTERRUPT_ACK:
        virtio_isr_ack(s, val);
        break;
    case REG_STATUS:
        if (val == 0) {
            v->dev_features_sel = v->drv_features_sel = v->queue_sel = 0;
        }
        virtio_set_status(s, val);
        break;
    case REG_QUEUE_DESC_LOW:
    case REG_QUEUE_DESC_HIGH:
    case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH:
    case REG_QUEUE_DEVICE_LOW:
    case REG_QUEUE_DEVICE_HIGH:
        if ((vq = selected_queue(v, true))) {
            (off & 4 ? set_high : set_low)(queue_area(vq, off), val);
        }
        break;
    case REG_SHM_SEL:
        break;                      /* every region reads as absent */
    default:
        virtio_guest_error(s, "write of 0x%x to read-only or unknown "
                           "register 0x%03" PRIx64, val, off);
        break;
    }
}

/* The core marks the window busy around this callback: DMA the device
 * does from here cannot land back in these registers. */
static void mmio_write(void *opaque, uint64_t off, uint64_t val,
                       unsigned size)
{
    VirtioMmio *v = opaque;
    if (off >= REG_CONFIG) {
        virtio_config_write(&v->state, off - REG_CONFIG, val, size);
    } else if (size != 4) {
        virtio_guest_error(&v->state, "%u-byte write to register 0x%03"
                           PRIx64 " (they are 32 bits wide); ignored",
                           size, off);
    } else {
        mmio_write_reg(v, off, val);
    }
}

static const TsMemoryOps virtio_mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    /* Registers are 32-bit; the configuration also takes 8- and 16-bit
     * accesses, so the narrow sizes reach us and are sorted out above. */
    .valid_min = 1,
    .valid_max = 4,
    .impl_min = 1,
    .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

/* ---- Life cycle ------------------------------------------------------ */

static bool virtio_mmio_realize(TsMmioDevice *mdev, GError **errp)
{
    VirtioMmio *v = (VirtioMmio *)mdev;
    const char *name = ts_object_type_name(TS_OBJECT(mdev));
    if (mdev->addr == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' has no register address: the machine gave it no "
                    "virtio-mmio slot (use a board that has them, such as "
                    "-M virt, or set addr=)", name);
        return false;
    }
    if (mdev->addr % VIRTIO_MMIO_WINDOW ||
        mdev->addr + VIRTIO_MMIO_WINDOW < mdev->addr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s': addr 0x%" PRIx64 " is not a multiple of 0x%x "
                    "below 2^64", name, mdev->addr, VIRTIO_MMIO_WINDOW);
        return false;
    }
    if (!ts_mmio_device_init_mmio(mdev, &virtio_mmio_ops, v,
                                  VIRTIO_MMIO_WINDOW, errp)) {
        return false;
    }
    g_autofree char *label = g_strdup_printf("%s@0x%" PRIx64, name,
                                             mdev->addr);
    v->dev_features_sel = v->drv_features_sel = v->queue_sel = 0;
    virtio_state_init(&v->state, &mmio_transport_ops, v, label,
                      ts_mmio_device_dma(mdev));
    /* The model may start at once (a chardev with input waiting): the
     * state is ready, the registers are not mapped yet. */
    v->state.settings_open = true;
    bool ok = !model(v)->realize || model(v)->realize(v->state.dev, errp);
    v->state.settings_open = false;
    if (!ok) {
        g_prefix_error(errp, "%s: ", name);
        virtio_state_destroy(&v->state);
        return false;                   /* the base drops the window */
    }
    return true;
}

static void virtio_mmio_unrealize(TsMmioDevice *mdev)
{
    VirtioMmio *v = (VirtioMmio *)mdev;
    if (model(v)->unrealize) {
        model(v)->unrealize(v->state.dev);
    }
    virtio_state_destroy(&v->state);
}

static void virtio_mmio_device_reset(TsDevice *dev)
{
    VirtioMmio *v = (VirtioMmio *)dev;
    v->dev_features_sel = v->drv_features_sel = v->queue_sel = 0;
    virtio_reset(&v->state);
}

/* Join the model (the struct after the transport's) to its state. */
static void virtio_mmio_instance_init(TsObject *obj)
{
    VirtioMmio *v = (VirtioMmio *)obj;
    VirtioMmioClass *vc = (VirtioMmioClass *)
        ts_class_dynamic_cast(obj->klass, TYPE_VIRTIO_MMIO);
    TsVirtioDevice *vdev = (TsVirtioDevice *)((char *)obj +
                                              vc->model_offset);
    vdev->klass = vc->model;
    vdev->core = &v->state;
    v->state.dev = vdev;
    v->state.dc = vc->model;
}

static const char *const virtio_mmio_compatible[] = { "virtio,mmio", NULL };

static void virtio_mmio_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = virtio_mmio_realize;
    mc->unrealize = virtio_mmio_unrealize;
    mc->n_irqs = 1;
    mc->fdt_name = "virtio_mmio";
    mc->fdt_compatible = virtio_mmio_compatible;
    ((TsDeviceClass *)klass)->reset = virtio_mmio_device_reset;
}

static const TsTypeInfo virtio_mmio_type = {
    .name = TYPE_VIRTIO_MMIO,
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "virtio-mmio transport (version 2) of a virtio device",
    .instance_size = sizeof(VirtioMmio),
    .class_size = sizeof(VirtioMmioClass),
    .abstract = true,
    .class_init = virtio_mmio_class_init,
    .instance_init = virtio_mmio_instance_init,
};

/* The transport is the core's, registered before any plugin loads, so
 * every device plugin finds it and none of them claims it. */
static void virtio_mmio_types_init(void)
{
    object_core_type(&virtio_mmio_type);
}
OBJECT_CORE_INIT(virtio_mmio_types_init)

/* ---- A device model on this transport -------------------------------- */

/* The concrete type's class: the model and where its struct starts. */
static void proxy_class_init(TsObjectClass *klass, const void *data)
{
    const VirtioProxy *p = data;
    VirtioMmioClass *vc = (VirtioMmioClass *)klass;
    vc->model = p->model;
    vc->model_offset = p->model_offset;
    ((TsDeviceClass *)klass)->categories =
        virtio_proxy_category(p->model->device_id);
    if (p->props) {
        ts_class_add_properties(klass, p->props);
    }
}

TS_EXPORT bool ts_virtio_register_mmio(const TsVirtioDeviceClass *klass,
                                       const char *type_name,
                                       const char *description,
                                       GError **errp)
{
    return virtio_proxy_register(klass, type_name, description,
                                 TYPE_VIRTIO_MMIO, sizeof(VirtioMmio),
                                 proxy_class_init, errp);
}
