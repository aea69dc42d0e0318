/*
 * core/img/img-commit.c - `tessera-img commit`: an overlay's data into
 * its backing file (or, with -b, into an image further down its chain),
 * with the copy HMP commit uses (block_commit_chain in
 * core/block/block-commit.c).  The top image is emptied afterwards
 * unless -d is given; -b implies -d, as in qemu-img, because the images
 * between would no longer be valid under it.
 */
#include "img.h"
#include "block/block-graph.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/* Whether `node` is the image the user named as `name`: as recorded in
 * the chain, or the same file. */
static bool names_node(TsBlockNode *node, const char *name)
{
    const char *fn = ts_block_node_filename(node);
    if (!fn) {
        return false;
    }
    if (g_str_equal(fn, name)) {
        return true;
    }
    g_autofree char *a = realpath(fn, NULL);
    g_autofree char *b = realpath(name, NULL);
    return a && b && g_str_equal(a, b);
}

static void show_progress(double percent)
{
    img_progress(percent);
}

int img_cmd_commit(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "image-opts", no_argument, NULL, 'I' },
        { NULL, 0, NULL, 0 },
    };
    ImgOpen how = { .writable = true };
    const char *base_name = NULL;
    bool quiet = false, progress = false, drop = false;
    int c;
    while ((c = getopt_long(argc, argv, ":hf:t:b:r:dpq", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s commit [-q] [-f fmt] [-t cache] [-b base] "
                   "[-r rate_limit] [-d] [-p] filename\n", IMG_PROGNAME);
            return 0;
        case 'f':
            how.format = optarg;
            break;
        case 't':
            how.cache = optarg;
            break;
        case 'b':
            base_name = optarg;
            drop = true;
            break;
        case 'r': {
            /* Accepted for qemu-img's command lines; the copy is local
             * and synchronous, nothing to pace. */
            uint64_t rate;
            g_autoptr(GError) err = NULL;
            if (!img_parse_size(optarg, &rate, &err)) {
                img_error("Invalid rate limit specified: %s", optarg);
                return 1;
            }
            break;
        }
        case 'd':
            drop = true;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'I':
            how.image_opts = true;
            break;
        default:
            return img_bad_option(c, argv);
        }
    }
    if (optind != argc - 1) {
        return img_usage_error("Expecting one image file name");
    }
    const char *filename = argv[optind];
    if (quiet) {
        progress = false;
    }
    how.quiet = quiet;
    GError *err = NULL;
    TsBlockNode *top = img_open(filename, &how, &err);
    if (!top) {
        return img_fail(err, 1);
    }
    int status = 1;
    TsBlockNode *base = block_node_backing(top);
    if (!base) {
        img_error("Image does not have a backing file");
        goto out;
    }
    if (base_name) {
        while (base && !names_node(base, base_name)) {
            base = block_node_backing(base);
        }
        if (!base) {
            img_error("Did not find '%s' in the backing chain of '%s'",
                      base_name, filename);
            goto out;
        }
    }
    if (progress) {
        img_progress(0.0);
    }
    int ret = block_commit_chain(top, base, !drop,
                                 progress ? show_progress : NULL, &err);
    if (progress) {
        img_progress_done();
    }
    if (ret < 0) {
        if (err) {
            img_fail(err, 1);
        } else {
            img_error("%s", g_strerror(-ret));
        }
        goto out;
    }
    if (!quiet) {
        printf("Image committed.\n");
    }
    status = 0;
out:
    img_close(top);
    return status;
}
