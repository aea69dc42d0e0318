/*
 * core/plugin/plugins.h - plugin discovery (sidecars), loading and metadata.
 *
 * Three stages, each in its own file:
 *   plugin-path.c   which directories are searched, in which order;
 *   plugin-index.c  reading every <name>.modinfo sidecar found there, so that
 *                   "who provides device X?" is answered without loading code;
 *   plugin-loader.c loading one plugin with libltdl, checking its ABI and that
 *                   it registered exactly what its sidecar claims.
 * modinfo.c reads and writes the sidecar format itself.
 */
#ifndef TESSERA_CORE_PLUGINS_H
#define TESSERA_CORE_PLUGINS_H

#include <tessera/plugin.h>
#include <tessera/object.h>

/* What a plugin can provide.  The order is the order of help listings. */
typedef enum PluginKind {
    PK_MACHINE,
    PK_CPU,
    PK_ACCEL,
    PK_DEVICE,
    PK_BLOCKDRIVER,
    PK_AUDIODEV,
    PK_NETDEV,
    PK_CHARDEV,
    PK_TARGET,
    PK_TYPE,        /* any other type (abstract bases, interfaces) */
    PK__COUNT
} PluginKind;

/* "machine", "device", ...; and back (-1 if unknown). */
const char *plugin_kind_name(PluginKind kind);
int plugin_kind_from_name(const char *name);

/* The kind of a registered type, from its ancestry. */
PluginKind plugin_kind_of_type(const char *type_name);
/* The name a user types for a type of that kind: "virt" for "virt-machine".
 * Returns a newly allocated string. */
char *plugin_user_name(PluginKind kind, const char *type_name);
/* The reverse: the type name for a user name of that kind (g_free it). */
char *plugin_type_name(PluginKind kind, const char *user_name);

/* One thing a plugin provides, as its sidecar records it. */
typedef struct PluginProvide {
    PluginKind kind;
    char *name;           /* user name: "virt", "tcg", "sifive_test" */
    char *type_name;      /* registered type, NULL for targets */
    char *parent;         /* parent type, NULL for targets */
    char *description;
    char *target;         /* machines: target; targets: default machine */
    bool is_default;      /* machines: the target's -M default */
    /* machines: the most CPUs (0: none at all, -1: not recorded) and
     * the default CPU type (NULL: none), for query-machines without
     * loading the plugin */
    int max_cpus;
    char *default_cpu_type;
    bool abstract;
    bool user_creatable;  /* devices: may be used with -device */
    uint32_t categories;  /* devices: TS_DEVICE_CATEGORY_* for help */
    char *bus;            /* devices: "PCI" for help, or NULL */
} PluginProvide;

/* Everything the core knows about one plugin. */
typedef struct PluginInfo {
    char *name;           /* "dev-virtio-rng" */
    char *description;
    char *package;        /* distribution package, or NULL */
    unsigned abi_major, abi_minor;
    bool internal_tier;
    GPtrArray *provides;  /* of PluginProvide */
    /* Set by the index: */
    char *modinfo_path;
    char *so_path;        /* where the .so should be (it may be absent) */
    bool loaded;
} PluginInfo;

void plugin_provide_free(PluginProvide *p);
void plugin_info_free(PluginInfo *info);

/* modinfo.c: the sidecar format (a GKeyFile). */
PluginInfo *modinfo_read(const char *path, GError **errp);
bool modinfo_write(const PluginInfo *info, const char *path, GError **errp);

/* plugin-path.c */
/* Add a directory searched before the others (-plugin-path). */
void plugin_path_prepend(const char *dir);
/* The search list: -plugin-path dirs, $TESSERA_PLUGIN_PATH, then the build
 * tree's plugins/ when running from one, else the install directory. */
GPtrArray *plugin_path_dirs(void);
/* Directory of the running executable (g_free it), NULL if unknown. */
char *plugin_path_exe_dir(void);

/* plugin-index.c: built from the sidecars on first use. */
void plugin_index_reset(void);
/* The provider of `name` of that kind, or NULL. */
const PluginProvide *plugin_index_find(PluginKind kind, const char *name,
                                       PluginInfo **owner);
/* The plugin that registers type `type_name`, or NULL. */
PluginInfo *plugin_index_find_type(const char *type_name);
/* All plugins known (in search order, first of each name wins). */
GPtrArray *plugin_index_plugins(void);

/*
 * plugin-loader.c.  Make sure the plugin providing `name` of `kind` is
 * loaded.  Returns true if the name is provided (by the core or a plugin
 * that loaded fine).  Errors say which of the three things went wrong:
 * nothing provides it / its plugin is not installed, the plugin is
 * incompatible, or it failed to load.
 */
bool plugin_require(PluginKind kind, const char *name, GError **errp);
/* Load one plugin described by the index. */
bool plugin_load(PluginInfo *info, GError **errp);
/* Load a .so outside the index and record what it registers, without any
 * sidecar check (used by tessera-modinfo at build time). */
PluginInfo *plugin_load_for_modinfo(const char *so_path, GError **errp);
/* Names of the plugins loaded so far, in load order (for info/QMP). */
const GPtrArray *plugin_loaded_names(void);
/* Hook the loader into the object model's type resolver. */
void plugin_loader_init(void);

/* target.c: CPU targets registered by plugins. */
const TsTargetInfo *target_find(const char *name);

/* The running core's ABI version. */
void ts_core_abi_version(unsigned *major, unsigned *minor);

#endif
