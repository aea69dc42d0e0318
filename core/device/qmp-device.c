/*
 * core/device/qmp-device.c - device_add, device_del and
 * device-list-properties.
 *
 * device_add takes the same properties as -device, as JSON members; it is
 * how a running guest gets a new device, and so how a plugin may be
 * loaded long after start-up (even one upgraded on disk meanwhile: the ABI
 * rule decides whether the new file is accepted).
 */
#include "device-create.h"
#include "monitor/qmp.h"
#include "object/object-introspect.h"
#include "plugin/plugins.h"

#include <tessera/device.h>

/* JSON scalars to the text a -device option would carry. */
static char *member_text(JsonNode *node)
{
    if (JSON_NODE_HOLDS_VALUE(node)) {
        GType t = json_node_get_value_type(node);
        if (t == G_TYPE_STRING) {
            return g_strdup(json_node_get_string(node));
        }
        if (t == G_TYPE_BOOLEAN) {
            return g_strdup(json_node_get_boolean(node) ? "on" : "off");
        }
        if (t == G_TYPE_INT64) {
            return g_strdup_printf("%" G_GINT64_FORMAT,
                                   json_node_get_int(node));
        }
    }
    return NULL;
}

static bool qmp_device_add(JsonObject *args, JsonNode **ret, GError **errp)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GList) members = json_object_get_members(args);
    for (GList *l = members; l; l = l->next) {
        g_autofree char *value = member_text(
            json_object_get_member(args, l->data));
        if (!value) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Invalid parameter type for '%s', expected: string, "
                        "integer or boolean", (char *)l->data);
            return false;
        }
        g_autofree char *escaped = NULL;
        g_auto(GStrv) parts = g_strsplit(value, ",", -1);
        escaped = g_strjoinv(",,", parts);
        g_string_append_printf(text, "%s%s=%s", text->len ? "," : "",
                               (char *)l->data, escaped);
    }
    g_autoptr(TsOpts) opts = opts_parse(text->str, NULL, errp);
    return opts && device_create(opts, errp);
}

static bool qmp_device_del(JsonObject *args, JsonNode **ret, GError **errp)
{
    GError *err = NULL;
    if (!device_delete(json_object_get_string_member(args, "id"), &err)) {
        /* DeviceNotFound only for a missing device, as QEMU's class */
        g_set_error_literal(errp, QMP_ERROR,
                            g_error_matches(err, TS_ERROR,
                                            TS_ERROR_NOT_FOUND)
                            ? QMP_ERROR_DEVICE_NOT_FOUND : QMP_ERROR_GENERIC,
                            err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

static const QmpArg device_add_args[] = {
    { "driver", QMP_ARG_STRING, false },
    { "id", QMP_ARG_STRING, true },
    { NULL },
};

static const QmpArg device_del_args[] = {
    { "id", QMP_ARG_STRING, false },
    { NULL },
};

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
                               qmp_property_node(prop, def));
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
    *ret = qmp_array_node(list);
    return true;
}

static void device_qmp_commands(void)
{
    qmp_register_command_args("device_add", qmp_device_add,
                              QMP_CMD_EXTRA_ARGS, device_add_args);
    qmp_register_command_args("device_del", qmp_device_del, QMP_CMD_NONE,
                              device_del_args);
    qmp_register_command_args("device-list-properties",
                              cmd_device_list_properties, 0,
                              device_list_properties_args);
}
QMP_COMMANDS(device_qmp_commands)
