/*
 * core/img/img-inspect.c - what create, info, map, snapshot and measure
 * share: the --output switch and a format's table of creation options.
 */
#include "img.h"
#include "block/block-graph.h"
#include "plugin/plugins.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

bool img_output_is_json(const char *arg, bool *json)
{
    if (g_str_equal(arg, "json")) {
        *json = true;
    } else if (g_str_equal(arg, "human")) {
        *json = false;
    } else {
        img_error("--output must be used with human or json as argument.");
        return false;
    }
    return true;
}

const TsProperty *img_create_options_of(const char *fmt, GError **errp)
{
    const TsBlockDriver *drv = block_create_driver(fmt, errp);
    if (!drv) {
        return NULL;
    }
    if (!drv->create_options) {
        static const TsProperty none[] = { TS_PROP_END };
        return none;
    }
    return drv->create_options;
}

const TsProperty *img_create_option(const TsProperty *table,
                                    const char *name)
{
    for (const TsProperty *p = table; p && p->name; p++) {
        if (g_str_equal(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

static const char *kind_name(const TsProperty *p)
{
    switch (p->kind) {
    case TS_PROP_BOOL:
        return "bool (on/off)";
    case TS_PROP_INT:
    case TS_PROP_UINT:
        return "num";
    case TS_PROP_SIZE:
        return "size";
    default:
        return "str";
    }
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    const TsProperty *const *pa = a, *const *pb = b;
    return strcmp((*pa)->name, (*pb)->name);
}

bool img_print_create_help(const char *fmt)
{
    GError *err = NULL;
    const TsProperty *table = img_create_options_of(fmt, &err);
    if (!table) {
        return img_fail(err, 1) == 0;
    }
    /* qemu-img lists them sorted by name. */
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    for (const TsProperty *p = table; p->name; p++) {
        g_ptr_array_add(sorted, (gpointer)p);
    }
    g_ptr_array_sort(sorted, by_name);
    printf("Supported %s options:\n", fmt);
    for (guint i = 0; i < sorted->len; i++) {
        const TsProperty *p = g_ptr_array_index(sorted, i);
        g_autofree char *left = g_strdup_printf("%s=<%s>", p->name,
                                                kind_name(p));
        printf("  %-22s - %s\n", left, p->description ? p->description : "");
    }
    printf("\nThe protocol level may support further options.\n"
           "Specify the target filename to include those options.\n");
    return true;
}

JsonArray *img_snapshots_json(TsBlockNode *n)
{
    TsBlockSnapshotInfo *list = NULL;
    int count = 0;
    if (!n->driver->snapshot_list ||
        !n->driver->snapshot_list(n, &list, &count, NULL) || !count) {
        g_free(list);
        return NULL;
    }
    JsonArray *a = json_array_new();
    for (int i = 0; i < count; i++) {
        JsonObject *s = json_object_new();
        json_object_set_string_member(s, "id", list[i].id);
        json_object_set_string_member(s, "name", list[i].name);
        json_object_set_int_member(s, "vm-state-size",
                                   (int64_t)list[i].vm_state_size);
        json_object_set_int_member(s, "date-sec", list[i].date_sec);
        json_object_set_int_member(s, "date-nsec", list[i].date_nsec);
        json_object_set_int_member(s, "vm-clock-sec",
                                   (int64_t)(list[i].vm_clock_nsec /
                                             1000000000));
        json_object_set_int_member(s, "vm-clock-nsec",
                                   (int64_t)(list[i].vm_clock_nsec %
                                             1000000000));
        if (list[i].icount != UINT64_MAX) {
            json_object_set_int_member(s, "icount", (int64_t)list[i].icount);
        }
        json_array_add_object_element(a, s);
        g_free(list[i].id);
        g_free(list[i].name);
    }
    g_free(list);
    return a;
}

/* The format of `filename` as block_probe_format() guesses it, without
 * its warning about guessed raw images when nothing will be written
 * (qemu-img warns only when it opens an image for writing). */
static const char *probe_format(const char *filename, bool writable,
                                GError **errp)
{
    uint8_t head[8] = { 0 };
    FILE *f = fopen(filename, "rb");
    if (f) {
        size_t n = fread(head, 1, sizeof(head), f);
        fclose(f);
        struct iovec iov = { head, n };
        if (!writable && !block_probe_looks_like_image(&iov, 1)) {
            return "raw";
        }
    }
    return block_probe_format(filename, filename, errp);
}

static bool format_has_backing(const char *fmt)
{
    if (!block_driver_known(fmt) ||
        !plugin_require(PK_BLOCKDRIVER, fmt, NULL)) {
        return false;
    }
    g_autofree char *type = g_strconcat(fmt, TS_BLOCK_DRIVER_SUFFIX, NULL);
    TsObjectClass *k = ts_class_by_name(type);
    const TsBlockDriver *drv = k ? block_driver_of_class(k) : NULL;
    return drv && drv->supports_backing;
}

TsBlockNode *img_open_image(const char *filename, const ImgOpen *how,
                            bool with_backing, GError **errp)
{
    ImgOpen o = *how;
    if (!o.image_opts) {
        if (!o.format) {
            GError *err = NULL;
            o.format = probe_format(filename, o.writable, &err);
            if (!o.format) {
                g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                            "Could not open '%s': %s", filename,
                            err->message);
                g_clear_error(&err);
                return NULL;
            }
        }
        o.no_backing = !with_backing && format_has_backing(o.format);
    }
    return img_open(filename, &o, errp);
}

/* ---- qemu-img's order of JSON members ------------------------------ */

/* qemu-img prints a JSON object in the order of its dictionary's hash
 * buckets (512 of them, a tdb-style string hash) and, within a bucket,
 * the member added last first.  Scripts should not care, but people
 * diff outputs, so we print the same order. */
static unsigned qemu_bucket(const char *key)
{
    const unsigned char *p = (const unsigned char *)key;
    uint32_t v = 0x238F13AFu * (uint32_t)strlen(key);
    for (unsigned i = 0; p[i]; i++) {
        v += (uint32_t)p[i] << (i * 5 % 24);
    }
    return (1103515243u * v + 12345u) % 512;
}

typedef struct Member {
    const char *name;
    unsigned bucket, index;
} Member;

static gint by_bucket(gconstpointer a, gconstpointer b)
{
    const Member *x = a, *y = b;
    if (x->bucket != y->bucket) {
        return x->bucket < y->bucket ? -1 : 1;
    }
    return x->index > y->index ? -1 : 1;    /* newest first */
}

JsonNode *img_json_qemu_order(JsonNode *node)
{
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *in = json_node_get_array(node), *out = json_array_new();
        for (guint i = 0; i < json_array_get_length(in); i++) {
            json_array_add_element(out, img_json_qemu_order(
                                            json_array_get_element(in, i)));
        }
        JsonNode *r = json_node_init_array(json_node_alloc(), out);
        json_array_unref(out);
        return r;
    }
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        return json_node_copy(node);
    }
    JsonObject *in = json_node_get_object(node), *out = json_object_new();
    g_autoptr(GList) names = json_object_get_members(in);
    g_autoptr(GArray) m = g_array_new(FALSE, FALSE, sizeof(Member));
    unsigned index = 0;
    for (GList *l = names; l; l = l->next) {
        Member e = { l->data, qemu_bucket(l->data), index++ };
        g_array_append_val(m, e);
    }
    g_array_sort(m, by_bucket);
    for (guint i = 0; i < m->len; i++) {
        const char *name = g_array_index(m, Member, i).name;
        json_object_set_member(out, name, img_json_qemu_order(
                                              json_object_get_member(in,
                                                                     name)));
    }
    JsonNode *r = json_node_init_object(json_node_alloc(), out);
    json_object_unref(out);
    return r;
}
