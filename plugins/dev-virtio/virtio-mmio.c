/*
 * virtio-mmio.c - the virtio-mmio transport, version 2 (VIRTIO 1.2, 4.2),
 * as the abstract device type "virtio-mmio-device" that every virtio
 * device of this plugin derives from.
 *
 * A board places the device: its pre_plug sets "addr" (a free 0x200-byte
 * slot) and "irq-num" and wires the output "irq" to its interrupt
 * controller; realize maps the registers at addr.  The device type
 * provides its ID, queues, features and configuration through
 * VirtioMmioClass.
 *
 * Queue notifications are handled in the register write itself, with a
 * bounded amount of work; what is left is continued from a bottom half.
 * When the driver breaks the rules the queue is given up and the device
 * asks for a reset (DEVICE_NEEDS_RESET), as the spec provides.
 */
#include "virtio.h"

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

/* Features the transport itself offers on top of the device's. */
#define TRANSPORT_FEATURES ((UINT64_C(1) << VIRTIO_F_VERSION_1) | \
                            (UINT64_C(1) << VIRTIO_F_INDIRECT_DESC) | \
                            (UINT64_C(1) << VIRTIO_F_EVENT_IDX))

/* How long the guest may run before we suspect it has no driver. */
#define READY_WARN_NS (INT64_C(60) * 1000 * 1000 * 1000)

static VirtioMmioClass *vclass(VirtioMmio *v)
{
    return VIRTIO_MMIO_GET_CLASS(v);
}

char *virtio_mmio_label(VirtioMmio *v)
{
    return g_strdup_printf("%s@0x%" PRIx64, ts_object_type_name(TS_OBJECT(v)),
                           v->addr);
}

G_GNUC_PRINTF(2, 3)
static void guest_error(VirtioMmio *v, const char *fmt, ...)
{
    if (!ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *label = virtio_mmio_label(v);
    ts_log(TS_LOG_GUEST_ERROR, "%s: %s\n", label, msg);
}

static uint64_t offered_features(VirtioMmio *v)
{
    return TRANSPORT_FEATURES | vclass(v)->features;
}

static bool has_feature(VirtioMmio *v, unsigned bit)
{
    return (v->status & VIRTIO_STATUS_FEATURES_OK) &&
           (v->driver_features & (UINT64_C(1) << bit));
}

/* ---- Interrupts and errors ------------------------------------------ */

static void update_irq(VirtioMmio *v)
{
    ts_irq_set(v->irq, v->isr != 0);
}

void virtio_mmio_notify(VirtioMmio *v, unsigned q)
{
    VirtQueue *vq = &v->vq[q];
    bool interrupt = false;
    GError *err = NULL;
    if (vq->broken) {
        /* Chains pushed before the queue broke are still the driver's:
         * tell it, without reading its (suspect) rings again. */
        interrupt = vq->used_idx != vq->signalled_used;
        vq->signalled_used = vq->used_idx;
    } else if (!virtq_should_interrupt(vq, &interrupt, &err)) {
        virtio_mmio_queue_error(v, q, err);
        return;
    }
    if (interrupt) {
        v->isr |= VIRTIO_ISR_USED_BUFFER;
        update_irq(v);
    }
}

void virtio_mmio_queue_error(VirtioMmio *v, unsigned q, GError *err)
{
    g_autofree char *label = virtio_mmio_label(v);
    v->vq[q].broken = true;
    ts_log(TS_LOG_GUEST_ERROR, "%s: queue %u: %s; the device needs a "
           "reset\n", label, q, err->message);
    if (!v->told_broken) {
        /* Once per device: a guest that breaks it in a loop must not
         * flood the user's terminal.  Details stay in -d guest_errors. */
        g_printerr("warning: %s: the guest driver broke the virtio rules "
                   "(queue %u: %s); the device stops using that queue "
                   "until the guest resets it\n", label, q, err->message);
        v->told_broken = true;
    }
    g_error_free(err);
    if (!(v->status & VIRTIO_STATUS_NEEDS_RESET)) {
        v->status |= VIRTIO_STATUS_NEEDS_RESET;
        /* The spec wants a configuration change notification when this
         * happens after DRIVER_OK; before it, the driver reads Status. */
        if (v->status & VIRTIO_STATUS_DRIVER_OK) {
            v->isr |= VIRTIO_ISR_CONFIG_CHANGE;
            update_irq(v);
        }
    }
}

/* ---- Queue work ------------------------------------------------------ */

bool virtio_mmio_queue_active(VirtioMmio *v, unsigned q)
{
    const uint32_t up = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
    return q < vclass(v)->num_queues && (v->status & up) == up &&
           v->vq[q].ready && !v->vq[q].broken;
}

bool virtio_mmio_begin(VirtioMmio *v)
{
    if (v->work_depth == 0 && !ts_memory_region_enter(v->mmio)) {
        return false;
    }
    v->work_depth++;
    return true;
}

void virtio_mmio_end(VirtioMmio *v)
{
    if (--v->work_depth == 0) {
        ts_memory_region_leave(v->mmio);
    }
}

/* Work on queue q now (DMA allowed: the caller is inside begin/end or a
 * register callback); leave the rest for the bottom half. */
static void run_queue(VirtioMmio *v, unsigned q)
{
    VirtioMmioClass *vc = vclass(v);
    if (!virtio_mmio_queue_active(v, q) || !vc->queue_work) {
        return;
    }
    if (vc->queue_work(v, q)) {
        v->pending |= 1u << q;
        ts_bh_schedule(v->work_bh);
    }
}

static void work_bh(void *opaque)
{
    VirtioMmio *v = opaque;
    if (!v->pending) {
        return;
    }
    if (!virtio_mmio_begin(v)) {
        ts_bh_schedule(v->work_bh);     /* busy: not from the main loop */
        return;
    }
    uint32_t todo = v->pending;
    v->pending = 0;
    for (unsigned q = 0; q < VIRTIO_QUEUES_MAX; q++) {
        if (todo & (1u << q)) {
            run_queue(v, q);
        }
    }
    virtio_mmio_end(v);
}

/* ---- Reset and status ------------------------------------------------ */

static void reset_transport(VirtioMmio *v)
{
    VirtioMmioClass *vc = vclass(v);
    v->status = 0;
    v->isr = 0;
    v->dev_features_sel = v->drv_features_sel = v->queue_sel = 0;
    v->driver_features = 0;
    v->pending = 0;
    if (v->work_bh) {
        ts_bh_cancel(v->work_bh);
    }
    for (unsigned q = 0; q < VIRTIO_QUEUES_MAX; q++) {
        virtq_reset(&v->vq[q]);
    }
    update_irq(v);
    if (vc->reset) {
        vc->reset(v);
    }
}

/* FEATURES_OK is accepted only for a subset of what we offer that
 * includes VERSION_1: a legacy driver cannot use version 2 registers. */
static bool features_acceptable(VirtioMmio *v)
{
    uint64_t extra = v->driver_features & ~offered_features(v);
    if (extra) {
        guest_error(v, "driver accepted features 0x%" PRIx64 " that were "
                    "not offered; FEATURES_OK refused", extra);
        return false;
    }
    if (!(v->driver_features & (UINT64_C(1) << VIRTIO_F_VERSION_1))) {
        guest_error(v, "driver did not accept VIRTIO_F_VERSION_1 (a legacy "
                    "driver?); FEATURES_OK refused");
        return false;
    }
    return true;
}

static void set_status(VirtioMmio *v, uint32_t val)
{
    if (val == 0) {
        reset_transport(v);
        return;
    }
    uint32_t old = v->status;
    if (old & ~val & ~VIRTIO_STATUS_NEEDS_RESET) {
        guest_error(v, "driver cleared status bits 0x%x without a reset; "
                    "kept", old & ~val);
    }
    /* NEEDS_RESET is the device's to set; the driver only adds bits. */
    uint32_t now = old | (val & ~VIRTIO_STATUS_NEEDS_RESET);
    if ((now & ~old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(v)) {
        now &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    v->status = now;
    if (!(now & ~old & VIRTIO_STATUS_DRIVER_OK)) {
        return;
    }
    if (!(now & VIRTIO_STATUS_FEATURES_OK)) {
        guest_error(v, "DRIVER_OK without FEATURES_OK; queues stay idle");
        return;
    }
    v->ever_ready = true;
    if (v->ready_timer) {
        ts_timer_del(v->ready_timer);
    }
    /* Buffers made available before DRIVER_OK wait for it. */
    v->pending |= (1u << vclass(v)->num_queues) - 1;
    ts_bh_schedule(v->work_bh);
}

static void set_queue_ready(VirtioMmio *v, VirtQueue *vq, unsigned q,
                            uint32_t val)
{
    if (!val) {
        /* The driver takes the queue back; it may set it up again. */
        bool broken = vq->broken;
        virtq_reset(vq);
        vq->broken = broken;        /* only a device reset clears that */
        return;
    }
    if (vq->ready) {
        return;
    }
    vq->indirect = has_feature(v, VIRTIO_F_INDIRECT_DESC);
    vq->event_idx = has_feature(v, VIRTIO_F_EVENT_IDX);
    vq->last_avail = vq->used_idx = vq->signalled_used = 0;
    vq->ready = true;
    GError *err = NULL;
    if (!virtq_check_layout(vq, &err)) {
        virtio_mmio_queue_error(v, q, err);
    }
}

/* ---- Registers ------------------------------------------------------- */

static VirtQueue *selected_queue(VirtioMmio *v, bool for_setup)
{
    if (v->queue_sel >= vclass(v)->num_queues) {
        guest_error(v, "queue %u does not exist", v->queue_sel);
        return NULL;
    }
    VirtQueue *vq = &v->vq[v->queue_sel];
    if (for_setup && vq->ready) {
        guest_error(v, "queue %u reconfigured while ready; ignored",
                    v->queue_sel);
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

static uint64_t config_read(VirtioMmio *v, unsigned off, unsigned size)
{
    VirtioMmioClass *vc = vclass(v);
    if (!vc->read_config || off >= vc->config_size) {
        return 0;
    }
    g_autofree uint8_t *cfg = g_malloc0(vc->config_size);
    vc->read_config(v, cfg);
    uint64_t val = 0;
    for (unsigned i = 0; i < size && off + i < vc->config_size; i++) {
        val |= (uint64_t)cfg[off + i] << (8 * i);
    }
    return val;
}

static uint64_t mmio_read_reg(VirtioMmio *v, uint64_t off)
{
    VirtioMmioClass *vc = vclass(v);
    VirtQueue *vq;
    switch (off) {
    case REG_MAGIC:
        return VIRTIO_MMIO_MAGIC;
    case REG_VERSION:
        return VIRTIO_MMIO_VERSION;
    case REG_DEVICE_ID:
        return vc->device_id;
    case REG_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case REG_DEVICE_FEATURES:
        return v->dev_features_sel < 2
            ? (uint32_t)(offered_features(v) >> (32 * v->dev_features_sel))
            : 0;
    case REG_QUEUE_NUM_MAX:
        return v->queue_sel < vc->num_queues ? VIRTIO_QUEUE_MAX : 0;
    case REG_QUEUE_READY:
        return v->queue_sel < vc->num_queues && v->vq[v->queue_sel].ready;
    case REG_INTERRUPT_STATUS:
        return v->isr;
    case REG_STATUS:
        return v->status;
    case REG_SHM_LEN_LOW:
    case REG_SHM_LEN_HIGH:
    case REG_SHM_BASE_LOW:
    case REG_SHM_BASE_HIGH:
        return 0xffffffff;          /* no shared memory regions */
    case REG_QUEUE_RESET:
        return 0;
    case REG_CONFIG_GENERATION:
        return 0;                   /* our configurations never change */
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
    case REG_QUEUE_DEVICE_HIGH: {
        vq = selected_queue(v, false);
        if (!vq) {
            return 0;
        }
        uint64_t r = off < REG_QUEUE_DRIVER_LOW ? vq->desc_addr
                   : off < REG_QUEUE_DEVICE_LOW ? vq->avail_addr
                   : vq->used_addr;
        return (uint32_t)(r >> (off & 4 ? 32 : 0));
    }
    default:
        guest_error(v, "read of write-only or unknown register 0x%03" PRIx64,
                    off);
        return 0;
    }
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioMmio *v = opaque;
    if (off >= REG_CONFIG) {
        return config_read(v, off - REG_CONFIG, size);
    }
    if (size != 4) {
        guest_error(v, "%u-byte read of register 0x%03" PRIx64 " (they "
                    "are 32 bits wide)", size, off);
        return 0;
    }
    return mmio_read_reg(v, off);
}

static void mmio_write_reg(VirtioMmio *v, uint64_t off, uint32_t val)
{
    VirtioMmioClass *vc = vclass(v);
    VirtQueue *vq;
    switch (off) {
    case REG_DEVICE_FEATURES_SEL:
        v->dev_features_sel = val;
        break;
    case REG_DRIVER_FEATURES:
        if (v->status & VIRTIO_STATUS_FEATURES_OK) {
            guest_error(v, "features written after FEATURES_OK; ignored");
        } else if (v->drv_features_sel < 2) {
            (v->drv_features_sel ? set_high : set_low)(&v->driver_features,
                                                       val);
        } else if (val) {
            guest_error(v, "driver features 0x%x in bank %u, which is "
                        "beyond what was offered", val, v->drv_features_sel);
        }
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
        if ((vq = selected_queue(v, false))) {
            set_queue_ready(v, vq, v->queue_sel, val);
        }
        break;
    case REG_QUEUE_NOTIFY:
        if (val >= vc->num_queues) {
            guest_error(v, "notification for queue %u, which does not "
                        "exist", val);
        } else {
            run_queue(v, val);
        }
        break;
    case REG_INTERRUPT_ACK:
        v->isr &= ~val;
        update_irq(v);
        break;
    case REG_STATUS:
        set_status(v, val);
        break;
    case REG_QUEUE_DESC_LOW:
    case REG_QUEUE_DESC_HIGH:
    case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH:
    case REG_QUEUE_DEVICE_LOW:
    case REG_QUEUE_DEVICE_HIGH: {
        if (!(vq = selected_queue(v, true))) {
            break;
        }
        uint64_t *r = off < REG_QUEUE_DRIVER_LOW ? &vq->desc_addr
                    : off < REG_QUEUE_DEVICE_LOW ? &vq->avail_addr
                    : &vq->used_addr;
        (off & 4 ? set_high : set_low)(r, val);
        break;
    }
    case REG_SHM_SEL:
        break;                      /* every region reads as absent */
    default:
        guest_error(v, "write of 0x%x to read-only or unknown register "
                    "0x%03" PRIx64, val, off);
        break;
    }
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val,
                       unsigned size)
{
    VirtioMmio *v = opaque;
    VirtioMmioClass *vc = vclass(v);
    /* The core marked the region busy around this callback: DMA the work
     * below does cannot land back in these registers. */
    v->work_depth++;
    if (off >= REG_CONFIG) {
        if (vc->write_config && off - REG_CONFIG < vc->config_size) {
            vc->write_config(v, off - REG_CONFIG, val, size);
        } else {
            guest_error(v, "write to read-only configuration at 0x%03"
                        PRIx64, off);
        }
    } else if (size != 4) {
        guest_error(v, "%u-byte write to register 0x%03" PRIx64 " (they "
                    "are 32 bits wide); ignored", size, off);
    } else {
        mmio_write_reg(v, off, val);
    }
    v->work_depth--;
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

static void ready_timeout(void *opaque)
{
    VirtioMmio *v = opaque;
    const char *hint = vclass(v)->driver_hint;
    if (v->ever_ready || !hint) {
        return;
    }
    g_autofree char *label = virtio_mmio_label(v);
    g_printerr("warning: %s: the guest has not initialised this device "
               "after %d s of running; make sure the guest kernel was "
               "compiled with %s\n", label,
               (int)(READY_WARN_NS / 1000000000), hint);
}

static bool virtio_mmio_realize(TsDevice *dev, GError **errp)
{
    VirtioMmio *v = (VirtioMmio *)dev;
    VirtioMmioClass *vc = vclass(v);
    const char *name = ts_object_type_name(TS_OBJECT(dev));
    if (v->addr == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' has no register address: the machine gave it no "
                    "virtio-mmio slot (use a board that has them, such as "
                    "-M virt, or set addr=)", name);
        return false;
    }
    if (v->addr % VIRTIO_MMIO_WINDOW ||
        v->addr + VIRTIO_MMIO_WINDOW < v->addr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s': addr 0x%" PRIx64 " is not a multiple of 0x%x "
                    "below 2^64", name, v->addr, VIRTIO_MMIO_WINDOW);
        return false;
    }
    g_assert(vc->num_queues <= VIRTIO_QUEUES_MAX);
    TsAddressSpace *as = ts_address_space_system();
    for (unsigned q = 0; q < VIRTIO_QUEUES_MAX; q++) {
        v->vq[q].as = as;
    }
    if (vc->realize && !vc->realize(v, errp)) {
        return false;
    }
    v->mmio = ts_memory_region_new_mmio(name, VIRTIO_MMIO_WINDOW,
                                        &virtio_mmio_ops, v);
    ts_memory_region_add_subregion(ts_machine_system_memory(), v->addr,
                                   v->mmio, 0);
    v->work_bh = ts_bh_new(name, work_bh, v);
    v->ready_timer = ts_timer_new(TS_CLOCK_VIRTUAL, ready_timeout, v);
    ts_timer_mod(v->ready_timer,
                 ts_clock_get_ns(TS_CLOCK_VIRTUAL) + READY_WARN_NS);
    reset_transport(v);
    return true;
}

static void virtio_mmio_unrealize(TsDevice *dev)
{
    VirtioMmio *v = (VirtioMmio *)dev;
    VirtioMmioClass *vc = vclass(v);
    if (vc->unrealize) {
        vc->unrealize(v);
    }
    ts_timer_free(v->ready_timer);
    v->ready_timer = NULL;
    ts_bh_free(v->work_bh);
    v->work_bh = NULL;
    ts_irq_lower(v->irq);
    ts_memory_region_remove_subregion(ts_machine_system_memory(), v->mmio);
    ts_memory_region_unref(v->mmio);
    v->mmio = NULL;
}

static void virtio_mmio_device_reset(TsDevice *dev)
{
    reset_transport((VirtioMmio *)dev);
}

static void virtio_mmio_instance_init(TsObject *obj)
{
    VirtioMmio *v = (VirtioMmio *)obj;
    ts_device_init_irq_out((TsDevice *)obj, "irq", &v->irq, 1);
}

static const TsProperty virtio_mmio_props[] = {
    TS_PROP_UINT("addr", VirtioMmio, addr, 0,
                 "guest physical address of the registers (set by the "
                 "board)"),
    TS_PROP_UINT("irq-num", VirtioMmio, irq_num, 0,
                 "interrupt number given in the device tree (set by the "
                 "board)"),
    TS_PROP_END,
};

static void virtio_mmio_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->realize = virtio_mmio_realize;
    dc->unrealize = virtio_mmio_unrealize;
    dc->reset = virtio_mmio_device_reset;
    ts_class_add_properties(klass, virtio_mmio_props);
    TsFdtNodeInterface *fi = ts_class_interface(klass, TS_TYPE_FDT_NODE);
    if (fi) {
        fi->add = virtio_mmio_fdt_add;
    }
}

static const char *const virtio_mmio_interfaces[] = {
    TS_TYPE_FDT_NODE, NULL
};

static const TsTypeInfo virtio_mmio_type = {
    .name = TYPE_VIRTIO_MMIO,
    .parent = TS_TYPE_DEVICE,
    .description = "virtio-mmio transport (version 2) of a virtio device",
    .instance_size = sizeof(VirtioMmio),
    .class_size = sizeof(VirtioMmioClass),
    .abstract = true,
    .class_init = virtio_mmio_class_init,
    .instance_init = virtio_mmio_instance_init,
    .interfaces = virtio_mmio_interfaces,
};

bool virtio_mmio_register(GError **errp)
{
    return ts_type_register(&virtio_mmio_type, errp);
}

static bool dev_virtio_init(GError **errp)
{
    return virtio_mmio_register(errp) &&
           virtio_rng_register(errp) &&
           virtio_console_register(errp);
}

TS_PLUGIN("dev-virtio", "virtio-mmio devices: entropy source and console",
          dev_virtio_init);
