/*
 * core/img/img-map.c - `tessera-img map`: where an image's data lives, as
 * qemu-img map prints it.  Each range is asked of the top image; what it
 * does not hold itself (no TS_BLOCK_STATUS_ALLOCATED) is asked of its
 * backing file, and so on down the chain
 * (ts_block_node_block_status_above): the layer that answers gives the
 * range its depth.  Neighbouring ranges that look alike are printed as one.
 */
#include "img.h"
#include "block/block-graph.h"
#include "util/parse.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

typedef struct MapEntry {
    uint64_t start, length;
    int depth;
    bool present, zero, data, has_offset;
    uint64_t offset;
    const char *filename;       /* of the node holding the data */
} MapEntry;

/* The status of the range at `offset` (at most `bytes`) through the
 * backing chain of `top`. */
static int range_status(TsBlockNode *top, uint64_t offset, uint64_t bytes,
                        MapEntry *e)
{
    uint64_t pnum = 0, map = 0;
    TsBlockChild *file = NULL;
    int depth = 0;
    int ret = ts_block_node_block_status_above(top, offset, bytes, &pnum,
                                               &map, &file, &depth);
    if (ret < 0) {
        return ret;
    }
    TsBlockNode *layer = top;
    for (int i = 0; i < depth; i++) {
        layer = block_node_backing(layer);
    }
    *e = (MapEntry) {
        .start = offset, .length = pnum, .depth = depth,
        .present = ret & TS_BLOCK_STATUS_ALLOCATED,
        .zero = ret & TS_BLOCK_STATUS_ZERO,
        .data = ret & TS_BLOCK_STATUS_DATA,
        .has_offset = ret & TS_BLOCK_STATUS_OFFSET_VALID,
        .offset = map,
        .filename = file ? ts_block_node_filename(ts_block_child_node(file))
                         : ts_block_node_filename(layer),
    };
    return 0;
}

static bool mergeable(const MapEntry *a, const MapEntry *b)
{
    if (!a->length || a->zero != b->zero || a->data != b->data ||
        a->depth != b->depth || a->present != b->present ||
        a->has_offset != b->has_offset ||
        g_strcmp0(a->filename, b->filename)) {
        return false;
    }
    return !a->has_offset || a->offset + a->length == b->offset;
}

/* One entry; false after an error message. */
static bool dump(const MapEntry *e, bool json, bool first, bool last)
{
    if (json) {
        printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64
               ", \"depth\": %d, \"present\": %s, \"zero\": %s, "
               "\"data\": %s", first ? "[" : "", e->start, e->length,
               e->depth, e->present ? "true" : "false",
               e->zero ? "true" : "false", e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %" PRIu64, e->offset);
        }
        printf("}%s", last ? "]\n" : ",\n");
        return true;
    }
    if (e->data && !e->has_offset) {
        img_error("File contains external, encrypted or compressed "
                  "clusters.");
        return false;
    }
    if (e->data && !e->zero) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n",
               e->start, e->length, e->offset, e->filename);
    }
    return true;
}

static bool parse_offset(const char *what, const char *arg, uint64_t *out)
{
    if (!img_parse_size(arg, out, NULL) || *out > INT64_MAX) {
        img_error("Invalid %s specified! You may use k, M, G, T, P or E "
                  "suffixes for kilobytes, megabytes, gigabytes, terabytes, "
                  "petabytes and exabytes.", what);
        return false;
    }
    return true;
}

int img_cmd_map(int argc, char **argv)
{
    enum { OPT_OUTPUT = 256, OPT_START, OPT_MAX, OPT_IMAGE_OPTS,
           OPT_OBJECT };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "start-offset", required_argument, NULL, OPT_START },
        { "max-length", required_argument, NULL, OPT_MAX },
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "object", required_argument, NULL, OPT_OBJECT },
        { NULL, 0, NULL, 0 },
    };
    ImgOpen how = { 0 };
    bool json = false;
    uint64_t start = 0, max_length = UINT64_MAX;
    int c;
    while ((c = getopt_long(argc, argv, ":hf:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s map [--image-opts] [-f fmt] "
                   "[--start-offset=offset] [--max-length=len] "
                   "[--output=ofmt] [-U] filename\n", IMG_PROGNAME);
            return 0;
        case 'f': how.format = optarg; break;
        case 'U': how.force_share = true; break;
        case OPT_OUTPUT:
            if (!img_output_is_json(optarg, &json)) {
                return 1;
            }
            break;
        case OPT_START:
            if (!parse_offset("offset", optarg, &start)) {
                return 1;
            }
            break;
        case OPT_MAX:
            if (!parse_offset("length", optarg, &max_length)) {
                return 1;
            }
            break;
        case OPT_IMAGE_OPTS: how.image_opts = true; break;
        case OPT_OBJECT: break;
        default:
            return img_bad_option(c, argv);
        }
    }
    if (optind != argc - 1) {
        return img_usage_error(optind >= argc ? "Expecting one image file name"
                                              : "Unexpected argument: %s",
                               argv[argc - 1]);
    }
    GError *err = NULL;
    TsBlockNode *top = img_open_image(argv[optind], &how, true, &err);
    if (!top) {
        return img_fail(err, 1);
    }
    uint64_t length = (uint64_t)block_node_get_length(top);
    uint64_t end = max_length < length - MIN(start, length)
                   ? start + max_length : length;
    if (!json) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to",
               "File");
    }
    MapEntry curr = { .length = 0 }, next;
    bool first = true, ok = true;
    for (uint64_t offset = start; ok && offset < end; offset += next.length) {
        uint64_t n = MIN(end - offset, (uint64_t)1 << 30);
        int ret = range_status(top, offset, n, &next);
        if (ret < 0) {
            img_error("Could not read file metadata: %s", g_strerror(-ret));
            ok = false;
            break;
        }
        if (!next.length) {
            break;              /* a driver that makes no progress */
        }
        if (mergeable(&curr, &next)) {
            curr.length += next.length;
            continue;
        }
        if (curr.length) {
            ok = dump(&curr, json, first, false);
            first = false;
        }
        curr = next;
    }
    if (ok && curr.length) {
        ok = dump(&curr, json, first, true);
    } else if (ok && json) {
        /* Nothing in range: qemu-img prints one empty entry. */
        MapEntry none = { .start = start };
        dump(&none, json, true, true);
    }
    img_close(top);
    return ok ? 0 : 1;
}
