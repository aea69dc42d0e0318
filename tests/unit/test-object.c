/*
 * The object model: type registry and hierarchy, class and instance
 * life cycle, interfaces, typed properties, the composition tree and the
 * device realize/unrealize/reset life cycle.
 *
 * Types registered here live for the whole process, so every test uses
 * its own type names.  A shared log records the order in which the core
 * calls class_init, instance_init, finalize, realize and reset.
 */
#include "object/object-hooks.h"
#include "machine/machine-lifecycle.h"
#include "object/object-introspect.h"
#include "device/devices.h"

#include <tessera/cpu.h>
#include <tessera/device.h>
#include <tessera/machine.h>

static GString *event_log;

static void log_event(const char *what)
{
    if (event_log->len) {
        g_string_append_c(event_log, ' ');
    }
    g_string_append(event_log, what);
}

static void log_reset(void)
{
    g_string_truncate(event_log, 0);
}

#define assert_log(expected) \
    g_assert_cmpstr(event_log->str, ==, (expected))

/* Refused with the given code, and the message contains fragment. */
static void check_error(GError *err, int code, const char *fragment)
{
    g_assert_nonnull(err);
    g_assert_true(err->domain == TS_ERROR);
    if (!strstr(err->message, fragment)) {
        g_error("message '%s' lacks '%s'", err->message, fragment);
    }
    g_assert_cmpint(err->code, ==, code);
    g_error_free(err);
}

/* Checks and frees err, and clears it for the next call. */
#define assert_error(err, code, fragment) \
    do { check_error((err), (code), (fragment)); (err) = NULL; } while (0)

static void register_ok(const TsTypeInfo *info)
{
    GError *err = NULL;
    if (!ts_type_register(info, &err)) {
        g_error("registering %s: %s", info->name, err->message);
    }
}

/* ------------------------------------------------------------------ */
/* Built-in types                                                     */

static void test_builtin_types(void)
{
    static const char *const abstract[] = {
        "object", "interface", "device", "machine", "accel", "cpu",
        "audiodev", "blockdriver", "netdev", "chardev", NULL };
    for (int i = 0; abstract[i]; i++) {
        g_assert_true(ts_type_exists(abstract[i]));
        TsObjectClass *klass = ts_class_by_name(abstract[i]);
        g_assert_nonnull(klass);
        g_assert_cmpstr(ts_class_name(klass), ==, abstract[i]);
        g_assert_true(ts_class_is_abstract(klass));
        GError *err = NULL;
        g_assert_null(ts_object_new(abstract[i], &err));
        assert_error(err, TS_ERROR_INVALID, "is abstract");
    }
    g_assert_true(ts_type_is_a("cpu", "device"));
    g_assert_true(ts_type_is_a("device", "object"));
    g_assert_false(ts_type_is_a("device", "cpu"));
    g_assert_false(ts_type_is_a("machine", "device"));
    g_assert_null(ts_class_parent_name(ts_class_by_name("object")));
    g_assert_cmpstr(ts_class_parent_name(ts_class_by_name("machine")), ==,
                    "object");

    /* The class structs are as large as the SDK says. */
    TsDeviceClass *dc = (TsDeviceClass *)ts_class_by_name("device");
    g_assert_true(dc->user_creatable);
    TsMachineClass *mc = (TsMachineClass *)ts_class_by_name("machine");
    g_assert_null(mc->init);
    TsAccelClass *ac = (TsAccelClass *)ts_class_by_name("accel");
    g_assert_null(ac->init_machine);

    /* "container" is the one concrete built-in. */
    TsObject *c = ts_object_new("container", NULL);
    g_assert_nonnull(c);
    g_assert_cmpstr(ts_object_type_name(c), ==, "container");
    ts_object_unref(c);

    object_core_init();             /* idempotent */
    g_assert_true(ts_type_exists("device"));
}

static void test_unknown_type(void)
{
    GError *err = NULL;
    g_assert_false(ts_type_exists("t-nosuch"));
    g_assert_null(ts_class_by_name("t-nosuch"));
    g_assert_null(ts_object_new("t-nosuch", &err));
    assert_error(err, TS_ERROR_NOT_FOUND, "type 't-nosuch' not found");
    g_assert_false(ts_type_is_a("t-nosuch", "object"));
}

static void test_duplicate_type(void)
{
    static const TsTypeInfo info = { .name = "t-dup" };
    static const TsTypeInfo again = { .name = "t-dup", .parent = "device" };
    static const TsTypeInfo nameless = { .name = "" };
    register_ok(&info);
    GError *err = NULL;
    g_assert_false(ts_type_register(&again, &err));
    assert_error(err, TS_ERROR_INVALID, "'t-dup' is already registered");
    g_assert_false(ts_type_is_a("t-dup", "device"));   /* first one kept */
    g_assert_false(ts_type_register(&nameless, &err));
    assert_error(err, TS_ERROR_INVALID, "needs a name");
}

/* ------------------------------------------------------------------ */
/* Hierarchy, class_init order, inheritance of class fields           */

typedef struct ChainClass {
    TsObjectClass parent;
    int level;
    const char *set_by;
    const void *data_seen;
} ChainClass;

typedef struct Chain {
    TsObject parent;
    char trail[16];
} Chain;

typedef struct ChainLeaf {
    Chain parent;
    int64_t leaf_field;
} ChainLeaf;

static void chain_base_class_init(TsObjectClass *klass, const void *data)
{
    ChainClass *cc = (ChainClass *)klass;
    log_event("c:base");
    cc->level = 1;
    cc->set_by = "base";
}

static void chain_mid_class_init(TsObjectClass *klass, const void *data)
{
    ChainClass *cc = (ChainClass *)klass;
    log_event("c:mid");
    g_assert_cmpint(cc->level, ==, 1);      /* copied from the parent */
    cc->level = 2;
}

static void chain_leaf_class_init(TsObjectClass *klass, const void *data)
{
    log_event("c:leaf");
    ((ChainClass *)klass)->data_seen = data;
}

static void chain_base_init(TsObject *obj)
{
    log_event("i:base");
    strcat(((Chain *)obj)->trail, "b");
}

static void chain_mid_init(TsObject *obj)
{
    log_event("i:mid");
    strcat(((Chain *)obj)->trail, "m");
}

static void chain_leaf_init(TsObject *obj)
{
    log_event("i:leaf");
    strcat(((Chain *)obj)->trail, "l");
}

static void chain_base_finalize(TsObject *obj)
{
    log_event("f:base");
}

static void chain_mid_finalize(TsObject *obj)
{
    log_event("f:mid");
}

static void chain_leaf_finalize(TsObject *obj)
{
    log_event("f:leaf");
}

static const char leaf_class_data[] = "leaf data";

static const TsTypeInfo chain_leaf = {
    .name = "t-chain-leaf", .parent = "t-chain-mid",
    .description = "the leaf of a chain",
    .instance_size = sizeof(ChainLeaf),
    .class_init = chain_leaf_class_init, .class_data = leaf_class_data,
    .instance_init = chain_leaf_init,
    .instance_finalize = chain_leaf_finalize,
};
static const TsTypeInfo chain_mid = {
    .name = "t-chain-mid", .parent = "t-chain-base",
    .class_init = chain_mid_class_init, .instance_init = chain_mid_init,
    .instance_finalize = chain_mid_finalize,
};
static const TsTypeInfo chain_base = {
    .name = "t-chain-base", .abstract = true,
    .instance_size = sizeof(Chain), .class_size = sizeof(ChainClass),
    .class_init = chain_base_class_init, .instance_init = chain_base_init,
    .instance_finalize = chain_base_finalize,
};

/* A type may be registered before its parent: the parent is looked up
 * only when the class is built. */
static void test_parent_registered_later(void)
{
    log_reset();
    register_ok(&chain_leaf);
    register_ok(&chain_mid);
    g_assert_true(ts_type_exists("t-chain-leaf"));
    g_assert_true(ts_type_is_a("t-chain-leaf", "t-chain-mid"));
    g_assert_false(ts_type_is_a("t-chain-leaf", "object"));

    GError *err = NULL;
    g_assert_null(ts_class_by_name("t-chain-leaf"));
    g_assert_null(ts_object_new("t-chain-leaf", &err));
    assert_error(err, TS_ERROR_NOT_FOUND, "ancestor type 't-chain-base'");
    assert_log("");                      /* no class_init ran */

    register_ok(&chain_base);
    g_assert_true(ts_type_is_a("t-chain-leaf", "object"));
    ChainClass *cc = (ChainClass *)ts_class_by_name("t-chain-leaf");
    g_assert_nonnull(cc);
    assert_log("c:base c:mid c:leaf");
    g_assert_cmpint(cc->level, ==, 2);
    g_assert_cmpstr(cc->set_by, ==, "base");
    g_assert_true(cc->data_seen == leaf_class_data);
    g_assert_cmpstr(ts_class_name(&cc->parent), ==, "t-chain-leaf");
    g_assert_cmpstr(ts_class_parent_name(&cc->parent), ==, "t-chain-mid");
    g_assert_cmpstr(ts_class_description(&cc->parent), ==,
                    "the leaf of a chain");
    g_assert_false(ts_class_is_abstract(&cc->parent));

    /* Built once. */
    log_reset();
    g_assert_true(ts_class_by_name("t-chain-leaf") == &cc->parent);
    g_assert_true(ts_class_dynamic_cast(&cc->parent, "t-chain-base") ==
                  &cc->parent);
    g_assert_null(ts_class_dynamic_cast(&cc->parent, "device"));
    assert_log("");

    /* Each class has its own struct. */
    ChainClass *mid = (ChainClass *)ts_class_by_name("t-chain-mid");
    g_assert_true(mid != cc);
    g_assert_null(mid->data_seen);
}

static void test_instance_life_cycle(void)
{
    ts_class_by_name("t-chain-leaf");
    log_reset();
    TsObject *obj = ts_object_new("t-chain-leaf", NULL);
    g_assert_nonnull(obj);
    assert_log("i:base i:mid i:leaf");
    g_assert_cmpstr(((Chain *)obj)->trail, ==, "bml");
    g_assert_cmpint(((ChainLeaf *)obj)->leaf_field, ==, 0);   /* zeroed */
    g_assert_cmpint(obj->refcount, ==, 1);
    g_assert_null(obj->parent);
    g_assert_cmpstr(ts_object_type_name(obj), ==, "t-chain-leaf");
    g_assert_true(ts_object_dynamic_cast(obj, "t-chain-base") == obj);
    g_assert_null(ts_object_dynamic_cast(obj, "device"));
    g_assert_null(ts_object_dynamic_cast(NULL, "object"));
    g_assert_true(TS_CHECK(Chain, obj, "t-chain-mid") == (Chain *)obj);

    log_reset();
    g_assert_true(ts_object_ref(obj) == obj);
    ts_object_unref(obj);
    assert_log("");                      /* one reference left */
    ts_object_unref(obj);
    assert_log("f:leaf f:mid f:base");
    ts_object_unref(NULL);               /* harmless */

    /* An abstract type in the middle of a chain is refused by itself. */
    GError *err = NULL;
    g_assert_null(ts_object_new("t-chain-base", &err));
    assert_error(err, TS_ERROR_INVALID,
                 "type 't-chain-base' is abstract and cannot be "
                 "instantiated");
}

/* A parent loop (a broken plugin) makes the types unusable, not the core
 * hang. */
static void test_parent_loop(void)
{
    static const TsTypeInfo a = { .name = "t-loop-a", .parent = "t-loop-b" };
    static const TsTypeInfo b = { .name = "t-loop-b", .parent = "t-loop-a" };
    register_ok(&a);
    register_ok(&b);
    g_assert_null(ts_class_by_name("t-loop-a"));
    g_assert_false(ts_type_is_a("t-loop-a", "object"));
    GError *err = NULL;
    g_assert_null(ts_object_new("t-loop-b", &err));
    assert_error(err, TS_ERROR_NOT_FOUND, "cannot be used");
}

static unsigned foreach_count;
static bool foreach_saw_abstract;

static void count_class(TsObjectClass *klass, void *opaque)
{
    g_assert_true(opaque == &foreach_count);
    foreach_count++;
    foreach_saw_abstract |= ts_class_is_abstract(klass);
}

static void test_type_foreach(void)
{
    ts_class_by_name("t-chain-leaf");
    foreach_count = 0;
    foreach_saw_abstract = false;
    ts_type_foreach("t-chain-base", false, count_class, &foreach_count);
    g_assert_cmpuint(foreach_count, ==, 2);         /* mid and leaf */
    g_assert_false(foreach_saw_abstract);
    foreach_count = 0;
    ts_type_foreach("t-chain-base", true, count_class, &foreach_count);
    g_assert_cmpuint(foreach_count, ==, 3);
    g_assert_true(foreach_saw_abstract);
    foreach_count = 0;
    ts_type_foreach(NULL, true, count_class, &foreach_count);
    g_assert_cmpuint(foreach_count, >=, 14);
}

/* ------------------------------------------------------------------ */
/* Registry hooks for the plugin loader                               */

static unsigned observed;
static const char *last_observed;

static void observe(const TsTypeInfo *info, void *opaque)
{
    g_assert_true(opaque == &observed);
    observed++;
    last_observed = info->name;
}

static unsigned resolver_calls;

static bool resolve(const char *name, void *opaque)
{
    static const TsTypeInfo lazy = { .name = "t-lazy", .parent = "t-lazy-p" };
    static const TsTypeInfo lazy_parent = { .name = "t-lazy-p" };
    resolver_calls++;
    if (g_str_equal(name, "t-lazy")) {
        return ts_type_register(&lazy, NULL);
    }
    if (g_str_equal(name, "t-lazy-p")) {
        return ts_type_register(&lazy_parent, NULL);
    }
    return false;                   /* not provided by any "plugin" */
}

static void test_registry_hooks(void)
{
    static const TsTypeInfo seen = { .name = "t-observed" };
    object_registry_set_observer(observe, &observed);
    register_ok(&seen);
    g_assert_cmpuint(observed, ==, 1);
    g_assert_cmpstr(last_observed, ==, "t-observed");
    GError *err = NULL;
    g_assert_false(ts_type_register(&seen, &err));  /* refused: unseen */
    g_clear_error(&err);
    g_assert_cmpuint(observed, ==, 1);

    object_registry_set_resolver(resolve, NULL);
    g_assert_false(ts_type_exists("t-lazy"));       /* exists never loads */
    g_assert_cmpuint(resolver_calls, ==, 0);
    TsObject *obj = ts_object_new("t-lazy", NULL);
    g_assert_nonnull(obj);
    g_assert_cmpuint(resolver_calls, ==, 2);        /* type, then parent */
    g_assert_cmpuint(observed, ==, 3);
    ts_object_unref(obj);

    /* Not provided: asked once, then a clean error. */
    resolver_calls = 0;
    g_assert_null(ts_object_new("t-nowhere", &err));
    assert_error(err, TS_ERROR_NOT_FOUND, "'t-nowhere' not found");
    g_assert_cmpuint(resolver_calls, ==, 1);

    object_registry_set_resolver(NULL, NULL);
    object_registry_set_observer(NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Interfaces                                                         */

typedef struct NamedIface {           /* "t-named" */
    TsObjectClass parent;
    const char *(*name_of)(TsObject *obj);
} NamedIface;

typedef struct GreeterIface {         /* "t-greeter" extends "t-named" */
    NamedIface parent;
    const char *(*greet)(TsObject *obj);
} GreeterIface;

static const char *hello(TsObject *obj) { return "hello"; }
static const char *howdy(TsObject *obj) { return "howdy"; }
static const char *named_base(TsObject *obj) { return "base"; }
static const char *named_sub(TsObject *obj) { return "sub"; }

static void greeter_class_init(TsObjectClass *klass, const void *data)
{
    GreeterIface *gi = ts_class_interface(klass, "t-greeter");
    g_assert_nonnull(gi);
    gi->greet = hello;
    gi->parent.name_of = named_base;
}

static void sub_greeter_class_init(TsObjectClass *klass, const void *data)
{
    GreeterIface *gi = ts_class_interface(klass, "t-greeter");
    g_assert_true(gi->greet == hello);               /* inherited */
    gi->parent.name_of = named_sub;                  /* overridden */
}

static void relisting_class_init(TsObjectClass *klass, const void *data)
{
    GreeterIface *gi = ts_class_interface(klass, "t-greeter");
    g_assert_true(gi->greet == hello);
    gi->greet = howdy;
}

static void test_interfaces(void)
{
    static const TsTypeInfo named = {
        .name = "t-named", .parent = TS_TYPE_INTERFACE,
        .class_size = sizeof(NamedIface) };
    static const TsTypeInfo greeter = {
        .name = "t-greeter", .parent = "t-named",
        .class_size = sizeof(GreeterIface) };
    static const char *const greeter_list[] = { "t-greeter", NULL };
    static const TsTypeInfo impl = {
        .name = "t-greeting-thing", .class_init = greeter_class_init,
        .interfaces = greeter_list };
    static const TsTypeInfo sub = {
        .name = "t-greeting-sub", .parent = "t-greeting-thing",
        .class_init = sub_greeter_class_init };
    static const TsTypeInfo relist = {
        .name = "t-greeting-relist", .parent = "t-greeting-thing",
        .class_init = relisting_class_init, .interfaces = greeter_list };
    static const TsTypeInfo plain = { .name = "t-not-greeting" };
    register_ok(&named);
    register_ok(&greeter);
    register_ok(&impl);
    register_ok(&sub);
    register_ok(&relist);
    register_ok(&plain);

    g_assert_true(ts_type_is_a("t-greeting-thing", "t-greeter"));
    g_assert_true(ts_type_is_a("t-greeting-thing", "t-named"));
    g_assert_true(ts_type_is_a("t-greeting-sub", "t-named"));
    g_assert_false(ts_type_is_a("t-greeting-thing", TS_TYPE_INTERFACE));
    g_assert_true(ts_type_is_a("t-greeter", TS_TYPE_INTERFACE));
    g_assert_false(ts_type_is_a("t-not-greeting", "t-greeter"));

    TsObjectClass *k = ts_class_by_name("t-greeting-thing");
    TsObjectClass *ks = ts_class_by_name("t-greeting-sub");
    TsObjectClass *kr = ts_class_by_name("t-greeting-relist");
    GreeterIface *gi = ts_class_interface(k, "t-greeter");
    GreeterIface *gs = ts_class_interface(ks, "t-greeter");
    GreeterIface *gr = ts_class_interface(kr, "t-greeter");
    g_assert_true(gi->greet == hello && gi->parent.name_of == named_base);
    g_assert_true(gs->greet == hello && gs->parent.name_of == named_sub);
    g_assert_true(gr->greet == howdy && gr->parent.name_of == named_base);
    g_assert_true(gi != gs);          /* the subclass has its own copy */
    g_assert_cmpstr(ts_class_name(&gi->parent.parent), ==, "t-greeter");

    /* The ancestor interface is the derived one's first member. */
    NamedIface *ni = ts_class_interface(ks, "t-named");
    g_assert_true(ni == &gs->parent);
    g_assert_null(ts_class_interface(k, TS_TYPE_INTERFACE));
    g_assert_null(ts_class_interface(ts_class_by_name("t-not-greeting"),
                                     "t-greeter"));

    /* Objects cast to the interfaces they implement. */
    TsObject *obj = ts_object_new("t-greeting-sub", NULL);
    g_assert_true(ts_object_dynamic_cast(obj, "t-named") == obj);
    ts_object_unref(obj);

    /* Interface types describe method tables: never instantiated, even
     * when their info does not say abstract. */
    GError *err = NULL;
    g_assert_null(ts_object_new("t-greeter", &err));
    assert_error(err, TS_ERROR_INVALID, "is abstract");
    g_assert_true(ts_class_is_abstract(ts_class_by_name("t-named")));
}

/* Listing something that is not an interface warns and is ignored. */
static void test_bad_interface(void)
{
    static const char *const list[] = { "t-not-an-iface", "t-nosuch-iface",
                                        "device", NULL };
    static const TsTypeInfo not_iface = { .name = "t-not-an-iface" };
    static const TsTypeInfo bad = { .name = "t-bad-iface-user",
                                    .interfaces = list };
    register_ok(&not_iface);
    register_ok(&bad);
    g_assert_false(ts_type_is_a("t-bad-iface-user", "t-not-an-iface"));
    g_assert_false(ts_type_is_a("t-bad-iface-user", "t-nosuch-iface"));
    g_assert_false(ts_type_is_a("t-bad-iface-user", "device"));
    if (g_test_subprocess()) {
        g_assert_nonnull(ts_class_by_name("t-bad-iface-user"));
        g_assert_null(ts_class_interface(ts_class_by_name("t-bad-iface-user"),
                                         "t-not-an-iface"));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*'t-not-an-iface', which is not a "
                              "registered interface type*");
    g_test_trap_assert_stderr("*'t-nosuch-iface'*");
}

/* ------------------------------------------------------------------ */
/* Properties                                                         */

typedef struct PropDev {
    TsDevice parent;
    bool flag;
    int64_t delta;
    int64_t any;
    uint64_t count;
    uint64_t limited;
    uint64_t mem;
    char *label;
    char *nolabel;
    int mode;
    TsObject *peer;
    int64_t live;
    uint64_t mem_at_init;
    char *label_at_init;
    bool extra;
} PropDev;

static const char *const modes[] = { "fast", "slow", "off", NULL };

static const TsProperty propdev_props[] = {
    TS_PROP_BOOL("flag", PropDev, flag, true, "a switch"),
    TS_PROP_INT("delta", PropDev, delta, -3, -10, 10, "a small number"),
    TS_PROP_INT("any", PropDev, any, 0, 0, 0, "any number"),
    TS_PROP_UINT("count", PropDev, count, 5, "a counter"),
    { .name = "limited", .kind = TS_PROP_UINT,
      .offset = offsetof(PropDev, limited), .def.u = 2, .min = 1, .max = 8,
      .description = "one to eight" },
    TS_PROP_SIZE("mem", PropDev, mem, 64 * 1024, "memory size"),
    TS_PROP_STRING("label", PropDev, label, "hello", "a label"),
    TS_PROP_STRING("nolabel", PropDev, nolabel, NULL, NULL),
    TS_PROP_ENUM("mode", PropDev, mode, "slow", modes, "speed"),
    TS_PROP_LINK("peer", PropDev, peer, "t-linkable", "the peer"),
    { .name = "live", .kind = TS_PROP_INT, .offset = offsetof(PropDev, live),
      .settable_after_realize = true, .description = "changes any time" },
    TS_PROP_END
};

static const TsProperty propsub_props[] = {
    TS_PROP_SIZE("mem", PropDev, mem, 1024 * 1024, "more memory"),
    TS_PROP_BOOL("extra", PropDev, extra, false, "only in the subclass"),
    TS_PROP_END
};

static unsigned realize_calls, unrealize_calls;

static bool propdev_realize(TsDevice *dev, GError **errp)
{
    PropDev *p = (PropDev *)dev;
    realize_calls++;
    if (p->delta == 7) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "delta 7 is unlucky");
        return false;
    }
    return p->delta != 8;           /* 8: fails without saying why */
}

static void propdev_unrealize(TsDevice *dev)
{
    unrealize_calls++;
}

static void propdev_reset(TsDevice *dev)
{
    g_autofree char *path = ts_object_path(TS_OBJECT(dev));
    log_event(path ? path : "?");
}

static void propdev_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    g_assert_true(dc->user_creatable);          /* the device default */
    dc->realize = propdev_realize;
    dc->unrealize = propdev_unrealize;
    dc->reset = propdev_reset;
    ts_class_add_properties(klass, propdev_props);
}

/* Defaults are in place before instance_init, which may override them. */
static void propdev_init(TsObject *obj)
{
    PropDev *p = (PropDev *)obj;
    p->mem_at_init = p->mem;
    p->label_at_init = g_strdup(p->label);
    p->count = 6;
}

static void propdev_finalize(TsObject *obj)
{
    PropDev *p = (PropDev *)obj;
    /* Properties are still readable in finalize. */
    g_assert_nonnull(p->label);
    g_free(p->label_at_init);
}

static void propsub_class_init(TsObjectClass *klass, const void *data)
{
    ts_class_add_properties(klass, propsub_props);
}

static const TsTypeInfo propdev_info = {
    .name = "t-propdev", .parent = TS_TYPE_DEVICE,
    .instance_size = sizeof(PropDev), .class_init = propdev_class_init,
    .instance_init = propdev_init, .instance_finalize = propdev_finalize,
};
static const TsTypeInfo propsub_info = {
    .name = "t-propsub", .parent = "t-propdev",
    .class_init = propsub_class_init,
};
static const TsTypeInfo linkable_info = { .name = "t-linkable" };
static unsigned linkable_finalized;

static void linkable_finalize(TsObject *obj)
{
    linkable_finalized++;
}

static const TsTypeInfo linkable_sub_info = {
    .name = "t-linkable-sub", .parent = "t-linkable",
    .instance_finalize = linkable_finalize };
static const TsTypeInfo unlinkable_info = { .name = "t-unlinkable" };

static void register_prop_types(void)
{
    if (!ts_type_exists("t-propdev")) {
        register_ok(&propdev_info);
        register_ok(&propsub_info);
        register_ok(&linkable_info);
        register_ok(&linkable_sub_info);
        register_ok(&unlinkable_info);
    }
}

static TsObject *new_propdev(const char *type)
{
    register_prop_types();
    GError *err = NULL;
    TsObject *obj = ts_object_new(type, &err);
    g_assert_no_error(err);
    return obj;
}

static char *get(TsObject *obj, const char *name)
{
    GError *err = NULL;
    char *v = ts_object_get_prop(obj, name, &err);
    g_assert_no_error(err);
    return v;
}

#define assert_prop(obj, name, expected) do { \
        g_autofree char *v_ = get((obj), (name)); \
        g_assert_cmpstr(v_, ==, (expected)); \
    } while (0)

static void set_ok(TsObject *obj, const char *name, const char *value)
{
    GError *err = NULL;
    if (!ts_object_set_prop(obj, name, value, &err)) {
        g_error("%s=%s: %s", name, value, err->message);
    }
}

static void set_bad(TsObject *obj, const char *name, const char *value,
                    int code, const char *fragment)
{
    g_autofree char *before = ts_object_get_prop(obj, name, NULL);
    GError *err = NULL;
    g_assert_false(ts_object_set_prop(obj, name, value, &err));
    assert_error(err, code, fragment);
    g_autofree char *after = ts_object_get_prop(obj, name, NULL);
    g_assert_cmpstr(before, ==, after);     /* a refused set changes nothing */
}

static void test_prop_defaults(void)
{
    TsObject *obj = new_propdev("t-propdev");
    PropDev *p = (PropDev *)obj;
    g_assert_true(p->flag);
    g_assert_cmpint(p->delta, ==, -3);
    g_assert_cmpuint(p->limited, ==, 2);
    g_assert_cmpuint(p->mem, ==, 64 * 1024);
    g_assert_cmpstr(p->label, ==, "hello");
    g_assert_null(p->nolabel);
    g_assert_cmpint(p->mode, ==, 1);
    g_assert_null(p->peer);
    /* Defaults were applied before instance_init ... */
    g_assert_cmpuint(p->mem_at_init, ==, 64 * 1024);
    g_assert_cmpstr(p->label_at_init, ==, "hello");
    /* ... which may override them. */
    g_assert_cmpuint(p->count, ==, 6);

    assert_prop(obj, "flag", "true");
    assert_prop(obj, "delta", "-3");
    assert_prop(obj, "count", "6");
    assert_prop(obj, "mem", "65536");
    assert_prop(obj, "label", "hello");
    assert_prop(obj, "nolabel", "");
    assert_prop(obj, "mode", "slow");
    assert_prop(obj, "peer", "");
    ts_object_unref(obj);

    /* A subclass redeclares a property to change its default. */
    obj = new_propdev("t-propsub");
    p = (PropDev *)obj;
    g_assert_cmpuint(p->mem, ==, 1024 * 1024);
    g_assert_cmpuint(p->mem_at_init, ==, 1024 * 1024);
    assert_prop(obj, "extra", "false");
    assert_prop(obj, "label", "hello");         /* inherited */
    ts_object_unref(obj);
}

static void test_prop_set_each_kind(void)
{
    TsObject *obj = new_propdev("t-propdev");
    PropDev *p = (PropDev *)obj;

    set_ok(obj, "flag", "off");
    g_assert_false(p->flag);
    set_ok(obj, "flag", "yes");
    g_assert_true(p->flag);
    set_ok(obj, "delta", "-10");
    g_assert_cmpint(p->delta, ==, -10);
    set_ok(obj, "delta", "10");
    set_ok(obj, "any", "-9223372036854775808");
    g_assert_cmpint(p->any, ==, INT64_MIN);
    set_ok(obj, "count", "0xffffffffffffffff");
    g_assert_cmpuint(p->count, ==, UINT64_MAX);
    set_ok(obj, "limited", "8");
    set_ok(obj, "mem", "1.5G");
    g_assert_cmpuint(p->mem, ==, 3ull << 29);
    assert_prop(obj, "mem", "1610612736");
    set_ok(obj, "label", "world");
    g_assert_cmpstr(p->label, ==, "world");
    set_ok(obj, "label", "");
    assert_prop(obj, "label", "");
    set_ok(obj, "nolabel", "set now");
    set_ok(obj, "mode", "off");
    g_assert_cmpint(p->mode, ==, 2);
    assert_prop(obj, "mode", "off");

    /* Typed setters. */
    GError *err = NULL;
    g_assert_true(ts_object_set_bool(obj, "flag", false, NULL));
    g_assert_false(p->flag);
    g_assert_true(ts_object_set_int(obj, "delta", 4, NULL));
    g_assert_cmpint(p->delta, ==, 4);
    g_assert_true(ts_object_set_uint(obj, "count", 99, NULL));
    g_assert_true(ts_object_set_uint(obj, "mem", 4096, NULL));
    assert_prop(obj, "mem", "4096");
    g_assert_false(ts_object_set_int(obj, "delta", 11, &err));
    assert_error(err, TS_ERROR_INVALID, "between -10 and 10");
    g_assert_false(ts_object_set_uint(obj, "limited", 0, &err));
    assert_error(err, TS_ERROR_INVALID, "between 1 and 8");
    g_assert_false(ts_object_set_bool(obj, "delta", true, &err));
    assert_error(err, TS_ERROR_INVALID, "'delta' is a int64, not a bool");
    g_assert_false(ts_object_set_int(obj, "nosuch", 1, &err));
    assert_error(err, TS_ERROR_NOT_FOUND, "Property 't-propdev.nosuch'");
    ts_object_unref(obj);               /* strings freed: LSan checks */
}

static void test_prop_bad_values(void)
{
    TsObject *obj = new_propdev("t-propdev");
    set_bad(obj, "flag", "maybe", TS_ERROR_INVALID,
            "Parameter 'flag' expects 'on' or 'off'");
    set_bad(obj, "delta", "many", TS_ERROR_INVALID,
            "Parameter 'delta' expects an integer");
    set_bad(obj, "delta", "11", TS_ERROR_INVALID,
            "Property 'delta' must be between -10 and 10, not 11");
    set_bad(obj, "delta", "-11", TS_ERROR_INVALID, "between -10 and 10");
    set_bad(obj, "any", "9223372036854775808", TS_ERROR_INVALID,
            "out of range");
    set_bad(obj, "count", "-1", TS_ERROR_INVALID,
            "Parameter 'count' expects a non-negative integer");
    set_bad(obj, "limited", "0", TS_ERROR_INVALID, "between 1 and 8, not 0");
    set_bad(obj, "limited", "9", TS_ERROR_INVALID, "between 1 and 8");
    set_bad(obj, "mem", "lots", TS_ERROR_INVALID,
            "Parameter 'mem' expects a size");
    set_bad(obj, "mem", "16E", TS_ERROR_INVALID, "too large");
    set_bad(obj, "mem", "-1", TS_ERROR_INVALID, "expects a size");
    set_bad(obj, "mode", "warp", TS_ERROR_INVALID,
            "Invalid parameter value for 'mode': expected one of "
            "fast, slow, off");
    set_bad(obj, "mode", NULL, TS_ERROR_INVALID, "expected one of");
    set_bad(obj, "flag", NULL, TS_ERROR_INVALID, "expects 'on' or 'off'");

    GError *err = NULL;
    g_assert_false(ts_object_set_prop(obj, "bar", "1", &err));
    assert_error(err, TS_ERROR_NOT_FOUND, "Property 't-propdev.bar' not found");
    g_assert_null(ts_object_get_prop(obj, "bar", &err));
    assert_error(err, TS_ERROR_NOT_FOUND, "Property 't-propdev.bar' not found");
    ts_object_unref(obj);
}

/* A value instance_init or a plugin stored out of the table's range is
 * printed as a number, not read past the table. */
static void test_prop_enum_out_of_range(void)
{
    TsObject *obj = new_propdev("t-propdev");
    ((PropDev *)obj)->mode = 17;
    assert_prop(obj, "mode", "17");
    ((PropDev *)obj)->mode = -1;
    assert_prop(obj, "mode", "-1");
    ts_object_unref(obj);
}

static void test_prop_links(void)
{
    TsObject *obj = new_propdev("t-propdev");
    PropDev *p = (PropDev *)obj;
    TsObject *box = ts_object_new("container", NULL);
    TsObject *peer = ts_object_new("t-linkable-sub", NULL);
    TsObject *wrong = ts_object_new("t-unlinkable", NULL);
    g_assert_true(ts_object_add_child(ts_object_root(), "t-links", box, NULL));
    g_assert_true(ts_object_add_child(box, "peer0", peer, NULL));
    g_assert_true(ts_object_add_child(box, "wrong0", wrong, NULL));
    ts_object_unref(peer);
    ts_object_unref(wrong);
    g_assert_cmpint(peer->refcount, ==, 1);

    /* By path: the link holds a reference. */
    set_ok(obj, "peer", "/t-links/peer0");
    g_assert_true(p->peer == peer);
    g_assert_cmpint(peer->refcount, ==, 2);
    assert_prop(obj, "peer", "/t-links/peer0");

    /* By a unique id (QEMU's partial path). */
    set_ok(obj, "peer", "");
    g_assert_null(p->peer);
    g_assert_cmpint(peer->refcount, ==, 1);
    set_ok(obj, "peer", "peer0");
    g_assert_true(p->peer == peer);

    /* The target must be a link_type; a refused set keeps the old link. */
    set_bad(obj, "peer", "/t-links/wrong0", TS_ERROR_INVALID,
            "Property 'peer' needs a 't-linkable', but '/t-links/wrong0' is "
            "a 't-unlinkable'");
    set_bad(obj, "peer", "wrong0", TS_ERROR_INVALID, "needs a 't-linkable'");
    set_bad(obj, "peer", "/t-links/nosuch", TS_ERROR_NOT_FOUND,
            "no object at '/t-links/nosuch'");
    set_bad(obj, "peer", "nosuch", TS_ERROR_NOT_FOUND,
            "no t-linkable with id 'nosuch'");
    g_assert_true(p->peer == peer);

    GError *err = NULL;
    g_assert_false(ts_object_set_link(obj, "peer", wrong, &err));
    assert_error(err, TS_ERROR_INVALID, "needs a 't-linkable'");
    g_assert_false(ts_object_set_link(obj, "flag", peer, &err));
    assert_error(err, TS_ERROR_INVALID, "is a bool, not a link");
    g_assert_true(ts_object_set_link(obj, "peer", NULL, NULL));
    g_assert_cmpint(peer->refcount, ==, 1);

    /* Two objects of the same name: an id is ambiguous, unless only one
     * has the link's type. */
    TsObject *box2 = ts_object_new("container", NULL);
    TsObject *peer2 = ts_object_new("t-linkable", NULL);
    g_assert_true(ts_object_add_child(box, "more", box2, NULL));
    g_assert_true(ts_object_add_child(box2, "peer0", peer2, NULL));
    TsObject *right0 = ts_object_new("t-linkable", NULL);
    g_assert_true(ts_object_add_child(box2, "wrong0", right0, NULL));
    ts_object_unref(right0);
    set_bad(obj, "peer", "peer0", TS_ERROR_INVALID,
            "id 'peer0' is ambiguous (2 objects), give its path");
    set_ok(obj, "peer", "wrong0");      /* only one of them is a t-linkable */
    g_assert_true(p->peer == right0);
    ts_object_unref(peer2);
    ts_object_unref(box2);

    /* An object linked to dies only when the link goes too. */
    set_ok(obj, "peer", "/t-links/peer0");
    ts_object_remove_child(ts_object_root(), box);
    ts_object_unref(box);
    g_assert_cmpint(peer->refcount, ==, 1);
    g_assert_null(peer->parent);
    assert_prop(obj, "peer", "");       /* no longer in the tree */
    linkable_finalized = 0;
    ts_object_unref(obj);               /* drops the last reference */
    g_assert_cmpuint(linkable_finalized, ==, 1);
}

typedef struct SelfLinker {
    TsObject parent;
    TsObject *other;
} SelfLinker;

static const TsProperty self_linker_props[] = {
    TS_PROP_LINK("other", SelfLinker, other, NULL, "any object"),
    TS_PROP_END
};

static void self_linker_class_init(TsObjectClass *klass, const void *data)
{
    ts_class_add_properties(klass, self_linker_props);
}

/* A link to itself would keep an object alive forever; a NULL link_type
 * accepts any object. */
static void test_prop_link_to_self(void)
{
    static const TsTypeInfo info = { .name = "t-self-linker",
                                     .instance_size = sizeof(SelfLinker),
                                     .class_init = self_linker_class_init };
    register_ok(&info);
    TsObject *obj = ts_object_new("t-self-linker", NULL);
    TsObject *any = ts_object_new("container", NULL);
    GError *err = NULL;
    g_assert_false(ts_object_set_link(obj, "other", obj, &err));
    assert_error(err, TS_ERROR_INVALID, "cannot link an object to itself");
    g_assert_true(ts_object_set_link(obj, "other", any, NULL));
    g_assert_true(((SelfLinker *)obj)->other == any);
    ts_object_unref(any);
    g_autofree char *help =
        object_class_property_help(ts_class_by_name("t-self-linker"));
    g_assert_cmpstr(help, ==, "  other=<link<object>>  - any object\n");
    ts_object_unref(obj);
}

static void collect_name(const TsProperty *prop, void *opaque)
{
    GString *s = opaque;
    g_string_append_printf(s, "%s%s", s->len ? "," : "", prop->name);
}

static void test_prop_introspection(void)
{
    register_prop_types();
    TsObjectClass *sub = ts_class_by_name("t-propsub");
    TsObjectClass *base = ts_class_by_name("t-propdev");

    const TsProperty *mem = ts_class_find_property(sub, "mem");
    g_assert_nonnull(mem);
    g_assert_cmpstr(mem->description, ==, "more memory");
    g_assert_cmpstr(ts_class_find_property(base, "mem")->description, ==,
                    "memory size");
    g_assert_nonnull(ts_class_find_property(sub, "label"));
    g_assert_null(ts_class_find_property(base, "extra"));
    g_assert_null(ts_class_find_property(sub, "nosuch"));

    /* Own first, then inherited, each name once. */
    g_autoptr(GString) names = g_string_new(NULL);
    ts_class_foreach_property(sub, collect_name, names);
    g_assert_cmpstr(names->str, ==,
                    "mem,extra,flag,delta,any,count,limited,label,nolabel,"
                    "mode,peer,live");

    g_assert_cmpstr(ts_prop_kind_name(TS_PROP_BOOL), ==, "bool");
    g_assert_cmpstr(ts_prop_kind_name(TS_PROP_INT), ==, "int64");
    g_assert_cmpstr(ts_prop_kind_name(TS_PROP_UINT), ==, "uint64");
    g_assert_cmpstr(ts_prop_kind_name(TS_PROP_SIZE), ==, "size");
    g_assert_cmpstr(ts_prop_kind_name(TS_PROP_STRING), ==, "str");
    g_assert_cmpstr(ts_prop_kind_name(TS_PROP_ENUM), ==, "enum");
    g_assert_cmpstr(ts_prop_kind_name(TS_PROP_LINK), ==, "link");
    g_assert_cmpstr(ts_prop_kind_name((TsPropKind)99), ==, "?");

    static const char *const defaults[][2] = {
        { "flag", "true" }, { "delta", "-3" }, { "count", "5" },
        { "mem", "1048576" }, { "label", "\"hello\"" }, { "nolabel", NULL },
        { "mode", "\"slow\"" }, { "peer", NULL },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(defaults); i++) {
        g_autofree char *d = ts_prop_default_text(
            ts_class_find_property(sub, defaults[i][0]));
        g_assert_cmpstr(d, ==, defaults[i][1]);
    }
}

typedef struct HelpOrder {
    TsObject parent;
    bool a, a_b;
} HelpOrder;

static const TsProperty help_order_props[] = {
    TS_PROP_BOOL("a-b", HelpOrder, a_b, true, "second"),
    TS_PROP_BOOL("a", HelpOrder, a, false, NULL),
    TS_PROP_END
};

static void help_order_class_init(TsObjectClass *klass, const void *data)
{
    ts_class_add_properties(klass, help_order_props);
}

static void test_prop_help(void)
{
    static const TsTypeInfo help_order = {
        .name = "t-help-order", .instance_size = sizeof(HelpOrder),
        .class_init = help_order_class_init };
    register_prop_types();
    register_ok(&help_order);
    g_autofree char *help =
        object_class_property_help(ts_class_by_name("t-propsub"));
    g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 13);   /* 12 + final "" */
    g_assert_cmpstr(lines[12], ==, "");
    for (int i = 0; i < 11; i++) {
        g_assert_cmpint(strcmp(lines[i], lines[i + 1]), <, 0);    /* sorted */
        g_assert_true(g_str_has_prefix(lines[i], "  "));
    }
    g_assert_cmpstr(lines[0], ==,
                    "  any=<int64>           - any number (default: 0)");
    g_assert_nonnull(g_strrstr(help,
        "  mem=<size>            - more memory (default: 1048576)\n"));
    g_assert_nonnull(g_strrstr(help,
        "  mode=<enum>           - speed (fast/slow/off) "
        "(default: \"slow\")\n"));
    g_assert_nonnull(g_strrstr(help,
        "  peer=<link<t-linkable>> - the peer\n"));
    g_assert_nonnull(g_strrstr(help, "  nolabel=<str>\n"));
    g_assert_nonnull(g_strrstr(help,
        "  extra=<bool>          - only in the subclass (default: false)\n"));

    /* Sorted by name, not by line: "a" before "a-b" although '-' < '='. */
    g_autofree char *named =
        object_class_property_help(ts_class_by_name("t-help-order"));
    g_assert_cmpstr(named, ==,
                    "  a=<bool>              - (default: false)\n"
                    "  a-b=<bool>            - second (default: true)\n");

    g_autofree char *none =
        object_class_property_help(ts_class_by_name("container"));
    g_assert_cmpstr(none, ==, "There are no options for this type.\n");
}

/* ------------------------------------------------------------------ */
/* Composition tree                                                   */

static void collect_and_remove(TsObject *child, void *opaque)
{
    GString *s = opaque;
    g_string_append_printf(s, "%s%s", s->len ? "," : "", child->name);
    ts_object_remove_child(child->parent, child);
}

static void test_tree(void)
{
    TsObject *root = ts_object_root();
    g_assert_true(ts_object_root() == root);
    g_autofree char *root_path = ts_object_path(root);
    g_assert_cmpstr(root_path, ==, "/");
    g_assert_true(ts_object_resolve_path("/") == root);

    TsObject *a = ts_object_new("container", NULL);
    TsObject *b = ts_object_new("container", NULL);
    g_assert_null(ts_object_path(a));       /* not in the tree */
    GError *err = NULL;
    g_assert_true(ts_object_add_child(root, "t-tree", a, &err));
    g_assert_no_error(err);
    g_assert_cmpint(a->refcount, ==, 2);    /* the tree took a reference */
    g_assert_true(a->parent == root);
    g_assert_cmpstr(a->name, ==, "t-tree");
    g_assert_true(ts_object_add_child(a, "b", b, NULL));

    g_autofree char *path = ts_object_path(b);
    g_assert_cmpstr(path, ==, "/t-tree/b");
    g_assert_true(ts_object_resolve_path("/t-tree/b") == b);
    g_assert_true(ts_object_resolve_path("/t-tree//b/") == b);
    g_assert_true(ts_object_child(a, "b") == b);
    g_assert_null(ts_object_child(a, "c"));
    g_assert_null(ts_object_resolve_path("/t-tree/c"));
    g_assert_null(ts_object_resolve_path("t-tree/b"));  /* paths only */
    g_assert_null(ts_object_resolve_path("b"));
    g_assert_null(ts_object_resolve_path(""));
    g_assert_null(ts_object_resolve_path(NULL));

    /* Refusals. */
    TsObject *c = ts_object_new("container", NULL);
    g_assert_false(ts_object_add_child(a, "b", c, &err));
    assert_error(err, TS_ERROR_INVALID, "Duplicate ID 'b'");
    g_assert_false(ts_object_add_child(a, "x/y", c, &err));
    assert_error(err, TS_ERROR_INVALID, "'x/y' is not a valid object name");
    g_assert_false(ts_object_add_child(a, "", c, &err));
    assert_error(err, TS_ERROR_INVALID, "not a valid object name");
    g_assert_false(ts_object_add_child(root, "b2", b, &err));
    assert_error(err, TS_ERROR_INVALID, "already has a parent");
    g_assert_false(ts_object_add_child(b, "loop", a, &err));
    assert_error(err, TS_ERROR_INVALID, "already has a parent");
    /* A detached subtree cannot be hung below itself either. */
    TsObject *d = ts_object_new("container", NULL);
    TsObject *e = ts_object_new("container", NULL);
    g_assert_true(ts_object_add_child(d, "e", e, NULL));
    g_assert_false(ts_object_add_child(e, "d", d, &err));
    assert_error(err, TS_ERROR_INVALID, "its own descendant");
    g_assert_false(ts_object_add_child(d, "d", d, &err));
    assert_error(err, TS_ERROR_INVALID, "its own descendant");
    ts_object_unref(e);
    ts_object_unref(d);
    g_assert_false(ts_object_add_child(c, "root", root, &err));
    assert_error(err, TS_ERROR_INVALID, "its own descendant");
    g_assert_cmpint(c->refcount, ==, 1);
    g_assert_null(c->parent);

    /* Children in insertion order; the callback may remove them. */
    g_assert_true(ts_object_add_child(a, "c", c, NULL));
    g_autoptr(GString) names = g_string_new(NULL);
    ts_object_foreach_child(a, collect_and_remove, names);
    g_assert_cmpstr(names->str, ==, "b,c");
    g_assert_null(ts_object_child(a, "b"));
    g_assert_null(ts_object_child(a, "c"));
    g_assert_null(b->parent);
    g_assert_cmpint(b->refcount, ==, 1);
    g_assert_true(ts_object_add_child(a, "b", b, NULL));
    g_assert_true(ts_object_add_child(a, "c", c, NULL));

    ts_object_unref(b);
    ts_object_unref(c);
    ts_object_remove_child(root, a);
    g_assert_null(ts_object_resolve_path("/t-tree"));
    g_assert_null(a->parent);
    g_assert_cmpint(a->refcount, ==, 1);
    ts_object_remove_child(root, a);        /* not a child: no-op */
    g_assert_cmpint(a->refcount, ==, 1);
    ts_object_unref(a);                     /* takes b and c with it */
}

/* Removing a parent takes its children; finalize runs child types first,
 * after the object's own children are gone. */
static void finalize_logger(TsObject *obj)
{
    g_autofree char *s = g_strdup_printf("f:%s", obj->name ? obj->name
                                                           : "?");
    log_event(s);
}

static void test_tree_finalize_order(void)
{
    static const TsTypeInfo node = { .name = "t-node", .parent = "container",
                                     .instance_finalize = finalize_logger };
    register_ok(&node);
    TsObject *top = ts_object_new("t-node", NULL);
    TsObject *kid = ts_object_new("t-node", NULL);
    TsObject *grandkid = ts_object_new("t-node", NULL);
    g_assert_true(ts_object_add_child(ts_object_root(), "t-top", top, NULL));
    g_assert_true(ts_object_add_child(top, "kid", kid, NULL));
    g_assert_true(ts_object_add_child(kid, "grandkid", grandkid, NULL));
    ts_object_unref(grandkid);
    ts_object_unref(kid);
    ts_object_unref(top);

    /* Someone else still holds the kid: it survives, detached. */
    ts_object_ref(kid);
    log_reset();
    ts_object_remove_child(ts_object_root(), top);
    assert_log("f:t-top");
    g_assert_null(kid->parent);
    g_assert_cmpint(kid->refcount, ==, 1);
    g_assert_true(ts_object_child(kid, "grandkid") == grandkid);
    log_reset();
    ts_object_unref(kid);
    assert_log("f:grandkid f:kid");
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */

static void test_device_realize(void)
{
    TsObject *obj = new_propdev("t-propdev");
    TsDevice *dev = TS_DEVICE(obj);
    realize_calls = unrealize_calls = 0;
    g_assert_false(dev->realized);

    /* A failing realize propagates its message and leaves the device
     * unrealized and still configurable. */
    set_ok(obj, "delta", "7");
    GError *err = NULL;
    g_assert_false(ts_device_realize(dev, &err));
    assert_error(err, TS_ERROR_INVALID, "delta 7 is unlucky");
    g_assert_false(dev->realized);
    set_ok(obj, "delta", "8");
    g_assert_false(ts_device_realize(dev, &err));
    assert_error(err, TS_ERROR_FAILED, "'t-propdev' failed to realize");
    g_assert_false(dev->realized);
    g_assert_cmpuint(unrealize_calls, ==, 0);

    set_ok(obj, "delta", "1");
    g_assert_true(ts_device_realize(dev, &err));
    g_assert_no_error(err);
    g_assert_true(dev->realized);
    g_assert_cmpuint(realize_calls, ==, 3);
    g_assert_true(ts_device_realize(dev, NULL));    /* already: no call */
    g_assert_cmpuint(realize_calls, ==, 3);

    /* Frozen once realized, except what may change at run time. */
    set_bad(obj, "delta", "2", TS_ERROR_INVALID,
            "Property 't-propdev.delta' cannot be changed once the device "
            "is realized");
    g_assert_false(ts_object_set_int(obj, "delta", 2, &err));
    assert_error(err, TS_ERROR_INVALID, "realized");
    assert_prop(obj, "delta", "1");                  /* reading is fine */
    set_ok(obj, "live", "42");
    assert_prop(obj, "live", "42");

    ts_device_unrealize(dev);
    g_assert_false(dev->realized);
    g_assert_cmpuint(unrealize_calls, ==, 1);
    ts_device_unrealize(dev);                       /* no-op */
    g_assert_cmpuint(unrealize_calls, ==, 1);
    set_ok(obj, "delta", "2");

    /* The last reference unrealizes a realized device. */
    g_assert_true(ts_device_realize(dev, NULL));
    ts_object_unref(obj);
    g_assert_cmpuint(unrealize_calls, ==, 2);
}

/* Realizing something that is not a device is an error, not a crash. */
static void test_device_realize_non_device(void)
{
    TsObject *obj = ts_object_new("container", NULL);
    GError *err = NULL;
    g_assert_false(ts_device_realize((TsDevice *)obj, &err));
    assert_error(err, TS_ERROR_INVALID, "'container' is not a device");
    ts_device_unrealize((TsDevice *)obj);
    ts_device_reset((TsDevice *)obj);
    ts_object_unref(obj);
}

static void test_device_remove_unrealizes(void)
{
    TsObject *obj = new_propdev("t-propdev");
    unrealize_calls = 0;
    g_assert_true(ts_object_add_child(ts_object_root(), "t-dev", obj, NULL));
    g_assert_true(ts_device_realize(TS_DEVICE(obj), NULL));
    ts_object_ref(obj);
    ts_object_remove_child(ts_object_root(), obj);
    g_assert_cmpuint(unrealize_calls, ==, 1);
    g_assert_false(TS_DEVICE(obj)->realized);
    ts_object_unref(obj);
    ts_object_unref(obj);
}

static bool test_machine_init(TsMachine *machine, GError **errp)
{
    return true;
}

static void test_machine_class_init(TsObjectClass *klass, const void *data)
{
    ((TsMachineClass *)klass)->init = test_machine_init;
}

static void add_device(TsObject *parent, const char *name, bool realize)
{
    TsObject *obj = new_propdev("t-propdev");
    g_assert_true(ts_object_add_child(parent, name, obj, NULL));
    if (realize) {
        g_assert_true(ts_device_realize(TS_DEVICE(obj), NULL));
    }
    ts_object_unref(obj);
}

/* Reset visits realized devices under the machine, children first. */
static void test_devices_reset_all(void)
{
    static const TsTypeInfo machine = {
        .name = "t-machine", .parent = TS_TYPE_MACHINE,
        .class_init = test_machine_class_init };
    register_ok(&machine);
    log_reset();
    ts_devices_reset_all();                 /* no machine yet: nothing */
    assert_log("");

    TsMachine *m = machine_create("t-machine", NULL);
    g_assert_nonnull(m);
    TsObject *mo = TS_OBJECT(m);
    TsObject *periph = ts_object_new("container", NULL);
    g_assert_true(ts_object_add_child(mo, "peripheral", periph, NULL));
    ts_object_unref(periph);
    add_device(periph, "outer", true);
    add_device(ts_object_child(periph, "outer"), "inner", true);
    add_device(periph, "asleep", false);
    add_device(periph, "second", true);
    add_device(ts_object_root(), "t-outside", true);  /* not in the machine */

    ts_devices_reset_all();
    assert_log("/machine/peripheral/outer/inner /machine/peripheral/outer "
               "/machine/peripheral/second");

    log_reset();
    ts_device_reset(TS_DEVICE(ts_object_resolve_path("/t-outside")));
    assert_log("/t-outside");
    ts_object_remove_child(ts_object_root(),
                           ts_object_resolve_path("/t-outside"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    event_log = g_string_new(NULL);
    g_test_add_func("/object/builtin-types", test_builtin_types);
    g_test_add_func("/object/unknown-type", test_unknown_type);
    g_test_add_func("/object/duplicate-type", test_duplicate_type);
    g_test_add_func("/object/parent-registered-later",
                    test_parent_registered_later);
    g_test_add_func("/object/instance-life-cycle", test_instance_life_cycle);
    g_test_add_func("/object/parent-loop", test_parent_loop);
    g_test_add_func("/object/type-foreach", test_type_foreach);
    g_test_add_func("/object/registry-hooks", test_registry_hooks);
    g_test_add_func("/object/interfaces", test_interfaces);
    g_test_add_func("/object/bad-interface", test_bad_interface);
    g_test_add_func("/object/prop/defaults", test_prop_defaults);
    g_test_add_func("/object/prop/set-each-kind", test_prop_set_each_kind);
    g_test_add_func("/object/prop/bad-values", test_prop_bad_values);
    g_test_add_func("/object/prop/enum-out-of-range",
                    test_prop_enum_out_of_range);
    g_test_add_func("/object/prop/links", test_prop_links);
    g_test_add_func("/object/prop/link-to-self", test_prop_link_to_self);
    g_test_add_func("/object/prop/introspection", test_prop_introspection);
    g_test_add_func("/object/prop/help", test_prop_help);
    g_test_add_func("/object/tree", test_tree);
    g_test_add_func("/object/tree/finalize-order", test_tree_finalize_order);
    g_test_add_func("/device/realize", test_device_realize);
    g_test_add_func("/device/realize-non-device",
                    test_device_realize_non_device);
    g_test_add_func("/device/remove-unrealizes",
                    test_device_remove_unrealizes);
    g_test_add_func("/device/reset-all", test_devices_reset_all);
    int rc = g_test_run();
    g_string_free(event_log, true);
    return rc;
}
