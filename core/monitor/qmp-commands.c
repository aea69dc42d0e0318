/*
 * core/monitor/qmp-commands.c - the built-in QMP commands: negotiation, queries,
 * VM control through the hooks, and the QOM commands.
 */
#include "config.h"
#include "qmp.h"
#include "util/parse.h"
#include "object/object-introspect.h"

#include <tessera/object.h>

/* ------------------------------------------------------------------ */
/* Negotiation and queries                                            */

JsonNode *qmp_version_node(void)
{
    /* TS_VERSION is "major.minor.micro", maybe with a suffix ("-rc1"). */
    guint64 part[3] = { 0, 0, 0 };
    const char *p = TS_VERSION;
    for (int i = 0; i < 3 && g_ascii_isdigit(*p); i++) {
        char *end;
        part[i] = g_ascii_strtoull(p, &end, 10);
        p = *end == '.' ? end + 1 : end;
    }
    JsonObject *qemu = json_object_new();
    json_object_set_int_member(qemu, "micro", (gint64)part[2]);
    json_object_set_int_member(qemu, "minor", (gint64)part[1]);
    json_object_set_int_member(qemu, "major", (gint64)part[0]);
    JsonObject *version = json_object_new();
    json_object_set_object_member(version, "qemu", qemu);
    json_object_set_string_member(version, "package", "tessera-" TS_VERSION);
    return qmp_object_node(version);
}

static const QmpArg capabilities_args[] = {
    { "enable", QMP_ARG_ARRAY, true },
    { NULL }
};

static bool cmd_qmp_capabilities(JsonObject *args, JsonNode **ret,
                                 GError **errp)
{
    QmpSession *s = qmp_current_session();
    if (s && qmp_session_negotiated(s)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_COMMAND_NOT_FOUND,
                    "Capabilities negotiation is already complete, "
                    "command ignored");
        return false;
    }
    if (json_object_has_member(args, "enable")) {
        /* We offer no capabilities: "oob" is QEMU's only one. */
        JsonArray *enable = json_object_get_array_member(args, "enable");
        for (guint i = 0; i < json_array_get_length(enable); i++) {
            JsonNode *cap = json_array_get_element(enable, i);
            if (!JSON_NODE_HOLDS_VALUE(cap) ||
                json_node_get_value_type(cap) != G_TYPE_STRING) {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                            "Invalid parameter type for 'enable[%u]', "
                            "expected: string", i);
                return false;
            }
            const char *name = json_node_get_string(cap);
            if (g_str_equal(name, "oob")) {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                            "Capability 'oob' not available");
            } else {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                            "Parameter 'enable[%u]' does not accept value "
                            "'%s'", i, name);
            }
            return false;
        }
    }
    if (s) {
        qmp_session_set_negotiated(s);
    }
    return true;
}

static bool cmd_query_version(JsonObject *args, JsonNode **ret, GError **errp)
{
    *ret = qmp_version_node();
    return true;
}

static bool no_hook(const char *what, GError **errp)
{
    g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                "%s is not available in this configuration", what);
    return false;
}

static bool cmd_query_status(JsonObject *args, JsonNode **ret, GError **errp)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    const char *state = qmp_run_state();
    if (!state || !hooks->is_running) {
        return no_hook("The VM state", errp);
    }
    JsonObject *status = json_object_new();
    json_object_set_boolean_member(status, "running", hooks->is_running());
    json_object_set_string_member(status, "status", state);
    *ret = qmp_object_node(status);
    return true;
}

static bool cmd_query_commands(JsonObject *args, JsonNode **ret,
                               GError **errp)
{
    g_auto(GStrv) names = qmp_command_names();
    JsonArray *list = json_array_new();
    for (char **n = names; *n; n++) {
        JsonObject *info = json_object_new();
        json_object_set_string_member(info, "name", *n);
        json_array_add_object_element(list, info);
    }
    *ret = qmp_array_node(list);
    return true;
}

static bool cmd_query_name(JsonObject *args, JsonNode **ret, GError **errp)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    const char *name = hooks->vm_name ? hooks->vm_name() : NULL;
    JsonObject *info = json_object_new();
    if (name) {
        json_object_set_string_member(info, "name", name);
    }
    *ret = qmp_object_node(info);
    return true;
}

/* ------------------------------------------------------------------ */
/* VM control                                                         */

static void quit_after_reply(void *opaque)
{
    qmp_event_shutdown(false, "host-qmp-quit");
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (hooks->quit) {
        hooks->quit();
    }
}

static bool cmd_quit(JsonObject *args, JsonNode **ret, GError **errp)
{
    if (!qmp_vm_hooks()->quit) {
        return no_hook("quit", errp);
    }
    /* The reply must be on the wire before the process can go away:
     * clients (and the startup benchmark) wait for it. */
    qmp_run_after_reply(quit_after_reply, NULL);
    return true;
}

static bool cmd_stop(JsonObject *args, JsonNode **ret, GError **errp)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (!hooks->stop) {
        return no_hook("stop", errp);
    }
    hooks->stop();
    return true;
}

static bool cmd_cont(JsonObject *args, JsonNode **ret, GError **errp)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (!hooks->cont) {
        return no_hook("cont", errp);
    }
    return hooks->cont(errp);
}

static void reset_event(void *opaque)
{
    qmp_event_reset(false, "host-qmp-system-reset");
}

static bool cmd_system_reset(JsonObject *args, JsonNode **ret, GError **errp)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (!hooks->system_reset) {
        return no_hook("system_reset", errp);
    }
    hooks->system_reset();
    qmp_run_after_reply(reset_event, NULL);
    return true;
}

static void powerdown_event(void *opaque)
{
    qmp_event_powerdown();
}

static bool cmd_system_powerdown(JsonObject *args, JsonNode **ret,
                                 GError **errp)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (!hooks->system_powerdown) {
        return no_hook("system_powerdown", errp);
    }
    hooks->system_powerdown();
    qmp_run_after_reply(powerdown_event, NULL);
    return true;
}

/* ------------------------------------------------------------------ */
/* Events the core reports                                            */

const char *qmp_shutdown_cause_name(TsShutdownCause cause)
{
    switch (cause) {
    case TS_SHUTDOWN_GUEST_POWEROFF: return "guest-shutdown";
    case TS_SHUTDOWN_GUEST_RESET:    return "guest-reset";
    case TS_SHUTDOWN_GUEST_PANIC:    return "guest-panic";
    case TS_SHUTDOWN_HOST:
    default:                         return "host-signal";
    }
}

static void emit_guest_reason(const char *event, bool guest,
                              const char *reason)
{
    JsonObject *data = json_object_new();
    json_object_set_boolean_member(data, "guest", guest);
    json_object_set_string_member(data, "reason", reason);
    qmp_emit_event(event, data);
    json_object_unref(data);
}

void qmp_event_shutdown(bool guest, const char *reason)
{
    emit_guest_reason("SHUTDOWN", guest, reason);
}

void qmp_event_reset(bool guest, const char *reason)
{
    emit_guest_reason("RESET", guest, reason);
}

void qmp_event_powerdown(void)
{
    qmp_emit_event("POWERDOWN", NULL);
}

/* ------------------------------------------------------------------ */
/* QOM                                                                */

static TsObject *resolve_path(JsonObject *args, GError **errp)
{
    const char *path = json_object_get_string_member(args, "path");
    TsObject *obj = ts_object_resolve_path(path);
    if (!obj) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND,
                    "Device '%s' not found", path);
    }
    return obj;
}

/* The type names QEMU's qom-list uses for the equivalent properties. */
static char *prop_type_name(const TsProperty *prop)
{
    switch (prop->kind) {
    case TS_PROP_BOOL:   return g_strdup("bool");
    case TS_PROP_INT:    return g_strdup("int64");
    case TS_PROP_UINT:   return g_strdup("uint64");
    case TS_PROP_SIZE:   return g_strdup("size");
    case TS_PROP_STRING: return g_strdup("str");
    case TS_PROP_ENUM:   return g_strdup("str");
    case TS_PROP_LINK:
        return g_strdup_printf("link<%s>",
                               prop->link_type ? prop->link_type : "object");
    default:             return g_strdup("str");
    }
}

static void add_property_info(JsonArray *list, const char *name,
                              const char *type, const char *description)
{
    JsonObject *info = json_object_new();
    json_object_set_string_member(info, "name", name);
    json_object_set_string_member(info, "type", type);
    if (description) {
        json_object_set_string_member(info, "description", description);
    }
    json_array_add_object_element(list, info);
}

static void list_child(TsObject *child, void *opaque)
{
    g_autofree char *type = g_strdup_printf("child<%s>",
                                            ts_object_type_name(child));
    add_property_info(opaque, child->name, type, NULL);
}

static void list_property(const TsProperty *prop, void *opaque)
{
    g_autofree char *type = prop_type_name(prop);
    add_property_info(opaque, prop->name, type, prop->description);
}

static const QmpArg qom_list_args[] = {
    { "path", QMP_ARG_STRING, false },
    { NULL }
};

static bool cmd_qom_list(JsonObject *args, JsonNode **ret, GError **errp)
{
    TsObject *obj = resolve_path(args, errp);
    if (!obj) {
        return false;
    }
    JsonArray *list = json_array_new();
    add_property_info(list, "type", "string", NULL);
    ts_object_foreach_child(obj, list_child, list);
    ts_class_foreach_property(obj->klass, list_property, list);
    *ret = qmp_array_node(list);
    return true;
}

static const QmpArg qom_get_args[] = {
    { "path", QMP_ARG_STRING, false },
    { "property", QMP_ARG_STRING, false },
    { NULL }
};

static const TsProperty *find_property(TsObject *obj, const char *name,
                                       GError **errp)
{
    const TsProperty *prop = ts_class_find_property(obj->klass, name);
    if (!prop) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Property '%s.%s' not found", ts_object_type_name(obj),
                    name);
    }
    return prop;
}

JsonNode *qmp_property_node(const TsProperty *prop, const char *text)
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
        if ((prop->kind == TS_PROP_SIZE
             ? ts_parse_size(prop->name, text, &u, NULL)
             : ts_parse_uint(prop->name, text, &u, NULL))) {
            /* json-glib holds int64 only; beyond that a double is the
             * closest a JSON reader will get. */
            return u <= G_MAXINT64 ? json_node_init_int(node, (gint64)u)
                                   : json_node_init_double(node, (double)u);
        }
        break;
    default:
        break;
    }
    return json_node_init_string(node, text);
}

static bool cmd_qom_get(JsonObject *args, JsonNode **ret, GError **errp)
{
    TsObject *obj = resolve_path(args, errp);
    if (!obj) {
        return false;
    }
    const char *name = json_object_get_string_member(args, "property");
    TsObject *child = ts_object_child(obj, name);
    if (child) {
        g_autofree char *path = ts_object_path(child);
        *ret = json_node_init_string(json_node_alloc(), path ? path : "");
        return true;
    }
    const TsProperty *prop = ts_class_find_property(obj->klass, name);
    if (!prop && g_str_equal(name, "type")) {
        *ret = json_node_init_string(json_node_alloc(),
                                     ts_object_type_name(obj));
        return true;
    }
    if (!prop) {
        return find_property(obj, name, errp) != NULL;
    }
    g_autofree char *text = ts_object_get_prop(obj, name, errp);
    if (!text) {
        return false;
    }
    *ret = qmp_property_node(prop, text);
    return true;
}

static const QmpArg qom_set_args[] = {
    { "path", QMP_ARG_STRING, false },
    { "property", QMP_ARG_STRING, false },
    { "value", QMP_ARG_ANY, false },
    { NULL }
};

/* The text ts_object_set_prop parses, from a JSON value of the right type
 * for the property's kind; NULL + errp for a wrong type. */
static char *prop_text_from_node(const TsProperty *prop, JsonNode *value,
                                 GError **errp)
{
    GType vt = JSON_NODE_HOLDS_VALUE(value) ? json_node_get_value_type(value)
                                            : G_TYPE_INVALID;
    const char *expected;
    switch (prop->kind) {
    case TS_PROP_BOOL:
        if (vt == G_TYPE_BOOLEAN) {
            return g_strdup(json_node_get_boolean(value) ? "on" : "off");
        }
        expected = "boolean";
        break;
    case TS_PROP_INT:
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        if (vt == G_TYPE_INT64) {
            return g_strdup_printf("%" G_GINT64_FORMAT,
                                   json_node_get_int(value));
        }
        expected = "integer";
        break;
    default:
        if (vt == G_TYPE_STRING) {
            return g_strdup(json_node_get_string(value));
        }
        expected = "string";
        break;
    }
    g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                "Invalid parameter type for 'value', expected: %s", expected);
    return NULL;
}

static bool cmd_qom_set(JsonObject *args, JsonNode **ret, GError **errp)
{
    TsObject *obj = resolve_path(args, errp);
    if (!obj) {
        return false;
    }
    const char *name = json_object_get_string_member(args, "property");
    const TsProperty *prop = find_property(obj, name, errp);
    if (!prop) {
        return false;
    }
    g_autofree char *text =
        prop_text_from_node(prop, json_object_get_member(args, "value"), errp);
    return text && ts_object_set_prop(obj, name, text, errp);
}

static const QmpArg qom_list_types_args[] = {
    { "implements", QMP_ARG_STRING, true },
    { "abstract", QMP_ARG_BOOL, true },
    { NULL }
};

static void list_type(TsObjectClass *klass, void *opaque)
{
    JsonObject *info = json_object_new();
    json_object_set_string_member(info, "name", ts_class_name(klass));
    if (ts_class_is_abstract(klass)) {
        json_object_set_boolean_member(info, "abstract", true);
    }
    const char *parent = ts_class_parent_name(klass);
    if (parent) {
        json_object_set_string_member(info, "parent", parent);
    }
    json_array_add_object_element(opaque, info);
}

static bool cmd_qom_list_types(JsonObject *args, JsonNode **ret,
                               GError **errp)
{
    const char *implements = json_object_get_string_member_with_default(
        args, "implements", NULL);
    bool abstract = json_object_get_boolean_member_with_default(
        args, "abstract", false);
    JsonArray *list = json_array_new();
    /* An unknown type implements nothing: an empty list, as in QEMU. */
    if (!implements || ts_type_exists(implements)) {
        ts_type_foreach(implements, abstract, list_type, list);
    }
    *ret = qmp_array_node(list);
    return true;
}

/* ------------------------------------------------------------------ */

void qmp_register_builtin_commands(void)
{
    qmp_register_command_args("qmp_capabilities", cmd_qmp_capabilities,
                              QMP_CMD_NEGOTIATION, capabilities_args);
    qmp_register_command("query-version", cmd_query_version, 0);
    qmp_register_command("query-status", cmd_query_status, 0);
    qmp_register_command("query-commands", cmd_query_commands, 0);
    qmp_register_command("query-name", cmd_query_name, 0);
    qmp_register_command("quit", cmd_quit, 0);
    qmp_register_command("stop", cmd_stop, 0);
    qmp_register_command("cont", cmd_cont, 0);
    qmp_register_command("system_reset", cmd_system_reset, 0);
    qmp_register_command("system_powerdown", cmd_system_powerdown, 0);
    qmp_register_command_args("qom-list", cmd_qom_list, 0, qom_list_args);
    qmp_register_command_args("qom-get", cmd_qom_get, 0, qom_get_args);
    qmp_register_command_args("qom-set", cmd_qom_set, 0, qom_set_args);
    qmp_register_command_args("qom-list-types", cmd_qom_list_types, 0,
                              qom_list_types_args);
}
