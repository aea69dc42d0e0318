/*
 * -global: both spellings (driver names with dots too), devices of the
 * type and of its subtypes, board-made and -device ones, -device's own
 * properties winning, errors when a global cannot be applied, and the
 * warnings for globals nothing used.
 */
#include "device/global-props.h"
#include "device/device-create.h"
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include "object/object-introspect.h"

#include <tessera/device.h>
#include <tessera/machine.h>

#include <glib.h>
#include <stdio.h>

typedef struct GpDev {
    TsDevice parent;
    uint64_t count;
    char *label;
} GpDev;

static const TsProperty gp_props[] = {
    TS_PROP_UINT("count", GpDev, count, 5, "a counter"),
    TS_PROP_STRING("label", GpDev, label, "none", "a label"),
    TS_PROP_END
};

static void gp_class_init(TsObjectClass *klass, const void *data)
{
    ts_class_add_properties(klass, gp_props);
}

typedef struct GpObj {
    TsObject parent;
    uint64_t count;
} GpObj;

static const TsProperty gp_obj_props[] = {
    TS_PROP_UINT("count", GpObj, count, 1, "a counter"),
    TS_PROP_END
};

static void gp_obj_class_init(TsObjectClass *klass, const void *data)
{
    ts_class_add_properties(klass, gp_obj_props);
}

static const TsTypeInfo types[] = {
    { .name = "gp-dev", .parent = TS_TYPE_DEVICE,
      .instance_size = sizeof(GpDev), .class_init = gp_class_init },
    { .name = "gp-sub", .parent = "gp-dev" },
    { .name = "gp-other", .parent = "gp-dev" },
    /* A driver name with dots, as QEMU has ("cfi.pflash01"). */
    { .name = "gp.dotted", .parent = "gp-dev" },
    { .name = "gp-obj", .instance_size = sizeof(GpObj),
      .class_init = gp_obj_class_init },
};

static void add_ok(const char *arg)
{
    GError *err = NULL;
    if (!global_props_add(arg, &err)) {
        g_error("-global %s: %s", arg, err->message);
    }
}

static void check_message(GError *err, const char *what, const char *fragment)
{
    g_assert_nonnull(err);
    if (!strstr(err->message, fragment)) {
        g_error("%s: message '%s' lacks '%s'", what, err->message, fragment);
    }
    g_error_free(err);
}

static void add_fails(const char *arg, const char *fragment)
{
    GError *err = NULL;
    g_assert_false(global_props_add(arg, &err));
    check_message(err, arg, fragment);
}

/* A device as a board makes one: ts_object_new, nothing else. */
static GpDev *new_dev(const char *type)
{
    GError *err = NULL;
    TsObject *obj = ts_object_new(type, &err);
    if (!obj) {
        g_error("%s: %s", type, err->message);
    }
    return (GpDev *)obj;
}

static char *unused_warnings(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    global_props_warn_unused(f);
    fclose(f);
    return text;
}

static void test_short_form(void)
{
    global_props_reset();
    add_ok("gp-dev.count=7");
    add_ok("gp-dev.label=a,b=c");       /* the value is the rest */
    GpDev *d = new_dev("gp-dev");
    g_assert_cmpuint(d->count, ==, 7);
    g_assert_cmpstr(d->label, ==, "a,b=c");
    /* Subtypes get it too, as in QEMU. */
    GpDev *s = new_dev("gp-sub");
    g_assert_cmpuint(s->count, ==, 7);
    ts_object_unref(TS_OBJECT(d));
    ts_object_unref(TS_OBJECT(s));
}

static void test_long_form_and_dots(void)
{
    global_props_reset();
    add_ok("driver=gp.dotted,property=count,value=11");
    GpDev *d = new_dev("gp.dotted");
    g_assert_cmpuint(d->count, ==, 11);
    ts_object_unref(TS_OBJECT(d));
    /* The short form splits at the last dot before the '='. */
    add_ok("gp.dotted.count=12");
    d = new_dev("gp.dotted");
    g_assert_cmpuint(d->count, ==, 12);
    ts_object_unref(TS_OBJECT(d));
}

static void test_order_and_scope(void)
{
    global_props_reset();
    add_ok("gp-dev.count=1");
    add_ok("gp-sub.count=2");
    add_ok("gp-dev.count=3");
    /* In command-line order: the last one that matches wins. */
    GpDev *d = new_dev("gp-dev");
    GpDev *s = new_dev("gp-sub");
    g_assert_cmpuint(d->count, ==, 3);
    g_assert_cmpuint(s->count, ==, 3);
    ts_object_unref(TS_OBJECT(d));
    ts_object_unref(TS_OBJECT(s));
    /* Devices only: a plain object keeps its default. */
    add_ok("gp-obj.count=9");
    GpObj *o = (GpObj *)ts_object_new("gp-obj", NULL);
    g_assert_cmpuint(o->count, ==, 1);
    ts_object_unref(TS_OBJECT(o));
}

static void test_device_option_wins(void)
{
    global_props_reset();
    add_ok("gp-dev.count=7");
    add_ok("gp-dev.label=global");
    g_autoptr(TsOpts) opts = opts_parse("gp-dev,id=d1,count=9", "driver",
                                        NULL);
    GError *err = NULL;
    g_assert_true(device_create(opts, &err));
    g_assert_no_error(err);
    GpDev *d = (GpDev *)ts_object_resolve_path("/machine/peripheral/d1");
    g_assert_nonnull(d);
    g_assert_cmpuint(d->count, ==, 9);
    g_assert_cmpstr(d->label, ==, "global");
    g_assert_true(device_delete("d1", NULL));
}

static void test_cannot_apply(void)
{
    global_props_reset();
    add_ok("gp-dev.count=lots");
    GError *err = NULL;
    g_assert_null(ts_object_new("gp-sub", &err));
    check_message(err, "bad value", "can't apply global gp-dev.count=lots: ");
    err = NULL;
    global_props_reset();
    add_ok("gp-dev.colour=red");
    g_assert_null(ts_object_new("gp-dev", &err));
    check_message(err, "no property", "can't apply global gp-dev.colour=red");
    err = NULL;
    /* -device fails with it, naming the global. */
    g_autoptr(TsOpts) opts = opts_parse("gp-dev,id=d2", "driver", NULL);
    g_assert_false(device_create(opts, &err));
    check_message(err, "-device", "can't apply global gp-dev.colour=red");
    global_props_reset();
    GpDev *d = new_dev("gp-dev");       /* and no global, no effect */
    g_assert_cmpuint(d->count, ==, 5);
    ts_object_unref(TS_OBJECT(d));
}

static void test_malformed(void)
{
    global_props_reset();
    add_fails(".count=1", "expected driver.property=value");
    add_fails("gp-dev.=1", "expected driver.property=value");
    add_fails("driver=gp-dev,property=count", "options 'driver', "
              "'property', and 'value' are required");
    add_fails("driver=gp-dev,property=count,value=1,extra=2",
              "Invalid parameter 'extra'");
    add_fails("gp-dev", "Invalid parameter 'gp-dev'");
}

static void test_unused_warnings(void)
{
    global_props_reset();
    add_ok("gp-dev.count=2");
    add_ok("gp-other.count=3");
    add_ok("nosuch-dev.count=4");
    GpDev *d = new_dev("gp-dev");
    ts_object_unref(TS_OBJECT(d));
    g_autofree char *text = unused_warnings();
    g_assert_cmpstr(text, ==,
                    "warning: global gp-other.count=3 not used\n"
                    "warning: global nosuch-dev.count has invalid class "
                    "name\n");
    global_props_reset();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
        g_assert_true(ts_type_register(&types[i], NULL));
    }
    object_core_init();
    g_assert_nonnull(machine_create("none" TS_MACHINE_SUFFIX, NULL));
    g_test_add_func("/global/short-form", test_short_form);
    g_test_add_func("/global/long-form-and-dots", test_long_form_and_dots);
    g_test_add_func("/global/order-and-scope", test_order_and_scope);
    g_test_add_func("/global/device-option-wins", test_device_option_wins);
    g_test_add_func("/global/cannot-apply", test_cannot_apply);
    g_test_add_func("/global/malformed", test_malformed);
    g_test_add_func("/global/unused-warnings", test_unused_warnings);
    return g_test_run();
}
