/*
 * rv-harness.h - a bare machine for hart tests: RAM at 0x80000000 and a
 * small test device (finisher, interrupt lines, debug log, console).
 *
 * Test device registers (32-bit stores, at RV_TESTDEV):
 *   +0x00 finisher: 0x5555 = pass, (code << 16) | 0x3333 = fail with code
 *   +0x08 console: low byte appended to the console log
 *   +0x10 interrupt lines: bit n set/clears rv_cpu_set_irq(n) for
 *         n in {MSI, MTI, SEI, MEI}
 *   +0x18 debug: the value is appended to the debug log (64-bit ok)
 */
#ifndef RV_HARNESS_H
#define RV_HARNESS_H

#include "rv-cpu.h"

#define RV_RAM_BASE 0x80000000ull
#define RV_RAM_SIZE (8ull << 20)
#define RV_TESTDEV 0x100000ull
#define RV_PASS 0x5555u

typedef struct RvHarness {
    uint8_t *ram;
    RvCpu *cpu;
    bool finished;
    uint32_t finish_code;
    uint64_t time;              /* advances by one per read */
    GString *console;
    GArray *debug;              /* of uint64_t */
    uint32_t irq_lines;
} RvHarness;

/* A machine with the given extensions (0 = default) and the hart reset at
 * RV_RAM_BASE. */
RvHarness *rv_harness_new(uint32_t ext);
/* The same with the JIT on (fails the test if it cannot be enabled). */
RvHarness *rv_harness_new_jit(uint32_t ext);
void rv_harness_free(RvHarness *h);
bool rv_harness_load_file(RvHarness *h, const char *path, GError **errp);
void rv_harness_load(RvHarness *h, uint64_t addr, const void *data, size_t len);
/* Run until the finisher is written or `max_insns` are spent; returns the
 * finisher value or 0 if it never finished. */
uint32_t rv_harness_run(RvHarness *h, uint64_t max_insns);
/* Debug log and console as text, for failure messages; g_free. */
char *rv_harness_report(RvHarness *h);

#endif
