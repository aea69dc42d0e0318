/*
 * core/img/img-amend.c - `tessera-img amend -o options`: change options
 * of an existing image through its driver's amend hook (qcow2: compat,
 * lazy_refcounts, size), with qemu-img's refusals: options only image
 * creation takes, and the backing file, which is rebase's to change.
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void print_amend_help(TsBlockNode *node)
{
    printf("Amend options for '%s':\n", node->driver->name);
    for (const TsProperty *p = node->driver->create_options; p && p->name; p++) {
        printf("  %-22s - %s\n", p->name, p->description ? p->description : "");
    }
}

int img_cmd_amend(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "image-opts", no_argument, NULL, 'I' },
        { "force", no_argument, NULL, 'F' },
        { NULL, 0, NULL, 0 },
    };
    ImgOpen how = { .writable = true };
    g_autoptr(GString) options = g_string_new(NULL);
    bool quiet = false, progress = false;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:f:t:pq", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s amend [-p] [-q] [-f fmt] [-t cache] [--force] "
                   "-o options filename\n", IMG_PROGNAME);
            return 0;
        case 'o':
            /* Several -o add up, as in qemu-img. */
            if (options->len) {
                g_string_append_c(options, ',');
            }
            g_string_append(options, optarg);
            break;
        case 'f':
            how.format = optarg;
            break;
        case 't':
            how.cache = optarg;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'F':
            break;              /* nothing here is unsafe to force */
        case 'I':
            how.image_opts = true;
            break;
        default:
            return img_bad_option(c, argv);
        }
    }
    if (!options->len) {
        return img_usage_error("Must specify options (-o)");
    }
    if (optind != argc - 1) {
        return img_usage_error("Expecting one image file name");
    }
    const char *filename = argv[optind];
    if (quiet) {
        progress = false;
    }
    bool help = g_str_equal(options->str, "help") ||
                g_str_equal(options->str, "?");
    how.writable = !help;
    how.quiet = quiet;
    GError *err = NULL;
    BlockOpts *opts = help ? NULL : block_opts_parse(options->str, &err);
    if (!help && !opts) {
        img_error("Invalid options for file format: %s", err->message);
        g_clear_error(&err);
        return 1;
    }
    if (opts && (g_hash_table_contains(opts, "backing_file") ||
                 g_hash_table_contains(opts, "backing_fmt"))) {
        /* Refused before the image is opened: nothing is written. */
        g_hash_table_unref(opts);
        img_error("Cannot amend the backing file\n"
                  "You can use '%s rebase' instead.", IMG_PROGNAME);
        return 1;
    }
    TsBlockNode *node = img_open(filename, &how, &err);
    if (!node) {
        if (opts) {
            g_hash_table_unref(opts);
        }
        return img_fail(err, 1);
    }
    if (help) {
        print_amend_help(node);
        img_close(node);
        return 0;
    }
    if (progress) {
        img_progress(0.0);
    }
    bool ok = block_amend_image(node, opts, &err);
    if (progress) {
        img_progress_done();
    }
    if (ok) {
        ok = block_node_flush(node) == 0;
        if (!ok) {
            img_error("Error while amending options: could not flush '%s'",
                      filename);
        }
    } else {
        img_fail(err, 1);
    }
    img_close(node);
    return ok ? 0 : 1;
}
