/*
 * core/machine/smp.h - the -smp option: CPU count and topology.
 */
#ifndef TESSERA_CORE_SMP_H
#define TESSERA_CORE_SMP_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

/* What a machine supports: dies/clusters only if it models them. */
typedef struct SmpLimits {
    const char *machine;     /* for messages */
    unsigned max_cpus;       /* 0: no limit beyond 4096 */
    bool has_dies;
    bool has_clusters;
} SmpLimits;

typedef struct SmpConfig {
    unsigned cpus, max_cpus;
    unsigned sockets, dies, clusters, cores, threads;
} SmpConfig;

/*
 * Parse "-smp [[cpus=]n][,maxcpus=m][,sockets=s][,dies=d][,clusters=c]
 * [,cores=c][,threads=t]" and complete the topology the way QEMU 6.2+
 * does: omitted values are computed preferring cores over sockets over
 * threads, then the product must equal maxcpus and maxcpus >= cpus.
 */
/* -smp help: the option's keys. */
void smp_print_options(FILE *out);

bool smp_parse(const char *text, const SmpLimits *limits, SmpConfig *out,
               GError **errp);

#endif
