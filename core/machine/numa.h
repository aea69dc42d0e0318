/*
 * core/machine/numa.h - the -numa option: nodes, distances, CPU placement and
 * the HMAT figures, checked by the rules of QEMU's manual and turned
 * into the TsNumaConfig a board reads (sdk machine.h).
 *
 * The -numa options are taken in command-line order, as QEMU does: a
 * node must be declared before a dist, cpu or hmat option names it.  Once
 * all are in, numa_builder_finish() checks what needs the whole picture
 * (no gaps in node ids, memory adding up to -m, a complete distance
 * table, initiators) and places the CPUs no option placed.
 */
#ifndef TESSERA_CORE_NUMA_H
#define TESSERA_CORE_NUMA_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include <tessera/machine.h>

/* Up to 128 nodes, as in QEMU (ids 0..127). */
#define NUMA_MAX_NODES 128

typedef struct NumaLimits {
    /* The -smp result: CPU indexes 0..max_cpus-1, numbered threads
     * fastest, then cores, clusters, dies, sockets. */
    unsigned max_cpus;
    unsigned sockets, dies, clusters, cores, threads;
    bool has_dies, has_clusters;    /* -numa cpu,die-id= / cluster-id= */
    uint64_t ram_size;              /* -m: the nodes' memory adds up to it */
    bool hmat;                      /* -machine hmat=on */
    /* Accept the legacy mem= (QEMU: machine types 5.0 and older only).
     * Every Tessera machine is new, so the command line passes false and
     * mem= is refused with a hint to use memdev=. */
    bool legacy_mem;
} NumaLimits;

/* HMAT figures (-numa hmat-lb, hmat-cache with -machine hmat=on): checked
 * as QEMU checks them, kept here until a board describes them to the guest
 * (then they move into TsNumaConfig's reserved slots, an SDK addition). */
/* -numa hmat-lb: one latency or bandwidth figure between two nodes. */
typedef enum TsHmatHierarchy {
    TS_HMAT_MEMORY,             /* the memory itself */
    TS_HMAT_FIRST_LEVEL,        /* its memory-side caches, by level */
    TS_HMAT_SECOND_LEVEL,
    TS_HMAT_THIRD_LEVEL,
} TsHmatHierarchy;

typedef enum TsHmatDataType {
    TS_HMAT_ACCESS_LATENCY,     /* latencies in nanoseconds */
    TS_HMAT_READ_LATENCY,
    TS_HMAT_WRITE_LATENCY,
    TS_HMAT_ACCESS_BANDWIDTH,   /* bandwidths in bytes per second */
    TS_HMAT_READ_BANDWIDTH,
    TS_HMAT_WRITE_BANDWIDTH,
} TsHmatDataType;

typedef struct TsNumaHmatLb {
    unsigned initiator;         /* a node with CPUs */
    unsigned target;            /* a node with memory */
    TsHmatHierarchy hierarchy;
    TsHmatDataType data_type;
    uint64_t value;             /* 0: not provided */
} TsNumaHmatLb;

/* -numa hmat-cache: a memory-side cache of a node. */
typedef enum TsHmatCacheAssociativity {
    TS_HMAT_CACHE_ASSOC_NONE,
    TS_HMAT_CACHE_ASSOC_DIRECT,
    TS_HMAT_CACHE_ASSOC_COMPLEX,
} TsHmatCacheAssociativity;

typedef enum TsHmatCachePolicy {
    TS_HMAT_CACHE_POLICY_NONE,
    TS_HMAT_CACHE_POLICY_WRITE_BACK,
    TS_HMAT_CACHE_POLICY_WRITE_THROUGH,
} TsHmatCachePolicy;

typedef struct TsNumaHmatCache {
    unsigned node;
    unsigned level;             /* 1..3; level n+1 is larger than level n */
    uint64_t size;              /* bytes */
    TsHmatCacheAssociativity associativity;
    TsHmatCachePolicy policy;
    unsigned line;              /* line size in bytes */
} TsNumaHmatCache;

typedef struct NumaHmat {
    bool enabled;               /* -machine hmat=on */
    unsigned n_lb;
    const TsNumaHmatLb *lb;
    unsigned n_cache;
    const TsNumaHmatCache *cache;
} NumaHmat;

typedef struct NumaBuilder NumaBuilder;

NumaBuilder *numa_builder_new(const NumaLimits *limits);
void numa_builder_free(NumaBuilder *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NumaBuilder, numa_builder_free)

/* One -numa argument: "[type=]node|dist|cpu|hmat-lb|hmat-cache,...".
 * memdev= names are looked up with memory_backend_size(). */
bool numa_builder_add(NumaBuilder *b, const char *arg, GError **errp);

/* Check the whole configuration and complete it.  The result lives as
 * long as the builder.  NULL + errp if it is inconsistent. */
const TsNumaConfig *numa_builder_finish(NumaBuilder *b, GError **errp);
/* The HMAT part of the result, valid after a successful finish(). */
const NumaHmat *numa_builder_hmat(const NumaBuilder *b);

/* Warnings finish() produced (CPUs left out of every node), one line
 * each, without a trailing newline; NULL-terminated. */
const char *const *numa_builder_warnings(const NumaBuilder *b);

/* The configuration the running machine uses (for `info numa`): set by
 * the command line, NULL without -numa. */
void numa_set_current(const TsNumaConfig *config);
const TsNumaConfig *numa_current(void);

/* The HMAT part of this run's -numa (enabled=false without hmat=on). */
const NumaHmat *machine_numa_hmat(void);

#endif
