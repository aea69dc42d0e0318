/*
 * core/object/user-object-commands.c - QMP object-add / object-del and
 * HMP object_add / object_del: the run-time spellings of -object.
 */
#include "user-object.h"
#include "monitor/qmp.h"
#include "monitor/hmp.h"

#include <json-glib/json-glib.h>

static bool cmd_object_add(JsonObject *args, JsonNode **ret, GError **errp)
{
    /* object-add's arguments are the JSON form of -object. */
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(node, args);
    g_autofree char *text = json_to_string(node, FALSE);
    return user_object_add_monitor(text, errp);
}

static bool cmd_object_del(JsonObject *args, JsonNode **ret, GError **errp)
{
    return user_object_del(json_object_get_string_member(args, "id"), errp);
}

static void user_object_qmp_commands(void)
{
    static const QmpArg add_args[] = {
        { "qom-type", QMP_ARG_STRING, false },
        { "id", QMP_ARG_STRING, false },
        { NULL }
    };
    static const QmpArg del_args[] = {
        { "id", QMP_ARG_STRING, false }, { NULL }
    };
    qmp_register_command_args("object-add", cmd_object_add,
                              QMP_CMD_EXTRA_ARGS, add_args);
    qmp_register_command_args("object-del", cmd_object_del, 0, del_args);
}
QMP_COMMANDS(user_object_qmp_commands)

static void hmp_object_add(HmpCall *c, const char *args)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *arg = g_strstrip(g_strdup(args));
    if (!user_object_add_monitor(arg, &err)) {
        hmp_print_error(c, err);
    }
}

static void hmp_object_del(HmpCall *c, const char *args)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *id = g_strstrip(g_strdup(args));
    if (!user_object_del(id, &err)) {
        hmp_print_error(c, err);
    }
}

static const HmpCommand user_object_hmp_commands[] = {
    { "object_add", "[qom-type=]type,id=str[,prop=value][,...]",
      "create QOM object", hmp_object_add },
    { "object_del", "id", "destroy QOM object", hmp_object_del },
    { NULL }
};
HMP_COMMANDS(user_object_hmp_commands)
