/*
 * core/object/user-object.c - the registry of user-creatable object kinds
 * and the checks every kind shares (type known, id present, well formed
 * and unused across all kinds).
 */
#include "user-object.h"
#include "cli/opts.h"
#include "util/parse.h"

#include <json-glib/json-glib.h>
#include <string.h>

static GPtrArray *kinds;        /* of const UserObjectKind *, sorted */

static int by_type(gconstpointer a, gconstpointer b)
{
    const UserObjectKind *x = *(const UserObjectKind *const *)a;
    const UserObjectKind *y = *(const UserObjectKind *const *)b;
    return strcmp(x->type, y->type);
}

void user_object_kind_register(const UserObjectKind *kind)
{
    if (!kinds) {
        kinds = g_ptr_array_new();
    }
    g_ptr_array_add(kinds, (gpointer)kind);
    g_ptr_array_sort(kinds, by_type);
}

static const UserObjectKind *kind_find(const char *type)
{
    for (guint i = 0; kinds && i < kinds->len; i++) {
        const UserObjectKind *k = g_ptr_array_index(kinds, i);
        if (g_str_equal(k->type, type)) {
            return k;
        }
    }
    return NULL;
}

static const UserObjectKind *kind_of_id(const char *id)
{
    for (guint i = 0; kinds && i < kinds->len; i++) {
        const UserObjectKind *k = g_ptr_array_index(kinds, i);
        if (k->exists(id)) {
            return k;
        }
    }
    return NULL;
}


/* qom-type and id of the -object text, JSON or key=value; the strings
 * are g_strdup'd (NULL when absent). */
static bool type_and_id(const char *arg, char **type, char **id,
                        GError **errp)
{
    *type = *id = NULL;
    if (arg[0] == '{') {
        g_autoptr(JsonParser) p = json_parser_new();
        if (!json_parser_load_from_data(p, arg, -1, errp)) {
            return false;
        }
        JsonNode *root = json_parser_get_root(p);
        if (!JSON_NODE_HOLDS_OBJECT(root)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "JSON object expected");
            return false;
        }
        JsonObject *o = json_node_get_object(root);
        static const char *const keys[] = { "qom-type", "id" };
        char **out[] = { type, id };
        for (int i = 0; i < 2; i++) {
            JsonNode *n = json_object_get_member(o, keys[i]);
            if (!n) {
                continue;
            }
            if (!JSON_NODE_HOLDS_VALUE(n) ||
                json_node_get_value_type(n) != G_TYPE_STRING) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "Invalid parameter type for '%s', expected: "
                            "string", keys[i]);
                return false;
            }
            *out[i] = g_strdup(json_node_get_string(n));
        }
        return true;
    }
    g_autoptr(TsOpts) o = opts_parse(arg, "qom-type", errp);
    if (!o) {
        return false;
    }
    *type = g_strdup(opts_get(o, "qom-type"));
    *id = g_strdup(opts_get(o, "id"));
    return true;
}

static bool add(const char *arg, bool monitor, GError **errp)
{
    g_autofree char *type = NULL, *id = NULL;
    if (!type_and_id(arg, &type, &id, errp)) {
        return false;
    }
    if (!type) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'qom-type' is missing");
        return false;
    }
    const UserObjectKind *k = kind_find(type);
    if (!k) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'qom-type' does not accept value '%s'", type);
        return false;
    }
    if (!id) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'id' is missing");
        return false;
    }
    if (!ts_id_well_formed(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'id' expects an identifier (a letter, then "
                    "letters, digits, '-', '.', '_'), not '%s'", id);
        return false;
    }
    if (kind_of_id(id)) {
        /* QEMU words it differently once the machine exists (the
         * /objects container refuses a second child of that name). */
        if (monitor) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "attempt to add duplicate property '%s' to object "
                        "(type 'container')", id);
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Duplicate ID '%s' for object", id);
        }
        return false;
    }
    return k->add(arg, errp);
}

bool user_object_add(const char *arg, GError **errp)
{
    return add(arg, false, errp);
}

bool user_object_add_monitor(const char *arg, GError **errp)
{
    return add(arg, true, errp);
}

bool user_object_del(const char *id, GError **errp)
{
    const UserObjectKind *k = kind_of_id(id);
    if (!k) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "object '%s' not found", id);
        return false;
    }
    if (!k->del) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "object '%s' is in use, can not be deleted", id);
        return false;
    }
    return k->del(id, errp);
}

char *user_object_json_to_opts(const char *json, GError **errp)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, json, -1, errp)) {
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "JSON object expected");
        return NULL;
    }
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next) {
        const char *key = m->data;
        JsonNode *n = json_object_get_member(o, key);
        if (!JSON_NODE_HOLDS_VALUE(n)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter type for '%s', expected: "
                        "a scalar", key);
            return NULL;
        }
        g_autofree char *text = NULL;
        switch (json_node_get_value_type(n)) {
        case G_TYPE_BOOLEAN:
            text = g_strdup(json_node_get_boolean(n) ? "on" : "off");
            break;
        case G_TYPE_INT64:
            text = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
            break;
        case G_TYPE_DOUBLE:
            text = g_strdup_printf("%.17g", json_node_get_double(n));
            break;
        default:
            text = g_strdup(json_node_get_string(n));
            break;
        }
        opts_append_pair(out, key, text);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

void user_object_print_types(FILE *out)
{
    fprintf(out, "List of user creatable objects:\n");
    for (guint i = 0; kinds && i < kinds->len; i++) {
        const UserObjectKind *k = g_ptr_array_index(kinds, i);
        fprintf(out, "  %s\n", k->type);
    }
}

bool user_object_print_help(FILE *out, const char *type)
{
    const UserObjectKind *k = kind_find(type);
    if (!k) {
        return false;
    }
    k->print_help(out);
    return true;
}
