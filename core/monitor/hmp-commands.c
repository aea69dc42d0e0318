/*
 * core/monitor/hmp-commands.c - the human monitor's command table and its
 * commands (everything but `info`, which has its own file).
 */
#include "hmp.h"
#include "qmp.h"

#include <tessera/cpu.h>
#include <tessera/memory.h>

#include <errno.h>
#include <string.h>

/* Most a single x/xp may dump: a typo in the count must not make the
 * monitor build gigabytes of text, and the text of the largest dump
 * (about 8 characters per byte) must fit the chardev's 1 MiB output
 * buffer, or its end would be dropped. */
#define HMP_DUMP_MAX_BYTES (64 * 1024)

/* ---- lookup and dispatch ------------------------------------------------- */

static bool names_match(const char *names, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = names; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0) {
            return true;
        }
        p += len + (bar ? 1 : 0);
    }
    return false;
}

const HmpCommand *hmp_find_command(const HmpCommand *table, const char *name)
{
    for (const HmpCommand *cmd = table; cmd->names; cmd++) {
        if (names_match(cmd->names, name)) {
            return cmd;
        }
    }
    return NULL;
}

static GPtrArray *extra_tables;          /* of const HmpCommand * */

void hmp_commands_add(const HmpCommand *table)
{
    if (!extra_tables) {
        extra_tables = g_ptr_array_new();
    }
    g_ptr_array_add(extra_tables, (gpointer)table);
}

/* The monitor's own table first, then the subsystems'. */
static const HmpCommand *find_any(const char *name)
{
    const HmpCommand *cmd = hmp_find_command(hmp_command_table, name);
    for (guint i = 0; !cmd && extra_tables && i < extra_tables->len; i++) {
        cmd = hmp_find_command(g_ptr_array_index(extra_tables, i), name);
    }
    return cmd;
}

static bool print_help_all(HmpCall *c, const char *only)
{
    bool found = hmp_print_help(c, hmp_command_table, "", only);
    for (guint i = 0; extra_tables && i < extra_tables->len; i++) {
        found |= hmp_print_help(c, g_ptr_array_index(extra_tables, i), "",
                                only);
    }
    return found;
}

void hmp_execute(HmpCall *c, const char *line)
{
    const char *p = line;
    while (g_ascii_isspace(*p)) {
        p++;
    }
    /* A name ends at a space or at the '/' of x/FMT. */
    const char *start = p;
    while (*p && *p != '/' && !g_ascii_isspace(*p)) {
        p++;
    }
    if (p == start) {
        return;                 /* an empty line */
    }
    g_autofree char *name = g_strndup(start, (gsize)(p - start));
    const HmpCommand *cmd = find_any(name);
    if (!cmd) {
        hmp_printf(c, "unknown command: '%s'\n", name);
        return;
    }
    while (g_ascii_isspace(*p)) {
        p++;
    }
    cmd->fn(c, p);
}

bool hmp_print_help(HmpCall *c, const HmpCommand *table, const char *prefix,
                    const char *only)
{
    bool found = false;
    for (const HmpCommand *cmd = table; cmd->names; cmd++) {
        if (only && !names_match(cmd->names, only)) {
            continue;
        }
        hmp_printf(c, "%s%s %s -- %s\n", prefix, cmd->names, cmd->params,
                   cmd->help);
        found = true;
    }
    return found;
}

/* The first word of args (g_free), or NULL; *rest points after it. */
static char *first_word(const char *args, const char **rest)
{
    const char *p = args;
    while (*p && !g_ascii_isspace(*p)) {
        p++;
    }
    char *word = p > args ? g_strndup(args, (gsize)(p - args)) : NULL;
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (rest) {
        *rest = p;
    }
    return word;
}

static bool no_arguments(HmpCall *c, const char *args, const char *name)
{
    if (*args) {
        hmp_printf(c, "%s: too many arguments\n", name);
        return false;
    }
    return true;
}

static void print_unavailable(HmpCall *c, const char *what)
{
    hmp_printf(c, "Error: %s is not available in this configuration\n",
               what);
}

/* ---- help, quit ------------------------------------------------------------ */

static void cmd_help(HmpCall *c, const char *args)
{
    const char *rest;
    g_autofree char *topic = first_word(args, &rest);
    if (!topic) {
        print_help_all(c, NULL);
        return;
    }
    if (g_str_equal(topic, "info")) {
        g_autofree char *sub = first_word(rest, NULL);
        if (!hmp_print_help(c, hmp_info_commands(), "info ", sub)) {
            hmp_printf(c, "unknown command: 'info %s'\n", sub);
        }
        return;
    }
    if (!print_help_all(c, topic)) {
        hmp_printf(c, "unknown command: '%s'\n", topic);
    }
}

static void quit_now(void *opaque)
{
    qmp_event_shutdown(false, "host-qmp-quit");
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (hooks->quit) {
        hooks->quit();
    }
}

static void cmd_quit(HmpCall *c, const char *args)
{
    if (!no_arguments(c, args, "quit")) {
        return;
    }
    if (!qmp_vm_hooks()->quit) {
        print_unavailable(c, "quit");
        return;
    }
    hmp_after_output(c, quit_now, NULL);
}

/* ---- VM control --------------------------------------------------------------- */

static void cmd_stop(HmpCall *c, const char *args)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (!no_arguments(c, args, "stop")) {
        return;
    }
    if (!hooks->stop) {
        print_unavailable(c, "stop");
        return;
    }
    hooks->stop();
}

static void cmd_cont(HmpCall *c, const char *args)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (!no_arguments(c, args, "cont")) {
        return;
    }
    if (!hooks->cont) {
        print_unavailable(c, "cont");
        return;
    }
    GError *err = NULL;
    if (!hooks->cont(&err)) {
        if (err) {
            hmp_print_error(c, err);
            g_error_free(err);
        } else {
            hmp_printf(c, "Error: cont failed\n");
        }
    }
}

static void reset_event(void *opaque)
{
    qmp_event_reset(false, "host-qmp-system-reset");
}

static void cmd_system_reset(HmpCall *c, const char *args)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (!no_arguments(c, args, "system_reset")) {
        return;
    }
    if (!hooks->system_reset) {
        print_unavailable(c, "system_reset");
        return;
    }
    hooks->system_reset();
    hmp_after_output(c, reset_event, NULL);
}

static void powerdown_event(void *opaque)
{
    qmp_event_powerdown();
}

static void cmd_system_powerdown(HmpCall *c, const char *args)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    if (!no_arguments(c, args, "system_powerdown")) {
        return;
    }
    if (!hooks->system_powerdown) {
        print_unavailable(c, "system_powerdown");
        return;
    }
    hooks->system_powerdown();
    hmp_after_output(c, powerdown_event, NULL);
}

/* ---- CPUs and expressions ------------------------------------------------------ */

bool hmp_read_cpu_register(const char *name, uint64_t *value, GError **errp,
                           void *opaque)
{
    HmpCall *c = opaque;
    TsCpu *cpu = ts_cpu_by_index(c->state->cpu_index);
    if (!cpu) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "no CPU to read register '$%s' from", name);
        return false;
    }
    TsCpuClass *klass = TS_CPU_GET_CLASS(cpu);
    if (!klass || !klass->read_register) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "CPU %u cannot show its registers", cpu->index);
        return false;
    }
    if (!klass->read_register(cpu, name, value)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "unknown register '$%s'", name);
        return false;
    }
    return true;
}

static bool eval(HmpCall *c, const char *text, uint64_t *value)
{
    GError *err = NULL;
    if (!hmp_expr_parse(text, NULL, hmp_read_cpu_register, c, value,
                        &err)) {
        hmp_printf(c, "%s\n", err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

static void cmd_cpu(HmpCall *c, const char *args)
{
    uint64_t index;
    if (!*args) {
        hmp_printf(c, "cpu: CPU index expected\n");
        return;
    }
    if (!eval(c, args, &index)) {
        return;
    }
    if (index >= ts_cpu_count()) {
        hmp_printf(c, "invalid CPU index\n");
        return;
    }
    c->state->cpu_index = (unsigned)index;
}

/* ---- formats: /{count}{format}{size} ---------------------------------------------- */

typedef struct DumpFormat {
    uint64_t count;
    char format;            /* x d u o c i */
    unsigned size;          /* bytes per unit */
} DumpFormat;

/* Parse the optional "/FMT" at *args, falling back to (and updating) the
 * session's defaults as QEMU does; *args moves past it. */
static bool parse_format(HmpCall *c, const char **args, DumpFormat *f)
{
    const char *p = *args;
    f->count = 1;
    f->format = 0;
    f->size = 0;
    if (*p == '/') {
        p++;
        if (g_ascii_isdigit(*p)) {
            char *end;
            errno = 0;
            f->count = g_ascii_strtoull(p, &end, 10);
            if (errno) {
                hmp_printf(c, "invalid count in format\n");
                return false;
            }
            p = end;
        }
        for (; *p && !g_ascii_isspace(*p); p++) {
            switch (*p) {
            case 'x': case 'd': case 'u': case 'o': case 'c': case 'i':
                f->format = *p;
                break;
            case 'b': f->size = 1; break;
            case 'h': f->size = 2; break;
            case 'w': f->size = 4; break;
            case 'g': f->size = 8; break;
            default:
                hmp_printf(c, "invalid char in format: '%c'\n", *p);
                return false;
            }
        }
    }
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (!f->format) {
        f->format = c->state->last_format;
    }
    if (!f->size) {
        f->size = f->format == 'c' ? 1 : c->state->last_size;
    }
    c->state->last_format = f->format;
    c->state->last_size = f->size;
    if (f->format == 'c') {
        f->size = 1;            /* characters are bytes, whatever was asked */
    }
    *args = p;
    return true;
}

/* A character as 'c', with C escapes for the unprintable ones. */
static void print_char(HmpCall *c, uint64_t v)
{
    switch (v) {
    case '\'': hmp_printf(c, "'\\''"); break;
    case '\\': hmp_printf(c, "'\\\\'"); break;
    case '\n': hmp_printf(c, "'\\n'"); break;
    case '\r': hmp_printf(c, "'\\r'"); break;
    default:
        if (v >= 0x20 && v < 0x7f) {
            hmp_printf(c, "'%c'", (int)v);
        } else {
            hmp_printf(c, "'\\x%02" PRIx64 "'", v & 0xff);
        }
        break;
    }
}

/* One unit of a dump, padded to the unit's widest value. */
static void print_unit(HmpCall *c, char format, unsigned size, uint64_t v)
{
    unsigned bits = size * 8;
    switch (format) {
    case 'o':
        hmp_printf(c, "%#*" PRIo64, (int)((bits + 2) / 3), v);
        break;
    case 'u':
        hmp_printf(c, "%*" PRIu64, (int)((bits * 10 + 32) / 33), v);
        break;
    case 'd': {
        /* Signed at the unit's width: a byte 0xff is -1. */
        int64_t s = bits == 64 ? (int64_t)v
                               : (int64_t)(v << (64 - bits)) >> (64 - bits);
        hmp_printf(c, "%*" PRId64, (int)((bits * 10 + 32) / 33), s);
        break;
    }
    case 'c':
        print_char(c, v);
        break;
    case 'x':
    default:
        hmp_printf(c, "0x%0*" PRIx64, (int)(bits / 4), v);
        break;
    }
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* The address space the current CPU sees, or the system's. */
static TsAddressSpace *current_address_space(HmpCall *c)
{
    TsCpu *cpu = ts_cpu_by_index(c->state->cpu_index);
    return cpu && cpu->as ? cpu->as : ts_address_space_system();
}

static void memory_dump(HmpCall *c, const char *args)
{
    DumpFormat f;
    if (!parse_format(c, &args, &f)) {
        return;
    }
    if (f.format == 'i') {
        hmp_printf(c, "Error: the 'i' format (disassembly) is not "
                   "supported yet\n");
        return;
    }
    if (!*args) {
        hmp_printf(c, "missing address\n");
        return;
    }
    uint64_t addr;
    if (!eval(c, args, &addr)) {
        return;
    }
    if (f.count > HMP_DUMP_MAX_BYTES / f.size) {
        hmp_printf(c, "Error: at most %u bytes can be dumped at once\n",
                   HMP_DUMP_MAX_BYTES);
        return;
    }
    TsAddressSpace *as = current_address_space(c);
    uint64_t left = f.count * f.size;
    unsigned line_size = f.size == 1 && f.format != 'c' ? 8 : 16;
    uint8_t buf[16];
    while (left > 0) {
        unsigned n = left < line_size ? (unsigned)left : line_size;
        hmp_printf(c, "%016" PRIx64 ":", addr);
        if (ts_address_space_read(as, addr, buf, n) != TS_MEM_OK) {
            hmp_printf(c, " Cannot access memory\n");
            return;
        }
        for (unsigned i = 0; i < n; i += f.size) {
            hmp_printf(c, " ");
            print_unit(c, f.format, f.size, load_le(buf + i, f.size));
        }
        hmp_printf(c, "\n");
        addr += n;
        left -= n;
    }
}

static void cmd_x(HmpCall *c, const char *args)
{
    /* CPUs cannot translate virtual addresses for the monitor yet. */
    memory_dump(c, args);
}

static void cmd_xp(HmpCall *c, const char *args)
{
    memory_dump(c, args);
}

static void cmd_print(HmpCall *c, const char *args)
{
    DumpFormat f;
    if (!parse_format(c, &args, &f)) {
        return;
    }
    if (!*args) {
        hmp_printf(c, "print: expression expected\n");
        return;
    }
    uint64_t v;
    if (!eval(c, args, &v)) {
        return;
    }
    switch (f.format) {
    case 'o': hmp_printf(c, "%#" PRIo64, v); break;
    case 'u': hmp_printf(c, "%" PRIu64, v); break;
    case 'd': hmp_printf(c, "%" PRId64, (int64_t)v); break;
    case 'c': print_char(c, v); break;
    case 'i':
        hmp_printf(c, "print: the 'i' format only applies to x and xp\n");
        return;
    case 'x':
    default:  hmp_printf(c, "%#" PRIx64, v); break;
    }
    hmp_printf(c, "\n");
}

/* ---- the table --------------------------------------------------------------------- */

const HmpCommand hmp_command_table[] = {
    { "help|?", "[cmd]", "show the help", cmd_help },
    { "info", "[subcommand]", "show various information about the system "
      "state", hmp_cmd_info },
    { "quit|q", "", "quit the emulator", cmd_quit },
    { "stop", "", "stop emulation", cmd_stop },
    { "cont|c", "", "resume emulation", cmd_cont },
    { "system_reset", "", "reset the system", cmd_system_reset },
    { "system_powerdown", "", "send system power down event",
      cmd_system_powerdown },
    { "cpu", "index", "set the default CPU", cmd_cpu },
    { "x", "/fmt addr", "virtual memory dump starting at 'addr' (until CPUs "
      "translate addresses for the monitor, the same as xp)", cmd_x },
    { "xp", "/fmt addr", "physical memory dump starting at 'addr'", cmd_xp },
    { "print|p", "/fmt expr", "print expression value (use $reg for CPU "
      "register access)", cmd_print },
    { NULL }
};
