/*
 * chardev-opts.c - the -chardev option list: "backend,key=val,...".
 *
 * A small stand-alone parser so chardevs do not wait for the generic
 * option parser; everything goes through the chardev_opts_* calls, so it
 * can be swapped for core/opts.h later without touching the backends.
 * Grammar (QEMU's): the first element without '=' is the backend; ",,"
 * is a literal comma; a bare "key" means key=on and "nowait" wait=off.
 */
#include "chardev-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ChardevOpts {
    GHashTable *values;   /* key -> value */
    GHashTable *used;     /* keys a getter asked for */
    GPtrArray *order;     /* keys in the order given, for error messages */
    char *backend;
};

void chardev_opts_free(ChardevOpts *o)
{
    if (!o) {
        return;
    }
    g_hash_table_unref(o->values);
    g_hash_table_unref(o->used);
    g_ptr_array_unref(o->order);
    g_free(o->backend);
    g_free(o);
}

static void opts_set(ChardevOpts *o, const char *key, const char *value)
{
    if (!g_hash_table_contains(o->values, key)) {
        g_ptr_array_add(o->order, g_strdup(key));
    }
    g_hash_table_insert(o->values, g_strdup(key), g_strdup(value));
}

/* Split at single commas; ",," stays as one literal comma. */
static GPtrArray *split_elements(const char *text)
{
    GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);
    for (const char *p = text; ; p++) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(cur, ',');
            p++;
        } else if (*p == ',' || *p == '\0') {
            g_ptr_array_add(parts, g_string_free(cur, FALSE));
            if (*p == '\0') {
                break;
            }
            cur = g_string_new(NULL);
        } else {
            g_string_append_c(cur, *p);
        }
    }
    return parts;
}

ChardevOpts *chardev_opts_parse(const char *text, GError **errp)
{
    ChardevOpts *o = g_new0(ChardevOpts, 1);
    o->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    o->used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    o->order = g_ptr_array_new_with_free_func(g_free);

    g_autoptr(GPtrArray) parts = split_elements(text ? text : "");
    for (guint i = 0; i < parts->len; i++) {
        const char *el = g_ptr_array_index(parts, i);
        const char *eq = strchr(el, '=');
        if (!*el) {
            if (i == 0 && parts->len == 1) {
                break;      /* empty text: "backend is missing" later */
            }
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "chardev: empty option in '%s'", text);
            chardev_opts_free(o);
            return NULL;
        }
        if (i == 0 && !eq) {
            opts_set(o, "backend", el);
        } else if (eq) {
            g_autofree char *key = g_strndup(el, eq - el);
            if (!*key) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "chardev: option '%s' has no name", el);
                chardev_opts_free(o);
                return NULL;
            }
            opts_set(o, key, eq + 1);
        } else if (g_str_equal(el, "nowait")) {
            opts_set(o, "wait", "off");
        } else {
            opts_set(o, el, "on");
        }
    }
    return o;
}

static void mark_used(ChardevOpts *o, const char *key)
{
    g_hash_table_add(o->used, g_strdup(key));
}

const char *chardev_opts_get(ChardevOpts *o, const char *key)
{
    if (!o) {
        return NULL;
    }
    mark_used(o, key);
    return g_hash_table_lookup(o->values, key);
}

bool chardev_opts_has(ChardevOpts *o, const char *key)
{
    return chardev_opts_get(o, key) != NULL;
}

const char *chardev_opts_require(ChardevOpts *o, const char *key,
                                 GError **errp)
{
    const char *v = chardev_opts_get(o, key);
    if (!v || !*v) {
        const char *backend = o ? g_hash_table_lookup(o->values, "backend")
                                : NULL;
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev: backend '%s' requires the option '%s'",
                    backend ? backend : "?", key);
        return NULL;
    }
    return v;
}

bool chardev_opts_get_bool(ChardevOpts *o, const char *key, bool def,
                           bool *out, GError **errp)
{
    const char *v = chardev_opts_get(o, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
        *out = false;
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "chardev: Parameter '%s' expects 'on' or 'off', not '%s'",
                key, v);
    return false;
}

static bool parse_uint(const char *key, const char *v, bool suffixes,
                       uint64_t *out, GError **errp)
{
    char *end = NULL;
    errno = 0;
    if (!g_ascii_isdigit(*v)) {
        goto bad;
    }
    uint64_t n = g_ascii_strtoull(v, &end, 0);
    if (errno) {
        goto bad;
    }
    if (suffixes && *end) {
        unsigned shift = 0;
        switch (g_ascii_toupper(*end)) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        default: goto bad;
        }
        if (end[1] || n > (UINT64_MAX >> shift)) {
            goto bad;
        }
        n <<= shift;
        end++;
    }
    if (*end) {
        goto bad;
    }
    *out = n;
    return true;
bad:
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "chardev: Parameter '%s' expects a%s number, not '%s'",
                key, suffixes ? " size or" : " non-negative", v);
    return false;
}

bool chardev_opts_get_uint(ChardevOpts *o, const char *key, uint64_t def,
                           uint64_t *out, GError **errp)
{
    const char *v = chardev_opts_get(o, key);
    if (!v) {
        *out = def;
        return true;
    }
    return parse_uint(key, v, false, out, errp);
}

bool chardev_opts_get_size(ChardevOpts *o, const char *key, uint64_t def,
                           uint64_t *out, GError **errp)
{
    const char *v = chardev_opts_get(o, key);
    if (!v) {
        *out = def;
        return true;
    }
    return parse_uint(key, v, true, out, errp);
}

const char *chardev_opts_first_unused(ChardevOpts *o)
{
    for (guint i = 0; i < o->order->len; i++) {
        const char *key = g_ptr_array_index(o->order, i);
        if (!g_hash_table_contains(o->used, key)) {
            return key;
        }
    }
    return NULL;
}
