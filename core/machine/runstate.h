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
    const char *progname;       /* prefix of messages */
    const char *vm_name;        /* -name guest=, or NULL */
    bool no_reboot;             /* -no-reboot: a guest reset exits */
    bool no_shutdown;           /* -no-shutdown: a poweroff stops the VM */
} RunstatePolicy;

/* Install the shutdown/reset policy, the monitors' VM hooks and the
 * handlers of SIGTERM/SIGINT/SIGHUP.  The strings are copied. */
void runstate_setup(const RunstatePolicy *policy);
bool runstate_write_pidfile(const char *path, GError **errp);
/* Remove the pid file, restore the signals. */
void runstate_cleanup(void);

#endif
