/*
 * core/device/device-create.c - -device and device_add.
 */
#include "device-create.h"
#include "machine/machine-lifecycle.h"
#include "plugin/plugins.h"
#include "object/object-introspect.h"
#include "monitor/qmp.h"
#include "devices.h"

#include <tessera/device.h>
#include <tessera/machine.h>

typedef struct ApplyCtx {
    TsObject *obj;
    const char *const *skip;
    GError **errp;
    bool ok;
} ApplyCtx;

static void apply_one(const char *key, const char *value, void *opaque)
{
    ApplyCtx *ctx = opaque;
    if (ctx->ok && !(ctx->skip && g_strv_contains(ctx->skip, key))) {
        ctx->ok = ts_object_set_prop(ctx->obj, key, value, ctx->errp);
    }
}

bool object_apply_opts(TsObject *obj, const TsOpts *opts,
                       const char *const *skip, GError **errp)
{
    ApplyCtx ctx = { .obj = obj, .skip = skip, .errp = errp, .ok = true };
    opts_foreach(opts, apply_one, &ctx);
    return ctx.ok;
}

static TsObject *container_under(TsObject *parent, const char *name)
{
    TsObject *c = ts_object_child(parent, name);
    if (!c) {
        c = ts_object_new("container", NULL);
        ts_object_add_child(parent, name, c, NULL);
        ts_object_unref(c);
    }
    return c;
}

bool device_create(const TsOpts *opts, GError **errp)
{
    static const char *const skip[] = { "driver", "id", NULL };
    static unsigned anon_count;
    const char *driver = opts_get(opts, "driver");
    if (!driver) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'driver' is missing");
        return false;
    }
    if (!plugin_require(PK_DEVICE, driver, errp)) {
        return false;
    }
    TsObject *obj = ts_object_new(driver, errp);
    if (!obj) {
        return false;
    }
    TsDevice *dev = (TsDevice *)ts_object_dynamic_cast(obj, TS_TYPE_DEVICE);
    if (!dev || !TS_DEVICE_GET_CLASS(dev)->user_creatable) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is not a user-creatable device", driver);
        ts_object_unref(obj);
        return false;
    }
    TsObject *machine = TS_OBJECT(ts_machine_current());
    const char *id = opts_get(opts, "id");
    g_autofree char *name = id ? g_strdup(id)
                               : g_strdup_printf("device[%u]", anon_count++);
    TsObject *parent = container_under(machine, id ? "peripheral"
                                                   : "peripheral-anon");
    bool ok = object_apply_opts(obj, opts, skip, errp) &&
              ts_object_add_child(parent, name, obj, errp);
    ts_object_unref(obj);
    if (ok && !(machine_pre_plug(dev, errp) &&
                ts_device_realize(dev, errp))) {
        ts_object_remove_child(parent, obj);
        ok = false;
    }
    return ok;
}

bool device_is_user_created(const TsObject *obj)
{
    const TsObject *parent = obj->parent;
    return parent && parent->name && parent->parent &&
           parent->parent == TS_OBJECT(ts_machine_current()) &&
           (g_str_equal(parent->name, "peripheral") ||
            g_str_equal(parent->name, "peripheral-anon"));
}

/* Who decides whether a device_del needs the guest's consent. */
static int (*unplug_request)(TsDevice *dev, GError **errp);

bool device_delete(const char *id, GError **errp)
{
    /* An id names a child of /machine/peripheral, never a path below it
     * (an empty one named the container itself and removed every
     * -device); a QOM path, as QEMU also takes, starts with '/'. */
    TsObject *obj = NULL;
    if (id && id[0] == '/') {
        obj = ts_object_resolve_path(id);
    } else if (id && *id && !strchr(id, '/')) {
        TsObject *peripheral = ts_object_resolve_path("/machine/peripheral");
        obj = peripheral ? ts_object_child(peripheral, id) : NULL;
    }
    if (!obj || !ts_object_dynamic_cast(obj, TS_TYPE_DEVICE)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Device '%s' not found", id ? id : "");
        return false;
    }
    if (!device_is_user_created(obj)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Device '%s' is part of the machine and cannot be "
                    "unplugged", id);
        return false;
    }
    if (unplug_request) {
        int r = unplug_request(TS_DEVICE(obj), errp);
        if (r != 0) {
            return r > 0;
        }
    }
    device_unplug_finish(TS_DEVICE(obj));
    return true;
}

void device_set_unplug_request(int (*fn)(TsDevice *dev, GError **errp))
{
    unplug_request = fn;
}

void device_unplug_finish(TsDevice *dev)
{
    TsObject *obj = TS_OBJECT(dev);
    g_autofree char *path = ts_object_path(obj);
    g_autofree char *id = device_is_user_created(obj) &&
                          g_strcmp0(obj->parent->name, "peripheral") == 0
                          ? g_strdup(obj->name) : NULL;
    ts_object_remove_child(obj->parent, obj);
    /* QEMU's DEVICE_DELETED: the id when the device had one, its path */
    JsonObject *data = json_object_new();
    if (id) {
        json_object_set_string_member(data, "device", id);
    }
    json_object_set_string_member(data, "path", path ? path : "");
    qmp_emit_event("DEVICE_DELETED", data);
    json_object_unref(data);
}
