/*
 * core/machine/numa-complete.c - what -numa needs the whole command line for:
 * no gaps in node ids, node memory adding up to -m, a complete distance
 * table, a node for every CPU, valid initiators; then the TsNumaConfig
 * boards read.
 */
#include "numa-internal.h"

#include <tessera/types.h>
#include <inttypes.h>

static void warn(NumaBuilder *b, char *text)
{
    g_ptr_array_insert(b->warnings, b->warnings->len - 1, text);
}

static uint8_t *dist_at(NumaBuilder *b, unsigned src, unsigned dst)
{
    return &b->dist[src * NUMA_MAX_NODES + dst];
}

/*
 * Every pair needs a distance in at least one direction; a one-way
 * distance stands for both.  If any pair was given two different
 * distances the table is asymmetric, and then every direction of every
 * pair must be given.  The distance of a node to itself is always 10.
 */
static bool complete_distances(NumaBuilder *b, GError **errp)
{
    unsigned n = b->num_nodes;
    bool asymmetric = false;
    for (unsigned src = 0; src < n; src++) {
        for (unsigned dst = src + 1; dst < n; dst++) {
            uint8_t there = *dist_at(b, src, dst);
            uint8_t back = *dist_at(b, dst, src);
            if (!there && !back) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "The distance between node %u and %u is "
                            "missing, at least one distance value between "
                            "each nodes should be provided.", src, dst);
                return false;
            }
            asymmetric = asymmetric || (there && back && there != back);
        }
    }
    for (unsigned src = 0; src < n; src++) {
        for (unsigned dst = 0; dst < n; dst++) {
            if (asymmetric && src != dst && !*dist_at(b, src, dst)) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "At least one asymmetrical pair of distances "
                            "is given, please provide distances for both "
                            "directions of all node pairs.");
                return false;
            }
        }
    }
    for (unsigned src = 0; src < n; src++) {
        for (unsigned dst = 0; dst < n; dst++) {
            uint8_t *d = dist_at(b, src, dst);
            if (!*d) {
                *d = src == dst ? NUMA_DISTANCE_LOCAL : *dist_at(b, dst, src);
            }
        }
    }
    return true;
}

static char *describe_cpu(const NumaLimits *l, unsigned cpu)
{
    NumaCpuIds id = numa_cpu_ids(l, cpu);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "CPU %u [socket-id: %u", cpu, id.socket);
    if (l->has_dies) {
        g_string_append_printf(s, ", die-id: %u", id.die);
    }
    if (l->has_clusters) {
        g_string_append_printf(s, ", cluster-id: %u", id.cluster);
    }
    g_string_append_printf(s, ", core-id: %u, thread-id: %u]", id.core,
                           id.thread);
    return g_string_free(s, false);
}

/* CPUs no option placed: with none placed at all, contiguous runs, one
 * per node; otherwise node 0, with QEMU's warning. */
static bool place_remaining_cpus(NumaBuilder *b, GError **errp)
{
    bool any = false;
    for (unsigned cpu = 0; cpu < b->lim.max_cpus; cpu++) {
        any = any || b->cpu_node[cpu] >= 0;
    }
    g_autoptr(GString) left = g_string_new(NULL);
    for (unsigned cpu = 0; cpu < b->lim.max_cpus; cpu++) {
        if (b->cpu_node[cpu] >= 0) {
            continue;
        }
        unsigned node = 0;
        if (!any) {
            node = (unsigned)((uint64_t)cpu * b->num_nodes /
                              b->lim.max_cpus);
        } else {
            g_autofree char *d = describe_cpu(&b->lim, cpu);
            g_string_append_printf(left, "%s%s", left->len ? ", " : "", d);
        }
        if (!numa_place_cpu(b, cpu, node, errp)) {
            return false;
        }
    }
    if (left->len) {
        warn(b, g_strdup_printf("CPU(s) not present in any NUMA nodes: %s",
                                left->str));
        warn(b, g_strdup("All CPU(s) up to maxcpus should be described in "
                         "NUMA config, ability to start up with partial "
                         "NUMA mappings is obsoleted and will be removed in "
                         "future"));
    }
    return true;
}

static bool check_initiators(NumaBuilder *b, GError **errp)
{
    for (unsigned i = 0; i < b->num_nodes; i++) {
        unsigned init = b->nodes[i].initiator;
        if (init == TS_NUMA_NO_INITIATOR) {
            continue;
        }
        if (!b->nodes[init].present) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "NUMA node %u is missing, use '-numa node' option "
                        "to declare it first", init);
            return false;
        }
        if (!b->nodes[init].has_cpu) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "The initiator of NUMA node %u is invalid", i);
            return false;
        }
    }
    return true;
}

static void build_result(NumaBuilder *b)
{
    unsigned n = b->num_nodes, ncpu = b->lim.max_cpus;
    if (n == 0) {
        b->config = (TsNumaConfig) { 0 };
        b->hmat = (NumaHmat) { .enabled = b->lim.hmat };
        return;
    }
    b->out_nodes = g_new0(TsNumaNode, n);
    b->out_cpus = g_new(unsigned, ncpu);
    b->out_cpu_node = g_new(unsigned, ncpu);
    unsigned used = 0;
    uint64_t start = 0;
    for (unsigned i = 0; i < n; i++) {
        TsNumaNode *out = &b->out_nodes[i];
        out->mem_size = b->nodes[i].mem;
        out->mem_start = start;
        start += out->mem_size;
        out->memdev = b->nodes[i].memdev;
        out->initiator = b->nodes[i].initiator;
        out->cpus = &b->out_cpus[used];
        for (unsigned cpu = 0; cpu < ncpu; cpu++) {
            if ((unsigned)b->cpu_node[cpu] == i) {
                b->out_cpus[used++] = cpu;
                out->n_cpus++;
            }
        }
    }
    for (unsigned cpu = 0; cpu < ncpu; cpu++) {
        b->out_cpu_node[cpu] = (unsigned)b->cpu_node[cpu];
    }
    if (b->have_distance) {
        b->out_dist = g_new(uint8_t, n * n);
        for (unsigned s = 0; s < n; s++) {
            for (unsigned d = 0; d < n; d++) {
                b->out_dist[s * n + d] = *dist_at(b, s, d);
            }
        }
    }
    GArray *caches = g_array_new(false, false, sizeof(TsNumaHmatCache));
    for (unsigned i = 0; i < n; i++) {
        for (unsigned l = 1; l < NUMA_HMAT_LEVELS; l++) {
            if (b->nodes[i].cache[l]) {
                g_array_append_val(caches, *b->nodes[i].cache[l]);
            }
        }
    }
    b->config = (TsNumaConfig) {
        .n_nodes = n,
        .nodes = b->out_nodes,
        .cpu_node = b->out_cpu_node,
        .distance = b->out_dist,
    };
    b->hmat = (NumaHmat) {
        .enabled = b->lim.hmat,
        .n_lb = b->hmat_lb->len,
        .lb = (const TsNumaHmatLb *)b->hmat_lb->data,
        .n_cache = caches->len,
    };
    b->out_cache = (TsNumaHmatCache *)g_array_free(caches, false);
    b->hmat.cache = b->out_cache;
}

const TsNumaConfig *numa_builder_finish(NumaBuilder *b, GError **errp)
{
    /* Report the largest missing id first: that is where the typo is. */
    for (unsigned i = b->max_nodeid; i-- > 0;) {
        if (!b->nodes[i].present) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "numa: Node ID missing: %u", i);
            return NULL;
        }
    }
    uint64_t total = 0;
    for (unsigned i = 0; i < b->num_nodes; i++) {
        total += b->nodes[i].mem;
    }
    if (b->num_nodes && total != b->lim.ram_size) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "total memory for NUMA nodes (0x%" PRIx64 ") should "
                    "equal RAM size (0x%" PRIx64 ")", total,
                    b->lim.ram_size);
        return NULL;
    }
    if (b->have_distance && !complete_distances(b, errp)) {
        return NULL;
    }
    if (b->num_nodes && !place_remaining_cpus(b, errp)) {
        return NULL;
    }
    if (b->lim.hmat && !check_initiators(b, errp)) {
        return NULL;
    }
    build_result(b);
    return &b->config;
}

const NumaHmat *numa_builder_hmat(const NumaBuilder *b)
{
    return &b->hmat;
}
