/*
 * core/device/qmp-device.c - device_add and device_del.
 *
 * device_add takes the same properties as -device, as JSON members; it is
 * how a running guest gets a new device, and so how a plugin may be
 * loaded long after start-up (even one upgraded on disk meanwhile: the ABI
 * rule decides whether the new file is accepted).
 */
#include "device-create.h"
#include "monitor/qmp.h"

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
        g_set_error_literal(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND,
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

void qmp_register_device_commands(void)
{
    qmp_register_command_args("device_add", qmp_device_add,
                              QMP_CMD_EXTRA_ARGS, device_add_args);
    qmp_register_command_args("device_del", qmp_device_del, QMP_CMD_NONE,
                              device_del_args);
}
