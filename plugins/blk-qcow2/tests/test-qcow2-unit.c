/* The engine's pieces on their own: refcount entry packing, header
 * validation, create/open round trips on a temporary file. */
#include "../qcow2-int.h"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

static void test_refblock_packing(void)
{
    for (uint32_t order = 0; order <= 6; order++) {
        Qcow2 s = { .refcount_bits = 1u << order };
        uint64_t max = s.refcount_bits == 64 ? UINT64_MAX : (1ull << s.refcount_bits) - 1;
        uint8_t block[512] = {0};
        uint64_t n = 512 * 8 / s.refcount_bits;
        for (uint64_t i = 0; i < n; i++)
            qcow2_refblock_set(&s, block, i, (i * 2654435761u) & max);
        for (uint64_t i = 0; i < n; i++)
            g_assert_cmpuint(qcow2_refblock_get(&s, block, i), ==, (i * 2654435761u) & max);
    }
    /* Sub-byte entries: entry 0 in the lowest bits (as QEMU lays them). */
    Qcow2 s1 = { .refcount_bits = 1 };
    uint8_t b[512] = {0};
    qcow2_refblock_set(&s1, b, 0, 1);
    qcow2_refblock_set(&s1, b, 3, 1);
    g_assert_cmpuint(b[0], ==, 0x09);
    /* 16-bit entries are big-endian. */
    Qcow2 s16 = { .refcount_bits = 16 };
    qcow2_refblock_set(&s16, b, 1, 0x1234);
    g_assert_cmpuint(b[2], ==, 0x12);
    g_assert_cmpuint(b[3], ==, 0x34);
}

static void make_header(uint8_t *h, uint32_t version, uint32_t bits)
{
    memset(h, 0, 4096);
    be32_put(h, QCOW2_MAGIC);
    be32_put(h + QH_VERSION, version);
    be32_put(h + QH_CLUSTER_BITS, bits);
    be64_put(h + QH_SIZE, 1 << 20);
    be32_put(h + QH_L1_SIZE, 1);
    be64_put(h + QH_L1_OFFSET, 3ull << bits);
    be64_put(h + QH_REFTABLE_OFFSET, 1ull << bits);
    be32_put(h + QH_REFTABLE_CLUSTERS, 1);
    if (version == 3) {
        be32_put(h + QH_REFCOUNT_ORDER, 4);
        be32_put(h + QH_HEADER_LENGTH, 112);
    }
}

static void expect_refused(uint8_t *h, const char *msg)
{
    Qcow2Header hd;
    char *err = NULL;
    g_assert_cmpint(qcow2_header_parse(h, 4096, &hd, &err), <, 0);
    g_assert_nonnull(err);
    if (!strstr(err, msg))
        g_error("expected '%s', got '%s'", msg, err);
    g_free(err);
}

static void test_header_validation(void)
{
    uint8_t h[4096];
    Qcow2Header hd;
    char *err = NULL;
    make_header(h, 3, 12);
    g_assert_cmpint(qcow2_header_parse(h, 4096, &hd, &err), ==, 0);
    g_assert_cmpuint(hd.l1_size, ==, 1);

    make_header(h, 4, 12);
    expect_refused(h, "Unsupported qcow2 version 4");
    make_header(h, 3, 8);
    expect_refused(h, "Unsupported cluster size: 2^8");
    make_header(h, 3, 22);
    expect_refused(h, "Unsupported cluster size: 2^22");
    make_header(h, 3, 12);
    be32_put(h + QH_REFCOUNT_ORDER, 7);
    expect_refused(h, "may not exceed 64 bits");
    make_header(h, 3, 12);
    be32_put(h + QH_HEADER_LENGTH, 96);
    expect_refused(h, "qcow2 header too short");
    make_header(h, 3, 12);
    be32_put(h + QH_HEADER_LENGTH, 8192);
    expect_refused(h, "exceeds cluster size");
    make_header(h, 3, 12);
    be32_put(h + QH_L1_SIZE, 0x10000000);
    expect_refused(h, "Active L1 table too large");
    make_header(h, 3, 12);
    be64_put(h + QH_L1_OFFSET, 4097);
    expect_refused(h, "Invalid L1 table offset");
    make_header(h, 3, 12);
    be64_put(h + QH_SIZE, 1ull << 40);
    expect_refused(h, "L1 table is too small");
    make_header(h, 3, 12);
    be64_put(h + QH_INCOMPAT, 1ull << 20);
    expect_refused(h, "Unsupported qcow2 feature(s): Unknown incompatible feature: 100000");
    make_header(h, 3, 12);
    be32_put(h + QH_CRYPT_METHOD, 2);
    expect_refused(h, "encryption (LUKS) is not supported");
    make_header(h, 3, 12);
    be64_put(h + QH_BACKING_OFFSET, 200);
    be32_put(h + QH_BACKING_SIZE, 2000);
    expect_refused(h, "Backing file name too long");
    make_header(h, 3, 12);
    be32_put(h + QH_NB_SNAPSHOTS, 70000);
    expect_refused(h, "Too many snapshots");
    make_header(h, 3, 12);
    be32_put(h + QH_REFTABLE_CLUSTERS, 0x100000);
    expect_refused(h, "Reference count table too large");
    make_header(h, 2, 12);
    be32_put(h, 0x12345678);
    expect_refused(h, "not in qcow2 format");
}

/* Create, write, reopen, read back, check: on every refcount width. */
static void test_roundtrip(void)
{
    for (uint32_t bits = 1; bits <= 64; bits *= 2) {
        char *path = g_strdup_printf("%s/qcow2-unit-XXXXXX", g_get_tmp_dir());
        int fd = g_mkstemp(path);
        g_assert_cmpint(fd, >=, 0);
        Qcow2IO io;
        qcow2_io_init_fd(&io, &fd);
        Qcow2CreateOptions co = { .size = 8 << 20, .cluster_size = 512, .refcount_bits = bits };
        char *err = NULL;
        g_assert_cmpint(qcow2_create(&io, &co, &err), ==, 0);
        Qcow2 *s;
        Qcow2Options o = { .lazy_refcounts = -1 };
        g_assert_cmpint(qcow2_open(&s, &io, &o, &err), ==, 0);
        uint8_t buf[3000], back[3000];
        for (int k = 0; k < 200; k++) {
            uint64_t off = (uint64_t)g_random_int_range(0, (8 << 20) - 3000);
            memset(buf, k, sizeof(buf));
            g_assert_cmpint(qcow2_write(s, off, buf, sizeof(buf)), ==, 0);
            g_assert_cmpint(qcow2_read(s, off, back, sizeof(back)), ==, 0);
            g_assert_cmpmem(buf, sizeof(buf), back, sizeof(back));
        }
        Qcow2CheckResult r;
        g_assert_cmpint(qcow2_check(s, &r), ==, 0);
        g_assert_cmpuint(r.errors, ==, 0);
        g_assert_cmpuint(r.leaks, ==, 0);
        if (bits >= 2) {
            g_assert_cmpint(qcow2_snapshot_create(s, NULL, "one", 0, &err), ==, 0);
            g_assert_cmpint(qcow2_write(s, 0, buf, sizeof(buf)), ==, 0);
            g_assert_cmpint(qcow2_check(s, &r), ==, 0);
            g_assert_cmpuint(r.errors, ==, 0);
            g_assert_cmpint(qcow2_snapshot_delete(s, "one", &err), ==, 0);
            g_assert_cmpint(qcow2_check(s, &r), ==, 0);
            g_assert_cmpuint(r.errors, ==, 0);
        } else {
            /* A 1-bit refcount cannot count a second reference. */
            g_assert_cmpint(qcow2_snapshot_create(s, NULL, "one", 0, &err), <, 0);
            g_free(g_steal_pointer(&err));
        }
        g_assert_cmpint(qcow2_close(s), ==, 0);
        close(fd);
        g_unlink(path);
        g_free(path);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qcow2/refblock-packing", test_refblock_packing);
    g_test_add_func("/qcow2/header-validation", test_header_validation);
    g_test_add_func("/qcow2/roundtrip", test_roundtrip);
    return g_test_run();
}
