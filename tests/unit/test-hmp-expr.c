/*
 * test-hmp-expr.c - the human monitor's integer expressions: numbers,
 * precedence, registers and every error path.
 */
#include "monitor/hmp.h"

#include <string.h>

/* Registers of a pretend CPU: pc and a0. */
static bool fake_registers(const char *name, uint64_t *value, GError **errp,
                           void *opaque)
{
    int *reads = opaque;
    (*reads)++;
    if (g_str_equal(name, "pc")) {
        *value = 0x80000000;
        return true;
    }
    if (g_str_equal(name, "a0")) {
        *value = 42;
        return true;
    }
    return false;
}

static uint64_t eval_ok(const char *text)
{
    int reads = 0;
    uint64_t v = 0xdeadbeef;
    GError *err = NULL;
    bool ok = hmp_expr_parse(text, NULL, fake_registers, &reads, &v, &err);
    if (!ok) {
        g_test_message("'%s': %s", text, err->message);
    }
    g_assert_no_error(err);
    g_assert_true(ok);
    return v;
}

/* The error message for text (g_free). */
static char *eval_error(const char *text)
{
    int reads = 0;
    uint64_t v = 0x1234;
    GError *err = NULL;
    g_assert_false(hmp_expr_parse(text, NULL, fake_registers, &reads, &v,
                                  &err));
    g_assert_nonnull(err);
    g_assert_cmphex(v, ==, 0x1234);       /* untouched on failure */
    char *msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

static void assert_error(const char *text, const char *expected)
{
    g_autofree char *msg = eval_error(text);
    if (!strstr(msg, expected)) {
        g_test_message("'%s' gave '%s', expected '%s'", text, msg, expected);
    }
    g_assert_nonnull(strstr(msg, expected));
}

static void test_numbers(void)
{
    g_assert_cmpuint(eval_ok("0"), ==, 0);
    g_assert_cmpuint(eval_ok("1234"), ==, 1234);
    g_assert_cmphex(eval_ok("0x1F"), ==, 0x1f);
    g_assert_cmphex(eval_ok("0XfF"), ==, 0xff);
    g_assert_cmpuint(eval_ok("010"), ==, 8);             /* octal, as C */
    g_assert_cmpuint(eval_ok("  7  "), ==, 7);
    g_assert_cmphex(eval_ok("0xffffffffffffffff"), ==, UINT64_MAX);
    g_assert_cmpuint(eval_ok("18446744073709551615"), ==, UINT64_MAX);
    g_assert_cmpuint(eval_ok("'A'"), ==, 65);
    g_assert_cmpuint(eval_ok("'\\n'"), ==, 10);
}

static void test_precedence(void)
{
    g_assert_cmpuint(eval_ok("1+2*3"), ==, 7);
    g_assert_cmpuint(eval_ok("(1+2)*3"), ==, 9);
    g_assert_cmpuint(eval_ok("2*3+4*5"), ==, 26);
    g_assert_cmpuint(eval_ok("10-4-3"), ==, 3);          /* left to right */
    g_assert_cmpuint(eval_ok("100/10/5"), ==, 2);
    g_assert_cmpuint(eval_ok("17%5*2"), ==, 4);
    g_assert_cmpuint(eval_ok("1<<4+1"), ==, 32);         /* + before << */
    g_assert_cmpuint(eval_ok("1<<2<<3"), ==, 32);
    g_assert_cmphex(eval_ok("0x100>>4"), ==, 0x10);
    g_assert_cmpuint(eval_ok("6&3|8"), ==, 10);          /* & before | */
    g_assert_cmpuint(eval_ok("8|6&3"), ==, 10);
    g_assert_cmpuint(eval_ok("1|2^3"), ==, 1);           /* ^ before | */
    g_assert_cmpuint(eval_ok("2^3&1"), ==, 3);           /* & before ^ */
    g_assert_cmpuint(eval_ok("1+1<<1&0xf"), ==, 4);
    g_assert_cmpuint(eval_ok("((((2))))"), ==, 2);
    g_assert_cmpuint(eval_ok("-2*-3"), ==, 6);
    g_assert_cmpuint(eval_ok("- ( 1 + 2 ) * 2 + 10"), ==, 4);
}

static void test_unary_and_wrapping(void)
{
    g_assert_cmphex(eval_ok("~0"), ==, UINT64_MAX);
    g_assert_cmphex(eval_ok("-1"), ==, UINT64_MAX);
    g_assert_cmphex(eval_ok("~0x0f & 0xff"), ==, 0xf0);
    g_assert_cmpuint(eval_ok("+5"), ==, 5);
    g_assert_cmpuint(eval_ok("--5"), ==, 5);
    g_assert_cmpuint(eval_ok("0xffffffffffffffff+2"), ==, 1);
    /* / and % are signed; >> is logical. */
    g_assert_cmpint((int64_t)eval_ok("-7/2"), ==, -3);
    g_assert_cmpint((int64_t)eval_ok("-7%2"), ==, -1);
    g_assert_cmphex(eval_ok("-1>>60"), ==, 0xf);
    /* Overflowing division wraps instead of trapping. */
    g_assert_cmphex(eval_ok("0x8000000000000000/-1"), ==,
                    0x8000000000000000ull);
    g_assert_cmpuint(eval_ok("0x8000000000000000%-1"), ==, 0);
    /* Shifting everything out. */
    g_assert_cmpuint(eval_ok("1<<64"), ==, 0);
    g_assert_cmpuint(eval_ok("1<<200"), ==, 0);
    g_assert_cmpuint(eval_ok("-1>>64"), ==, 0);
    g_assert_cmphex(eval_ok("1<<63"), ==, 0x8000000000000000ull);
}

static void test_registers(void)
{
    g_assert_cmphex(eval_ok("$pc"), ==, 0x80000000);
    g_assert_cmphex(eval_ok("$pc + $a0*2"), ==, 0x80000054);
    g_assert_cmphex(eval_ok("($pc+0x10)&~0xf"), ==, 0x80000010);
    assert_error("$nosuch", "unknown register '$nosuch'");
    assert_error("$", "register name expected");
    assert_error("$pc+$x1", "unknown register '$x1'");

    /* Without a register reader (no CPU) registers are an error. */
    GError *err = NULL;
    uint64_t v;
    g_assert_false(hmp_expr_parse("$pc", NULL, NULL, NULL, &v, &err));
    g_assert_nonnull(strstr(err->message, "$pc"));
    g_clear_error(&err);
}

static void test_errors(void)
{
    assert_error("1/0", "division by zero");
    assert_error("5%0", "division by zero");
    assert_error("1/(2-2)", "division by zero");
    assert_error("", "unexpected end of expression");
    assert_error("1+", "unexpected end of expression");
    assert_error("(1+2", "')' expected");
    assert_error("1+2)", "invalid char ')'");
    assert_error("1 2", "invalid char '2'");
    assert_error("12abc", "invalid char 'a'");
    assert_error("09", "invalid digit '9' in octal");
    assert_error("0x", "invalid hexadecimal number");
    assert_error("0xfg", "invalid char 'g'");
    assert_error("18446744073709551616", "number too large");
    assert_error("0x10000000000000000", "number too large");
    assert_error("1 ** 2", "invalid char '*'");
    assert_error("'a", "unterminated character constant");
    assert_error("#", "invalid char '#'");
    assert_error("1 < 2", "invalid char '<'");
}

static void test_hostile_nesting(void)
{
    /* Deep nesting is refused, not recursed into until the stack ends. */
    GString *deep = g_string_new(NULL);
    for (int i = 0; i < 100000; i++) {
        g_string_append_c(deep, '(');
    }
    g_string_append(deep, "1");
    assert_error(deep->str, "nested too deeply");
    g_string_truncate(deep, 0);
    for (int i = 0; i < 100000; i++) {
        g_string_append_c(deep, '-');
    }
    g_string_append(deep, "1");
    assert_error(deep->str, "nested too deeply");
    g_string_free(deep, TRUE);

    /* Reasonable nesting still works. */
    GString *ok = g_string_new(NULL);
    for (int i = 0; i < 50; i++) {
        g_string_append_c(ok, '(');
    }
    g_string_append(ok, "3");
    for (int i = 0; i < 50; i++) {
        g_string_append_c(ok, ')');
    }
    g_assert_cmpuint(eval_ok(ok->str), ==, 3);
    g_string_free(ok, TRUE);
}

static void test_end_pointer(void)
{
    const char *end = NULL;
    uint64_t v = 0;
    g_assert_true(hmp_expr_parse("0x10 + 2  rest of line", &end, NULL, NULL,
                                 &v, NULL));
    g_assert_cmpuint(v, ==, 18);
    g_assert_cmpstr(end, ==, "rest of line");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hmp-expr/numbers", test_numbers);
    g_test_add_func("/hmp-expr/precedence", test_precedence);
    g_test_add_func("/hmp-expr/unary-and-wrapping", test_unary_and_wrapping);
    g_test_add_func("/hmp-expr/registers", test_registers);
    g_test_add_func("/hmp-expr/errors", test_errors);
    g_test_add_func("/hmp-expr/hostile-nesting", test_hostile_nesting);
    g_test_add_func("/hmp-expr/end-pointer", test_end_pointer);
    return g_test_run();
}
