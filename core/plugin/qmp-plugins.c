/*
 * core/plugin/qmp-plugins.c - query-plugins: which plugins this process loaded.
 *
 * The loader's own record, in load order; tests use it to check lazy
 * loading, and users to see what a command line pulled in.
 */
#include "plugins.h"
#include "monitor/qmp.h"

static bool qmp_query_plugins(JsonObject *args, JsonNode **ret,
                              GError **errp)
{
    const GPtrArray *names = plugin_loaded_names();
    JsonArray *list = json_array_new();
    for (guint i = 0; i < names->len; i++) {
        JsonObject *entry = json_object_new();
        json_object_set_string_member(entry, "name",
                                      g_ptr_array_index(names, i));
        json_array_add_object_element(list, entry);
    }
    *ret = json_node_init_array(json_node_alloc(), list);
    json_array_unref(list);
    return true;
}

static void plugin_qmp_commands(void)
{
    qmp_register_command("query-plugins", qmp_query_plugins, QMP_CMD_NONE);
}
QMP_COMMANDS(plugin_qmp_commands)
