/*
 * core/machine/machine-config.c - the parts of TsMachineConfig that come from
 * -boot, -object and -numa (with -machine hmat=on), for the board.
 */
#include "cli/cli.h"
#include "machine-lifecycle.h"
#include "boot-opts.h"
#include "memory/memory-backend.h"
#include "block/block-options.h"
#include "numa.h"
#include "object/user-object.h"
#include "cli/opts.h"
#include "monitor/monitor-hooks.h"

#include <tessera/types.h>
#include <stdio.h>

static TsBootConfig boot_config = { .splash_time = -1,
                                    .reboot_timeout = -1 };
static NumaBuilder *numa_builder;

bool cli_create_objects(Cli *cli, GError **errp)
{
    for (guint i = 0; i < cli->objects->len; i++) {
        const char *arg = g_ptr_array_index(cli->objects, i);
        if (!user_object_add(arg, errp)) {
            g_prefix_error(errp, "-object %s: ", arg);
            return false;
        }
    }
    return true;
}

static bool apply_numa(Cli *cli, const TsMachineClass *mc, bool hmat,
                       TsMachineConfig *cfg, GError **errp)
{
    if (!mc || !mc->numa_supported) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "-numa %s: NUMA is not supported by this machine-type",
                    (char *)g_ptr_array_index(cli->numa, 0));
        return false;
    }
    NumaLimits lim = {
        .max_cpus = cfg->max_cpus,
        .sockets = cfg->sockets, .dies = cfg->dies,
        .clusters = cfg->clusters, .cores = cfg->cores,
        .threads = cfg->threads,
        /* -smp accepts dies and clusters only where the machine has
         * them; none of ours does yet. */
        .has_dies = false, .has_clusters = false,
        .ram_size = cfg->ram_size,
        .hmat = hmat,
        .legacy_mem = false,
    };
    numa_builder = numa_builder_new(&lim);
    for (guint i = 0; i < cli->numa->len; i++) {
        const char *arg = g_ptr_array_index(cli->numa, i);
        if (!numa_builder_add(numa_builder, arg, errp)) {
            g_prefix_error(errp, "-numa %s: ", arg);
            return false;
        }
    }
    cfg->numa = numa_builder_finish(numa_builder, errp);
    if (!cfg->numa) {
        g_prefix_error(errp, "-numa: ");
        return false;
    }
    for (const char *const *w = numa_builder_warnings(numa_builder); *w;
         w++) {
        fprintf(stderr, "%s: warning: %s\n", cli->progname, *w);
    }
    numa_set_current(cfg->numa);
    return true;
}

bool cli_apply_machine_config(Cli *cli, const TsMachineClass *mc,
                              const TsOpts *mopts, TsMachineConfig *cfg,
                              GError **errp)
{
    cfg->numa = NULL;
    boot_opts_clear(&boot_config);
    if (!boot_opts_parse(cli->boot_opts, &boot_config, errp)) {
        g_prefix_error(errp, "-boot %s: ", cli->boot_opts);
        return false;
    }
    /* hmat belongs to machines that take -numa; elsewhere it is left to
     * the machine's properties, which refuse it. */
    bool hmat = false;
    if (mc && mc->numa_supported && mopts &&
        !opts_get_bool(mopts, "hmat", false, &hmat, errp)) {
        g_prefix_error(errp, "-machine %s: ", cli->machine_opts);
        return false;
    }
    return !cli->numa->len || apply_numa(cli, mc, hmat, cfg, errp);
}

/* `info numa`: the nodes of the running machine. */
void cli_numa_foreach_node(MonitorNumaFn fn, void *opaque)
{
    const TsNumaConfig *numa = numa_current();
    for (unsigned i = 0; numa && i < numa->n_nodes; i++) {
        const TsNumaNode *n = &numa->nodes[i];
        MonitorNumaNode info = { .mem_size = n->mem_size, .cpus = n->cpus,
                                 .n_cpus = n->n_cpus };
        fn(i, &info, opaque);
    }
}

const TsBootConfig *machine_boot_config(void)
{
    return &boot_config;
}

const NumaHmat *machine_numa_hmat(void)
{
    static const NumaHmat none;
    return numa_builder && numa_current() ? numa_builder_hmat(numa_builder)
                                          : &none;
}

void cli_machine_config_cleanup(void)
{
    TsMachineConfig *cfg = machine_config_mutable();
    cfg->numa = NULL;
    numa_set_current(NULL);
    g_clear_pointer(&numa_builder, numa_builder_free);
    boot_opts_clear(&boot_config);
    memory_backend_reset();
}
