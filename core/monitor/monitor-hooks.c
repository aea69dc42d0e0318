/*
 * core/monitor/monitor-hooks.c - the monitors' view of command-line facts, with
 * defaults for when the command line did not say.
 */
#include "monitor-hooks.h"
#include "object/object-introspect.h"

#include <tessera/machine.h>

#include <string.h>

static MonitorHooks hooks;

void monitor_set_hooks(const MonitorHooks *h)
{
    if (h) {
        hooks = *h;
    } else {
        memset(&hooks, 0, sizeof(hooks));
    }
}

const MonitorHooks *monitor_hooks(void)
{
    return &hooks;
}

const char *monitor_vm_uuid(void)
{
    const char *uuid = hooks.vm_uuid ? hooks.vm_uuid() : NULL;
    return uuid ? uuid : "00000000-0000-0000-0000-000000000000";
}

typedef struct MachineWalk {
    MonitorMachineFn fn;
    void *opaque;
} MachineWalk;

static void registered_machine(TsObjectClass *klass, void *opaque)
{
    MachineWalk *walk = opaque;
    TsMachineClass *mc = (TsMachineClass *)ts_class_dynamic_cast(
        klass, TS_TYPE_MACHINE);
    if (!mc) {
        return;
    }
    /* The -M name is the type name without its "-machine" suffix. */
    const char *type = ts_class_name(klass);
    size_t len = strlen(type), suffix = strlen(TS_MACHINE_SUFFIX);
    g_autofree char *name =
        len > suffix && g_str_has_suffix(type, TS_MACHINE_SUFFIX)
            ? g_strndup(type, len - suffix) : g_strdup(type);
    MonitorMachineInfo info = {
        .name = name,
        .is_default = mc->is_default,
        .cpu_max = mc->no_cpus ? 0 : (mc->max_cpus ? mc->max_cpus : 1),
        .default_cpu_type = mc->default_cpu_type,
    };
    walk->fn(&info, walk->opaque);
}

void monitor_foreach_machine(MonitorMachineFn fn, void *opaque)
{
    if (hooks.foreach_machine) {
        hooks.foreach_machine(fn, opaque);
        return;
    }
    MachineWalk walk = { fn, opaque };
    if (ts_type_exists(TS_TYPE_MACHINE)) {
        ts_type_foreach(TS_TYPE_MACHINE, false, registered_machine, &walk);
    }
}
