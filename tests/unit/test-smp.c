/*
 * -smp: the topology rules of QEMU's manual, with its examples.
 */
#include "machine/smp.h"

#include <glib.h>

static const SmpLimits virt = { .machine = "virt", .max_cpus = 512 };
static const SmpLimits with_dies = { .machine = "pc", .max_cpus = 288,
                                     .has_dies = true };

static SmpConfig parse_ok(const SmpLimits *lim, const char *text)
{
    SmpConfig c;
    GError *err = NULL;
    if (!smp_parse(text, lim, &c, &err)) {
        g_error("-smp %s: unexpected error: %s", text, err->message);
    }
    return c;
}

static void expect_error(const SmpLimits *lim, const char *text,
                         const char *fragment)
{
    SmpConfig c;
    GError *err = NULL;
    g_assert_false(smp_parse(text, lim, &c, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, fragment)) {
        g_error("-smp %s: message '%s' lacks '%s'", text, err->message,
                fragment);
    }
    g_error_free(err);
}

static void assert_topo(SmpConfig c, unsigned cpus, unsigned max,
                        unsigned sockets, unsigned cores, unsigned threads)
{
    g_assert_cmpuint(c.cpus, ==, cpus);
    g_assert_cmpuint(c.max_cpus, ==, max);
    g_assert_cmpuint(c.sockets, ==, sockets);
    g_assert_cmpuint(c.cores, ==, cores);
    g_assert_cmpuint(c.threads, ==, threads);
}

static void test_cores_preferred(void)
{
    /* The manual: "-smp 2" gives one socket with two cores. */
    assert_topo(parse_ok(&virt, "2"), 2, 2, 1, 2, 1);
    assert_topo(parse_ok(&virt, "cpus=8"), 8, 8, 1, 8, 1);
    assert_topo(parse_ok(&virt, "8,sockets=2"), 8, 8, 2, 4, 1);
    assert_topo(parse_ok(&virt, "8,cores=2"), 8, 8, 4, 2, 1);
    assert_topo(parse_ok(&virt, "8,sockets=2,cores=2"), 8, 8, 2, 2, 2);
    assert_topo(parse_ok(&virt, "8,threads=2"), 8, 8, 1, 4, 2);
}

static void test_maxcpus(void)
{
    assert_topo(parse_ok(&virt, "2,maxcpus=8"), 2, 8, 1, 8, 1);
    assert_topo(parse_ok(&virt, "sockets=2,cores=4"), 8, 8, 2, 4, 1);
    assert_topo(parse_ok(&virt, "maxcpus=4"), 4, 4, 1, 4, 1);
    expect_error(&virt, "4,maxcpus=2", "maxcpus must be equal to or greater "
                 "than smp");
}

static void test_product(void)
{
    expect_error(&virt, "8,sockets=3,cores=2,threads=1",
                 "product of the hierarchy must match maxcpus: sockets (3) * "
                 "cores (2) * threads (1) != maxcpus (8)");
    SmpConfig c = parse_ok(&with_dies, "16,sockets=2,dies=2,cores=2,"
                           "threads=2");
    g_assert_cmpuint(c.dies, ==, 2);
    /* Omitted threads are computed last. */
    c = parse_ok(&with_dies, "16,sockets=2,dies=2,cores=2");
    g_assert_cmpuint(c.threads, ==, 2);
    expect_error(&with_dies, "16,sockets=2,dies=2,cores=2,threads=1",
                 "sockets (2) * dies (2) * cores (2) * threads (1) != "
                 "maxcpus (16)");
}

static void test_non_positive(void)
{
    expect_error(&virt, "0", "Invalid SMP CPUs 0. The min CPUs supported by "
                 "machine 'virt' is 1");
    expect_error(&virt, "cpus=-2", "Invalid SMP CPUs -2");
    expect_error(&virt, "4,sockets=0", "sockets must be greater than zero");
    expect_error(&virt, "4,threads=-1", "threads must be greater than zero");
    expect_error(&virt, "four", "expects an integer");
    expect_error(&virt, "4,bogus=1", "Invalid parameter 'bogus'");
}

static void test_levels_and_limits(void)
{
    /* Unsupported levels are accepted only when 1. */
    assert_topo(parse_ok(&virt, "4,dies=1,clusters=1"), 4, 4, 1, 4, 1);
    expect_error(&virt, "4,dies=2", "dies not supported by machine 'virt'");
    expect_error(&virt, "4,clusters=2", "clusters not supported");
    expect_error(&virt, "513", "Invalid SMP CPUs 513. The max CPUs supported "
                 "by machine 'virt' is 512");
    expect_error(&virt, "2,maxcpus=1024", "is 512");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/smp/cores-preferred", test_cores_preferred);
    g_test_add_func("/smp/maxcpus", test_maxcpus);
    g_test_add_func("/smp/product", test_product);
    g_test_add_func("/smp/non-positive", test_non_positive);
    g_test_add_func("/smp/levels-and-limits", test_levels_and_limits);
    return g_test_run();
}
