/*
 * core/machine/numa.c - -numa node, dist and cpu, taken in command-line order
 *
 * Messages are QEMU's where it has one, so that what users and tools
 * know from QEMU still applies.
 */
#include "numa-internal.h"
#include "memory/memory-backend.h"
#include "util/parse.h"

#include <tessera/types.h>
#include <inttypes.h>

#define MiB (1024 * 1024)

static const TsNumaConfig *current;

void numa_set_current(const TsNumaConfig *config)
{
    current = config;
}

const TsNumaConfig *numa_current(void)
{
    return current;
}

NumaBuilder *numa_builder_new(const NumaLimits *limits)
{
    NumaBuilder *b = g_new0(NumaBuilder, 1);
    b->lim = *limits;
    /* Levels the caller left at 0 are one wide (a bare -smp N). */
    b->lim.max_cpus = MAX(b->lim.max_cpus, 1);
    b->lim.sockets = MAX(b->lim.sockets, 1);
    b->lim.dies = MAX(b->lim.dies, 1);
    b->lim.clusters = MAX(b->lim.clusters, 1);
    b->lim.cores = MAX(b->lim.cores, 1);
    b->lim.threads = MAX(b->lim.threads, 1);
    for (unsigned i = 0; i < NUMA_MAX_NODES; i++) {
        b->nodes[i].initiator = TS_NUMA_NO_INITIATOR;
    }
    b->dist = g_new0(uint8_t, NUMA_MAX_NODES * NUMA_MAX_NODES);
    b->cpu_node = g_new(int, b->lim.max_cpus);
    for (unsigned i = 0; i < b->lim.max_cpus; i++) {
        b->cpu_node[i] = -1;
    }
    b->hmat_lb = g_array_new(false, true, sizeof(TsNumaHmatLb));
    b->warnings = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(b->warnings, NULL);
    return b;
}

void numa_builder_free(NumaBuilder *b)
{
    if (!b) {
        return;
    }
    if (current == &b->config) {
        current = NULL;
    }
    for (unsigned i = 0; i < NUMA_MAX_NODES; i++) {
        g_free(b->nodes[i].memdev);
        for (unsigned l = 0; l < NUMA_HMAT_LEVELS; l++) {
            g_free(b->nodes[i].cache[l]);
        }
    }
    g_free(b->dist);
    g_free(b->cpu_node);
    g_array_free(b->hmat_lb, true);
    g_ptr_array_unref(b->warnings);
    g_free(b->out_nodes);
    g_free(b->out_cpus);
    g_free(b->out_cpu_node);
    g_free(b->out_dist);
    g_free(b->out_cache);
    g_free(b);
}

const char *const *numa_builder_warnings(const NumaBuilder *b)
{
    return (const char *const *)b->warnings->pdata;
}

bool numa_check_keys(const TsOpts *o, const char *const *keys,
                     const char *const *required, GError **errp)
{
    if (!opts_check_keys(o, keys, errp)) {
        return false;
    }
    for (const char *const *r = required; r && *r; r++) {
        if (!opts_has(o, *r)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter '%s' is missing", *r);
            return false;
        }
    }
    return true;
}

/* ---- placing CPUs -------------------------------------------------- */

bool numa_place_cpu(NumaBuilder *b, unsigned cpu, unsigned node,
                    GError **errp)
{
    if (b->cpu_node[cpu] >= 0 && (unsigned)b->cpu_node[cpu] != node) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "CPU is already assigned to node-id: %d",
                    b->cpu_node[cpu]);
        return false;
    }
    b->cpu_node[cpu] = (int)node;
    if (b->lim.hmat) {
        /* A node with CPUs initiates its own memory accesses. */
        NumaNodeState *n = &b->nodes[node];
        if (n->initiator != TS_NUMA_NO_INITIATOR && n->initiator != node) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "The initiator of CPU NUMA node %u should be itself "
                        "(got %u)", node, n->initiator);
            return false;
        }
        n->has_cpu = true;
        n->initiator = node;
    }
    return true;
}

NumaCpuIds numa_cpu_ids(const NumaLimits *l, unsigned index)
{
    NumaCpuIds id;
    id.thread = index % l->threads;
    index /= l->threads;
    id.core = index % l->cores;
    index /= l->cores;
    id.cluster = index % l->clusters;
    index /= l->clusters;
    id.die = index % l->dies;
    id.socket = index / l->dies;
    return id;
}

/* ---- -numa node ------------------------------------------------------ */

typedef struct CpusCtx {
    NumaBuilder *b;
    unsigned node;
    GError **errp;
    bool ok;
} CpusCtx;

/* "cpus=N" or "cpus=FIRST-LAST"; the key may repeat. */
static void add_cpus(const char *key, const char *value, void *opaque)
{
    CpusCtx *c = opaque;
    if (!c->ok || !g_str_equal(key, "cpus")) {
        return;
    }
    g_auto(GStrv) ends = g_strsplit(value, "-", 2);
    uint64_t first, last;
    if (!ts_parse_uint("cpus", ends[0], &first, NULL) ||
        !ts_parse_uint("cpus", ends[1] ? ends[1] : ends[0], &last, NULL) ||
        last < first) {
        g_set_error(c->errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'cpus' expects a CPU index or a range "
                    "FIRST-LAST, not '%s'", value);
        c->ok = false;
        return;
    }
    for (uint64_t cpu = first; c->ok && cpu <= last; cpu++) {
        if (cpu >= c->b->lim.max_cpus) {
            g_set_error(c->errp, TS_ERROR, TS_ERROR_INVALID,
                        "CPU index (%" PRIu64 ") should be smaller than "
                        "maxcpus (%u)", cpu, c->b->lim.max_cpus);
            c->ok = false;
            return;
        }
        c->ok = numa_place_cpu(c->b, (unsigned)cpu, c->node, c->errp);
    }
}

/* Legacy mem= took a bare number as MiB. */
static bool parse_legacy_mem(const char *text, uint64_t *out, GError **errp)
{
    if (!ts_parse_size("mem", text, out, errp)) {
        return false;
    }
    size_t len = strlen(text);
    if (len && g_ascii_isdigit(text[len - 1])) {
        if (*out > UINT64_MAX / MiB) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter 'mem' is out of range");
            return false;
        }
        *out *= MiB;
    }
    return true;
}

static bool memdev_used(NumaBuilder *b, const char *id)
{
    for (unsigned i = 0; i < NUMA_MAX_NODES; i++) {
        if (b->nodes[i].memdev && g_str_equal(b->nodes[i].memdev, id)) {
            return true;
        }
    }
    return false;
}

static bool node_memory(NumaBuilder *b, NumaNodeState *n, const TsOpts *o,
                        GError **errp)
{
    const char *mem = opts_get(o, "mem");
    const char *memdev = opts_get(o, "memdev");
    b->have_mem = b->have_mem || mem;
    b->have_memdev = b->have_memdev || memdev;
    if ((mem && b->have_memdev) || (memdev && b->have_mem)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "numa configuration should use either mem= or memdev=, "
                    "mixing both is not allowed");
        return false;
    }
    if (mem) {
        if (!b->lim.legacy_mem) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter -numa node,mem is not supported by this "
                        "machine type; use -numa node,memdev instead");
            return false;
        }
        return parse_legacy_mem(mem, &n->mem, errp);
    }
    if (memdev) {
        if (!memory_backend_size(memdev, &n->mem)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "memdev=%s: there is no memory backend '%s' "
                        "(create it with -object memory-backend-ram,id=%s,"
                        "size=...)", memdev, memdev, memdev);
            return false;
        }
        if (!memory_backend_plain(memdev)) {
            /* The board maps all nodes' RAM as one block. */
            g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                        "memdev=%s: only plain memory-backend-ram backends "
                        "(no share, prealloc) can back -numa nodes yet",
                        memdev);
            return false;
        }
        if (memdev_used(b, memdev)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "memory backend %s can't be used multiple times.",
                        memdev);
            return false;
        }
        n->memdev = g_strdup(memdev);
    }
    return true;
}

static bool parse_node(NumaBuilder *b, const TsOpts *o, GError **errp)
{
    static const char *const keys[] = { "type", "nodeid", "mem", "memdev",
                                        "cpus", "initiator", NULL };
    uint64_t id, initiator;
    if (!numa_check_keys(o, keys, NULL, errp) ||
        !opts_get_uint(o, "nodeid", b->num_nodes, &id, errp) ||
        !opts_get_uint(o, "initiator", TS_NUMA_NO_INITIATOR, &initiator,
                       errp)) {
        return false;
    }
    if (id >= NUMA_MAX_NODES) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Max number of NUMA nodes reached: %" PRIu64, id);
        return false;
    }
    NumaNodeState *n = &b->nodes[id];
    if (n->present) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Duplicate NUMA nodeid: %" PRIu64, id);
        return false;
    }
    if (opts_has(o, "initiator")) {
        if (!b->lim.hmat) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "ACPI Heterogeneous Memory Attribute Table (HMAT) "
                        "is disabled, enable it with -machine hmat=on "
                        "before using any of hmat specific options");
            return false;
        }
        if (initiator >= NUMA_MAX_NODES) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "The initiator id %" PRIu64 " expects an integer "
                        "between 0 and %d", initiator, NUMA_MAX_NODES - 1);
            return false;
        }
        n->initiator = (unsigned)initiator;
    }
    CpusCtx c = { b, (unsigned)id, errp, true };
    opts_foreach(o, add_cpus, &c);
    if (!c.ok || !node_memory(b, n, o, errp)) {
        return false;
    }
    n->present = true;
    b->max_nodeid = MAX(b->max_nodeid, (unsigned)id + 1);
    b->num_nodes++;
    return true;
}

/* ---- -numa dist ------------------------------------------------------ */

static bool parse_dist(NumaBuilder *b, const TsOpts *o, GError **errp)
{
    static const char *const keys[] = { "type", "src", "dst", "val", NULL };
    static const char *const required[] = { "src", "dst", "val", NULL };
    uint64_t src, dst, val;
    if (!numa_check_keys(o, keys, required, errp) ||
        !opts_get_uint(o, "src", 0, &src, errp) ||
        !opts_get_uint(o, "dst", 0, &dst, errp) ||
        !opts_get_uint(o, "val", 0, &val, errp)) {
        return false;
    }
    if (src >= NUMA_MAX_NODES || dst >= NUMA_MAX_NODES) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter '%s' expects an integer between 0 and %d",
                    src >= NUMA_MAX_NODES ? "src" : "dst",
                    NUMA_MAX_NODES - 1);
        return false;
    }
    if (!b->nodes[src].present || !b->nodes[dst].present) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Source/Destination NUMA node is missing. Please use "
                    "'-numa node' option to declare it first.");
        return false;
    }
    if (val > UINT8_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'val' expects an integer between %d and %d "
                    "(255: unreachable)", NUMA_DISTANCE_LOCAL, UINT8_MAX);
        return false;
    }
    if (val < NUMA_DISTANCE_LOCAL) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "NUMA distance (%" PRIu64 ") is invalid, it shouldn't "
                    "be less than %d.", val, NUMA_DISTANCE_LOCAL);
        return false;
    }
    if (src == dst && val != NUMA_DISTANCE_LOCAL) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Local distance of node %" PRIu64 " should be %d.", src,
                    NUMA_DISTANCE_LOCAL);
        return false;
    }
    b->dist[src * NUMA_MAX_NODES + dst] = (uint8_t)val;
    b->have_distance = true;
    return true;
}

/* ---- -numa cpu ------------------------------------------------------- */

static bool parse_cpu(NumaBuilder *b, const TsOpts *o, GError **errp)
{
    static const char *const keys[] = { "type", "node-id", "socket-id",
                                        "die-id", "cluster-id", "core-id",
                                        "thread-id", NULL };
    static const char *const levels[] = { "socket-id", "die-id",
                                          "cluster-id", "core-id",
                                          "thread-id" };
    uint64_t node, want[5];
    if (!numa_check_keys(o, keys, NULL, errp) ||
        !opts_get_uint(o, "node-id", 0, &node, errp)) {
        return false;
    }
    if (!opts_has(o, "node-id")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Missing mandatory node-id property");
        return false;
    }
    if (node >= NUMA_MAX_NODES || !b->nodes[node].present) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid node-id=%" PRIu64 ", NUMA node must be defined "
                    "with -numa node,nodeid=ID before it's used with "
                    "-numa cpu,node-id=ID", node);
        return false;
    }
    for (int l = 0; l < 5; l++) {
        if (!opts_get_uint(o, levels[l], UINT64_MAX, &want[l], errp)) {
            return false;
        }
    }
    if ((want[1] != UINT64_MAX && !b->lim.has_dies) ||
        (want[2] != UINT64_MAX && !b->lim.has_clusters)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "%s is not supported",
                    want[1] != UINT64_MAX && !b->lim.has_dies ? "die-id"
                                                              : "cluster-id");
        return false;
    }
    /* Every CPU whose ids match the given ones (an id left out matches
     * any), as QEMU does: "-numa cpu,node-id=1,socket-id=1" places the
     * whole socket. */
    bool matched = false;
    for (unsigned cpu = 0; cpu < b->lim.max_cpus; cpu++) {
        NumaCpuIds id = numa_cpu_ids(&b->lim, cpu);
        const unsigned have[5] = { id.socket, id.die, id.cluster, id.core,
                                   id.thread };
        bool match = true;
        for (int l = 0; l < 5; l++) {
            match = match && (want[l] == UINT64_MAX || want[l] == have[l]);
        }
        if (match) {
            matched = true;
            if (!numa_place_cpu(b, cpu, (unsigned)node, errp)) {
                return false;
            }
        }
    }
    if (!matched) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "no match found");
        return false;
    }
    return true;
}

/* ---- dispatch -------------------------------------------------------- */

bool numa_builder_add(NumaBuilder *b, const char *arg, GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(arg, "type", errp);
    if (!o) {
        return false;
    }
    const char *type = opts_get(o, "type");
    if (!type) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'type' is missing");
        return false;
    }
    if (g_str_equal(type, "node")) {
        return parse_node(b, o, errp);
    }
    if (g_str_equal(type, "dist")) {
        return parse_dist(b, o, errp);
    }
    if (g_str_equal(type, "cpu")) {
        return parse_cpu(b, o, errp);
    }
    bool lb = g_str_equal(type, "hmat-lb");
    if (lb || g_str_equal(type, "hmat-cache")) {
        if (!b->lim.hmat) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "ACPI Heterogeneous Memory Attribute Table (HMAT) "
                        "is disabled, enable it with -machine hmat=on "
                        "before using any of hmat specific options");
            return false;
        }
        return lb ? numa_parse_hmat_lb(b, o, errp)
                  : numa_parse_hmat_cache(b, o, errp);
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter 'type' does not accept value '%s' (node, dist, "
                "cpu, hmat-lb or hmat-cache)", type);
    return false;
}
