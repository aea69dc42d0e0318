/*
 * core/machine/cpu.c - the machine's CPU list and the accelerator's runner.
 */
#include "cpu-internal.h"
#include "object/object-hooks.h"
#include <tessera/loop.h>

static GPtrArray *cpus;              /* of TsCpu *, by index */
static const TsAccelOps *accel_ops;
static void (*kick_hook)(TsCpu *cpu);

TS_EXPORT void ts_cpu_add(TsCpu *cpu)
{
    if (!cpus) {
        cpus = g_ptr_array_new();
    }
    cpu->index = cpus->len;
    g_ptr_array_add(cpus, cpu);
}

TS_EXPORT unsigned ts_cpu_count(void)
{
    return cpus ? cpus->len : 0;
}

TS_EXPORT TsCpu *ts_cpu_by_index(unsigned index)
{
    return cpus && index < cpus->len ? g_ptr_array_index(cpus, index) : NULL;
}

TS_EXPORT void ts_cpu_set_kick_hook(void (*hook)(TsCpu *cpu))
{
    kick_hook = hook;
}

TS_EXPORT void ts_cpu_kick(TsCpu *cpu)
{
    g_atomic_int_set(&cpu->exit_request, 1);
    TsCpuClass *cc = TS_CPU_GET_CLASS(cpu);
    if (cc && cc->kick) {
        cc->kick(cpu);          /* leave the interpreter/JIT loop */
    }
    if (kick_hook) {
        kick_hook(cpu);         /* the accelerator wakes an idle thread */
    }
}

TS_EXPORT void ts_accel_set_ops(const TsAccelOps *ops)
{
    accel_ops = ops;
}

/* Called by the command line once the machine and devices exist. */
bool cpu_start_all(GError **errp)
{
    if (!accel_ops || !accel_ops->start_cpus) {
        return true;            /* no accelerator: a machine without CPUs */
    }
    return accel_ops->start_cpus(errp);
}

/* Called by the command line after the main loop returned. */
void cpu_stop_all(void)
{
    if (accel_ops && accel_ops->stop_cpus) {
        accel_ops->stop_cpus();
    }
}

void cpu_wait_idle(void)
{
    if (!accel_ops || !accel_ops->wait_idle) {
        return;
    }
    /* A CPU still in exec() may be blocked on the big lock for an MMIO
     * access: let it finish.  The stopped VM keeps it from starting over. */
    bool locked = ts_bql_locked();
    if (locked) {
        ts_bql_unlock();
    }
    accel_ops->wait_idle();
    if (locked) {
        ts_bql_lock();
    }
}

/* ---- the CPU base type ----------------------------------------------- */

static const TsTypeInfo cpu_type = {
    .name = TS_TYPE_CPU, .parent = TS_TYPE_DEVICE, .abstract = true,
    .class_size = sizeof(TsCpuClass), .instance_size = sizeof(TsCpu),
};

static void cpu_types_init(void)
{
    object_core_type(&cpu_type);
}
OBJECT_CORE_INIT(cpu_types_init)
