/*
 * core/block/block-amend.c - changing an existing image's options through
 * its driver's amend hook: the image tool's amend (-o name=value, named
 * as for image creation) and the header rewrite its rebase needs (a new
 * backing file name and format).  The options land in a create_options
 * struct as for create; the driver is told which names were given, and
 * leaves everything else as the image has it.
 */
#include "block-internal.h"

#include <string.h>

bool block_can_amend(TsBlockNode *node)
{
    return node->driver->amend != NULL;
}

bool block_amend_image(TsBlockNode *node, BlockOpts *opts, GError **errp)
{
    g_autoptr(GHashTable) o = opts;
    const TsBlockDriver *drv = node->driver;
    if (!drv->amend) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Format driver '%s' does not support option amendment",
                    drv->name);
        return false;
    }
    void *base = g_malloc0(MAX(drv->create_opts_size, 1));
    g_autoptr(GPtrArray) given = g_ptr_array_new_with_free_func(g_free);
    bool ok = true;
    for (const TsProperty *p = drv->create_options; p && p->name; p++) {
        block_create_opt_default(p, base);
    }
    for (const TsProperty *p = drv->create_options; ok && p && p->name; p++) {
        g_autofree char *v = block_opts_take(o, p->name);
        if (v) {
            ok = block_create_opt_set(p, base, v, errp);
            g_ptr_array_add(given, g_strdup(p->name));
        }
    }
    const char *left = ok ? block_opts_first_key(o) : NULL;
    if (left) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid parameter '%s'", left);
        ok = false;
    }
    g_ptr_array_add(given, NULL);
    if (ok) {
        block_node_drain(node);
        ok = drv->amend(node, base, (const char *const *)given->pdata, errp);
    }
    for (const TsProperty *p = drv->create_options; p && p->name; p++) {
        if (p->kind == TS_PROP_STRING) {
            g_free(*(char **)((uint8_t *)base + p->offset));
        }
    }
    g_free(base);
    return ok;
}

bool block_change_backing_file(TsBlockNode *node, const char *backing_file,
                               const char *backing_fmt, GError **errp)
{
    BlockOpts *o = block_opts_new();
    g_hash_table_replace(o, g_strdup("backing_file"),
                         g_strdup(backing_file ? backing_file : ""));
    g_hash_table_replace(o, g_strdup("backing_fmt"),
                         g_strdup(backing_fmt ? backing_fmt : ""));
    return block_amend_image(node, o, errp);
}
