/*
 * core/plugin/plugin-loader.c - loading plugins with libltdl, and refusing bad ones.
 *
 * Loading has three outcomes a user can act on, each with its own message:
 *   not installed  the sidecar is there but the .so is not (a split
 *                  distribution package is missing): name the package;
 *   incompatible   the ABI version says no: name the file and both versions;
 *   failed         the .so would not load, has no descriptor, its init
 *                  failed, or it registered something other than what its
 *                  sidecar promised.
 * No plugin code runs before its descriptor has been checked: plugins have
 * no constructors, and init is only called after the version checks.
 *
 * libltdl is not thread-safe and its error string is sticky, so every call
 * into it happens under one lock.  The lock is recursive because loading a
 * plugin may resolve a parent type that lives in another plugin.
 */
#include "plugins.h"
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include "object/object-introspect.h"
#include "device/device-groups.h"

#include <tessera/device.h>
#include <tessera/machine.h>
#include <tessera/build-id.h>
#include <ltdl.h>

static GRecMutex loader_lock;
static bool ltdl_ready;
static GPtrArray *loaded_names;      /* plugin names, load order */
static GHashTable *targets;          /* name -> const TsTargetInfo * */

/* While a plugin's init runs: what it registers. */
static GPtrArray *recorded_types;    /* type names */
static GPtrArray *recorded_targets;  /* const TsTargetInfo * */

void ts_core_abi_version(unsigned *major, unsigned *minor)
{
    *major = TS_ABI_MAJOR;
    *minor = TS_ABI_MINOR;
}

TS_EXPORT bool ts_target_register(const TsTargetInfo *info, GError **errp)
{
    if (!targets) {
        targets = g_hash_table_new(g_str_hash, g_str_equal);
    }
    if (g_hash_table_contains(targets, info->name)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "target '%s' is registered twice", info->name);
        return false;
    }
    g_hash_table_insert(targets, (gpointer)info->name, (gpointer)info);
    if (recorded_targets) {
        g_ptr_array_add(recorded_targets, (gpointer)info);
    }
    return true;
}

const TsTargetInfo *target_find(const char *name)
{
    return targets ? g_hash_table_lookup(targets, name) : NULL;
}

const GPtrArray *plugin_loaded_names(void)
{
    if (!loaded_names) {
        loaded_names = g_ptr_array_new_with_free_func(g_free);
    }
    return loaded_names;
}

/* ---- kinds and names ------------------------------------------------ */

/* Kinds whose user name is the type name minus "-<kind>". */
static bool kind_has_suffix(PluginKind kind)
{
    return kind == PK_MACHINE || kind == PK_CPU || kind == PK_ACCEL ||
           kind == PK_BLOCKDRIVER || kind == PK_AUDIODEV ||
           kind == PK_NETDEV || kind == PK_CHARDEV;
}

PluginKind plugin_kind_of_type(const char *type_name)
{
    /* cpu before device: a CPU is a device, but is listed by -cpu help. */
    static const PluginKind order[] = {
        PK_MACHINE, PK_CPU, PK_ACCEL, PK_DEVICE, PK_BLOCKDRIVER,
        PK_AUDIODEV, PK_NETDEV, PK_CHARDEV,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
        if (ts_type_is_a(type_name, plugin_kind_name(order[i]))) {
            return order[i];
        }
    }
    return PK_TYPE;
}

char *plugin_user_name(PluginKind kind, const char *type_name)
{
    if (kind_has_suffix(kind)) {
        g_autofree char *suffix = g_strconcat("-", plugin_kind_name(kind),
                                              NULL);
        if (g_str_has_suffix(type_name, suffix) &&
            strlen(type_name) > strlen(suffix)) {
            return g_strndup(type_name, strlen(type_name) - strlen(suffix));
        }
    }
    return g_strdup(type_name);
}

char *plugin_type_name(PluginKind kind, const char *user_name)
{
    if (kind_has_suffix(kind)) {
        return g_strconcat(user_name, "-", plugin_kind_name(kind), NULL);
    }
    return g_strdup(user_name);
}

/* ---- loading -------------------------------------------------------- */

static void record_type(const TsTypeInfo *info, void *opaque)
{
    if (recorded_types) {
        g_ptr_array_add(recorded_types, g_strdup(info->name));
    }
}

static bool resolve_missing_type(const char *type_name, void *opaque)
{
    PluginInfo *info = plugin_index_find_type(type_name);
    if (!info || info->loaded) {
        return false;
    }
    /* Errors surface to the caller as "type not found" plus our message
     * on stderr would be noise; the caller reports the missing type. */
    g_autoptr(GError) err = NULL;
    return plugin_load(info, &err);
}

void plugin_loader_init(void)
{
    object_core_init();
    object_registry_set_observer(record_type, NULL);
    object_registry_set_resolver(resolve_missing_type, NULL);
}

static bool ensure_ltdl(GError **errp)
{
    if (!ltdl_ready) {
        if (lt_dlinit() != 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "cannot initialise libltdl: %s", lt_dlerror());
            return false;
        }
        ltdl_ready = true;
    }
    return true;
}

/* Opens the file with local symbol scope and finds its descriptor. */
static const TsPluginDescriptor *open_plugin(const char *path,
                                             GError **errp)
{
    if (!ensure_ltdl(errp)) {
        return NULL;
    }
    lt_dladvise advise;
    lt_dladvise_init(&advise);
    lt_dladvise_local(&advise);
    lt_dlerror();                         /* clear the sticky error */
    lt_dlhandle handle = lt_dlopenadvise(path, advise);
    lt_dladvise_destroy(&advise);
    if (!handle) {
        const char *why = lt_dlerror();
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "failed to load plugin %s: %s", path,
                    why ? why : "unknown error");
        return NULL;
    }
    const TsPluginDescriptor *desc = lt_dlsym(handle,
                                              TS_PLUGIN_DESCRIPTOR_SYMBOL);
    if (!desc || desc->magic != TS_PLUGIN_MAGIC) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "failed to load plugin %s: it has no valid %s symbol "
                    "(is it a Tessera plugin?)", path,
                    TS_PLUGIN_DESCRIPTOR_SYMBOL);
        lt_dlclose(handle);
        return NULL;
    }
    /* Plugins stay mapped for the life of the process: their types, code
     * and static data are referenced from everywhere once registered. */
    return desc;
}

static bool check_abi(const char *path, unsigned major, unsigned minor,
                      GError **errp)
{
    if (major != TS_ABI_MAJOR) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "plugin %s is incompatible: it was built for plugin "
                    "ABI %u.%u, this Tessera provides ABI %d.%d (the major "
                    "versions must match); rebuild the plugin against this "
                    "Tessera's SDK or install the matching package",
                    path, major, minor, TS_ABI_MAJOR, TS_ABI_MINOR);
        return false;
    }
    if (minor > TS_ABI_MINOR) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "plugin %s is incompatible: it needs plugin ABI %u.%u, "
                    "newer than this Tessera's %d.%d; upgrade Tessera",
                    path, major, minor, TS_ABI_MAJOR, TS_ABI_MINOR);
        return false;
    }
    return true;
}

static bool check_descriptor(const char *path, const TsPluginDescriptor *d,
                             GError **errp)
{
    if (!check_abi(path, d->abi_major, d->abi_minor, errp)) {
        return false;
    }
    if (d->tier == TS_PLUGIN_TIER_INTERNAL &&
        g_strcmp0(d->build_id, TS_BUILD_ID) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "plugin %s is incompatible: it uses Tessera's internal "
                    "interfaces and comes from build %s, but this Tessera "
                    "is build %s; install the plugin from the same build",
                    path, d->build_id ? d->build_id : "(none)", TS_BUILD_ID);
        return false;
    }
    return true;
}

/* Runs the plugin's init, collecting what it registers. */
static bool run_init(const char *path, const TsPluginDescriptor *d,
                     GPtrArray **types, GPtrArray **tgts, GError **errp)
{
    GPtrArray *saved_types = recorded_types;
    GPtrArray *saved_targets = recorded_targets;
    recorded_types = g_ptr_array_new_with_free_func(g_free);
    recorded_targets = g_ptr_array_new();
    GError *err = NULL;
    bool ok = d->init ? d->init(&err) : true;
    *types = recorded_types;
    *tgts = recorded_targets;
    recorded_types = saved_types;
    recorded_targets = saved_targets;
    if (!ok) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "plugin %s failed to initialise: %s", path,
                    err ? err->message : "no reason given");
        g_clear_error(&err);
        return false;
    }
    return true;
}

static bool recorded_has(GPtrArray *types, GPtrArray *tgts,
                         const PluginProvide *p)
{
    if (p->kind == PK_TARGET) {
        for (guint i = 0; i < tgts->len; i++) {
            const TsTargetInfo *t = g_ptr_array_index(tgts, i);
            if (g_str_equal(t->name, p->name)) {
                return true;
            }
        }
        return false;
    }
    for (guint i = 0; i < types->len; i++) {
        if (g_str_equal(g_ptr_array_index(types, i), p->type_name)) {
            return true;
        }
    }
    return false;
}

/* The sidecar is a promise: the plugin must register exactly that. */
static bool check_against_sidecar(PluginInfo *info, GPtrArray *types,
                                  GPtrArray *tgts, GError **errp)
{
    for (guint i = 0; i < info->provides->len; i++) {
        const PluginProvide *p = g_ptr_array_index(info->provides, i);
        if (!recorded_has(types, tgts, p)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "plugin %s does not match its sidecar %s: the "
                        "sidecar lists %s '%s' but the plugin did not "
                        "register it; rebuild the plugin and its sidecar",
                        info->so_path, info->modinfo_path,
                        plugin_kind_name(p->kind), p->name);
            return false;
        }
    }
    for (guint i = 0; i < types->len; i++) {
        const char *t = g_ptr_array_index(types, i);
        if (plugin_index_find_type(t) != info) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "plugin %s does not match its sidecar %s: it "
                        "registered type '%s' that the sidecar does not "
                        "list; rebuild the plugin and its sidecar",
                        info->so_path, info->modinfo_path, t);
            return false;
        }
    }
    for (guint i = 0; i < tgts->len; i++) {
        const TsTargetInfo *t = g_ptr_array_index(tgts, i);
        PluginInfo *owner = NULL;
        if (!plugin_index_find(PK_TARGET, t->name, &owner) || owner != info) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "plugin %s does not match its sidecar %s: it "
                        "registered target '%s' that the sidecar does not "
                        "list; rebuild the plugin and its sidecar",
                        info->so_path, info->modinfo_path, t->name);
            return false;
        }
    }
    return true;
}

static bool load_locked(PluginInfo *info, GError **errp)
{
    if (info->loaded) {
        return true;
    }
    if (!g_file_test(info->so_path, G_FILE_TEST_EXISTS)) {
        if (info->package) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "plugin '%s' is not installed (%s is missing); "
                        "install the package '%s'", info->name,
                        info->so_path, info->package);
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "plugin '%s' is not installed (%s is missing)",
                        info->name, info->so_path);
        }
        return false;
    }
    /* The sidecar's version lets us refuse without mapping the file. */
    if (!check_abi(info->so_path, info->abi_major, info->abi_minor, errp)) {
        return false;
    }
    const TsPluginDescriptor *d = open_plugin(info->so_path, errp);
    if (!d || !check_descriptor(info->so_path, d, errp)) {
        return false;
    }
    if (g_strcmp0(d->name, info->name) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "plugin %s calls itself '%s' but its sidecar %s "
                    "describes '%s'; rebuild the plugin and its sidecar",
                    info->so_path, d->name ? d->name : "(null)",
                    info->modinfo_path, info->name);
        return false;
    }
    /* Mark first: init may resolve types that loop back to this plugin. */
    info->loaded = true;
    g_autoptr(GPtrArray) types = NULL;
    g_autoptr(GPtrArray) tgts = NULL;
    if (!run_init(info->so_path, d, &types, &tgts, errp) ||
        !check_against_sidecar(info, types, tgts, errp)) {
        return false;
    }
    plugin_loaded_names();
    g_ptr_array_add(loaded_names, g_strdup(info->name));
    return true;
}

bool plugin_load(PluginInfo *info, GError **errp)
{
    g_rec_mutex_lock(&loader_lock);
    bool ok = load_locked(info, errp);
    g_rec_mutex_unlock(&loader_lock);
    return ok;
}

static bool provided_by_core(PluginKind kind, const char *name)
{
    if (kind == PK_TARGET) {
        return target_find(name) != NULL;
    }
    g_autofree char *type = plugin_type_name(kind, name);
    return ts_type_exists(type) &&
           plugin_kind_of_type(type) == kind;
}

bool plugin_require(PluginKind kind, const char *name, GError **errp)
{
    if (provided_by_core(kind, name)) {
        return true;
    }
    PluginInfo *owner = NULL;
    const PluginProvide *p = plugin_index_find(kind, name, &owner);
    if (!p) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "no plugin provides %s '%s'", plugin_kind_name(kind),
                    name);
        return false;
    }
    if (!plugin_load(owner, errp)) {
        return false;
    }
    return true;
}

/* ---- build time: tessera-modinfo ----------------------------------- */

static PluginProvide *describe_type(const char *type_name)
{
    TsObjectClass *klass = ts_class_by_name(type_name);
    PluginProvide *p = g_new0(PluginProvide, 1);
    p->kind = plugin_kind_of_type(type_name);
    p->name = plugin_user_name(p->kind, type_name);
    p->type_name = g_strdup(type_name);
    if (klass) {
        p->parent = g_strdup(ts_class_parent_name(klass));
        p->description = g_strdup(ts_class_description(klass));
        p->abstract = ts_class_is_abstract(klass);
    }
    p->max_cpus = -1;
    if (klass && p->kind == PK_MACHINE) {
        TsMachineClass *mc = (TsMachineClass *)klass;
        p->target = g_strdup(mc->target);
        p->is_default = mc->is_default;
        p->max_cpus = mc->no_cpus ? 0 : (mc->max_cpus ? (int)mc->max_cpus : 1);
        p->default_cpu_type = g_strdup(mc->default_cpu_type);
    }
    if (klass && p->kind == PK_DEVICE) {
        TsDeviceClass *dc = (TsDeviceClass *)
            ts_class_dynamic_cast(klass, TS_TYPE_DEVICE);
        p->user_creatable = dc->user_creatable && !p->abstract;
        p->categories = (uint32_t)dc->categories;
        p->bus = g_strdup(device_bus_name(klass));
    }
    return p;
}

PluginInfo *plugin_load_for_modinfo(const char *so_path, GError **errp)
{
    g_rec_mutex_lock(&loader_lock);
    PluginInfo *info = NULL;
    GPtrArray *types = NULL, *tgts = NULL;
    const TsPluginDescriptor *d = open_plugin(so_path, errp);
    if (!d || !check_descriptor(so_path, d, errp) ||
        !run_init(so_path, d, &types, &tgts, errp)) {
        goto out;
    }
    info = g_new0(PluginInfo, 1);
    info->name = g_strdup(d->name);
    info->description = g_strdup(d->description);
    info->abi_major = d->abi_major;
    info->abi_minor = d->abi_minor;
    info->internal_tier = d->tier == TS_PLUGIN_TIER_INTERNAL;
    info->provides = g_ptr_array_new_with_free_func(
        (GDestroyNotify)plugin_provide_free);
    for (guint i = 0; i < types->len; i++) {
        g_ptr_array_add(info->provides,
                        describe_type(g_ptr_array_index(types, i)));
    }
    for (guint i = 0; i < tgts->len; i++) {
        const TsTargetInfo *t = g_ptr_array_index(tgts, i);
        PluginProvide *p = g_new0(PluginProvide, 1);
        p->kind = PK_TARGET;
        p->max_cpus = -1;
        p->name = g_strdup(t->name);
        p->description = g_strdup(t->description);
        p->target = g_strdup(t->default_machine);
        g_ptr_array_add(info->provides, p);
    }
out:
    if (types) {
        g_ptr_array_unref(types);
    }
    if (tgts) {
        g_ptr_array_unref(tgts);
    }
    g_rec_mutex_unlock(&loader_lock);
    return info;
}
