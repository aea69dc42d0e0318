/*
 * core/block/block-hmp.c - the block layer's HMP commands: info block,
 * info blockstats, block_resize, drive_add, drive_del, and eject/change,
 * which have nothing to act on without removable media.
 */
#include "block-internal.h"
#include "block-options.h"
#include "monitor/hmp.h"
#include "util/parse.h"

static const char *cache_mode(TsBlockNode *n, bool write_cache)
{
    unsigned f = ts_block_node_open_flags(n);
    if (f & TS_BLOCK_OPEN_NO_FLUSH) {
        return "writeback, ignore flushes";
    }
    if (f & TS_BLOCK_OPEN_DIRECT) {
        return write_cache ? "writeback, direct" : "writethrough, direct";
    }
    return write_cache ? "writeback" : "writethrough";
}

/* A size as QEMU's monitor writes it: "196 KiB", "1.5 GiB" (three
 * significant digits, binary units, switching unit at 1000). */
static char *human_size(uint64_t v)
{
    static const char *const unit[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi",
                                        "Ei" };
    int i = 0;
    while (i < 6 && (double)v >= 1000.0 * (double)(1ull << (10 * i))) {
        i++;
    }
    return g_strdup_printf("%0.3g %sB",
                           (double)v / (double)(1ull << (10 * i)), unit[i]);
}

/* One level of a format-specific JSON object, "key: value" with the
 * dashes of the keys as spaces, nested members indented further. */
static void dump_json_object(HmpCall *c, JsonObject *o, int indent)
{
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next) {
        g_autofree char *key = g_strdelimit(g_strdup(m->data), "-", ' ');
        JsonNode *v = json_object_get_member(o, m->data);
        if (JSON_NODE_HOLDS_OBJECT(v)) {
            hmp_printf(c, "%*s%s:\n", indent, "", key);
            dump_json_object(c, json_node_get_object(v), indent + 4);
        } else if (JSON_NODE_HOLDS_VALUE(v)) {
            GType t = json_node_get_value_type(v);
            g_autofree char *text =
                t == G_TYPE_BOOLEAN
                    ? g_strdup(json_node_get_boolean(v) ? "true" : "false")
                : t == G_TYPE_INT64
                    ? g_strdup_printf("%" G_GINT64_FORMAT,
                                      json_node_get_int(v))
                : t == G_TYPE_STRING ? g_strdup(json_node_get_string(v))
                : g_strdup("?");
            hmp_printf(c, "%*s%s: %s\n", indent, "", key, text);
        }
    }
}

/* `info block -v`: an ImageInfo (block_image_info) as QEMU dumps it,
 * then its backing images. */
static void dump_image(HmpCall *c, JsonObject *img)
{
    for (; img; img = json_object_has_member(img, "backing-image")
                          ? json_object_get_object_member(img,
                                                          "backing-image")
                          : NULL) {
        g_autofree char *vsize = human_size(
            (uint64_t)json_object_get_int_member(img, "virtual-size"));
        hmp_printf(c, "image: %s\nfile format: %s\n",
                   json_object_get_string_member(img, "filename"),
                   json_object_get_string_member(img, "format"));
        hmp_printf(c, "virtual size: %s (%" G_GINT64_FORMAT " bytes)\n",
                   vsize, json_object_get_int_member(img, "virtual-size"));
        if (json_object_has_member(img, "actual-size")) {
            g_autofree char *dsize = human_size(
                (uint64_t)json_object_get_int_member(img, "actual-size"));
            hmp_printf(c, "disk size: %s\n", dsize);
        }
        if (json_object_has_member(img, "encrypted")) {
            hmp_printf(c, "encrypted: yes\n");
        }
        if (json_object_has_member(img, "cluster-size")) {
            hmp_printf(c, "cluster_size: %" G_GINT64_FORMAT "\n",
                       json_object_get_int_member(img, "cluster-size"));
        }
        if (json_object_get_boolean_member_with_default(img, "dirty-flag",
                                                        false)) {
            hmp_printf(c, "cleanly shut down: no\n");
        }
        if (json_object_has_member(img, "backing-filename")) {
            const char *b = json_object_get_string_member(
                img, "backing-filename");
            const char *full = json_object_get_string_member_with_default(
                img, "full-backing-filename", NULL);
            if (full && !g_str_equal(full, b)) {
                hmp_printf(c, "backing file: %s (actual path: %s)\n", b,
                           full);
            } else {
                hmp_printf(c, "backing file: %s\n", b);
            }
            if (json_object_has_member(img, "backing-filename-format")) {
                hmp_printf(c, "backing file format: %s\n",
                           json_object_get_string_member(
                               img, "backing-filename-format"));
            }
        }
        if (json_object_has_member(img, "format-specific")) {
            JsonObject *fs = json_object_get_object_member(img,
                                                           "format-specific");
            hmp_printf(c, "Format specific information:\n");
            dump_json_object(c, json_object_get_object_member(fs, "data"),
                             4);
        }
    }
}

static int chain_depth(TsBlockNode *n)
{
    int d = 0;
    for (n = block_node_backing(n); n; n = block_node_backing(n)) {
        d++;
    }
    return d;
}

static void print_node(HmpCall *c, const char *label, TsBlockNode *n,
                       TsBlockBackend *blk, bool verbose)
{
    NodeCore *nc = node_core(n);
    if (label) {
        hmp_printf(c, "%s (%s): ", label, nc->name);
    } else {
        hmp_printf(c, "%s: ", nc->name);
    }
    hmp_printf(c, "%s (%s%s)\n", ts_block_node_filename(n),
               block_node_driver_name(n),
               ts_block_node_is_read_only(n) ? ", read-only" : "");
    if (blk && blk->dev && blk->dev != (TsObject *)blk) {
        g_autofree char *path = ts_object_path(blk->dev);
        hmp_printf(c, "    Attached to:      %s\n", path ? path : "?");
    }
    hmp_printf(c, "    Cache mode:       %s\n",
               cache_mode(n, blk ? blk->conf.write_cache : true));
    TsBlockNode *b = block_node_backing(n);
    if (b) {
        hmp_printf(c, "    Backing file:     %s (chain depth: %d)\n",
                   ts_block_node_filename(b), chain_depth(n));
    }
    if (nc->detect_zeroes != DETECT_ZEROES_OFF) {
        hmp_printf(c, "    Detect zeroes:    %s\n",
                   nc->detect_zeroes == DETECT_ZEROES_ON ? "on" : "unmap");
    }
    if (verbose) {
        JsonObject *img = block_image_info(n);
        hmp_printf(c, "\nImages:\n");
        dump_image(c, img);
        json_object_unref(img);
    }
}

/* info block [-n] [-v] [device]: the backends (as QEMU, the node below
 * implicit filters), or with -n every node, newest first.  As in QEMU, a
 * -blockdev node no device uses shows only with -n. */
static void info_block(HmpCall *c, const char *args)
{
    g_auto(GStrv) w = g_strsplit_set(args ? args : "", " \t", -1);
    bool nodes_only = false, verbose = false;
    const char *device = NULL;
    for (guint i = 0; w[i]; i++) {
        if (g_str_equal(w[i], "-n")) {
            nodes_only = true;
        } else if (g_str_equal(w[i], "-v")) {
            verbose = true;
        } else if (*w[i]) {
            device = w[i];
        }
    }
    bool first = true;
    GPtrArray *nodes = block_nodes();
    if (nodes_only) {
        for (guint i = nodes->len; i-- > 0;) {
            TsBlockNode *n = g_ptr_array_index(nodes, i);
            if (node_core(n)->implicit) {
                continue;
            }
            if (!first) {
                hmp_printf(c, "\n");
            }
            first = false;
            print_node(c, NULL, n, NULL, verbose);
        }
        return;
    }
    g_autoptr(GPtrArray) list = block_query_backends();
    for (guint i = 0; i < list->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(list, i);
        if (device && !(b->name && g_str_equal(device, b->name))) {
            continue;
        }
        if (!first) {
            hmp_printf(c, "\n");
        }
        first = false;
        print_node(c, b->name ? b->name : "",
                   block_node_skip_implicit(b->root), b, verbose);
    }
}

static void info_blockstats(HmpCall *c, const char *args)
{
    g_autoptr(GPtrArray) list = block_query_backends();
    for (guint i = 0; i < list->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(list, i);
        const BlockStats *s = &b->stats;
        hmp_printf(c, "%s:", b->name ? b->name : "");
        hmp_printf(c, " rd_bytes=%" PRIu64 " wr_bytes=%" PRIu64
                   " rd_operations=%" PRIu64 " wr_operations=%" PRIu64
                   " flush_operations=%" PRIu64 " wr_total_time_ns=%" PRIu64
                   " rd_total_time_ns=%" PRIu64
                   " flush_total_time_ns=%" PRIu64
                   " rd_merged=0 wr_merged=0", s->rd_bytes, s->wr_bytes,
                   s->rd_ops, s->wr_ops, s->flush_ops, s->wr_ns, s->rd_ns,
                   s->flush_ns);
        if (s->last_ns) {
            hmp_printf(c, " idle_time_ns=%" PRId64,
                       g_get_monotonic_time() * 1000 - s->last_ns);
        }
        hmp_printf(c, "\n");
    }
}

static const HmpCommand block_info_commands[] = {
    { "block", "[-n] [-v] [device]", "show info of one block device or "
      "all block devices (-n: show named nodes; -v: show details)",
      info_block },
    { "blockstats", "", "show block device statistics", info_blockstats },
    { NULL }
};
HMP_INFO_COMMANDS(block_info_commands)

static void report(HmpCall *c, GError *err)
{
    if (err) {
        hmp_print_error(c, err);
        g_error_free(err);
    }
}

static void cmd_block_resize(HmpCall *c, const char *args)
{
    g_auto(GStrv) w = g_strsplit_set(args, " \t", -1);
    GError *err = NULL;
    uint64_t size;
    if (g_strv_length(w) != 2 || !*w[0]) {
        hmp_printf(c, "block_resize: expects a device and a size\n");
        return;
    }
    if (!ts_parse_size("size", w[1], &size, &err) ||
        !block_resize(w[0], NULL, (int64_t)size, &err)) {
        report(c, err);
    }
}

/* drive_add [[<domain>:]<bus>:]<slot> OPTS: only if=none drives (the
 * board has no hot-pluggable bus a drive could go on). */
static void cmd_drive_add(HmpCall *c, const char *args)
{
    const char *p = args;
    while (*p && !g_ascii_isspace(*p)) {
        p++;
    }
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (p == args || !*p) {
        hmp_printf(c, "drive_add: expects an address and options\n");
        return;
    }
    GError *err = NULL;
    g_autofree char *opts = g_strdup(p);
    if (!g_str_has_prefix(opts, "if=none,") && !strstr(opts, ",if=none")) {
        hmp_printf(c, "Error: only if=none drives can be added: the machine "
                   "has no bus to hot-plug a drive into\n");
        return;
    }
    if (!block_drive_add(opts, &err) || !block_options_open(&err)) {
        report(c, err);
        block_legacy_reset();
        return;
    }
    block_legacy_reset();
    hmp_printf(c, "OK\n");
}

static void cmd_drive_del(HmpCall *c, const char *args)
{
    g_autofree char *id = g_strstrip(g_strdup(args));
    TsBlockBackend *blk = block_backend_find(id);
    if (!blk) {
        hmp_printf(c, "Error: Device '%s' not found\n", id);
        return;
    }
    if (blk->dev) {
        hmp_printf(c, "Error: Device '%s' is in use by a device: remove "
                   "the device (device_del) first\n", id);
        return;
    }
    block_backend_delete(blk);
}

static void cmd_eject_change(HmpCall *c, const char *args)
{
    g_auto(GStrv) w = g_strsplit_set(args, " \t", -1);
    const char *dev = NULL;
    for (guint i = 0; w[i]; i++) {
        if (*w[i] && w[i][0] != '-') {
            dev = w[i];
            break;
        }
    }
    if (!dev) {
        hmp_printf(c, "Error: a device name is expected\n");
    } else if (!block_backend_find(dev)) {
        hmp_printf(c, "Error: Device '%s' not found\n", dev);
    } else {
        hmp_printf(c, "Error: Device '%s' is not removable\n", dev);
    }
}

static const HmpCommand block_hmp_commands[] = {
    { "block_resize", "device size", "resize a block image",
      cmd_block_resize },
    { "drive_add", "[[<domain>:]<bus>:]<slot> [file=file][,if=none]"
      "[,format=f][,...]", "add drive to PCI storage controller",
      cmd_drive_add },
    { "drive_del", "device", "remove host block device", cmd_drive_del },
    { "eject", "[-f] device", "eject a removable medium (use -f to force "
      "it)", cmd_eject_change },
    { "change", "device filename [format [read-only-mode]]", "change a "
      "removable medium", cmd_eject_change },
    { NULL }
};
HMP_COMMANDS(block_hmp_commands)
