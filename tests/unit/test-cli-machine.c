/*
 * The command line as a board sees it: tessera_main() with a test board
 * that takes -numa and records its TsMachineConfig (numa, boot) and its
 * -device devices, then stops the run at machine_done.  Also the
 * command-line errors of -numa, hmat=on and -global, as the user reads
 * them (one line on stderr, exit status 1).
 */
#include "machine/boot-opts.h"
#include "machine/machine-lifecycle.h"
#include "machine/numa.h"
#include "object/object-hooks.h"
#include "object/object-introspect.h"

#include <tessera/device.h>
#include <tessera/machine.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

int tessera_main(int argc, char **argv);

#define MiB (UINT64_C(1) << 20)

/* ---- a device and a board that record what they got --------------- */

typedef struct CliDev {
    TsDevice parent;
    uint64_t count;
} CliDev;

static const TsProperty clidev_props[] = {
    TS_PROP_UINT("count", CliDev, count, 1, "a counter"),
    TS_PROP_END
};

static void clidev_class_init(TsObjectClass *klass, const void *data)
{
    ts_class_add_properties(klass, clidev_props);
}

typedef struct Seen {
    bool machine_built;
    bool have_numa;
    unsigned n_nodes;
    unsigned cpu_node[8];
    uint64_t mem[8];
    unsigned initiator[8];
    bool hmat;
    bool have_distance;
    uint8_t distance[4];
    bool have_boot;
    char *boot_order, *boot_once;
    bool boot_menu;
    int64_t reboot_timeout;
    int64_t d0_count;           /* -1: no device d0 */
} Seen;

static Seen seen;

static bool board_init(TsMachine *m, GError **errp)
{
    const TsMachineConfig *cfg = m->config;
    seen.machine_built = true;
    const TsNumaConfig *numa = cfg->numa;
    seen.have_numa = numa != NULL;
    if (numa) {
        seen.n_nodes = numa->n_nodes;
        seen.hmat = machine_numa_hmat()->enabled;
        for (unsigned i = 0; i < cfg->max_cpus && i < 8; i++) {
            seen.cpu_node[i] = numa->cpu_node[i];
        }
        for (unsigned i = 0; i < numa->n_nodes && i < 8; i++) {
            seen.mem[i] = numa->nodes[i].mem_size;
            seen.initiator[i] = numa->nodes[i].initiator;
        }
        seen.have_distance = numa->distance != NULL;
        if (numa->distance && numa->n_nodes == 2) {
            memcpy(seen.distance, numa->distance, 4);
        }
    }
    /* -boot and hmat stay in the core until a board needs them. */
    const TsBootConfig *boot = machine_boot_config();
    seen.have_boot = boot != NULL;
    if (boot) {
        seen.boot_order = g_strdup(boot->order);
        seen.boot_once = g_strdup(boot->once);
        seen.boot_menu = boot->menu;
        seen.reboot_timeout = boot->reboot_timeout;
    }
    return true;
}

static bool board_done(TsMachine *m, GError **errp)
{
    CliDev *d = (CliDev *)ts_object_resolve_path("/machine/peripheral/d0");
    seen.d0_count = d ? (int64_t)d->count : -1;
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "stopped by the test");
    return false;
}

static void board_class_init(TsObjectClass *klass, const void *data)
{
    TsMachineClass *mc = (TsMachineClass *)klass;
    mc->no_cpus = true;
    mc->max_cpus = 8;
    mc->numa_supported = true;
    mc->init = board_init;
    mc->machine_done = board_done;
}

static const TsTypeInfo test_types[] = {
    { .name = "clitest-dev", .parent = TS_TYPE_DEVICE,
      .instance_size = sizeof(CliDev), .class_init = clidev_class_init },
    { .name = "numatest" TS_MACHINE_SUFFIX, .parent = TS_TYPE_MACHINE,
      .class_init = board_class_init },
};

/* ---- running tessera_main ------------------------------------------- */

typedef struct Run {
    int status;
    char *err;                  /* what it wrote to stderr */
} Run;

static void run_free(Run *r)
{
    g_free(r->err);
}

/* Run the command line (program name added), capturing stderr; the
 * machine it made is removed afterwards so the next run can make one. */
static Run run(const char *const *args)
{
    g_free(seen.boot_order);
    g_free(seen.boot_once);
    seen = (Seen) { .d0_count = -1 };
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)"tessera-system-riscv64");
    for (; *args; args++) {
        g_ptr_array_add(argv, (char *)*args);
    }
    g_ptr_array_add(argv, NULL);

    FILE *capture = tmpfile();
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(capture), STDERR_FILENO);
    Run r = { .status = tessera_main((int)argv->len - 1,
                                     (char **)argv->pdata) };
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    long len = ftell(capture);
    r.err = g_malloc0(len + 1);
    rewind(capture);
    g_assert_cmpuint(fread(r.err, 1, len, capture), ==, (size_t)len);
    fclose(capture);

    TsObject *machine = ts_object_resolve_path("/machine");
    if (machine) {
        ts_object_remove_child(ts_object_root(), machine);
    }
    return r;
}

/* The run stopped at the test board's machine_done, having built all. */
static void assert_reached_board(Run *r)
{
    if (r->status != 1 || !strstr(r->err, "stopped by the test")) {
        g_error("run did not reach the board: status %d, stderr: %s",
                r->status, r->err);
    }
}

/* The run failed with exactly one line, containing fragment. */
static void assert_one_line_error(Run *r, const char *fragment)
{
    g_assert_cmpint(r->status, ==, 1);
    if (!g_str_has_prefix(r->err, "tessera-system-riscv64: ") ||
        !strstr(r->err, fragment) ||
        strchr(r->err, '\n') != r->err + strlen(r->err) - 1) {
        g_error("stderr '%s' is not one line with '%s'", r->err, fragment);
    }
}

/* ---- tests ------------------------------------------------------------ */

/* The manual's HMAT example, whole, as a board receives it. */
static void test_numa_reaches_board(void)
{
    static const char *const args[] = {
        "-M", "numatest,hmat=on", "-m", "2G",
        "-object", "memory-backend-ram,size=1G,id=m0",
        "-object", "memory-backend-ram,size=1G,id=m1",
        "-numa", "node,nodeid=0,memdev=m0",
        "-numa", "node,nodeid=1,memdev=m1,initiator=0",
        "-smp", "2,sockets=2,maxcpus=2",
        "-numa", "cpu,node-id=0,socket-id=0",
        "-numa", "cpu,node-id=0,socket-id=1",
        "-numa", "dist,src=0,dst=1,val=21", NULL };
    Run r = run(args);
    assert_reached_board(&r);
    g_assert_true(seen.have_numa);
    g_assert_cmpuint(seen.n_nodes, ==, 2);
    g_assert_true(seen.hmat);
    g_assert_cmpuint(seen.cpu_node[0], ==, 0);
    g_assert_cmpuint(seen.cpu_node[1], ==, 0);
    g_assert_cmpuint(seen.mem[1], ==, 1024 * MiB);
    g_assert_cmpuint(seen.initiator[0], ==, 0);
    g_assert_cmpuint(seen.initiator[1], ==, 0);
    g_assert_true(seen.have_distance);
    static const uint8_t dist[] = { 10, 21, 21, 10 };
    g_assert_cmpmem(seen.distance, 4, dist, 4);
    run_free(&r);
}

static void test_no_numa_defaults(void)
{
    static const char *const args[] = { "-M", "numatest", NULL };
    Run r = run(args);
    assert_reached_board(&r);
    g_assert_false(seen.have_numa);
    g_assert_true(seen.have_boot);          /* always there */
    g_assert_null(seen.boot_order);
    g_assert_cmpint(seen.reboot_timeout, ==, -1);
    run_free(&r);
}

static void test_boot_reaches_board(void)
{
    static const char *const args[] = {
        "-M", "numatest", "-boot", "order=nc,once=d,menu=on", NULL };
    Run r = run(args);
    assert_reached_board(&r);
    g_assert_cmpstr(seen.boot_order, ==, "nc");
    g_assert_cmpstr(seen.boot_once, ==, "d");
    g_assert_true(seen.boot_menu);
    run_free(&r);
}

static void test_numa_errors(void)
{
    static const char *const none[] = { "-M", "none", "-numa", "node",
                                        NULL };
    Run r = run(none);
    assert_one_line_error(&r, "-numa node: NUMA is not supported by this "
                          "machine-type");
    run_free(&r);
    /* hmat is a property of machines that take -numa only. */
    static const char *const hmat[] = { "-M", "none,hmat=on", NULL };
    r = run(hmat);
    assert_one_line_error(&r, "hmat");
    run_free(&r);
    static const char *const mem[] = { "-M", "numatest", "-numa",
                                       "node,mem=128M", NULL };
    r = run(mem);
    assert_one_line_error(&r, "-numa node,mem=128M: Parameter -numa "
                          "node,mem is not supported by this machine type; "
                          "use -numa node,memdev instead");
    run_free(&r);
    static const char *const total[] = {
        "-M", "numatest", "-m", "1G",
        "-object", "memory-backend-ram,id=m0,size=512M",
        "-numa", "node,memdev=m0", NULL };
    r = run(total);
    assert_one_line_error(&r, "-numa: total memory for NUMA nodes "
                          "(0x20000000) should equal RAM size (0x40000000)");
    g_assert_false(seen.machine_built);
    run_free(&r);
    static const char *const obj[] = {
        "-M", "numatest", "-object", "memory-backend-ram,id=m0", NULL };
    r = run(obj);
    assert_one_line_error(&r, "-object memory-backend-ram,id=m0: can't "
                          "create backend with size 0");
    run_free(&r);
}

static void test_numa_warning(void)
{
    static const char *const args[] = {
        "-M", "numatest", "-smp", "3", "-m", "128M",
        "-object", "memory-backend-ram,id=m0,size=128M",
        "-numa", "node,memdev=m0,cpus=1", NULL };
    Run r = run(args);
    assert_reached_board(&r);
    g_assert_nonnull(strstr(r.err, "tessera-system-riscv64: warning: CPU(s) "
                                   "not present in any NUMA nodes: CPU 0"));
    g_assert_cmpuint(seen.cpu_node[2], ==, 0);
    run_free(&r);
}

static void test_global_and_set_reach_devices(void)
{
    static const char *const global[] = {
        "-M", "numatest", "-global", "clitest-dev.count=7",
        "-device", "clitest-dev,id=d0", NULL };
    Run r = run(global);
    assert_reached_board(&r);
    g_assert_cmpint(seen.d0_count, ==, 7);
    run_free(&r);

    static const char *const both[] = {
        "-M", "numatest", "-global", "driver=clitest-dev,property=count,"
        "value=7", "-device", "clitest-dev,id=d0,count=9", NULL };
    r = run(both);
    assert_reached_board(&r);
    g_assert_cmpint(seen.d0_count, ==, 9);  /* -device's own wins */
    run_free(&r);

    static const char *const set[] = {
        "-M", "numatest", "-device", "clitest-dev,id=d0,count=9",
        "-set", "device.d0.count=11", NULL };
    r = run(set);
    assert_reached_board(&r);
    g_assert_cmpint(seen.d0_count, ==, 11);
    run_free(&r);

    static const char *const bad[] = {
        "-M", "numatest", "-global", "clitest-dev.count=many",
        "-device", "clitest-dev,id=d0", NULL };
    r = run(bad);
    assert_one_line_error(&r, "-device clitest-dev,id=d0: can't apply "
                          "global clitest-dev.count=many: ");
    run_free(&r);
}

static void test_readconfig_reaches_board(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-cli-machine-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "vm.cfg", NULL);
    g_assert_true(g_file_set_contents(path,
        "[machine]\n  type = \"numatest\"\n\n"
        "[boot-opts]\n  order = \"c\"\n\n"
        "[device \"d0\"]\n  driver = \"clitest-dev\"\n  count = \"4\"\n",
        -1, NULL));
    const char *const args[] = { "-readconfig", path, NULL };
    Run r = run(args);
    assert_reached_board(&r);
    g_assert_cmpint(seen.d0_count, ==, 4);
    g_assert_cmpstr(seen.boot_order, ==, "c");
    run_free(&r);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(test_types); i++) {
        g_assert_true(ts_type_register(&test_types[i], NULL));
    }
    g_test_add_func("/cli-machine/numa", test_numa_reaches_board);
    g_test_add_func("/cli-machine/no-numa", test_no_numa_defaults);
    g_test_add_func("/cli-machine/boot", test_boot_reaches_board);
    g_test_add_func("/cli-machine/numa-errors", test_numa_errors);
    g_test_add_func("/cli-machine/numa-warning", test_numa_warning);
    g_test_add_func("/cli-machine/global-and-set",
                    test_global_and_set_reach_devices);
    g_test_add_func("/cli-machine/readconfig",
                    test_readconfig_reaches_board);
    int rc = g_test_run();
    g_free(seen.boot_order);
    g_free(seen.boot_once);
    return rc;
}
