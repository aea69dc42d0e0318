/*
 * core/object/object-internal.h - what object.c, object-props.c and
 * object-tree.c share.
 */
#ifndef TESSERA_CORE_OBJECT_INTERNAL_H
#define TESSERA_CORE_OBJECT_INTERNAL_H

#include "object-hooks.h"

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
