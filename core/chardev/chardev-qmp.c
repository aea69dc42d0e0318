/*
 * core/chardev/chardev-qmp.c - the character devices' QMP commands.
 */
#include "chardevs.h"
#include "monitor/qmp.h"

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
    *ret = qmp_array_node(list);
    return true;
}

static void chardev_qmp_commands(void)
{
    qmp_register_command("query-chardev", cmd_query_chardev, 0);
}
QMP_COMMANDS(chardev_qmp_commands)
