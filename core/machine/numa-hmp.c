/*
 * core/machine/numa-hmp.c - `info numa`, from the monitor hooks the
 * command line installs (node CPUs and memory).
 */
#include "monitor/hmp.h"
#include "monitor/monitor-hooks.h"

#include <inttypes.h>

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

static const HmpCommand numa_info_commands[] = {
    { "numa", "", "show NUMA information", info_numa },
    { NULL }
};
HMP_INFO_COMMANDS(numa_info_commands)
