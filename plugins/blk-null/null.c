/*
 * blk-null - the "null-co" protocol driver, as QEMU's: a disk of `size`
 * bytes where writes vanish and reads return garbage-free nothing (zeroes
 * with read-zeroes=on, the buffer untouched otherwise), after an optional
 * latency.  For measuring the block layer and a device without a disk.
 */
#include <tessera/tessera.h>

#include <time.h>

typedef struct NullNode {
    TsBlockNode parent;
    uint64_t size;
    uint64_t latency_ns;
    bool read_zeroes;
} NullNode;

static const TsProperty null_options[] = {
    TS_PROP_SIZE("size", NullNode, size, UINT64_C(1) << 30,
                 "size of the null block"),
    TS_PROP_UINT("latency-ns", NullNode, latency_ns, 0,
                 "nanoseconds each request takes"),
    TS_PROP_BOOL("read-zeroes", NullNode, read_zeroes, false,
                 "return zeroes when read"),
    TS_PROP_END,
};

static bool null_open(TsBlockNode *node, GError **errp)
{
    NullNode *n = (NullNode *)node;
    ts_block_node_set_length(node, n->size);
    g_autofree char *name = g_strdup_printf("null-co://");
    ts_block_node_set_filename(node, name);
    return true;
}

static void delay(NullNode *n)
{
    if (n->latency_ns) {
        struct timespec ts = { (time_t)(n->latency_ns / 1000000000u),
                               (long)(n->latency_ns % 1000000000u) };
        nanosleep(&ts, NULL);
    }
}

static int null_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, unsigned flags)
{
    NullNode *n = (NullNode *)node;
    delay(n);
    if (n->read_zeroes) {
        for (int i = 0; i < niov; i++) {
            memset(iov[i].iov_base, 0, iov[i].iov_len);
        }
    }
    return 0;
}

static int null_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                        const struct iovec *iov, int niov, unsigned flags)
{
    delay((NullNode *)node);
    return 0;
}

static int null_flush(TsBlockNode *node)
{
    delay((NullNode *)node);
    return 0;
}

static int null_block_status(TsBlockNode *node, uint64_t offset,
                             uint64_t bytes, uint64_t *pnum, uint64_t *map,
                             TsBlockChild **file)
{
    NullNode *n = (NullNode *)node;
    *pnum = bytes;
    *map = offset;
    *file = NULL;
    return TS_BLOCK_STATUS_ALLOCATED |
           (n->read_zeroes ? TS_BLOCK_STATUS_ZERO : 0);
}

static const TsBlockDriver null_driver = {
    .name = "null-co",
    .description = "null block device (writes vanish), for benchmarks",
    .kind = TS_BLOCK_PROTOCOL,
    .instance_size = sizeof(NullNode),
    .options = null_options,
    .open = null_open,
    .preadv = null_preadv,
    .pwritev = null_pwritev,
    .flush = null_flush,
    .block_status = null_block_status,
    .supported_write_flags = TS_BLOCK_REQ_FUA,
};

static bool null_plugin_init(GError **errp)
{
    return ts_block_driver_register(&null_driver, errp);
}

TS_PLUGIN("blk-null", "Block driver: null-co (benchmarks)", null_plugin_init);
