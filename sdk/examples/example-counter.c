/*
 * example-counter - a device plugin built outside the Tessera tree.
 *
 * A 4 KiB MMIO window holding one 32-bit counter:
 *   offset 0x0  COUNT  read: the current value, which then moves by `step`
 *                      (up or down, per `direction`);
 *                      write: set the value
 *   offset 0x4  STEP   read/write: the step
 * It shows what an out-of-tree device needs: a state struct embedding
 * TsMmioDevice (which brings the "addr" property, maps the window on
 * realize and unmaps it on unrealize, and gives the device a device-tree
 * node), a property table, a realize hook that creates the window, and the
 * descriptor.  Build it with:
 *
 *   cc -shared -fPIC -o example-counter.so example-counter.c \
 *      $(pkg-config --cflags --libs tessera-plugin)
 *   tessera-modinfo example-counter.so example-counter.modinfo
 *
 * and run with `-plugin-path DIR -device example-counter,addr=0x10000000`.
 */
#include <tessera/tessera.h>

#define COUNTER_WINDOW 0x1000

enum { DIRECTION_UP, DIRECTION_DOWN };
static const char *const direction_names[] = { "up", "down", NULL };

typedef struct ExampleCounter {
    TsMmioDevice parent;    /* addr, the window, interrupts, DMA */
    int64_t start;
    int64_t step;
    int direction;
    uint32_t value;
} ExampleCounter;

static uint64_t counter_read(void *opaque, uint64_t offset, unsigned size)
{
    ExampleCounter *s = opaque;
    if (offset == 0) {
        uint32_t now = s->value;
        s->value += s->direction == DIRECTION_UP ? s->step : -s->step;
        return now;
    }
    if (offset == 4) {
        return (uint32_t)s->step;
    }
    return 0;               /* reserved registers read as zero */
}

static void counter_write(void *opaque, uint64_t offset, uint64_t value,
                          unsigned size)
{
    ExampleCounter *s = opaque;
    if (offset == 0) {
        s->value = value;
    } else if (offset == 4) {
        s->step = (uint32_t)value;
    }
}

static const TsMemoryOps counter_ops = {
    .read = counter_read,
    .write = counter_write,
    .valid_min = 4,
    .valid_max = 4,
};

static const TsProperty counter_props[] = {
    TS_PROP_INT("start", ExampleCounter, start, 0, 0, UINT32_MAX,
                "value after reset"),
    TS_PROP_INT("step", ExampleCounter, step, 1, 1, 1000,
                "how far each read moves the counter"),
    TS_PROP_ENUM("direction", ExampleCounter, direction, "up",
                 direction_names, "count up or down"),
    TS_PROP_END,
};

/* Check the properties and create the window; the base maps it at addr
 * once this returns true, and unmaps and drops it on unrealize. */
static bool counter_realize(TsMmioDevice *dev, GError **errp)
{
    ExampleCounter *s = (ExampleCounter *)dev;
    if (dev->addr & (COUNTER_WINDOW - 1)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "example-counter: addr 0x%" PRIx64 " is not aligned to "
                    "4 KiB", dev->addr);
        return false;
    }
    s->value = s->start;
    return ts_mmio_device_init_mmio(dev, &counter_ops, s, COUNTER_WINDOW,
                                    errp);
}

static void counter_reset(TsDevice *dev)
{
    ExampleCounter *s = (ExampleCounter *)dev;
    s->value = s->start;
}

static const char *const counter_compatible[] = { "example,counter", NULL };

static void counter_class_init(TsObjectClass *klass, const void *data)
{
    TsMmioDeviceClass *mc = (TsMmioDeviceClass *)klass;
    mc->realize = counter_realize;
    mc->fdt_name = "counter";       /* counter@<addr> in a device tree */
    mc->fdt_compatible = counter_compatible;
    ((TsDeviceClass *)klass)->reset = counter_reset;
    ts_class_add_properties(klass, counter_props);
}

static const TsTypeInfo counter_type = {
    .name = "example-counter",
    .parent = TS_TYPE_MMIO_DEVICE,
    .description = "example MMIO counter built out of tree",
    .instance_size = sizeof(ExampleCounter),
    .class_init = counter_class_init,
};

static bool counter_plugin_init(GError **errp)
{
    return ts_type_register(&counter_type, errp);
}

TS_PLUGIN("example-counter", "Example out-of-tree device",
          counter_plugin_init);
