/*
 * test-blk-qcow2-snapshots.c - blk-qcow2's internal snapshot hooks
 * (block.h snapshot_list/create/goto/delete) against Debian's qemu-img,
 * the real peer: snapshot_list sees what `qemu-img snapshot -c` made;
 * a snapshot the hook creates is listed by `qemu-img snapshot -l`;
 * snapshot_goto brings back the data a snapshot holds; snapshot_delete
 * removes one (qemu-img no longer lists it); unknown names are refused
 * with a message; `qemu-img check` finds the image clean at the end.
 * Skips without qemu-img or without the qcow2 driver.
 */
#include "dev-harness.h"
#include "block/block-internal.h"
#include "block/block-options.h"
#include "loop/main-loop.h"
#include "object/object-hooks.h"
#include "plugin/plugins.h"

#include <stdio.h>
#include <stdlib.h>

/* cond is evaluated once: it makes the calls under test. */
#define CHECK(cond, what)                                                 \
    do {                                                                  \
        bool ok_ = (cond);                                                \
        printf("%s %d - %s\n", ok_ ? "ok" : "not ok", ++n, what);         \
        failed |= !ok_;                                                   \
    } while (0)

static char *run(const char *qemu_img, const char *args, const char *img,
                 int *status)
{
    g_autofree char *cmd = g_strdup_printf("%s %s %s", qemu_img, args, img);
    char *out = NULL, *err = NULL;
    int st = -1;
    g_spawn_command_line_sync(cmd, &out, &err, &st, NULL);
    if (status) {
        *status = st;
    }
    char *all = g_strconcat(out ? out : "", err ? err : "", NULL);
    g_free(out);
    g_free(err);
    return all;
}

static bool listed(TsBlockNode *q, const char *name)
{
    TsBlockSnapshotInfo *l = NULL;
    int count = 0;
    bool found = false;
    if (!q->driver->snapshot_list(q, &l, &count, NULL)) {
        return false;
    }
    for (int i = 0; i < count; i++) {
        found |= g_str_equal(l[i].name, name);
        g_free(l[i].id);
        g_free(l[i].name);
    }
    g_free(l);
    return found;
}

int main(int argc, char **argv)
{
    const char *root = g_getenv("TESSERA_BUILD_ROOT");
    g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
    g_autofree char *plugins = root ? g_build_filename(root, "plugins", NULL)
                                    : NULL;
    g_autofree char *qcow2 = plugins ? g_build_filename(
        plugins, "blk-qcow2.modinfo", NULL) : NULL;
    if (!root || !qemu_img || !g_file_test(qcow2, G_FILE_TEST_EXISTS)) {
        printf("1..0 # SKIP needs TESSERA_BUILD_ROOT, qemu-img (Debian: "
               "qemu-utils) and the qcow2 driver\n");
        return 0;
    }
    int n = 0, failed = 0;
    ts_loop_init();
    plugin_loader_init();
    plugin_path_prepend(plugins);
    object_core_init();

    g_autofree char *dir = g_dir_make_tmp("qsnap-XXXXXX", NULL);
    g_autofree char *img = g_build_filename(dir, "snap.qcow2", NULL);
    int st;
    g_free(run(qemu_img, "create -q -f qcow2", img, &st));
    g_autofree char *o1 = g_strconcat(img, " 1M", NULL);
    g_free(run(qemu_img, "create -q -f qcow2", o1, &st));
    g_free(run(qemu_img, "snapshot -c from-qemu-img", img, &st));
    CHECK(st == 0, "qemu-img snapshot -c makes a snapshot");

    g_autoptr(GError) err = NULL;
    g_autofree char *arg = g_strdup_printf("if=none,id=s0,format=qcow2,"
                                           "file=%s", img);
    bool opened = block_drive_add(arg, &err) && block_options_open(&err);
    if (err) {
        printf("# %s\n", err->message);
    }
    TsBlockBackend *blk = opened ? ts_block_attach("s0", NULL, NULL, NULL,
                                                   true, &err) : NULL;
    TsBlockNode *q = blk ? blk->root : NULL;
    CHECK(q && q->driver->snapshot_list && q->driver->snapshot_create &&
          q->driver->snapshot_goto && q->driver->snapshot_delete,
          "the qcow2 driver has the four snapshot hooks");
    if (q && q->driver->snapshot_list) {
        CHECK(listed(q, "from-qemu-img"), "snapshot_list sees the snapshot "
              "qemu-img made");
        uint8_t a[4096], b[4096], back[4096];
        memset(a, 0xa1, sizeof(a));
        memset(b, 0xb2, sizeof(b));
        ts_block_pwrite_sync(blk, 65536, a, sizeof(a));
        block_node_drain(q);
        CHECK(q->driver->snapshot_create(q, NULL, "mine", 5000000000ull,
                                         &err), "snapshot_create 'mine'");
        ts_block_pwrite_sync(blk, 65536, b, sizeof(b));
        block_node_drain(q);
        CHECK(q->driver->snapshot_goto(q, "mine", &err) &&
              ts_block_pread_sync(blk, 65536, back, sizeof(back)) == 0 &&
              memcmp(back, a, sizeof(a)) == 0,
              "snapshot_goto 'mine' brings back the data it holds");
        g_clear_error(&err);
        CHECK(!q->driver->snapshot_goto(q, "nosuch", &err) && err &&
              strlen(err->message) > 0, "snapshot_goto of an unknown "
              "snapshot is refused with a message");
        if (err) {
            printf("# %s\n", err->message);
        }
        g_clear_error(&err);
        CHECK(q->driver->snapshot_delete(q, "from-qemu-img", &err) &&
              !listed(q, "from-qemu-img") && listed(q, "mine"),
              "snapshot_delete removes one snapshot, the other stays");
    }
    if (blk) {
        ts_block_detach(blk);
    }
    block_close_all();
    g_autofree char *list = run(qemu_img, "snapshot -l", img, &st);
    CHECK(st == 0 && strstr(list, "mine") && strstr(list, "00:00:05.000") &&
          !strstr(list, "from-qemu-img"), "qemu-img snapshot -l lists "
          "'mine' (VM clock 5 s) and not the deleted one");
    if (st != 0 || !strstr(list, "mine")) {
        printf("# %s\n", list);
    }
    g_autofree char *chk = run(qemu_img, "check", img, &st);
    CHECK(st == 0, "qemu-img check finds the image clean");
    if (st != 0) {
        printf("# %s\n", chk);
    }
    g_autofree char *rm = g_strdup_printf("rm -rf %s", dir);
    if (system(rm) != 0) {
        printf("# could not remove %s\n", dir);
    }
    printf("1..%d\n", n);
    return failed;
}
