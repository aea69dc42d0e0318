/*
 * plugin-log-jit.c - the JIT's -d logs: op and op_opt (the translator's
 * IR, as text it makes) and out_asm (the host code of each new block,
 * disassembled with capstone when the build found it, else in hex).
 *
 * Each block is one ts_log call, so blocks from harts translating at the
 * same time do not interleave line by line.  A capstone handle is not
 * safe to share between threads, hence one per hart: it is opened at
 * realize and used only on that hart's thread afterwards.
 */
#include "plugin-log.h"

#ifdef TS_HAVE_CAPSTONE
#include <capstone.h>
#endif

struct RiscvJitLog {
    uint64_t hartid;
    bool said_hex;          /* the "why hex" line was written once */
#ifdef TS_HAVE_CAPSTONE
    bool have_cs;           /* cs_open worked */
    csh cs;
#endif
};

RiscvJitLog *riscv_jit_log_new(uint64_t hartid)
{
    RiscvJitLog *log = g_new0(RiscvJitLog, 1);
    log->hartid = hartid;
#ifdef TS_HAVE_CAPSTONE
    if (ts_log_enabled(TS_LOG_OUT_ASM)) {
        cs_err err = cs_open(CS_ARCH_X86, CS_MODE_64, &log->cs);
        if (err == CS_ERR_OK) {
            log->have_cs = true;
            /* bytes that are not an instruction show as ".byte" and the
             * listing goes on after them */
            cs_option(log->cs, CS_OPT_SKIPDATA, CS_OPT_ON);
        } else {
            ts_log(TS_LOG_OUT_ASM, "hart %" PRIu64 ": capstone cannot "
                   "disassemble x86-64 (%s): host code is shown in hex\n",
                   hartid, cs_strerror(err));
            log->said_hex = true;
        }
    }
#endif
    return log;
}

void riscv_jit_log_free(RiscvJitLog *log)
{
    if (!log) {
        return;
    }
#ifdef TS_HAVE_CAPSTONE
    if (log->have_cs) {
        cs_close(&log->cs);
    }
#endif
    g_free(log);
}

void riscv_log_jit_ir(RiscvJitLog *log, uint64_t pc, bool optimised,
                      const char *text)
{
    unsigned mask = optimised ? TS_LOG_OP_OPT : TS_LOG_OP;
    if (!ts_log_enabled(mask) || !text) {
        return;
    }
    size_t len = strlen(text);
    bool newline = len > 0 && text[len - 1] == '\n';
    ts_log(mask, "hart %" PRIu64 ": IR %sfor pc 0x%016" PRIx64 ":\n%s%s\n",
           log->hartid, optimised ? "after optimisation " : "", pc, text,
           newline || len == 0 ? "" : "\n");
}

/* `size` bytes at `code` (shown at address `addr`), 16 a line. */
static void append_hex(GString *out, const uint8_t *code, size_t size,
                       uint64_t addr)
{
    for (size_t i = 0; i < size; i += 16) {
        g_string_append_printf(out, "  0x%016" PRIx64 ": ", addr + i);
        for (size_t k = i; k < size && k < i + 16; k++) {
            g_string_append_printf(out, " %02x", code[k]);
        }
        g_string_append_c(out, '\n');
    }
}

#ifdef TS_HAVE_CAPSTONE
/* One line per instruction: address, bytes, mnemonic and operands.
 * False if capstone could not start (nothing was appended then). */
static bool append_disasm(RiscvJitLog *log, GString *out,
                          const uint8_t *code, size_t size)
{
    cs_insn *insn = cs_malloc(log->cs);
    if (!insn) {
        return false;
    }
    const uint8_t *p = code;
    size_t left = size;
    uint64_t addr = (uintptr_t)code;
    while (left > 0) {
        if (!cs_disasm_iter(log->cs, &p, &left, &addr, insn)) {
            /* capstone gave up (out of memory, a cut instruction at the
             * end): the rest as it is rather than nothing */
            append_hex(out, p, left, addr);
            break;
        }
        GString *bytes = g_string_sized_new(48);
        for (unsigned i = 0; i < insn->size; i++) {
            g_string_append_printf(bytes, "%s%02x", i ? " " : "",
                                   insn->bytes[i]);
        }
        g_string_append_printf(out, "  0x%016" PRIx64 ":  %-30s  %s%s%s\n",
                               insn->address, bytes->str, insn->mnemonic,
                               insn->op_str[0] ? " " : "", insn->op_str);
        g_string_free(bytes, TRUE);
    }
    cs_free(insn, 1);
    return true;
}
#endif

void riscv_log_out_asm(RiscvJitLog *log, uint64_t pc, const uint8_t *code,
                       size_t size)
{
    if (!ts_log_enabled(TS_LOG_OUT_ASM)) {
        return;
    }
    g_autoptr(GString) out = g_string_new(NULL);
    g_string_append_printf(out, "hart %" PRIu64 ": host code for pc 0x%016"
                           PRIx64 " at 0x%016" PRIxPTR ", %zu bytes:\n",
                           log->hartid, pc, (uintptr_t)code, size);
    bool done = false;
#ifdef TS_HAVE_CAPSTONE
    done = log->have_cs && append_disasm(log, out, code, size);
    if (!done && !log->said_hex) {
        g_string_append(out, "  (capstone could not start: host code in hex)\n");
        log->said_hex = true;
    }
#else
    if (!log->said_hex) {
        g_string_append(out, "  (capstone was not available at build time: "
                        "host code in hex)\n");
        log->said_hex = true;
    }
#endif
    if (!done) {
        append_hex(out, code, size, (uintptr_t)code);
    }
    ts_log(TS_LOG_OUT_ASM, "%s\n", out->str);
}
