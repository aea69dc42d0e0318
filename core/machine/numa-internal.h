/*
 * core/machine/numa-internal.h - the state numa.c and numa-hmat.c share while
 * -numa options are read.
 */
#ifndef TESSERA_CORE_NUMA_INTERNAL_H
#define TESSERA_CORE_NUMA_INTERNAL_H

#include "numa.h"
#include "cli/opts.h"

#define NUMA_HMAT_LEVELS 4          /* cache levels 1..3 */

typedef struct NumaNodeState {
    bool present;
    bool has_cpu;           /* with hmat: CPUs were placed in it */
    uint64_t mem;
    char *memdev;
    unsigned initiator;     /* TS_NUMA_NO_INITIATOR until given */
    /* As an hmat-lb target: bit 0 a latency, bit 1 a bandwidth was
     * given (non-zero); memory-side caches need both. */
    unsigned lb_provided;
    TsNumaHmatCache *cache[NUMA_HMAT_LEVELS];
} NumaNodeState;

struct NumaBuilder {
    NumaLimits lim;
    NumaNodeState nodes[NUMA_MAX_NODES];
    unsigned num_nodes;             /* declared so far */
    unsigned max_nodeid;            /* highest declared id + 1 */
    bool have_mem, have_memdev, have_distance;
    uint8_t *dist;                  /* [MAX * MAX]; 0: not given */
    int *cpu_node;                  /* [max_cpus]; -1: not placed */
    GArray *hmat_lb;                /* of TsNumaHmatLb */
    GPtrArray *warnings;            /* of char *, NULL-terminated */
    /* The result of finish(). */
    TsNumaConfig config;
    NumaHmat hmat;
    TsNumaNode *out_nodes;
    unsigned *out_cpus;
    unsigned *out_cpu_node;
    uint8_t *out_dist;
    TsNumaHmatCache *out_cache;
};

#define NUMA_DISTANCE_LOCAL 10       /* of a node to itself */

/* Put a CPU in a node: once only; with hmat, the node becomes its own
 * initiator ("The initiator of CPU NUMA node N should be itself"). */
bool numa_place_cpu(NumaBuilder *b, unsigned cpu, unsigned node,
                    GError **errp);

/* The -smp position of a CPU index: threads vary fastest. */
typedef struct NumaCpuIds {
    unsigned socket, die, cluster, core, thread;
} NumaCpuIds;
NumaCpuIds numa_cpu_ids(const NumaLimits *l, unsigned index);

/* Every option must name its parameter, and only its own. */
bool numa_check_keys(const TsOpts *o, const char *const *keys,
                     const char *const *required, GError **errp);

/* numa-hmat.c: -numa hmat-lb and hmat-cache (hmat=on already checked). */
bool numa_parse_hmat_lb(NumaBuilder *b, const TsOpts *o, GError **errp);
bool numa_parse_hmat_cache(NumaBuilder *b, const TsOpts *o, GError **errp);

#endif
