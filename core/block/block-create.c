/*
 * core/block/block-create.c - making new images through a driver's
 * create hook, and -snapshot's temporary overlay made with it.
 *
 * A driver declares its creation options as a property table over a
 * struct of its own; the core fills a zeroed struct from the defaults and
 * the user's values, with the same syntax as every other property (sizes
 * with suffixes, on/off, enum names), calls create, and frees the
 * strings.
 */
#include "block-internal.h"
#include "plugin/plugins.h"
#include "util/parse.h"

#include <errno.h>
#include <unistd.h>

static bool set_field(const TsProperty *p, void *base, const char *value,
                      GError **errp)
{
    void *field = (uint8_t *)base + p->offset;
    uint64_t u;
    int64_t i;
    bool b;
    switch (p->kind) {
    case TS_PROP_BOOL:
        if (!ts_parse_bool(p->name, value, &b, errp)) {
            return false;
        }
        *(bool *)field = b;
        return true;
    case TS_PROP_INT:
        if (!ts_parse_int(p->name, value, &i, errp)) {
            return false;
        }
        *(int64_t *)field = i;
        return true;
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        if (!(p->kind == TS_PROP_SIZE ? ts_parse_size(p->name, value, &u, errp)
                                      : ts_parse_uint(p->name, value, &u,
                                                      errp))) {
            return false;
        }
        *(uint64_t *)field = u;
        return true;
    case TS_PROP_STRING:
        g_free(*(char **)field);
        *(char **)field = g_strdup(value);
        return true;
    case TS_PROP_ENUM:
        for (int n = 0; p->enum_values && p->enum_values[n]; n++) {
            if (g_str_equal(p->enum_values[n], value)) {
                *(int *)field = n;
                return true;
            }
        }
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter '%s' does not accept value '%s'", p->name,
                    value);
        return false;
    case TS_PROP_LINK:
        break;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter '%s' cannot be given here", p->name);
    return false;
}

static void set_default(const TsProperty *p, void *base)
{
    void *field = (uint8_t *)base + p->offset;
    switch (p->kind) {
    case TS_PROP_BOOL:
        *(bool *)field = p->def.b;
        break;
    case TS_PROP_INT:
        *(int64_t *)field = p->def.i;
        break;
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        *(uint64_t *)field = p->def.u;
        break;
    case TS_PROP_STRING:
        *(char **)field = g_strdup(p->def.s);
        break;
    case TS_PROP_ENUM:
        set_field(p, base, p->def.s ? p->def.s : "", NULL);
        break;
    case TS_PROP_LINK:
        break;
    }
}

bool block_create_opt_set(const TsProperty *p, void *opts, const char *value,
                          GError **errp)
{
    return set_field(p, opts, value, errp);
}

void block_create_opt_default(const TsProperty *p, void *opts)
{
    set_default(p, opts);
}

bool block_create_image(const char *driver, const char *filename,
                        BlockOpts *opts, GError **errp)
{
    g_autoptr(GHashTable) o = opts;
    if (!plugin_require(PK_BLOCKDRIVER, driver, errp)) {
        return false;
    }
    g_autofree char *type = g_strconcat(driver, TS_BLOCK_DRIVER_SUFFIX, NULL);
    TsObjectClass *k = ts_class_by_name(type);
    const TsBlockDriver *drv = k ? block_driver_of_class(k) : NULL;
    if (!drv || !drv->create) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Driver '%s' does not support image creation", driver);
        return false;
    }
    void *base = g_malloc0(MAX(drv->create_opts_size, 1));
    const TsProperty *table = drv->create_options;
    bool ok = true;
    for (const TsProperty *p = table; p && p->name; p++) {
        set_default(p, base);
    }
    for (const TsProperty *p = table; ok && p && p->name; p++) {
        g_autofree char *v = block_opts_take(o, p->name);
        if (v) {
            ok = set_field(p, base, v, errp);
        }
    }
    const char *left = ok ? block_opts_first_key(o) : NULL;
    if (left) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid parameter '%s'", left);
        ok = false;
    }
    if (ok) {
        ok = drv->create(filename, base, errp);
    }
    for (const TsProperty *p = table; p && p->name; p++) {
        if (p->kind == TS_PROP_STRING) {
            g_free(*(char **)((uint8_t *)base + p->offset));
        }
    }
    g_free(base);
    return ok;
}

bool block_snapshot_overlay(TsBlockNode **node, GError **errp)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("vl.XXXXXX", &path, errp);
    if (fd < 0) {
        return false;
    }
    close(fd);
    TsBlockNode *base = *node;
    BlockOpts *copts = block_opts_new();
    g_hash_table_insert(copts, g_strdup("size"),
                        g_strdup_printf("%" G_GINT64_FORMAT,
                                        block_node_get_length(base)));
    g_hash_table_insert(copts, g_strdup("backing_file"),
                        g_strdup(ts_block_node_filename(base)));
    g_hash_table_insert(copts, g_strdup("backing_fmt"),
                        g_strdup(block_node_driver_name(base)));
    if (!block_create_image("qcow2", path, copts, errp)) {
        unlink(path);
        return false;
    }
    BlockOpts *o = block_opts_new();
    g_hash_table_insert(o, g_strdup("driver"), g_strdup("qcow2"));
    g_hash_table_insert(o, g_strdup("file.driver"), g_strdup("file"));
    g_hash_table_insert(o, g_strdup("file.filename"), g_strdup(path));
    g_hash_table_insert(o, g_strdup("backing"),
                        g_strdup(ts_block_node_name(base)));
    unsigned f = ts_block_node_open_flags(base);
    g_hash_table_insert(o, g_strdup("cache.direct"),
                        g_strdup(f & TS_BLOCK_OPEN_DIRECT ? "on" : "off"));
    g_hash_table_insert(o, g_strdup("cache.no-flush"),
                        g_strdup(f & TS_BLOCK_OPEN_NO_FLUSH ? "on" : "off"));
    TsBlockNode *overlay = block_node_open(o, false, errp);
    /* Gone from the directory now; the open file lives until exit. */
    unlink(path);
    if (!overlay) {
        return false;
    }
    block_node_unref(base);     /* the overlay's backing edge holds it */
    *node = overlay;
    return true;
}
