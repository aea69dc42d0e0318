/*
 * core/plugin/modinfo-main.c - body of the tessera-modinfo tool (see modinfo-tool.c).
 */
#include "plugins.h"

#include <stdio.h>

TS_EXPORT int tessera_modinfo_main(int argc, char **argv);

TS_EXPORT int tessera_modinfo_main(int argc, char **argv)
{
    const char *package = NULL;
    int i = 1;
    if (i + 1 < argc && g_str_equal(argv[i], "--package")) {
        package = argv[i + 1];
        i += 2;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: %s [--package NAME] PLUGIN.so OUTPUT.modinfo\n",
                argv[0]);
        return 2;
    }
    const char *so_path = argv[i], *out_path = argv[i + 1];

    plugin_loader_init();
    g_autoptr(GError) err = NULL;
    PluginInfo *info = plugin_load_for_modinfo(so_path, &err);
    if (!info) {
        fprintf(stderr, "%s: %s\n", argv[0], err->message);
        return 1;
    }
    /* The file stem is how the core finds the .so next to the sidecar. */
    g_autofree char *base = g_path_get_basename(so_path);
    if (!g_str_has_suffix(base, ".so") ||
        strlen(base) - 3 != strlen(info->name) ||
        strncmp(base, info->name, strlen(info->name)) != 0) {
        fprintf(stderr, "%s: %s: the descriptor names the plugin '%s', so "
                "the file must be called %s.so\n", argv[0], so_path,
                info->name, info->name);
        plugin_info_free(info);
        return 1;
    }
    info->package = g_strdup(package && *package ? package : NULL);
    bool ok = modinfo_write(info, out_path, &err);
    plugin_info_free(info);
    if (!ok) {
        fprintf(stderr, "%s: %s\n", argv[0], err->message);
        return 1;
    }
    return 0;
}
