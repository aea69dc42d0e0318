/*
 * core/chardev/chardev-options.c - -chardev, -serial and -nographic.
 *
 * Backends are created before the machine, so that a board's UART finds
 * its chardev with ts_machine_serial() while the board is built.
 * -nographic without -serial puts serial port 0 on a stdio mux with the
 * human monitor, as QEMU does (Ctrl-a c switches between them); if a
 * monitor option was given, serial port 0 has stdio to itself.  A
 * "mon:" spelling (-serial mon:stdio) also puts a human monitor on the
 * port's mux.
 */
#include "cli/cli.h"
#include "chardev-internal.h"
#include "monitor/monitor-chardev.h"

#include <tessera/machine.h>

#define MAX_SERIALS 4

static TsChardev *serials[MAX_SERIALS];

TS_EXPORT TsChardev *ts_machine_serial(unsigned index)
{
    return index < MAX_SERIALS ? serials[index] : NULL;
}

/* A -serial spec: "none", "chardev:ID" or a legacy backend spelling. */
static bool add_serial(unsigned index, const char *spec, GError **errp)
{
    if (index >= MAX_SERIALS) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "too many serial ports (at most %d)", MAX_SERIALS);
        return false;
    }
    if (g_str_equal(spec, "none")) {
        return true;
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        serials[index] = ts_chardev_find(spec + strlen("chardev:"));
        if (!serials[index]) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "chardev '%s' not found", spec + strlen("chardev:"));
            return false;
        }
        return true;
    }
    g_autofree char *id = g_strdup_printf("serial%u", index);
    bool mux = false;
    g_autofree char *opts = chardev_legacy_to_opts(id, spec, &mux, errp);
    if (!opts) {
        return false;
    }
    serials[index] = chardev_new_from_opts(opts, errp);
    if (!serials[index]) {
        return false;
    }
    /* The monitor attaches now, before the board's UART: the frontend
     * attached last has the input, so the guest console comes first. */
    return !mux || monitor_attach_hmp(serials[index], errp) != NULL;
}

bool cli_setup_chardevs(Cli *cli, GError **errp)
{
    for (guint i = 0; i < cli->chardevs->len; i++) {
        const char *arg = g_ptr_array_index(cli->chardevs, i);
        if (!chardev_new_from_opts(arg, errp)) {
            g_prefix_error(errp, "-chardev %s: ", arg);
            return false;
        }
    }
    for (guint i = 0; i < cli->serials->len; i++) {
        const char *arg = g_ptr_array_index(cli->serials, i);
        if (!add_serial(i, arg, errp)) {
            g_prefix_error(errp, "-serial %s: ", arg);
            return false;
        }
    }
    if (cli->nographic && !cli->nodefaults && cli->serials->len == 0 &&
        !add_serial(0, cli_default_monitor(cli) ? "mon:stdio" : "stdio",
                    errp)) {
        g_prefix_error(errp, "-nographic: ");
        return false;
    }
    return true;
}
