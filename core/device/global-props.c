/*
 * core/device/global-props.c - -global.
 */
#include "global-props.h"
#include "object/object-hooks.h"
#include "cli/opts.h"
#include "plugin/plugins.h"

#include <tessera/device.h>

typedef struct GlobalProp {
    char *driver;
    char *property;
    char *value;
    char *origin;           /* the option it came from, if not -global */
    bool used;              /* applied to at least one device */
} GlobalProp;

static GPtrArray *globals;      /* of GlobalProp *, command-line order */

static void global_prop_free(void *p)
{
    GlobalProp *g = p;
    g_free(g->driver);
    g_free(g->property);
    g_free(g->value);
    g_free(g->origin);
    g_free(g);
}

static bool apply_globals(TsObject *obj, GError **errp)
{
    if (!globals || !ts_object_dynamic_cast(obj, TS_TYPE_DEVICE)) {
        return true;
    }
    for (guint i = 0; i < globals->len; i++) {
        GlobalProp *g = g_ptr_array_index(globals, i);
        if (!ts_object_dynamic_cast(obj, g->driver)) {
            continue;
        }
        g->used = true;
        GError *err = NULL;
        if (!ts_object_set_prop(obj, g->property, g->value, &err)) {
            if (g->origin) {
                g_propagate_prefixed_error(errp, err, "%s: ", g->origin);
            } else {
                g_propagate_prefixed_error(errp, err,
                                           "can't apply global %s.%s=%s: ",
                                           g->driver, g->property, g->value);
            }
            return false;
        }
    }
    return true;
}

static void add(const char *driver, const char *property, const char *value,
                const char *origin)
{
    if (!globals) {
        globals = g_ptr_array_new_with_free_func(global_prop_free);
        object_registry_set_post_init(apply_globals);
    }
    GlobalProp *g = g_new0(GlobalProp, 1);
    g->driver = g_strdup(driver);
    g->property = g_strdup(property);
    g->value = g_strdup(value);
    g->origin = g_strdup(origin);
    g_ptr_array_add(globals, g);
}

/* "driver=D,property=P,value=V" */
static bool split_long_form(const char *arg, char **driver, char **property,
                            char **value, GError **errp)
{
    static const char *const keys[] = { "driver", "property", "value", NULL };
    g_autoptr(TsOpts) o = opts_parse(arg, NULL, errp);
    if (!o || !opts_check_keys(o, keys, errp)) {
        return false;
    }
    const char *d = opts_get(o, "driver");
    const char *p = opts_get(o, "property");
    const char *v = opts_get(o, "value");
    if (!d || !p || !v || !*d || !*p) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "options 'driver', 'property', and 'value' are required");
        return false;
    }
    *driver = g_strdup(d);
    *property = g_strdup(p);
    *value = g_strdup(v);
    return true;
}

bool global_props_split(const char *arg, char **driver, char **property,
                        char **value, GError **errp)
{
    /* The short form has a dot before its first '='; the long form's
     * first key ("driver") has none.  The value is everything after the
     * '=', commas included, as in QEMU. */
    const char *eq = strchr(arg, '=');
    g_autofree char *head = eq ? g_strndup(arg, eq - arg) : NULL;
    char *dot = head ? strrchr(head, '.') : NULL;
    if (!dot) {
        return split_long_form(arg, driver, property, value, errp);
    }
    *dot = '\0';
    if (!*head || !dot[1]) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "expected driver.property=value or "
                    "driver=DRIVER,property=PROPERTY,value=VALUE");
        return false;
    }
    *driver = g_strdup(head);
    *property = g_strdup(dot + 1);
    *value = g_strdup(eq + 1);
    return true;
}

void global_props_print_help(FILE *out)
{
    fputs("global options:\n"
          "  driver=<str>\n"
          "  property=<str>\n"
          "  value=<str>\n", out);
}

bool global_props_add(const char *arg, GError **errp)
{
    g_autofree char *driver = NULL, *property = NULL, *value = NULL;
    if (!global_props_split(arg, &driver, &property, &value, errp)) {
        return false;
    }
    add(driver, property, value, NULL);
    return true;
}

void global_props_add_from(const char *origin, const char *driver,
                           const char *property, const char *value)
{
    add(driver, property, value, origin);
}

unsigned global_props_warn_unused(FILE *out)
{
    unsigned n = 0;
    for (guint i = 0; globals && i < globals->len; i++) {
        GlobalProp *g = g_ptr_array_index(globals, i);
        if (g->used || g->origin) {
            continue;
        }
        n++;
        bool known = ts_type_exists(g->driver) ||
                     plugin_index_find_type(g->driver);
        if (known) {
            fprintf(out, "warning: global %s.%s=%s not used\n", g->driver,
                    g->property, g->value);
        } else {
            fprintf(out, "warning: global %s.%s has invalid class name\n",
                    g->driver, g->property);
        }
    }
    return n;
}

void global_props_reset(void)
{
    g_clear_pointer(&globals, g_ptr_array_unref);
    object_registry_set_post_init(NULL);
}
