/*
 * core/img/img-resize.c - `tessera-img resize`: change an image's virtual
 * size through its driver's truncate hook (qcow2 grows its L1 table or
 * releases the clusters past a smaller end), with qemu-img resize's
 * options, messages and refusals: shrinking needs --shrink.
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* "1G", "+1G", "-512M": qemu-img's size argument, in its words when bad. */
static bool parse_size_arg(const char *text, int *sign, uint64_t *out,
                           GError **errp)
{
    *sign = 0;
    if (*text == '+' || *text == '-') {
        *sign = *text == '+' ? 1 : -1;
        text++;
    }
    g_autoptr(GError) err = NULL;
    if (img_parse_size(text, out, &err)) {
        return true;
    }
    /* A well-formed number that does not fit is "out of range". */
    size_t digits = strspn(text, "0123456789.");
    if (digits && (!text[digits] ||
                   (strchr("kKmMgGtTpPeE", text[digits]) && !text[digits + 1]))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Value '%s' is out of range for parameter 'size'", text);
    } else {
        g_propagate_error(errp, g_steal_pointer(&err));
    }
    return false;
}

static bool parse_prealloc(const char *name, TsBlockPrealloc *out)
{
    static const char *const names[] = { "off", "metadata", "falloc", "full" };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (g_str_equal(name, names[i])) {
            *out = (TsBlockPrealloc)i;
            return true;
        }
    }
    return false;
}

int img_cmd_resize(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "image-opts", no_argument, NULL, 'I' },
        { "preallocation", required_argument, NULL, 'P' },
        { "shrink", no_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    /* The size comes last and may start with '-': take it before getopt
     * sees it as an option, as qemu-img does. */
    if (argc < 3) {
        return img_usage_error("Not enough arguments");
    }
    const char *size_text = argv[--argc];
    ImgOpen how = { .writable = true };
    TsBlockPrealloc prealloc = TS_BLOCK_PREALLOC_OFF;
    bool quiet = false, shrink = false;
    int c;
    while ((c = getopt_long(argc, argv, ":hf:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s resize [-f fmt] [--preallocation=prealloc] [-q] "
                   "[--shrink] filename [+ | -]size\n", IMG_PROGNAME);
            return 0;
        case 'f':
            how.format = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'I':
            how.image_opts = true;
            break;
        case 'S':
            shrink = true;
            break;
        case 'P':
            if (!parse_prealloc(optarg, &prealloc)) {
                img_error("Invalid preallocation mode '%s'", optarg);
                return 1;
            }
            break;
        default:
            return img_bad_option(c, argv);
        }
    }
    if (optind != argc - 1) {
        return img_usage_error("Expecting image file name and size");
    }
    const char *filename = argv[optind];
    int sign;
    uint64_t amount;
    GError *err = NULL;
    if (!parse_size_arg(size_text, &sign, &amount, &err)) {
        return img_fail(err, 1);
    }
    how.quiet = quiet;
    TsBlockNode *node = img_open(filename, &how, &err);
    if (!node) {
        return img_fail(err, 1);
    }
    int status = 1;
    int64_t current = block_node_get_length(node);
    if (current < 0) {
        img_error("Failed to inquire current image length: %s",
                  g_strerror((int)-current));
        goto out;
    }
    int64_t length;
    if (sign < 0) {
        length = amount > (uint64_t)current ? -1 : current - (int64_t)amount;
    } else if (sign > 0) {
        length = amount > (uint64_t)INT64_MAX - (uint64_t)current
                 ? INT64_MAX : current + (int64_t)amount;
    } else {
        /* qemu-img takes the size as signed: 8E and up are negative. */
        length = amount > (uint64_t)INT64_MAX ? -1 : (int64_t)amount;
    }
    if (length <= 0) {
        img_error("New image size must be positive");
        goto out;
    }
    if (length < current && !shrink) {
        img_error("Use the --shrink option to perform a shrink operation.");
        fprintf(stderr, "%s: warning: Shrinking an image will delete all data "
                "beyond the shrunken image's end. Before performing such an "
                "operation, make sure there is no important data there.\n",
                IMG_PROGNAME);
        goto out;
    }
    if (length < current && prealloc != TS_BLOCK_PREALLOC_OFF) {
        img_error("Preallocation can only be used for growing images");
        goto out;
    }
    if (!node->driver->truncate) {
        img_error("Image format driver does not support resize");
        goto out;
    }
    block_node_drain(node);
    if (!node->driver->truncate(node, (uint64_t)length, false, prealloc, &err)) {
        img_fail(err, 1);
        goto out;
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    status = 0;
out:
    img_close(node);
    return status;
}
