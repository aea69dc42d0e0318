/*
 * core/plugin/plugin-hmp.c - `info plugins` (alias `info modules`).
 */
#include "plugins.h"
#include "monitor/hmp.h"

static void info_plugins(HmpCall *c, const char *args)
{
    const GPtrArray *names = plugin_loaded_names();
    if (!names || names->len == 0) {
        hmp_printf(c, "no plugins loaded\n");
        return;
    }
    for (guint i = 0; i < names->len; i++) {
        hmp_printf(c, "%s\n", (const char *)g_ptr_array_index(names, i));
    }
}

static const HmpCommand plugin_info_commands[] = {
    { "plugins|modules", "", "show the plugins loaded so far",
      info_plugins },
    { NULL }
};
HMP_INFO_COMMANDS(plugin_info_commands)
