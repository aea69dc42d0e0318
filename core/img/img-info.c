/*
 * core/img/img-info.c - `tessera-img info`: what an image is, as qemu-img
 * info shows it.  The JSON is the block layer's ImageInfo (the one
 * query-block shows, block_image_info) with what qemu-img adds: the
 * snapshot list and the backing file's path as opened.  Like qemu-img,
 * each image is opened without its backing file (so that a missing one
 * does not hide the image), and --backing-chain opens the chain one
 * image at a time.  The snapshot table is shared with `snapshot -l`.
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* "1 GiB" style from a JSON integer member. */
static char *human(JsonObject *o, const char *key)
{
    return img_human_size((uint64_t)json_object_get_int_member(o, key));
}

static void add_snapshots(TsBlockNode *n, JsonObject *o)
{
    JsonArray *a = img_snapshots_json(n);
    if (a) {
        json_object_set_array_member(o, "snapshots", a);
    }
}

/* Where a backing file name recorded in `image` leads: relative names
 * are relative to the image's directory. */
static char *full_backing(const char *image, const char *backing)
{
    if (g_path_is_absolute(backing) || strstr(backing, "://") ||
        !strchr(image, '/')) {
        return g_strdup(backing);
    }
    g_autofree char *dir = g_path_get_dirname(image);
    return g_strconcat(dir, "/", backing, NULL);
}

/* The ImageInfo of the image at `filename`, or NULL after an error. */
static JsonObject *image_info(const char *filename, const ImgOpen *how)
{
    GError *err = NULL;
    TsBlockNode *n = img_open_image(filename, how, false, &err);
    if (!n) {
        img_fail(err, 1);
        return NULL;
    }
    JsonObject *o = block_image_info(n);
    json_object_remove_member(o, "backing-image");
    if (json_object_has_member(o, "backing-filename")) {
        g_autofree char *full = full_backing(
            filename, json_object_get_string_member(o, "backing-filename"));
        json_object_set_string_member(o, "full-backing-filename", full);
    }
    add_snapshots(n, o);
    img_close(n);
    return o;
}

/* ---- human output ---------------------------------------------------- */

void img_print_snapshot_table(JsonArray *snapshots)
{
    printf("%-9s %-16s %8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
           "VM CLOCK", "ICOUNT");
    for (guint i = 0; snapshots && i < json_array_get_length(snapshots);
         i++) {
        JsonObject *s = json_array_get_object_element(snapshots, i);
        g_autofree char *vm = human(s, "vm-state-size");
        time_t t = (time_t)json_object_get_int_member(s, "date-sec");
        struct tm tm;
        char date[32];
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        int64_t secs = json_object_get_int_member(s, "vm-clock-sec");
        int64_t ms = json_object_get_int_member(s, "vm-clock-nsec") /
                     1000000;
        g_autofree char *clock = g_strdup_printf(
            "%02d:%02d:%02d.%03d", (int)(secs / 3600), (int)(secs / 60 % 60),
            (int)(secs % 60), (int)ms);
        g_autofree char *icount =
            json_object_has_member(s, "icount")
                ? g_strdup_printf("%" G_GINT64_FORMAT,
                                  json_object_get_int_member(s, "icount"))
                : g_strdup("");
        printf("%-9s %-16s %8s%20s%13s%11s\n",
               json_object_get_string_member(s, "id"),
               json_object_get_string_member(s, "name"), vm, date, clock,
               icount);
    }
}

/* Format-specific data as qemu-img prints it: "key with spaces: value",
 * nested objects and lists indented below their key. */
static void print_specific(JsonNode *node, int level)
{
    if (JSON_NODE_HOLDS_OBJECT(node)) {
        JsonObject *o = json_node_get_object(node);
        g_autoptr(GList) keys = json_object_get_members(o);
        for (GList *l = keys; l; l = l->next) {
            g_autofree char *key = g_strdelimit(g_strdup(l->data), "-", ' ');
            JsonNode *v = json_object_get_member(o, l->data);
            if (JSON_NODE_HOLDS_VALUE(v)) {
                printf("%*s%s: ", level * 4, "", key);
                print_specific(v, level + 1);
            } else {
                printf("%*s%s:\n", level * 4, "", key);
                print_specific(v, level + 1);
            }
        }
    } else if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *a = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonNode *v = json_array_get_element(a, i);
            printf("%*s[%u]:%s", level * 4, "", i,
                   JSON_NODE_HOLDS_VALUE(v) ? " " : "\n");
            print_specific(v, level + 1);
        }
    } else if (JSON_NODE_HOLDS_VALUE(node)) {
        GType t = json_node_get_value_type(node);
        if (t == G_TYPE_BOOLEAN) {
            printf("%s\n", json_node_get_boolean(node) ? "true" : "false");
        } else if (t == G_TYPE_STRING) {
            printf("%s\n", json_node_get_string(node));
        } else {
            printf("%" G_GINT64_FORMAT "\n", json_node_get_int(node));
        }
    }
}

static void print_human(JsonObject *o)
{
    printf("image: %s\n", json_object_get_string_member(o, "filename"));
    printf("file format: %s\n", json_object_get_string_member(o, "format"));
    g_autofree char *vsize = human(o, "virtual-size");
    printf("virtual size: %s (%" G_GINT64_FORMAT " bytes)\n", vsize,
           json_object_get_int_member(o, "virtual-size"));
    if (json_object_has_member(o, "actual-size")) {
        g_autofree char *dsize = human(o, "actual-size");
        printf("disk size: %s\n", dsize);
    } else {
        printf("disk size: unavailable\n");
    }
    if (json_object_get_boolean_member_with_default(o, "encrypted", false)) {
        printf("encrypted: yes\n");
    }
    if (json_object_has_member(o, "cluster-size")) {
        printf("cluster_size: %" G_GINT64_FORMAT "\n",
               json_object_get_int_member(o, "cluster-size"));
    }
    if (json_object_get_boolean_member_with_default(o, "dirty-flag", false)) {
        printf("cleanly shut down: no\n");
    }
    if (json_object_has_member(o, "backing-filename")) {
        const char *b = json_object_get_string_member(o, "backing-filename");
        const char *full = json_object_get_string_member_with_default(
            o, "full-backing-filename", b);
        if (g_str_equal(b, full)) {
            printf("backing file: %s\n", b);
        } else {
            printf("backing file: %s (actual path: %s)\n", b, full);
        }
        if (json_object_has_member(o, "backing-filename-format")) {
            printf("backing file format: %s\n",
                   json_object_get_string_member(o,
                                                 "backing-filename-format"));
        }
    }
    if (json_object_has_member(o, "snapshots")) {
        printf("Snapshot list:\n");
        img_print_snapshot_table(json_object_get_array_member(o,
                                                              "snapshots"));
    }
    if (json_object_has_member(o, "format-specific")) {
        JsonObject *fs = json_object_get_object_member(o, "format-specific");
        printf("Format specific information:\n");
        print_specific(json_object_get_member(fs, "data"), 1);
    }
}

int img_cmd_info(int argc, char **argv)
{
    enum { OPT_OUTPUT = 256, OPT_CHAIN, OPT_IMAGE_OPTS, OPT_OBJECT };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "backing-chain", no_argument, NULL, OPT_CHAIN },
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "object", required_argument, NULL, OPT_OBJECT },
        { NULL, 0, NULL, 0 },
    };
    ImgOpen how = { .no_backing = true };
    bool json = false, chain = false;
    int c;
    while ((c = getopt_long(argc, argv, ":hf:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s info [--image-opts] [-f fmt] [--output=ofmt] "
                   "[--backing-chain] [-U] filename\n", IMG_PROGNAME);
            return 0;
        case 'f': how.format = optarg; break;
        case 'U': how.force_share = true; break;
        case OPT_OUTPUT:
            if (!img_output_is_json(optarg, &json)) {
                return 1;
            }
            break;
        case OPT_CHAIN: chain = true; break;
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
    if (how.image_opts && how.format) {
        img_error("--image-opts and --format are mutually exclusive");
        return 1;
    }
    g_autoptr(JsonArray) list = json_array_new();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
    g_autofree char *name = g_strdup(argv[optind]);
    while (name) {
        if (!g_hash_table_add(seen, g_strdup(name))) {
            img_error("Backing file '%s' creates an infinite loop.", name);
            return 1;
        }
        JsonObject *o = image_info(name, &how);
        if (!o) {
            return 1;
        }
        json_array_add_object_element(list, o);
        g_free(name);
        name = NULL;
        if (chain && json_object_has_member(o, "full-backing-filename")) {
            name = g_strdup(json_object_get_string_member(
                o, "full-backing-filename"));
            how.format = json_object_get_string_member_with_default(
                o, "backing-filename-format", NULL);
            how.image_opts = false;
        }
    }
    if (json) {
        JsonNode *root = json_node_new(chain ? JSON_NODE_ARRAY
                                             : JSON_NODE_OBJECT);
        if (chain) {
            json_node_set_array(root, list);
        } else {
            json_node_set_object(root, json_array_get_object_element(list,
                                                                     0));
        }
        JsonNode *ordered = img_json_qemu_order(root);
        img_print_json(ordered);
        json_node_unref(ordered);
        json_node_unref(root);
        return 0;
    }
    for (guint i = 0; i < json_array_get_length(list); i++) {
        if (i) {
            printf("\n");
        }
        print_human(json_array_get_object_element(list, i));
    }
    return 0;
}
