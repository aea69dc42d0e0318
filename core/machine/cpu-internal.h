/*
 * core/machine/cpu-internal.h - the accelerator's CPU runner, for the core.
 */
#ifndef TESSERA_CORE_CPU_INTERNAL_H
#define TESSERA_CORE_CPU_INTERNAL_H

#include <tessera/cpu.h>

/* Once the machine and devices exist: start the accelerator's threads. */
bool cpu_start_all(GError **errp);
/* After the main loop ended: stop and join them. */
void cpu_stop_all(void);
/* With the VM stopped: return once no CPU is inside exec(), so CPU state
 * may be changed from this thread (system reset).  Drops the big lock
 * while it waits, if the caller holds it. */
void cpu_wait_idle(void);

#endif
