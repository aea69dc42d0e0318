/*
 * -numa: the rules of QEMU's manual, with its examples, and the failing
 * cases with their messages.  Memory backends come from -object
 * memory-backend-ram, as on the command line.
 */
#include "machine/numa.h"
#include "memory/memory-backend.h"
#include "object/user-object.h"

#include <glib.h>

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* -smp N with N sockets of one core (the manual's examples), -m ram. */
static NumaLimits sockets(unsigned n, uint64_t ram)
{
    return (NumaLimits) { .max_cpus = n, .sockets = n, .cores = 1,
                          .threads = 1, .ram_size = ram };
}

static void backend(const char *arg)
{
    GError *err = NULL;
    if (!user_object_add(arg, &err)) {
        g_error("-object %s: %s", arg, err->message);
    }
}

static void add_ok(NumaBuilder *b, const char *arg)
{
    GError *err = NULL;
    if (!numa_builder_add(b, arg, &err)) {
        g_error("-numa %s: unexpected error: %s", arg, err->message);
    }
}

static void check_message(GError *err, const char *what, const char *fragment)
{
    g_assert_nonnull(err);
    if (!strstr(err->message, fragment)) {
        g_error("%s: message '%s' lacks '%s'", what, err->message, fragment);
    }
    g_error_free(err);
}

static void add_fails(NumaBuilder *b, const char *arg, const char *fragment)
{
    GError *err = NULL;
    g_assert_false(numa_builder_add(b, arg, &err));
    check_message(err, arg, fragment);
}

static const TsNumaConfig *finish_ok(NumaBuilder *b)
{
    GError *err = NULL;
    const TsNumaConfig *c = numa_builder_finish(b, &err);
    if (!c) {
        g_error("finish: unexpected error: %s", err->message);
    }
    return c;
}

static void finish_fails(NumaBuilder *b, const char *fragment)
{
    GError *err = NULL;
    g_assert_null(numa_builder_finish(b, &err));
    check_message(err, "finish", fragment);
}

/* A builder for `lim` fed the given options, all of which must pass. */
static NumaBuilder *build(const NumaLimits *lim, const char *const *args)
{
    NumaBuilder *b = numa_builder_new(lim);
    for (; *args; args++) {
        add_ok(b, *args);
    }
    return b;
}

static void assert_cpus(const TsNumaNode *n, const unsigned *want,
                        unsigned count)
{
    g_assert_cmpuint(n->n_cpus, ==, count);
    for (unsigned i = 0; i < count; i++) {
        g_assert_cmpuint(n->cpus[i], ==, want[i]);
    }
}

static void setup(void)
{
    memory_backend_reset();
}

/* ---- nodes, memory ---------------------------------------------------- */

static void test_memdev_nodes(void)
{
    setup();
    backend("memory-backend-ram,id=m0,size=1G");
    backend("memory-backend-ram,size=1G,id=m1");
    NumaLimits lim = sockets(2, 2 * GiB);
    static const char *const args[] = { "node,nodeid=0,memdev=m0",
                                        "node,nodeid=1,memdev=m1", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    g_assert_cmpuint(c->n_nodes, ==, 2);
    g_assert_cmpuint(c->nodes[0].mem_size, ==, GiB);
    g_assert_cmpuint(c->nodes[0].mem_start, ==, 0);
    g_assert_cmpuint(c->nodes[1].mem_start, ==, GiB);
    g_assert_cmpstr(c->nodes[1].memdev, ==, "m1");
    g_assert_null(c->distance);         /* no -numa dist */
    g_assert_false(numa_builder_hmat(b)->enabled);
    g_assert_cmpuint(c->nodes[0].initiator, ==, TS_NUMA_NO_INITIATOR);
    /* No cpus= anywhere: the CPUs are split between the nodes. */
    g_assert_cmpuint(c->cpu_node[0], ==, 0);
    g_assert_cmpuint(c->cpu_node[1], ==, 1);
    g_assert_null(numa_builder_warnings(b)[0]);
}

static void test_memory_must_add_up(void)
{
    setup();
    backend("memory-backend-ram,id=m0,size=1G");
    NumaLimits lim = sockets(1, 2 * GiB);
    static const char *const args[] = { "node,memdev=m0", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    finish_fails(b, "total memory for NUMA nodes (0x40000000) should equal "
                    "RAM size (0x80000000)");

    /* Nodes without memory at all cannot hold the guest's RAM either. */
    NumaLimits lim2 = sockets(1, 128 * MiB);
    static const char *const bare[] = { "node", "node", NULL };
    g_autoptr(NumaBuilder) b2 = build(&lim2, bare);
    finish_fails(b2, "total memory for NUMA nodes (0x0) should equal RAM "
                     "size (0x8000000)");
}

static void test_memoryless_node(void)
{
    setup();
    backend("memory-backend-ram,id=m0,size=128M");
    NumaLimits lim = sockets(2, 128 * MiB);
    static const char *const args[] = { "node,memdev=m0,cpus=0",
                                        "node,cpus=1", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    g_assert_cmpuint(c->nodes[1].mem_size, ==, 0);
    g_assert_null(c->nodes[1].memdev);
    g_assert_cmpuint(c->nodes[1].n_cpus, ==, 1);
}

static void test_mem_and_memdev(void)
{
    setup();
    backend("memory-backend-ram,id=m0,size=64M");
    backend("memory-backend-ram,id=m1,size=64M");
    /* Every Tessera machine type is new: mem= is refused outright. */
    NumaLimits lim = sockets(1, 128 * MiB);
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_fails(b, "node,mem=64M", "Parameter -numa node,mem is not supported "
              "by this machine type; use -numa node,memdev instead");

    /* The old rules, for a machine type that still takes mem=: mem and
     * memdev exclude each other, in one node or across nodes, and a
     * bare number is MiB. */
    NumaLimits legacy = lim;
    legacy.legacy_mem = true;
    g_autoptr(NumaBuilder) l1 = numa_builder_new(&legacy);
    add_fails(l1, "node,mem=64,memdev=m0", "numa configuration should use "
              "either mem= or memdev=, mixing both is not allowed");
    g_autoptr(NumaBuilder) l2 = numa_builder_new(&legacy);
    add_ok(l2, "node,mem=64");
    add_fails(l2, "node,memdev=m1", "mixing both is not allowed");
    g_autoptr(NumaBuilder) l3 = numa_builder_new(&legacy);
    add_ok(l3, "node,memdev=m0");
    add_fails(l3, "node,mem=64M", "mixing both is not allowed");
    g_autoptr(NumaBuilder) l4 = numa_builder_new(&legacy);
    add_ok(l4, "node,mem=64");
    add_ok(l4, "node,mem=64M");
    const TsNumaConfig *c = finish_ok(l4);
    g_assert_cmpuint(c->nodes[0].mem_size, ==, 64 * MiB);
    g_assert_cmpuint(c->nodes[1].mem_size, ==, 64 * MiB);
}

static void test_memdev_errors(void)
{
    setup();
    backend("memory-backend-ram,id=m0,size=64M");
    NumaLimits lim = sockets(1, 128 * MiB);
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_fails(b, "node,memdev=nosuch", "there is no memory backend "
              "'nosuch'");
    add_ok(b, "node,memdev=m0");
    add_fails(b, "node,memdev=m0", "memory backend m0 can't be used "
              "multiple times.");
}

static void test_node_ids(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_ok(b, "node,nodeid=3");
    add_fails(b, "node,nodeid=3", "Duplicate NUMA nodeid: 3");
    add_fails(b, "node,nodeid=128", "Max number of NUMA nodes reached: 128");
    add_ok(b, "node,nodeid=0");
    /* Ids must have no gaps: the largest missing one is named. */
    finish_fails(b, "numa: Node ID missing: 2");

    /* Without nodeid, a node takes the count of nodes so far. */
    g_autoptr(NumaBuilder) b2 = numa_builder_new(&lim);
    add_ok(b2, "node");
    add_ok(b2, "node");
    add_fails(b2, "node,nodeid=1", "Duplicate NUMA nodeid: 1");
    g_assert_cmpuint(finish_ok(b2)->n_nodes, ==, 2);
}

static void test_option_grammar(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_fails(b, "nodeid=0", "Parameter 'type' is missing");
    add_fails(b, "blob", "Parameter 'type' does not accept value 'blob'");
    add_fails(b, "node,size=1G", "Invalid parameter 'size'");
    add_fails(b, "node,nodeid=x", "Parameter 'nodeid' expects");
    add_ok(b, "type=node");
}

/* ---- CPUs ------------------------------------------------------------ */

static void test_cpus_ranges_and_repeats(void)
{
    setup();
    /* The manual: "assigns VCPUs 0, 1, 2 and 5 to a NUMA node". */
    NumaLimits lim = sockets(8, 0);
    static const char *const args[] = { "node,cpus=0-2,cpus=5",
                                        "node,cpus=3-4,cpus=6-7", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    static const unsigned n0[] = { 0, 1, 2, 5 }, n1[] = { 3, 4, 6, 7 };
    assert_cpus(&c->nodes[0], n0, 4);
    assert_cpus(&c->nodes[1], n1, 4);
    g_assert_cmpuint(c->cpu_node[5], ==, 0);
    g_assert_cmpuint(c->cpu_node[6], ==, 1);
}

static void test_cpus_errors(void)
{
    setup();
    NumaLimits lim = sockets(4, 0);
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_fails(b, "node,cpus=4", "CPU index (4) should be smaller than "
              "maxcpus (4)");
    add_fails(b, "node,cpus=2-9", "CPU index (4) should be smaller than "
              "maxcpus (4)");
    add_fails(b, "node,cpus=3-1", "Parameter 'cpus' expects a CPU index or "
              "a range");
    add_fails(b, "node,cpus=a", "Parameter 'cpus' expects");

    /* A CPU belongs to one node; repeating it in the same node is fine. */
    g_autoptr(NumaBuilder) b2 = numa_builder_new(&lim);
    add_ok(b2, "node,cpus=0-1");
    add_fails(b2, "node,cpus=1", "CPU is already assigned to node-id: 0");
    add_ok(b2, "node,cpus=2,cpus=2");
}

static void test_numa_cpu_by_socket(void)
{
    setup();
    backend("memory-backend-ram,id=m0,size=64M");
    backend("memory-backend-ram,id=m1,size=64M");
    /* The manual's "-smp 1,sockets=2,maxcpus=2 ... -numa cpu". */
    NumaLimits lim = sockets(2, 128 * MiB);
    static const char *const args[] = {
        "node,nodeid=0,memdev=m0", "node,nodeid=1,memdev=m1",
        "cpu,node-id=0,socket-id=0", "cpu,node-id=1,socket-id=1", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    g_assert_cmpuint(c->cpu_node[0], ==, 0);
    g_assert_cmpuint(c->cpu_node[1], ==, 1);
}

static void test_numa_cpu_topology(void)
{
    setup();
    /* -smp 8,sockets=2,cores=2,threads=2: a whole socket, one core, one
     * thread of every core. */
    NumaLimits lim = { .max_cpus = 8, .sockets = 2, .cores = 2,
                       .threads = 2 };
    static const char *const args[] = {
        "node", "node", "node",
        "cpu,node-id=1,socket-id=1",
        "cpu,node-id=2,socket-id=0,core-id=1,thread-id=1",
        "cpu,node-id=0,socket-id=0,core-id=0",
        "cpu,node-id=0,socket-id=0,core-id=1,thread-id=0", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    static const unsigned n0[] = { 0, 1, 2 }, n1[] = { 4, 5, 6, 7 },
                          n2[] = { 3 };
    assert_cpus(&c->nodes[0], n0, 3);
    assert_cpus(&c->nodes[1], n1, 4);
    assert_cpus(&c->nodes[2], n2, 1);
}

static void test_numa_cpu_errors(void)
{
    setup();
    NumaLimits lim = { .max_cpus = 4, .sockets = 2, .cores = 2,
                       .threads = 1 };
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_fails(b, "cpu,socket-id=0", "Missing mandatory node-id property");
    add_fails(b, "cpu,node-id=0,socket-id=0", "Invalid node-id=0, NUMA "
              "node must be defined with -numa node,nodeid=ID before it's "
              "used with -numa cpu,node-id=ID");
    add_ok(b, "node");
    add_ok(b, "node");
    add_fails(b, "cpu,node-id=0,die-id=0", "die-id is not supported");
    add_fails(b, "cpu,node-id=0,cluster-id=0", "cluster-id is not "
              "supported");
    add_fails(b, "cpu,node-id=0,book-id=0", "Invalid parameter 'book-id'");
    add_fails(b, "cpu,node-id=0,socket-id=2", "no match found");
    add_ok(b, "cpu,node-id=0,socket-id=0");
    add_fails(b, "cpu,node-id=1,socket-id=0,core-id=1",
              "CPU is already assigned to node-id: 0");
}

static void test_cpus_left_out(void)
{
    setup();
    NumaLimits lim = sockets(4, 0);
    static const char *const args[] = { "node,cpus=1", "node,cpus=2",
                                        NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    /* QEMU's rule: placed in node 0, with a warning naming them. */
    static const unsigned n0[] = { 0, 1, 3 };
    assert_cpus(&c->nodes[0], n0, 3);
    const char *const *w = numa_builder_warnings(b);
    g_assert_nonnull(w[0]);
    g_assert_nonnull(strstr(w[0], "CPU(s) not present in any NUMA nodes: "
                                  "CPU 0 [socket-id: 0, core-id: 0, "
                                  "thread-id: 0], CPU 3 [socket-id: 3"));
    g_assert_nonnull(strstr(w[1], "All CPU(s) up to maxcpus should be "
                                  "described in NUMA config"));
    g_assert_null(w[2]);
}

static void test_default_cpu_split(void)
{
    setup();
    NumaLimits lim = sockets(6, 0);
    static const char *const args[] = { "node", "node", "node", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    static const unsigned n1[] = { 2, 3 };
    assert_cpus(&c->nodes[1], n1, 2);
    g_assert_null(numa_builder_warnings(b)[0]);
}

/* ---- distances ------------------------------------------------------- */

static void test_distances_symmetric(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    static const char *const args[] = {
        "node", "node", "node",
        "dist,src=0,dst=1,val=15", "dist,src=2,dst=0,val=20",
        "dist,src=1,dst=2,val=255", "dist,src=1,dst=1,val=10", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    static const uint8_t want[] = { 10, 15, 20,
                                    15, 10, 255,
                                    20, 255, 10 };
    g_assert_nonnull(c->distance);
    for (unsigned i = 0; i < 9; i++) {
        g_assert_cmpuint(c->distance[i], ==, want[i]);
    }
}

static void test_distances_all_pairs(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    static const char *const args[] = { "node", "node", "node",
                                        "dist,src=0,dst=1,val=20", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    finish_fails(b, "The distance between node 0 and 2 is missing, at "
                    "least one distance value between each nodes should be "
                    "provided.");
}

static void test_distances_asymmetric(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    /* One pair differs by direction: now every direction is needed. */
    static const char *const some[] = {
        "node", "node", "node",
        "dist,src=0,dst=1,val=20", "dist,src=1,dst=0,val=30",
        "dist,src=0,dst=2,val=20", "dist,src=1,dst=2,val=20", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, some);
    finish_fails(b, "At least one asymmetrical pair of distances is given, "
                    "please provide distances for both directions of all "
                    "node pairs.");

    static const char *const all[] = {
        "node", "node",
        "dist,src=0,dst=1,val=20", "dist,src=1,dst=0,val=30", NULL };
    g_autoptr(NumaBuilder) b2 = build(&lim, all);
    const TsNumaConfig *c = finish_ok(b2);
    g_assert_cmpuint(c->distance[1], ==, 20);
    g_assert_cmpuint(c->distance[2], ==, 30);
    g_assert_cmpuint(c->distance[3], ==, 10);
}

static void test_distance_errors(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_ok(b, "node");
    add_fails(b, "dist,src=0,dst=1,val=20", "Source/Destination NUMA node "
              "is missing. Please use '-numa node' option to declare it "
              "first.");
    add_ok(b, "node");
    add_fails(b, "dist,src=0,dst=1,val=9", "NUMA distance (9) is invalid, "
              "it shouldn't be less than 10.");
    add_fails(b, "dist,src=0,dst=1,val=256", "Parameter 'val' expects an "
              "integer between 10 and 255");
    add_fails(b, "dist,src=0,dst=0,val=20", "Local distance of node 0 "
              "should be 10.");
    add_fails(b, "dist,src=128,dst=0,val=20", "Parameter 'src' expects an "
              "integer between 0 and 127");
    add_fails(b, "dist,src=0,val=20", "Parameter 'dst' is missing");
}

/* ---- HMAT --------------------------------------------------------------- */

static const char *const hmat_disabled =
    "ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, enable "
    "it with -machine hmat=on before using any of hmat specific options";

static void test_hmat_needs_machine_option(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_ok(b, "node");
    add_fails(b, "node,initiator=0", hmat_disabled);
    add_fails(b, "hmat-lb,initiator=0,target=0,hierarchy=memory,"
              "data-type=access-latency,latency=5", hmat_disabled);
    add_fails(b, "hmat-cache,node-id=0,size=10K,level=1,"
              "associativity=direct,policy=write-back,line=8",
              hmat_disabled);
}

/* The manual's example: node 0 has the CPUs, node 1 only memory, and its
 * initiator is node 0. */
static void test_hmat_initiator_example(void)
{
    setup();
    backend("memory-backend-ram,size=1G,id=m0");
    backend("memory-backend-ram,size=1G,id=m1");
    NumaLimits lim = sockets(2, 2 * GiB);
    lim.hmat = true;
    static const char *const args[] = {
        "node,nodeid=0,memdev=m0", "node,nodeid=1,memdev=m1,initiator=0",
        "cpu,node-id=0,socket-id=0", "cpu,node-id=0,socket-id=1", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    const TsNumaConfig *c = finish_ok(b);
    g_assert_true(numa_builder_hmat(b)->enabled);
    g_assert_cmpuint(c->nodes[0].initiator, ==, 0);   /* itself */
    g_assert_cmpuint(c->nodes[1].initiator, ==, 0);
}

static void test_hmat_initiator_rules(void)
{
    setup();
    NumaLimits lim = sockets(2, 0);
    lim.hmat = true;
    /* A node with CPUs is its own initiator. */
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_ok(b, "node");
    add_fails(b, "node,cpus=1,initiator=0", "The initiator of CPU NUMA node "
              "1 should be itself (got 0)");
    add_fails(b, "node,initiator=128", "The initiator id 128 expects an "
              "integer between 0 and 127");

    /* The initiator must have CPUs... */
    g_autoptr(NumaBuilder) b2 = numa_builder_new(&lim);
    add_ok(b2, "node,cpus=0-1");
    add_ok(b2, "node,initiator=2");
    add_ok(b2, "node,initiator=1");
    finish_fails(b2, "The initiator of NUMA node 1 is invalid");
    /* ...and exist. */
    g_autoptr(NumaBuilder) b3 = numa_builder_new(&lim);
    add_ok(b3, "node,cpus=0-1");
    add_ok(b3, "node,initiator=5");
    finish_fails(b3, "NUMA node 5 is missing, use '-numa node' option to "
                     "declare it first");
}

static void test_hmat_lb_and_cache_example(void)
{
    setup();
    backend("memory-backend-ram,size=1G,id=m0");
    backend("memory-backend-ram,size=1G,id=m1");
    NumaLimits lim = sockets(2, 2 * GiB);
    lim.hmat = true;
    static const char *const args[] = {
        "node,nodeid=0,memdev=m0", "node,nodeid=1,memdev=m1,initiator=0",
        "cpu,node-id=0,socket-id=0", "cpu,node-id=0,socket-id=1",
        "hmat-lb,initiator=0,target=0,hierarchy=memory,"
        "data-type=access-latency,latency=5",
        "hmat-lb,initiator=0,target=0,hierarchy=memory,"
        "data-type=access-bandwidth,bandwidth=200M",
        "hmat-lb,initiator=0,target=1,hierarchy=memory,"
        "data-type=access-latency,latency=10",
        "hmat-lb,initiator=0,target=1,hierarchy=memory,"
        "data-type=access-bandwidth,bandwidth=100M",
        "hmat-cache,node-id=0,size=10K,level=1,associativity=direct,"
        "policy=write-back,line=8",
        "hmat-cache,node-id=1,size=10K,level=1,associativity=direct,"
        "policy=write-back,line=8", NULL };
    g_autoptr(NumaBuilder) b = build(&lim, args);
    finish_ok(b);
    g_assert_cmpuint(numa_builder_hmat(b)->n_lb, ==, 4);
    g_assert_cmpuint(numa_builder_hmat(b)->lb[1].data_type, ==, TS_HMAT_ACCESS_BANDWIDTH);
    g_assert_cmpuint(numa_builder_hmat(b)->lb[1].value, ==, 200 * MiB);
    g_assert_cmpuint(numa_builder_hmat(b)->lb[2].target, ==, 1);
    g_assert_cmpuint(numa_builder_hmat(b)->lb[2].value, ==, 10);
    g_assert_cmpuint(numa_builder_hmat(b)->n_cache, ==, 2);
    g_assert_cmpuint(numa_builder_hmat(b)->cache[1].node, ==, 1);
    g_assert_cmpuint(numa_builder_hmat(b)->cache[1].size, ==, 10 * 1024);
    g_assert_cmpuint(numa_builder_hmat(b)->cache[1].associativity, ==,
                     TS_HMAT_CACHE_ASSOC_DIRECT);
    g_assert_cmpuint(numa_builder_hmat(b)->cache[1].policy, ==,
                     TS_HMAT_CACHE_POLICY_WRITE_BACK);
    g_assert_cmpuint(numa_builder_hmat(b)->cache[1].line, ==, 8);
}

static void test_hmat_lb_errors(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    lim.hmat = true;
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_ok(b, "node,cpus=0");
    add_ok(b, "node,initiator=0");
    const char *lat = "hierarchy=memory,data-type=access-latency";
    g_autofree char *a = g_strdup_printf("hmat-lb,initiator=2,target=0,%s,"
                                         "latency=5", lat);
    add_fails(b, a, "Invalid initiator=2, it should be less than 2");
    g_autofree char *c = g_strdup_printf("hmat-lb,initiator=1,target=0,%s,"
                                         "latency=5", lat);
    add_fails(b, c, "Invalid initiator=1, it isn't an initiator proximity "
              "domain");
    g_autofree char *d = g_strdup_printf("hmat-lb,initiator=0,target=1,%s",
                                         lat);
    add_fails(b, d, "Missing 'latency' option");
    g_autofree char *e = g_strdup_printf("hmat-lb,initiator=0,target=1,%s,"
                                         "latency=5,bandwidth=1M", lat);
    add_fails(b, e, "Invalid option 'bandwidth' since the data type is "
              "latency");
    add_fails(b, "hmat-lb,initiator=0,target=1,hierarchy=memory,"
              "data-type=read-bandwidth,bandwidth=1000",
              "Bandwidth 1000 between initiator=0 and target=1 should be "
              "1MB aligned");
    add_fails(b, "hmat-lb,initiator=0,target=1,hierarchy=cache,"
              "data-type=read-latency,latency=1",
              "Parameter 'hierarchy' does not accept value 'cache'");
    add_fails(b, "hmat-lb,initiator=0,target=1,hierarchy=memory",
              "Parameter 'data-type' is missing");
    g_autofree char *ok = g_strdup_printf("hmat-lb,initiator=0,target=1,%s,"
                                          "latency=5", lat);
    add_ok(b, ok);
    add_fails(b, ok, "Duplicate configuration of the latency for "
              "initiator=0 and target=1");
}

static void test_hmat_cache_errors(void)
{
    setup();
    NumaLimits lim = sockets(1, 0);
    lim.hmat = true;
    g_autoptr(NumaBuilder) b = numa_builder_new(&lim);
    add_ok(b, "node,cpus=0");
    const char *tail = "associativity=direct,policy=write-back,line=8";
    g_autofree char *l1 = g_strdup_printf("hmat-cache,node-id=0,size=10K,"
                                          "level=1,%s", tail);
    add_fails(b, l1, "The latency and bandwidth information of node-id=0 "
              "should be provided before memory side cache attributes");
    add_ok(b, "hmat-lb,initiator=0,target=0,hierarchy=memory,"
           "data-type=access-latency,latency=5");
    add_fails(b, l1, "should be provided before memory side cache");
    add_ok(b, "hmat-lb,initiator=0,target=0,hierarchy=memory,"
           "data-type=access-bandwidth,bandwidth=1G");
    g_autofree char *bad = g_strdup_printf("hmat-cache,node-id=1,size=10K,"
                                           "level=1,%s", tail);
    add_fails(b, bad, "Invalid node-id=1, it should be less than 1");
    g_autofree char *l0 = g_strdup_printf("hmat-cache,node-id=0,size=10K,"
                                          "level=0,%s", tail);
    add_fails(b, l0, "Invalid level=0, it should be larger than 0 and less "
              "than or equal to 3");
    g_autofree char *l2 = g_strdup_printf("hmat-cache,node-id=0,size=20K,"
                                          "level=2,%s", tail);
    add_fails(b, l2, "Cache level=1 shall be defined first");
    add_ok(b, l1);
    add_fails(b, l1, "Duplicate configuration of the side cache for "
              "node-id=0 and level=1");
    g_autofree char *small = g_strdup_printf("hmat-cache,node-id=0,size=5K,"
                                             "level=2,%s", tail);
    add_fails(b, small, "Invalid size=5120, the size of level=2 should be "
              "larger than the size(10240) of level=1");
    add_fails(b, "hmat-cache,node-id=0,size=20K,level=2,associativity=lru,"
              "policy=write-back,line=8",
              "Parameter 'associativity' does not accept value 'lru'");
    add_fails(b, "hmat-cache,node-id=0,size=20K,level=2", "Parameter "
              "'associativity' is missing");
    add_ok(b, l2);
}

/* ---- -object memory-backend-ram ------------------------------------- */

static void object_fails(const char *arg, const char *fragment)
{
    GError *err = NULL;
    g_assert_false(user_object_add(arg, &err));
    check_message(err, arg, fragment);
}

static void test_memory_backend_object(void)
{
    setup();
    backend("memory-backend-ram,id=m0,size=1G");
    uint64_t size = 0;
    g_assert_true(memory_backend_size("m0", &size));
    g_assert_cmpuint(size, ==, GiB);
    g_assert_false(memory_backend_size("m1", &size));
    object_fails("memory-backend-ram,id=m0,size=1G",
                 "Duplicate ID 'm0' for object");
    object_fails("memory-backend-ram,size=1G", "Parameter 'id' is missing");
    object_fails("memory-backend-ram,id=m2", "can't create backend with "
                 "size 0");
    object_fails("memory-backend-ram,id=0m,size=1G", "Parameter 'id' "
                 "expects an identifier");
    object_fails("memory-backend-ram,id=m3,size=1G,host-nodes=0",
                 "memory-backend-ram property 'host-nodes' is not "
                 "supported yet");
    object_fails("memory-backend-ram,id=m3,size=1G,mem-path=/x",
                 "Invalid parameter 'mem-path'");
    object_fails("memory-backend-ram,id=m3,size=1G,colour=red",
                 "Invalid parameter 'colour'");
    object_fails("memory-backend-file,id=m3,size=1G",
                 "Parameter 'mem-path' is missing");
    object_fails("memory-backend-epc,id=m3,size=1G",
                 "Parameter 'qom-type' does not accept value "
                 "'memory-backend-epc'");
    object_fails("id=m3,size=1G", "Parameter 'qom-type' is missing");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/numa/node/memdev", test_memdev_nodes);
    g_test_add_func("/numa/node/memory-adds-up", test_memory_must_add_up);
    g_test_add_func("/numa/node/memoryless", test_memoryless_node);
    g_test_add_func("/numa/node/mem-and-memdev", test_mem_and_memdev);
    g_test_add_func("/numa/node/memdev-errors", test_memdev_errors);
    g_test_add_func("/numa/node/ids", test_node_ids);
    g_test_add_func("/numa/grammar", test_option_grammar);
    g_test_add_func("/numa/cpus/ranges-and-repeats",
                    test_cpus_ranges_and_repeats);
    g_test_add_func("/numa/cpus/errors", test_cpus_errors);
    g_test_add_func("/numa/cpu/by-socket", test_numa_cpu_by_socket);
    g_test_add_func("/numa/cpu/topology", test_numa_cpu_topology);
    g_test_add_func("/numa/cpu/errors", test_numa_cpu_errors);
    g_test_add_func("/numa/cpus/left-out", test_cpus_left_out);
    g_test_add_func("/numa/cpus/default-split", test_default_cpu_split);
    g_test_add_func("/numa/dist/symmetric", test_distances_symmetric);
    g_test_add_func("/numa/dist/all-pairs", test_distances_all_pairs);
    g_test_add_func("/numa/dist/asymmetric", test_distances_asymmetric);
    g_test_add_func("/numa/dist/errors", test_distance_errors);
    g_test_add_func("/numa/hmat/needs-machine-option",
                    test_hmat_needs_machine_option);
    g_test_add_func("/numa/hmat/initiator-example",
                    test_hmat_initiator_example);
    g_test_add_func("/numa/hmat/initiator-rules", test_hmat_initiator_rules);
    g_test_add_func("/numa/hmat/lb-and-cache-example",
                    test_hmat_lb_and_cache_example);
    g_test_add_func("/numa/hmat/lb-errors", test_hmat_lb_errors);
    g_test_add_func("/numa/hmat/cache-errors", test_hmat_cache_errors);
    g_test_add_func("/numa/object/memory-backend-ram",
                    test_memory_backend_object);
    return g_test_run();
}
