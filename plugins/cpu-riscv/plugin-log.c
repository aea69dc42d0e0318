/*
 * plugin-log.c - the hart's -d int, guest_errors, unimp, cpu_reset and
 * in_asm lines.
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

/* The SYSTEM opcode with a CSR funct3: an instruction naming a CSR. */
static bool is_csr_insn(uint64_t bits)
{
    return (bits & 0x7f) == 0x73 && ((bits >> 12) & 7) != 0 &&
           ((bits >> 12) & 7) != 4;
}

void riscv_log_unimp(uint64_t hartid, const RvTrap *t)
{
    if (!ts_log_enabled(TS_LOG_UNIMP) || (t->cause >> 63) || t->cause != 2 ||
        !is_csr_insn(t->tval)) {
        return;
    }
    /* An illegal CSR access is how software probes for optional CSRs
     * (OpenSBI does it for mstateen, Linux for Zicbom...): worth a line
     * when the user asked what the emulator lacks. */
    ts_log(TS_LOG_UNIMP, "hart %" PRIu64 ": CSR 0x%03" PRIx64 " accessed at "
           "pc 0x%" PRIx64 " is not implemented (or not in this mode)\n",
           hartid, (t->tval >> 20) & 0xfff, t->epc);
}

void riscv_log_reset(uint64_t hartid, RvCpu *hart)
{
    if (!ts_log_enabled(TS_LOG_CPU_RESET)) {
        return;
    }
    g_autoptr(GString) dump = g_string_new(NULL);
    rv_cpu_dump_state(hart, dump);
    ts_log(TS_LOG_CPU_RESET, "CPU Reset (hart %" PRIu64 ")\n%s", hartid,
           dump->str);
}

void riscv_log_in_asm(uint64_t hartid, uint64_t pc, const RvInsn *insn)
{
    char text[96];
    rv_disassemble(insn, pc, text, sizeof(text));
    ts_log(TS_LOG_IN_ASM, "hart %" PRIu64 ": 0x%016" PRIx64 ":  %s\n",
           hartid, pc, text);
}
