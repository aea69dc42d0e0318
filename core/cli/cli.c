/*
 * core/cli/cli.c - reading the command line, the way qemu-system-* does.
 *
 * Options are accepted with one or two dashes.  Parsing only records what
 * was asked; nothing is built here, so that help requests can be answered
 * once the whole command line (and so -plugin-path) is known, and so that
 * errors come out in command-line order with the option they belong to.
 */
#include "config.h"
#include "cli.h"
#include "machine/rtc.h"
#include "plugin/plugins.h"
#include "util/log-setup.h"
#include "opts.h"
#include "machine/boot-opts.h"
#include "machine/fw-cfg-opts.h"
#include "block/block-options.h"
#include "net/net-options.h"
#include "util/fdset.h"
#include "device/global-props.h"
#include "keyboard-layout.h"
#include "loop/main-loop.h"
#include "gdbstub/gdbstub.h"

#include <sys/prctl.h>
#include <string.h>

#include <tessera/types.h>
#include <stdio.h>

typedef bool (*OptionHandler)(Cli *cli, const char *arg, GError **errp);

/* Options that only record their argument say where, instead of having a
 * handler: a string (last one wins), a flag, or a list (repeatable). */
typedef enum CliStore { STORE_NONE, STORE_STRING, STORE_FLAG, STORE_LIST } CliStore;

typedef struct CliOption {
    const char *name;
    bool has_arg;
    OptionHandler handle;    /* or NULL and a store */
    CliStore store;
    size_t field;            /* offsetof(Cli, ...) for the store */
    const char *usage;       /* one line for -h, NULL to leave it out */
} CliOption;

#define STR(f) STORE_STRING, offsetof(Cli, f)
#define FLAG(f) STORE_FLAG, offsetof(Cli, f)
#define LIST(f) STORE_LIST, offsetof(Cli, f)
#define CALL STORE_NONE, 0

static bool is_help(const char *arg)
{
    return g_str_equal(arg, "help") || g_str_equal(arg, "?");
}

/* "help", "?", or "...,help" anywhere in a key=value list. */
static bool asks_help(const char *arg)
{
    if (is_help(arg)) {
        return true;
    }
    g_auto(GStrv) parts = g_strsplit(arg, ",", -1);
    for (char **p = parts; *p; p++) {
        if (g_str_equal(*p, "help") || g_str_equal(*p, "?") ||
            g_str_equal(*p, "help=on") || g_str_equal(*p, "driver=help")) {
            return true;
        }
    }
    return false;
}

static void want_help(Cli *cli, const char *option, const char *arg)
{
    g_ptr_array_add(cli->help_requests, g_strdup(option));
    g_ptr_array_add(cli->help_requests, g_strdup(arg));
}

static void replace(char **slot, const char *arg)
{
    g_free(*slot);
    *slot = g_strdup(arg);
}

static bool opt_smp(Cli *cli, const char *arg, GError **errp)
{
    (void)errp;
    if (asks_help(arg)) {
        want_help(cli, "-smp", arg);
    } else {
        replace(&cli->smp_opts, arg);
    }
    return true;
}

static bool opt_machine(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-machine", arg);
    }
    replace(&cli->machine_opts, arg);
    return true;
}

static bool opt_device(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-device", arg);
        return true;
    }
    g_ptr_array_add(cli->devices, g_strdup(arg));
    return true;
}

static bool opt_accel(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-accel", arg);
        return true;
    }
    g_ptr_array_add(cli->accels, g_strdup(arg));
    return true;
}

static bool opt_cpu(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-cpu", arg);
        return true;
    }
    replace(&cli->cpu, arg);
    return true;
}

/* Options whose subsystem is not there yet: help still lists providers. */
static bool opt_audiodev(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-audiodev", arg);
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                "-audiodev %s: 'audiodev' is not supported yet", arg);
    return false;
}

/* The block options are checked now and acted on by core/block once the
 * command line is known (block_options_open). */
static bool opt_blockdev(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-blockdev", arg);
        return true;
    }
    return block_blockdev_queue(arg, errp);
}

static bool opt_drive(Cli *cli, const char *arg, GError **errp)
{
    if (!block_drive_add(arg, errp)) {
        g_prefix_error(errp, "-drive %s: ", arg);
        return false;
    }
    return true;
}

/* -hda FILE, -cdrom FILE, ...: spellings of -drive. */
static bool opt_legacy_drive(Cli *cli, const char *name, const char *arg,
                             GError **errp)
{
    if (!block_legacy_option(name, arg, errp)) {
        g_prefix_error(errp, "-%s %s: ", name, arg);
        return false;
    }
    return true;
}

#define LEGACY_DRIVE(n)                                                    \
    static bool opt_##n(Cli *cli, const char *arg, GError **errp)          \
    {                                                                      \
        return opt_legacy_drive(cli, #n, arg, errp);                       \
    }
LEGACY_DRIVE(hda)
LEGACY_DRIVE(hdb)
LEGACY_DRIVE(hdc)
LEGACY_DRIVE(hdd)
LEGACY_DRIVE(cdrom)
LEGACY_DRIVE(fda)
LEGACY_DRIVE(fdb)
LEGACY_DRIVE(mtdblock)
LEGACY_DRIVE(sd)

static bool opt_snapshot(Cli *cli, const char *arg, GError **errp)
{
    block_set_snapshot_all();
    return true;
}

/* Backends are created by core/net once the command line is known. */
static bool opt_netdev(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-netdev", arg);
        return true;
    }
    if (!net_netdev_option(arg, errp)) {
        g_prefix_error(errp, "-netdev %s: ", arg);
        return false;
    }
    return true;
}

/* -nic and -net: "help" anywhere (model=help too) is answered later. */
static bool opt_nic_net(Cli *cli, const char *name, const char *arg,
                        GError **errp)
{
    if (asks_help(arg) || strstr(arg, "model=help") ||
        strstr(arg, "model=?")) {
        want_help(cli, name, arg);
        return true;
    }
    bool ok = g_str_equal(name, "-nic") ? net_nic_option(arg, errp)
                                        : net_net_option(arg, errp);
    if (!ok) {
        g_prefix_error(errp, "%s %s: ", name, arg);
    }
    return ok;
}

static bool opt_nic(Cli *cli, const char *arg, GError **errp)
{
    return opt_nic_net(cli, "-nic", arg, errp);
}

static bool opt_net(Cli *cli, const char *arg, GError **errp)
{
    return opt_nic_net(cli, "-net", arg, errp);
}

static bool opt_chardev(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-chardev", arg);
        return true;
    }
    g_ptr_array_add(cli->chardevs, g_strdup(arg));
    return true;
}

static bool opt_display(Cli *cli, const char *arg, GError **errp)
{
    if (is_help(arg)) {
        want_help(cli, "-display", arg);
        return true;
    }
    if (g_str_equal(arg, "none") || g_str_has_prefix(arg, "none,")) {
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                "-display %s: display '%s' is not supported yet", arg, arg);
    return false;
}

static bool opt_plugin_path(Cli *cli, const char *arg, GError **errp)
{
    plugin_path_prepend(arg);
    return true;
}

static bool opt_log_items(Cli *cli, const char *arg, GError **errp)
{
    if (is_help(arg)) {
        want_help(cli, "-d", arg);
        return true;
    }
    if (!*arg) {                /* QEMU: an error, not "log nothing" */
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-d : no log item named (-d help lists them)");
        return false;
    }
    if (!log_set_items(arg, errp)) {
        g_prefix_error(errp, "-d %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_log_file(Cli *cli, const char *arg, GError **errp)
{
    if (!log_set_file(arg, errp)) {
        g_prefix_error(errp, "-D %s: ", arg);
        return false;
    }
    return true;
}

/* -name [guest=]name[,process=p][,debug-threads=on|off] */
static bool opt_name(Cli *cli, const char *arg, GError **errp)
{
    static const char *const keys[] = { "guest", "process", "debug-threads",
                                        NULL };
    g_autoptr(TsOpts) o = opts_parse(arg, "guest", errp);
    bool debug_threads;
    if (!o || !opts_check_keys(o, keys, errp) ||
        !opts_get_bool(o, "debug-threads", false, &debug_threads, errp)) {
        g_prefix_error(errp, "-name %s: ", arg);
        return false;
    }
    replace(&cli->name, opts_get(o, "guest"));
    replace(&cli->name_opts, arg);
    if (opts_has(o, "debug-threads")) {
        loop_set_thread_naming(debug_threads);
    }
    const char *process = opts_get(o, "process");
    if (process) {
        /* What ps and top show (the kernel keeps 15 characters); threads
         * started later inherit it unless debug-threads=on. */
        prctl(PR_SET_NAME, process);
    }
    return true;
}

static bool opt_global(Cli *cli, const char *arg, GError **errp)
{
    if (is_help(arg)) {
        want_help(cli, "-global", arg);
        return true;
    }
    if (!global_props_add(arg, errp)) {
        g_prefix_error(errp, "-global %s: ", arg);
        return false;
    }
    g_ptr_array_add(cli->globals, g_strdup(arg));
    return true;
}

static bool opt_set(Cli *cli, const char *arg, GError **errp)
{
    if (!cli_set_option(cli, arg, errp)) {
        g_prefix_error(errp, "-set %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_rtc(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-rtc", arg);
        return true;
    }
    if (!rtc_options_apply(arg, errp)) {
        g_prefix_error(errp, "-rtc %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_sandbox(Cli *cli, const char *arg, GError **errp)
{
    if (!sandbox_parse(arg, &cli->sandbox, errp)) {
        g_prefix_error(errp, "-sandbox %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_runas(Cli *cli, const char *arg, GError **errp)
{
    if (!cli_check_runas(arg, errp)) {
        g_prefix_error(errp, "-runas %s: ", arg);
        return false;
    }
    replace(&cli->runas, arg);
    return true;
}

static bool opt_action(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-action", arg);
        return true;
    }
    if (!vm_actions_parse(&cli->actions, arg, errp)) {
        g_prefix_error(errp, "-action %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_watchdog_action(Cli *cli, const char *arg, GError **errp)
{
    if (!vm_actions_set_watchdog(&cli->actions, arg, errp)) {
        g_prefix_error(errp, "-watchdog-action %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_add_fd(Cli *cli, const char *arg, GError **errp)
{
    if (!fdset_add_option(arg, errp)) {
        g_prefix_error(errp, "-add-fd %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_keyboard(Cli *cli, const char *arg, GError **errp)
{
    if (is_help(arg)) {
        want_help(cli, "-k", arg);
        return true;
    }
    if (!keyboard_layout_check(arg, errp)) {
        g_prefix_error(errp, "-k %s: ", arg);
        return false;
    }
    replace(&cli->keyboard_layout, arg);
    return true;
}

/* Checked now, so a mistake is reported in command-line order; boards
 * get the parsed form when the machine is built. */
static bool opt_fw_cfg(Cli *cli, const char *arg, GError **errp)
{
    if (!fw_cfg_opts_add(arg, errp)) {
        g_prefix_error(errp, "-fw_cfg %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_boot(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-boot", arg);
        return true;
    }
    TsBootConfig boot;
    if (!boot_opts_parse(arg, &boot, errp)) {
        g_prefix_error(errp, "-boot %s: ", arg);
        return false;
    }
    boot_opts_clear(&boot);
    replace(&cli->boot_opts, arg);
    return true;
}

/* Checked when the machine is built: the rules need -m, -smp and the
 * machine type. */
static bool opt_numa(Cli *cli, const char *arg, GError **errp)
{
    g_ptr_array_add(cli->numa, g_strdup(arg));
    return true;
}

static bool opt_object(Cli *cli, const char *arg, GError **errp)
{
    if (asks_help(arg)) {
        want_help(cli, "-object", arg);
        return true;
    }
    g_ptr_array_add(cli->objects, g_strdup(arg));
    return true;
}

static bool opt_readconfig(Cli *cli, const char *arg, GError **errp)
{
    if (!config_file_read(cli, arg, errp)) {
        g_prefix_error(errp, "-readconfig %s: ", arg);
        return false;
    }
    return true;
}

static bool opt_uuid(Cli *cli, const char *arg, GError **errp)
{
    if (!g_uuid_string_is_valid(arg)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-uuid %s: Fail to parse UUID string", arg);
        return false;
    }
    replace(&cli->uuid, arg);
    return true;
}

/* -monitor, -qmp, -qmp-pretty and -mon share one ordered list. */
static void add_monitor(Cli *cli, CliMonitorKind kind, const char *arg)
{
    CliMonitor *m = g_new0(CliMonitor, 1);
    m->kind = kind;
    m->arg = g_strdup(arg);
    g_ptr_array_add(cli->monitors, m);
}

static bool opt_monitor(Cli *cli, const char *arg, GError **errp)
{
    add_monitor(cli, CLI_MONITOR_HMP, arg);
    return true;
}

static bool opt_gdb(Cli *cli, const char *arg, GError **errp)
{
    gdbstub_set_option(arg);
    return true;
}

static bool opt_gdb_default(Cli *cli, const char *arg, GError **errp)
{
    gdbstub_set_option("tcp::1234");
    return true;
}

static bool opt_qmp(Cli *cli, const char *arg, GError **errp)
{
    add_monitor(cli, CLI_MONITOR_QMP, arg);
    return true;
}

static bool opt_qmp_pretty(Cli *cli, const char *arg, GError **errp)
{
    add_monitor(cli, CLI_MONITOR_QMP_PRETTY, arg);
    return true;
}

/* No board here has a parallel port: "none" is the only meaningful value
 * (and QEMU's way of saying so); anything else is a feature we lack. */
static bool opt_parallel(Cli *cli, const char *arg, GError **errp)
{
    if (g_str_equal(arg, "none")) {
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                "-parallel %s: 'parallel' is not supported yet (no parallel "
                "port on any board; only -parallel none)", arg);
    return false;
}

/* QEMU's -vga names.  No board here has a VGA slot: like QEMU on riscv
 * virt, a card is only warned about (no display device is created), an
 * unknown name is refused. */
static bool opt_vga(Cli *cli, const char *arg, GError **errp)
{
    static const char *const cards[][2] = {
        { "none", "no graphic card" }, { "std", "standard VGA" },
        { "cirrus", "Cirrus VGA" }, { "vmware", "VMWare SVGA" },
        { "xenfb", "Xen paravirtualized framebuffer" },
        { "qxl", "QXL VGA" }, { "tcx", "TCX framebuffer" },
        { "cg3", "CG3 framebuffer" }, { "virtio", "Virtio VGA" },
    };
    if (is_help(arg)) {
        want_help(cli, "-vga", arg);
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cards); i++) {
        if (g_str_equal(arg, cards[i][0])) {
            if (i) {
                fprintf(stderr, "%s: warning: A -vga option was passed but "
                        "this machine type does not use that option; No "
                        "VGA device has been created\n", cli->progname);
            }
            return true;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "unknown vga type: %s",
                arg);
    return false;
}

static bool opt_mon(Cli *cli, const char *arg, GError **errp)
{
    add_monitor(cli, CLI_MONITOR_OPTS, arg);
    return true;
}

static void cli_monitor_free(void *p)
{
    CliMonitor *m = p;
    g_free(m->arg);
    g_free(m);
}

static const CliOption options[] = {
    { "h", false, NULL, FLAG(show_help), "-h or -help        display this help and exit" },
    { "help", false, NULL, FLAG(show_help), NULL },
    { "version", false, NULL, FLAG(show_version), "-version           display version information and exit" },
    { "target", true, NULL, STR(target), "-target NAME       emulate target NAME (default: from the program name)" },
    { "plugin-path", true, opt_plugin_path, CALL, "-plugin-path DIR   look for plugins in DIR first (repeatable)" },
    { "machine", true, opt_machine, CALL, "-machine [type=]name[,prop=value[,...]]  select the board (-machine help)" },
    { "M", true, opt_machine, CALL, NULL },
    { "cpu", true, opt_cpu, CALL, "-cpu model         select CPU model (-cpu help)" },
    { "accel", true, opt_accel, CALL, "-accel name[,prop=value[,...]]  select accelerator (-accel help)" },
    { "m", true, NULL, STR(memory_opts), "-m [size=]megs     guest RAM size (default 128M)" },
    { "mem-prealloc", false, NULL, FLAG(mem_prealloc), "-mem-prealloc      allocate all guest RAM before the guest starts" },
    { "mem-path", true, NULL, STR(mem_path), "-mem-path FILE     provide guest RAM from a file (a directory: a file of its own there)" },
    { "smp", true, opt_smp, CALL, "-smp [cpus=]n[,...] number of CPUs and topology" },
    { "device", true, opt_device, CALL, "-device driver[,prop=value][,...]  add a device (-device help, -device driver,help)" },
    { "audiodev", true, opt_audiodev, CALL, "-audiodev driver,id=id  audio backend (-audiodev help)" },
    { "blockdev", true, opt_blockdev, CALL, "-blockdev driver=..  block node (-blockdev driver=help)" },
    { "drive", true, opt_drive, CALL, "-drive [file=file][,if=none|virtio|pflash][,format=f][,cache=c][,aio=a][,readonly=on][,id=name][,...]  a drive (-blockdev driver=help lists formats)" },
    { "hda", true, opt_hda, CALL, "-hda/-hdb file    use 'file' as hard disk 0/1 image (if=none on virt)" },
    { "hdb", true, opt_hdb, CALL, NULL },
    { "hdc", true, opt_hdc, CALL, "-hdc/-hdd file    use 'file' as hard disk 2/3 image" },
    { "hdd", true, opt_hdd, CALL, NULL },
    { "cdrom", true, opt_cdrom, CALL, "-cdrom file       use 'file' as CD-ROM image (read-only)" },
    { "fda", true, opt_fda, CALL, "-fda/-fdb file    floppy disk image (the boards have no floppy)" },
    { "fdb", true, opt_fdb, CALL, NULL },
    { "mtdblock", true, opt_mtdblock, CALL, "-mtdblock file   on-board flash memory image (the boards have none)" },
    { "sd", true, opt_sd, CALL, "-sd file          SD card image (the boards have no SD controller)" },
    { "snapshot", false, opt_snapshot, CALL, "-snapshot         write to temporary files instead of disk image files" },
    { "netdev", true, opt_netdev, CALL, "-netdev type,id=str[,prop=value][,...]  a network backend (-netdev help lists types)" },
    { "nic", true, opt_nic, CALL, "-nic [type][,model=m][,mac=addr][,id=str][,prop=value][,...]  a backend and its NIC (-nic model=help)" },
    { "net", true, opt_net, CALL, "-net nic[,netdev=nd][,macaddr=mac][,model=m][,name=str] | -net type[,prop=value][,...]  legacy: NICs and backends on hub 0" },
    { "chardev", true, opt_chardev, CALL, "-chardev backend,id=id  character device (-chardev help)" },
    { "serial", true, NULL, LIST(serials), "-serial dev        redirect the next serial port to host device 'dev'" },
    { "parallel", true, opt_parallel, CALL, "-parallel none     no parallel port (the boards have none)" },
    { "monitor", true, opt_monitor, CALL, "-monitor dev       redirect the human monitor to host device 'dev'" },
    { "mon", true, opt_mon, CALL, "-mon [chardev=]name[,mode=readline|control][,pretty=on|off]  a monitor on a chardev" },
    { "kernel", true, NULL, STR(kernel), "-kernel bzImage    use 'bzImage' as kernel image" },
    { "initrd", true, NULL, STR(initrd), "-initrd file       use 'file' as initial ram disk" },
    { "append", true, NULL, STR(append), "-append cmdline    use 'cmdline' as kernel command line" },
    { "bios", true, NULL, STR(firmware), "-bios file         set the firmware ('none' for no firmware)" },
    { "dtb", true, NULL, STR(dtb), "-dtb file          use 'file' as device tree image" },
    { "S", false, NULL, FLAG(start_stopped), "-S                 do not start CPUs at startup" },
    { "gdb", true, opt_gdb, CALL, "-gdb dev           accept a gdb connection on 'dev' (tcp::1234, unix:path,server, stdio...)" },
    { "s", false, opt_gdb_default, CALL, "-s                 shorthand for -gdb tcp::1234" },
    { "nographic", false, NULL, FLAG(nographic), "-nographic         no graphical output" },
    { "nodefaults", false, NULL, FLAG(nodefaults), "-nodefaults        don't create default devices (serial port, monitor)" },
    { "no-user-config", false, NULL, FLAG(no_user_config), "-no-user-config    do not load default user-provided config files (Tessera loads none)" },
    { "vga", true, opt_vga, CALL, "-vga [none]        select video card type (the boards have no VGA slot)" },
    { "usb", false, NULL, FLAG(usb), "-usb               enable on-board USB host controller (machine usb=on)" },
    { "display", true, opt_display, CALL, "-display none      no display" },
    { "qmp", true, opt_qmp, CALL, "-qmp dev           QMP (JSON) monitor on host device 'dev'" },
    { "qmp-pretty", true, opt_qmp_pretty, CALL, "-qmp-pretty dev    QMP monitor on 'dev', JSON indented over several lines" },
    { "name", true, opt_name, CALL, "-name [guest=]name[,process=p][,debug-threads=on|off]  name the guest (and the process, and its threads)" },
    { "uuid", true, opt_uuid, CALL, "-uuid %08x-%04x-%04x-%04x-%012x  specify machine UUID" },
    { "no-reboot", false, NULL, FLAG(no_reboot), "-no-reboot         exit instead of rebooting" },
    { "no-shutdown", false, NULL, FLAG(no_shutdown), "-no-shutdown       stop before shutdown" },
    { "rtc", true, opt_rtc, CALL, "-rtc [base=utc|localtime|datetime][,clock=host|rt|vm][,driftfix=none|slew]  set the RTC base and clock" },
    { "sandbox", true, opt_sandbox, CALL, "-sandbox on|off[,obsolete=allow|deny][,elevateprivileges=allow|deny|children][,spawn=allow|deny][,resourcecontrol=allow|deny]  seccomp filter once the VM is built" },
    { "chroot", true, NULL, STR(chroot_dir), "-chroot dir        chroot to dir just before starting the VM" },
    { "runas", true, opt_runas, CALL, "-runas user        change to user id user (or uid:gid) just before starting the VM" },
    { "action", true, opt_action, CALL, "-action reboot=reset|shutdown,shutdown=poweroff|pause,panic=...,watchdog=...  what guest events do (-action help)" },
    { "watchdog-action", true, opt_watchdog_action, CALL, "-watchdog-action reset|shutdown|poweroff|inject-nmi|pause|debug|none  action when a watchdog fires (no board has one yet)" },
    { "pidfile", true, NULL, STR(pidfile), "-pidfile file      write PID to 'file'" },
    { "daemonize", false, NULL, FLAG(daemonize), "-daemonize         detach from the terminal once the VM is set up" },
    { "numa", true, opt_numa, CALL, "-numa node[,memdev=id][,cpus=a[-b]][,nodeid=n][,initiator=n]  a NUMA node (also dist, cpu, hmat-lb, hmat-cache)" },
    { "object", true, opt_object, CALL, "-object memory-backend-ram,id=id,size=size  a memory backend for -numa (-object help)" },
    { "global", true, opt_global, CALL, "-global driver.prop=value  default value of a device property (also driver=d,property=p,value=v)" },
    { "set", true, opt_set, CALL, "-set group.id.arg=value  set a parameter of the -device/-chardev/-object with that id" },
    { "add-fd", true, opt_add_fd, CALL, "-add-fd fd=fd,set=set[,opaque=text]  put inherited fd in fd set 'set' (/dev/fdset/set)" },
    { "k", true, opt_keyboard, CALL, "-k language        keyboard layout, e.g. 'fr' (-k help)" },
    { "fw_cfg", true, opt_fw_cfg, CALL, "-fw_cfg [name=]<name>,file=<file>  add named fw_cfg entry with contents from file\n-fw_cfg [name=]<name>,string=<str>  add named fw_cfg entry with contents from string" },
    { "boot", true, opt_boot, CALL, "-boot [order=]drives[,once=drives][,menu=on|off][,splash=file][,splash-time=ms][,reboot-timeout=ms][,strict=on|off]" },
    { "readconfig", true, opt_readconfig, CALL, "-readconfig file   read options from a config file" },
    { "writeconfig", true, NULL, STR(writeconfig), "-writeconfig file  write options to a config file ('-': stdout)" },
    { "d", true, opt_log_items, CALL, "-d item1,...       enable logging of specified items (use '-d help' for a list)" },
    { "D", true, opt_log_file, CALL, "-D logfile         output log to logfile (default stderr)" },
};

static bool store_option(Cli *cli, const CliOption *opt, const char *arg,
                         GError **errp)
{
    void *slot = (char *)cli + opt->field;
    switch (opt->store) {
    case STORE_STRING:
        replace(slot, arg);
        return true;
    case STORE_FLAG:
        *(bool *)slot = true;
        return true;
    case STORE_LIST:
        g_ptr_array_add(*(GPtrArray **)slot, g_strdup(arg));
        return true;
    case STORE_NONE:
        break;
    }
    return opt->handle(cli, arg, errp);
}

static const CliOption *find_option(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
        if (g_str_equal(options[i].name, name)) {
            return &options[i];
        }
    }
    return NULL;
}

bool cli_handle_option(Cli *cli, const char *name, const char *arg,
                       GError **errp)
{
    const CliOption *opt = find_option(name);
    if (!opt || opt->has_arg != (arg != NULL)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "-%s: invalid option",
                    name);
        return false;
    }
    return store_option(cli, opt, arg, errp);
}

/* -h groups the options under the headings of QEMU's manual. */
static const struct {
    const char *heading;
    const char *const *names;
} usage_sections[] = {
    { "Standard options", (const char *const[]){
        "h", "version", "machine", "cpu", "accel", "smp", "numa",
        "add-fd", "set", "global", "boot", "m", "mem-path", "mem-prealloc",
        "k", "name",
        "uuid",
        NULL } },
    { "Block device options", (const char *const[]){
        "blockdev", "drive", "hda", "hdc", "cdrom", "fda", "mtdblock",
        "sd", "snapshot", NULL } },
    { "Display options", (const char *const[]){
        "display", "nographic", NULL } },
    { "Audio options", (const char *const[]){ "audiodev", NULL } },
    { "Network options", (const char *const[]){ "netdev", "nic", "net", NULL } },
    { "Character device options", (const char *const[]){
        "chardev", "serial", "parallel", "monitor", "qmp", "qmp-pretty",
        "mon", NULL } },
    { "Boot image or kernel specific", (const char *const[]){
        "kernel", "append", "initrd", "dtb", NULL } },
    { "Debug/expert options", (const char *const[]){
        "pidfile", "S", "fw_cfg", "gdb", "s",
        "d", "D", "bios", "no-reboot", "no-shutdown", "daemonize",
        "readconfig", "writeconfig", NULL } },
    { "Generic object creation", (const char *const[]){ "object", NULL } },
    { "Device options", (const char *const[]){ "device", NULL } },
};

void cli_print_usage(const Cli *cli)
{
    printf("Tessera emulator version %s\n"
           "usage: %s [options] [disk_image]\n", TS_VERSION,
           cli->progname);
    GHashTable *shown = g_hash_table_new(NULL, NULL);
    for (size_t s = 0; s < G_N_ELEMENTS(usage_sections); s++) {
        printf("\n%s:\n", usage_sections[s].heading);
        for (const char *const *n = usage_sections[s].names; *n; n++) {
            const CliOption *o = find_option(*n);
            if (o && o->usage) {
                printf("%s\n", o->usage);
                g_hash_table_add(shown, (gpointer)o);
            }
        }
    }
    bool other = false;
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
        if (options[i].usage && !g_hash_table_contains(shown, &options[i])) {
            printf("%s%s\n", other ? "" : "\nTessera options:\n",
                   options[i].usage);
            other = true;
        }
    }
    g_hash_table_destroy(shown);
    printf("\nDuring emulation, the human monitor (-monitor, or Ctrl-a c "
           "with -nographic)\naccepts 'help'; QMP (-qmp) accepts "
           "query-commands.\n");
}

static char *target_from_progname(const char *argv0)
{
    g_autofree char *base = g_path_get_basename(argv0);
    const char *prefix = "tessera-system-";
    if (g_str_has_prefix(base, prefix) && base[strlen(prefix)]) {
        return g_strdup(base + strlen(prefix));
    }
    return NULL;
}

bool cli_parse(Cli *cli, int argc, char **argv, GError **errp)
{
    static char *progname;
    g_free(progname);
    progname = g_path_get_basename(argv[0]);
    cli->progname = progname;
    g_set_prgname(progname);    /* for warnings of the block layer */
    cli->target = target_from_progname(argv[0]);
    cli->devices = g_ptr_array_new_with_free_func(g_free);
    cli->accels = g_ptr_array_new_with_free_func(g_free);
    cli->chardevs = g_ptr_array_new_with_free_func(g_free);
    cli->serials = g_ptr_array_new_with_free_func(g_free);
    cli->monitors = g_ptr_array_new_with_free_func(cli_monitor_free);
    cli->help_requests = g_ptr_array_new_with_free_func(g_free);
    cli->numa = g_ptr_array_new_with_free_func(g_free);
    cli->objects = g_ptr_array_new_with_free_func(g_free);
    cli->globals = g_ptr_array_new_with_free_func(g_free);

    for (int i = 1; i < argc; i++) {
        const char *word = argv[i];
        if (word[0] != '-') {
            g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                        "%s: a disk image argument is not supported yet",
                        word);
            return false;
        }
        const char *name = word + 1 + (word[1] == '-');
        const CliOption *opt = find_option(name);
        bool unsupported_arg;
        if (!opt && cli_unsupported_option(name, &unsupported_arg)) {
            if (unsupported_arg && i + 1 < argc) {
                g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                            "%s %s: '%s' is not supported yet", word,
                            argv[i + 1], name);
            } else {
                g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                            "%s: '%s' is not supported yet", word, name);
            }
            return false;
        }
        if (!opt) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "%s: invalid option", word);
            return false;
        }
        const char *arg = NULL;
        if (opt->has_arg) {
            if (i + 1 >= argc) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "%s: requires an argument", word);
                return false;
            }
            arg = argv[++i];
        }
        if (!store_option(cli, opt, arg, errp)) {
            return false;
        }
    }
    return true;
}

void cli_free(Cli *cli)
{
    g_free(cli->target);
    g_free(cli->name);
    g_free(cli->uuid);
    g_free(cli->pidfile);
    g_free(cli->mem_path);
    g_free(cli->name_opts);
    g_free(cli->boot_opts);
    g_free(cli->keyboard_layout);
    g_free(cli->writeconfig);
    g_free(cli->machine_opts);
    g_free(cli->cpu);
    g_free(cli->memory_opts);
    g_free(cli->smp_opts);
    g_free(cli->kernel);
    g_free(cli->chroot_dir);
    g_free(cli->runas);
    g_free(cli->initrd);
    g_free(cli->append);
    g_free(cli->firmware);
    g_free(cli->dtb);
    g_clear_pointer(&cli->devices, g_ptr_array_unref);
    g_clear_pointer(&cli->accels, g_ptr_array_unref);
    g_clear_pointer(&cli->chardevs, g_ptr_array_unref);
    g_clear_pointer(&cli->serials, g_ptr_array_unref);
    g_clear_pointer(&cli->monitors, g_ptr_array_unref);
    g_clear_pointer(&cli->help_requests, g_ptr_array_unref);
    g_clear_pointer(&cli->numa, g_ptr_array_unref);
    g_clear_pointer(&cli->objects, g_ptr_array_unref);
    g_clear_pointer(&cli->globals, g_ptr_array_unref);
}
