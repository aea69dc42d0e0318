/*
 * -m: sizes, the MiB default unit and the slots/maxmem pairing.
 */
#include "machine/ram-size.h"

#include <glib.h>

#define MiB (1024ull * 1024)

static RamSize ok(const char *text)
{
    RamSize r;
    GError *err = NULL;
    if (!ram_size_parse(text, 128 * MiB, &r, &err)) {
        g_error("-m %s: %s", text, err->message);
    }
    return r;
}

static void bad(const char *text, const char *fragment)
{
    RamSize r;
    GError *err = NULL;
    g_assert_false(ram_size_parse(text, 128 * MiB, &r, &err));
    if (!strstr(err->message, fragment)) {
        g_error("-m %s: '%s' lacks '%s'", text, err->message, fragment);
    }
    g_error_free(err);
}

static void test_sizes(void)
{
    g_assert_cmpuint(ok("512").size, ==, 512 * MiB);
    g_assert_cmpuint(ok("size=1G").size, ==, 1024 * MiB);
    g_assert_cmpuint(ok("1.5G").size, ==, 1536 * MiB);
    g_assert_cmpuint(ok("0x10000000").size, ==, 256 * MiB);
    g_assert_cmpuint(ok("slots=2,maxmem=4G").size, ==, 128 * MiB);
    g_assert_cmpuint(ok("256M").max_size, ==, 256 * MiB);
    /* 0 means the machine's default, as QEMU reads it */
    g_assert_cmpuint(ok("0").size, ==, 128 * MiB);
    g_assert_cmpuint(ok("size=0").max_size, ==, 128 * MiB);
}

static void test_errors(void)
{
    bad("help", "expects a size");  /* -m has no help; QEMU says the same */
    bad("0x", "expects a size");
    bad("12Q", "expects a size");
    bad("-5", "expects a size");
    bad("1G,foo=1", "Invalid parameter 'foo'");
}

static void test_hotplug(void)
{
    RamSize r = ok("1G,slots=3,maxmem=4G");
    g_assert_cmpuint(r.slots, ==, 3);
    g_assert_cmpuint(r.max_size, ==, 4096 * MiB);
    bad("1G,slots=3", "'slots' needs 'maxmem'");
    bad("1G,maxmem=4G", "needs 'slots'");
    bad("1G,slots=1,maxmem=512M", "at least the memory size");
    bad("1G,slots=1,maxmem=4294967297", "multiple of the page size");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ram-size/sizes", test_sizes);
    g_test_add_func("/ram-size/errors", test_errors);
    g_test_add_func("/ram-size/hotplug", test_hotplug);
    return g_test_run();
}
