/*
 * core/plugin/plugin-index.c - the table of every installed plugin, from sidecars.
 *
 * Built lazily on the first question, by reading the *.modinfo files of
 * each directory of the search path.  Reading a few small key files costs
 * far less than loading shared objects, and runs no plugin code.  A sidecar
 * whose .so is missing still counts: it lets the core say which package to
 * install instead of just "not found".
 */
#include "plugins.h"

#include <stdio.h>

static GPtrArray *index_plugins;     /* of PluginInfo, search order */
static GHashTable *index_by_name;    /* plugin name -> PluginInfo */

void plugin_index_reset(void)
{
    g_clear_pointer(&index_plugins, g_ptr_array_unref);
    g_clear_pointer(&index_by_name, g_hash_table_unref);
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d) {
        return;
    }
    /* Sorted, so listings and conflicts do not depend on readdir order. */
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;
    while ((entry = g_dir_read_name(d))) {
        if (g_str_has_suffix(entry, ".modinfo")) {
            g_ptr_array_add(names, g_strdup(entry));
        }
    }
    g_ptr_array_sort(names, compare_strings);

    for (guint i = 0; i < names->len; i++) {
        const char *file = g_ptr_array_index(names, i);
        g_autofree char *path = g_build_filename(dir, file, NULL);
        g_autoptr(GError) err = NULL;
        PluginInfo *info = modinfo_read(path, &err);
        if (!info) {
            /* A broken sidecar hides one plugin, not the whole index. */
            fprintf(stderr, "warning: ignoring plugin sidecar %s\n",
                    err->message);
            continue;
        }
        if (g_hash_table_contains(index_by_name, info->name)) {
            plugin_info_free(info);      /* an earlier directory wins */
            continue;
        }
        info->modinfo_path = g_steal_pointer(&path);
        g_autofree char *so = g_strconcat(info->name, ".so", NULL);
        info->so_path = g_build_filename(dir, so, NULL);
        g_ptr_array_add(index_plugins, info);
        g_hash_table_insert(index_by_name, info->name, info);
    }
}

static void ensure_index(void)
{
    if (index_plugins) {
        return;
    }
    index_plugins = g_ptr_array_new_with_free_func(
        (GDestroyNotify)plugin_info_free);
    index_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) dirs = plugin_path_dirs();
    for (guint i = 0; i < dirs->len; i++) {
        scan_dir(g_ptr_array_index(dirs, i));
    }
}

GPtrArray *plugin_index_plugins(void)
{
    ensure_index();
    return index_plugins;
}

const PluginProvide *plugin_index_find(PluginKind kind, const char *name,
                                       PluginInfo **owner)
{
    ensure_index();
    for (guint i = 0; i < index_plugins->len; i++) {
        PluginInfo *info = g_ptr_array_index(index_plugins, i);
        for (guint j = 0; j < info->provides->len; j++) {
            const PluginProvide *p = g_ptr_array_index(info->provides, j);
            if (p->kind == kind && g_str_equal(p->name, name)) {
                if (owner) {
                    *owner = info;
                }
                return p;
            }
        }
    }
    return NULL;
}

PluginInfo *plugin_index_find_type(const char *type_name)
{
    ensure_index();
    for (guint i = 0; i < index_plugins->len; i++) {
        PluginInfo *info = g_ptr_array_index(index_plugins, i);
        for (guint j = 0; j < info->provides->len; j++) {
            const PluginProvide *p = g_ptr_array_index(info->provides, j);
            if (p->type_name && g_str_equal(p->type_name, type_name)) {
                return info;
            }
        }
    }
    return NULL;
}
