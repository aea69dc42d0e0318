/*
 * plugin-log.h - what the hart plugin writes to the -d log: traps
 * (-d int), accesses the bus refused (-d guest_errors), the code it runs
 * (-d in_asm) and the JIT's work (-d op, op_opt, out_asm).
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

/* The JIT's logs for one hart (plugin-log-jit.c): make it at realize
 * when -d op, op_opt or out_asm is on, use it on the hart's thread only. */
typedef struct RiscvJitLog RiscvJitLog;
RiscvJitLog *riscv_jit_log_new(uint64_t hartid);
void riscv_jit_log_free(RiscvJitLog *log);       /* NULL is fine */

/* -d op (optimised false) or op_opt: a header line
 * "hart N: IR for pc 0x...:" or "hart N: IR after optimisation for pc
 * 0x...:", the translator's text, a blank line. */
void riscv_log_jit_ir(RiscvJitLog *log, uint64_t pc, bool optimised,
                      const char *text);

/* -d out_asm: "hart N: host code for pc 0x... at 0x..., S bytes:", then
 * one line per host instruction (address, bytes, instruction) or, built
 * without capstone, the bytes in hex; a blank line. */
void riscv_log_out_asm(RiscvJitLog *log, uint64_t pc, const uint8_t *code,
                       size_t size);

#endif
