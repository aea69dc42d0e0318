/*
 * core/img/img-snapshot.c - `tessera-img snapshot`: list (-l), create
 * (-c), apply (-a) and delete (-d) the internal
 * snapshots of an image, through its driver's snapshot hooks (qcow2's),
 * with qemu-img's table and messages.
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <stdio.h>

/* The hooks say "Could not apply snapshot: why"; qemu-img names the
 * snapshot: "Could not apply snapshot 'x': why". */
static int snapshot_fail(GError *err, const char *name)
{
    const char *colon = strstr(err->message, "snapshot: ");
    if (g_str_has_prefix(err->message, "Could not ") && colon) {
        img_error("%.*s '%s': %s", (int)(colon + 8 - err->message),
                  err->message, name, colon + 10);
        g_clear_error(&err);
        return 1;
    }
    return img_fail(err, 1);
}

enum { SNAP_LIST, SNAP_CREATE, SNAP_APPLY, SNAP_DELETE };

int img_cmd_snapshot(int argc, char **argv)
{
    enum { OPT_IMAGE_OPTS = 256, OPT_OBJECT };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "object", required_argument, NULL, OPT_OBJECT },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    ImgOpen how = { .no_backing = true };
    int action = -1;
    const char *name = NULL;
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, ":hla:c:d:f:qU", longopts,
                            NULL)) != -1) {
        int next = -1;
        switch (c) {
        case 'h':
            printf("usage: %s snapshot [--image-opts] [-U] [-q] "
                   "[-l | -a snapshot | -c snapshot | -d snapshot] "
                   "filename\n", IMG_PROGNAME);
            return 0;
        case 'l': next = SNAP_LIST; break;
        case 'c': next = SNAP_CREATE; break;
        case 'a': next = SNAP_APPLY; break;
        case 'd': next = SNAP_DELETE; break;
        case 'f': how.format = optarg; break;
        case 'q': quiet = true; break;
        case 'U': how.force_share = true; break;
        case OPT_IMAGE_OPTS: how.image_opts = true; break;
        case OPT_OBJECT: break;
        default:
            return img_bad_option(c, argv);
        }
        if (next >= 0) {
            if (action >= 0) {
                return img_usage_error("Cannot mix '-l', '-a', '-c', '-d'");
            }
            action = next;
            name = next == SNAP_LIST ? NULL : optarg;
        }
    }
    if (optind != argc - 1) {
        return img_usage_error(optind >= argc ? "Expecting one image file name"
                                              : "Unexpected argument: %s",
                               argv[argc - 1]);
    }
    /* No action: qemu-img opens the image and does nothing else. */
    const char *filename = argv[optind];
    how.writable = action > SNAP_LIST;
    how.quiet = quiet;
    if (how.writable && how.force_share) {
        img_error("force-share=on can only be used with read-only images");
        return 1;
    }
    GError *err = NULL;
    TsBlockNode *n = img_open_image(filename, &how, false, &err);
    if (!n) {
        return img_fail(err, 1);
    }
    const TsBlockDriver *drv = n->driver;
    bool ok = true;
    switch (action) {
    case SNAP_LIST: {
        JsonArray *a = img_snapshots_json(n);
        if (a) {
            printf("Snapshot list:\n");
            img_print_snapshot_table(a);
            json_array_unref(a);
        }
        break;
    }
    case SNAP_CREATE:
        if (!drv->snapshot_create) {
            img_error("Could not create snapshot '%s': Operation not "
                      "supported", name);
            ok = false;
        } else if (!drv->snapshot_create(n, NULL, name, 0, &err)) {
            ok = snapshot_fail(err, name) == 0;
        }
        break;
    case SNAP_APPLY:
        if (!drv->snapshot_goto) {
            img_error("Could not apply snapshot '%s': Operation not "
                      "supported", name);
            ok = false;
        } else if (!drv->snapshot_goto(n, name, &err)) {
            ok = snapshot_fail(err, name) == 0;
        }
        break;
    case SNAP_DELETE:
        if (!drv->snapshot_delete) {
            img_error("Could not delete snapshot '%s': Operation not "
                      "supported", name);
            ok = false;
        } else if (!drv->snapshot_delete(n, name, &err)) {
            ok = snapshot_fail(err, name) == 0;
        }
        break;
    }
    img_close(n);
    return ok ? 0 : 1;
}
