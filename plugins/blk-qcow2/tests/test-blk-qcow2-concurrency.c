/*
 * test-blk-qcow2-concurrency.c - many requests on one qcow2 image at
 * once, as the worker pool runs them: reads and in-place writes move
 * their data outside the engine's lock (blk-qcow2.c try_direct) while
 * allocating writes, write-zeroes and discards take it and wait for them.
 *
 * Round 1 writes every 4 KiB slot of 48 clusters in a shuffled order, all
 * submitted before any completes: the first write of a cluster allocates
 * it while writes to its other slots race it (in place once it exists).
 * Round 2 rewrites half of the slots in place, reads the other half back
 * (they must hold round 1's data throughout), zeroes (with unmap) and
 * discards whole clusters, and allocates 16 more, again all at once.  At
 * the end the image is compared byte for byte, through Debian's
 * qemu-img convert, with what the requests wrote, and `qemu-img check`
 * finds it clean.  Skips without qemu-img or the qcow2 driver.
 */
#include "dev-harness.h"
#include "block/block-internal.h"
#include "block/block-options.h"
#include "loop/main-loop.h"
#include "object/object-hooks.h"
#include "plugin/plugins.h"

#include <stdio.h>
#include <stdlib.h>

#define CLUSTER 65536
#define SLOT 4096
#define SLOTS (CLUSTER / SLOT)
#define CLUSTERS 64
#define DISK (CLUSTERS * CLUSTER)

#define CHECK(cond, what)                                                 \
    do {                                                                  \
        bool ok_ = (cond);                                                \
        printf("%s %d - %s\n", ok_ ? "ok" : "not ok", ++n, what);         \
        failed |= !ok_;                                                   \
    } while (0)

typedef struct Req {
    uint8_t *buf;
    struct iovec iov[2];        /* two pieces: a vector, as devices send */
    int ret;
    const uint8_t *expect;      /* reads: what must come back */
    bool mismatch;
} Req;

static int completed;

static void req_done(void *opaque, int ret)
{
    Req *r = opaque;
    r->ret = ret;
    if (r->expect && ret == 0) {
        r->mismatch = memcmp(r->buf, r->expect, SLOT) != 0;
    }
    g_atomic_int_inc(&completed);
}

static Req *req_new(uint8_t fill)
{
    Req *r = g_new0(Req, 1);
    r->buf = g_malloc(SLOT);
    memset(r->buf, fill, SLOT);
    r->iov[0] = (struct iovec){ r->buf, 1024 };
    r->iov[1] = (struct iovec){ r->buf + 1024, SLOT - 1024 };
    return r;
}

static void shuffle(unsigned *v, unsigned count, GRand *rnd)
{
    for (unsigned i = count - 1; i > 0; i--) {
        unsigned j = (unsigned)g_rand_int_range(rnd, 0, (gint32)i + 1);
        unsigned t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* A different byte for every slot and round (never 0). */
static uint8_t pattern(unsigned slot, unsigned round)
{
    return (uint8_t)(1 + (slot * 7 + round * 101) % 251);
}

static char *run(const char *cmd, int *status)
{
    char *out = NULL, *err = NULL;
    g_spawn_command_line_sync(cmd, &out, &err, status, NULL);
    char *all = g_strconcat(out ? out : "", err ? err : "", NULL);
    g_free(out);
    g_free(err);
    return all;
}

int main(int argc, char **argv)
{
    const char *root = g_getenv("TESSERA_BUILD_ROOT");
    g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
    g_autofree char *plugins = root ? g_build_filename(root, "plugins", NULL)
                                    : NULL;
    g_autofree char *qcow2 = plugins ? g_build_filename(
        plugins, "blk-qcow2.modinfo", NULL) : NULL;
    if (!root || !qemu_img || !g_file_test(qcow2, G_FILE_TEST_EXISTS)) {
        printf("1..0 # SKIP needs TESSERA_BUILD_ROOT, qemu-img (Debian: "
               "qemu-utils) and the qcow2 driver\n");
        return 0;
    }
    int n = 0, failed = 0, st = -1;
    ts_loop_init();
    plugin_loader_init();
    plugin_path_prepend(plugins);
    object_core_init();

    g_autofree char *dir = g_dir_make_tmp("qconc-XXXXXX", NULL);
    g_autofree char *img = g_build_filename(dir, "c.qcow2", NULL);
    g_autofree char *raw = g_build_filename(dir, "c.raw", NULL);
    g_autofree char *create = g_strdup_printf(
        "%s create -q -f qcow2 -o cluster_size=%d %s %d", qemu_img, CLUSTER,
        img, DISK);
    g_free(run(create, &st));
    CHECK(st == 0, "qemu-img creates the image");

    g_autoptr(GError) err = NULL;
    /* discard=unmap: discards are ignored otherwise, as in QEMU. */
    g_autofree char *arg = g_strdup_printf("if=none,id=c0,format=qcow2,"
                                           "discard=unmap,file=%s", img);
    bool opened = block_drive_add(arg, &err) && block_options_open(&err);
    TsBlockBackend *blk = opened ? ts_block_attach("c0", NULL, NULL, NULL,
                                                   true, &err) : NULL;
    if (err) {
        printf("# %s\n", err->message);
    }
    CHECK(blk != NULL, "the image opens");
    if (!blk) {
        printf("1..%d\n", n);
        return 1;
    }

    GRand *rnd = g_rand_new_with_seed(12);
    uint8_t *model = g_malloc0(DISK);
    const unsigned nslots = 48 * SLOTS;
    unsigned *order = g_new(unsigned, nslots);
    Req **reqs = g_new0(Req *, nslots + 64 * SLOTS);

    /* Round 1: every slot of clusters 0..47, in any order, at once. */
    for (unsigned i = 0; i < nslots; i++) {
        order[i] = i;
    }
    shuffle(order, nslots, rnd);
    completed = 0;
    for (unsigned i = 0; i < nslots; i++) {
        unsigned s = order[i];
        reqs[i] = req_new(pattern(s, 1));
        memset(model + (uint64_t)s * SLOT, pattern(s, 1), SLOT);
        ts_block_pwritev(blk, (uint64_t)s * SLOT, reqs[i]->iov, 2, 0,
                         req_done, reqs[i]);
    }
    ts_block_drain(blk);
    bool all_ok = g_atomic_int_get(&completed) == (int)nslots;
    for (unsigned i = 0; i < nslots; i++) {
        all_ok &= reqs[i]->ret == 0;
        g_free(reqs[i]->buf);
        g_clear_pointer(&reqs[i], g_free);
    }
    CHECK(all_ok, "round 1: 768 racing writes (allocating and in place) "
          "all succeed");

    /* Round 2, all at once: clusters 0..31 get every other slot rewritten
     * in place while the other slots are read back; clusters 32..39 are
     * zeroed with unmap, 40..47 discarded (zero afterwards: qcow2 v3, no
     * backing file), 48..63 written for the first time. */
    unsigned count = 0;
    completed = 0;
    for (unsigned s = 0; s < 32 * SLOTS; s++) {
        Req *r;
        if (s % 2) {
            r = req_new(pattern(s, 2));
            memset(model + (uint64_t)s * SLOT, pattern(s, 2), SLOT);
            ts_block_pwritev(blk, (uint64_t)s * SLOT, r->iov, 2, 0, req_done,
                             r);
        } else {
            r = req_new(0);
            r->expect = model + (uint64_t)s * SLOT;
            ts_block_preadv(blk, (uint64_t)s * SLOT, r->iov, 2, 0, req_done,
                            r);
        }
        reqs[count++] = r;
    }
    for (unsigned c = 32; c < 48; c++) {
        memset(model + (uint64_t)c * CLUSTER, 0, CLUSTER);
        reqs[count] = req_new(0);
        if (c < 40) {
            ts_block_write_zeroes(blk, (uint64_t)c * CLUSTER, CLUSTER,
                                  TS_BLOCK_REQ_MAY_UNMAP, req_done,
                                  reqs[count]);
        } else {
            ts_block_discard(blk, (uint64_t)c * CLUSTER, CLUSTER, req_done,
                             reqs[count]);
        }
        count++;
    }
    for (unsigned s = 48 * SLOTS; s < 64 * SLOTS; s++) {
        Req *r = req_new(pattern(s, 2));
        memset(model + (uint64_t)s * SLOT, pattern(s, 2), SLOT);
        ts_block_pwritev(blk, (uint64_t)s * SLOT, r->iov, 2, 0, req_done, r);
        reqs[count++] = r;
    }
    ts_block_drain(blk);
    all_ok = g_atomic_int_get(&completed) == (int)count;
    bool reads_ok = true;
    for (unsigned i = 0; i < count; i++) {
        all_ok &= reqs[i]->ret == 0;
        reads_ok &= !reqs[i]->mismatch;
        g_free(reqs[i]->buf);
        g_clear_pointer(&reqs[i], g_free);
    }
    CHECK(all_ok, "round 2: rewrites, reads, zeroes, discards and new "
          "allocations at once all succeed");
    CHECK(reads_ok, "reads racing in-place writes of the same clusters "
          "return the data their slots hold");

    ts_block_detach(blk);
    block_close_all();

    g_autofree char *conv = g_strdup_printf("%s convert -O raw %s %s",
                                            qemu_img, img, raw);
    g_free(run(conv, &st));
    gchar *back = NULL;
    gsize len = 0;
    bool same = st == 0 && g_file_get_contents(raw, &back, &len, NULL) &&
                len == DISK && memcmp(back, model, DISK) == 0;
    CHECK(same, "qemu-img reads back exactly what the requests wrote");
    for (unsigned s = 0, shown = 0; back && len == DISK && s < DISK / SLOT &&
         shown < 8; s++) {
        if (memcmp(back + (uint64_t)s * SLOT, model + (uint64_t)s * SLOT,
                   SLOT)) {
            printf("# slot %u (cluster %u): 0x%02x, expected 0x%02x\n", s,
                   s / SLOTS, (uint8_t)back[(uint64_t)s * SLOT],
                   model[(uint64_t)s * SLOT]);
            shown++;
        }
    }
    g_free(back);
    g_autofree char *chkcmd = g_strdup_printf("%s check %s", qemu_img, img);
    g_autofree char *chk = run(chkcmd, &st);
    CHECK(st == 0, "qemu-img check finds the image clean");
    if (st != 0) {
        printf("# %s\n", chk);
    }

    g_free(order);
    g_free(reqs);
    g_free(model);
    g_rand_free(rnd);
    g_autofree char *rm = g_strdup_printf("rm -rf %s", dir);
    if (system(rm) != 0) {
        printf("# could not remove %s\n", dir);
    }
    printf("1..%d\n", n);
    return failed;
}
