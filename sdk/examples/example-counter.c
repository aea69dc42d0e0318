/*
 * example-counter - a device plugin built outside the Tessera tree.
 *
 * A 4 KiB MMIO window holding one 32-bit counter:
 *   offset 0x0  COUNT  read: the current value, which then moves by `step`
 *                      (up or down, per `direction`);
 *                      write: set the value
 *   offset 0x4  STEP   read/write: the step
 * It shows what an out-of-tree device needs: a state struct embedding
 * TsDevice, a property table, a realize that maps the registers into the
 * system address space, and the descriptor.  Build it with:
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
    TsDevice parent;
    uint64_t addr;          /* where the window goes in system memory */
    int64_t start;
    int64_t step;
    int direction;
    char *label;
    uint32_t value;
    TsMemoryRegion *mmio;
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
    TS_PROP_UINT("addr", ExampleCounter, addr, 0,
                 "guest physical address of the registers"),
    TS_PROP_INT("start", ExampleCounter, start, 0, 0, UINT32_MAX,
                "value after reset"),
    TS_PROP_INT("step", ExampleCounter, step, 1, 1, 1000,
                "how far each read moves the counter"),
    TS_PROP_ENUM("direction", ExampleCounter, direction, "up",
                 direction_names, "count up or down"),
    TS_PROP_STRING("label", ExampleCounter, label, "counter",
                   "name shown in the memory tree"),
    TS_PROP_END,
};

static bool counter_realize(TsDevice *dev, GError **errp)
{
    ExampleCounter *s = (ExampleCounter *)dev;
    if (s->addr & (COUNTER_WINDOW - 1)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "addr 0x%" PRIx64 " is not aligned to 4 KiB", s->addr);
        return false;
    }
    s->value = s->start;
    s->mmio = ts_memory_region_new_mmio(s->label, COUNTER_WINDOW,
                                        &counter_ops, s);
    ts_memory_region_add_subregion(ts_machine_system_memory(), s->addr,
                                   s->mmio, 0);
    return true;
}

static void counter_unrealize(TsDevice *dev)
{
    ExampleCounter *s = (ExampleCounter *)dev;
    ts_memory_region_remove_subregion(ts_machine_system_memory(), s->mmio);
    ts_memory_region_unref(s->mmio);
    s->mmio = NULL;
}

static void counter_reset(TsDevice *dev)
{
    ExampleCounter *s = (ExampleCounter *)dev;
    s->value = s->start;
}

static void counter_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->realize = counter_realize;
    dc->unrealize = counter_unrealize;
    dc->reset = counter_reset;
    ts_class_add_properties(klass, counter_props);
}

static const TsTypeInfo counter_type = {
    .name = "example-counter",
    .parent = TS_TYPE_DEVICE,
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
