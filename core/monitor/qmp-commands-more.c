/*
 * core/monitor/qmp-commands-more.c - QMP queries about the machine (uuid,
 * machines, CPUs), answered through the monitor hooks, and
 * human-monitor-command, which runs an HMP line.
 */
#include "hmp.h"
#include "monitor-hooks.h"
#include "plugin/plugins.h"
#include "qmp.h"
#include "util/parse.h"
#include "object/object-introspect.h"
#include "machine/machine-lifecycle.h"

#include <tessera/cpu.h>
#include <tessera/device.h>
#include <tessera/machine.h>

#include <unistd.h>

/* ---- query-uuid ------------------------------------------------------------- */

static bool cmd_query_uuid(JsonObject *args, JsonNode **ret, GError **errp)
{
    JsonObject *info = json_object_new();
    json_object_set_string_member(info, "UUID", monitor_vm_uuid());
    *ret = qmp_object_node(info);
    return true;
}

/* ---- query-machines ------------------------------------------------------------ */

static void add_machine(const MonitorMachineInfo *m, void *opaque)
{
    JsonObject *info = json_object_new();
    json_object_set_string_member(info, "name", m->name);
    if (m->alias) {
        json_object_set_string_member(info, "alias", m->alias);
    }
    if (m->is_default) {
        json_object_set_boolean_member(info, "is-default", true);
    }
    json_object_set_int_member(info, "cpu-max", m->cpu_max);
    json_object_set_boolean_member(info, "hotpluggable-cpus", false);
    json_object_set_boolean_member(info, "numa-mem-supported", false);
    json_object_set_boolean_member(info, "deprecated", m->deprecated);
    if (m->default_cpu_type) {
        json_object_set_string_member(info, "default-cpu-type",
                                      m->default_cpu_type);
    }
    json_object_set_boolean_member(info, "acpi", false);
    json_array_add_object_element(opaque, info);
}

static bool cmd_query_machines(JsonObject *args, JsonNode **ret,
                               GError **errp)
{
    JsonArray *list = json_array_new();
    monitor_foreach_machine(add_machine, list);
    *ret = qmp_array_node(list);
    return true;
}

/* ---- query-cpus-fast ------------------------------------------------------------- */

static bool cmd_query_cpus_fast(JsonObject *args, JsonNode **ret,
                                GError **errp)
{
    TsMachine *machine = ts_machine_current();
    TsMachineClass *mc = machine ? TS_MACHINE_GET_CLASS(machine) : NULL;
    JsonArray *list = json_array_new();
    for (unsigned i = 0; i < ts_cpu_count(); i++) {
        TsCpu *cpu = ts_cpu_by_index(i);
        JsonObject *info = json_object_new();
        json_object_set_int_member(info, "cpu-index", cpu->index);
        g_autofree char *path = ts_object_path(TS_OBJECT(cpu));
        json_object_set_string_member(info, "qom-path", path ? path : "");
        /* Accelerators do not report their threads' ids yet; the process
         * is the closest true answer. */
        json_object_set_int_member(info, "thread-id", getpid());
        JsonObject *props = json_object_new();
        json_object_set_int_member(props, "core-id", cpu->index);
        json_object_set_object_member(info, "props", props);
        if (mc && mc->target) {
            json_object_set_string_member(info, "target", mc->target);
        }
        json_array_add_object_element(list, info);
    }
    *ret = qmp_array_node(list);
    return true;
}

/* ---- human-monitor-command ----------------------------------------------------------------- */

static const QmpArg hmp_command_args[] = {
    { "command-line", QMP_ARG_STRING, false },
    { "cpu-index", QMP_ARG_INT, true },
    { NULL }
};

static bool cmd_human_monitor_command(JsonObject *args, JsonNode **ret,
                                      GError **errp)
{
    int cpu_index = -1;
    if (json_object_has_member(args, "cpu-index")) {
        gint64 index = json_object_get_int_member(args, "cpu-index");
        if (index < 0 || index >= ts_cpu_count()) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Parameter 'cpu-index' expects a CPU number");
            return false;
        }
        cpu_index = (int)index;
    }
    g_autofree char *output = hmp_run_command(
        json_object_get_string_member(args, "command-line"), cpu_index);
    *ret = json_node_init_string(json_node_alloc(), output);
    return true;
}

/* ------------------------------------------------------------------ */

static void monitor_qmp_commands(void)
{
    /* Each returns false when already registered: nothing to undo. */
    qmp_register_command("query-uuid", cmd_query_uuid, 0);
    qmp_register_command("query-machines", cmd_query_machines, 0);
    qmp_register_command("query-cpus-fast", cmd_query_cpus_fast, 0);
    qmp_register_command_args("human-monitor-command",
                              cmd_human_monitor_command, 0,
                              hmp_command_args);
}
QMP_COMMANDS(monitor_qmp_commands)
