/*
 * core/block/block-throttle-object.c - `-object throttle-group`: a named
 * set of I/O limits that drives and "throttle" filter nodes share.
 *
 * Spelled as QEMU 7.2 accepts it: on the command line the flat legacy
 * properties (`-object throttle-group,id=tg0,x-iops-total=100,
 * x-bps-read-max=...`), or the JSON form with the "limits" object
 * (`-object '{"qom-type":"throttle-group","id":"tg0",
 * "limits":{"iops-total":100}}'`), where the x- properties are accepted
 * too.  QEMU's flat form refuses "limits.iops-total" (its option parser
 * has no nested keys here); so does this one.
 */
#include "block-internal.h"
#include "block-options.h"
#include "cli/opts.h"
#include "object/user-object.h"

#include <stdio.h>
#include <string.h>

#define TYPE_THROTTLE_GROUP "throttle-group"

static int sort_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Takes "x-<limit>" keys into limits (without the prefix); refuses any
 * other key but qom-type and id. */
static bool take_flat(const char *key, const char *value, GHashTable *limits,
                      GError **errp)
{
    if (g_str_equal(key, "qom-type") || g_str_equal(key, "id")) {
        return true;
    }
    if (!g_str_has_prefix(key, "x-") || g_str_equal(key, "x-group")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid parameter '%s'", key);
        return false;
    }
    g_hash_table_insert(limits, g_strdup(key + 2), g_strdup(value));
    return true;
}

typedef struct FlatWalk {
    GHashTable *limits;
    GError *err;
} FlatWalk;

static void flat_cb(const char *key, const char *value, void *opaque)
{
    FlatWalk *w = opaque;
    if (!w->err) {
        take_flat(key, value, w->limits, &w->err);
    }
}

/* A JSON member's value as the flat options' text. */
static bool member_text(JsonNode *n, const char *key, char **out,
                        GError **errp)
{
    if (JSON_NODE_HOLDS_VALUE(n) &&
        json_node_get_value_type(n) == G_TYPE_INT64) {
        *out = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Invalid parameter type for '%s', expected: integer", key);
    return false;
}

/* user-object.c checked the JSON, the type and the id. */
static bool add_json(const char *arg, GError **errp)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, arg, -1, errp)) {
        return false;
    }
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    g_autoptr(GHashTable) limits = g_hash_table_new_full(g_str_hash,
                                                         g_str_equal,
                                                         g_free, g_free);
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next) {
        const char *key = m->data;
        JsonNode *n = json_object_get_member(o, key);
        if (g_str_equal(key, "qom-type") || g_str_equal(key, "id")) {
            continue;
        }
        if (g_str_equal(key, "limits")) {
            if (!JSON_NODE_HOLDS_OBJECT(n)) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "Invalid parameter type for 'limits', expected: "
                            "object");
                return false;
            }
            JsonObject *lo = json_node_get_object(n);
            g_autoptr(GList) lm = json_object_get_members(lo);
            for (GList *l = lm; l; l = l->next) {
                g_autofree char *what = g_strconcat("limits.", l->data,
                                                    NULL);
                char *text;
                if (!member_text(json_object_get_member(lo, l->data), what,
                                 &text, errp)) {
                    return false;
                }
                g_hash_table_insert(limits, g_strdup(l->data), text);
            }
            continue;
        }
        char *text;
        if (!g_str_has_prefix(key, "x-")) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter '%s' is unexpected", key);
            return false;
        }
        if (!member_text(n, key, &text, errp)) {
            return false;
        }
        g_hash_table_insert(limits, g_strdup(key + 2), text);
    }
    return block_throttle_object_add(json_object_get_string_member(o, "id"),
                                     limits, "limits.", errp);
}

static bool group_add(const char *arg, GError **errp)
{
    if (arg[0] == '{') {
        return add_json(arg, errp);
    }
    g_autoptr(TsOpts) o = opts_parse(arg, "qom-type", errp);
    if (!o) {
        return false;
    }
    g_autoptr(GHashTable) limits = g_hash_table_new_full(g_str_hash,
                                                         g_str_equal,
                                                         g_free, g_free);
    FlatWalk w = { .limits = limits };
    opts_foreach(o, flat_cb, &w);
    if (w.err) {
        g_propagate_error(errp, w.err);
        return false;
    }
    return block_throttle_object_add(opts_get(o, "id"), limits, "x-", errp);
}

/* `-object throttle-group,help`, as QEMU lists it (the properties sorted
 * by name). */
static void group_help(FILE *out)
{
    static const char *const limits[] = {
        "bps-read", "bps-total", "bps-write", "iops-read", "iops-size",
        "iops-total", "iops-write",
    };
    fprintf(out, "%s options:\n  limits=<ThrottleLimits>\n",
            TYPE_THROTTLE_GROUP);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
        g_ptr_array_add(names, g_strdup_printf("x-%s=<int>", limits[i]));
        if (!g_str_equal(limits[i], "iops-size")) {
            g_ptr_array_add(names, g_strdup_printf("x-%s-max=<int>",
                                                   limits[i]));
            g_ptr_array_add(names, g_strdup_printf("x-%s-max-length=<int>",
                                                   limits[i]));
        }
    }
    /* QEMU sorts the whole "name=<type>" lines. */
    g_ptr_array_sort(names, (GCompareFunc)sort_names);
    for (guint i = 0; i < names->len; i++) {
        fprintf(out, "  %s\n", (char *)g_ptr_array_index(names, i));
    }
}

static const UserObjectKind throttle_group_kind = {
    .type = TYPE_THROTTLE_GROUP, .add = group_add,
    .exists = block_throttle_object_exists, .del = block_throttle_object_del,
    .print_help = group_help,
};
USER_OBJECT_KIND(throttle_group_kind)
