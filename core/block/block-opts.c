/*
 * core/block/block-opts.c - block options as one flat dictionary.
 *
 * -blockdev and -drive give dotted keys ("file.filename=x"), QMP gives
 * nested JSON ({"file": {"filename": "x"}}); both become the same flat
 * string dictionary, which each node takes its own keys from and hands
 * the "child." ones down.  Whatever is left once a node opened is a key
 * nobody knew: an error naming it.
 */
#include "block-internal.h"
#include "cli/opts.h"
#include "util/parse.h"

BlockOpts *block_opts_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void add_pair(const char *key, const char *value, void *opaque)
{
    g_hash_table_replace(opaque, g_strdup(key), g_strdup(value));
}

BlockOpts *block_opts_parse(const char *text, GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(text, NULL, errp);
    if (!o) {
        return NULL;
    }
    BlockOpts *b = block_opts_new();
    opts_foreach(o, add_pair, b);
    return b;
}

static bool flatten(BlockOpts *b, const char *prefix, JsonObject *obj,
                    GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(obj);
    for (GList *l = members; l; l = l->next) {
        const char *m = l->data;
        g_autofree char *key = prefix ? g_strconcat(prefix, ".", m, NULL)
                                      : g_strdup(m);
        JsonNode *v = json_object_get_member(obj, m);
        switch (json_node_get_node_type(v)) {
        case JSON_NODE_OBJECT:
            if (!flatten(b, key, json_node_get_object(v), errp)) {
                return false;
            }
            break;
        case JSON_NODE_NULL:
            g_hash_table_replace(b, g_strdup(key), g_strdup("null"));
            break;
        case JSON_NODE_VALUE: {
            GType t = json_node_get_value_type(v);
            char *s;
            if (t == G_TYPE_BOOLEAN) {
                s = g_strdup(json_node_get_boolean(v) ? "on" : "off");
            } else if (t == G_TYPE_INT64) {
                s = g_strdup_printf("%" G_GINT64_FORMAT,
                                    json_node_get_int(v));
            } else if (t == G_TYPE_DOUBLE) {
                s = g_strdup_printf("%.0f", json_node_get_double(v));
            } else {
                s = g_strdup(json_node_get_string(v));
            }
            g_hash_table_replace(b, g_strdup(key), s);
            break;
        }
        default:
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter type for '%s', expected: "
                        "scalar or object", key);
            return false;
        }
    }
    return true;
}

BlockOpts *block_opts_from_json(JsonObject *obj, GError **errp)
{
    BlockOpts *b = block_opts_new();
    if (!flatten(b, NULL, obj, errp)) {
        g_hash_table_unref(b);
        return NULL;
    }
    return b;
}

char *block_opts_take(BlockOpts *o, const char *key)
{
    gpointer k, v;
    if (!o || !g_hash_table_steal_extended(o, key, &k, &v)) {
        return NULL;
    }
    g_free(k);
    return v;
}

BlockOpts *block_opts_take_prefix(BlockOpts *o, const char *prefix)
{
    if (!o) {
        return NULL;
    }
    g_autofree char *dotted = g_strconcat(prefix, ".", NULL);
    size_t len = strlen(dotted);
    BlockOpts *out = NULL;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, o);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (g_str_has_prefix(k, dotted)) {
            if (!out) {
                out = block_opts_new();
            }
            g_hash_table_replace(out, g_strdup((char *)k + len),
                                 g_strdup(v));
            g_hash_table_iter_remove(&it);
        }
    }
    return out;
}

bool block_opts_take_bool(BlockOpts *o, const char *key, bool def,
                          bool *out, GError **errp)
{
    g_autofree char *v = block_opts_take(o, key);
    if (!v) {
        *out = def;
        return true;
    }
    return ts_parse_bool(key, v, out, errp);
}

const char *block_opts_first_key(BlockOpts *o)
{
    if (!o || !g_hash_table_size(o)) {
        return NULL;
    }
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(o, NULL);
    const char *first = keys[0];
    for (guint i = 1; keys[i]; i++) {
        if (strcmp(keys[i], first) < 0) {
            first = keys[i];
        }
    }
    return first;
}
