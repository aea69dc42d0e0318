/*
 * core/object/object-props.c - typed properties: defaults, parsing, formatting.
 *
 * A property is a row in a static table pointing at a field of the
 * instance struct, so one generic piece of code can list, parse, set and
 * print every property of every device, and `-device NAME,help`, -global
 * and qom-get need nothing from the device itself.
 */
#include "object-internal.h"
#include "object-introspect.h"
#include "util/parse.h"

#include <tessera/device.h>

#define FIELD(obj, prop, T) ((T *)((char *)(obj) + (prop)->offset))

static const char *const kind_names[] = {
    [TS_PROP_BOOL] = "bool", [TS_PROP_INT] = "int64",
    [TS_PROP_UINT] = "uint64", [TS_PROP_SIZE] = "size",
    [TS_PROP_STRING] = "str", [TS_PROP_ENUM] = "enum",
    [TS_PROP_LINK] = "link",
};

const char *ts_prop_kind_name(TsPropKind kind)
{
    return kind <= TS_PROP_LINK ? kind_names[kind] : "?";
}

TS_EXPORT void ts_class_add_properties(TsObjectClass *klass,
                                       const TsProperty *props)
{
    g_ptr_array_add(object_class_prop_tables(klass), (gpointer)props);
}

static const TsProperty *find_in_class(TsObjectClass *klass,
                                       const char *name)
{
    GPtrArray *tables = object_class_prop_tables(klass);
    for (guint i = tables->len; i-- > 0;) {
        for (const TsProperty *p = g_ptr_array_index(tables, i); p->name;
             p++) {
            if (g_str_equal(p->name, name)) {
                return p;
            }
        }
    }
    return NULL;
}

TS_EXPORT const TsProperty *ts_class_find_property(TsObjectClass *klass,
                                                   const char *name)
{
    for (; klass; klass = object_class_parent(klass)) {
        const TsProperty *p = find_in_class(klass, name);
        if (p) {
            return p;
        }
    }
    return NULL;
}

void ts_class_foreach_property(TsObjectClass *klass,
                                         void (*fn)(const TsProperty *,
                                                    void *),
                                         void *opaque)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (; klass; klass = object_class_parent(klass)) {
        GPtrArray *tables = object_class_prop_tables(klass);
        for (guint i = tables->len; i-- > 0;) {
            for (const TsProperty *p = g_ptr_array_index(tables, i);
                 p->name; p++) {
                if (g_hash_table_add(seen, (gpointer)p->name)) {
                    fn(p, opaque);
                }
            }
        }
    }
}

static int enum_index(const TsProperty *p, const char *value)
{
    for (int i = 0; p->enum_values && p->enum_values[i]; i++) {
        if (value && g_str_equal(p->enum_values[i], value)) {
            return i;
        }
    }
    return -1;
}

static void set_default(TsObject *obj, const TsProperty *p)
{
    switch (p->kind) {
    case TS_PROP_BOOL:
        *FIELD(obj, p, bool) = p->def.b;
        break;
    case TS_PROP_INT:
        *FIELD(obj, p, int64_t) = p->def.i;
        break;
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        *FIELD(obj, p, uint64_t) = p->def.u;
        break;
    case TS_PROP_STRING:
        g_free(*FIELD(obj, p, char *));
        *FIELD(obj, p, char *) = g_strdup(p->def.s);
        break;
    case TS_PROP_ENUM:
        *FIELD(obj, p, int) = MAX(enum_index(p, p->def.s), 0);
        break;
    case TS_PROP_LINK:
        break;
    }
}

static void apply_class_defaults(TsObject *obj, TsObjectClass *klass)
{
    TsObjectClass *parent = object_class_parent(klass);
    if (parent) {
        apply_class_defaults(obj, parent);   /* subclasses override */
    }
    GPtrArray *tables = object_class_prop_tables(klass);
    for (guint i = 0; i < tables->len; i++) {
        for (const TsProperty *p = g_ptr_array_index(tables, i); p->name;
             p++) {
            set_default(obj, p);
        }
    }
}

void object_apply_defaults(TsObject *obj)
{
    apply_class_defaults(obj, obj->klass);
}

static void release_prop(const TsProperty *p, void *opaque)
{
    TsObject *obj = opaque;
    if (p->kind == TS_PROP_STRING) {
        g_clear_pointer(FIELD(obj, p, char *), g_free);
    } else if (p->kind == TS_PROP_LINK) {
        TsObject **slot = FIELD(obj, p, TsObject *);
        TsObject *target = *slot;
        *slot = NULL;
        ts_object_unref(target);
    }
}

void object_release_props(TsObject *obj)
{
    ts_class_foreach_property(obj->klass, release_prop, obj);
}

/* ---- setting --------------------------------------------------------- */

static const TsProperty *writable_prop(TsObject *obj, const char *name,
                                       GError **errp)
{
    const TsProperty *p = ts_class_find_property(obj->klass, name);
    if (!p) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Property '%s.%s' not found", ts_object_type_name(obj),
                    name);
        return NULL;
    }
    TsDevice *dev = (TsDevice *)ts_object_dynamic_cast(obj, TS_TYPE_DEVICE);
    if (dev && dev->realized && !p->settable_after_realize) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property '%s.%s' cannot be changed once the device is "
                    "realized", ts_object_type_name(obj), name);
        return NULL;
    }
    return p;
}

static bool check_signed_range(const TsProperty *p, int64_t v, GError **errp)
{
    if ((p->min || p->max) && (v < p->min || v > p->max)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property '%s' must be between %" PRId64 " and %" PRId64
                    ", not %" PRId64, p->name, p->min, p->max, v);
        return false;
    }
    return true;
}

static bool check_unsigned_range(const TsProperty *p, uint64_t v,
                                 GError **errp)
{
    if ((p->min || p->max) &&
        (v < (uint64_t)p->min || v > (uint64_t)p->max)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property '%s' must be between %" PRIu64 " and %" PRIu64
                    ", not %" PRIu64, p->name, (uint64_t)p->min,
                    (uint64_t)p->max, v);
        return false;
    }
    return true;
}

static bool store_link(TsObject *obj, const TsProperty *p, TsObject *target,
                       GError **errp)
{
    if (target && p->link_type &&
        !ts_object_dynamic_cast(target, p->link_type)) {
        g_autofree char *path = ts_object_path(target);
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property '%s' needs a '%s', but '%s' is a '%s'",
                    p->name, p->link_type,
                    path ? path : target->name ? target->name : "(unnamed)",
                    ts_object_type_name(target));
        return false;
    }
    if (target == obj) {
        /* The link's reference would keep obj alive forever. */
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property '%s' cannot link an object to itself", p->name);
        return false;
    }
    TsObject **slot = FIELD(obj, p, TsObject *);
    TsObject *old = *slot;
    *slot = ts_object_ref(target);
    ts_object_unref(old);
    return true;
}

typedef struct IdSearch {
    const char *id;
    const char *type;
    TsObject *found;
    unsigned matches;
} IdSearch;

static void search_id(TsObject *obj, void *opaque)
{
    IdSearch *s = opaque;
    if (obj->name && g_str_equal(obj->name, s->id) &&
        (!s->type || ts_object_dynamic_cast(obj, s->type))) {
        s->found = obj;
        s->matches++;
    }
    ts_object_foreach_child(obj, search_id, s);
}

/*
 * A link value is an absolute path ("/machine/peripheral/x") or, as with
 * QEMU's partial paths, the bare name of exactly one object of the link's
 * type anywhere in the tree (in practice a -device id).
 */
static TsObject *find_link_target(const TsProperty *p, const char *value,
                                  GError **errp)
{
    if (value[0] == '/') {
        TsObject *target = ts_object_resolve_path(value);
        if (!target) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "Property '%s': no object at '%s'", p->name, value);
        }
        return target;
    }
    /* Untyped first, so a single object of the wrong type gets the
     * "needs a ..." message from store_link rather than "no such id". */
    IdSearch s = { .id = value };
    search_id(ts_object_root(), &s);
    if (s.matches > 1 && p->link_type) {
        s = (IdSearch){ .id = value, .type = p->link_type };
        search_id(ts_object_root(), &s);
    }
    if (s.matches == 1) {
        return s.found;
    }
    if (s.matches == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Property '%s': no %s with id '%s'", p->name,
                    p->link_type ? p->link_type : "object", value);
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property '%s': id '%s' is ambiguous (%u objects), give "
                    "its path", p->name, value, s.matches);
    }
    return NULL;
}

TS_EXPORT bool ts_object_set_prop(TsObject *obj, const char *name,
                                  const char *value, GError **errp)
{
    const TsProperty *p = writable_prop(obj, name, errp);
    if (!p) {
        return false;
    }
    switch (p->kind) {
    case TS_PROP_BOOL:
        return ts_parse_bool(name, value, FIELD(obj, p, bool), errp);
    case TS_PROP_INT: {
        int64_t v;
        if (!ts_parse_int(name, value, &v, errp) ||
            !check_signed_range(p, v, errp)) {
            return false;
        }
        *FIELD(obj, p, int64_t) = v;
        return true;
    }
    case TS_PROP_UINT:
    case TS_PROP_SIZE: {
        uint64_t v;
        bool ok = p->kind == TS_PROP_SIZE ? ts_parse_size(name, value, &v,
                                                          errp)
                                          : ts_parse_uint(name, value, &v,
                                                          errp);
        if (!ok || !check_unsigned_range(p, v, errp)) {
            return false;
        }
        *FIELD(obj, p, uint64_t) = v;
        return true;
    }
    case TS_PROP_STRING:
        g_free(*FIELD(obj, p, char *));
        *FIELD(obj, p, char *) = g_strdup(value);
        return true;
    case TS_PROP_ENUM: {
        int i = enum_index(p, value);
        if (i < 0) {
            static const char *const none[] = { NULL };
            g_autofree char *list = g_strjoinv(", ", (char **)(p->enum_values
                                                     ? p->enum_values
                                                     : none));
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter value for '%s': expected one of "
                        "%s", name, list);
            return false;
        }
        *FIELD(obj, p, int) = i;
        return true;
    }
    case TS_PROP_LINK: {
        TsObject *target = NULL;
        if (value && *value && !(target = find_link_target(p, value, errp))) {
            return false;
        }
        return store_link(obj, p, target, errp);
    }
    }
    return false;
}

static const TsProperty *typed_prop(TsObject *obj, const char *name,
                                    TsPropKind want, TsPropKind alt,
                                    GError **errp)
{
    const TsProperty *p = writable_prop(obj, name, errp);
    if (p && p->kind != want && p->kind != alt) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property '%s' is a %s, not a %s", name,
                    ts_prop_kind_name(p->kind), ts_prop_kind_name(want));
        return NULL;
    }
    return p;
}

TS_EXPORT bool ts_object_set_bool(TsObject *obj, const char *name, bool v,
                                  GError **errp)
{
    const TsProperty *p = typed_prop(obj, name, TS_PROP_BOOL, TS_PROP_BOOL,
                                     errp);
    if (p) {
        *FIELD(obj, p, bool) = v;
    }
    return p != NULL;
}

TS_EXPORT bool ts_object_set_int(TsObject *obj, const char *name, int64_t v,
                                 GError **errp)
{
    const TsProperty *p = typed_prop(obj, name, TS_PROP_INT, TS_PROP_INT,
                                     errp);
    if (!p || !check_signed_range(p, v, errp)) {
        return false;
    }
    *FIELD(obj, p, int64_t) = v;
    return true;
}

TS_EXPORT bool ts_object_set_uint(TsObject *obj, const char *name,
                                  uint64_t v, GError **errp)
{
    const TsProperty *p = typed_prop(obj, name, TS_PROP_UINT, TS_PROP_SIZE,
                                     errp);
    if (!p || !check_unsigned_range(p, v, errp)) {
        return false;
    }
    *FIELD(obj, p, uint64_t) = v;
    return true;
}

TS_EXPORT bool ts_object_set_link(TsObject *obj, const char *name,
                                  TsObject *target, GError **errp)
{
    const TsProperty *p = typed_prop(obj, name, TS_PROP_LINK, TS_PROP_LINK,
                                     errp);
    return p && store_link(obj, p, target, errp);
}

/* ---- reading ---------------------------------------------------------- */

static char *format_value(TsObject *obj, const TsProperty *p)
{
    switch (p->kind) {
    case TS_PROP_BOOL:
        return g_strdup(*FIELD(obj, p, bool) ? "true" : "false");
    case TS_PROP_INT:
        return g_strdup_printf("%" PRId64, *FIELD(obj, p, int64_t));
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        return g_strdup_printf("%" PRIu64, *FIELD(obj, p, uint64_t));
    case TS_PROP_STRING:
        return g_strdup(*FIELD(obj, p, char *) ? *FIELD(obj, p, char *)
                                               : "");
    case TS_PROP_ENUM: {
        /* instance_init may have stored anything; never index past the
         * table. */
        int i = *FIELD(obj, p, int);
        int n = p->enum_values ? (int)g_strv_length((char **)p->enum_values)
                               : 0;
        return i >= 0 && i < n ? g_strdup(p->enum_values[i])
                               : g_strdup_printf("%d", i);
    }
    case TS_PROP_LINK: {
        TsObject *target = *FIELD(obj, p, TsObject *);
        char *path = target ? ts_object_path(target) : NULL;
        return path ? path : g_strdup("");
    }
    }
    return g_strdup("");
}

TS_EXPORT char *ts_object_get_prop(TsObject *obj, const char *name,
                                   GError **errp)
{
    const TsProperty *p = ts_class_find_property(obj->klass, name);
    if (!p) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Property '%s.%s' not found", ts_object_type_name(obj),
                    name);
        return NULL;
    }
    return format_value(obj, p);
}

char *ts_prop_default_text(const TsProperty *p)
{
    switch (p->kind) {
    case TS_PROP_BOOL:
        return g_strdup(p->def.b ? "true" : "false");
    case TS_PROP_INT:
        return g_strdup_printf("%" PRId64, p->def.i);
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        return g_strdup_printf("%" PRIu64, p->def.u);
    case TS_PROP_STRING:
    case TS_PROP_ENUM:
        return p->def.s ? g_strdup_printf("\"%s\"", p->def.s) : NULL;
    case TS_PROP_LINK:
        return NULL;
    }
    return NULL;
}

/* "  name=<kind>            - description (a/b/c) (default: x)" */
static char *help_line(const TsProperty *p)
{
    g_autofree char *type = p->kind == TS_PROP_LINK
        ? g_strdup_printf("link<%s>", p->link_type ? p->link_type : "object")
        : g_strdup(ts_prop_kind_name(p->kind));
    g_autofree char *def = ts_prop_default_text(p);
    g_autofree char *values = p->kind == TS_PROP_ENUM && p->enum_values
        ? g_strjoinv("/", (char **)p->enum_values) : NULL;
    GString *about = g_string_new(p->description);
    if (values) {
        g_string_append_printf(about, "%s(%s)", about->len ? " " : "",
                               values);
    }
    if (def) {
        g_string_append_printf(about, "%s(default: %s)",
                               about->len ? " " : "", def);
    }
    GString *line = g_string_new(NULL);
    g_string_append_printf(line, "  %s=<%s>", p->name, type);
    if (about->len) {
        /* Descriptions line up in one column, as in QEMU's listing. */
        g_string_append_printf(line, "%*s- %s",
                               (int)MAX(1, 24 - (int)line->len), "",
                               about->str);
    }
    g_string_free(about, true);
    return g_string_free(line, false);
}

static void collect_prop(const TsProperty *p, void *opaque)
{
    g_ptr_array_add(opaque, (gpointer)p);
}

static int compare_prop_names(gconstpointer a, gconstpointer b)
{
    const TsProperty *pa = *(const TsProperty *const *)a;
    const TsProperty *pb = *(const TsProperty *const *)b;
    return strcmp(pa->name, pb->name);
}

char *object_class_property_help(TsObjectClass *klass)
{
    g_autoptr(GPtrArray) props = g_ptr_array_new();
    ts_class_foreach_property(klass, collect_prop, props);
    g_ptr_array_sort(props, compare_prop_names);
    GString *out = g_string_new(NULL);
    if (props->len == 0) {
        g_string_append(out, "There are no options for this type.\n");
    }
    for (guint i = 0; i < props->len; i++) {
        g_autofree char *line = help_line(g_ptr_array_index(props, i));
        g_string_append_printf(out, "%s\n", line);
    }
    return g_string_free(out, false);
}
