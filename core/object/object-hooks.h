/*
 * core/object/object-hooks.h - object model hooks for the loader and the CLI.
 */
#ifndef TESSERA_CORE_OBJECT_HOOKS_H
#define TESSERA_CORE_OBJECT_HOOKS_H

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

/* Called by ts_object_new() on every new object after its instance_init
 * (-global defaults, for devices a board creates as well as -device ones);
 * false + errp makes ts_object_new() fail with that error. */
void object_registry_set_post_init(bool (*fn)(TsObject *obj, GError **errp));

/* `-device NAME,help`: one line per property, sorted (g_free it). */
char *object_class_property_help(TsObjectClass *klass);

/* ---- shared by object.c, object-props.c and object-tree.c only ---- */

/* Core-private bookkeeping behind TsObject.priv. */
typedef struct ObjectPriv {
    GPtrArray *children;     /* of TsObject *, insertion order */
} ObjectPriv;

/* The property tables a class added itself (not inherited ones). */
GPtrArray *object_class_prop_tables(TsObjectClass *klass);
/* The parent class, or NULL at a root type. */
TsObjectClass *object_class_parent(TsObjectClass *klass);

/* Store every property default, the root type's first, so a subclass's
 * redeclared default wins; runs before any instance_init. */
void object_apply_defaults(TsObject *obj);
/* Free what the property table owns: strings and link references. */
void object_release_props(TsObject *obj);
/* Drop the references obj holds on its children (obj is being
 * finalized). */
void object_tree_release(TsObject *obj);

#endif
