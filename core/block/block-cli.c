/*
 * core/block/block-cli.c - -blockdev, and the order in which the block
 * options are acted on at start-up and undone at exit.
 *
 * -blockdev takes QEMU's two spellings: dotted keys
 * (driver=qcow2,node-name=d,file.driver=file,file.filename=x) and a JSON
 * object ({"driver": "qcow2", "node-name": "d", "file": {...}}).  The
 * nodes belong to the monitor: only blockdev-del removes them.
 */
#include "block-internal.h"
#include "block-options.h"

static GPtrArray *blockdevs;    /* the -blockdev arguments, in order */

bool block_blockdev_queue(const char *arg, GError **errp)
{
    if (!blockdevs) {
        blockdevs = g_ptr_array_new_with_free_func(g_free);
    }
    g_ptr_array_add(blockdevs, g_strdup(arg));
    return true;
}

static BlockOpts *parse_blockdev(const char *arg, GError **errp)
{
    if (arg[0] != '{') {
        return block_opts_parse(arg, errp);
    }
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, arg, -1, errp)) {
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "JSON argument must be an object");
        return NULL;
    }
    return block_opts_from_json(json_node_get_object(root), errp);
}

TsBlockNode *block_blockdev_open(BlockOpts *o, GError **errp)
{
    const char *driver = g_hash_table_lookup(o, "driver");
    if (driver && block_driver_known(driver) &&
        !g_hash_table_contains(o, "node-name")) {
        g_hash_table_unref(o);
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'node-name' must be specified for the root node");
        return NULL;
    }
    return block_node_open(o, true, errp);
}

bool block_options_open(GError **errp)
{
    for (guint i = 0; blockdevs && i < blockdevs->len; i++) {
        const char *arg = g_ptr_array_index(blockdevs, i);
        BlockOpts *o = parse_blockdev(arg, errp);
        if (!o || !block_blockdev_open(o, errp)) {
            g_prefix_error(errp, "-blockdev %s: ", arg);
            g_clear_pointer(&blockdevs, g_ptr_array_unref);
            return false;
        }
    }
    g_clear_pointer(&blockdevs, g_ptr_array_unref);
    return block_drives_open(errp);
}

/* Devices are not torn down at exit: a backend a device still holds is
 * only drained and flushed (block_drain_all), never freed under it. */
void block_close_all(void)
{
    block_drain_all();
    GPtrArray *b = block_backends();
    for (guint i = b->len; i-- > 0;) {
        TsBlockBackend *blk = g_ptr_array_index(b, i);
        if (!blk->dev) {
            block_backend_delete(blk);
        }
    }
    /* What is left is the monitor's (-blockdev, blockdev-add), top down:
     * a node still used as a child goes with its parent. */
    GPtrArray *n = block_nodes();
    bool again = true;
    while (again) {
        again = false;
        for (guint i = n->len; i-- > 0;) {
            TsBlockNode *node = g_ptr_array_index(n, i);
            if (node_core(node)->monitor_owned &&
                !node_core(node)->users->len) {
                block_node_unref(node);
                again = true;
                break;
            }
        }
    }
    g_clear_pointer(&blockdevs, g_ptr_array_unref);
}
