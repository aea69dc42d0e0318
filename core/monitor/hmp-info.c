/*
 * core/monitor/hmp-info.c - `info SUBCOMMAND`: the dispatch, and what the
 * monitor itself can tell (version, status, name, uuid, qtree, cpus,
 * registers).  Subsystems add theirs with HMP_INFO_COMMANDS.
 */
#include "config.h"
#include "hmp.h"
#include "monitor-hooks.h"
#include "qmp.h"
#include "util/parse.h"
#include "object/object-introspect.h"
#include "memory/memory-dump.h"
#include "machine/machine-lifecycle.h"

#include <tessera/cpu.h>
#include <tessera/device.h>
#include <tessera/machine.h>
#include <tessera/memory.h>

#include <string.h>

static void info_version(HmpCall *c, const char *args)
{
    hmp_printf(c, "%s (tessera-%s)\n", TS_VERSION, TS_VERSION);
}

static void info_status(HmpCall *c, const char *args)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    const char *state = qmp_run_state();
    if (!state || !hooks->is_running) {
        hmp_printf(c, "Error: the VM state is not available in this "
                   "configuration\n");
        return;
    }
    bool running = hooks->is_running();
    hmp_printf(c, "VM status: %s", running ? "running" : "paused");
    /* As QEMU: the reason is named when it is not a plain pause. */
    if (!running && strcmp(state, "paused") != 0) {
        hmp_printf(c, " (%s)", state);
    }
    hmp_printf(c, "\n");
}

static void info_name(HmpCall *c, const char *args)
{
    const QmpVmHooks *hooks = qmp_vm_hooks();
    const char *name = hooks->vm_name ? hooks->vm_name() : NULL;
    if (name) {
        hmp_printf(c, "%s\n", name);
    }
}

static void info_uuid(HmpCall *c, const char *args)
{
    hmp_printf(c, "%s\n", monitor_vm_uuid());
}

/* ---- qtree ---------------------------------------------------------------- */

typedef struct TreeWalk {
    HmpCall *c;
    TsObject *obj;
    int indent;
} TreeWalk;

static void print_property(const TsProperty *prop, void *opaque)
{
    TreeWalk *w = opaque;
    g_autofree char *value = ts_object_get_prop(w->obj, prop->name, NULL);
    bool quoted = prop->kind == TS_PROP_STRING || prop->kind == TS_PROP_ENUM
                  || prop->kind == TS_PROP_LINK;
    hmp_printf(w->c, "%*s%s = %s%s%s\n", w->indent, "", prop->name,
               quoted ? "\"" : "", value ? value : "", quoted ? "\"" : "");
}

static void print_tree(TsObject *obj, void *opaque);

static void print_children(HmpCall *c, TsObject *obj, int indent)
{
    TreeWalk w = { c, obj, indent };
    ts_object_foreach_child(obj, print_tree, &w);
}

/* Devices with their properties; containers are walked through. */
static void print_tree(TsObject *obj, void *opaque)
{
    TreeWalk *parent = opaque;
    if (!ts_object_dynamic_cast(obj, TS_TYPE_DEVICE)) {
        print_children(parent->c, obj, parent->indent);
        return;
    }
    /* Anonymous -device instances have no id, as in QEMU. */
    bool anonymous = obj->parent && obj->parent->name &&
                     g_str_equal(obj->parent->name, "peripheral-anon");
    hmp_printf(parent->c, "%*sdev: %s, id \"%s\"\n", parent->indent, "",
               ts_object_type_name(obj), anonymous ? "" : obj->name);
    TreeWalk props = { parent->c, obj, parent->indent + 2 };
    ts_class_foreach_property(obj->klass, print_property, &props);
    print_children(parent->c, obj, parent->indent + 2);
}

static void info_qtree(HmpCall *c, const char *args)
{
    TsMachine *machine = ts_machine_current();
    if (!machine) {
        hmp_printf(c, "no machine\n");
        return;
    }
    hmp_printf(c, "machine: %s\n", ts_object_type_name(TS_OBJECT(machine)));
    print_children(c, TS_OBJECT(machine), 2);
}

/* ---- CPUs --------------------------------------------------------------- */

static void info_cpus(HmpCall *c, const char *args)
{
    for (unsigned i = 0; i < ts_cpu_count(); i++) {
        TsCpu *cpu = ts_cpu_by_index(i);
        hmp_printf(c, "%c CPU #%u:%s\n",
                   i == c->state->cpu_index ? '*' : ' ', i,
                   cpu->halted ? " (halted)" : "");
    }
}

static void dump_cpu(HmpCall *c, TsCpu *cpu, bool with_header)
{
    TsCpuClass *klass = TS_CPU_GET_CLASS(cpu);
    if (with_header) {
        hmp_printf(c, "\nCPU#%u\n", cpu->index);
    }
    if (!klass || !klass->dump_state) {
        hmp_printf(c, "CPU %u cannot show its registers\n", cpu->index);
        return;
    }
    klass->dump_state(cpu, c->out);
}

static void info_registers(HmpCall *c, const char *args)
{
    g_auto(GStrv) words = g_strsplit_set(args, " \t", -1);
    bool all = false;
    int64_t index = -1;
    for (char **w = words; *w; w++) {
        if (!**w) {
            continue;
        }
        if (g_str_equal(*w, "-a")) {
            all = true;
        } else if (!ts_parse_int("vcpu", *w, &index, NULL) || index < 0) {
            hmp_printf(c, "info registers: invalid CPU index '%s'\n", *w);
            return;
        }
    }
    if (ts_cpu_count() == 0) {
        hmp_printf(c, "No CPU available\n");
        return;
    }
    if (all) {
        for (unsigned i = 0; i < ts_cpu_count(); i++) {
            dump_cpu(c, ts_cpu_by_index(i), true);
        }
        return;
    }
    unsigned which = index >= 0 ? (unsigned)index : c->state->cpu_index;
    TsCpu *cpu = ts_cpu_by_index(which);
    if (!cpu) {
        hmp_printf(c, "CPU#%u not available\n", which);
        return;
    }
    dump_cpu(c, cpu, false);
}

/* ---- plugins, numa ---------------------------------------------------------- */

/* ---- dispatch ------------------------------------------------------------------- */

static const HmpCommand monitor_info_commands[] = {
    { "version", "", "show the version of Tessera", info_version },
    { "status", "", "show the current VM status (running|paused)",
      info_status },
    { "name", "", "show the current VM name", info_name },
    { "uuid", "", "show the current VM UUID", info_uuid },
    { "qtree", "", "show device tree", info_qtree },
    { "cpus", "", "show infos for each CPU", info_cpus },
    { "registers", "[-a] [vcpu]", "show the cpu registers (-a: all CPUs, "
      "vcpu: that CPU)", info_registers },
    { NULL }
};

static GPtrArray *info_tables;           /* of const HmpCommand * */

void hmp_info_commands_add(const HmpCommand *table)
{
    if (!info_tables) {
        info_tables = g_ptr_array_new();
    }
    g_ptr_array_add(info_tables, (gpointer)table);
}

const HmpCommand *hmp_info_commands(void)
{
    static GArray *all;
    if (!all) {
        all = g_array_new(TRUE, TRUE, sizeof(HmpCommand));
        for (const HmpCommand *cmd = monitor_info_commands; cmd->names;
             cmd++) {
            g_array_append_val(all, *cmd);
        }
        for (guint i = 0; info_tables && i < info_tables->len; i++) {
            for (const HmpCommand *cmd = g_ptr_array_index(info_tables, i);
                 cmd->names; cmd++) {
                g_array_append_val(all, *cmd);
            }
        }
    }
    return (const HmpCommand *)all->data;
}

void hmp_cmd_info(HmpCall *c, const char *args)
{
    const char *p = args;
    while (*p && !g_ascii_isspace(*p)) {
        p++;
    }
    if (p == args) {
        hmp_print_help(c, hmp_info_commands(), "info ", NULL);
        return;
    }
    g_autofree char *name = g_strndup(args, (gsize)(p - args));
    const HmpCommand *cmd = hmp_find_command(hmp_info_commands(), name);
    if (!cmd) {
        hmp_printf(c, "unknown command: 'info %s'\n", name);
        return;
    }
    while (g_ascii_isspace(*p)) {
        p++;
    }
    g_autofree char *rest = g_strchomp(g_strdup(p));
    cmd->fn(c, rest);
}
