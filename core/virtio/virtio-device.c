/*
 * core/virtio/virtio-device.c - what a virtio device does the same on
 * every transport: feature negotiation, device status and reset, the
 * configuration space, queue work (bounded, continued from a bottom half),
 * the interrupt decision, and the policy for a driver that breaks the
 * rules; plus the calls of tessera/virtio.h that device plugins make.
 *
 * A transport (virtio-mmio.c) owns the registers and the interrupt line
 * and calls in here; it never looks inside a ring.
 */
#include "virtio-internal.h"

#include <stdarg.h>

/* Features the core offers on top of the device's. */
#define CORE_FEATURES ((UINT64_C(1) << VIRTIO_F_VERSION_1) | \
                       (UINT64_C(1) << VIRTIO_F_INDIRECT_DESC) | \
                       (UINT64_C(1) << VIRTIO_F_EVENT_IDX))

/* `pending` has a bit per queue. */
G_STATIC_ASSERT(TS_VIRTIO_QUEUES_MAX <= 32);

/* How long the guest may run before we suspect it has no driver. */
#define READY_WARN_NS (INT64_C(60) * 1000 * 1000 * 1000)

static VirtioState *state_of(TsVirtioDevice *dev)
{
    return dev->core;
}

void virtio_guest_error(VirtioState *s, const char *fmt, ...)
{
    if (!ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ts_log(TS_LOG_GUEST_ERROR, "%s: %s\n", s->label, msg);
}

/* A legacy driver sees bits 0-31 (so never VERSION_1). */
uint64_t virtio_offered_features(VirtioState *s)
{
    return s->legacy ? (uint32_t)s->features : s->features;
}

/* What the driver accepted: fixed by FEATURES_OK, or for a legacy
 * driver (which has no such step) whatever it last wrote. */
static bool features_fixed(VirtioState *s)
{
    return s->legacy || (s->status & VIRTIO_STATUS_FEATURES_OK);
}

static bool has_feature(VirtioState *s, unsigned bit)
{
    return features_fixed(s) &&
           (s->driver_features & (UINT64_C(1) << bit));
}

/* ---- Interrupts and errors ------------------------------------------ */

/* Interrupt the driver for queue q (-1: the configuration).  A
 * transport with message interrupts (virtio-pci's MSI-X) sends the
 * queue's own vector instead of raising the shared ISR. */
static void raise_isr(VirtioState *s, uint32_t bits, int q)
{
    if (s->ops->message && s->ops->message(s, q)) {
        return;
    }
    s->isr |= bits;
    s->ops->update_irq(s);
}

void virtio_isr_ack(VirtioState *s, uint32_t bits)
{
    s->isr &= ~bits;
    s->ops->update_irq(s);
}

void virtio_queue_error(VirtioState *s, unsigned q, GError *err)
{
    s->vq[q].broken = true;
    ts_log(TS_LOG_GUEST_ERROR, "%s: queue %u: %s; the device needs a "
           "reset\n", s->label, q, err->message);
    if (!s->told_broken) {
        /* Once per device: a guest that breaks it in a loop must not
         * flood the user's terminal.  Details stay in -d guest_errors. */
        g_printerr("warning: %s: the guest driver broke the virtio rules "
                   "(queue %u: %s); the device stops using that queue "
                   "until the guest resets it\n", s->label, q,
                   err->message);
        s->told_broken = true;
    }
    g_error_free(err);
    if (!(s->status & VIRTIO_STATUS_NEEDS_RESET)) {
        s->status |= VIRTIO_STATUS_NEEDS_RESET;
        /* The spec wants a configuration change notification when this
         * happens after DRIVER_OK; before it, the driver reads Status. */
        if (s->status & VIRTIO_STATUS_DRIVER_OK) {
            raise_isr(s, VIRTIO_ISR_CONFIG_CHANGE, -1);
        }
    }
}

/* ---- Queue work ------------------------------------------------------ */

static bool queue_active(VirtioState *s, unsigned q)
{
    const uint32_t up = VIRTIO_STATUS_DRIVER_OK |
                        (s->legacy ? 0 : VIRTIO_STATUS_FEATURES_OK);
    return q < s->num_queues && (s->status & up) == up &&
           s->vq[q].ready && !s->vq[q].broken;
}

static bool begin(VirtioState *s)
{
    if (s->work_depth == 0 && !s->ops->enter(s)) {
        return false;
    }
    s->work_depth++;
    return true;
}

static void end(VirtioState *s)
{
    if (--s->work_depth == 0) {
        s->ops->leave(s);
    }
}

/* Work on queue q now (DMA allowed: the caller is inside begin/end or a
 * register callback); leave the rest for the bottom half. */
static void run_queue(VirtioState *s, unsigned q)
{
    if (!queue_active(s, q) || !s->dc->queue_notify) {
        return;
    }
    if (s->dc->queue_notify(s->dev, q)) {
        s->pending |= 1u << q;
        ts_bh_schedule(s->work_bh);
    }
}

static void work_bh(void *opaque)
{
    VirtioState *s = opaque;
    if (!s->pending) {
        return;
    }
    if (!begin(s)) {
        ts_bh_schedule(s->work_bh);     /* busy: not from the main loop */
        return;
    }
    uint32_t todo = s->pending;
    s->pending = 0;
    for (unsigned q = 0; q < s->num_queues; q++) {
        if (todo & (1u << q)) {
            run_queue(s, q);
        }
    }
    end(s);
}

void virtio_queue_notified(VirtioState *s, unsigned q)
{
    if (q >= s->num_queues) {
        virtio_guest_error(s, "notification for queue %u, which does not "
                           "exist", q);
        return;
    }
    /* The transport marked its registers busy around this callback. */
    s->work_depth++;
    run_queue(s, q);
    s->work_depth--;
}

/* ---- Reset and status ------------------------------------------------ */

void virtio_reset(VirtioState *s)
{
    s->status = 0;
    s->isr = 0;
    s->driver_features = 0;
    s->pending = 0;
    if (s->work_bh) {
        ts_bh_cancel(s->work_bh);
    }
    for (unsigned q = 0; q < TS_VIRTIO_QUEUES_MAX; q++) {
        virtq_reset(&s->vq[q]);
    }
    s->ops->update_irq(s);
    if (s->dc->reset) {
        s->dc->reset(s->dev);
    }
}

void virtio_set_driver_features(VirtioState *s, unsigned bank, uint32_t val)
{
    if (s->status & VIRTIO_STATUS_FEATURES_OK) {
        virtio_guest_error(s, "features written after FEATURES_OK; "
                           "ignored");
    } else if (s->legacy) {
        /* No FEATURES_OK to refuse: keep only what was offered. */
        uint32_t offered = (uint32_t)virtio_offered_features(s);
        if (val & ~offered) {
            virtio_guest_error(s, "legacy driver accepted features 0x%x "
                               "that were not offered; dropped",
                               val & ~offered);
        }
        s->driver_features = val & offered;
    } else if (bank < 2) {
        unsigned shift = 32 * bank;
        s->driver_features &= ~(UINT64_C(0xffffffff) << shift);
        s->driver_features |= (uint64_t)val << shift;
    } else if (val) {
        virtio_guest_error(s, "driver features 0x%x in bank %u, which is "
                           "beyond what was offered", val, bank);
    }
}

/* FEATURES_OK is accepted only for a subset of what we offer that
 * includes VERSION_1: a legacy driver cannot use modern registers. */
static bool features_acceptable(VirtioState *s)
{
    uint64_t extra = s->driver_features & ~virtio_offered_features(s);
    if (extra) {
        virtio_guest_error(s, "driver accepted features 0x%" PRIx64 " that "
                           "were not offered; FEATURES_OK refused", extra);
        return false;
    }
    if (!(s->driver_features & (UINT64_C(1) << VIRTIO_F_VERSION_1))) {
        virtio_guest_error(s, "driver did not accept VIRTIO_F_VERSION_1 (a "
                           "legacy driver?); FEATURES_OK refused");
        return false;
    }
    return true;
}

void virtio_set_status(VirtioState *s, uint32_t val)
{
    if (val == 0) {
        virtio_reset(s);
        return;
    }
    uint32_t old = s->status;
    if (old & ~val & ~VIRTIO_STATUS_NEEDS_RESET) {
        virtio_guest_error(s, "driver cleared status bits 0x%x without a "
                           "reset; kept", old & ~val);
    }
    /* NEEDS_RESET is the device's to set; the driver only adds bits. */
    uint32_t now = old | (val & ~VIRTIO_STATUS_NEEDS_RESET);
    if ((now & ~old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(s)) {
        now &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    s->status = now;
    if (!(now & ~old & VIRTIO_STATUS_DRIVER_OK)) {
        return;
    }
    if (!(now & VIRTIO_STATUS_FEATURES_OK) && !s->legacy) {
        virtio_guest_error(s, "DRIVER_OK without FEATURES_OK; queues stay "
                           "idle");
        return;
    }
    s->ever_ready = true;
    ts_timer_del(s->ready_timer);
    /* Buffers made available before DRIVER_OK wait for it. */
    if (s->num_queues) {
        s->pending |= UINT32_MAX >> (32 - s->num_queues);
    }
    ts_bh_schedule(s->work_bh);
}

void virtio_set_queue_ready(VirtioState *s, unsigned q, bool ready)
{
    VirtQueue *vq = &s->vq[q];
    if (!ready) {
        /* The driver takes the queue back; it may set it up again. */
        bool broken = vq->broken;
        virtq_reset(vq);
        vq->broken = broken;        /* only a device reset clears that */
        return;
    }
    if (vq->ready) {
        return;
    }
    vq->indirect = has_feature(s, VIRTIO_F_INDIRECT_DESC);
    vq->event_idx = has_feature(s, VIRTIO_F_EVENT_IDX);
    GError *err = NULL;
    if (!virtq_start(vq, VIRTQ_SPLIT, &err)) {
        virtio_queue_error(s, q, err);
    }
}

/* ---- Configuration space -------------------------------------------- */

uint64_t virtio_config_read(VirtioState *s, unsigned off, unsigned size)
{
    const TsVirtioDeviceClass *dc = s->dc;
    if (!dc->read_config || off >= dc->config_size) {
        return 0;
    }
    g_autofree uint8_t *cfg = g_malloc0(dc->config_size);
    dc->read_config(s->dev, cfg);
    uint64_t val = 0;
    for (unsigned i = 0; i < size && off + i < dc->config_size; i++) {
        val |= (uint64_t)cfg[off + i] << (8 * i);
    }
    return val;
}

void virtio_config_write(VirtioState *s, unsigned off, uint32_t val,
                         unsigned size)
{
    if (!s->dc->write_config || off >= s->dc->config_size) {
        virtio_guest_error(s, "write to read-only configuration at offset "
                           "0x%x", off);
        return;
    }
    s->work_depth++;
    s->dc->write_config(s->dev, off, val, size);
    s->work_depth--;
}

/* ---- Life cycle ------------------------------------------------------ */

static void ready_timeout(void *opaque)
{
    VirtioState *s = opaque;
    if (s->ever_ready || !s->dc->driver_hint) {
        return;
    }
    g_printerr("warning: %s: the guest has not initialised this device "
               "after %d s of running; make sure the guest kernel was "
               "compiled with %s\n", s->label,
               (int)(READY_WARN_NS / 1000000000), s->dc->driver_hint);
}

void virtio_state_init(VirtioState *s, const VirtioTransportOps *ops,
                       void *transport, const char *label,
                       TsAddressSpace *as)
{
    s->ops = ops;
    s->transport = transport;
    s->label = g_strdup(label);
    unsigned size = s->dc->queue_size ? s->dc->queue_size
                                      : TS_VIRTQ_SIZE_MAX;
    for (unsigned q = 0; q < TS_VIRTIO_QUEUES_MAX; q++) {
        s->vq[q].as = as;
        s->vq[q].num_max = size;
    }
    s->features = CORE_FEATURES | s->dc->features;
    s->num_queues = s->dc->num_queues;
    s->config_generation = 0;
    s->work_bh = ts_bh_new(label, work_bh, s);
    s->ready_timer = ts_timer_new(TS_CLOCK_VIRTUAL, ready_timeout, s);
    ts_timer_mod(s->ready_timer,
                 ts_clock_get_ns(TS_CLOCK_VIRTUAL) + READY_WARN_NS);
    virtio_reset(s);
}

void virtio_state_destroy(VirtioState *s)
{
    ts_timer_free(s->ready_timer);
    s->ready_timer = NULL;
    ts_bh_free(s->work_bh);
    s->work_bh = NULL;
    g_clear_pointer(&s->label, g_free);
}

/* ---- What device plugins call (tessera/virtio.h) --------------------- */

TS_EXPORT bool ts_virtio_queue_active(TsVirtioDevice *dev, unsigned q)
{
    return queue_active(state_of(dev), q);
}

TS_EXPORT bool ts_virtio_set_queue_max(TsVirtioDevice *dev, unsigned q,
                                       unsigned size)
{
    VirtioState *s = state_of(dev);
    if (q >= TS_VIRTIO_QUEUES_MAX || size < 2 ||
        size > TS_VIRTQ_SIZE_LIMIT || (size & (size - 1))) {
        return false;
    }
    s->vq[q].num_max = size;
    return true;
}

TS_EXPORT unsigned ts_virtio_queue_size(TsVirtioDevice *dev, unsigned q)
{
    VirtioState *s = state_of(dev);
    return q < s->num_queues && s->vq[q].ready ? s->vq[q].num : 0;
}

TS_EXPORT TsAddressSpace *ts_virtio_dma_as(TsVirtioDevice *dev)
{
    return state_of(dev)->vq[0].as;
}

/* ts_virtio_set_* are for the model's realize; later, the guest may have
 * read the old values and a change would pull the rug from under it. */
static bool settings_open(VirtioState *s, const char *what)
{
    if (!s->settings_open) {
        g_warning("%s: %s outside realize; ignored", s->label, what);
    }
    return s->settings_open;
}

TS_EXPORT void ts_virtio_set_features(TsVirtioDevice *dev, uint64_t features)
{
    VirtioState *s = state_of(dev);
    if (!settings_open(s, "ts_virtio_set_features")) {
        return;
    }
    const uint64_t optional = (UINT64_C(1) << VIRTIO_F_INDIRECT_DESC) |
                              (UINT64_C(1) << VIRTIO_F_EVENT_IDX);
    /* Device-type bits are 0-23 and 50-127 (spec 6); 24-49 are the
     * transport's, of which a device may only keep the optional ones. */
    const uint64_t transport = ((UINT64_C(1) << 50) - 1) &
                               ~((UINT64_C(1) << 24) - 1);
    s->features = (features & ~transport) | (features & optional) |
                  (UINT64_C(1) << VIRTIO_F_VERSION_1);
}

TS_EXPORT bool ts_virtio_set_num_queues(TsVirtioDevice *dev, unsigned n,
                                        GError **errp)
{
    VirtioState *s = state_of(dev);
    if (n < 1 || n > s->dc->num_queues) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "num-queues must be between 1 and %u, not %u",
                    s->dc->num_queues, n);
        return false;
    }
    if (!settings_open(s, "ts_virtio_set_num_queues")) {
        return true;
    }
    s->num_queues = n;
    return true;
}

TS_EXPORT unsigned ts_virtio_num_queues(TsVirtioDevice *dev)
{
    return state_of(dev)->num_queues;
}

TS_EXPORT uint64_t ts_virtio_driver_features(TsVirtioDevice *dev)
{
    VirtioState *s = state_of(dev);
    return features_fixed(s) ? s->driver_features : 0;
}

TS_EXPORT void ts_virtio_config_changed(TsVirtioDevice *dev)
{
    VirtioState *s = state_of(dev);
    s->config_generation++;
    if (s->status & VIRTIO_STATUS_DRIVER_OK) {
        raise_isr(s, VIRTIO_ISR_CONFIG_CHANGE, -1);
    }
}

TS_EXPORT TsObject *ts_virtio_object(TsVirtioDevice *dev)
{
    return TS_OBJECT(state_of(dev)->transport);
}

TS_EXPORT int ts_virtio_pop(TsVirtioDevice *dev, unsigned q,
                            TsVirtqChain *chain)
{
    VirtioState *s = state_of(dev);
    if (!queue_active(s, q)) {
        return 0;
    }
    GError *err = NULL;
    VirtQueue *vq = &s->vq[q];
    int got = vq->ops->pop(vq, chain, &err);
    if (got < 0) {
        virtio_queue_error(s, q, err);
    } else if (got > 0) {
        chain->queue = q;
    }
    return got;
}

TS_EXPORT bool ts_virtio_push(TsVirtioDevice *dev, const TsVirtqChain *chain,
                              uint32_t len)
{
    VirtioState *s = state_of(dev);
    unsigned q = chain->queue;
    if (!queue_active(s, q)) {
        return false;
    }
    GError *err = NULL;
    VirtQueue *vq = &s->vq[q];
    if (!vq->ops->push(vq, chain->head, len, &err)) {
        virtio_queue_error(s, q, err);
        return false;
    }
    return true;
}

static bool chain_copy(TsVirtioDevice *dev, const TsVirtqChain *chain,
                       bool to_guest, uint64_t offset, uint8_t *buf,
                       size_t len)
{
    VirtioState *s = state_of(dev);
    unsigned q = chain->queue;
    if (!queue_active(s, q)) {
        return false;
    }
    GError *err = NULL;
    if (!virtq_chain_copy(&s->vq[q], chain, to_guest, offset, buf, len,
                          &err)) {
        virtio_queue_error(s, q, err);
        return false;
    }
    return true;
}

TS_EXPORT bool ts_virtio_chain_write(TsVirtioDevice *dev,
                                     const TsVirtqChain *chain,
                                     uint64_t offset, const void *buf,
                                     size_t len)
{
    return chain_copy(dev, chain, true, offset, (uint8_t *)buf, len);
}

TS_EXPORT bool ts_virtio_chain_read(TsVirtioDevice *dev,
                                    const TsVirtqChain *chain,
                                    uint64_t offset, void *buf, size_t len)
{
    return chain_copy(dev, chain, false, offset, buf, len);
}

TS_EXPORT void ts_virtio_notify(TsVirtioDevice *dev, unsigned q)
{
    VirtioState *s = state_of(dev);
    if (q >= s->num_queues) {
        return;
    }
    VirtQueue *vq = &s->vq[q];
    bool interrupt = false;
    GError *err = NULL;
    if (vq->broken || !vq->ready) {
        /* Chains pushed before the queue broke are still the driver's:
         * tell it, without reading its (suspect) rings again. */
        interrupt = vq->used_idx != vq->signalled_used;
        vq->signalled_used = vq->used_idx;
    } else if (!vq->ops->should_interrupt(vq, &interrupt, &err)) {
        virtio_queue_error(s, q, err);
        return;
    }
    if (interrupt) {
        raise_isr(s, VIRTIO_ISR_USED_BUFFER, (int)q);
    }
}

TS_EXPORT void ts_virtio_set_needs_reset(TsVirtioDevice *dev, unsigned q,
                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    virtio_queue_error(state_of(dev), q,
                       g_error_new_literal(TS_ERROR, TS_ERROR_FAILED, msg));
}

TS_EXPORT bool ts_virtio_begin(TsVirtioDevice *dev)
{
    return begin(state_of(dev));
}

TS_EXPORT void ts_virtio_end(TsVirtioDevice *dev)
{
    end(state_of(dev));
}
