/*
 * goldfish-rtc.c - Android's goldfish real-time clock: nanoseconds since
 * the Unix epoch in a 64-bit counter, and one alarm with an interrupt.
 *
 * Registers, all 32 bits wide:
 *   0x00 TIME_LOW        read: low half of the time, and latches the
 *                        high half for TIME_HIGH; write: set the time to
 *                        the last TIME_HIGH write : this value
 *   0x04 TIME_HIGH       read: the latched high half; write: stage it
 *   0x08 ALARM_LOW       write: arm the alarm for ALARM_HIGH : this value
 *                        (a time already past fires at once); read: it
 *   0x0c ALARM_HIGH      write: stage the high half; read: the alarm's
 *   0x10 IRQ_ENABLED     bit 0: the alarm raises the interrupt line
 *   0x14 CLEAR_ALARM     write: disarm the alarm
 *   0x18 ALARM_STATUS    read: 1 while an alarm is armed
 *   0x1c CLEAR_INTERRUPT write: acknowledge a fired alarm
 *
 * The time is what -rtc says (ts_rtc_now_ns: by default the host's wall
 * clock) plus an offset the guest sets, so by default it runs on while
 * the VM is paused, as a battery-backed clock would (-rtc clock=vm stops
 * it), and a guest-set time survives a machine reset.  The alarm is a
 * timer on the same clock (ts_rtc_clock).
 */
#include "platform.h"

#define RTC_WINDOW 0x1000

enum {
    RTC_TIME_LOW = 0x00,
    RTC_TIME_HIGH = 0x04,
    RTC_ALARM_LOW = 0x08,
    RTC_ALARM_HIGH = 0x0c,
    RTC_IRQ_ENABLED = 0x10,
    RTC_CLEAR_ALARM = 0x14,
    RTC_ALARM_STATUS = 0x18,
    RTC_CLEAR_INTERRUPT = 0x1c,
};

typedef struct GoldfishRtc {
    TsMmioDevice parent;            /* addr, window, irq[0] */
    TsTimer *alarm_timer;           /* on ts_rtc_clock() */

    int64_t offset_ns;              /* guest time - ts_rtc_now_ns() */
    uint32_t time_high_latched;     /* by the last TIME_LOW read */
    uint32_t time_high_staged;      /* by the last TIME_HIGH write */
    uint32_t alarm_high_staged;
    uint64_t alarm_ns;              /* guest time of the alarm */
    bool alarm_armed;
    bool irq_enabled;
    bool irq_pending;               /* the alarm fired, not yet cleared */
} GoldfishRtc;

static uint64_t rtc_now(const GoldfishRtc *s)
{
    /* Wraps like the 64-bit hardware counter would. */
    return (uint64_t)ts_rtc_now_ns() + (uint64_t)s->offset_ns;
}

static void update_irq(GoldfishRtc *s)
{
    ts_irq_set(s->parent.irq[0], s->irq_enabled && s->irq_pending);
}

static void alarm_fire(void *opaque)
{
    GoldfishRtc *s = opaque;
    s->alarm_armed = false;
    s->irq_pending = true;
    update_irq(s);
}

/* (Re)start the timer for the armed alarm; after the time or the alarm
 * changed. */
static void schedule_alarm(GoldfishRtc *s)
{
    if (!s->alarm_armed) {
        ts_timer_del(s->alarm_timer);
        return;
    }
    /* How far ahead the alarm is, read as a signed distance so that an
     * alarm just behind the clock fires now rather than after 2^64 ns. */
    int64_t ahead = (int64_t)(s->alarm_ns - rtc_now(s));
    int64_t now = ts_clock_get_ns(ts_rtc_clock());
    if (ahead <= 0) {
        ts_timer_mod(s->alarm_timer, now);
    } else {
        ts_timer_mod(s->alarm_timer,
                     ahead > INT64_MAX - now ? INT64_MAX : now + ahead);
    }
}

static uint64_t rtc_read(void *opaque, uint64_t offset, unsigned size)
{
    GoldfishRtc *s = opaque;
    switch (offset) {
    case RTC_TIME_LOW: {
        uint64_t now = rtc_now(s);
        s->time_high_latched = (uint32_t)(now >> 32);
        return (uint32_t)now;
    }
    case RTC_TIME_HIGH:
        return s->time_high_latched;
    case RTC_ALARM_LOW:
        return (uint32_t)s->alarm_ns;
    case RTC_ALARM_HIGH:
        return (uint32_t)(s->alarm_ns >> 32);
    case RTC_IRQ_ENABLED:
        return s->irq_enabled;
    case RTC_ALARM_STATUS:
        return s->alarm_armed;
    default:
        ts_log(TS_LOG_GUEST_ERROR, "goldfish_rtc: read of offset 0x%"
               PRIx64 ", which is not a readable register\n", offset);
        return 0;
    }
}

static void rtc_write(void *opaque, uint64_t offset, uint64_t value,
                      unsigned size)
{
    GoldfishRtc *s = opaque;
    switch (offset) {
    case RTC_TIME_LOW: {
        uint64_t wanted = ((uint64_t)s->time_high_staged << 32) |
                          (uint32_t)value;
        s->offset_ns = (int64_t)(wanted - (uint64_t)ts_rtc_now_ns());
        schedule_alarm(s);
        break;
    }
    case RTC_TIME_HIGH:
        s->time_high_staged = (uint32_t)value;
        break;
    case RTC_ALARM_LOW:
        s->alarm_ns = ((uint64_t)s->alarm_high_staged << 32) |
                      (uint32_t)value;
        s->alarm_armed = true;
        schedule_alarm(s);
        break;
    case RTC_ALARM_HIGH:
        s->alarm_high_staged = (uint32_t)value;
        break;
    case RTC_IRQ_ENABLED:
        s->irq_enabled = value & 1;
        update_irq(s);
        break;
    case RTC_CLEAR_ALARM:
        s->alarm_armed = false;
        schedule_alarm(s);
        break;
    case RTC_CLEAR_INTERRUPT:
        s->irq_pending = false;
        update_irq(s);
        break;
    default:
        ts_log(TS_LOG_GUEST_ERROR, "goldfish_rtc: write of 0x%" PRIx64
               " to offset 0x%" PRIx64 ", which is not a writable "
               "register\n", value, offset);
        break;
    }
}

static const TsMemoryOps rtc_ops = {
    .read = rtc_read,
    .write = rtc_write,
    .valid_min = 4,
    .valid_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static void rtc_reset(TsDevice *dev)
{
    GoldfishRtc *s = (GoldfishRtc *)dev;
    /* The time (offset) is kept: the clock has its own battery. */
    s->time_high_latched = 0;
    s->time_high_staged = 0;
    s->alarm_high_staged = 0;
    s->alarm_ns = 0;
    s->alarm_armed = false;
    s->irq_enabled = false;
    s->irq_pending = false;
    ts_timer_del(s->alarm_timer);
    update_irq(s);
}

static bool rtc_realize(TsMmioDevice *dev, GError **errp)
{
    GoldfishRtc *s = (GoldfishRtc *)dev;
    if (!ts_mmio_device_init_mmio(dev, &rtc_ops, s, RTC_WINDOW, errp)) {
        return false;
    }
    s->alarm_timer = ts_timer_new(ts_rtc_clock(), alarm_fire, s);
    rtc_reset(TS_DEVICE(dev));
    return true;
}

static void rtc_unrealize(TsMmioDevice *dev)
{
    GoldfishRtc *s = (GoldfishRtc *)dev;
    ts_timer_free(s->alarm_timer);
    s->alarm_timer = NULL;
}

static const char *const rtc_compatible[] = { "google,goldfish-rtc", NULL };

static void rtc_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = rtc_realize;
    mc->unrealize = rtc_unrealize;
    mc->n_irqs = 1;
    mc->fdt_name = "rtc";
    mc->fdt_compatible = rtc_compatible;
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->reset = rtc_reset;
    /* Its alarm needs an interrupt line only a board can wire. */
    dc->user_creatable = false;
}

static const TsTypeInfo goldfish_rtc_type = {
    .name = "goldfish_rtc",
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "Android goldfish real-time clock",
    .instance_size = sizeof(GoldfishRtc),
    .class_init = rtc_class_init,
};

bool goldfish_rtc_register(GError **errp)
{
    return ts_type_register(&goldfish_rtc_type, errp);
}
