/*
 * plugin-gdb.h - the hart as GDB sees it: register numbers and the target
 * description (plugin-gdb.c), for the TsCpuClass debugger hooks.
 */
#ifndef RISCV_PLUGIN_GDB_H
#define RISCV_PLUGIN_GDB_H

#include <tessera/tessera.h>
#include "rv-cpu.h"

/* GDB's RISC-V numbering: x0-x31 are 0-31, pc 32, f0-f31 33-64, and
 * CSR number c is 65 + c (fflags 66, frm 67, fcsr 68, mstatus 833...).
 * Returns the bytes written/taken, 0 for a register the hart lacks. */
size_t riscv_gdb_read_register(RvCpu *hart, unsigned n, uint8_t *buf,
                               size_t size);
size_t riscv_gdb_write_register(RvCpu *hart, unsigned n, const uint8_t *buf,
                                size_t len);

/* "target.xml" and the feature documents it includes, or NULL. */
const char *riscv_gdb_xml(const char *annex);

#endif
