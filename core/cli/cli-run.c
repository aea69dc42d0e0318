/*
 * core/cli/cli-run.c - from a parsed command line to a running VM.
 *
 * Order matters for good errors: -device drivers are checked before the
 * machine is built (a typo fails at once, naming the device), then the
 * chardevs and monitors are opened (a monitor sharing a mux with a serial
 * port must attach before the board's UART), the machine is created and
 * initialised, the accelerator is started if the machine has CPUs,
 * devices are created and realized, and the main loop runs.  Only the
 * plugins these steps name are loaded.
 */
#include "config.h"
#include "cli.h"
#include "help.h"
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include "opts.h"
#include "plugin/plugins.h"
#include "monitor/qmp.h"
#include "gdbstub/gdbstub.h"
#include "util/log-setup.h"
#include "device/device-create.h"
#include "machine/smp.h"
#include "machine/boot-opts.h"
#include "machine/cpu-opts.h"
#include "machine/ram-size.h"
#include "machine/rtc.h"
#include "machine/runstate.h"
#include "chardev/chardevs.h"
#include "loader/reset-fixups.h"
#include "block/block-options.h"
#include "nbd/nbd.h"
#include "net/net-options.h"
#include "util/fdset.h"
#include "device/global-props.h"
#include "keyboard-layout.h"
#include "object/user-object.h"
#include "memory/host-ram.h"
#include "memory/machine-ram.h"
#include "machine/fw-cfg-opts.h"
#include "loop/main-loop.h"

bool cpu_start_all(GError **errp);
void cpu_stop_all(void);

#include <tessera/device.h>
#include <tessera/loop.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_RAM_SIZE (128 * 1024 * 1024)

/* ---- help ---------------------------------------------------------- */

/* `-device NAME,help`, `-accel NAME,help`: the type's properties. */
static bool property_help(PluginKind kind, const char *name, GError **errp)
{
    if (!plugin_require(kind, name, errp)) {
        return false;
    }
    g_autofree char *type = plugin_type_name(kind, name);
    TsObjectClass *klass = ts_class_by_name(type);
    if (!klass) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "no plugin provides %s '%s'", plugin_kind_name(kind),
                    name);
        return false;
    }
    g_autofree char *text = object_class_property_help(klass);
    printf("%s options:\n%s", name, text);
    return true;
}

/*
 * The properties every QEMU machine has that are the core's business
 * here: kernel=, initrd=, append=, firmware=, dtb= (the same as -kernel,
 * -initrd, -append, -bios, -dtb; the -machine spelling wins), and usb=
 * and graphics=, checked as booleans.  No board here has a USB host
 * controller or a display, so, as QEMU on riscv virt, usb=on (-usb) and
 * graphics=on create nothing.
 */
static const char *const generic_machine_help[][2] = {
    { "append=<str>", "Linux kernel command line" },
    { "dtb=<str>", "Linux kernel device tree file" },
    { "firmware=<str>", "Firmware image" },
    { "graphics=<bool>", "Set on/off to enable/disable graphics emulation" },
    { "initrd=<str>", "Linux initial ramdisk file" },
    { "kernel=<str>", "Linux kernel image file" },
    { "usb=<bool>", "Set on/off to enable/disable usb" },
};

static int sort_lines(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* `-machine NAME,help`: the board's properties and the generic ones,
 * sorted together as QEMU lists them. */
static bool machine_help(const char *name, GError **errp)
{
    if (!plugin_require(PK_MACHINE, name, errp)) {
        return false;
    }
    g_autofree char *type = plugin_type_name(PK_MACHINE, name);
    TsObjectClass *klass = ts_class_by_name(type);
    if (!klass) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "no plugin provides machine '%s'", name);
        return false;
    }
    g_autofree char *text = object_class_property_help(klass);
    g_auto(GStrv) board = g_strsplit(text, "\n", -1);
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    for (char **l = board; *l; l++) {
        if (**l) {
            g_ptr_array_add(lines, g_strdup(*l));
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(generic_machine_help); i++) {
        /* In the column object_class_property_help uses. */
        g_ptr_array_add(lines, g_strdup_printf("  %-22s- %s",
                                               generic_machine_help[i][0],
                                               generic_machine_help[i][1]));
    }
    g_ptr_array_sort(lines, sort_lines);
    printf("%s-machine options:\n", name);
    for (guint i = 0; i < lines->len; i++) {
        printf("%s\n", (char *)g_ptr_array_index(lines, i));
    }
    return true;
}

/* The NAME in "NAME,help" or "key=NAME,help", or NULL for plain help. */
static char *help_subject(const char *arg, const char *key)
{
    g_autoptr(TsOpts) o = opts_parse(arg, key, NULL);
    const char *name = o ? opts_get(o, key) : NULL;
    return name ? g_strdup(name) : NULL;
}

static bool answer_one(Cli *cli, const char *option, const char *arg,
                       GError **errp)
{
    if (g_str_equal(option, "-machine")) {
        g_autofree char *name = help_subject(arg, "type");
        if (!name) {
            help_print(stdout, PK_MACHINE, cli->target);
        } else if (!machine_help(name, errp)) {
            g_prefix_error(errp, "%s %s: ", option, arg);
            return false;
        }
    } else if (g_str_equal(option, "-device") ||
               g_str_equal(option, "-accel")) {
        bool device = g_str_equal(option, "-device");
        PluginKind kind = device ? PK_DEVICE : PK_ACCEL;
        g_autofree char *name = help_subject(arg, device ? "driver"
                                                         : "accel");
        if (!name) {
            help_print(stdout, kind, NULL);
        } else if (!property_help(kind, name, errp)) {
            g_prefix_error(errp, "%s %s: ", option, arg);
            return false;
        }
    } else if (g_str_equal(option, "-cpu")) {
        help_print(stdout, PK_CPU, NULL);
    } else if (g_str_equal(option, "-audiodev")) {
        help_print(stdout, PK_AUDIODEV, NULL);
    } else if (g_str_equal(option, "-blockdev")) {
        /* driver=help lists drivers; driver=file,help a driver's options */
        g_autofree char *name = help_subject(arg, "driver");
        if (!name || g_str_equal(name, "help") || g_str_equal(name, "?")) {
            help_print(stdout, PK_BLOCKDRIVER, NULL);
        } else if (!property_help(PK_BLOCKDRIVER, name, errp)) {
            g_prefix_error(errp, "%s %s: ", option, arg);
            return false;
        }
    } else if (g_str_equal(option, "-netdev") ||
               g_str_equal(option, "-nic") || g_str_equal(option, "-net")) {
        return net_answer_help(stdout, option, arg, errp);
    } else if (g_str_equal(option, "-chardev")) {
        printf("Available chardev backend types:\n");
        for (const char *const *n = chardev_backend_names(); *n; n++) {
            printf("  %s\n", *n);
        }
    } else if (g_str_equal(option, "-d")) {
        log_print_items(stdout);
    } else if (g_str_equal(option, "-display")) {
        printf("Available display backend types:\nnone\n");
    } else if (g_str_equal(option, "-object")) {
        g_autoptr(TsOpts) o = arg ? opts_parse(arg, "qom-type", NULL) : NULL;
        const char *type = o ? opts_get(o, "qom-type") : NULL;
        if (!type || !user_object_print_help(stdout, type)) {
            user_object_print_types(stdout);
        }
    } else if (g_str_equal(option, "-rtc")) {
        rtc_options_print_help(stdout);
    } else if (g_str_equal(option, "-action")) {
        vm_actions_print_help(stdout);
    } else if (g_str_equal(option, "-vga")) {
        /* Only what this binary could create: none of QEMU's cards. */
        printf("%-20s %s\n", "none", "no graphic card");
    } else if (g_str_equal(option, "-boot")) {
        boot_opts_print_help(stdout);
    } else if (g_str_equal(option, "-global")) {
        global_props_print_help(stdout);
    } else if (g_str_equal(option, "-smp")) {
        smp_print_options(stdout);
    } else if (g_str_equal(option, "-k")) {
        keyboard_layout_print(stdout);
    }
    return true;
}

bool cli_answer_help(Cli *cli, GError **errp)
{
    GPtrArray *req = cli->help_requests;
    for (guint i = 0; i + 1 < req->len; i += 2) {
        if (!answer_one(cli, g_ptr_array_index(req, i),
                        g_ptr_array_index(req, i + 1), errp)) {
            return false;
        }
    }
    return req->len > 0;
}

/* ---- devices -------------------------------------------------------- */

typedef struct DeviceSpec {
    TsOpts *opts;
    const char *driver;
} DeviceSpec;

/* Fail fast on a device nobody provides, before building anything. */
static bool check_device_driver(const char *arg, GError **errp)
{
    g_autoptr(TsOpts) opts = opts_parse(arg, "driver", errp);
    if (!opts) {
        g_prefix_error(errp, "-device %s: ", arg);
        return false;
    }
    const char *driver = opts_get(opts, "driver");
    if (!driver) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-device %s: Parameter 'driver' is missing", arg);
        return false;
    }
    if (!plugin_require(PK_DEVICE, driver, errp)) {
        g_prefix_error(errp, "-device %s: ", arg);
        return false;
    }
    return true;
}

/* ---- -m and -smp ----------------------------------------------------- */

static bool apply_smp(const char *text, TsMachineClass *mc,
                      const char *machine, TsMachineConfig *cfg,
                      GError **errp)
{
    SmpLimits lim = { .machine = machine,
                      .max_cpus = mc && mc->max_cpus ? mc->max_cpus : 1 };
    SmpConfig smp;
    if (!smp_parse(text, &lim, &smp, errp)) {
        return false;
    }
    cfg->cpus = smp.cpus;
    cfg->max_cpus = smp.max_cpus;
    cfg->sockets = smp.sockets;
    cfg->dies = smp.dies;
    cfg->clusters = smp.clusters;
    cfg->cores = smp.cores;
    cfg->threads = smp.threads;
    return true;
}

static bool cli_apply_memory_and_smp(Cli *cli, TsMachineClass *mc,
                                     const char *machine,
                                     TsMachineConfig *cfg, GError **errp)
{
    RamSize ram;
    if (cli->memory_opts) {
        if (!ram_size_parse(cli->memory_opts, cfg->ram_size, &ram, errp)) {
            g_prefix_error(errp, "-m %s: ", cli->memory_opts);
            return false;
        }
        cfg->ram_size = ram.size;
    }
    if (cli->smp_opts && !apply_smp(cli->smp_opts, mc, machine, cfg, errp)) {
        g_prefix_error(errp, "-smp %s: ", cli->smp_opts);
        return false;
    }
    return true;
}

/* ---- machine and accelerator --------------------------------------- */

static char *machine_name(Cli *cli, TsOpts *mopts, GError **errp)
{
    const char *type = mopts ? opts_get(mopts, "type") : NULL;
    if (type) {
        return g_strdup(type);
    }
    const char *def = help_default_machine(cli->target);
    if (!def) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "No machine specified, and there is no default\n"
                    "Use -machine help to list supported machines");
        return NULL;
    }
    return g_strdup(def);
}

static bool try_accel(const char *name, TsOpts *props, TsMachine *machine,
                      GError **errp)
{
    /* QEMU lists its accelerators here and exits 0; a one-line error that
     * says what is missing serves a script better. */
    if (!name || !*name) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "no accelerator named (-accel help lists them)");
        return false;
    }
    if (!plugin_require(PK_ACCEL, name, errp)) {
        return false;
    }
    g_autofree char *type = plugin_type_name(PK_ACCEL, name);
    TsObject *accel = ts_object_new(type, errp);
    if (!accel) {
        return false;
    }
    static const char *const accel_skip[] = { "accel", NULL };
    TsAccelClass *ac = (TsAccelClass *)ts_class_dynamic_cast(accel->klass,
                                                             TS_TYPE_ACCEL);
    bool ok = object_apply_opts(accel, props, accel_skip, errp) &&
              (!ac->init_machine || ac->init_machine(accel, machine, errp));
    if (ok) {
        ts_object_add_child(TS_OBJECT(machine), "accel", accel, NULL);
    }
    ts_object_unref(accel);
    return ok;
}

static bool start_accel(Cli *cli, TsMachine *machine, TsOpts *mopts,
                        GError **errp)
{
    /* -accel options in order, else -machine accel=a:b, else tcg; the
     * first that works is used, as in QEMU. */
    g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)opts_free);
    for (guint i = 0; i < cli->accels->len; i++) {
        const char *arg = g_ptr_array_index(cli->accels, i);
        TsOpts *a = opts_parse(arg, "accel", errp);
        if (!a) {
            g_prefix_error(errp, "-accel %s: ", arg);
            return false;
        }
        g_ptr_array_add(specs, a);
    }
    const char *list = mopts ? opts_get(mopts, "accel") : NULL;
    if (specs->len == 0) {
        g_auto(GStrv) parts = g_strsplit(list ? list : "tcg", ":", -1);
        for (char **p = parts; *p; p++) {
            if (!**p) {
                continue;       /* "accel=" or "tcg:": nothing there */
            }
            g_autofree char *text = g_strconcat("accel=", *p, NULL);
            g_ptr_array_add(specs, opts_parse(text, NULL, NULL));
        }
        if (specs->len == 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "-machine accel=%s: no accelerator found", list);
            return false;
        }
    }
    GError *last = NULL;
    for (guint i = 0; i < specs->len; i++) {
        TsOpts *spec = g_ptr_array_index(specs, i);
        g_clear_error(&last);
        if (try_accel(opts_get(spec, "accel"), spec, machine, &last)) {
            return true;
        }
    }
    g_propagate_prefixed_error(errp, last, "-accel: ");
    return false;
}

static bool apply_generic_machine_opts(Cli *cli, const TsOpts *mopts,
                                       TsMachineConfig *cfg, GError **errp)
{
    if (!mopts) {
        return true;
    }
    /* Copied into the Cli: the board reads them after mopts is gone. */
    struct { const char *key; char **field; } strs[] = {
        { "kernel", &cli->kernel }, { "initrd", &cli->initrd },
        { "append", &cli->append }, { "firmware", &cli->firmware },
        { "dtb", &cli->dtb },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(strs); i++) {
        if (opts_has(mopts, strs[i].key)) {
            g_free(*strs[i].field);
            *strs[i].field = g_strdup(opts_get(mopts, strs[i].key));
        }
    }
    cfg->kernel = cli->kernel;
    cfg->initrd = cli->initrd;
    cfg->append = cli->append;
    cfg->firmware = cli->firmware;
    cfg->dtb = cli->dtb;
    bool usb, graphics;
    return opts_get_bool(mopts, "usb", cli->usb, &usb, errp) &&
           opts_get_bool(mopts, "graphics", true, &graphics, errp);
}

/* -machine memory-backend= and -mem-path: where the board's RAM comes
 * from (and, with a backend, how large it is). */
static bool plan_machine_ram(Cli *cli, const TsOpts *mopts,
                             TsMachineConfig *cfg, GError **errp)
{
    bool memdevs = false;
    for (guint i = 0; i < cli->numa->len; i++) {
        memdevs |= strstr(g_ptr_array_index(cli->numa, i), "memdev=") != NULL;
    }
    return machine_ram_plan(mopts ? opts_get(mopts, "memory-backend") : NULL,
                            cli->mem_path, cli->memory_opts != NULL,
                            &cfg->ram_size, memdevs, errp);
}

static TsMachine *build_machine(Cli *cli, GError **errp)
{
    g_autoptr(TsOpts) mopts = NULL;
    if (cli->machine_opts) {
        mopts = opts_parse(cli->machine_opts, "type", errp);
        if (!mopts) {
            g_prefix_error(errp, "-machine %s: ", cli->machine_opts);
            return NULL;
        }
    }
    g_autofree char *name = machine_name(cli, mopts, errp);
    if (!name) {
        return NULL;
    }
    if (!plugin_require(PK_MACHINE, name, errp)) {
        g_prefix_error(errp, "-machine %s: ", name);
        return NULL;
    }
    g_autofree char *type = plugin_type_name(PK_MACHINE, name);
    TsMachineClass *mc = (TsMachineClass *)ts_class_by_name(type);
    if (mc && mc->target && cli->target &&
        !g_str_equal(mc->target, cli->target)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-machine %s: machine '%s' emulates target %s, not %s",
                    name, name, mc->target, cli->target);
        return NULL;
    }

    TsMachineConfig *cfg = machine_config_mutable();
    cfg->ram_size = mc && mc->default_ram_size ? mc->default_ram_size
                                               : DEFAULT_RAM_SIZE;
    cfg->cpus = 1;
    cfg->max_cpus = 1;
    cfg->sockets = cfg->dies = cfg->clusters = cfg->cores = cfg->threads = 1;
    cfg->cpu_type = mc ? mc->default_cpu_type : NULL;
    if (cli->cpu && !(cfg->cpu_type = cpu_opts_apply(cli->cpu, errp))) {
        return NULL;
    }
    cfg->kernel = cli->kernel;
    cfg->initrd = cli->initrd;
    cfg->append = cli->append;
    cfg->firmware = cli->firmware;
    cfg->dtb = cli->dtb;
    if (!apply_generic_machine_opts(cli, mopts, cfg, errp)) {
        g_prefix_error(errp, "-machine %s: ", cli->machine_opts);
        return NULL;
    }
    if (!cli_apply_memory_and_smp(cli, mc, name, cfg, errp) ||
        !plan_machine_ram(cli, mopts, cfg, errp) ||
        !cli_apply_machine_config(cli, mc, mopts, cfg, errp)) {
        return NULL;
    }

    TsMachine *machine = machine_create(type, errp);
    if (!machine) {
        return NULL;
    }
    /* hmat=on is the core's (NUMA), on machines that take -numa. */
    const char *const machine_skip[] = {
        "type", "accel", "kernel", "initrd", "append", "firmware", "dtb",
        "usb", "graphics", "memory-backend",
        mc && mc->numa_supported ? "hmat" : NULL, NULL };
    if (mopts && !object_apply_opts(TS_OBJECT(machine), mopts, machine_skip,
                                    errp)) {
        g_prefix_error(errp, "-machine %s: ", cli->machine_opts);
        return NULL;
    }
    if (!(mc && mc->no_cpus) && !start_accel(cli, machine, mopts, errp)) {
        return NULL;
    }
    if (!machine_init(machine, errp)) {
        return NULL;
    }
    return machine;
}

/* ---- run ------------------------------------------------------------ */

int cli_run(Cli *cli, GError **errp)
{
    /* The whole command line is known: -add-fd's originals can go (their
     * duplicates stay), and -writeconfig can write it. */
    fdset_close_inherited();
    if (cli->writeconfig && !config_file_write(cli, cli->writeconfig, errp)) {
        g_prefix_error(errp, "-writeconfig %s: ", cli->writeconfig);
        return 1;
    }
    for (guint i = 0; i < cli->devices->len; i++) {
        if (!check_device_driver(g_ptr_array_index(cli->devices, i), errp)) {
            return 1;
        }
    }
    /* Before any thread exists; everything after runs in the daemon. */
    if (cli->daemonize &&
        !(daemonize_check(cli, errp) && daemonize_start(errp))) {
        return 1;
    }
    if (!cli_create_objects(cli, errp)) {
        return 1;
    }
    ts_loop_init();
    vm_actions_install(&cli->actions);
    runstate_setup(&(RunstatePolicy){ .vm_name = cli->name,
                                      .no_reboot = cli->no_reboot,
                                      .no_shutdown = cli->no_shutdown });
    if (cli->pidfile && !runstate_write_pidfile(cli->pidfile, errp)) {
        return 1;
    }
    if (!cli_setup_chardevs(cli, errp) || !cli_open_monitors(cli, errp)) {
        return 1;
    }
    host_ram_set_prealloc(cli->mem_prealloc);
    fw_cfg_opts_set_machine(cli->uuid, cli->nographic);
    if (!block_options_open(errp) || !net_options_open(errp) ||
        !net_nic_options_open(errp) || !build_machine(cli, errp) ||
        !net_create_nics(errp) ||
        !block_drives_create_devices(errp)) {
        return 1;
    }
    for (guint i = 0; i < cli->devices->len; i++) {
        const char *arg = g_ptr_array_index(cli->devices, i);
        g_autoptr(TsOpts) opts = opts_parse(arg, "driver", errp);
        if (!opts || !device_create(opts, errp)) {
            g_prefix_error(errp, "-device %s: ", arg);
            return 1;
        }
    }
    if (!machine_done(errp) || !block_drives_check_claimed(errp)) {
        return 1;
    }
    global_props_warn_unused(stderr);
    net_check_clients();
    reset_fixups_run();         /* -device loader: PCs, values, images */
    if (!gdbstub_open_option(errp)) {
        return 1;
    }
    /* The sandbox last, once everything the command line names is open
     * and privileges are dropped (-runas works with
     * elevateprivileges=deny, -daemonize and tap scripts with
     * spawn=deny, where QEMU, which seals earlier, dies of SIGSYS): it
     * guards what the guest can reach. */
    if (!cpu_start_all(errp) || !cli_drop_privileges(cli, errp) ||
        !sandbox_install(&cli->sandbox, errp)) {
        if (errp && *errp && cli->sandbox.enable &&
            !g_str_has_prefix((*errp)->message, "-")) {
            g_prefix_error(errp, "-sandbox: ");
        }
        return 1;
    }
    if (!cli->start_stopped) {
        ts_vm_start();
    }
    daemonize_ready();          /* -daemonize: the parent may exit now */
    runstate_loop_takes_signals();
    int status = ts_loop_run();
    cpu_stop_all();
    return status;
}

/* ---- entry point ---------------------------------------------------- */

TS_EXPORT int tessera_main(int argc, char **argv);

TS_EXPORT int tessera_main(int argc, char **argv)
{
    Cli cli = { 0 };
    g_autoptr(GError) err = NULL;
    int status = 0;

    /* A monitor peer that goes away must end its session, not the VM. */
    signal(SIGPIPE, SIG_IGN);
    /* From the start: -readconfig may already block on a FIFO. */
    g_autofree char *progname = g_path_get_basename(argv[0]);
    runstate_catch_signals(progname);
    plugin_loader_init();
    if (!cli_parse(&cli, argc, argv, &err)) {
        status = 1;
    } else if (cli.show_help) {
        cli_print_usage(&cli);
    } else if (cli.show_version) {
        printf("Tessera emulator version %s\n"
               "Copyright (c) 2026 the Tessera developers\n", TS_VERSION);
    } else if (cli.help_requests->len) {
        status = cli_answer_help(&cli, &err) ? 0 : 1;
    } else {
        status = cli_run(&cli, &err);
    }
    if (err) {
        fprintf(stderr, "%s: %s\n", cli.progname ? cli.progname : argv[0],
                err->message);
        status = status ? status : 1;
    }
    nbd_shutdown();             /* exports let go of their nodes */
    block_close_all();          /* every write on disk, overlays gone */
    net_close_all();            /* backends release host resources */
    gdbstub_close();
    cli_close_monitors();       /* monitors leave their chardevs first */
    chardev_free_all();         /* puts the terminal back */
    runstate_cleanup();
    cpu_opts_cleanup();
    cli_machine_config_cleanup();
    fw_cfg_opts_reset();
    global_props_reset();
    fdset_reset();
    cli_free(&cli);
    return status;
}
