/*
 * Internal snapshots: the snapshot table (read and checked on open,
 * rewritten whole on every change, then switched to by one header write)
 * and create / apply / delete, which move refcounts of whole L1 trees.
 */
#include "qcow2-int.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define FAIL(...) do { if (errmsg) *errmsg = g_strdup_printf(__VA_ARGS__); ret = -EINVAL; goto out; } while (0)

void qcow2_free_snapshots(Qcow2 *s)
{
    for (uint32_t i = 0; s->snapshots && i < s->h.nb_snapshots; i++) {
        g_free(s->snapshots[i].id);
        g_free(s->snapshots[i].name);
        g_free(s->snapshots[i].extra);
    }
    g_clear_pointer(&s->snapshots, g_free);
}

int qcow2_read_snapshots(Qcow2 *s, char **errmsg)
{
    uint64_t off = s->h.snapshots_offset, start = off;
    int ret = 0;
    s->snapshots = g_new0(Qcow2Snapshot, s->h.nb_snapshots ? s->h.nb_snapshots : 1);
    for (uint32_t i = 0; i < s->h.nb_snapshots; i++) {
        uint8_t f[QS_FIXED_LEN];
        Qcow2Snapshot *sn = &s->snapshots[i];
        if (off - start + QS_FIXED_LEN > QCOW2_MAX_SNAPSHOT_TABLE)
            FAIL("Snapshot table is too big");
        if (off + QS_FIXED_LEN > s->file_end)
            FAIL("Snapshot table lies past the end of the image file");
        ret = qcow2_pread(s, off, f, sizeof(f));
        if (ret < 0)
            goto out;
        sn->l1_offset = be64_get(f + QS_L1_OFFSET);
        sn->l1_size = be32_get(f + QS_L1_SIZE);
        uint32_t id_len = be16_get(f + QS_ID_LEN), name_len = be16_get(f + QS_NAME_LEN);
        sn->date_sec = be32_get(f + QS_DATE_SEC);
        sn->date_nsec = be32_get(f + QS_DATE_NSEC);
        sn->vm_clock_nsec = be64_get(f + QS_VM_CLOCK);
        sn->vm_state_size = be32_get(f + QS_VM_STATE);
        sn->extra_size = be32_get(f + QS_EXTRA_SIZE);
        sn->disk_size = s->h.size;
        sn->icount = UINT64_MAX;
        if (sn->extra_size > QCOW2_MAX_SNAPSHOT_EXTRA)
            FAIL("Too much extra metadata in snapshot table entry %u", i);
        uint64_t var = (uint64_t)sn->extra_size + id_len + name_len;
        off += QS_FIXED_LEN;
        if (off - start + var > QCOW2_MAX_SNAPSHOT_TABLE)
            FAIL("Snapshot table is too big");
        if (off + var > s->file_end)
            FAIL("Snapshot table lies past the end of the image file");
        uint8_t *v = g_malloc(var + 1);
        ret = qcow2_pread(s, off, v, var);
        if (ret < 0) {
            g_free(v);
            goto out;
        }
        sn->extra = g_memdup2(v, sn->extra_size);
        if (sn->extra_size >= 8)
            sn->vm_state_size = be64_get(v + QS_X_VM_STATE_LARGE);
        if (sn->extra_size >= 16)
            sn->disk_size = be64_get(v + QS_X_DISK_SIZE);
        if (sn->extra_size >= 24)
            sn->icount = be64_get(v + QS_X_ICOUNT);
        sn->id = g_strndup((char *)v + sn->extra_size, id_len);
        sn->name = g_strndup((char *)v + sn->extra_size + id_len, name_len);
        g_free(v);
        off = (off + var + 7) & ~7ull;
        if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES)
            FAIL("Snapshot L1 table too large");
        if (sn->l1_size && ((sn->l1_offset & (s->cluster_size - 1)) || !sn->l1_offset ||
                            sn->l1_offset + (uint64_t)sn->l1_size * 8 > s->file_end))
            FAIL("Snapshot L1 table offset invalid");
        if (sn->disk_size > QCOW2_MAX_IMAGE_SIZE)
            FAIL("Snapshot %u has an invalid disk size", i);
    }
    s->snapshot_table_bytes = (uint32_t)(off - start);
out:
    if (ret < 0) {
        /* Only the entries parsed so far are freed. */
        uint32_t n = s->h.nb_snapshots;
        qcow2_free_snapshots(s);
        s->h.nb_snapshots = n;
    }
    return ret;
}

int qcow2_snapshot_list(Qcow2 *s, Qcow2SnapshotInfo **list, int *count)
{
    Qcow2SnapshotInfo *l = g_new0(Qcow2SnapshotInfo, s->h.nb_snapshots + 1);
    for (uint32_t i = 0; i < s->h.nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        l[i] = (Qcow2SnapshotInfo) {
            .id = g_strdup(sn->id), .name = g_strdup(sn->name),
            .vm_state_size = sn->vm_state_size, .date_sec = sn->date_sec,
            .date_nsec = sn->date_nsec, .vm_clock_nsec = sn->vm_clock_nsec,
            .disk_size = sn->disk_size, .icount = sn->icount,
        };
    }
    *list = l;
    *count = (int)s->h.nb_snapshots;
    return 0;
}

void qcow2_snapshot_list_free(Qcow2SnapshotInfo *list, int count)
{
    for (int i = 0; i < count; i++) {
        g_free(list[i].id);
        g_free(list[i].name);
    }
    g_free(list);
}

static int find(Qcow2 *s, const char *key)
{
    for (uint32_t i = 0; i < s->h.nb_snapshots; i++)
        if (!strcmp(s->snapshots[i].id, key))
            return (int)i;
    for (uint32_t i = 0; i < s->h.nb_snapshots; i++)
        if (!strcmp(s->snapshots[i].name, key))
            return (int)i;
    return -1;
}

/* Write `list` as the new table, switch the header to it, free the old. */
static int write_table(Qcow2 *s, Qcow2Snapshot *list, uint32_t n)
{
    uint64_t cs = s->cluster_size;
    GByteArray *t = g_byte_array_new();
    for (uint32_t i = 0; i < n; i++) {
        Qcow2Snapshot *sn = &list[i];
        uint8_t f[QS_FIXED_LEN] = {0}, x[QS_EXTRA_LEN];
        uint32_t extra = MAX(sn->extra_size, QS_EXTRA_LEN);
        be64_put(f + QS_L1_OFFSET, sn->l1_offset);
        be32_put(f + QS_L1_SIZE, sn->l1_size);
        be16_put(f + QS_ID_LEN, (uint16_t)strlen(sn->id));
        be16_put(f + QS_NAME_LEN, (uint16_t)strlen(sn->name));
        be32_put(f + QS_DATE_SEC, sn->date_sec);
        be32_put(f + QS_DATE_NSEC, sn->date_nsec);
        be64_put(f + QS_VM_CLOCK, sn->vm_clock_nsec);
        be32_put(f + QS_VM_STATE, sn->vm_state_size > UINT32_MAX ? 0 : (uint32_t)sn->vm_state_size);
        be32_put(f + QS_EXTRA_SIZE, extra);
        g_byte_array_append(t, f, sizeof(f));
        be64_put(x + QS_X_VM_STATE_LARGE, sn->vm_state_size);
        be64_put(x + QS_X_DISK_SIZE, sn->disk_size);
        be64_put(x + QS_X_ICOUNT, sn->icount);
        g_byte_array_append(t, x, sizeof(x));
        /* Extra data we do not know is kept as it was. */
        if (sn->extra_size > QS_EXTRA_LEN)
            g_byte_array_append(t, sn->extra + QS_EXTRA_LEN, sn->extra_size - QS_EXTRA_LEN);
        g_byte_array_append(t, (uint8_t *)sn->id, (guint)strlen(sn->id));
        g_byte_array_append(t, (uint8_t *)sn->name, (guint)strlen(sn->name));
        static const uint8_t pad[8];
        g_byte_array_append(t, pad, (8 - t->len % 8) % 8);
    }
    int ret = 0;
    int64_t off = 0;
    uint64_t clusters = (t->len + cs - 1) / cs;
    if (t->len > QCOW2_MAX_SNAPSHOT_TABLE)
        ret = -EFBIG;
    if (ret == 0 && n) {
        off = qcow2_alloc_clusters(s, clusters);
        if (off < 0)
            ret = (int)off;
        if (ret == 0)
            ret = qcow2_pwrite_checked(s, QCOW2_OL_SNAPTABLE, (uint64_t)off, t->data, t->len);
    }
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        uint8_t h[12];
        be32_put(h, n);
        be64_put(h + 4, (uint64_t)off);
        ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_NB_SNAPSHOTS, h, 12);
    }
    if (ret == 0)
        ret = qcow2_sync(s);
    if (ret == 0) {
        uint64_t old = s->h.snapshots_offset, old_bytes = s->snapshot_table_bytes;
        bool had = s->h.nb_snapshots != 0;
        s->h.snapshots_offset = (uint64_t)off;
        s->snapshot_table_bytes = t->len;
        if (had && old_bytes)
            ret = qcow2_refcount_update(s, old, (old_bytes + cs - 1) / cs * cs, -1);
    }
    g_byte_array_free(t, TRUE);
    return ret;
}

static int check_modifiable(Qcow2 *s, char **errmsg)
{
    if (s->corrupt) {
        *errmsg = g_strdup("qcow2: Image is corrupt; cannot be modified");
        return -EIO;
    }
    if (s->read_only) {
        *errmsg = g_strdup("qcow2: Image is read-only");
        return -EROFS;
    }
    return qcow2_mark_dirty(s);
}

int qcow2_snapshot_create(Qcow2 *s, const char *id, const char *name,
                          uint64_t vm_clock_nsec, char **errmsg)
{
    int ret = check_modifiable(s, errmsg);
    if (ret < 0)
        return ret;
    char *new_id;
    if (id && *id) {
        new_id = g_strdup(id);
    } else {
        unsigned long max = 0;
        for (uint32_t i = 0; i < s->h.nb_snapshots; i++)
            max = MAX(max, strtoul(s->snapshots[i].id, NULL, 10));
        new_id = g_strdup_printf("%lu", max + 1);
    }
    if (find(s, new_id) >= 0 && !strcmp(s->snapshots[find(s, new_id)].id, new_id)) {
        *errmsg = g_strdup_printf("Snapshot with id '%s' already exists", new_id);
        g_free(new_id);
        return -EEXIST;
    }
    if (strlen(new_id) > 65535 || strlen(name) > 65535 || s->h.nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        *errmsg = g_strdup("Too many snapshots or snapshot name too long");
        g_free(new_id);
        return -EFBIG;
    }
    uint64_t cs = s->cluster_size;
    uint64_t l1_bytes = (uint64_t)s->h.l1_size * 8;
    int64_t l1_off = 0;
    if (l1_bytes) {
        l1_off = qcow2_alloc_clusters(s, (l1_bytes + cs - 1) / cs);
        if (l1_off < 0) {
            g_free(new_id);
            *errmsg = g_strdup("Could not allocate the snapshot's L1 table");
            return (int)l1_off;
        }
    }
    ret = qcow2_tree_refcount(s, s->l1, s->h.l1_size, 1);
    if (ret == 0 && l1_bytes) {
        uint8_t *buf = g_malloc0(l1_bytes);
        for (uint32_t i = 0; i < s->h.l1_size; i++)
            be64_put(buf + i * 8, s->l1[i] & ~QCOW2_OFLAG_COPIED);
        ret = qcow2_pwrite_checked(s, QCOW2_OL_SNAP_L1, (uint64_t)l1_off, buf, l1_bytes);
        g_free(buf);
    }
    if (ret == 0)
        ret = qcow2_fix_copied(s);
    if (ret < 0) {
        *errmsg = g_strdup_printf("Could not create snapshot: %s", g_strerror(-ret));
        g_free(new_id);
        return ret;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint32_t n = s->h.nb_snapshots;
    Qcow2Snapshot *list = g_new0(Qcow2Snapshot, n + 1);
    memcpy(list, s->snapshots, n * sizeof(*list));
    list[n] = (Qcow2Snapshot) {
        .l1_offset = (uint64_t)l1_off, .l1_size = s->h.l1_size,
        .id = new_id, .name = g_strdup(name),
        .date_sec = (uint32_t)now.tv_sec, .date_nsec = (uint32_t)now.tv_nsec,
        .vm_clock_nsec = vm_clock_nsec, .disk_size = s->h.size,
        .icount = UINT64_MAX, .extra_size = QS_EXTRA_LEN,
    };
    list[n].extra = g_malloc0(QS_EXTRA_LEN);
    ret = write_table(s, list, n + 1);
    if (ret < 0) {
        *errmsg = g_strdup_printf("Could not write the snapshot table: %s", g_strerror(-ret));
        g_free(list[n].id);
        g_free(list[n].name);
        g_free(list[n].extra);
        g_free(list);
        return ret;
    }
    g_free(s->snapshots);
    s->snapshots = list;
    s->h.nb_snapshots = n + 1;
    return 0;
}

static uint64_t *read_l1(Qcow2 *s, const Qcow2Snapshot *sn, int *ret)
{
    uint8_t *buf = g_malloc0((uint64_t)sn->l1_size * 8 + 8);
    uint64_t *l1 = g_new0(uint64_t, sn->l1_size + 1);
    *ret = qcow2_pread(s, sn->l1_offset, buf, (uint64_t)sn->l1_size * 8);
    for (uint32_t i = 0; i < sn->l1_size; i++)
        l1[i] = be64_get(buf + i * 8);
    g_free(buf);
    return l1;
}

int qcow2_snapshot_apply(Qcow2 *s, const char *key, char **errmsg)
{
    int ret = check_modifiable(s, errmsg);
    if (ret < 0)
        return ret;
    int i = find(s, key);
    if (i < 0) {
        *errmsg = g_strdup_printf("Can't find snapshot '%s'", key);
        return -ENOENT;
    }
    Qcow2Snapshot *sn = &s->snapshots[i];
    ret = qcow2_grow_l1(s, sn->l1_size);
    uint64_t *snl1 = NULL, *old = NULL;
    uint32_t old_size = s->h.l1_size;
    if (ret == 0)
        snl1 = read_l1(s, sn, &ret);
    if (ret == 0)
        ret = qcow2_tree_refcount(s, snl1, sn->l1_size, 1);
    if (ret == 0) {
        uint64_t bytes = (uint64_t)s->h.l1_size * 8;
        uint8_t *buf = g_malloc0(bytes);
        for (uint32_t j = 0; j < sn->l1_size; j++)
            be64_put(buf + j * 8, snl1[j] & ~QCOW2_OFLAG_COPIED);
        ret = qcow2_pwrite_checked(s, QCOW2_OL_L1, s->h.l1_offset, buf, bytes);
        g_free(buf);
        if (ret == 0)
            ret = qcow2_sync(s);
        if (ret == 0) {
            old = s->l1;
            s->l1 = g_new0(uint64_t, s->h.l1_size);
            for (uint32_t j = 0; j < sn->l1_size; j++)
                s->l1[j] = snl1[j] & ~QCOW2_OFLAG_COPIED;
        }
    }
    if (ret == 0)
        ret = qcow2_tree_refcount(s, old, old_size, -1);
    if (ret == 0 && sn->disk_size != s->h.size) {
        uint8_t b[8];
        be64_put(b, sn->disk_size);
        ret = qcow2_pwrite_checked(s, QCOW2_OL_HEADER, QH_SIZE, b, 8);
        if (ret == 0)
            s->h.size = sn->disk_size;
    }
    if (ret == 0)
        ret = qcow2_fix_copied(s);
    s->zcache_entry = 0;
    g_free(snl1);
    g_free(old);
    if (ret < 0 && !*errmsg)
        *errmsg = g_strdup_printf("Could not apply snapshot '%s': %s", key, g_strerror(-ret));
    return ret;
}

int qcow2_snapshot_delete(Qcow2 *s, const char *key, char **errmsg)
{
    int ret = check_modifiable(s, errmsg);
    if (ret < 0)
        return ret;
    int i = find(s, key);
    if (i < 0) {
        *errmsg = g_strdup_printf("Can't find the snapshot with ID '%s' and name '%s'", key, key);
        return -ENOENT;
    }
    Qcow2Snapshot gone = s->snapshots[i];
    uint32_t n = s->h.nb_snapshots;
    Qcow2Snapshot *list = g_new0(Qcow2Snapshot, n);
    memcpy(list, s->snapshots, i * sizeof(*list));
    memcpy(list + i, s->snapshots + i + 1, (n - i - 1) * sizeof(*list));
    ret = write_table(s, list, n - 1);
    if (ret < 0) {
        g_free(list);
        *errmsg = g_strdup_printf("Could not write the snapshot table: %s", g_strerror(-ret));
        return ret;
    }
    g_free(s->snapshots);
    s->snapshots = list;
    s->h.nb_snapshots = n - 1;
    uint64_t *l1 = read_l1(s, &gone, &ret);
    if (ret == 0)
        ret = qcow2_tree_refcount(s, l1, gone.l1_size, -1);
    if (ret == 0 && gone.l1_size) {
        uint64_t cs = s->cluster_size, bytes = (uint64_t)gone.l1_size * 8;
        ret = qcow2_refcount_update(s, gone.l1_offset, (bytes + cs - 1) / cs * cs, -1);
    }
    if (ret == 0)
        ret = qcow2_fix_copied(s);
    g_free(l1);
    g_free(gone.id);
    g_free(gone.name);
    g_free(gone.extra);
    if (ret < 0)
        *errmsg = g_strdup_printf("Could not delete snapshot '%s': %s", key, g_strerror(-ret));
    return ret;
}
