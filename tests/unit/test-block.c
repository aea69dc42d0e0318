/*
 * test-block.c - core/block with a driver and a front end of the test's
 * own: a RAM disk driver ("testmem") that records what reached it and can
 * be told to fail, and a fake device that submits requests and counts
 * completions.  Checks the node graph (options, names, children,
 * permissions), that requests run off the main thread and complete on
 * it, the write cache (FUA becomes a flush), detect-zeroes, discard,
 * rerror/werror (report, ignore, stop: the VM stops, `cont` retries with
 * no data lost), draining, write thresholds and throttling.
 */
#include "block/block-internal.h"
#include "block/block-options.h"
#include "loop/main-loop.h"
#include "object/object-hooks.h"

#include <errno.h>

/* ---- the test driver ------------------------------------------------- */

typedef struct MemNode {
    TsBlockNode parent;
    uint64_t size;
    uint8_t *data;
} MemNode;

/* What the driver saw, for the checks (all nodes share it). */
static struct {
    GMutex lock;
    int fail_writes;            /* -errno for the next writes, or 0 */
    unsigned writes, flushes, discards, zeroes;
    bool ran_on_main;           /* an I/O hook ran on the main thread */
    uint64_t perm, shared;      /* last set_perm */
    unsigned set_perm_calls;
} seen;

static GThread *main_thread;
/* Reads wait here while a test holds it (to order them against the big
 * lock). */
static GMutex read_gate;

static const TsProperty mem_options[] = {
    TS_PROP_SIZE("size", MemNode, size, 1024 * 1024, "disk size"),
    TS_PROP_END,
};

static bool mem_open(TsBlockNode *node, GError **errp)
{
    MemNode *m = (MemNode *)node;
    m->data = g_malloc0(m->size);
    ts_block_node_set_length(node, m->size);
    ts_block_node_set_filename(node, "testmem://");
    return true;
}

static void mem_close(TsBlockNode *node)
{
    g_free(((MemNode *)node)->data);
}

static void note_thread(void)
{
    if (g_thread_self() == main_thread) {
        seen.ran_on_main = true;
    }
}

static int mem_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov, unsigned flags)
{
    MemNode *m = (MemNode *)node;
    note_thread();
    g_mutex_lock(&read_gate);
    g_mutex_unlock(&read_gate);
    for (int i = 0; i < niov; i++) {
        memcpy(iov[i].iov_base, m->data + offset, iov[i].iov_len);
        offset += iov[i].iov_len;
    }
    return 0;
}

static int mem_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, unsigned flags)
{
    MemNode *m = (MemNode *)node;
    note_thread();
    g_mutex_lock(&seen.lock);
    int fail = seen.fail_writes;
    seen.writes++;
    g_mutex_unlock(&seen.lock);
    if (fail) {
        return fail;
    }
    for (int i = 0; i < niov; i++) {
        memcpy(m->data + offset, iov[i].iov_base, iov[i].iov_len);
        offset += iov[i].iov_len;
    }
    return 0;
}

static int mem_flush(TsBlockNode *node)
{
    g_mutex_lock(&seen.lock);
    seen.flushes++;
    g_mutex_unlock(&seen.lock);
    return 0;
}

static int mem_discard(TsBlockNode *node, uint64_t offset, uint64_t bytes)
{
    g_mutex_lock(&seen.lock);
    seen.discards++;
    g_mutex_unlock(&seen.lock);
    return 0;
}

static int mem_write_zeroes(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, unsigned flags)
{
    MemNode *m = (MemNode *)node;
    g_mutex_lock(&seen.lock);
    seen.zeroes++;
    g_mutex_unlock(&seen.lock);
    memset(m->data + offset, 0, bytes);
    return 0;
}

static bool mem_set_perm(TsBlockNode *node, uint64_t perm, uint64_t shared,
                         GError **errp)
{
    seen.perm = perm;
    seen.shared = shared;
    seen.set_perm_calls++;
    return true;
}

static const TsBlockDriver mem_driver = {
    .name = "testmem",
    .description = "RAM disk of the unit test",
    .kind = TS_BLOCK_PROTOCOL,
    .instance_size = sizeof(MemNode),
    .options = mem_options,
    .open = mem_open,
    .close = mem_close,
    .preadv = mem_preadv,
    .pwritev = mem_pwritev,
    .flush = mem_flush,
    .discard = mem_discard,
    .write_zeroes = mem_write_zeroes,
    .set_perm = mem_set_perm,
};

/* ---- helpers --------------------------------------------------------- */

static TsBlockNode *open_node(const char *text, GError **errp)
{
    BlockOpts *o = block_opts_parse(text, errp);
    return o ? block_blockdev_open(o, errp) : NULL;
}

static TsBlockNode *must_open(const char *text)
{
    g_autoptr(GError) err = NULL;
    TsBlockNode *n = open_node(text, &err);
    g_assert_no_error(err);
    g_assert_nonnull(n);
    return n;
}

static void open_fails(const char *text, const char *want)
{
    g_autoptr(GError) err = NULL;
    g_assert_null(open_node(text, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, want)) {
        g_error("%s: expected '%s' in: %s", text, want, err->message);
    }
}

typedef struct Done {
    int count;
    int ret;
    bool on_main;
    bool locked;                /* the big lock was held (on any thread) */
} Done;

static void done_cb(void *opaque, int ret)
{
    Done *d = opaque;
    d->count++;
    d->ret = ret;
    d->on_main = g_thread_self() == main_thread && ts_bql_locked();
    d->locked = ts_bql_locked();
}

/* Run completions until `d` saw `n` of them (bounded). */
static void wait_done(Done *d, int n)
{
    for (int i = 0; i < 5000 && d->count < n; i++) {
        if (!block_pool_run_completions()) {
            g_usleep(1000);
        }
    }
    g_assert_cmpint(d->count, ==, n);
}

static void reset_seen(void)
{
    g_mutex_lock(&seen.lock);
    seen.fail_writes = 0;
    seen.writes = seen.flushes = seen.discards = seen.zeroes = 0;
    seen.ran_on_main = false;
    g_mutex_unlock(&seen.lock);
}

/* ---- tests ----------------------------------------------------------- */

static void test_options(void)
{
    open_fails("node-name=x", "Parameter 'driver' is missing");
    open_fails("driver=nosuch,node-name=x",
               "Parameter 'driver' does not accept value 'nosuch'");
    open_fails("driver=testmem", "'node-name' must be specified");
    open_fails("driver=testmem,node-name=1a", "Invalid node-name: '1a'");
    open_fails("driver=testmem,node-name=a,bogus=1",
               "Parameter 'bogus' is unexpected");
    open_fails("driver=testmem,node-name=a,size=lots",
               "size");
    open_fails("driver=testmem,node-name=a,read-only=maybe",
               "Parameter 'read-only' expects 'on' or 'off'");
    open_fails("driver=testmem,node-name=a,force-share=on",
               "force-share=on can only be used with read-only images");
    open_fails("driver=testmem,node-name=a,detect-zeroes=unmap",
               "not allowed without setting discard operation to unmap");
    open_fails("driver=testmem,node-name=a,discard=sometimes",
               "Invalid discard option");
    TsBlockNode *n = must_open("driver=testmem,node-name=a,size=64K");
    g_assert_cmpint(ts_block_node_length(n), ==, 65536);
    g_assert_cmpstr(ts_block_node_name(n), ==, "a");
    open_fails("driver=testmem,node-name=a", "Duplicate nodes with "
               "node-name='a'");
    g_autoptr(GError) err = NULL;
    g_assert_true(block_blockdev_del("a", &err));
    g_assert_no_error(err);
    g_assert_null(block_node_find("a"));
    g_assert_false(block_blockdev_del("a", &err));
    g_assert_nonnull(strstr(err->message, "Failed to find node"));
}

/* A device's attachment asks to read and write and lets others read; the
 * protocol node is told (that is what blk-file turns into locks). */
static void test_permissions(void)
{
    TsBlockNode *n = must_open("driver=testmem,node-name=p");
    g_assert_cmphex(seen.perm, ==, 0);
    g_assert_cmphex(seen.shared, ==, TS_BLOCK_PERM_ALL);
    g_autoptr(GError) err = NULL;
    TsBlockBackend *blk = ts_block_attach("p", NULL, NULL, NULL, true, &err);
    g_assert_no_error(err);
    g_assert_cmphex(seen.perm, ==, TS_BLOCK_PERM_CONSISTENT_READ |
                                   TS_BLOCK_PERM_WRITE);
    g_assert_cmphex(seen.shared, ==, TS_BLOCK_PERM_ALL & ~TS_BLOCK_PERM_WRITE);
    g_assert_false(block_blockdev_del("p", &err));
    g_assert_nonnull(strstr(err->message, "in use"));
    g_clear_error(&err);
    ts_block_detach(blk);
    g_assert_cmphex(seen.perm, ==, 0);
    g_assert_true(block_blockdev_del("p", &err));

    /* A read-only node gives a read-only attachment. */
    n = must_open("driver=testmem,node-name=r,read-only=on");
    blk = ts_block_attach("r", NULL, NULL, NULL, true, &err);
    g_assert_no_error(err);
    g_assert_true(ts_block_is_read_only(blk));
    g_assert_cmphex(seen.perm, ==, TS_BLOCK_PERM_CONSISTENT_READ);
    Done d = { 0 };
    char buf[512] = { 1 };
    struct iovec iov = { buf, sizeof(buf) };
    ts_block_pwritev(blk, 0, &iov, 1, 0, done_cb, &d);
    wait_done(&d, 1);
    g_assert_cmpint(d.ret, ==, -EACCES);
    ts_block_detach(blk);
    g_assert_true(block_blockdev_del("r", &err));
    (void)n;

    g_assert_null(ts_block_attach("nosuch", NULL, NULL, NULL, true, &err));
    g_assert_nonnull(strstr(err->message, "can't find value 'nosuch'"));
}

static void test_requests(void)
{
    reset_seen();
    must_open("driver=testmem,node-name=q");
    g_autoptr(GError) err = NULL;
    TsBlockBackend *blk = ts_block_attach("q", NULL, NULL, NULL, true, &err);
    g_assert_no_error(err);
    uint8_t out[4096], in[4096];
    for (size_t i = 0; i < sizeof(out); i++) {
        out[i] = (uint8_t)(i * 7 + 1);
    }
    /* Two segments: the vector is the device's, the core copies it. */
    struct iovec wv[2] = { { out, 1024 }, { out + 1024, 3072 } };
    Done w = { 0 }, r = { 0 }, past = { 0 };
    ts_block_pwritev(blk, 8192, wv, 2, 0, done_cb, &w);
    g_assert_cmpint(w.count, ==, 0);    /* never inside the submit */
    wait_done(&w, 1);
    g_assert_cmpint(w.ret, ==, 0);
    g_assert_true(w.on_main);
    g_assert_false(seen.ran_on_main);   /* the driver ran on a worker */
    struct iovec rv = { in, sizeof(in) };
    ts_block_preadv(blk, 8192, &rv, 1, 0, done_cb, &r);
    wait_done(&r, 1);
    g_assert_cmpint(r.ret, ==, 0);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    /* Past the end: an I/O error, the driver never asked. */
    ts_block_preadv(blk, 1024 * 1024 - 512, &rv, 1, 0, done_cb, &past);
    wait_done(&past, 1);
    g_assert_cmpint(past.ret, ==, -EIO);
    g_assert_cmpuint(blk->stats.wr_ops, ==, 1);
    g_assert_cmpuint(blk->stats.wr_bytes, ==, 4096);
    g_assert_cmpuint(blk->stats.rd_ops, ==, 1);
    g_assert_cmpuint(blk->stats.failed_rd, ==, 1);

    /* Write cache off (writethrough): every write is followed by a
     * flush, since the driver does not do FUA itself. */
    unsigned flushes = seen.flushes;
    ts_block_set_write_cache(blk, false);
    Done w2 = { 0 };
    ts_block_pwritev(blk, 0, wv, 2, 0, done_cb, &w2);
    wait_done(&w2, 1);
    g_assert_cmpuint(seen.flushes, ==, flushes + 1);
    ts_block_set_write_cache(blk, true);

    /* discard=ignore (the default) never reaches the driver. */
    Done dd = { 0 };
    ts_block_discard(blk, 0, 4096, done_cb, &dd);
    wait_done(&dd, 1);
    g_assert_cmpint(dd.ret, ==, 0);
    g_assert_cmpuint(seen.discards, ==, 0);
    ts_block_detach(blk);
    g_assert_true(block_blockdev_del("q", &err));
}

/* With the big lock free, a request that succeeded completes on its
 * worker (with the lock, not waiting for the main loop); a failed one
 * waits for the main thread, which alone may stop the VM on errors. */
static void test_completion_on_worker(void)
{
    reset_seen();
    must_open("driver=testmem,node-name=cw");
    g_autoptr(GError) err = NULL;
    TsBlockBackend *blk = ts_block_attach("cw", NULL, NULL, NULL, true, &err);
    g_assert_no_error(err);
    uint8_t buf[4096] = { 0 };
    struct iovec v = { buf, sizeof(buf) };
    Done ok = { 0 }, bad = { 0 };
    /* The read finishes only once the big lock is free. */
    g_mutex_lock(&read_gate);
    ts_block_preadv(blk, 0, &v, 1, 0, done_cb, &ok);
    ts_block_preadv(blk, 1024 * 1024 - 512, &v, 1, 0, done_cb, &bad);
    ts_bql_unlock();
    g_mutex_unlock(&read_gate);
    for (int i = 0; i < 5000 && !g_atomic_int_get(&ok.count); i++) {
        g_usleep(1000);
    }
    g_usleep(20000);            /* time for the failed one, too */
    ts_bql_lock();
    g_assert_cmpint(ok.count, ==, 1);
    g_assert_cmpint(ok.ret, ==, 0);
    g_assert_true(ok.locked);
    g_assert_false(ok.on_main);
    g_assert_cmpint(bad.count, ==, 0);  /* still queued for the main thread */
    wait_done(&bad, 1);
    g_assert_cmpint(bad.ret, ==, -EIO);
    g_assert_true(bad.on_main);
    ts_block_detach(blk);
    g_assert_true(block_blockdev_del("cw", &err));
}

static void test_detect_zeroes(void)
{
    reset_seen();
    must_open("driver=testmem,node-name=z,detect-zeroes=unmap,"
              "discard=unmap");
    g_autoptr(GError) err = NULL;
    TsBlockBackend *blk = ts_block_attach("z", NULL, NULL, NULL, true, &err);
    static uint8_t zero[8192], one[512] = { 1 };
    struct iovec zv = { zero, sizeof(zero) }, ov = { one, sizeof(one) };
    Done a = { 0 };
    ts_block_pwritev(blk, 0, &zv, 1, 0, done_cb, &a);
    ts_block_pwritev(blk, 16384, &ov, 1, 0, done_cb, &a);
    ts_block_discard(blk, 0, 4096, done_cb, &a);
    wait_done(&a, 3);
    g_assert_cmpuint(seen.zeroes, ==, 1);   /* the zero buffer */
    g_assert_cmpuint(seen.writes, ==, 1);   /* the other one */
    g_assert_cmpuint(seen.discards, ==, 1); /* discard=unmap */
    ts_block_detach(blk);
    g_assert_true(block_blockdev_del("z", &err));
}

static int stops, starts;

static void count_state(bool running, void *opaque)
{
    running ? starts++ : stops++;
}

/* werror=stop: the VM stops, the request waits; `cont` writes it again
 * and the guest's data is there.  report and ignore complete at once. */
static void test_error_actions(void)
{
    reset_seen();
    TsBlockNode *n = must_open("driver=testmem,node-name=e");
    BackendConf conf = { .rerror = ERROR_ACTION_REPORT,
                         .werror = ERROR_ACTION_STOP, .write_cache = true };
    g_autoptr(GError) err = NULL;
    TsBlockBackend *blk = block_backend_new("disk0", block_node_ref(n),
                                            &conf, &err);
    g_assert_no_error(err);
    TsBlockBackend *dev = ts_block_attach("disk0", NULL, NULL, NULL, true,
                                          &err);
    g_assert_true(dev == blk);
    ts_vm_state_notifier_add(count_state, NULL);
    ts_vm_start();
    g_assert_true(ts_vm_running());

    uint8_t data[512];
    memset(data, 0xab, sizeof(data));
    struct iovec v = { data, sizeof(data) };
    seen.fail_writes = -ENOSPC;
    Done d = { 0 };
    ts_block_pwritev(blk, 4096, &v, 1, 0, done_cb, &d);
    for (int i = 0; i < 5000 && ts_vm_running(); i++) {
        if (!block_pool_run_completions()) {
            g_usleep(1000);
        }
    }
    g_assert_false(ts_vm_running());
    g_assert_cmpint(d.count, ==, 0);        /* held, not failed */
    g_assert_cmpstr(blk->iostatus, ==, "nospace");
    g_assert_cmpint(stops, ==, 1);

    seen.fail_writes = 0;                   /* the admin made room */
    ts_vm_start();                          /* `cont` */
    wait_done(&d, 1);
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpstr(blk->iostatus, ==, "ok");
    uint8_t back[512];
    g_assert_cmpint(ts_block_pread_sync(blk, 4096, back, sizeof(back)), ==,
                    0);
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));

    /* enospc stops only for ENOSPC: EIO is reported. */
    blk->conf.werror = ERROR_ACTION_ENOSPC;
    seen.fail_writes = -EIO;
    Done e = { 0 };
    ts_block_pwritev(blk, 0, &v, 1, 0, done_cb, &e);
    wait_done(&e, 1);
    g_assert_cmpint(e.ret, ==, -EIO);
    g_assert_true(ts_vm_running());

    blk->conf.werror = ERROR_ACTION_IGNORE;
    Done g = { 0 };
    ts_block_pwritev(blk, 0, &v, 1, 0, done_cb, &g);
    wait_done(&g, 1);
    g_assert_cmpint(g.ret, ==, 0);

    /* A request still held when the device drains fails with EIO. */
    blk->conf.werror = ERROR_ACTION_STOP;
    Done h = { 0 };
    ts_block_pwritev(blk, 0, &v, 1, 0, done_cb, &h);
    for (int i = 0; i < 5000 && ts_vm_running(); i++) {
        if (!block_pool_run_completions()) {
            g_usleep(1000);
        }
    }
    g_assert_false(ts_vm_running());
    ts_block_drain(blk);
    g_assert_cmpint(h.count, ==, 1);
    g_assert_cmpint(h.ret, ==, -EIO);
    seen.fail_writes = 0;
    ts_vm_start();
    ts_vm_state_notifier_remove(count_state, NULL);
    ts_block_detach(blk);
    block_backend_delete(blk);
    g_assert_true(block_blockdev_del("e", &err));
}

static void test_write_threshold(void)
{
    TsBlockNode *n = must_open("driver=testmem,node-name=t");
    g_autoptr(GError) err = NULL;
    TsBlockBackend *blk = ts_block_attach("t", NULL, NULL, NULL, true, &err);
    node_core(n)->write_threshold = 65536;
    uint8_t data[4096] = { 1 };
    struct iovec v = { data, sizeof(data) };
    Done d = { 0 };
    ts_block_pwritev(blk, 0, &v, 1, 0, done_cb, &d);
    wait_done(&d, 1);
    /* Below the threshold: armed still (the event runs via the loop). */
    g_main_context_iteration(NULL, FALSE);
    g_assert_cmpuint(node_core(n)->write_threshold, ==, 65536);
    ts_block_pwritev(blk, 65536 - 100, &v, 1, 0, done_cb, &d);
    wait_done(&d, 2);
    for (int i = 0; i < 100 && node_core(n)->write_threshold; i++) {
        g_main_context_iteration(NULL, FALSE);
    }
    g_assert_cmpuint(node_core(n)->write_threshold, ==, 0);  /* fired */
    ts_block_detach(blk);
    g_assert_true(block_blockdev_del("t", &err));
}

/* throttling.iops-total=100: 30 reads take at least the time the limit
 * allows past its burst (a tenth of a second's worth), and the group is
 * shared by name. */
static void test_throttle(void)
{
    TsBlockNode *n = must_open("driver=testmem,node-name=th");
    g_autoptr(GHashTable) opts = block_opts_parse("iops-total=100,"
                                                  "group=g", NULL);
    g_autoptr(GError) err = NULL;
    ThrottleGroup *g = block_throttle_new(opts, "d", "raw", &err);
    g_assert_no_error(err);
    g_assert_nonnull(g);
    ThrottleGroup *again = block_throttle_new(opts, "e", "raw", &err);
    g_assert_true(again == g);          /* same group name, same group */
    block_throttle_unref(again);
    TsBlockBackend *blk = ts_block_attach("th", NULL, NULL, NULL, true,
                                          &err);
    blk->throttle = g;
    static uint8_t buf[30][512];
    Done d = { 0 };
    int64_t start = g_get_monotonic_time();
    for (int i = 0; i < 30; i++) {
        struct iovec v = { buf[i], 512 };
        ts_block_preadv(blk, (uint64_t)i * 512, &v, 1, 0, done_cb, &d);
    }
    for (int i = 0; i < 20000 && d.count < 30; i++) {
        g_main_context_iteration(NULL, FALSE);
        if (!block_pool_run_completions()) {
            g_usleep(200);
        }
    }
    int64_t took = g_get_monotonic_time() - start;
    g_assert_cmpint(d.count, ==, 30);
    g_assert_cmpint(took, >=, 180 * 1000);  /* 20 past the burst at 100/s */

    /* Draining does not wait for the limits. */
    for (int i = 0; i < 30; i++) {
        struct iovec v = { buf[i], 512 };
        ts_block_preadv(blk, (uint64_t)i * 512, &v, 1, 0, done_cb, &d);
    }
    ts_block_drain(blk);
    g_assert_cmpint(d.count, ==, 60);
    JsonObject *o = json_object_new();
    block_throttle_info(g, o);
    g_assert_cmpint(json_object_get_int_member(o, "iops"), ==, 100);
    g_assert_cmpstr(json_object_get_string_member(o, "group"), ==, "g");
    json_object_unref(o);
    blk->throttle = NULL;
    block_throttle_unref(g);
    ts_block_detach(blk);
    g_assert_true(block_blockdev_del("th", &err));
    (void)n;
}

/* A worker's wait in a group (what the "throttle" filter does). */
static gpointer group_waiter(gpointer g)
{
    for (int i = 0; i < 20; i++) {
        block_throttle_wait(g, i & 1, 512);
    }
    return NULL;
}

/* -object throttle-group: two threads waiting in one group of 50 IOPS
 * together take at least the time the shared limit allows for their 40
 * operations (past a burst of 5); a -drive joining it with limits of its
 * own makes them the group's. */
static void test_throttle_group_shared(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GHashTable) lim = block_opts_parse("iops-total=50", NULL);
    g_assert_true(block_throttle_object_add("tgu", lim, "x-", &err));
    g_assert_no_error(err);
    /* Duplicate ids are refused before this call, by user-object.c
     * (tests/unit/test-user-object.c). */
    g_assert_true(block_throttle_object_exists("tgu"));
    ThrottleGroup *g = block_throttle_find("tgu");
    g_assert_nonnull(g);
    int64_t start = g_get_monotonic_time();
    GThread *a = g_thread_new("wa", group_waiter, g);
    GThread *b = g_thread_new("wb", group_waiter, g);
    g_thread_join(a);
    g_thread_join(b);
    int64_t took = g_get_monotonic_time() - start;
    g_assert_cmpint(took, >=, 600 * 1000);  /* 35 past the burst at 50/s */

    g_autoptr(GHashTable) drive = block_opts_parse("iops-read=7,group=tgu",
                                                   NULL);
    ThrottleGroup *same = block_throttle_new(drive, "dd", "raw", &err);
    g_assert_no_error(err);
    g_assert_true(same == g);
    JsonObject *o = json_object_new();
    block_throttle_info(same, o);
    g_assert_cmpint(json_object_get_int_member(o, "iops_rd"), ==, 7);
    g_assert_cmpint(json_object_get_int_member(o, "iops"), ==, 0);
    json_object_unref(o);
    block_throttle_unref(same);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    main_thread = g_thread_self();
    ts_loop_init();
    object_core_init();
    g_autoptr(GError) err = NULL;
    if (!ts_block_driver_register(&mem_driver, &err)) {
        g_error("%s", err->message);
    }
    g_test_add_func("/block/options", test_options);
    g_test_add_func("/block/permissions", test_permissions);
    g_test_add_func("/block/requests", test_requests);
    g_test_add_func("/block/completion-on-worker", test_completion_on_worker);
    g_test_add_func("/block/detect-zeroes", test_detect_zeroes);
    g_test_add_func("/block/error-actions", test_error_actions);
    g_test_add_func("/block/write-threshold", test_write_threshold);
    g_test_add_func("/block/throttle", test_throttle);
    g_test_add_func("/block/throttle-group-shared",
                    test_throttle_group_shared);
    return g_test_run();
}
