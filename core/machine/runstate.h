/*
 * core/machine/runstate.h - what happens when the guest or a monitor asks
 * to power off or reset, and the -pidfile.
 */
#ifndef TESSERA_CORE_RUNSTATE_H
#define TESSERA_CORE_RUNSTATE_H

#include <glib.h>
#include <stdbool.h>

/* The command line's say in it. */
typedef struct RunstatePolicy {
    const char *vm_name;        /* -name guest=, or NULL */
    bool no_reboot;             /* -no-reboot: a guest reset exits */
    bool no_shutdown;           /* -no-shutdown: a poweroff stops the VM */
} RunstatePolicy;

/* Take SIGTERM/SIGINT/SIGHUP from the start: until
 * runstate_loop_takes_signals, one ends the process at once (files of
 * util/signal-cleanup.h removed, "<progname>: terminating on signal N",
 * killed by that signal as QEMU is during start-up).  progname is
 * copied. */
void runstate_catch_signals(const char *progname);
/* From now on the main loop runs: a signal is an orderly shutdown. */
void runstate_loop_takes_signals(void);
/* Install the shutdown/reset policy, the monitors' VM hooks, and the
 * main loop's watch of the signals.  The strings are copied. */
void runstate_setup(const RunstatePolicy *policy);
bool runstate_write_pidfile(const char *path, GError **errp);
/* Remove the pid file, restore the signals. */
void runstate_cleanup(void);

/* A debugger (core/gdbstub) stops the VM: if it runs, it stops in the
 * "debug" run state query-status reports; either way this returns once
 * no CPU is inside exec(), so CPU state holds still.  Main loop, with
 * the big lock. */
void runstate_debug_stop(void);
/* Only the wait: the VM is already stopped (a CPU thread stopped it). */
void runstate_wait_cpus_idle(void);

#endif
