/*
 * plugin-log.h - what the hart plugin writes to the -d log: traps
 * (-d int) and accesses the bus refused (-d guest_errors).
 */
#ifndef RISCV_PLUGIN_LOG_H
#define RISCV_PLUGIN_LOG_H

#include <tessera/tessera.h>
#include "rv-cpu.h"

/* One -d int line for a trap hart `hartid` took. */
void riscv_log_trap(uint64_t hartid, const RvTrap *trap);

/* One -d guest_errors line for a load or store at physical `paddr` that
 * the address space answered with `result` (not TS_MEM_OK). */
void riscv_log_bus_error(uint64_t hartid, bool write, uint64_t paddr,
                         unsigned size, TsMemResult result);

#endif
