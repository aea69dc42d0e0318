/*
 * core/img/img-dd.c - `tessera-img dd`: copy an image, or a part of it,
 * into a new image block by block, with dd's operands (bs=, count=,
 * skip=, if=, of=).  As qemu-img dd, the output is created anew, sized
 * from the input's length capped at count blocks, less the skipped
 * blocks, and every block is written (no holes).
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define BS_DEFAULT 512
#define BS_MAX 2147483647u

typedef struct DdArgs {
    uint64_t bs, count, skip;
    bool has_count, has_skip;
    const char *in, *out;
} DdArgs;

/* One "name=value" operand; false after saying what is wrong. */
static bool dd_operand(DdArgs *a, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        img_error("unrecognized operand %s", arg);
        return false;
    }
    g_autofree char *name = g_strndup(arg, (size_t)(eq - arg));
    const char *value = eq + 1;
    if (g_str_equal(name, "if")) {
        a->in = value;
    } else if (g_str_equal(name, "of")) {
        a->out = value;
    } else if (g_str_equal(name, "bs")) {
        if (!img_parse_size(value, &a->bs, NULL) || !a->bs ||
            a->bs > BS_MAX) {
            img_error("Invalid bs specified. Must be between 1 and %u.",
                      BS_MAX);
            return false;
        }
    } else if (g_str_equal(name, "count") || g_str_equal(name, "skip")) {
        bool count = g_str_equal(name, "count");
        if (!img_parse_size(value, count ? &a->count : &a->skip, NULL)) {
            img_error("Invalid %s specified. You may use k, M, G, T, P or E "
                      "suffixes for kilobytes, megabytes, gigabytes, "
                      "terabytes, petabytes and exabytes.", name);
            return false;
        }
        *(count ? &a->has_count : &a->has_skip) = true;
    } else {
        img_error("unrecognized operand %s", arg);
        return false;
    }
    return true;
}

enum { OPT_IMAGE_OPTS = 256, OPT_OBJECT };

int img_cmd_dd(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "object", required_argument, NULL, OPT_OBJECT },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *out_fmt = "raw";
    bool force_share = false, image_opts = false;
    DdArgs a = { .bs = BS_DEFAULT };
    int ch;
    while ((ch = getopt_long(argc, argv, ":hf:O:U", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            printf("usage: %s dd [-U] [-f fmt] [-O output_fmt] "
                   "[bs=block_size] [count=blocks] [skip=blocks] if=input "
                   "of=output\n", IMG_PROGNAME);
            return 0;
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'U': force_share = true; break;
        case OPT_IMAGE_OPTS: image_opts = true; break;
        case OPT_OBJECT:
            img_error("--object: no object types are available to "
                      "tessera-img");
            return 1;
        default:
            return img_bad_option(ch, argv);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (!dd_operand(&a, argv[i])) {
            return 1;
        }
    }
    if (!a.in || !a.out) {
        img_error("Must specify both input and output files");
        return 1;
    }
    GError *err = NULL;
    ImgOpen how = {
        .format = img_read_only_format(fmt, a.in, image_opts),
        .force_share = force_share, .image_opts = image_opts,
    };
    TsBlockNode *in = img_open(a.in, &how, &err);
    if (!in) {
        return img_fail(err, 1);
    }
    TsBlockNode *out = NULL;
    uint8_t *buf = NULL;
    int status = 1;
    const TsBlockDriver *drv = img_format_driver(out_fmt, &err);
    if (!drv) {
        img_fail(err, 1);
        goto done;
    }
    int64_t ilen = block_node_get_length(in);
    if (ilen < 0) {
        img_error("Failed to get size for '%s'", a.in);
        goto done;
    }
    /* The size as qemu-img dd computes it: the input capped at count
     * blocks, less the skipped ones (nothing when skip goes past it). */
    uint64_t size = (uint64_t)ilen;
    if (a.has_count && a.count <= UINT64_MAX / a.bs && size > a.count * a.bs) {
        size = a.count * a.bs;
    }
    uint64_t in_pos = 0;
    bool skip_past = a.has_skip &&
                     (a.skip > UINT64_MAX / a.bs || size < a.skip * a.bs);
    if (!skip_past) {
        in_pos = a.skip * a.bs;
    }
    if (!img_create_output(a.out, out_fmt, skip_past ? 0 : size - in_pos,
                           NULL, NULL, NULL, &err)) {
        g_prefix_error(&err, "%s: error while creating output image: ",
                       a.out);
        img_fail(err, 1);
        goto done;
    }
    out = img_open_output(a.out, out_fmt, "unsafe", false, &err);
    if (!out) {
        img_fail(err, 1);
        goto done;
    }
    if (skip_past) {
        /* qemu-img says so and still succeeds, with an empty output. */
        img_error("%s: cannot skip to specified offset", a.in);
        status = 0;
        goto done;
    }
    buf = g_malloc(a.bs);
    for (uint64_t out_pos = 0; in_pos < size;) {
        uint64_t n = MIN(a.bs, size - in_pos);
        struct iovec iov = { buf, n };
        int ret = block_node_preadv(in, in_pos, n, &iov, 1, 0);
        if (ret < 0) {
            img_error("error while reading from input image file: %s",
                      g_strerror(-ret));
            goto done;
        }
        ret = block_node_pwritev(out, out_pos, n, &iov, 1, 0);
        if (ret < 0) {
            img_error("error while writing to output image file: %s",
                      g_strerror(-ret));
            goto done;
        }
        in_pos += n;
        out_pos += n;
    }
    status = 0;
done:
    g_free(buf);
    img_close(out);
    img_close(in);
    return status;
}
