/*
 * core/machine/machine-lifecycle.h - machine life cycle, for the command line code.
 */
#ifndef TESSERA_CORE_MACHINE_LIFECYCLE_H
#define TESSERA_CORE_MACHINE_LIFECYCLE_H

#include <tessera/machine.h>

/* The configuration the command line fills in before the machine exists. */
TsMachineConfig *machine_config_mutable(void);

/* Instantiate a machine type as /machine (properties not yet applied). */
TsMachine *machine_create(const char *type_name, GError **errp);
/* Build the board: the machine class's init. */
bool machine_init(TsMachine *machine, GError **errp);

/* What to do when the guest or a monitor asks for poweroff/reset; runs in
 * the main loop.  Without a handler, any request ends the main loop. */
typedef void (*MachineShutdownHandler)(TsShutdownCause cause, int exit_code);
void machine_set_shutdown_handler(MachineShutdownHandler handler);

/* Hooks of the machine class around device creation (each a no-op when
 * the board does not set it). */
bool machine_pre_plug(TsDevice *dev, GError **errp);
bool machine_done(GError **errp);
/* machine_done() was called: new devices are hot-plugged. */
bool machine_creation_done(void);
void machine_reset(void);

/* The machine being run, or NULL before it is created. */
TsMachine *ts_machine_current(void);

#endif
