/*
 * core/object/object.c - types and classes, and instance life cycle.
 *
 * A type is registered by name with its parent's name only: parents are
 * resolved when the class is first needed, so a plugin may register a
 * type before the plugin with its parent is loaded (the resolver loads
 * it).  A class struct starts as a copy of the parent's, so subclasses
 * inherit methods and only override what they set in class_init.
 */
#include "object-internal.h"
#include "object-introspect.h"

#include <stdio.h>
#include <stdlib.h>

struct TsTypeImpl {
    const TsTypeInfo *info;
    TsTypeImpl *parent;         /* resolved with the class */
    TsObjectClass *klass;       /* NULL until first use */
    size_t class_size, instance_size;
    GPtrArray *props;           /* of const TsProperty * tables, own */
    GHashTable *ifaces;         /* interface name -> interface struct */
    bool initializing;
};

static GHashTable *types;      /* name -> TsTypeImpl */
static void (*observer)(const TsTypeInfo *, void *);
static void *observer_opaque;
static bool (*resolver)(const char *, void *);
static void *resolver_opaque;
static bool (*post_init)(TsObject *, GError **);

void object_registry_set_observer(void (*fn)(const TsTypeInfo *, void *),
                                  void *opaque)
{
    observer = fn;
    observer_opaque = opaque;
}

void object_registry_set_resolver(bool (*fn)(const char *, void *),
                                  void *opaque)
{
    resolver = fn;
    resolver_opaque = opaque;
}

void object_registry_set_post_init(bool (*fn)(TsObject *, GError **))
{
    post_init = fn;
}

/* ---- registry ------------------------------------------------------- */

static bool register_type(const TsTypeInfo *info, GError **errp)
{
    if (!info->name || !*info->name) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "a type needs a name");
        return false;
    }
    if (g_hash_table_contains(types, info->name)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "type '%s' is already registered", info->name);
        return false;
    }
    TsTypeImpl *ti = g_new0(TsTypeImpl, 1);
    ti->info = info;
    g_hash_table_insert(types, (gpointer)info->name, ti);
    return true;
}

static const TsTypeInfo object_types[] = {
    { .name = TS_TYPE_OBJECT, .abstract = true,
      .class_size = sizeof(TsObjectClass), .instance_size = sizeof(TsObject) },
    { .name = TS_TYPE_INTERFACE, .abstract = true },
    { .name = "container", .parent = TS_TYPE_OBJECT,
      .description = "a node of the object tree" },
};

static GPtrArray *core_inits;           /* of void (*)(void) */
static void (*pre_finalize)(TsObject *obj);

void object_core_init_add(void (*fn)(void))
{
    if (!core_inits) {
        core_inits = g_ptr_array_new();
    }
    g_ptr_array_add(core_inits, (gpointer)fn);
}

void object_core_type(const TsTypeInfo *info)
{
    g_autoptr(GError) err = NULL;
    if (!register_type(info, &err)) {
        g_error("core type: %s", err->message);
    }
}

bool object_register_driver_type(const char *name, const char *suffix,
                                 const char *parent, const char *description,
                                 size_t instance_size,
                                 void (*class_init)(TsObjectClass *klass,
                                                    const void *data),
                                 const void *driver, GError **errp)
{
    TsTypeInfo *info = g_new0(TsTypeInfo, 1);
    *info = (TsTypeInfo){
        .name = g_strconcat(name, suffix, NULL),
        .parent = parent,
        .description = description,
        .instance_size = instance_size,
        .class_init = class_init,
        .class_data = driver,
    };
    if (!ts_type_register(info, errp)) {
        g_free((char *)info->name);
        g_free(info);
        return false;
    }
    return true;
}

void object_registry_set_pre_finalize(void (*fn)(TsObject *obj))
{
    pre_finalize = fn;
}

void object_core_init(void)
{
    if (types) {
        return;
    }
    types = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < G_N_ELEMENTS(object_types); i++) {
        object_core_type(&object_types[i]);
    }
    for (guint i = 0; core_inits && i < core_inits->len; i++) {
        ((void (*)(void))g_ptr_array_index(core_inits, i))();
    }
}

TS_EXPORT bool ts_type_register(const TsTypeInfo *info, GError **errp)
{
    object_core_init();
    if (!register_type(info, errp)) {
        return false;
    }
    if (observer) {
        observer(info, observer_opaque);
    }
    return true;
}

/* Find a type; with `load`, ask the resolver (plugin loader) once. */
static TsTypeImpl *type_find(const char *name, bool load)
{
    object_core_init();
    if (!name) {
        return NULL;
    }
    TsTypeImpl *ti = g_hash_table_lookup(types, name);
    if (!ti && load && resolver && resolver(name, resolver_opaque)) {
        ti = g_hash_table_lookup(types, name);
    }
    return ti;
}

static const char *parent_name(const TsTypeImpl *ti)
{
    if (ti->info->parent) {
        return ti->info->parent;
    }
    return g_str_equal(ti->info->name, TS_TYPE_OBJECT) ||
           g_str_equal(ti->info->name, TS_TYPE_INTERFACE) ? NULL
                                                          : TS_TYPE_OBJECT;
}

TS_EXPORT bool ts_type_exists(const char *name)
{
    return type_find(name, false) != NULL;
}

/* Deep enough for any real hierarchy; a malformed plugin could register a
 * parent cycle or an interface that implements itself. */
#define MAX_TYPE_DEPTH 64

static bool type_is_a_depth(TsTypeImpl *ti, const char *ancestor, int depth);

/* An interface counts with its own ancestors (an interface may extend
 * another), but not the abstract "interface" root: a device that
 * implements interfaces is not itself an interface.  Listed names that
 * are not interface types count for nothing: a class that lists "device"
 * must not pass for one, its struct is not a TsDeviceClass. */
static bool implements(TsTypeImpl *ti, const char *ancestor, int depth)
{
    if (g_str_equal(ancestor, TS_TYPE_INTERFACE)) {
        return false;
    }
    for (const char *const *l = ti->info->interfaces; l && *l; l++) {
        TsTypeImpl *iface = type_find(*l, true);
        if (iface &&
            type_is_a_depth(iface, TS_TYPE_INTERFACE, depth + 1) &&
            type_is_a_depth(iface, ancestor, depth + 1)) {
            return true;
        }
    }
    return false;
}

static bool type_is_a_depth(TsTypeImpl *ti, const char *ancestor, int depth)
{
    for (; ti && depth < MAX_TYPE_DEPTH; depth++) {
        if (g_str_equal(ti->info->name, ancestor) ||
            implements(ti, ancestor, depth)) {
            return true;
        }
        ti = type_find(parent_name(ti), true);
    }
    return false;
}

static bool type_is_a(TsTypeImpl *ti, const char *ancestor)
{
    return type_is_a_depth(ti, ancestor, 0);
}

/* Interface types are never instantiated, whether or not their info says
 * abstract: they only describe a method table. */
static bool type_is_abstract(TsTypeImpl *ti)
{
    return ti->info->abstract || type_is_a(ti, TS_TYPE_INTERFACE);
}

TS_EXPORT bool ts_type_is_a(const char *name, const char *ancestor)
{
    TsTypeImpl *ti = type_find(name, false);
    return ti && ancestor && type_is_a(ti, ancestor);
}

/* ---- classes -------------------------------------------------------- */

static TsObjectClass *class_ensure(TsTypeImpl *ti);

/*
 * Each implementing class owns a copy of every interface struct it has:
 * inherited ones start as the parent's (methods included, so a subclass
 * overrides only what it sets), new ones as the interface's own class.
 */
static void inherit_interfaces(TsTypeImpl *ti)
{
    ti->ifaces = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    if (ti->parent && ti->parent->ifaces) {
        GHashTableIter it;
        gpointer key, value;
        g_hash_table_iter_init(&it, ti->parent->ifaces);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            TsTypeImpl *iface = type_find(key, false);
            g_hash_table_insert(ti->ifaces, key,
                                g_memdup2(value, iface->class_size));
        }
    }
    for (const char *const *l = ti->info->interfaces; l && *l; l++) {
        if (g_hash_table_contains(ti->ifaces, *l)) {
            continue;               /* re-listed: keep the parent's methods */
        }
        TsTypeImpl *iface = type_find(*l, true);
        if (!iface || !type_is_a(iface, TS_TYPE_INTERFACE) ||
            !class_ensure(iface)) {
            /* A plugin bug, not user input: say so and carry on without
             * it, so ts_class_interface() returns NULL for it. */
            g_printerr("warning: type '%s' implements '%s', which is not "
                       "a registered interface type\n", ti->info->name, *l);
            continue;
        }
        gpointer copy = g_memdup2(iface->klass, iface->class_size);
        ((TsObjectClass *)copy)->type = iface;
        g_hash_table_insert(ti->ifaces, (gpointer)iface->info->name, copy);
    }
}

static TsObjectClass *class_ensure(TsTypeImpl *ti)
{
    if (ti->klass || ti->initializing) {
        return ti->klass;
    }
    ti->initializing = true;
    const char *pname = parent_name(ti);
    if (pname) {
        ti->parent = type_find(pname, true);
        if (!ti->parent || !class_ensure(ti->parent)) {
            ti->initializing = false;
            return NULL;            /* parent missing: type unusable */
        }
    }
    size_t pclass = ti->parent ? ti->parent->class_size
                               : sizeof(TsObjectClass);
    size_t pinst = ti->parent ? ti->parent->instance_size : sizeof(TsObject);
    ti->class_size = MAX(ti->info->class_size, pclass);
    ti->instance_size = MAX(ti->info->instance_size, pinst);
    TsObjectClass *klass = g_malloc0(ti->class_size);
    if (ti->parent) {
        memcpy(klass, ti->parent->klass, pclass);
    }
    klass->type = ti;
    ti->props = g_ptr_array_new();
    inherit_interfaces(ti);
    ti->klass = klass;              /* visible to class_init's calls */
    if (ti->info->class_init) {
        ti->info->class_init(klass, ti->info->class_data);
    }
    ti->initializing = false;
    return klass;
}

TS_EXPORT TsObjectClass *ts_class_by_name(const char *name)
{
    TsTypeImpl *ti = type_find(name, true);
    return ti ? class_ensure(ti) : NULL;
}

const char *ts_class_name(const TsObjectClass *klass)
{
    return klass->type->info->name;
}

const char *ts_class_parent_name(const TsObjectClass *klass)
{
    return parent_name(klass->type);
}

const char *ts_class_description(const TsObjectClass *klass)
{
    return klass->type->info->description;
}

bool ts_class_is_abstract(const TsObjectClass *klass)
{
    return type_is_abstract((TsTypeImpl *)klass->type);
}

TS_EXPORT TsObjectClass *ts_class_dynamic_cast(TsObjectClass *klass,
                                               const char *ancestor)
{
    return klass && type_is_a((TsTypeImpl *)klass->type, ancestor) ? klass
                                                                   : NULL;
}

/*
 * Asking for an ancestor of an implemented interface gives the derived
 * interface's struct, which embeds the ancestor's as its first member.
 */
TS_EXPORT void *ts_class_interface(TsObjectClass *klass, const char *iface)
{
    TsTypeImpl *ti = klass ? (TsTypeImpl *)klass->type : NULL;
    if (!ti || !ti->ifaces || !iface) {
        return NULL;
    }
    void *found = g_hash_table_lookup(ti->ifaces, iface);
    if (!found && !g_str_equal(iface, TS_TYPE_INTERFACE)) {
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, ti->ifaces);
        while (!found && g_hash_table_iter_next(&it, NULL, &value)) {
            TsTypeImpl *impl = (TsTypeImpl *)((TsObjectClass *)value)->type;
            found = type_is_a(impl, iface) ? value : NULL;
        }
    }
    return found;
}

static int compare_type_names(gconstpointer a, gconstpointer b)
{
    const TsTypeImpl *ta = *(TsTypeImpl *const *)a;
    const TsTypeImpl *tb = *(TsTypeImpl *const *)b;
    return strcmp(ta->info->name, tb->info->name);
}

void ts_type_foreach(const char *ancestor, bool include_abstract,
                               void (*fn)(TsObjectClass *, void *),
                               void *opaque)
{
    object_core_init();
    /* Snapshot first: fn may register types (by loading plugins). */
    g_autoptr(GPtrArray) list = g_ptr_array_new();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, types);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        g_ptr_array_add(list, value);
    }
    g_ptr_array_sort(list, compare_type_names);
    for (guint i = 0; i < list->len; i++) {
        TsTypeImpl *ti = g_ptr_array_index(list, i);
        if ((!include_abstract && type_is_abstract(ti)) ||
            (ancestor && !type_is_a(ti, ancestor))) {
            continue;
        }
        TsObjectClass *klass = class_ensure(ti);
        if (klass) {
            fn(klass, opaque);
        }
    }
}

GPtrArray *object_class_prop_tables(TsObjectClass *klass)
{
    return ((TsTypeImpl *)klass->type)->props;
}

TsObjectClass *object_class_parent(TsObjectClass *klass)
{
    TsTypeImpl *parent = ((TsTypeImpl *)klass->type)->parent;
    return parent ? parent->klass : NULL;
}

/* ---- instances ------------------------------------------------------ */

static void run_instance_init(TsTypeImpl *ti, TsObject *obj)
{
    if (ti->parent) {
        run_instance_init(ti->parent, obj);
    }
    if (ti->info->instance_init) {
        ti->info->instance_init(obj);
    }
}

/* The first ancestor of ti that is not registered (or the type where a
 * parent loop closes), for the message when a class cannot be built. */
static const char *missing_ancestor(TsTypeImpl *ti)
{
    const char *name = parent_name(ti);
    for (int depth = 0; name && depth < MAX_TYPE_DEPTH; depth++) {
        TsTypeImpl *up = type_find(name, false);
        if (!up) {
            return name;
        }
        name = parent_name(up);
    }
    return name ? name : "?";
}

TS_EXPORT TsObject *ts_object_new(const char *type, GError **errp)
{
    TsTypeImpl *ti = type_find(type, true);
    if (!ti) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "type '%s' not found", type ? type : "(null)");
        return NULL;
    }
    if (!class_ensure(ti)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "type '%s' cannot be used: its ancestor type '%s' is not "
                    "available", type, missing_ancestor(ti));
        return NULL;
    }
    if (type_is_abstract(ti)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "type '%s' is abstract and cannot be instantiated", type);
        return NULL;
    }
    TsObject *obj = g_malloc0(ti->instance_size);
    obj->klass = ti->klass;
    obj->refcount = 1;
    obj->priv = g_new0(ObjectPriv, 1);
    object_apply_defaults(obj);
    run_instance_init(ti, obj);
    if (post_init && !post_init(obj, errp)) {
        ts_object_unref(obj);
        return NULL;
    }
    return obj;
}

TS_EXPORT TsObject *ts_object_ref(TsObject *obj)
{
    if (obj) {
        g_atomic_int_inc(&obj->refcount);
    }
    return obj;
}

/*
 * Teardown mirrors construction: a realized device is unrealized first,
 * then its children (its parts) go, then each type's finalize runs from
 * the object's own type up to the root, and last the core frees what the
 * property table owns (strings, link references), so finalize may still
 * read its properties.
 */
static void finalize(TsObject *obj)
{
    if (pre_finalize) {
        pre_finalize(obj);
    }
    object_tree_release(obj);
    for (TsTypeImpl *ti = (TsTypeImpl *)obj->klass->type; ti;
         ti = ti->parent) {
        if (ti->info->instance_finalize) {
            ti->info->instance_finalize(obj);
        }
    }
    object_release_props(obj);
    g_free(obj->name);
    g_free(obj->priv);
    g_free(obj);
}

TS_EXPORT void ts_object_unref(TsObject *obj)
{
    if (obj && g_atomic_int_dec_and_test(&obj->refcount)) {
        finalize(obj);
    }
}

TS_EXPORT TsObject *ts_object_dynamic_cast(TsObject *obj,
                                           const char *ancestor)
{
    return obj && ts_class_dynamic_cast(obj->klass, ancestor) ? obj : NULL;
}

TS_EXPORT TsObject *ts_object_check(TsObject *obj, const char *ancestor,
                                    const char *file, int line)
{
    if (!ts_object_dynamic_cast(obj, ancestor)) {
        /* A plugin bug, not user input: stop loudly where it happened. */
        fprintf(stderr, "%s:%d: object of type '%s' is not a '%s'\n", file,
                line, obj ? ts_object_type_name(obj) : "(null)", ancestor);
        abort();
    }
    return obj;
}

TS_EXPORT const char *ts_object_type_name(const TsObject *obj)
{
    return obj->klass->type->info->name;
}
