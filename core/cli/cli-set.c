/*
 * core/cli/cli-set.c - -set group.id.arg=value: change one parameter of an
 * option given earlier with that id (`-device virtio-rng-device,id=rng
 * -set device.rng.max-bytes=1024`), as QEMU does.  The earlier option's
 * text gets ",arg=value" appended; the last value of a key wins, so that
 * is the whole edit, and the option is then used exactly as if it had
 * been written that way (including in -writeconfig).  -drive and
 * -netdev options live in the block and network layers, which take the
 * edit themselves.
 */
#include "cli.h"
#include "opts.h"
#include "block/block-options.h"
#include "net/net-options.h"

#include <tessera/types.h>

typedef struct SetGroup {
    const char *name;
    size_t list;                /* offsetof(Cli, ...) of a GPtrArray * */
    const char *implied_key;
} SetGroup;

static const SetGroup groups[] = {
    { "device", offsetof(Cli, devices), "driver" },
    { "chardev", offsetof(Cli, chardevs), "backend" },
    { "object", offsetof(Cli, objects), "qom-type" },
};

/* QEMU groups with ids that Tessera has no option for yet: nothing can be
 * defined in them, so the honest answer is QEMU's "there is no ...". */
static const char *const empty_groups[] = { "fsdev", "iscsi", NULL };

bool cli_set_option(Cli *cli, const char *arg, GError **errp)
{
    /* group and id end at the first two dots; arg at the '=' (it may
     * hold dots); the value is the rest, commas included. */
    const char *eq = strchr(arg, '=');
    g_autofree char *path = eq ? g_strndup(arg, eq - arg) : NULL;
    g_auto(GStrv) parts = path ? g_strsplit(path, ".", 3) : NULL;
    if (!parts || g_strv_length(parts) != 3 || !*parts[0] || !*parts[1] ||
        !*parts[2]) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "can't parse: \"%s\"",
                    arg);
        return false;
    }
    const char *group = parts[0], *id = parts[1], *key = parts[2];
    if (g_str_equal(group, "drive")) {
        /* -drive options belong to the block layer, parsed already. */
        return block_drive_set(id, key, eq + 1, errp);
    }
    if (g_str_equal(group, "netdev")) {
        /* Likewise the network layer's. */
        return net_netdev_set(id, key, eq + 1, errp);
    }
    const SetGroup *g = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(groups); i++) {
        if (g_str_equal(groups[i].name, group)) {
            g = &groups[i];
        }
    }
    if (!g) {
        if (g_strv_contains(empty_groups, group)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "there is no %s \"%s\" defined", group, id);
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "There is no option group '%s'", group);
        }
        return false;
    }
    GPtrArray *list = *(GPtrArray **)((char *)cli + g->list);
    for (guint i = 0; i < list->len; i++) {
        char **text = (char **)&g_ptr_array_index(list, i);
        g_autoptr(TsOpts) o = opts_parse(*text, g->implied_key, NULL);
        const char *oid = o ? opts_get(o, "id") : NULL;
        if (oid && g_str_equal(oid, id)) {
            GString *edited = g_string_new(*text);
            opts_append_pair(edited, key, eq + 1);
            g_free(*text);
            *text = g_string_free(edited, FALSE);
            return true;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                "there is no %s \"%s\" defined", group, id);
    return false;
}
