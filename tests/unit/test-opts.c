/*
 * test-opts.c - QEMU's option grammar (core/cli/opts.c), with the manual's
 * spellings: implied first keys, ",," escapes, help requests, flags,
 * repeated keys, key checks and typed lookups with their messages.
 */
#include "cli/opts.h"

#include <tessera/types.h>

static TsOpts *parse_ok(const char *text, const char *implied)
{
    g_autoptr(GError) err = NULL;
    TsOpts *o = opts_parse(text, implied, &err);
    g_assert_no_error(err);
    g_assert_nonnull(o);
    return o;
}

static char *parse_error(const char *text, const char *implied)
{
    GError *err = NULL;
    TsOpts *o = opts_parse(text, implied, &err);
    g_assert_null(o);
    g_assert_nonnull(err);
    char *msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

static void test_implied_key(void)
{
    g_autoptr(TsOpts) a = parse_ok("virt,dumpdtb=x.dtb", "type");
    g_assert_cmpstr(opts_get(a, "type"), ==, "virt");
    g_assert_cmpstr(opts_get(a, "dumpdtb"), ==, "x.dtb");
    g_autoptr(TsOpts) b = parse_ok("type=virt", "type");
    g_assert_cmpstr(opts_get(b, "type"), ==, "virt");
    g_assert_false(opts_has(b, "dumpdtb"));
    g_assert_null(opts_get(b, "dumpdtb"));
    /* -smp 4 is cpus=4 */
    g_autoptr(TsOpts) c = parse_ok("4,sockets=2", "cpus");
    g_assert_cmpstr(opts_get(c, "cpus"), ==, "4");
    g_assert_cmpstr(opts_get(c, "sockets"), ==, "2");
}

static void test_comma_escape(void)
{
    /* -append-like values and file names with commas */
    g_autoptr(TsOpts) a = parse_ok("file,path=/tmp/a,,b,,,,c,id=f", NULL);
    g_assert_cmpstr(opts_get(a, "path"), ==, "/tmp/a,b,,c");
    g_assert_cmpstr(opts_get(a, "id"), ==, "f");
}

static void test_help(void)
{
    g_autoptr(TsOpts) a = parse_ok("help", "driver");
    g_assert_true(opts_wants_help(a));
    g_autoptr(TsOpts) b = parse_ok("?", "driver");
    g_assert_true(opts_wants_help(b));
    g_autoptr(TsOpts) c = parse_ok("virtio-rng-device,help", "driver");
    g_assert_true(opts_wants_help(c));
    g_assert_cmpstr(opts_get(c, "driver"), ==, "virtio-rng-device");
    g_autoptr(TsOpts) d = parse_ok("virtio-rng-device,id=r", "driver");
    g_assert_false(opts_wants_help(d));
}

static void test_flags_and_repeats(void)
{
    /* A later element without '=' is key=on. */
    g_autoptr(TsOpts) a = parse_ok("socket,server,nowait=off", NULL);
    g_assert_cmpstr(opts_get(a, "server"), ==, "on");
    g_autoptr(TsOpts) b = parse_ok("cpus=1,cpus=2,cpus=3", NULL);
    g_assert_cmpstr(opts_get(b, "cpus"), ==, "3");
}

static void collect(const char *key, const char *value, void *opaque)
{
    g_string_append_printf(opaque, "%s=%s;", key, value);
}

static void test_foreach_order(void)
{
    g_autoptr(TsOpts) a = parse_ok("node,nodeid=0,cpus=0-1,cpus=4", "type");
    g_autoptr(GString) s = g_string_new(NULL);
    opts_foreach(a, collect, s);
    g_assert_cmpstr(s->str, ==, "type=node;nodeid=0;cpus=0-1;cpus=4;");
}

static void test_check_keys(void)
{
    static const char *const allowed[] = { "cpus", "sockets", NULL };
    g_autoptr(TsOpts) a = parse_ok("2,sockets=1", "cpus");
    g_autoptr(GError) err = NULL;
    g_assert_true(opts_check_keys(a, allowed, &err));
    g_autoptr(TsOpts) b = parse_ok("2,sokets=1", "cpus");
    g_assert_false(opts_check_keys(b, allowed, &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter 'sokets'");
}

static void test_typed(void)
{
    g_autoptr(TsOpts) a = parse_ok("size=2G,on=on,off=no,n=0x10,bad=maybe,"
                                   "big=1Q", NULL);
    g_autoptr(GError) err = NULL;
    uint64_t u;
    bool b;
    g_assert_true(opts_get_size(a, "size", 0, &u, &err));
    g_assert_cmpuint(u, ==, 2ull << 30);
    g_assert_true(opts_get_size(a, "absent", 128 << 20, &u, &err));
    g_assert_cmpuint(u, ==, 128u << 20);
    g_assert_true(opts_get_bool(a, "on", false, &b, &err) && b);
    g_assert_true(opts_get_bool(a, "off", true, &b, &err) && !b);
    g_assert_true(opts_get_uint(a, "n", 0, &u, &err));
    g_assert_cmpuint(u, ==, 16);
    g_assert_false(opts_get_bool(a, "bad", false, &b, &err));
    g_assert_nonnull(strstr(err->message, "bad"));
    g_clear_error(&err);
    g_assert_false(opts_get_size(a, "big", 0, &u, &err));
    g_assert_nonnull(strstr(err->message, "big"));
}

static void test_errors(void)
{
    g_autofree char *a = parse_error("=x", "type");
    g_assert_cmpstr(a, ==, "Parameter name must not be empty");
    g_autofree char *b = parse_error("virt,=2", "type");
    g_assert_cmpstr(b, ==, "Parameter name must not be empty");
    g_autofree char *c = parse_error("virt,,dumpdtb=x,", "type");
    g_assert_cmpstr(c, ==, "Parameter name must not be empty");
    /* Without an implied key a bare first element is a flag. */
    g_autoptr(TsOpts) d = parse_ok("virt", NULL);
    g_assert_cmpstr(opts_get(d, "virt"), ==, "on");
}

static void test_round_trip(void)
{
    g_autoptr(TsOpts) a = parse_ok("file,path=a,,b,id=x", "backend");
    g_autofree char *text = opts_to_string(a);
    g_autoptr(TsOpts) b = parse_ok(text, NULL);
    g_assert_cmpstr(opts_get(b, "backend"), ==, "file");
    g_assert_cmpstr(opts_get(b, "path"), ==, "a,b");
    g_assert_cmpstr(opts_get(b, "id"), ==, "x");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/opts/implied-key", test_implied_key);
    g_test_add_func("/opts/comma-escape", test_comma_escape);
    g_test_add_func("/opts/help", test_help);
    g_test_add_func("/opts/flags-repeats", test_flags_and_repeats);
    g_test_add_func("/opts/foreach-order", test_foreach_order);
    g_test_add_func("/opts/check-keys", test_check_keys);
    g_test_add_func("/opts/typed", test_typed);
    g_test_add_func("/opts/errors", test_errors);
    g_test_add_func("/opts/round-trip", test_round_trip);
    return g_test_run();
}
