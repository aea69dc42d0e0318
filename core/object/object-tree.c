/*
 * core/object/object-tree.c - the composition tree ("/machine/peripheral/x").
 */
#include "object-internal.h"
#include "object-introspect.h"
#include "device/devices.h"

#include <tessera/device.h>

static TsObject *root;

static ObjectPriv *priv(const TsObject *obj)
{
    return obj->priv;
}

TsObject *ts_object_root(void)
{
    if (!root) {
        root = ts_object_new("container", NULL);
    }
    return root;
}

TS_EXPORT TsObject *ts_object_child(TsObject *parent, const char *name)
{
    GPtrArray *children = priv(parent)->children;
    for (guint i = 0; children && i < children->len; i++) {
        TsObject *c = g_ptr_array_index(children, i);
        if (g_str_equal(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

TS_EXPORT bool ts_object_add_child(TsObject *parent, const char *name,
                                   TsObject *child, GError **errp)
{
    if (!name || !*name || strchr(name, '/')) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is not a valid object name", name ? name : "");
        return false;
    }
    if (child->parent) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "object '%s' already has a parent", child->name);
        return false;
    }
    for (const TsObject *a = parent; a; a = a->parent) {
        if (a == child || child == root) {
            /* Each would hold the other: a loop in the tree and a leak. */
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "object '%s' cannot be its own descendant", name);
            return false;
        }
    }
    if (ts_object_child(parent, name)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Duplicate ID '%s'", name);
        return false;
    }
    ObjectPriv *p = priv(parent);
    if (!p->children) {
        p->children = g_ptr_array_new();
    }
    g_ptr_array_add(p->children, ts_object_ref(child));
    child->parent = parent;
    g_free(child->name);
    child->name = g_strdup(name);
    return true;
}

TS_EXPORT void ts_object_remove_child(TsObject *parent, TsObject *child)
{
    GPtrArray *children = priv(parent)->children;
    if (!children || child->parent != parent ||
        !g_ptr_array_remove(children, child)) {
        return;
    }
    TsDevice *dev = (TsDevice *)ts_object_dynamic_cast(child, TS_TYPE_DEVICE);
    if (dev && dev->realized) {
        ts_device_unrealize(dev);
    }
    child->parent = NULL;
    ts_object_unref(child);
}

TS_EXPORT void ts_object_foreach_child(TsObject *parent,
                                       void (*fn)(TsObject *, void *),
                                       void *opaque)
{
    GPtrArray *children = priv(parent)->children;
    if (!children) {
        return;
    }
    /* A snapshot, so fn may remove children. */
    g_autoptr(GPtrArray) copy = g_ptr_array_copy(children, NULL, NULL);
    for (guint i = 0; i < copy->len; i++) {
        fn(g_ptr_array_index(copy, i), opaque);
    }
}

TsObject *ts_object_resolve_path(const char *path)
{
    if (!path || path[0] != '/') {
        return NULL;
    }
    TsObject *obj = ts_object_root();
    g_auto(GStrv) parts = g_strsplit(path + 1, "/", -1);
    for (char **p = parts; *p && obj; p++) {
        if (**p) {
            obj = ts_object_child(obj, *p);
        }
    }
    return obj;
}

TS_EXPORT char *ts_object_path(const TsObject *obj)
{
    if (obj == root) {
        return g_strdup("/");
    }
    GString *path = g_string_new(NULL);
    for (; obj && obj != root; obj = obj->parent) {
        if (!obj->parent || !obj->name) {
            g_string_free(path, true);
            return NULL;            /* not attached to the tree */
        }
        g_string_prepend(path, obj->name);
        g_string_prepend_c(path, '/');
    }
    return g_string_free(path, false);
}

/* Called when obj is finalized: drop the references it holds. */
void object_tree_release(TsObject *obj)
{
    GPtrArray *children = priv(obj)->children;
    if (!children) {
        return;
    }
    while (children->len) {
        TsObject *c = g_ptr_array_steal_index(children, children->len - 1);
        c->parent = NULL;
        ts_object_unref(c);
    }
    g_ptr_array_unref(children);
    priv(obj)->children = NULL;
}
