/*
 * core/img/img-check.c - `tessera-img check`: the format driver's check
 * hook run over an image, reported as qemu-img check reports it (human
 * text or JSON), with its exit codes: 0 clean, 1 the check could not
 * complete, 2 corruptions, 3 leaks, 63 the format has no check.
 *
 * With -r the image is opened read-write for the check (TS_BLOCK_OPEN_
 * CHECK: a dirty or corrupt image as it is) and, when something was
 * repaired, checked a second time without repairing, so that what is
 * printed is the state the image is left in.
 */
#include "img.h"
#include "block/block-graph.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Exit codes of qemu-img check. */
enum {
    CHECK_CLEAN = 0,
    CHECK_FAILED = 1,
    CHECK_CORRUPT = 2,
    CHECK_LEAKS = 3,
    CHECK_UNSUPPORTED = 63,
};

/* One run of the driver's check; -ENOTSUP when the format has none. */
static int run_check(TsBlockNode *node, TsBlockCheckResult *res, unsigned fix)
{
    memset(res, 0, sizeof(*res));
    if (!node->driver->check) {
        return -ENOTSUP;
    }
    block_node_drain(node);
    return node->driver->check(node, res, fix);
}

static void print_human(const TsBlockCheckResult *r)
{
    if (!r->corruptions && !r->leaks && !r->check_errors) {
        printf("No errors were found on the image.\n");
    } else {
        if (r->corruptions) {
            printf("\n%d errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image "
                   "may corrupt it.\n", r->corruptions);
        }
        if (r->leaks) {
            printf("\n%d leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n",
                   r->leaks);
        }
        if (r->check_errors) {
            printf("\n%d internal errors have occurred during the check.\n",
                   r->check_errors);
        }
    }
    if (r->total_clusters && r->allocated_clusters) {
        printf("%" PRId64 "/%" PRId64 " = %0.2f%% allocated, %0.2f%% "
               "fragmented, %0.2f%% compressed clusters\n",
               r->allocated_clusters, r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

/* qemu-img's ImageCheck object, members in the order it prints them
 * (its dictionary's order); optional ones only when not zero. */
static void print_json(const TsBlockCheckResult *r, const char *filename,
                       const char *format)
{
    JsonObject *o = json_object_new();
#define OPT(key, v) do { if (v) json_object_set_int_member(o, key, v); } while (0)
    OPT("image-end-offset", r->image_end_offset);
    OPT("compressed-clusters", r->compressed_clusters);
    OPT("total-clusters", r->total_clusters);
    OPT("corruptions", r->corruptions);
    OPT("corruptions-fixed", r->corruptions_fixed);
    json_object_set_int_member(o, "check-errors", r->check_errors);
    OPT("leaks", r->leaks);
    OPT("leaks-fixed", r->leaks_fixed);
    OPT("allocated-clusters", r->allocated_clusters);
    json_object_set_string_member(o, "filename", filename);
    json_object_set_string_member(o, "format", format);
    OPT("fragmented-clusters", r->fragmented_clusters);
#undef OPT
    JsonNode *node = json_node_init_object(json_node_alloc(), o);
    img_print_json(node);
    json_node_unref(node);
    json_object_unref(o);
}

int img_cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "repair", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, 'O' },
        { "image-opts", no_argument, NULL, 'I' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    ImgOpen how = { 0 };
    const char *output = "human";
    unsigned fix = 0;
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, ":hf:r:T:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s check [-q] [-f fmt] [--output=ofmt] "
                   "[-r [leaks | all]] [-T src_cache] [-U] filename\n",
                   IMG_PROGNAME);
            return 0;
        case 'f':
            how.format = optarg;
            break;
        case 'r':
            if (g_str_equal(optarg, "leaks")) {
                fix = TS_BLOCK_FIX_LEAKS;
            } else if (g_str_equal(optarg, "all")) {
                fix = TS_BLOCK_FIX_LEAKS | TS_BLOCK_FIX_ERRORS;
            } else {
                return img_usage_error("Unknown option value for -r "
                                       "(expecting 'leaks' or 'all'): %s",
                                       optarg);
            }
            break;
        case 'O':
            output = optarg;
            break;
        case 'T':
            how.cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            how.force_share = true;
            break;
        case 'I':
            how.image_opts = true;
            break;
        default:
            return img_bad_option(c, argv);
        }
    }
    bool json = g_str_equal(output, "json");
    if (!json && !g_str_equal(output, "human")) {
        img_error("--output must be used with human or json as argument.");
        return 1;
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    const char *filename = argv[optind];
    how.writable = fix != 0;
    how.quiet = quiet;
    how.for_check = true;
    GError *err = NULL;
    TsBlockNode *node = img_open(filename, &how, &err);
    if (!node) {
        return img_fail(err, CHECK_FAILED);
    }
    TsBlockCheckResult r;
    int ret = run_check(node, &r, fix);
    if (ret == -ENOTSUP) {
        img_error("This image format does not support checks");
        img_close(node);
        return CHECK_UNSUPPORTED;
    }
    if (ret == 0 && fix && (r.corruptions_fixed || r.leaks_fixed)) {
        int leaks_fixed = r.leaks_fixed, corruptions_fixed = r.corruptions_fixed;
        if (!json && !quiet) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %d leaked clusters\n    %d corruptions\n\n"
                   "Double checking the fixed image now...\n",
                   leaks_fixed, corruptions_fixed);
        }
        ret = run_check(node, &r, 0);
        r.leaks_fixed = leaks_fixed;
        r.corruptions_fixed = corruptions_fixed;
    }
    if (ret == 0 && !quiet) {
        if (json) {
            print_json(&r, filename, block_node_driver_name(node));
        } else {
            print_human(&r);
        }
    }
    img_close(node);
    if (ret < 0 || r.check_errors) {
        if (ret < 0) {
            img_error("Check failed: %s", g_strerror(-ret));
        } else {
            img_error("Check failed");
        }
        return CHECK_FAILED;
    }
    return r.corruptions ? CHECK_CORRUPT : r.leaks ? CHECK_LEAKS : CHECK_CLEAN;
}
