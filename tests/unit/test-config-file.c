/*
 * -readconfig, -writeconfig and -set, on the parsed command line: QEMU's
 * file format (sections, ids, quoted values, comments), a written file
 * read back to the same options, the errors with file and line, and -set
 * changing an earlier -device, -chardev or -object by its id.
 */
#include "cli/cli.h"
#include "device/global-props.h"

#include <glib.h>
#include <glib/gstdio.h>

static char *tmp_dir;

/* Parse a NULL-terminated argument list (program name added). */
static bool parse(Cli *cli, const char *const *args, GError **errp)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)"tessera-system-riscv64");
    for (; *args; args++) {
        g_ptr_array_add(argv, (char *)*args);
    }
    g_ptr_array_add(argv, NULL);
    *cli = (Cli) { 0 };
    return cli_parse(cli, (int)argv->len - 1, (char **)argv->pdata, errp);
}

static void parse_ok(Cli *cli, const char *const *args)
{
    GError *err = NULL;
    if (!parse(cli, args, &err)) {
        g_error("unexpected error: %s", err->message);
    }
}

static void parse_fails(const char *const *args, const char *fragment)
{
    Cli cli;
    GError *err = NULL;
    g_assert_false(parse(&cli, args, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, fragment)) {
        g_error("message '%s' lacks '%s'", err->message, fragment);
    }
    g_error_free(err);
    cli_free(&cli);
    global_props_reset();
}

static char *write_file(const char *name, const char *text)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static char *written_config(const Cli *cli)
{
    g_autofree char *path = g_build_filename(tmp_dir, "out.cfg", NULL);
    GError *err = NULL;
    if (!config_file_write(cli, path, &err)) {
        g_error("writeconfig: %s", err->message);
    }
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_unlink(path);
    return text;
}

static const char *item(const GPtrArray *list, guint i)
{
    g_assert_cmpuint(i, <, list->len);
    return g_ptr_array_index(list, i);
}

/* ---- -set ------------------------------------------------------------- */

static void test_set(void)
{
    static const char *const args[] = {
        "-device", "virtio-rng-device,id=rng0",
        "-device", "virtio-rng-device,id=rng1",
        "-chardev", "socket,id=mon0,path=/tmp/m",
        "-object", "memory-backend-ram,id=m0,size=1G",
        "-set", "device.rng1.max-bytes=1024",
        "-set", "chardev.mon0.server=on",
        "-set", "object.m0.size=2G",
        "-set", "device.rng1.label=a,b",
        NULL };
    Cli cli;
    parse_ok(&cli, args);
    g_assert_cmpstr(item(cli.devices, 0), ==, "virtio-rng-device,id=rng0");
    /* The value is taken whole (QEMU does not unescape it); the edit
     * escapes its commas, so the option reads back the same value. */
    g_assert_cmpstr(item(cli.devices, 1), ==, "virtio-rng-device,id=rng1,"
                    "max-bytes=1024,label=a,,b");
    g_assert_cmpstr(item(cli.chardevs, 0), ==, "socket,id=mon0,path=/tmp/m,"
                    "server=on");
    g_assert_cmpstr(item(cli.objects, 0), ==, "memory-backend-ram,id=m0,"
                    "size=1G,size=2G");
    cli_free(&cli);
}

static void test_set_errors(void)
{
    static const char *const later[] = {
        "-set", "device.rng0.max-bytes=1", "-device",
        "virtio-rng-device,id=rng0", NULL };
    parse_fails(later, "-set device.rng0.max-bytes=1: there is no device "
                "\"rng0\" defined");
    static const char *const group[] = { "-set", "gadget.x.y=1", NULL };
    parse_fails(group, "There is no option group 'gadget'");
    static const char *const drive[] = { "-set", "drive.hd0.file=a", NULL };
    parse_fails(drive, "there is no drive \"hd0\" defined");
    static const char *const noeq[] = { "-set", "device.x.y", NULL };
    parse_fails(noeq, "can't parse: \"device.x.y\"");
    static const char *const short_path[] = { "-set", "device.x=1", NULL };
    parse_fails(short_path, "can't parse: \"device.x=1\"");
}

/* ---- -writeconfig ----------------------------------------------------- */

static const char *const full_line[] = {
    "-M", "virt,accel=tcg", "-m", "1G", "-smp", "2,sockets=2",
    "-name", "vm1,process=tessera-vm1", "-boot", "order=nc,menu=on",
    "-object", "memory-backend-ram,id=m0,size=512M",
    "-object", "memory-backend-ram,id=m1,size=512M",
    "-numa", "node,memdev=m0", "-numa", "node,memdev=m1",
    "-numa", "dist,src=0,dst=1,val=20",
    "-global", "cfi.pflash01.width=4",
    "-chardev", "socket,id=c0,path=/tmp/a,,b,server=on,wait=off",
    "-device", "virtio-rng-device,id=rng0,max-bytes=1024",
    "-device", "virtio-rng-device",
    "-serial", "chardev:c0", NULL };

static const char *const full_config =
    "# qemu config file\n\n"
    "[machine]\n  type = \"virt\"\n  accel = \"tcg\"\n\n"
    "[memory]\n  size = \"1G\"\n\n"
    "[smp-opts]\n  cpus = \"2\"\n  sockets = \"2\"\n\n"
    "[name]\n  guest = \"vm1\"\n  process = \"tessera-vm1\"\n\n"
    "[boot-opts]\n  order = \"nc\"\n  menu = \"on\"\n\n"
    "[object \"m0\"]\n  qom-type = \"memory-backend-ram\"\n"
    "  size = \"512M\"\n\n"
    "[object \"m1\"]\n  qom-type = \"memory-backend-ram\"\n"
    "  size = \"512M\"\n\n"
    "[numa]\n  type = \"node\"\n  memdev = \"m0\"\n\n"
    "[numa]\n  type = \"node\"\n  memdev = \"m1\"\n\n"
    "[numa]\n  type = \"dist\"\n  src = \"0\"\n  dst = \"1\"\n"
    "  val = \"20\"\n\n"
    "[global]\n  driver = \"cfi.pflash01\"\n  property = \"width\"\n"
    "  value = \"4\"\n\n"
    "[chardev \"c0\"]\n  backend = \"socket\"\n  path = \"/tmp/a,b\"\n"
    "  server = \"on\"\n  wait = \"off\"\n\n"
    "[device \"rng0\"]\n  driver = \"virtio-rng-device\"\n"
    "  max-bytes = \"1024\"\n\n"
    "[device]\n  driver = \"virtio-rng-device\"\n\n";

static void test_writeconfig(void)
{
    Cli cli;
    parse_ok(&cli, full_line);
    g_autofree char *text = written_config(&cli);
    g_assert_cmpstr(text, ==, full_config);
    cli_free(&cli);
    global_props_reset();
}

static void test_writeconfig_refuses_quotes(void)
{
    static const char *const args[] = { "-device", "x,label=say \"hi\"",
                                        NULL };
    Cli cli;
    parse_ok(&cli, args);
    g_autofree char *path = g_build_filename(tmp_dir, "q.cfg", NULL);
    GError *err = NULL;
    g_assert_false(config_file_write(&cli, path, &err));
    g_assert_nonnull(strstr(err->message, "the value of 'label' (say \"hi\")"
                                          " holds a double quote"));
    g_error_free(err);
    cli_free(&cli);
}

/* ---- -readconfig ------------------------------------------------------ */

/* What -writeconfig wrote reads back to the same configuration. */
static void test_round_trip(void)
{
    g_autofree char *path = write_file("full.cfg", full_config);
    const char *const args[] = { "-readconfig", path, NULL };
    Cli cli;
    parse_ok(&cli, args);
    g_autofree char *again = written_config(&cli);
    g_assert_cmpstr(again, ==, full_config);
    g_assert_cmpstr(cli.name, ==, "vm1");
    g_assert_cmpuint(cli.numa->len, ==, 3);
    g_assert_cmpstr(item(cli.devices, 0), ==, "id=rng0,"
                    "driver=virtio-rng-device,max-bytes=1024");
    cli_free(&cli);
    global_props_reset();
}

/* A file as people write them: comments, blank lines, spacing. */
static void test_read_by_hand(void)
{
    g_autofree char *path = write_file("hand.cfg",
        "# my VM\n"
        "\n"
        "[machine]\n"
        "type = \"none\"\n"
        "   # indented comment\n"
        "[device \"d0\"]\n"
        "  driver=\"virtio-rng-device\"\n"
        "\tmax-bytes   =   \"8\"   \n"
        "[chardev \"s\"]\n"
        "  backend = \"null\"\n");
    /* Options around -readconfig keep their order with the file's. */
    const char *const args[] = {
        "-device", "virtio-rng-device,id=first", "-readconfig", path,
        "-set", "device.d0.max-bytes=16", "-M", "virt", NULL };
    Cli cli;
    parse_ok(&cli, args);
    g_assert_cmpstr(cli.machine_opts, ==, "virt");
    g_assert_cmpuint(cli.devices->len, ==, 2);
    g_assert_cmpstr(item(cli.devices, 0), ==, "virtio-rng-device,id=first");
    g_assert_cmpstr(item(cli.devices, 1), ==, "id=d0,driver=virtio-rng-"
                    "device,max-bytes=8,max-bytes=16");
    g_assert_cmpstr(item(cli.chardevs, 0), ==, "id=s,backend=null");
    cli_free(&cli);
}

static void read_fails(const char *text, const char *fragment)
{
    g_autofree char *path = write_file("bad.cfg", text);
    g_autofree char *want = g_strdup_printf("-readconfig %s: %s:%s", path,
                                            path, fragment);
    const char *const args[] = { "-readconfig", path, NULL };
    parse_fails(args, want);
}

static void test_read_errors(void)
{
    read_fails("  type = \"virt\"\n", "1: no group defined");
    read_fails("[machine]\n  type = virt\n", "2: Parse error");
    read_fails("[machine]\n  type \"virt\"\n", "2: Parse error");
    read_fails("[machine\n", "1: Parse error");
    read_fails("# x\n[gadget]\n", "2: There is no option group 'gadget'");
    read_fails("[drive \"hd\"]\n  file = \"a.img\"\n",
               "1: 'drive' is not supported yet");
    read_fails("[machine \"m\"]\n", "1: group 'machine' takes no id");
    /* The option's own checks, at the section's line. */
    read_fails("[machine]\n  type = \"none\"\n\n[boot-opts]\n"
               "  order = \"zz\"\n", "4: -boot order=zz: Invalid boot device "
               "'z'");
    read_fails("[global]\n  driver = \"x\"\n", "1: -global driver=x: "
               "options 'driver', 'property', and 'value' are required");
    g_autofree char *missing = g_build_filename(tmp_dir, "none.cfg", NULL);
    const char *const args[] = { "-readconfig", missing, NULL };
    parse_fails(args, "Cannot read config file");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("test-config-XXXXXX", NULL);
    g_test_add_func("/set/edits-earlier-options", test_set);
    g_test_add_func("/set/errors", test_set_errors);
    g_test_add_func("/writeconfig/groups", test_writeconfig);
    g_test_add_func("/writeconfig/refuses-quotes",
                    test_writeconfig_refuses_quotes);
    g_test_add_func("/readconfig/round-trip", test_round_trip);
    g_test_add_func("/readconfig/by-hand", test_read_by_hand);
    g_test_add_func("/readconfig/errors", test_read_errors);
    int rc = g_test_run();
    g_autofree char *bad = g_build_filename(tmp_dir, "bad.cfg", NULL);
    g_autofree char *full = g_build_filename(tmp_dir, "full.cfg", NULL);
    g_autofree char *hand = g_build_filename(tmp_dir, "hand.cfg", NULL);
    g_unlink(bad);
    g_unlink(full);
    g_unlink(hand);
    g_rmdir(tmp_dir);
    g_free(tmp_dir);
    return rc;
}
