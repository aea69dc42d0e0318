/*
 * chardev-opts.c - the -chardev option list: "backend,key=val,...".
 *
 * The grammar is the core's (core/cli/opts.h: the first element is the
 * backend, ",," a literal comma, a bare "key" means key=on).  What this
 * layer adds is chardev-specific: QEMU's old "nowait" spelling, messages
 * that name the backend, and a record of which keys some backend asked
 * for, so that keys nobody understood are refused instead of ignored.
 */
#include "chardev-internal.h"
#include "cli/opts.h"
#include "util/parse.h"

#include <tessera/object.h>

struct ChardevOpts {
    TsOpts *opts;
    GHashTable *used;     /* keys a getter asked for */
};

void chardev_opts_free(ChardevOpts *o)
{
    if (!o) {
        return;
    }
    opts_free(o->opts);
    g_hash_table_unref(o->used);
    g_free(o);
}

ChardevOpts *chardev_opts_parse(const char *text, GError **errp)
{
    /* "nowait" is QEMU's historic spelling of wait=off. */
    g_autofree char *spelled = g_strdup(text ? text : "");
    g_auto(GStrv) parts = g_strsplit(spelled, ",nowait", -1);
    g_autofree char *joined = g_strjoinv(",wait=off", parts);
    TsOpts *opts = opts_parse(joined, "backend", errp);
    if (!opts) {
        g_prefix_error(errp, "chardev: ");
        return NULL;
    }
    ChardevOpts *o = g_new0(ChardevOpts, 1);
    o->opts = opts;
    o->used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return o;
}

const char *chardev_opts_get(ChardevOpts *o, const char *key)
{
    if (!o) {
        return NULL;
    }
    g_hash_table_add(o->used, g_strdup(key));
    return opts_get(o->opts, key);
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
        const char *backend = o ? opts_get(o->opts, "backend") : NULL;
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
    *out = def;
    if (v && !ts_parse_bool(key, v, out, errp)) {
        g_prefix_error(errp, "chardev: ");
        return false;
    }
    return true;
}

bool chardev_opts_get_uint(ChardevOpts *o, const char *key, uint64_t def,
                           uint64_t *out, GError **errp)
{
    const char *v = chardev_opts_get(o, key);
    *out = def;
    if (v && !ts_parse_uint(key, v, out, errp)) {
        g_prefix_error(errp, "chardev: ");
        return false;
    }
    return true;
}

bool chardev_opts_get_size(ChardevOpts *o, const char *key, uint64_t def,
                           uint64_t *out, GError **errp)
{
    const char *v = chardev_opts_get(o, key);
    *out = def;
    if (v && !ts_parse_size(key, v, out, errp)) {
        g_prefix_error(errp, "chardev: ");
        return false;
    }
    return true;
}

typedef struct UnusedSearch {
    ChardevOpts *o;
    const char *first;
} UnusedSearch;

static void find_unused(const char *key, const char *value, void *opaque)
{
    UnusedSearch *u = opaque;
    if (!u->first && !g_hash_table_contains(u->o->used, key)) {
        u->first = key;
    }
}

const char *chardev_opts_first_unused(ChardevOpts *o)
{
    UnusedSearch u = { .o = o };
    opts_foreach(o->opts, find_unused, &u);
    return u.first;
}
