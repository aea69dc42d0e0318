/*
 * core/block/block-qmp.c - the block layer's QMP commands and events, in
 * QEMU's JSON shapes (libvirt parses them): query-block,
 * query-named-block-nodes, query-blockstats, blockdev-add, blockdev-del,
 * block_resize, block-set-write-threshold; BLOCK_IO_ERROR,
 * BLOCK_WRITE_THRESHOLD and BLOCK_IMAGE_CORRUPTED.
 */
#include "block-internal.h"
#include "monitor/qmp.h"

#include <errno.h>
#include <sys/stat.h>

/* ---- shapes ---------------------------------------------------------- */

static int64_t actual_size(TsBlockNode *n)
{
    while (block_node_file_child(n)) {
        n = block_node_file_child(n);
    }
    struct stat st;
    const char *f = ts_block_node_filename(n);
    if (!f || !*f || stat(f, &st) != 0) {
        return -1;
    }
    return (int64_t)st.st_blocks * 512;
}

/* ImageInfo: the image a node shows, with its backing chain. */
JsonObject *block_image_info(TsBlockNode *n)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "filename", ts_block_node_filename(n));
    json_object_set_string_member(o, "format", block_node_driver_name(n));
    json_object_set_int_member(o, "virtual-size", block_node_get_length(n));
    int64_t actual = actual_size(n);
    if (actual >= 0) {
        json_object_set_int_member(o, "actual-size", actual);
    }
    TsBlockInfo info = { 0 };
    if (n->driver->get_info) {
        n->driver->get_info(n, &info, NULL);
    }
    json_object_set_boolean_member(o, "dirty-flag", info.dirty);
    if (info.cluster_size) {
        json_object_set_int_member(o, "cluster-size", info.cluster_size);
    }
    if (info.encrypted) {
        json_object_set_boolean_member(o, "encrypted", true);
    }
    TsBlockNode *backing = block_node_backing(n);
    if (info.backing_filename || backing) {
        json_object_set_string_member(o, "backing-filename",
                                      info.backing_filename
                                          ? info.backing_filename
                                          : ts_block_node_filename(backing));
        if (backing) {
            json_object_set_string_member(o, "full-backing-filename",
                                          ts_block_node_filename(backing));
        }
        if (info.backing_format) {
            json_object_set_string_member(o, "backing-filename-format",
                                          info.backing_format);
        }
    }
    if (info.format_specific_json) {
        g_autoptr(JsonParser) p = json_parser_new();
        if (json_parser_load_from_data(p, info.format_specific_json, -1,
                                       NULL) &&
            json_parser_get_root(p)) {
            JsonObject *fs = json_object_new();
            json_object_set_string_member(fs, "type",
                                          block_node_driver_name(n));
            json_object_set_member(fs, "data",
                                   json_node_copy(json_parser_get_root(p)));
            json_object_set_object_member(o, "format-specific", fs);
        }
    }
    if (backing) {
        json_object_set_object_member(o, "backing-image",
                                      block_image_info(backing));
    }
    g_free(info.backing_filename);
    g_free(info.backing_format);
    g_free(info.format_specific_json);
    return o;
}

static int backing_depth(TsBlockNode *n)
{
    int d = 0;
    for (n = block_node_backing(n); n; n = block_node_backing(n)) {
        d++;
    }
    return d;
}

static const char *detect_zeroes_name(DetectZeroes dz)
{
    return dz == DETECT_ZEROES_ON ? "on"
           : dz == DETECT_ZEROES_UNMAP ? "unmap" : "off";
}

/* BlockDeviceInfo: what query-block's "inserted" and
 * query-named-block-nodes show for a node. */
JsonObject *block_device_info(TsBlockNode *n, TsBlockBackend *blk)
{
    NodeCore *nc = node_core(n);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "file", ts_block_node_filename(n));
    json_object_set_string_member(o, "node-name", nc->name);
    json_object_set_boolean_member(o, "ro", ts_block_node_is_read_only(n));
    json_object_set_string_member(o, "drv", block_node_driver_name(n));
    TsBlockNode *backing = block_node_backing(n);
    if (backing) {
        json_object_set_string_member(o, "backing_file",
                                      ts_block_node_filename(backing));
    }
    json_object_set_int_member(o, "backing_file_depth", backing_depth(n));
    json_object_set_boolean_member(o, "encrypted", false);
    json_object_set_string_member(o, "detect_zeroes",
                                  detect_zeroes_name(nc->detect_zeroes));
    block_throttle_info(blk ? blk->throttle : NULL, o);
    JsonObject *cache = json_object_new();
    json_object_set_boolean_member(cache, "writeback",
                                   blk ? blk->conf.write_cache : true);
    json_object_set_boolean_member(cache, "direct",
                                   nc->open_flags & TS_BLOCK_OPEN_DIRECT);
    json_object_set_boolean_member(cache, "no-flush",
                                   nc->open_flags & TS_BLOCK_OPEN_NO_FLUSH);
    json_object_set_object_member(o, "cache", cache);
    json_object_set_int_member(o, "write_threshold",
                               (int64_t)nc->write_threshold);
    json_object_set_object_member(o, "image", block_image_info(n));
    return o;
}

/* The devices' backends: named ones, then anonymous attached ones. */
GPtrArray *block_query_backends(void)
{
    GPtrArray *out = g_ptr_array_new();
    GPtrArray *named = block_backends();
    for (guint i = 0; i < named->len; i++) {
        g_ptr_array_add(out, g_ptr_array_index(named, i));
    }
    GPtrArray *all = block_all_backends();
    for (guint i = 0; i < all->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(all, i);
        if (!b->name) {
            g_ptr_array_add(out, b);
        }
    }
    return out;
}

static JsonObject *block_info(TsBlockBackend *blk)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "device", blk->name ? blk->name : "");
    if (blk->dev && blk->dev != (TsObject *)blk) {
        g_autofree char *path = ts_object_path(blk->dev);
        if (path) {
            json_object_set_string_member(o, "qdev", path);
        }
        json_object_set_string_member(o, "io-status", blk->iostatus);
    }
    json_object_set_boolean_member(o, "locked", false);
    json_object_set_boolean_member(o, "removable", false);
    json_object_set_string_member(o, "type", "unknown");
    if (blk->root) {
        /* QEMU shows the node below its implicit filters. */
        json_object_set_object_member(
            o, "inserted",
            block_device_info(block_node_skip_implicit(blk->root), blk));
    }
    return o;
}

static JsonObject *stats_object(const BlockStats *s)
{
    JsonObject *o = json_object_new();
    struct {
        const char *name;
        uint64_t v;
    } f[] = {
        { "rd_bytes", s->rd_bytes }, { "wr_bytes", s->wr_bytes },
        { "unmap_bytes", s->unmap_bytes },
        { "rd_operations", s->rd_ops }, { "wr_operations", s->wr_ops },
        { "flush_operations", s->flush_ops },
        { "unmap_operations", s->unmap_ops },
        { "rd_total_time_ns", s->rd_ns }, { "wr_total_time_ns", s->wr_ns },
        { "flush_total_time_ns", s->flush_ns },
        { "unmap_total_time_ns", s->unmap_ns },
        { "wr_highest_offset", s->wr_highest },
        { "rd_merged", 0 }, { "wr_merged", 0 }, { "unmap_merged", 0 },
        { "failed_rd_operations", s->failed_rd },
        { "failed_wr_operations", s->failed_wr },
        { "failed_flush_operations", s->failed_flush },
        { "failed_unmap_operations", s->failed_unmap },
        { "invalid_rd_operations", 0 }, { "invalid_wr_operations", 0 },
        { "invalid_flush_operations", 0 }, { "invalid_unmap_operations", 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(f); i++) {
        json_object_set_int_member(o, f[i].name, (int64_t)f[i].v);
    }
    if (s->last_ns) {
        json_object_set_int_member(o, "idle_time_ns",
                                   g_get_monotonic_time() * 1000 -
                                   s->last_ns);
    }
    json_object_set_boolean_member(o, "account_invalid", true);
    json_object_set_boolean_member(o, "account_failed", true);
    json_object_set_array_member(o, "timed_stats", json_array_new());
    return o;
}

/* ---- commands -------------------------------------------------------- */

static bool cmd_query_block(JsonObject *args, JsonNode **ret, GError **errp)
{
    JsonArray *a = json_array_new();
    g_autoptr(GPtrArray) list = block_query_backends();
    for (guint i = 0; i < list->len; i++) {
        json_array_add_object_element(a, block_info(g_ptr_array_index(list,
                                                                       i)));
    }
    *ret = qmp_array_node(a);
    return true;
}

static bool cmd_query_named(JsonObject *args, JsonNode **ret, GError **errp)
{
    JsonArray *a = json_array_new();
    GPtrArray *nodes = block_nodes();
    for (guint i = 0; i < nodes->len; i++) {
        TsBlockNode *n = g_ptr_array_index(nodes, i);
        json_array_add_object_element(
            a, block_device_info(n, block_backend_of_node(n)));
    }
    *ret = qmp_array_node(a);
    return true;
}

/* The statistics of a node as QEMU keeps them per node: only the highest
 * write is counted there (requests are counted per backend). */
static JsonObject *node_stats_object(TsBlockNode *n)
{
    BlockStats zero = { 0 };
    JsonObject *o = stats_object(&zero);
    json_object_set_int_member(o, "wr_highest_offset", (int64_t)
                               __atomic_load_n(&node_core(n)->wr_highest,
                                               __ATOMIC_RELAXED));
    json_object_set_boolean_member(o, "account_invalid", false);
    json_object_set_boolean_member(o, "account_failed", false);
    return o;
}

/* A node's BlockStats: its own, its data child's as "parent" (a format
 * node's protocol node) and, at the backend level, its backing node's
 * as "backing".  `stats` is the node's (a backend's for its root). */
static JsonObject *node_block_stats(TsBlockNode *n, JsonObject *stats,
                                    bool blk_level)
{
    NodeCore *nc = node_core(n);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "node-name", nc->name);
    json_object_set_object_member(o, "stats",
                                  stats ? stats : node_stats_object(n));
    if (g_str_equal(block_node_driver_name(n), "file")) {
        JsonObject *d = json_object_new();
        json_object_set_string_member(d, "driver", "file");
        json_object_set_int_member(d, "discard-nb-ok", (int64_t)
            __atomic_load_n(&nc->discard_ok, __ATOMIC_RELAXED));
        json_object_set_int_member(d, "discard-nb-failed", (int64_t)
            __atomic_load_n(&nc->discard_failed, __ATOMIC_RELAXED));
        json_object_set_int_member(d, "discard-bytes-ok", (int64_t)
            __atomic_load_n(&nc->discard_bytes_ok, __ATOMIC_RELAXED));
        json_object_set_object_member(o, "driver-specific", d);
    }
    TsBlockNode *file = block_node_file_child(n);
    if (file) {
        json_object_set_object_member(o, "parent",
                                      node_block_stats(file, NULL,
                                                       blk_level));
    }
    TsBlockNode *backing = block_node_backing(n);
    if (blk_level && backing) {
        json_object_set_object_member(o, "backing",
                                      node_block_stats(backing, NULL,
                                                       blk_level));
    }
    return o;
}

static bool cmd_query_blockstats(JsonObject *args, JsonNode **ret,
                                 GError **errp)
{
    JsonArray *a = json_array_new();
    if (json_object_has_member(args, "query-nodes") &&
        json_object_get_boolean_member(args, "query-nodes")) {
        /* Every node on its own, as QEMU's query-nodes=true. */
        GPtrArray *nodes = block_nodes();
        for (guint i = 0; i < nodes->len; i++) {
            json_array_add_object_element(
                a, node_block_stats(g_ptr_array_index(nodes, i), NULL,
                                    false));
        }
        *ret = qmp_array_node(a);
        return true;
    }
    g_autoptr(GPtrArray) list = block_query_backends();
    for (guint i = 0; i < list->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(list, i);
        JsonObject *o;
        if (b->root) {
            o = node_block_stats(block_node_skip_implicit(b->root),
                                 stats_object(&b->stats), true);
        } else {
            o = json_object_new();
            json_object_set_object_member(o, "stats",
                                          stats_object(&b->stats));
        }
        json_object_set_string_member(o, "device", b->name ? b->name : "");
        if (b->dev && b->dev != (TsObject *)b) {
            g_autofree char *path = ts_object_path(b->dev);
            if (path) {
                json_object_set_string_member(o, "qdev", path);
            }
        }
        json_array_add_object_element(a, o);
    }
    *ret = qmp_array_node(a);
    return true;
}

static bool cmd_blockdev_add(JsonObject *args, JsonNode **ret, GError **errp)
{
    BlockOpts *o = block_opts_from_json(args, errp);
    return o && block_blockdev_open(o, errp);
}

bool block_blockdev_del(const char *name, GError **errp)
{
    TsBlockNode *n = block_node_find(name);
    if (!n) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Failed to find node with node-name='%s'", name);
        return false;
    }
    if (!node_core(n)->monitor_owned) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Node %s is not owned by the monitor", name);
        return false;
    }
    if (node_core(n)->users->len) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Node %s is in use",
                    name);
        return false;
    }
    block_node_unref(n);
    return true;
}

static bool cmd_blockdev_del(JsonObject *args, JsonNode **ret, GError **errp)
{
    return block_blockdev_del(json_object_get_string_member(args,
                                                            "node-name"),
                              errp);
}

bool block_resize(const char *device, const char *node_name, int64_t size,
                  GError **errp)
{
    TsBlockBackend *blk = device ? block_backend_find(device) : NULL;
    TsBlockNode *n = blk ? blk->root : block_node_find(node_name);
    if (!n) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND,
                    "Cannot find device='%s' nor node-name='%s'",
                    device ? device : "", node_name ? node_name : "");
        return false;
    }
    if (size < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'size' expects a >0 size");
        return false;
    }
    if (blk && ts_block_is_read_only(blk)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Device '%s' is read only", device);
        return false;
    }
    if (!block_node_truncate(n, (uint64_t)size, errp)) {
        return false;
    }
    GPtrArray *all = block_all_backends();
    for (guint i = 0; i < all->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(all, i);
        if (b->root == n) {
            block_backend_resized(b);
        }
    }
    return true;
}

static bool cmd_block_resize(JsonObject *args, JsonNode **ret, GError **errp)
{
    const char *dev = json_object_has_member(args, "device")
        ? json_object_get_string_member(args, "device") : NULL;
    const char *node = json_object_has_member(args, "node-name")
        ? json_object_get_string_member(args, "node-name") : NULL;
    return block_resize(dev, node, json_object_get_int_member(args, "size"),
                        errp);
}

static bool cmd_write_threshold(JsonObject *args, JsonNode **ret,
                                GError **errp)
{
    const char *name = json_object_get_string_member(args, "node-name");
    TsBlockNode *n = block_node_find(name);
    if (!n) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND,
                    "Device '%s' not found", name);
        return false;
    }
    int64_t t = json_object_get_int_member(args, "write-threshold");
    __atomic_store_n(&node_core(n)->write_threshold,
                     (uint64_t)MAX(t, 0), __ATOMIC_RELAXED);
    return true;
}

static void block_qmp_commands(void)
{
    static const QmpArg resize_args[] = {
        { "device", QMP_ARG_STRING, true },
        { "node-name", QMP_ARG_STRING, true },
        { "size", QMP_ARG_INT, false },
        { NULL }
    };
    static const QmpArg del_args[] = {
        { "node-name", QMP_ARG_STRING, false }, { NULL }
    };
    static const QmpArg threshold_args[] = {
        { "node-name", QMP_ARG_STRING, false },
        { "write-threshold", QMP_ARG_INT, false },
        { NULL }
    };
    static const QmpArg named_args[] = {
        { "flat", QMP_ARG_BOOL, true }, { NULL }
    };
    static const QmpArg stats_args[] = {
        { "query-nodes", QMP_ARG_BOOL, true }, { NULL }
    };
    qmp_register_command("query-block", cmd_query_block, 0);
    qmp_register_command_args("query-named-block-nodes", cmd_query_named, 0,
                              named_args);
    qmp_register_command_args("query-blockstats", cmd_query_blockstats, 0,
                              stats_args);
    qmp_register_command_args("blockdev-add", cmd_blockdev_add,
                              QMP_CMD_EXTRA_ARGS, NULL);
    qmp_register_command_args("blockdev-del", cmd_blockdev_del, 0, del_args);
    qmp_register_command_args("block_resize", cmd_block_resize, 0,
                              resize_args);
    qmp_register_command_args("block-set-write-threshold",
                              cmd_write_threshold, 0, threshold_args);
}
QMP_COMMANDS(block_qmp_commands)

/* ---- events ---------------------------------------------------------- */

void block_event_io_error(TsBlockBackend *blk, bool write,
                          const char *action, int err)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "device", blk->name ? blk->name : "");
    json_object_set_string_member(o, "node-name",
                                  node_core(blk->root)->name);
    json_object_set_string_member(o, "operation", write ? "write" : "read");
    json_object_set_string_member(o, "action", action);
    json_object_set_boolean_member(o, "nospace", err == ENOSPC);
    json_object_set_string_member(o, "reason", g_strerror(err));
    qmp_emit_event("BLOCK_IO_ERROR", o);
    json_object_unref(o);
}

void block_event_write_threshold(TsBlockNode *node, uint64_t offset,
                                 uint64_t bytes)
{
    NodeCore *nc = node_core(node);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "node-name", nc->name);
    json_object_set_int_member(o, "amount-exceeded",
                               (int64_t)(offset + bytes -
                                         nc->write_threshold));
    json_object_set_int_member(o, "write-threshold",
                               (int64_t)nc->write_threshold);
    qmp_emit_event("BLOCK_WRITE_THRESHOLD", o);
    json_object_unref(o);
}

void block_event_corrupt(TsBlockNode *node, const char *msg, bool fatal,
                         uint64_t offset, uint64_t size)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "device",
                                  block_backend_device_name(node));
    json_object_set_string_member(o, "node-name", node_core(node)->name);
    json_object_set_string_member(o, "msg", msg);
    if (size) {
        json_object_set_int_member(o, "offset", (int64_t)offset);
        json_object_set_int_member(o, "size", (int64_t)size);
    }
    json_object_set_boolean_member(o, "fatal", fatal);
    qmp_emit_event("BLOCK_IMAGE_CORRUPTED", o);
    json_object_unref(o);
}
