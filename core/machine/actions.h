/*
 * core/machine/actions.h - what the VM does on a guest reboot, shutdown,
 * panic or watchdog expiry: -action, -watchdog-action and QMP
 * set-action / watchdog-set-action, with QEMU's names and defaults.
 *
 * reboot and shutdown are the runstate's (-no-reboot is reboot=shutdown,
 * -no-shutdown is shutdown=pause).  No board here has a panic device or
 * a watchdog yet: their actions are kept, checked and reported for the
 * devices that will read them, as QEMU keeps them on such boards.
 */
#ifndef TESSERA_CORE_ACTIONS_H
#define TESSERA_CORE_ACTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct VmActions {
    bool reboot_shutdown;       /* reboot=shutdown (else reset) */
    bool shutdown_pause;        /* shutdown=pause (else poweroff) */
    const char *panic;          /* pause, shutdown, exit-failure, none */
    const char *watchdog;       /* reset, shutdown, poweroff, pause,
                                 * debug, none, inject-nmi */
} VmActions;

/* -action KEY=VALUE[,...]: update `a`; false + QEMU's errors. */
bool vm_actions_parse(VmActions *a, const char *arg, GError **errp);
/* -watchdog-action VALUE. */
bool vm_actions_set_watchdog(VmActions *a, const char *value, GError **errp);
/* `-action help`. */
void vm_actions_print_help(FILE *out);
/* The actions in effect; the runstate reads reboot/shutdown here. */
const VmActions *vm_actions(void);
void vm_actions_install(const VmActions *a);

#endif
