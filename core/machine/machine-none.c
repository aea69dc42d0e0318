/*
 * core/machine/machine-none.c - the empty machine: no CPU, no RAM, no devices.
 *
 * Every target has it, so `-M none` works even when no board plugin is
 * installed; it is what QMP-only tools and start-up benchmarks run.
 */
#include "machine-lifecycle.h"
#include "object/object-hooks.h"

static void none_class_init(TsObjectClass *klass, const void *data)
{
    TsMachineClass *mc = (TsMachineClass *)klass;
    mc->target = NULL;          /* every target */
    mc->no_cpus = true;
    mc->max_cpus = 1;
}

static const TsTypeInfo none_machine_type = {
    .name = "none" TS_MACHINE_SUFFIX,
    .parent = TS_TYPE_MACHINE,
    .description = "empty machine",
    .class_init = none_class_init,
};

static void machine_none_init(void)
{
    object_core_type(&none_machine_type);
}
OBJECT_CORE_INIT(machine_none_init)
