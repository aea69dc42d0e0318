/*
 * core/block/block-create.c - making new images through a driver's
 * create hook, and -snapshot's temporary overlay made with it.
 *
 * A driver declares its creation options as a property table over a
 * struct of its own; the core fills a zeroed struct from the defaults and
 * the user's values, with the same syntax as every other property (sizes
 * with suffixes, on/off, enum names), calls create, and frees the
 * strings.
 */
#define _GNU_SOURCE
#include "block-internal.h"
#include "plugin/plugins.h"
#include "util/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static bool set_field(const TsProperty *p, void *base, const char *value,
                      GError **errp)
{
    void *field = (uint8_t *)base + p->offset;
    uint64_t u;
    int64_t i;
    bool b;
    switch (p->kind) {
    case TS_PROP_BOOL:
        if (!ts_parse_bool(p->name, value, &b, errp)) {
            return false;
        }
        *(bool *)field = b;
        return true;
    case TS_PROP_INT:
        if (!ts_parse_int(p->name, value, &i, errp)) {
            return false;
        }
        *(int64_t *)field = i;
        return true;
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        if (!(p->kind == TS_PROP_SIZE ? ts_parse_size(p->name, value, &u, errp)
                                      : ts_parse_uint(p->name, value, &u,
                                                      errp))) {
            return false;
        }
        *(uint64_t *)field = u;
        return true;
    case TS_PROP_STRING:
        g_free(*(char **)field);
        *(char **)field = g_strdup(value);
        return true;
    case TS_PROP_ENUM:
        for (int n = 0; p->enum_values && p->enum_values[n]; n++) {
            if (g_str_equal(p->enum_values[n], value)) {
                *(int *)field = n;
                return true;
            }
        }
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter '%s' does not accept value '%s'", p->name,
                    value);
        return false;
    case TS_PROP_LINK:
        break;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter '%s' cannot be given here", p->name);
    return false;
}

static void set_default(const TsProperty *p, void *base)
{
    void *field = (uint8_t *)base + p->offset;
    switch (p->kind) {
    case TS_PROP_BOOL:
        *(bool *)field = p->def.b;
        break;
    case TS_PROP_INT:
        *(int64_t *)field = p->def.i;
        break;
    case TS_PROP_UINT:
    case TS_PROP_SIZE:
        *(uint64_t *)field = p->def.u;
        break;
    case TS_PROP_STRING:
        *(char **)field = g_strdup(p->def.s);
        break;
    case TS_PROP_ENUM:
        set_field(p, base, p->def.s ? p->def.s : "", NULL);
        break;
    case TS_PROP_LINK:
        break;
    }
}

bool block_create_opt_set(const TsProperty *p, void *opts, const char *value,
                          GError **errp)
{
    return set_field(p, opts, value, errp);
}

void block_create_opt_default(const TsProperty *p, void *opts)
{
    set_default(p, opts);
}

const TsBlockDriver *block_create_driver(const char *driver, GError **errp)
{
    if (!block_driver_known(driver)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Unknown file format '%s'", driver);
        return NULL;
    }
    if (!plugin_require(PK_BLOCKDRIVER, driver, errp)) {
        return NULL;
    }
    g_autofree char *type = g_strconcat(driver, TS_BLOCK_DRIVER_SUFFIX, NULL);
    TsObjectClass *k = ts_class_by_name(type);
    const TsBlockDriver *drv = k ? block_driver_of_class(k) : NULL;
    if (!drv || !drv->create) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Driver '%s' does not support image creation", driver);
        return NULL;
    }
    return drv;
}

void *block_create_opts_fill(const TsBlockDriver *drv, BlockOpts *o,
                             GError **errp)
{
    void *base = g_malloc0(MAX(drv->create_opts_size, 1));
    const TsProperty *table = drv->create_options;
    bool ok = true;
    for (const TsProperty *p = table; p && p->name; p++) {
        set_default(p, base);
    }
    for (const TsProperty *p = table; ok && p && p->name; p++) {
        g_autofree char *v = block_opts_take(o, p->name);
        if (v) {
            ok = set_field(p, base, v, errp);
        }
    }
    const char *left = ok ? block_opts_first_key(o) : NULL;
    if (left) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid parameter '%s'", left);
        ok = false;
    }
    if (!ok) {
        block_create_opts_free(drv, base);
        return NULL;
    }
    return base;
}

void block_create_opts_free(const TsBlockDriver *drv, void *base)
{
    for (const TsProperty *p = drv->create_options; p && p->name; p++) {
        if (p->kind == TS_PROP_STRING) {
            g_free(*(char **)((uint8_t *)base + p->offset));
        }
    }
    g_free(base);
}

/* The preallocation= the user asked for, taken out of `o` when the core
 * does it (see block_create_image); -1 for a name that is none. */
static int take_prealloc(const TsBlockDriver *drv, BlockOpts *o,
                         TsBlockPrealloc *asked)
{
    static const char *const names[] = { "off", "metadata", "falloc",
                                         "full" };
    const char *v = g_hash_table_lookup(o, "preallocation");
    *asked = TS_BLOCK_PREALLOC_OFF;
    if (!v) {
        return 0;
    }
    for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
        if (g_str_equal(v, names[i])) {
            *asked = (TsBlockPrealloc)i;
        }
    }
    if (*asked == TS_BLOCK_PREALLOC_OFF && !g_str_equal(v, "off")) {
        return -1;
    }
    bool own = false;
    for (const TsProperty *p = drv->create_options; p && p->name; p++) {
        own = own || g_str_equal(p->name, "preallocation");
    }
    if (!own) {
        g_hash_table_remove(o, "preallocation");
    } else if (*asked > TS_BLOCK_PREALLOC_METADATA) {
        /* The driver lays out its metadata; the core fills the file. */
        g_hash_table_replace(o, g_strdup("preallocation"),
                             g_strdup("metadata"));
    }
    return 0;
}

/*
 * After the driver made the file: falloc/full preallocation of every
 * byte of it (the driver sized it, holes included), and, as QEMU's file
 * protocol does for a sparse new file, the first block written so that
 * the image never starts with a hole (tools probing alignment read it).
 */
static bool fill_file(const char *filename, TsBlockPrealloc prealloc,
                      GError **errp)
{
    int fd = open(filename, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) {
            close(fd);
        }
        return true;            /* a device or a protocol: nothing to do */
    }
    int ret = 0;
    off_t len = st.st_size;
    static const char zeroes[65536];
    if (prealloc == TS_BLOCK_PREALLOC_FALLOC && len) {
        ret = posix_fallocate(fd, 0, len);
    } else if (prealloc == TS_BLOCK_PREALLOC_FULL) {
        for (off_t pos = 0; pos < len && !ret;) {
            off_t hole = lseek(fd, pos, SEEK_HOLE);
            if (hole < 0 || hole >= len) {
                break;
            }
            off_t data = lseek(fd, hole, SEEK_DATA);
            off_t end = data < 0 ? len : MIN(data, len);
            for (pos = hole; pos < end && !ret;) {
                size_t n = (size_t)MIN(end - pos, (off_t)sizeof(zeroes));
                ret = pwrite(fd, zeroes, n, pos) == (ssize_t)n ? 0 : errno;
                pos += (off_t)n;
            }
        }
    } else if (len && lseek(fd, 0, SEEK_DATA) != 0) {
        size_t n = (size_t)MIN(len, 4096);
        ret = pwrite(fd, zeroes, n, 0) == (ssize_t)n ? 0 : errno;
    }
    if (!ret && fdatasync(fd) < 0) {
        ret = errno;
    }
    close(fd);
    if (ret) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not preallocate data for the new file: %s",
                    g_strerror(ret));
        return false;
    }
    return true;
}

/* The file protocol empties an existing file as it creates it; qemu-img
 * first takes the locks a writer takes, so that an image a VM is using
 * is refused, never truncated.  Ask for them before the driver runs. */
static bool not_in_use(const char *filename, GError **errp)
{
    if (!g_file_test(filename, G_FILE_TEST_IS_REGULAR)) {
        return true;
    }
    BlockOpts *o = block_opts_new();
    g_hash_table_insert(o, g_strdup("driver"), g_strdup("file"));
    g_hash_table_insert(o, g_strdup("filename"), g_strdup(filename));
    TsBlockNode *n = block_node_open(o, false, errp);
    if (!n) {
        return false;
    }
    BlockUser u = {
        .perm = TS_BLOCK_PERM_CONSISTENT_READ | TS_BLOCK_PERM_WRITE |
                TS_BLOCK_PERM_RESIZE,
        .shared = TS_BLOCK_PERM_CONSISTENT_READ |
                  TS_BLOCK_PERM_WRITE_UNCHANGED,
    };
    bool ok = block_node_add_user(n, &u, errp);
    if (ok) {
        block_node_remove_user(n, &u);
    }
    block_node_unref(n);
    return ok;
}

bool block_create_image(const char *driver, const char *filename,
                        BlockOpts *opts, GError **errp)
{
    g_autoptr(GHashTable) o = opts;
    const TsBlockDriver *drv = block_create_driver(driver, errp);
    if (!drv) {
        return false;
    }
    TsBlockPrealloc prealloc;
    if (take_prealloc(drv, o, &prealloc) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'preallocation' does not accept value '%s'",
                    (const char *)g_hash_table_lookup(o, "preallocation"));
        return false;
    }
    if (prealloc == TS_BLOCK_PREALLOC_METADATA &&
        !g_hash_table_contains(o, "preallocation")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Unsupported preallocation mode: metadata");
        return false;
    }
    void *base = block_create_opts_fill(drv, o, errp);
    if (!base) {
        return false;
    }
    /* A failed creation leaves no half-made image: a file it made goes,
     * and so does one it already emptied (as qemu-img removes what it
     * truncated).  One it could not take (locked by a running VM, not
     * writable) still holds its data and stays. */
    struct stat before;
    bool existed = stat(filename, &before) == 0;
    if (existed && !not_in_use(filename, errp)) {
        block_create_opts_free(drv, base);
        return false;
    }
    bool ok = drv->create(filename, base, errp);
    block_create_opts_free(drv, base);
    if (ok && drv->kind == TS_BLOCK_FORMAT) {
        ok = fill_file(filename, prealloc, errp);
    }
    struct stat after;
    if (!ok && stat(filename, &after) == 0 && S_ISREG(after.st_mode) &&
        (!existed || (after.st_size == 0 && before.st_size > 0))) {
        unlink(filename);
    }
    return ok;
}

bool block_snapshot_overlay(TsBlockNode **node, GError **errp)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("vl.XXXXXX", &path, errp);
    if (fd < 0) {
        return false;
    }
    close(fd);
    TsBlockNode *base = *node;
    BlockOpts *copts = block_opts_new();
    g_hash_table_insert(copts, g_strdup("size"),
                        g_strdup_printf("%" G_GINT64_FORMAT,
                                        block_node_get_length(base)));
    g_hash_table_insert(copts, g_strdup("backing_file"),
                        g_strdup(ts_block_node_filename(base)));
    g_hash_table_insert(copts, g_strdup("backing_fmt"),
                        g_strdup(block_node_driver_name(base)));
    if (!block_create_image("qcow2", path, copts, errp)) {
        unlink(path);
        return false;
    }
    BlockOpts *o = block_opts_new();
    g_hash_table_insert(o, g_strdup("driver"), g_strdup("qcow2"));
    g_hash_table_insert(o, g_strdup("file.driver"), g_strdup("file"));
    g_hash_table_insert(o, g_strdup("file.filename"), g_strdup(path));
    g_hash_table_insert(o, g_strdup("backing"),
                        g_strdup(ts_block_node_name(base)));
    unsigned f = ts_block_node_open_flags(base);
    g_hash_table_insert(o, g_strdup("cache.direct"),
                        g_strdup(f & TS_BLOCK_OPEN_DIRECT ? "on" : "off"));
    g_hash_table_insert(o, g_strdup("cache.no-flush"),
                        g_strdup(f & TS_BLOCK_OPEN_NO_FLUSH ? "on" : "off"));
    TsBlockNode *overlay = block_node_open(o, false, errp);
    /* Gone from the directory now; the open file lives until exit. */
    unlink(path);
    if (!overlay) {
        return false;
    }
    block_node_unref(base);     /* the overlay's backing edge holds it */
    *node = overlay;
    return true;
}
