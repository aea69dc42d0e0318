/*
 * core/img/img-measure.c - `tessera-img measure`: how large a new image
 * of format -O would be, for a virtual size (--size) or holding a copy
 * of an existing image.  The output format's driver answers (its measure
 * hook); this file parses qemu-img's options and prints its answer.
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* qemu-img shows "bitmaps size" when both the source and the new image
 * can keep persistent dirty bitmaps: of our formats, qcow2 v3 only. */
static bool keeps_bitmaps(const char *fmt, const char *compat)
{
    return g_str_equal(fmt, "qcow2") &&
           (!compat || g_str_equal(compat, "1.1") || g_str_equal(compat, "v3"));
}

static const char *source_compat(TsBlockNode *n)
{
    static char compat[16];
    g_autoptr(JsonObject) info = block_image_info(n);
    JsonObject *fs = json_object_has_member(info, "format-specific")
                     ? json_object_get_object_member(info, "format-specific")
                     : NULL;
    JsonObject *data = fs && json_object_has_member(fs, "data")
                       ? json_object_get_object_member(fs, "data") : NULL;
    const char *c = data ? json_object_get_string_member_with_default(
                               data, "compat", "") : "";
    g_strlcpy(compat, c, sizeof(compat));
    return compat;
}

int img_cmd_measure(int argc, char **argv)
{
    enum { OPT_OUTPUT = 256, OPT_SIZE, OPT_IMAGE_OPTS, OPT_OBJECT };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "size", required_argument, NULL, OPT_SIZE },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "object", required_argument, NULL, OPT_OBJECT },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    ImgOpen how = { 0 };
    const char *out_fmt = "raw", *snapshot = NULL;
    bool json = false, has_size = false;
    uint64_t size = 0;
    g_autoptr(GString) options = g_string_new(NULL);
    int c;
    while ((c = getopt_long(argc, argv, ":hf:O:o:l:U", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s measure [--output=ofmt] [-O output_fmt] "
                   "[-o options] [--size N | [--image-opts] [-f fmt] "
                   "[-l snapshot_param] filename]\n", IMG_PROGNAME);
            return 0;
        case 'f': how.format = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'l': snapshot = optarg; break;
        case 'U': how.force_share = true; break;
        case 'o':
            if (options->len) {
                g_string_append_c(options, ',');
            }
            g_string_append(options, optarg);
            break;
        case OPT_OUTPUT:
            if (!img_output_is_json(optarg, &json)) {
                return 1;
            }
            break;
        case OPT_SIZE:
            if (!img_parse_size(optarg, &size, NULL)) {
                img_error("Invalid image size specified. You may use k, M, "
                          "G, T, P or E suffixes for kilobytes, megabytes, "
                          "gigabytes, terabytes, petabytes and exabytes.");
                return 1;
            }
            if (size > INT64_MAX) {
                img_error("Invalid image size specified. Must be between 0 "
                          "and %" G_GINT64_FORMAT ".", INT64_MAX);
                return 1;
            }
            has_size = true;
            break;
        case OPT_IMAGE_OPTS: how.image_opts = true; break;
        case OPT_OBJECT: break;
        default:
            return img_bad_option(c, argv);
        }
    }
    const char *filename = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc) {
        return img_usage_error("Unexpected argument: %s", argv[optind + 1]);
    }
    if (has_size && filename) {
        img_error("--size N cannot be used together with a filename.");
        return 1;
    }
    if (!has_size && !filename) {
        img_error("Either --size N or one filename must be specified.");
        return 1;
    }
    if (snapshot) {
        img_error("%s: measuring an internal snapshot (-l) is not "
                  "supported", filename ? filename : "--size");
        return 1;
    }
    GError *err = NULL;
    const TsBlockDriver *drv = block_create_driver(out_fmt, &err);
    if (!drv) {
        return img_fail(err, 1);
    }
    if (!drv->measure) {
        img_error("Format driver '%s' does not support size measurement",
                  out_fmt);
        return 1;
    }
    g_autoptr(GHashTable) o = NULL;
    if (options->len) {
        if (!(o = block_opts_parse(options->str, &err))) {
            return img_fail(err, 1);
        }
    } else {
        o = block_opts_new();
    }
    /* The core does falloc/full for formats that do not say (raw): the
     * size they need is the same. */
    if (!img_create_option(drv->create_options, "preallocation")) {
        g_hash_table_remove(o, "preallocation");
    }
    g_autofree char *compat = g_strdup(g_hash_table_lookup(o, "compat"));
    TsBlockNode *source = NULL;
    if (filename) {
        if (!(source = img_open_image(filename, &how, true, &err))) {
            return img_fail(err, 1);
        }
        g_hash_table_replace(o, g_strdup("size"),
                             g_strdup_printf("%" G_GINT64_FORMAT,
                                             block_node_get_length(source)));
    } else {
        g_hash_table_replace(o, g_strdup("size"),
                             g_strdup_printf("%" G_GUINT64_FORMAT, size));
    }
    void *opts = block_create_opts_fill(drv, o, &err);
    if (!opts) {
        img_close(source);
        return img_fail(err, 1);
    }
    TsBlockMeasure m = { 0 };
    bool ok = drv->measure(opts, source, &m, &err);
    block_create_opts_free(drv, opts);
    bool bitmaps = source && keeps_bitmaps(out_fmt, compat) &&
                   keeps_bitmaps(block_node_driver_name(source),
                                 source_compat(source));
    img_close(source);
    if (!ok) {
        return img_fail(err, 1);
    }
    if (json) {
        JsonObject *r = json_object_new();
        if (bitmaps) {
            json_object_set_int_member(r, "bitmaps", (int64_t)m.bitmaps);
        }
        json_object_set_int_member(r, "required", (int64_t)m.required);
        json_object_set_int_member(r, "fully-allocated",
                                   (int64_t)m.fully_allocated);
        JsonNode *root = json_node_init_object(json_node_alloc(), r);
        JsonNode *ordered = img_json_qemu_order(root);
        img_print_json(ordered);
        json_node_unref(ordered);
        json_node_unref(root);
        json_object_unref(r);
    } else {
        printf("required size: %" PRIu64 "\n", m.required);
        printf("fully allocated size: %" PRIu64 "\n", m.fully_allocated);
        if (bitmaps) {
            printf("bitmaps size: %" PRIu64 "\n", m.bitmaps);
        }
    }
    return 0;
}
