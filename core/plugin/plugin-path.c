/*
 * core/plugin/plugin-path.c - where plugins are looked for.
 *
 * Order, first match of a plugin name wins: directories given with
 * -plugin-path (in command-line order), then $TESSERA_PLUGIN_PATH
 * (colon-separated), then the plugins/ directory of the build tree when
 * the binary runs from one, else the install directory.  Putting the
 * user's directories first lets a developer or a third party override an
 * installed plugin without touching the system.
 */
#include "config.h"
#include "plugins.h"

#include <unistd.h>

static GPtrArray *cli_dirs;

void plugin_path_prepend(const char *dir)
{
    if (!cli_dirs) {
        cli_dirs = g_ptr_array_new_with_free_func(g_free);
    }
    g_ptr_array_add(cli_dirs, g_strdup(dir));
    plugin_index_reset();
}

char *plugin_path_exe_dir(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    return exe ? g_path_get_dirname(exe) : NULL;
}

/* The build tree writes a marker file next to the binaries. */
static char *default_dir(void)
{
    g_autofree char *exe_dir = plugin_path_exe_dir();
    if (exe_dir) {
        g_autofree char *marker = g_build_filename(exe_dir,
                                                   "tessera-build-tree", NULL);
        if (g_file_test(marker, G_FILE_TEST_EXISTS)) {
            return g_build_filename(exe_dir, "plugins", NULL);
        }
    }
    return g_strdup(TS_PLUGINDIR);
}

GPtrArray *plugin_path_dirs(void)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; cli_dirs && i < cli_dirs->len; i++) {
        g_ptr_array_add(dirs, g_strdup(g_ptr_array_index(cli_dirs, i)));
    }
    const char *env = g_getenv("TESSERA_PLUGIN_PATH");
    if (env) {
        g_auto(GStrv) parts = g_strsplit(env, ":", -1);
        for (char **p = parts; *p; p++) {
            if (**p) {
                g_ptr_array_add(dirs, g_strdup(*p));
            }
        }
    }
    g_ptr_array_add(dirs, default_dir());
    return dirs;
}
