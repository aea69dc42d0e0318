/*
 * core/machine/fw-cfg-opts.c - -fw_cfg and what the board's fw_cfg device
 * reports from the command line.
 *
 * QEMU reads an item's file when it parses the option; so do we, with a
 * bound (fw_cfg sizes are 32-bit, and the whole item stays in memory).
 * Names follow QEMU's rules: at most 55 bytes (the directory's 56 with
 * the NUL), unique, and QEMU's warning for names outside "opt/".
 */
#include "fw-cfg-opts.h"
#include "boot-opts.h"
#include "cli/opts.h"
#include "util/read-bounded.h"

#include <tessera/machine.h>
#include <tessera/types.h>
#include <stdio.h>
#include <string.h>

#define FW_CFG_NAME_MAX 55
#define FW_CFG_FILE_MAX ((gsize)64 << 20)

static GArray *items;           /* of TsFwCfgItem, strings and data owned */
static TsFwCfgInfo info = { .reboot_timeout = -1 };

static bool name_taken(const char *name)
{
    for (guint i = 0; items && i < items->len; i++) {
        if (g_str_equal(g_array_index(items, TsFwCfgItem, i).name, name)) {
            return true;
        }
    }
    return false;
}

bool fw_cfg_opts_add(const char *arg, GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(arg, "name", errp);
    if (!o) {
        return false;
    }
    const char *name = opts_get(o, "name");
    const char *file = opts_get(o, "file");
    const char *str = opts_get(o, "string");
    if (!name || !*name || (file && *file) == (str && *str)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "invalid argument(s): give name= and one of file= or "
                    "string=");
        return false;
    }
    if (strlen(name) > FW_CFG_NAME_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "name too long (max. %d char)", FW_CFG_NAME_MAX);
        return false;
    }
    if (name_taken(name)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "duplicate fw_cfg file name: %s", name);
        return false;
    }
    if (!g_str_has_prefix(name, "opt/")) {
        fprintf(stderr, "warning: externally provided fw_cfg item names "
                "should be prefixed with \"opt/\"\n");
    }
    TsFwCfgItem it = { .name = g_strdup(name) };
    if (file) {
        gsize len;
        char *data = read_bounded(file, FW_CFG_FILE_MAX, &len, errp);
        if (!data) {
            g_free((char *)it.name);
            return false;
        }
        it.data = data;
        it.len = len;
    } else {
        it.data = g_strdup(str);
        it.len = strlen(str);   /* QEMU stores the string without its NUL */
    }
    if (!items) {
        items = g_array_new(FALSE, FALSE, sizeof(TsFwCfgItem));
    }
    g_array_append_val(items, it);
    return true;
}

void fw_cfg_opts_set_machine(const char *uuid, bool nographic)
{
    memset(info.uuid, 0, sizeof(info.uuid));
    if (uuid) {
        /* Checked by -uuid already: 32 hex digits and four dashes. */
        unsigned n = 0;
        for (const char *p = uuid; *p && n < 32; p++) {
            if (g_ascii_isxdigit(*p)) {
                info.uuid[n / 2] |= (uint8_t)(g_ascii_xdigit_value(*p)
                                              << (n % 2 ? 0 : 4));
                n++;
            }
        }
    }
    info.nographic = nographic;
}

TS_EXPORT const TsFwCfgInfo *ts_machine_fw_cfg_info(void)
{
    const TsBootConfig *boot = machine_boot_config();
    info.items = items ? (const TsFwCfgItem *)(void *)items->data : NULL;
    info.n_items = items ? items->len : 0;
    info.boot_menu = boot && boot->menu;
    info.reboot_timeout = boot ? (int32_t)boot->reboot_timeout : -1;
    return &info;
}

void fw_cfg_opts_reset(void)
{
    for (guint i = 0; items && i < items->len; i++) {
        TsFwCfgItem *it = &g_array_index(items, TsFwCfgItem, i);
        g_free((char *)it->name);
        g_free((void *)it->data);
    }
    g_clear_pointer(&items, g_array_unref);
    memset(&info, 0, sizeof(info));
    info.reboot_timeout = -1;
}
