/*
 * gdbstub-hmp.c - HMP `gdbserver [device]`, QEMU's spelling and replies:
 * no device means tcp::1234, "none" stops the server.
 */
#include "gdbstub.h"
#include "monitor/hmp.h"

#include <string.h>

static void cmd_gdbserver(HmpCall *c, const char *args)
{
    g_autofree char *dev = g_strstrip(g_strdup(args ? args : ""));
    g_autoptr(GError) err = NULL;
    if (!*dev) {
        g_free(dev);
        dev = g_strdup("tcp::1234");
    }
    if (!gdbstub_start(dev, &err)) {
        hmp_printf(c, "Could not open gdbserver on device '%s'\n", dev);
        return;
    }
    if (g_str_equal(dev, "none")) {
        hmp_printf(c, "Disabled gdbserver\n");
    } else {
        hmp_printf(c, "Waiting for gdb connection on device '%s'\n", dev);
    }
}

static const HmpCommand gdbstub_hmp_commands[] = {
    { "gdbserver", "[device]",
      "start gdbserver on given device (default 'tcp::1234'), stop with "
      "'none'", cmd_gdbserver },
    { NULL }
};
HMP_COMMANDS(gdbstub_hmp_commands)
