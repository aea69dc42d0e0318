/*
 * core/machine/machine.c - creating the machine and acting on shutdown requests.
 */
#include "machine-lifecycle.h"
#include "object/object-hooks.h"
#include "object/object-introspect.h"
#include "loop/main-loop.h"

#include <tessera/device.h>
#include <tessera/loop.h>

static TsMachine *current_machine;
static TsMachineConfig machine_config;

TsMachine *ts_machine_current(void)
{
    return current_machine;
}

TsMachineConfig *machine_config_mutable(void)
{
    return &machine_config;
}

TsMachine *machine_create(const char *type_name, GError **errp)
{
    TsObject *obj = ts_object_new(type_name, errp);
    if (!obj) {
        return NULL;
    }
    if (!ts_object_dynamic_cast(obj, TS_TYPE_MACHINE)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is not a machine type", type_name);
        ts_object_unref(obj);
        return NULL;
    }
    TsMachine *machine = (TsMachine *)obj;
    machine->config = &machine_config;
    bool added = ts_object_add_child(ts_object_root(), "machine", obj, errp);
    ts_object_unref(obj);       /* the tree holds it now */
    if (!added) {
        return NULL;
    }
    current_machine = machine;
    return machine;
}

bool machine_init(TsMachine *machine, GError **errp)
{
    TsMachineClass *mc = TS_MACHINE_GET_CLASS(machine);
    return mc->init ? mc->init(machine, errp) : true;
}

bool machine_pre_plug(TsDevice *dev, GError **errp)
{
    TsMachine *m = ts_machine_current();
    TsMachineClass *mc = m ? TS_MACHINE_GET_CLASS(m) : NULL;
    return mc && mc->pre_plug ? mc->pre_plug(m, dev, errp) : true;
}

/* Set once the command line's devices are in: what comes later
 * (device_add) is hot-plugged, even before the guest first runs. */
static bool creation_done;

bool machine_done(GError **errp)
{
    TsMachine *m = ts_machine_current();
    TsMachineClass *mc = m ? TS_MACHINE_GET_CLASS(m) : NULL;
    creation_done = true;
    return mc && mc->machine_done ? mc->machine_done(m, errp) : true;
}

bool machine_creation_done(void)
{
    return creation_done;
}

void machine_reset(void)
{
    TsMachine *m = ts_machine_current();
    TsMachineClass *mc = m ? TS_MACHINE_GET_CLASS(m) : NULL;
    if (mc && mc->reset) {
        mc->reset(m);
    }
}

/*
 * Shutdown requests may come from vCPU threads (a guest writing to a test
 * finisher) or signal handlers' deferred work, so they are only recorded
 * here and acted on in the main loop.
 */
typedef struct ShutdownRequest {
    TsShutdownCause cause;
    int exit_code;
} ShutdownRequest;

static MachineShutdownHandler shutdown_handler;

void machine_set_shutdown_handler(MachineShutdownHandler handler)
{
    shutdown_handler = handler;
}

static void handle_shutdown(void *opaque)
{
    ShutdownRequest *req = opaque;
    if (shutdown_handler) {
        shutdown_handler(req->cause, req->exit_code);
    } else {
        ts_loop_quit(req->exit_code);
    }
    g_free(req);
}

TS_EXPORT void ts_request_shutdown(TsShutdownCause cause, int exit_code)
{
    ShutdownRequest *req = g_new(ShutdownRequest, 1);
    req->cause = cause;
    req->exit_code = exit_code;
    ts_loop_call(handle_shutdown, req);
}

/* ---- the machine and accelerator base types ------------------------- */

static const TsTypeInfo machine_types[] = {
    { .name = TS_TYPE_MACHINE, .parent = TS_TYPE_OBJECT, .abstract = true,
      .class_size = sizeof(TsMachineClass),
      .instance_size = sizeof(TsMachine) },
    { .name = TS_TYPE_ACCEL, .parent = TS_TYPE_OBJECT, .abstract = true,
      .class_size = sizeof(TsAccelClass), .instance_size = sizeof(TsObject) },
};

static void machine_types_init(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(machine_types); i++) {
        object_core_type(&machine_types[i]);
    }
}
OBJECT_CORE_INIT(machine_types_init)
