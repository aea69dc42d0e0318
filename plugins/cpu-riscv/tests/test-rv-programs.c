/*
 * test-rv-programs.c - runs the assembly test programs (tests/NAME.S, built
 * with riscv64-linux-gnu-gcc) on the interpreter.  Each program checks its
 * own results against values derived from the ISA manual and reports
 * through the test finisher: 0x5555 passes, otherwise the failing check's
 * number is in the upper 16 bits.
 */
#include "rv-harness.h"
#include <stdio.h>

#define MAX_INSNS 20000000ull

static void run_program(gconstpointer data)
{
    const char *name = data;
    g_autofree char *path = g_strdup_printf("%s/%s.bin", RV_TEST_BIN_DIR, name);
    RvHarness *h = rv_harness_new(0);
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
    rv_harness_free(h);
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
        g_test_add_data_func(tp, g_strdup(names[i]), run_program);
    }
    return g_test_run();
}
