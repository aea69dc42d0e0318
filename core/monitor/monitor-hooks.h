/*
 * core/monitor/monitor-hooks.h - what both monitors (HMP and QMP) ask of the rest
 * of the emulator beyond VM control.  Core-internal.
 *
 * VM control (stop, cont, reset, powerdown, quit, run state, -name) is
 * QmpVmHooks in qmp.h, shared by HMP; this adds the facts only the
 * command line knows: -uuid, the machine list, -numa.  The command line
 * code fills in what it has; a NULL member gives the documented default,
 * so tests and a bare `-M none` work without any of it.
 */
#ifndef TESSERA_CORE_MONITOR_HOOKS_H
#define TESSERA_CORE_MONITOR_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

/* One machine type, as query-machines reports it. */
typedef struct MonitorMachineInfo {
    const char *name;               /* the -M name, e.g. "virt" */
    const char *alias;              /* or NULL */
    bool is_default;                /* the target's -M default */
    unsigned cpu_max;
    const char *default_cpu_type;   /* or NULL */
    bool deprecated;
} MonitorMachineInfo;

typedef void (*MonitorMachineFn)(const MonitorMachineInfo *machine,
                                 void *opaque);

/* One NUMA node, for `info numa`. */
typedef struct MonitorNumaNode {
    uint64_t mem_size;              /* bytes */
    const unsigned *cpus;           /* CPU indexes of the node */
    unsigned n_cpus;
} MonitorNumaNode;

typedef void (*MonitorNumaFn)(unsigned node, const MonitorNumaNode *info,
                              void *opaque);

typedef struct MonitorHooks {
    /* -uuid, or NULL when none was given (the all-zero UUID is shown). */
    const char *(*vm_uuid)(void);
    /* Every machine type this binary can run (from the plugin sidecars,
     * loaded or not).  NULL: the machine types registered so far. */
    void (*foreach_machine)(MonitorMachineFn fn, void *opaque);
    /* The -numa nodes in order.  NULL: no nodes ("0 nodes"). */
    void (*foreach_numa_node)(MonitorNumaFn fn, void *opaque);
} MonitorHooks;

/* Copy the hooks (NULL: clear them all). */
void monitor_set_hooks(const MonitorHooks *hooks);

/* The hooks last set (all NULL if none). */
const MonitorHooks *monitor_hooks(void);

/* The UUID to report: the hook's, or "00000000-0000-0000-0000-000000000000". */
const char *monitor_vm_uuid(void);

/* Walk the machines: the hook, or the registered machine types. */
void monitor_foreach_machine(MonitorMachineFn fn, void *opaque);

#endif
