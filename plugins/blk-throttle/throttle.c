/*
 * blk-throttle - the "throttle" filter, as QEMU's: every read, write,
 * write-zeroes and discard through the node waits until the limits of
 * its throttle group allow it.  The group (`-object throttle-group,
 * id=NAME`) is shared: all nodes and drives naming it together stay
 * within its limits.  The limits and their accounting are the core's
 * engine (the one -drive throttling.* uses); this filter only says
 * where requests pass.
 */
#include <tessera/tessera.h>

typedef struct ThrottleNode {
    TsBlockNode parent;
    char *group_name;               /* throttle-group= */
    TsBlockChild *file;
    TsBlockThrottleGroup *group;
} ThrottleNode;

static const TsProperty throttle_options[] = {
    TS_PROP_STRING("throttle-group", ThrottleNode, group_name, NULL,
                   "the id of the -object throttle-group whose limits "
                   "apply"),
    TS_PROP_END,
};

static bool throttle_open(TsBlockNode *node, GError **errp)
{
    ThrottleNode *t = (ThrottleNode *)node;
    if (!t->group_name) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'throttle-group' is missing");
        return false;
    }
    t->group = ts_block_throttle_group_ref(t->group_name, errp);
    if (!t->group) {
        return false;
    }
    t->file = ts_block_open_child(node, "file", false, errp);
    if (!t->file) {
        ts_block_throttle_group_unref(t->group);
        return false;
    }
    ts_block_node_set_length(node,
                             (uint64_t)ts_block_child_length(t->file));
    return true;
}

static void throttle_close(TsBlockNode *node)
{
    ts_block_throttle_group_unref(((ThrottleNode *)node)->group);
}

static int throttle_preadv(TsBlockNode *node, uint64_t offset,
                           uint64_t bytes, const struct iovec *iov, int niov,
                           unsigned flags)
{
    ThrottleNode *t = (ThrottleNode *)node;
    ts_block_throttle_group_wait(t->group, false, bytes);
    return ts_block_child_preadv(t->file, offset, bytes, iov, niov, flags);
}

static int throttle_pwritev(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, const struct iovec *iov,
                            int niov, unsigned flags)
{
    ThrottleNode *t = (ThrottleNode *)node;
    ts_block_throttle_group_wait(t->group, true, bytes);
    return ts_block_child_pwritev(t->file, offset, bytes, iov, niov, flags);
}

/* Write-zeroes and discard count as writes, as in QEMU's filter. */
static int throttle_write_zeroes(TsBlockNode *node, uint64_t offset,
                                 uint64_t bytes, unsigned flags)
{
    ThrottleNode *t = (ThrottleNode *)node;
    ts_block_throttle_group_wait(t->group, true, bytes);
    return ts_block_child_write_zeroes(t->file, offset, bytes, flags);
}

static int throttle_discard(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes)
{
    ThrottleNode *t = (ThrottleNode *)node;
    ts_block_throttle_group_wait(t->group, true, bytes);
    return ts_block_child_discard(t->file, offset, bytes);
}

static int throttle_block_status(TsBlockNode *node, uint64_t offset,
                                 uint64_t bytes, uint64_t *pnum,
                                 uint64_t *map, TsBlockChild **file)
{
    ThrottleNode *t = (ThrottleNode *)node;
    return ts_block_child_block_status(t->file, offset, bytes, pnum, map,
                                       file);
}

static bool throttle_truncate(TsBlockNode *node, uint64_t length,
                              bool exact, TsBlockPrealloc prealloc,
                              GError **errp)
{
    ThrottleNode *t = (ThrottleNode *)node;
    if (!ts_block_child_truncate(t->file, length, exact, prealloc, errp)) {
        return false;
    }
    ts_block_node_set_length(node, length);
    return true;
}

static const TsBlockDriver throttle_driver = {
    .name = "throttle",
    .description = "limits I/O to the rates of a throttle group",
    .kind = TS_BLOCK_FILTER,
    .instance_size = sizeof(ThrottleNode),
    .options = throttle_options,
    .open = throttle_open,
    .close = throttle_close,
    .preadv = throttle_preadv,
    .pwritev = throttle_pwritev,
    .write_zeroes = throttle_write_zeroes,
    .discard = throttle_discard,
    .block_status = throttle_block_status,
    .truncate = throttle_truncate,
    .supported_write_flags = TS_BLOCK_REQ_FUA,
};

static bool throttle_plugin_init(GError **errp)
{
    return ts_block_driver_register(&throttle_driver, errp);
}

TS_PLUGIN("blk-throttle", "Block filter: throttle (I/O limits of a "
          "throttle group)", throttle_plugin_init);
