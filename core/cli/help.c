/*
 * core/cli/help.c - `-M help`, `-device help` and friends.
 *
 * Listings merge the types already registered (the core's own, and any
 * plugin loaded so far) with what the sidecars say the installed plugins
 * provide.  No plugin is loaded to answer.
 */
#include "help.h"
#include "plugin/plugins.h"
#include "object/object-introspect.h"
#include "device/device-groups.h"

#include <tessera/device.h>
#include <tessera/machine.h>
#include <stdio.h>

typedef struct HelpEntry {
    char *name;
    char *description;
    bool is_default;
    uint32_t categories;    /* devices: TS_DEVICE_CATEGORY_* */
    char *bus;              /* devices: "PCI" or NULL */
} HelpEntry;

typedef struct HelpQuery {
    PluginKind kind;
    const char *target;     /* machines: only this target's (and generic) */
    GHashTable *entries;    /* name -> HelpEntry */
} HelpQuery;

static void help_entry_free(HelpEntry *e)
{
    g_free(e->name);
    g_free(e->description);
    g_free(e->bus);
    g_free(e);
}

static HelpEntry *add_entry(HelpQuery *q, const char *name,
                            const char *desc, bool is_default)
{
    if (g_hash_table_contains(q->entries, name)) {
        return NULL;
    }
    HelpEntry *e = g_new0(HelpEntry, 1);
    e->name = g_strdup(name);
    e->description = g_strdup(desc ? desc : "");
    e->is_default = is_default;
    g_hash_table_insert(q->entries, e->name, e);
    return e;
}

static bool machine_matches(const char *machine_target, const char *target)
{
    return !machine_target || !target || g_str_equal(machine_target, target);
}

static void add_registered(TsObjectClass *klass, void *opaque)
{
    HelpQuery *q = opaque;
    const char *type = ts_class_name(klass);
    if (plugin_kind_of_type(type) != q->kind) {
        return;
    }
    bool is_default = false;
    if (q->kind == PK_MACHINE) {
        TsMachineClass *mc = (TsMachineClass *)klass;
        if (!machine_matches(mc->target, q->target)) {
            return;
        }
        is_default = mc->is_default;
    }
    if (q->kind == PK_DEVICE) {
        TsDeviceClass *dc = (TsDeviceClass *)
            ts_class_dynamic_cast(klass, TS_TYPE_DEVICE);
        if (!dc->user_creatable) {
            return;
        }
    }
    g_autofree char *name = plugin_user_name(q->kind, type);
    HelpEntry *e = add_entry(q, name, ts_class_description(klass),
                             is_default);
    if (e && q->kind == PK_DEVICE) {
        TsDeviceClass *dc = (TsDeviceClass *)
            ts_class_dynamic_cast(klass, TS_TYPE_DEVICE);
        e->categories = (uint32_t)dc->categories;
        e->bus = g_strdup(device_bus_name(klass));
    }
}

static void add_from_sidecars(HelpQuery *q)
{
    GPtrArray *plugins = plugin_index_plugins();
    for (guint i = 0; i < plugins->len; i++) {
        PluginInfo *info = g_ptr_array_index(plugins, i);
        /* Distributions ship every sidecar with the core, so that a missing
         * package can be named; listings show only what is installed. */
        if (!g_file_test(info->so_path, G_FILE_TEST_EXISTS)) {
            continue;
        }
        for (guint j = 0; j < info->provides->len; j++) {
            PluginProvide *p = g_ptr_array_index(info->provides, j);
            if (p->kind != q->kind || p->abstract) {
                continue;
            }
            if (q->kind == PK_MACHINE && !machine_matches(p->target,
                                                          q->target)) {
                continue;
            }
            if (q->kind == PK_DEVICE && !p->user_creatable) {
                continue;
            }
            HelpEntry *e = add_entry(q, p->name, p->description,
                                     p->is_default);
            if (e) {
                e->categories = p->categories;
                e->bus = g_strdup(p->bus);
            }
        }
    }
}

static int compare_entries(gconstpointer a, gconstpointer b)
{
    const HelpEntry *ea = *(HelpEntry *const *)a;
    const HelpEntry *eb = *(HelpEntry *const *)b;
    return strcmp(ea->name, eb->name);
}

/* Sorted entries of one kind; free with g_ptr_array_unref. */
static GPtrArray *collect(PluginKind kind, const char *target)
{
    HelpQuery q = { .kind = kind, .target = target };
    q.entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify)help_entry_free);
    if (kind != PK_TARGET) {
        ts_type_foreach(plugin_kind_name(kind), false, add_registered, &q);
    }
    add_from_sidecars(&q);
    GPtrArray *list = g_ptr_array_new_with_free_func(
        (GDestroyNotify)help_entry_free);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, q.entries);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        g_hash_table_iter_steal(&it);
        g_ptr_array_add(list, value);
    }
    g_hash_table_unref(q.entries);
    g_ptr_array_sort(list, compare_entries);
    return list;
}

const char *help_default_machine(const char *target)
{
    static char *found;
    g_autoptr(GPtrArray) list = collect(PK_MACHINE, target);
    for (guint i = 0; i < list->len; i++) {
        HelpEntry *e = g_ptr_array_index(list, i);
        if (e->is_default) {
            g_free(found);
            found = g_strdup(e->name);
            return found;
        }
    }
    return NULL;
}

void help_foreach(PluginKind kind, const char *target, HelpEntryFn fn,
                  void *opaque)
{
    g_autoptr(GPtrArray) list = collect(kind, target);
    for (guint i = 0; i < list->len; i++) {
        HelpEntry *e = g_ptr_array_index(list, i);
        fn(e->name, e->description, e->is_default, opaque);
    }
}

static void print_device(FILE *out, const HelpEntry *e)
{
    fprintf(out, "name \"%s\"", e->name);
    if (e->bus) {
        fprintf(out, ", bus %s", e->bus);
    }
    if (*e->description) {
        fprintf(out, ", desc \"%s\"", e->description);
    }
    fputc('\n', out);
}

/* QEMU's layout: one group per category in its order, a device in each
 * of its categories, then the uncategorized; a blank line between. */
static void print_devices(FILE *out, GPtrArray *list)
{
    bool first = true;
    for (unsigned c = 0; c <= DEVICE_CATEGORY_COUNT; c++) {
        uint32_t bit = device_category_at(c);     /* 0: uncategorized */
        bool header = false;
        for (guint i = 0; i < list->len; i++) {
            HelpEntry *e = g_ptr_array_index(list, i);
            if (bit ? !(e->categories & bit) : e->categories != 0) {
                continue;
            }
            if (!header) {
                fprintf(out, "%s%s devices:\n", first ? "" : "\n",
                        bit ? device_category_title(bit) : "Uncategorized");
                header = true;
                first = false;
            }
            print_device(out, e);
        }
    }
}

void help_print(FILE *out, PluginKind kind, const char *target)
{
    g_autoptr(GPtrArray) list = collect(kind, target);
    switch (kind) {
    case PK_MACHINE:
        fprintf(out, "Supported machines are:\n");
        for (guint i = 0; i < list->len; i++) {
            HelpEntry *e = g_ptr_array_index(list, i);
            fprintf(out, "%-20s %s%s\n", e->name, e->description,
                    e->is_default ? " (default)" : "");
        }
        return;
    case PK_DEVICE:
        print_devices(out, list);
        return;
    case PK_ACCEL:
        fprintf(out, "Accelerators supported in Tessera:\n");
        break;
    case PK_CPU:
        fprintf(out, "Available CPUs:\n");
        break;
    case PK_AUDIODEV:
        fprintf(out, "Available audio drivers:\n");
        break;
    case PK_BLOCKDRIVER:
        fprintf(out, "Supported block drivers:\n");
        break;
    case PK_NETDEV:
        fprintf(out, "Available netdev backend types:\n");
        break;
    case PK_CHARDEV:
        fprintf(out, "Available chardev backend types:\n");
        break;
    default:
        fprintf(out, "Available %ss:\n", plugin_kind_name(kind));
        break;
    }
    for (guint i = 0; i < list->len; i++) {
        HelpEntry *e = g_ptr_array_index(list, i);
        if (*e->description) {
            fprintf(out, "  %-20s %s\n", e->name, e->description);
        } else {
            fprintf(out, "  %s\n", e->name);
        }
    }
}
