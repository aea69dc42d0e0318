/*
 * core/net/net-netdev.c - backends as types: the abstract "netdev" base,
 * ts_netdev_driver_register() making a plugin's TsNetdevDriver the type
 * "<name>-netdev" (so its options are properties the object model parses
 * and lists), and creating, finding and deleting backend instances from
 * the key=value pairs of -netdev and netdev_add.
 */
#include "net-internal.h"
#include "util/parse.h"
#include "object/object-hooks.h"
#include "plugin/plugins.h"
#include "object/object-introspect.h"

#include <string.h>

typedef struct NetdevClass {
    TsObjectClass parent;
    const TsNetdevDriver *drv;
} NetdevClass;

extern const TsNetdevDriver net_hubport_driver;

static GPtrArray *all_netdevs;   /* TsNetdev, in creation order */
static bool exiting;            /* netdev_close_all: no guest to tell */
bool netdev_generated_ids;

static const TsTypeInfo netdev_base = {
    .name = TS_TYPE_NETDEV,
    .parent = TS_TYPE_OBJECT,
    .description = "network backend",
    .instance_size = sizeof(TsNetdev),
    .class_size = sizeof(NetdevClass),
    .abstract = true,
};

static void netdev_types_init(void)
{
    object_core_type(&netdev_base);
    g_autoptr(GError) err = NULL;
    if (!ts_netdev_driver_register(&net_hubport_driver, &err)) {
        g_error("%s", err->message);    /* a core bug */
    }
}
OBJECT_CORE_INIT(netdev_types_init)

static void driver_class_init(TsObjectClass *klass, const void *data)
{
    const TsNetdevDriver *drv = data;
    ((NetdevClass *)klass)->drv = drv;
    if (drv->options) {
        ts_class_add_properties(klass, drv->options);
    }
}

const TsNetdevDriver *netdev_driver_of_class(TsObjectClass *klass)
{
    TsObjectClass *k = ts_class_dynamic_cast(klass, TS_TYPE_NETDEV);
    return k ? ((NetdevClass *)k)->drv : NULL;
}

TS_EXPORT bool ts_netdev_driver_register(const TsNetdevDriver *drv,
                                         GError **errp)
{
    if (!drv->name || !*drv->name || !drv->open ||
        drv->instance_size < sizeof(TsNetdev)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "netdev driver '%s': invalid TsNetdevDriver (needs a "
                    "name, open and an instance struct at least as large "
                    "as TsNetdev)", drv->name ? drv->name : "");
        return false;
    }
    return object_register_driver_type(drv->name, TS_NETDEV_SUFFIX,
                                       TS_TYPE_NETDEV, drv->description,
                                       drv->instance_size, driver_class_init,
                                       drv, errp);
}

bool netdev_type_known(const char *type)
{
    g_autofree char *name = g_strconcat(type, TS_NETDEV_SUFFIX, NULL);
    return ts_type_exists(name) || plugin_index_find(PK_NETDEV, type, NULL);
}

GPtrArray *netdevs(void)
{
    if (!all_netdevs) {
        all_netdevs = g_ptr_array_new();
    }
    return all_netdevs;
}

TsNetdev *netdev_find(const char *id)
{
    GPtrArray *all = netdevs();
    for (guint i = 0; i < all->len; i++) {
        TsNetdev *nd = g_ptr_array_index(all, i);
        if (g_str_equal(nd->client->name, id)) {
            return nd;
        }
    }
    return NULL;
}

TS_EXPORT const char *ts_netdev_id(const TsNetdev *nd)
{
    return nd->client->name;
}

TS_EXPORT const char *const *ts_netdev_list_option(TsNetdev *nd,
                                                   const char *name)
{
    static const char *const none[] = { NULL };
    GPtrArray *values = g_hash_table_lookup(netdev_core(nd)->lists, name);
    return values ? (const char *const *)values->pdata : none;
}

static bool is_list_option(const TsNetdevDriver *drv, const char *key)
{
    for (const char *const *l = drv->list_options; l && *l; l++) {
        if (g_str_equal(*l, key)) {
            return true;
        }
    }
    return false;
}

static void add_list_value(NetdevCore *core, const char *key,
                           const char *value)
{
    GPtrArray *values = g_hash_table_lookup(core->lists, key);
    if (!values) {
        values = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(values, NULL);
        g_hash_table_insert(core->lists, g_strdup(key), values);
    }
    /* Kept NULL-terminated for ts_netdev_list_option(). */
    g_ptr_array_index(values, values->len - 1) = g_strdup(value);
    g_ptr_array_add(values, NULL);
}

static bool id_wellformed(const char *id)
{
    return ts_id_well_formed(id);
}

static const char *last_value(GPtrArray *opts, const char *key)
{
    const char *v = NULL;
    for (guint i = 0; i + 1 < opts->len; i += 2) {
        if (g_str_equal(g_ptr_array_index(opts, i), key)) {
            v = g_ptr_array_index(opts, i + 1);
        }
    }
    return v;
}

static bool set_options(TsNetdev *nd, const TsNetdevDriver *drv,
                        GPtrArray *opts, GError **errp)
{
    for (guint i = 0; i + 1 < opts->len; i += 2) {
        const char *k = g_ptr_array_index(opts, i);
        const char *v = g_ptr_array_index(opts, i + 1);
        if (g_str_equal(k, "id") || g_str_equal(k, "type")) {
            continue;
        }
        if (is_list_option(drv, k)) {
            add_list_value(netdev_core(nd), k, v);
        } else if (ts_class_find_property(TS_OBJECT(nd)->klass, k)) {
            if (!ts_object_set_prop(TS_OBJECT(nd), k, v, errp)) {
                return false;
            }
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter '%s'", k);
            return false;
        }
    }
    return true;
}

/* `opened`: open was called (it may have failed half-way: close copes). */
static void netdev_free(TsNetdev *nd, bool opened)
{
    NetdevCore *core = netdev_core(nd);
    TsNetClient *nc = nd->client;
    /* The NIC sees its cable pulled, as in QEMU. */
    TsNetClient *peer = nc->peer;
    net_client_unpeer(nc);
    if (!exiting && peer && peer->kind == TS_NET_CLIENT_NIC &&
        !peer->link_down) {
        peer->link_down = true;
        if (peer->ops->link_status_changed) {
            peer->ops->link_status_changed(peer);
        }
    }
    if (opened && core->drv->close) {
        core->drv->close(nd);
    }
    net_client_free(nc);
    nd->client = NULL;
    g_hash_table_unref(core->lists);
    g_free(core);
    nd->core = NULL;
    ts_object_unref(TS_OBJECT(nd));
}

TsNetdev *netdev_create(GPtrArray *opts, GError **errp)
{
    const char *id = last_value(opts, "id");
    const char *type = last_value(opts, "type");
    if (!id) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'id' is missing");
        return NULL;
    }
    /* "#net..." ids are the ones -nic and -net generate, as QEMU's. */
    if (!id_wellformed(id) && !(id[0] == '#' && netdev_generated_ids)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'id' expects an identifier");
        return NULL;
    }
    if (netdev_find(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Duplicate ID '%s' for netdev", id);
        return NULL;
    }
    if (!type) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'type' is missing");
        return NULL;
    }
    if (!netdev_type_known(type)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'type' does not accept value '%s'", type);
        return NULL;
    }
    if (!plugin_require(PK_NETDEV, type, errp)) {
        return NULL;
    }
    g_autofree char *tname = g_strconcat(type, TS_NETDEV_SUFFIX, NULL);
    TsObject *obj = ts_object_new(tname, errp);
    if (!obj) {
        return NULL;
    }
    TsNetdev *nd = (TsNetdev *)obj;
    const TsNetdevDriver *drv = netdev_driver_of_class(obj->klass);
    NetdevCore *core = g_new0(NetdevCore, 1);
    core->drv = drv;
    core->lists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_ptr_array_unref);
    nd->core = core;
    TsNetClientKind kind = drv == &net_hubport_driver
                               ? TS_NET_CLIENT_HUBPORT : TS_NET_CLIENT_NETDEV;
    nd->client = net_client_new(kind, drv->ops, nd, id, type);
    nd->client->netdev = nd;
    /* QEMU's text for a backend that adds nothing (a trailing comma). */
    ts_net_client_set_info(nd->client, "index=0,type=%s,", type);
    if (!set_options(nd, drv, opts, errp)) {
        netdev_free(nd, false);
        return NULL;
    }
    if (!drv->open(nd, errp)) {
        netdev_free(nd, true);
        return NULL;
    }
    core->opened = true;
    g_ptr_array_add(netdevs(), nd);
    return nd;
}

void netdev_delete(TsNetdev *nd)
{
    g_ptr_array_remove(netdevs(), nd);
    netdev_free(nd, true);
}

bool netdev_delete_by_id(const char *id, GError **errp)
{
    TsNetdev *nd = netdev_find(id);
    if (!nd) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Device '%s' not found", id);
        return false;
    }
    netdev_delete(nd);
    return true;
}

void netdev_close_all(void)
{
    GPtrArray *all = netdevs();
    exiting = true;
    while (all->len) {
        netdev_delete(g_ptr_array_index(all, all->len - 1));
    }
    exiting = false;
}

/* ---- help ---------------------------------------------------------- */

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_registered(TsObjectClass *klass, void *opaque)
{
    const TsNetdevDriver *drv = netdev_driver_of_class(klass);
    if (drv) {
        g_hash_table_add(opaque, g_strdup(drv->name));
    }
}

void netdev_print_types(FILE *out)
{
    /* The core's and loaded ones, and what the installed plugins'
     * sidecars provide: no plugin is loaded to answer. */
    g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash,
                                                        g_str_equal,
                                                        g_free, NULL);
    ts_type_foreach(TS_TYPE_NETDEV, false, add_registered, names);
    GPtrArray *plugins = plugin_index_plugins();
    for (guint i = 0; i < plugins->len; i++) {
        PluginInfo *info = g_ptr_array_index(plugins, i);
        if (!g_file_test(info->so_path, G_FILE_TEST_EXISTS)) {
            continue;
        }
        for (guint j = 0; j < info->provides->len; j++) {
            PluginProvide *p = g_ptr_array_index(info->provides, j);
            if (p->kind == PK_NETDEV && !p->abstract) {
                g_hash_table_add(names, g_strdup(p->name));
            }
        }
    }
    g_autofree gpointer *list = g_hash_table_get_keys_as_array(names, NULL);
    guint n = g_hash_table_size(names);
    qsort(list, n, sizeof(*list), compare_names);
    fprintf(out, "Available netdev backend types:\n");
    for (guint i = 0; i < n; i++) {
        fprintf(out, "%s\n", (char *)list[i]);
    }
}

bool netdev_print_options(FILE *out, const char *type, GError **errp)
{
    if (!netdev_type_known(type)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'type' does not accept value '%s'", type);
        return false;
    }
    if (!plugin_require(PK_NETDEV, type, errp)) {
        return false;
    }
    g_autofree char *tname = g_strconcat(type, TS_NETDEV_SUFFIX, NULL);
    TsObjectClass *klass = ts_class_by_name(tname);
    const TsNetdevDriver *drv = netdev_driver_of_class(klass);
    g_autofree char *text = object_class_property_help(klass);
    fprintf(out, "%s options:\n%s", type, text);
    for (const char *const *l = drv->list_options; l && *l; l++) {
        fprintf(out, "  %s=<str>  (may be given several times)\n", *l);
    }
    return true;
}
