/*
 * core/plugin/modinfo.c - the plugin sidecar format.
 *
 * A sidecar is a GKeyFile written at build time by tessera-modinfo.  One
 * [plugin] group describes the plugin, then one group per thing it provides,
 * named "<kind> <user name>".  A key file is cheap to parse, tolerant of
 * comments and escapes values properly, which is all the core needs to
 * answer help listings and "who provides X" without loading any code.
 */
#include "plugins.h"
#include "object/object-hooks.h"
#include "device/device-groups.h"

#define MODINFO_FORMAT 1

static const char *kind_names[PK__COUNT] = {
    [PK_MACHINE] = "machine", [PK_CPU] = "cpu", [PK_ACCEL] = "accel",
    [PK_DEVICE] = "device", [PK_BLOCKDRIVER] = "blockdriver",
    [PK_AUDIODEV] = "audiodev", [PK_NETDEV] = "netdev",
    [PK_CHARDEV] = "chardev", [PK_TARGET] = "target", [PK_TYPE] = "type",
};

const char *plugin_kind_name(PluginKind kind)
{
    return kind < PK__COUNT ? kind_names[kind] : "?";
}

int plugin_kind_from_name(const char *name)
{
    for (int k = 0; k < PK__COUNT; k++) {
        if (g_str_equal(kind_names[k], name)) {
            return k;
        }
    }
    return -1;
}

void plugin_provide_free(PluginProvide *p)
{
    if (!p) {
        return;
    }
    g_free(p->name);
    g_free(p->type_name);
    g_free(p->parent);
    g_free(p->bus);
    g_free(p->description);
    g_free(p->target);
    g_free(p->default_cpu_type);
    g_free(p);
}

void plugin_info_free(PluginInfo *info)
{
    if (!info) {
        return;
    }
    g_free(info->name);
    g_free(info->description);
    g_free(info->package);
    g_free(info->modinfo_path);
    g_free(info->so_path);
    if (info->provides) {
        g_ptr_array_unref(info->provides);
    }
    g_free(info);
}

static char *get_opt_string(GKeyFile *kf, const char *group, const char *key)
{
    return g_key_file_get_string(kf, group, key, NULL);
}

static bool parse_abi(const char *text, unsigned *major, unsigned *minor)
{
    char *end;
    unsigned long ma = strtoul(text, &end, 10);
    if (*end != '.') {
        return false;
    }
    unsigned long mi = strtoul(end + 1, &end, 10);
    if (*end) {
        return false;
    }
    *major = ma;
    *minor = mi;
    return true;
}

static PluginProvide *read_provide(GKeyFile *kf, const char *group,
                                   const char *path, GError **errp)
{
    const char *space = strchr(group, ' ');
    g_autofree char *kind_name = g_strndup(group, space - group);
    int kind = plugin_kind_from_name(kind_name);
    if (kind < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: unknown kind '%s' in group [%s]", path, kind_name,
                    group);
        return NULL;
    }
    PluginProvide *p = g_new0(PluginProvide, 1);
    p->kind = kind;
    p->name = g_strdup(space + 1);
    p->type_name = get_opt_string(kf, group, "type");
    p->parent = get_opt_string(kf, group, "parent");
    p->description = get_opt_string(kf, group, "description");
    p->target = get_opt_string(kf, group, "target");
    p->is_default = g_key_file_get_boolean(kf, group, "default", NULL);
    p->max_cpus = -1;
    if (kind == PK_MACHINE && g_key_file_has_key(kf, group, "max-cpus", NULL)) {
        g_autoptr(GError) err = NULL;
        gint64 n = g_key_file_get_int64(kf, group, "max-cpus", &err);
        p->max_cpus = !err && n >= 0 && n <= G_MAXINT ? (int)n : -1;
    }
    p->default_cpu_type = get_opt_string(kf, group, "default-cpu-type");
    p->abstract = g_key_file_get_boolean(kf, group, "abstract", NULL);
    p->user_creatable = g_key_file_get_boolean(kf, group, "user-creatable",
                                               NULL);
    g_auto(GStrv) cats = g_key_file_get_string_list(kf, group, "categories",
                                                    NULL, NULL);
    p->categories = device_categories_parse(cats);
    p->bus = get_opt_string(kf, group, "bus");
    if (kind != PK_TARGET && !p->type_name) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: group [%s] lacks a type", path, group);
        plugin_provide_free(p);
        return NULL;
    }
    return p;
}

PluginInfo *modinfo_read(const char *path, GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, errp)) {
        return NULL;
    }
    int format = g_key_file_get_integer(kf, "plugin", "format", NULL);
    g_autofree char *name = get_opt_string(kf, "plugin", "name");
    g_autofree char *abi = get_opt_string(kf, "plugin", "abi");
    unsigned major, minor;
    if (format != MODINFO_FORMAT || !name || !abi ||
        !parse_abi(abi, &major, &minor)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: not a Tessera plugin sidecar of format %d "
                    "(needs [plugin] format, name and abi)", path,
                    MODINFO_FORMAT);
        return NULL;
    }

    PluginInfo *info = g_new0(PluginInfo, 1);
    info->name = g_steal_pointer(&name);
    info->description = get_opt_string(kf, "plugin", "description");
    info->package = get_opt_string(kf, "plugin", "package");
    info->abi_major = major;
    info->abi_minor = minor;
    g_autofree char *tier = get_opt_string(kf, "plugin", "tier");
    info->internal_tier = tier && g_str_equal(tier, "internal");
    info->provides = g_ptr_array_new_with_free_func(
        (GDestroyNotify)plugin_provide_free);

    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        if (g_str_equal(*g, "plugin")) {
            continue;
        }
        if (!strchr(*g, ' ')) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "%s: group [%s] should be \"<kind> <name>\"", path,
                        *g);
            plugin_info_free(info);
            return NULL;
        }
        PluginProvide *p = read_provide(kf, *g, path, errp);
        if (!p) {
            plugin_info_free(info);
            return NULL;
        }
        g_ptr_array_add(info->provides, p);
    }
    return info;
}

bool modinfo_write(const PluginInfo *info, const char *path, GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_comment(kf, NULL, NULL,
                           " Tessera plugin sidecar, generated at build time "
                           "by tessera-modinfo: do not edit", NULL);
    g_key_file_set_integer(kf, "plugin", "format", MODINFO_FORMAT);
    g_key_file_set_string(kf, "plugin", "name", info->name);
    if (info->description) {
        g_key_file_set_string(kf, "plugin", "description",
                              info->description);
    }
    g_autofree char *abi = g_strdup_printf("%u.%u", info->abi_major,
                                           info->abi_minor);
    g_key_file_set_string(kf, "plugin", "abi", abi);
    g_key_file_set_string(kf, "plugin", "tier",
                          info->internal_tier ? "internal" : "stable");
    if (info->package) {
        g_key_file_set_string(kf, "plugin", "package", info->package);
    }
    for (guint i = 0; i < info->provides->len; i++) {
        const PluginProvide *p = g_ptr_array_index(info->provides, i);
        g_autofree char *group = g_strdup_printf(
            "%s %s", plugin_kind_name(p->kind), p->name);
        if (p->type_name) {
            g_key_file_set_string(kf, group, "type", p->type_name);
        }
        if (p->parent) {
            g_key_file_set_string(kf, group, "parent", p->parent);
        }
        if (p->description) {
            g_key_file_set_string(kf, group, "description", p->description);
        }
        if (p->target) {
            g_key_file_set_string(kf, group, "target", p->target);
        }
        if (p->is_default) {
            g_key_file_set_boolean(kf, group, "default", true);
        }
        if (p->kind == PK_MACHINE && p->max_cpus >= 0) {
            g_key_file_set_int64(kf, group, "max-cpus", p->max_cpus);
        }
        if (p->default_cpu_type) {
            g_key_file_set_string(kf, group, "default-cpu-type",
                                  p->default_cpu_type);
        }
        if (p->abstract) {
            g_key_file_set_boolean(kf, group, "abstract", true);
        }
        if (p->kind == PK_DEVICE) {
            g_key_file_set_boolean(kf, group, "user-creatable",
                                   p->user_creatable);
            g_auto(GStrv) cats = device_categories_keys(p->categories);
            if (cats[0]) {
                g_key_file_set_string_list(kf, group, "categories",
                                           (const char *const *)cats,
                                           g_strv_length(cats));
            }
            if (p->bus) {
                g_key_file_set_string(kf, group, "bus", p->bus);
            }
        }
    }
    return g_key_file_save_to_file(kf, path, errp);
}

/*
 * Bases of the kinds a plugin may provide whose core subsystem has not
 * landed yet, so a sidecar can already list them; each moves to its
 * folder (audio/) with the subsystem (block/ has its own now).
 */
static const TsTypeInfo future_kind_types[] = {
    { .name = "audiodev", .parent = TS_TYPE_OBJECT, .abstract = true },
};

static void future_kinds_init(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(future_kind_types); i++) {
        object_core_type(&future_kind_types[i]);
    }
}
OBJECT_CORE_INIT(future_kinds_init)
