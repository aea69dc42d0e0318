/*
 * core/block/block-snapshot.c - internal snapshots across the disks:
 * HMP `info snapshots`, in QEMU 7.2's table, from the format drivers'
 * snapshot hooks (<tessera/block.h>; blk-qcow2 has them).  savevm,
 * loadvm and delvm will reach the same hooks.
 *
 * Which disks count is QEMU's rule: every writable drive with a medium,
 * and every writable -blockdev node that nothing uses (read-only ones
 * cannot take a snapshot, so they are left out of "all disks").  The first of them whose format keeps snapshots
 * would hold the VM state; a snapshot is "present on all disks" when
 * every counted drive has one of that name, else it is partial and
 * listed under the drive that has it.
 */
#include "block-internal.h"
#include "monitor/hmp.h"

#include <time.h>

typedef struct DiskSnapshots {
    TsBlockBackend *blk;
    TsBlockNode *node;          /* the image (below implicit filters) */
    TsBlockSnapshotInfo *list;
    int count;
} DiskSnapshots;

static void free_list(TsBlockSnapshotInfo *list, int count)
{
    for (int i = 0; i < count; i++) {
        g_free(list[i].id);
        g_free(list[i].name);
    }
    g_free(list);
}

static void disk_free(gpointer p)
{
    DiskSnapshots *d = p;
    free_list(d->list, d->count);
    g_free(d);
}

/* The counted drives with their snapshots (none for a format without
 * snapshot hooks); NULL + errp when a table cannot be read. */
static GPtrArray *collect(GError **errp)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(disk_free);
    g_autoptr(GPtrArray) list = block_query_backends();
    for (guint i = 0; i < list->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(list, i);
        if (!b->root || ts_block_is_read_only(b)) {
            continue;
        }
        DiskSnapshots *d = g_new0(DiskSnapshots, 1);
        d->blk = b;
        d->node = block_node_skip_implicit(b->root);
        g_ptr_array_add(out, d);
    }
    GPtrArray *nodes = block_nodes();
    for (guint i = 0; i < nodes->len; i++) {
        TsBlockNode *n = g_ptr_array_index(nodes, i);
        if (node_core(n)->monitor_owned && !node_core(n)->users->len &&
            !block_backend_of_node(n) && !ts_block_node_is_read_only(n) &&
            (ts_block_node_open_flags(n) & TS_BLOCK_OPEN_RDWR)) {
            DiskSnapshots *d = g_new0(DiskSnapshots, 1);
            d->node = n;
            g_ptr_array_add(out, d);
        }
    }
    for (guint i = 0; i < out->len; i++) {
        DiskSnapshots *d = g_ptr_array_index(out, i);
        if (d->node->driver->snapshot_list &&
            !d->node->driver->snapshot_list(d->node, &d->list, &d->count,
                                            errp)) {
            g_ptr_array_unref(out);
            return NULL;
        }
    }
    return out;
}

static bool has_name(const DiskSnapshots *d, const char *name)
{
    for (int i = 0; i < d->count; i++) {
        if (g_str_equal(d->list[i].name, name)) {
            return true;
        }
    }
    return false;
}

/* A size in QEMU's monitor style ("0 B", "1.5 MiB"). */
static char *vm_size(uint64_t v)
{
    static const char *const unit[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi",
                                        "Ei" };
    int i = 0;
    while (i < 6 && (double)v >= 1000.0 * (double)(1ull << (10 * i))) {
        i++;
    }
    return g_strdup_printf("%0.3g %sB",
                           (double)v / (double)(1ull << (10 * i)), unit[i]);
}

static void header(HmpCall *c)
{
    hmp_printf(c, "%-9s %-17s %7s%20s %12s %10s\n", "ID", "TAG", "VM SIZE",
               "DATE", "VM CLOCK", "ICOUNT");
}

/* One row; id "--" for a snapshot shown for all disks together. */
static void row(HmpCall *c, const char *id, const TsBlockSnapshotInfo *sn)
{
    g_autofree char *size = vm_size(sn->vm_state_size);
    char date[32];
    time_t t = (time_t)sn->date_sec;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    uint64_t ms = sn->vm_clock_nsec / 1000000;
    g_autofree char *clock = g_strdup_printf(
        "%02u:%02u:%02u.%03u", (unsigned)(ms / 3600000),
        (unsigned)(ms / 60000 % 60), (unsigned)(ms / 1000 % 60),
        (unsigned)(ms % 1000));
    g_autofree char *icount = sn->icount == UINT64_MAX
        ? g_strdup("") : g_strdup_printf("%" PRIu64, sn->icount);
    hmp_printf(c, "%-9s %-17s %7s%20s %12s %10s\n", id, sn->name, size,
               date, clock, icount);
}

static void info_snapshots(HmpCall *c, const char *args)
{
    GError *err = NULL;
    g_autoptr(GPtrArray) disks = collect(&err);
    if (!disks) {
        hmp_print_error(c, err);
        g_error_free(err);
        return;
    }
    DiskSnapshots *vmstate = NULL;
    for (guint i = 0; i < disks->len && !vmstate; i++) {
        DiskSnapshots *d = g_ptr_array_index(disks, i);
        if (d->node->driver->snapshot_create) {
            vmstate = d;
        }
    }
    if (!vmstate) {
        hmp_printf(c, "no block device can store vmstate for snapshot\n");
        return;
    }
    if (!vmstate->count) {
        hmp_printf(c, "There is no snapshot available.\n");
        return;
    }
    /* The VM state disk's snapshots every counted disk has (by name). */
    hmp_printf(c, "List of snapshots present on all disks:\n");
    int common = 0;
    for (int i = 0; i < vmstate->count; i++) {
        const TsBlockSnapshotInfo *sn = &vmstate->list[i];
        bool everywhere = true;
        for (guint j = 0; j < disks->len && everywhere; j++) {
            everywhere = has_name(g_ptr_array_index(disks, j), sn->name);
        }
        if (everywhere) {
            if (!common++) {
                header(c);
            }
            row(c, "--", sn);
        }
    }
    if (!common) {
        hmp_printf(c, "None\n");
    }
    /* Then, per disk, the snapshots that are not on all of them. */
    for (guint j = 0; j < disks->len; j++) {
        DiskSnapshots *d = g_ptr_array_index(disks, j);
        bool first = true;
        for (int i = 0; i < d->count; i++) {
            bool everywhere = true;
            for (guint k = 0; k < disks->len && everywhere; k++) {
                everywhere = has_name(g_ptr_array_index(disks, k),
                                      d->list[i].name);
            }
            if (everywhere) {
                continue;
            }
            if (first) {
                hmp_printf(c, "\nList of partial (non-loadable) snapshots "
                           "on '%s':\n", d->blk && d->blk->name
                           ? d->blk->name : node_core(d->node)->name);
                header(c);
                first = false;
            }
            row(c, d->list[i].id, &d->list[i]);
        }
    }
}

static const HmpCommand snapshot_info_commands[] = {
    { "snapshots", "", "show the currently saved VM snapshots",
      info_snapshots },
    { NULL }
};
HMP_INFO_COMMANDS(snapshot_info_commands)
