/*
 * core/machine/cpu-opts.c - -cpu MODEL[,prop=value,...] (see cpu-opts.h).
 */
#include "cpu-opts.h"
#include "cli/opts.h"
#include "device/global-props.h"

#include <tessera/machine.h>

static char *cpu_type;

typedef struct CpuProps {
    const char *spec;
    const char *type;
} CpuProps;

static void add_prop(const char *key, const char *value, void *opaque)
{
    CpuProps *p = opaque;
    if (g_str_equal(key, "model")) {
        return;
    }
    g_autofree char *origin = g_strdup_printf("-cpu %s", p->spec);
    global_props_add_from(origin, p->type, key, value);
}

const char *cpu_opts_apply(const char *spec, GError **errp)
{
    g_autoptr(TsOpts) opts = opts_parse(spec, "model", errp);
    if (!opts) {
        g_prefix_error(errp, "-cpu %s: ", spec);
        return NULL;
    }
    const char *model = opts_get(opts, "model");
    if (!model || !*model) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-cpu %s: no CPU model given (-cpu help lists them)",
                    spec);
        return NULL;
    }
    g_autofree char *type = g_strconcat(model, TS_CPU_SUFFIX, NULL);
    /* ts_class_by_name loads the CPU's plugin if need be. */
    TsObjectClass *klass = ts_class_by_name(type);
    if (!klass || !ts_class_dynamic_cast(klass, TS_TYPE_CPU)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "-cpu %s: unable to find CPU model '%s' (-cpu help "
                    "lists them)", spec, model);
        return NULL;
    }
    CpuProps props = { spec, type };
    opts_foreach(opts, add_prop, &props);
    g_free(cpu_type);
    cpu_type = g_steal_pointer(&type);
    return cpu_type;
}

void cpu_opts_cleanup(void)
{
    g_clear_pointer(&cpu_type, g_free);
}
