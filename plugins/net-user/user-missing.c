/*
 * plugins/net-user/user-missing.c - the "user" netdev of a Tessera built
 * without libslirp: known, so the command line is not met with "no such
 * backend", and refused at open with what to install.
 */
#include "user.h"

static bool user_missing_open(TsNetdev *nd, GError **errp)
{
    g_set_error_literal(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                        "-netdev user needs libslirp: this Tessera was "
                        "built without it (install Debian's libslirp-dev "
                        "and rebuild)");
    return false;
}

static const TsNetdevDriver user_missing_driver = {
    .name = "user",
    .description = "user-mode network stack (not built: needs libslirp)",
    .instance_size = sizeof(UserNet),
    .options = user_options,
    .list_options = user_list_options,
    .open = user_missing_open,
};

static bool net_user_init(GError **errp)
{
    return ts_netdev_driver_register(&user_missing_driver, errp);
}

TS_PLUGIN("net-user", "user-mode networking (libslirp: not built)",
          net_user_init);
