/*
 * plugin-log.c - the hart's -d int and -d guest_errors lines.
 *
 * Both are cheap to leave hooked up: nothing is formatted unless the log
 * class is on.  A guest that traps or pokes holes in a loop fills the log
 * as fast as it runs; that is what the user asked for with -d.
 */
#include "plugin-log.h"

static const char *const exception_names[] = {
    [0] = "instruction address misaligned",
    [1] = "instruction access fault",
    [2] = "illegal instruction",
    [3] = "breakpoint",
    [4] = "load address misaligned",
    [5] = "load access fault",
    [6] = "store/AMO address misaligned",
    [7] = "store/AMO access fault",
    [8] = "ecall from U-mode",
    [9] = "ecall from S-mode",
    [11] = "ecall from M-mode",
    [12] = "instruction page fault",
    [13] = "load page fault",
    [15] = "store/AMO page fault",
};

static const char *const interrupt_names[] = {
    [1] = "supervisor software",
    [3] = "machine software",
    [5] = "supervisor timer",
    [7] = "machine timer",
    [9] = "supervisor external",
    [11] = "machine external",
};

static char mode_letter(unsigned priv)
{
    return priv == 3 ? 'M' : priv == 1 ? 'S' : priv == 0 ? 'U' : '?';
}

void riscv_log_trap(uint64_t hartid, const RvTrap *t)
{
    if (!ts_log_enabled(TS_LOG_INT)) {
        return;
    }
    bool irq = t->cause >> 63;
    uint64_t code = t->cause & ~(1ull << 63);
    const char *name = NULL;
    if (irq && code < G_N_ELEMENTS(interrupt_names)) {
        name = interrupt_names[code];
    } else if (!irq && code < G_N_ELEMENTS(exception_names)) {
        name = exception_names[code];
    }
    ts_log(TS_LOG_INT,
           "hart %" PRIu64 ": %s %" PRIu64 " (%s) at pc 0x%" PRIx64
           ", tval 0x%" PRIx64 ", %c-mode -> %c-mode handler 0x%" PRIx64 "\n",
           hartid, irq ? "interrupt" : "exception", code,
           name ? name : "reserved", t->epc, t->tval,
           mode_letter(t->from_priv), mode_letter(t->to_priv), t->handler);
}

void riscv_log_bus_error(uint64_t hartid, bool write, uint64_t paddr,
                         unsigned size, TsMemResult result)
{
    if (!ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        return;
    }
    const char *why =
        result == TS_MEM_UNASSIGNED ? "nothing is mapped there" :
        result == TS_MEM_READONLY ? "the memory is read-only" :
        "the device refuses that size or alignment";
    ts_log(TS_LOG_GUEST_ERROR,
           "hart %" PRIu64 ": %u-byte %s at physical 0x%" PRIx64
           " failed (%s): access fault\n",
           hartid, size, write ? "write" : "read", paddr, why);
}
