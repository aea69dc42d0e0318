/*
 * core/img/img-create.c - `tessera-img create`: a new image through its
 * driver's create hook (core/block/block-create.c), with qemu-img's
 * options, its "Formatting '...'" line and its checks: the size may come
 * from the backing file, -u leaves the backing file unopened, -o help
 * lists the format's creation options.
 */
#include "img.h"
#include "block/block-graph.h"
#include "util/parse.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* The options qemu-img shows in its "Formatting" line, in its order:
 * `def` is shown when the user gave nothing, NULL means "only if given".
 * Formats not listed show size, then what the user gave. */
typedef struct ShownOpt {
    const char *name;
    const char *def;
} ShownOpt;

static const ShownOpt qcow2_shown[] = {
    { "cluster_size", "65536" }, { "extended_l2", "off" },
    { "preallocation", NULL }, { "compression_type", "zlib" },
    { "size", NULL }, { "backing_file", NULL }, { "backing_fmt", NULL },
    { "compat", NULL }, { "lazy_refcounts", "off" },
    { "refcount_bits", "16" }, { NULL, NULL },
};

static const ShownOpt raw_shown[] = {
    { "size", NULL }, { "preallocation", NULL }, { NULL, NULL },
};

/* A value as the line shows it: sizes in bytes, the rest as given. */
static void show_value(GString *line, const TsProperty *table,
                       const char *name, const char *value)
{
    const TsProperty *p = img_create_option(table, name);
    uint64_t bytes;
    if (p && p->kind == TS_PROP_SIZE &&
        ts_parse_size(name, value, &bytes, NULL)) {
        g_string_append_printf(line, " %s=%" G_GUINT64_FORMAT, name, bytes);
    } else {
        g_string_append_printf(line, " %s=%s", name, value);
    }
}

static void print_formatting(const char *filename, const char *fmt,
                             const TsProperty *table, BlockOpts *o)
{
    g_autoptr(GString) line = g_string_new(NULL);
    g_string_append_printf(line, "Formatting '%s', fmt=%s", filename, fmt);
    const ShownOpt *shown = g_str_equal(fmt, "qcow2") ? qcow2_shown
                            : g_str_equal(fmt, "raw") ? raw_shown : NULL;
    if (shown) {
        for (; shown->name; shown++) {
            const char *v = g_hash_table_lookup(o, shown->name);
            if (v || shown->def) {
                show_value(line, table, shown->name, v ? v : shown->def);
            }
        }
    } else {
        const char *size = g_hash_table_lookup(o, "size");
        if (size) {
            show_value(line, table, "size", size);
        }
        for (const TsProperty *p = table; p && p->name; p++) {
            const char *v = g_hash_table_lookup(o, p->name);
            if (v && !g_str_equal(p->name, "size")) {
                show_value(line, table, p->name, v);
            }
        }
    }
    printf("%s\n", line->str);
    fflush(stdout);
}

/* The backing file's path as the new image will resolve it: relative to
 * the new image's directory. */
static char *backing_path(const char *filename, const char *backing)
{
    if (g_path_is_absolute(backing) || block_filename_is_protocol(backing)) {
        return g_strdup(backing);
    }
    g_autofree char *dir = g_path_get_dirname(filename);
    return g_str_equal(dir, ".") ? g_strdup(backing)
                                 : g_build_filename(dir, backing, NULL);
}

/* Open the backing file to check it and learn its size (qemu-img does,
 * unless -u). */
static bool probe_backing(const char *filename, BlockOpts *o, bool need_size,
                          bool quiet)
{
    const char *backing = g_hash_table_lookup(o, "backing_file");
    const char *bfmt = g_hash_table_lookup(o, "backing_fmt");
    g_autofree char *path = backing_path(filename, backing);
    GError *err = NULL;
    ImgOpen how = { .format = bfmt, .force_share = true, .quiet = quiet,
                    .no_backing = false };
    /* A protocol filename (nbd://) is no file: probed through its node. */
    bool proto = block_filename_is_protocol(path);
    if (!bfmt) {
        TsBlockNode *p = proto ? img_open(path, &how, &err) : NULL;
        const char *guess = !proto ? block_probe_format(path, path, &err)
                            : p ? block_node_driver_name(p) : NULL;
        img_close(p);
        if (!guess) {
            img_error("%s: %s; Could not open backing image.", filename,
                      err->message);
            g_clear_error(&err);
            return false;
        }
        img_error("%s: Backing file specified without backing format. "
                  "Detected format of %s.", filename, guess);
        return false;
    }
    if (!proto && !g_file_test(path, G_FILE_TEST_EXISTS)) {
        img_error("%s: Could not open '%s': No such file or directory; "
                  "Could not open backing image.", filename, path);
        return false;
    }
    TsBlockNode *n = img_open(path, &how, &err);
    if (!n) {
        img_error("%s: %s; Could not open backing image.", filename,
                  err->message);
        g_clear_error(&err);
        return false;
    }
    if (need_size) {
        g_hash_table_replace(o, g_strdup("size"),
                             g_strdup_printf("%" G_GINT64_FORMAT,
                                             block_node_get_length(n)));
    }
    img_close(n);
    return true;
}

/* A well-formed size past what img_parse_size takes (2^64 and up):
 * qemu-img calls it out of range rather than malformed. */
static bool too_large(const char *text)
{
    uint64_t v;
    size_t digits = strspn(text, "0123456789.");
    const char *rest = text + digits;
    if (!digits || img_parse_size(text, &v, NULL)) {
        return false;
    }
    return !*rest || (strchr("kKmMgGtTpPeE", *rest) && !rest[1]);
}

static bool wants_help(const char *options)
{
    g_auto(GStrv) parts = g_strsplit(options, ",", -1);
    for (char **p = parts; *p; p++) {
        if (g_str_equal(*p, "help") || g_str_equal(*p, "?")) {
            return true;
        }
    }
    return false;
}

int img_cmd_create(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, 'O' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
    bool unsafe = false, quiet = false;
    g_autoptr(GString) options = g_string_new(NULL);
    int c;
    while ((c = getopt_long(argc, argv, ":hf:b:F:uo:q", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s create [-q] [-f fmt] [-b backing_file "
                   "[-F backing_fmt]] [-u] [-o options] filename [size]\n",
                   IMG_PROGNAME);
            return 0;
        case 'f': fmt = optarg; break;
        case 'b': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'u': unsafe = true; break;
        case 'q': quiet = true; break;
        case 'O': break;        /* --object: no secrets to define here */
        case 'o':
            if (options->len) {
                g_string_append_c(options, ',');
            }
            g_string_append(options, optarg);
            break;
        default:
            return img_bad_option(c, argv);
        }
    }
    if (options->len && wants_help(options->str)) {
        return img_print_create_help(fmt) ? 0 : 1;
    }
    if (optind >= argc) {
        return img_usage_error("Expecting image file name");
    }
    const char *filename = argv[optind++];
    const char *size_arg = optind < argc ? argv[optind++] : NULL;
    if (optind < argc) {
        return img_usage_error("Unexpected argument: %s", argv[optind]);
    }
    uint64_t size = 0;
    if (size_arg) {
        if (!img_parse_size(size_arg, &size, NULL) &&
            !too_large(size_arg)) {
            img_error("Invalid image size specified. You may use k, M, G, "
                      "T, P or E suffixes for kilobytes, megabytes, "
                      "gigabytes, terabytes, petabytes and exabytes.");
            return 1;
        }
        if (too_large(size_arg) || size > INT64_MAX) {
            img_error("Invalid image size specified. Must be between 0 and "
                      "%" G_GINT64_FORMAT ".", INT64_MAX);
            return 1;
        }
    }

    GError *err = NULL;
    const TsProperty *table = img_create_options_of(fmt, &err);
    if (!table && err) {
        img_error("%s: %s", filename, err->message);
        g_clear_error(&err);
        return 1;
    }
    g_autoptr(GHashTable) o = NULL;
    if (options->len) {
        o = block_opts_parse(options->str, &err);
        if (!o) {
            img_error("%s: %s", filename, err->message);
            g_clear_error(&err);
            return 1;
        }
    } else {
        o = block_opts_new();
    }
    if (backing) {
        g_hash_table_replace(o, g_strdup("backing_file"), g_strdup(backing));
    }
    if (backing_fmt) {
        g_hash_table_replace(o, g_strdup("backing_fmt"),
                             g_strdup(backing_fmt));
    }
    if (size_arg) {
        g_hash_table_replace(o, g_strdup("size"),
                             g_strdup_printf("%" G_GUINT64_FORMAT, size));
    }
    /* Unknown options first: qemu-img refuses them before anything. */
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, o);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (!img_create_option(table, key) &&
            !g_str_equal(key, "preallocation")) {
            if (g_str_equal(fmt, "qcow2") &&
                g_str_equal(key, "extended_l2")) {
                /* qemu-img's option; our qcow2 has plain L2 tables. */
                bool on;
                const char *v = g_hash_table_lookup(o, key);
                if (ts_parse_bool("extended_l2", v, &on, NULL) && !on) {
                    continue;
                }
                img_error("%s: extended_l2=%s is not supported", filename,
                          v);
                return 1;
            }
            if (g_str_equal(key, "backing_file")) {
                img_error("%s: Backing file not supported for file format "
                          "'%s'", filename, fmt);
            } else {
                img_error("%s: Invalid parameter '%s'", filename,
                          (const char *)key);
            }
            return 1;
        }
    }
    const char *bf = g_hash_table_lookup(o, "backing_file");
    if (bf) {
        g_autofree char *bpath = backing_path(filename, bf);
        if (g_str_equal(bpath, filename)) {
            img_error("%s: Error: Trying to create an image with the same "
                      "filename as the backing file", filename);
            return 1;
        }
    }
    bool has_size = g_hash_table_contains(o, "size");
    if (g_hash_table_contains(o, "backing_file") && !unsafe) {
        if (!probe_backing(filename, o, !has_size, quiet)) {
            return 1;
        }
        has_size = true;
    } else if (g_hash_table_contains(o, "backing_file") &&
               !g_hash_table_contains(o, "backing_fmt")) {
        img_error("%s: Backing file specified without backing format",
                  filename);
        return 1;
    }
    if (!has_size) {
        img_error("%s: Image creation needs a size parameter", filename);
        return 1;
    }
    if (!quiet) {
        print_formatting(filename, fmt, table, o);
    }
    /* qemu-img makes every image a whole number of sectors. */
    const char *sv = g_hash_table_lookup(o, "size");
    uint64_t bytes;
    if (ts_parse_size("size", sv, &bytes, NULL) && bytes <= INT64_MAX) {
        bytes = (bytes + TS_BLOCK_SECTOR_SIZE - 1) &
                ~(uint64_t)(TS_BLOCK_SECTOR_SIZE - 1);
        g_hash_table_replace(o, g_strdup("size"),
                             g_strdup_printf("%" G_GUINT64_FORMAT, bytes));
    }
    g_hash_table_remove(o, "extended_l2");     /* off: what we make */
    if (!block_create_image(fmt, filename, g_steal_pointer(&o), &err)) {
        img_error("%s: %s", filename, err->message);
        g_clear_error(&err);
        return 1;
    }
    return 0;
}
