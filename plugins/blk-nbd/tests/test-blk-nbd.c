/*
 * test-blk-nbd.c - the nbd driver's requests against a real server,
 * nbdkit's memory plugin (a sparse disk that reports its holes through
 * base:allocation), below the block layer where each hook can be seen:
 * block status finds holes and data, reads of holes are zeroes, FUA
 * writes, write-zeroes with and without unmapping and with FAST_ZERO,
 * trim, flush, a read larger than the largest request (split), and
 * eight threads with requests in flight at once on the one connection,
 * each reading back what it wrote.  Without nbdkit the test skips
 * (Debian package nbdkit).
 */
#include "dev-harness.h"
#include "block/block-internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1024 * 1024)
#define DISK (64 * MiB)
#define THREADS 8
#define ROUNDS 40

static int checks;
static int failed;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        checks++;                                                         \
        if (!(cond)) {                                                    \
            failed++;                                                     \
            printf("not ok %d - ", checks);                               \
        } else {                                                          \
            printf("ok %d - ", checks);                                   \
        }                                                                 \
        printf(__VA_ARGS__);                                              \
        printf("\n");                                                     \
        fflush(stdout);                                                   \
    } while (0)

static TsBlockNode *proto;

static int status(uint64_t off, uint64_t len, uint64_t *pnum)
{
    uint64_t map;
    TsBlockChild *file;
    return block_node_block_status(proto, off, len, pnum, &map, &file);
}

static int pread_buf(uint64_t off, void *buf, size_t len)
{
    struct iovec v = { buf, len };
    return block_node_preadv(proto, off, len, &v, 1, 0);
}

static int pwrite_buf(uint64_t off, const void *buf, size_t len,
                      unsigned flags)
{
    struct iovec v = { (void *)buf, len };
    return block_node_pwritev(proto, off, len, &v, 1, flags);
}

static bool all(const uint8_t *p, size_t len, uint8_t v)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

typedef struct Worker {
    int index;
    int bad;
} Worker;

/* Each thread owns a 256 KiB region and writes, then reads back,
 * patterns of its own: replies must reach the right request. */
static gpointer worker(gpointer opaque)
{
    Worker *w = opaque;
    uint64_t base = 8 * MiB + (uint64_t)w->index * 256 * 1024;
    g_autofree uint8_t *out = g_malloc(64 * 1024);
    g_autofree uint8_t *in = g_malloc(64 * 1024);
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t off = base + (uint64_t)(r % 4) * 64 * 1024;
        memset(out, (w->index * 31 + r) & 0xff, 64 * 1024);
        if (pwrite_buf(off, out, 64 * 1024, 0) != 0 ||
            pread_buf(off, in, 64 * 1024) != 0 ||
            memcmp(in, out, 64 * 1024) != 0) {
            w->bad++;
        }
    }
    return NULL;
}

static void exercise(const char *url, GPid pid)
{
    g_autoptr(GError) err = NULL;
    TsBlockNode *top = block_node_open_image(url, "raw", NULL, &err);
    CHECK(top != NULL, "%s opens as raw over nbd%s%s", url,
          err ? ": " : "", err ? err->message : "");
    if (!top) {
        return;
    }
    proto = block_node_file_child(top);
    CHECK(proto && g_str_equal(block_node_driver_name(proto), "nbd") &&
          block_node_get_length(proto) == DISK,
          "the protocol node is nbd, of the export's size");

    uint64_t pnum = 0;
    int st = status(0, DISK, &pnum);
    CHECK(st >= 0 && !(st & TS_BLOCK_STATUS_DATA) &&
          (st & TS_BLOCK_STATUS_ZERO) && pnum == DISK,
          "block status: the empty disk is one hole that reads as zeroes "
          "(status %d, %" G_GUINT64_FORMAT " bytes)", st, (guint64)pnum);

    g_autofree uint8_t *buf = g_malloc(128 * 1024);
    memset(buf, 0xa5, 64 * 1024);
    CHECK(pwrite_buf(1 * MiB, buf, 64 * 1024, TS_BLOCK_REQ_FUA) == 0,
          "a FUA write of 64 KiB at 1 MiB");
    st = status(0, DISK, &pnum);
    CHECK(st >= 0 && !(st & TS_BLOCK_STATUS_DATA) && pnum == 1 * MiB,
          "block status: a hole up to 1 MiB (%" G_GUINT64_FORMAT ")",
          (guint64)pnum);
    st = status(1 * MiB, DISK - MiB, &pnum);
    CHECK(st >= 0 && (st & TS_BLOCK_STATUS_DATA) && pnum >= 64 * 1024 &&
          pnum < DISK - MiB, "block status: data at 1 MiB (%"
          G_GUINT64_FORMAT " bytes)", (guint64)pnum);
    memset(buf, 0xff, 128 * 1024);
    CHECK(pread_buf(1 * MiB - 64 * 1024, buf, 128 * 1024) == 0 &&
          all(buf, 64 * 1024, 0) && all(buf + 64 * 1024, 64 * 1024, 0xa5),
          "a read across the hole and the data: zeroes, then the data");

    CHECK(block_node_write_zeroes(proto, 1 * MiB, 64 * 1024,
                                  TS_BLOCK_REQ_MAY_UNMAP) == 0 &&
          pread_buf(1 * MiB, buf, 64 * 1024) == 0 && all(buf, 64 * 1024, 0),
          "write-zeroes with unmap allowed: the range reads zeroes");
    st = status(0, DISK, &pnum);
    CHECK(st >= 0 && !(st & TS_BLOCK_STATUS_DATA) && pnum == DISK,
          "... and is a hole again (%" G_GUINT64_FORMAT " bytes)",
          (guint64)pnum);

    memset(buf, 0x3c, 64 * 1024);
    int r = pwrite_buf(2 * MiB, buf, 64 * 1024, 0);
    int z = block_node_write_zeroes(proto, 2 * MiB, 4096, 0);
    int fz = block_node_write_zeroes(proto, 2 * MiB + 4096, 4096,
                                     TS_BLOCK_REQ_NO_FALLBACK);
    CHECK(r == 0 && z == 0 && (fz == 0 || fz == -ENOTSUP) &&
          pread_buf(2 * MiB, buf, 64 * 1024) == 0 && all(buf, 4096, 0) &&
          (fz || all(buf + 4096, 4096, 0)) &&
          all(buf + 8192, 64 * 1024 - 8192, 0x3c),
          "write-zeroes without unmapping, and fast (%d): those ranges "
          "alone read zeroes", fz);
    CHECK(block_node_discard(proto, 2 * MiB, 64 * 1024) == 0,
          "trim of the range");
    st = status(2 * MiB, DISK - 2 * MiB, &pnum);
    CHECK(st >= 0 && !(st & TS_BLOCK_STATUS_DATA),
          "... which is a hole then");
    CHECK(block_node_flush(proto) == 0, "flush");

    /* Larger than the largest request (32 MiB): two requests. */
    g_autofree uint8_t *big = g_malloc(40 * MiB);
    memset(big, 0x77, 40 * MiB);
    memset(buf, 0x42, 4096);
    CHECK(pwrite_buf(36 * MiB, buf, 4096, 0) == 0 &&
          pread_buf(0, big, 40 * MiB) == 0 && all(big, 36 * MiB, 0) &&
          all(big + 36 * MiB, 4096, 0x42) &&
          all(big + 36 * MiB + 4096, 4 * MiB - 4096, 0),
          "a 40 MiB read (split in two) reads holes and data in place");

    GThread *threads[THREADS];
    Worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (Worker){ .index = i };
        threads[i] = g_thread_new("nbd-test", worker, &workers[i]);
    }
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        g_thread_join(threads[i]);
        bad += workers[i].bad;
    }
    CHECK(bad == 0, "%d threads x %d rounds of write and read-back at "
          "once: %d mismatches", THREADS, ROUNDS, bad);

    block_node_unref(top);
    CHECK(kill(pid, 0) == 0, "the server is still there after the close");
}

int main(int argc, char **argv)
{
    g_autofree char *nbdkit = g_find_program_in_path("nbdkit");
    if (!nbdkit) {
        printf("1..0 # SKIP nbdkit not installed (Debian package nbdkit)\n");
        return 0;
    }
    if (!harness_init(NULL)) {
        return 0;
    }
    g_autofree char *dir = g_dir_make_tmp("blk-nbd-XXXXXX", NULL);
    g_autofree char *sock = g_build_filename(dir, "nbd.sock", NULL);
    g_autofree char *size = g_strdup_printf("%d", DISK);
    const char *args[] = { nbdkit, "-f", "--exit-with-parent", "-U", sock,
                           "memory", size, NULL };
    GPid pid;
    g_autoptr(GError) err = NULL;
    if (!g_spawn_async(NULL, (char **)args, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                       NULL, NULL, &pid, &err)) {
        printf("1..0 # SKIP cannot start nbdkit: %s\n", err->message);
        return 0;
    }
    for (int i = 0; i < 100 && !g_file_test(sock, G_FILE_TEST_EXISTS); i++) {
        g_usleep(50 * 1000);
    }
    g_autofree char *url = g_strdup_printf("nbd+unix:///?socket=%s", sock);
    exercise(url, pid);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(sock);
    rmdir(dir);
    printf("1..%d\n", checks);
    return failed != 0;
}
