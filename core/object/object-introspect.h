/*
 * core/object/object-introspect.h - walking types, properties and the
 * composition tree, for help listings and the monitors' QOM commands.
 * Plugins do not need these: they know the types they register, and a
 * board reaches its devices through its own pointers.
 */
#ifndef TESSERA_CORE_OBJECT_INTROSPECT_H
#define TESSERA_CORE_OBJECT_INTROSPECT_H

#include <tessera/object.h>

/* Call fn for every registered type that is_a `ancestor` (NULL: all). */
void ts_type_foreach(const char *ancestor, bool include_abstract,
                     void (*fn)(TsObjectClass *klass, void *opaque),
                     void *opaque);

/* Name, parent name and description of a class's type. */
const char *ts_class_name(const TsObjectClass *klass);
const char *ts_class_parent_name(const TsObjectClass *klass);
const char *ts_class_description(const TsObjectClass *klass);
bool ts_class_is_abstract(const TsObjectClass *klass);

/* Call fn for each property of the class, own first, then inherited. */
void ts_class_foreach_property(TsObjectClass *klass,
                               void (*fn)(const TsProperty *prop,
                                          void *opaque),
                               void *opaque);

/* Text form of a property's default (g_free it); NULL when it has none. */
char *ts_prop_default_text(const TsProperty *prop);

/* Human name of a property kind for help output ("bool", "size", ...). */
const char *ts_prop_kind_name(TsPropKind kind);

/* The root of the tree ("/"). */
TsObject *ts_object_root(void);

/* "/machine/peripheral/x"; NULL if not found. */
TsObject *ts_object_resolve_path(const char *path);

#endif
