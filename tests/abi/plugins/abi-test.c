/*
 * A plugin for the ABI tests.  One source, built several times with
 * different -D flags, gives a well-behaved plugin and the misbehaving ones
 * the loader must refuse:
 *   ABI_MAJOR_DELTA / ABI_MINOR_DELTA  claim another ABI version;
 *   INTERNAL_TIER                      claim the internal tier with a
 *                                      foreign build id;
 *   FAIL_INIT                          init reports an error.
 * The device type name is PLUGIN_DEVICE, so each build provides its own.
 */
#include <tessera/tessera.h>

/* Rebuilds of abi-good keep its plugin and device names. */
#ifdef SAME_AS_GOOD
#undef PLUGIN_NAME
#undef PLUGIN_DEVICE
#define PLUGIN_NAME "abi-good"
#define PLUGIN_DEVICE "abi-good-dev"
#endif
#ifndef REVISION
#define REVISION 1
#endif

#ifndef ABI_MAJOR_DELTA
#define ABI_MAJOR_DELTA 0
#endif
#ifndef ABI_MINOR_DELTA
#define ABI_MINOR_DELTA 0
#endif

typedef struct AbiTestDevice {
    TsDevice parent;
    uint64_t size;
    bool verbose;
    char *label;
} AbiTestDevice;

static const TsProperty abi_test_props[] = {
    TS_PROP_SIZE("size", AbiTestDevice, size, 4096, "window size"),
    TS_PROP_BOOL("verbose", AbiTestDevice, verbose, false, "say more"),
    TS_PROP_STRING("label", AbiTestDevice, label, "none", "free text"),
    TS_PROP_END,
};

static bool abi_test_realize(TsDevice *dev, GError **errp)
{
    AbiTestDevice *s = (AbiTestDevice *)dev;
    if (s->size == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "property 'size' must not be 0");
        return false;
    }
    return true;
}

static void abi_test_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->realize = abi_test_realize;
    ts_class_add_properties(klass, abi_test_props);
}

static G_GNUC_UNUSED const TsTypeInfo abi_test_type = {
    .name = PLUGIN_DEVICE,
    .parent = TS_TYPE_DEVICE,
    .description = "device of the ABI tests",
    .instance_size = sizeof(AbiTestDevice),
    .class_init = abi_test_class_init,
};

static bool abi_test_init(GError **errp)
{
#ifdef FAIL_INIT
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "refusing on purpose");
    return false;
#else
    return ts_type_register(&abi_test_type, errp);
#endif
}

TS_EXPORT const TsPluginDescriptor tessera_plugin_descriptor = {
    .magic = TS_PLUGIN_MAGIC,
    .abi_major = TS_ABI_MAJOR + ABI_MAJOR_DELTA,
    .abi_minor = TS_ABI_MINOR + ABI_MINOR_DELTA,
    .name = PLUGIN_NAME,
    .description = "plugin of the ABI tests, revision " G_STRINGIFY(REVISION),
#ifdef INTERNAL_TIER
    .tier = TS_PLUGIN_TIER_INTERNAL,
    .build_id = "some-other-build",
#endif
    .init = abi_test_init,
};
