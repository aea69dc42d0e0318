/*
 * core/device/fdt-node.c - the "fdt-node" interface and the walk boards use to
 * let every device describe itself in the device tree (see tessera/fdt.h).
 */
#include <tessera/fdt.h>
#include <tessera/machine.h>
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include <libfdt.h>

static const TsTypeInfo fdt_node_type = {
    .name = TS_TYPE_FDT_NODE,
    .parent = TS_TYPE_INTERFACE,
    .description = "device that adds its own device-tree node",
    .class_size = sizeof(TsFdtNodeInterface),
    .abstract = true,
};

static void fdt_node_init(void)
{
    object_core_type(&fdt_node_type);
}
OBJECT_CORE_INIT(fdt_node_init)

typedef struct Walk {
    const TsFdtContext *ctx;
    GError *err;
} Walk;

static void add_nodes(TsObject *obj, void *opaque)
{
    Walk *w = opaque;
    if (w->err) {
        return;
    }
    TsDevice *dev = (TsDevice *)ts_object_dynamic_cast(obj, TS_TYPE_DEVICE);
    TsFdtNodeInterface *fi = ts_class_interface(obj->klass, TS_TYPE_FDT_NODE);
    TsFdtContext ctx = *w->ctx;
    if (dev && dev->realized && fi && fi->add && ctx.parent_path) {
        ctx.parent = fdt_path_offset(ctx.fdt, ctx.parent_path);
        if (ctx.parent < 0) {
            g_set_error(&w->err, TS_ERROR, TS_ERROR_FAILED,
                        "device tree has no node '%s'", ctx.parent_path);
            return;
        }
    }
    if (dev && dev->realized && fi && fi->add &&
        !fi->add(dev, &ctx, &w->err)) {
        if (!w->err) {
            g_set_error(&w->err, TS_ERROR, TS_ERROR_FAILED,
                        "device '%s' could not add its device-tree node",
                        ts_object_type_name(obj));
        }
        return;
    }
    ts_object_foreach_child(obj, add_nodes, w);
}

TS_EXPORT bool ts_fdt_add_device_nodes(const TsFdtContext *ctx, GError **errp)
{
    Walk w = { .ctx = ctx };
    TsObject *machine = TS_OBJECT(ts_machine_current());
    if (machine) {
        ts_object_foreach_child(machine, add_nodes, &w);
    }
    if (w.err) {
        g_propagate_error(errp, w.err);
        return false;
    }
    return true;
}
