/*
 * core/monitor/hmp-info.c - `info SUBCOMMAND`: what the monitor can tell about
 * the running system.
 */
#include "config.h"
#include "chardev/chardevs.h"
#include "hmp.h"
#include "monitor-hooks.h"
#include "plugin/plugins.h"
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

static void print_chardev(TsChardev *chr, void *opaque)
{
    hmp_printf(opaque, "%s: filename=%s\n", ts_chardev_id(chr),
               chardev_filename(chr));
}

static void info_chardev(HmpCall *c, const char *args)
{
    chardev_foreach(print_chardev, c);
}

static void print_address_space(HmpCall *c, TsAddressSpace *as, bool flat)
{
    g_autofree char *text = flat ? ts_address_space_flat_dump(as)
                                 : ts_address_space_mtree(as);
    if (text) {
        hmp_printf(c, "%s", text);
    }
}

static void info_mtree(HmpCall *c, const char *args)
{
    bool flat = g_str_equal(args, "-f");
    if (*args && !flat) {
        hmp_printf(c, "info mtree: unknown option '%s' (only -f)\n", args);
        return;
    }
    TsAddressSpace *system = ts_address_space_system();
    print_address_space(c, system, flat);
    /* A CPU with an address space of its own shows it too. */
    g_autoptr(GPtrArray) shown = g_ptr_array_new();
    g_ptr_array_add(shown, system);
    for (unsigned i = 0; i < ts_cpu_count(); i++) {
        TsCpu *cpu = ts_cpu_by_index(i);
        if (cpu && cpu->as && !g_ptr_array_find(shown, cpu->as, NULL)) {
            g_ptr_array_add(shown, cpu->as);
            hmp_printf(c, "\n");
            print_address_space(c, cpu->as, flat);
        }
    }
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

static void info_plugins(HmpCall *c, const char *args)
{
    const GPtrArray *names = plugin_loaded_names();
    if (!names || names->len == 0) {
        hmp_printf(c, "no plugins loaded\n");
        return;
    }
    for (guint i = 0; i < names->len; i++) {
        hmp_printf(c, "%s\n", (const char *)g_ptr_array_index(names, i));
    }
}

typedef struct NumaCollect {
    GString *text;
    unsigned count;
} NumaCollect;

static void collect_node(unsigned node, const MonitorNumaNode *info,
                         void *opaque)
{
    NumaCollect *nc = opaque;
    nc->count++;
    g_string_append_printf(nc->text, "node %u cpus:", node);
    for (unsigned i = 0; i < info->n_cpus; i++) {
        g_string_append_printf(nc->text, " %u", info->cpus[i]);
    }
    g_string_append_printf(nc->text, "\nnode %u size: %" PRIu64 " MB\n",
                           node, info->mem_size >> 20);
    g_string_append_printf(nc->text, "node %u plugged: 0 MB\n", node);
}

static void info_numa(HmpCall *c, const char *args)
{
    NumaCollect nc = { g_string_new(NULL), 0 };
    const MonitorHooks *hooks = monitor_hooks();
    if (hooks->foreach_numa_node) {
        hooks->foreach_numa_node(collect_node, &nc);
    }
    hmp_printf(c, "%u nodes\n%s", nc.count, nc.text->str);
    g_string_free(nc.text, TRUE);
}

/* ---- dispatch ------------------------------------------------------------------- */

const HmpCommand hmp_info_table[] = {
    { "version", "", "show the version of Tessera", info_version },
    { "status", "", "show the current VM status (running|paused)",
      info_status },
    { "name", "", "show the current VM name", info_name },
    { "uuid", "", "show the current VM UUID", info_uuid },
    { "chardev", "", "show the character devices", info_chardev },
    { "mtree", "[-f]", "show memory tree (-f: flat view)", info_mtree },
    { "qtree", "", "show device tree", info_qtree },
    { "cpus", "", "show infos for each CPU", info_cpus },
    { "registers", "[-a] [vcpu]", "show the cpu registers (-a: all CPUs, "
      "vcpu: that CPU)", info_registers },
    { "plugins|modules", "", "show the plugins loaded so far",
      info_plugins },
    { "numa", "", "show NUMA information", info_numa },
    { NULL }
};

void hmp_cmd_info(HmpCall *c, const char *args)
{
    const char *p = args;
    while (*p && !g_ascii_isspace(*p)) {
        p++;
    }
    if (p == args) {
        hmp_print_help(c, hmp_info_table, "info ", NULL);
        return;
    }
    g_autofree char *name = g_strndup(args, (gsize)(p - args));
    const HmpCommand *cmd = hmp_find_command(hmp_info_table, name);
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
