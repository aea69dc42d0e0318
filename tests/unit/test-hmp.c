/*
 * test-hmp.c - the human monitor on chardevs: commands and their output,
 * x/xp dumps of real RAM, print, line editing and history, mux focus,
 * reconnecting sockets, QMP on chardevs and the QMP commands of
 * qmp-commands-more.c (human-monitor-command among them).
 */
#include "chardev/chardev-internal.h"
#include "config.h"
#include "monitor/hmp.h"
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include "monitor/monitor-chardev.h"
#include "monitor/monitor-hooks.h"
#include "monitor/qmp.h"
#include "monitor/readline.h"
#include "loop/main-loop.h"

#include <tessera/cpu.h>
#include <tessera/device.h>
#include <tessera/loop.h>
#include <tessera/memory.h>

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RAM_BASE 0x80000000u

static const char banner[] =
    "Tessera " TS_VERSION " monitor - type 'help' for more information\r\n";

/* ---- VM hooks that count ---------------------------------------------------- */

static struct {
    bool running;
    int stops, conts, resets, powerdowns, quits;
    bool cont_fails;
} vm;

static bool hook_is_running(void) { return vm.running; }
static void hook_stop(void) { vm.stops++; vm.running = false; }
static bool hook_cont(GError **errp)
{
    if (vm.cont_fails) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "cannot run: no disk");
        return false;
    }
    vm.conts++;
    vm.running = true;
    return true;
}
static void hook_reset(void) { vm.resets++; }
static void hook_powerdown(void) { vm.powerdowns++; }
static void hook_quit(void) { vm.quits++; }
static const char *hook_name(void) { return "guest-one"; }

static void install_vm_hooks(void)
{
    memset(&vm, 0, sizeof(vm));
    QmpVmHooks hooks = {
        .is_running = hook_is_running,
        .stop = hook_stop,
        .cont = hook_cont,
        .system_reset = hook_reset,
        .system_powerdown = hook_powerdown,
        .quit = hook_quit,
        .vm_name = hook_name,
    };
    qmp_set_vm_hooks(&hooks);
}

/* ---- a CPU with two registers ----------------------------------------------------- */

typedef struct TestCpu {
    TsCpu parent;
    uint64_t pc;
} TestCpu;

static bool test_cpu_read_register(TsCpu *cpu, const char *name,
                                   uint64_t *value)
{
    if (g_str_equal(name, "pc")) {
        *value = ((TestCpu *)cpu)->pc;
        return true;
    }
    if (g_str_equal(name, "sp")) {
        *value = 0x1000;
        return true;
    }
    return false;
}

static void test_cpu_dump_state(TsCpu *cpu, GString *out)
{
    g_string_append_printf(out, " pc       %016" PRIx64 "\n",
                           ((TestCpu *)cpu)->pc);
}

static void test_cpu_class_init(TsObjectClass *klass, const void *data)
{
    TsCpuClass *cc = (TsCpuClass *)klass;
    cc->read_register = test_cpu_read_register;
    cc->dump_state = test_cpu_dump_state;
}

static const TsTypeInfo test_cpu_type = {
    .name = "test-hmp-cpu",
    .parent = TS_TYPE_CPU,
    .instance_size = sizeof(TestCpu),
    .class_init = test_cpu_class_init,
};

static TestCpu *the_cpu;

/* A device with properties, for device-list-properties. */
typedef struct TestDev {
    TsDevice parent;
    uint64_t size;
    bool fast;
    char *label;
} TestDev;

static const TsProperty test_dev_props[] = {
    TS_PROP_SIZE("size", TestDev, size, 4096, "buffer size"),
    TS_PROP_BOOL("fast", TestDev, fast, true, "go fast"),
    TS_PROP_STRING("label", TestDev, label, NULL, "a name"),
    TS_PROP_END
};

static void test_dev_class_init(TsObjectClass *klass, const void *data)
{
    ts_class_add_properties(klass, test_dev_props);
}

static const TsTypeInfo test_dev_type = {
    .name = "test-hmp-dev",
    .parent = TS_TYPE_DEVICE,
    .instance_size = sizeof(TestDev),
    .class_init = test_dev_class_init,
};

static const TsTypeInfo test_abstract_dev_type = {
    .name = "test-hmp-abstract-dev",
    .parent = TS_TYPE_DEVICE,
    .abstract = true,
};

/* ---- an HMP on a ringbuf ---------------------------------------------------------------- */

typedef struct Mon {
    TsChardev *chr;
    MonitorChardev *mon;
} Mon;

/* Everything the monitor wrote since the last call (g_free). */
static char *output(TsChardev *chr)
{
    g_autoptr(GBytes) b = chardev_ringbuf_read(chr, 1 << 20, NULL);
    g_assert_nonnull(b);
    gsize len;
    const char *data = g_bytes_get_data(b, &len);
    return g_strndup(data ? data : "", len);
}

static Mon mon_open(const char *id)
{
    g_autofree char *opts = g_strdup_printf("ringbuf,id=%s,size=1M", id);
    GError *err = NULL;
    Mon m;
    m.chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    m.mon = monitor_attach_hmp(m.chr, &err);
    g_assert_no_error(err);
    g_assert_nonnull(m.mon);
    return m;
}

static void mon_close(Mon *m)
{
    monitor_detach(m->mon);
    chardev_free(m->chr);
}

static void type(Mon *m, const char *keys)
{
    g_assert_true(chardev_ringbuf_write(m->chr, keys, strlen(keys), NULL));
}

/* CR LF back to LF, to compare with what commands print. */
static char *unix_lines(const char *text)
{
    g_auto(GStrv) parts = g_strsplit(text, "\r\n", -1);
    return g_strjoinv("\n", parts);
}

/* Type a command and Enter; what it printed, between the echo and the
 * next prompt, with LF line ends (g_free). */
static char *hmp(Mon *m, const char *line)
{
    g_free(output(m->chr));
    type(m, line);
    type(m, "\r");
    g_autofree char *out = output(m->chr);
    g_autofree char *echo = g_strdup_printf("%s\r\n", line);
    g_assert_true(g_str_has_prefix(out, echo));
    g_assert_true(g_str_has_suffix(out, HMP_PROMPT));
    g_autofree char *middle = g_strndup(out + strlen(echo),
                                        strlen(out) - strlen(echo) -
                                        strlen(HMP_PROMPT));
    return unix_lines(middle);
}

static void assert_hmp(Mon *m, const char *line, const char *expected)
{
    g_autofree char *got = hmp(m, line);
    if (!g_str_equal(got, expected)) {
        g_test_message("'%s' printed:\n%s\nexpected:\n%s", line, got,
                       expected);
    }
    g_assert_cmpstr(got, ==, expected);
}

static void assert_hmp_contains(Mon *m, const char *line, const char *part)
{
    g_autofree char *got = hmp(m, line);
    if (!strstr(got, part)) {
        g_test_message("'%s' printed:\n%s\nmissing: %s", line, got, part);
    }
    g_assert_nonnull(strstr(got, part));
}

/* ---- tests: sessions and simple commands ----------------------------------------------------- */

static void test_banner_and_prompt(void)
{
    Mon m = mon_open("hb");
    g_autofree char *greeting = output(m.chr);
    g_autofree char *expected = g_strdup_printf("%s%s", banner, HMP_PROMPT);
    g_assert_cmpstr(greeting, ==, expected);

    /* An empty line just prompts again; LF alone ends a line too. */
    type(&m, "\n");
    g_autofree char *lf = output(m.chr);
    g_assert_cmpstr(lf, ==, "\r\n" HMP_PROMPT);
    type(&m, "\r");
    g_autofree char *again = output(m.chr);
    g_assert_cmpstr(again, ==, "\r\n" HMP_PROMPT);
    /* ... and the LF of a CR LF split over two reads is not a second. */
    type(&m, "\n");
    g_autofree char *split = output(m.chr);
    g_assert_cmpstr(split, ==, "");
    /* CR LF is one Enter, not two. */
    type(&m, "\r\n");
    g_autofree char *crlf = output(m.chr);
    g_assert_cmpstr(crlf, ==, "\r\n" HMP_PROMPT);
    mon_close(&m);
}

static void test_unknown_command(void)
{
    Mon m = mon_open("hu");
    assert_hmp(&m, "foo", "unknown command: 'foo'\n");
    assert_hmp(&m, "  foo bar", "unknown command: 'foo'\n");
    assert_hmp(&m, "info foo", "unknown command: 'info foo'\n");
    assert_hmp(&m, "help foo", "unknown command: 'foo'\n");
    assert_hmp(&m, "stop now", "stop: too many arguments\n");
    mon_close(&m);
}

static void test_help(void)
{
    Mon m = mon_open("hh");
    g_autofree char *all = hmp(&m, "help");
    g_assert_nonnull(strstr(all, "cont|c  -- resume emulation\n"));
    g_assert_nonnull(strstr(all, "quit|q  -- quit the emulator\n"));
    g_assert_nonnull(strstr(all, "xp /fmt addr -- physical memory dump"));
    g_assert_nonnull(strstr(all, "x /fmt addr -- virtual memory dump"));
    g_assert_nonnull(strstr(all, "the same as xp"));
    g_autofree char *q = hmp(&m, "?");
    g_assert_cmpstr(q, ==, all);
    assert_hmp(&m, "help c", "cont|c  -- resume emulation\n");
    g_autofree char *info = hmp(&m, "help info");
    g_assert_nonnull(strstr(info, "info version  -- show the version"));
    g_assert_nonnull(strstr(info, "info plugins|modules  -- "));
    assert_hmp(&m, "help info numa", "info numa  -- show NUMA information\n");
    /* Plain `info` lists its subcommands. */
    g_autofree char *bare = hmp(&m, "info");
    g_assert_cmpstr(bare, ==, info);
    mon_close(&m);
}

static void test_vm_control(void)
{
    install_vm_hooks();
    Mon m = mon_open("hv");
    assert_hmp(&m, "info status", "VM status: paused (prelaunch)\n");
    assert_hmp(&m, "cont", "");
    g_assert_cmpint(vm.conts, ==, 1);
    assert_hmp(&m, "info status", "VM status: running\n");
    assert_hmp(&m, "stop", "");
    g_assert_cmpint(vm.stops, ==, 1);
    assert_hmp(&m, "info status", "VM status: paused\n");
    assert_hmp(&m, "c", "");
    g_assert_cmpint(vm.conts, ==, 2);
    vm.cont_fails = true;
    assert_hmp(&m, "cont", "Error: cannot run: no disk\n");
    assert_hmp(&m, "system_reset", "");
    g_assert_cmpint(vm.resets, ==, 1);
    assert_hmp(&m, "system_powerdown", "");
    g_assert_cmpint(vm.powerdowns, ==, 1);
    assert_hmp(&m, "info name", "guest-one\n");

    /* quit acts after its output is out. */
    assert_hmp(&m, "q", "");
    g_assert_cmpint(vm.quits, ==, 1);
    assert_hmp(&m, "quit", "");
    g_assert_cmpint(vm.quits, ==, 2);

    /* Without hooks the commands say so instead of crashing. */
    qmp_set_vm_hooks(NULL);
    assert_hmp(&m, "stop",
               "Error: stop is not available in this configuration\n");
    assert_hmp(&m, "quit",
               "Error: quit is not available in this configuration\n");
    assert_hmp_contains(&m, "info status", "not available");
    assert_hmp(&m, "info name", "");
    mon_close(&m);
}

static const char *fixed_uuid(void)
{
    return "6c9f0c55-2b8e-4b2a-9d4e-2b5f5b0d7a11";
}

static void numa_two_nodes(MonitorNumaFn fn, void *opaque)
{
    static const unsigned cpus0[] = { 0, 1 };
    static const unsigned cpus1[] = { 2 };
    MonitorNumaNode n0 = { 512u << 20, cpus0, 2 };
    MonitorNumaNode n1 = { 256u << 20, cpus1, 1 };
    fn(0, &n0, opaque);
    fn(1, &n1, opaque);
}

static void test_info(void)
{
    Mon m = mon_open("hi");
    assert_hmp(&m, "info version",
               TS_VERSION " (tessera-" TS_VERSION ")\n");
    assert_hmp(&m, "info uuid", "00000000-0000-0000-0000-000000000000\n");
    assert_hmp(&m, "info numa", "0 nodes\n");
    MonitorHooks hooks = {
        .vm_uuid = fixed_uuid,
        .foreach_numa_node = numa_two_nodes,
    };
    monitor_set_hooks(&hooks);
    assert_hmp(&m, "info uuid", "6c9f0c55-2b8e-4b2a-9d4e-2b5f5b0d7a11\n");
    assert_hmp(&m, "info numa",
               "2 nodes\n"
               "node 0 cpus: 0 1\nnode 0 size: 512 MB\nnode 0 plugged: 0 MB\n"
               "node 1 cpus: 2\nnode 1 size: 256 MB\nnode 1 plugged: 0 MB\n");
    monitor_set_hooks(NULL);

    assert_hmp_contains(&m, "info chardev", "hi: filename=ringbuf\n");
    assert_hmp_contains(&m, "info mtree", "address-space: memory\n");
    assert_hmp_contains(&m, "info mtree",
                        "0000000080000000-0000000080000fff (prio 0, ram): "
                        "hmp-ram\n");
    assert_hmp_contains(&m, "info mtree -f",
                        "0000000080000000-0000000080000fff (ram) hmp-ram");
    assert_hmp(&m, "info mtree -x",
               "info mtree: unknown option '-x' (only -f)\n");
    g_autofree char *plugins = hmp(&m, "info plugins");
    g_autofree char *modules = hmp(&m, "info modules");
    g_assert_cmpstr(plugins, ==, modules);
    g_assert_cmpstr(plugins, ==, "no plugins loaded\n");
    assert_hmp(&m, "info qtree", "no machine\n");
    mon_close(&m);
}

static void test_cpus_and_registers(void)
{
    Mon m = mon_open("hc");
    assert_hmp(&m, "info cpus", "* CPU #0:\n");
    assert_hmp(&m, "info registers", " pc       0000000080000040\n");
    assert_hmp(&m, "info registers -a",
               "\nCPU#0\n pc       0000000080000040\n");
    assert_hmp(&m, "info registers 3", "CPU#3 not available\n");
    assert_hmp(&m, "info registers zz",
               "info registers: invalid CPU index 'zz'\n");
    assert_hmp(&m, "cpu 1", "invalid CPU index\n");
    assert_hmp(&m, "cpu 0", "");
    mon_close(&m);
}

/* ---- print ------------------------------------------------------------------------------------ */

static void test_print(void)
{
    Mon m = mon_open("hp");
    assert_hmp(&m, "p 10", "0xa\n");
    assert_hmp(&m, "p 0", "0\n");
    assert_hmp(&m, "print 1+2*3", "0x7\n");
    assert_hmp(&m, "p/d -5", "-5\n");
    /* The last format sticks, as in QEMU. */
    assert_hmp(&m, "p 0x10", "16\n");
    assert_hmp(&m, "p/x (1+2)*3", "0x9\n");
    assert_hmp(&m, "p/u -1", "18446744073709551615\n");
    assert_hmp(&m, "p/o 8", "010\n");
    assert_hmp(&m, "p/c 65", "'A'\n");
    assert_hmp(&m, "p/c 10", "'\\n'\n");
    assert_hmp(&m, "p/c 1", "'\\x01'\n");
    assert_hmp(&m, "p /x 1<<4", "0x10\n");
    assert_hmp(&m, "p $pc", "0x80000040\n");
    assert_hmp(&m, "p $pc + $sp*2", "0x80002040\n");
    assert_hmp(&m, "p $nosuch", "unknown register '$nosuch'\n");
    assert_hmp(&m, "p 1/0", "division by zero\n");
    assert_hmp(&m, "p 7 % (3-3)", "division by zero\n");
    assert_hmp(&m, "p (1", "')' expected\n");
    assert_hmp(&m, "p", "print: expression expected\n");
    assert_hmp(&m, "p/z 1", "invalid char in format: 'z'\n");
    mon_close(&m);
}

/* ---- x and xp on real RAM ------------------------------------------------------------------------ */

static TsMemoryRegion *ram;

static void setup_ram(void)
{
    GError *err = NULL;
    ram = ts_memory_region_new_ram("hmp-ram", 0x1000, &err);
    g_assert_no_error(err);
    g_assert_true(ts_memory_region_add_subregion(ts_machine_system_memory(),
                                                 RAM_BASE, ram, 0));
    uint8_t *p = ts_memory_region_host_ptr(ram);
    for (int i = 0; i < 32; i++) {
        p[i] = (uint8_t)(i + 1);
    }
    /* Text and signed values further on. */
    memcpy(p + 0x100, "Hi\n\x01\\'", 6);
    p[0x200] = 0xff;                    /* -1 as a byte */
    p[0x201] = 0xfe; p[0x202] = 0xff;   /* -2 as a half-word at 0x201 */
}

static void test_xp_formats(void)
{
    Mon m = mon_open("hx");
    assert_hmp(&m, "xp/4xb 0x80000000",
               "0000000080000000: 0x01 0x02 0x03 0x04\n");
    assert_hmp(&m, "xp/2xw 0x80000000",
               "0000000080000000: 0x04030201 0x08070605\n");
    assert_hmp(&m, "xp/1xg 0x80000000",
               "0000000080000000: 0x0807060504030201\n");
    assert_hmp(&m, "xp/3xh 0x80000000",
               "0000000080000000: 0x0201 0x0403 0x0605\n");
    /* Bytes go 8 to a line, bigger units 16 bytes to a line. */
    assert_hmp(&m, "xp/10xb 0x80000000",
               "0000000080000000: 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08\n"
               "0000000080000008: 0x09 0x0a\n");
    assert_hmp(&m, "xp/5xw 0x80000000",
               "0000000080000000: 0x04030201 0x08070605 0x0c0b0a09 "
               "0x100f0e0d\n"
               "0000000080000010: 0x14131211\n");
    /* Decimal, unsigned, octal: padded to the unit's widest value. */
    assert_hmp(&m, "xp/3db 0x80000200", "0000000080000200:  -1  -2  -1\n");
    assert_hmp(&m, "xp/3ub 0x80000200", "0000000080000200: 255 254 255\n");
    assert_hmp(&m, "xp/1dh 0x80000201", "0000000080000201:    -2\n");
    assert_hmp(&m, "xp/2ob 0x80000000", "0000000080000000:  01  02\n");
    assert_hmp(&m, "xp/1uw 0x80000000", "0000000080000000:   67305985\n");
    /* Characters, whatever unit was asked. */
    assert_hmp(&m, "xp/6c 0x80000100",
               "0000000080000100: 'H' 'i' '\\n' '\\x01' '\\\\' '\\''\n");
    assert_hmp(&m, "xp/2cw 0x80000100", "0000000080000100: 'H' 'i'\n");
    /* The address is an expression. */
    assert_hmp(&m, "xp/1xb 0x80000000 + 2*2",
               "0000000080000004: 0x05\n");
    assert_hmp(&m, "xp /2xb $pc - 0x40",
               "0000000080000000: 0x01 0x02\n");
    /* Without /fmt: the format and size of the last dump, count 1. */
    assert_hmp(&m, "xp/2xh 0x80000000", "0000000080000000: 0x0201 0x0403\n");
    assert_hmp(&m, "xp 0x80000000", "0000000080000000: 0x0201\n");
    assert_hmp(&m, "xp/3 0x80000000",
               "0000000080000000: 0x0201 0x0403 0x0605\n");
    assert_hmp(&m, "xp/0x 0x80000000", "");
    mon_close(&m);

    /* A fresh session starts with 32-bit hex. */
    Mon fresh = mon_open("hx2");
    assert_hmp(&fresh, "xp 0x80000000", "0000000080000000: 0x04030201\n");
    /* x reads the same memory until CPUs translate for the monitor. */
    assert_hmp(&fresh, "x/2xb 0x80000001", "0000000080000001: 0x02 0x03\n");
    mon_close(&fresh);
}

static void test_xp_errors(void)
{
    Mon m = mon_open("hxe");
    assert_hmp(&m, "xp/4x 0x10", "0000000000000010: Cannot access memory\n");
    /* The first line is in RAM, the second runs past its end. */
    assert_hmp(&m, "xp/8xw 0x80000ff0",
               "0000000080000ff0: 0x00000000 0x00000000 0x00000000 "
               "0x00000000\n"
               "0000000080001000: Cannot access memory\n");
    assert_hmp(&m, "xp/2xg 0xfffffffffffffff8",
               "fffffffffffffff8: Cannot access memory\n");
    assert_hmp(&m, "xp/4i 0x80000000",
               "Error: the 'i' format (disassembly) is not supported yet\n");
    assert_hmp(&m, "x/4i $pc",
               "Error: the 'i' format (disassembly) is not supported yet\n");
    assert_hmp(&m, "xp/4q 0x80000000", "invalid char in format: 'q'\n");
    assert_hmp(&m, "xp/4x", "missing address\n");
    assert_hmp(&m, "xp/4x 0x80000000 +", "unexpected end of expression\n");
    assert_hmp(&m, "xp/4x 1/0", "division by zero\n");
    /* At the limit it is still done (and stops where RAM ends). */
    g_autofree char *limit = hmp(&m, "xp/8192xg 0x80000000");
    g_assert_true(g_str_has_prefix(limit, "0000000080000000: "
                                   "0x0807060504030201 0x100f0e0d0c0b0a09\n"));
    g_assert_true(g_str_has_suffix(limit, "0000000080000ff0: "
                                   "0x0000000000000000 0x0000000000000000\n"
                                   "0000000080001000: Cannot access memory\n"));
    assert_hmp(&m, "xp/8193xg 0x80000000",
               "Error: at most 65536 bytes can be dumped at once\n");
    assert_hmp(&m, "xp/99999999999999999999999x 0",
               "invalid count in format\n");
    mon_close(&m);
}

/* ---- line editing ------------------------------------------------------------------------------------ */

typedef struct Editor {
    GString *echo;
    GPtrArray *lines;
} Editor;

static void editor_out(const char *data, size_t len, void *opaque)
{
    Editor *e = opaque;
    g_string_append_len(e->echo, data, len);
}

static void editor_line(const char *line, void *opaque)
{
    Editor *e = opaque;
    g_ptr_array_add(e->lines, g_strdup(line));
}

static void feed(ReadLine *rl, const char *keys)
{
    readline_feed(rl, (const uint8_t *)keys, strlen(keys));
}

#define LEFT "\033[D"
#define RIGHT "\033[C"
#define UP "\033[A"
#define DOWN "\033[B"

static void test_readline_editing(void)
{
    Editor e = { g_string_new(NULL), g_ptr_array_new_with_free_func(g_free) };
    ReadLine *rl = readline_new("> ", editor_out, editor_line, &e);

    /* Plain typing is echoed as is. */
    feed(rl, "helo");
    g_assert_cmpstr(e.echo->str, ==, "helo");
    /* Insert in the middle: the line is redrawn, cursor put back. */
    feed(rl, LEFT "l");
    g_assert_cmpstr(readline_line(rl), ==, "hello");
    g_assert_cmpuint(readline_cursor(rl), ==, 4);
    g_assert_true(g_str_has_suffix(e.echo->str, "\r> hello\033[K\033[1D"));
    /* Home and End, in their several spellings. */
    feed(rl, "\033[H>");
    g_assert_cmpstr(readline_line(rl), ==, ">hello");
    feed(rl, "\033[F!");
    g_assert_cmpstr(readline_line(rl), ==, ">hello!");
    feed(rl, "\033[1~[");
    feed(rl, "\033[4~]");
    feed(rl, "\033OH(");
    feed(rl, "\033OF)");
    g_assert_cmpstr(readline_line(rl), ==, "([>hello!])");
    /* Ctrl-a / Ctrl-e, Backspace (DEL and Ctrl-h), Delete and Ctrl-d. */
    feed(rl, "\001\033[3~\004");
    g_assert_cmpstr(readline_line(rl), ==, ">hello!])");
    feed(rl, "\005\177\010");
    g_assert_cmpstr(readline_line(rl), ==, ">hello!");
    /* Right at the end and Left at the start do nothing. */
    feed(rl, RIGHT "\001" LEFT "\002");
    g_assert_cmpuint(readline_cursor(rl), ==, 0);
    feed(rl, "\006\006");                        /* Ctrl-f twice */
    g_assert_cmpuint(readline_cursor(rl), ==, 2);
    /* Ctrl-k kills to the end, Ctrl-u to the start. */
    feed(rl, "\013");
    g_assert_cmpstr(readline_line(rl), ==, ">h");
    feed(rl, "\025");
    g_assert_cmpstr(readline_line(rl), ==, "");
    /* Ctrl-w kills the word before the cursor and the spaces after it. */
    feed(rl, "info  mtree  ");
    feed(rl, "\027");
    g_assert_cmpstr(readline_line(rl), ==, "info  ");
    feed(rl, "\027");
    g_assert_cmpstr(readline_line(rl), ==, "");
    /* Unknown escape sequences and control keys vanish. */
    feed(rl, "a\033[5~\033[1;5Cb\033Zc\t\007");
    g_assert_cmpstr(readline_line(rl), ==, "abc");
    feed(rl, "\r");
    g_assert_cmpuint(e.lines->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(e.lines, 0), ==, "abc");
    g_assert_cmpstr(readline_line(rl), ==, "");

    /* Overlong lines are cut with a bell, not grown forever. */
    g_autofree char *big = g_strnfill(READLINE_MAX_LINE + 100, 'x');
    feed(rl, big);
    g_assert_cmpuint(strlen(readline_line(rl)), ==, READLINE_MAX_LINE);
    feed(rl, "\025");

    readline_free(rl);
    g_string_free(e.echo, TRUE);
    g_ptr_array_unref(e.lines);
}

static void test_readline_history(void)
{
    Editor e = { g_string_new(NULL), g_ptr_array_new_with_free_func(g_free) };
    ReadLine *rl = readline_new("> ", editor_out, editor_line, &e);
    feed(rl, "first\rsecond\rsecond\r\rthird\r");
    /* Empty lines and repeats are not remembered. */
    g_assert_cmpuint(readline_history_len(rl), ==, 3);
    g_assert_cmpstr(readline_history_entry(rl, 0), ==, "first");
    g_assert_cmpstr(readline_history_entry(rl, 2), ==, "third");
    g_assert_null(readline_history_entry(rl, 3));

    feed(rl, "draft");
    feed(rl, UP);
    g_assert_cmpstr(readline_line(rl), ==, "third");
    feed(rl, UP UP);
    g_assert_cmpstr(readline_line(rl), ==, "first");
    feed(rl, UP);                               /* stays at the oldest */
    g_assert_cmpstr(readline_line(rl), ==, "first");
    feed(rl, DOWN);
    g_assert_cmpstr(readline_line(rl), ==, "second");
    /* Ctrl-n / Ctrl-p walk it too; past the newest is the draft again. */
    feed(rl, "\016\016");
    g_assert_cmpstr(readline_line(rl), ==, "draft");
    feed(rl, DOWN);
    g_assert_cmpstr(readline_line(rl), ==, "draft");
    feed(rl, "\020");
    g_assert_cmpstr(readline_line(rl), ==, "third");
    /* A recalled line can be edited and run. */
    feed(rl, "\177\177X\r");
    g_assert_cmpstr(g_ptr_array_index(e.lines, e.lines->len - 1), ==,
                    "thiX");
    g_assert_cmpstr(readline_history_entry(rl, 3), ==, "thiX");

    /* The history is bounded. */
    for (int i = 0; i < READLINE_HISTORY_SIZE + 10; i++) {
        g_autofree char *cmd = g_strdup_printf("cmd%d\r", i);
        feed(rl, cmd);
    }
    g_assert_cmpuint(readline_history_len(rl), ==, READLINE_HISTORY_SIZE);
    readline_free(rl);
    g_string_free(e.echo, TRUE);
    g_ptr_array_unref(e.lines);
}

/* Editing keys through a whole session: what runs is the edited line. */
static void test_session_editing(void)
{
    Mon m = mon_open("he");
    g_free(output(m.chr));
    type(&m, "info verion" LEFT LEFT LEFT "s\r");
    g_autofree char *out = output(m.chr);
    g_autofree char *expect = g_strdup_printf(TS_VERSION " (tessera-"
                                              TS_VERSION ")\r\n" HMP_PROMPT);
    g_assert_true(g_str_has_suffix(out, expect));

    /* Up recalls the last command; Enter runs it again. */
    type(&m, "p 1+1\r");
    g_free(output(m.chr));
    type(&m, UP "\r");
    g_autofree char *again = output(m.chr);
    g_assert_true(g_str_has_suffix(again, "\r\n0x2\r\n" HMP_PROMPT));
    /* Up twice, edit, run: "info version" became "info uuid"... */
    type(&m, UP UP "\025info uuid\r");
    g_autofree char *uuid = output(m.chr);
    g_assert_true(g_str_has_suffix(
        uuid, "00000000-0000-0000-0000-000000000000\r\n" HMP_PROMPT));
    mon_close(&m);
}

/* Random keys and command fragments: no crash, no hang, and the monitor
 * still answers afterwards (ASan/UBSan watch the rest). */
static void test_random_input(void)
{
    static const char *const pieces[] = {
        "x", "xp", "p", "print", "info", "help", "cpu", "stop", "/", "10",
        "x", "b", "h", "w", "g", "c", "d", "u", "o", "i", "$pc", "$", "(",
        ")", "+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "~", "0x",
        "0x80000000", "0xfffffffffffffff0", "99999999999999999999", "'",
        " ", " ", " ", "registers", "mtree", "qtree", "-a", "-f",
        "\033[D", "\033[C", "\033[A", "\033[B", "\033[3~", "\033O",
        "\033[", "\001", "\005", "\013", "\025", "\027", "\177",
        "\010", "\004", "\r", "\n", "\377", "\000",
    };
    qmp_set_vm_hooks(NULL);
    Mon m = mon_open("hr");
    GRand *rand = g_rand_new_with_seed(1234);
    for (int i = 0; i < 20000; i++) {
        const char *piece = pieces[g_rand_int_range(rand, 0,
                                                    G_N_ELEMENTS(pieces))];
        /* "\000" is one NUL byte; everything else is a C string. */
        size_t len = piece[0] ? strlen(piece) : 1;
        chardev_ringbuf_write(m.chr, piece, len, NULL);
        if (i % 64 == 0) {
            g_free(output(m.chr));
        }
    }
    g_rand_free(rand);
    /* Whatever state the line was left in, Ctrl-u clears it. */
    type(&m, "\025\r");
    assert_hmp(&m, "p/x 6*7", "0x2a\n");
    mon_close(&m);
}

/* ---- monitors on a mux and on a reconnecting socket --------------------------------------------- */

static size_t serial_can_receive(void *opaque) { return 4096; }
static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    g_byte_array_append(opaque, buf, len);
}
static const TsChardevHandlers serial_handlers = {
    .can_receive = serial_can_receive,
    .receive = serial_receive,
};

static void pump(int ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static void test_mux(void)
{
    GError *err = NULL;
    TsChardev *mux = chardev_new_from_opts("ringbuf,id=mx,mux=on,size=64K",
                                           &err);
    g_assert_no_error(err);
    TsChardev *base = ts_chardev_find("mx-base");
    g_assert_nonnull(base);
    GByteArray *serial_in = g_byte_array_new();
    g_assert_true(ts_chardev_attach(mux, &serial_handlers, serial_in, NULL));
    MonitorChardev *mon = monitor_attach_hmp(mux, &err);
    g_assert_no_error(err);
    /* The monitor attached last has the input: banner and one prompt,
     * once the main loop runs. */
    g_autofree char *early = output(base);
    g_assert_cmpstr(early, ==, "");
    pump(20);
    g_autofree char *first = output(base);
    g_autofree char *expected = g_strdup_printf("%s%s", banner, HMP_PROMPT);
    g_assert_cmpstr(first, ==, expected);

    chardev_ringbuf_write(base, "p 2\r", 4, NULL);
    g_autofree char *p2 = output(base);
    g_assert_cmpstr(p2, ==, "p 2\r\n0x2\r\n" HMP_PROMPT);

    /* Ctrl-a c: the serial port gets the input, the monitor stays quiet. */
    chardev_ringbuf_write(base, "\001cabc", 5, NULL);
    g_assert_cmpmem(serial_in->data, serial_in->len, "abc", 3);
    g_autofree char *quiet = output(base);
    g_assert_cmpstr(quiet, ==, "");
    /* Back to the monitor: the prompt again, and the monitor works. */
    chardev_ringbuf_write(base, "\001c", 2, NULL);
    g_autofree char *back = output(base);
    g_assert_cmpstr(back, ==, HMP_PROMPT);
    chardev_ringbuf_write(base, "p 3\r", 4, NULL);
    g_autofree char *p3 = output(base);
    g_assert_cmpstr(p3, ==, "p 3\r\n0x3\r\n" HMP_PROMPT);

    monitor_detach(mon);
    ts_chardev_detach(mux, serial_in);
    chardev_free(mux);
    g_byte_array_unref(serial_in);
}

/* -nographic: monitor attached first, then the serial port, which takes
 * the input.  The monitor stays silent until Ctrl-a c, as in QEMU. */
static void test_mux_serial_first(void)
{
    GError *err = NULL;
    TsChardev *mux = chardev_new_from_opts("ringbuf,id=mg,mux=on,size=64K",
                                           &err);
    g_assert_no_error(err);
    TsChardev *base = ts_chardev_find("mg-base");
    MonitorChardev *mon = monitor_attach_hmp(mux, &err);
    g_assert_no_error(err);
    GByteArray *serial_in = g_byte_array_new();
    g_assert_true(ts_chardev_attach(mux, &serial_handlers, serial_in, NULL));
    pump(20);
    g_autofree char *quiet = output(base);
    g_assert_cmpstr(quiet, ==, "");
    chardev_ringbuf_write(base, "ls\r", 3, NULL);
    g_assert_cmpmem(serial_in->data, serial_in->len, "ls\r", 3);

    chardev_ringbuf_write(base, "\001c", 2, NULL);
    g_autofree char *hello = output(base);
    g_autofree char *expected = g_strdup_printf("%s%s", banner, HMP_PROMPT);
    g_assert_cmpstr(hello, ==, expected);
    chardev_ringbuf_write(base, "p 4\r", 4, NULL);
    g_autofree char *p4 = output(base);
    g_assert_cmpstr(p4, ==, "p 4\r\n0x4\r\n" HMP_PROMPT);
    /* Away and back: the prompt only, not the banner again. */
    chardev_ringbuf_write(base, "\001c\001c", 4, NULL);
    g_autofree char *back = output(base);
    g_assert_cmpstr(back, ==, HMP_PROMPT);

    monitor_detach(mon);
    ts_chardev_detach(mux, serial_in);
    chardev_free(mux);
    g_byte_array_unref(serial_in);
}

/* Read from a socket until `until` shows up (or 5 s pass). */
static char *read_until(int fd, const char *until)
{
    GString *got = g_string_new(NULL);
    int64_t end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!strstr(got->str, until) && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 1) == 1) {
            char buf[4096];
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0) {
                break;
            }
            g_string_append_len(got, buf, n);
        }
    }
    return g_string_free(got, FALSE);
}

static int unix_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    return fd;
}

static void test_socket_reconnect(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-hmp-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "mon.sock", NULL);
    g_autofree char *opts =
        g_strdup_printf("socket,id=hs,path=%s,server=on,wait=off", path);
    GError *err = NULL;
    TsChardev *chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    MonitorChardev *mon = monitor_attach_hmp(chr, &err);
    g_assert_no_error(err);

    for (int round = 0; round < 2; round++) {
        int fd = unix_connect(path);
        g_autofree char *hello = read_until(fd, HMP_PROMPT);
        g_assert_true(g_str_has_prefix(hello, banner));
        g_assert_true(g_str_has_suffix(hello, HMP_PROMPT));
        /* A half-typed line must not survive into the next session. */
        const char *cmd = round == 0 ? "p 5\rp 99" : "p 6\r";
        g_assert_cmpint(write(fd, cmd, strlen(cmd)), ==, (ssize_t)strlen(cmd));
        g_autofree char *reply = read_until(fd, round == 0 ? "p 99"
                                                           : "0x6\r\n");
        g_assert_nonnull(strstr(reply, round == 0 ? "0x5\r\n" : "0x6\r\n"));
        g_assert_null(strstr(reply, "0x99"));
        close(fd);
        pump(50);
    }
    monitor_detach(mon);
    chardev_free(chr);
    rmdir(dir);
}

/* Read from fd, running the main loop, until `until` arrived or the peer
 * went silent for a second; everything read.  For big amounts. */
static GString *read_all_until(int fd, const char *until)
{
    GString *got = g_string_new(NULL);
    int64_t quiet_since = g_get_monotonic_time();
    size_t searched = 0, ulen = strlen(until);
    while (g_get_monotonic_time() - quiet_since < G_USEC_PER_SEC) {
        g_main_context_iteration(NULL, FALSE);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 1) != 1) {
            continue;
        }
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        g_string_append_len(got, buf, n);
        quiet_since = g_get_monotonic_time();
        if (strstr(got->str + searched, until)) {
            break;
        }
        searched = got->len > ulen ? got->len - ulen : 0;
    }
    return got;
}

/*
 * Events reach a QMP peer whether or not it reads (not reading commands
 * holds back replies only).  Past 1 MiB of unread output an event is left
 * out for that peer, whole, so that a guest resetting in a loop cannot
 * fill memory through an idle client; a reply still always gets through.
 */
static void test_qmp_event_backlog(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-hmp-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
    g_autofree char *opts =
        g_strdup_printf("socket,id=qe,path=%s,server=on,wait=off", path);
    GError *err = NULL;
    TsChardev *chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    MonitorChardev *mon = monitor_attach_qmp(chr, false, &err);
    g_assert_no_error(err);
    int fd = unix_connect(path);
    g_autofree char *greeting = read_until(fd, "\r\n");
    g_assert_nonnull(strstr(greeting, "\"QMP\""));
    const char *neg = "{\"execute\": \"qmp_capabilities\"}";
    g_assert_cmpint(write(fd, neg, strlen(neg)), ==, (ssize_t)strlen(neg));
    g_autofree char *ok = read_until(fd, "\r\n");
    g_assert_cmpstr(ok, ==, "{\"return\": {}}\r\n");

    /* About 4 MiB of events, none read. */
    const int events = 40000;
    JsonObject *data = json_object_new();
    json_object_set_boolean_member(data, "guest", true);
    json_object_set_string_member(data, "reason", "guest-reset");
    for (int i = 0; i < events; i++) {
        qmp_emit_event("RESET", data);
    }
    json_object_unref(data);
    size_t pending = chardev_output_pending(chr);
    g_assert_cmpuint(pending, >, 512 * 1024);
    g_assert_cmpuint(pending, <=, 1024 * 1024 + 1024);

    /* A command: its reply comes after the events that were kept. */
    const char *cmd = "{\"execute\": \"query-uuid\", \"id\": \"last\"}";
    g_assert_cmpint(write(fd, cmd, strlen(cmd)), ==, (ssize_t)strlen(cmd));
    GString *got = read_all_until(fd, "\"id\": \"last\"}\r\n");
    g_auto(GStrv) lines = g_strsplit(got->str, "\r\n", -1);
    guint n = g_strv_length(lines);
    g_assert_cmpuint(n, >=, 2);
    g_assert_cmpstr(lines[n - 1], ==, "");
    g_assert_true(g_str_has_prefix(lines[n - 2], "{\"return\": {\"UUID\""));
    g_assert_true(g_str_has_suffix(lines[n - 2], "\"id\": \"last\"}"));
    /* Every event before it whole. */
    for (guint i = 0; i + 2 < n; i++) {
        g_assert_true(g_str_has_prefix(lines[i], "{\"timestamp\": {"));
        g_assert_true(g_str_has_suffix(lines[i], "\"event\": \"RESET\", "
                      "\"data\": {\"guest\": true, \"reason\": "
                      "\"guest-reset\"}}"));
    }
    g_assert_cmpuint(n - 2, <, (guint)events);
    g_assert_cmpuint(n - 2, >, 1000);
    g_string_free(got, TRUE);

    close(fd);
    monitor_detach(mon);
    chardev_free(chr);
    rmdir(dir);
}

/* ---- QMP on a chardev and the commands of qmp-commands-more.c ----------------------------------- */

static void test_qmp_chardev(void)
{
    GError *err = NULL;
    TsChardev *chr = chardev_new_from_opts("ringbuf,id=qm,size=64K", &err);
    g_assert_no_error(err);
    MonitorChardev *mon = monitor_attach_qmp(chr, false, &err);
    g_assert_no_error(err);
    g_autofree char *greeting = output(chr);
    g_assert_true(g_str_has_prefix(greeting, "{\"QMP\": {\"version\": "));
    g_assert_true(g_str_has_suffix(greeting, "\"capabilities\": []}}\r\n"));
    const char *neg = "{\"execute\": \"qmp_capabilities\", \"id\": 1}";
    chardev_ringbuf_write(chr, neg, strlen(neg), NULL);
    g_autofree char *reply = output(chr);
    g_assert_cmpstr(reply, ==, "{\"return\": {}, \"id\": 1}\r\n");

    /* A second frontend on a plain chardev is refused. */
    g_assert_null(monitor_attach_hmp(chr, &err));
    g_assert_nonnull(strstr(err->message, "already in use"));
    g_clear_error(&err);
    monitor_detach(mon);
    chardev_free(chr);

    /* pretty=on: one member per line. */
    chr = chardev_new_from_opts("ringbuf,id=qp,size=64K", &err);
    mon = monitor_attach_qmp(chr, true, &err);
    g_assert_no_error(err);
    g_autofree char *pretty = output(chr);
    g_assert_true(g_str_has_prefix(pretty, "{\n    \"QMP\": {\n        "
                                   "\"version\": {\n"));
    g_assert_true(g_str_has_suffix(pretty, "        \"capabilities\": []\n"
                                   "    }\n}\r\n"));
    const char *q = "{\"execute\": \"qmp_capabilities\"}"
                    "{\"execute\": \"query-uuid\", \"id\": \"a,b\"}";
    chardev_ringbuf_write(chr, q, strlen(q), NULL);
    g_autofree char *replies = output(chr);
    g_assert_cmpstr(replies, ==,
                    "{\n    \"return\": {}\n}\r\n"
                    "{\n    \"return\": {\n        \"UUID\": "
                    "\"00000000-0000-0000-0000-000000000000\"\n    },\n"
                    "    \"id\": \"a,b\"\n}\r\n");
    monitor_detach(mon);
    chardev_free(chr);
}

/* A QMP session that collects its replies. */
static void collect(const char *data, size_t len, void *opaque)
{
    g_string_append_len(opaque, data, len);
}

static QmpSession *qmp_open(GString *out)
{
    QmpSession *s = qmp_session_new(collect, out);
    const char *neg = "{\"execute\": \"qmp_capabilities\"}";
    qmp_session_feed(s, neg, strlen(neg));
    g_string_truncate(out, 0);
    return s;
}

/* The one reply to a request, parsed; the caller unrefs. */
static JsonNode *qmp_call(QmpSession *s, GString *out, const char *request)
{
    g_string_truncate(out, 0);
    qmp_session_feed(s, request, strlen(request));
    JsonParser *parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, out->str, -1, NULL));
    JsonNode *node = json_node_copy(json_parser_get_root(parser));
    g_object_unref(parser);
    return node;
}

static JsonNode *qmp_return(QmpSession *s, GString *out, const char *request)
{
    JsonNode *reply = qmp_call(s, out, request);
    JsonObject *obj = json_node_get_object(reply);
    if (!json_object_has_member(obj, "return")) {
        g_test_message("%s -> %s", request, out->str);
    }
    g_assert_true(json_object_has_member(obj, "return"));
    JsonNode *ret = json_node_copy(json_object_get_member(obj, "return"));
    json_node_unref(reply);
    return ret;
}

static void assert_qmp_error(QmpSession *s, GString *out, const char *request,
                             const char *cls, const char *desc)
{
    JsonNode *reply = qmp_call(s, out, request);
    JsonObject *error = json_object_get_object_member(
        json_node_get_object(reply), "error");
    g_assert_nonnull(error);
    g_assert_cmpstr(json_object_get_string_member(error, "class"), ==, cls);
    g_assert_cmpstr(json_object_get_string_member(error, "desc"), ==, desc);
    json_node_unref(reply);
}

static void test_human_monitor_command(void)
{
    install_vm_hooks();
    GString *out = g_string_new(NULL);
    QmpSession *s = qmp_open(out);
    JsonNode *r = qmp_return(s, out, "{\"execute\": \"human-monitor-command\","
                             " \"arguments\": {\"command-line\": \"info uuid\"}}");
    g_assert_cmpstr(json_node_get_string(r), ==,
                    "00000000-0000-0000-0000-000000000000\n");
    json_node_unref(r);
    r = qmp_return(s, out, "{\"execute\": \"human-monitor-command\","
                   " \"arguments\": {\"command-line\": \"foo\"}}");
    g_assert_cmpstr(json_node_get_string(r), ==, "unknown command: 'foo'\n");
    json_node_unref(r);
    r = qmp_return(s, out, "{\"execute\": \"human-monitor-command\", "
                   "\"arguments\": {\"command-line\": "
                   "\"xp/2xb 0x80000000\"}}");
    g_assert_cmpstr(json_node_get_string(r), ==,
                    "0000000080000000: 0x01 0x02\n");
    json_node_unref(r);
    r = qmp_return(s, out, "{\"execute\": \"human-monitor-command\", "
                   "\"arguments\": {\"command-line\": \"p $pc\", "
                   "\"cpu-index\": 0}}");
    g_assert_cmpstr(json_node_get_string(r), ==, "0x80000040\n");
    json_node_unref(r);
    /* An empty line prints nothing. */
    r = qmp_return(s, out, "{\"execute\": \"human-monitor-command\", "
                   "\"arguments\": {\"command-line\": \"\"}}");
    g_assert_cmpstr(json_node_get_string(r), ==, "");
    json_node_unref(r);

    /* stop goes through the shared hooks, and QMP's STOP would follow. */
    r = qmp_return(s, out, "{\"execute\": \"human-monitor-command\", "
                   "\"arguments\": {\"command-line\": \"stop\"}}");
    json_node_unref(r);
    g_assert_cmpint(vm.stops, ==, 1);

    /* quit: the reply comes first, then the SHUTDOWN event, then quit. */
    g_string_truncate(out, 0);
    const char *quit = "{\"execute\": \"human-monitor-command\", "
                       "\"arguments\": {\"command-line\": \"quit\"}}";
    qmp_session_feed(s, quit, strlen(quit));
    g_assert_cmpint(vm.quits, ==, 1);
    const char *ret_at = strstr(out->str, "{\"return\": \"\"}");
    const char *event_at = strstr(out->str, "\"event\": \"SHUTDOWN\"");
    g_assert_nonnull(ret_at);
    g_assert_nonnull(event_at);
    g_assert_true(ret_at < event_at);
    g_assert_nonnull(strstr(out->str, "\"reason\": \"host-qmp-quit\""));

    assert_qmp_error(s, out, "{\"execute\": \"human-monitor-command\", "
                     "\"arguments\": {\"command-line\": \"p 1\", "
                     "\"cpu-index\": 5}}", "GenericError",
                     "Parameter 'cpu-index' expects a CPU number");
    assert_qmp_error(s, out, "{\"execute\": \"human-monitor-command\"}",
                     "GenericError", "Parameter 'command-line' is missing");
    qmp_session_free(s);
    g_string_free(out, TRUE);
    qmp_set_vm_hooks(NULL);
}

static void two_machines(MonitorMachineFn fn, void *opaque)
{
    MonitorMachineInfo virt = { .name = "virt", .is_default = true,
                                .cpu_max = 512,
                                .default_cpu_type = "rv64-riscv-cpu" };
    MonitorMachineInfo none = { .name = "none", .cpu_max = 0 };
    fn(&virt, opaque);
    fn(&none, opaque);
}

static void test_qmp_queries(void)
{
    GString *out = g_string_new(NULL);
    QmpSession *s = qmp_open(out);
    JsonNode *r;

    MonitorHooks hooks = { .vm_uuid = fixed_uuid,
                           .foreach_machine = two_machines };
    monitor_set_hooks(&hooks);
    r = qmp_return(s, out, "{\"execute\": \"query-uuid\"}");
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(r),
                                                  "UUID"), ==, fixed_uuid());
    json_node_unref(r);

    json_node_unref(qmp_call(s, out, "{\"execute\": \"query-machines\"}"));
    g_assert_cmpstr(out->str, ==,
        "{\"return\": [{\"name\": \"virt\", \"is-default\": true, "
        "\"cpu-max\": 512, \"hotpluggable-cpus\": false, "
        "\"numa-mem-supported\": false, \"deprecated\": false, "
        "\"default-cpu-type\": \"rv64-riscv-cpu\", \"acpi\": false}, "
        "{\"name\": \"none\", \"cpu-max\": 0, \"hotpluggable-cpus\": false, "
        "\"numa-mem-supported\": false, \"deprecated\": false, "
        "\"acpi\": false}]}\r\n");
    monitor_set_hooks(NULL);

    /* Without the hook: the machine types registered (none here). */
    r = qmp_return(s, out, "{\"execute\": \"query-machines\"}");
    g_assert_true(JSON_NODE_HOLDS_ARRAY(r));
    json_node_unref(r);

    r = qmp_return(s, out, "{\"execute\": \"query-cpus-fast\"}");
    JsonArray *cpus = json_node_get_array(r);
    g_assert_cmpuint(json_array_get_length(cpus), ==, 1);
    JsonObject *cpu0 = json_array_get_object_element(cpus, 0);
    g_assert_cmpint(json_object_get_int_member(cpu0, "cpu-index"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(cpu0, "thread-id"), ==,
                    getpid());
    g_assert_true(json_object_has_member(cpu0, "qom-path"));
    json_node_unref(r);

    GError *err = NULL;
    TsChardev *chr = chardev_new_from_opts("null,id=qc0", &err);
    g_assert_no_error(err);
    r = qmp_return(s, out, "{\"execute\": \"query-chardev\"}");
    JsonArray *chardevs = json_node_get_array(r);
    bool found = false;
    for (guint i = 0; i < json_array_get_length(chardevs); i++) {
        JsonObject *c = json_array_get_object_element(chardevs, i);
        if (g_str_equal(json_object_get_string_member(c, "label"), "qc0")) {
            found = true;
            g_assert_cmpstr(json_object_get_string_member(c, "filename"), ==,
                            chardev_filename(chr));
            g_assert_false(json_object_get_boolean_member(c,
                                                          "frontend-open"));
        }
    }
    g_assert_true(found);
    json_node_unref(r);
    chardev_free(chr);

    json_node_unref(qmp_call(s, out,
        "{\"execute\": \"device-list-properties\", "
        "\"arguments\": {\"typename\": \"test-hmp-dev\"}}"));
    g_assert_cmpstr(out->str, ==,
        "{\"return\": [{\"name\": \"size\", \"type\": \"size\", "
        "\"description\": \"buffer size\", \"default-value\": 4096}, "
        "{\"name\": \"fast\", \"type\": \"bool\", \"description\": "
        "\"go fast\", \"default-value\": true}, "
        "{\"name\": \"label\", \"type\": \"str\", \"description\": "
        "\"a name\"}]}\r\n");
    assert_qmp_error(s, out, "{\"execute\": \"device-list-properties\", "
                     "\"arguments\": {\"typename\": \"nosuch-dev\"}}",
                     "DeviceNotFound", "Device 'nosuch-dev' not found");
    assert_qmp_error(s, out, "{\"execute\": \"device-list-properties\", "
                     "\"arguments\": {\"typename\": \"container\"}}",
                     "GenericError", "Parameter 'typename' expects device");
    assert_qmp_error(s, out, "{\"execute\": \"device-list-properties\", "
                     "\"arguments\": {\"typename\": "
                     "\"test-hmp-abstract-dev\"}}", "GenericError",
                     "Parameter 'typename' expects a non-abstract device");
    assert_qmp_error(s, out, "{\"execute\": \"device-list-properties\", "
                     "\"arguments\": {\"typename\": 7}}", "GenericError",
                     "Invalid parameter type for 'typename', expected: "
                     "string");
    qmp_session_free(s);
    g_string_free(out, TRUE);
}

/* Runs last: it creates /machine for the rest of the process. */
static void test_qtree_and_machines(void)
{
    object_core_init();
    GError *err = NULL;
    TsMachine *machine = machine_create("none-machine", &err);
    g_assert_no_error(err);
    g_assert_nonnull(machine);
    TsObject *peripheral = ts_object_new("container", &err);
    g_assert_true(ts_object_add_child(TS_OBJECT(machine), "peripheral",
                                      peripheral, &err));
    ts_object_unref(peripheral);
    TsObject *dev = ts_object_new("test-hmp-dev", &err);
    g_assert_no_error(err);
    g_assert_true(ts_object_set_prop(dev, "label", "front", &err));
    g_assert_true(ts_object_add_child(peripheral, "dev0", dev, &err));
    ts_object_unref(dev);
    g_assert_true(ts_device_realize((TsDevice *)dev, &err));

    Mon m = mon_open("hq");
    g_autofree char *tree = hmp(&m, "info qtree");
    g_autofree char *size = ts_object_get_prop(dev, "size", NULL);
    g_autofree char *fast = ts_object_get_prop(dev, "fast", NULL);
    g_autofree char *expected = g_strdup_printf(
        "machine: none-machine\n"
        "  dev: test-hmp-dev, id \"dev0\"\n"
        "    size = %s\n"
        "    fast = %s\n"
        "    label = \"front\"\n", size, fast);
    g_assert_cmpstr(tree, ==, expected);
    mon_close(&m);

    /* Without a hook, query-machines lists the registered machine types. */
    GString *out = g_string_new(NULL);
    QmpSession *s = qmp_open(out);
    JsonNode *r = qmp_return(s, out, "{\"execute\": \"query-machines\"}");
    JsonArray *list = json_node_get_array(r);
    bool found = false;
    for (guint i = 0; i < json_array_get_length(list); i++) {
        JsonObject *mi = json_array_get_object_element(list, i);
        found |= g_str_equal(json_object_get_string_member(mi, "name"),
                             "none");
    }
    g_assert_true(found);
    json_node_unref(r);
    qmp_session_free(s);
    g_string_free(out, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ts_loop_init();

    GError *err = NULL;
    g_assert_true(ts_type_register(&test_cpu_type, &err));
    g_assert_true(ts_type_register(&test_dev_type, &err));
    g_assert_true(ts_type_register(&test_abstract_dev_type, &err));
    the_cpu = (TestCpu *)ts_object_new("test-hmp-cpu", &err);
    g_assert_no_error(err);
    the_cpu->pc = 0x80000040;
    ts_cpu_add(&the_cpu->parent);
    setup_ram();

    g_test_add_func("/hmp/banner-and-prompt", test_banner_and_prompt);
    g_test_add_func("/hmp/unknown-command", test_unknown_command);
    g_test_add_func("/hmp/help", test_help);
    g_test_add_func("/hmp/vm-control", test_vm_control);
    g_test_add_func("/hmp/info", test_info);
    g_test_add_func("/hmp/cpus-and-registers", test_cpus_and_registers);
    g_test_add_func("/hmp/print", test_print);
    g_test_add_func("/hmp/xp-formats", test_xp_formats);
    g_test_add_func("/hmp/xp-errors", test_xp_errors);
    g_test_add_func("/hmp/readline-editing", test_readline_editing);
    g_test_add_func("/hmp/readline-history", test_readline_history);
    g_test_add_func("/hmp/session-editing", test_session_editing);
    g_test_add_func("/hmp/random-input", test_random_input);
    g_test_add_func("/hmp/mux", test_mux);
    g_test_add_func("/hmp/mux-serial-first", test_mux_serial_first);
    g_test_add_func("/hmp/socket-reconnect", test_socket_reconnect);
    g_test_add_func("/hmp/qmp-chardev", test_qmp_chardev);
    g_test_add_func("/hmp/qmp-event-backlog", test_qmp_event_backlog);
    g_test_add_func("/hmp/human-monitor-command",
                    test_human_monitor_command);
    g_test_add_func("/hmp/qmp-queries", test_qmp_queries);
    g_test_add_func("/hmp/qtree-and-machines", test_qtree_and_machines);

    int ret = g_test_run();

    monitor_detach_all();
    chardev_free_all();
    qmp_cleanup();
    ts_memory_region_remove_subregion(ts_machine_system_memory(), ram);
    ts_memory_region_unref(ram);
    ts_object_unref(TS_OBJECT(the_cpu));
    return ret;
}
