/*
 * core/net/net-opts.c - a backend's options as the flat list of key and
 * value pairs netdev_create() takes, from either spelling: QEMU's
 * key=value text (-netdev, -nic, -net, HMP netdev_add) or a JSON object
 * (-netdev '{...}', QMP netdev_add), where a list option (hostfwd=) is an
 * array of strings or of {"str": ...} as QEMU's schema has it.
 */
#include "net-options.h"
#include "net-internal.h"
#include "cli/opts.h"

static void add_pair(const char *key, const char *value, void *opaque)
{
    g_ptr_array_add(opaque, g_strdup(key));
    g_ptr_array_add(opaque, g_strdup(value));
}

GPtrArray *net_opts_parse(const char *text, const char *implied_key,
                          GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(text, implied_key, errp);
    if (!o) {
        return NULL;
    }
    GPtrArray *pairs = g_ptr_array_new_with_free_func(g_free);
    opts_foreach(o, add_pair, pairs);
    return pairs;
}

static char *scalar_text(JsonNode *v)
{
    GType t = json_node_get_value_type(v);
    if (t == G_TYPE_BOOLEAN) {
        return g_strdup(json_node_get_boolean(v) ? "on" : "off");
    }
    if (t == G_TYPE_INT64) {
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(v));
    }
    if (t == G_TYPE_DOUBLE) {
        return g_strdup_printf("%.0f", json_node_get_double(v));
    }
    return g_strdup(json_node_get_string(v));
}

static bool add_list(GPtrArray *pairs, const char *key, JsonArray *arr,
                     GError **errp)
{
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonNode *e = json_array_get_element(arr, i);
        if (JSON_NODE_HOLDS_OBJECT(e)) {
            JsonObject *o = json_node_get_object(e);
            JsonNode *s = json_object_get_member(o, "str");
            if (!s || !JSON_NODE_HOLDS_VALUE(s) ||
                json_node_get_value_type(s) != G_TYPE_STRING) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "Parameter '%s.str' is missing", key);
                return false;
            }
            e = s;
        }
        if (!JSON_NODE_HOLDS_VALUE(e) ||
            json_node_get_value_type(e) != G_TYPE_STRING) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter type for '%s', expected: string",
                        key);
            return false;
        }
        g_ptr_array_add(pairs, g_strdup(key));
        g_ptr_array_add(pairs, g_strdup(json_node_get_string(e)));
    }
    return true;
}

GPtrArray *net_opts_from_json(JsonObject *obj, GError **errp)
{
    g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GList) members = json_object_get_members(obj);
    for (GList *l = members; l; l = l->next) {
        const char *key = l->data;
        JsonNode *v = json_object_get_member(obj, key);
        if (JSON_NODE_HOLDS_ARRAY(v)) {
            if (!add_list(pairs, key, json_node_get_array(v), errp)) {
                return NULL;
            }
        } else if (JSON_NODE_HOLDS_VALUE(v)) {
            g_ptr_array_add(pairs, g_strdup(key));
            g_ptr_array_add(pairs, scalar_text(v));
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter type for '%s', expected: "
                        "scalar or list", key);
            return NULL;
        }
    }
    return g_steal_pointer(&pairs);
}

GPtrArray *net_opts_parse_any(const char *text, const char *implied_key,
                              GError **errp)
{
    if (text[0] != '{') {
        return net_opts_parse(text, implied_key, errp);
    }
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, text, -1, errp)) {
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "JSON argument must be an object");
        return NULL;
    }
    return net_opts_from_json(json_node_get_object(root), errp);
}
