/*
 * core/cli.h - the parsed command line, shared by the parser (cli.c) and
 * the code that builds and runs the VM from it (cli-run.c).
 */
#ifndef TESSERA_CORE_CLI_H
#define TESSERA_CORE_CLI_H

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
    char *kernel, *initrd, *append, *firmware, *dtb;
    char *name, *uuid, *pidfile;
    bool no_reboot, no_shutdown;
    bool start_stopped;         /* -S */
    bool nographic;
    bool show_version;
    bool show_help;
} Cli;

/* Parse argv into cli.  false + errp (message already prefixed with the
 * option, "-device nosuch: ...") on a malformed command line. */
bool cli_parse(Cli *cli, int argc, char **argv, GError **errp);
void cli_free(Cli *cli);

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

/* runstate.c: shutdown/reset policy, monitor hooks and the pidfile. */
void runstate_setup(const Cli *cli);
bool runstate_write_pidfile(const char *path, GError **errp);
void runstate_cleanup(void);

/* Build the VM and run the main loop; returns the process exit status. */
int cli_run(Cli *cli, GError **errp);

#endif
