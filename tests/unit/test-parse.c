/*
 * The number, size and boolean parsers shared by properties and the
 * command line: accepted forms, edge values and the messages for bad input.
 */
#include <tessera/object.h>
#include "util/parse.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)
#define PiB (1ull << 50)
#define EiB (1ull << 60)

static uint64_t size_ok(const char *text)
{
    uint64_t v = 0;
    GError *err = NULL;
    if (!ts_parse_size("size", text, &v, &err)) {
        g_error("size '%s' refused: %s", text, err->message);
    }
    return v;
}

/* Refused with a TS_ERROR whose message contains every fragment given. */
static void expect_message(GError *err, const char *text,
                           const char *fragment)
{
    g_assert_nonnull(err);
    g_assert_true(g_error_matches(err, TS_ERROR, TS_ERROR_INVALID));
    if (!strstr(err->message, fragment)) {
        g_error("'%s': message '%s' lacks '%s'", text ? text : "(null)",
                err->message, fragment);
    }
    g_error_free(err);
}

static void size_bad(const char *text, const char *fragment)
{
    uint64_t v = 12345;
    GError *err = NULL;
    g_assert_false(ts_parse_size("size", text, &v, &err));
    g_assert_cmpuint(v, ==, 12345);         /* untouched on failure */
    expect_message(err, text, fragment);
}

static void test_size_plain(void)
{
    g_assert_cmpuint(size_ok("0"), ==, 0);
    g_assert_cmpuint(size_ok("512"), ==, 512);
    g_assert_cmpuint(size_ok("007"), ==, 7);
    g_assert_cmpuint(size_ok("0x10"), ==, 16);
    g_assert_cmpuint(size_ok("0XfF"), ==, 255);
    g_assert_cmpuint(size_ok("18446744073709551615"), ==, UINT64_MAX);
    g_assert_cmpuint(size_ok("0xffffffffffffffff"), ==, UINT64_MAX);
}

static void test_size_suffixes(void)
{
    g_assert_cmpuint(size_ok("10B"), ==, 10);
    g_assert_cmpuint(size_ok("4K"), ==, 4 * KiB);
    g_assert_cmpuint(size_ok("4k"), ==, 4 * KiB);
    g_assert_cmpuint(size_ok("64M"), ==, 64 * MiB);
    g_assert_cmpuint(size_ok("2G"), ==, 2 * GiB);
    g_assert_cmpuint(size_ok("3T"), ==, 3 * TiB);
    g_assert_cmpuint(size_ok("5P"), ==, 5 * PiB);
    g_assert_cmpuint(size_ok("15E"), ==, 15 * EiB);
    g_assert_cmpuint(size_ok("0x10M"), ==, 16 * MiB);
}

static void test_size_fractions(void)
{
    g_assert_cmpuint(size_ok("1.5G"), ==, GiB + GiB / 2);
    g_assert_cmpuint(size_ok("0.5K"), ==, 512);
    g_assert_cmpuint(size_ok(".25M"), ==, MiB / 4);
    /* Fractions of a byte are rounded down. */
    g_assert_cmpuint(size_ok("1.0001K"), ==, 1024);
    /* Very long fractions do not overflow the intermediate arithmetic. */
    g_assert_cmpuint(size_ok("15.99999999999999999999999E"), <=, UINT64_MAX);
    g_assert_cmpuint(size_ok("15.5E"), ==, 15 * EiB + EiB / 2);
}

static void test_size_errors(void)
{
    size_bad("", "Parameter 'size' expects a size");
    size_bad(NULL, "expects a size");
    size_bad("0x", "expects a size");
    size_bad("-1", "expects a size");
    size_bad("+1", "expects a size");
    size_bad(" 1", "expects a size");
    size_bad("1 ", "expects a size");
    size_bad("12Q", "expects a size");
    size_bad("1KB", "expects a size");
    size_bad("1.5", "expects a size");        /* a fraction needs a unit */
    size_bad("0x1.8G", "expects a size");
    size_bad("G", "expects a size");
    size_bad("16E", "too large");
    size_bad("18446744073709551616", "too large");
    size_bad("0x10000000000000000", "too large");
    size_bad("17179869184G", "too large");
}

static void test_size_message_names_what(void)
{
    uint64_t v;
    GError *err = NULL;
    g_assert_false(ts_parse_size("maxmem", "lots", &v, &err));
    expect_message(err, "lots", "Parameter 'maxmem'");
}

static void test_bool(void)
{
    static const char *const yes[] = { "on", "yes", "true", NULL };
    static const char *const no[] = { "off", "no", "false", NULL };
    for (int i = 0; yes[i]; i++) {
        bool b = false;
        g_assert_true(ts_parse_bool("x", yes[i], &b, NULL));
        g_assert_true(b);
        g_assert_true(ts_parse_bool("x", no[i], &b, NULL));
        g_assert_false(b);
    }
    static const char *const bad[] = { "", "1", "0", "ON", "maybe", "onn",
                                       NULL };
    for (int i = 0; bad[i]; i++) {
        bool b = true;
        GError *err = NULL;
        g_assert_false(ts_parse_bool("share", bad[i], &b, &err));
        g_assert_true(b);
        expect_message(err, bad[i], "Parameter 'share' expects 'on' or 'off'");
    }
    GError *err = NULL;
    bool b;
    g_assert_false(ts_parse_bool("share", NULL, &b, &err));
    expect_message(err, NULL, "expects 'on' or 'off'");
}

static int64_t int_ok(const char *text)
{
    int64_t v = 0;
    GError *err = NULL;
    if (!ts_parse_int("n", text, &v, &err)) {
        g_error("int '%s' refused: %s", text, err->message);
    }
    return v;
}

static void int_bad(const char *text, const char *fragment)
{
    int64_t v = 77;
    GError *err = NULL;
    g_assert_false(ts_parse_int("n", text, &v, &err));
    g_assert_cmpint(v, ==, 77);
    expect_message(err, text, fragment);
}

static void test_int(void)
{
    g_assert_cmpint(int_ok("0"), ==, 0);
    g_assert_cmpint(int_ok("42"), ==, 42);
    g_assert_cmpint(int_ok("-42"), ==, -42);
    g_assert_cmpint(int_ok("+42"), ==, 42);
    g_assert_cmpint(int_ok("010"), ==, 10);       /* decimal, not octal */
    g_assert_cmpint(int_ok("08"), ==, 8);
    g_assert_cmpint(int_ok("0x10"), ==, 16);
    g_assert_cmpint(int_ok("-0x10"), ==, -16);
    g_assert_cmpint(int_ok("9223372036854775807"), ==, INT64_MAX);
    g_assert_cmpint(int_ok("-9223372036854775808"), ==, INT64_MIN);
    g_assert_cmpint(int_ok("0x7fffffffffffffff"), ==, INT64_MAX);

    int_bad("", "Parameter 'n' expects an integer");
    int_bad(NULL, "expects an integer");
    int_bad("0x", "expects an integer");
    int_bad("-", "expects an integer");
    int_bad("1k", "expects an integer");
    int_bad(" 1", "expects an integer");
    int_bad("1 ", "expects an integer");
    int_bad("--1", "expects an integer");
    int_bad("1.0", "expects an integer");
    int_bad("9223372036854775808", "Parameter 'n' is out of range");
    int_bad("-9223372036854775809", "out of range");
    int_bad("0x8000000000000000", "out of range");
    int_bad("99999999999999999999999", "out of range");
}

static uint64_t uint_ok(const char *text)
{
    uint64_t v = 0;
    GError *err = NULL;
    if (!ts_parse_uint("n", text, &v, &err)) {
        g_error("uint '%s' refused: %s", text, err->message);
    }
    return v;
}

static void uint_bad(const char *text, const char *fragment)
{
    uint64_t v = 77;
    GError *err = NULL;
    g_assert_false(ts_parse_uint("n", text, &v, &err));
    g_assert_cmpuint(v, ==, 77);
    expect_message(err, text, fragment);
}

static void test_uint(void)
{
    g_assert_cmpuint(uint_ok("0"), ==, 0);
    g_assert_cmpuint(uint_ok("123"), ==, 123);
    g_assert_cmpuint(uint_ok("0xABC"), ==, 0xabc);
    g_assert_cmpuint(uint_ok("18446744073709551615"), ==, UINT64_MAX);

    uint_bad("-1", "Parameter 'n' expects a non-negative integer");
    uint_bad("-0", "expects a non-negative integer");
    uint_bad("+1", "expects a non-negative integer");
    uint_bad("0x", "expects a non-negative integer");
    uint_bad("1M", "expects a non-negative integer");
    uint_bad("18446744073709551616", "out of range");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/parse/size/plain", test_size_plain);
    g_test_add_func("/parse/size/suffixes", test_size_suffixes);
    g_test_add_func("/parse/size/fractions", test_size_fractions);
    g_test_add_func("/parse/size/errors", test_size_errors);
    g_test_add_func("/parse/size/message-names-what",
                    test_size_message_names_what);
    g_test_add_func("/parse/bool", test_bool);
    g_test_add_func("/parse/int", test_int);
    g_test_add_func("/parse/uint", test_uint);
    return g_test_run();
}
