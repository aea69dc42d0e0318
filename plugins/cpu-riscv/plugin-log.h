/*
 * plugin-log.h - what the hart plugin writes to the -d log: traps
 * (-d int) and accesses the bus refused (-d guest_errors).
 */
#ifndef RISCV_PLUGIN_LOG_H
#define RISCV_PLUGIN_LOG_H

#include <tessera/tessera.h>
#include "rv-cpu.h"
#include "rv-insn.h"

/* One -d int line for a trap hart `hartid` took. */
void riscv_log_trap(uint64_t hartid, const RvTrap *trap);

/* One -d guest_errors line for a load or store at physical `paddr` that
 * the address space answered with `result` (not TS_MEM_OK). */
void riscv_log_bus_error(uint64_t hartid, bool write, uint64_t paddr,
                         unsigned size, TsMemResult result);

/* -d unimp: a trap that shows the guest used a CSR we do not have. */
void riscv_log_unimp(uint64_t hartid, const RvTrap *trap);

/* -d cpu_reset: the hart's state right after a reset. */
void riscv_log_reset(uint64_t hartid, RvCpu *hart);

/* -d in_asm: an instruction as it is decoded (the interpreter's decode
 * cache fills, so each is shown once until its slot is reused). */
void riscv_log_in_asm(uint64_t hartid, uint64_t pc, const RvInsn *insn);

#endif
