/*
 * core/monitor/monitor-options.c - monitors from the command line: -monitor, -qmp,
 * -qmp-pretty, -mon, and the human monitor -nographic puts on stdio.
 *
 * As in QEMU, giving any of -monitor, -qmp, -qmp-pretty or -mon turns the
 * default monitor off.  QEMU's default is a human monitor on the graphical
 * console (vc); Tessera has no display, so without one of those options
 * (or -nographic, or -serial mon:...) there is no monitor at all.
 *
 * Monitors attach before the machine is built, as QEMU does: a QMP
 * client gets its greeting at once, and a monitor sharing a mux with a
 * serial port attaches before the board's UART, which (attached last)
 * then has the input, so the guest console comes first.
 */
#include "cli/cli.h"
#include "chardev/chardevs.h"
#include "cli/help.h"
#include "monitor-chardev.h"
#include "monitor-hooks.h"
#include "cli/opts.h"
#include "plugin/plugins.h"
#include "qmp.h"

#include <tessera/machine.h>


/* What the hooks report; copied so that they outlive nothing they need. */
static char *hook_uuid_text;
static char *hook_target;

/* Legacy specs get chardevs named as QEMU names them. */
static unsigned compat_index;

bool cli_default_monitor(const Cli *cli)
{
    return cli->monitors->len == 0 && !cli->nodefaults;
}

/* ---- hooks -------------------------------------------------------------- */

static const char *hook_uuid(void)
{
    return hook_uuid_text;
}

typedef struct MachineWalk {
    MonitorMachineFn fn;
    void *opaque;
} MachineWalk;

static void report_machine(const char *name, const char *description,
                           bool is_default, void *opaque)
{
    MachineWalk *walk = opaque;
    MonitorMachineInfo info = {
        .name = name,
        .is_default = is_default,
        .cpu_max = 1,
    };
    /* A machine whose plugin is loaded has its class at hand; for the
     * others (a query is not worth loading plugins for) the sidecar
     * says, or, from a sidecar made before it did, the minimum (1 CPU,
     * no default CPU type). */
    g_autofree char *type = plugin_type_name(PK_MACHINE, name);
    const PluginProvide *p = plugin_index_find(PK_MACHINE, name, NULL);
    if (p && p->max_cpus >= 0) {
        info.cpu_max = (unsigned)p->max_cpus;
        info.default_cpu_type = p->default_cpu_type;
    }
    if (ts_type_exists(type)) {
        TsMachineClass *mc = (TsMachineClass *)ts_class_dynamic_cast(
            ts_class_by_name(type), TS_TYPE_MACHINE);
        if (mc) {
            info.cpu_max = mc->no_cpus ? 0 : (mc->max_cpus ? mc->max_cpus
                                                           : 1);
            info.default_cpu_type = mc->default_cpu_type;
        }
    }
    walk->fn(&info, walk->opaque);
}

/* Every machine this binary can run for its target, loaded or not. */
static void hook_machines(MonitorMachineFn fn, void *opaque)
{
    MachineWalk walk = { fn, opaque };
    help_foreach(PK_MACHINE, hook_target, report_machine, &walk);
}

/* ---- opening ------------------------------------------------------------ */

/* The chardev of a -monitor/-qmp spec: "chardev:ID" names an existing
 * one; anything else is a legacy backend spelling ("stdio",
 * "tcp:host:port,server=on", "mon:stdio", ...) made into a new chardev. */
static TsChardev *legacy_chardev(const char *spec, GError **errp)
{
    unsigned index = compat_index++;
    if (g_str_has_prefix(spec, "chardev:")) {
        const char *id = spec + strlen("chardev:");
        TsChardev *chr = ts_chardev_find(id);
        if (!chr) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "chardev '%s' not found", id);
        }
        return chr;
    }
    g_autofree char *id = g_strdup_printf("compat_monitor%u", index);
    g_autofree char *opts = chardev_legacy_to_opts(id, spec, NULL, errp);
    return opts ? chardev_new_from_opts(opts, errp) : NULL;
}

static bool open_legacy(const CliMonitor *m, GError **errp)
{
    if (g_str_equal(m->arg, "none")) {
        return true;            /* only turns the default monitor off */
    }
    TsChardev *chr = legacy_chardev(m->arg, errp);
    if (!chr) {
        return false;
    }
    if (m->kind == CLI_MONITOR_HMP) {
        return monitor_attach_hmp(chr, errp) != NULL;
    }
    return monitor_attach_qmp(chr, m->kind == CLI_MONITOR_QMP_PRETTY,
                              errp) != NULL;
}

/* -mon [chardev=]ID[,mode=readline|control][,pretty=on|off][,id=..] */
static bool open_mon(const char *arg, GError **errp)
{
    static const char *const keys[] = { "chardev", "mode", "pretty", "id",
                                        NULL };
    g_autoptr(TsOpts) o = opts_parse(arg, "chardev", errp);
    bool pretty;
    if (!o || !opts_check_keys(o, keys, errp) ||
        !opts_get_bool(o, "pretty", false, &pretty, errp)) {
        return false;
    }
    const char *id = opts_get(o, "chardev");
    const char *mode = opts_get(o, "mode");
    if (!id) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'chardev' is missing");
        return false;
    }
    bool qmp = mode && g_str_equal(mode, "control");
    if (mode && !qmp && !g_str_equal(mode, "readline")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'mode' does not accept value '%s' "
                    "(readline or control)", mode);
        return false;
    }
    if (pretty && !qmp) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'pretty' is not compatible with HMP monitors");
        return false;
    }
    TsChardev *chr = ts_chardev_find(id);
    if (!chr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "chardev '%s' not found", id);
        return false;
    }
    return qmp ? monitor_attach_qmp(chr, pretty, errp) != NULL
               : monitor_attach_hmp(chr, errp) != NULL;
}

static const char *option_name(CliMonitorKind kind)
{
    switch (kind) {
    case CLI_MONITOR_HMP:
        return "-monitor";
    case CLI_MONITOR_QMP:
        return "-qmp";
    case CLI_MONITOR_QMP_PRETTY:
        return "-qmp-pretty";
    case CLI_MONITOR_OPTS:
    default:
        return "-mon";
    }
}

bool cli_open_monitors(Cli *cli, GError **errp)
{
    g_free(hook_uuid_text);
    hook_uuid_text = g_strdup(cli->uuid);
    g_free(hook_target);
    hook_target = g_strdup(cli->target);
    MonitorHooks hooks = {
        .vm_uuid = hook_uuid,
        .foreach_machine = hook_machines,
        .foreach_numa_node = cli_numa_foreach_node,
    };
    monitor_set_hooks(&hooks);

    for (guint i = 0; i < cli->monitors->len; i++) {
        const CliMonitor *m = g_ptr_array_index(cli->monitors, i);
        bool ok = m->kind == CLI_MONITOR_OPTS ? open_mon(m->arg, errp)
                                              : open_legacy(m, errp);
        if (!ok) {
            g_prefix_error(errp, "%s %s: ", option_name(m->kind), m->arg);
            return false;
        }
    }
    /* -nographic with the serial port elsewhere: the monitor alone on
     * stdio (with no -serial, cli-chardev.c shares stdio between the two
     * on a mux instead). */
    if (cli->nographic && cli_default_monitor(cli) && cli->serials->len) {
        CliMonitor m = { CLI_MONITOR_HMP, (char *)"stdio" };
        if (!open_legacy(&m, errp)) {
            g_prefix_error(errp, "-nographic: ");
            return false;
        }
    }
    return true;
}

void cli_close_monitors(void)
{
    monitor_detach_all();
    qmp_cleanup();
    monitor_set_hooks(NULL);
    g_clear_pointer(&hook_uuid_text, g_free);
    g_clear_pointer(&hook_target, g_free);
    compat_index = 0;
}
