/*
 * test-rv-programs.c - runs the assembly test programs (tests/NAME.S, built
 * with riscv64-linux-gnu-gcc) on the interpreter.  Each program checks its
 * own results against values derived from the ISA manual and reports
 * through the test finisher: 0x5555 passes, otherwise the failing check's
 * number is in the upper 16 bits.
 *
 * Each program also runs under the JIT (/riscv/program-jit/NAME), which
 * must pass too and end in the same architectural state as the
 * interpreter: the differential check of the JIT against its reference.
 */
#include "rv-harness.h"
#include <stdio.h>

#define MAX_INSNS 20000000ull

/* Run `name` on a fresh machine; the caller frees the harness. */
static RvHarness *run_one(const char *name, bool jit)
{
    g_autofree char *path = g_strdup_printf("%s/%s.bin", RV_TEST_BIN_DIR, name);
    RvHarness *h = jit ? rv_harness_new_jit(0) : rv_harness_new(0);
    GError *err = NULL;

    rv_harness_load_file(h, path, &err);
    g_assert_no_error(err);
    uint32_t code = rv_harness_run(h, MAX_INSNS);
    if (code != RV_PASS) {
        g_autofree char *report = rv_harness_report(h);
        g_test_message("%s failed: %s", name, report);
        if (code == 0) {
            g_test_message("program did not finish");
        } else {
            g_test_message("failing check number %u", code >> 16);
        }
    }
    g_assert_cmphex(code, ==, RV_PASS);
    return h;
}

static void run_program(gconstpointer data)
{
    rv_harness_free(run_one(data, false));
}

/* State that must match between interpreter and JIT.  Counters and time
 * are left out: the JIT checks for interrupts at block boundaries, so a
 * program that reads the clock may see other values. */
static const char *const compared[] = {
    "pc", "mstatus", "mepc", "mcause", "mtval", "sepc", "scause", "stval",
    "satp", "mscratch", "sscratch", "medeleg", "mideleg", "mie", "fcsr", NULL,
};

static void run_program_jit(gconstpointer data)
{
    RvHarness *ref = run_one(data, false);
    RvHarness *jit = run_one(data, true);

    for (unsigned r = 0; r < 32; r++) {
        g_assert_cmphex(rv_cpu_get_xreg(jit->cpu, r), ==, rv_cpu_get_xreg(ref->cpu, r));
        g_assert_cmphex(rv_cpu_get_freg(jit->cpu, r), ==, rv_cpu_get_freg(ref->cpu, r));
    }
    for (unsigned i = 0; compared[i]; i++) {
        uint64_t a = 0, b = 0;
        g_assert_true(rv_cpu_read_register(ref->cpu, compared[i], &a));
        g_assert_true(rv_cpu_read_register(jit->cpu, compared[i], &b));
        if (a != b) {
            g_test_message("%s: interpreter 0x%" PRIx64 ", JIT 0x%" PRIx64,
                           compared[i], a, b);
        }
        g_assert_cmphex(b, ==, a);
    }
    g_assert_cmpmem(jit->ram, RV_RAM_SIZE, ref->ram, RV_RAM_SIZE);
    RvJitStats st;
    rv_cpu_jit_stats(jit->cpu, &st);
    g_test_message("JIT: %" PRIu64 " blocks, %" PRIu64 " invalidated, %" PRIu64
                   " flushes, %" PRIu64 " instructions compiled, %" PRIu64
                   " jumps chained",
                   st.blocks_translated, st.blocks_invalidated, st.flushes,
                   st.insns_jitted, st.jumps_chained);
    g_assert_cmpuint(st.insns_jitted, >, 0);
    rv_harness_free(ref);
    rv_harness_free(jit);
}

int main(int argc, char **argv)
{
    if (!RV_HAVE_CROSS) {
        printf("1..0 # SKIP riscv64-linux-gnu-gcc not installed\n");
        return 0;
    }
    g_test_init(&argc, &argv, NULL);
    g_auto(GStrv) names = g_strsplit(RV_TEST_NAMES, ",", -1);
    for (unsigned i = 0; names[i]; i++) {
        g_autofree char *tp = g_strdup_printf("/riscv/program/%s", names[i]);
        g_test_add_data_func_full(tp, g_strdup(names[i]), run_program, g_free);
        g_autofree char *tj = g_strdup_printf("/riscv/program-jit/%s", names[i]);
        g_test_add_data_func_full(tj, g_strdup(names[i]), run_program_jit,
                                  g_free);
    }
    return g_test_run();
}
