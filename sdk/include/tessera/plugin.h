/*
 * tessera/plugin.h - the plugin descriptor and ABI version.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * `tessera_plugin_descriptor`, declared with TS_PLUGIN().  It has no
 * constructors: its code runs only through the descriptor's init, which the
 * core calls after it has checked the ABI version.  init registers what the
 * plugin provides with ts_type_register() (devices, machines, CPUs,
 * accelerators, block and audio drivers, netdev and chardev backends are all
 * types) and ts_target_register() for CPU targets.
 *
 * Version rule (stable tier): the plugin's ABI major must equal the core's
 * and its minor must be at most the core's.  A newer core therefore loads
 * older plugins of the same major, and a plugin upgraded under a running
 * core is refused only if it needs a newer minor.
 *
 * Internal tier: CPU targets and accelerators that reach into JIT internals
 * set TS_PLUGIN_TIER_INTERNAL and must come from the very same build
 * (build_id equal to the core's TS_BUILD_ID).
 */
#ifndef TESSERA_PLUGIN_H
#define TESSERA_PLUGIN_H

#include <tessera/types.h>

TS_BEGIN_DECLS

/*
 * Bump MINOR for additions (calls, structs, enum constants, fields taken
 * from reserved[] slots), MAJOR for anything else; then regenerate the
 * baseline sdk/abi/tessera-abi.txt (`meson compile -C build abi-baseline`),
 * which the abi suite compares with every build.  Not frozen before the
 * first release: see sdk/abi/README.md.
 */
#define TS_ABI_MAJOR 1
#define TS_ABI_MINOR 5

#define TS_PLUGIN_MAGIC 0x54535250u /* "TSRP" */

typedef enum TsPluginTier {
    TS_PLUGIN_TIER_STABLE = 0,
    TS_PLUGIN_TIER_INTERNAL = 1,
} TsPluginTier;

typedef struct TsPluginDescriptor {
    uint32_t magic;            /* TS_PLUGIN_MAGIC */
    uint16_t abi_major;        /* TS_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;        /* TS_ABI_MINOR the plugin was built with */
    const char *name;          /* file stem, e.g. "dev-virtio-rng" */
    const char *description;   /* one line */
    TsPluginTier tier;
    const char *build_id;      /* internal tier: must equal the core's */
    /* Registers what the plugin provides.  false + errp on failure. */
    bool (*init)(GError **errp);
    void *reserved[4];
} TsPluginDescriptor;

#define TS_PLUGIN_DESCRIPTOR_SYMBOL "tessera_plugin_descriptor"

/*
 * Declare the plugin's descriptor:
 *     TS_PLUGIN("dev-foo", "Foo devices", foo_init);
 */
#define TS_PLUGIN(name_, desc_, init_)                                      \
    TS_EXPORT const TsPluginDescriptor tessera_plugin_descriptor = {       \
        .magic = TS_PLUGIN_MAGIC, .abi_major = TS_ABI_MAJOR,                \
        .abi_minor = TS_ABI_MINOR, .name = (name_), .description = (desc_), \
        .tier = TS_PLUGIN_TIER_STABLE, .build_id = NULL, .init = (init_),   \
    }

/* A CPU target architecture, e.g. "riscv64". */
typedef struct TsTargetInfo {
    const char *name;              /* as in tessera-system-<name> */
    const char *description;       /* one line */
    const char *default_machine;   /* user name of -M default, or NULL */
    void *reserved[4];
} TsTargetInfo;

/* Declare that this plugin provides a target.  From init only. */
bool ts_target_register(const TsTargetInfo *info, GError **errp);

TS_END_DECLS

#endif
