/*
 * core/machine/numa-hmat.c - -numa hmat-lb and hmat-cache: the latency, bandwidth
 * and memory-side cache figures of heterogeneous memory (what ACPI calls
 * HMAT), checked as QEMU checks them.
 *
 * QEMU also refuses figures that its ACPI table cannot encode together
 * (latencies or bandwidths too far apart for one base unit); that is a
 * limit of that table, left to a board that builds one.
 */
#include "numa-internal.h"

#include <tessera/types.h>
#include <inttypes.h>

#define MiB (1024 * 1024)

/* The index of value in the NULL-terminated names, or -1 + errp. */
static int parse_enum(const TsOpts *o, const char *key,
                      const char *const *names, GError **errp)
{
    const char *value = opts_get(o, key);
    for (int i = 0; names[i]; i++) {
        if (g_str_equal(value, names[i])) {
            return i;
        }
    }
    g_autofree char *all = g_strjoinv(", ", (char **)names);
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter '%s' does not accept value '%s' (%s)", key, value,
                all);
    return -1;
}

static bool is_latency(TsHmatDataType t)
{
    return t <= TS_HMAT_WRITE_LATENCY;
}

bool numa_parse_hmat_lb(NumaBuilder *b, const TsOpts *o, GError **errp)
{
    static const char *const keys[] = { "type", "initiator", "target",
                                        "hierarchy", "data-type", "latency",
                                        "bandwidth", NULL };
    static const char *const required[] = { "initiator", "target",
                                            "hierarchy", "data-type", NULL };
    static const char *const hierarchies[] = { "memory", "first-level",
                                               "second-level", "third-level",
                                               NULL };
    static const char *const data_types[] = {
        "access-latency", "read-latency", "write-latency",
        "access-bandwidth", "read-bandwidth", "write-bandwidth", NULL };
    uint64_t initiator, target, latency, bandwidth;
    if (!numa_check_keys(o, keys, required, errp) ||
        !opts_get_uint(o, "initiator", 0, &initiator, errp) ||
        !opts_get_uint(o, "target", 0, &target, errp) ||
        !opts_get_uint(o, "latency", 0, &latency, errp) ||
        !opts_get_size(o, "bandwidth", 0, &bandwidth, errp)) {
        return false;
    }
    int hierarchy = parse_enum(o, "hierarchy", hierarchies, errp);
    int data_type = hierarchy < 0 ? -1
                    : parse_enum(o, "data-type", data_types, errp);
    if (data_type < 0) {
        return false;
    }
    if (initiator >= b->num_nodes) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid initiator=%" PRIu64 ", it should be less than "
                    "%u", initiator, b->num_nodes);
        return false;
    }
    if (target >= b->num_nodes) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid target=%" PRIu64 ", it should be less than %u",
                    target, b->num_nodes);
        return false;
    }
    if (!b->nodes[initiator].has_cpu) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid initiator=%" PRIu64 ", it isn't an initiator "
                    "proximity domain", initiator);
        return false;
    }
    if (!b->nodes[target].present) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "The target=%" PRIu64 " should point to an existing node",
                    target);
        return false;
    }
    bool lat = is_latency((TsHmatDataType)data_type);
    const char *what = lat ? "latency" : "bandwidth";
    const char *other = lat ? "bandwidth" : "latency";
    if (!opts_has(o, what)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Missing '%s' option",
                    what);
        return false;
    }
    if (opts_has(o, other)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid option '%s' since the data type is %s", other,
                    what);
        return false;
    }
    if (!lat && bandwidth % MiB) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Bandwidth %" PRIu64 " between initiator=%" PRIu64
                    " and target=%" PRIu64 " should be 1MB aligned",
                    bandwidth, initiator, target);
        return false;
    }
    for (guint i = 0; i < b->hmat_lb->len; i++) {
        TsNumaHmatLb *e = &g_array_index(b->hmat_lb, TsNumaHmatLb, i);
        if (e->hierarchy == (TsHmatHierarchy)hierarchy &&
            e->data_type == (TsHmatDataType)data_type &&
            e->initiator == initiator && e->target == target) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Duplicate configuration of the %s for initiator=%"
                        PRIu64 " and target=%" PRIu64, what, initiator,
                        target);
            return false;
        }
    }
    TsNumaHmatLb e = {
        .initiator = (unsigned)initiator,
        .target = (unsigned)target,
        .hierarchy = (TsHmatHierarchy)hierarchy,
        .data_type = (TsHmatDataType)data_type,
        .value = lat ? latency : bandwidth,
    };
    if (e.value) {
        b->nodes[target].lb_provided |= lat ? 1 : 2;
    }
    g_array_append_val(b->hmat_lb, e);
    return true;
}

bool numa_parse_hmat_cache(NumaBuilder *b, const TsOpts *o, GError **errp)
{
    static const char *const keys[] = { "type", "node-id", "size", "level",
                                        "associativity", "policy", "line",
                                        NULL };
    static const char *const required[] = { "node-id", "size", "level",
                                            "associativity", "policy",
                                            "line", NULL };
    static const char *const assocs[] = { "none", "direct", "complex",
                                          NULL };
    static const char *const policies[] = { "none", "write-back",
                                            "write-through", NULL };
    uint64_t node, size, level, line;
    if (!numa_check_keys(o, keys, required, errp) ||
        !opts_get_uint(o, "node-id", 0, &node, errp) ||
        !opts_get_size(o, "size", 0, &size, errp) ||
        !opts_get_uint(o, "level", 0, &level, errp) ||
        !opts_get_uint(o, "line", 0, &line, errp)) {
        return false;
    }
    int assoc = parse_enum(o, "associativity", assocs, errp);
    int policy = assoc < 0 ? -1 : parse_enum(o, "policy", policies, errp);
    if (policy < 0) {
        return false;
    }
    if (line > UINT16_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'line' expects an integer between 0 and %d",
                    UINT16_MAX);
        return false;
    }
    if (node >= b->num_nodes) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid node-id=%" PRIu64 ", it should be less than %u",
                    node, b->num_nodes);
        return false;
    }
    NumaNodeState *n = &b->nodes[node];
    if (n->lb_provided != 3) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "The latency and bandwidth information of node-id=%"
                    PRIu64 " should be provided before memory side cache "
                    "attributes", node);
        return false;
    }
    if (level < 1 || level >= NUMA_HMAT_LEVELS) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid level=%" PRIu64 ", it should be larger than 0 "
                    "and less than or equal to %d", level,
                    NUMA_HMAT_LEVELS - 1);
        return false;
    }
    if (n->cache[level]) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Duplicate configuration of the side cache for node-id=%"
                    PRIu64 " and level=%" PRIu64, node, level);
        return false;
    }
    /* Levels come in order, each larger than the one before. */
    TsNumaHmatCache *below = level > 1 ? n->cache[level - 1] : NULL;
    TsNumaHmatCache *above = level + 1 < NUMA_HMAT_LEVELS
                             ? n->cache[level + 1] : NULL;
    if (level > 1 && !below) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Cache level=%" PRIu64 " shall be defined first",
                    level - 1);
        return false;
    }
    if (below && size <= below->size) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid size=%" PRIu64 ", the size of level=%" PRIu64
                    " should be larger than the size(%" PRIu64 ") of "
                    "level=%" PRIu64, size, level, below->size, level - 1);
        return false;
    }
    if (above && size >= above->size) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid size=%" PRIu64 ", the size of level=%" PRIu64
                    " should be less than the size(%" PRIu64 ") of "
                    "level=%" PRIu64, size, level, above->size, level + 1);
        return false;
    }
    TsNumaHmatCache *c = g_new0(TsNumaHmatCache, 1);
    c->node = (unsigned)node;
    c->level = (unsigned)level;
    c->size = size;
    c->associativity = (TsHmatCacheAssociativity)assoc;
    c->policy = (TsHmatCachePolicy)policy;
    c->line = (unsigned)line;
    n->cache[level] = c;
    return true;
}
