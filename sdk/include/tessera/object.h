/*
 * tessera/object.h - the object model: types, classes, instances, properties.
 *
 * Everything a user can name on the command line (devices, machines, CPUs,
 * accelerators, block and audio drivers, backends) is a type.  A type has
 * one parent and any number of interfaces, a class struct built once, and
 * instances.  Properties are declared on the class with a table that points
 * at fields of the instance struct, so the core can list, parse and set
 * them generically (`-device NAME,help`, `-global`, `-set`, qom-get).
 *
 * Instance and class structs embed their parent's struct as first member:
 *
 *     typedef struct MyDev { TsDevice parent; uint64_t size; } MyDev;
 *
 * Thread safety: the type registry and property calls are meant to be used
 * with the big lock held (see <tessera/loop.h>).
 */
#ifndef TESSERA_OBJECT_H
#define TESSERA_OBJECT_H

#include <tessera/types.h>

TS_BEGIN_DECLS

typedef struct TsTypeImpl TsTypeImpl;
typedef struct TsObjectClass TsObjectClass;
typedef struct TsObject TsObject;

/* Root of every class struct.  Fields are owned by the core. */
struct TsObjectClass {
    const TsTypeImpl *type;
    void *reserved[7];
};

/* Root of every instance struct.  Fields are owned by the core. */
struct TsObject {
    TsObjectClass *klass;
    TsObject *parent;         /* composition parent, or NULL */
    char *name;               /* name under the parent (an -device id) */
    gint refcount;
    void *priv;               /* core-private bookkeeping */
    void *reserved[4];
};

/* Built-in abstract root types. */
#define TS_TYPE_OBJECT    "object"
#define TS_TYPE_INTERFACE "interface"

/* How a type is declared.  Unused fields may be zero. */
typedef struct TsTypeInfo {
    const char *name;          /* unique, e.g. "virtio-rng-device" */
    const char *parent;        /* parent type name; NULL means "object" */
    const char *description;   /* one line shown by help listings */
    size_t instance_size;      /* 0: same as parent */
    size_t class_size;         /* 0: same as parent */
    bool abstract;             /* cannot be instantiated */
    /* Called once, after the parent's class_init, with class_data. */
    void (*class_init)(TsObjectClass *klass, const void *class_data);
    const void *class_data;
    /* Called for each new instance after the parent's instance_init. */
    void (*instance_init)(TsObject *obj);
    /* Called when the last reference goes, before the parent's; the
     * object's children are already released, its properties still set. */
    void (*instance_finalize)(TsObject *obj);
    /* NULL-terminated list of interface type names, or NULL. */
    const char *const *interfaces;
} TsTypeInfo;

/*
 * Register a type.  Plugins call this from their descriptor's init only.
 * The info struct must stay valid for the life of the process (make it
 * static const).  Returns false and sets errp if the name is taken.
 */
bool ts_type_register(const TsTypeInfo *info, GError **errp);

/* True if a type of that name is registered (it may be lazily loadable too:
 * see ts_type_lookup_or_load in the core; plugins rarely need it). */
bool ts_type_exists(const char *name);

/* True if type `name` is `ancestor`, derives from it or implements it. */
bool ts_type_is_a(const char *name, const char *ancestor);

/* The class of a registered type (class_init runs on first use), or NULL. */
TsObjectClass *ts_class_by_name(const char *name);

/* The class cast to `ancestor` (checked), or NULL if it is not one. */
TsObjectClass *ts_class_dynamic_cast(TsObjectClass *klass,
                                     const char *ancestor);

/*
 * The interface class `iface` of a class that implements it, or NULL.
 * A type's class_init fills in the method table of the interfaces it
 * implements through this call.
 */
void *ts_class_interface(TsObjectClass *klass, const char *iface);

/*
 * Create an instance with one reference, properties at their defaults.
 * Returns NULL and sets errp if the type is unknown or abstract.
 */
TsObject *ts_object_new(const char *type, GError **errp);
TsObject *ts_object_ref(TsObject *obj);
void ts_object_unref(TsObject *obj);

/* The instance cast to `ancestor`, or NULL. */
TsObject *ts_object_dynamic_cast(TsObject *obj, const char *ancestor);

/* Checked downcast for plugin code: aborts on a programming error. */
TsObject *ts_object_check(TsObject *obj, const char *ancestor,
                          const char *file, int line);
#define TS_OBJECT(obj) ((TsObject *)(obj))
#define TS_CHECK(T, obj, type_name) \
    ((T *)ts_object_check(TS_OBJECT(obj), (type_name), __FILE__, __LINE__))

const char *ts_object_type_name(const TsObject *obj);

/*
 * Composition tree.  The machine is "/machine"; devices created from the
 * command line live under "/machine/peripheral/<id>" or
 * "/machine/peripheral-anon/device[N]".  add_child takes a reference.
 */
bool ts_object_add_child(TsObject *parent, const char *name, TsObject *child,
                         GError **errp);
void ts_object_remove_child(TsObject *parent, TsObject *child);
TsObject *ts_object_child(TsObject *parent, const char *name);
void ts_object_foreach_child(TsObject *parent,
                             void (*fn)(TsObject *child, void *opaque),
                             void *opaque);
/* Canonical path of obj (g_free it), or NULL if it is not in the tree. */
char *ts_object_path(const TsObject *obj);

/* ------------------------------------------------------------------ */
/* Properties                                                         */

typedef enum TsPropKind {
    TS_PROP_BOOL,     /* bool field; on/off, yes/no, true/false */
    TS_PROP_INT,      /* int64_t field, range min..max */
    TS_PROP_UINT,     /* uint64_t field, range min..max (as unsigned) */
    TS_PROP_SIZE,     /* uint64_t field; K/M/G/T/P/E suffixes, powers of 2 */
    TS_PROP_STRING,   /* char * field, owned by the object (g_strdup) */
    TS_PROP_ENUM,     /* int field: index into enum_values */
    TS_PROP_LINK,     /* TsObject * field: path or id of a link_type */
} TsPropKind;

typedef struct TsProperty {
    const char *name;
    TsPropKind kind;
    size_t offset;             /* offsetof(Instance, field) */
    const char *description;   /* one line */
    union {
        bool b;
        int64_t i;
        uint64_t u;
        const char *s;         /* string default, or enum value name */
    } def;
    int64_t min, max;          /* INT/UINT; both 0 means unbounded */
    const char *const *enum_values; /* ENUM: NULL-terminated names */
    const char *link_type;     /* LINK: required type of the target */
    bool settable_after_realize;
    void *reserved[2];
} TsProperty;

/* Table helpers: `S` is the instance struct type, `f` the field. */
#define TS_PROP_BOOL(n, S, f, d, desc) \
    { .name = (n), .kind = TS_PROP_BOOL, .offset = offsetof(S, f), \
      .description = (desc), .def.b = (d) }
#define TS_PROP_INT(n, S, f, d, lo, hi, desc) \
    { .name = (n), .kind = TS_PROP_INT, .offset = offsetof(S, f), \
      .description = (desc), .def.i = (d), .min = (lo), .max = (hi) }
#define TS_PROP_UINT(n, S, f, d, desc) \
    { .name = (n), .kind = TS_PROP_UINT, .offset = offsetof(S, f), \
      .description = (desc), .def.u = (d) }
#define TS_PROP_SIZE(n, S, f, d, desc) \
    { .name = (n), .kind = TS_PROP_SIZE, .offset = offsetof(S, f), \
      .description = (desc), .def.u = (d) }
#define TS_PROP_STRING(n, S, f, d, desc) \
    { .name = (n), .kind = TS_PROP_STRING, .offset = offsetof(S, f), \
      .description = (desc), .def.s = (d) }
#define TS_PROP_ENUM(n, S, f, d, values, desc) \
    { .name = (n), .kind = TS_PROP_ENUM, .offset = offsetof(S, f), \
      .description = (desc), .def.s = (d), .enum_values = (values) }
#define TS_PROP_LINK(n, S, f, type, desc) \
    { .name = (n), .kind = TS_PROP_LINK, .offset = offsetof(S, f), \
      .description = (desc), .link_type = (type) }
#define TS_PROP_END { .name = NULL }

/*
 * Attach a property table (terminated by TS_PROP_END) to a class, from its
 * class_init.  The table must stay valid forever.  Subclasses inherit it;
 * a subclass may redeclare a name to change its default.
 */
void ts_class_add_properties(TsObjectClass *klass, const TsProperty *props);

/* Find a property of an object's class or its ancestors, or NULL. */
const TsProperty *ts_class_find_property(TsObjectClass *klass,
                                         const char *name);

/*
 * Parse `value` as the property's kind and store it.  Error messages name
 * the property and say what is expected, e.g.
 *   "Parameter 'size' expects a non-negative number below 2^64".
 * Refused on a realized device unless settable_after_realize.
 */
bool ts_object_set_prop(TsObject *obj, const char *name, const char *value,
                        GError **errp);
/* The property's value formatted as text (g_free it), or NULL + errp. */
char *ts_object_get_prop(TsObject *obj, const char *name, GError **errp);

/* Typed accessors, for code that knows the kind. */
bool ts_object_set_bool(TsObject *obj, const char *name, bool v,
                        GError **errp);
bool ts_object_set_int(TsObject *obj, const char *name, int64_t v,
                       GError **errp);
bool ts_object_set_uint(TsObject *obj, const char *name, uint64_t v,
                        GError **errp);
bool ts_object_set_link(TsObject *obj, const char *name, TsObject *target,
                        GError **errp);

TS_END_DECLS

#endif
