/*
 * core/machine/smp.c - -smp parsing and topology completion.
 */
#include "smp.h"
#include "cli/opts.h"
#include "util/parse.h"

#include <tessera/object.h>

#define SMP_HARD_LIMIT 4096

typedef struct SmpField {
    const char *name;
    size_t offset;
} SmpField;

static const SmpField fields[] = {
    { "cpus", offsetof(SmpConfig, cpus) },
    { "maxcpus", offsetof(SmpConfig, max_cpus) },
    { "sockets", offsetof(SmpConfig, sockets) },
    { "dies", offsetof(SmpConfig, dies) },
    { "clusters", offsetof(SmpConfig, clusters) },
    { "cores", offsetof(SmpConfig, cores) },
    { "threads", offsetof(SmpConfig, threads) },
};

/* Reads every given field; 0 in *out means "omitted". */
static bool read_fields(TsOpts *o, const SmpLimits *lim, SmpConfig *out,
                        GError **errp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        const char *text = opts_get(o, fields[i].name);
        unsigned *slot = (unsigned *)((char *)out + fields[i].offset);
        if (!text) {
            continue;
        }
        int64_t v;
        if (!ts_parse_int(fields[i].name, text, &v, errp)) {
            return false;
        }
        if (v <= 0) {
            if (g_str_equal(fields[i].name, "cpus")) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "Invalid SMP CPUs %" PRId64 ". The min CPUs "
                            "supported by machine '%s' is 1", v,
                            lim->machine);
            } else {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "Invalid CPU topology: %s must be greater than "
                            "zero, not %" PRId64, fields[i].name, v);
            }
            return false;
        }
        if (v > SMP_HARD_LIMIT) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid CPU topology: %s=%" PRId64 " is more than "
                        "%d", fields[i].name, v, SMP_HARD_LIMIT);
            return false;
        }
        *slot = v;
    }
    return true;
}

static bool check_level(const char *name, unsigned value, bool supported,
                        const SmpLimits *lim, GError **errp)
{
    if (value > 1 && !supported) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid CPU topology: %s not supported by machine "
                    "'%s' (only %s=1 is accepted)", name, lim->machine, name);
        return false;
    }
    return true;
}

/* Fill omitted levels: cores first, then sockets, threads last. */
static void complete(SmpConfig *c)
{
    unsigned dc = c->dies * c->clusters;
    if (c->cpus == 0 && c->max_cpus == 0) {
        c->sockets = c->sockets ? c->sockets : 1;
        c->cores = c->cores ? c->cores : 1;
        c->threads = c->threads ? c->threads : 1;
    } else {
        unsigned max = c->max_cpus ? c->max_cpus : c->cpus;
        c->max_cpus = max;      /* the hierarchy must then multiply to it */
        if (!c->cores) {
            c->sockets = c->sockets ? c->sockets : 1;
            c->threads = c->threads ? c->threads : 1;
            c->cores = MAX(1u, max / (c->sockets * dc * c->threads));
        } else if (!c->sockets) {
            c->threads = c->threads ? c->threads : 1;
            c->sockets = MAX(1u, max / (dc * c->cores * c->threads));
        }
        if (!c->threads) {
            c->threads = MAX(1u, max / (c->sockets * dc * c->cores));
        }
    }
    unsigned product = c->sockets * dc * c->cores * c->threads;
    c->max_cpus = c->max_cpus ? c->max_cpus : product;
    c->cpus = c->cpus ? c->cpus : c->max_cpus;
}

static char *hierarchy_text(const SmpConfig *c, const SmpLimits *lim)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "sockets (%u)", c->sockets);
    if (lim->has_dies) {
        g_string_append_printf(s, " * dies (%u)", c->dies);
    }
    if (lim->has_clusters) {
        g_string_append_printf(s, " * clusters (%u)", c->clusters);
    }
    g_string_append_printf(s, " * cores (%u) * threads (%u)", c->cores,
                           c->threads);
    return g_string_free(s, false);
}

/* Sorted: -smp help lists them in this order, as QEMU does. */
static const char *const smp_keys[] = { "clusters", "cores", "cpus", "dies",
                                        "maxcpus", "sockets", "threads",
                                        NULL };

void smp_print_options(FILE *out)
{
    fputs("smp-opts options:\n", out);
    for (const char *const *k = smp_keys; *k; k++) {
        fprintf(out, "  %s=<num>\n", *k);
    }
}

bool smp_parse(const char *text, const SmpLimits *lim, SmpConfig *out,
               GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(text, "cpus", errp);
    const char *const *keys = smp_keys;
    SmpConfig c = { 0 };
    if (!o || !opts_check_keys(o, keys, errp) || !read_fields(o, lim, &c, errp) ||
        !check_level("dies", c.dies, lim->has_dies, lim, errp) ||
        !check_level("clusters", c.clusters, lim->has_clusters, lim, errp)) {
        return false;
    }
    c.dies = c.dies ? c.dies : 1;
    c.clusters = c.clusters ? c.clusters : 1;
    complete(&c);

    uint64_t product = (uint64_t)c.sockets * c.dies * c.clusters * c.cores *
                       c.threads;
    g_autofree char *h = hierarchy_text(&c, lim);
    if (product != c.max_cpus) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid CPU topology: product of the hierarchy must "
                    "match maxcpus: %s != maxcpus (%u)", h, c.max_cpus);
        return false;
    }
    if (c.max_cpus < c.cpus) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid CPU topology: maxcpus must be equal to or "
                    "greater than smp: %s == maxcpus (%u) < smp_cpus (%u)",
                    h, c.max_cpus, c.cpus);
        return false;
    }
    unsigned limit = lim->max_cpus ? lim->max_cpus : SMP_HARD_LIMIT;
    if (c.max_cpus > limit) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid SMP CPUs %u. The max CPUs supported by machine "
                    "'%s' is %u", c.max_cpus, lim->machine, limit);
        return false;
    }
    *out = c;
    return true;
}
