/*
 * core/cli/cli.h - the parsed command line, shared by the parser (cli.c) and
 * the code that builds and runs the VM from it (cli-run.c).
 */
#ifndef TESSERA_CORE_CLI_H
#define TESSERA_CORE_CLI_H

#include "monitor/monitor-hooks.h"
#include "machine/actions.h"
#include "util/sandbox.h"

#include <glib.h>
#include <stdbool.h>

/* One monitor option; kept in order because legacy specs number their
 * chardevs (compat_monitor0, 1, ...) as they come. */
typedef enum CliMonitorKind {
    CLI_MONITOR_HMP,            /* -monitor SPEC */
    CLI_MONITOR_QMP,            /* -qmp SPEC */
    CLI_MONITOR_QMP_PRETTY,     /* -qmp-pretty SPEC */
    CLI_MONITOR_OPTS,           /* -mon [chardev=]ID[,mode=..][,pretty=..] */
} CliMonitorKind;

typedef struct CliMonitor {
    CliMonitorKind kind;
    char *arg;
} CliMonitor;

typedef struct Cli {
    const char *progname;       /* for error messages, like QEMU's */
    char *target;               /* from argv[0] or -target; may be NULL */
    char *machine_opts;         /* last -machine/-M argument */
    char *cpu;                  /* -cpu */
    char *memory_opts;          /* -m */
    char *smp_opts;             /* -smp */
    GPtrArray *devices;         /* -device arguments */
    GPtrArray *accels;          /* -accel arguments */
    GPtrArray *chardevs;        /* -chardev arguments */
    GPtrArray *serials;         /* -serial arguments */
    GPtrArray *monitors;        /* CliMonitor: -monitor, -qmp, -qmp-pretty
                                 * and -mon, in command-line order */
    GPtrArray *help_requests;   /* "option\0argument" pairs to answer */
    GPtrArray *numa;            /* -numa arguments, in order */
    GPtrArray *objects;         /* -object arguments */
    GPtrArray *globals;         /* -global arguments (in effect as soon as
                                 * parsed; kept for -writeconfig) */
    char *boot_opts;            /* -boot, already checked */
    char *keyboard_layout;      /* -k, one of the manual's layouts */
    char *writeconfig;          /* -writeconfig FILE, "-" for stdout */
    char *kernel, *initrd, *append, *firmware, *dtb;
    char *name, *uuid, *pidfile;
    char *chroot_dir, *runas;   /* -chroot, -runas (checked) */
    char *name_opts;            /* -name as given (for -writeconfig) */
    bool no_reboot, no_shutdown;
    VmActions actions;          /* -action, -watchdog-action */
    SandboxOpts sandbox;        /* -sandbox */
    bool daemonize;
    bool start_stopped;         /* -S */
    bool mem_prealloc;
    char *mem_path;             /* -mem-path */
    bool nographic;
    bool nodefaults;            /* no default serial port or monitor */
    bool no_user_config;        /* accepted: Tessera reads no user config
                                 * files, so there is nothing to skip */
    bool usb;                   /* -usb: the machine's usb=on */
    bool show_version;
    bool show_help;
} Cli;

/* -runas: whether the user (or UID:GID) exists; QEMU's message if not. */
bool cli_check_runas(const char *arg, GError **errp);
/* -chroot and -runas, once the VM is built (core/cli/privileges.c). */
bool cli_drop_privileges(Cli *cli, GError **errp);

/* Parse argv into cli.  false + errp (message already prefixed with the
 * option, "-device nosuch: ...") on a malformed command line. */
bool cli_parse(Cli *cli, int argc, char **argv, GError **errp);
void cli_free(Cli *cli);

/* Act on one option as if it appeared on the command line (name without
 * dash, arg NULL for options without one): -readconfig feeds its
 * sections through here.  false + errp, prefixed with the option. */
bool cli_handle_option(Cli *cli, const char *name, const char *arg,
                       GError **errp);

/* cli-set.c: -set group.id.arg=value on an earlier -device, -chardev or
 * -object with that id. */
bool cli_set_option(Cli *cli, const char *arg, GError **errp);

/* config-file.c: -readconfig FILE (each section becomes the option it
 * describes, in file order) and -writeconfig (the options that have a
 * section, written back in that format). */
bool config_file_read(Cli *cli, const char *path, GError **errp);
bool config_file_write(const Cli *cli, const char *path, GError **errp);

/* daemonize.c: -daemonize.  daemonize_start() forks (before any thread
 * exists): the parent waits and exits 0 once the child calls
 * daemonize_ready(), or 1 if the child exits first; it never returns.
 * The child returns true and carries on in a new session. */
bool daemonize_check(const Cli *cli, GError **errp);
bool daemonize_start(GError **errp);
void daemonize_ready(void);

/* Print the usage text of -h. */
void cli_print_usage(const Cli *cli);

/* Answer the help requests; returns true if there were any. */
bool cli_answer_help(Cli *cli, GError **errp);

/* cli-unsupported.c: true if `name` is a QEMU option Tessera does not
 * implement yet; *has_arg tells whether it takes an argument. */
bool cli_unsupported_option(const char *name, bool *has_arg);

/* cli-chardev.c: create -chardev backends and the -serial/-nographic
 * connections, before the machine is built. */
bool cli_setup_chardevs(Cli *cli, GError **errp);

/* cli-monitor.c: whether QEMU's default monitor applies (no -monitor,
 * -qmp, -qmp-pretty or -mon was given). */
bool cli_default_monitor(const Cli *cli);

/* cli-monitor.c: open the monitors of -monitor/-qmp/-qmp-pretty/-mon and
 * -nographic's, register the QMP commands and set the monitor hooks.
 * After cli_setup_chardevs(), before the machine is built (a monitor on a
 * mux must attach before the board's UART, which then has the input). */
bool cli_open_monitors(Cli *cli, GError **errp);

/* cli-monitor.c: detach every monitor and forget the QMP state and
 * hooks; before chardev_free_all() at exit. */
void cli_close_monitors(void);

/* cli-machine-config.c: -object backends (before the machine), then
 * -boot, -numa and -machine hmat=on into the machine's config (once -m
 * and -smp are in it); cleanup at exit. */
typedef struct TsOpts TsOpts;
typedef struct TsMachineClass TsMachineClass;
typedef struct TsMachineConfig TsMachineConfig;
bool cli_create_objects(Cli *cli, GError **errp);
bool cli_apply_machine_config(Cli *cli, const TsMachineClass *mc,
                              const TsOpts *mopts, TsMachineConfig *cfg,
                              GError **errp);
void cli_machine_config_cleanup(void);
/* `info numa` (MonitorHooks.foreach_numa_node, monitor-hooks.h). */
void cli_numa_foreach_node(MonitorNumaFn fn, void *opaque);

/* Build the VM and run the main loop; returns the process exit status. */
int cli_run(Cli *cli, GError **errp);

#endif
