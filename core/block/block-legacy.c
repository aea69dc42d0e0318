/*
 * core/block/block-legacy.c - -drive and the options that are spellings
 * of it (-hda.., -cdrom, -fda/-fdb, -mtdblock, -sd), -snapshot, and the
 * boards' claims on the drives.
 *
 * A -drive is a format node over a file node plus a named backend with
 * the guest-facing settings (cache's write cache, rerror/werror), on an
 * interface (if=) that a board or a device picks it up from.  The options
 * are checked when given and the images opened once the command line is
 * known (block_drives_open), before the board is built; a drive on an
 * interface nobody claimed ends the run with QEMU's message.
 */
#include "block-internal.h"
#include "block-options.h"
#include "cli/opts.h"
#include "device/device-create.h"
#include "plugin/plugins.h"
#include "util/parse.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

typedef struct LegacyDrive {
    char *option;               /* "-drive ARG", "-hda FILE": for errors */
    BlockOpts *opts;
} LegacyDrive;

static GPtrArray *pending;      /* of LegacyDrive, in command-line order */
static bool snapshot_all;       /* -snapshot */

static void legacy_free(void *p)
{
    LegacyDrive *d = p;
    g_free(d->option);
    if (d->opts) {
        g_hash_table_unref(d->opts);
    }
    g_free(d);
}

void block_legacy_reset(void)
{
    g_clear_pointer(&pending, g_ptr_array_unref);
    snapshot_all = false;
}

void block_set_snapshot_all(void)
{
    snapshot_all = true;
}

static bool queue(const char *option, BlockOpts *opts)
{
    if (!pending) {
        pending = g_ptr_array_new_with_free_func(legacy_free);
    }
    LegacyDrive *d = g_new0(LegacyDrive, 1);
    d->option = g_strdup(option);
    d->opts = opts;
    g_ptr_array_add(pending, d);
    return true;
}

/* ---- checks made when the option is given ---------------------------- */

static const char *const interfaces[] = {
    "none", "ide", "scsi", "floppy", "pflash", "mtd", "sd", "virtio", "xen",
    NULL
};

static bool check_number(BlockOpts *o, const char *key, GError **errp)
{
    const char *v = g_hash_table_lookup(o, key);
    uint64_t n;
    if (v && !ts_parse_uint(key, v, &n, NULL)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter '%s' expects a number", key);
        return false;
    }
    return true;
}

static bool check_choice(BlockOpts *o, const char *key,
                         const char *const *allowed, const char *fmt,
                         GError **errp)
{
    const char *v = g_hash_table_lookup(o, key);
    if (v && !g_strv_contains(allowed, v)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, fmt, v);
        return false;
    }
    return true;
}

/* What can be judged without opening anything, so that a typo is
 * reported before any file is touched. */
static bool check_drive(BlockOpts *o, GError **errp)
{
    static const char *const media[] = { "disk", "cdrom", NULL };
    static const char *const caches[] = { "writeback", "none",
        "writethrough", "directsync", "unsafe", NULL };
    static const char *const aios[] = { "threads", "native", "io_uring",
                                        NULL };
    const char *iface = g_hash_table_lookup(o, "if");
    if (iface && !g_strv_contains(interfaces, iface)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "unsupported bus type '%s'", iface);
        return false;
    }
    if (!check_choice(o, "media", media, "'%s' invalid media", errp) ||
        !check_choice(o, "cache", caches, "invalid cache option", errp) ||
        !check_choice(o, "aio", aios, "invalid aio option", errp) ||
        !check_number(o, "bus", errp) || !check_number(o, "unit", errp) ||
        !check_number(o, "index", errp)) {
        return false;
    }
    if (g_hash_table_contains(o, "index") &&
        (g_hash_table_contains(o, "bus") || g_hash_table_contains(o, "unit"))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "index cannot be used with bus and unit");
        return false;
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, o);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (g_str_has_prefix(k, "throttling.") &&
            !g_str_equal(k, "throttling.group") &&
            !check_number(o, k, errp)) {
            return false;
        }
    }
    ErrorAction a;
    const char *re = g_hash_table_lookup(o, "rerror");
    const char *we = g_hash_table_lookup(o, "werror");
    if ((re && !block_error_action_parse(re, true, &a, errp)) ||
        (we && !block_error_action_parse(we, false, &a, errp))) {
        return false;
    }
    const char *aio = g_hash_table_lookup(o, "aio");
    const char *cache = g_hash_table_lookup(o, "cache");
    const char *direct = g_hash_table_lookup(o, "cache.direct");
    bool is_direct = (cache && (g_str_equal(cache, "none") ||
                                g_str_equal(cache, "directsync"))) ||
                     (direct && g_str_equal(direct, "on"));
    if (aio && g_str_equal(aio, "native") && !is_direct) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "aio=native was specified, but it requires "
                    "cache.direct=on, which was not specified.");
        return false;
    }
    return true;
}

bool block_drive_add(const char *arg, GError **errp)
{
    BlockOpts *o = block_opts_parse(arg, errp);
    if (!o) {
        return false;
    }
    if (!check_drive(o, errp)) {
        g_hash_table_unref(o);
        return false;
    }
    g_autofree char *option = g_strconcat("-drive ", arg, NULL);
    return queue(option, o);
}

bool block_drive_set(const char *id, const char *key, const char *value,
                     GError **errp)
{
    for (guint i = 0; pending && i < pending->len; i++) {
        LegacyDrive *d = g_ptr_array_index(pending, i);
        const char *did = d->opts ? g_hash_table_lookup(d->opts, "id") : NULL;
        if (did && g_str_equal(did, id)) {
            /* Checked again as a whole, as if written in the -drive. */
            g_hash_table_insert(d->opts, g_strdup(key), g_strdup(value));
            return check_drive(d->opts, errp);
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                "there is no drive \"%s\" defined", id);
    return false;
}

/* -hda FILE and friends: QEMU's drive_add(type, index, file, opts). */
bool block_legacy_option(const char *name, const char *file, GError **errp)
{
    static const struct {
        const char *name, *iface;
        int index;
        const char *media;
    } map[] = {
        /* The virt board's default interface is none, as in QEMU. */
        { "hda", "none", 0, NULL }, { "hdb", "none", 1, NULL },
        { "hdc", "none", 2, NULL }, { "hdd", "none", 3, NULL },
        { "cdrom", "none", 2, "cdrom" },
        { "fda", "floppy", 0, NULL }, { "fdb", "floppy", 1, NULL },
        { "mtdblock", "mtd", -1, NULL }, { "sd", "sd", -1, NULL },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
        if (!g_str_equal(map[i].name, name)) {
            continue;
        }
        BlockOpts *o = block_opts_new();
        g_hash_table_insert(o, g_strdup("file"), g_strdup(file));
        g_hash_table_insert(o, g_strdup("if"), g_strdup(map[i].iface));
        if (map[i].index >= 0) {
            g_hash_table_insert(o, g_strdup("index"),
                                g_strdup_printf("%d", map[i].index));
        }
        if (map[i].media) {
            g_hash_table_insert(o, g_strdup("media"),
                                g_strdup(map[i].media));
        }
        g_autofree char *option = g_strdup_printf("-%s %s", name, file);
        return queue(option, o);
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "no drive option -%s",
                name);
    return false;
}

/* ---- opening ----------------------------------------------------------- */

static bool unit_taken(const char *iface, unsigned bus, unsigned unit)
{
    GPtrArray *b = block_backends();
    for (guint i = 0; i < b->len; i++) {
        TsBlockBackend *blk = g_ptr_array_index(b, i);
        if (blk->legacy_iface && g_str_equal(blk->legacy_iface, iface) &&
            blk->legacy_index == unit && bus == 0) {
            return true;
        }
    }
    return false;
}

static bool pick_unit(BlockOpts *o, const char *iface, unsigned *unit,
                      unsigned *bus, GError **errp)
{
    g_autofree char *b = block_opts_take(o, "bus");
    g_autofree char *u = block_opts_take(o, "unit");
    g_autofree char *ix = block_opts_take(o, "index");
    uint64_t v;
    *bus = 0;
    if (b) {
        ts_parse_uint("bus", b, &v, NULL);
        *bus = (unsigned)v;
    }
    if (ix || u) {
        ts_parse_uint(ix ? "index" : "unit", ix ? ix : u, &v, NULL);
        *unit = (unsigned)v;
        if (unit_taken(iface, *bus, *unit)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "drive with bus=%u, unit=%u (index=%u) exists",
                        *bus, *unit, *unit);
            return false;
        }
        return true;
    }
    for (*unit = 0; unit_taken(iface, *bus, *unit); (*unit)++) {
    }
    return true;
}

/* cache= as QEMU spells the three settings it stands for. */
static void apply_cache(BlockOpts *o, BlockOpts *node, BackendConf *conf)
{
    g_autofree char *cache = block_opts_take(o, "cache");
    bool direct = false, noflush = false;
    conf->write_cache = true;
    if (cache) {
        direct = g_str_equal(cache, "none") ||
                 g_str_equal(cache, "directsync");
        noflush = g_str_equal(cache, "unsafe");
        conf->write_cache = !g_str_equal(cache, "writethrough") &&
                            !g_str_equal(cache, "directsync");
    }
    if (!g_hash_table_contains(node, "cache.direct")) {
        g_hash_table_insert(node, g_strdup("cache.direct"),
                            g_strdup(direct ? "on" : "off"));
    }
    if (!g_hash_table_contains(node, "cache.no-flush")) {
        g_hash_table_insert(node, g_strdup("cache.no-flush"),
                            g_strdup(noflush ? "on" : "off"));
    }
    g_autofree char *wc = block_opts_take(o, "write-cache");
    if (wc) {
        bool v;
        if (ts_parse_bool("write-cache", wc, &v, NULL)) {
            conf->write_cache = v;
        }
    }
}

static bool legacy_snapshot(TsBlockNode **node, GError **errp);

static bool open_drive(LegacyDrive *d, GError **errp)
{
    BlockOpts *o = d->opts;
    g_autofree char *iface = block_opts_take(o, "if");
    g_autofree char *file = block_opts_take(o, "file");
    g_autofree char *format = block_opts_take(o, "format");
    g_autofree char *id = block_opts_take(o, "id");
    g_autofree char *media = block_opts_take(o, "media");
    g_autofree char *aio = block_opts_take(o, "aio");
    g_autofree char *rerror = block_opts_take(o, "rerror");
    g_autofree char *werror = block_opts_take(o, "werror");
    g_autofree char *readonly = block_opts_take(o, "readonly");
    g_autofree char *cor = block_opts_take(o, "copy-on-read");
    bool snapshot = snapshot_all, ro = false, copy_on_read = false;
    if (!block_opts_take_bool(o, "snapshot", snapshot_all, &snapshot, errp) ||
        (readonly && !ts_parse_bool("readonly", readonly, &ro, errp)) ||
        (cor && !ts_parse_bool("copy-on-read", cor, &copy_on_read, errp))) {
        return false;
    }
    if (!iface) {
        iface = g_strdup("none");
    }
    unsigned unit, bus;
    if (!pick_unit(o, iface, &unit, &bus, errp)) {
        return false;
    }
    if (!id) {
        id = g_strdup_printf("%s%u", iface, unit);
    }
    if (block_backend_find(id) || block_node_find(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Duplicate ID '%s' for drive", id);
        return false;
    }
    if (media && g_str_equal(media, "cdrom")) {
        ro = true;
    }
    if (copy_on_read && ro) {
        fprintf(stderr, "%s: %s: warning: disabling copy-on-read on "
                "read-only drive\n", g_get_prgname(), d->option);
        copy_on_read = false;
    }
    if (copy_on_read && !block_driver_known("copy-on-read")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "copy-on-read=on needs the copy-on-read filter, and no "
                    "plugin provides block driver 'copy-on-read'");
        return false;
    }
    /* Throttling limits are the backend's (made once the node is). */
    g_autoptr(GHashTable) throttling = block_opts_take_prefix(o,
                                                              "throttling");
    if (!file || !*file) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    format ? "A block device must be specified for \"file\""
                           : "a drive without a medium (no file=) is not "
                             "supported: the machine has no removable "
                             "media");
        return false;
    }
    if (format && !block_driver_known(format)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Unknown driver '%s'",
                    format);
        return false;
    }
    BackendConf conf = { .rerror = ERROR_ACTION_REPORT,
                         .werror = ERROR_ACTION_ENOSPC };
    if (rerror) {
        block_error_action_parse(rerror, true, &conf.rerror, NULL);
    }
    if (werror) {
        block_error_action_parse(werror, false, &conf.werror, NULL);
    }
    /* What is left is the nodes': common options, format options,
     * "file.*" for the protocol node. */
    apply_cache(o, o, &conf);
    if (aio) {
        g_hash_table_insert(o, g_strdup("file.aio"), g_strdup(aio));
    }
    if (ro) {
        g_hash_table_insert(o, g_strdup("read-only"), g_strdup("on"));
    }
    /* -drive does not insist on discard=unmap for detect-zeroes=unmap. */
    const char *dz = g_hash_table_lookup(o, "detect-zeroes");
    const char *discard = g_hash_table_lookup(o, "discard");
    if (dz && g_str_equal(dz, "unmap") &&
        !(discard && (g_str_equal(discard, "unmap") ||
                      g_str_equal(discard, "on")))) {
        g_hash_table_insert(o, g_strdup("detect-zeroes"), g_strdup("on"));
    }
    if (snapshot && !ro) {
        /* The image itself is only read; the overlay takes the writes. */
        g_hash_table_insert(o, g_strdup("read-only"), g_strdup("on"));
    }
    d->opts = NULL;
    TsBlockNode *node = block_node_open_image(file, format, o, errp);
    if (!node) {
        return false;
    }
    if (snapshot && !ro && !legacy_snapshot(&node, errp)) {
        block_node_unref(node);
        return false;
    }
    if (copy_on_read) {
        /* The filter on top; its "file" edge holds the image now. */
        BlockOpts *f = block_opts_new();
        g_hash_table_insert(f, g_strdup("driver"), g_strdup("copy-on-read"));
        g_hash_table_insert(f, g_strdup("file"),
                            g_strdup(ts_block_node_name(node)));
        TsBlockNode *filter = block_node_open(f, false, errp);
        block_node_unref(node);
        if (!filter) {
            return false;
        }
        node_core(filter)->implicit = true;
        node = filter;
    }
    conf.read_only = ro;
    ThrottleGroup *tg = NULL;
    GError *terr = NULL;
    if (throttling && !(tg = block_throttle_new(throttling, id,
                                 block_node_driver_name(node), &terr)) &&
        terr) {
        g_propagate_error(errp, terr);
        block_node_unref(node);
        return false;
    }
    TsBlockBackend *blk = block_backend_new(id, node, &conf, errp);
    if (!blk) {
        block_throttle_unref(tg);
        block_node_unref(node);
        return false;
    }
    blk->throttle = tg;
    blk->legacy_iface = g_strdup(iface);
    blk->legacy_option = g_strdup(d->option);
    blk->legacy_index = unit;
    blk->claimed = g_str_equal(iface, "none");
    return true;
}

/* The queue is emptied either way: drive_add runs it again later. */
bool block_drives_open(GError **errp)
{
    bool ok = true;
    for (guint i = 0; ok && pending && i < pending->len; i++) {
        LegacyDrive *d = g_ptr_array_index(pending, i);
        if (!open_drive(d, errp)) {
            g_prefix_error(errp, "%s: ", d->option);
            ok = false;
        }
    }
    g_clear_pointer(&pending, g_ptr_array_unref);
    return ok;
}

/* if=virtio: a virtio-blk device per drive, as QEMU's boards make. */
bool block_drives_create_devices(GError **errp)
{
    GPtrArray *b = block_backends();
    for (guint i = 0; i < b->len; i++) {
        TsBlockBackend *blk = g_ptr_array_index(b, i);
        if (!blk->legacy_iface || !g_str_equal(blk->legacy_iface, "virtio") ||
            blk->claimed) {
            continue;
        }
        if (!plugin_index_find(PK_DEVICE, "virtio-blk-device", NULL) &&
            !ts_type_exists("virtio-blk-device")) {
            g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                        "-drive if=virtio (id %s): no plugin provides "
                        "device 'virtio-blk-device'", blk->name);
            return false;
        }
        g_autofree char *arg = g_strdup_printf("virtio-blk-device,drive=%s",
                                               blk->name);
        g_autoptr(TsOpts) opts = opts_parse(arg, "driver", errp);
        blk->claimed = true;
        if (!opts || !device_create(opts, errp)) {
            g_prefix_error(errp, "-drive if=virtio (id %s): ", blk->name);
            return false;
        }
    }
    return true;
}

bool block_drives_check_claimed(GError **errp)
{
    GPtrArray *b = block_backends();
    for (guint i = 0; i < b->len; i++) {
        TsBlockBackend *blk = g_ptr_array_index(b, i);
        if (blk->legacy_iface && !blk->claimed) {
            const char *opt = blk->legacy_option;
            g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                        "%s: machine type does not support if=%s,bus=0,"
                        "unit=%u", opt, blk->legacy_iface,
                        blk->legacy_index);
            return false;
        }
    }
    return true;
}

TS_EXPORT const char *ts_block_legacy_drive(const char *iface,
                                            unsigned index)
{
    GPtrArray *b = block_backends();
    for (guint i = 0; i < b->len; i++) {
        TsBlockBackend *blk = g_ptr_array_index(b, i);
        if (blk->legacy_iface && g_str_equal(blk->legacy_iface, iface) &&
            blk->legacy_index == index) {
            blk->claimed = true;
            return blk->name;
        }
    }
    return NULL;
}

/* ---- -snapshot ----------------------------------------------------------- */

/* Put a temporary qcow2 overlay on top of *node: the guest's writes go
 * there and vanish with it at exit.  Needs the qcow2 driver's create. */
static bool legacy_snapshot(TsBlockNode **node, GError **errp)
{
    if (!plugin_index_find(PK_BLOCKDRIVER, "qcow2", NULL) &&
        !ts_type_exists("qcow2" TS_BLOCK_DRIVER_SUFFIX)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "snapshot=on (or -snapshot) needs the qcow2 driver for "
                    "its temporary overlay, and no plugin provides block "
                    "driver 'qcow2'");
        return false;
    }
    return block_snapshot_overlay(node, errp);
}
