/*
 * core/object-internal.h - object model hooks for the loader and the CLI.
 */
#ifndef TESSERA_CORE_OBJECT_INTERNAL_H
#define TESSERA_CORE_OBJECT_INTERNAL_H

#include <tessera/object.h>

/* Register the built-in abstract types; idempotent. */
void object_core_init(void);

/* Called after every successful ts_type_register (plugin bookkeeping). */
void object_registry_set_observer(void (*fn)(const TsTypeInfo *info,
                                             void *opaque),
                                  void *opaque);

/* Called when a lookup by name finds no type; returns true if it made the
 * type appear (by loading a plugin), and the lookup is retried once. */
void object_registry_set_resolver(bool (*fn)(const char *type_name,
                                             void *opaque),
                                  void *opaque);

/* `-device NAME,help`: one line per property, sorted (g_free it). */
char *object_class_property_help(TsObjectClass *klass);

/* object.c internals shared with object-props.c and object-tree.c. */
typedef struct ObjectPriv {
    GPtrArray *children;     /* of TsObject *, insertion order */
} ObjectPriv;

/* Walk from the root type to the object's own type (for defaults and
 * instance_init) or back (for finalize). */
void object_apply_defaults(TsObject *obj);
void object_release_props(TsObject *obj);
void object_tree_release(TsObject *obj);

#endif
