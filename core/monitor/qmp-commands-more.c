/*
 * core/monitor/qmp-commands-more.c - QMP queries about the machine and its parts
 * (uuid, machines, CPUs, chardevs, device properties) and
 * human-monitor-command, which runs an HMP line.
 */
#include "chardev/chardevs.h"
#include "util/fdset.h"
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

static JsonNode *object_node(JsonObject *obj)
{
    JsonNode *node = json_node_init_object(json_node_alloc(), obj);
    json_object_unref(obj);
    return node;
}

static JsonNode *array_node(JsonArray *arr)
{
    JsonNode *node = json_node_init_array(json_node_alloc(), arr);
    json_array_unref(arr);
    return node;
}

/* ---- query-uuid ------------------------------------------------------------- */

static bool cmd_query_uuid(JsonObject *args, JsonNode **ret, GError **errp)
{
    JsonObject *info = json_object_new();
    json_object_set_string_member(info, "UUID", monitor_vm_uuid());
    *ret = object_node(info);
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
    *ret = array_node(list);
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
    *ret = array_node(list);
    return true;
}

/* ---- query-chardev ------------------------------------------------------------------ */

static void add_chardev(TsChardev *chr, void *opaque)
{
    JsonObject *info = json_object_new();
    json_object_set_string_member(info, "label", ts_chardev_id(chr));
    json_object_set_string_member(info, "filename", chardev_filename(chr));
    json_object_set_boolean_member(info, "frontend-open",
                                   chardev_has_frontend(chr));
    json_array_add_object_element(opaque, info);
}

static bool cmd_query_chardev(JsonObject *args, JsonNode **ret,
                              GError **errp)
{
    JsonArray *list = json_array_new();
    chardev_foreach(add_chardev, list);
    *ret = array_node(list);
    return true;
}

/* ---- device-list-properties ------------------------------------------------------------ */

/* QEMU's names for the types of equivalent properties. */
static char *property_type(const TsProperty *prop)
{
    switch (prop->kind) {
    case TS_PROP_BOOL:   return g_strdup("bool");
    case TS_PROP_INT:    return g_strdup("int64");
    case TS_PROP_UINT:   return g_strdup("uint64");
    case TS_PROP_SIZE:   return g_strdup("size");
    case TS_PROP_LINK:
        return g_strdup_printf("link<%s>",
                               prop->link_type ? prop->link_type : "object");
    case TS_PROP_STRING:
    case TS_PROP_ENUM:
    default:             return g_strdup("str");
    }
}

/* A default's text as the JSON type of its kind. */
static JsonNode *default_node(const TsProperty *prop, const char *text)
{
    JsonNode *node = json_node_alloc();
    bool b;
    int64_t i;
    uint64_t u;
    switch (prop->kind) {
    case TS_PROP_BOOL:
        if (ts_parse_bool(prop->name, text, &b, NULL)) {
            return json_node_init_boolean(node, b);
        }
        break;
    case TS_PROP_INT:
        if (ts_parse_int(prop->name, text, &i, NULL)) {
            return json_node_init_int(node, i);
        }
        break;
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        if (ts_parse_size(prop->name, text, &u, NULL) && u <= G_MAXINT64) {
            return json_node_init_int(node, (gint64)u);
        }
        break;
    default:
        break;
    }
    return json_node_init_string(node, text);
}

static void add_property(const TsProperty *prop, void *opaque)
{
    JsonObject *info = json_object_new();
    json_object_set_string_member(info, "name", prop->name);
    g_autofree char *type = property_type(prop);
    json_object_set_string_member(info, "type", type);
    if (prop->description) {
        json_object_set_string_member(info, "description",
                                      prop->description);
    }
    g_autofree char *def = ts_prop_default_text(prop);
    if (def) {
        json_object_set_member(info, "default-value",
                               default_node(prop, def));
    }
    json_array_add_object_element(opaque, info);
}

static const QmpArg device_list_properties_args[] = {
    { "typename", QMP_ARG_STRING, false },
    { NULL }
};

static bool cmd_device_list_properties(JsonObject *args, JsonNode **ret,
                                       GError **errp)
{
    const char *name = json_object_get_string_member(args, "typename");
    GError *err = NULL;
    /* Loads the plugin that provides it, if one does. */
    if (!ts_type_exists(name) && !plugin_require(PK_DEVICE, name, &err)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND,
                    "Device '%s' not found", name);
        g_clear_error(&err);
        return false;
    }
    g_clear_error(&err);
    TsObjectClass *klass = ts_class_by_name(name);
    if (!klass) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND,
                    "Device '%s' not found", name);
        return false;
    }
    if (!ts_class_dynamic_cast(klass, TS_TYPE_DEVICE)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Parameter 'typename' expects device");
        return false;
    }
    if (ts_class_is_abstract(klass)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Parameter 'typename' expects a non-abstract device");
        return false;
    }
    JsonArray *list = json_array_new();
    ts_class_foreach_property(klass, add_property, list);
    *ret = array_node(list);
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

/* ---- file descriptor sets (-add-fd) ------------------------------------------------- */

typedef struct FdSetsReply {
    JsonArray *sets;
    JsonObject *current;        /* the set being filled */
    uint64_t current_id;
} FdSetsReply;

static void add_fdset_entry(uint64_t set, int fd, const char *note, void *opaque)
{
    FdSetsReply *r = opaque;
    if (!r->current || r->current_id != set) {
        r->current = json_object_new();
        json_object_set_int_member(r->current, "fdset-id", (gint64)set);
        json_object_set_array_member(r->current, "fds", json_array_new());
        json_array_add_object_element(r->sets, r->current);
        r->current_id = set;
    }
    JsonObject *entry = json_object_new();
    json_object_set_int_member(entry, "fd", fd);
    if (note) {
        json_object_set_string_member(entry, "opaque", note);
    }
    json_array_add_object_element(json_object_get_array_member(r->current, "fds"), entry);
}

static bool cmd_query_fdsets(JsonObject *args, JsonNode **ret, GError **errp)
{
    FdSetsReply r = { json_array_new(), NULL, 0 };
    fdset_foreach(add_fdset_entry, &r);
    *ret = array_node(r.sets);
    return true;
}

static const QmpArg remove_fd_args[] = {
    { "fdset-id", QMP_ARG_INT, false },
    { "fd", QMP_ARG_INT, true },
    { NULL },
};

static bool cmd_remove_fd(JsonObject *args, JsonNode **ret, GError **errp)
{
    gint64 set = json_object_get_int_member(args, "fdset-id");
    bool has_fd = json_object_has_member(args, "fd");
    gint64 fd = has_fd ? json_object_get_int_member(args, "fd") : -1;
    if (set < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "File descriptor named 'fdset-id:%" G_GINT64_FORMAT
                    "' not found", set);
        return false;
    }
    return fdset_remove((uint64_t)set, has_fd, fd, errp);
}

static const QmpArg add_fd_args[] = {
    { "fdset-id", QMP_ARG_INT, true },
    { "opaque", QMP_ARG_STRING, true },
    { NULL },
};

/* The descriptor comes with the command as SCM_RIGHTS ancillary data on
 * a unix socket, which our socket chardevs do not receive: say so as
 * QEMU does when none came. */
static bool cmd_add_fd(JsonObject *args, JsonNode **ret, GError **errp)
{
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "No file descriptor supplied via SCM_RIGHTS");
    return false;
}

/* ------------------------------------------------------------------------------------------- */

void monitor_register_qmp_commands(void)
{
    /* Each returns false when already registered: nothing to undo. */
    qmp_register_command("query-uuid", cmd_query_uuid, 0);
    qmp_register_command("query-machines", cmd_query_machines, 0);
    qmp_register_command("query-cpus-fast", cmd_query_cpus_fast, 0);
    qmp_register_command("query-chardev", cmd_query_chardev, 0);
    qmp_register_command("query-fdsets", cmd_query_fdsets, 0);
    qmp_register_command_args("remove-fd", cmd_remove_fd, 0, remove_fd_args);
    qmp_register_command_args("add-fd", cmd_add_fd, 0, add_fd_args);
    qmp_register_command_args("device-list-properties",
                              cmd_device_list_properties, 0,
                              device_list_properties_args);
    qmp_register_command_args("human-monitor-command",
                              cmd_human_monitor_command, 0,
                              hmp_command_args);
}
